#!/usr/bin/env bash
# Proves that an OpenTelemetry collector receives this library's metrics and spans through
# swift-otel, as OTelEchoServer sends them: a stand-in collector (Python's http.server, on
# 127.0.0.1) answers OTLP/HTTP's POSTs to /v1/metrics and /v1/traces with 200 and keeps their
# protobuf bodies; Python's websockets (the venv of Scripts/interop-env.sh) opens a WebSocket
# with a W3C traceparent, echoes 10 messages and closes with 1000. It passes when a traces body
# holds the connection's span, named `WebSocket`, in the traceparent's trace (its 16 raw
# bytes) with the traceparent's span as its parent, and a metrics body holds
# `websocket.messages`, 10 received and 10 sent by the server. Every process is bounded in time
# and stopped by its PID.
#
#   Examples/OTel/otel-check.sh      (the first build of swift-otel takes minutes)
set -euo pipefail

cd "$(dirname "$0")/../.."
python=.build-interop/venv/bin/python3
[ -x "$python" ] || Scripts/interop-env.sh >/dev/null
work=$(mktemp -d)
pids=()
# Stopped last first: the server exports what it has left while the collector still answers.
trap 'for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
      rm -rf "$work"' EXIT

started=$SECONDS
timeout 3000 swift build --package-path Examples/OTel >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
bin=$(swift build --package-path Examples/OTel --show-bin-path)
echo "otel-check: built in $((SECONDS - started)) s"
started=$SECONDS

# Waits up to 30 s for PATTERN in FILE; prints what matched.
wait_for() {
    for _ in $(seq 300); do
        grep -o -m1 "$1" "$2" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "otel-check: no '$1' in $2:" >&2
    cat "$2" "$2.err" >&2 2>/dev/null || true
    exit 1
}

# The collector: each POST's body goes to posts/N-metrics.pb or posts/N-traces.pb.
mkdir "$work/posts"
cat >"$work/collector.py" <<'PY'
import gzip, itertools, pathlib, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

posts, count = pathlib.Path(sys.argv[1]), itertools.count()

class Collector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the exporters keep their connections open

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        name = f"{next(count)}-{self.path.rsplit('/', 1)[-1]}"
        (posts / f"{name}.part").write_bytes(body)
        (posts / f"{name}.part").rename(posts / f"{name}.pb")  # whole, for the reader
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")  # an empty Export…ServiceResponse
        self.end_headers()

    def log_message(self, format, *args):
        print(self.command, self.path, self.headers.get("Content-Type"), flush=True)

server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
print(f"collector on 127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
PY
timeout 300 "$python" "$work/collector.py" "$work/posts" >"$work/collector.out" 2>"$work/collector.out.err" &
pids+=($!)
collector_port=$(wait_for '127.0.0.1:[0-9]*' "$work/collector.out" | cut -d: -f2)

OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$collector_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
    timeout 300 "$bin/OTelEchoServer" --port 0 >"$work/server.out" 2>"$work/server.out.err" &
server=$!
pids+=($server)
port=$(wait_for '127.0.0.1:[0-9]*' "$work/server.out" | cut -d: -f2)
echo "otel-check: collector on 127.0.0.1:$collector_port, OTelEchoServer on 127.0.0.1:$port"

timeout 30 "$python" - "$port" <<'PY'
import asyncio, sys
from websockets.asyncio.client import connect

async def main():
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with connect(f"ws://127.0.0.1:{sys.argv[1]}/echo", additional_headers={"traceparent": traceparent}) as ws:
        for i in range(10):
            await ws.send(f"message {i}")
            assert await ws.recv() == f"message {i}"
        await ws.close(1000)
        assert ws.close_code == 1000, ws.close_code
    print("otel-check: 10 messages echoed, closed with 1000, traceparent", traceparent)

asyncio.run(main())
PY

timeout 60 "$python" - "$work/posts" <<'PY'
# Reads the bodies as protobuf, by opentelemetry-proto's field numbers (trace.proto, metrics.proto,
# common.proto): no generated code, no package.
import pathlib, struct, sys, time

posts = pathlib.Path(sys.argv[1])
trace_id, parent_id = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736"), bytes.fromhex("00f067aa0ba902b7")

def varint(buf, i):
    value = shift = 0
    while True:
        byte = buf[i]; i += 1
        value |= (byte & 0x7F) << shift; shift += 7
        if byte < 0x80: return value, i

def fields(buf):
    """A message's fields: {number: [value…]}, a varint as an int, anything else as bytes."""
    out, i = {}, 0
    while i < len(buf):
        key, i = varint(buf, i)
        wire = key & 7
        if wire == 0: value, i = varint(buf, i)
        elif wire == 1: value, i = buf[i:i + 8], i + 8
        elif wire == 5: value, i = buf[i:i + 4], i + 4
        elif wire == 2:
            n, i = varint(buf, i)
            value, i = buf[i:i + n], i + n
        else: raise ValueError(f"wire type {wire}")
        out.setdefault(key >> 3, []).append(value)
    return out

def one(message, number, default=b""):
    return message.get(number, [default])[0]

def leaves(body):
    """The spans of an ExportTraceServiceRequest, or the metrics of an ExportMetricsServiceRequest:
    resource_spans (1) → scope_spans (2) → spans (2), and the same numbers for metrics."""
    found = [fields(body)]
    for number in (1, 2, 2):
        found = [fields(child) for parent in found for child in parent.get(number, [])]
    return found

def attributes(keyValues):
    """KeyValues as a dict: string, bool, int (not negative, here) and double AnyValues."""
    result = {}
    for kv in map(fields, keyValues):
        key, value = one(kv, 1).decode(), fields(one(kv, 2))
        if 1 in value: result[key] = one(value, 1).decode()
        elif 2 in value: result[key] = bool(one(value, 2))
        elif 3 in value: result[key] = one(value, 3)
        elif 4 in value: result[key] = struct.unpack("<d", one(value, 4))[0]
        else: result[key] = None
    return result

def points(metric):
    """(kind, [(attributes, value)]) of a Sum, a Gauge, or a Histogram (its count)."""
    for number, kind in ((7, "sum"), (5, "gauge"), (9, "histogram")):
        if number in metric:
            result = []
            for point in map(fields, fields(one(metric, number)).get(1, [])):
                if kind == "histogram":
                    result.append((attributes(point.get(9, [])), struct.unpack("<Q", one(point, 4, bytes(8)))[0]))
                elif 6 in point:  # as_int
                    result.append((attributes(point.get(7, [])), struct.unpack("<q", one(point, 6))[0]))
                else:             # as_double
                    result.append((attributes(point.get(7, [])), struct.unpack("<d", one(point, 4, bytes(8)))[0]))
            return kind, result
    return "other", []

def server_messages(metric):
    """websocket.messages of the server role, by direction."""
    totals = {}
    for labels, value in points(metric)[1]:
        if labels.get("websocket.role") == "server":
            totals[labels.get("network.io.direction")] = totals.get(labels.get("network.io.direction"), 0) + value
    return totals

span = metric = seen = None
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not (span and metric):
    for path in sorted(posts.glob("*.pb"), key=lambda p: int(p.name.split("-")[0])):
        body = path.read_bytes()
        if path.name.endswith("-traces.pb") and not span and trace_id in body and b"WebSocket" in body:
            span = next((s for s in leaves(body) if one(s, 1) == trace_id and one(s, 5) == b"WebSocket"), None)
        if path.name.endswith("-metrics.pb") and b"websocket.messages" in body:
            found = next((m for m in leaves(body) if one(m, 1) == b"websocket.messages"), None)
            seen = server_messages(found) if found else seen
            if seen == {"receive": 10, "transmit": 10}:
                metric, metrics_body = found, body
    time.sleep(0.2)

names = [p.name.split("-")[1] for p in posts.glob("*.pb")]
print(f"otel-check: the collector got {names.count('metrics.pb')} metrics and {names.count('traces.pb')} traces POSTs")
if span:
    kind = {1: "internal", 2: "server", 3: "client"}.get(one(span, 6, 0), one(span, 6, 0))
    events = [one(fields(event), 2).decode() for event in span.get(11, [])]
    print(f"otel-check: span {one(span, 5).decode()!r} ({kind}) trace {one(span, 1).hex()} span {one(span, 2).hex()}"
          f" parent {one(span, 4).hex()}, events {events}, attributes:")
    for key, value in sorted(attributes(span.get(9, [])).items()):
        print(f"    {key} = {value!r}")
if metric:
    print("otel-check: metrics:", ", ".join(sorted(one(m, 1).decode() for m in leaves(metrics_body))))
    kind, values = points(metric)
    print(f"otel-check: websocket.messages ({kind}, unit {one(metric, 3).decode()!r}), the series not at 0:")
    for labels, value in values:
        if value: print(f"    {labels} = {value}")
    print(f"    and {sum(1 for _, value in values if not value)} series at 0")

missing = []
if not span: missing.append("a span named WebSocket in trace 4bf92f3577b34da6a3ce929d0e0e4736")
elif one(span, 4) != parent_id: missing.append(f"the traceparent's span 00f067aa0ba902b7 as the span's parent (it has {one(span, 4).hex()})")
if not metric: missing.append(f"websocket.messages with 10 received and 10 sent by the server (last seen: {seen})")
if missing:
    sys.exit("otel-check: missing from what the collector got: " + "; ".join(missing))
PY

# SIGTERM stops the ServiceGroup: the server, then swift-otel.
kill "$server"
wait "$server" || { echo "otel-check: OTelEchoServer exited with $? on SIGTERM:" >&2; cat "$work/server.out.err" >&2; exit 1; }
echo "otel-check: ran in $((SECONDS - started)) s; the collector received the library's metrics and spans," \
    "and OTelEchoServer stopped with 0 on SIGTERM"
