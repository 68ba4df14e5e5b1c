#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/vm/65-vigild-mjpeg-colour.sh's checker.

mjpegcheck.py REF_A REF_B W H GO JPEGS LIVE: REF_A is ffmpeg's decode of the 4:2:2
JPEGs (yuvj422p frames), REF_B of the same as 4:2:0 (yuvj420p). Once the
file GO exists it names the exported clips (Y4M, C422): every frame of
them must be the decode of one JPEG (B: chroma rows doubled, as vigild
converts 4:2:0 to a 4:2:2 stream) within 1 per sample on at most 5% of the
samples, with colour, and frames of both sets must be there. LIVE (a
capture of /api/live.mjpeg) must hold images, each byte for byte one of
the JPEG files in JPEGS. Prints what it found; exits 1 on the first frame
that is not a decoded JPEG or image that is not a camera's JPEG.
"""
import os
import sys
import time

import numpy as np
ra, rb, w, h, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
jdir, live = sys.argv[6], sys.argv[7]
luma, c422, c420 = w * h, w // 2 * h, w // 2 * (h // 2)
a = np.fromfile(ra, np.uint8).reshape(-1, luma + 2 * c422).astype(np.int16)
b = np.fromfile(rb, np.uint8).reshape(-1, luma + 2 * c420)
# B as the stream's 4:2:2: each chroma row twice
def doubled(f):
    y = f[:luma]
    u = f[luma:luma + c420].reshape(h // 2, w // 2).repeat(2, axis=0).ravel()
    v = f[luma + c420:].reshape(h // 2, w // 2).repeat(2, axis=0).ravel()
    return np.concatenate([y, u, v])
b = np.array([doubled(f) for f in b]).astype(np.int16)
refs = np.concatenate([a, b])
sample = refs[:, :luma:97]
# the clips to check: the lines of @go, once it exists
for _ in range(2400):
    if os.path.exists(go):
        break
    time.sleep(0.1)
else:
    print('no list of clips in %s after 240 s' % go); sys.exit(1)
clips = open(go).read().split()
seen = {'A': 0, 'B': 0}
worst = 0
total = 0
for path in clips:
    data = open(path, 'rb').read()
    nl = data.index(b'\n')
    if b' C422' not in data[:nl]:
        print('%s: not a 4:2:2 Y4M: %r' % (path, data[:nl])); sys.exit(1)
    frames = data[nl + 1:].split(b'FRAME\n')[1:]
    for k, fr in enumerate(frames):
        f = np.frombuffer(fr, np.uint8).astype(np.int16)
        if f.size != luma + 2 * c422:
            print('%s: frame %d has %d bytes' % (path, k, f.size)); sys.exit(1)
        # candidates by a sample of the luma, then the whole frame
        near = np.abs(sample - f[:luma:97]).sum(axis=1).argsort()[:4]
        d = np.abs(refs[near] - f)
        j = int(near[int(d.sum(axis=1).argmin())])
        d = np.abs(refs[j] - f)
        dmax, frac = int(d.max()), float((d > 0).mean())
        if dmax > 1 or frac > 0.05:
            print('%s: frame %d is no decoded JPEG: nearest %s%d differs by up to %d on '
                  '%.1f%% of the samples' % (path, k, 'AB'[j // 40], j % 40 + 1, dmax,
                                             100 * frac)); sys.exit(1)
        cb = f[luma:luma + c422]
        if int(cb.max()) - int(cb.min()) < 16:
            print('%s: frame %d: flat chroma' % (path, k)); sys.exit(1)
        seen['AB'[j // 40]] += 1
        worst = max(worst, frac)
        total += 1
if not seen['A'] or not seen['B']:
    print('frames of both sets needed: %d of 4:2:2 A, %d of 4:2:0 B' % (seen['A'], seen['B']))
    sys.exit(1)
# the live stream: multipart parts, each a JPEG file as the camera sent it
jpegs = set(open(os.path.join(jdir, n), 'rb').read() for n in os.listdir(jdir)
            if n.endswith('.jpg'))
data = open(live, 'rb').read() if os.path.exists(live) else b''
parts = 0
pos = data.find(b'Content-Length: ')
while pos >= 0:
    end = data.index(b'\r\n', pos)
    n = int(data[pos + 16:end])
    body = data.index(b'\r\n\r\n', pos) + 4
    if len(data) < body + n:
        break  # cut by curl's time limit
    if data[body:body + n] not in jpegs:
        print('live image %d (%d bytes) is not one of the camera\'s JPEGs' % (parts, n))
        sys.exit(1)
    parts += 1
    pos = data.find(b'Content-Length: ', body + n)
if not parts:
    print('no image in %s (%d bytes)' % (live, len(data))); sys.exit(1)
print('%d frames in %d clips: %d of 4:2:2 A, %d of 4:2:0 B, each ffmpeg\'s decode within 1 '
      '(at most %.2f%% of a frame\'s samples differ); %d live images, each a camera JPEG '
      'byte for byte' % (total, len(clips), seen['A'], seen['B'], 100 * worst, parts))
