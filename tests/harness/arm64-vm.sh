#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# arm64 from the device tree (scripts/arm64-boot, also `make arm64-boot`),
# after arm64-cross.sh has built vigil.ko for arm64:
# Debian's arm64 6.12 kernel in qemu-system-aarch64 -machine virt (TCG)
# with QEMU's DTB, a board part (the simulated GPIO controller as a DT
# node, a header labelled gpio) and the shipped vigil-camera-arm64 overlay;
# vigil probes from the DT, PIR edges reach userspace, v4l2-compliance
# streams, no kernel report.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
rc=0
"$ROOT/scripts/arm64-boot" || rc=$?
echo "arm64-boot: $(($(date +%s) - start))s"
exit $rc
