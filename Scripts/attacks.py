#!/usr/bin/env python3
"""The attack suite (DESIGN.md 6b): hostile peers against a running `websockets serve`.

Each attack is a peer the server must survive with bounded memory and time, written by hand
over raw sockets (HTTP upgrade and RFC 6455 frames, masked with a random key per frame), and
prints one line `attack: figures  bound ...  PASS|FAIL`; then `N passed, N failed`, and the
exit status is 1 if any failed. The server's memory is its VmRSS in /proc/PID/status, sampled
every 50 ms, and its connections are followed in /proc/PID/fd and /proc/net/tcp.

  never-reads     one peer sends 200 binary messages of 1 MiB to the echo and never reads
                  (SO_RCVBUF 64 KiB); another echoes 64 B messages meanwhile. Bound: RSS growth
                  <= 8 MiB while the attacker is connected, and the other's echo p99 < 50 ms.
  stalled-peer    sends 64 x 1 MiB and stops reading: time from its last byte sent until the
                  server closes the connection (its socket leaves the server's fds), and RSS
                  after the drop. Bound: ping interval + ping timeout + close timeout + 5 s
                  (read from --server-flags; the defaults 30 + 10 + 10 otherwise), RSS back
                  within 4 MiB of before.
  ping-flood      1,000,000 masked Pings as fast as they go, never reading. Bound: RSS
                  growth <= 8 MiB.
  handshake-hold  2,000 connections that send part of an upgrade request and stop (start the
                  server with `ulimit -n 1024`, as attacks.sh does), then a real handshake.
                  Bound: its 101 in < 2 s.
  long-target     200 idle WebSocket connections with a short target, then 200 with a 64 KiB
                  target. Bound: the long ones' RSS per connection at most 4 KiB over the short:
                  a target kept would cost 64 KiB; the 1.5-2.2 KiB measured on the server before
                  this round (05ed324) is, most likely, the allocator after 200 x 64 KiB parsed.
  fragment-flood  one unfinished message of 1,000,000 one-byte fragments (never FIN). Bound:
                  RSS growth <= 8 MiB, and a Close with 1008 or 1009 from the server.

Every wait is bounded (an attack gives up and fails rather than hang), everything targets
127.0.0.1, and the peers answer the server's Pings where reading is allowed (the echo client,
the idle connections of long-target, the fragment flood), so that fast keepalive flags only
drop the peers that are meant to be dropped. Run the attacks one per fresh server (attacks.sh
does): memory that one attack made the allocator keep would hide the next one's growth.

  Scripts/attacks.sh [--binary PATH] [ATTACK ...] [-- SERVER FLAGS]          (the usual way)
  python3 Scripts/attacks.py --port P --pid PID [--server-flags='--ping-interval 2 ...'] [ATTACK ...]

Needs Python 3.8+ (standard library only) on Linux (/proc), and the server on the same machine.
"""

import argparse
import base64
import errno
import hashlib
import os
import resource
import selectors
import shlex
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
KiB = 1 << 10
MiB = 1 << 20
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
STALL = 2.0  # seconds without a byte sent: the server has stopped reading

# ---------------------------------------------------------------------------------------------
# RFC 6455 frames, client side (masked)

XOR = [bytes(x ^ k for x in range(256)) for k in range(256)]  # XOR[k]: a translate table


def mask(payload, key):
    n = len(payload)
    if n < 64:
        return bytes(b ^ key[i & 3] for i, b in enumerate(payload))
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(keys, "little")).to_bytes(n, "little")


def frame(opcode, payload=b"", fin=True):
    """One masked frame, with a fresh random masking key (RFC 6455 §5.2, §5.3)."""
    key = os.urandom(4)
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", first, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, n)
    return header + key + mask(payload, key)


def tiny_frames(count, first, payload):
    """`count` masked frames of one small payload, each with its own random key, in one buffer."""
    size = 6 + len(payload)
    keys = os.urandom(4 * count)
    out = bytearray(size * count)
    out[0::size] = bytes([first]) * count
    out[1::size] = bytes([0x80 | len(payload)]) * count
    for i in range(4):
        out[2 + i::size] = keys[i::4]
    for i, byte in enumerate(payload):
        out[6 + i::size] = keys[i & 3::4].translate(XOR[byte])
    return bytes(out)


def close_code(payload):
    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None


class Refused(Exception):
    """The server answered the upgrade with something other than 101, or closed instead."""


class Peer:
    """A client connection after its handshake: masked frames out, frames in."""

    def __init__(self, port, target="/echo", rcvbuf=None, timeout=10.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lock = threading.Lock()  # whole frames: the flood and the pongs never interleave
        self.buffer = bytearray()
        try:
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.settimeout(timeout)
            self.sock.connect((HOST, port))
            self.port = self.sock.getsockname()[1]
            key = base64.b64encode(os.urandom(16))
            request = (b"GET " + target.encode() + b" HTTP/1.1\r\nHost: " + f"{HOST}:{port}".encode()
                       + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                       + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
            self.sock.sendall(request)
            head = bytearray()
            while b"\r\n\r\n" not in head:
                data = self.sock.recv(4096)
                if not data:
                    raise Refused("closed before a response")
                head += data
                if len(head) > 64 * KiB:
                    raise Refused("response head over 64 KiB")
            end = head.index(b"\r\n\r\n") + 4
            self.buffer += head[end:]
            lines = bytes(head[:end]).decode("latin-1").split("\r\n")
            status = lines[0].split(" ", 2)
            if len(status) < 2 or status[1] != "101":
                raise Refused(f"HTTP {status[1] if len(status) > 1 else lines[0]!r}")
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
            if fields.get("sec-websocket-accept") != accept:
                raise Refused("wrong Sec-WebSocket-Accept")
        except BaseException:
            self.sock.close()
            raise

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def parse(self):
        """The next whole frame in the buffer, as (fin, opcode, payload), or None."""
        buf = self.buffer
        if len(buf) < 2:
            return None
        n, at = buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                return None
            n, at = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            if len(buf) < 10:
                return None
            n, at = int.from_bytes(buf[2:10], "big"), 10
        key = None
        if buf[1] & 0x80:  # a server must not mask, but read it anyway
            key, at = bytes(buf[at:at + 4]), at + 4
        if len(buf) < at + n:
            return None
        payload = bytes(buf[at:at + n])
        first = buf[0]
        del buf[:at + n]
        return bool(first & 0x80), first & 0x0F, mask(payload, key) if key else payload

    def frame_in(self):
        while True:
            parsed = self.parse()
            if parsed:
                return parsed
            data = self.sock.recv(256 * KiB)
            if not data:
                raise EOFError("the server closed the connection")
            self.buffer += data

    def receive(self):
        """The next message as (opcode, data), answering Pings; (CLOSE, payload) for a Close."""
        kind, parts = None, []
        while True:
            fin, opcode, payload = self.frame_in()
            if opcode == PING:
                self.send(frame(PONG, payload))
            elif opcode == PONG:
                pass
            elif opcode == CLOSE:
                return CLOSE, payload
            else:
                kind = kind if opcode == CONT else opcode
                parts.append(payload)
                if fin:
                    return kind, b"".join(parts)

    def close(self, abort=False):
        """Closes the socket; `abort` resets it (SO_LINGER 0), so the server frees it at once."""
        try:
            if abort:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass


def blast(peer, chunks, deadline, watch=None):
    """Sends each chunk whole, never reading, until every chunk is sent, or no byte has gone for
    STALL seconds, or the connection fails, or `deadline` (monotonic), or `watch()` returns a
    reason (asked whenever a send waits 0.25 s). Returns (how, bytes sent, time of the last
    byte sent)."""
    sock = peer.sock
    sock.settimeout(0.25)
    sent, last = 0, time.monotonic()
    for chunk in chunks:
        view, at = memoryview(chunk), 0
        with peer.lock:
            while at < len(view):
                now = time.monotonic()
                if now >= deadline:
                    return "still sending at the deadline", sent, last
                if now - last >= STALL:
                    return "stalled", sent, last
                try:
                    k = sock.send(view[at:at + 256 * KiB])
                except socket.timeout:
                    reason = watch() if watch else None
                    if reason:
                        return reason, sent, last
                    continue
                except OSError as error:
                    return f"closed by the server ({errno.errorcode.get(error.errno, error)})", sent, time.monotonic()
                at, sent, last = at + k, sent + k, time.monotonic()
    return "sent all", sent, last


# ---------------------------------------------------------------------------------------------
# The server, seen from /proc

class ServerGone(Exception):
    pass


class Server:
    def __init__(self, pid, port):
        self.pid, self.port = pid, port

    def rss(self):
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * KiB
        except (FileNotFoundError, ProcessLookupError):
            pass
        raise ServerGone(f"the server (PID {self.pid}) has exited")

    def fds(self):
        try:
            names = os.listdir(f"/proc/{self.pid}/fd")
        except FileNotFoundError:
            raise ServerGone(f"the server (PID {self.pid}) has exited")
        links = set()
        for name in names:
            try:
                links.add(os.readlink(f"/proc/{self.pid}/fd/{name}"))
            except OSError:
                pass
        return links

    def sockets(self, client_port):
        """The server's ends of the connection from client_port in /proc/net/tcp, as
        (inode, bytes queued to send, bytes received and not read yet)."""
        found = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as rows:
                    next(rows)
                    for row in rows:
                        cells = row.split()
                        local, remote = cells[1].rsplit(":", 1)[1], cells[2].rsplit(":", 1)[1]
                        if int(local, 16) == self.port and int(remote, 16) == client_port:
                            tx, rx = (int(n, 16) for n in cells[4].split(":"))
                            found.append((cells[9], tx, rx))
            except FileNotFoundError:
                pass
        return found

    def holds(self, client_port):
        """Whether the server still has an open file for its end of the connection from client_port."""
        inodes = {f"socket:[{inode}]" for inode, _, _ in self.sockets(client_port) if inode != "0"}
        return bool(inodes & self.fds())

    def unread(self, client_port):
        """The bytes from client_port that the server's kernel holds and the server has not read."""
        return sum(rx for _, _, rx in self.sockets(client_port))

    def drain(self, client_port, seconds=10.0):
        """Waits (bounded) until the server has read all it will from client_port: nothing left
        unread, or the same amount for a second. Returns the bytes left unread."""
        end, last, since = time.monotonic() + seconds, None, time.monotonic()
        while time.monotonic() < end:
            left = self.unread(client_port)
            if left == 0:
                return 0
            if left != last:
                last, since = left, time.monotonic()
            elif time.monotonic() - since >= 1.0:
                break
            time.sleep(0.1)
        return last or 0

    def settle(self, fd_count, seconds=15.0):
        """Waits (bounded) until the server is back to `fd_count` open files, after an attack."""
        end = time.monotonic() + seconds
        while len(self.fds()) > fd_count and time.monotonic() < end:
            time.sleep(0.1)


class Sampler:
    """The server's RSS every 50 ms in the background: `peak` while it runs."""

    def __init__(self, server):
        self.server, self.stop, self.gone = server, threading.Event(), False
        self.peak = server.rss()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.wait(0.05):
            try:
                self.peak = max(self.peak, self.server.rss())
            except ServerGone:
                self.gone = True
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        if self.gone and exc[0] is None:
            raise ServerGone(f"the server (PID {self.server.pid}) has exited")


class Keeper(threading.Thread):
    """Reads idle connections in the background and answers the server's Pings, so that
    keepalive does not drop them; counts the ones the server closes."""

    def __init__(self):
        super().__init__(daemon=True)
        self.selector, self.pending, self.lock = selectors.DefaultSelector(), [], threading.Lock()
        self.done, self.dropped = threading.Event(), 0

    def add(self, peer):
        with self.lock:
            self.pending.append(peer)

    def run(self):
        while not self.done.is_set():
            with self.lock:
                pending, self.pending = self.pending, []
            for peer in pending:
                self.selector.register(peer.sock, selectors.EVENT_READ, peer)
            for key, _ in self.selector.select(timeout=0.05):
                peer = key.data
                try:
                    data = peer.sock.recv(64 * KiB)
                except (BlockingIOError, socket.timeout):
                    continue
                except OSError:
                    data = b""
                if data:
                    peer.buffer += data
                while data:
                    parsed = peer.parse()
                    if parsed is None:
                        break
                    if parsed[1] == PING:
                        try:
                            peer.send(frame(PONG, parsed[2]))
                        except OSError:
                            pass
                    elif parsed[1] == CLOSE:
                        data = b""
                if not data:
                    self.selector.unregister(peer.sock)
                    self.dropped += 1

    def stop(self):
        self.done.set()
        self.join()


# ---------------------------------------------------------------------------------------------
# The attacks

def mib(n):
    return f"{n / MiB:+.1f} MiB"


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def never_reads(ctx):
    server = ctx.server
    echo = Peer(ctx.port)
    attacker, outcome = None, {}
    try:
        payload = os.urandom(64)
        for _ in range(50):  # warm the echo path before the baseline
            echo.send(frame(BINARY, payload))
            echo.receive()
        before = server.rss()
        attacker = Peer(ctx.port, rcvbuf=64 * KiB)
        message = os.urandom(MiB)

        def attack():
            outcome["result"] = blast(attacker, (frame(BINARY, message) for _ in range(200)), time.monotonic() + 60)
            outcome["at"] = time.monotonic()

        thread = threading.Thread(target=attack, daemon=True)
        rtts, errors = [], 0
        with Sampler(server) as sampler:
            thread.start()
            end = time.monotonic() + 65
            while time.monotonic() < end:
                if "at" in outcome and time.monotonic() > outcome["at"] + 3.0:
                    break  # three more seconds of echoes after the attacker stalled or finished
                payload = os.urandom(64)
                start = time.perf_counter()
                try:
                    echo.send(frame(BINARY, payload))
                    kind, data = echo.receive()
                except (OSError, EOFError):
                    errors += 1
                    rtts.append(10.0)
                    break
                rtts.append(time.perf_counter() - start)
                if kind != BINARY or data != payload:
                    errors += 1
                time.sleep(max(0.0, 0.01 - (time.perf_counter() - start)))  # 100 round trips a second
            thread.join(5)
            unread = server.unread(attacker.port)
        how, sent, _ = outcome.get("result", ("still sending", 0, 0))
        growth = sampler.peak - before
        p50, p99 = percentile(rtts, 0.5) * 1000, percentile(rtts, 0.99) * 1000
        ok = growth <= 8 * MiB and p99 < 50 and errors == 0
        ctx.report("never-reads",
                   f"RSS {mib(growth)} (attacker {how}: {sent / MiB:.1f} MiB sent, {unread / MiB:.1f} MiB unread by the server); echo p99 {p99:.1f} ms, "
                   f"p50 {p50:.1f} ms, {len(rtts)} round trips{f', {errors} failed' if errors else ''}",
                   "RSS <= +8 MiB, p99 < 50 ms", ok)
    finally:
        echo.close()
        if attacker:
            attacker.close(abort=True)


def stalled_peer(ctx):
    server = ctx.server
    interval, timeout, close = ctx.timing
    bound = interval + timeout + close + 5
    before = server.rss()
    peer = Peer(ctx.port, rcvbuf=64 * KiB)
    try:
        with Sampler(server) as sampler:
            message = os.urandom(MiB)
            dropped = {}

            def watch():
                if not server.holds(peer.port):
                    dropped["at"] = time.monotonic()
                    return "dropped by the server"
                return None

            how, sent, last = blast(peer, (frame(BINARY, message) for _ in range(64)), time.monotonic() + 60, watch)
            give_up = last + bound + 5
            while "at" not in dropped and time.monotonic() < give_up:
                if not server.holds(peer.port):
                    dropped["at"] = time.monotonic()
                else:
                    time.sleep(0.1)
        if "at" in dropped:
            time.sleep(1.0)  # the close and its buffers done
            after = server.rss()
            for _ in range(10):  # the lowest over one more second
                time.sleep(0.1)
                after = min(after, server.rss())
            elapsed = dropped["at"] - last
            ok = elapsed <= bound and after - before <= 4 * MiB
            figure = f"dropped {elapsed:.1f} s after its last byte; RSS after the drop {mib(after - before)}"
        else:
            after = server.rss()
            ok = False
            figure = f"not dropped {give_up - last:.0f} s after its last byte; RSS still {mib(after - before)}"
        ctx.report("stalled-peer",
                   f"{figure} (peak {mib(sampler.peak - before)}; {sent / MiB:.0f} MiB sent, {how})",
                   f"dropped <= {bound:g} s ({interval:g}+{timeout:g}+{close:g}+5), RSS after <= +4 MiB", ok)
    finally:
        peer.close(abort=True)


def ping_flood(ctx):
    server = ctx.server
    before = server.rss()
    peer = Peer(ctx.port, rcvbuf=64 * KiB)
    try:
        with Sampler(server) as sampler:
            batches = (tiny_frames(10_000, 0x80 | PING, b"ping") for _ in range(100))
            how, sent, _ = blast(peer, batches, time.monotonic() + 60)
            unread = server.drain(peer.port)
        growth = sampler.peak - before
        ctx.report("ping-flood", f"RSS {mib(growth)} ({sent // 10:,} Pings sent, {how}; {unread // 10:,} unread by the server)",
                   "RSS <= +8 MiB",
                   growth <= 8 * MiB)
    finally:
        peer.close(abort=True)


def handshake_hold(ctx):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 2_200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    partial = f"GET /echo HTTP/1.1\r\nHost: {HOST}:{ctx.port}\r\nUpgrade: websocket\r\n".encode()
    selector, sockets, held = selectors.DefaultSelector(), [], 0
    try:
        for _ in range(2_000):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setblocking(False)
            sock.connect_ex((HOST, ctx.port))
            selector.register(sock, selectors.EVENT_WRITE)
        end = time.monotonic() + 5  # the ones left in SYN retries stay open, silent
        while selector.get_map() and time.monotonic() < end:
            for key, _ in selector.select(timeout=0.1):
                sock = key.fileobj
                selector.unregister(sock)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    try:
                        sock.send(partial)
                        held += 1
                    except OSError:
                        pass
        opened = len(ctx.server.fds())
        start = time.monotonic()
        try:
            Peer(ctx.port, timeout=20).close()
            elapsed, figure = time.monotonic() - start, None
        except Refused as refusal:
            elapsed, figure = time.monotonic() - start, f"{refusal} after {time.monotonic() - start:.2f} s"
        except socket.timeout:
            elapsed, figure = 20.0, "no 101 within 20 s"
        except OSError as error:
            elapsed, figure = time.monotonic() - start, f"{error.strerror or error} after {time.monotonic() - start:.2f} s"
        ctx.report("handshake-hold",
                   f"{figure or f'101 after {elapsed:.2f} s'} (with {held:,} of 2,000 connections holding a partial request; the server had {opened:,} files open)",
                   "101 in < 2 s", figure is None and elapsed < 2)
    finally:
        selector.close()
        for sock in sockets:
            sock.close()


def long_target(ctx):
    server = ctx.server
    keeper = Keeper()
    keeper.start()
    peers, refused = [], {}

    def phase(target):
        for _ in range(200):
            try:
                peer = Peer(ctx.port, target)
            except Refused as refusal:
                refused[str(refusal)] = refused.get(str(refusal), 0) + 1
                continue
            peers.append(peer)
            keeper.add(peer)
        time.sleep(0.5)  # the server done with the upgrades
        return server.rss()

    try:
        phase("/echo?warm-up")  # the allocator's first growth, before either phase
        base = server.rss()
        short = (phase("/echo") - base) / 200
        mid = server.rss()
        long_ = (phase("/echo?" + "a" * (64 * KiB - 6)) - mid) / 200
        note = f"; long ones refused: {', '.join(f'{n} {why}' for why, n in refused.items())}" if refused else ""
        note += f"; {keeper.dropped} dropped by the server" if keeper.dropped else ""
        ctx.report("long-target",
                   f"RSS per connection {long_ / KiB:.1f} KiB with a 64 KiB target, {short / KiB:.1f} KiB with a short one"
                   f" (difference {(long_ - short) / KiB:+.1f} KiB{note})",
                   "difference <= +4 KiB", long_ - short <= 4 * KiB and not keeper.dropped)
    finally:
        keeper.stop()
        for peer in peers:
            peer.close(abort=True)


def fragment_flood(ctx):
    server = ctx.server
    before = server.rss()
    peer = Peer(ctx.port, rcvbuf=64 * KiB)
    closed, done = {}, threading.Event()

    def read():  # the echo has nothing to send until the message ends: only Pings and the Close
        while not done.is_set():
            try:
                fin, opcode, payload = peer.frame_in()
            except socket.timeout:
                continue
            except (OSError, EOFError) as error:
                closed.setdefault("eof", str(error) or type(error).__name__)
                return
            if opcode == PING:
                try:
                    peer.send(frame(PONG, payload))
                except OSError:
                    pass
            elif opcode == CLOSE and "code" not in closed:
                closed["code"], closed["reason"] = close_code(payload), payload[2:].decode("utf-8", "replace")

    reader = threading.Thread(target=read, daemon=True)
    try:
        with Sampler(server) as sampler:
            reader.start()
            batches = [tiny_frames(1, BINARY, b"a")]  # the first frame, not final
            batches += (tiny_frames(10_000 - (i == 0), CONT, b"a") for i in range(100))
            how, sent, _ = blast(peer, batches, time.monotonic() + 60,
                                 lambda: "closed" if closed else None)
            unread = 0 if closed else server.drain(peer.port)  # the server done with what it will read
            end = time.monotonic() + 3
            while not closed and time.monotonic() < end:
                time.sleep(0.05)
            if "code" in closed:
                try:
                    peer.sock.settimeout(1)
                    peer.send(frame(CLOSE, struct.pack("!H", closed["code"] or 1000)))
                except OSError:
                    pass
        done.set()
        reader.join(2)
        growth = sampler.peak - before
        code = closed.get("code")
        if code is not None:
            result = f"closed with {code}" + (f" \"{closed['reason']}\"" if closed.get("reason") else "")
        elif "eof" in closed:
            result = "closed without a Close frame"
        else:
            result = "not closed"
        ctx.report("fragment-flood", f"RSS {mib(growth)}, {result} ({sent // 7:,} fragments sent, {how}; {unread // 7:,} unread by the server)",
                   "RSS <= +8 MiB, Close 1008 or 1009", growth <= 8 * MiB and code in (1008, 1009))
    finally:
        done.set()
        peer.close(abort=True)


ATTACKS = {
    "never-reads": never_reads,
    "stalled-peer": stalled_peer,
    "ping-flood": ping_flood,
    "handshake-hold": handshake_hold,
    "long-target": long_target,
    "fragment-flood": fragment_flood,
}


def server_timing(flags):
    """(ping interval, ping timeout, close timeout) in seconds from the server's flags, or the defaults."""
    values = {"--ping-interval": 30.0, "--ping-timeout": 10.0, "--close-timeout": 10.0}
    words = shlex.split(flags or "")
    for i, word in enumerate(words):
        name, has_value, value = word.partition("=")
        if name in values:
            value = value if has_value else (words[i + 1] if i + 1 < len(words) else "")
            try:
                values[name] = float(value.rstrip("s"))
            except ValueError:
                pass
    return tuple(values.values())


class Context:
    def __init__(self, server, port, timing):
        self.server, self.port, self.timing = server, port, timing
        self.passed = self.failed = 0

    def report(self, name, figure, bound, ok):
        print(f"{name}: {figure}  bound {bound}  {'PASS' if ok else 'FAIL'}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def main():
    parser = argparse.ArgumentParser(description="Hostile-peer attacks against `websockets serve`.")
    parser.add_argument("--port", type=int, required=True, help="the server's port on 127.0.0.1")
    parser.add_argument("--pid", type=int, required=True, help="the server's PID, for its memory and sockets")
    parser.add_argument("--server-flags", default="",
                        help="the flags the server runs with (their --ping-interval, --ping-timeout and --close-timeout set "
                             "stalled-peer's bound; 30, 10 and 10 s otherwise); give it as --server-flags='...'")
    parser.add_argument("--no-summary", action="store_true", help="leave out the final 'N passed, N failed' line")
    parser.add_argument("attacks", nargs="*", metavar="ATTACK", help=f"any of {', '.join(ATTACKS)} (default: all)")
    args = parser.parse_args()
    unknown = [name for name in args.attacks if name not in ATTACKS]
    if unknown:
        parser.error(f"unknown attack {', '.join(unknown)}; the attacks are {', '.join(ATTACKS)}")
    server = Server(args.pid, args.port)
    context = Context(server, args.port, server_timing(args.server_flags))
    fd_count = len(server.fds())
    for name in args.attacks or ATTACKS:
        try:
            ATTACKS[name](context)
        except ServerGone as gone:
            context.report(name, str(gone), "the server survives", False)
            break
        except (Refused, OSError, EOFError) as error:
            context.report(name, f"error: {error!r}", "the attack runs", False)
        try:
            server.settle(fd_count)
        except ServerGone as gone:
            context.report(name, f"{gone} after the attack", "the server survives", False)
            break
    if not args.no_summary:
        print(f"{context.passed} passed, {context.failed} failed", flush=True)
    sys.exit(1 if context.failed else 0)


if __name__ == "__main__":
    main()
