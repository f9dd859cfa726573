// swift-tools-version:6.1
// WSHummingbird: WebSocket routes on a Hummingbird 2 router, served by this library's WebSocket
// (WSHTTP): the router's middleware and the route decide before the 101, plain HTTP routes share
// the port, and the application's ServiceGroup closes every WebSocket with 1001 on shutdown.
// Only this package (and WSVapor) depends on a web framework.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSHummingbird",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WSHummingbird", targets: ["WSHummingbird"]),
        .executable(name: "hummingbird-echo", targets: ["HummingbirdEcho"]),
    ],
    dependencies: [
        .package(path: "../WSHTTP"),
        .package(path: "../WSClient"),  // the tests' client
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        .target(
            name: "WSHummingbird",
            dependencies: [
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "WSHandshake", package: "WSHTTP"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HummingbirdEcho",
            dependencies: ["WSHummingbird", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSHummingbirdTests",
            dependencies: [
                "WSHummingbird",
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "WSConnect", package: "WSClient"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
