#!/usr/bin/env bash
# Response compression side by side: stc (compression: {enabled: true, level: L}), nginx (gzip on,
# gzip_comp_level L) and HAProxy (compression algo gzip: libslz, which has no levels) in front of
# one nginx origin serving a 21 KiB JSON document, every process started with setsid (the same
# arrangement for all), at a fixed offered rate (wrk2, open loop), interleaved rounds after a
# warm-up. Prints CPU microseconds per request of each proxy, p50/p99 and the bytes a response
# took on the wire. A benchmark, not a test: never run by CI. See bench/README.md.
#
# Usage: bench/gzip.sh [--rate 1500] [--rounds 3] [--duration 15] [--warmup 45] [--level 5]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$(dirname "$here")/target/stc.jar"
rate=1500 rounds=3 duration=15 warmup=45 level=5
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --level) level="$2"; shift 2 ;;
    *) echo "gzip.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
wrk2="${WRK2:-${XDG_CACHE_HOME:-$HOME/.cache}/stc-bench/wrk2-44a94c17d8e6a0bac8559b53da76848e430cb7a7/wrk}"
[ -x "$wrk2" ] || { echo "gzip.sh: no wrk2 at $wrk2 (bench/compare.sh builds it; or set WRK2)" >&2; exit 2; }
[ -f "$jar" ] || { echo "gzip.sh: build the jar first (mvn -DskipTests package)" >&2; exit 2; }

tmp="$(mktemp -d)"
# nginx workers (another user) read the document from here.
chmod 755 "$tmp"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
origin=$(free_port) stc=$(free_port) nginx=$(free_port) haproxy=$(free_port)

python3 -c "
import json
print(json.dumps({'items': [{'id': i, 'name': 'widget %d' % i, 'tags': ['a', 'b']} for i in range(400)]}))" >"$tmp/data.json"
cat >"$tmp/origin.conf" <<EOF
worker_processes 1; daemon off; pid $tmp/origin.pid; error_log $tmp/origin.err;
events { worker_connections 4096; }
http { access_log off; types { application/json json; } keepalive_requests 1000000;
  server { listen 127.0.0.1:$origin; root $tmp; } }
EOF
cat >"$tmp/nginx.conf" <<EOF
worker_processes 2; daemon off; pid $tmp/nginx.pid; error_log $tmp/nginx.err;
events { worker_connections 4096; }
http { access_log off;
  upstream o { server 127.0.0.1:$origin; keepalive 64; }
  server { listen 127.0.0.1:$nginx;
    gzip on; gzip_comp_level $level; gzip_min_length 1024; gzip_types application/json; gzip_proxied any; gzip_vary on;
    location / { proxy_pass http://o; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
EOF
cat >"$tmp/haproxy.cfg" <<EOF
global
  nbthread 2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend f
  bind 127.0.0.1:$haproxy
  compression algo gzip
  compression type application/json
  default_backend o
backend o
  server o1 127.0.0.1:$origin
EOF
cat >"$tmp/stc.yaml" <<EOF
host: 127.0.0.1
port: $stc
io_threads: 2
state_dir: $tmp/stc-state
backends: [{host: 127.0.0.1, port: $origin}]
health: {enabled: false}
admin: {enabled: false}
compression: {enabled: true, level: $level}
EOF
start() { setsid "$@" >"$tmp/$(basename "$1").out" 2>&1 & pids+=($!); }
start nginx -c "$tmp/origin.conf" -p "$tmp"
start nginx -c "$tmp/nginx.conf" -p "$tmp"
start haproxy -db -f "$tmp/haproxy.cfg"
start java -XX:+UseParallelGC -jar "$jar" serve --config "$tmp/stc.yaml"
for _ in $(seq 1 150); do curl -sf -o /dev/null "http://127.0.0.1:$stc/data.json" && break; sleep 0.2; done
for p in $stc $nginx $haproxy; do
  enc="$(curl -s -H 'Accept-Encoding: gzip' -D - -o "$tmp/check.gz" "http://127.0.0.1:$p/data.json" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "content-encoding" { print $2 }')"
  gunzip -c "$tmp/check.gz" 2>/dev/null | cmp -s - "$tmp/data.json" || { echo "gzip.sh: port $p (stc $stc, nginx $nginx, haproxy $haproxy) did not send the document gzip-encoded ($enc)" >&2; curl -s -H "Accept-Encoding: gzip" -D - -o /dev/null "http://127.0.0.1:$p/data.json" >&2; exit 1; }
done

# CPU ticks of a target: stc's JVM, nginx's workers, HAProxy's process.
proc() { case "$1" in stc) pgrep -f "$tmp/stc.yaml" | head -n 1 ;; nginx) pgrep -P "$(cat "$tmp/nginx.pid")" | paste -sd ' ' - ;; haproxy) pgrep -f "$tmp/haproxy.cfg" | head -n 1 ;; esac; }
ticks() { local t=0 p; for p in $(proc "$1"); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
port_of() { case "$1" in stc) echo "$stc" ;; nginx) echo "$nginx" ;; haproxy) echo "$haproxy" ;; esac; }
load() { "$wrk2" -t2 -c32 -R"$rate" -d"$2s" --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:$(port_of "$1")/data.json"; }

echo "# bench/gzip.sh --rate $rate --level $level: $(wc -c <"$tmp/data.json") B of JSON, wrk2 -t2 -c32 -R$rate, setsid for every process"
echo "# warm-up: ${warmup}s for stc, 10s each for nginx and haproxy"
load stc "$warmup" >/dev/null 2>&1
load nginx 10 >/dev/null 2>&1
load haproxy 10 >/dev/null 2>&1
printf '%-6s %-8s %10s %8s %8s %12s\n' round target "us/req" p50 p99 "B/response"
for r in $(seq 1 "$rounds"); do
  for t in stc nginx haproxy; do
    c0=$(ticks "$t"); out="$(load "$t" "$duration" 2>&1)"; c1=$(ticks "$t")
    n=$(awk '/requests in/ { print $1 }' <<<"$out")
    read_bytes=$(awk '/requests in/ { v = $5; u = substr(v, length(v) - 1); v += 0;
      if (u == "KB") v *= 1024; else if (u == "MB") v *= 1048576; else if (u == "GB") v *= 1073741824; printf "%.0f\n", v }' <<<"$out")
    printf '%-6s %-8s %10.1f %8s %8s %12.0f\n' "$r" "$t" "$(echo "($c1 - $c0) * 10000 / $n" | bc -l)" \
      "$(awk '$1 == "50.000%" { print $2 }' <<<"$out")" "$(awk '$1 == "99.000%" { print $2 }' <<<"$out")" "$(echo "$read_bytes / $n" | bc -l)"
  done
done
