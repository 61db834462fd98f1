#!/usr/bin/env bash
# Slow-client attacks that are not ours: slowhttptest (Debian's) against stc with its default
# limits, slowloris (slow headers), a slow body (R-U-Dead-Yet) and a slow reader, while a client on
# another loopback address keeps asking. A check run by hand, not by CI. See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/target/stc.jar"
connections=3000
rate=300
seconds=40
install=1

usage() {
  cat <<EOF
Usage: bench/slowhttp.sh [--connections N] [--rate N] [--seconds N] [--no-install]

Starts a demo backend and stc in front of it (default limits and timeouts), then for each attack
runs slowhttptest from 127.0.0.1 (default $connections connections, $rate a second, for $seconds s)
while curl asks stc for a page from 127.0.0.2 every 0.2 s (3 s timeout). Prints slowhttptest's
last status, how many of the other client's requests failed and their slowest, and stc's open
file descriptors and resident memory before the attacks and after each. Installs slowhttptest
with apt-get unless --no-install.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --connections) connections="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --no-install) install=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if ! command -v slowhttptest >/dev/null; then
  [ "$install" = 1 ] || { echo "slowhttp.sh: slowhttptest is not installed (apt-get install slowhttptest)" >&2; exit 1; }
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q slowhttptest >/dev/null
fi
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package)

tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

backend_port="$(port)"
stc_port="$(port)"
java -jar "$jar" backend --host 127.0.0.1 --port "$backend_port" > "$tmp/backend.log" 2>&1 &
pids+=($!)
java -XX:+UseParallelGC -jar "$jar" serve --host 127.0.0.1 --port "$stc_port" --admin-port 0 \
  --backend "127.0.0.1:$backend_port" > "$tmp/stc.log" 2>&1 &
stc_pid=$!
pids+=($stc_pid)
for _ in $(seq 1 150); do
  curl -s -o /dev/null "http://127.0.0.1:$stc_port/" && break
  sleep 0.2
done
# The other client's connections come from 127.0.0.2 (bound: to 127.0.0.2 itself they would come from 127.0.0.1).
curl -s -o /dev/null --interface 127.0.0.2 "http://127.0.0.1:$stc_port/" || { echo "slowhttp.sh: stc does not answer on 127.0.0.2" >&2; cat "$tmp"/*.log >&2; exit 1; }

usage_line() {
  echo "stc: $(ls /proc/$stc_pid/fd | wc -l) open fds, RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$stc_pid/status)"
}
echo "before: $(usage_line)"

attack() {
  local name="$1"; shift
  echo
  echo "## $name: slowhttptest $*"
  # The other client: one request every 0.2 s, each on a new connection, for as long as the attack runs.
  (
    end=$((SECONDS + seconds + 5))
    while [ $SECONDS -lt $end ]; do
      curl -s -o /dev/null -m 3 --interface 127.0.0.2 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$stc_port/other" || echo "000 3"
      sleep 0.2
    done
  ) > "$tmp/other.txt" &
  local probe=$!
  slowhttptest "$@" -c "$connections" -r "$rate" -l "$seconds" -u "http://127.0.0.1:$stc_port/" -p 3 > "$tmp/slow.txt" 2>&1 || true
  wait "$probe" || true
  # slowhttptest redraws its status; the last block is the end state.
  tr '\r' '\n' < "$tmp/slow.txt" | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^(connected|closed|error|service available):|^Exit status' | tail -n 5 |
    paste -sd ';' - | sed -E 's/ +/ /g; s/;/; /g; s/^/  slowhttptest at the end: /'
  awk '{ n++; if ($1 != "200") bad++; if ($2 > max) max = $2 } END { printf "  the other client: %d requests, %d failed, slowest %.3f s\n", n, bad, max }' "$tmp/other.txt"
  echo "  its statuses: $(awk '{print $1}' "$tmp/other.txt" | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')"
  echo "  after: $(usage_line)"
}

attack "slow headers (slowloris)" -H -i 5 -s 8192 -t GET
attack "slow body (R-U-Dead-Yet)" -B -i 5 -s 8192 -t POST
attack "slow read" -X -w 1 -y 4 -n 5 -z 1 -k 3 -t GET
