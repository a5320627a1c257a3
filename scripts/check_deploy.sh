#!/usr/bin/env bash
# Checks deploy/ (`make lint-deploy`, part of `make test`): the alert rules parse and pass their
# unit tests (promtool, installed from Debian when missing), the Grafana dashboard is JSON and
# every query in it is valid PromQL. That every metric they name exists is checked against a
# real scrape by the integration test `metrics::catalogue`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/tools.sh" promtool
cd "$root/deploy"

promtool check rules prometheus/alerts.yml
promtool test rules prometheus/alerts_test.yml

# Each panel query becomes a recording rule, so `promtool check rules` parses it; `$job` is the
# dashboard's variable, a regex.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - grafana/flashsale.json "$tmp/dashboard.yml" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
with open(sys.argv[2], "w") as rules:
    rules.write("groups:\n  - name: dashboard\n    rules:\n")
    for n, query in enumerate(queries):
        query = json.dumps(query.replace("$job", ".*"))
        rules.write(f"      - record: dashboard:query_{n}\n        expr: {query}\n")
print(f"check_deploy: {len(queries)} dashboard queries", file=sys.stderr)
PY
promtool check rules "$tmp/dashboard.yml"
