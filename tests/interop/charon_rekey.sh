#!/bin/bash
# charon_rekey.sh - rekeying against strongSwan's charon (IKEv1 Main Mode, PSK, Quick
# Mode through kernel-libipsec, so both ends float to 4500), each in a network namespace
# of this test's own (rk-*; IPv4 10.180.0.0/16, IPv6 fd00:ad:1::/64 between them and
# selectors in fd00:ad:2::/64).
#
#  1. ikemond rekeys towards charon: ikemond (auto = start) with IKE 30 s, IPsec 15 s,
#     rekey_margin 4 s; charon with its long defaults.  ikemond rekeys phase 2 (new Quick
#     Modes, old ones deleted with cause replaced) and phase 1 (a new Main Mode, phase 2
#     made again in it, the old ISAKMP SA deleted with cause replaced); charon follows and
#     has the new SPIs installed; ikemond's status of the peer, sampled every 0.2 s,
#     never leaves up.
#  2. charon rekeys towards ikemond: charon initiates with rekey_time 12 s for its
#     CHILD_SA and 24 s for the IKE SA (in IKEv1 a reauthentication: a new Main Mode),
#     proposing lifetimes long enough that ikemond (responder, rekey at lifetime -
#     margin / 2) would not rekey first.  ikemond answers the new Quick Modes and the new
#     Main Mode (no restart seen: no INITIAL-CONTACT handling deletes the old SA), counts
#     the rekeys, and stays up throughout.
#
# Each scenario runs over an address family: REKEY_RUNS (default "1:6 2:4", about 55 s
# here: ikemond's rekeys over IPv6, charon's over IPv4) lists SCENARIO:FAMILY;
# "1:6 1:4 2:4 2:6" runs both over both (about 115 s).
# Over IPv6 the identities are of type IPV6_ADDR, the selectors fd00:ad:2::1:0/112 and
# fd00:ad:2::2:0/112 (IPV6_ADDR_SUBNET).  ikemond is started afresh for each run (its
# counters and SA list are the run's own); charon keeps running, its SAs terminated.
#
# What charon 5.9.8 does, seen here: see the "# charon:" lines the test prints.
IOP_TAG="rk-$$" # namespaces rk-PID-us, rk-PID-them
. "$(dirname "$0")/lib.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
RUNS=${REKEY_RUNS:-1:6 2:4}
iop_init $((20 + 50 * $(wc -w <<<"$RUNS")))
command -v python3 >/dev/null 2>&1 || iop_skip "needs python3"

PSK="rekey-interop-secret"
US4=10.180.0.1
THEM4=10.180.0.2
US6=fd00:ad:1::1
THEM6=fd00:ad:1::2
iop_pair "$US4" "$THEM4"
iop_link us "$US6/64" them "$THEM6/64"
iop_lo_addr us 10.180.1.1/24
iop_lo_addr them 10.180.2.1/24
iop_lo_addr us fd00:ad:2::1:1/112
iop_lo_addr them fd00:ad:2::2:1/112

use_family() { # 4 or 6: US, THEM, their subnets, ikemond's listen address, ID type
	if [ "$1" = 6 ]; then
		US=$US6 THEM=$THEM6 US_NET=fd00:ad:2::1:0/112 THEM_NET=fd00:ad:2::2:0/112
		LISTEN="[$US]:500" IDT=ipv6
	else
		US=$US4 THEM=$THEM4 US_NET=10.180.1.0/24 THEM_NET=10.180.2.0/24
		LISTEN="$US:500" IDT=ipv4
	fi
}

qc() { ctl show crypto ipsec sa --json 2>/dev/null | python3 -c "import json,sys; cs=json.load(sys.stdin)['children']; print($1)" 2>/dev/null; }
isc() { [ "$(qc "$1")" = True ]; }
qp() { ctl show ikemon peers --json 2>/dev/null | python3 -c "import json,sys; p=json.load(sys.stdin)['peers'][0]; print($1)" 2>/dev/null; }
isp() { [ "$(qp "$1")" = True ]; }

# start_ikemond AUTO IKE_LIFETIME IPSEC_LIFETIME: a fresh ikemond, its log per run
start_ikemond() {
	if [ -n "${IKEMOND_PID:-}" ]; then
		kill "$IKEMOND_PID" 2>/dev/null
		wait "$IKEMOND_PID" 2>/dev/null
	fi
	rm -f "$IOP_DIR/ikemond.sock"
	{
		iop_ikemond_head "$LISTEN" "restart_delay = 1" "deleted_linger = 120" \
			"stall_after = 5" "qm_stall_after = 5"
		cat <<EOF2
[peer charon]
remote = $THEM
psk = "$PSK"
local_id = $IDT:$US
remote_id = $IDT:$THEM
ike = aes128-sha256-modp2048
esp = aes128-sha256
local_ts = $US_NET
remote_ts = $THEM_NET
auto = $1
ike_lifetime = $2
ipsec_lifetime = $3
rekey_margin = 4
rekey_fuzz = 50
EOF2
	} >"$IOP_DIR/ikemond.conf"
	iop_bg us "$IOP_DIR/ikemond-$RUN.log" "$IKEMOND" -c "$IOP_DIR/ikemond.conf" -f
	IKEMOND_PID=$IOP_LAST_PID
	iop_wait 5 "ikemond control socket" test -S "$IOP_DIR/ikemond.sock" || iop_fail "ikemond did not start"
}

# load_charon IKE_REKEY CHILD_REKEY (0: none; life = 5 x rekey): its SAs go, the
# connection is loaded anew
load_charon() {
	local ike_life=$(($1 * 5)) child_life=$(($2 * 5))
	[ "$1" = 0 ] && ike_life=0
	[ "$2" = 0 ] && child_life=0
	cat >"$IOP_DIR/charon.swanctl.conf" <<EOF2
connections {
	ikemon {
		version = 1
		local_addrs = $THEM
		remote_addrs = $US
		proposals = aes128-sha256-modp2048
		rekey_time = $1
		reauth_time = $1
		over_time = $ike_life
		rand_time = 0
		local {
			auth = psk
			id = $THEM
		}
		remote {
			auth = psk
			id = $US
		}
		children {
			ikemon-child {
				esp_proposals = aes128-sha256
				local_ts = $THEM_NET
				remote_ts = $US_NET
				mode = tunnel
				start_action = none
				rekey_time = $2
				life_time = $child_life
				rand_time = 0
			}
		}
	}
}
secrets {
	ike-1 {
		id-a = $THEM
		id-b = $US
		secret = "$PSK"
	}
}
EOF2
	iop_charon_reload charon "$IOP_DIR/charon.swanctl.conf" >/dev/null
}

# sample: our status of the peer every 0.2 s (at most 300 times) until $RUN.stop
sample() {
	local i=0
	while [ $i -lt 300 ] && [ ! -e "$IOP_DIR/$RUN.stop" ]; do
		ctl show ikemon peers | awk '$1 == "charon" { print $4 }' >>"$IOP_DIR/$RUN.samples"
		sleep 0.2
		i=$((i + 1))
	done
}
sample_start() { sample & IOP_PIDS+=("$!"); }
samples_up() { # sampled at least 30 times, never anything but up
	local n
	touch "$IOP_DIR/$RUN.stop"
	sleep 0.5
	n=$(grep -c . "$IOP_DIR/$RUN.samples")
	echo "# $RUN: $n samples: $(sort "$IOP_DIR/$RUN.samples" | uniq -c | tr '\n' ' ')"
	[ "$n" -ge 30 ] && ! grep -qv '^up$' "$IOP_DIR/$RUN.samples"
}
# charon's outbound SPIs of its installed CHILD_SAs (our inbound ones), one a line
charon_out_spis() {
	iop_charon_sas charon | awk '/INSTALLED/ { inst = 1; next } inst && $1 == "out" { s = $2; sub(/,.*/, "", s); print s; inst = 0 } /^  [^ ]/ { inst = 0 }'
}
our_installed_in() { qc "' '.join('%08x' % c['spi_in'] for c in cs if c['state']=='INSTALLED')"; }
spis_match() { # every installed phase-2 SA of ours is installed at charon too
	local s ours theirs
	ours=$(our_installed_in)
	theirs=$(charon_out_spis | tr '\n' ' ')
	echo "# ours in: $ours; charon out: $theirs"
	[ -n "$ours" ] || return 1
	for s in $ours; do grep -qw "$s" <<<"$theirs" || return 1; done
}
charon_dump() { iop_charon_sas charon | sed "s/^/# $RUN charon: /"; }
# the family of our SAs' remote address and of the selectors of our installed phase 2
family_is() {
	is "all((':' in s['remote']['address']) == ($1 == 6) for s in sas)" &&
		isc "all(c['local_ts']['family'] == c['remote_ts']['family'] == $1 for c in cs if c['state']=='INSTALLED')"
}

iop_charon_start_qm charon them

# ---- 1. ikemond rekeys towards charon
scenario1() {
	local first
	load_charon 0 0
	start_ikemond start 30 15
	check "$RUN: ikemond brings charon up at $THEM (auto = start), phase 2 included" \
		iop_wait 20 "peer up" isp "p['status']=='up'"
	check "$RUN: charon's CHILD_SA is INSTALLED" iop_wait 5 "charon child" iop_charon_child_installed charon ikemon-child
	check "$RUN: the SA and the installed selectors are IPv$FAMILY ($US_NET)" family_is "$FAMILY"
	first=$(qc "[c['spi_in'] for c in cs if c['state']=='INSTALLED'][0]")
	sample_start
	check "$RUN: ikemond rekeys phase 1 towards charon (within 35 s)" \
		iop_wait 35 "phase-1 rekey" isp "p['rekeys']['ike']>=1 and p['rekeys']['ipsec']>=2"
	check "$RUN: ... and its phase 2 in the new ISAKMP SA" \
		iop_wait 10 "phase 2 in the new SA" isc "any(c['state']=='INSTALLED' and c['conn_id']==$(q "max(s['conn_id'] for s in sas)") for c in cs)"
	check "$RUN: our status of charon never left up (sampled every 0.2 s)" samples_up
	echo "# $RUN: rekeys $(qp "p['rekeys']")"
	check "$RUN: no rekey failed" isp "p['rekeys']['failed']==0"
	check "$RUN: the old ISAKMP SA deleted with cause replaced" is "any(s['delete_reason']=='replaced' for s in sas)"
	check "$RUN: no SA of ours deleted for another reason" is "all(s['delete_reason'] in ('none','replaced') for s in sas)"
	check "$RUN: the old phase-2 SAs deleted with cause replaced" isc "len([c for c in cs if c['delete_reason']=='replaced'])>=2"
	check "$RUN: one phase-2 SA of ours installed, with a new SPI" isc "len([c for c in cs if c['state']=='INSTALLED'])==1 and not any(c['spi_in']==$first and c['state']=='INSTALLED' for c in cs)"
	check "$RUN: charon has our new phase-2 SA installed (its outbound SPI is our inbound one)" \
		iop_wait 5 "charon has the new SPIs" spis_match
	charon_dump
	check "$RUN: charon still has an ESTABLISHED IKE SA with us" iop_charon_established charon ikemon
}

# ---- 2. charon rekeys towards ikemond
scenario2() {
	local out first_id
	load_charon 24 12
	start_ikemond add 3600 3600
	out=$(iop_charon_initiate charon --child ikemon-child)
	check "$RUN: charon initiates from $THEM (swanctl --initiate --child)" grep -q "initiate completed successfully" <<<"$out"
	check "$RUN: ikemond (responder) has the peer up" iop_wait 10 "peer up" isp "p['status']=='up'"
	check "$RUN: the SA and the installed selectors are IPv$FAMILY ($US_NET)" family_is "$FAMILY"
	first_id=$(q "max([s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE'] or [0])")
	echo "# $RUN: our conn-id $first_id; negotiated lifetimes $(q "[(s['conn_id'], s['transform']['lifetime_s']) for s in sas if s['conn_id']==$first_id]") $(qc "[(c['conn_id'], c['index'], c['lifetime_s'] if 'lifetime_s' in c else c.get('transform', {}).get('life_s')) for c in cs if c['state']=='INSTALLED']")"
	sample_start
	check "$RUN: charon rekeys its CHILD_SA: ikemond answers and counts a phase-2 rekey (within 20 s)" \
		iop_wait 20 "phase-2 rekey by charon" isp "p['rekeys']['ipsec']>0"
	check "$RUN: charon reauthenticates (new Main Mode): ikemond counts a phase-1 rekey (within 30 s)" \
		iop_wait 30 "phase-1 rekey by charon" isp "p['rekeys']['ike']>0"
	check "$RUN: the new ISAKMP SA is charon's (we are the responder) and carries no INITIAL-CONTACT" \
		is "any(s['conn_id']>$first_id and s['role']=='responder' and s['cisco_state']=='QM_IDLE' and not s['initial_contact'] for s in sas)"
	check "$RUN: phase 2 up in the new ISAKMP SA" \
		iop_wait 10 "child in the new SA" isc "any(c['state']=='INSTALLED' and c['conn_id']>$first_id for c in cs)"
	check "$RUN: the old ISAKMP SA $first_id goes, with cause replaced (within 15 s)" \
		iop_wait 15 "old SA replaced" is "any(s['conn_id']==$first_id and s['delete_reason']=='replaced' for s in sas)"
	check "$RUN: our status of charon never left up (sampled every 0.2 s)" samples_up
	echo "# $RUN: rekeys $(qp "p['rekeys']"); SAs $(q "[(s['conn_id'], s['role'], s['cisco_state'], s['delete_reason']) for s in sas]")"
	echo "# $RUN: children $(qc "[(c['conn_id'], c['index'], c['state'], c['delete_reason']) for c in cs]")"
	charon_dump
	check "$RUN: no SA of ours deleted for anything but a rekey" \
		is "all(s['delete_reason'] in ('none','replaced') for s in sas) and g['initial_contact_deleted']==0"
	check "$RUN: our installed phase-2 SA is charon's too" iop_wait 5 "SPIs" spis_match
}

for RUN in $RUNS; do
	FAMILY=${RUN#*:}
	case $RUN in
	1:4 | 1:6 | 2:4 | 2:6) ;;
	*) iop_fail "REKEY_RUNS: $RUN is not SCENARIO:FAMILY (1 or 2, 4 or 6)" ;;
	esac
	use_family "$FAMILY"
	echo "# ---- $RUN: scenario ${RUN%:*} over IPv$FAMILY ($US - $THEM)"
	"scenario${RUN%:*}"
	check "$RUN: ikemond is still running" kill -0 "$IKEMOND_PID"
done
iop_finish
