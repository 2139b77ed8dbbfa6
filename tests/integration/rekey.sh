#!/usr/bin/env bash
# Rekeying between two ikemonds on loopback, with short lifetimes: IKE 20 s, IPsec 10 s,
# rekey_margin 5 s (clamped to a third of the 10 s), rekey_fuzz 50 %.
#  1. a (auto = start) rekeys phase 2 about every 6 s and phase 1 about every 15 s: twice
#     phase 1 and several times phase 2 while the status of the peer at both ends,
#     sampled every 0.2 s, never leaves "up"; the old SAs are deleted with cause replaced
#     at both ends, show crypto ipsec sa shows one flow with new SPIs, the counters
#     survive and count the rekeys (JSON, metrics, promtool check metrics, IKEMON-MIB),
#     and b never sees INITIAL-CONTACT after the first SA.
#  2. b reloaded with another pre-shared key keeps its SAs; a's next phase-1 rekey
#     fails: the peer's alarm says key-mismatch while it is still up, the failure is
#     counted (JSON, IKEMON-MIB), and the old SA then runs out (expired).
# About 55 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rekey_lib.sh"

A=127.10.90.1
B=127.10.90.2
HTTP=$A:9790
peer_conf() { # NAME ADDR PEER PEER_ADDR AUTO PSK [extra]
	rekey_peer_conf "$1" "$2" "$3" "$4" "$5" "$6" "10.$((${2##*.} + 10)).0.0/24" \
		"10.$((${4##*.} + 10)).0.0/24" "${7:-}"
}
AGENT=$A:1190
SNMP_CONF="listen = udp:$AGENT
rocommunity = rekey-test 127.0.0.0/8
persistent_dir = $T/snmp-a" peer_conf a $A b $B start "rekey-secret" "alarm_holddown = 0
[http]
listen = $HTTP"
peer_conf b $B a $A add "rekey-secret" "alarm_holddown = 0"
start b
start a

alarm_is() { # NAME PYEXPR over al, the active alarms
	[ "$(ctl "$1" show alarms --json | python3 -c "import json,sys; al=json.load(sys.stdin)['alarms']; print($2)")" = "True" ]
}

check "a and b up (QM_IDLE, phase-2 SA installed)" wait_for 10 peer_is a "p['status']=='up'"
check "b sees a up" wait_for 5 peer_is b "p['status']=='up'"
first_spi=$(c_q a "[c['spi_in'] for c in cs if c['state']=='INSTALLED'][0]")
rekey_sample a b &
PID[sample_a]=$!
rekey_sample b a &
PID[sample_b]=$!
t0=$(date +%s.%N)

# ---- 1. rekeys of both phases
check "a rekeys phase 1 twice (within 40 s)" wait_for 40 peer_is a "p['rekeys']['ike']>=2"
t1=$(date +%s.%N)
touch "$T/stop-sampling"
wait "${PID[sample_a]}" "${PID[sample_b]}" 2>/dev/null
unset "PID[sample_a]" "PID[sample_b]"
echo "# two phase-1 rekeys after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
check "a's status of b, sampled every 0.2 s (>= 60 times), never left up" rekey_samples_up a 60
check "b's status of a, sampled every 0.2 s (>= 60 times), never left up" rekey_samples_up b 60
echo "# a: $(peer_q a "p['rekeys']") b: $(peer_q b "p['rekeys']")"
check "a counted >= 3 phase-2 rekeys and no failure" peer_is a "p['rekeys']['ipsec']>=3 and p['rekeys']['failed']==0"
check "b counted the same rekeys (>= 2 phase 1, >= 3 phase 2)" peer_is b "p['rekeys']['ike']>=2 and p['rekeys']['ipsec']>=3 and p['rekeys']['failed']==0"
check "a: the old ISAKMP SAs deleted with cause replaced" sa_is a "len([s for s in sas if s['delete_reason']=='replaced'])>=2"
check "b: the old ISAKMP SAs deleted with cause replaced" sa_is b "len([s for s in sas if s['delete_reason']=='replaced'])>=2"
check "a: no SA deleted for another reason" sa_is a "all(s['delete_reason'] in ('none','replaced') for s in sas)"
check "b: no SA deleted for another reason, no INITIAL-CONTACT after the first SA" sa_is b \
	"all(s['delete_reason'] in ('none','replaced') for s in sas) and g['initial_contact_deleted']==0 and not any(s['initial_contact'] for s in sas[1:])"
check "a: --json links them: each SA replaces the one before, which names it replaced_by" sa_is a \
	"all(s['replaces']==p['conn_id'] and p['replaced_by']==s['conn_id'] for p, s in zip(sas, sas[1:]))"
check "a: one live ISAKMP SA at QM_IDLE, made by a rekey" sa_is a "[s['cisco_state'] for s in sas if s['delete_reason']=='none']==['QM_IDLE'] and sas[-1]['conn_id']>=1003"
check "a: the old phase-2 SAs deleted with cause replaced (>= 3)" c_is a "len([c for c in cs if c['delete_reason']=='replaced'])>=3"
check "a: one phase-2 SA installed, with a new SPI" c_is a "[c['spi_in'] for c in cs if c['state']=='INSTALLED']!=[$first_spi] and len([c for c in cs if c['state']=='INSTALLED'])==1"
check "the installed SPIs pair up: a's inbound is b's outbound (asked until a and b agree, 10 s at most)" \
	wait_for 10 spis_pair
new_out=$(c_q a "[c['spi_out'] for c in cs if c['state']=='INSTALLED'][0]")
check "show crypto ipsec sa: the flow's current outbound spi is the new one" bash -c \
	"$IKEMONCTL -s $T/a.sock show crypto ipsec sa | grep -q 'current outbound spi: 0x$(printf '%X' "$new_out")('"
check "log: a started the phase-1 and phase-2 rekeys" bash -c "grep -q 'rekeying phase 1' '$T/a.log' && grep -q 'rekeying phase-2 SA' '$T/a.log'"
if command -v curl >/dev/null; then
	m=$(curl -sf --max-time 5 "http://$HTTP/metrics")
	ike=$(printf '%s\n' "$m" | sed -n 's/^ikemon_rekeys_total{peer="b",phase="ike"} //p')
	ipsec=$(printf '%s\n' "$m" | sed -n 's/^ikemon_rekeys_total{peer="b",phase="ipsec"} //p')
	check "metric ikemon_rekeys_total: ike $ike, ipsec $ipsec" \
		awk -v a="${ike:-0}" -v b="${ipsec:-0}" 'BEGIN { exit !(a >= 2 && b >= 3) }'
	check "metric ikemon_rekey_failures_total{peer=\"b\"} 0" bash -c "printf '%s\n' \"\$0\" | grep -qx 'ikemon_rekey_failures_total{peer=\"b\"} 0'" "$m"
	est=$(printf '%s\n' "$m" | sed -n 's/^ikemon_ike_negotiations_total{peer="b",result="established"} //p')
	check "the peer's counters survived the rekeys: $est phase-1 SAs established" \
		awk -v n="${est:-0}" 'BEGIN { exit !(n >= 3) }'
	if command -v promtool >/dev/null 2>&1; then
		check "promtool check metrics finds nothing to say of the scrape" \
			bash -c "printf '%s\n' \"\$0\" | promtool check metrics >'$T/promtool.out' 2>&1 && ! grep -q . '$T/promtool.out'" "$m"
	else
		echo "# no promtool: the exposition check is left out"
	fi
else
	echo "# no curl: the metric checks are left out"
fi

# IKEMON-MIB: ikemonPeerIkeRekeys, ikemonPeerIpsecRekeys, ikemonPeerRekeyFailures (25-27)
# of peer "b" (index: length 1, "b" = 98)
if command -v snmpget >/dev/null 2>&1; then
	col=.1.3.6.1.4.1.8072.9999.9999.500.2.4.1
	mib=$(snmpget -v2c -c rekey-test -t 5 -r 1 -On -Oqv "$AGENT" "$col.25.1.98" "$col.26.1.98" "$col.27.1.98" 2>&1 | tr '\n' ' ')
	echo "# IKEMON-MIB ikemonPeerEntry 25 26 27 of b: $mib"
	check "IKEMON-MIB: ikemonPeerIkeRekeys >= 2, ikemonPeerIpsecRekeys >= 3, ikemonPeerRekeyFailures 0" \
		awk -v m="$mib" 'BEGIN { n = split(m, v, " "); exit !(n == 3 && v[1] >= 2 && v[2] >= 3 && v[3] == 0) }'
else
	echo "# no snmpget: the IKEMON-MIB check is left out"
fi

# ---- 2. a rekey that fails: b's key changes (its SAs stay)
peer_conf b $B a $A add "another-secret" "alarm_holddown = 0"
live_b=$(sa_query b "[s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE']")
check "b reloaded with another pre-shared key" ctl b reload
check "b kept its SAs (a new key applies to the next negotiation)" sa_is b "[s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE']==$live_b"
check "a's next phase-1 rekey fails: alarm with cause key-mismatch (within 20 s)" wait_for 20 alarm_is a \
	"any(x['peer']=='b' and x['cause']=='key-mismatch' for x in al)"
check "... raised while a still has b up through the old SA" peer_is a "p['status']=='up' and p['rekeys']['failed']>=1"
check "a counts the failed rekey" peer_is a "p['rekeys']['failed']>=1 and p['rekeys']['ike']>=2"
if command -v snmpget >/dev/null 2>&1; then
	failed=$(snmpget -v2c -c rekey-test -t 5 -r 1 -On -Oqv "$AGENT" "$col.27.1.98" 2>&1)
	check "IKEMON-MIB: ikemonPeerRekeyFailures of b is $failed" test "$failed" -ge 1 2>/dev/null
fi
check "the old SA then runs out (expired, or b's DELETE when b's ran out first) (within 15 s)" wait_for 15 sa_is a \
	"any(s['delete_reason'] in ('expired','deleted-by-peer') for s in sas)"
check "the alarm stays up (key-mismatch) once the peer is down" alarm_is a \
	"any(x['peer']=='b' and x['cause']=='key-mismatch' for x in al)"
finish
