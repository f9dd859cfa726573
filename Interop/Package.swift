// swift-tools-version:6.1
// Interop: programs that put this project's layers in front of other implementations and
// conformance suites. A leaf package: not published.
import PackageDescription

let package = Package(
    name: "Interop",
    dependencies: [
        .package(path: "../Packages/WSFraming"),
    ],
    targets: [
        // Echoes WebSocket messages over standard input and output, on WSFraming alone.
        .executableTarget(
            name: "FramingEcho",
            dependencies: [.product(name: "WSFraming", package: "WSFraming")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
