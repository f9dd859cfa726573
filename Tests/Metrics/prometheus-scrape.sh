#!/usr/bin/env bash
# A real Prometheus server (Debian's `prometheus`, installed when missing) scrapes two
# `websockets serve` processes every second: one serving GET /metrics on its own port
# (--metrics), one on a port of its own (--metrics-port). Python's websockets (the venv of
# Scripts/interop-env.sh) drives known traffic through each: echoed messages, closes with 1000
# and 4001, a request that is not HTTP. The values are then read back through Prometheus's
# HTTP query API and must be exactly what was sent: the metric names, labels and counts of
# Docs/Metrics.md, end to end. Everything listens on 127.0.0.1 and is stopped by its PID.
#
#   Tests/Metrics/prometheus-scrape.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
python=.build-interop/venv/bin/python3
[ -x "$python" ] || { echo "prometheus-scrape: no Python venv; run Scripts/interop-env.sh" >&2; exit 1; }
command -v prometheus >/dev/null || Scripts/ensure-apt.sh prometheus
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

timeout 900 swift build --product websockets >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
websockets="$(swift build --show-bin-path)/websockets"

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts `websockets serve ARGS…` on a free port; sets $port. Not run in $(…): its subshell
# would keep the PID from the trap, and the server would outlive the script.
start_serve() {
    local out="$work/serve-$1.out"; shift
    timeout 300 "$websockets" serve --port 0 "$@" >"$out" 2>"$out.err" &
    pids+=($!)
    for _ in $(seq 300); do
        port=$(grep -o '127.0.0.1:[0-9]*' "$out" | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "prometheus-scrape: websockets serve did not start:" >&2
    cat "$out.err" >&2
    return 1
}

start_serve own --metrics
own_port=$port
metrics_port=$(free_port)
start_serve other --metrics-port "$metrics_port"
other_port=$port
prometheus_port=$(free_port)

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: own
    static_configs: [{ targets: ["127.0.0.1:$own_port"] }]
  - job_name: separate
    static_configs: [{ targets: ["127.0.0.1:$metrics_port"] }]
YAML
timeout 300 prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

timeout 120 "$python" - "$own_port" "$other_port" "$metrics_port" "$prometheus_port" <<'PY'
import asyncio, json, socket, sys, time, urllib.parse, urllib.request
from websockets.asyncio.client import connect

own, other, metrics, prometheus = (int(a) for a in sys.argv[1:5])

def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()

async def traffic(port, messages, sizes):
    """`messages` echoes on one connection (closed with 1000), then one closed with 4001."""
    async with connect(f"ws://127.0.0.1:{port}/echo", compression=None) as ws:
        for i in range(messages):
            payload = "x" * sizes[i % len(sizes)]
            await ws.send(payload)
            assert await ws.recv() == payload
    ws = await connect(f"ws://127.0.0.1:{port}/echo", compression=None)
    await ws.close(4001, "done")

def not_http(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        while s.recv(4096): pass

def query(expression):
    url = f"http://127.0.0.1:{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            result = json.load(response)["data"]["result"]
    except OSError:
        return None
    return float(result[0]["value"][1]) if result else None

def expect(expression, wanted, seconds=40):
    deadline, got = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        got = query(expression)
        if got == wanted:
            print(f"prometheus-scrape: {expression} = {got:g}")
            return
        time.sleep(0.25)
    raise SystemExit(f"prometheus-scrape: {expression} is {got}, not {wanted}")

# /metrics is where each was asked for, and nowhere else.
status, text = get(own, "/metrics")
assert status == 200 and "websocket_server_connections_accepted_total" in text, (status, text[:200])
assert get(other, "/metrics")[0] == 404
status, text = get(metrics, "/metrics")
assert status == 200 and "# TYPE websocket_messages_total counter" in text, (status, text[:200])

asyncio.run(traffic(own, 500, [1, 100, 1000]))
asyncio.run(traffic(other, 300, [10]))
not_http(own)

server = 'websocket_role="server"'
expect(f'sum(websocket_messages_total{{job="own",{server},network_io_direction="receive",websocket_message_type="text"}})', 500)
expect(f'sum(websocket_messages_total{{job="own",{server},network_io_direction="transmit"}})', 500)
expect(f'sum(websocket_message_bytes_total{{job="own",{server},network_io_direction="receive"}})', 167 * (1 + 100 + 1000) - 1000)
expect(f'sum(websocket_messages_total{{job="separate",{server},network_io_direction="receive"}})', 300)
expect(f'sum(websocket_message_bytes_total{{job="separate",{server},network_io_direction="transmit"}})', 3000)
for job in ("own", "separate"):
    expect(f'websocket_connections_active{{job="{job}",{server}}}', 0)
    expect(f'sum(websocket_close_frames_total{{job="{job}",{server},network_io_direction="receive",websocket_close_code="4001"}})', 1)
    expect(f'sum(websocket_close_frames_total{{job="{job}",{server},network_io_direction="receive",websocket_close_code="1000"}})', 1)
    expect(f'sum(websocket_connection_duration_seconds_count{{job="{job}",{server}}})', 2)
    expect(f'sum(http_server_request_duration_seconds_count{{job="{job}",http_response_status_code="101"}})', 2)
expect('sum(websocket_server_connections_refused_total{job="own",websocket_refusal_reason="400"})', 1)
# Prometheus's own scrape-health series: both targets were up.
expect('sum(up)', 2)
print("prometheus-scrape: every value read back through Prometheus's query API is what was sent")
PY
