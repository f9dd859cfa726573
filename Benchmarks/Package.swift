// swift-tools-version:6.1
// Benchmarks: a leaf package, never a dependency of the SDK. Run from the repository root:
//
//     swift run -c release --package-path Benchmarks FramingBenchmarks
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
    dependencies: [
        .package(path: "../Packages/WSFraming"),
    ],
    targets: [
        // Defines malloc & co. in the executable, so that every allocation in the process
        // (Swift runtime, libc) goes through a counter first.
        .target(name: "MallocCounter"),
        .executableTarget(
            name: "FramingBenchmarks",
            dependencies: [
                "MallocCounter",
                .product(name: "WSFraming", package: "WSFraming"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
