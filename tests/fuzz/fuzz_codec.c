/*
 * fuzz_codec.c - libFuzzer target for the ISAKMP codec (ike/codec.c).
 *
 * Every parser sees the input: the datagram parser, then the body parsers on each payload
 * of their type, and the chain parser with trailing bytes allowed (as after decryption).
 * Beyond the sanitizers, two oracles: a datagram that parses must come back byte for byte
 * when its payloads are rebuilt with the builder, and every pointer a parser returns must
 * lie inside the input.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_codec.c \
 *       ike/codec.c -o fuzz_codec
 *   ./fuzz_codec tests/fuzz/corpus/codec
 */
#include <stdlib.h>
#include <string.h>

#include "ike/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() when a pointer range is not inside the input: the sanitizers would not see a
 * read that stays inside some other valid object. */
static void inside(const uint8_t *data, size_t size, const uint8_t *p, size_t len)
{
	if (len == 0)
		return;
	if (p < data || p > data + size || len > (size_t)(data + size - p))
		abort();
}

static void fuzz_sa(const uint8_t *data, size_t size, const struct isakmp_payload *pl)
{
	/* 250 KB: on the stack rather than in a global, to keep each run independent */
	struct isakmp_sa sa;
	const struct isakmp_transform *t;
	const struct isakmp_attr *a;
	size_t i, j, k;

	if (isakmp_sa_parse(pl->body, pl->len, &sa) != CODEC_OK)
		return;
	if (sa.n_proposals == 0 || sa.n_proposals > ISAKMP_MAX_PROPOSALS)
		abort();
	for (i = 0; i < sa.n_proposals; i++) {
		if (sa.proposals[i].spi_len > ISAKMP_MAX_SPI)
			abort();
		for (j = 0; j < sa.proposals[i].n_transforms; j++) {
			t = &sa.proposals[i].transforms[j];
			for (k = 0; k < t->n_attrs; k++) {
				a = &t->attrs[k];
				if (!a->tv)
					inside(data, size, a->data, a->len);
				if (isakmp_transform_attr(t, a->type) == NULL)
					abort();
			}
		}
	}
}

static void fuzz_bodies(const uint8_t *data, size_t size, const struct isakmp_msg *m)
{
	struct isakmp_id id;
	struct isakmp_notify n;
	struct isakmp_delete d;
	const struct isakmp_payload *p;
	size_t i;

	for (i = 0; i < m->n; i++) {
		p = &m->p[i];
		inside(data, size, p->body, p->len);
		switch (p->type) {
		case ISAKMP_NP_SA:
			fuzz_sa(data, size, p);
			break;
		case ISAKMP_NP_ID:
			if (isakmp_id_parse(p->body, p->len, &id) == CODEC_OK)
				inside(data, size, id.data, id.len);
			break;
		case ISAKMP_NP_N:
			if (isakmp_notify_parse(p->body, p->len, &n) == CODEC_OK) {
				inside(data, size, n.spi, n.spi_len);
				inside(data, size, n.data, n.data_len);
			}
			break;
		case ISAKMP_NP_D:
			if (isakmp_delete_parse(p->body, p->len, &d) == CODEC_OK)
				inside(data, size, d.spis, (size_t)d.n_spis * d.spi_len);
			break;
		default:
			break;
		}
	}
}

/* A parsed datagram rebuilt from its payloads must equal the input. */
static void fuzz_rebuild(const uint8_t *data, size_t size, const struct isakmp_msg *m)
{
	uint8_t *out = malloc(size);
	struct msg_builder b;
	size_t i;

	if (out == NULL)
		return;
	msg_init(&b, out, size, &m->hdr);
	for (i = 0; i < m->n; i++)
		msg_payload(&b, m->p[i].type, m->p[i].body, m->p[i].len);
	if (msg_finish(&b) != size || memcmp(out, data, size) != 0)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isakmp_msg m;
	size_t from = 0;

	if (isakmp_msg_parse(data, size, &m) == CODEC_OK) {
		if (m.n > ISAKMP_MAX_PAYLOADS || isakmp_msg_count(&m, ISAKMP_NP_VID) > m.n)
			abort();
		while (isakmp_msg_find(&m, ISAKMP_NP_VID, &from) != NULL)
			continue;
		fuzz_bodies(data, size, &m);
		fuzz_rebuild(data, size, &m);
	}
	/* As after decryption: the chain, padding allowed, whatever the header says. */
	if (size >= ISAKMP_HDR_LEN &&
	    isakmp_payloads_parse(data[16], data + ISAKMP_HDR_LEN, size - ISAKMP_HDR_LEN, true,
	                          &m) == CODEC_OK)
		fuzz_bodies(data, size, &m);
	return 0;
}
