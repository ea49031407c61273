#!/usr/bin/env bash
# A private OpenSSH sshd on 127.0.0.1 for demos, benchmarks and script tests: its own directory,
# host key, config and log, on a port the kernel picked (retried on collision), accepting key
# logins for the current user only. Works as root and as an ordinary user.
#
# As a library:  . scripts/lib/sshd.sh
#   logship_sshd_start DIR            start (DIR is created); prints the port and exports
#                                     LOGSHIP_SSHD_{DIR,PORT,PID,USER,KNOWN_HOSTS} (call it
#                                     directly, not in $(...), to keep them); the client's
#                                     known_hosts is DIR/known_hosts
#   logship_sshd_key DIR NAME         make the key pair DIR/NAME (0600) + .pub; prints its path
#   logship_sshd_add_key DIR OPTIONS PUBFILE
#                                     append "OPTIONS KEY" to DIR/authorized_keys, e.g.
#                                     'restrict,command="cat >> /srv/vault/web1.log"'
#   logship_sshd_stop DIR             stop that server and its live connections (only those)
#   logship_sshd_restart DIR          start it again on the port it had (an outage ends)
# As a command:  scripts/lib/sshd.sh start DIR | key DIR NAME | add-key DIR OPTIONS PUBFILE
#                                  | stop DIR
# The server's log is DIR/sshd.log (LogLevel VERBOSE).
# Elsewhere than 127.0.0.1 (e.g. a vault behind an emulated WAN, scripts/lib/wan.sh): set
# LOGSHIP_SSHD_ADDR to the address to listen on and LOGSHIP_SSHD_NETNS to the network namespace
# that has it; the server then runs in that namespace, and known_hosts names that address.
# LOGSHIP_SSHD_EXTRA_CONFIG: more sshd_config lines, appended to the config (e.g. MaxStartups
# for a benchmark with hundreds of clients, bench/fanin/run).

logship_sshd__die() {
  echo "sshd.sh: $*" >&2
  return 1
}

logship_sshd__addr() { echo "${LOGSHIP_SSHD_ADDR:-127.0.0.1}"; }

# Sets the array logship_sshd__ns to the prefix that runs a command in the server's network
# namespace (LOGSHIP_SSHD_NETNS), or to nothing. A prefix, not a wrapper function, so that `$!`
# of a command started with it is the command's own pid (ip netns exec execs it).
logship_sshd__ns_prefix() {
  logship_sshd__ns=()
  [[ -z ${LOGSHIP_SSHD_NETNS:-} ]] || logship_sshd__ns=(ip netns exec "$LOGSHIP_SSHD_NETNS")
}

# A port the kernel considers free now: bind ADDR:0 and read it back.
logship_sshd__free_port() {
  logship_sshd__ns_prefix
  "${logship_sshd__ns[@]}" perl -MSocket -e '
    socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
    bind($s, pack_sockaddr_in(0, inet_aton($ARGV[0]))) or die "bind: $!";
    my ($port) = unpack_sockaddr_in(getsockname($s)); print "$port\n";' "$(logship_sshd__addr)"
}

# Children, grandchildren... of a pid (from /proc; no name matching).
logship_sshd__descendants() {
  local root=$1 pid stat ppid changed=1
  local -A family=([$root]=1)
  local -a found=()
  while ((changed)); do
    changed=0
    for stat in /proc/[0-9]*/stat; do
      pid=${stat#/proc/}; pid=${pid%/stat}
      [[ -n ${family[$pid]:-} ]] && continue
      { read -r stat < "$stat"; } 2>/dev/null || continue
      stat=${stat##*) }            # fields after "(comm) "
      ppid=${stat#* }; ppid=${ppid%% *}
      if [[ -n ${family[$ppid]:-} ]]; then family[$pid]=1; found+=("$pid"); changed=1; fi
    done
  done
  ((${#found[@]})) && printf '%s\n' "${found[@]}"
  return 0
}

logship_sshd__config() {
  local dir=$1 port=$2
  cat > "$dir/sshd_config" <<CONF
ListenAddress $(logship_sshd__addr)
Port $port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UseDNS no
PrintMotd no
Subsystem sftp internal-sftp
LogLevel VERBOSE
# bash sources ~/.bashrc for sshd's commands only when SHLVL < 2: keep the user's start-up
# files (e.g. a pyenv rehash and its lock) out of forced commands and their timings.
SetEnv SHLVL=1
CONF
  if [[ -n ${LOGSHIP_SSHD_EXTRA_CONFIG:-} ]]; then
    printf '%s\n' "$LOGSHIP_SSHD_EXTRA_CONFIG" >> "$dir/sshd_config"
  fi
}

logship_sshd_key() {
  local dir=$1 name=$2
  [[ -n $dir && -n $name ]] || { logship_sshd__die "usage: logship_sshd_key DIR NAME"; return 1; }
  mkdir -p "$dir" && rm -f "$dir/$name" "$dir/$name.pub" &&
    ssh-keygen -q -t ed25519 -N '' -C "logship-$name" -f "$dir/$name" &&
    chmod 600 "$dir/$name" && echo "$dir/$name"
}

logship_sshd_add_key() {
  local dir=$1 options=$2 pubfile=$3
  [[ -f $pubfile ]] || { logship_sshd__die "no public key file '$pubfile'"; return 1; }
  { [[ -n $options ]] && printf '%s ' "$options"; cat "$pubfile"; } >> "$dir/authorized_keys"
}

logship_sshd_start() {
  local dir=$1 want_port=${2:-} port pid log listening deadline user attempts=10
  [[ -n $dir ]] || { logship_sshd__die "usage: logship_sshd_start DIR"; return 1; }
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
  if logship_sshd__running "$dir"; then
    logship_sshd__die "a server already runs in $dir (logship_sshd_stop $dir first)"; return 1
  fi
  if [[ $(id -u) == 0 && ! -d /run/sshd ]]; then
    mkdir -p /run/sshd && chmod 755 /run/sshd  # sshd started as root insists on it
  fi
  [[ -f $dir/host_ed25519 ]] ||
    ssh-keygen -q -t ed25519 -N '' -C logship-test-host -f "$dir/host_ed25519" || return 1
  touch "$dir/authorized_keys"
  log=$dir/sshd.log
  [[ -n $want_port ]] && attempts=100  # the old port may take a moment to be free again
  for ((try = 0; try < attempts; try++)); do
    if [[ -n $want_port ]]; then
      port=$want_port; ((try)) && sleep 0.1
    else
      port=$(logship_sshd__free_port) || return 1
    fi
    logship_sshd__config "$dir" "$port"
    : > "$log"
    logship_sshd__ns_prefix
    "${logship_sshd__ns[@]}" /usr/sbin/sshd -D -e -E "$log" -f "$dir/sshd_config" < /dev/null > /dev/null 2>&1 &
    pid=$!
    listening="Server listening on $(logship_sshd__addr) port $port"
    deadline=$((SECONDS + 10))
    while :; do
      if grep -q -e 'Address already in use' -e 'Cannot bind any address' "$log"; then
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        continue 2                   # a collision: another port
      fi
      if ! kill -0 "$pid" 2>/dev/null; then
        logship_sshd__die "sshd exited during start-up:"; cat "$log" >&2; return 1
      fi
      grep -q -F "$listening" "$log" && break 2
      if ((SECONDS > deadline)); then
        kill "$pid" 2>/dev/null
        logship_sshd__die "sshd did not listen within 10 s:"; cat "$log" >&2; return 1
      fi
      sleep 0.02                     # polling the log, not synchronising on time
    done
  done
  if ! grep -q -F "Server listening on $(logship_sshd__addr) port $port" "$log"; then
    logship_sshd__die "no free port after $attempts attempts"; return 1
  fi
  echo "$pid" > "$dir/listener.pid"
  printf '[%s]:%s %s\n' "$(logship_sshd__addr)" "$port" "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" \
    > "$dir/known_hosts"
  user=$(id -un)
  export LOGSHIP_SSHD_DIR=$dir LOGSHIP_SSHD_PORT=$port LOGSHIP_SSHD_PID=$pid
  export LOGSHIP_SSHD_USER=$user LOGSHIP_SSHD_KNOWN_HOSTS=$dir/known_hosts
  echo "$port"
}

# True when DIR/listener.pid names a live sshd started with DIR's config (not a reused pid).
logship_sshd__running() {
  local dir=$1 pid
  [[ -f $dir/listener.pid ]] || return 1
  pid=$(< "$dir/listener.pid")
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -F "$dir/sshd_config"
}

logship_sshd_stop() {
  local dir=$1 pid
  local -a children
  [[ -n $dir && -f $dir/listener.pid ]] || return 0
  dir=$(cd "$dir" && pwd)
  pid=$(< "$dir/listener.pid")
  if logship_sshd__running "$dir"; then
    mapfile -t children < <(logship_sshd__descendants "$pid")
    kill "$pid" 2>/dev/null || true
    if ((${#children[@]})); then kill -9 "${children[@]}" 2>/dev/null || true; fi
    for _ in $(seq 250); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/listener.pid"
  return 0
}

logship_sshd_restart() {
  local dir=$1 port
  [[ -f $dir/sshd_config ]] || { logship_sshd__die "no server was started in $dir"; return 1; }
  port=$(awk '$1 == "Port" {print $2}' "$dir/sshd_config")
  logship_sshd_stop "$dir"
  logship_sshd_start "$dir" "$port"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cmd=${1:-}; shift || true
  case $cmd in
    start) logship_sshd_start "$@" ;;
    key) logship_sshd_key "$@" ;;
    add-key) logship_sshd_add_key "$@" ;;
    stop) logship_sshd_stop "$@" ;;
    restart) logship_sshd_restart "$@" ;;
    *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
fi
