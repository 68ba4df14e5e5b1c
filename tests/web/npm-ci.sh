#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# puppeteer-core exactly as tests/web/package-lock.json pins it, installed
# with `npm ci` into build/web-test (npm's cache under ~/.cache/vigil);
# nothing is done when that tree already matches the lock. Prints the
# node_modules directory.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$ROOT/build/web-test
mkdir -p "$W" "$HOME/.cache/vigil/npm"
if ! cmp -s "$ROOT/tests/web/package-lock.json" "$W/package-lock.json" ||
	[ ! -d "$W/node_modules/puppeteer-core" ]; then
	cp "$ROOT/tests/web/package.json" "$ROOT/tests/web/package-lock.json" "$W/"
	(cd "$W" && npm ci --cache "$HOME/.cache/vigil/npm" --prefer-offline \
		--no-audit --no-fund --loglevel=error) >&2
fi
echo "$W/node_modules"
