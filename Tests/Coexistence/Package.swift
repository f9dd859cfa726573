// swift-tools-version:6.1
// This package beside hummingbird-websocket (and so swift-websocket, whose modules are WSCore,
// WSClient and WSCompression) in one package graph: it must resolve, build, and run both
// libraries' clients against this library's server in one program. Scripts/test.sh runs it
// (`swift run --package-path Tests/Coexistence`).
import PackageDescription

let package = Package(
    name: "Coexistence",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The root package, by name: its identity is its folder's name, which a clone may change.
        .package(name: "WebSockets", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "Coexistence",
            dependencies: [
                .product(name: "WebSockets", package: "WebSockets"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
