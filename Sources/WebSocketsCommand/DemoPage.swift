/// The page `websockets serve` shows at `/`: shapes to drag in an SVG drawing, connected back
/// over a WebSocket to `/relay`, which passes every move to the other open pages; a panel with
/// the connection's state, the round-trip time (a ping message each second) and counts; and
/// beside the drawing, live charts of the server from the `stats` message `/relay` sends each
/// second (open connections, messages per second, round trips, close codes), drawn on canvases
/// by the page's own script: no libraries, nothing fetched, so it works offline.
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
      main { flex: 1; display: flex; min-height: 0; }
      svg { flex: 1; min-width: 0; background: #f6f8fa; touch-action: none; }
      .shape { cursor: grab; stroke: #1d2330; stroke-width: 2; }
      .shape.dragging { cursor: grabbing; stroke-width: 4; }
      footer { padding: 6px 16px; color: #57606a; font-size: 13px; }
      #server { width: 330px; flex: none; padding: 8px 14px 10px; border-left: 1px solid #d0d7de; overflow-y: auto; background: #fff;
                display: flex; flex-direction: column; }
      #server h2 { font-size: 15px; margin: 0 0 2px; display: flex; justify-content: space-between; align-items: baseline; }
      #server h2 small { font-weight: normal; color: #57606a; font-size: 12px; }
      #server-notice { margin: 4px 0; padding: 4px 8px; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 4px; font-size: 13px; }
      #server section { margin-top: 6px; flex: 1; display: flex; flex-direction: column; min-height: 0; }
      #server h3 { font-size: 13px; font-weight: 600; margin: 0 0 2px; display: flex; justify-content: space-between; gap: 8px; white-space: nowrap; }
      #server h3 span { font-weight: normal; font-variant-numeric: tabular-nums; }
      #server canvas { display: block; width: 100%; flex: 1; height: 0; min-height: 56px; background: #f6f8fa; border-radius: 4px; }
      .key { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin: 0 3px 0 6px; }
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
    <main>
    <svg id="board" viewBox="0 0 800 500" preserveAspectRatio="xMidYMid meet">
      <circle class="shape" id="circle" cx="180" cy="200" r="60" fill="#f4a261"/>
      <rect class="shape" id="square" x="360" y="150" width="120" height="120" rx="10" fill="#2a9d8f"/>
      <polygon class="shape" id="triangle" points="0,-70 65,50 -65,50" transform="translate(620,240)" fill="#e76f51"/>
    </svg>
    <aside id="server">
      <h2>Server <small id="stat-received">waiting for its stats</small></h2>
      <div id="server-notice" hidden></div>
      <section>
        <h3>Connections <span><i class="key" style="background:#2a9d8f"></i><b id="stat-websockets">–</b>
          <i class="key" style="background:#8d99ae"></i><b id="stat-connections">–</b></span></h3>
        <canvas id="chart-connections"></canvas>
      </section>
      <section>
        <h3>Messages <span><i class="key" style="background:#3a86ff"></i>in <b id="stat-in-rate">–</b>
          <i class="key" style="background:#e76f51"></i>out <b id="stat-out-rate">–</b></span></h3>
        <canvas id="chart-messages"></canvas>
      </section>
      <section>
        <h3>Round trip <span><i class="key" style="background:#2a9d8f"></i>page <b id="stat-rtt">–</b>
          <i class="key" style="background:#f4a261"></i>keepalive <b id="stat-server-rtt">–</b></span></h3>
        <canvas id="chart-rtt"></canvas>
      </section>
      <section>
        <h3>Close codes <span><b id="stat-closes">–</b></span></h3>
        <canvas id="chart-closes"></canvas>
      </section>
    </aside>
    </main>
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

    let ws, openedAt = 0, pageRtt = null;
    function connect() {
      ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/relay`);
      const state = document.getElementById("state");
      ws.onopen = () => {
        openedAt = performance.now();
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
          pageRtt = performance.now() - message.t;
          document.getElementById("rtt").textContent = `${pageRtt.toFixed(1)} ms`;
        } else if (message.type === "stats") {
          serverStatsReceived(message, performance.now());
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

    // The server's panel: the last 60 stats messages (one a second), as points of the charts.
    // Every number but connections, webSockets and roundTripMs is a total since the server
    // started, so a rate is the difference between two messages over the time between them.
    window.serverStats = { received: 0, last: null, points: [] };
    const keep = 60;
    let previous = null, statsAt = null;
    const text = (id, value) => { document.getElementById(id).textContent = value; };

    function serverStatsReceived(stats, at) {
      serverStats.received++;
      serverStats.last = stats;
      const rate = (key) => {
        if (!previous) return null;
        const count = stats[key] - previous.stats[key], seconds = (at - previous.at) / 1000;
        return count >= 0 && seconds > 0 ? count / seconds : null; // a restarted server starts from 0
      };
      serverStats.points.push({
        at, webSockets: stats.webSockets, connections: stats.connections,
        inRate: rate("messagesIn"), outRate: rate("messagesOut"),
        pageRtt, serverRtt: stats.roundTripMs,
      });
      if (serverStats.points.length > keep) serverStats.points.shift();
      previous = { stats, at };
      statsAt = at;
      const point = serverStats.points[serverStats.points.length - 1];
      text("stat-received", `${serverStats.received} stats received, 1 a second`);
      text("stat-websockets", `${stats.webSockets} WebSocket${stats.webSockets === 1 ? "" : "s"}`);
      text("stat-connections", `${stats.connections} TCP`);
      text("stat-in-rate", point.inRate === null ? "–" : `${rateText(point.inRate)} msg/s`);
      text("stat-out-rate", point.outRate === null ? "–" : `${rateText(point.outRate)} msg/s`);
      text("stat-rtt", pageRtt === null ? "–" : `${pageRtt.toFixed(1)} ms`);
      text("stat-server-rtt", stats.roundTripMs === null ? "–" : `${stats.roundTripMs.toFixed(2)} ms`);
      const ended = Object.values(stats.closeCodes).reduce((a, b) => a + b, 0);
      text("stat-closes", `${ended} ended`);
      document.getElementById("server-notice").hidden = true;
      drawCharts();
    }
    function rateText(value) { return value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString("en"); }

    // Stats come once a second; after 3 s of an open /relay without one, the server records none.
    setInterval(() => {
      const notice = document.getElementById("server-notice");
      const since = Math.max(openedAt, statsAt ?? 0);
      const quiet = ws.readyState === WebSocket.OPEN && performance.now() - since > 3000;
      if (quiet) notice.textContent = serverStats.received === 0 ? "no server metrics (started with --no-metrics)"
        : `no stats for ${Math.round((performance.now() - since) / 1000)} s`;
      notice.hidden = !quiet;
    }, 500);

    // A canvas sized to its box, in CSS pixels, sharp on any screen.
    function surface(id) {
      const canvas = document.getElementById(id), ratio = window.devicePixelRatio || 1;
      const width = canvas.clientWidth, height = canvas.clientHeight;
      if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
        canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
      }
      const g = canvas.getContext("2d");
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, width, height);
      g.font = "11px system-ui, sans-serif";
      return { g, width, height };
    }
    // The top of a chart's scale: the first of `steps` times a power of ten that is at least `value`.
    function niceTop(value, least, steps) {
      value = Math.max(value, least);
      const power = 10 ** Math.floor(Math.log10(value));
      return steps.map((m) => m * power).find((top) => top >= value) ?? 10 * power;
    }
    function scaleText(value) {
      return value >= 1000 ? `${+(value / 1000).toFixed(1)}k` : `${+value.toFixed(2)}`;
    }
    // Some series of the points as lines over the last 10 to 60 s (as many as there are), the
    // newest at the right; a null value, or a gap of more than 2.5 s (a reconnection), breaks a line.
    function lineChart(id, series, { unit, least, steps = [1, 2, 5, 10], note = null }) {
      const { g, width, height } = surface(id);
      const points = serverStats.points;
      const left = 36, top = 8, bottom = height - 15, right = width - 8;
      const values = series.flatMap((s) => points.map(s.value)).filter((v) => v !== null);
      const max = niceTop(values.length ? Math.max(...values) : 0, least, steps);
      const newest = points.length ? points[points.length - 1].at : 0;
      const span = points.length ? Math.min(60000, Math.max(10000, newest - points[0].at)) : 60000;
      const x = (point) => right - ((newest - point.at) / span) * (right - left);
      const y = (v) => bottom - (v / max) * (bottom - top);
      g.strokeStyle = "#d0d7de"; g.fillStyle = "#57606a"; g.lineWidth = 1;
      g.textAlign = "right"; g.textBaseline = "middle";
      for (const v of [0, max / 2, max]) {
        g.beginPath(); g.moveTo(left, Math.round(y(v)) + 0.5); g.lineTo(right, Math.round(y(v)) + 0.5); g.stroke();
        g.fillText(v === 0 ? "0" : scaleText(v), left - 5, y(v));
      }
      g.textBaseline = "alphabetic";
      g.fillText("now", right, height - 3);
      g.textAlign = "left";
      g.fillText(`${Math.round(span / 1000)} s ago · ${unit}`, left, height - 3);
      if (note) { g.fillStyle = "#8c959f"; g.textAlign = "right"; g.fillText(note, right, top + 11); }
      g.save();
      g.beginPath(); g.rect(left, 0, right - left + 4, height); g.clip();
      for (const s of series) {
        g.strokeStyle = s.color; g.fillStyle = s.color; g.lineWidth = s.width ?? 2; g.lineJoin = "round";
        g.setLineDash(s.dash ?? []);
        g.beginPath();
        let before = null;
        for (const point of points) {
          const v = s.value(point);
          if (v === null) { before = null; continue; }
          if (before && point.at - before.at <= 2500) g.lineTo(x(point), y(v)); else g.moveTo(x(point), y(v));
          before = point;
        }
        g.stroke();
        const last = points.length ? s.value(points[points.length - 1]) : null;
        if (last !== null) { g.beginPath(); g.arc(x(points[points.length - 1]), y(last), 3, 0, 2 * Math.PI); g.fill(); }
      }
      g.restore();
    }
    const closeNames = {
      1000: "normal", 1001: "going away", 1002: "protocol error", 1003: "unsupported", 1005: "no code",
      1006: "no close frame", 1007: "invalid data", 1008: "policy", 1009: "too big", 1010: "extension",
      1011: "server error", 1012: "restart", 1013: "try later", 1015: "TLS",
    };
    // Connections ended, by close code: a bar each (the most frequent first, the rest as "other").
    function closeChart() {
      const { g, width, height } = surface("chart-closes");
      const codes = Object.entries(serverStats.last?.closeCodes ?? {}).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      const rows = codes.length > 5 ? [...codes.slice(0, 4), ["other", codes.slice(4).reduce((n, c) => n + c[1], 0)]] : codes;
      g.fillStyle = "#57606a"; g.textBaseline = "middle";
      if (!rows.length) { g.textAlign = "center"; g.fillText("no connection has ended yet", width / 2, height / 2); return; }
      const label = 118, count = 44, rowHeight = Math.min(19, (height - 4) / rows.length);
      const most = Math.max(...rows.map((r) => r[1]));
      rows.forEach(([code, n], i) => {
        const middle = 2 + rowHeight * (i + 0.5);
        const name = code === "other" ? "other codes" : `${code} ${closeNames[code] ?? (code >= 4000 ? "application" : code >= 3000 ? "registered" : "")}`;
        g.fillStyle = "#1d2330"; g.textAlign = "left"; g.fillText(name, 6, middle);
        g.fillStyle = code === "1000" ? "#2a9d8f" : code === "1001" ? "#8d99ae" : code === "1006" || code === "1011" ? "#e76f51" : "#f4a261";
        g.fillRect(label, middle - rowHeight * 0.35, Math.max(2, (width - label - count) * n / most), rowHeight * 0.7);
        g.fillStyle = "#1d2330"; g.textAlign = "right"; g.fillText(n.toLocaleString("en"), width - 6, middle);
      });
    }
    function drawCharts() {
      lineChart("chart-connections", [
        { value: (p) => p.connections, color: "#8d99ae", dash: [5, 3] },
        { value: (p) => p.webSockets, color: "#2a9d8f" },
      ], { unit: "open", least: 4, steps: [2, 4, 6, 8, 10] });
      lineChart("chart-messages", [
        { value: (p) => p.outRate, color: "#e76f51", width: 4 }, // under in, which is often as much
        { value: (p) => p.inRate, color: "#3a86ff" },
      ], { unit: "messages/s", least: 4 });
      const keepalive = serverStats.points.some((p) => p.serverRtt !== null);
      lineChart("chart-rtt", [
        { value: (p) => p.pageRtt, color: "#2a9d8f" },
        { value: (p) => p.serverRtt, color: "#f4a261" },
      ], { unit: "ms", least: 1, note: keepalive ? null : "keepalive: after 30 s idle" });
      closeChart();
    }
    // The canvases take the height there is: drawn anew whenever their size changes.
    let drawing = false;
    const resized = new ResizeObserver(() => {
      if (!drawing) { drawing = true; requestAnimationFrame(() => { drawing = false; drawCharts(); }); }
    });
    for (const canvas of document.querySelectorAll("#server canvas")) resized.observe(canvas);

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
