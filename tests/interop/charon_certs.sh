#!/bin/bash
# charon_certs.sh - ikemond against strongSwan's charon with certificates (IKEv1 Main
# Mode, signature authentication, RFC 2409 5.1 / RFC 4754), each in a network namespace
# of this test's own.  The certificates are made here with the openssl command line
# (tests/integration/pki.sh): one CA, an RSA and an ECDSA P-256 certificate for each side
# (subjectAltName: its address), and one from another CA.
#
#  1. RSA (auth method 3: PKCS#1 v1.5 over the raw HASH) and ECDSA-256 (method 9: r|s
#     over an HMAC-SHA-256 HASH), ikemond initiating, then charon initiating: QM_IDLE on
#     our side with the auth method and charon's certificate subject in the SA record,
#     ESTABLISHED in `swanctl --list-sas`, and charon's log saying which signature scheme
#     verified ours;
#  2. identities of type DER_ASN1_DN on both sides (the certificates' subjects);
#  3. charon's certificate from a CA we do not trust: our SA fails with cert-untrusted,
#     and charon learns it from our notify;
#  4. our certificate from a CA charon does not trust: charon refuses MM5; what it sends
#     and what we make of it is printed and checked (cert-untrusted).
#
# IOP_KEEP=1 keeps the logs and certificates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../integration/pki.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
command -v openssl >/dev/null 2>&1 || iop_skip "needs the openssl command (scripts/deps)"
iop_init 300

US=10.250.9.1
THEM=10.250.9.2

P=$IOP_DIR/pki
iop_pki "$P" "$US" "$THEM"
DN_US="C=CH, O=ikemon test, CN=ikemon-rsa"
DN_THEM="C=CH, O=ikemon test, CN=charon-rsa"

iop_pair "$US" "$THEM"

# write_ikemond CERTNAME [EXTRA LINES]: our side, with CERTNAME.pem/.key
write_ikemond() {
	iop_ikemond_cert_conf "$US:500" "$THEM" "$P/$1" "$P/Test CA/ca.pem" "auto = add
${2:-}" "deleted_linger = 5" "stall_after = 5" "qm_stall_after = 5"
}

# write_charon CERTNAME [LOCAL_ID] [REMOTE_ID]: charon's side (swanctl.conf, x509/,
# x509ca/, private/ beside it)
write_charon() {
	iop_charon_pubkey_conf "$IOP_DIR/charon" "$P/$1.pem" "$P/$1.key" "$P/Test CA/ca.pem" \
		"$THEM" "$US" "${2:-$THEM}" "${3:-$US}"
}

charon_reload() { iop_charon_reload charon "$IOP_DIR/charon/swanctl.conf"; }
ikemond_reload() { iop_ikemond_reload; }

CLOG=$(iop_charon_dir charon)/charon.log
# charon's log from line $1 on (charon appends: the log is never cut under its feet)
charon_log_from() { tail -n +"$1" "$CLOG" | tr -d '\000'; }
log_lines() { wc -l <"$CLOG"; }

write_ikemond ikemon-rsa
write_charon charon-rsa
iop_charon_start charon them
charon_reload
iop_ikemond_start

# 1. RSA and ECDSA, both directions
for kind in rsa ecdsa; do
	if [ $kind = rsa ]; then auth=rsa-sig; scheme=RSA_EMSA_PKCS1_NULL; else auth=ecdsa-256; scheme=ECDSA_WITH_NULL; fi
	write_ikemond ikemon-$kind
	ikemond_reload
	write_charon charon-$kind
	charon_reload
	mark=$(log_lines)
	id=$(ctl initiate charon | iop_conn_of)
	check "$kind, ikemond initiating: conn-id $id reaches QM_IDLE" wait_qm_idle "$id"
	check "$kind, ikemond initiating: auth $auth, charon's subject in the SA record" \
		is "any(s['conn_id']==$id and s['transform']['auth_name']=='$auth' and s['peer_cert_subject']=='C=CH, O=ikemon test, CN=charon-$kind' for s in sas)"
	check "$kind, ikemond initiating: charon shows ESTABLISHED" \
		iop_wait 5 "charon ESTABLISHED" iop_charon_established charon ikemon
	check "$kind: charon verified our signature with $scheme" \
		bash -c "tail -n +$mark '$CLOG' | grep -aq \"authentication of '$US' with $scheme successful\""
	ctl clear crypto isakmp >/dev/null
	iop_wait 5 "charon drops the SA" iop_charon_none_established charon

	before=$(q "max([s['conn_id'] for s in sas] or [0])")
	iop_charon_initiate charon --ike ikemon >/dev/null
	check "$kind, charon initiating: ikemond answers and reaches QM_IDLE with $auth" \
		iop_wait 10 "ikemond responder QM_IDLE" is "any(s['conn_id']>$before and s['role']=='responder' and s['cisco_state']=='QM_IDLE' and s['transform']['auth_name']=='$auth' and 'CN=charon-$kind' in s['peer_cert_subject'] for s in sas)"
	check "$kind, charon initiating: charon shows ESTABLISHED" iop_charon_established charon ikemon
	iop_swanctl charon --terminate --ike ikemon --timeout 5 >/dev/null 2>&1
done

# 2. DN identities (RSA)
write_ikemond ikemon-rsa "local_id = $DN_US
remote_id = $DN_THEM"
ikemond_reload
write_charon charon-rsa "$DN_THEM" "$DN_US"
charon_reload
id=$(ctl initiate charon | iop_conn_of)
check "DN identities: conn-id $id reaches QM_IDLE" wait_qm_idle "$id"
check "DN identities: both identities are der-asn1-dn, as printed" \
	is "any(s['conn_id']==$id and s['local_id']['type_name']=='der-asn1-dn' and s['local_id']['value']=='$DN_US' and s['remote_id']['value']=='$DN_THEM' for s in sas)"
check "DN identities: charon shows ESTABLISHED with our DN" \
	iop_wait 5 "charon ESTABLISHED" bash -c "STRONGSWAN_CONF=$(iop_charon_dir charon)/strongswan.conf swanctl --list-sas --uri unix://$(iop_charon_dir charon)/charon.vici 2>/dev/null | grep -q 'remote.*CN=ikemon-rsa'"

# 3. charon's certificate from a CA we do not trust
write_ikemond ikemon-rsa
ikemond_reload
write_charon charon-other
cp "$P/Other CA/ca.pem" "$IOP_DIR/charon/x509ca/other.pem"
charon_reload
id=$(ctl initiate charon | iop_conn_of)
check "charon's certificate from another CA: our SA fails with cert-untrusted" \
	iop_wait 10 "cert-untrusted" is "any(s['conn_id']==$id and s['delete_reason']=='cert-untrusted' and 'CN=charon-other' in s['peer_cert_subject'] for s in sas)"
echo "# our cause: $(q "[(s['last_cause'], s['cause_detail']) for s in sas if s['conn_id']==$id]")"
check "charon received our INVALID_CERT_AUTHORITY notify" \
	iop_wait 5 "charon got the notify" grep -aq "INVALID_CERT_AUTHORITY" "$CLOG"

# 4. our certificate from a CA charon does not trust
write_ikemond ikemon-other
ikemond_reload
write_charon charon-rsa
charon_reload
mark=$(log_lines)
id=$(ctl initiate charon | iop_conn_of)
iop_wait 15 "our SA gives up" is "any(s['conn_id']==$id and s['status']!='ACTIVE' for s in sas)"
echo "# charon says: $(charon_log_from "$mark" | grep -E "issuer|trusted|authentication|notify|AUTHENTICATION" | head -n 8 | cut -c10- | tr '\n' '|')"
echo "# our cause: $(q "[(s['last_cause'], s['cause_detail'], s['delete_reason']) for s in sas if s['conn_id']==$id]")"
check "our certificate refused by charon: cert-untrusted on our side" \
	is "any(s['conn_id']==$id and s['delete_reason']=='cert-untrusted' for s in sas)"
check "charon did not establish" test "$(iop_charon_ike_state charon ikemon)" != ESTABLISHED

iop_checks_done
