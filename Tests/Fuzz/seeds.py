"""Writes the seed corpora of the fuzz targets (Scripts/fuzz.sh): the frames, handshake-free
byte streams and compressed payloads the tests use, each a file, so that libFuzzer starts from
inputs that reach deep into each target instead of from nothing.

    python3 Tests/Fuzz/seeds.py OUT      # writes OUT/connection, OUT/utf8, OUT/inflate, OUT/handshake,
                                         # OUT/url, OUT/proxy, OUT/gate
"""
import os
import struct
import sys
import zlib

KEY = bytes([0x37, 0xFA, 0x21, 0x3D])


def frame(opcode, payload=b"", fin=True, rsv1=False, masked=True, length=None):
    """One frame: a client's (masked) or a server's; `length` overrides the declared length."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload) if length is None else length
    mask = 0x80 if masked else 0
    if n < 126:
        head = bytes([first, mask | n])
    elif n <= 0xFFFF:
        head = bytes([first, mask | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, mask | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    return head + KEY + bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))


def deflated(data):
    """A message's payload compressed as permessage-deflate sends it: raw deflate, sync-flushed,
    the final 00 00 ff ff taken off (RFC 7692 §7.2.1)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4]


def streams(masked):
    text = "héllo, κόσμε".encode()
    yield "text", frame(1, text, masked=masked)
    yield "binary", frame(2, bytes(range(200)), masked=masked)
    yield "ping-pong", frame(9, b"ping", masked=masked) + frame(10, b"pong", masked=masked)
    yield "close", frame(8, struct.pack(">H", 1000) + b"bye", masked=masked)
    yield "fragmented", frame(1, b"one ", fin=False, masked=masked) + frame(9, b"!", masked=masked) \
        + frame(0, b"two ", fin=False, masked=masked) + frame(0, b"three", masked=masked)
    yield "long", frame(2, b"x" * 300, masked=masked) + frame(2, b"y" * 70000, masked=masked)
    yield "invalid-utf8", frame(1, b"\xce\xba\xff", masked=masked)
    yield "utf8-split", frame(1, b"\xce", fin=False, masked=masked) + frame(0, b"\xba", masked=masked)
    yield "huge-length", frame(2, b"", masked=masked, length=(1 << 63) - 1)
    yield "reserved-opcode", frame(3, b"?", masked=masked)
    yield "close-bad-code", frame(8, struct.pack(">H", 1005), masked=masked)
    yield "empty-continuations", frame(1, b"", fin=False, masked=masked) + frame(0, b"", fin=False, masked=masked) * 20
    yield "compressed", frame(1, deflated(b"hello hello hello hello"), rsv1=True, masked=masked)
    yield "compressed-fragmented", frame(1, deflated(b"abc" * 100)[:10], fin=False, rsv1=True, masked=masked) \
        + frame(0, deflated(b"abc" * 100)[10:], masked=masked)
    yield "compressed-bomb", frame(2, deflated(b"\0" * 1_000_000), rsv1=True, masked=masked)


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as file:
        file.write(data)


def main(out):
    for setup in [0x00, 0x01, 0x02, 0x03, 0x06, 0x0A, 0x12, 0x43]:
        masked = setup & 1 == 0  # a server reads a client's masked frames, a client a server's
        for name, data in streams(masked):
            write(f"{out}/connection", f"{setup:02x}-{name}", bytes([setup]) + data)
    samples = ["", "plain ascii", "héllo", "κόσμε", "日本語", "𝄞 clef", "a\u0000b"]
    invalid = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\xf0\x9f\x98"]
    for index, sample in enumerate(samples):
        write(f"{out}/utf8", f"valid-{index}", bytes([index * 3]) + sample.encode())
    for index, sample in enumerate(invalid):
        write(f"{out}/utf8", f"invalid-{index}", bytes([index]) + b"ok" + sample + b"ok")
    for index, sample in enumerate([b"hello", b"abc" * 1000, bytes(range(256)) * 4, b"\0" * 200_000]):
        write(f"{out}/inflate", f"deflated-{index}", bytes([index * 37]) + deflated(sample))
    write(f"{out}/inflate", "stored", bytes([0]) + b"\x01\x05\x00\xfa\xffhello")
    upgrade = ("GET /chat\nHost: example.com\nUpgrade: websocket\nConnection: keep-alive, Upgrade\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n")
    offers = ["permessage-deflate; client_max_window_bits", "permessage-deflate; server_no_context_takeover; "
              "client_max_window_bits=10, permessage-deflate", "x-webkit-deflate-frame, foo; bar=\"baz qux\""]
    write(f"{out}/handshake", "upgrade", upgrade.encode())
    write(f"{out}/handshake", "subprotocols", (upgrade + "Sec-WebSocket-Protocol: v2.json, chat\n").encode())
    for index, offer in enumerate(offers):
        write(f"{out}/handshake", f"extensions-{index}", (upgrade + f"Sec-WebSocket-Extensions: {offer}\n").encode())
    write(f"{out}/handshake", "response", ("GET /\nUpgrade: websocket\nConnection: Upgrade\n"
          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\nSec-WebSocket-Protocol: chat\n"
          "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=12\n").encode())
    write(f"{out}/handshake", "version-8", upgrade.replace("Version: 13", "Version: 8").encode())
    write(f"{out}/handshake", "post", upgrade.replace("GET", "POST").encode())
    # The client's tests' URLs, and proxies as http_proxy holds them.
    urls = ["ws://example.com", "wss://example.com/chat?room=1", "ws://127.0.0.1:9001/x", "wss://[::1]:8443/",
            "WS://Example.com?q=1", "ws://h/caf\u00e9 x?q=a b", "ws://u:p@h/", "ws://h/#frag", "ws://[fe80::1]:0/",
            "http://user:pw@proxy:3128", "proxy.example.com:8080", "ws://xn--caf-dma.fr/", "ws://h/a%20b"]
    for index, url in enumerate(urls):
        write(f"{out}/url", f"url-{index}", url.encode())
    # The target's first crash: a `#` with a combining mark after it (one Character) in the
    # target, behind bytes that are not UTF-8.
    write(f"{out}/url", "crash-fragment-mark", b"ws://x3/a\xe4::.:::-ss:::.::::29:#\xcc\x9b")
    answers = [b"HTTP/1.1 200 Connection established\r\n\r\n", b"HTTP/1.0 200 OK\r\nProxy-Agent: tinyproxy\r\n\r\n",
               b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n\r\n",
               b"HTTP/1.1 200\r\n\r\n", b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
               b"HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01", b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
               # The target's first crash: a combining mark after the code's space.
               b"HTTP/1.1 208 \xd9\x9f\x00  20  s2 \x00\x00 d0 \r\n\r\n"]
    for index, answer in enumerate(answers):
        write(f"{out}/proxy", f"answer-{index}", bytes([index * 9]) + answer)
    # Subject, validity and time as Tests/Fuzz/Targets/Gate.swift reads them: 4 + 4 bytes
    # (offset by 2^31), the scale bit, the edit (2 bytes) and its byte, then the subject.
    for index, (valid, now, subject) in enumerate([(60, 1000, "user-42"), (0, 0, ""), (-5, 10, "alice"),
                                                    ((1 << 31) - 1, (1 << 31) - 1, "for ever \u2713")]):
        head = struct.pack(">II", valid + (1 << 31), now + (1 << 31))
        write(f"{out}/gate", f"token-{index}", head + bytes([index & 1, 0, index * 7, 0x41]) + subject.encode())


if __name__ == "__main__":
    main(sys.argv[1])
