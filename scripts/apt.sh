# shellcheck shell=bash
# Sourced by services.sh, cluster.sh and tls.sh: installs Debian packages when run as root, else
# says which command to run. The sourcing script defines `log`.

as_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
  if ! as_root; then
    log "missing packages; install them with: sudo apt-get install -y $*"
    exit 1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
