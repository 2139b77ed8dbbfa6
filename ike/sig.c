/*
 * sig.c - RSA and ECDSA signatures over HASH_I / HASH_R (see sig.h for the formats).
 *
 * EVP_DigestSign would hash its input once more: IKEv1 signs the PRF output itself, so
 * these use EVP_PKEY_sign / EVP_PKEY_verify without a digest, which OpenSSL 3 defines
 * as "the input is the digest" (RSA: type-1 padding around the raw bytes; ECDSA: the
 * input as the message hash).  ECDSA's DER signature is converted from and to r | s.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "ike/ike.h"
#include "ike/sig.h"

#define RSA_MIN_BITS 1024

uint16_t ike_sig_method(EVP_PKEY *key)
{
	char group[64];
	size_t len = 0;

	if (key == NULL)
		return 0;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		return EVP_PKEY_get_bits(key) >= RSA_MIN_BITS ? IKE_AUTH_RSA_SIG : 0;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return 0;
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &len) != 1)
		return 0;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return IKE_AUTH_ECDSA_256;
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return IKE_AUTH_ECDSA_384;
	if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
		return IKE_AUTH_ECDSA_521;
	return 0;
}

/* Bytes of r and of s in an r | s signature: the size of the curve's order. */
static size_t ecdsa_half(EVP_PKEY *key)
{
	int bits = EVP_PKEY_get_bits(key);

	return bits > 0 ? ((size_t)bits + 7) / 8 : 0;
}

static EVP_PKEY_CTX *pkey_ctx(EVP_PKEY *key, uint16_t method, bool sign)
{
	EVP_PKEY_CTX *ctx;

	if (method == 0 || ike_sig_method(key) != method)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (ctx == NULL)
		return NULL;
	if ((sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1 ||
	    (method == IKE_AUTH_RSA_SIG &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* DER ECDSA-Sig-Value to r | s of half bytes each. */
static int der_to_rs(const uint8_t *der, size_t der_len, size_t half, uint8_t *out, size_t cap,
                     size_t *len)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	int ret = -1;

	if (es == NULL)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	if (2 * half <= cap && BN_bn2binpad(r, out, (int)half) == (int)half &&
	    BN_bn2binpad(s, out + half, (int)half) == (int)half) {
		*len = 2 * half;
		ret = 0;
	}
	ECDSA_SIG_free(es);
	return ret;
}

int ike_sig_sign(EVP_PKEY *key, uint16_t method, const uint8_t *hash, size_t hash_len, uint8_t *sig,
                 size_t cap, size_t *len)
{
	EVP_PKEY_CTX *ctx = pkey_ctx(key, method, true);
	uint8_t der[IKE_SIG_MAX];
	size_t n = sizeof(der);
	int ret = -1;

	if (ctx == NULL)
		return -1;
	if (EVP_PKEY_sign(ctx, NULL, &n, hash, hash_len) != 1 || n > sizeof(der) ||
	    EVP_PKEY_sign(ctx, der, &n, hash, hash_len) != 1)
		goto done;
	if (method == IKE_AUTH_RSA_SIG) {
		if (n <= cap) {
			memcpy(sig, der, n);
			*len = n;
			ret = 0;
		}
		goto done;
	}
	ret = der_to_rs(der, n, ecdsa_half(key), sig, cap, len);
done:
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

/* r | s to DER; its length, or 0. */
static size_t rs_to_der(const uint8_t *sig, size_t half, uint8_t *der, size_t cap)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
	unsigned char *p = der;
	int n = 0;

	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return 0;
	}
	/* es owns r and s now */
	if (i2d_ECDSA_SIG(es, NULL) <= (int)cap)
		n = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	return n > 0 ? (size_t)n : 0;
}

int ike_sig_verify(EVP_PKEY *key, uint16_t method, const uint8_t *hash, size_t hash_len,
                   const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = pkey_ctx(key, method, false);
	uint8_t der[IKE_SIG_MAX];
	size_t half, n;
	int ret = -1;

	if (ctx == NULL || sig == NULL || sig_len == 0 || sig_len > IKE_SIG_MAX)
		goto done;
	if (method == IKE_AUTH_RSA_SIG) {
		if (sig_len == (size_t)EVP_PKEY_get_size(key) &&
		    EVP_PKEY_verify(ctx, sig, sig_len, hash, hash_len) == 1)
			ret = 0;
		goto done;
	}
	half = ecdsa_half(key);
	if (half == 0 || sig_len != 2 * half)
		goto done;
	n = rs_to_der(sig, half, der, sizeof(der));
	if (n != 0 && EVP_PKEY_verify(ctx, der, n, hash, hash_len) == 1)
		ret = 0;
done:
	EVP_PKEY_CTX_free(ctx);
	return ret;
}
