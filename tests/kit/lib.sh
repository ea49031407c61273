# shellcheck shell=bash
# Helpers for the deployment kit's shell tests (sourced; the tests set -euo pipefail).
# A test exits 0 (pass), 1 (fail) or 77 (skip: what it needs is missing here; it says what).

kit_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kit_bin=${LOGSHIP_BIN_DIR:-$kit_root/build/bin}
kit_name=$(basename "$0" .sh)
# Daemons and admin tools (rsyslogd, sshd, useradd, logrotate) live in sbin, which an ordinary
# user's PATH on Debian lacks.
PATH=$PATH:/usr/sbin:/sbin

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
  if [[ -n ${LOGSHIP_KIT_KEEP:-} ]]; then # debugging: leave everything as it is
    echo "-- LOGSHIP_KIT_KEEP: left $kit_tmp and what runs there" >&2
    return 0
  fi
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
# `exec flock -w 20 FILE cat >> FILE`. Sets kit_sshd, kit_port, kit_key, kit_known_hosts.
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
  logship_sshd_add_key "$kit_sshd" "restrict,command=\"exec flock -w 20 $file cat >> $file\"" "$kit_key.pub"
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


# The feed tests (rsyslog, syslog-ng): a vault, and logship-push draining kit_fifo into it.
# Sets kit_vault, kit_fifo, kit_push (pid).
kit_feed_start_push() {
  mkdir -p "$kit_tmp/vault" "$kit_tmp/feed"
  kit_vault=$kit_tmp/vault/web1-syslog.log
  kit_fifo=$kit_tmp/feed/syslog.fifo
  kit_start_vault "$kit_vault"
  "$kit_bin/logship-push" init --state-dir "$kit_tmp/state" --key-out "$kit_tmp/k0.key" > /dev/null
  kit_start kit_push "$kit_tmp/push.log" "$kit_bin/logship-push" --input "$kit_fifo" \
    --source web1 --stream syslog --host 127.0.0.1 --port "$kit_port" --identity "$kit_key" \
    --known-hosts "$kit_known_hosts" --state-dir "$kit_tmp/state" --log-level debug
  kit_wait_for 10 "logship-push to create $kit_fifo" test -p "$kit_fifo"
}

# One message into the daemon's local socket: kit__send SOCKET FACILITY.LEVEL TEXT.
kit__send() {
  if [[ $2 == kern.* ]]; then
    # logger turns the kernel facility into user (only the kernel may log as kern): write
    # the datagram as the kernel's <PRI> would carry it (kern = facility 0, warning = 4).
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), sys.argv[1])' "$1" "<4>kit: $3"
  else
    logger --socket "$1" --socket-errors=on -t kit -p "$2" "$3"
  fi
}
kit__extract() { "$kit_bin/logship-verify" --extract "$kit_vault" 2> /dev/null || true; }
kit__seen_end() { kit__extract | grep -q "kit-$kit_run auth.notice end"; }

# One message per priority into SOCKET, its token saying whether the selector (auth,
# authpriv, kern, crit and above) must pass it, then an end marker, awaited in the vault.
kit_feed_send() {
  local sock=$1 prio
  kit_run=$$-$RANDOM
  kit_expected=()
  for prio in auth.info:pass user.info:drop authpriv.notice:pass daemon.err:drop \
    kern.warning:pass user.crit:pass local0.warning:drop mail.alert:pass mail.notice:drop \
    daemon.emerg:pass cron.debug:drop authpriv.debug:pass; do
    kit__send "$sock" "${prio%%:*}" "kit-$kit_run ${prio%%:*} ${prio##*:}"
    [[ ${prio##*:} == pass ]] && kit_expected+=("${prio%%:*}")
  done
  kit__send "$sock" auth.notice "kit-$kit_run auth.notice end"
  kit_expected+=(auth.notice)
  kit_wait_for 20 "the last message to reach the vault" kit__seen_end
}

# After the daemon and the agent stopped: exactly the expected messages, in order, each a
# line "TIMESTAMP HOST TAG: MESSAGE", and the vault file verifies with the key.
kit_feed_check() {
  local -a got
  mapfile -t got < <(kit__extract | grep -o "kit-$kit_run [a-z0-9]*\.[a-z]*" | cut -d' ' -f2)
  [[ "${got[*]}" == "${kit_expected[*]}" ]] ||
    kit_fail "the vault holds [${got[*]}], expected exactly [${kit_expected[*]}]"
  if kit__extract | grep -q " drop$"; then kit_fail "a message the selector excludes reached the vault"; fi
  kit__extract | grep -q -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+([+-][0-9:]+|Z) [^ ]+ kit: kit-$kit_run auth.info pass$" ||
    kit_fail "unexpected line format: $(kit__extract | head -1)"
  "$kit_bin/logship-verify" --key "$kit_tmp/k0.key" "$kit_vault" > "$kit_tmp/verify.log" 2>&1 ||
    kit_fail "logship-verify found problems: $(cat "$kit_tmp/verify.log")"
  kit_note "${#kit_expected[@]} messages passed the selector into the vault, 5 were held back"
}
