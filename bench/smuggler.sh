#!/usr/bin/env bash
# Request smuggling probes that are not ours: defparam/smuggler (CL.TE and TE.CL desyncs found by
# timing, one mutation of Transfer-Encoding at a time) against stc's plain and TLS listeners, with
# `stc backend` behind them. A check run by hand, not by CI. See bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/target/stc.jar"
repo="${SMUGGLER_REPO:-https://github.com/defparam/smuggler.git}"
commit=2be871e6151ce85167a277fab21c74c851d8b20b
config=exhaustive.py

usage() {
  cat <<EOF
Usage: bench/smuggler.sh [--config default.py|doubles.py|exhaustive.py]

Fetches defparam/smuggler $commit (SMUGGLER_REPO: a clone to take it from) into
~/.cache/stc-bench, starts a demo backend and stc in front of it (a plain and a TLS listener),
and runs every mutation of the config (default $config) against both. Prints how stc answered
each kind of mutation and every finding; exits 1 when smuggler reports one.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --config) config="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$config" in default.py|doubles.py|exhaustive.py) ;; *) echo "--config: expected default.py, doubles.py or exhaustive.py, got '$config'" >&2; exit 2 ;; esac

command -v python3 >/dev/null || { echo "smuggler.sh: python3 is needed" >&2; exit 1; }
command -v openssl >/dev/null || { echo "smuggler.sh: openssl is needed (a test certificate)" >&2; exit 1; }
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package)

tool="$HOME/.cache/stc-bench/smuggler-$commit"
if [ ! -f "$tool/smuggler.py" ]; then
  echo "fetching smuggler $commit from $repo"
  src="$(mktemp -d)"
  git clone -q "$repo" "$src/smuggler" && git -C "$src/smuggler" checkout -q "$commit" ||
    { rm -rf "$src"; echo "smuggler.sh: could not fetch smuggler (no network? set SMUGGLER_REPO to a clone)" >&2; exit 1; }
  mkdir -p "$tool"
  git -C "$src/smuggler" archive "$commit" | tar -x -C "$tool"
  rm -rf "$src"
fi

tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

backend_port="$(port)"
plain_port="$(port)"
tls_port="$(port)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  -days 2 -subj /CN=localhost >/dev/null 2>&1
printf 'tls:\n  cert: %s\n  key: %s\n' "$tmp/cert.pem" "$tmp/key.pem" > "$tmp/tls.yaml"

java -jar "$jar" backend --host 127.0.0.1 --port "$backend_port" > "$tmp/backend.log" 2>&1 &
pids+=($!)
java -jar "$jar" serve --host 127.0.0.1 --port "$plain_port" --admin-port 0 --backend "127.0.0.1:$backend_port" \
  > "$tmp/plain.log" 2>&1 &
pids+=($!)
java -jar "$jar" serve --config "$tmp/tls.yaml" --host 127.0.0.1 --port "$tls_port" --admin-port 0 \
  --backend "127.0.0.1:$backend_port" > "$tmp/tls.log" 2>&1 &
pids+=($!)
for url in "http://127.0.0.1:$plain_port/" "https://127.0.0.1:$tls_port/"; do
  for _ in $(seq 1 150); do
    curl -sk -o /dev/null "$url" && break
    sleep 0.2
  done
  curl -sk -o /dev/null "$url" || { echo "smuggler.sh: $url does not answer" >&2; cat "$tmp"/*.log >&2; exit 1; }
done

found=0
for url in "http://127.0.0.1:$plain_port/" "https://127.0.0.1:$tls_port/"; do
  echo "## $url, smuggler $commit, $config"
  (cd "$tool" && python3 smuggler.py -u "$url" -c "$config" --no-color -t 5) > "$tmp/out.txt" 2>&1 || true
  # smuggler redraws its status line with CRs: one line per mutation once they are split.
  tr '\r' '\n' < "$tmp/out.txt" | grep -E '^\s*\[[^]]+\]\s*: (OK|.*Issue Found)' | sed -E 's/^\s+//' > "$tmp/results.txt" || true
  total="$(wc -l < "$tmp/results.txt")"
  [ "$total" -gt 0 ] || { echo "smuggler.sh: smuggler gave no result; its output:" >&2; cat "$tmp/out.txt" >&2; exit 1; }
  echo "mutations: $total"
  echo "stc's answers (TE.CL probe status, CL.TE probe status: mutations):"
  sed -nE 's/.*OK \(TECL: [0-9.]+ - ([0-9]+)\) \(CLTE: [0-9.]+ - ([0-9]+)\).*/\1 \2/p' "$tmp/results.txt" | sort | uniq -c |
    awk '{ printf "  %s %s: %d\n", $2, $3, $1 }'
  echo "answered other than 400 (the mutation does not frame the request, or names a coding stc does not implement):"
  grep -vE 'OK \(TECL: [0-9.]+ - 400\) \(CLTE: [0-9.]+ - 400\)' "$tmp/results.txt" | sed 's/^/  /' || true
  if grep -q 'Issue Found' "$tmp/results.txt"; then
    found=1
    echo "FINDINGS:"
    grep 'Issue Found' "$tmp/results.txt" | sed 's/^/  /'
  else
    echo "findings: none"
  fi
  echo
done
exit "$found"
