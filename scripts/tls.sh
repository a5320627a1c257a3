#!/usr/bin/env bash
# Starts and stops a Redis and a Postgres that accept TLS only, for `make test-tls`: the
# service's `rediss://` and `sslmode=verify-full` paths tested for real.
#
# A throwaway CA signs one server certificate (SAN 127.0.0.1 and localhost); a second,
# unrelated CA exists so tests can show that a wrong CA is refused. Everything lives under
# .services/tls/ (git-ignored): ca.pem, other-ca.pem, server.pem, server.key, and the data.
#
#   Redis     127.0.0.1:6391, TLS port only (no plain port), clients need no certificate
#   Postgres  127.0.0.1:5441, `ssl=on`, pg_hba accepts `hostssl` only: plain TCP is refused
#
#   scripts/tls.sh up     install what is missing, make the certificates once, start both
#   scripts/tls.sh down   stop both (certificates and data are kept)
# Both are idempotent. FLASHSALE_TLS_REDIS_PORT and FLASHSALE_TLS_PG_PORT move the ports.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
state="$root/.services/tls"
redis_port="${FLASHSALE_TLS_REDIS_PORT:-6391}"
pg_port="${FLASHSALE_TLS_PG_PORT:-5441}"
pg_data="$state/postgres"
redis_dir="$state/redis"

log() { printf 'tls: %s\n' "$*" >&2; }

# shellcheck source=scripts/apt.sh
source "$root/scripts/apt.sh"

# shellcheck source=scripts/pg.sh
source "$root/scripts/pg.sh"

new_ca() { # <name>: <name>.key and <name>.pem, a self-signed CA
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$state/$1.key" -out "$state/$1.pem" -days 3650 -subj "/CN=flashsale test $1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}

certificates() {
  [ -f "$state/server.pem" ] && return
  log "making a throwaway CA and server certificate in $state"
  mkdir -p "$state"
  new_ca ca
  new_ca other-ca
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$state/server.key" -out "$state/server.csr" -subj /CN=localhost 2>/dev/null
  openssl x509 -req -in "$state/server.csr" -CA "$state/ca.pem" -CAkey "$state/ca.key" \
    -CAcreateserial -out "$state/server.pem" -days 825 -extfile <(printf '%s\n' \
      'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth') 2>/dev/null
  rm -f "$state/server.csr"
}

redis_cli() { redis-cli --tls --cacert "$state/ca.pem" -h 127.0.0.1 -p "$redis_port" "$@"; }

redis_up() {
  if [ "$(redis_cli ping 2>/dev/null)" != PONG ]; then
    mkdir -p "$redis_dir"
    log "starting redis with TLS on port $redis_port"
    redis-server --port 0 --tls-port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" \
      --tls-cert-file "$state/server.pem" --tls-key-file "$state/server.key" \
      --tls-ca-cert-file "$state/ca.pem" --tls-auth-clients no \
      --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" \
      --appendonly no --save "" --maxmemory-policy noeviction --databases 2
  fi
  for _ in $(seq 100); do
    [ "$(redis_cli ping 2>/dev/null)" = PONG ] && return
    sleep 0.1
  done
  log "redis is not ready after 10 s; see $redis_dir/redis.log"
  exit 1
}

pg_up() {
  local bin
  bin="$(pg_bin_dir)"
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    pg_init "$pg_data"
    # TCP with TLS only: a client that does not negotiate TLS finds no pg_hba line.
    printf 'hostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n' |
      as_pg_user tee "$pg_data/pg_hba.conf" >/dev/null
    # Postgres wants its key private to the user it runs as.
    cp "$state/server.pem" "$state/server.key" "$pg_data/"
    as_root && chown postgres: "$pg_data/server.pem" "$pg_data/server.key"
    chmod 600 "$pg_data/server.key"
  fi
  if ! pg_running "$pg_data"; then
    log "starting postgres with TLS on port $pg_port"
    as_pg_user "$bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 start \
      -o "-p $pg_port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=100 \
        -c ssl=on -c ssl_cert_file=server.pem -c ssl_key_file=server.key" >/dev/null
  fi
}

down() {
  if [ "$(redis_cli ping 2>/dev/null)" = PONG ]; then
    log "stopping redis"
    redis_cli shutdown nosave >/dev/null 2>&1 || true
  fi
  pg_stop "$pg_data"
}

case "${1:-up}" in
  up)
    command -v openssl >/dev/null 2>&1 || apt_install openssl
    install_missing
    certificates
    redis_up
    pg_up
    log "rediss://127.0.0.1:$redis_port and postgres 127.0.0.1:$pg_port (TLS only) ready; CA $state/ca.pem"
    ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
