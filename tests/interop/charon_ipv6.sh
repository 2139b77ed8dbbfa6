#!/bin/bash
# charon_ipv6.sh - ikemond against strongSwan's charon over IPv6 only, each in a network
# namespace of this test's own (named v6-PID-us, v6-PID-them).
#
# Two veth pairs: fd00:ac:1::1 (us) - fd00:ac:1::2 (charon) for Main Mode with ipv6:
# identities and phase 2 between fd00:ac:1:1::/64 and fd00:ac:1:2::/64 (an address of
# each on its side's lo; charon runs kernel-libipsec, so both ends float to 4500, see
# tests/interop/lib.sh); fd00:ac:2::1 - fd00:ac:2::2 for Aggressive Mode with fqdn
# identities.  Addresses are added with nodad (no duplicate address detection to wait
# for).  charon probes with DPD every second (so ikemond answers); ikemond's dpd_delay is
# 2 s, dpd_timeout 3 s.
#
#  1. Main Mode, ikemond initiating: QM_IDLE with the child INSTALLED on both sides, IDs
#     of type IPV6_ADDR, our MM5 with INITIAL-CONTACT parsed by charon; the views:
#     `show crypto isakmp sa` (the IPv6 block as IOS prints it, the IPv4 section empty),
#     `show crypto ipsec sa` (IPv6 idents, peer at port 4500), IKEMON-MIB over SNMP
#     (ikemonSaTable and ikemonPeerTable: InetAddressType ipv6(2), the 16-octet
#     addresses; the DPD columns against --json) and the metrics (promtool-clean, the
#     peer's IPv6 address in ikemon_peer_info, ikemon_dpd_messages_total);
#  2. Main Mode, charon initiating: its MM5 carries INITIAL-CONTACT; our MM6 does too
#     (we hold nothing with it) and charon takes it; child INSTALLED;
#  3. DPD: charon frozen with SIGSTOP -> peer-dead after about dpd_delay + dpd_timeout;
#     thawed with SIGCONT;
#  4. INITIAL-CONTACT after restarts: charon killed and restarted initiates again -> we
#     drop the old SA with initial-contact; ikemond killed and restarted initiates
#     again -> charon drops its old IKE_SA (one left);
#  5. Aggressive Mode with fqdn identities, both roles: QM_IDLE / ESTABLISHED, the DPD
#     vendor ID seen in AM1/AM2, our AM3 with INITIAL-CONTACT parsed by charon.
IOP_TAG="v6-$$"
. "$(dirname "$0")/lib.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
iop_init 300
command -v python3 >/dev/null 2>&1 || iop_skip "needs python3"

US=fd00:ac:1::1
THEM=fd00:ac:1::2
US_AM=fd00:ac:2::1
THEM_AM=fd00:ac:2::2
US_NET=fd00:ac:1:1::/64
THEM_NET=fd00:ac:1:2::/64
PSK="ipv6-interop-secret"
PSK_AM="ipv6-aggr-secret"
COMM=ikemon-v6
ROOT=.1.3.6.1.4.1.8072.9999.9999.500.2

iop_netns_add us
iop_netns_add them
iop_link us "$US/64" them "$THEM/64"
iop_link us "$US_AM/64" them "$THEM_AM/64"
iop_lo_addr us fd00:ac:1:1::1/64
iop_lo_addr them fd00:ac:1:2::1/64

ctl() { "$IKEMONCTL" -s "$IOP_DIR/ikemond.sock" "$@"; }
q() { ctl show crypto isakmp sa --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); sas=d['sas']; g=d['counters']; print($1)" 2>/dev/null; }
is() { [ "$(q "$1")" = True ]; }
qc() { ctl show crypto ipsec sa --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); cs=d['children']; print($1)" 2>/dev/null; }
isc() { [ "$(qc "$1")" = True ]; }
charon_log() { cat "$(iop_charon_dir charon)/charon.log"; }
# the newest conn-id (0 when none)
last_conn_id() { q "max([s['conn_id'] for s in sas] or [0])"; }

cat >"$IOP_DIR/ikemond.conf" <<EOF2
[ikemond]
listen = [$US]:500, [$US_AM]:500
control = $IOP_DIR/ikemond.sock
log_level = debug
retransmit_timeout = 0.5
retransmit_tries = 3
deleted_linger = 60
stall_after = 5
qm_stall_after = 5
[http]
listen = [::1]:9731
[snmp]
listen = udp6:[::1]:1161
rocommunity6 = $COMM ::1/128
persistent_dir = $IOP_DIR/snmp
[peer charon6]
remote = $THEM
psk = "$PSK"
ike = aes128-sha256-modp2048
local_id = ipv6:$US
remote_id = ipv6:$THEM
esp = aes128-sha256
local_ts = $US_NET
remote_ts = $THEM_NET
auto = add
dpd_delay = 2
dpd_timeout = 3
[peer charon6am]
remote = $THEM_AM
psk = "$PSK_AM"
ike = aes128-sha256-modp2048
local_id = fqdn:ikemon.v6.test
remote_id = fqdn:charon.v6.test
exchange = aggressive
aggressive = yes
auto = add
EOF2

cat >"$IOP_DIR/charon.swanctl.conf" <<EOF2
connections {
	ikemon6 {
		version = 1
		local_addrs = $THEM
		remote_addrs = $US
		proposals = aes128-sha256-modp2048
		rekey_time = 0
		dpd_delay = 1s
		dpd_timeout = 30s
		local {
			auth = psk
			id = $THEM
		}
		remote {
			auth = psk
			id = $US
		}
		children {
			ikemon6-child {
				esp_proposals = aes128-sha256
				local_ts = $THEM_NET
				remote_ts = $US_NET
				mode = tunnel
				start_action = none
				dpd_action = clear
			}
		}
	}
	ikemon6am {
		version = 1
		aggressive = yes
		local_addrs = $THEM_AM
		remote_addrs = $US_AM
		proposals = aes128-sha256-modp2048
		rekey_time = 0
		dpd_delay = 1s
		local {
			auth = psk
			id = charon.v6.test
		}
		remote {
			auth = psk
			id = ikemon.v6.test
		}
	}
}
secrets {
	ike-1 {
		id-a = $THEM
		id-b = $US
		secret = "$PSK"
	}
	ike-2 {
		id-a = charon.v6.test
		id-b = ikemon.v6.test
		secret = "$PSK_AM"
	}
}
EOF2

CHARON_EXTRA="i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
start_charon() {
	iop_charon_start_qm charon them "$CHARON_EXTRA"
	iop_charon_load charon "$IOP_DIR/charon.swanctl.conf" >/dev/null
}
start_ikemond() {
	rm -f "$IOP_DIR/ikemond.sock"
	iop_bg us "$IOP_DIR/ikemond.log" "$IKEMOND" -c "$IOP_DIR/ikemond.conf" -f
	IKEMOND_PID=$IOP_LAST_PID
	iop_wait 5 "ikemond control socket" test -S "$IOP_DIR/ikemond.sock" || iop_fail "ikemond did not start"
}
charon_no_sas() { [ -z "$(iop_charon_sas charon)" ]; }
reset_sas() {
	ctl clear crypto isakmp >/dev/null 2>&1
	iop_swanctl charon --terminate --ike ikemon6 --timeout 5 >/dev/null 2>&1
	iop_swanctl charon --terminate --ike ikemon6am --timeout 5 >/dev/null 2>&1
	iop_wait 5 "no SA left on charon" charon_no_sas ||
		echo "# charon still has SAs: $(iop_charon_sas charon | head -n 1)"
	iop_wait 5 "no live SA left here" is "not any(s['delete_reason']=='none' for s in sas)"
}
# charon_count PATTERN: how many lines of charon's log match PATTERN
charon_count() { charon_log | grep -c -- "$1"; }
# charon_parsed N PATTERN: more than N lines of charon's log match PATTERN
charon_parsed() { [ "$(charon_count "$2")" -gt "$1" ]; }
# initiate PEER: ikemonctl initiate PEER; prints the conn-id (0 when none)
initiate() {
	local id
	id=$(ctl initiate "$1" | sed -n 's/.*conn-id \([0-9]*\).*/\1/p')
	echo "${id:-0}"
}
# the number of IKE_SAs charon holds for connection C
charon_ike_count() { iop_charon_sas charon | grep -c "^$1: #"; }

start_charon
start_ikemond

# ---- 1. Main Mode, ikemond initiating
n_ic=$(charon_count "ID_PROT request 0 \[.*N(INITIAL_CONTACT)")
id=$(initiate charon6)
echo "# Main Mode, ikemond initiating: conn-id $id"
check "MM (we initiate): our child is INSTALLED" \
	iop_wait 15 "our child INSTALLED" isc "any(c['conn_id']==$id and c['state']=='INSTALLED' for c in cs)"
check "MM (we initiate): our IKE SA is QM_IDLE, fd00:ac:1::1 -> fd00:ac:1::2" \
	is "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' and s['local']['address']=='$US' and s['remote']['address']=='$THEM' for s in sas)"
check "MM (we initiate): charon's IKE_SA ESTABLISHED, CHILD_SA INSTALLED" \
	iop_wait 5 "charon CHILD_SA INSTALLED" iop_charon_child_installed charon ikemon6-child
check "MM (we initiate): identities of type IPV6_ADDR (5) both ways" \
	is "[(s['local_id']['type'], s['local_id']['value'], s['remote_id']['type'], s['remote_id']['value']) for s in sas if s['conn_id']==$id]==[(5, '$US', 5, '$THEM')]"
check "MM (we initiate): charon parsed our MM5 with INITIAL-CONTACT" \
	charon_parsed "$n_ic" "ID_PROT request 0 \[.*N(INITIAL_CONTACT)"
check "MM (we initiate): our child's selectors are the IPv6 subnets" \
	isc "any(c['conn_id']==$id and c['state']=='INSTALLED' and '$US_NET' in str(c['local_ts']) and '$THEM_NET' in str(c['remote_ts']) for c in cs)"

out=$(ctl show crypto isakmp sa)
expected=$(printf 'IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status\n\nIPv6 Crypto ISAKMP SA\n\n dst: %s\n src: %s\n state: QM_IDLE         conn-id: %6d status: ACTIVE\n' "$THEM" "$US" "$id")
check "show crypto isakmp sa: the IPv6 block as IOS prints it, IPv4 section empty" test "$out" = "$expected"
[ "$out" = "$expected" ] || { echo "# got:"; printf '%s\n' "$out" | sed 's/^/#   /'; }
detail=$(ctl show crypto isakmp sa detail)
check "show crypto isakmp sa detail: the SA in the IPv6 section, D in Cap." \
	python3 -c "import re,sys; v6=sys.argv[1].split('IPv6 Crypto ISAKMP SA', 1); sys.exit(not (len(v6)==2 and re.search(r'^$id +$US +$THEM .*ACTIVE .* D$', v6[1], re.M) and '$US' not in v6[0]))" "$detail"
ipsec=$(ctl show crypto ipsec sa)
check "show crypto ipsec sa: IPv6 idents ($US_NET, $THEM_NET)" \
	grep -Fq "local  ident (addr/mask/prot/port): (fd00:ac:1:1::/64/0/0)" <<<"$ipsec"
check "show crypto ipsec sa: current_peer $THEM port 4500 (floated), IPv6 endpoints" \
	bash -c 'grep -Fq "current_peer $1 port 4500" <<<"$3" && grep -Fq "local crypto endpt.: $2, remote crypto endpt.: $1" <<<"$3"' _ "$THEM" "$US" "$ipsec"
check "show crypto ipsec sa: inbound and outbound ESP SAs ACTIVE" grep -q "Status: ACTIVE" <<<"$ipsec"

# IKEMON-MIB over SNMP, in our namespace
snmp() { iop_exec us snmpget -v2c -c "$COMM" -t 5 -r 1 "$@" "udp6:[::1]:1161" "${OIDS[@]}"; }
snmp_vals() { local OIDS=("$@"); snmp -Oqv | tr '\n' ' ' | sed 's/ $//'; }
snmp_hex() { local OIDS=("$@"); snmp -Oqv -Ox | tr -d ' \n"' | tr 'A-F' 'a-f'; }
if command -v snmpget >/dev/null 2>&1; then
	snmp_up() { [ -n "$(snmp_vals $ROOT.1.2.0)" ]; }
	check "ikemond answers SNMP on udp6:[::1]:1161" iop_wait 10 "SNMP" snmp_up
	hex6() { python3 -c "import ipaddress,sys; print(ipaddress.IPv6Address(sys.argv[1]).packed.hex())" "$1"; }
	check "ikemonSaTable.$id: local and remote ipv6(2)" test "$(snmp_vals $ROOT.5.1.6.$id $ROOT.5.1.9.$id)" = "2 2"
	check "ikemonSaTable.$id: the 16-octet addresses of $US and $THEM" \
		test "$(snmp_hex $ROOT.5.1.7.$id $ROOT.5.1.10.$id)" = "$(hex6 $US)$(hex6 $THEM)"
	idx=$(python3 -c "import sys; n=sys.argv[1].encode(); print('.'.join(map(str, [len(n)] + list(n))))" charon6)
	check "ikemonPeerTable charon6: remote ipv6(2), the 16 octets of $THEM" \
		test "$(snmp_vals $ROOT.4.1.2.$idx)$(snmp_hex $ROOT.4.1.3.$idx)" = "2$(hex6 $THEM)"
	walk() { iop_exec us snmpbulkwalk -v2c -c "$COMM" -t 5 -r 1 -Cr50 -On -Oqv -Ox "udp6:[::1]:1161" "$1"; }
	check "snmpbulkwalk ikemonSaRemoteAddrType: ipv6(2) in every row" \
		bash -c '[ -n "$1" ] && ! grep -qv "^2$" <<<"$1"' _ "$(walk $ROOT.5.1.9)"
	check "snmpbulkwalk ikemonSaLocalAddr, ikemonSaRemoteAddr: 16 octets in every row" \
		bash -c '[ -n "$1" ] && ! tr -d " \"" <<<"$1" | grep -qvE "^[0-9A-Fa-f]{32}$"' _ "$(walk $ROOT.5.1.7; walk $ROOT.5.1.10)"
	pj() { ctl show ikemon peers --json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['peers'] if x['name']=='charon6'][0]['dpd']; print(p['r_u_there_out'], p['ack_in'], p['ack_out'])"; }
	iop_wait 5 "charon's R-U-THEREs answered" is "[s['dpd']['ack_out']>=2 for s in sas if s['conn_id']==$id]==[True]"
	before=$(pj)
	got=$(snmp_vals $ROOT.4.1.28.$idx $ROOT.4.1.29.$idx $ROOT.4.1.30.$idx)
	after=$(pj)
	echo "# charon6 DPD (sent, acks received, answered): --json $before; SNMP $got; --json $after"
	check "ikemonPeerDpd* of charon6 between the --json views, R-U-THEREs answered >= 2" \
		python3 -c "import sys; b,g,a=[list(map(int,x.split())) for x in sys.argv[1:]]; sys.exit(not (len(g)==3 and all(x<=y<=z for x,y,z in zip(b,g,a)) and g[2]>=2))" \
		"$before" "$got" "$after"
else
	echo "# no snmpget (Debian package snmp): the MIB checks are left out"
fi
if command -v curl >/dev/null 2>&1; then
	m=$(iop_exec us curl -sf --max-time 5 "http://[::1]:9731/metrics")
	check "metrics: ikemon_peer_info carries the IPv6 remote address" \
		grep -q "^ikemon_peer_info{peer=\"charon6\",remote=\"$THEM\"" <<<"$m"
	check "metrics: ikemon_dpd_messages_total{peer=charon6,direction=out,type=r_u_there_ack} >= 2" \
		awk '$1 ~ /^ikemon_dpd_messages_total\{peer="charon6",direction="out",type="r_u_there_ack"\}$/ { f = $2 >= 2 } END { exit !f }' <<<"$m"
	if command -v promtool >/dev/null 2>&1; then
		check "promtool check metrics says nothing" bash -c '[ -n "$1" ] && [ -z "$(printf "%s\n" "$1" | promtool check metrics 2>&1)" ]' _ "$m"
	fi
else
	echo "# no curl: the metric checks are left out"
fi

# ---- 2. Main Mode, charon initiating
reset_sas
before=$(last_conn_id)
n_ic=$(charon_count "ID_PROT response 0 \[.*N(INITIAL_CONTACT)")
out=$(iop_charon_initiate charon --child ikemon6-child)
check "MM (charon initiates): swanctl --initiate --child succeeds" grep -q "initiate completed successfully" <<<"$out"
id=$(q "max([s['conn_id'] for s in sas if s['conn_id']>${before:-0} and s['role']=='responder'] or [0])")
echo "# Main Mode, charon initiating: our conn-id $id"
check "MM (charon initiates): our responder SA QM_IDLE, child INSTALLED" \
	iop_wait 10 "child INSTALLED" isc "any(c['conn_id']==$id and c['state']=='INSTALLED' for c in cs)"
check "MM (charon initiates): its MM5 carried INITIAL-CONTACT" is "[s['initial_contact'] for s in sas if s['conn_id']==$id]==[True]"
check "MM (charon initiates): charon parsed our MM6 with INITIAL-CONTACT" \
	charon_parsed "$n_ic" "ID_PROT response 0 \[.*N(INITIAL_CONTACT)"
check "MM (charon initiates): charon keeps its IKE_SA ESTABLISHED" iop_charon_established charon ikemon6

# ---- 3. DPD: charon frozen, then thawed (our SA of section 2)
pid=$(iop_charon_pid charon)
kill -STOP "$pid"
t0=$(date +%s.%N)
check "charon frozen: ikemond declares it dead (peer-dead)" \
	iop_wait 15 "peer-dead" is "any(s['conn_id']==$id and s['delete_reason']=='peer-dead' for s in sas)"
t1=$(date +%s.%N)
dead=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "# dead after $dead s frozen (dpd_delay 2 + dpd_timeout 3)"
check "declared dead 3.5 to 9 s after the freeze ($dead s)" awk -v d="$dead" 'BEGIN { exit !(d >= 3.5 && d <= 9) }'
check "counted: peers_dead 1" is "g['dpd']['peers_dead']==1"
if command -v snmpget >/dev/null 2>&1; then
	got=$(snmp_vals $ROOT.4.1.28.$idx $ROOT.4.1.29.$idx)
	echo "# charon6 after the freeze: R-U-THEREs sent, ACKs received over SNMP: $got; --json: $(pj)"
	check "ikemonPeerDpdRUThereSent > ikemonPeerDpdAcksReceived: our probes went unanswered" \
		python3 -c "import sys; s,a=map(int,sys.argv[1].split()); sys.exit(not s>a)" "$got"
fi
kill -CONT "$pid"
reset_sas

# ---- 4. INITIAL-CONTACT after restarts
before=$(last_conn_id)
iop_charon_initiate charon --child ikemon6-child >/dev/null
old=$(q "max([s['conn_id'] for s in sas if s['conn_id']>${before:-0} and s['cisco_state']=='QM_IDLE'] or [0])")
check "charon up again with an SA ($old)" test "$old" -gt 0
kill -KILL "$pid"
wait "$pid" 2>/dev/null
start_charon
check "charon killed: we still hold SA $old" is "any(s['conn_id']==$old and s['cisco_state']=='QM_IDLE' for s in sas)"
iop_charon_initiate charon --child ikemon6-child >/dev/null
check "charon restarted and initiating: we drop SA $old with initial-contact" \
	iop_wait 10 "initial-contact" is "any(s['conn_id']==$old and s['delete_reason']=='initial-contact' for s in sas)"
check "counted: initial_contact_deleted 1" is "g['initial_contact_deleted']==1"
check "our new SA with charon is the only live one, QM_IDLE" \
	is "[s['cisco_state'] for s in sas if s['delete_reason']=='none' and s['peer']=='charon6']==['QM_IDLE']"

kill -KILL "$IKEMOND_PID"
wait "$IKEMOND_PID" 2>/dev/null
check "ikemond killed: charon still holds its IKE_SA" test "$(charon_ike_count ikemon6)" = 1
start_ikemond
id=$(initiate charon6)
check "ikemond restarted and initiating: QM_IDLE again" \
	iop_wait 10 "QM_IDLE" is "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' for s in sas)"
one_ike_sa() { [ "$(charon_ike_count ikemon6)" = 1 ]; }
check "charon dropped its old IKE_SA for our INITIAL-CONTACT: one left" \
	iop_wait 10 "one IKE_SA" one_ike_sa

# ---- 5. Aggressive Mode with fqdn identities, both roles
reset_sas
n_ic=$(charon_count "AGGRESSIVE request 0 \[.*N(INITIAL_CONTACT)")
id=$(initiate charon6am)
echo "# Aggressive Mode, ikemond initiating: conn-id $id"
check "AM (we initiate): QM_IDLE over IPv6, fqdn identities" \
	iop_wait 10 "QM_IDLE" is "[(s['cisco_state'], s['exchange'], s['remote']['address'], s['remote_id']['type'], s['remote_id']['value']) for s in sas if s['conn_id']==$id]==[('QM_IDLE', 'aggressive', '$THEM_AM', 2, 'charon.v6.test')]"
check "AM (we initiate): charon ESTABLISHED" iop_wait 5 "charon ESTABLISHED" iop_charon_established charon ikemon6am
check "AM (we initiate): charon's DPD vendor ID seen in AM2" is "[s['dpd']['peer_supports'] for s in sas if s['conn_id']==$id]==[True]"
check "AM (we initiate): charon parsed our AM3 with INITIAL-CONTACT" \
	charon_parsed "$n_ic" "AGGRESSIVE request 0 \[.*N(INITIAL_CONTACT)"
check "AM (we initiate): charon answers our R-U-THEREs or probes us: DPD runs" \
	iop_wait 5 "DPD" is "[s['dpd']['ack_out']+s['dpd']['ack_in']>=1 for s in sas if s['conn_id']==$id]==[True]"
reset_sas
before=$(last_conn_id)
out=$(iop_charon_initiate charon --ike ikemon6am)
check "AM (charon initiates): swanctl --initiate succeeds" grep -q "initiate completed successfully" <<<"$out"
id=$(q "max([s['conn_id'] for s in sas if s['conn_id']>${before:-0} and s['role']=='responder'] or [0])")
check "AM (charon initiates): our responder SA QM_IDLE, fqdn identity, charon's DPD vendor ID (AM1)" \
	iop_wait 5 "QM_IDLE" is "[(s['cisco_state'], s['exchange'], s['remote_id']['value'], s['dpd']['peer_supports']) for s in sas if s['conn_id']==$id]==[('QM_IDLE', 'aggressive', 'charon.v6.test', True)]"
echo "# AM (charon initiates): its AM3 carried INITIAL-CONTACT: $(q "[s['initial_contact'] for s in sas if s['conn_id']==$id]")"

check "ikemond is still running" kill -0 "$IKEMOND_PID"
iop_finish
