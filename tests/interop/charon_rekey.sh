#!/bin/bash
# charon_rekey.sh - rekeying against strongSwan's charon (IKEv1 Main Mode, PSK, Quick
# Mode through kernel-libipsec, so both ends float to 4500), each in a network namespace
# of this test's own (rk-*, 10.180.0.0/16).
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
# What charon 5.9.8 does, seen here: see the "# charon:" lines the test prints.
. "$(dirname "$0")/lib.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
IOP_TAG="rk-$$" # namespaces rk-PID-us, rk-PID-them
iop_init 170

US=10.180.0.1
THEM=10.180.0.2
US_NET=10.180.1.0/24
THEM_NET=10.180.2.0/24
PSK="rekey-interop-secret"
CHECKS=0
FAILS=0

ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "not ok $CHECKS - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

iop_netns_add us
iop_netns_add them
iop_link us "$US/24" them "$THEM/24"
iop_lo_addr us 10.180.1.1/24
iop_lo_addr them 10.180.2.1/24

ctl() { "$IKEMONCTL" -s "$IOP_DIR/ikemond.sock" "$@"; }
q() { ctl show crypto isakmp sa --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); sas=d['sas']; g=d['counters']; print($1)" 2>/dev/null; }
is() { [ "$(q "$1")" = True ]; }
qc() { ctl show crypto ipsec sa --json 2>/dev/null | python3 -c "import json,sys; cs=json.load(sys.stdin)['children']; print($1)" 2>/dev/null; }
isc() { [ "$(qc "$1")" = True ]; }
qp() { ctl show ikemon peers --json 2>/dev/null | python3 -c "import json,sys; p=json.load(sys.stdin)['peers'][0]; print($1)" 2>/dev/null; }
isp() { [ "$(qp "$1")" = True ]; }

write_ikemond() { # AUTO IKE_LIFETIME IPSEC_LIFETIME
	cat >"$IOP_DIR/ikemond.conf" <<EOF2
[ikemond]
listen = $US:500
control = $IOP_DIR/ikemond.sock
log_level = debug
retransmit_timeout = 0.5
retransmit_tries = 3
restart_delay = 1
deleted_linger = 120
stall_after = 5
qm_stall_after = 5
[peer charon]
remote = $THEM
psk = "$PSK"
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
}

write_charon() { # IKE_REKEY CHILD_REKEY (0: none; life = 5 x rekey)
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
}

# sample FILE: our status of the peer every 0.2 s (at most 300 times) until told to stop
sample() {
	local i=0
	while [ $i -lt 300 ] && [ ! -e "$IOP_DIR/stop-$1" ]; do
		ctl show ikemon peers | awk '$1 == "charon" { print $4 }' >>"$IOP_DIR/$1.samples"
		sleep 0.2
		i=$((i + 1))
	done
}
samples_up() { # FILE: sampled at least 30 times, never anything but up
	local n
	n=$(grep -c . "$IOP_DIR/$1.samples")
	echo "# $1: $n samples: $(sort "$IOP_DIR/$1.samples" | uniq -c | tr '\n' ' ')"
	[ "$n" -ge 30 ] && ! grep -qv '^up$' "$IOP_DIR/$1.samples"
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

# ---- 1. ikemond rekeys towards charon
write_ikemond start 30 15
write_charon 0 0
iop_charon_start_qm charon them
iop_charon_load charon "$IOP_DIR/charon.swanctl.conf"
iop_bg us "$IOP_DIR/ikemond.log" "$IKEMOND" -c "$IOP_DIR/ikemond.conf" -f
IKEMOND_PID=$IOP_LAST_PID
iop_wait 5 "ikemond control socket" test -S "$IOP_DIR/ikemond.sock" || iop_fail "ikemond did not start"
check "1: ikemond brings charon up (auto = start), phase 2 included" \
	iop_wait 20 "peer up" isp "p['status']=='up'"
check "1: charon's CHILD_SA is INSTALLED" iop_wait 5 "charon child" iop_charon_child_installed charon ikemon-child
first=$(qc "[c['spi_in'] for c in cs if c['state']=='INSTALLED'][0]")
sample p1 &
IOP_PIDS+=("$!")
check "1: ikemond rekeys phase 1 towards charon (within 35 s)" \
	iop_wait 35 "phase-1 rekey" isp "p['rekeys']['ike']>=1 and p['rekeys']['ipsec']>=2"
check "1: ... and its phase 2 in the new ISAKMP SA" \
	iop_wait 10 "phase 2 in the new SA" isc "any(c['state']=='INSTALLED' and c['conn_id']==$(q "max(s['conn_id'] for s in sas)") for c in cs)"
touch "$IOP_DIR/stop-p1"
sleep 0.5
echo "# 1: rekeys $(qp "p['rekeys']")"
check "1: our status of charon never left up (sampled every 0.2 s)" samples_up p1
check "1: no rekey failed" isp "p['rekeys']['failed']==0"
check "1: the old ISAKMP SA deleted with cause replaced" is "any(s['delete_reason']=='replaced' for s in sas)"
check "1: no SA of ours deleted for another reason" is "all(s['delete_reason'] in ('none','replaced') for s in sas)"
check "1: the old phase-2 SAs deleted with cause replaced" isc "len([c for c in cs if c['delete_reason']=='replaced'])>=2"
check "1: one phase-2 SA of ours installed, with a new SPI" isc "len([c for c in cs if c['state']=='INSTALLED'])==1 and not any(c['spi_in']==$first and c['state']=='INSTALLED' for c in cs)"
check "1: charon has our new phase-2 SA installed (its outbound SPI is our inbound one)" \
	iop_wait 5 "charon has the new SPIs" spis_match
iop_charon_sas charon | sed 's/^/# charon: /'
check "1: charon still has an ESTABLISHED IKE SA with us" iop_charon_established charon ikemon

# ---- 2. charon rekeys towards ikemond
ctl clear crypto isakmp >/dev/null 2>&1
iop_swanctl charon --terminate --ike ikemon --timeout 5 >/dev/null 2>&1
write_ikemond add 3600 3600
write_charon 24 12
iop_charon_load charon "$IOP_DIR/charon.swanctl.conf" >/dev/null
ctl reload >/dev/null || iop_fail "ikemond reload"
before=$(q "max([s['conn_id'] for s in sas] or [0])")
out=$(iop_charon_initiate charon --child ikemon-child)
check "2: charon initiates (swanctl --initiate --child)" grep -q "initiate completed successfully" <<<"$out"
check "2: ikemond (responder) has the peer up" iop_wait 10 "peer up" isp "p['status']=='up'"
first_id=$(q "max([s['conn_id'] for s in sas if s['conn_id']>$before and s['cisco_state']=='QM_IDLE'] or [0])")
echo "# 2: our conn-id $first_id; negotiated lifetimes $(q "[(s['conn_id'], s['transform']['lifetime_s']) for s in sas if s['conn_id']==$first_id]") $(qc "[(c['conn_id'], c['index'], c['lifetime_s'] if 'lifetime_s' in c else c.get('transform', {}).get('life_s')) for c in cs if c['state']=='INSTALLED']")"
ike0=$(qp "p['rekeys']['ike']")
ipsec0=$(qp "p['rekeys']['ipsec']")
rm -f "$IOP_DIR/p2.samples"
sample p2 &
IOP_PIDS+=("$!")
check "2: charon rekeys its CHILD_SA: ikemond answers and counts a phase-2 rekey (within 20 s)" \
	iop_wait 20 "phase-2 rekey by charon" isp "p['rekeys']['ipsec']>$ipsec0"
check "2: charon reauthenticates (new Main Mode): ikemond counts a phase-1 rekey (within 30 s)" \
	iop_wait 30 "phase-1 rekey by charon" isp "p['rekeys']['ike']>$ike0"
check "2: the new ISAKMP SA is charon's (we are the responder) and carries no INITIAL-CONTACT" \
	is "any(s['conn_id']>$first_id and s['role']=='responder' and s['cisco_state']=='QM_IDLE' and not s['initial_contact'] for s in sas)"
check "2: phase 2 up in the new ISAKMP SA" \
	iop_wait 10 "child in the new SA" isc "any(c['state']=='INSTALLED' and c['conn_id']>$first_id for c in cs)"
check "2: the old ISAKMP SA $first_id goes, with cause replaced (within 15 s)" \
	iop_wait 15 "old SA replaced" is "any(s['conn_id']==$first_id and s['delete_reason']=='replaced' for s in sas)"
touch "$IOP_DIR/stop-p2"
sleep 0.5
echo "# 2: rekeys $(qp "p['rekeys']"); SAs $(q "[(s['conn_id'], s['role'], s['cisco_state'], s['delete_reason']) for s in sas]")"
echo "# 2: children $(qc "[(c['conn_id'], c['index'], c['state'], c['delete_reason']) for c in cs]")"
iop_charon_sas charon | sed 's/^/# charon: /'
check "2: our status of charon never left up (sampled every 0.2 s)" samples_up p2
check "2: no SA of ours deleted for anything but a rekey" \
	is "all(s['delete_reason'] in ('none','replaced','cleared','config-removed') for s in sas) and g['initial_contact_deleted']==0"
check "2: our installed phase-2 SA is charon's too" iop_wait 5 "SPIs" spis_match
check "ikemond is still running" kill -0 "$IKEMOND_PID"
echo "# charon_rekey.sh: $CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ] || iop_fail "$FAILS checks failed"
exit 0
