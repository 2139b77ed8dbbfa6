#!/usr/bin/env bash
# Dead Peer Detection and INITIAL-CONTACT in Aggressive Mode, INITIAL-CONTACT from a Main
# Mode responder, and the DPD counters of ikemonPeerTable (columns 28-30), between
# ikemonds on [::1] (ports 5201-5204; SNMP 5261, 5263; HTTP 5262).
#  1. a (exchange = aggressive, auto = start, dpd_delay 1, dpd_timeout 3) and b (answers
#     Aggressive Mode and R-U-THEREs, probes nothing: dpd_delay 0): QM_IDLE over IPv6,
#     both saw the DPD vendor ID (AM1, AM2), b saw INITIAL-CONTACT in a's AM3 (a did
#     not: AM2 cannot carry it); a's R-U-THEREs are answered.
#  2. SNMP (a on udp6:[::1]:5261, b on udp6:[::1]:5263): ikemonPeerDpdRUThereSent,
#     ikemonPeerDpdAcksReceived and ikemonPeerDpdRUThereAnswered of each one's peer lie
#     between `show ikemon peers --json` taken before and after the GETs (a sends and
#     receives ACKs, b answers); the SA and peer rows carry ipv6(2) and 16-octet
#     addresses; the metric ikemon_dpd_messages_total says the same (promtool-clean).
#  3. b frozen with SIGSTOP: a declares it dead (peer-dead) in Aggressive Mode; thawed,
#     a renegotiates.
#  4. a killed with SIGKILL and restarted: its AM3 carries INITIAL-CONTACT and b drops
#     the old SA at once with initial-contact.
#  5. Main Mode, INITIAL-CONTACT from the responder (MM6): c ([::1]:5203) has two peers,
#     d and d2, both d ([::1]:5204: two tunnels to one gateway).  c brings up d; d's MM6
#     says INITIAL-CONTACT (it held nothing with c).  d killed and restarted; c brings up
#     d2 while its SA of d is up (no INITIAL-CONTACT in c's MM5), d's MM6 says it, and c
#     drops its SA of d at once with initial-contact.
. "$(dirname "$0")/lib.sh"

[ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1' ||
	skip "no IPv6 on loopback here"
for tool in snmpget python3; do
	command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian packages snmp, python3)"
done

AGENT="udp6:[::1]:5261"
AGENT_B="udp6:[::1]:5263"
COMM=ikemon-dpd
ROOT=.1.3.6.1.4.1.8072.9999.9999.500.2
SNMP_CONF="listen = $AGENT
rocommunity6 = $COMM ::1/128
persistent_dir = $T/snmp-a" write_conf a "[::1]:5201" <<EOF2
alarm_holddown = 0
[http]
listen = [::1]:5262
[peer b]
remote = [::1]:5202
psk = "dpd-aggr-secret"
exchange = aggressive
auto = start
dpd_delay = 1
dpd_timeout = 3
EOF2
SNMP_CONF="listen = $AGENT_B
rocommunity6 = $COMM ::1/128
persistent_dir = $T/snmp-b" write_conf b "[::1]:5202" <<EOF2
[peer a]
remote = [::1]:5201
psk = "dpd-aggr-secret"
aggressive = yes
auto = add
EOF2
start b
start a

# peer_query NAME PEER PYEXPR: a Python expression over peer PEER's object `p` of
# `show ikemon peers --json`
peer_query() {
	ctl "$1" show ikemon peers --json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['peers'] if x['name']=='$2'][0]; print($3)"
}

# ---- 1. Aggressive Mode over IPv6 with DPD and INITIAL-CONTACT
check "a reaches QM_IDLE with b by Aggressive Mode over IPv6" wait_for 10 sa_is a \
	"any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['remote']['address']=='::1' for s in sas)"
check "b reaches QM_IDLE as responder" wait_for 10 sa_is b \
	"any(s['cisco_state']=='QM_IDLE' and s['role']=='responder' for s in sas)"
check "a saw b's DPD vendor ID (AM2)" sa_is a "sas[0]['dpd']['peer_supports']"
check "b saw a's DPD vendor ID (AM1)" sa_is b "sas[0]['dpd']['peer_supports']"
check "show crypto isakmp sa detail prints D in the Cap. column (IPv6 section)" \
	grep -Eq "^1001 +::1 +::1 .*ACTIVE .* D$" <(ctl a show crypto isakmp sa detail)
check "b saw INITIAL-CONTACT in a's AM3" sa_is b "sas[0]['initial_contact']"
check "a saw none: AM2 goes in the clear and cannot carry it" sa_is a "not sas[0]['initial_contact']"
check "a logs AM3 with INITIAL-CONTACT" grep -q "AM3 with INITIAL-CONTACT" "$T/a.log"
check "a's R-U-THEREs answered, each with its sequence number" wait_for 8 sa_is a \
	"sas[0]['dpd']['ack_in']>=2 and sas[0]['dpd']['ack_bad_seq']==0"
check "b answered every one and probes nothing itself (dpd_delay 0)" sa_is b \
	"sas[0]['dpd']['ack_out']>=2 and sas[0]['dpd']['r_u_there_out']==0"

# ---- 2. the counters over SNMP, against the JSON views
snmp_up() { snmpget -v2c -c "$COMM" -t 2 -r 1 -On "$1" $ROOT.1.2.0 | grep -q '"'; }
check "a answers SNMP on $AGENT" wait_for 10 snmp_up "$AGENT"
check "b answers SNMP on $AGENT_B" wait_for 10 snmp_up "$AGENT_B"
# dpd_cols AGENT PEER: the three columns of PEER's row (a one-letter name: index 1.CODE)
dpd_cols() {
	local idx
	idx=1.$(printf '%d' "'$2")
	snmpget -v2c -c "$COMM" -t 5 -r 1 -Oqv "$1" $ROOT.4.1.28.$idx $ROOT.4.1.29.$idx \
		$ROOT.4.1.30.$idx | tr '\n' ' '
}
json_cols() { peer_query "$1" "$2" "'%d %d %d' % (p['dpd']['r_u_there_out'], p['dpd']['ack_in'], p['dpd']['ack_out'])"; }
# dpd_columns NODE AGENT PEER PYCOND: the columns between the --json views, and PYCOND
# true of them (g)
dpd_columns() {
	local before got after
	before=$(json_cols "$1" "$3")
	got=$(dpd_cols "$2" "$3")
	after=$(json_cols "$1" "$3")
	echo "# $1's peer $3: --json before: $before; SNMP: $got; --json after: $after"
	python3 -c "import sys; b,g,a=[list(map(int,x.split())) for x in sys.argv[1:4]]; sys.exit(not (len(g)==3 and all(x<=y<=z for x,y,z in zip(b,g,a)) and ($4)))" \
		"$before" "$got" "$after"
}
check "a's row b: R-U-THEREs sent >= 2, ACKs received >= 2, none answered; = --json" \
	dpd_columns a "$AGENT" b "g[0]>=2 and g[1]>=2 and g[1]<=g[0] and g[2]==0"
check "b's row a: none sent or received, R-U-THEREs answered >= 2; = --json" \
	dpd_columns b "$AGENT_B" a "g[0]==0 and g[1]==0 and g[2]>=2"
hexget() { snmpget -v2c -c "$COMM" -t 5 -r 1 -Oqv -Ox "$AGENT" "$@" | tr -d ' \n"'; }
V6=00000000000000000000000000000001
check "ikemonSaTable row 1001: addresses ipv6(2), 16 octets ::1" test \
	"$(snmpget -v2c -c "$COMM" -t 5 -r 1 -Oqv "$AGENT" $ROOT.5.1.6.1001 $ROOT.5.1.9.1001 | tr '\n' ' ')$(hexget $ROOT.5.1.7.1001)$(hexget $ROOT.5.1.10.1001)" \
	= "2 2 ${V6}${V6}"
check "ikemonPeerTable row b: remote ipv6(2), 16 octets ::1" test \
	"$(snmpget -v2c -c "$COMM" -t 5 -r 1 -Oqv "$AGENT" $ROOT.4.1.2.1.98)$(hexget $ROOT.4.1.3.1.98)" \
	= "2$V6"
if command -v curl >/dev/null; then
	m=$(curl -sf --max-time 5 "http://[::1]:5262/metrics")
	out=$(printf '%s\n' "$m" | sed -n 's/^ikemon_dpd_messages_total{peer="b",direction="out",type="r_u_there"} //p')
	check "metric ikemon_dpd_messages_total{direction=out,type=r_u_there}: $out" \
		test "${out:-0}" -ge 2
	if command -v promtool >/dev/null; then
		check "promtool check metrics says nothing about the exposition" \
			bash -c '[ -z "$(printf "%s\n" "$1" | promtool check metrics 2>&1)" ]' _ "$m"
	fi
else
	echo "# no curl: the metric checks are left out"
fi

# ---- 3. b frozen: peer-dead in Aggressive Mode; thawed: renegotiated
kill -STOP "${PID[b]}"
check "b frozen: a declares it dead and deletes the SA with peer-dead" wait_for 12 sa_is a \
	"any(s['conn_id']==1001 and s['delete_reason']=='peer-dead' and s['exchange']=='aggressive' for s in sas)"
check "counted: peers_dead 1" sa_is a "g['dpd']['peers_dead']==1"
kill -CONT "${PID[b]}"
check "b thawed: a renegotiates Aggressive Mode to QM_IDLE" wait_for 20 sa_is a \
	"any(s['conn_id']>1001 and s['cisco_state']=='QM_IDLE' for s in sas)"

# ---- 4. a restarted: INITIAL-CONTACT in AM3, b drops the old SA at once
check "b holds a live SA with a" wait_for 10 sa_is b \
	"any(s['cisco_state']=='QM_IDLE' and s['delete_reason']=='none' for s in sas)"
old=$(sa_query b "[s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE' and s['delete_reason']=='none'][-1]")
kill -KILL "${PID[a]}"
wait "${PID[a]}" 2>/dev/null
unset "PID[a]"
rm -f "$T/a.sock"
start a
check "a restarted: b drops its old SA ($old) with initial-contact" wait_for 10 sa_is b \
	"any(s['conn_id']==$old and s['delete_reason']=='initial-contact' for s in sas)"
check "b's new SA with a is up, and it is the only live one" wait_for 5 sa_is b \
	"[s['cisco_state'] for s in sas if s['delete_reason']=='none']==['QM_IDLE']"
check "b counted initial_contact_deleted 1" sa_is b "g['initial_contact_deleted']==1"

# ---- 5. INITIAL-CONTACT in MM6
write_conf c "[::1]:5203" <<EOF2
[peer d]
remote = [::1]:5204
psk = "mm6-secret"
auto = add
[peer d2]
remote = [::1]:5204
psk = "mm6-secret"
auto = add
EOF2
write_conf d "[::1]:5204" <<EOF2
[peer c]
remote = [::1]:5203
psk = "mm6-secret"
auto = add
EOF2
start d
start c
ctl c initiate d >/dev/null
check "c reaches QM_IDLE with d (peer d)" wait_for 10 sa_is c \
	"any(s['peer']=='d' and s['cisco_state']=='QM_IDLE' for s in sas)"
check "d held nothing with c: its MM6 said INITIAL-CONTACT" sa_is c \
	"[s['initial_contact'] for s in sas if s['peer']=='d']==[True]"
check "d logs MM6 with INITIAL-CONTACT" grep -q "MM6 with INITIAL-CONTACT" "$T/d.log"
old=$(sa_query c "[s['conn_id'] for s in sas if s['peer']=='d'][0]")
kill -KILL "${PID[d]}"
wait "${PID[d]}" 2>/dev/null
unset "PID[d]"
rm -f "$T/d.sock"
start d
ctl c initiate d2 >/dev/null
check "c brings up d2 with the restarted d" wait_for 10 sa_is c \
	"any(s['peer']=='d2' and s['cisco_state']=='QM_IDLE' for s in sas)"
check "c's MM5 for d2 said nothing (c held its SA of d)" sa_is d \
	"[s['initial_contact'] for s in sas]==[False]"
check "d's MM6 said INITIAL-CONTACT: c dropped its SA of d ($old) with initial-contact" \
	wait_for 5 sa_is c "any(s['conn_id']==$old and s['delete_reason']=='initial-contact' for s in sas)"
check "c counted initial_contact_deleted 1" sa_is c "g['initial_contact_deleted']==1"
finish
