/*
 * keys.h - IKEv1 key material: every derivation of RFC 2409 sections 5 and appendix B
 * in one module.  Secrets live in struct ike_p1_keys and are wiped by ike_p1_keys_wipe().
 */
#ifndef IKE_KEYS_H
#define IKE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct ike_p1_keys {
	uint16_t hash; /* PRF = HMAC(hash) */
	uint16_t encr;
	size_t prf_len; /* ike_hash_len(hash) */
	/* the PRF hash of HASH_I / HASH_R: 0 for hash; SHA-256/384/512 with ECDSA-256/384/521
	 * (RFC 4754, as strongSwan and Libreswan read it) */
	uint16_t auth_hash;
	uint8_t skeyid[IKE_MAX_HASH_LEN];
	uint8_t skeyid_d[IKE_MAX_HASH_LEN];
	uint8_t skeyid_a[IKE_MAX_HASH_LEN];
	uint8_t skeyid_e[IKE_MAX_HASH_LEN];
	uint8_t enc_key[IKE_MAX_KEY_LEN];
	size_t enc_key_len;
	size_t block_len;
	uint8_t iv[IKE_MAX_BLOCK_LEN]; /* phase-1 IV chain: last ciphertext block */
};

/* SKEYID = prf(pre-shared-key, Ni_b | Nr_b)  (RFC 2409 5) */
int ike_skeyid_psk(uint16_t hash, const uint8_t *psk, size_t psk_len, const uint8_t *ni,
                   size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *skeyid);

/* SKEYID = prf(Ni_b | Nr_b, g^xy)  (RFC 2409 5, signature authentication) */
int ike_skeyid_sig(uint16_t hash, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                   size_t nr_len, const uint8_t *gxy, size_t gxy_len, uint8_t *skeyid);

/*
 * SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * then the encryption key from SKEYID_e, expanded as appendix B when SKEYID_e is short,
 * and the initial IV = hash(g^xi | g^xr) truncated to the block length.
 * k->hash, k->encr must be set and skeyid filled; keylen_bits as negotiated (0 = default).
 */
int ike_p1_keys_derive(struct ike_p1_keys *k, uint16_t keylen_bits, const uint8_t *gxy,
                       size_t gxy_len, const uint8_t cky_i[8], const uint8_t cky_r[8],
                       const uint8_t *gxi, size_t gxi_len, const uint8_t *gxr, size_t gxr_len);

/*
 * Appendix B key expansion: K = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e,
 * Kn-1); out gets need bytes (from SKEYID_e itself when it is long enough).
 */
int ike_key_expand(uint16_t hash, const uint8_t *skeyid_e, size_t e_len, uint8_t *out, size_t need);

/*
 * HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * Callers pass the arguments in the order of the formula they compute; idb is the ID
 * payload body without its generic header.  The PRF is k->auth_hash's HMAC when set;
 * out gets ike_p1_hash_len(k) bytes.
 */
size_t ike_p1_hash_len(const struct ike_p1_keys *k);
int ike_p1_hash(const struct ike_p1_keys *k, const uint8_t *g1, size_t g1_len, const uint8_t *g2,
                size_t g2_len, const uint8_t c1[8], const uint8_t c2[8], const uint8_t *sai,
                size_t sai_len, const uint8_t *idb, size_t idb_len, uint8_t *out);

/* Per-exchange IV for informational and Quick Mode: hash(last phase-1 IV | M-ID). */
int ike_msgid_iv(const struct ike_p1_keys *k, const uint8_t *p1_last_iv, uint32_t msgid,
                 uint8_t *iv_out);

/*
 * Encrypt payloads (plaintext after the ISAKMP header) in place with iv; pads with zero
 * bytes to the block length (RFC 2408 3.1; the payload chain tells the receiver where the
 * data ends).  Nothing is added when len is already a block multiple.  buf must have room for
 * len + block bytes.  Writes the new length to *out_len and the last ciphertext block to
 * next_iv.
 */
int ike_encrypt(const struct ike_p1_keys *k, const uint8_t *iv, uint8_t *buf, size_t len,
                size_t *out_len, uint8_t *next_iv);

/* Decrypt in place; len must be a block multiple.  next_iv gets the last ciphertext block. */
int ike_decrypt(const struct ike_p1_keys *k, const uint8_t *iv, uint8_t *buf, size_t len,
                uint8_t *next_iv);

/*
 * Quick Mode keying material for one direction (RFC 2409 5.5):
 *   KEYMAT = K1 | K2 | K3 | ...
 *   K1 = prf(SKEYID_d, [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
 *   Kn = prf(SKEYID_d, Kn-1 | [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
 * gxy is the Quick Mode DH secret with PFS (NULL/0 without); spi in host order is
 * written in network order; out gets need bytes.
 */
int ike_keymat(const struct ike_p1_keys *k, const uint8_t *gxy, size_t gxy_len, uint8_t protocol,
               uint32_t spi, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
               uint8_t *out, size_t need);

/* Wipe all key material (OPENSSL_cleanse). */
void ike_p1_keys_wipe(struct ike_p1_keys *k);

#endif /* IKE_KEYS_H */
