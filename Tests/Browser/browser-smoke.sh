#!/usr/bin/env bash
# Loads the demo page of `websockets serve` in headless Chromium (Debian's `chromium`) and
# checks, through the DevTools protocol (a Python driver on the interop venv's websockets):
#   - the page's script connects back to /relay ("open" in its panel) and its ping comes back
#     (the round trip shows a number of milliseconds);
#   - a move sent by another client of /relay (Python) moves the page's circle;
#   - a drag of the square in the page (mouse events) reaches that other client as moves.
# A screenshot goes to .build-browser/demo.png. Every process is bounded and stopped by PID.
#
#   Tests/Browser/browser-smoke.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
python=.build-interop/venv/bin/python3
[ -x "$python" ] || { echo "browser-smoke: no Python venv; run Scripts/interop-env.sh" >&2; exit 1; }
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "browser-smoke: no chromium (apt-get install chromium)" >&2; exit 1; }
mkdir -p .build-browser
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

timeout 900 swift build --product websockets >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
timeout 300 swift run --skip-build websockets serve --port 0 --log-level debug >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
port=""
for _ in $(seq 300); do
    port=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "browser-smoke: websockets serve did not start" >&2; cat "$work/serve.err" >&2; exit 1; }

timeout 120 "$chromium" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$work/profile" --window-size=1000,700 --remote-debugging-port=0 about:blank \
    >"$work/chromium.out" 2>"$work/chromium.err" &
pids+=($!)
devtools=""
for _ in $(seq 300); do
    devtools=$(grep -o 'ws://127.0.0.1:[0-9]*/devtools/browser/[^ ]*' "$work/chromium.err" | head -1 || true)
    [ -n "$devtools" ] && break
    sleep 0.1
done
[ -n "$devtools" ] || { echo "browser-smoke: chromium did not start:" >&2; tail -20 "$work/chromium.err" >&2; exit 1; }

timeout 90 "$python" - "$devtools" "$port" .build-browser/demo.png <<'PY'
import asyncio, base64, json, sys
from websockets.asyncio.client import connect

devtools, port, screenshot = sys.argv[1], int(sys.argv[2]), sys.argv[3]

class Browser:
    """A DevTools protocol session: commands by id, events ignored."""
    def __init__(self, connection):
        self.connection, self.next_id = connection, 0
    async def call(self, method, session=None, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session: message["sessionId"] = session
        await self.connection.send(json.dumps(message))
        while True:
            reply = json.loads(await asyncio.wait_for(self.connection.recv(), 15))
            if reply.get("id") == self.next_id:
                if "error" in reply: raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

async def until(check, what, seconds=10):
    for _ in range(seconds * 10):
        value = await check()
        if value: return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"browser-smoke: {what}")

async def main():
    async with connect(devtools, max_size=None) as connection, connect(f"ws://127.0.0.1:{port}/relay") as peer:
        browser = Browser(connection)
        target = (await browser.call("Target.createTarget", url=f"http://127.0.0.1:{port}/"))["targetId"]
        session = (await browser.call("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
        async def js(expression):
            result = await browser.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
            return result["result"].get("value")

        await until(lambda: js("document.getElementById('state')?.textContent === 'open'"), "the page did not connect to /relay")
        rtt = await until(lambda: js("(t => t.endsWith('ms') && t)(document.getElementById('rtt').textContent)"),
                          "the page's ping never came back")
        print(f"browser-smoke: the page connected to /relay; its round trip shows {rtt}")
        compression = await js("document.getElementById('compression').textContent")
        if not compression.startswith("permessage-deflate"):
            raise SystemExit(f"browser-smoke: Chromium and serve did not agree on permessage-deflate: {compression!r}")
        print(f"browser-smoke: Chromium agreed on {compression}")

        await peer.send(json.dumps({"type": "move", "id": "circle", "x": 321, "y": 123}))
        await until(lambda: js("document.getElementById('circle').getAttribute('cx') === '321'"),
                    "a move from another client did not move the page's circle")
        # Long enough to go compressed from the server to Chromium (the threshold is 64 bytes).
        await peer.send(json.dumps({"type": "move", "id": "circle", "x": 222, "y": 111, "note": "compressible " * 40}))
        await until(lambda: js("document.getElementById('circle').getAttribute('cx') === '222'"),
                    "a long (compressed) move from another client did not move the page's circle")
        print("browser-smoke: moves from a Python client of /relay, short and compressed, moved the circle in the page")

        box = await js("(r => ({x: r.x + r.width / 2, y: r.y + r.height / 2}))(document.getElementById('square').getBoundingClientRect())")
        x, y = box["x"], box["y"]
        await browser.call("Input.dispatchMouseEvent", session, type="mousePressed", x=x, y=y, button="left", clickCount=1)
        for step in range(1, 6):
            await browser.call("Input.dispatchMouseEvent", session, type="mouseMoved", x=x + 10 * step, y=y + 5 * step, button="left")
        await browser.call("Input.dispatchMouseEvent", session, type="mouseReleased", x=x + 50, y=y + 25, button="left", clickCount=1)
        moves = []
        while len(moves) < 5:
            message = json.loads(await asyncio.wait_for(peer.recv(), 10))
            if message.get("type") == "move" and message.get("id") == "square": moves.append(message)
        print(f"browser-smoke: a drag in the page reached the other client as {len(moves)}+ moves of the square, the last at ({moves[-1]['x']}, {moves[-1]['y']})")

        shot = await browser.call("Page.captureScreenshot", session, format="png")
        with open(screenshot, "wb") as file: file.write(base64.b64decode(shot["data"]))
        print(f"browser-smoke: screenshot in {screenshot}")
        await browser.call("Target.closeTarget", targetId=target)

asyncio.run(main())
PY
grep -q 'ws.target=/relay' "$work/serve.err" || { echo "browser-smoke: the server logged no upgrade on /relay" >&2; exit 1; }
echo "browser-smoke: all OK"
