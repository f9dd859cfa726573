#!/usr/bin/env bash
# Other implementations' clients against the framework adapters' echo examples, as a user's
# peers would be: Packages/WSHummingbird's hummingbird-echo and Packages/WSVapor's vapor-echo,
# each on a free port, get
#   - a plain GET / (the framework's own route, on the WebSocket's port),
#   - Python's websockets (Tests/Interop/python/ws_peer.py client): text, binary, 1 MiB,
#     fragments, a ping, a close with 4000 echoed; at /echo (the event-loop route) and at
#     /echo-async (the same echo in a task),
#   - node's ws (Tests/Interop/node/echo-client.js): the same, with permessage-deflate,
#   - the Autobahn testsuite's fuzzing client on /echo: CASES (default every case but 9.*,
#     the performance section, and 12.*/13.* beyond their first groups; "*" runs all), which
#     must all be OK (INFORMATIONAL only where the suite says so by design).
#
#   Tests/Adapters/adapter-peers.sh [CASES]
#   EXCLUDE= CONFIGURATION=release Tests/Adapters/adapter-peers.sh '*'     # the full run of Docs/Adapters.md
#
# The echoes are built (debug, or CONFIGURATION) into .build-adapters (the folder Scripts/test.sh builds the
# adapters in, so that SwiftNIO, Hummingbird and Vapor compile once for both); node's ws comes
# from Debian (node-ws), Python's websockets from Scripts/interop-env.sh, the suite from
# Tests/Conformance/Autobahn/setup.sh. Every process is bounded in time and stopped by its PID.
# Reports go to .build-adapters-autobahn/; Docs/Adapters.md has the full run's table.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
cases=${1:-*}
export EXCLUDE=${EXCLUDE-9.*,12.2.*,12.3.*,12.4.*,12.5.*,13.2.*,13.3.*,13.4.*,13.5.*,13.6.*,13.7.*}
scratch="$root/.build-adapters"
configuration=${CONFIGURATION:-debug}
reports="$root/.build-adapters-autobahn"
rm -rf "$reports"
mkdir -p "$reports"
start=$(date +%s)

. Tests/Conformance/autobahn-lib.sh

command -v node >/dev/null || { echo "adapter-peers: no node (apt-get install node-ws brings nodejs)" >&2; exit 1; }
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
python=$(timeout 600 Scripts/interop-env.sh)
autobahn_setup

for build in "Packages/WSHummingbird hummingbird-echo" "Packages/WSVapor vapor-echo"; do
    set -- $build
    timeout 3600 Scripts/adapter-build.sh -c "$configuration" --package-path "$1" --product "$2" >>"$reports/build.log" 2>&1 \
        || { tail -30 "$reports/build.log" >&2; echo "adapter-peers: building $2 failed" >&2; exit 1; }
done

status=0
for echo in hummingbird-echo vapor-echo; do
    port=$(free_port)
    start_server "$reports/$echo.log" timeout 3600 "$scratch/$configuration/$echo" --port "$port"
    page=$(timeout 20 "$python" -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
        "http://127.0.0.1:$port/" 2>&1 </dev/null || true)
    if [[ $page == "$echo: WebSockets at /echo"* ]]; then
        echo "adapter-peers: $echo: GET / answered by the framework's route on the WebSocket's port"
    else
        echo "adapter-peers: $echo: GET / gave '$page'"; status=1
    fi
    for target in /echo /echo-async; do
        if result=$(timeout 60 "$python" Tests/Interop/python/ws_peer.py client --url "ws://127.0.0.1:$port$target" </dev/null); then
            if [[ $result == *'"close_code": 4000'* && $result == *'"large_length": 1048576'* ]]; then
                echo "adapter-peers: $echo $target: Python's websockets: text, binary, 1 MiB, fragments and a ping echoed, close 4000 echoed"
            else
                echo "adapter-peers: $echo $target: Python's websockets saw $result"; status=1
            fi
        else
            echo "adapter-peers: $echo $target: Python's websockets failed"; status=1
        fi
    done
    timeout 60 node Tests/Interop/node/echo-client.js "ws://127.0.0.1:$port/echo" || status=1
    AGENT="$echo" WSTEST_TIMEOUT=3000 test_server "ws://127.0.0.1:$port/echo" "$cases" "$reports/$echo" || true
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "adapter-peers: $echo died during the Autobahn run (see $reports/$echo.log)"; status=1
    fi
    stop_server
    [ -s "$reports/$echo/index.json" ] || { echo "adapter-peers: no Autobahn report for $echo (see $reports/$echo/wstest.log)"; exit 1; }
done

echo "Autobahn verdict (OK only; INFORMATIONAL only for 7.1.6 and 7.13.*), excluding '${EXCLUDE}':"
python3 Tests/Conformance/autobahn-verdict.py "$reports/hummingbird-echo" "$reports/vapor-echo" | sed 's/^/  /' || status=1
python3 Tests/Conformance/autobahn-table.py "WSHummingbird (hummingbird-echo)=$reports/hummingbird-echo" \
    "WSVapor (vapor-echo)=$reports/vapor-echo" >"$reports/conformance-table.md"
echo "per section (also in $reports/conformance-table.md):"
sed 's/^/  /' "$reports/conformance-table.md"
echo "adapter-peers: $(( $(date +%s) - start ))s"
exit "$status"
