# shellcheck shell=bash
# Sourced by services.sh and tls.sh after apt.sh: installing Redis and Postgres, and Postgres's
# tools run as the `postgres` user. The sourcing script defines `log`.

pg_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

install_missing() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  pg_bin_dir >/dev/null || missing+=(postgresql)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

# Postgres refuses to run as root, so as root it runs as the unprivileged `postgres` user.
as_pg_user() {
  if as_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_init() { # <data dir>: a new cluster there, trusting local connections
  log "initialising postgres in $1"
  mkdir -p "$1"
  as_root && chown -R postgres: "$1"
  chmod 700 "$1"
  as_pg_user "$(pg_bin_dir)/initdb" -D "$1" -U postgres --auth=trust -E UTF8 >/dev/null
}

pg_running() { # <data dir>
  local bin
  bin="$(pg_bin_dir || true)"
  [ -n "$bin" ] && [ -f "$1/PG_VERSION" ] && as_pg_user "$bin/pg_ctl" -D "$1" status >/dev/null 2>&1
}

pg_stop() { # <data dir>
  if pg_running "$1"; then
    log "stopping postgres"
    as_pg_user "$(pg_bin_dir)/pg_ctl" -D "$1" -w -m fast stop >/dev/null
  fi
}
