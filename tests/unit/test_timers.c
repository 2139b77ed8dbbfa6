/*
 * test_timers.c - the deadline queue (ike/timerq.c) and the engine's timers on it
 * (ike/timers.c), plus the table's index of inbound SPIs (ike/sa.c), which the engine
 * test also checks against every live child on the way.
 *
 * The queue is checked against a plain array of the same deadlines through thousands
 * of random sets, moves and removals.  The engine is checked against the walk of every
 * SA, phase-2 SA and peer that ike_engine_next_timeout_ms() used to be (the oracle
 * below, written from it): two real engines, A with 60 auto=start peers and B answering
 * them, exchange datagrams through an in-memory queue that first loses B's replies (A
 * retransmits MM1), then delivers; SAs and phase-2 SAs live 2 s and 1 s (so they
 * expire, are deleted, linger 1 s and are removed; A restarts its peers after
 * restart_delay and tries missing phase-2 SAs every restart_delay).  On every turn the
 * queue's answer must be the walk's, and each kind of deadline must have fired.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/exchange.h"
#include "ike/ike.h"
#include "ike/timerq.h"

/* ---------------------------------------------------------------- the queue */

static void at_ms(struct timespec *ts, long ms)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000L;
}

static long ms_of(const struct timespec *ts)
{
	return (long)ts->tv_sec * 1000 + ts->tv_nsec / 1000000L;
}

START_TEST(test_queue_order)
{
	enum { N = 1000 };
	static struct ike_timer t[N];
	struct ike_timerq q;
	struct timespec at;
	long last = -1;

	ike_timerq_init(&q);
	ck_assert_ptr_null(ike_timerq_first(&q));
	ck_assert_ptr_null(ike_timerq_pop(&q));
	srandom(7);
	for (int i = 0; i < N; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		at_ms(&at, random() % 100000);
		ck_assert_int_eq(ike_timerq_set(&q, &t[i], &at), 0);
		ck_assert(ike_timer_queued(&t[i]));
	}
	ck_assert_uint_eq(ike_timerq_count(&q), N);
	for (int i = 0; i < N; i++) {
		struct ike_timer *x = ike_timerq_pop(&q);

		ck_assert_ptr_nonnull(x);
		ck_assert(!ike_timer_queued(x));
		ck_assert_int_ge(ms_of(&x->at), last);
		last = ms_of(&x->at);
	}
	ck_assert_ptr_null(ike_timerq_first(&q));
	ike_timerq_free(&q);
}
END_TEST

/* The earliest of the model's queued timers, or -1. */
static long model_min(const long *model, const bool *in, int n)
{
	long best = -1;

	for (int i = 0; i < n; i++)
		if (in[i] && (best < 0 || model[i] < best))
			best = model[i];
	return best;
}

START_TEST(test_queue_against_model)
{
	enum { N = 500, OPS = 20000 };
	static struct ike_timer t[N];
	static long model[N];
	static bool in[N];
	struct ike_timerq q;
	struct timespec at;

	ike_timerq_init(&q);
	memset(t, 0, sizeof(t));
	memset(in, 0, sizeof(in));
	srandom(11);
	for (int op = 0; op < OPS; op++) {
		int i = (int)(random() % N), what = (int)(random() % 4);
		struct ike_timer *first;

		if (what < 2) { /* set or move (earlier or later) */
			model[i] = random() % 50000;
			at_ms(&at, model[i]);
			ck_assert_int_eq(ike_timerq_set(&q, &t[i], &at), 0);
			in[i] = true;
		} else if (what == 2) { /* remove from anywhere */
			ike_timerq_remove(&q, &t[i]);
			in[i] = false;
		} else if ((first = ike_timerq_pop(&q)) != NULL) {
			int k = (int)(first - t);

			ck_assert(in[k]);
			ck_assert_int_eq(ms_of(&first->at), model[k]);
			in[k] = false;
		}
		first = ike_timerq_first(&q);
		ck_assert_int_eq(first != NULL ? ms_of(&first->at) : -1, model_min(model, in, N));
		ck_assert_int_eq(ike_timer_queued(&t[i]), in[i]);
	}
	ike_timerq_clear(&q);
	ck_assert_uint_eq(ike_timerq_count(&q), 0);
	for (int i = 0; i < N; i++)
		ck_assert(!ike_timer_queued(&t[i]));
	ike_timerq_free(&q);
}
END_TEST

/* ---------------------------------------------------------------- two engines */

#define PEERS      60
#define PSK        "timers-test-key"
#define A_NET      "10.0.0.0/24"
#define B_NET      "10.1.0.0/24"
#define RETX_MS    50
#define LOSE_MS    120 /* B's replies are lost this long: A retransmits MM1 twice */
#define RUN_MS     6500
#define TURNS_MAX  200000
#define PUMP_BURST 4096

struct dgram {
	int to; /* 0: A, 1: B */
	uint8_t *buf;
	size_t len;
};

/* What the events of one side say happened. */
struct tally {
	unsigned established, children_installed, expired, children_expired, removed;
};

struct side {
	struct pair *pr;
	int id;
	struct ike_engine *e;
	struct sockaddr_in addr;
	struct tally n;
};

struct pair {
	struct side s[2];
	struct dgram *q;
	size_t head, len, cap;
	bool lose_b; /* B's datagrams are lost */
};

static int on_send(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                   const uint8_t *buf, size_t len)
{
	struct side *sd = ctx;
	struct pair *pr = sd->pr;
	struct dgram *d;

	(void)local, (void)remote;
	if (sd->id == 1 && pr->lose_b)
		return 0;
	if (pr->head + pr->len == pr->cap) {
		pr->cap = pr->cap ? pr->cap * 2 : 256;
		pr->q = realloc(pr->q, pr->cap * sizeof(*pr->q));
		ck_assert_ptr_nonnull(pr->q);
	}
	d = &pr->q[pr->head + pr->len];
	d->buf = malloc(len);
	ck_assert_ptr_nonnull(d->buf);
	memcpy(d->buf, buf, len);
	d->len = len;
	d->to = !sd->id;
	pr->len++;
	return 0;
}

static int on_source(void *ctx, const struct sockaddr *remote, struct sockaddr_storage *local)
{
	const struct side *sd = ctx;

	(void)remote;
	memset(local, 0, sizeof(*local));
	memcpy(local, &sd->addr, sizeof(sd->addr));
	return 0;
}

static void on_event(void *ctx, const struct ike_event *ev)
{
	struct tally *n = ctx;

	if (ev->type == IKE_EV_STATE_CHANGED && ev->new_state == IKE_ST_ESTABLISHED)
		n->established++;
	if (ev->type == IKE_EV_SA_DELETED && ev->cause == IKE_CAUSE_EXPIRED)
		n->expired++;
	if (ev->type == IKE_EV_SA_REMOVED)
		n->removed++;
	if (ev->type == IKE_EV_CHILD_STATE_CHANGED && ev->child->state == IKE_CHILD_INSTALLED)
		n->children_installed++;
	if (ev->type == IKE_EV_CHILD_DELETED && ev->cause == IKE_CAUSE_EXPIRED)
		n->children_expired++;
}

static void set_addr(struct sockaddr_in *a, uint32_t host)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(IKE_PORT);
	a->sin_addr.s_addr = htonl(host);
}

static void peer_cfg(struct ike_peer_cfg *p, const char *name, const struct sockaddr_in *remote,
                     bool autostart, const char *local_ts, const char *remote_ts)
{
	char err[256];

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	memcpy(&p->remote, remote, sizeof(*remote));
	p->remote_prefix = 32;
	memcpy(p->psk, PSK, strlen(PSK));
	p->psk_len = strlen(PSK);
	p->autostart = autostart ? IKE_AUTO_START : IKE_AUTO_ADD;
	p->ike_lifetime = 2;
	p->has_children = true;
	p->mode = IPSEC_MODE_TUNNEL;
	p->ipsec_lifetime_s = 1;
	ck_assert_int_eq(ike_proposals_parse("aes128-sha256-ecp256", p->ike, IKE_MAX_PROPOSALS,
	                                     &p->n_ike, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(ike_esp_proposals_parse("aes128-sha256", p->esp, IKE_MAX_PROPOSALS,
	                                         &p->n_esp, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(
	    ike_ts_parse(local_ts, p->local_ts, IKE_MAX_TS, &p->n_local_ts, err, sizeof(err)), 0);
	ck_assert_int_eq(
	    ike_ts_parse(remote_ts, p->remote_ts, IKE_MAX_TS, &p->n_remote_ts, err, sizeof(err)),
	    0);
}

static void pair_init(struct pair *pr)
{
	static const struct ike_engine_ops ops = {.send = on_send, .source_for = on_source};
	static struct ike_peer_cfg a_peers[PEERS];
	struct ike_peer_cfg b_peer;
	struct ike_settings set;

	memset(pr, 0, sizeof(*pr));
	ike_settings_default(&set);
	set.retransmit_timeout_ms = RETX_MS;
	set.retransmit_tries = 3;
	set.deleted_linger_s = 1;
	set.restart_delay_s = 1;
	set.rekey = false; /* lifetimes run out here (test_rekey.c rekeys) */
	for (int i = 0; i < 2; i++) {
		pr->s[i].pr = pr;
		pr->s[i].id = i;
		set_addr(&pr->s[i].addr, i == 0 ? 0x7f000001 : 0x7f000002);
		pr->s[i].e = ike_engine_new(&ops, &pr->s[i], &set);
		ck_assert_ptr_nonnull(pr->s[i].e);
		ck_assert_int_eq(
		    ike_sa_table_subscribe(ike_engine_sas(pr->s[i].e), on_event, &pr->s[i].n), 0);
	}
	peer_cfg(&b_peer, "a", &pr->s[0].addr, false, B_NET, A_NET);
	ck_assert_int_eq(ike_engine_set_peers(pr->s[1].e, &b_peer, 1), 0);
	for (int i = 0; i < PEERS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "b%d", i);
		peer_cfg(&a_peers[i], name, &pr->s[1].addr, true, A_NET, B_NET);
	}
	pr->lose_b = true;
	/* auto=start: every peer initiates now */
	ck_assert_int_eq(ike_engine_set_peers(pr->s[0].e, a_peers, PEERS), 0);
}

static void pair_free(struct pair *pr)
{
	for (size_t i = 0; i < pr->len; i++)
		free(pr->q[pr->head + i].buf);
	free(pr->q);
	ike_engine_free(pr->s[0].e);
	ike_engine_free(pr->s[1].e);
}

/* Deliver what is queued (a burst at most, so that timers get their turn). */
static void pump(struct pair *pr)
{
	for (int n = 0; pr->len > 0 && n < PUMP_BURST; n++) {
		struct dgram d = pr->q[pr->head];
		struct side *to = &pr->s[d.to];

		pr->head++;
		pr->len--;
		ike_engine_input(to->e, (const struct sockaddr *)&to->addr,
		                 (const struct sockaddr *)&pr->s[!d.to].addr, d.buf, d.len);
		free(d.buf);
	}
	if (pr->len == 0)
		pr->head = 0;
}

/* ---- the oracle: the walk ike_engine_next_timeout_ms() used to be ---- */

static bool walk_sa_deadline(const struct ike_engine *e, const struct ike_sa *sa,
                             struct timespec *at)
{
	if (sa->state == IKE_ST_DELETED) {
		*at = sa->deleted_mono;
		ts_add_ms(at, (uint64_t)e->settings.deleted_linger_s * 1000);
		return true;
	}
	if (sa->state == IKE_ST_ESTABLISHED) {
		struct timespec rekey;

		*at = sa->state_entered;
		ts_add_ms(at, (uint64_t)sa->xf.lifetime_s * 1000);
		if (sa->x != NULL && sa->x->keepalive_armed &&
		    ts_diff_ms(&sa->x->keepalive_at, at) < 0)
			*at = sa->x->keepalive_at;
		/* rekey.c: its replacement due, or its retirement once replaced */
		if (rekey_sa_deadline((struct ike_engine *)e, sa, &rekey) &&
		    ts_diff_ms(&rekey, at) < 0)
			*at = rekey;
		return true;
	}
	if (sa->x != NULL && sa->x->rt.armed) {
		*at = sa->x->rt.at;
		return true;
	}
	return false;
}

static void earliest(int64_t *best, const struct timespec *at, const struct timespec *now)
{
	int64_t d = ts_diff_ms(at, now);

	if (d < 0)
		d = 0;
	if (*best < 0 || d < *best)
		*best = d;
}

static int64_t walk_next_ms(struct ike_engine *e, const struct timespec *now)
{
	struct timespec at;
	int64_t best = -1;

	for (const struct ike_sa *sa = ike_sa_first(e->sas); sa != NULL; sa = sa->next) {
		if (walk_sa_deadline(e, sa, &at))
			earliest(&best, &at, now);
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
			if (quick_deadline(e, c, &at))
				earliest(&best, &at, now);
	}
	for (size_t i = 0; i < e->n_peers; i++) {
		const struct engine_peer *p = &e->peers[i];

		if (p->restart_pending)
			earliest(&best, &p->restart_at, now);
		else if (p->cfg.autostart == IKE_AUTO_START && quick_children_wanted(&p->cfg) > 0 &&
		         engine_peer_missing_children(e, p))
			earliest(&best, &p->qm_retry_at, now);
	}
	return best;
}

/* The queue's answer, then the walk's at the same instant (give or take a millisecond). */
static int64_t next_checked(struct ike_engine *e)
{
	struct timespec before, after;
	int64_t q, w0, w1;

	engine_now(&before);
	q = ike_engine_next_timeout_ms(e);
	engine_now(&after);
	w0 = walk_next_ms(e, &before);
	w1 = walk_next_ms(e, &after);
	if (q < 0 || w0 < 0)
		ck_assert_msg(q == w0, "queue says %lld ms, the walk %lld", (long long)q,
		              (long long)w0);
	else
		ck_assert_msg(q <= w0 + 1 && q >= w1 - 1, "queue says %lld ms, the walk %lld..%lld",
		              (long long)q, (long long)w1, (long long)w0);
	return q;
}

static size_t live_count(struct ike_engine *e)
{
	size_t n = 0;

	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(e)); sa != NULL; sa = sa->next)
		n += sa->state != IKE_ST_DELETED;
	return n;
}

/* Every live child's inbound SPI is its own, and the index finds exactly those; returns
 * how many live children there are. */
static size_t check_spis(struct ike_engine *e)
{
	const struct ike_sa_table *t = ike_engine_sas(e);
	size_t live = 0;

	for (const struct ike_sa *sa = ike_sa_first(t); sa != NULL; sa = sa->next)
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next) {
			const struct ike_child *found = ike_sa_child_by_spi_in(t, c->spi_in);

			if (c->spi_in == 0)
				continue;
			if (c->state == IKE_CHILD_DELETED) {
				ck_assert_ptr_ne(found, c);
				continue;
			}
			ck_assert_ptr_eq(found, c);
			ck_assert_uint_ge(c->spi_in, 0x100);
			live++;
		}
	return live;
}

START_TEST(test_engine_matches_walk)
{
	struct timespec start, now;
	size_t spis_seen = 0;
	unsigned turns = 0;
	struct pair pr;

	pair_init(&pr);
	engine_now(&start);
	ck_assert_uint_eq(live_count(pr.s[0].e), PEERS);
	for (;; turns++) {
		int64_t wait, w;

		ck_assert_uint_lt(turns, TURNS_MAX);
		engine_now(&now);
		if (ts_diff_ms(&now, &start) >= RUN_MS)
			break;
		if (pr.lose_b && ts_diff_ms(&now, &start) >= LOSE_MS)
			pr.lose_b = false;
		pump(&pr);
		wait = -1;
		for (int i = 0; i < 2; i++) {
			w = next_checked(pr.s[i].e);
			if (w == 0)
				ike_engine_run_timers(pr.s[i].e);
			if (w >= 0 && (wait < 0 || w < wait))
				wait = w;
		}
		if (pr.len == 0 && wait > 0) {
			struct timespec ts = {0, (wait > 5 ? 5 : wait) * 1000000L};

			nanosleep(&ts, NULL);
		}
		if (turns % 64 == 0)
			spis_seen += check_spis(pr.s[0].e) + check_spis(pr.s[1].e);
	}
	/*
	 * Every kind of deadline fired: lifetimes of both phases (whichever end's came first
	 * sent the DELETE), then A's restarts after restart_delay and its retries of missing
	 * phase-2 SAs, and the lingers that ended.
	 */
	ck_assert_uint_ge(pr.s[0].n.expired + pr.s[1].n.expired, 2 * PEERS);
	ck_assert_uint_ge(pr.s[0].n.established, 2 * PEERS);
	ck_assert_uint_ge(pr.s[0].n.children_expired + pr.s[1].n.children_expired, 2 * PEERS);
	ck_assert_uint_ge(pr.s[0].n.children_installed, 3 * PEERS);
	ck_assert_uint_ge(pr.s[0].n.removed, PEERS);
	printf("timers: %u turns; A: %u established, %u expired, %u phase-2 installed, %u "
	       "expired, %u removed; B: %u expired, %u phase-2 expired\n",
	       turns, pr.s[0].n.established, pr.s[0].n.expired, pr.s[0].n.children_installed,
	       pr.s[0].n.children_expired, pr.s[0].n.removed, pr.s[1].n.expired,
	       pr.s[1].n.children_expired);
	ck_assert_uint_gt(spis_seen, 0);
	pair_free(&pr);
}
END_TEST

/* The first MM1s were lost: A retransmitted each of them (counted per SA). */
START_TEST(test_engine_retransmits)
{
	struct timespec start, now;
	struct pair pr;
	uint64_t retx = 0;

	pair_init(&pr);
	engine_now(&start);
	do {
		engine_now(&now);
		pump(&pr);
		if (next_checked(pr.s[0].e) == 0)
			ike_engine_run_timers(pr.s[0].e);
		else
			nanosleep(&(struct timespec){0, 1000000L}, NULL);
	} while (ts_diff_ms(&now, &start) < LOSE_MS);
	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(pr.s[0].e)); sa; sa = sa->next) {
		ck_assert_uint_ge(sa->ctr.retransmits, 1);
		retx += sa->ctr.retransmits;
	}
	/* at 50 and 150 ms: one each by 120 ms, and no more (no busy firing) */
	ck_assert_uint_eq(retx, PEERS);
	pair_free(&pr);
}
END_TEST

/* ---------------------------------------------------------------- inbound SPIs */

/* Claims, collisions, releases by deletion and by removal, against a plain array. */
START_TEST(test_spi_index)
{
	enum { N = 3000 };
	static struct ike_child *c[N];
	static uint32_t spi[N];
	struct ike_sa_table *t = ike_sa_table_new();
	struct ike_sa *sa;
	int live = 0;

	ck_assert_ptr_nonnull(t);
	sa = ike_sa_create(t, IKE_ROLE_INITIATOR, ISAKMP_XCHG_IDPROT);
	ck_assert_ptr_nonnull(sa);
	srandom(5);
	for (int i = 0; i < N; i++) {
		c[i] = ike_child_create(t, sa, IKE_ROLE_INITIATOR, (uint32_t)i + 1);
		ck_assert_ptr_nonnull(c[i]);
		/* few distinct values: collisions and long probe runs on purpose */
		do
			spi[i] = 0x100 + (uint32_t)(random() % (2 * N));
		while (ike_sa_child_by_spi_in(t, spi[i]) != NULL);
		ck_assert_int_eq(ike_child_claim_spi_in(t, c[i], spi[i]), 0);
		ck_assert_uint_eq(c[i]->spi_in, spi[i]);
		live++;
		if (i > 0) /* another live child's SPI is refused */
			ck_assert_int_eq(ike_child_claim_spi_in(t, c[i], spi[random() % i]), -1);
	}
	ck_assert_int_eq(ike_child_claim_spi_in(t, c[0], 0), -1);
	/* delete a third (the SPI is free again at once), remove another third */
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0) {
			ike_child_mark_deleted(t, sa, c[i], IKE_CAUSE_CLEARED);
			live--;
		} else if (i % 3 == 1) {
			ike_child_remove(t, sa, c[i]);
			c[i] = NULL;
			live--;
		}
	}
	for (int i = 0; i < N; i++) {
		const struct ike_child *found = ike_sa_child_by_spi_in(t, spi[i]);

		if (i % 3 == 2)
			ck_assert_ptr_eq(found, c[i]);
		else
			ck_assert_ptr_null(found);
	}
	/* a deleted child's SPI goes to a new child; the deleted one's removal keeps it */
	{
		struct ike_child *n = ike_child_create(t, sa, IKE_ROLE_RESPONDER, N + 1);

		ck_assert_int_eq(ike_child_claim_spi_in(t, n, spi[0]), 0);
		ike_child_remove(t, sa, c[0]);
		ck_assert_ptr_eq(ike_sa_child_by_spi_in(t, spi[0]), n);
	}
	ck_assert_int_gt(live, 0);
	ike_sa_table_free(t); /* frees the children, which leave the index */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("timers");
	TCase *q = tcase_create("queue"), *e = tcase_create("engine"), *x = tcase_create("spis");

	tcase_add_test(q, test_queue_order);
	tcase_add_test(q, test_queue_against_model);
	tcase_add_test(e, test_engine_retransmits);
	tcase_add_test(e, test_engine_matches_walk);
	tcase_set_timeout(e, 60);
	tcase_add_test(x, test_spi_index);
	suite_add_tcase(s, q);
	suite_add_tcase(s, x);
	suite_add_tcase(s, e);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
