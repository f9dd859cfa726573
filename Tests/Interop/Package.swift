// swift-tools-version:6.1
// Interop: programs that put this project's layers in front of other implementations and
// conformance suites. A leaf package: not published.
import PackageDescription

let package = Package(
    name: "Interop",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The root package, by name: its identity is its folder's name, which a clone may change.
        // It declares every layer's targets (WSFraming among them), so no layer's own package
        // may come in beside it: SwiftPM refuses two targets of one name in a graph.
        .package(name: "WebSockets", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        // Echoes WebSocket messages over standard input and output, on WSFraming alone.
        .executableTarget(
            name: "FramingEcho",
            dependencies: [.product(name: "WSFraming", package: "WebSockets")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
        // The Autobahn testsuite's testee client (fuzzingserver mode) on WSHTTP's NIO client:
        // `HTTPAutobahnClient URL AGENT [--mode async|eventloop]`, driven by Tests/Conformance/autobahn-http.sh.
        .executableTarget(
            name: "HTTPAutobahnClient",
            dependencies: [
                .product(name: "WSHTTP", package: "WebSockets"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
    ]
)
