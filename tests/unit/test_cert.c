/*
 * test_cert.c - signature authentication (ike/cert.h, ike/sig.h, keys.c's SKEYID):
 * certificates made here with OpenSSL's API (a CA, another CA, an intermediate, RSA,
 * ECDSA P-256 and P-384 leaves, expired, not yet valid, revoked with a CRL), then each
 * check the engine makes of a peer's certificate and each way it fails; the signature
 * formats charon expects (PKCS#1 v1.5 over the raw hash, ECDSA r|s); SKEYID for
 * signatures against values from Libreswan's cavp; and two engines negotiating Main
 * Mode with RSA and with ECDSA certificates, in memory.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "ike/cert.h"
#include "ike/crypto.h"
#include "ike/ike.h"
#include "ike/keys.h"
#include "ike/sa.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/pki_fixture.h"
#include "tests/unit/testlib.h"

/* ---------------------------------------------------------------- the fixture */

enum {
	CA,
	OTHER_CA,
	INTER,      /* an intermediate under CA */
	RSA_LEAF,   /* 192.0.2.1, gw.example.net, admin@example.net, 2001:db8::1 */
	EC_LEAF,    /* P-256, 192.0.2.2 */
	EC384_LEAF, /* P-384 */
	EXPIRED,
	NOT_YET,
	REVOKED,    /* serial 77, in crl */
	FOREIGN,    /* from OTHER_CA */
	INTER_LEAF, /* under INTER */
	N_CERTS
};

static struct pki_cert pki[N_CERTS];
static X509_CRL *crl;       /* CA's, revoking REVOKED */
static X509_CRL *other_crl; /* OTHER_CA's, revoking nothing */

static void pki_setup(void)
{
	const char *san = "IP:192.0.2.1,DNS:gw.example.net,email:admin@example.net,IP:2001:db8::1";

	pki[CA] = make_cert("rsa", "Test CA", NULL, -DAY, 365 * DAY, NULL, 1);
	pki[OTHER_CA] = make_cert("rsa", "Other CA", NULL, -DAY, 365 * DAY, NULL, 2);
	pki[INTER] = make_cert("P-256", "Intermediate CA", &pki[CA], -DAY, 365 * DAY, NULL, 3);
	pki[RSA_LEAF] = make_cert("rsa", "gw-rsa", &pki[CA], -DAY, 30 * DAY, san, 10);
	pki[EC_LEAF] = make_cert("P-256", "gw-ec", &pki[CA], -DAY, 30 * DAY, "IP:192.0.2.2", 11);
	pki[EC384_LEAF] =
	    make_cert("P-384", "gw-ec384", &pki[CA], -DAY, 30 * DAY, "IP:192.0.2.3", 12);
	pki[EXPIRED] = make_cert("rsa", "gw-old", &pki[CA], -10 * DAY, -DAY, "IP:192.0.2.4", 13);
	pki[NOT_YET] = make_cert("rsa", "gw-new", &pki[CA], DAY, 10 * DAY, "IP:192.0.2.5", 14);
	pki[REVOKED] = make_cert("rsa", "gw-revoked", &pki[CA], -DAY, 30 * DAY, "IP:192.0.2.6", 77);
	pki[FOREIGN] =
	    make_cert("rsa", "gw-foreign", &pki[OTHER_CA], -DAY, 30 * DAY, "IP:192.0.2.7", 5);
	pki[INTER_LEAF] =
	    make_cert("P-256", "gw-inter", &pki[INTER], -DAY, 30 * DAY, "IP:192.0.2.8", 6);
	crl = make_crl(&pki[CA], 77);
	other_crl = make_crl(&pki[OTHER_CA], 0);
}

static void pki_teardown(void)
{
	for (int i = 0; i < N_CERTS; i++)
		free_cert(&pki[i]);
	X509_CRL_free(crl);
	X509_CRL_free(other_crl);
}

/* Credentials: own certificate i with its key, trusting CA (and cas2 when >= 0), CRLs. */
static struct ike_creds *creds(int own, int cas2, X509_CRL *c1, X509_CRL *c2)
{
	struct ike_creds *c = ike_creds_new();
	char err[256], *t;

	ck_assert_ptr_nonnull(c);
	t = pem_cert(pki[own].x);
	ck_assert_int_eq(ike_creds_add_own(c, t, strlen(t), "cert", err, sizeof(err)), 0);
	free(t);
	t = pem_key(pki[own].key);
	ck_assert_int_eq(ike_creds_set_key(c, t, strlen(t), "key", err, sizeof(err)), 0);
	free(t);
	t = pem_cert(pki[CA].x);
	ck_assert_int_eq(ike_creds_add_cas(c, t, strlen(t), "ca", err, sizeof(err)), 0);
	free(t);
	if (cas2 >= 0) {
		t = pem_cert(pki[cas2].x);
		ck_assert_int_eq(ike_creds_add_cas(c, t, strlen(t), "ca", err, sizeof(err)), 0);
		free(t);
	}
	for (X509_CRL *x = c1; x != NULL; x = x == c1 ? c2 : NULL) {
		t = pem_crl(x);
		ck_assert_int_eq(ike_creds_add_crls(c, t, strlen(t), "crl", err, sizeof(err)), 0);
		free(t);
	}
	ck_assert_msg(ike_creds_finish(c, err, sizeof(err)) == 0, "finish: %s", err);
	return c;
}

/* The peer's view of certificate i, as parsed from its DER. */
static struct ike_cert *peer_cert(int i)
{
	unsigned char *der = NULL;
	int n = i2d_X509(pki[i].x, &der);
	struct ike_cert *c;

	ck_assert_int_gt(n, 0);
	c = ike_cert_parse(der, (size_t)n);
	OPENSSL_free(der);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Verify certificate i (with the intermediate when chain) against trust. */
static enum ike_cause verify(const struct ike_creds *trust, int i, bool chain, char *detail)
{
	struct ike_cert *ee = peer_cert(i), *in = chain ? peer_cert(INTER) : NULL;
	enum ike_cause c = ike_cert_verify(trust, ee, &in, chain ? 1 : 0, 0, detail, 64);

	ike_cert_free(ee);
	ike_cert_free(in);
	return c;
}

/* ---------------------------------------------------------------- signatures */

static const uint8_t hash32[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                                   0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                   0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12};

/* RSA: PKCS#1 v1.5 type 1 over the hash itself, no DigestInfo (charon's EMSA_PKCS1_NULL). */
START_TEST(test_sig_rsa_raw)
{
	struct ike_creds *c = creds(RSA_LEAF, -1, NULL, NULL);
	struct ike_cert *x = peer_cert(RSA_LEAF);
	uint8_t sig[1024], rec[1024];
	size_t len = 0, rec_len = sizeof(rec);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pki[RSA_LEAF].key, NULL);

	ck_assert_uint_eq(ike_creds_auth(c), IKE_AUTH_RSA_SIG);
	ck_assert_int_eq(ike_creds_sign(c, hash32, 20, sig, sizeof(sig), &len), 0);
	ck_assert_uint_eq(len, 256);
	/* what the signature holds is the 20 bytes, nothing around them */
	ck_assert_int_eq(EVP_PKEY_verify_recover_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_verify_recover(ctx, rec, &rec_len, sig, len), 1);
	ck_assert_uint_eq(rec_len, 20);
	ck_assert_mem_eq(rec, hash32, 20);
	ck_assert_int_eq(ike_cert_verify_sig(x, IKE_AUTH_RSA_SIG, hash32, 20, sig, len), 0);
	/* another hash, a flipped bit, a short signature, another method: refused */
	ck_assert_int_eq(ike_cert_verify_sig(x, IKE_AUTH_RSA_SIG, hash32 + 1, 20, sig, len), -1);
	sig[100] ^= 1;
	ck_assert_int_eq(ike_cert_verify_sig(x, IKE_AUTH_RSA_SIG, hash32, 20, sig, len), -1);
	sig[100] ^= 1;
	ck_assert_int_eq(ike_cert_verify_sig(x, IKE_AUTH_RSA_SIG, hash32, 20, sig, len - 1), -1);
	ck_assert_int_eq(ike_cert_verify_sig(x, IKE_AUTH_ECDSA_256, hash32, 20, sig, len), -1);
	EVP_PKEY_CTX_free(ctx);
	ike_cert_free(x);
	ike_creds_unref(c);
}
END_TEST

/* ECDSA: r | s, each the curve's size (RFC 4754 7), over the hash as given. */
START_TEST(test_sig_ecdsa_rs)
{
	static const struct {
		int cert;
		uint16_t method;
		size_t half;
	} cases[] = {{EC_LEAF, IKE_AUTH_ECDSA_256, 32}, {EC384_LEAF, IKE_AUTH_ECDSA_384, 48}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ike_creds *c = creds(cases[i].cert, -1, NULL, NULL);
		struct ike_cert *x = peer_cert(cases[i].cert);
		uint8_t sig[256];
		size_t len = 0;
		BIGNUM *r, *s;
		ECDSA_SIG *es = ECDSA_SIG_new();
		unsigned char *der = NULL;
		int der_len;
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pki[cases[i].cert].key, NULL);

		ck_assert_uint_eq(ike_creds_auth(c), cases[i].method);
		ck_assert_uint_eq(ike_cert_auth(x), cases[i].method);
		ck_assert_int_eq(ike_creds_sign(c, hash32, 32, sig, sizeof(sig), &len), 0);
		ck_assert_uint_eq(len, 2 * cases[i].half);
		/* r and s as OpenSSL's DER verification reads them, independently of sig.c */
		r = BN_bin2bn(sig, (int)cases[i].half, NULL);
		s = BN_bin2bn(sig + cases[i].half, (int)cases[i].half, NULL);
		ck_assert_int_eq(ECDSA_SIG_set0(es, r, s), 1);
		der_len = i2d_ECDSA_SIG(es, &der);
		ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
		ck_assert_int_eq(EVP_PKEY_verify(ctx, der, (size_t)der_len, hash32, 32), 1);
		ck_assert_int_eq(ike_cert_verify_sig(x, cases[i].method, hash32, 32, sig, len), 0);
		sig[3] ^= 0x40;
		ck_assert_int_eq(ike_cert_verify_sig(x, cases[i].method, hash32, 32, sig, len), -1);
		ck_assert_int_eq(ike_cert_verify_sig(x, IKE_AUTH_RSA_SIG, hash32, 32, sig, len),
		                 -1);
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
		EVP_PKEY_CTX_free(ctx);
		ike_cert_free(x);
		ike_creds_unref(c);
	}
}
END_TEST

/* SKEYID = prf(Ni_b | Nr_b, g^xy): RECIPES.md's inputs through Libreswan's `cavp -v1dsa`. */
START_TEST(test_skeyid_sig)
{
	uint8_t ni[8], nr[8], gxy[32], out[IKE_MAX_HASH_LEN];

	tl_unhex("b9a2d0e922dc66dd", ni, sizeof(ni));
	tl_unhex("2130166863b5ddef", nr, sizeof(nr));
	tl_unhex("739003ba2c11c982946c65e26acf661fbf8ebb78011a9fead79efa12fe3e71cc", gxy,
	         sizeof(gxy));
	ck_assert_int_eq(ike_skeyid_sig(IKE_HASH_SHA1, ni, 8, nr, 8, gxy, 32, out), 0);
	tl_assert_hex(out, 20, "35af1720e79a313f8b8ca400b25e53de141f9e26");
	ck_assert_int_eq(ike_skeyid_sig(IKE_HASH_SHA2_256, ni, 8, nr, 8, gxy, 32, out), 0);
	tl_assert_hex(out, 32, "36f3eb2c958751e98ca2814a0dc35d927e115b27b6b683b34edbcafaee975260");
}
END_TEST

/* ---------------------------------------------------------------- credentials */

START_TEST(test_creds_refused)
{
	struct ike_creds *c = ike_creds_new();
	char err[256], *cert = pem_cert(pki[RSA_LEAF].x), *other_key = pem_key(pki[EC_LEAF].key);
	char *ca = pem_cert(pki[CA].x), *key = pem_key(pki[RSA_LEAF].key);
	BIO *b = BIO_new(BIO_s_mem());
	char *enc;
	long enc_len;

	/* text that holds nothing of the kind */
	ck_assert_int_eq(ike_creds_add_own(c, "garbage", 7, "cert /x", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cert /x: no certificate"));
	ck_assert_int_eq(ike_creds_add_cas(c, key, strlen(key), "ca /k", err, sizeof(err)), -1);
	ck_assert_int_eq(ike_creds_add_crls(c, cert, strlen(cert), "crl /c", err, sizeof(err)), -1);
	/* an encrypted key is refused, not prompted for */
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, pki[RSA_LEAF].key, EVP_aes_128_cbc(), NULL, 0,
	                                          NULL, (void *)"pw"),
	                 1);
	enc_len = BIO_get_mem_data(b, &enc);
	ck_assert_int_gt(enc_len, 0);
	ck_assert_int_eq(ike_creds_set_key(c, enc, (size_t)enc_len, "key /e", err, sizeof(err)),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "no unencrypted private key"));
	/* a key that is not the certificate's */
	ck_assert_int_eq(ike_creds_add_own(c, cert, strlen(cert), "cert", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_finish(c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no private key"));
	ck_assert_int_eq(
	    ike_creds_set_key(c, other_key, strlen(other_key), "key", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_finish(c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "does not belong to the certificate"));
	ike_creds_unref(c);
	/* no CA */
	c = ike_creds_new();
	ck_assert_int_eq(ike_creds_add_own(c, cert, strlen(cert), "cert", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_set_key(c, key, strlen(key), "key", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_finish(c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no CA"));
	ck_assert_int_eq(ike_creds_add_cas(c, ca, strlen(ca), "ca", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_finish(c, err, sizeof(err)), 0);
	ike_creds_unref(c);
	BIO_free(b);
	free(cert), free(other_key), free(ca), free(key);
}
END_TEST

/* DER works as PEM does; what the views see: subjects, roles, expiry. */
START_TEST(test_creds_info)
{
	struct ike_creds *c = ike_creds_new(), *d;
	unsigned char *der = NULL;
	int n = i2d_X509(pki[INTER_LEAF].x, &der);
	char err[256], *key = pem_key(pki[INTER_LEAF].key), *inter = pem_cert(pki[INTER].x);
	char *ca = pem_cert(pki[CA].x);
	const struct ike_cert_info *i;
	time_t now = time(NULL);
	size_t len;

	ck_assert_int_eq(ike_creds_add_own(c, der, (size_t)n, "cert", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_add_own(c, inter, strlen(inter), "cert", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_set_key(c, key, strlen(key), "key", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_add_cas(c, ca, strlen(ca), "ca", err, sizeof(err)), 0);
	ck_assert_int_eq(ike_creds_finish(c, err, sizeof(err)), 0);
	ck_assert_uint_eq(ike_creds_auth(c), IKE_AUTH_ECDSA_256);
	ck_assert_str_eq(ike_creds_subject(c), "C=CH, O=ikemon test, CN=gw-inter");
	ck_assert_uint_eq(ike_creds_count(c), 3);
	i = ike_creds_info(c, 0);
	ck_assert_str_eq(i->role, "local");
	ck_assert(i->not_after > now + 30 * DAY - 60 && i->not_after <= now + 30 * DAY + 60);
	ck_assert_str_eq(ike_creds_info(c, 1)->role, "intermediate");
	ck_assert_str_eq(ike_creds_info(c, 1)->subject, "C=CH, O=ikemon test, CN=Intermediate CA");
	ck_assert_str_eq(ike_creds_info(c, 2)->role, "ca");
	ck_assert_ptr_null(ike_creds_info(c, 3));
	/* the CERT payloads: ours, then the intermediate; the CERTREQs: our CA's name */
	ck_assert_ptr_nonnull(ike_creds_own_der(c, 0, &len));
	ck_assert_uint_eq(len, (size_t)n);
	ck_assert_ptr_nonnull(ike_creds_own_der(c, 1, &len));
	ck_assert_ptr_null(ike_creds_own_der(c, 2, &len));
	ck_assert_ptr_nonnull(ike_creds_ca_name_der(c, 0, &len));
	ck_assert_ptr_null(ike_creds_ca_name_der(c, 1, &len));
	/* the same files make the same credentials; a CRL more does not count */
	d = creds(RSA_LEAF, -1, NULL, NULL);
	ck_assert(!ike_creds_same(c, d));
	ike_creds_unref(d);
	/* a reference more, then both gone */
	ck_assert_ptr_eq(ike_creds_ref(c), c);
	ike_creds_unref(c);
	ike_creds_unref(c);
	c = creds(RSA_LEAF, -1, NULL, NULL);
	d = creds(RSA_LEAF, -1, crl, NULL);
	ck_assert(ike_creds_same(c, d));
	ike_creds_unref(d);
	d = creds(RSA_LEAF, OTHER_CA, NULL, NULL);
	ck_assert(!ike_creds_same(c, d));
	ck_assert(ike_creds_same(NULL, NULL) && !ike_creds_same(c, NULL));
	ike_creds_unref(d);
	ike_creds_unref(c);
	OPENSSL_free(der);
	free(key), free(inter), free(ca);
}
END_TEST

/* ---------------------------------------------------------------- a peer's certificate */

START_TEST(test_verify_each_way)
{
	struct ike_creds *t = creds(RSA_LEAF, -1, crl, NULL);
	struct ike_creds *no_crl = creds(RSA_LEAF, -1, NULL, NULL);
	struct ike_creds *other_crl_only = creds(RSA_LEAF, OTHER_CA, other_crl, NULL);
	char d[64];

	ck_assert_int_eq(verify(t, RSA_LEAF, false, d), IKE_CAUSE_NONE);
	ck_assert_int_eq(verify(t, EC_LEAF, false, d), IKE_CAUSE_NONE);
	ck_assert_int_eq(verify(t, EXPIRED, false, d), IKE_CAUSE_CERT_EXPIRED);
	ck_assert_str_eq(d, "the peer's certificate expired");
	ck_assert_int_eq(verify(t, NOT_YET, false, d), IKE_CAUSE_CERT_NOT_YET_VALID);
	ck_assert_int_eq(verify(t, REVOKED, false, d), IKE_CAUSE_CERT_REVOKED);
	ck_assert_str_eq(d, "the peer's certificate is revoked (CRL)");
	ck_assert_int_eq(verify(t, FOREIGN, false, d), IKE_CAUSE_CERT_UNTRUSTED);
	ck_assert_str_eq(d, "unable to get local issuer certificate");
	/* the intermediate: sent with the certificate, or missing */
	ck_assert_int_eq(verify(t, INTER_LEAF, true, d), IKE_CAUSE_NONE);
	ck_assert_int_eq(verify(t, INTER_LEAF, false, d), IKE_CAUSE_CERT_UNTRUSTED);
	/* without the CRL the revoked one passes; a CRL of another CA checks nothing here */
	ck_assert_int_eq(verify(no_crl, REVOKED, false, d), IKE_CAUSE_NONE);
	ck_assert_int_eq(verify(other_crl_only, REVOKED, false, d), IKE_CAUSE_NONE);
	ck_assert_int_eq(verify(other_crl_only, FOREIGN, false, d), IKE_CAUSE_NONE);
	/* at a time past its expiry, a good certificate is expired */
	{
		struct ike_cert *x = peer_cert(RSA_LEAF);

		ck_assert_int_eq(
		    ike_cert_verify(t, x, NULL, 0, time(NULL) + 60 * DAY, d, sizeof(d)),
		    IKE_CAUSE_CERT_EXPIRED);
		ike_cert_free(x);
	}
	/* what does not parse */
	ck_assert_ptr_null(ike_cert_parse((const uint8_t *)"\x30\x03\x02\x01", 4));
	ck_assert_ptr_null(ike_cert_parse(NULL, 0));
	ike_creds_unref(t);
	ike_creds_unref(no_crl);
	ike_creds_unref(other_crl_only);
}
END_TEST

START_TEST(test_identity_in_cert)
{
	struct ike_cert *x = peer_cert(RSA_LEAF);
	const uint8_t ip[4] = {192, 0, 2, 1}, ip2[4] = {192, 0, 2, 2};
	uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, dn[512];
	size_t dn_len;

	ck_assert(ike_cert_has_id(x, IKE_ID_IPV4_ADDR, ip, 4));
	ck_assert(!ike_cert_has_id(x, IKE_ID_IPV4_ADDR, ip2, 4));
	ck_assert(!ike_cert_has_id(x, IKE_ID_IPV4_ADDR, ip, 3));
	ck_assert(ike_cert_has_id(x, IKE_ID_IPV6_ADDR, ip6, 16));
	ck_assert(ike_cert_has_id(x, IKE_ID_FQDN, (const uint8_t *)"GW.Example.NET", 14));
	ck_assert(!ike_cert_has_id(x, IKE_ID_FQDN, (const uint8_t *)"example.net", 11));
	ck_assert(!ike_cert_has_id(x, IKE_ID_FQDN, (const uint8_t *)"gw.example.net\0x", 16));
	ck_assert(ike_cert_has_id(x, IKE_ID_USER_FQDN, (const uint8_t *)"admin@example.net", 17));
	ck_assert(!ike_cert_has_id(x, IKE_ID_USER_FQDN, (const uint8_t *)"gw.example.net", 14));
	ck_assert_int_eq(
	    ike_dn_from_text("C=CH, O=ikemon test, CN=gw-rsa", dn, sizeof(dn), &dn_len), 0);
	ck_assert(ike_cert_has_id(x, IKE_ID_DER_ASN1_DN, dn, dn_len));
	/* the same name in another case, or another name */
	ck_assert_int_eq(
	    ike_dn_from_text("c=ch, o=IKEMON TEST, cn=GW-RSA", dn, sizeof(dn), &dn_len), 0);
	ck_assert(ike_cert_has_id(x, IKE_ID_DER_ASN1_DN, dn, dn_len));
	ck_assert_int_eq(ike_dn_from_text("C=CH, O=ikemon test, CN=gw-ec", dn, sizeof(dn), &dn_len),
	                 0);
	ck_assert(!ike_cert_has_id(x, IKE_ID_DER_ASN1_DN, dn, dn_len));
	ck_assert(!ike_cert_has_id(x, IKE_ID_KEY_ID, ip, 4));
	ike_cert_free(x);
}
END_TEST

START_TEST(test_dn_text)
{
	uint8_t der[512];
	size_t len;
	char out[256], small[12];

	ck_assert_int_eq(ike_dn_from_text("/C=CH/O=Ex\\, Inc./CN=gw 1", der, sizeof(der), &len), 0);
	ck_assert_int_eq(ike_dn_to_text(der, len, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "C=CH, O=Ex\\, Inc., CN=gw 1");
	ck_assert_int_eq(ike_dn_canonical(" C = CH ,O=Ex\\, Inc.,  CN=gw 1 ", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "C=CH, O=Ex\\, Inc., CN=gw 1");
	ck_assert_int_eq(ike_dn_canonical("E=a@b.example, CN=x", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "emailAddress=a@b.example, CN=x");
	ck_assert(ike_dn_text_equal("C=CH, CN=GW", "c=ch,cn=gw"));
	ck_assert(!ike_dn_text_equal("C=CH, CN=gw", "CN=gw, C=CH"));
	ck_assert(!ike_dn_text_equal("C=CH", "not a dn"));
	/* not names: no '=', an empty value, an unknown attribute, nothing at all */
	ck_assert_int_eq(ike_dn_canonical("gw.example.net", out, sizeof(out)), -1);
	ck_assert_int_eq(ike_dn_canonical("CN=", out, sizeof(out)), -1);
	ck_assert_int_eq(ike_dn_canonical("XX=1", out, sizeof(out)), -1);
	ck_assert_int_eq(ike_dn_canonical("", out, sizeof(out)), -1);
	/* too long for out: cut, marked, -1 */
	ck_assert_int_eq(ike_dn_to_text(der, len, small, sizeof(small)), -1);
	ck_assert_str_eq(small, "C=CH, O=...");
	/* DER that is no name, or has bytes after it */
	ck_assert_int_eq(ike_dn_to_text((const uint8_t *)"\x04\x01x", 3, out, sizeof(out)), -1);
	der[len] = 0;
	ck_assert_int_eq(ike_dn_to_text(der, len + 1, out, sizeof(out)), -1);
}
END_TEST

/* What our own certificate says when a peer refuses it. */
START_TEST(test_self_check)
{
	struct ike_creds *good = creds(RSA_LEAF, -1, crl, NULL),
	                 *old = creds(EXPIRED, -1, NULL, NULL);
	struct ike_creds *soon = creds(NOT_YET, -1, NULL, NULL),
	                 *rev = creds(REVOKED, -1, crl, NULL);
	const uint8_t ip[4] = {192, 0, 2, 1}, other[4] = {198, 51, 100, 1};
	time_t now = time(NULL);
	char d[64];

	ck_assert_int_eq(ike_creds_self_check(good, now, IKE_ID_IPV4_ADDR, ip, 4, d, sizeof(d)),
	                 IKE_CAUSE_NONE);
	ck_assert_int_eq(ike_creds_self_check(good, now, IKE_ID_IPV4_ADDR, other, 4, d, sizeof(d)),
	                 IKE_CAUSE_CERT_ID_MISMATCH);
	ck_assert_int_eq(ike_creds_self_check(old, now, 0, NULL, 0, d, sizeof(d)),
	                 IKE_CAUSE_CERT_EXPIRED);
	ck_assert_ptr_nonnull(strstr(d, "our certificate expired"));
	ck_assert_int_eq(ike_creds_self_check(soon, now, 0, NULL, 0, d, sizeof(d)),
	                 IKE_CAUSE_CERT_NOT_YET_VALID);
	ck_assert_int_eq(ike_creds_self_check(rev, now, 0, NULL, 0, d, sizeof(d)),
	                 IKE_CAUSE_CERT_REVOKED);
	ike_creds_unref(good), ike_creds_unref(old), ike_creds_unref(soon), ike_creds_unref(rev);
}
END_TEST

/* ---------------------------------------------------------------- two engines */

/* Side 0 and side 1 (127.0.0.1, 127.0.0.2) negotiate with certificates a and b. */
static void negotiate(struct engine_pair *pr, int a, int b, const char *ike)
{
	const struct ep_config cfg = {"unused", ike, NULL, {"side1", "side0"}, NULL, NULL, 0, 0};
	int certs[2] = {a, b};

	ck_assert_int_eq(engine_pair_init(pr, &cfg), 0);
	for (int i = 0; i < 2; i++) {
		struct ike_creds *c = creds(certs[i], -1, crl, NULL);

		memset(pr->side[i].cfg.psk, 0, sizeof(pr->side[i].cfg.psk));
		pr->side[i].cfg.psk_len = 0;
		pr->side[i].cfg.creds = c;
		ck_assert_int_eq(ike_engine_set_peers(pr->side[i].e, &pr->side[i].cfg, 1), 0);
		pr->side[i].cfg.creds = NULL;
		ike_creds_unref(c); /* the engine holds its own reference */
	}
	ck_assert_int_gt(ike_engine_initiate(pr->side[0].e, "side1"), 0);
	ck_assert_int_ge(engine_pair_run(pr, 200), 0);
}

static const struct ike_sa *sa_of(struct engine_pair *pr, int side)
{
	return ike_sa_first(ike_engine_sas(pr->side[side].e));
}

static struct pki_cert side_cert(const char *type, const char *cn, const char *ip, long from,
                                 long to, long serial)
{
	char san[32];

	snprintf(san, sizeof(san), "IP:%s", ip);
	return make_cert(type, cn, &pki[CA], from, to, san, serial);
}

START_TEST(test_engines_rsa_and_ecdsa)
{
	static const struct {
		const char *type;
		uint16_t auth;
		const char *ike;
	} cases[] = {{"rsa", IKE_AUTH_RSA_SIG, "aes128-sha256-modp2048"},
	             {"P-256", IKE_AUTH_ECDSA_256, "aes128-sha1-ecp256"},
	             {"P-384", IKE_AUTH_ECDSA_384, "aes256-sha384-ecp384"}};
	struct pki_cert save[2] = {pki[RSA_LEAF], pki[EC_LEAF]};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct engine_pair pr;

		pki[RSA_LEAF] = side_cert(cases[i].type, "side0", "127.0.0.1", -DAY, DAY, 100);
		pki[EC_LEAF] = side_cert(cases[i].type, "side1", "127.0.0.2", -DAY, DAY, 101);
		negotiate(&pr, RSA_LEAF, EC_LEAF, cases[i].ike);
		for (int s = 0; s < 2; s++) {
			const struct ike_sa *sa = sa_of(&pr, s);

			ck_assert_ptr_nonnull(sa);
			ck_assert_msg(sa->state == IKE_ST_ESTABLISHED, "%s side %d: %s %s",
			              cases[i].type, s, ike_cause_id(sa->last_cause),
			              sa->cause_detail);
			ck_assert_uint_eq(sa->xf.auth, cases[i].auth);
			ck_assert_str_eq(sa->peer_cert, s == 0 ? "C=CH, O=ikemon test, CN=side1"
			                                       : "C=CH, O=ikemon test, CN=side0");
		}
		engine_pair_free(&pr);
		free_cert(&pki[RSA_LEAF]);
		free_cert(&pki[EC_LEAF]);
	}
	pki[RSA_LEAF] = save[0];
	pki[EC_LEAF] = save[1];
}
END_TEST

/* Each bad certificate of the initiator: the responder's cause, and the initiator's. */
START_TEST(test_engines_refusals)
{
	static const struct {
		const char *what;
		long from, to, serial;
		const char *ip;
		enum ike_cause responder, initiator;
	} cases[] = {
	    {"expired", -10 * DAY, -DAY, 200, "127.0.0.1", IKE_CAUSE_CERT_EXPIRED,
	     IKE_CAUSE_CERT_EXPIRED},
	    {"not yet valid", DAY, 10 * DAY, 201, "127.0.0.1", IKE_CAUSE_CERT_NOT_YET_VALID,
	     IKE_CAUSE_CERT_NOT_YET_VALID},
	    {"revoked", -DAY, DAY, 77, "127.0.0.1", IKE_CAUSE_CERT_REVOKED, IKE_CAUSE_CERT_REVOKED},
	    {"another address", -DAY, DAY, 202, "127.0.0.9", IKE_CAUSE_CERT_ID_MISMATCH,
	     IKE_CAUSE_CERT_ID_MISMATCH},
	};
	struct pki_cert save[2] = {pki[RSA_LEAF], pki[EC_LEAF]};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct engine_pair pr;
		const struct ike_sa *r, *in;

		pki[RSA_LEAF] = side_cert("rsa", "side0", cases[i].ip, cases[i].from, cases[i].to,
		                          cases[i].serial);
		pki[EC_LEAF] = side_cert("rsa", "side1", "127.0.0.2", -DAY, DAY, 203);
		negotiate(&pr, RSA_LEAF, EC_LEAF, "aes128-sha256-modp2048");
		r = sa_of(&pr, 1);
		in = sa_of(&pr, 0);
		ck_assert_ptr_nonnull(r);
		ck_assert_ptr_nonnull(in);
		ck_assert_msg(r->delete_reason == cases[i].responder, "%s: responder %s (%s)",
		              cases[i].what, ike_cause_id(r->delete_reason), r->cause_detail);
		ck_assert_str_eq(r->peer_cert, "C=CH, O=ikemon test, CN=side0");
		ck_assert_msg(in->delete_reason == cases[i].initiator, "%s: initiator %s (%s)",
		              cases[i].what, ike_cause_id(in->delete_reason), in->cause_detail);
		engine_pair_free(&pr);
		free_cert(&pki[RSA_LEAF]);
		free_cert(&pki[EC_LEAF]);
	}
	pki[RSA_LEAF] = save[0];
	pki[EC_LEAF] = save[1];
}
END_TEST

/* The responder's certificate refused by the initiator (MM6): the responder learns it. */
START_TEST(test_engines_mm6_refused)
{
	struct pki_cert save[2] = {pki[RSA_LEAF], pki[EC_LEAF]};
	struct engine_pair pr;
	const struct ike_sa *r, *in;

	pki[RSA_LEAF] = side_cert("rsa", "side0", "127.0.0.1", -DAY, DAY, 300);
	pki[EC_LEAF] = side_cert("rsa", "side1", "127.0.0.2", -10 * DAY, -DAY, 301);
	negotiate(&pr, RSA_LEAF, EC_LEAF, "aes128-sha256-modp2048");
	in = sa_of(&pr, 0);
	r = sa_of(&pr, 1);
	ck_assert_int_eq(in->delete_reason, IKE_CAUSE_CERT_EXPIRED);
	ck_assert_str_eq(in->cause_detail, "the peer's certificate expired");
	ck_assert_msg(r->delete_reason == IKE_CAUSE_CERT_EXPIRED, "responder %s (%s)",
	              ike_cause_id(r->delete_reason), r->cause_detail);
	engine_pair_free(&pr);
	free_cert(&pki[RSA_LEAF]);
	free_cert(&pki[EC_LEAF]);
	pki[RSA_LEAF] = save[0];
	pki[EC_LEAF] = save[1];
}
END_TEST

static Suite *cert_suite(void)
{
	Suite *s = suite_create("cert");
	TCase *sig = tcase_create("signatures");
	TCase *cred = tcase_create("credentials");
	TCase *chk = tcase_create("checks");
	TCase *eng = tcase_create("engines");

	tcase_add_unchecked_fixture(sig, pki_setup, pki_teardown);
	tcase_add_unchecked_fixture(cred, pki_setup, pki_teardown);
	tcase_add_unchecked_fixture(chk, pki_setup, pki_teardown);
	tcase_add_unchecked_fixture(eng, pki_setup, pki_teardown);
	tcase_set_timeout(eng, 60);
	tcase_add_test(sig, test_sig_rsa_raw);
	tcase_add_test(sig, test_sig_ecdsa_rs);
	tcase_add_test(sig, test_skeyid_sig);
	tcase_add_test(cred, test_creds_refused);
	tcase_add_test(cred, test_creds_info);
	tcase_add_test(chk, test_verify_each_way);
	tcase_add_test(chk, test_identity_in_cert);
	tcase_add_test(chk, test_dn_text);
	tcase_add_test(chk, test_self_check);
	tcase_add_test(eng, test_engines_rsa_and_ecdsa);
	tcase_add_test(eng, test_engines_refusals);
	tcase_add_test(eng, test_engines_mm6_refused);
	suite_add_tcase(s, sig);
	suite_add_tcase(s, cred);
	suite_add_tcase(s, chk);
	suite_add_tcase(s, eng);
	return s;
}

int main(void)
{
	return tl_run(cert_suite());
}
