#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# userspace/vigild.service: `systemd-analyze verify` finds nothing wrong
# with it (ExecStart pointed at the built vigild), the offline security
# audit rates it no worse than 2.0 ("OK"), and the network rules are what
# the README promises: loopback only, no PrivateNetwork (the HTTP API and
# the owner's page must be reachable from this host), address families
# limited to UNIX and IP.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${VIGIL_BUILD:-$ROOT/build/userspace}
UNIT=$ROOT/userspace/vigild.service
rc=0
fail() { echo "unit-file: FAIL: $*" >&2; rc=1; }
command -v systemd-analyze >/dev/null || { fail "systemd-analyze is missing (scripts/deps installs systemd)"; exit 1; }
[ -x "$BIN/vigild" ] || { fail "$BIN/vigild is not built"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=/usr/sbin/vigild|ExecStart=$BIN/vigild|" "$UNIT" >"$tmp/vigild.service"
grep -q "^ExecStart=$BIN/vigild" "$tmp/vigild.service" || fail "no ExecStart=/usr/sbin/vigild line to check"

out=$(systemd-analyze verify --man=no "$tmp/vigild.service" 2>&1) || fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"

sec=$(systemd-analyze security --offline=true --no-pager "$tmp/vigild.service" 2>&1)
level=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for vigild.service: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
	fail "no exposure level in systemd-analyze security's output: $sec"
elif ! awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
	fail "exposure level $level > 2.0"
fi

val() { sed -n "s/^$1=//p" "$UNIT"; }
[ "$(val IPAddressDeny)" = any ] || fail "IPAddressDeny is not 'any'"
[ "$(val IPAddressAllow)" = localhost ] || fail "IPAddressAllow is not 'localhost'"
[ "$(val RestrictAddressFamilies)" = "AF_UNIX AF_INET AF_INET6" ] ||
	fail "RestrictAddressFamilies is not 'AF_UNIX AF_INET AF_INET6'"
grep -q '^PrivateNetwork=yes' "$UNIT" && fail "PrivateNetwork=yes would hide the loopback HTTP API from this host"

[ $rc = 0 ] && echo "unit-file: ok: verify clean, exposure $level, loopback only"
exit $rc
