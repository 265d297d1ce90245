#!/usr/bin/env bash
# load.sh: end-to-end load test of the reference server (examples/server)
# in demo mode on loopback, with wrk: /healthz (no authentication) vs
# GET /v1/me with the demo Bearer token (a cached JWT once the
# verified-token cache is in) vs GET /v1/reports with the demo API key,
# DURATION each (default 30s), after a short warm-up. It reports
# requests/s and p50/p99 latency, and each route's throughput relative to
# /healthz (issue 7's target: the cached-JWT route at ≥ 0.85×). An
# anonymous GET /v1/catalog is measured too, as a reference.
#
#   ./load.sh                       # from anywhere in the repository
#   DURATION=10s CONNECTIONS=16 ./load.sh
#   LOG_LEVEL=debug ./load.sh       # also log every authenticated request (default: info,
#                                   # as in production: rejections only)
#   SERVER_LOG=/tmp/server.log LABEL=logfile ./load.sh
#       # keep the server's log (default: /dev/null); results in results/load-logfile.md
#
# The server is built once with `go build ./examples/server` (the same
# program `go run ./examples/server` runs, without the go command in
# between) and started with -addr 127.0.0.1:0; the demo's token and key
# are read from the curl commands it prints. All traffic stays on
# loopback; the server is stopped at the end.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
SERVER_LOG=${SERVER_LOG:-/dev/null}
LABEL=${LABEL:-} # names the result files: results/load[-LABEL].md
out="$here/results"
mkdir -p "$out"

if ! command -v wrk >/dev/null; then
	echo "wrk not found: installing the Debian package" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update
	$sudo apt-get install -y wrk
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building examples/server" >&2
(cd "$root" && go build -o "$tmp/server" ./examples/server)
"$tmp/server" -addr 127.0.0.1:0 -log-level "${LOG_LEVEL:-info}" >"$tmp/stdout" 2>"$SERVER_LOG" &
server_pid=$!

base=""
for _ in $(seq 100); do
	base="$(sed -n 's/^listening on \(http:\/\/[0-9.:]*\)$/\1/p' "$tmp/stdout")"
	[ -n "$base" ] && break
	kill -0 "$server_pid" 2>/dev/null || { echo "the server exited:" >&2; cat "$tmp/stdout" >&2; exit 1; }
	sleep 0.2
done
[ -n "$base" ] || { echo "the server did not print 'listening on'" >&2; exit 1; }

# The line after each scenario's comment is its curl command.
curl_after() { grep -A1 -F "# $1 ->" "$tmp/stdout" | tail -n1; }
token="$(curl_after "Bearer token accepted" | grep -o "Authorization: Bearer [A-Za-z0-9._-]*" | cut -d' ' -f3)"
apikey="$(curl_after "API key accepted" | grep -o "X-API-Key: [A-Za-z0-9_]*" | cut -d' ' -f2)"
[ -n "$token" ] && [ -n "$apikey" ] || { echo "could not read the demo token and key from:" >&2; cat "$tmp/stdout" >&2; exit 1; }

# catalog is a reference, not a target: an anonymous request to a route
# behind the gate's Optional, whose handler encodes JSON like the two
# authenticated routes, and logs nothing. What separates it from /healthz
# is the handler; what separates the others from it is authentication.
routes=(healthz catalog jwt apikey)
declare -A path header
path[healthz]=/healthz
path[catalog]=/v1/catalog
path[jwt]=/v1/me
path[apikey]=/v1/reports
header[healthz]="X-Nothing: none"
header[catalog]="X-Nothing: none"
header[jwt]="Authorization: Bearer $token"
header[apikey]="X-API-Key: $apikey"

# Each route must answer 200 before it is measured.
for r in "${routes[@]}"; do
	code="$(curl -s -o /dev/null -w '%{http_code}' -H "${header[$r]}" "$base${path[$r]}")"
	[ "$code" = 200 ] || { echo "$r: GET ${path[$r]} answered $code, not 200" >&2; exit 1; }
done

# wrk's latency figures are in us, ms or s; print them in ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
		else printf "?" }'
}

declare -A rps p50 p99
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for r in "${routes[@]}"; do
	echo "wrk ${path[$r]}: warm-up $WARMUP, then $DURATION" >&2
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "${header[$r]}" "$base${path[$r]}" >/dev/null
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "${header[$r]}" "$base${path[$r]}" >"$out/load${LABEL:+-$LABEL}-$r.txt"
	if grep -q "Non-2xx" "$out/load${LABEL:+-$LABEL}-$r.txt"; then
		echo "$r: wrk saw non-2xx responses:" >&2
		cat "$out/load${LABEL:+-$LABEL}-$r.txt" >&2
		exit 1
	fi
	rps[$r]="$(awk '/^Requests\/sec:/ {print $2}' "$out/load${LABEL:+-$LABEL}-$r.txt")"
	p50[$r]="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out/load${LABEL:+-$LABEL}-$r.txt")")"
	p99[$r]="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out/load${LABEL:+-$LABEL}-$r.txt")")"
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

{
	echo "wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}'), $THREADS thread(s), $CONNECTIONS connections, $DURATION per route after a $WARMUP warm-up; server log to $SERVER_LOG"
	echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(go version | cut -d' ' -f3); load average before $load_before, after $load_after"
	echo
	echo "| route | requests/s | × /healthz | p50 | p99 |"
	echo "|---|--:|--:|--:|--:|"
	for r in "${routes[@]}"; do
		ratio="$(awk -v a="${rps[$r]}" -v b="${rps[healthz]}" 'BEGIN {printf "%.2f", a / b}')"
		label="${path[$r]}"
		case $r in
		catalog) label="$label (anonymous, JSON handler)" ;;
		jwt) label="$label (Bearer JWT)" ;;
		apikey) label="$label (API key)" ;;
		esac
		echo "| $label | ${rps[$r]} | ${ratio}× | ${p50[$r]} ms | ${p99[$r]} ms |"
	done
	echo
	jwt_ratio="$(awk -v a="${rps[jwt]}" -v b="${rps[healthz]}" 'BEGIN {printf "%.2f", a / b}')"
	if awk -v r="$jwt_ratio" 'BEGIN {exit !(r >= 0.85)}'; then
		echo "Target (JWT route ≥ 0.85× /healthz): met, ${jwt_ratio}×."
	else
		echo "Target (JWT route ≥ 0.85× /healthz): not met, ${jwt_ratio}×."
	fi
} | tee "$out/load${LABEL:+-$LABEL}.md"
