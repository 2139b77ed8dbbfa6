/*
 * causes.c - the cause table.  Identifiers are API: metric labels, JSON and the MIB's
 * enumeration depend on them, so rows are only ever added.
 */
#include <string.h>

#include "causes.h"

static const struct ike_cause_info causes[IKE_CAUSE_COUNT] = {
    {IKE_CAUSE_NONE, "none", "no failure", ""},
    {IKE_CAUSE_PEER_SILENT, "peer-silent", "no reply from the peer",
     "check that the peer is up, that UDP 500/4500 reach it and that it has a "
     "configuration for this address"},
    {IKE_CAUSE_NO_PROPOSAL_CHOSEN, "no-proposal-chosen", "no acceptable proposal",
     "the IKE proposals (encryption, hash, DH group) of both ends share nothing; "
     "align them (Aggressive Mode: or the responder does not allow it)"},
    {IKE_CAUSE_KEY_MISMATCH, "key-mismatch", "pre-shared key mismatch",
     "the pre-shared keys differ; check both ends"},
    {IKE_CAUSE_ID_MISMATCH, "id-mismatch", "identity mismatch",
     "the identities sent do not match what the other end expects; check local_id "
     "and remote_id on both ends"},
    {IKE_CAUSE_INVALID_COOKIE, "invalid-cookie", "message for an unknown SA",
     "the peer uses an SA this end no longer has (one side restarted); it should "
     "renegotiate"},
    {IKE_CAUSE_MALFORMED, "malformed", "malformed messages",
     "the peer sends messages that cannot be parsed; check for an incompatible "
     "implementation or a middlebox that alters UDP 500"},
    {IKE_CAUSE_DELETED_BY_PEER, "deleted-by-peer", "deleted by the peer",
     "the peer sent a DELETE; see its logs for why"},
    {IKE_CAUSE_RETRY_LIMIT, "retry-limit", "retransmission limit reached",
     "the peer stopped answering during the exchange; check reachability and the "
     "peer's logs"},
    {IKE_CAUSE_PEER_NOTIFY, "peer-error-notify", "the peer sent an error notify",
     "the peer refused the exchange; the notify type says why"},
    {IKE_CAUSE_INVALID_KE, "invalid-key-exchange", "unusable key exchange data",
     "the peer's Diffie-Hellman value is invalid; check the DH groups of both ends"},
    {IKE_CAUSE_NO_CONFIG, "no-config", "no configuration for the peer",
     "a peer contacted this end from an address no [peer] section matches; add one "
     "or check the peer's address"},
    {IKE_CAUSE_CLEARED, "cleared", "cleared by the operator", "ikemonctl clear was run"},
    {IKE_CAUSE_SHUTDOWN, "shutdown", "ikemond stopped", "ikemond was stopped"},
    {IKE_CAUSE_EXPIRED, "expired", "lifetime expired",
     "the SA reached its lifetime and was not renewed"},
    {IKE_CAUSE_CONFIG_REMOVED, "config-removed", "peer removed or changed",
     "the peer was removed or changed in the configuration"},
    {IKE_CAUSE_INTERNAL, "internal-error", "local failure",
     "a local error (crypto library, memory); see ikemond's log"},
    {IKE_CAUSE_REPLACED, "replaced", "replaced by a newer SA",
     "a newer SA to the same peer took over"},
    {IKE_CAUSE_P2_NO_PROPOSAL, "p2-no-proposal-chosen", "no acceptable phase-2 proposal",
     "the ESP transforms (encryption, integrity, mode) of both ends share nothing; align "
     "the transform sets"},
    {IKE_CAUSE_PFS_MISMATCH, "pfs-mismatch", "PFS mismatch",
     "one end requires PFS (or another DH group for it) and the other does not; align the "
     "PFS setting (esp = ...-modpNNNN)"},
    {IKE_CAUSE_PROXY_ID_MISMATCH, "proxy-id-mismatch", "proxy identities refused",
     "the protected networks (local_ts/remote_ts, the crypto ACL) of both ends do not "
     "mirror each other"},
    {IKE_CAUSE_QM_SILENT, "qm-peer-silent", "no reply in Quick Mode",
     "the peer's IKE SA is up but it does not answer Quick Mode; check its phase-2 "
     "configuration and logs"},
    {IKE_CAUSE_CERT_UNTRUSTED, "cert-untrusted", "certificate not trusted",
     "the certificate does not chain to a CA the other end trusts; check the ca file of "
     "the verifying end and the issuer of the certificate"},
    {IKE_CAUSE_CERT_EXPIRED, "cert-expired", "certificate expired",
     "a certificate of the chain is past its expiry date (or the clocks differ); renew it "
     "and check both ends' clocks"},
    {IKE_CAUSE_CERT_NOT_YET_VALID, "cert-not-yet-valid", "certificate not yet valid",
     "a certificate of the chain is not valid yet; check the clocks of both ends and the "
     "certificate's start date"},
    {IKE_CAUSE_CERT_REVOKED, "cert-revoked", "certificate revoked",
     "the certificate is listed in a CRL of the verifying end; issue a new certificate"},
    {IKE_CAUSE_CERT_ID_MISMATCH, "cert-id-mismatch", "identity not in the certificate",
     "the identity sent (local_id, by default the address) is neither the certificate's "
     "subject nor one of its subjectAltNames; align local_id with the certificate"},
    {IKE_CAUSE_BAD_SIGNATURE, "bad-signature", "signature does not verify",
     "the signature does not match the certificate's public key; check that key and cert "
     "belong together and that both ends use the same auth method"},
    {IKE_CAUSE_NO_CERTIFICATE, "no-certificate", "no certificate received",
     "the peer authenticates with a signature but sent no certificate; make it send one "
     "(send_cert, or answer our certificate request)"},
    {IKE_CAUSE_PEER_DEAD, "peer-dead", "dead peer (DPD)",
     "the peer answered no R-U-THERE for dpd_timeout seconds: it is down, unreachable, or "
     "lost the SA; check the peer and the path (UDP 500/4500)"},
    {IKE_CAUSE_INITIAL_CONTACT, "initial-contact", "the peer restarted (INITIAL-CONTACT)",
     "the peer negotiated a new SA with INITIAL-CONTACT: it restarted and lost its old SAs, "
     "which were dropped here; check why it restarted"},
};

const struct ike_cause_info *ike_cause_info(enum ike_cause cause)
{
	if ((unsigned)cause >= IKE_CAUSE_COUNT)
		return &causes[IKE_CAUSE_NONE];
	return &causes[cause];
}

const char *ike_cause_id(enum ike_cause cause)
{
	return ike_cause_info(cause)->id;
}

int ike_cause_from_id(const char *id)
{
	for (int i = 0; i < IKE_CAUSE_COUNT; i++)
		if (strcmp(causes[i].id, id) == 0)
			return i;
	return -1;
}
