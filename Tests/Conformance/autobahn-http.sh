#!/usr/bin/env bash
# Runs the Autobahn testsuite against WSHTTP, the NIO layer, in both roles, and fails unless
# every case is OK (INFORMATIONAL only where the suite says so by design: 7.1.6, 7.13.*) and
# no client process crashed.
#
#   Tests/Conformance/autobahn-http.sh [CASES]     # default: every case but permessage-deflate (12.*, 13.*),
#                                        # which Tests/Conformance/conformance.sh runs through the same pipelines
#
# Server role: Benchmarks/EchoServers' WebSocketsEcho, `--mode eventloop`, then `--mode async`.
# Client role: Interop's HTTPAutobahnClient (async consumer), one process per case, so that a
# case that crashes the client is counted and the others still run. Env: EXCLUDE (unset:
# "12.*,13.*"; empty: none). Reports go to .build-autobahn-http/ (ignored by git); the table in
# Docs/Conformance.md is the one this prints. Every step is bounded in time; the echo
# servers are stopped by their PIDs.
# CONFIGURATION=debug uses debug builds: Scripts/test.sh sets it, since its earlier steps
# have built Benchmarks/EchoServers in debug already and a release build of each package
# compiles SwiftNIO again (about 160 s apiece on two cores); the cases run the same.
# The suite is installed by Tests/Conformance/Autobahn/setup.sh. About 2 minutes once built.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
cases=${1:-*}
export EXCLUDE=${EXCLUDE-12.*,13.*}
configuration=${CONFIGURATION:-release}
reports="$root/.build-autobahn-http"
rm -rf "$reports"
mkdir -p "$reports"
start=$(date +%s)

. Tests/Conformance/autobahn-lib.sh

autobahn_setup
# One build at a time per package folder.
for build in "Benchmarks/EchoServers WebSocketsEcho" "Tests/Interop HTTPAutobahnClient"; do
    set -- $build
    if ! timeout 1200 swift build -c "$configuration" --package-path "$1" --product "$2" >>"$reports/build.log" 2>&1; then
        tail -30 "$reports/build.log" >&2
        echo "autobahn-http.sh: building $2 failed (see $reports/build.log)" >&2
        exit 1
    fi
done
echo_bin="$(swift build -c "$configuration" --package-path Benchmarks/EchoServers --show-bin-path)/WebSocketsEcho"
client_bin="$(swift build -c "$configuration" --package-path Tests/Interop --show-bin-path)/HTTPAutobahnClient"

status=0
for mode in eventloop async; do
    port=$(free_port)
    start_server "$reports/echo-$mode.log" "$echo_bin" --port "$port" --mode "$mode" --max-message 16777216
    AGENT="WSHTTP-server-$mode" WSTEST_TIMEOUT=900 test_server \
        "ws://127.0.0.1:$port" "$cases" "$reports/server-$mode" || true
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "autobahn-http.sh: WebSocketsEcho --mode $mode died during the run (see $reports/echo-$mode.log)"
        status=1
    fi
    stop_server
done

client_port=$(free_port)
AGENT=WSHTTP-client CLIENT_TIMEOUT=1200 test_client "$client_bin {url} {agent}" "$client_port" "$cases" "$reports/client" || true
# The suite cannot tell a crash from a close; the client's own log can.
crashed=$(sed -n 's/^case [0-9]* (\([0-9.]*\)): the client process .*/\1/p' "$reports/client/client.log" 2>/dev/null | tr '\n' ' ')
if grep -q "the client process" "$reports/client/client.log" 2>/dev/null; then
    echo "client processes that crashed or were killed: $(grep -c "the client process" "$reports/client/client.log")" \
        "(the suite judges these cases by what it saw; see $reports/client/client.log): $crashed"
    status=1
fi
if ! grep -q "^reports updated" "$reports/client/client.log" 2>/dev/null; then
    echo "autobahn-http.sh: the client did not finish (see $reports/client/client.log)"
    status=1
fi

for report in server-eventloop server-async client; do
    [ -s "$reports/$report/index.json" ] || { echo "autobahn-http.sh: no report in $reports/$report"; exit 1; }
done
echo "verdict (OK only; INFORMATIONAL only for 7.1.6 and 7.13.*):"
python3 Tests/Conformance/autobahn-verdict.py "$reports/server-eventloop" "$reports/server-async" "$reports/client" | sed 's/^/  /' \
    || status=1

# The table of Docs/Conformance.md, per section.
python3 Tests/Conformance/autobahn-table.py "server, eventloop=$reports/server-eventloop" "server, async=$reports/server-async" \
    "client (async)=$reports/client" >"$reports/conformance-table.md"
echo "per section (also in $reports/conformance-table.md):"
sed 's/^/  /' "$reports/conformance-table.md"
echo "autobahn-http.sh: $(( $(date +%s) - start ))s"
exit "$status"
