/*
 * phase1.c - what Main Mode and Aggressive Mode share: the phase-1 SA payload (offer,
 * choice, check of the answer), identities and cookies.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "crypto.h"
#include "exchange.h"
#include "ike.h"
#include "natt.h"

/* Patch a 16-bit length written earlier; the builder's overflow flag covers bounds. */
static void patch_u16(struct msg_builder *b, size_t at, size_t v)
{
	if (b->overflow || at + 2 > b->len)
		return;
	b->buf[at] = (uint8_t)(v >> 8);
	b->buf[at + 1] = (uint8_t)v;
}

static void put_transform_attrs(struct msg_builder *b, const struct ike_sa_transform *xf)
{
	msg_put_attr(b, IKE_ATTR_ENCRYPTION_ALGORITHM, xf->encr);
	if (xf->keylen != 0)
		msg_put_attr(b, IKE_ATTR_KEY_LENGTH, xf->keylen);
	msg_put_attr(b, IKE_ATTR_HASH_ALGORITHM, xf->hash);
	msg_put_attr(b, IKE_ATTR_AUTHENTICATION_METHOD, xf->auth);
	msg_put_attr(b, IKE_ATTR_GROUP_DESCRIPTION, xf->group);
	msg_put_attr(b, IKE_ATTR_LIFE_TYPE, IKE_LIFE_TYPE_SECONDS);
	msg_put_attr(b, IKE_ATTR_LIFE_DURATION, xf->lifetime_s);
}

/* One transform payload (RFC 2408 3.6): NP, reserved, length, number, id, reserved2. */
static void put_transform(struct msg_builder *b, bool last, uint8_t num,
                          const struct ike_sa_transform *xf)
{
	size_t start = b->len;

	msg_put_u8(b, last ? ISAKMP_NP_NONE : ISAKMP_NP_T);
	msg_put_u8(b, 0);
	msg_put_u16(b, 0);
	msg_put_u8(b, num);
	msg_put_u8(b, ISAKMP_TRANSFORM_KEY_IKE);
	msg_put_u16(b, 0);
	put_transform_attrs(b, xf);
	patch_u16(b, start + 2, b->len - start);
}

/* SA payload with one ISAKMP proposal holding n transforms (xfs[i] numbered nums[i]). */
static int put_sa(struct msg_builder *b, const struct ike_sa_transform *xfs, const uint8_t *nums,
                  size_t n, size_t *body_off, size_t *body_len)
{
	size_t off = msg_payload_begin(b, ISAKMP_NP_SA);
	size_t prop;

	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u32(b, IPSEC_SIT_IDENTITY_ONLY);
	/* proposal payload (RFC 2408 3.5): NP, reserved, length, #, protocol, SPI size, #T */
	prop = b->len;
	msg_put_u8(b, ISAKMP_NP_NONE);
	msg_put_u8(b, 0);
	msg_put_u16(b, 0);
	msg_put_u8(b, 1);
	msg_put_u8(b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(b, 0);
	msg_put_u8(b, (uint8_t)n);
	for (size_t i = 0; i < n; i++)
		put_transform(b, i + 1 == n, nums[i], &xfs[i]);
	patch_u16(b, prop + 2, b->len - prop);
	msg_payload_end(b, off);
	if (b->overflow)
		return -1;
	if (body_off != NULL)
		*body_off = off + ISAKMP_GEN_HDR_LEN;
	if (body_len != NULL)
		*body_len = b->len - off - ISAKMP_GEN_HDR_LEN;
	return 0;
}

int phase1_put_sa(struct msg_builder *b, const struct ike_peer_cfg *p, uint32_t lifetime,
                  size_t *body_off, size_t *body_len)
{
	struct ike_sa_transform xfs[IKE_MAX_PROPOSALS];
	uint8_t nums[IKE_MAX_PROPOSALS];
	size_t n = p->n_ike;

	if (n == 0 || n > IKE_MAX_PROPOSALS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		xfs[i].encr = p->ike[i].encr;
		xfs[i].keylen = p->ike[i].keylen;
		xfs[i].hash = p->ike[i].hash;
		xfs[i].auth = ike_peer_auth(p);
		xfs[i].group = p->ike[i].group;
		xfs[i].lifetime_s = lifetime;
		nums[i] = (uint8_t)(i + 1);
	}
	return put_sa(b, xfs, nums, n, body_off, body_len);
}

int phase1_put_sa_reply(struct msg_builder *b, const struct ike_sa_transform *xf,
                        uint8_t transform_num)
{
	return put_sa(b, xf, &transform_num, 1, NULL, NULL);
}

/*
 * A received transform as a phase-1 choice.  Returns 0, or -1 when it holds something we
 * do not do (another auth method, a non-default group type, kilobyte lifetimes only).
 */
static int transform_to_xf(const struct isakmp_transform *t, struct ike_sa_transform *xf)
{
	uint32_t life_type = 0;

	memset(xf, 0, sizeof(*xf));
	if (t->id != ISAKMP_TRANSFORM_KEY_IKE)
		return -1;
	for (size_t i = 0; i < t->n_attrs; i++) {
		const struct isakmp_attr *a = &t->attrs[i];

		switch (a->type) {
		case IKE_ATTR_ENCRYPTION_ALGORITHM:
			xf->encr = (uint16_t)a->value;
			break;
		case IKE_ATTR_HASH_ALGORITHM:
			xf->hash = (uint16_t)a->value;
			break;
		case IKE_ATTR_AUTHENTICATION_METHOD:
			xf->auth = (uint16_t)a->value;
			break;
		case IKE_ATTR_GROUP_DESCRIPTION:
			xf->group = (uint16_t)a->value;
			break;
		case IKE_ATTR_KEY_LENGTH:
			xf->keylen = (uint16_t)a->value;
			break;
		case IKE_ATTR_LIFE_TYPE:
			life_type = a->value;
			break;
		case IKE_ATTR_LIFE_DURATION:
			/* RFC 2409 appendix A: the duration follows its life type */
			if (life_type == IKE_LIFE_TYPE_SECONDS)
				xf->lifetime_s = a->value;
			break;
		case IKE_ATTR_GROUP_TYPE:
			if (a->value != 1) /* MODP; the only type with group descriptions */
				return -1;
			break;
		case IKE_ATTR_PRF:
			return -1; /* RFC 2409: no PRFs are defined; HMAC of the hash is used */
		default:
			break;
		}
	}
	/* AES in IKEv1 always carries a key length; treat a missing one as 128 */
	if (xf->encr == IKE_ENCR_AES_CBC && xf->keylen == 0)
		xf->keylen = 128;
	if (xf->encr == 0 || xf->hash == 0 || xf->auth == 0 || xf->group == 0)
		return -1;
	return 0;
}

/* Encryption, key length, hash and group: all but the auth method. */
static bool proposal_matches(const struct ike_proposal *p, const struct ike_sa_transform *xf)
{
	uint16_t keylen = p->keylen;

	if (p->encr == IKE_ENCR_AES_CBC && keylen == 0)
		keylen = 128;
	return p->encr == xf->encr && keylen == xf->keylen && p->hash == xf->hash &&
	       p->group == xf->group;
}

/* The index of our proposal xf matches, -1 for none, -2 when one would but for auth. */
static int find_match(const struct ike_peer_cfg *p, const struct ike_sa_transform *xf)
{
	for (size_t i = 0; i < p->n_ike; i++)
		if (proposal_matches(&p->ike[i], xf))
			return xf->auth == ike_peer_auth(p) ? (int)i : -2;
	return -1;
}

/* Lifetime both ends can live with: the shorter one (what IOS and Libreswan do). */
static uint32_t agree_lifetime(uint32_t theirs, uint32_t ours)
{
	if (theirs == 0 || theirs > ours)
		return ours;
	return theirs;
}

int phase1_choose(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p,
                  struct ike_sa_transform *xf, uint8_t *num)
{
	struct isakmp_sa *sa = malloc(sizeof(*sa));
	int ret = -1, m;

	if (sa == NULL)
		return -2;
	if (isakmp_sa_parse(sa_body, len, sa) != CODEC_OK) {
		ret = -2;
		goto done;
	}
	for (size_t i = 0; i < sa->n_proposals; i++) {
		const struct isakmp_proposal *pr = &sa->proposals[i];

		if (pr->protocol != ISAKMP_PROTO_ISAKMP)
			continue;
		for (size_t j = 0; j < pr->n_transforms; j++) {
			struct ike_sa_transform cand;

			if (transform_to_xf(&pr->transforms[j], &cand) != 0)
				continue;
			m = find_match(p, &cand);
			if (m == -2 && ret == -1) {
				ret = -3; /* only the auth method stood in the way: say so */
				xf->auth = cand.auth;
			}
			if (m < 0)
				continue;
			cand.lifetime_s = agree_lifetime(cand.lifetime_s, p->ike_lifetime);
			*xf = cand;
			*num = pr->transforms[j].number;
			ret = 0;
			goto done;
		}
	}
done:
	free(sa);
	return ret;
}

int phase1_check_reply(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p,
                       struct ike_sa_transform *xf)
{
	struct isakmp_sa *sa = malloc(sizeof(*sa));
	struct ike_sa_transform got;
	int ret = -2;

	if (sa == NULL)
		return -2;
	if (isakmp_sa_parse(sa_body, len, sa) != CODEC_OK)
		goto done;
	/* RFC 2408 4.2: the responder answers with exactly one proposal and transform */
	if (sa->n_proposals != 1 || sa->proposals[0].n_transforms != 1 ||
	    sa->proposals[0].protocol != ISAKMP_PROTO_ISAKMP)
		goto done;
	if (transform_to_xf(&sa->proposals[0].transforms[0], &got) != 0 ||
	    find_match(p, &got) < 0) {
		ret = -1;
		goto done;
	}
	got.lifetime_s = agree_lifetime(got.lifetime_s, p->ike_lifetime);
	*xf = got;
	ret = 0;
done:
	free(sa);
	return ret;
}

static size_t addr_id(const struct sockaddr_storage *ss, uint8_t *type, uint8_t *out, size_t cap)
{
	if (ss->ss_family == AF_INET && cap >= 4) {
		*type = IKE_ID_IPV4_ADDR;
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return 4;
	}
	if (ss->ss_family == AF_INET6 && cap >= 16) {
		*type = IKE_ID_IPV6_ADDR;
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

/*
 * A DN identity in DER: our certificate's subject itself when the configured DN names
 * it (a peer compares the two, and encodings of one name may differ), else the text
 * encoded.
 */
static size_t dn_id(const struct ike_id *id, const struct ike_creds *creds, uint8_t *out,
                    size_t cap)
{
	const uint8_t *subject;
	size_t n = 0;

	if (creds != NULL && ike_dn_text_equal(id->value, ike_creds_subject(creds))) {
		subject = ike_creds_subject_der(creds, &n);
		if (n == 0 || n > cap)
			return 0;
		memcpy(out, subject, n);
		return n;
	}
	return ike_dn_from_text(id->value, out, cap, &n) == 0 ? n : 0;
}

/* Identity data on the wire for a configured identity. */
static size_t cfg_id(const struct ike_id *id, const struct ike_creds *creds, uint8_t *type,
                     uint8_t *out, size_t cap)
{
	size_t n;

	*type = id->type;
	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
		return cap >= 4 && inet_pton(AF_INET, id->value, out) == 1 ? 4 : 0;
	case IKE_ID_IPV6_ADDR:
		return cap >= 16 && inet_pton(AF_INET6, id->value, out) == 1 ? 16 : 0;
	case IKE_ID_DER_ASN1_DN:
		return dn_id(id, creds, out, cap);
	default:
		n = strlen(id->value);
		if (n > cap)
			return 0;
		memcpy(out, id->value, n);
		return n;
	}
}

size_t phase1_id_body(const struct ike_sa *sa, const struct ike_peer_cfg *p, bool local,
                      uint8_t *out, size_t cap)
{
	const struct ike_id *id = local ? &p->local_id : &p->remote_id;
	const struct sockaddr_storage *addr = local ? &sa->local : &sa->remote;
	size_t n;

	if (cap < 4)
		return 0;
	/* RFC 2407 4.6.2: protocol and port zero (or UDP/500); we send zero */
	out[1] = 0;
	out[2] = 0;
	out[3] = 0;
	if (id->type == 0)
		n = addr_id(addr, &out[0], out + 4, cap - 4);
	else
		n = cfg_id(id, local ? p->creds : NULL, &out[0], out + 4, cap - 4);
	return n == 0 ? 0 : n + 4;
}

int phase1_id_decode(const uint8_t *body, size_t len, struct ike_id *id)
{
	struct isakmp_id raw;
	size_t i, n;

	memset(id, 0, sizeof(*id));
	if (isakmp_id_parse(body, len, &raw) != CODEC_OK)
		return -1;
	id->type = raw.type;
	switch (raw.type) {
	case IKE_ID_IPV4_ADDR:
		if (raw.len != 4)
			return -1;
		inet_ntop(AF_INET, raw.data, id->value, sizeof(id->value));
		return 0;
	case IKE_ID_IPV6_ADDR:
		if (raw.len != 16)
			return -1;
		inet_ntop(AF_INET6, raw.data, id->value, sizeof(id->value));
		return 0;
	case IKE_ID_FQDN:
	case IKE_ID_USER_FQDN:
		n = raw.len < IKE_ID_MAX ? raw.len : IKE_ID_MAX;
		/* printable only: identities reach logs, the CLI and the MIB */
		for (i = 0; i < n; i++)
			id->value[i] = isprint(raw.data[i]) ? (char)raw.data[i] : '?';
		id->value[n] = '\0';
		return 0;
	case IKE_ID_DER_ASN1_DN:
		/* as text ("C=CH, O=Example, CN=gw"); hex below when it is no DN or too long */
		if (ike_dn_to_text(raw.data, raw.len, id->value, sizeof(id->value)) == 0)
			return 0;
		memset(id->value, 0, sizeof(id->value));
		break;
	default:
		break;
	}
	/* other types shown as hex, as far as it fits */
	for (i = 0; i < raw.len && 2 * i + 2 < sizeof(id->value); i++)
		snprintf(id->value + 2 * i, 3, "%02x", raw.data[i]);
	return 0;
}

bool phase1_id_acceptable(const struct ike_sa *sa, const struct ike_peer_cfg *p,
                          const struct ike_id *got)
{
	char addr[64];

	/* remote_id = %any: whatever the peer says (with certificates: held by its certificate) */
	if (p->remote_id.type == 0 && strcmp(p->remote_id.value, "%any") == 0)
		return true;
	if (p->remote_id.type == IKE_ID_DER_ASN1_DN)
		return got->type == IKE_ID_DER_ASN1_DN &&
		       ike_dn_text_equal(got->value, p->remote_id.value);
	if (p->remote_id.type != 0)
		return got->type == p->remote_id.type &&
		       strcmp(got->value, p->remote_id.value) == 0;
	/* default: the peer identifies itself by its address */
	if (sa->remote.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&sa->remote)->sin_addr, addr,
		          sizeof(addr));
		return got->type == IKE_ID_IPV4_ADDR && strcmp(got->value, addr) == 0;
	}
	if (sa->remote.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&sa->remote)->sin6_addr, addr,
		          sizeof(addr));
		return got->type == IKE_ID_IPV6_ADDR && strcmp(got->value, addr) == 0;
	}
	return false;
}

int phase1_cookie(uint8_t cookie[8])
{
	static const uint8_t zero[8];

	/* a zero cookie means "not yet assigned" on the wire: never hand one out */
	do {
		if (ike_random(cookie, 8) != 0)
			return -1;
	} while (memcmp(cookie, zero, 8) == 0);
	return 0;
}

/* ---- NAT traversal (RFC 3947) in phase 1 ---- */

void phase1_put_natt_vids(struct msg_builder *b, enum natt_version only)
{
	const struct natt_vid *v;
	size_t n;

	v = natt_vids(&n);
	for (size_t i = 0; i < n; i++) {
		if (only != NATT_NONE && v[i].version != only)
			continue;
		msg_payload(b, ISAKMP_NP_VID, v[i].hash, sizeof(v[i].hash));
		/* answering, one vendor ID of the version says it */
		if (only != NATT_NONE)
			return;
	}
}

enum natt_version phase1_natt_version(const struct isakmp_msg *m)
{
	const struct isakmp_payload *vid;
	enum natt_version best = NATT_NONE, v;
	size_t from = 0;

	while ((vid = isakmp_msg_find(m, ISAKMP_NP_VID, &from)) != NULL) {
		v = natt_vid_version(vid->body, vid->len);
		/* the RFC beats the drafts */
		if (v != NATT_NONE && (best == NATT_NONE || v < best))
			best = v;
	}
	return best;
}

/* NAT-D payloads: first the peer's address as we send to it, then our own. */
int phase1_put_nat_d(struct msg_builder *b, const struct ike_sa *sa)
{
	uint8_t d[IKE_MAX_HASH_LEN];
	uint8_t type = natt_nat_d_type((enum natt_version)sa->natt_version);
	size_t len = ike_hash_len(sa->xf.hash);

	if (type == 0 || len == 0)
		return -1;
	if (natt_nat_d(sa->xf.hash, sa->icookie, sa->rcookie, (const struct sockaddr *)&sa->remote,
	               d) != 0)
		return -1;
	msg_payload(b, type, d, len);
	if (natt_nat_d(sa->xf.hash, sa->icookie, sa->rcookie, (const struct sockaddr *)&sa->local,
	               d) != 0)
		return -1;
	msg_payload(b, type, d, len);
	return b->overflow ? -1 : 0;
}

int phase1_detect_nat(struct ike_sa *sa, const struct isakmp_msg *m)
{
	const uint8_t *d[ISAKMP_MAX_PAYLOADS];
	size_t d_len[ISAKMP_MAX_PAYLOADS], n = 0, from = 0;
	uint8_t type = natt_nat_d_type((enum natt_version)sa->natt_version);
	const struct isakmp_payload *p;

	while (n < ISAKMP_MAX_PAYLOADS && (p = isakmp_msg_find(m, type, &from)) != NULL) {
		d[n] = p->body;
		d_len[n++] = p->len;
	}
	return natt_detect(
	    sa->xf.hash, sa->icookie, sa->rcookie, (const struct sockaddr *)&sa->local,
	    (const struct sockaddr *)&sa->remote, d, d_len, n, &sa->nat_local, &sa->nat_remote);
}
