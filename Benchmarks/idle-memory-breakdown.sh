#!/usr/bin/env bash
# Where an idle connection's memory goes in `websockets serve` (release build): the server
# runs under heaptrack, the project's load generator (Benchmarks/LoadGen) holds N idle
# connections (one 64-byte message on each per second, for a few rounds), and
# idle-memory-breakdown.py prints, from the heap at its peak, the bytes per connection of each
# part: NIO's receive buffer and channel, and each of this project's types that allocated
# under it; then the RSS growth per connection that loadgen measured without heaptrack, and
# the kernel's socket memory (/proc/net/sockstat), which RSS does not count.
#
#   Benchmarks/idle-memory-breakdown.sh [CONNECTIONS]      (default: 1000)
#   SERVE_ARGS=--no-metrics Benchmarks/idle-memory-breakdown.sh 1000
#
# Installs heaptrack (apt-get) when it is missing; needs gcc, make, taskset and two CPUs.
# Every command is bounded in time; the server is stopped by its PID.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen_dir="$root/Benchmarks/LoadGen"
count=${1:-1000}
if ! command -v heaptrack >/dev/null || ! command -v heaptrack_print >/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "idle-memory-breakdown: heaptrack is missing (apt-get install heaptrack, as root)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq heaptrack >/dev/null
fi
timeout 120 make -s -C "$loadgen_dir" >&2
timeout 1800 swift build -c release --package-path "$root" --product websockets >&2
server="$root/.build/release/websockets"
[ "$(ulimit -Hn)" -gt $((count + 100)) ] || { echo "idle-memory-breakdown: $count connections need more open files than ulimit -Hn allows" >&2; exit 1; }
ulimit -Sn "$(ulimit -Hn)"
work=$(mktemp -d)
port=9447
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

sockets() { awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat; }

# The figure without heaptrack: RSS growth, and the kernel's socket pages, per connection.
# shellcheck disable=SC2086 # SERVE_ARGS is a list of flags
taskset -c 1 "$server" serve --port "$port" --log-level warning ${SERVE_ARGS:-} >/dev/null 2>&1 &
pid=$!
sleep 1
pages_before=$(sockets)
result=$(taskset -c 0 timeout 300 "$loadgen_dir/.build/loadgen" -p "$port" -m idle -c "$count" --rounds 3 --pid "$pid" 2>/dev/null | grep '^RESULT')
pages_after=$(sockets)
kill -INT "$pid"; wait "$pid" || true; pid=""
per_conn=$(grep -o 'per_conn=[0-9.]*' <<<"$result" | cut -d= -f2)
survived=$(grep -o 'survived=[0-9]*' <<<"$result" | cut -d= -f2)
[ "$survived" = "$count" ] || { echo "idle-memory-breakdown: only $survived of $count connections survived" >&2; exit 1; }

# The same under heaptrack, for the parts.
# shellcheck disable=SC2086
taskset -c 1 timeout 600 heaptrack -o "$work/heap" "$server" serve --port "$port" --log-level warning ${SERVE_ARGS:-} >"$work/heaptrack.log" 2>&1 &
pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
taskset -c 0 timeout 300 "$loadgen_dir/.build/loadgen" -p "$port" -m idle -c "$count" --rounds 3 >/dev/null 2>&1
pkill -INT -P "$pid" 2>/dev/null || true  # heaptrack's child, the server
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true; pid=""
timeout 600 heaptrack_print -f "$work"/heap.* --print-peaks 1 --print-allocators 0 --print-temporary 0 --print-leaks 0 \
    -n 1000 -s 1000 >"$work/peaks.txt" 2>/dev/null
echo "$count idle connections (websockets serve ${SERVE_ARGS:-}):"
python3 "$root/Benchmarks/idle-memory-breakdown.py" --connections "$count" --rss-per-connection "$(python3 -c "print($per_conn * 1024)")" "$work/peaks.txt"
echo
echo "kernel socket memory: $(( (pages_after - pages_before) * 4096 / count )) bytes per connection (/proc/net/sockstat TCP mem, both ends, pages of 4 KiB; not in RSS)"
