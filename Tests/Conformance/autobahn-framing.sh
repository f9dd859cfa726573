#!/usr/bin/env bash
# Runs the Autobahn testsuite against WSFraming alone, in both roles, and fails unless every
# case is OK (INFORMATIONAL only where the suite says so by design: 7.1.6, 7.13.*).
#
#   Tests/Conformance/autobahn-framing.sh [CASES]     # default: every case but permessage-deflate (12.*, 13.*)
#
# Tests/Interop/framing-autobahn.py does the HTTP handshake and hands each socket to
# Interop's framing-echo, which runs WSFraming's WebSocketConnection on it. Reports go to
# .build-autobahn/ (ignored by git). The suite is installed by Tests/Conformance/Autobahn/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
cases=${1:-*}
export EXCLUDE=${EXCLUDE:-12.*,13.*}
reports="$root/.build-autobahn"
rm -rf "$reports"
mkdir -p "$reports"

. Tests/Conformance/autobahn-lib.sh
autobahn_setup
timeout 900 swift build -c release --package-path Tests/Interop --product FramingEcho
echo_bin="$(swift build -c release --package-path Tests/Interop --show-bin-path)/FramingEcho"

# A free port for the echo server.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 Tests/Interop/framing-autobahn.py server "$port" "$echo_bin" >"$reports/echo-server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.1
done

AGENT=WSFraming-server WSTEST_TIMEOUT=900 test_server "ws://127.0.0.1:$port" "$cases" "$reports/server" || true
kill "$server_pid" 2>/dev/null || true

client_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AGENT=WSFraming-client CLIENT_TIMEOUT=900 test_client "python3 $root/Tests/Interop/framing-autobahn.py client {url} {agent} $echo_bin" \
    "$client_port" "$cases" "$reports/client" || true

python3 Tests/Conformance/autobahn-verdict.py "$reports/server" "$reports/client"
