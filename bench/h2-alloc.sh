#!/usr/bin/env bash
# Bytes stc allocates per cleartext HTTP/2 request (h2load -c32 -m10, 1 KiB answers from an nginx
# origin over HTTP/1.1): stc runs with a 3 GB young generation, so no collection happens while
# 200,000 requests go through after a 100,000-request warm-up, and the growth of the young
# generation's use divided by the requests is what each one allocated (TLAB remainders included).
# TLABs are fixed at 16 KiB: with a 3 GB young generation the JVM grows them to megabytes, and the
# use then moves in steps of whole TLABs (the same jar measured 2,415 and 2,496 bytes).
# Not a test and not a speed benchmark: allocation does not depend on the machine's load.
# With --h2c-origin the origin speaks cleartext HTTP/2 (nginx `listen ... http2`) and stc reaches it
# as an h2c backend: the cost per request of stc's HTTP/2 streams to backends, both sides HTTP/2.
# REQUESTS (default 200000) sets the measured requests; half as many warm up first.
# Usage: bench/h2-alloc.sh [--h2c-origin] [JAR ...]   (default target/stc.jar; several jars in turn)
set -euo pipefail
h2c_origin=""
if [ "${1:-}" = "--h2c-origin" ]; then
  h2c_origin=1
  shift
fi
requests="${REQUESTS:-200000}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
[ $# -gt 0 ] || set -- "$root/target/stc.jar"
for tool in nginx h2load curl jcmd; do
  command -v "$tool" >/dev/null || { echo "bench/h2-alloc.sh: needs $tool" >&2; exit 2; }
done
tmp="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
origin_port="$(free_port)"
body1024="$(head -c 1024 /dev/zero | tr '\0' x)"
sed -e "s|@NAME@|origin|g; s|@PORT@|$origin_port|g; s|@DIR@|$tmp|g; s|@BODY3@|abc|g; s|@BODY1024@|$body1024|g" \
  "$here/origin.conf" > "$tmp/origin.conf"
if [ -n "$h2c_origin" ]; then
  sed -i -e "s|listen 127.0.0.1:$origin_port backlog=4096;|listen 127.0.0.1:$origin_port backlog=4096 http2;|" "$tmp/origin.conf"
  grep -q ' http2;' "$tmp/origin.conf" || { echo "bench/h2-alloc.sh: origin.conf has no listen line to make h2c" >&2; exit 2; }
fi
nginx -c "$tmp/origin.conf" -p "$tmp" > "$tmp/origin.log" 2>&1 &
origin_pid=$!
stc_pid=""
cleanup() {
  [ -z "$stc_pid" ] || kill "$stc_pid" 2>/dev/null || true
  kill "$origin_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
young_used() { jcmd "$1" GC.heap_info | grep -o 'PSYoungGen.*used [0-9]*K' | grep -o 'used [0-9]*K' | tr -dc 0-9; }
for jar in "$@"; do
  port="$(free_port)"
  printf 'state_dir: %s/state-%s\n' "$tmp" "$port" > "$tmp/stc-$port.yaml"
  backend_args=(--backend "127.0.0.1:$origin_port")
  if [ -n "$h2c_origin" ]; then
    printf 'backends:\n  - {host: 127.0.0.1, port: %s, protocol: h2c}\n' "$origin_port" >> "$tmp/stc-$port.yaml"
    backend_args=()
  fi
  java -XX:+UseParallelGC -Xms4g -Xmn3g -XX:-ResizeTLAB -XX:TLABSize=16k -jar "$jar" serve --config "$tmp/stc-$port.yaml" --host 127.0.0.1 --port "$port" \
    --admin-port 0 --algorithm round_robin "${backend_args[@]}" > "$tmp/stc-$port.log" 2>&1 &
  stc_pid=$!
  for _ in $(seq 1 120); do
    curl -s --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$port/b3" && break
    sleep 0.5
  done
  h2load -t2 -c32 -m10 -n "$(( requests / 2 ))" "http://127.0.0.1:$port/b1024" > /dev/null
  before="$(young_used "$stc_pid")"
  done_line="$(h2load -t2 -c32 -m10 -n "$requests" "http://127.0.0.1:$port/b1024" | grep '^requests:')"
  after="$(young_used "$stc_pid")"
  echo "$jar: $done_line"
  echo "$jar: $(( (after - before) * 1024 / requests )) bytes allocated per request (young generation ${before}K -> ${after}K, no collection in between)"
  kill "$stc_pid"; wait "$stc_pid" 2>/dev/null || true; stc_pid=""
done
