#!/usr/bin/env bash
# scripts/vault/logship-vault-setup for real (root): a throwaway account and a scratch vault
# directory; unsafe input refused with one line and exit 2; a second run changes nothing; the
# installed key appends through a private sshd running as root (logship-push, then
# logship-verify); the append-only file resists truncation even by root; and the sshd drop-in
# parses and, applied as it is (CAP_LINUX_IMMUTABLE out of sshd's bounding set), stops root
# logged in over SSH from lifting the attribute, which an unrestricted sshd allows.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_root "it creates an account and sets file attributes"
kit_need_cmd useradd userdel chattr lsattr ssh-keygen ssh setpriv systemd-analyze
kit_need_bin logship-push logship-verify logship-keys
setup=$kit_root/scripts/vault/logship-vault-setup

account=lskit$$
account=${account:0:30}
base=$kit_tmp/vault
home=/var/lib/$account
getent passwd "$account" > /dev/null && kit_fail "account $account exists already"
kit_on_exit "chattr -R -a -i '$kit_tmp' 2> /dev/null; userdel -r '$account' > /dev/null 2>&1; rm -rf '$home'"

# Is chattr supported where the scratch directory lives?
touch "$kit_tmp/probe"
chattr +a "$kit_tmp/probe" 2> /dev/null || kit_skip "chattr +a is not supported on $kit_tmp's file system"
chattr -a "$kit_tmp/probe"

mkdir -p "$kit_tmp/keys"
ssh-keygen -q -t ed25519 -N '' -C web1-auth -f "$kit_tmp/keys/push"
ssh-keygen -q -t ed25519 -N '' -C other -f "$kit_tmp/keys/other"
echo "not a key" > "$kit_tmp/keys/garbage.pub"
pub=$kit_tmp/keys/push.pub

# Unsafe or incomplete input: exit 2, one line, nothing created.
refuse() {
  local err rc=0
  err=$("$setup" "$@" 2>&1 > /dev/null) || rc=$?
  ((rc == 2)) || kit_fail "logship-vault-setup $* exited $rc, expected 2 (stderr: $err)"
  [[ $(wc -l <<< "$err") == 1 && $err == logship-vault-setup:* ]] ||
    kit_fail "logship-vault-setup $*: expected one line naming the cause, got: $err"
}
ok=(--account "$account" --base "$base")
refuse --account root --base "$base"
refuse --account 'a/b' --base "$base"
refuse --account "$account" --base relative/vault
refuse --account "$account" --base /etc
refuse --account "$account" --base "$base/../x"
refuse "${ok[@]}" --source ../web1 --stream auth --key "$pub" --from 127.0.0.1
refuse "${ok[@]}" --source pull --stream auth --key "$pub" --from 127.0.0.1
refuse "${ok[@]}" --source web1 --stream 'a b' --key "$pub" --from 127.0.0.1
refuse "${ok[@]}" --source web1 --stream auth --key "$kit_tmp/keys/garbage.pub" --from 127.0.0.1
refuse "${ok[@]}" --source web1 --stream auth --key "$pub" --from '1.2.3.4" x'
refuse "${ok[@]}" --source web1 --stream auth --key "$pub"
refuse "${ok[@]}" --no-such-option
getent passwd "$account" > /dev/null && kit_fail "a refused run created the account"
[[ ! -e $base ]] || kit_fail "a refused run created $base"

# The real thing, twice. The sshd_config drop-in goes to a scratch directory, not /etc/ssh.
export LOGSHIP_VAULT_SSHD_CONFIG_DIR=$kit_tmp/sshd_config.d
mkdir -p "$LOGSHIP_VAULT_SSHD_CONFIG_DIR"
push_args=("${ok[@]}" --source web1 --stream auth --key "$pub" --from 127.0.0.1)
"$setup" "${push_args[@]}" > "$kit_tmp/setup1.log" || kit_fail "setup failed: $(cat "$kit_tmp/setup1.log")"
file=$base/web1/auth.log
auth=$home/.ssh/authorized_keys
IFS=: read -r _ pw _ _ _ h shell < <(getent passwd "$account") || kit_fail "no account $account"
[[ $h == "$home" && $shell == /bin/sh ]] || kit_fail "account $account: home $h, shell $shell"
[[ $(getent shadow "$account" | cut -d: -f2) == '*' ]] || kit_fail "account $account is locked ($pw)"
[[ $(stat -c '%U:%G %a' "$file") == "$account:$account 640" ]] || kit_fail "$file: $(stat -c '%U:%G %a' "$file")"
[[ $(stat -c '%U:%G %a' "$base/web1") == "root:$account 750" ]] || kit_fail "$base/web1: $(stat -c '%U:%G %a' "$base/web1")"
[[ $(stat -c '%U %a' "$auth") == "$account 600" ]] || kit_fail "$auth: $(stat -c '%U %a' "$auth")"
lsattr -d "$file" | cut -d' ' -f1 | grep -q a || kit_fail "$file is not append-only: $(lsattr -d "$file")"
want="restrict,from=\"127.0.0.1\",command=\"exec flock -w 20 '$file' cat >> '$file'\" $(cat "$pub")"
[[ $(cat "$auth") == "$want" ]] || kit_fail "authorized_keys holds: $(cat "$auth"), expected: $want"
# Dead sessions of the account end within 30 s: its Match block, and sshd accepts it.
dropin=$LOGSHIP_VAULT_SSHD_CONFIG_DIR/logship-$account.conf
grep -qx "Match User $account" "$dropin" || kit_fail "$dropin: $(cat "$dropin" 2>&1)"
grep -qx '    ClientAliveInterval 10' "$dropin" || kit_fail "$dropin has no ClientAliveInterval"
ssh-keygen -q -t ed25519 -N '' -f "$kit_tmp/dropin_host_key"
printf 'HostKey %s\nInclude %s\n' "$kit_tmp/dropin_host_key" "$dropin" > "$kit_tmp/dropin_sshd_config"
/usr/sbin/sshd -t -f "$kit_tmp/dropin_sshd_config" 2> "$kit_tmp/dropin.err" ||
  kit_fail "sshd -t rejects the drop-in: $(cat "$kit_tmp/dropin.err")"
before=$(sha256sum "$auth" "$file" "$dropin" | cut -d' ' -f1)
"$setup" "${push_args[@]}" > "$kit_tmp/setup2.log" || kit_fail "second run failed: $(cat "$kit_tmp/setup2.log")"
[[ $(sha256sum "$auth" "$file" "$dropin" | cut -d' ' -f1) == "$before" ]] || kit_fail "a second run changed something"
grep -q "already installed" "$kit_tmp/setup2.log" || kit_fail "second run: $(cat "$kit_tmp/setup2.log")"
# An entry an earlier version installed (without exec) counts as installed, and stays as it is.
older="restrict,from=\"127.0.0.1\",command=\"flock -w 20 '$file' cat >> '$file'\" $(cat "$pub")"
printf '%s\n' "$older" > "$auth"
"$setup" "${push_args[@]}" > "$kit_tmp/setup3.log" || kit_fail "a run over an older entry failed: $(cat "$kit_tmp/setup3.log")"
if [[ $(cat "$auth") != "$older" ]] || ! grep -q "already installed" "$kit_tmp/setup3.log"; then
  kit_fail "over an older entry: $(cat "$kit_tmp/setup3.log"); authorized_keys: $(cat "$auth")"
fi
printf '%s\n' "$want" > "$auth"
refuse "${ok[@]}" --source web1 --stream auth --key "$kit_tmp/keys/other.pub" --from 127.0.0.1
refuse "${ok[@]}" --source web1 --stream other --key "$pub" --from 127.0.0.1
# A key minted by logship-keys: the setup installs exactly the line logship-keys printed, and
# logship-keys lint finds nothing to object to in the result.
minted=$("$kit_bin/logship-keys" new --role push --path "$base/web1/keys.log" --from 127.0.0.1 \
  --out "$kit_tmp/keys/minted" 2> /dev/null) || kit_fail "logship-keys new failed"
"$setup" "${ok[@]}" --source web1 --stream keys --key "$kit_tmp/keys/minted.pub" --from 127.0.0.1 > /dev/null ||
  kit_fail "setup with a key from logship-keys failed"
[[ $(tail -n 1 "$auth") == "$minted" ]] || kit_fail "installed '$(tail -n 1 "$auth")', logship-keys printed '$minted'"
"$kit_bin/logship-keys" lint "$auth" > "$kit_tmp/lint.log" 2>&1 || kit_fail "logship-keys lint: $(cat "$kit_tmp/lint.log")"
"$setup" "${ok[@]}" --pull web2 > /dev/null || kit_fail "--pull web2 failed"
[[ $(stat -c '%U %a' "$base/pull/web2") == "$account 750" ]] || kit_fail "$base/pull/web2: $(stat -c '%U %a' "$base/pull/web2")"

# The installed key appends through sshd running as root, which reads the account's own
# authorized_keys (the helper's sshd reads DIR/authorized_keys: point that at it).
. "$kit_root/scripts/lib/sshd.sh"
mkdir -p "$kit_tmp/sshd"
ln -s "$auth" "$kit_tmp/sshd/authorized_keys"
logship_sshd_start "$kit_tmp/sshd" > /dev/null || kit_fail "sshd did not start"
kit_on_exit "logship_sshd_stop '$kit_tmp/sshd'"
"$kit_bin/logship-push" init --state-dir "$kit_tmp/state" --key-out "$kit_tmp/k0.key" > /dev/null
printf 'line one\nline two\n' > "$kit_tmp/input"
"$kit_bin/logship-push" --input - --source web1 --stream auth --host 127.0.0.1 \
  --port "$LOGSHIP_SSHD_PORT" --user "$account" --identity "$kit_tmp/keys/push" \
  --known-hosts "$LOGSHIP_SSHD_KNOWN_HOSTS" --state-dir "$kit_tmp/state" --shutdown-grace 20 \
  < "$kit_tmp/input" > "$kit_tmp/push.log" 2>&1 || kit_fail "logship-push failed: $(cat "$kit_tmp/push.log")"
[[ $("$kit_bin/logship-verify" --extract "$file") == $'line one\nline two' ]] ||
  kit_fail "the vault file holds: $(cat "$file") (push: $(cat "$kit_tmp/push.log"))"
"$kit_bin/logship-verify" --key "$kit_tmp/k0.key" "$file" > /dev/null 2>&1 || kit_fail "logship-verify: findings"

# Append-only: neither the account nor root can truncate or rewrite it.
size=$(stat -c %s "$file")
if setpriv --reuid="$account" --regid="$account" --init-groups sh -c ": > '$file'" 2> /dev/null; then
  kit_fail "the account could truncate $file"
fi
if truncate -s 0 "$file" 2> /dev/null; then kit_fail "root could truncate $file"; fi
[[ $(stat -c %s "$file") == "$size" ]] || kit_fail "$file changed size"

# The sshd drop-in: it parses as a drop-in of Debian's ssh.service...
units=$kit_tmp/units
mkdir -p "$units/ssh.service.d" "$kit_tmp/runtime"
cp /lib/systemd/system/ssh.service "$units/" 2> /dev/null ||
  printf '[Service]\nExecStart=/usr/sbin/sshd -D\n' > "$units/ssh.service"
cp "$kit_root/scripts/vault/sshd-logship.conf" "$units/ssh.service.d/logship.conf"
out=$(XDG_RUNTIME_DIR=$kit_tmp/runtime SYSTEMD_UNIT_PATH=$units: systemd-analyze verify "$units/ssh.service" 2>&1) ||
  kit_fail "ssh.service with the drop-in does not verify: $out"
[[ -z $out ]] || kit_fail "ssh.service with the drop-in warned: $out"
echo "Bogus=1" >> "$units/ssh.service.d/logship.conf" # proof that verify reads the drop-in
out=$(XDG_RUNTIME_DIR=$kit_tmp/runtime SYSTEMD_UNIT_PATH=$units: systemd-analyze verify "$units/ssh.service" 2>&1 || true)
grep -q "logship.conf.*Unknown key 'Bogus'" <<< "$out" || kit_fail "verify ignored the drop-in: $out"
grep -qx 'CapabilityBoundingSet=~CAP_LINUX_IMMUTABLE' "$kit_root/scripts/vault/sshd-logship.conf" ||
  kit_fail "the drop-in does not take CAP_LINUX_IMMUTABLE out of the bounding set"

# ...and what it does: root over SSH cannot chattr -a under a bounded sshd, and can without.
root_key=$(logship_sshd_key "$kit_tmp" root)
ssh_chattr() { # DIR: run chattr -a on the vault file as root over SSH through DIR's sshd
  local dir=$1 port
  port=$(awk '$1 == "Port" {print $2}' "$dir/sshd_config")
  ssh -n -i "$root_key" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$dir/known_hosts" -o IdentitiesOnly=yes root@127.0.0.1 chattr -a "$file"
}
mkdir -p "$kit_tmp/bounded" "$kit_tmp/open"
for d in bounded open; do logship_sshd_add_key "$kit_tmp/$d" "" "$root_key.pub"; done
setpriv --bounding-set=-linux_immutable bash -c ". '$kit_root/scripts/lib/sshd.sh'; logship_sshd_start '$kit_tmp/bounded'" > /dev/null ||
  kit_fail "the bounded sshd did not start"
kit_on_exit "logship_sshd_stop '$kit_tmp/bounded'"
logship_sshd_start "$kit_tmp/open" > /dev/null || kit_fail "the open sshd did not start"
kit_on_exit "logship_sshd_stop '$kit_tmp/open'"
if ssh_chattr "$kit_tmp/bounded" 2> "$kit_tmp/bounded.err"; then
  kit_fail "root over SSH lifted +a despite the bounding set"
fi
grep -q "Operation not permitted" "$kit_tmp/bounded.err" || kit_fail "bounded: $(cat "$kit_tmp/bounded.err")"
lsattr -d "$file" | cut -d' ' -f1 | grep -q a || kit_fail "+a is gone after the bounded attempt"
ssh_chattr "$kit_tmp/open" 2> "$kit_tmp/open.err" || kit_fail "control: root over an open sshd could not chattr -a: $(cat "$kit_tmp/open.err")"
lsattr -d "$file" | cut -d' ' -f1 | grep -q a && kit_fail "control: +a still set"
chattr +a "$file"
echo "vault: account, directories, +a file and key installed idempotently; 14 unsafe inputs refused; the key appends; root over SSH cannot lift +a under the drop-in"
