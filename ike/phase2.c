/*
 * phase2.c - Quick Mode's payloads: the ESP SA payload (offer, choice, check of the
 * answer) and client identities (RFC 2407 4.6.2) from and to traffic selectors.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "ike.h"
#include "natt.h"

static void patch_u16(struct msg_builder *b, size_t at, size_t v)
{
	if (b->overflow || at + 2 > b->len)
		return;
	b->buf[at] = (uint8_t)(v >> 8);
	b->buf[at + 1] = (uint8_t)v;
}

/* RFC 2407 4.5: the attributes of one ESP transform. */
static void put_esp_attrs(struct msg_builder *b, const struct ike_child_transform *xf)
{
	msg_put_attr(b, IPSEC_ATTR_SA_LIFE_TYPE, IPSEC_LIFE_TYPE_SECONDS);
	msg_put_attr(b, IPSEC_ATTR_SA_LIFE_DURATION, xf->life_s);
	if (xf->life_kb != 0) {
		msg_put_attr(b, IPSEC_ATTR_SA_LIFE_TYPE, IPSEC_LIFE_TYPE_KILOBYTES);
		msg_put_attr(b, IPSEC_ATTR_SA_LIFE_DURATION, xf->life_kb);
	}
	if (xf->group != 0)
		msg_put_attr(b, IPSEC_ATTR_GROUP_DESCRIPTION, xf->group);
	msg_put_attr(b, IPSEC_ATTR_ENCAPSULATION_MODE, xf->mode);
	if (xf->auth != IPSEC_AUTH_NONE)
		msg_put_attr(b, IPSEC_ATTR_AUTH_ALGORITHM, xf->auth);
	if (xf->keylen != 0)
		msg_put_attr(b, IPSEC_ATTR_KEY_LENGTH, xf->keylen);
}

/* SA payload: one ESP proposal with our SPI and n transforms. */
static int put_sa(struct msg_builder *b, const struct ike_child_transform *xfs, const uint8_t *nums,
                  size_t n, uint32_t spi)
{
	size_t off = msg_payload_begin(b, ISAKMP_NP_SA), prop, t;

	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u32(b, IPSEC_SIT_IDENTITY_ONLY);
	prop = b->len;
	msg_put_u8(b, ISAKMP_NP_NONE);
	msg_put_u8(b, 0);
	msg_put_u16(b, 0);
	msg_put_u8(b, 1);
	msg_put_u8(b, IPSEC_PROTO_ESP);
	msg_put_u8(b, 4);
	msg_put_u8(b, (uint8_t)n);
	msg_put_u32(b, spi);
	for (size_t i = 0; i < n; i++) {
		t = b->len;
		msg_put_u8(b, i + 1 == n ? ISAKMP_NP_NONE : ISAKMP_NP_T);
		msg_put_u8(b, 0);
		msg_put_u16(b, 0);
		msg_put_u8(b, nums[i]);
		msg_put_u8(b, (uint8_t)xfs[i].encr);
		msg_put_u16(b, 0);
		put_esp_attrs(b, &xfs[i]);
		patch_u16(b, t + 2, b->len - t);
	}
	patch_u16(b, prop + 2, b->len - prop);
	msg_payload_end(b, off);
	return b->overflow ? -1 : 0;
}

/* The transform we offer for a configured ESP proposal. */
static void xf_from_cfg(const struct ike_esp_proposal *p, uint16_t mode, uint32_t life_s,
                        uint32_t life_kb, struct ike_child_transform *xf)
{
	memset(xf, 0, sizeof(*xf));
	xf->protocol = IPSEC_PROTO_ESP;
	xf->encr = p->encr;
	xf->keylen = p->encr == ESP_AES && p->keylen == 0 ? 128 : p->keylen;
	xf->auth = p->auth;
	xf->group = p->group;
	xf->mode = mode;
	xf->life_s = life_s;
	xf->life_kb = life_kb;
}

uint16_t phase2_pfs_group(const struct ike_peer_cfg *p)
{
	return p->n_esp > 0 ? p->esp[0].group : 0;
}

int phase2_put_sa(struct msg_builder *b, const struct ike_peer_cfg *p, uint16_t mode, uint32_t spi)
{
	struct ike_child_transform xfs[IKE_MAX_PROPOSALS];
	uint8_t nums[IKE_MAX_PROPOSALS];
	uint16_t group = phase2_pfs_group(p);
	size_t n = 0;

	/* one KE goes with the offer, so only proposals with the first one's group */
	for (size_t i = 0; i < p->n_esp && n < IKE_MAX_PROPOSALS; i++) {
		if (p->esp[i].group != group)
			continue;
		xf_from_cfg(&p->esp[i], mode, p->ipsec_lifetime_s, p->ipsec_lifetime_kb, &xfs[n]);
		nums[n] = (uint8_t)(n + 1);
		n++;
	}
	if (n == 0)
		return -1;
	return put_sa(b, xfs, nums, n, spi);
}

int phase2_put_sa_reply(struct msg_builder *b, const struct ike_child_transform *xf, uint8_t num,
                        uint32_t spi)
{
	return put_sa(b, xf, &num, 1, spi);
}

/* Base mode of a negotiated encapsulation mode: tunnel or transport. */
uint16_t phase2_base_mode(uint16_t mode)
{
	switch (mode) {
	case IPSEC_MODE_TUNNEL:
	case IPSEC_MODE_UDP_TUNNEL:
	case IPSEC_MODE_UDP_TUNNEL_DRAFT:
		return IPSEC_MODE_TUNNEL;
	case IPSEC_MODE_TRANSPORT:
	case IPSEC_MODE_UDP_TRANSPORT:
	case IPSEC_MODE_UDP_TRANSPORT_DRAFT:
		return IPSEC_MODE_TRANSPORT;
	default:
		return 0;
	}
}

/* A received ESP transform as a transform record; -1 when it holds what we do not do. */
static int esp_to_xf(const struct isakmp_transform *t, struct ike_child_transform *xf)
{
	uint32_t life_type = IPSEC_LIFE_TYPE_SECONDS;

	memset(xf, 0, sizeof(*xf));
	xf->protocol = IPSEC_PROTO_ESP;
	xf->encr = t->id;
	for (size_t i = 0; i < t->n_attrs; i++) {
		const struct isakmp_attr *a = &t->attrs[i];

		switch (a->type) {
		case IPSEC_ATTR_SA_LIFE_TYPE:
			life_type = a->value;
			break;
		case IPSEC_ATTR_SA_LIFE_DURATION:
			if (life_type == IPSEC_LIFE_TYPE_SECONDS)
				xf->life_s = a->value;
			else if (life_type == IPSEC_LIFE_TYPE_KILOBYTES)
				xf->life_kb = a->value;
			break;
		case IPSEC_ATTR_GROUP_DESCRIPTION:
			xf->group = (uint16_t)a->value;
			break;
		case IPSEC_ATTR_ENCAPSULATION_MODE:
			xf->mode = (uint16_t)a->value;
			break;
		case IPSEC_ATTR_AUTH_ALGORITHM:
			xf->auth = (uint16_t)a->value;
			break;
		case IPSEC_ATTR_KEY_LENGTH:
			xf->keylen = (uint16_t)a->value;
			break;
		default:
			return -1; /* key rounds, compression ...: not ours */
		}
	}
	if (xf->encr == ESP_AES && xf->keylen == 0)
		xf->keylen = 128;
	/* RFC 2407 4.5: tunnel mode is the default */
	if (xf->mode == 0)
		xf->mode = IPSEC_MODE_TUNNEL;
	return 0;
}

static bool esp_matches(const struct ike_esp_proposal *p, const struct ike_child_transform *xf)
{
	uint16_t keylen = p->encr == ESP_AES && p->keylen == 0 ? 128 : p->keylen;

	return p->encr == xf->encr && keylen == xf->keylen && p->auth == xf->auth;
}

/* A four-byte SPI in network order. */
static uint32_t spi_u32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Lifetimes both ends can live with: the shorter of each. */
static void agree_lifetimes(struct ike_child_transform *xf, const struct ike_peer_cfg *p)
{
	if (xf->life_s == 0 || xf->life_s > p->ipsec_lifetime_s)
		xf->life_s = p->ipsec_lifetime_s;
	if (p->ipsec_lifetime_kb != 0 && (xf->life_kb == 0 || xf->life_kb > p->ipsec_lifetime_kb))
		xf->life_kb = p->ipsec_lifetime_kb;
}

/*
 * Does a received transform match one of our ESP proposals?  0 yes; otherwise the
 * cause that refuses it: a group question is a PFS mismatch, the rest no proposal.
 */
static enum ike_cause match_transform(const struct ike_peer_cfg *p,
                                      const struct ike_child_transform *xf, bool has_ke)
{
	bool algs = false;

	if (phase2_base_mode(xf->mode) != p->mode)
		return IKE_CAUSE_P2_NO_PROPOSAL;
	for (size_t i = 0; i < p->n_esp; i++) {
		if (!esp_matches(&p->esp[i], xf))
			continue;
		algs = true;
		if (p->esp[i].group == xf->group && (xf->group != 0) == has_ke)
			return IKE_CAUSE_NONE;
	}
	return algs ? IKE_CAUSE_PFS_MISMATCH : IKE_CAUSE_P2_NO_PROPOSAL;
}

int phase2_choose(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p, bool has_ke,
                  struct ike_child_transform *xf, uint8_t *num, uint32_t *peer_spi,
                  enum ike_cause *why)
{
	struct isakmp_sa *sa = malloc(sizeof(*sa));
	enum ike_cause best = IKE_CAUSE_P2_NO_PROPOSAL, c;
	int ret = -2;

	if (sa == NULL)
		return -2;
	if (isakmp_sa_parse(sa_body, len, sa) != CODEC_OK)
		goto done;
	ret = -1;
	for (size_t i = 0; i < sa->n_proposals; i++) {
		const struct isakmp_proposal *pr = &sa->proposals[i];

		if (pr->protocol != IPSEC_PROTO_ESP || pr->spi_len != 4)
			continue;
		for (size_t j = 0; j < pr->n_transforms; j++) {
			struct ike_child_transform cand;

			if (esp_to_xf(&pr->transforms[j], &cand) != 0)
				continue;
			c = match_transform(p, &cand, has_ke);
			if (c == IKE_CAUSE_PFS_MISMATCH)
				best = c;
			if (c != IKE_CAUSE_NONE)
				continue;
			agree_lifetimes(&cand, p);
			*xf = cand;
			*num = pr->transforms[j].number;
			*peer_spi = spi_u32(pr->spi);
			ret = 0;
			goto done;
		}
	}
	*why = best;
done:
	free(sa);
	return ret;
}

int phase2_check_reply(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p,
                       bool has_ke, struct ike_child_transform *xf, uint32_t *peer_spi,
                       enum ike_cause *why)
{
	struct isakmp_sa *sa = malloc(sizeof(*sa));
	const struct isakmp_proposal *pr;
	int ret = -2;

	if (sa == NULL)
		return -2;
	if (isakmp_sa_parse(sa_body, len, sa) != CODEC_OK || sa->n_proposals != 1)
		goto done;
	pr = &sa->proposals[0];
	if (pr->protocol != IPSEC_PROTO_ESP || pr->spi_len != 4 || pr->n_transforms != 1 ||
	    esp_to_xf(&pr->transforms[0], xf) != 0)
		goto done;
	ret = -1;
	*why = match_transform(p, xf, has_ke);
	if (*why != IKE_CAUSE_NONE)
		goto done;
	agree_lifetimes(xf, p);
	*peer_spi = spi_u32(pr->spi);
	ret = 0;
done:
	free(sa);
	return ret;
}

static size_t addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* A prefix as a netmask of alen bytes. */
static void prefix_mask(uint8_t prefix, uint8_t *mask, size_t alen)
{
	memset(mask, 0, alen);
	for (size_t i = 0; i < alen && prefix > 0; i++) {
		uint8_t bits = prefix >= 8 ? 8 : prefix;

		mask[i] = (uint8_t)(0xff << (8 - bits));
		prefix -= bits;
	}
}

/* The prefix length of a netmask, or -1 when it is not contiguous. */
static int mask_prefix(const uint8_t *mask, size_t alen)
{
	int prefix = 0;
	size_t i = 0;

	for (; i < alen && mask[i] == 0xff; i++)
		prefix += 8;
	if (i < alen) {
		uint8_t m = mask[i++];

		while (m & 0x80) {
			prefix++;
			m = (uint8_t)(m << 1);
		}
		if (m != 0)
			return -1;
	}
	for (; i < alen; i++)
		if (mask[i] != 0)
			return -1;
	return prefix;
}

size_t phase2_id_body(const struct ike_ts *ts, uint8_t *out, size_t cap)
{
	size_t alen = addr_len(ts->family), n = 4 + alen;
	bool v6 = ts->family == AF_INET6;

	if (cap < 4 + 2 * alen)
		return 0;
	out[1] = ts->proto;
	out[2] = (uint8_t)(ts->port >> 8);
	out[3] = (uint8_t)ts->port;
	memcpy(out + 4, ts->from, alen);
	if (ts->kind == IKE_TS_RANGE) {
		out[0] = v6 ? IKE_ID_IPV6_ADDR_RANGE : IKE_ID_IPV4_ADDR_RANGE;
		memcpy(out + 4 + alen, ts->to, alen);
		return n + alen;
	}
	if (ts->prefix == 8 * alen) {
		out[0] = v6 ? IKE_ID_IPV6_ADDR : IKE_ID_IPV4_ADDR;
		return n;
	}
	out[0] = v6 ? IKE_ID_IPV6_ADDR_SUBNET : IKE_ID_IPV4_ADDR_SUBNET;
	prefix_mask(ts->prefix, out + 4 + alen, alen);
	return n + alen;
}

int phase2_id_decode(const uint8_t *body, size_t len, struct ike_ts *ts)
{
	struct isakmp_id id;
	size_t alen;
	int prefix;

	memset(ts, 0, sizeof(*ts));
	if (isakmp_id_parse(body, len, &id) != CODEC_OK)
		return -1;
	ts->proto = id.protocol;
	ts->port = id.port;
	switch (id.type) {
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV4_ADDR_SUBNET:
	case IKE_ID_IPV4_ADDR_RANGE:
		ts->family = AF_INET;
		break;
	case IKE_ID_IPV6_ADDR:
	case IKE_ID_IPV6_ADDR_SUBNET:
	case IKE_ID_IPV6_ADDR_RANGE:
		ts->family = AF_INET6;
		break;
	default:
		return -1; /* names are no selectors */
	}
	alen = addr_len(ts->family);
	if (id.len != alen && id.len != 2 * alen)
		return -1;
	memcpy(ts->from, id.data, alen);
	if (id.type == IKE_ID_IPV4_ADDR || id.type == IKE_ID_IPV6_ADDR) {
		ts->prefix = (uint8_t)(8 * alen);
		return id.len == alen ? 0 : -1;
	}
	if (id.len != 2 * alen)
		return -1;
	if (id.type == IKE_ID_IPV4_ADDR_RANGE || id.type == IKE_ID_IPV6_ADDR_RANGE) {
		ts->kind = IKE_TS_RANGE;
		memcpy(ts->to, id.data + alen, alen);
		return memcmp(ts->from, ts->to, alen) <= 0 ? 0 : -1;
	}
	prefix = mask_prefix(id.data + alen, alen);
	if (prefix < 0)
		return -1;
	ts->prefix = (uint8_t)prefix;
	/* RFC 2407 leaves host bits to the sender; compare networks, not hosts */
	for (size_t i = 0; i < alen; i++)
		ts->from[i] &= id.data[alen + i];
	return 0;
}

/*
 * NAT-OA (RFC 3947 5.1): in transport mode behind a NAT, the original addresses of the
 * initiator and the responder, so the receiver can fix transport checksums.  Body: ID
 * type (IPv4 or IPv6 address), three reserved bytes, the address.
 */
void phase2_put_nat_oa(struct msg_builder *b, uint8_t natt_version, const struct sockaddr *oai,
                       const struct sockaddr *oar)
{
	/* NAT-OA follows NAT-D in both numberings: 21 after 20, 131 after 130 */
	uint8_t type = (uint8_t)(natt_nat_d_type((enum natt_version)natt_version) + 1);
	const struct sockaddr *addrs[2] = {oai, oar};

	for (size_t i = 0; i < 2; i++) {
		size_t off = msg_payload_begin(b, type);

		if (addrs[i]->sa_family == AF_INET6) {
			msg_put_u32(b, (uint32_t)IKE_ID_IPV6_ADDR << 24);
			msg_put(b, &((const struct sockaddr_in6 *)addrs[i])->sin6_addr, 16);
		} else {
			msg_put_u32(b, (uint32_t)IKE_ID_IPV4_ADDR << 24);
			msg_put(b, &((const struct sockaddr_in *)addrs[i])->sin_addr, 4);
		}
		msg_payload_end(b, off);
	}
}

/* Key lengths of an ESP transform: encryption, then integrity. */
int phase2_key_lengths(const struct ike_child_transform *xf, size_t *enc, size_t *integ)
{
	switch (xf->encr) {
	case ESP_AES:
		*enc = xf->keylen / 8;
		break;
	case ESP_3DES:
		*enc = 24;
		break;
	case ESP_NULL:
		*enc = 0;
		break;
	default:
		return -1;
	}
	switch (xf->auth) {
	case IPSEC_AUTH_HMAC_MD5:
		*integ = 16;
		break;
	case IPSEC_AUTH_HMAC_SHA1:
		*integ = 20;
		break;
	case IPSEC_AUTH_HMAC_SHA2_256:
		*integ = 32;
		break;
	case IPSEC_AUTH_HMAC_SHA2_384:
		*integ = 48;
		break;
	case IPSEC_AUTH_HMAC_SHA2_512:
		*integ = 64;
		break;
	default:
		return -1;
	}
	return 0;
}
