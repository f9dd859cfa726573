// swift-tools-version:6.1
// WSTopics, standalone: named topics that WebSockets subscribe to, publishes that reach every
// subscriber on this node and, through a backplane (WSRedis's Redis, or one of your own), on
// every other node. Built on WSHTTP's public seam.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSTopics",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WSTopics", targets: ["WSTopics"]),
    ],
    dependencies: [
        .package(path: "../WSHTTP"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "WSTopics",
            dependencies: [
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSTopicsTests",
            dependencies: [
                "WSTopics",
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
