/*
 * test_show.c - golden tests of the CLI views (agent/show.c).
 *
 * SA lists are built by hand (no engine) and the IOS text is compared byte for byte with
 * tests/golden/, whose files were written from the captures in CISCO-CLI.md, not from
 * this code (testlib.c compares; the directory is $GOLDEN_DIR or tests/golden).
 *
 * Build with -DTEST_SHOW_FAKE_IKE to link without ike/state.c, ike/causes.c and
 * ike/sa.c (tiny stand-ins at the end of this file); otherwise link the real ones.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/show.h"
#include "ike/ike.h"
#include "tests/unit/testlib.h"

#define MAX_SAS  16
#define NOW_WALL ((time_t)1700000000) /* 2023-11-14T22:13:20Z */

struct sa_list {
	struct ike_sa sa[MAX_SAS];
	size_t n;
};

/* ---------------------------------------------------------------- helpers */

/*
 * An internal state that shows as the given Cisco state for a role, found through the
 * state table itself, so the tests follow the one mapping instead of copying it.
 */
static enum ike_state state_for(enum cisco_state cisco, enum ike_role role)
{
	for (int s = 0; s < IKE_ST_COUNT; s++) {
		const struct ike_state_row *row = ike_state_row((enum ike_state)s);

		if (s == IKE_ST_DELETED || row == NULL)
			continue;
		if (ike_state_cisco((enum ike_state)s) == cisco &&
		    (row->role == 0 || row->role == role))
			return (enum ike_state)s;
	}
	ck_abort_msg("no internal state shows as %s for role %d", cisco_state_name(cisco), role);
	return IKE_ST_COUNT;
}

/* Append an SA to the list (chained in insertion order) and return it. */
static struct ike_sa *add_sa(struct sa_list *l, uint32_t conn_id, enum ike_role role,
                             const char *local, const char *remote)
{
	struct ike_sa *sa;

	ck_assert_uint_lt(l->n, MAX_SAS);
	sa = &l->sa[l->n];
	memset(sa, 0, sizeof(*sa));
	sa->conn_id = conn_id;
	sa->ike_version = 1;
	sa->exchange = ISAKMP_XCHG_IDPROT;
	sa->role = role;
	sa->local_id.value = sa->remote_id.value = sa->peer_cert = ""; /* as ike_sa_create() */
	tl_set_addr(&sa->local, local, 500);
	tl_set_addr(&sa->remote, remote, 500);
	sa->state = state_for(CISCO_QM_IDLE, role);
	sa->created_wall = NOW_WALL - 600;
	if (l->n > 0)
		l->sa[l->n - 1].next = sa;
	l->n++;
	return sa;
}

static void set_cisco(struct ike_sa *sa, enum cisco_state cisco)
{
	sa->state = state_for(cisco, sa->role);
}

static void set_established(struct ike_sa *sa, long left_s)
{
	sa->state = state_for(CISCO_QM_IDLE, sa->role);
	sa->established_wall = NOW_WALL - 60;
	sa->expires_wall = NOW_WALL + left_s;
}

static void set_xf(struct ike_sa *sa, uint16_t encr, uint16_t keylen, uint16_t hash, uint16_t group)
{
	sa->xf.encr = encr;
	sa->xf.keylen = keylen;
	sa->xf.hash = hash;
	sa->xf.auth = IKE_AUTH_PSK;
	sa->xf.group = group;
	sa->xf.lifetime_s = 86400;
}

static const struct ike_sa *first_of(const struct sa_list *l)
{
	return l->n > 0 ? &l->sa[0] : NULL;
}

/* ---------------------------------------------------------------- golden tests */

START_TEST(test_empty)
{
	struct strbuf out;

	strbuf_init(&out);
	show_isakmp_sa(&out, NULL);
	tl_assert_golden(&out, "isakmp_sa_empty.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_states)
{
	static const enum cisco_state states[] = {CISCO_MM_NO_STATE, CISCO_MM_SA_SETUP,
	                                          CISCO_MM_KEY_EXCH, CISCO_MM_KEY_AUTH,
	                                          CISCO_QM_IDLE};
	struct sa_list l = {0};
	struct strbuf out;
	char remote[32];
	uint32_t id = 1001;

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		for (int r = 0; r < 2; r++, id++) {
			enum ike_role role = r == 0 ? IKE_ROLE_INITIATOR : IKE_ROLE_RESPONDER;

			snprintf(remote, sizeof(remote), "198.51.100.%u", id - 1000);
			set_cisco(add_sa(&l, id, role, "203.0.113.2", remote), states[i]);
		}
	}
	strbuf_init(&out);
	show_isakmp_sa(&out, first_of(&l));
	tl_assert_golden(&out, "isakmp_sa_states.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_deleted)
{
	struct sa_list l = {0};
	struct ike_sa *sa;
	struct strbuf out;

	add_sa(&l, 1005, IKE_ROLE_RESPONDER, "203.0.113.2", "198.51.100.6");
	/* deleted after reaching QM_IDLE; an initiator, so dst is the remote end */
	sa = add_sa(&l, 1002, IKE_ROLE_INITIATOR, "198.51.100.6", "203.0.113.2");
	sa->state = IKE_ST_DELETED;
	sa->delete_reason = IKE_CAUSE_CLEARED;
	/* an IPv6 SA deleted half way: listed after every IPv4 row */
	sa = add_sa(&l, 1006, IKE_ROLE_RESPONDER, "2001:db8:1::1", "2001:db8:2::2");
	sa->state = IKE_ST_DELETED;
	add_sa(&l, 1004, IKE_ROLE_RESPONDER, "203.0.113.2", "198.51.100.2");
	/* deleted during the key exchange: still MM_NO_STATE, not MM_KEY_EXCH */
	sa = add_sa(&l, 1007, IKE_ROLE_INITIATOR, "203.0.113.2", "198.51.100.9");
	sa->state = IKE_ST_DELETED;
	sa->last_cause = IKE_CAUSE_KEY_MISMATCH;

	strbuf_init(&out);
	show_isakmp_sa(&out, first_of(&l));
	tl_assert_golden(&out, "isakmp_sa_deleted.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_ipv6)
{
	struct sa_list l = {0};
	struct strbuf out;

	/* the CISCO-CLI.md example, with IPv6 SAs interleaved in the list */
	add_sa(&l, 1005, IKE_ROLE_RESPONDER, "203.0.113.2", "198.51.100.6");
	add_sa(&l, 1005, IKE_ROLE_INITIATOR, "2000:202:100:1::1", "2000:61:128:1::1");
	add_sa(&l, 1002, IKE_ROLE_RESPONDER, "203.0.113.2", "198.51.100.6")->state = IKE_ST_DELETED;
	set_cisco(add_sa(&l, 1008, IKE_ROLE_RESPONDER, "2001:db8:1:2::23", "2001:db8:1:3::209"),
	          CISCO_MM_KEY_EXCH);
	add_sa(&l, 1004, IKE_ROLE_RESPONDER, "203.0.113.2", "198.51.100.2");

	strbuf_init(&out);
	show_isakmp_sa(&out, first_of(&l));
	tl_assert_golden(&out, "isakmp_sa_ipv6.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_wide)
{
	struct sa_list l = {0};
	struct strbuf out;

	add_sa(&l, 1001, IKE_ROLE_RESPONDER, "192.0.2.1", "192.0.2.101");
	add_sa(&l, 99999, IKE_ROLE_RESPONDER, "192.0.2.1", "192.0.2.102");
	add_sa(&l, 1234567, IKE_ROLE_RESPONDER, "192.0.2.1", "192.0.2.103");
	add_sa(&l, 12345678, IKE_ROLE_RESPONDER, "192.0.2.1", "192.0.2.104");
	/* the widest addresses fill their columns exactly */
	set_cisco(add_sa(&l, 12345678, IKE_ROLE_INITIATOR, "255.255.255.254", "255.255.255.255"),
	          CISCO_MM_KEY_AUTH);
	add_sa(&l, 999999, IKE_ROLE_RESPONDER, "2001:db8::1", "2001:db8::2");
	add_sa(&l, 1234567, IKE_ROLE_INITIATOR, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");

	strbuf_init(&out);
	show_isakmp_sa(&out, first_of(&l));
	tl_assert_golden(&out, "isakmp_sa_wide.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_detail)
{
	struct sa_list l = {0};
	struct ike_sa *sa;
	struct strbuf out;

	sa = add_sa(&l, 1001, IKE_ROLE_RESPONDER, "25.0.0.1", "15.0.0.1");
	set_xf(sa, IKE_ENCR_AES_CBC, 128, IKE_HASH_SHA1, 5);
	set_established(sa, 23 * 3600 + 25 * 60 + 3);
	/* AES-256: IOS prints "aes" whatever the key length */
	sa = add_sa(&l, 1002, IKE_ROLE_INITIATOR, "192.0.2.1", "198.51.100.20");
	set_xf(sa, IKE_ENCR_AES_CBC, 256, IKE_HASH_SHA2_256, IKE_GROUP_MODP2048);
	set_established(sa, 8 * 3600 + 5);
	sa = add_sa(&l, 1003, IKE_ROLE_INITIATOR, "192.0.2.1", "198.51.100.30");
	set_xf(sa, IKE_ENCR_3DES_CBC, 0, IKE_HASH_MD5, IKE_GROUP_MODP1024);
	set_established(sa, 59);
	/* negotiating: transform chosen, no lifetime yet */
	sa = add_sa(&l, 1004, IKE_ROLE_RESPONDER, "192.0.2.1", "198.51.100.40");
	set_xf(sa, IKE_ENCR_AES_CBC, 192, IKE_HASH_SHA2_384, IKE_GROUP_ECP384);
	set_cisco(sa, CISCO_MM_KEY_EXCH);
	/* nothing chosen yet */
	sa = add_sa(&l, 1005, IKE_ROLE_INITIATOR, "192.0.2.1", "198.51.100.50");
	set_cisco(sa, CISCO_MM_NO_STATE);
	sa = add_sa(&l, 1006, IKE_ROLE_INITIATOR, "192.0.2.1", "198.51.100.60");
	set_xf(sa, IKE_ENCR_AES_CBC, 128, IKE_HASH_SHA1, IKE_GROUP_MODP2048);
	set_established(sa, 3600);
	sa->state = IKE_ST_DELETED;
	sa = add_sa(&l, 1007, IKE_ROLE_RESPONDER, "2001:db8::1", "2001:db8:ff::2");
	set_xf(sa, IKE_ENCR_AES_CBC, 256, IKE_HASH_SHA2_512, IKE_GROUP_ECP256);
	set_established(sa, 86399);
	/* expired but not yet renewed: 00:00:00, never negative */
	sa = add_sa(&l, 12345, IKE_ROLE_INITIATOR, "2001:db8:1:2::23", "2001:db8:1:3::209");
	set_xf(sa, IKE_ENCR_AES_CBC, 128, IKE_HASH_SHA1, IKE_GROUP_MODP2048);
	set_established(sa, -5);

	strbuf_init(&out);
	show_isakmp_sa_detail(&out, first_of(&l), NOW_WALL);
	tl_assert_golden(&out, "isakmp_sa_detail.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_detail_empty)
{
	struct strbuf out;

	strbuf_init(&out);
	show_isakmp_sa_detail(&out, NULL, NOW_WALL);
	ck_assert_str_eq(out.s, "Codes: C - IKE configuration mode, D - Dead Peer Detection\n"
	                        "       K - Keepalives, N - NAT-traversal\n"
	                        "       T - cTCP encapsulation, X - IKE Extended Authentication\n"
	                        "       psk - Preshared key, rsig - RSA signature\n"
	                        "       renc - RSA encryption\n"
	                        "IPv4 Crypto ISAKMP SA\n\n"
	                        "IPv6 Crypto ISAKMP SA\n\n");
	strbuf_free(&out);
}
END_TEST

/* ---------------------------------------------------------------- JSON */

static void build_json_list(struct sa_list *l)
{
	struct ike_sa *sa;

	sa = add_sa(l, 1001, IKE_ROLE_INITIATOR, "192.0.2.1", "198.51.100.7");
	snprintf(sa->peer, sizeof(sa->peer), "branch-\"7\"");
	set_xf(sa, IKE_ENCR_AES_CBC, 256, IKE_HASH_SHA2_256, IKE_GROUP_MODP2048);
	set_established(sa, 3600);
	memcpy(sa->icookie, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	memcpy(sa->rcookie, "\xfe\xdc\xba\x98\x76\x54\x32\x10", 8);
	sa->local_id.type = IKE_ID_IPV4_ADDR;
	sa->local_id.value = "192.0.2.1";
	sa->remote_id.type = IKE_ID_FQDN;
	/* a hostile identity: quote, backslash, control byte and invalid UTF-8 */
	sa->remote_id.value = "gw\"\\\x01\xff.example";
	sa->ctr.msgs_in = 3;
	sa->ctr.retransmits = 18446744073709551615ULL;
	sa->state_entered.tv_sec = 100;
	sa->state_entered.tv_nsec = 500000000;

	sa = add_sa(l, 1002, IKE_ROLE_RESPONDER, "2001:db8::1", "2001:db8::2");
	sa->exchange = ISAKMP_XCHG_AGGR;
	sa->state = IKE_ST_DELETED;
	sa->last_cause = IKE_CAUSE_KEY_MISMATCH;
	snprintf(sa->cause_detail, sizeof(sa->cause_detail), "after MM5");
	sa->delete_reason = IKE_CAUSE_RETRY_LIMIT;
	sa->state_entered.tv_sec = 110;
	memset(&sa->local, 0, sizeof(sa->local)); /* local address not learnt */
}

START_TEST(test_json)
{
	struct sa_list l = {0};
	struct ike_global_counters g;
	struct timespec now = {113, 0};
	struct strbuf out;

	build_json_list(&l);
	memset(&g, 0, sizeof(g));
	g.msgs_in = 42;
	g.causes[IKE_CAUSE_KEY_MISMATCH] = 2;

	strbuf_init(&out);
	show_isakmp_sa_json(&out, first_of(&l), &g, NULL, &now);
	ck_assert(!out.oom);
	ck_assert_msg(tl_json_valid(out.s, out.len), "invalid JSON: %s", out.s);
	ck_assert_int_eq(strncmp(out.s, "{\"sas\":[{\"conn_id\":1001,", 24), 0);
	ck_assert_int_eq(out.s[out.len - 1], '\n');
	ck_assert_ptr_nonnull(strstr(out.s, "\"peer\":\"branch-\\\"7\\\"\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"exchange\":\"main\",\"role\":\"initiator\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"local\":{\"address\":\"192.0.2.1\",\"port\":500}"));
	ck_assert_ptr_nonnull(strstr(out.s, "\"icookie\":\"0123456789abcdef\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"rcookie\":\"fedcba9876543210\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"value\":\"gw\\\"\\\\\\u0001\\ufffd.example\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"encr\":7,\"encr_name\":\"aes\",\"keylen\":256"));
	ck_assert_ptr_nonnull(strstr(out.s, "\"group\":14,\"group_name\":\"modp2048\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"cisco_state\":\"QM_IDLE\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"seconds_in_state\":12.500"));
	ck_assert_ptr_nonnull(strstr(out.s, "\"created\":\"2023-11-14T22:03:20Z\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"expires\":\"2023-11-14T23:13:20Z\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"retransmits\":18446744073709551615"));
	/* second SA: aggressive, deleted, no local address, nothing negotiated */
	ck_assert_ptr_nonnull(strstr(out.s, "\"exchange\":\"aggressive\",\"role\":\"responder\""));
	ck_assert_ptr_nonnull(
	    strstr(out.s, "\"local\":null,\"remote\":{\"address\":\"2001:db8::2\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"encr_name\":null"));
	ck_assert_ptr_nonnull(
	    strstr(out.s, "\"state\":\"DELETED\",\"cisco_state\":\"MM_NO_STATE\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"seconds_in_state\":3.000"));
	ck_assert_ptr_nonnull(strstr(out.s, "\"established\":null,\"expires\":null"));
	ck_assert_ptr_nonnull(strstr(out.s, "\"status\":\"ACTIVE (deleted)\""));
	ck_assert_ptr_nonnull(strstr(out.s, "\"last_cause\":\"key-mismatch\",\"cause_detail\":"
	                                    "\"after MM5\",\"delete_reason\":\"retry-limit\","
	                                    "\"replaces\":null,\"replaced_by\":null}"));
	/* global counters, causes by identifier */
	ck_assert_ptr_nonnull(strstr(out.s, "],\"counters\":{\"msgs_in\":42,"));
	ck_assert_ptr_nonnull(strstr(out.s, "\"key-mismatch\":2"));
	ck_assert_ptr_nonnull(strstr(out.s, "\"sas_deleted\":0"));
	strbuf_free(&out);
}
END_TEST

START_TEST(test_json_empty)
{
	struct timespec now = {1, 0};
	struct strbuf out;

	strbuf_init(&out);
	show_isakmp_sa_json(&out, NULL, NULL, NULL, &now);
	ck_assert_str_eq(out.s, "{\"sas\":[]}\n");
	ck_assert(tl_json_valid(out.s, out.len));
	strbuf_free(&out);
}
END_TEST

START_TEST(test_json_checker)
{
	/* the checker must reject what it is there to catch */
	static const char *const bad[] = {"{",          "{\"a\":}", "[1,]",
	                                  "{\"a\":1,}", "\"\x01\"", "{\"a\" 1}",
	                                  "01",         "[1] x",    "{\"a\":\"\\x\"}"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!tl_json_valid(bad[i], strlen(bad[i])), "accepted %s", bad[i]);
	{
		const char *good = "{\"a\":[1,2.5,-3,true,false,null,\"\\u00e9\"]}";

		ck_assert(tl_json_valid(good, strlen(good)));
	}
}
END_TEST

/* ---------------------------------------------------------------- strbuf */

START_TEST(test_strbuf_grows)
{
	struct strbuf b;

	strbuf_init(&b);
	for (int i = 0; i < 10000; i++)
		strbuf_printf(&b, "%05d,", i);
	ck_assert(!b.oom);
	ck_assert_uint_eq(b.len, 60000);
	ck_assert_uint_eq(strlen(b.s), 60000);
	ck_assert_int_eq(strncmp(b.s + 6 * 9999, "09999,", 6), 0);
	strbuf_append(&b, "x", 1);
	ck_assert_int_eq(b.s[b.len - 1], 'x');
	ck_assert_int_eq(b.s[b.len], '\0');
	strbuf_free(&b);
	ck_assert_ptr_null(b.s);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_strbuf_cap)
{
	static char chunk[1 << 20];
	struct strbuf b;
	size_t len;

	memset(chunk, 'a', sizeof(chunk));
	strbuf_init(&b);
	for (int i = 0; i < 63; i++)
		strbuf_append(&b, chunk, sizeof(chunk));
	ck_assert(!b.oom);
	ck_assert_uint_eq(b.len, (size_t)63 << 20);
	/* the 64th MiB does not fit with its NUL: refused whole, and the flag sticks */
	strbuf_append(&b, chunk, sizeof(chunk));
	ck_assert(b.oom);
	len = b.len;
	ck_assert_uint_eq(len, (size_t)63 << 20);
	strbuf_printf(&b, "%d", 1);
	strbuf_json_string(&b, "x");
	ck_assert_uint_eq(b.len, len);
	ck_assert(b.oom);
	strbuf_free(&b);
	ck_assert(!b.oom);
}
END_TEST

START_TEST(test_json_string)
{
	struct strbuf b;

	strbuf_init(&b);
	strbuf_json_string(&b, "a\"b\\c\nd\te\x1f\x7f caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	ck_assert_str_eq(b.s, "\"a\\\"b\\\\c\\nd\\te\\u001f\\u007f caf\xc3\xa9 \xe2\x82\xac "
	                      "\xf0\x9f\x98\x80\"");
	strbuf_free(&b);
	/* overlong, surrogate, truncated and stray continuation bytes are replaced */
	strbuf_init(&b);
	strbuf_json_string(&b, "\xc0\xaf|\xed\xa0\x80|\xe2\x82|\x80");
	ck_assert_str_eq(b.s, "\"\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\"");
	ck_assert(tl_json_valid(b.s, b.len));
	strbuf_free(&b);
}
END_TEST

static Suite *show_suite(void)
{
	Suite *s = suite_create("show");
	TCase *golden = tcase_create("golden");
	TCase *json = tcase_create("json");
	TCase *buf = tcase_create("strbuf");

	tcase_add_test(golden, test_empty);
	tcase_add_test(golden, test_states);
	tcase_add_test(golden, test_deleted);
	tcase_add_test(golden, test_ipv6);
	tcase_add_test(golden, test_wide);
	tcase_add_test(golden, test_detail);
	tcase_add_test(golden, test_detail_empty);
	tcase_add_test(json, test_json);
	tcase_add_test(json, test_json_empty);
	tcase_add_test(json, test_json_checker);
	tcase_add_test(buf, test_strbuf_grows);
	tcase_add_test(buf, test_strbuf_cap);
	tcase_add_test(buf, test_json_string);
	suite_add_tcase(s, golden);
	suite_add_tcase(s, json);
	suite_add_tcase(s, buf);
	return s;
}

int main(void)
{
	return tl_run(show_suite());
}

#ifdef TEST_SHOW_FAKE_IKE
/*
 * Stand-ins for the lead's ike/state.c, ike/causes.c and ike/sa.c, used only when those
 * are not linked.  The mapping follows state.h's comments on each internal state.
 */
static const struct {
	const char *name;
	enum cisco_state cisco;
	enum ike_role role;
} fake_rows[IKE_ST_COUNT] = {
    [IKE_ST_MAIN_R0] = {"MAIN_R0", CISCO_MM_NO_STATE, IKE_ROLE_RESPONDER},
    [IKE_ST_MAIN_I1] = {"MAIN_I1", CISCO_MM_NO_STATE, IKE_ROLE_INITIATOR},
    [IKE_ST_MAIN_R1] = {"MAIN_R1", CISCO_MM_SA_SETUP, IKE_ROLE_RESPONDER},
    [IKE_ST_MAIN_I2] = {"MAIN_I2", CISCO_MM_SA_SETUP, IKE_ROLE_INITIATOR},
    [IKE_ST_MAIN_R2] = {"MAIN_R2", CISCO_MM_KEY_EXCH, IKE_ROLE_RESPONDER},
    [IKE_ST_MAIN_I3] = {"MAIN_I3", CISCO_MM_KEY_EXCH, IKE_ROLE_INITIATOR},
    [IKE_ST_MAIN_R3] = {"MAIN_R3", CISCO_MM_KEY_AUTH, IKE_ROLE_RESPONDER},
    [IKE_ST_MAIN_I4] = {"MAIN_I4", CISCO_MM_KEY_AUTH, IKE_ROLE_INITIATOR},
    [IKE_ST_ESTABLISHED] = {"ESTABLISHED", CISCO_QM_IDLE, 0},
    [IKE_ST_DELETED] = {"DELETED", CISCO_MM_NO_STATE, 0},
};

const char *cisco_state_name(enum cisco_state s)
{
	static const char *const n[] = {"UNKNOWN",      "MM_NO_STATE", "MM_SA_SETUP",
	                                "MM_KEY_EXCH",  "MM_KEY_AUTH", "AG_NO_STATE",
	                                "AG_INIT_EXCH", "AG_AUTH",     "QM_IDLE"};

	return s >= CISCO_STATE_MIN && s <= CISCO_STATE_MAX ? n[s] : n[0];
}

const struct ike_state_row *ike_state_row(enum ike_state s)
{
	static struct ike_state_row rows[IKE_ST_COUNT];

	if ((unsigned)s >= IKE_ST_COUNT)
		return NULL;
	rows[s].state = s;
	rows[s].name = fake_rows[s].name;
	rows[s].cisco = fake_rows[s].cisco;
	rows[s].role = fake_rows[s].role;
	return &rows[s];
}

enum cisco_state ike_state_cisco(enum ike_state s)
{
	return (unsigned)s < IKE_ST_COUNT ? fake_rows[s].cisco : CISCO_MM_NO_STATE;
}

const char *ike_cause_id(enum ike_cause c)
{
	static const char *const ids[IKE_CAUSE_COUNT] = {"none",
	                                                 "peer-silent",
	                                                 "no-proposal-chosen",
	                                                 "key-mismatch",
	                                                 "id-mismatch",
	                                                 "invalid-cookie",
	                                                 "malformed",
	                                                 "deleted-by-peer",
	                                                 "retry-limit",
	                                                 "peer-error-notify",
	                                                 "invalid-key-exchange",
	                                                 "no-config",
	                                                 "cleared",
	                                                 "shutdown",
	                                                 "expired",
	                                                 "config-removed",
	                                                 "internal-error",
	                                                 "replaced"};

	return (unsigned)c < IKE_CAUSE_COUNT ? ids[c] : ids[0];
}

double ike_sa_seconds_in_state(const struct ike_sa *sa, const struct timespec *now)
{
	double s = (double)(now->tv_sec - sa->state_entered.tv_sec) +
	           (double)(now->tv_nsec - sa->state_entered.tv_nsec) / 1e9;

	return s < 0 ? 0 : s;
}
#endif /* TEST_SHOW_FAKE_IKE */
