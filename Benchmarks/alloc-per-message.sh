#!/usr/bin/env bash
# Heap allocations per echoed message for the project's echo servers and NIOWebSocket:
# echo-compare.sh's scenario (m) (an LD_PRELOAD counter, read after 2 s and 6 s of loadgen's
# scenario (b), the difference in allocations over the difference in messages, so that start-up
# and connection set-up cancel out), with one more row, WebSockets+prometheus: the event-loop
# echo with swift-metrics bootstrapped to swift-prometheus, so that the library's instruments
# record. Takes about a minute after the build.
#
#   Benchmarks/alloc-per-message.sh [--size BYTES]      # or SIZE=16384 Benchmarks/alloc-per-message.sh
#
# Needs gcc, make, taskset and python3; builds the servers (release).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/Benchmarks/EchoServers/.build/release"
timeout 3600 swift build -c release --package-path "$root/Benchmarks/EchoServers" >/dev/null \
    || { echo "alloc-per-message: swift build failed (swift build -c release --package-path Benchmarks/EchoServers)" >&2; exit 1; }
exec "$root/Benchmarks/echo-compare.sh" --only m --size "${SIZE:-64}" --port "${PORT:-9003}" "$@" \
    --server "NIOWebSocket|$bin/NIOWebSocketEcho --port {PORT}" \
    --server "WebSockets|$bin/WebSocketsEcho --port {PORT} --mode eventloop" \
    --server "WebSockets-async|$bin/WebSocketsEcho --port {PORT} --mode async" \
    --server "WebSockets+prometheus|$bin/WebSocketsEcho --port {PORT} --mode eventloop --metrics prometheus"
