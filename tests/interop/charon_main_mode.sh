#!/bin/bash
# charon_main_mode.sh - ikemond against strongSwan's charon (IKEv1 Main Mode, PSK), each
# in a network namespace of this test's own.
#
#  1. each of three proposals (MODP-2048, ECP-256, ECP-384), ikemond initiating and
#     charon answering, then charon initiating and ikemond answering: QM_IDLE on our
#     side, ESTABLISHED in `swanctl --list-sas`;
#  2. 200 MODP-2048 handshakes in a row, ikemond initiating, without one failure (a
#     missed zero pad of the DH secret fails one in 256 as a key mismatch);
#  3. charon with another key: our SA stays short of QM_IDLE with key-mismatch.
. "$(dirname "$0")/lib.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
ROUNDS=${CHARON_ROUNDS:-200}
iop_init 300

US=10.99.0.1
THEM=10.99.0.2
PSK="interop-secret-42"
IOP_QM_POLL=0.05

iop_pair "$US" "$THEM"

write_ikemond() {
	{
		iop_ikemond_head "$US:500" "deleted_linger = 2" "stall_after = 5" "qm_stall_after = 5"
		cat <<EOF2
[peer charon]
remote = $THEM
psk = "$PSK"
ike = $1
auto = add
EOF2
	} >"$IOP_DIR/ikemond.conf"
}

write_charon() {
	cat >"$IOP_DIR/charon.swanctl.conf" <<EOF2
connections {
	ikemon {
		version = 1
		local_addrs = $THEM
		remote_addrs = $US
		proposals = aes128-sha256-modp2048, aes256-sha256-ecp256, aes256-sha384-ecp384
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
				esp_proposals = aes128-sha256
				start_action = none
			}
		}
	}
}
secrets {
	ike-1 {
		id-a = $THEM
		id-b = $US
		secret = "$1"
	}
}
EOF2
}

write_ikemond aes128-sha256-modp2048
write_charon "$PSK"
iop_charon_start charon them
iop_charon_load charon "$IOP_DIR/charon.swanctl.conf"
iop_ikemond_start

charon_has() { iop_charon_sas charon | grep -q "$1"; }

# 1. three proposals, both directions
for prop in aes128-sha256-modp2048:MODP_2048 aes256-sha256-ecp256:ECP_256 aes256-sha384-ecp384:ECP_384; do
	ike=${prop%%:*}
	grp=${prop##*:}
	write_ikemond "$ike"
	ctl reload >/dev/null || iop_fail "reload"
	iop_swanctl charon --terminate --ike ikemon --timeout 5 >/dev/null 2>&1
	id=$(ctl initiate charon | iop_conn_of)
	check "$ike, ikemond initiating: conn-id $id reaches QM_IDLE" wait_qm_idle "$id"
	check "$ike, ikemond initiating: charon shows ESTABLISHED with $grp" \
		iop_wait 5 "charon ESTABLISHED $grp" charon_has "ESTABLISHED, IKEv1.*" 
	check "$ike: charon's SA uses $grp" charon_has "$grp"
	ctl clear crypto isakmp >/dev/null
	iop_wait 5 "charon drops the SA after our DELETE" iop_charon_none_established charon
	check "$ike: charon acted on our DELETE" test $? = 0

	before=$(q "max([s['conn_id'] for s in sas] or [0])")
	iop_charon_initiate charon --ike ikemon >/dev/null
	iop_wait 10 "ikemond responder QM_IDLE" is "any(s['conn_id']>$before and s['role']=='responder' and s['cisco_state']=='QM_IDLE' for s in sas)"
	check "$ike, charon initiating: ikemond answers and reaches QM_IDLE" test $? = 0
	got=$(q "[s['transform']['group_name'] for s in sas if s['conn_id']>$before and s['role']=='responder']")
	want=${grp,,}
	check "$ike, charon initiating: ikemond chose ${want/_/} ($got)" test "$got" = "['${want/_/}']"
	check "$ike, charon initiating: charon shows ESTABLISHED" iop_charon_established charon ikemon
	iop_swanctl charon --terminate --ike ikemon --timeout 5 >/dev/null 2>&1
	check "$ike: charon's DELETE reaches ikemond" iop_wait 5 "deleted-by-peer" is "not any(s['cisco_state']=='QM_IDLE' for s in sas)"
done

# 2. many handshakes in a row (MODP-2048: the padding trap)
write_ikemond aes128-sha256-modp2048
ctl reload >/dev/null
failed=0
t0=$(date +%s%N)
for n in $(seq 1 "$ROUNDS"); do
	id=$(ctl initiate charon | iop_conn_of)
	if ! wait_qm_idle "$id"; then
		failed=$((failed + 1))
		echo "# round $n: conn-id $id did not reach QM_IDLE: $(q "[(s['cisco_state'], s['last_cause'], s['cause_detail']) for s in sas if s['conn_id']==$id]")"
	fi
	ctl clear crypto isakmp "$id" >/dev/null
done
t1=$(date +%s%N)
echo "# $ROUNDS handshakes in $(((t1 - t0) / 1000000)) ms, $failed failed"
check "$ROUNDS MODP-2048 handshakes with charon in a row, none failed" test "$failed" = 0
check "ikemond counted $ROUNDS established SAs or more" is "g['sas_established'] >= $ROUNDS"

# 3. charon with another key
write_charon "not-the-same-key"
iop_charon_load charon "$IOP_DIR/charon.swanctl.conf" >/dev/null
id=$(ctl initiate charon | iop_conn_of)
check "wrong key: conn-id $id stalls in MM_KEY_EXCH with key-mismatch" \
	iop_wait 10 "key mismatch" is "any(s['conn_id']==$id and s['cisco_state']=='MM_KEY_EXCH' and s['last_cause']=='key-mismatch' for s in sas)"
check "wrong key: never QM_IDLE, then failed with key-mismatch" \
	iop_wait 15 "failed" is "any(s['conn_id']==$id and s['delete_reason']=='key-mismatch' for s in sas)"

iop_checks_done
