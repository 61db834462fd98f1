#!/usr/bin/env bash
# Interop with clients and servers that are not ours: Go's net/http and x/net/http2 (HTTP/1.1,
# HTTP/2 over TLS, cleartext h2c), grpc-go and gorilla/websocket, an origin of each behind stc,
# the client through it; Java's clients (the JDK's HttpClient, OkHttp, Apache HttpClient 5) and Node's
# (fetch, node:http, node:http2) and Python's (httpx, aiohttp) through it to the Go origin; Go's
# clients to a Node origin; gunicorn and Uvicorn origins; optionally nginx and HAProxy in the same
# place. A check run by hand, not by CI.
# See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/target/stc.jar"
references=0
install=1

usage() {
  cat <<EOF
Usage: bench/interop.sh [--references] [--no-install]

Builds the two Go programs in bench/interop (with Debian's Go and its packaged libraries, which it
installs unless --no-install), starts their origins, stc in front of them (plain and TLS
listeners, and a listener whose backend speaks h2c), and runs every check through each:
  http  HTTP/1.1, h2c, h2 over TLS, HTTP/1.1 over TLS; and HTTP/1.1 and h2c to an h2c origin
  ws    ws:// and wss://
  grpc  grpc-go (Debian's 1.33) client and server: every call kind, statuses, metadata, deadlines,
        compression, health checks, streams that pause past stc's body timeout; h2c and h2 over TLS,
        to an h2c server and to a TLS one (h2 by ALPN, its certificate verified); grpc-js (npm's
        @grpc/grpc-js, installed into a temporary directory) as client and as server
  java  the JDK's HttpClient (the java on PATH), OkHttp 5 and Apache HttpClient 5 (resolved by
        Maven from bench/interop/java/pom.xml), each over HTTP/1.1, h2c and h2 over TLS
  python httpx (HTTP/1.1, h2c, h2 over TLS) and aiohttp through stc to the Go origin; both to
        gunicorn (threaded workers) and Uvicorn origins, with POSTs after idle pauses past their
        unsaid keep-alive timeouts (bench/interop/python/interop.py, Debian's Python packages)
  node  Node's fetch (undici) and node:http over HTTP/1.1, node:http2 over h2c and TLS
        (bench/interop/node/interop.mjs); Go's clients to a Node origin (node:http with its
        defaults)
--references runs the same checks through nginx and HAProxy (Debian's), set up alike.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --references) references=1 ;;
    --no-install) install=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [ "$install" = 1 ]; then
  pkgs=(golang-go golang-golang-x-net-dev golang-github-gorilla-websocket-dev golang-google-grpc-dev openssl curl nodejs
    python3-httpx python3-h2 python3-aiohttp gunicorn python3-uvicorn)
  [ "$references" = 1 ] && pkgs+=(nginx haproxy)
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get install -y "${missing[@]}" >/dev/null
  fi
fi
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package)

work="$(mktemp -d)"
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# GOPATH mode: Debian's Go libraries live in /usr/share/gocode; no module download.
for prog in http ws grpc; do
  mkdir -p "$work/go/src/interop-$prog"
  cp "$here/interop/$prog/main.go" "$work/go/src/interop-$prog/"
  (cd "$work/go/src/interop-$prog" && GOPATH="$work/go:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOCACHE="$work/cache" \
    go build -o "$work/$prog" .)
done
# grpc-js from npm, into the work directory (the npm registry is the only download).
npm install --prefix "$work/npm" --no-audit --no-fund --silent @grpc/grpc-js@1.14.7 >/dev/null 2>&1
grpc_js() { NODE_PATH="$work/npm/node_modules" node "$here/interop/node/grpc.mjs" "$@"; }
# Python: Debian's python3 and packages (not whatever python3 comes first on PATH).
py_interop() { /usr/bin/python3 "$here/interop/python/interop.py" "$@"; }
# python_all HTTP1_PORT H2C_PORT TLS_PORT: httpx in every mode, and aiohttp.
python_all() {
  run "Python httpx, HTTP/1.1" py_interop client "http://127.0.0.1:$1" h1
  run "Python httpx, h2c" py_interop client "http://127.0.0.1:$2" h2c
  run "Python httpx, h2 over TLS" py_interop client "https://127.0.0.1:$3" h2
  run "Python aiohttp, HTTP/1.1" py_interop client "http://127.0.0.1:$1" aiohttp
}
# Node: node:http, node:http2 and fetch (undici) as clients, node:http as an origin; no packages.
node_interop() { node "$here/interop/node/interop.mjs" "$@"; }
# node_all HTTP1_PORT H2C_PORT TLS_PORT: Node's clients in every mode.
node_all() {
  run "Node fetch + node:http, HTTP/1.1" node_interop client "http://127.0.0.1:$1" h1
  run "Node node:http2, h2c" node_interop client "http://127.0.0.1:$2" h2c
  run "Node node:http2, h2 over TLS" node_interop client "https://127.0.0.1:$3" h2
}
# Java: the clients' jars from Maven, JavaClients built against them.
mvn -B -q -f "$here/interop/java/pom.xml" dependency:copy-dependencies -DoutputDirectory="$work/java/lib"
java_cp="$work/java:$(ls "$work"/java/lib/*.jar | tr '\n' ':')"
javac --release 17 -nowarn -d "$work/java" -cp "$java_cp" "$here/interop/java/JavaClients.java" 2>/dev/null
java_clients() { java -cp "$java_cp" JavaClients "$@"; }
# java_all HTTP1_PORT H2C_PORT TLS_PORT: every Java client in every mode.
java_all() {
  local c
  for c in jdk okhttp httpclient5; do
    run "Java $c, HTTP/1.1" java_clients "$c" h1 "http://127.0.0.1:$1"
    run "Java $c, h2c" java_clients "$c" h2c "http://127.0.0.1:$2"
    run "Java $c, h2 over TLS" java_clients "$c" h2 "https://127.0.0.1:$3"
  done
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

http_origin=$(free_port); h2c_origin=$(free_port); ws_origin=$(free_port); node_origin=$(free_port)
grpc_origin=$(free_port); grpcjs_origin=$(free_port); gunicorn_origin=$(free_port); uvicorn_origin=$(free_port)
"$work/http" -origin "127.0.0.1:$http_origin" & pids+=($!)
"$work/grpc" -serve "127.0.0.1:$grpc_origin" & pids+=($!)
grpc_js serve "$grpcjs_origin" & pids+=($!)
grpc_tls_origin=$(free_port)
"$work/grpc" -serve "127.0.0.1:$grpc_tls_origin" -cert "$work/cert.pem" -key "$work/key.pem" & pids+=($!)
(cd "$here/interop/python" && exec /usr/bin/gunicorn --threads 4 -b "127.0.0.1:$gunicorn_origin" interop:wsgi) \
  > "$work/gunicorn.log" 2>&1 & pids+=($!)
(cd "$here/interop/python" && exec /usr/bin/python3 -m uvicorn --host 127.0.0.1 --port "$uvicorn_origin" interop:asgi) \
  > "$work/uvicorn.log" 2>&1 & pids+=($!)
node_interop origin "$node_origin" & pids+=($!)
"$work/http" -h2c -origin "127.0.0.1:$h2c_origin" & pids+=($!)
"$work/ws" -origin "127.0.0.1:$ws_origin" & pids+=($!)

# stc: PORT ADMIN_PORT ORIGIN_PORT PROTOCOL [tls|plain] [MORE CONFIG]
start_stc() {
  local cfg="$work/stc-$1.yaml"
  {
    echo "host: 127.0.0.1"
    echo "port: $1"
    echo "admin: {port: $2}"
    echo "health: {enabled: false}"
    echo "backends:"
    echo "  - {host: 127.0.0.1, port: $3, protocol: $4}"
    if [ "${5:-}" = tls ]; then
      echo "tls: {cert: $work/cert.pem, key: $work/key.pem}"
    fi
    if [ -n "${6:-}" ]; then echo "$6"; fi
  } > "$cfg"
  java -XX:+UseParallelGC -jar "$jar" serve --config "$cfg" > "$work/stc-$1.log" 2>&1 & pids+=($!)
}

failed=0
run() { # NAME COMMAND...
  local name="$1"; shift
  local out status=0
  out=$("$@" 2>&1) || status=$?
  printf '%-34s %s\n' "$name" "$(echo "$out" | tail -1 | sed 's/.*: //')"
  if [ "$status" != 0 ]; then
    echo "$out" | grep FAIL | sed 's/^/    /'
    failed=1
  fi
}

plain=$(free_port); tls=$(free_port); via_h2c=$(free_port); ws=$(free_port); wss=$(free_port)
start_stc "$plain" "$(free_port)" "$http_origin" http1
start_stc "$tls" "$(free_port)" "$http_origin" http1 tls
start_stc "$via_h2c" "$(free_port)" "$h2c_origin" h2c
start_stc "$ws" "$(free_port)" "$ws_origin" http1
start_stc "$wss" "$(free_port)" "$ws_origin" http1 tls
via_node=$(free_port); via_node_tls=$(free_port)
start_stc "$via_node" "$(free_port)" "$node_origin" http1
start_stc "$via_node_tls" "$(free_port)" "$node_origin" http1 tls
# gRPC, with a body timeout short enough for the pause check to pass it.
grpc_plain=$(free_port); grpc_tls=$(free_port)
start_stc "$grpc_plain" "$(free_port)" "$grpc_origin" h2c plain "timeouts: {body: 1s}"
start_stc "$grpc_tls" "$(free_port)" "$grpc_origin" h2c tls "timeouts: {body: 1s}"
via_grpcjs=$(free_port); via_grpcjs_tls=$(free_port)
start_stc "$via_grpcjs" "$(free_port)" "$grpcjs_origin" h2c plain "timeouts: {body: 1s}"
start_stc "$via_grpcjs_tls" "$(free_port)" "$grpcjs_origin" h2c tls "timeouts: {body: 1s}"
# To a grpc-go server over TLS (h2 by ALPN), its certificate verified.
via_grpc_tls=$(free_port)
start_stc "$via_grpc_tls" "$(free_port)" "$grpc_tls_origin" auto plain "tls: {backends: true, backend_ca: $work/cert.pem}"
via_gunicorn=$(free_port); via_uvicorn=$(free_port)
start_stc "$via_gunicorn" "$(free_port)" "$gunicorn_origin" http1
start_stc "$via_uvicorn" "$(free_port)" "$uvicorn_origin" http1
for p in "$plain" "$tls" "$via_h2c" "$ws" "$wss" "$via_node" "$via_node_tls" "$node_origin" "$grpc_plain" "$grpc_tls" \
    "$grpc_origin" "$grpcjs_origin" "$via_grpcjs" "$via_grpcjs_tls" "$gunicorn_origin" "$uvicorn_origin" "$via_gunicorn" \
    "$via_uvicorn" "$grpc_tls_origin" "$via_grpc_tls"; do
  wait_port "$p"
done

echo "stc ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)), $(date -u '+%Y-%m-%d %H:%M UTC')"
run "HTTP/1.1" "$work/http" -target "http://127.0.0.1:$plain" -mode h1
run "h2c (prior knowledge)" "$work/http" -target "http://127.0.0.1:$plain" -mode h2c
run "h2 over TLS" "$work/http" -target "https://127.0.0.1:$tls" -mode h2
run "HTTP/1.1 over TLS" "$work/http" -target "https://127.0.0.1:$tls" -mode h1
run "HTTP/1.1 to an h2c origin" "$work/http" -h2c -target "http://127.0.0.1:$via_h2c" -mode h1
run "h2c to an h2c origin" "$work/http" -h2c -target "http://127.0.0.1:$via_h2c" -mode h2c
run "WebSocket" "$work/ws" -target "ws://127.0.0.1:$ws"
run "WebSocket over TLS" "$work/ws" -target "wss://127.0.0.1:$wss"
run "grpc-go, h2c" "$work/grpc" -pause 1500ms -target "127.0.0.1:$grpc_plain"
run "grpc-go, h2 over TLS" "$work/grpc" -pause 1500ms -tls -target "127.0.0.1:$grpc_tls"
run "grpc-js, h2c" grpc_js client "127.0.0.1:$grpc_plain"
run "grpc-js, h2 over TLS" grpc_js client "127.0.0.1:$grpc_tls" tls
run "grpc-go to a grpc-js server, h2c" "$work/grpc" -pause 1500ms -target "127.0.0.1:$via_grpcjs"
run "grpc-go to a grpc-js server, TLS" "$work/grpc" -pause 1500ms -tls -target "127.0.0.1:$via_grpcjs_tls"
run "grpc-go to a TLS grpc-go server" "$work/grpc" -target "127.0.0.1:$via_grpc_tls"
run "grpc-js to a TLS grpc-go server" grpc_js client "127.0.0.1:$via_grpc_tls"
java_all "$plain" "$plain" "$tls"
node_all "$plain" "$plain" "$tls"
python_all "$plain" "$plain" "$tls"
# Python's usual origins, which close idle connections without saying when (gunicorn at 2 s,
# Uvicorn at 5 s): the same checks, and POSTs after pauses past those times.
run "httpx to gunicorn" py_interop client "http://127.0.0.1:$via_gunicorn" h1 --origin python
run "aiohttp to gunicorn" py_interop client "http://127.0.0.1:$via_gunicorn" aiohttp
run "POSTs after pauses, gunicorn" py_interop pauses "http://127.0.0.1:$via_gunicorn" 1.5 2.5 3.5 1.5 2.5
run "httpx to Uvicorn" py_interop client "http://127.0.0.1:$via_uvicorn" h1 --origin python
run "aiohttp to Uvicorn" py_interop client "http://127.0.0.1:$via_uvicorn" aiohttp
run "POSTs after pauses, Uvicorn" py_interop pauses "http://127.0.0.1:$via_uvicorn" 3.5 4.5 5.5
# Go's clients to a Node origin (Node's defaults: a keep-alive timeout of 5 s, said in every answer).
run "HTTP/1.1 to a Node origin" "$work/http" -target "http://127.0.0.1:$via_node" -mode h1
run "h2c to a Node origin" "$work/http" -target "http://127.0.0.1:$via_node" -mode h2c
run "h2 over TLS to a Node origin" "$work/http" -target "https://127.0.0.1:$via_node_tls" -mode h2

stc_failed=$failed
if [ "$references" = 1 ]; then
  cat "$work/cert.pem" "$work/key.pem" > "$work/combined.pem"
  n_tls=$(free_port); n_h2c=$(free_port); n_plain=$(free_port); n_grpc=$(free_port)
  cat > "$work/nginx.conf" <<EOF
worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream b { server 127.0.0.1:$http_origin; keepalive 32; }
  server { listen 127.0.0.1:$n_tls ssl http2; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:$n_h2c http2;
    location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:$n_plain;
    location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:$n_grpc http2; location / { grpc_pass grpc://127.0.0.1:$grpc_origin; } }
}
EOF
  h_tls=$(free_port); h_h2c=$(free_port); h_plain=$(free_port); h_grpc=$(free_port)
  cat > "$work/haproxy.cfg" <<EOF
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend f
  bind 127.0.0.1:$h_tls ssl crt $work/combined.pem alpn h2,http/1.1
  bind 127.0.0.1:$h_h2c proto h2
  bind 127.0.0.1:$h_plain
  default_backend b
backend b
  server s1 127.0.0.1:$http_origin
frontend g
  bind 127.0.0.1:$h_grpc proto h2
  default_backend g
backend g
  server s1 127.0.0.1:$grpc_origin proto h2
EOF
  nginx -c "$work/nginx.conf" > "$work/nginx.out" 2>&1 & pids+=($!)
  haproxy -f "$work/haproxy.cfg" > "$work/haproxy.out" 2>&1 & pids+=($!)
  for p in "$n_tls" "$n_h2c" "$n_plain" "$n_grpc" "$h_tls" "$h_h2c" "$h_plain" "$h_grpc"; do wait_port "$p"; done
  echo "nginx ($(nginx -v 2>&1 | sed 's/.*\///')), defaults (client_max_body_size 1m)"
  run "HTTP/1.1" "$work/http" -target "http://127.0.0.1:$n_plain" -mode h1
  run "h2c (prior knowledge)" "$work/http" -target "http://127.0.0.1:$n_h2c" -mode h2c
  run "h2 over TLS" "$work/http" -target "https://127.0.0.1:$n_tls" -mode h2
  echo "  (Java's h2c: the JDK's client asks by Upgrade: h2c, which nginx's http2 listener does not take)"
  java_all "$n_plain" "$n_h2c" "$n_tls"
  node_all "$n_plain" "$n_h2c" "$n_tls"
  python_all "$n_plain" "$n_h2c" "$n_tls"
  run "grpc-go, h2c (grpc_pass)" "$work/grpc" -target "127.0.0.1:$n_grpc"
  run "grpc-js, h2c (grpc_pass)" grpc_js client "127.0.0.1:$n_grpc"
  echo "HAProxy ($(haproxy -v | head -1 | awk '{print $3}'))"
  run "HTTP/1.1" "$work/http" -target "http://127.0.0.1:$h_plain" -mode h1
  run "h2c (prior knowledge)" "$work/http" -target "http://127.0.0.1:$h_h2c" -mode h2c
  run "h2 over TLS" "$work/http" -target "https://127.0.0.1:$h_tls" -mode h2
  echo "  (Java's h2c: the JDK's client asks by Upgrade: h2c, which HAProxy's h2 listener does not take)"
  java_all "$h_plain" "$h_h2c" "$h_tls"
  node_all "$h_plain" "$h_h2c" "$h_tls"
  python_all "$h_plain" "$h_h2c" "$h_tls"
  run "grpc-go, h2c" "$work/grpc" -target "127.0.0.1:$h_grpc"
  run "grpc-js, h2c" grpc_js client "127.0.0.1:$h_grpc"
fi
# The references' results are for comparison: only stc's decide the exit status.
exit $stc_failed
