# Shared by Tests/Scale/scale-out.sh and Tests/Scale/redis-cluster.sh. Source it from the
# repository's root with $name set to the script's name (for messages) and the binary given on
# the command line, if any, in $binary:
#   $python, $work, pids    the venv's Python (it has `websockets`), a temp dir, and the PIDs
#                           to stop; both cleaned up on EXIT, with the PIDs the driver adds to
#                           $work/driver.pids (the Redis it starts again)
#   $websockets             $binary, or a fresh `swift build --product websockets`
#   free_port               prints a free TCP port on 127.0.0.1
#   start_redis LOG CMD…    starts a redis-server (CMD…), returns once it is ready
#   start_serve NAME ARGS…  starts `websockets serve --port 0 ARGS…`, sets $port
# Both set $pid (of the `timeout` around the process) and add it to pids; they are not run in
# $(…), whose subshell would keep the PID from the trap.
#   show_logs               the end of every log, for a failure
# Every process runs under `timeout`, so that none outlives a run that was itself killed.
python=.build-interop/venv/bin/python3
[ -x "$python" ] || { echo "$name: no Python venv; run Scripts/interop-env.sh" >&2; exit 1; }
command -v redis-server >/dev/null || Scripts/ensure-apt.sh redis-server
work=$(mktemp -d)
pids=()
stop_all() {
    # `timeout` passes the TERM on to its command.
    for p in "${pids[@]}" $(cat "$work/driver.pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap stop_all EXIT

if [ -n "${binary:-}" ]; then
    websockets=$binary
else
    timeout 900 swift build --product websockets >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
    websockets="$(swift build --show-bin-path)/websockets"
fi
[ -x "$websockets" ] || { echo "$name: $websockets is not a program" >&2; exit 1; }

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_redis() {
    local log=$1; shift
    timeout 170 "$@" >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        grep -q "Ready to accept connections" "$log" && return 0
        sleep 0.05
    done
    echo "$name: redis-server did not start:" >&2
    cat "$log" >&2
    return 1
}

start_serve() {
    local out="$work/serve-$1.out"; shift
    timeout 170 "$websockets" serve --port 0 "$@" >"$out" 2>"$out.err" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        port=$(grep -o '127.0.0.1:[0-9]*' "$out" | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$name: websockets serve $* did not start:" >&2
    cat "$out.err" >&2
    return 1
}

show_logs() {
    for log in "$work"/*.out.err "$work"/*.log; do
        [ -s "$log" ] || continue
        echo "--- $(basename "$log"):" >&2
        tail -15 "$log" >&2
    done
}
