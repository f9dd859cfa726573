// swift-tools-version:6.1
// WSVapor: WebSocket routes on a Vapor 4 application (app.ws), served by this library's WebSocket
// (WSHTTP): Vapor's middleware and the route decide before the 101, plain routes share the port,
// and the application's shutdown closes every WebSocket with 1001. Only this package (and
// WSHummingbird) depends on a web framework.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSVapor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WSVapor", targets: ["WSVapor"]),
        .executable(name: "vapor-echo", targets: ["VaporEcho"]),
    ],
    dependencies: [
        .package(path: "../WSHTTP"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.100.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(path: "../WSClient"),  // the tests' client
    ],
    targets: [
        .target(
            name: "WSVapor",
            dependencies: [
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "WSHandshake", package: "WSHTTP"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "VaporEcho",
            dependencies: ["WSVapor", .product(name: "WSHTTP", package: "WSHTTP"), .product(name: "Vapor", package: "vapor")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSVaporTests",
            dependencies: [
                "WSVapor",
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "WSConnect", package: "WSClient"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
