#!/usr/bin/env bash
# User-space instructions per echoed message for each echo server of echo-compare.sh, counted
# by valgrind's callgrind (exact and repeatable, whatever else the machine does; the kernel's
# share is not counted). Each server runs under callgrind twice, for 100,000 and 300,000
# messages of loadgen's scenario (b) shape (100 connections x 16 in flight x 64 B), and the
# difference in instructions is divided by the difference in messages, so that start-up and
# connection set-up cancel out. Takes a few minutes.
#
#   Benchmarks/instructions-per-message.sh
#
# Needs valgrind (apt-get install valgrind), python3, gcc and make (for Benchmarks/LoadGen).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen_dir="$root/Benchmarks/LoadGen"
bin="$root/Benchmarks/EchoServers/.build/release"
port=${PORT:-9004}
work=$(mktemp -d)
server_pid=""
trap '[ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

command -v valgrind >/dev/null || { echo "instructions-per-message: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
timeout 120 make -s -C "$loadgen_dir" >&2
timeout 3600 swift build -c release --package-path "$root/Benchmarks/EchoServers" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; exit 1; }
# valgrind 3.19 cannot read the Swift compiler's debug information; the symbols stay.
for server in NIOWebSocketEcho WebSocketsEcho; do
    cp "$bin/$server" "$work/$server"
    strip --strip-debug "$work/$server"
done

# Runs a server under callgrind for $1 messages; prints "echoed instructions".
measure() {
    local messages=$1; shift
    rm -f "$work"/callgrind.out.*
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out.%p" "$@" --port "$port" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
    local echoed
    echoed=$(timeout 600 "$loadgen_dir/.build/loadgen" -p "$port" -m throughput -c 100 -d 16 -s 64 -t 300 -w 0 --max-msgs "$messages" \
        | tail -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["echoed"])')
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    echo "$echoed $(callgrind_annotate "$work"/callgrind.out.* 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')"
}

printf '%-22s %s\n' "server" "instructions per echoed 64-byte message"
# WebSockets+prometheus: the same echo with swift-metrics bootstrapped to swift-prometheus, so
# that the library's instruments record (the other rows leave the no-op backend: nothing is).
for entry in "NIOWebSocket|NIOWebSocketEcho" "WebSockets|WebSocketsEcho --mode eventloop" "WebSockets-async|WebSocketsEcho --mode async" \
             "WebSockets+prometheus|WebSocketsEcho --mode eventloop --metrics prometheus"; do
    name=${entry%%|*}
    read -ra argv <<<"${entry#*|}"
    argv[0]="$work/${argv[0]}"
    read -r e1 t1 < <(measure 100000 "${argv[@]}")
    read -r e2 t2 < <(measure 300000 "${argv[@]}")
    python3 -c "print(f'{\"$name\":<22} {($t2 - $t1) / ($e2 - $e1):,.0f}')"
done
