#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/vm boots the chosen kernel, runs the command there, streams its
# output and exits with its status.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
rel=$("$ROOT/scripts/kernels" --release 6.12)
out=$("$ROOT/scripts/vm" --kernel 6.12 -- sh -c 'uname -r; test -w "$VIGIL_OUT" && echo out-writable; exit 3')
rc=$?
[ $rc = 3 ] || { echo "expected exit status 3, got $rc"; exit 1; }
echo "$out" | grep -qx "$rel" || { echo "guest uname -r is not $rel: $out"; exit 1; }
echo "$out" | grep -qx out-writable || { echo "\$VIGIL_OUT not writable in the guest"; exit 1; }
echo "ok: 6.12 guest is $rel, exit status passed through"
