/*
 * scene.c - two IKE engines on a queue (tests/unit/engine_pair.h), run to the message a
 * scenario's state waits for (see scene.h).
 *
 * T (side 0, 127.0.0.1) and P (side 1, 127.0.0.2) are configured for each other: Main
 * Mode with a pre-shared key, ECP-256 first among three proposals, one phase-2 SA with
 * PFS (Aggressive Mode in the am-* scenarios).  One of them initiates; the queue delivers datagrams
 * in order until the nth message for T (the scenario's) comes up, which is kept instead.  For the
 * informational scenario P deletes its SA once the queue runs dry, and T's sixth message is P's
 * DELETE.
 *
 * To reach the handlers behind the encryption and the HASH checks, the harness reads
 * T's keys, IVs, nonces and cookies from the engine's private state (ike/exchange.h):
 * that is what a peer holding the same keys would compute, and nothing is changed in T.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: the only way to fix DH keys */

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ike/exchange.h"
#include "ike/ike.h"
#include "tests/fuzz/scene.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/ike_fixture.h"

#define PUMP_MAX   64 /* datagrams delivered before a scenario is given up */
#define SCENE_SEED 0x1ce5eedULL
#define INFO_MSGID 0x1d1d1d1du /* of an informational sent with SCENE_F_INFO */
#define SCENE_PSK  "fuzz-pre-shared-key"
#define SCENE_IKE  "aes128-sha256-ecp256,aes256-sha1-modp2048,3des-md5-modp1024"
#define SCENE_ESP  "aes128-sha256-ecp256,aes256-sha1"

enum { T = 0, P = 1 }; /* the sides of the engine pair */

struct scene {
	struct engine_pair pair;
	unsigned id;
	bool p_deleted;
	bool feeding;   /* T's datagrams are answers to the fed input, not queued */
	size_t answers; /* how many */
	struct isakmp_hdr kept_hdr;
	uint8_t kept[SCENE_MSG_MAX];
	size_t kept_len;
	uint8_t dgram[SCENE_MSG_MAX + ISAKMP_HDR_LEN + IKE_MAX_BLOCK_LEN];
};

struct scenario {
	const char *name;
	bool t_initiates;
	unsigned nth;    /* which message for T is the one kept */
	bool aggressive; /* Aggressive Mode: the initiator's exchange, the responder allows it */
};

static const struct scenario scenarios[SCENE_COUNT] = {
    [SCENE_MM_R0] = {"mm-r0", false, 1, false}, [SCENE_MM_I1] = {"mm-i1", true, 1, false},
    [SCENE_MM_R1] = {"mm-r1", false, 2, false}, [SCENE_MM_I2] = {"mm-i2", true, 2, false},
    [SCENE_MM_R2] = {"mm-r2", false, 3, false}, [SCENE_MM_I3] = {"mm-i3", true, 3, false},
    [SCENE_QM_R0] = {"qm-r0", false, 4, false}, [SCENE_QM_I1] = {"qm-i1", true, 4, false},
    [SCENE_QM_R1] = {"qm-r1", false, 5, false}, [SCENE_INFO] = {"info", false, 6, false},
    [SCENE_AM_R0] = {"am-r0", false, 1, true},  [SCENE_AM_I1] = {"am-i1", true, 1, true},
    [SCENE_AM_R1] = {"am-r1", false, 2, true},
};

const char *scene_name(unsigned id)
{
	return id < SCENE_COUNT ? scenarios[id].name : "?";
}

/* ---------------------------------------------------------------- random */

/* splitmix64: every byte OpenSSL asks for, DH private keys included, comes from here. */
static uint64_t rng_state = SCENE_SEED;

static int rng_bytes(unsigned char *buf, int num)
{
	for (int i = 0; i < num; i++) {
		uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 1;
}

static int rng_seed(const void *buf, int num)
{
	(void)buf;
	(void)num;
	return 1;
}

static int rng_add(const void *buf, int num, double entropy)
{
	(void)buf;
	(void)num;
	(void)entropy;
	return 1;
}

static int rng_status(void)
{
	return 1;
}

static RAND_METHOD rng_method = {rng_seed, rng_bytes, NULL, rng_add, rng_bytes, rng_status};

int scene_rand_install(void)
{
	return RAND_set_rand_method(&rng_method) == 1 ? 0 : -1;
}

/* ---------------------------------------------------------------- the network */

/*
 * Whatever an engine sends must at least be a well-formed ISAKMP datagram; what T sends
 * in answer to a fed input is counted, not queued.
 */
static bool tap(void *ctx, int from, const uint8_t *buf, size_t len)
{
	struct scene *s = ctx;

	if (fx_check_datagram(buf, len) != 0)
		abort();
	if (from == T && s->feeding) {
		s->answers++;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- engines */

/* T and P configured for each other; T calls P "p", P calls T "t". */
static int pair_init(struct scene *s)
{
	const struct ep_config c = {
	    .psk = SCENE_PSK,
	    .ike = SCENE_IKE,
	    .esp = SCENE_ESP,
	    .name = {"p", "t"},
	    .tap = tap,
	    .tap_ctx = s,
	};

	return engine_pair_init(&s->pair, &c);
}

static struct ike_engine *engine(struct scene *s, int side)
{
	return s->pair.side[side].e;
}

static void scene_reset(struct scene *s)
{
	engine_pair_free(&s->pair);
	s->p_deleted = false;
	s->feeding = false;
	s->answers = 0;
	s->kept_len = 0;
}

struct scene *scene_new(void)
{
	return calloc(1, sizeof(struct scene));
}

void scene_free(struct scene *s)
{
	if (s == NULL)
		return;
	scene_reset(s);
	free(s);
}

/* The engine's first live SA (each side has at most one here). */
static struct ike_sa *live_sa(struct ike_engine *e)
{
	for (struct ike_sa *sa = ike_sa_first_mut(ike_engine_sas(e)); sa != NULL; sa = sa->next)
		if (sa->state != IKE_ST_DELETED)
			return sa;
	return NULL;
}

/* Deliver queued datagrams until T's nth comes up; keep that one. */
static int pump(struct scene *s, unsigned nth)
{
	unsigned to_t = 0;
	struct ike_sa *psa;
	struct ep_dgram d;

	for (int steps = 0; steps < PUMP_MAX; steps++) {
		if (!engine_pair_pop(&s->pair, &d)) {
			/* the informational scenario: P ends its SA when all is said */
			psa = live_sa(engine(s, P));
			if (s->id != SCENE_INFO || s->p_deleted || psa == NULL)
				return -1;
			s->p_deleted = true;
			ike_engine_delete(engine(s, P), psa->conn_id, IKE_CAUSE_CLEARED);
			continue;
		}
		if (d.to == T && ++to_t == nth) {
			int r = -1;

			if (d.len <= sizeof(s->kept) &&
			    isakmp_hdr_parse(d.buf, d.len, &s->kept_hdr) == CODEC_OK) {
				memcpy(s->kept, d.buf, d.len);
				s->kept_len = d.len;
				r = 0;
			}
			free(d.buf);
			return r;
		}
		engine_pair_input(&s->pair, d.to, d.buf, d.len);
		free(d.buf);
	}
	return -1;
}

int scene_run(struct scene *s, unsigned id)
{
	const struct scenario *sc;

	scene_reset(s);
	rng_state = SCENE_SEED;
	s->id = id % SCENE_COUNT;
	sc = &scenarios[s->id];
	if (pair_init(s) != 0)
		return -1;
	if (sc->aggressive) {
		struct ep_side *ini = &s->pair.side[sc->t_initiates ? T : P];
		struct ep_side *resp = &s->pair.side[sc->t_initiates ? P : T];

		ini->cfg.exchange = ISAKMP_XCHG_AGGR;
		resp->cfg.aggressive = true;
		if (ike_engine_set_peers(ini->e, &ini->cfg, 1) != 0 ||
		    ike_engine_set_peers(resp->e, &resp->cfg, 1) != 0)
			return -1;
	}
	if (ike_engine_initiate(engine(s, sc->t_initiates ? T : P), sc->t_initiates ? "p" : "t") <
	    0)
		return -1;
	return pump(s, sc->nth);
}

/* ---------------------------------------------------------------- T's keys */

/* T's SA for a header, when it has phase-1 keys. */
static struct ike_sa *keyed_sa(struct scene *s, const struct isakmp_hdr *h)
{
	struct ike_sa *sa =
	    ike_sa_find_cookies(ike_engine_sas(engine(s, T)), h->icookie, h->rcookie);

	if (sa == NULL || sa->x == NULL || !sa->x->have_keys)
		return NULL;
	return sa;
}

/* The IV T decrypts a message with this header with: the phase-1 chain, the Quick
 * Mode's own chain, or a new one from the message ID. */
static int pick_iv(struct ike_sa *sa, const struct isakmp_hdr *h, uint8_t *iv)
{
	const struct ike_p1_keys *k = &sa->x->keys;
	struct ike_child *c;

	if (h->exchange == ISAKMP_XCHG_IDPROT || h->exchange == ISAKMP_XCHG_AGGR) {
		memcpy(iv, k->iv, k->block_len);
		return 0;
	}
	if (h->exchange == ISAKMP_XCHG_QUICK) {
		c = ike_child_by_msgid(sa, h->msgid);
		if (c != NULL && c->x != NULL) {
			memcpy(iv, c->x->iv, k->block_len);
			return 0;
		}
	}
	return ike_msgid_iv(k, k->iv, h->msgid, iv);
}

static void msgid_be(uint32_t msgid, uint8_t out[4])
{
	out[0] = (uint8_t)(msgid >> 24);
	out[1] = (uint8_t)(msgid >> 16);
	out[2] = (uint8_t)(msgid >> 8);
	out[3] = (uint8_t)msgid;
}

/* MM5/MM6: the peer's HASH_I or HASH_R over the ID payload the input carries. */
static void fix_hash_main(struct ike_sa *sa, const struct isakmp_msg *m)
{
	const struct isakmp_payload *id = isakmp_msg_find(m, ISAKMP_NP_ID, NULL);
	const struct isakmp_payload *hp = isakmp_msg_find(m, ISAKMP_NP_HASH, NULL);
	struct ike_exchange *x = sa->x;
	bool init = sa->role == IKE_ROLE_INITIATOR;

	/* established: the public values are gone (engine_exchange_negotiated) */
	if (id == NULL || hp == NULL || hp->len != x->keys.prf_len || x->gxi == NULL)
		return;
	ike_p1_hash(&x->keys, init ? x->gxr : x->gxi, x->g_len, init ? x->gxi : x->gxr, x->g_len,
	            init ? sa->rcookie : sa->icookie, init ? sa->icookie : sa->rcookie, x->sai_b,
	            x->sai_len, id->body, id->len, (uint8_t *)hp->body);
}

/* AM3: HASH_I over the IDii T kept from AM1 (T is the responder). */
static void fix_hash_aggr(struct ike_sa *sa, const struct isakmp_msg *m)
{
	const struct isakmp_payload *hp = isakmp_msg_find(m, ISAKMP_NP_HASH, NULL);
	struct ike_exchange *x = sa->x;

	if (sa->role != IKE_ROLE_RESPONDER || x->idi_b == NULL || x->gxi == NULL || hp == NULL ||
	    hp->len != x->keys.prf_len)
		return;
	ike_p1_hash(&x->keys, x->gxi, x->g_len, x->gxr, x->g_len, sa->icookie, sa->rcookie,
	            x->sai_b, x->sai_len, x->idi_b, x->idi_len, (uint8_t *)hp->body);
}

/*
 * Quick Mode and informational: HASH(1) = prf(SKEYID_a, M-ID | rest), HASH(2) with
 * Ni_b after the M-ID, HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b); rest is what
 * follows the HASH payload up to the end of the last payload.
 */
static void fix_hash_msgid(struct ike_sa *sa, const struct isakmp_hdr *h,
                           const struct isakmp_msg *m)
{
	const struct ike_p1_keys *k = &sa->x->keys;
	const struct isakmp_payload *hp = &m->p[0], *last;
	static const uint8_t zero = 0;
	struct ike_child *c = NULL;
	struct ike_chunk in[4];
	uint8_t mid[4];
	size_t n = 0;

	if (m->n < 1 || hp->type != ISAKMP_NP_HASH || hp->len != k->prf_len)
		return;
	last = &m->p[m->n - 1];
	msgid_be(h->msgid, mid);
	if (h->exchange == ISAKMP_XCHG_QUICK)
		c = ike_child_by_msgid(sa, h->msgid);
	if (c != NULL && c->x != NULL && c->state == IKE_CHILD_QM_R1) {
		in[n++] = (struct ike_chunk){&zero, 1};
		in[n++] = (struct ike_chunk){mid, 4};
		in[n++] = (struct ike_chunk){c->x->ni, c->x->ni_len};
		in[n++] = (struct ike_chunk){c->x->nr, c->x->nr_len};
	} else {
		in[n++] = (struct ike_chunk){mid, 4};
		if (c != NULL && c->x != NULL && c->state == IKE_CHILD_QM_I1)
			in[n++] = (struct ike_chunk){c->x->ni, c->x->ni_len};
		in[n++] = (struct ike_chunk){
		    hp->body + hp->len, (size_t)((last->body + last->len) - (hp->body + hp->len))};
	}
	ike_prf(k->hash, k->skeyid_a, k->prf_len, in, n, (uint8_t *)hp->body);
}

static void fix_hash(struct ike_sa *sa, const struct isakmp_hdr *h, uint8_t *plain, size_t len)
{
	struct isakmp_msg *m = malloc(sizeof(*m));

	if (m == NULL)
		return;
	if (isakmp_payloads_parse(h->np, plain, len, true, m) == CODEC_OK) {
		if (h->exchange == ISAKMP_XCHG_IDPROT)
			fix_hash_main(sa, m);
		else if (h->exchange == ISAKMP_XCHG_AGGR)
			fix_hash_aggr(sa, m);
		else
			fix_hash_msgid(sa, h, m);
	}
	free(m);
}

/* ---------------------------------------------------------------- inputs */

size_t scene_seed(struct scene *s, uint8_t flags, uint8_t *out, size_t cap)
{
	const struct isakmp_hdr *h = &s->kept_hdr;
	size_t n = s->kept_len - ISAKMP_HDR_LEN;
	uint8_t iv[IKE_MAX_BLOCK_LEN];
	struct ike_sa *sa;

	if (s->kept_len < ISAKMP_HDR_LEN || cap < SCENE_INPUT_HDR + n)
		return 0;
	out[0] = (uint8_t)s->id;
	out[1] = flags;
	if (flags & SCENE_F_RAW) {
		memcpy(out + 2, s->kept, s->kept_len);
		return 2 + s->kept_len;
	}
	out[2] = h->np;
	memcpy(out + SCENE_INPUT_HDR, s->kept + ISAKMP_HDR_LEN, n);
	if (!(h->flags & ISAKMP_FLAG_ENC))
		return SCENE_INPUT_HDR + n;
	sa = keyed_sa(s, h);
	if (sa == NULL || pick_iv(sa, h, iv) != 0 ||
	    ike_decrypt(&sa->x->keys, iv, out + SCENE_INPUT_HDR, n, iv) != 0)
		return 0;
	return SCENE_INPUT_HDR + n;
}

/* Build the datagram of a (non-raw) input in s->dgram; returns its length, 0 if none. */
static size_t build(struct scene *s, uint8_t flags, uint8_t np, const uint8_t *body, size_t len)
{
	struct isakmp_hdr h = s->kept_hdr;
	uint8_t *plain = s->dgram + ISAKMP_HDR_LEN, iv[IKE_MAX_BLOCK_LEN];
	struct ike_sa *sa;
	size_t out_len = len;

	if (len > SCENE_MSG_MAX)
		return 0;
	h.np = np;
	if ((flags & SCENE_F_INFO) && h.exchange != ISAKMP_XCHG_INFO) {
		h.exchange = ISAKMP_XCHG_INFO;
		h.msgid = INFO_MSGID;
		h.flags = keyed_sa(s, &h) != NULL ? ISAKMP_FLAG_ENC : 0;
	}
	/* An informational in the kept one's place gets a message ID of its own: T drops an
	 * authenticated informational whose ID it has seen (a replay, dispatch.c), so with
	 * the kept message's ID an accepted input would make the genuine message, delivered
	 * next by the oracle, a replay. */
	if (h.exchange == ISAKMP_XCHG_INFO && h.msgid == s->kept_hdr.msgid)
		h.msgid = h.msgid != INFO_MSGID ? INFO_MSGID : INFO_MSGID + 1;
	memcpy(plain, body, len);
	sa = (h.flags & ISAKMP_FLAG_ENC) ? keyed_sa(s, &h) : NULL;
	if (sa != NULL) {
		if (flags & SCENE_F_FIX_HASH)
			fix_hash(sa, &h, plain, len);
		if (pick_iv(sa, &h, iv) != 0 ||
		    ike_encrypt(&sa->x->keys, iv, plain, len, &out_len, iv) != 0)
			return 0;
	}
	isakmp_hdr_write(s->dgram, &h);
	isakmp_hdr_set_length(s->dgram, ISAKMP_HDR_LEN + out_len);
	return ISAKMP_HDR_LEN + out_len;
}

void scene_feed(struct scene *s, const uint8_t *in, size_t len)
{
	size_t n;

	if (len < SCENE_INPUT_HDR || engine(s, T) == NULL || s->kept_len == 0)
		return;
	if (in[1] & SCENE_F_RAW) {
		n = len - 2;
		if (n > sizeof(s->dgram))
			return;
		memcpy(s->dgram, in + 2, n);
		if (n >= 2 * ISAKMP_COOKIE_LEN) {
			memcpy(s->dgram, s->kept_hdr.icookie, ISAKMP_COOKIE_LEN);
			memcpy(s->dgram + ISAKMP_COOKIE_LEN, s->kept_hdr.rcookie,
			       ISAKMP_COOKIE_LEN);
		}
	} else {
		n = build(s, in[1], in[2], in + SCENE_INPUT_HDR, len - SCENE_INPUT_HDR);
		if (n == 0)
			return;
	}
	s->feeding = true;
	s->answers = 0;
	engine_pair_input(&s->pair, T, s->dgram, n);
	if (in[1] & SCENE_F_TWICE)
		engine_pair_input(&s->pair, T, s->dgram, n);
}

void scene_cookies(const struct scene *s, uint8_t out[16])
{
	memcpy(out, s->kept_hdr.icookie, ISAKMP_COOKIE_LEN);
	memcpy(out + ISAKMP_COOKIE_LEN, s->kept_hdr.rcookie, ISAKMP_COOKIE_LEN);
}

void scene_deliver_kept(struct scene *s)
{
	if (engine(s, T) == NULL || s->kept_len == 0)
		return;
	s->feeding = true;
	engine_pair_input(&s->pair, T, s->kept, s->kept_len);
}

/* FNV-1a over the conn-ids and states of T's SAs and children. */
static uint64_t fold(uint64_t h, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		h = (h ^ (uint8_t)(v >> (8 * i))) * 0x100000001b3ULL;
	return h;
}

uint64_t scene_mark(struct scene *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (engine(s, T) == NULL)
		return h;
	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(engine(s, T))); sa != NULL;
	     sa = sa->next) {
		h = fold(fold(h, sa->conn_id), (uint32_t)sa->state);
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
			h = fold(fold(h, c->index), (uint32_t)c->state);
	}
	return h;
}

size_t scene_answers(const struct scene *s)
{
	return s->answers;
}

static bool has_child(const struct ike_sa *sa, enum ike_child_state st)
{
	for (const struct ike_child *c = sa != NULL ? sa->children : NULL; c != NULL; c = c->next)
		if (c->state == st)
			return true;
	return false;
}

bool scene_progressed(struct scene *s)
{
	struct ike_sa *sa = engine(s, T) != NULL ? live_sa(engine(s, T)) : NULL;
	enum ike_state want[] = {
	    [SCENE_MM_R0] = IKE_ST_MAIN_R1,     [SCENE_MM_I1] = IKE_ST_MAIN_I2,
	    [SCENE_MM_R1] = IKE_ST_MAIN_R2,     [SCENE_MM_I2] = IKE_ST_MAIN_I3,
	    [SCENE_MM_R2] = IKE_ST_ESTABLISHED, [SCENE_MM_I3] = IKE_ST_ESTABLISHED,
	};

	if (sa == NULL)
		return false;
	switch (s->id) {
	case SCENE_QM_R0:
		return has_child(sa, IKE_CHILD_QM_R1);
	case SCENE_QM_I1:
	case SCENE_QM_R1:
		return has_child(sa, IKE_CHILD_INSTALLED);
	case SCENE_INFO:
		return has_child(sa, IKE_CHILD_DELETED);
	case SCENE_AM_R0:
		return sa->state == IKE_ST_AGGR_R1 && s->answers > 0;
	case SCENE_AM_I1: /* AM3 answers AM2; the SA is established with it */
		return sa->state == IKE_ST_ESTABLISHED && s->answers > 0;
	case SCENE_AM_R1: /* nothing answers AM3 */
		return sa->state == IKE_ST_ESTABLISHED;
	default:
		return s->id < SCENE_QM_R0 && sa->state == want[s->id] && s->answers > 0;
	}
}
