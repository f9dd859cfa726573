// swift-tools-version:6.1
// WSServer, standalone: one call serves HTTP and WebSockets on one port (WebSockets.jl's ServerWS),
// with its gatekeeping (connection filter, origins, connection limit, handshake timeout), a
// graceful shutdown and a swift-service-lifecycle `Service`. Built on WSHTTP.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSServer",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WSServer", targets: ["WSServer"]),
    ],
    dependencies: [
        .package(path: "../WSHTTP"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        .target(
            name: "WSServer",
            dependencies: [
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "WSTLS", package: "WSHTTP"),
                .product(name: "WSHandshake", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSServerTests",
            dependencies: [
                "WSServer",
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
