// swift-tools-version:6.1
// WebSockets.jl's examples, done in Swift: a leaf package on the root package (by path), built in
// CI. Run one with `swift run --package-path Examples NAME`:
//
//     MinimalServer      HTTP and a WebSocket echo on one port, with an origin check
//     CountingTogether   a server and a client in one process count to ten, logged with wslog
//     BrowserChat        a chat page; every message goes to every open page
//     TokenGate          WebSockets only for pages the server served, with signed, expiring tokens
//     ListenLoop         a listen loop of your own, upgraded by WSHTTP
//     NIOUpgrader        SwiftNIO's own upgrade handler; this library's WebSocket takes the channel over
//     NIOSSLServer       wss with SwiftNIO SSL's handler in WSHTTP's pipeline: no libssl needed
//     CodecOnly          WSFraming alone, on bytes read from a file
//     ReadmeServer       the README's server; ReadmeClient, its client (the smoke checks they match it)
//     GettingStarted     Docs/GettingStarted.md's server with options and client, in one program
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),  // as user code would be written: no stricter import rules
]

let package = Package(
    name: "Examples",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The root package, by name: its identity is its folder's name, which a clone may change.
        .package(name: "WebSockets", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
    ],
    targets: [
        .executableTarget(
            name: "MinimalServer",
            dependencies: [.product(name: "WSServer", package: "WebSockets")],
            path: "MinimalServer", swiftSettings: swiftSettings),
        .executableTarget(
            name: "CountingTogether",
            dependencies: [
                .product(name: "WSServer", package: "WebSockets"), .product(name: "WSConnect", package: "WebSockets"),
                .product(name: "WSLogging", package: "WebSockets"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "CountingTogether", swiftSettings: swiftSettings),
        .executableTarget(
            name: "BrowserChat",
            dependencies: [.product(name: "WSServer", package: "WebSockets")],
            path: "BrowserChat", swiftSettings: swiftSettings),
        .executableTarget(
            name: "TokenGate",
            dependencies: [.product(name: "WSServer", package: "WebSockets")],
            path: "TokenGate", swiftSettings: swiftSettings),
        .executableTarget(
            name: "ListenLoop",
            dependencies: [
                .product(name: "WSHTTP", package: "WebSockets"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "ListenLoop", swiftSettings: swiftSettings),
        .executableTarget(
            name: "NIOUpgrader",
            dependencies: [
                .product(name: "WSHTTP", package: "WebSockets"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "NIOUpgrader", swiftSettings: swiftSettings),
        .executableTarget(
            name: "NIOSSLServer",
            dependencies: [
                .product(name: "WSHTTP", package: "WebSockets"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "NIOSSLServer", swiftSettings: swiftSettings),
        .executableTarget(
            name: "ReadmeServer",
            dependencies: [.product(name: "WebSockets", package: "WebSockets")],
            path: "ReadmeServer", swiftSettings: swiftSettings),
        .executableTarget(
            name: "ReadmeClient",
            dependencies: [.product(name: "WebSockets", package: "WebSockets")],
            path: "ReadmeClient", swiftSettings: swiftSettings),
        .executableTarget(
            name: "GettingStarted",
            dependencies: [.product(name: "WebSockets", package: "WebSockets")],
            path: "GettingStarted", swiftSettings: swiftSettings),
        .executableTarget(
            name: "CodecOnly",
            dependencies: [.product(name: "WSFraming", package: "WebSockets")],
            path: "CodecOnly", swiftSettings: swiftSettings),
    ]
)
