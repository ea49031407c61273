#!/usr/bin/env bash
# The rsyslog drop-in, for real: a private rsyslogd (its own config, pid file, work directory
# and a private imuxsock socket fed by logger) includes scripts/feeds/rsyslog-logship.conf
# with the pipe path substituted; logship-push drains that FIFO into a private vault sshd
# (restricted `cat >> FILE` key); logship-verify --extract must show exactly the messages
# the selector passes (auth, authpriv, kern, crit and above), in order, and none of the others.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_cmd rsyslogd logger
kit_need_bin logship-push logship-verify

mkdir -p "$kit_tmp/rsyslog-work"
kit_feed_start_push

# The shipped drop-in, its pipe path pointed at the test's FIFO (and nothing else changed).
shipped=$kit_root/scripts/feeds/rsyslog-logship.conf
grep -c 'pipe="/var/lib/logship/feed/syslog.fifo"' "$shipped" | grep -qx 1 ||
  kit_fail "$shipped must name the pipe /var/lib/logship/feed/syslog.fifo exactly once"
sed "s#pipe=\"/var/lib/logship/feed/syslog.fifo\"#pipe=\"$kit_fifo\"#" "$shipped" > "$kit_tmp/60-logship.conf"
cat > "$kit_tmp/rsyslog.conf" << CONF
global(workDirectory="$kit_tmp/rsyslog-work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$kit_tmp/log.sock")
include(file="$kit_tmp/60-logship.conf")
CONF
rsyslogd -N1 -f "$kit_tmp/rsyslog.conf" > "$kit_tmp/rsyslog-check.log" 2>&1 ||
  kit_fail "rsyslogd -N1 rejects the drop-in: $(cat "$kit_tmp/rsyslog-check.log")"
kit_start rsyslog "$kit_tmp/rsyslog.log" rsyslogd -n -f "$kit_tmp/rsyslog.conf" \
  -i "$kit_tmp/rsyslog.pid"
kit_wait_for 10 "rsyslogd to create its socket" test -S "$kit_tmp/log.sock"

kit_feed_send "$kit_tmp/log.sock"
kit_stop "${rsyslog:?}"
kit_stop "${kit_push:?}"
kit_feed_check
echo "rsyslog: the drop-in passed exactly the auth, authpriv, kern and crit+ messages"
