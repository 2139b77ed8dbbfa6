/*
 * test_strpool.c - interned strings (ike/strpool.c): one copy per distinct string,
 * references counted, freed at the last put (run under ASan, a leak fails the test), the
 * table grown and shrunk; and the SA table's use of it: identities and certificate
 * subjects shared between SAs, given back when an SA is freed or its value replaced.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/sa.h"
#include "ike/strpool.h"
#include "tests/unit/testlib.h"

START_TEST(test_intern_and_refcount)
{
	struct ike_strpool *p = ike_strpool_new();
	char buf[32];
	const char *a, *b, *c, *e;

	ck_assert_ptr_nonnull(p);
	a = ike_strpool_get(p, "gw.example.net", 14);
	snprintf(buf, sizeof(buf), "gw.example.net"); /* another copy of the same text */
	b = ike_strpool_get(p, buf, sizeof(buf));     /* cut at its NUL */
	ck_assert_ptr_eq(a, b);
	ck_assert_str_eq(a, "gw.example.net");
	ck_assert_uint_eq(ike_strpool_refs_of(a), 2);
	c = ike_strpool_get(p, "gw.example.net.", 14); /* len cuts it to the same text */
	ck_assert_ptr_eq(c, a);
	e = ike_strpool_get(p, "", 0);
	ck_assert_str_eq(e, "");
	ck_assert_ptr_eq(ike_strpool_get(p, "\0x", 2), e); /* "" needs no reference */
	ck_assert_uint_eq(ike_strpool_count(p), 1);
	ck_assert_uint_eq(ike_strpool_refs(p), 3);
	ike_strpool_put(p, e);
	ike_strpool_put(p, NULL);
	ike_strpool_put(p, a);
	ike_strpool_put(p, b);
	ck_assert_uint_eq(ike_strpool_count(p), 1);
	ck_assert_uint_eq(ike_strpool_refs_of(c), 1);
	ike_strpool_put(p, c);
	ck_assert_uint_eq(ike_strpool_count(p), 0);
	ck_assert_uint_eq(ike_strpool_refs(p), 0);
	/* interned again: a new copy, one reference */
	a = ike_strpool_get(p, "gw.example.net", 14);
	ck_assert_uint_eq(ike_strpool_refs_of(a), 1);
	ike_strpool_put(p, a);
	ike_strpool_free(p);
	printf("strpool: equal strings share one copy, counted; '' is free; the last put frees\n");
}
END_TEST

START_TEST(test_many_distinct)
{
	enum { N = 20000 };
	struct ike_strpool *p = ike_strpool_new();
	static const char *got[N];
	char buf[64];

	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "host%d.example", i);
		got[i] = ike_strpool_get(p, buf, strlen(buf));
		ck_assert_ptr_nonnull(got[i]);
	}
	ck_assert_uint_eq(ike_strpool_count(p), N);
	/* each found again (through the grown table), not copied */
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "host%d.example", i);
		ck_assert_ptr_eq(ike_strpool_get(p, buf, strlen(buf)), got[i]);
		ck_assert_uint_eq(ike_strpool_refs_of(got[i]), 2);
	}
	ck_assert_uint_eq(ike_strpool_refs(p), 2 * N);
	/* given back: one reference each, backwards (all stay), then the other in a
	 * shuffled order (7919 is prime to N): the table shrinks meanwhile */
	for (int i = N - 1; i >= 0; i--)
		ike_strpool_put(p, got[i]);
	ck_assert_uint_eq(ike_strpool_count(p), N);
	for (int i = 0; i < N; i++) {
		ike_strpool_put(p, got[(i * 7919) % N]);
		ck_assert_uint_eq(ike_strpool_count(p), (size_t)(N - 1 - i));
	}
	ck_assert_uint_eq(ike_strpool_count(p), 0);
	ck_assert_uint_eq(ike_strpool_refs(p), 0);
	/* what the pool still holds is freed with it (ASan: no leak) */
	ck_assert_ptr_nonnull(ike_strpool_get(p, "left over", 9));
	ike_strpool_free(p);
	printf("strpool: %d distinct strings interned, found again and freed\n", N);
}
END_TEST

START_TEST(test_sa_table_shares_and_releases)
{
	struct ike_sa_table *t = ike_sa_table_new();
	const struct ike_strpool *p = ike_sa_table_strings(t);
	struct ike_id local = {IKE_ID_FQDN, "hub.example.net"}, remote = {IKE_ID_IPV4_ADDR, ""};
	struct ike_sa *sa[3];
	char subject[400];

	for (int i = 0; i < 3; i++) {
		sa[i] = ike_sa_create(t, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
		/* readable before anything is set */
		ck_assert_str_eq(sa[i]->local_id.value, "");
		ck_assert_str_eq(sa[i]->remote_id.value, "");
		ck_assert_str_eq(sa[i]->peer_cert, "");
		snprintf(remote.value, sizeof(remote.value), "192.0.2.%d", i + 1);
		ck_assert_int_eq(ike_sa_set_local_id(t, sa[i], &local), 0);
		ck_assert_int_eq(ike_sa_set_remote_id(t, sa[i], &remote), 0);
		ck_assert_int_eq(ike_sa_set_peer_cert(t, sa[i], "C=CH, O=ikemon test, CN=peer"), 0);
	}
	/* one local identity, one subject, three remote identities */
	ck_assert_ptr_eq(sa[0]->local_id.value, sa[2]->local_id.value);
	ck_assert_ptr_eq(sa[0]->peer_cert, sa[1]->peer_cert);
	ck_assert_str_eq(sa[1]->remote_id.value, "192.0.2.2");
	ck_assert_uint_eq(sa[1]->remote_id.type, IKE_ID_IPV4_ADDR);
	ck_assert_uint_eq(ike_strpool_count(p), 5);
	ck_assert_uint_eq(ike_strpool_refs_of(sa[0]->local_id.value), 3);
	/* a value replaced gives the old one back; setting the same one keeps one reference */
	ck_assert_int_eq(ike_sa_set_remote_id(t, sa[2], &remote), 0);
	ck_assert_uint_eq(ike_strpool_refs_of(sa[2]->remote_id.value), 1);
	remote.value[0] = '\0';
	ck_assert_int_eq(ike_sa_set_remote_id(t, sa[2], &remote), 0);
	ck_assert_str_eq(sa[2]->remote_id.value, "");
	ck_assert_uint_eq(ike_strpool_count(p), 4);
	/* a long subject is cut to IKE_PEER_CERT_MAX bytes */
	memset(subject, 'x', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	ck_assert_int_eq(ike_sa_set_peer_cert(t, sa[2], subject), 0);
	ck_assert_uint_eq(strlen(sa[2]->peer_cert), IKE_PEER_CERT_MAX);
	ck_assert_uint_eq(ike_strpool_refs_of(sa[0]->peer_cert), 2);
	/* removed SAs give theirs back */
	ike_sa_remove(t, sa[0]);
	ike_sa_remove(t, sa[1]);
	ck_assert_uint_eq(ike_strpool_count(p), 2); /* sa[2]'s local identity and subject */
	ck_assert_uint_eq(ike_strpool_refs(p), 2);
	ike_sa_table_free(t); /* frees sa[2] and its strings (ASan: no leak) */
	printf("SA table: 3 SAs, one copy of the shared identity and subject, released with "
	       "the SAs\n");
}
END_TEST

static Suite *strpool_suite(void)
{
	Suite *s = suite_create("strpool");
	TCase *tc = tcase_create("pool");

	tcase_add_test(tc, test_intern_and_refcount);
	tcase_add_test(tc, test_many_distinct);
	tcase_add_test(tc, test_sa_table_shares_and_releases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(strpool_suite());
}
