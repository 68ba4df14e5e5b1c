#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vigild pushing closed clips to a real nginx WebDAV server on loopback
# (nginx-light's dav module; scripts/deps installs it):
#  1. a clip present at start (the scan) and one renamed into the directory
#     (inotify, as the recorder closes a clip) arrive byte-identical, only
#     ever under their final name; each upload is in the audit log;
#  2. nginx stopped for 20 s while two clips close, then restarted: both
#     arrive (retried with backoff), nothing is lost;
#  3. vigild restarted: the journal keeps what was uploaded (not sent
#     again); a clip that closed while vigild was down is uploaded;
#  4. a wrong token: refused (401), logged, nothing stored;
#  5. https with the server's CA ([push] ca, a CA made here): uploaded;
#     without it the certificate is refused and nothing is sent.
# Clips are real ones made with vigil-clip encode. Run by `make check` from
# userspace/ (VIGIL_BUILD set). Exit 0 pass, 1 fail.
set -u
B=${VIGIL_BUILD:?}
V=$B/vigild
T=$(mktemp -d /tmp/vigil-push-XXXXXX)
pids=()
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && tail -20 "$T/err"; exit 1; }
NGX=
cleanup() {
	# nginx's master stops its workers on SIGTERM (not on SIGKILL)
	[ -n "$NGX" ] && kill "$NGX" 2>/dev/null
	for p in "${pids[@]}"; do [ "$p" = "$NGX" ] || kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx missing (scripts/deps installs nginx-light)"
"$NGINX" -V 2>&1 | grep -q http_dav_module || fail "nginx has no dav module"

TOKEN=t0k-$RANDOM$RANDOM
mkdir -p "$T/www/vigil" "$T/tmp" "$T/clips" "$T/logs"
(umask 077; echo "$TOKEN" >"$T/token"; echo wrong >"$T/badtoken")
# a test CA and a certificate for 127.0.0.1
mkdir "$T/tls"
(cd "$T/tls" &&
 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -days 2 -subj /CN=vigil-test-ca &&
 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
	-subj /CN=127.0.0.1 &&
 printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
 openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
	-extfile ext) >"$T/tls/log" 2>&1 || { cat "$T/tls/log"; fail "making the test CA"; }
PORT=
start_nginx() {
	local try
	for try in 1 2 3 4 5; do
		[ -n "$PORT" ] || PORT=$((20000 + (RANDOM % 20000)))
		cat >"$T/nginx.conf" <<-EOF
		user $(id -un) $(id -gn);
		worker_processes 1;
		daemon off;
		pid $T/nginx.pid;
		error_log $T/logs/error.log;
		events { worker_connections 64; }
		http {
			access_log $T/logs/access.log;
			client_body_temp_path $T/tmp;
			proxy_temp_path $T/tmp;
			fastcgi_temp_path $T/tmp;
			server {
				listen 127.0.0.1:$PORT;
				listen 127.0.0.1:$((PORT + 1)) ssl;
				ssl_certificate $T/tls/srv.pem;
				ssl_certificate_key $T/tls/srv.key;
				root $T/www;
				client_max_body_size 0;
				location /vigil/ {
					if (\$http_authorization != "Bearer $TOKEN") { return 401; }
					dav_methods PUT MOVE DELETE;
					dav_access user:rw;
				}
			}
		}
		EOF
		"$NGINX" -p "$T" -c "$T/nginx.conf" -e "$T/logs/error.log" 2>>"$T/logs/start.log" &
		NGX=$!
		pids+=("$NGX")
		for _ in $(seq 50); do
			curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
			kill -0 "$NGX" 2>/dev/null || break
			sleep 0.1
		done
		kill "$NGX" 2>/dev/null
		wait "$NGX" 2>/dev/null
		PORT=
	done
	cat "$T/logs/error.log" "$T/logs/start.log"
	fail "nginx did not start"
}
stop_nginx() { kill "$NGX"; wait "$NGX" 2>/dev/null; NGX=; }

# real clips: different scenes and settings, so no two are alike
n=0
for s in person-walk pet tree-sway rain close-person; do
	"$B/tools/vigil-scene" "../tests/scenarios/$s.ini" -o "$T/$s.y4m" >/dev/null ||
		fail "vigil-scene $s"
	n=$((n + 1))
	"$B/tools/vigil-clip" encode -k $((10 + n)) "$T/$s.y4m" "$T/clip$n" >/dev/null ||
		fail "vigil-clip encode $s"
done
ID1=20261127T101500Z-0001 ID2=20261127T101600Z-0002 ID3=20261127T101700Z-0003
ID4=20261127T101800Z-0004 ID5=20261127T101900Z-0005
# close a clip as the recorder does: write .part, then rename
close_clip() { cp "$T/clip$1" "$T/clips/$2.vclip.part" && mv "$T/clips/$2.vclip.part" "$T/clips/$2.vclip"; }
arrived() { cmp -s "$T/clip$1" "$T/www/vigil/$2.vclip"; }
wait_for() { # N ID SECONDS
	for _ in $(seq $(($3 * 10))); do arrived "$1" "$2" && return 0; sleep 0.1; done
	return 1
}
# wait_err PATTERN: until vigild has said PATTERN (grep -e); 30 s only bound a
# hang. A refusal is awaited, not a fixed time: a loaded machine starts vigild
# late (step 5 once killed it before its first attempt, at 2 s).
wait_err() {
	for _ in $(seq 300); do grep -q -e "$1" "$T/err" && return 0; sleep 0.1; done
	return 1
}
PUSH=(--set "push.url=http://127.0.0.1:PORT/vigil/" --set "push.dir=$T/clips"
      --set push.retry_min_ms=250 --set push.retry_max_ms=2000)
run_vigild() { # TOKENFILE
	"$V" --source "replay:$T/person-walk.y4m" --loop --policy video-only --events /dev/null \
		"${PUSH[@]/PORT/$PORT}" --set "push.token_file=$1" 2>>"$T/err" &
	VIGILD=$!
	pids+=("$VIGILD")
}

# ---- 1. scan at start, then inotify ----
start_nginx
close_clip 1 "$ID1"
run_vigild "$T/token"
wait_for 1 "$ID1" 10 || fail "the clip present at start was not uploaded"
close_clip 2 "$ID2"
wait_for 2 "$ID2" 10 || fail "the clip closed while running was not uploaded"
[ -z "$(ls "$T/www/vigil" | grep -v '\.vclip$')" ] || fail "partial files left on the server"
for id in "$ID1" "$ID2"; do
	grep -q "\"action\":\"upload\",\"clip\":\"$id\",\"client\":\"127.0.0.1\"" \
		"$T/clips/audit.jsonl" || fail "no audit record for $id"
done
"$B/tools/vigil-clip" audit "$T/clips/audit.jsonl" | grep -q "upload.*$ID2" ||
	fail "vigil-clip audit does not show the upload"
echo "ok 1: scan and inotify: 2 clips byte-identical on nginx, audited"

# ---- 2. the server away for 20 s ----
stop_nginx
close_clip 3 "$ID3"
sleep 1
close_clip 4 "$ID4"
sleep 19
arrived 3 "$ID3" && fail "uploaded with the server stopped?"
grep -q "push: $ID3: .*retrying in" "$T/err" || fail "no retry logged"
start_nginx
wait_for 3 "$ID3" 10 || fail "$ID3 lost while the server was away"
wait_for 4 "$ID4" 10 || fail "$ID4 lost while the server was away"
echo "ok 2: server stopped 20 s: $(grep -c "retrying in" "$T/err") failed attempts, backed off, then both clips arrived"

# ---- 3. restart: the journal ----
kill "$VIGILD"
wait "$VIGILD" || fail "vigild exit status $?"
close_clip 5 "$ID5"
rm "$T/clips/$ID1.vclip"	# deleted after its upload: leaves the journal
puts_before=$(grep -c '"PUT ' "$T/logs/access.log")
run_vigild "$T/token"
wait_for 5 "$ID5" 10 || fail "the clip closed while vigild was down was not uploaded"
kill "$VIGILD"
wait "$VIGILD"
puts=$(($(grep -c '"PUT ' "$T/logs/access.log") - puts_before))
[ "$puts" = 1 ] || fail "after a restart $puts PUTs, expected 1 (the journal lost uploads)"
[ "$(cut -d' ' -f1 "$T/clips/.push-journal" | tr '\n' ' ')" = "$ID2 $ID3 $ID4 $ID5 " ] ||
	fail "journal: $(cat "$T/clips/.push-journal")"
for i in 1 2 3 4 5; do
	eval id=\$ID$i
	arrived $i "$id" || fail "$id differs on the server"
done
echo "ok 3: restart: 1 PUT (the new clip), 4 not sent again; 5 clips byte-identical; journal compacted"

# ---- 4. a wrong token ----
rm -rf "$T/clips"/* "$T/clips/.push-journal" "$T/www/vigil"/*
close_clip 1 "$ID1"
run_vigild "$T/badtoken"
wait_err "$ID1: .*HTTP 401" || fail "401 not reported"
kill "$VIGILD"
wait "$VIGILD"
[ -e "$T/www/vigil/$ID1.vclip" ] && fail "stored with a wrong token"
echo "ok 4: wrong token: HTTP 401, nothing stored"

# ---- 5. https ----
PUSH=(--set "push.url=https://127.0.0.1:$((PORT + 1))/vigil/" --set "push.dir=$T/clips"
      --set push.retry_min_ms=250 --set push.retry_max_ms=2000)
rm -rf "$T/clips"/* "$T/clips/.push-journal" "$T/www/vigil"/*
close_clip 1 "$ID1"
run_vigild "$T/token"		# the system's CAs: ours is not among them
wait_err "$ID1: HEAD https://.*SSL\|$ID1: HEAD https://.*certificate" ||
	fail "the certificate failure was not reported"
kill "$VIGILD"
wait "$VIGILD"
[ -e "$T/www/vigil/$ID1.vclip" ] && fail "uploaded to a server with an unknown certificate"
PUSH+=(--set "push.ca=$T/tls/ca.pem")
run_vigild "$T/token"
wait_for 1 "$ID1" 10 || fail "not uploaded over https with [push] ca"
kill "$VIGILD"
wait "$VIGILD"
echo "ok 5: https: refused with the system's CAs, uploaded byte-identical with [push] ca"
exit 0
