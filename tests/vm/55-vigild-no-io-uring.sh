#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# With io_uring disabled by the kernel.io_uring_disabled sysctl, vigild
# says so clearly and exits 1 (it has no fallback loop by design).
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"
knob=/proc/sys/kernel/io_uring_disabled
[ -w "$knob" ] || t_skip "no $knob in $(uname -r) (added in 6.6)"
old=$(cat "$knob")
trap 'echo "$old" >"$knob"' EXIT
echo 2 >"$knob"
rc=0
"$VIGILD" --source replay:/nonexistent --fast 2>"$T_TMP/err" || rc=$?
cat "$T_TMP/err"
t_eq "exit status without io_uring" 1 "$rc"
grep -q "io_uring is unavailable" "$T_TMP/err" || t_fail "no clear message"
grep -q "io_uring_disabled" "$T_TMP/err" || t_fail "the message does not point at the sysctl"
exit 0
