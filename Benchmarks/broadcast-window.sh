#!/usr/bin/env bash
# Broadcast throughput against the window: how many messages a publisher keeps outstanding.
# loadgen's fanout mode (Benchmarks/LoadGen) subscribes R receivers to one topic of a server,
# and a publisher keeps W messages outstanding (each until every receiver has it); the script
# sweeps W and prints deliveries per second and per second of the server's own CPU, and the
# p99 from publish to delivery, for two shapes: 1,000 receivers x 64 B and 100 receivers x
# 16 KiB. A server whose rate falls as the window grows, or that needs a deep window to reach
# its peak, shows it here.
#
#   Benchmarks/broadcast-window.sh [-t SECONDS] [--windows 8,16,...] [--server NAME|PATH|COMMAND]...
#
#   -t SECONDS        each measured window (default 3, after a 1 s warm-up)
#   --windows LIST    the windows (default 8,16,32,64,128,256)
#   --server NAME|PATH|COMMAND
#                     a server to measure, in place of the default (repeat it); PATH is the
#                     topic's upgrade target, {PORT} in COMMAND the port. What a receiver or
#                     the publisher sends on PATH must reach every other connection on it.
#                     Default: "serve|/topics/bench|.build/release/websockets serve
#                     --no-deflate --port {PORT}" (built here).
#
# Every run gets a fresh server pinned to CPU 1, loadgen pinned to CPU 0. Needs gcc, make,
# taskset, python3 and two CPUs. Every command is bounded; the server is stopped by PID.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen_dir="$root/Benchmarks/LoadGen"
loadgen="$loadgen_dir/.build/loadgen"
seconds=3
windows=8,16,32,64,128,256
port=9448
given=()
while [ $# -gt 0 ]; do
    case $1 in
        -t) seconds=${2:?-t needs seconds}; shift 2 ;;
        --windows) windows=${2:?--windows needs a list}; shift 2 ;;
        --server) [[ ${2:-} == ?*\|/*\|?* ]] || { echo "broadcast-window: --server takes NAME|PATH|COMMAND" >&2; exit 2; }
                  given+=("$2"); shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "broadcast-window: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ && $seconds -le 60 ]] || { echo "broadcast-window: -t takes 1 to 60 seconds" >&2; exit 2; }
[[ $windows =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "broadcast-window: --windows takes numbers separated by commas" >&2; exit 2; }
IFS=, read -ra window_list <<<"$windows"

timeout 120 make -s -C "$loadgen_dir" >&2
servers=("${given[@]}")
if [ ${#servers[@]} -eq 0 ]; then
    timeout 1800 swift build -c release --package-path "$root" --product websockets >&2
    servers=("serve|/topics/bench|$root/.build/release/websockets serve --no-deflate --port {PORT} --log-level warning")
fi
work=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -Sn "$(ulimit -Hn)"
raw="$work/runs.jsonl"
started=$(date +%s)

for shape in "1000 64" "100 16384"; do
    read -r receivers size <<<"$shape"
    for window in "${window_list[@]}"; do
        for entry in "${servers[@]}"; do
            name=${entry%%|*} rest=${entry#*|}
            path=${rest%%|*} command=${rest#*|}
            read -ra argv <<<"${command//\{PORT\}/$port}"
            taskset -c 1 "${argv[@]}" >"$work/server.log" 2>&1 &
            pid=$!
            for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "broadcast-window: $name did not start" >&2; exit 1; }
            echo "==> $name: $receivers receivers x $size B, window $window" >&2
            timeout --kill-after=5 $((seconds + 60)) taskset -c 0 "$loadgen" -m fanout -p "$port" --path "$path" --pid "$pid" \
                -c "$receivers" -s "$size" -d "$window" -t "$seconds" >"$work/out" 2>"$work/err" || true
            kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
            grep '^RESULT' "$work/out" | cut -c1-200 >&2 || sed 's/^/    /' "$work/err" | head -5 >&2
            json=$(tail -n 1 "$work/out")
            [[ $json == \{* ]] || json=null
            printf '{"server":"%s","receivers":%d,"size":%d,"window":%d,"result":%s}\n' "$name" "$receivers" "$size" "$window" "$json" >>"$raw"
        done
    done
done

python3 - "$raw" "$seconds" "$(( $(date +%s) - started ))" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
seconds, elapsed = sys.argv[2], sys.argv[3]
servers = list(dict.fromkeys(r["server"] for r in rows))
for receivers, size in sorted({(r["receivers"], r["size"]) for r in rows}, key=lambda k: k[1]):
    print(f"== {receivers:,} receivers x {size:,} B: deliveries/s (per server CPU-s) p99 ms")
    table = [["window"] + servers]
    for window in sorted({r["window"] for r in rows}):
        line = [str(window)]
        for s in servers:
            r = next((r for r in rows if (r["server"], r["receivers"], r["size"], r["window"]) == (s, receivers, size, window)), None)
            j = r and r["result"]
            if not j:
                line.append("-")
                continue
            rate = j["deliveries_per_s"]
            per_cpu = rate * 100 / max(j["server_cpu_pct"], 1)
            line.append(f"{rate:,.0f} ({per_cpu:,.0f}) {j['lat_us']['p99'] / 1000:.1f}" + ("" if not j["errors"] else f" [{j['errors']} errors]"))
        table.append(line)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths)))
    for s in servers:
        rates = [r["result"]["deliveries_per_s"] for r in rows if r["server"] == s and r["result"] and (r["receivers"], r["size"]) == (receivers, size)]
        if rates:
            print(f"{s}: peak {max(rates):,.0f}, lowest {min(rates):,.0f} ({min(rates) / max(rates):.2f} of the peak)")
    print()
print(f"{seconds} s per run; run took {elapsed} s. loadgen's own CPU bounds what it can count: see the RESULT lines above.")
PY
