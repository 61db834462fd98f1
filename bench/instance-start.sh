#!/usr/bin/env bash
# How soon a new autoscaled instance of `stc backend` answers (issue 20): launches the demo's own
# instance command N times each without and with a class-data sharing archive (trained here the
# way the process provider trains it: -XX:ArchiveClassesAtExit, one request and a health check,
# SIGTERM), and reports for each launch the time to its first `GET /health` answer and the CPU
# it used until then, with the medians. Alternating launches, one at a time.
# A benchmark, not a test: timings on a shared 2-core machine are only indicative.
#   bench/instance-start.sh [--launches 9]
set -euo pipefail
cd "$(dirname "$0")/.."
launches=9
while [ $# -gt 0 ]; do
  case "$1" in
    --launches) launches=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
jar=$(pwd)/target/stc.jar
[ -f "$jar" ] || (mvn -B -q -DskipTests package >&2)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The flags of AutoscaleConfig.Provider.demoBackendCommand().
flags=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -Xmx64m -cp "$jar" io.stc.cli.Main backend --delay 0.05)
python3 - "$work" "$launches" "${flags[@]}" <<'PY'
import os, socket, statistics, subprocess, sys, time, urllib.request
work, launches, flags = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]
def get(port, path, timeout=1):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout).read()
def launch(extra):
    port = free_port()
    t0 = time.monotonic()
    p = subprocess.Popen(["java", *extra, *flags, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            get(port, "/health"); break
        except Exception:
            if p.poll() is not None: raise SystemExit("the instance exited")
            time.sleep(0.005)
    served = time.monotonic() - t0
    stat = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return p, port, served, cpu
archive = os.path.join(work, "instance.jsa")
p, port, _, _ = launch([f"-XX:ArchiveClassesAtExit={archive}"])
get(port, "/"); get(port, "/health")
p.terminate(); p.wait(60)
if not os.path.getsize(archive): raise SystemExit("no archive was written")
rows = {"without archive": [], "with archive": []}
for i in range(launches):
    for name, extra in (("without archive", []), ("with archive", [f"-XX:SharedArchiveFile={archive}"])):
        p, _, served, cpu = launch(extra)
        p.terminate(); p.wait(60)
        rows[name].append((served, cpu))
for name, r in rows.items():
    served = [s for s, _ in r]; cpu = [c for _, c in r]
    print(f"{name:16} first answer ms: {' '.join(f'{s*1000:.0f}' for s in served)}")
    print(f"{'':16} cpu ms:          {' '.join(f'{c*1000:.0f}' for c in cpu)}")
    print(f"{'':16} median {statistics.median(served)*1000:.0f} ms to the first answer, {statistics.median(cpu)*1000:.0f} ms of CPU")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
