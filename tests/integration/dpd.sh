#!/usr/bin/env bash
# Dead Peer Detection and INITIAL-CONTACT between two ikemonds on loopback.
#  1. a (auto = start, dpd_delay 1 s, dpd_timeout 3 s) and b (answers only): R-U-THERE
#     and ACKs flow while b is idle; b frozen with SIGSTOP -> a declares it dead after
#     about dpd_delay + dpd_timeout, deletes the SA with peer-dead, counts it and raises
#     the peer's alarm with cause peer-dead; b thawed with SIGCONT -> a renegotiates and
#     the alarm clears.
#  2. c (auto = start) killed with SIGKILL (no DELETE) and restarted with new cookies:
#     its MM5 carries INITIAL-CONTACT and d drops the old SA at once, not after its
#     lifetime.
. "$(dirname "$0")/lib.sh"

A=127.10.75.1
B=127.10.75.2
C=127.10.75.3
D=127.10.75.4
write_conf a $A <<EOF2
alarm_holddown = 0
[http]
listen = $A:9731
[peer b]
remote = $B
psk = "dpd-secret"
auto = start
dpd_delay = 1
dpd_timeout = 3
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "dpd-secret"
auto = add
EOF2
start b
start a

check "a reaches QM_IDLE with b" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "a saw b's DPD vendor ID (MM2)" sa_is a "sas[0]['dpd']['peer_supports']"
check "b saw a's DPD vendor ID (MM1)" sa_is b "sas[0]['dpd']['peer_supports']"
check "show crypto isakmp sa detail prints D in the Cap. column" \
	grep -Eq "^1001 +$A +$B .*ACTIVE .* D$" <(ctl a show crypto isakmp sa detail)
check "idle SA: a sends R-U-THERE, b answers with ACKs (seq matches)" wait_for 6 sa_is a \
	"sas[0]['dpd']['r_u_there_out']>=2 and sas[0]['dpd']['ack_in']>=2 and sas[0]['dpd']['ack_bad_seq']==0"
check "b answered every R-U-THERE (it does not probe itself: dpd_delay 0)" sa_is b \
	"sas[0]['dpd']['r_u_there_in']>=2 and sas[0]['dpd']['ack_out']==sas[0]['dpd']['r_u_there_in'] and sas[0]['dpd']['r_u_there_out']==0 and sas[0]['dpd']['seq_in']>0"

kill -STOP "${PID[b]}"
t0=$(date +%s.%N)
check "b frozen: a declares it dead and deletes the SA with peer-dead" wait_for 12 sa_is a \
	"any(s['conn_id']==1001 and s['delete_reason']=='peer-dead' for s in sas)"
t1=$(date +%s.%N)
dead=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "# dead after $dead s frozen (dpd_delay 1 + dpd_timeout 3; the idle time before the freeze counts)"
check "declared dead between 2.5 and 6 s after the freeze ($dead s)" \
	awk -v d="$dead" 'BEGIN { exit !(d >= 2.5 && d <= 6) }'
check "counted: peers_dead 1, R-U-THEREs unanswered" sa_is a \
	"g['dpd']['peers_dead']==1 and g['dpd']['r_u_there_out']>g['dpd']['ack_in']"
if command -v curl >/dev/null; then
	m=$(curl -sf --max-time 5 "http://$A:9731/metrics")
	out=$(printf '%s\n' "$m" | sed -n 's/^ikemon_dpd_messages_total{peer="b",direction="out",type="r_u_there"} //p')
	ack=$(printf '%s\n' "$m" | sed -n 's/^ikemon_dpd_messages_total{peer="b",direction="in",type="r_u_there_ack"} //p')
	check "metric ikemon_dpd_messages_total: $out R-U-THEREs out, $ack ACKs in" \
		awk -v o="${out:-0}" -v a="${ack:-0}" 'BEGIN { exit !(o > a && a >= 2) }'
else
	echo "# no curl: the metric check is left out"
fi
check "log: no answer to R-U-THERE, peer dead" grep -q "no answer to R-U-THERE for 3 s: peer dead" "$T/a.log"
check "the peer's alarm says peer-dead while b stays frozen" wait_for 8 bash -c \
	"$IKEMONCTL -s $T/a.sock show alarms --json | python3 -c \"import json,sys; d=json.load(sys.stdin); sys.exit(not any(x['peer']=='b' and x['cause']=='peer-dead' for x in d['alarms']))\""
check "auto = start keeps trying while b is frozen (its silence keeps the cause peer-dead)" \
	sa_is a "any(s['conn_id']>1001 for s in sas)"

kill -CONT "${PID[b]}"
check "b thawed: a renegotiates to QM_IDLE" wait_for 20 sa_is a \
	"any(s['conn_id']>1001 and s['cisco_state']=='QM_IDLE' for s in sas)"
check "the alarm clears once b is back" wait_for 10 bash -c \
	"$IKEMONCTL -s $T/a.sock show alarms --json | python3 -c \"import json,sys; d=json.load(sys.stdin); sys.exit(any(x['peer']=='b' for x in d['alarms']))\""

# ---- 2. INITIAL-CONTACT
write_conf c $C <<EOF2
[peer d]
remote = $D
psk = "ic-secret"
auto = start
EOF2
write_conf d $D <<EOF2
[peer c]
remote = $C
psk = "ic-secret"
auto = add
EOF2
start d
start c
check "c reaches QM_IDLE with d" wait_for 10 sa_is d "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "c's first MM5 carried INITIAL-CONTACT (d saw it)" sa_is d "sas[0]['initial_contact']"
old=$(sa_query d "sas[0]['conn_id']")
kill -KILL "${PID[c]}"
wait "${PID[c]}" 2>/dev/null
unset "PID[c]"
rm -f "$T/c.sock"
check "c killed without a DELETE: d still holds the old SA" sa_is d \
	"any(s['conn_id']==$old and s['cisco_state']=='QM_IDLE' for s in sas)"
t0=$(date +%s.%N)
start c
check "c restarted: d drops the old SA with initial-contact" wait_for 10 sa_is d \
	"any(s['conn_id']==$old and s['delete_reason']=='initial-contact' for s in sas)"
t1=$(date +%s.%N)
echo "# old SA dropped $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after the restart (lifetime 28800 s)"
check "d's new SA with c is up, and it is the only live one" sa_is d \
	"[s['cisco_state'] for s in sas if s['delete_reason']=='none']==['QM_IDLE']"
check "counted: initial_contact_deleted 1" sa_is d "g['initial_contact_deleted']==1"
finish
