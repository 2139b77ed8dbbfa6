#!/usr/bin/env bash
# Proposals that share nothing: NO-PROPOSAL-CHOSEN, refused by the responder, seen by both.
. "$(dirname "$0")/lib.sh"

A=127.10.3.1
B=127.10.3.2
write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "same-key"
ike = aes128-sha256-modp2048
auto = start
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "same-key"
ike = 3des-sha1-modp1024, aes256-sha512-ecp384
auto = add
EOF2
start b
start a
check "a: no-proposal-chosen, refused by the peer" wait_for 10 sa_is a "any(s['last_cause']=='no-proposal-chosen' and 'refused by peer' in s['cause_detail'] for s in sas)"
check "b: no-proposal-chosen, refused by us" wait_for 10 sa_is b "any(s['last_cause']=='no-proposal-chosen' and 'refused by us' in s['cause_detail'] for s in sas)"
check "a's SA is deleted in MM_NO_STATE" sa_is a "sas[0]['status']=='ACTIVE (deleted)' and sas[0]['cisco_state']=='MM_NO_STATE'"
check "no SA reached QM_IDLE" sa_is a "g['sas_established']==0"
finish
