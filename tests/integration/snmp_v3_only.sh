#!/usr/bin/env bash
# snmp_v3_only.sh - [snmp] v3_only = yes: ikemond refuses to start with a community
# (rocommunity, trap2sink), with a rouser below authPriv or with none; an agent in that
# mode answers SNMPv3 authPriv and nothing else: v1 and v2c (whatever the community),
# noAuthNoPriv and authNoPriv get no data.  And an [snmp] section that names no
# community answers no community at all: there is no default one.
. "$(dirname "$0")/lib.sh"

command -v snmpget >/dev/null 2>&1 || skip "snmpget not found (Debian package snmp)"

A=127.10.112.1 # v3_only
B=127.10.112.2 # an [snmp] section with no access line
AUTH=v3only-auth-pass
PRIV=v3only-priv-pass
UPTIME=1.3.6.1.2.1.1.3.0

# refusals at start (nothing is opened: the config is read first)
refused() { # $1: what; stdin: the [snmp] lines
	local lines
	lines=$(cat)
	SNMP_CONF="v3_only = yes
listen = udp:$A:1173
persistent_dir = $T/snmp-r
$lines" write_conf r $A </dev/null
	if "$IKEMOND" -f -c "$T/r.conf" >"$T/r.out" 2>&1; then
		not_ok "$1: ikemond started"
		return
	fi
	check "$1: ikemond refuses to start ($(head -c 160 "$T/r.out"))" grep -q "$2" "$T/r.out"
	check "... without quoting a secret" bash -c "! grep -q 'publicish\|$AUTH\|$PRIV' $T/r.out"
}
refused "v3_only with rocommunity" "rocommunity is SNMPv1/v2c" <<EOF
createUser = alice SHA-256 $AUTH AES $PRIV
rouser = alice authpriv
rocommunity = publicish 127.0.0.1
EOF
refused "v3_only with trap2sink" "trap2sink is SNMPv1/v2c" <<EOF
createUser = alice SHA-256 $AUTH AES $PRIV
rouser = alice authpriv
trap2sink = 127.0.0.1:1179 publicish
EOF
refused "v3_only with rouser authnopriv" "rouser alice must be authpriv" <<EOF
createUser = alice SHA-256 $AUTH AES $PRIV
rouser = alice authnopriv
EOF
refused "v3_only without a rouser" "needs a rouser USER authpriv" <<EOF
createUser = alice SHA-256 $AUTH AES $PRIV
EOF
refused "v3_only with a v2c trapsess" "every trapsess must be -v 3 -l authPriv" <<EOF
createUser = alice SHA-256 $AUTH AES $PRIV
rouser = alice authpriv
trapsess = -v 2c -c publicish 127.0.0.1:1179
EOF

SNMP_CONF="v3_only = yes
listen = udp:$A:1170
persistent_dir = $T/snmp-a
createUser = alice SHA-256 $AUTH AES $PRIV
rouser = alice authpriv" write_conf a $A </dev/null
SNMP_CONF="listen = udp:$B:1171
persistent_dir = $T/snmp-b" write_conf b $B </dev/null
start a
start b

V3=(-v3 -u alice -a SHA-256 -A "$AUTH" -x AES -X "$PRIV" -t 2 -r 1)
check "v3 authPriv (alice, SHA-256/AES) reads sysUpTime from the v3_only agent" \
	wait_for 10 bash -c "snmpget ${V3[*]} -l authPriv udp:$A:1170 $UPTIME | grep -q Timeticks"
nodata() { # the command must print no value
	local out
	out=$("$@" 2>&1)
	! grep -q "Timeticks" <<<"$out" && echo "${out:0:120}"
}
no_community() { # AGENT WHAT: v1 and v2c with the usual communities get nothing
	local v c
	for v in 1 2c; do
		for c in public private ikemon; do
			check "v$v community '$c' to $2: no answer" \
				nodata snmpget -v$v -c $c -t 1 -r 0 "$1" $UPTIME
		done
	done
}
no_community udp:$A:1170 "the v3_only agent"
out=$(nodata snmpget "${V3[@]}" -l authNoPriv udp:$A:1170 $UPTIME)
check "v3 authNoPriv as alice: refused ($out)" test -n "$out"
out=$(nodata snmpget -v3 -u alice -l noAuthNoPriv -t 2 -r 1 udp:$A:1170 $UPTIME)
check "v3 noAuthNoPriv as alice: refused ($out)" test -n "$out"
out=$(nodata snmpget -v3 -u alice -a SHA-256 -A wrong-auth-pass -x AES -X "$PRIV" -l authPriv -t 2 -r 1 udp:$A:1170 $UPTIME)
check "v3 authPriv with a wrong passphrase: refused ($out)" test -n "$out"
check "the v3_only agent's log names no community" \
	bash -c "! grep -qi 'community' $T/a.log"

# no default community: an [snmp] with none answers none
check "the agent with no access line is up (a v3 discovery answers)" \
	wait_for 10 bash -c "snmpget -v3 -u nobody -l noAuthNoPriv -t 1 -r 0 udp:$B:1171 $UPTIME 2>&1 | grep -qi 'unknown user\|authorization\|report'"
no_community udp:$B:1171 "an [snmp] without communities"
finish
