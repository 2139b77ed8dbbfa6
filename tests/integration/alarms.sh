#!/usr/bin/env bash
# Stall alarms against a second ikemond, one real scenario each: the alarm names the
# state, how long, and the cause the engine saw; it is raised once per peer however
# often the peer retries, and clears once (established, peer removed, operator).
. "$(dirname "$0")/lib.sh"

RELAY=${abs_top_srcdir:-$(dirname "$0")/../..}/tests/tools/nat_relay.py
STALL_AFTER=2 QM_STALL_AFTER=2
export STALL_AFTER QM_STALL_AFTER
raised() { grep -c "ALARM raised .* peer $2 " "$T/$1.log"; }
cleared() { grep -c "ALARM cleared .* peer $2: $3" "$T/$1.log"; }
cleared_is() { [ "$(cleared "$1" "$2" "$3")" = "$4" ]; }
# peer_is NAME PYEXPR over `p`, the first peer of show ikemon peers --json
peer_is() {
	[ "$(ctl "$1" show ikemon peers --json |
		python3 -c "import json,sys; p=json.load(sys.stdin)['peers'][0]; print($2)")" = True ]
}
# alarms_is NAME [history] PYEXPR over `al` (the alarms) and `last` (last_seq)
alarms_is() {
	local n=$1 expr=$2 hist=
	[ "$expr" = history ] && { hist=history; expr=$3; }
	[ "$(ctl "$n" show alarms $hist --json |
		python3 -c "import json,sys; d=json.load(sys.stdin); al=d['alarms']; last=d['last_seq']; print($expr)")" = True ]
}
has_alarm() { grep -Eq "ALARM raised #[0-9]+ peer $2 .*$3" "$T/$1.log"; }
pair() { # A-conf-extra B-conf-extra (peer sections' extra lines)
	write_conf a $A <<EOF2
alarm_holddown = 0
peer_down_after = ${PEER_DOWN_AFTER:-120}
[peer b]
remote = ${REMOTE_B:-$B}
psk = "${PSK_A:-k1}"
auto = start
$1
EOF2
	write_conf b $B <<EOF2
alarm_holddown = 0
[peer a]
remote = ${REMOTE_A:-$A}
psk = "${PSK_B:-k1}"
auto = add
$2
EOF2
}

# 1. wrong key: the responder names a key mismatch, the initiator silence after MM5;
#    retries raise nothing more; fixing the key and reloading clears with "established"
A=127.10.9.1 B=127.10.9.2
PSK_A=right PSK_B=wrong pair "" ""
start b
start a
check "responder: alarm in MM_KEY_EXCH, pre-shared key mismatch" wait_for 10 has_alarm b a "MM_KEY_EXCH for [0-9]+ s on conn-id [0-9]+: pre-shared key mismatch"
check "initiator: alarm in MM_KEY_EXCH: no reply to MM5, probable key or identity mismatch" wait_for 10 has_alarm a b "MM_KEY_EXCH for [0-9]+ s on conn-id [0-9]+: pre-shared key mismatch: no reply to MM5: probable key or identity mismatch at peer"
check "the alarm gives the hint" grep -q "hint: the pre-shared keys differ; check both ends" "$T/b.log"
check "the initiator retries five times (conn-id 1005 appears)" wait_for 40 sa_is a "any(s['conn_id']>=1005 for s in sas)"
check "five retries raised one alarm on the initiator, not five" test "$(raised a b)" = 1
check "and one on the responder" test "$(raised b a)" = 1
sed -i 's/^psk = "wrong"$/psk = "right"/' "$T/b.conf"
ctl b reload >/dev/null
check "fixed key: the responder's alarm clears with reason established" wait_for 15 cleared_is b a established 1
check "fixed key: the initiator's alarm clears with reason established" wait_for 10 cleared_is a b established 1
check "cleared once" bash -c "sleep 1; [ \$(grep -c 'ALARM cleared' $T/a.log) = 1 ]"
stop_all

# 2. proposal mismatch: no proposal chosen, and which side refused
A=127.10.9.11 B=127.10.9.12
pair "ike = aes128-sha256-modp2048" "ike = 3des-sha1-modp1024"
start b
start a
check "initiator: MM_NO_STATE, no acceptable proposal, refused by peer" wait_for 10 has_alarm a b "MM_NO_STATE for [0-9]+ s on conn-id [0-9]+: no acceptable proposal: refused by peer: NO-PROPOSAL-CHOSEN"
check "responder: MM_NO_STATE, refused by us" wait_for 10 has_alarm b a "MM_NO_STATE for [0-9]+ s on conn-id [0-9]+: no acceptable proposal: refused by us"
stop_all

# 3. nothing listening at the peer: peer silent in MM_NO_STATE; the peer is down after
#    peer_down_after; the operator clears the alarm, which comes back while it stalls
A=127.10.9.21 B=127.10.9.22
PEER_DOWN_AFTER=3 pair "" ""
start a
check "nothing listening: MM_NO_STATE, no reply, after MM1" wait_for 10 has_alarm a b "MM_NO_STATE for [0-9]+ s on conn-id [0-9]+: no reply from the peer: no reply to MM1"
check "show alarms --json: one active alarm, seq 1, peer-silent in MM_NO_STATE" alarms_is a "len(al)==1 and al[0]['raise_seq']==1 and last==1 and al[0]['cause']=='peer-silent' and al[0]['state']=='MM_NO_STATE' and al[0]['peer']=='b'"
check "after peer_down_after (3 s) the auto = start peer is down, with its cause" wait_for 10 peer_is a "p['health']=='down' and p['cause']=='peer-silent' and p['alarm_seq']==1"
check "clear alarm b answers" bash -c "$IKEMONCTL -s $T/a.sock clear alarm b | grep -q 'cleared alarm of b'"
check "the operator's clear is logged with its reason" cleared_is a b operator 1
check "clear alarm of a peer without an alarm is an error" bash -c "! $IKEMONCTL -s $T/a.sock clear alarm b 2>/dev/null"
check "still stalled: raised again after a threshold, as a new alarm (seq 3)" wait_for 10 alarms_is a "len(al)==1 and al[0]['raise_seq']==3"
check "history: the cleared alarm, reason operator, clear seq 2" alarms_is a history "len(al)==1 and al[0]['clear_reason']=='operator' and al[0]['clear_seq']==2"
stop_all

# 4. a peer that dies after its second message (a relay passes only MM2 back): peer
#    silent in a later state
A=127.10.9.31 B=127.10.9.32
RELAY_IN=127.10.9.33 RELAY_OUT=127.10.9.34
python3 "$RELAY" --listen $RELAY_IN:500 --server $B:500 --source $RELAY_OUT --max-replies 1 \
	--duration 60 2>"$T/relay.log" &
PID[relay]=$!
wait_for 5 grep -q "nat_relay: ready" "$T/relay.log"
REMOTE_B=$RELAY_IN REMOTE_A=$RELAY_OUT pair "remote_id = $B" "remote_id = $A"
start b
start a
check "dead after MM2: MM_SA_SETUP, no reply, after MM3" wait_for 10 has_alarm a b "MM_SA_SETUP for [0-9]+ s on conn-id [0-9]+: no reply from the peer: no reply to MM3"
stop_all
kill "${PID[relay]}"; unset "PID[relay]"

# 5. proxy-identity mismatch: a Quick Mode alarm while the IKE SA is at QM_IDLE
A=127.10.9.41 B=127.10.9.42
pair $'esp = aes128-sha256\nlocal_ts = 10.1.0.0/24\nremote_ts = 10.2.0.0/24' \
	$'esp = aes128-sha256\nlocal_ts = 10.2.0.0/24\nremote_ts = 10.7.0.0/24'
start b
start a
check "proxy-id: QM_IDLE (phase 2 pending), proxy identities refused" wait_for 10 has_alarm a b "QM_IDLE \(phase 2 pending\) for [0-9]+ s on conn-id 1001: proxy identities refused"
check "proxy-id: the IKE SA stayed at QM_IDLE (one IKE SA)" sa_is a "len(sas)==1 and sas[0]['cisco_state']=='QM_IDLE'"
# 6. the peer leaves the configuration: its alarm clears
sed -i '/^\[peer b\]/,$d' "$T/a.conf"
ctl a reload >/dev/null
check "a removed peer's alarm clears with reason peer-removed" wait_for 5 cleared_is a b peer-removed 1
stop_all

# 7. a slow but healthy peer (every datagram held 300 ms; each state shorter than its
#    2 s threshold) raises nothing
A=127.10.9.51 B=127.10.9.52
RELAY_IN=127.10.9.53 RELAY_OUT=127.10.9.54
python3 "$RELAY" --listen $RELAY_IN:500 --server $B:500 --source $RELAY_OUT --delay-ms 300 \
	--duration 60 2>"$T/relay.log" &
PID[relay]=$!
wait_for 5 grep -q "nat_relay: ready" "$T/relay.log"
RETRANSMIT_TIMEOUT=1 REMOTE_B=$RELAY_IN REMOTE_A=$RELAY_OUT \
	pair $'remote_id = '$B$'\nesp = aes128-sha256\nlocal_ts = 10.1.0.0/24\nremote_ts = 10.2.0.0/24' \
	$'remote_id = '$A$'\nesp = aes128-sha256\nlocal_ts = 10.2.0.0/24\nremote_ts = 10.1.0.0/24'
start b
start a
check "slow peer: QM_IDLE with its phase-2 SA, through 300 ms each way" wait_for 20 bash -c "$IKEMONCTL -s $T/a.sock show ikemon peers | grep -Eq '^b .* up '"
# from "initiating Main Mode" to the phase-2 SA installed, by the log's timestamps
took=$(python3 - "$T/a.log" <<'PY'
import datetime, re, sys
t = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+)Z ", line)
    if not m:
        continue
    when = datetime.datetime.fromisoformat(m.group(1))
    if "initiating Main Mode" in line and "start" not in t:
        t["start"] = when
    if "-> INSTALLED" in line and "end" not in t:
        t["end"] = when
print("%.1f" % (t["end"] - t["start"]).total_seconds() if len(t) == 2 else "0")
PY
)
check "slow peer: the whole negotiation took longer than a threshold ($took s > 2 s)" python3 -c "import sys; sys.exit(0 if float('$took') > 2 else 1)"
check "slow peer: no alarm on either side" bash -c "! grep -q 'ALARM raised' $T/a.log $T/b.log"
stop_all
finish
