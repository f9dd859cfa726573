#!/usr/bin/env bash
# Does `websockets serve` scale with its event loops? Runs it with 1 loop and then with N loops
# (--event-loops), each time under loadgen's scenario (b) (100 connections x 16 in flight x
# 64 B), and prints messages per second of the server's own CPU: if that figure holds from 1
# loop to N, each added loop (and core) adds the same capacity, and only the machine's cores
# and the load generator stand in the way. It also prints each loop thread's share of the
# server's CPU (are the connections spread evenly?), and how often the loops slept in
# epoll_wait for want of work (voluntary context switches) or were preempted (involuntary).
# A loop that sleeps often does less per wake-up (fewer messages per read and per write), so
# msg/server-CPU-s holds only while every loop has more work than it can do.
#
#   Benchmarks/loop-scaling.sh [-t SECONDS] [--runs N] [--loops N] [--port PORT]
#
#   -t SECONDS   each measured run (default 5)
#   --runs N     runs of each loop count, interleaved; the table shows medians (default 3)
#   --loops N    the largest loop count (default: the machine's CPUs, at least 2); the counts
#                run are 1 and N
#
# On a machine with more cores than loops + 1, the server gets cores of its own (CPUs 1..N)
# and loadgen CPU 0. With two CPUs, one loop runs on CPU 1 and two loops on CPUs 0 and 1,
# beside loadgen on CPU 0: the message rate cannot then double (loadgen takes a core), but
# the rate per server CPU-second still says whether a second loop costs anything per message.
# Needs gcc, make, taskset and python3; builds websockets (release). Every command is bounded;
# the server is stopped by PID.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen_dir="$root/Benchmarks/LoadGen"
seconds=5
runs=3
cpus=$(nproc)
max_loops=$(( cpus > 2 ? cpus - 1 : 2 ))
port=9447
while [ $# -gt 0 ]; do
    case $1 in
        -t) seconds=${2:?-t needs seconds}; shift 2 ;;
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --loops) max_loops=${2:?--loops needs a number}; shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "loop-scaling: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ && $seconds -le 300 ]] || { echo "loop-scaling: -t takes 1 to 300 seconds" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ && $runs -le 20 ]] || { echo "loop-scaling: --runs takes 1 to 20" >&2; exit 2; }
[[ $max_loops =~ ^[2-9]$|^[1-9][0-9]+$ && $max_loops -le 256 ]] || { echo "loop-scaling: --loops takes 2 to 256" >&2; exit 2; }
[ "$cpus" -ge 2 ] || { echo "loop-scaling: needs two CPUs" >&2; exit 1; }

timeout 120 make -s -C "$loadgen_dir" >&2
timeout 1800 swift build -c release --package-path "$root" --product websockets >&2
server="$root/.build/release/websockets"
loadgen="$loadgen_dir/.build/loadgen"
work=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
raw="$work/runs.jsonl"

# The CPUs for N loops: 1..N when the machine has more than N, else all of them.
cpus_for() {
    if [ "$1" -eq 1 ]; then echo 1
    elif [ "$cpus" -gt "$1" ]; then echo "1-$1"
    else echo "0-$((cpus - 1))"
    fi
}

# CPU ticks and context switches of each event loop thread of $pid: "name ticks sleeps
# preemptions" lines (voluntary and involuntary switches).
loop_ticks() {
    for task in /proc/"$pid"/task/*; do
        name=$(cat "$task/comm" 2>/dev/null) || continue
        [[ $name == NIO-SGLTN* ]] || continue
        # utime and stime are fields 14 and 15, after the name in parentheses.
        ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$task/stat")
        echo "$name $ticks $(awk '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 } END { print v, n }' "$task/status")"
    done
}

started=$(date +%s)
for run in $(seq "$runs"); do
    for loops in 1 "$max_loops"; do
        taskset -c "$(cpus_for "$loops")" "$server" serve --no-deflate --event-loops "$loops" --port "$port" --log-level warning >"$work/serve.log" 2>&1 &
        pid=$!
        for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; echo "loop-scaling: serve did not start" >&2; exit 1; }
        echo "==> $loops loop(s) on CPUs $(cpus_for "$loops"), run $run" >&2
        # The loops' ticks over the measured window only: loadgen warms up for 1 s first.
        ( sleep 1.2; loop_ticks >"$work/before" ) &
        sampler=$!
        timeout --kill-after=5 $((seconds + 40)) taskset -c 0 "$loadgen" -p "$port" --pid "$pid" -m throughput -c 100 -d 16 -s 64 \
            -t "$seconds" >"$work/out" 2>"$work/err" || true
        wait "$sampler" || true
        loop_ticks >"$work/after"
        kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
        grep '^RESULT' "$work/out" >&2 || sed 's/^/    /' "$work/err" >&2
        python3 - "$loops" "$run" "$work/out" "$work/before" "$work/after" >>"$raw" <<'PY'
import json, sys
loops, run, out, before, after = int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:]
def read(path):
    return {name: tuple(map(int, rest)) for name, *rest in (line.split() for line in open(path) if line.strip())}
b, a = read(before), read(after)
delta = lambda i: {name: a[name][i] - b.get(name, (0, 0, 0))[i] for name in a}
used, sleeps, switches = delta(0), sum(delta(1).values()), sum(delta(2).values())
try:
    result = json.loads(open(out).read().splitlines()[-1])
except (IndexError, ValueError):
    result = None
print(json.dumps({"loops": loops, "run": run, "result": result, "loop_ticks": used, "sleeps": sleeps, "preempted": switches}))
PY
    done
done

python3 - "$raw" "$seconds" "$(( $(date +%s) - started ))" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
seconds, elapsed = sys.argv[2], sys.argv[3]
counts = sorted({r["loops"] for r in rows})
def med(loops, pick):
    values = [pick(r) for r in rows if r["loops"] == loops and r["result"]]
    return statistics.median(values) if values else None
per_cpu = lambda r: r["result"]["msgs_per_s"] * 100 / max(r["result"]["server_cpu_pct"], 1)
def shares(r):
    total = sum(r["loop_ticks"].values()) or 1
    return sorted(100 * t / total for t in r["loop_ticks"].values())
header = ["loops", "msg/s", "server CPU", "loadgen CPU", "msg/server-CPU-s", "vs 1 loop", "loops slept/s", "preempted/s", "loops' shares of the server's CPU"]
table = [header]
base = med(1, per_cpu)
for loops in counts:
    rate, cpu, client, capacity = med(loops, lambda r: r["result"]["msgs_per_s"]), med(loops, lambda r: r["result"]["server_cpu_pct"]), \
        med(loops, lambda r: r["result"]["client_cpu_pct"]), med(loops, per_cpu)
    first = next(r for r in rows if r["loops"] == loops and r["result"])
    table.append([str(loops), f"{rate:,.0f}", f"{cpu:.0f}%", f"{client:.0f}%", f"{capacity:,.0f}",
                  f"{capacity / base:.2f}" if base else "-", f"{med(loops, lambda r: r['sleeps']) / float(seconds):,.0f}",
                  f"{med(loops, lambda r: r['preempted']) / float(seconds):,.0f}", " / ".join(f"{s:.0f}%" for s in shares(first))])
widths = [max(len(row[i]) for row in table) for i in range(len(header))]
for i, row in enumerate(table):
    print("  ".join(v.rjust(w) for v, w in zip(row, widths)).rstrip())
    if i == 0:
        print("-" * (sum(widths) + 2 * (len(widths) - 1)))
errors = sum((r["result"] or {"errors": 1})["errors"] for r in rows)
runs = max(r["run"] for r in rows)
print(f"\n{seconds} s per run, {runs} run(s) per loop count (medians); run took {elapsed} s; errors {errors}.")
print("per run, msg/server-CPU-s: " + "; ".join(f'{r["loops"]} loop(s) {per_cpu(r):,.0f}' for r in rows if r["result"]))
PY
