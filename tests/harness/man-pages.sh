#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# man/*: every page renders with `groff -ww -man -Tutf8` and passes
# `mandoc -Tlint` without a message; every long option a program's --help
# lists is documented in its page (the programs from build/userspace).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${VIGIL_BUILD:-$ROOT/build/userspace}
rc=0
fail() { echo "man-pages: FAIL: $*" >&2; rc=1; }
n=0
for p in "$ROOT"/man/*.[1-8]; do
	n=$((n + 1))
	name=$(basename "$p")
	out=$(groff -ww -man -Tutf8 "$p" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "groff -ww on $name: $out"
	groff -man -Tascii -P-cbou "$p" 2>/dev/null | grep -qx NAME || fail "$name renders no NAME section"
	if command -v mandoc >/dev/null; then
		out=$(mandoc -Tlint "$p" 2>&1)
		[ -z "$out" ] || fail "mandoc -Tlint on $name: $out"
	fi
done
[ $n -ge 5 ] || fail "expected at least 5 man pages, found $n"

# --help options against the pages.
for t in vigild:8 vigil-lat:1 vigil-scene:1 vigil-person:1; do
	prog=${t%:*}
	page=$ROOT/man/$prog.${t#*:}
	bin=$BIN/$prog
	[ -x "$bin" ] || bin=$BIN/tools/$prog
	[ -x "$bin" ] || { fail "$prog not built in $BIN (make userspace)"; continue; }
	help=$("$bin" --help 2>&1)
	text=$(groff -man -Tascii -P-cbou "$page" 2>/dev/null)
	opts=$(echo "$help" | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	[ -n "$opts" ] || { fail "$prog --help lists no option"; continue; }
	for o in $opts; do
		grep -qF -- "$o" <<<"$text" || fail "$prog --help has $o, $prog.${t#*:} does not"
	done
	echo "$prog: $(echo "$opts" | wc -l) options of --help documented"
done
# vigil-clip: every command of its --help has a section in its page.
bin=$BIN/tools/vigil-clip
if [ -x "$bin" ]; then
	text=$(groff -man -Tascii -P-cbou "$ROOT/man/vigil-clip.1" 2>/dev/null)
	cmds=$("$bin" --help 2>&1 | sed -n '/^Commands:/,/^$/p' | awk '/^  [a-z]+ / {print $1}')
	[ -n "$cmds" ] || fail "vigil-clip --help lists no command"
	for c in $cmds; do
		grep -qE "^ {7}$c( |$)" <<<"$text" || fail "vigil-clip --help has $c, vigil-clip.1 does not"
	done
	echo "vigil-clip: $(echo "$cmds" | wc -w) commands of --help documented"
else
	fail "vigil-clip not built in $BIN (make userspace)"
fi
[ $rc = 0 ] && echo "ok: $n man pages render without warnings"
exit $rc
