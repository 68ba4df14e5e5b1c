#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# arm64 cross-builds (scripts/cross check, also `make cross`): userspace/
# for aarch64 against a private arm64 sysroot, checked under qemu-aarch64,
# and vigil.ko against Debian's arm64 6.12 headers with W=1 and no warning.
# Named to run before arm64-vm.sh, which boots that vigil.ko.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
"$ROOT/scripts/cross" check
echo "cross: $(($(date +%s) - start))s"
