#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vigild's MQTT sink against a real mosquitto broker on loopback, read with
# mosquitto_sub (scripts/deps installs both):
#  1. every event line arrives on <prefix>/event byte for byte, in order;
#     motion ON/OFF per start/end; the Home Assistant discovery configs;
#     availability "online", then "offline" retained at a clean exit;
#  2. vigild killed (SIGKILL): the broker publishes its will, "offline";
#  3. no broker at start, then the broker stopped mid-run: the capture
#     keeps every frame (--stats) and every event is delivered once the
#     broker is back; under strace -f, the loop thread makes no system call
#     on the broker's socket (no connect, no send or receive on any TCP
#     socket: the network is libmosquitto's thread's, which the trace shows
#     connecting and sending), so the broker's absence or a stalled
#     connection cannot hold the capture;
#  4. a queue of 4 and no broker: the capture still keeps every frame, the
#     overflow drops the oldest messages, counted exactly;
#  5. TLS (a CA made here) with a user name and password_file: delivered; a
#     wrong password is refused and said; a password file others can read
#     is refused at start (exit 2).
# Run by `make check` from userspace/ (VIGIL_BUILD set). Exit 0 pass, 1 fail.
set -u
B=${VIGIL_BUILD:?}
V=$B/vigild
T=$(mktemp -d /tmp/vigil-mqtt-XXXXXX)
pids=()
fail() { echo "FAIL: $*"; exit 1; }
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
for p in mosquitto mosquitto_sub strace python3; do
	command -v $p >/dev/null || [ -x /usr/sbin/$p ] || fail "$p missing (scripts/deps installs it)"
done
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

# a free port: the broker says if it cannot listen
PORT=
PERSIST=false
EXTRA=
start_broker() {
	local try
	for try in 1 2 3 4 5; do
		[ -n "$PORT" ] || PORT=$((20000 + (RANDOM % 20000)))
		printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence %s\n' \
			"$PORT" "$PERSIST" >"$T/broker.conf"
		printf 'persistence_location %s/\nuser %s\n%s\n' "$T" "$(id -un)" "$EXTRA" \
			>>"$T/broker.conf"
		"$MOSQUITTO" -c "$T/broker.conf" >>"$T/broker.log" 2>&1 &
		BROKER=$!
		pids+=("$BROKER")
		for _ in $(seq 50); do
			mosquitto_sub -p "$PORT" -h 127.0.0.1 -t probe -W 1 -C 1 -E "${SUBOPT[@]}" \
				>/dev/null 2>&1 && return 0
			kill -0 "$BROKER" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$BROKER" 2>/dev/null
		PORT=
	done
	cat "$T/broker.log"
	fail "mosquitto did not start"
}
SUBOPT=()
# Waits are for a condition; their bound (30 s) only stops a hang. A fixed
# sleep lost to a loaded machine: a subscriber not yet subscribed when
# vigild published, or killed before the broker had passed everything on.
# sync OUT: publish a probe (QoS 1) on vigil-test/sync until the subscriber
# writing OUT has it: it is subscribed, and has every message the broker
# took before the probe (one broker, one subscription: in order).
NSYNC=0
sync_sub() {
	local out=$1
	NSYNC=$((NSYNC + 1))
	for _ in $(seq 100); do
		mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 "${SUBOPT[@]}" -t vigil-test/sync \
			-m "sync $NSYNC" >/dev/null 2>&1
		for _ in 1 2 3; do
			grep -qx "vigil-test/sync sync $NSYNC" "$out" && return 0
			sleep 0.1
		done
	done
	fail "the subscriber writing $out did not get a probe in 30 s"
}
# sub OUT TOPIC...: subscribe (QoS 1, topic and payload per line) until
# killed; returns once subscribed
sub() {
	local out=$1 args=()
	shift
	for t in "$@" vigil-test/sync; do args+=(-t "$t"); done
	mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -v "${SUBOPT[@]}" "${args[@]}" >"$out" 2>&1 &
	SUB=$!
	pids+=("$SUB")
	sync_sub "$out"
}
# the event payloads of a subscription log, duplicates (QoS 1 resends) removed
payloads() { sed -n "s|^vigil/cam1/event ||p" "$@" | awk '!seen[$0]++'; }

"$B/tools/vigil-scene" ../tests/scenarios/person-walk.ini -o "$T/walk.y4m" -p "$T/walk.pir" ||
	fail "vigil-scene"
MQ=(--set mqtt.host=127.0.0.1 --set mqtt.id=cam1 --set mqtt.reconnect_min_s=1
    --set mqtt.reconnect_max_s=2 --set mqtt.mjpeg_url=http://cam1.local:8080/api/live.mjpeg)

# ---- 1. events, discovery, availability ----
start_broker
sub "$T/sub1" '#'
"$V" --source "replay:$T/walk.y4m" --pir-events "$T/walk.pir" --fast --events "$T/ev1" \
	--set mqtt.port="$PORT" "${MQ[@]}" 2>"$T/err1" || { cat "$T/err1"; fail "vigild (1)"; }
sync_sub "$T/sub1"
kill "$SUB"
[ "$(grep -c '"event":"start"' "$T/ev1")" -ge 2 ] || fail "the scene gave fewer than 2 events"
diff <(payloads "$T/sub1") <(cat "$T/ev1") || fail "MQTT event payloads differ from the event lines"
[ "$(grep -c '^vigil/cam1/motion ON$' "$T/sub1")" = "$(grep -c '"event":"start"' "$T/ev1")" ] ||
	fail "motion ON count"
[ "$(grep -c '^vigil/cam1/motion OFF$' "$T/sub1")" = "$(grep -c '"event":"end"' "$T/ev1")" ] ||
	fail "motion OFF count"
for c in binary_sensor/vigil_cam1/motion sensor/vigil_cam1/last_event \
	 binary_sensor/vigil_cam1/tamper; do
	line=$(grep "^homeassistant/$c/config " "$T/sub1") || fail "no discovery config for $c"
	json=${line#* }
	echo "$json" | jq -e '.availability_topic == "vigil/cam1/availability" and
		(.unique_id | startswith("vigil_cam1_")) and .device.identifiers[0] == "vigil_cam1"
		and .device.configuration_url == "http://cam1.local:8080/api/live.mjpeg"
		and (.state_topic | startswith("vigil/cam1/"))' >/dev/null ||
		fail "discovery config for $c: $json"
done
grep -q '^homeassistant/binary_sensor/vigil_cam1/motion/config .*"device_class":"motion"' \
	"$T/sub1" || fail "motion binary_sensor has no device_class motion"
grep -qx 'vigil/cam1/mjpeg_url http://cam1.local:8080/api/live.mjpeg' "$T/sub1" ||
	fail "no mjpeg_url"
[ "$(grep '^vigil/cam1/availability ' "$T/sub1" | head -1)" = "vigil/cam1/availability online" ] ||
	fail "first availability is not online"
[ "$(grep '^vigil/cam1/availability ' "$T/sub1" | tail -1)" = "vigil/cam1/availability offline" ] ||
	fail "last availability is not offline"
# retained: a late subscriber learns the state at once
r=$(mosquitto_sub -h 127.0.0.1 -p "$PORT" -t vigil/cam1/availability -C 1 -W 2) ||
	fail "availability not retained"
[ "$r" = offline ] || fail "retained availability '$r' after a clean exit"
last=$(mosquitto_sub -h 127.0.0.1 -p "$PORT" -t vigil/cam1/last_event -C 1 -W 2)
[ "$last" = "$(tail -1 "$T/ev1")" ] || fail "retained last_event is not the last event line"
echo "ok 1: $(wc -l <"$T/ev1") event lines byte-identical over MQTT, discovery, availability"

# ---- 2. the will: vigild killed ----
sub "$T/sub2" vigil/cam1/availability
"$V" --source "replay:$T/walk.y4m" --loop --events /dev/null --policy video-only \
	--set mqtt.port="$PORT" "${MQ[@]}" 2>"$T/err2" &
VIGILD=$!
pids+=("$VIGILD")
for _ in $(seq 300); do grep -q 'online' "$T/sub2" && break; sleep 0.1; done
grep -qx 'vigil/cam1/availability online' "$T/sub2" || { cat "$T/err2"; fail "no online"; }
{ kill -9 "$VIGILD"; wait "$VIGILD"; } 2>/dev/null
# the subscription began with the retained "offline" of run 1: the will is
# an "offline" after the "online"
for _ in $(seq 300); do
	sed -n '/ online$/,$p' "$T/sub2" | grep -q ' offline$' && break
	sleep 0.1
done
kill "$SUB"
[ "$(tail -1 "$T/sub2")" = "vigil/cam1/availability offline" ] ||
	fail "no will (offline) after SIGKILL: $(cat "$T/sub2")"
echo "ok 2: SIGKILL -> the broker published the will 'offline'"

# ---- 3. no broker at start, broker stopped mid-run ----
# The test's subscriber has a persistent session (QoS 1, kept in the
# broker's database across its restarts), so it misses nothing while it
# reconnects; whatever vigild publishes is queued for it.
stop_broker() { kill "$BROKER"; wait "$BROKER" 2>/dev/null; }
stop_broker
PERSIST=true
start_broker
mosquitto_sub -h 127.0.0.1 -p "$PORT" -c -i vigil-test -q 1 -t vigil/cam1/event -W 1 \
	>/dev/null 2>&1
stop_broker
frames=$(sed -n 's/^frames = //p' ../tests/scenarios/person-walk.ini)
# LeakSanitizer cannot run under ptrace (it stops the threads itself): under
# make SAN=1 this run is checked by ASan and UBSan, its leaks by the others
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -yy -qq -o "$T/strace3" \
	"$V" --source "replay:$T/walk.y4m" --pir-events "$T/walk.pir" --events "$T/ev3" --stats \
	--set mqtt.port="$PORT" "${MQ[@]}" 2>"$T/err3" &
VIGILD=$!
pids+=("$VIGILD")
VP=
for _ in $(seq 100); do VP=$(pgrep -P "$VIGILD" -x vigild) && break; sleep 0.1; done
[ -n "$VP" ] || fail "no vigild under strace"
pids+=("$VP")
# until_grep N PATTERN FILE: until FILE has N lines matching PATTERN
until_grep() {
	local n
	for _ in $(seq 300); do
		n=$(grep -c -e "$2" "$3" 2>/dev/null)
		[ "${n:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	cat "$T/err3"
	fail "30 s without $1 lines '$2' in ${3##*/}"
}
until_grep 1 '"event":"start"' "$T/ev3"	# the first event (2 s) meets no broker
start_broker
mosquitto_sub -h 127.0.0.1 -p "$PORT" -c -i vigil-test -q 1 -v -t vigil/cam1/event \
	>"$T/sub3" 2>&1 &
SUB=$!
pids+=("$SUB")
until_grep 1 '"event":"end"' "$T/sub3"	# delivered after the connection
stop_broker
until_grep 2 '"event":"start"' "$T/ev3"	# the second event (8 s): no broker
start_broker			# vigild and the subscriber reconnect
wait "$VIGILD" || { cat "$T/err3"; fail "vigild (3) exit status $?"; }
for _ in $(seq 300); do
	[ "$(payloads "$T/sub3" | wc -l)" -ge "$(wc -l <"$T/ev3")" ] && break
	sleep 0.1
done
kill "$SUB"
grep -q "frames $frames " "$T/err3" || { cat "$T/err3"; fail "capture lost frames (expected $frames)"; }
# The replay is paced by absolute deadlines: a loop held by the network
# would end late, not lose frames, and a clock is no proof on a loaded
# machine. What would hold it is a system call on the broker's socket:
# from the loop's first io_uring_enter to its stats line there is none.
PYTHONPATH=$(dirname "$0") python3 - "$T/strace3" "$VP" "$PORT" <<'PY' ||
import sys
from strace_window import CALL as call, window
lines = open(sys.argv[1]).read().splitlines()
loop, port = sys.argv[2], sys.argv[3]
bad, enters, connects, sends = [], 0, 0, 0
for l in window(lines, loop):
    m = call.match(l)
    if not m:
        continue
    tid, name, args = m.groups()
    tcp = 'TCP' in args
    if tid == loop:
        enters += name == 'io_uring_enter'
        if tcp or name in ('connect', 'socket', 'poll', 'ppoll', 'select', 'pselect6'):
            bad.append(l)
    else:
        connects += name == 'connect' and 'htons(%s)' % port in args
        sends += tcp and name in ('write', 'writev', 'send', 'sendto', 'sendmsg')
print('loop thread %s: %d io_uring_enter, %d calls on the network; other threads: '
      '%d connects to the broker, %d sends on TCP' % (loop, enters, len(bad), connects, sends))
for l in bad[:20]:
    print('  ' + l)
assert not bad, 'the loop thread touched the network'
assert enters > 100, 'the loop hardly ran'
# the trace sees the network: libmosquitto's thread connected each time
assert connects >= 2 and sends > 0, 'the trace shows no MQTT traffic'
PY
	fail "the loop thread and the broker's socket (above)"
grep -q 'connected to' "$T/err3" || fail "vigild never connected"
[ "$(grep -c 'connected to' "$T/err3")" -ge 2 ] || { cat "$T/err3"; fail "no reconnect"; }
grep -q 'mqtt: lost 127.0.0.1' "$T/err3" || { cat "$T/err3"; fail "the loss was not logged"; }
[ "$(grep -c '"event":"start"' "$T/ev3")" -ge 2 ] || fail "fewer than 2 events in run 3"
diff <(payloads "$T/sub3") <(cat "$T/ev3") ||
	{ cat "$T/err3"; fail "events lost or changed across the broker's absence"; }
echo "ok 3: $frames of $frames frames with the broker absent, then stopped, no network call" \
	"on the loop; $(wc -l <"$T/ev3") events all delivered after reconnecting"

# ---- 4. the queue's bound ----
stop_broker
"$V" --source "replay:$T/walk.y4m" --pir-events "$T/walk.pir" --fast --events "$T/ev4" --stats \
	--set mqtt.port="$PORT" "${MQ[@]}" --set mqtt.queue=4 2>"$T/err4" ||
	{ cat "$T/err4"; fail "vigild (4)"; }
grep -q "frames $frames " "$T/err4" || { cat "$T/err4"; fail "frames lost with a full queue"; }
grep -q 'queue full (4 messages' "$T/err4" || { cat "$T/err4"; fail "overflow not logged"; }
# per event line: event + last_event; per start/end: motion; then offline
total=$(($(wc -l <"$T/ev4") * 2 + $(grep -c '"event":"\(start\|end\)"' "$T/ev4") + 1))
grep -q " $((total - 4)) dropped (queue full), 4 never sent" "$T/err4" ||
	{ cat "$T/err4"; fail "expected $((total - 4)) of $total messages dropped"; }
echo "ok 4: queue of 4, no broker: $frames frames, $((total - 4)) of $total messages dropped and counted"

# ---- 5. TLS, user name and password ----
command -v openssl >/dev/null || fail "openssl missing"
mkdir "$T/tls"
(cd "$T/tls" &&
 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -days 2 -subj /CN=vigil-test-ca &&
 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
	-subj /CN=127.0.0.1 &&
 printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
 openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
	-extfile ext) >"$T/tls/log" 2>&1 || { cat "$T/tls/log"; fail "making the test CA"; }
PW=pw-$RANDOM$RANDOM
mosquitto_passwd -b -c "$T/passwd" vigil "$PW" >/dev/null 2>&1 || fail "mosquitto_passwd"
(umask 077; echo "$PW" >"$T/pw"; echo wrong >"$T/badpw")
EXTRA="cafile $T/tls/ca.pem
certfile $T/tls/srv.pem
keyfile $T/tls/srv.key
allow_anonymous false
password_file $T/passwd"
PERSIST=false PORT=
SUBOPT=(--cafile "$T/tls/ca.pem" -u vigil -P "$PW")
start_broker
sub "$T/sub5" vigil/cam1/event
TLS=(--set mqtt.port="$PORT" --set mqtt.tls_ca="$T/tls/ca.pem" --set mqtt.username=vigil)
"$V" --source "replay:$T/walk.y4m" --pir-events "$T/walk.pir" --fast --events "$T/ev5" \
	"${MQ[@]}" "${TLS[@]}" --set mqtt.password_file="$T/pw" 2>"$T/err5" ||
	{ cat "$T/err5"; fail "vigild (5)"; }
sync_sub "$T/sub5"
kill "$SUB"
diff <(payloads "$T/sub5") <(cat "$T/ev5") || { cat "$T/err5"; fail "events over TLS"; }
"$V" --source "replay:$T/walk.y4m" --pir-events "$T/walk.pir" --fast --events /dev/null \
	"${MQ[@]}" "${TLS[@]}" --set mqtt.password_file="$T/badpw" 2>"$T/err6" || fail "vigild (6)"
grep -q 'refused the connection: Connection Refused: not authorised' "$T/err6" ||
	{ cat "$T/err6"; fail "a wrong password was not reported"; }
chmod 644 "$T/pw"
"$V" --source "replay:$T/walk.y4m" --fast --events /dev/null "${MQ[@]}" "${TLS[@]}" \
	--set mqtt.password_file="$T/pw" 2>"$T/err7"
rc=$?
[ $rc = 2 ] && grep -q 'chmod 600' "$T/err7" || { cat "$T/err7"; fail "a readable password file: exit $rc"; }
echo "ok 5: TLS + password: $(wc -l <"$T/ev5") events delivered; wrong password refused and said; mode 644 refused (exit 2)"
exit 0
