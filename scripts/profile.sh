#!/usr/bin/env bash
# Flame graphs of the server, Redis and Postgres while one bench scenario runs:
#   bash scripts/profile.sh ["redis reserve"] [out-dir]
# `perf record --call-graph dwarf` of each process for 4 s in the middle of a 12 s scenario,
# folded and drawn by inferno. Needs perf (Debian: linux-perf), inferno (cargo install inferno),
# the services up and a release build (`make build`). Rust's generic arguments are dropped from
# frame names, which otherwise make the server's graph several MB of type names.
set -euo pipefail
scenario="${1:-redis reserve}"
out="$(realpath -m "${2:-bench-results/profiles}")"
root="$(cd "$(dirname "$0")/.." && pwd)"
for tool in perf inferno-collapse-perf inferno-flamegraph python3; do
  command -v "$tool" >/dev/null || { echo "profile: $tool is not installed" >&2; exit 1; }
done
mkdir -p "$out"
cd "$out"

"$root/target/release/flashsale-bench" bench --only "$scenario" --seconds 12 --drain-orders 0 \
  --no-wrk --out "$out/bench" >"$out/bench.log" 2>&1 &
bench=$!
sleep 5
server=$(pgrep -f "target/release/flashsale serve" | head -1)
redis=$(pgrep -f "redis-server 127.0.0.1:${FLASHSALE_REDIS_PORT:-6390}" | head -1)
postgres=$(pgrep -f "postgres: .*flashsale" | paste -sd, || true)
for target in "server:$server" "redis:$redis" "postgres:$postgres"; do
  name="${target%%:*}" pids="${target#*:}"
  [ -n "$pids" ] || { echo "profile: no $name process found" >&2; continue; }
  perf record -F 199 --call-graph dwarf,16384 -p "$pids" -o "$name.data" -- sleep 4 \
    2>"$name.perf.log" &
done
wait

shorten='
import sys
def short(frame):
    keep = 1 if frame.startswith("<") else 0
    out, depth = [], 0
    for ch in frame:
        if ch == "<":
            depth += 1
            if depth <= keep: out.append(ch)
        elif ch == ">" and depth > 0:
            if depth <= keep: out.append(ch)
            depth -= 1
        elif depth <= keep:
            out.append(ch)
    return "".join(out)[:120]
for line in sys.stdin:
    stack, count = line.rstrip().rsplit(" ", 1)
    print(";".join(short(f) for f in stack.split(";")), count)
'
for name in server redis postgres; do
  [ -s "$name.data" ] || continue
  perf script -i "$name.data" 2>/dev/null | inferno-collapse-perf | python3 -c "$shorten" \
    >"$name.folded"
  inferno-flamegraph --minwidth 10 --width 1600 \
    --title "flashsale, $scenario: $name (perf --call-graph dwarf, 199 Hz, 4 s)" \
    <"$name.folded" >"$name.svg"
  echo "$out/$name.svg"
done
