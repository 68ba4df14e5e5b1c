#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every overlay in dts/overlays compiles with dtc -@ without a warning, and
# the binding's example properties match what the driver reads.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
for f in "$ROOT"/dts/overlays/*.dtso; do
	log=$(dtc -@ -I dts -O dtb -o /dev/null "$f" 2>&1)
	if [ $? != 0 ] || [ -n "$log" ]; then
		echo "FAIL: $f: $log"
		fail=1
	else
		echo "ok: $(basename "$f")"
	fi
done
# Each property the binding documents is read by the driver (or is a GPIO
# consumer name), so the binding cannot drift from the code.
for p in $(sed -n 's/^  \([a-z][a-z0-9,-]*\):$/\1/p' "$ROOT/dts/bindings/vigil,camera.yaml"); do
	case $p in
	compatible) continue ;;
	*-gpios) needle="\"${p%-gpios}\"" ;;
	*) needle="\"$p\"" ;;
	esac
	grep -q -- "$needle" "$ROOT"/kmod/*.c || { echo "FAIL: binding property $p is not used by kmod/"; fail=1; }
done
exit $fail
