#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Is vigil's frame render preemptible? Helper of tests/vm/66-render-preempt.sh.

  preemptcheck.py fifo CPU SECONDS READY
      a SCHED_FIFO (priority 50) task pinned to CPU that wakes every 4 ms
      (a timer) for SECONDS: the real-time consumer. Creates the file READY
      once it runs as such.
  preemptcheck.py check TRACE PID
      read a tracefs trace with vigil:vigil_render_begin/end and
      sched:sched_wakeup/sched_switch; for every wakeup of PID on a CPU
      while that CPU renders a frame, see whether PID was switched in before
      the render ended (served) or only after it (held off). Prints the
      counts and the longest wakeup-to-switch time of each kind; exit
      status 0 when at least 20 such wakeups happened, at least 90% were
      served (the rest: wakeups in the last row, after the last preemption
      point) and at most a quarter of the renders that saw a wakeup held
      one off to their end, 1 otherwise (with a reason). The last rule
      catches a render whose tail has no preemption point: a task woken
      there waits for the end, and wakes no more meanwhile, so it loses
      one wakeup per render and the 90% rule alone may not see it.
"""
import os
import re
import sys
import time

LINE = re.compile(r'^\s*(?P<task>.+?)-(?P<tid>\d+)\s+\[(?P<cpu>\d+)\]\s+\S+\s+'
                  r'(?P<ts>\d+\.\d+):\s+(?P<ev>\w+):\s*(?P<rest>.*)$')


def fifo(cpu, seconds, ready):
    os.sched_setaffinity(0, {cpu})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    with open(ready, 'w') as f:
        f.write(f'{os.getpid()}\n')
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.004)
    return 0


def fields(rest):
    return dict(kv.split('=', 1) for kv in rest.split() if '=' in kv)


def check(path, pid):
    rendering = {}          # cpu -> render begin timestamp
    waiting = {}            # cpu -> wakeup of PID while that cpu renders
    late = {}               # cpu -> such a wakeup whose render ended first
    served, held = [], []   # wakeup-to-switch times, ms
    renders = []
    woke = {}               # cpu -> the current render saw a wakeup
    seen = holding = 0      # renders that saw a wakeup / held one off
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            cpu, ts, ev = int(m['cpu']), float(m['ts']), m['ev']
            if ev == 'vigil_render_begin':
                rendering[cpu] = ts
                woke[cpu] = False
            elif ev == 'vigil_render_end':
                if cpu in rendering:
                    renders.append((ts - rendering.pop(cpu)) * 1e3)
                seen += woke.pop(cpu, False)
                if cpu in waiting:
                    late[cpu] = waiting.pop(cpu)
                    holding += 1
            elif ev == 'sched_wakeup':
                a = fields(m['rest'])
                tcpu = int(a.get('target_cpu', '-1'))
                if a.get('pid') == pid and tcpu in rendering:
                    waiting.setdefault(tcpu, ts)
                    woke[tcpu] = True
            elif ev == 'sched_switch':
                a = fields(m['rest'].replace(' ==> ', ' '))
                if a.get('next_pid') != pid:
                    continue
                if cpu in waiting:
                    served.append((ts - waiting.pop(cpu)) * 1e3)
                elif cpu in late:
                    held.append((ts - late.pop(cpu)) * 1e3)
    n = len(served) + len(held)
    print(f'renders={len(renders)} render_ms_max={max(renders, default=0):.1f} '
          f'wakeups_in_render={n} served={len(served)} held_off={len(held)} '
          f'served_ms_max={max(served, default=0):.2f} '
          f'held_off_ms_max={max(held, default=0):.2f} '
          f'renders_woken={seen} renders_holding={holding}')
    if not renders:
        print('no vigil_render_begin/end pair in the trace')
        return 1
    if len(served) * 10 < n * 9:
        print(f'{len(held)} of {n} wakeups during a render waited for its end')
        return 1
    if holding * 4 > seen:
        print(f'{holding} of {seen} renders that saw a wakeup held one off '
              'to their end')
        return 1
    if n < 20:
        print(f'only {n} wakeups of the FIFO task during renders (want >= 20): '
              'not on the worker\'s CPU, or renders too short')
        return 1
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == 'fifo':
        return fifo(int(argv[2]), float(argv[3]), argv[4])
    if len(argv) == 4 and argv[1] == 'check':
        return check(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
