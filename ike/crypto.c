/*
 * crypto.c - hashes, HMAC PRFs and CBC ciphers for IKEv1 through OpenSSL 3's EVP layer.
 *
 * Every function maps an IKEv1 attribute value to an OpenSSL algorithm through a const
 * table, runs one EVP operation in a context it owns, and frees that context before
 * returning: no state survives a call, so the module has nothing to lock or reset.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ike/crypto.h"
#include "ike/ike.h"

struct hash_alg {
	uint16_t id;      /* enum ike_hash */
	const char *name; /* OpenSSL digest name, also the HMAC "digest" parameter */
	size_t len;
};

/*
 * MD5 stays because RFC 2409 makes it mandatory and old peers still offer it; OpenSSL 3's
 * default provider carries it (only the FIPS provider drops it).
 */
static const struct hash_alg hash_algs[] = {
    {IKE_HASH_MD5, "MD5", 16},           {IKE_HASH_SHA1, "SHA1", 20},
    {IKE_HASH_SHA2_256, "SHA2-256", 32}, {IKE_HASH_SHA2_384, "SHA2-384", 48},
    {IKE_HASH_SHA2_512, "SHA2-512", 64},
};

static const struct hash_alg *hash_lookup(uint16_t hash)
{
	size_t i;

	for (i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++) {
		if (hash_algs[i].id == hash)
			return &hash_algs[i];
	}
	return NULL;
}

size_t ike_hash_len(uint16_t hash)
{
	const struct hash_alg *h = hash_lookup(hash);

	return h == NULL ? 0 : h->len;
}

int ike_hash(uint16_t hash, const struct ike_chunk *in, size_t n, uint8_t *out)
{
	const struct hash_alg *h = hash_lookup(hash);
	EVP_MD_CTX *ctx = NULL;
	EVP_MD *md = NULL;
	unsigned int outlen = 0;
	size_t i;
	int ret = 0;

	if (h == NULL || out == NULL || (n > 0 && in == NULL))
		return -1;
	if ((md = EVP_MD_fetch(NULL, h->name, NULL)) == NULL || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex2(ctx, md, NULL) != 1) {
		ret = -1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (in[i].len > 0 && EVP_DigestUpdate(ctx, in[i].ptr, in[i].len) != 1) {
			ret = -1;
			goto done;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &outlen) != 1 || outlen != h->len) {
		ret = -1;
		goto done;
	}
done:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return ret;
}

/*
 * HMAC through EVP_MAC: the key is often SKEYID or a pre-shared key, and the MAC context
 * holds it (and its padded blocks), so EVP_MAC_CTX_free is what wipes it.
 */
int ike_prf(uint16_t hash, const uint8_t *key, size_t keylen, const struct ike_chunk *in, size_t n,
            uint8_t *out)
{
	static const uint8_t empty_key[1];
	const struct hash_alg *h = hash_lookup(hash);
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t outlen = 0, i;
	int ret = 0;

	if (h == NULL || out == NULL || (keylen > 0 && key == NULL) || (n > 0 && in == NULL))
		return -1;
	/*
	 * To EVP_MAC_init a NULL key means "keep the key already set", and a fresh context
	 * has none, so it fails: an empty key needs a non-NULL pointer.
	 */
	if (keylen == 0)
		key = empty_key;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)h->name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL || EVP_MAC_init(ctx, key, keylen, params) != 1) {
		ret = -1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (in[i].len > 0 && EVP_MAC_update(ctx, in[i].ptr, in[i].len) != 1) {
			ret = -1;
			goto done;
		}
	}
	if (EVP_MAC_final(ctx, out, &outlen, h->len) != 1 || outlen != h->len) {
		ret = -1;
		goto done;
	}
done:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

size_t ike_cipher_block_len(uint16_t encr)
{
	switch (encr) {
	case IKE_ENCR_3DES_CBC:
		return 8;
	case IKE_ENCR_AES_CBC:
		return 16;
	default:
		/* Single DES lives only in OpenSSL's legacy provider and is not offered. */
		return 0;
	}
}

size_t ike_cipher_key_len(uint16_t encr, uint16_t keylen_bits)
{
	switch (encr) {
	case IKE_ENCR_3DES_CBC:
		/*
		 * RFC 2409 appendix A forbids a Key Length attribute for fixed-length
		 * ciphers; 192 is tolerated because some peers send it anyway.
		 */
		return keylen_bits == 0 || keylen_bits == 192 ? 24 : 0;
	case IKE_ENCR_AES_CBC:
		if (keylen_bits == 0)
			return 16;
		if (keylen_bits == 128 || keylen_bits == 192 || keylen_bits == 256)
			return keylen_bits / 8;
		return 0;
	default:
		return 0;
	}
}

/* OpenSSL name of the CBC cipher for an algorithm and key length, NULL when invalid. */
static const char *cipher_name(uint16_t encr, size_t keylen)
{
	if (encr == IKE_ENCR_3DES_CBC && keylen == 24)
		return "DES-EDE3-CBC";
	if (encr != IKE_ENCR_AES_CBC)
		return NULL;
	switch (keylen) {
	case 16:
		return "AES-128-CBC";
	case 24:
		return "AES-192-CBC";
	case 32:
		return "AES-256-CBC";
	default:
		return NULL;
	}
}

int ike_cipher(uint16_t encr, const uint8_t *key, size_t keylen, const uint8_t *iv, int encrypt,
               const uint8_t *in, size_t len, uint8_t *out)
{
	const char *name = cipher_name(encr, keylen);
	size_t block = ike_cipher_block_len(encr);
	EVP_CIPHER *cipher = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	int outl = 0, finl = 0, ret = 0;

	if (name == NULL || block == 0 || key == NULL || iv == NULL || len % block != 0 ||
	    len > INT_MAX || (len > 0 && (in == NULL || out == NULL)))
		return -1;
	if (len == 0)
		return 0;
	if ((cipher = EVP_CIPHER_fetch(NULL, name, NULL)) == NULL ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(ctx, cipher, key, iv, encrypt ? 1 : 0, NULL) != 1) {
		ret = -1;
		goto done;
	}
	/* IKE pads itself (RFC 2408 3.1); PKCS#7 padding would add a block. */
	if (EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		ret = -1;
		goto done;
	}
	if (EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1) {
		ret = -1;
		goto done;
	}
	if (EVP_CipherFinal_ex(ctx, out + outl, &finl) != 1 || (size_t)outl + (size_t)finl != len) {
		ret = -1;
		goto done;
	}
done:
	/* The context holds the expanded key schedule; freeing it cleanses it. */
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return ret;
}

int ike_random(uint8_t *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (buf == NULL || len > INT_MAX)
		return -1;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

/* Returns 0 when equal and 1 when not: a mismatch is an answer, not a failure. */
int ike_memeq_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0 ? 0 : 1;
}
