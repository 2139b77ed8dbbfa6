/*
 * test_config_stall.c - the stall detector's keys in ikemond.conf (agent/config.c):
 * defaults, global and per-peer values in milliseconds, the stall_after.STATE family, every
 * error with its FILE:LINE, the check that the retransmission span outlasts the largest
 * threshold, and how stall_threshold_ms() (agent/stall.c) resolves a threshold.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/stall.h"
#include "ike/ike.h"
#include "tests/unit/testlib.h"

/* A valid peer section of three lines. */
#define PEER(name) "[peer " name "]\nremote = 192.0.2.1\npsk = \"k\"\n"

START_TEST(defaults)
{
	struct ikemond_config cfg;

	tl_config_load_ok("[ikemond]\n" PEER("a"), &cfg);
	ck_assert_uint_eq(cfg.stall.stall_after_ms, 30000);
	ck_assert_uint_eq(cfg.stall.qm_stall_after_ms, 30000);
	ck_assert_uint_eq(cfg.stall.peer_down_after_ms, 120000);
	ck_assert_uint_eq(cfg.stall.holddown_ms, 10000);
	ck_assert_uint_eq(cfg.stall.history_max, 1000);
	for (int st = CISCO_STATE_MIN; st <= CISCO_STATE_MAX; st++) {
		ck_assert_uint_eq(cfg.stall.state_ms[st], 0);
		ck_assert_uint_eq(cfg.peers[0].stall.state_ms[st], 0);
	}
	ck_assert_uint_eq(cfg.peers[0].stall.stall_after_ms, 0);
	ck_assert_uint_eq(cfg.peers[0].stall.qm_stall_after_ms, 0);
	/* 30 s everywhere, 63 s of retransmissions */
	ck_assert_uint_eq(stall_max_threshold_ms(&cfg.stall, cfg.peers, cfg.n_peers), 30000);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(global_keys)
{
	struct ikemond_config cfg;

	tl_config_load_ok("[ikemond]\n"
	                  "stall_after = 20\n"
	                  "stall_after.MM_KEY_EXCH = 12.5\n"
	                  "stall_after.AG_NO_STATE = 0.1\n"
	                  "qm_stall_after = 25.25\n"
	                  "peer_down_after = 300\n"
	                  "alarm_holddown = 0\n"
	                  "alarm_history = 0\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.stall.stall_after_ms, 20000);
	ck_assert_uint_eq(cfg.stall.state_ms[CISCO_MM_KEY_EXCH], 12500);
	ck_assert_uint_eq(cfg.stall.state_ms[CISCO_AG_NO_STATE], 100);
	ck_assert_uint_eq(cfg.stall.state_ms[CISCO_MM_NO_STATE], 0);
	ck_assert_uint_eq(cfg.stall.state_ms[CISCO_QM_IDLE], 0);
	ck_assert_uint_eq(cfg.stall.qm_stall_after_ms, 25250);
	ck_assert_uint_eq(cfg.stall.peer_down_after_ms, 300000);
	ck_assert_uint_eq(cfg.stall.holddown_ms, 0);
	ck_assert_uint_eq(cfg.stall.history_max, 0);
	ikemond_config_free(&cfg);

	/* the ends of the ranges */
	tl_config_load_ok(
	    "[ikemond]\nstall_after = 1.5\nalarm_holddown = 3600\nalarm_history = 100000\n"
	    "peer_down_after = 86400\n",
	    &cfg);
	ck_assert_uint_eq(cfg.stall.stall_after_ms, 1500);
	ck_assert_uint_eq(cfg.stall.holddown_ms, 3600000);
	ck_assert_uint_eq(cfg.stall.history_max, 100000);
	ck_assert_uint_eq(cfg.stall.peer_down_after_ms, 86400000);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(peer_overrides)
{
	struct ikemond_config cfg;

	tl_config_load_ok("[ikemond]\n"
	                  "stall_after = 40\n"
	                  "[peer a]\n"
	                  "remote = 192.0.2.1\n"
	                  "psk = \"k\"\n"
	                  "stall_after = 5\n"
	                  "stall_after.AG_AUTH = 7\n"
	                  "qm_stall_after = 9.5\n"
	                  "[peer b]\n"
	                  "remote = 192.0.2.2\n"
	                  "psk = \"k\"\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.n_peers, 2);
	ck_assert_uint_eq(cfg.stall.stall_after_ms, 40000);
	ck_assert_uint_eq(cfg.stall.state_ms[CISCO_AG_AUTH], 0);
	ck_assert_uint_eq(cfg.peers[0].stall.stall_after_ms, 5000);
	ck_assert_uint_eq(cfg.peers[0].stall.state_ms[CISCO_AG_AUTH], 7000);
	ck_assert_uint_eq(cfg.peers[0].stall.qm_stall_after_ms, 9500);
	/* the other peer keeps the global values */
	ck_assert_uint_eq(cfg.peers[1].stall.stall_after_ms, 0);
	ck_assert_uint_eq(cfg.peers[1].stall.state_ms[CISCO_AG_AUTH], 0);
	ck_assert_uint_eq(cfg.peers[1].stall.qm_stall_after_ms, 0);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, &cfg.peers[0], CISCO_AG_AUTH), 7000);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, &cfg.peers[0], CISCO_MM_KEY_EXCH), 5000);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, &cfg.peers[0], CISCO_QM_IDLE), 9500);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, &cfg.peers[1], CISCO_AG_AUTH), 40000);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, &cfg.peers[1], CISCO_QM_IDLE), 30000);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(state_names_any_case)
{
	static const struct {
		const char *name;
		enum cisco_state state;
	} names[] = {
	    {"MM_NO_STATE", CISCO_MM_NO_STATE}, {"mm_sa_setup", CISCO_MM_SA_SETUP},
	    {"Mm_Key_Exch", CISCO_MM_KEY_EXCH}, {"mm_KEY_auth", CISCO_MM_KEY_AUTH},
	    {"ag_no_state", CISCO_AG_NO_STATE}, {"AG_INIT_EXCH", CISCO_AG_INIT_EXCH},
	    {"ag_auth", CISCO_AG_AUTH},
	};
	struct ikemond_config cfg;
	char text[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(text, sizeof(text),
		         "[ikemond]\nstall_after.%s = 3\n" PEER("a") "stall_after.%s = 4\n",
		         names[i].name, names[i].name);
		tl_config_load_ok(text, &cfg);
		for (int st = CISCO_STATE_MIN; st <= CISCO_STATE_MAX; st++) {
			ck_assert_uint_eq(cfg.stall.state_ms[st],
			                  st == (int)names[i].state ? 3000 : 0);
			ck_assert_uint_eq(cfg.peers[0].stall.state_ms[st],
			                  st == (int)names[i].state ? 4000 : 0);
		}
		ikemond_config_free(&cfg);
	}
	/* different states of one family are different keys */
	tl_config_load_ok("[ikemond]\nstall_after.MM_KEY_EXCH = 3\nstall_after.MM_SA_SETUP = 4\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.stall.state_ms[CISCO_MM_KEY_EXCH], 3000);
	ck_assert_uint_eq(cfg.stall.state_ms[CISCO_MM_SA_SETUP], 4000);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(errors_values)
{
	tl_config_expect_error("[ikemond]\nstall_after = 0.05\n", 2,
	                       "bad stall_after '0.05' (expected seconds, 0.1 to 86400)");
	tl_config_expect_error("[ikemond]\nstall_after = 86400.001\n", 2,
	                       "bad stall_after '86400.001'");
	tl_config_expect_error("[ikemond]\nstall_after = 0\n", 2, "bad stall_after '0'");
	tl_config_expect_error("[ikemond]\nstall_after = 30s\n", 2, "bad stall_after '30s'");
	tl_config_expect_error("[ikemond]\nstall_after = -1\n", 2, "bad stall_after '-1'");
	tl_config_expect_error("[ikemond]\nstall_after = 1.0005\n", 2, "bad stall_after '1.0005'");
	tl_config_expect_error("[ikemond]\nstall_after = .5\n", 2, "bad stall_after '.5'");
	/* 4294968 s would wrap to 0.704 s in 32-bit milliseconds */
	tl_config_expect_error("[ikemond]\nstall_after = 4294968\n", 2,
	                       "bad stall_after '4294968'");
	tl_config_expect_error("[ikemond]\n\nqm_stall_after = 99999\n", 3,
	                       "bad qm_stall_after '99999' (expected seconds, 0.1 to 86400)");
	tl_config_expect_error("[ikemond]\nstall_after.MM_KEY_AUTH = x\n", 2,
	                       "bad stall_after.MM_KEY_AUTH 'x' (expected seconds, 0.1 to 86400)");
	tl_config_expect_error("[ikemond]\npeer_down_after = 0.09\n", 2,
	                       "bad peer_down_after '0.09' (expected seconds, 0.1 to 86400)");
	tl_config_expect_error("[ikemond]\nalarm_holddown = 3600.5\n", 2,
	                       "bad alarm_holddown '3600.5' (expected seconds, 0 to 3600)");
	tl_config_expect_error("[ikemond]\nalarm_history = 100001\n", 2,
	                       "bad alarm_history '100001' (expected 0 to 100000)");
	tl_config_expect_error("[ikemond]\nalarm_history = 1.5\n", 2, "bad alarm_history '1.5'");
	tl_config_expect_error(PEER("a") "stall_after = 0.01\n", 4,
	                       "bad stall_after '0.01' (expected seconds, 0.1 to 86400)");
	tl_config_expect_error(PEER("a") "qm_stall_after = abc\n", 4, "bad qm_stall_after 'abc'");
	tl_config_expect_error(PEER("a") "stall_after.ag_auth = 1e3\n", 4,
	                       "bad stall_after.ag_auth '1e3'");
	/* the shared seconds parser still names retransmit_timeout's own range */
	tl_config_expect_error("[ikemond]\nretransmit_timeout = 0.01\n", 2,
	                       "bad retransmit_timeout '0.01' (expected seconds, 0.05 to 60)");
}
END_TEST

START_TEST(errors_keys)
{
	tl_config_expect_error(
	    "[ikemond]\nstall_after.MM_FOO = 5\n", 2,
	    "unknown state 'MM_FOO' in stall_after.MM_FOO (one of MM_NO_STATE, "
	    "MM_SA_SETUP, MM_KEY_EXCH, MM_KEY_AUTH, AG_NO_STATE, AG_INIT_EXCH, AG_AUTH)");
	tl_config_expect_error(PEER("a") "stall_after.mm_foo = 5\n", 4,
	                       "unknown state 'mm_foo' in stall_after.mm_foo (one of MM_NO_STATE");
	tl_config_expect_error("[ikemond]\nstall_after. = 5\n", 2,
	                       "unknown state '' in stall_after.");
	tl_config_expect_error(
	    "[ikemond]\nstall_after.QM_IDLE = 5\n", 2,
	    "stall_after.QM_IDLE: QM_IDLE has no stall_after.STATE; use qm_stall_after");
	tl_config_expect_error(PEER("a") "stall_after.qm_idle = 5\n", 4, "use qm_stall_after");
	/* the family is spelt with a dot; the prefix alone is case-sensitive like every key */
	tl_config_expect_error("[ikemond]\nstall_after_MM_NO_STATE = 5\n", 2,
	                       "unknown key 'stall_after_MM_NO_STATE' in [ikemond]");
	tl_config_expect_error("[ikemond]\nSTALL_AFTER.MM_NO_STATE = 5\n", 2,
	                       "unknown key 'STALL_AFTER.MM_NO_STATE'");
	tl_config_expect_error("[ikemond]\nstall_after = 5\nstall_after = 6\n", 3,
	                       "duplicate key 'stall_after' (first set on line 2)");
	tl_config_expect_error(
	    "[ikemond]\nstall_after.MM_KEY_EXCH = 5\n\nstall_after.mm_key_exch = 6\n", 4,
	    "duplicate key 'stall_after.mm_key_exch' (first set on line 2)");
	tl_config_expect_error(PEER("a") "qm_stall_after = 5\nqm_stall_after = 6\n", 5,
	                       "duplicate key 'qm_stall_after' (first set on line 4)");
	tl_config_expect_error("[ikemond]\nstall_after.AG_AUTH =\n", 2,
	                       "key 'stall_after.AG_AUTH' has no value");
	tl_config_expect_error(PEER("a") "peer_down_after = 5\n", 4,
	                       "key 'peer_down_after' belongs in [ikemond], not in [peer a]");
	tl_config_expect_error(PEER("a") "alarm_holddown = 5\n", 4, "belongs in [ikemond]");
	tl_config_expect_error(PEER("a") "alarm_history = 5\n", 4, "belongs in [ikemond]");
	tl_config_expect_error(
	    "stall_after = 5\n", 1,
	    "key 'stall_after' outside any section; it belongs in [ikemond] or a "
	    "[peer NAME] section");
	tl_config_expect_error("stall_after.MM_NO_STATE = 5\n", 1,
	                       "key 'stall_after.MM_NO_STATE' outside any section");
	tl_config_expect_error("[ikemond]\nstall = 5\n", 2,
	                       "stall_after, stall_after.STATE, qm_stall_after, rekey, "
	                       "rekey_margin, rekey_fuzz)");
	tl_config_expect_error("[ikemond]\nstall = 5\n", 2,
	                       "peer_down_after, alarm_holddown, alarm_history");
	tl_config_expect_error(PEER("a") "stall = 5\n", 4,
	                       "send_cert, stall_after, stall_after.STATE, qm_stall_after, rekey, "
	                       "rekey_margin, rekey_fuzz)");
}
END_TEST

/* The global and the per-peer settings are kept apart: a peer's key is not a duplicate. */
START_TEST(same_key_global_and_peer)
{
	struct ikemond_config cfg;

	tl_config_load_ok("[ikemond]\n"
	                  "stall_after.MM_NO_STATE = 3\n"
	                  "[peer a]\n"
	                  "remote = 192.0.2.1\n"
	                  "psk = \"k\"\n"
	                  "stall_after.MM_NO_STATE = 4\n"
	                  "[peer b]\n"
	                  "remote = 192.0.2.2\n"
	                  "psk = \"k\"\n"
	                  "stall_after.MM_NO_STATE = 5\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.stall.state_ms[CISCO_MM_NO_STATE], 3000);
	ck_assert_uint_eq(cfg.peers[0].stall.state_ms[CISCO_MM_NO_STATE], 4000);
	ck_assert_uint_eq(cfg.peers[1].stall.state_ms[CISCO_MM_NO_STATE], 5000);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(span_check)
{
	struct ikemond_config cfg;

	/* Default retransmission: 1 s x (1+2+4+8+16+32) = 63 s. */
	tl_config_expect_error(
	    "[ikemond]\nlog = stderr\nstall_after = 63\n", 3,
	    "the largest stall threshold (63 s, stall_after) is not shorter than the "
	    "retransmission span (63 s = retransmit_timeout 1 s x (2^(5+1)-1)); lower "
	    "the threshold or raise retransmit_timeout/retransmit_tries");
	tl_config_load_ok("[ikemond]\nstall_after = 62.9\nqm_stall_after = 62.999\n", &cfg);
	ck_assert_uint_eq(cfg.stall.stall_after_ms, 62900);
	ikemond_config_free(&cfg);

	/* Each key is blamed on its own line. */
	tl_config_expect_error("[ikemond]\nqm_stall_after = 100\n", 2, "(100 s, qm_stall_after)");
	tl_config_expect_error("[ikemond]\nstall_after.MM_KEY_EXCH = 64\n", 2,
	                       "(64 s, stall_after.MM_KEY_EXCH)");
	tl_config_expect_error(
	    PEER("a") "stall_after = 10\n" PEER("b") "stall_after.ag_auth = 70\n", 8,
	    "(70 s, stall_after.AG_AUTH of [peer b])");
	tl_config_expect_error(PEER("a") PEER("b") "qm_stall_after = 63\n", 7,
	                       "(63 s, qm_stall_after of [peer b])");

	/* The span is known only at the end: [ikemond] may follow the peers. */
	tl_config_expect_error(
	    PEER("a") "stall_after = 10\n[ikemond]\nretransmit_timeout = 0.2\n"
	              "retransmit_tries = 3\nstall_after = 2\nqm_stall_after = 2\n",
	    4,
	    "(10 s, stall_after of [peer a]) is not shorter than the retransmission span "
	    "(3 s = retransmit_timeout 0.2 s x (2^(3+1)-1))");

	/* The largest wins, whoever set it; a tie goes to [ikemond]. */
	tl_config_expect_error(
	    "[ikemond]\n"
	    "retransmit_tries = 3\n"
	    "stall_after = 14\n"
	    "qm_stall_after = 2\n"
	    "[peer a]\n"
	    "remote = 192.0.2.1\n"
	    "psk = \"k\"\n"
	    "stall_after = 20\n"
	    "[peer b]\n"
	    "remote = 192.0.2.2\n"
	    "psk = \"k\"\n"
	    "stall_after = 16\n",
	    8, "(20 s, stall_after of [peer a]) is not shorter than the retransmission span (15 s");
	tl_config_expect_error("[ikemond]\n"
	                       "retransmit_tries = 3\n"
	                       "stall_after = 20\n"
	                       "qm_stall_after = 2\n"
	                       "[peer a]\n"
	                       "remote = 192.0.2.1\n"
	                       "psk = \"k\"\n"
	                       "stall_after = 20\n",
	                       3, "(20 s, stall_after)");

	/* A default threshold: blamed on the retransmit_* key that made the span short. */
	tl_config_expect_error(
	    "[ikemond]\nretransmit_timeout = 0.2\nretransmit_tries = 3\n", 2,
	    "(30 s, stall_after, the default) is not shorter than the retransmission "
	    "span (3 s = retransmit_timeout 0.2 s x (2^(3+1)-1))");
	tl_config_expect_error(
	    "[ikemond]\nretransmit_timeout = 2\nretransmit_tries = 1\n", 3,
	    "(30 s, stall_after, the default) is not shorter than the retransmission "
	    "span (6 s = retransmit_timeout 2 s x (2^(1+1)-1))");
	tl_config_expect_error("[ikemond]\nretransmit_tries = 3\nstall_after = 10\n", 2,
	                       "(30 s, qm_stall_after, the default)");

	/* Peers below the span, globals too: accepted. */
	tl_config_load_ok(
	    "[ikemond]\nretransmit_timeout = 0.2\nretransmit_tries = 3\nstall_after = 2\n"
	    "qm_stall_after = 2.999\n" PEER("a") "stall_after.MM_KEY_EXCH = 2.5\n",
	    &cfg);
	ck_assert_uint_eq(stall_max_threshold_ms(&cfg.stall, cfg.peers, cfg.n_peers), 2999);
	ikemond_config_free(&cfg);
}
END_TEST

/* Documented order: the peer's per-state, the peer's, the global per-state, the global. */
START_TEST(threshold_resolution)
{
	struct stall_settings s;
	struct ike_peer_cfg p;

	stall_settings_default(&s);
	memset(&p, 0, sizeof(p));
	s.stall_after_ms = 30000;
	s.qm_stall_after_ms = 31000;
	s.state_ms[CISCO_MM_KEY_EXCH] = 20000;
	p.stall.stall_after_ms = 10000;
	p.stall.qm_stall_after_ms = 11000;
	p.stall.state_ms[CISCO_MM_KEY_EXCH] = 5000;

	ck_assert_uint_eq(stall_threshold_ms(&s, &p, CISCO_MM_KEY_EXCH), 5000);
	p.stall.state_ms[CISCO_MM_KEY_EXCH] = 0;
	ck_assert_uint_eq(stall_threshold_ms(&s, &p, CISCO_MM_KEY_EXCH), 10000);
	p.stall.stall_after_ms = 0;
	ck_assert_uint_eq(stall_threshold_ms(&s, &p, CISCO_MM_KEY_EXCH), 20000);
	s.state_ms[CISCO_MM_KEY_EXCH] = 0;
	ck_assert_uint_eq(stall_threshold_ms(&s, &p, CISCO_MM_KEY_EXCH), 30000);

	/* QM_IDLE: qm_stall_after, never stall_after */
	p.stall.stall_after_ms = 10000;
	ck_assert_uint_eq(stall_threshold_ms(&s, &p, CISCO_QM_IDLE), 11000);
	p.stall.qm_stall_after_ms = 0;
	ck_assert_uint_eq(stall_threshold_ms(&s, &p, CISCO_QM_IDLE), 31000);

	/* no peer: the global values */
	s.state_ms[CISCO_AG_AUTH] = 7000;
	ck_assert_uint_eq(stall_threshold_ms(&s, NULL, CISCO_AG_AUTH), 7000);
	ck_assert_uint_eq(stall_threshold_ms(&s, NULL, CISCO_AG_INIT_EXCH), 30000);
	ck_assert_uint_eq(stall_threshold_ms(&s, NULL, CISCO_QM_IDLE), 31000);

	/* the largest over every state of every peer */
	ck_assert_uint_eq(stall_max_threshold_ms(&s, &p, 1), 31000);
	p.stall.state_ms[CISCO_AG_NO_STATE] = 45000;
	ck_assert_uint_eq(stall_max_threshold_ms(&s, &p, 1), 45000);
	ck_assert_uint_eq(stall_max_threshold_ms(&s, NULL, 0), 31000);
}
END_TEST

/* The same order from a loaded file. */
START_TEST(threshold_resolution_loaded)
{
	struct ikemond_config cfg;
	const struct ike_peer_cfg *a, *b;

	tl_config_load_ok("[ikemond]\n"
	                  "stall_after = 30\n"
	                  "stall_after.MM_KEY_EXCH = 20\n"
	                  "qm_stall_after = 40\n"
	                  "[peer a]\n"
	                  "remote = 192.0.2.1\n"
	                  "psk = \"k\"\n"
	                  "stall_after = 10\n"
	                  "stall_after.mm_key_exch = 5\n"
	                  "[peer b]\n"
	                  "remote = 192.0.2.2\n"
	                  "psk = \"k\"\n",
	                  &cfg);
	a = &cfg.peers[0];
	b = &cfg.peers[1];
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, a, CISCO_MM_KEY_EXCH), 5000);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, a, CISCO_MM_SA_SETUP), 10000);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, a, CISCO_QM_IDLE), 40000);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, b, CISCO_MM_KEY_EXCH), 20000);
	ck_assert_uint_eq(stall_threshold_ms(&cfg.stall, b, CISCO_MM_SA_SETUP), 30000);
	ck_assert_uint_eq(stall_max_threshold_ms(&cfg.stall, cfg.peers, cfg.n_peers), 40000);
	ikemond_config_free(&cfg);
}
END_TEST

static Suite *config_stall_suite(void)
{
	Suite *s = suite_create("config_stall");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, global_keys);
	tcase_add_test(tc, peer_overrides);
	tcase_add_test(tc, state_names_any_case);
	tcase_add_test(tc, errors_values);
	tcase_add_test(tc, errors_keys);
	tcase_add_test(tc, same_key_global_and_peer);
	tcase_add_test(tc, span_check);
	tcase_add_test(tc, threshold_resolution);
	tcase_add_test(tc, threshold_resolution_loaded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(config_stall_suite());
}
