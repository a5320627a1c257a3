#!/usr/bin/env bash
# Starts, stops and resets the project's own Redis and Postgres.
#
# Both run on their own ports with their data under .services/ (git-ignored), so they never
# touch a system-wide instance. Every command is idempotent.
#
#   scripts/services.sh up          install what is missing, start both, create the database
#   scripts/services.sh down        stop both
#   scripts/services.sh reset-tests drop what earlier test runs left behind
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.services"
redis_port="${FLASHSALE_REDIS_PORT:-6390}"
pg_port="${FLASHSALE_PG_PORT:-5440}"
pg_data="$state/postgres"
redis_dir="$state/redis"
database="flashsale"

log() { printf 'services: %s\n' "$*" >&2; }

# shellcheck source=scripts/apt.sh
source "$root/scripts/apt.sh"
# shellcheck source=scripts/pg.sh
source "$root/scripts/pg.sh"

# redis-cli exits 0 on an error reply too: a Redis still loading its AOF answers PING with
# LOADING, and is not ready until it answers PONG.
redis_ready() {
  [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ]
}

redis_up() {
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    mkdir -p "$redis_dir"
    log "starting redis on port $redis_port"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" \
      --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" \
      --appendonly yes --appendfsync everysec --save "" \
      --maxmemory-policy noeviction --databases 2
  fi
  # A large AOF (after `make bench-scaling`) takes seconds to load.
  for _ in $(seq 600); do
    redis_ready && return
    sleep 0.1
  done
  log "redis is not ready after 60 s; see $redis_dir/redis.log"
  exit 1
}

pg_up() {
  local bin
  bin="$(pg_bin_dir)"
  mkdir -p "$state"
  if [ ! -f "$pg_data/PG_VERSION" ]; then pg_init "$pg_data"; fi
  if ! pg_running "$pg_data"; then
    log "starting postgres on port $pg_port"
    as_pg_user "$bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 start \
      -o "-p $pg_port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
  fi
  if ! psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    psql_admin -c "CREATE DATABASE $database" >/dev/null
  fi
}

psql_admin() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

down() {
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    log "stopping redis"
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  fi
  pg_stop "$pg_data"
}

# Tests use Redis database 1 and databases named flashsale_test_*; a test that died early
# may have left some behind.
reset_tests() {
  redis-cli -p "$redis_port" -n 1 flushdb >/dev/null
  psql_admin -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'flashsale\_test\_%'" |
    while read -r db; do
      [ -n "$db" ] && psql_admin -c "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
    done
}

case "${1:-up}" in
  up) install_missing; redis_up; pg_up; log "redis 127.0.0.1:$redis_port, postgres 127.0.0.1:$pg_port ready" ;;
  down) down ;;
  reset-tests) reset_tests ;;
  *) echo "usage: $0 up|down|reset-tests" >&2; exit 2 ;;
esac
