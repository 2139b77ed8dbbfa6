/*
 * test_codec.c - unit tests of the ISAKMP codec (ike/codec.c) and notify names (ike/names.c).
 *
 * One full message carrying every payload kind is built with the builder, parsed back and
 * compared field by field; then the same message is cut, stretched and corrupted to check
 * that every length is refused when it disagrees with the data around it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ike/codec.h"
#include "tests/unit/testlib.h"

/* ---- the reference message ---- */

struct t_attr {
	uint16_t type;
	uint32_t value;
	uint16_t raw_len;   /* raw TLV (written by hand) when raw != NULL */
	const uint8_t *raw; /* raw TLV bytes */
};

struct t_transform {
	uint8_t number, id;
	size_t n_attrs;
	struct t_attr attrs[8];
};

struct t_proposal {
	uint8_t number, protocol, spi_len;
	uint8_t spi[16];
	size_t n_transforms;
	struct t_transform transforms[3];
};

static const uint8_t raw8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t raw3[3] = {0x01, 0x02, 0x03};

/* Proposal 1 is a Main Mode offer; 2 and 3 carry SPIs as Quick Mode offers do. */
/* Kept by hand: the nesting reads as proposal > transform > attribute. */
/* clang-format off */
static const struct t_proposal t_props[3] = {
	{1, ISAKMP_PROTO_ISAKMP, 0, {0}, 3, {
		{1, ISAKMP_TRANSFORM_KEY_IKE, 7, {
			{IKE_ATTR_ENCRYPTION_ALGORITHM, IKE_ENCR_AES_CBC, 0, NULL},
			{IKE_ATTR_KEY_LENGTH, 256, 0, NULL},
			{IKE_ATTR_HASH_ALGORITHM, IKE_HASH_SHA2_256, 0, NULL},
			{IKE_ATTR_AUTHENTICATION_METHOD, IKE_AUTH_PSK, 0, NULL},
			{IKE_ATTR_GROUP_DESCRIPTION, IKE_GROUP_MODP2048, 0, NULL},
			{IKE_ATTR_LIFE_TYPE, IKE_LIFE_TYPE_SECONDS, 0, NULL},
			{IKE_ATTR_LIFE_DURATION, 86400, 0, NULL}, /* > 0xffff: TLV */
		}},
		{2, ISAKMP_TRANSFORM_KEY_IKE, 6, {
			{IKE_ATTR_ENCRYPTION_ALGORITHM, IKE_ENCR_3DES_CBC, 0, NULL},
			{IKE_ATTR_HASH_ALGORITHM, IKE_HASH_SHA1, 0, NULL},
			{IKE_ATTR_AUTHENTICATION_METHOD, IKE_AUTH_PSK, 0, NULL},
			{IKE_ATTR_GROUP_DESCRIPTION, IKE_GROUP_MODP1024, 0, NULL},
			{IKE_ATTR_LIFE_TYPE, IKE_LIFE_TYPE_SECONDS, 0, NULL},
			{IKE_ATTR_LIFE_DURATION, 28800, 0, NULL}, /* fits: TV */
		}},
		{3, ISAKMP_TRANSFORM_KEY_IKE, 3, {
			{IKE_ATTR_ENCRYPTION_ALGORITHM, IKE_ENCR_DES_CBC, 0, NULL},
			{16, 0, sizeof(raw8), raw8}, /* too long to be a number */
			{IKE_ATTR_LIFE_DURATION, 0, sizeof(raw3), raw3},
		}},
	}},
	{2, 3, 4, {0xde, 0xad, 0xbe, 0xef}, 1, {
		{1, 12, 2, {{5, 1, 0, NULL}, {6, 128, 0, NULL}}},
	}},
	{3, 2, 16, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 2, {
		{7, 3, 1, {{1, 1, 0, NULL}}},
		{9, 2, 0, {{0, 0, 0, NULL}}},
	}},
};
/* clang-format on */

static const uint8_t t_id_addr[4] = {192, 0, 2, 1};
static const uint8_t t_vid[16] = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                  0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};
static const uint8_t t_nspi[4] = {0x11, 0x22, 0x33, 0x44};
static const uint8_t t_ndata[8] = {0x80, 0x0b, 0x00, 0x01, 0x80, 0x0c, 0x0e, 0x10};

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void t_hdr(struct isakmp_hdr *h, uint8_t exchange)
{
	memset(h, 0, sizeof(*h));
	fill(h->icookie, sizeof(h->icookie), 1);
	h->version = ISAKMP_VERSION;
	h->exchange = exchange;
	h->np = 0x77;           /* msg_init must ignore it */
	h->length = 0x12345678; /* and this */
}

static void put_attr(struct msg_builder *b, const struct t_attr *a)
{
	if (a->raw == NULL) {
		msg_put_attr(b, a->type, a->value);
		return;
	}
	msg_put_u16(b, a->type);
	msg_put_u16(b, a->raw_len);
	msg_put(b, a->raw, a->raw_len);
}

/* Fill the 16-bit length of a proposal or transform begun at off (not a builder payload). */
static void patch_len(struct msg_builder *b, size_t off)
{
	if (b->overflow)
		return;
	b->buf[off + 2] = (uint8_t)((b->len - off) >> 8);
	b->buf[off + 3] = (uint8_t)(b->len - off);
}

static void put_proposal(struct msg_builder *b, const struct t_proposal *p, bool last)
{
	size_t poff, toff, i, j;

	poff = b->len;
	msg_put_u8(b, last ? 0 : ISAKMP_NP_P);
	msg_put_u8(b, 0);
	msg_put_u16(b, 0);
	msg_put_u8(b, p->number);
	msg_put_u8(b, p->protocol);
	msg_put_u8(b, p->spi_len);
	msg_put_u8(b, (uint8_t)p->n_transforms);
	msg_put(b, p->spi, p->spi_len);
	for (i = 0; i < p->n_transforms; i++) {
		const struct t_transform *t = &p->transforms[i];

		toff = b->len;
		msg_put_u8(b, i + 1 == p->n_transforms ? 0 : ISAKMP_NP_T);
		msg_put_u8(b, 0);
		msg_put_u16(b, 0);
		msg_put_u8(b, t->number);
		msg_put_u8(b, t->id);
		msg_put_u16(b, 0);
		for (j = 0; j < t->n_attrs; j++)
			put_attr(b, &t->attrs[j]);
		patch_len(b, toff);
	}
	patch_len(b, poff);
}

/* HDR, SA, KE, Ni, IDii, HASH, N, D, VID: every payload kind the engine reads. */
static size_t build_full(struct msg_builder *b, uint8_t *buf, size_t cap)
{
	struct isakmp_hdr h;
	uint8_t ke[128], nonce[20], hash[32], spis[32];
	size_t off, i;

	t_hdr(&h, ISAKMP_XCHG_IDPROT);
	msg_init(b, buf, cap, &h);
	off = msg_payload_begin(b, ISAKMP_NP_SA);
	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u32(b, IPSEC_SIT_IDENTITY_ONLY);
	for (i = 0; i < 3; i++)
		put_proposal(b, &t_props[i], i == 2);
	msg_payload_end(b, off);
	fill(ke, sizeof(ke), 3);
	msg_payload(b, ISAKMP_NP_KE, ke, sizeof(ke));
	fill(nonce, sizeof(nonce), 5);
	msg_payload(b, ISAKMP_NP_NONCE, nonce, sizeof(nonce));
	off = msg_payload_begin(b, ISAKMP_NP_ID);
	msg_put_u8(b, IKE_ID_IPV4_ADDR);
	msg_put_u8(b, 17);
	msg_put_u16(b, 500);
	msg_put(b, t_id_addr, sizeof(t_id_addr));
	msg_payload_end(b, off);
	fill(hash, sizeof(hash), 9);
	msg_payload(b, ISAKMP_NP_HASH, hash, sizeof(hash));
	off = msg_payload_begin(b, ISAKMP_NP_N);
	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u8(b, 3);
	msg_put_u8(b, sizeof(t_nspi));
	msg_put_u16(b, IPSEC_N_RESPONDER_LIFETIME);
	msg_put(b, t_nspi, sizeof(t_nspi));
	msg_put(b, t_ndata, sizeof(t_ndata));
	msg_payload_end(b, off);
	off = msg_payload_begin(b, ISAKMP_NP_D);
	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u8(b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(b, 16);
	msg_put_u16(b, 2);
	fill(spis, sizeof(spis), 11);
	msg_put(b, spis, sizeof(spis));
	msg_payload_end(b, off);
	msg_payload(b, ISAKMP_NP_VID, t_vid, sizeof(t_vid));
	return msg_finish(b);
}

static size_t full_msg(uint8_t *buf, size_t cap)
{
	struct msg_builder b;
	size_t len;

	len = build_full(&b, buf, cap);
	ck_assert_uint_gt(len, ISAKMP_HDR_LEN);
	return len;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* ---- round trip ---- */

static void check_attr(const struct isakmp_attr *a, const struct t_attr *want)
{
	ck_assert_uint_eq(a->type, want->type);
	if (want->raw != NULL) {
		ck_assert(!a->tv);
		ck_assert_uint_eq(a->len, want->raw_len);
		ck_assert_mem_eq(a->data, want->raw, want->raw_len);
		ck_assert_uint_eq(a->value, want->raw_len == 3 ? 0x010203 : 0);
		return;
	}
	ck_assert_uint_eq(a->value, want->value);
	ck_assert(a->tv == (want->value <= 0xffff));
	ck_assert_uint_eq(a->len, a->tv ? 0 : 4);
}

static void check_sa(const struct isakmp_sa *sa)
{
	size_t i, j, k;

	ck_assert_uint_eq(sa->doi, ISAKMP_DOI_IPSEC);
	ck_assert_uint_eq(sa->situation, IPSEC_SIT_IDENTITY_ONLY);
	ck_assert_uint_eq(sa->n_proposals, 3);
	for (i = 0; i < 3; i++) {
		const struct isakmp_proposal *p = &sa->proposals[i];
		const struct t_proposal *w = &t_props[i];

		ck_assert_uint_eq(p->number, w->number);
		ck_assert_uint_eq(p->protocol, w->protocol);
		ck_assert_uint_eq(p->spi_len, w->spi_len);
		ck_assert_mem_eq(p->spi, w->spi, w->spi_len);
		ck_assert_uint_eq(p->n_transforms, w->n_transforms);
		for (j = 0; j < w->n_transforms; j++) {
			const struct isakmp_transform *t = &p->transforms[j];

			ck_assert_uint_eq(t->number, w->transforms[j].number);
			ck_assert_uint_eq(t->id, w->transforms[j].id);
			ck_assert_uint_eq(t->n_attrs, w->transforms[j].n_attrs);
			for (k = 0; k < t->n_attrs; k++)
				check_attr(&t->attrs[k], &w->transforms[j].attrs[k]);
		}
	}
}

START_TEST(test_roundtrip_full)
{
	uint8_t buf[2048], want[128];
	struct isakmp_msg m;
	struct isakmp_sa *sa = calloc(1, sizeof(*sa));
	struct isakmp_id id;
	struct isakmp_notify n;
	struct isakmp_delete d;
	const struct isakmp_attr *a;
	static const uint8_t types[] = {ISAKMP_NP_SA, ISAKMP_NP_KE,   ISAKMP_NP_NONCE,
	                                ISAKMP_NP_ID, ISAKMP_NP_HASH, ISAKMP_NP_N,
	                                ISAKMP_NP_D,  ISAKMP_NP_VID};
	size_t len, i;

	ck_assert_ptr_nonnull(sa);
	len = full_msg(buf, sizeof(buf));
	ck_assert_int_eq(isakmp_msg_parse(buf, len, &m), CODEC_OK);
	fill(want, 8, 1);
	ck_assert_mem_eq(m.hdr.icookie, want, 8);
	memset(want, 0, 8);
	ck_assert_mem_eq(m.hdr.rcookie, want, 8);
	ck_assert_uint_eq(m.hdr.np, ISAKMP_NP_SA);
	ck_assert_uint_eq(m.hdr.version, ISAKMP_VERSION);
	ck_assert_uint_eq(m.hdr.exchange, ISAKMP_XCHG_IDPROT);
	ck_assert_uint_eq(m.hdr.flags, 0);
	ck_assert_uint_eq(m.hdr.msgid, 0);
	ck_assert_uint_eq(m.hdr.length, len);
	ck_assert_uint_eq(m.n, sizeof(types));
	for (i = 0; i < m.n; i++)
		ck_assert_uint_eq(m.p[i].type, types[i]);

	ck_assert_int_eq(isakmp_sa_parse(m.p[0].body, m.p[0].len, sa), CODEC_OK);
	check_sa(sa);
	a = isakmp_transform_attr(&sa->proposals[0].transforms[0], IKE_ATTR_LIFE_DURATION);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->value, 86400);
	ck_assert_ptr_null(isakmp_transform_attr(&sa->proposals[0].transforms[1], 14));

	fill(want, 128, 3);
	ck_assert_uint_eq(m.p[1].len, 128);
	ck_assert_mem_eq(m.p[1].body, want, 128);
	fill(want, 20, 5);
	ck_assert_uint_eq(m.p[2].len, 20);
	ck_assert_mem_eq(m.p[2].body, want, 20);

	ck_assert_int_eq(isakmp_id_parse(m.p[3].body, m.p[3].len, &id), CODEC_OK);
	ck_assert_uint_eq(id.type, IKE_ID_IPV4_ADDR);
	ck_assert_uint_eq(id.protocol, 17);
	ck_assert_uint_eq(id.port, 500);
	ck_assert_uint_eq(id.len, 4);
	ck_assert_mem_eq(id.data, t_id_addr, 4);

	fill(want, 32, 9);
	ck_assert_uint_eq(m.p[4].len, 32);
	ck_assert_mem_eq(m.p[4].body, want, 32);

	ck_assert_int_eq(isakmp_notify_parse(m.p[5].body, m.p[5].len, &n), CODEC_OK);
	ck_assert_uint_eq(n.doi, ISAKMP_DOI_IPSEC);
	ck_assert_uint_eq(n.protocol, 3);
	ck_assert_uint_eq(n.spi_len, 4);
	ck_assert_uint_eq(n.type, IPSEC_N_RESPONDER_LIFETIME);
	ck_assert_mem_eq(n.spi, t_nspi, 4);
	ck_assert_uint_eq(n.data_len, sizeof(t_ndata));
	ck_assert_mem_eq(n.data, t_ndata, sizeof(t_ndata));

	ck_assert_int_eq(isakmp_delete_parse(m.p[6].body, m.p[6].len, &d), CODEC_OK);
	ck_assert_uint_eq(d.doi, ISAKMP_DOI_IPSEC);
	ck_assert_uint_eq(d.protocol, ISAKMP_PROTO_ISAKMP);
	ck_assert_uint_eq(d.spi_len, 16);
	ck_assert_uint_eq(d.n_spis, 2);
	fill(want, 32, 11);
	ck_assert_mem_eq(d.spis, want, 32);

	ck_assert_uint_eq(m.p[7].len, 16);
	ck_assert_mem_eq(m.p[7].body, t_vid, 16);
	free(sa);
}
END_TEST

START_TEST(test_find_count)
{
	uint8_t buf[256];
	struct msg_builder b;
	struct isakmp_hdr h;
	struct isakmp_msg m;
	const struct isakmp_payload *p;
	size_t len, from = 0;

	t_hdr(&h, ISAKMP_XCHG_IDPROT);
	msg_init(&b, buf, sizeof(buf), &h);
	msg_payload(&b, ISAKMP_NP_VID, "a", 1);
	msg_payload(&b, ISAKMP_NP_NAT_D, "bb", 2);
	msg_payload(&b, ISAKMP_NP_VID, "ccc", 3);
	len = msg_finish(&b);
	ck_assert_int_eq(isakmp_msg_parse(buf, len, &m), CODEC_OK);
	ck_assert_uint_eq(isakmp_msg_count(&m, ISAKMP_NP_VID), 2);
	ck_assert_uint_eq(isakmp_msg_count(&m, ISAKMP_NP_NAT_D), 1);
	ck_assert_uint_eq(isakmp_msg_count(&m, ISAKMP_NP_SA), 0);
	p = isakmp_msg_find(&m, ISAKMP_NP_VID, &from);
	ck_assert_ptr_eq(p, &m.p[0]);
	ck_assert_uint_eq(from, 1);
	p = isakmp_msg_find(&m, ISAKMP_NP_VID, &from);
	ck_assert_ptr_eq(p, &m.p[2]);
	ck_assert_uint_eq(p->len, 3);
	ck_assert_mem_eq(p->body, "ccc", 3);
	ck_assert_ptr_null(isakmp_msg_find(&m, ISAKMP_NP_VID, &from));
	ck_assert_ptr_eq(isakmp_msg_find(&m, ISAKMP_NP_NAT_D, NULL), &m.p[1]);
	ck_assert_ptr_null(isakmp_msg_find(&m, ISAKMP_NP_SA, NULL));
}
END_TEST

/* ---- header ---- */

START_TEST(test_header)
{
	uint8_t buf[64];
	struct isakmp_hdr h, g;
	size_t i;

	memset(&h, 0, sizeof(h));
	fill(h.icookie, 8, 1);
	fill(h.rcookie, 8, 100);
	h.np = ISAKMP_NP_HASH;
	h.version = 0x11; /* unknown minor version: accepted */
	h.exchange = ISAKMP_XCHG_QUICK;
	h.flags = ISAKMP_FLAG_ENC | ISAKMP_FLAG_COMMIT;
	h.msgid = 0xa1b2c3d4;
	h.length = ISAKMP_HDR_LEN;
	isakmp_hdr_write(buf, &h);
	ck_assert_uint_eq(buf[24], 0);
	ck_assert_uint_eq(buf[27], ISAKMP_HDR_LEN);
	ck_assert_int_eq(isakmp_hdr_parse(buf, ISAKMP_HDR_LEN, &g), CODEC_OK);
	ck_assert_mem_eq(g.icookie, h.icookie, 8);
	ck_assert_mem_eq(g.rcookie, h.rcookie, 8);
	ck_assert_uint_eq(g.np, h.np);
	ck_assert_uint_eq(g.version, h.version);
	ck_assert_uint_eq(g.exchange, h.exchange);
	ck_assert_uint_eq(g.flags, h.flags);
	ck_assert_uint_eq(g.msgid, h.msgid);
	ck_assert_uint_eq(g.length, ISAKMP_HDR_LEN);
	for (i = 0; i < ISAKMP_HDR_LEN; i++)
		ck_assert_int_eq(isakmp_hdr_parse(buf, i, &g), CODEC_SHORT);
	/* length field one more / one less than the datagram */
	ck_assert_int_eq(isakmp_hdr_parse(buf, ISAKMP_HDR_LEN + 1, &g), CODEC_BAD_LENGTH);
	buf[27] = ISAKMP_HDR_LEN - 1;
	ck_assert_int_eq(isakmp_hdr_parse(buf, ISAKMP_HDR_LEN, &g), CODEC_BAD_LENGTH);
	buf[27] = ISAKMP_HDR_LEN;
	buf[17] = 0x20;
	ck_assert_int_eq(isakmp_hdr_parse(buf, ISAKMP_HDR_LEN, &g), CODEC_BAD_VERSION);
	buf[17] = 0x00;
	ck_assert_int_eq(isakmp_hdr_parse(buf, ISAKMP_HDR_LEN, &g), CODEC_BAD_VERSION);
}
END_TEST

/* A datagram longer than IKE_MAX_MSG is refused even when its length field agrees. */
START_TEST(test_header_too_long)
{
	uint8_t *big = calloc(1, IKE_MAX_MSG + 1);
	struct isakmp_hdr h;

	ck_assert_ptr_nonnull(big);
	big[17] = ISAKMP_VERSION;
	wr32(big + 24, IKE_MAX_MSG);
	ck_assert_int_eq(isakmp_hdr_parse(big, IKE_MAX_MSG, &h), CODEC_OK);
	wr32(big + 24, IKE_MAX_MSG + 1);
	ck_assert_int_eq(isakmp_hdr_parse(big, IKE_MAX_MSG + 1, &h), CODEC_BAD_LENGTH);
	free(big);
}
END_TEST

/* ---- truncation ---- */

/* Every prefix of a valid message is refused, whether the header length is patched to the
 * prefix (a chain cut short) or left alone (a datagram cut short).  Each prefix sits in a
 * buffer of its exact size so a sanitizer build catches any read past it. */
START_TEST(test_truncated_prefixes)
{
	uint8_t full[2048], *cut;
	struct isakmp_msg m;
	size_t len, l;
	int err;

	len = full_msg(full, sizeof(full));
	for (l = 0; l < len; l++) {
		cut = malloc(l + 1);
		ck_assert_ptr_nonnull(cut);
		memcpy(cut, full, l);
		err = isakmp_msg_parse(cut, l, &m);
		ck_assert_int_eq(err, l < ISAKMP_HDR_LEN ? CODEC_SHORT : CODEC_BAD_LENGTH);
		if (l >= ISAKMP_HDR_LEN) {
			wr32(cut + 24, (uint32_t)l);
			err = isakmp_msg_parse(cut, l, &m);
			ck_assert_msg(err == CODEC_SHORT || err == CODEC_BAD_LENGTH,
			              "prefix %zu: %s", l, codec_err_name(err));
			err = isakmp_payloads_parse(cut[16], cut + 28, l - 28, false, &m);
			ck_assert_int_ne(err, CODEC_OK);
		}
		free(cut);
	}
}
END_TEST

/* Each parser refuses every prefix of its body that is too short to hold what it says. */
START_TEST(test_truncated_bodies)
{
	uint8_t full[2048], *cut;
	struct isakmp_msg m;
	struct isakmp_sa *sa = calloc(1, sizeof(*sa));
	struct isakmp_id id;
	struct isakmp_notify n;
	struct isakmp_delete d;
	size_t len, l;

	ck_assert_ptr_nonnull(sa);
	len = full_msg(full, sizeof(full));
	ck_assert_int_eq(isakmp_msg_parse(full, len, &m), CODEC_OK);
	for (l = 0; l < m.p[0].len; l++) {
		cut = malloc(l + 1);
		memcpy(cut, m.p[0].body, l);
		ck_assert_int_ne(isakmp_sa_parse(cut, l, sa), CODEC_OK);
		free(cut);
	}
	for (l = 0; l < m.p[3].len; l++)
		ck_assert_int_ne(isakmp_id_parse(m.p[3].body, l, &id), CODEC_OK);
	for (l = 0; l < 8 + 4; l++) /* fixed part and the SPI; the data may be any length */
		ck_assert_int_ne(isakmp_notify_parse(m.p[5].body, l, &n), CODEC_OK);
	for (l = 0; l < m.p[6].len; l++)
		ck_assert_int_ne(isakmp_delete_parse(m.p[6].body, l, &d), CODEC_OK);
	free(sa);
}
END_TEST

/* ---- payload chain ---- */

static size_t gen_hdr_off(const uint8_t *buf, const struct isakmp_payload *p)
{
	return (size_t)(p->body - buf) - ISAKMP_GEN_HDR_LEN;
}

START_TEST(test_payload_length_oversized)
{
	uint8_t full[2048], buf[2048];
	struct isakmp_msg m, m2;
	size_t len, i, off;
	uint16_t bad[2];

	len = full_msg(full, sizeof(full));
	ck_assert_int_eq(isakmp_msg_parse(full, len, &m), CODEC_OK);
	for (i = 0; i < m.n; i++) {
		off = gen_hdr_off(full, &m.p[i]);
		bad[0] = (uint16_t)(len - off + 1);
		bad[1] = 0xffff;
		for (size_t k = 0; k < 2; k++) {
			memcpy(buf, full, len);
			wr16(buf + off + 2, bad[k]);
			ck_assert_int_eq(isakmp_msg_parse(buf, len, &m2), CODEC_BAD_LENGTH);
		}
	}
}
END_TEST

START_TEST(test_payload_length_below_4)
{
	uint8_t full[2048], buf[2048];
	struct isakmp_msg m, m2;
	size_t len, i, off;
	uint16_t l;

	len = full_msg(full, sizeof(full));
	ck_assert_int_eq(isakmp_msg_parse(full, len, &m), CODEC_OK);
	for (i = 0; i < m.n; i++) {
		off = gen_hdr_off(full, &m.p[i]);
		for (l = 0; l < 4; l++) {
			memcpy(buf, full, len);
			wr16(buf + off + 2, l);
			ck_assert_int_eq(isakmp_msg_parse(buf, len, &m2), CODEC_BAD_LENGTH);
		}
	}
}
END_TEST

START_TEST(test_payload_types)
{
	uint8_t body[4] = {0, 0, 0, 4};
	struct isakmp_msg m;
	unsigned t;
	int err;
	bool known;

	for (t = 1; t < 256; t++) {
		known = (t <= 13) || t == 20 || t == 21 || t == 130 || t == 131;
		err = isakmp_payloads_parse((uint8_t)t, body, sizeof(body), false, &m);
		ck_assert_int_eq(err, known ? CODEC_OK : CODEC_BAD_PAYLOAD);
		if (known) {
			ck_assert_uint_eq(m.n, 1);
			ck_assert_uint_eq(m.p[0].type, t);
			ck_assert_uint_eq(m.p[0].len, 0);
		}
	}
	/* an unknown type as the second payload */
	body[0] = 14;
	ck_assert_int_eq(isakmp_payloads_parse(ISAKMP_NP_VID, body, 4, false, &m),
	                 CODEC_BAD_PAYLOAD);
	/* reserved byte */
	body[0] = 0;
	body[1] = 1;
	ck_assert_int_eq(isakmp_payloads_parse(ISAKMP_NP_VID, body, 4, false, &m), CODEC_BAD_VALUE);
}
END_TEST

START_TEST(test_trailing_bytes)
{
	uint8_t buf[16] = {0, 0, 0, 6, 'h', 'i', 0xaa, 0xbb, 0xcc};
	struct isakmp_msg m;

	ck_assert_int_eq(isakmp_payloads_parse(ISAKMP_NP_VID, buf, 9, false, &m), CODEC_BAD_LENGTH);
	ck_assert_int_eq(isakmp_payloads_parse(ISAKMP_NP_VID, buf, 9, true, &m), CODEC_OK);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_uint_eq(m.p[0].len, 2);
	ck_assert_int_eq(isakmp_payloads_parse(ISAKMP_NP_NONE, buf, 9, false, &m),
	                 CODEC_BAD_LENGTH);
	ck_assert_int_eq(isakmp_payloads_parse(ISAKMP_NP_NONE, buf, 9, true, &m), CODEC_OK);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_int_eq(isakmp_payloads_parse(ISAKMP_NP_NONE, NULL, 0, false, &m), CODEC_OK);
	ck_assert_int_eq(isakmp_payloads_parse(ISAKMP_NP_VID, NULL, 0, false, &m), CODEC_SHORT);
}
END_TEST

static size_t vid_msg(uint8_t *buf, size_t cap, size_t n_vids)
{
	struct msg_builder b;
	struct isakmp_hdr h;
	size_t i;

	t_hdr(&h, ISAKMP_XCHG_IDPROT);
	msg_init(&b, buf, cap, &h);
	for (i = 0; i < n_vids; i++)
		msg_payload(&b, ISAKMP_NP_VID, &i, 1);
	return msg_finish(&b);
}

START_TEST(test_too_many_payloads)
{
	uint8_t buf[1024];
	struct isakmp_msg m;
	size_t len;

	len = vid_msg(buf, sizeof(buf), ISAKMP_MAX_PAYLOADS);
	ck_assert_int_eq(isakmp_msg_parse(buf, len, &m), CODEC_OK);
	ck_assert_uint_eq(m.n, ISAKMP_MAX_PAYLOADS);
	len = vid_msg(buf, sizeof(buf), ISAKMP_MAX_PAYLOADS + 1);
	ck_assert_int_eq(isakmp_msg_parse(buf, len, &m), CODEC_TOO_MANY);
}
END_TEST

/* ---- SA internals ---- */

/*
 * DOI 1, SIT 1, proposal (#1, ISAKMP, no SPI, 1 transform) holding one transform (#1,
 * KEY_IKE) with ENC=AES (TV) and LIFE_DURATION=86400 (TLV, 4 bytes).
 */
/* clang-format off */
static const uint8_t sa_one[] = {
	0, 0, 0, 1, 0, 0, 0, 1,                         /* DOI, situation */
	0, 0, 0, 28, 1, 1, 0, 1,                        /* proposal, length 28 */
	0, 0, 0, 20, 1, 1, 0, 0,                        /* transform, length 20 */
	0x80, 1, 0, 7, 0, 12, 0, 4, 0, 1, 0x51, 0x80,   /* attributes */
};
/* clang-format on */
#define OFF_P_NP     8
#define OFF_P_RES    9
#define OFF_P_LEN    10
#define OFF_P_SPILEN 14
#define OFF_P_COUNT  15
#define OFF_T_NP     16
#define OFF_T_LEN    18
#define OFF_TLV_LEN  30

/* sa_one with byte at set to v (and at2 to v2), parsed with extra zero bytes after it. */
static int sa_mutated2(size_t at, uint8_t v, size_t at2, uint8_t v2, size_t extra)
{
	uint8_t buf[sizeof(sa_one) + 8] = {0};
	struct isakmp_sa *sa = calloc(1, sizeof(*sa));
	int err;

	ck_assert_ptr_nonnull(sa);
	memcpy(buf, sa_one, sizeof(sa_one));
	buf[at] = v;
	buf[at2] = v2;
	err = isakmp_sa_parse(buf, sizeof(sa_one) + extra, sa);
	free(sa);
	return err;
}

static int sa_mutated(size_t at, uint8_t v, size_t extra)
{
	return sa_mutated2(at, v, at, v, extra);
}

START_TEST(test_sa_bad_internals)
{
	ck_assert_int_eq(sa_mutated(0, 0, 0), CODEC_OK);
	ck_assert_int_eq(sa_mutated(3, 2, 0), CODEC_BAD_VALUE);           /* DOI 2 */
	ck_assert_int_eq(sa_mutated(3, 0, 0), CODEC_BAD_VALUE);           /* DOI 0 */
	ck_assert_int_eq(sa_mutated(OFF_P_COUNT, 2, 0), CODEC_BAD_VALUE); /* count mismatch */
	ck_assert_int_eq(sa_mutated(OFF_P_COUNT, 0, 0), CODEC_BAD_VALUE);
	ck_assert_int_eq(sa_mutated(OFF_P_COUNT, 33, 0), CODEC_TOO_MANY);
	ck_assert_int_eq(sa_mutated(OFF_P_LEN + 1, 29, 0), CODEC_BAD_LENGTH); /* beyond SA */
	ck_assert_int_eq(sa_mutated(OFF_P_LEN + 1, 27, 0), CODEC_BAD_LENGTH); /* cuts transform */
	ck_assert_int_eq(sa_mutated(OFF_P_LEN + 1, 7, 0), CODEC_BAD_LENGTH);  /* < fixed part */
	ck_assert_int_eq(sa_mutated(OFF_P_LEN, 1, 0), CODEC_BAD_LENGTH);
	/* proposal one byte longer than its transforms */
	ck_assert_int_eq(sa_mutated(OFF_P_LEN + 1, 29, 1), CODEC_BAD_LENGTH);
	/* SPI longer than its proposal */
	ck_assert_int_eq(sa_mutated2(OFF_P_LEN + 1, 8, OFF_P_SPILEN, 4, 0), CODEC_BAD_LENGTH);
	/* proposal shorter than SA: 1 byte left after it, too short for another proposal */
	ck_assert_int_eq(sa_mutated(0, 0, 1), CODEC_BAD_LENGTH);
	ck_assert_int_eq(sa_mutated(OFF_P_NP, ISAKMP_NP_P, 0), CODEC_SHORT); /* says more follow */
	ck_assert_int_eq(sa_mutated(OFF_P_NP, ISAKMP_NP_T, 0), CODEC_BAD_PAYLOAD);
	ck_assert_int_eq(sa_mutated(OFF_P_RES, 1, 0), CODEC_BAD_VALUE);
	ck_assert_int_eq(sa_mutated(OFF_P_SPILEN, 17, 0), CODEC_TOO_MANY);
	ck_assert_int_ne(sa_mutated(OFF_P_SPILEN, 4, 0), CODEC_OK);
	ck_assert_int_eq(sa_mutated(OFF_T_NP, ISAKMP_NP_P, 0), CODEC_BAD_PAYLOAD);
	ck_assert_int_eq(sa_mutated(OFF_T_NP, ISAKMP_NP_T, 0), CODEC_SHORT);
	ck_assert_int_eq(sa_mutated(OFF_T_LEN + 1, 21, 0), CODEC_BAD_LENGTH); /* beyond proposal */
	ck_assert_int_eq(sa_mutated(OFF_T_LEN + 1, 19, 0), CODEC_BAD_LENGTH); /* cuts TLV */
	ck_assert_int_eq(sa_mutated(OFF_T_LEN + 1, 14, 0), CODEC_BAD_LENGTH); /* cuts TLV hdr */
	ck_assert_int_eq(sa_mutated(OFF_T_LEN + 1, 7, 0), CODEC_BAD_LENGTH);
	ck_assert_int_eq(sa_mutated(OFF_TLV_LEN + 1, 5, 0), CODEC_BAD_LENGTH); /* TLV past end */
	ck_assert_int_eq(sa_mutated(OFF_TLV_LEN, 1, 0), CODEC_BAD_LENGTH);
	ck_assert_int_eq(sa_mutated(OFF_TLV_LEN + 1, 3, 0), CODEC_BAD_LENGTH); /* one left over */
}
END_TEST

START_TEST(test_sa_tlv_values)
{
	uint8_t buf[sizeof(sa_one)];
	struct isakmp_sa *sa = calloc(1, sizeof(*sa));
	const struct isakmp_attr *a;

	ck_assert_ptr_nonnull(sa);
	ck_assert_int_eq(isakmp_sa_parse(sa_one, sizeof(sa_one), sa), CODEC_OK);
	a = &sa->proposals[0].transforms[0].attrs[1];
	ck_assert(!a->tv);
	ck_assert_uint_eq(a->type, IKE_ATTR_LIFE_DURATION);
	ck_assert_uint_eq(a->value, 86400);
	ck_assert_uint_eq(a->len, 4);
	ck_assert_ptr_eq(a->data, sa_one + 36 - 4);
	/* a 1-byte TLV: transform and proposal shrink by 3 */
	memcpy(buf, sa_one, sizeof(buf));
	buf[OFF_P_LEN + 1] = 25;
	buf[OFF_T_LEN + 1] = 17;
	buf[OFF_TLV_LEN + 1] = 1;
	buf[32] = 0x42;
	ck_assert_int_eq(isakmp_sa_parse(buf, 33, sa), CODEC_OK);
	a = &sa->proposals[0].transforms[0].attrs[1];
	ck_assert_uint_eq(a->len, 1);
	ck_assert_uint_eq(a->value, 0x42);
	/* zero-length TLV */
	buf[OFF_P_LEN + 1] = 24;
	buf[OFF_T_LEN + 1] = 16;
	buf[OFF_TLV_LEN + 1] = 0;
	ck_assert_int_eq(isakmp_sa_parse(buf, 32, sa), CODEC_OK);
	a = &sa->proposals[0].transforms[0].attrs[1];
	ck_assert_uint_eq(a->len, 0);
	ck_assert_uint_eq(a->value, 0);
	free(sa);
}
END_TEST

/* An SA with n_prop proposals of n_trans transforms of n_attr TV attributes each; the
 * transform count field says n_trans + count_delta. */
static int sa_sized(size_t n_prop, size_t n_trans, size_t n_attr, int count_delta)
{
	uint8_t buf[4096];
	struct msg_builder b;
	struct isakmp_hdr h;
	struct isakmp_msg m;
	struct isakmp_sa *sa = calloc(1, sizeof(*sa));
	size_t i, j, k, poff, toff, off, len;
	int err;

	ck_assert_ptr_nonnull(sa);
	t_hdr(&h, ISAKMP_XCHG_IDPROT);
	msg_init(&b, buf, sizeof(buf), &h);
	off = msg_payload_begin(&b, ISAKMP_NP_SA);
	msg_put_u32(&b, 1);
	msg_put_u32(&b, 1);
	for (i = 0; i < n_prop; i++) {
		poff = b.len;
		msg_put_u8(&b, i + 1 == n_prop ? 0 : ISAKMP_NP_P);
		msg_put_u8(&b, 0);
		msg_put_u16(&b, 0);
		msg_put_u32(&b, (uint32_t)(i << 24 | 1 << 16 | (n_trans + count_delta)));
		for (j = 0; j < n_trans; j++) {
			toff = b.len;
			msg_put_u8(&b, j + 1 == n_trans ? 0 : ISAKMP_NP_T);
			msg_put_u8(&b, 0);
			msg_put_u16(&b, (uint16_t)(8 + 4 * n_attr));
			msg_put_u32(&b, (uint32_t)(j << 24 | 1 << 16));
			for (k = 0; k < n_attr; k++)
				msg_put_attr(&b, (uint16_t)(k + 1), (uint32_t)k);
			ck_assert_uint_eq(b.len - toff, 8 + 4 * n_attr);
		}
		wr16(buf + poff + 2, (uint16_t)(b.len - poff));
	}
	msg_payload_end(&b, off);
	len = msg_finish(&b);
	ck_assert_uint_ne(len, 0);
	ck_assert_int_eq(isakmp_msg_parse(buf, len, &m), CODEC_OK);
	err = isakmp_sa_parse(m.p[0].body, m.p[0].len, sa);
	if (err == CODEC_OK) {
		ck_assert_uint_eq(sa->n_proposals, n_prop);
		ck_assert_uint_eq(sa->proposals[n_prop - 1].n_transforms, n_trans);
		ck_assert_uint_eq(sa->proposals[n_prop - 1].transforms[n_trans - 1].n_attrs,
		                  n_attr);
	}
	free(sa);
	return err;
}

START_TEST(test_sa_limits)
{
	ck_assert_int_eq(sa_sized(ISAKMP_MAX_PROPOSALS, 1, 1, 0), CODEC_OK);
	ck_assert_int_eq(sa_sized(ISAKMP_MAX_PROPOSALS + 1, 1, 1, 0), CODEC_TOO_MANY);
	ck_assert_int_eq(sa_sized(1, ISAKMP_MAX_TRANSFORMS, 1, 0), CODEC_OK);
	ck_assert_int_eq(sa_sized(1, ISAKMP_MAX_TRANSFORMS + 1, 1, 0), CODEC_TOO_MANY);
	ck_assert_int_eq(sa_sized(1, ISAKMP_MAX_TRANSFORMS + 1, 1, -1), CODEC_TOO_MANY);
	ck_assert_int_eq(sa_sized(1, 1, ISAKMP_MAX_ATTRS, 0), CODEC_OK);
	ck_assert_int_eq(sa_sized(1, 1, ISAKMP_MAX_ATTRS + 1, 0), CODEC_TOO_MANY);
	ck_assert_int_eq(sa_sized(1, 1, 0, 0), CODEC_OK);
	ck_assert_int_eq(sa_sized(3, 4, 2, 1), CODEC_BAD_VALUE);
	ck_assert_int_eq(sa_sized(3, 4, 2, -1), CODEC_BAD_VALUE);
}
END_TEST

/* ---- notify, delete, ID ---- */

START_TEST(test_notify_lengths)
{
	uint8_t b[32] = {0, 0, 0, 1, 1, 16, 0x60, 0x02};
	struct isakmp_notify n;
	size_t l;

	for (l = 0; l < 8; l++)
		ck_assert_int_eq(isakmp_notify_parse(b, l, &n), CODEC_SHORT);
	for (l = 8; l < 24; l++)
		ck_assert_int_eq(isakmp_notify_parse(b, l, &n), CODEC_BAD_LENGTH);
	ck_assert_int_eq(isakmp_notify_parse(b, 24, &n), CODEC_OK);
	ck_assert_uint_eq(n.type, IPSEC_N_INITIAL_CONTACT);
	ck_assert_ptr_eq(n.spi, b + 8);
	ck_assert_uint_eq(n.data_len, 0);
	ck_assert_int_eq(isakmp_notify_parse(b, 32, &n), CODEC_OK);
	ck_assert_ptr_eq(n.data, b + 24);
	ck_assert_uint_eq(n.data_len, 8);
	b[5] = 255;
	ck_assert_int_eq(isakmp_notify_parse(b, 32, &n), CODEC_BAD_LENGTH);
	b[5] = 0;
	ck_assert_int_eq(isakmp_notify_parse(b, 8, &n), CODEC_OK);
	ck_assert_uint_eq(n.spi_len, 0);
	ck_assert_uint_eq(n.data_len, 0);
}
END_TEST

START_TEST(test_delete_lengths)
{
	uint8_t b[8 + 3 * 4] = {0, 0, 0, 1, 3, 4, 0, 3};
	struct isakmp_delete d;
	size_t l;

	for (l = 0; l < 8; l++)
		ck_assert_int_eq(isakmp_delete_parse(b, l, &d), CODEC_SHORT);
	for (l = 8; l < sizeof(b); l++)
		ck_assert_int_eq(isakmp_delete_parse(b, l, &d), CODEC_BAD_LENGTH);
	ck_assert_int_eq(isakmp_delete_parse(b, sizeof(b), &d), CODEC_OK);
	ck_assert_uint_eq(d.doi, 1);
	ck_assert_uint_eq(d.protocol, 3);
	ck_assert_uint_eq(d.n_spis, 3);
	ck_assert_uint_eq(d.spi_len, 4);
	ck_assert_ptr_eq(d.spis, b + 8);
	b[7] = 2; /* fewer SPIs than bytes */
	ck_assert_int_eq(isakmp_delete_parse(b, sizeof(b), &d), CODEC_BAD_LENGTH);
	b[6] = 0xff; /* 65282 SPIs of 4 bytes: no overflow, just wrong */
	ck_assert_int_eq(isakmp_delete_parse(b, sizeof(b), &d), CODEC_BAD_LENGTH);
	b[6] = 0;
	b[7] = 0;
	ck_assert_int_eq(isakmp_delete_parse(b, 8, &d), CODEC_OK);
	ck_assert_uint_eq(d.n_spis, 0);
}
END_TEST

START_TEST(test_id_lengths)
{
	static const struct {
		uint8_t type;
		size_t len;
	} fixed[] = {
	    {IKE_ID_IPV4_ADDR, 4},  {IKE_ID_IPV4_ADDR_SUBNET, 8},  {IKE_ID_IPV4_ADDR_RANGE, 8},
	    {IKE_ID_IPV6_ADDR, 16}, {IKE_ID_IPV6_ADDR_SUBNET, 32}, {IKE_ID_IPV6_ADDR_RANGE, 32},
	};
	uint8_t b[4 + 40] = {IKE_ID_IPV4_ADDR, 17, 0x01, 0xf4, 10, 0, 0, 1};
	struct isakmp_id id;
	size_t i, l;

	for (l = 0; l < 4; l++)
		ck_assert_int_eq(isakmp_id_parse(b, l, &id), CODEC_SHORT);
	ck_assert_int_eq(isakmp_id_parse(b, 8, &id), CODEC_OK);
	ck_assert_uint_eq(id.type, IKE_ID_IPV4_ADDR);
	ck_assert_uint_eq(id.protocol, 17);
	ck_assert_uint_eq(id.port, 500);
	ck_assert_ptr_eq(id.data, b + 4);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		b[0] = fixed[i].type;
		for (l = 4; l <= sizeof(b); l++) {
			ck_assert_int_eq(isakmp_id_parse(b, l, &id),
			                 l - 4 == fixed[i].len ? CODEC_OK : CODEC_BAD_LENGTH);
		}
	}
	b[0] = IKE_ID_FQDN;
	for (l = 4; l <= sizeof(b); l++) {
		ck_assert_int_eq(isakmp_id_parse(b, l, &id), CODEC_OK);
		ck_assert_uint_eq(id.len, l - 4);
		ck_assert_ptr_eq(id.data, b + 4);
	}
}
END_TEST

/* ---- builder ---- */

START_TEST(test_builder_overflow)
{
	uint8_t full[2048], buf[2048 + 64];
	struct msg_builder b;
	size_t len, cap, i;

	len = full_msg(full, sizeof(full));
	for (cap = 0; cap < len; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		ck_assert_uint_eq(build_full(&b, buf, cap), 0);
		ck_assert(b.overflow);
		ck_assert_uint_le(b.len, cap);
		for (i = cap; i < sizeof(buf); i++)
			ck_assert_msg(buf[i] == 0xa5, "cap %zu: byte %zu written", cap, i);
	}
	memset(buf, 0xa5, sizeof(buf));
	ck_assert_uint_eq(build_full(&b, buf, len), len);
	ck_assert(!b.overflow);
	ck_assert_mem_eq(buf, full, len);
	/* sticky: a small write after an overflow still fails */
	msg_init(&b, buf, 40, &(struct isakmp_hdr){.version = ISAKMP_VERSION});
	msg_payload(&b, ISAKMP_NP_VID, full, 20);
	ck_assert(b.overflow);
	msg_put_u8(&b, 1);
	ck_assert_uint_eq(b.len, 32);
	ck_assert_uint_eq(msg_finish(&b), 0);
}
END_TEST

START_TEST(test_builder_limits)
{
	uint8_t *buf = calloc(1, 140000);
	struct msg_builder b;
	struct isakmp_hdr h;
	size_t off;

	ck_assert_ptr_nonnull(buf);
	t_hdr(&h, ISAKMP_XCHG_INFO);
	/* a payload longer than its 16-bit length field */
	msg_init(&b, buf, 140000, &h);
	off = msg_payload_begin(&b, ISAKMP_NP_VID);
	msg_put(&b, buf + 70000, 65531);
	msg_payload_end(&b, off);
	ck_assert(!b.overflow);
	ck_assert_uint_eq(rd16(buf + off + 2), 65535);
	ck_assert_uint_eq(msg_finish(&b), 0); /* 28 + 65535 > IKE_MAX_MSG */
	ck_assert(b.overflow);
	msg_init(&b, buf, 140000, &h);
	off = msg_payload_begin(&b, ISAKMP_NP_VID);
	msg_put(&b, buf + 70000, 65532);
	msg_payload_end(&b, off);
	ck_assert(b.overflow);
	/* an offset msg_payload_begin never returned */
	msg_init(&b, buf, 140000, &h);
	msg_payload_end(&b, 3);
	ck_assert(b.overflow);
	free(buf);
}
END_TEST

START_TEST(test_builder_layout)
{
	uint8_t buf[128];
	struct msg_builder b;
	struct isakmp_hdr h;
	size_t off, len;
	/* clang-format off */
	static const uint8_t want[] = {
		ISAKMP_NP_VID, 0, 0, 4 + 12,                     /* SA, links to VID */
		0x80, 1, 0xff, 0xff,                             /* TV at 0xffff */
		0x00, 12, 0, 4, 0, 1, 0, 0,                      /* TLV at 0x10000 */
		0, 0, 0, 4 + 2, 'x', 'y',                        /* VID, last */
	};
	/* clang-format on */

	t_hdr(&h, ISAKMP_XCHG_IDPROT);
	msg_init(&b, buf, sizeof(buf), &h);
	ck_assert_uint_eq(b.len, 28);
	ck_assert_uint_eq(b.np_at, 16);
	ck_assert_uint_eq(buf[16], 0);
	off = msg_payload_begin(&b, ISAKMP_NP_SA);
	ck_assert_uint_eq(off, 28);
	ck_assert_uint_eq(b.np_at, 28);
	msg_put_attr(&b, IKE_ATTR_ENCRYPTION_ALGORITHM | ISAKMP_ATTR_AF, 0xffff);
	msg_put_attr(&b, IKE_ATTR_LIFE_DURATION, 0x10000);
	msg_payload_end(&b, off);
	msg_payload(&b, ISAKMP_NP_VID, "xy", 2);
	len = msg_finish(&b);
	ck_assert_uint_eq(len, 28 + sizeof(want));
	ck_assert_uint_eq(buf[16], ISAKMP_NP_SA);
	ck_assert_uint_eq(buf[17], ISAKMP_VERSION);
	ck_assert_uint_eq(buf[18], ISAKMP_XCHG_IDPROT);
	ck_assert_uint_eq(rd16(buf + 26), len);
	ck_assert_uint_eq(rd16(buf + 24), 0);
	ck_assert_mem_eq(buf + 28, want, sizeof(want));
}
END_TEST

/* ---- names ---- */

START_TEST(test_names)
{
	ck_assert_str_eq(isakmp_notify_name(ISAKMP_N_NO_PROPOSAL_CHOSEN), "NO-PROPOSAL-CHOSEN");
	ck_assert_str_eq(isakmp_notify_name(ISAKMP_N_INVALID_ID_INFORMATION),
	                 "INVALID-ID-INFORMATION");
	ck_assert_str_eq(isakmp_notify_name(IPSEC_N_INITIAL_CONTACT), "INITIAL-CONTACT");
	ck_assert_str_eq(isakmp_notify_name(IPSEC_N_RESPONDER_LIFETIME), "RESPONDER-LIFETIME");
	ck_assert_str_eq(isakmp_notify_name(ISAKMP_N_PAYLOAD_MALFORMED), "PAYLOAD-MALFORMED");
	ck_assert_str_eq(isakmp_notify_name(0), "UNKNOWN");
	ck_assert_str_eq(isakmp_notify_name(8191), "UNKNOWN");
	ck_assert_str_eq(isakmp_notify_name(65535), "UNKNOWN");
	ck_assert_str_eq(codec_err_name(CODEC_OK), "ok");
	ck_assert_str_eq(codec_err_name(CODEC_SHORT), "short");
	ck_assert_str_eq(codec_err_name(CODEC_BAD_LENGTH), "bad-length");
	ck_assert_str_eq(codec_err_name(CODEC_BAD_VERSION), "bad-version");
	ck_assert_str_eq(codec_err_name(CODEC_BAD_PAYLOAD), "bad-payload");
	ck_assert_str_eq(codec_err_name(CODEC_TOO_MANY), "too-many");
	ck_assert_str_eq(codec_err_name(CODEC_BAD_VALUE), "bad-value");
	ck_assert_str_eq(codec_err_name(-99), "unknown");
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("codec");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip_full);
	tcase_add_test(tc, test_find_count);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_header_too_long);
	tcase_add_test(tc, test_truncated_prefixes);
	tcase_add_test(tc, test_truncated_bodies);
	tcase_add_test(tc, test_payload_length_oversized);
	tcase_add_test(tc, test_payload_length_below_4);
	tcase_add_test(tc, test_payload_types);
	tcase_add_test(tc, test_trailing_bytes);
	tcase_add_test(tc, test_too_many_payloads);
	tcase_add_test(tc, test_sa_bad_internals);
	tcase_add_test(tc, test_sa_tlv_values);
	tcase_add_test(tc, test_sa_limits);
	tcase_add_test(tc, test_notify_lengths);
	tcase_add_test(tc, test_delete_lengths);
	tcase_add_test(tc, test_id_lengths);
	tcase_add_test(tc, test_builder_overflow);
	tcase_add_test(tc, test_builder_limits);
	tcase_add_test(tc, test_builder_layout);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(codec_suite());
}
