#!/usr/bin/env python3
"""The attack suite (DESIGN.md 6b): hostile peers against a running `websockets serve`, and
hostile servers against `websockets connect`.

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
                  (read from --server-flags; the defaults 30 + 10 + 10 otherwise), RSS after
                  the drop <= +8 MiB; two more stalled peers, the lower of what they add
                  <= 3 MiB (each loop's malloc arena keeps its own high-water mark).
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

The attacks below also hold, each, the bound of the echo prober (another client's 64 B echoes,
100 a second, from a process of its own, for the whole attack: p99 < 50 ms, none failed, and
one more answered after the attack) and of the server's files (back to their number before
the attack within 3 s of its end, 2 s for reset-mid-frame):

  oversized-request-line  100 upgrade requests with a 1 MiB target, 20 at once (NIO's parser
                  stops at 80 KiB of head). Bound: each gets 414 or 431 (it is 431) and the
                  connection closed within 1 s, no 101; RSS growth <= 4 MiB.
  oversized-headers  10 requests with one 1 MiB field, 10 with 20,000 small fields (340 KB);
                  then one valid upgrade with 10,000 fields in 60 KB, under the limit. Bound:
                  431 and a close within 1 s for the first 20, an answer within 1 s for the last
                  (it is a 101); RSS growth <= 4 MiB.
  connection-flood  with --max-connections 16 and --max-pending-connections 64 (attacks.sh's
                  flags for it): 14 idle WebSockets beside the prober's, then 5,000 connections
                  in 10 bursts of 500 (each as fast as they go), 0.25 s apart, half silent, half
                  with a partial request; real handshakes between bursts, 0.625, 1.125, 1.625 and
                  2.125 s in, the last one kept, then one more. Bound: the server's fds (every
                  10 ms) <= their number before the flood + the pending limit + 16, at most the
                  pending limit + 16 of the flood left open 1 s after it (the rest dropped by the
                  server), each real 101 in < 2 s, 503 for the one over --max-connections.
  huge-length     100 connections each for frame headers announcing 2^63 bytes (the most
                  significant bit set, which RFC 6455 §5.2 forbids), 2^63-1 and
                  --max-message-size + 1, each followed by 4 KiB. Bound: Close 1002 for the
                  first, 1009 for the others, within 1 s, the TCP connection closed; RSS growth
                  <= 2 MiB (nothing of the announced length allocated).
  reset-mid-frame  500 connections, 50 at a time, each upgraded, then 512 KiB of a 1 MiB frame,
                  then a reset (SO_LINGER 0). Bound: the server's fds back within 2 s of the
                  last reset; RSS peak, and the lowest in the second after, <= 50 half frames
                  + 16 MiB; two more rounds of 500, the lower of what they add
                  <= 4 MiB (what the allocator keeps after one round is its high-water mark;
                  a leak would add to every round after, 4 MiB at 8 KiB a connection).
  invalid-utf8    100 text messages in fragments whose 2nd (not final) has invalid UTF-8,
                  the final fragment sent only if no Close came within 1 s; 100 single text
                  frames of invalid UTF-8. Bound: Close 1007 within 1 s, before the final
                  fragment (failing fast), the TCP connection closed.
  unmasked        200 connections that each send an unmasked binary frame. Bound: Close 1002
                  within 1 s, the TCP connection closed.
  decompression-bomb  with permessage-deflate (attacks.sh starts this one's server without
                  --no-deflate) and --max-message-size 4 MiB: 10 connections, one after another,
                  that each send one compressed message (raw deflate, the trailing 00 00 ff ff
                  stripped, RFC 7692 §7.2.1) of 1.0 MiB that inflates to 1 GiB of zeros. Bound:
                  Close 1009 within 1 s of each message sent; RSS growth <= 2 x
                  --max-message-size + 4 MiB after the first, and the last 5 adding <= 4 MiB
                  (the allocator keeps a message's buffers per event-loop thread: reused, not
                  leaked).

The client attacks run `websockets connect ws://127.0.0.1:PORT/` (--binary) against a hostile
server in this process (a listener on a free loopback port, a thread per connection), bounded
in time and killed by its PID if it overstays; its peak RSS is wait4's ru_maxrss. The client
prints `connected to URL`, each message received (`< text`), then `closed: OUTCOME`; it
closes with 1000 at the end of its input (standard input from /dev/null: at once), and says
why it could not connect on standard error (`websockets: could not connect to URL: ...`),
with exit status 1.

  client-header-flood  a 101 followed by 1 MiB of header lines. Bound: a non-zero exit within
                  3 s with that message, never `connected`; peak RSS <= a plain handshake's
                  (measured first, against a correct server) + 8 MiB.
  client-slow-handshake  a correct 101 (129 bytes) one byte every 5 ms (0.65 s, under the
                  client's 10 s handshakeTimeout), then an echo. Bound: `connected`, a line
                  sent echoed (`< hello`), and exit 0 after its Close 1000 is answered.
  client-wrong-accept  a 101 whose Sec-WebSocket-Accept answers another key. Bound: a
                  non-zero exit within 3 s, with a message that names Sec-WebSocket-Accept.
  client-close-hold  a server that completes the handshake and, after the client's Close
                  (1000, at the end of its input), neither answers it nor closes TCP. Bound: the
                  client exits (and closes TCP) within its closeTimeout (10 s, WebSocketSession's
                  default; `connect` has no flag for it) + 2 s of sending its Close.

Every wait is bounded (an attack gives up and fails rather than hang), everything targets
127.0.0.1, and the peers answer the server's Pings where reading is allowed (the echo client,
the idle connections of long-target, the fragment flood), so that fast keepalive flags only
drop the peers that are meant to be dropped. Run the attacks one per fresh server (attacks.sh
does): memory that one attack made the allocator keep would hide the next one's growth.

  Scripts/attacks.sh [--binary PATH] [ATTACK ...] [-- SERVER FLAGS]          (the usual way)
  python3 Scripts/attacks.py --port P --pid PID [--server-flags='--ping-interval 2 ...'] [ATTACK ...]
  python3 Scripts/attacks.py --binary .build/debug/websockets client-close-hold

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
import subprocess
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

    def __init__(self, port, target="/echo", rcvbuf=None, timeout=10.0, extensions=None):
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
                       + b"\r\nSec-WebSocket-Version: 13\r\n"
                       + (b"Sec-WebSocket-Extensions: " + extensions.encode() + b"\r\n" if extensions else b"") + b"\r\n")
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
                raise Refused(f"HTTP {status[1]}" if len(status) > 1 else f"HTTP {lines[0]!r}")
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
            if fields.get("sec-websocket-accept") != accept:
                raise Refused("wrong Sec-WebSocket-Accept")
            self.fields = fields
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

    def fd_count(self):
        """How many files the server has open (cheaper than fds(): no readlink)."""
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except FileNotFoundError:
            raise ServerGone(f"the server (PID {self.pid}) has exited")

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
    probe, attacker, outcome = EchoProbe(ctx.port).start(), None, {}  # warm before the baseline
    try:
        before = server.rss()
        attacker = Peer(ctx.port, rcvbuf=64 * KiB)
        message = os.urandom(MiB)

        def attack():
            outcome["result"] = blast(attacker, (frame(BINARY, message) for _ in range(200)), time.monotonic() + 60)
            outcome["at"] = time.monotonic()

        thread = threading.Thread(target=attack, daemon=True)
        with Sampler(server) as sampler:
            thread.start()
            thread.join(65)
            time.sleep(3.0)  # three more seconds of echoes after the attacker stalled or finished
            unread = server.unread(attacker.port)
        rtts, errors, _, note = probe.stop()
        probe = None
        how, sent, _ = outcome.get("result", ("still sending", 0, 0))
        growth = sampler.peak - before
        p50, p99 = (percentile(rtts, 0.5) * 1000, percentile(rtts, 0.99) * 1000) if rtts else (float("nan"),) * 2
        ok = growth <= 8 * MiB and bool(rtts) and p99 < 50 and errors == 0
        ctx.report("never-reads",
                   f"RSS {mib(growth)} (attacker {how}: {sent / MiB:.1f} MiB sent, {unread / MiB:.1f} MiB unread by the server); echo p99 {p99:.1f} ms, "
                   f"p50 {p50:.1f} ms, {len(rtts)} round trips{f', {errors} failed ({note})' if errors else ''}",
                   "RSS <= +8 MiB, p99 < 50 ms", ok)
    finally:
        if probe:
            probe.stop()
        if attacker:
            attacker.close(abort=True)


def stalled_peer(ctx):
    server = ctx.server
    interval, timeout, close = ctx.timing
    bound = interval + timeout + close + 5
    before = server.rss()

    def stall():
        """One peer that stops reading and answering: (seconds from its last byte to the drop
        or None, the lowest RSS in the second after, the peak, bytes sent, how the send ended)."""
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
            if "at" not in dropped:
                return None, server.rss(), sampler.peak, sent, how
            time.sleep(1.0)  # the close and its buffers done
            after = server.rss()
            for _ in range(10):  # the lowest over one more second
                time.sleep(0.1)
                after = min(after, server.rss())
            return dropped["at"] - last, after, sampler.peak, sent, how
        finally:
            peer.close(abort=True)

    # What the allocator keeps after a drop is that stall's high-water mark, in the malloc
    # arena of the event loop that served it (the next connection goes to the next loop, with
    # an arena of its own), and the loops' shared buffers. A leak adds to every later stall;
    # a stall on a loop whose arena had not grown yet adds to its own alone. So two more
    # stalls, and the lower of what they added.
    first, after, peak, sent, how = stall()
    if first is None:
        ctx.report("stalled-peer", f"not dropped {bound + 5:.0f} s after its last byte; RSS still {mib(after - before)}",
                   f"dropped <= {bound:g} s", False)
        return
    later = [stall() for _ in range(2)]
    added = [later[0][1] - after, later[1][1] - later[0][1]]  # each over the one before
    ok = (first <= bound and all(e is not None and e <= bound for e, _, _, _, _ in later)
          and after - before <= 8 * MiB and min(added) <= 3 * MiB)
    ctx.report("stalled-peer",
               f"dropped {first:.1f} s after its last byte; RSS after the drop {mib(after - before)} (peak {mib(peak - before)}; "
               f"{sent / MiB:.0f} MiB sent, {how}); two more stalled peers dropped after "
               + ", ".join(f"{e:.1f} s" if e is not None else "never" for e, _, _, _, _ in later)
               + f", RSS {', '.join(mib(a) for a in added)} over the one before",
               f"dropped <= {bound:g} s ({interval:g}+{timeout:g}+{close:g}+5), RSS after <= +8 MiB, "
               f"the later ones adding <= +3 MiB (the lower of two)", ok)


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



# ---------------------------------------------------------------------------------------------
# Another client's echo during an attack, and what every new server attack checks

def _echo_probe(port, ready, stop, results):
    """The echo prober's process: 50 round trips to warm the echo path, then `ready`; 64 B
    echoes, 100 a second, until `stop`; then one more (the echo still answered after the
    attack). Puts (round trips in seconds, failures, whether the last one was answered, a note)."""
    try:
        peer = Peer(port)
    except (Refused, OSError) as error:
        results.put(([], 1, False, f"no echo connection: {error}"))
        ready.set()
        return

    def once():
        payload = os.urandom(64)
        start = time.perf_counter()
        peer.send(frame(BINARY, payload))
        kind, data = peer.receive()
        return time.perf_counter() - start, kind == BINARY and data == payload

    rtts, errors, note, after = [], 0, "", False
    try:
        peer.sock.settimeout(2)
        for _ in range(50):
            once()
        ready.set()
        while not stop.is_set():
            try:
                rtt, ok = once()
            except (OSError, EOFError) as error:
                errors, note = errors + 1, f"echo failed: {error or type(error).__name__}"
                rtts.append(10.0)
                break
            rtts.append(rtt)
            errors += not ok
            time.sleep(max(0.0, 0.01 - rtt))  # 100 round trips a second
        if not errors:
            try:
                after = once()[1]
            except (OSError, EOFError) as error:
                note = f"no echo after the attack: {error or type(error).__name__}"
    except (OSError, EOFError) as error:
        errors, note = errors + 1, f"echo failed while warming up: {error or type(error).__name__}"
    finally:
        ready.set()
        peer.close(abort=True)
        results.put((rtts, errors, after, note))


class EchoProbe:
    """Another client of the echo, in a process of its own (the attack's threads hold Python's
    lock, not the prober's), from `start()` (which returns once the echo is warm) to `stop()`,
    which gives (round trips, failures, whether one more was answered after, a note)."""

    def __init__(self, port):
        import multiprocessing  # only the attacks with a prober pay for it
        spawn = multiprocessing.get_context("spawn")  # no fork of a process with threads
        self.ready, self.halt, self.results = spawn.Event(), spawn.Event(), spawn.Queue()
        self.process = spawn.Process(target=_echo_probe, args=(port, self.ready, self.halt, self.results), daemon=True)

    def start(self):
        self.process.start()
        end = time.monotonic() + 15
        while not self.ready.wait(0.1):
            if time.monotonic() > end or not self.process.is_alive():
                self.stop()
                raise ServerGone("the echo prober did not get its connection within 15 s")
        return self

    def stop(self):
        self.halt.set()
        try:
            found = self.results.get(timeout=10)
        except Exception:  # queue.Empty: the prober hung or died
            found = ([], 1, False, "the echo prober gave no answer")
        self.process.join(5)
        if self.process.is_alive():
            os.kill(self.process.pid, 9)
            self.process.join(5)
        return found


class Watch:
    """Around a server attack: the server's open files before it (`fds`), another client's
    echo meanwhile (an EchoProbe), the server's RSS from the prober's warm echo on (`before`,
    `sampler.peak`); on leaving, the prober stops (after one more echo) and the server's
    open files must come back to `fds` within `settle` seconds. The attack closes its own
    sockets before leaving."""

    def __init__(self, ctx, settle=3.0):
        self.ctx, self.server, self.settle = ctx, ctx.server, settle

    def __enter__(self):
        self.fds = self.server.fd_count()
        self.probe = EchoProbe(self.ctx.port).start()
        self.before = self.server.rss()
        self.sampler = Sampler(self.server).__enter__()
        return self

    def __exit__(self, *exc):
        self.left = time.monotonic()
        try:
            self.sampler.__exit__(*exc)
        finally:
            self.rtts, self.errors, self.after, self.note = self.probe.stop()
        end = self.left + self.settle
        while self.server.fd_count() > self.fds and time.monotonic() < end:
            time.sleep(0.05)
        self.fds_after, self.fds_took = self.server.fd_count(), time.monotonic() - self.left
        return False

    @property
    def growth(self):
        return self.sampler.peak - self.before

    def figures(self):
        """The prober's and the files' figures, for the attack's line."""
        p99 = percentile(self.rtts, 0.99) * 1000 if self.rtts else float("nan")
        slowest = max(self.rtts) * 1000 if self.rtts else float("nan")
        echo = f"echo p99 {p99:.1f} ms (max {slowest:.1f}) over {len(self.rtts)} round trips" + (f", {self.errors} failed" if self.errors else "")
        echo += ", answered after" if self.after else f", not answered after{f' ({self.note})' if self.note else ''}"
        files = (f"fds back to {self.fds_after} in {self.fds_took:.1f} s" if self.fds_after <= self.fds
                 else f"fds {self.fds_after}, not back to {self.fds} after {self.settle:g} s")
        return f"{echo}; {files}"

    def bound(self):
        return f"echo p99 < 50 ms and answered after, fds back in {self.settle:g} s"

    def ok(self):
        return (bool(self.rtts) and percentile(self.rtts, 0.99) < 0.050 and not self.errors and self.after
                and self.fds_after <= self.fds)


def await_close(peer, seconds):
    """Reads (bounded) until the server's Close, answering Pings and ignoring data: (close code
    or None, reason, seconds waited, how it ended: "Close", "EOF", "reset" or "no Close")."""
    start = time.monotonic()
    while True:
        left = start + seconds - time.monotonic()
        if left <= 0:
            return None, "", seconds, "no Close"
        peer.sock.settimeout(left)
        try:
            _, opcode, payload = peer.frame_in()
        except socket.timeout:
            return None, "", seconds, "no Close"
        except EOFError:
            return None, "", time.monotonic() - start, "EOF"
        except OSError:
            return None, "", time.monotonic() - start, "reset"
        if opcode == PING:
            try:
                peer.send(frame(PONG, payload))
            except OSError:
                pass
        elif opcode == CLOSE:
            return close_code(payload), payload[2:].decode("utf-8", "replace"), time.monotonic() - start, "Close"


def closes_tcp(peer, seconds):
    """Whether the server closes the TCP connection within `seconds` (its bytes read and dropped)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        peer.sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            if not peer.sock.recv(64 * KiB):
                return True
        except socket.timeout:
            return False
        except OSError:
            return True
    return False


def told(code, reason, how):
    """A Close as it reads in a line."""
    if code is not None:
        return f"{code}" + (f" \"{reason}\"" if reason else "")
    return {"EOF": "no Close (TCP closed)", "reset": "no Close (reset)"}.get(how, "no Close")


def exchange(port, request, seconds=5.0):
    """Sends `request` over a fresh connection, from a thread (the server may answer and close
    before it has all been sent), and reads until the server closes or `seconds` pass. Returns
    (status or None, the answer's head, seconds to its first byte or None, seconds to the close
    or None, bytes sent)."""
    sock = socket.create_connection((HOST, port), timeout=seconds)
    sent = [0]

    def send():
        view = memoryview(request)
        try:
            while sent[0] < len(view):
                sent[0] += sock.send(view[sent[0]:sent[0] + 64 * KiB])
        except OSError:
            pass

    start = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer, first, closed = bytearray(), None, None
    try:
        while time.monotonic() - start < seconds:
            sock.settimeout(max(0.01, seconds - (time.monotonic() - start)))
            try:
                data = sock.recv(64 * KiB)
            except socket.timeout:
                break
            except OSError:  # a reset after the answer: the server closed with our bytes unread
                closed = time.monotonic() - start
                break
            if not data:
                closed = time.monotonic() - start
                break
            first = first if first is not None else time.monotonic() - start
            if len(answer) < 64 * KiB:
                answer += data
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        sender.join(2)
    head = bytes(answer).split(b"\r\n\r\n", 1)[0].decode("latin-1")
    words = head.split(" ", 2)
    status = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
    return status, head, first, closed, sent[0]


UPGRADE_FIELDS = (b"Host: " + HOST.encode() + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")


def many(count, run):
    """`run()` `count` times at once, one thread each; its results."""
    results = [None] * count

    def one(i):
        try:
            results[i] = run()
        except OSError as error:
            results[i] = error

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def refusals(results, statuses, seconds):
    """Sums up exchanges expected to get one of `statuses` and a close within `seconds`:
    (figures, whether all did, the slowest close)."""
    counts, slowest, good = {}, 0.0, True
    for result in results:
        if isinstance(result, BaseException) or result is None:
            counts[f"error {result!r}"] = counts.get(f"error {result!r}", 0) + 1
            good = False
            continue
        status, _, _, closed, _ = result
        counts[status] = counts.get(status, 0) + 1
        slowest = max(slowest, closed if closed is not None else float("inf"))
        good = good and status in statuses and closed is not None and closed <= seconds
    figure = ", ".join(f"{n} x {status or 'no answer'}" for status, n in counts.items())
    return f"{figure}, closed within {slowest:.2f} s" if slowest != float("inf") else f"{figure}, not all closed", good, slowest


def oversized_request_line(ctx):
    request = b"GET /echo?" + b"a" * MiB + b" HTTP/1.1\r\n" + UPGRADE_FIELDS + b"\r\n"
    with Watch(ctx) as watch:
        results = []
        for _ in range(5):
            results += many(20, lambda: exchange(ctx.port, request))
    figure, good, _ = refusals(results, (414, 431), 1.0)
    sample = next((r for r in results if isinstance(r, tuple)), None)
    said = f" ({sample[1].splitlines()[0]!r})" if sample and sample[1] else ""
    ok = good and watch.growth <= 4 * MiB and watch.ok()
    ctx.report("oversized-request-line",
               f"100 requests with a 1 MiB target, 20 at once: {figure}{said}; RSS {mib(watch.growth)}; {watch.figures()}",
               f"414 or 431 and closed in 1 s, no 101, RSS <= +4 MiB, {watch.bound()}", ok)


def oversized_headers(ctx):
    big = b"GET /echo HTTP/1.1\r\n" + UPGRADE_FIELDS + b"X-Big: " + b"a" * MiB + b"\r\n\r\n"
    lots = b"GET /echo HTTP/1.1\r\n" + UPGRADE_FIELDS + b"".join(b"X-Small-%05d: v\r\n" % i for i in range(20_000)) + b"\r\n"
    under = b"GET /echo HTTP/1.1\r\n" + UPGRADE_FIELDS + b"a: b\r\n" * 10_000 + b"\r\n"  # 60 KB: under NIO's 80 KiB
    with Watch(ctx) as watch:
        one_big = refusals(many(10, lambda: exchange(ctx.port, big)), (431,), 1.0)
        small = refusals(many(10, lambda: exchange(ctx.port, lots)), (431,), 1.0)
        status, _, first, _, _ = exchange(ctx.port, under, seconds=2.0)  # answered (it fits), not slowly
    said = f"{status} after {first:.2f} s" if first is not None else "no answer in 2 s"
    ok = one_big[1] and small[1] and first is not None and first < 1.0 and watch.growth <= 4 * MiB and watch.ok()
    ctx.report("oversized-headers",
               f"10 with a 1 MiB field: {one_big[0]}; 10 with 20,000 fields (340 KB): {small[0]}; "
               f"10,000 fields in 60 KB (under the limit): {said}; RSS {mib(watch.growth)}; {watch.figures()}",
               f"431 and closed in 1 s, the one under the limit answered in < 1 s, RSS <= +4 MiB, {watch.bound()}", ok)


FLOOD_BURST, FLOOD_BURSTS, FLOOD_GAP = 500, 10, 0.25  # 5,000 connections in bursts of 500, a burst every 0.25 s


def connection_flood(ctx):
    server = ctx.server
    limit, pending = int(ctx.flag("--max-connections")), int(ctx.flag("--max-pending-connections"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < FLOOD_BURST * FLOOD_BURSTS + 1_000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    partial = f"GET /echo HTTP/1.1\r\nHost: {HOST}:{ctx.port}\r\nUpgrade: websocket\r\n".encode()
    keeper, held, sockets, reals = Keeper(), [], [], []
    peak, stop, last = {"fds": 0}, threading.Event(), {}

    def count():  # the server's files every 10 ms
        while not stop.is_set():
            try:
                peak["fds"] = max(peak["fds"], server.fd_count())
            except ServerGone:
                return
            time.sleep(0.01)

    def handshake(keep=False):  # a real client during the flood: its 101 in seconds, or why not
        start = time.monotonic()
        try:
            peer = Peer(ctx.port, timeout=5)
            reals.append(time.monotonic() - start)
        except (Refused, OSError) as error:
            reals.append(f"{error} after {time.monotonic() - start:.2f} s")
            return
        if not keep:
            peer.close(abort=True)
            return
        held.append(peer)  # the last of --max-connections: one more must get 503
        try:
            Peer(ctx.port, timeout=5).close(abort=True)
            last["excess"] = "101"
        except Refused as refusal:
            last["excess"] = str(refusal).replace("HTTP ", "")
        except OSError as error:
            last["excess"] = error.strerror or str(error)

    counter = threading.Thread(target=count, daemon=True)
    clients = [(at, threading.Thread(target=handshake, args=(at == 2.125,), daemon=True)) for at in (0.625, 1.125, 1.625, 2.125)]
    with Watch(ctx) as watch:  # the prober holds one of the --max-connections
        try:
            keeper.start()
            for _ in range(limit - 2):  # these all but one more
                peer = Peer(ctx.port)
                held.append(peer)
                keeper.add(peer)
            time.sleep(0.2)
            base = server.fd_count()
            counter.start()
            selector, opened, start = selectors.DefaultSelector(), 0, time.monotonic()
            for burst in range(FLOOD_BURSTS):
                for _ in range(FLOOD_BURST):  # as fast as they go
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    sockets.append(sock)
                    sock.setblocking(False)
                    sock.connect_ex((HOST, ctx.port))
                    if opened % 2:  # half send a partial request, half nothing
                        selector.register(sock, selectors.EVENT_WRITE)
                    opened += 1
                while time.monotonic() < start + (burst + 1) * FLOOD_GAP:  # the gap: partial requests, real clients
                    for key, _ in selector.select(timeout=0.005):
                        selector.unregister(key.fileobj)
                        try:
                            key.fileobj.send(partial)
                        except OSError:
                            pass
                    for at, client in clients:
                        if time.monotonic() - start >= at and client.ident is None:
                            client.start()
            flood = time.monotonic() - start
            for _, client in clients:
                if client.ident is not None:
                    client.join(10)
            time.sleep(1.0)  # the server done with the last of them
            selector.close()
            dropped = still = never = 0
            for sock in sockets:
                try:
                    dropped += not sock.recv(1)
                except BlockingIOError:
                    still += 1
                except OSError as error:
                    if error.errno in (errno.ECONNRESET, errno.EPIPE):
                        dropped += 1
                    else:
                        never += 1  # not connected: left in SYN retries
        finally:
            stop.set()
            for sock in sockets:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
                sock.close()
            keeper.stop()
            for peer in held:
                peer.close(abort=True)
    counter.join(1)
    late = [r for r in reals if not isinstance(r, float) or r >= 2]
    ok = (len(reals) == len(clients) and not late and last.get("excess") == "503" and peak["fds"] <= base + pending + 16
          and still <= pending + 16 and watch.ok())
    handshakes = ", ".join(f"101 after {r:.3f} s" if isinstance(r, float) else r for r in reals)
    ctx.report("connection-flood",
               f"{opened:,} connections in {FLOOD_BURSTS} bursts over {flood:.1f} s (half silent, half a partial request) beside {limit - 1} WebSockets: "
               f"server fds at most {peak['fds']} (from {base}); after 1 s {dropped:,} dropped by it, {still:,} still open"
               f"{f', {never:,} never connected' if never else ''}; real handshakes meanwhile: {handshakes}; "
               f"one over --max-connections {limit}: {last.get('excess', 'not tried')}; RSS {mib(watch.growth)}; {watch.figures()}",
               f"fds <= {base}+{pending}+16 (--max-pending-connections {pending}), <= {pending}+16 left open, each 101 in < 2 s, "
               f"503 over the limit, {watch.bound()}", ok)


def violations(ctx, count, send, expected, seconds=1.0):
    """`count` connections one after another, each upgraded, given `send(peer)` (which returns
    whether it kept to its own rule, as a close before a final fragment) and read until the
    server's Close, which must carry `expected` within `seconds`, and its TCP close. Returns
    (figures, whether every one did)."""
    codes, slowest, open_, broke, sample = {}, 0.0, 0, 0, {}
    for _ in range(count):
        peer = Peer(ctx.port)
        try:
            kept, code, reason, took, how = send(peer)
            tcp = closes_tcp(peer, 2.0) if code is not None else False
        finally:
            peer.close(abort=True)
        said = told(code, None, how)
        codes[said] = codes.get(said, 0) + 1
        sample.setdefault(said, reason)
        slowest, open_, broke = max(slowest, took), open_ + (not tcp), broke + (not kept)
    figure = ", ".join(f"{n} x {said}" + (f" \"{sample[said]}\"" if sample[said] else "") for said, n in codes.items())
    figure += f", slowest {slowest:.3f} s" + (f", {open_} TCP left open" if open_ else "")
    return figure, codes.get(str(expected)) == count and slowest < seconds and not open_ and not broke, broke


def closed_with(peer, seconds=2.0):
    """await_close's answer, with "kept its rule" first: for sends with no rule of their own."""
    return (True,) + await_close(peer, seconds)


def huge_length(ctx):
    limit = int(ctx.flag("--max-message-size"))
    cases = [("2^63", 1 << 63, 1002), ("2^63-1", (1 << 63) - 1, 1009), (f"{limit}+1", limit + 1, 1009)]
    results, good = [], True
    with Watch(ctx) as watch:
        for name, length, expected in cases:
            def send(peer, length=length):
                key = os.urandom(4)
                peer.send(struct.pack("!BBQ", 0x80 | BINARY, 0x80 | 127, length) + key + mask(os.urandom(4 * KiB), key))
                return closed_with(peer)
            figure, fine, _ = violations(ctx, 100, send, expected)
            results.append(f"{name}: {figure}")
            good = good and fine
    ok = good and watch.growth <= 2 * MiB and watch.ok()
    ctx.report("huge-length", f"100 connections each, a frame header and 4 KiB: {'; '.join(results)}; RSS {mib(watch.growth)}; {watch.figures()}",
               f"1002 for 2^63, 1009 for the others, in < 1 s, TCP closed, RSS <= +2 MiB, {watch.bound()}", ok)


def reset_mid_frame(ctx):
    server = ctx.server
    half = os.urandom(MiB // 2)
    header = struct.pack("!BBQ", 0x80 | BINARY, 0x80 | 127, MiB) + os.urandom(4)  # the payload: random, masked or not
    batch, total, reset = 50, 500, 0

    def round_():
        nonlocal reset
        for _ in range(total // batch):
            peers = []
            try:
                for _ in range(batch):
                    peers.append(Peer(ctx.port))
                for peer in peers:
                    peer.sock.settimeout(5)
                    peer.send(header + half)
            finally:
                for peer in peers:
                    peer.close(abort=True)
                reset += len(peers)

    def lowest():  # the lowest RSS over one second: what the server kept, not what it was still freeing
        least = server.rss()
        for _ in range(10):
            time.sleep(0.1)
            least = min(least, server.rss())
        return least

    # The allocator keeps freed pages for reuse, so what stays after one round is that round's high-water
    # mark, not a leak. A leak adds to every later round (500 half frames kept are 250 MiB, 8 KiB per
    # connection is 4 MiB); a round that happens to peak higher adds to that round alone. So two more
    # rounds, and the lower of what they added.
    with Watch(ctx, settle=2.0) as watch:
        start = time.monotonic()
        round_()
        took = time.monotonic() - start
    first = lowest()
    later = []
    for _ in range(2):
        round_()
        later.append(lowest() - first)
    added = min(later)
    peak_bound = batch * len(half) + 16 * MiB
    ok = (reset == 3 * total and watch.growth <= peak_bound and first - watch.before <= peak_bound
          and added <= 4 * MiB and watch.ok())
    ctx.report("reset-mid-frame",
               f"{total} connections ({batch} at a time) sent 512 KiB of a 1 MiB frame and reset, in {took:.1f} s: "
               f"RSS peak {mib(watch.growth)}, after {mib(first - watch.before)}; {watch.figures()}; "
               f"two rounds more: RSS {', '.join(mib(n) for n in later)} over the first's",
               f"peak and after <= +{peak_bound / MiB:g} MiB ({batch} half frames + 16 MiB), {watch.bound()}, "
               f"the rounds after adding <= +4 MiB (the lower of two)", ok)


def invalid_utf8(ctx):
    def fragments(peer):
        peer.send(frame(TEXT, "héllo, ".encode(), fin=False))
        peer.send(frame(CONT, b"w\xc3\x28rld", fin=False))  # 0xC3 0x28: never UTF-8
        code, reason, took, how = await_close(peer, 1.0)
        if code is not None or how != "no Close":
            return True, code, reason, took, how
        peer.send(frame(CONT, b"!", fin=True))  # only now the final fragment: a Close after it is not failing fast
        code, reason, late, how = await_close(peer, 2.0)
        return False, code, reason, took + late, how

    def whole(peer):
        peer.send(frame(TEXT, b"caf\xe9"))  # Latin-1, not UTF-8
        return closed_with(peer)

    with Watch(ctx) as watch:
        unfinished, fine, late = violations(ctx, 100, fragments, 1007)
        single, fine2, _ = violations(ctx, 100, whole, 1007)
    ok = fine and fine2 and watch.ok()
    ctx.report("invalid-utf8",
               f"100 unfinished messages with a bad 2nd fragment: {unfinished}, "
               f"{f'{late} only after the final fragment' if late else 'each before the final fragment'}; "
               f"100 whole frames: {single}; {watch.figures()}",
               f"1007 in < 1 s, before the final fragment, TCP closed, {watch.bound()}", ok)


def unmasked(ctx):
    def send(peer):
        peer.send(struct.pack("!BB", 0x80 | BINARY, 5) + b"hello")  # no mask bit, no key
        return closed_with(peer)

    with Watch(ctx) as watch:
        figure, fine, _ = violations(ctx, 200, send, 1002)
    ok = fine and watch.ok()
    ctx.report("unmasked", f"200 connections, an unmasked binary frame each: {figure}; {watch.figures()}",
               f"1002 in < 1 s and TCP closed, {watch.bound()}", ok)


def deflate_bomb(window):
    """A raw deflate stream (RFC 7692 §7.2.1: its trailing 00 00 ff ff stripped) of 1 GiB of
    zeros, about 1 MiB: 1 MiB compressed once, then its steady sync-flushed segment repeated."""
    import zlib
    compressor = zlib.compressobj(9, zlib.DEFLATED, -window)
    zeros = bytes(MiB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    steady = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert steady == compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH) and steady.endswith(b"\x00\x00\xff\xff")
    return (first + steady * 1023)[:-4]


def decompression_bomb(ctx):
    limit = int(ctx.flag("--max-message-size"))
    codes, slowest, sample, agreed, bomb, peaks = {}, 0.0, {}, "", b"", []
    with Watch(ctx) as watch:
        for _ in range(10):
            peer = Peer(ctx.port, extensions="permessage-deflate; client_max_window_bits")
            try:
                agreed = peer.fields.get("sec-websocket-extensions", "")
                if "permessage-deflate" not in agreed:
                    raise Refused(f"permessage-deflate not agreed (Sec-WebSocket-Extensions: {agreed!r}); "
                                  "was the server started with --no-deflate?")
                bits = 15
                for param in agreed.split(";")[1:]:
                    name, _, value = param.strip().partition("=")
                    if name == "client_max_window_bits" and value.strip('"').isdigit():
                        bits = int(value.strip('"'))
                bomb = bomb or deflate_bomb(bits)
                key = os.urandom(4)
                peer.sock.settimeout(5)
                peer.send(struct.pack("!BBQ", 0x80 | 0x40 | BINARY, 0x80 | 127, len(bomb)) + key + mask(bomb, key))  # RSV1: compressed
                code, reason, took, how = await_close(peer, 5.0)
            finally:
                peer.close(abort=True)
            time.sleep(0.2)  # the server done with it, and sampled
            peaks.append(watch.sampler.peak - watch.before)
            said = told(code, None, how)
            codes[said] = codes.get(said, 0) + 1
            sample.setdefault(said, reason)
            slowest = max(slowest, took)
    room = 2 * limit + 4 * MiB
    late = peaks[-1] - peaks[4]  # what the last five added: the allocator's reuse, or a leak
    ok = codes.get("1009") == 10 and slowest < 1.0 and peaks[0] <= room and late <= 4 * MiB and watch.ok()
    figure = ", ".join(f"{n} x {said}" + (f" \"{sample[said]}\"" if sample[said] else "") for said, n in codes.items())
    ctx.report("decompression-bomb",
               f"10 messages of {len(bomb) / MiB:.1f} MiB inflating to 1 GiB each, one per connection ({agreed}): {figure}, "
               f"slowest {slowest:.2f} s after it was sent; RSS {mib(peaks[0])} after the first, {mib(peaks[4])} after 5, "
               f"{mib(peaks[-1])} after 10; {watch.figures()}",
               f"1009 in < 1 s, RSS <= +{room / MiB:g} MiB (2 x --max-message-size + 4 MiB) after the first, "
               f"the last 5 adding <= 4 MiB, {watch.bound()}", ok)

# ---------------------------------------------------------------------------------------------
# The client side: `websockets connect` against a hostile server

class Hostile:
    """A hostile server on a free loopback port: a thread per connection reads the client's
    request head (bounded) and hands it to `behave(hostile, sock, key)`, which does what it
    likes; what it notes goes in `events` (monotonic times). `close()` stops it."""

    def __init__(self, behave):
        self.behave, self.events, self.done = behave, {}, threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.threads = [threading.Thread(target=self.accept, daemon=True)]
        self.threads[0].start()

    def accept(self):
        while not self.done.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self.serve, args=(sock,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def serve(self, sock):
        try:
            sock.settimeout(10)
            head = bytearray()
            while b"\r\n\r\n" not in head and len(head) < 64 * KiB:
                data = sock.recv(4096)
                if not data:
                    return
                head += data
            self.events["request"] = time.monotonic()
            lines = bytes(head).split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            self.behave(self, sock, fields.get("sec-websocket-key", "").encode())
        except OSError as error:
            self.events.setdefault("error", f"{error}")
        finally:
            sock.close()

    def close(self):
        self.done.set()
        self.listener.close()
        for thread in self.threads:
            thread.join(2)


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def switching(key, accept=None):
    """A server's 101, without its final blank line."""
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
            + (accept or accept_for(key)) + b"\r\n")


def server_frame(opcode, payload=b""):
    """One unmasked frame, as a server sends it."""
    n = len(payload)
    head = struct.pack("!BB", 0x80 | opcode, n) if n < 126 else struct.pack("!BBH", 0x80 | opcode, 126, n)
    return head + payload


def client_frames(hostile, sock, seconds=15.0):
    """The client's frames, as (opcode, payload) once each is whole, until it closes TCP or
    `seconds` pass; notes "eof" when it closes."""
    reader = Peer.__new__(Peer)  # only its frame parser, over this socket
    reader.sock, reader.buffer, reader.lock = sock, bytearray(), threading.Lock()
    end = time.monotonic() + seconds
    while time.monotonic() < end and not hostile.done.is_set():
        sock.settimeout(max(0.01, min(0.2, end - time.monotonic())))
        try:
            _, opcode, payload = reader.frame_in()
        except socket.timeout:
            continue
        except (EOFError, OSError):
            hostile.events["eof"] = time.monotonic()
            return
        yield opcode, payload


def run_client(ctx, port, stdin=None, seconds=30.0, until=None):
    """Runs `websockets connect ws://127.0.0.1:PORT/` for at most `seconds` (then kills it by its
    PID), with standard input from /dev/null, or a pipe written with `stdin` and closed once
    `until()` is true. Returns (exit status, seconds it ran, its standard output, its standard
    error, its peak RSS from wait4, whether it had to be killed)."""
    command = [ctx.binary, "connect", f"ws://{HOST}:{port}/"]
    start = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = {}

    def drain(name, stream):
        out[name] = stream.read(1 * MiB).decode("utf-8", "replace")
        stream.read()  # anything more, thrown away

    readers = [threading.Thread(target=drain, args=(name, stream), daemon=True)
               for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))]
    for reader in readers:
        reader.start()
    if stdin is not None:
        try:
            process.stdin.write(stdin)
            process.stdin.flush()
        except OSError:
            pass
    status, usage, killed = None, None, False
    while status is None:
        if stdin is not None and not process.stdin.closed and (until is None or until()):
            try:
                process.stdin.close()
            except OSError:
                pass
        pid, raw, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            status = os.WEXITSTATUS(raw) if os.WIFEXITED(raw) else -os.WTERMSIG(raw)
            break
        if time.monotonic() - start > seconds and not killed:
            process.kill()  # by its PID
            killed = True
        time.sleep(0.005)
    took = time.monotonic() - start
    process.returncode = status  # reaped here, by wait4
    for reader in readers:
        reader.join(2)
    return status, took, out.get("stdout", ""), out.get("stderr", ""), usage.ru_maxrss * KiB, killed


def one_line(text, limit=400):
    text = " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def polite(hostile, sock, key):
    """A correct server: the 101, then `answer`."""
    sock.sendall(switching(key) + b"\r\n")
    answer(hostile, sock)


def answer(hostile, sock):
    """Echoes the client's text messages (single frames) and answers its Close, then closes TCP."""
    for opcode, payload in client_frames(hostile, sock):
        if opcode == TEXT:
            sock.sendall(server_frame(TEXT, payload))
            hostile.events["echoed"] = time.monotonic()
        elif opcode == CLOSE:
            hostile.events["close"] = time.monotonic()
            sock.sendall(server_frame(CLOSE, payload[:2]))
            return


def plain_peak(ctx):
    """The client's peak RSS for a plain handshake and close, to measure an attack's against."""
    hostile = Hostile(polite)
    try:
        status, _, _, _, peak, _ = run_client(ctx, hostile.port, seconds=20)
    finally:
        hostile.close()
    return peak if status == 0 else None


def against_hostile(ctx, behave, until=None, **kwargs):
    """Runs the client (run_client, with `kwargs`) against a Hostile server that does `behave`,
    `until(hostile)` if given; stops the server. Returns run_client's tuple, the time the client
    exited, and what the server noted (its events, 0.1 s after the exit: its last reads)."""
    hostile = Hostile(behave)
    try:
        result = run_client(ctx, hostile.port, until=(lambda: until(hostile)) if until else None, **kwargs)
        exited = time.monotonic()
        time.sleep(0.1)
        return result, exited, dict(hostile.events)
    finally:
        hostile.close()


def client_header_flood(ctx):
    def behave(hostile, sock, key):
        filler = b"".join(b"X-Filler-%05d: %s\r\n" % (i, b"a" * 44) for i in range(16_384))  # 1 MiB of header lines
        hostile.events["sending"] = time.monotonic()
        try:
            sock.sendall(switching(key) + filler + b"\r\n")
            hostile.events["sent"] = time.monotonic()
        except OSError:
            hostile.events["cut"] = time.monotonic()  # the client closed before the end
        for _ in client_frames(hostile, sock, 10):
            pass

    plain = plain_peak(ctx)
    (status, took, out, err, peak, killed), _, _ = against_hostile(ctx, behave, seconds=20)
    said = one_line(err or out)
    growth = peak - plain if plain else None
    ok = (status not in (0, None) and not killed and took < 3.0 and "connected to" not in out and bool(err.strip())
          and growth is not None and growth <= 8 * MiB)
    ctx.report("client-header-flood",
               f"a 101 with 1 MiB of header lines: exit {status} after {took:.2f} s{' (killed)' if killed else ''}, "
               f"\"{said}\"; peak RSS {peak / MiB:.1f} MiB ({'?' if growth is None else f'{growth / MiB:+.1f}'} MiB over a plain handshake's)",
               "non-zero exit in < 3 s with a message, no 'connected', peak RSS <= plain + 8 MiB", ok)


def client_slow_handshake(ctx):
    delay = 0.005

    def behave(hostile, sock, key):
        hostile.events["sending"] = time.monotonic()
        for byte in switching(key) + b"\r\n":
            sock.sendall(bytes([byte]))
            time.sleep(delay)
        hostile.events["sent"] = time.monotonic()
        answer(hostile, sock)

    length = len(switching(b"x" * 24) + b"\r\n")
    (status, took, out, err, _, killed), _, events = against_hostile(
        ctx, behave, stdin=b"hello\n", seconds=20,
        until=lambda hostile: "echoed" in hostile.events and time.monotonic() > hostile.events["echoed"] + 0.2)
    spent = events["sent"] - events["sending"] if "sent" in events else None
    ok = (status == 0 and "connected to" in out and "< hello" in out and "echoed" in events and "close" in events
          and spent is not None and not killed)
    ctx.report("client-slow-handshake",
               f"a {length} B 101 one byte every {delay * 1000:g} ms ({f'{spent:.2f} s' if spent else 'not all sent'}): "
               f"exit {status} after {took:.2f} s, \"{one_line(out + err)}\"",
               "connected (under its 10 s handshake timeout), 'hello' echoed, exit 0 after its Close 1000", ok)


def client_wrong_accept(ctx):
    def behave(hostile, sock, key):
        sock.sendall(switching(key, accept=accept_for(b"dGhlIHNhbXBsZSBub25jZQ==")) + b"\r\n")
        for _ in client_frames(hostile, sock, 10):
            pass

    (status, took, out, err, _, killed), _, _ = against_hostile(ctx, behave, seconds=20)
    said = one_line(err or out)
    ok = status not in (0, None) and not killed and took < 3.0 and "accept" in err.lower() and "connected to" not in out
    ctx.report("client-wrong-accept", f"exit {status} after {took:.2f} s, \"{said}\"",
               "non-zero exit in < 3 s, a message naming Sec-WebSocket-Accept, no 'connected'", ok)


def client_close_hold(ctx):
    def behave(hostile, sock, key):
        sock.sendall(switching(key) + b"\r\n")
        for opcode, payload in client_frames(hostile, sock, 30):
            if opcode == CLOSE:
                hostile.events.setdefault("close", time.monotonic())
                hostile.events.setdefault("code", close_code(payload))
            # no Close back, no TCP close: only reading, until the client goes

    close_timeout = 10.0  # WebSocketSession.Configuration's closeTimeout; connect has no flag for it
    (status, took, out, err, _, killed), exited, events = against_hostile(ctx, behave, seconds=close_timeout + 10)
    after = exited - events["close"] if "close" in events else None
    ok = (events.get("code") == 1000 and after is not None and after <= close_timeout + 2 and not killed
          and status is not None and "eof" in events)
    ctx.report("client-close-hold",
               f"its Close {events.get('code')}, then neither a Close nor a TCP close: exit {status} "
               f"{f'{after:.1f} s after its Close' if after is not None else f'after {took:.1f} s, no Close seen'}"
               f"{' (killed)' if killed else ''}, TCP {'closed' if 'eof' in events else 'left open'} by it, "
               f"\"{one_line(out + err)}\"",
               f"exits <= {close_timeout:g}+2 s after its Close (closeTimeout {close_timeout:g} s), TCP closed", ok)


ATTACKS = {
    "never-reads": never_reads,
    "stalled-peer": stalled_peer,
    "ping-flood": ping_flood,
    "handshake-hold": handshake_hold,
    "long-target": long_target,
    "fragment-flood": fragment_flood,
    "oversized-request-line": oversized_request_line,
    "oversized-headers": oversized_headers,
    "connection-flood": connection_flood,
    "huge-length": huge_length,
    "reset-mid-frame": reset_mid_frame,
    "invalid-utf8": invalid_utf8,
    "unmasked": unmasked,
    "decompression-bomb": decompression_bomb,
    "client-header-flood": client_header_flood,
    "client-slow-handshake": client_slow_handshake,
    "client-wrong-accept": client_wrong_accept,
    "client-close-hold": client_close_hold,
}
CLIENT_ATTACKS = {name for name in ATTACKS if name.startswith("client-")}  # no server: they run `websockets connect`

# The server's flags the attacks read, with the server's defaults.
FLAG_DEFAULTS = {"--ping-interval": 30.0, "--ping-timeout": 10.0, "--close-timeout": 10.0, "--max-connections": 10_000,
                 "--max-pending-connections": 256, "--max-message-size": 16 << 20}


def flag_values(flags):
    """FLAG_DEFAULTS, with the values the server's flags give (the last of a repeated flag wins)."""
    values = dict(FLAG_DEFAULTS)
    words = shlex.split(flags or "")
    for i, word in enumerate(words):
        name, has_value, value = word.partition("=")
        if name in values:
            value = value if has_value else (words[i + 1] if i + 1 < len(words) else "")
            try:
                values[name] = float(value.rstrip("s"))
            except ValueError:
                pass
    return values


def server_timing(flags):
    """(ping interval, ping timeout, close timeout) in seconds from the server's flags, or the defaults."""
    values = flag_values(flags)
    return values["--ping-interval"], values["--ping-timeout"], values["--close-timeout"]


class Context:
    def __init__(self, server, port, flags, binary=None):
        self.server, self.port, self.binary = server, port, binary
        self.flags = flag_values(flags)
        self.timing = server_timing(flags)
        self.passed = self.failed = 0

    def flag(self, name):
        return self.flags[name]

    def report(self, name, figure, bound, ok):
        print(f"{name}: {figure}  bound {bound}  {'PASS' if ok else 'FAIL'}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def main():
    parser = argparse.ArgumentParser(description="Hostile-peer attacks against `websockets serve` and `websockets connect`.")
    parser.add_argument("--port", type=int, help="the server's port on 127.0.0.1 (for the server attacks)")
    parser.add_argument("--pid", type=int, help="the server's PID, for its memory and sockets (for the server attacks)")
    parser.add_argument("--binary", help="the `websockets` executable whose `connect` the client-* attacks run")
    parser.add_argument("--server-flags", default="",
                        help="the flags the server runs with (their --ping-interval, --ping-timeout and --close-timeout set "
                             "stalled-peer's bound, 30, 10 and 10 s otherwise; --max-connections, --max-pending-connections "
                             "and --max-message-size the limits the other attacks expect); give it as --server-flags='...'")
    parser.add_argument("--no-summary", action="store_true", help="leave out the final 'N passed, N failed' line")
    parser.add_argument("attacks", nargs="*", metavar="ATTACK", help=f"any of {', '.join(ATTACKS)} (default: all)")
    args = parser.parse_args()
    unknown = [name for name in args.attacks if name not in ATTACKS]
    if unknown:
        parser.error(f"unknown attack {', '.join(unknown)}; the attacks are {', '.join(ATTACKS)}")
    names = args.attacks or list(ATTACKS)
    if any(name not in CLIENT_ATTACKS for name in names) and (args.port is None or args.pid is None):
        parser.error("the server attacks need --port and --pid")
    if any(name in CLIENT_ATTACKS for name in names) and not (args.binary and os.access(args.binary, os.X_OK)):
        parser.error("the client-* attacks need --binary, the `websockets` executable")
    server = Server(args.pid, args.port) if args.pid is not None else None
    context = Context(server, args.port, args.server_flags, args.binary)
    fd_count = len(server.fds()) if server else 0
    for name in names:
        try:
            ATTACKS[name](context)
        except ServerGone as gone:
            context.report(name, str(gone), "the server survives", False)
            break
        except (Refused, OSError, EOFError) as error:
            context.report(name, f"error: {error!r}", "the attack runs", False)
        if name in CLIENT_ATTACKS:
            continue
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
