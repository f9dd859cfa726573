#!/usr/bin/env bash
# Builds the Examples package and runs each example as a user would (Python's websockets from
# the venv of Scripts/interop-env.sh plays the browser): MinimalServer's echo and its origin
# check (403 for another origin), CountingTogether counting to ten, BrowserChat passing a
# message to every member, TokenGate's signed tokens (403 without one), ListenLoop's page and echo (ws_peer's client script), NIOUpgrader (NIO's upgrade handler, then this library's
# WebSocket), NIOSSLServer (wss on SwiftNIO SSL's handler, its binary linked without libssl), the
# README's server and client (the README's blocks are their files), CodecOnly
# writing frames to a file and decoding them. Every server is bounded and stopped by its PID.
#
#   Scripts/examples-smoke.sh
set -euo pipefail

cd "$(dirname "$0")/.."
python="$PWD/.build-interop/venv/bin/python3"
[ -x "$python" ] || { echo "examples-smoke: no Python venv; run Scripts/interop-env.sh" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

timeout 1200 swift build --package-path Examples >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
bin=$(swift build --package-path Examples --show-bin-path)

# Starts example NAME on a free port, with ARGS after the port; sets $port.
start() {
    timeout 120 "$bin/$1" 0 "${@:2}" >"$work/$1.out" 2>"$work/$1.err" &
    pids+=($!)
    port=""
    for _ in $(seq 300); do
        port=$(grep -o '127.0.0.1:[0-9]*' "$work/$1.out" | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "examples-smoke: $1 did not start:" >&2
    cat "$work/$1.out" "$work/$1.err" >&2
    exit 1
}

start MinimalServer
timeout 30 "$python" - "$port" <<'PY'
import sys
from websockets.sync.client import connect
from websockets.exceptions import InvalidStatus
port = sys.argv[1]
with connect(f"ws://127.0.0.1:{port}/echo", origin=f"http://127.0.0.1:{port}") as ws:
    ws.send("same origin"); assert ws.recv(timeout=5) == "same origin"
try:
    connect(f"ws://127.0.0.1:{port}/echo", origin="http://evil.example")
    raise SystemExit("examples-smoke: MinimalServer let another origin in")
except InvalidStatus as error:
    assert error.response.status_code == 403, error.response.status_code
print("examples-smoke: MinimalServer echoes its own origin and refuses another with 403")
PY

counting=$(timeout 60 "$bin/CountingTogether" 2>&1)
grep -q 'counted to ten together' <<<"$counting" || { echo "examples-smoke: CountingTogether: $counting" >&2; exit 1; }
[ "$(grep -c 'wslog: ' <<<"$counting")" -ge 10 ] || { echo "examples-smoke: CountingTogether logged too little" >&2; exit 1; }
echo "examples-smoke: CountingTogether counted to ten, logged with wslog"

start BrowserChat
timeout 30 "$python" - "$port" <<'PY'
import sys
from websockets.sync.client import connect
url = f"ws://127.0.0.1:{sys.argv[1]}/chat"
with connect(url) as ada, connect(url) as bob:
    ada.send("ada: hello, room")
    assert bob.recv(timeout=5) == "ada: hello, room"
    assert ada.recv(timeout=5) == "ada: hello, room"
print("examples-smoke: BrowserChat passed a message to every member")
PY

start TokenGate
timeout 30 "$python" - "$port" <<'PY'
import re, sys, urllib.request
from websockets.sync.client import connect
from websockets.exceptions import InvalidStatus
port = sys.argv[1]
page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
token = re.search(r"token=([A-Za-z0-9._-]+)", page).group(1)
with connect(f"ws://127.0.0.1:{port}/echo?token={token}") as ws:
    ws.send("with the page's token"); assert ws.recv(timeout=5) == "with the page's token"
for target in ["/echo", "/echo?token=" + token[:-2] + "AA", "/echo?token=v1.1.cGFnZQ." + token.split(".")[-1]]:
    try:
        connect(f"ws://127.0.0.1:{port}{target}")
        raise SystemExit(f"examples-smoke: TokenGate let {target} in")
    except InvalidStatus as error:
        assert error.response.status_code == 403, error.response.status_code
print("examples-smoke: TokenGate lets the page's token in and refuses none, forged and expired tokens with 403")
PY

start ListenLoop
page=$(timeout 10 "$python" -c "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())" "http://127.0.0.1:$port/")
grep -q "new WebSocket" <<<"$page" || { echo "examples-smoke: ListenLoop's page is not there" >&2; exit 1; }
result=$(timeout 60 "$python" Tests/Interop/python/ws_peer.py client --url "ws://127.0.0.1:$port/echo")
grep -q '"close_code": 4000' <<<"$result" || { echo "examples-smoke: ListenLoop: $result" >&2; exit 1; }
echo "examples-smoke: ListenLoop serves its page and echoes ws_peer's script"

start NIOUpgrader
page=$(timeout 10 "$python" -c "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())" "http://127.0.0.1:$port/")
grep -q "your own NIO handler" <<<"$page" || { echo "examples-smoke: NIOUpgrader's plain HTTP answer is not there: $page" >&2; exit 1; }
result=$(timeout 60 "$python" Tests/Interop/python/ws_peer.py client --url "ws://127.0.0.1:$port/echo")
grep -q '"close_code": 4000' <<<"$result" || { echo "examples-smoke: NIOUpgrader: $result" >&2; exit 1; }
echo "examples-smoke: NIOUpgrader answers plain HTTP itself and echoes ws_peer's script through NIO's upgrade handler"

# WSHTTP takes any TLS handler: this one is SwiftNIO SSL's (BoringSSL inside), and the
# program, which has WSHTTP and not WSTLS, does not link the system's libssl.
if ldd "$bin/NIOSSLServer" | grep -q 'libssl\.so'; then
    echo "examples-smoke: NIOSSLServer links libssl: WSHTTP should not need it" >&2; exit 1
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
start NIOSSLServer "$work/cert.pem" "$work/key.pem"
timeout 30 "$python" - "$port" "$work/cert.pem" <<'PY'
import ssl, sys, urllib.request
from websockets.sync.client import connect
port, ca = sys.argv[1], sys.argv[2]
context = ssl.create_default_context(cafile=ca)
page = urllib.request.urlopen(f"https://localhost:{port}/", context=context, timeout=5).read().decode()
assert "SwiftNIO SSL" in page, page
with connect(f"wss://localhost:{port}/echo", ssl=context) as ws:
    ws.send("over NIOSSL")
    assert ws.recv(timeout=5) == "tls: TLSv1.3"
    assert ws.recv(timeout=5) == "over NIOSSL"
print("examples-smoke: NIOSSLServer serves HTTPS and echoes wss through SwiftNIO SSL's handler, without libssl")
PY

# Fails unless DOC has a swift block that is FILE, word for word.
block_is_file() {
    python3 -c 'import sys; sys.exit(0 if "```swift\n" + open(sys.argv[2]).read() + "```" in open(sys.argv[1]).read() else 1)' "$1" "$2" \
        || { echo "examples-smoke: $1's block differs from $2" >&2; exit 1; }
}

# The README's server and client are these two files; the client gets the server's echo
# (the server listens on 8080, as the README says).
block_is_file README.md Examples/ReadmeServer/main.swift
block_is_file README.md Examples/ReadmeClient/main.swift
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    echo "examples-smoke: port 8080 is taken; the README's server needs it" >&2; exit 1
fi
timeout 60 "$bin/ReadmeServer" >"$work/ReadmeServer.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.1; done
answer=$(timeout 30 "$bin/ReadmeClient")
[ "$answer" = "the server answered: hello" ] || { echo "examples-smoke: ReadmeClient: $answer" >&2; cat "$work/ReadmeServer.out" >&2; exit 1; }
page=$(timeout 10 python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/x', timeout=5).read().decode())")
[ "$page" = "hello from /x" ] || { echo "examples-smoke: ReadmeServer's HTTP answer: $page" >&2; exit 1; }
kill -TERM "${pids[-1]}"
echo "examples-smoke: the README's server and client are Examples/ReadmeServer and ReadmeClient; the client got the echo"

# Docs/GettingStarted.md's server and client: the block is the file; it echoes, then shuts down.
block_is_file Docs/GettingStarted.md Examples/GettingStarted/main.swift
started=$(timeout 60 "$bin/GettingStarted" 2>/dev/null)
[ "$started" = 'text("hi")' ] || { echo "examples-smoke: GettingStarted printed: $started" >&2; exit 1; }
echo "examples-smoke: Docs/GettingStarted.md's server and client (Examples/GettingStarted) echo and shut down"

"$bin/CodecOnly" write "$work/frames.bin" "Hello" "again" >/dev/null
decoded=$("$bin/CodecOnly" read "$work/frames.bin")
grep -q 'event: text("again")' <<<"$decoded" && grep -q 'outcome: 1000 done (clean)' <<<"$decoded" \
    || { echo "examples-smoke: CodecOnly: $decoded" >&2; exit 1; }
echo "examples-smoke: CodecOnly wrote client frames to a file and decoded them as a server"
echo "examples-smoke: all OK"
