#!/bin/bash
# charon_quick_mode.sh - ikemond against strongSwan's charon: IKEv1 Quick Mode (phase 2,
# ESP, tunnel mode, PSK), each in a network namespace of this test's own.
#
# charon runs with kernel-libipsec (iop_charon_start_qm; proved by charon_qm_selftest.sh),
# the only way its CHILD_SA installs on a kernel without ESP.  That forces NAT-T: charon
# sends a fake NAT-D for its own address, so both sides see "a NAT in front of the peer"
# and move to UDP 4500 from MM5 on (the initiator floats, RFC 3947), and Quick Mode uses
# Encapsulation-Mode UDP-Encapsulated-Tunnel (3).  Selectors: 10.1.0.0/24 (ours, an
# address of it on our lo) <-> 10.2.0.0/24 (charon's, an address of it on its lo).
#
#  1. without PFS (esp aes128-sha256) and with PFS (aes128-sha256-modp2048):
#     a. ikemond initiating (ikemonctl initiate), charon answering;
#     b. charon initiating (swanctl --initiate --child), ikemond answering;
#     each: our child INSTALLED and charon's CHILD_SA INSTALLED (TUNNEL-in-UDP, MODP_2048
#     iff PFS), the SPIs crossed (charon's inbound = our spi_out, charon's outbound = our
#     spi_in), the selectors as configured, the IKE SA floated to 4500 on both sides;
#     then a DELETE from one side removes the other side's SAs;
#  2. auto = start: ikemond brings the peer up by itself, child included;
#  3. PFS mismatch (we offer none, charon wants MODP-2048): charon answers
#     NO-PROPOSAL-CHOSEN; our child fails with no-proposal-chosen, the IKE SA stays QM_IDLE;
#  4. proxy-identity mismatch (charon's remote_ts is 10.3.0.0/24, not our 10.1.0.0/24):
#     a. we initiate: charon answers INVALID-ID-INFORMATION (encrypted informational,
#        protocol ESP, SPI 0); our child fails with proxy-id-mismatch, the IKE SA stays QM_IDLE;
#     b. charon initiates: we refuse with INVALID-ID-INFORMATION (charon logs "received
#        INVALID_ID_INFORMATION error notify"), proxy-id-mismatch on our side, QM_IDLE stays.
#
# What charon 5.9.8 sends, seen with tshark (charon to charon, as charon_qm_selftest.sh
# sets it up; IOP_CAPTURE=1 below shows it against ikemond):
#   MM1 VIDs: XAUTH, RFC 3706 DPD, Cisco Fragmentation, RFC 3947, draft-ietf-ipsec-nat-t-
#   ike-02\n; MM2 VIDs (responder): XAUTH, DPD, Fragmentation, RFC 3947 only.  MM3/MM4:
#   KE, Nonce, NAT-D (RFC 3947) (type 20) twice: first the destination, then the source
#   (the source one faked).  MM5 (initiator, from 4500 with the non-ESP marker): ID
#   IPV4_ADDR, HASH, N(INITIAL-CONTACT) (protocol ISAKMP, SPI size 16 = both cookies).
#   QM1: HASH, SA, Nonce, [KE], IDci, IDcr; ESP transform AES (12), attributes in this
#   order: Key-Length 128, Authentication-Algorithm HMAC-SHA2-256 (5), [Group-Description
#   14], Encapsulation-Mode 3, SA-Life-Type seconds, SA-Life-Duration 3960 (no kilobytes
#   unless life_bytes is set: then SA-Life-Type kilobytes with a 4-byte TLV duration);
#   IDs IPV4_ADDR_SUBNET (4), protocol 0, port 0.  As a responder charon echoes the
#   initiator's lifetime in QM2 but keeps its own configured one; it pads the encrypted
#   body with zeros (a full block when the payloads already fill the last one).
#
# IOP_CAPTURE=1 captures the whole run on the veth and prints it decrypted with charon's
# keys at the end (needs tshark; keep the files with IOP_KEEP=1).
. "$(dirname "$0")/lib.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
iop_init 300

US=10.99.0.1
THEM=10.99.0.2
US_NET=10.1.0.0/24
THEM_NET=10.2.0.0/24
OTHER_NET=10.3.0.0/24
PSK="interop-qm-secret-42"
# ikemond must answer on 4500 too (charon floats MM5 there when it initiates).
# ikemond opens the NAT-T twin (port 4500) of a port-500 listen address by itself.
IKEMOND_LISTEN=${IKEMOND_LISTEN:-"$US:500"}
CHECKS=0
FAILS=0
# shellcheck disable=SC2034 # read by lib.sh (iop_charon_start)
[ "${IOP_CAPTURE:-0}" = 1 ] && IOP_CHARON_KEYLOG=1

ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "not ok $CHECKS - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

iop_netns_add us
iop_netns_add them
iop_link us "$US/24" them "$THEM/24"
iop_lo_addr us 10.1.0.1/24
iop_lo_addr them 10.2.0.1/24
# the capture, decrypted with charon's keys, however the test ends
show_capture() {
	iop_capture_stop qm
	echo "# --- capture $IOP_DIR/qm.pcap, decrypted with charon's keys ---"
	iop_capture_decode "$IOP_DIR/qm.pcap" charon -O isakmp | grep -v -e '^    \[' -e '^Ethernet' | sed 's/^/# /'
}
if [ "${IOP_CAPTURE:-0}" = 1 ]; then
	iop_capture_start us v0 qm
	iop_on_exit show_capture
fi

ctl() { "$IKEMONCTL" -s "$IOP_DIR/ikemond.sock" "$@"; }
# q EXPR: EXPR over the ISAKMP SAs (sas) and global counters (g)
q() { ctl show crypto isakmp sa --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); sas=d['sas']; g=d['counters']; print($1)" 2>/dev/null; }
is() { [ "$(q "$1")" = True ]; }
# qc EXPR: EXPR over the phase-2 records (cs); spi(v) gives an SPI as swanctl prints it
# (8 lower-case hex digits) whether the JSON has a number or a "0x..." string.
qc() {
	ctl show crypto ipsec sa --json 2>/dev/null | python3 -c "
import json, sys
def spi(v):
    if isinstance(v, int):
        return '%08x' % v
    s = str(v).lower()
    return (s[2:] if s.startswith('0x') else s).rjust(8, '0')
def ts(v):
    return v if isinstance(v, str) else json.dumps(v)
def cause(c):
    return '%s/%s' % (c.get('last_cause'), c.get('delete_reason'))
d = json.load(sys.stdin); cs = d['children']
print($1)" 2>/dev/null
}
isc() { [ "$(qc "$1")" = True ]; }

write_ikemond() { # ESP [AUTO]
	cat >"$IOP_DIR/ikemond.conf" <<EOF2
[ikemond]
listen = $IKEMOND_LISTEN
control = $IOP_DIR/ikemond.sock
log_level = debug
retransmit_timeout = 0.5
retransmit_tries = 3
deleted_linger = 30
stall_after = 5
qm_stall_after = 5
[peer charon]
remote = $THEM
psk = "$PSK"
ike = aes128-sha256-modp2048
esp = $1
local_ts = $US_NET
remote_ts = $THEM_NET
mode = tunnel
ipsec_lifetime = 3600
auto = ${2:-add}
EOF2
}

write_charon() { # ESP [REMOTE_TS]
	cat >"$IOP_DIR/charon.swanctl.conf" <<EOF2
connections {
	ikemon {
		version = 1
		local_addrs = $THEM
		remote_addrs = $US
		proposals = aes128-sha256-modp2048
		rekey_time = 0
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
				esp_proposals = $1
				local_ts = $THEM_NET
				remote_ts = ${2:-$US_NET}
				mode = tunnel
				start_action = none
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

# small predicates for check and iop_wait (they run in this shell)
charon_no_sas() { [ -z "$(iop_charon_sas charon)" ]; }
charon_ike_only() { # charon's IKE SA ESTABLISHED, no CHILD_SA
	[ "$(iop_charon_ike_state charon ikemon)" = ESTABLISHED ] &&
		[ -z "$(iop_charon_child_state charon ikemon-child)" ]
}
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
alive() { kill -0 "$IKEMOND_PID" 2>/dev/null; }
lacks() { ! grep -q "$1" <<<"$2"; }
lifetime_seen() { grep -c "received 3600s lifetime" "$(iop_charon_dir charon)/charon.log"; }

# reset_sas: no SA left on either side (our SAs deleted, charon's terminated).
reset_sas() {
	ctl clear crypto isakmp >/dev/null 2>&1
	iop_swanctl charon --terminate --ike ikemon --timeout 5 >/dev/null 2>&1
	iop_wait 5 "no SA left on charon" charon_no_sas ||
		echo "# charon still has SAs: $(iop_charon_sas charon | head -n 1)"
}

# configure ESP [AUTO] [CHARON_ESP] [CHARON_REMOTE_TS]: no SA left over, then both
# sides' configurations (with AUTO = start ikemond initiates at the reload).
configure() {
	alive || iop_fail "ikemond is gone (crashed?): see its log below"
	reset_sas
	write_ikemond "$1" "${2:-add}"
	write_charon "${3:-$1}" "${4:-}"
	iop_charon_load charon "$IOP_DIR/charon.swanctl.conf" >/dev/null
	ctl reload >/dev/null || iop_fail "ikemond reload"
}

# the newest conn-id (0 when none)
last_conn_id() { q "max([s['conn_id'] for s in sas] or [0])"; }

# installed_checks WHAT CONN-ID ESP: the checks every successful Quick Mode gets.
installed_checks() {
	local what=$1 id=$2 esp=$3 ours theirs c_in c_out o_in o_out line port
	if [ -z "$id" ] || [ "$id" = 0 ]; then
		not_ok "$what: no conn-id to check (our SA did not come up)"
		return 1
	fi
	check "$what: our child of conn-id $id is INSTALLED" \
		iop_wait 10 "our child INSTALLED" isc "any(c['conn_id']==$id and c['state']=='INSTALLED' for c in cs)"
	check "$what: charon's CHILD_SA is INSTALLED" \
		iop_wait 5 "charon CHILD_SA INSTALLED" iop_charon_child_installed charon ikemon-child
	check "$what: our IKE SA $id is QM_IDLE" is "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' for s in sas)"
	check "$what: our child is index 1 with $US_NET <-> $THEM_NET" \
		isc "[(c['index'], '$US_NET' in ts(c['local_ts']), '$THEM_NET' in ts(c['remote_ts'])) for c in cs if c['conn_id']==$id and c['state']=='INSTALLED'] == [(1, True, True)]"

	ours=$(qc "' '.join([spi(c['spi_in']) + ' ' + spi(c['spi_out']) for c in cs if c['conn_id']==$id and c['state']=='INSTALLED'][:1])")
	theirs=$(iop_charon_child_spis charon ikemon-child)
	read -r o_in o_out <<<"$ours"
	read -r c_in c_out <<<"$theirs"
	echo "# $what: ours in ${o_in:-?} out ${o_out:-?}; charon in ${c_in:-?} out ${c_out:-?}"
	check "$what: charon's inbound SPI is our spi_out" same "$c_in" "$o_out"
	check "$what: charon's outbound SPI is our spi_in" same "$c_out" "$o_in"

	line=$(iop_charon_child_line charon ikemon-child)
	echo "# $what: charon: $line"
	check "$what: charon's CHILD_SA is ESP AES-128/SHA-256, tunnel in UDP" \
		grep -q ", TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA2_256_128" <<<"$line"
	case "$esp" in
	*modp2048) check "$what: charon's CHILD_SA has PFS with MODP_2048" grep -q "/MODP_2048" <<<"$line" ;;
	*) check "$what: charon's CHILD_SA has no PFS group" lacks MODP "$line" ;;
	esac

	check "$what: our IKE SA floated to 4500 (natt.floated, remote port 4500)" \
		is "[(s.get('natt', {}).get('floated', s.get('floated')), s['remote']['port']) for s in sas if s['conn_id']==$id] == [(True, 4500)]"
	port=$(iop_charon_ike_port charon ikemon)
	check "$what: charon's IKE SA talks to our port 4500 ($port)" test "$port" = 4500
}

write_ikemond aes128-sha256
write_charon aes128-sha256
iop_charon_start_qm charon them
iop_charon_load charon "$IOP_DIR/charon.swanctl.conf"
iop_bg us "$IOP_DIR/ikemond.log" "$IKEMOND" -c "$IOP_DIR/ikemond.conf" -f
IKEMOND_PID=$IOP_LAST_PID
iop_wait 5 "ikemond control socket" test -S "$IOP_DIR/ikemond.sock" || iop_fail "ikemond did not start"

# Every query below parses these; a view that is not JSON fails them all, silently.
json_ok() { ctl show crypto "$1" sa --json | python3 -c "import json,sys; json.load(sys.stdin)"; }
check "show crypto isakmp sa --json is valid JSON" json_ok isakmp
check "show crypto ipsec sa --json is valid JSON" json_ok ipsec

# 1. without and with PFS, each side initiating
for esp in aes128-sha256 aes128-sha256-modp2048; do
	configure "$esp"

	# a. ikemond initiating
	n0=$(lifetime_seen)
	id=$(ctl initiate charon | sed -n 's/.*conn-id \([0-9]*\).*/\1/p')
	echo "# $esp, ikemond initiating: conn-id ${id:=0}"
	installed_checks "$esp, ikemond initiating" "$id" "$esp"
	# charon as a responder logs "received 3600s lifetime, configured 3960s"
	check "$esp, ikemond initiating: charon read our SA-Life-Duration of 3600 s" test "$(lifetime_seen)" -gt "$n0"
	ctl clear crypto isakmp "$id" >/dev/null
	check "$esp: our DELETE removes charon's CHILD_SA and IKE SA" \
		iop_wait 5 "charon drops the SAs" charon_no_sas

	# b. charon initiating
	before=$(last_conn_id)
	out=$(iop_charon_initiate charon --child ikemon-child)
	check "$esp, charon initiating: swanctl --initiate --child succeeds" grep -q "initiate completed successfully" <<<"$out"
	iop_wait 10 "ikemond answers with a child" isc "any(c['conn_id']>${before:-0} and c['state']=='INSTALLED' for c in cs)"
	id=$(q "max([s['conn_id'] for s in sas if s['conn_id']>${before:-0} and s['role']=='responder'] or [0])")
	echo "# $esp, charon initiating: our conn-id ${id:=0}"
	check "$esp, charon initiating: ikemond is the responder" is "any(s['conn_id']==$id and s['role']=='responder' for s in sas)"
	installed_checks "$esp, charon initiating" "$id" "$esp"
	iop_swanctl charon --terminate --ike ikemon --timeout 5 >/dev/null 2>&1
	check "$esp: charon's DELETE removes our child and IKE SA" \
		iop_wait 5 "deleted-by-peer" is "not any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' for s in sas)"
	check "$esp: our child of $id is no longer INSTALLED" \
		iop_wait 5 "child gone" isc "not any(c['conn_id']==$id and c['state']=='INSTALLED' for c in cs)"
done

# 2. auto = start: ikemond brings the peer up, child included, by itself
before=$(last_conn_id)
configure aes128-sha256 start
check "auto = start: our child INSTALLED without a command" \
	iop_wait 15 "auto = start" isc "any(c['conn_id']>${before:-0} and c['state']=='INSTALLED' for c in cs)"
check "auto = start: charon's CHILD_SA INSTALLED" \
	iop_wait 5 "charon CHILD_SA INSTALLED" iop_charon_child_installed charon ikemon-child
id=$(q "max([s['conn_id'] for s in sas if s['conn_id']>${before:-0} and s['role']=='initiator' and s['cisco_state']=='QM_IDLE'] or [0])")
installed_checks "auto = start" "$id" aes128-sha256
write_ikemond aes128-sha256 add
ctl reload >/dev/null # the peer changed: its SAs are deleted

# 3. PFS mismatch: we offer no PFS, charon wants MODP-2048
configure aes128-sha256 add aes128-sha256-modp2048
id=$(ctl initiate charon | sed -n 's/.*conn-id \([0-9]*\).*/\1/p')
echo "# PFS mismatch, ikemond initiating: conn-id ${id:=0}"
check "PFS mismatch: our child fails with p2-no-proposal-chosen (charon's NO-PROPOSAL-CHOSEN)" \
	iop_wait 10 "child no-proposal-chosen" isc "any(c['conn_id']==$id and cause(c)=='p2-no-proposal-chosen/p2-no-proposal-chosen' for c in cs)"
echo "# PFS mismatch: our children: $(qc "[(c['index'], c['state'], cause(c)) for c in cs if c['conn_id']==$id]")"
check "PFS mismatch: no child of ours is INSTALLED" isc "not any(c['conn_id']==$id and c['state']=='INSTALLED' for c in cs)"
check "PFS mismatch: our IKE SA stays QM_IDLE" is "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' and s['status']=='ACTIVE' for s in sas)"
check "PFS mismatch: charon keeps its IKE SA, without a CHILD_SA" charon_ike_only

# 4a. proxy identities: charon's remote_ts is not our local_ts; we initiate
configure aes128-sha256 add aes128-sha256 "$OTHER_NET"
id=$(ctl initiate charon | sed -n 's/.*conn-id \([0-9]*\).*/\1/p')
echo "# id mismatch, ikemond initiating: conn-id ${id:=0}"
check "id mismatch (we initiate): our child fails with proxy-id-mismatch" \
	iop_wait 10 "child id-mismatch" isc "any(c['conn_id']==$id and cause(c)=='proxy-id-mismatch/proxy-id-mismatch' for c in cs)"
echo "# id mismatch (we initiate): our children: $(qc "[(c['index'], c['state'], cause(c)) for c in cs if c['conn_id']==$id]")"
check "id mismatch (we initiate): no child of ours is INSTALLED" isc "not any(c['conn_id']==$id and c['state']=='INSTALLED' for c in cs)"
check "id mismatch (we initiate): our IKE SA stays QM_IDLE" is "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' and s['status']=='ACTIVE' for s in sas)"
check "id mismatch (we initiate): charon keeps its IKE SA, without a CHILD_SA" charon_ike_only

# 4b. the same, charon initiating: it proposes IDci 10.2.0.0/24, IDcr 10.3.0.0/24
reset_sas
before=$(last_conn_id)
out=$(iop_charon_initiate charon --child ikemon-child)
echo "$out" | grep -E "QUICK_MODE|INFORMATIONAL|error notify|failed" | sed 's/^/# /'
check "id mismatch (charon initiates): we answer INVALID-ID-INFORMATION" \
	grep -q "received INVALID_ID_INFORMATION error notify" <<<"$out"
id=$(q "max([s['conn_id'] for s in sas if s['conn_id']>${before:-0}] or [0])")
echo "# id mismatch (charon initiates): our conn-id $id; children $(qc "[(c['index'], c['state'], cause(c)) for c in cs if c['conn_id']==$id]"); SA cause $(q "[(s['last_cause'], s['cause_detail']) for s in sas if s['conn_id']==$id]")"
# a refused Quick Mode leaves a child record with the cause (the IKE SA is fine)
id_mismatch_recorded() {
	isc "any(c['conn_id']==$1 and cause(c)=='proxy-id-mismatch/proxy-id-mismatch' for c in cs)"
}
check "id mismatch (charon initiates): id-mismatch recorded on our side" id_mismatch_recorded "$id"
check "id mismatch (charon initiates): no child of ours is INSTALLED" isc "not any(c['conn_id']==$id and c['state']=='INSTALLED' for c in cs)"
check "id mismatch (charon initiates): our IKE SA stays QM_IDLE" is "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' and s['status']=='ACTIVE' for s in sas)"
check "id mismatch (charon initiates): charon keeps its IKE SA" iop_charon_established charon ikemon

check "ikemond is still running" alive
check "at the end, show crypto isakmp sa --json is valid JSON" json_ok isakmp
check "at the end, show crypto ipsec sa --json is valid JSON" json_ok ipsec
echo "# charon_quick_mode.sh: $CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ] || iop_fail "$FAILS checks failed"
exit 0
