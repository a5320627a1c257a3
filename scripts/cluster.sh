#!/usr/bin/env bash
# Starts, stops and inspects a local Redis Cluster for development and CI: 3 masters and
# 3 replicas on 127.0.0.1, ports FLASHSALE_CLUSTER_PORT..+5 (default 7000-7005), with each
# node's data under .services/cluster/<port>/ (git-ignored). up, down and reset are idempotent.
#
#   scripts/cluster.sh up                   install redis if missing, start the nodes, create the
#                                           cluster if it does not exist, wait until it is ok,
#                                           print the seed list
#   scripts/cluster.sh down                 stop the nodes; data and topology are kept
#   scripts/cluster.sh reset                stop the nodes and delete their data
#   scripts/cluster.sh status               each node's role and cluster state; exits 1 unless
#                                           every node is up and sees the cluster ok
#   scripts/cluster.sh nodes                print REDIS_CLUSTER_NODES=... (the app's seed list)
#   scripts/cluster.sh kill-master <port>   kill -9 that node, which must be a master
#   scripts/cluster.sh restart-node <port>  start that node again and wait until the cluster is ok
#
# kill-master and restart-node are for failover tests. A master restarted within the node
# timeout (2 s) of its kill comes back as the master, before its replica could take over; wait
# for the failover (e.g. for `status` to show the replica as master) before restarting it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
state="$root/.services/cluster"
base_port="${FLASHSALE_CLUSTER_PORT:-7000}"
mapfile -t ports < <(seq "$base_port" $((base_port + 5)))
# A master is marked failed after this long without answering, and its replica is promoted
# about a second later: 2 s keeps failover tests short.
node_timeout_ms=2000
timeout_s=30

log() { printf 'cluster: %s\n' "$*" >&2; }

die() {
  log "$*"
  exit 1
}

# shellcheck source=scripts/apt.sh
source "$root/scripts/apt.sh"

install_missing() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

# Anything answering on the port, even a node still loading its AOF (it answers LOADING).
node_running() { redis-cli -p "$1" ping >/dev/null 2>&1; }

# redis-cli exits 0 on an error reply too: a node is ready only once it answers PONG.
node_ready() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }

# Another worktree's cluster, or any other Redis, may hold the port: never adopt or stop it.
node_is_ours() { [ "$(redis-cli -p "$1" config get dir 2>/dev/null | tail -n 1)" = "$state/$1" ]; }

# redis-cli prints CLUSTER INFO with \r\n line ends.
cluster_info() { redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r'; }

cluster_field() { cluster_info "$1" | sed -n "s/^$2://p"; }

# A node in cluster_state:fail refuses every command (CLUSTERDOWN), and any node may be the
# one a client seeds from, so each node must see every slot served.
node_ok() {
  local info
  info="$(cluster_info "$1")"
  grep -qx 'cluster_state:ok' <<<"$info" && grep -qx 'cluster_slots_ok:16384' <<<"$info"
}

check_port() {
  local port
  for port in "${ports[@]}"; do [ "$1" = "$port" ] && return; done
  die "$1 is not a cluster port (${ports[0]}-${ports[5]})"
}

start_node() {
  local port="$1" dir="$state/$1"
  if ! node_running "$port"; then
    mkdir -p "$dir"
    log "starting node $port"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
      --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" \
      --cluster-node-timeout "$node_timeout_ms" \
      --appendonly yes --appendfsync everysec --save "" --maxmemory-policy noeviction
  fi
  for _ in $(seq $((timeout_s * 10))); do
    if node_ready "$port"; then
      node_is_ours "$port" ||
        die "port $port is held by a Redis that is not ours ($state/$port); stop it or set FLASHSALE_CLUSTER_PORT"
      return
    fi
    sleep 0.1
  done
  die "node $port is not ready after $timeout_s s; see $dir/redis.log"
}

# A node that never joined a cluster knows only itself; one that did keeps its peers in
# nodes.conf across restarts and rejoins on its own.
ensure_cluster() {
  local port fresh=0
  for port in "${ports[@]}"; do
    [ "$(cluster_field "$port" cluster_known_nodes)" = 1 ] && fresh=$((fresh + 1))
  done
  if [ "$fresh" -eq "${#ports[@]}" ]; then
    log "creating the cluster"
    redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 1 --cluster-yes \
      >"$state/create.log" 2>&1 ||
      die "creating the cluster failed; see $state/create.log, 'scripts/cluster.sh reset' starts over"
  elif [ "$fresh" -gt 0 ]; then
    die "$fresh node(s) lost their cluster state while the others kept it; 'scripts/cluster.sh reset' starts over"
  fi
}

wait_cluster_ok() {
  local port deadline=$((SECONDS + timeout_s))
  for port in "${ports[@]}"; do
    until node_ok "$port"; do
      [ "$SECONDS" -lt "$deadline" ] ||
        die "node $port does not see the cluster ok after $timeout_s s; 'scripts/cluster.sh status' shows each node's view"
      sleep 0.2
    done
  done
}

nodes() {
  local seeds
  seeds="$(printf 'redis://127.0.0.1:%s,' "${ports[@]:0:3}")"
  echo "REDIS_CLUSTER_NODES=${seeds%,}"
}

up() {
  local port
  install_missing
  for port in "${ports[@]}"; do start_node "$port"; done
  ensure_cluster
  wait_cluster_ok
  log "cluster ok on 127.0.0.1:${ports[0]}-${ports[5]}"
  nodes
}

stop_node() {
  local port="$1"
  node_running "$port" || return 0
  if ! node_is_ours "$port"; then
    log "port $port is held by a Redis that is not ours; leaving it"
    return 0
  fi
  log "stopping node $port"
  # The AOF is flushed on shutdown either way; NOSAVE only skips a pointless RDB snapshot.
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq $((timeout_s * 10))); do
    node_running "$port" || return 0
    sleep 0.1
  done
  die "node $port is still running $timeout_s s after SHUTDOWN"
}

down() {
  local port
  for port in "${ports[@]}"; do stop_node "$port"; done
}

reset() {
  down
  log "deleting $state"
  rm -rf "$state"
}

status() {
  local port role healthy=0
  for port in "${ports[@]}"; do
    if ! node_ready "$port"; then
      printf '%s  down\n' "$port"
      healthy=1
      continue
    fi
    # A replica's CLUSTER NODES line names its master by id; the master's line maps the id
    # to an address.
    role="$(redis-cli -p "$port" cluster nodes | awk '
      { addr[$1] = $2; sub(/@.*/, "", addr[$1]) }
      $3 ~ /myself/ { n = split($0, me, " ") }
      END {
        if (me[3] ~ /master/) { s = "master  slots"; for (i = 9; i <= n; i++) s = s " " me[i]; print s }
        else print "replica of " addr[me[4]]
      }')"
    printf '%s  up  cluster_state:%s  %s\n' "$port" "$(cluster_field "$port" cluster_state)" "$role"
    node_ok "$port" || healthy=1
  done
  return "$healthy"
}

# For failover tests: the node dies as in a crash, so its replica has to take over.
kill_master() {
  local port="$1" pid
  check_port "$port"
  node_ready "$port" || die "node $port is not running"
  node_is_ours "$port" || die "port $port is held by a Redis that is not ours"
  [ "$(redis-cli -p "$port" role | head -n 1)" = master ] || die "node $port is not a master"
  pid="$(redis-cli -p "$port" info server | tr -d '\r' | sed -n 's/^process_id://p')"
  kill -9 "$pid"
  # Wait on the port, not the pid: without an init that reaps it, the dead daemon lingers as
  # a zombie that kill -0 still finds.
  while node_running "$port"; do sleep 0.05; done
  log "killed master $port (pid $pid)"
}

restart_node() {
  check_port "$1"
  start_node "$1"
  wait_cluster_ok
  log "node $1 is back and the cluster is ok"
}

usage() {
  echo "usage: $0 up|down|reset|status|nodes|kill-master <port>|restart-node <port>" >&2
  exit 2
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  reset) reset ;;
  status) status ;;
  nodes) nodes ;;
  kill-master) [ $# -eq 2 ] || usage; kill_master "$2" ;;
  restart-node) [ $# -eq 2 ] || usage; restart_node "$2" ;;
  *) usage ;;
esac
