#!/usr/bin/env bash
# User-space instructions per echoed message for the project's echo servers and NIOWebSocket,
# counted by valgrind's callgrind: echo-compare.sh's scenario (i) (exact and repeatable, whatever
# else the machine does; the kernel's share is not counted), with one more row,
# WebSockets+prometheus: the event-loop echo with swift-metrics bootstrapped to swift-prometheus,
# so that the library's instruments record (the other rows leave the no-op backend: nothing is).
# Takes about 2 minutes after the build.
#
#   Benchmarks/instructions-per-message.sh [--size BYTES]
#
# Needs valgrind (apt-get install valgrind), python3, gcc and make.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/Benchmarks/EchoServers/.build/release"
timeout 3600 swift build -c release --package-path "$root/Benchmarks/EchoServers" >/dev/null \
    || { echo "instructions-per-message: swift build failed (swift build -c release --package-path Benchmarks/EchoServers)" >&2; exit 1; }
exec "$root/Benchmarks/echo-compare.sh" --only i --port "${PORT:-9004}" "$@" \
    --server "NIOWebSocket|$bin/NIOWebSocketEcho --port {PORT}" \
    --server "WebSockets|$bin/WebSocketsEcho --port {PORT} --mode eventloop" \
    --server "WebSockets-async|$bin/WebSocketsEcho --port {PORT} --mode async" \
    --server "WebSockets+prometheus|$bin/WebSocketsEcho --port {PORT} --mode eventloop --metrics prometheus"
