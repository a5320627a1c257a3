#!/usr/bin/env bash
# Installs the tools some tests drive, when they are missing (idempotent).
#
#   scripts/tools.sh chromium   the headless browser the dashboard test renders the page in
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf 'tools: %s\n' "$*" >&2; }

# shellcheck source=scripts/apt.sh
source "$root/scripts/apt.sh"

case "${1:-}" in
  chromium)
    command -v chromium >/dev/null 2>&1 || apt_install chromium
    ;;
  *)
    echo "usage: $0 chromium" >&2
    exit 2
    ;;
esac
