#!/usr/bin/env bash
# throughput.sh - what the Diffie-Hellman workers buy: one ikemond answering ikeload,
# SAs established per second with dh_workers = 0 (DH on the loop thread, one core), 1 and
# 2, for MODP-2048 and ECP-256, in one run; each rate's ratio to the dh_workers = 0 one,
# and how many cores ikemond kept busy (its utime + stime over the run's wall seconds).
#
# ikeload runs with --cheap-dh (a known DH key, load tests only: ikeload.c): its own DH
# costs nothing, as a load generator on another host would cost this one, so the cores go
# to ikemond.  Without it ikeload, a full initiator on the same engine, spends per SA about
# what ikemond spends and holds one of two cores whatever ikemond does (the ratio could
# not pass ~1.3 here).  THROUGHPUT_CHEAP_DH=no measures that way.
#
# THROUGHPUT_IKEMOND_CPUS and THROUGHPUT_IKELOAD_CPUS (taskset -c lists, e.g. "0,1" and
# "1") pin the two; unset, the scheduler places them.
#
# Before each group, tests/bench/dhpool_rate (when DHPOOL_RATE names it) gives the pool's
# own ceiling without a load generator: responder DH steps (a key pair and g^xy, what
# ikemond does per MM3) per second inline and through the most workers of the run.
#
# THROUGHPUT_N (10000: 2,000 SAs at MODP-2048 take under 1.5 s a rate, too short to
# settle), THROUGHPUT_GROUPS ("modp2048 ecp256"), THROUGHPUT_WORKERS ("0 1 2"; the first
# is the base of the ratios) and THROUGHPUT_WINDOW (ikeload's --window, 64)
# change what runs.  Addresses: ikemond on
# 127.10.136.1, ikeload from 127.37.0.0/16.
set -u
: "${IKEMOND:?}" "${IKELOAD:?}"
N=${THROUGHPUT_N:-10000}
GROUPS_=${THROUGHPUT_GROUPS:-"modp2048 ecp256"}
WORKERS=${THROUGHPUT_WORKERS:-"0 1 2"}
ADDR=127.10.136.1
SRC=127.37.0.0/16
LOAD_ARGS=
[ "${THROUGHPUT_CHEAP_DH:-yes}" = no ] || LOAD_ARGS=--cheap-dh
LOAD_ARGS="$LOAD_ARGS --window ${THROUGHPUT_WINDOW:-64}"

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

ratio() { python3 -c "import sys; print('%.2fx' % (float(sys.argv[2]) / float(sys.argv[1])))" "$1" "$2"; }

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
	row "throughput, ikemond + ikeload${LOAD_ARGS:+ $LOAD_ARGS}, $(label "$g"), dh_workers = $w" \
		"$RATE SAs/s, ikemond $CORES cores, ikeload $(j "$out" "'%.2f' % (j['cpu_s'] / j['wall_established_s'])")" \
		"tests/bench/throughput.sh (ikeload -n $N --dh $g${LOAD_ARGS:+ $LOAD_ARGS})"
}

# pool_rate GROUP W: the DH steps per second inline and with W workers, and their ratio
pool_rate() {
	local g=$1 w=$2 r0 rw
	[ -n "${DHPOOL_RATE:-}" ] && [ "$w" -gt 0 ] || return 0
	r0=$("$DHPOOL_RATE" -n "$N" -g "$g" -w 0 --json | python3 -c "import json,sys; print('%.0f' % json.load(sys.stdin)['jobs_per_s'])") || return 0
	rw=$("$DHPOOL_RATE" -n "$N" -g "$g" -w "$w" --json | python3 -c "import json,sys; print('%.0f' % json.load(sys.stdin)['jobs_per_s'])") || return 0
	row "DH pool alone, $(label "$g") responder steps/s, 0 / $w workers" \
		"$r0 / $rw = $(ratio "$r0" "$rw")" \
		"tests/bench/dhpool_rate -n $N -g $g -w 0; -w $w"
}

dir=$(mktemp -d /tmp/ikemon-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for g in $GROUPS_; do
	base=
	wmax=0
	for w in $WORKERS; do [ "$w" -gt "$wmax" ] && wmax=$w; done
	pool_rate "$g" "$wmax"
	rates=()
	for w in $WORKERS; do
		run "$g" "$w"
		[ -n "$base" ] || { base=${RATE:-none}; w0=$w; }
		rates+=("$w:$RATE")
	done
	[ "$base" != none ] || continue
	for r in "${rates[@]:1}"; do
		[ -n "${r#*:}" ] || continue
		row "throughput ratio, $(label "$g"), dh_workers = ${r%%:*} / $w0" \
			"$(ratio "$base" "${r#*:}") ($(nproc) CPUs)" "tests/bench/throughput.sh"
	done
done
