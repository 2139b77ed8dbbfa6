#!/usr/bin/env bash
# A scrape's walk of the SA table in slices, in the daemon: scrape_walk_slice = 1 with
# 150 SAs (ikeload) makes each scrape walk over 150 turns of the loop, libmicrohttpd
# asked again at each.  Plain, gzip, HTTP/1.0 and OpenMetrics bodies are whole and
# right (promtool; one ikemon_ike_sa_state per SA; the peer's messages = the sums over
# its SAs).  Then four scrapers back to back while the 50 oldest SAs (the first the
# walks visit) are cleared one by one (deleted_linger = 0: removed at once): every body
# passes promtool, shows each conn-id at most once, and the peer's message counters
# never go down in any scraper's sequence (an SA counted by a walk and then removed is
# in the retired counters too: without the walk taking it back, this fails).
. "$(dirname "$0")/lib.sh"

for tool in curl promtool python3; do
	command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian packages curl, prometheus, python3)"
done
IKELOAD=${IKELOAD:-${abs_top_builddir:-.}/tests/bench/ikeload}
[ -x "$IKELOAD" ] || { not_ok "no ikeload at $IKELOAD (make check builds it)"; finish; }

A=127.10.143.252
BLOCK=127.10.144.0/24
N=100
URL=http://$A:9731/metrics

write_conf a $A <<EOC
deleted_linger = 0
[http]
listen = $A:9731
per_sa_metrics = on
scrape_walk_slice = 1
[peer load]
remote = $BLOCK
psk = "walk-test-key"
ike = aes128-sha256-ecp256
esp = aes128-sha256
remote_ts = $BLOCK
EOC
start a

# the 50 to go first (the lowest conn-ids), then the 100 that stay
timeout 60 "$IKELOAD" -t $A -n 50 --src 127.10.144.128/26 --local-ts $BLOCK --psk walk-test-key \
	--dh ecp256 --timeout 50 >"$T/load.txt" 2>&1
check "ikeload established 50 SAs" [ $? = 0 ]
goers=$(sa_query a "' '.join(str(s['conn_id']) for s in sas)")
timeout 60 "$IKELOAD" -t $A -n $N --src 127.10.144.0/25 --local-ts $BLOCK --psk walk-test-key \
	--dh ecp256 --timeout 50 >>"$T/load.txt" 2>&1
check "ikeload established $N more" [ $? = 0 ]
N=$((N + 50))

# body FILE: the per-SA series, and each conn-id once
sa_lines() { grep -c '^ikemon_ike_sa_state{' "$1"; }
sa_once() { [ "$(grep -o '^ikemon_ike_sa_state{conn_id="[0-9]*"' "$1" | sort | uniq -d | wc -l)" = 0 ]; }
msgs_in() { grep '^ikemon_ike_messages_total{peer="load",direction="in"}' "$1" | awk '{print $2}'; }
promtool_ok() { promtool check metrics <"$1" >"$T/promtool.txt" 2>&1; }

curl -s --max-time 20 -o "$T/plain.txt" $URL
check "a scrape walked in slices is whole: promtool accepts it" promtool_ok "$T/plain.txt"
check "one ikemon_ike_sa_state per SA ($(sa_lines "$T/plain.txt"))" \
	[ "$(sa_lines "$T/plain.txt")" = $N ]
check "each conn-id once" sa_once "$T/plain.txt"
sums=$(sa_query a "sum(s['counters']['msgs_in'] for s in sas if s['peer'] == 'load')")
check "the peer's messages in = the sum over its SAs ($(msgs_in "$T/plain.txt"), $sums)" \
	[ "$(msgs_in "$T/plain.txt")" = "$sums" ]
curl -s --max-time 20 --compressed -o "$T/gzip.txt" $URL
check "gzip: promtool accepts it, $N SAs" \
	bash -c "promtool check metrics <'$T/gzip.txt' >/dev/null 2>&1 && [ \$(grep -c '^ikemon_ike_sa_state{' '$T/gzip.txt') = $N ]"
curl -s --max-time 20 --http1.0 -o "$T/http10.txt" $URL
check "HTTP/1.0 (no chunks): $N SAs" [ "$(sa_lines "$T/http10.txt")" = $N ]
curl -s --max-time 20 -H 'Accept: application/openmetrics-text; version=1.0.0' -o "$T/om.txt" $URL
check "OpenMetrics: $N SAs, ends with # EOF" \
	bash -c "[ \$(grep -c '^ikemon_ike_sa_state{' '$T/om.txt') = $N ] && [ \"\$(tail -n 1 '$T/om.txt')\" = '# EOF' ]"
check "ikemon_event_loop_turn_seconds counts the loop's turns" \
	bash -c "grep -q '^ikemon_event_loop_turn_seconds_count [1-9]' '$T/plain.txt'"

# four scrapers back to back (at most 100 scrapes each), so that most removals come
# while some walk is under way, while the 50 oldest SAs are cleared
scrapers=""
for k in 1 2 3 4; do
	(for i in $(seq 1 100); do
		[ -e "$T/stop" ] && break
		curl -s --max-time 20 -o "$T/s.$k.$i" $URL
	done) &
	scrapers="$scrapers $!"
done
for id in $goers; do
	ctl a clear crypto isakmp "$id"
	sleep 0.02
done
sleep 0.5
touch "$T/stop"
wait $scrapers
bad=0 dup=0 down=0 n=0 most=0
for k in 1 2 3 4; do
	last=0
	for i in $(seq 1 100); do
		f=$T/s.$k.$i
		[ -s "$f" ] || break
		n=$((n + 1))
		promtool_ok "$f" || bad=$((bad + 1))
		sa_once "$f" || dup=$((dup + 1))
		v=$(msgs_in "$f")
		[ -n "$v" ] && [ "$v" -ge "$last" ] || { down=$((down + 1)) && echo "# $f: $last -> $v"; }
		last=${v:-0}
		c=$(sa_lines "$f")
		[ "$c" -le "$most" ] || most=$c
	done
done
curl -s --max-time 20 -o "$T/after.txt" $URL
went() { [ "$most" -gt $((N - 50)) ] && [ "$(sa_lines "$T/after.txt")" = $((N - 50)) ]; }
check "the scrapes saw the 50 go ($most SAs at most; $(sa_lines "$T/after.txt") after)" went
all_good() { [ "$n" -ge 12 ] && [ $((bad + dup + down)) = 0 ]; }
check "$n scrapes meanwhile: all pass promtool ($bad bad), no conn-id twice ($dup), messages never down ($down)" \
	all_good
finish
