#!/usr/bin/env bash
# Interop with node's `ws` (Debian's node-ws), both ways, through the `websockets` command:
#   - node's client against `websockets serve`'s echo: text, binary, 1 MiB, a message in
#     fragments, a ping answered with its payload, a close with 4000 "bye" echoed;
#   - `websockets connect --echo` against node's server: text, binary and 1 MiB sent back,
#     then node closes with 1000 and the client exits 0.
# Both ways with permessage-deflate, as node offers it (its client, by default) and accepts it
# (its server, told to, compressing every message): both sides check it was agreed. Every
# process is bounded in time and stopped by its PID.
#
#   Tests/Interop/node-interop.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
command -v node >/dev/null || { echo "node-interop: no node (apt-get install node-ws brings nodejs)" >&2; exit 1; }
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
node -e "require('ws')" 2>/dev/null || { echo "node-interop: node cannot load ws (apt-get install node-ws)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

timeout 900 swift build --product websockets >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
timeout 300 swift run --skip-build websockets serve --port 0 >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
port=""
for _ in $(seq 300); do
    port=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "node-interop: websockets serve did not start" >&2; cat "$work/serve.err" >&2; exit 1; }

timeout 60 node Tests/Interop/node/echo-client.js "ws://127.0.0.1:$port/echo"

timeout 60 node - "$(swift build --show-bin-path)/websockets" <<'JS'
const { WebSocketServer } = require("ws");
const { spawn } = require("child_process");
const fail = (why) => { console.error(`node-interop: node server: ${why}`); process.exit(1); };
setTimeout(() => fail("timed out"), 30000).unref();
const big = Buffer.alloc(1 << 20, 9);
const sent = [["text", "hi from node"], ["binary", Buffer.from([3, 2, 1])], ["binary", big]];
const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: { threshold: 0 } }, () => {
  const client = spawn(process.argv[2], ["connect", "--echo", `ws://127.0.0.1:${server.address().port}/`], { stdio: ["ignore", "inherit", "inherit"] });
  client.on("exit", (status) => {
    if (status !== 0) fail(`websockets connect --echo exited ${status}`);
    console.log("node-interop: websockets connect --echo sent back text, binary and 1 MiB to node's server, compressed both ways, and exited 0");
    process.exit(0);
  });
});
server.on("connection", (ws) => {
  if (ws.extensions !== "permessage-deflate") fail(`permessage-deflate was not agreed: '${ws.extensions}'`);
  const back = [];
  ws.on("message", (data, isBinary) => {
    back.push([isBinary ? "binary" : "text", isBinary ? data : data.toString()]);
    if (back.length < sent.length) return;
    back.forEach(([kind, data], i) => {
      if (kind !== sent[i][0] || !(kind === "text" ? data === sent[i][1] : Buffer.compare(data, sent[i][1]) === 0)) fail(`echo ${i} differs`);
    });
    ws.close(1000, "done");
  });
  for (const [kind, data] of sent) ws.send(data, { binary: kind === "binary" });
});
JS
echo "node-interop: all OK"
