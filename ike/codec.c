/*
 * codec.c - ISAKMP (RFC 2408) message parsing and building.
 *
 * Every parser here walks a region as (base, length, offset) and checks that the bytes it
 * is about to read lie inside both the datagram and the enclosing payload before reading
 * them.  Pointer arithmetic happens only after that check, so even a NULL base with a zero
 * length is handled without undefined behaviour.  Nothing is copied except the (bounded)
 * proposal SPI.
 *
 * Error choices that the header leaves open:
 *   - a transform count that disagrees with the transforms present is CODEC_BAD_VALUE (a
 *     count field, not a length field, is wrong);
 *   - an SPI longer than ISAKMP_MAX_SPI is CODEC_TOO_MANY (more than we keep);
 *   - an attribute cut by the end of its transform is CODEC_BAD_LENGTH (the transform
 *     length disagrees with the attributes inside it);
 *   - fixed-size ID data (IPv4/IPv6 address, subnet, range) of the wrong size is
 *     CODEC_BAD_LENGTH, so no consumer can read past an address.
 */
#include <string.h>

#include "ike/codec.h"

#define SA_FIXED_LEN        8  /* DOI, situation */
#define PROPOSAL_FIXED_LEN  8  /* generic header, proposal #, protocol, SPI size, # transforms */
#define TRANSFORM_FIXED_LEN 8  /* generic header, transform #, transform id, reserved2 */
#define ATTR_HDR_LEN        4  /* type, value (TV) or length (TLV) */
#define ID_FIXED_LEN        4  /* type, protocol, port */
#define NOTIFY_FIXED_LEN    8  /* DOI, protocol, SPI size, type */
#define DELETE_FIXED_LEN    8  /* DOI, protocol, SPI size, # SPIs */
#define HDR_LENGTH_AT       24 /* offset of the length field in the ISAKMP header */
#define HDR_NP_AT           16 /* offset of the first "next payload" byte */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

const char *codec_err_name(int err)
{
	switch (err) {
	case CODEC_OK:
		return "ok";
	case CODEC_SHORT:
		return "short";
	case CODEC_BAD_LENGTH:
		return "bad-length";
	case CODEC_BAD_VERSION:
		return "bad-version";
	case CODEC_BAD_PAYLOAD:
		return "bad-payload";
	case CODEC_TOO_MANY:
		return "too-many";
	case CODEC_BAD_VALUE:
		return "bad-value";
	default:
		return "unknown";
	}
}

/* ---- header ---- */

int isakmp_hdr_parse(const uint8_t *buf, size_t len, struct isakmp_hdr *h)
{
	if (len < ISAKMP_HDR_LEN)
		return CODEC_SHORT;
	memcpy(h->icookie, buf, ISAKMP_COOKIE_LEN);
	memcpy(h->rcookie, buf + ISAKMP_COOKIE_LEN, ISAKMP_COOKIE_LEN);
	h->np = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msgid = get32(buf + 20);
	h->length = get32(buf + HDR_LENGTH_AT);
	/* RFC 2408 3.1: a minor version we do not know is fine, a major version is not. */
	if ((h->version >> 4) != (ISAKMP_VERSION >> 4))
		return CODEC_BAD_VERSION;
	/* A longer length field means the datagram was cut; a shorter one hides trailing
	 * bytes that some other parser might read.  Both are refused. */
	if (h->length != len || len > IKE_MAX_MSG)
		return CODEC_BAD_LENGTH;
	return CODEC_OK;
}

void isakmp_hdr_write(uint8_t *buf, const struct isakmp_hdr *h)
{
	memcpy(buf, h->icookie, ISAKMP_COOKIE_LEN);
	memcpy(buf + ISAKMP_COOKIE_LEN, h->rcookie, ISAKMP_COOKIE_LEN);
	buf[16] = h->np;
	buf[17] = h->version;
	buf[18] = h->exchange;
	buf[19] = h->flags;
	put32(buf + 20, h->msgid);
	put32(buf + HDR_LENGTH_AT, h->length);
}

void isakmp_hdr_set_length(uint8_t *buf, size_t len)
{
	put32(buf + HDR_LENGTH_AT, (uint32_t)len);
}

/* ---- payload chain ---- */

/*
 * Generic payload header (RFC 2408 3.2) at off in buf/len.  Proposal and transform
 * payloads share the layout, so one checker serves the three chains; min_len is the
 * smallest length the payload kind can have.
 */
static int gen_hdr_parse(const uint8_t *buf, size_t len, size_t off, size_t min_len, uint8_t *np,
                         size_t *plen)
{
	const uint8_t *p;
	size_t l;

	if (len - off < ISAKMP_GEN_HDR_LEN)
		return CODEC_SHORT;
	p = buf + off;
	if (p[1] != 0)
		return CODEC_BAD_VALUE;
	l = get16(p + 2);
	if (l < min_len || l > len - off)
		return CODEC_BAD_LENGTH;
	*np = p[0];
	*plen = l;
	return CODEC_OK;
}

static bool payload_type_known(uint8_t type)
{
	if (type >= ISAKMP_NP_SA && type <= ISAKMP_NP_VID)
		return true;
	switch (type) {
	case ISAKMP_NP_NAT_D:
	case ISAKMP_NP_NAT_OA:
	case ISAKMP_NP_NAT_D_DRAFT:
	case ISAKMP_NP_NAT_OA_DRAFT:
		return true;
	default:
		return false;
	}
}

int isakmp_payloads_parse(uint8_t first_np, const uint8_t *buf, size_t len, bool allow_trailing,
                          struct isakmp_msg *m)
{
	struct isakmp_payload *p;
	uint8_t np = first_np;
	size_t off = 0, plen;
	int err;

	m->n = 0;
	while (np != ISAKMP_NP_NONE) {
		/* RFC 2408 5.3: an unknown type cannot be skipped safely, INVALID-PAYLOAD-TYPE. */
		if (!payload_type_known(np))
			return CODEC_BAD_PAYLOAD;
		if (m->n == ISAKMP_MAX_PAYLOADS)
			return CODEC_TOO_MANY;
		p = &m->p[m->n];
		p->type = np;
		err = gen_hdr_parse(buf, len, off, ISAKMP_GEN_HDR_LEN, &np, &plen);
		if (err != CODEC_OK)
			return err;
		p->body = buf + off + ISAKMP_GEN_HDR_LEN;
		p->len = plen - ISAKMP_GEN_HDR_LEN;
		m->n++;
		off += plen;
	}
	if (off != len && !allow_trailing)
		return CODEC_BAD_LENGTH;
	return CODEC_OK;
}

int isakmp_msg_parse(const uint8_t *buf, size_t len, struct isakmp_msg *m)
{
	int err;

	m->n = 0;
	err = isakmp_hdr_parse(buf, len, &m->hdr);
	if (err != CODEC_OK)
		return err;
	return isakmp_payloads_parse(m->hdr.np, buf + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, false,
	                             m);
}

const struct isakmp_payload *isakmp_msg_find(const struct isakmp_msg *m, uint8_t type, size_t *from)
{
	size_t i;

	for (i = from != NULL ? *from : 0; i < m->n; i++) {
		if (m->p[i].type != type)
			continue;
		if (from != NULL)
			*from = i + 1;
		return &m->p[i];
	}
	/* Leave *from at the end so a caller looping on it stops. */
	if (from != NULL)
		*from = m->n;
	return NULL;
}

size_t isakmp_msg_count(const struct isakmp_msg *m, uint8_t type)
{
	size_t i, n = 0;

	for (i = 0; i < m->n; i++) {
		if (m->p[i].type == type)
			n++;
	}
	return n;
}

/* ---- SA payload ---- */

/* RFC 2408 3.3: a TLV value of up to 4 bytes is a number too (life duration, key length). */
static uint32_t tlv_value(const uint8_t *data, uint16_t len)
{
	uint32_t v = 0;
	uint16_t i;

	if (len > 4)
		return 0;
	for (i = 0; i < len; i++)
		v = v << 8 | data[i];
	return v;
}

/* One data attribute (RFC 2408 3.3) at off in the attribute area buf/len. */
static int attr_parse(const uint8_t *buf, size_t len, size_t off, size_t *used,
                      struct isakmp_attr *a)
{
	const uint8_t *p;
	uint16_t type;

	if (len - off < ATTR_HDR_LEN)
		return CODEC_BAD_LENGTH;
	p = buf + off;
	type = get16(p);
	a->type = type & ~ISAKMP_ATTR_AF;
	a->tv = (type & ISAKMP_ATTR_AF) != 0;
	if (a->tv) {
		a->value = get16(p + 2);
		a->data = NULL;
		a->len = 0;
		*used = ATTR_HDR_LEN;
		return CODEC_OK;
	}
	a->len = get16(p + 2);
	if (a->len > len - off - ATTR_HDR_LEN)
		return CODEC_BAD_LENGTH;
	a->data = p + ATTR_HDR_LEN;
	a->value = tlv_value(a->data, a->len);
	*used = ATTR_HDR_LEN + a->len;
	return CODEC_OK;
}

/* The attributes fill the rest of the transform exactly: no count field bounds them. */
static int attrs_parse(const uint8_t *buf, size_t len, struct isakmp_transform *t)
{
	size_t off = 0, used;
	int err;

	t->n_attrs = 0;
	while (off < len) {
		if (t->n_attrs == ISAKMP_MAX_ATTRS)
			return CODEC_TOO_MANY;
		err = attr_parse(buf, len, off, &used, &t->attrs[t->n_attrs]);
		if (err != CODEC_OK)
			return err;
		t->n_attrs++;
		off += used;
	}
	return CODEC_OK;
}

/* One transform payload (RFC 2408 3.6) at off in the proposal's transform area. */
static int transform_parse(const uint8_t *buf, size_t len, size_t off, uint8_t *np, size_t *used,
                           struct isakmp_transform *t)
{
	const uint8_t *p;
	size_t tlen;
	int err;

	err = gen_hdr_parse(buf, len, off, TRANSFORM_FIXED_LEN, np, &tlen);
	if (err != CODEC_OK)
		return err;
	if (*np != ISAKMP_NP_NONE && *np != ISAKMP_NP_T)
		return CODEC_BAD_PAYLOAD;
	p = buf + off;
	t->number = p[4];
	t->id = p[5];
	/* RESERVED2 (p[6..7]) is not checked: it carries no meaning, and refusing a peer's
	 * whole proposal for it would only cost interoperability. */
	*used = tlen;
	return attrs_parse(p + TRANSFORM_FIXED_LEN, tlen - TRANSFORM_FIXED_LEN, t);
}

/* The transform chain must end (NP 0) exactly where the proposal ends. */
static int transforms_parse(const uint8_t *buf, size_t len, struct isakmp_proposal *pr)
{
	uint8_t np = ISAKMP_NP_T; /* a proposal carries at least one transform */
	size_t off = 0, used;
	int err;

	pr->n_transforms = 0;
	while (np != ISAKMP_NP_NONE) {
		if (pr->n_transforms == ISAKMP_MAX_TRANSFORMS)
			return CODEC_TOO_MANY;
		err = transform_parse(buf, len, off, &np, &used, &pr->transforms[pr->n_transforms]);
		if (err != CODEC_OK)
			return err;
		pr->n_transforms++;
		off += used;
	}
	if (off != len)
		return CODEC_BAD_LENGTH;
	return CODEC_OK;
}

/* One proposal payload (RFC 2408 3.5) at off in the SA body. */
static int proposal_parse(const uint8_t *buf, size_t len, size_t off, uint8_t *np, size_t *used,
                          struct isakmp_proposal *pr)
{
	const uint8_t *p;
	size_t plen, head;
	uint8_t count;
	int err;

	err = gen_hdr_parse(buf, len, off, PROPOSAL_FIXED_LEN, np, &plen);
	if (err != CODEC_OK)
		return err;
	if (*np != ISAKMP_NP_NONE && *np != ISAKMP_NP_P)
		return CODEC_BAD_PAYLOAD;
	p = buf + off;
	pr->number = p[4];
	pr->protocol = p[5];
	pr->spi_len = p[6];
	count = p[7];
	if (pr->spi_len > ISAKMP_MAX_SPI || count > ISAKMP_MAX_TRANSFORMS)
		return CODEC_TOO_MANY;
	head = PROPOSAL_FIXED_LEN + pr->spi_len;
	if (head > plen)
		return CODEC_BAD_LENGTH;
	memcpy(pr->spi, p + PROPOSAL_FIXED_LEN, pr->spi_len);
	err = transforms_parse(p + head, plen - head, pr);
	if (err != CODEC_OK)
		return err;
	if (pr->n_transforms != count)
		return CODEC_BAD_VALUE;
	*used = plen;
	return CODEC_OK;
}

int isakmp_sa_parse(const uint8_t *body, size_t len, struct isakmp_sa *sa)
{
	uint8_t np = ISAKMP_NP_P; /* an SA carries at least one proposal */
	size_t off = SA_FIXED_LEN, used;
	int err;

	sa->n_proposals = 0;
	if (len < SA_FIXED_LEN)
		return CODEC_SHORT;
	sa->doi = get32(body);
	/* RFC 2407 4.6.1: the situation is 4 bytes.  The labeled-domain situations add
	 * fields we do not parse; they fail below as malformed proposals. */
	sa->situation = get32(body + 4);
	if (sa->doi != ISAKMP_DOI_IPSEC)
		return CODEC_BAD_VALUE;
	while (np != ISAKMP_NP_NONE) {
		if (sa->n_proposals == ISAKMP_MAX_PROPOSALS)
			return CODEC_TOO_MANY;
		err = proposal_parse(body, len, off, &np, &used, &sa->proposals[sa->n_proposals]);
		if (err != CODEC_OK)
			return err;
		sa->n_proposals++;
		off += used;
	}
	if (off != len)
		return CODEC_BAD_LENGTH;
	return CODEC_OK;
}

const struct isakmp_attr *isakmp_transform_attr(const struct isakmp_transform *t, uint16_t type)
{
	size_t i;

	for (i = 0; i < t->n_attrs; i++) {
		if (t->attrs[i].type == type)
			return &t->attrs[i];
	}
	return NULL;
}

/* ---- other payload bodies ---- */

/* RFC 2407 4.6.2.1: the data size an address-type ID must have; 0 when variable. */
static size_t id_fixed_data_len(uint8_t type)
{
	switch (type) {
	case IKE_ID_IPV4_ADDR:
		return 4;
	case IKE_ID_IPV4_ADDR_SUBNET:
	case IKE_ID_IPV4_ADDR_RANGE:
		return 8;
	case IKE_ID_IPV6_ADDR:
		return 16;
	case IKE_ID_IPV6_ADDR_SUBNET:
	case IKE_ID_IPV6_ADDR_RANGE:
		return 32;
	default:
		return 0;
	}
}

int isakmp_id_parse(const uint8_t *body, size_t len, struct isakmp_id *id)
{
	size_t want;

	if (len < ID_FIXED_LEN)
		return CODEC_SHORT;
	id->type = body[0];
	id->protocol = body[1];
	id->port = get16(body + 2);
	id->data = body + ID_FIXED_LEN;
	id->len = len - ID_FIXED_LEN;
	want = id_fixed_data_len(id->type);
	if (want != 0 && id->len != want)
		return CODEC_BAD_LENGTH;
	return CODEC_OK;
}

int isakmp_notify_parse(const uint8_t *body, size_t len, struct isakmp_notify *n)
{
	if (len < NOTIFY_FIXED_LEN)
		return CODEC_SHORT;
	/* The DOI is not checked: RFC 2408 3.14 allows 0 (ISAKMP) as well as 1, and the
	 * engine wants the notify type (the failure cause) whatever the DOI. */
	n->doi = get32(body);
	n->protocol = body[4];
	n->spi_len = body[5];
	n->type = get16(body + 6);
	if (n->spi_len > len - NOTIFY_FIXED_LEN)
		return CODEC_BAD_LENGTH;
	n->spi = body + NOTIFY_FIXED_LEN;
	n->data = n->spi + n->spi_len;
	n->data_len = len - NOTIFY_FIXED_LEN - n->spi_len;
	return CODEC_OK;
}

int isakmp_delete_parse(const uint8_t *body, size_t len, struct isakmp_delete *d)
{
	if (len < DELETE_FIXED_LEN)
		return CODEC_SHORT;
	d->doi = get32(body);
	d->protocol = body[4];
	d->spi_len = body[5];
	d->n_spis = get16(body + 6);
	/* No product overflow: both factors are 16-bit at most. */
	if ((size_t)d->n_spis * d->spi_len != len - DELETE_FIXED_LEN)
		return CODEC_BAD_LENGTH;
	d->spis = body + DELETE_FIXED_LEN;
	return CODEC_OK;
}

int isakmp_cert_parse(const uint8_t *body, size_t len, struct isakmp_cert *c)
{
	if (body == NULL || len < 1)
		return CODEC_SHORT;
	c->encoding = body[0];
	c->data = body + 1;
	c->len = len - 1;
	return CODEC_OK;
}

/* ---- building ---- */

/*
 * Reserve n bytes; false (and the sticky overflow) when they do not fit.  Every write goes
 * through here, so nothing is ever written at or past cap, and once a write has failed
 * nothing more is written at all.
 */
static bool msg_room(struct msg_builder *b, size_t n)
{
	if (b->overflow)
		return false;
	if (n > b->cap - b->len) {
		b->overflow = true;
		return false;
	}
	return true;
}

void msg_init(struct msg_builder *b, uint8_t *buf, size_t cap, const struct isakmp_hdr *h)
{
	struct isakmp_hdr hdr = *h;

	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->np_at = HDR_NP_AT;
	b->overflow = false;
	if (!msg_room(b, ISAKMP_HDR_LEN))
		return;
	hdr.np = ISAKMP_NP_NONE;
	hdr.length = 0;
	isakmp_hdr_write(buf, &hdr);
	b->len = ISAKMP_HDR_LEN;
}

size_t msg_payload_begin(struct msg_builder *b, uint8_t type)
{
	size_t off = b->len;

	if (!msg_room(b, ISAKMP_GEN_HDR_LEN))
		return off;
	/* Link: the previous payload's (or the header's) next-payload byte names this one. */
	b->buf[b->np_at] = type;
	memset(b->buf + off, 0, ISAKMP_GEN_HDR_LEN);
	b->np_at = off;
	b->len += ISAKMP_GEN_HDR_LEN;
	return off;
}

void msg_payload_end(struct msg_builder *b, size_t off)
{
	size_t plen;

	if (b->overflow)
		return;
	/* An offset msg_payload_begin did not return would patch the wrong bytes; spoil the
	 * message rather than send it. */
	if (off < ISAKMP_HDR_LEN || off > b->len - ISAKMP_GEN_HDR_LEN) {
		b->overflow = true;
		return;
	}
	plen = b->len - off;
	if (plen > UINT16_MAX) {
		b->overflow = true;
		return;
	}
	put16(b->buf + off + 2, (uint16_t)plen);
}

void msg_put(struct msg_builder *b, const void *data, size_t len)
{
	if (len == 0 || !msg_room(b, len))
		return;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
}

void msg_put_u8(struct msg_builder *b, uint8_t v)
{
	msg_put(b, &v, 1);
}

void msg_put_u16(struct msg_builder *b, uint16_t v)
{
	uint8_t tmp[2];

	put16(tmp, v);
	msg_put(b, tmp, sizeof(tmp));
}

void msg_put_u32(struct msg_builder *b, uint32_t v)
{
	uint8_t tmp[4];

	put32(tmp, v);
	msg_put(b, tmp, sizeof(tmp));
}

void msg_put_attr(struct msg_builder *b, uint16_t type, uint32_t value)
{
	type &= ~ISAKMP_ATTR_AF;
	if (value <= UINT16_MAX) {
		msg_put_u16(b, type | ISAKMP_ATTR_AF);
		msg_put_u16(b, (uint16_t)value);
		return;
	}
	msg_put_u16(b, type);
	msg_put_u16(b, 4);
	msg_put_u32(b, value);
}

void msg_payload(struct msg_builder *b, uint8_t type, const void *body, size_t len)
{
	size_t off;

	off = msg_payload_begin(b, type);
	msg_put(b, body, len);
	msg_payload_end(b, off);
}

size_t msg_finish(struct msg_builder *b)
{
	if (b->overflow)
		return 0;
	/* Our own parser refuses anything longer, so never build it. */
	if (b->len > IKE_MAX_MSG) {
		b->overflow = true;
		return 0;
	}
	put32(b->buf + HDR_LENGTH_AT, (uint32_t)b->len);
	return b->len;
}
