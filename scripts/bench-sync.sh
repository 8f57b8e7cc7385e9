#!/usr/bin/env bash
# Runs the loopback sync benchmarks of internal/recompute, each sub-benchmark in its own
# process, one at a time. A process's peak RSS covers everything it did, so this is the only
# way for the peak-RSS-MiB figure of each line to belong to that line's sync alone.
#
# Each benchmark starts its Jira emulator as a child process on 127.0.0.1. The output is the
# benchmark lines, readable by benchstat, each after a comment with the time and load average.
#
# Environment, each optional:
#   COUNT      runs of each sub-benchmark (default 1)
#   SIZES      project sizes in issues, from 10000 and 100000 (default "10000 100000")
#   LATENCIES  emulator reply delays, from 0s and 20ms (default "0s 20ms")
#   CLIENTS    readers to compare, from product and naive (default "product naive")
# The naive client at 100000 issues and 20ms takes about 15 minutes a run on a 2-core machine.
set -euo pipefail

count=${COUNT:-1}
sizes=${SIZES:-10000 100000}
latencies=${LATENCIES:-0s 20ms}
clients=${CLIENTS:-product naive}

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && go test -c -o "$work/recompute.test" ./internal/recompute)
# go test runs a package's benchmarks in its folder, so this script does too.
cd "$root/internal/recompute"

run() {
	echo "# $(date -u +%FT%TZ) load average: $(cut -d ' ' -f 1-3 /proc/loadavg)"
	"$work/recompute.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2" -test.count 1 \
		-test.benchmem -test.timeout 60m | grep -E '^(Benchmark|FAIL|panic)'
}

for n in $sizes; do
	for latency in $latencies; do
		for client in $clients; do
			for _ in $(seq "$count"); do
				run "^BenchmarkLoopbackFullSync\$/^issues=$n\$/^latency=$latency\$/^client=$client\$" 1x
			done
		done
	done
done
for _ in $(seq "$count"); do
	run '^BenchmarkLoopbackIncrementalSync$' 20x
done
