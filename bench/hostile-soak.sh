#!/usr/bin/env bash
# Leak hunt: normal and hostile traffic through two stc processes (plain with h2c, and TLS) while
# backends are killed with SIGKILL, Netty's leak detector tracking every buffer; then, idle,
# whether anything was left behind. A benchmark, not a test: CI never runs it. See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/target/stc.jar"
seconds=180
gzip=""
mirror=""

usage() {
  cat <<EOF
Usage: bench/hostile-soak.sh [--seconds N] [--compression] [--mirror]

Starts three demo backends and two stc processes (a plain listener that also speaks h2c, and a TLS
one with a fresh self-signed certificate), all with -Dio.netty.leakDetection.level=paranoid, on
free loopback ports. For N seconds (default 180) it runs at once, against each stc: h2load (-c8
-m10), wrk (plain: Connection: close; TLS: 100 KB downloads), and bench/hostile_clients.py (heads
and bodies cut short, garbage, rapid resets, abandoned streams and downloads, smuggling attempts,
TCP resets); every 15 s one backend is killed with SIGKILL and started again 3 s later.
Then it waits past the idle timeouts (25 s for clients; 65 s for kept backend connections, which
serve idempotent requests for up to 60 s), runs a full GC in each stc and sends a few requests
(Netty reports a leak when it tracks a buffer after the leaked one was collected).

With --compression, both stc gzip-encode every demo backend answer (compression on, its types,
min_length 0) and every client asks for gzip, so the abandoned downloads, killed backends and
resets cut encoded responses short.

With --mirror, both stc copy every request to the first demo backend (mirror), which is killed
and started again like the others, so copies are cut short, refused and reset too.

Bar: no LEAK line in either stc's log, no client connection left open after 25 s, each stc's
open file descriptors back to their count before the load after 65 s (give or take the one or two
connections of the requests just sent), and no failed request nor lost connection for a paced HTTP/2 client
(h2load --rps 2 on 4 connections to the plain stc: at least 95% of 8 requests a second sent and
all answered), whose connections go without a stream now and then.
Exits 0 when the bar is met, 1 when not.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --compression) gzip=1; shift ;;
    --mirror) mirror=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "hostile-soak.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
for tool in h2load wrk openssl curl jcmd python3; do
  command -v "$tool" >/dev/null || { echo "hostile-soak.sh: needs $tool" >&2; exit 2; }
done
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package)

work="$(mktemp -d /tmp/stc-hostile-XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}" $(cat "$work"/b*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(('127.0.0.1', 0))
print(' '.join(str(s.getsockname()[1]) for s in socks))
PY
}
read -r b1 b2 b3 plain tls admin1 admin2 <<<"$(free_ports 7)"
backends=("$b1" "$b2" "$b3")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

java_cmd=(java -XX:+UseParallelGC -Dio.netty.leakDetection.level=paranoid -jar "$jar")
start_backend() {
  setsid "${java_cmd[@]}" backend --port "$1" >>"$work/b$1.log" 2>&1 &
  echo $! >"$work/b$1.pid"
}
config() { # port admin-port state-dir
  cat <<EOF
port: $1
algorithm: least_connections
backends: [{host: 127.0.0.1, port: $b1}, {host: 127.0.0.1, port: $b2}, {host: 127.0.0.1, port: $b3}]
health: {interval: 1s, timeout: 500ms, rise: 1, fall: 2}
timeouts: {idle: 20s, header: 3s, body: 3s}
admin: {port: $2}
state_dir: $3
max_inflight: 50
limits: {buffer: 16KiB}
EOF
  [ -z "$gzip" ] || echo "compression: {enabled: true, types: [application/octet-stream, application/json], min_length: 0}"
  [ -z "$mirror" ] || echo "mirror: {host: 127.0.0.1, port: $b1}"
}
config "$plain" "$admin1" "$work/state-plain" >"$work/plain.yaml"
{ config "$tls" "$admin2" "$work/state-tls"; echo "tls: {cert: $work/cert.pem, key: $work/key.pem}"; } >"$work/tls.yaml"

for b in "${backends[@]}"; do start_backend "$b"; done
for kind in plain tls; do
  setsid "${java_cmd[@]}" serve --config "$work/$kind.yaml" >"$work/$kind.log" 2>&1 &
  pids+=($!); echo $! >"$work/$kind.pid"
done
until curl -s -o /dev/null "http://127.0.0.1:$plain/" && curl -sk -o /dev/null "https://127.0.0.1:$tls/"; do sleep 0.5; done
fds() { ls "/proc/$(cat "$work/$1.pid")/fd" | wc -l; }
before_plain=$(fds plain); before_tls=$(fds tls)
echo "work directory $work; descriptors before the load: plain $before_plain, TLS $before_tls"

load=()
encoding=identity
[ -z "$gzip" ] || encoding=gzip
accept=(-H "Accept-Encoding: $encoding")
h2load -c8 -m10 -D "$seconds" "${accept[@]}" "http://127.0.0.1:$plain/" >"$work/h2c.txt" 2>&1 & load+=($!)
# Paced, not saturating: a few requests a second per connection, so connections go without a
# stream now and then while their client is still using them (an idle timer must not take them).
h2load -c4 -m4 --rps 2 -D "$seconds" "${accept[@]}" "http://127.0.0.1:$plain/" >"$work/h2c-paced.txt" 2>&1 & load+=($!)
h2load -c8 -m10 -D "$seconds" "${accept[@]}" "https://127.0.0.1:$tls/bytes/3000" >"$work/h2tls.txt" 2>&1 & load+=($!)
wrk -t1 -c8 -d"${seconds}s" "${accept[@]}" -H 'Connection: close' "http://127.0.0.1:$plain/" >"$work/wrk-close.txt" 2>&1 & load+=($!)
wrk -t1 -c8 -d"${seconds}s" "${accept[@]}" "https://127.0.0.1:$tls/bytes/100000" >"$work/wrk-tls.txt" 2>&1 & load+=($!)
STC_SOAK_GZIP="$gzip" python3 "$here/hostile_clients.py" "$plain" plain "$seconds" >"$work/hostile-plain.txt" 2>&1 & load+=($!)
STC_SOAK_GZIP="$gzip" python3 "$here/hostile_clients.py" "$tls" tls "$seconds" >"$work/hostile-tls.txt" 2>&1 & load+=($!)
end=$((SECONDS + seconds))
kills=0
while [ $SECONDS -lt $((end - 10)) ]; do
  sleep 12
  b=${backends[$((RANDOM % 3))]}
  kill -9 "$(cat "$work/b$b.pid")" 2>/dev/null || true
  kills=$((kills + 1))
  sleep 3
  start_backend "$b"
done
wait "${load[@]}" || true

echo "load done; $kills backends killed"
for kind in plain tls; do
  port=$admin1; [ "$kind" = tls ] && port=$admin2
  echo "  $kind answered by stc itself: $(curl -s "http://127.0.0.1:$port/metrics" | awk '/^stc_proxy_failures_total/ && $2 > 0 {sub(/.*reason="/, "", $1); sub(/".*/, "", $1); printf "%s %d, ", $1, $2}')"
done
if [ -n "$mirror" ]; then
  for kind in plain tls; do
    port=$admin1; [ "$kind" = tls ] && port=$admin2
    echo "  $kind copies to the mirror: $(curl -s "http://127.0.0.1:$port/api/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["mirror"])')"
  done
fi
grep -h "^requests:" "$work/h2c.txt" "$work/h2tls.txt" | sed 's/^/  h2load /'
paced=$(grep -h "^requests:" "$work/h2c-paced.txt")
echo "  h2load paced $paced"
grep -h "requests in" "$work/wrk-close.txt" "$work/wrk-tls.txt" | sed 's/^/  wrk /'
cat "$work/hostile-plain.txt" "$work/hostile-tls.txt" | sed 's/^/  /'

sleep 25   # past timeouts.idle (20 s): every client connection should be gone
declare -A clients
for kind in plain tls; do
  port=$plain; [ "$kind" = tls ] && port=$tls
  clients[$kind]=$(ss -Htn state established "( sport = :$port )" | wc -l)
done
sleep 40   # past 60 s: every kept backend connection closed
for kind in plain tls; do jcmd "$(cat "$work/$kind.pid")" GC.run >/dev/null; done
for _ in 1 2 3; do
  curl -s -o /dev/null "http://127.0.0.1:$plain/"
  curl -sk -o /dev/null "https://127.0.0.1:$tls/"
done
# Their copies' connections to the mirror close once idle for timeouts.backend_idle (4 s).
[ -z "$mirror" ] || sleep 6

ok=1
for kind in plain tls; do
  port=$plain; before=$before_plain
  [ "$kind" = tls ] && port=$tls && before=$before_tls
  leaks=$(grep -c "LEAK:" "$work/$kind.log" || true)
  clients=${clients[$kind]}
  now=$(fds "$kind")
  echo "$kind: LEAK lines $leaks, client connections open after 25 s $clients, descriptors $before before, $now after 65 s"
  if [ "$leaks" -ne 0 ] || [ "$clients" -ne 0 ] || [ "$now" -gt $((before + 3)) ]; then
    ok=0
    pid=$(cat "$work/$kind.pid")
    echo "  its descriptors, by kind:"
    ls -l "/proc/$pid/fd" | awk 'NR > 1 {print $NF}' | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sed 's/^/   /'
    echo "  its TCP sockets, by state and peer port:"
    ss -Htanp | grep "pid=$pid," | awk '{print $1, $5}' | sed 's/127.0.0.1://' | sort | uniq -c | sort -rn | head | sed 's/^/   /'
  fi
done
# Through killed backends every paced request (a small GET, retried elsewhere) must succeed, and
# its connections must last: h2load opens no new one for a connection that closes, so a closed
# connection shows as requests never sent.
paced_total=$(echo "$paced" | awk '{print $2}')
if ! echo "$paced" | grep -q " 0 failed, 0 errored" || [ "${paced_total:-0}" -lt $((4 * 2 * seconds * 95 / 100)) ]; then
  echo "the paced HTTP/2 client lost requests or connections (expected about $((4 * 2 * seconds))): $paced"
  ok=0
fi
if [ $ok = 1 ]; then echo "bar: MET"; else echo "bar: NOT MET (logs in $work)"; exit 1; fi
