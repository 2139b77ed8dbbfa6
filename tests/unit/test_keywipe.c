/*
 * test_keywipe.c - keying material is wiped when an SA goes, not when it leaves the
 * table.  A deleted SA lingers (deleted_linger) for the views; its exchange state stays
 * allocated, so its key fields can be read without touching freed memory, and every one
 * of them must be zero: SKEYID, SKEYID_d/a/e, the encryption key, the IV chain, the
 * nonces, the DH private value (freed: NULL), and each phase-2 SA's KEYMAT, nonces and IV.
 *
 * Two real engines (engine_pair.h) negotiate Main Mode and Quick Mode in memory; the SA
 * then goes three ways: cleared here (a DELETE is sent), deleted by the peer (that DELETE
 * received), and deleted half-way through Main Mode, after the keys were derived.
 */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/engine.h"
#include "ike/exchange.h"
#include "ike/ike.h"
#include "ike/sa.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/testlib.h"

#define PUMP_MAX 200

static const struct ep_config pair_cfg = {.psk = "key-wipe-test-psk",
                                          .ike = "aes256-sha256-modp2048",
                                          .esp = "aes128-sha256",
                                          .name = {"b", "a"}};

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static struct ike_sa *sa_of(struct engine_pair *pr, int side)
{
	struct ike_sa_table *t = ike_engine_sas(pr->side[side].e);
	const struct ike_sa *sa = ike_sa_first(t);

	ck_assert_ptr_nonnull(sa);
	return ike_sa_find_mut(t, sa->conn_id);
}

/* The SA holds live secrets: keys derived, nonces, and KEYMAT for its child. */
static void assert_keyed(const struct ike_sa *sa, bool with_child)
{
	const struct ike_exchange *x = sa->x;

	ck_assert_ptr_nonnull(x);
	ck_assert(x->have_keys);
	ck_assert(!all_zero(x->keys.skeyid, sizeof(x->keys.skeyid)));
	ck_assert(!all_zero(x->keys.skeyid_d, sizeof(x->keys.skeyid_d)));
	ck_assert(!all_zero(x->keys.enc_key, sizeof(x->keys.enc_key)));
	if (sa->state == IKE_ST_ESTABLISHED) {
		/* the nonces and public values went (wiped) when it came up: nothing reads them */
		ck_assert_ptr_null(x->neg);
		ck_assert_ptr_null(x->ni);
	} else {
		ck_assert_ptr_nonnull(x->neg);
		ck_assert(!all_zero(x->ni, x->ni_len));
		ck_assert(!all_zero(x->nr, x->nr_len));
	}
	if (!with_child)
		return;
	ck_assert_ptr_nonnull(sa->children);
	ck_assert_ptr_nonnull(sa->children->x);
	ck_assert_uint_gt(sa->children->x->keymat_len, 0);
	ck_assert(!all_zero(sa->children->x->keymat_in, sizeof(sa->children->x->keymat_in)));
	ck_assert(!all_zero(sa->children->x->keymat_out, sizeof(sa->children->x->keymat_out)));
}

/* Every secret of a deleted SA (still in the table) is zero. */
static void assert_wiped(const struct ike_sa *sa)
{
	const struct ike_exchange *x = sa->x;

	ck_assert_int_eq(sa->state, IKE_ST_DELETED);
	ck_assert_ptr_nonnull(x); /* lingers with the SA: reading it is no use-after-free */
	ck_assert(!x->have_keys);
	ck_assert_ptr_null(x->dh);
	ck_assert(all_zero(&x->keys, sizeof(x->keys)));
	/* an SA deleted while negotiating still has its nonces' block: wiped */
	if (x->neg != NULL)
		ck_assert(all_zero(x->neg, ENGINE_NEG_LEN));
	ck_assert(all_zero(x->rx_iv, sizeof(x->rx_iv)));
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next) {
		ck_assert_int_eq(c->state, IKE_CHILD_DELETED);
		if (c->x == NULL)
			continue;
		ck_assert_ptr_null(c->x->dh);
		ck_assert_uint_eq(c->x->keymat_len, 0);
		ck_assert(all_zero(c->x->keymat_in, sizeof(c->x->keymat_in)));
		ck_assert(all_zero(c->x->keymat_out, sizeof(c->x->keymat_out)));
		if (c->x->neg != NULL)
			ck_assert(all_zero(c->x->neg, ENGINE_NEG_LEN));
		ck_assert(all_zero(c->x->iv, sizeof(c->x->iv)));
	}
}

static uint32_t negotiate(struct engine_pair *pr)
{
	long id = ike_engine_initiate(pr->side[0].e, "b");

	ck_assert_int_gt(id, 0);
	ck_assert_int_ge(engine_pair_run(pr, PUMP_MAX), 9); /* 6 Main Mode + 3 Quick Mode */
	ck_assert_int_eq(sa_of(pr, 0)->state, IKE_ST_ESTABLISHED);
	ck_assert_int_eq(sa_of(pr, 1)->state, IKE_ST_ESTABLISHED);
	return (uint32_t)id;
}

/* Cleared here: this side's secrets go at once; the peer's when our DELETE arrives. */
START_TEST(test_wiped_on_clear_and_on_peer_delete)
{
	struct engine_pair pr;
	struct ike_sa *a, *b;
	uint32_t id;

	ck_assert_int_eq(engine_pair_init(&pr, &pair_cfg), 0);
	id = negotiate(&pr);
	a = sa_of(&pr, 0);
	b = sa_of(&pr, 1);
	assert_keyed(a, true);
	assert_keyed(b, true);

	ck_assert_int_eq(ike_engine_delete(pr.side[0].e, id, IKE_CAUSE_CLEARED), 0);
	ck_assert_ptr_eq(sa_of(&pr, 0), a); /* the same SA, lingering for the views */
	assert_wiped(a);
	assert_keyed(b, true); /* its DELETEs are still queued */

	ck_assert_int_ge(engine_pair_run(&pr, PUMP_MAX), 2); /* phase-2 and ISAKMP DELETE */
	ck_assert_ptr_eq(sa_of(&pr, 1), b);
	ck_assert_int_eq(b->delete_reason, IKE_CAUSE_DELETED_BY_PEER);
	assert_wiped(b);
	engine_pair_free(&pr);
}
END_TEST

/* Deleted before QM_IDLE, after MM4: SKEYID and the rest are already derived. */
START_TEST(test_wiped_half_way)
{
	struct engine_pair pr;
	struct ep_dgram d;
	struct ike_sa *a;
	int delivered = 0;

	ck_assert_int_eq(engine_pair_init(&pr, &pair_cfg), 0);
	ck_assert_int_gt(ike_engine_initiate(pr.side[0].e, "b"), 0);
	a = sa_of(&pr, 0);
	/* MM1..MM4, one by one, until A has derived its keys */
	while (!(a->x != NULL && a->x->have_keys) && delivered < 4 && engine_pair_pop(&pr, &d)) {
		engine_pair_input(&pr, d.to, d.buf, d.len);
		free(d.buf);
		delivered++;
	}
	ck_assert_int_eq(delivered, 4);
	assert_keyed(a, false);
	ck_assert_int_ne(a->state, IKE_ST_ESTABLISHED);

	ck_assert_int_eq(ike_engine_delete(pr.side[0].e, a->conn_id, IKE_CAUSE_CLEARED), 0);
	ck_assert_ptr_nonnull(a->x->neg); /* still there: assert_wiped reads it */
	assert_wiped(a);
	engine_pair_free(&pr);
}
END_TEST

/* A wiped SA's exchange is no longer used to decrypt: the peer's messages are dropped. */
START_TEST(test_wiped_sa_takes_no_more)
{
	struct engine_pair pr;
	struct ike_sa *a;
	uint32_t id;

	ck_assert_int_eq(engine_pair_init(&pr, &pair_cfg), 0);
	id = negotiate(&pr);
	a = sa_of(&pr, 0);
	/* B clears: its DELETE is queued but A is wiped before it arrives */
	ck_assert_int_eq(ike_engine_delete(pr.side[0].e, id, IKE_CAUSE_CLEARED), 0);
	ck_assert_int_eq(ike_engine_delete(pr.side[1].e, sa_of(&pr, 1)->conn_id, IKE_CAUSE_CLEARED),
	                 0);
	ck_assert_int_ge(engine_pair_run(&pr, PUMP_MAX), 0);
	assert_wiped(a);
	ck_assert_int_eq(a->delete_reason, IKE_CAUSE_CLEARED); /* not overwritten by the peer's */
	engine_pair_free(&pr);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("keywipe");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wiped_on_clear_and_on_peer_delete);
	tcase_add_test(tc, test_wiped_half_way);
	tcase_add_test(tc, test_wiped_sa_takes_no_more);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
