"""An echo server that goes wrong on purpose, for Tests/LoadGen/loadgen-check.sh: the load
generator must notice each fault, count it and exit 1.

    python3 faulty-echo.py PORT FAULT [CERT KEY]

With CERT and KEY (PEM files) it serves wss, for loadgen --tls.

FAULT is one of:
    none       echoes every message as it came
    corrupt    flips one bit of the 50th message's last byte
    reorder    sends the 50th and 51st messages' echoes in swapped order
    truncate   echoes the 50th message one byte short
    close      closes with 1011 after the 50th message
    opcode     echoes the 50th message as text when it came as binary (or the reverse)
    refuse     answers every 5th upgrade request with 403 (for loadgen's connect mode)
    stall      never answers the 3rd upgrade request (for connect mode's --connect-timeout)
"""
import asyncio
import http
import itertools
import ssl
import sys

from websockets.asyncio.server import serve


async def main(port, fault, cert=None, key=None):
    async def echo(ws):
        count, held = 0, None
        async for message in ws:
            count += 1
            if count == 50 and fault == "corrupt":
                message = message[:-1] + bytes([message[-1] ^ 1])
            elif count == 50 and fault == "truncate":
                message = message[:-1]
            elif count == 50 and fault == "opcode":
                message = message.decode("latin-1") if isinstance(message, bytes) else message.encode()
            elif count == 50 and fault == "close":
                await ws.close(1011, "faulty-echo: closing on purpose")
                return
            elif count == 50 and fault == "reorder":
                held = message
                continue
            await ws.send(message)
            if held is not None:
                await ws.send(held)
                held = None

    upgrades = itertools.count(1)

    async def gate(connection, request):
        n = next(upgrades)
        if fault == "refuse" and n % 5 == 0:
            return connection.respond(http.HTTPStatus.FORBIDDEN, "faulty-echo: refused on purpose\n")
        if fault == "stall" and n == 3:
            await asyncio.sleep(3600)
        return None

    tls = None
    if cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
    async with serve(echo, "127.0.0.1", port, compression=None, max_size=None, ping_interval=None,
                     process_request=gate, ssl=tls):
        print("listening", flush=True)
        await asyncio.Future()


asyncio.run(main(int(sys.argv[1]), sys.argv[2], *sys.argv[3:5]))
