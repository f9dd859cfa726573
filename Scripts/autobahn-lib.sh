# Shared by the Autobahn scripts that run an echo server of ours (source it):
#   free_port                     prints a free TCP port on 127.0.0.1
#   start_server LOG COMMAND…     starts COMMAND in the background with its output in LOG, sets
#                                 $server_pid, and returns once it prints "listening on"
#                                 (exits 1 with its log if it does not within 10 s)
#   stop_server                   stops $server_pid (TERM, then KILL after 5 s); also on EXIT
server_pid=""

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
