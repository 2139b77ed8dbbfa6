#!/usr/bin/env bash
# snmp_walk.sh - `snmpbulkwalk -Cr50` of ikemonSaTable at N SAs, made by the load
# generator: ikeload establishes N IKE SAs (ECP-256, with a phase-2 SA each) from N
# source addresses of 127.32.0.0/16 against one [peer] for the block, and leaves them up:
# seconds per walk (median of 3) and varbinds per second.  Then the IKE reply
# latency while walks run back to back: a first Main Mode message from a configured
# address, answered by ikemond, timed by the sender (tests/bench/ike_probe.py).
set -u
: "${IKEMOND:?}" "${IKEMONCTL:?}" "${IKELOAD:?}"
here=$(cd "$(dirname "$0")" && pwd)
SIZES=${SNMP_WALK_SIZES:-"1000 10000"}
ADDR=127.10.26.1   # ikemond: IKE and SNMP
SRC=127.32.0.0/16  # ikeload's source addresses
PROBE=127.10.27.3  # a configured peer the latency probe speaks for
AGENT=$ADDR:1161
SA_TABLE=.1.3.6.1.4.1.8072.9999.9999.500.2.5
SA_COUNT=.1.3.6.1.4.1.8072.9999.9999.500.2.1.3.0
SNMP=(-v2c -c bench -t 60 -r 0)

# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

command -v snmpbulkwalk >/dev/null 2>&1 || {
	row "snmpbulkwalk -Cr50 of ikemonSaTable" "SKIPPED: no snmpbulkwalk" "tests/bench/snmp_walk.sh"
	exit 0
}

sa_count() {
	snmpget -v2c -c bench -t 1 -r 0 -Oqv "$AGENT" $SA_COUNT 2>/dev/null | grep -x "[0-9]*" || echo 0
}


one_run() {
	local n=$1 dir pid i t0 t1 vbs secs all=""
	dir=$(mktemp -d /tmp/ikemon-bench.XXXXXX)
	{
		echo "[ikemond]"
		echo "listen = $ADDR:500"
		echo "control = $dir/a.sock"
		echo "log_level = warning"
		echo "retransmit_timeout = 10"
		echo "retransmit_tries = 3"
		echo "[snmp]"
		echo "listen = udp:$AGENT"
		echo "rocommunity = bench 127.0.0.0/8"
		echo "persistent_dir = $dir/snmp"
		echo "[peer probe]"
		echo "remote = $PROBE"
		echo 'psk = "k"'
		load_peer k ecp256
	} >"$dir/a.conf"
	start_ikemond
	"$IKELOAD" -t "$ADDR" -n "$n" --src "$SRC" --psk k --dh ecp256 --timeout 300 \
		>"$dir/load.txt" 2>&1
	if [ "$(sa_count)" -lt "$n" ]; then
		row "snmpbulkwalk -Cr50 of ikemonSaTable, $n SAs" "FAILED: $(tail -n 1 "$dir/load.txt")" \
			"tests/bench/snmp_walk.sh ($n)"
		kill "$pid" 2>/dev/null
		rm -rf "$dir"
		return
	fi
	for i in 1 2 3; do
		t0=$(date +%s.%N)
		vbs=$(snmpbulkwalk "${SNMP[@]}" -Cr50 -On "$AGENT" $SA_TABLE | grep -c '^\.1\.3\.6')
		t1=$(date +%s.%N)
		all="$all $(echo "$t0 $t1 $vbs" | awk '{printf "%.3f:%d", $2 - $1, $3}')"
	done
	secs=$(for x in $all; do echo "${x%%:*}"; done | median)
	vbs=$(for x in $all; do echo "${x##*:}"; done | median)
	row "snmpbulkwalk -Cr50 of ikemonSaTable, $n SAs ($vbs varbinds)" \
		"$secs s, $(awk -v v="$vbs" -v s="$secs" 'BEGIN { printf "%d", v / s }') varbinds/s" \
		"snmpbulkwalk -Cr50 (tests/bench/snmp_walk.sh $n)"
	# IKE reply latency while walks run back to back
	(for i in 1 2 3 4 5 6; do snmpbulkwalk "${SNMP[@]}" -Cr50 -On "$AGENT" $SA_TABLE >/dev/null; done) &
	local walker=$!
	sleep 0.2
	row "IKE reply (MM1 -> MM2) during SA-table walks, $n SAs" \
		"$(python3 "$here/ike_probe.py" "$PROBE" "$ADDR" 20)" "tests/bench/snmp_walk.sh ($n)"
	wait "$walker" 2>/dev/null
	kill "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}

for n in $SIZES; do
	one_run "$n"
done
