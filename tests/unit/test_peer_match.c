/*
 * test_peer_match.c - which configured peer a first message is from (ike/peer_match.c):
 * the index (host peers hashed, subnet and %any peers walked) must choose what the walk
 * of every peer chose: the most specific remote, the first configured among equals,
 * and only peers whose local (when set) is the address the datagram came to.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/exchange.h"
#include "ike/ike.h"

static void addr(struct sockaddr_storage *ss, const char *a)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(a, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(500);
		ck_assert_int_eq(inet_pton(AF_INET6, a, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(500);
		ck_assert_int_eq(inet_pton(AF_INET, a, &s4->sin_addr), 1);
	}
}

/* remote: "%any", "ADDR" or "ADDR/LEN"; local: NULL or an address. */
static void peer(struct ike_peer_cfg *p, const char *name, const char *remote, const char *local)
{
	char a[64], *slash;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->autostart = IKE_AUTO_ADD;
	if (strcmp(remote, "%any") == 0) {
		p->remote_any = true;
	} else {
		snprintf(a, sizeof(a), "%s", remote);
		slash = strchr(a, '/');
		if (slash != NULL)
			*slash = '\0';
		addr(&p->remote, a);
		p->remote_prefix = slash != NULL                     ? (uint8_t)atoi(slash + 1)
		                   : p->remote.ss_family == AF_INET6 ? 128
		                                                     : 32;
	}
	if (local != NULL)
		addr(&p->local, local);
}

/* Whether two addresses are the same host (ports ignored), as dispatch.c had it. */
static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (b->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

/* The walk of every peer that dispatch.c used to do. */
static const struct engine_peer *walk_all(const struct ike_engine *e, const struct sockaddr *local,
                                          const struct sockaddr *remote)
{
	const struct engine_peer *best = NULL;
	int best_len = -1;

	for (size_t i = 0; i < e->n_peers; i++) {
		const struct engine_peer *p = &e->peers[i];
		int len = p->cfg.remote_any ? -1 : p->cfg.remote_prefix;

		if (!ike_peer_matches_addr(&p->cfg, remote))
			continue;
		if (p->cfg.local.ss_family != 0 && !same_host(&p->cfg.local, local))
			continue;
		if (best == NULL || len > best_len) {
			best = p;
			best_len = len;
		}
	}
	return best;
}

static const char *name_of(const struct engine_peer *p)
{
	return p != NULL ? p->cfg.name : "(none)";
}

static struct ike_engine *engine_with(const struct ike_peer_cfg *peers, size_t n)
{
	static const struct ike_engine_ops ops = {0};
	struct ike_settings set;
	struct ike_engine *e;

	ike_settings_default(&set);
	e = ike_engine_new(&ops, NULL, &set);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ike_engine_set_peers(e, peers, n), 0);
	ck_assert(e->addrs.ready);
	return e;
}

static void expect(struct ike_engine *e, const char *remote, const char *local, const char *want)
{
	struct sockaddr_storage r, l;
	const struct engine_peer *got;

	addr(&r, remote);
	addr(&l, local);
	got = engine_match_peer(e, (struct sockaddr *)&l, (struct sockaddr *)&r);
	ck_assert_msg(strcmp(name_of(got), want) == 0, "%s to %s: got %s, want %s", remote, local,
	              name_of(got), want);
	ck_assert_str_eq(name_of(walk_all(e, (struct sockaddr *)&l, (struct sockaddr *)&r)), want);
}

START_TEST(test_most_specific)
{
	struct ike_peer_cfg p[9];
	struct ike_engine *e;

	peer(&p[0], "any", "%any", NULL);
	peer(&p[1], "net8", "10.0.0.0/8", NULL);
	peer(&p[2], "net16", "10.1.0.0/16", NULL);
	peer(&p[3], "host-on-9", "10.1.2.3", "127.0.0.9");
	peer(&p[4], "host", "10.1.2.3", NULL);
	peer(&p[5], "host-again", "10.1.2.3", NULL);
	peer(&p[6], "net16-again", "10.1.0.0/16", NULL);
	peer(&p[7], "v6", "2001:db8::1", NULL);
	peer(&p[8], "v6net", "2001:db8::/32", "::1");
	e = engine_with(p, 9);
	expect(e, "10.1.2.3", "127.0.0.9", "host-on-9"); /* first of the equals that fits */
	expect(e, "10.1.2.3", "127.0.0.1", "host");      /* host-on-9 is for 127.0.0.9 only */
	expect(e, "10.1.9.9", "127.0.0.1", "net16");     /* the first /16 */
	expect(e, "10.2.0.1", "127.0.0.1", "net8");
	expect(e, "192.0.2.1", "127.0.0.1", "any");
	expect(e, "2001:db8::1", "::1", "v6");
	expect(e, "2001:db8::2", "::1", "v6net");
	expect(e, "2001:db8::2", "::2", "any"); /* v6net is for ::1 only */
	ike_engine_free(e);
}
END_TEST

START_TEST(test_no_match)
{
	struct ike_peer_cfg p[2];
	struct ike_engine *e;

	peer(&p[0], "h", "192.0.2.1", NULL);
	peer(&p[1], "n", "198.51.100.0/24", "127.0.0.1");
	e = engine_with(p, 2);
	expect(e, "192.0.2.2", "127.0.0.1", "(none)");
	expect(e, "198.51.100.7", "127.0.0.2", "(none)");
	expect(e, "::1", "::1", "(none)");
	ike_engine_free(e);
}
END_TEST

/* Many peers, random addresses: the index and the walk always agree. */
START_TEST(test_agrees_with_walk)
{
	enum { N = 3000, PROBES = 20000 };
	static struct ike_peer_cfg p[N];
	struct ike_engine *e;
	char a[64], name[32];

	srandom(3);
	for (int i = 0; i < N; i++) {
		int kind = (int)(random() % 10);

		snprintf(name, sizeof(name), "p%d", i);
		snprintf(a, sizeof(a), "10.%ld.%ld.%ld", random() % 4, random() % 8, random() % 64);
		if (kind == 0)
			snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%ld", 8 + random() % 24);
		peer(&p[i], name, a, kind == 1 ? (random() % 2 ? "127.0.0.1" : "127.0.0.2") : NULL);
	}
	peer(&p[N / 2], "any", "%any", "127.0.0.2");
	e = engine_with(p, N);
	for (int k = 0; k < PROBES; k++) {
		struct sockaddr_storage r, l;

		snprintf(a, sizeof(a), "10.%ld.%ld.%ld", random() % 5, random() % 8, random() % 64);
		addr(&r, a);
		addr(&l, random() % 2 ? "127.0.0.1" : "127.0.0.2");
		ck_assert_ptr_eq(engine_match_peer(e, (struct sockaddr *)&l, (struct sockaddr *)&r),
		                 walk_all(e, (struct sockaddr *)&l, (struct sockaddr *)&r));
	}
	ike_engine_free(e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("peer_match");
	TCase *t = tcase_create("match");

	tcase_add_test(t, test_most_specific);
	tcase_add_test(t, test_no_match);
	tcase_add_test(t, test_agrees_with_walk);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
