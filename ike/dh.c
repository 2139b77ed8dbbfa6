/*
 * dh.c - Diffie-Hellman key pairs and shared secrets for IKEv1 (OpenSSL 3 EVP_PKEY).
 *
 * The two wire-format traps of dh.h are handled here and nowhere else: MODP values are
 * left-padded to the prime length (a secret with a leading zero byte is 1 time in 256,
 * and a peer that hashes 255 bytes derives different keys), and ECP values drop the
 * SEC 1 0x04 prefix that OpenSSL's encoded points carry.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ike/dh.h"
#include "ike/ike.h"

#define EC_POINT_UNCOMPRESSED 0x04 /* SEC 1 2.3.3 */

enum dh_kind { DH_MODP, DH_ECP };

struct dh_group {
	uint16_t id; /* enum ike_group */
	enum dh_kind kind;
	/*
	 * OpenSSL group name; NULL for MODP-1024, which OpenSSL 3.0 knows no name for
	 * ("modp_1536" is its smallest RFC 3526 group), so it is built from its prime.
	 */
	const char *name;
	size_t len;          /* prime length (MODP) or field length (ECP) in bytes */
	const uint8_t *base; /* ECP: the base point G, x | y (2 * len bytes) */
};

/* The base points (RFC 5903 3.1, 3.2: gx | gy) the known key of load tests publishes. */
static const uint8_t p256_g[64] = {
    0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
    0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
    0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
    0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};
static const uint8_t p384_g[96] = {
    0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7, 0x1e, 0xf3, 0x20, 0xad, 0x74,
    0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b, 0x98, 0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a, 0x38,
    0x55, 0x02, 0xf2, 0x5d, 0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a, 0xb7,
    0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98, 0xbf, 0x92, 0x92, 0xdc, 0x29,
    0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14, 0x7c, 0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0, 0xb8, 0xc0,
    0x0a, 0x60, 0xb1, 0xce, 0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90, 0xea, 0x0e, 0x5f,
};

static const struct dh_group dh_groups[] = {
    {IKE_GROUP_MODP1024, DH_MODP, NULL, 128, NULL},
    {IKE_GROUP_MODP2048, DH_MODP, "modp_2048", 256, NULL},
    {IKE_GROUP_MODP3072, DH_MODP, "modp_3072", 384, NULL},
    {IKE_GROUP_MODP4096, DH_MODP, "modp_4096", 512, NULL},
    {IKE_GROUP_ECP256, DH_ECP, "P-256", 32, p256_g},
    {IKE_GROUP_ECP384, DH_ECP, "P-384", 48, p384_g},
};

struct ike_dh {
	const struct dh_group *grp;
	EVP_PKEY *pkey; /* holds the private key; EVP_PKEY_free clears it; NULL: known */
	uint8_t pub[IKE_DH_MAX_LEN];
	size_t pub_len;
};

static const struct dh_group *group_lookup(uint16_t group)
{
	size_t i;

	for (i = 0; i < sizeof(dh_groups) / sizeof(dh_groups[0]); i++) {
		if (dh_groups[i].id == group)
			return &dh_groups[i];
	}
	return NULL;
}

int ike_dh_supported(uint16_t group)
{
	return group_lookup(group) != NULL;
}

size_t ike_dh_public_len(uint16_t group)
{
	const struct dh_group *g = group_lookup(group);

	if (g == NULL)
		return 0;
	return g->kind == DH_MODP ? g->len : 2 * g->len;
}

size_t ike_dh_secret_len(uint16_t group)
{
	const struct dh_group *g = group_lookup(group);

	return g == NULL ? 0 : g->len;
}

/*
 * Push the domain parameters of a MODP group: its OpenSSL name, or for group 2 the
 * RFC 2409 6.2 prime with generator 2.  p and g are handed back for the caller to free
 * after OSSL_PARAM_BLD_to_param, which copies them.
 */
static int modp_params_push(OSSL_PARAM_BLD *bld, const struct dh_group *grp, BIGNUM **p, BIGNUM **g)
{
	if (grp->name != NULL) {
		if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, grp->name,
		                                    0) != 1)
			return -1;
		return 0;
	}
	if ((*p = BN_get_rfc2409_prime_1024(NULL)) == NULL || (*g = BN_new()) == NULL ||
	    BN_set_word(*g, 2) != 1)
		return -1;
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, *p) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, *g) != 1)
		return -1;
	return 0;
}

/* Push the curve name of an ECP group and, when point is not NULL, a public point. */
static int ecp_params_push(OSSL_PARAM_BLD *bld, const struct dh_group *grp, const uint8_t *point,
                           size_t point_len)
{
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, grp->name, 0) != 1)
		return -1;
	if (point != NULL &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) != 1)
		return -1;
	return 0;
}

/*
 * Build an EVP_PKEY of the group from OSSL_PARAMs: the domain parameters alone
 * (selection EVP_PKEY_KEY_PARAMETERS) or with a peer's public value (EVP_PKEY_PUBLIC_KEY;
 * y for MODP, the SEC 1 encoded point for ECP).
 */
static EVP_PKEY *group_pkey(const struct dh_group *grp, int selection, const BIGNUM *y,
                            const uint8_t *point, size_t point_len)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *p = NULL, *g = NULL;
	int pushed;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto done;
	if (grp->kind == DH_MODP)
		pushed =
		    modp_params_push(bld, grp, &p, &g) == 0 &&
		    (y == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) == 1);
	else
		pushed = ecp_params_push(bld, grp, point, point_len) == 0;
	if (!pushed || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto done;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, grp->kind == DH_MODP ? "DH" : "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(g);
	return pkey;
}

/* Our public value in wire format: y padded to the prime length, or x | y of the point. */
static int public_export(struct ike_dh *dh)
{
	uint8_t point[1 + 2 * 66];
	BIGNUM *y = NULL;
	size_t len = 0;
	int ret = 0;

	if (dh->grp->kind == DH_MODP) {
		if (EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y) != 1 ||
		    BN_bn2binpad(y, dh->pub, (int)dh->grp->len) != (int)dh->grp->len) {
			ret = -1;
			goto done;
		}
		dh->pub_len = dh->grp->len;
		goto done;
	}
	/* OpenSSL encodes uncompressed by default: 0x04 | x | y, coordinates padded. */
	if (EVP_PKEY_get_octet_string_param(dh->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	                                    sizeof(point), &len) != 1 ||
	    len != 1 + 2 * dh->grp->len || point[0] != EC_POINT_UNCOMPRESSED) {
		ret = -1;
		goto done;
	}
	memcpy(dh->pub, point + 1, len - 1);
	dh->pub_len = len - 1;
done:
	BN_free(y);
	return ret;
}

struct ike_dh *ike_dh_new(uint16_t group)
{
	const struct dh_group *grp = group_lookup(group);
	struct ike_dh *dh = NULL;
	EVP_PKEY *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	if (grp == NULL || (dh = calloc(1, sizeof(*dh))) == NULL)
		return NULL;
	dh->grp = grp;
	if ((params = group_pkey(grp, EVP_PKEY_KEY_PARAMETERS, NULL, NULL, 0)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_generate(ctx, &dh->pkey) != 1 ||
	    public_export(dh) != 0) {
		ike_dh_free(dh);
		dh = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	return dh;
}

/* The generator in wire format: MODP g = 2 left-padded, ECP the base point's x | y. */
static void generator_export(struct ike_dh *dh)
{
	const struct dh_group *grp = dh->grp;

	if (grp->kind == DH_MODP) {
		memset(dh->pub, 0, grp->len);
		dh->pub[grp->len - 1] = 2; /* RFC 2409 6.1, 6.2; RFC 3526: g = 2 for all */
		dh->pub_len = grp->len;
		return;
	}
	memcpy(dh->pub, grp->base, 2 * grp->len);
	dh->pub_len = 2 * grp->len;
}

struct ike_dh *ike_dh_new_known(uint16_t group)
{
	const struct dh_group *grp = group_lookup(group);
	struct ike_dh *dh;

	if (grp == NULL || (dh = calloc(1, sizeof(*dh))) == NULL)
		return NULL;
	dh->grp = grp;
	generator_export(dh);
	return dh;
}

int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t len)
{
	if (dh == NULL || out == NULL || len != dh->pub_len)
		return -1;
	memcpy(out, dh->pub, len);
	return 0;
}

/*
 * The peer's public value as an EVP_PKEY of our group, NULL when it is no valid public
 * key.  MODP: 1 < y < p - 1 (RFC 2631 2.1.5 without its subgroup test; with the safe
 * primes of these groups the only small subgroups are those of order 1 and 2, which the
 * range test rules out).  ECP: the point is on the curve and not at infinity.
 */
static EVP_PKEY *peer_import(const struct dh_group *grp, const uint8_t *peer, size_t peer_len)
{
	uint8_t point[1 + IKE_DH_MAX_LEN];
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *y = NULL;

	if (grp->kind == DH_MODP) {
		if ((y = BN_bin2bn(peer, (int)peer_len, NULL)) == NULL)
			goto done;
		pkey = group_pkey(grp, EVP_PKEY_PUBLIC_KEY, y, NULL, 0);
	} else {
		point[0] = EC_POINT_UNCOMPRESSED;
		memcpy(point + 1, peer, peer_len);
		pkey = group_pkey(grp, EVP_PKEY_PUBLIC_KEY, NULL, point, peer_len + 1);
	}
	if (pkey == NULL)
		goto done;
	/*
	 * The quick check is the range test for DH and the on-curve test for EC.  The
	 * full DH check adds y^q mod p, a full-length exponentiation: measured here on
	 * MODP-2048 it makes a derivation cost 3.0 ms instead of 0.4 ms.
	 */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check_quick(ctx) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
done:
	EVP_PKEY_CTX_free(ctx);
	BN_free(y);
	return pkey;
}

int ike_dh_derive(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
                  size_t out_len)
{
	EVP_PKEY *peer_key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = 0;
	int ret = 0;

	if (dh == NULL || peer == NULL || out == NULL || peer_len != dh->pub_len ||
	    out_len != dh->grp->len)
		return -1;
	if ((peer_key = peer_import(dh->grp, peer, peer_len)) == NULL) {
		ret = -1;
		goto done;
	}
	/* a known key's private value is 1: (g^y)^1 is the peer's value, 1 * Q is Q */
	if (dh->pkey == NULL) {
		memcpy(out, peer, out_len);
		goto done;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1) {
		ret = -1;
		goto done;
	}
	/* Without padding OpenSSL returns g^xy minimal-length, 255 bytes once in 256. */
	if (dh->grp->kind == DH_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) != 1) {
		ret = -1;
		goto done;
	}
	/* Validated by peer_import; 0 skips OpenSSL's full re-check (see there). */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 0) != 1 ||
	    EVP_PKEY_derive(ctx, NULL, &len) != 1 || len != out_len) {
		ret = -1;
		goto done;
	}
	/* ECDH gives x alone, padded to the field length (SEC 1 3.3.1), as RFC 5903 7 wants. */
	if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != out_len) {
		OPENSSL_cleanse(out, out_len);
		ret = -1;
		goto done;
	}
done:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	return ret;
}

void ike_dh_free(struct ike_dh *dh)
{
	if (dh == NULL)
		return;
	/* OpenSSL clears the private BIGNUM when it frees the DH or EC key. */
	EVP_PKEY_free(dh->pkey);
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}
