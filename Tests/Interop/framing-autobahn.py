#!/usr/bin/env python3
"""Runs WSFraming under the Autobahn testsuite, before the network layers exist.

This script does only the HTTP/1.1 handshake (RFC 6455 section 4); after the 101 it hands
the socket to `framing-echo` (Tests/Interop/Sources/FramingEcho) as its standard input and output,
so every frame is handled by WSFraming alone.

  framing-autobahn.py server PORT ECHO-BINARY          # an echo server for test-server.sh
  framing-autobahn.py client URL AGENT ECHO-BINARY     # the testee client for test-client.sh
"""
import base64, hashlib, os, socket, socketserver, subprocess, sys, urllib.parse

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during handshake")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, rest


def run_echo(sock, role, echo, initial=b""):
    subprocess.run([echo, role, initial.hex()], stdin=sock.fileno(), stdout=sock.fileno(), timeout=600)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _, headers, rest = read_head(sock)
        sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: %s\r\nServer: WSFraming\r\n\r\n" % accept_key(headers["sec-websocket-key"])).encode())
        run_echo(sock, "server", self.server.echo, rest)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def client_connect(url, path):
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=600)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, parts.hostname, parts.port or 80, key)).encode())
    status, headers, rest = read_head(sock)
    if " 101 " not in status + " " or headers.get("sec-websocket-accept") != accept_key(key):
        raise RuntimeError("handshake refused: " + status)
    sock.settimeout(None)  # blocking again: the echo program reads it directly
    return sock, rest


def case_count(url):
    sock, data = client_connect(url, "/getCaseCount")
    while len(data) < 2 or len(data) < 2 + (data[1] & 0x7F):
        data += sock.recv(4096)
    sock.close()
    return int(data[2:2 + (data[1] & 0x7F)])


def main():
    mode = sys.argv[1]
    if mode == "server":
        server = Server(("127.0.0.1", int(sys.argv[2])), Handler)
        server.echo = sys.argv[3]
        server.serve_forever()
    else:
        url, agent, echo = sys.argv[2], sys.argv[3], sys.argv[4]
        for case in range(1, case_count(url) + 1):
            sock, rest = client_connect(url, "/runCase?case=%d&agent=%s" % (case, agent))
            run_echo(sock, "client", echo, rest)
            sock.close()
        sock, rest = client_connect(url, "/updateReports?agent=%s" % agent)
        run_echo(sock, "client", echo, rest)


if __name__ == "__main__":
    main()
