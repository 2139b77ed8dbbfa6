/*
 * test_failhist.c - the failure history (agent/failhist.c) fed by a real engine: SAs and
 * Quick Modes are driven through the engine's choke points (ike_sa_set_state,
 * ike_sa_fail, ike_child_fail), whose events the history hears, as in ikemond.
 *
 * Checked: what an entry holds for a phase-1 and a phase-2 failure; consecutive indexes
 * that never repeat; the bound (oldest dropped, also when it shrinks or grows); lookups
 * by position and by index; subscribers told after the entry is stored; a bound of 0.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/failhist.h"
#include "ike/ike.h"
#include "tests/unit/ike_fixture.h"
#include "tests/unit/testlib.h"

/* ---------------------------------------------------------------- an engine */

static struct ike_engine *engine(void)
{
	static const struct ike_engine_ops ops = {.send = fx_discard_send};
	struct ike_settings set;
	struct ike_engine *e;

	ike_settings_default(&set);
	e = ike_engine_new(&ops, NULL, &set);
	ck_assert_ptr_nonnull(e);
	return e;
}

static struct ike_sa *new_sa(struct ike_engine *e, const char *peer, const char *remote)
{
	struct ike_sa *sa = fx_new_sa(ike_engine_sas(e), peer, remote, IKE_ROLE_RESPONDER);

	ck_assert_ptr_nonnull(sa);
	return sa;
}

/* A responder SA failing in MM_KEY_EXCH (MAIN_R2) with a cause. */
static struct ike_sa *fail_p1(struct ike_engine *e, const char *peer, enum ike_cause cause,
                              const char *detail)
{
	struct ike_sa_table *t = ike_engine_sas(e);
	struct ike_sa *sa = new_sa(e, peer, "127.0.0.3");

	ck_assert_int_eq(ike_sa_set_state(t, sa, IKE_ST_MAIN_R1), 0);
	ck_assert_int_eq(ike_sa_set_state(t, sa, IKE_ST_MAIN_R2), 0);
	ike_sa_fail(t, sa, cause, detail);
	ike_sa_mark_deleted(t, sa, cause);
	return sa;
}

/* ---------------------------------------------------------------- subscribers */

struct heard {
	struct failhist *h;
	uint32_t index[64];
	size_t n;
	bool stored_first; /* every entry could be looked up when we heard of it */
};

static void on_failure(void *ctx, const struct failhist_entry *f)
{
	struct heard *w = ctx;
	const struct failhist_entry *found = failhist_by_index(w->h, f->index);

	if (failhist_max(w->h) > 0 && (found == NULL || found != f))
		w->stored_first = false;
	if (w->n < 64)
		w->index[w->n++] = f->index;
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_phase1_entry)
{
	struct ike_engine *e = engine();
	struct failhist *h = failhist_new(e, FAILHIST_DEFAULT_MAX);
	const struct failhist_entry *f;
	struct ike_sa *sa;
	char addr[INET_ADDRSTRLEN];
	time_t before = time(NULL);

	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(failhist_max(h), FAILHIST_DEFAULT_MAX);
	ck_assert_uint_eq(failhist_count(h), 0);
	ck_assert_ptr_null(failhist_at(h, 0));
	ck_assert_ptr_null(failhist_by_index(h, 1));
	sa = fail_p1(e, "spoke2", IKE_CAUSE_KEY_MISMATCH, "MM5 from the peer does not decrypt");
	ck_assert_uint_eq(failhist_count(h), 1);
	f = failhist_at(h, 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_eq(failhist_by_index(h, 1), f);
	ck_assert_uint_eq(f->index, 1);
	ck_assert_str_eq(f->peer, "spoke2");
	ck_assert_uint_eq(f->conn_id, sa->conn_id);
	ck_assert_int_eq(f->remote.ss_family, AF_INET);
	inet_ntop(AF_INET, &((const struct sockaddr_in *)&f->remote)->sin_addr, addr, sizeof(addr));
	ck_assert_str_eq(addr, "127.0.0.3");
	ck_assert_int_eq(f->state, CISCO_MM_KEY_EXCH);
	ck_assert_uint_eq(f->phase, 1);
	ck_assert_uint_eq(f->child_index, 0);
	ck_assert_int_eq(f->cause, IKE_CAUSE_KEY_MISMATCH);
	ck_assert_str_eq(f->detail, "MM5 from the peer does not decrypt");
	ck_assert(f->when >= before && f->when <= time(NULL));
	/* deletion and removal are not failures; the entry outlives the SA */
	ike_sa_remove(ike_engine_sas(e), sa);
	ck_assert_uint_eq(failhist_count(h), 1);
	ck_assert_str_eq(failhist_at(h, 0)->peer, "spoke2");
	ike_engine_free(e);
	failhist_free(h);
}
END_TEST

START_TEST(test_phase2_entry)
{
	struct ike_engine *e = engine();
	struct failhist *h = failhist_new(e, 10);
	struct ike_sa_table *t = ike_engine_sas(e);
	struct ike_sa *sa = new_sa(e, "spoke1", "127.0.0.2");
	struct ike_child *c;
	const struct failhist_entry *f;
	static const enum ike_state up[] = {IKE_ST_MAIN_R1, IKE_ST_MAIN_R2, IKE_ST_MAIN_R3,
	                                    IKE_ST_ESTABLISHED};

	ck_assert_int_eq(fx_walk(t, sa, up, 4), 0);
	ike_child_create(t, sa, IKE_ROLE_INITIATOR, 0x1111);
	c = ike_child_create(t, sa, IKE_ROLE_INITIATOR, 0x2222);
	ck_assert_ptr_nonnull(c);
	ike_child_fail(t, sa, c, IKE_CAUSE_PFS_MISMATCH, "the peer wants PFS");
	ck_assert_uint_eq(failhist_count(h), 1);
	f = failhist_by_index(h, 1);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->peer, "spoke1");
	ck_assert_uint_eq(f->conn_id, sa->conn_id);
	ck_assert_int_eq(f->state, CISCO_QM_IDLE);
	ck_assert_uint_eq(f->phase, 2);
	ck_assert_uint_eq(f->child_index, c->index);
	ck_assert_uint_eq(f->child_index, 2);
	ck_assert_int_eq(f->cause, IKE_CAUSE_PFS_MISMATCH);
	ck_assert_str_eq(f->detail, "the peer wants PFS");
	ike_engine_free(e);
	failhist_free(h);
}
END_TEST

START_TEST(test_bound_and_indexes)
{
	struct ike_engine *e = engine();
	struct failhist *h = failhist_new(e, 3);
	struct heard w = {.h = h, .stored_first = true};
	char peer[16];

	ck_assert_int_eq(failhist_subscribe(h, on_failure, &w), 0);
	for (int i = 1; i <= 5; i++) {
		snprintf(peer, sizeof(peer), "p%d", i);
		fail_p1(e, peer, IKE_CAUSE_PEER_SILENT, "no reply to MM1");
	}
	ck_assert_uint_eq(failhist_count(h), 3);
	ck_assert_uint_eq(failhist_at(h, 0)->index, 3);
	ck_assert_str_eq(failhist_at(h, 0)->peer, "p3");
	ck_assert_uint_eq(failhist_at(h, 2)->index, 5);
	ck_assert_ptr_null(failhist_at(h, 3));
	ck_assert_ptr_null(failhist_by_index(h, 0));
	ck_assert_ptr_null(failhist_by_index(h, 2)); /* dropped */
	ck_assert_str_eq(failhist_by_index(h, 4)->peer, "p4");
	ck_assert_ptr_null(failhist_by_index(h, 6)); /* not yet */
	ck_assert_ptr_null(failhist_by_index(h, UINT32_MAX));
	/* subscribers heard of each, in order, after it was stored */
	ck_assert_uint_eq(w.n, 5);
	for (size_t i = 0; i < w.n; i++)
		ck_assert_uint_eq(w.index[i], i + 1);
	ck_assert(w.stored_first);

	/* grow: nothing is lost, the next ones are kept */
	failhist_set_max(h, 40);
	ck_assert_uint_eq(failhist_max(h), 40);
	for (int i = 6; i <= 45; i++) {
		snprintf(peer, sizeof(peer), "p%d", i);
		fail_p1(e, peer, IKE_CAUSE_PEER_SILENT, "");
	}
	ck_assert_uint_eq(failhist_count(h), 40);
	ck_assert_uint_eq(failhist_at(h, 0)->index, 6);
	for (size_t i = 0; i < 40; i++) {
		snprintf(peer, sizeof(peer), "p%zu", i + 6);
		ck_assert_str_eq(failhist_at(h, i)->peer, peer);
		ck_assert_ptr_eq(failhist_by_index(h, (uint32_t)(i + 6)), failhist_at(h, i));
	}
	/* shrink: the newest stay */
	failhist_set_max(h, 4);
	ck_assert_uint_eq(failhist_count(h), 4);
	ck_assert_uint_eq(failhist_at(h, 0)->index, 42);
	ck_assert_str_eq(failhist_at(h, 3)->peer, "p45");
	fail_p1(e, "p46", IKE_CAUSE_ID_MISMATCH, "");
	ck_assert_uint_eq(failhist_count(h), 4);
	ck_assert_uint_eq(failhist_at(h, 0)->index, 43);
	ck_assert_uint_eq(failhist_at(h, 3)->index, 46);
	ck_assert(w.stored_first);
	ike_engine_free(e);
	failhist_free(h);
}
END_TEST

START_TEST(test_bound_zero)
{
	struct ike_engine *e = engine();
	struct failhist *h = failhist_new(e, 0);
	struct heard w = {.h = h, .stored_first = true};

	ck_assert_int_eq(failhist_subscribe(h, on_failure, &w), 0);
	fail_p1(e, "a", IKE_CAUSE_PEER_SILENT, "");
	fail_p1(e, "b", IKE_CAUSE_PEER_SILENT, "");
	ck_assert_uint_eq(failhist_count(h), 0);
	ck_assert_ptr_null(failhist_by_index(h, 1));
	/* nothing kept, yet subscribers (the notifications) hear of each, numbered */
	ck_assert_uint_eq(w.n, 2);
	ck_assert_uint_eq(w.index[0], 1);
	ck_assert_uint_eq(w.index[1], 2);
	/* a bound past the maximum is the maximum */
	failhist_set_max(h, FAILHIST_MAX_MAX + 5);
	ck_assert_uint_eq(failhist_max(h), FAILHIST_MAX_MAX);
	fail_p1(e, "c", IKE_CAUSE_PEER_SILENT, "");
	ck_assert_uint_eq(failhist_count(h), 1);
	ck_assert_uint_eq(failhist_at(h, 0)->index, 3);
	ike_engine_free(e);
	failhist_free(h);
}
END_TEST

START_TEST(test_subscribers_limit)
{
	struct ike_engine *e = engine();
	struct failhist *h = failhist_new(e, 5);
	struct heard w = {.h = h, .stored_first = true};

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(failhist_subscribe(h, on_failure, &w), 0);
	ck_assert_int_eq(failhist_subscribe(h, on_failure, &w), -1);
	ck_assert_int_eq(failhist_subscribe(h, NULL, &w), -1);
	fail_p1(e, "a", IKE_CAUSE_PEER_SILENT, "");
	ck_assert_uint_eq(w.n, 4); /* four subscribers, one failure each */
	ike_engine_free(e);
	failhist_free(h);
}
END_TEST

static Suite *failhist_suite(void)
{
	Suite *s = suite_create("failhist");
	TCase *tc = tcase_create("history");

	tcase_add_test(tc, test_phase1_entry);
	tcase_add_test(tc, test_phase2_entry);
	tcase_add_test(tc, test_bound_and_indexes);
	tcase_add_test(tc, test_bound_zero);
	tcase_add_test(tc, test_subscribers_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(failhist_suite());
}
