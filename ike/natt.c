/*
 * natt.c - NAT traversal primitives for IKEv1: the NAT-T vendor IDs, NAT-D hashes and
 * detection, and the UDP-encapsulated mode numbers (RFC 3947 and the drafts before it).
 *
 * Nothing here keeps state or touches a socket: the engine feeds in cookies, addresses
 * and payload bodies, and gets back hashes and verdicts.
 */
#include <string.h>

#include <netinet/in.h>

#include "ike/ike.h"
#include "ike/natt.h"

/*
 * Each body is MD5 of its name, precomputed: the table is what goes on the wire and what
 * we match, so no MD5 runs at run time (and none is needed in a FIPS provider).  The
 * values agree with strongSwan's isakmp_vendor.c and are checked against an independent
 * MD5 in tests/unit/test_natt.c.  Draft 02 exists twice because the draft's own text
 * hashed the name with a trailing newline, and Windows and Cisco IOS send that one.
 */
static const struct natt_vid vids[] = {
    {NATT_RFC3947,
     "RFC 3947",
     {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45,
      0x2f}},
    {NATT_DRAFT_02,
     "draft-ietf-ipsec-nat-t-ike-03",
     {0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f, 0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d,
      0x56}},
    {NATT_DRAFT_02,
     "draft-ietf-ipsec-nat-t-ike-02\n",
     {0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e, 0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b,
      0x1f}},
    {NATT_DRAFT_02,
     "draft-ietf-ipsec-nat-t-ike-02",
     {0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4,
      0x48}},
};

#define NVIDS (sizeof(vids) / sizeof(vids[0]))

const struct natt_vid *natt_vids(size_t *n)
{
	if (n != NULL)
		*n = NVIDS;
	return vids;
}

/*
 * An exact match only: a body that merely starts with a known ID is some other vendor's
 * payload, and NAT-T VIDs carry no version suffix (unlike DPD's or Cisco Unity's).
 */
enum natt_version natt_vid_version(const uint8_t *body, size_t len)
{
	size_t i;

	if (body == NULL || len != sizeof(vids[0].hash))
		return NATT_NONE;
	for (i = 0; i < NVIDS; i++) {
		if (memcmp(body, vids[i].hash, sizeof(vids[i].hash)) == 0)
			return vids[i].version;
	}
	return NATT_NONE;
}

uint8_t natt_nat_d_type(enum natt_version v)
{
	switch (v) {
	case NATT_RFC3947:
		return ISAKMP_NP_NAT_D;
	case NATT_DRAFT_02:
		return ISAKMP_NP_NAT_D_DRAFT;
	default:
		return ISAKMP_NP_NONE;
	}
}

/*
 * Points ip and port at the address bytes and the port of addr, both already in network
 * order in the sockaddr.  A v4-mapped IPv6 address yields its last four bytes: the peer
 * saw (and hashed) an IPv4 packet, whatever kind of socket we received it on.
 */
static int addr_bytes(const struct sockaddr *addr, struct ike_chunk *ip, struct ike_chunk *port)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (addr->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)addr;
		ip->ptr = (const uint8_t *)&sin->sin_addr;
		ip->len = 4;
		port->ptr = (const uint8_t *)&sin->sin_port;
		port->len = 2;
		return 0;
	}
	if (addr->sa_family != AF_INET6)
		return -1;
	sin6 = (const struct sockaddr_in6 *)addr;
	ip->ptr = sin6->sin6_addr.s6_addr;
	ip->len = 16;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		ip->ptr += 12;
		ip->len = 4;
	}
	port->ptr = (const uint8_t *)&sin6->sin6_port;
	port->len = 2;
	return 0;
}

/* RFC 3947 3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), the negotiated hash, no key. */
int natt_nat_d(uint16_t hash, const uint8_t icookie[8], const uint8_t rcookie[8],
               const struct sockaddr *addr, uint8_t *out)
{
	struct ike_chunk in[4];

	if (icookie == NULL || rcookie == NULL || addr == NULL || out == NULL ||
	    ike_hash_len(hash) == 0)
		return -1;
	in[0].ptr = icookie;
	in[0].len = ISAKMP_COOKIE_LEN;
	in[1].ptr = rcookie;
	in[1].len = ISAKMP_COOKIE_LEN;
	if (addr_bytes(addr, &in[2], &in[3]) != 0)
		return -1;
	return ike_hash(hash, in, 4, out);
}

/* True when every body has exactly the hash's length (and is there at all). */
static bool nat_d_lengths_ok(const uint8_t *const *d, const size_t *d_len, size_t n, size_t hlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (d[i] == NULL || d_len[i] != hlen)
			return false;
	}
	return true;
}

/*
 * RFC 3947 3.2: the first NAT-D is the destination as the sender addressed it, so it must
 * hash to where the message arrived (local); any difference means a NAT between us
 * rewrote it.  The rest are the sender's candidate sources; a multihomed peer sends one
 * per address, and one of them must hash to where the message came from (remote).
 * The hashes are not secret (anyone on the path can compute them), so memcmp will do.
 */
int natt_detect(uint16_t hash, const uint8_t icookie[8], const uint8_t rcookie[8],
                const struct sockaddr *local, const struct sockaddr *remote,
                const uint8_t *const *d, const size_t *d_len, size_t n, bool *nat_local,
                bool *nat_remote)
{
	uint8_t mine[IKE_MAX_HASH_LEN], theirs[IKE_MAX_HASH_LEN];
	size_t hlen = ike_hash_len(hash), i;
	bool remote_seen = false;

	if (d == NULL || d_len == NULL || nat_local == NULL || nat_remote == NULL || n < 2 ||
	    hlen == 0 || !nat_d_lengths_ok(d, d_len, n, hlen))
		return -1;
	if (natt_nat_d(hash, icookie, rcookie, local, mine) != 0 ||
	    natt_nat_d(hash, icookie, rcookie, remote, theirs) != 0)
		return -1;
	for (i = 1; i < n && !remote_seen; i++)
		remote_seen = memcmp(d[i], theirs, hlen) == 0;
	*nat_local = memcmp(d[0], mine, hlen) != 0;
	*nat_remote = !remote_seen;
	return 0;
}

uint16_t natt_udp_mode(enum natt_version v, uint16_t mode)
{
	bool draft = v == NATT_DRAFT_02;

	if (v != NATT_RFC3947 && !draft)
		return 0;
	switch (mode) {
	case IPSEC_MODE_TUNNEL:
		return draft ? IPSEC_MODE_UDP_TUNNEL_DRAFT : IPSEC_MODE_UDP_TUNNEL;
	case IPSEC_MODE_TRANSPORT:
		return draft ? IPSEC_MODE_UDP_TRANSPORT_DRAFT : IPSEC_MODE_UDP_TRANSPORT;
	default:
		return 0;
	}
}
