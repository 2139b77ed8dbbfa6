/*
 * test_dhpool.c - Diffie-Hellman on worker threads (ike/dhpool.c, ike/dh_offload.c).
 *
 * The pool alone: results come back in order with one worker and all of them, right,
 * with several; a full pool refuses (back-pressure) and takes again once results are
 * taken; freeing it with jobs queued and running returns promptly; failures are told.
 * Then two real engines (engine_pair.h) with two workers each: Main Mode completes with
 * MODP-2048 and ECP-256, Aggressive Mode with ECP-256; a copy of MM3 while its job is out makes no
 * second job and gets MM4 once it is sent; a result whose SA was deleted meanwhile is dropped; an
 * MM3 whose KE is no curve point fails the SA with invalid-key-exchange, with workers and without.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/dhpool.h"
#include "ike/engine.h"
#include "ike/exchange.h"
#include "ike/ike.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/testlib.h"

#define WAIT_MS 20000 /* for one result, on a busy machine */

static struct ike_dh_job *post_new(struct ike_dhpool *p, uint32_t serial, uint16_t group)
{
	struct ike_dh_job *j = ike_dh_job_new(serial, 1, group);

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(ike_dhpool_post(p, j), 0);
	return j;
}

/* The next result, waiting for it. */
static struct ike_dh_job *take_wait(struct ike_dhpool *p)
{
	struct ike_dh_job *j;

	for (int i = 0; i < 1000; i++) {
		j = ike_dhpool_take(p);
		if (j != NULL)
			return j;
		ck_assert_int_eq(ike_dhpool_wait(p, WAIT_MS), 1);
	}
	ck_abort_msg("no result");
	return NULL;
}

START_TEST(test_one_worker_keeps_order)
{
	struct ike_dhpool *p = ike_dhpool_new(1, 0);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_ge(ike_dhpool_fd(p), 0);
	for (uint32_t i = 0; i < 20; i++)
		post_new(p, 100 + i, IKE_GROUP_ECP256);
	for (uint32_t i = 0; i < 20; i++) {
		struct ike_dh_job *j = take_wait(p);

		ck_assert_uint_eq(j->serial, 100 + i);
		ck_assert_int_eq(j->status, 0);
		ck_assert_uint_eq(j->pub_len, 64);
		ck_assert_ptr_nonnull(j->dh); /* a key pair alone is handed back */
		ike_dh_job_free(j);
	}
	ck_assert_ptr_null(ike_dhpool_take(p));
	ck_assert_uint_eq(ike_dhpool_outstanding(p), 0);
	ike_dhpool_free(p);
}
END_TEST

/* Four workers, 40 derivations against one key pair: each result once, each secret right. */
START_TEST(test_many_workers_all_right)
{
	const uint16_t group = IKE_GROUP_MODP2048;
	size_t plen = ike_dh_public_len(group), slen = ike_dh_secret_len(group);
	struct ike_dhpool *p = ike_dhpool_new(4, 0);
	struct ike_dh *me = ike_dh_new(group);
	uint8_t mine[IKE_DH_MAX_LEN], want[IKE_DH_MAX_LEN];
	bool seen[40] = {false};

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(me);
	ck_assert_int_eq(ike_dh_public(me, mine, plen), 0);
	for (uint32_t i = 0; i < 40; i++) {
		struct ike_dh_job *j = ike_dh_job_new(i, 1, group);

		ck_assert_ptr_nonnull(j);
		memcpy(j->peer, mine, plen);
		j->peer_len = plen;
		ck_assert_int_eq(ike_dhpool_post(p, j), 0);
	}
	for (int n = 0; n < 40; n++) {
		struct ike_dh_job *j = take_wait(p);

		ck_assert_uint_lt(j->serial, 40);
		ck_assert(!seen[j->serial]);
		seen[j->serial] = true;
		ck_assert_int_eq(j->status, 0);
		ck_assert_uint_eq(j->secret_len, slen);
		ck_assert_ptr_null(j->dh); /* freed once derived */
		ck_assert_int_eq(ike_dh_derive(me, j->pub, plen, want, slen), 0);
		ck_assert_mem_eq(j->secret, want, slen);
		ike_dh_job_free(j);
	}
	ck_assert_uint_eq(ike_dhpool_outstanding(p), 0);
	ike_dh_free(me);
	ike_dhpool_free(p);
}
END_TEST

START_TEST(test_full_pool_refuses)
{
	struct ike_dhpool *p = ike_dhpool_new(1, 4);
	struct ike_dh_job *extra = ike_dh_job_new(9, 1, IKE_GROUP_ECP256);

	ck_assert_ptr_nonnull(p);
	for (uint32_t i = 0; i < 4; i++)
		post_new(p, i, IKE_GROUP_ECP256);
	/* finished or not, a result not taken back still counts */
	ck_assert_int_eq(ike_dhpool_post(p, extra), -1);
	ck_assert_uint_eq(ike_dhpool_refused(p), 1);
	ck_assert_uint_eq(ike_dhpool_outstanding(p), 4);
	ike_dh_job_free(take_wait(p));
	ck_assert_int_eq(ike_dhpool_post(p, extra), 0);
	for (int i = 0; i < 4; i++)
		ike_dh_job_free(take_wait(p));
	ck_assert_uint_eq(ike_dhpool_outstanding(p), 0);
	ck_assert_uint_eq(ike_dhpool_refused(p), 1);
	ike_dhpool_free(p);
}
END_TEST

/* Freed with 60 slow jobs out: the workers finish the one in hand, the rest are wiped. */
START_TEST(test_shutdown_with_jobs_out)
{
	struct ike_dhpool *p = ike_dhpool_new(2, 0);
	struct timespec t0, t1;

	ck_assert_ptr_nonnull(p);
	for (uint32_t i = 0; i < 60; i++)
		post_new(p, i, IKE_GROUP_MODP4096);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ike_dhpool_free(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* 60 MODP-4096 key pairs take seconds; two in hand take well under one */
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 5);
	ike_dhpool_free(NULL);
}
END_TEST

START_TEST(test_failures_told)
{
	struct ike_dh_job *j = ike_dh_job_new(1, 1, IKE_GROUP_ECP256);

	ck_assert_ptr_nonnull(j);
	j->peer_len = 64; /* (0, 0) is not on the curve */
	ike_dh_job_run(j);
	ck_assert_int_eq(j->status, -2);
	ck_assert_uint_eq(j->secret_len, 0);
	ck_assert(tl_all_zero(j->secret, sizeof(j->secret)));
	ike_dh_job_free(j);
	j = ike_dh_job_new(1, 1, 5); /* MODP-1536: not ours */
	ike_dh_job_run(j);
	ck_assert_int_eq(j->status, -1);
	ike_dh_job_free(j);
	/* keep_dh: the key pair comes back with the secret */
	j = ike_dh_job_new(1, 1, IKE_GROUP_ECP256);
	ike_dh_job_run(j);
	ck_assert_int_eq(j->status, 0);
	memcpy(j->peer, j->pub, 64);
	j->peer_len = 64;
	j->keep_dh = true;
	ike_dh_job_run(j);
	ck_assert_int_eq(j->status, 0);
	ck_assert_ptr_nonnull(j->dh);
	ike_dh_job_free(j);
	ck_assert_ptr_null(ike_dhpool_new(0, 0));
	ck_assert_ptr_null(ike_dhpool_new(IKE_DHPOOL_MAX_WORKERS + 1, 0));
}
END_TEST

/* ---- two engines with workers ---- */

static void pair_init(struct engine_pair *pr, const char *ike)
{
	const struct ep_config c = {.psk = "dhpool-test-key",
	                            .ike = ike,
	                            .esp = "aes128-sha256",
	                            .name = {"b", "a"},
	                            .dh_workers = 2};

	ck_assert_int_eq(engine_pair_init(pr, &c), 0);
	ck_assert_int_ge(ike_engine_dh_fd(pr->side[0].e), 0);
}

static const struct ike_sa *first_sa(struct engine_pair *pr, int side)
{
	const struct ike_sa *sa = ike_sa_first(ike_engine_sas(pr->side[side].e));

	ck_assert_ptr_nonnull(sa);
	return sa;
}

static void negotiate(const char *ike)
{
	struct engine_pair pr;
	struct ike_dh_stats st;

	pair_init(&pr, ike);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	ck_assert_int_ge(engine_pair_run(&pr, 200), 9); /* 6 Main Mode + 3 Quick Mode */
	ck_assert_int_eq(first_sa(&pr, 0)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(first_sa(&pr, 1)->state, IKE_ST_ESTABLISHED);
	ck_assert_uint_eq(ike_engine_dh_stale(pr.side[0].e) + ike_engine_dh_stale(pr.side[1].e), 0);
	/* the initiator's key pair (MM2) and g^xy (MM4), the responder's both at once (MM3) */
	ike_engine_dh_stats(pr.side[0].e, &st);
	ck_assert_uint_eq(st.workers, 2);
	ck_assert_uint_eq(st.done, 2);
	ck_assert_uint_eq(st.queued + st.stale + st.refused, 0);
	ike_engine_dh_stats(pr.side[1].e, &st);
	ck_assert_uint_eq(st.done, 1);
	ck_assert_uint_eq(st.queued + st.stale + st.refused, 0);
	engine_pair_free(&pr);
}

START_TEST(test_main_mode_modp2048)
{
	negotiate("aes128-sha256-modp2048");
}
END_TEST

START_TEST(test_main_mode_ecp256)
{
	negotiate("aes256-sha256-ecp256");
}
END_TEST

/*
 * Quick Mode with PFS: both halves of both roles' DH.  With workers, A's key pair for QM1
 * and its g^xy at QM2 are jobs, and so are B's key pair and g^xy at QM1; the two phase-2
 * SAs get the same keys (A's inbound KEYMAT is B's outbound and back).  Without workers
 * the same, all inline.
 */
static void pfs(unsigned workers, const char *esp)
{
	const struct ep_config c = {.psk = "dhpool-test-key",
	                            .ike = "aes128-sha256-ecp256",
	                            .esp = esp,
	                            .name = {"b", "a"},
	                            .dh_workers = workers};
	struct engine_pair pr;
	struct ike_dh_stats st[2];
	const struct ike_child *ca, *cb;

	ck_assert_int_eq(engine_pair_init(&pr, &c), 0);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	ck_assert_int_ge(engine_pair_run(&pr, 200), 9);
	ck_assert_int_eq(first_sa(&pr, 0)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(first_sa(&pr, 1)->state, IKE_ST_ESTABLISHED);
	ca = first_sa(&pr, 0)->children;
	cb = first_sa(&pr, 1)->children;
	ck_assert_ptr_nonnull(ca);
	ck_assert_ptr_nonnull(cb);
	ck_assert_int_eq(ca->state, IKE_CHILD_INSTALLED);
	ck_assert_int_eq(cb->state, IKE_CHILD_INSTALLED);
	ck_assert_uint_ne(ca->xf.group, 0);
	ck_assert_uint_gt(ca->x->keymat_len, 0);
	ck_assert_uint_eq(ca->x->keymat_len, cb->x->keymat_len);
	ck_assert_mem_eq(ca->x->keymat_in, cb->x->keymat_out, ca->x->keymat_len);
	ck_assert_mem_eq(ca->x->keymat_out, cb->x->keymat_in, ca->x->keymat_len);
	for (int i = 0; i < 2; i++)
		ike_engine_dh_stats(pr.side[i].e, &st[i]);
	/* A: MM2, MM4, QM1's key pair, QM2's g^xy; B: MM3, QM1 */
	ck_assert_uint_eq(st[0].done, workers ? 4 : 0);
	ck_assert_uint_eq(st[1].done, workers ? 2 : 0);
	ck_assert_uint_eq(st[0].stale + st[1].stale + st[0].queued + st[1].queued, 0);
	engine_pair_free(&pr);
}

START_TEST(test_quick_mode_pfs)
{
	pfs(2, "aes128-sha256-modp2048");
	pfs(2, "aes128-sha256-ecp256");
	pfs(0, "aes128-sha256-modp2048");
}
END_TEST

/* Deliver datagrams one at a time until side `to` is handed one whose exchange is
 * Quick Mode (exchange type 32, at byte 18): it is then given, and the rest stay. */
static void deliver_until_qm1(struct engine_pair *pr)
{
	struct ep_dgram d;

	for (int i = 0; i < 40; i++) {
		if (!engine_pair_pop(pr, &d)) {
			ck_assert_int_eq(engine_pair_dh_settle(pr), 0);
			continue;
		}
		engine_pair_input(pr, d.to, d.buf, d.len);
		if (d.to == 1 && d.len > 18 && d.buf[18] == ISAKMP_XCHG_QUICK) {
			free(d.buf);
			return;
		}
		free(d.buf);
	}
	ck_abort_msg("no QM1 reached B");
}

/* B's PFS job for QM1 is out when its SA is deleted: the result is stale and wiped, and
 * no QM2 goes out. */
START_TEST(test_quick_mode_result_for_deleted_sa_dropped)
{
	const struct ep_config c = {.psk = "dhpool-test-key",
	                            .ike = "aes128-sha256-ecp256",
	                            .esp = "aes128-sha256-modp2048",
	                            .name = {"b", "a"},
	                            .dh_workers = 2};
	struct engine_pair pr;
	struct ike_dh_stats st;
	struct ep_dgram d;
	uint32_t id;

	ck_assert_int_eq(engine_pair_init(&pr, &c), 0);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	deliver_until_qm1(&pr);
	ck_assert_uint_eq(ike_engine_dh_pending(pr.side[1].e), 1);
	ck_assert_ptr_nonnull(first_sa(&pr, 1)->children);
	ck_assert(first_sa(&pr, 1)->children->x->dh_pending);
	id = first_sa(&pr, 1)->conn_id;
	ck_assert_int_eq(ike_engine_delete(pr.side[1].e, id, IKE_CAUSE_CLEARED), 0);
	while (engine_pair_pop(&pr, &d)) /* the DELETEs */
		free(d.buf);
	ck_assert_int_eq(engine_pair_dh_settle(&pr), 0);
	ike_engine_dh_stats(pr.side[1].e, &st);
	ck_assert_uint_eq(st.stale, 1);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(pr.len, 0); /* no QM2 */
	engine_pair_free(&pr);
}
END_TEST

/* Aggressive Mode: with workers B answers AM1 from one, and A's key pair for AM1 and its
 * g^xy at AM2 are jobs too; without workers the same inline. */
static void aggressive(unsigned workers, const char *ike)
{
	const struct ep_config c = {.psk = "dhpool-test-key",
	                            .ike = ike,
	                            .esp = "aes128-sha256",
	                            .name = {"b", "a"},
	                            .dh_workers = workers};
	struct engine_pair pr;
	struct ike_dh_stats st;

	ck_assert_int_eq(engine_pair_init(&pr, &c), 0);
	pr.side[0].cfg.exchange = ISAKMP_XCHG_AGGR;
	pr.side[1].cfg.aggressive = true;
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(ike_engine_set_peers(pr.side[i].e, &pr.side[i].cfg, 1), 0);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	ck_assert_int_ge(engine_pair_run(&pr, 200), 6);
	ck_assert_int_eq(first_sa(&pr, 0)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(first_sa(&pr, 1)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(first_sa(&pr, 0)->exchange, ISAKMP_XCHG_AGGR);
	ck_assert_int_eq(first_sa(&pr, 1)->exchange, ISAKMP_XCHG_AGGR);
	ike_engine_dh_stats(pr.side[1].e, &st);
	ck_assert_uint_eq(st.done, workers ? 1 : 0); /* AM1's key pair and g^xy */
	ike_engine_dh_stats(pr.side[0].e, &st);
	ck_assert_uint_eq(st.done, workers ? 2 : 0); /* AM1's key pair, AM2's g^xy */
	ck_assert_uint_eq(st.stale + st.queued, 0);
	engine_pair_free(&pr);
}

START_TEST(test_aggressive_mode)
{
	aggressive(2, "aes128-sha256-ecp256");
	aggressive(2, "aes128-sha256-modp2048");
	aggressive(0, "aes128-sha256-modp2048");
}
END_TEST

/* Deliver MM1 and MM2, let A's key pair come: MM3 is the only datagram queued. */
static void up_to_mm3(struct engine_pair *pr, struct ep_dgram *mm3)
{
	struct ep_dgram d;

	ck_assert_int_gt(ike_engine_initiate(pr->side[0].e, "b"), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert(engine_pair_pop(pr, &d));
		engine_pair_input(pr, d.to, d.buf, d.len);
		free(d.buf);
	}
	/* with workers, MM3 waits for A's key pair; without, it is sent at once */
	ck_assert_uint_eq(pr->len, ike_engine_dh_fd(pr->side[0].e) >= 0 ? 0 : 1);
	ck_assert_int_eq(engine_pair_dh_settle(pr), 0);
	ck_assert(engine_pair_pop(pr, mm3));
	ck_assert_int_eq(mm3->to, 1);
	ck_assert_uint_eq(pr->len, 0);
}

START_TEST(test_mm3_copy_while_pending)
{
	struct engine_pair pr;
	struct ep_dgram mm3, d;

	pair_init(&pr, "aes128-sha256-modp2048");
	up_to_mm3(&pr, &mm3);
	engine_pair_input(&pr, 1, mm3.buf, mm3.len);
	engine_pair_input(&pr, 1, mm3.buf, mm3.len); /* the peer retransmits */
	ck_assert_uint_le(ike_engine_dh_pending(pr.side[1].e), 1);
	ck_assert_uint_eq(pr.len, 0); /* no answer yet, and not MM2 again */
	ck_assert_int_eq(engine_pair_dh_settle(&pr), 0);
	ck_assert_uint_eq(pr.len, 1); /* one MM4 */
	ck_assert_int_eq(first_sa(&pr, 1)->state, IKE_ST_MAIN_R2);
	/* a copy now gets MM4 again, without a job */
	engine_pair_input(&pr, 1, mm3.buf, mm3.len);
	ck_assert_uint_eq(ike_engine_dh_pending(pr.side[1].e), 0);
	ck_assert_uint_eq(pr.len, 2);
	ck_assert(engine_pair_pop(&pr, &d));
	ck_assert_uint_eq(pr.q[pr.head].len, d.len);
	ck_assert_mem_eq(pr.q[pr.head].buf, d.buf, d.len);
	free(d.buf);
	free(mm3.buf);
	ck_assert_int_gt(engine_pair_run(&pr, 200), 0);
	ck_assert_int_eq(first_sa(&pr, 0)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(first_sa(&pr, 1)->state, IKE_ST_ESTABLISHED);
	engine_pair_free(&pr);
}
END_TEST

START_TEST(test_result_for_deleted_sa_dropped)
{
	struct engine_pair pr;
	struct ep_dgram mm3;
	struct ike_dh_stats st;
	uint32_t id;

	pair_init(&pr, "aes128-sha256-modp2048");
	up_to_mm3(&pr, &mm3);
	engine_pair_input(&pr, 1, mm3.buf, mm3.len);
	free(mm3.buf);
	id = first_sa(&pr, 1)->conn_id;
	ck_assert_int_eq(ike_engine_delete(pr.side[1].e, id, IKE_CAUSE_CLEARED), 0);
	ck_assert_int_eq(engine_pair_dh_settle(&pr), 0);
	ck_assert_uint_eq(ike_engine_dh_stale(pr.side[1].e), 1);
	ike_engine_dh_stats(pr.side[1].e, &st);
	ck_assert_uint_eq(st.stale, 1);
	ck_assert_uint_eq(st.done + st.queued, 0);
	ck_assert_uint_eq(pr.len, 0); /* no MM4 for a deleted SA */
	ck_assert_int_eq(ike_sa_by_conn_id(ike_engine_sas(pr.side[1].e), id)->state,
	                 IKE_ST_DELETED);
	engine_pair_free(&pr);
}
END_TEST

/* MM3 with a KE that is no point of the curve: the worker's derivation fails, and the
 * responder fails the SA with invalid-key-exchange and tells the initiator, as inline. */
static void unusable_ke(unsigned workers)
{
	const struct ep_config c = {.psk = "dhpool-test-key",
	                            .ike = "aes128-sha256-ecp256",
	                            .esp = "aes128-sha256",
	                            .name = {"b", "a"},
	                            .dh_workers = workers};
	struct engine_pair pr;
	struct ep_dgram mm3;

	ck_assert_int_eq(engine_pair_init(&pr, &c), 0);
	up_to_mm3(&pr, &mm3);
	/* MM3 = HDR, KE (first: the header's next payload), NONCE ...: zero KE's 64 bytes */
	ck_assert_uint_eq(mm3.buf[16], ISAKMP_NP_KE);
	ck_assert_uint_ge(mm3.len, 28 + 4 + 64);
	memset(mm3.buf + 28 + 4, 0, 64);
	engine_pair_input(&pr, 1, mm3.buf, mm3.len);
	free(mm3.buf);
	ck_assert_int_eq(engine_pair_dh_settle(&pr), 0);
	ck_assert_int_eq(first_sa(&pr, 1)->state, IKE_ST_DELETED);
	ck_assert_int_eq(first_sa(&pr, 1)->last_cause, IKE_CAUSE_INVALID_KE);
	ck_assert_uint_eq(pr.len, 1); /* INVALID-KEY-INFORMATION */
	ck_assert_uint_eq(ike_engine_dh_stale(pr.side[1].e), 0);
	engine_pair_free(&pr);
}

START_TEST(test_unusable_ke)
{
	unusable_ke(2);
	unusable_ke(0);
}
END_TEST

/*
 * Back-pressure in the engine: with room for one job, A's second MM2 finds the pool full
 * and is dropped (its SA unchanged); A's retransmission of MM1 brings MM2 again from B,
 * and then both SAs come up.
 */
START_TEST(test_full_pool_drops_message)
{
	const struct ep_config c = {.psk = "dhpool-test-key",
	                            .ike = "aes128-sha256-ecp256",
	                            .esp = "aes128-sha256",
	                            .name = {"b", "a"},
	                            .dh_workers = 1,
	                            .dh_max_jobs = 1};
	struct engine_pair pr;
	struct ep_dgram d;
	struct ike_dh_stats st;
	const struct ike_sa *s;
	int up = 0;

	ck_assert_int_eq(engine_pair_init(&pr, &c), 0);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	for (int i = 0; i < 4; i++) { /* MM1, MM1 to B; MM2, MM2 to A */
		ck_assert(engine_pair_pop(&pr, &d));
		engine_pair_input(&pr, d.to, d.buf, d.len);
		free(d.buf);
	}
	ck_assert_uint_eq(ike_engine_dh_pending(pr.side[0].e), 1);
	ike_engine_dh_stats(pr.side[0].e, &st);
	ck_assert_uint_eq(st.refused, 1);
	ck_assert_uint_eq(st.queued, 1);
	ck_assert_int_eq(engine_pair_dh_settle(&pr), 0);
	ck_assert_uint_eq(pr.len, 1); /* one MM3: the other MM2 was dropped */
	/* after the first retransmission timeout A resends MM1 for the SA still at MAIN_I1 */
	ike_engine_clock_advance_ms(1500);
	ike_engine_run_timers(pr.side[0].e);
	ck_assert_uint_ge(pr.len, 2); /* and MM3 again, for the other: its timer ran too */
	ck_assert_int_ge(engine_pair_run(&pr, 400), 10);
	for (s = ike_sa_first(ike_engine_sas(pr.side[0].e)); s != NULL; s = s->next)
		up += s->state == IKE_ST_ESTABLISHED;
	ck_assert_int_eq(up, 2);
	engine_pair_free(&pr);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dhpool");
	TCase *tc = tcase_create("pool");
	TCase *te = tcase_create("engine");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_one_worker_keeps_order);
	tcase_add_test(tc, test_many_workers_all_right);
	tcase_add_test(tc, test_full_pool_refuses);
	tcase_add_test(tc, test_shutdown_with_jobs_out);
	tcase_add_test(tc, test_failures_told);
	suite_add_tcase(s, tc);
	tcase_set_timeout(te, 120);
	tcase_add_test(te, test_main_mode_modp2048);
	tcase_add_test(te, test_main_mode_ecp256);
	tcase_add_test(te, test_aggressive_mode);
	tcase_add_test(te, test_mm3_copy_while_pending);
	tcase_add_test(te, test_result_for_deleted_sa_dropped);
	tcase_add_test(te, test_unusable_ke);
	tcase_add_test(te, test_full_pool_drops_message);
	tcase_add_test(te, test_quick_mode_pfs);
	tcase_add_test(te, test_quick_mode_result_for_deleted_sa_dropped);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
