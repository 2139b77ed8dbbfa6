#!/usr/bin/env bash
# Quick Mode between two ikemonds on loopback: with and without PFS, subnet and range
# selectors, several Quick Modes on one IKE SA, SPIs that mirror each other; a proxy-
# identity, a transform and a PFS mismatch each failing with their own cause while the
# IKE SA stays at QM_IDLE; expiry of phase-2 SAs by a short lifetime, and auto = start
# bringing them back; the peer's status.
. "$(dirname "$0")/lib.sh"

A=127.10.7.1
B=127.10.7.2
peer_a() { # ESP LOCAL_TS REMOTE_TS [extra]
	write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "qm-secret"
auto = start
esp = $1
local_ts = $2
remote_ts = $3
${4:-}
EOF2
}
peer_b() {
	write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "qm-secret"
auto = add
esp = $1
local_ts = $2
remote_ts = $3
${4:-}
EOF2
}
# child JSON of NAME: `cs` is the list of phase-2 records
cq() {
	ctl "$1" show crypto ipsec sa --json |
		python3 -c "import json,sys; cs=json.load(sys.stdin)['children']; print($2)"
}
c_is() { [ "$(cq "$1" "$2")" = True ]; }
installed() { c_is "$1" "len([c for c in cs if c['state']=='INSTALLED'])==$2"; }

# 1. PFS, two remote subnets and a range: three Quick Modes on one IKE SA
peer_a aes256-sha256-modp2048 "10.1.0.0/24" "10.2.0.0/24, 10.3.0.0/16, 10.9.0.1-10.9.0.20"
peer_b aes256-sha256-modp2048 "10.2.0.0/24, 10.3.0.0/16, 10.9.0.1-10.9.0.20" "10.1.0.0/24"
start b
start a
check "a installs three phase-2 SAs on one IKE SA" wait_for 10 installed a 3
check "b installs three phase-2 SAs" wait_for 10 installed b 3
check "all three under conn-id 1001, indexes 1-3" c_is a "sorted((c['conn_id'], c['index']) for c in cs)==[(1001,1),(1001,2),(1001,3)]"
check "each Quick Mode had its own message ID" c_is a "len(set(c['msgid'] for c in cs))==3"
check "a's inbound SPIs are b's outbound ones and back" c_is a "sorted(c['spi_in'] for c in cs)==$(cq b "sorted(c['spi_out'] for c in cs)")"
check "b's inbound SPIs are a's outbound ones" c_is b "sorted(c['spi_in'] for c in cs)==$(cq a "sorted(c['spi_out'] for c in cs)")"
check "PFS group 14 on every phase-2 SA" c_is a "all(c['transform']['group']==14 for c in cs)"
check "the range selector came through as a range" c_is b "any('10.9.0.1-10.9.0.20' in json.dumps(c['remote_ts']) or '10.9.0.1-10.9.0.20' in json.dumps(c['local_ts']) for c in cs)"
check "show ikemon peers: b is up with 3/3 children" bash -c "$IKEMONCTL -s $T/a.sock show ikemon peers | grep -Eq '^b +$B +start +up +1001 +QM_IDLE +3/3'"
check "show crypto ipsec sa prints the subnet idents" bash -c "$IKEMONCTL -s $T/a.sock show crypto ipsec sa | grep -q 'remote ident (addr/mask/prot/port): (10.3.0.0/255.255.0.0/0/0)'"
# keys are 16..64 bytes: no view may carry a hex run of 32 digits or more (SPIs have 8,
# cookies 16)
check "no key material in any view" bash -c "! { $IKEMONCTL -s $T/a.sock show crypto ipsec sa --json; $IKEMONCTL -s $T/a.sock show crypto isakmp sa --json; $IKEMONCTL -s $T/a.sock show crypto ipsec sa; } | grep -Eqi '[0-9a-f]{32}'"
stop a
stop b

# 2. no PFS, transport mode, host selectors (the default)
peer_a aes128-sha1 "" "" "mode = transport"
sed -i '/^local_ts = $/d; /^remote_ts = $/d' "$T/a.conf"
peer_b aes128-sha1 "" "" "mode = transport"
sed -i '/^local_ts = $/d; /^remote_ts = $/d' "$T/b.conf"
start b
start a
check "transport mode between the hosts, no PFS" wait_for 10 c_is a "len(cs)==1 and cs[0]['state']=='INSTALLED' and cs[0]['transform']['group']==0 and cs[0]['transform']['mode']==2"
check "host selectors default to the two addresses" c_is a "'$A' in json.dumps(cs[0]['local_ts']) and '$B' in json.dumps(cs[0]['remote_ts'])"
stop a
stop b

# 3. proxy-identity mismatch: the IKE SA stays at QM_IDLE, the child fails
peer_a aes128-sha256 "10.1.0.0/24" "10.2.0.0/24"
peer_b aes128-sha256 "10.2.0.0/24" "10.1.1.0/24"
start b
start a
check "proxy-id: a's child fails with proxy-id-mismatch, refused by peer" wait_for 10 c_is a "any(c['last_cause']=='proxy-id-mismatch' and 'refused by peer' in c['cause_detail'] for c in cs)"
check "proxy-id: b refused it (refused by us)" wait_for 5 c_is b "any(c['last_cause']=='proxy-id-mismatch' and 'refused by us' in c['cause_detail'] for c in cs)"
check "proxy-id: the IKE SA stays at QM_IDLE" sa_is a "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "proxy-id: the peer is not up (0/1 children)" bash -c "$IKEMONCTL -s $T/a.sock show ikemon peers | grep -Eq '^b .* down .*QM_IDLE +0/1'"
stop a
stop b

# 4. transform mismatch
peer_a aes128-sha256 "10.1.0.0/24" "10.2.0.0/24"
peer_b 3des-sha1 "10.2.0.0/24" "10.1.0.0/24"
start b
start a
check "transform: a's child fails with p2-no-proposal-chosen" wait_for 10 c_is a "any(c['last_cause']=='p2-no-proposal-chosen' for c in cs)"
check "transform: b says it refused" wait_for 5 c_is b "any(c['last_cause']=='p2-no-proposal-chosen' and 'refused by us' in c['cause_detail'] for c in cs)"
check "transform: the IKE SA stays at QM_IDLE" sa_is b "any(s['cisco_state']=='QM_IDLE' for s in sas)"
stop a
stop b

# 5. PFS mismatch: a wants PFS, b does not
peer_a aes128-sha256-modp2048 "10.1.0.0/24" "10.2.0.0/24"
peer_b aes128-sha256 "10.2.0.0/24" "10.1.0.0/24"
start b
start a
check "PFS: b refuses with pfs-mismatch" wait_for 10 c_is b "any(c['last_cause']=='pfs-mismatch' for c in cs)"
check "PFS: a's child fails (NO-PROPOSAL-CHOSEN from b)" wait_for 5 c_is a "any(c['state']=='DELETED' and c['last_cause']=='p2-no-proposal-chosen' for c in cs)"
stop a
stop b

# 6. expiry: 10 s phase-2 lifetime; DELETE sent, b follows; auto = start brings it back
# (rekey = no: rekeying is tests/integration/rekey.sh's)
peer_a aes128-sha256 "10.1.0.0/24" "10.2.0.0/24" "ipsec_lifetime = 10
rekey = no"
peer_b aes128-sha256 "10.2.0.0/24" "10.1.0.0/24" "ipsec_lifetime = 10
rekey = no"
start b
start a
check "expiry: installed first" wait_for 10 installed a 1
first=$(cq a "cs[0]['spi_in']")
# both ends agree on 10 s and both time it: whichever expires first sends the DELETE
check "expiry: after 10 s a's phase-2 SA is gone (expired, or by b's DELETE)" wait_for 15 c_is a "any(c['spi_in']==$first and c['delete_reason'] in ('expired','deleted-by-peer') for c in cs)"
check "expiry: b's side is gone too" wait_for 5 c_is b "any(c['delete_reason'] in ('expired','deleted-by-peer') for c in cs)"
check "expiry: one side deleted it for its lifetime" bash -c "c_a=\$($IKEMONCTL -s $T/a.sock show crypto ipsec sa --json); c_b=\$($IKEMONCTL -s $T/b.sock show crypto ipsec sa --json); echo \"\$c_a\$c_b\" | grep -q '\"delete_reason\":\"expired\"'"
check "expiry: auto = start installs a new one" wait_for 10 c_is a "any(c['state']=='INSTALLED' and c['spi_in']!=$first for c in cs)"
check "expiry: the IKE SA was never touched" sa_is a "len([s for s in sas if s['cisco_state']=='QM_IDLE'])==1 and sas[0]['conn_id']==1001"
finish
