"""The driver of Tests/Scale/scale-out.sh (mode `nginx`) and Tests/Scale/redis-cluster.sh
(mode `cluster`): WebSocket clients on /topics/NAME of `websockets serve` nodes that share a
Redis or a Redis Cluster, and the checks on what each receives.

Every message is JSON: its sender, topic, series (a batch of one phase), number in the series,
and whether it went as binary. Each client keeps the numbers it received by (series, sender);
a check compares them with what was sent. Whatever the phase, a client must never receive its
own messages, a message of another topic, a text turned binary or the reverse, or numbers of
one sender out of order or twice.
"""
import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

LIMIT = 1 << 20  # the longest message a topic takes (WSTopics' default)


class Failed(Exception):
    """A check that did not hold; the message says which, with what was seen."""


def check(condition, message):
    if not condition:
        raise Failed(message)


async def until(done, seconds, what):
    """Waits for done(); fails saying `what` (or what it returns, at that time, if a function)."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise Failed(f"{what() if callable(what) else what} (waited {seconds} s)")
        await asyncio.sleep(0.02)


class Client:
    """One WebSocket on /topics/TOPIC, reading in the background."""

    def __init__(self, name, topic, url, deflate=False):
        self.name, self.topic, self.url, self.deflate = name, topic, url, deflate
        self.got = defaultdict(list)  # (series, sender) -> numbers, as they came
        self.first = {}  # (series, sender) -> when the first one came
        self.wrong = []  # what must never come: its own, another topic's, a changed type
        self.ws = self.node = self.reader = None

    async def open(self):
        """Connects (again, after a drop), keeping what came before."""
        self.ws = await connect(self.url, compression="deflate" if self.deflate else None,
                                max_size=None, open_timeout=5, ping_interval=None)
        # nginx names the node it chose (the last it tried); a direct connection knows it.
        tried = self.ws.response.headers.get("X-Upstream") or self.url.split("/")[2]
        self.node = tried.split(",")[-1].strip()
        self.reader = asyncio.create_task(self.read())

    @property
    def closed(self):
        return self.reader.done()

    async def read(self):
        try:
            async for message in self.ws:
                self.take(message)
        except ConnectionClosed:
            pass

    def take(self, message):
        try:
            data = json.loads(message)
        except ValueError:
            return self.wrong.append(message[:100])
        if data.get("type") == "stats":
            return  # /relay's charts: each node's own, to its own pages
        if data["sender"] == self.name or data["topic"] != self.topic or data["binary"] != isinstance(message, bytes):
            self.wrong.append({k: v for k, v in data.items() if k != "pad"})
            return
        key = data["series"], data["sender"]
        self.first.setdefault(key, time.monotonic())
        self.got[key].append(data["seq"])

    def message(self, series, seq, binary=False, pad=0):
        return json.dumps({"sender": self.name, "topic": self.topic, "series": series, "seq": seq,
                           "binary": binary, "pad": "x" * pad}, separators=(",", ":"))

    async def send(self, series, seq, binary=False, pad=0):
        text = self.message(series, seq, binary, pad)
        await self.ws.send(text.encode() if binary else text)


def peers(receiver, senders):
    return [s for s in senders if s is not receiver and s.topic == receiver.topic]


def always(clients):
    """What holds in every phase: nothing wrong came, and no sender's numbers went backwards or twice."""
    for c in clients:
        check(not c.wrong, f"{c.name} ({c.node}) received what it must not: {c.wrong[:3]}")
        for (series, sender), seqs in c.got.items():
            check(all(a < b for a, b in zip(seqs, seqs[1:])),
                  f"{c.name} got {sender}'s {series} messages out of order or twice: {seqs[:50]}")


async def burst(senders, series, count):
    """Each sender sends `count` numbered messages as fast as it can, text and binary in turn."""
    async def one(c):
        for seq in range(count):
            await c.send(series, seq, binary=seq % 2 == 1)
    await asyncio.gather(*(one(c) for c in senders))


async def delivered(receivers, senders, series, count, seconds=20):
    """Every receiver got numbers 0..count-1 of every other sender of its topic, once, in order;
    returns how many deliveries that was."""
    def complete():
        return all(len(r.got[series, s.name]) >= count for r in receivers for s in peers(r, senders))
    try:
        await until(complete, seconds, "")
        await asyncio.sleep(0.3)  # for a duplicate on its way
    except Failed:
        pass  # the check below says what is missing
    always(receivers)
    total = 0
    for r in receivers:
        for s in peers(r, senders):
            got = r.got[series, s.name]
            missing = sorted(set(range(count)) - set(got))
            check(got == list(range(count)), f"{r.name} on {r.node} got {len(got)} of the {count} {series} messages of "
                  f"{s.name} on {s.node}; missing {missing[:10]}{'…' if len(missing) > 10 else ''}")
            total += count
    return total


async def subscribed(clients, tag, seconds=10):
    """Returns once probes from each client have reached every other client of its topic: every
    node is then subscribed on Redis, and a message sent from now on reaches every subscriber."""
    series = "probe-" + tag

    def missing():
        return [(s, r) for r in clients for s in peers(r, clients) if not r.got[series, s.name]]

    def routes():
        """Which way the probes are missing: how many pairs, from node to node."""
        count = defaultdict(int)
        for s, r in missing():
            count[f"{s.node} -> {r.node}"] += 1
        return dict(count)

    async def probe(c):
        seq = 0
        while missing():
            await c.send(series, seq)
            seq += 1
            await asyncio.sleep(0.1)
    probes = [asyncio.create_task(probe(c)) for c in clients]
    try:
        await until(lambda: not missing(), seconds, lambda: f"probes did not get through, client pairs by node: {routes()}")
    finally:
        for p in probes:
            p.cancel()


def metric(port, name, **labels):
    """The sum of a metric's series at the node's GET /metrics that have these labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        if (series == name or series.startswith(name + "{")) and all(f'{k}="{v}"' in series for k, v in labels.items()):
            total += float(value)
    return total


def open_websockets(port):
    return metric(port, "websocket_connections_active", websocket_role="server")  # Docs/Observability.md


def redis(port, *args):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=5).stdout


def connections(port):
    """The clients connected to a Redis, but for the redis-cli asking."""
    return sum(1 for line in redis(port, "client", "list").splitlines() if "cmd=client|list" not in line)


def process_in(timeout_pid):
    """The process that `timeout` runs: the one to kill, as a crash would."""
    with open(f"/proc/{timeout_pid}/task/{timeout_pid}/children") as children:
        return int(children.read().split()[0])


async def refusal(url):
    try:
        ws = await connect(url, open_timeout=5)
    except InvalidStatus as refused:
        return refused.response.status_code, refused.response.body.decode(errors="replace")
    await ws.close()
    return 101, ""


async def bad_input(node_a, node_b):
    """Phase 5, on two live nodes directly: what is checked is the node, not the proxy."""
    status, body = await refusal(f"ws://{node_a}/topics/{'n' * 257}")
    check(status == 400 and ("long" in body or "limit" in body),
          f"a topic name of 257 bytes got {status} {body!r}, not 400 saying it is too long")
    check((await refusal(f"ws://{node_a}/topics/{'n' * 256}"))[0] == 101, "a topic name of 256 bytes was refused")
    status, body = await refusal(f"ws://{node_a}/topics/bad!name")
    check(status == 404 and "unknown topic" in body, f"/topics/bad!name got {status} {body!r}, not 404 \"unknown topic\"")

    sender = Client("big-sender", "big", f"ws://{node_a}/topics/big")
    receiver = Client("big-receiver", "big", f"ws://{node_b}/topics/big")
    for c in (sender, receiver):
        await c.open()
    await subscribed([sender, receiver], "big")
    exact = LIMIT - len(sender.message("big", 0))
    await sender.send("big", 0, pad=exact)  # 1 MiB exactly: goes across
    await until(lambda: receiver.got["big", sender.name] == [0], 10, "a message of exactly 1 MiB did not reach the other node")
    await sender.send("big", 1, pad=exact + 1)
    await until(lambda: sender.closed, 5, "a message of 1 MiB + 1 byte did not close its sender")
    code, reason = sender.ws.close_code, sender.ws.close_reason or ""
    check(code == 1009 and "limit" in reason, f"a message of 1 MiB + 1 byte closed with {code} {reason!r}, not 1009 naming the limit")
    await asyncio.sleep(0.3)
    check(receiver.got["big", sender.name] == [0], "the message over the limit was delivered")
    await receiver.ws.close()
    return reason


async def nginx_mode(a):
    nodes = [f"127.0.0.1:{p}" for p in a.nodes]
    # Half with permessage-deflate: a topic's message goes out compressed to some, plain to others.
    clients = [Client(f"c{i}", "room", f"ws://127.0.0.1:{a.nginx}/topics/room", deflate=i % 2 == 1) for i in range(12)]
    for c in clients:
        await c.open()  # one by one, so that round-robin deals them out in turn
    spread, total = await spread_over(a, nodes, clients)
    victims, back, count = await kill_a_node(a, nodes, clients)
    total += count
    resumed, count = await restart_redis(a, nodes[1:], clients)
    total += count
    reason = await bad_input(nodes[1], nodes[2])
    always(clients)
    print(f"scale-out: {len(clients)} clients on 3 nodes behind nginx ({'/'.join(map(str, spread))}), one Redis: "
          f"{total} messages delivered (sender to receiver), each once and in order; a node killed: its {victims} clients "
          f"back on the others {back:.2f} s later, nothing lost by the rest")
    print(f"scale-out: Redis restarted under the nodes: delivery across them resumed {resumed:.2f} s after it was back "
          f"(limit 5 s); what they sent while it was down never arrived, but reached their own nodes' clients")
    print(f"scale-out: refused: a 257-byte name (400), bad!name (404), 1 MiB + 1 byte (1009 \"{reason}\"); 1 MiB went across")


async def haproxy_mode(a):
    """scale-out.sh's second part: the same nodes behind HAProxy, Docs/Deployment.md's configuration."""
    nodes = [f"127.0.0.1:{p}" for p in a.nodes]
    clients = [Client(f"h{i}", "room", f"ws://127.0.0.1:{a.haproxy}/topics/room", deflate=i % 2 == 1) for i in range(12)]
    for c in clients:
        await c.open()
    spread, total = await spread_over(a, nodes, clients)
    victims, back, count = await kill_a_node(a, nodes, clients)
    always(clients)
    print(f"scale-out: behind HAProxy ({'/'.join(map(str, spread))}): {total + count} messages delivered, each once and in order; "
          f"a node killed: its {victims} clients back on the others {back:.2f} s later, nothing lost by the rest")


def on(node, clients):
    return [c for c in clients if c.node == node]


async def spread_over(a, nodes, clients):
    """Phase 2: spread over the nodes, as nginx says and as each node counts; everyone gets everything."""
    spread = [len(on(n, clients)) for n in nodes]
    check(all(spread), f"the proxy did not spread the clients over every node: {dict(zip(nodes, spread))}")
    await until(lambda: [open_websockets(p) for p in a.nodes] == spread, 5,
                lambda: f"the nodes' websocket_connections_active are {[open_websockets(p) for p in a.nodes]}, "
                f"not the proxy's spread {spread}")
    await subscribed(clients, "2")
    # Docs/Deployment.md: two connections per node (publish, subscribe), whatever the WebSockets.
    check(connections(a.redis_port) == 2 * len(nodes), f"Redis has {connections(a.redis_port)} clients, not 2 per node")
    await burst(clients, "p2", 100)
    return spread, await delivered(clients, clients, "p2", 100)


async def kill_a_node(a, nodes, clients):
    """Phase 3: the first node killed while the clients of the other two keep sending."""
    victim, live = nodes[0], a.nodes[1:]
    victims = on(victim, clients)
    survivors = [c for c in clients if c not in victims]
    length = 150

    async def stream():
        for seq in range(length):
            for c in survivors:
                await c.send("p3", seq, binary=seq % 2 == 1)
            await asyncio.sleep(0.01)
    streaming = asyncio.create_task(stream())
    await asyncio.sleep(0.3)
    os.kill(process_in(a.node_pids[0]), signal.SIGKILL)
    killed = time.monotonic()
    await until(lambda: all(c.closed for c in victims), 5, f"the clients of the killed node {victim} were not dropped")
    check(not any(c.closed for c in survivors), "a client of a live node was dropped")
    for c in victims:
        await c.open()  # one try: the proxy must skip the dead node on its own
    back = time.monotonic() - killed
    check(all(c.node in nodes[1:] for c in victims), f"clients came back on {[c.node for c in victims]}, with {victim} dead")
    await streaming
    check(not any(c.closed for c in survivors), "a client of a live node was dropped")
    total = await delivered(survivors, survivors, "p3", length)
    await until(lambda: sum(open_websockets(p) for p in live) == len(clients), 5,
                lambda: f"the live nodes count {[open_websockets(p) for p in live]} WebSockets, not the {len(clients)} clients")
    await subscribed(clients, "3")
    await burst(clients, "p3-after", 50)
    return len(victims), back, total + await delivered(clients, clients, "p3-after", 50)


async def restart_redis(a, live, clients):
    """Phase 4: Redis killed and started again on its port, the nodes left running; `live` are
    the two nodes left, with a client of each sending to the other."""
    pair = [on(live[0], clients)[0], on(live[1], clients)[0]]
    neighbour = on(live[0], clients)[1]  # on the same node as pair[0]
    ports = [int(n.rsplit(":", 1)[1]) for n in live]

    def counters(name, **labels):
        return [metric(p, name, **labels) for p in ports]
    reconnects = counters("websocket_backplane_reconnects_total")
    dropped = counters("websocket_backplane_dropped_total", websocket_backplane_drop_reason="disconnected")
    os.kill(process_in(a.redis_pid), signal.SIGKILL)
    await until(lambda: "PONG" not in redis(a.redis_port, "ping"), 5, "Redis did not die")
    # Sent while Redis is down: to be dropped, not kept for later (at most once).
    for seq in range(10):
        for c in pair:
            await c.send("down", seq)
        await asyncio.sleep(0.1)
    # Docs/Deployment.md: a node's own subscribers get its publishes without Redis.
    await until(lambda: neighbour.got["down", pair[0].name] == list(range(10)), 5,
                lambda: f"with Redis down, {neighbour.name} got {neighbour.got['down', pair[0].name]} of the 10 "
                f"messages of {pair[0].name} on its own node")
    with open(f"{a.work}/redis-again.log", "w") as log:
        again = subprocess.Popen(["timeout", "120", a.redis_start], stdout=log, stderr=subprocess.STDOUT)
    with open(f"{a.work}/driver.pids", "a") as pids:
        print(again.pid, file=pids)
    await until(lambda: "PONG" in redis(a.redis_port, "ping"), 5, "Redis did not start again")
    up = time.monotonic()

    def across():
        return [(c, o) for c in pair for o in pair if o is not c]

    async def probe():
        seq = 0
        while True:
            for c in pair:
                await c.send("resume", seq)
            seq += 1
            await asyncio.sleep(0.1)
    probing = asyncio.create_task(probe())
    try:
        await until(lambda: all(c.got["resume", o.name] for c, o in across()), 5,
                    f"delivery between {live[0]} and {live[1]} did not resume after Redis came back")
    finally:
        probing.cancel()
    resumed = max(c.first["resume", o.name] for c, o in across()) - up
    check(resumed < 5, f"delivery resumed {resumed:.2f} s after Redis was back")
    await subscribed(clients, "4")
    await burst(clients, "p4", 50)
    total = await delivered(clients, clients, "p4", 50)
    late = {c.name: c.got["down", o.name] for c, o in across()}
    check(not any(late.values()), f"messages sent while Redis was down came after all: {late}")
    # Docs/Observability.md: each live node saw its connections lost and counted what it dropped.
    more = [n - b for n, b in zip(counters("websocket_backplane_reconnects_total"), reconnects)]
    check(all(m >= 1 for m in more), f"websocket_backplane_reconnects_total went up by {more} on the live nodes")
    more = [n - b for n, b in zip(counters("websocket_backplane_dropped_total", websocket_backplane_drop_reason="disconnected"), dropped)]
    check(all(m >= 1 for m in more), f"websocket_backplane_dropped_total{{…=\"disconnected\"}} went up by {more} on the live nodes")
    return resumed, total


def cluster_masters(port):
    """Each master's port and the slots it serves, from CLUSTER NODES."""
    masters = {}
    for line in redis(port, "cluster", "nodes").splitlines():
        fields = line.split()
        if len(fields) >= 8 and "master" in fields[2].split(","):
            slots = []
            for item in fields[8:]:
                if not item.startswith("["):  # a slot being moved
                    first, _, last = item.partition("-")
                    slots.append((int(first), int(last or first)))
            masters[int(fields[1].split("@")[0].rsplit(":", 1)[1])] = slots
    return masters


def commands(port, command):
    """How many times Redis ran a command, from INFO COMMANDSTATS."""
    for line in redis(port, "info", "commandstats").splitlines():
        if line.startswith(f"cmdstat_{command}:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


async def cluster_mode(a):
    masters = cluster_masters(a.redis_ports[0])
    check(sorted(masters) == sorted(a.redis_ports), f"CLUSTER NODES lists masters {sorted(masters)}, not {a.redis_ports}")
    # Two topics on each master's slots, as Redis itself hashes their names.
    owner, per_master = {}, 2
    for i in range(200):
        topic = f"topic-{i}"
        slot = int(redis(a.redis_ports[0], "cluster", "keyslot", topic))
        master = next(m for m, ranges in masters.items() if any(lo <= slot <= hi for lo, hi in ranges))
        if list(owner.values()).count(master) < per_master:
            owner[topic] = master
        if len(owner) == per_master * len(masters):
            break
    check(len(owner) == per_master * len(masters), f"no {per_master} topics for each master: {owner}")
    # Each topic with a client on every node, each node given a different master's address.
    clients = [Client(f"{topic}@{i}", topic, f"ws://127.0.0.1:{port}/topics/{topic}", deflate=i == 1)
               for topic in owner for i, port in enumerate(a.nodes)]
    for c in clients:
        await c.open()
    await subscribed(clients, "cluster")
    # Sharded pub/sub: each topic is a shard channel on its slot's master, there only, and no
    # plain channel exists anywhere.
    for master in masters:
        shard = set(redis(master, "pubsub", "shardchannels").split())
        mine = {t for t, m in owner.items() if m == master}
        check(shard == mine, f"the master on {master} has shard channels {sorted(shard)}, not its topics {sorted(mine)}")
        plain = redis(master, "pubsub", "channels").split()
        check(not plain, f"the master on {master} has plain channels {plain}: not sharded pub/sub")
        check(connections(master) == 2 * len(a.nodes),
              f"the master on {master} has {connections(master)} clients, not 2 per node (Docs/Deployment.md)")
        for topic in mine:
            numsub = redis(master, "pubsub", "shardnumsub", topic).split()
            check(numsub[1:] == ["3"], f"{topic} has {numsub[1:]} shard subscribers on {master}, not one per node")
    before = {m: commands(m, "spublish") for m in masters}
    count = 50
    await burst(clients, "c", count)
    total = await delivered(clients, clients, "c", count)
    for master in masters:
        sent = count * len(a.nodes) * sum(1 for m in owner.values() if m == master)
        spublished = commands(master, "spublish") - before[master]
        check(spublished >= sent, f"the master on {master} ran SPUBLISH {spublished} times for {sent} messages to its topics")
        check(commands(master, "publish") == 0, f"the master on {master} ran a plain PUBLISH")
    always(clients)
    print(f"redis-cluster: 3 masters, {len(owner)} topics ({per_master} on each master's slots), {len(clients)} clients on "
          f"{len(a.nodes)} nodes (each given another master): {total} messages delivered across the nodes, each once and in order")
    print("redis-cluster: every topic went by SSUBSCRIBE and SPUBLISH on the master of its slot, one subscription per "
          "node and two connections per node and master; no plain PUBLISH or SUBSCRIBE anywhere")


def main():
    ports = lambda text: [int(p) for p in text.split(",")]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    behind = modes.add_parser("nginx", help="scale-out.sh: nodes behind nginx on one Redis")
    behind.add_argument("--work", required=True)
    behind.add_argument("--nginx", type=int, required=True)
    behind.add_argument("--nodes", type=ports, required=True)
    behind.add_argument("--node-pids", type=ports, required=True, help="their `timeout` processes")
    behind.add_argument("--redis-port", type=int, required=True)
    behind.add_argument("--redis-pid", type=int, required=True, help="its `timeout` process")
    behind.add_argument("--redis-start", required=True, help="a program that starts the same Redis")
    haproxy = modes.add_parser("haproxy", help="scale-out.sh: nodes behind HAProxy on one Redis")
    haproxy.add_argument("--haproxy", type=int, required=True)
    haproxy.add_argument("--nodes", type=ports, required=True)
    haproxy.add_argument("--node-pids", type=ports, required=True, help="their `timeout` processes")
    haproxy.add_argument("--redis-port", type=int, required=True)
    cluster = modes.add_parser("cluster", help="redis-cluster.sh: nodes on a Redis Cluster")
    cluster.add_argument("--nodes", type=ports, required=True)
    cluster.add_argument("--redis-ports", type=ports, required=True)
    a = parser.parse_args()
    try:
        run = {"nginx": nginx_mode, "haproxy": haproxy_mode, "cluster": cluster_mode}[a.mode]
        asyncio.run(asyncio.wait_for(run(a), 90))
    except Failed as failure:
        sys.exit(f"{'redis-cluster' if a.mode == 'cluster' else 'scale-out'}: {failure}")
    except (TimeoutError, asyncio.TimeoutError):
        sys.exit("scale_out.py: the whole run took more than 90 s")


if __name__ == "__main__":
    main()
