# shellcheck shell=bash
# Helpers for the deployment kit's shell tests (sourced; the tests set -euo pipefail).
# A test exits 0 (pass), 1 (fail) or 77 (skip: what it needs is missing here; it says what).

kit_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kit_bin=${LOGSHIP_BIN_DIR:-$kit_root/build/bin}
kit_name=$(basename "$0" .sh)

kit_fail() {
  echo "FAIL ($kit_name): $*" >&2
  exit 1
}
kit_skip() {
  echo "SKIP ($kit_name): $*" >&2
  exit 77
}
kit_note() { echo "-- $*" >&2; }

# A scratch directory removed at exit; kit_cleanup_hooks run first (last added, first run).
kit_cleanup_hooks=()
kit__cleanup() {
  local i
  for ((i = ${#kit_cleanup_hooks[@]} - 1; i >= 0; i--)); do eval "${kit_cleanup_hooks[i]}" || true; done
  [[ -n ${kit_tmp:-} && -d $kit_tmp ]] && rm -rf "$kit_tmp"
  return 0
}
kit_on_exit() { kit_cleanup_hooks+=("$1"); }
kit_tmp=$(mktemp -d "${TMPDIR:-/tmp}/logship-kit-$kit_name.XXXXXX")
chmod 755 "$kit_tmp"
trap kit__cleanup EXIT

kit_need_bin() {
  local b
  for b in "$@"; do [[ -x $kit_bin/$b ]] || kit_fail "$kit_bin/$b is not built (build it first)"; done
}
kit_need_cmd() {
  local c
  for c in "$@"; do command -v "$c" > /dev/null || kit_skip "$c is not installed (scripts/deps installs it)"; done
}
kit_need_root() { ((EUID == 0)) || kit_skip "needs root: $*"; }

# kit_wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 50 ms until it succeeds.
kit_wait_for() {
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || kit_fail "timed out after ${seconds}s waiting for $what"
    sleep 0.05 # polling a condition, not synchronising on time
  done
}

# A private vault: sshd on 127.0.0.1 (kernel-chosen port) with a push key forced to
# `cat >> FILE`. Sets kit_sshd, kit_port, kit_key, kit_known_hosts.
kit_start_vault() {
  local file=$1
  # shellcheck source=../../scripts/lib/sshd.sh
  . "$kit_root/scripts/lib/sshd.sh"
  kit_sshd=$kit_tmp/sshd
  logship_sshd_start "$kit_sshd" > /dev/null || kit_fail "the private sshd did not start"
  kit_on_exit "logship_sshd_stop '$kit_sshd'"
  # shellcheck disable=SC2034 # used by the tests that source this file
  kit_port=$LOGSHIP_SSHD_PORT
  # shellcheck disable=SC2034
  kit_known_hosts=$LOGSHIP_SSHD_KNOWN_HOSTS
  kit_key=$(logship_sshd_key "$kit_sshd" push)
  logship_sshd_add_key "$kit_sshd" "restrict,command=\"cat >> $file\"" "$kit_key.pub"
}

# kit_start PIDVAR LOG COMMAND...: start COMMAND in the background, stopped at exit.
kit_start() {
  local var=$1 log=$2
  shift 2
  "$@" > "$log" 2>&1 &
  printf -v "$var" '%s' "$!"
  kit_on_exit "kit_stop ${!var}"
}
kit__alive() { # running, not a zombie waiting to be reaped
  local stat
  { read -r stat < "/proc/$1/stat"; } 2> /dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}
kit_stop() {
  local pid=$1
  if kit__alive "$pid"; then
    kill -TERM "$pid" 2> /dev/null || true
    for _ in $(seq 200); do kit__alive "$pid" || break; sleep 0.05; done
    kill -KILL "$pid" 2> /dev/null || true
  fi
  wait "$pid" 2> /dev/null || true
}
