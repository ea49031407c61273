# shellcheck shell=bash
# Helpers of the WAN tests (sourced after set -euo pipefail): the kit's helpers (kit_fail,
# kit_skip, kit_tmp...), and a link set up from LOGSHIP_WAN_SPEC (default 100/20/1/0), taken
# down at exit. Sets wan_spec.
# shellcheck source=../kit/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../kit/lib.sh"
# shellcheck source=../../scripts/lib/wan.sh
. "$kit_root/scripts/lib/wan.sh"
# shellcheck source=../../scripts/lib/sshd.sh
. "$kit_root/scripts/lib/sshd.sh"

why=$(logship_wan_why_not)
[[ -z $why ]] || kit_skip "$why"
kit_need_cmd python3 ip
wan_spec=${LOGSHIP_WAN_SPEC:-100/20/1/0}
wan_name=lw$$
wan_name=${wan_name:0:12}
kit_on_exit "logship_wan_down '$wan_name' > /dev/null"
logship_wan_up "$wan_name" "$wan_spec" || kit_fail "wan-link up $wan_spec failed"
kit_note "link $wan_spec (delay/jitter ms, loss %, rate bit/s; each way): $LOGSHIP_WAN_CLIENT_NS" \
  "$LOGSHIP_WAN_CLIENT <-> $LOGSHIP_WAN_VAULT_NS $LOGSHIP_WAN_VAULT"

# wan_write_lines OUT RATE COUNT PREFIX: COUNT numbered lines "PREFIX n ...", RATE a second,
# appended to OUT (a FIFO, opened without blocking as syslog does, or a file).
wan_write_lines() {
  python3 - "$@" << 'PY'
import errno, os, sys, time
out, rate, count, prefix = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
deadline = time.monotonic() + 30
while True:
    try:
        fd = os.open(out, flags | (os.O_NONBLOCK if os.path.exists(out) and not os.path.isfile(out) else 0), 0o644)
        break
    except OSError as e:
        if e.errno != errno.ENXIO or time.monotonic() > deadline: raise
        time.sleep(0.01)
t0 = time.monotonic()
for i in range(count):
    due = t0 + i / rate
    now = time.monotonic()
    if due > now: time.sleep(due - now)
    line = ("%s %06d sshd[4242]: Accepted publickey for deploy from 192.0.2.7 port %d\n" % (prefix, i, 40000 + i)).encode()
    while True:
        try:
            os.write(fd, line); break
        except BlockingIOError:
            time.sleep(0.001)  # a full FIFO: counted as a stall by the caller's timing
os.close(fd)
PY
}

# wan_start_sshd NAME COMMAND: the far side's private sshd (in the vault namespace, stopped at
# exit) with a key pair $kit_tmp/NAME forced to COMMAND; sets wan_key to the private key.
wan_start_sshd() {
  logship_sshd_start "$kit_tmp/sshd" > /dev/null || kit_fail "the far side's sshd did not start"
  kit_on_exit "logship_sshd_stop '$kit_tmp/sshd'"
  wan_key=$(logship_sshd_key "$kit_tmp" "$1")
  logship_sshd_add_key "$kit_tmp/sshd" "restrict,command=\"$2\"" "$wan_key.pub"
}

# wan_signal_sessions SIGNAL: sends SIGNAL to the sshd's session processes (its listener's
# descendants: the connections and the commands they run).
wan_signal_sessions() {
  local -a sessions
  mapfile -t sessions < <(logship_sshd__descendants "$(< "$kit_tmp/sshd/listener.pid")")
  ((${#sessions[@]} == 0)) || kill "-$1" "${sessions[@]}" 2> /dev/null || true
}

# wan_has FILE PREFIX N: FILE has at least N lines that start with PREFIX (for kit_wait_for).
wan_has() { (($(wan_count "$1" "$2") >= $3)); }

# wan_count FILE PREFIX: lines of FILE that start with PREFIX.
wan_count() {
  if [[ -f $1 ]]; then grep -c "^$2 " "$1" || true; else echo 0; fi
}
