#!/usr/bin/env bash
# Peer faults between two network namespaces, through a bad network: two ikemonds, ft-a
# (10.195.1.2) and ft-b (10.195.2.2), talk through a third namespace, ft-r, where
# tests/tools/lossy_relay.py drops, holds back and duplicates their datagrams (the test
# kernels have no netem).  The relay is transparent: each side sees the other's own
# address, so no NAT is detected.
#   1. 20% loss each way, 20% reordered, 10% duplicated (seeded): Main Mode and Quick
#      Mode still complete, four times over; retransmissions and duplicates are counted.
#   2. 100% loss: the SA fails with peer-silent after MM1, and the alarm says so.
#   3. The responder killed (SIGKILL) mid-exchange: the initiator's SA fails with the
#      cause that matches where the exchange stopped; the peer restarts, the SA recovers.
#   4. An established peer killed and restarted: its new SA carries INITIAL-CONTACT and
#      the survivor deletes the stale SA with cause initial-contact.
. "$(dirname "$0")/lib.sh"

RELAY=${abs_top_srcdir:-$(dirname "$0")/../..}/tests/tools/lossy_relay.py
[ -f "$RELAY" ] || skip "no $RELAY"
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v python3 >/dev/null || skip "no python3"

# namespaces of this run's own (tests run side by side; the veth ends are made in them)
NA=ft$$-a NB=ft$$-b NR=ft$$-r
A=10.195.1.2 RA=10.195.1.1 B=10.195.2.2 RB=10.195.2.1

ns_del() {
	local n
	for n in $NA $NB $NR; do ip netns del $n 2>/dev/null; done
}
trap 'cleanup; ns_del' EXIT
ip netns add $NA && ip netns add $NB && ip netns add $NR || skip "cannot create network namespaces"
ip -n $NR link add ft-ra type veth peer name ft-ar netns $NA || skip "cannot create veth pairs"
ip -n $NR link add ft-rb type veth peer name ft-br netns $NB
for n in $NA $NB $NR; do ip -n $n link set lo up; done
ip -n $NA addr add $A/24 dev ft-ar && ip -n $NA link set ft-ar up
ip -n $NB addr add $B/24 dev ft-br && ip -n $NB link set ft-br up
ip -n $NR addr add $RA/24 dev ft-ra && ip -n $NR link set ft-ra up
ip -n $NR addr add $RB/24 dev ft-rb && ip -n $NR link set ft-rb up
ip -n $NA route add 10.195.2.0/24 via $RA
ip -n $NB route add 10.195.1.0/24 via $RB
# ft-r does not forward: what one side sends the other is delivered to the relay
ip netns exec $NR sysctl -qw net.ipv4.ip_forward=0
ip -n $NR route add local $B/32 dev lo table 101
ip -n $NR rule add iif ft-ra lookup 101
ip -n $NR route add local $A/32 dev lo table 102
ip -n $NR rule add iif ft-rb lookup 102

# relay OPTIONS...: (re)start the relay between A and B
relay() {
	if [ -n "${PID[relay]:-}" ]; then
		kill "${PID[relay]}" 2>/dev/null
		wait "${PID[relay]}" 2>/dev/null
		unset "PID[relay]"
		grep "counters:" "$T/relay.log" | tail -n 1 | sed 's/^/# /'
	fi
	: >"$T/relay.log"
	ip netns exec $NR python3 "$RELAY" --pair $A $B --duration 300 "$@" 2>"$T/relay.log" &
	PID[relay]=$!
	wait_for 5 grep -q "lossy_relay: ready" "$T/relay.log" || { not_ok "the relay did not start"; finish; }
	echo "# relay: $(grep relaying "$T/relay.log" | sed 's/^lossy_relay: //')"
}

# start_in NS NAME: ikemond NAME in namespace NS
start_in() {
	local ns=$1 name=$2
	# a killed one's socket is left behind: ikemond finds it stale and replaces it
	ip netns exec "$ns" "$IKEMOND" -c "$T/$name.conf" -f 2>>"$T/$name.log" &
	PID[$name]=$!
	wait_for 5 ctl "$name" version || { not_ok "ikemond $name did not start"; finish; }
}

# counters summed over a side's SAs
sum_of() { sa_query "$1" "sum(s['counters']['$2'] for s in sas)"; }

# Five tries: at 20% loss each way a round trip fails 36% of the time, so an exchange
# gives up after six lost round trips in a row (0.2%), not four (1.7%).
export RETRANSMIT_TRIES=5 RESTART_DELAY=1
write_conf a $A <<EOF2
deleted_linger = 600
alarm_holddown = 0
[peer b]
remote = $B
psk = "faults-between-namespaces"
auto = start
esp = aes128-sha256
local_ts = 10.1.0.0/24
remote_ts = 10.2.0.0/24
EOF2
write_conf b $B <<EOF2
deleted_linger = 600
[peer a]
remote = $A
psk = "faults-between-namespaces"
auto = add
esp = aes128-sha256
local_ts = 10.2.0.0/24
remote_ts = 10.1.0.0/24
EOF2

# ---- 1. a lossy, reordering, duplicating network
relay --loss 0.2 --reorder 0.2 --reorder-ms 150 --duplicate 0.1 --seed 11
start_in $NB b
start_in $NA a
up() { sa_is "$1" "len([s for s in sas if s['cisco_state']=='QM_IDLE'])>=1"; }
child_up() {
	ctl "$1" show crypto ipsec sa --json |
		python3 -c "import json,sys; cs=json.load(sys.stdin)['children']; sys.exit(0 if sum(c['state']=='INSTALLED' for c in cs)>=$2 else 1)"
}
check "20% loss: a reaches QM_IDLE" wait_for 40 up a
check "20% loss: the phase-2 SA is installed on both sides" wait_for 30 bash -c "$(declare -f child_up ctl); IKEMONCTL=$IKEMONCTL T=$T; child_up a 1 && child_up b 1"
for round in 2 3 4; do
	ctl a clear crypto isakmp >/dev/null
	check "20% loss: negotiated again after clear, round $round (Main Mode and Quick Mode)" \
		wait_for 60 bash -c "$(declare -f child_up ctl sa_query sa_is); IKEMONCTL=$IKEMONCTL T=$T; sa_is a \"g['sas_established']>=$round and g['children_installed']>=$round\""
done
retx=$(sum_of a retransmits)
retx_b=$(sum_of b retransmits)
dups=$(( $(sum_of a dup_in) + $(sum_of b dup_in) ))
echo "# a: $(sa_query a "g['sas_established']") SAs and $(sa_query a "g['children_installed']") phase-2 SAs established, $retx retransmissions (b: $retx_b), $dups duplicates seen; $(sa_query a "g['sas_failed']") SAs failed on the way"
check "losses were made up by retransmissions ($retx by a, $retx_b by b)" test $((retx + retx_b)) -gt 0
check "duplicates were recognised as such, not taken twice ($dups)" test "$dups" -gt 0
check "no message was mistaken for a bad one" sa_is a "g['dropped_undecryptable']==0 and all(s['counters']['malformed']==0 and s['counters']['undecryptable']==0 for s in sas)"

# ---- 2. nothing gets through
relay --loss 1.0 --seed 12
ctl a clear crypto isakmp >/dev/null
newest() { sa_query a "max(s['conn_id'] for s in sas)"; }
old=$(newest)
check "100% loss: a new negotiation starts" wait_for 10 sa_is a "max(s['conn_id'] for s in sas)>$old"
id=$(newest)
check "100% loss: the alarm says peer-silent in MM_NO_STATE" \
	wait_for 15 bash -c "$IKEMONCTL -s $T/a.sock show alarms --json | python3 -c \"import json,sys; al=json.load(sys.stdin)['alarms']; sys.exit(0 if any(a['peer']=='b' and a['cause']=='peer-silent' and a['state']=='MM_NO_STATE' for a in al) else 1)\""
check "100% loss: conn-id $id fails with peer-silent after MM1, MM1 retransmitted 5 times" \
	wait_for 25 sa_is a "[s for s in sas if s['conn_id']==$id][0]['delete_reason']=='peer-silent' and 'MM1' in [s for s in sas if s['conn_id']==$id][0]['cause_detail'] and [s for s in sas if s['conn_id']==$id][0]['counters']['retransmits']==5"
check "the log says why" grep -q "conn-id $id .*no reply" "$T/a.log"
ctl a show alarms --json | sed 's/^/# alarms: /'


# ---- 3. the responder killed mid-exchange
# 300 ms each way: b sits in MM_SA_SETUP (MM2 sent, MM3 on its way) for about 600 ms
relay --delay-ms 300 --seed 13
n0=$(wc -l <"$T/b.log")
# the log, read from where this phase starts, is quicker to poll than ikemonctl
in_setup() { tail -n +$((n0 + 1)) "$T/b.log" | grep -q "peer a: MM_NO_STATE -> MM_SA_SETUP"; }
if wait_for 20 in_setup; then
	kill -9 "${PID[b]}"
	wait "${PID[b]}" 2>/dev/null
	unset "PID[b]"
	bid=$(tail -n +$((n0 + 1)) "$T/b.log" | grep -o "conn-id [0-9]* peer a: MM_NO_STATE -> MM_SA_SETUP" | tail -n 1 | cut -d' ' -f2)
	ok "b killed (SIGKILL) in MM_SA_SETUP (its conn-id $bid), mid-Main Mode"
	id=$(newest)
	# where did b stop? its log has every state it reached
	if grep -q "conn-id $bid peer a: MM_SA_SETUP -> MM_KEY_EXCH" "$T/b.log"; then
		want="key-mismatch" after=MM5 # b sent MM4 before it died: silence after our MM5
	else
		want="peer-silent" after=MM3
	fi
	check "a's SA $id fails with $want (no reply to $after)" \
		wait_for 25 sa_is a "[s for s in sas if s['conn_id']==$id][0]['delete_reason']=='$want' and '$after' in [s for s in sas if s['conn_id']==$id][0]['cause_detail']"
	mv "$T/b.log" "$T/b-killed.log"
	start_in $NB b
	check "b restarted (stale control socket replaced): a's auto = start recovers the SA" \
		wait_for 30 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['conn_id']>$id for s in sas)"
	check "and its phase-2 SA" wait_for 15 bash -c "$(declare -f child_up ctl); IKEMONCTL=$IKEMONCTL T=$T; child_up b 1"
else
	not_ok "b never seen in MM_SA_SETUP"
fi

# ---- 4. an established peer killed and restarted: INITIAL-CONTACT
relay --seed 14
est=$(sa_query a "max(s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE')")
kill -9 "${PID[b]}"
wait "${PID[b]}" 2>/dev/null
unset "PID[b]"
check "a does not notice a silent death (no DPD): SA $est still QM_IDLE" sa_is a "any(s['conn_id']==$est and s['cisco_state']=='QM_IDLE' for s in sas)"
sed -i 's/^auto = add$/auto = start/' "$T/b.conf"
mv "$T/b.log" "$T/b-killed2.log"
start_in $NB b
check "b, restarted, initiates with INITIAL-CONTACT; a deletes the stale SA $est (initial-contact)" \
	wait_for 30 sa_is a "[s for s in sas if s['conn_id']==$est][0]['delete_reason']=='initial-contact'"
check "the SA b started reaches QM_IDLE on both sides" \
	wait_for 20 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['role']=='initiator' for s in sas)"
check "a counted the INITIAL-CONTACT deletion" sa_is a "g['initial_contact_deleted']>=1"
relay --seed 15 # prints the last counters
finish
