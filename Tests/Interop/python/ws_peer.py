#!/usr/bin/env python3
"""A peer for WSHTTP's interop tests, on Python's `websockets` (17.x, the asyncio API).

  ws_peer.py server --port 0 [--cert PEM --key PEM]   an echo server on 127.0.0.1 (wss with --cert)
  ws_peer.py client --url URL [--ca PEM]              a fixed script against a server (wss:// with --ca)

Scripts/interop-env.sh makes the venv it runs in; Packages/WSHTTP/Tests/WSHTTPTests/
PythonInteropTests.swift and TLS/TLSInteropTests.swift run it.

server: prints `PORT <n>` once listening. Chooses the subprotocol "chat" when the client
offers it (and none otherwise), echoes text as text and binary as binary, takes messages up to
4 MiB. On the path /close-4002 it closes at once with 4002 "server says bye". After each
connection it prints `CLOSED {"path", "close_code", "close_reason"}`: the Close it received.
It exits on SIGTERM, SIGINT, or when its standard input (a pipe) reaches its end, so it
outlives no test.

With --cert and --key the server speaks TLS (wss) with that certificate chain and key. With
--ca the client trusts only the CA certificates in that file, and checks the server's
certificate and host name (ssl.create_default_context: verification on); it then offers ALPN
http/1.1 and adds "tls_version" and "alpn" to what it prints.

client: offers "chat"; echoes text, binary 0..255, 1 MiB of binary, a message sent in
fragments (text and binary); pings; closes with 4000 "bye". Prints one JSON line of what it
saw and exits 0; on any mismatch, error or timeout it prints why on stderr and exits 1.
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import stat
import sys
import time

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

MAX_SIZE = 4 << 20
STEP_TIMEOUT = 10  # seconds, for each await of the client's script
CLOSE_PATH = "/close-4002"


class Failure(Exception):
    """A step of the client's script went wrong; the message says which and how."""


# Server


def select_subprotocol(connection, offered):
    return "chat" if "chat" in offered else None


async def handle(connection):
    path = connection.request.path
    if path == CLOSE_PATH:
        await connection.close(4002, "server says bye")
    else:
        try:
            async for message in connection:
                await connection.send(message)
        except ConnectionClosed:
            pass  # a Close with a code other than 1000 and 1001 ends the loop so; reported below
    await connection.wait_closed()
    report = {"path": path, "close_code": connection.close_code, "close_reason": connection.close_reason,
              "extensions": connection.response.headers.get("Sec-WebSocket-Extensions")}
    print("CLOSED " + json.dumps(report), flush=True)


def watch_stdin(loop, stop):
    """Sets `stop` when standard input, if it is a pipe or a socket, reaches its end."""
    fd = sys.stdin.fileno()
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return

    def readable():
        if not os.read(fd, 4096):
            loop.remove_reader(fd)
            stop.set()

    loop.add_reader(fd, readable)


def server_tls(cert, key):
    """An SSLContext for a wss server with this certificate chain and key, or None for ws."""
    if cert is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["http/1.1"])
    return context


def client_tls(ca):
    """An SSLContext for a wss client that trusts only `ca` and checks the host name, or None for ws."""
    if ca is None:
        return None
    context = ssl.create_default_context(cafile=ca)  # CERT_REQUIRED, check_hostname
    context.set_alpn_protocols(["http/1.1"])
    return context


async def run_server(port, tls):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watch_stdin(loop, stop)
    async with serve(handle, "127.0.0.1", port, select_subprotocol=select_subprotocol, max_size=MAX_SIZE, ssl=tls) as server:
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        await stop.wait()
    return 0


# Client


async def step(name, awaitable):
    try:
        async with asyncio.timeout(STEP_TIMEOUT):
            return await awaitable
    except TimeoutError:
        raise Failure(f"{name}: nothing within {STEP_TIMEOUT} s") from None


def describe(data):
    if isinstance(data, str):
        return repr(data) if len(data) <= 40 else f"text of {len(data)} characters"
    return f"binary of {len(data)} bytes"


async def echo(connection, name, message):
    """Sends `message` (or its fragments, if it is a list) and returns the echo, which must equal it."""
    await step(f"{name}: send", connection.send(message))
    received = await step(f"{name}: receive", connection.recv())
    expected = message if not isinstance(message, list) else ("" if isinstance(message[0], str) else b"").join(message)
    if type(received) is not type(expected) or received != expected:
        where = next((i for i, (a, b) in enumerate(zip(received, expected)) if a != b), None)
        difference = "" if where is None or type(received) is not type(expected) else f", first difference at {where}"
        raise Failure(f"{name}: sent {describe(expected)}, got {describe(received)} back{difference}")
    return received


async def run_client(url, tls):
    connection = await step(
        "connect", connect(url, subprotocols=["chat"], max_size=MAX_SIZE, proxy=None, open_timeout=STEP_TIMEOUT, ssl=tls))
    results = {"subprotocol": connection.subprotocol,
               "extensions": connection.response.headers.get("Sec-WebSocket-Extensions")}
    if tls is not None:
        tls_object = connection.transport.get_extra_info("ssl_object")
        results["tls_version"] = tls_object.version()
        results["alpn"] = tls_object.selected_alpn_protocol()
    results["text"] = await echo(connection, "text", "héllo ✓")
    results["binary_hex"] = (await echo(connection, "binary", bytes(range(256)))).hex()
    large = bytes(i * 31 & 0xFF for i in range(1 << 20))
    results["large_length"] = len(await echo(connection, "1 MiB binary", large))
    results["fragmented_text"] = await echo(connection, "text in fragments", ["Hel", "lo, ", "fragments ✓"])
    results["fragmented_binary_hex"] = (await echo(connection, "binary in fragments", [b"\x00\x01", b"", b"\xfe\xff"])).hex()
    pong = await step("ping", connection.ping())
    results["ping_seconds"] = await step("pong", pong)
    started = time.monotonic()
    await step("close", connection.close(4000, "bye"))
    # A client waits for the server to close TCP (RFC 6455 §7.1.1), up to close_timeout (10 s):
    # a quick close says the server did.
    results["close_seconds"] = time.monotonic() - started
    results["close_code"] = connection.close_code
    results["close_reason"] = connection.close_reason
    print(json.dumps(results, ensure_ascii=False), flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("server", help="an echo server on 127.0.0.1")
    server.add_argument("--port", type=int, default=0, help="0 for a free port (default)")
    server.add_argument("--cert", help="PEM certificate chain: speak wss with it (needs --key)")
    server.add_argument("--key", help="PEM private key of --cert")
    client = commands.add_parser("client", help="a fixed script against a server")
    client.add_argument("--url", required=True, help="ws://127.0.0.1:PORT/PATH, or wss://localhost:PORT/PATH with --ca")
    client.add_argument("--ca", help="PEM CA certificates: the only ones a wss server's certificate may chain to")
    arguments = parser.parse_args()
    if arguments.command == "server" and (arguments.cert is None) != (arguments.key is None):
        parser.error("--cert and --key go together")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="ws_peer %(levelname)s %(name)s: %(message)s")
    try:
        if arguments.command == "server":
            return asyncio.run(run_server(arguments.port, server_tls(arguments.cert, arguments.key)))
        return asyncio.run(run_client(arguments.url, client_tls(arguments.ca)))
    except Failure as failure:
        print(f"ws_peer client: {failure}", file=sys.stderr, flush=True)
        return 1
    except Exception as error:
        print(f"ws_peer {arguments.command}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
