#!/usr/bin/env bash
# systemd-analyze verify --user on the shipped user units, with ExecStart pointing at the
# built binaries (verify insists that they exist): no error and no warning at all.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
kit_need_cmd systemd-analyze
kit_need_bin logship-push logship-pull logship-verify

units=$kit_tmp/units
mkdir -p "$units" "$kit_tmp/runtime"
chmod 700 "$kit_tmp/runtime"
# A user manager needs a runtime directory; without a running systemd there is none.
export XDG_RUNTIME_DIR=$kit_tmp/runtime
for unit in logship-push.service logship-pull@.service logship-verify-follow.service; do
  src=$kit_root/scripts/systemd/$unit
  [[ -f $src ]] || kit_fail "$src is missing"
  grep -q '^ExecStart=/usr/bin/logship-' "$src" || kit_fail "$unit: ExecStart must name /usr/bin/logship-*"
  # A template is verified as an instance; the file is the shipped one but for the binary path.
  name=${unit/@./@web1.}
  sed "s#^ExecStart=/usr/bin/#ExecStart=$kit_bin/#" "$src" > "$units/$name"
  if ! out=$(cd "$units" && systemd-analyze verify --user "$units/$name" 2>&1); then
    kit_fail "systemd-analyze verify --user $unit failed: $out"
  fi
  [[ -z $out ]] || kit_fail "systemd-analyze verify --user $unit warned: $out"
  kit_note "$unit: systemd-analyze verify --user clean"
done

# The check can fail: an unknown key and a missing binary must be reported.
printf '[Service]\nExecStart=%s/logship-push\nProtectSytem=strict\n' "$kit_bin" > "$units/bad.service"
out=$( (cd "$units"; systemd-analyze verify --user "$units/bad.service") 2>&1 || true)
grep -q "Unknown key" <<< "$out" || kit_fail "verify did not report an unknown key: $out"
echo "units: the three user units verify clean"
