#!/usr/bin/env bash
# What an idle connection costs `websockets serve` (the README's main command, release build):
# the project's load generator (Benchmarks/LoadGen) opens N connections, sends one 64-byte
# message on each per second for 5 rounds, and reads the server's resident memory before and
# after (loadgen -m idle). Beside RSS it reports the kernel's socket memory, which RSS does not
# count: the peak of /proc/net/sockstat's TCP "mem" while the connections are open (pages of
# both ends' buffers, the client's too), and the TCP sockets in use.
#
#   Benchmarks/idle-memory.sh [CONNECTIONS…]      (default: 1000 10000)
#   Benchmarks/idle-memory.sh 19000               # as many as a 20,000 open-file limit allows
#   SERVE_ARGS=--no-metrics Benchmarks/idle-memory.sh 1000   # more flags for serve (here: no metrics recorded)
#
# The server and loadgen each need an open file per connection: N must stay under `ulimit -Hn`
# (the script raises the soft limit to it). Above 25,000 connections loadgen spreads them over
# several loopback source addresses (--sources), since one address has about 28,000 ephemeral
# ports toward one server port. serve runs with --max-connections N (its default is 10,000).
# Needs gcc, make, taskset and two CPUs; the server is pinned to CPU 1, loadgen to CPU 0; every
# command is bounded, the server stopped by PID.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen_dir="$root/Benchmarks/LoadGen"
counts=("${@:-1000}")
[ $# -gt 0 ] || counts=(1000 10000)
for count in "${counts[@]}"; do
    [[ $count =~ ^[1-9][0-9]*$ && $count -le 100000 ]] || { echo "idle-memory: a count of connections is 1 to 100000, not '$count'" >&2; exit 2; }
done
timeout 120 make -s -C "$loadgen_dir" >&2
timeout 1800 swift build -c release --package-path "$root" --product websockets >&2
server="$root/.build/release/websockets"
port=9446
pid=""
sampler=""
work=$(mktemp -d)
trap '[ -z "$sampler" ] || kill "$sampler" 2>/dev/null; [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# The TCP line of /proc/net/sockstat: "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1".
sockstat() { awk '$1 == "TCP:" { for (i = 2; i < NF; i += 2) if ($i == "'"$1"'") print $(i + 1) }' /proc/net/sockstat; }

for count in "${counts[@]}"; do
    [ "$(ulimit -Hn)" -gt $((count + 100)) ] || { echo "idle-memory: $count connections need more open files than ulimit -Hn ($(ulimit -Hn)) allows" >&2; exit 1; }
    ulimit -Sn "$(ulimit -Hn)"
    sources=$(( (count + 24999) / 25000 ))
    base_mem=$(sockstat mem) base_inuse=$(sockstat inuse)
    # shellcheck disable=SC2086 # SERVE_ARGS is a list of flags
    taskset -c 1 "$server" serve --port "$port" --log-level warning --max-connections $((count + 100)) ${SERVE_ARGS:-} >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    # The peak of the kernel's TCP memory and sockets while loadgen runs, every 0.2 s.
    ( peak_mem=0 peak_inuse=0
      while :; do
          m=$(sockstat mem) u=$(sockstat inuse)
          [ "$m" -le "$peak_mem" ] || peak_mem=$m
          [ "$u" -le "$peak_inuse" ] || peak_inuse=$u
          echo "$peak_mem $peak_inuse" >"$work/peak"
          sleep 0.2
      done ) &
    sampler=$!
    result=$(taskset -c 0 timeout 600 "$loadgen_dir/.build/loadgen" -p "$port" -m idle -c "$count" --rounds 5 --sources "$sources" \
        --connect-timeout 60 --pid "$pid" 2>/dev/null | grep '^RESULT' || true)
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    sampler=""
    kill -INT "$pid"
    wait "$pid" || true
    pid=""
    read -r peak_mem peak_inuse <"$work/peak"
    page_kib=$(( $(getconf PAGESIZE) / 1024 ))
    socket_kib=$(( (peak_mem - base_mem) * page_kib ))
    echo "$count connections: $(grep -o 'survived=[0-9]*' <<<"$result"), $(grep -o 'per_conn=[0-9.]*KiB' <<<"$result") of resident memory each ($(grep -o 'rss_base=[0-9]*KiB' <<<"$result"), $(grep -o 'rss_end=[0-9]*KiB' <<<"$result")); kernel: $((peak_inuse - base_inuse)) more TCP sockets, $socket_kib KiB more socket memory at the peak ($(python3 -c "print(f'{$socket_kib / max($count, 1):.2f}')") KiB per connection, both ends)"
done
