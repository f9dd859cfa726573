#!/usr/bin/env python3
"""What each part of an idle connection costs, from a heaptrack recording of the server.

Reads `heaptrack_print --print-peaks` output (stdin or a file): at the heap's peak, with N idle
connections open, every backtrace that allocated about N times (N/2 or more) is a per-connection
cost; each is put in one part by the frames it went through, and the parts are printed in bytes
per connection, largest first, with the backtraces behind each. Bytes are what was asked of
malloc; the allocator's own overhead (16 bytes a chunk, rounded up to 16) is added as a line of
its own, so that the total can be set beside the RSS growth that loadgen measured.

    heaptrack_print -f FILE --print-peaks 1 -n 1000 -s 1000 ... | idle-memory-breakdown.py --connections N

Used by Benchmarks/idle-memory-breakdown.sh.
"""
import argparse
import re
import subprocess
import sys

# Each backtrace is charged to the first type of this project's modules it went through (the
# WebSocket layers, the server and the serve command), whoever allocated under it (NIO's
# contexts and promises made for a handler, say); what NIO allocated with no project frame above
# it is the channel itself; the buffer NIO reads into is a part of its own.
PROJECT = ("WSFraming", "WSDeflate", "WSHTTP", "WSHandshake", "WSServer", "WSTopics", "WSLogging", "WebSocketsCommand")
RECEIVE_BUFFER = ("withMutableWritePointer", "recvBufferPool")  # mangled names abbreviate readFromSocket
UNITS = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}  # heaptrack prints decimal units
ENTRY = re.compile(r"^([\d.]+)([KMG]?)B? consumed over (\d+) calls from:$")
TOP = re.compile(r"^[\d.]+[KMG]?B? peak memory consumed over")
FRAME = re.compile(r"^ {4}(\S.*)$")


def entries(lines):
    """Yields (bytes, calls, frames) for every sub-backtrace of the peak listing."""
    current = None
    for line in lines:
        match = ENTRY.match(line)
        if match:
            if current:
                yield current
            value, unit, calls = match.groups()
            current = (float(value) * UNITS[unit], int(calls), [])
            continue
        if current is None:
            continue
        if TOP.match(line) or not line.strip():  # the next allocator, or the end of the listing
            yield current
            current = None
            continue
        frame = FRAME.match(line)
        if frame and not frame.group(1).startswith(("at ", "in ")):
            current[2].append(frame.group(1))
    if current:
        yield current


def module_and_type(frame):
    """("WSHTTP", "WebSocketHandler") for "$s6WSHTTP16WebSocketHandlerC4role...", else None."""
    match = re.match(r"^\$s(\d+)", frame)
    if not match:
        return None
    n = int(match.group(1))
    rest = frame[match.end():]
    module, rest = rest[:n], rest[n:]
    match = re.match(r"^(\d+)", rest)
    kind = rest[match.end():match.end() + int(match.group(1))] if match else ""
    return module, kind


def part_of(frames):
    if any(needle in frame for frame in frames for needle in RECEIVE_BUFFER):
        return "NIO: the receive buffer (the channel keeps it between reads)"
    for frame in frames:
        found = module_and_type(frame)
        if found and found[0] in PROJECT:
            return f"{found[0]}: {found[1]}" if found[1] else found[0]
    if any("swift_task" in frame or "dispatch" in frame for frame in frames):
        return "Swift tasks and Dispatch"
    return "NIO: the channel (socket, pending writes, pipeline, addresses, promises)"


def demangled(symbol):
    try:
        out = subprocess.run(["swift", "demangle", "--simplified", "--compact", symbol],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        return out or symbol
    except (OSError, subprocess.TimeoutExpired):
        return symbol


def where(frames):
    """The first frame that is not the allocator or the standard library (who allocated), and
    the first of this project's above it (what for), when they differ."""
    named = [frame for frame in frames if module_and_type(frame) and module_and_type(frame)[0] not in ("s", "")]
    if not named:
        return frames[0] if frames else "?"
    first = demangled(named[0])
    project = next((frame for frame in named if module_and_type(frame)[0] in PROJECT), None)
    if project is None or project == named[0]:
        return first
    return f"{first}, for {demangled(project)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--rss-per-connection", type=float, help="loadgen's figure (bytes), printed beside the total")
    parser.add_argument("file", nargs="?")
    args = parser.parse_args()
    lines = open(args.file).read().splitlines() if args.file else sys.stdin.read().splitlines()
    n = args.connections
    parts, sites = {}, {}
    chunks = 0.0
    for size, calls, frames in entries(lines):
        if calls < n / 2 or size == 0:
            continue  # the server's own, not a connection's; or freed before the peak
        name = part_of(frames)
        parts[name] = parts.get(name, 0.0) + size / n
        chunks += calls / n
        sites.setdefault(name, []).append((size / n, calls, frames))
    overhead = chunks * 16  # glibc: an 8-byte size header per chunk, chunks in 16-byte steps (about 8 more on average)
    total = sum(parts.values()) + overhead
    print(f"{'part':<70} {'bytes per connection':>20}")
    print("-" * 91)
    for name, value in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"{name:<70} {value:>20,.0f}")
    print(f"{f'malloc overhead ({chunks:.1f} allocations a connection x 16 B)':<70} {overhead:>20,.0f}")
    print("-" * 91)
    print(f"{'total (heap)':<70} {total:>20,.0f}")
    if args.rss_per_connection:
        print(f"{'RSS growth per connection (loadgen)':<70} {args.rss_per_connection:>20,.0f}")
    print()
    print("The backtraces behind each part (bytes per connection, allocations, who asked):")
    for name, value in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"  {name}")
        for size, calls, frames in sorted(sites[name], key=lambda site: -site[0])[:8]:
            print(f"    {size:>8,.0f}  {calls:>6}  {where(frames)[:150]}")


if __name__ == "__main__":
    main()
