"""A topic fan-out server for Tests/LoadGen/loadgen-check.sh, which can go wrong on purpose:
loadgen's fanout mode must count each fault (and exit 1 for the ones that are errors).

    python3 fanout-server.py FAULT PORT [PORT...]

It listens on every PORT, with one registry of topics for all of them, so that the ports
stand for the nodes of one cluster. A WebSocket to /topics/NAME subscribes to NAME; every
message it sends goes to every other subscriber of NAME, on any port, and not back to it.

FAULT is one of:
    none       delivers every message
    drop       each receiver misses every 10th message it should get (missed, not an error)
    duplicate  each receiver gets its 50th message twice
    reorder    each receiver gets its 50th and 51st messages in swapped order
    corrupt    flips one bit of the last byte of each receiver's 50th message
    echo       the 50th message published also goes back to its sender
"""
import asyncio
import sys

from websockets.asyncio.server import broadcast, serve


async def main(fault, ports):
    topics = {}     # name -> the connections subscribed to it
    counts = {}     # connection -> messages it should have got so far
    held = {}       # connection -> a message held back (reorder)
    published = 0

    def deliver(ws, message):
        # broadcast() writes at once, without a task: deliveries keep the order of publishes.
        n = counts[ws] = counts.get(ws, 0) + 1
        if fault == "drop" and n % 10 == 0:
            return
        if fault == "corrupt" and n == 50:
            message = message[:-1] + bytes([message[-1] ^ 1])
        if fault == "reorder" and n == 50:
            held[ws] = message
            return
        broadcast([ws], message)
        if fault == "duplicate" and n == 50:
            broadcast([ws], message)
        if ws in held:
            broadcast([ws], held.pop(ws))

    async def handler(ws):
        nonlocal published
        path = ws.request.path
        if not path.startswith("/topics/") or len(path) == len("/topics/"):
            await ws.close(1008, "fanout-server: only /topics/NAME")
            return
        members = topics.setdefault(path, set())
        members.add(ws)
        try:
            async for message in ws:
                published += 1
                for other in list(members):
                    if other is not ws:
                        deliver(other, message)
                if fault == "echo" and published == 50:
                    broadcast([ws], message)
        finally:
            members.discard(ws)

    servers = [await serve(handler, "127.0.0.1", port, compression=None, max_size=None, ping_interval=None)
               for port in ports]
    print("listening", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


asyncio.run(main(sys.argv[1], [int(p) for p in sys.argv[2:]]))
