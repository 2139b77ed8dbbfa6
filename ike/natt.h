/*
 * natt.h - NAT traversal for IKEv1 (RFC 3947, and draft-ietf-ipsec-nat-t-ike-02/03
 * that older peers still send).
 *
 * Detection: each side sends NAT-D payloads, HASH(CKY-I | CKY-R | IP | Port) with the
 * negotiated hash, first for the address it sends to (the peer as it sees it), then for
 * each address it sends from (itself).  A receiver that cannot reproduce the hash of its
 * own address and port is behind a NAT; one that cannot reproduce the sender's is
 * talking to a peer behind one.  After detection, the initiator floats to port 4500,
 * where IKE messages start with a four-byte zero non-ESP marker.
 */
#ifndef IKE_NATT_H
#define IKE_NATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crypto.h"

enum natt_version {
	NATT_NONE = 0,
	NATT_RFC3947 = 1,  /* VID MD5("RFC 3947"); NAT-D 20, NAT-OA 21; modes 3/4 */
	NATT_DRAFT_02 = 2, /* VIDs of drafts 02, 02\n, 03; NAT-D 130, NAT-OA 131; 61443/4 */
};

struct natt_vid {
	enum natt_version version;
	const char *name; /* "RFC 3947", "draft-ietf-ipsec-nat-t-ike-02\n" ... */
	uint8_t hash[16]; /* MD5 of the name: the vendor ID payload's body */
};

/* The vendor IDs we recognise, newest first; n set to their number. */
const struct natt_vid *natt_vids(size_t *n);

/* The NAT-T version a vendor ID payload body announces, or NATT_NONE. */
enum natt_version natt_vid_version(const uint8_t *body, size_t len);

/* The NAT-D payload type for a version (20 for RFC 3947, 130 for the drafts, 0 for none). */
uint8_t natt_nat_d_type(enum natt_version v);

/*
 * HASH(CKY-I | CKY-R | IP | Port): IP is 4 or 16 bytes, Port 2 bytes, in network order,
 * from addr.  hash is the negotiated hash (plain hash, not its HMAC).  An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) is hashed as the IPv4 address it stands for, because that
 * is what went on the wire.  out gets ike_hash_len(hash) bytes.  Returns 0, or -1 for an
 * unsupported hash or address family or a failed hash.
 */
int natt_nat_d(uint16_t hash, const uint8_t icookie[8], const uint8_t rcookie[8],
               const struct sockaddr *addr, uint8_t *out);

/*
 * Detection from the NAT-D payloads received (bodies d[0..n-1], lengths d_len[0..n-1];
 * d[0] is the hash of the receiver's address and port as the sender saw them, d[1..n-1]
 * the hashes of the sender's own addresses and ports).  local and remote are the
 * addresses (with ports) the message was received on and from.
 * *nat_local is set true when d[0] differs from our hash of local: a NAT in front of us
 * rewrote the destination.  *nat_remote is set true when none of d[1..n-1] equals our
 * hash of remote: a NAT in front of the peer rewrote its source.  Each is set false
 * otherwise.  Returns 0, or -1 (and leaves both untouched) when n < 2, when any d_len[i]
 * is not ike_hash_len(hash), or when a hash fails.
 */
int natt_detect(uint16_t hash, const uint8_t icookie[8], const uint8_t rcookie[8],
                const struct sockaddr *local, const struct sockaddr *remote,
                const uint8_t *const *d, const size_t *d_len, size_t n, bool *nat_local,
                bool *nat_remote);

/*
 * The UDP-encapsulated encapsulation mode for a version and a plain mode: tunnel (1) gives
 * 3 for RFC 3947 and 61443 for the drafts, transport (2) gives 4 or 61444.  0 for
 * NATT_NONE or any other mode.
 */
uint16_t natt_udp_mode(enum natt_version v, uint16_t mode);

#endif /* IKE_NATT_H */
