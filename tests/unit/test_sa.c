/*
 * test_sa.c - the SA table and its choke point: conn-ids, the transitions it refuses,
 * the events it emits, timestamps and counters; its conn-id and cookie indexes.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/sa.h"

#define MAX_EV 32

struct recorder {
	struct ike_event ev[MAX_EV];
	size_t n;
};

static void record(void *ctx, const struct ike_event *ev)
{
	struct recorder *r = ctx;

	if (r->n < MAX_EV)
		r->ev[r->n++] = *ev;
}

START_TEST(test_conn_ids_grow_and_are_never_reused)
{
	struct ike_sa_table *t = ike_sa_table_new();
	struct ike_sa *a = ike_sa_create(t, IKE_ROLE_INITIATOR, ISAKMP_XCHG_IDPROT);
	struct ike_sa *b = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	struct ike_sa *c;

	ck_assert_uint_eq(a->conn_id, IKE_CONN_ID_FIRST);
	ck_assert_uint_eq(b->conn_id, IKE_CONN_ID_FIRST + 1);
	ck_assert_int_eq(a->state, IKE_ST_MAIN_I1);
	ck_assert_int_eq(b->state, IKE_ST_MAIN_R0);
	ike_sa_remove(t, b);
	c = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	ck_assert_uint_eq(c->conn_id, IKE_CONN_ID_FIRST + 2);
	ck_assert_uint_eq(ike_sa_count(t), 2);
	/* iteration in conn-id order, look-up by conn-id */
	ck_assert_ptr_eq(ike_sa_first(t), a);
	ck_assert_ptr_eq(ike_sa_first(t)->next, c);
	ck_assert_ptr_eq(ike_sa_by_conn_id(t, c->conn_id), c);
	ck_assert_ptr_null(ike_sa_by_conn_id(t, IKE_CONN_ID_FIRST + 1));
	ck_assert_uint_eq(ike_sa_table_counters(t)->sas_created, 3);
	ike_sa_table_free(t);
}
END_TEST

START_TEST(test_choke_point_checks_stamps_and_emits)
{
	struct ike_sa_table *t = ike_sa_table_new();
	struct recorder r = {0};
	struct ike_sa *sa;
	struct timespec before;

	ck_assert_int_eq(ike_sa_table_subscribe(t, record, &r), 0);
	sa = ike_sa_create(t, IKE_ROLE_INITIATOR, ISAKMP_XCHG_IDPROT);
	ike_sa_announce(t, sa);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.ev[0].type, IKE_EV_SA_CREATED);

	/* a step the table does not allow changes nothing and emits nothing */
	ck_assert_int_eq(ike_sa_set_state(t, sa, IKE_ST_MAIN_I3), -1);
	ck_assert_int_eq(sa->state, IKE_ST_MAIN_I1);
	ck_assert_uint_eq(r.n, 1);

	clock_gettime(CLOCK_MONOTONIC, &before);
	ck_assert_int_eq(ike_sa_set_state(t, sa, IKE_ST_MAIN_I2), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.ev[1].type, IKE_EV_STATE_CHANGED);
	ck_assert_int_eq(r.ev[1].old_state, IKE_ST_MAIN_I1);
	ck_assert_int_eq(r.ev[1].new_state, IKE_ST_MAIN_I2);
	ck_assert_int_eq(r.ev[1].old_cisco, CISCO_MM_NO_STATE);
	ck_assert_int_eq(r.ev[1].new_cisco, CISCO_MM_SA_SETUP);
	ck_assert(sa->state_entered.tv_sec > before.tv_sec ||
	          (sa->state_entered.tv_sec == before.tv_sec &&
	           sa->state_entered.tv_nsec >= before.tv_nsec));

	sa->xf.lifetime_s = 3600;
	ike_sa_set_state(t, sa, IKE_ST_MAIN_I3);
	ike_sa_set_state(t, sa, IKE_ST_MAIN_I4);
	ck_assert_int_eq(ike_sa_set_state(t, sa, IKE_ST_ESTABLISHED), 0);
	ck_assert(sa->established_wall > 0);
	ck_assert_int_eq(sa->expires_wall - sa->established_wall, 3600);
	ck_assert_uint_eq(ike_sa_table_counters(t)->sas_established, 1);
	ike_sa_table_free(t);
}
END_TEST

START_TEST(test_fail_and_delete)
{
	struct ike_sa_table *t = ike_sa_table_new();
	struct recorder r = {0};
	struct ike_sa *sa;

	ike_sa_table_subscribe(t, record, &r);
	sa = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	ike_sa_fail(t, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN, "refused by us");
	ck_assert_int_eq(sa->last_cause, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_str_eq(sa->cause_detail, "refused by us");
	ck_assert_int_eq(r.ev[0].type, IKE_EV_NEGOTIATION_FAILED);
	ck_assert_int_eq(r.ev[0].cause, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_uint_eq(ike_sa_table_counters(t)->causes[IKE_CAUSE_NO_PROPOSAL_CHOSEN], 1);

	ike_sa_mark_deleted(t, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_int_eq(sa->state, IKE_ST_DELETED);
	ck_assert_int_eq(sa->delete_reason, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_int_eq(r.ev[r.n - 1].type, IKE_EV_SA_DELETED);
	ck_assert_uint_eq(ike_sa_table_counters(t)->sas_failed, 1);
	ck_assert_uint_eq(ike_sa_table_counters(t)->sas_deleted, 1);

	/* idempotent: a second delete emits nothing and counts nothing */
	size_t n = r.n;
	ike_sa_mark_deleted(t, sa, IKE_CAUSE_CLEARED);
	ck_assert_uint_eq(r.n, n);
	ck_assert_int_eq(sa->delete_reason, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_uint_eq(ike_sa_table_counters(t)->sas_deleted, 1);

	ike_sa_remove(t, sa);
	ck_assert_int_eq(r.ev[r.n - 1].type, IKE_EV_SA_REMOVED);
	ck_assert_uint_eq(ike_sa_count(t), 0);
	ck_assert_ptr_null(ike_sa_first(t));
	ike_sa_table_free(t);
}
END_TEST

START_TEST(test_cookie_lookup)
{
	struct ike_sa_table *t = ike_sa_table_new();
	struct ike_sa *sa = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	uint8_t i[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[8] = {9, 9, 9, 9, 9, 9, 9, 9}, z[8] = {0};

	ike_sa_set_icookie(t, sa, i);
	memcpy(sa->rcookie, r, 8);
	ck_assert_ptr_eq(ike_sa_find_cookies(t, i, r), sa);
	ck_assert_ptr_null(ike_sa_find_cookies(t, i, z));
	ck_assert_ptr_null(ike_sa_find_cookies(t, r, i));
	ike_sa_table_free(t);
}
END_TEST

/* Cookie n: 8 bytes from n, with a few sharing their initiator cookie (n / 3). */
static void cookie_of(uint32_t n, uint8_t c[8])
{
	for (int i = 0; i < 8; i++)
		c[i] = (uint8_t)((n * 2654435761u) >> (i * 4));
}

/*
 * The indexes at scale: 20,000 SAs (the hashes grow several times), every other one
 * removed, then each looked up by conn-id and by cookies; SAs sharing an initiator
 * cookie come back in conn-id order; the counts by state follow the choke point.
 */
START_TEST(test_indexes_at_scale)
{
	enum { N = 20000 };
	struct ike_sa_table *t = ike_sa_table_new();
	struct ike_sa **sas = calloc(N, sizeof(*sas));
	uint8_t ic[8], rc[8];

	ck_assert_ptr_nonnull(sas);
	for (uint32_t i = 0; i < N; i++) {
		sas[i] = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
		ck_assert_ptr_nonnull(sas[i]);
		cookie_of(i / 3, ic);
		cookie_of(i + N, rc);
		ike_sa_set_icookie(t, sas[i], ic);
		memcpy(sas[i]->rcookie, rc, 8);
		if (i % 4 == 0)
			ck_assert_int_eq(ike_sa_set_state(t, sas[i], IKE_ST_MAIN_R1), 0);
	}
	ck_assert_uint_eq(ike_sa_count_in_state(t, IKE_ST_MAIN_R0), N - N / 4);
	ck_assert_uint_eq(ike_sa_count_in_state(t, IKE_ST_MAIN_R1), N / 4);
	for (uint32_t i = 1; i < N; i += 2) {
		ike_sa_remove(t, sas[i]);
		sas[i] = NULL;
	}
	ck_assert_uint_eq(ike_sa_count(t), N / 2);
	ck_assert_uint_eq(ike_sa_count_in_state(t, IKE_ST_MAIN_R1), N / 4);
	ck_assert_uint_eq(ike_sa_count_in_state(t, IKE_ST_MAIN_R0), N / 4);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t id = IKE_CONN_ID_FIRST + i;
		const struct ike_sa *by_id = ike_sa_by_conn_id(t, id);

		cookie_of(i / 3, ic);
		cookie_of(i + N, rc);
		ck_assert_ptr_eq(by_id, sas[i]);
		ck_assert_ptr_eq(ike_sa_find_cookies(t, ic, rc), sas[i]);
	}
	/* the SAs of one initiator cookie, oldest first: 0 and 2 (1 was removed) */
	cookie_of(0, ic);
	ck_assert_ptr_eq(ike_sa_find_icookie(t, ic, NULL), sas[0]);
	ck_assert_ptr_eq(ike_sa_find_icookie(t, ic, sas[0]), sas[2]);
	ck_assert_ptr_null(ike_sa_find_icookie(t, ic, sas[2]));
	/* the list is still whole, in conn-id order, both ways */
	{
		const struct ike_sa *sa = ike_sa_first(t), *last = NULL;
		size_t n = 0;

		for (; sa != NULL; last = sa, sa = sa->next, n++) {
			ck_assert_ptr_eq(sa->prev, last);
			ck_assert(last == NULL || last->conn_id < sa->conn_id);
		}
		ck_assert_uint_eq(n, N / 2);
	}
	ike_sa_table_free(t);
	free(sas);
}
END_TEST

static struct sockaddr_storage v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	inet_pton(AF_INET, ip, &in->sin_addr);
	return ss;
}

static size_t count_host(struct ike_sa_table *t, const char *ip)
{
	struct sockaddr_storage a = v4(ip, 1);
	size_t n = 0;

	for (struct ike_sa *s = ike_sa_find_host(t, &a, NULL); s != NULL && n < 100;
	     s = ike_sa_find_host(t, &a, s))
		n++;
	return n;
}

/* The index by remote address: any port, followed when the address changes or an SA
 * goes; many SAs of one host (a load generator's gateway) through the hash's growth. */
START_TEST(test_index_by_host)
{
	enum { N = 5000 };
	struct ike_sa_table *t = ike_sa_table_new();
	struct ike_sa *a, *b, *c, **many = calloc(N, sizeof(*many));
	struct sockaddr_storage ss;

	ck_assert_ptr_nonnull(many);
	a = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	b = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	c = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	ss = v4("192.0.2.1", 500);
	ike_sa_set_remote(t, a, &ss);
	ss = v4("192.0.2.1", 4500);
	ike_sa_set_remote(t, b, &ss);
	ss = v4("192.0.2.2", 500);
	ike_sa_set_remote(t, c, &ss);
	ck_assert_uint_eq(count_host(t, "192.0.2.1"), 2);
	ck_assert_uint_eq(count_host(t, "192.0.2.2"), 1);
	ck_assert_uint_eq(count_host(t, "192.0.2.3"), 0);
	ss = v4("192.0.2.2", 4500);
	ike_sa_set_remote(t, b, &ss);
	ck_assert_uint_eq(count_host(t, "192.0.2.1"), 1);
	ck_assert_uint_eq(count_host(t, "192.0.2.2"), 2);
	ike_sa_remove(t, c);
	ck_assert_uint_eq(count_host(t, "192.0.2.2"), 1);
	ss = v4("198.51.100.1", 500);
	for (int i = 0; i < N; i++) {
		many[i] = ike_sa_create(t, IKE_ROLE_INITIATOR, ISAKMP_XCHG_IDPROT);
		ck_assert_ptr_nonnull(many[i]);
		ike_sa_set_remote(t, many[i], &ss);
	}
	ck_assert_uint_eq(count_host(t, "198.51.100.1"), 100); /* (count_host stops at 100) */
	/* removed from both ends: each leaves the long chain in O(1) */
	for (int i = 0; i < N / 2; i++) {
		ike_sa_remove(t, many[i]);
		ike_sa_remove(t, many[N - 1 - i]);
	}
	ck_assert_ptr_null(ike_sa_find_host(t, &ss, NULL));
	ck_assert_uint_eq(count_host(t, "192.0.2.1") + count_host(t, "192.0.2.2"), 2);
	ike_sa_table_free(t);
	free(many);
}
END_TEST

START_TEST(test_causes_table)
{
	for (int c = 0; c < IKE_CAUSE_COUNT; c++) {
		const struct ike_cause_info *ci = ike_cause_info(c);

		ck_assert_int_eq(ci->cause, c);
		ck_assert(strlen(ci->id) > 0);
		ck_assert_int_eq(ike_cause_from_id(ci->id), c);
		if (c != IKE_CAUSE_NONE)
			ck_assert(strlen(ci->hint) > 0);
	}
	ck_assert_str_eq(ike_cause_id(IKE_CAUSE_KEY_MISMATCH), "key-mismatch");
	ck_assert_str_eq(ike_cause_info(IKE_CAUSE_KEY_MISMATCH)->hint,
	                 "the pre-shared keys differ; check both ends");
	ck_assert_str_eq(ike_cause_id(IKE_CAUSE_COUNT + 5), "none");
	ck_assert_int_eq(ike_cause_from_id("no-such-cause"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sa");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_conn_ids_grow_and_are_never_reused);
	tcase_add_test(tc, test_index_by_host);
	tcase_add_test(tc, test_choke_point_checks_stamps_and_emits);
	tcase_add_test(tc, test_fail_and_delete);
	tcase_add_test(tc, test_cookie_lookup);
	tcase_add_test(tc, test_indexes_at_scale);
	tcase_add_test(tc, test_causes_table);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
