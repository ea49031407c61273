#!/usr/bin/env bash
# The shipped user units under a real systemd user manager (root only): a throwaway account's
# `systemd --user` runs in a private mount namespace (where /run/systemd/system exists, which
# a user manager insists on, and nowhere else) in a cgroup delegated to it. There:
# - logship-push.service starts with its whole sandbox (user, mount namespaces, seccomp, no new
#   privileges) and ships a line written into the pre-made FIFO to a private vault;
# - the sandbox is real: the agent cannot write its home outside its state directory;
# - kill -9 of the agent: systemd restarts it (Restart=on-failure) and it goes on shipping;
# - logship-pull@HOST.service copies a file over read-only SFTP into /srv/logship/pull/HOST;
# - logship-verify-follow.service, sandboxed too, follows that copy and emits its verified lines
#   into /var/lib/logship/verified (setgid adm: the file gets the group adm), goes on after a
#   rename of the emit file and `systemctl --user reload`, re-verifies on SIGUSR1 (main pid
#   only), and stops at once with status 0;
# - an instance without a configuration fails with exit 2 and is not restarted.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_root "it creates an account and runs its systemd user manager"
kit_need_cmd useradd userdel unshare nsenter setpriv
kit_need_bin logship-push logship-pull logship-verify
[[ -x /lib/systemd/systemd ]] || kit_skip "no /lib/systemd/systemd"
unshare -r true 2> /dev/null || kit_skip "no unprivileged user namespaces (the units' PrivateUsers=yes needs them)"
t=$kit_tmp

# cgroup roots to delegate: cgroup2 alone, or the named systemd hierarchy plus cgroup2 beside.
cg_roots=()
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  cg_roots=(/sys/fs/cgroup)
else
  for r in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do [[ -d $r ]] && cg_roots+=("$r"); done
fi
((${#cg_roots[@]})) || kit_skip "no cgroup hierarchy for a user manager"
for r in "${cg_roots[@]}"; do [[ -w $r ]] || kit_skip "$r is not writable: cannot delegate a cgroup"; done

account=lsum$$
home=/var/lib/$account
instance=kit$$
copies=/srv/logship/pull/$instance
getent passwd "$account" > /dev/null && kit_fail "account $account exists already"
[[ ! -e $copies ]] || kit_fail "$copies exists already"
kit_on_exit "userdel -r '$account' > /dev/null 2>&1; rm -rf '$home'"
useradd --system --create-home --home-dir "$home" --shell /bin/sh "$account"
usermod -p '*' "$account"

# Directories made for the test outside the scratch directory go again at exit.
made=()
verified=/var/lib/logship/verified
[[ ! -e $verified ]] || kit_fail "$verified exists already"
for d in /srv /srv/logship /srv/logship/pull "$copies" /var/lib/logship "$verified"; do
  [[ -e $d ]] || { mkdir "$d"; made=("$d" "${made[@]}"); }
done
chown "$account" "$copies"
# As scripts/feeds/rsyslog-logship-emit.conf says to make it.
chown "$account:adm" "$verified"
chmod 2750 "$verified"
kit_on_exit "rm -rf '$copies' '$verified'; rmdir ${made[*]} 2> /dev/null"

as_user() { setpriv --reuid="$account" --regid="$account" --init-groups env -i HOME="$home" \
  USER="$account" PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$t/runtime" "$@"; }

# The vault: sshd as root; the account's key appends to the vault file, a pull key reads.
kit_start_vault "$t/vault.log"
pull_key=$(logship_sshd_key "$kit_sshd" pull)
logship_sshd_add_key "$kit_sshd" 'restrict,command="/usr/lib/openssh/sftp-server -R"' "$pull_key.pub"
touch "$t/vault.log"
chown "$account" "$t/vault.log"
mkdir -p "$t/remote"
printf 'remote line 1\nremote line 2\n' > "$t/remote/auth.log"

# The account's files, as docs/DEPLOY.md lays them out.
install -d -o "$account" -m 0700 "$home/.ssh" "$home/.config" "$home/.config/logship" \
  "$home/.config/systemd" "$home/.config/systemd/user"
install -o "$account" -m 0600 "$kit_key" "$home/.ssh/logship_push"
install -o "$account" -m 0600 "$pull_key" "$home/.ssh/logship_pull"
install -o "$account" -m 0600 "$kit_known_hosts" "$home/.ssh/logship_known_hosts"
install -d -o "$account" -g adm -m 0750 "$home/feed"
mkfifo -m 0620 "$home/feed/syslog.fifo"
chown "$account:adm" "$home/feed/syslog.fifo"
as_user "$kit_bin/logship-push" init --state-dir "$home/.local/state/logship/push" --key-out "$home/k0.key" > /dev/null
as_user "$kit_bin/logship-pull" init --state-dir "$home/.local/state/logship/pull-$instance" --key-out "$home/pull.key" > /dev/null
cat > "$home/.config/logship/push.conf" << CONF
input = $home/feed/syslog.fifo
source = web1
stream = syslog
host = 127.0.0.1
port = $kit_port
user = $account
identity = $home/.ssh/logship_push
known-hosts = $home/.ssh/logship_known_hosts
state-dir = $home/.local/state/logship/push
status-file = $home/.local/state/logship/push/status.json
CONF
# The watcher follows the pulled copy (the vault file above is under /tmp, which the units'
# PrivateTmp=yes hides); its metrics go to its state: node_exporter's directory is not here.
cat > "$home/.config/logship/watch.conf" << CONF
streams = $home/.config/logship/watch-streams.conf
state-dir = $home/.local/state/logship/verify
status-file = $home/.local/state/logship/verify/status.json
prometheus-file = $home/.local/state/logship/verify/watch.prom
emit = $verified/verified.log
poll-interval = 50
CONF
cat > "$home/.config/logship/watch-streams.conf" << CONF
[pull-auth]
file = $copies/auth.log
key = $home/pull.key
CONF
cat > "$home/.config/logship/pull-$instance.conf" << CONF
host = 127.0.0.1
port = $kit_port
user = $account
identity = $home/.ssh/logship_pull
known-hosts = $home/.ssh/logship_known_hosts
state-dir = $home/.local/state/logship/pull-$instance
follow = $t/remote/auth.log=$copies/auth.log
CONF
# The units run copies of the agents, root-owned like /usr/bin's: the build directory may be
# under /tmp, which PrivateTmp=yes hides from them.
install -d -m 0755 "$home/bin"
install -m 0755 "$kit_bin/logship-push" "$kit_bin/logship-pull" "$kit_bin/logship-verify" "$home/bin/"
for unit in logship-push.service logship-pull@.service logship-verify-follow.service; do
  sed "s#^ExecStart=/usr/bin/#ExecStart=$home/bin/#" "$kit_root/scripts/systemd/$unit" > "$home/.config/systemd/user/$unit"
done
chown -R "$account" "$home/.config" "$home/.local"
install -d -o "$account" -m 0700 "$t/runtime"

# The user manager, in its own mount namespace and delegated cgroup.
cgroups=()
for r in "${cg_roots[@]}"; do cgroups+=("$r/logship-kit-$$"); done
cat > "$t/manager.sh" << SCRIPT
set -euo pipefail
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir /run/systemd/system
# PID 1 leaves this behind once any system service used a mount namespace; a user service
# cannot create it and needs it for its own.
mkdir -m 0700 /run/systemd/unit-root
for cg in ${cgroups[*]}; do
  mkdir "\$cg"
  chown -R $account "\$cg"
  echo \$\$ > "\$cg/cgroup.procs"
done
exec setpriv --reuid=$account --regid=$account --init-groups env -i HOME=$home USER=$account \
  PATH=/usr/bin:/bin XDG_RUNTIME_DIR=$t/runtime /lib/systemd/systemd --user
SCRIPT
kit_on_exit "for cg in ${cgroups[*]}; do [[ -d \$cg ]] && find \"\$cg\" -depth -type d -exec rmdir {} + 2> /dev/null; done"
kit_start manager "$t/manager.log" unshare -m --propagation private bash "$t/manager.sh"
kit_wait_for 20 "the user manager's socket (log: $t/manager.log)" test -S "$t/runtime/systemd/private"
ctl() { nsenter -t "${manager:?}" -m setpriv --reuid="$account" --regid="$account" --init-groups \
  env -i HOME="$home" XDG_RUNTIME_DIR="$t/runtime" PATH=/usr/bin:/bin systemctl --user "$@"; }
prop() { ctl show -p "$2" --value "$1"; }
kit_on_exit "ctl stop logship-push.service 'logship-pull@$instance.service' logship-verify-follow.service > /dev/null 2>&1"
started() { [[ $(ctl is-system-running 2> /dev/null) =~ running|degraded ]]; }
kit_wait_for 20 "the user manager to finish starting" started

# logship-push.service, sandboxed, ships.
ctl daemon-reload
ctl start logship-push.service || kit_fail "logship-push.service did not start: $(ctl status logship-push.service 2>&1)"
pid=$(prop logship-push.service MainPID)
((pid > 0)) || kit_fail "logship-push.service has no main pid"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || kit_fail "the agent may gain privileges"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status" || kit_fail "the agent runs without a seccomp filter"
[[ $(readlink "/proc/$pid/ns/user") != $(readlink /proc/self/ns/user) ]] || kit_fail "the agent is not in a user namespace"
[[ $(readlink "/proc/$pid/ns/mnt") != $(readlink "/proc/$manager/ns/mnt") ]] || kit_fail "the agent is not in a mount namespace"
delivered() { "$kit_bin/logship-verify" --extract "$t/vault.log" 2> /dev/null | grep -qx "$1"; }
echo "through the unit" > "$home/feed/syslog.fifo"
kit_wait_for 20 "logship-push.service to ship a line" delivered "through the unit"
# The sandbox, as the agent's mount table shows it: everything read-only but its state.
mount_opts() { awk -v m="$1" '$5 == m {print $6}' "/proc/$pid/mountinfo" | tail -1; }
[[ $(mount_opts /) == ro,* ]] || kit_fail "the agent's / is mounted '$(mount_opts /)'"
[[ $(mount_opts "$home/.local/state/logship") == rw,* ]] ||
  kit_fail "the agent's state is mounted '$(mount_opts "$home/.local/state/logship")'"
[[ $(mount_opts /tmp) == rw,* && $(awk '$5 == "/tmp" {print $4}' "/proc/$pid/mountinfo") != / ]] ||
  kit_fail "the agent has no private /tmp"

# Restart=on-failure: kill -9, and a new agent goes on.
kill -KILL "$pid"
restarted() { local p; p=$(prop logship-push.service MainPID); ((p > 0 && p != pid)); }
kit_wait_for 30 "systemd to restart logship-push.service" restarted
echo "after the restart" > "$home/feed/syslog.fifo"
kit_wait_for 20 "the restarted agent to ship" delivered "after the restart"
[[ $(prop logship-push.service NRestarts) == 1 ]] || kit_fail "NRestarts: $(prop logship-push.service NRestarts)"

# logship-pull@INSTANCE.service copies into /srv/logship/pull/INSTANCE.
ctl start "logship-pull@$instance.service" || kit_fail "logship-pull@$instance did not start: $(ctl status "logship-pull@$instance.service" 2>&1)"
copied() { [[ $("$kit_bin/logship-verify" --extract "$copies/auth.log" 2> /dev/null) == $'remote line 1\nremote line 2' ]]; }
kit_wait_for 20 "logship-pull@$instance to copy the file" copied
[[ $(stat -c %a "$copies/auth.log") == 640 ]] || kit_fail "the copy is $(stat -c %a "$copies/auth.log"), expected 0640 (UMask=0027)"

# logship-verify-follow.service follows the copy and emits its verified lines.
ctl start logship-verify-follow.service || kit_fail "logship-verify-follow.service did not start: $(ctl status logship-verify-follow.service 2>&1)"
wpid=$(prop logship-verify-follow.service MainPID)
((wpid > 0)) || kit_fail "logship-verify-follow.service has no main pid"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$wpid/status" || kit_fail "the watcher may gain privileges"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$wpid/status" || kit_fail "the watcher runs without a seccomp filter"
[[ $(readlink "/proc/$wpid/ns/user") != $(readlink /proc/self/ns/user) ]] || kit_fail "the watcher is not in a user namespace"
emitted() { [[ -f $1 && $(cat "$1") == "$2" ]]; }
kit_wait_for 20 "the watcher to emit the copy's lines ($(ctl status logship-verify-follow.service 2>&1 | tail -3))" \
  emitted "$verified/verified.log" $'remote line 1\nremote line 2'
[[ $(stat -c '%a %U %G' "$verified/verified.log") == "640 $account adm" ]] ||
  kit_fail "the emit file is $(stat -c '%a %U %G' "$verified/verified.log"), expected 640 $account adm"
# Rotation by rename, then systemctl --user reload (SIGHUP through ExecReload): a new line
# lands in the new file, once.
mv "$verified/verified.log" "$verified/verified.log.1"
ctl reload logship-verify-follow.service || kit_fail "reload failed: $(ctl status logship-verify-follow.service 2>&1)"
echo 'remote line 3' >> "$t/remote/auth.log"
kit_wait_for 20 "the watcher to emit the new line into the new file" emitted "$verified/verified.log" 'remote line 3'
[[ $(cat "$verified/verified.log.1") == $'remote line 1\nremote line 2' ]] || kit_fail "the rotated emit file changed"
# SIGUSR1 to the main process only: a re-verification from the start, the watcher stays.
rescans() { grep -q "^logship_watch_rescans_total $1\$" "$home/.local/state/logship/verify/watch.prom"; }
rescans 0 || kit_fail "rescans before SIGUSR1: $(grep rescans_total "$home/.local/state/logship/verify/watch.prom")"
ctl kill --kill-whom=main -s USR1 logship-verify-follow.service
kit_wait_for 20 "the watcher to re-verify on SIGUSR1" rescans 1
[[ $(prop logship-verify-follow.service MainPID) == "$wpid" ]] || kit_fail "the watcher did not survive SIGUSR1"
# SIGTERM: stopped within a second, status 0.
start=$SECONDS
ctl stop logship-verify-follow.service
((SECONDS - start <= 2)) || kit_fail "stopping the watcher took $((SECONDS - start)) s"
[[ $(prop logship-verify-follow.service ExecMainStatus) == 0 ]] ||
  kit_fail "logship-verify-follow.service stopped with $(prop logship-verify-follow.service ExecMainStatus)"
grep -q '"findings":0,' "$home/.local/state/logship/verify/status.json" || kit_fail "the watcher found problems: $(cat "$home/.local/state/logship/verify/status.json")"

# A configuration error is final: exit 2, failed, no restart.
# Type=exec: the start succeeds once the binary runs; then it exits 2.
ctl start logship-pull@nothing-here.service 2> /dev/null || true
failed() { [[ $(prop logship-pull@nothing-here.service ActiveState) == failed ]]; }
kit_wait_for 10 "the unconfigured instance to fail" failed
[[ $(prop logship-pull@nothing-here.service ExecMainStatus) == 2 && $(prop logship-pull@nothing-here.service NRestarts) == 0 ]] ||
  kit_fail "the unconfigured instance: status $(prop logship-pull@nothing-here.service ExecMainStatus), restarts $(prop logship-pull@nothing-here.service NRestarts)"

ctl stop logship-push.service "logship-pull@$instance.service"
[[ $(prop logship-push.service ExecMainStatus) == 0 ]] || kit_fail "logship-push.service stopped with $(prop logship-push.service ExecMainStatus)"
"$kit_bin/logship-verify" --key "$home/k0.key" "$t/vault.log" > "$t/verify.log" 2>&1 || kit_fail "logship-verify: $(cat "$t/verify.log")"
echo "user-units: the three units run sandboxed under a real user manager; restart on kill -9; exit 2 is final; the watcher emits, reloads, re-verifies, stops"
