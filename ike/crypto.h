/*
 * crypto.h - hashes, PRFs and ciphers for IKEv1 through OpenSSL 3 (EVP only).
 *
 * Algorithms are named by their IKEv1 attribute values (enum ike_hash, enum ike_encr).
 * All functions return 0 on success and -1 on failure (unsupported algorithm, bad length,
 * library error); none of them logs.
 */
#ifndef IKE_CRYPTO_H
#define IKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define IKE_MAX_HASH_LEN  64 /* SHA-512 */
#define IKE_MAX_BLOCK_LEN 16 /* AES */
#define IKE_MAX_KEY_LEN   32 /* AES-256 */

/* A piece of input for hash/prf: several pieces are concatenated. */
struct ike_chunk {
	const uint8_t *ptr;
	size_t len;
};

/* Output length of a hash (and of its HMAC PRF), 0 when unsupported. */
size_t ike_hash_len(uint16_t hash);

/* out = hash(chunk[0] | chunk[1] | ...); out holds ike_hash_len(hash) bytes. */
int ike_hash(uint16_t hash, const struct ike_chunk *in, size_t n, uint8_t *out);

/* out = prf(key, chunk[0] | ...) where prf is HMAC with the negotiated hash. */
int ike_prf(uint16_t hash, const uint8_t *key, size_t keylen, const struct ike_chunk *in, size_t n,
            uint8_t *out);

/* Block size of a cipher (8 for 3DES, 16 for AES), 0 when unsupported. */
size_t ike_cipher_block_len(uint16_t encr);

/*
 * Key length in bytes for a cipher and a negotiated key length in bits (0 = the
 * cipher's fixed or default length: 24 for 3DES, 16 for AES).  0 when invalid
 * (AES takes 128, 192 or 256).
 */
size_t ike_cipher_key_len(uint16_t encr, uint16_t keylen_bits);

/*
 * CBC without padding; len must be a multiple of the block length.  in and out may be
 * the same buffer.  The IV is not updated: the caller keeps the IV chain (keys.h).
 */
int ike_cipher(uint16_t encr, const uint8_t *key, size_t keylen, const uint8_t *iv, int encrypt,
               const uint8_t *in, size_t len, uint8_t *out);

/* Fill buf with random bytes (RAND_bytes). */
int ike_random(uint8_t *buf, size_t len);

/* Constant-time comparison; 0 when equal. */
int ike_memeq_ct(const void *a, const void *b, size_t len);

#endif /* IKE_CRYPTO_H */
