#!/usr/bin/env bash
# IKEMON-MIB's notifications reach a real snmptrapd over four channels at once: a v2c
# trap (trap2sink), a v2c inform (informsink), a v3 authPriv trap and a v3 authPriv
# inform (trapsess, SHA-256 and AES-128), each on a port of its own.  ikemond a
# initiates to b (the right key) and to c (a wrong key): every channel gets
# ikemonStarted, ikemonSaEstablished (b), ikemonNegotiationFailed and exactly one
# ikemonSaStalled naming the key mismatch (c), ikemonSaDeleted (clear crypto isakmp),
# and ikemonSaStallCleared once c's key is corrected and reloaded; the varbinds carry
# the values `show ... --json` reports.  The agent answers v2c and v3 reads; a reload
# applies a new notify_limit at once (a tight one holds notifications back and sends one
# summary) but leaves the rest of [snmp] to the next start; a listen address in use is
# a start error; the engine ID and engineBoots persist.
. "$(dirname "$0")/lib.sh"

command -v snmptrapd >/dev/null || skip "snmptrapd (Debian package snmptrapd) is not installed"
command -v snmpget >/dev/null || skip "snmpget (Debian package snmp) is not installed"

A=127.10.20.1 B=127.10.20.2 C=127.10.20.3 TRAPD=127.10.20.9
ENGINE_A=0x80001f8804696b656d6f6e2d61     # text engine ID "ikemon-a" (RFC 3411 format 4)
ENGINE_TRAPD=0x80001f880474726170642d3230 # "trapd-20": v3 informs name the receiver's engine
COMMUNITY=Trap-Community-4711
AUTH=Trap-Auth-4711 PRIV=Trap-Priv-4711
ROCOMM=Read-Community-4711
P=.1.3.6.1.4.1.8072.9999.9999.500
STALL_AFTER=1.5 QM_STALL_AFTER=1.5
export STALL_AFTER QM_STALL_AFTER

# snmptrapd: v2c community, the v3 user twice (ikemond's engine for its traps, its own
# engine for informs, which ikemond's trapsess names with -e), one line per
# notification, OIDs numeric
cat >"$T/snmptrapd.conf" <<EOF
exactEngineID $ENGINE_TRAPD
authCommunity log $COMMUNITY
createUser -e $ENGINE_A alice SHA-256 $AUTH AES $PRIV
createUser alice SHA-256 $AUTH AES $PRIV
authUser log alice priv
EOF
mkdir -p "$T/trapd"
SNMP_PERSISTENT_DIR="$T/trapd" snmptrapd -f -C -c "$T/snmptrapd.conf" -m "" -On \
	-F 'N %b|%P|%v\n' -Lf "$T/traps.log" \
	udp:$TRAPD:1162,udp:$TRAPD:1163,udp:$TRAPD:1164,udp:$TRAPD:1165 2>"$T/snmptrapd.err" &
PID[snmptrapd]=$!
wait_for 5 grep -q "NET-SNMP version" "$T/traps.log" || { not_ok "snmptrapd did not start"; finish; }

snmp_conf() { # the [snmp] section of a, with notify_limit $1
	cat <<EOF
listen = udp:$A:1161
persistent_dir = $T/a-snmp
engine_id = $ENGINE_A
rocommunity = $ROCOMM$2 127.0.0.0/8
createUser = alice SHA-256 $AUTH AES $PRIV
rouser = alice authpriv
notify_limit = $1
trap2sink = $TRAPD:1162 $COMMUNITY
informsink = $TRAPD:1163 $COMMUNITY
trapsess = -v 3 -u alice -l authPriv -a SHA-256 -A $AUTH -x AES -X $PRIV $TRAPD:1164
trapsess = -Ci -v 3 -e $ENGINE_TRAPD -u alice -l authPriv -a SHA-256 -A $AUTH -x AES -X $PRIV $TRAPD:1165
EOF
}
conf_a() { # PSK-for-c NOTIFY-LIMIT [COMMUNITY-SUFFIX]
	SNMP_CONF=$(snmp_conf "$2" "${3:-}") write_conf a $A <<EOF
alarm_holddown = 0
[peer b]
remote = $B
psk = "right"
auto = start
[peer c]
remote = $C
psk = "$1"
auto = start
[http]
listen = $A:9731
EOF
}
conf_a wrong 1000/10
write_conf b $B <<EOF
[peer a]
remote = $A
psk = "right"
EOF
write_conf c $C <<EOF
[peer a]
remote = $A
psk = "right"
EOF
start b
start c
start a

# ntf PORT N PYEXPR: evaluate PYEXPR over `ts`, the notifications { ikemonNotificationPrefix N }
# received on PORT, each a dict from OIDs below ikemonMIB ("2.5.1.5.1001") to values
# ('"b"', '7F 0A 14 01', '3'), with 'auth' the security line snmptrapd wrote
ntf() {
	python3 - "$T/traps.log" "$1" "$2" "$3" <<'PY'
import re, sys
log, port, n, expr = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
P = ".1.3.6.1.4.1.8072.9999.9999.500."
ts = []
for line in open(log, errors="replace"):
    if not line.startswith("N ") or not re.search(r"->\[[^]]*\]:%s\|" % port, line):
        continue
    head, auth, vbs = line.rstrip("\n").split("|", 2)
    t = {"auth": auth}
    for vb in vbs.split("\t"):
        if " = " not in vb:
            continue
        oid, val = vb.split(" = ", 1)
        val = val.split(": ", 1)[1] if ": " in val else val
        t[oid[len(P):] if oid.startswith(P) else oid] = val.strip()
    if t.get(".1.3.6.1.6.3.1.1.4.1.0") == P + "1.0." + n:
        ts.append(t)
def col(t, prefix):  # the value of the column whose OID starts with prefix
    return next((v for k, v in t.items() if k.startswith(prefix + ".")), None)
sys.exit(0 if eval(expr) else 1)
PY
}
PORTS="1162 1163 1164 1165"
channel() { case $1 in 1162) echo "v2c trap" ;; 1163) echo "v2c inform" ;; 1164) echo "v3 authPriv trap" ;; 1165) echo "v3 authPriv inform" ;; esac; }
conn_of() { sa_query a "[s['conn_id'] for s in sas if s['peer']=='$1' and s['cisco_state']=='QM_IDLE'][0]"; }

for port in $PORTS; do
	check "$(channel $port): ikemonStarted with ikemonAgentStartTime (11-octet UTC) and ikemonAgentVersion" \
		wait_for 10 ntf $port 1 "len(ts)==1 and ts[0]['2.1.2.0']=='\"0.1.0\"' and len(ts[0]['2.1.1.0'].split())==11 and ts[0]['2.1.1.0'].split()[8]=='2B'"
done
check "v2c notifications carry the community" grep -q "SNMP v2c, community $COMMUNITY" "$T/traps.log"
check "v3 notifications the user" grep -q "SNMP v3, user alice" "$T/traps.log"

check "a and b reach QM_IDLE" wait_for 15 sa_is a "any(s['peer']=='b' and s['cisco_state']=='QM_IDLE' for s in sas)"
CONN_B=$(conn_of b)
for port in $PORTS; do
	check "$(channel $port): ikemonSaEstablished.$CONN_B: peer b, 127.10.20.1 -> 127.10.20.2, main mode, initiator" \
		wait_for 10 ntf $port 2 "any(t.get('2.5.1.5.$CONN_B')=='\"b\"' and t['2.5.1.6.$CONN_B']=='1' and t['2.5.1.7.$CONN_B']=='7F 0A 14 01' and t['2.5.1.9.$CONN_B']=='1' and t['2.5.1.10.$CONN_B']=='7F 0A 14 02' and t['2.5.1.3.$CONN_B']=='2' and t['2.5.1.4.$CONN_B']=='1' for t in ts)"
done

# c: the wrong key stalls a in MM_KEY_EXCH, then the SA fails when MM5 is never answered
for port in $PORTS; do
	check "$(channel $port): ikemonSaStalled: peer c, mmKeyExch, phase 1, keyMismatch, with its sequence" \
		wait_for 15 ntf $port 5 "len(ts)==1 and col(ts[0],'2.8.1.3')=='\"c\"' and col(ts[0],'2.8.1.9')=='3' and col(ts[0],'2.8.1.10')=='1' and col(ts[0],'2.8.1.13')=='3' and col(ts[0],'2.8.1.2')==col(ts[0],'2.8.1.2').strip() and int(col(ts[0],'2.8.1.11'))>=1 and col(ts[0],'2.8.1.6')=='1' and col(ts[0],'2.8.1.7')=='7F 0A 14 03'"
done
SEQ=$(ctl a show alarms --json | python3 -c "import json,sys; print(json.load(sys.stdin)['alarms'][0]['raise_seq'])")
check "the stall's instance and ikemonAlarmSequence are the alarm's raise sequence ($SEQ)" \
	ntf 1162 5 "ts[0].get('2.8.1.2.$SEQ')=='$SEQ' and ts[0].get('2.8.1.8.$SEQ') not in (None,'0')"
for port in $PORTS; do
	check "$(channel $port): ikemonNegotiationFailed: peer c, mmKeyExch, phase 1, keyMismatch, its detail" \
		wait_for 15 ntf $port 4 "any(col(t,'2.7.1.3')=='\"c\"' and col(t,'2.7.1.7')=='3' and col(t,'2.7.1.8')=='1' and col(t,'2.7.1.9')=='3' and 'MM5' in col(t,'2.7.1.10') and col(t,'2.7.1.5')=='1' and col(t,'2.7.1.6')=='7F 0A 14 03' for t in ts)"
done

# b: clear crypto isakmp deletes the SA: ikemonSaDeleted with reason cleared (12) from QM_IDLE (8)
ctl a clear crypto isakmp "$CONN_B" >/dev/null
for port in $PORTS; do
	check "$(channel $port): ikemonSaDeleted.$CONN_B: peer b, remote 127.10.20.2, was qmIdle, reason cleared" \
		wait_for 10 ntf $port 3 "any(t.get('2.5.1.5.$CONN_B')=='\"b\"' and t['2.5.1.9.$CONN_B']=='1' and t['2.5.1.10.$CONN_B']=='7F 0A 14 02' and t['2.5.1.24.$CONN_B']=='8' and t['2.5.1.44.$CONN_B']=='12' for t in ts)"
done

# c's key corrected at a and reloaded ([snmp] unchanged: the agent keeps running)
conf_a right 1000/10
ctl a reload >/dev/null
for port in $PORTS; do
	check "$(channel $port): ikemonSaStallCleared.$SEQ: peer c, the alarm's values, clear reason established(1)" \
		wait_for 20 ntf $port 6 "len(ts)==1 and ts[0].get('2.8.1.2.$SEQ')=='$SEQ' and ts[0]['2.8.1.3.$SEQ']=='\"c\"' and ts[0]['2.8.1.13.$SEQ']=='3' and ts[0]['2.9.1.0']=='1'"
done
sleep 1
for port in $PORTS; do
	check "$(channel $port): one ikemonSaStalled for c in all" ntf $port 5 "len(ts)==1"
	check "$(channel $port): one ikemonStarted (the reload kept the agent)" ntf $port 1 "len(ts)==1"
done
check "the agent answers GET: sysUpTime.0 and ikemonAgentVersion.0" \
	bash -c "snmpget -v2c -c $ROCOMM -On -t 1 -r 1 $A:1161 .1.3.6.1.2.1.1.3.0 $P.2.1.2.0 | grep -q '\"0.1.0\"'"

check "v3 authPriv (SHA-256, AES) GET of snmpEngineID.0: ikemond's configured engine ID" \
	bash -c "snmpget -v3 -u alice -l authPriv -a SHA-256 -A $AUTH -x AES -X $PRIV -On -t 1 -r 1 $A:1161 .1.3.6.1.6.3.10.2.1.1.0 | grep -qi '80 00 1F 88 04 69 6B 65 6D 6F 6E 2D 61'"
check "the community sees only its view: nothing of IF-MIB" \
	bash -c "snmpget -v2c -c $ROCOMM -On -t 1 -r 1 $A:1161 .1.3.6.1.2.1.2.1.0 | grep -q 'No Such Object'"

# a reload: notify_limit 1/2 applies at once, a new community only at the next start
conf_a right 1/2 -new
ctl a reload >/dev/null
check "a reload that changes rocommunity says it takes effect at restart" \
	wait_for 5 grep -q "reload: \[snmp\] changes other than notify_limit and fail_history take effect at restart" "$T/a.log"
check "the agent was not restarted: still one ikemonStarted" ntf 1162 1 "len(ts)==1"
check "the community in force is still the one it started with" \
	bash -c "snmpget -v2c -c $ROCOMM -On -t 1 -r 1 $A:1161 $P.2.1.10.0 | grep -q 'Gauge32: 100'"
CONN_B=$(conn_of b)
CONN_C=$(conn_of c)
ctl a clear crypto isakmp "$CONN_B" >/dev/null
ctl a clear crypto isakmp "$CONN_C" >/dev/null
check "v2c trap: two deletions and more with notify_limit 1/2: one ikemonNotificationsHeld, ikemonNotifyHeldCount >= 1, over >= 1 s" \
	wait_for 10 ntf 1162 7 "len(ts)==1 and int(ts[0]['2.9.2.0'])>=1 and int(ts[0]['2.9.3.0'])>=1"
check "v3 authPriv inform: the same summary" \
	wait_for 10 ntf 1165 7 "len(ts)==1 and int(ts[0]['2.9.2.0'])>=1"

# a second agent on a's listen address cannot start: ikemond says so and exits
SNMP_CONF="listen = udp:$A:1161
persistent_dir = $T/d-snmp" write_conf d 127.10.20.4 </dev/null
timeout 5 "$IKEMOND" -c "$T/d.conf" -f 2>"$T/d.log"
check "a listen address in use is a start error (ikemond exits 1)" test $? = 1
check "with a message naming it" grep -q "cannot listen on udp:$A:1161" "$T/d.log"
check "held notifications are logged as held" grep -q "held back by notify_limit" "$T/a.log"
metric() { curl -s "http://$A:9731/metrics" | grep -q "^ikemon_notifications_total{type=\"$1\",outcome=\"$2\"} $3\$"; }
check "metrics: ikemonSaStalled sent once (one call covers every target)" metric ikemonSaStalled sent 1
check "metrics: ikemonStarted sent once" metric ikemonStarted sent 1
check "metrics: notifications held by the rate limit are counted" \
	bash -c "curl -s http://$A:9731/metrics | grep -Eq '^ikemon_notifications_total\{type=\"[A-Za-z]+\",outcome=\"held\"\} [1-9]'"

# secrets: no community or passphrase in ikemond's log
check "no community or passphrase in a's log" \
	bash -c "! grep -Eq '$COMMUNITY|$AUTH|$PRIV|$ROCOMM' '$T/a.log'"
check "the persistent directory was made 0700" bash -c "[ \$(stat -c %a '$T/a-snmp') = 700 ]"
check "engineBoots persisted in it" grep -q "^engineBoots [1-9]" "$T/a-snmp/ikemond-snmp.conf"
stop a
conf_a right 1000/10 -new
start a
check "engineBoots grows across restarts: snmpEngineBoots.0 is 2" \
	bash -c "snmpget -v3 -u alice -l authPriv -a SHA-256 -A $AUTH -x AES -X $PRIV -On -t 1 -r 1 $A:1161 .1.3.6.1.6.3.10.2.1.2.0 | grep -q 'INTEGER: 2$'"
check "and in the persistent file" grep -q "^engineBoots 2$" "$T/a-snmp/ikemond-snmp.conf"
check "b's SA is up again" wait_for 10 sa_is a "any(s['peer']=='b' and s['cisco_state']=='QM_IDLE' for s in sas)"
stop a
check "SIGTERM: the SAs' ikemonSaDeleted, reason shutdown (13), went out before the agent stopped" \
	wait_for 5 ntf 1162 3 "any(col(t,'2.5.1.44')=='13' and col(t,'2.5.1.5')=='\"b\"' for t in ts)"
finish
