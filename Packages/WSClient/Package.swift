// swift-tools-version:6.1
// The client layer, standalone: `WebSocket.connect(to: "wss://…") { ws in … }` (WebSockets.jl's
// `WebSockets.open(url) do ws … end`): URLs, TLS verification, headers, subprotocols and
// timeouts. Built on WSHTTP. Its module is WSConnect, in this WSClient folder: swift-websocket,
// which Hummingbird uses, has a module named WSClient, and one package graph cannot hold two.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSClient",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WSConnect", targets: ["WSConnect"]),
    ],
    dependencies: [
        .package(path: "../WSHTTP"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
    ],
    targets: [
        .target(
            name: "WSConnect",
            dependencies: [
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "WSTLS", package: "WSHTTP"),
                .product(name: "WSHandshake", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/WSClient",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSConnectTests",
            dependencies: [
                "WSConnect",
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Tests/WSClientTests",
            swiftSettings: swiftSettings
        ),
    ]
)
