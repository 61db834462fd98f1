#!/usr/bin/env bash
# What tracing costs the data plane: stc with `tracing` off, at 1% and at 100% (every request a
# server and a client span, sent to a collector), side by side at a fixed offered rate.
#
# Usage: bench/tracing.sh [--rate 10000] [--rounds 4] [--duration 10] [--warmup 40] [--targets "off sample1 sample100"]
#
# A target named off (or off-2, off-3: more processes alike, to see how much two JVMs with the same
# configuration differ) runs without tracing; sampleN with tracing at N%.
#
# Everything runs in this script's session (the shared arrangement): one nginx origin
# (bench/origin.conf), one nginx answering OTLP/HTTP exports 200 (a collector that keeps nothing,
# so the figures are stc's side of it), and the three stc processes, each warmed up at the rate for
# --warmup seconds, then measured in interleaved rounds with h2load --h1 -t2 -c64 --rps, open loop.
# Per round: requests per second, p50/p99/p99.9 from h2load's per-request log, and the stc
# process's CPU (user + system, all threads) per request from /proc. Needs target/stc.jar, nginx
# and h2load (nghttp2-client). Not a test: it measures, it asserts nothing.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/target/stc.jar"
rate=10000 rounds=4 duration=10 warmup=40 target_list="off sample1 sample100"
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --targets) target_list="$2"; shift 2 ;;
    *) echo "tracing.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$jar" ] || { echo "tracing.sh: build target/stc.jar first (mvn -DskipTests package)" >&2; exit 2; }
for c in nginx h2load java; do
  command -v "$c" >/dev/null || { echo "tracing.sh: needs $c" >&2; exit 2; }
done

tmp="$(mktemp -d)"
declare -a pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

origin_port="$(free_port)"
sed -e "s|@NAME@|origin|g" -e "s|@PORT@|$origin_port|g" -e "s|@DIR@|$tmp|g" -e "s|@BODY3@|abc|g" \
  -e "s|@BODY1024@|$(head -c 1024 /dev/zero | tr '\0' x)|g" "$root/bench/origin.conf" >"$tmp/origin.conf"
nginx -c "$tmp/origin.conf" -p "$tmp" >"$tmp/origin.log" 2>&1 &
pids+=($!)

collector_port="$(free_port)"
cat >"$tmp/collector.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/collector.pid;
error_log $tmp/collector.error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/collector-body;
  client_max_body_size 64m;
  server {
    listen 127.0.0.1:$collector_port;
    location = /v1/traces { return 200; }
  }
}
EOF
nginx -c "$tmp/collector.conf" -p "$tmp" >"$tmp/collector.log" 2>&1 &
pids+=($!)

declare -A port=() pid=()
read -r -a targets <<<"$target_list"
for t in "${targets[@]}"; do
  port[$t]="$(free_port)"
  admin="$(free_port)"
  {
    echo "backends: [{host: 127.0.0.1, port: $origin_port}]"
    echo "health: {enabled: false}"
    echo "admin: {port: $admin}"
    echo "state_dir: $tmp/state-$t"
    case "$t" in
      off | off-*) ;;
      sample*) echo "tracing: {endpoint: 'http://127.0.0.1:$collector_port/v1/traces', sample: ${t#sample}%}" ;;
      *) echo "tracing.sh: --targets: expected off, off-N or sampleN, got '$t'" >&2; exit 2 ;;
    esac
  } >"$tmp/$t.yaml"
  java -XX:+UseParallelGC -jar "$jar" serve --config "$tmp/$t.yaml" --host 127.0.0.1 --port "${port[$t]}" >"$tmp/$t.log" 2>&1 &
  pid[$t]=$!
  pids+=("${pid[$t]}")
done
for t in "${targets[@]}"; do
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:${port[$t]}/b3" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:${port[$t]}/b3" >/dev/null || { echo "tracing.sh: stc ($t) did not start:" >&2; cat "$tmp/$t.log" >&2; exit 1; }
done

cpu_ticks() {
  local t=0 f
  for f in /proc/"$1"/task/*/stat; do
    t=$((t + $(sed 's/.*) //' "$f" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
  done
  echo "$t"
}
hz="$(getconf CLK_TCK)"
rps_per_conn="$(awk -v r="$rate" 'BEGIN { printf "%.3f", r / 64 }')"

load() {
  h2load --h1 -t2 -c64 --rps="$rps_per_conn" -D "$2" --log-file="$3.log" "http://127.0.0.1:${port[$1]}/b3" >"$3" 2>&1
}

echo "tracing.sh: stc $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $rate req/s offered, $rounds rounds of ${duration}s after ${warmup}s each"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "${targets[@]}"; do
  load "$t" "$warmup" "$tmp/warm-$t"
done
printf '| round | target | req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req |\n|---|---|---|---|---|---|---|\n'
for r in $(seq 1 "$rounds"); do
  for t in "${targets[@]}"; do
    out="$tmp/r$r-$t"
    c0="$(cpu_ticks "${pid[$t]}")"
    load "$t" "$duration" "$out"
    c1="$(cpu_ticks "${pid[$t]}")"
    rps="$(awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($i == "req/s,") print $(i - 1) }' "$out")"
    read -r p50 p99 p999 < <(awk '{ print $3 }' "$out.log" | sort -n | awk '
      { a[NR] = $1 }
      function q(p,   i) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return a[i] / 1000 }
      END { printf "%.2f %.2f %.2f\n", q(0.5), q(0.99), q(0.999) }')
    cpu="$(awk -v t=$((c1 - c0)) -v hz="$hz" -v r="$rps" -v d="$duration" 'BEGIN { printf "%.1f", t / hz * 1e6 / (r * d) }')"
    printf '| %d | %s | %s | %s | %s | %s | %s |\n' "$r" "$t" "$rps" "$p50" "$p99" "$p999" "$cpu"
  done
done
for t in "${targets[@]}"; do
  [[ "$t" == sample* ]] || continue
  admin="$(sed -n 's/^admin: {port: \([0-9]*\)}/\1/p' "$tmp/$t.yaml")"
  echo "$t: $(curl -fs "http://127.0.0.1:$admin/metrics" | grep '^stc_trace_spans_total' | tr '\n' ' ')"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
