/*
 * test_dh.c - Diffie-Hellman groups of ike/dh.c: agreement, wire formats, validation of
 * the peer's value, and the leading-zero padding trap.
 *
 * The "independent" tests play the peer with plain bignum and EC point arithmetic
 * (BN_mod_exp, EC_POINT_mul) on the primes and curves as the RFCs define them, so a
 * wrong group, a missing pad or a kept 0x04 prefix shows up as a disagreement rather
 * than cancelling out between two copies of the same code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "ike/dh.h"
#include "ike/ike.h"
#include "tests/unit/testlib.h"

/* RFC 2409 6.2, the second Oakley group, as printed there. */
static const char *RFC2409_PRIME_1024 =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

struct group_case {
	uint16_t group;
	size_t pub_len, secret_len;
	int nid; /* curve for ECP groups, 0 for MODP */
};

static const struct group_case groups[] = {
    {IKE_GROUP_MODP1024, 128, 128, 0},
    {IKE_GROUP_MODP2048, 256, 256, 0},
    {IKE_GROUP_MODP3072, 384, 384, 0},
    {IKE_GROUP_MODP4096, 512, 512, 0},
    {IKE_GROUP_ECP256, 64, 32, NID_X9_62_prime256v1},
    {IKE_GROUP_ECP384, 96, 48, NID_secp384r1},
};

#define NGROUPS  ((int)(sizeof(groups) / sizeof(groups[0])))
#define NMODP    4
#define MAX_PAIR 5000 /* a leading zero byte comes once in 256 pairs */

/* The prime of a MODP group, from the RFC text (group 2) or RFC 3526 via OpenSSL. */
static BIGNUM *modp_prime(uint16_t group)
{
	BIGNUM *p = NULL;

	switch (group) {
	case IKE_GROUP_MODP1024:
		ck_assert_int_gt(BN_hex2bn(&p, RFC2409_PRIME_1024), 0);
		break;
	case IKE_GROUP_MODP2048:
		p = BN_get_rfc3526_prime_2048(NULL);
		break;
	case IKE_GROUP_MODP3072:
		p = BN_get_rfc3526_prime_3072(NULL);
		break;
	case IKE_GROUP_MODP4096:
		p = BN_get_rfc3526_prime_4096(NULL);
		break;
	default:
		break;
	}
	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(test_agree)
{
	const struct group_case *g = &groups[_i];
	uint8_t pa[IKE_DH_MAX_LEN], pb[IKE_DH_MAX_LEN], sa[IKE_DH_MAX_LEN], sb[IKE_DH_MAX_LEN];
	struct ike_dh *a, *b;

	ck_assert(ike_dh_supported(g->group));
	ck_assert_uint_eq(ike_dh_public_len(g->group), g->pub_len);
	ck_assert_uint_eq(ike_dh_secret_len(g->group), g->secret_len);
	a = ike_dh_new(g->group);
	b = ike_dh_new(g->group);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(ike_dh_public(a, pa, g->pub_len), 0);
	ck_assert_int_eq(ike_dh_public(b, pb, g->pub_len), 0);
	ck_assert_int_eq(ike_dh_public(a, pa, g->pub_len - 1), -1);
	ck_assert_int_ne(memcmp(pa, pb, g->pub_len), 0);
	ck_assert_int_eq(ike_dh_derive(a, pb, g->pub_len, sa, g->secret_len), 0);
	ck_assert_int_eq(ike_dh_derive(b, pa, g->pub_len, sb, g->secret_len), 0);
	ck_assert_mem_eq(sa, sb, g->secret_len);
	ck_assert(!tl_all_zero(sa, g->secret_len));
	/* output buffer of the wrong size */
	ck_assert_int_eq(ike_dh_derive(a, pb, g->pub_len, sa, g->secret_len + 1), -1);
	ike_dh_free(a);
	ike_dh_free(b);
}
END_TEST

/* The peer is bignum arithmetic mod the RFC prime: y = 2^x, secret = (g^a)^x, padded. */
START_TEST(test_modp_independent)
{
	const struct group_case *g = &groups[_i];
	uint8_t pa[IKE_DH_MAX_LEN], py[IKE_DH_MAX_LEN], got[IKE_DH_MAX_LEN], want[IKE_DH_MAX_LEN];
	BIGNUM *p = modp_prime(g->group), *x = BN_new(), *two = BN_new(), *y = BN_new();
	BIGNUM *ga = NULL, *s = BN_new();
	BN_CTX *bn = BN_CTX_new();
	struct ike_dh *a = ike_dh_new(g->group);
	int len = (int)g->pub_len;

	ck_assert(a != NULL && x != NULL && two != NULL && y != NULL && s != NULL && bn != NULL);
	ck_assert_int_eq(BN_num_bytes(p), len);
	ck_assert_int_eq(BN_set_word(two, 2), 1);
	ck_assert_int_eq(BN_rand(x, 256, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY), 1);
	ck_assert_int_eq(BN_mod_exp(y, two, x, p, bn), 1);
	ck_assert_int_eq(BN_bn2binpad(y, py, len), len);
	ck_assert_int_eq(ike_dh_public(a, pa, g->pub_len), 0);
	ck_assert_ptr_nonnull(ga = BN_bin2bn(pa, len, NULL));
	/* our public value lies in 1 < g^a < p - 1 of this very prime */
	ck_assert_int_gt(BN_cmp(ga, BN_value_one()), 0);
	ck_assert_int_lt(BN_cmp(ga, p), 0);
	ck_assert_int_eq(BN_mod_exp(s, ga, x, p, bn), 1);
	ck_assert_int_eq(BN_bn2binpad(s, want, len), len);
	ck_assert_int_eq(ike_dh_derive(a, py, g->pub_len, got, g->secret_len), 0);
	ck_assert_mem_eq(got, want, g->secret_len);
	ike_dh_free(a);
	BN_free(p);
	BN_free(x);
	BN_free(two);
	BN_free(y);
	BN_free(ga);
	BN_free(s);
	BN_CTX_free(bn);
}
END_TEST

/* The peer is EC point arithmetic: Q = kG sent as x | y; the secret is x(k * our point). */
START_TEST(test_ecp_independent)
{
	const struct group_case *g = &groups[NMODP + _i];
	uint8_t oct[1 + IKE_DH_MAX_LEN], got[IKE_DH_MAX_LEN], want[IKE_DH_MAX_LEN];
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(g->nid);
	EC_POINT *q = NULL, *pa = NULL, *r = NULL;
	BIGNUM *k = BN_new(), *rx = BN_new();
	BN_CTX *bn = BN_CTX_new();
	struct ike_dh *a = ike_dh_new(g->group);
	size_t flen = g->secret_len;

	ck_assert(grp != NULL && k != NULL && rx != NULL && bn != NULL && a != NULL);
	q = EC_POINT_new(grp);
	pa = EC_POINT_new(grp);
	r = EC_POINT_new(grp);
	ck_assert(q != NULL && pa != NULL && r != NULL);
	ck_assert_int_eq(BN_rand_range(k, EC_GROUP_get0_order(grp)), 1);
	ck_assert_int_eq(EC_POINT_mul(grp, q, k, NULL, NULL, bn), 1);
	ck_assert_uint_eq(
	    EC_POINT_point2oct(grp, q, POINT_CONVERSION_UNCOMPRESSED, oct, sizeof(oct), bn),
	    1 + g->pub_len);
	ck_assert_int_eq(ike_dh_derive(a, oct + 1, g->pub_len, got, flen), 0);
	/* our x | y, with 0x04 put back, is a point of this curve */
	oct[0] = 0x04;
	ck_assert_int_eq(ike_dh_public(a, oct + 1, g->pub_len), 0);
	ck_assert_int_eq(EC_POINT_oct2point(grp, pa, oct, 1 + g->pub_len, bn), 1);
	ck_assert_int_eq(EC_POINT_mul(grp, r, NULL, pa, k, bn), 1);
	ck_assert_int_eq(EC_POINT_get_affine_coordinates(grp, r, rx, NULL, bn), 1);
	ck_assert_int_eq(BN_bn2binpad(rx, want, (int)flen), (int)flen);
	ck_assert_mem_eq(got, want, flen);
	ike_dh_free(a);
	EC_POINT_free(q);
	EC_POINT_free(pa);
	EC_POINT_free(r);
	EC_GROUP_free(grp);
	BN_free(k);
	BN_free(rx);
	BN_CTX_free(bn);
}
END_TEST

/* Assert that a derives from a good peer value, i.e. a rejection left it usable. */
static void assert_still_works(struct ike_dh *a, uint16_t group)
{
	uint8_t pb[IKE_DH_MAX_LEN], s[IKE_DH_MAX_LEN];
	size_t plen = ike_dh_public_len(group);
	struct ike_dh *b = ike_dh_new(group);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(ike_dh_public(b, pb, plen), 0);
	ck_assert_int_eq(ike_dh_derive(a, pb, plen, s, ike_dh_secret_len(group)), 0);
	ike_dh_free(b);
}

/* Peer values 0, 1, p - 1, p, 2^n - 1 and wrong lengths are refused (MODP-1024, -2048). */
START_TEST(test_modp_reject)
{
	const struct group_case *g = &groups[_i];
	uint8_t v[IKE_DH_MAX_LEN + 1], s[IKE_DH_MAX_LEN];
	BIGNUM *p = modp_prime(g->group), *pm1 = BN_dup(p);
	struct ike_dh *a = ike_dh_new(g->group);
	size_t n = g->pub_len;

	ck_assert(a != NULL && pm1 != NULL);
	ck_assert_int_eq(BN_sub_word(pm1, 1), 1);
	memset(v, 0, sizeof(v));
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, n), -1);
	v[n - 1] = 1;
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, n), -1);
	ck_assert_int_eq(BN_bn2binpad(pm1, v, (int)n), (int)n);
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, n), -1);
	ck_assert_int_eq(BN_bn2binpad(p, v, (int)n), (int)n);
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, n), -1);
	memset(v, 0xff, sizeof(v));
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, n), -1);
	/* 2 is a fine value, but one byte short or long is not */
	memset(v, 0, sizeof(v));
	v[n - 2] = 2;
	ck_assert_int_eq(ike_dh_derive(a, v, n - 1, s, n), -1);
	ck_assert_int_eq(ike_dh_derive(a, v, n + 1, s, n), -1);
	v[n - 1] = 2;
	v[n - 2] = 0;
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, n), 0);
	assert_still_works(a, g->group);
	ike_dh_free(a);
	BN_free(p);
	BN_free(pm1);
}
END_TEST

/* The point at "zero", a point off the curve, wrong lengths and a kept 0x04 prefix. */
START_TEST(test_ecp_reject)
{
	const struct group_case *g = &groups[NMODP + _i];
	uint8_t v[1 + IKE_DH_MAX_LEN], s[IKE_DH_MAX_LEN];
	struct ike_dh *a = ike_dh_new(g->group), *b = ike_dh_new(g->group);
	size_t n = g->pub_len, sl = g->secret_len;

	ck_assert(a != NULL && b != NULL);
	memset(v, 0, sizeof(v));
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, sl), -1);
	ck_assert_int_eq(ike_dh_public(b, v, n), 0);
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, sl), 0);
	v[n - 1] ^= 0x01; /* y changed: off the curve */
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, sl), -1);
	v[n - 1] ^= 0x01;
	v[0] ^= 0x01; /* x changed, y kept: off the curve (but for a 2^-256 fluke) */
	ck_assert_int_eq(ike_dh_derive(a, v, n, s, sl), -1);
	v[0] ^= 0x01;
	ck_assert_int_eq(ike_dh_derive(a, v, n - 1, s, sl), -1);
	ck_assert_int_eq(ike_dh_derive(a, v, n + 1, s, sl), -1);
	/* SEC 1 encoding with its 0x04 is not the IKE wire format */
	memmove(v + 1, v, n);
	v[0] = 0x04;
	ck_assert_int_eq(ike_dh_derive(a, v, n + 1, s, sl), -1);
	assert_still_works(a, g->group);
	ike_dh_free(a);
	ike_dh_free(b);
}
END_TEST

START_TEST(test_unsupported)
{
	ck_assert(!ike_dh_supported(IKE_GROUP_NONE));
	ck_assert(!ike_dh_supported(5)); /* MODP-1536: not offered */
	ck_assert(!ike_dh_supported(21));
	ck_assert_uint_eq(ike_dh_public_len(5), 0);
	ck_assert_uint_eq(ike_dh_secret_len(5), 0);
	ck_assert_ptr_null(ike_dh_new(5));
	ike_dh_free(NULL);
}
END_TEST

/*
 * THE PADDING TRAP.  One key pair in 256 gives a shared secret whose first byte is zero,
 * and one in 256 a public value whose first byte is zero.  Generate pairs until both have
 * happened and check that the two sides still agree on every byte of the full-length
 * value: a minimal-length encoding anywhere would make SKEYID differ from the peer's.
 */
static void leading_zero_trap(uint16_t group, const char *what)
{
	uint8_t pa[IKE_DH_MAX_LEN], pb[IKE_DH_MAX_LEN], sa[IKE_DH_MAX_LEN], sb[IKE_DH_MAX_LEN];
	size_t plen = ike_dh_public_len(group), slen = ike_dh_secret_len(group);
	struct ike_dh *a = ike_dh_new(group), *b;
	int pairs, seen_secret = 0, seen_public = 0, zero_pub;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(ike_dh_public(a, pa, plen), 0);
	for (pairs = 1; pairs <= MAX_PAIR && !(seen_secret && seen_public); pairs++) {
		ck_assert_ptr_nonnull(b = ike_dh_new(group));
		ck_assert_int_eq(ike_dh_public(b, pb, plen), 0);
		ck_assert_int_eq(ike_dh_derive(b, pa, plen, sb, slen), 0);
		/* ECP: x or y may start with zero; y starts at slen */
		zero_pub = pb[0] == 0 || (plen != slen && pb[slen] == 0);
		if (sb[0] == 0 || zero_pub) {
			memset(sa, 0xa5, sizeof(sa));
			ck_assert_int_eq(ike_dh_derive(a, pb, plen, sa, slen), 0);
			ck_assert_mem_eq(sa, sb, slen);
			seen_secret |= sb[0] == 0;
			seen_public |= zero_pub;
		}
		ike_dh_free(b);
	}
	printf("%s: leading zero in secret and public value seen within %d pairs\n", what,
	       pairs - 1);
	ck_assert_msg(seen_secret, "no secret with a leading zero in %d pairs", MAX_PAIR);
	ck_assert_msg(seen_public, "no public value with a leading zero in %d pairs", MAX_PAIR);
	ike_dh_free(a);
}

START_TEST(test_modp2048_leading_zero)
{
	leading_zero_trap(IKE_GROUP_MODP2048, "MODP-2048");
}
END_TEST

START_TEST(test_ecp256_leading_zero)
{
	leading_zero_trap(IKE_GROUP_ECP256, "ECP-256");
}
END_TEST

/*
 * The known key of load tests (ike_dh_new_known): its public value is the generator (2,
 * padded; the curve's base point from EC_GROUP, not dh.c's copy), both ends agree with a
 * real key pair, and the secret is the real end's public value (MODP) or its x (ECP).
 */
START_TEST(test_known_key)
{
	const struct group_case *g = &groups[_i];
	uint8_t pk[IKE_DH_MAX_LEN], pr[IKE_DH_MAX_LEN], sk[IKE_DH_MAX_LEN], sr[IKE_DH_MAX_LEN];
	uint8_t want[1 + IKE_DH_MAX_LEN];
	struct ike_dh *known = ike_dh_new_known(g->group), *real = ike_dh_new(g->group);
	EC_GROUP *ec;

	ck_assert_ptr_nonnull(known);
	ck_assert_ptr_nonnull(real);
	ck_assert_int_eq(ike_dh_public(known, pk, g->pub_len), 0);
	ck_assert_int_eq(ike_dh_public(real, pr, g->pub_len), 0);
	memset(want, 0, sizeof(want));
	if (g->nid == 0) {
		want[g->pub_len - 1] = 2;
		ck_assert_mem_eq(pk, want, g->pub_len);
	} else {
		ec = EC_GROUP_new_by_curve_name(g->nid);
		ck_assert_ptr_nonnull(ec);
		ck_assert_uint_eq(EC_POINT_point2oct(ec, EC_GROUP_get0_generator(ec),
		                                     POINT_CONVERSION_UNCOMPRESSED, want,
		                                     sizeof(want), NULL),
		                  1 + g->pub_len);
		EC_GROUP_free(ec);
		ck_assert_mem_eq(pk, want + 1, g->pub_len);
	}
	ck_assert_int_eq(ike_dh_derive(known, pr, g->pub_len, sk, g->secret_len), 0);
	ck_assert_int_eq(ike_dh_derive(real, pk, g->pub_len, sr, g->secret_len), 0);
	ck_assert_mem_eq(sk, sr, g->secret_len);
	ck_assert_mem_eq(sk, pr, g->secret_len); /* MODP: all of g^y; ECP: x */
	/* the peer's value is still checked: 1 is no public value (MODP), 0 no point */
	memset(pr, 0, g->pub_len);
	pr[g->pub_len - 1] = g->nid == 0 ? 1 : 0;
	ck_assert_int_eq(ike_dh_derive(known, pr, g->pub_len, sk, g->secret_len), -1);
	ike_dh_free(known);
	ike_dh_free(real);
}
END_TEST

static Suite *dh_suite(void)
{
	Suite *s = suite_create("dh");
	TCase *tc = tcase_create("core");
	TCase *trap = tcase_create("padding-trap");

	/* MODP-4096 key generation and the trap loops take seconds, not milliseconds. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_agree, 0, NGROUPS);
	tcase_add_loop_test(tc, test_modp_independent, 0, NMODP);
	tcase_add_loop_test(tc, test_ecp_independent, 0, NGROUPS - NMODP);
	tcase_add_loop_test(tc, test_modp_reject, 0, 2);
	tcase_add_loop_test(tc, test_ecp_reject, 0, NGROUPS - NMODP);
	tcase_add_test(tc, test_unsupported);
	tcase_add_loop_test(tc, test_known_key, 0, NGROUPS);
	tcase_set_timeout(trap, 300);
	tcase_add_test(trap, test_modp2048_leading_zero);
	tcase_add_test(trap, test_ecp256_leading_zero);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, trap);
	return s;
}

int main(void)
{
	return tl_run(dh_suite());
}
