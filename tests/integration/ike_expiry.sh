#!/usr/bin/env bash
# Phase-1 expiry: an IKE SA whose lifetime runs out is deleted (DELETE sent, reason
# expired), its phase-2 SAs with it, and an auto = start peer negotiates a new one.
# rekey = no: rekeying before expiry is tests/integration/rekey.sh's.
. "$(dirname "$0")/lib.sh"

A=127.10.12.1
B=127.10.12.2
write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "expiring"
auto = start
ike_lifetime = 10
rekey = no
esp = aes128-sha256
local_ts = 10.1.0.0/24
remote_ts = 10.2.0.0/24
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "expiring"
auto = add
ike_lifetime = 10
rekey = no
esp = aes128-sha256
local_ts = 10.2.0.0/24
remote_ts = 10.1.0.0/24
EOF2
start b
start a
check "established with a 10 s IKE lifetime" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['transform']['lifetime_s']==10 for s in sas)"
check "after 10 s conn-id 1001 is deleted: expired (or by the peer's DELETE when it expired first)" wait_for 15 sa_is a "any(s['conn_id']==1001 and s['delete_reason'] in ('expired','deleted-by-peer') for s in sas)"
expired_somewhere() { sa_is a "any(s['conn_id']==1001 and s['delete_reason']=='expired' for s in sas)" || sa_is b "any(s['conn_id']==1001 and s['delete_reason']=='expired' for s in sas)"; }
check "one side deleted it for its lifetime (reason expired), not for anything else" expired_somewhere
check "its phase-2 SA went with it" bash -c "$IKEMONCTL -s $T/a.sock show crypto ipsec sa --json | python3 -c \"import json,sys; cs=json.load(sys.stdin)['children']; sys.exit(0 if all(c['state']=='DELETED' for c in cs if c['conn_id']==1001) else 1)\""
check "auto = start negotiates a new IKE SA with its phase-2 SA" wait_for 15 bash -c "$IKEMONCTL -s $T/a.sock show ikemon peers | grep -Eq '^b .* up '"
finish
