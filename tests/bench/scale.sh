#!/usr/bin/env bash
# scale.sh - ikemond holding N established SAs (ikeload: ECP-256, one phase-2 SA each,
# from N source addresses of 127.36.0.0/15, one [peer] for the block), with SNMP and HTTP
# (per_sa_metrics on) serving them:
#   - resident memory per SA: VmRSS after the load minus before, over N;
#   - /metrics: median and p99 of 20 scrapes (curl's time_total), and the size;
#   - snmpbulkwalk -Cr50 of ikemonSaTable: seconds (median of WALKS) and varbinds/s;
#   - responsiveness while a scrape loop and a walk run at once: the reply to a first Main
#     Mode message (tests/bench/ike_probe.py, 20 tries), and the latency of 10 stall
#     alarms raised meanwhile (10 configured peers each send one MM1, then fall silent:
#     their SAs stall in MM_SA_SETUP after stall_after = 2 s; the "[+N ms]" of the log
#     line is the time from the threshold crossing to the raise).
# SCALE_SIZES="10000 100000" picks the sizes (make bench: 10000; 100,000 takes a few
# minutes: the handshakes about a minute of CPU, each walk about 20 s).
set -u
: "${IKEMOND:?}" "${IKEMONCTL:?}" "${IKELOAD:?}"
here=$(cd "$(dirname "$0")" && pwd)
SIZES=${SCALE_SIZES:-"10000"}
# SCALE_ADDR, SCALE_PEERS (a /24's first three octets) move the run to other addresses
ADDR=${SCALE_ADDR:-127.10.28.1}   # ikemond: IKE, SNMP and HTTP
PEERS=${SCALE_PEERS:-127.10.29}   # the probe's and the stallers' addresses
SRC=127.36.0.0/15                 # ikeload's source addresses (up to 131,070)
PROBE=$PEERS.3                    # a configured peer the latency probe speaks for
STALLERS=10                       # peers stall1..stallN at $PEERS.11 and up
AGENT=$ADDR:1161
SA_TABLE=.1.3.6.1.4.1.8072.9999.9999.500.2.5
SA_COUNT=.1.3.6.1.4.1.8072.9999.9999.500.2.1.3.0
SNMP=(-v2c -c bench -t 120 -r 0)

# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"
stats() { # seconds in, "median X ms, p99 Y ms" out
	sort -n | awk '{a[NR]=$1} END{m=a[int((NR+1)/2)]; p=a[int(NR*0.99+0.999)]; printf "median %.0f ms, p99 %.0f ms", m*1000, p*1000}'
}
rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
walk() { # prints "seconds varbinds"
	local t0 t1 vbs
	t0=$(date +%s.%N)
	vbs=$(snmpbulkwalk "${SNMP[@]}" -Cr50 -On "$AGENT" $SA_TABLE | grep -c '^\.1\.3\.6')
	t1=$(date +%s.%N)
	echo "$t0 $t1 $vbs" | awk '{printf "%.3f %d\n", $2 - $1, $3}'
}

for tool in snmpbulkwalk snmpget curl; do
	command -v $tool >/dev/null 2>&1 || { row "scale" "SKIPPED: no $tool" "tests/bench/scale.sh"; exit 0; }
done

one_run() {
	local n=$1 dir pid i r0 r1 all secs vbs walks=3 scraper walker stallers=""
	[ "$n" -ge 50000 ] && walks=1
	dir=$(mktemp -d /tmp/ikemon-bench.XXXXXX)
	{
		echo "[ikemond]"
		echo "listen = $ADDR:500"
		echo "control = $dir/a.sock"
		echo "log_level = warning"
		echo "retransmit_timeout = 10"
		echo "retransmit_tries = 3"
		echo "stall_after = 2"
		echo "[http]"
		echo "listen = $ADDR:9731"
		echo "per_sa_metrics = on"
		echo "[snmp]"
		echo "listen = udp:$AGENT"
		echo "rocommunity = bench 127.0.0.0/8"
		echo "persistent_dir = $dir/snmp"
		echo "[peer probe]"
		echo "remote = $PROBE"
		echo 'psk = "k"'
		for i in $(seq 1 $STALLERS); do
			printf '[peer stall%d]\nremote = %s.%d\npsk = "k"\n' "$i" "$PEERS" $((10 + i))
		done
		load_peer k ecp256
	} >"$dir/a.conf"
	start_ikemond
	sleep 0.5
	r0=$(rss_kib $pid)
	"$IKELOAD" -t "$ADDR" -n "$n" --src "$SRC" --psk k --dh ecp256 --timeout 900 \
		>"$dir/load.txt" 2>&1
	sleep 1
	r1=$(rss_kib $pid)
	if [ "$(snmpget -v2c -c bench -t 5 -r 0 -Oqv "$AGENT" $SA_COUNT 2>/dev/null)" != "$n" ]; then
		row "scale, $n SAs" "FAILED: $(grep established "$dir/load.txt" | head -n 1)" \
			"tests/bench/scale.sh ($n)"
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rm -rf "$dir"
		return
	fi
	row "resident memory per established SA, $n SAs" \
		"$(((r1 - r0) * 1024 / n)) B ($r0 -> $r1 KiB)" "tests/bench/scale.sh ($n): VmRSS"
	# /metrics alone
	all=$(for i in $(seq 1 20); do
		curl -s --max-time 60 -o "$dir/m.txt" -w '%{time_total}\n' "http://$ADDR:9731/metrics"
	done)
	row "scrape, $n established SAs, per_sa_metrics on" \
		"$(echo "$all" | stats), $(($(wc -c <"$dir/m.txt") / 1024)) KiB" "tests/bench/scale.sh ($n)"
	# the SA table walked alone
	all=$(for i in $(seq 1 $walks); do walk; done)
	secs=$(echo "$all" | awk '{print $1}' | median)
	vbs=$(echo "$all" | awk '{print $2}' | median)
	row "snmpbulkwalk -Cr50 of ikemonSaTable, $n SAs ($vbs varbinds)" \
		"$secs s, $(awk -v v="$vbs" -v s="$secs" 'BEGIN { printf "%d", v / s }') varbinds/s" \
		"snmpbulkwalk -Cr50 (tests/bench/scale.sh $n)"
	# both at once, and meanwhile an IKE reply and stall alarms
	(end=$(($(date +%s) + 6)); for i in $(seq 1 $walks); do walk >/dev/null; done
		while [ "$(date +%s)" -lt $end ]; do walk >/dev/null; done) &
	walker=$!
	(while kill -0 $walker 2>/dev/null; do
		curl -s --max-time 60 -o /dev/null "http://$ADDR:9731/metrics"
	done) &
	scraper=$!
	sleep 0.3
	for i in $(seq 1 $STALLERS); do
		python3 "$here/ike_probe.py" "$PEERS.$((10 + i))" "$ADDR" 1 >/dev/null &
		stallers="$stallers $!"
	done
	row "IKE reply (MM1 -> MM2) during a scrape loop and a walk, $n SAs" \
		"$(python3 "$here/ike_probe.py" "$PROBE" "$ADDR" 20)" "tests/bench/scale.sh ($n)"
	# the stalls are raised 2 s after their MM1s: give them 3 s more of the load
	sleep 3
	wait $walker $scraper $stallers 2>/dev/null
	row "stall alarm latency during a scrape loop and a walk, $n SAs" \
		"$(grep 'ALARM raised .* peer stall' "$dir/a.log" | grep -o '\[+[0-9]* ms\]' |
			tr -dc '0-9\n' | sort -n |
			awk '{a[NR]=$1} END{if (NR) printf "median %d ms, max %d ms (%d)", a[int((NR+1)/2)], a[NR], NR; else printf "no alarm"}')" \
		"tests/bench/scale.sh ($n)"
	kill "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}

for n in $SIZES; do
	one_run "$n"
done
