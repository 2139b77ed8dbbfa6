/*
 * test_crypto.c - hashes, HMAC PRFs and CBC ciphers of ike/crypto.c against published
 * vectors (FIPS 180 "abc", RFC 2202, RFC 4231, NIST SP 800-38A F.2, NIST SP 800-67), and
 * the payload encryption and IV chain of ike/keys.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ike/crypto.h"
#include "ike/ike.h"
#include "ike/keys.h"
#include "tests/unit/testlib.h"

struct hash_vector {
	uint16_t hash;
	size_t len;
	const char *abc;  /* hash("abc"), FIPS 180-2 appendices and RFC 1321 A.5 */
	const char *jefe; /* HMAC("Jefe", "what do ya want for nothing?"): RFC 2202, 4231 case 2 */
};

static const struct hash_vector hash_vectors[] = {
    {IKE_HASH_MD5, 16, "900150983cd24fb0d6963f7d28e17f72", "750c783e6ab0b503eaa86e310a5db738"},
    {IKE_HASH_SHA1, 20, "a9993e364706816aba3e25717850c26c9cd0d89d",
     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
    {IKE_HASH_SHA2_256, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {IKE_HASH_SHA2_384, 48,
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca1"
     "34c825a7",
     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ec"
     "fab21649"},
    {IKE_HASH_SHA2_512, 64,
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23"
     "a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65"
     "f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
};

static struct ike_chunk chunk(const void *p, size_t len)
{
	struct ike_chunk c;

	c.ptr = p;
	c.len = len;
	return c;
}

START_TEST(test_hash_vectors)
{
	const struct hash_vector *v = &hash_vectors[_i];
	struct ike_chunk in[3];
	uint8_t out[IKE_MAX_HASH_LEN];

	ck_assert_uint_eq(ike_hash_len(v->hash), v->len);
	in[0] = chunk("abc", 3);
	ck_assert_int_eq(ike_hash(v->hash, in, 1, out), 0);
	tl_assert_hex(out, v->len, v->abc);
	/* Chunks are concatenated, empty ones included. */
	in[0] = chunk("a", 1);
	in[1] = chunk("", 0);
	in[2] = chunk("bc", 2);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(ike_hash(v->hash, in, 3, out), 0);
	tl_assert_hex(out, v->len, v->abc);
}
END_TEST

START_TEST(test_prf_vectors)
{
	const struct hash_vector *v = &hash_vectors[_i];
	const char *data = "what do ya want for nothing?";
	struct ike_chunk in[2];
	uint8_t out[IKE_MAX_HASH_LEN];

	in[0] = chunk(data, strlen(data));
	ck_assert_int_eq(ike_prf(v->hash, (const uint8_t *)"Jefe", 4, in, 1, out), 0);
	tl_assert_hex(out, v->len, v->jefe);
	in[0] = chunk(data, 10);
	in[1] = chunk(data + 10, strlen(data) - 10);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(ike_prf(v->hash, (const uint8_t *)"Jefe", 4, in, 2, out), 0);
	tl_assert_hex(out, v->len, v->jefe);
}
END_TEST

START_TEST(test_prf_rfc4231)
{
	const char *big = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131], out[IKE_MAX_HASH_LEN];
	struct ike_chunk in;

	/* Case 1: key = 0x0b x 20, "Hi There" */
	memset(key, 0x0b, 20);
	in = chunk("Hi There", 8);
	ck_assert_int_eq(ike_prf(IKE_HASH_SHA2_256, key, 20, &in, 1, out), 0);
	tl_assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Case 6: a key longer than the hash block is hashed first. */
	memset(key, 0xaa, sizeof(key));
	in = chunk(big, strlen(big));
	ck_assert_int_eq(ike_prf(IKE_HASH_SHA2_256, key, sizeof(key), &in, 1, out), 0);
	tl_assert_hex(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* Empty key and empty message: HMAC-SHA256("", "") */
	ck_assert_int_eq(ike_prf(IKE_HASH_SHA2_256, NULL, 0, NULL, 0, out), 0);
	tl_assert_hex(out, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}
END_TEST

START_TEST(test_unsupported)
{
	uint8_t out[IKE_MAX_HASH_LEN], key[32] = {0}, iv[16] = {0}, buf[16] = {0};
	struct ike_chunk in = chunk("abc", 3);

	ck_assert_uint_eq(ike_hash_len(IKE_HASH_NONE), 0);
	ck_assert_uint_eq(ike_hash_len(3), 0); /* Tiger */
	ck_assert_int_eq(ike_hash(3, &in, 1, out), -1);
	ck_assert_int_eq(ike_prf(7, key, 4, &in, 1, out), -1);
	ck_assert_uint_eq(ike_cipher_block_len(IKE_ENCR_DES_CBC), 0);
	ck_assert_int_eq(ike_cipher(IKE_ENCR_DES_CBC, key, 8, iv, 1, buf, 8, buf), -1);
	/* AES with a 3DES key length, 3DES with an AES key length */
	ck_assert_int_eq(ike_cipher(IKE_ENCR_AES_CBC, key, 20, iv, 1, buf, 16, buf), -1);
	ck_assert_int_eq(ike_cipher(IKE_ENCR_3DES_CBC, key, 16, iv, 1, buf, 8, buf), -1);
	/* not a block multiple */
	ck_assert_int_eq(ike_cipher(IKE_ENCR_AES_CBC, key, 16, iv, 1, buf, 15, buf), -1);
}
END_TEST

START_TEST(test_cipher_lengths)
{
	ck_assert_uint_eq(ike_cipher_block_len(IKE_ENCR_AES_CBC), 16);
	ck_assert_uint_eq(ike_cipher_block_len(IKE_ENCR_3DES_CBC), 8);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_AES_CBC, 0), 16);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_AES_CBC, 128), 16);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_AES_CBC, 192), 24);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_AES_CBC, 256), 32);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_AES_CBC, 64), 0);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_AES_CBC, 257), 0);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_3DES_CBC, 0), 24);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_3DES_CBC, 128), 0);
	ck_assert_uint_eq(ike_cipher_key_len(IKE_ENCR_DES_CBC, 0), 0);
}
END_TEST

/* NIST SP 800-38A F.2: the same four plaintext blocks under AES-128/192/256-CBC. */
static const char *SP800_38A_IV = "000102030405060708090a0b0c0d0e0f";
static const char *SP800_38A_PT =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

struct aes_vector {
	const char *key, *ct;
};

static const struct aes_vector aes_vectors[] = {
    /* F.2.1 CBC-AES128.Encrypt */
    {"2b7e151628aed2a6abf7158809cf4f3c",
     "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
     "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
    /* F.2.3 CBC-AES192.Encrypt */
    {"8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
     "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"},
    /* F.2.5 CBC-AES256.Encrypt */
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
};

START_TEST(test_aes_cbc)
{
	const struct aes_vector *v = &aes_vectors[_i];
	uint8_t key[32], iv[16], pt[64], buf[64];
	size_t keylen = tl_unhex(v->key, key, sizeof(key));

	tl_unhex(SP800_38A_IV, iv, sizeof(iv));
	tl_unhex(SP800_38A_PT, pt, sizeof(pt));
	ck_assert_int_eq(ike_cipher(IKE_ENCR_AES_CBC, key, keylen, iv, 1, pt, 64, buf), 0);
	tl_assert_hex(buf, 64, v->ct);
	/* in place, and back */
	ck_assert_int_eq(ike_cipher(IKE_ENCR_AES_CBC, key, keylen, iv, 0, buf, 64, buf), 0);
	ck_assert_mem_eq(buf, pt, 64);
	/* The IV passed in is left alone: the caller owns the chain. */
	tl_assert_hex(iv, 16, SP800_38A_IV);
}
END_TEST

/*
 * NIST SP 800-67 rev. 1 appendix B gives TDEA in ECB: keys 0123456789ABCDEF,
 * 23456789ABCDEF01, 456789ABCDEF0123, "The qufck brown fox jump" -> C1 C2 C3.  CBC of
 * the plaintext blocks P'i = Pi ^ C(i-1) (C0 = IV) must therefore yield C1 C2 C3.
 */
START_TEST(test_3des_cbc)
{
	uint8_t key[24], p[24], c[24], iv[8], in[24], out[24];
	size_t i;

	tl_unhex("0123456789abcdef23456789abcdef01456789abcdef0123", key, sizeof(key));
	tl_unhex("54686520717566636b2062726f776e20666f78206a756d70", p, sizeof(p));
	tl_unhex("a826fd8ce53b855fcce21c8112256fe668d5c05dd9b6b900", c, sizeof(c));
	tl_unhex("f0e1d2c3b4a59687", iv, sizeof(iv));
	for (i = 0; i < 24; i++)
		in[i] = p[i] ^ (i < 8 ? iv[i] : c[i - 8]);
	ck_assert_int_eq(ike_cipher(IKE_ENCR_3DES_CBC, key, 24, iv, 1, in, 24, out), 0);
	ck_assert_mem_eq(out, c, 24);
	ck_assert_int_eq(ike_cipher(IKE_ENCR_3DES_CBC, key, 24, iv, 0, out, 24, out), 0);
	ck_assert_mem_eq(out, in, 24);
}
END_TEST

START_TEST(test_random_memeq)
{
	uint8_t a[32], b[32];

	ck_assert_int_eq(ike_random(a, sizeof(a)), 0);
	ck_assert_int_eq(ike_random(b, sizeof(b)), 0);
	/* 2^-256 chance of a false failure */
	ck_assert_int_ne(ike_memeq_ct(a, b, sizeof(a)), 0);
	memcpy(b, a, sizeof(a));
	ck_assert_int_eq(ike_memeq_ct(a, b, sizeof(a)), 0);
	b[31] ^= 1;
	ck_assert_int_ne(ike_memeq_ct(a, b, sizeof(a)), 0);
	ck_assert_int_eq(ike_random(a, 0), 0);
}
END_TEST

/* A phase-1 key set with a fixed AES-128 or 3DES key, enough for ike_encrypt/decrypt. */
static void keys_setup(struct ike_p1_keys *k, uint16_t encr)
{
	memset(k, 0, sizeof(*k));
	k->hash = IKE_HASH_SHA1;
	k->encr = encr;
	k->prf_len = 20;
	k->block_len = ike_cipher_block_len(encr);
	k->enc_key_len = ike_cipher_key_len(encr, 0);
	tl_unhex("2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6", k->enc_key,
	         sizeof(k->enc_key));
}

START_TEST(test_encrypt_pads_with_zeros)
{
	struct ike_p1_keys k;
	uint8_t iv[16] = {0}, next[16], buf[64], copy[64];
	size_t out_len = 0;

	keys_setup(&k, IKE_ENCR_AES_CBC);
	memset(buf, 0xee, sizeof(buf));
	memset(copy, 0xee, sizeof(copy));
	memcpy(buf, "twenty bytes payload", 20);
	memcpy(copy, buf, 20);
	ck_assert_int_eq(ike_encrypt(&k, iv, buf, 20, &out_len, next), 0);
	ck_assert_uint_eq(out_len, 32);
	ck_assert_mem_eq(next, buf + 16, 16);
	ck_assert_int_eq(ike_decrypt(&k, iv, buf, out_len, next), 0);
	ck_assert_mem_eq(buf, copy, 20);
	/* padding is zero bytes, not PKCS#7 and not the 0xee that was in the buffer */
	memset(copy + 20, 0, 12);
	ck_assert_mem_eq(buf, copy, 32);
	/* a block multiple gets no padding at all */
	ck_assert_int_eq(ike_encrypt(&k, iv, buf, 32, &out_len, next), 0);
	ck_assert_uint_eq(out_len, 32);
	/* ciphertext not a block multiple is refused */
	ck_assert_int_eq(ike_decrypt(&k, iv, buf, 31, next), -1);
}
END_TEST

/*
 * The IV chain: a message encrypted in two pieces, the second with the first's next_iv,
 * equals the message encrypted at once; decryption's next_iv is the last ciphertext
 * block, so the receiver's chain follows the sender's.
 */
START_TEST(test_iv_chain)
{
	uint16_t encr = _i == 0 ? IKE_ENCR_AES_CBC : IKE_ENCR_3DES_CBC;
	struct ike_p1_keys k;
	uint8_t iv[16], next1[16], next2[16], whole[64], parts[64], rx_next[16];
	size_t blk, len = 0, i;

	keys_setup(&k, encr);
	blk = k.block_len;
	for (i = 0; i < sizeof(whole); i++)
		whole[i] = (uint8_t)(i * 7 + 1);
	memcpy(parts, whole, sizeof(whole));
	ck_assert_int_eq(ike_random(iv, sizeof(iv)), 0);
	ck_assert_int_eq(ike_encrypt(&k, iv, whole, 4 * blk, &len, next1), 0);
	ck_assert_uint_eq(len, 4 * blk);
	ck_assert_int_eq(ike_encrypt(&k, iv, parts, blk, &len, next2), 0);
	ck_assert_mem_eq(next2, parts, blk);
	ck_assert_int_eq(ike_encrypt(&k, next2, parts + blk, 3 * blk, &len, next2), 0);
	ck_assert_mem_eq(parts, whole, 4 * blk);
	ck_assert_mem_eq(next1, next2, blk);
	/* receiver side: decrypt in two steps with the chained IV */
	ck_assert_int_eq(ike_decrypt(&k, iv, parts, 2 * blk, rx_next), 0);
	ck_assert_mem_eq(rx_next, whole + blk, blk);
	ck_assert_int_eq(ike_decrypt(&k, rx_next, parts + 2 * blk, 2 * blk, rx_next), 0);
	ck_assert_mem_eq(rx_next, next1, blk);
	for (i = 0; i < 4 * blk; i++)
		ck_assert_uint_eq(parts[i], (uint8_t)(i * 7 + 1));
}
END_TEST

/* A wrong key (a pre-shared key mismatch) decrypts to garbage, never to the plaintext. */
START_TEST(test_wrong_key)
{
	struct ike_p1_keys k;
	uint8_t iv[16] = {0}, next[16], buf[48], plain[48];
	size_t len = 0;

	keys_setup(&k, IKE_ENCR_AES_CBC);
	memset(plain, 0x41, sizeof(plain));
	memcpy(buf, plain, sizeof(buf));
	ck_assert_int_eq(ike_encrypt(&k, iv, buf, sizeof(buf), &len, next), 0);
	k.enc_key[0] ^= 0x80;
	ck_assert_int_eq(ike_decrypt(&k, iv, buf, len, next), 0);
	ck_assert_int_ne(memcmp(buf, plain, sizeof(buf)), 0);
}
END_TEST

static Suite *crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("core");
	int nh = (int)(sizeof(hash_vectors) / sizeof(hash_vectors[0]));

	tcase_add_loop_test(tc, test_hash_vectors, 0, nh);
	tcase_add_loop_test(tc, test_prf_vectors, 0, nh);
	tcase_add_test(tc, test_prf_rfc4231);
	tcase_add_test(tc, test_unsupported);
	tcase_add_test(tc, test_cipher_lengths);
	tcase_add_loop_test(tc, test_aes_cbc, 0, sizeof(aes_vectors) / sizeof(aes_vectors[0]));
	tcase_add_test(tc, test_3des_cbc);
	tcase_add_test(tc, test_random_memeq);
	tcase_add_test(tc, test_encrypt_pads_with_zeros);
	tcase_add_loop_test(tc, test_iv_chain, 0, 2);
	tcase_add_test(tc, test_wrong_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(crypto_suite());
}
