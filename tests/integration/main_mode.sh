#!/usr/bin/env bash
# Two ikemonds on loopback negotiate Main Mode with either side initiating; both show
# the SA as IOS would; clear sends a DELETE the other side acts on; SIGTERM deletes too.
. "$(dirname "$0")/lib.sh"

A=127.10.1.1
B=127.10.1.2
write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "integration-secret"
ike = aes128-sha256-modp2048, aes256-sha1-ecp256
auto = start
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "integration-secret"
ike = aes256-sha1-ecp256, aes128-sha256-modp2048
auto = add
EOF2
start b
start a

check "a reaches QM_IDLE as initiator" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['role']=='initiator' for s in sas)"
check "b reaches QM_IDLE as responder" wait_for 10 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['role']=='responder' for s in sas)"

# IOS layout: dst is the responder (b), src the initiator (a), on both ends
row="^$(printf '%-15s %-15s %-15s%7d %s' $B $A QM_IDLE 1001 ACTIVE)\$"
check "a prints the IOS row dst=$B src=$A QM_IDLE 1001" grep -q "$row" <(ctl a show crypto isakmp sa)
check "b prints the IOS row dst=$B src=$A QM_IDLE 1001" grep -q "$row" <(ctl b show crypto isakmp sa)
check "both section headers are printed" test "$(ctl a show crypto isakmp sa | grep -c 'Crypto ISAKMP SA$')" = 2
check "the proposal chosen is the initiator's first that b accepts (aes128 sha256 modp2048)" \
	sa_is b "sas[0]['transform']['keylen']==128 and sas[0]['transform']['group']==14"
check "identities default to the addresses" sa_is a "sas[0]['remote_id']['value']=='$B' and sas[0]['local_id']['value']=='$A'"
check "detail view shows the SA with psk and group 14" grep -Eq "^1001 +$A +$B .*ACTIVE +aes +sha256 +psk +14 " <(ctl a show crypto isakmp sa detail)
check "no secret in any view" bash -c "! { $IKEMONCTL -s $T/a.sock show crypto isakmp sa --json; $IKEMONCTL -s $T/a.sock show crypto isakmp sa detail; cat $T/*.log; } | grep -q integration-secret"

# clear on a: DELETE reaches b, which marks its SA deleted by the peer
ctl a clear crypto isakmp 1001 >/dev/null
check "a shows 1001 as MM_NO_STATE ACTIVE (deleted)" grep -q "MM_NO_STATE       1001 ACTIVE (deleted)" <(ctl a show crypto isakmp sa)
check "b marks its SA deleted-by-peer after a's DELETE" wait_for 5 sa_is b "any(s['delete_reason']=='deleted-by-peer' and s['role']=='responder' for s in sas)"
check "a (auto = start) negotiates again after the clear" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['role']=='initiator' and s['conn_id']>1001 for s in sas)"
# initiate on a peer that is up starts nothing new
n=$(sa_query a "len(sas)")
out=$(ctl a initiate b)
check "initiate on an established peer reuses its SA ($out)" sa_is a "len(sas)==$n"

# the other direction: a answers only (reload with auto = add: a's SA goes, with a
# DELETE, since the peer's configuration changed), then b initiates to a
sed -i 's/^auto = start$/auto = add/' "$T/a.conf"
check "reload of a with auto = add" ctl a reload
check "the changed peer's SA is deleted on both sides" wait_for 5 sa_is b "not any(s['cisco_state']=='QM_IDLE' for s in sas)"
out=$(ctl b initiate a)
check "b initiate a answers with a conn-id ($out)" grep -q "conn-id 100[0-9]" <<<"$out"
check "a sees an SA with b as initiator (dst=$A src=$B)" wait_for 10 bash -c "$IKEMONCTL -s $T/a.sock show crypto isakmp sa | grep -Eq '^$A +$B +QM_IDLE +[0-9]+ ACTIVE\$'"
check "b shows it as dst=$A src=$B QM_IDLE" wait_for 10 bash -c "$IKEMONCTL -s $T/b.sock show crypto isakmp sa | grep -Eq '^$A +$B +QM_IDLE +[0-9]+ ACTIVE\$'"

check "clear of an unknown conn-id is an error" bash -c "! $IKEMONCTL -s $T/a.sock clear crypto isakmp 99999 2>/dev/null"
check "counters: a sent and received messages" sa_is a "g['msgs_in']>0 and g['msgs_out']>0 and g['sas_established']>=2"

# SIGTERM on b: it deletes its established SAs on the way out
stop b
check "SIGTERM on b sends DELETE: a's SAs from b are deleted-by-peer" wait_for 5 sa_is a "all(s['cisco_state']!='QM_IDLE' for s in sas) and any(s['delete_reason']=='deleted-by-peer' for s in sas)"
check "b logged its shutdown" grep -q "stopped" "$T/b.log"
finish
