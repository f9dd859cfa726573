// swift-tools-version:6.1
// The root package: what users depend on by URL. It declares every layer's
// targets by path (no local package dependencies, see Docs/Architecture.md),
// one product per layer plus the umbrella `WebSockets`.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WebSockets",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WebSockets", targets: ["WebSockets"]),
        .library(name: "WSFraming", targets: ["WSFraming"]),
        .library(name: "WSDeflate", targets: ["WSDeflate"]),
        .library(name: "WSLogging", targets: ["WSLogging"]),
        .library(name: "WSHandshake", targets: ["WSHandshake"]),
        .library(name: "WSTLS", targets: ["WSTLS"]),
        .library(name: "WSHTTP", targets: ["WSHTTP"]),
        .library(name: "WSServer", targets: ["WSServer"]),
        .library(name: "WSConnect", targets: ["WSConnect"]),
        .library(name: "WSTopics", targets: ["WSTopics"]),
        .library(name: "WSRedis", targets: ["WSRedis"]),
        .executable(name: "framing-demo", targets: ["FramingDemo"]),
        .executable(name: "websockets", targets: ["WebSocketsCommand"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
        // The `websockets` command's GET /metrics only.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        // `swift package generate-documentation` (Scripts/docs.sh): a plugin, linked into no product.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.4.0"),
    ],
    targets: [
        // WSFraming: the sans-I/O protocol core.
        .target(
            name: "WSFraming",
            path: "Packages/WSFraming/Sources/WSFraming",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSFramingTests",
            dependencies: ["WSFraming"],
            path: "Packages/WSFraming/Tests/WSFramingTests",
            swiftSettings: swiftSettings
        ),

        // WSDeflate: permessage-deflate (RFC 7692) on the system's zlib (zlib1g-dev).
        .systemLibrary(
            name: "CZlib",
            path: "Packages/WSFraming/Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(
            name: "WSDeflate",
            dependencies: ["WSFraming", "CZlib"],
            path: "Packages/WSFraming/Sources/WSDeflate",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSDeflateTests",
            dependencies: ["WSDeflate", "WSFraming"],
            path: "Packages/WSFraming/Tests/WSDeflateTests",
            swiftSettings: swiftSettings
        ),

        // WSLogging: a swift-log console handler, and wslog.
        .target(
            name: "WSLogging",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Packages/WSLogging/Sources/WSLogging",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSLoggingTests",
            dependencies: ["WSLogging", .product(name: "Logging", package: "swift-log")],
            path: "Packages/WSLogging/Tests/WSLoggingTests",
            swiftSettings: swiftSettings
        ),

        // WSHTTP: the opening handshake, sans I/O.
        .target(
            name: "WSHandshake",
            dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Packages/WSHTTP/Sources/WSHandshake",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSHandshakeTests",
            dependencies: ["WSHandshake", .product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Packages/WSHTTP/Tests/WSHandshakeTests",
            swiftSettings: swiftSettings
        ),

        // WSHTTP: the upgrade and the live WebSocket on SwiftNIO.
        .target(
            name: "WSHTTP",
            dependencies: [
                "WSHandshake", "WSFraming", "WSDeflate", "WSLogging",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Packages/WSHTTP/Sources/WSHTTP",
            swiftSettings: swiftSettings
        ),
        // WSTLS: TLS on the system's OpenSSL (libssl-dev), as a NIO channel handler, and the
        // default `wss` stack of WSHTTP's pipelines (WSHTTP itself needs no libssl).
        .systemLibrary(
            name: "COpenSSL",
            path: "Packages/WSHTTP/Sources/COpenSSL",
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
            path: "Packages/WSHTTP/Sources/WSTLS",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSHTTPTests",
            dependencies: [
                "WSHTTP", "WSHandshake", "WSTLS", "WSFraming", "WSDeflate",
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
            path: "Packages/WSHTTP/Tests/WSHTTPTests",
            swiftSettings: swiftSettings
        ),

        // WSServer: HTTP and WebSockets on one port, gatekeeping, graceful shutdown.
        .target(
            name: "WSServer",
            dependencies: [
                "WSHTTP", "WSTLS", "WSHandshake",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Packages/WSServer/Sources/WSServer",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSServerTests",
            dependencies: [
                "WSServer", "WSHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Packages/WSServer/Tests/WSServerTests",
            swiftSettings: swiftSettings
        ),

        // WSConnect (the client layer, in Packages/WSClient): WebSocket.connect(to:) with URLs, TLS
        // verification and timeouts. Not "WSClient": swift-websocket (Hummingbird) has a module of that name.
        .target(
            name: "WSConnect",
            dependencies: [
                "WSHTTP", "WSTLS", "WSHandshake",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Packages/WSClient/Sources/WSClient",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSConnectTests",
            dependencies: [
                "WSConnect", "WSHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Packages/WSClient/Tests/WSClientTests",
            swiftSettings: swiftSettings
        ),

        // WSTopics: topics across nodes, with a backplane protocol and one in-process bus.
        .target(
            name: "WSTopics",
            dependencies: [
                "WSHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Packages/WSTopics/Sources/WSTopics",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSTopicsTests",
            dependencies: [
                "WSTopics", "WSHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Packages/WSTopics/Tests/WSTopicsTests",
            swiftSettings: swiftSettings
        ),

        // WSRedis: WSTopics' backplane on Redis, with hiredis's RESP (libhiredis-dev) on SwiftNIO.
        // Without pkg-config: Debian's hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM
        // refuses with a warning on every build; the header and library are on the default paths.
        .systemLibrary(
            name: "CHiredis",
            path: "Packages/WSRedis/Sources/CHiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]
        ),
        .target(
            name: "WSRedis",
            dependencies: [
                "CHiredis", "WSTopics", "WSHTTP", "WSTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Packages/WSRedis/Sources/WSRedis",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSRedisTests",
            dependencies: [
                "WSRedis", "WSTopics", "WSHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Packages/WSRedis/Tests/WSRedisTests",
            swiftSettings: swiftSettings
        ),

        // The umbrella: re-exports every layer.
        .target(
            name: "WebSockets",
            dependencies: ["WSFraming", "WSDeflate", "WSLogging", "WSHandshake", "WSTLS", "WSHTTP", "WSServer", "WSConnect", "WSTopics"],
            path: "Sources/WebSockets",
            swiftSettings: swiftSettings
        ),
        // The `websockets` command: `serve` (the demo page, an echo on every path) and `connect`.
        .executableTarget(
            name: "WebSocketsCommand",
            dependencies: [
                "WSServer", "WSConnect", "WSLogging", "WSTopics", "WSRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/WebSocketsCommand",
            swiftSettings: swiftSettings
        ),
        // Tests no single layer owns live in the root Tests/: the umbrella's, the command's.
        .testTarget(
            name: "WebSocketsTests",
            dependencies: ["WebSockets"],
            path: "Tests/WebSocketsTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebSocketsCommandTests",
            dependencies: [
                "WebSocketsCommand", "WSServer", "WSTopics", "WSRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tests/WebSocketsCommandTests",
            swiftSettings: swiftSettings
        ),
        // Encode and decode a message, print the bytes: the protocol core alone.
        .executableTarget(
            name: "FramingDemo",
            dependencies: ["WSFraming"],
            path: "Sources/FramingDemo",
            swiftSettings: swiftSettings
        ),
    ]
)
