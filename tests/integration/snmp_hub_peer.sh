#!/usr/bin/env bash
# ikemonPeerTable for a hub's peer of many SAs: ikeload establishes 1010 SAs from one
# [peer] for a block (ikemond keeps such a peer's engine status, a walk of its SAs, up
# to a second across SNMP requests: mib/mib_private.h, MIB_PEER_HUB_SAS); the peer's
# ikemonPeerInMsgs and ikemonPeerOutMsgs equal the sums over its SAs; after more traffic
# (one more SA) and a second, they show it; and when the SA its row shows goes while
# the status is kept (cleared, removed at once), the row shows the next one.
. "$(dirname "$0")/lib.sh"

for tool in snmpget python3; do
	command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian packages snmp, python3)"
done
IKELOAD=${IKELOAD:-${abs_top_builddir:-.}/tests/bench/ikeload}
[ -x "$IKELOAD" ] || { not_ok "no ikeload at $IKELOAD (make check builds it)"; finish; }

A=127.10.144.254
BLOCK=127.10.140.0/22 # 1022 sources: the first 1010 for the hub's SAs, .143.249 for one more
N=1010
AGENT=$A:1161
COMM=ikemon-test
HUB=.3.104.117.98 # the index of peer "hub"
IN=.1.3.6.1.4.1.8072.9999.9999.500.2.4.1.18$HUB
OUT=.1.3.6.1.4.1.8072.9999.9999.500.2.4.1.19$HUB
CONN_ID=.1.3.6.1.4.1.8072.9999.9999.500.2.4.1.9$HUB

SNMP_CONF="listen = udp:$AGENT
rocommunity = $COMM 127.0.0.0/8
persistent_dir = $T/snmp-a" write_conf a $A <<EOC
deleted_linger = 0
[peer hub]
remote = $BLOCK
psk = "hub-test-key"
ike = aes128-sha256-ecp256
esp = aes128-sha256
remote_ts = $BLOCK
EOC
start a

timeout 120 "$IKELOAD" -t $A -n $N --src $BLOCK --psk hub-test-key --dh ecp256 --timeout 100 \
	>"$T/load.txt" 2>&1
check "ikeload established $N SAs of peer hub" [ $? = 0 ]

# counters: "IN OUT" of the hub's row, then the sums over its SAs in the table
mib_counters() {
	snmpget -v2c -c $COMM -t 5 -r 1 -Oqv $AGENT $IN $OUT | tr '\n' ' ' | sed 's/ $//'
}
sa_counters() {
	sa_query a "'%d %d' % (sum(s['counters']['msgs_in'] for s in sas if s['peer'] == 'hub'), sum(s['counters']['msgs_out'] for s in sas if s['peer'] == 'hub'))"
}
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
grew() { same "$1" "$2" && [ "${1%% *}" -gt "${3%% *}" ]; }
first=$(mib_counters)
sums=$(sa_counters)
check "ikemonPeerInMsgs, ikemonPeerOutMsgs of the hub = the sums over its $N SAs ($first; $sums)" \
	same "$first" "$sums"

# one more SA: its Main and Quick Mode messages count in the hub's row within a second
timeout 60 "$IKELOAD" -t $A -n 1 --src 127.10.143.248/29 --local-ts $BLOCK --psk hub-test-key \
	--dh ecp256 --timeout 50 >>"$T/load.txt" 2>&1
check "ikeload established one more SA of peer hub" [ $? = 0 ]
sleep 1.2
sums=$(sa_counters)
now=$(mib_counters)
check "a second later the hub's row shows the new SA's traffic ($first -> $now; $sums)" \
	grew "$now" "$sums" "$first"

conn_id() { snmpget -v2c -c $COMM -t 5 -r 1 -Oqv $AGENT $CONN_ID; }
sleep 1.1
cid=$(conn_id) # the status is read now and kept
ctl a clear crypto isakmp "$cid"
sleep 0.2
next=$(conn_id)
hub_sa() { [ "$(sa_query a "any(s['conn_id'] == $1 and s['peer'] == 'hub' for s in sas)")" = True ]; }
moved() { [ -n "$1" ] && [ "$2" != "$1" ] && hub_sa "$2"; }
check "the SA the hub's row showed was cleared: its row shows another of its SAs ($cid -> $next)" \
	moved "$cid" "${next:-0}"
finish
