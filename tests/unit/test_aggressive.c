/*
 * test_aggressive.c - Aggressive Mode (RFC 2409 5.4) between two real engines in memory
 * (engine_pair.h): both directions, the wire (three messages of exchange type 4, AM3
 * encrypted), a wrong key (the initiator cannot verify HASH_R), a responder that does
 * not allow Aggressive Mode, and the initiator's identity choosing among two peers of
 * one subnet.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/codec.h"
#include "ike/engine.h"
#include "ike/ike.h"
#include "ike/causes.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/testlib.h"

#define PUMP_MAX 200
#define PSK      "aggressive-test-key"
#define IKE      "aes128-sha256-modp2048"
#define ESP      "aes128-sha256"

/* What the tap saw: each datagram's exchange type and flags, in order. */
struct wire {
	int n;
	int from[16];
	uint8_t exchange[16], flags[16];
};

static bool tap(void *ctx, int from, const uint8_t *buf, size_t len)
{
	struct wire *w = ctx;

	if (len >= ISAKMP_HDR_LEN && w->n < 16) {
		w->from[w->n] = from;
		w->exchange[w->n] = buf[18];
		w->flags[w->n] = buf[19];
		w->n++;
	}
	return false;
}

static void pair_init(struct engine_pair *pr, struct wire *w)
{
	struct ep_config c = {.psk = PSK, .ike = IKE, .esp = ESP, .name = {"b", "a"}};

	c.tap = tap;
	c.tap_ctx = w;
	ck_assert_int_eq(engine_pair_init(pr, &c), 0);
}

/* Give side i its (changed) peer again. */
static void reconfigure(struct engine_pair *pr, int i)
{
	ck_assert_int_eq(ike_engine_set_peers(pr->side[i].e, &pr->side[i].cfg, 1), 0);
}

static const struct ike_sa *sa_of(struct engine_pair *pr, int i)
{
	const struct ike_sa *sa = ike_sa_first(ike_engine_sas(pr->side[i].e));

	ck_assert_ptr_nonnull(sa);
	return sa;
}

/* Side `ini` initiates Aggressive Mode to the other, which allows it. */
static void aggressive_up(int ini)
{
	struct engine_pair pr;
	struct wire w = {0};
	int resp = 1 - ini;
	const struct ike_sa *a, *b;
	struct ike_peer_status st;

	pair_init(&pr, &w);
	pr.side[ini].cfg.exchange = ISAKMP_XCHG_AGGR;
	pr.side[resp].cfg.aggressive = true;
	reconfigure(&pr, ini);
	reconfigure(&pr, resp);
	ck_assert_int_gt(ike_engine_initiate(pr.side[ini].e, pr.side[ini].cfg.name), 0);
	ck_assert_int_ge(engine_pair_run(&pr, PUMP_MAX), 6); /* 3 Aggressive + 3 Quick Mode */
	/* AM1 and AM2 in the clear, AM3 encrypted, all exchange type 4 */
	ck_assert_int_ge(w.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(w.exchange[i], ISAKMP_XCHG_AGGR);
	ck_assert_int_eq(w.from[0], ini);
	ck_assert_int_eq(w.from[1], resp);
	ck_assert_int_eq(w.from[2], ini);
	ck_assert_int_eq(w.flags[0] & ISAKMP_FLAG_ENC, 0);
	ck_assert_int_eq(w.flags[1] & ISAKMP_FLAG_ENC, 0);
	ck_assert_int_ne(w.flags[2] & ISAKMP_FLAG_ENC, 0);
	ck_assert_int_eq(w.exchange[3], ISAKMP_XCHG_QUICK);
	a = sa_of(&pr, ini);
	b = sa_of(&pr, resp);
	ck_assert_int_eq(a->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(b->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(a->exchange, ISAKMP_XCHG_AGGR); /* ikemonSaMode aggressive(4) */
	ck_assert_int_eq(b->exchange, ISAKMP_XCHG_AGGR);
	ck_assert_int_eq(a->role, IKE_ROLE_INITIATOR);
	ck_assert_str_eq(cisco_state_name(ike_state_cisco(a->state)), "QM_IDLE");
	ck_assert_int_eq(ike_engine_peer_status(pr.side[ini].e, 0, &st), 0);
	ck_assert(st.up); /* the Quick Mode under the Aggressive Mode SA works */
	ck_assert_int_eq(ike_engine_peer_status(pr.side[resp].e, 0, &st), 0);
	ck_assert(st.up);
	printf("aggressive: side %d -> side %d: AM1 AM2 AM3(encrypted), QM_IDLE, child up\n", ini,
	       resp);
	engine_pair_free(&pr);
}

START_TEST(test_initiator_and_responder)
{
	aggressive_up(0);
	aggressive_up(1);
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(cisco_state_name(ike_state_cisco(IKE_ST_AGGR_R0)), "AG_NO_STATE");
	ck_assert_str_eq(cisco_state_name(ike_state_cisco(IKE_ST_AGGR_I1)), "AG_INIT_EXCH");
	ck_assert_str_eq(cisco_state_name(ike_state_cisco(IKE_ST_AGGR_R1)), "AG_INIT_EXCH");
	ck_assert_str_eq(cisco_state_name(ike_state_cisco(IKE_ST_AGGR_I2)), "AG_AUTH");
	ck_assert_str_eq(cisco_state_name(ike_state_cisco(IKE_ST_AGGR_R2)), "AG_AUTH");
	ck_assert(ike_state_transition_ok(IKE_ST_AGGR_I1, IKE_ST_AGGR_I2));
	ck_assert(ike_state_transition_ok(IKE_ST_AGGR_R2, IKE_ST_ESTABLISHED));
	ck_assert(!ike_state_transition_ok(IKE_ST_AGGR_I1, IKE_ST_ESTABLISHED));
	ck_assert(!ike_state_transition_ok(IKE_ST_AGGR_R0, IKE_ST_MAIN_R1));
}
END_TEST

START_TEST(test_wrong_key)
{
	static const char other[] = "not-the-same-key";
	struct engine_pair pr;
	struct wire w = {0};
	const struct ike_sa *a, *b;

	pair_init(&pr, &w);
	pr.side[0].cfg.exchange = ISAKMP_XCHG_AGGR;
	pr.side[1].cfg.aggressive = true;
	memcpy(pr.side[1].cfg.psk, other, sizeof(other) - 1);
	pr.side[1].cfg.psk_len = sizeof(other) - 1;
	reconfigure(&pr, 0);
	reconfigure(&pr, 1);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	ck_assert_int_eq(engine_pair_run(&pr, PUMP_MAX), 2); /* AM1, AM2: no AM3 */
	a = sa_of(&pr, 0);
	b = sa_of(&pr, 1);
	/* both wait at AG_INIT_EXCH; the initiator knows why */
	ck_assert_int_eq(a->state, IKE_ST_AGGR_I1);
	ck_assert_int_eq(b->state, IKE_ST_AGGR_R1);
	ck_assert_str_eq(cisco_state_name(ike_state_cisco(a->state)), "AG_INIT_EXCH");
	ck_assert_int_eq(a->last_cause, IKE_CAUSE_KEY_MISMATCH);
	ck_assert_ptr_nonnull(strstr(a->cause_detail, "HASH_R"));
	ck_assert_uint_eq(a->ctr.undecryptable, 1);
	printf("aggressive: wrong key: initiator at %s, cause %s (%s)\n",
	       cisco_state_name(ike_state_cisco(a->state)), ike_cause_id(a->last_cause),
	       a->cause_detail);
	engine_pair_free(&pr);
}
END_TEST

START_TEST(test_responder_off)
{
	struct engine_pair pr;
	struct wire w = {0};
	const struct ike_sa *a, *b;
	long id;

	pair_init(&pr, &w);
	pr.side[0].cfg.exchange = ISAKMP_XCHG_AGGR; /* side 1 keeps aggressive = no */
	reconfigure(&pr, 0);
	id = ike_engine_initiate(pr.side[0].e, "b");
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(engine_pair_run(&pr, PUMP_MAX), 2); /* AM1, the notify */
	ck_assert_int_eq(w.exchange[1], ISAKMP_XCHG_INFO);
	a = ike_sa_by_conn_id(ike_engine_sas(pr.side[0].e), (uint32_t)id);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->state, IKE_ST_DELETED);
	ck_assert_int_eq(a->last_cause, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_ptr_nonnull(strstr(a->cause_detail, "aggressive mode refused by the peer"));
	b = sa_of(&pr, 1);
	ck_assert_int_eq(b->state, IKE_ST_DELETED);
	ck_assert_int_eq(b->last_cause, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_ptr_nonnull(strstr(b->cause_detail, "aggressive = no"));
	printf("aggressive: responder off: initiator %s (%s); responder %s (%s)\n",
	       ike_cause_id(a->last_cause), a->cause_detail, ike_cause_id(b->last_cause),
	       b->cause_detail);
	engine_pair_free(&pr);
}
END_TEST

/* Side 1 has two peers covering 127.0.0.0/8 with their own keys; the IDii picks one. */
static void identity_selects(const char *as, const char *key, bool expect_up)
{
	struct engine_pair pr;
	struct wire w = {0};
	struct ike_peer_cfg two[2];
	const struct ike_sa *b;

	pair_init(&pr, &w);
	pr.side[0].cfg.exchange = ISAKMP_XCHG_AGGR;
	pr.side[0].cfg.local_id.type = IKE_ID_FQDN;
	snprintf(pr.side[0].cfg.local_id.value, sizeof(pr.side[0].cfg.local_id.value), "%s", as);
	pr.side[0].cfg.psk_len = strlen(key);
	memcpy(pr.side[0].cfg.psk, key, pr.side[0].cfg.psk_len);
	reconfigure(&pr, 0);
	for (int i = 0; i < 2; i++) {
		two[i] = pr.side[1].cfg;
		snprintf(two[i].name, sizeof(two[i].name), "road%d", i + 1);
		((struct sockaddr_in *)&two[i].remote)->sin_addr.s_addr = htonl(0x7f000000);
		two[i].remote_prefix = 8;
		two[i].autostart = IKE_AUTO_ADD;
		two[i].aggressive = true;
		two[i].remote_id.type = IKE_ID_FQDN;
		snprintf(two[i].remote_id.value, sizeof(two[i].remote_id.value), "road%d.example",
		         i + 1);
		snprintf((char *)two[i].psk, sizeof(two[i].psk), "key-of-road%d", i + 1);
		two[i].psk_len = strlen((char *)two[i].psk);
	}
	ck_assert_int_eq(ike_engine_set_peers(pr.side[1].e, two, 2), 0);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	ck_assert_int_ge(engine_pair_run(&pr, PUMP_MAX), 2);
	b = sa_of(&pr, 1);
	ck_assert_str_eq(b->peer, strncmp(as, "road1", 5) == 0 ? "road1" : "road2");
	ck_assert_int_eq(sa_of(&pr, 0)->state == IKE_ST_ESTABLISHED, expect_up);
	printf("aggressive: IDii %s with %s: responder chose peer %s, %s\n", as, key, b->peer,
	       expect_up ? "established" : "key mismatch");
	engine_pair_free(&pr);
}

START_TEST(test_identity_selects_peer)
{
	identity_selects("road2.example", "key-of-road2", true);
	identity_selects("road1.example", "key-of-road1", true);
	/* road1's identity with road2's key: road1 is chosen, and its key does not fit */
	identity_selects("road1.example", "key-of-road2", false);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("aggressive");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_initiator_and_responder);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_responder_off);
	tcase_add_test(tc, test_identity_selects_peer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
