#!/usr/bin/env bash
# Tools the checks need besides cargo, installed from Debian when missing (as root; otherwise it
# says what to run). Idempotent: `bash scripts/tools.sh promtool chromium` does nothing when they
# are there.
#   promtool   checks and unit-tests deploy/prometheus/ (Debian package `prometheus`)
#   chromium   the headless browser the dashboard test renders the live sale page in
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
    chromium) command -v chromium >/dev/null || apt_install chromium ;;
    *) log "unknown tool: $tool"; exit 2 ;;
  esac
done
