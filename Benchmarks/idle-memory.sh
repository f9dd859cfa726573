#!/usr/bin/env bash
# What an idle connection costs `websockets serve` (the README's main command, release build):
# the project's load generator (Benchmarks/LoadGen) opens N connections, sends one 64-byte message on each per second
# for 5 rounds, and reads the server's resident memory before and after (loadgen -m idle).
# Goal (issue 6): at most 8 KiB per connection at 1,000 connections, and 10,000 held.
#
#   Benchmarks/idle-memory.sh [CONNECTIONS…]      (default: 1000 10000)
#   SERVE_ARGS=--no-metrics Benchmarks/idle-memory.sh 1000   # more flags for serve (here: no metrics recorded)
#
# Needs gcc, make, taskset and two CPUs; the
# server is pinned to CPU 1, loadgen to CPU 0; every command is bounded, the server stopped by PID.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen_dir="$root/Benchmarks/LoadGen"
counts=("${@:-1000}")
[ $# -gt 0 ] || counts=(1000 10000)
timeout 120 make -s -C "$loadgen_dir" >&2
timeout 1800 swift build -c release --package-path "$root" --product websockets >&2
server="$root/.build/release/websockets"
port=9446
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT
for count in "${counts[@]}"; do
    [ "$(ulimit -Hn)" -gt $((count + 100)) ] || { echo "idle-memory: $count connections need more open files than ulimit -Hn allows" >&2; exit 1; }
    ulimit -Sn "$(ulimit -Hn)"
    # shellcheck disable=SC2086 # SERVE_ARGS is a list of flags
    taskset -c 1 "$server" serve --port "$port" --log-level warning ${SERVE_ARGS:-} >/dev/null 2>&1 &
    pid=$!
    sleep 1
    result=$(taskset -c 0 timeout 300 "$loadgen_dir/.build/loadgen" -p "$port" -m idle -c "$count" --rounds 5 --pid "$pid" 2>/dev/null | grep '^RESULT')
    kill -INT "$pid"
    wait "$pid" || true
    pid=""
    echo "$count connections: $(grep -o 'survived=[0-9]*' <<<"$result"), $(grep -o 'per_conn=[0-9.]*KiB' <<<"$result") of resident memory each ($(grep -o 'rss_base=[0-9]*KiB' <<<"$result"), $(grep -o 'rss_end=[0-9]*KiB' <<<"$result"))"
done
