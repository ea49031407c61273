#!/usr/bin/env bash
# The rsyslog drop-in that reads the watcher's emit file, for real: logship-push ships lines
# through its FIFO into a private vault sshd; `logship-verify --follow --emit` follows the
# vault file and appends each verified line to the emit file; a private rsyslogd (its own
# config, pid file and work directory) includes scripts/feeds/rsyslog-logship-emit.conf with
# the emit path and its output file substituted. Its output must hold exactly the lines of
# `logship-verify --key --extract`, once each, in order: at first, after the emit file is
# rotated by rename (mv + SIGHUP, as logrotate's create does), and after rsyslogd was stopped
# while more lines arrived (it resumes from its state file: nothing lost, nothing twice).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_cmd rsyslogd
kit_need_bin logship-push logship-verify
t=$kit_tmp
mkdir -p "$t/rsyslog-work" "$t/verified" "$t/out"
emit=$t/verified/verified.log
out=$t/out/forwarded.log

# The shipped drop-in, its emit path and output file pointed into the test's directory.
shipped=$kit_root/scripts/feeds/rsyslog-logship-emit.conf
for s in 'file="/var/lib/logship/verified/verified.log"' 'file="/var/log/logship-verified.log"'; do
  grep -c -F "$s" "$shipped" | grep -qx 1 || kit_fail "$shipped must name $s exactly once"
done
grep -q 'freshStartTail="off"' "$shipped" || kit_fail "$shipped must read the emit file from its start"
sed -e "s#file=\"/var/lib/logship/verified/verified.log\"#file=\"$emit\"#" \
  -e "s#file=\"/var/log/logship-verified.log\"#file=\"$out\"#" "$shipped" > "$t/61-logship-emit.conf"
cat > "$t/rsyslog.conf" << CONF
global(workDirectory="$t/rsyslog-work")
include(file="$t/61-logship-emit.conf")
CONF
rsyslogd -N1 -f "$t/rsyslog.conf" > "$t/rsyslog-check.log" 2>&1 ||
  kit_fail "rsyslogd -N1 rejects the drop-in: $(cat "$t/rsyslog-check.log")"
start_rsyslog() {
  kit_start rsyslog "$t/rsyslog-$1.log" rsyslogd -n -f "$t/rsyslog.conf" -i "$t/rsyslog.pid"
}

kit_feed_start_push
exec 3<> "$kit_fifo" # one writer for the whole test: the agent never sees end of file
run=$$-$RANDOM
# send BATCH COUNT: COUNT lines into the FIFO, then wait until the vault holds the last one.
send() {
  local i
  for ((i = 1; i <= $2; i++)); do
    printf 'kit-%s batch %s line %d: sshd[%d]: Accepted publickey for "user%d"  é\n' \
      "$run" "$1" "$i" "$((1000 + i))" "$i" >&3
  done
  kit_wait_for 20 "batch $1 to reach the vault (log: $t/push.log)" in_vault "kit-$run batch $1 line $2:"
}
in_vault() { "$kit_bin/logship-verify" --extract "$kit_vault" 2> /dev/null | grep -q -F "$1"; }
extract() { "$kit_bin/logship-verify" --key "$t/k0.key" --extract "$kit_vault" 2> "$t/extract.log"; }
# forwarded COUNT: rsyslog's output has COUNT lines (more would fail the comparison later).
forwarded() { [[ -f $out && $(wc -l < "$out") -ge $1 ]]; }
# same WHAT: rsyslog's output is exactly the verified lines of the vault, in order.
same() {
  extract > "$t/expected" || kit_fail "logship-verify --key --extract found problems: $(cat "$t/extract.log")"
  cmp -s "$t/expected" "$out" ||
    kit_fail "$1: rsyslog's output differs from the verified lines: $(diff "$t/expected" "$out" | head -5)"
}

send 1 20
kit_start watch "$t/watch.log" "$kit_bin/logship-verify" --follow --key "$t/k0.key" \
  --state-dir "$t/watch-state" --emit "$emit" --poll-interval 50 "$kit_vault"
start_rsyslog 1
kit_wait_for 20 "rsyslog to forward the first 20 lines (logs: $t/watch.log, $t/rsyslog-1.log)" forwarded 20
same "first batch"

# Rotation by rename, as logrotate's create: the watcher reopens on SIGHUP, imfile reads the
# rest of the old file and then the new one from its start.
mv "$emit" "$emit.1"
kill -HUP "${watch:?}"
kit_wait_for 10 "the watcher to create a new emit file" test -f "$emit"
send 2 15
send 3 5
kit_wait_for 20 "rsyslog to forward the lines after the rotation" forwarded 40
same "after the rotation"
# The watcher wrote each line once: the rotated file and the new one are the vault's lines.
cat "$emit.1" "$emit" | cmp -s "$t/expected" - || kit_fail "the emit files do not hold each verified line once"

# rsyslogd stopped while lines arrive: on its next start it resumes where it was.
kit_stop "${rsyslog:?}"
send 4 10
kit_wait_for 20 "the watcher to emit batch 4" grep -q -F "kit-$run batch 4 line 10:" "$emit"
start_rsyslog 2
kit_wait_for 20 "the restarted rsyslog to forward batch 4" forwarded 50
kit_stop "${rsyslog:?}" # its queues drained: a line sent twice would show now
kit_stop "$watch"
kit_stop "${kit_push:?}"
same "after rsyslog's restart"
[[ $(wc -l < "$out") == 50 ]] || kit_fail "expected 50 lines, rsyslog forwarded $(wc -l < "$out")"
grep -q 'SIGHUP: reopening --emit' "$t/watch.log" || kit_fail "the watcher did not log the reopen: $(cat "$t/watch.log")"
echo "rsyslog-emit: 50 verified lines forwarded by imfile once each, in order, across a rename and a restart of rsyslog"
