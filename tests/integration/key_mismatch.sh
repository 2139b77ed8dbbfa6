#!/usr/bin/env bash
# A wrong pre-shared key: the SA stays short of QM_IDLE (MM_KEY_EXCH) with the
# key-mismatch cause on both sides, then fails with it.
. "$(dirname "$0")/lib.sh"

A=127.10.2.1
B=127.10.2.2
write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "key-on-a"
auto = start
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "key-on-b"
auto = add
EOF2
start b
start a
check "a stalls in MM_KEY_EXCH with cause key-mismatch" wait_for 10 sa_is a "any(s['cisco_state']=='MM_KEY_EXCH' and s['last_cause']=='key-mismatch' for s in sas)"
check "b stalls in MM_KEY_EXCH with cause key-mismatch" wait_for 10 sa_is b "any(s['cisco_state']=='MM_KEY_EXCH' and s['last_cause']=='key-mismatch' for s in sas)"
check "b counted undecryptable MM5s" sa_is b "sas[0]['counters']['undecryptable']>=1"
check "neither side reaches QM_IDLE" sa_is a "all(s['cisco_state']!='QM_IDLE' for s in sas)"
check "a retransmitted MM5" wait_for 5 sa_is a "sas[0]['counters']['retransmits']>=1"
check "a fails the SA with key-mismatch after its retries" wait_for 10 sa_is a "sas[0]['delete_reason']=='key-mismatch'"
check "b fails the SA with key-mismatch" wait_for 10 sa_is b "sas[0]['delete_reason']=='key-mismatch'"
check "the cause is counted" sa_is a "g['causes']['key-mismatch']>=1"
check "the log gives the operator's hint" grep -q "the pre-shared keys differ; check both ends" "$T/a.log"
check "no key in the logs" bash -c "! grep -q -e key-on-a -e key-on-b $T/a.log $T/b.log"
finish
