#!/usr/bin/env bash
# A peer that never answers: MM1 is retransmitted with back-off up to the try limit,
# then the SA fails with peer-silent; auto = start tries again.
. "$(dirname "$0")/lib.sh"

A=127.10.4.1
B=127.10.4.2 # nothing listens there
RETRANSMIT_TRIES=2 write_conf a $A <<EOF2
[peer quiet]
remote = $B
psk = "k"
auto = start
EOF2
start a
check "a waits in MM_NO_STATE and suspects a silent peer" wait_for 5 sa_is a "sas[0]['cisco_state']=='MM_NO_STATE' and sas[0]['last_cause']=='peer-silent'"
check "a retransmits MM1 twice, then fails with peer-silent after MM1" wait_for 10 sa_is a "sas[0]['delete_reason']=='peer-silent' and sas[0]['counters']['retransmits']==2 and 'MM1' in sas[0]['cause_detail']"
check "MM1 sent three times in all" sa_is a "sas[0]['counters']['msgs_out']==3"
# (conn-id 1001's lines only: auto = start may have begun again by now)
check "back-off doubles: 0.2 + 0.4 + 0.8 s before giving up" bash -c "grep -c 'conn-id 1001 .*retransmitting MM1' $T/a.log | grep -qx 2"
check "auto = start negotiates again with a new conn-id" wait_for 10 sa_is a "any(s['conn_id']>1001 for s in sas)"
finish
