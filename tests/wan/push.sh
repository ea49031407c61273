#!/usr/bin/env bash
# logship-push over an emulated WAN (tests/wan/lib.sh): a paced writer into its FIFO while the
# vault is 100 ms +- 20 ms away with 1 % loss, the vault's sessions cut once and frozen once
# (SIGSTOP) on the way; the frozen vault is noticed within --timeout (5 s) plus a round trip or
# two; every line arrives, the backlog drains within 10 s of the writer stopping, the idle
# agent's heartbeats keep the vault from falling silent, the vault file verifies clean with
# the key, and --extract gives back exactly the lines written, once, in order.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_bin logship-push logship-verify

rate=${LOGSHIP_WAN_RATE:-200} secs=${LOGSHIP_WAN_SECS:-15}
n=$((rate * secs))
vault=$kit_tmp/vault/web1.log
mkdir -p "$kit_tmp/vault"
# The lock's wait well below the agent's --timeout (5 s), as KEYS.md asks.
wan_start_sshd push "exec flock -w 3 $vault cat >> $vault"

"$kit_bin/logship-push" init --state-dir "$kit_tmp/state" --key-out "$kit_tmp/k0" --source web1 \
  > /dev/null || kit_fail "logship-push init failed"
mkfifo -m 600 "$kit_tmp/fifo"
"${logship_wan_client[@]}" "$kit_bin/logship-push" --input "$kit_tmp/fifo" --source web1 \
  --host "$LOGSHIP_WAN_VAULT" --port "$LOGSHIP_SSHD_PORT" --identity "$wan_key" \
  --known-hosts "$LOGSHIP_SSHD_KNOWN_HOSTS" --state-dir "$kit_tmp/state" \
  --status-file "$kit_tmp/status.json" --status-interval 1 --heartbeat 2 --timeout 5 \
  > /dev/null 2> "$kit_tmp/push.log" &
push_pid=$!
kit_on_exit "kill $push_pid 2> /dev/null"

{ wan_write_lines "$kit_tmp/fifo" "$rate" "$n" wan-line && date +%s > "$kit_tmp/writer.end"; } &
writer=$!
# The vault's sessions are cut once, early: the agent reconnects over the link.
kit_wait_for $((secs + 30)) "1/5 of the lines in the vault" wan_has "$vault" wan-line $((n / 5))
wan_signal_sessions KILL
# ... and frozen once, at 2/5: the agent must give up on them within its --timeout (5 s) of
# silence, plus what was in flight, and reconnect; the thawed `cat` finishes first. Both
# faults are over before the writer stops, so that what follows measures a healthy link.
kit_wait_for $((secs + 30)) "2/5 of the lines in the vault" wan_has "$vault" wan-line $((n * 2 / 5))
failures() { sed -nE 's/.*"failures":([0-9]+).*/\1/p' "$kit_tmp/status.json"; }
before=$(failures)
wan_signal_sessions STOP
frozen=$SECONDS
noticed() { (($(failures) > before)); }
kit_wait_for 15 "the agent to give up on the frozen vault" noticed
kit_note "the frozen vault was given up on after $((SECONDS - frozen)) s (--timeout 5)"
wan_signal_sessions CONT
wait "$writer" || kit_fail "the writer failed"
kit_wait_for 60 "all $n lines in the vault" wan_has "$vault" wan-line "$n"
drained=$(($(date +%s) - $(< "$kit_tmp/writer.end")))
((drained >= 0)) || drained=0
kit_note "$n lines at $rate/s; the vault had them all $drained s after the writer stopped"
((drained <= 10)) || kit_fail "the backlog took $drained s to drain after the writer stopped (> 10 s)"
acknowledged() { grep -q '"backlog_lines":0,' "$kit_tmp/status.json"; }
kit_wait_for 30 "every line acknowledged" acknowledged

# Idle now: an empty batch every 2 s keeps the vault from falling silent.
heartbeats() { grep -c '^@logship end seq=[0-9]* lines=0 ' "$vault" || true; }
hb=$(heartbeats)
sleep 5
(($(heartbeats) >= hb + 2)) || kit_fail "idle for 5 s with --heartbeat 2: $(($(heartbeats) - hb)) heartbeats"
kill -TERM "$push_pid"
wait "$push_pid" || kit_fail "logship-push exited $? on SIGTERM: $(tail -3 "$kit_tmp/push.log")"
# The freeze silenced the vault for --timeout, a reconnect (some ten round trips) and the
# resend: allow that much (15 s, and 60 one-way delays), no more.
delay_ms=${wan_spec%%/*}
silence=$((15 + 60 * delay_ms / 1000))
"$kit_bin/logship-verify" --key "$kit_tmp/k0" --max-silence "$silence" "$vault" > "$kit_tmp/verify.txt" 2>&1 ||
  kit_fail "the vault file does not verify: $(tail -5 "$kit_tmp/verify.txt")"
kit_note "$(tail -1 "$kit_tmp/verify.txt")"
"$kit_bin/logship-verify" --extract "$vault" | grep '^wan-line ' > "$kit_tmp/extracted.log"
expected=$n
[[ $(wc -l < "$kit_tmp/extracted.log") == "$expected" ]] ||
  kit_fail "--extract gives $(wc -l < "$kit_tmp/extracted.log") lines, $n were written"
for ((i = 0; i < n; i += n / 10)); do
  sed -n "$((i + 1))p" "$kit_tmp/extracted.log" | grep -q "^wan-line $(printf %06d "$i") " ||
    kit_fail "line $i is not in its place: $(sed -n "$((i + 1))p" "$kit_tmp/extracted.log")"
done
awk '{print $2}' "$kit_tmp/extracted.log" | sort -c -n 2> /dev/null ||
  kit_fail "--extract is out of order"
[[ $(awk '{print $2}' "$kit_tmp/extracted.log" | sort -u | wc -l) == "$n" ]] ||
  kit_fail "--extract repeats lines"
grep -q '"reconnects":[1-9]' "$kit_tmp/status.json" ||
  kit_fail "the cut sessions were not noticed: $(cat "$kit_tmp/status.json")"
kit_note "ok: $(grep -o '"batches":[0-9]*' "$kit_tmp/status.json"), $(grep -o '"reconnects":[0-9]*' "$kit_tmp/status.json")"
