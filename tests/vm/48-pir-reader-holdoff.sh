#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A VIGIL_EVENT_PIR reader held off (SIGSTOP) for 0.5 s during a train of
# 200 edges/s loses no event: its queue (VIGIL_PIR_EVENT_QUEUE_DEPTH) holds
# the ~100 edges that arrive meanwhile, and every edge arrives in order.
# The former depth, 64 events (320 ms at this rate), lost the rest.
. "$VIGIL_ROOT/tests/lib.sh"
LAT=$(t_pir_lat)
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")
N=200	# pulses at 100 Hz: 400 edges in 2 s

# the board's train ("running|idle count C ... emitted E"): state in $R,
# counter in $E; builtins only, no fork: the emulated guest forks slowly
emitted() {
	local l=
	read -r l <"$DBG/train"
	R=${l%% *}
	E=${l##* emitted }
	E=${E%% *}
	[ -n "$E" ] || E=0
}

"$LAT" pir -d "$T_DEV" -c $N -r 100 --no-gpio --json >"$T_TMP/out.json" &
pid=$!
for _ in $(seq 1000); do
	emitted
	[ "$R" = running ] && [ "$E" -ge 20 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.01
done
kill -STOP $pid || t_fail "stop the reader"
emitted
e0=$E
sleep 0.5
emitted
e1=$E
kill -CONT $pid
wait $pid || { cat "$T_TMP/out.json"; t_fail "vigil-lat pir"; }
cat "$T_TMP/out.json"
held=$((e1 - e0))
t_log "edges emitted while the reader was stopped: $held (from edge $e0)"
# the hold-off must overflow the former depth, else this tests nothing
[ "$held" -gt 64 ] || t_fail "only $held edges while the reader was stopped (need > 64)"
t_json "$T_TMP/out.json" "j['emitted'] == 2 * $N"
t_json "$T_TMP/out.json" "j['v4l2']['lost'] == 0"
t_json "$T_TMP/out.json" "j['v4l2']['received'] == 2 * $N"
t_json "$T_TMP/out.json" "j['v4l2']['order_errors'] == 0"
t_unload || t_fail "rmmod vigil"
exit 0
