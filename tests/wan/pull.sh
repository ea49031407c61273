#!/usr/bin/env bash
# logship-pull over an emulated WAN (tests/wan/lib.sh): it follows a file that a paced writer
# appends to on a monitored host 100 ms +- 20 ms away with 1 % loss, through the host's
# read-only sftp-server key, the host's sessions cut once on the way; the framed copy gets
# every line within 10 s of the writer stopping, verifies clean with the key, and --extract
# gives back exactly the lines written, once, in order.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_bin logship-pull logship-verify
[[ -x /usr/lib/openssh/sftp-server ]] || kit_skip "no /usr/lib/openssh/sftp-server (apt install openssh-sftp-server)"

rate=${LOGSHIP_WAN_RATE:-200} secs=${LOGSHIP_WAN_SECS:-10}
n=$((rate * secs))
remote=$kit_tmp/host/auth.log
copy=$kit_tmp/vault/web1-auth.log
mkdir -p "$kit_tmp/host" "$kit_tmp/vault"
: > "$remote"
wan_start_sshd pull "/usr/lib/openssh/sftp-server -R"

"$kit_bin/logship-pull" init --state-dir "$kit_tmp/state" --key-out "$kit_tmp/k0" --source web1 \
  > /dev/null || kit_fail "logship-pull init failed"
"${logship_wan_client[@]}" "$kit_bin/logship-pull" --host "$LOGSHIP_WAN_VAULT" --port "$LOGSHIP_SSHD_PORT" \
  --source web1 --identity "$wan_key" --known-hosts "$LOGSHIP_SSHD_KNOWN_HOSTS" \
  --state-dir "$kit_tmp/state" --follow "$remote=$copy" --heartbeat 5 \
  --status-file "$kit_tmp/status.json" --status-interval 1 > /dev/null 2> "$kit_tmp/pull.log" &
pull_pid=$!
kit_on_exit "kill $pull_pid 2> /dev/null"

start=$SECONDS
wan_write_lines "$remote" "$rate" "$n" wan-line &
writer=$!
kit_wait_for $((secs + 30)) "half of the lines in the copy" wan_has "$copy" wan-line $((n / 2))
wan_signal_sessions KILL
wait "$writer" || kit_fail "the writer failed"
stopped=$SECONDS
kit_wait_for 60 "all $n lines in the copy" wan_has "$copy" wan-line "$n"
caught_up=$((SECONDS - stopped))
kit_note "$n lines at $rate/s; the writer ran $((stopped - start)) s; the copy had them all $caught_up s after it stopped"
((caught_up <= 10)) || kit_fail "the copy took $caught_up s to catch up after the writer stopped (> 10 s)"

kill -TERM "$pull_pid"
wait "$pull_pid" || kit_fail "logship-pull exited $? on SIGTERM: $(tail -3 "$kit_tmp/pull.log")"
"$kit_bin/logship-verify" --key "$kit_tmp/k0" "$copy" > "$kit_tmp/verify.txt" 2>&1 ||
  kit_fail "the copy does not verify: $(tail -5 "$kit_tmp/verify.txt")"
kit_note "$(tail -1 "$kit_tmp/verify.txt")"
"$kit_bin/logship-verify" --extract "$copy" > "$kit_tmp/extracted.log"
cmp -s "$kit_tmp/extracted.log" "$remote" ||
  kit_fail "--extract differs from the file on the host ($(wc -l < "$kit_tmp/extracted.log") lines, $n written)"
grep -q '"connections":[2-9]' "$kit_tmp/status.json" ||
  kit_fail "the cut sessions were not noticed: $(cat "$kit_tmp/status.json")"
