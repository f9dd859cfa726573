#!/usr/bin/env bash
# The attack suite (DESIGN.md 6b): runs Scripts/attacks.py's hostile peers against
# `websockets serve` (never-reads, stalled-peer, ping-flood, handshake-hold, long-target,
# fragment-flood, oversized-request-line, oversized-headers, connection-flood, huge-length,
# reset-mid-frame, invalid-utf8, unmasked, decompression-bomb), each against a fresh server on a
# free loopback port started with `ulimit -n 1024`, --no-deflate and the SERVER FLAGS, then the
# attack's own flags (after them, so they win: connection-flood's small --max-connections and
# --max-pending-connections; decompression-bomb's 4 MiB --max-message-size, and its server keeps
# permessage-deflate, without --no-deflate); and its hostile servers against `websockets connect` (client-header-flood,
# client-slow-handshake, client-wrong-accept, client-close-hold), which need no server. It prints
# each attack's figures and bound, then `N passed, N failed`; the exit status is 1 if any failed.
# Without --binary it builds the release `websockets` first (swift on PATH). Server flags are
# passed through to `websockets serve` and to attacks.py, whose stalled-peer bound is ping
# interval + ping timeout + close timeout + 5 s of those flags (30 + 10 + 10 + 5 without them:
# stalled-peer then takes up to a minute). With short keepalive times, the whole run takes 1-3
# minutes (client-close-hold alone takes the client's 10 s close timeout):
#
#   Scripts/attacks.sh [--binary PATH] [ATTACK ...] [-- SERVER FLAGS]
#   Scripts/attacks.sh -- --ping-interval 2 --ping-timeout 2 --close-timeout 2
#   Scripts/attacks.sh --binary .build/release/websockets stalled-peer -- --ping-interval 2 --ping-timeout 2 --close-timeout 2
#
# Each server, client and attack is bounded in time (timeout) and stopped by its PID.
# Needs bash 4, python3 (standard library only), coreutils' timeout, Linux's /proc.
set -euo pipefail

caller=$PWD
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
binary=""
attacks=()
flags=()
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) [ $# -ge 2 ] || { echo "attacks: --binary needs a path" >&2; exit 2; }; binary=$2; shift 2 ;;
        --binary=*) binary=${1#--binary=}; shift ;;
        --) shift; flags=("$@"); break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "attacks: unknown option $1 (server flags go after --)" >&2; exit 2 ;;
        *) attacks+=("$1"); shift ;;
    esac
done
all=(never-reads stalled-peer ping-flood handshake-hold long-target fragment-flood
     oversized-request-line oversized-headers connection-flood huge-length reset-mid-frame invalid-utf8 unmasked
     decompression-bomb client-header-flood client-slow-handshake client-wrong-accept client-close-hold)
# An attack's own server flags, after the ones given (the last of a repeated flag wins).
declare -A own_flags=(
    [connection-flood]="--max-connections 16 --max-pending-connections 64"
    [decompression-bomb]="--max-message-size 4194304"
)
# The attacks whose server keeps permessage-deflate (the others' get --no-deflate).
with_deflate=" decompression-bomb "
[ ${#attacks[@]} -gt 0 ] || attacks=("${all[@]}")
for attack in "${attacks[@]}"; do
    [[ " ${all[*]} " == *" $attack "* ]] || { echo "attacks: unknown attack $attack; the attacks are ${all[*]}" >&2; exit 2; }
done

work=$(mktemp -d)
server_pid=""
timeout_pid=""

# Stops the server by its PID (SIGTERM, then SIGKILL after 10 s) and the timeout around it.
stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$timeout_pid" ]; then
        kill -TERM "$timeout_pid" 2>/dev/null || true
        wait "$timeout_pid" 2>/dev/null || true
    fi
    server_pid=""
    timeout_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

if [ -z "$binary" ]; then
    export PATH="$PATH:/opt/swift/usr/bin"
    command -v swift >/dev/null || { echo "attacks: Swift is not on PATH (or give --binary PATH)" >&2; exit 1; }
    echo "attacks: building websockets (release)" >&2
    timeout 1800 swift build -c release --product websockets >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
    binary="$(swift build -c release --show-bin-path)/websockets"
fi
case "$binary" in /*) ;; *) binary="$caller/$binary" ;; esac
[ -x "$binary" ] || { echo "attacks: no executable at $binary" >&2; exit 1; }

# Starts `websockets serve` on a free port with at most 1024 open files, with the server flags
# $attack_flags holds; sets $port and $server_pid.
start_server() {
    : >"$work/serve.out"
    (ulimit -n 1024 && exec timeout 600 "$binary" serve --port 0 ${attack_flags[@]+"${attack_flags[@]}"}) \
        >"$work/serve.out" 2>"$work/serve.err" &
    timeout_pid=$!
    port=""
    for _ in $(seq 300); do
        port=$(grep -o '127\.0\.0\.1:[0-9]*' "$work/serve.out" | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && break
        kill -0 "$timeout_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "attacks: websockets serve did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
    server_pid=$(awk '{ print $1 }' "/proc/$timeout_pid/task/$timeout_pid/children" 2>/dev/null || true)
    [ -n "$server_pid" ] || server_pid=$(pgrep -P "$timeout_pid" | head -1 || true)
    [ -n "$server_pid" ] || { echo "attacks: cannot find the server's PID" >&2; exit 1; }
}

passed=0
failed=0
for attack in "${attacks[@]}"; do
    status=0
    if [[ $attack == client-* ]]; then
        server_pid=""
        timeout 300 "$python" Scripts/attacks.py --binary "$binary" --no-summary "$attack" >"$work/attack.out" || status=$?
    else
        attack_flags=()
        [[ $with_deflate == *" $attack "* ]] || attack_flags+=(--no-deflate)
        attack_flags+=(${flags[@]+"${flags[@]}"})
        read -r -a own <<<"${own_flags[$attack]:-}"
        attack_flags+=(${own[@]+"${own[@]}"})
        quoted=""
        [ ${#attack_flags[@]} -eq 0 ] || quoted=$(printf '%q ' "${attack_flags[@]}")
        start_server
        timeout 300 "$python" Scripts/attacks.py --port "$port" --pid "$server_pid" --server-flags="$quoted" --no-summary "$attack" \
            >"$work/attack.out" || status=$?
    fi
    cat "$work/attack.out"
    pass=$(grep -c ' PASS$' "$work/attack.out" || true)
    fail=$(grep -c ' FAIL$' "$work/attack.out" || true)
    if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "$attack: attacks.py exited with status $status$([ "$status" -eq 124 ] && echo ' (timed out)')  FAIL"
        fail=1
    fi
    passed=$((passed + pass))
    failed=$((failed + fail))
    if [ -n "$server_pid" ] && ! kill -0 "$server_pid" 2>/dev/null; then
        echo "attacks: the server exited during $attack; its last words:" >&2
        tail -5 "$work/serve.err" >&2
    fi
    stop_server
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
