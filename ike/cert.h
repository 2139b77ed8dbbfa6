/*
 * cert.h - X.509 credentials for signature authentication (RFC 2409 5.1, RFC 4754):
 * a peer's own certificate and private key, the CAs that peer's certificates must chain
 * to and the CRLs that revoke them; and the checks of a certificate a peer sends.
 *
 * OpenSSL 3 underneath.  Nothing here reads files or logs: the agent reads the files
 * (checking the private key's mode) and hands over their text, PEM or DER.  Credentials
 * are immutable once finished and reference counted: the configuration and the engine's
 * copy of it share them.  The private key never leaves this module; OpenSSL frees its
 * components with their memory cleared.
 */
#ifndef IKE_CERT_H
#define IKE_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "causes.h"

#define IKE_CERT_SUBJECT_MAX 255 /* a subject as text, as an identity's value */
#define IKE_CREDS_MAX_OWN    8   /* our certificate and the intermediates that follow it */
#define IKE_CREDS_MAX_CAS    32
#define IKE_CREDS_MAX_CRLS   32
#define IKE_CERT_DER_MAX     16384 /* one certificate as we send or take it */

struct ike_creds;

/* ---- building (the agent, at configuration time) ---- */

struct ike_creds *ike_creds_new(void);
/*
 * Add certificates from text (PEM, any number; or one DER): our own certificate first,
 * then intermediates we send with it.  what names the source in messages ("cert
 * /etc/x.pem").  0, or -1 with err.
 */
int ike_creds_add_own(struct ike_creds *c, const void *text, size_t len, const char *what,
                      char *err, size_t errlen);
/* The same for trusted CA certificates and for CRLs. */
int ike_creds_add_cas(struct ike_creds *c, const void *text, size_t len, const char *what,
                      char *err, size_t errlen);
int ike_creds_add_crls(struct ike_creds *c, const void *text, size_t len, const char *what,
                       char *err, size_t errlen);
/* Our private key (PEM or DER, unencrypted).  The caller wipes its text. */
int ike_creds_set_key(struct ike_creds *c, const void *text, size_t len, const char *what,
                      char *err, size_t errlen);
/*
 * Check and seal: a certificate, a key that belongs to it and can sign (RSA of 1024
 * bits or more, ECDSA P-256, P-384 or P-521), at least one CA.  0, or -1 with err.
 */
int ike_creds_finish(struct ike_creds *c, char *err, size_t errlen);

/* Another reference (c may be NULL); dropping the last frees them. */
struct ike_creds *ike_creds_ref(struct ike_creds *c);
void ike_creds_unref(struct ike_creds *c);

/* Whether a and b hold the same certificates, key and CAs (CRLs aside; NULLs equal). */
bool ike_creds_same(const struct ike_creds *a, const struct ike_creds *b);

/* ---- use ---- */

/* The auth method our key signs with: IKE_AUTH_RSA_SIG, IKE_AUTH_ECDSA_256/384/521. */
uint16_t ike_creds_auth(const struct ike_creds *c);
/* Our certificate's subject as text ("C=CH, O=Example, CN=gw1"). */
const char *ike_creds_subject(const struct ike_creds *c);
/* Its DER encoding (for an identity of type DER_ASN1_DN). */
const uint8_t *ike_creds_subject_der(const struct ike_creds *c, size_t *len);

/* The certificates loaded, for the views: ours, the intermediates, then the CAs. */
struct ike_cert_info {
	const char *role; /* "local", "intermediate", "ca" */
	char subject[IKE_CERT_SUBJECT_MAX + 1];
	time_t not_before, not_after;
};
size_t ike_creds_count(const struct ike_creds *c);
const struct ike_cert_info *ike_creds_info(const struct ike_creds *c, size_t i);

/* Our certificates in DER for CERT payloads (0: ours, then intermediates); NULL past. */
const uint8_t *ike_creds_own_der(const struct ike_creds *c, size_t i, size_t *len);
/* The subjects of our CAs in DER for CERTREQ payloads; NULL past the last. */
const uint8_t *ike_creds_ca_name_der(const struct ike_creds *c, size_t i, size_t *len);

/* Sign HASH_I or HASH_R with our key (sig.h's formats).  0 and *len, or -1. */
int ike_creds_sign(const struct ike_creds *c, const uint8_t *hash, size_t hash_len, uint8_t *sig,
                   size_t cap, size_t *len);

/*
 * Why a peer may have refused our certificate, as far as this end can tell at time now:
 * CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_REVOKED (by a CRL we hold), CERT_ID_MISMATCH
 * (the identity we send, type and data as in our ID payload, is not in it), or NONE.
 */
enum ike_cause ike_creds_self_check(const struct ike_creds *c, time_t now, uint8_t id_type,
                                    const uint8_t *id, size_t id_len, char *detail, size_t len);

/* ---- a certificate the peer sent (cert_check.c) ---- */

struct ike_cert;

/* Parse a DER certificate; NULL when it does not parse. */
struct ike_cert *ike_cert_parse(const uint8_t *der, size_t len);
void ike_cert_free(struct ike_cert *x);

/*
 * Verify ee, with the untrusted intermediates chain[0..n-1], up to one of trust's CAs,
 * checking trust's CRLs (a CA without a CRL is not checked; a CRL past its next update
 * is still used) at time at (0: now).  NONE, or CERT_UNTRUSTED, CERT_EXPIRED,
 * CERT_NOT_YET_VALID or CERT_REVOKED with a short reason in detail.
 */
enum ike_cause ike_cert_verify(const struct ike_creds *trust, const struct ike_cert *ee,
                               struct ike_cert *const *chain, size_t n, time_t at, char *detail,
                               size_t len);

/*
 * Whether an identity (type and data as in an ID payload) is in the certificate: IPV4 and
 * IPV6 addresses, FQDN and USER_FQDN as subjectAltName entries (names without regard to
 * case), DER_ASN1_DN as the subject.  Other types never are.
 */
bool ike_cert_has_id(const struct ike_cert *x, uint8_t type, const uint8_t *data, size_t len);

/* 0 when sig is the certificate key's signature of hash for method; -1 otherwise. */
int ike_cert_verify_sig(const struct ike_cert *x, uint16_t method, const uint8_t *hash,
                        size_t hash_len, const uint8_t *sig, size_t sig_len);

/* The auth method the certificate's key signs with (0: none we support). */
uint16_t ike_cert_auth(const struct ike_cert *x);

/* The subject as text into buf (cut to fit, ending in "..."). */
void ike_cert_subject(const struct ike_cert *x, char *buf, size_t len);

/* ---- distinguished names as text: "C=CH, O=Example, CN=gw1" ---- */

/*
 * DER Name to text: "SN=value" in the order of the encoding, ", " between them, a ','
 * or '\' in a value escaped with '\', anything but printable ASCII as '?'.  0, or -1
 * when it does not parse or does not fit (out then holds what fit, ending in "...").
 */
int ike_dn_to_text(const uint8_t *der, size_t len, char *out, size_t cap);
/*
 * Text to DER: "C=CH, O=Example, CN=gw1" (',' inside a value as "\,"), or the
 * slash form "/C=CH/O=Example/CN=gw1"; attribute names as OpenSSL knows them (C, ST, L,
 * O, OU, CN, emailAddress or E, DC, serialNumber ...).  0 and *len, or -1.
 */
int ike_dn_from_text(const char *text, uint8_t *der, size_t cap, size_t *len);
/* The text of a DN as ike_dn_to_text writes it (0), or -1 when text is no DN. */
int ike_dn_canonical(const char *text, char *out, size_t cap);
/* Whether two DNs given as text are the same name (X509_NAME_cmp: case-insensitive). */
bool ike_dn_text_equal(const char *a, const char *b);

#endif /* IKE_CERT_H */
