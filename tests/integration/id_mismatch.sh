#!/usr/bin/env bash
# An identity the responder does not expect: it refuses with INVALID-ID-INFORMATION
# (encrypted, authenticated), and both sides fail the SA with id-mismatch.
. "$(dirname "$0")/lib.sh"

A=127.10.6.1
B=127.10.6.2
write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "same-key"
local_id = gw-a.example.net
auto = start
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "same-key"
remote_id = gw-x.example.net
auto = add
EOF2
start b
start a
check "b refuses a's identity: id-mismatch, refused by us" wait_for 10 sa_is b "any(s['delete_reason']=='id-mismatch' and 'refused by us' in s['cause_detail'] and 'gw-a.example.net' in s['cause_detail'] for s in sas)"
check "a learns it from b's authenticated notify: id-mismatch, refused by peer" wait_for 10 sa_is a "any(s['delete_reason']=='id-mismatch' and 'INVALID-ID-INFORMATION' in s['cause_detail'] for s in sas)"
check "a failed in MM_KEY_EXCH, not by a timeout (no retransmission needed)" sa_is a "sas[0]['counters']['retransmits']==0"
check "a sent its configured FQDN identity" grep -q "peer sent gw-a.example.net" <(ctl b show crypto isakmp sa --json)
finish
