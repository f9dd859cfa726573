#!/usr/bin/env bash
# Checks the project's load generator (Benchmarks/LoadGen) before any figure is trusted to it:
#  - against a correct echo (Python's websockets), each mode runs, counts its messages and
#    exits 0 with no errors;
#  - against an echo that corrupts, reorders, truncates, changes the opcode of one message or
#    closes early (faulty-echo.py), it counts the fault and exits 1;
#  - its connect mode: connections cycled and timed, a refused upgrade and one never answered
#    (after --connect-timeout) counted;
#  - its fanout mode, against a topic server on two ports (fanout-server.py): every delivery
#    counted and timed, per port, in both the -d window and --rate; a dropped delivery counted
#    as missed (exit 0); a duplicate, a reorder, a corrupted byte and the publisher's own
#    message back counted as errors (exit 1);
#  - --tls, against the same echo serving wss (certificates of a throw-away CA, made with the
#    openssl command): echoes and connections over TLS, the certificate verified for a name
#    and for an IP address; a server the CA did not sign, or a name its certificate lacks,
#    counted as handshake failures (exit 1); --tls without --tls-ca or --tls-insecure refused.
#
#   Tests/LoadGen/loadgen-check.sh [PYTHON]
#
# PYTHON is one with `websockets` (default: the interop venv of Scripts/interop-env.sh).
# About 35 seconds. Every command is bounded in time; the server is stopped by PID on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python=${1:-$root/.build-interop/venv/bin/python3}
[ -x "$python" ] || python=$("$root/Scripts/interop-env.sh" | tail -n 1)
timeout 120 make -s -C "$root/Benchmarks/LoadGen"
loadgen="$root/Benchmarks/LoadGen/.build/loadgen"

port=$((20000 + RANDOM % 20000))
port2=$((port + 1))  # fanout-server.py's second "node"
server_pid=""
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
trap stop_server EXIT
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT

start_server() {  # start_server FAULT [CERT KEY]
    "$python" "$root/Tests/LoadGen/faulty-echo.py" "$port" "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q listening "$work/server.log" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$work/server.log" >&2
    echo "loadgen-check: faulty-echo.py $1 did not start" >&2
    exit 1
}

# field NAME: the value of a top-level field of the JSON line in $work/out.
field() { "$python" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])' "$work/out" "$1"; }
# holds EXPRESSION: a Python expression on j, the JSON line in $work/out, is true.
holds() { "$python" -c 'import json,sys; j = json.loads(open(sys.argv[1]).read().splitlines()[-1]); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$work/out" "$1"; }

failed=0
expect() {  # expect DESCRIPTION STATUS WANTED_STATUS CHECK...
    local what=$1 status=$2 wanted=$3
    shift 3
    if [ "$status" != "$wanted" ] || ! "$@"; then
        echo "loadgen-check: FAIL: $what (exit $status, wanted $wanted)" >&2
        sed 's/^/    /' "$work/out" "$work/err" >&2
        failed=1
    else
        echo "loadgen-check: ok: $what"
    fi
}
at_least() { [ "$(field "$1")" -ge "$2" ]; }
is() { [ "$(field "$1")" = "$2" ]; }

run() {  # run ARGS...: loadgen against the server, bounded; sets $status
    status=0
    timeout --kill-after=5 60 "$loadgen" -p "$port" --pid "$server_pid" "$@" >"$work/out" 2>"$work/err" || status=$?
}

start_server none
run -m latency -c 1 -s 64 -t 1 -w 0.2
expect "latency: round trips timed, none wrong" "$status" 0 eval 'at_least samples 100 && is errors 0 && is mode latency'
run -m throughput -c 8 -d 4 -s 1000 -t 1 -w 0.2 --text
expect "throughput, text: messages echoed, none wrong" "$status" 0 eval 'at_least msgs 100 && is errors 0 && is text True'
run -m throughput -c 2 -d 2 -s 200000 -t 1 -w 0
expect "throughput, 200 kB messages in fragments of the socket's reads" "$status" 0 eval 'at_least msgs 10 && is errors 0'
run -m throughput -c 4 -d 8 -s 64 --max-msgs 500 -t 30 -w 0
expect "--max-msgs 500 stops at 500 sent, all echoed" "$status" 0 eval 'is sent 500 && is echoed 500 && is errors 0'
run -m idle -c 50 --rounds 1
expect "idle: 50 connections each get their echo; RSS read" "$status" 0 eval 'is survived 50 && is errors 0 && at_least rss_end_kb 1'
# --sources 3: the connections come from 127.0.1.1, .2 and .3 (seen while they are open).
timeout --kill-after=5 60 "$loadgen" -p "$port" -m idle -c 30 --rounds 2 --sources 3 >"$work/out" 2>"$work/err" &
sources_pid=$!
sources=""
for _ in $(seq 40); do
    sleep 0.1
    sources=$("$python" -c 'import socket, struct, sys
seen = set()
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    local, remote, state = line.split()[1:4]
    if state == "01" and int(remote.split(":")[1], 16) == int(sys.argv[1]):
        seen.add(socket.inet_ntoa(struct.pack("<I", int(local.split(":")[0], 16))))
print(" ".join(sorted(seen)), end=" ")' "$port")
    [ "$(wc -w <<<"$sources")" -lt 3 ] || break
done
status=0
wait "$sources_pid" || status=$?
expect "--sources 3: connections from 127.0.1.1-3 ($sources)" "$status" 0 eval '[ "$sources" = "127.0.1.1 127.0.1.2 127.0.1.3 " ] && is survived 30'
run -m connect -c 4 -t 1 -w 0.2
expect "connect: connections opened, upgraded, closed and replaced, each timed" "$status" 0 \
    holds 'j["errors"] == 0 and j["mode"] == "connect" and j["msgs"] >= 20 and j["samples"] == j["msgs"] and j["cycles"] >= j["msgs"] and j["opened"] >= j["cycles"]'
run -m connect -c 4 --rounds 2 -s 100 -t 1 -w 0.2
expect "connect --rounds 2: two echoes on each connection before it closes" "$status" 0 \
    holds 'j["errors"] == 0 and j["msgs"] >= 10 and j["echoed"] >= 2 * j["cycles"] and j["echoed"] <= 2 * j["opened"]'
stop_server
start_server refuse
run -m connect -c 2 -t 1 -w 0
expect "connect: a refused upgrade counted, and the slot goes on with a new connection" "$status" 1 \
    holds 'j["handshake_failures"] >= 1 and j["msgs"] >= 4'
stop_server
start_server stall
run -m connect -c 2 -t 2 -w 0 --connect-timeout 0.5
expect "connect: an upgrade never answered is dropped after --connect-timeout and counted" "$status" 1 \
    holds 'j["handshake_failures"] == 1 and j["msgs"] >= 4'
stop_server

for fault in corrupt truncate reorder opcode; do
    start_server "$fault"
    run -m throughput -c 1 -d 4 -s 64 -t 1 -w 0
    expect "$fault: counted as a mismatch" "$status" 1 eval 'at_least mismatches 1'
    stop_server
done
start_server close
run -m throughput -c 1 -d 1 -s 64 -t 1 -w 0
expect "close: the server's close counted" "$status" 1 eval 'is server_closes 1'
stop_server

# TLS: a throw-away CA and the echo's certificate it signed (for localhost and 127.0.0.1), and
# a second CA that signed nothing here. EC P-256, one day.
make_ca() {  # make_ca NAME
    timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj "/CN=loadgen-check throw-away CA $1" -keyout "$work/$1.key" -out "$work/$1.pem" 2>>"$work/openssl.log"
}
make_ca ca && make_ca other-ca \
    && timeout 30 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$work/server.key" -out "$work/server.csr" 2>>"$work/openssl.log" \
    && printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" >"$work/server.ext" \
    && timeout 30 openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
        -days 1 -extfile "$work/server.ext" -out "$work/server.pem" 2>>"$work/openssl.log" \
    || { cat "$work/openssl.log" >&2; echo "loadgen-check: openssl could not make the certificates" >&2; exit 1; }
start_server none "$work/server.pem" "$work/server.key"
run --tls --tls-ca "$work/ca.pem" -m throughput -c 4 -d 4 -s 20000 -t 1 -w 0.2
expect "--tls, throughput: 20 kB messages (two TLS records each) echoed over verified TLS" "$status" 0 \
    eval 'at_least msgs 100 && is errors 0 && is tls True && grep -q "^RESULT .* tls=on " "$work/out"'
run --tls --tls-ca "$work/ca.pem" --server-name 127.0.0.1 -m connect -c 4 -t 1 -w 0.2
expect "--tls, connect: each connection's TLS handshake and upgrade, the certificate checked for 127.0.0.1" "$status" 0 \
    holds 'j["errors"] == 0 and j["tls"] and j["msgs"] >= 10 and j["samples"] == j["msgs"] and j["opened"] >= j["cycles"]'
run --tls --tls-ca "$work/other-ca.pem" -m connect -c 2 -t 0.5 -w 0
expect "--tls, another CA: every connection a handshake failure, and why" "$status" 1 eval \
    'grep -q "TLS handshake: .*certificate verify failed" "$work/err" && holds "j[\"handshake_failures\"] >= 2 and j[\"opened\"] == 0 and j[\"errors\"] == j[\"handshake_failures\"]"'
run --tls --tls-ca "$work/ca.pem" --server-name other.example -m connect -c 2 -t 0.5 -w 0
expect "--tls, a name the certificate lacks: every connection a handshake failure" "$status" 1 eval \
    'grep -q "TLS handshake: .*hostname mismatch" "$work/err" && holds "j[\"handshake_failures\"] >= 2 and j[\"opened\"] == 0"'
run --tls --tls-insecure -m latency -c 1 -s 64 -t 0.5 -w 0
expect "--tls --tls-insecure: the server not verified, round trips timed" "$status" 0 eval 'at_least samples 50 && is errors 0'
stop_server
status=0
"$loadgen" -p "$port" --tls >"$work/out" 2>"$work/err" || status=$?
expect "--tls without --tls-ca or --tls-insecure is refused" "$status" 2 grep -q -- "--tls-insecure" "$work/err"

start_fanout() {
    "$python" "$root/Tests/LoadGen/fanout-server.py" "$1" "$port" "$port2" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q listening "$work/server.log" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$work/server.log" >&2
    echo "loadgen-check: fanout-server.py $1 did not start" >&2
    exit 1
}
fanout() {  # fanout ARGS...: loadgen's fanout mode over both ports, bounded; sets $status
    status=0
    timeout --kill-after=5 60 "$loadgen" -m fanout -p "$port,$port2" --path /topics/check --pid "$server_pid" "$@" \
        >"$work/out" 2>"$work/err" || status=$?
}

start_fanout none
fanout -c 6 -d 8 -s 64 -t 1 -w 0.2 --pid $$
expect "fanout, -d window: every delivery in order, timed, 3 receivers per port; two PIDs read" "$status" 0 holds \
    'j["errors"] == 0 and j["published"] >= 20 and j["missed"] == 0 and j["delivered"] == j["expected"] == 6 * j["published"]
     and j["samples"] == j["delivered"] and [n["receivers"] for n in j["nodes"]] == [3, 3]
     and all(n["missed"] == 0 and n["deliveries_per_s"] > 0 for n in j["nodes"]) and len(j["pid_cpu_pct"]) == 2
     and j["lat_us"]["p50"] > 0 and j["retired"] == 0'
fanout -c 4 --rate 200 -s 1000 -t 1 -w 0.2
expect "fanout, --rate 200: about 200 published, all delivered" "$status" 0 holds \
    '180 <= j["published"] <= 220 and j["errors"] == 0 and j["missed"] == 0 and j["delivered"] == 4 * j["published"]'
stop_server
start_fanout drop
fanout -c 4 -d 4 -s 64 -t 1 -w 0
expect "fanout, drop: every 10th delivery counted as missed, not an error" "$status" 0 holds \
    'j["errors"] == 0 and j["missed"] >= j["expected"] // 20 and j["delivered"] + j["missed"] == j["expected"]'
stop_server
for fault in duplicate reorder; do
    start_fanout "$fault"
    fanout -c 2 -d 4 -s 64 -t 1 -w 0
    expect "fanout, $fault: counted out of order" "$status" 1 holds 'j["out_of_order"] >= 1 and j["mismatches"] == 0'
    stop_server
done
start_fanout corrupt
fanout -c 2 -d 4 -s 300 -t 1 -w 0
expect "fanout, corrupt: counted as a mismatch" "$status" 1 holds 'j["mismatches"] >= 1'
stop_server
start_fanout echo
fanout -c 2 -d 4 -s 64 -t 1 -w 0
expect "fanout, echo: the publisher's own message back counted" "$status" 1 holds 'j["own"] == 1 and j["mismatches"] == 1'
stop_server
status=0
"$loadgen" -m fanout -p "$port" -s 8 >"$work/out" 2>"$work/err" || status=$?
expect "fanout refuses -s under 16" "$status" 2 true
status=0
"$loadgen" -m throughput -p "$port" --rate 10 >"$work/out" 2>"$work/err" || status=$?
expect "--rate outside fanout is refused" "$status" 2 true

[ "$failed" = 0 ] && echo "loadgen-check: the load generator counts right and catches every fault"
exit "$failed"
