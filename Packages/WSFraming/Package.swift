// swift-tools-version:6.1
// WSFraming, standalone: the sans-I/O WebSocket protocol core (RFC 6455).
// No dependencies at all.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "WSFraming",
    products: [
        .library(name: "WSFraming", targets: ["WSFraming"]),
    ],
    targets: [
        .target(name: "WSFraming", swiftSettings: swiftSettings),
        .testTarget(name: "WSFramingTests", dependencies: ["WSFraming"], swiftSettings: swiftSettings),
    ]
)
