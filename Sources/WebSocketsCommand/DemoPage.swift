/// The page `websockets serve` shows at `/`: shapes to drag in an SVG drawing, connected back
/// over a WebSocket to `/relay`, which passes every move to the other open pages; and a panel
/// with the connection's state, the round-trip time (a ping message each second) and counts.
enum DemoPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>WebSockets for Swift</title>
    <style>
      body { font: 15px/1.4 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; }
      header { padding: 10px 16px; background: #1d2330; color: #eee; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
      header h1 { font-size: 17px; margin: 0; }
      #panel span { font-variant-numeric: tabular-nums; margin-right: 18px; }
      #state.open { color: #7ee787; } #state.closed { color: #ff7b72; }
      svg { flex: 1; background: #f6f8fa; touch-action: none; }
      .shape { cursor: grab; stroke: #1d2330; stroke-width: 2; }
      .shape.dragging { cursor: grabbing; stroke-width: 4; }
      footer { padding: 6px 16px; color: #57606a; font-size: 13px; }
    </style>
    <header>
      <h1>WebSockets for Swift</h1>
      <div id="panel">
        <span>connection: <b id="state">connecting</b></span>
        <span>round trip: <b id="rtt">–</b></span>
        <span>compression: <b id="compression">–</b></span>
        <span>moves sent: <b id="sent">0</b></span>
        <span>moves received: <b id="received">0</b></span>
      </div>
    </header>
    <svg id="board" viewBox="0 0 800 500" preserveAspectRatio="xMidYMid meet">
      <circle class="shape" id="circle" cx="180" cy="200" r="60" fill="#f4a261"/>
      <rect class="shape" id="square" x="360" y="150" width="120" height="120" rx="10" fill="#2a9d8f"/>
      <polygon class="shape" id="triangle" points="0,-70 65,50 -65,50" transform="translate(620,240)" fill="#e76f51"/>
    </svg>
    <footer>Open this page in two windows and drag a shape: the server relays each move to every other page.</footer>
    <script>
    "use strict";
    const board = document.getElementById("board");
    const shapes = {};
    for (const el of board.querySelectorAll(".shape")) shapes[el.id] = el;
    const counts = { sent: 0, received: 0 };

    // Where a shape is, and how to put it somewhere, in the drawing's coordinates.
    function position(el) {
      if (el.tagName === "circle") return { x: +el.getAttribute("cx"), y: +el.getAttribute("cy") };
      if (el.tagName === "rect") return { x: +el.getAttribute("x") + 60, y: +el.getAttribute("y") + 60 };
      const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(el.getAttribute("transform"));
      return { x: +m[1], y: +m[2] };
    }
    function place(el, x, y) {
      if (el.tagName === "circle") { el.setAttribute("cx", x); el.setAttribute("cy", y); }
      else if (el.tagName === "rect") { el.setAttribute("x", x - 60); el.setAttribute("y", y - 60); }
      else el.setAttribute("transform", `translate(${x},${y})`);
    }
    function toBoard(event) {
      const p = board.createSVGPoint();
      p.x = event.clientX; p.y = event.clientY;
      return p.matrixTransform(board.getScreenCTM().inverse());
    }

    let ws;
    function connect() {
      ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/relay`);
      const state = document.getElementById("state");
      ws.onopen = () => {
        state.textContent = "open"; state.className = "open";
        document.getElementById("compression").textContent = ws.extensions || "off";
      };
      ws.onclose = (event) => {
        state.textContent = `closed (${event.code}), retrying`; state.className = "closed";
        setTimeout(connect, 1000);
      };
      ws.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "ping") {
          document.getElementById("rtt").textContent = `${(performance.now() - message.t).toFixed(1)} ms`;
        } else if (message.type === "move" && shapes[message.id]) {
          place(shapes[message.id], message.x, message.y);
          document.getElementById("received").textContent = ++counts.received;
        }
      };
    }
    connect();
    setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping", t: performance.now() }));
    }, 1000);

    let dragging = null;
    board.addEventListener("pointerdown", (event) => {
      const el = event.target.closest(".shape");
      if (!el) return;
      const at = toBoard(event), p = position(el);
      dragging = { el, dx: p.x - at.x, dy: p.y - at.y };
      el.classList.add("dragging");
      board.setPointerCapture(event.pointerId);
    });
    board.addEventListener("pointermove", (event) => {
      if (!dragging) return;
      const at = toBoard(event);
      const x = Math.round(at.x + dragging.dx), y = Math.round(at.y + dragging.dy);
      place(dragging.el, x, y);
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: "move", id: dragging.el.id, x, y }));
        document.getElementById("sent").textContent = ++counts.sent;
      }
    });
    const stop = () => { if (dragging) dragging.el.classList.remove("dragging"); dragging = null; };
    board.addEventListener("pointerup", stop);
    board.addEventListener("pointercancel", stop);
    </script>
    </html>
    """#
}
