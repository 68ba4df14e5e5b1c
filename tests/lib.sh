# SPDX-License-Identifier: GPL-2.0
# Helpers for vigil's VM tests (tests/vm/*.sh), sourced by each test.
# A test exits 0 (pass), 1 (fail) or 77 (skip).

VIGIL_ROOT=${VIGIL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VIGIL_OUT=${VIGIL_OUT:-$(mktemp -d)}
T_NAME=$(basename "${0%.sh}")
T_TMP=$VIGIL_OUT/$T_NAME
# Fresh each run: a test run again in the same guest must not read the
# files of the run before (a trace that already holds frames).
[ -n "$T_NAME" ] && rm -rf "$T_TMP"
mkdir -p "$T_TMP"

t_log() { echo "[$T_NAME] $*"; }
t_fail() { echo "[$T_NAME] FAIL: $*" >&2; exit 1; }
t_skip() { echo "[$T_NAME] SKIP: $*" >&2; exit 77; }

# t_term PID: SIGTERM to a vigild once it handles the signal (blocked for
# its signalfd: it stops cleanly, "Terminated, stopping"). A TERM sent
# earlier, a fixed time after its start, killed it outright when the
# emulated CPU made its start slow (50-vigild-mmap on a loaded host).
# Waits 60 s at most; a process that is gone is left alone.
t_term() {
	local p=$1 blk _
	for _ in $(seq 600); do
		blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || break
		[ -n "$blk" ] || break
		grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && break
		(((16#$blk) & (1 << 14))) && break
		sleep 0.1
	done
	kill -TERM "$p" 2>/dev/null
}

# t_assert DESCRIPTION COMMAND...: run COMMAND, fail the test if it fails.
t_assert() {
	local what=$1
	shift
	"$@" || t_fail "$what (command: $*)"
}

# t_eq WHAT EXPECTED ACTUAL
t_eq() {
	[ "$2" = "$3" ] || t_fail "$1: expected '$2', got '$3'"
}

# t_kernel_major_minor: prints e.g. 6.12 for the running kernel.
t_kernel_major_minor() { uname -r | cut -d. -f1-2; }

t_in_vm() { [ -n "${VIGIL_KERNEL:-}" ]; }

# t_load [params]: load vigil.ko, set T_DEVS to its nodes and T_DEV to the first.
t_load() {
	local out
	out=$("$VIGIL_ROOT/scripts/vigil-load" "$@") || t_fail "vigil-load $*"
	T_DEVS=$out
	T_DEV=$(echo "$out" | head -n 1)
}

t_unload() { "$VIGIL_ROOT/scripts/vigil-load" --unload; }

# The userspace build (make) on the host, shared with the guest.
T_BIN=$VIGIL_ROOT/build/userspace
T_COMPLIANCE=$VIGIL_ROOT/scripts/v4l2-compliance

# t_cc OUT ARGS...: cc ARGS into OUT atomically. The guests of both
# kernels share build/ and may build the same tool at once: compiling to a
# unique name and renaming means no guest ever executes a half-written file
# (stop 17: "vigil-lat: Permission denied" on 6.1 while 6.12 linked it).
t_cc() {
	local out=$1 tmp
	shift
	mkdir -p "$(dirname "$out")"
	tmp=$(mktemp "$out.XXXXXX") || return 1
	if cc -o "$tmp" "$@" >&2 && chmod 0755 "$tmp" && mv -f "$tmp" "$out"; then
		return 0
	fi
	rm -f "$tmp"
	return 1
}

# ---- vigil capture driver helpers (issue 3) ----

# t_vtool: build tests/vm/vtool.c (a small V4L2 client) if needed, print its path.
t_vtool() {
	local bin=$VIGIL_ROOT/build/tests/vtool src=$VIGIL_ROOT/tests/vm/vtool.c
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$VIGIL_ROOT/kmod/uapi/vigil.h" -nt "$bin" ]; then
		t_cc "$bin" -O2 -Wall -I"$VIGIL_ROOT/kmod/uapi" "$src" || t_fail "cannot build vtool"
	fi
	echo "$bin"
}

# t_debugfs DEVNODE: print the vigil debugfs directory of /dev/videoN.
t_debugfs() {
	local name
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	name=$(basename "$(readlink -f "/sys/class/video4linux/$(basename "$1")/device")")
	echo "/sys/kernel/debug/vigil/$name"
}

# t_media DEVNODE: print the media device (/dev/mediaN) of /dev/videoN's bridge.
t_media() {
	local m
	m=$(ls -d "/sys/class/video4linux/$(basename "$1")/device/media"* 2>/dev/null | head -n 1)
	[ -n "$m" ] || t_fail "no media device for $1"
	echo "/dev/$(basename "$m")"
}

# t_sensor DEVNODE: print the entity name of the sensor linked to /dev/videoN
# (the source of its sink pad's link in the media graph).
t_sensor() {
	local name
	name=$(media-ctl -d "$(t_media "$1")" -p |
		sed -n 's/^[[:space:]]*<- "\([^"]*\)":[0-9]* \[.*ENABLED.*/\1/p' | head -n 1)
	[ -n "$name" ] || t_fail "no sensor linked to $1"
	echo "$name"
}

# t_subdev DEVNODE: print the subdev node (/dev/v4l-subdevN) of that sensor.
t_subdev() {
	local n
	n=$(media-ctl -d "$(t_media "$1")" -e "$(t_sensor "$1")")
	[ -c "$n" ] || t_fail "no subdev node for the sensor of $1"
	echo "$n"
}

# t_sensor_debugfs DEVNODE: print the debugfs directory of the virtual
# sensor of /dev/videoN (scenario, replay, warm_objects).
t_sensor_debugfs() {
	local name
	name=$(t_sensor "$1")
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	[ -d "/sys/kernel/debug/vigil/$name" ] || t_fail "no debugfs for sensor $name"
	echo "/sys/kernel/debug/vigil/$name"
}

# t_frames_equal A B: byte comparison of two files.
t_frames_equal() { cmp -s "$1" "$2"; }

# ---- PIR, LED and privacy helpers (issue 4) ----

# t_pir_lat: print the path of a vigil-lat built from the current sources:
# the userspace build's (make, on the host) if it is newer than every
# source, else one built here (alone, no libvigil: its statistics from
# lib/latstat.c; gpio-cdev through the v2 uAPI, no library). Compiling in
# the emulated guest takes minutes on a loaded host.
t_pir_lat() {
	local bin=$VIGIL_ROOT/build/tests/vigil-lat src=$VIGIL_ROOT/userspace/tools/vigil-lat.c
	local st=$VIGIL_ROOT/userspace/lib/latstat.c sh=$VIGIL_ROOT/userspace/internal/latstat.h
	local b f fresh
	for b in "$T_BIN/tools/vigil-lat" "$bin"; do
		fresh=1
		[ -x "$b" ] || continue
		for f in "$src" "$st" "$sh" "$VIGIL_ROOT/kmod/uapi/vigil.h" \
			 "$VIGIL_ROOT/kmod/uapi/vigil-gpio-sim.h"; do
			[ "$f" -nt "$b" ] && fresh=0
		done
		[ $fresh = 1 ] && { echo "$b"; return; }
	done
	t_cc "$bin" -O2 -Wall -Wextra -D_GNU_SOURCE \
		-I"$VIGIL_ROOT/kmod/uapi" -I"$VIGIL_ROOT/userspace/internal" \
		"$src" "$st" -lm -lpthread || t_fail "cannot build vigil-lat"
	echo "$bin"
}

# t_pirtool: build tests/vm/pirtool.c if needed, print its path.
t_pirtool() {
	local bin=$VIGIL_ROOT/build/tests/pirtool src=$VIGIL_ROOT/tests/vm/pirtool.c
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$VIGIL_ROOT/kmod/uapi/vigil.h" -nt "$bin" ]; then
		t_cc "$bin" -O2 -Wall -Wextra -I"$VIGIL_ROOT/kmod/uapi" "$src" || t_fail "cannot build pirtool"
	fi
	echo "$bin"
}

# t_gpio_sim DEVNODE: print the debugfs directory of the simulated GPIO
# controller of /dev/videoN's board (vigil-gpio-sim.<id> for vigil.<id>).
t_gpio_sim() {
	local name
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	name=$(basename "$(readlink -f "/sys/class/video4linux/$(basename "$1")/device")")
	echo "/sys/kernel/debug/vigil-gpio-sim.${name#vigil.}"
}

# t_json FILE PYTHON-EXPR: evaluate EXPR with j = the JSON in FILE; fail the
# test (printing EXPR and the JSON) unless it is true.
t_json() {
	python3 - "$1" "$2" <<'PY' || t_fail "$2 (json: $(cat "$1"))"
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# t_wait_nodes N: wait (5 s) until N vigil video nodes exist; sets T_DEVS and T_DEV.
t_wait_nodes() {
	local v list
	for _ in $(seq 50); do
		list=$(for v in /sys/class/video4linux/video*; do
			[ -e "$v" ] && readlink -f "$v/device/driver" | grep -q '/vigil$' &&
				[ -c "/dev/$(basename "$v")" ] && echo "/dev/$(basename "$v")"
		done | sort -V)
		[ "$(echo "$list" | grep -c .)" = "$1" ] && break
		sleep 0.1
	done
	[ "$(echo "$list" | grep -c .)" = "$1" ] || t_fail "expected $1 vigil nodes, have: $list"
	T_DEVS=$list
	T_DEV=$(echo "$list" | head -n 1)
}

# ---- other cameras (issue 10) ----

# t_vivid_cap [N]: print the Nth (from 1) vivid capture node, by its name
# ("vivid-000-vid-cap"); fails when there is none.
t_vivid_cap() {
	local want=${1:-1} i=0 v
	for v in $(ls -d /sys/class/video4linux/video* | sort -V); do
		case $(cat "$v/name") in
		*vid-cap) i=$((i + 1)); [ $i = "$want" ] && { echo "/dev/$(basename "$v")"; return 0; } ;;
		esac
	done
	return 1
}

# t_vgem_card: print vgem's DRM card node (vgem loaded), once it exists;
# fails when there is none. vgem is a bare platform device: it is
# recognised by its sysfs path.
t_vgem_card() {
	local c card=
	for c in /sys/class/drm/card*; do
		case $(readlink -f "$c") in
		*/vgem/drm/card*) card=/dev/dri/$(basename "$c") ;;
		esac
	done
	[ -n "$card" ] || return 1
	for _ in $(seq 20); do [ -c "$card" ] && break; sleep 0.1; done
	echo "$card"
}

# ---- v4l2-compliance streaming as a consumer that keeps up (flake) ----
# Frames are dropped, and numbered (a sequence gap, as the V4L2 spec
# allows), when the consumer has not queued a buffer back within the
# driver's 4 buffers' worth of frame periods. v4l2-compliance 1.30.1 warns
# at every gap (v4l2-test-buffers.cpp "got sequence number N+1, expected
# N") except for vivid. Its per-frame progress line, written to a log on
# the 9p share, took 50-300 ms under host load, and at normal priority it
# waited behind the frame worker: so it runs at SCHED_FIFO with its log on
# the guest's tmpfs, and a gap is accepted only if the driver counted that
# many drops (debugfs dropped_total). tests/vm/62-sequence-gaps.sh shows
# the mechanism.

# t_compliance LOG DEV ARGS...: run v4l2-compliance ARGS, its output into
# LOG; DEV is the vigil capture node whose drops are counted: sets
# T_DROPS to the frames it dropped meanwhile. Returns the tool's status.
t_compliance() {
	local log=$1 stats before after tmp rc
	stats=$(t_debugfs "$2")/stats
	shift 2
	before=$(sed -n 's/^dropped_total //p' "$stats")
	tmp=$(mktemp /tmp/compliance.XXXXXX)
	chrt -f 1 "$T_COMPLIANCE" "$@" >"$tmp" 2>&1
	rc=$?
	after=$(sed -n 's/^dropped_total //p' "$stats")
	cp "$tmp" "$log"
	rm -f "$tmp"
	T_DROPS=$((after - before))
	return $rc
}

# t_seq_gaps LOG: prints "W F": the number of v4l2-compliance's sequence
# gap warnings in LOG and the frames they miss (sum of got - expected).
t_seq_gaps() {
	sed -n 's/.*warn: v4l2-test-buffers\.cpp([0-9]*): got sequence number \([0-9]*\), expected \([0-9]*\).*/\1 \2/p' "$1" |
		awk '{ w++; f += $1 - $2 } END { print w + 0, f + 0 }'
}

# t_seq_gaps_counted LOG: succeeds when every frame missing from LOG's
# sequence gaps was a drop the driver counted (T_DROPS from
# t_compliance), and prints what it found; sets T_GAP_WARNS to the
# number of gap warnings (to subtract from the tool's warning count).
t_seq_gaps_counted() {
	local w f
	read -r w f <<<"$(t_seq_gaps "$1")"
	T_GAP_WARNS=$w
	[ "$w" = 0 ] && return 0
	if [ "$f" -le "$T_DROPS" ]; then
		t_log "$w sequence gap warning(s), $f frame(s) missing: dropped and counted by the driver ($T_DROPS), the consumer had no buffer queued"
		return 0
	fi
	t_log "$w sequence gap warning(s), $f frame(s) missing, but the driver counted $T_DROPS drops"
	return 1
}
