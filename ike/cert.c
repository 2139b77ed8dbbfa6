/*
 * cert.c - a peer's X.509 credentials (see cert.h): reading them from text, the checks
 * that seal them, reference counts, signing, and what the views and the CERT / CERTREQ
 * payloads need, made once when they are sealed.
 *
 * Why text and not file names: the engine does no I/O, and the agent checks the private
 * key file's mode on the descriptor it reads.  Why a reference count: a reload builds new
 * credentials while SAs negotiate with the old ones through the engine's copy of the
 * configuration; both go when their last user does.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike/cert_priv.h"
#include "ike/ike.h"
#include "ike/sig.h"

#define TEXT_MAX (4u << 20) /* the largest text we parse: 4 MiB (a big CRL) */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err != NULL && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return -1;
}

/* Encrypted keys are refused rather than prompted for: there is no terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

struct ike_creds *ike_creds_new(void)
{
	struct ike_creds *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->refs = 1;
	return c;
}

static BIO *text_bio(const void *text, size_t len)
{
	if (text == NULL || len == 0 || len > TEXT_MAX)
		return NULL;
	return BIO_new_mem_buf(text, (int)len);
}

/* Certificates from text into out[*n..max-1]: every PEM one, else a single DER one. */
static int read_certs(const void *text, size_t len, X509 **out, size_t max, size_t *n,
                      const char *what, char *err, size_t errlen)
{
	BIO *b = text_bio(text, len);
	const unsigned char *p = text;
	size_t got = 0;
	X509 *x;

	if (b == NULL)
		return fail(err, errlen, "%s: empty, too large or out of memory", what);
	while ((x = PEM_read_bio_X509(b, NULL, no_password, NULL)) != NULL) {
		if (*n == max) {
			X509_free(x);
			BIO_free(b);
			return fail(err, errlen, "%s: more than %zu certificates", what, max);
		}
		out[(*n)++] = x;
		got++;
	}
	BIO_free(b);
	ERR_clear_error();
	if (got > 0)
		return 0;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != (const unsigned char *)text + len || *n == max) {
		X509_free(x);
		return fail(err, errlen, "%s: no certificate (PEM or DER) in it", what);
	}
	out[(*n)++] = x;
	return 0;
}

int ike_creds_add_own(struct ike_creds *c, const void *text, size_t len, const char *what,
                      char *err, size_t errlen)
{
	if (c->sealed)
		return fail(err, errlen, "%s: credentials already sealed", what);
	return read_certs(text, len, c->own, IKE_CREDS_MAX_OWN, &c->n_own, what, err, errlen);
}

int ike_creds_add_cas(struct ike_creds *c, const void *text, size_t len, const char *what,
                      char *err, size_t errlen)
{
	if (c->sealed)
		return fail(err, errlen, "%s: credentials already sealed", what);
	return read_certs(text, len, c->ca, IKE_CREDS_MAX_CAS, &c->n_ca, what, err, errlen);
}

int ike_creds_add_crls(struct ike_creds *c, const void *text, size_t len, const char *what,
                       char *err, size_t errlen)
{
	BIO *b = text_bio(text, len);
	const unsigned char *p = text;
	size_t got = 0;
	X509_CRL *x;

	if (c->sealed || b == NULL) {
		BIO_free(b);
		return fail(err, errlen, "%s: empty, too large or out of memory", what);
	}
	while ((x = PEM_read_bio_X509_CRL(b, NULL, no_password, NULL)) != NULL) {
		if (c->n_crl == IKE_CREDS_MAX_CRLS) {
			X509_CRL_free(x);
			BIO_free(b);
			return fail(err, errlen, "%s: more than %d CRLs", what, IKE_CREDS_MAX_CRLS);
		}
		c->crl[c->n_crl++] = x;
		got++;
	}
	BIO_free(b);
	ERR_clear_error();
	if (got > 0)
		return 0;
	x = d2i_X509_CRL(NULL, &p, (long)len);
	if (x == NULL || p != (const unsigned char *)text + len || c->n_crl == IKE_CREDS_MAX_CRLS) {
		X509_CRL_free(x);
		return fail(err, errlen, "%s: no CRL (PEM or DER) in it", what);
	}
	c->crl[c->n_crl++] = x;
	return 0;
}

int ike_creds_set_key(struct ike_creds *c, const void *text, size_t len, const char *what,
                      char *err, size_t errlen)
{
	BIO *b;
	const unsigned char *p = text;
	EVP_PKEY *k;

	if (c->sealed || c->key != NULL)
		return fail(err, errlen, "%s: a private key is already set", what);
	b = text_bio(text, len);
	if (b == NULL)
		return fail(err, errlen, "%s: empty, too large or out of memory", what);
	k = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (k == NULL)
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	if (k == NULL)
		return fail(err, errlen, "%s: no unencrypted private key (PEM or DER) in it", what);
	c->key = k;
	return 0;
}

/* ---- sealing ---- */

/* Seconds since the epoch of an ASN.1 time; 0 when it cannot be read. */
static time_t asn1_time_t(const ASN1_TIME *t)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;
	time_t r = 0;

	if (epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, t) == 1)
		r = (time_t)days * 86400 + secs;
	ASN1_TIME_free(epoch);
	return r;
}

static void add_info(struct ike_creds *c, X509 *x, const char *role)
{
	struct ike_cert_info *i = &c->info[c->n_info++];

	i->role = role;
	ike_name_to_text(X509_get_subject_name(x), i->subject, sizeof(i->subject));
	i->not_before = asn1_time_t(X509_get0_notBefore(x));
	i->not_after = asn1_time_t(X509_get0_notAfter(x));
}

/* DER of a certificate or a name, malloc'd (OpenSSL's allocator); 0 on failure. */
static size_t der_of_cert(X509 *x, uint8_t **out)
{
	int n = i2d_X509(x, out);

	return n > 0 ? (size_t)n : 0;
}

static size_t der_of_name(const X509_NAME *name, uint8_t **out)
{
	int n = i2d_X509_NAME(name, out);

	return n > 0 ? (size_t)n : 0;
}

/* SHA-256 over our certificates, our public key and the CAs: what ike_creds_same compares. */
static int fingerprint(struct ike_creds *c)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *pub = NULL;
	unsigned int n = 0;
	int pub_len = i2d_PUBKEY(c->key, &pub), ok;

	ok = ctx != NULL && pub_len > 0 && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < c->n_own; i++)
		ok = EVP_DigestUpdate(ctx, c->own_der[i], c->own_der_len[i]) == 1;
	ok = ok && EVP_DigestUpdate(ctx, pub, (size_t)pub_len) == 1;
	for (size_t i = 0; ok && i < c->n_ca; i++) {
		uint8_t *der = NULL;
		size_t len = der_of_cert(c->ca[i], &der);

		ok = len > 0 && EVP_DigestUpdate(ctx, der, len) == 1;
		OPENSSL_free(der);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, c->fingerprint, &n) == 1 && n == 32;
	OPENSSL_free(pub);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* A CRL missing for a CA, or past its next update, does not fail a verification. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (ok)
		return ok;
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
		return 1;
	default:
		return 0;
	}
}

static int make_store(struct ike_creds *c)
{
	c->store = X509_STORE_new();
	if (c->store == NULL)
		return -1;
	for (size_t i = 0; i < c->n_ca; i++)
		if (X509_STORE_add_cert(c->store, c->ca[i]) != 1)
			return -1;
	for (size_t i = 0; i < c->n_crl; i++)
		if (X509_STORE_add_crl(c->store, c->crl[i]) != 1)
			return -1;
	if (c->n_crl > 0 &&
	    X509_STORE_set_flags(c->store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) != 1)
		return -1;
	X509_STORE_set_verify_cb(c->store, verify_cb);
	return 0;
}

static int make_encodings(struct ike_creds *c)
{
	for (size_t i = 0; i < c->n_own; i++) {
		c->own_der_len[i] = der_of_cert(c->own[i], &c->own_der[i]);
		if (c->own_der_len[i] == 0 || c->own_der_len[i] > IKE_CERT_DER_MAX)
			return -1;
		add_info(c, c->own[i], i == 0 ? "local" : "intermediate");
	}
	for (size_t i = 0; i < c->n_ca; i++) {
		c->ca_name_der_len[i] =
		    der_of_name(X509_get_subject_name(c->ca[i]), &c->ca_name_der[i]);
		if (c->ca_name_der_len[i] == 0)
			return -1;
		add_info(c, c->ca[i], "ca");
	}
	c->subject_der_len = der_of_name(X509_get_subject_name(c->own[0]), &c->subject_der);
	return c->subject_der_len == 0 ? -1 : 0;
}

int ike_creds_finish(struct ike_creds *c, char *err, size_t errlen)
{
	if (c->sealed)
		return 0;
	if (c->n_own == 0)
		return fail(err, errlen, "no certificate of our own (cert)");
	if (c->key == NULL)
		return fail(err, errlen, "no private key (key)");
	if (X509_check_private_key(c->own[0], c->key) != 1)
		return fail(err, errlen, "the private key does not belong to the certificate");
	c->auth = ike_sig_method(c->key);
	if (c->auth == 0)
		return fail(err, errlen,
		            "unsupported key: RSA of 1024 bits or more, or ECDSA on P-256, P-384 "
		            "or P-521");
	if (c->n_ca == 0)
		return fail(err, errlen, "no CA certificate (ca)");
	if (make_store(c) != 0 || make_encodings(c) != 0 || fingerprint(c) != 0)
		return fail(err, errlen, "out of memory, or a certificate that cannot be encoded");
	c->sealed = true;
	return 0;
}

struct ike_creds *ike_creds_ref(struct ike_creds *c)
{
	if (c != NULL)
		c->refs++;
	return c;
}

void ike_creds_unref(struct ike_creds *c)
{
	size_t i;

	if (c == NULL || --c->refs > 0)
		return;
	EVP_PKEY_free(c->key); /* its private components are freed cleared */
	for (i = 0; i < c->n_own; i++) {
		X509_free(c->own[i]);
		OPENSSL_free(c->own_der[i]);
	}
	for (i = 0; i < c->n_ca; i++) {
		X509_free(c->ca[i]);
		OPENSSL_free(c->ca_name_der[i]);
	}
	for (i = 0; i < c->n_crl; i++)
		X509_CRL_free(c->crl[i]);
	X509_STORE_free(c->store);
	OPENSSL_free(c->subject_der);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

bool ike_creds_same(const struct ike_creds *a, const struct ike_creds *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return memcmp(a->fingerprint, b->fingerprint, sizeof(a->fingerprint)) == 0;
}

/* ---- use ---- */

uint16_t ike_creds_auth(const struct ike_creds *c)
{
	return c != NULL ? c->auth : 0;
}

const char *ike_creds_subject(const struct ike_creds *c)
{
	return c != NULL && c->n_info > 0 ? c->info[0].subject : "";
}

const uint8_t *ike_creds_subject_der(const struct ike_creds *c, size_t *len)
{
	*len = c->subject_der_len;
	return c->subject_der;
}

size_t ike_creds_count(const struct ike_creds *c)
{
	return c != NULL ? c->n_info : 0;
}

const struct ike_cert_info *ike_creds_info(const struct ike_creds *c, size_t i)
{
	return c != NULL && i < c->n_info ? &c->info[i] : NULL;
}

const uint8_t *ike_creds_own_der(const struct ike_creds *c, size_t i, size_t *len)
{
	if (c == NULL || i >= c->n_own)
		return NULL;
	*len = c->own_der_len[i];
	return c->own_der[i];
}

const uint8_t *ike_creds_ca_name_der(const struct ike_creds *c, size_t i, size_t *len)
{
	if (c == NULL || i >= c->n_ca)
		return NULL;
	*len = c->ca_name_der_len[i];
	return c->ca_name_der[i];
}

int ike_creds_sign(const struct ike_creds *c, const uint8_t *hash, size_t hash_len, uint8_t *sig,
                   size_t cap, size_t *len)
{
	if (c == NULL || !c->sealed)
		return -1;
	return ike_sig_sign(c->key, c->auth, hash, hash_len, sig, cap, len);
}

static const char *day_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

enum ike_cause ike_creds_self_check(const struct ike_creds *c, time_t now, uint8_t id_type,
                                    const uint8_t *id, size_t id_len, char *detail, size_t len)
{
	X509_REVOKED *rev = NULL;
	char day[32];
	X509 *x;

	if (c == NULL || !c->sealed)
		return IKE_CAUSE_NONE;
	x = c->own[0];
	switch (ike_x509_time_check(x, now)) {
	case IKE_CAUSE_CERT_EXPIRED:
		snprintf(detail, len, "our certificate expired %s",
		         day_text(c->info[0].not_after, day, sizeof(day)));
		return IKE_CAUSE_CERT_EXPIRED;
	case IKE_CAUSE_CERT_NOT_YET_VALID:
		snprintf(detail, len, "our certificate valid from %s",
		         day_text(c->info[0].not_before, day, sizeof(day)));
		return IKE_CAUSE_CERT_NOT_YET_VALID;
	default:
		break;
	}
	for (size_t i = 0; i < c->n_crl; i++) {
		if (X509_NAME_cmp(X509_CRL_get_issuer(c->crl[i]), X509_get_issuer_name(x)) == 0 &&
		    X509_CRL_get0_by_cert(c->crl[i], &rev, x) == 1) {
			snprintf(detail, len, "our certificate is revoked (in our CRL)");
			return IKE_CAUSE_CERT_REVOKED;
		}
	}
	if (id != NULL && !ike_x509_has_id(x, id_type, id, id_len)) {
		snprintf(detail, len, "our identity is not in our certificate");
		return IKE_CAUSE_CERT_ID_MISMATCH;
	}
	return IKE_CAUSE_NONE;
}
