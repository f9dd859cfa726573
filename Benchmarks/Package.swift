// swift-tools-version:6.1
// Benchmarks: a leaf package, never a dependency of the SDK. Run from the repository root:
//
//     swift run -c release --package-path Benchmarks FramingBenchmarks
//     swift run -c release --package-path Benchmarks LoggingBenchmarks
//     swift run -c release --package-path Benchmarks DeflateBenchmarks
//
// No external packages: the harness is a plain executable, and `MallocCounter` counts heap
// allocations by interposing glibc's allocator (Linux only; see README.md).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../Packages/WSFraming"),
        .package(path: "../Packages/WSLogging"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        // Defines malloc & co. in the executable, so that every allocation in the process
        // (Swift runtime, libc) goes through a counter first.
        .target(name: "MallocCounter"),
        // The timing harness and the table both executables print.
        .target(name: "BenchmarkSupport", swiftSettings: swiftSettings),
        .executableTarget(
            name: "FramingBenchmarks",
            dependencies: [
                "MallocCounter",
                "BenchmarkSupport",
                .product(name: "WSFraming", package: "WSFraming"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DeflateBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "WSFraming", package: "WSFraming"),
                .product(name: "WSDeflate", package: "WSFraming"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LoggingBenchmarks",
            dependencies: [
                "MallocCounter",
                "BenchmarkSupport",
                .product(name: "WSLogging", package: "WSLogging"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
