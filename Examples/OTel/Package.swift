// swift-tools-version:6.2
// A WebSocket echo server whose metrics and spans go to an OpenTelemetry collector through
// swift-otel: a package of its own, apart from Examples/, because swift-otel takes minutes to
// build. The OTLPHTTP trait alone keeps gRPC out of the build.
//
//     OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 swift run --package-path Examples/OTel OTelEchoServer
import PackageDescription

let package = Package(
    name: "OTel",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The root package, by name: its identity is its folder's name, which a clone may change.
        .package(name: "WebSockets", path: "../.."),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.0.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "OTelEchoServer",
            dependencies: [
                .product(name: "WSServer", package: "WebSockets"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]),
    ]
)
