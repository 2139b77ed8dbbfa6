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
 * sent while another SA with the peer is up.  In Aggressive Mode: the DPD vendor ID in
 * AM1 and AM2, probes and peer-dead as in Main Mode, INITIAL-CONTACT in the initiator's
 * AM3 (never in the clear AM2) honoured by the responder, and one added to a clear AM2
 * on the path ignored.  The Main Mode responder says
 * INITIAL-CONTACT in MM6 when it holds nothing with the initiator, and the initiator
 * honours it.
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
	bool hold_am2; /* keep side 1's AM2 off the queue, in am2 */
	uint8_t am2[2048];
	size_t am2_len;
};

static bool on_tap(void *ctx, int from, const uint8_t *buf, size_t len)
{
	struct tap *t = ctx;

	if (from == 1 && t->keep_info && len >= ISAKMP_HDR_LEN && buf[18] == ISAKMP_XCHG_INFO &&
	    len <= sizeof(t->kept)) {
		memcpy(t->kept, buf, len);
		t->kept_len = len;
	}
	if (from == 1 && t->hold_am2 && len >= ISAKMP_HDR_LEN && buf[18] == ISAKMP_XCHG_AGGR &&
	    len + 28 <= sizeof(t->am2)) {
		memcpy(t->am2, buf, len);
		t->am2_len = len;
		t->hold_am2 = false;
		return true;
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

/* Both sides in Aggressive Mode: A initiates it, B allows it. */
static void use_aggressive(struct engine_pair *pr)
{
	pr->side[0].cfg.exchange = ISAKMP_XCHG_AGGR;
	pr->side[1].cfg.aggressive = true;
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(ike_engine_set_peers(pr->side[i].e, &pr->side[i].cfg, 1), 0);
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

/* A initiates to its peer `name` (Main Mode: 6 + 3 datagrams; Aggressive: 3 + 3). */
static uint32_t negotiate_to(struct engine_pair *pr, const char *name)
{
	long id = ike_engine_initiate(pr->side[0].e, name);

	ck_assert_int_gt(id, 0);
	ck_assert_int_ge(pump(pr), 6);
	ck_assert_int_eq(sa_of(pr->side[0].e, (uint32_t)id)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(newest(pr, 1)->state, IKE_ST_ESTABLISHED);
	return (uint32_t)id;
}

static uint32_t negotiate(struct engine_pair *pr)
{
	return negotiate_to(pr, "b");
}

/* Side i "restarts": its SA conn_id vanishes without a word to the other side. */
static void vanish(struct engine_pair *pr, struct tap *t, int i, uint32_t conn_id)
{
	t->drop[i] = true;
	ck_assert_int_eq(ike_engine_delete(pr->side[i].e, conn_id, IKE_CAUSE_SHUTDOWN), 0);
	pump(pr);
	t->drop[i] = false;
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
	vanish(&pr, &t, 0, id1);
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

START_TEST(test_aggressive_dpd)
{
	struct engine_pair pr;
	struct tap t;
	uint32_t id;
	const struct ike_sa *a, *b;

	pair_init(&pr, &t, 1, 3);
	use_aggressive(&pr);
	id = negotiate(&pr);
	a = sa_of(pr.side[0].e, id);
	b = newest(&pr, 1);
	ck_assert_int_eq(a->exchange, ISAKMP_XCHG_AGGR);
	ck_assert_int_eq(b->exchange, ISAKMP_XCHG_AGGR);
	ck_assert(a->dpd_peer); /* B's AM2 */
	ck_assert(b->dpd_peer); /* A's AM1 */
	tick(&pr, 1100);
	ck_assert_uint_eq(pr.len, 1);
	ck_assert_int_eq(pump(&pr), 2);
	ck_assert_uint_eq(a->ctr.dpd_ack_in, 1);
	ck_assert_uint_eq(b->ctr.dpd_ack_out, 1);
	ck_assert_uint_eq(b->dpd_seq_in, a->dpd_seq_out);
	t.drop[1] = true;
	for (int i = 0; i < 6 && a->state == IKE_ST_ESTABLISHED; i++) {
		tick(&pr, 1000);
		pump(&pr);
	}
	ck_assert_int_eq(a->state, IKE_ST_DELETED);
	ck_assert_int_eq(a->delete_reason, IKE_CAUSE_PEER_DEAD);
	ck_assert_uint_eq(gc(&pr, 0)->dpd_dead, 1);
	printf("dpd in Aggressive Mode: vendor ID in AM1 and AM2, R-U-THERE answered, a frozen "
	       "peer dead\n");
	engine_pair_free(&pr);
}
END_TEST

START_TEST(test_aggressive_initial_contact)
{
	struct engine_pair pr;
	struct tap t;
	uint32_t id1, id2;
	const struct ike_sa *a1, *b1, *b2;

	pair_init(&pr, &t, 0, 120);
	use_aggressive(&pr);
	id1 = negotiate(&pr);
	a1 = sa_of(pr.side[0].e, id1);
	b1 = newest(&pr, 1);
	ck_assert(b1->initial_contact);  /* A's AM3 */
	ck_assert(!a1->initial_contact); /* AM2 goes in the clear: the responder never says it */

	/* A "restarts" without a word; its new AM3 makes B drop the old SA */
	vanish(&pr, &t, 0, id1);
	ck_assert_int_eq(b1->state, IKE_ST_ESTABLISHED);
	id2 = negotiate(&pr);
	b2 = newest(&pr, 1);
	ck_assert_uint_ne(id2, id1);
	ck_assert(b2 != b1 && b2->initial_contact);
	ck_assert_int_eq(b1->state, IKE_ST_DELETED);
	ck_assert_int_eq(b1->delete_reason, IKE_CAUSE_INITIAL_CONTACT);
	ck_assert_int_eq(b2->state, IKE_ST_ESTABLISHED);
	ck_assert_uint_eq(gc(&pr, 1)->initial_contact, 1);
	printf("initial-contact in Aggressive Mode: in AM3, honoured by the responder\n");
	engine_pair_free(&pr);
}
END_TEST

/*
 * What anyone on the path can do to a clear AM2: add an INITIAL-CONTACT notify (no hash
 * covers it) as the last payload.
 */
static void add_initial_contact(uint8_t *m, size_t *len)
{
	static const uint8_t n_head[12] = {
	    0,  0,    0,   28, 0, 0, 0, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP,
	    16, 0x60, 0x02};                    /* 24578 */
	size_t off = ISAKMP_HDR_LEN, last = 16; /* next-payload */

	while (off + 4 <= *len && m[last] != 0) {
		last = off;
		off += (size_t)m[off + 2] << 8 | m[off + 3];
	}
	ck_assert_uint_eq(off, *len);
	m[last] = ISAKMP_NP_N;
	memcpy(m + off, n_head, sizeof(n_head));
	memcpy(m + off + sizeof(n_head), m, 16); /* both cookies */
	*len = off + 28;
	m[24] = (uint8_t)(*len >> 24);
	m[25] = (uint8_t)(*len >> 16);
	m[26] = (uint8_t)(*len >> 8);
	m[27] = (uint8_t)*len;
}

/*
 * A holds an SA with B (peer b) and negotiates a second tunnel to B (peer b2) in
 * Aggressive Mode; an INITIAL-CONTACT added to B's clear AM2 on the way is ignored: A
 * keeps its first SA.
 */
START_TEST(test_clear_initial_contact_ignored)
{
	struct engine_pair pr;
	struct ike_peer_cfg two[2];
	struct tap t;
	uint32_t id1;
	long id2;
	const struct ike_sa *a1, *a2;

	pair_init(&pr, &t, 0, 120);
	pr.side[0].cfg.exchange = ISAKMP_XCHG_AGGR;
	two[0] = pr.side[0].cfg;
	two[1] = pr.side[0].cfg;
	snprintf(two[1].name, sizeof(two[1].name), "b2");
	ck_assert_int_eq(ike_engine_set_peers(pr.side[0].e, two, 2), 0);
	pr.side[1].cfg.aggressive = true;
	ck_assert_int_eq(ike_engine_set_peers(pr.side[1].e, &pr.side[1].cfg, 1), 0);
	id1 = negotiate_to(&pr, "b");
	a1 = sa_of(pr.side[0].e, id1);

	t.hold_am2 = true;
	id2 = ike_engine_initiate(pr.side[0].e, "b2");
	ck_assert_int_gt(id2, 0);
	pump(&pr);
	ck_assert_uint_gt(t.am2_len, 0);
	add_initial_contact(t.am2, &t.am2_len);
	engine_pair_input(&pr, 0, t.am2, t.am2_len);
	pump(&pr);
	a2 = sa_of(pr.side[0].e, (uint32_t)id2);
	ck_assert_int_eq(a2->state, IKE_ST_ESTABLISHED); /* the AM2 itself is fine */
	ck_assert(!a2->initial_contact);
	ck_assert_int_eq(a1->state, IKE_ST_ESTABLISHED);
	ck_assert_uint_eq(gc(&pr, 0)->initial_contact, 0);
	printf("initial-contact added to a clear AM2 on the path: ignored, the other SA kept\n");
	engine_pair_free(&pr);
}
END_TEST

/*
 * A has two peers, b and b2, both B (two tunnels to one gateway).  B answers with
 * INITIAL-CONTACT in MM6 only while it holds nothing with A; when B has lost its SAs
 * (restarted) and A negotiates b2 while its SA of b is still up, B's MM6 makes A drop it.
 */
START_TEST(test_mm6_initial_contact)
{
	struct engine_pair pr;
	struct ike_peer_cfg two[2];
	struct tap t;
	uint32_t id1, id2, id3;
	const struct ike_sa *a1, *a2, *a3, *b1;

	pair_init(&pr, &t, 0, 120);
	two[0] = pr.side[0].cfg;
	two[1] = pr.side[0].cfg;
	snprintf(two[1].name, sizeof(two[1].name), "b2");
	ck_assert_int_eq(ike_engine_set_peers(pr.side[0].e, two, 2), 0);

	id1 = negotiate_to(&pr, "b");
	a1 = sa_of(pr.side[0].e, id1);
	b1 = newest(&pr, 1);
	ck_assert(a1->initial_contact); /* B held nothing with A: its MM6 said so */
	ck_assert(b1->initial_contact);
	ck_assert_uint_eq(gc(&pr, 0)->initial_contact, 0);

	/* a second tunnel while the first is up: neither MM5 nor MM6 says it */
	id2 = negotiate_to(&pr, "b2");
	a2 = sa_of(pr.side[0].e, id2);
	ck_assert(!a2->initial_contact);
	ck_assert(!newest(&pr, 1)->initial_contact);
	ck_assert_int_eq(a1->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(ike_engine_delete(pr.side[0].e, id2, IKE_CAUSE_SHUTDOWN), 0);
	pump(&pr); /* B is told: it holds b1 only */

	/* B "restarts": its SA vanishes without a word to A */
	vanish(&pr, &t, 1, b1->conn_id);
	ck_assert_int_eq(a1->state, IKE_ST_ESTABLISHED);
	id3 = negotiate_to(&pr, "b2");
	a3 = sa_of(pr.side[0].e, id3);
	ck_assert(a3->initial_contact);              /* B's MM6 */
	ck_assert(!newest(&pr, 1)->initial_contact); /* A still held a1 when it sent MM5 */
	ck_assert_int_eq(a1->state, IKE_ST_DELETED);
	ck_assert_int_eq(a1->delete_reason, IKE_CAUSE_INITIAL_CONTACT);
	ck_assert_int_eq(a1->children->state, IKE_CHILD_DELETED);
	ck_assert_int_eq(a3->state, IKE_ST_ESTABLISHED);
	ck_assert_uint_eq(gc(&pr, 0)->initial_contact, 1);
	printf("initial-contact in MM6: said by a responder holding nothing, not while it holds "
	       "an SA; the initiator drops its old SA\n");
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
	tcase_add_test(tc, test_aggressive_dpd);
	tcase_add_test(tc, test_aggressive_initial_contact);
	tcase_add_test(tc, test_mm6_initial_contact);
	tcase_add_test(tc, test_clear_initial_contact_ignored);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
