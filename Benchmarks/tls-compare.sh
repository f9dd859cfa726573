#!/usr/bin/env bash
# Measures what TLS costs the project's echo server: ws against wss in one run, for small (64 B)
# and large (16 KiB) messages, and prints one table with the wss/ws ratio per size. The goal is
# that wss keeps at least 60% of ws's messages/s for 16 KiB messages (uWebSockets publishes
# 60-80%). The rates per second of the server's own CPU (msg/CPU-s) are its capacity: they
# hold when the client, not the server, is the limit (the client then uses ~95% of its core).
#
#   Benchmarks/tls-compare.sh [-t SECONDS] [--runs N] [--mode eventloop|async] [--port PORT]
#
#   -t SECONDS     length of each measured run, after a 1 s warm-up (default 5)
#   --runs N       rounds of ws then wss per size; the table shows the median (default 1)
#   --mode MODE    WebSocketsEcho's mode (default eventloop)
#   --port PORT    port the server listens on (default 9002)
#
# The sizes: small is 100 connections x 16 in flight x 64 B, large 10 connections x 4 in flight
# x 16 KiB, as in echo-compare.sh's (b) and (c). The load client is WebSocketsLoad
# (Benchmarks/EchoServers), on the project's own client pipeline (loadgen's --tls, in C over
# OpenSSL, measures the server the same way; this one stays as it was measured); for wss it verifies the server against a throw-away CA, as `localhost`. The CA and the
# server's certificate (for localhost and 127.0.0.1) are made with the openssl command in a
# temporary folder that is removed at the end.
#
# Needs swift, openssl, taskset, timeout, python3 and two CPUs. Each run gets a fresh server
# pinned to CPU 1, with the client pinned to CPU 0. Every command is bounded in time; a trap stops
# the server on any exit. Raw JSON goes to Benchmarks/results/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
package="$root/Benchmarks/EchoServers"
bin="$package/.build/release"

seconds=5
runs=1
mode=eventloop
port=9002
while [ $# -gt 0 ]; do
    case $1 in
        -t) seconds=${2:?-t needs a number of seconds}; shift 2 ;;
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --mode) mode=${2:?--mode needs eventloop or async}; shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "tls-compare: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ && $seconds -le 300 ]] || { echo "tls-compare: -t takes whole seconds, 1 to 300" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ && $runs -le 20 ]] || { echo "tls-compare: --runs takes 1 to 20" >&2; exit 2; }
[[ $mode == eventloop || $mode == async ]] || { echo "tls-compare: --mode takes eventloop or async" >&2; exit 2; }
[[ $port =~ ^[1-9][0-9]*$ && $port -le 65535 ]] || { echo "tls-compare: bad port '$port'" >&2; exit 2; }
for tool in openssl taskset timeout python3 swift; do
    command -v "$tool" >/dev/null || { echo "tls-compare: $tool is not on PATH" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "tls-compare: needs two CPUs (server on 1, client on 0)" >&2; exit 1; }

# The load client's arguments for a size, without port, pid and TLS.
size_args() {
    case $1 in
        small) echo "-c 100 -d 16 -s 64 -t $seconds" ;;
        large) echo "-c 10 -d 4 -s 16384 -t $seconds" ;;
    esac
}

work=$(mktemp -d)
server_pid=""
client_pid=""
mkdir -p "$root/Benchmarks/results"
raw="$root/Benchmarks/results/tls-compare-$(date +%Y%m%d-%H%M%S).jsonl"

# Stops the running server: SIGTERM, then SIGKILL after 5 s; returns once the process is gone,
# with its exit status in server_status (0 after a clean stop on SIGTERM).
server_status=0
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "tls-compare: server $server_pid ignored SIGTERM for 5 s; killing it" >&2
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    server_status=0
    wait "$server_pid" 2>/dev/null || server_status=$?
    server_pid=""
}
trap '[ -z "$client_pid" ] || kill "$client_pid" 2>/dev/null; stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

port_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# Starts WebSocketsEcho pinned to CPU 1 (with TLS for wss) and waits up to 30 s for its port.
start_server() {
    local protocol=$1
    local -a argv=("$bin/WebSocketsEcho" --port "$port" --mode "$mode")
    [ "$protocol" = ws ] || argv+=(--tls-cert "$work/server.pem" --tls-key "$work/server.key")
    if port_accepts; then
        echo "tls-compare: something already listens on port $port; stop it or pass --port" >&2
        exit 1
    fi
    taskset -c 1 "${argv[@]}" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 300); do
        port_accepts && return 0
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "tls-compare: the $protocol server exited before listening:" >&2
            cat "$work/server.log" >&2
            server_pid=""
            exit 1
        fi
        sleep 0.1
    done
    echo "tls-compare: the $protocol server did not accept on port $port within 30 s" >&2
    exit 1
}

# A throw-away CA and a server certificate it signed, for localhost and 127.0.0.1 (EC P-256,
# one day). Only the handshake uses the keys, so their type does not move the figures.
make_certificates() {
    local days=1
    timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
        -subj "/CN=tls-compare throw-away CA" -keyout "$work/ca.key" -out "$work/ca.pem" 2>"$work/openssl.log"
    timeout 30 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$work/server.key" -out "$work/server.csr" 2>>"$work/openssl.log"
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$work/server.ext"
    timeout 30 openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
        -days "$days" -extfile "$work/server.ext" -out "$work/server.pem" 2>>"$work/openssl.log"
}

started=$(date +%s)
echo "==> building the echo server and the load client (release)" >&2
timeout 3600 swift build -c release --package-path "$package" >"$work/build.log" 2>&1 \
    || { tail -40 "$work/build.log" >&2; echo "tls-compare: swift build failed" >&2; exit 1; }
echo "==> making a throw-away CA and a certificate for localhost in $work" >&2
make_certificates || { cat "$work/openssl.log" >&2; echo "tls-compare: openssl failed" >&2; exit 1; }

# Size by size, ws then wss, so that the two runs compared sit next to each other in time and
# see the same drift of the machine.
for size in small large; do
    for run in $(seq "$runs"); do
        for protocol in ws wss; do
            start_server "$protocol"
            read -ra args <<<"$(size_args "$size")"
            [ "$protocol" = ws ] || args+=(--tls-ca "$work/ca.pem" --server-name localhost)
            echo "==> $protocol $size (run $run): WebSocketsLoad ${args[*]}" >&2
            status=0
            # The client's own hard deadline is 10 s to connect + 1 s warm-up + the run + 10 s. It
            # runs in the background so that a signal to this script is handled at once.
            timeout --kill-after=5 $((seconds + 40)) taskset -c 0 "$bin/WebSocketsLoad" --port "$port" \
                --pid "$server_pid" --label "$protocol" "${args[@]}" >"$work/out" 2>"$work/err" &
            client_pid=$!
            wait "$client_pid" || status=$?
            client_pid=""
            stop_server 2>/dev/null
            # A server that did not stop cleanly (it crashed during the run or at the client's
            # close) is a result of its own.
            server_clean=true
            if [ "$server_status" -ne 0 ]; then
                server_clean=false
                echo "tls-compare: the $protocol server ended with status $server_status, not 0:" >&2
                grep -m 3 -E 'crash|failure|error|fatal' "$work/server.log" | sed 's/^/    /' >&2 || true
            fi
            grep '^RESULT' "$work/out" >&2 || true
            if [ -s "$work/err" ]; then sed 's/^/    /' "$work/err" | head -5 >&2; fi
            json=$(tail -n 1 "$work/out")
            [[ $json == \{* ]] || { echo "tls-compare: the client gave no result (exit $status)" >&2; json=null; }
            printf '{"size":"%s","protocol":"%s","run":%d,"mode":"%s","client_exit":%d,"server_clean_exit":%s,"result":%s}\n' \
                "$size" "$protocol" "$run" "$mode" "$status" "$server_clean" "$json" >>"$raw"
        done
    done
done

echo >&2
python3 - "$raw" "$seconds" "$(( $(date +%s) - started ))" <<'PY'
import json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
seconds, elapsed = sys.argv[2], sys.argv[3]

def runs(size, protocol):
    return [r["result"] for r in rows if r["size"] == size and r["protocol"] == protocol and r["result"]]

def median(results, pick):
    return statistics.median(pick(j) for j in results) if results else None

def capacity(j):  # messages per second of the server's own CPU
    return j["msgs_per_s"] * 100 / max(j["server_cpu_pct"], 1)

labels = {"small": "64 B (-c 100 -d 16)", "large": "16 KiB (-c 10 -d 4)"}
header = ["size", "protocol", "msg/s", "MB/s", "server CPU", "client CPU", "msg/server-CPU-s", "wss/ws msg/s", "wss/ws per CPU-s"]
table = [header]
ratios = {}
for size in ("small", "large"):
    base = runs(size, "ws")
    for protocol in ("ws", "wss"):
        results = runs(size, protocol)
        if not results:
            table.append([labels[size], protocol] + ["-"] * (len(header) - 2))
            continue
        rate = median(results, lambda j: j["msgs_per_s"])
        per_cpu = median(results, capacity)
        cells = [labels[size], protocol, f"{rate:,.0f}", f"{median(results, lambda j: j['mb_per_s']):.1f}",
                 f"{median(results, lambda j: j['server_cpu_pct']):.0f}%", f"{median(results, lambda j: j['client_cpu_pct']):.0f}%",
                 f"{per_cpu:,.0f}"]
        if protocol == "wss" and base:
            ratio = rate / median(base, lambda j: j["msgs_per_s"])
            ratios[size] = ratio
            cells += [f"{ratio:.2f}", f"{per_cpu / median(base, capacity):.2f}"]
        else:
            cells += ["", ""]
        table.append(cells)
widths = [max(len(row[i]) for row in table) for i in range(len(header))]
for i, row in enumerate(table):
    print("  ".join(v.ljust(w) if j < 2 else v.rjust(w) for j, (v, w) in enumerate(zip(row, widths))).rstrip())
    if i == 0:
        print("-" * (sum(widths) + 2 * (len(widths) - 1)))

cipher = next((r["result"]["tls_version"] + " " + r["result"]["tls_cipher"] for r in rows
               if r["protocol"] == "wss" and r["result"]), "-")
runs_per = max(r["run"] for r in rows)
print(f"\n{seconds} s per run, {runs_per} run(s) per cell (median); run took {elapsed} s; wss: {cipher}.")
if "large" in ratios:
    verdict = "meets" if ratios["large"] >= 0.60 else "misses"
    print(f"goal: wss keeps >= 60% of ws's msg/s for 16 KiB: {ratios['large']:.0%}, {verdict} it.")
if runs_per > 1:
    for size in ("small", "large"):
        pairs = {}
        for r in rows:
            if r["size"] == size and r["result"]:
                pairs.setdefault(r["run"], {})[r["protocol"]] = r["result"]["msgs_per_s"]
        each = [f"{p['wss'] / p['ws']:.2f}" for _, p in sorted(pairs.items()) if "ws" in p and "wss" in p and p["ws"]]
        print(f"wss/ws per run, {labels[size]}: " + ", ".join(each))

notes = []
for r in rows:
    j, tag = r["result"], f'{r["protocol"]} {labels[r["size"]]} run {r["run"]}'
    if not r["server_clean_exit"]:
        notes.append(f"{tag}: the server did not exit cleanly on SIGTERM: it crashed during the run or at the client's close")
    if not j:
        notes.append(f"{tag}: the client gave no result (exit {r['client_exit']})")
        continue
    if j["errors"]:
        notes.append(f"{tag}: {j['errors']} errors (mismatches {j['mismatches']}, closes {j['server_closes']}, "
                     f"connect {j['conn_failures']})")
    if j["client_cpu_pct"] >= 95:
        notes.append(f"{tag}: the client used {j['client_cpu_pct']:.0f}% of its CPU: the figure is the client's limit, "
                     f"a lower bound on the server (read msg/server-CPU-s)")
    if j["other_cpu_pct"] > 25:
        notes.append(f"{tag}: other processes used {j['other_cpu_pct']:.0f}% CPU while measuring: noisy")
for n in notes:
    print("note: " + n)
print(f"raw results: {sys.argv[1]}")
PY
