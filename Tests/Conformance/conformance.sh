#!/usr/bin/env bash
# Conformance: the Autobahn testsuite (Tests/Conformance/Autobahn) against the `websockets`
# command in both roles, with permessage-deflate on, and a verdict that fails unless every
# case is OK (INFORMATIONAL only where the suite says so by design: 7.1.6, 7.13.*).
#
#   Tests/Conformance/conformance.sh          all 517 cases in each role (about 19 minutes on 2 cores)
#   Tests/Conformance/conformance.sh --ci     all but the largest permessage-deflate cases (about 5 minutes)
#
# Server: `websockets serve` (the README's main command: an echo on every path but /relay, on
#   the event loop; 16 MiB messages; permessage-deflate accepted).
# Client: `websockets connect --echo`, one process per case, run by
#   Tests/Conformance/autobahn-testee-client.sh (/getCaseCount, /runCase, /updateReports), offering
#   permessage-deflate.
# --ci leaves out the cases 12.*.9-10 and 12.*.14-18 and the same of 13.*: a thousand messages of
# 32 KiB to 128 KiB each, where the suite's own Python compression takes 94% of the full run's
# time; every other case runs, 9.* included. Reports (HTML and JSON per case) go to
# .build-conformance/ (ignored by git), with the table of Docs/Conformance.md in
# .build-conformance/conformance-table.md. Every step is bounded; the server is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
mode=full
[ "${1:-}" = "--ci" ] && mode=ci
exclude=""
# Bounds: the whole of each role's run (the --ci run takes about 2 minutes a role).
role_timeout=2400
if [ "$mode" = ci ]; then
    role_timeout=900
    for section in 12 13; do
        for case in 9 10 14 15 16 17 18; do exclude+="${exclude:+,}$section.*.$case"; done
    done
fi
reports="$root/.build-conformance"
rm -rf "$reports"
mkdir -p "$reports"
start=$(date +%s)

. Tests/Conformance/autobahn-lib.sh

autobahn_setup
timeout 1500 swift build --product websockets >"$reports/build.log" 2>&1 || { tail -30 "$reports/build.log" >&2; exit 1; }
websockets="$(swift build --show-bin-path)/websockets"

status=0
port=$(free_port)
start_server "$reports/serve.log" "$websockets" serve --port "$port" --max-message-size 16777216 --log-level warning
echo "conformance.sh: server role, websockets serve ($mode)"
AGENT=websockets-serve EXCLUDE="$exclude" WSTEST_TIMEOUT=$role_timeout test_server "ws://127.0.0.1:$port" "*" "$reports/server" || true
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "conformance.sh: websockets serve died during the run (see $reports/serve.log)"
    status=1
fi
stop_server

echo "conformance.sh: client role, websockets connect --echo ($mode)"
AGENT=websockets-connect EXCLUDE="$exclude" CLIENT_TIMEOUT=$role_timeout \
    test_client "Tests/Conformance/autobahn-testee-client.sh $websockets {url} {agent}" "$(free_port)" "*" "$reports/client" || true
if grep -q "the client process" "$reports/client/client.log" 2>/dev/null; then
    echo "conformance.sh: client processes that failed (the suite judges those cases by what it saw):"
    grep "the client process" "$reports/client/client.log" | sed 's/^/  /'
    status=1
fi
grep -q "^reports updated" "$reports/client/client.log" 2>/dev/null || { echo "conformance.sh: the client did not finish (see $reports/client/client.log)"; status=1; }

for report in server client; do
    [ -s "$reports/$report/index.json" ] || { echo "conformance.sh: no report in $reports/$report"; exit 1; }
done
echo "verdict (OK only; INFORMATIONAL only for 7.1.6 and 7.13.*):"
python3 Tests/Conformance/autobahn-verdict.py "$reports/server" "$reports/client" | sed 's/^/  /' || status=1
python3 Tests/Conformance/autobahn-table.py "server: websockets serve=$reports/server" "client: websockets connect --echo=$reports/client" \
    >"$reports/conformance-table.md"
echo "per section (also in $reports/conformance-table.md):"
sed 's/^/  /' "$reports/conformance-table.md"
echo "conformance.sh ($mode): $(( $(date +%s) - start ))s"
exit "$status"
