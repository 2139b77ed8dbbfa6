#!/usr/bin/env bash
# snmp_examples.sh - the examples for SNMP-only shops (examples/snmp/), with real
# servers: ikemond a runs IKEMON-MIB's agent and sends its notifications; b answers
# with the right key (established), c with a wrong one (stalled, then fixed).
#
#   1. snmptrapd, run with the shipped snmptrapd.conf as it is (a second file adds only
#      this test's community and MIB directories), writes one readable line per
#      notification: a timestamp, the sender, names instead of OIDs, enumerations by
#      label (ikemonAlarmCause.1 = keyMismatch), the detail text as ikemond wrote it;
#   2. the generator of Debian's prometheus-snmp-exporter turns the shipped
#      generator.yml into snmp.yml, and snmp_exporter with it walks ikemond's agent:
#      one series per configured peer labelled by its name (the ikemonPeerName index),
#      the status as a state set, the alarms labelled with their peer, the causes with
#      their names, the certificates of peer d (certificate authentication, never
#      negotiated) with their subjects, roles, notAfter and seconds left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pki.sh"

command -v snmptrapd >/dev/null || skip "snmptrapd (Debian package snmptrapd) is not installed"
command -v openssl >/dev/null 2>&1 || skip "the openssl command is missing (scripts/deps installs it)"
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
EX=$SRC/examples/snmp
BASE=${IKEMON_MIBDIRS:-/var/cache/ikemon/mibs}
for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF SNMP-FRAMEWORK-MIB INET-ADDRESS-MIB; do
	ls "$BASE/$m".* >/dev/null 2>&1 ||
		skip "the IETF base MIB $m is not in $BASE (scripts/deps unpacks them from erlang-snmp): names cannot be checked"
done
GENERATOR=$(command -v prometheus-snmp-generator || command -v generator || true)
EXPORTER=$(command -v prometheus-snmp-exporter || command -v snmp_exporter || true)

A=127.10.61.1 B=127.10.61.2 C=127.10.61.3 HOST=127.10.61.9
COMMUNITY=Trap-Community-6109 ROCOMM=Read-Community-6101
export STALL_AFTER=1.5 QM_STALL_AFTER=1.5
VERSION=$("$IKEMOND" -V | awk '{ print $2 }')

# ---------------------------------------------------------------- snmptrapd

cat >"$T/local.conf" <<EOF
authCommunity log $COMMUNITY
[snmp] mibdirs +$BASE:$SRC/mib
EOF
mkdir -p "$T/trapd"
SNMP_PERSISTENT_DIR="$T/trapd" snmptrapd -f -C -c "$EX/snmptrapd.conf,$T/local.conf" \
	-Lf "$T/traps.log" udp:$HOST:1162 2>"$T/snmptrapd.err" &
PID[snmptrapd]=$!
wait_for 10 grep -q "NET-SNMP version" "$T/traps.log" || { not_ok "snmptrapd did not start"; finish; }

# peer d: certificates (its rows of ikemonCertTable), 127.10.61.4 never answers
P=$T/pki
mkdir -p "$P"
pki_ca "$P" "Example CA" || finish
pki_leaf "$P" "Example CA" gw-a rsa "IP:$A" || finish
NOT_AFTER=$(date -u -d "$(openssl x509 -in "$P/gw-a.pem" -noout -enddate | cut -d= -f2)" +%s)

conf_a() { # PSK-FOR-C
	SNMP_CONF="listen = udp:$A:1161
persistent_dir = $T/a-snmp
rocommunity = $ROCOMM 127.0.0.0/8
trap2sink = $HOST:1162 $COMMUNITY" write_conf a $A <<EOF
alarm_holddown = 0
[peer b]
remote = $B
psk = "right"
auto = start
[peer c]
remote = $C
psk = "$1"
auto = start
[peer d]
remote = 127.10.61.4
cert = $P/gw-a.pem
key = $P/gw-a.key
ca = $P/Example CA/ca.pem
auto = add
EOF
}
conf_a wrong
for n in b c; do
	write_conf $n "$([ $n = b ] && echo $B || echo $C)" <<EOF
[peer a]
remote = $A
psk = "right"
EOF
done
start b
start c
start a

# line PATTERN...: succeeds when one line of the trap log matches every pattern (grep -E)
line() {
	local l
	l=$(cat "$T/traps.log")
	for p in "$@"; do l=$(grep -E -- "$p" <<<"$l"); done
	[ -n "$l" ]
}
TS='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UDP: \[127\.[0-9.]+\]:[0-9]+->\[127\.10\.61\.9\]:1162: '
check "ikemonStarted: one line, timestamp and sender first, the version by name" \
	wait_for 10 line "${TS}sysUpTime\.0 = [0-9:.]+; snmpTrapOID\.0 = ikemonStarted; ikemonAgentStartTime\.0 = " "; ikemonAgentVersion\.0 = $VERSION\$"
check "ikemonSaEstablished: peer b, main mode, initiator, by name" \
	wait_for 15 line "${TS}.*snmpTrapOID\.0 = ikemonSaEstablished; " "ikemonSaPeer\.[0-9]+ = b;" "ikemonSaMode\.[0-9]+ = main;" "ikemonSaRole\.[0-9]+ = initiator\$"
check "ikemonSaStalled: peer c, mmKeyExch, phase1, keyMismatch and the engine's detail" \
	wait_for 15 line "${TS}.*snmpTrapOID\.0 = ikemonSaStalled; " "ikemonAlarmPeer\.[0-9]+ = c;" "ikemonAlarmState\.[0-9]+ = mmKeyExch;" "ikemonAlarmPhase\.[0-9]+ = phase1;" "ikemonAlarmCause\.[0-9]+ = keyMismatch;" "ikemonAlarmCauseDetail\.[0-9]+ = no reply to MM5: probable key or identity mismatch at peer\$"
check "ikemonNegotiationFailed: peer c, keyMismatch" \
	wait_for 15 line "${TS}.*snmpTrapOID\.0 = ikemonNegotiationFailed; " "ikemonFailHistPeer\.[0-9]+ = c;" "ikemonFailHistCause\.[0-9]+ = keyMismatch;"
check "no ikemonSaDeleted for c's failed SAs (never up: ikemonNegotiationFailed tells it, once)" \
	bash -c "! grep 'snmpTrapOID.0 = ikemonSaDeleted;' $T/traps.log | grep -q 'ikemonSaPeer\.[0-9]* = c;'"
conf_a right
ctl a reload >/dev/null
check "c's key fixed and reloaded: ikemonSaStallCleared, clear reason established" \
	wait_for 20 line "snmpTrapOID\.0 = ikemonSaStallCleared; " "ikemonAlarmPeer\.[0-9]+ = c;" "ikemonNotifyClearReason\.0 = established\$"
check "one line per notification: exactly one ikemonSaStalled, one ikemonStarted" \
	bash -c "[ \$(grep -c 'snmpTrapOID.0 = ikemonSaStalled;' $T/traps.log) = 1 ] && [ \$(grep -c 'snmpTrapOID.0 = ikemonStarted;' $T/traps.log) = 1 ]"
check "every notification line has names: no numeric ikemon OID" \
	bash -c "! grep 'snmpTrapOID' $T/traps.log | grep -q '8072\.9999'"
check "the community is not in the log" bash -c "! grep -q '$COMMUNITY' $T/traps.log"
echo "# a line of the log:"
grep -m1 'ikemonSaStalled' "$T/traps.log" | sed 's/^/#   /'

# ---------------------------------------------------------------- snmp_exporter

if [ -z "$GENERATOR" ] || [ -z "$EXPORTER" ]; then
	echo "########################################################################"
	echo "# prometheus-snmp-generator / prometheus-snmp-exporter not found (Debian"
	echo "# package prometheus-snmp-exporter): generator.yml was NOT checked"
	echo "########################################################################"
	finish
fi
mkdir -p "$T/gen"
sed "s/^\(      community:\) CHANGE-ME /\1 $ROCOMM /" "$EX/generator.yml" >"$T/gen/generator.yml"
check "the running copy of generator.yml differs in the community only" \
	bash -c "[ \$(diff '$EX/generator.yml' '$T/gen/generator.yml' | grep -c '^>') = 1 ]"
(cd "$T/gen" && MIBDIRS="$BASE:$SRC/mib:/usr/share/snmp/mibs" "$GENERATOR" generate \
	-o "$T/gen/snmp.yml" >"$T/generator.log" 2>&1)
check "the generator turns generator.yml into snmp.yml" \
	bash -c "grep -q 'Config written' $T/generator.log && [ -s $T/gen/snmp.yml ]"
check "snmp.yml walks the scalars and the state, cause, peer, alarm and certificate tables" \
	bash -c "for t in 1 2 3 4 8 10; do grep -qx '  - 1.3.6.1.4.1.8072.9999.9999.500.2.'\$t $T/gen/snmp.yml || exit 1; done"
"$EXPORTER" --config.file="$T/gen/snmp.yml" --web.listen-address=$HOST:9116 >"$T/exporter.log" 2>&1 &
PID[snmp_exporter]=$!
scrape() { curl -sf --max-time 5 "http://$HOST:9116/snmp?module=ikemon&target=$A:1161" >"$T/snmp.prom"; }
check "snmp_exporter scrapes ikemond's agent with the generated module" wait_for 10 scrape
has() { grep -qxF -- "$1" "$T/snmp.prom" || { echo "# not in the scrape: $1"; return 1; }; }
check "the peers by name: ikemonPeerStatus{ikemonPeerName=\"b\",ikemonPeerStatus=\"up\"} 1" \
	wait_for 10 bash -c "$(declare -f scrape has); HOST=$HOST A=$A T=$T; scrape && has 'ikemonPeerStatus{ikemonPeerName=\"b\",ikemonPeerStatus=\"up\"} 1'"
check "c is up too now that its key is fixed (its counters restarted with the change: established 1)" \
	bash -c "$(declare -f has); T=$T; has 'ikemonPeerStatus{ikemonPeerName=\"c\",ikemonPeerStatus=\"up\"} 1' && has 'ikemonPeerEstablished{ikemonPeerName=\"c\"} 1'"
check "the remote address as a label: ikemonPeerRemoteAddr{...,ikemonPeerRemoteAddr=\"$C\"} 1" \
	has "ikemonPeerRemoteAddr{ikemonPeerName=\"c\",ikemonPeerRemoteAddr=\"$C\"} 1"
check "the causes by name: key-mismatch failures and one alarm raised" \
	bash -c "grep -Eq '^ikemonCauseFailures\{ikemonCauseIndex=\"3\",ikemonCauseName=\"key-mismatch\"\} [1-9]' $T/snmp.prom && grep -qx 'ikemonCauseAlarmsRaised{ikemonCauseIndex=\"3\",ikemonCauseName=\"key-mismatch\"} 1' $T/snmp.prom"
check "the version as a label, the alarm count as a number" \
	bash -c "$(declare -f has); T=$T; has 'ikemonAgentVersion{ikemonAgentVersion=\"$VERSION\"} 1' && has 'ikemonAlarmsRaised 1'"
check "no series for the ignored columns (hints, address types, certificate subjects)" \
	bash -c "! grep -Eq '^(ikemonCauseHint|ikemonPeerRemoteAddrType|ikemonAlarmPeer|ikemonCertSubject)[{ ]' $T/snmp.prom"
CERT_LABELS='ikemonCertIndex="1",ikemonCertSubject="C=CH, O=ikemon test, CN=gw-a",ikemonPeerName="d"'
check "peer d's own certificate by subject: seconds left, 29 to 31 days" \
	bash -c "grep -E '^ikemonCertSecondsLeft\{$CERT_LABELS\} ' $T/snmp.prom | awk '{ exit !(\$NF > 29 * 86400 && \$NF < 31 * 86400) }'"
check "its notAfter as a timestamp, openssl's ($NOT_AFTER)" \
	bash -c "grep -E '^ikemonCertNotAfter\{$CERT_LABELS\} ' $T/snmp.prom | awk '{ exit !(\$NF == $NOT_AFTER) }'"
check "its role local, the CA's ca: ikemonCertRole_info" \
	bash -c "$(declare -f has); T=$T; has 'ikemonCertRole_info{ikemonCertIndex=\"1\",ikemonCertRole=\"local\",ikemonCertSubject=\"C=CH, O=ikemon test, CN=gw-a\",ikemonPeerName=\"d\"} 1' && has 'ikemonCertRole_info{ikemonCertIndex=\"2\",ikemonCertRole=\"ca\",ikemonCertSubject=\"C=CH, O=ikemon test, CN=Example CA\",ikemonPeerName=\"d\"} 1'"
echo "# the certificate series:"
grep '^ikemonCert' "$T/snmp.prom" | sed 's/^/#   /'
check "no certificate rows for the peers with a pre-shared key" \
	bash -c "! grep -E '^ikemonCert' $T/snmp.prom | grep -Eq 'ikemonPeerName=\"[bc]\"'"
# a live alarm: c's key wrong again (a new key keeps the SA up: it applies to the next
# negotiation, so c's SA is cleared to make one)
conf_a wrong-again
ctl a reload >/dev/null
for id in $(sa_query a "' '.join(str(s['conn_id']) for s in sas if s['peer']=='c' and s['delete_reason']=='none')"); do
	ctl a clear crypto isakmp "$id" >/dev/null
done
check "an active alarm, labelled with its peer: ikemonAlarmCause_info{...ikemonAlarmPeer=\"c\"} 1" \
	wait_for 15 bash -c "$(declare -f scrape); HOST=$HOST A=$A T=$T; scrape && grep -Eq '^ikemonAlarmCause_info\{ikemonAlarmCause=\"keyMismatch\",ikemonAlarmIndex=\"[0-9]+\",ikemonAlarmPeer=\"c\"\} 1' $T/snmp.prom"
check "and c's status is the state set's stalled" \
	has 'ikemonPeerStatus{ikemonPeerName="c",ikemonPeerStatus="stalled"} 1'
check "no community in the scrape or in ikemond's log" \
	bash -c "! grep -q '$ROCOMM' $T/snmp.prom && ! grep -Eq '$ROCOMM|$COMMUNITY' $T/a.log"
finish
