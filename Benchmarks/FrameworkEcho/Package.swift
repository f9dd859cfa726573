// swift-tools-version:6.1
// FrameworkEcho: the frameworks' own WebSocket echo servers, the peers of Benchmarks/adapter-compare.sh,
// which compares them in one run with this library's adapters (Packages/WSHummingbird's
// hummingbird-echo, Packages/WSVapor's vapor-echo). Each serves GET / and echoes at /echo, as
// the adapters' examples do, with messages up to 64 MiB and no permessage-deflate (the load
// generator offers none).
//
//     hummingbird-websocket-echo --port 9002     Hummingbird 2 with hummingbird-websocket
//     websocket-kit-echo --port 9002             Vapor 4 with its websocket-kit (app.webSocket)
//
// Built by adapter-compare.sh into the adapters' shared build folder (.build-adapters), so that
// SwiftNIO, Hummingbird and Vapor are compiled once for all four servers.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "FrameworkEcho",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hummingbird-websocket-echo", targets: ["HummingbirdWebSocketEcho"]),
        .executable(name: "websocket-kit-echo", targets: ["WebSocketKitEcho"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.2.0"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.100.0"),
    ],
    targets: [
        .target(name: "FrameworkEchoSupport", swiftSettings: swiftSettings),
        .executableTarget(
            name: "HummingbirdWebSocketEcho",
            dependencies: [
                "FrameworkEchoSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "WebSocketKitEcho",
            dependencies: ["FrameworkEchoSupport", .product(name: "Vapor", package: "vapor")],
            swiftSettings: swiftSettings
        ),
    ]
)
