#!/usr/bin/env bash
# Benchmarks stc against nginx and HAProxy as reverse proxies in front of the same two nginx
# origins, with wrk, in interleaved rounds; prints one table per response body size.
# A benchmark, not a test: it is never run by CI. See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/target/stc.jar"
proxies=(stc nginx haproxy)
sizes=(3 1024)
wrk_threads=2
wrk_connections=64
command_line="bench/compare.sh${*:+ $*}"

usage() {
  cat <<EOF
Usage: bench/compare.sh [--rounds N] [--duration 10s] [--warmup 45] [--max-steal 3] [--quick]
                        [--stc-opts "..."]

Starts two nginx origins, stc, nginx (reverse proxy) and HAProxy on free loopback ports, warms
them up, then runs interleaved rounds of
  wrk -t$wrk_threads -c$wrk_connections -d<duration> --latency
against each proxy for response bodies of 3 bytes and 1 KiB, and prints the median per proxy.

  --rounds N        measured rounds per body size (default 3)
  --duration D      length of each measured wrk run, as wrk takes it: 10s, 1m (default 10s)
  --warmup S        seconds of load on stc before measuring (default 45; the JIT needs it)
  --max-steal P     a round in which any proxy's run lost more than P% of the machine's CPU time
                    to steal (a virtual machine's CPUs taken by its host) is dropped and run
                    again, at most 2 x rounds tries per body size (default 3; 100 keeps all)
  --quick           5 s warm-up, 1 round of 3 s: checks that the script works, numbers mean little
                    (explicit --rounds/--duration/--warmup still win)
  --stc-opts "..."  options for the java command running stc (default "-XX:+UseParallelGC", as
                    ./stc), e.g. "-XX:+UseG1GC"
  -h, --help        this text
EOF
}

die() {
  echo "compare.sh: $*" >&2
  exit 1
}

# ---- options -------------------------------------------------------------------------------

# The JVM options ./stc runs stc with by default (see there): measure what users run.
rounds="" duration="" warmup="" quick=0 stc_opts="-XX:+UseParallelGC" max_steal=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds | --duration | --warmup | --stc-opts | --max-steal)
      [ $# -ge 2 ] || { echo "compare.sh: $1 needs a value" >&2; usage >&2; exit 2; }
      case "$1" in
        --rounds) rounds="$2" ;;
        --duration) duration="$2" ;;
        --warmup) warmup="$2" ;;
        --stc-opts) stc_opts="$2" ;;
        --max-steal) max_steal="$2" ;;
      esac
      shift 2
      ;;
    --rounds=*) rounds="${1#*=}"; shift ;;
    --duration=*) duration="${1#*=}"; shift ;;
    --warmup=*) warmup="${1#*=}"; shift ;;
    --stc-opts=*) stc_opts="${1#*=}"; shift ;;
    --max-steal=*) max_steal="${1#*=}"; shift ;;
    --quick) quick=1; shift ;;
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
[[ "$rounds" =~ ^[1-9][0-9]?$ ]] || { echo "compare.sh: --rounds: expected 1..99, got '$rounds'" >&2; exit 2; }
[[ "$duration" =~ ^[1-9][0-9]*[smh]?$ ]] || { echo "compare.sh: --duration: expected e.g. 10s or 1m, got '$duration'" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9]{1,4}$ ]] || { echo "compare.sh: --warmup: expected whole seconds, got '$warmup'" >&2; exit 2; }
[[ "$max_steal" =~ ^[0-9]{1,3}(\.[0-9]+)?$ ]] && awk -v m="$max_steal" 'BEGIN { exit !(m <= 100) }' ||
  { echo "compare.sh: --max-steal: expected a percentage 0..100, got '$max_steal'" >&2; exit 2; }
read -r -a stc_java_opts <<<"$stc_opts"

# ---- prerequisites: report, never install ----------------------------------------------------

# Debian keeps nginx and haproxy in /usr/sbin, which is not on every user's PATH.
tool() {
  command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true
}
missing_pkgs=()
for t in wrk nginx haproxy curl; do
  [ -n "$(tool "$t")" ] || missing_pkgs+=("$t")
done
[ -n "$(tool ss)" ] || missing_pkgs+=(iproute2)
[ -n "$(tool java)" ] || missing_pkgs+=(openjdk-17-jre-headless)
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  echo "compare.sh: missing: ${missing_pkgs[*]}. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing_pkgs[*]}" >&2
  exit 1
fi
WRK="$(tool wrk)" NGINX="$(tool nginx)" HAPROXY="$(tool haproxy)" SS="$(tool ss)"
if [ ! -f "$jar" ]; then
  echo "compare.sh: $jar is missing; build it with:" >&2
  echo "  (cd $root && mvn -B -q package -DskipTests)" >&2
  exit 1
fi
if [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
  echo "compare.sh: warning: $jar is older than the sources; rebuild it to measure the current code" >&2
fi

# ---- processes we start, and their cleanup -----------------------------------------------------

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stc-bench.XXXXXX")"
declare -A pid=()  # name -> pid of a server we started (leader of its own process group)
started=()         # names in start order
wrk_pid=""

cleanup() {
  local rc=$? name p i
  trap - EXIT INT TERM
  if [ -n "$wrk_pid" ]; then
    kill -TERM "$wrk_pid" 2>/dev/null || true
  fi
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pid[${started[$i]}]}" 2>/dev/null || true
  done
  for name in "${started[@]}"; do
    p="${pid[$name]}"
    for ((i = 0; i < 150; i++)); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    # Still there after 15 s: kill its process group, which holds only what we started
    # (setsid made it the leader); this also catches nginx workers of a master that died.
    if kill -0 "$p" 2>/dev/null; then
      echo "compare.sh: $name (pid $p) ignored SIGTERM; killing it" >&2
      kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a server in its own session (so a Ctrl+C reaches only this script, which then stops it
# in order) with its output in $tmp/<name>.log. A background child of a shell without job control
# is never a group leader, so setsid execs in place and $! is the server itself.
start() {
  local name="$1"
  shift
  setsid "$@" >"$tmp/$name.log" 2>&1 </dev/null &
  pid[$name]=$!
  started+=("$name")
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
    got="$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 1 "$url" || true)"
    [ "$got" = "200 $expect_bytes" ] && return 0
    sleep 0.2
  done
  fail_with_log "$name" "not ready after 30 s ($url answered '${got:-nothing}')"
}

used_ports=" "
# Sets REPLY to a port nobody listens on, below the ephemeral range so that the many client
# connections of wrk and the proxies cannot take it.
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

# ---- wrk runs and their numbers -------------------------------------------------------------

declare -A port=()
url() { echo "http://127.0.0.1:${port[$1]}/b$2"; }

# run_wrk URL DURATION OUT: one wrk run that stops with this script.
run_wrk() {
  "$WRK" -t"$wrk_threads" -c"$wrk_connections" -d"$2" --latency "$1" >"$3" 2>&1 &
  wrk_pid=$!
  wait "$wrk_pid" || true
  wrk_pid=""
}

# Reads a wrk output into rps, p50 and p99 (milliseconds), errors (count) and problems (wrk's
# own lines about non-2xx responses and socket errors, verbatim).
parse_wrk() {
  local f="$1"
  read -r rps p50 p99 errors < <(awk '
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
    /^ *50% / { p50 = ms($2) }
    /^ *99% / { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i + 0 }
    END { printf "%s %s %s %d\n", (rps == "" ? "-" : rps), (p50 == "" ? "-" : p50), (p99 == "" ? "-" : p99), err }
  ' "$f")
  problems="$(grep -E 'Non-2xx|Socket errors' "$f" | sed 's/^ *//' | paste -sd ';' - || true)"
}

declare -A all_rps=() all_p50=() all_p99=() all_err=() all_cpu=() all_steal=()
declare -A kept_rounds=() dropped=() last_dropped=() noisy=()
clk_tck="$(getconf CLK_TCK)"

# "steal total" clock ticks of all CPUs so far, from /proc/stat. Steal is time a virtual CPU was
# ready to run but its hypervisor ran something else: on a VM it comes and goes with the
# neighbours' load, and a round that loses a tenth of its CPU this way says nothing about the
# proxy that ran in it.
cpu_steal() {
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9 + 0, t }' /proc/stat
}

# CPU time (user + system, in clock ticks) used so far by a server we started: the process, its
# children (nginx's workers) and all their threads. Ticks of a thread that ended are lost, which
# none of these do while serving.
cpu_ticks() {
  local p t=0 f
  for p in "${pid[$1]}" $(pgrep -P "${pid[$1]}" || true); do
    for f in /proc/"$p"/task/*/stat; do
      # Fields 14 and 15 (utime, stime), counted after the ") " that ends the command name.
      t=$((t + $(sed 's/.*) //' "$f" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
    done
  done
  echo "$t"
}

measure() {
  local proxy="$1" size="$2" round="$3" out
  out="$tmp/wrk-$proxy-$size-$round.txt"
  local ticks0 ticks1 requests cpu steal0 total0 steal1 total1 steal
  ticks0="$(cpu_ticks "$proxy")"
  read -r steal0 total0 < <(cpu_steal)
  run_wrk "$(url "$proxy" "$size")" "$duration" "$out"
  read -r steal1 total1 < <(cpu_steal)
  ticks1="$(cpu_ticks "$proxy")"
  steal="$(awk -v s=$((steal1 - steal0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }')"
  parse_wrk "$out"
  requests="$(awk '/requests in/ { print $1 }' "$out")"
  cpu="$(awk -v t=$((ticks1 - ticks0)) -v hz="$clk_tck" -v n="${requests:-0}" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')"
  if [ "$rps" = "-" ] || [ "$p99" = "-" ]; then
    echo "compare.sh: wrk against $proxy gave no result; its output:" >&2
    cat "$out" >&2
    exit 1
  fi
  kill -0 "${pid[$proxy]}" 2>/dev/null || fail_with_log "$proxy" "exited during the run"
  printf '  round %d  %-7s %6s B  %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms  CPU %5.1f us/req  steal %4.1f%%%s\n' \
    "$round" "$proxy" "$size" "$rps" "$p50" "$p99" "$cpu" "$steal" "${problems:+  !! $problems}"
  # Errors count whether or not the round is kept: a wrong answer is wrong under any load.
  all_err[$proxy,$size]=$((${all_err[$proxy,$size]:-0} + errors))
  round_vals[$proxy]="$rps $p50 $p99 $cpu $steal"
}

# keep_round SIZE: adds the round just measured (round_vals) to the medians.
keep_round() {
  local p rps p50 p99 cpu steal
  for p in "${proxies[@]}"; do
    read -r rps p50 p99 cpu steal <<<"${round_vals[$p]}"
    all_rps[$p,$1]+="$rps "
    all_p50[$p,$1]+="$p50 "
    all_p99[$p,$1]+="$p99 "
    all_cpu[$p,$1]+="$cpu "
    all_steal[$p,$1]+="$steal "
  done
}

# Prints the proxy whose run in the round just measured had the most steal, and that steal, if it
# is over --max-steal; prints nothing if the round is clean.
steal_over_limit() {
  local p worst="" worst_steal=0 steal
  for p in "${proxies[@]}"; do
    read -r _ _ _ _ steal <<<"${round_vals[$p]}"
    if awk -v a="$steal" -v b="$worst_steal" 'BEGIN { exit !(a > b) }'; then
      worst="$p" worst_steal="$steal"
    fi
  done
  if awk -v a="$worst_steal" -v m="$max_steal" 'BEGIN { exit !(a > m) }'; then
    echo "$worst $worst_steal"
  fi
}

# Half the time on each body size, so both paths are compiled before measuring.
warm() {
  local proxy="$1" seconds="$2" half
  [ "$seconds" -gt 0 ] || return 0
  half=$(((seconds + 1) / 2))
  echo "warming $proxy for ${seconds}s"
  run_wrk "$(url "$proxy" 3)" "${half}s" "$tmp/warm-$proxy-3.txt"
  run_wrk "$(url "$proxy" 1024)" "$((seconds - half > 0 ? seconds - half : 1))s" "$tmp/warm-$proxy-1024.txt"
  kill -0 "${pid[$proxy]}" 2>/dev/null || fail_with_log "$proxy" "exited during warm-up"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
best() { printf '%s\n' "$@" | sort -g | tail -n 1; }

report() {
  local size="$1" p label
  declare -A m_rps=() m_p99=()
  echo
  if [ "$size" = 1024 ]; then label="1 KiB"; else label="$size B"; fi
  echo "### Body $label: median of ${kept_rounds[$size]} round(s), each column on its own; best = highest req/s"
  if [ "${dropped[$size]:-0}" -gt 0 ]; then
    echo
    echo "${dropped[$size]} round(s) dropped for steal over ${max_steal}% (listed above)."
  fi
  if [ -n "${noisy[$size]:-}" ]; then
    echo
    echo "No round stayed under the steal limit in $((2 * rounds)) tries: this table is the last one, steal and all."
  elif [ "${kept_rounds[$size]}" -lt "$rounds" ]; then
    echo
    echo "Only ${kept_rounds[$size]} of $rounds round(s) could be kept within $((2 * rounds)) tries; treat this table with care."
  fi
  echo
  echo "| proxy   |      req/s |  p50 ms |  p99 ms | best req/s | CPU us/req | steal % | errors |"
  echo "|---------|-----------:|--------:|--------:|-----------:|-----------:|--------:|-------:|"
  for p in "${proxies[@]}"; do
    # shellcheck disable=SC2086 # the lists are space-separated numbers
    m_rps[$p]="$(median ${all_rps[$p,$size]})"
    # shellcheck disable=SC2086
    m_p99[$p]="$(median ${all_p99[$p,$size]})"
    # shellcheck disable=SC2086
    printf '| %-7s | %10.0f | %7.3f | %7.3f | %10.0f | %10.1f | %7.1f | %6d |\n' "$p" "${m_rps[$p]}" \
      "$(median ${all_p50[$p,$size]})" "${m_p99[$p]}" "$(best ${all_rps[$p,$size]})" \
      "$(median ${all_cpu[$p,$size]})" "$(median ${all_steal[$p,$size]})" "${all_err[$p,$size]}"
  done
  echo
  awk -v s="${m_rps[stc]}" -v sp="${m_p99[stc]}" -v n="${m_rps[nginx]}" -v np="${m_p99[nginx]}" \
    -v h="${m_rps[haproxy]}" -v hp="${m_p99[haproxy]}" -v e="${all_err[stc,$size]}" 'BEGIN {
    printf "stc / nginx:   req/s %.2fx, p99 %.2fx\n", s / n, sp / np
    printf "stc / haproxy: req/s %.2fx, p99 %.2fx\n", s / h, sp / hp
    if (n >= h) { name = "nginx"; b = n; bp = np } else { name = "haproxy"; b = h; bp = hp }
    ok = (s >= 1.05 * b && sp <= bp && e == 0)
    printf "bar (stc req/s >= 1.05x the better of the two, here %s, with p99 no higher and no errors): %s", name, ok ? "MET" : "NOT MET"
    printf " (req/s %.2fx, p99 %.3f vs %.3f ms, errors %d)\n", s / b, sp, bp, e
  }'
  # Round by round, as a second view of p99: the proxies take turns, so each comparison is between
  # runs a few seconds apart, though a burst of other work can still fall on one proxy's turn only.
  local better stc_p99 better_p99 i wins=0
  better="$(awk -v n="${m_rps[nginx]}" -v h="${m_rps[haproxy]}" 'BEGIN { print (n >= h ? "nginx" : "haproxy") }')"
  read -r -a stc_p99 <<<"${all_p99[stc,$size]}"
  read -r -a better_p99 <<<"${all_p99[$better,$size]}"
  for i in "${!stc_p99[@]}"; do
    if awk -v a="${stc_p99[$i]}" -v b="${better_p99[$i]}" 'BEGIN { exit !(a <= b) }'; then
      wins=$((wins + 1))
    fi
  done
  echo "rounds in which stc's p99 was no higher than $better's: $wins of ${#stc_p99[@]}"
}

# ---- main ----------------------------------------------------------------------------------

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# stc vs nginx vs HAProxy"
echo "date:         $(date)"
echo "command:      $command_line"
echo "settings:     rounds=$rounds duration=$duration stc-warmup=${warmup}s others-warmup=${other_warmup}s max-steal=${max_steal}% stc-opts='${stc_opts}'"
echo "machine:      $(nproc) cores, load average before start: $load_before"
echo "versions:     $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), $("$HAPROXY" -v | head -n 1 | awk '{ print "HAProxy " $3 }'), $("$WRK" -v 2>&1 | head -n 1 | awk '{ print "wrk " $2 }'), $(java -version 2>&1 | head -n 1)"

body3="abc"
body1024="$(printf '%*s' 1024 '' | tr ' ' 'x')"
for o in origin1 origin2; do
  pick_port
  port[$o]="$REPLY"
  render origin.conf "$tmp/$o.conf" NAME="$o" PORT="${port[$o]}" DIR="$tmp" BODY3="$body3" BODY1024="$body1024"
  start "$o" "$NGINX" -e "$tmp/$o.error.log" -p "$tmp" -c "$tmp/$o.conf"
done
for o in origin1 origin2; do
  await_ready "$o" "http://127.0.0.1:${port[$o]}/b1024" 1024
  await_ready "$o" "http://127.0.0.1:${port[$o]}/health" 2
done

for p in "${proxies[@]}"; do
  pick_port
  port[$p]="$REPLY"
done
start stc java "${stc_java_opts[@]}" -jar "$jar" serve --host 127.0.0.1 --port "${port[stc]}" \
  --algorithm round_robin --backend "127.0.0.1:${port[origin1]}" --backend "127.0.0.1:${port[origin2]}"
render nginx-proxy.conf "$tmp/nginx.conf" PORT="${port[nginx]}" DIR="$tmp" ORIGIN1="${port[origin1]}" ORIGIN2="${port[origin2]}"
start nginx "$NGINX" -e "$tmp/nginx.error.log" -p "$tmp" -c "$tmp/nginx.conf"
render haproxy.cfg "$tmp/haproxy.cfg" PORT="${port[haproxy]}" ORIGIN1="${port[origin1]}" ORIGIN2="${port[origin2]}"
start haproxy "$HAPROXY" -db -f "$tmp/haproxy.cfg"

for ((i = 0; i < 150; i++)); do
  grep -q '^stc listening on' "$tmp/stc.log" && break
  kill -0 "${pid[stc]}" 2>/dev/null || fail_with_log stc "exited during start-up"
  sleep 0.2
done
grep -q '^stc listening on' "$tmp/stc.log" || fail_with_log stc "did not print 'stc listening on' within 30 s"
for p in "${proxies[@]}"; do
  await_ready "$p" "$(url "$p" 3)" 3
  await_ready "$p" "$(url "$p" 1024)" 1024
  # Six requests on one connection must reach both origins if the proxy balances round robin.
  seen="$(curl -s -D - -o /dev/null $(for _ in 1 2 3 4 5 6; do printf '%s ' "$(url "$p" 3)"; done) |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-origin" { print $2 }' | sort -u | paste -sd ' ' -)"
  echo "ports:        $p on ${port[$p]} -> origins ${port[origin1]}, ${port[origin2]} (six requests reached: ${seen:-none})"
  [ "$(wc -w <<<"$seen")" = 2 ] || echo "compare.sh: warning: $p did not spread six requests over both origins" >&2
done

echo
warm stc "$warmup"
warm nginx "$other_warmup"
warm haproxy "$other_warmup"

for size in "${sizes[@]}"; do
  echo
  echo "measuring ${size}-byte bodies: wrk -t$wrk_threads -c$wrk_connections -d$duration --latency"
  kept=0
  for ((r = 1; kept < rounds && r <= 2 * rounds; r++)); do
    declare -A round_vals=()
    # Each round starts with a different proxy, so none always runs first or last.
    for ((k = 0; k < ${#proxies[@]}; k++)); do
      measure "${proxies[$(((k + r - 1) % ${#proxies[@]}))]}" "$size" "$r"
    done
    read -r worst worst_steal < <(steal_over_limit; echo)
    if [ -z "$worst" ]; then
      keep_round "$size"
      kept=$((kept + 1))
    else
      echo "  round $r dropped: $worst's run lost ${worst_steal}% of the CPU to steal (--max-steal $max_steal)"
      dropped[$size]=$((${dropped[$size]:-0} + 1))
      last_dropped[$size]="$(declare -p round_vals)"
    fi
  done
  if [ "$kept" -eq 0 ]; then
    # Better a table from a noisy round than none; the report says so.
    eval "${last_dropped[$size]}"
    keep_round "$size"
    kept=1
    noisy[$size]=1
  fi
  kept_rounds[$size]=$kept
done

for size in "${sizes[@]}"; do
  report "$size"
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -qE ' (WARN|ERROR) |Exception' "$tmp/stc.log"; then
  echo
  echo "stc logged warnings or errors (first 20 lines):"
  grep -E ' (WARN|ERROR) |Exception' "$tmp/stc.log" | head -n 20
fi
