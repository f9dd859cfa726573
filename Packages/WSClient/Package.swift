// swift-tools-version:6.1
// WSClient, standalone: `WebSocket.connect(to: "wss://…") { ws in … }`, the seed's
// `WebSockets.open(url) do ws … end`: URLs, TLS verification, headers, subprotocols and timeouts.
// Built on WSHTTP.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSClient",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11)],
    products: [
        .library(name: "WSClient", targets: ["WSClient"]),
    ],
    dependencies: [
        .package(path: "../WSHTTP"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "WSClient",
            dependencies: [
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "WSTLS", package: "WSHTTP"),
                .product(name: "WSHandshake", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WSClientTests",
            dependencies: [
                "WSClient",
                .product(name: "WSHTTP", package: "WSHTTP"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
