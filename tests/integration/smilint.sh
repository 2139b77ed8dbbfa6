#!/bin/bash
# smilint.sh - IKEMON-MIB (mib/IKEMON-MIB.txt) is clean SMIv2 and has the agreed layout.
#
#   1. `smilint -l 6` prints nothing (and exits 0);
#   2. Net-SNMP's snmptranslate loads it without a word on stderr, translates a sample of
#      names to their numbers and back (with instances), and `-Tp` draws the tree;
#   3. the whole subtree under ikemonMIB, name by name and number by number, is the
#      layout the table handlers and the notification code are written against (below,
#      from the layout contract): nothing missing, renumbered or extra;
#   4. every descriptor starts with `ikemon' (types with `Ikemon'): Net-SNMP resolves
#      names across every loaded MIB;
#   5. no notification carries a Counter64 (RFC 3584 drops such notifications for
#      SNMPv1 targets).
#
# The IETF base MIBs (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF, SNMP-FRAMEWORK-MIB,
# INET-ADDRESS-MIB) are not in Debian main; scripts/deps unpacks them from erlang-snmp.
#
# Environment:
#   IKEMON_MIBDIRS  directories (colon-separated) of the base MIBs
#                   (default /var/cache/ikemon/mibs, where scripts/deps puts them)
#   NETSNMP_MIBDIR  where NET-SNMP-MIB.txt is (default /usr/share/snmp/mibs, libsnmp-base)
# Exit status (automake): 0 clean, 1 a finding, 77 skipped, 99 broken setup.

set -u

SRCDIR=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
MIB_DIR=$SRCDIR/mib
MIB=$MIB_DIR/IKEMON-MIB.txt
BASE=${IKEMON_MIBDIRS:-/var/cache/ikemon/mibs}
NETSNMP_MIBDIR=${NETSNMP_MIBDIR:-/usr/share/snmp/mibs}
ROOT=1.3.6.1.4.1.8072.9999.9999.500

skip() {
	echo "########################################################################" >&2
	echo "# SKIPPED smilint: $*" >&2
	echo "# IKEMON-MIB was NOT checked.  To run this test:" >&2
	echo "#   scripts/deps   (installs smitools, snmp, libsnmp-base and unpacks the" >&2
	echo "#                   IETF base MIBs from erlang-snmp into /var/cache/ikemon/mibs)" >&2
	echo "########################################################################" >&2
	exit 77
}

hard_error() {
	echo "smilint: ERROR: $*" >&2
	exit 99
}

failed=0
ok() { echo "ok: $*"; }
not_ok() {
	echo "FAIL: $*" >&2
	failed=1
}

# A module file in one of the colon-separated directories (any extension the tools read).
find_module() {
	local dirs=$1 mod=$2 d ext
	local IFS=:
	for d in $dirs; do
		for ext in .mib .txt .my ""; do
			[ -f "$d/$mod$ext" ] && return 0
		done
	done
	return 1
}

command -v smilint >/dev/null 2>&1 || skip "smilint not found (Debian package smitools)"
command -v smidump >/dev/null 2>&1 || skip "smidump not found (Debian package smitools)"
command -v snmptranslate >/dev/null 2>&1 || skip "snmptranslate not found (Debian package snmp)"
for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF SNMP-FRAMEWORK-MIB INET-ADDRESS-MIB; do
	find_module "$BASE" "$m" || skip "base MIB $m not in IKEMON_MIBDIRS=$BASE"
done
find_module "$NETSNMP_MIBDIR" NET-SNMP-MIB || skip "NET-SNMP-MIB not in $NETSNMP_MIBDIR (libsnmp-base)"
[ -r "$MIB" ] || hard_error "no $MIB"

work=$(mktemp -d) || hard_error "mktemp failed"
trap 'rm -rf "$work"' EXIT

# ---- 1. smilint -l 6: not a word ----
SMIPATH="$BASE:$NETSNMP_MIBDIR" smilint -l 6 "$MIB" >"$work/lint" 2>&1
rc=$?
if [ "$rc" -ne 0 ] || [ -s "$work/lint" ]; then
	not_ok "smilint -l 6 $MIB: exit $rc"
	sed 's/^/  /' "$work/lint" >&2
else
	ok "smilint -l 6: no finding (SMIPATH=$BASE:$NETSNMP_MIBDIR)"
fi

# Net-SNMP's tools, away from this machine's snmp.conf and persistent directory (a first
# run there prints "Created directory: .../cert_indexes" on stderr).
mkdir -p "$work/snmpconf" "$work/persist/cert_indexes"
export SNMPCONFPATH=$work/snmpconf SNMP_PERSISTENT_DIR=$work/persist
# -m IKEMON-MIB (not +IKEMON-MIB): only this module and its imports; a `+' would add
# Net-SNMP's default list (IF-MIB, IP-MIB ...), which Debian does not ship.
SNMPT=(snmptranslate -M "+$BASE:$NETSNMP_MIBDIR:$MIB_DIR" -m IKEMON-MIB)

# Runs snmptranslate; its stdout in $out; any stderr is a finding.
translate() {
	out=$("${SNMPT[@]}" "$@" 2>"$work/err")
	local rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$work/err" ]; then
		not_ok "snmptranslate $*: exit $rc"
		sed 's/^/  /' "$work/err" >&2
		return 1
	fi
	return 0
}

# ---- 2. snmptranslate: a sample of names, both ways ----
sample=(
	"ikemonMIB .$ROOT"
	"ikemonAgentStartTime .$ROOT.2.1.1"
	"ikemonPeerCount .$ROOT.2.1.12"
	"ikemonStateSaCount .$ROOT.2.2.1.2"
	"ikemonCauseHint .$ROOT.2.3.1.5"
	"ikemonPeerSaState .$ROOT.2.4.1.10"
	"ikemonPeerDiscontinuityTime .$ROOT.2.4.1.24"
	"ikemonPeerDpdRUThereAnswered .$ROOT.2.4.1.30"
	"ikemonSaState .$ROOT.2.5.1.24"
	"ikemonSaIpsecSaCount .$ROOT.2.5.1.45"
	"ikemonSaPeerCertSubject .$ROOT.2.5.1.46"
	"ikemonCertSecondsLeft .$ROOT.2.10.1.6"
	"ikemonIpsecSaMsgId .$ROOT.2.6.1.23"
	"ikemonFailHistCause .$ROOT.2.7.1.9"
	"ikemonAlarmSequence .$ROOT.2.8.1.2"
	"ikemonNotifyClearReason .$ROOT.2.9.1"
	"ikemonStarted .$ROOT.1.0.1"
	"ikemonSaStalled .$ROOT.1.0.5"
	"ikemonNotificationsHeld .$ROOT.1.0.7"
	"ikemonCompliance .$ROOT.3.1.1"
	"ikemonNotificationGroup .$ROOT.3.2.10"
	"ikemonCertGroup .$ROOT.3.2.11"
	"ikemonPeerRekeyFailures .$ROOT.2.4.1.27"
	"ikemonRekeyGroup .$ROOT.3.2.12"
)
n=0
for s in "${sample[@]}"; do
	name=${s% *}
	oid=${s#* }
	translate -On "IKEMON-MIB::$name" || continue
	if [ "$out" != "$oid" ]; then
		not_ok "IKEMON-MIB::$name is $out, expected $oid"
		continue
	fi
	translate "$oid" || continue
	if [ "$out" != "IKEMON-MIB::$name" ]; then
		not_ok "$oid is $out, expected IKEMON-MIB::$name"
		continue
	fi
	n=$((n + 1))
done
[ "$n" = "${#sample[@]}" ] && ok "snmptranslate: $n names to numbers and back, nothing on stderr"

# Instances: a conn-id, a peer name (length-prefixed, not IMPLIED), a phase-2 SA.
instances=(
	".$ROOT.2.5.1.24.1001 IKEMON-MIB::ikemonSaState.1001"
	".$ROOT.2.4.1.8.3.104.117.98 IKEMON-MIB::ikemonPeerStatus.\"hub\""
	".$ROOT.2.6.1.2.1001.2 IKEMON-MIB::ikemonIpsecSaState.1001.2"
	".$ROOT.2.10.1.5.3.104.117.98.2 IKEMON-MIB::ikemonCertNotAfter.\"hub\".2"
	".$ROOT.2.1.9.0 IKEMON-MIB::ikemonAlarmLastSeq.0"
)
n=0
for s in "${instances[@]}"; do
	oid=${s%% *}
	want=${s#* }
	translate "$oid" || continue
	if [ "$out" != "$want" ]; then
		not_ok "$oid is $out, expected $want"
		continue
	fi
	n=$((n + 1))
done
[ "$n" = "${#instances[@]}" ] && ok "snmptranslate: $n instances (conn-id, peer name, phase-2 SA, certificate, scalar)"

if translate -Tp "IKEMON-MIB::ikemonMIB"; then
	printf '%s\n' "$out" >"$work/tree"
	missing=
	for want in '+--ikemonMIB(500)' '+--ikemonSaStalled(5)' '+--ikemonPeerTable(4)' \
		'Index: ikemonPeerName' 'Index: ikemonSaConnId, ikemonIpsecSaIndex' \
		'Index: ikemonPeerName, ikemonCertIndex' 'Values: local(1), intermediate(2), ca(3)' \
		'Values: mmNoState(1), mmSaSetup(2), mmKeyExch(3), mmKeyAuth(4)' \
		'-R-- Counter64 ikemonSaInMsgs(34)' '---N Unsigned  ikemonNotifyHeldCount(2)'; do
		grep -qF -- "$want" "$work/tree" || missing="$missing [$want]"
	done
	if [ -n "$missing" ]; then
		not_ok "snmptranslate -Tp lacks:$missing"
	else
		ok "snmptranslate -Tp: the tree ($(wc -l <"$work/tree") lines)"
	fi
fi

# The `+' form the README also shows: Debian's missing default modules make noise on
# stderr, but none of it may be about IKEMON-MIB.
out=$(snmptranslate -M "+$BASE:$NETSNMP_MIBDIR:$MIB_DIR" -m +IKEMON-MIB -On \
	IKEMON-MIB::ikemonSaState 2>"$work/err")
# (the search path line and the base MIBs' own paths name /var/cache/ikemon: not counted)
about_us() {
	local d
	grep -v '^MIB search path' "$work/err" | {
		local IFS=:
		local line
		while IFS= read -r line; do
			for d in $BASE; do
				line=${line//"$d"/}
			done
			printf '%s\n' "$line"
		done
	} | grep -i ikemon
}
if [ "$out" != ".$ROOT.2.5.1.24" ] || about_us >/dev/null; then
	not_ok "snmptranslate -m +IKEMON-MIB: '$out'"
	about_us | sed 's/^/  /' >&2
else
	ok "snmptranslate -m +IKEMON-MIB: loads; $(grep -c . "$work/err") stderr line(s)," \
		"none about IKEMON-MIB (Net-SNMP's default modules Debian lacks)"
fi

# ---- 3. the whole subtree against the layout ----
# node NAME OID, and cols PARENT NAME1 NAME2 ... (NAMEi is PARENT.i)
expect() { echo "$1 $2"; }
cols() {
	local parent=$1 i=1
	shift
	for name in "$@"; do
		echo "$name $parent.$i"
		i=$((i + 1))
	done
}
layout() {
	expect ikemonMIB $ROOT
	expect ikemonNotifications $ROOT.1
	expect ikemonNotificationPrefix $ROOT.1.0
	cols $ROOT.1.0 ikemonStarted ikemonSaEstablished ikemonSaDeleted \
		ikemonNegotiationFailed ikemonSaStalled ikemonSaStallCleared ikemonNotificationsHeld
	expect ikemonObjects $ROOT.2
	expect ikemonScalars $ROOT.2.1
	cols $ROOT.2.1 ikemonAgentStartTime ikemonAgentVersion ikemonSaCount ikemonAttempts \
		ikemonEstablished ikemonFailures ikemonAlarmsRaised ikemonAlarmsActive \
		ikemonAlarmLastSeq ikemonFailHistMax ikemonMalformed ikemonPeerCount \
		ikemonHalfOpen ikemonHalfOpenDroppedLimit ikemonHalfOpenDroppedPerSource \
		ikemonHalfOpenDroppedTimeout
	expect ikemonStateTable $ROOT.2.2
	expect ikemonStateEntry $ROOT.2.2.1
	cols $ROOT.2.2.1 ikemonStateIndex ikemonStateSaCount
	expect ikemonCauseTable $ROOT.2.3
	expect ikemonCauseEntry $ROOT.2.3.1
	cols $ROOT.2.3.1 ikemonCauseIndex ikemonCauseName ikemonCauseFailures \
		ikemonCauseAlarmsRaised ikemonCauseHint
	expect ikemonPeerTable $ROOT.2.4
	expect ikemonPeerEntry $ROOT.2.4.1
	cols $ROOT.2.4.1 ikemonPeerName ikemonPeerRemoteAddrType ikemonPeerRemoteAddr \
		ikemonPeerRemotePrefix ikemonPeerLocalAddrType ikemonPeerLocalAddr ikemonPeerAuto \
		ikemonPeerStatus ikemonPeerConnId ikemonPeerSaState ikemonPeerLastChange \
		ikemonPeerAttempts ikemonPeerEstablished ikemonPeerFailures ikemonPeerLastCause \
		ikemonPeerIpsecSasUp ikemonPeerIpsecSasWanted ikemonPeerInMsgs ikemonPeerOutMsgs \
		ikemonPeerInOctets ikemonPeerOutOctets ikemonPeerRetransmits ikemonPeerAlarmSeq \
		ikemonPeerDiscontinuityTime ikemonPeerIkeRekeys ikemonPeerIpsecRekeys \
		ikemonPeerRekeyFailures
	expect ikemonPeerDpdRUThereSent $ROOT.2.4.1.28
	expect ikemonPeerDpdAcksReceived $ROOT.2.4.1.29
	expect ikemonPeerDpdRUThereAnswered $ROOT.2.4.1.30
	expect ikemonSaTable $ROOT.2.5
	expect ikemonSaEntry $ROOT.2.5.1
	cols $ROOT.2.5.1 ikemonSaConnId ikemonSaVersion ikemonSaMode ikemonSaRole ikemonSaPeer \
		ikemonSaLocalAddrType ikemonSaLocalAddr ikemonSaLocalPort ikemonSaRemoteAddrType \
		ikemonSaRemoteAddr ikemonSaRemotePort ikemonSaLocalIdType ikemonSaLocalId \
		ikemonSaRemoteIdType ikemonSaRemoteId ikemonSaInitiatorCookie \
		ikemonSaResponderCookie ikemonSaAuthMethod ikemonSaEncrAlg ikemonSaEncrKeyLength \
		ikemonSaHashAlg ikemonSaDhGroup ikemonSaLifetime ikemonSaState \
		ikemonSaInternalState ikemonSaTimeInState ikemonSaCreated ikemonSaEstablishedTime \
		ikemonSaExpires ikemonSaStatus ikemonSaNatTVersion ikemonSaNatLocal \
		ikemonSaNatRemote ikemonSaInMsgs ikemonSaOutMsgs ikemonSaInOctets ikemonSaOutOctets \
		ikemonSaRetransmits ikemonSaInDuplicates ikemonSaInMalformed \
		ikemonSaInUndecryptable ikemonSaLastCause ikemonSaLastCauseDetail \
		ikemonSaDeleteReason ikemonSaIpsecSaCount ikemonSaPeerCertSubject
	expect ikemonIpsecSaTable $ROOT.2.6
	expect ikemonIpsecSaEntry $ROOT.2.6.1
	cols $ROOT.2.6.1 ikemonIpsecSaIndex ikemonIpsecSaState ikemonIpsecSaRole \
		ikemonIpsecSaInSpi ikemonIpsecSaOutSpi ikemonIpsecSaProtocol ikemonIpsecSaEncrAlg \
		ikemonIpsecSaEncrKeyLength ikemonIpsecSaAuthAlg ikemonIpsecSaPfsGroup \
		ikemonIpsecSaEncapMode ikemonIpsecSaLocalTs ikemonIpsecSaRemoteTs \
		ikemonIpsecSaLifetime ikemonIpsecSaLifetimeKb ikemonIpsecSaCreated \
		ikemonIpsecSaEstablishedTime ikemonIpsecSaExpires ikemonIpsecSaTimeInState \
		ikemonIpsecSaRetransmits ikemonIpsecSaLastCause ikemonIpsecSaDeleteReason \
		ikemonIpsecSaMsgId
	expect ikemonFailHistTable $ROOT.2.7
	expect ikemonFailHistEntry $ROOT.2.7.1
	cols $ROOT.2.7.1 ikemonFailHistIndex ikemonFailHistTime ikemonFailHistPeer \
		ikemonFailHistConnId ikemonFailHistRemoteAddrType ikemonFailHistRemoteAddr \
		ikemonFailHistState ikemonFailHistPhase ikemonFailHistCause ikemonFailHistCauseDetail
	expect ikemonAlarmTable $ROOT.2.8
	expect ikemonAlarmEntry $ROOT.2.8.1
	cols $ROOT.2.8.1 ikemonAlarmIndex ikemonAlarmSequence ikemonAlarmPeer \
		ikemonAlarmLocalAddrType ikemonAlarmLocalAddr ikemonAlarmRemoteAddrType \
		ikemonAlarmRemoteAddr ikemonAlarmConnId ikemonAlarmState ikemonAlarmPhase \
		ikemonAlarmSeconds ikemonAlarmThreshold ikemonAlarmCause ikemonAlarmCauseDetail \
		ikemonAlarmRaisedTime ikemonAlarmStateSince
	expect ikemonNotifyObjects $ROOT.2.9
	cols $ROOT.2.9 ikemonNotifyClearReason ikemonNotifyHeldCount ikemonNotifyHeldSeconds
	expect ikemonCertTable $ROOT.2.10
	expect ikemonCertEntry $ROOT.2.10.1
	cols $ROOT.2.10.1 ikemonCertIndex ikemonCertRole ikemonCertSubject ikemonCertNotBefore \
		ikemonCertNotAfter ikemonCertSecondsLeft
	expect ikemonConformance $ROOT.3
	expect ikemonCompliances $ROOT.3.1
	cols $ROOT.3.1 ikemonCompliance
	expect ikemonGroups $ROOT.3.2
	cols $ROOT.3.2 ikemonScalarGroup ikemonStateGroup ikemonCauseGroup ikemonPeerGroup \
		ikemonSaGroup ikemonIpsecSaGroup ikemonFailHistGroup ikemonAlarmGroup \
		ikemonNotifyObjectsGroup ikemonNotificationGroup ikemonCertGroup ikemonRekeyGroup
	expect ikemonPeerDpdGroup $ROOT.3.2.13
	expect ikemonHalfOpenGroup $ROOT.3.2.14
}
layout | sort >"$work/expected"
if translate -Tz; then
	# "label"   "1.3.6..." for every node loaded; keep ikemonMIB's subtree
	printf '%s\n' "$out" | tr -d '"' | awk -v r="$ROOT" '$2 == r || index($2, r ".") == 1 { print $1, $2 }' |
		sort >"$work/actual"
	if ! diff -u "$work/expected" "$work/actual" >"$work/diff"; then
		not_ok "the subtree differs from the layout (- expected, + IKEMON-MIB):"
		sed -n '3,$p' "$work/diff" | grep '^[-+]' | sed 's/^/  /' >&2
	else
		ok "the subtree is the layout: $(wc -l <"$work/actual") nodes, names and numbers"
	fi
fi

# ---- 4. descriptors ----
if ! SMIPATH="$BASE:$NETSNMP_MIBDIR" smidump -f identifiers "$MIB" >"$work/ids" 2>"$work/err" ||
	[ -s "$work/err" ]; then
	not_ok "smidump -f identifiers failed"
	sed 's/^/  /' "$work/err" >&2
else
	# "IKEMON-MIB NAME KIND [OID]"; types (textual conventions) start with a capital
	awk '$1 == "IKEMON-MIB" { print $2, $3 }' "$work/ids" >"$work/names"
	# SEQUENCE types of the rows are not in smidump's list: take them from the text
	sed -n 's/^\([A-Za-z][A-Za-z0-9-]*\) *::= *SEQUENCE *{.*/\1 sequence/p' "$MIB" >>"$work/names"
	bad=$(awk '($2 == "type" || $2 == "sequence") && $1 !~ /^Ikemon/ { print $1 }
		$2 != "type" && $2 != "sequence" && $1 !~ /^ikemon/ { print $1 }' "$work/names")
	total=$(wc -l <"$work/names")
	if [ -n "$bad" ]; then
		not_ok "descriptors not starting with ikemon/Ikemon: $(tr '\n' ' ' <<<"$bad")"
	elif [ "$total" -lt 190 ]; then
		not_ok "only $total identifiers found in IKEMON-MIB (smidump)"
	else
		ok "$total descriptors, every one starts with ikemon (types: Ikemon)"
	fi
fi

# ---- 5. no Counter64 in a notification ----
nvar=0
counter64=0
for notif in ikemonStarted ikemonSaEstablished ikemonSaDeleted ikemonNegotiationFailed \
	ikemonSaStalled ikemonSaStallCleared ikemonNotificationsHeld; do
	translate -Td "IKEMON-MIB::$notif" || continue
	objs=$(printf '%s\n' "$out" | sed -n 's/^ *OBJECTS[[:space:]]*{\(.*\)}.*/\1/p' | tr -d ' ' | tr ',' ' ')
	if [ -z "$objs" ]; then
		not_ok "$notif: no OBJECTS in snmptranslate -Td"
		continue
	fi
	for o in $objs; do
		translate -Td "IKEMON-MIB::$o" || continue
		nvar=$((nvar + 1))
		if printf '%s\n' "$out" | grep -q '^ *SYNTAX[[:space:]]*Counter64'; then
			not_ok "$notif carries $o, a Counter64"
			counter64=1
		fi
	done
done
[ "$counter64" = 0 ] && [ "$nvar" -gt 0 ] && ok "7 notifications, $nvar varbinds, no Counter64 among them"

exit $failed
