#!/usr/bin/env bash
# Heap allocations per echoed message, for each echo server of echo-compare.sh, under loadgen's
# scenario (b) (100 connections x 16 in flight x 64 B; SIZE=16384 for large messages). Runs
# each server with an LD_PRELOAD allocation counter, drives it for 2 s and then 6 s, and divides
# the difference in allocations by the difference in messages, so that start-up and connection
# set-up cancel out.
#
#   Benchmarks/alloc-per-message.sh            # SIZE=16384 Benchmarks/alloc-per-message.sh
#
# Needs gcc, make, taskset and python3; builds the servers (release).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen_dir="$root/Benchmarks/LoadGen"
bin="$root/Benchmarks/EchoServers/.build/release"
size=${SIZE:-64}
port=${PORT:-9003}
work=$(mktemp -d)
server_pid=""
trap '[ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

servers=(
    "NIOWebSocket|$bin/NIOWebSocketEcho --port $port"
    "WebSockets|$bin/WebSocketsEcho --port $port --mode eventloop"
    "WebSockets-async|$bin/WebSocketsEcho --port $port --mode async"
    "WebSockets+prometheus|$bin/WebSocketsEcho --port $port --mode eventloop --metrics prometheus"
)

timeout 120 make -s -C "$loadgen_dir" >&2
gcc -O2 -shared -fPIC -o "$work/alloc-counter.so" "$root/Benchmarks/AllocCounter/alloc-counter.c"
timeout 3600 swift build -c release --package-path "$root/Benchmarks/EchoServers" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; exit 1; }

# The allocation count of the server so far.
allocations() {
    kill -USR2 "$server_pid"
    sleep 0.3
    grep '^ALLOCS' "$work/err" | tail -1 | awk '{print $2}'
}

# Echoed messages in a loadgen run of $1 seconds.
drive() {
    timeout 60 taskset -c 0 "$loadgen_dir/.build/loadgen" -p "$port" -m throughput -c 100 -d 16 -s "$size" -t "$1" \
        | tail -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["echoed"])'
}

printf '%-22s %s\n' "server" "allocations per echoed ${size}-byte message"
for entry in "${servers[@]}"; do
    name=${entry%%|*}
    read -ra argv <<<"${entry#*|}"
    LD_PRELOAD="$work/alloc-counter.so" taskset -c 1 "${argv[@]}" >/dev/null 2>"$work/err" &
    server_pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    a0=$(allocations); e1=$(drive 2); a1=$(allocations); e2=$(drive 6); a2=$(allocations)
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    python3 -c "x = (($a2 - $a1) - ($a1 - $a0)) / ($e2 - $e1); print(f'{\"$name\":<22} {0.0 if abs(x) < 0.0005 else x:.3f}')"
done
