// swift-tools-version:6.1
// WSHTTP, standalone: the opening handshake (WSHandshake: sans I/O, swift-http-types only);
// on SwiftNIO, the upgrade pipelines and the live WebSocket connection (WSHTTP, which takes
// any TLS handler or none); and TLS on the system's OpenSSL for them (WSTLS: libssl-dev).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSHTTP",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WSHandshake", targets: ["WSHandshake"]),
        .library(name: "WSTLS", targets: ["WSTLS"]),
        .library(name: "WSHTTP", targets: ["WSHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
        .package(path: "../WSFraming"),
        .package(path: "../WSLogging"),
    ],
    targets: [
        .target(
            name: "WSHandshake",
            dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .target(
            name: "WSTLS",
            dependencies: [
                "COpenSSL", "WSHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WSHTTP",
            dependencies: [
                "WSHandshake",
                .product(name: "WSFraming", package: "WSFraming"),
                .product(name: "WSDeflate", package: "WSFraming"),
                .product(name: "WSLogging", package: "WSLogging"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSHTTPTests",
            dependencies: [
                "WSHTTP", "WSHandshake", "WSTLS",
                .product(name: "WSFraming", package: "WSFraming"),
                .product(name: "WSDeflate", package: "WSFraming"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSHandshakeTests",
            dependencies: ["WSHandshake", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
    ]
)
