/*
 * test_dpd.c - Dead Peer Detection (RFC 3706) and INITIAL-CONTACT between two real
 * engines in memory (engine_pair.h): A (side 0) and B (side 1).
 *
 * Time is moved on with ike_engine_clock_advance_ms(), so nothing sleeps.  What is
 * checked: both ends announce DPD; an idle SA gets an R-U-THERE after dpd_delay and the
 * peer's R-U-THERE-ACK carries its sequence number; a peer that stops answering is dead
 * after dpd_timeout, its SA and phase-2 SA deleted with peer-dead and counted; an ACK
 * with a sequence number we did not send is ignored (and counted), so the peer still
 * dies; INITIAL-CONTACT in MM5 makes the other end drop the old SA at once, and is not
 * sent while another SA with the peer is up.
 */
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
#define PSK      "dpd-test-key"
#define IKE      "aes128-sha256-ecp256"
#define ESP      "aes128-sha256"

/* What the tap does with side `from`'s datagrams. */
struct tap {
	bool drop[2];   /* swallow every datagram side i sends */
	bool keep_info; /* keep a copy of side 1's informationals */
	uint8_t kept[1024];
	size_t kept_len;
};

static bool on_tap(void *ctx, int from, const uint8_t *buf, size_t len)
{
	struct tap *t = ctx;

	if (from == 1 && t->keep_info && len >= ISAKMP_HDR_LEN && buf[18] == ISAKMP_XCHG_INFO &&
	    len <= sizeof(t->kept)) {
		memcpy(t->kept, buf, len);
		t->kept_len = len;
	}
	return t->drop[from];
}

static void pair_init(struct engine_pair *pr, struct tap *t, uint32_t delay, uint32_t timeout)
{
	struct ep_config c = {.psk = PSK, .ike = IKE, .esp = ESP, .name = {"b", "a"}};

	memset(t, 0, sizeof(*t));
	c.tap = on_tap;
	c.tap_ctx = t;
	ck_assert_int_eq(engine_pair_init(pr, &c), 0);
	/* A probes; B only answers (dpd_delay 0) */
	pr->side[0].cfg.dpd_delay_s = delay;
	pr->side[0].cfg.dpd_timeout_s = timeout;
	ck_assert_int_eq(ike_engine_set_peers(pr->side[0].e, &pr->side[0].cfg, 1), 0);
}

static int pump(struct engine_pair *pr)
{
	int n = engine_pair_run(pr, PUMP_MAX);

	ck_assert_int_ge(n, 0);
	return n;
}

static struct ike_sa *sa_of(struct ike_engine *e, uint32_t conn_id)
{
	return (struct ike_sa *)ike_sa_by_conn_id(ike_engine_sas(e), conn_id);
}

/* The newest SA of side i's table. */
static const struct ike_sa *newest(struct engine_pair *pr, int i)
{
	const struct ike_sa *last = NULL;

	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(pr->side[i].e)); sa != NULL;
	     sa = sa->next)
		last = sa;
	ck_assert_ptr_nonnull(last);
	return last;
}

static uint32_t negotiate(struct engine_pair *pr)
{
	long id = ike_engine_initiate(pr->side[0].e, "b");

	ck_assert_int_gt(id, 0);
	ck_assert_int_ge(pump(pr), 9);
	ck_assert_int_eq(sa_of(pr->side[0].e, (uint32_t)id)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(newest(pr, 1)->state, IKE_ST_ESTABLISHED);
	return (uint32_t)id;
}

/* Move the clock on and run A's timers. */
static void tick(struct engine_pair *pr, uint64_t ms)
{
	ike_engine_clock_advance_ms(ms);
	ike_engine_run_timers(pr->side[0].e);
	ike_engine_run_timers(pr->side[1].e);
}

static const struct ike_global_counters *gc(struct engine_pair *pr, int i)
{
	return ike_sa_table_counters(ike_engine_sas(pr->side[i].e));
}

START_TEST(test_r_u_there_ack)
{
	struct engine_pair pr;
	struct tap t;
	uint32_t id;
	const struct ike_sa *a, *b;

	pair_init(&pr, &t, 1, 3);
	id = negotiate(&pr);
	a = sa_of(pr.side[0].e, id);
	b = newest(&pr, 1);
	ck_assert(a->dpd_peer);
	ck_assert(b->dpd_peer);
	printf("dpd: both ends announced DPD in MM1/MM2\n");

	/* idle for less than dpd_delay: nothing */
	tick(&pr, 500);
	ck_assert_uint_eq(pr.len, 0);
	/* idle for dpd_delay: one R-U-THERE, answered */
	tick(&pr, 600);
	ck_assert_uint_eq(pr.len, 1);
	ck_assert(a->dpd_waiting);
	ck_assert_int_eq(pump(&pr), 2);
	ck_assert(!a->dpd_waiting);
	ck_assert_uint_eq(a->ctr.dpd_r_u_there_out, 1);
	ck_assert_uint_eq(a->ctr.dpd_ack_in, 1);
	ck_assert_uint_eq(b->ctr.dpd_r_u_there_in, 1);
	ck_assert_uint_eq(b->ctr.dpd_ack_out, 1);
	ck_assert_uint_eq(b->dpd_seq_in, a->dpd_seq_out);
	ck_assert_uint_eq(a->ctr.dpd_bad_seq, 0);
	ck_assert_uint_eq(gc(&pr, 0)->dpd_r_u_there_out, 1);
	ck_assert_uint_eq(gc(&pr, 1)->dpd_ack_out, 1);
	/* B does not probe (dpd_delay 0), whatever the time */
	ck_assert_uint_eq(b->ctr.dpd_r_u_there_out, 0);

	/* the next round takes the next sequence number */
	{
		uint32_t seq = a->dpd_seq_out;

		tick(&pr, 1100);
		ck_assert_int_eq(pump(&pr), 2);
		ck_assert_uint_eq(a->dpd_seq_out, seq + 1);
		ck_assert_uint_eq(b->dpd_seq_in, seq + 1);
		ck_assert_uint_eq(a->ctr.dpd_ack_in, 2);
	}
	ck_assert_int_eq(a->state, IKE_ST_ESTABLISHED);
	printf("dpd: R-U-THERE after dpd_delay, ACK with the same sequence, next round seq+1\n");
	engine_pair_free(&pr);
}
END_TEST

START_TEST(test_dead_peer)
{
	struct engine_pair pr;
	struct tap t;
	uint32_t id;
	const struct ike_sa *a;
	struct ike_peer_status st;

	pair_init(&pr, &t, 1, 3);
	id = negotiate(&pr);
	a = sa_of(pr.side[0].e, id);
	ck_assert_ptr_nonnull(a->children);
	t.drop[1] = true; /* B is frozen: nothing of it arrives */
	tick(&pr, 1100);  /* R-U-THERE 1 */
	pump(&pr);
	ck_assert(a->dpd_waiting);
	tick(&pr, 1000); /* R-U-THERE 2 */
	pump(&pr);
	tick(&pr, 1000); /* R-U-THERE 3 */
	pump(&pr);
	ck_assert_int_eq(a->state, IKE_ST_ESTABLISHED);
	ck_assert_uint_eq(a->ctr.dpd_r_u_there_out, 3);
	tick(&pr, 1000); /* 3 s after the first: dead */
	pump(&pr);
	ck_assert_int_eq(a->state, IKE_ST_DELETED);
	ck_assert_int_eq(a->delete_reason, IKE_CAUSE_PEER_DEAD);
	ck_assert_int_eq(a->children->state, IKE_CHILD_DELETED);
	ck_assert_uint_eq(gc(&pr, 0)->dpd_dead, 1);
	ck_assert_uint_eq(gc(&pr, 0)->dpd_ack_in, 0);
	ck_assert_int_eq(ike_engine_peer_status(pr.side[0].e, 0, &st), 0);
	ck_assert_uint_eq(st.stats.traffic.dpd_r_u_there_out, 3);
	ck_assert_str_eq(ike_cause_id(IKE_CAUSE_PEER_DEAD), "peer-dead");
	printf("dpd: no answer for dpd_timeout (3 R-U-THEREs): SA and phase 2 deleted with "
	       "peer-dead\n");
	engine_pair_free(&pr);
}
END_TEST

START_TEST(test_bad_sequence_ignored)
{
	struct engine_pair pr;
	struct tap t;
	uint32_t id;
	const struct ike_sa *a;

	pair_init(&pr, &t, 1, 3);
	id = negotiate(&pr);
	a = sa_of(pr.side[0].e, id);
	/* round 1, answered; B's ACK kept */
	t.keep_info = true;
	tick(&pr, 1100);
	ck_assert_int_eq(pump(&pr), 2);
	ck_assert_uint_gt(t.kept_len, 0);
	ck_assert_uint_eq(a->ctr.dpd_ack_in, 1);
	/* the same ACK again: its message ID was seen, a replay (dispatch.c) */
	engine_pair_input(&pr, 0, t.kept, t.kept_len);
	ck_assert_uint_eq(gc(&pr, 0)->dropped_replay, 1);
	ck_assert_uint_eq(a->ctr.dpd_bad_seq, 0);
	/* forgotten (as when older than the last IKE_INFO_SEEN), it is an ACK while none is
	 * outstanding: ignored */
	memset(a->x->info_seen, 0, sizeof(a->x->info_seen));
	engine_pair_input(&pr, 0, t.kept, t.kept_len);
	ck_assert_uint_eq(a->ctr.dpd_bad_seq, 1);
	/* round 2: B silent; the old ACK (round 1's sequence) comes again: ignored */
	t.keep_info = false;
	t.drop[1] = true;
	tick(&pr, 1100);
	pump(&pr);
	ck_assert(a->dpd_waiting);
	memset(a->x->info_seen, 0, sizeof(a->x->info_seen));
	engine_pair_input(&pr, 0, t.kept, t.kept_len);
	ck_assert_uint_eq(a->ctr.dpd_bad_seq, 2);
	ck_assert_uint_eq(a->ctr.dpd_ack_in, 1);
	ck_assert(a->dpd_waiting);
	/* and so the peer dies all the same */
	for (int i = 0; i < 4 && a->state == IKE_ST_ESTABLISHED; i++) {
		tick(&pr, 1000);
		pump(&pr);
	}
	ck_assert_int_eq(a->state, IKE_ST_DELETED);
	ck_assert_int_eq(a->delete_reason, IKE_CAUSE_PEER_DEAD);
	ck_assert_uint_eq(gc(&pr, 0)->dpd_bad_seq, 2);
	printf("dpd: ACKs with a sequence not outstanding ignored and counted; peer dead\n");
	engine_pair_free(&pr);
}
END_TEST

START_TEST(test_initial_contact)
{
	struct engine_pair pr;
	struct tap t;
	uint32_t id1, id2;
	const struct ike_sa *b1, *b2;

	pair_init(&pr, &t, 0, 120);
	id1 = negotiate(&pr);
	b1 = newest(&pr, 1);
	ck_assert(b1->initial_contact); /* A held nothing else: it said so */
	ck_assert_uint_eq(gc(&pr, 1)->initial_contact, 0);
	/* while an SA is up, initiating again makes no second one (and so no IC) */
	ck_assert_int_eq(ike_engine_initiate(pr.side[0].e, "b"), (long)id1);
	ck_assert_int_eq(pump(&pr), 0);

	/* A "restarts": its SA vanishes without a word to B */
	t.drop[0] = true;
	ck_assert_int_eq(ike_engine_delete(pr.side[0].e, id1, IKE_CAUSE_SHUTDOWN), 0);
	pump(&pr);
	t.drop[0] = false;
	ck_assert_int_eq(b1->state, IKE_ST_ESTABLISHED);
	/* A's new SA (new cookies) carries INITIAL-CONTACT: B drops the old one at once */
	id2 = negotiate(&pr);
	b2 = newest(&pr, 1);
	ck_assert_uint_ne(id2, id1);
	ck_assert(b2 != b1);
	ck_assert(b2->initial_contact);
	ck_assert_int_eq(b2->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(b1->state, IKE_ST_DELETED);
	ck_assert_int_eq(b1->delete_reason, IKE_CAUSE_INITIAL_CONTACT);
	ck_assert_int_eq(b1->children->state, IKE_CHILD_DELETED);
	ck_assert_int_eq(b2->children->state, IKE_CHILD_INSTALLED);
	ck_assert_uint_eq(gc(&pr, 1)->initial_contact, 1);
	printf("initial-contact: in MM5 of a peer without other SAs; honoured: the old SA and "
	       "its phase 2 deleted with initial-contact, the new one up\n");
	engine_pair_free(&pr);
}
END_TEST

START_TEST(test_reload_turns_dpd_on)
{
	struct engine_pair pr;
	struct tap t;
	uint32_t id;
	const struct ike_sa *a;

	pair_init(&pr, &t, 0, 3);
	id = negotiate(&pr);
	a = sa_of(pr.side[0].e, id);
	tick(&pr, 5000);
	ck_assert_uint_eq(pr.len, 0); /* off: nothing, however idle */
	/* a reload that only changes dpd_delay keeps the SA and starts probing it */
	pr.side[0].cfg.dpd_delay_s = 1;
	ck_assert_int_eq(ike_engine_set_peers(pr.side[0].e, &pr.side[0].cfg, 1), 0);
	ck_assert_ptr_eq(sa_of(pr.side[0].e, id), a);
	ck_assert_int_eq(a->state, IKE_ST_ESTABLISHED);
	tick(&pr, 10);
	ck_assert_uint_eq(pr.len, 1); /* idle for long already: at once */
	ck_assert_int_eq(pump(&pr), 2);
	ck_assert_uint_eq(a->ctr.dpd_ack_in, 1);
	printf("dpd: a reload turning dpd_delay on probes the established SA\n");
	engine_pair_free(&pr);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dpd");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_r_u_there_ack);
	tcase_add_test(tc, test_dead_peer);
	tcase_add_test(tc, test_bad_sequence_ignored);
	tcase_add_test(tc, test_initial_contact);
	tcase_add_test(tc, test_reload_turns_dpd_on);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
