#!/usr/bin/env bash
# Runs the README's main command, `swift run websockets serve`, and the `websockets connect`
# client, as a user would, against Python's websockets (Tests/Interop/python, the venv of
# Scripts/interop-env.sh) and the openssl command:
#   - serve: the demo page at /, 404 elsewhere, files of --root beside it; /echo with ws_peer's
#     client script (text, binary, 1 MiB, fragments, ping, close 4000); /relay passing a move
#     from one page to another and answering a ping to its sender; https and wss with
#     --tls-cert/--tls-key; SIGTERM ends it with status 0.
#   - connect: --echo against a Python server; lines typed, /ping and /close against serve;
#     wss with --ca, and a refused certificate exiting 1 with the reason.
# Every process is bounded in time and stopped by its PID. (Outputs are captured before they are
# searched: `producer | grep -q` under pipefail fails when grep stops reading early.)
#
#   Tests/Command/cli-smoke.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
python=.build-interop/venv/bin/python3
[ -x "$python" ] || { echo "cli-smoke: no Python venv; run Scripts/interop-env.sh" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

timeout 900 swift build --product websockets >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
websockets="$(swift build --show-bin-path)/websockets"

# Starts `websockets serve ARGS…` on a free port; sets $port and $serve_pid.
start_serve() {
    local out="$work/serve-$#.out"
    # The README's main command (swift run replaces itself with the program: the PID is serve's).
    timeout 300 swift run --skip-build websockets serve --port 0 "$@" >"$out" 2>"$work/serve.err" &
    serve_pid=$!
    pids+=("$serve_pid")
    port=""
    for _ in $(seq 300); do
        port=$(grep -o '127.0.0.1:[0-9]*' "$out" | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "cli-smoke: websockets serve did not start:" >&2
    cat "$out" "$work/serve.err" >&2
    exit 1
}

fetch() { timeout 10 "$python" - "$@" <<'PY'
import ssl, sys, urllib.request, urllib.error
context = ssl.create_default_context(cafile=sys.argv[2]) if len(sys.argv) > 2 else None
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5, context=context) as response:
        print(response.status); print(response.headers.get("Content-Type")); print(response.read().decode())
except urllib.error.HTTPError as error:
    print(error.code)
PY
}

mkdir -p "$work/root"
echo 'body { color: red }' >"$work/root/style.css"
start_serve --root "$work/root"

page=$(fetch "http://127.0.0.1:$port/")
grep -q '<svg' <<<"$page" || { echo "cli-smoke: / is not the demo page" >&2; exit 1; }
grep -q 'text/html' <<<"$page"
missing=$(fetch "http://127.0.0.1:$port/missing")
[ "${missing%%$'\n'*}" = 404 ] || { echo "cli-smoke: /missing is not 404" >&2; exit 1; }
style=$(fetch "http://127.0.0.1:$port/style.css")
grep -q 'text/css' <<<"$style" || { echo "cli-smoke: --root's file is not served" >&2; exit 1; }
escape=$(fetch "http://127.0.0.1:$port/%2e%2e/%2e%2e/etc/hostname")
[ "${escape%%$'\n'*}" = 400 ] || { echo "cli-smoke: a path out of --root was not refused" >&2; exit 1; }
echo "cli-smoke: the page, --root's files and 404 OK"

result=$(timeout 60 "$python" Tests/Interop/python/ws_peer.py client --url "ws://127.0.0.1:$port/echo")
grep -q '"close_code": 4000' <<<"$result" || { echo "cli-smoke: /echo: $result" >&2; exit 1; }
grep -q '"extensions": "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"' <<<"$result" \
    || { echo "cli-smoke: /echo did not accept permessage-deflate: $result" >&2; exit 1; }
echo "cli-smoke: /echo with Python's client, compressed, OK"

timeout 30 "$python" - "$port" <<'PY'
import json, sys
from websockets.sync.client import connect
url = f"ws://127.0.0.1:{sys.argv[1]}/relay"
with connect(url) as a, connect(url) as b:
    a.send(json.dumps({"type": "ping", "t": 1}))
    assert json.loads(a.recv(timeout=5)) == {"type": "ping", "t": 1}, "the ping came back changed"
    a.send(json.dumps({"type": "move", "id": "circle", "x": 10, "y": 20}))
    assert json.loads(b.recv(timeout=5)) == {"type": "move", "id": "circle", "x": 10, "y": 20}, "the move did not reach the other page"
print("cli-smoke: /relay passed a move between two pages and answered a ping")
PY

interactive=$( (printf 'hello there\n/ping\n'; sleep 1; printf '/close 4000 bye\n') | timeout 20 "$websockets" connect "ws://127.0.0.1:$port/echo")
grep -q '< hello there' <<<"$interactive" && grep -q 'pong after' <<<"$interactive" && grep -q 'closed: 4000' <<<"$interactive" \
    && grep -q '^connected to .*, permessage-deflate' <<<"$interactive" \
    || { echo "cli-smoke: connect, interactive: $interactive" >&2; exit 1; }
echo "cli-smoke: connect typed lines, /ping and /close OK"

kill -TERM "$serve_pid"
status=0
timeout 15 tail --pid="$serve_pid" -f /dev/null || { echo "cli-smoke: serve did not stop on SIGTERM" >&2; exit 1; }
wait "$serve_pid" || status=$?
[ "$status" = 0 ] || { echo "cli-smoke: serve exited $status on SIGTERM" >&2; exit 1; }
echo "cli-smoke: SIGTERM stops serve with status 0"

# connect --echo against a Python server that sends two messages and wants them back.
timeout 30 "$python" - "$websockets" <<'PY'
import asyncio, subprocess, sys
from websockets.asyncio.server import serve

async def main():
    done = asyncio.get_running_loop().create_future()
    async def handler(connection):
        await connection.send("hi from python")
        await connection.send(b"\x00\x01\x02")
        got = [await connection.recv(), await connection.recv()]
        await connection.close(1000, "done")
        done.set_result((got, connection.response.headers.get("Sec-WebSocket-Extensions")))
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        for flags, compressed in (([], True), (["--no-deflate"], False)):
            done = asyncio.get_running_loop().create_future()
            client = await asyncio.create_subprocess_exec(sys.argv[1], "connect", "--echo", *flags, f"ws://127.0.0.1:{port}/")
            got, extensions = await asyncio.wait_for(done, 10)
            status = await asyncio.wait_for(client.wait(), 10)
            assert got == ["hi from python", b"\x00\x01\x02"], got
            assert status == 0, f"connect --echo exited {status}"
            assert (extensions or "").startswith("permessage-deflate") == compressed, f"connect --echo {flags}: {extensions}"
    print("cli-smoke: connect --echo sent back both messages and exited 0 on close, offering permessage-deflate unless --no-deflate")
asyncio.run(main())
PY

# connect exits when the server closes, though its standard input is still open.
timeout 30 "$python" - "$websockets" <<'PY'
import asyncio, subprocess, sys
from websockets.asyncio.server import serve

async def main():
    async def handler(connection):
        await connection.send("the server speaks first")
        await connection.close(4001, "and closes")
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = await asyncio.create_subprocess_exec(sys.argv[1], "connect", f"ws://127.0.0.1:{port}/",
                                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        status = await asyncio.wait_for(client.wait(), 10)
        out = (await client.stdout.read()).decode()
        client.stdin.close()
    assert status == 0, f"connect exited {status}"
    assert "< the server speaks first" in out and "closed: 4001 and closes" in out, out
    print("cli-smoke: connect printed the server's message and exited when the server closed, with input still open")
asyncio.run(main())
PY

# serve --no-deflate: Python's client offers permessage-deflate, and is refused it.
start_serve --no-deflate
result=$(timeout 60 "$python" Tests/Interop/python/ws_peer.py client --url "ws://127.0.0.1:$port/echo")
grep -q '"close_code": 4000' <<<"$result" && grep -q '"extensions": null' <<<"$result" \
    || { echo "cli-smoke: serve --no-deflate: $result" >&2; exit 1; }
echo "cli-smoke: serve --no-deflate echoes uncompressed OK"

# wss: serve with a certificate made here; connect with --ca, and without (refused).
timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/key.pem" \
    -out "$work/cert.pem" -days 2 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
start_serve --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
secure_page=$(fetch "https://localhost:$port/" "$work/cert.pem")
grep -q '<svg' <<<"$secure_page" || { echo "cli-smoke: the page over https failed" >&2; exit 1; }
secure=$( (printf 'over tls\n'; sleep 1) | timeout 20 "$websockets" connect --ca "$work/cert.pem" "wss://localhost:$port/echo")
grep -q '< over tls' <<<"$secure" || { echo "cli-smoke: connect over wss: $secure" >&2; exit 1; }
set +e
refused=$(timeout 20 "$websockets" connect "wss://localhost:$port/echo" </dev/null 2>&1)
refused_status=$?
set -e
[ "$refused_status" = 1 ] && grep -q 'unknownCA' <<<"$refused" \
    || { echo "cli-smoke: an unknown CA was not refused with status 1 and its reason: $refused_status $refused" >&2; exit 1; }
echo "cli-smoke: https, wss with --ca, and a refused certificate (status 1: ${refused:0:90}…) OK"

# One event loop per CPU the process may run on: pinned to one CPU, serve runs one loop (two
# loops on one core take turns, and a message waits out the other's time slice); --event-loops
# overrides it. Counted from the line it prints and from its threads.
loops_of() { # ARGS… of serve, pinned to CPU 0; prints "LINE|THREADS"
    local out="$work/loops.out" pid line="" threads
    taskset -c 0 "$websockets" serve --port 0 "$@" >"$out" 2>/dev/null &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do line=$(head -1 "$out"); [ -n "$line" ] && break; sleep 0.1; done
    threads=$(cat /proc/"$pid"/task/*/comm 2>/dev/null | grep -c '^NIO-SGLTN' || true)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$line|$threads"
}
one=$(loops_of)
[[ $one == *"; 1 event loop;"*"|1" ]] || { echo "cli-smoke: serve pinned to one CPU: $one" >&2; exit 1; }
three=$(loops_of --event-loops 3)
[[ $three == *"; 3 event loops;"*"|3" ]] || { echo "cli-smoke: serve --event-loops 3: $three" >&2; exit 1; }
two=$(NIO_SINGLETON_GROUP_LOOP_COUNT=2 loops_of)
[[ $two == *"; 2 event loops;"*"|2" ]] || { echo "cli-smoke: NIO_SINGLETON_GROUP_LOOP_COUNT=2: $two" >&2; exit 1; }
echo "cli-smoke: serve pinned to one CPU runs one event loop; --event-loops 3 runs three; NIO_SINGLETON_GROUP_LOOP_COUNT=2 two"
echo "cli-smoke: all OK"
