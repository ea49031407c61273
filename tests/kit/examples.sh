#!/usr/bin/env bash
# The example configurations, used as they are but for host, port, user and the path
# prefixes: logship-push --config push.conf ships a line written into its FIFO to a private
# vault sshd, logship-pull --config pull.conf copies both followed files from it over
# read-only SFTP, and logship-verify --follow --config watch.conf (with watch-streams.conf)
# watches both vault files and emits their verified lines. An option or stream setting a
# program did not know would make it exit 2.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_bin logship-push logship-pull logship-verify
examples=$kit_root/scripts/examples
me=$(id -un)
t=$kit_tmp

mkdir -p "$t/vault/web1" "$t/push-home/.ssh" "$t/push-home/feed" "$t/pull-home/.ssh" "$t/remote"
kit_start_vault "$t/vault/web1/syslog.log"
cp "$kit_key" "$t/push-home/.ssh/logship_push"
cp "$kit_known_hosts" "$t/push-home/.ssh/logship_known_hosts"
pull_key=$(logship_sshd_key "$kit_sshd" pull)
logship_sshd_add_key "$kit_sshd" 'restrict,command="/usr/lib/openssh/sftp-server -R"' "$pull_key.pub"
cp "$pull_key" "$t/pull-home/.ssh/logship_pull"
cp "$kit_known_hosts" "$t/pull-home/.ssh/logship_known_hosts"

# substitute FILE 'from|to'...: sed each pair; each `from` must occur in FILE.
substitute() {
  local file=$1 pair
  shift
  cp "$examples/$file" "$t/$file"
  for pair in "$@"; do
    grep -q -F "${pair%%|*}" "$t/$file" || kit_fail "examples/$file no longer contains '${pair%%|*}'"
    sed -i "s|${pair%%|*}|${pair#*|}|g" "$t/$file"
  done
}
substitute push.conf "/var/lib/logship/|$t/push-home/" "host = vault.example.net|host = 127.0.0.1" \
  "port = 22|port = $kit_port" "user = logvault|user = $me"
substitute pull.conf "/var/lib/logvault/|$t/pull-home/" "/srv/logship/|$t/vault/" \
  "follow = /var/log/|follow = $t/remote/" "host = web1.example.net|host = 127.0.0.1" "port = 22|port = $kit_port" \
  "user = logreader|user = $me"

# push.conf: the FIFO made as its comment says, then a line through it.
grep -q 'mkfifo -m 0620' "$examples/push.conf" || kit_fail "push.conf no longer says how to make the FIFO"
mkfifo -m 0620 "$t/push-home/feed/syslog.fifo"
"$kit_bin/logship-push" init --state-dir "$t/push-home/.local/state/logship/push" --key-out "$t/push.key" > /dev/null
kit_start push "$t/push.log" "$kit_bin/logship-push" --config "$t/push.conf"
printf 'example push line\n' > "$t/push-home/feed/syslog.fifo"
shipped() { [[ $("$kit_bin/logship-verify" --extract "$t/vault/web1/syslog.log" 2> /dev/null) == "example push line" ]]; }
kit_wait_for 20 "push.conf's agent to ship the line (log: $t/push.log)" shipped
kit_stop "${push:?}"
grep -q '"state":"' "$t/push-home/.local/state/logship/push/status.json" || kit_fail "push.conf: no status file"
"$kit_bin/logship-verify" --key "$t/push.key" "$t/vault/web1/syslog.log" > /dev/null 2>&1 || kit_fail "push: findings"

# pull.conf: both followed files copied, framed.
printf 'auth line 1\nauth line 2\n' > "$t/remote/auth.log"
printf 'syslog line\n' > "$t/remote/syslog"
"$kit_bin/logship-pull" init --state-dir "$t/pull-home/.local/state/logship/pull-web1" --key-out "$t/pull.key" > /dev/null
kit_start pull "$t/pull.log" "$kit_bin/logship-pull" --config "$t/pull.conf"
copied() {
  [[ $("$kit_bin/logship-verify" --extract "$t/vault/pull/web1/auth.log" 2> /dev/null) == $'auth line 1\nauth line 2' &&
    $("$kit_bin/logship-verify" --extract "$t/vault/pull/web1/syslog.log" 2> /dev/null) == "syslog line" ]]
}
kit_wait_for 20 "pull.conf's agent to copy both files (log: $t/pull.log)" copied
kit_stop "${pull:?}"
grep -q '"files":\[' "$t/pull-home/.local/state/logship/pull-web1/status.json" || kit_fail "pull.conf: no status file"
for f in auth.log syslog.log; do
  "$kit_bin/logship-verify" --key "$t/pull.key" "$t/vault/pull/web1/$f" > /dev/null 2>&1 || kit_fail "pull $f: findings"
done

# watch.conf and watch-streams.conf: the watcher follows the pushed file and the pulled copy
# of auth.log, emits their verified lines and writes its metrics.
substitute watch.conf "/var/lib/logaudit/|$t/audit-home/" "/var/lib/logship/verified/|$t/verified/" \
  "/var/lib/prometheus/node-exporter/|$t/metrics/"
substitute watch-streams.conf "/var/lib/logaudit/|$t/audit-home/" "/srv/logship/|$t/vault/"
grep -q -F "streams = $t/audit-home/.config/logship/watch-streams.conf" "$t/watch.conf" ||
  kit_fail "watch.conf no longer names ~/.config/logship/watch-streams.conf"
mkdir -p "$t/audit-home/.config/logship/keys" "$t/verified" "$t/metrics"
cp "$t/watch-streams.conf" "$t/audit-home/.config/logship/"
cp "$t/push.key" "$t/audit-home/.config/logship/keys/web1-syslog.key"
cp "$t/pull.key" "$t/audit-home/.config/logship/keys/web1-pull.key"
kit_start watch "$t/watch.log" "$kit_bin/logship-verify" --follow --config "$t/watch.conf"
emitted() {
  [[ -f $t/verified/verified.log && $(sort "$t/verified/verified.log") == $'auth line 1\nauth line 2\nexample push line' ]]
}
kit_wait_for 20 "watch.conf's watcher to emit the verified lines (log: $t/watch.log)" emitted
kit_wait_for 10 "watch.conf's watcher to write its metrics" test -s "$t/metrics/logship_watch.prom"
kit_stop "${watch:?}"
status=$t/audit-home/.local/state/logship/verify/status.json
[[ -f $status ]] || kit_fail "watch.conf: no status file"
grep -q '"findings":0,"streams":\[' "$status" || kit_fail "watch.conf: findings: $(cat "$status" "$t/watch.log")"
echo "examples: push.conf, pull.conf and watch.conf run as shipped (but for host, port, user, paths)"
