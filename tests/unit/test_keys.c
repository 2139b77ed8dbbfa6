/*
 * test_keys.c - IKEv1 phase-1 key derivation (ike/keys.c) against known answers.
 *
 * Sources of the expected values:
 *  - the HMAC-SHA1 pre-shared-key vector of RECIPES.md, checked there two ways;
 *  - Libreswan's cavp tool (-v1psk) on the same inputs with SHA-256 and SHA-512;
 *  - Python's hashlib/hmac for the appendix B expansion, the IVs and HASH_I/HASH_R
 *    (another implementation than the OpenSSL under test).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ike/ike.h"
#include "ike/keys.h"
#include "tests/unit/testlib.h"

/* The RECIPES.md inputs, shared by the vectors below. */
static const char *CKY_I = "83d374c30b3b5082";
static const char *CKY_R = "5afc0da06c728029";
static const char *NI = "b9a2d0e922dc66dd";
static const char *NR = "2130166863b5ddef";
static const char *GXY = "739003ba2c11c982946c65e26acf661fbf8ebb78011a9fead79efa12fe3e71cc";
static const char *PSK = "75";

struct kdf_vector {
	uint16_t hash;
	const char *skeyid, *d, *a, *e;
};

static const struct kdf_vector vectors[] = {
    /* RECIPES.md, HMAC-SHA1 */
    {IKE_HASH_SHA1, "62b04d112877e442fc3282fc37c076997718a0b9",
     "369e5aad1bdb5faf6a3d929d500cdc236710a9ab", "588e957d8d790d093b3a39f121473473af78e9bb",
     "cd74b0c048219db81384d3fda8f6cda51e398a2b"},
    /* Libreswan cavp -v1psk -hashAlg SHA-256, same inputs */
    {IKE_HASH_SHA2_256, "84007fb1b16c3cb137b2e1a30c5a9790f8a896363b10d56aa6b9224768b24073",
     "9136ddbacfbc504a6ed87dad1e99de3366de7d5e39741c791217b47473e57c19",
     "9ba3cf597a9722a374d385be357da6a0abc6d43c6970e5bb3a4910934866049b",
     "3162b3419c563412c08e63a386f1eb4321d2adb7f4dac0523149ab607c917214"},
    /* Libreswan cavp -v1psk -hashAlg SHA-512, same inputs */
    {IKE_HASH_SHA2_512,
     "3931cb48b69eb7d10ee6214b40929930cf09d6895e407347dfcf979c9b99c4e18faa87dd3b70b563d9ab84707a"
     "0803c4a9f4a4b6eb125ba7683428659104bd36",
     "702589deca197eaee157c35b234c92577030ece47d31771e8070f5a8a5db14bee2d882f870a8afa6e8eef71777"
     "dcb8f83ff751cd2fa320a3b8ab543ab8d352c0",
     "6dfd1a6b2410530d7899f8cb26372c1829ca3d8d70c4a4bc5ed9fd908cb2c77e93a3e271dd2bcd59cec88955ae"
     "8e5a31221a82eab846b9987c235012cde92df1",
     "f34711fd996e9c51bb12b7cf1554d32be7a87dbeb266ac1a987b603c5b0bfce6fb66c68bf8c0d466f118f6a0af"
     "1de5e23a6a92c41435d5a542d676d85d378be8"},
};

/* Inputs of one phase-1 derivation, decoded. */
struct p1_inputs {
	uint8_t ci[8], cr[8], ni[64], nr[64], gxy[64], psk[64];
	size_t ni_len, nr_len, gxy_len, psk_len;
	uint8_t gxi[256], gxr[256];
};

static void inputs_load(struct p1_inputs *in)
{
	size_t i;

	tl_unhex(CKY_I, in->ci, sizeof(in->ci));
	tl_unhex(CKY_R, in->cr, sizeof(in->cr));
	in->ni_len = tl_unhex(NI, in->ni, sizeof(in->ni));
	in->nr_len = tl_unhex(NR, in->nr, sizeof(in->nr));
	in->gxy_len = tl_unhex(GXY, in->gxy, sizeof(in->gxy));
	in->psk_len = tl_unhex(PSK, in->psk, sizeof(in->psk));
	/* Arbitrary public values for the IV: gxi = 00 01 .. ff, gxr = ff fe .. 00. */
	for (i = 0; i < 256; i++) {
		in->gxi[i] = (uint8_t)i;
		in->gxr[i] = (uint8_t)(255 - i);
	}
}

/* SKEYID and the whole phase-1 key set for k->hash / k->encr. */
static int derive_all(struct ike_p1_keys *k, const struct p1_inputs *in, uint16_t keylen_bits)
{
	if (ike_skeyid_psk(k->hash, in->psk, in->psk_len, in->ni, in->ni_len, in->nr, in->nr_len,
	                   k->skeyid) != 0)
		return -1;
	return ike_p1_keys_derive(k, keylen_bits, in->gxy, in->gxy_len, in->ci, in->cr, in->gxi,
	                          sizeof(in->gxi), in->gxr, sizeof(in->gxr));
}

/*
 * KEYMAT (RFC 2409 5.5) for 52 bytes with HMAC-SHA-256, so K2 = prf(SKEYID_d, K1 | ...)
 * is exercised, without and with a PFS secret.  Expected values from Python:
 *   d=bytes(range(32)); ni=bytes(0xa0+i for i in range(16)); nr=bytes(0xb0+i ...)
 *   seed=[gxy]+b'\x03'+bytes.fromhex('11223344')+ni+nr; Kn=hmac(d, Kn-1+seed, sha256)
 */
START_TEST(test_keymat)
{
	struct ike_p1_keys k;
	uint8_t ni[16], nr[16], gxy[32], out[52];
	size_t i;

	memset(&k, 0, sizeof(k));
	k.hash = IKE_HASH_SHA2_256;
	k.prf_len = 32;
	for (i = 0; i < 32; i++)
		k.skeyid_d[i] = (uint8_t)i;
	for (i = 0; i < 16; i++) {
		ni[i] = (uint8_t)(0xa0 + i);
		nr[i] = (uint8_t)(0xb0 + i);
	}
	memset(gxy, 0x55, sizeof(gxy));
	ck_assert_int_eq(ike_keymat(&k, NULL, 0, 3, 0x11223344, ni, 16, nr, 16, out, sizeof(out)),
	                 0);
	tl_assert_hex(out, sizeof(out),
	              "8a75c3887897b7161450edcd4fe96eef72351838147a1880d98eca1015b12ee0a78c5d02"
	              "14c988c422d14f539e7483cc1974b9ee");
	ck_assert_int_eq(
	    ike_keymat(&k, gxy, sizeof(gxy), 3, 0x11223344, ni, 16, nr, 16, out, sizeof(out)), 0);
	tl_assert_hex(out, sizeof(out),
	              "a667c4c61b62c9f7293941c43405fc9fc7eefd441d70890842a9e0ee5450c4b6a7f3db53"
	              "c67b72373d96f45b012db7fe537c165b");
}
END_TEST

START_TEST(test_skeyid_vectors)
{
	const struct kdf_vector *v = &vectors[_i];
	struct ike_p1_keys k;
	struct p1_inputs in;
	size_t hlen = ike_hash_len(v->hash);

	inputs_load(&in);
	memset(&k, 0, sizeof(k));
	k.hash = v->hash;
	k.encr = IKE_ENCR_AES_CBC;
	ck_assert_int_eq(derive_all(&k, &in, 0), 0);
	ck_assert_uint_eq(k.prf_len, hlen);
	tl_assert_hex(k.skeyid, hlen, v->skeyid);
	tl_assert_hex(k.skeyid_d, hlen, v->d);
	tl_assert_hex(k.skeyid_a, hlen, v->a);
	tl_assert_hex(k.skeyid_e, hlen, v->e);
	ike_p1_keys_wipe(&k);
}
END_TEST

struct enc_vector {
	uint16_t hash, encr, keylen_bits;
	const char *key; /* Python hmac: appendix B expansion of SKEYID_e */
};

static const struct enc_vector enc_vectors[] = {
    /* SHA-1 gives 20 bytes: AES-128 takes them directly, AES-256 and 3DES expand. */
    {IKE_HASH_SHA1, IKE_ENCR_AES_CBC, 0, "cd74b0c048219db81384d3fda8f6cda5"},
    {IKE_HASH_SHA1, IKE_ENCR_AES_CBC, 128, "cd74b0c048219db81384d3fda8f6cda5"},
    {IKE_HASH_SHA1, IKE_ENCR_AES_CBC, 256,
     "9ce3201d5c6cf897a6cba863e68c634d8d63805d1f20e30bf6884e2a4ee9fc8a"},
    {IKE_HASH_SHA1, IKE_ENCR_AES_CBC, 192, "9ce3201d5c6cf897a6cba863e68c634d8d63805d1f20e30b"},
    {IKE_HASH_SHA1, IKE_ENCR_3DES_CBC, 0, "9ce3201d5c6cf897a6cba863e68c634d8d63805d1f20e30b"},
    /* SHA-256 gives 32 bytes: no expansion up to AES-256. */
    {IKE_HASH_SHA2_256, IKE_ENCR_AES_CBC, 256,
     "3162b3419c563412c08e63a386f1eb4321d2adb7f4dac0523149ab607c917214"},
    {IKE_HASH_SHA2_256, IKE_ENCR_3DES_CBC, 0, "3162b3419c563412c08e63a386f1eb4321d2adb7f4dac052"},
};

START_TEST(test_enc_key)
{
	const struct enc_vector *v = &enc_vectors[_i];
	struct ike_p1_keys k;
	struct p1_inputs in;

	inputs_load(&in);
	memset(&k, 0, sizeof(k));
	k.hash = v->hash;
	k.encr = v->encr;
	ck_assert_int_eq(derive_all(&k, &in, v->keylen_bits), 0);
	ck_assert_uint_eq(k.block_len, v->encr == IKE_ENCR_AES_CBC ? 16 : 8);
	tl_assert_hex(k.enc_key, k.enc_key_len, v->key);
	ike_p1_keys_wipe(&k);
}
END_TEST

START_TEST(test_key_expand_direct)
{
	uint8_t e[IKE_MAX_HASH_LEN], out[96], k1[20], k2[20], k3[20];
	struct ike_chunk c;
	static const uint8_t zero = 0;

	tl_unhex("cd74b0c048219db81384d3fda8f6cda51e398a2b", e, sizeof(e));
	/* Short enough: a prefix of SKEYID_e itself. */
	ck_assert_int_eq(ike_key_expand(IKE_HASH_SHA1, e, 20, out, 20), 0);
	ck_assert_mem_eq(out, e, 20);
	/* 60 bytes = K1 | K2 | K3, each link computed here by hand through the PRF. */
	c.ptr = &zero;
	c.len = 1;
	ck_assert_int_eq(ike_prf(IKE_HASH_SHA1, e, 20, &c, 1, k1), 0);
	c.ptr = k1;
	c.len = 20;
	ck_assert_int_eq(ike_prf(IKE_HASH_SHA1, e, 20, &c, 1, k2), 0);
	c.ptr = k2;
	ck_assert_int_eq(ike_prf(IKE_HASH_SHA1, e, 20, &c, 1, k3), 0);
	ck_assert_int_eq(ike_key_expand(IKE_HASH_SHA1, e, 20, out, 60), 0);
	ck_assert_mem_eq(out, k1, 20);
	ck_assert_mem_eq(out + 20, k2, 20);
	ck_assert_mem_eq(out + 40, k3, 20);
	/* K1 agrees with the Python value used above. */
	tl_assert_hex(out, 20, "9ce3201d5c6cf897a6cba863e68c634d8d63805d");
	ck_assert_int_eq(ike_key_expand(IKE_HASH_NONE, e, 20, out, 32), -1);
}
END_TEST

START_TEST(test_initial_iv)
{
	struct ike_p1_keys k;
	struct p1_inputs in;

	inputs_load(&in);
	memset(&k, 0, sizeof(k));
	/* IV = SHA-1(g^xi | g^xr) = 967cf8a6...: first 16 bytes for AES, 8 for 3DES. */
	k.hash = IKE_HASH_SHA1;
	k.encr = IKE_ENCR_AES_CBC;
	ck_assert_int_eq(derive_all(&k, &in, 0), 0);
	tl_assert_hex(k.iv, k.block_len, "967cf8a6c7bef8d19680bc8e04a42e85");
	k.encr = IKE_ENCR_3DES_CBC;
	ck_assert_int_eq(derive_all(&k, &in, 0), 0);
	tl_assert_hex(k.iv, k.block_len, "967cf8a6c7bef8d1");
	/* SHA-256 with AES: a plain hash, not HMAC keyed with anything. */
	k.hash = IKE_HASH_SHA2_256;
	k.encr = IKE_ENCR_AES_CBC;
	ck_assert_int_eq(derive_all(&k, &in, 256), 0);
	tl_assert_hex(k.iv, k.block_len, "1c7454fdb5783a77693d566de1ea54b3");
	ike_p1_keys_wipe(&k);
}
END_TEST

START_TEST(test_msgid_iv)
{
	struct ike_p1_keys k;
	uint8_t last[16], iv[16];

	memset(&k, 0, sizeof(k));
	tl_unhex("000102030405060708090a0b0c0d0e0f", last, sizeof(last));
	/* SHA-1(last | a1b2c3d4), AES block: M-ID in network byte order. */
	k.hash = IKE_HASH_SHA1;
	k.block_len = 16;
	ck_assert_int_eq(ike_msgid_iv(&k, last, 0xa1b2c3d4u, iv), 0);
	tl_assert_hex(iv, 16, "41be47c4194a93d298b842de5e6755df");
	/* SHA-256(last[0..8] | 00000001), 3DES block: only block_len bytes of the old IV. */
	k.hash = IKE_HASH_SHA2_256;
	k.block_len = 8;
	ck_assert_int_eq(ike_msgid_iv(&k, last, 1, iv), 0);
	tl_assert_hex(iv, 8, "fd4cdc03a255f358");
	k.hash = IKE_HASH_NONE;
	ck_assert_int_eq(ike_msgid_iv(&k, last, 1, iv), -1);
}
END_TEST

START_TEST(test_p1_hash)
{
	struct ike_p1_keys k;
	struct p1_inputs in;
	const uint8_t sai[] = "SAi-body-SAi-body-SAi-body-";
	uint8_t idb[8], out[IKE_MAX_HASH_LEN];

	inputs_load(&in);
	memset(&k, 0, sizeof(k));
	k.hash = IKE_HASH_SHA1;
	k.encr = IKE_ENCR_AES_CBC;
	ck_assert_int_eq(derive_all(&k, &in, 0), 0);
	tl_unhex("01000000c0000201", idb, sizeof(idb));
	/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) */
	ck_assert_int_eq(ike_p1_hash(&k, in.gxi, 256, in.gxr, 256, in.ci, in.cr, sai,
	                             sizeof(sai) - 1, idb, sizeof(idb), out),
	                 0);
	tl_assert_hex(out, 20, "535031db980f75080aacbb62f059254550f22948");
	/* HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) */
	ck_assert_int_eq(ike_p1_hash(&k, in.gxr, 256, in.gxi, 256, in.cr, in.ci, sai,
	                             sizeof(sai) - 1, idb, sizeof(idb), out),
	                 0);
	tl_assert_hex(out, 20, "a19d995af324da828b4ba035759117c425052bcd");
	ike_p1_keys_wipe(&k);
}
END_TEST

START_TEST(test_derive_rejects)
{
	struct ike_p1_keys k;
	struct p1_inputs in;

	inputs_load(&in);
	memset(&k, 0, sizeof(k));
	k.hash = IKE_HASH_SHA1;
	k.encr = IKE_ENCR_AES_CBC;
	ck_assert_int_eq(derive_all(&k, &in, 0), 0);
	/* An AES key length outside 128/192/256 fails and leaves no half-derived keys. */
	ck_assert_int_eq(derive_all(&k, &in, 100), -1);
	ck_assert(tl_all_zero(k.skeyid_d, sizeof(k.skeyid_d)));
	ck_assert(tl_all_zero(k.skeyid_e, sizeof(k.skeyid_e)));
	ck_assert(tl_all_zero(k.enc_key, sizeof(k.enc_key)));
	k.encr = IKE_ENCR_DES_CBC;
	ck_assert_int_eq(derive_all(&k, &in, 0), -1);
	k.encr = IKE_ENCR_AES_CBC;
	k.hash = 3; /* Tiger: not supported */
	ck_assert_int_eq(derive_all(&k, &in, 0), -1);
	ck_assert_int_eq(ike_skeyid_psk(IKE_HASH_NONE, in.psk, 1, in.ni, 8, in.nr, 8, k.skeyid),
	                 -1);
}
END_TEST

START_TEST(test_wipe)
{
	struct ike_p1_keys k;
	struct p1_inputs in;

	inputs_load(&in);
	memset(&k, 0, sizeof(k));
	k.hash = IKE_HASH_SHA2_256;
	k.encr = IKE_ENCR_AES_CBC;
	ck_assert_int_eq(derive_all(&k, &in, 256), 0);
	ck_assert(!tl_all_zero(k.enc_key, k.enc_key_len));
	ike_p1_keys_wipe(&k);
	ck_assert(tl_all_zero((const uint8_t *)&k, sizeof(k)));
	ike_p1_keys_wipe(NULL);
}
END_TEST

static Suite *keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_skeyid_vectors, 0, sizeof(vectors) / sizeof(vectors[0]));
	tcase_add_loop_test(tc, test_enc_key, 0, sizeof(enc_vectors) / sizeof(enc_vectors[0]));
	tcase_add_test(tc, test_key_expand_direct);
	tcase_add_test(tc, test_initial_iv);
	tcase_add_test(tc, test_msgid_iv);
	tcase_add_test(tc, test_p1_hash);
	tcase_add_test(tc, test_derive_rejects);
	tcase_add_test(tc, test_wipe);
	tcase_add_test(tc, test_keymat);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(keys_suite());
}
