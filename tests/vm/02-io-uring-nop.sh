#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness check: liburing submits a NOP in the guest kernel and reaps it.
. "$VIGIL_ROOT/tests/lib.sh"
"$VIGIL_ROOT/build/tests/uring-nop"
