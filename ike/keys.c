/*
 * keys.c - IKEv1 phase-1 key material (RFC 2409 section 5 and appendix B), the IV chain
 * and the encryption of ISAKMP payloads.
 *
 * Every derivation carries its RFC formula; intermediate buffers that held secrets are
 * cleansed on every path out.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike/keys.h"

/* SKEYID = prf(pre-shared-key, Ni_b | Nr_b) */
int ike_skeyid_psk(uint16_t hash, const uint8_t *psk, size_t psk_len, const uint8_t *ni,
                   size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *skeyid)
{
	const struct ike_chunk in[] = {{ni, ni_len}, {nr, nr_len}};

	return ike_prf(hash, psk, psk_len, in, 2, skeyid);
}

/*
 * SKEYID = prf(Ni_b | Nr_b, g^xy): the nonces, concatenated, are the HMAC key.  Their
 * joint length (16..512 bytes) may exceed the hash's block: HMAC then hashes the key
 * first, as RFC 2104 says and every peer does.
 */
int ike_skeyid_sig(uint16_t hash, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                   size_t nr_len, const uint8_t *gxy, size_t gxy_len, uint8_t *skeyid)
{
	uint8_t key[2 * 256];
	const struct ike_chunk in[] = {{gxy, gxy_len}};
	int ret;

	if (ni == NULL || nr == NULL || ni_len > 256 || nr_len > 256)
		return -1;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	ret = ike_prf(hash, key, ni_len + nr_len, in, 1, skeyid);
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/*
 * One of SKEYID_d, SKEYID_a, SKEYID_e:
 * prf(SKEYID, [previous |] g^xy | CKY-I | CKY-R | n), previous absent for SKEYID_d.
 * n is a single octet (0, 1, 2); tests/integration/kdf_oracle.sh checks this reading of
 * RFC 2409 5 against Libreswan.
 */
static int skeyid_step(const struct ike_p1_keys *k, const uint8_t *prev, const uint8_t *gxy,
                       size_t gxy_len, const uint8_t cky_i[8], const uint8_t cky_r[8], uint8_t n,
                       uint8_t *out)
{
	const struct ike_chunk in[] = {
	    {prev, prev == NULL ? 0 : k->prf_len}, {gxy, gxy_len}, {cky_i, 8}, {cky_r, 8}, {&n, 1},
	};

	return ike_prf(k->hash, k->skeyid, k->prf_len, in, 5, out);
}

int ike_keymat(const struct ike_p1_keys *k, const uint8_t *gxy, size_t gxy_len, uint8_t protocol,
               uint32_t spi, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
               uint8_t *out, size_t need)
{
	uint8_t kn[IKE_MAX_HASH_LEN], spi_be[4] = {(uint8_t)(spi >> 24), (uint8_t)(spi >> 16),
	                                           (uint8_t)(spi >> 8), (uint8_t)spi};
	struct ike_chunk in[6];
	size_t done_len, n, nin, first;
	int ret = 0;

	if (k->prf_len == 0 || out == NULL)
		return -1;
	/* in[0] is Kn-1, absent for K1 */
	in[1] = (struct ike_chunk){gxy, gxy != NULL ? gxy_len : 0};
	in[2] = (struct ike_chunk){&protocol, 1};
	in[3] = (struct ike_chunk){spi_be, 4};
	in[4] = (struct ike_chunk){ni, ni_len};
	in[5] = (struct ike_chunk){nr, nr_len};
	first = 1;
	nin = 5;
	for (done_len = 0; done_len < need; done_len += n) {
		if (ike_prf(k->hash, k->skeyid_d, k->prf_len, &in[first], nin, kn) != 0) {
			ret = -1;
			goto done;
		}
		n = need - done_len < k->prf_len ? need - done_len : k->prf_len;
		memcpy(out + done_len, kn, n);
		in[0] = (struct ike_chunk){kn, k->prf_len};
		first = 0;
		nin = 6;
	}
done:
	OPENSSL_cleanse(kn, sizeof(kn));
	if (ret != 0)
		OPENSSL_cleanse(out, need);
	return ret;
}

int ike_key_expand(uint16_t hash, const uint8_t *skeyid_e, size_t e_len, uint8_t *out, size_t need)
{
	static const uint8_t zero = 0;
	uint8_t kn[IKE_MAX_HASH_LEN];
	size_t hlen = ike_hash_len(hash), done_len, n;
	struct ike_chunk in;
	int ret = 0;

	if (hlen == 0 || skeyid_e == NULL || out == NULL)
		return -1;
	if (need <= e_len) {
		memcpy(out, skeyid_e, need);
		return 0;
	}
	/*
	 * K = K1 | K2 | K3 | ...
	 * K1 = prf(SKEYID_e, 0)
	 * K2 = prf(SKEYID_e, K1)
	 * K3 = prf(SKEYID_e, K2)
	 * "0" is one zero octet, as Libreswan, strongSwan and racoon read appendix B; the
	 * key is the first need bytes of K.
	 */
	in.ptr = &zero;
	in.len = 1;
	for (done_len = 0; done_len < need; done_len += n) {
		if (ike_prf(hash, skeyid_e, e_len, &in, 1, kn) != 0) {
			ret = -1;
			goto done;
		}
		n = need - done_len < hlen ? need - done_len : hlen;
		memcpy(out + done_len, kn, n);
		in.ptr = kn;
		in.len = hlen;
	}
done:
	OPENSSL_cleanse(kn, sizeof(kn));
	if (ret != 0)
		OPENSSL_cleanse(out, need);
	return ret;
}

/* Zero every derived secret of k, leaving SKEYID (the caller's input) in place. */
static void derived_wipe(struct ike_p1_keys *k)
{
	OPENSSL_cleanse(k->skeyid_d, sizeof(k->skeyid_d));
	OPENSSL_cleanse(k->skeyid_a, sizeof(k->skeyid_a));
	OPENSSL_cleanse(k->skeyid_e, sizeof(k->skeyid_e));
	OPENSSL_cleanse(k->enc_key, sizeof(k->enc_key));
	OPENSSL_cleanse(k->iv, sizeof(k->iv));
}

int ike_p1_keys_derive(struct ike_p1_keys *k, uint16_t keylen_bits, const uint8_t *gxy,
                       size_t gxy_len, const uint8_t cky_i[8], const uint8_t cky_r[8],
                       const uint8_t *gxi, size_t gxi_len, const uint8_t *gxr, size_t gxr_len)
{
	uint8_t digest[IKE_MAX_HASH_LEN];
	struct ike_chunk g[2];
	int ret = 0;

	if (k == NULL || gxy == NULL || cky_i == NULL || cky_r == NULL || gxi == NULL ||
	    gxr == NULL)
		return -1;
	k->prf_len = ike_hash_len(k->hash);
	k->block_len = ike_cipher_block_len(k->encr);
	k->enc_key_len = ike_cipher_key_len(k->encr, keylen_bits);
	if (k->prf_len == 0 || k->block_len == 0 || k->enc_key_len == 0) {
		ret = -1;
		goto done;
	}
	/* SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0) */
	/* SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1) */
	/* SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2) */
	if (skeyid_step(k, NULL, gxy, gxy_len, cky_i, cky_r, 0, k->skeyid_d) != 0 ||
	    skeyid_step(k, k->skeyid_d, gxy, gxy_len, cky_i, cky_r, 1, k->skeyid_a) != 0 ||
	    skeyid_step(k, k->skeyid_a, gxy, gxy_len, cky_i, cky_r, 2, k->skeyid_e) != 0) {
		ret = -1;
		goto done;
	}
	/* Encryption key = first enc_key_len bytes of SKEYID_e, or of K (appendix B). */
	if (ike_key_expand(k->hash, k->skeyid_e, k->prf_len, k->enc_key, k->enc_key_len) != 0) {
		ret = -1;
		goto done;
	}
	/* IV = hash(g^xi | g^xr), the negotiated hash, not its HMAC (RFC 2409 appendix B) */
	g[0].ptr = gxi;
	g[0].len = gxi_len;
	g[1].ptr = gxr;
	g[1].len = gxr_len;
	if (ike_hash(k->hash, g, 2, digest) != 0) {
		ret = -1;
		goto done;
	}
	/* Every supported hash is at least as long as the largest block. */
	memcpy(k->iv, digest, k->block_len);
done:
	OPENSSL_cleanse(digest, sizeof(digest));
	if (ret != 0)
		derived_wipe(k);
	return ret;
}

int ike_p1_hash(const struct ike_p1_keys *k, const uint8_t *g1, size_t g1_len, const uint8_t *g2,
                size_t g2_len, const uint8_t c1[8], const uint8_t c2[8], const uint8_t *sai,
                size_t sai_len, const uint8_t *idb, size_t idb_len, uint8_t *out)
{
	/*
	 * HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
	 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
	 */
	const struct ike_chunk in[] = {
	    {g1, g1_len}, {g2, g2_len}, {c1, 8}, {c2, 8}, {sai, sai_len}, {idb, idb_len},
	};

	if (k == NULL || c1 == NULL || c2 == NULL)
		return -1;
	return ike_prf(k->auth_hash != 0 ? k->auth_hash : k->hash, k->skeyid, k->prf_len, in, 6,
	               out);
}

size_t ike_p1_hash_len(const struct ike_p1_keys *k)
{
	return ike_hash_len(k->auth_hash != 0 ? k->auth_hash : k->hash);
}

int ike_msgid_iv(const struct ike_p1_keys *k, const uint8_t *p1_last_iv, uint32_t msgid,
                 uint8_t *iv_out)
{
	uint8_t digest[IKE_MAX_HASH_LEN];
	uint8_t mid[4];
	struct ike_chunk in[2];

	if (k == NULL || p1_last_iv == NULL || iv_out == NULL || k->block_len == 0 ||
	    k->block_len > IKE_MAX_BLOCK_LEN)
		return -1;
	/* IV = hash(last phase-1 CBC output block | M-ID), M-ID in network order (RFC 2409 B) */
	mid[0] = (uint8_t)(msgid >> 24);
	mid[1] = (uint8_t)(msgid >> 16);
	mid[2] = (uint8_t)(msgid >> 8);
	mid[3] = (uint8_t)msgid;
	in[0].ptr = p1_last_iv;
	in[0].len = k->block_len;
	in[1].ptr = mid;
	in[1].len = sizeof(mid);
	if (ike_hash(k->hash, in, 2, digest) != 0)
		return -1;
	memcpy(iv_out, digest, k->block_len);
	return 0;
}

int ike_encrypt(const struct ike_p1_keys *k, const uint8_t *iv, uint8_t *buf, size_t len,
                size_t *out_len, uint8_t *next_iv)
{
	size_t padded;

	if (k == NULL || iv == NULL || buf == NULL || out_len == NULL || next_iv == NULL ||
	    k->block_len == 0 || len == 0)
		return -1;
	padded = (len + k->block_len - 1) / k->block_len * k->block_len;
	/* Zero padding: the payload chain, not a pad-length byte, says where data ends. */
	memset(buf + len, 0, padded - len);
	if (ike_cipher(k->encr, k->enc_key, k->enc_key_len, iv, 1, buf, padded, buf) != 0)
		return -1;
	memcpy(next_iv, buf + padded - k->block_len, k->block_len);
	*out_len = padded;
	return 0;
}

int ike_decrypt(const struct ike_p1_keys *k, const uint8_t *iv, uint8_t *buf, size_t len,
                uint8_t *next_iv)
{
	uint8_t last[IKE_MAX_BLOCK_LEN];

	if (k == NULL || iv == NULL || buf == NULL || next_iv == NULL || k->block_len == 0 ||
	    k->block_len > IKE_MAX_BLOCK_LEN || len == 0 || len % k->block_len != 0)
		return -1;
	/* Keep the last ciphertext block before decrypting in place overwrites it. */
	memcpy(last, buf + len - k->block_len, k->block_len);
	if (ike_cipher(k->encr, k->enc_key, k->enc_key_len, iv, 0, buf, len, buf) != 0)
		return -1;
	memcpy(next_iv, last, k->block_len);
	return 0;
}

void ike_p1_keys_wipe(struct ike_p1_keys *k)
{
	if (k == NULL)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
}
