/*
 * test_flood.c - half-open responder SAs (ike/half_open.c) and replayed messages.
 *
 * Half-open: an engine alone with a peer for %any takes hand-made MM1s (HDR, SA with
 * one transform) from many addresses: max_half_open drops the oldest, counted;
 * max_half_open_per_source refuses the newest from one address, counted; a half-open SA
 * holds no key-exchange state (no Diffie-Hellman before MM3); half_open_timeout removes
 * them, counted, without lingering; a peer retransmitting its MM1 gets the stored MM2.
 * Two real engines (engine_pair.h): a flood of MM1s at the responder never evicts its
 * established SA, nor an SA the other side initiates.
 *
 * Replay: every message of a Main Mode, a Quick Mode and a DPD exchange is captured,
 * then replayed to the established SA: copies are counted (answered from the stored
 * reply where RFC 2408 retransmission wants it, at most RETX_MAX_DUP_ANSWERS times),
 * replayed informational messages are dropped as replays, an old DELETE of a gone SA is
 * dropped, and nothing about the SA or its phase-2 SA changes.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/engine.h"
#include "ike/exchange.h"
#include "ike/ike.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/ike_fixture.h"
#include "tests/unit/testlib.h"

#define PUMP_MAX 200
#define PSK      "flood-test-key"
#define IKE      "aes128-sha256-modp2048"
#define ESP      "aes128-sha256"
#define MM1_LEN  84

/* ---------------------------------------------------------------- a lone responder */

struct lone {
	struct ike_engine *e;
	unsigned sent;         /* datagrams it sent */
	unsigned mm2;          /* of them, Main Mode */
	unsigned requests;     /* "Main Mode request" lines logged */
	char suppressed[160];  /* the last "... suppressed ..." line */
	unsigned n_suppressed; /* such lines */
};

static void lone_log(void *ctx, enum ike_log_level level, const char *msg)
{
	struct lone *l = ctx;

	(void)level;
	if (strstr(msg, " suppressed in the last ") == NULL) {
		l->requests += strstr(msg, ": Main Mode request") != NULL;
	} else {
		snprintf(l->suppressed, sizeof(l->suppressed), "%s", msg);
		l->n_suppressed++;
	}
}

static int lone_send(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                     const uint8_t *buf, size_t len)
{
	struct lone *l = ctx;

	(void)local;
	(void)remote;
	l->sent++;
	if (len >= ISAKMP_HDR_LEN && buf[18] == ISAKMP_XCHG_IDPROT)
		l->mm2++;
	return 0;
}

static void lone_init(struct lone *l, uint32_t max, uint32_t per_source, uint32_t timeout_s)
{
	static const struct ike_engine_ops ops = {.send = lone_send, .log = lone_log};
	struct ike_settings s;
	struct ike_peer_cfg p;

	memset(l, 0, sizeof(*l));
	ike_settings_default(&s);
	s.max_half_open = max;
	s.max_half_open_per_source = per_source;
	s.half_open_timeout_s = timeout_s;
	l->e = ike_engine_new(&ops, l, &s);
	ck_assert_ptr_nonnull(l->e);
	ck_assert_int_eq(fx_peer_cfg(&p, "rw", NULL, PSK), 0);
	ck_assert_int_eq(fx_peer_proposals(&p, IKE, NULL, NULL, NULL), 0);
	ck_assert_int_eq(ike_engine_set_peers(l->e, &p, 1), 0);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* MM1: HDR, SA (one proposal, one transform: aes128-sha256-modp2048, psk). */
static void mm1(uint8_t m[MM1_LEN], uint64_t cookie)
{
	static const uint16_t attrs[][2] = {
	    {IKE_ATTR_ENCRYPTION_ALGORITHM, IKE_ENCR_AES_CBC},
	    {IKE_ATTR_HASH_ALGORITHM, IKE_HASH_SHA2_256},
	    {IKE_ATTR_AUTHENTICATION_METHOD, IKE_AUTH_PSK},
	    {IKE_ATTR_GROUP_DESCRIPTION, IKE_GROUP_MODP2048},
	    {IKE_ATTR_LIFE_TYPE, 1},
	    {IKE_ATTR_LIFE_DURATION, 28800},
	    {IKE_ATTR_KEY_LENGTH, 128},
	};
	uint8_t *p = m + ISAKMP_HDR_LEN;

	memset(m, 0, MM1_LEN);
	memcpy(m, &cookie, 8);
	m[16] = ISAKMP_NP_SA;
	m[17] = ISAKMP_VERSION;
	m[18] = ISAKMP_XCHG_IDPROT;
	m[27] = MM1_LEN;
	put16(p + 2, MM1_LEN - ISAKMP_HDR_LEN);
	p[7] = ISAKMP_DOI_IPSEC;
	p[11] = IPSEC_SIT_IDENTITY_ONLY;
	p += 12;
	put16(p + 2, 44);
	p[4] = 1;
	p[5] = ISAKMP_PROTO_ISAKMP;
	p[7] = 1;
	p += 8;
	put16(p + 2, 36);
	p[4] = 1;
	p[5] = ISAKMP_TRANSFORM_KEY_IKE;
	p += 8;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++, p += 4) {
		put16(p, (uint16_t)(0x8000 | attrs[i][0]));
		put16(p + 2, attrs[i][1]);
	}
}

/* An MM1 with cookie from ip:500 to 127.0.0.9:500. */
static void send_mm1(struct ike_engine *e, const char *ip, uint64_t cookie)
{
	struct sockaddr_storage local, remote;
	uint8_t m[MM1_LEN];

	ck_assert_int_eq(fx_set_addr(&local, "127.0.0.9", IKE_PORT), 0);
	ck_assert_int_eq(fx_set_addr(&remote, ip, IKE_PORT), 0);
	mm1(m, cookie);
	ike_engine_input(e, (struct sockaddr *)&local, (struct sockaddr *)&remote, m, sizeof(m));
}

static const struct ike_global_counters *lone_g(struct lone *l)
{
	return ike_sa_table_counters(ike_engine_sas(l->e));
}

/* ---------------------------------------------------------------- half-open */

START_TEST(test_cap_drops_oldest)
{
	struct lone l;
	char ip[32];
	uint32_t first = 0, n = 0;

	lone_init(&l, 10, 32, 30);
	for (int i = 1; i <= 25; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		send_mm1(l.e, ip, 0x1000u + (uint64_t)i);
	}
	ck_assert_uint_eq(l.mm2, 25); /* every one answered */
	ck_assert_uint_eq(ike_sa_count(ike_engine_sas(l.e)), 10);
	ck_assert_uint_eq(lone_g(&l)->half_open, 10);
	ck_assert_uint_eq(lone_g(&l)->half_open_dropped_limit, 15);
	ck_assert_uint_eq(lone_g(&l)->half_open_dropped_per_source, 0);
	/* the newest ten are left, waiting for MM3 */
	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(l.e)); sa != NULL;
	     sa = sa->next, n++) {
		if (first == 0)
			first = sa->conn_id;
		ck_assert_uint_eq(sa->conn_id, first + n);
		ck_assert_int_eq(sa->state, IKE_ST_MAIN_R1);
	}
	ck_assert_uint_eq(first, IKE_CONN_ID_FIRST + 15);
	ike_engine_free(l.e);
}
END_TEST

START_TEST(test_per_source_refuses_new)
{
	struct lone l;

	lone_init(&l, 100, 3, 30);
	for (int i = 0; i < 5; i++)
		send_mm1(l.e, "10.0.0.1", 0x2000u + (uint64_t)i);
	send_mm1(l.e, "10.0.0.2", 0x3000u);
	ck_assert_uint_eq(ike_sa_count(ike_engine_sas(l.e)), 4);
	ck_assert_uint_eq(lone_g(&l)->half_open_dropped_per_source, 2);
	ck_assert_uint_eq(l.mm2, 4); /* nothing answers the refused ones */
	/* a retransmitted MM1 of an admitted SA is answered from the stored MM2 */
	send_mm1(l.e, "10.0.0.1", 0x2000u);
	ck_assert_uint_eq(ike_sa_count(ike_engine_sas(l.e)), 4);
	ck_assert_uint_eq(l.mm2, 5);
	ck_assert_uint_eq(ike_sa_first(ike_engine_sas(l.e))->ctr.dup_in, 1);
	ck_assert_uint_eq(lone_g(&l)->half_open_dropped_per_source, 2);
	ike_engine_free(l.e);
}
END_TEST

/* A source's count follows the SA, not its address: one that floats (NAT-T) and then
 * goes still frees its own address's share. */
START_TEST(test_per_source_follows_sa)
{
	struct lone l;
	struct ike_sa *sa;

	lone_init(&l, 100, 1, 2);
	send_mm1(l.e, "10.0.3.1", 0x9000u);
	send_mm1(l.e, "10.0.3.1", 0x9001u);
	ck_assert_uint_eq(lone_g(&l)->half_open_dropped_per_source, 1);
	sa = ike_sa_first_mut(ike_engine_sas(l.e));
	ck_assert_int_eq(fx_set_addr(&sa->remote, "10.0.3.2", 4500), 0);
	ike_engine_clock_advance_ms(2500);
	ike_engine_run_timers(l.e);
	ck_assert_uint_eq(lone_g(&l)->half_open, 0);
	send_mm1(l.e, "10.0.3.1", 0x9002u);
	send_mm1(l.e, "10.0.3.2", 0x9003u);
	ck_assert_uint_eq(lone_g(&l)->half_open, 2);
	ck_assert_uint_eq(lone_g(&l)->half_open_dropped_per_source, 1);
	ike_engine_free(l.e);
}
END_TEST

START_TEST(test_half_open_is_compact)
{
	struct lone l;
	struct ike_sa *sa;

	lone_init(&l, 100, 32, 30);
	send_mm1(l.e, "10.0.0.1", 0x4000u);
	sa = ike_sa_first_mut(ike_engine_sas(l.e));
	ck_assert_ptr_nonnull(sa);
	ck_assert_int_eq(sa->state, IKE_ST_MAIN_R1);
	ck_assert(sa->on_half_open);
	/* the exchange's head only: no DH key, no room for key exchange data or keys */
	ck_assert_ptr_nonnull(sa->x);
	ck_assert(!sa->x->full);
	ck_assert_ptr_null(sa->x->dh);
	ck_assert(!sa->x->have_keys);
	/* a tenth of what MM3 brings: the rest of the struct and the block of public values
	 * and nonces (engine_neg_new) */
	ck_assert_uint_lt(IKE_EXCHANGE_HEAD_LEN,
	                  (sizeof(struct ike_exchange) + ENGINE_NEG_LEN) / 10);
	/* HASH_R's input is kept: the initiator's SA payload body */
	ck_assert_uint_eq(sa->x->sai_len, MM1_LEN - ISAKMP_HDR_LEN - 4);
	ike_engine_free(l.e);
}
END_TEST

START_TEST(test_timeout_removes)
{
	struct lone l;
	char ip[32];

	lone_init(&l, 100, 32, 2);
	for (int i = 1; i <= 4; i++) {
		snprintf(ip, sizeof(ip), "10.0.1.%d", i);
		send_mm1(l.e, ip, 0x5000u + (uint64_t)i);
	}
	ck_assert_uint_eq(lone_g(&l)->half_open, 4);
	ike_engine_clock_advance_ms(1500);
	ike_engine_run_timers(l.e);
	ck_assert_uint_eq(lone_g(&l)->half_open, 4);
	ike_engine_clock_advance_ms(1000);
	ike_engine_run_timers(l.e);
	ck_assert_uint_eq(lone_g(&l)->half_open, 0);
	ck_assert_uint_eq(lone_g(&l)->half_open_dropped_timeout, 4);
	ck_assert_uint_eq(lone_g(&l)->sas_failed, 4);
	ck_assert_uint_eq(lone_g(&l)->causes[IKE_CAUSE_PEER_SILENT], 4);
	/* removed, not lingering */
	ck_assert_uint_eq(ike_sa_count(ike_engine_sas(l.e)), 0);
	ike_engine_free(l.e);
}
END_TEST

/* A flood of MM1s logs ENGINE_LOG_BURST "Main Mode request" lines a second, then one
 * line counting the rest when the second is over; the next second logs again. */
START_TEST(test_request_log_limited)
{
	enum { N = 60 };
	struct lone l;
	char ip[32], want[96];

	lone_init(&l, 1000, 32, 30);
	for (int i = 1; i <= N; i++) {
		snprintf(ip, sizeof(ip), "10.0.5.%d", i);
		send_mm1(l.e, ip, 0xa000u + (uint64_t)i);
	}
	ck_assert_uint_eq(l.mm2, N); /* every one answered: only the log is limited */
	ck_assert_uint_eq(l.requests, ENGINE_LOG_BURST);
	ck_assert_uint_eq(l.n_suppressed, 0);
	/* the count is due when the window ends: the loop wakes for it */
	ck_assert_int_le(ike_engine_next_timeout_ms(l.e), ENGINE_LOG_WINDOW_MS);
	ike_engine_clock_advance_ms(ENGINE_LOG_WINDOW_MS + 100);
	ike_engine_run_timers(l.e);
	ck_assert_uint_eq(l.n_suppressed, 1);
	snprintf(want, sizeof(want), "%d further Main Mode requests suppressed in the last ",
	         N - ENGINE_LOG_BURST);
	ck_assert_msg(strncmp(l.suppressed, want, strlen(want)) == 0, "got '%s'", l.suppressed);
	/* nothing more to count: no second line; a new request is logged again */
	ike_engine_clock_advance_ms(ENGINE_LOG_WINDOW_MS + 100);
	ike_engine_run_timers(l.e);
	send_mm1(l.e, "10.0.6.1", 0xb000u);
	ck_assert_uint_eq(l.requests, ENGINE_LOG_BURST + 1);
	ck_assert_uint_eq(l.n_suppressed, 1);
	printf("%d MM1s in a second: %d 'Main Mode request' lines, then '%s'\n", N,
	       ENGINE_LOG_BURST, l.suppressed);
	ike_engine_free(l.e);
}
END_TEST

/* A refused MM1 lingers (its cause visible) but stays within the cap. */
START_TEST(test_refused_lingers_within_cap)
{
	struct lone l;
	uint8_t m[MM1_LEN];
	struct sockaddr_storage local, remote;
	char ip[32];

	lone_init(&l, 3, 32, 30);
	ck_assert_int_eq(fx_set_addr(&local, "127.0.0.9", IKE_PORT), 0);
	for (int i = 1; i <= 6; i++) {
		snprintf(ip, sizeof(ip), "10.0.2.%d", i);
		ck_assert_int_eq(fx_set_addr(&remote, ip, IKE_PORT), 0);
		mm1(m, 0x6000u + (uint64_t)i);
		m[ISAKMP_HDR_LEN + 12 + 8 + 8 + 3] = 1; /* DES: no proposal chosen */
		ike_engine_input(l.e, (struct sockaddr *)&local, (struct sockaddr *)&remote, m,
		                 sizeof(m));
	}
	ck_assert_uint_eq(lone_g(&l)->causes[IKE_CAUSE_NO_PROPOSAL_CHOSEN], 6);
	ck_assert_uint_eq(ike_sa_count(ike_engine_sas(l.e)), 3);
	ck_assert_uint_eq(lone_g(&l)->half_open, 3);
	ck_assert_uint_eq(lone_g(&l)->half_open_dropped_limit, 3);
	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(l.e)); sa != NULL; sa = sa->next)
		ck_assert_int_eq(sa->delete_reason, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ike_engine_free(l.e);
}
END_TEST

/* ---------------------------------------------------------------- two engines */

#define CAPTURE_MAX 64

struct capture {
	int from[CAPTURE_MAX];
	uint8_t *buf[CAPTURE_MAX];
	size_t len[CAPTURE_MAX];
	size_t n;
};

static bool on_tap(void *ctx, int from, const uint8_t *buf, size_t len)
{
	struct capture *c = ctx;

	if (c->n < CAPTURE_MAX) {
		c->buf[c->n] = malloc(len);
		ck_assert_ptr_nonnull(c->buf[c->n]);
		memcpy(c->buf[c->n], buf, len);
		c->len[c->n] = len;
		c->from[c->n] = from;
		c->n++;
	}
	return false;
}

static void capture_free(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->buf[i]);
	memset(c, 0, sizeof(*c));
}

static void pair_init(struct engine_pair *pr, struct capture *cap)
{
	struct ep_config c = {.psk = PSK, .ike = IKE, .esp = ESP, .name = {"b", "a"}};

	memset(cap, 0, sizeof(*cap));
	c.tap = on_tap;
	c.tap_ctx = cap;
	ck_assert_int_eq(engine_pair_init(pr, &c), 0);
	/* A probes with DPD; B only answers */
	pr->side[0].cfg.dpd_delay_s = 1;
	pr->side[0].cfg.dpd_timeout_s = 10;
	ck_assert_int_eq(ike_engine_set_peers(pr->side[0].e, &pr->side[0].cfg, 1), 0);
}

static int pump(struct engine_pair *pr)
{
	int n = engine_pair_run(pr, PUMP_MAX);

	ck_assert_int_ge(n, 0);
	return n;
}

static const struct ike_sa *sa_of(struct engine_pair *pr, int side, uint32_t conn_id)
{
	const struct ike_sa *sa = ike_sa_by_conn_id(ike_engine_sas(pr->side[side].e), conn_id);

	ck_assert_ptr_nonnull(sa);
	return sa;
}

static const struct ike_global_counters *gc(struct engine_pair *pr, int i)
{
	return ike_sa_table_counters(ike_engine_sas(pr->side[i].e));
}

/* A initiates; both reach QM_IDLE with the phase-2 SA installed. The SA's conn-ids. */
static void negotiate(struct engine_pair *pr, uint32_t *a_id, uint32_t *b_id)
{
	long id = ike_engine_initiate(pr->side[0].e, "b");
	const struct ike_sa *last = NULL;

	ck_assert_int_gt(id, 0);
	ck_assert_int_ge(pump(pr), 9);
	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(pr->side[1].e)); sa != NULL;
	     sa = sa->next)
		last = sa;
	ck_assert_ptr_nonnull(last);
	ck_assert_int_eq(sa_of(pr, 0, (uint32_t)id)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(last->state, IKE_ST_ESTABLISHED);
	ck_assert_ptr_nonnull(last->children);
	ck_assert_int_eq(last->children->state, IKE_CHILD_INSTALLED);
	*a_id = (uint32_t)id;
	*b_id = last->conn_id;
}

/* What must not change on an SA. */
struct sa_view {
	enum ike_state state;
	uint8_t rcookie[8];
	size_t children;
	int child_state;
	uint32_t spi_in;
	uint64_t r_u_there_in, ack_in;
};

static void view(const struct ike_sa *sa, struct sa_view *v)
{
	memset(v, 0, sizeof(*v));
	v->state = sa->state;
	memcpy(v->rcookie, sa->rcookie, 8);
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		v->children++;
	v->child_state = sa->children != NULL ? (int)sa->children->state : -1;
	v->spi_in = sa->children != NULL ? sa->children->spi_in : 0;
	v->r_u_there_in = sa->ctr.dpd_r_u_there_in;
	v->ack_in = sa->ctr.dpd_ack_in;
}

static void same(const struct ike_sa *sa, const struct sa_view *v)
{
	struct sa_view now;

	view(sa, &now);
	ck_assert_int_eq(now.state, v->state);
	ck_assert_mem_eq(now.rcookie, v->rcookie, 8);
	ck_assert_uint_eq(now.children, v->children);
	ck_assert_int_eq(now.child_state, v->child_state);
	ck_assert_uint_eq(now.spi_in, v->spi_in);
	ck_assert_uint_eq(now.r_u_there_in, v->r_u_there_in);
	ck_assert_uint_eq(now.ack_in, v->ack_in);
}

START_TEST(test_flood_spares_established)
{
	struct engine_pair pr;
	struct capture cap;
	struct ike_settings s;
	struct sa_view va, vb;
	struct ep_dgram d;
	uint32_t a_id, b_id;
	long again;

	pair_init(&pr, &cap);
	negotiate(&pr, &a_id, &b_id);
	view(sa_of(&pr, 0, a_id), &va);
	view(sa_of(&pr, 1, b_id), &vb);
	/* both take at most 2 half-open SAs, any number from one address */
	ike_settings_default(&s);
	s.max_half_open = 2;
	s.max_half_open_per_source = 1000;
	ike_engine_set_settings(pr.side[1].e, &s);
	ike_engine_set_settings(pr.side[0].e, &s);
	for (int i = 0; i < 20; i++) {
		uint8_t m[MM1_LEN];

		mm1(m, 0x7000u + (uint64_t)i);
		engine_pair_input(&pr, 1, m, sizeof(m)); /* from A's address */
		engine_pair_input(&pr, 0, m, sizeof(m)); /* from B's address */
	}
	/* the answers (MM2s to nobody's MM1) reach no SA */
	pump(&pr);
	ck_assert_uint_eq(gc(&pr, 1)->half_open, 2);
	ck_assert_uint_eq(gc(&pr, 1)->half_open_dropped_limit, 18);
	ck_assert_uint_eq(gc(&pr, 0)->half_open, 2);
	ck_assert_uint_eq(gc(&pr, 0)->half_open_dropped_limit, 18);
	same(sa_of(&pr, 0, a_id), &va);
	same(sa_of(&pr, 1, b_id), &vb);
	/* and it still works: DPD after a second of quiet is answered */
	ike_engine_clock_advance_ms(1100);
	ike_engine_run_timers(pr.side[0].e);
	pump(&pr);
	ck_assert_uint_eq(sa_of(&pr, 0, a_id)->ctr.dpd_ack_in, va.ack_in + 1);

	/* an SA A initiates, waiting for MM2 (its MM1 lost), is not half-open either */
	ck_assert_int_eq(ike_engine_delete(pr.side[0].e, a_id, IKE_CAUSE_CLEARED), 0);
	pump(&pr);
	again = ike_engine_initiate(pr.side[0].e, "b");
	ck_assert_int_gt(again, 0);
	ck_assert(engine_pair_pop(&pr, &d));
	free(d.buf);
	for (int i = 0; i < 20; i++) {
		uint8_t m[MM1_LEN];

		mm1(m, 0x8000u + (uint64_t)i);
		engine_pair_input(&pr, 0, m, sizeof(m));
	}
	pump(&pr);
	ck_assert_int_eq(sa_of(&pr, 0, (uint32_t)again)->state, IKE_ST_MAIN_I1);
	ck_assert_uint_eq(gc(&pr, 0)->half_open, 2);
	ck_assert_uint_eq(gc(&pr, 0)->half_open_dropped_limit, 18 + 20);
	engine_pair_free(&pr);
	capture_free(&cap);
}
END_TEST

/* Aggressive Mode (aggressive = yes): its responder does DH for AM2, under the same cap. */
START_TEST(test_aggressive_capped)
{
	struct engine_pair pr;
	struct capture cap;
	struct ike_settings s;
	struct ep_dgram am1;

	pair_init(&pr, &cap);
	pr.side[0].cfg.exchange = ISAKMP_XCHG_AGGR;
	pr.side[1].cfg.aggressive = true;
	ck_assert_int_eq(ike_engine_set_peers(pr.side[0].e, &pr.side[0].cfg, 1), 0);
	ck_assert_int_eq(ike_engine_set_peers(pr.side[1].e, &pr.side[1].cfg, 1), 0);
	ike_settings_default(&s);
	s.max_half_open = 5;
	s.max_half_open_per_source = 3;
	ike_engine_set_settings(pr.side[1].e, &s);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	ck_assert(engine_pair_pop(&pr, &am1));
	ck_assert_int_eq(am1.buf[18], ISAKMP_XCHG_AGGR);
	/* 10 from one address: 3 taken, 7 refused */
	for (int i = 0; i < 10; i++) {
		am1.buf[0] = (uint8_t)(0xa0 + i); /* a new initiator cookie each time */
		engine_pair_input(&pr, 1, am1.buf, am1.len);
	}
	ck_assert_uint_eq(gc(&pr, 1)->half_open, 3);
	ck_assert_uint_eq(gc(&pr, 1)->half_open_dropped_per_source, 7);
	/* any number from one address, 4 in all: 6 more, the 5 oldest dropped */
	s.max_half_open = 4;
	s.max_half_open_per_source = 100;
	ike_engine_set_settings(pr.side[1].e, &s);
	for (int i = 0; i < 6; i++) {
		am1.buf[0] = (uint8_t)(0xc0 + i);
		engine_pair_input(&pr, 1, am1.buf, am1.len);
	}
	free(am1.buf);
	ck_assert_uint_eq(gc(&pr, 1)->half_open, 4);
	ck_assert_uint_eq(gc(&pr, 1)->half_open_dropped_limit, 5);
	ck_assert_uint_eq(ike_sa_count_in_state(ike_engine_sas(pr.side[1].e), IKE_ST_AGGR_R1), 4);
	engine_pair_free(&pr);
	capture_free(&cap);
}
END_TEST

/* The captured datagram k-th of those side `from` sent with exchange type xchg. */
static size_t find(const struct capture *c, int from, uint8_t xchg, int k)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->from[i] == from && c->len[i] >= ISAKMP_HDR_LEN && c->buf[i][18] == xchg &&
		    k-- == 0)
			return i;
	ck_abort_msg("no such datagram captured");
	return 0;
}

static void replay(struct engine_pair *pr, const struct capture *c, size_t i)
{
	engine_pair_input(pr, 1 - c->from[i], c->buf[i], c->len[i]);
}

START_TEST(test_replays_change_nothing)
{
	struct engine_pair pr;
	struct capture cap;
	struct sa_view va, vb;
	uint32_t a_id, b_id;
	size_t mm[6], qm[3], rut, ack, n0;
	uint64_t dup_a, dup_b, unexp_b, rut_b;
	struct ep_dgram d;

	pair_init(&pr, &cap);
	negotiate(&pr, &a_id, &b_id);
	for (int k = 0; k < 6; k++)
		mm[k] = find(&cap, k % 2, ISAKMP_XCHG_IDPROT, k / 2);
	for (int k = 0; k < 3; k++)
		qm[k] = find(&cap, k % 2, ISAKMP_XCHG_QUICK, k / 2);
	/* one DPD round: A's R-U-THERE, B's ACK */
	n0 = cap.n;
	ike_engine_clock_advance_ms(1100);
	ike_engine_run_timers(pr.side[0].e);
	pump(&pr);
	ck_assert_uint_eq(cap.n, n0 + 2);
	rut = n0;
	ack = n0 + 1;
	ck_assert_int_eq(cap.buf[rut][18], ISAKMP_XCHG_INFO);
	view(sa_of(&pr, 0, a_id), &va);
	view(sa_of(&pr, 1, b_id), &vb);
	ck_assert_uint_eq(vb.r_u_there_in, 1);
	ck_assert_uint_eq(va.ack_in, 1);
	dup_a = sa_of(&pr, 0, a_id)->ctr.dup_in;
	dup_b = sa_of(&pr, 1, b_id)->ctr.dup_in;
	unexp_b = gc(&pr, 1)->dropped_unexpected;

	/* MM5 again: a retransmission as far as B can tell, answered with the stored MM6 */
	replay(&pr, &cap, mm[4]);
	ck_assert_uint_eq(sa_of(&pr, 1, b_id)->ctr.dup_in, dup_b + 1);
	ck_assert(engine_pair_pop(&pr, &d));
	ck_assert_uint_eq(d.len, cap.len[mm[5]]);
	ck_assert_mem_eq(d.buf, cap.buf[mm[5]], d.len);
	engine_pair_input(&pr, 0, d.buf, d.len); /* which A takes as a copy: no answer */
	free(d.buf);
	ck_assert_uint_eq(sa_of(&pr, 0, a_id)->ctr.dup_in, dup_a + 1);
	ck_assert(!engine_pair_pop(&pr, &d));
	/* answered at most RETX_MAX_DUP_ANSWERS times, then only counted */
	for (int i = 0; i < 2 * RETX_MAX_DUP_ANSWERS; i++)
		replay(&pr, &cap, mm[4]);
	ck_assert_int_eq(pump(&pr), RETX_MAX_DUP_ANSWERS - 1);
	ck_assert_uint_eq(sa_of(&pr, 1, b_id)->ctr.dup_in, dup_b + 1 + 2 * RETX_MAX_DUP_ANSWERS);
	/* MM6 again at A */
	replay(&pr, &cap, mm[5]);
	ck_assert(!engine_pair_pop(&pr, &d));
	/* older messages of the SA's own exchange: not what QM_IDLE waits for */
	replay(&pr, &cap, mm[0]);
	replay(&pr, &cap, mm[2]);
	ck_assert_int_eq(pump(&pr), 0);
	ck_assert_uint_eq(gc(&pr, 1)->dropped_unexpected, unexp_b + 2);
	/* the Quick Mode: QM1 at B (its phase-2 SA is installed: unexpected), QM3 at B (its
	 * last message: a copy), QM2 at A (a copy of what it answered with QM3) */
	replay(&pr, &cap, qm[0]);
	ck_assert_int_eq(pump(&pr), 0);
	ck_assert_uint_eq(gc(&pr, 1)->dropped_unexpected, unexp_b + 3);
	replay(&pr, &cap, qm[2]);
	ck_assert_int_eq(pump(&pr), 0);
	replay(&pr, &cap, qm[1]);
	pump(&pr);
	/* DPD: the old R-U-THERE and the old ACK are replays */
	rut_b = gc(&pr, 1)->dpd_r_u_there_in;
	replay(&pr, &cap, rut);
	ck_assert(!engine_pair_pop(&pr, &d)); /* no ACK for it */
	replay(&pr, &cap, ack);
	ck_assert_uint_eq(gc(&pr, 1)->dropped_replay, 1);
	ck_assert_uint_eq(gc(&pr, 0)->dropped_replay, 1);
	ck_assert_uint_eq(gc(&pr, 1)->dpd_r_u_there_in, rut_b);
	ck_assert_uint_eq(gc(&pr, 0)->dpd_bad_seq, 0);

	same(sa_of(&pr, 0, a_id), &va);
	same(sa_of(&pr, 1, b_id), &vb);
	ck_assert_uint_eq(gc(&pr, 0)->sas_failed + gc(&pr, 1)->sas_failed, 0);
	ck_assert_uint_eq(gc(&pr, 0)->children_failed + gc(&pr, 1)->children_failed, 0);
	engine_pair_free(&pr);
	capture_free(&cap);
}
END_TEST

/* A DELETE of an SA that is gone, replayed at its successor: dropped, nothing deleted. */
START_TEST(test_old_delete_replayed)
{
	struct engine_pair pr;
	struct capture cap;
	struct sa_view vb;
	uint32_t a_id, b_id, a2, b2;
	size_t del;
	uint64_t unknown, unexp;

	pair_init(&pr, &cap);
	negotiate(&pr, &a_id, &b_id);
	del = cap.n;
	ck_assert_int_eq(ike_engine_delete(pr.side[0].e, a_id, IKE_CAUSE_CLEARED), 0);
	pump(&pr);
	ck_assert_uint_gt(cap.n, del);
	ck_assert_int_eq(cap.buf[del][18], ISAKMP_XCHG_INFO);
	ck_assert_int_eq(sa_of(&pr, 1, b_id)->delete_reason, IKE_CAUSE_DELETED_BY_PEER);
	negotiate(&pr, &a2, &b2);
	ck_assert_uint_ne(b2, b_id);
	view(sa_of(&pr, 1, b2), &vb);
	unknown = gc(&pr, 1)->dropped_unknown_sa;
	unexp = gc(&pr, 1)->dropped_unexpected;
	/* while the old SA lingers its cookies still name it: it is dead, so unexpected */
	for (size_t i = del; i < cap.n && cap.buf[i][18] == ISAKMP_XCHG_INFO; i++)
		replay(&pr, &cap, i);
	pump(&pr);
	ck_assert_uint_gt(gc(&pr, 1)->dropped_unexpected + gc(&pr, 1)->dropped_unknown_sa,
	                  unknown + unexp);
	same(sa_of(&pr, 1, b2), &vb);
	ck_assert_int_eq(sa_of(&pr, 1, b2)->delete_reason, IKE_CAUSE_NONE);
	engine_pair_free(&pr);
	capture_free(&cap);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flood");
	TCase *h = tcase_create("half_open");
	TCase *r = tcase_create("replay");

	tcase_add_test(h, test_cap_drops_oldest);
	tcase_add_test(h, test_per_source_refuses_new);
	tcase_add_test(h, test_per_source_follows_sa);
	tcase_add_test(h, test_half_open_is_compact);
	tcase_add_test(h, test_timeout_removes);
	tcase_add_test(h, test_request_log_limited);
	tcase_add_test(h, test_refused_lingers_within_cap);
	tcase_add_test(h, test_flood_spares_established);
	tcase_add_test(h, test_aggressive_capped);
	tcase_add_test(r, test_replays_change_nothing);
	tcase_add_test(r, test_old_delete_replayed);
	suite_add_tcase(s, h);
	suite_add_tcase(s, r);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
