#!/usr/bin/env bash
# The autoscaling matrix: every traffic pattern at several rates and seeds through every scaling
# policy, in stc's simulator (virtual time, CPU-bound: figures do not depend on how busy the
# machine is, only the wall time does). A benchmark, not a test: CI never runs it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
patterns=(steady burst gradual random spike sine)
rates=(50 400 2000)
seeds=(1 2 3)
duration=30m
out=""
policy=""
extra=()
command_line="bench/autoscale.sh${*:+ $*}"

usage() {
  cat <<EOF
Usage: bench/autoscale.sh [--patterns "steady sine"] [--rates "50 400"] [--seeds "1 2 3"]
                          [--duration 30m] [--policy NAME] [--out DIR] [-- extra stc simulate flags]

Runs  stc simulate --compare --json --pattern P --rate R --seed S --duration D --max M
for every pattern P, rate R and seed S, with M large enough for the pattern's peak (a pool
of instances that each serve 25 req/s, plus 10), and prints per pattern, rate and policy:
the lowest success rate over the seeds, requests rejected because the queue was full, the
highest p99, the mean instance-seconds over the oracle's lower bound, scale events per hour,
the most changes of direction of the pool, and the latest scale event. Each run's JSON goes to
DIR (default: a new directory under /tmp).

Defaults: patterns ${patterns[*]}, rates ${rates[*]}, seeds ${seeds[*]}, duration $duration,
every policy (--policy NAME runs only that one).
Flags after -- go to every stc simulate (e.g. -- --startup-delay 20s --slo 500ms).
Needs jq.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --patterns) read -r -a patterns <<<"$2"; shift 2 ;;
    --rates) read -r -a rates <<<"$2"; shift 2 ;;
    --seeds) read -r -a seeds <<<"$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --policy) policy="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/autoscale.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

command -v jq >/dev/null || { echo "bench/autoscale.sh: needs jq (apt-get install jq)" >&2; exit 2; }
jar="$root/target/stc.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$root/src" "$root/pom.xml" -newer "$jar" -print -quit)" ]; then
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi
if [ -n "$policy" ]; then which=(--policy "$policy"); else which=(--compare); fi
out="${out:-$(mktemp -d /tmp/stc-autoscale.XXXXXX)}"
mkdir -p "$out"

# Peak rate over the nominal one, per pattern (see the README's pattern table).
peak() {
  case "$1" in
    spike) echo 10 ;;
    burst) echo 3 ;;
    random) echo 2 ;;
    sine) echo 1.8 ;;
    *) echo 1 ;;
  esac
}

echo "# $command_line" >&2
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), results in $out" >&2
started=$(date +%s)
for pattern in "${patterns[@]}"; do
  for rate in "${rates[@]}"; do
    max=$(awk -v p="$(peak "$pattern")" -v r="$rate" 'BEGIN { m = p * r / 25; print int(m) + (m > int(m)) + 10 }')
    for seed in "${seeds[@]}"; do
      file="$out/$pattern-$rate-$seed.json"
      java -XX:+UseParallelGC -jar "$jar" simulate "${which[@]}" --json --pattern "$pattern" --rate "$rate" \
        --seed "$seed" --duration "$duration" --max "$max" ${extra[@]+"${extra[@]}"} >"$file"
      echo "# $pattern $rate seed $seed (max $max): $(jq -r '[.runs[] | "\(.policy) \(.wallSeconds)s"] | join(", ")' "$file")" >&2
    done
  done
done

printf '| pattern | rate | policy | success (lowest) | queue full | p99 ms (highest) | instance-s / oracle (mean) | scale events / h (mean) | direction changes (most) | last scale event s (latest) |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for pattern in "${patterns[@]}"; do
  for rate in "${rates[@]}"; do
    jq -s -r --arg pattern "$pattern" --arg rate "$rate" '
      (.[0].model.durationSeconds / 3600) as $hours
      | [.[].runs[]] | group_by(.policy) | sort_by(.[0].policy | {"slo":0,"concurrency":1,"target":2,"threshold":3,"rps":4}[.])
      | .[] | "| \($pattern) | \($rate) | \(.[0].policy) | \(map(.successRate) | min * 100 | . * 100 | round / 100)% | \(map(.rejected.queueFull) | add) | \(map(.latencyMillis.p99) | max | round) | \(map(.costRatio) | add / length * 100 | round / 100) | \(map((.scaleUps + .scaleDowns) / $hours) | add / length | round) | \(map(.directionChanges) | max) | \(map(.lastScaleSeconds) | max | round) |"
    ' "$out/$pattern-$rate-"*.json
  done
done
echo "# $(( $(date +%s) - started )) s in all" >&2
