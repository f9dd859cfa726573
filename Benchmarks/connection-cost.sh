#!/usr/bin/env bash
# Counts the user-space instructions a server spends per new WebSocket connection (TCP accept,
# the upgrade to its 101, a close frame answered, the teardown), exactly and repeatably, and
# says where they go: each server runs under valgrind's callgrind while loadgen's connect mode
# cycles connections through it; the counters are zeroed after a warm-up and read after the
# measured run, and every figure is divided by the connections completed in between.
#
#   Benchmarks/connection-cost.sh [-t SECONDS] [--port PORT] [--server NAME|COMMAND]...
#
#   -t SECONDS     the measured run under callgrind (default 10; a connection costs ~50x its
#                  usual time there, so 10 s is about 3,000 connections)
#   --port PORT    port the servers listen on (default 9003)
#   --server NAME|COMMAND
#                  a server in place of the default three ({PORT} stands for the port; the
#                  caller builds it). The parts table reads this project's and NIO's symbols;
#                  for another server only the total means anything.
#
# The default servers: `WebSockets` (WSHTTP's pipeline on a bare ServerBootstrap:
# Benchmarks/EchoServers' WebSocketsEcho), `WebSocketServer` (the same handlers behind WSServer's
# gatekeeping: WebSocketsEcho --server yes; `websockets serve` is that plus its topics and
# metrics, and valgrind cannot run it: it crashes in libdispatch's signal thread) and
# `NIOWebSocket` (SwiftNIO's own upgrader, NIOWebSocketEcho). Every part is inclusive (it
# contains what it calls), so parts nest and do not add up; "(NIO)" marks NIO's own code.
#
# Needs valgrind, gcc, make, python3 and swift. Takes about a minute per server. Every command is
# bounded in time; a trap stops the server on any exit. Raw JSON goes to Benchmarks/results/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loadgen="$root/Benchmarks/LoadGen/.build/loadgen"
package="$root/Benchmarks/EchoServers"
bin="$package/.build/release"
seconds=10
port=9003
given=()
while [ $# -gt 0 ]; do
    case $1 in
        -t) seconds=${2:?-t needs a number of seconds}; shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        --server)
            [[ ${2:-} == ?*\|?* ]] || { echo "connection-cost: --server takes NAME|COMMAND" >&2; exit 2; }
            given+=("$2"); shift 2 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "connection-cost: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ && $seconds -le 600 ]] || { echo "connection-cost: -t takes whole seconds, 1 to 600" >&2; exit 2; }
[[ $port =~ ^[1-9][0-9]*$ && $port -le 65535 ]] || { echo "connection-cost: bad port '$port'" >&2; exit 2; }
for tool in valgrind callgrind_annotate callgrind_control make gcc python3 swift strip; do
    command -v "$tool" >/dev/null || { echo "connection-cost: $tool is not on PATH (apt-get install valgrind)" >&2; exit 1; }
done
servers=(
    "WebSockets|$bin/WebSocketsEcho --port {PORT} --mode eventloop"
    "WebSocketServer|$bin/WebSocketsEcho --port {PORT} --mode eventloop --server yes"
    "NIOWebSocket|$bin/NIOWebSocketEcho --port {PORT}"
)
[ ${#given[@]} -eq 0 ] || servers=("${given[@]}")

work=$(mktemp -d)
server_pid=""
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
port_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

timeout 120 make -s -C "$root/Benchmarks/LoadGen" >&2
if [ ${#given[@]} -eq 0 ]; then
    timeout 3600 swift build -c release --package-path "$package" >"$work/build.log" 2>&1 \
        || { tail -40 "$work/build.log" >&2; echo "connection-cost: swift build failed" >&2; exit 1; }
fi
mkdir -p "$root/Benchmarks/results"
raw="$root/Benchmarks/results/connection-cost-$(date +%Y%m%d-%H%M%S).jsonl"

for entry in "${servers[@]}"; do
    name=${entry%%|*}
    read -ra argv <<<"${entry#*|}"
    argv=("${argv[@]//\{PORT\}/$port}")
    port_accepts && { echo "connection-cost: something already listens on port $port; pass --port" >&2; exit 1; }
    # valgrind cannot read the Swift compiler's debug information: a copy without it.
    cp "$(command -v "${argv[0]}")" "$work/$name.exe"
    strip --strip-debug "$work/$name.exe" 2>/dev/null || true
    echo "==> $name: callgrind, $seconds s of new connections" >&2
    valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$work/$name.cg.%p" "$work/$name.exe" "${argv[@]:1}" \
        >"$work/$name.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 600); do port_accepts && break; kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    port_accepts || { tail -15 "$work/$name.log" >&2; echo "connection-cost: $name did not listen" >&2; exit 1; }
    timeout 120 "$loadgen" -p "$port" -m connect -c 16 -t 3 -w 0 --connect-timeout 30 >/dev/null 2>&1 || true
    callgrind_control -z "$server_pid" >/dev/null
    status=0
    timeout $((seconds + 120)) "$loadgen" -p "$port" -m connect -c 16 -t "$seconds" -w 0 --connect-timeout 30 \
        >"$work/out" 2>"$work/err" || status=$?
    callgrind_control -d "$server_pid" >/dev/null
    sleep 1
    stop_server
    dump=$(ls "$work/$name".cg.*.1 2>/dev/null | head -1)
    [ -n "$dump" ] || { echo "connection-cost: $name: no callgrind dump" >&2; exit 1; }
    callgrind_annotate --inclusive=yes "$dump" >"$work/$name.annotate" 2>/dev/null
    python3 - "$name" "$work/$name.annotate" "$work/out" "$status" >>"$raw" <<'PY'
import json, re, sys
name, annotate, out, status = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
result = json.loads(open(out).read().splitlines()[-1])
# The connections completed while counting (the slots' last, unfinished ones are not).
connections = result["cycles"]
# part, pattern on a mangled symbol (the largest inclusive count that matches)
parts = [
    ("total", None),
    ("accept, channel, registration (NIO)", r"ServerBootstrapC13AcceptHandlerC11channelRead7context4datay7NIOCore07ChannelE7ContextC_AI6NIOAnyVtF \["),
    ("  server gatekeeping at accept (WSServer)", r"WebSocketServerC6accept33"),
    ("  pipeline set-up (WSHTTP)", r"SynchronousOperationsV6WSHTTPE32configureWebSocketServerPipeline|ChannelP6WSHTTPE32configureWebSocketServerPipeline"),
    ("HTTP request: parse and what it starts", r"ByteToMessageHandlerC11channelRead7context4datay"),
    ("  upgrade handler (WSHTTP)", r"WebSocketServerUpgradeHandlerC6handle33"),
    ("    request to HTTPTypes", r"HTTPConversionO7request"),
    ("    RFC 6455 checks", r"WebSocketUpgradeRequestV10validating"),
    ("    decision on the loop (WSServer)", r"WebSocketServerC8gatekept.*WebSocketUpgradeDecisionOSg"),
    ("    the 101 and the switch", r"WebSocketServerUpgradeHandlerC6finish33"),
    ("      accept key and response", r"WebSocketServerAgreementV_11subprotocol"),
    ("      HTTP handlers out, WebSocket in", r"becomebC033"),
    ("  NIO's upgrader (NIOWebSocket)", r"HTTPServerUpgradeHandlerC11channelRead7context4datay"),
    ("WebSocket frames read (the close)", r"WebSocketHandlerC11channelRead7context4datay7NIOCore07ChannelD7ContextC_AG6NIOAnyVtF"),
    ("close answered, socket closed", r"WebSocketHandlerC19channelReadComplete7contexty7NIOCore07ChannelD7ContextC_tF \["),
    ("channel inactive (NIO)", r"fireB8InactiveyyF \["),
    ("deinit chains (swift_release)", r"\?\?\?:swift_release \["),
    ("malloc + free", None),
]
values = {}
lines = open(annotate).read().splitlines()
def best(pattern):
    top = 0
    for line in lines:
        m = re.match(r"\s*([\d,]+) \(", line)
        if m and re.search(pattern, line):
            top = max(top, int(m.group(1).replace(",", "")))
    return top
for part, pattern in parts:
    if part == "total":
        values[part] = best(r"PROGRAM TOTALS")
    elif part == "malloc + free":
        values[part] = best(r"malloc\.c:malloc \[") + best(r"malloc\.c:free \[")
    else:
        values[part] = best(pattern)
per = {k: (v / connections if connections else None) for k, v in values.items()}
print(json.dumps({"server": name, "connections": connections, "loadgen_exit": status, "errors": result["errors"],
                  "per_connection": per, "order": [p for p, _ in parts]}))
PY
done

echo >&2
python3 - "$raw" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
order = rows[0]["order"]
names = [r["server"] for r in rows]
table = [["instructions per connection"] + names]
for part in order:
    cells = []
    for r in rows:
        v = r["per_connection"].get(part)
        cells.append("-" if not v else f"{v:,.0f}")
    if any(c != "-" for c in cells):
        table.append([part] + cells)
table.append(["connections counted"] + [f"{r['connections']:,}" for r in rows])
table.append(["errors"] + [str(r["errors"]) for r in rows])
widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
for i, row in enumerate(table):
    print("  ".join(v.ljust(w) if j == 0 else v.rjust(w) for j, (v, w) in enumerate(zip(row, widths))).rstrip())
    if i == 0:
        print("-" * (sum(widths) + 2 * (len(widths) - 1)))
print("Parts are inclusive: each contains what it calls, so they nest and do not add up.")
print(f"raw results: {sys.argv[1]}")
PY
