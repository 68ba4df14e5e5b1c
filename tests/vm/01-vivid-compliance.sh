#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness check: the kernel's own vivid loads in the guest and the current
# v4l2-compliance (1.30.x) streams against it and prints its summary.
. "$VIGIL_ROOT/tests/lib.sh"
modprobe vivid n_devs=1 node_types=0x1 || t_fail "modprobe vivid"
trap 'rmmod vivid 2>/dev/null' EXIT
dev=
for v in /sys/class/video4linux/video*; do
	grep -q vivid "$v/name" 2>/dev/null && { dev=/dev/$(basename "$v"); break; }
done
[ -n "$dev" ] || t_fail "no vivid video node"
out=$("$T_COMPLIANCE" -d "$dev" -s 10 2>&1)
echo "$out" | tail -n 3
echo "$out" | grep -q 'v4l2-compliance 1\.30\.' || t_fail "not v4l2-compliance 1.30.x"
echo "$out" | grep -Eq '^Total for .*: [0-9]+, Succeeded: [0-9]+, Failed: [0-9]+, Warnings: [0-9]+' ||
	t_fail "no compliance summary"
