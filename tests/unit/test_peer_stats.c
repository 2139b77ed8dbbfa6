/*
 * test_peer_stats.c - the engine's per-peer SA lists, counters and name index
 * (ike/peer_track.c): ike_engine_peer_status(), ike_engine_peer_find(),
 * ike_engine_peers_generation(), ike_engine_orphan_stats().
 *
 * Two real engines, A (127.0.0.1) and B (127.0.0.2), each configured for the other,
 * exchange their datagrams through an in-memory queue (engine_pair.h): Main Mode and a
 * Quick Mode run for real.  What is checked: the counters follow negotiations, survive
 * the removal of SAs, new SAs and reloads that leave the peer alone, and restart when the
 * peer changes; the SAs of a peer that left move to the orphans; a status costs the
 * peer's own SAs, not the table's.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/engine.h"
#include "ike/exchange.h"
#include "ike/ike.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/ike_fixture.h"
#include "tests/unit/testlib.h"

#define PUMP_MAX 200 /* datagrams delivered before a negotiation is given up */
#define PSK      "peer-stats-test-key"
#define IKE      "aes128-sha256-ecp256"
#define ESP      "aes128-sha256"

/* A (side 0) calls B "b", B calls A "a". */
static void pair_init(struct engine_pair *pr)
{
	static const struct ep_config c = {.psk = PSK, .ike = IKE, .esp = ESP, .name = {"b", "a"}};

	ck_assert_int_eq(engine_pair_init(pr, &c), 0);
}

/* Deliver datagrams until the queue is empty; returns how many. */
static int pump(struct engine_pair *pr)
{
	int n = engine_pair_run(pr, PUMP_MAX);

	ck_assert_int_ge(n, 0);
	return n;
}

/* A peer at remote for the engines made alone (no traffic), with a child. */
static void peer_cfg(struct ike_peer_cfg *p, const char *name, const char *remote)
{
	ck_assert_int_eq(fx_peer_cfg(p, name, remote, PSK), 0);
	ck_assert_int_eq(fx_peer_proposals(p, IKE, ESP, "10.200.0.0/24", "10.201.0.0/24"), 0);
}

static void status(struct ike_engine *e, struct ike_peer_status *st)
{
	ck_assert_int_eq(ike_engine_peer_status(e, 0, st), 0);
}

/* A initiates to B and both reach QM_IDLE with the phase-2 SA installed. */
static uint32_t negotiate(struct engine_pair *pr)
{
	struct ike_peer_status st;
	long id = ike_engine_initiate(pr->side[0].e, "b");

	ck_assert_int_gt(id, 0);
	ck_assert_int_ge(pump(pr), 9); /* 6 Main Mode + 3 Quick Mode */
	status(pr->side[0].e, &st);
	ck_assert(st.up);
	ck_assert_uint_eq(st.ike->conn_id, (uint32_t)id);
	return (uint32_t)id;
}

/* The traffic of the live SAs of a peer, summed the slow way, for comparison. */
static uint64_t table_msgs_in(struct ike_engine *e, const char *peer)
{
	uint64_t n = 0;

	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(e)); sa != NULL; sa = sa->next)
		if (strcmp(sa->peer, peer) == 0)
			n += sa->ctr.msgs_in;
	return n;
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_counts_a_negotiation)
{
	struct ike_peer_status st;
	struct engine_pair pr;
	time_t t0 = time(NULL);

	pair_init(&pr);
	status(pr.side[0].e, &st);
	ck_assert_uint_eq(st.n_sas, 0);
	ck_assert_uint_eq(st.stats.attempts, 0);
	ck_assert(st.stats.since_wall >= t0 - 1 && st.stats.since_wall <= time(NULL));
	negotiate(&pr);
	for (int i = 0; i < 2; i++) {
		status(pr.side[i].e, &st);
		ck_assert_uint_eq(st.n_sas, 1);
		ck_assert_uint_eq(st.ipsec_sas, 1);
		ck_assert_uint_eq(st.stats.attempts, 1); /* either role */
		ck_assert_uint_eq(st.stats.established, 1);
		ck_assert_uint_eq(st.stats.children_established, 1);
		ck_assert_uint_eq(st.stats.failed, 0);
		ck_assert_uint_eq(st.stats.traffic.msgs_in, st.ike->ctr.msgs_in);
		ck_assert_uint_eq(st.stats.traffic.msgs_out, st.ike->ctr.msgs_out);
		ck_assert_uint_eq(st.stats.traffic.bytes_in, st.ike->ctr.bytes_in);
		ck_assert_uint_ge(st.stats.traffic.msgs_in, 4);
	}
	/* what one sent the other received */
	status(pr.side[0].e, &st);
	{
		struct ike_peer_status sb;

		status(pr.side[1].e, &sb);
		ck_assert_uint_eq(st.stats.traffic.msgs_out, sb.stats.traffic.msgs_in);
		ck_assert_uint_eq(st.stats.traffic.bytes_out, sb.stats.traffic.bytes_in);
	}
	engine_pair_free(&pr);
}
END_TEST

/* A second SA, the first one deleted and removed: counters only grow, traffic stays. */
START_TEST(test_survives_new_sas_and_removal)
{
	struct ike_peer_status st, before;
	struct ike_sa_table *t;
	uint32_t first, second;
	struct engine_pair pr;

	pair_init(&pr);
	first = negotiate(&pr);
	ck_assert_int_eq(ike_engine_delete(pr.side[0].e, first, IKE_CAUSE_CLEARED), 0);
	pump(&pr);
	status(pr.side[0].e, &before);
	ck_assert_ptr_null(before.ike);
	ck_assert_uint_eq(before.n_sas, 1); /* deleted, lingering */
	second = negotiate(&pr);
	ck_assert_uint_gt(second, first);
	status(pr.side[0].e, &st);
	ck_assert_uint_eq(st.n_sas, 2);
	ck_assert_uint_eq(st.stats.attempts, 2);
	ck_assert_uint_eq(st.stats.established, 2);
	ck_assert_uint_eq(st.stats.children_established, 2);
	ck_assert_uint_eq(st.ike->conn_id, second);
	ck_assert_uint_eq(st.stats.traffic.msgs_in, table_msgs_in(pr.side[0].e, "b"));

	/* the linger ends: the first SA leaves the table, its traffic stays counted */
	t = ike_engine_sas(pr.side[0].e);
	ike_sa_remove(t, ike_sa_find_mut(t, first));
	ck_assert_ptr_null(ike_sa_by_conn_id(t, first));
	{
		struct ike_peer_status after;

		status(pr.side[0].e, &after);
		ck_assert_uint_eq(after.n_sas, 1);
		ck_assert_uint_eq(after.stats.traffic.msgs_in, st.stats.traffic.msgs_in);
		ck_assert_uint_eq(after.stats.traffic.bytes_out, st.stats.traffic.bytes_out);
		ck_assert_uint_gt(after.stats.traffic.msgs_in, table_msgs_in(pr.side[0].e, "b"));
		ck_assert_uint_eq(after.stats.attempts, 2);
		ck_assert_uint_eq(after.stats.since_wall, st.stats.since_wall);
	}
	engine_pair_free(&pr);
}
END_TEST

/* Failures, phase 1 and 2, by cause; phase 2's also counted apart. */
START_TEST(test_counts_failures)
{
	struct ike_sa_table *t;
	struct ike_peer_status st;
	struct ike_child *c;
	struct ike_sa *sa;
	uint32_t id;
	struct engine_pair pr;

	pair_init(&pr);
	id = negotiate(&pr);
	t = ike_engine_sas(pr.side[0].e);
	sa = ike_sa_find_mut(t, id);
	c = ike_child_create(t, sa, IKE_ROLE_INITIATOR, 0x4242);
	ck_assert_ptr_nonnull(c);
	ike_child_fail(t, sa, c, IKE_CAUSE_PFS_MISMATCH, "test");
	/* an SA made the way the responder makes one, failed in Main Mode */
	sa = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	snprintf(sa->peer, sizeof(sa->peer), "b");
	ike_sa_announce(t, sa);
	ike_sa_fail(t, sa, IKE_CAUSE_KEY_MISMATCH, "test");
	ike_sa_mark_deleted(t, sa, IKE_CAUSE_KEY_MISMATCH);
	status(pr.side[0].e, &st);
	ck_assert_uint_eq(st.stats.attempts, 2);
	ck_assert_uint_eq(st.stats.failed, 2);
	ck_assert_uint_eq(st.stats.failures[IKE_CAUSE_KEY_MISMATCH], 1);
	ck_assert_uint_eq(st.stats.failures[IKE_CAUSE_PFS_MISMATCH], 1);
	ck_assert_uint_eq(st.stats.children_failed, 1);
	ck_assert_uint_eq(st.stats.child_failures[IKE_CAUSE_PFS_MISMATCH], 1);
	ck_assert_uint_eq(st.stats.child_failures[IKE_CAUSE_KEY_MISMATCH], 0);
	ck_assert_uint_eq(st.n_sas, 2);
	ck_assert_uint_eq(st.ike->conn_id, id); /* still the established one */
	engine_pair_free(&pr);
}
END_TEST

/* Reloads: the same peer keeps everything; a changed one starts over; a removed one
 * leaves its SAs to the orphans. */
START_TEST(test_reloads)
{
	struct ike_peer_status st, kept;
	struct ike_peer_stats orphans;
	struct ike_peer_cfg changed;
	struct ike_engine *e;
	uint64_t gen;
	uint32_t id;
	struct engine_pair pr;
	const struct timespec two_s = {2, 0}; /* since_wall has a one-second grain */

	pair_init(&pr);
	e = pr.side[0].e;
	id = negotiate(&pr);
	status(e, &st);
	gen = ike_engine_peers_generation(e);
	ck_assert_int_eq(ike_engine_peer_find(e, "b"), 0);
	ck_assert_int_eq(ike_engine_peer_find(e, "nobody"), -1);

	ck_assert_int_eq(ike_engine_set_peers(e, &pr.side[0].cfg, 1), 0);
	ck_assert_uint_eq(ike_engine_peers_generation(e), gen + 1);
	status(e, &kept);
	ck_assert_uint_eq(kept.stats.attempts, st.stats.attempts);
	ck_assert_uint_eq(kept.stats.established, 1);
	ck_assert_uint_eq(kept.stats.since_wall, st.stats.since_wall);
	ck_assert_uint_eq(kept.stats.traffic.msgs_in, st.stats.traffic.msgs_in);
	ck_assert_uint_eq(kept.n_sas, 1);
	ck_assert(kept.up);
	ck_assert_uint_eq(kept.ike->conn_id, id);

	nanosleep(&two_s, NULL);
	changed = pr.side[0].cfg;
	changed.ike_lifetime = 3600;
	ck_assert_int_eq(ike_engine_set_peers(e, &changed, 1), 0);
	ck_assert_uint_eq(ike_engine_peers_generation(e), gen + 2);
	status(e, &st);
	ck_assert_uint_eq(st.stats.attempts, 0);
	ck_assert_uint_eq(st.stats.established, 0);
	ck_assert_uint_eq(st.stats.traffic.msgs_in, 0);
	ck_assert_uint_gt(st.stats.since_wall, kept.stats.since_wall);
	ck_assert_uint_eq(st.n_sas, 0);
	ck_assert_ptr_null(st.ike);
	/* its old SA, deleted by the change, counts with the orphans */
	ike_engine_orphan_stats(e, &orphans);
	ck_assert_uint_eq(orphans.traffic.msgs_in, kept.stats.traffic.msgs_in);
	ck_assert_int_eq(ike_sa_by_conn_id(ike_engine_sas(e), id)->state, IKE_ST_DELETED);

	/* a removed peer: gone from the index; new SAs of its name are orphans */
	ck_assert_int_eq(ike_engine_set_peers(e, NULL, 0), 0);
	ck_assert_int_eq(ike_engine_peer_find(e, "b"), -1);
	ck_assert_int_eq(ike_engine_peer_status(e, 0, &st), -1);
	ike_sa_remove(ike_engine_sas(e), ike_sa_find_mut(ike_engine_sas(e), id));
	ike_engine_orphan_stats(e, &orphans);
	ck_assert_uint_eq(orphans.traffic.msgs_in, kept.stats.traffic.msgs_in); /* retired */
	engine_pair_free(&pr);
}
END_TEST

/* Many peers: each found by name, each status showing its own SAs only. */
START_TEST(test_many_peers_index)
{
	enum { N = 3000 };
	static const struct ike_engine_ops ops = {.send = fx_discard_send};
	struct ike_peer_cfg *cfg = calloc(N, sizeof(*cfg));
	struct ike_peer_status st;
	struct ike_settings set;
	struct ike_engine *e;

	ck_assert_ptr_nonnull(cfg);
	ike_settings_default(&set);
	e = ike_engine_new(&ops, NULL, &set);
	for (size_t i = 0; i < N; i++) {
		char ip[16], name[32];

		snprintf(ip, sizeof(ip), "10.0.%zu.%zu", i / 256, i % 256);
		snprintf(name, sizeof(name), "peer-%zu", i);
		peer_cfg(&cfg[i], name, ip);
	}
	ck_assert_int_eq(ike_engine_set_peers(e, cfg, N), 0);
	for (size_t i = 0; i < N; i++) {
		char name[32];

		snprintf(name, sizeof(name), "peer-%zu", i);
		ck_assert_int_eq(ike_engine_peer_find(e, name), (long)i);
		/* i SAs for peer i % 7 == 0, made through the table as the handlers do */
		if (i % 7 == 0) {
			struct ike_sa_table *t = ike_engine_sas(e);

			for (size_t k = 0; k < i % 5 + 1; k++) {
				struct ike_sa *sa =
				    ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);

				snprintf(sa->peer, sizeof(sa->peer), "%s", name);
				sa->ctr.msgs_in = i;
				ike_sa_announce(t, sa);
			}
		}
	}
	ck_assert_int_eq(ike_engine_peer_find(e, "peer-3000"), -1);
	for (size_t i = 0; i < N; i++) {
		size_t want = i % 7 == 0 ? i % 5 + 1 : 0;

		ck_assert_int_eq(ike_engine_peer_status(e, i, &st), 0);
		ck_assert_uint_eq(st.n_sas, want);
		ck_assert_uint_eq(st.stats.attempts, want);
		ck_assert_uint_eq(st.stats.traffic.msgs_in, want * i);
		ck_assert(want == 0 ? st.ike == NULL : strcmp(st.ike->peer, st.cfg->name) == 0);
	}
	ike_engine_free(e);
	free(cfg);
}
END_TEST

/*
 * A status costs the peer's own SAs: with 20,000 SAs of one peer in the table, 100,000
 * statuses of another peer take well under a second (a walk of the table for each
 * would be 2 x 10^9 steps).
 */
START_TEST(test_status_cost)
{
	static const struct ike_engine_ops ops = {.send = fx_discard_send};
	struct ike_peer_cfg cfg[2];
	struct ike_peer_status st;
	struct ike_settings set;
	struct timespec t0, t1;
	struct ike_sa_table *t;
	struct ike_engine *e;
	double s;

	ike_settings_default(&set);
	e = ike_engine_new(&ops, NULL, &set);
	peer_cfg(&cfg[0], "busy", "10.0.0.1");
	peer_cfg(&cfg[1], "quiet", "10.0.0.2");
	ck_assert_int_eq(ike_engine_set_peers(e, cfg, 2), 0);
	t = ike_engine_sas(e);
	for (int i = 0; i < 20000; i++) {
		struct ike_sa *sa = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);

		snprintf(sa->peer, sizeof(sa->peer), "%s", i == 10000 ? "quiet" : "busy");
		ike_sa_announce(t, sa);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(ike_engine_peer_status(e, 1, &st), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("test_peer_stats: 100000 statuses of a 1-SA peer among 20000 SAs: %.3f s\n", s);
	ck_assert_uint_eq(st.n_sas, 1);
	ck_assert_uint_eq(st.ike->conn_id, IKE_CONN_ID_FIRST + 10000);
	ck_assert(s < 1.0);
	ck_assert_int_eq(ike_engine_peer_status(e, 0, &st), 0);
	ck_assert_uint_eq(st.n_sas, 19999);
	ck_assert_uint_eq(st.ike->conn_id, IKE_CONN_ID_FIRST + 19999); /* its newest */
	ike_engine_free(e);
}
END_TEST

/*
 * At QM_IDLE an SA keeps its keys and the messages duplicates are answered from, not
 * its negotiation's public values, nonces, DH or SAi_b (a hub holds 100,000 of them);
 * a phase-2 SA, once installed, the same.
 */
START_TEST(test_established_keeps_no_negotiation)
{
	struct engine_pair pr;

	pair_init(&pr);
	negotiate(&pr);
	for (int i = 0; i < 2; i++) {
		struct ike_peer_status st;
		const struct ike_sa *sa;

		status(pr.side[i].e, &st);
		ck_assert(st.up);
		sa = st.ike;
		ck_assert_ptr_nonnull(sa->x);
		ck_assert(sa->x->have_keys);
		ck_assert_ptr_null(sa->x->neg);
		ck_assert_ptr_null(sa->x->gxi);
		ck_assert_ptr_null(sa->x->ni);
		ck_assert_ptr_null(sa->x->dh);
		ck_assert_ptr_null(sa->x->sai_b);
		ck_assert_ptr_nonnull(sa->x->rt.last_in);
		ck_assert_ptr_nonnull(sa->children);
		ck_assert_int_eq(sa->children->state, IKE_CHILD_INSTALLED);
		ck_assert_ptr_nonnull(sa->children->x);
		ck_assert_ptr_null(sa->children->x->neg);
		ck_assert_ptr_null(sa->children->x->dh);
		ck_assert_ptr_nonnull(sa->children->x->rt.last_in);
	}
	engine_pair_free(&pr);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("peer_stats");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_counts_a_negotiation);
	tcase_add_test(tc, test_established_keeps_no_negotiation);
	tcase_add_test(tc, test_survives_new_sas_and_removal);
	tcase_add_test(tc, test_counts_failures);
	tcase_add_test(tc, test_reloads);
	tcase_add_test(tc, test_many_peers_index);
	tcase_add_test(tc, test_status_cost);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
