#!/usr/bin/env python3
"""The client and the judge of Tests/Soak/soak.sh: holds N WebSocket connections to a running
`websockets serve` for M minutes under mixed load, samples the server once a second, then
stops the load and checks what the server left behind. Run by soak.sh; by hand:

  soak_client.py --port PORT --server-pid PID --out DIR [--minutes M] [--connections N] …

The connections (each on its own slot, reopened when it closes, so about N stay open):
  normal  one message every --interval seconds on average (uniform over 0.5x to 1.5x): 64 B,
          1 KiB, 16 KiB or 256 KiB (weights 60/28/10/2), text or binary, every echo compared
          byte for byte; --deflate-fraction of them negotiate permessage-deflate (and send
          compressible payloads); --churn of them a second are closed with 1000 and reopened.
          Each first echoes one 64 KiB message (unless --no-prime): a server whose
          connections keep the buffers their messages grew (this one did until issue 19:
          its outbound buffer up to 256 KiB, the receive and unmasking buffers up to 64 KiB
          each) climbs for as long as connections keep meeting their first large message
          (minutes, with connections living N/churn = 100 s); primed, most of that is there
          once every connection has opened, and growth after the warm-up means memory not
          given back.
  slow    read a 64 KiB message every 0.25 s (256 KiB/s) while a writer sends as fast as the
          connection takes (TCP's backpressure) for 20 s, then read the rest at full speed and
          close with 1000: the server's outbound budget engages (its reading stops). A Close
          from the server (1008, or 1011/1006 from keepalive) is counted, not an error.
  dead    one echo, then stop reading (and so answering Pings): the server must drop them by
          its keepalive (a Ping, then a Close with 1011); the time from the last message to the
          server's FIN is measured, and what it sent is read from the socket and checked.
Python's websockets is the client, with its own keepalive off. --procs processes share the
slots. Every wait is bounded. Writes DIR/samples.csv (one row a second), DIR/summary.json and
DIR/metrics.txt (the server's /metrics at the end), prints one summary line; exits 0 on pass.
"""
import argparse
import asyncio
import collections
import ctypes
import gc
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import struct
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

HOST = "127.0.0.1"
PATH = "/soak/echo"  # any path but /relay and /topics/NAME echoes (Sources/WebSocketsCommand/Serve.swift)
SIZES = (64, 1024, 16 << 10, 256 << 10)
WEIGHTS = (60, 28, 10, 2)
TEXT_FRACTION = 0.3
ECHO_TIMEOUT = 30.0  # seconds an echo may take before it is an error
OPEN_TIMEOUT = 30.0
CLOSE_TIMEOUT = 15.0
# What a new normal connection echoes first (see --no-prime): 64 KiB grows the server's
# outbound buffer (to 128 KiB, which it keeps) and its receive buffer (to 64 KiB) at a quarter
# of the cost of a 256 KiB message, whose outbound buffer (512 KiB) is over the kept size.
PRIME_SIZES = (64 << 10,)
HANDSHAKES_AT_ONCE = 48  # per process: well under the server's 256 pending connections in all
SLOW_MESSAGE = 64 << 10
SLOW_READ_PERIOD = 0.25
SLOW_PHASE = 20.0
SLOW_DRAIN_TIMEOUT = 60.0
SLOW_RCVBUF = 32 << 10
# What a slow reader may get from the server instead of finishing its cycle.
SLOW_ALLOWED_CLOSES = {1008, 1011, 1006}
STOP_SPREAD = 3.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
TCP_CLOSE_WAIT, TCP_CLOSE, TCP_LAST_ACK = 8, 7, 9


def set_parent_death_signal():
    """A worker dies with its parent (no orphan holds connections if the driver is killed)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
            elif key == "Threads":
                out[key] = int(value)
    return out


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Payloads:
    """Pools the messages are cut from: random bytes (for connections without deflate),
    compressible bytes and text with multi-byte UTF-8 (for every connection)."""

    def __init__(self, seed):
        rnd = random.Random(seed)
        self.random = rnd.randbytes(1 << 20)
        words = [rnd.randbytes(rnd.randint(3, 12)) for _ in range(200)]
        self.compressible = b"".join(rnd.choice(words) for _ in range(150_000))[: (1 << 20)]
        vocab = ["soak", "echo", "wébsocket", "Größe", "naïve", "€uro", "日本語", "🙂", "frame", "close",
                 "ping", "pong", "deflate", "budget", "δelta", "ñandú", "x"] + [
            "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(60)]
        self.text = " ".join(rnd.choice(vocab) for _ in range(200_000))[: (1 << 20)]

    def make(self, rnd, header, size, text, compressible):
        if text:
            off = rnd.randrange(0, len(self.text) - size)
            # Each character 1 to 4 bytes: about `size` bytes in all (a 64-byte one at least 47).
            return header + self.text[off:off + max(1, (size - len(header)) * 3 // 4)]
        pool = self.compressible if compressible else self.random
        off = rnd.randrange(0, len(pool) - size)
        head = header.encode()
        return head + pool[off:off + size - len(head)]


class Worker:
    def __init__(self, wid, args, slots, conn):
        self.wid, self.args, self.slots, self.conn = wid, args, slots, conn
        self.uri = f"ws://{HOST}:{args.port}{PATH}"
        self.rnd = random.Random(args.seed * 1000 + wid)
        self.payloads = Payloads(args.seed)
        self.stopping = False
        self.c = collections.Counter()  # counts: see snapshot()
        self.errors = collections.Counter()
        self.closes = collections.Counter()  # "kind:code"
        self.error_examples = []
        self.dead_drop_times = []
        self.dead_sent = collections.Counter()  # what the server sent a dead peer: "ping", "close:1011"…
        self.slow_max_outstanding = 0
        self.open_now = 0
        self.opened_once = set()
        self.idle = {}  # slot -> the future its normal connection waits on between messages
        self.loop_lag_max = 0.0
        self.lag_period = 0.0
        self.gc_started = None
        self.gc_pause_max = 0.0
        self.slow_lives = []
        self.final_sent = False

    # ----- bookkeeping -----
    def error(self, kind, detail=""):
        self.errors[kind] += 1
        if len(self.error_examples) < 20:
            self.error_examples.append(f"{kind}: {detail}"[:300])

    def snapshot(self, final=False):
        return {
            "wid": self.wid, "final": final, "open": self.open_now, "ramp_done": len(self.opened_once) == len(self.slots),
            "opened_once": len(self.opened_once), "counts": dict(self.c), "errors": dict(self.errors),
            "closes": dict(self.closes), "error_examples": self.error_examples,
            "dead_drop_times": self.dead_drop_times if final else [], "dead_sent": dict(self.dead_sent),
            "slow_max_outstanding": self.slow_max_outstanding, "loop_lag_max": self.loop_lag_max,
            "lag_period": self.lag_period, "gc_pause_max": self.gc_pause_max, "slow_lives": self.slow_lives if final else [],
            "cpu": proc_cpu_seconds(os.getpid()), "rss_kb": proc_status(os.getpid()).get("VmRSS", 0),
        }

    async def reporter(self):
        while not self.final_sent:
            self.conn.send(self.snapshot())
            self.lag_period = 0.0
            await asyncio.sleep(1.0)

    async def lag_monitor(self):
        while not self.final_sent:
            t = time.monotonic()
            await asyncio.sleep(0.1)
            lag = time.monotonic() - t - 0.1
            self.loop_lag_max = max(self.loop_lag_max, lag)
            self.lag_period = max(self.lag_period, lag)

    def gc_callback(self, phase, info):
        if phase == "start":
            self.gc_started = time.monotonic()
        elif self.gc_started is not None:
            self.gc_pause_max = max(self.gc_pause_max, time.monotonic() - self.gc_started)

    # ----- connections -----
    async def open(self, slot, kind, deflate, rcvbuf=None, counts_as_open=True):
        """A connection, or None when it failed (counted). With `rcvbuf`, its socket's receive
        buffer is that small and it buffers one message at most (a slow reader)."""
        async with self.handshakes:  # the TCP connection too: the server counts it as pending
            try:
                kwargs = dict(compression="deflate" if deflate else None, ping_interval=None, open_timeout=OPEN_TIMEOUT,
                              close_timeout=CLOSE_TIMEOUT, max_size=1 << 20, user_agent_header="soak")
                if rcvbuf is not None:
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
                    sock.setblocking(False)
                    try:
                        async with asyncio.timeout(OPEN_TIMEOUT):
                            await asyncio.get_running_loop().sock_connect(sock, (HOST, self.args.port))
                    except BaseException:
                        sock.close()
                        raise
                    kwargs.update(sock=sock, max_queue=1)
                ws = await connect(self.uri, **kwargs)
            except InvalidStatus as e:
                self.error(f"connect_status_{e.response.status_code}", f"slot {slot} {kind}")
                return None
            except (TimeoutError, asyncio.TimeoutError):
                self.error("connect_timeout", f"slot {slot} {kind}")
                return None
            except InvalidHandshake as e:
                self.error("connect_handshake", f"slot {slot}: {e!r}")
                return None
            except OSError as e:
                self.error(f"connect_oserror_{e.errno}", f"slot {slot}: {e!r}")
                return None
        self.c["opened"] += 1
        self.c[f"opened_{kind}"] += 1
        if deflate:
            if ws.protocol.extensions:
                self.c["deflate_negotiated"] += 1
            else:
                self.error("deflate_not_negotiated", f"slot {slot}")
        self.open_now += 1
        if counts_as_open:
            self.opened_once.add(slot)
        return ws

    async def close_clean(self, ws, kind):
        """Closes with 1000 and expects the server's 1000 back, then the TCP close."""
        try:
            await ws.close()
        except Exception as e:  # close() does not raise on a closed connection; anything else is odd
            self.error("close_exception", repr(e))
        self.open_now -= 1
        rcvd = ws.protocol.close_rcvd
        code = rcvd.code if rcvd is not None else 1006
        self.closes[f"{kind}:{code}"] += 1
        if code != 1000:
            self.error(f"close_{kind}_{code}", f"reason {rcvd.reason if rcvd else None!r}")

    def closed_by_server(self, ws, kind, e):
        """A connection that ended while this side had not closed it: the code it got."""
        self.open_now -= 1
        rcvd = ws.protocol.close_rcvd
        code = rcvd.code if rcvd is not None else 1006
        self.closes[f"{kind}:{code}"] += 1
        return code, (rcvd.reason if rcvd is not None else repr(e))

    def message(self, slot, seq, deflate, size=None):
        size = size or self.rnd.choices(SIZES, WEIGHTS)[0]
        text = self.rnd.random() < TEXT_FRACTION
        header = f"{self.wid:02d}{slot:06d}{seq:09d}|"
        return size, self.payloads.make(self.rnd, header, size, text, compressible=deflate)

    async def echo(self, ws, msg, slot):
        await ws.send(msg)
        async with asyncio.timeout(ECHO_TIMEOUT):
            reply = await ws.recv()
        if reply != msg:
            detail = f"slot {slot}: sent {type(msg).__name__} of {len(msg)}, got {type(reply).__name__} of {len(reply)}"
            if type(reply) is type(msg):
                first = next((i for i, (a, b) in enumerate(zip(msg, reply)) if a != b), min(len(msg), len(reply)))
                detail += f", first difference at {first}"
            self.error("echo_mismatch", detail)
            return False
        self.c["echoed"] += 1
        self.c["echoed_bytes"] += len(msg)
        return True

    # ----- normal connections -----
    def wait_idle(self, slot, seconds):
        fut = asyncio.get_running_loop().create_future()
        handle = asyncio.get_running_loop().call_later(seconds, lambda: fut.done() or fut.set_result("send"))
        self.idle[slot] = fut
        return fut, handle

    async def normal_slot(self, slot, deflate):
        seq = 0
        first = True
        while not self.stopping:
            ws = await self.open(slot, "normal", deflate, counts_as_open=not self.args.prime)
            if ws is None:
                await asyncio.sleep(1.0 + self.rnd.random())
                continue
            why = "stop"
            try:
                if self.args.prime:
                    # A message of each large size first: the connection's buffers reach their
                    # high-water mark now rather than some minutes into its life.
                    for size in PRIME_SIZES:
                        seq += 1
                        await self.echo(ws, self.message(slot, seq, deflate, size)[1], slot)
                    self.opened_once.add(slot)
                while True:
                    if first:  # the first messages spread over one interval
                        wait = self.rnd.uniform(0, self.args.interval)
                        first = False
                    else:
                        wait = self.rnd.uniform(0.5, 1.5) * self.args.interval
                    fut, handle = self.wait_idle(slot, wait)
                    try:
                        why = await fut
                    finally:
                        handle.cancel()
                        self.idle.pop(slot, None)
                    if why != "send" or self.stopping:
                        why = "stop" if self.stopping else why
                        break
                    seq += 1
                    _, msg = self.message(slot, seq, deflate)
                    await self.echo(ws, msg, slot)
            except ConnectionClosed as e:
                code, reason = self.closed_by_server(ws, "normal", e)
                self.error(f"unexpected_close_normal_{code}", f"slot {slot}: {reason}")
                continue
            except (TimeoutError, asyncio.TimeoutError):
                self.error("echo_timeout", f"slot {slot}")
                ws.transport.abort()
                self.open_now -= 1
                continue
            await self.close_clean(ws, "normal")
            if why == "churn":
                self.c["churned"] += 1

    async def churner(self):
        """Closes --churn/--procs normal connections a second, each between two messages."""
        while not self.stopping and len(self.opened_once) < len(self.slots):
            await asyncio.sleep(0.2)
        # What the ramp made lives on: out of the collector's way (a full pass over it stalls the loop).
        gc.collect()
        gc.freeze()
        rate = self.args.churn / self.args.procs
        owed = 0.0
        last = time.monotonic()
        while not self.stopping:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            owed += (now - last) * rate
            last = now
            if owed < 1 or not self.idle:
                continue
            picks = self.rnd.sample(list(self.idle), min(int(owed), len(self.idle)))
            for slot in picks:
                fut = self.idle.pop(slot)
                if not fut.done():
                    fut.set_result("churn")
            owed -= len(picks)
            owed = min(owed, rate)  # no burst after a stall

    # ----- slow readers -----
    async def slow_slot(self, slot):
        seq = 0
        while not self.stopping:
            ws = await self.open(slot, "slow", False, rcvbuf=SLOW_RCVBUF)
            if ws is None:
                await asyncio.sleep(1.0)
                continue
            expected = collections.deque()
            state = {"sent": 0, "received": 0, "writing": True}
            opened_at = time.monotonic()

            async def writer():
                nonlocal seq
                while state["writing"] and not self.stopping:
                    seq += 1
                    header = f"{self.wid:02d}{slot:06d}{seq:09d}|".encode()
                    off = self.rnd.randrange(0, len(self.payloads.random) - SLOW_MESSAGE)
                    msg = header + self.payloads.random[off:off + SLOW_MESSAGE - len(header)]
                    expected.append(msg)
                    await ws.send(msg)
                    state["sent"] += len(msg)
                    self.slow_max_outstanding = max(self.slow_max_outstanding, state["sent"] - state["received"])

            async def read_one(timeout):
                async with asyncio.timeout(timeout):
                    reply = await ws.recv()
                msg = expected.popleft()
                state["received"] += len(msg)
                if reply != msg:
                    self.error("echo_mismatch", f"slow slot {slot}: {len(reply)} bytes for {len(msg)}")
                else:
                    self.c["echoed"] += 1
                    self.c["echoed_bytes"] += len(msg)
                    self.c["slow_echoed"] += 1

            task = asyncio.ensure_future(writer())
            try:
                end = time.monotonic() + SLOW_PHASE
                while time.monotonic() < end and not self.stopping:
                    await asyncio.sleep(SLOW_READ_PERIOD)
                    if expected:
                        await read_one(ECHO_TIMEOUT)
                # The rest at full speed; the writer's last send may wait until this side reads.
                state["writing"] = False
                async with asyncio.timeout(SLOW_DRAIN_TIMEOUT):
                    while expected or not task.done():
                        if expected:
                            await read_one(ECHO_TIMEOUT)
                        else:
                            await asyncio.sleep(0.01)
                    await task
            except ConnectionClosed as e:
                task.cancel()
                code, reason = self.closed_by_server(ws, "slow", e)
                self.slow_lives.append(round(time.monotonic() - opened_at, 1))
                if code in SLOW_ALLOWED_CLOSES:
                    self.c[f"slow_closed_by_server_{code}"] += 1
                    self.dead_sent[f"slow_reason:{str(reason)[:60]}"] += 1
                else:
                    self.error(f"unexpected_close_slow_{code}", f"slot {slot}: {reason}")
                await asyncio.sleep(1.0)
                continue
            except (TimeoutError, asyncio.TimeoutError):
                task.cancel()
                self.error("slow_timeout", f"slot {slot}: {len(expected)} echoes missing")
                ws.transport.abort()
                self.open_now -= 1
                continue
            await self.close_clean(ws, "slow")
            self.c["slow_cycles"] += 1

    # ----- dead peers -----
    async def dead_slot(self, slot):
        seq = 0
        limit = self.args.ping_interval + self.args.ping_timeout + 20.0  # the longest a drop may take
        while not self.stopping:
            ws = await self.open(slot, "dead", False)
            if ws is None:
                await asyncio.sleep(1.0)
                continue
            try:
                seq += 1
                await self.echo(ws, f"{self.wid:02d}{slot:06d}{seq:09d}| alive, then silent", slot)
            except (ConnectionClosed, TimeoutError, asyncio.TimeoutError) as e:
                self.error("dead_peer_first_echo", repr(e))
                ws.transport.abort()
                self.open_now -= 1
                continue
            if self.stopping:
                await self.close_clean(ws, "dead")
                break
            ws.transport.pause_reading()  # from now on nothing is read: no Pong, no Close answered
            sock = ws.transport.get_extra_info("socket")
            since = time.monotonic()
            state = None
            while time.monotonic() - since < limit:
                await asyncio.sleep(0.1)
                state = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
                if state in (TCP_CLOSE_WAIT, TCP_CLOSE, TCP_LAST_ACK):
                    break
            else:
                self.error("dead_peer_not_dropped", f"slot {slot}: TCP state {state} after {limit:.0f} s")
            took = time.monotonic() - since
            # What the server sent while this side was deaf, read from the socket itself.
            data = bytearray()
            raw = socket.socket(fileno=os.dup(sock.fileno()))
            raw.setblocking(False)
            while True:
                try:
                    chunk = raw.recv(1 << 16)
                except BlockingIOError:
                    break
                except OSError as e:
                    self.error("dead_peer_read", repr(e))
                    break
                if not chunk:
                    break
                data += chunk
            raw.close()
            ws.transport.abort()
            self.open_now -= 1
            if state not in (TCP_CLOSE_WAIT, TCP_CLOSE, TCP_LAST_ACK):
                continue
            self.dead_drop_times.append(round(took, 3))
            frames = parse_server_frames(bytes(data))
            kinds = [f for f, _ in frames]
            for f, _ in frames:
                self.dead_sent[f] += 1
            close = [f for f in kinds if f.startswith("close")]
            self.closes[f"dead:{close[0].split(':')[1] if close else 1006}"] += 1
            if close != ["close:1011"] or kinds[-1] != "close:1011":
                self.error("dead_peer_close", f"slot {slot}: server sent {kinds}")
            else:
                self.c["dead_dropped"] += 1
            await asyncio.sleep(self.rnd.uniform(0.2, 1.0))

    # ----- the process -----
    async def main(self):
        self.handshakes = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
        gc.callbacks.append(self.gc_callback)
        loop = asyncio.get_running_loop()
        stop_event = asyncio.Event()

        def on_command():
            try:
                command = self.conn.recv()
            except EOFError:
                command = "stop"
            if command == "stop":
                loop.remove_reader(self.conn.fileno())
                stop_event.set()

        loop.add_reader(self.conn.fileno(), on_command)
        reporter = asyncio.ensure_future(self.reporter())
        lag = asyncio.ensure_future(self.lag_monitor())
        tasks = []
        for slot, kind, deflate in self.slots:
            if kind == "normal":
                tasks.append(asyncio.ensure_future(self.normal_slot(slot, deflate)))
            elif kind == "slow":
                tasks.append(asyncio.ensure_future(self.slow_slot(slot)))
            else:
                tasks.append(asyncio.ensure_future(self.dead_slot(slot)))
        churner = asyncio.ensure_future(self.churner())
        await stop_event.wait()
        self.stopping = True
        # The idle connections close over STOP_SPREAD seconds, not all in one go.
        for fut in list(self.idle.values()):
            loop.call_later(self.rnd.uniform(0, STOP_SPREAD), lambda f=fut: f.done() or f.set_result("stop"))
        done, pending = await asyncio.wait(tasks, timeout=self.args.ping_interval + self.args.ping_timeout + 45)
        for t in pending:
            t.cancel()
        if pending:
            self.error("stop_timeout", f"{len(pending)} connections did not finish")
        for t in done:
            if t.exception() is not None:
                self.error("task_exception", repr(t.exception()))
        churner.cancel()
        lag.cancel()
        self.final_sent = True
        reporter.cancel()
        self.conn.send(self.snapshot(final=True))


def parse_server_frames(data):
    """The frames of an unmasked (server's) byte stream, as "ping", "pong", "close:CODE", "data"."""
    frames, i = [], 0
    while i + 2 <= len(data):
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if length == 126:
            length = struct.unpack("!H", data[i:i + 2])[0]
            i += 2
        elif length == 127:
            length = struct.unpack("!Q", data[i:i + 8])[0]
            i += 8
        payload = data[i:i + length]
        i += length
        if opcode == 0x8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            frames.append((f"close:{code}", payload[2:].decode(errors="replace")))
        elif opcode == 0x9:
            frames.append(("ping", ""))
        elif opcode == 0xA:
            frames.append(("pong", ""))
        else:
            frames.append(("data", ""))
    return frames


def worker_main(wid, args, slots, conn):
    set_parent_death_signal()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(Worker(wid, args, slots, conn).main())


# ===== the driver =====

def http_get(port, path, timeout=10.0):
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return head.decode(errors="replace"), body.decode(errors="replace")


async def echo_probe(port):
    """After the load: a fresh connection of each kind echoes, then closes with 1000."""
    results = []
    for deflate in (False, True):
        async with asyncio.timeout(30):
            ws = await connect(f"ws://{HOST}:{port}{PATH}", compression="deflate" if deflate else None, ping_interval=None)
            msgs = ["probé " * 50, os.urandom(70_000), b"x" * (256 << 10)]
            ok = True
            for m in msgs:
                await ws.send(m)
                ok = ok and (await ws.recv()) == m
            await ws.close()
            ok = ok and ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000
            results.append(ok)
    return all(results)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--connections", type=int, default=10_000)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--slow", type=int, default=8)
    p.add_argument("--dead", type=int, default=8)
    p.add_argument("--deflate-fraction", type=float, default=0.25)
    p.add_argument("--churn", type=float, default=100)
    p.add_argument("--interval", type=float, default=4.0, help="mean seconds between a normal connection's messages")
    p.add_argument("--ping-interval", type=float, default=5)
    p.add_argument("--ping-timeout", type=float, default=5)
    p.add_argument("--rss-tolerance", type=float, default=0.05)
    p.add_argument("--fd-slack", type=int, default=2)
    p.add_argument("--max-ramp", type=float, default=120, help="seconds all connections may take to open")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-prime", dest="prime", action="store_false",
                   help="no 64 KiB echo first on each normal connection (RSS then grows for minutes)")
    args = p.parse_args()

    out = args.out
    os.makedirs(out, exist_ok=True)
    pid = args.server_pid
    duration = args.minutes * 60
    # The warm-up: two thirds of the load, at most 5 minutes, and at least until 10 s after
    # every connection has opened. A server connection's buffers grow over its first minutes
    # (Tests/Soak/soak.sh says how); what RSS does after that is what is judged.
    warmup = min(duration * 2 / 3, 300.0)
    failures = []

    # Baseline: the idle server, before any connection.
    base_fds = []
    for _ in range(3):
        base_fds.append(proc_fds(pid))
        time.sleep(0.3)
    baseline_fds = min(base_fds)
    baseline_rss = proc_status(pid)["VmRSS"]

    # The slots: slow readers and dead peers first, the rest normal, a deflate fraction spread evenly.
    normal = args.connections - args.slow - args.dead
    kinds = ["slow"] * args.slow + ["dead"] * args.dead + ["normal"] * normal
    every = round(1 / args.deflate_fraction) if args.deflate_fraction > 0 else 0
    slots = []
    n_normal = 0
    for slot, kind in enumerate(kinds):
        # Every `every`-th normal slot of each process's share (slot i goes to process i % procs).
        deflate = kind == "normal" and every > 0 and (n_normal // args.procs) % every == 0
        n_normal += kind == "normal"
        slots.append((slot, kind, deflate))
    shares = [slots[i::args.procs] for i in range(args.procs)]

    ctx = multiprocessing.get_context("fork")
    workers, pipes = [], []
    for wid, share in enumerate(shares):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker_main, args=(wid, args, share, child), daemon=True)
        proc.start()
        child.close()
        workers.append(proc)
        pipes.append(parent)

    def stop_workers(*_):
        for w in workers:
            if w.is_alive():
                os.kill(w.pid, signal.SIGTERM)
        sys.exit(2)

    signal.signal(signal.SIGTERM, stop_workers)
    signal.signal(signal.SIGINT, stop_workers)

    latest = [None] * args.procs
    finals = [None] * args.procs

    def poll_workers():
        for i, pipe in enumerate(pipes):
            try:
                while pipe.poll():
                    snap = pipe.recv()
                    latest[i] = snap
                    if snap["final"]:
                        finals[i] = snap
            except (EOFError, OSError):
                pass

    def total(key, sub=None):
        s = 0
        for snap in latest:
            if snap is None:
                continue
            s += snap[key].get(sub, 0) if sub else snap[key]
        return s

    csv = open(os.path.join(out, "samples.csv"), "w")
    csv.write("t,phase,rss_kb,hwm_kb,fds,threads,cpu_pct,client_open,client_echoed,client_errors,client_churned,"
              "client_cpu_pct,client_rss_kb,client_lag_ms\n")
    t0 = time.monotonic()
    server_cpu_start = proc_cpu_seconds(pid)
    client_cpu_start = sum(proc_cpu_seconds(w.pid) for w in workers)
    last = {"t": t0, "cpu": server_cpu_start, "ccpu": client_cpu_start}
    ramp_done_at = None
    rss_steady = []
    phase_of = {}

    def sample(phase):
        now = time.monotonic()
        st = proc_status(pid)
        fds = proc_fds(pid)
        cpu = proc_cpu_seconds(pid)
        ccpu = sum(proc_cpu_seconds(w.pid) for w in workers if w.is_alive()) if phase not in ("after",) else last["ccpu"]
        dt = max(now - last["t"], 1e-6)
        cpu_pct = 100 * (cpu - last["cpu"]) / dt
        ccpu_pct = 100 * max(ccpu - last["ccpu"], 0) / dt
        last.update(t=now, cpu=cpu, ccpu=ccpu)
        errors = sum(sum(s["errors"].values()) for s in latest if s)
        lag = max((s["lag_period"] for s in latest if s), default=0)
        row = [f"{now - t0:.1f}", phase, st["VmRSS"], st["VmHWM"], fds, st["Threads"], f"{cpu_pct:.1f}",
               total("open"), total("counts", "echoed"), errors, total("counts", "churned"), f"{ccpu_pct:.1f}",
               sum(s["rss_kb"] for s in latest if s), f"{lag * 1000:.0f}"]
        csv.write(",".join(map(str, row)) + "\n")
        csv.flush()
        return st, fds

    print(f"soak: {args.connections} connections ({normal} normal, {args.slow} slow readers, {args.dead} dead peers, "
          f"{args.deflate_fraction:.0%} of the normal ones with permessage-deflate) for {args.minutes:g} min, "
          f"{args.procs} client processes; idle server: {baseline_rss} kB RSS, {baseline_fds} fds", flush=True)
    next_tick = t0 + 1
    next_print = t0 + 30
    while True:
        now = time.monotonic()
        if now - t0 >= duration:
            break
        time.sleep(max(0, next_tick - now))
        next_tick += 1
        poll_workers()
        if any(not w.is_alive() for w in workers):
            failures.append("a client process died")
            break
        if not os.path.exists(f"/proc/{pid}"):
            failures.append("the server died during the load")
            break
        if ramp_done_at is None and all(s and s["ramp_done"] for s in latest):
            ramp_done_at = time.monotonic()
            print(f"soak: all {args.connections} connections open after {ramp_done_at - t0:.1f} s", flush=True)
        if ramp_done_at is None and time.monotonic() - t0 > args.max_ramp:
            failures.append(f"only {total('opened_once')} of {args.connections} connections opened in {args.max_ramp:.0f} s")
            break
        steady = ramp_done_at is not None and time.monotonic() >= max(t0 + warmup, ramp_done_at + 10)
        phase = "ramp" if ramp_done_at is None else ("steady" if steady else "warmup")
        st, fds = sample(phase)
        if steady:
            rss_steady.append(st["VmRSS"])
        if time.monotonic() >= next_print:
            next_print += 30
            errors = sum(sum(s["errors"].values()) for s in latest if s)
            print(f"soak: {time.monotonic() - t0:5.0f} s  open {total('open')}  echoed {total('counts', 'echoed')}  "
                  f"churned {total('counts', 'churned')}  errors {errors}  server RSS {st['VmRSS'] // 1024} MiB, "
                  f"{fds} fds, {st['Threads']} threads", flush=True)

    # Stop the load: every connection closes (dead peers still waiting are left to the server).
    load_end = time.monotonic()
    for pipe in pipes:
        try:
            pipe.send("stop")
        except OSError:
            pass
    drain_deadline = time.monotonic() + args.ping_interval + args.ping_timeout + 60
    while time.monotonic() < drain_deadline and not all(finals):
        time.sleep(max(0, next_tick - time.monotonic()))
        next_tick += 1
        poll_workers()
        if not os.path.exists(f"/proc/{pid}"):
            break
        sample("drain")
    poll_workers()
    for w in workers:
        w.join(timeout=10)
        if w.is_alive():
            os.kill(w.pid, signal.SIGTERM)
            w.join(timeout=5)
    if not all(finals):
        failures.append(f"{sum(f is None for f in finals)} client processes did not finish")
    drained_at = time.monotonic()
    client_cpu = sum(f["cpu"] for f in finals if f) - client_cpu_start
    latest[:] = [f if f else l for f, l in zip(finals, latest)]

    # The server gives back every descriptor.
    alive = os.path.exists(f"/proc/{pid}")
    fds_after, fd_wait = None, None
    if alive:
        deadline = time.monotonic() + 30
        while True:
            fds_after = proc_fds(pid)
            if fds_after <= baseline_fds + args.fd_slack or time.monotonic() > deadline:
                break
            time.sleep(0.5)
            sample("after")
        fd_wait = time.monotonic() - drained_at
        sample("after")
        if fds_after > baseline_fds + args.fd_slack:
            failures.append(f"server fds {fds_after} after the load, baseline {baseline_fds} (+{args.fd_slack} allowed), "
                            f"waited {fd_wait:.0f} s")
    else:
        failures.append("the server is gone after the load")

    probe_ok = False
    metrics = ""
    if alive:
        try:
            probe_ok = asyncio.run(echo_probe(args.port))
        except Exception as e:
            failures.append(f"echo probe after the load failed: {e!r}")
        if not probe_ok and not any(f.startswith("echo probe") for f in failures):
            failures.append("echo probe after the load: wrong echo or close code")
        try:
            head, metrics = http_get(args.port, "/metrics")
            with open(os.path.join(out, "metrics.txt"), "w") as f:
                f.write(metrics)
        except OSError as e:
            failures.append(f"GET /metrics failed: {e!r}")
        alive = os.path.exists(f"/proc/{pid}")
        if not alive:
            failures.append("the server died after the load")
    csv.close()

    # ----- judge -----
    errors = collections.Counter()
    closes = collections.Counter()
    counts = collections.Counter()
    examples, drops, dead_sent = [], [], collections.Counter()
    slow_max, lag_max, gc_max, slow_lives = 0, 0.0, 0.0, []
    for f in latest:
        if not f:
            continue
        errors.update(f["errors"])
        closes.update(f["closes"])
        counts.update(f["counts"])
        examples += f["error_examples"]
        drops += f["dead_drop_times"]
        dead_sent.update(f["dead_sent"])
        slow_max = max(slow_max, f["slow_max_outstanding"])
        lag_max = max(lag_max, f["loop_lag_max"])
        gc_max = max(gc_max, f["gc_pause_max"])
        slow_lives += f["slow_lives"]
    if errors:
        failures.append("client errors: " + ", ".join(f"{k} {v}" for k, v in sorted(errors.items())))
    unexpected = {k: v for k, v in closes.items()
                  if not (k.endswith(":1000") or k == "dead:1011" or
                          (k.startswith("slow:") and int(k.split(":")[1]) in SLOW_ALLOWED_CLOSES))}
    if unexpected:
        failures.append(f"unexpected close codes: {unexpected}")
    if counts["echoed"] == 0:
        failures.append("no message echoed")
    if args.dead and counts["dead_dropped"] == 0:
        failures.append("no dead peer was dropped")
    if args.churn and counts["churned"] == 0:
        failures.append("no connection churned")
    rss = {}
    if len(rss_steady) >= 20:
        med = statistics.median(rss_steady)
        lo, hi = min(rss_steady), max(rss_steady)
        dev = max(hi / med - 1, 1 - lo / med)
        rss = {"samples": len(rss_steady), "min_kb": lo, "median_kb": med, "max_kb": hi, "max_deviation": round(dev, 4)}
        if dev > args.rss_tolerance:
            failures.append(f"RSS after warm-up {lo // 1024}..{hi // 1024} MiB, {dev:.1%} from its median "
                            f"{med / 1024:.0f} MiB (±{args.rss_tolerance:.0%} allowed)")
    else:
        failures.append(f"only {len(rss_steady)} RSS samples after the warm-up of {warmup:.0f} s (the connections took "
                        f"{(ramp_done_at or load_end) - t0:.0f} s to open): run longer")

    def metric(name, **labels):
        total_ = 0.0
        for line in metrics.splitlines():
            if not line.startswith(name):
                continue
            key, _, value = line.rpartition(" ")
            if key.split("{")[0] != name:
                continue
            if all(f'{k}="{v}"' in key for k, v in labels.items()):
                total_ += float(value)
        return int(total_)

    server_close_tx = {}
    for line in metrics.splitlines():
        if line.startswith("websocket_close_frames_total{") and 'network_io_direction="transmit"' in line:
            code = line.split('websocket_close_code="')[1].split('"')[0]
            server_close_tx[code] = server_close_tx.get(code, 0) + int(float(line.rsplit(" ", 1)[1]))
    steady_s = (load_end - ramp_done_at) if ramp_done_at else 0
    summary = {
        "result": "PASS" if not failures else "FAIL", "failures": failures,
        "minutes": args.minutes, "connections": args.connections, "normal": normal, "slow": args.slow, "dead": args.dead,
        "warmup_s": warmup, "ramp_s": round(ramp_done_at - t0, 1) if ramp_done_at else None,
        "echoed": counts["echoed"], "echoed_bytes": counts["echoed_bytes"], "opened": counts["opened"],
        "churned": counts["churned"], "deflate_negotiated": counts["deflate_negotiated"],
        "errors": dict(errors), "error_examples": examples[:20], "closes": dict(closes),
        "slow": {"cycles": counts["slow_cycles"], "echoed": counts["slow_echoed"], "max_outstanding_bytes": slow_max,
                 "closed_by_server": {k: v for k, v in counts.items() if k.startswith("slow_closed_by_server")},
                 "life_s_before_server_close": sorted(slow_lives),
                 "reasons": {k: v for k, v in dead_sent.items() if k.startswith("slow_reason")}},
        "dead": {"dropped": counts["dead_dropped"], "server_sent": {k: v for k, v in dead_sent.items() if not k.startswith("slow")},
                 "drop_s_min": min(drops, default=None), "drop_s_median": statistics.median(drops) if drops else None,
                 "drop_s_max": max(drops, default=None)},
        "rss": rss, "rss_baseline_kb": baseline_rss, "fds_baseline": baseline_fds, "fds_after": fds_after,
        "fd_return_s": round(fd_wait, 1) if fd_wait is not None else None,
        "probe_ok": probe_ok, "server_alive": alive,
        "client_cpu_s": round(client_cpu, 1), "client_cpu_pct_avg": round(100 * client_cpu / max(drained_at - t0, 1), 1),
        "client_loop_lag_max_ms": round(lag_max * 1000), "client_gc_pause_max_ms": round(gc_max * 1000), "server_cpu_s": round(proc_cpu_seconds(pid) - server_cpu_start, 1) if alive else None,
        "msg_per_s_steady": round(counts["echoed"] / max(drained_at - t0, 1)),
        "server_metrics": {"over_budget": metric("websocket_outbound_over_budget_total"),
                           "accepted": metric("websocket_server_connections_accepted_total"),
                           "refused": metric("websocket_server_connections_refused_total"),
                           "active": metric("websocket_connections_active"),
                           "close_frames_sent": server_close_tx},
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    r = rss or {}
    line = (f"soak {summary['result']}: {args.minutes:g} min, {args.connections} connections, "
            f"{counts['echoed']} echoes ({summary['msg_per_s_steady']}/s), {counts['churned']} churned, "
            f"{sum(errors.values())} errors; RSS after warm-up {r.get('min_kb', 0) // 1024}/{int(r.get('median_kb', 0)) // 1024}/"
            f"{r.get('max_kb', 0) // 1024} MiB min/median/max (±{100 * r.get('max_deviation', 0):.1f}%); "
            f"fds {baseline_fds} before, {fds_after} after; dead peers {counts['dead_dropped']} dropped in "
            f"{summary['dead']['drop_s_min']}..{summary['dead']['drop_s_max']} s; slow readers {counts['slow_cycles']} cycles, "
            f"{sum(v for k, v in counts.items() if k.startswith('slow_closed'))} closed by the server; "
            f"over budget {summary['server_metrics']['over_budget']}x; client CPU {summary['client_cpu_pct_avg']}%")
    print(line, flush=True)
    for f_ in failures:
        print(f"soak: FAIL: {f_}", flush=True)
    for e in examples[:10]:
        print(f"soak:   e.g. {e}", flush=True)
    sys.exit(0 if not failures else 1)


if __name__ == "__main__":
    main()
