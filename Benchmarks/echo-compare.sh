#!/usr/bin/env bash
# Compares WebSocket echo servers under the project's load generator (Benchmarks/LoadGen), in one run, and prints one
# table: per server, latency p50/p99/p99.9, small-message rate and its p99, large-message MB/s, idle memory per
# connection, and the instructions and heap allocations per echoed message, with each server's ratio to the first
# (the baseline) when more than one ran. The
# rates per second of the server's own CPU (msg/CPU-s, MB/CPU-s) are its capacity: they hold
# when loadgen, not the server, is the limit (loadgen then uses ~95% of its core).
#
#   Benchmarks/echo-compare.sh [-t SECONDS] [--runs N] [--only a,b,c,d,e,f,i,m] [--size BYTES] [--port PORT]
#                              [--path PATH] [--server NAME|COMMAND]...
#
#   -t SECONDS     length of each measured scenario, and rounds of (d) (default 5)
#   --runs N       runs of each of a-f per server, interleaved; the table shows medians (default 1)
#   --only LIST    scenarios to run, comma-separated (default a,b,c,d,e,f,i,m):
#                    a  latency: 1 connection, one 64 B message in flight
#                    b  small messages: 100 connections x 16 in flight x 64 B
#                    c  large messages: 10 connections x 4 in flight x 16 KiB
#                    d  idle: 1000 connections, one message each per second
#                    e  new connections: 64 at a time, each upgraded, closed (close frame and
#                       answer) and replaced; connections/s, and per second of the server's CPU
#                    f  the same, each connection echoing one 64 B message before it closes
#                    i  user-space instructions per echoed message in (b)'s shape: the server under
#                       valgrind's callgrind for 100,000 and then 300,000 messages, the difference in
#                       instructions over the difference in messages (exact; needs valgrind)
#                    m  heap allocations per echoed message in (b): an LD_PRELOAD counter
#                       (AllocCounter/), read after 2 s and 6 s runs, the same difference
#   --size BYTES   the message size of (i) and (m) (default 64)
#   --port PORT    port the servers listen on (default 9002)
#   --path PATH    the upgrade request's target (default /)
#   --server NAME|COMMAND, or NAME|/PATH|COMMAND
#                  a server to compare, in place of the default list (repeat it; the first is
#                  the baseline); {PORT} in COMMAND stands for the port, /PATH is its own target. The caller builds it:
#                  Benchmarks/EchoServers is then not built. Benchmarks/adapter-compare.sh uses it.
#
# Needs gcc, make, taskset, timeout, python3 and two CPUs. Each scenario gets a fresh server process pinned to CPU 1 (so (d) measures memory in
# a process that has not run the other scenarios), with loadgen pinned to CPU 0. Every command
# is bounded in time; a trap stops the server on any exit. Raw JSON goes to Benchmarks/results/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen_dir="$root/Benchmarks/LoadGen"
loadgen="$loadgen_dir/.build/loadgen"
package="$root/Benchmarks/EchoServers"
bin="$package/.build/release"
# The yardstick's own limit: a minimal C echo server (CeilingEcho/ceiling-echo.c) that does the
# least any WebSocket server can per message; a figure near its own is loadgen's limit.
ceiling="$root/Benchmarks/CeilingEcho/.build/ceiling-echo"

# The servers, baseline first, one line each: "NAME|COMMAND", where {PORT} stands for the port.
# A server must accept WebSocket upgrades on --path (default: any path) at 127.0.0.1:{PORT}, echo every data
# frame, and exit on SIGTERM; words are split on spaces, so paths must have none. To add one, build it as another executable of
# Benchmarks/EchoServers and add its line, for example:
#   "WebSockets|$bin/WebSocketsEcho --port {PORT}"
servers=(
    "NIOWebSocket|$bin/NIOWebSocketEcho --port {PORT}"
    "WebSockets|$bin/WebSocketsEcho --port {PORT} --mode eventloop"
    "WebSockets-async|$bin/WebSocketsEcho --port {PORT} --mode async"
    "ceiling|$ceiling --port {PORT}"
)

seconds=5
runs=1
size=64
only="a,b,c,d,e,f,i,m"
port=9002
path=/
given=()
while [ $# -gt 0 ]; do
    case $1 in
        --path) path=${2:?--path needs a target such as /echo}; shift 2 ;;
        --server)
            [[ ${2:-} == ?*\|?* ]] || { echo "echo-compare: --server takes NAME|COMMAND" >&2; exit 2; }
            given+=("$2"); shift 2 ;;
        -t) seconds=${2:?-t needs a number of seconds}; shift 2 ;;
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --size) size=${2:?--size needs a number of bytes}; shift 2 ;;
        --only) only=${2:?--only needs a list such as a,b}; shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "echo-compare: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ && $seconds -le 300 ]] || { echo "echo-compare: -t takes whole seconds, 1 to 300" >&2; exit 2; }
[[ $size =~ ^[0-9]+$ && $size -le 16777216 ]] || { echo "echo-compare: --size takes 0 to 16777216 bytes" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ && $runs -le 20 ]] || { echo "echo-compare: --runs takes 1 to 20" >&2; exit 2; }
[[ $port =~ ^[1-9][0-9]*$ && $port -le 65535 ]] || { echo "echo-compare: bad port '$port'" >&2; exit 2; }
[[ $path == /* && $path != *[[:space:]]* ]] || { echo "echo-compare: --path must start with / and hold no spaces" >&2; exit 2; }
[ ${#given[@]} -eq 0 ] || servers=("${given[@]}")
IFS=, read -ra scenarios <<<"$only"
for s in "${scenarios[@]}"; do
    [[ $s =~ ^[abcdefim]$ ]] || { echo "echo-compare: unknown scenario '$s' (a, b, c, d, e, f, i or m)" >&2; exit 2; }
    if [ "$s" = i ] && ! command -v valgrind >/dev/null; then
        echo "echo-compare: (i) needs valgrind (apt-get install valgrind), or leave it out: --only a,b,c,d,m" >&2
        exit 1
    fi
done
for tool in make gcc pkg-config taskset timeout python3 swift; do
    command -v "$tool" >/dev/null || { echo "echo-compare: $tool is not on PATH" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "echo-compare: needs two CPUs (server on 1, loadgen on 0)" >&2; exit 1; }

# loadgen's arguments for a scenario, without port and pid.
scenario_args() {
    case $1 in
        a) echo "-m latency -c 1 -s 64 -t $seconds" ;;
        b) echo "-m throughput -c 100 -d 16 -s 64 -t $seconds" ;;
        c) echo "-m throughput -c 10 -d 4 -s 16384 -t $seconds" ;;
        d) echo "-m idle -c 1000 --rounds $seconds" ;;
        e) echo "-m connect -c 64 --rounds 0 -t $seconds" ;;
        f) echo "-m connect -c 64 --rounds 1 -s 64 -t $seconds" ;;
    esac
}

work=$(mktemp -d)
server_pid=""
loadgen_pid=""
mkdir -p "$root/Benchmarks/results"
raw="$root/Benchmarks/results/echo-compare-$(date +%Y%m%d-%H%M%S).jsonl"

# Stops the running server: SIGTERM, then SIGKILL after $1 tenths of a second (default 5 s);
# returns once the process is gone.
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq "${1:-50}"); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "echo-compare: server $server_pid ignored SIGTERM for $(( ${1:-50} / 10 )) s; killing it" >&2
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
trap '[ -z "$loadgen_pid" ] || kill "$loadgen_pid" 2>/dev/null; stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

port_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# Starts server NAME (command in $2) pinned to CPU 1 and waits up to 30 s for its port (60 s
# under valgrind). What comes before the command (valgrind, env LD_PRELOAD=...) is in $3.
# Returns 1, having said why, if it exits first or does not listen in time.
start_server() {
    local name=$1 command=${2//\{PORT\}/$port} prefix=${3:-}
    local -a argv
    read -ra argv <<<"$prefix $command"
    if port_accepts; then
        echo "echo-compare: something already listens on port $port; stop it or pass --port" >&2
        exit 1
    fi
    taskset -c 1 "${argv[@]}" >"$work/$name.log" 2>&1 &
    server_pid=$!
    for _ in $(seq $([ -n "$prefix" ] && echo 600 || echo 300)); do
        port_accepts && return 0
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "echo-compare: $name exited before listening:" >&2
            grep -v '^==[0-9]*== *$' "$work/$name.log" | tail -15 >&2
            server_pid=""
            return 1
        fi
        sleep 0.1
    done
    echo "echo-compare: $name did not accept on port $port in time" >&2
    stop_server
    return 1
}

# loadgen in (b)'s shape (with --size) against the running server with $@ added; prints the
# messages it saw echoed.
echoed() {
    timeout --kill-after=5 900 taskset -c 0 "$loadgen" -p "$port" --path "$target" -m throughput -c 100 -d 16 -s "$size" "$@" \
        >"$work/out" 2>"$work/err" || true
    tail -n 1 "$work/out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["echoed"])' 2>/dev/null \
        || { echo "echo-compare: $name: loadgen gave no result" >&2; sed 's/^/    /' "$work/err" | head -5 >&2; echo 0; }
}

# (i): the server under callgrind for $3 messages; sets $counted (messages) and $instructions. valgrind cannot
# read the Swift compiler's debug information, so it runs a copy of the executable without it.
instructions_for() {
    local name=$1 command=$2 messages=$3 executable
    local -a argv
    read -ra argv <<<"${command//\{PORT\}/$port}"
    executable=$(command -v "${argv[0]}")
    cp "$executable" "$work/$name.exe"
    strip --strip-debug "$work/$name.exe" 2>/dev/null || true
    rm -f "$work"/callgrind.out.*
    start_server "$name" "$work/$name.exe ${argv[*]:1}" "valgrind --tool=callgrind --callgrind-out-file=$work/callgrind.out.%p" || return 1
    counted=$(echoed -t 600 -w 0 --max-msgs "$messages")
    stop_server 600
    instructions=$(callgrind_annotate "$work"/callgrind.out.* 2>/dev/null | awk '/PROGRAM TOTALS/ && !seen { gsub(",", "", $1); print $1; seen = 1 }')
}

# (m): the server's allocations so far, from the counter's line on SIGUSR2.
allocations_so_far() {
    kill -USR2 "$server_pid"
    sleep 0.3
    grep '^ALLOCS' "$work/$name.log" | tail -1 | awk '{print $2}'
}

# Appends one row to the raw results: server, scenario, loadgen's exit, result JSON, run.
record() { printf '{"server":"%s","scenario":"%s","loadgen_exit":%d,"result":%s,"run":%d}\n' "$1" "$2" "$3" "$4" "${5:-1}" >>"$raw"; }

started=$(date +%s)
echo "==> building loadgen and the echo servers (release)" >&2
timeout 120 make -s -C "$loadgen_dir" >&2
pkg-config --exists libcrypto \
    || { echo "echo-compare: ceiling-echo needs libcrypto (apt-get install libssl-dev)" >&2; exit 1; }
mkdir -p "$(dirname "$ceiling")"
timeout 120 gcc -O2 -Wall -o "$ceiling" "$root/Benchmarks/CeilingEcho/ceiling-echo.c" $(pkg-config --libs libcrypto) >&2
timeout 120 gcc -O2 -shared -fPIC -o "$work/alloc-counter.so" "$root/Benchmarks/AllocCounter/alloc-counter.c" >&2
if [ ${#given[@]} -eq 0 ]; then
    timeout 3600 swift build -c release --package-path "$package" >"$work/build.log" 2>&1 \
        || { tail -40 "$work/build.log" >&2; echo "echo-compare: swift build failed" >&2; exit 1; }
fi

# Scenario by scenario, each server in turn, so that the servers compared in a scenario run
# close together in time and see the same drift of the machine; with --runs, run after run.
for s in "${scenarios[@]}"; do
  for run in $(seq "$([[ $s == [im] ]] && echo 1 || echo "$runs")"); do
    for entry in "${servers[@]}"; do
        name=${entry%%|*}
        command=${entry#*|}
        target=$path
        # NAME|/PATH|COMMAND: this server's own upgrade target.
        if [[ $command == /*\|* ]]; then target=${command%%|*}; command=${command#*|}; fi
        if [ "$s" = i ]; then
            echo "==> $name (i): callgrind, 100,000 then 300,000 messages" >&2
            e1=0 t1=0 e2=0 t2=0
            if instructions_for "$name" "$command" 100000; then
                e1=$counted t1=$instructions
                ! instructions_for "$name" "$command" 300000 || { e2=$counted t2=$instructions; }
            fi
            json=$(python3 -c "import json; e1, t1, e2, t2 = $e1, ${t1:-0}, $e2, ${t2:-0}; ok = e2 > e1 and t2 > t1
print(json.dumps({'mode': 'instructions', 'per_msg': (t2 - t1) / (e2 - e1) if ok else None, 'errors': 0 if ok else 1}))")
            record "$name" i 0 "$json"
            continue
        fi
        if [ "$s" = m ]; then
            echo "==> $name (m): allocations over 2 s and 6 s of (b)" >&2
            a0=0 a1=0 a2=0 e1=0 e2=0
            if start_server "$name" "$command" "env LD_PRELOAD=$work/alloc-counter.so"; then
                a0=$(allocations_so_far); e1=$(echoed -t 2); a1=$(allocations_so_far); e2=$(echoed -t 6); a2=$(allocations_so_far)
                stop_server
            fi
            json=$(python3 -c "import json; a0, a1, a2, e1, e2 = ${a0:-0}, ${a1:-0}, ${a2:-0}, $e1, $e2; ok = a2 > 0 and e2 > e1
x = ((a2 - a1) - (a1 - a0)) / (e2 - e1) if ok else None
print(json.dumps({'mode': 'allocations', 'per_msg': (0.0 if abs(x) < 0.0005 else x) if ok else None, 'errors': 0 if ok else 1}))")
            record "$name" m 0 "$json"
            continue
        fi
        start_server "$name" "$command" || exit 1
        read -ra args <<<"$(scenario_args "$s")"
        echo "==> $name ($s): loadgen ${args[*]}" >&2
        status=0
        # loadgen's own hard deadline is connect (10 s) + warm-up (1 s) + run + 10 s (+ rounds + 3 s
        # idle). It runs in the background so that a signal to this script is handled at once.
        timeout --kill-after=5 $((2 * seconds + 40)) taskset -c 0 "$loadgen" -p "$port" --pid "$server_pid" \
            --path "$target" --label "$name" "${args[@]}" >"$work/out" 2>"$work/err" &
        loadgen_pid=$!
        wait "$loadgen_pid" || status=$?
        loadgen_pid=""
        stop_server
        grep '^RESULT' "$work/out" >&2 || true
        if [ -s "$work/err" ]; then sed 's/^/    /' "$work/err" | head -5 >&2; fi
        json=$(tail -n 1 "$work/out")
        [[ $json == \{* ]] || { echo "echo-compare: loadgen gave no result (exit $status)" >&2; json=null; }
        record "$name" "$s" "$status" "$json" "$run"
    done
  done
done

echo >&2
python3 - "$raw" "$seconds" "$(( $(date +%s) - started ))" "$size" <<'PY'
import json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
seconds, elapsed, size = sys.argv[2], sys.argv[3], int(sys.argv[4])
servers = list(dict.fromkeys(r["server"] for r in rows))
by = {}
for r in rows:
    by.setdefault((r["server"], r["scenario"]), []).append(r)
runs = max(r.get("run", 1) for r in rows)

def metric(server, scenario, pick):
    """The median over the runs of what pick reads from a result."""
    values = [pick(r["result"]) for r in by.get((server, scenario), []) if r["result"]]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

# column title, scenario, value, format, higher is better
columns = [
    ("p50 µs (a)", "a", lambda j: j["lat_us"]["p50"], "{:.1f}", False),
    ("p99 µs (a)", "a", lambda j: j["lat_us"]["p99"], "{:.1f}", False),
    ("p99.9 µs (a)", "a", lambda j: j["lat_us"]["p999"], "{:.1f}", False),
    ("small msg/s (b)", "b", lambda j: j["msgs_per_s"], "{:,.0f}", True),
    ("p99 µs (b)", "b", lambda j: j["lat_us"]["p99"], "{:.0f}", False),
    ("large MB/s (c)", "c", lambda j: j["mb_per_s"], "{:.1f}", True),
    # What the server does per second of its own CPU: its capacity, even when loadgen is the limit.
    ("small msg/CPU-s (b)", "b", lambda j: j["msgs_per_s"] * 100 / max(j["server_cpu_pct"], 1), "{:,.0f}", True),
    ("large MB/CPU-s (c)", "c", lambda j: j["mb_per_s"] * 100 / max(j["server_cpu_pct"], 1), "{:.0f}", True),
    ("idle KiB/conn (d)", "d", lambda j: (j["rss_end_kb"] - j["rss_base_kb"]) / j["conns"], "{:.1f}", False),
    ("new conn/s (e)", "e", lambda j: j["msgs_per_s"], "{:,.0f}", True),
    ("conn/CPU-s (e)", "e", lambda j: j["msgs_per_s"] * 100 / max(j["server_cpu_pct"], 1), "{:,.0f}", True),
    ("to 101 p99 µs (e)", "e", lambda j: j["lat_us"]["p99"], "{:,.0f}", False),
    ("conn+echo/CPU-s (f)", "f", lambda j: j["msgs_per_s"] * 100 / max(j["server_cpu_pct"], 1), "{:,.0f}", True),
    (f"instr/msg{'' if size == 64 else f' {size} B'} (i)", "i", lambda j: j["per_msg"], "{:,.0f}", False),
    (f"allocs/msg{'' if size == 64 else f' {size} B'} (m)", "m", lambda j: j["per_msg"], "{:.3f}", False),
]
columns = [c for c in columns if any((s, c[1]) in by for s in servers)]
baseline = servers[0]

def cell(server, col):
    title, scenario, pick, fmt, _ = col
    value = metric(server, scenario, pick)
    if value is None:
        return "-"
    text = fmt.format(value)
    if len(servers) > 1:
        base = metric(baseline, scenario, pick)
        text += f" ({value / base:.2f}×)" if base else " (-)"
    return text

header = ["server"] + [c[0] for c in columns] + ["errors"]
table = [header]
for s in servers:
    errors = sum((r["result"] or {}).get("errors", 1) for k in by if k[0] == s for r in by[k])
    table.append([s] + [cell(s, c) for c in columns] + [str(errors)])
widths = [max(len(row[i]) for row in table) for i in range(len(header))]
for i, row in enumerate(table):
    print("  ".join(v.ljust(w) if j == 0 else v.rjust(w) for j, (v, w) in enumerate(zip(row, widths))).rstrip())
    if i == 0:
        print("-" * (sum(widths) + 2 * (len(widths) - 1)))
if len(servers) > 1:
    print(f"(×) = ratio to {baseline}, the baseline; lower is better for µs and KiB, higher for msg/s and MB/s.")
# How close each server came to the yardstick's own limit, when the ceiling server ran.
for scenario, key, unit in (("b", "msgs_per_s", "msg/s"), ("c", "mb_per_s", "MB/s")):
    top = metric("ceiling", scenario, lambda j: j[key])
    if not top:
        continue
    shares = [f"{s} {metric(s, scenario, lambda j: j[key]) / top:.2f}" for s in servers
              if s != "ceiling" and metric(s, scenario, lambda j: j[key])]
    print(f"({scenario}) share of ceiling's {top:,.0f} {unit} (loadgen's limit here): " + ", ".join(shares))

notes = []
for r in rows:
    j, tag = r["result"], f'{r["server"]} ({r["scenario"]})'
    if not j:
        notes.append(f"{tag}: loadgen gave no result (exit {r['loadgen_exit']})")
        continue
    if j["mode"] in ("instructions", "allocations"):
        if j["errors"]:
            notes.append(f"{tag}: no count (see the log above)")
        continue
    if j["errors"]:
        notes.append(f"{tag}: {j['errors']} errors (mismatches {j['mismatches']}, protocol {j['proto_errors']}, "
                     f"server closes {j['server_closes']}, connect {j['conn_failures']}, timed out {j['timed_out']})")
    if j["mode"] != "idle" and j["client_cpu_pct"] >= 95:
        notes.append(f"{tag}: loadgen used {j['client_cpu_pct']:.0f}% of its CPU: a lower bound on the server")
    if j["mode"] == "idle" and j["survived"] < j["conns"]:
        notes.append(f"{tag}: {j['survived']} of {j['conns']} connections survived")
    if j["other_cpu_pct"] > 25:
        notes.append(f"{tag}: other processes used {j['other_cpu_pct']:.0f}% CPU while measuring: noisy")
cpu = [f'{r["server"]} ({r["scenario"]}) {r["result"]["server_cpu_pct"]:.0f}%/{r["result"]["client_cpu_pct"]:.0f}%'
       for r in sorted(rows, key=lambda r: (servers.index(r["server"]), r["scenario"]))
       if r["result"] and r["result"]["mode"] in ("latency", "throughput") and r.get("run", 1) == 1]
each = f"{seconds} s per scenario" + (f", {runs} runs each (medians)" if runs > 1 else "")
print(f"\n{each}; run took {elapsed} s." + (f" CPU of server/loadgen" + (" (first run)" if runs > 1 else "") + ": " + ", ".join(cpu) + "." if cpu else ""))
for n in dict.fromkeys(notes):  # once, whichever runs it held in
    print("note: " + n)
print(f"raw results: {sys.argv[1]}")
PY
