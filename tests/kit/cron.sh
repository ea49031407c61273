#!/usr/bin/env bash
# The crontab lines, run the way cron runs them (/bin/sh -c LINE, HOME set), with the built
# binaries: the first start runs the agent; a start while it runs exits 0 at once and writes
# nothing to the log; after the agent is killed (kill -9) the next start is a new agent that
# goes on delivering. Every line is a valid five-field entry naming a real option set.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_bin logship-push logship-pull logship-verify
crontab=$kit_root/scripts/cron/logship.crontab
t=$kit_tmp

mapfile -t lines < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$crontab")
((${#lines[@]} == 2)) || kit_fail "expected a push and a pull line, found ${#lines[@]}"
for line in "${lines[@]}"; do
  read -r -a f <<< "$line"
  [[ "${f[*]:0:5}" == "* * * * *" && ${f[5]} == /usr/bin/logship-* ]] || kit_fail "not an every-minute agent line: $line"
  # shellcheck disable=SC2016 # the literal $HOME of the crontab line
  [[ $line == *' >> $HOME/.local/state/logship/'*'.log 2>&1' ]] || kit_fail "no log file: $line"
  # The command, with our binaries: --help exits 0 only if every option given exists.
  cmd=${line#"${f[*]:0:5} "}
  cmd=${cmd%% >>*}
  HOME=$t/home sh -c "${cmd/\/usr\/bin\//$kit_bin/} --help" > /dev/null 2>&1 ||
    kit_fail "the agent rejects the options of: $line"
done
push_line=$(grep -m1 '^[^#].*/usr/bin/logship-push ' "$crontab") || kit_fail "no push line"
read -r -a f <<< "$push_line"
push_cmd=${push_line#"${f[*]:0:5} "}
push_cmd=${push_cmd/\/usr\/bin\//$kit_bin/}

mkdir -p "$t/vault" "$t/home/.config/logship"
kit_start_vault "$t/vault/web1.log"
state=$t/home/.local/state/logship/push
"$kit_bin/logship-push" init --state-dir "$state" --key-out "$t/k0.key" > /dev/null
cat > "$t/home/.config/logship/push.conf" << CONF
input = $t/home/syslog.fifo
source = web1
host = 127.0.0.1
port = $kit_port
identity = $kit_key
known-hosts = $kit_known_hosts
state-dir = $state
CONF
cron_run() { HOME=$t/home sh -c "$push_cmd"; }
holder() { # the pid in the lock, if that process lives
  local pid
  pid=$(tr -dc 0-9 2> /dev/null < "$state/lock") && [[ -n $pid ]] && kit__alive "$pid" && echo "$pid"
}
has_holder() { holder > /dev/null; }
delivered() { "$kit_bin/logship-verify" --extract "$t/vault/web1.log" 2> /dev/null | grep -qx "$1"; }

kit_start first "$t/first.out" cron_run
kit_wait_for 10 "the first cron start to hold the lock" has_holder
agent1=$(holder)
for run in 2 3; do
  start=$SECONDS
  timeout 10 bash -c "HOME='$t/home' sh -c \"\$1\"" _ "$push_cmd" || kit_fail "cron start $run while the agent runs exited $?"
  ((SECONDS - start <= 5)) || kit_fail "cron start $run took $((SECONDS - start)) s"
  [[ $(holder) == "$agent1" ]] || kit_fail "cron start $run replaced the running agent"
done
[[ ! -s $state.log ]] || kit_fail "the starts while it ran wrote to the log: $(cat "$state.log")"
kit_wait_for 10 "the FIFO" test -p "$t/home/syslog.fifo"
echo "first agent line" > "$t/home/syslog.fifo"
kit_wait_for 20 "the first agent to deliver" delivered "first agent line"

kill -KILL "$agent1"
kit_wait_for 10 "the killed agent to go" eval '! kit__alive '"$agent1"
kit_start second "$t/second.out" cron_run
kit_wait_for 10 "the next cron start to hold the lock" has_holder
[[ $(holder) != "$agent1" ]] || kit_fail "no new agent"
echo "second agent line" > "$t/home/syslog.fifo"
kit_wait_for 20 "the new agent to deliver" delivered "second agent line"
kit_stop "$(holder)"
kit_stop "${second:?}"
kit_stop "${first:?}"
"$kit_bin/logship-verify" --key "$t/k0.key" "$t/vault/web1.log" > "$t/verify.log" 2>&1 ||
  kit_fail "logship-verify: $(cat "$t/verify.log")"
echo "cron: repeated starts leave the running agent alone and quiet; after kill -9 the next start takes over"
