#!/usr/bin/env bash
# Three `websockets serve --redis` nodes on one Redis, behind nginx (round-robin), as
# Docs/Deployment.md runs them (Debian's redis-server and nginx, installed when missing):
#   1. without Redis, a node refuses to start and names the address it tried;
#   2. clients of /topics/room, spread over the nodes by nginx (each node's /metrics agrees),
#      get every message of every other client once and in order, and never their own;
#   3. a node killed with SIGKILL: its clients are dropped and come back through nginx on the
#      other nodes; the other clients lose nothing of what was sent before, during and after;
#   4. Redis killed and started again on its port, the nodes left running: delivery across
#      nodes resumes within 5 s of Redis being back, and what was sent while it was down is
#      dropped, not delivered late;
#   5. a name over 256 bytes (400), a name of other characters (404), a message over 1 MiB (1009);
#   6. three fresh nodes on a Redis of their own behind HAProxy (Debian's haproxy), with
#      Docs/Deployment.md's configuration: phases 2 and 3 again.
# Tests/Scale/scale_out.py drives the clients and checks each phase. Everything listens on
# 127.0.0.1 and is stopped by its PID; quiet on success but for a summary.
#
#   Tests/Scale/scale-out.sh [BINARY]      # default: a fresh `swift build --product websockets`
set -euo pipefail
binary=${1:+$(realpath -- "$1")}
cd "$(dirname "$0")/../.."
name=scale-out
. Tests/Scale/scale-lib.sh
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || Scripts/ensure-apt.sh nginx
nginx=$(command -v nginx || echo /usr/sbin/nginx)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || Scripts/ensure-apt.sh haproxy
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)

# 1. Nothing listens on a port just found free: serve must stop at once and say where it looked.
dead_port=$(free_port)
status=0
timeout 10 "$websockets" serve --port 0 --redis "redis://127.0.0.1:$dead_port" \
    >"$work/no-redis.out" 2>"$work/no-redis.err" || status=$?
if [ "$status" -eq 0 ] || [ "$status" -eq 124 ] || ! grep -q "127.0.0.1:$dead_port" "$work/no-redis.err"; then
    echo "$name: with no Redis at 127.0.0.1:$dead_port, serve ended with status $status (124: still running after 10 s), saying:" >&2
    cat "$work/no-redis.out" "$work/no-redis.err" >&2
    exit 1
fi

redis_port=$(free_port)
mkdir "$work/redis"
# A file, because the driver starts the same Redis again in phase 4. Nothing goes to disk, so
# the Redis that comes back knows nothing of the one before, as after a crash.
cat >"$work/redis.sh" <<SH
#!/bin/sh
exec redis-server --bind 127.0.0.1 --port $redis_port --save '' --appendonly no --dir '$work/redis' --daemonize no
SH
chmod +x "$work/redis.sh"
start_redis "$work/redis.log" "$work/redis.sh"
redis_pid=$pid

node_ports=()
node_pids=()
for node in a b c; do
    start_serve "$node" --redis "redis://127.0.0.1:$redis_port" --metrics
    node_ports+=("$port")
    node_pids+=("$pid")
done

nginx_port=$(free_port)
mkdir "$work/nginx"
# Run as root (CI), nginx's workers would otherwise be `nobody`, locked out of the temp dir.
user=""
[ "$(id -u)" -eq 0 ] && user="user root;"
cat >"$work/nginx/nginx.conf" <<CONF
$user
daemon off;
# One worker: the round-robin is then one rotation, so the clients are dealt out evenly.
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    # Docs/Deployment.md's configuration, but for the ports, the temp paths and X-Upstream.
    # A node that refuses a connection is left out for 2 s, and the request tries the next one.
    upstream websockets {
        server 127.0.0.1:${node_ports[0]} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:${node_ports[1]} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:${node_ports[2]} max_fails=1 fail_timeout=2s;
    }
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://websockets;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # A WebSocket may be quiet for long: nginx must not close it meanwhile.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
            proxy_buffering off;
            # Which node took the connection (the last one tried), for the driver's checks.
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
CONF
timeout 170 "$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx-error.log" >"$work/nginx.log" 2>&1 &
pids+=($!)
nginx_up() { "$python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$nginx_port" 2>/dev/null; }
for _ in $(seq 100); do nginx_up && break; sleep 0.1; done
nginx_up || { echo "$name: nginx did not start:" >&2; cat "$work/nginx.log" "$work/nginx-error.log" >&2 2>/dev/null; exit 1; }

# The node and the Redis that the driver kills die by a signal, which bash would report on
# stderr ("Killed") once the driver is done: that goes to /dev/null, the driver's words do not.
if ! { timeout 100 "$python" Tests/Scale/scale_out.py nginx --work "$work" --nginx "$nginx_port" \
        --nodes "$(IFS=,; echo "${node_ports[*]}")" --node-pids "$(IFS=,; echo "${node_pids[*]}")" \
        --redis-port "$redis_port" --redis-pid "$redis_pid" --redis-start "$work/redis.sh" 2>&3; } 3>&2 2>/dev/null; then
    show_logs
    exit 1
fi

# 6. HAProxy in front of three fresh nodes on a Redis of their own.
second_redis=$(free_port)
mkdir "$work/redis-2"
start_redis "$work/redis-2.log" redis-server --bind 127.0.0.1 --port "$second_redis" --save '' --appendonly no --dir "$work/redis-2"
node_ports=()
node_pids=()
for node in d e f; do
    start_serve "$node" --redis "redis://127.0.0.1:$second_redis" --metrics
    node_ports+=("$port")
    node_pids+=("$pid")
done
haproxy_port=$(free_port)
# Docs/Deployment.md's configuration, but for the ports and X-Upstream (which node took it).
cat >"$work/haproxy.cfg" <<CONF
defaults
    mode http
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    option http-server-close
    retries 3
    option redispatch 1

frontend websockets
    bind 127.0.0.1:$haproxy_port
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk GET /
    http-response set-header X-Upstream %si:%sp
    server d 127.0.0.1:${node_ports[0]} check inter 1s fall 1 rise 2
    server e 127.0.0.1:${node_ports[1]} check inter 1s fall 1 rise 2
    server f 127.0.0.1:${node_ports[2]} check inter 1s fall 1 rise 2
CONF
timeout 170 "$haproxy" -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
haproxy_up() { "$python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$haproxy_port" 2>/dev/null; }
for _ in $(seq 100); do haproxy_up && break; sleep 0.1; done
haproxy_up || { echo "$name: haproxy did not start:" >&2; cat "$work/haproxy.log" >&2; exit 1; }
if ! { timeout 60 "$python" Tests/Scale/scale_out.py haproxy --haproxy "$haproxy_port" \
        --nodes "$(IFS=,; echo "${node_ports[*]}")" --node-pids "$(IFS=,; echo "${node_pids[*]}")" \
        --redis-port "$second_redis" 2>&3; } 3>&2 2>/dev/null; then
    show_logs
    exit 1
fi
