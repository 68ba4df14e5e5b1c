# SPDX-License-Identifier: GPL-2.0
"""The part of an `strace -f -y` log in which vigild's loop ran (for
test-rec-io.sh and test-audit.sh): from the loop thread's first
io_uring_enter to its write of the final "vigild: stats" line."""
import re

CALL = re.compile(r'^(\d+) +([a-z0-9_]+)\((.*)')


def window(lines, loop):
    """Lines [start, end) of @lines (the log) for loop thread @loop."""
    start = end = None
    for i, l in enumerate(lines):
        m = CALL.match(l)
        if not m or m.group(1) != loop:
            continue
        if start is None and m.group(2) == 'io_uring_enter':
            start = i
        if start is not None and m.group(2) == 'write' and 'vigild: stats' in l:
            end = i
            break
    assert start is not None and end is not None, ('window', start, end)
    return lines[start:end]
