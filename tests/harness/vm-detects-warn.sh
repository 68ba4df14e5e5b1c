#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A module that WARNs on load must make scripts/vm fail even though the
# command (insmod) itself succeeds: proves the guest kernel-log scan.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ko=$("$ROOT/scripts/build-kmod" --src "$ROOT/tests/kmod/warn-on-load" --name warn-on-load 6.12 | tail -n 1)
[ -f "$ko" ] || { echo "test module not built"; exit 1; }
out=$("$ROOT/scripts/vm" --kernel 6.12 -- sh -c "insmod $ko && echo insmod-ok" 2>&1)
rc=$?
echo "$out" | grep -q insmod-ok || { echo "insmod did not succeed: $out"; exit 1; }
[ $rc != 0 ] || { echo "scripts/vm exited 0 despite a WARNING"; exit 1; }
echo "$out" | grep -q 'WARNING:' || { echo "the WARNING line was not shown"; exit 1; }
echo "ok: scripts/vm exited $rc and showed the WARNING"
