#!/usr/bin/env bash
# The auditd pieces, as far as they can be checked without handing rules to the kernel:
# - the plugin file's keys, and its wrapper's refusals of bad arguments;
# - every rule of audit-logship.rules parsed by the real auditctl inside an unprivileged user
#   namespace: auditctl parses the whole rule (an unknown syscall or field is reported then),
#   and the kernel refuses every audit request from a user namespace (ECONNREFUSED, which
#   auditctl reports as "The audit system is disabled"), so nothing reaches the kernel;
# - the plugin's command, fed audit records on stdin as auditd's dispatcher does, ships them
#   to a private vault (as root: through the wrapper, which drops to a throwaway account).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_bin logship-push logship-verify
feeds=$kit_root/scripts/feeds
wrapper=$feeds/logship-audit-push

# The plugin file: the keys auditd reads, a wrapper that exists, at most two arguments.
declare -A plugin=()
while IFS= read -r line; do
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  [[ $line =~ ^([a-z_]+)\ =\ (.*)$ ]] || kit_fail "auditd-logship.conf: not 'key = value': $line"
  plugin[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done < "$feeds/auditd-logship.conf"
for k in active direction path type args format; do [[ -n ${plugin[$k]:-} ]] || kit_fail "plugin: no $k"; done
((${#plugin[@]} == 6)) || kit_fail "plugin: unexpected keys: ${!plugin[*]}"
[[ ${plugin[active]} == yes && ${plugin[direction]} == out && ${plugin[type]} == always && ${plugin[format]} == string ]] ||
  kit_fail "plugin: active/direction/type/format are ${plugin[active]}/${plugin[direction]}/${plugin[type]}/${plugin[format]}"
[[ ${plugin[path]} == /usr/share/logship/feeds/logship-audit-push && -x $wrapper ]] ||
  kit_fail "plugin path ${plugin[path]}: the wrapper must be scripts/feeds/logship-audit-push, executable"
read -r -a args <<< "${plugin[args]}"
((${#args[@]} == 2)) || kit_fail "plugin args: auditd passes at most 2, got ${#args[@]}"

# The wrapper refuses bad arguments with one line and exit 2.
refuse() {
  local err rc=0
  err=$("$wrapper" "$@" 2>&1 < /dev/null) || rc=$?
  if ((rc != 2)) || [[ $(wc -l <<< "$err") != 1 || $err != logship-audit-push:* ]]; then
    kit_fail "logship-audit-push $*: exit $rc, '$err'"
  fi
}
refuse only-one
refuse root /etc/logship/audit.conf
refuse 'Bad/Name' /etc/logship/audit.conf
refuse logship relative.conf
refuse no-such-account-kit /etc/logship/audit.conf

# The rules.
rules_checked=0
if command -v auditctl > /dev/null && unshare -r true 2> /dev/null; then
  parse() { unshare -r auditctl "$@" 2>&1 || true; }
  baseline=$(parse -a always,exit -F arch=b64 -S execve -k kit)
  [[ $(parse -a always,exit -F arch=b64 -S nosuchcall -k kit) != "$baseline" ]] ||
    kit_fail "auditctl did not report an unknown syscall: the check would not see errors"
  [[ $(parse -w /etc/passwd -p wa -F nosuchfield=1 -k kit) != "$baseline" ]] ||
    kit_fail "auditctl did not report an unknown field"
  n=0
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    read -r -a words <<< "$line"
    [[ ${words[0]} == -a || ${words[0]} == -w ]] || kit_fail "rules: only -a and -w rules belong here: $line"
    [[ $line == *" -k logship-"* ]] || kit_fail "rules: every rule needs a -k logship-... key: $line"
    out=$(parse "${words[@]}")
    [[ $out == "$baseline" ]] || kit_fail "auditctl rejects '$line': $out"
    n=$((n + 1))
  done < "$feeds/audit-logship.rules"
  ((n >= 10)) || kit_fail "only $n rules"
  for key in exec identity time modules sudoers; do
    grep -q -- "-k logship-$key\$" "$feeds/audit-logship.rules" || kit_fail "rules: no logship-$key rule"
  done
  rules_checked=$n
  kit_note "auditctl parsed all $n rules"
fi

# The plugin's command on stdin → a private vault. As root the wrapper runs it as a
# throwaway account, as auditd would; otherwise it runs as ourselves.
kit_need_cmd setpriv
if ((EUID == 0)); then
  kit_need_cmd useradd userdel
  account=lsaud$$
  getent passwd "$account" > /dev/null && kit_fail "account $account exists already"
  kit_on_exit "userdel '$account' > /dev/null 2>&1"
  useradd --system --no-create-home --home-dir "$kit_tmp/home" --shell /bin/sh "$account"
  usermod -p '*' "$account"
  as_account=(setpriv --reuid="$account" --regid="$account" --init-groups)
else
  account=$(id -un)
  as_account=()
fi
mkdir -p "$kit_tmp/home" "$kit_tmp/vault"
vault=$kit_tmp/vault/web1-audit.log
touch "$vault"
kit_start_vault "$vault"
cp "$kit_key" "$kit_tmp/home/push.key"
cp "$kit_known_hosts" "$kit_tmp/home/known_hosts"
cat > "$kit_tmp/home/audit.conf" << CONF
input = -
source = web1
stream = audit
host = 127.0.0.1
port = $kit_port
identity = $kit_tmp/home/push.key
known-hosts = $kit_tmp/home/known_hosts
state-dir = $kit_tmp/home/state
shutdown-grace = 20
CONF
chown -R "$account" "$kit_tmp/home" "$vault"
"${as_account[@]}" "$kit_bin/logship-push" init --state-dir "$kit_tmp/home/state" \
  --key-out "$kit_tmp/home/k0.key" > /dev/null
cat > "$kit_tmp/records" << 'AUDIT'
type=SYSCALL msg=audit(1764590400.123:4242): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=0 items=2 ppid=1000 pid=1001 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="id" exe="/usr/bin/id" subj=unconfined key="logship-exec"
type=EXECVE msg=audit(1764590400.123:4242): argc=2 a0="id" a1="-u"
type=PROCTITLE msg=audit(1764590400.123:4242): proctitle=6964002D75
type=EOE msg=audit(1764590400.123:4242):
type=CONFIG_CHANGE msg=audit(1764590401.500:4243): auid=1000 ses=3 op=updated_rules path="/etc/shadow" key="logship-identity" list=4 res=1
AUDIT
LOGSHIP_PUSH=$kit_bin/logship-push "$wrapper" "$account" "$kit_tmp/home/audit.conf" \
  < "$kit_tmp/records" > "$kit_tmp/push.log" 2>&1 || kit_fail "the plugin command failed: $(cat "$kit_tmp/push.log")"
"$kit_bin/logship-verify" --extract "$vault" > "$kit_tmp/extract" 2> /dev/null || true
cmp -s "$kit_tmp/extract" "$kit_tmp/records" ||
  kit_fail "the vault does not hold the records: $(diff "$kit_tmp/records" "$kit_tmp/extract" | head -5) (push: $(cat "$kit_tmp/push.log"))"
"$kit_bin/logship-verify" --key "$kit_tmp/home/k0.key" "$vault" > /dev/null 2>&1 || kit_fail "logship-verify: findings"
stray=$(find "$kit_tmp/home/state" ! -user "$account")
[[ -z $stray ]] || kit_fail "files in the state not made by $account: $stray"
if ((rules_checked == 0)); then
  kit_skip "plugin and wrapper checked, records shipped; the rules were not parsed (needs auditctl and unprivileged user namespaces)"
fi
echo "auditd: plugin keys, wrapper refusals, $rules_checked rules parsed by auditctl, records shipped as $account"
