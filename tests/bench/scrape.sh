#!/usr/bin/env bash
# scrape.sh - /metrics at N SAs (one peer each: N auto = start peers at loopback
# addresses where nothing answers, so every SA sits in MM_NO_STATE), per_sa_metrics off
# and on: scrape latency (median and p99 of 20, curl's time_total) and size; then the
# IKE reply latency while scrapes run (a first Main Mode message from a configured
# address, answered by ikemond, timed by the sender).
set -u
: "${IKEMOND:?}" "${IKEMONCTL:?}"
SIZES=${SCRAPE_SIZES:-"1000 10000"}
ADDR=127.10.201.1

stats() { # reads numbers (s), prints "median X ms, p99 Y ms"
	sort -n | awk '{a[NR]=$1} END{m=a[int((NR+1)/2)]; p=a[int(NR*0.99+0.999)]; printf "median %.0f ms, p99 %.0f ms", m*1000, p*1000}'
}

one_run() {
	local n=$1 per_sa=$2 dir pid i size lat
	dir=$(mktemp -d /tmp/ikemon-bench.XXXXXX)
	{
		echo "[ikemond]"
		echo "listen = $ADDR:500"
		echo "control = $dir/a.sock"
		echo "log_level = warning"
		echo "retransmit_timeout = 10"
		echo "retransmit_tries = 3"
		echo "[http]"
		echo "listen = $ADDR:9731"
		echo "per_sa_metrics = $per_sa"
		echo "[peer answerer]"
		echo "remote = 127.10.202.1"
		echo 'psk = "k"'
		for i in $(seq 0 $((n - 1))); do
			printf '[peer p%d]\nremote = 127.13.%d.%d\npsk = "k"\nauto = start\n' \
				$i $((i / 250)) $((i % 250 + 1))
		done
	} >"$dir/a.conf"
	"$IKEMOND" -c "$dir/a.conf" -f 2>"$dir/a.log" &
	pid=$!
	for i in $(seq 1 600); do
		kill -0 "$pid" 2>/dev/null || break
		[ -S "$dir/a.sock" ] && [ "$("$IKEMONCTL" -s "$dir/a.sock" show ikemon peers --json 2>/dev/null |
			python3 -c "import json,sys; print(sum(1 for p in json.load(sys.stdin)['peers'] if p['ike']))" 2>/dev/null)" -ge "$n" ] && break
		sleep 0.2
	done
	size=$(curl -s --max-time 60 "http://$ADDR:9731/metrics" | wc -c)
	if [ "$size" = 0 ]; then
		printf '%-58s %-26s %s\n' "scrape, $n SAs, per_sa_metrics $per_sa" \
			"FAILED: $(tail -n 1 "$dir/a.log")" "tests/bench/scrape.sh ($n, $per_sa)"
		kill "$pid" 2>/dev/null
		rm -rf "$dir"
		return
	fi
	lat=$(for i in $(seq 1 20); do curl -s --max-time 60 -o /dev/null -w '%{time_total}\n' "http://$ADDR:9731/metrics"; done | stats)
	printf '%-58s %-26s %s\n' "scrape, $n SAs, per_sa_metrics $per_sa" "$lat, $((size / 1024)) KiB" \
		"tests/bench/scrape.sh ($n, $per_sa)"
	if [ "$per_sa" = off ]; then
		# IKE reply latency while a scrape loop runs: MM1 from the configured
		# "answerer" address, timed until ikemond's MM2 comes back (20 tries)
		(for i in $(seq 1 40); do curl -s -o /dev/null "http://$ADDR:9731/metrics"; done) &
		local scraper=$!
		lat=$(python3 - "$ADDR" <<'PY'
import os, socket, struct, sys, time
dst = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.10.202.1", 0))
s.settimeout(5)
def mm1():
    # SA: DOI 1, SIT 1, proposal #1 ISAKMP with one transform aes128-sha256-psk-modp2048
    attrs = struct.pack("!HHHHHHHHHHHH", 0x8001, 7, 0x800e, 128, 0x8002, 4, 0x8003, 1,
                        0x8004, 14, 0x800b, 1) + struct.pack("!HHI", 0x000c, 4, 28800)
    t = struct.pack("!BBHBBH", 0, 0, 8 + len(attrs), 1, 1, 0) + attrs
    p = struct.pack("!BBHBBBB", 0, 0, 8 + len(t), 1, 1, 0, 1) + t
    sa = struct.pack("!II", 1, 1) + p
    body = struct.pack("!BBH", 0, 0, 4 + len(sa)) + sa
    return os.urandom(8) + bytes(8) + struct.pack("!BBBBII", 1, 0x10, 2, 0, 0, 28 + len(body)) + body
lat = []
for i in range(20):
    t0 = time.monotonic()
    s.sendto(mm1(), (dst, 500))
    try:
        s.recv(65535)
        lat.append(time.monotonic() - t0)
    except socket.timeout:
        pass
    time.sleep(0.05)
for v in lat:
    print(v)
PY
)
		wait "$scraper" 2>/dev/null
		printf '%-58s %-26s %s\n' "IKE reply (MM1 -> MM2) during scrapes, $n SAs" \
			"$(echo "$lat" | grep . | stats)" "tests/bench/scrape.sh ($n)"
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}

for n in $SIZES; do
	one_run "$n" off
	one_run "$n" on
done
