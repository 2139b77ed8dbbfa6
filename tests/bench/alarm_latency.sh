#!/usr/bin/env bash
# alarm_latency.sh - time from a stall threshold crossing to the alarm's log line, for 1
# and for 1,000 peers stalling at once (peers at loopback addresses where nothing
# answers; stall_after = 2 s).  The daemon measures it at the raise (the "[+N ms]" of the
# log line: CLOCK_MONOTONIC now minus the moment the state's threshold was crossed).
set -u
: "${IKEMOND:?}" "${IKEMONCTL:?}"

one_run() {
	local n=$1 dir pid i lags
	dir=$(mktemp -d /tmp/ikemon-bench.XXXXXX)
	{
		echo "[ikemond]"
		echo "listen = 127.10.200.1:500"
		echo "control = $dir/a.sock"
		echo "retransmit_timeout = 0.5"
		echo "retransmit_tries = 3"
		echo "stall_after = 2"
		echo "qm_stall_after = 2"
		for i in $(seq 0 $((n - 1))); do
			printf '[peer p%d]\nremote = 127.12.%d.%d\npsk = "k"\nauto = start\n' \
				$i $((i / 250)) $((i % 250 + 1))
		done
	} >"$dir/a.conf"
	"$IKEMOND" -c "$dir/a.conf" -f 2>"$dir/a.log" &
	pid=$!
	for i in $(seq 1 150); do
		[ "$(grep -c 'ALARM raised' "$dir/a.log")" -ge "$n" ] && break
		sleep 0.1
	done
	kill "$pid"
	wait "$pid" 2>/dev/null
	lags=$(grep -o '\[+[0-9]* ms\]' "$dir/a.log" | tr -dc '0-9\n' | sort -n |
		awk '{a[NR]=$1} END{if (NR) printf "median %d ms, max %d ms (%d)", a[int((NR+1)/2)], a[NR], NR}')
	rm -rf "$dir"
	printf '%-58s %-26s %s\n' "stall alarm latency, $n peer(s) stalling at once" \
		"${lags:-no alarm}" "tests/bench/alarm_latency.sh ($n)"
}

one_run 1
one_run 1000
