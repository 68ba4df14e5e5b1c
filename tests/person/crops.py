#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The person check on a labelled crop set, and against OpenCV's own HOG.

    crops.py FOOTAGE_DIR VIGIL_PERSON OUT_DIR

Builds the crop set at test time from OpenCV's sample videos (opencv-doc)
and synthesised shapes, runs libvigil's check (VIGIL_PERSON: the
vigil-person tool) on every box, and
 1. runs OpenCV's HOG (python3-opencv, the same default people detector and
    parameters) on each crop the shim read (dumped as PGM): the number of
    windows above the threshold and the best margin must be the same;
 2. prints recall and false-positive figures per class as JSON and fails
    unless they are within the bounds below (README "Person check").
Classes:
  people       tests/footage/people.txt: 27 pedestrians boxed by eye in 5
               frames of vtest.avi (64-146 px tall)
  people-loose the same boxes moved and resized at random (up to 20% of the
               box): what a motion blob gives
  tree         tree.avi before 22.5 s (a tree in wind, no one in view): 300
               person-sized boxes at random places and frames
  hand         tree.avi after 22.5 s (a hand comes into view, filling much
               of the frame): boxes over the whole view and its halves
  pet          synthesised: a cat-sized dark blob (ellipse body, head, tail;
               22-40 px long) pasted on vtest's grass and path
  headlights   synthesised: pairs of bright blurred discs with a light cone
               on a darkened vtest frame (night-time car)
"""
import json, math, os, random, subprocess, sys
import cv2
import numpy as np

footage, tool, out = sys.argv[1:4]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOUNDS = {  # class: (figure, bound)
    'people': ('recall', '>=', 0.90),
    'people-loose': ('recall', '>=', 0.75),
    'tree': ('false_positive_rate', '<=', 0.02),
    'hand': ('false_positive_rate', '<=', 0.15),
    'pet': ('false_positive_rate', '<=', 0.10),
    'headlights': ('false_positive_rate', '<=', 0.10),
}

def frames_of(path):
    cap = cv2.VideoCapture(path)
    res = []
    while True:
        t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        ok, f = cap.read()
        if not ok:
            break
        res.append((t, cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)))
    if not res:
        sys.exit(f'crops.py: cannot read {path}')
    return res

def write_y4m(path, frames):
    h, w = frames[0].shape
    with open(path, 'wb') as f:
        f.write(b'YUV4MPEG2 W%d H%d F10:1 Ip A1:1 Cmono\n' % (w, h))
        for fr in frames:
            f.write(b'FRAME\n')
            f.write(np.ascontiguousarray(fr, np.uint8).tobytes())

rnd = random.Random(16)
vtest = frames_of(f'{footage}/vtest.avi')
tree = frames_of(f'{footage}/tree.avi')
people = [list(map(int, l.split()[:5])) for l in open(f'{ROOT}/tests/footage/people.txt')
          if l.strip() and not l.startswith('#')]
assert len(people) >= 25, len(people)

sets = {}   # name -> (frames, [(frame index, box, class)])
# vtest frames with the people (exact and loose boxes) and synthesised shapes
vf = sorted({p[0] for p in people})
vfr = [vtest[i][1] for i in vf]
items = []
for p in people:
    fi, (x, y, w, h) = vf.index(p[0]), p[1:]
    items.append((fi, (x, y, w, h), 'people'))
    for _ in range(3):
        dw, dh = rnd.uniform(-0.2, 0.2) * w, rnd.uniform(-0.2, 0.2) * h
        nx = int(round(x + rnd.uniform(-0.2, 0.2) * w))
        ny = int(round(y + rnd.uniform(-0.2, 0.2) * h))
        nw, nh = int(round(w + dw)), int(round(h + dh))
        nx, ny = max(0, nx), max(0, ny)
        items.append((fi, (nx, ny, min(nw, 768 - nx), min(nh, 576 - ny)), 'people-loose'))
# pets: dark (or light) cat shapes on the grass and the path of a frame
# without people there
bg = vtest[0][1]
for k in range(40):
    img = bg.copy()
    L = rnd.randint(22, 40)
    cx, cy = rnd.randint(60, 700), rnd.randint(300, 540)
    tone = rnd.choice([20, 40, 200])
    cv2.ellipse(img, (cx, cy), (L // 2, L // 5), 0, 0, 360, tone, -1)
    hx = cx + (L // 2 if k % 2 else -L // 2)
    cv2.circle(img, (hx, cy - L // 5), max(3, L // 6), tone, -1)
    tx = cx - (L // 2 if k % 2 else -L // 2)
    cv2.line(img, (cx, cy), (tx - (L // 3 if k % 2 else -L // 3), cy - L // 4), tone, max(2, L // 12))
    img = cv2.GaussianBlur(img, (3, 3), 0)
    vfr.append(img)
    x0, y0 = min(cx - L // 2, tx - L // 3, hx - L // 6) - 2, cy - L // 2 - 2
    items.append((len(vfr) - 1, (max(0, x0), max(0, y0), L + L // 3 + L // 6 + 4, L // 2 + L // 5 + 4), 'pet'))
# headlights: a darkened frame, two bright discs and a cone of light
for k in range(30):
    img = (bg.astype(np.float32) * 0.15).astype(np.uint8)
    cx, cy = rnd.randint(100, 660), rnd.randint(120, 480)
    sep, r = rnd.randint(30, 90), rnd.randint(5, 12)
    cone = np.zeros_like(img)
    pts = np.array([[cx - sep, cy], [cx + sep, cy], [cx + 3 * sep, cy + 4 * r + 40],
                    [cx - 3 * sep, cy + 4 * r + 40]], np.int32)
    cv2.fillPoly(cone, [pts], 90)
    cv2.circle(img, (cx - sep // 2, cy), r, 255, -1)
    cv2.circle(img, (cx + sep // 2, cy), r, 255, -1)
    img = cv2.max(img, cv2.GaussianBlur(cone, (31, 31), 0))
    img = cv2.GaussianBlur(img, (5, 5), 0)
    vfr.append(img)
    x0, y0 = max(0, cx - 3 * sep), max(0, cy - r - 4)
    items.append((len(vfr) - 1, (x0, y0, min(6 * sep, 767 - x0), min(4 * r + 48 + r, 575 - y0)),
                  'headlights'))
sets['vtest'] = (vfr, items)
# tree.avi: foliage before 22.5 s, the hand after
tf = [f for _, f in tree]
titems = []
calm = [i for i, (t, _) in enumerate(tree) if t < 22.5]
hand = [i for i, (t, _) in enumerate(tree) if t >= 22.5]
assert len(calm) > 30 and len(hand) > 5, (len(calm), len(hand))
for _ in range(300):
    i = rnd.choice(calm)
    h = rnd.randint(40, 150)
    w = rnd.randint(h // 4, h // 2)
    titems.append((i, (rnd.randrange(0, 320 - w), rnd.randrange(0, 240 - h), w, h), 'tree'))
for i in hand:
    for b in ((0, 0, 320, 240), (0, 0, 160, 240), (160, 0, 160, 240), (40, 20, 240, 200)):
        titems.append((i, b, 'hand'))
sets['tree'] = (tf, titems)

hog = cv2.HOGDescriptor()
hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
stats = {}
mismatch = 0
ncrops = 0
for name, (frames, its) in sets.items():
    y4m = f'{out}/{name}.y4m'
    write_y4m(y4m, frames)
    cdir = f'{out}/{name}-crops'
    os.makedirs(cdir, exist_ok=True)
    inp = ''.join(f'{fi} {b[0]} {b[1]} {b[2]} {b[3]}\n' for fi, b, _ in its)
    r = subprocess.run([tool, '-d', cdir, y4m], input=inp, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f'crops.py: {tool} failed ({r.returncode}): {r.stderr}')
    lines = r.stdout.split('\n')[:-1]
    assert len(lines) == len(its), (len(lines), len(its))
    for n, (line, (fi, b, cls)) in enumerate(zip(lines, its)):
        f = line.split()
        person, score, nhits = f[5] == '1', float(f[6]), int(f[7])
        # OpenCV's own detector on the same crop, the same parameters
        crop = cv2.imread(f'{cdir}/{n}.pgm', cv2.IMREAD_GRAYSCALE)
        ncrops += 1
        if crop.shape[0] >= 128 and crop.shape[1] >= 64:
            _, wts = hog.detectMultiScale(crop, hitThreshold=0, winStride=(8, 8),
                                          padding=(8, 8), scale=1.05, groupThreshold=0)
            wts = [float(w) for w in np.array(wts).ravel()]
        else:
            wts = []
        cv_hits = sum(w > 0 for w in wts)
        cv_score = max(wts, default=-1.0)
        if cv_hits != nhits or abs(cv_score - score) > 1e-6 or person != (cv_hits > 0):
            mismatch += 1
            print(f'MISMATCH {cls} {b}: vigil {nhits} hits {score:.6f}, opencv {cv_hits} hits {cv_score:.6f}')
        s = stats.setdefault(cls, [0, 0])
        s[0] += person
        s[1] += 1

print(json.dumps({'crops': ncrops, 'opencv_mismatches': mismatch}))
ok = mismatch == 0
for cls, (figure, op, bound) in BOUNDS.items():
    hits, n = stats[cls]
    v = hits / n
    good = v >= bound if op == '>=' else v <= bound
    print(json.dumps({'class': cls, figure: round(v, 4), 'hits': hits, 'n': n,
                      'bound': f'{op} {bound}', 'ok': good}))
    ok = ok and good
sys.exit(0 if ok else 1)
