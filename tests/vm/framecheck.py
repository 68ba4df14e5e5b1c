#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Frame comparisons for vigil's VM tests.

  framecheck.py replay SRC.raw CAP [SEQS]
      every captured frame equals a source frame byte for byte; with SEQS
      (vtool "seq N" lines) frame i must be source frame seq_i % nframes,
      without, consecutive captured frames must be consecutive source frames.
  framecheck.py mask SRC.raw CAP SEQS FOURCC L,T,W,H...
      in every frame each masked pixel is black (Y=16, chroma 128) and every
      other pixel equals the source (rectangles must be even-aligned).
  framecheck.py same CAP_A SEQS_A CAP_B SEQS_B FRAMESIZE
      frames with the same sequence number are identical (prints the count).
Exit status 0 when the check holds, 1 otherwise (with a reason).
"""
import sys


def read_raw(path):
    with open(path, 'rb') as f:
        data = f.read()
    nl = data.index(b'\n')
    magic, fcc, w, h = data[:nl].decode().split()
    assert magic == 'VIGIL-RAW', magic
    w, h = int(w), int(h)
    size = w * h * 3 // 2 if fcc == 'NV12' else w * h
    body = data[nl + 1:]
    n = len(body) // size
    return fcc, w, h, [body[i * size:(i + 1) * size] for i in range(n)]


def read_frames(path, size):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) % size:
        die(f'{path}: {len(data)} bytes is not a multiple of {size}')
    return [data[i:i + size] for i in range(0, len(data), size)]


def read_seqs(path):
    with open(path) as f:
        return [int(l.split()[1]) for l in f if l.startswith('seq ')]


def die(msg):
    print('framecheck: ' + msg)
    sys.exit(1)


def cmd_replay(args):
    fcc, w, h, src = read_raw(args[0])
    cap = read_frames(args[1], len(src[0]))
    if not cap:
        die('no frame captured')
    if len(args) > 2:
        seqs = read_seqs(args[2])
        if len(seqs) != len(cap):
            die(f'{len(seqs)} sequence numbers for {len(cap)} frames')
        for i, (frame, seq) in enumerate(zip(cap, seqs)):
            if frame != src[seq % len(src)]:
                die(f'frame {i} (seq {seq}) differs from source frame {seq % len(src)}')
    else:
        index = {}
        for k, frame in enumerate(src):
            index.setdefault(frame, k)
        prev = None
        for i, frame in enumerate(cap):
            k = index.get(frame)
            if k is None:
                die(f'captured frame {i} matches no source frame')
            if prev is not None and k != (prev + 1) % len(src):
                die(f'captured frame {i} is source frame {k}, expected {(prev + 1) % len(src)}')
            prev = k
    print(f'framecheck: {len(cap)} frames equal to the source ({fcc} {w}x{h}, {len(src)} source frames)')


def cmd_mask(args):
    fcc_src, w, h, src = read_raw(args[0])
    fcc = args[3]
    size = w * h * 3 // 2 if fcc == 'NV12' else w * h
    cap = read_frames(args[1], size)
    seqs = read_seqs(args[2])
    rects = [tuple(int(v) for v in r.split(',')) for r in args[4:]]
    if any(v % 2 for r in rects for v in r):
        die('rectangles must be even-aligned')
    # per row: sorted, merged masked column ranges, clipped to the frame
    rows = []
    for y in range(h):
        spans = sorted((l, min(l + rw, w)) for l, t, rw, rh in rects
                       if t <= y < t + rh and l < w)
        merged = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        rows.append(merged)
    nmask = sum(b - a for r in rows for a, b in r)
    if not cap or len(seqs) != len(cap):
        die('capture and sequence log do not match')
    hidden = 0
    for i, (frame, seq) in enumerate(zip(cap, seqs)):
        s = src[seq % len(src)]
        planes = [(0, w, h, rows, 16)]
        if fcc == 'NV12':
            # CbCr plane: row y covers luma rows 2y, 2y+1 (even-aligned)
            planes.append((w * h, w, h // 2, rows[::2], 128))
        for base, stride, nrows, spans_of, black in planes:
            for y in range(nrows):
                off = base + y * stride
                x = 0
                for a, b in spans_of[y] + [(stride, stride)]:
                    if frame[off + x:off + a] != (s[off + x:off + a] if base == 0 or fcc_src == 'NV12'
                                                  else bytes([128]) * (a - x)):
                        die(f'frame {i}: unmasked bytes differ from the source in plane row {y}, x {x}..{a}')
                    if frame[off + a:off + b] != bytes([black]) * (b - a):
                        die(f'frame {i}: masked bytes not {black} in plane row {y}, x {a}..{b}')
                    if base == 0:
                        hidden += s[off + a:off + b] != bytes([16]) * (b - a)
                    x = b
    if not hidden:
        die('the masked area of the source was already black: test proves nothing')
    print(f'framecheck: {len(cap)} {fcc} frames, {nmask} masked pixels black, the rest equal to the source')


def cmd_same(args):
    size = int(args[4])
    a, sa = read_frames(args[0], size), read_seqs(args[1])
    b, sb = read_frames(args[2], size), read_seqs(args[3])
    fa = dict(zip(sa, a))
    common = 0
    for seq, frame in zip(sb, b):
        if seq in fa:
            common += 1
            if fa[seq] != frame:
                die(f'frame with sequence {seq} differs between the runs')
    if common < len(b) * 9 // 10:
        die(f'only {common} of {len(b)} sequence numbers in common')
    print(f'framecheck: {common} frames identical between the runs')


def main():
    if len(sys.argv) < 2:
        die('usage: see the source')
    cmd = {'replay': cmd_replay, 'mask': cmd_mask, 'same': cmd_same}.get(sys.argv[1])
    if not cmd:
        die('unknown command ' + sys.argv[1])
    cmd(sys.argv[2:])


if __name__ == '__main__':
    main()
