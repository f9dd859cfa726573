#!/usr/bin/env bash
# Runs every test of WebSockets for Swift, on a fresh Debian machine with the Swift toolchain.
#
#   Scripts/test.sh
#
# 1. Installs what the tests need, if missing (idempotent; needs root or sudo for apt-get).
# 2. Runs the root package's tests: every layer's tests in one build.
# 3. Builds and tests each package under Packages/ standalone, which catches a layer that
#    reaches into another's internals (the framework adapters with their peers), and builds
#    the leaf packages (Benchmarks/).
# Each step is bounded in time. Exits non-zero on the first failure.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$PATH:/opt/swift/usr/bin"

# Each step's heading says how long the run has taken so far: where CI's minutes go.
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# Runs a command with a time limit in seconds, killing it (and its children) when it runs over.
bounded() {
    local seconds=$1; shift
    timeout --kill-after=30 "$seconds" "$@"
}

# Installs the Debian packages that are missing (Scripts/ensure-apt.sh).
ensure_apt() { Scripts/ensure-apt.sh "$@"; }

command -v swift >/dev/null || { echo "Swift is not on PATH: install the Swift toolchain (https://swift.org/install)" >&2; exit 1; }
# coreutils' timeout, the C toolchain the benchmarks' allocation counter needs, and the
# system's OpenSSL that WSTLS links (libssl-dev, found by pkg-config), with the openssl command
# that makes the TLS tests' certificates and plays their peer, and the system trust store.
ensure_apt coreutils gcc libc6-dev libssl-dev openssl ca-certificates pkg-config zlib1g-dev
# tinyproxy: the real HTTP proxy WSClient's tests tunnel through; redis-server: the real Redis
# WSRedis's tests publish and subscribe through (each test starts its own on a free port).
ensure_apt tinyproxy redis-server
# The README's main command installs what the build needs with Scripts/deps.sh: check it here.
bounded 600 Scripts/deps.sh

step "the repository is self-contained: no script, manifest or source refers outside it (Tests/self-contained.sh)"
bounded 60 Tests/self-contained.sh

step "Python's websockets for WSHTTP's interop tests (Scripts/interop-env.sh)"
bounded 600 Scripts/interop-env.sh

step "the project's load generator: every mode, and every fault of an echo that goes wrong on purpose (Tests/LoadGen/loadgen-check.sh)"
bounded 300 Tests/LoadGen/loadgen-check.sh

step "root package: every layer's tests in one build"
bounded 1500 swift build --build-tests
bounded 900 swift test

step "the root package's tests again under AddressSanitizer, leaks too, in a build of its own (Scripts/sanitizers.sh address; ThreadSanitizer's run is documented in Docs/Reliability.md)"
# ThreadSanitizer's run (Scripts/sanitizers.sh thread) is not in CI: it cannot see the standard
# library's Mutex on Linux, and its suppressions (Tests/Sanitizers/tsan.supp) cannot yet be
# shown to hide every false report in every interleaving that CI may meet; and its 5.5 minutes
# do not fit CI's 50 (this run takes about 45).
bounded 1800 Scripts/sanitizers.sh address

step "the protocol core's demo (swift run framing-demo)"
demo=$(bounded 300 swift run framing-demo "Scripts/test.sh smoke test")
printf '%s\n' "$demo"
grep -q 'server receives: text("Scripts/test.sh smoke test")' <<<"$demo"

step "the examples (Examples/), each run as a user would (Scripts/examples-smoke.sh)"
bounded 1500 Scripts/examples-smoke.sh

step "beside hummingbird-websocket in one package graph: both libraries' clients against this server (Tests/Coexistence)"
bounded 1500 swift build --package-path Tests/Coexistence
bounded 120 swift run --skip-build --package-path Tests/Coexistence Coexistence

step "the README's main command: websockets serve and connect, with Python's websockets and openssl (Tests/Command/cli-smoke.sh)"
bounded 900 Tests/Command/cli-smoke.sh

step "a real Prometheus scrapes websockets serve --metrics and --metrics-port; the values read back are what was sent (Tests/Metrics/prometheus-scrape.sh)"
ensure_apt prometheus
bounded 600 Tests/Metrics/prometheus-scrape.sh

step "three nodes on one Redis behind nginx and HAProxy: spread, exactly once and in order, a node killed, Redis restarted, bad input; and on a three-master Redis Cluster (Tests/Scale)"
ensure_apt redis-server nginx haproxy
bounded 300 Tests/Scale/scale-out.sh .build/debug/websockets
bounded 300 Tests/Scale/redis-cluster.sh .build/debug/websockets

step "the attack suite: peers that never read, stall, flood pings, fragments or connections, hold handshakes, send oversized request lines, headers and frame lengths, reset mid-frame, send invalid UTF-8, unmasked frames and decompression bombs; and hostile servers for the client (Scripts/attacks.sh)"
# The debug build of the root's first step, with short keepalive times so the stalled peer
# is dropped in seconds; Scripts/attacks.sh alone builds and runs the release binary.
bounded 600 Scripts/attacks.sh --binary .build/debug/websockets -- --ping-interval 2 --ping-timeout 2 --close-timeout 2

step "a 2-minute soak: websockets serve with 10,000 connections under mixed load, churn, slow readers and dead peers; RSS within ±5% after warm-up, descriptors back (Tests/Soak/soak.sh; the 30-minute run is in Docs/Reliability.md)"
# The debug build of the root's first step (the release build, Tests/Soak/soak.sh's default, passes too).
bounded 600 Tests/Soak/soak.sh --minutes 2 --binary .build/debug/websockets

step "interop with node's ws, both ways (Tests/Interop/node-interop.sh)"
ensure_apt node-ws
bounded 300 Tests/Interop/node-interop.sh

step "the demo page in headless Chromium: it connects back, relays moves both ways, charts the server live (Tests/Browser/browser-smoke.sh)"
ensure_apt chromium
bounded 600 Tests/Browser/browser-smoke.sh

step "coverage-guided fuzzing with AddressSanitizer, 30 s per target: the connection state machine in both roles with and without permessage-deflate, UTF-8 against the standard library, inflate, the opening handshake, the client's URLs, a proxy's answer to CONNECT, GateToken (Scripts/fuzz.sh)"
bounded 900 Scripts/fuzz.sh

step "DocC: every module's documentation, warnings as errors (Scripts/docs.sh)"
bounded 1500 Scripts/docs.sh

# Every package alone, each with its own manifest, in one build folder, .build-adapters
# (Scripts/adapter-build.sh), which the frameworks' own echoes (Benchmarks/FrameworkEcho) share
# too: SwiftNIO, swift-metrics and the rest compile once for all of them, Hummingbird and Vapor
# once for both adapters, and each package's own modules are built from its own sources.
adapters="$root/.build-adapters"
for package in Packages/*/; do
    name=$(basename "$package")
    step "$name standalone"
    bounded 1200 Scripts/adapter-build.sh --package-path "$package" --build-tests
    bounded 900 swift test --package-path "$package" --scratch-path "$adapters"
done

step "the adapters' echoes against Python's websockets, node's ws and Autobahn's fuzzing client (Tests/Adapters/adapter-peers.sh)"
bounded 1500 Tests/Adapters/adapter-peers.sh

if [ -f Benchmarks/Package.swift ]; then
    step "Benchmarks build (run them: swift run -c release --package-path Benchmarks FramingBenchmarks, or LoggingBenchmarks)"
    bounded 900 swift build --package-path Benchmarks
fi
if [ -f Benchmarks/EchoServers/Package.swift ]; then
    step "the echo servers build (compare them: Benchmarks/echo-compare.sh, tls-compare.sh, broadcast-compare.sh)"
    bounded 1200 swift build --package-path Benchmarks/EchoServers
fi
step "the frameworks' own echoes build (compare the adapters with them: Benchmarks/adapter-compare.sh)"
bounded 1200 Scripts/adapter-build.sh --package-path Benchmarks/FrameworkEcho

step "releases: three layers as repositories of their own, their API against the last release, consumers by URL and version (Tests/Release/release-check.sh)"
bounded 1800 Tests/Release/release-check.sh

step "the Autobahn testsuite on Python 3: Python's websockets gets its published verdicts, an echo that checks nothing fails (Tests/Conformance/Autobahn/selfcheck.sh)"
bounded 1200 Tests/Conformance/Autobahn/selfcheck.sh

step "Autobahn testsuite against WSFraming, server and client roles (Tests/Conformance/autobahn-framing.sh)"
bounded 1500 Tests/Conformance/autobahn-framing.sh

step "Autobahn testsuite against WSHTTP: server (callbacks, then a task) and client (Tests/Conformance/autobahn-http.sh)"
CONFIGURATION=debug bounded 2400 Tests/Conformance/autobahn-http.sh

step "Autobahn testsuite against the websockets command, both roles, with permessage-deflate (Tests/Conformance/conformance.sh --ci)"
bounded 2400 Tests/Conformance/conformance.sh --ci

step "all tests passed"
