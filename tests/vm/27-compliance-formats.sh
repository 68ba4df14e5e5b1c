#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# v4l2-compliance -f: streams every format, frame size and frame interval.
# Failed: 0, Warnings: 0 (on 6.1 as well: vigil shows no 6.1-only failure),
# sequence gaps the driver counted as dropped frames aside (t_compliance in
# tests/lib.sh).
. "$VIGIL_ROOT/tests/lib.sh"

"$T_COMPLIANCE" --version >/dev/null 2>&1 || t_skip "v4l2-compliance 1.30 not unpacked (scripts/deps)"
t_unload
t_load
log=$T_TMP/formats.log
t_compliance "$log" "$T_DEV" -d "$T_DEV" -f
total=$(grep '^Total for' "$log" | tail -n 1)
t_log "-f: $total"
t_seq_gaps_counted "$log" || t_fail "sequence gaps without counted drops"
echo "$total" | grep -q "Failed: 0, Warnings: $T_GAP_WARNS\$" || {
	grep -E '\s(fail|warn):' "$log" | head -n 20
	t_fail "v4l2-compliance -f"
}
t_unload || t_fail "rmmod vigil"
exit 0
