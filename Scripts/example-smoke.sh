#!/usr/bin/env bash
# Runs the listen-loop example, `swift run ListenLoopExample`, on a free port and checks it
# as a user would: its page over plain HTTP, and its /echo WebSocket with Python's websockets
# client (Interop/python/ws_peer.py: text, binary, 1 MiB, fragments, ping, close). Needs
# Scripts/interop-env.sh; stops the server by its PID.
#
#   Scripts/example-smoke.sh
set -euo pipefail

cd "$(dirname "$0")/.."
python=.build-interop/venv/bin/python3
[ -x "$python" ] || { echo "example-smoke: no Python venv; run Scripts/interop-env.sh" >&2; exit 1; }
output=$(mktemp)
# The example, on a free port (swift run replaces itself with the program).
timeout 600 swift run ListenLoopExample 0 >"$output" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$output"' EXIT

port=""
for _ in $(seq 3000); do
    port=$(grep -o 'http://127.0.0.1:[0-9]*' "$output" | head -1 | cut -d: -f3 || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "example-smoke: the example did not start:" >&2; cat "$output" >&2; exit 1; }

page=$(timeout 10 "$python" -c "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())" "http://127.0.0.1:$port/")
grep -q "new WebSocket" <<<"$page" || { echo "example-smoke: the page is not the example's" >&2; exit 1; }

result=$(timeout 60 "$python" Interop/python/ws_peer.py client --url "ws://127.0.0.1:$port/echo")
echo "ws_peer client: ${result:0:120}…"
grep -q '"close_code": 4000' <<<"$result"
echo "example-smoke: page and echo OK on port $port"
