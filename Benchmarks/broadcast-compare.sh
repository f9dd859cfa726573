#!/usr/bin/env bash
# Measures fan-out: one producer broadcasting to many WebSockets, three ways, in one run:
# WebSocketGroup.broadcast (once per event loop), a task per member per message (the usual
# hand-written broadcast), and awaiting each member's send in turn. Prints one line per way and
# scenario: deliveries per second (messages received by members, from the first broadcast to the
# last arrival) and the process's CPU seconds.
#
#   Benchmarks/broadcast-compare.sh
#
# Scenarios: 1,000 members x 64 B messages (the group sends 1,000 messages, the slower ways 100:
# the rate is what compares), and 100 members x 16 KiB messages (200 each). Server, members and
# producer run in one process (WebSocketsBroadcast, Benchmarks/EchoServers), the server's and the
# members' event loops on one thread each, permessage-deflate off. Each run is bounded (120 s).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
package="$root/Benchmarks/EchoServers"
timeout 1500 swift build -c release --package-path "$package" --product WebSocketsBroadcast >/dev/null
bin="$package/.build/release/WebSocketsBroadcast"

run() { timeout --kill-after=5 130 "$bin" "$@"; }

echo "== 1,000 members, 64 B messages"
run --way group --members 1000 --messages 1000 --size 64
run --way tasks --members 1000 --messages 100 --size 64
run --way awaiting --members 1000 --messages 100 --size 64
echo "== 100 members, 16 KiB messages"
run --way group --members 100 --messages 200 --size 16384
run --way tasks --members 100 --messages 200 --size 16384
run --way awaiting --members 100 --messages 200 --size 16384
