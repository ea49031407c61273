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

mkdir -p "$kit_tmp/vault" "$kit_tmp/feed" "$kit_tmp/rsyslog-work"
vault=$kit_tmp/vault/web1-syslog.log
fifo=$kit_tmp/feed/syslog.fifo
kit_start_vault "$vault"

"$kit_bin/logship-push" init --state-dir "$kit_tmp/state" --key-out "$kit_tmp/k0.key" > /dev/null
kit_start push "$kit_tmp/push.log" "$kit_bin/logship-push" --input "$fifo" --source web1 \
  --stream syslog --host 127.0.0.1 --port "$kit_port" --identity "$kit_key" \
  --known-hosts "$kit_known_hosts" --state-dir "$kit_tmp/state" --log-level debug
kit_wait_for 10 "logship-push to create $fifo" test -p "$fifo"

# The shipped drop-in, its pipe path pointed at the test's FIFO (and nothing else changed).
shipped=$kit_root/scripts/feeds/rsyslog-logship.conf
grep -c 'pipe="/var/lib/logship/feed/syslog.fifo"' "$shipped" | grep -qx 1 ||
  kit_fail "$shipped must name the pipe /var/lib/logship/feed/syslog.fifo exactly once"
sed "s#pipe=\"/var/lib/logship/feed/syslog.fifo\"#pipe=\"$fifo\"#" "$shipped" > "$kit_tmp/60-logship.conf"
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

# One message per priority; the token names what the selector must do with it.
run=$$-$RANDOM
send() {
  if [[ $1 == kern.* ]]; then
    # logger turns the kernel facility into user (only the kernel may log as kern): write
    # the datagram as the kernel log's <PRI> would carry it (kern = facility 0).
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), sys.argv[1])' "$kit_tmp/log.sock" "<4>kit: kit-$run $1 $2"
  else
    logger --socket "$kit_tmp/log.sock" --socket-errors=on -t kit -p "$1" "kit-$run $1 $2"
  fi
}
expected=()
for prio in auth.info:pass user.info:drop authpriv.notice:pass daemon.err:drop kern.warning:pass \
  user.crit:pass local0.warning:drop mail.alert:pass mail.notice:drop daemon.emerg:pass \
  cron.debug:drop authpriv.debug:pass; do
  send "${prio%%:*}" "${prio##*:}"
  [[ ${prio##*:} == pass ]] && expected+=("${prio%%:*}")
done
send auth.notice end
expected+=(auth.notice)

extract() { "$kit_bin/logship-verify" --extract "$vault" 2> /dev/null || true; }
seen_end() { extract | grep -q "kit-$run auth.notice end"; }
kit_wait_for 20 "the last message to reach the vault" seen_end
kit_stop "${rsyslog:?}"
kit_stop "${push:?}"

mapfile -t got < <(extract | grep -o "kit-$run [a-z0-9]*\.[a-z]*" | cut -d' ' -f2)
[[ "${got[*]}" == "${expected[*]}" ]] ||
  kit_fail "the vault holds [${got[*]}], expected exactly [${expected[*]}]"
if extract | grep -q " drop$"; then kit_fail "a message the selector excludes reached the vault"; fi
# Each line is rsyslog's file format: a high-precision timestamp, the host, the tag.
extract | grep -q -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9:]+ [^ ]+ kit: kit-$run auth.info pass$" ||
  kit_fail "unexpected line format: $(extract | head -1)"
"$kit_bin/logship-verify" --key "$kit_tmp/k0.key" "$vault" > "$kit_tmp/verify.log" 2>&1 ||
  kit_fail "logship-verify found problems: $(cat "$kit_tmp/verify.log")"
echo "rsyslog: ${#expected[@]} messages passed the selector into the vault, 5 were held back"
