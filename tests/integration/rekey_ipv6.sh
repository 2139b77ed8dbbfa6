#!/usr/bin/env bash
# Rekeying over IPv6: two ikemonds on [::1] (a on port 5300, b on 5301), identities of
# type IPV6_ADDR, selectors fd00:ad:1::/64 and fd00:ad:2::/64; the lifetimes of rekey.sh
# (IKE 20 s, IPsec 10 s, rekey_margin 5 s clamped to 3.3 s, rekey_fuzz 50 %).  a
# (auto = start) rekeys phase 2 and then phase 1 while the status of the peer at both
# ends, sampled every 0.2 s, never leaves "up"; the old SAs are deleted with cause
# replaced at both ends, the new SAs are IPv6 ones at ports 5300/5301 with IPv6
# selectors, and the installed SPIs pair up.  About 25 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rekey_lib.sh"

[ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1' ||
	skip "no IPv6 on loopback here"

NET_A=fd00:ad:1::/64
NET_B=fd00:ad:2::/64
rekey_peer_conf a "[::1]:5300" b "[::1]:5301" start "rekey-v6-secret" "$NET_A" "$NET_B"
rekey_peer_conf b "[::1]:5301" a "[::1]:5300" add "rekey-v6-secret" "$NET_B" "$NET_A"
start b
start a

check "a and b up over IPv6 (QM_IDLE, phase-2 SA installed)" wait_for 10 peer_is a "p['status']=='up'"
check "b sees a up" wait_for 5 peer_is b "p['status']=='up'"
check "the SA is between [::1]:5300 and [::1]:5301, identities IPV6_ADDR (5)" sa_is b \
	"sas[0]['remote']=={'address':'::1','port':5300} and sas[0]['local']['port']==5301 and sas[0]['remote_id']['type']==5"
check "the phase-2 SA's selectors are IPv6 ($NET_A, $NET_B)" c_is a \
	"[(c['local_ts']['family'], c['local_ts']['from'], c['remote_ts']['from']) for c in cs if c['state']=='INSTALLED']==[(6, 'fd00:ad:1::', 'fd00:ad:2::')]"
first_spi=$(c_q a "[c['spi_in'] for c in cs if c['state']=='INSTALLED'][0]")
rekey_sample a b &
PID[sample_a]=$!
rekey_sample b a &
PID[sample_b]=$!

check "a rekeys phase 2 (within 12 s)" wait_for 12 peer_is a "p['rekeys']['ipsec']>=1"
check "a rekeys phase 1 (within 25 s)" wait_for 25 peer_is a "p['rekeys']['ike']>=1"
check "phase 2 up in the new ISAKMP SA" wait_for 5 c_is a \
	"any(c['state']=='INSTALLED' and c['conn_id']==$(sa_query a "max(s['conn_id'] for s in sas)") for c in cs)"
touch "$T/stop-sampling"
wait "${PID[sample_a]}" "${PID[sample_b]}" 2>/dev/null
unset "PID[sample_a]" "PID[sample_b]"
check "a's status of b, sampled every 0.2 s (>= 40 times), never left up" rekey_samples_up a 40
check "b's status of a, sampled every 0.2 s (>= 40 times), never left up" rekey_samples_up b 40
echo "# a: $(peer_q a "p['rekeys']") b: $(peer_q b "p['rekeys']")"
check "a counted the rekeys of both phases and no failure" peer_is a \
	"p['rekeys']['ike']>=1 and p['rekeys']['ipsec']>=1 and p['rekeys']['failed']==0"
check "b counted them too" peer_is b "p['rekeys']['ike']>=1 and p['rekeys']['ipsec']>=1 and p['rekeys']['failed']==0"
for n in a b; do
	check "$n: the old ISAKMP SA deleted with cause replaced, none for another reason" sa_is $n \
		"any(s['delete_reason']=='replaced' for s in sas) and all(s['delete_reason'] in ('none','replaced') for s in sas)"
	check "$n: old phase-2 SAs deleted with cause replaced" c_is $n "any(c['delete_reason']=='replaced' for c in cs)"
	check "$n: every SA over IPv6 ([::1]), every selector IPv6" sa_is $n \
		"all(s['remote']['address']=='::1' for s in sas) and $(c_q $n "all(c['local_ts']['family']==6 and c['remote_ts']['family']==6 for c in cs)")"
done
check "b never saw INITIAL-CONTACT after the first SA" sa_is b \
	"g['initial_contact_deleted']==0 and not any(s['initial_contact'] for s in sas[1:])"
check "a: one phase-2 SA installed, with a new SPI" c_is a \
	"[c['spi_in'] for c in cs if c['state']=='INSTALLED']!=[$first_spi] and len([c for c in cs if c['state']=='INSTALLED'])==1"
check "the installed SPIs pair up: a's inbound is b's outbound (asked until a and b agree, 10 s at most)" \
	wait_for 10 spis_pair
finish
