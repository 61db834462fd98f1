#!/usr/bin/env bash
# HTTP/2 transfers with a peer far away: how long a 32 MiB upload and download take through stc,
# nginx and HAProxy when the client is a round trip of 50 ms away (cleartext HTTP/2 with curl), and
# through stc and HAProxy when their HTTP/2 backend is (an HTTP/1.1 client next to the proxy); and
# a grpc-go client's 32 MiB client stream from afar through stc and HAProxy to a grpc-go server. This
# machine's loopback has no netem, so bench/wan/main.go relays each connection with the delay added
# in each direction. A check run by hand, not by CI. See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/target/stc.jar"
delay=25ms
mib=32
rounds=3
install=1

usage() {
  cat <<EOF
Usage: bench/h2-far.sh [--delay 25ms] [--mib 32] [--rounds 3] [--jar PATH] [--no-install]

  --delay   one-way delay the relays add (a round trip is twice it)
  --mib     size of each upload and download
  --rounds  rounds, each target once per round in turn; the table gives medians
  --jar     the stc jar to measure (default target/stc.jar)
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --delay) delay="$2"; shift 2 ;;
    --mib) mib="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --no-install) install=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

if [ "$install" = 1 ]; then
  need=()
  for p in golang-go golang-golang-x-net-dev golang-google-grpc-dev nginx haproxy curl; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package)

work="$(mktemp -d)"
# nginx's workers (user nobody) write request bodies under it.
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill -9 "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}
bg() { "$@" >"$work/log-$(basename "$1")-$RANDOM.txt" 2>&1 & pids+=($!); }

# GOPATH mode: Debian's Go libraries live in /usr/share/gocode; no module download.
for prog in wan interop/grpc; do
  mkdir -p "$work/go/src/$prog"
  cp "$here/$prog/main.go" "$work/go/src/$prog/"
  (cd "$work/go/src/$prog" && GOPATH="$work/go:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOCACHE="$work/cache" \
    go build -o "$work/$(basename "$prog")" .)
done
head -c "$((mib << 20))" /dev/urandom >"$work/body"
bytes=$((mib << 20))

origin=$(free_port)
bg "$work/wan" -origin -h2c -listen "127.0.0.1:$origin"
far_origin=$(free_port)
bg "$work/wan" -listen "127.0.0.1:$far_origin" -to "127.0.0.1:$origin" -delay "$delay"

grpc_server=$(free_port)
bg "$work/grpc" -serve "127.0.0.1:$grpc_server"

declare -A port far
for t in stc nginx haproxy stc-backend haproxy-backend stc-grpc haproxy-grpc; do port[$t]=$(free_port); done

# Clients far away: each proxy next to the origin, HTTP/2 from the client, HTTP/1.1 to the origin.
printf 'state_dir: %s\n' "$work/state1" >"$work/stc.yaml"
bg java -jar "$jar" serve --config "$work/stc.yaml" --host 127.0.0.1 --port "${port[stc]}" --admin-port 0 \
  --backend "127.0.0.1:$origin"
cat >"$work/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nb; proxy_temp_path $work/np; fastcgi_temp_path $work/nf; uwsgi_temp_path $work/nu; scgi_temp_path $work/ns;
  client_max_body_size 0;
  upstream o { server 127.0.0.1:$origin; keepalive 16; }
  server {
    listen 127.0.0.1:${port[nginx]} http2;
    location / { proxy_pass http://o; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
bg nginx -c "$work/nginx.conf"
cat >"$work/haproxy.cfg" <<EOF
global
  nbthread 2
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend far_clients
  bind 127.0.0.1:${port[haproxy]} proto h2
  default_backend near
frontend near_clients
  bind 127.0.0.1:${port[haproxy-backend]}
  default_backend far
frontend grpc_clients
  bind 127.0.0.1:${port[haproxy-grpc]} proto h2
  default_backend grpc
backend near
  server o 127.0.0.1:$origin
backend far
  server o 127.0.0.1:$far_origin proto h2
backend grpc
  server g 127.0.0.1:$grpc_server proto h2
EOF
bg haproxy -f "$work/haproxy.cfg"
# A backend far away: HTTP/1.1 from a client next to the proxy, HTTP/2 (h2c) to the origin.
printf 'state_dir: %s\nbackends:\n  - {host: 127.0.0.1, port: %s, protocol: h2c}\n' "$work/state2" "$far_origin" >"$work/stc2.yaml"
bg java -jar "$jar" serve --config "$work/stc2.yaml" --host 127.0.0.1 --port "${port[stc-backend]}" --admin-port 0
# gRPC from afar: the grpc-go server next to the proxy (its health is not what is measured here).
printf 'state_dir: %s\nhealth: {enabled: false}\nbackends:\n  - {host: 127.0.0.1, port: %s, protocol: h2c}\n' \
  "$work/state3" "$grpc_server" >"$work/stc3.yaml"
bg java -jar "$jar" serve --config "$work/stc3.yaml" --host 127.0.0.1 --port "${port[stc-grpc]}" --admin-port 0

for t in stc nginx haproxy stc-grpc haproxy-grpc; do
  far[$t]=$(free_port)
  bg "$work/wan" -listen "127.0.0.1:${far[$t]}" -to "127.0.0.1:${port[$t]}" -delay "$delay"
done
for t in stc nginx haproxy stc-backend haproxy-backend stc-grpc haproxy-grpc; do wait_port "${port[$t]}"; done
for t in stc nginx haproxy stc-grpc haproxy-grpc; do wait_port "${far[$t]}"; done
sleep 3 # stc's first health checks

# measure NAME URL [curl options...]: seconds for the transfer, or "failed".
measure() {
  local out
  out=$(curl -s -o "$work/answer" -w '%{http_code} %{time_total}' --max-time 300 "${@:2}" "$1") || true
  case "$out" in
    "200 "*) echo "${out#200 }" ;;
    *) echo failed ;;
  esac
}

declare -A results
for r in $(seq 1 "$rounds"); do
  for t in stc nginx haproxy; do
    up=$(measure "http://127.0.0.1:${far[$t]}/up" --http2-prior-knowledge -T "$work/body")
    [ "$(cat "$work/answer")" = "$bytes" ] || up=failed
    down=$(measure "http://127.0.0.1:${far[$t]}/bytes/$bytes" --http2-prior-knowledge)
    results[$t,up]+="$up "
    results[$t,down]+="$down "
  done
  for t in stc-backend haproxy-backend; do
    up=$(measure "http://127.0.0.1:${port[$t]}/up" -T "$work/body")
    [ "$(cat "$work/answer")" = "$bytes" ] || up=failed
    down=$(measure "http://127.0.0.1:${port[$t]}/bytes/$bytes")
    results[$t,up]+="$up "
    results[$t,down]+="$down "
  done
  for t in stc-grpc haproxy-grpc; do
    up=$("$work/grpc" -target "127.0.0.1:${far[$t]}" -upload "$mib" 2>/dev/null) || up=failed
    results[$t,up]+="$up "
    results[$t,down]+="- "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { if (s == "failed" || s == "-") print "-"; else printf "%.1f", b / s / 1e6 }'; }

echo "# $mib MiB each way, $delay each way added ($(date -u +'%Y-%m-%d %H:%M UTC'), $(git -C "$root" rev-parse --short HEAD)); medians of $rounds rounds"
echo
echo "| path | proxy | upload s (MB/s) | download s (MB/s) | every round, up / down s |"
echo "|---|---|---:|---:|---|"
for t in stc nginx haproxy stc-backend haproxy-backend stc-grpc haproxy-grpc; do
  case "$t" in
    stc | nginx | haproxy) path="client far (h2c)"; name="$t" ;;
    *-grpc) path="grpc-go client far, client stream"; name="${t%-grpc}" ;;
    *) path="backend far (h2c)"; name="${t%-backend}" ;;
  esac
  up=$(echo "${results[$t,up]}" | median)
  down=$(echo "${results[$t,down]}" | median)
  echo "| $path | $name | $up ($(rate "$up")) | $down ($(rate "$down")) | ${results[$t,up]% }/ ${results[$t,down]% } |"
done
