# Shared by the Autobahn scripts (source it, from the repository's root):
#   autobahn_setup                installs the suite for Python 3 (Tests/Conformance/Autobahn)
#   test_server URL CASES OUTDIR  runs the suite against the server at URL; env AGENT (the
#                                 report's name), EXCLUDE (case patterns), WSTEST_TIMEOUT (s)
#   test_client CMD PORT CASES OUTDIR   runs the suite's server on 127.0.0.1:PORT and CMD as
#                                 the client under test ({url}, {agent} filled in; its output
#                                 in OUTDIR/client.log); env AGENT, EXCLUDE, CLIENT_TIMEOUT (s)
#   free_port                     prints a free TCP port on 127.0.0.1
#   start_server LOG COMMAND…     starts COMMAND in the background with its output in LOG, sets
#                                 $server_pid, and returns once it prints "listening on"
#                                 (exits 1 with its log if it does not within 10 s)
#   stop_server                   stops $server_pid (TERM, then KILL after 5 s); also on EXIT
server_pid=""
wstest="$(pwd)/Tests/Conformance/Autobahn/wstest"

autobahn_setup() {
    timeout 900 Tests/Conformance/Autobahn/setup.sh >/dev/null
}

test_server() {
    mkdir -p "$3"
    "$wstest" server --url "$1" --agent "${AGENT:?}" --outdir "$3" --cases "$2" --exclude "${EXCLUDE:-}" \
        >"$3/wstest.log" 2>&1
}

test_client() {
    local seconds=${CLIENT_TIMEOUT:-3600}
    mkdir -p "$4"
    WSTEST_TIMEOUT=$((seconds + 120)) "$wstest" client --port "$2" --agent "${AGENT:?}" --outdir "$4" --cases "$3" \
        --exclude "${EXCLUDE:-}" --command "$1" --client-timeout "$seconds" >"$4/wstest.log" 2>&1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q "^listening on" "$log" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -q "^listening on" "$log" && return 0
    echo "$(basename "$0"): $(basename "$1") did not start:" >&2
    cat "$log" >&2
    exit 1
}

stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap stop_server EXIT
