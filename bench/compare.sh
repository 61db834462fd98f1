#!/usr/bin/env bash
# Benchmarks stc against nginx and HAProxy as reverse proxies in front of the same two nginx
# origins, every process in one stated arrangement, with load generators that are not ours:
# fixed offered rates (open loop, wrk2 or h2load --rps), saturation (wrk), TLS and HTTP/2 (h2load).
# A benchmark, not a test: it is never run by CI. See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/target/stc.jar"
targets=(stc nginx haproxy)
all_modes=(rate saturation tls-keepalive tls-reconnect tls-handshake h2 h2c)
command_line="bench/compare.sh${*:+ $*}"
# wrk2 (Gil Tene's open-loop wrk, latency from each request's intended send time) is not packaged
# by Debian: it is built from this commit, once, into the cache directory.
wrk2_repo="${WRK2_REPO:-https://github.com/giltene/wrk2.git}"
wrk2_commit="${WRK2_COMMIT:-44a94c17d8e6a0bac8559b53da76848e430cb7a7}"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/stc-bench"

usage() {
  cat <<EOF
Usage: bench/compare.sh [--mode MODE]... [--arrangement shared|setsid|pinned] [--rates "10000 20000"]
                        [--generator wrk2|h2load] [--rounds N] [--duration 10s] [--warmup 45]
                        [--max-steal 3] [--quick] [--stc-java PATH] [--stc-opts "..."] [--stc-args "..."] [--no-install]

Starts two nginx origins, then stc, nginx and HAProxy as reverse proxies in front of them on free
loopback ports, all in the same arrangement, and measures them in interleaved rounds.

Modes (default: all, in this order):
  rate           plain HTTP/1.1, 3-byte bodies, fixed offered rates (--rates), open loop:
                 CPU us per request and p50/p99/p99.9 at the same load for everyone
  saturation     plain HTTP/1.1, closed loop: wrk -t2 -c64, 3 B and 1 KiB bodies
  tls-keepalive  HTTPS, 1 KiB, closed loop, keep-alive: wrk -t2 -c64
  tls-reconnect  HTTPS, 1 KiB, a new connection per request (wrk -c32 -H 'Connection: close');
                 wrk resumes the TLS session each time, so these are abbreviated handshakes
  tls-handshake  as tls-reconnect with resumption off in all three proxies: a full handshake per request
  h2             HTTP/2 over TLS, 1 KiB, closed loop: h2load -t2 -c32 -m10
  h2c            cleartext HTTP/2 (prior knowledge), 1 KiB, closed loop: h2load -t2 -c32 -m10
                 (nginx: listen ... http2 without TLS; HAProxy: bind ... proto h2)

  --arrangement A  how every process (origins and proxies) is started; the header prints each one's
                   session, autogroup and CPUs (default shared):
                     shared  all in this script's session, with the load generator: one autogroup
                     setsid  each server in a session (and autogroup) of its own, the generator in ours
                     pinned  shared, plus taskset: the proxy under test on the upper half of the
                             CPUs, generator and origins on the lower half
                   Verdicts against the bars are given for shared only: with autogroup scheduling,
                   setsid gives each server a share of the CPU of its own, which rewards a proxy
                   that batches more when starved; run setsid and pinned to see the spread.
  --rates "R..."   offered rates for the rate mode, requests/s (default "10000 20000")
  --generator G    open-loop generator for the rate mode: wrk2 (default; built from source
                   into $cache_dir) or h2load (nghttp2-client, --rps per connection; latency
                   counts from the actual send, so a stall hides queued requests)
  --rounds N       measured rounds per table (default 3)
  --duration D     length of each measured run: 10s, 1m (default 10s)
  --warmup S       seconds of load on stc before measuring, per group of targets (default 45;
                   the JIT needs it); nginx and HAProxy get 6
  --max-steal P    a round in which any target's run lost more than P% of the machine's CPU time
                   to steal is dropped and run again, at most 2 x rounds tries (default 3; 100 keeps all)
  --quick          5 s warm-up, 1 round of 3 s: checks that every mode runs; numbers mean little
  --stc-java PATH  the java command running stc (default: java on the PATH), e.g. a newer JDK's
  --stc-opts "..." options for the java command running stc (default "-XX:+UseParallelGC", as ./stc)
  --stc-args "..." more options for stc serve, e.g. "--io-threads 1"; the tables then carry no verdict
                   (the bars judge stc as it runs by default, beside nginx and HAProxy as configured here)
  --no-install     report missing tools instead of installing them with apt-get
  -h, --help       this text
EOF
}

die() {
  echo "compare.sh: $*" >&2
  exit 1
}

# ---- options -------------------------------------------------------------------------------

modes=() arrangement=shared rates="10000 20000" generator=wrk2 no_install=0
rounds="" duration="" warmup="" quick=0 stc_java=java stc_opts="-XX:+UseParallelGC" stc_args="" max_steal=3
need_value() { [ "$2" -ge 2 ] || { echo "compare.sh: $1 needs a value" >&2; usage >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --mode | --arrangement | --rates | --generator | --rounds | --duration | --warmup | --stc-java | --stc-opts | --stc-args | --max-steal)
      need_value "$1" $#
      case "$1" in
        --mode) modes+=("$2") ;;
        --arrangement) arrangement="$2" ;;
        --rates) rates="$2" ;;
        --generator) generator="$2" ;;
        --rounds) rounds="$2" ;;
        --duration) duration="$2" ;;
        --warmup) warmup="$2" ;;
        --stc-java) stc_java="$2" ;;
        --stc-opts) stc_opts="$2" ;;
        --stc-args) stc_args="$2" ;;
        --max-steal) max_steal="$2" ;;
      esac
      shift 2
      ;;
    --*=*)
      name="${1%%=*}"
      set -- "$name" "${1#*=}" "${@:2}"
      ;;
    --quick) quick=1; shift ;;
    --no-install) no_install=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  : "${rounds:=1}" "${duration:=3s}" "${warmup:=5}"
  other_warmup=2
else
  : "${rounds:=3}" "${duration:=10s}" "${warmup:=45}"
  other_warmup=6
fi
[ ${#modes[@]} -gt 0 ] || modes=("${all_modes[@]}")
for m in "${modes[@]}"; do
  [[ " ${all_modes[*]} " == *" $m "* ]] || { echo "compare.sh: --mode: expected one of ${all_modes[*]}, got '$m'" >&2; exit 2; }
done
[[ "$arrangement" =~ ^(shared|setsid|pinned)$ ]] || { echo "compare.sh: --arrangement: expected shared, setsid or pinned, got '$arrangement'" >&2; exit 2; }
[[ "$generator" =~ ^(wrk2|h2load)$ ]] || { echo "compare.sh: --generator: expected wrk2 or h2load, got '$generator'" >&2; exit 2; }
for r in $rates; do
  [[ "$r" =~ ^[1-9][0-9]{1,6}$ ]] || { echo "compare.sh: --rates: expected requests/s like 10000, got '$r'" >&2; exit 2; }
done
[[ "$rounds" =~ ^[1-9][0-9]?$ ]] || { echo "compare.sh: --rounds: expected 1..99, got '$rounds'" >&2; exit 2; }
[[ "$duration" =~ ^[1-9][0-9]*[smh]?$ ]] || { echo "compare.sh: --duration: expected e.g. 10s or 1m, got '$duration'" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9]{1,4}$ ]] || { echo "compare.sh: --warmup: expected whole seconds, got '$warmup'" >&2; exit 2; }
[[ "$max_steal" =~ ^[0-9]{1,3}(\.[0-9]+)?$ ]] && awk -v m="$max_steal" 'BEGIN { exit !(m <= 100) }' ||
  { echo "compare.sh: --max-steal: expected a percentage 0..100, got '$max_steal'" >&2; exit 2; }
command -v "$stc_java" >/dev/null || { echo "compare.sh: --stc-java: no such command: $stc_java" >&2; exit 2; }
read -r -a stc_java_opts <<<"$stc_opts"
read -r -a stc_serve_args <<<"$stc_args"
seconds_of() {
  local d="$1"
  case "$d" in *h) echo $((${d%h} * 3600)) ;; *m) echo $((${d%m} * 60)) ;; *s) echo "${d%s}" ;; *) echo "$d" ;; esac
}
duration_s="$(seconds_of "$duration")"
want() { [[ " ${modes[*]} " == *" $1 "* ]]; }

# ---- what it needs: installed with apt-get unless --no-install -----------------------------

# Debian keeps nginx and haproxy in /usr/sbin, which is not on every user's PATH.
tool() {
  command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true
}
missing=()
need_pkg() { [ -n "$(tool "$1")" ] || missing+=("$2"); }
need_pkg wrk wrk
need_pkg nginx nginx
need_pkg haproxy haproxy
need_pkg curl curl
need_pkg h2load nghttp2-client
need_pkg openssl openssl
need_pkg ss iproute2
need_pkg setsid util-linux
need_pkg taskset util-linux
need_pkg pgrep procps
need_pkg java openjdk-17-jre-headless
if want rate && [ "$generator" = wrk2 ]; then
  need_pkg git git
  need_pkg make make
  need_pkg gcc gcc
  [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  [ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$no_install" = 1 ]; then
    echo "compare.sh: missing: ${missing[*]}. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null || die "missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"
    sudo=sudo
  fi
  echo "installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
  # Debian starts the services it installs where it can: they are not ours to run.
  for s in nginx haproxy; do
    if [[ " ${missing[*]} " == *" $s "* ]] && command -v systemctl >/dev/null && systemctl is-active -q "$s" 2>/dev/null; then
      $sudo systemctl stop "$s" || true
    fi
  done
fi
WRK="$(tool wrk)" NGINX="$(tool nginx)" HAPROXY="$(tool haproxy)" SS="$(tool ss)" H2LOAD="$(tool h2load)"

WRK2=""
if want rate && [ "$generator" = wrk2 ]; then
  WRK2="$cache_dir/wrk2-$wrk2_commit/wrk"
  if [ ! -x "$WRK2" ]; then
    echo "building wrk2 $wrk2_commit from $wrk2_repo into $cache_dir (once; about a minute)"
    mkdir -p "$cache_dir"
    build="$(mktemp -d "$cache_dir/wrk2-build.XXXXXX")"
    { git clone -q "$wrk2_repo" "$build/src" && git -C "$build/src" checkout -q "$wrk2_commit" &&
      make -C "$build/src" -j"$(nproc)" >"$build/make.log" 2>&1; } ||
      { tail -n 20 "$build/make.log" 2>/dev/null >&2 || true; rm -rf "$build"
        die "could not build wrk2 (no network? set WRK2_REPO to a clone, or use --generator h2load)"; }
    mkdir -p "$(dirname "$WRK2")"
    cp "$build/src/wrk" "$WRK2"
    rm -rf "$build"
  fi
fi

if [ ! -f "$jar" ]; then
  echo "compare.sh: $jar is missing; build it with:" >&2
  echo "  (cd $root && mvn -B -q package -DskipTests)" >&2
  exit 1
fi
if [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
  echo "compare.sh: warning: $jar is older than the sources; rebuild it to measure the current code" >&2
fi

# ---- the arrangement ----------------------------------------------------------------------

ncpu="$(nproc)"
gen_cpus="" server_cpus=""
if [ "$arrangement" = pinned ]; then
  [ "$ncpu" -ge 2 ] || die "--arrangement pinned needs at least 2 CPUs"
  half=$((ncpu / 2))
  gen_cpus="$([ "$half" -eq 1 ] && echo 0 || echo "0-$((half - 1))")"
  server_cpus="$([ "$half" -eq $((ncpu - 1)) ] && echo "$half" || echo "$half-$((ncpu - 1))")"
fi
# The generator runs as a child of this script in every arrangement (pinned: on gen_cpus).
gen() {
  if [ -n "$gen_cpus" ]; then
    taskset -c "$gen_cpus" "$@"
  else
    "$@"
  fi
}

# ---- processes we start, and their cleanup -----------------------------------------------------

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stc-bench.XXXXXX")"
declare -A pid=()  # name -> pid of a server we started
started=()         # names in start order
gen_pid=""

stop_server() {
  local name="$1" p i
  p="${pid[$name]:-}"
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$p" 2>/dev/null; then
    echo "compare.sh: $name (pid $p) ignored SIGTERM; killing it and its children" >&2
    pkill -KILL -P "$p" 2>/dev/null || true
    kill -KILL "$p" 2>/dev/null || true
  fi
  # nginx workers of a master that died: only ours, by parent.
  pkill -KILL -P "$p" 2>/dev/null || true
  unset "pid[$name]"
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  [ -z "$gen_pid" ] || kill -TERM "$gen_pid" 2>/dev/null || true
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    stop_server "${started[$i]}"
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME ROLE COMMAND...: a server (ROLE proxy or origin) in the arrangement, output in $tmp/NAME.log.
# A background child of a shell without job control is never a group leader, so setsid and taskset
# exec in place and $! is the server itself.
start() {
  local name="$1" role="$2"
  shift 2
  case "$arrangement" in
    shared) "$@" >"$tmp/$name.log" 2>&1 </dev/null & ;;
    setsid) setsid "$@" >"$tmp/$name.log" 2>&1 </dev/null & ;;
    pinned)
      if [ "$role" = proxy ]; then
        taskset -c "$server_cpus" "$@" >"$tmp/$name.log" 2>&1 </dev/null &
      else
        taskset -c "$gen_cpus" "$@" >"$tmp/$name.log" 2>&1 </dev/null &
      fi
      ;;
  esac
  pid[$name]=$!
  started+=("$name")
}

# Where a process runs: session, autogroup, CPUs.
placement() {
  local p="$1" sid ag cpus
  sid="$(ps -o sid= -p "$p" 2>/dev/null | tr -d ' ')"
  ag="$(cut -d' ' -f1 /proc/"$p"/autogroup 2>/dev/null || echo '-')"
  cpus="$(taskset -pc "$p" 2>/dev/null | sed 's/.*: //')"
  echo "session $sid, ${ag#/}, CPUs $cpus"
}

fail_with_log() {
  local name="$1" msg="$2" f
  echo "compare.sh: $name: $msg" >&2
  for f in "$tmp/$name.log" "$tmp/$name.error.log"; do
    if [ -s "$f" ]; then
      echo "--- last lines of $(basename "$f"):" >&2
      tail -n 20 "$f" >&2
    fi
  done
  exit 1
}

# Waits (at most 30 s) until url answers 200 with a body of the expected size.
await_ready() {
  local name="$1" url="$2" expect_bytes="$3" i got
  for ((i = 0; i < 150; i++)); do
    kill -0 "${pid[$name]}" 2>/dev/null || fail_with_log "$name" "exited during start-up"
    got="$(curl -sk "${curl_opts[@]}" -o /dev/null -w '%{http_code} %{size_download}' --max-time 1 "$url" || true)"
    [ "$got" = "200 $expect_bytes" ] && return 0
    sleep 0.2
  done
  fail_with_log "$name" "not ready after 30 s ($url answered '${got:-nothing}')"
}

used_ports=" "
# Sets REPLY to a port nobody listens on, below the ephemeral range so that the many client
# connections of the generators and the proxies cannot take it.
pick_port() {
  local low p i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 12000 ] || low=32768
  for ((i = 0; i < 500; i++)); do
    p=$((10000 + RANDOM % (low - 10000)))
    case "$used_ports" in *" $p "*) continue ;; esac
    if [ -z "$("$SS" -Htln "sport = :$p")" ]; then
      used_ports+="$p "
      REPLY="$p"
      return 0
    fi
  done
  die "found no free port"
}

# render TEMPLATE OUT KEY=VALUE...: copies TEMPLATE with every @KEY@ replaced.
render() {
  local template="$1" out="$2" kv script=""
  shift 2
  for kv in "$@"; do
    script+="s|@${kv%%=*}@|${kv#*=}|g;"
  done
  sed -e "$script" "$here/$template" >"$out"
}

# ---- the targets -----------------------------------------------------------------------------

declare -A port=()
group=""        # plain, h2c, tls or tls-full: which proxies run now
curl_opts=()    # how curl checks the group's targets (h2c: prior knowledge)
scheme=http

start_origins() {
  local o body1024
  body1024="$(printf '%*s' 1024 '' | tr ' ' 'x')"
  for o in origin1 origin2; do
    pick_port
    port[$o]="$REPLY"
    render origin.conf "$tmp/$o.conf" NAME="$o" PORT="${port[$o]}" DIR="$tmp" BODY3="abc" BODY1024="$body1024"
    start "$o" origin "$NGINX" -e "$tmp/$o.error.log" -p "$tmp" -c "$tmp/$o.conf"
  done
  for o in origin1 origin2; do
    await_ready "$o" "http://127.0.0.1:${port[$o]}/b1024" 1024
  done
}

make_certificate() {
  # One self-signed ECDSA P-256 certificate for every proxy, as in the issue's measurements.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
  cat "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/haproxy.pem"
}

# start_group plain|tls|tls-full: starts the three proxies for that group, checks them, warms them up.
start_group() {
  local g="$1" p resumption=true seen stc_config=()
  group="$g"
  { [ "$g" = plain ] || [ "$g" = h2c ]; } && scheme=http || scheme=https
  curl_opts=()
  [ "$g" = h2c ] && curl_opts=(--http2-prior-knowledge)
  [ "$g" = tls-full ] && resumption=false
  for p in "${targets[@]}"; do
    pick_port
    port[$p]="$REPLY"
  done
  # stc's state (API changes, TLS ticket keys) stays in the temporary directory, not in the caller's.
  printf 'state_dir: %s\n' "$tmp/stc-state-$g" >"$tmp/stc-$g.yaml"
  if [ "$g" != plain ] && [ "$g" != h2c ]; then
    printf 'tls:\n  cert: %s\n  key: %s\n  resumption: %s\n' "$tmp/cert.pem" "$tmp/key.pem" "$resumption" >>"$tmp/stc-$g.yaml"
  fi
  stc_config=(--config "$tmp/stc-$g.yaml")
  start stc proxy "$stc_java" "${stc_java_opts[@]}" -jar "$jar" serve "${stc_config[@]}" --host 127.0.0.1 --port "${port[stc]}" \
    --admin-port 0 --algorithm round_robin --backend "127.0.0.1:${port[origin1]}" --backend "127.0.0.1:${port[origin2]}" \
    ${stc_serve_args[@]+"${stc_serve_args[@]}"}
  if [ "$g" = plain ] || [ "$g" = h2c ]; then
    # h2c: nginx speaks cleartext HTTP/2 only where the listen line says http2 (then HTTP/2 alone);
    # HAProxy is told so too, though it would also recognise the preface; stc's listener does both.
    local h2=""
    [ "$g" = h2c ] && h2=1
    render nginx-proxy.conf "$tmp/nginx.conf" PORT="${port[nginx]}" DIR="$tmp" ORIGIN1="${port[origin1]}" ORIGIN2="${port[origin2]}" \
      HTTP2="${h2:+ http2}"
    render haproxy.cfg "$tmp/haproxy.cfg" PORT="${port[haproxy]}" ORIGIN1="${port[origin1]}" ORIGIN2="${port[origin2]}" \
      PROTO="${h2:+ proto h2}"
  else
    local nginx_sessions="ssl_session_cache shared:bench:10m; ssl_session_tickets on;"
    local haproxy_tickets="" haproxy_cache=20000
    if [ "$resumption" = false ]; then
      nginx_sessions="ssl_session_cache off; ssl_session_tickets off;"
      haproxy_tickets="no-tls-tickets" haproxy_cache=0
    fi
    render nginx-proxy-tls.conf "$tmp/nginx.conf" PORT="${port[nginx]}" DIR="$tmp" ORIGIN1="${port[origin1]}" \
      ORIGIN2="${port[origin2]}" CERT="$tmp/cert.pem" KEY="$tmp/key.pem" SESSIONS="$nginx_sessions"
    render haproxy-tls.cfg "$tmp/haproxy.cfg" PORT="${port[haproxy]}" ORIGIN1="${port[origin1]}" ORIGIN2="${port[origin2]}" \
      PEM="$tmp/haproxy.pem" TICKETS="$haproxy_tickets" CACHESIZE="$haproxy_cache"
  fi
  start nginx proxy "$NGINX" -e "$tmp/nginx.error.log" -p "$tmp" -c "$tmp/nginx.conf"
  start haproxy proxy "$HAPROXY" -db -f "$tmp/haproxy.cfg"
  for ((i = 0; i < 150; i++)); do
    grep -q '^stc listening on' "$tmp/stc.log" && break
    kill -0 "${pid[stc]}" 2>/dev/null || fail_with_log stc "exited during start-up"
    sleep 0.2
  done
  grep -q '^stc listening on' "$tmp/stc.log" || fail_with_log stc "did not print 'stc listening on' within 30 s"
  echo
  echo "## targets: $g ($(case "$g" in plain) echo "plain HTTP" ;; h2c) echo "cleartext HTTP/2" ;; *) echo "TLS, resumption $resumption" ;; esac))"
  for p in "${targets[@]}"; do
    await_ready "$p" "$(url "$p" 1024)" 1024
    # Six requests on one connection must reach both origins if the proxy balances round robin.
    if [ "$g" = h2c ]; then
      # curl 7.88 cannot reuse a prior-knowledge connection for a second URL (exit 16, HAProxy
      # and nginx alike): one connection each.
      seen="$(for _ in 1 2 3 4 5 6; do curl -sk "${curl_opts[@]}" -D - -o /dev/null "$(url "$p" 3)"; done |
        tr -d '\r' | awk -F': ' 'tolower($1) == "x-origin" { print $2 }' | sort -u | paste -sd ' ' -)"
    else
      seen="$(curl -sk -D - -o /dev/null $(for _ in 1 2 3 4 5 6; do printf '%s ' "$(url "$p" 3)"; done) |
        tr -d '\r' | awk -F': ' 'tolower($1) == "x-origin" { print $2 }' | sort -u | paste -sd ' ' -)"
    fi
    printf '%-8s port %-5s pid %-7s %s; reached: %s\n' "$p" "${port[$p]}" "${pid[$p]}" "$(placement "${pid[$p]}")" "${seen:-none}"
    [ "$(wc -w <<<"$seen")" = 2 ] || echo "compare.sh: warning: $p did not spread six requests over both origins" >&2
  done
  if [ "$g" != plain ] && [ "$g" != h2c ]; then
    echo "stc TLS: $(grep -o 'TLS provider: [^)]*)' "$tmp/stc.log" | head -n 1)"
  fi
  warm stc "$warmup"
  warm nginx "$other_warmup"
  warm haproxy "$other_warmup"
}

stop_group() {
  local p
  for p in "${targets[@]}"; do
    stop_server "$p"
  done
  # Forget them, so the cleanup does not stop them twice.
  local kept=() n
  for n in "${started[@]}"; do
    [[ " ${targets[*]} " == *" $n "* ]] || kept+=("$n")
  done
  started=("${kept[@]}")
}

url() { echo "$scheme://127.0.0.1:${port[$1]}/b$2"; }

# ---- running a generator and reading its numbers ---------------------------------------------

# run TARGET MODE VARIANT SECONDS OUT: one generator run against TARGET.
run() {
  local t="$1" mode="$2" v="$3" secs="$4" out="$5" u
  case "$mode" in
    rate)
      u="$(url "$t" 3)"
      if [ "$generator" = wrk2 ]; then
        gen "$WRK2" -t2 -c64 -d"${secs}s" -R"$v" --latency "$u" >"$out" 2>&1 &
      else
        # h2load's rate is per connection: 64 connections share the offered rate.
        gen "$H2LOAD" --h1 -t2 -c64 --rps="$(awk -v r="$v" 'BEGIN { printf "%.3f", r / 64 }')" -D "$secs" \
          --log-file="$out.log" "$u" >"$out" 2>&1 &
      fi
      ;;
    saturation) gen "$WRK" -t2 -c64 -d"${secs}s" --latency "$(url "$t" "$v")" >"$out" 2>&1 & ;;
    tls-keepalive) gen "$WRK" -t2 -c64 -d"${secs}s" --latency "$(url "$t" 1024)" >"$out" 2>&1 & ;;
    tls-reconnect | tls-handshake)
      gen "$WRK" -t2 -c32 -d"${secs}s" --latency -H 'Connection: close' "$(url "$t" 1024)" >"$out" 2>&1 & ;;
    h2 | h2c) gen "$H2LOAD" -t2 -c32 -m10 -D "$secs" --log-file="$out.log" "$(url "$t" 1024)" >"$out" 2>&1 & ;;
  esac
  gen_pid=$!
  wait "$gen_pid" || true
  gen_pid=""
}

# Reads a run's output into rps, p50, p99, p999, pmax (milliseconds; "-" when the tool has none),
# errors (count) and problems (the tool's own lines about them).
parse() {
  local mode="$1" out="$2"
  if [ "$mode" = h2 ] || [ "$mode" = h2c ] || { [ "$mode" = rate ] && [ "$generator" = h2load ]; }; then
    read -r rps errors < <(awk '
      /^finished in/ { for (i = 1; i <= NF; i++) if ($i == "req/s,") rps = $(i - 1) }
      /^status codes:/ { gsub(",", ""); err += $7 + $9 }
      /^requests:/ { gsub(",", ""); for (i = 1; i <= NF; i++) if ($i == "timeout") err += $(i - 1) }
      END { printf "%s %d\n", (rps == "" ? "-" : rps), err }' "$out")
    # Per-request durations (microseconds, third column) of the requests that finished.
    read -r p50 p99 p999 pmax < <(awk '{ print $3 }' "$out.log" 2>/dev/null | sort -n | awk '
      { a[NR] = $1 }
      function q(p,   i) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return a[i] / 1000 }
      END { if (NR == 0) print "- - - -"; else printf "%.3f %.3f %.3f %.3f\n", q(0.5), q(0.99), q(0.999), a[NR] / 1000 }')
    problems="$(grep -E '^(requests|status codes):' "$out" | paste -sd ';' - || true)"
    [ "$errors" -gt 0 ] || problems=""
    return
  fi
  read -r rps p50 p99 p999 pmax errors < <(awk '
    function ms(v,   n, u) {
      n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
      if (u == "us") return n / 1000
      if (u == "ms") return n
      if (u == "s") return n * 1000
      if (u == "m") return n * 60000
      if (u == "h") return n * 3600000
      return -1
    }
    /^Requests\/sec:/ { rps = $2 }
    /^ *50(\.000)?% / { p50 = ms($2) }
    /^ *99(\.000)?% / { p99 = ms($2) }
    /^ *99\.900% / { p999 = ms($2) }
    /^ *100\.000% / { pmax = ms($2) }
    /^ +Latency / && pmax == "" { pmax = ms($4) }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i + 0 }
    END { printf "%s %s %s %s %s %d\n", (rps == "" ? "-" : rps), (p50 == "" ? "-" : p50), (p99 == "" ? "-" : p99), (p999 == "" ? "-" : p999), (pmax == "" ? "-" : pmax), err }
  ' "$out")
  problems="$(grep -E 'Non-2xx|Socket errors' "$out" | sed 's/^ *//' | paste -sd ';' - || true)"
}

clk_tck="$(getconf CLK_TCK)"
# "steal total" clock ticks of all CPUs so far, from /proc/stat. Steal is time a virtual CPU was
# ready to run but its hypervisor ran something else; a run that loses much of it says nothing
# about the target that ran in it.
cpu_steal() {
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9 + 0, t }' /proc/stat
}

# CPU time (user + system, clock ticks) used so far by a target: the process, its children
# (nginx's workers) and all their threads.
cpu_ticks() {
  local p t=0 f
  for p in "${pid[$1]}" $(pgrep -P "${pid[$1]}" || true); do
    for f in /proc/"$p"/task/*/stat; do
      t=$((t + $(sed 's/.*) //' "$f" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
    done
  done
  echo "$t"
}

declare -A vals=() errs=() round_vals=()
declare -A kept=() dropped=() noisy=()

# measure TARGET MODE VARIANT ROUND: one measured run; its numbers go to round_vals[TARGET].
measure() {
  local t="$1" mode="$2" v="$3" r="$4" out ticks0 ticks1 requests cpu steal0 total0 steal1 total1 steal
  out="$tmp/run-$mode-$v-$t-$r.txt"
  ticks0="$(cpu_ticks "$t")"
  read -r steal0 total0 < <(cpu_steal)
  run "$t" "$mode" "$v" "$duration_s" "$out"
  read -r steal1 total1 < <(cpu_steal)
  ticks1="$(cpu_ticks "$t")"
  steal="$(awk -v s=$((steal1 - steal0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }')"
  parse "$mode" "$out"
  if [ "$rps" = "-" ]; then
    echo "compare.sh: the generator gave no result against $t ($mode $v); its output:" >&2
    cat "$out" >&2
    exit 1
  fi
  kill -0 "${pid[$t]}" 2>/dev/null || fail_with_log "$t" "exited during the run"
  requests="$(awk -v r="$rps" -v d="$duration_s" 'BEGIN { printf "%d", r * d }')"
  cpu="$(awk -v t=$((ticks1 - ticks0)) -v hz="$clk_tck" -v n="$requests" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')"
  printf '  %-13s %-6s round %d  %-7s %9.0f req/s  p50 %8s  p99 %8s  p99.9 %8s  max %8s ms  CPU %6.1f us/req  steal %4.1f%%%s\n' \
    "$mode" "$v" "$r" "$t" "$rps" "$p50" "$p99" "$p999" "$pmax" "$cpu" "$steal" "${problems:+  !! $problems}"
  # Errors count whether or not the round is kept: a wrong answer is wrong under any load.
  errs[$mode,$v,$t]=$((${errs[$mode,$v,$t]:-0} + errors))
  round_vals[$t]="$rps $p50 $p99 $p999 $cpu $steal $pmax"
}

# table MODE VARIANT: interleaved rounds, each starting with a different target; a round in which a
# run lost more than --max-steal to steal is dropped and run again, at most 2 x rounds tries.
table() {
  local mode="$1" v="$2" r k t worst worst_steal steal n=0
  declare -A last=()
  echo
  echo "measuring $mode $v"
  for ((r = 1; n < rounds && r <= 2 * rounds; r++)); do
    round_vals=()
    for ((k = 0; k < ${#targets[@]}; k++)); do
      measure "${targets[$(((k + r - 1) % ${#targets[@]}))]}" "$mode" "$v" "$r"
    done
    worst="" worst_steal=0
    for t in "${targets[@]}"; do
      read -r _ _ _ _ _ steal <<<"${round_vals[$t]}"
      if awk -v a="$steal" -v b="$worst_steal" 'BEGIN { exit !(a > b) }'; then
        worst="$t" worst_steal="$steal"
      fi
    done
    if awk -v a="$worst_steal" -v m="$max_steal" 'BEGIN { exit !(a <= m) }'; then
      for t in "${targets[@]}"; do
        vals[$mode,$v,$t]+="${round_vals[$t]};"
      done
      n=$((n + 1))
    else
      echo "  round $r dropped: $worst's run lost ${worst_steal}% of the CPU to steal (--max-steal $max_steal)"
      dropped[$mode,$v]=$((${dropped[$mode,$v]:-0} + 1))
      for t in "${targets[@]}"; do
        last[$t]="${round_vals[$t]}"
      done
    fi
  done
  if [ "$n" -eq 0 ]; then
    # Better a table from a noisy round than none; the report says so.
    for t in "${targets[@]}"; do
      vals[$mode,$v,$t]+="${last[$t]};"
    done
    n=1
    noisy[$mode,$v]=1
  fi
  kept[$mode,$v]=$n
}

# Half the warm-up time on each of the group's paths, so both are compiled before measuring.
warm() {
  local t="$1" seconds="$2" half
  [ "$seconds" -gt 0 ] || return 0
  half=$(((seconds + 1) / 2))
  echo "warming $t for ${seconds}s"
  case "$group" in
    plain)
      run "$t" saturation 3 "$half" "$tmp/warm-$t-a.txt"
      run "$t" saturation 1024 "$((seconds - half > 0 ? seconds - half : 1))" "$tmp/warm-$t-b.txt" ;;
    tls)
      run "$t" tls-keepalive 1024 "$half" "$tmp/warm-$t-a.txt"
      run "$t" h2 1024 "$((seconds - half > 0 ? seconds - half : 1))" "$tmp/warm-$t-b.txt" ;;
    tls-full) run "$t" tls-handshake 1024 "$seconds" "$tmp/warm-$t-a.txt" ;;
    h2c) run "$t" h2c 1024 "$seconds" "$tmp/warm-$t-a.txt" ;;
  esac
  kill -0 "${pid[$t]}" 2>/dev/null || fail_with_log "$t" "exited during warm-up"
}

# ---- reports ----------------------------------------------------------------------------

median() { printf '%s\n' "$@" | { grep -v '^-$' || true; } | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
# column MODE VARIANT TARGET N: the Nth number (1 = req/s ... 6 = steal, 7 = max) of every kept round.
column() {
  tr ';' '\n' <<<"${vals[$1,$2,$3]}" | awk -v n="$4" 'NF { print $n }'
}

report() {
  local mode="$1" v="$2" t label
  declare -A m=()
  case "$mode" in
    rate) label="plain HTTP/1.1, 3 B, offered $v req/s (open loop, $generator)" ;;
    saturation) label="plain HTTP/1.1, $([ "$v" = 1024 ] && echo "1 KiB" || echo "$v B"), closed loop (wrk -t2 -c64)" ;;
    tls-keepalive) label="HTTPS keep-alive, 1 KiB, closed loop (wrk -t2 -c64)" ;;
    tls-reconnect) label="HTTPS, a new connection per request, resumed sessions, 1 KiB (wrk -t2 -c32 -H 'Connection: close')" ;;
    tls-handshake) label="HTTPS, a full handshake per request (resumption off everywhere), 1 KiB (wrk -t2 -c32 -H 'Connection: close')" ;;
    h2) label="HTTP/2 over TLS, 1 KiB, closed loop (h2load -t2 -c32 -m10)" ;;
    h2c) label="cleartext HTTP/2 (prior knowledge), 1 KiB, closed loop (h2load -t2 -c32 -m10)" ;;
  esac
  echo
  echo "### $label: median of ${kept[$mode,$v]} round(s), each column on its own"
  [ "${dropped[$mode,$v]:-0}" -eq 0 ] || echo "(${dropped[$mode,$v]} round(s) dropped for steal over ${max_steal}%)"
  [ -z "${noisy[$mode,$v]:-}" ] || echo "(no round stayed under the steal limit: the table is the last round, steal and all)"
  echo
  echo "| target  |      req/s |  p50 ms |  p99 ms | p99.9 ms |  max ms | CPU us/req | steal % | errors |"
  echo "|---------|-----------:|--------:|--------:|---------:|--------:|-----------:|--------:|-------:|"
  for t in "${targets[@]}"; do
    # shellcheck disable=SC2046 # lists of numbers
    m[$t,rps]="$(median $(column "$mode" "$v" "$t" 1))"
    m[$t,p50]="$(median $(column "$mode" "$v" "$t" 2))"
    m[$t,p99]="$(median $(column "$mode" "$v" "$t" 3))"
    m[$t,p999]="$(median $(column "$mode" "$v" "$t" 4))"
    m[$t,cpu]="$(median $(column "$mode" "$v" "$t" 5))"
    m[$t,steal]="$(median $(column "$mode" "$v" "$t" 6))"
    m[$t,max]="$(median $(column "$mode" "$v" "$t" 7))"
    printf '| %-7s | %10.0f | %7s | %7s | %8s | %7s | %10.1f | %7.1f | %6d |\n' "$t" "${m[$t,rps]}" "${m[$t,p50]}" \
      "${m[$t,p99]}" "${m[$t,p999]}" "${m[$t,max]}" "${m[$t,cpu]}" "${m[$t,steal]}" "${errs[$mode,$v,$t]:-0}"
  done
  echo
  local verdict=1
  if [ "$arrangement" != shared ]; then
    echo "verdict: none (arrangement $arrangement; the bars are judged on --arrangement shared)"
    verdict=0
  elif [ -n "$stc_args" ]; then
    echo "verdict: none (stc ran with --stc-args '$stc_args'; the bars judge its defaults)"
    verdict=0
  fi
  awk -v mode="$mode" -v v="$v" -v judge="$verdict" \
    -v s="${m[stc,rps]}" -v sp="${m[stc,p99]}" -v sq="${m[stc,p999]}" -v sc="${m[stc,cpu]}" -v se="${errs[$mode,$v,stc]:-0}" \
    -v n="${m[nginx,rps]}" -v np="${m[nginx,p99]}" -v nq="${m[nginx,p999]}" -v nc="${m[nginx,cpu]}" \
    -v h="${m[haproxy,rps]}" -v hp="${m[haproxy,p99]}" -v hq="${m[haproxy,p999]}" -v hc="${m[haproxy,cpu]}" \
    -v sx="${m[stc,max]}" -v nx="${m[nginx,max]}" -v hx="${m[haproxy,max]}" '
    function min(a, b) { return a < b ? a : b }
    BEGIN {
      printf "stc / nginx:   req/s %.2fx, p99 %.2fx, CPU/req %.2fx\n", s / n, sp / np, sc / nc
      printf "stc / haproxy: req/s %.2fx, p99 %.2fx, CPU/req %.2fx\n", s / h, sp / hp, sc / hc
      if (!judge) exit
      if (mode == "tls-reconnect") { print "verdict: none (context for tls-handshake: wrk resumes sessions)"; exit }
      if (mode == "rate") {
        bc = min(nc, hc); bp = min(np, hp); bq = min(nq, hq)
        ok = (sc <= 0.85 * bc && sp <= bp && sq <= bq && s >= 0.98 * v && se == 0)
        printf "bar (CPU/req <= 0.85x the better, p99 and p99.9 no higher than the better, offered rate held, no errors): %s", ok ? "MET" : "NOT MET"
        printf " (CPU %.2fx, p99 %s vs %s, p99.9 %s vs %s ms, %.0f of %d req/s, errors %d)\n", sc / bc, sp, bp, sq, bq, s, v, se
        exit
      }
      k = (mode == "tls-handshake") ? 1.0 : 1.05
      if (n >= h) { name = "nginx"; b = n; bp = np } else { name = "haproxy"; b = h; bp = hp }
      ok = (s >= k * b && sp <= bp && se == 0)
      printf "bar (req/s >= %.2fx the better, here %s, with p99 no higher and no errors): %s", k, name, ok ? "MET" : "NOT MET"
      printf " (req/s %.2fx, p99 %s vs %s ms, errors %d)\n", s / b, sp, bp, se
      if (mode == "h2" || mode == "h2c") {
        # Issue 19 words this bar as "max latency no higher": the slowest single request of a
        # round (one in half a million), its median over the rounds, shown beside the p99.
        bx = (name == "nginx") ? nx : hx
        printf "max latency (median over the rounds of the slowest request): stc %s vs %s %s ms: %s\n", sx, name, bx, (sx + 0 <= bx + 0) ? "no higher" : "higher"
      }
    }'
}

# ---- main ----------------------------------------------------------------------------------

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# stc vs nginx vs HAProxy"
echo "date:         $(date)"
echo "command:      $command_line"
echo "modes:        ${modes[*]}"
echo "settings:     rounds=$rounds duration=$duration stc-warmup=${warmup}s others-warmup=${other_warmup}s max-steal=${max_steal}% stc-opts='${stc_opts}' stc-args='${stc_args}'"
case "$arrangement" in
  shared) echo "arrangement:  shared: origins, proxies and load generator all in this script's session (one autogroup)" ;;
  setsid) echo "arrangement:  setsid: each origin and proxy in a session of its own (own autogroup); the load generator in this script's" ;;
  pinned) echo "arrangement:  pinned: all in this script's session; proxies on CPUs $server_cpus, origins and load generator on CPUs $gen_cpus" ;;
esac
echo "generator:    this script: $(placement $$); autogroup scheduling $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo '?')"
echo "machine:      $ncpu cores, load average before start: $load_before"
echo "versions:     $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), $("$HAPROXY" -v | head -n 1 | awk '{ print "HAProxy " $3 }'), $("$WRK" -v 2>&1 | head -n 1 | awk '{ print "wrk " $2 }'), $("$H2LOAD" --version | head -n 1)${WRK2:+, wrk2 ${wrk2_commit:0:7}}, stc on $("$stc_java" -version 2>&1 | head -n 1)"

start_origins
for o in origin1 origin2; do
  printf '%-8s port %-5s pid %-7s %s\n' "$o" "${port[$o]}" "${pid[$o]}" "$(placement "${pid[$o]}")"
done
if want tls-keepalive || want tls-reconnect || want tls-handshake || want h2; then
  make_certificate
fi

tables=()
if want rate || want saturation; then
  start_group plain
  if want rate; then
    for r in $rates; do table rate "$r"; tables+=("rate $r"); done
  fi
  if want saturation; then
    for s in 3 1024; do table saturation "$s"; tables+=("saturation $s"); done
  fi
  stop_group
fi
if want tls-keepalive || want tls-reconnect || want h2; then
  start_group tls
  for m in tls-keepalive tls-reconnect h2; do
    if want "$m"; then table "$m" 1024; tables+=("$m 1024"); fi
  done
  stop_group
fi
if want h2c; then
  start_group h2c
  table h2c 1024
  tables+=("h2c 1024")
  stop_group
fi
if want tls-handshake; then
  start_group tls-full
  table tls-handshake 1024
  tables+=("tls-handshake 1024")
  stop_group
fi

for tv in "${tables[@]}"; do
  # shellcheck disable=SC2086 # "mode variant"
  report $tv
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
