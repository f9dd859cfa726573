#!/usr/bin/env bash
# The Autobahn testsuite's client testee loop, done with the `websockets` command (WSClient):
# asks the fuzzing server how many cases there are (/getCaseCount), runs each case with
# `websockets connect --echo` (one process per case: it echoes every message and exits when
# the connection closes), then asks for the reports (/updateReports). Run by
# Tests/Conformance/conformance.sh through test_client (Tests/Conformance/autobahn-lib.sh):
#
#   Tests/Conformance/autobahn-testee-client.sh WEBSOCKETS_BINARY ws://127.0.0.1:PORT AGENT [CONNECT OPTIONS…]
#
# A case whose process fails or outlives its bound is printed as
# "case N (ID): the client process exited S" (the suite judges the case by what it saw, and
# cannot tell a crash from a close); the loop goes on. Exits 1 when the count or the reports fail.
set -uo pipefail
websockets=$1 url=$2 agent=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Reads what the server sends on PATH until it closes. `connect` exits when the server closes;
# its input (a FIFO a sleep holds open, stopped after) stays open so that it does not close first.
ask() {
    rm -f "$work/input"
    mkfifo "$work/input"
    sleep 60 >"$work/input" &
    local sleeper=$!
    timeout 60 "$websockets" connect "$url/$1" <"$work/input" >"$work/answer"
    local status=$?
    kill "$sleeper" 2>/dev/null
    wait "$sleeper" 2>/dev/null
    sed -n 's/^< //p' "$work/answer"
    return "$status"
}

count=$(ask getCaseCount)
[[ "$count" =~ ^[0-9]+$ ]] || { echo "autobahn-testee-client: no case count from $url/getCaseCount: '$count'" >&2; exit 1; }
echo "autobahn-testee-client: $count cases"
for ((case = 1; case <= count; case++)); do
    timeout 120 "$websockets" connect --echo "$@" "$url/runCase?case=$case&agent=$agent" </dev/null
    status=$?
    if [ "$status" != 0 ]; then
        id=$(ask "getCaseInfo?case=$case" | sed -n 's/.*"id": *"\([0-9.]*\)".*/\1/p')
        echo "case $case (${id:-?}): the client process exited $status"
    fi
done
ask "updateReports?agent=$agent" >/dev/null || { echo "autobahn-testee-client: /updateReports failed" >&2; exit 1; }
echo "reports updated"
