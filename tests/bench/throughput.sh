#!/usr/bin/env bash
# throughput.sh - what the Diffie-Hellman workers buy: one ikemond answering ikeload,
# SAs established per second with dh_workers = 0 (DH on the loop thread, one core) and
# with dh_workers = 2, for MODP-2048 and ECP-256; the ratio of the two rates, and how
# many cores ikemond kept busy (its CPU seconds over the run's wall seconds).
#
# ikeload is a full initiator on the same engine: per SA it spends about what ikemond
# spends (a key pair and a derivation each).  On a two-core machine it therefore holds
# one core however many workers ikemond has, and the ratio cannot pass ~1.0-1.3 there;
# the single-core-versus-two-cores comparison the workers are for needs ikeload on other
# cores: THROUGHPUT_IKEMOND_CPUS and THROUGHPUT_IKELOAD_CPUS (taskset -c lists, e.g.
# "0,1" and "2,3") pin the two.
#
# Before each pair, tests/bench/dhpool_rate (when DHPOOL_RATE names it) gives the pool's
# own ceiling without a load generator: responder DH steps (a key pair and g^xy, what
# ikemond does per MM3) per second inline and through W workers.
#
# THROUGHPUT_N (2000), THROUGHPUT_GROUPS ("modp2048 ecp256") and THROUGHPUT_WORKERS (2)
# change what runs.  Addresses: ikemond on 127.10.121.1, ikeload from 127.34.0.0/16.
set -u
: "${IKEMOND:?}" "${IKELOAD:?}"
N=${THROUGHPUT_N:-2000}
GROUPS_=${THROUGHPUT_GROUPS:-"modp2048 ecp256"}
W=${THROUGHPUT_WORKERS:-2}
ADDR=127.10.121.1
SRC=127.34.0.0/16

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

# run GROUP WORKERS: one ikemond, one ikeload run; RATE and CORES set ("" on failure)
run() {
	local g=$1 w=$2 out=$dir/load-$1-$2.json
	RATE=
	CORES=
	load_conf "$w"
	load_run "$dir/a.conf" "$out" "throughput, $(label "$g"), dh_workers = $w, $N SAs" \
		"${THROUGHPUT_IKEMOND_CPUS:-}" "${THROUGHPUT_IKELOAD_CPUS:-}" || return
	RATE=$(j "$out" "'%.1f' % j['sas_per_s']")
	CORES=$(j "$out" "'%.2f' % (j['peer_cpu_s'] / j['wall_established_s'])")
	row "throughput, ikemond + ikeload, $(label "$g"), dh_workers = $w" \
		"$RATE SAs/s, ikemond $CORES cores" \
		"tests/bench/throughput.sh (ikeload -n $N --dh $g)"
}

# pool_rate GROUP: the DH steps per second inline and with W workers, and their ratio
pool_rate() {
	local g=$1 r0 rw
	[ -n "${DHPOOL_RATE:-}" ] || return 0
	r0=$("$DHPOOL_RATE" -n "$N" -g "$g" -w 0 --json | python3 -c "import json,sys; print('%.0f' % json.load(sys.stdin)['jobs_per_s'])") || return 0
	rw=$("$DHPOOL_RATE" -n "$N" -g "$g" -w "$W" --json | python3 -c "import json,sys; print('%.0f' % json.load(sys.stdin)['jobs_per_s'])") || return 0
	row "DH pool alone, $(label "$g") responder steps/s, 0 / $W workers" \
		"$r0 / $rw = $(python3 -c "import sys; print('%.2fx' % (float(sys.argv[2]) / float(sys.argv[1])))" "$r0" "$rw")" \
		"tests/bench/dhpool_rate -n $N -g $g -w 0; -w $W"
}

dir=$(mktemp -d /tmp/ikemon-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for g in $GROUPS_; do
	pool_rate "$g"
	run "$g" 0
	r0=$RATE
	run "$g" "$W"
	[ -n "$r0" ] && [ -n "$RATE" ] || continue
	row "throughput ratio, $(label "$g"), dh_workers = $W / 0" \
		"$(python3 -c "import sys; print('%.2fx' % (float(sys.argv[2]) / float(sys.argv[1])))" "$r0" "$RATE") ($(nproc) CPUs)" \
		"tests/bench/throughput.sh"
done
