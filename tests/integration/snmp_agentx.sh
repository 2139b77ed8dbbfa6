#!/usr/bin/env bash
# ikemond as an AgentX subagent of a real snmpd that the test starts (its own config and
# persistent directory, nothing of /etc/snmp): IKEMON-MIB answers GET and walks through
# snmpd, ikemond's notifications leave through snmpd's trap2sink, a restarted snmpd has
# ikemond registered again within a bounded time, and a stopped snmpd does not stop
# ikemond.
. "$(dirname "$0")/lib.sh"

command -v snmpd >/dev/null || skip "snmpd (Debian package snmpd) is not installed"
command -v snmptrapd >/dev/null || skip "snmptrapd (Debian package snmptrapd) is not installed"
command -v snmpget >/dev/null || skip "snmpget (Debian package snmp) is not installed"

A=127.10.21.1 B=127.10.21.2 MASTER=127.10.21.9 TRAPD=127.10.21.8
P=.1.3.6.1.4.1.8072.9999.9999.500
SOCK=$T/agentx/master

mkdir -p "$T/agentx" "$T/snmpd" "$T/trapd"
cat >"$T/snmpd.conf" <<EOF
master agentx
agentXSocket $SOCK
rocommunity public 127.0.0.0/8
trap2sink $TRAPD:1162 public
EOF
start_snmpd() {
	SNMP_PERSISTENT_DIR="$T/snmpd" snmpd -f -C -c "$T/snmpd.conf" -I -smux -m "" \
		-Lf "$T/snmpd.log" udp:$MASTER:1161 2>>"$T/snmpd.err" &
	PID[snmpd]=$!
	wait_for 5 test -S "$SOCK" || { not_ok "snmpd did not start"; finish; }
}
echo "authCommunity log public" >"$T/snmptrapd.conf"
SNMP_PERSISTENT_DIR="$T/trapd" snmptrapd -f -C -c "$T/snmptrapd.conf" -m "" -On \
	-F 'N %b|%P|%v\n' -Lf "$T/traps.log" udp:$TRAPD:1162 2>"$T/snmptrapd.err" &
PID[snmptrapd]=$!
# listening once it has logged its version (else ikemonStarted may come first and be lost)
wait_for 5 grep -q "NET-SNMP version" "$T/traps.log" || { not_ok "snmptrapd did not start"; finish; }
start_snmpd

SNMP_CONF="mode = agentx
agentx_socket = $SOCK
persistent_dir = $T/a-snmp
rocommunity = ignored-in-agentx-mode" write_conf a $A <<EOF
[peer b]
remote = $B
psk = "k1"
auto = start
EOF
write_conf b $B <<EOF
[peer a]
remote = $A
psk = "k1"
EOF
start b
start a

get() { snmpget -v2c -c public -On -t 1 -r 0 $MASTER:1161 "$@"; }
check "ikemond registers with snmpd: ikemonAgentVersion.0 through snmpd" \
	wait_for 10 bash -c "snmpget -v2c -c public -On -t 1 -r 0 $MASTER:1161 $P.2.1.2.0 | grep -q '\"0.1.0\"'"
check "mode agentx ignores [snmp]'s access lines, and says so" grep -q "mode agentx: 1 access and notification line of \[snmp\] ignored" "$T/a.log"
check "a and b reach QM_IDLE" wait_for 15 sa_is a "any(s['peer']=='b' and s['cisco_state']=='QM_IDLE' for s in sas)"
CONN=$(sa_query a "[s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE'][0]")
check "snmpwalk of ikemonSaTable through snmpd: peer b on conn-id $CONN" \
	bash -c "snmpwalk -v2c -c public -On -t 1 -r 0 $MASTER:1161 $P.2.5 | grep -q '^$P.2.5.1.5.$CONN = STRING: \"b\"'"
check "snmpbulkwalk of ikemonPeerTable through snmpd: the configured peer b" \
	bash -c "snmpbulkwalk -v2c -c public -On -t 1 -r 0 $MASTER:1161 $P.2.4 | grep -q 'STRING\|INTEGER'"
check "snmpd's own objects still answer beside ikemon's (sysUpTime.0)" \
	bash -c "snmpget -v2c -c public -On -t 1 -r 0 $MASTER:1161 .1.3.6.1.2.1.1.3.0 | grep -q Timeticks"
check "ikemonStarted reached snmptrapd through snmpd's trap2sink" \
	wait_for 10 grep -q "OID: $P.1.0.1	" "$T/traps.log"
check "ikemonSaEstablished.$CONN too, with peer b" \
	wait_for 10 grep -q "OID: $P.1.0.2	.*$P.2.5.1.5.$CONN = STRING: \"b\"" "$T/traps.log"

# snmpd restarted: ikemond notices (AgentX ping every 5 s) and registers again
kill "${PID[snmpd]}"
wait "${PID[snmpd]}" 2>/dev/null
unset "PID[snmpd]"
check "snmpd stopped: ikemon's objects are gone" bash -c "! snmpget -v2c -c public -On -t 1 -r 0 $MASTER:1161 $P.2.1.2.0 >/dev/null 2>&1"
sleep 1
start_snmpd
T0=$(date +%s.%N)
check "snmpd restarted: ikemond registers again within 10 s (AgentX ping every 5 s)" \
	wait_for 10 bash -c "snmpget -v2c -c public -On -t 1 -r 0 $MASTER:1161 $P.2.1.2.0 | grep -q '\"0.1.0\"'"
echo "# re-registered $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after snmpd came back"
check "and answers walks again (ikemonSaTable)" \
	bash -c "snmpwalk -v2c -c public -On -t 1 -r 0 $MASTER:1161 $P.2.5 | grep -q '^$P.2.5.1.5.$CONN = STRING: \"b\"'"

# snmpd stopped for good: ikemond carries on
kill "${PID[snmpd]}"
wait "${PID[snmpd]}" 2>/dev/null
unset "PID[snmpd]"
sleep 7
check "snmpd gone for 7 s (past a ping): ikemond still runs" kill -0 "${PID[a]}"
check "and still answers its control socket" sa_is a "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "IKE goes on: a clear and a new SA to b" bash -c "$IKEMONCTL -s $T/a.sock clear crypto isakmp $CONN >/dev/null"
check "b's SA comes back while snmpd is away" \
	wait_for 10 sa_is a "any(s['peer']=='b' and s['cisco_state']=='QM_IDLE' and s['conn_id']!=$CONN for s in sas)"
stop a
check "ikemond stops cleanly without snmpd" bash -c "grep -q 'stopped' '$T/a.log'"
finish
