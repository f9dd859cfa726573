#!/usr/bin/env bash
# Checks the project's set-up of the Autobahn|Testsuite (setup.sh, port.py, wstest3.py) before
# its verdicts on this project are trusted: run against Python's websockets, in both roles, the
# suite must give the verdicts websockets publishes for itself; run against an echo that checks
# nothing (Benchmarks/CeilingEcho), it must fail it where RFC 6455 requires a check
# (known-verdicts.py says which).
#
#   Tests/Conformance/Autobahn/selfcheck.sh [CASES]   # default: sections 1-7 and 10 (~40 s)
#
# Reports go to .build-wstest/selfcheck/. Every step is bounded; the peers are stopped by PID.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/../../.."
root=$(pwd)
cases=${1:-1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*}
reports="$root/.build-wstest/selfcheck"
rm -rf "$reports"
mkdir -p "$reports"

. Tests/Conformance/autobahn-lib.sh
autobahn_setup
python=$(timeout 600 Scripts/interop-env.sh | tail -n 1)   # Python's websockets, pinned
status=0

port=$(free_port)
start_server "$reports/websockets-server.log" "$python" "$here/websockets-peer.py" server "$port"
AGENT=websockets-server WSTEST_TIMEOUT=600 test_server "ws://127.0.0.1:$port" "$cases" "$reports/websockets-server" || true
stop_server
python3 "$here/known-verdicts.py" websockets "$reports/websockets-server" || status=1

AGENT=websockets-client CLIENT_TIMEOUT=600 test_client "$python $here/websockets-peer.py client {url} {agent}" \
    "$(free_port)" "$cases" "$reports/websockets-client" || true
python3 "$here/known-verdicts.py" websockets "$reports/websockets-client" || status=1

pkg-config --exists libcrypto || { echo "selfcheck: the ceiling echo needs libcrypto (apt-get install libssl-dev)" >&2; exit 1; }
timeout 120 gcc -O2 -o "$reports/ceiling-echo" Benchmarks/CeilingEcho/ceiling-echo.c $(pkg-config --libs libcrypto)
port=$(free_port)
"$reports/ceiling-echo" --port "$port" >"$reports/ceiling.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
AGENT=ceiling WSTEST_TIMEOUT=600 test_server "ws://127.0.0.1:$port" "2.2,5.6,6.3.1" "$reports/ceiling" || true
stop_server
python3 "$here/known-verdicts.py" ceiling "$reports/ceiling" || status=1

[ "$status" = 0 ] && echo "selfcheck: the Autobahn set-up judges as the suite is published to judge"
exit "$status"
