#!/usr/bin/env bash
# Checks Scripts/release.sh as a user of the released layers would see them, and what each
# version says: releases WSFraming, WSLogging and WSHTTP into a temporary folder, each at its
# last release (its newest tag LAYER/VERSION here) and then at its CHANGELOG's version, then
#   - runs `swift package diagnose-api-breaking-changes` in each layer's repository against
#     its last release, and fails when the API broke but the version does not say so (a
#     breaking change needs a new major version, or from 0.x a new minor one);
#   - builds and runs a package that depends on all three by file:// URL and exact version;
#   - builds and runs a package that depends on WSFraming alone, which must resolve no other
#     package at all.
# About 8 minutes on 2 cores (SwiftNIO is built three times). `--all` adds WSServer and
# WSClient to the releases and the API check (about 10 minutes more).
#
#   Tests/Release/release-check.sh [--all]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layers=(WSFraming WSLogging WSHTTP)
[ "${1:-}" != --all ] || layers+=(WSServer WSClient)

version() { "$root/Scripts/layer-version.sh" "$1" HEAD; }
# The newest tag LAYER/VERSION here: the layer's last release.
last_release() { git -C "$root" tag -l "$1/*" | sed "s|^$1/||" | sort -V | tail -1; }
framing=$(version WSFraming) logging=$(version WSLogging) http=$(version WSHTTP)
# Past releases first, so that each release finds its siblings' tags; then the releases of
# the CHANGELOGs' versions. A layer whose version is its last release's gets a candidate of
# HEAD instead, to check that it has not changed its API without a new version.
for layer in "${layers[@]}"; do
    previous=$(last_release "$layer")
    [ -z "$previous" ] || "$root/Scripts/release.sh" "$layer" "$previous" --rev "$layer/$previous" --into "$work/repos"
done
for layer in "${layers[@]}"; do
    if [ "$(last_release "$layer")" = "$(version "$layer")" ]; then
        "$root/Scripts/release.sh" "$layer" "$(version "$layer")" --candidate --into "$work/repos"
    else
        "$root/Scripts/release.sh" "$layer" "$(version "$layer")" --into "$work/repos"
    fi
done
repos="file://$work/repos"
# WSHTTP's version is a tag of its repository (a candidate, when that version is released, is
# a branch beside its tag).
git -C "$work/repos/WSHTTP" rev-parse -q --verify "refs/tags/$http^{commit}" >/dev/null
grep -q "\.package(url: \"$repos/WSFraming\", \.upToNextMinor(from: \"$framing\"))" "$work/repos/WSHTTP/Package.swift"
[ -f "$work/repos/WSFraming/LICENSE" ] && [ -f "$work/repos/WSFraming/NOTICE" ]

# What each version says: an API that broke needs a version that allows it.
for layer in "${layers[@]}"; do
    now=$(version "$layer")
    previous=$(last_release "$layer")
    [ -n "$previous" ] || { echo "release-check: $layer $now is its first release: no API to compare"; continue; }
    report=$(timeout 1500 swift package --package-path "$work/repos/$layer" diagnose-api-breaking-changes "$previous" 2>&1) \
        && broke=no || broke=yes
    grep -E "API breakage|breaking change|No breaking" <<<"$report" | sed "s/^/release-check: $layer: /" || true
    if [ $broke = yes ] && ! grep -q "breaking change" <<<"$report"; then
        echo "release-check: the API check of $layer did not run:" >&2; tail -30 <<<"$report" >&2; exit 1
    fi
    IFS=. read -r major minor _ <<<"$now"
    IFS=. read -r old_major old_minor _ <<<"$previous"
    allowed=no
    if [ "$major" != "$old_major" ] || { [ "$major" = 0 ] && [ "$minor" != "$old_minor" ]; }; then allowed=yes; fi
    if [ $broke = yes ] && [ $allowed = no ]; then
        echo "release-check: $layer's API broke since $previous, but $now does not allow it: raise the version" >&2; exit 1
    fi
    echo "release-check: $layer $previous -> $now: API broke: $broke (the version allows it: $allowed)"
    git -C "$work/repos/$layer" checkout -q main
done

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
