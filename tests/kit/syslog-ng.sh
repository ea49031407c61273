#!/usr/bin/env bash
# The syslog-ng snippet with the real syslog-ng: `syslog-ng --syntax-only` on a config that
# includes it (a misspelt option must be rejected), then a private syslog-ng (its own pid,
# persist and control files, a unix-dgram source fed by logger as s_src) → logship-push →
# a private vault: exactly the auth, authpriv, kern and crit+ messages arrive.
# syslog-ng-core conflicts with rsyslog (both are the system logger), so where it is not
# installed the test runs the binary of the Debian package unpacked with dpkg -x (fetched once
# with apt-get download into the build tree); if that cannot be had, it skips.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_cmd logger python3
kit_need_bin logship-push logship-verify

sng=() module_path=()
if command -v syslog-ng > /dev/null; then
  sng=(syslog-ng)
else
  kit_need_cmd apt-get dpkg-deb
  cache=${LOGSHIP_KIT_CACHE:-$kit_bin/../kit-cache}
  tree=$cache/syslog-ng-core
  if [[ ! -x $tree/usr/sbin/syslog-ng ]]; then
    mkdir -p "$cache/deb"
    (cd "$cache/deb" && apt-get download syslog-ng-core) > "$kit_tmp/download.log" 2>&1 ||
      kit_skip "syslog-ng is not installed and apt-get download syslog-ng-core failed: $(tail -1 "$kit_tmp/download.log")"
    rm -rf "$tree.new" && dpkg-deb -x "$cache"/deb/syslog-ng-core_*.deb "$tree.new" && mv "$tree.new" "$tree"
  fi
  libdir=$tree/usr/lib/syslog-ng
  missing=$(LD_LIBRARY_PATH=$libdir ldd "$tree/usr/sbin/syslog-ng" | grep 'not found' || true)
  [[ -z $missing ]] || kit_skip "the unpacked syslog-ng lacks libraries (scripts/deps installs them): $missing"
  sng=(env "LD_LIBRARY_PATH=$libdir" "$tree/usr/sbin/syslog-ng")
  module_path=("--module-path=$(echo "$libdir"/[0-9]*)")
fi
kit_note "syslog-ng: ${sng[*]} ${module_path[*]}"

shipped=$kit_root/scripts/feeds/syslog-ng-logship.conf
grep -c 'pipe("/var/lib/logship/feed/syslog.fifo"' "$shipped" | grep -qx 1 ||
  kit_fail "$shipped must name the pipe /var/lib/logship/feed/syslog.fifo exactly once"
config() { # SNIPPET: a main config that includes it, with a private s_src
  cat << CONF
@version: 3.38
source s_src { unix-dgram("$kit_tmp/log.sock"); };
@include "$1"
CONF
}

# A misspelt option in a copy must be rejected: the syntax check can fail.
sed 's/facility(/facilty(/' "$shipped" > "$kit_tmp/broken.conf"
config "$kit_tmp/broken.conf" > "$kit_tmp/broken-main.conf"
if "${sng[@]}" "${module_path[@]}" --syntax-only -f "$kit_tmp/broken-main.conf" > /dev/null 2>&1; then
  kit_fail "syslog-ng --syntax-only accepted a misspelt filter"
fi

kit_feed_start_push
sed "s#pipe(\"/var/lib/logship/feed/syslog.fifo\"#pipe(\"$kit_fifo\"#" "$shipped" > "$kit_tmp/logship.conf"
config "$kit_tmp/logship.conf" > "$kit_tmp/syslog-ng.conf"
"${sng[@]}" "${module_path[@]}" --syntax-only -f "$kit_tmp/syslog-ng.conf" > "$kit_tmp/check.log" 2>&1 ||
  kit_fail "syslog-ng --syntax-only rejects the snippet: $(cat "$kit_tmp/check.log")"
kit_start sng_pid "$kit_tmp/syslog-ng.log" "${sng[@]}" "${module_path[@]}" -F -f "$kit_tmp/syslog-ng.conf" \
  --pidfile="$kit_tmp/syslog-ng.pid" --persist-file="$kit_tmp/syslog-ng.persist" \
  --control="$kit_tmp/syslog-ng.ctl"
kit_wait_for 10 "syslog-ng to create its socket" test -S "$kit_tmp/log.sock"
kit_feed_send "$kit_tmp/log.sock"
kit_stop "${sng_pid:?}"
kit_stop "${kit_push:?}"
kit_feed_check
echo "syslog-ng: the snippet passes --syntax-only and exactly the auth, authpriv, kern and crit+ messages"
