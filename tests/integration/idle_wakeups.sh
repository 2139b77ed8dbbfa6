#!/usr/bin/env bash
# An idle ikemond sleeps: with SNMP and HTTP on, two peers up (one with DPD), one
# auto = start peer down (nobody answers it) and one auto = add peer idle, ikemond's
# poll() returns over about 10 s only for its real timers (DPD probes, the down peer's
# retransmissions and restarts), counted with strace.  A repeating tick (the MIB's old
# 1 s re-read of every peer's status) or any busy polling would pass the bound.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || skip "strace is not installed (apt-get install strace)"

A=127.10.125.1 B=127.10.126.1 C=127.10.127.1 D=127.10.128.1 E=127.10.129.1
WINDOW=10       # seconds of idleness watched
DPD_DELAY=5     # peer b: an R-U-THERE (and its ACK) when idle this long
RETRANSMIT_TIMEOUT=4 RETRANSMIT_TRIES=1 RESTART_DELAY=5 # peer d: MM1 at 0 and 4 s, gives up at 12 s
export RETRANSMIT_TIMEOUT RETRANSMIT_TRIES RESTART_DELAY

SNMP_CONF="listen = udp:$A:1161
persistent_dir = $T/a-snmp
rocommunity = idle-test 127.0.0.0/8" write_conf a $A <<EOF2
peer_down_after = 1
[http]
listen = $A:9741
[peer b]
remote = $B
psk = "idle"
auto = start
dpd_delay = $DPD_DELAY
dpd_timeout = 30
[peer c]
remote = $C
psk = "idle"
auto = start
[peer d]
remote = $D
psk = "idle"
auto = start
[peer e]
remote = $E
psk = "idle"
auto = add
EOF2
for n in b c; do
	addr=${n^^}
	write_conf $n ${!addr} <<EOF2
[peer a]
remote = $A
psk = "idle"
auto = add
EOF2
done
start b
start c
start a

peer_health() { # NAME HEALTH: a's peer NAME shows HEALTH
	[ "$(ctl a show ikemon peers --json | python3 -c "import json,sys
print({p['name']: p['health'] for p in json.load(sys.stdin)['peers']}.get('$1'))")" = "$2" ]
}
both_up() { peer_health b up && peer_health c up; }
check "b and c up" wait_for 15 both_up
check "d (auto = start, nobody there) down after peer_down_after (1 s)" wait_for 10 peer_health d down
check "e (auto = add) idle" peer_health e idle
# both views answer (so that their first-use setup is behind us)
check "HTTP /metrics answers" curl -sf -o /dev/null "http://$A:9741/metrics"
if command -v snmpget >/dev/null; then
	check "SNMP answers" snmpget -v2c -c idle-test -t 2 -r 1 "$A:1161" 1.3.6.1.2.1.1.3.0
fi
sleep 1

timeout $((WINDOW + 5)) strace -q -e trace=poll -o "$T/strace.out" -p "${PID[a]}" &
STRACE=$!
sleep "$WINDOW"
kill -INT $STRACE 2>/dev/null
wait $STRACE 2>/dev/null
polls=$(grep -c 'poll(' "$T/strace.out")
# Each timer fires at most once per wakeup; answers from the peers wake it once more:
#  b's DPD: one probe per DPD_DELAY of idleness, its timer and its ACK;
#  d: one MM1 (re)transmission per RETRANSMIT_TIMEOUT at most, plus a give-up and a
#  restart per cycle; slack for a scheduling split and strace's attach/detach.
dpd=$(((WINDOW + DPD_DELAY - 1) / DPD_DELAY * 2))
retx=$(((WINDOW + RETRANSMIT_TIMEOUT - 1) / RETRANSMIT_TIMEOUT + 2))
bound=$((dpd + retx + 2))
echo "# poll() returned $polls times in ${WINDOW} s of idleness (bound $bound: DPD $dpd, retransmissions $retx, slack 2)"
sed 's/^/#   /' "$T/strace.out" | head -40
check "poll() returns only for the configured timers: $polls <= $bound" test "$polls" -le "$bound"
check "and it did sleep (some returns were timeouts or reads, not zero-timeout polls)" \
	test "$(grep -c 'poll(.*, 0)' "$T/strace.out")" -le 2
check "b's DPD probes went on meanwhile" sa_is a "any(s['dpd']['r_u_there_out']>=1 for s in sas)"
finish
