#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Try and Active frame intervals of a sensor subdev node (kernel >= 6.8).

  fivalcheck.py SUBDEV

v4l2-compliance 1.30.1 never runs its Try G/S_FRAME_INTERVAL test (it
calls it with which = ACTIVE only), so this checks what that test would:
with V4L2_SUBDEV_CLIENT_CAP_INTERVAL_USES_WHICH, the Try interval lives in
the file handle's subdev state (initialised by init_state), every
enumerated Try interval can be set and read back, setting it changes
neither the Active interval nor another file handle's Try interval, a zero
numerator or denominator is corrected, and a bad which or pad is EINVAL.
A client without the capability reads the Active interval whatever it puts
in which. Exit status 0 when all hold, 1 otherwise (naming the check),
77 when the kernel does not have the capability (before 6.8).
"""
import errno
import fcntl
import os
import struct
import sys


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord('V') << 8) | nr


FIVAL = struct.Struct('=IIIII28x')           # pad, num, den, stream, which
FIE = struct.Struct('=IIIIIIIII28x')         # index pad code w h num den which stream
FMT = struct.Struct('=II' + 'IIIII' + 'HHHH20x' + 'I28x')  # which pad, mbus fmt, stream
CAP = struct.Struct('=Q')
G_FMT = _iowr(4, FMT.size)
G_FIVAL = _iowr(21, FIVAL.size)
S_FIVAL = _iowr(22, FIVAL.size)
ENUM_FIVAL = _iowr(75, FIE.size)
S_CLIENT_CAP = _iowr(102, CAP.size)
TRY, ACTIVE = 0, 1
USES_WHICH = 1 << 1


def ioctl(fd, req, st, *vals):
    buf = bytearray(st.pack(*vals))
    fcntl.ioctl(fd, req, buf)
    return st.unpack(bytes(buf))


def g_fival(fd, which, pad=0):
    return ioctl(fd, G_FIVAL, FIVAL, pad, 0, 0, 0, which)[1:3]


def s_fival(fd, which, num, den, pad=0):
    return ioctl(fd, S_FIVAL, FIVAL, pad, num, den, 0, which)[1:3]


def errno_of(fn):
    try:
        fn()
    except OSError as e:
        return e.errno
    return 0


def check(cond, what):
    if not cond:
        print('fivalcheck: FAIL:', what)
        sys.exit(1)


def main():
    dev = sys.argv[1]
    a = os.open(dev, os.O_RDWR)
    b = os.open(dev, os.O_RDWR)
    plain = os.open(dev, os.O_RDWR)
    try:
        caps = [ioctl(fd, S_CLIENT_CAP, CAP, USES_WHICH)[0] for fd in (a, b)]
    except OSError as e:
        print('fivalcheck: VIDIOC_SUBDEV_S_CLIENT_CAP:', os.strerror(e.errno))
        sys.exit(77)
    if not all(c & USES_WHICH for c in caps):
        print('fivalcheck: kernel without V4L2_SUBDEV_CLIENT_CAP_INTERVAL_USES_WHICH')
        sys.exit(77)

    active = g_fival(a, ACTIVE)
    check(active[0] and active[1], 'Active interval %d/%d' % active)
    try0 = g_fival(a, TRY)
    check(try0[0] and try0[1], 'initial Try interval %d/%d' % try0)
    check(g_fival(b, TRY) == try0, 'the initial Try interval differs per file handle')

    fmt = ioctl(a, G_FMT, FMT, ACTIVE, 0, *([0] * 10))
    w, h, code = fmt[2], fmt[3], fmt[4]
    ivals = []
    while True:
        try:
            fie = ioctl(a, ENUM_FIVAL, FIE, len(ivals), 0, code, w, h, 0, 0, TRY, 0)
        except OSError as e:
            check(e.errno == errno.EINVAL, 'ENUM_FRAME_INTERVAL end: %s' % os.strerror(e.errno))
            break
        ivals.append((fie[5], fie[6]))
    check(len(ivals) >= 2, 'Try intervals enumerated: %s' % ivals)

    for iv in ivals:
        check(s_fival(a, TRY, *iv) == iv, 'S Try %d/%d not kept' % iv)
        check(g_fival(a, TRY) == iv, 'G Try after S Try %d/%d' % iv)
        check(g_fival(a, ACTIVE) == active, 'Active changed by S Try %d/%d' % iv)
        check(g_fival(b, TRY) == try0, "another handle's Try changed by S Try %d/%d" % iv)
        check(g_fival(plain, TRY) == active,
              'a client without the capability does not read Active')
    for num, den in ((0, ivals[0][1]), (ivals[0][0], 0)):
        got = s_fival(a, TRY, num, den)
        check(got[0] and got[1], 'S Try %d/%d gave %d/%d' % (num, den, got[0], got[1]))
    check(errno_of(lambda: g_fival(a, 7)) == errno.EINVAL, 'G which=7 is not EINVAL')
    check(errno_of(lambda: s_fival(a, 7, *active)) == errno.EINVAL, 'S which=7 is not EINVAL')
    check(errno_of(lambda: g_fival(a, TRY, pad=1)) == errno.EINVAL, 'G pad=1 is not EINVAL')
    check(errno_of(lambda: s_fival(a, TRY, *active, pad=1)) == errno.EINVAL, 'S pad=1 is not EINVAL')
    check(g_fival(a, ACTIVE) == active, 'Active interval changed')
    print('fivalcheck: %d Try intervals set and read back, Active %d/%d untouched, '
          'Try state per file handle' % (len(ivals), active[0], active[1]))


main()
