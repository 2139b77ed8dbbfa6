#!/bin/bash
# charon_aggressive.sh - ikemond against strongSwan's charon in IKEv1 Aggressive Mode
# with a pre-shared key, each in a network namespace of this test's own.
#
#  1. ikemond initiating (exchange = aggressive), charon answering (aggressive = yes and
#     charon's i_dont_care_about_security_and_use_aggressive_mode_psk): QM_IDLE on our
#     side, ESTABLISHED at charon; our AM3 goes encrypted and charon takes it;
#  2. charon initiating, ikemond answering (aggressive = yes): QM_IDLE, ESTABLISHED;
#  3. ikemond answering with aggressive = no: charon's AM1 is refused with
#     NO-PROPOSAL-CHOSEN and charon gives up;
#  4. charon with another key: we cannot verify its HASH_R: key-mismatch at AG_INIT_EXCH;
#  5. a second charon without its aggressive-PSK switch answers our AM1 with
#     AUTHENTICATION-FAILED (charon 5.9: "Aggressive Mode PSK disabled for security
#     reasons"): our SA fails with "aggressive mode refused by the peer".
. "$(dirname "$0")/lib.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
iop_init 240

US=10.170.70.1
THEM=10.170.70.2
STRICT=10.170.71.2
PSK="aggr-interop-secret"

iop_pair "$US" "$THEM"
iop_netns_add strict
iop_link us "10.170.71.1/24" strict "$STRICT/24"

# $1: aggressive = yes|no for the responder side of peer charon
write_ikemond() {
	{
		iop_ikemond_head "$US:500, 10.170.71.1:500" "deleted_linger = 30" "stall_after = 2" \
			"qm_stall_after = 5"
		cat <<EOF2
[peer charon]
remote = $THEM
psk = "$PSK"
ike = aes128-sha256-modp2048
exchange = aggressive
aggressive = $1
auto = add
[peer strict]
remote = $STRICT
local = 10.170.71.1
psk = "$PSK"
ike = aes128-sha256-modp2048
exchange = aggressive
auto = add
EOF2
	} >"$IOP_DIR/ikemond.conf"
}

# $1 local address, $2 key
write_charon() {
	cat >"$IOP_DIR/charon-$1.swanctl.conf" <<EOF2
connections {
	ikemon {
		version = 1
		aggressive = yes
		local_addrs = $1
		remote_addrs = $3
		proposals = aes128-sha256-modp2048
		rekey_time = 0
		local {
			auth = psk
			id = $1
		}
		remote {
			auth = psk
			id = $3
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
		id-a = $1
		id-b = $3
		secret = "$2"
	}
}
EOF2
}

write_ikemond yes
write_charon "$THEM" "$PSK" "$US"
write_charon "$STRICT" "$PSK" 10.170.71.1
iop_charon_start charon them "	i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
iop_charon_load charon "$IOP_DIR/charon-$THEM.swanctl.conf"
iop_charon_start strict strict
iop_charon_load strict "$IOP_DIR/charon-$STRICT.swanctl.conf"
iop_ikemond_start

# 1. ikemond initiates Aggressive Mode
id=$(ctl initiate charon | iop_conn_of)
check "ikemond initiating: conn-id $id reaches QM_IDLE by Aggressive Mode" \
	iop_wait 10 "QM_IDLE" is "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' for s in sas)"
check "ikemond initiating: charon shows ESTABLISHED" iop_wait 5 "charon ESTABLISHED" iop_charon_established charon ikemon
check "charon parsed an AGGRESSIVE request and took our encrypted AM3" \
	grep -q "parsed AGGRESSIVE request 0 \[ HASH" "$(iop_charon_dir charon)/charon.log"
check "ikemond's log shows AG_INIT_EXCH -> AG_AUTH -> QM_IDLE" \
	bash -c "grep -q 'conn-id $id peer charon: AG_INIT_EXCH -> AG_AUTH' $IOP_DIR/ikemond.log && grep -q 'conn-id $id peer charon: AG_AUTH -> QM_IDLE' $IOP_DIR/ikemond.log"
ctl clear crypto isakmp >/dev/null
iop_wait 5 "charon drops the SA" iop_charon_none_established charon

# 2. charon initiates Aggressive Mode
before=$(q "max([s['conn_id'] for s in sas] or [0])")
iop_charon_initiate charon --ike ikemon >/dev/null
check "charon initiating: ikemond answers and reaches QM_IDLE" \
	iop_wait 10 "responder QM_IDLE" is "any(s['conn_id']>$before and s['role']=='responder' and s['exchange']=='aggressive' and s['cisco_state']=='QM_IDLE' for s in sas)"
check "charon initiating: charon shows ESTABLISHED" iop_charon_established charon ikemon
check "ikemond responder path AG_NO_STATE -> AG_INIT_EXCH -> AG_AUTH" \
	bash -c "grep -q 'AG_NO_STATE -> AG_INIT_EXCH' $IOP_DIR/ikemond.log && grep -q 'AGGR_R1 -> AGGR_R2' $IOP_DIR/ikemond.log"
iop_swanctl charon --terminate --ike ikemon --timeout 5 >/dev/null 2>&1

# 3. ikemond with aggressive = no refuses charon's AM1
write_ikemond no
ctl reload >/dev/null || iop_fail "reload"
before=$(q "max([s['conn_id'] for s in sas] or [0])")
iop_charon_initiate charon --ike ikemon >/dev/null 2>&1
check "aggressive = no: ikemond refused charon's AM1 (no-proposal-chosen, aggressive = no)" \
	iop_wait 10 "refused" is "any(s['conn_id']>$before and s['delete_reason']=='no-proposal-chosen' and 'aggressive = no' in s['cause_detail'] for s in sas)"
check "aggressive = no: charon received NO_PROPOSAL_CHOSEN" \
	grep -q "NO_PROPOSAL_CHOSEN" "$(iop_charon_dir charon)/charon.log"
check "aggressive = no: charon has no ESTABLISHED IKE_SA" iop_charon_none_established charon

# 4. charon with another key: ikemond cannot verify HASH_R
write_charon "$THEM" "not-the-same-key" "$US"
iop_charon_load charon "$IOP_DIR/charon-$THEM.swanctl.conf" >/dev/null
id=$(ctl initiate charon | iop_conn_of)
check "wrong key: conn-id $id waits at AG_INIT_EXCH with key-mismatch (HASH_R)" \
	iop_wait 10 "key mismatch" is "any(s['conn_id']==$id and s['cisco_state']=='AG_INIT_EXCH' and s['last_cause']=='key-mismatch' and 'HASH_R' in s['cause_detail'] for s in sas)"
check "wrong key: the stall alarm names AG_INIT_EXCH and the key" \
	iop_wait 10 "alarm" grep -Eq "ALARM raised #[0-9]+ peer charon .*AG_INIT_EXCH for [0-9]+ s .*pre-shared key mismatch" "$IOP_DIR/ikemond.log"
check "wrong key: failed with key-mismatch" \
	iop_wait 15 "failed" is "any(s['conn_id']==$id and s['delete_reason']=='key-mismatch' for s in sas)"

# 5. a charon without the aggressive-PSK switch
id=$(ctl initiate strict | iop_conn_of)
iop_wait 15 "strict charon's answer" is "any(s['conn_id']==$id and s['cisco_state']!='AG_INIT_EXCH' or s['conn_id']==$id and s['status']!='ACTIVE' for s in sas)"
echo "# strict charon: $(q "[(s['cisco_state'], s['status'], s['delete_reason'], s['cause_detail']) for s in sas if s['conn_id']==$id]")"
echo "# strict charon log: $(grep -i -m2 -e 'aggressive' -e 'notify' "$(iop_charon_dir strict)/charon.log" | tr '\n' ' ')"
check "no switch: charon refuses (its log says Aggressive Mode PSK is disabled)" \
	grep -qi "Aggressive Mode PSK disabled" "$(iop_charon_dir strict)/charon.log"
check "no switch: charon answered AUTHENTICATION-FAILED" \
	grep -q "N(AUTH_FAILED)" "$(iop_charon_dir strict)/charon.log"
check "no switch: our SA fails: aggressive mode refused by the peer: AUTHENTICATION-FAILED" \
	is "any(s['conn_id']==$id and s['delete_reason']=='peer-error-notify' and s['cause_detail']=='aggressive mode refused by the peer: AUTHENTICATION-FAILED' for s in sas)"

check "no key in ikemond's log" bash -c "! grep -q -e '$PSK' -e not-the-same-key $IOP_DIR/ikemond.log"

iop_checks_done
