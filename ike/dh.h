/*
 * dh.h - Diffie-Hellman for IKEv1 through OpenSSL 3's EVP interfaces on named groups.
 *
 * MODP groups 2, 14, 15, 16 (RFC 2409, RFC 3526) and ECP groups 19, 20 (RFC 5903).
 * Wire formats (the two interop traps):
 *  - MODP: the KE payload and the shared secret are big-endian and zero-padded on the
 *    left to the prime's length (EVP_PKEY_CTX_set_dh_pad for the secret).
 *  - ECP: the KE payload is x | y, each padded to the field length, without the 0x04
 *    point-format prefix; the shared secret is x alone.
 */
#ifndef IKE_DH_H
#define IKE_DH_H

#include <stddef.h>
#include <stdint.h>

#define IKE_DH_MAX_LEN 512 /* MODP-4096 public value */

struct ike_dh;

/* Whether a group (enum ike_group) is supported. */
int ike_dh_supported(uint16_t group);

/* Length of the KE payload data for the group (256 for MODP-2048, 64 for ECP-256). */
size_t ike_dh_public_len(uint16_t group);

/* Length of the shared secret (prime length for MODP, field length for ECP). */
size_t ike_dh_secret_len(uint16_t group);

/* Generate a key pair. NULL on failure. */
struct ike_dh *ike_dh_new(uint16_t group);

/*
 * A KNOWN key pair, for load generators only (ikeload --cheap-dh): the private value is 1,
 * so the public value is the group's generator (MODP: 2, padded; ECP: the base point G)
 * and the shared secret is the peer's public value itself (MODP: g^y; ECP: its x).  It
 * costs no exponentiation, as a load generator on another host would cost the peer under
 * test nothing; anyone who reads the exchange has the keys.  NULL on failure.
 */
struct ike_dh *ike_dh_new_known(uint16_t group);

/* Our public value in wire format; len must equal ike_dh_public_len(). */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t len);

/*
 * Shared secret from the peer's wire-format public value.  peer_len must equal
 * ike_dh_public_len(); a value that is not a valid public key (out of range, not on the
 * curve) fails.  out receives ike_dh_secret_len() bytes, padded as above.
 */
int ike_dh_derive(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
                  size_t out_len);

/* Free and wipe the private key. NULL is allowed. */
void ike_dh_free(struct ike_dh *dh);

#endif /* IKE_DH_H */
