#!/usr/bin/env bash
# Tail latency by algorithm through the real proxy: 10 backends whose delays are spread from
# 1 ms to 100 ms, a closed loop of 50 concurrent clients, p50/p99/p99.9 per algorithm.
# A benchmark, not a test: run it on a quiet machine and compare algorithms within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/stc.jar
[ -f "$jar" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 1; }
requests=${REQUESTS:-20000}
algorithms=${ALGORITHMS:-"round_robin least_connections least_response_time power_of_two"}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

backend_args=()
for i in $(seq 0 9); do
  # 1, 12, 23, ... 100 ms
  delay=$(python3 -c "print(round((1 + $i * 11) / 1000, 3))")
  port=$(free_port)
  java -Xmx64m -jar "$jar" backend --port "$port" --name "b$i" --delay "$delay" > "$work/b$i.log" 2>&1 &
  pids+=($!)
  backend_args+=(--backend "127.0.0.1:$port")
done
for i in $(seq 0 9); do
  until grep -qs listening "$work/b$i.log"; do sleep 0.2; done
done

printf '%-22s %10s %9s %9s %9s %9s\n' algorithm req/s p50_ms p99_ms p99.9_ms max_ms
for algorithm in $algorithms; do
  port=$(free_port)
  java -jar "$jar" serve --host 127.0.0.1 --port "$port" --admin-port 0 --algorithm "$algorithm" "${backend_args[@]}" \
    > "$work/stc-$algorithm.log" 2>&1 &
  stc_pid=$!
  pids+=($stc_pid)
  until grep -qs "stc listening" "$work/stc-$algorithm.log"; do sleep 0.2; done
  # Warm the JIT and the latency estimates before measuring.
  java -jar "$jar" load --url "http://127.0.0.1:$port/" --requests 5000 --concurrency 50 --json > /dev/null
  java -jar "$jar" load --url "http://127.0.0.1:$port/" --requests "$requests" --concurrency 50 --json > "$work/$algorithm.json"
  python3 - "$algorithm" "$work/$algorithm.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
lat = r["latencyMs"]
print(f'{sys.argv[1]:<22} {r["achievedRate"]:>10.0f} {lat["p50"]:>9.1f} {lat["p99"]:>9.1f} {lat["p999"]:>9.1f} {lat["max"]:>9.1f}')
PY
  kill "$stc_pid"; wait "$stc_pid" 2>/dev/null || true
done
