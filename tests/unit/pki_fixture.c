/*
 * pki_fixture.c - certificates for the unit tests (see pki_fixture.h).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tests/unit/pki_fixture.h"

static EVP_PKEY *gen_key(const char *type)
{
	EVP_PKEY *k = strcmp(type, "rsa") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
	                                       : EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);

	ck_assert_ptr_nonnull(k);
	return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

struct pki_cert make_cert(const char *type, const char *cn, const struct pki_cert *issuer,
                          long from, long to, const char *san, long serial)
{
	struct pki_cert c = {gen_key(type), X509_new()};
	X509_NAME *name = X509_get_subject_name(c.x);

	ck_assert_ptr_nonnull(c.x);
	X509_set_version(c.x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.x), serial);
	X509_gmtime_adj(X509_getm_notBefore(c.x), from);
	X509_gmtime_adj(X509_getm_notAfter(c.x), to);
	X509_set_pubkey(c.x, c.key);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"CH", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"ikemon test",
	                           -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c.x, issuer != NULL ? X509_get_subject_name(issuer->x) : name);
	if (issuer == NULL || san == NULL) {
		add_ext(c.x, issuer ? issuer->x : NULL, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c.x, issuer ? issuer->x : NULL, NID_key_usage,
		        "critical,keyCertSign,cRLSign");
	} else {
		add_ext(c.x, issuer->x, NID_key_usage, "digitalSignature");
	}
	if (san != NULL)
		add_ext(c.x, issuer ? issuer->x : NULL, NID_subject_alt_name, san);
	ck_assert_int_gt(X509_sign(c.x, issuer != NULL ? issuer->key : c.key, EVP_sha256()), 0);
	return c;
}

void free_cert(struct pki_cert *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->x);
}

X509_CRL *make_crl(const struct pki_cert *ca, long serial)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->x));
	X509_gmtime_adj(t, -60);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, 7 * DAY);
	X509_CRL_set1_nextUpdate(crl, t);
	if (serial != 0) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		ASN1_INTEGER_set(s, serial);
		X509_REVOKED_set_serialNumber(r, s);
		X509_gmtime_adj(t, -30);
		X509_REVOKED_set_revocationDate(r, t);
		X509_CRL_add0_revoked(crl, r);
		ASN1_INTEGER_free(s);
	}
	X509_CRL_sort(crl);
	ck_assert_int_gt(X509_CRL_sign(crl, ca->key, EVP_sha256()), 0);
	ASN1_TIME_free(t);
	return crl;
}

/* PEM text of a certificate, key or CRL (malloc'd, NUL-terminated). */
static char *bio_text(BIO *b)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

char *pem_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());

	ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
	return bio_text(b);
}

char *pem_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());

	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	return bio_text(b);
}

char *pem_crl(X509_CRL *crl)
{
	BIO *b = BIO_new(BIO_s_mem());

	ck_assert_int_eq(PEM_write_bio_X509_CRL(b, crl), 1);
	return bio_text(b);
}
