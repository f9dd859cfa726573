"""Python's websockets as a known-good testee for the Autobahn set-up (selfcheck.sh): an echo
server, or a client that runs every case of the suite's fuzzing server, echoing.

    python3 websockets-peer.py server PORT
    python3 websockets-peer.py client URL AGENT

Both take messages of up to 16 MiB and agree to permessage-deflate (websockets' default).
"""
import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import WebSocketException

MAX_SIZE = 16 * 1024 * 1024


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except WebSocketException:
        pass


async def server(port):
    async with serve(echo, "127.0.0.1", port, max_size=MAX_SIZE, ping_interval=None):
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Future()


async def client(url, agent):
    async with connect(f"{url}/getCaseCount") as ws:
        count = int(await ws.recv())
    print(f"{count} cases", flush=True)
    for case in range(1, count + 1):
        try:
            async with connect(f"{url}/runCase?case={case}&agent={agent}", max_size=MAX_SIZE, ping_interval=None) as ws:
                await echo(ws)
        except (WebSocketException, OSError):
            pass  # the case's verdict says what went wrong
    async with connect(f"{url}/updateReports?agent={agent}") as ws:
        await ws.wait_closed()
    print("reports updated", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["server"] and len(sys.argv) == 3:
        asyncio.run(server(int(sys.argv[2])))
    elif sys.argv[1:2] == ["client"] and len(sys.argv) == 4:
        asyncio.run(client(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
