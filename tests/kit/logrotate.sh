#!/usr/bin/env bash
# scripts/vault/logrotate-logship with the real logrotate on a scratch vault directory:
# `logrotate -d` accepts it and would rotate the vault files (not the pull copies); as root
# where chattr works, a real `logrotate -f`: +a lifted and restored on the new live file, the
# rotated file +i with the old content, a second rotation leaves the first rotated file alone.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_cmd logrotate
shipped=$kit_root/scripts/vault/logrotate-logship

base=$kit_tmp/vault
mkdir -p "$base/web1" "$base/pull/web2"
printf 'old line\n' > "$base/web1/auth.log"
printf 'pulled\n' > "$base/pull/web2/auth.log"
chmod 0640 "$base/web1/auth.log"
user=$(id -un) group=$(id -gn)
grep -c '^/srv/logship/\*/\*.log {$' "$shipped" | grep -qx 1 || kit_fail "$shipped must rotate /srv/logship/*/*.log"
grep -c 'create 0640 logvault logvault' "$shipped" | grep -qx 1 || kit_fail "$shipped must create files for logvault"
sed "s#^/srv/logship/#$base/#; s#create 0640 logvault logvault#create 0640 $user $group#" "$shipped" > "$kit_tmp/logrotate.conf"

# Dry run, forced so that it says what it would do.
logrotate -d -f -s "$kit_tmp/state" "$kit_tmp/logrotate.conf" > "$kit_tmp/dry.log" 2>&1 ||
  kit_fail "logrotate -d rejects the snippet: $(cat "$kit_tmp/dry.log")"
if grep -q -i -E '^error|: error' "$kit_tmp/dry.log"; then kit_fail "logrotate -d: $(grep -i error "$kit_tmp/dry.log")"; fi
for want in "considering log $base/web1/auth.log" "running prerotate script" "running postrotate script" \
  "renaming $base/web1/auth.log to $base/web1/auth.log-"; do
  grep -q -F "$want" "$kit_tmp/dry.log" || kit_fail "logrotate -d did not say '$want': $(cat "$kit_tmp/dry.log")"
done
if grep -q "$base/pull/" "$kit_tmp/dry.log"; then kit_fail "the snippet would rotate logship-pull's copies"; fi
[[ $(cat "$base/web1/auth.log") == "old line" ]] || kit_fail "logrotate -d changed the file"
kit_note "logrotate -d: the snippet parses and would rotate $base/web1/auth.log only"

if ((EUID != 0)); then kit_skip "logrotate -d passed; the real rotation with chattr needs root"; fi
kit_on_exit "chattr -R -a -i '$kit_tmp' 2> /dev/null"
if ! chattr +a "$base/web1/auth.log" 2> /dev/null; then
  kit_skip "logrotate -d passed; chattr +a is not supported on $kit_tmp's file system, so no real rotation"
fi
attrs() { lsattr -d "$1" | cut -d' ' -f1; }

rotate() {
  logrotate -f -s "$kit_tmp/state" "$kit_tmp/logrotate.conf" > "$kit_tmp/run.log" 2>&1 ||
    kit_fail "logrotate -f failed: $(cat "$kit_tmp/run.log")"
}
rotate
mapfile -t rotated < <(find "$base/web1" -name 'auth.log-*' | sort)
((${#rotated[@]} == 1)) || kit_fail "expected one rotated file, found: ${rotated[*]:-none}"
[[ $(cat "${rotated[0]}") == "old line" ]] || kit_fail "the rotated file lost its content"
[[ $(attrs "${rotated[0]}") == *i* ]] || kit_fail "rotated file not immutable: $(lsattr -d "${rotated[0]}")"
[[ $(attrs "$base/web1/auth.log") == *a* ]] || kit_fail "new live file not append-only: $(lsattr -d "$base/web1/auth.log")"
[[ $(stat -c '%U:%G %a %s' "$base/web1/auth.log") == "$user:$group 640 0" ]] ||
  kit_fail "new live file: $(stat -c '%U:%G %a %s' "$base/web1/auth.log")"
if rm -f "${rotated[0]}" 2> /dev/null; then kit_fail "the immutable rotated file could be removed"; fi
[[ $(cat "$base/pull/web2/auth.log") == pulled ]] || kit_fail "a pull copy was touched"

# Appending goes on, a second rotation (another second: the names carry %s) keeps the first.
printf 'new line\n' >> "$base/web1/auth.log"
first=${rotated[0]}
later() { (($(date +%s) > ${first##*-})); }
kit_wait_for 3 "the clock to reach the next second" later
# logrotate names by time(2), a coarse clock that follows date(1)'s by up to a timer tick: give
# it that tick, or both rotations can get the same name (1 run in about 50 without this).
sleep 0.05
rotate
mapfile -t rotated < <(find "$base/web1" -name 'auth.log-*' | sort)
((${#rotated[@]} == 2)) || kit_fail "expected two rotated files, found: ${rotated[*]}"
[[ ${rotated[0]} == "$first" && $(cat "$first") == "old line" && $(attrs "$first") == *i* ]] ||
  kit_fail "the second rotation touched the first rotated file"
[[ $(cat "${rotated[1]}") == "new line" && $(attrs "${rotated[1]}") == *i* ]] || kit_fail "second rotated file"
[[ $(attrs "$base/web1/auth.log") == *a* ]] || kit_fail "live file not append-only after the second rotation"
echo "logrotate: -d clean; -f twice: +a lifted and restored, rotated files +i and unchanged"
