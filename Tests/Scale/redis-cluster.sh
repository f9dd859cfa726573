#!/usr/bin/env bash
# Three `websockets serve` nodes on a Redis Cluster of three masters (Debian's redis-server,
# installed when missing), each node given a different master's address: topics whose names
# hash to slots of every master, a client of each topic on each node. Each client gets every
# message of the others of its topic once and in order, never its own nor another topic's; and
# the messages went by sharded pub/sub: each topic is a shard channel on its slot's master
# alone, Redis ran SPUBLISH for them and never a plain PUBLISH. Tests/Scale/scale_out.py (mode
# `cluster`) drives the clients and checks. Everything listens on 127.0.0.1 and is stopped by
# its PID; quiet on success but for a summary.
#
#   Tests/Scale/redis-cluster.sh [BINARY]      # default: a fresh `swift build --product websockets`
set -euo pipefail
binary=${1:+$(realpath -- "$1")}
cd "$(dirname "$0")/../.."
name=redis-cluster
. Tests/Scale/scale-lib.sh

redis_ports=()
for n in 1 2 3; do
    redis_port=$(free_port)
    # The bus port is chosen too: the default, the port + 10000, may be taken or past 65535.
    bus_port=$(free_port)
    mkdir "$work/redis-$n"
    start_redis "$work/redis-$n.log" redis-server --bind 127.0.0.1 --port "$redis_port" --cluster-enabled yes \
        --cluster-port "$bus_port" --cluster-config-file "$work/nodes-$n.conf" \
        --save '' --appendonly no --dir "$work/redis-$n" --daemonize no
    redis_ports+=("$redis_port")
done
addresses=()
for p in "${redis_ports[@]}"; do addresses+=("127.0.0.1:$p"); done
timeout 60 redis-cli --cluster create "${addresses[@]}" --cluster-replicas 0 --cluster-yes \
    >"$work/cluster-create.out" 2>&1 </dev/null || { cat "$work/cluster-create.out" >&2; exit 1; }
# Every master must see the whole cluster before a node reads the slots from it.
for p in "${redis_ports[@]}"; do
    info=""
    for _ in $(seq 100); do
        info=$(redis-cli -p "$p" cluster info </dev/null)
        [[ $info == *cluster_state:ok* ]] && break
        sleep 0.1
    done
    [[ $info == *cluster_state:ok* ]] || { echo "$name: the master on $p says:" >&2; echo "$info" >&2; exit 1; }
done

node_ports=()
for n in 0 1 2; do
    start_serve "node-$n" --redis "redis://127.0.0.1:${redis_ports[$n]}"
    node_ports+=("$port")
done

if ! timeout 100 "$python" Tests/Scale/scale_out.py cluster \
        --nodes "$(IFS=,; echo "${node_ports[*]}")" --redis-ports "$(IFS=,; echo "${redis_ports[*]}")"; then
    show_logs
    exit 1
fi
