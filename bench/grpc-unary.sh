#!/usr/bin/env bash
# gRPC unary calls through stc, against the same calls straight to the origin: the latency stc
# adds per call at p50, p99 and p99.9, at a fixed offered rate (open loop). The origin is a
# grpc-java server (the test suite's GrpcTestServer), reached by stc as an h2c backend with gRPC
# health checks; the client is grpc-java too (bench/GrpcUnaryLatency.java). Everything runs in this
# script's session (one autogroup). A benchmark: CI never runs it.
#
#   bench/grpc-unary.sh [--rate 1000] [--seconds 20] [--rounds 3] [--warmup 45]
set -euo pipefail

rate=1000 seconds=20 rounds=3 warmup=45
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "grpc-unary.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -f target/stc.jar ] || mvn -B -q -DskipTests package
mvn -B -q -DskipTests test-compile
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-test-classpath.txt >/dev/null
cp="target/test-classes:$(cat target/bench-test-classpath.txt)"

tmp="$(mktemp -d /tmp/stc-grpc-bench.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
origin="$(free_port)" port="$(free_port)"

java -cp "$cp" bench/GrpcUnaryLatency.java server "$origin" >"$tmp/origin.log" 2>&1 &
pids+=($!)
cat >"$tmp/stc.yaml" <<YAML
state_dir: $tmp/state
backends:
  - {host: 127.0.0.1, port: $origin, protocol: h2c}
health: {grpc: true, service: test.Echo, interval: 1s}
YAML
java -XX:+UseParallelGC -jar target/stc.jar serve --config "$tmp/stc.yaml" --host 127.0.0.1 --port "$port" --admin-port 0 \
  >"$tmp/stc.log" 2>&1 &
stc_pid=$!
pids+=($stc_pid)
for _ in $(seq 150); do
  grep -q '^stc listening' "$tmp/stc.log" && grep -q 'grpc origin on' "$tmp/origin.log" && break
  sleep 0.2
done
grep -q '^stc listening' "$tmp/stc.log" || { cat "$tmp/stc.log"; exit 1; }

call() { java -cp "$cp" bench/GrpcUnaryLatency.java client "127.0.0.1:$1" "$rate" "$2"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$stc_pid/stat"; }

echo "# gRPC unary through stc vs direct, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "rate $rate calls/s, $seconds s a run, $rounds rounds after a ${warmup}s warm-up through stc; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "origin: grpc-java $(basename "$(tr ':' '\n' <<<"$cp" | grep grpc-netty-shaded | head -1)" .jar); stc: $(git log -1 --format=%h) ($(java -version 2>&1 | head -1))"
call "$port" "$warmup" >/dev/null
call "$origin" 10 >/dev/null
hz="$(getconf CLK_TCK)"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="direct stc"; else order="stc direct"; fi
  for t in $order; do
    if [ "$t" = direct ]; then
      echo "round $r direct  $(call "$origin" "$seconds")"
    else
      before="$(cpu_ticks)"
      line="$(call "$port" "$seconds")"
      after="$(cpu_ticks)"
      # stc's CPU over the whole run, the client's 5 s warm-up included.
      echo "round $r stc     $line  stc CPU $(awk -v t="$((after - before))" -v hz="$hz" -v n="$((rate * (seconds + 5)))" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }') us/call"
    fi
  done
done
