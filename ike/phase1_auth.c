/*
 * phase1_auth.c - the authentication of phase 1 (RFC 2409 5, 5.1; RFC 4754), what Main
 * Mode's MM5 and MM6 carry after the key exchange:
 *
 *   pre-shared key   IDx, HASH_x
 *   signatures       IDx, [CERT ...], SIG_x     SIG_x: the signature of HASH_x
 *
 *   HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 *   HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 *
 * and the certificate requests of MM3 / MM4 (one per CA we trust).  The checks of the
 * peer's payloads give each way to fail a cause of its own, the notify that tells the
 * peer, and the detail the views show.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cert.h"
#include "crypto.h"
#include "exchange.h"
#include "ike.h"
#include "sig.h"

uint16_t phase1_auth_hash(uint16_t auth)
{
	switch (auth) {
	case IKE_AUTH_ECDSA_256:
		return IKE_HASH_SHA2_256;
	case IKE_AUTH_ECDSA_384:
		return IKE_HASH_SHA2_384;
	case IKE_AUTH_ECDSA_521:
		return IKE_HASH_SHA2_512;
	default:
		return 0; /* the negotiated hash */
	}
}

const char *phase1_auth_name(uint16_t auth)
{
	switch (auth) {
	case IKE_AUTH_PSK:
		return "psk";
	case IKE_AUTH_DSS:
		return "dss";
	case IKE_AUTH_RSA_SIG:
		return "rsa-sig";
	case IKE_AUTH_ECDSA_256:
		return "ecdsa-256";
	case IKE_AUTH_ECDSA_384:
		return "ecdsa-384";
	case IKE_AUTH_ECDSA_521:
		return "ecdsa-521";
	default:
		return "other";
	}
}

const char *phase1_auth_refusal(uint16_t theirs, const struct ike_peer_cfg *p, char *buf,
                                size_t len)
{
	snprintf(buf, len, "refused by us: the peer offers auth %s, we use %s",
	         phase1_auth_name(theirs), phase1_auth_name(ike_peer_auth(p)));
	return buf;
}

/* HASH_I or HASH_R: ours (the one we send) or the peer's, over the ID payload body idb. */
static int auth_hash(const struct ike_sa *sa, bool ours, const uint8_t *idb, size_t idb_len,
                     uint8_t *out)
{
	const struct ike_exchange *x = sa->x;
	bool hash_i = (sa->role == IKE_ROLE_INITIATOR) == ours;

	return ike_p1_hash(&x->keys, hash_i ? x->gxi : x->gxr, x->g_len, hash_i ? x->gxr : x->gxi,
	                   x->g_len, hash_i ? sa->icookie : sa->rcookie,
	                   hash_i ? sa->rcookie : sa->icookie, x->sai_b, x->sai_len, idb, idb_len,
	                   out);
}

static void put_cert_payload(struct msg_builder *b, uint8_t type, const uint8_t *data, size_t len)
{
	size_t off = msg_payload_begin(b, type);

	msg_put_u8(b, ISAKMP_CERT_X509_SIG);
	msg_put(b, data, len);
	msg_payload_end(b, off);
}

void phase1_put_certreq(struct msg_builder *b, const struct ike_peer_cfg *p)
{
	const uint8_t *name;
	size_t len;

	if (p->creds == NULL)
		return;
	for (size_t i = 0; (name = ike_creds_ca_name_der(p->creds, i, &len)) != NULL; i++)
		put_cert_payload(b, ISAKMP_NP_CR, name, len);
}

static bool send_cert_now(const struct ike_sa *sa, const struct ike_peer_cfg *p)
{
	if (p->send_cert == IKE_SEND_CERT_NEVER)
		return false;
	return p->send_cert == IKE_SEND_CERT_ALWAYS || sa->x->certreq_seen;
}

/* [CERT ...], SIG: our certificates (when they go) and the signature of hash. */
static int put_sig(struct msg_builder *b, const struct ike_sa *sa, const struct ike_peer_cfg *p,
                   const uint8_t *hash, size_t hash_len)
{
	uint8_t sig[IKE_SIG_MAX];
	const uint8_t *der;
	size_t len;

	if (p->creds == NULL || ike_creds_auth(p->creds) != sa->xf.auth)
		return -1;
	if (send_cert_now(sa, p))
		for (size_t i = 0; (der = ike_creds_own_der(p->creds, i, &len)) != NULL; i++)
			put_cert_payload(b, ISAKMP_NP_CERT, der, len);
	if (ike_creds_sign(p->creds, hash, hash_len, sig, sizeof(sig), &len) != 0)
		return -1;
	msg_payload(b, ISAKMP_NP_SIG, sig, len);
	return 0;
}

int phase1_put_id(struct ike_sa_table *t, struct ike_sa *sa, const struct ike_peer_cfg *p,
                  struct msg_builder *b)
{
	uint8_t idb[4 + IKE_ID_WIRE_MAX];
	size_t idb_len = phase1_id_body(sa, p, true, idb, sizeof(idb));
	struct ike_id id;

	if (idb_len == 0 || phase1_id_decode(idb, idb_len, &id) != 0 ||
	    ike_sa_set_local_id(t, sa, &id) != 0)
		return -1;
	msg_payload(b, ISAKMP_NP_ID, idb, idb_len);
	return b->overflow ? -1 : 0;
}

int phase1_put_proof(struct ike_sa *sa, const struct ike_peer_cfg *p, struct msg_builder *b)
{
	uint8_t idb[4 + IKE_ID_WIRE_MAX], hash[IKE_MAX_HASH_LEN];
	size_t idb_len = phase1_id_body(sa, p, true, idb, sizeof(idb));
	size_t hash_len = ike_p1_hash_len(&sa->x->keys);
	int ret = -1;

	if (idb_len == 0 || hash_len == 0 || auth_hash(sa, true, idb, idb_len, hash) != 0)
		goto done;
	if (sa->xf.auth == IKE_AUTH_PSK)
		msg_payload(b, ISAKMP_NP_HASH, hash, hash_len);
	else if (put_sig(b, sa, p, hash, hash_len) != 0)
		goto done;
	ret = b->overflow ? -1 : 0;
done:
	OPENSSL_cleanse(hash, sizeof(hash));
	return ret;
}

int phase1_put_auth(struct ike_sa_table *t, struct ike_sa *sa, const struct ike_peer_cfg *p,
                    struct msg_builder *b)
{
	return phase1_put_id(t, sa, p, b) != 0 ? -1 : phase1_put_proof(sa, p, b);
}

/* ---- the peer's payloads ---- */

static enum ike_cause refuse(struct phase1_auth_result *r, enum ike_cause c, uint16_t notify,
                             const char *detail)
{
	r->cause = c;
	r->notify = notify;
	if (detail != NULL)
		snprintf(r->detail, sizeof(r->detail), "%s", detail);
	return c;
}

/* Pre-shared key: HASH, then the identity. */
static enum ike_cause check_hash(struct ike_sa *sa, const struct ike_peer_cfg *p,
                                 const struct isakmp_msg *m, const struct isakmp_payload *id,
                                 struct phase1_auth_result *r)
{
	const struct isakmp_payload *hp = isakmp_msg_find(m, ISAKMP_NP_HASH, NULL);
	uint8_t want[IKE_MAX_HASH_LEN];

	if (hp == NULL || hp->len != ike_p1_hash_len(&sa->x->keys))
		return refuse(r, IKE_CAUSE_KEY_MISMATCH, 0, NULL);
	if (auth_hash(sa, false, id->body, id->len, want) != 0)
		return refuse(r, IKE_CAUSE_INTERNAL, 0, "computing the peer's HASH");
	if (ike_memeq_ct(want, hp->body, hp->len) != 0)
		return refuse(r, IKE_CAUSE_KEY_MISMATCH, 0, NULL);
	if (!phase1_id_acceptable(sa, p, &r->got))
		return refuse(r, IKE_CAUSE_ID_MISMATCH, ISAKMP_N_INVALID_ID_INFORMATION, NULL);
	return IKE_CAUSE_NONE;
}

/* The peer's X.509 certificates, in order (the first is its own); how many. */
static size_t take_certs(const struct isakmp_msg *m, struct ike_cert **certs, size_t max,
                         bool *unparsable)
{
	const struct isakmp_payload *cp;
	struct isakmp_cert c;
	size_t from = 0, n = 0;

	*unparsable = false;
	while (n < max && (cp = isakmp_msg_find(m, ISAKMP_NP_CERT, &from)) != NULL) {
		if (isakmp_cert_parse(cp->body, cp->len, &c) != CODEC_OK ||
		    c.encoding != ISAKMP_CERT_X509_SIG)
			continue; /* CRLs and other encodings: not used */
		certs[n] = ike_cert_parse(c.data, c.len);
		if (certs[n] == NULL) {
			*unparsable = n == 0;
			if (n == 0)
				return 0;
			continue;
		}
		n++;
	}
	return n;
}

static uint16_t cert_notify(enum ike_cause c)
{
	return c == IKE_CAUSE_CERT_UNTRUSTED ? ISAKMP_N_INVALID_CERT_AUTHORITY
	                                     : ISAKMP_N_INVALID_CERTIFICATE;
}

/* Signatures: certificate, its chain, the identity in it, the signature, the identity. */
static enum ike_cause check_sig(struct ike_sa *sa, const struct ike_peer_cfg *p,
                                const struct isakmp_msg *m, const struct isakmp_payload *id,
                                struct ike_cert *const *certs, size_t n,
                                struct phase1_auth_result *r)
{
	const struct isakmp_payload *sp = isakmp_msg_find(m, ISAKMP_NP_SIG, NULL);
	uint8_t hash[IKE_MAX_HASH_LEN];
	struct isakmp_id raw;
	enum ike_cause c;

	ike_cert_subject(certs[0], r->subject, sizeof(r->subject));
	c = ike_cert_verify(p->creds, certs[0], certs + 1, n - 1, 0, r->detail, sizeof(r->detail));
	if (c != IKE_CAUSE_NONE)
		return refuse(r, c, cert_notify(c), NULL);
	if (isakmp_id_parse(id->body, id->len, &raw) != CODEC_OK ||
	    !ike_cert_has_id(certs[0], raw.type, raw.data, raw.len)) {
		snprintf(r->detail, sizeof(r->detail), "%.40s not in its certificate",
		         r->got.value);
		return refuse(r, IKE_CAUSE_CERT_ID_MISMATCH, ISAKMP_N_INVALID_ID_INFORMATION, NULL);
	}
	if (ike_cert_auth(certs[0]) != sa->xf.auth)
		return refuse(r, IKE_CAUSE_BAD_SIGNATURE, ISAKMP_N_INVALID_SIGNATURE,
		              "the certificate's key is not of the negotiated auth method");
	if (sp == NULL)
		return refuse(r, IKE_CAUSE_BAD_SIGNATURE, ISAKMP_N_INVALID_SIGNATURE,
		              "the peer sent no SIG");
	if (auth_hash(sa, false, id->body, id->len, hash) != 0)
		return refuse(r, IKE_CAUSE_INTERNAL, 0, "computing the peer's HASH");
	if (ike_cert_verify_sig(certs[0], sa->xf.auth, hash, ike_p1_hash_len(&sa->x->keys),
	                        sp->body, sp->len) != 0)
		return refuse(r, IKE_CAUSE_BAD_SIGNATURE, ISAKMP_N_INVALID_SIGNATURE,
		              "the peer's SIG does not verify with its certificate");
	if (!phase1_id_acceptable(sa, p, &r->got))
		return refuse(r, IKE_CAUSE_ID_MISMATCH, ISAKMP_N_INVALID_ID_INFORMATION, NULL);
	return IKE_CAUSE_NONE;
}

enum ike_cause phase1_check_auth(struct ike_sa *sa, const struct ike_peer_cfg *p,
                                 const struct isakmp_msg *m, struct phase1_auth_result *r)
{
	const struct isakmp_payload *id = isakmp_msg_find(m, ISAKMP_NP_ID, NULL);
	struct ike_cert *certs[IKE_CREDS_MAX_OWN] = {NULL};
	size_t n;
	bool unparsable;

	memset(r, 0, sizeof(*r));
	if (isakmp_msg_find(m, ISAKMP_NP_CR, NULL) != NULL)
		sa->x->certreq_seen = true;
	if (id == NULL || phase1_id_decode(id->body, id->len, &r->got) != 0)
		return refuse(
		    r, sa->xf.auth == IKE_AUTH_PSK ? IKE_CAUSE_KEY_MISMATCH : IKE_CAUSE_MALFORMED,
		    ISAKMP_N_PAYLOAD_MALFORMED, "the peer's ID payload");
	if (sa->xf.auth == IKE_AUTH_PSK)
		return check_hash(sa, p, m, id, r);
	if (p->creds == NULL)
		return refuse(r, IKE_CAUSE_INTERNAL, 0,
		              "signatures negotiated without credentials");
	n = take_certs(m, certs, IKE_CREDS_MAX_OWN, &unparsable);
	if (unparsable)
		refuse(r, IKE_CAUSE_CERT_UNTRUSTED, ISAKMP_N_INVALID_CERT_ENCODING,
		       "the peer's certificate does not parse");
	else if (n == 0)
		refuse(r, IKE_CAUSE_NO_CERTIFICATE, ISAKMP_N_CERTIFICATE_UNAVAILABLE,
		       "the peer sent no certificate");
	else
		check_sig(sa, p, m, id, certs, n, r);
	for (size_t i = 0; i < n; i++)
		ike_cert_free(certs[i]);
	return r->cause;
}

/* ---- the peer refused ours ---- */

enum ike_cause phase1_cert_refused(struct ike_engine *e, const struct ike_sa *sa, uint16_t notify,
                                   enum ike_cause guess, char *detail, size_t len)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	uint8_t idb[4 + IKE_ID_WIRE_MAX];
	size_t idb_len = p != NULL ? phase1_id_body(sa, p, true, idb, sizeof(idb)) : 0;
	char why[48];
	enum ike_cause c = IKE_CAUSE_NONE;

	/* what this end knows of its own certificate comes first */
	if (p != NULL && p->creds != NULL)
		c = ike_creds_self_check(p->creds, time(NULL), idb_len > 4 ? idb[0] : 0,
		                         idb_len > 4 ? idb + 4 : NULL,
		                         idb_len > 4 ? idb_len - 4 : 0, why, sizeof(why));
	if (c != IKE_CAUSE_NONE) {
		snprintf(detail, len, "%.24s: %s",
		         notify != 0 ? isakmp_notify_name(notify) : "DELETE", why);
		return c;
	}
	switch (notify) {
	case ISAKMP_N_INVALID_CERTIFICATE:
	case ISAKMP_N_INVALID_CERT_AUTHORITY:
	case ISAKMP_N_INVALID_CERT_ENCODING:
	case ISAKMP_N_CERT_TYPE_UNSUPPORTED:
	case ISAKMP_N_AUTHENTICATION_FAILED:
		return IKE_CAUSE_CERT_UNTRUSTED;
	case ISAKMP_N_INVALID_SIGNATURE:
		return IKE_CAUSE_BAD_SIGNATURE;
	case ISAKMP_N_CERTIFICATE_UNAVAILABLE:
		return IKE_CAUSE_NO_CERTIFICATE;
	default:
		return guess;
	}
}
