#!/usr/bin/env bash
# An emulated WAN for tests and benchmarks: a client namespace and a vault namespace joined
# through wan-link (delay +- jitter, loss, rate in both directions). Root only.
#
# As a library:  . scripts/lib/wan.sh
#   logship_wan_tool                  prints the wan-link program ($LOGSHIP_WAN_LINK, or
#                                     wan-link on PATH, or ../shared/tools/wan-link beside the
#                                     source tree); fails when there is none
#   logship_wan_why_not               prints why the WAN cannot be used here (not root, no
#                                     wan-link), or nothing when it can
#   logship_wan_up NAME SPEC          SPEC is DELAY/JITTER/LOSS/RATE (ms, ms, %, bit/s; RATE 0
#                                     or empty: unlimited), e.g. 100/20/1/10000000; exports
#                                     LOGSHIP_WAN_{NAME,CLIENT_NS,VAULT_NS,CLIENT,VAULT} and, for
#                                     scripts/lib/sshd.sh, LOGSHIP_SSHD_{NETNS,ADDR}; sets the
#                                     array logship_wan_client: `"${logship_wan_client[@]}" CMD &`
#                                     runs CMD in the client namespace with its own pid in $!
#                                     (ip netns exec execs it)
#   logship_wan_down NAME             removes it (harmless when it is not up)
# Run the vault's sshd with scripts/lib/sshd.sh after logship_wan_up, the agents with
# "${logship_wan_client[@]}".

logship_wan__src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

logship_wan_tool() {
  local t
  for t in "${LOGSHIP_WAN_LINK:-}" "$(command -v wan-link 2>/dev/null)" \
    "$logship_wan__src/../shared/tools/wan-link"; do
    [[ -n $t && -x $t ]] && { echo "$t"; return 0; }
  done
  return 1
}

logship_wan_why_not() {
  if [[ $(id -u) != 0 ]]; then echo "an emulated WAN needs root (network namespaces)"; return 0; fi
  if ! logship_wan_tool > /dev/null; then
    echo "no wan-link found (set LOGSHIP_WAN_LINK=PATH or put wan-link on PATH)"; return 0
  fi
  command -v ip > /dev/null || echo "no ip(8) (apt install iproute2)"
  return 0
}

logship_wan_up() {
  local name=$1 spec=$2 tool delay jitter loss rate out
  tool=$(logship_wan_tool) || { echo "wan.sh: no wan-link found" >&2; return 1; }
  IFS=/ read -r delay jitter loss rate <<< "$spec"
  "$tool" down "$name" > /dev/null 2>&1 || true  # a leftover of an interrupted run
  out=$("$tool" up "$name" --delay "${delay:-100}" --jitter "${jitter:-0}" --loss "${loss:-0}" \
    --rate "${rate:-0}") || return 1
  export LOGSHIP_WAN_NAME=$name
  export LOGSHIP_WAN_CLIENT_NS=$name-c LOGSHIP_WAN_VAULT_NS=$name-v
  export LOGSHIP_WAN_CLIENT=10.251.0.1 LOGSHIP_WAN_VAULT=10.251.0.2
  export LOGSHIP_SSHD_NETNS=$name-v LOGSHIP_SSHD_ADDR=10.251.0.2
  logship_wan_client=(ip netns exec "$name-c")
  [[ $out == *"vault=10.251.0.2"* ]] || { echo "wan.sh: unexpected wan-link output: $out" >&2; return 1; }
}

logship_wan_down() {
  local tool
  tool=$(logship_wan_tool) || return 0
  "$tool" down "$1" 2>/dev/null || true
}

