#!/usr/bin/env bash
# Soak test of `websockets serve` (release build): N connections held for M minutes under mixed
# load, the server sampled every second, then checked for what it kept. Tests/Soak/soak_client.py
# is the client (Python's websockets, from Scripts/interop-env.sh's venv, in --procs processes)
# and the judge; Tests/Soak/plot.py draws the samples.
#
#   Tests/Soak/soak.sh [--minutes M] [--connections N] [--binary PATH] [--out DIR] [--procs P]
#       M  minutes of load, the ramp-up included (default 30; CI runs --minutes 2)
#       N  connections held (default 10000); the server may have N + N/5 + 100
#       PATH  a `websockets` to test (default: a fresh `swift build -c release --product websockets`)
#       DIR   where samples.csv, samples.svg, summary.json, metrics.txt and the server's output go
#             (default: a new temp dir; its path is printed)
#       P  client processes sharing the connections (default 2)
#
# The load: about N - 16 normal connections, each echoing a message every 4 s on average (64 B,
# 1 KiB, 16 KiB or 256 KiB, weights 60/28/10/2; text or binary; each echo compared byte for byte),
# a quarter of them with permessage-deflate; 100 of them a second closed with 1000 and reopened;
# each opens with one 64 KiB echo, so that its buffers on the server are grown from the start
# (Tests/Soak/soak_client.py --no-prime leaves that out);
# 8 slow readers (256 KiB/s while they send as fast as they can: the server's outbound budget
# engages; a Close from the server is counted, not an error) and 8 dead peers (stop reading and
# answering Pings after one echo; the server, run with --ping-interval 5 --ping-timeout 5, must
# send them a Close with 1011 and drop them within 30 s).
#
# It passes (exit 0) when, and prints one summary line either way:
#  - no echo differs, times out or is lost; no connection fails to open; every close is 1000
#    (a dead peer's 1011; a slow reader's may be 1008, 1011 or 1006); every dead peer is dropped;
#  - RSS after the warm-up stays within ±5% of the median of those samples, every sample: the
#    samples from min(2/3 of M, 5 min) into the load (and at least 10 s after every connection
#    first opened) to its end, 20 at least. The warm-up is that long because a server connection
#    keeps the buffers its traffic grew until it closes (its outbound buffer, up to 256 KiB; the
#    channel's receive buffers, 64 KiB each; the unmasking buffer, up to 64 KiB): at 10,000
#    connections RSS climbs for some minutes, to about 1.8 GB, before it settles; growth after
#    that is memory that is not given back. A run of M = 2 only sees gross growth (over ±5% in
#    its last 40 s); the 30-minute run (Docs/soak-rss.svg) is the one that shows it settle;
#  - once the load has stopped and the client has closed everything, the server's open file
#    descriptors are back to the count before the load (+2 allowed) within 30 s;
#  - the server is still running, answers an echo (with and without permessage-deflate) and
#    stops on SIGTERM within 15 s.
# Loopback only; every process runs under `timeout` and is stopped by its PID; no stdin needed.
# Needs a hard open-file limit of N + 300 or more (the soft limit is raised to it). Wall time:
# M minutes plus about 40 s (the binary's build aside).
set -euo pipefail

minutes=30
connections=10000
binary=""
out=""
procs=2
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --minutes) minutes=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --binary) binary=$(realpath -- "${2:?}"); shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        --procs) procs=${2:?}; shift 2 ;;
        -h|--help) usage ;;
        *) echo "soak: unknown argument $1" >&2; usage ;;
    esac
done
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "soak: --minutes must be a number" >&2; exit 2; }
[[ $connections =~ ^[0-9]+$ ]] && [ "$connections" -ge 100 ] || { echo "soak: --connections must be 100 or more" >&2; exit 2; }
[[ $procs =~ ^[1-9][0-9]*$ ]] || { echo "soak: --procs must be a positive number" >&2; exit 2; }

cd "$(dirname "$0")/../.."
root=$(pwd)
if [ -z "$out" ]; then out=$(mktemp -d /tmp/soak.XXXXXX); fi
mkdir -p "$out"
out=$(realpath -- "$out")
echo "soak: output in $out"

hard=$(ulimit -Hn)
# Root (CI) may raise the hard limit itself.
if [ "$hard" != unlimited ] && [ "$hard" -lt $((connections + 300)) ]; then
    ulimit -Hn $((connections + 300)) 2>/dev/null && hard=$(ulimit -Hn)
fi
[ "$hard" = unlimited ] || [ "$hard" -ge $((connections + 300)) ] || {
    echo "soak: $connections connections need an open-file limit of $((connections + 300)); ulimit -Hn is $hard" >&2; exit 1; }
ulimit -Sn "$hard"

python=$(timeout 600 "$root/Scripts/interop-env.sh" </dev/null | tail -n 1)
[ -x "$python" ] || { echo "soak: no Python venv from Scripts/interop-env.sh" >&2; exit 1; }

if [ -z "$binary" ]; then
    timeout 1800 swift build -c release --product websockets >"$out/build.log" 2>&1 </dev/null || { tail -30 "$out/build.log" >&2; exit 1; }
    binary="$(swift build -c release --show-bin-path)/websockets"
fi
[ -x "$binary" ] || { echo "soak: $binary is not a program" >&2; exit 1; }

budget=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 + 300 }')
timeout_pid=""
server_pid=""
client_pid=""
stop_all() {
    [ -z "$client_pid" ] || kill "$client_pid" 2>/dev/null || true
    [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
    [ -z "$timeout_pid" ] || kill "$timeout_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap stop_all EXIT

# The server, on a free port: its PID is the child of `timeout`'s.
timeout --kill-after=10 "$((budget + 60))" "$binary" serve --host 127.0.0.1 --port 0 \
    --max-connections $((connections + connections / 5 + 100)) --ping-interval 5 --ping-timeout 5 --metrics \
    >"$out/serve.out" 2>"$out/serve.err" </dev/null &
timeout_pid=$!
port=""
for _ in $(seq 200); do
    port=$(grep -o '127.0.0.1:[0-9]*' "$out/serve.out" 2>/dev/null | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    kill -0 "$timeout_pid" 2>/dev/null || break
    sleep 0.05
done
server_pid=$(cat "/proc/$timeout_pid/task/$timeout_pid/children" 2>/dev/null | awk '{ print $1 }' || true)
if [ -z "$port" ] || [ -z "$server_pid" ]; then
    echo "soak: the server did not start:" >&2
    cat "$out/serve.out" "$out/serve.err" >&2
    exit 1
fi
echo "soak: $binary serve on 127.0.0.1:$port, PID $server_pid"

status=0
timeout --kill-after=10 "$budget" "$python" Tests/Soak/soak_client.py --port "$port" --server-pid "$server_pid" \
    --out "$out" --minutes "$minutes" --connections "$connections" --procs "$procs" \
    --ping-interval 5 --ping-timeout 5 </dev/null > >(tee "$out/client.out") &
client_pid=$!
wait "$client_pid" || status=$?
client_pid=""
[ -s "$out/summary.json" ] || { echo "soak: FAIL: the client ended without a summary (exit $status)" >&2; status=1; }

# The server stops on SIGTERM, in time.
if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "soak: FAIL: the server did not stop within 15 s of SIGTERM" >&2
        status=1
    fi
    server_status=0
    wait "$timeout_pid" || server_status=$?
    timeout_pid=""
    server_pid=""
    if [ "$server_status" -ne 0 ]; then
        echo "soak: FAIL: the server exited with status $server_status on SIGTERM" >&2
        status=1
    fi
else
    echo "soak: FAIL: the server is not running at the end" >&2
    status=1
fi
if grep -qiE 'fatal error|crash|segmentation|backtrace' "$out/serve.err"; then
    echo "soak: FAIL: the server's stderr reports a crash ($out/serve.err)" >&2
    status=1
fi

timeout 60 "$python" Tests/Soak/plot.py "$out/samples.csv" "$out/samples.svg" </dev/null || echo "soak: could not plot $out/samples.csv" >&2
echo "soak: $out/samples.csv, $out/samples.svg, $out/summary.json"
exit "$status"
