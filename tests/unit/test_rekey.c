/*
 * test_rekey.c - rekeying (ike/rekey.c): when (margin, fuzz, their clamping for short
 * lifetimes, initiator before responder), and what happens, between two real engines in
 * memory (engine_pair.h): A (side 0, the initiator) and B (side 1).
 *
 * Time is moved on with ike_engine_clock_advance_ms(), so nothing sleeps.  What is
 * checked: a phase-2 rekey makes a new Quick Mode in time, the old phase-2 SA is deleted
 * with cause replaced at both ends, the new SPIs differ; a phase-1 rekey makes a new Main
 * Mode without INITIAL-CONTACT, moves phase 2 to it and deletes the old ISAKMP SA with
 * cause replaced; the peer is up after every datagram throughout; the counters survive
 * and count the rekeys; rekey = no lets the SAs expire; a rekey that fails (the peer's
 * key changed) leaves the old SA up, is counted, and the old SA then expires; a phase-1
 * SA made by Aggressive Mode is rekeyed by Aggressive Mode.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/stall.h"
#include "ike/engine.h"
#include "ike/ike.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/testlib.h"

#define PUMP_MAX 400
#define PSK      "rekey-test-key"
#define IKE      "aes128-sha256-ecp256"
#define ESP      "aes128-sha256"
#define IKE_LIFE 30 /* s */
#define ESP_LIFE 15 /* s */
#define MARGIN   3  /* s */

/* ---------------------------------------------------------------- timing */

START_TEST(test_timing_defaults)
{
	uint64_t lo = (3600 - 540 - 540) * 1000ull, hi = (3600 - 540) * 1000ull;

	/* fuzz 0: exactly lifetime - margin */
	ck_assert_uint_eq(ike_rekey_after_ms(3600, 540, 0, true, 12345), hi);
	/* fuzz 100 %: anywhere in [lifetime - 2 margin, lifetime - margin], both ends reached */
	ck_assert_uint_eq(ike_rekey_after_ms(3600, 540, 100, true, 0), hi);
	ck_assert_uint_eq(ike_rekey_after_ms(3600, 540, 100, true, 540000), lo);
	for (uint32_t r = 1; r < 2000000; r = r * 3 + 7) {
		uint64_t t = ike_rekey_after_ms(3600, 540, 100, true, r * 2654435761u);

		ck_assert_uint_ge(t, lo);
		ck_assert_uint_le(t, hi);
	}
	/* the responder waits until half the margin is left, after any initiator */
	ck_assert_uint_eq(ike_rekey_after_ms(3600, 540, 100, false, 99), (3600 - 270) * 1000ull);
	ck_assert_uint_gt(ike_rekey_after_ms(28800, 540, 100, false, 0),
	                  ike_rekey_after_ms(28800, 540, 100, true, 0));
	printf("timing: 3600 s, margin 540 s, fuzz 100 %%: initiator in [2520, 3060] s, responder "
	       "at 3330 s\n");
}
END_TEST

START_TEST(test_timing_clamped)
{
	/* margin 540 s on a 30 s lifetime: margin and fuzz a third each, rekey in [10, 20] s */
	for (uint32_t r = 0; r < 100000; r += 997) {
		uint64_t t = ike_rekey_after_ms(30, 540, 100, true, r);

		ck_assert_uint_ge(t, 10000);
		ck_assert_uint_le(t, 20000);
	}
	ck_assert_uint_eq(ike_rekey_after_ms(30, 540, 100, false, 0), 25000);
	/* 15 s, margin 3 s: [9, 12] s; responder at 13.5 s, still before expiry */
	ck_assert_uint_eq(ike_rekey_after_ms(15, 3, 100, true, 0), 12000);
	ck_assert_uint_eq(ike_rekey_after_ms(15, 3, 100, true, 3000), 9000);
	ck_assert_uint_eq(ike_rekey_after_ms(15, 3, 100, false, 0), 13500);
	/* a huge fuzz is clamped to a third of the lifetime: never before a third of it */
	ck_assert_uint_eq(ike_rekey_after_ms(3600, 540, 1000, true, 1200000), 1860000);
	for (uint32_t life = 10; life < 100000; life = life * 2 + 1)
		for (uint32_t r = 0; r < 5; r++) {
			uint64_t t = ike_rekey_after_ms(life, 86400, 1000, true, r * 0x9e3779b9u);

			ck_assert_uint_ge(t, (uint64_t)life * 1000 / 3);
			ck_assert_uint_lt(t, (uint64_t)life * 1000);
			ck_assert_uint_lt(ike_rekey_after_ms(life, 86400, 0, false, r),
			                  (uint64_t)life * 1000);
		}
	printf("timing: clamped for short lifetimes: 30 s / margin 540 s rekeys in [10, 20] s; "
	       "15 s / 3 s in [9, 12] s; never before a third of the lifetime\n");
}
END_TEST

/* ---------------------------------------------------------------- two engines */

struct scene {
	struct engine_pair pr;
	bool up_always;           /* both peers were up after every datagram */
	struct stall_detector *d; /* side 0's stall detector (agent/stall.c) */
};

static void scene_init(struct scene *s, uint8_t rekey)
{
	struct ep_config c = {.psk = PSK, .ike = IKE, .esp = ESP, .name = {"b", "a"}};
	struct ike_settings set;
	struct stall_settings ss;

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(engine_pair_init(&s->pr, &c), 0);
	ike_settings_default(&set);
	set.retransmit_timeout_ms = 100; /* a failed rekey gives up within 0.7 s */
	set.retransmit_tries = 2;
	for (int i = 0; i < 2; i++) {
		struct ike_peer_cfg *p = &s->pr.side[i].cfg;

		p->ike_lifetime = IKE_LIFE;
		p->ipsec_lifetime_s = ESP_LIFE;
		p->rekey = rekey;
		p->rekey_margin_s = MARGIN;
		p->rekey_fuzz_set = true;
		p->rekey_fuzz_pct = 0; /* the times are then exact */
		ike_engine_set_settings(s->pr.side[i].e, &set);
		ck_assert_int_eq(ike_engine_set_peers(s->pr.side[i].e, p, 1), 0);
	}
	s->up_always = true;
	stall_settings_default(&ss);
	s->d = stall_new(s->pr.side[0].e, &ss);
	ck_assert_ptr_nonnull(s->d);
}

/* Both sides take their configuration again (a reload: SAs kept, since nothing that
 * matters to them changed). */
static void reload(struct scene *s)
{
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(ike_engine_set_peers(s->pr.side[i].e, &s->pr.side[i].cfg, 1), 0);
}

static void scene_free(struct scene *s)
{
	stall_free(s->d);
	engine_pair_free(&s->pr);
}

static struct ike_peer_status status(struct scene *s, int i)
{
	struct ike_peer_status st;

	ck_assert_int_eq(ike_engine_peer_status(s->pr.side[i].e, 0, &st), 0);
	return st;
}

/* Deliver every datagram, one at a time, noting whether both peers stay up. */
static int pump(struct scene *s)
{
	struct ep_dgram d;
	enum ike_cause why;
	int n = 0;

	while (engine_pair_pop(&s->pr, &d)) {
		ck_assert_int_lt(n++, PUMP_MAX);
		engine_pair_input(&s->pr, d.to, d.buf, d.len);
		free(d.buf);
		stall_run(s->d);
		/* both engines' view, and side 0's stall detector (the MIB's ikemonPeerStatus) */
		s->up_always = s->up_always && status(s, 0).up && status(s, 1).up &&
		               stall_peer_health(s->d, 0, &why, NULL) == PEER_UP;
	}
	return n;
}

/* Move the clock on in steps of 100 ms, running both sides' timers and their traffic. */
static void tick(struct scene *s, uint64_t ms)
{
	for (uint64_t done = 0; done < ms; done += 100) {
		ike_engine_clock_advance_ms(100);
		for (int i = 0; i < 2; i++) {
			(void)ike_engine_next_timeout_ms(s->pr.side[i].e);
			ike_engine_run_timers(s->pr.side[i].e);
		}
		stall_run(s->d);
		pump(s);
	}
}

static const struct ike_sa *sa_by(struct scene *s, int i, uint32_t conn_id)
{
	return ike_sa_by_conn_id(ike_engine_sas(s->pr.side[i].e), conn_id);
}

static const struct ike_sa *newest(struct scene *s, int i)
{
	const struct ike_sa *last = NULL;

	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(s->pr.side[i].e)); sa != NULL;
	     sa = sa->next)
		last = sa;
	ck_assert_ptr_nonnull(last);
	return last;
}

/* Children of side i in any SA: installed ones, and deleted ones with cause why. */
static void count_children(struct scene *s, int i, size_t *installed, size_t *deleted,
                           enum ike_cause why)
{
	*installed = *deleted = 0;
	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(s->pr.side[i].e)); sa != NULL;
	     sa = sa->next)
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next) {
			*installed += c->state == IKE_CHILD_INSTALLED;
			*deleted += c->state == IKE_CHILD_DELETED && c->delete_reason == why;
		}
}

static uint32_t establish(struct scene *s)
{
	long id = ike_engine_initiate(s->pr.side[0].e, "b");

	ck_assert_int_gt(id, 0);
	ck_assert_int_ge(pump(s), 6); /* 3 (Aggressive) or 6 (Main), and Quick Mode */
	ck_assert(status(s, 0).up);
	ck_assert(status(s, 1).up);
	s->up_always = true; /* from now on */
	return (uint32_t)id;
}

START_TEST(test_phase2_rekey)
{
	struct scene s;
	uint32_t id, spi_old, spi_new;
	size_t inst, del;
	const struct ike_sa *a;

	scene_init(&s, IKE_REKEY_YES);
	id = establish(&s);
	a = sa_by(&s, 0, id);
	spi_old = a->children->spi_in;
	/* A started the Quick Mode: it rekeys at 15 - 3 = 12 s; nothing before */
	tick(&s, 11500);
	ck_assert_uint_eq(status(&s, 0).stats.rekeys_ipsec, 0);
	tick(&s, 1000);
	ck_assert(s.up_always);
	for (int i = 0; i < 2; i++) {
		struct ike_peer_status st = status(&s, i);

		count_children(&s, i, &inst, &del, IKE_CAUSE_REPLACED);
		ck_assert_uint_eq(inst, 1);
		ck_assert_uint_eq(del, 1);
		ck_assert_uint_eq(st.stats.rekeys_ipsec, 1);
		ck_assert_uint_eq(st.stats.rekeys_ike, 0);
		ck_assert_uint_eq(st.stats.rekeys_failed, 0);
		ck_assert_uint_eq(st.stats.attempts, 1);
	}
	/* the new one is the second of the same ISAKMP SA, with a new SPI */
	ck_assert_int_eq(a->children->state, IKE_CHILD_DELETED);
	ck_assert_ptr_nonnull(a->children->next);
	spi_new = a->children->next->spi_in;
	ck_assert_int_eq(a->children->next->state, IKE_CHILD_INSTALLED);
	ck_assert_uint_ne(spi_new, spi_old);
	/* and again 12 s later */
	tick(&s, 12000);
	ck_assert(s.up_always);
	ck_assert_uint_eq(status(&s, 0).stats.rekeys_ipsec, 2);
	ck_assert_uint_eq(status(&s, 1).stats.rekeys_ipsec, 2);
	printf("phase 2: rekeyed at 12 s and 24 s of 15 s, old SPI %08x replaced by %08x, old "
	       "deleted with cause replaced at both ends, peer up after every datagram\n",
	       spi_old, spi_new);
	scene_free(&s);
}
END_TEST

START_TEST(test_phase1_rekey)
{
	struct scene s;
	uint32_t id;
	const struct ike_sa *a_old, *b_old, *a_new, *b_new;
	size_t inst, del;

	scene_init(&s, IKE_REKEY_YES);
	id = establish(&s);
	a_old = sa_by(&s, 0, id);
	b_old = newest(&s, 1);
	/* ISAKMP SA rekeyed by A at 30 - 3 = 27 s (phase 2 twice before, at 12 and 24 s) */
	tick(&s, 26500);
	ck_assert_int_eq(a_old->state, IKE_ST_ESTABLISHED);
	ck_assert_uint_eq(status(&s, 0).stats.rekeys_ike, 0);
	tick(&s, 1500);
	ck_assert(s.up_always);
	a_new = newest(&s, 0);
	b_new = newest(&s, 1);
	ck_assert(a_new != a_old && b_new != b_old);
	ck_assert_int_eq(a_new->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(b_new->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(a_new->role, IKE_ROLE_INITIATOR);
	ck_assert_uint_eq(a_new->replaces, id);
	ck_assert(!b_new->initial_contact); /* no INITIAL-CONTACT on a rekey */
	ck_assert_int_eq(a_old->state, IKE_ST_DELETED);
	ck_assert_int_eq(a_old->delete_reason, IKE_CAUSE_REPLACED);
	ck_assert_int_eq(b_old->state, IKE_ST_DELETED);
	ck_assert_int_eq(b_old->delete_reason, IKE_CAUSE_REPLACED);
	ck_assert_int_eq(b_new->children->state, IKE_CHILD_INSTALLED);
	for (int i = 0; i < 2; i++) {
		struct ike_peer_status st = status(&s, i);

		ck_assert(st.up);
		ck_assert_uint_eq(st.stats.rekeys_ike, 1);
		ck_assert_uint_eq(st.stats.rekeys_ipsec, 3); /* 12 s, 24 s, and onto the new SA */
		ck_assert_uint_eq(st.stats.established, 2);
		ck_assert_uint_eq(st.stats.attempts, 2);
		ck_assert_uint_eq(st.stats.failed, 0);
		ck_assert_ptr_eq(st.ike, i == 0 ? a_new : b_new);
		count_children(&s, i, &inst, &del, IKE_CAUSE_REPLACED);
		ck_assert_uint_eq(inst, 1);
		ck_assert_uint_eq(del, 3);
	}
	ck_assert_uint_eq(ike_sa_table_counters(ike_engine_sas(s.pr.side[1].e))->initial_contact,
	                  0);
	/* the new one rekeys in its turn */
	tick(&s, 27000);
	ck_assert(s.up_always);
	ck_assert_uint_eq(status(&s, 0).stats.rekeys_ike, 2);
	ck_assert_uint_eq(status(&s, 1).stats.rekeys_ike, 2);
	ck_assert_uint_eq(stall_active_count(s.d), 0);
	ck_assert_uint_eq(stall_last_seq(s.d), 0); /* nothing raised, ever */
	printf("phase 1: rekeyed at 27 s of 30 s by a new Main Mode without INITIAL-CONTACT; "
	       "phase 2 moved; old ISAKMP SA deleted with cause replaced at both ends; twice; "
	       "peer up after every datagram, counters kept\n");
	scene_free(&s);
}
END_TEST

START_TEST(test_aggressive_rekey)
{
	struct scene s;
	uint32_t id;
	const struct ike_sa *a_new;

	scene_init(&s, IKE_REKEY_YES);
	/* A initiates Aggressive Mode, B answers it: the rekey is an Aggressive Mode too */
	s.pr.side[0].cfg.exchange = ISAKMP_XCHG_AGGR;
	s.pr.side[1].cfg.aggressive = true;
	reload(&s);
	id = establish(&s);
	ck_assert_int_eq(sa_by(&s, 0, id)->exchange, ISAKMP_XCHG_AGGR);
	tick(&s, 28000);
	ck_assert(s.up_always);
	a_new = newest(&s, 0);
	ck_assert_int_eq(a_new->exchange, ISAKMP_XCHG_AGGR);
	ck_assert_int_eq(a_new->state, IKE_ST_ESTABLISHED);
	ck_assert_uint_eq(a_new->replaces, id);
	ck_assert_int_eq(sa_by(&s, 0, id)->delete_reason, IKE_CAUSE_REPLACED);
	ck_assert_uint_eq(status(&s, 1).stats.rekeys_ike, 1);
	printf("phase 1 in Aggressive Mode: rekeyed by a new Aggressive Mode, peer up\n");
	scene_free(&s);
}
END_TEST

START_TEST(test_responder_rekeys_when_initiator_does_not)
{
	struct scene s;
	uint32_t id;
	const struct ike_sa *b_new;

	scene_init(&s, IKE_REKEY_YES);
	/* A does not rekey: B (the responder) does, at 30 - 1.5 s */
	s.pr.side[0].cfg.rekey = IKE_REKEY_NO;
	reload(&s);
	id = establish(&s);
	tick(&s, 28000);
	ck_assert_int_eq(sa_by(&s, 0, id)->state, IKE_ST_ESTABLISHED);
	tick(&s, 1000);
	b_new = newest(&s, 1);
	ck_assert_int_eq(b_new->role, IKE_ROLE_INITIATOR);
	ck_assert_int_eq(b_new->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(sa_by(&s, 0, id)->delete_reason, IKE_CAUSE_REPLACED);
	ck_assert(s.up_always);
	printf("phase 1: with the initiator's rekey off, the responder rekeys at margin/2 "
	       "before expiry\n");
	scene_free(&s);
}
END_TEST

START_TEST(test_rekey_off_expires)
{
	struct scene s;
	uint32_t id;

	scene_init(&s, IKE_REKEY_NO);
	id = establish(&s);
	tick(&s, 14000);
	ck_assert_uint_eq(status(&s, 0).stats.rekeys_ipsec, 0);
	ck_assert_int_eq(sa_by(&s, 0, id)->children->state, IKE_CHILD_INSTALLED);
	tick(&s, 1500);
	ck_assert_int_eq(sa_by(&s, 0, id)->children->state, IKE_CHILD_DELETED);
	ck_assert_int_eq(sa_by(&s, 0, id)->children->delete_reason, IKE_CAUSE_EXPIRED);
	tick(&s, 15000);
	ck_assert_int_eq(sa_by(&s, 0, id)->state, IKE_ST_DELETED);
	ck_assert_int_ne(sa_by(&s, 0, id)->delete_reason, IKE_CAUSE_REPLACED);
	ck_assert_uint_eq(status(&s, 0).stats.rekeys_ike, 0);
	printf("rekey = no: phase 2 expires at 15 s, phase 1 at 30 s, nothing replaced\n");
	scene_free(&s);
}
END_TEST

START_TEST(test_short_lifetime_expires)
{
	struct scene s;
	uint32_t id;

	scene_init(&s, IKE_REKEY_YES);
	/* a phase-2 lifetime under 10 s (a peer may propose one) is left to expire */
	for (int i = 0; i < 2; i++)
		s.pr.side[i].cfg.ipsec_lifetime_s = 5;
	reload(&s);
	id = establish(&s);
	tick(&s, 5500);
	ck_assert_int_eq(sa_by(&s, 0, id)->children->state, IKE_CHILD_DELETED);
	ck_assert_int_eq(sa_by(&s, 0, id)->children->delete_reason, IKE_CAUSE_EXPIRED);
	ck_assert_uint_eq(status(&s, 0).stats.rekeys_ipsec, 0);
	printf("a 5 s phase-2 lifetime is not rekeyed (under 10 s): it expires\n");
	scene_free(&s);
}
END_TEST

/* a - b in seconds, signed */
static double mono_diff_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

START_TEST(test_failed_rekey_keeps_old_sa)
{
	struct scene s;
	uint32_t id;
	const struct ike_sa *a_old, *a_new;
	struct ike_peer_status st;
	const struct stall_alarm *al;
	enum ike_cause why;

	scene_init(&s, IKE_REKEY_YES);
	id = establish(&s);
	a_old = sa_by(&s, 0, id);
	/* B's key changes: its SAs stay (a new key applies to the next negotiation) */
	memcpy(s.pr.side[1].cfg.psk, "another-key-xyz", 15);
	s.pr.side[1].cfg.psk_len = 15;
	reload(&s);
	ck_assert_int_eq(newest(&s, 1)->state, IKE_ST_ESTABLISHED);
	tick(&s, 28000); /* A's rekey at 27 s fails within 0.7 s */
	a_new = newest(&s, 0);
	ck_assert(a_new != a_old);
	ck_assert_int_eq(a_new->state, IKE_ST_DELETED);
	ck_assert_int_eq(a_new->last_cause, IKE_CAUSE_KEY_MISMATCH);
	ck_assert_uint_eq(a_new->replaces, id);
	ck_assert_int_eq(a_old->state, IKE_ST_ESTABLISHED);
	st = status(&s, 0);
	ck_assert(st.up);
	ck_assert_uint_eq(st.stats.rekeys_failed, 1);
	ck_assert_uint_eq(st.stats.failures[IKE_CAUSE_KEY_MISMATCH], 1);
	/* the peer's alarm is up at once, with the cause, while the peer is up */
	al = stall_alarm_of(s.d, "b");
	ck_assert_ptr_nonnull(al);
	ck_assert_int_eq(al->cause, IKE_CAUSE_KEY_MISMATCH);
	ck_assert_uint_eq(al->conn_id, a_new->conn_id);
	ck_assert_int_eq(strncmp(al->cause_detail, "rekey: ", 7), 0);
	/* one clock: the raise is stamped on the engine's clock (27 s on), after the new SA's
	 * creation and when it was deleted, not on the unadvanced system clock */
	ck_assert_msg(mono_diff_s(&al->raised_mono, &a_new->created_mono) >= 0.0 &&
	                  fabs(mono_diff_s(&al->raised_mono, &a_new->state_entered)) < 5.0,
	              "raised %.3f s after the SA's creation, %.3f s after its deletion",
	              mono_diff_s(&al->raised_mono, &a_new->created_mono),
	              mono_diff_s(&al->raised_mono, &a_new->state_entered));
	ck_assert_int_eq(stall_peer_health(s.d, 0, &why, NULL), PEER_UP);
	/* it stays while the old SA carries the peer */
	tick(&s, 500);
	ck_assert_ptr_eq(stall_alarm_of(s.d, "b"), al);
	/* the old one runs out as it would have; the alarm stays */
	tick(&s, 2000);
	ck_assert_int_eq(a_old->state, IKE_ST_DELETED);
	ck_assert_int_ne(a_old->delete_reason, IKE_CAUSE_REPLACED);
	ck_assert_ptr_eq(stall_alarm_of(s.d, "b"), al);
	/* the keys agree again: a new SA clears it */
	memcpy(s.pr.side[1].cfg.psk, PSK, strlen(PSK));
	s.pr.side[1].cfg.psk_len = strlen(PSK);
	reload(&s);
	establish(&s);
	stall_run(s.d);
	ck_assert_ptr_null(stall_alarm_of(s.d, "b"));
	printf("failed rekey (the peer's key changed): key-mismatch, counted, the peer's alarm "
	       "raised at once while up (its stamps on the engine's clock), old SA up until it "
	       "expired, alarm cleared by a new SA\n");
	scene_free(&s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rekey");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_timing_defaults);
	tcase_add_test(tc, test_timing_clamped);
	tcase_add_test(tc, test_phase2_rekey);
	tcase_add_test(tc, test_phase1_rekey);
	tcase_add_test(tc, test_aggressive_rekey);
	tcase_add_test(tc, test_responder_rekeys_when_initiator_does_not);
	tcase_add_test(tc, test_rekey_off_expires);
	tcase_add_test(tc, test_short_lifetime_expires);
	tcase_add_test(tc, test_failed_rekey_keeps_old_sa);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
