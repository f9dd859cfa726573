// node's `ws` as a client of an echo server: text, binary, 1 MiB, a message in fragments, a
// ping answered with its payload, then a close with 4000 "bye" that the server must echo, all
// with permessage-deflate, which the server must accept. Exits 0 when everything came back
// as sent, 1 with the reason otherwise, and on its own after 30 s.
//
//     NODE_PATH=/usr/share/nodejs node Tests/Interop/node/echo-client.js ws://127.0.0.1:PORT/echo
//
// Run by Tests/Interop/node-interop.sh (against `websockets serve`) and
// Tests/Adapters/adapter-peers.sh (against the framework adapters' echoes).
const WebSocket = require("ws");
const url = process.argv[2];
const fail = (why) => { console.error(`echo-client.js: ${url}: ${why}`); process.exit(1); };
setTimeout(() => fail("timed out"), 30000).unref();
const ws = new WebSocket(url);
const big = Buffer.alloc(1 << 20, 7);
const expected = [["text", "hello from node ✓"], ["binary", Buffer.from([0, 1, 2, 255])], ["binary", big], ["text", "fragmented message"]];
const received = [];
ws.on("open", () => {
  if (ws.extensions !== "permessage-deflate") fail(`permessage-deflate was not agreed: '${ws.extensions}'`);
  ws.send(expected[0][1]);
  ws.send(expected[1][1]);
  ws.send(big);
  ws.send("fragmented ", { fin: false });
  ws.send("message", { fin: true });
  ws.ping(Buffer.from("are you there"));
});
ws.on("pong", (data) => { if (data.toString() !== "are you there") fail(`pong payload ${data}`); received.push("pong"); });
ws.on("message", (data, isBinary) => {
  received.push([isBinary ? "binary" : "text", isBinary ? data : data.toString()]);
  if (received.filter((r) => r !== "pong").length === expected.length) ws.close(4000, "bye");
});
ws.on("close", (code, reason) => {
  const messages = received.filter((r) => r !== "pong");
  messages.forEach(([kind, data], i) => {
    if (kind !== expected[i][0] || !(kind === "text" ? data === expected[i][1] : Buffer.compare(data, expected[i][1]) === 0))
      fail(`message ${i} came back as ${kind} of ${data.length} bytes`);
  });
  if (!received.includes("pong")) fail("no pong");
  if (code !== 4000) fail(`close code ${code} ${reason}`);
  console.log(`echo-client.js: ${url}: ${messages.length} messages echoed compressed (text, binary, 1 MiB, fragments), ping answered, close ${code}`);
  process.exit(0);
});
ws.on("error", (error) => fail(error.message));
