#!/usr/bin/env bash
# Load-tests the gadget report endpoint of a local development server with wrk.
#
# The script builds the binary and starts `devops-metrics serve --dev` on 127.0.0.1 with the
# built-in Jira emulator. It waits until the first recompute has stored the reports and sends
# one report request, so that the viewer's permission decision is cached. Then it runs wrk
# against GET /forge/gadget/report for DURATION, and stops the server when it exits.
#
# Usage: scripts/bench-wrk.sh [--demo | --snapshot DIR]   (default --demo)
# Environment, each optional:
#   PORT         port on 127.0.0.1 for the server (default 18080)
#   DURATION     wrk run time, at most 50s so that the 60 s permission cache stays warm (default 30s)
#   THREADS      wrk threads (default 2)
#   CONNECTIONS  open connections (default 32)
#   WINDOW       report window in days: 7, 30, 90, 180 or 365 (default 30)
#   PROJECT      project key or id to request (default: the id of the first synced project)
set -euo pipefail

port=${PORT:-18080}
duration=${DURATION:-30s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
window=${WINDOW:-30}
source_flags=("${@:---demo}")

if ! command -v wrk >/dev/null; then
	echo "bench-wrk: wrk is not installed: install the Debian package with apt-get install -y wrk" >&2
	exit 1
fi
seconds=${duration%s}
if ! [[ $duration =~ ^[0-9]+s$ ]] || ((seconds < 1 || seconds > 50)); then
	echo "bench-wrk: DURATION=$duration is invalid: give whole seconds from 1s to 50s, such as 30s" >&2
	exit 1
fi

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=""
cleanup() {
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/devops-metrics" ./cmd/devops-metrics)

base="http://127.0.0.1:$port"
"$work/devops-metrics" serve --dev "${source_flags[@]}" --addr "127.0.0.1:$port" \
	--db "$work/bench.db" --permission-cache-ttl 60s 2>"$work/server.log" &
server_pid=$!

# The first recompute runs at start; wait up to 120 s for its project list.
projects=""
for _ in $(seq 240); do
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "bench-wrk: the server exited; its log follows" >&2
		cat "$work/server.log" >&2
		exit 1
	fi
	projects=$(curl -fsS "$base/forge/gadget/projects" 2>/dev/null || true)
	if [[ $projects == *'"key"'* ]]; then
		break
	fi
	sleep 0.5
done
if [[ $projects != *'"key"'* ]]; then
	echo "bench-wrk: no synced project after 120 s; the server log follows" >&2
	cat "$work/server.log" >&2
	exit 1
fi
# The gadget names projects by id, so the default request does too.
project=${PROJECT:-$(grep -o '"id":"[^"]*"' <<<"$projects" | head -n 1 | cut -d '"' -f 4)}
url="$base/forge/gadget/report?project=$project&window=$window"

# This request fills the permission cache and checks that the report exists.
status=$(curl -sS -o "$work/report.json" -w '%{http_code}' "$url")
if [[ $status != 200 ]]; then
	echo "bench-wrk: GET $url returned $status, not 200:" >&2
	cat "$work/report.json" >&2
	exit 1
fi
echo "bench-wrk: $url returns $(wc -c <"$work/report.json") bytes; running wrk for $duration"

wrk --latency -t "$threads" -c "$connections" -d "$duration" "$url"
