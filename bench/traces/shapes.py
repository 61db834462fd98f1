#!/usr/bin/env python3
"""Five trace shapes production traffic has and stc simulate's patterns do not, written into DIR
(default: the current directory) for `stc simulate --compare --trace FILE` and `stc load --trace`:

  diurnal.csv  a day squeezed into six hours, one point a minute, Unix times, a header line
  onoff.txt    a serverless-like service: idle for 1-5 minutes, then 50-600 req/s for 0.5-4 minutes
  flash.txt    a flash crowd: 100 req/s, then 3,000 within 10 s, decaying over ten minutes
  trickle.txt  0-1 req/s
  lognorm.txt  800 req/s with heavy-tailed second-to-second noise (lognormal, sigma 0.4)

Seeded (random.Random(7)): the same files every time. Results: bench/RESULTS.md."""
import math
import os
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "."
rnd = random.Random(7)


def write(name, lines):
    with open(os.path.join(out, name), "w") as f:
        f.write("".join(lines))


lines = ["timestamp,requests_per_second\n"]
for m in range(360):
    h = m / 360 * 24
    base = 300 + 250 * math.sin((h - 9) / 24 * 2 * math.pi) + 80 * math.exp(-((h - 12.5) ** 2) / 0.5)
    lines.append("%d,%.2f\n" % (1700000000 + m * 60, max(5, base * (1 + rnd.gauss(0, 0.05)))))
write("diurnal.csv", lines)

lines, t = [], 0
while t < 3600:
    off, on, level = rnd.randint(60, 300), rnd.randint(30, 240), rnd.choice([50, 150, 300, 600])
    lines += ["0\n"] * off + ["%.1f\n" % (level * (1 + rnd.gauss(0, 0.1))) for _ in range(on)]
    t += off + on
write("onoff.txt", lines)

lines = []
for s in range(2400):
    r = 100 if s < 600 else 100 + (s - 600) * 290 if s < 610 else 100 + 2900 * math.exp(-(s - 610) / 300)
    lines.append("%.1f\n" % (r * (1 + rnd.gauss(0, 0.03))))
write("flash.txt", lines)

write("trickle.txt", ["%.2f\n" % (0.5 + 0.5 * math.sin(s / 300)) for s in range(1800)])
write("lognorm.txt", ["%.1f\n" % (800 * rnd.lognormvariate(0, 0.4)) for s in range(1800)])
