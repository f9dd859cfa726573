// swift-tools-version:6.1
// EchoServers: WebSocket echo servers for `Benchmarks/echo-compare.sh`, which drives each of
// them with the project's load generator (`Benchmarks/LoadGen`) in one run, and a load client
// of our own for `Benchmarks/tls-compare.sh` (ws against wss, on the project's client pipeline). A leaf
// package, apart from `Benchmarks/` so that the framing benchmarks never build SwiftNIO.
//
//     swift build -c release --package-path Benchmarks/EchoServers
//     Benchmarks/EchoServers/.build/release/NIOWebSocketEcho --port 9002
//     Benchmarks/EchoServers/.build/release/WebSocketsEcho --port 9002 --tls-cert cert.pem --tls-key key.pem
//     Benchmarks/EchoServers/.build/release/WebSocketsLoad --port 9002 -c 10 -d 4 -s 16384 -t 5 --tls-ca ca.pem --server-name localhost
//     Benchmarks/EchoServers/.build/release/WebSocketsBroadcast --way group --members 1000 --messages 1000 --size 64
//
// `NIOWebSocketEcho` is the baseline: SwiftNIO's own NIOWebSocket, in the shape of swift-nio's
// `NIOWebSocketServer` example. `WebSocketsEcho` is the project's own server, on the root
// package's `WSHTTP` (`--mode eventloop` or `--mode async`; wss with `--tls-cert` and
// `--tls-key`, through WSTLS). `WebSocketsLoad` is the load client: WSHTTP's client pipeline with
// the event-loop consumer on one thread, ws or (with `--tls-ca`) wss.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "EchoServers",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The root package, by name: its identity is its folder's name, which a clone may change.
        .package(name: "WebSockets", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        // WebSocketsEcho --metrics prometheus: what a real metrics backend costs per message.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        // What every echo server (and the load client) shares: the command line, the run until
        // SIGINT or SIGTERM.
        .target(
            name: "EchoServerSupport",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "NIOWebSocketEcho",
            dependencies: [
                "EchoServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "WebSocketsEcho",
            dependencies: [
                "EchoServerSupport",
                .product(name: "WSHTTP", package: "WebSockets"),
                .product(name: "WSServer", package: "WebSockets"),
                .product(name: "WSTLS", package: "WebSockets"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fan-out: WebSocketGroup against broadcasts written by hand (`Benchmarks/broadcast-compare.sh`).
        .executableTarget(
            name: "WebSocketsBroadcast",
            dependencies: [
                "EchoServerSupport",
                .product(name: "WSHTTP", package: "WebSockets"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The load client of `tls-compare.sh`: ws and wss on WSHTTP's client pipeline.
        .executableTarget(
            name: "WebSocketsLoad",
            dependencies: [
                "EchoServerSupport",
                .product(name: "WSHTTP", package: "WebSockets"),
                .product(name: "WSTLS", package: "WebSockets"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
