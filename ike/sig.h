/*
 * sig.h - the signatures of IKEv1 signature authentication (RFC 2409 5.1, RFC 4754),
 * over HASH_I or HASH_R as given, through OpenSSL 3.  Private to ike/cert*.c.
 *
 *   RSA_SIG (3)         PKCS#1 v1.5 (type 1 padding) over the raw hash, no DigestInfo:
 *                       what strongSwan calls SIGN_RSA_EMSA_PKCS1_NULL
 *   ECDSA_256/384/521   ECDSA over the hash as given, the signature r | s, each of the
 *   (9, 10, 11)         curve's size (32, 48, 66 bytes), not DER
 */
#ifndef IKE_SIG_H
#define IKE_SIG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define IKE_SIG_MAX 1024 /* RSA up to 8192 bits; ECDSA P-521 needs 132 */

/* The auth method a key signs with: RSA_SIG, ECDSA_256/384/521; 0 for other keys. */
uint16_t ike_sig_method(EVP_PKEY *key);

/* Sign hash with key for method into sig (cap bytes); 0 and *len, or -1. */
int ike_sig_sign(EVP_PKEY *key, uint16_t method, const uint8_t *hash, size_t hash_len, uint8_t *sig,
                 size_t cap, size_t *len);

/* 0 when sig is key's signature of hash for method; -1 otherwise (any reason). */
int ike_sig_verify(EVP_PKEY *key, uint16_t method, const uint8_t *hash, size_t hash_len,
                   const uint8_t *sig, size_t sig_len);

#endif /* IKE_SIG_H */
