#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The person check end to end through vigild on the host replay source
# (issue #16):
#  - real footage with people (the first 12 s of OpenCV's vtest.avi): the
#    event gets the verdict "person" (an update line and the end line); with
#    policy person-confirmed the alarm starts with that verdict;
#  - a warm non-person (tests/scenarios/pet.ini, the detector's minimum blob
#    lowered so the cat makes an event): "no-person"; person-confirmed
#    raises nothing; pir-and-video with the cat's PIR edges keeps the alarm
#    (a PIR-confirmed alarm is never dropped) tagged no-person;
#  - recording those two (clip format v2): the event record in the clip
#    carries the verdict, person for the people and no-person for the pet,
#    as vigil-clip info shows;
#  - in real time while the check runs: frames dropped 0 and late 0
#    (--stats), crops checked > 0;
#  - vigild built without OpenCV (PERSON=0) says the check is unavailable,
#    runs with video-only and refuses person-confirmed with exit status 3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${VIGIL_BUILD:-$ROOT/build/userspace}
make -s -C "$ROOT/userspace" "$BIN/vigild" "$BIN/tools/vigil-scene" \
	"$BIN/tools/vigil-clip" "$BIN/libvigil-person-hog.so" >/dev/null
FOOTAGE=$("$ROOT/scripts/footage")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rc=0
fail() { echo "person-vigild: FAIL: $*" >&2; rc=1; }
ok() { echo "person-vigild: ok: $*"; }

ffmpeg -v error -y -i "$FOOTAGE/vtest.avi" -frames:v 120 -pix_fmt gray -strict -1 \
	-f yuv4mpegpipe "$T/people.y4m"
"$BIN/tools/vigil-scene" "$ROOT/tests/scenarios/pet.ini" -o "$T/pet.y4m" -p "$T/pet.pir"
PET=(--set detector.min_blob_px=16 --set detector.min_area=0)

# verdict FILE TYPE: the person verdict of the first line of TYPE
verdict() { jq -r "select(.event == \"$2\") | .person.verdict // \"none\"" "$1" | head -n 1; }

V=("$BIN/vigild" --fast --events -)
mkdir "$T/rp" "$T/rc"
"${V[@]}" --source "replay:$T/people.y4m" --policy video-only --set "record.dir=$T/rp" \
	>"$T/p.json" 2>"$T/p.err"
[ "$(verdict "$T/p.json" update)" = person ] && [ "$(verdict "$T/p.json" end)" = person ] &&
	ok "people: verdict person ($(jq -r 'select(.event=="end") | .person.score' "$T/p.json"))" ||
	fail "people: expected verdict person: $(cat "$T/p.json" "$T/p.err")"

"${V[@]}" --source "replay:$T/people.y4m" --policy person-confirmed >"$T/pc.json" 2>"$T/pc.err"
[ "$(verdict "$T/pc.json" start)" = person ] &&
	ok "people, person-confirmed: alarm starts with verdict person" ||
	fail "people, person-confirmed: $(cat "$T/pc.json" "$T/pc.err")"

"${V[@]}" "${PET[@]}" --source "replay:$T/pet.y4m" --policy video-only \
	--set "record.dir=$T/rc" >"$T/c.json" 2>"$T/c.err"
[ "$(verdict "$T/c.json" end)" = no-person ] && ok "pet: verdict no-person" ||
	fail "pet: expected verdict no-person: $(cat "$T/c.json" "$T/c.err")"

# the clips' event records carry the verdict (vigil-clip info)
clip_verdicts() { # DIR: the verdict of every final event record of its clips
	local c
	# (type 0, the start record written as the clip opens, comes before
	# any verdict; the final one is type 1 "open" or 2 end)
	for c in "$1"/*.vclip; do
		"$BIN/tools/vigil-clip" info "$c" | grep -v '^event [0-9]*: *type 0,' |
			sed -n 's/^event [0-9]*: .* PIR edges, \([a-z -]*[a-z]\).*/\1/p'
	done
}
pv=$(clip_verdicts "$T/rp" | sort -u | tr '\n' ' ')
[ "$pv" = "person " ] && ok "people: the clip's event record says person" ||
	fail "people: clip verdicts '$pv': $(ls "$T/rp"; "$BIN/tools/vigil-clip" info "$T"/rp/*.vclip)"
cv=$(clip_verdicts "$T/rc" | sort -u | tr '\n' ' ')
[ "$cv" = "no-person " ] && ok "pet: the clip's event record says no-person" ||
	fail "pet: clip verdicts '$cv': $(ls "$T/rc"; "$BIN/tools/vigil-clip" info "$T"/rc/*.vclip)"

"${V[@]}" "${PET[@]}" --source "replay:$T/pet.y4m" --policy person-confirmed >"$T/cc.json" 2>"$T/cc.err"
[ ! -s "$T/cc.json" ] && ok "pet, person-confirmed: no alarm" ||
	fail "pet, person-confirmed: expected no event: $(cat "$T/cc.json")"

"${V[@]}" "${PET[@]}" --source "replay:$T/pet.y4m" --pir-events "$T/pet.pir" \
	--policy person-confirmed >"$T/cp.json" 2>"$T/cp.err"
[ "$(jq -s '[.[] | select(.event == "start")] | length' "$T/cp.json")" = 1 ] &&
	[ "$(verdict "$T/cp.json" end)" = no-person ] &&
	ok "pet with PIR, person-confirmed: the PIR-confirmed alarm stays (no-person)" ||
	fail "pet with PIR, person-confirmed: $(cat "$T/cp.json" "$T/cp.err")"

"${V[@]}" "${PET[@]}" --source "replay:$T/pet.y4m" --pir-events "$T/pet.pir" \
	--policy pir-and-video >"$T/cv.json" 2>"$T/cv.err"
[ "$(jq -s '[.[] | select(.event == "start")] | length' "$T/cv.json")" = 1 ] &&
	[ "$(verdict "$T/cv.json" end)" = no-person ] &&
	ok "pet with PIR, pir-and-video: alarm kept, ranked no-person" ||
	fail "pet with PIR, pir-and-video: $(cat "$T/cv.json" "$T/cv.err")"

# real time: 4 s of footage at its 10 fps
hdr=$(head -n 1 "$T/people.y4m" | wc -c)
head -c $((hdr + 40 * (6 + 768 * 576))) "$T/people.y4m" >"$T/rt.y4m"
"$BIN/vigild" --realtime --stats --events - --source "replay:$T/rt.y4m" \
	--policy video-only >"$T/rt.json" 2>"$T/rt.err"
read -r dropped late < <(sed -n 's/.*frames_dropped \([0-9]*\) frames_late \([0-9]*\).*/\1 \2/p' "$T/rt.err") || true
checked=$(sed -n 's/.* person_checked \([0-9]*\) .*/\1/p' "$T/rt.err") || true
[ "${dropped:-x}" = 0 ] && [ "${late:-x}" = 0 ] && [ "${checked:-0}" -gt 0 ] &&
	ok "real time: $checked crops checked, frames dropped 0, late 0" ||
	fail "real time: dropped '${dropped:-}' late '${late:-}' checked '${checked:-}': $(cat "$T/rt.err")"

# without OpenCV
NB=$ROOT/build/userspace-noperson
make -s -C "$ROOT/userspace" PERSON=0 BUILD="$NB" "$NB/vigild" >/dev/null
"$NB/vigild" --fast --events - --source "replay:$T/pet.y4m" --policy video-only \
	>/dev/null 2>"$T/n.err" && grep -q "person check: unavailable" "$T/n.err" &&
	ok "without OpenCV: runs, says $(grep -o 'person check: unavailable[^(]*' "$T/n.err")" ||
	fail "without OpenCV, video-only: $(cat "$T/n.err")"
st=0
"$NB/vigild" --fast --events - --source "replay:$T/pet.y4m" --policy person-confirmed \
	>/dev/null 2>"$T/n2.err" || st=$?
[ $st = 3 ] && grep -q "person-confirmed needs the person check" "$T/n2.err" &&
	ok "without OpenCV: person-confirmed refused, status 3" ||
	fail "without OpenCV, person-confirmed: status $st: $(cat "$T/n2.err")"
exit $rc
