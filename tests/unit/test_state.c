/*
 * test_state.c - the state table: the one mapping from internal steps to Cisco
 * states, the transitions it allows, and the rows the dispatcher checks against.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/state.h"

/* The mapping, written out from Cisco's documentation of `show crypto isakmp sa`. */
static const struct {
	enum ike_state s;
	const char *cisco;
} expected[] = {
    {IKE_ST_MAIN_R0, "MM_NO_STATE"},  {IKE_ST_MAIN_I1, "MM_NO_STATE"},
    {IKE_ST_MAIN_R1, "MM_SA_SETUP"},  {IKE_ST_MAIN_I2, "MM_SA_SETUP"},
    {IKE_ST_MAIN_R2, "MM_KEY_EXCH"},  {IKE_ST_MAIN_I3, "MM_KEY_EXCH"},
    {IKE_ST_MAIN_R3, "MM_KEY_AUTH"},  {IKE_ST_MAIN_I4, "MM_KEY_AUTH"},
    {IKE_ST_AGGR_R0, "AG_NO_STATE"},  {IKE_ST_AGGR_I1, "AG_INIT_EXCH"},
    {IKE_ST_AGGR_R1, "AG_INIT_EXCH"}, {IKE_ST_AGGR_I2, "AG_AUTH"},
    {IKE_ST_AGGR_R2, "AG_AUTH"},      {IKE_ST_ESTABLISHED, "QM_IDLE"},
    {IKE_ST_DELETED, "MM_NO_STATE"},
};

START_TEST(test_every_state_has_its_row)
{
	for (int s = 0; s < IKE_ST_COUNT; s++) {
		const struct ike_state_row *r = ike_state_row(s);

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->state, s);
		ck_assert_ptr_nonnull(r->name);
		ck_assert(strlen(r->name) > 0);
	}
	ck_assert_ptr_null(ike_state_row(IKE_ST_COUNT));
	ck_assert_ptr_null(ike_state_row((enum ike_state) - 1));
}
END_TEST

START_TEST(test_cisco_mapping)
{
	ck_assert_int_eq(sizeof(expected) / sizeof(expected[0]), IKE_ST_COUNT);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		ck_assert_str_eq(cisco_state_name(ike_state_cisco(expected[i].s)),
		                 expected[i].cisco);
}
END_TEST

START_TEST(test_cisco_names)
{
	ck_assert_str_eq(cisco_state_name(CISCO_MM_NO_STATE), "MM_NO_STATE");
	ck_assert_str_eq(cisco_state_name(CISCO_AG_NO_STATE), "AG_NO_STATE");
	ck_assert_str_eq(cisco_state_name(CISCO_AG_INIT_EXCH), "AG_INIT_EXCH");
	ck_assert_str_eq(cisco_state_name(CISCO_AG_AUTH), "AG_AUTH");
	ck_assert_str_eq(cisco_state_name(CISCO_QM_IDLE), "QM_IDLE");
	ck_assert_str_eq(cisco_state_name(0), "UNKNOWN");
	ck_assert_str_eq(cisco_state_name(CISCO_STATE_MAX + 1), "UNKNOWN");
	/* the MIB's IkemonCiscoState numbers */
	ck_assert_int_eq(CISCO_MM_NO_STATE, 1);
	ck_assert_int_eq(CISCO_QM_IDLE, 8);
}
END_TEST

START_TEST(test_main_mode_path)
{
	static const enum ike_state init[] = {IKE_ST_MAIN_I1, IKE_ST_MAIN_I2, IKE_ST_MAIN_I3,
	                                      IKE_ST_MAIN_I4, IKE_ST_ESTABLISHED};
	static const enum ike_state resp[] = {IKE_ST_MAIN_R0, IKE_ST_MAIN_R1, IKE_ST_MAIN_R2,
	                                      IKE_ST_MAIN_R3, IKE_ST_ESTABLISHED};

	for (size_t i = 0; i + 1 < 5; i++) {
		ck_assert(ike_state_transition_ok(init[i], init[i + 1]));
		ck_assert(ike_state_transition_ok(resp[i], resp[i + 1]));
		/* no skipping a step, no going back */
		if (i + 2 < 5) {
			ck_assert(!ike_state_transition_ok(init[i], init[i + 2]));
			ck_assert(!ike_state_transition_ok(resp[i], resp[i + 2]));
		}
		ck_assert(!ike_state_transition_ok(init[i + 1], init[i]));
		/* no crossing roles (both end in ESTABLISHED) */
		if (i + 1 < 4)
			ck_assert(!ike_state_transition_ok(init[i], resp[i + 1]));
	}
}
END_TEST

START_TEST(test_delete_from_anywhere_but_deleted)
{
	for (int s = 0; s < IKE_ST_COUNT; s++) {
		if (s == IKE_ST_DELETED) {
			for (int t = 0; t < IKE_ST_COUNT; t++)
				ck_assert(!ike_state_transition_ok(s, t));
			continue;
		}
		ck_assert(ike_state_transition_ok(s, IKE_ST_DELETED));
		ck_assert(!ike_state_transition_ok(s, s));
	}
	ck_assert(!ike_state_transition_ok(IKE_ST_COUNT, IKE_ST_DELETED));
}
END_TEST

/* Every state that waits for the peer says what for, and has a handler for it. */
START_TEST(test_rows_for_the_dispatcher)
{
	for (int s = 0; s < IKE_ST_COUNT; s++) {
		const struct ike_state_row *r = ike_state_row(s);

		if (!r->waits)
			continue;
		ck_assert_ptr_nonnull(r->handler);
		/* AM3 needs only the auth payload: HASH_I, or [CERT,] SIG_I */
		ck_assert(r->required_in != 0 || r->auth_in);
		ck_assert(strlen(r->expects) > 0);
		ck_assert(r->exchange == ISAKMP_XCHG_IDPROT || r->exchange == ISAKMP_XCHG_AGGR);
		/* only AM3 may come either way (RFC 2409 5.4 leaves its encryption open) */
		ck_assert(!r->either_in || s == IKE_ST_AGGR_R1);
	}
	/* what Aggressive Mode carries: AM1 and AM2 everything but HASH_I, AM3 HASH_I (or
	 * SIG_I with signatures: the negotiated method's payload, RFC 2409 5.1) */
	ck_assert_uint_eq(ike_state_row(IKE_ST_AGGR_R0)->required_in,
	                  (1u << ISAKMP_NP_SA) | (1u << ISAKMP_NP_KE) | (1u << ISAKMP_NP_NONCE) |
	                      (1u << ISAKMP_NP_ID));
	ck_assert(ike_state_row(IKE_ST_AGGR_I1)->auth_in);
	ck_assert(!ike_state_row(IKE_ST_AGGR_R0)->auth_in);
	ck_assert(ike_state_row(IKE_ST_AGGR_R1)->either_in);
	ck_assert_uint_eq(ike_state_row(IKE_ST_AGGR_R1)->required_in, 0);
	ck_assert(ike_state_row(IKE_ST_AGGR_R1)->auth_in);
	ck_assert_str_eq(ike_state_row(IKE_ST_AGGR_I1)->expects, "AM2");
	/* what Main Mode carries, message by message (RFC 2409 5.4) */
	ck_assert_uint_eq(ike_state_row(IKE_ST_MAIN_R0)->required_in, 1u << ISAKMP_NP_SA);
	ck_assert_uint_eq(ike_state_row(IKE_ST_MAIN_R1)->required_in,
	                  (1u << ISAKMP_NP_KE) | (1u << ISAKMP_NP_NONCE));
	ck_assert_uint_eq(ike_state_row(IKE_ST_MAIN_R2)->required_in, 1u << ISAKMP_NP_ID);
	/* and the negotiated method's payload: HASH (pre-shared key) or SIG (RFC 2409 5.1) */
	ck_assert(ike_state_row(IKE_ST_MAIN_R2)->auth_in);
	ck_assert(ike_state_row(IKE_ST_MAIN_I3)->auth_in);
	ck_assert(!ike_state_row(IKE_ST_MAIN_R1)->auth_in);
	/* MM5 and MM6 must be encrypted, MM1-MM4 must not */
	ck_assert(!ike_state_row(IKE_ST_MAIN_I1)->encrypted_in);
	ck_assert(!ike_state_row(IKE_ST_MAIN_I2)->encrypted_in);
	ck_assert(ike_state_row(IKE_ST_MAIN_R2)->encrypted_in);
	ck_assert(ike_state_row(IKE_ST_MAIN_I3)->encrypted_in);
	ck_assert_str_eq(ike_state_row(IKE_ST_MAIN_I3)->last_sent, "MM5");
	ck_assert_str_eq(ike_state_row(IKE_ST_MAIN_I1)->expects, "MM2");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_every_state_has_its_row);
	tcase_add_test(tc, test_cisco_mapping);
	tcase_add_test(tc, test_cisco_names);
	tcase_add_test(tc, test_main_mode_path);
	tcase_add_test(tc, test_delete_from_anywhere_but_deleted);
	tcase_add_test(tc, test_rows_for_the_dispatcher);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
