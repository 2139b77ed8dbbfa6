/*
 * test_config_p2.c - agent/config.c, phase 2: the [peer] keys esp, local_ts, remote_ts,
 * mode, ipsec_lifetime and ipsec_lifetime_kb; when a peer has children; the defaults
 * they get; the limit on their number; every error with its line.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "ike/ike.h"
#include "tests/unit/testlib.h"

#define SECRET "TopSecret-4711"

/* The selector's text, as ike_ts_format prints it. */
static void expect_ts(const struct ike_ts *ts, const char *want)
{
	char buf[128];

	ck_assert_str_eq(ike_ts_format(ts, buf, sizeof(buf)), want);
}

static void expect_esp(const struct ike_esp_proposal *p, const char *want)
{
	char buf[64];

	ck_assert_str_eq(ike_esp_proposal_format(p, buf, sizeof(buf)), want);
}

static void expect_no_children(const struct ike_peer_cfg *p, uint8_t mode, uint32_t life_s,
                               uint32_t life_kb)
{
	ck_assert(!p->has_children);
	ck_assert_uint_eq(p->n_esp, 0);
	ck_assert_uint_eq(p->n_local_ts, 0);
	ck_assert_uint_eq(p->n_remote_ts, 0);
	ck_assert_uint_eq(p->mode, mode);
	ck_assert_uint_eq(p->ipsec_lifetime_s, life_s);
	ck_assert_uint_eq(p->ipsec_lifetime_kb, life_kb);
}

/* A valid peer section, lines 1-4 of the texts below. */
#define PEER_A "[peer a]\nremote = 192.0.2.1\nlocal = 192.0.2.254\npsk = \"" SECRET "\"\n"

START_TEST(all_keys)
{
	struct ikemond_config cfg;
	const struct ike_peer_cfg *p;

	tl_config_load_ok("[peer site]\n"
	                  "remote = 198.51.100.7:4500\n"
	                  "psk = \"" SECRET "\"\n"
	                  "esp = aes256-sha256-modp2048, aes128-aes256-sha1\n"
	                  "local_ts = 10.1.0.0/24, 10.2.0.1-10.2.0.9[tcp/80]\n"
	                  "remote_ts = 10.9.0.0/16[udp/53]   ; a comment\n"
	                  "mode = transport\n"
	                  "ipsec_lifetime = 86400\n"
	                  "ipsec_lifetime_kb = 4194304\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.n_peers, 1);
	p = &cfg.peers[0];
	ck_assert(p->has_children);
	ck_assert_uint_eq(p->n_esp, 3);
	expect_esp(&p->esp[0], "aes256-sha256-modp2048");
	expect_esp(&p->esp[1], "aes128-sha1");
	expect_esp(&p->esp[2], "aes256-sha1");
	ck_assert_uint_eq(p->esp[0].encr, ESP_AES);
	ck_assert_uint_eq(p->esp[0].auth, IPSEC_AUTH_HMAC_SHA2_256);
	ck_assert_uint_eq(p->n_local_ts, 2);
	expect_ts(&p->local_ts[0], "10.1.0.0/24");
	expect_ts(&p->local_ts[1], "10.2.0.1-10.2.0.9[tcp/80]");
	ck_assert_uint_eq(p->n_remote_ts, 1);
	expect_ts(&p->remote_ts[0], "10.9.0.0/16[udp/53]");
	ck_assert_uint_eq(p->mode, IPSEC_MODE_TRANSPORT);
	ck_assert_uint_eq(p->ipsec_lifetime_s, 86400);
	ck_assert_uint_eq(p->ipsec_lifetime_kb, 4194304);
	ikemond_config_free(&cfg);

	tl_config_load_ok(
	    PEER_A "mode = tunnel\nipsec_lifetime = 60\nipsec_lifetime_kb = 0\nesp = 3des-md5\n",
	    &cfg);
	p = &cfg.peers[0];
	ck_assert_uint_eq(p->mode, IPSEC_MODE_TUNNEL);
	ck_assert_uint_eq(p->ipsec_lifetime_s, 60);
	ck_assert_uint_eq(p->ipsec_lifetime_kb, 0);
	ck_assert_uint_eq(p->n_esp, 1);
	expect_esp(&p->esp[0], "3des-md5");
	ikemond_config_free(&cfg);
}
END_TEST

/* exchange = main | aggressive, aggressive = yes | no (with certificates: test_config_cert.c) */
START_TEST(aggressive_keys)
{
	struct ikemond_config cfg;

	tl_config_load_ok("[peer a]\nremote = 192.0.2.1\npsk = \"TopSecret\"\n"
	                  "exchange = aggressive\naggressive = yes\n"
	                  "[peer b]\nremote = 192.0.2.2\npsk = \"TopSecret\"\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.n_peers, 2);
	ck_assert_int_eq(cfg.peers[0].exchange, ISAKMP_XCHG_AGGR);
	ck_assert(cfg.peers[0].aggressive);
	/* the defaults: Main Mode, Aggressive Mode not answered */
	ck_assert(cfg.peers[1].exchange == 0 || cfg.peers[1].exchange == ISAKMP_XCHG_IDPROT);
	ck_assert(!cfg.peers[1].aggressive);
	ikemond_config_free(&cfg);
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = \"TopSecret\"\n"
	                       "exchange = quick\n",
	                       4, "bad exchange 'quick' (expected main or aggressive)");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = \"TopSecret\"\n"
	                       "aggressive = on\n",
	                       4, "bad aggressive 'on' (expected yes or no)");
}
END_TEST

START_TEST(without_children)
{
	struct ikemond_config cfg;

	/* No phase-2 key: phase 1 only, with the defaults a child would get. */
	tl_config_load_ok(PEER_A, &cfg);
	expect_no_children(&cfg.peers[0], IPSEC_MODE_TUNNEL, 3600, 0);
	ikemond_config_free(&cfg);

	/* mode and the lifetimes shape children but do not make any. */
	tl_config_load_ok(
	    PEER_A "mode = transport\nipsec_lifetime = 120\nipsec_lifetime_kb = 1000\n", &cfg);
	expect_no_children(&cfg.peers[0], IPSEC_MODE_TRANSPORT, 120, 1000);
	ikemond_config_free(&cfg);

	/* Nor do they need a single remote address. */
	tl_config_load_ok("[peer any]\nremote = %any\npsk = \"x\"\nmode = transport\n"
	                  "[peer net]\nremote = 10.0.0.0/8\npsk = \"x\"\nipsec_lifetime = 600\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.n_peers, 2);
	expect_no_children(&cfg.peers[0], IPSEC_MODE_TRANSPORT, 3600, 0);
	expect_no_children(&cfg.peers[1], IPSEC_MODE_TUNNEL, 600, 0);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(children_defaults)
{
	struct ikemond_config cfg;
	const struct ike_peer_cfg *p;

	/* esp alone: both selectors are the hosts (ports do not matter), tunnel, 3600 s. */
	tl_config_load_ok(
	    "[peer a]\nremote = 198.51.100.7:4500\nlocal = 192.0.2.1:4500\npsk = \"x\"\n"
	    "esp = aes256-sha384\n",
	    &cfg);
	p = &cfg.peers[0];
	ck_assert(p->has_children);
	ck_assert_uint_eq(p->n_esp, 1);
	expect_esp(&p->esp[0], "aes256-sha384");
	ck_assert_uint_eq(p->n_local_ts, 1);
	expect_ts(&p->local_ts[0], "192.0.2.1/32");
	ck_assert_uint_eq(p->n_remote_ts, 1);
	expect_ts(&p->remote_ts[0], "198.51.100.7/32");
	ck_assert_uint_eq(p->mode, IPSEC_MODE_TUNNEL);
	ck_assert_uint_eq(p->ipsec_lifetime_s, 3600);
	ck_assert_uint_eq(p->ipsec_lifetime_kb, 0);
	ikemond_config_free(&cfg);

	/* local_ts alone: esp aes128-sha256, remote_ts the remote host. */
	tl_config_load_ok(
	    "[peer a]\nremote = 2001:db8::7\npsk = \"x\"\nlocal_ts = 2001:db8:1::/48\n", &cfg);
	p = &cfg.peers[0];
	ck_assert(p->has_children);
	ck_assert_uint_eq(p->n_esp, 1);
	expect_esp(&p->esp[0], "aes128-sha256");
	ck_assert_uint_eq(p->esp[0].encr, ESP_AES);
	ck_assert_uint_eq(p->esp[0].keylen, 128);
	ck_assert_uint_eq(p->esp[0].auth, IPSEC_AUTH_HMAC_SHA2_256);
	ck_assert_uint_eq(p->esp[0].group, 0);
	ck_assert_uint_eq(p->n_local_ts, 1);
	expect_ts(&p->local_ts[0], "2001:db8:1::/48");
	ck_assert_uint_eq(p->n_remote_ts, 1);
	expect_ts(&p->remote_ts[0], "2001:db8::7/128");
	ikemond_config_free(&cfg);

	/* remote_ts alone without local: the engine fills local_ts from the SA's address. */
	tl_config_load_ok(
	    "[peer a]\nremote = 192.0.2.1\npsk = \"x\"\nremote_ts = 10.9.0.0/16, 10.8.0.0/16\n",
	    &cfg);
	p = &cfg.peers[0];
	ck_assert(p->has_children);
	ck_assert_uint_eq(p->n_esp, 1);
	ck_assert_uint_eq(p->n_local_ts, 0);
	ck_assert_uint_eq(p->n_remote_ts, 2);
	expect_ts(&p->remote_ts[1], "10.8.0.0/16");
	ikemond_config_free(&cfg);

	/* A subnet or %any remote is fine with remote_ts given. */
	tl_config_load_ok("[peer net]\nremote = 10.0.0.0/8\npsk = \"x\"\nremote_ts = 10.0.0.0/8\n"
	                  "[peer any]\nremote = %any\npsk = \"x\"\nlocal = [2001:db8::1]\n"
	                  "remote_ts = 2001:db8:9::/48\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.n_peers, 2);
	ck_assert(cfg.peers[0].has_children);
	ck_assert_uint_eq(cfg.peers[0].n_local_ts, 0);
	ck_assert_uint_eq(cfg.peers[1].n_local_ts, 1);
	expect_ts(&cfg.peers[1].local_ts[0], "2001:db8::1/128");
	ikemond_config_free(&cfg);
}
END_TEST

/* "10.0.N.0/24, ..." with n selectors into buf. */
static const char *ts_list(char *buf, size_t len, unsigned base, unsigned n)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s10.%u.%u.0/24", i ? ", " : "",
		                        base, i);
	return buf;
}

START_TEST(children_limit)
{
	struct ikemond_config cfg;
	char text[1024], l[256], r[256];

	/* 4 x 4 and 8 x 2 are 16 children: the most a peer may have. */
	snprintf(text, sizeof(text), PEER_A "local_ts = %s\nremote_ts = %s\n",
	         ts_list(l, sizeof(l), 1, 4), ts_list(r, sizeof(r), 2, 4));
	tl_config_load_ok(text, &cfg);
	ck_assert_uint_eq(cfg.peers[0].n_local_ts, 4);
	ck_assert_uint_eq(cfg.peers[0].n_remote_ts, 4);
	expect_ts(&cfg.peers[0].remote_ts[3], "10.2.3.0/24");
	ikemond_config_free(&cfg);
	snprintf(text, sizeof(text), PEER_A "local_ts = %s\nremote_ts = %s\n",
	         ts_list(l, sizeof(l), 1, 8), ts_list(r, sizeof(r), 2, 2));
	tl_config_load_ok(text, &cfg);
	ck_assert_uint_eq(cfg.peers[0].n_local_ts, 8);
	ikemond_config_free(&cfg);
	/* 8 selectors with the default on the other side */
	snprintf(text, sizeof(text), PEER_A "remote_ts = %s\n", ts_list(r, sizeof(r), 2, 8));
	tl_config_load_ok(text, &cfg);
	ck_assert_uint_eq(cfg.peers[0].n_local_ts, 1);
	ck_assert_uint_eq(cfg.peers[0].n_remote_ts, 8);
	ikemond_config_free(&cfg);

	/* More: reported on the later of the two keys. */
	snprintf(text, sizeof(text), PEER_A "local_ts = %s\nesp = aes128-sha1\nremote_ts = %s\n",
	         ts_list(l, sizeof(l), 1, 3), ts_list(r, sizeof(r), 2, 6));
	tl_config_expect_error(text, 7,
	                       "peer 'a': 3 local_ts x 6 remote_ts make 18 children (at most 16)");
	snprintf(text, sizeof(text), PEER_A "remote_ts = %s\nlocal_ts = %s\n[ikemond]\n",
	         ts_list(r, sizeof(r), 2, 3), ts_list(l, sizeof(l), 1, 8));
	tl_config_expect_error(text, 6, "8 local_ts x 3 remote_ts make 24 children (at most 16)");
	/* 9 on one side */
	snprintf(text, sizeof(text), PEER_A "remote_ts = %s\n", ts_list(r, sizeof(r), 2, 9));
	tl_config_expect_error(text, 5, "remote_ts: too many selectors (at most 8)");
}
END_TEST

START_TEST(errors)
{
	tl_config_expect_error(PEER_A "esp = aes99-sha256\n", 5, "esp: unknown algorithm 'aes99'");
	tl_config_expect_error(PEER_A "esp = aes128\n", 5,
	                       "esp: proposal 'aes128' lacks an integrity algorithm");
	tl_config_expect_error(PEER_A "esp = aes128-sha1,\n", 5, "esp: empty proposal in list");
	tl_config_expect_error(PEER_A "local_ts = 10.0.0.1/24\n", 5,
	                       "local_ts: selector '10.0.0.1/24' has bits set after the prefix");
	tl_config_expect_error(
	    PEER_A "remote_ts = 10.0.0.9-10.0.0.1\n", 5,
	    "remote_ts: selector range '10.0.0.9-10.0.0.1' ends before it starts");
	tl_config_expect_error(PEER_A "remote_ts = 10.0.0.0/8[tcp/99999]\n", 5,
	                       "remote_ts: bad port '99999' (expected 0 to 65535)");
	/* No blanks inside a selector, as in strongSwan. */
	tl_config_expect_error(PEER_A "remote_ts = 10.0.0.0/8 [tcp]\n", 5,
	                       "remote_ts: bad selector subnet '10.0.0.0/8 '");
	tl_config_expect_error(PEER_A "remote_ts = 10.0.0.0/8,,10.1.0.0/16\n", 5,
	                       "remote_ts: empty selector in list");
	tl_config_expect_error(PEER_A "mode = tunel\n", 5,
	                       "bad mode 'tunel' (expected tunnel or transport)");
	tl_config_expect_error(PEER_A "mode = TUNNEL\n", 5, "bad mode 'TUNNEL'");
	tl_config_expect_error(PEER_A "ipsec_lifetime = 9\n", 5,
	                       "bad ipsec_lifetime '9' (expected 10 to 86400)");
	tl_config_expect_error(PEER_A "ipsec_lifetime = 86401\n", 5, "bad ipsec_lifetime '86401'");
	tl_config_expect_error(PEER_A "ipsec_lifetime = 1h\n", 5, "bad ipsec_lifetime '1h'");
	tl_config_expect_error(PEER_A "ipsec_lifetime_kb = 4194305\n", 5,
	                       "bad ipsec_lifetime_kb '4194305' (expected 0 to 4194304)");
	tl_config_expect_error(PEER_A "ipsec_lifetime_kb = -1\n", 5, "bad ipsec_lifetime_kb '-1'");
	tl_config_expect_error(PEER_A "esp = aes128-sha1\nesp = aes256-sha1\n", 6,
	                       "duplicate key 'esp' (first set on line 5)");
	tl_config_expect_error(PEER_A "local_ts =\n", 5, "key 'local_ts' has no value");
	tl_config_expect_error(
	    "[ikemond]\nremote_ts = 10.0.0.0/8\n", 2,
	    "key 'remote_ts' belongs in a [peer NAME] section, not in [ikemond]");
	tl_config_expect_error(
	    PEER_A "child = x\n", 5,
	    "unknown key 'child' in [peer a] (known there: remote, local, psk, ike, "
	    "local_id, remote_id, auto, exchange, aggressive, ike_lifetime, dpd_delay, "
	    "dpd_timeout, "
	    "esp, local_ts, "
	    "remote_ts, mode, "
	    "ipsec_lifetime, ipsec_lifetime_kb, auth, cert, key, ca, crl, send_cert, "
	    "stall_after, stall_after.STATE, qm_stall_after, rekey, "
	    "rekey_margin, rekey_fuzz)");
}
END_TEST

START_TEST(errors_no_default_selector)
{
	/* Reported on the first key that gave the peer children. */
	tl_config_expect_error(
	    "[peer a]\nremote = %any\npsk = \"" SECRET "\"\nmode = tunnel\n"
	    "esp = aes128-sha1\nlocal_ts = 10.0.0.0/8\n",
	    5,
	    "peer 'a': no default remote_ts can be derived from remote = %any (line 2); "
	    "set remote_ts");
	tl_config_expect_error(
	    "[peer a]\npsk = \"" SECRET "\"\nlocal_ts = 10.0.0.0/8\nesp = aes128-sha1\n"
	    "remote = 10.0.0.0/8\n[peer b]\n",
	    3, "peer 'a': no default remote_ts can be derived from remote = a subnet (line 5)");
}
END_TEST

/* Reload: the same text gives equal peers; a phase-2 change is a change. */
START_TEST(reload_compare)
{
	struct ikemond_config a, b;
	static const char base[] = PEER_A "esp = aes128-sha1\nremote_ts = 10.9.0.0/16\n";

	tl_config_load_ok(base, &a);
	tl_config_load_ok(base, &b);
	ck_assert(!ike_peer_cfg_differs(&a.peers[0], &b.peers[0]));
	ikemond_config_free(&b);
	tl_config_load_ok(PEER_A "esp = aes128-sha1\nremote_ts = 10.9.0.0/16[tcp]\n", &b);
	ck_assert(ike_peer_cfg_differs(&a.peers[0], &b.peers[0]));
	ikemond_config_free(&b);
	tl_config_load_ok(
	    PEER_A "esp = aes128-sha1\nremote_ts = 10.9.0.0/16\nipsec_lifetime = 3000\n", &b);
	ck_assert(ike_peer_cfg_differs(&a.peers[0], &b.peers[0]));
	ikemond_config_free(&b);
	tl_config_load_ok(
	    PEER_A "esp = aes128-sha1\nremote_ts = 10.9.0.0/16\nlocal_ts = 192.0.2.254\n", &b);
	ck_assert(!ike_peer_cfg_differs(&a.peers[0], &b.peers[0])); /* the default, spelt out */
	ikemond_config_free(&b);
	ikemond_config_free(&a);
}
END_TEST

static Suite *config_p2_suite(void)
{
	Suite *s = suite_create("config_p2");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, all_keys);
	tcase_add_test(tc, without_children);
	tcase_add_test(tc, aggressive_keys);
	tcase_add_test(tc, children_defaults);
	tcase_add_test(tc, children_limit);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, errors_no_default_selector);
	tcase_add_test(tc, reload_compare);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(config_p2_suite());
}
