#!/usr/bin/env bash
# Aggressive Mode (RFC 2409 5.4) between ikemonds: both roles, QM_IDLE and phase 2 after
# three messages; a wrong key (the initiator cannot verify HASH_R: key-mismatch at
# AG_INIT_EXCH, alarms on both sides); a responder that does not allow Aggressive Mode
# (NO-PROPOSAL-CHOSEN: "aggressive mode refused by the peer"); and two initiators on one
# subnet whose identities pick their own [peer] (and key) on the responder.
. "$(dirname "$0")/lib.sh"

N=127.10.70
has_alarm() { grep -Eq "ALARM raised #[0-9]+ peer $2 .*$3" "$T/$1.log"; }
cisco_row() { ctl "$1" show crypto isakmp sa | grep -Eq "^$2 +$3 +$4 "; }

# ---- a <-> b: a initiates Aggressive Mode, b answers; then b initiates, a answers
write_conf a $N.1 <<EOF2
[peer b]
remote = $N.2
psk = "aggr-secret-ab"
exchange = aggressive
aggressive = yes
auto = start
local_ts = 10.170.1.0/24
remote_ts = 10.170.2.0/24
EOF2
write_conf b $N.2 <<EOF2
[peer a]
remote = $N.1
psk = "aggr-secret-ab"
exchange = aggressive
aggressive = yes
auto = add
local_ts = 10.170.2.0/24
remote_ts = 10.170.1.0/24
EOF2
start b
start a
check "a (initiator) reaches QM_IDLE by Aggressive Mode" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['role']=='initiator' for s in sas)"
check "b (responder) reaches QM_IDLE by Aggressive Mode" wait_for 10 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['role']=='responder' for s in sas)"
check "show crypto isakmp sa: dst = responder, src = initiator, QM_IDLE" cisco_row a $N.2 $N.1 QM_IDLE
check "phase 2 under the Aggressive Mode SA is installed" wait_for 10 bash -c "\"$IKEMONCTL\" -s $T/a.sock show crypto ipsec sa | grep -q 'Status: ACTIVE'"
check "b logs the warning for aggressive = yes" grep -q "peer a: aggressive = yes: Aggressive Mode answers expose a hash" "$T/b.log"
check "the state path was AG_NO_STATE -> AG_INIT_EXCH -> AG_AUTH -> QM_IDLE (b)" bash -c "grep -q 'AG_NO_STATE -> AG_INIT_EXCH' $T/b.log && grep -q 'AG_INIT_EXCH -> AG_AUTH' $T/b.log && grep -q 'AG_AUTH -> QM_IDLE' $T/b.log"
check "the state path was AG_INIT_EXCH -> AG_AUTH -> QM_IDLE (a)" bash -c "grep -q 'AG_INIT_EXCH -> AG_AUTH' $T/a.log && grep -q 'AG_AUTH -> QM_IDLE' $T/a.log"
stop a
stop b
# the other way round: b initiates, a answers
sed -i 's/^auto = start/auto = add/' "$T/a.conf"
sed -i 's/^auto = add/auto = start/' "$T/b.conf"
start a
start b
check "b (initiator now) reaches QM_IDLE by Aggressive Mode" wait_for 10 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['role']=='initiator' for s in sas)"
check "a answered it as responder" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['role']=='responder' for s in sas)"
check "show crypto isakmp sa on a: dst a, src b" cisco_row a $N.1 $N.2 QM_IDLE
stop a
stop b

# ---- c -> d with another key: key-mismatch at AG_INIT_EXCH on both sides, alarms
SNMP_CONF="listen = udp:$N.3:1161
rocommunity = ikemon-test 127.0.0.0/8
persistent_dir = $T/snmp-c" write_conf c $N.3 <<EOF2
[peer d]
remote = $N.4
psk = "key-on-c"
exchange = aggressive
auto = start
[http]
listen = $N.3:9731
EOF2
write_conf d $N.4 <<EOF2
[peer c]
remote = $N.3
psk = "key-on-d"
aggressive = yes
EOF2
start d
start c
check "c waits at AG_INIT_EXCH with cause key-mismatch (HASH_R)" wait_for 10 sa_is c "any(s['cisco_state']=='AG_INIT_EXCH' and s['last_cause']=='key-mismatch' and 'HASH_R' in s['cause_detail'] for s in sas)"
check "show crypto isakmp sa prints AG_INIT_EXCH" wait_for 5 cisco_row c $N.4 $N.3 AG_INIT_EXCH
check "d waits at AG_INIT_EXCH (sent AM2, no AM3)" wait_for 10 sa_is d "any(s['cisco_state']=='AG_INIT_EXCH' for s in sas)"
check "c: alarm at AG_INIT_EXCH, pre-shared key mismatch" wait_for 10 has_alarm c d "AG_INIT_EXCH for [0-9]+ s on conn-id [0-9]+: pre-shared key mismatch"
check "d: alarm at AG_INIT_EXCH, pre-shared key mismatch (no AM3)" wait_for 10 has_alarm d c "AG_INIT_EXCH for [0-9]+ s on conn-id [0-9]+: pre-shared key mismatch: no AM3 after our AM2"
check "metrics: ikemon_peer_state of d is AG_INIT_EXCH" wait_for 5 bash -c "curl -sf --max-time 2 http://$N.3:9731/metrics | grep -Eq '^ikemon_peer_state\\{peer=\"d\",state=\"AG_INIT_EXCH\"\\} 1\$'"
# IKEMON-MIB: ikemonSaMode (ikemonSaEntry 3) aggressive(4), ikemonSaState (24) agInitExch(6)
SA_COLS=.1.3.6.1.4.1.8072.9999.9999.500.2.5.1
if command -v snmpwalk >/dev/null 2>&1; then
	snmp_col() { snmpwalk -v2c -c ikemon-test -t 2 -r 1 -On -OQ $N.3:1161 "$SA_COLS.$1" 2>/dev/null; }
	check "MIB: ikemonSaMode of c's SA is aggressive(4)" wait_for 5 bash -c "$(declare -f snmp_col); N=$N SA_COLS=$SA_COLS; snmp_col 3 | grep -q '= 4\$'"
	check "MIB: ikemonSaState of c's SA is agInitExch(6)" wait_for 5 bash -c "$(declare -f snmp_col); N=$N SA_COLS=$SA_COLS; snmp_col 24 | grep -q '= 6\$'"
else
	echo "# SKIPPED the MIB checks: snmpwalk not found (Debian package snmp)"
fi
check "c fails the SA with key-mismatch" wait_for 10 sa_is c "any(s['delete_reason']=='key-mismatch' for s in sas)"
check "no key in the logs" bash -c "! grep -q -e key-on-c -e key-on-d -e aggr-secret $T/*.log"
stop c
stop d

# ---- e -> f, f does not allow Aggressive Mode (the default)
write_conf e $N.5 <<EOF2
[peer f]
remote = $N.6
psk = "ef-secret"
exchange = aggressive
auto = start
EOF2
write_conf f $N.6 <<EOF2
[peer e]
remote = $N.5
psk = "ef-secret"
EOF2
start f
start e
check "e: the SA fails, aggressive mode refused by the peer" wait_for 10 sa_is e "any(s['delete_reason']=='no-proposal-chosen' and 'aggressive mode refused by the peer' in s['cause_detail'] for s in sas)"
check "f refused it: aggressive = no" wait_for 5 grep -q "Aggressive Mode refused (aggressive = no)" "$T/f.log"
check "f never sent AM2 (no SA of f past AG_NO_STATE)" bash -c "! grep -q 'AG_NO_STATE -> AG_INIT_EXCH' $T/f.log"
check "f without aggressive = yes logs no warning" bash -c "! grep -q 'aggressive = yes' $T/f.log"
stop e
stop f

# ---- r answers two initiators of 127.10.70.0/24; each IDii picks its own peer and key
write_conf r $N.10 <<EOF2
[peer road1]
remote = $N.0/24
remote_id = road1.example
psk = "road1-key"
aggressive = yes
[peer road2]
remote = $N.0/24
remote_id = road2.example
psk = "road2-key"
aggressive = yes
EOF2
write_conf i1 $N.11 <<EOF2
[peer r]
remote = $N.10
local_id = road1.example
remote_id = $N.10
psk = "road1-key"
exchange = aggressive
auto = start
EOF2
write_conf i2 $N.12 <<EOF2
[peer r]
remote = $N.10
local_id = road2.example
remote_id = $N.10
psk = "road2-key"
exchange = aggressive
auto = start
EOF2
start r
start i1
start i2
check "i1 reaches QM_IDLE" wait_for 10 sa_is i1 "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "i2 reaches QM_IDLE" wait_for 10 sa_is i2 "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "r chose road1 for $N.11" wait_for 5 sa_is r "any(s['peer']=='road1' and s['cisco_state']=='QM_IDLE' and s['remote']['address']=='$N.11' for s in sas)"
check "r chose road2 for $N.12" wait_for 5 sa_is r "any(s['peer']=='road2' and s['cisco_state']=='QM_IDLE' and s['remote']['address']=='$N.12' for s in sas)"
finish
