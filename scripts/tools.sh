#!/usr/bin/env bash
# Tools the checks need besides cargo, installed from Debian when missing (as root; otherwise it
# says what to run). Idempotent: `bash scripts/tools.sh promtool` does nothing when it is there.
#   promtool   checks and unit-tests deploy/prometheus/ (Debian package `prometheus`)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log() { echo "tools: $*" >&2; }
# shellcheck source=scripts/apt.sh
source "$root/scripts/apt.sh"

for tool in "$@"; do
  case "$tool" in
    # Only promtool is wanted: no recommended node exporter, and the package's own Prometheus
    # server is not left running (a container has no init to have started it).
    promtool) command -v promtool >/dev/null || apt_install --no-install-recommends prometheus ;;
    *) log "unknown tool: $tool"; exit 2 ;;
  esac
done
