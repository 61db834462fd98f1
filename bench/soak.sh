#!/usr/bin/env bash
# Soak test: steady open-loop load through stc for many minutes while backends are added and
# removed through the admin API; prints stc's RSS, heap after a full GC, open file descriptors
# and threads each minute, then whether they stayed flat and no request failed.
# A benchmark, not a test: CI never runs it. See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/target/stc.jar"
command_line="bench/soak.sh${*:+ $*}"

usage() {
  cat <<EOF
Usage: bench/soak.sh [--minutes N] [--rate R] [--backends N] [--churn S] [--stc-opts "..."]

Starts demo backends and stc on free loopback ports, measures stc's closed-loop maximum for a few
seconds, then sends an open-loop load (stc load --rate R) for N minutes. Every --churn seconds it
removes the longest-serving backend and adds a spare one through the admin API. Each minute it
samples stc's RSS, heap after a full GC (jcmd GC.run, GC.heap_info), open file descriptors
(/proc/PID/fd) and threads.

Bar: from minute 2 on, RSS, heap after GC and open file descriptors stay within 10% of minute 1,
no connection to a removed backend stays open, and no request fails (every response 2xx, no
connect/io/timeout error, nothing unfinished). The descriptors compared leave out the established
connections from clients and to the backends in the pool: their number follows the load (a new
backend's connection pool fills, a latency spike opens more), not a leak; both are printed.
Exits 0 when the bar is met, 1 when not.

  --minutes N       length of the load in minutes (default 10)
  --rate R          requests per second (default: half the measured closed-loop maximum)
  --backends N      backend processes: 2 serve at a time, the rest wait as spares (default 4)
  --churn S         seconds between backend changes (default 30)
  --stc-opts "..."  options for the java command running stc (default "-Xms256m -Xmx256m")
  -h, --help        this text
EOF
}

die() {
  echo "soak.sh: $*" >&2
  exit 1
}

# ---- options -------------------------------------------------------------------------------

minutes=10 rate="" nbackends=4 churn=30 stc_opts="-Xms256m -Xmx256m"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes | --rate | --backends | --churn | --stc-opts)
      [ $# -ge 2 ] || { echo "soak.sh: $1 needs a value" >&2; usage >&2; exit 2; }
      case "$1" in
        --minutes) minutes="$2" ;;
        --rate) rate="$2" ;;
        --backends) nbackends="$2" ;;
        --churn) churn="$2" ;;
        --stc-opts) stc_opts="$2" ;;
      esac
      shift 2
      ;;
    --minutes=*) minutes="${1#*=}"; shift ;;
    --rate=*) rate="${1#*=}"; shift ;;
    --backends=*) nbackends="${1#*=}"; shift ;;
    --churn=*) churn="${1#*=}"; shift ;;
    --stc-opts=*) stc_opts="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "soak.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "soak.sh: --minutes: expected 1..9999, got '$minutes'" >&2; exit 2; }
[ -z "$rate" ] || [[ "$rate" =~ ^[1-9][0-9]{0,6}$ ]] || { echo "soak.sh: --rate: expected a whole number of req/s, got '$rate'" >&2; exit 2; }
[[ "$nbackends" =~ ^[3-9]$|^[1-9][0-9]$ ]] || { echo "soak.sh: --backends: expected 3..99, got '$nbackends'" >&2; exit 2; }
[[ "$churn" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "soak.sh: --churn: expected whole seconds, got '$churn'" >&2; exit 2; }
read -r -a stc_java_opts <<<"$stc_opts"

# ---- prerequisites: report, never install ----------------------------------------------------

missing=()
for t in java jcmd curl ss; do
  command -v "$t" >/dev/null || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
  die "missing: ${missing[*]} (jcmd comes with a JDK: apt-get install -y openjdk-17-jdk-headless curl iproute2)"
fi
if [ ! -f "$jar" ]; then
  echo "soak.sh: $jar is missing; build it with:" >&2
  echo "  (cd $root && mvn -B -q package -DskipTests)" >&2
  exit 1
fi

# ---- processes we start, and their cleanup -----------------------------------------------------

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stc-soak.XXXXXX")"
declare -A pid=()  # name -> pid of a process we started (leader of its own session)
started=()

cleanup() {
  local rc=$? name p i
  trap - EXIT INT TERM
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pid[${started[$i]}]}" 2>/dev/null || true
  done
  for name in "${started[@]}"; do
    p="${pid[$name]}"
    for ((i = 0; i < 150; i++)); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
      echo "soak.sh: $name (pid $p) ignored SIGTERM; killing it" >&2
      kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a process in its own session with its output in $tmp/<name>.log; setsid execs in place,
# so $! is the process itself.
start() {
  local name="$1"
  shift
  setsid "$@" >"$tmp/$name.log" 2>&1 </dev/null &
  pid[$name]=$!
  started+=("$name")
}

fail_with_log() {
  echo "soak.sh: $1: $2" >&2
  if [ -s "$tmp/$1.log" ]; then
    echo "--- last lines of $1.log:" >&2
    tail -n 20 "$tmp/$1.log" >&2
  fi
  exit 1
}

# Waits (at most 60 s) until url answers 200.
await_ready() {
  local name="$1" url="$2" i code=""
  for ((i = 0; i < 300; i++)); do
    kill -0 "${pid[$name]}" 2>/dev/null || fail_with_log "$name" "exited during start-up"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)"
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  fail_with_log "$name" "not ready after 60 s ($url answered '${code:-nothing}')"
}

used_ports=" "
# Sets REPLY to a port nobody listens on, below the ephemeral range so that client connections
# cannot take it.
pick_port() {
  local low p i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 12000 ] || low=32768
  for ((i = 0; i < 500; i++)); do
    p=$((10000 + RANDOM % (low - 10000)))
    case "$used_ports" in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htln "sport = :$p")" ]; then
      used_ports+="$p "
      REPLY="$p"
      return 0
    fi
  done
  die "found no free port"
}

# json_number JSON KEY: the first number after "KEY": in one-line JSON.
json_number() {
  grep -o "\"$2\":[0-9.eE+-]*" <<<"$1" | head -n 1 | cut -d: -f2
}

# ---- start -------------------------------------------------------------------------------------

echo "soak: $command_line"
echo "soak: $(date -u), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "soak: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

backend_ports=()
for ((i = 1; i <= nbackends; i++)); do
  pick_port
  backend_ports+=("$REPLY")
  start "backend$i" java -Xmx64m -jar "$jar" backend --port "$REPLY" --name "b$i"
done
pick_port; stc_port="$REPLY"
pick_port; admin_port="$REPLY"
cat >"$tmp/stc.yaml" <<EOF
host: 127.0.0.1
port: $stc_port
backends:
  - {host: 127.0.0.1, port: ${backend_ports[0]}}
  - {host: 127.0.0.1, port: ${backend_ports[1]}}
health: {interval: 1s, timeout: 1s}
state_dir: $tmp/state
admin: {port: $admin_port}
drain_timeout: 10s
EOF
for ((i = 1; i <= nbackends; i++)); do
  await_ready "backend$i" "http://127.0.0.1:${backend_ports[$((i - 1))]}/health"
done
start stc java "${stc_java_opts[@]}" -jar "$jar" serve --config "$tmp/stc.yaml"
await_ready stc "http://127.0.0.1:$admin_port/health"
await_ready stc "http://127.0.0.1:$stc_port/"
stc_pid="${pid[stc]}"
url="http://127.0.0.1:$stc_port/"
admin="http://127.0.0.1:$admin_port"

# ---- rate ----------------------------------------------------------------------------------------

if [ -z "$rate" ]; then
  echo "soak: measuring the closed-loop maximum (warm-up 20000 requests, then 30000)"
  java -jar "$jar" load --url "$url" --requests 20000 --concurrency 64 --json >/dev/null 2>"$tmp/max.log"
  max_json="$(java -jar "$jar" load --url "$url" --requests 30000 --concurrency 64 --json 2>>"$tmp/max.log")"
  max="$(json_number "$max_json" achievedRate)"
  rate="$(awk -v m="$max" 'BEGIN { r = int(m / 2); print (r < 1 ? 1 : r) }')"
  echo "soak: closed-loop maximum ${max} req/s; soaking at half: $rate req/s"
else
  echo "soak: soaking at $rate req/s (--rate)"
fi

# ---- backend churn ---------------------------------------------------------------------------------

in_pool=("${backend_ports[0]}" "${backend_ports[1]}")     # oldest first
spares=("${backend_ports[@]:2}")                           # longest waiting first
churn_log="$tmp/churn.log"
: >"$churn_log"

# Removes the longest-serving backend and adds the longest-waiting spare. A backend whose removal
# is still draining answers 409 when added again; it then stays a spare for the next round.
churn_once() {
  local out="${in_pool[0]}" in="${spares[0]}" code_del code_add
  code_add="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$admin/api/backends" \
    -H 'Content-Type: application/json' -d "{\"host\":\"127.0.0.1\",\"port\":$in}" || true)"
  if [ "$code_add" = 201 ]; then
    spares=("${spares[@]:1}")
    in_pool+=("$in")
    code_del="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X DELETE "$admin/api/backends/127.0.0.1:$out" || true)"
    if [ "$code_del" = 202 ]; then
      in_pool=("${in_pool[@]:1}")
      spares+=("$out")
    fi
  fi
  echo "$(date -u +%T) add 127.0.0.1:$in -> ${code_add:-none}, remove 127.0.0.1:$out -> ${code_del:-skipped}" >>"$churn_log"
}

# ---- samples ---------------------------------------------------------------------------------------

# Prints "rss_kib heap_kib fds threads live stale" for stc now, after a full GC: live counts the
# established connections from clients and to backends in the pool, which come and go with the
# load (a new backend's connection pool fills up, latency spikes open more); stale counts those
# to backends that were removed, which should all have closed.
sample() {
  local rss heap fds threads live=0 stale=0 local_addr peer port
  jcmd "$stc_pid" GC.run >/dev/null 2>&1 || true
  heap="$(jcmd "$stc_pid" GC.heap_info 2>/dev/null | grep -m 1 -o 'heap *total [0-9]*K, used [0-9]*K' | grep -o 'used [0-9]*' | cut -d' ' -f2)"
  rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$stc_pid/status")"
  threads="$(awk '/^Threads:/ { print $2 }' "/proc/$stc_pid/status")"
  fds="$(find "/proc/$stc_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
  while read -r _ _ local_addr peer _; do
    port="${peer##*:}"
    if [ "${local_addr##*:}" = "$stc_port" ] || [[ " ${in_pool[*]} " == *" $port "* ]]; then
      live=$((live + 1))
    elif [[ " ${spares[*]} " == *" $port "* ]]; then
      stale=$((stale + 1))
    fi
  done < <(ss -Htnp state established 2>/dev/null | grep "pid=$stc_pid,")
  echo "${rss:-0} ${heap:-0} $fds ${threads:-0} $live $stale"
}

# ---- soak --------------------------------------------------------------------------------------------

duration=$((minutes * 60))
echo "soak: $minutes min at $rate req/s, backend churn every ${churn}s; sampling every minute"
start load java -jar "$jar" load --url "$url" --rate "$rate" --duration "${duration}s" --json --csv "$tmp/load.csv"
t0="$(date +%s)"
next_churn=$churn
samples=()
printf '\n| minute | RSS MiB | heap after GC MiB | open fds | fds w/o live conns | conns to removed | threads | backends up |\n'
printf '|-------:|--------:|------------------:|---------:|-------------------:|-----------------:|--------:|------------:|\n'
for ((m = 1; m <= minutes; m++)); do
  while :; do
    now=$(($(date +%s) - t0))
    kill -0 "$stc_pid" 2>/dev/null || fail_with_log stc "exited during the soak"
    # Sample before a change due at the same second, so the last removal had time to drain.
    [ "$now" -ge $((m * 60)) ] && break
    if [ "$now" -ge "$next_churn" ] && [ "$next_churn" -lt "$duration" ]; then
      churn_once
      next_churn=$((next_churn + churn))
    fi
    sleep 1
  done
  read -r rss heap fds threads live stale < <(sample)
  samples+=("$rss $heap $((fds - live)) $stale")
  up="$(json_number "$(curl -s --max-time 5 "$admin/status" || true)" available_backends)"
  printf '| %6d | %7.1f | %17.1f | %8d | %18d | %16d | %7d | %11s |\n' "$m" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$(awk -v k="$heap" 'BEGIN { print k / 1024 }')" \
    "$fds" "$((fds - live))" "$stale" "$threads" "${up:-?}"
done

# The load generator stops by itself at the end of its duration; give it a little longer to report.
for ((i = 0; i < 600; i++)); do
  kill -0 "${pid[load]}" 2>/dev/null || break
  sleep 0.1
done
wait "${pid[load]}" 2>/dev/null || true
result="$(grep -m 1 '^{' "$tmp/load.log" || true)"
[ -n "$result" ] || fail_with_log load "no result"

# ---- verdict -------------------------------------------------------------------------------------------

completed="$(json_number "$result" completed)"
achieved="$(json_number "$result" achievedRate)"
status="$(grep -o '"status":{[^}]*}' <<<"$result" | head -n 1)"
non2xx="$(grep -o '"[0-9a-z]*":[0-9]*' <<<"${status#\"status\":}" | awk -F'[":]+' '$2 !~ /^2/ { n += $3 } END { print n + 0 }')"
errors="$(grep -o '"errors":{"total":[0-9]*' <<<"$result" | grep -o '[0-9]*$')"
dropped="$(json_number "$result" droppedByClient)"
unfinished="$(json_number "$result" unfinished)"
failed=$((non2xx + errors + dropped + unfinished))
p99="$(grep -o '"p99":[0-9.]*' <<<"$result" | head -n 1 | cut -d: -f2)"

echo
echo "churn:"
sed 's/^/  /' "$churn_log"
echo
echo "load: $completed completed at $achieved req/s (target $rate), p99 ${p99} ms; status $status"
echo "failed requests: $failed (non-2xx $non2xx, errors $errors, dropped $dropped, unfinished $unfinished)"
echo "soak: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

verdict=met
read -r base_rss base_heap base_fds _ <<<"${samples[0]}"
for ((i = 0; i < ${#samples[@]}; i++)); do
  read -r rss heap fds stale <<<"${samples[$i]}"
  if [ "$stale" -gt 0 ]; then
    echo "leak: minute $((i + 1)): $stale connections to removed backends still open"
    verdict="not met"
  fi
  [ "$i" -gt 0 ] || continue
  for pair in "RSS $rss $base_rss" "heap $heap $base_heap" "fds-without-live-connections $fds $base_fds"; do
    read -r what v b <<<"$pair"
    if awk -v v="$v" -v b="$b" 'BEGIN { exit !(v > 1.10 * b) }'; then
      echo "growth: minute $((i + 1)) $what $v > 110% of minute 1 ($b)"
      verdict="not met"
    fi
  done
done
[ "$failed" -eq 0 ] || verdict="not met"
[ "${#samples[@]}" -gt 1 ] || echo "note: one minute only, nothing to compare minute 1 with"
echo "bar (RSS, heap after GC, fds without live connections within 110% of minute 1; no connection"
echo "     left to a removed backend; zero failed requests): $verdict"
[ "$verdict" = met ]
