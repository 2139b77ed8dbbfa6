#!/usr/bin/env bash
# snmp_bulk.sh - IKEMON-MIB's tables answer GETBULK themselves (HANDLER_CAN_GETBULK: all
# of a repeater's repetitions in one call of the table's handler): whatever the
# repetitions, a bulk walk must say what a GETNEXT walk says.
#
# A held ikemond (a, SNMP master on 127.10.150.1:1161) with 200 SAs from ikeload (one
# source address each in 127.10.152.0/24, a phase-2 SA each) and one from a second
# ikemond (b, an AgentX subagent of an snmpd the test starts, with its own SA to a).
# Compared with snmpwalk (GETNEXT), walks taken before and after (same OIDs, same order,
# same end; a value that moved between the two GETNEXT walks is a time or a counter and
# is not compared):
#   snmpbulkwalk -Cr50, -Cr7, -Cr1 over IKEMON-MIB and over .1.3.6.1 (into and out of
#   the tables, to the end of the view), with the full view and with a view that
#   excludes two columns and one cell (rocommunity -V in persistent_dir/conf), and
#   through snmpd (AgentX, b's tables);
#   snmpbulkget with non-repeaters and repeaters starting in the middle of tables, at
#   OIDs that name no row, and before the end of the view.
. "$(dirname "$0")/lib.sh"

for tool in snmpwalk snmpbulkwalk snmpbulkget snmpd python3; do
	command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian packages snmp, snmpd, python3)"
done
IKELOAD=${IKELOAD:-${abs_top_builddir:-.}/tests/bench/ikeload}
[ -x "$IKELOAD" ] || { not_ok "no ikeload at $IKELOAD (make check builds it)"; finish; }
CMP="$(dirname "$0")/snmp_bulkcmp.py"

A=127.10.150.1      # the held ikemond, SNMP master
B=127.10.150.2      # its peer, an AgentX subagent
MASTER=127.10.150.3 # snmpd, AgentX master for b
SRC=127.10.152.0/24 # ikeload's source addresses
N=200
P=.1.3.6.1.4.1.8072.9999.9999.500
SA=$P.2.5.1         # ikemonSaEntry
PEER=$P.2.3.1       # ikemonPeerEntry
CELL=$SA.3.1005     # one cell: conn-id 1005 (conn-ids start at 1001)

mkdir -p "$T/a-snmp/conf" "$T/agentx" "$T/snmpd"
# a view without two columns and one cell: out-of-view varbinds in the middle of a
# GETBULK's repetitions are skipped, as a GETNEXT walk skips them
cat >"$T/a-snmp/conf/ikemond-snmp.conf" <<EOF
view bulkview included $P
view bulkview excluded $SA.4
view bulkview excluded $SA.20
view bulkview excluded $PEER.3
view bulkview excluded $CELL
rocommunity bulkview 127.0.0.0/8 -V bulkview
EOF

SNMP_CONF="listen = udp:$A:1161
rocommunity = bulktest 127.0.0.0/8
persistent_dir = $T/a-snmp" write_conf a $A <<EOF
[peer load]
remote = $SRC
psk = "bulk-load-key"
ike = aes128-sha256-ecp256
esp = aes128-sha256
remote_ts = $SRC
[peer b]
remote = $B
psk = "bulk-b-key"
esp = aes128-sha256
local_ts = 10.0.0.0/24
remote_ts = 10.1.0.0/24
EOF

cat >"$T/snmpd.conf" <<EOF
master agentx
agentXSocket $T/agentx/master
rocommunity public 127.0.0.0/8
dontLogTCPWrappersConnects yes
EOF
SNMP_PERSISTENT_DIR="$T/snmpd" snmpd -f -C -c "$T/snmpd.conf" -I -smux -m "" \
	-Lf "$T/snmpd.log" udp:$MASTER:1161 2>>"$T/snmpd.err" &
PID[snmpd]=$!
wait_for 5 test -S "$T/agentx/master" || { not_ok "snmpd did not start"; finish; }

SNMP_CONF="mode = agentx
agentx_socket = $T/agentx/master
persistent_dir = $T/b-snmp" write_conf b $B <<EOF
[peer a]
remote = $A
psk = "bulk-b-key"
auto = start
esp = aes128-sha256
local_ts = 10.1.0.0/24
remote_ts = 10.0.0.0/24
EOF
start a
start b

timeout 120 "$IKELOAD" -t $A -n $N --src $SRC --psk bulk-load-key --dh ecp256 --timeout 100 \
	>"$T/load.txt" 2>&1
check "ikeload established $N SAs with a" [ $? = 0 ]
# b's SA to a is up, in a's table and in b's through snmpd
wait_for 20 bash -c "snmpwalk -v2c -c public -On -t 2 -r 1 $MASTER:1161 $SA.40 | grep -q '^\.'" ||
	not_ok "b's SA does not show through snmpd"
ctl a show crypto isakmp sa --json >"$T/sas.json"
check "a holds $N + 1 SAs in QM_IDLE" python3 -c "
import json, sys
sas = json.load(open('$T/sas.json'))
sas = sas.get('sas', sas) if isinstance(sas, dict) else sas
sys.exit(0 if sum(s['cisco_state'] == 'QM_IDLE' for s in sas) == $N + 1 else 1)"

# compare AGENT COMMUNITY OID TAG: GETNEXT walk, the three bulk walks, GETNEXT walk again
compare() {
	local agent=$1 comm=$2 oid=$3 tag=$4 r out
	local s=(-v2c -c "$comm" -On -Ox -t 10 -r 1 "$agent")
	snmpwalk "${s[@]}" "$oid" >"$T/$tag.ref1" 2>&1
	for r in 50 7 1; do
		snmpbulkwalk -Cr$r "${s[@]}" "$oid" >"$T/$tag.r$r" 2>&1
	done
	snmpwalk "${s[@]}" "$oid" >"$T/$tag.ref2" 2>&1
	echo "# $tag: $(grep -c '^\.' "$T/$tag.ref1") varbinds; ends: $(tail -n 1 "$T/$tag.ref1" | cut -c1-70)"
	out=$(python3 "$CMP" walks "$T/$tag.ref1" "$T/$tag.ref2" "$T/$tag.r50" "$T/$tag.r7" "$T/$tag.r1")
	[ -z "$out" ] || echo "$out"
	[ -z "$out" ] && [ "$(grep -c '^\.' "$T/$tag.ref1")" -gt 0 ]
}

check "full view, IKEMON-MIB: bulk walks -Cr50/-Cr7/-Cr1 = the GETNEXT walk" \
	compare $A:1161 bulktest $P a-mib
check "full view, .1.3.6.1 (system, snmpEngine, IKEMON-MIB, end of view): bulk = GETNEXT" \
	compare $A:1161 bulktest .1.3.6.1 a-all
check "the IKEMON-MIB walk has the $N + 1 rows of ikemonSaTable" \
	[ "$(grep -c "^$SA\.3\." "$T/a-mib.ref1")" = $((N + 1)) ]
check "view without two columns and a cell, IKEMON-MIB: bulk = GETNEXT" \
	compare $A:1161 bulkview $P v-mib
check "view without two columns and a cell, .1.3.6.1: bulk = GETNEXT" \
	compare $A:1161 bulkview .1.3.6.1 v-all
check "the excluded columns and cell are not in the restricted walk, their neighbours are" \
	bash -c "grep -q '^$CELL ' '$T/a-mib.r50' && ! grep -q '^$SA\.4\.\|^$SA\.20\.\|^$PEER\.3\.\|^$CELL ' '$T/v-mib.r50' && grep -q '^$SA\.5\.' '$T/v-mib.r50' && grep -q '^$SA\.21\.' '$T/v-mib.r50'"
check "through snmpd (AgentX subagent b), IKEMON-MIB: bulk = GETNEXT" \
	compare $MASTER:1161 public $P x-mib
check "through snmpd, .1.3.6.1 (snmpd's own objects around b's): bulk = GETNEXT" \
	compare $MASTER:1161 public .1.3.6.1 x-all

# bulkget NONREP MAXREP TAG AGENT COMM REFTAG OID...
bulkget() {
	local nonrep=$1 maxrep=$2 tag=$3 agent=$4 comm=$5 ref=$6
	shift 6
	snmpbulkget -v2c -c "$comm" -On -Ox -t 10 -r 1 -Cn"$nonrep" -Cr"$maxrep" "$agent" "$@" \
		>"$T/$tag.get" 2>&1
	python3 "$CMP" bulkget "$T/$ref.ref1" "$T/$ref.ref2" "$nonrep" "$maxrep" "$T/$tag.get" "$@"
}
first_sa=$(grep -m1 "^$SA\.3\." "$T/a-mib.ref1" | cut -d' ' -f1)
idx=${first_sa#"$SA.3."}
check "snmpbulkget, 2 non-repeaters, 3 repeaters x 30 (mid-table, OIDs naming no row)" \
	bulkget 2 30 b1 $A:1161 bulktest a-all $SA.3."$idx" $P.2.3 $SA.39."$idx" \
	$SA.4.$((idx + 100000)) $P.2.6.1.99
last=$(grep '^\.' "$T/a-all.ref1" | tail -n 20 | head -n 1 | cut -d' ' -f1)
check "snmpbulkget near the end of the view: endOfMibView rows as the walk says" \
	bulkget 1 30 b2 $A:1161 bulktest a-all $P.2.1 "$last" $P.3
check "snmpbulkget with the restricted view, repeaters across the excluded columns" \
	bulkget 1 33 b3 $A:1161 bulkview v-all $SA.2 $SA.3."$idx" $PEER.2 $SA.19."$idx"

finish
