#!/usr/bin/env bash
# A real autoscaling run and its simulation, side by side: stc serve (in one JVM) scales stc backend
# --service-time processes through the process provider while stc load sends the pattern; then
# stc simulate runs the same scenario with the start-up time the real instances took. Prints
# instance-seconds and success both ways and their ratios, both timelines, the real start-ups by
# how many instances started together, and both event logs. Before the measured run, --warmup
# (default 45s) of the pattern's mean rate through a throwaway stc with a fixed pool of the same
# instances compiles stc's and the client's code and makes the instances' class-data archive; the
# measured stc starts with a new autoscaler that learned nothing from it (see RealRun). A benchmark, not a test: CI runs only
# the small RealVsSimulatedIT. Needs a quiet machine: the load, stc and up to MAX instances share it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
pattern=sine rate=300 duration=10m min=2 max=30 capacity=2-5 service=50ms slo="" warmup=45s

usage() {
  cat <<EOF2
Usage: bench/autoscale-real.sh [--pattern sine] [--rate 300] [--duration 10m] [--min 2] [--max 30]
                               [--capacity 2-5] [--service-time 50ms] [--slo 500ms] [--warmup 45s]
EOF2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --pattern) pattern="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --min) min="$2"; shift 2 ;;
    --max) max="$2"; shift 2 ;;
    --capacity) capacity="$2"; shift 2 ;;
    --service-time) service="$2"; shift 2 ;;
    --slo) slo="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/autoscale-real.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

cd "$root"
# package: the instances run from target/stc.jar, as a user's do (a class path with directories gets
# no class-data archive, so they would start about twice as slowly)
mvn -B -q -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt >&2
echo "# bench/autoscale-real.sh $pattern $rate req/s for $duration, instances $min..$max, capacity $capacity, service $service${slo:+, slo $slo}, warm-up $warmup" >&2
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec java -XX:+UseParallelGC -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  io.stc.scale.RealRun "$pattern" "$rate" "$duration" "$min" "$max" "$capacity" "$service" "${slo:--}" "$warmup"
