// swift-tools-version:6.1
// WSRedis, standalone: WSTopics' backplane on Redis pub/sub, and sharded pub/sub on a Redis
// Cluster. Redis's protocol is hiredis's (Debian's libhiredis-dev), on SwiftNIO's sockets; TLS
// (rediss://) is WSTLS's, on the system's OpenSSL.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSRedis",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WSRedis", targets: ["WSRedis"]),
    ],
    dependencies: [
        .package(path: "../WSHTTP"),
        .package(path: "../WSTopics"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        // Without pkg-config: Debian's hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM
        // refuses with a warning on every build; the header and library are on the default paths.
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]
        ),
        .target(
            name: "WSRedis",
            dependencies: [
                "CHiredis",
                .product(name: "WSTopics", package: "WSTopics"),
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "WSTLS", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSRedisTests",
            dependencies: [
                "WSRedis",
                .product(name: "WSTopics", package: "WSTopics"),
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
