#!/usr/bin/env bash
# The Autobahn testsuite's client testee loop, done with the `websockets` command (WSClient):
# asks the fuzzing server how many cases there are (/getCaseCount), runs each case with
# `websockets connect --echo` (one process per case: it echoes every message and exits when
# the connection closes), then asks for the reports (/updateReports). Run by
# Scripts/conformance.sh through ../shared/tools/autobahn/test-client.sh:
#
#   Scripts/autobahn-testee-client.sh WEBSOCKETS_BINARY ws://127.0.0.1:PORT AGENT [--no-deflate]
#
# A case whose process fails or outlives its bound is printed as "case N: …" (the suite judges
# the case by what it saw); the loop goes on.
set -uo pipefail
websockets=$1 url=$2 agent=$3
shift 3

# One message from the server, then its close: the command exits when the server closes;
# its input stays open (a sleep) so that it does not close first.
count=$(timeout 30 "$websockets" connect "$url/getCaseCount" < <(sleep 30) | sed -n 's/^< //p')
[[ "$count" =~ ^[0-9]+$ ]] || { echo "autobahn-testee-client: no case count from $url/getCaseCount: '$count'" >&2; exit 1; }
echo "autobahn-testee-client: $count cases"
for ((case = 1; case <= count; case++)); do
    timeout 120 "$websockets" connect --echo "$@" "$url/runCase?case=$case&agent=$agent" </dev/null
    status=$?
    [ "$status" = 0 ] || echo "case $case: the client process exited $status"
done
timeout 60 "$websockets" connect "$url/updateReports?agent=$agent" < <(sleep 60) >/dev/null
echo "reports updated"
