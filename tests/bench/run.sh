#!/usr/bin/env bash
# run.sh - `make bench`: every benchmark in one run, one table, each row with the
# command that produced it.  Benchmarks measure; they never fail a build on a figure
# (this machine is shared and noisy: compare ratios from one run, not absolute times).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${IKEMOND:?}" "${IKEMONCTL:?}"
export IKEMOND IKEMONCTL
[ "$(id -u)" = 0 ] || { echo "make bench needs root (IKE's port 500 on loopback)"; exit 1; }

printf '%-58s %-26s %s\n' "benchmark" "result" "command"
printf '%-58s %-26s %s\n' "---------" "------" "-------"
status=0
for b in "$here"/handshake.sh "$here"/throughput.sh "$here"/alarm_latency.sh "$here"/scrape.sh \
	"$here"/snmp_walk.sh "$here"/scale.sh; do
	"$b" || status=1
done
exit $status
