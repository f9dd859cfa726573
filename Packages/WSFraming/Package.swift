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
        .library(name: "WSDeflate", targets: ["WSDeflate"]),
    ],
    targets: [
        .target(name: "WSFraming", swiftSettings: swiftSettings),
        .testTarget(name: "WSFramingTests", dependencies: ["WSFraming"], swiftSettings: swiftSettings),
        // WSDeflate: permessage-deflate (RFC 7692) on the system's zlib (zlib1g-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .target(name: "WSDeflate", dependencies: ["WSFraming", "CZlib"], swiftSettings: swiftSettings),
        .testTarget(name: "WSDeflateTests", dependencies: ["WSDeflate", "WSFraming"], swiftSettings: swiftSettings),
    ]
)
