#!/bin/bash
# charon_aggressive_certs.sh - ikemond against strongSwan's charon in IKEv1 Aggressive
# Mode with signatures (RFC 2409 5.1, RFC 4754), each in a network namespace of this
# test's own (named am-*, addresses in 10.190.0.0/16).  charon does Aggressive Mode with
# pubkey authentication without its aggressive-PSK switch (that one is for PSK only):
# the connection says `aggressive = yes`.  Certificates are made here with the openssl
# command line (tests/integration/pki.sh).
#
#  1. RSA (PKCS#1 v1.5 over the raw HASH) and ECDSA-256 (r|s over an HMAC-SHA-256 HASH),
#     ikemond initiating (exchange = aggressive), then charon initiating (ikemond with
#     aggressive = yes): QM_IDLE on our side by Aggressive Mode with the auth method and
#     charon's certificate subject in the SA record, the Cisco states AG_INIT_EXCH ->
#     AG_AUTH -> QM_IDLE, ESTABLISHED in `swanctl --list-sas`, charon's log saying it
#     parsed Aggressive Mode with certificates and which signature scheme verified ours;
#  2. charon's certificate from a CA we do not trust: we refuse its AM2 (cert-untrusted);
#     charon gets our notify but only queues it (its Aggressive Mode waits for AM3) and
#     gives up after its retransmissions;
#  3. our certificate from a CA charon does not trust: charon refuses our AM3 with a
#     DELETE of the ISAKMP SA, no notify; we, up for an instant, take a DELETE right
#     after our AM3 for a refusal: cert-untrusted.
#
# IOP_KEEP=1 keeps the logs and certificates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../integration/pki.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
command -v openssl >/dev/null 2>&1 || iop_skip "needs the openssl command (scripts/deps)"
IOP_TAG="am-$$" # the namespaces: am-PID-us, am-PID-them
iop_init 300

US=10.190.0.1
THEM=10.190.0.2

P=$IOP_DIR/pki
iop_pki "$P" "$US" "$THEM"

iop_pair "$US" "$THEM"

# write_ikemond CERTNAME: our side, with CERTNAME.pem/.key, Aggressive Mode both ways
write_ikemond() {
	iop_ikemond_cert_conf "$US:500" "$THEM" "$P/$1" "$P/Test CA/ca.pem" "exchange = aggressive
aggressive = yes
auto = add" "deleted_linger = 10" "stall_after = 5" "qm_stall_after = 5"
}

# write_charon CERTNAME: charon's side, Aggressive Mode with pubkey authentication
write_charon() {
	iop_charon_pubkey_conf "$IOP_DIR/charon" "$P/$1.pem" "$P/$1.key" "$P/Test CA/ca.pem" \
		"$THEM" "$US" "$THEM" "$US" "aggressive = yes"
}

CLOG=$(iop_charon_dir charon)/charon.log
log_lines() { wc -l <"$CLOG"; }
charon_log_from() { tail -n +"$1" "$CLOG" | tr -d '\000'; }
charon_log_has() { charon_log_from "$1" | grep -aq "$2"; }

write_ikemond ikemon-rsa
write_charon charon-rsa
iop_charon_start charon them # without i_dont_care_about_security_and_use_aggressive_mode_psk
iop_charon_reload charon "$IOP_DIR/charon/swanctl.conf"
iop_ikemond_start

# 1. RSA and ECDSA, both directions
for kind in rsa ecdsa; do
	if [ $kind = rsa ]; then auth=rsa-sig; scheme=RSA_EMSA_PKCS1_NULL; else auth=ecdsa-256; scheme=ECDSA_WITH_NULL; fi
	write_ikemond ikemon-$kind
	iop_ikemond_reload
	write_charon charon-$kind
	iop_charon_reload charon "$IOP_DIR/charon/swanctl.conf"
	mark=$(log_lines)
	id=$(ctl initiate charon | iop_conn_of)
	check "$kind, ikemond initiating: conn-id $id reaches QM_IDLE" wait_qm_idle "$id"
	check "$kind, ikemond initiating: by Aggressive Mode, auth $auth, charon's subject in the SA record" \
		is "any(s['conn_id']==$id and s['exchange']=='aggressive' and s['transform']['auth_name']=='$auth' and s['peer_cert_subject']=='C=CH, O=ikemon test, CN=charon-$kind' for s in sas)"
	check "$kind, ikemond initiating: AG_INIT_EXCH -> AG_AUTH -> QM_IDLE in our log" \
		bash -c "grep -q 'conn-id $id peer charon: AG_INIT_EXCH -> AG_AUTH' '$IOP_DIR/ikemond.log' && grep -q 'conn-id $id peer charon: AG_AUTH -> QM_IDLE' '$IOP_DIR/ikemond.log'"
	check "$kind, ikemond initiating: charon shows ESTABLISHED" \
		iop_wait 5 "charon ESTABLISHED" iop_charon_established charon ikemon
	check "$kind, ikemond initiating: charon parsed our AM1 with a CERTREQ" \
		charon_log_has "$mark" "parsed AGGRESSIVE request 0 \[ SA KE No ID CERTREQ"
	check "$kind, ikemond initiating: charon parsed our AM3 with CERT and SIG" \
		charon_log_has "$mark" "parsed AGGRESSIVE request 0 \[ CERT SIG"
	check "$kind, ikemond initiating: charon verified our signature with $scheme" \
		charon_log_has "$mark" "authentication of '$US' with $scheme successful"
	ctl clear crypto isakmp >/dev/null
	iop_wait 5 "charon drops the SA" iop_charon_none_established charon

	mark=$(log_lines)
	before=$(q "max([s['conn_id'] for s in sas] or [0])")
	iop_charon_initiate charon --ike ikemon >/dev/null
	check "$kind, charon initiating: ikemond answers by Aggressive Mode and reaches QM_IDLE with $auth" \
		iop_wait 10 "ikemond responder QM_IDLE" is "any(s['conn_id']>$before and s['role']=='responder' and s['exchange']=='aggressive' and s['cisco_state']=='QM_IDLE' and s['transform']['auth_name']=='$auth' and 'CN=charon-$kind' in s['peer_cert_subject'] for s in sas)"
	check "$kind, charon initiating: charon shows ESTABLISHED" iop_charon_established charon ikemon
	check "$kind, charon initiating: charon parsed our AM2 with CERT and SIG" \
		charon_log_has "$mark" "parsed AGGRESSIVE response 0 \[ .*CERT.*SIG"
	check "$kind, charon initiating: charon verified our signature with $scheme" \
		charon_log_has "$mark" "authentication of '$US' with $scheme successful"
	iop_swanctl charon --terminate --ike ikemon --timeout 5 >/dev/null 2>&1
done
check "ikemond warns that Aggressive Mode sends the identities in the clear" \
	grep -q "peer charon: aggressive = yes: Aggressive Mode sends both identities and certificates in the clear" "$IOP_DIR/ikemond.log"
check "charon did not need its aggressive-PSK switch" bash -c "! grep -aqi 'Aggressive Mode PSK disabled' '$CLOG'"

# 2. charon's certificate from a CA we do not trust: we refuse its AM2
write_ikemond ikemon-rsa
iop_ikemond_reload
write_charon charon-other
cp "$P/Other CA/ca.pem" "$IOP_DIR/charon/x509ca/other.pem"
iop_charon_reload charon "$IOP_DIR/charon/swanctl.conf"
mark=$(log_lines)
id=$(ctl initiate charon | iop_conn_of)
check "charon's certificate from another CA: we refuse its AM2 with cert-untrusted" \
	iop_wait 10 "cert-untrusted" is "any(s['conn_id']==$id and s['delete_reason']=='cert-untrusted' and 'CN=charon-other' in s['peer_cert_subject'] for s in sas)"
echo "# our cause: $(q "[(s['cisco_state'], s['delete_reason'], s['cause_detail']) for s in sas if s['conn_id']==$id]")"
check "charon received our notify (an INFORMATIONAL it queues while it waits for AM3)" \
	iop_wait 5 "charon got the notify" charon_log_has "$mark" "queueing INFORMATIONAL_V1 request"
check "charon did not establish" test "$(iop_charon_ike_state charon ikemon)" != ESTABLISHED

# 3. our certificate from a CA charon does not trust: charon refuses our AM3
write_ikemond ikemon-other
iop_ikemond_reload
write_charon charon-rsa
iop_charon_reload charon "$IOP_DIR/charon/swanctl.conf"
mark=$(log_lines)
id=$(ctl initiate charon | iop_conn_of)
iop_wait 15 "our SA gives up" is "any(s['conn_id']==$id and s['status']!='ACTIVE' for s in sas)"
echo "# charon says: $(charon_log_from "$mark" | grep -E "issuer|trusted|authentication|notify|AUTH" | head -n 8 | cut -c10- | tr '\n' '|')"
echo "# our cause: $(q "[(s['cisco_state'], s['last_cause'], s['cause_detail'], s['delete_reason']) for s in sas if s['conn_id']==$id]")"
check "charon refused our AM3 with a DELETE of the ISAKMP SA" charon_log_has "$mark" "sending DELETE for IKE_SA"
check "our certificate refused by charon: cert-untrusted on our side (DELETE after our AM3)" \
	is "any(s['conn_id']==$id and s['delete_reason']=='cert-untrusted' and 'DELETE after our AM3' in s['cause_detail'] for s in sas)"
check "charon did not establish" test "$(iop_charon_ike_state charon ikemon)" != ESTABLISHED

iop_checks_done
