#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/vm-run keeps each test's whole kernel log and, when the kernel
# reports a problem, fails the test and shows the report whole: from its
# WARNING line through the end of its Call Trace, not just one line.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ko=$("$ROOT/scripts/build-kmod" --src "$ROOT/tests/kmod/warn-on-load" --name warn-on-load 6.12 | tail -n 1)
[ -f "$ko" ] || { echo "test module not built"; exit 1; }
dir=$(mktemp -d "$ROOT/build/vm-run-report.XXXXXX")
trap 'rm -rf "$dir"' EXIT
printf '#!/bin/bash\necho clean\n' >"$dir/t1-clean.sh"
printf '#!/bin/bash\ninsmod %q && echo insmod-ok\n' "$ko" >"$dir/t2-warn.sh"
out=$("$ROOT/scripts/vm" --kernel 6.12 --out "$dir/out" -- \
	tests/vm-run "$dir/t1-clean.sh" "$dir/t2-warn.sh" 2>&1)
fail() { echo "$*"; echo "$out" | tail -n 60; exit 1; }
grep -qx 't1-clean PASS' "$dir/out/results" || fail "clean test did not pass"
grep -qx 't2-warn FAIL' "$dir/out/results" || fail "warning test did not fail"
for t in t1-clean t2-warn; do
	[ -f "$dir/out/logs/$t.dmesg" ] || fail "no logs/$t.dmesg"
done
grep -q 'WARNING:' "$dir/out/logs/t2-warn.dmesg" || fail "WARNING not in logs/t2-warn.dmesg"
grep -q 'WARNING:' "$dir/out/logs/t1-clean.dmesg" && fail "t2's WARNING in t1's log"
# The report is shown whole: its WARNING, its Call Trace, its end marker.
block=$(echo "$out" | sed -n '/^FAIL t2-warn/,$p')
for want in 'WARNING:' 'Call Trace:' 'warn_on_load' '---\[ end trace'; do
	echo "$block" | grep -q -- "$want" || fail "report block lacks '$want'"
done
echo "ok: whole report shown ($(echo "$block" | grep -c '|') lines), per-test dmesg kept"
