#!/usr/bin/env bash
# Checks Scripts/release.sh as a user of the released layers would see them: releases
# WSFraming, WSLogging and WSHTTP (each at its CHANGELOG's version) into a temporary folder,
# then builds and runs two consumer packages there:
#   - one that depends on all three by file:// URL and exact version, and uses each;
#   - one that depends on WSFraming alone, which must resolve no other package at all.
# About 4 minutes on 2 cores (the first consumer builds SwiftNIO).
#
#   Tests/Release/release-check.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version() { git -C "$root" show "HEAD:Packages/$1/CHANGELOG.md" | grep -m1 -oE '^## [0-9]+\.[0-9]+\.[0-9]+ \(' | cut -d' ' -f2; }
framing=$(version WSFraming) logging=$(version WSLogging) http=$(version WSHTTP)
for layer in WSFraming WSLogging WSHTTP; do
    "$root/Scripts/release.sh" "$layer" "$(version "$layer")" --into "$work/repos"
done
repos="file://$work/repos"
[ "$(git -C "$work/repos/WSHTTP" describe --tags --exact-match)" = "$http" ]
grep -q "\.package(url: \"$repos/WSFraming\", \.upToNextMinor(from: \"$framing\"))" "$work/repos/WSHTTP/Package.swift"
[ -f "$work/repos/WSFraming/LICENSE" ] && [ -f "$work/repos/WSFraming/NOTICE" ]

# A consumer of all three, by URL and exact version.
mkdir -p "$work/all/Sources/UsesAll"
cat >"$work/all/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "UsesAll",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "$repos/WSFraming", exact: "$framing"),
        .package(url: "$repos/WSLogging", exact: "$logging"),
        .package(url: "$repos/WSHTTP", exact: "$http"),
    ],
    targets: [
        .executableTarget(name: "UsesAll", dependencies: [
            .product(name: "WSFraming", package: "WSFraming"),
            .product(name: "WSLogging", package: "WSLogging"),
            .product(name: "WSHTTP", package: "WSHTTP"),
        ]),
    ]
)
SWIFT
cat >"$work/all/Sources/UsesAll/main.swift" <<'SWIFT'
import WSFraming
import WSHTTP
import WSLogging

var frame: [UInt8] = []
FrameWriter.write(FrameHeader(isFinal: true, opcode: .text, payloadLength: 2), payload: Array("hi".utf8), into: &frame)
let handshake = WebSocketClientHandshake(target: "/chat", host: "example.com", port: 80)
print("frame \(frame.count) bytes; request \(handshake.request.method) \(handshake.request.path ?? "")")
SWIFT
timeout 1500 swift build --package-path "$work/all" >"$work/all.log" 2>&1 || { tail -30 "$work/all.log" >&2; exit 1; }
out=$(timeout 60 swift run --skip-build --package-path "$work/all" UsesAll)
[ "$out" = "frame 4 bytes; request GET /chat" ] || { echo "release-check: UsesAll printed: $out" >&2; exit 1; }
echo "release-check: a package on WSFraming $framing, WSLogging $logging and WSHTTP $http by URL and exact version builds and runs"

# A consumer of WSFraming alone resolves nothing else.
mkdir -p "$work/framing/Sources/UsesFraming"
cat >"$work/framing/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "UsesFraming",
    dependencies: [.package(url: "$repos/WSFraming", exact: "$framing")],
    targets: [.executableTarget(name: "UsesFraming", dependencies: [.product(name: "WSFraming", package: "WSFraming")])]
)
SWIFT
cat >"$work/framing/Sources/UsesFraming/main.swift" <<'SWIFT'
import WSFraming
var frame: [UInt8] = []
FrameWriter.write(FrameHeader(isFinal: true, opcode: .binary, payloadLength: 3), payload: [1, 2, 3], into: &frame)
print("frame \(frame.count) bytes")
SWIFT
timeout 600 swift build --package-path "$work/framing" >"$work/framing.log" 2>&1 || { tail -30 "$work/framing.log" >&2; exit 1; }
pins=$(python3 -c "import json, sys; print(' '.join(p['identity'] for p in json.load(open(sys.argv[1]))['pins']))" "$work/framing/Package.resolved")
[ "$pins" = "wsframing" ] || { echo "release-check: a WSFraming-only package resolved: $pins" >&2; exit 1; }
timeout 60 swift run --skip-build --package-path "$work/framing" UsesFraming >/dev/null
echo "release-check: a package on WSFraming $framing alone resolves only wsframing, and builds and runs"
