#!/usr/bin/env bash
# Loads the demo page of `websockets serve` in headless Chromium (Debian's `chromium`) and
# checks, through the DevTools protocol (a Python driver on the interop venv's websockets):
#   - the page's script connects back to /relay ("open" in its panel) and its ping comes back
#     (the round trip shows a number of milliseconds);
#   - a move sent by another client of /relay (Python) moves the page's circle;
#   - a drag of the square in the page (mouse events) reaches that other client as moves;
#   - the page's Server panel charts the server's `stats` messages (one a second on /relay): after
#     200 echoes and five closes (four 1000, one 4001) on connections of their own to /echo, its
#     totals, its messages-in rate and its close codes show them, and its text values are filled;
#   - against a second server started with --no-metrics, the panel says it has no metrics;
#   - two servers on one Redis (Debian's redis-server, on a free loopback port): a drag in a page
#     served by one moves the shape in a page served by the other.
# Screenshots go to .build-browser/demo.png (the page after the drag) and, the CI artefact of
# the charts, .build-browser/dashboard.png (the whole page once the traffic is charted). Every
# process is bounded and stopped by PID.
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
# Starts `websockets serve --port 0 ARGUMENTS…` with its output in $work/NAME.out and .err, and
# sets $port to the port it prints.
serve() {
    local name=$1; shift
    timeout 300 swift run --skip-build websockets serve --port 0 "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    port=""
    for _ in $(seq 300); do
        port=$(grep -o '127.0.0.1:[0-9]*' "$work/$name.out" | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "browser-smoke: websockets serve $* did not start" >&2; cat "$work/$name.err" >&2; exit 1; }
}
serve quiet --no-metrics
quiet_port=$port
serve serve --log-level debug
serve_port=$port

# Two nodes on one Redis, for the page-to-page move across servers.
command -v redis-server >/dev/null || Scripts/ensure-apt.sh redis-server
redis_port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 300 redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "Ready to accept connections" "$work/redis.out" && break; sleep 0.05; done
grep -q "Ready to accept connections" "$work/redis.out" || { echo "browser-smoke: redis-server did not start" >&2; cat "$work/redis.out" >&2; exit 1; }
serve node-a --redis "redis://127.0.0.1:$redis_port" --no-metrics
node_a_port=$port
serve node-b --redis "redis://127.0.0.1:$redis_port" --no-metrics
node_b_port=$port
port=$serve_port

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

timeout 120 "$python" - "$devtools" "$port" "$quiet_port" .build-browser/demo.png .build-browser/dashboard.png "$node_a_port" "$node_b_port" <<'PY'
import asyncio, base64, json, sys
from websockets.asyncio.client import connect

devtools, port, quiet_port, screenshot, dashboard = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
node_a, node_b = int(sys.argv[6]), int(sys.argv[7])

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

        # The Server panel: stats messages once a second; traffic of its own on /echo, then its sum in the page.
        before = await until(lambda: js("serverStats.received >= 2 && serverStats.last"),
                             "the page saw fewer than 2 stats messages on /relay")
        async with connect(f"ws://127.0.0.1:{port}/echo") as echo:
            for n in range(200):
                await echo.send(f"echo {n}")
                if await asyncio.wait_for(echo.recv(), 10) != f"echo {n}":
                    raise SystemExit(f"browser-smoke: /echo did not echo message {n}")
        for _ in range(3):
            async with connect(f"ws://127.0.0.1:{port}/echo") as echo:
                await echo.send("one")
                await asyncio.wait_for(echo.recv(), 10)
        echo = await connect(f"ws://127.0.0.1:{port}/echo")
        await echo.close(4001, "browser-smoke")
        if echo.close_code != 4001: raise SystemExit(f"browser-smoke: the 4001 close came back as {echo.close_code}")
        codes = before["closeCodes"]
        try:
            after = await until(lambda: js(f"""(s => s.messagesIn >= {before['messagesIn'] + 200} && s.messagesOut >= {before['messagesOut'] + 200}
                                                   && (s.closeCodes['1000'] ?? 0) >= {codes.get('1000', 0) + 4}
                                                   && (s.closeCodes['4001'] ?? 0) >= {codes.get('4001', 0) + 1} && s)(serverStats.last)"""),
                                "the page's stats did not count the 200 echoes, four closes with 1000 and one with 4001")
        except AssertionError as error:
            raise SystemExit(f"{error}: before {before}, last {await js('serverStats.last')}")
        peak = await js("Math.max(...serverStats.points.map(p => p.inRate ?? 0))")
        if peak < 50: raise SystemExit(f"browser-smoke: the page's messages-in rate never showed the 200 echoes: peak {peak}/s")
        texts = await js("Object.fromEntries(['stat-websockets', 'stat-in-rate', 'stat-out-rate', 'stat-rtt', 'stat-closes'].map(id => [id, document.getElementById(id).textContent]))")
        if texts["stat-websockets"] != f"{after['webSockets']} WebSocket{'' if after['webSockets'] == 1 else 's'}":
            raise SystemExit(f"browser-smoke: stat-websockets shows {texts['stat-websockets']!r}, the stats say {after['webSockets']}")
        for id in ["stat-in-rate", "stat-out-rate"]:
            if not texts[id].endswith(" msg/s"): raise SystemExit(f"browser-smoke: {id} shows {texts[id]!r}")
        if not texts["stat-rtt"].endswith(" ms"): raise SystemExit(f"browser-smoke: stat-rtt shows {texts['stat-rtt']!r}")
        print(f"browser-smoke: the page's stats counted the traffic: messages in {before['messagesIn']} -> {after['messagesIn']}, "
              f"out {before['messagesOut']} -> {after['messagesOut']}, in-rate peak {peak:.0f}/s, close codes {after['closeCodes']}; "
              f"it shows {texts}")

        # Two more points, so that the charts show the burst and what follows; then the whole page.
        seen = await js("serverStats.received")
        await until(lambda: js(f"serverStats.received >= {seen + 2}"), "the stats stopped coming")
        size = (await browser.call("Page.getLayoutMetrics", session))["cssContentSize"]
        shot = await browser.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True,
                                  clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        with open(dashboard, "wb") as file: file.write(base64.b64decode(shot["data"]))
        print(f"browser-smoke: screenshot of the charts in {dashboard}")
        await browser.call("Target.closeTarget", targetId=target)

        # A server started with --no-metrics sends no stats: after 3 s without one, the panel says so.
        target = (await browser.call("Target.createTarget", url=f"http://127.0.0.1:{quiet_port}/"))["targetId"]
        session = (await browser.call("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
        notice = "no server metrics (started with --no-metrics)"
        await until(lambda: js(f"!document.getElementById('server-notice').hidden && document.getElementById('server-notice').textContent === {json.dumps(notice)}"),
                    "the page of a --no-metrics server did not say it has no metrics")
        if await js("serverStats.received") != 0: raise SystemExit("browser-smoke: a --no-metrics server sent stats")
        print(f"browser-smoke: the page of a --no-metrics server says '{notice}'")
        await browser.call("Target.closeTarget", targetId=target)

        # Two servers on one Redis: a drag in the page of one moves the shape in the page of the other.
        pages = {}
        for name, node_port in [("a", node_a), ("b", node_b)]:
            target = (await browser.call("Target.createTarget", url=f"http://127.0.0.1:{node_port}/"))["targetId"]
            pages[name] = (target, (await browser.call("Target.attachToTarget", targetId=target, flatten=True))["sessionId"])
        async def on(name, expression):
            result = await browser.call("Runtime.evaluate", pages[name][1], expression=expression, returnByValue=True)
            return result["result"].get("value")
        for name in pages:
            await until(lambda: on(name, "document.getElementById('state')?.textContent === 'open'"), f"the page of node {name} did not connect")
        session_a = pages["a"][1]
        moved = None
        # Dragged until node b's page follows: its subscription is taken a moment after the upgrade.
        for attempt in range(20):
            box = await on("a", "(r => ({x: r.x + r.width / 2, y: r.y + r.height / 2}))(document.getElementById('square').getBoundingClientRect())")
            x, y = box["x"], box["y"]
            await browser.call("Input.dispatchMouseEvent", session_a, type="mousePressed", x=x, y=y, button="left", clickCount=1)
            await browser.call("Input.dispatchMouseEvent", session_a, type="mouseMoved", x=x + 7, y=y + 3, button="left")
            await browser.call("Input.dispatchMouseEvent", session_a, type="mouseReleased", x=x + 7, y=y + 3, button="left", clickCount=1)
            await asyncio.sleep(0.2)
            here = await on("a", "[document.getElementById('square').getAttribute('x'), document.getElementById('square').getAttribute('y')]")
            there = await on("b", "[document.getElementById('square').getAttribute('x'), document.getElementById('square').getAttribute('y')]")
            if here == there and int(await on("b", "document.getElementById('received').textContent")) > 0:
                moved = here
                break
        if moved is None:
            raise SystemExit("browser-smoke: a drag in the page of node a never moved the square in the page of node b")
        print(f"browser-smoke: across two servers on one Redis, a drag in node a's page moved the square in node b's page to {moved}")
        for target, _ in pages.values(): await browser.call("Target.closeTarget", targetId=target)

asyncio.run(main())
PY
grep -q 'ws.target=/relay' "$work/serve.err" || { echo "browser-smoke: the server logged no upgrade on /relay" >&2; exit 1; }
echo "browser-smoke: all OK"
