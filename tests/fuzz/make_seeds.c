/*
 * make_seeds.c - writes the seed corpora of fuzz_codec and fuzz_exchange (built by make
 * check as tests/fuzz/make_seeds; run by hand from the source tree):
 *
 *   tests/fuzz/make_seeds codec tests/fuzz/corpus/codec
 *   tests/fuzz/make_seeds exchange tests/fuzz/corpus/exchange
 *
 * codec: valid plaintext ISAKMP messages built with the codec's own builder, in the
 * shapes real peers send (Main Mode MM1 and MM3, Aggressive Mode AM1, a Quick Mode offer,
 * informationals), so the fuzzer starts deep inside the parsers.
 *
 * exchange: for each scenario of tests/fuzz/scene.h, the message the peer engine really
 * sent there (decrypted), checked to take the target engine on when fed back; the same
 * as whole datagrams, and delivered twice; and a few notifies and DELETEs built here.
 */
#include <stdio.h>
#include <string.h>

#include "ike/codec.h"
#include "tests/fuzz/scene.h"

#define SEED_MAX 2048

struct ike_offer {
	uint16_t encr, key_len, hash, auth, group;
	uint32_t life;
};

static const uint8_t vid_dpd[16] = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                    0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};
static const uint8_t vid_natt[16] = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
                                     0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
}

static void hdr(struct isakmp_hdr *h, uint8_t exchange, bool responder, uint32_t msgid)
{
	memset(h, 0, sizeof(*h));
	fill(h->icookie, ISAKMP_COOKIE_LEN, 1);
	if (responder)
		fill(h->rcookie, ISAKMP_COOKIE_LEN, 2);
	h->version = ISAKMP_VERSION;
	h->exchange = exchange;
	h->msgid = msgid;
}

/* Fill the 16-bit length of a proposal or transform that began at off. */
static void patch_len(struct msg_builder *b, size_t off)
{
	if (b->overflow)
		return;
	b->buf[off + 2] = (uint8_t)((b->len - off) >> 8);
	b->buf[off + 3] = (uint8_t)(b->len - off);
}

static void ike_transform(struct msg_builder *b, uint8_t number, bool last,
                          const struct ike_offer *o)
{
	size_t off = b->len;

	msg_put_u8(b, last ? ISAKMP_NP_NONE : ISAKMP_NP_T);
	msg_put_u8(b, 0);
	msg_put_u16(b, 0);
	msg_put_u8(b, number);
	msg_put_u8(b, ISAKMP_TRANSFORM_KEY_IKE);
	msg_put_u16(b, 0);
	msg_put_attr(b, IKE_ATTR_ENCRYPTION_ALGORITHM, o->encr);
	if (o->key_len != 0)
		msg_put_attr(b, IKE_ATTR_KEY_LENGTH, o->key_len);
	msg_put_attr(b, IKE_ATTR_HASH_ALGORITHM, o->hash);
	msg_put_attr(b, IKE_ATTR_AUTHENTICATION_METHOD, o->auth);
	msg_put_attr(b, IKE_ATTR_GROUP_DESCRIPTION, o->group);
	msg_put_attr(b, IKE_ATTR_LIFE_TYPE, IKE_LIFE_TYPE_SECONDS);
	msg_put_attr(b, IKE_ATTR_LIFE_DURATION, o->life);
	patch_len(b, off);
}

/* SA with one ISAKMP proposal holding one transform per offer. */
static void ike_sa(struct msg_builder *b, const struct ike_offer *o, size_t n)
{
	size_t sa, prop, i;

	sa = msg_payload_begin(b, ISAKMP_NP_SA);
	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u32(b, IPSEC_SIT_IDENTITY_ONLY);
	prop = b->len;
	msg_put_u32(b, 0);
	msg_put_u8(b, 1);
	msg_put_u8(b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(b, 0);
	msg_put_u8(b, (uint8_t)n);
	for (i = 0; i < n; i++)
		ike_transform(b, (uint8_t)(i + 1), i + 1 == n, &o[i]);
	patch_len(b, prop);
	msg_payload_end(b, sa);
}

static const struct ike_offer offers[] = {
    {IKE_ENCR_AES_CBC, 256, IKE_HASH_SHA2_256, IKE_AUTH_PSK, IKE_GROUP_MODP2048, 86400},
    {IKE_ENCR_3DES_CBC, 0, IKE_HASH_SHA1, IKE_AUTH_PSK, IKE_GROUP_MODP1024, 28800},
};

/* HDR, SA, VID, VID */
static size_t mm1(uint8_t *buf)
{
	struct msg_builder b;
	struct isakmp_hdr h;

	hdr(&h, ISAKMP_XCHG_IDPROT, false, 0);
	msg_init(&b, buf, SEED_MAX, &h);
	ike_sa(&b, offers, 2);
	msg_payload(&b, ISAKMP_NP_VID, vid_dpd, sizeof(vid_dpd));
	msg_payload(&b, ISAKMP_NP_VID, vid_natt, sizeof(vid_natt));
	return msg_finish(&b);
}

/* HDR, KE, Ni, NAT-D, NAT-D */
static size_t mm3(uint8_t *buf)
{
	struct msg_builder b;
	struct isakmp_hdr h;
	uint8_t ke[256], nonce[32], natd[20];

	hdr(&h, ISAKMP_XCHG_IDPROT, true, 0);
	msg_init(&b, buf, SEED_MAX, &h);
	fill(ke, sizeof(ke), 3);
	msg_payload(&b, ISAKMP_NP_KE, ke, sizeof(ke));
	fill(nonce, sizeof(nonce), 4);
	msg_payload(&b, ISAKMP_NP_NONCE, nonce, sizeof(nonce));
	fill(natd, sizeof(natd), 5);
	msg_payload(&b, ISAKMP_NP_NAT_D, natd, sizeof(natd));
	fill(natd, sizeof(natd), 6);
	msg_payload(&b, ISAKMP_NP_NAT_D, natd, sizeof(natd));
	return msg_finish(&b);
}

/* HDR, SA, KE, Ni, IDii (FQDN), VID */
static size_t am1(uint8_t *buf)
{
	static const char fqdn[] = "vpn.example.net";
	struct msg_builder b;
	struct isakmp_hdr h;
	uint8_t ke[128], nonce[16];
	size_t off;

	hdr(&h, ISAKMP_XCHG_AGGR, false, 0);
	msg_init(&b, buf, SEED_MAX, &h);
	ike_sa(&b, offers + 1, 1);
	fill(ke, sizeof(ke), 7);
	msg_payload(&b, ISAKMP_NP_KE, ke, sizeof(ke));
	fill(nonce, sizeof(nonce), 8);
	msg_payload(&b, ISAKMP_NP_NONCE, nonce, sizeof(nonce));
	off = msg_payload_begin(&b, ISAKMP_NP_ID);
	msg_put_u32(&b, (uint32_t)IKE_ID_FQDN << 24 | 17 << 16 | 500);
	msg_put(&b, fqdn, sizeof(fqdn) - 1);
	msg_payload_end(&b, off);
	msg_payload(&b, ISAKMP_NP_VID, vid_dpd, sizeof(vid_dpd));
	return msg_finish(&b);
}

static void id_subnet(struct msg_builder *b, uint8_t net)
{
	size_t off = msg_payload_begin(b, ISAKMP_NP_ID);

	msg_put_u32(b, (uint32_t)IKE_ID_IPV4_ADDR_SUBNET << 24);
	msg_put_u32(b, 0x0a000000u | (uint32_t)net << 8);
	msg_put_u32(b, 0xffffff00u);
	msg_payload_end(b, off);
}

/* HDR, HASH, SA (ESP proposal with an SPI and a TLV lifetime in kilobytes), Ni, IDci, IDcr;
 * sent in plaintext here so the whole chain parses. */
static size_t qm1(uint8_t *buf)
{
	struct msg_builder b;
	struct isakmp_hdr h;
	uint8_t hash[20], nonce[16];
	size_t sa, prop, tr;

	hdr(&h, ISAKMP_XCHG_QUICK, true, 0x5a5a0001);
	msg_init(&b, buf, SEED_MAX, &h);
	fill(hash, sizeof(hash), 9);
	msg_payload(&b, ISAKMP_NP_HASH, hash, sizeof(hash));
	sa = msg_payload_begin(&b, ISAKMP_NP_SA);
	msg_put_u32(&b, ISAKMP_DOI_IPSEC);
	msg_put_u32(&b, IPSEC_SIT_IDENTITY_ONLY);
	prop = b.len;
	msg_put_u32(&b, 0);
	msg_put_u32(&b, 1u << 24 | 3 << 16 | 4 << 8 | 1); /* #1, ESP, SPI size 4, 1 transform */
	msg_put_u32(&b, 0xc0ffee01);
	tr = b.len;
	msg_put_u32(&b, 0);
	msg_put_u32(&b, 1u << 24 | 12 << 16);         /* #1, ESP_AES */
	msg_put_attr(&b, 1, IKE_LIFE_TYPE_SECONDS);   /* SA life type */
	msg_put_attr(&b, 2, 3600);                    /* SA life duration */
	msg_put_attr(&b, 1, IKE_LIFE_TYPE_KILOBYTES); /* SA life type */
	msg_put_attr(&b, 2, 4608000);                 /* SA life duration: TLV */
	msg_put_attr(&b, 4, 1);                       /* encapsulation: tunnel */
	msg_put_attr(&b, 5, 2);                       /* auth: HMAC-SHA1 */
	msg_put_attr(&b, 6, 256);                     /* key length */
	patch_len(&b, tr);
	patch_len(&b, prop);
	msg_payload_end(&b, sa);
	fill(nonce, sizeof(nonce), 10);
	msg_payload(&b, ISAKMP_NP_NONCE, nonce, sizeof(nonce));
	id_subnet(&b, 1);
	id_subnet(&b, 2);
	return msg_finish(&b);
}

/* HDR, N (NO-PROPOSAL-CHOSEN, ISAKMP SPI = cookies), D (the ISAKMP SA) */
static size_t info_nd(uint8_t *buf)
{
	struct msg_builder b;
	struct isakmp_hdr h;
	uint8_t spi[16];
	size_t off;

	hdr(&h, ISAKMP_XCHG_INFO, true, 0x01020304);
	msg_init(&b, buf, SEED_MAX, &h);
	memcpy(spi, h.icookie, ISAKMP_COOKIE_LEN);
	memcpy(spi + ISAKMP_COOKIE_LEN, h.rcookie, ISAKMP_COOKIE_LEN);
	off = msg_payload_begin(&b, ISAKMP_NP_N);
	msg_put_u32(&b, ISAKMP_DOI_IPSEC);
	msg_put_u8(&b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(&b, sizeof(spi));
	msg_put_u16(&b, ISAKMP_N_NO_PROPOSAL_CHOSEN);
	msg_put(&b, spi, sizeof(spi));
	msg_payload_end(&b, off);
	off = msg_payload_begin(&b, ISAKMP_NP_D);
	msg_put_u32(&b, ISAKMP_DOI_IPSEC);
	msg_put_u8(&b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(&b, sizeof(spi));
	msg_put_u16(&b, 1);
	msg_put(&b, spi, sizeof(spi));
	msg_payload_end(&b, off);
	return msg_finish(&b);
}

/* HDR, N (INVALID-ID-INFORMATION with offending data), D (two ESP SPIs) */
static size_t info_esp(uint8_t *buf)
{
	static const uint8_t spis[8] = {0xc0, 0xff, 0xee, 0x01, 0xc0, 0xff, 0xee, 0x02};
	struct msg_builder b;
	struct isakmp_hdr h;
	size_t off;

	hdr(&h, ISAKMP_XCHG_INFO, true, 0x0a0b0c0d);
	msg_init(&b, buf, SEED_MAX, &h);
	off = msg_payload_begin(&b, ISAKMP_NP_N);
	msg_put_u32(&b, ISAKMP_DOI_IPSEC);
	msg_put_u8(&b, 3);
	msg_put_u8(&b, 4);
	msg_put_u16(&b, ISAKMP_N_INVALID_ID_INFORMATION);
	msg_put(&b, spis, 4);
	msg_put_u32(&b, (uint32_t)IKE_ID_IPV4_ADDR << 24);
	msg_put_u32(&b, 0xc0000201);
	msg_payload_end(&b, off);
	off = msg_payload_begin(&b, ISAKMP_NP_D);
	msg_put_u32(&b, ISAKMP_DOI_IPSEC);
	msg_put_u8(&b, 3);
	msg_put_u8(&b, 4);
	msg_put_u16(&b, 2);
	msg_put(&b, spis, sizeof(spis));
	msg_payload_end(&b, off);
	return msg_finish(&b);
}

struct seed {
	const char *name;
	size_t (*build)(uint8_t *buf);
};

static const struct seed seeds[] = {
    {"mm1.bin", mm1},       {"mm3.bin", mm3},          {"am1.bin", am1},
    {"qm1-plain.bin", qm1}, {"info-n-d.bin", info_nd}, {"info-esp.bin", info_esp},
};

/* A seed is only useful if every parser accepts it: the fuzzer mutates from there. */
static bool seed_valid(const uint8_t *buf, size_t len)
{
	struct isakmp_msg m;
	struct isakmp_sa sa;
	struct isakmp_id id;
	struct isakmp_notify n;
	struct isakmp_delete d;
	const struct isakmp_payload *p;
	size_t i;
	int err = CODEC_OK;

	if (len == 0 || isakmp_msg_parse(buf, len, &m) != CODEC_OK)
		return false;
	for (i = 0; i < m.n && err == CODEC_OK; i++) {
		p = &m.p[i];
		if (p->type == ISAKMP_NP_SA)
			err = isakmp_sa_parse(p->body, p->len, &sa);
		else if (p->type == ISAKMP_NP_ID)
			err = isakmp_id_parse(p->body, p->len, &id);
		else if (p->type == ISAKMP_NP_N)
			err = isakmp_notify_parse(p->body, p->len, &n);
		else if (p->type == ISAKMP_NP_D)
			err = isakmp_delete_parse(p->body, p->len, &d);
	}
	return err == CODEC_OK;
}

static int write_file(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;
	int ret = -1;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	if (fwrite(buf, 1, len, f) == len)
		ret = 0;
	if (fclose(f) != 0)
		ret = -1;
	if (ret != 0)
		perror(path);
	return ret;
}

/* Build, self-check with the parsers, write; 0 on success. */
static int write_seed(const char *dir, const struct seed *s)
{
	uint8_t buf[SEED_MAX];
	size_t len;

	len = s->build(buf);
	if (!seed_valid(buf, len)) {
		fprintf(stderr, "make_seeds: %s does not build or parse\n", s->name);
		return -1;
	}
	return write_file(dir, s->name, buf, len);
}

static int codec_seeds(const char *dir)
{
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		if (write_seed(dir, &seeds[i]) != 0)
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- exchange */

#define INPUT_MAX (SCENE_MSG_MAX + SCENE_INPUT_HDR)
#define PRF_LEN   32 /* HMAC-SHA-256: the scene's first proposal */

/* An input from the kept message of scenario id, checked to move T on when fed back. */
static int genuine(struct scene *sc, const char *dir, unsigned id, uint8_t flags,
                   const char *suffix)
{
	static uint8_t in[INPUT_MAX];
	char name[64];
	size_t n;

	if (scene_run(sc, id) != 0 || (n = scene_seed(sc, flags, in, sizeof(in))) == 0)
		return -1;
	if (scene_run(sc, id) != 0)
		return -1;
	scene_feed(sc, in, n);
	if (!scene_progressed(sc)) {
		fprintf(stderr, "make_seeds: %s%s does not get past its handler\n", scene_name(id),
		        suffix);
		return -1;
	}
	snprintf(name, sizeof(name), "%s%s.bin", scene_name(id), suffix);
	return write_file(dir, name, in, n);
}

/* A payload chain built here: HDR-less, with the input's three leading bytes. */
static int built(const char *dir, const char *name, unsigned id, uint8_t flags,
                 void (*fill)(struct msg_builder *b, const uint8_t cookies[16]))
{
	static uint8_t in[INPUT_MAX];
	uint8_t buf[SEED_MAX], cookies[16];
	struct isakmp_hdr h;
	struct msg_builder b;
	struct scene *sc = scene_new();
	size_t n;

	if (sc == NULL || scene_run(sc, id) != 0) {
		scene_free(sc);
		return -1;
	}
	scene_cookies(sc, cookies);
	scene_free(sc);
	memset(&h, 0, sizeof(h));
	h.version = ISAKMP_VERSION;
	msg_init(&b, buf, sizeof(buf), &h);
	fill(&b, cookies);
	n = msg_finish(&b);
	if (n < ISAKMP_HDR_LEN)
		return -1;
	in[0] = (uint8_t)id;
	in[1] = flags;
	in[2] = buf[16]; /* the header's next payload: the chain's first */
	memcpy(in + SCENE_INPUT_HDR, buf + ISAKMP_HDR_LEN, n - ISAKMP_HDR_LEN);
	return write_file(dir, name, in, SCENE_INPUT_HDR + n - ISAKMP_HDR_LEN);
}

static void put_hash(struct msg_builder *b)
{
	static const uint8_t zero[PRF_LEN];

	msg_payload(b, ISAKMP_NP_HASH, zero, sizeof(zero)); /* computed by the harness */
}

static void put_notify(struct msg_builder *b, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
                       uint16_t type)
{
	size_t off = msg_payload_begin(b, ISAKMP_NP_N);

	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u8(b, proto);
	msg_put_u8(b, spi_len);
	msg_put_u16(b, type);
	msg_put(b, spi, spi_len);
	msg_payload_end(b, off);
}

/* HDR, N (NO-PROPOSAL-CHOSEN): how a responder refuses MM1 */
static void fill_refusal(struct msg_builder *b, const uint8_t cookies[16])
{
	put_notify(b, ISAKMP_PROTO_ISAKMP, cookies, 16, ISAKMP_N_NO_PROPOSAL_CHOSEN);
}

/* HDR*, HASH(1), N (PAYLOAD-MALFORMED): "your MM5 is garbage" */
static void fill_malformed(struct msg_builder *b, const uint8_t cookies[16])
{
	(void)cookies;
	put_hash(b);
	put_notify(b, ISAKMP_PROTO_ISAKMP, NULL, 0, ISAKMP_N_PAYLOAD_MALFORMED);
}

/* HDR*, HASH(1), N (INVALID-ID-INFORMATION about an ESP SPI) */
static void fill_invalid_id(struct msg_builder *b, const uint8_t cookies[16])
{
	static const uint8_t spi[4] = {0xc0, 0xff, 0xee, 0x01};

	(void)cookies;
	put_hash(b);
	put_notify(b, IPSEC_PROTO_ESP, spi, sizeof(spi), ISAKMP_N_INVALID_ID_INFORMATION);
}

/* HDR*, HASH(1), D (the ISAKMP SA: its cookies) */
static void fill_delete(struct msg_builder *b, const uint8_t cookies[16])
{
	size_t off;

	put_hash(b);
	off = msg_payload_begin(b, ISAKMP_NP_D);
	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u8(b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(b, 16);
	msg_put_u16(b, 1);
	msg_put(b, cookies, 16);
	msg_payload_end(b, off);
}

static int exchange_seeds(const char *dir)
{
	struct scene *sc = scene_new();
	int ret = 1;

	if (sc == NULL || scene_rand_install() != 0)
		goto done;
	for (unsigned id = 0; id < SCENE_COUNT; id++) {
		if (genuine(sc, dir, id, SCENE_F_FIX_HASH, "") != 0)
			goto done;
		if (id <= SCENE_MM_I2 && genuine(sc, dir, id, SCENE_F_RAW, "-raw") != 0)
			goto done;
		if (id >= SCENE_MM_R2 &&
		    genuine(sc, dir, id, SCENE_F_FIX_HASH | SCENE_F_TWICE, "-twice") != 0)
			goto done;
	}
	if (built(dir, "mm-i1-refused.bin", SCENE_MM_I1, SCENE_F_INFO, fill_refusal) != 0 ||
	    built(dir, "mm-r2-malformed.bin", SCENE_MM_R2, SCENE_F_INFO | SCENE_F_FIX_HASH,
	          fill_malformed) != 0 ||
	    built(dir, "info-invalid-id.bin", SCENE_INFO, SCENE_F_FIX_HASH, fill_invalid_id) != 0 ||
	    built(dir, "info-delete-isakmp.bin", SCENE_INFO, SCENE_F_FIX_HASH, fill_delete) != 0)
		goto done;
	ret = 0;
done:
	scene_free(sc);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 2)
		return codec_seeds(argv[1]);
	if (argc == 3 && strcmp(argv[1], "codec") == 0)
		return codec_seeds(argv[2]);
	if (argc == 3 && strcmp(argv[1], "exchange") == 0)
		return exchange_seeds(argv[2]);
	fprintf(stderr, "usage: make_seeds [codec|exchange] DIR\n");
	return 2;
}
