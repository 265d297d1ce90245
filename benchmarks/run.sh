#!/usr/bin/env bash
# run.sh: the full comparison behind README.md. It runs every benchmark
# RUNS times (default 6, the fewest for which benchstat gives a 95%
# confidence interval), each run a separate `go test -bench` process so
# that the runs interleave with whatever else the machine is doing, then
# summarises them with benchstat and rewrites README.md's results section
# with the medians.
#
#   ./run.sh                    # 6 runs of 500ms per row: about 11 minutes on 2 cores
#   RUNS=1 BENCHTIME=100ms ./run.sh   # a quick look (README then says 1 sample)
#
# benchstat: go install golang.org/x/perf/cmd/benchstat@latest
set -euo pipefail
cd "$(dirname "$0")"

RUNS=${RUNS:-6}
BENCHTIME=${BENCHTIME:-500ms}
BENCH=${BENCH:-.}
export PATH="$PATH:$(go env GOPATH)/bin"

mkdir -p results
cmd="go test -run '^\$' -bench '$BENCH' -benchmem -count 1 -benchtime $BENCHTIME ."
{
	echo "cores (nproc): $(nproc)"
	echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "Go: $(go version | cut -d' ' -f3-)"
	echo "started: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "load average before (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "command: RUNS=$RUNS BENCHTIME=$BENCHTIME ./run.sh, i.e. $RUNS × \`$cmd\`"
} > results/machine.txt

: > results/raw.txt
for i in $(seq "$RUNS"); do
	echo "run $i of $RUNS" >&2
	eval "$cmd" | tee -a results/raw.txt | grep -E '^(Benchmark|ok|FAIL|---)' >&2
done
echo "load average after (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)" >> results/machine.txt

if command -v benchstat >/dev/null; then
	benchstat results/raw.txt > results/benchstat.txt
else
	echo "benchstat not found: go install golang.org/x/perf/cmd/benchstat@latest" >&2
fi
go run ./cmd/report -machine results/machine.txt -readme README.md results/raw.txt
echo "README.md updated; benchstat's summary is in results/benchstat.txt" >&2
