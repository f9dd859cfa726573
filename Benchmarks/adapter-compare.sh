#!/usr/bin/env bash
# The framework adapters against the frameworks' own WebSockets, in one run, with the project's
# load generator: Packages/WSHummingbird's hummingbird-echo against hummingbird-websocket, and
# Packages/WSVapor's vapor-echo against Vapor's websocket-kit (Benchmarks/FrameworkEcho), each
# echoing at /echo; the adapters' rows are their event-loop echo (/echo) and the same echo in a
# task per connection (/echo-async, "-async"). Prints echo-compare.sh's table (latency (a), 100 x 16 x 64 B (b),
# 10 x 4 x 16 KiB (c), idle memory (d)), the baseline being hummingbird-websocket, then each
# adapter's ratio to its own framework's WebSocket.
#
#   Benchmarks/adapter-compare.sh [-t SECONDS] [--only a,b,c,d] [--port PORT]
#
# The four servers are built in release into one folder, .build-adapters (ignored by git), so
# that SwiftNIO, Hummingbird and Vapor compile once for all of them (about 25 minutes the
# first time on two cores, seconds after). Everything else is echo-compare.sh's: servers pinned
# to CPU 1 and loadgen to CPU 0, every step bounded in time, raw JSON in Benchmarks/results/.
# Docs/Adapters.md has a run's table.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scratch="$root/.build-adapters"
bin="$scratch/release"

build() {  # PACKAGE PRODUCT
    echo "==> building $2 (release)" >&2
    timeout 3600 "$root/Scripts/adapter-build.sh" -c release --package-path "$root/$1" --product "$2" >"$scratch-build.log" 2>&1 \
        || { tail -40 "$scratch-build.log" >&2; echo "adapter-compare: building $2 failed" >&2; exit 1; }
}
build Packages/WSHummingbird hummingbird-echo
build Packages/WSVapor vapor-echo
build Benchmarks/FrameworkEcho hummingbird-websocket-echo
build Benchmarks/FrameworkEcho websocket-kit-echo

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$root/Benchmarks/echo-compare.sh" --path /echo "$@" \
    --server "hummingbird-websocket|$bin/hummingbird-websocket-echo --port {PORT}" \
    --server "WSHummingbird|$bin/hummingbird-echo --port {PORT}" \
    --server "WSHummingbird-async|/echo-async|$bin/hummingbird-echo --port {PORT}" \
    --server "websocket-kit|$bin/websocket-kit-echo --port {PORT}" \
    --server "WSVapor|$bin/vapor-echo --port {PORT}" \
    --server "WSVapor-async|/echo-async|$bin/vapor-echo --port {PORT}" | tee "$out"

# Each adapter against its own framework's WebSocket, from the raw results echo-compare.sh kept.
raw=$(sed -n 's/^raw results: //p' "$out")
[ -n "$raw" ] || exit 0
python3 - "$raw" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
by = {(r["server"], r["scenario"]): r["result"] for r in rows if r["result"]}
picks = {
    "a": ("p50 latency", lambda j: j["lat_us"]["p50"], False),
    "b": ("64 B msg/s", lambda j: j["msgs_per_s"], True),
    "c": ("16 KiB MB/s", lambda j: j["mb_per_s"], True),
    "d": ("idle KiB/conn", lambda j: (j["rss_end_kb"] - j["rss_base_kb"]) / j["conns"], False),
}
print("\nadapter vs its framework's own WebSocket (>1 is better):")
for ours, theirs in (("WSHummingbird", "hummingbird-websocket"), ("WSHummingbird-async", "hummingbird-websocket"),
                     ("WSVapor", "websocket-kit"), ("WSVapor-async", "websocket-kit")):
    cells = []
    for scenario, (title, pick, higher) in picks.items():
        a, b = by.get((ours, scenario)), by.get((theirs, scenario))
        if not a or not b or not pick(b) or not pick(a):
            continue
        ratio = pick(a) / pick(b) if higher else pick(b) / pick(a)
        cells.append(f"{title} {ratio:.2f}x")
    print(f"  {ours} vs {theirs}: " + ", ".join(cells))
PY
