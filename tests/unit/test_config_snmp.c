/*
 * test_config_snmp.c - the [snmp] section of ikemond.conf (agent/config.c and
 * mib/snmp_config.c): off without the section, master with its defaults with it, every
 * key, the Net-SNMP lines the access and notification keys become (restricted to the
 * ikemon view), repeated keys, every error with its FILE:LINE, secrets never shown in a
 * message, listed for the log filter and wiped by ikemond_config_free().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "tests/unit/testlib.h"

#define HEAD "[ikemond]\nlisten = 127.0.0.1:500\ncontrol = /tmp/x.sock\n"

START_TEST(test_off_without_section)
{
	struct ikemond_config cfg;

	tl_config_load_ok(HEAD, &cfg);
	ck_assert_int_eq(cfg.snmp.mode, SNMP_MODE_OFF);
	ck_assert_uint_eq(cfg.snmp.n_lines, 0);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(test_defaults_with_section)
{
	struct ikemond_config cfg;

	tl_config_load_ok(HEAD "[snmp]\n", &cfg);
	ck_assert_int_eq(cfg.snmp.mode, SNMP_MODE_MASTER);
	ck_assert_str_eq(cfg.snmp.listen, "udp:127.0.0.1:1161");
	ck_assert_str_eq(cfg.snmp.agentx_socket, "/var/agentx/master");
	ck_assert_str_eq(cfg.snmp.persistent_dir, "/var/lib/ikemon/snmp");
	ck_assert_str_eq(cfg.snmp.engine_id, "");
	ck_assert_uint_eq(cfg.snmp.fail_history, 100);
	ck_assert_uint_eq(cfg.snmp.notify_burst, 20);
	ck_assert_uint_eq(cfg.snmp.notify_period_s, 10);
	ck_assert_uint_eq(cfg.snmp.n_lines, 0);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(test_every_key)
{
	struct ikemond_config cfg;

	tl_config_load_ok(HEAD
	                  "[snmp]\n"
	                  "mode = agentx\n"
	                  "listen = udp:127.0.0.1:1161, udp6:[::1]:1161,tcp:127.0.0.1\n"
	                  "agentx_socket = /tmp/agentx/master\n"
	                  "persistent_dir = /var/lib/ikemon/snmp2\n"
	                  "engine_id = 0x80001f8804696b656d6f6e\n"
	                  "fail_history = 7\n"
	                  "notify_limit = 5/30\n"
	                  "rocommunity = TopSecretCom 127.0.0.0/8   ; a comment\n"
	                  "rocommunity = TopSecretCom2\n"
	                  "rocommunity6 = TopSecretCom6 ::1/128\n"
	                  "rouser = alice\n"
	                  "rouser = bob authnopriv\n"
	                  "createUser = alice SHA-256 \"TopSecret auth\" AES TopSecretPriv\n"
	                  "createUser = bob SHA-512 TopSecretBob\n"
	                  "trap2sink = 127.0.0.1:1162 TopSecretTrap\n"
	                  "informsink = udp:127.0.0.1:1163 TopSecretInform\n"
	                  "trapsess = -Ci -v 3 -e 0x80001f8804696b656d6f6e -u alice -l authPriv -a "
	                  "SHA-256 -A TopSecretA1 -x AES -XTopSecretX1 127.0.0.1:1164\n",
	                  &cfg);
	ck_assert_int_eq(cfg.snmp.mode, SNMP_MODE_AGENTX);
	ck_assert_str_eq(cfg.snmp.listen, "udp:127.0.0.1:1161,udp6:[::1]:1161,tcp:127.0.0.1");
	ck_assert_str_eq(cfg.snmp.agentx_socket, "/tmp/agentx/master");
	ck_assert_str_eq(cfg.snmp.persistent_dir, "/var/lib/ikemon/snmp2");
	ck_assert_str_eq(cfg.snmp.engine_id, "0x80001f8804696b656d6f6e");
	ck_assert_uint_eq(cfg.snmp.fail_history, 7);
	ck_assert_uint_eq(cfg.snmp.notify_burst, 5);
	ck_assert_uint_eq(cfg.snmp.notify_period_s, 30);
	ck_assert_uint_eq(cfg.snmp.n_lines, 10);
	ck_assert_str_eq(cfg.snmp.lines[0], "rocommunity TopSecretCom 127.0.0.0/8 -V ikemonView");
	ck_assert_str_eq(cfg.snmp.lines[1], "rocommunity TopSecretCom2 default -V ikemonView");
	ck_assert_str_eq(cfg.snmp.lines[2], "rocommunity6 TopSecretCom6 ::1/128 -V ikemonView");
	ck_assert_str_eq(cfg.snmp.lines[3], "rouser alice priv -V ikemonView");
	ck_assert_str_eq(cfg.snmp.lines[4], "rouser bob auth -V ikemonView");
	ck_assert_str_eq(cfg.snmp.lines[5],
	                 "createUser alice SHA-256 \"TopSecret auth\" AES TopSecretPriv");
	ck_assert_str_eq(cfg.snmp.lines[6], "createUser bob SHA-512 TopSecretBob");
	ck_assert_str_eq(cfg.snmp.lines[7], "trap2sink 127.0.0.1:1162 TopSecretTrap");
	ck_assert_str_eq(cfg.snmp.lines[8], "informsink udp:127.0.0.1:1163 TopSecretInform");
	ck_assert_str_eq(cfg.snmp.lines[9],
	                 "trapsess -Ci -v 3 -e 0x80001f8804696b656d6f6e -u alice -l authPriv -a "
	                 "SHA-256 -A TopSecretA1 -x AES -XTopSecretX1 127.0.0.1:1164");
	ikemond_config_free(&cfg);
}
END_TEST

/* A v3 trap's user no createUser names is created from the trapsess line; not an inform's. */
START_TEST(test_trap_user_created)
{
	struct ikemond_config cfg;

	tl_config_load_ok(
	    HEAD "[snmp]\n"
	         "trapsess = -v 3 -u bob -l authPriv -a SHA-256 -A TopSecretA1 -x AES -X "
	         "TopSecretX1 127.0.0.1:1164\n"
	         "trapsess = -Ci -v 3 -e 0x8000000001020304 -u carol -l authNoPriv -a SHA-512 "
	         "-A TopSecretA2 127.0.0.1:1165\n"
	         "trapsess = -v 3 -u dave -l authNoPriv -a SHA -A TopSecretA3 127.0.0.1:1166\n"
	         "createUser = dave SHA TopSecretA3\n",
	    &cfg);
	ck_assert_uint_eq(cfg.snmp.n_lines, 5);
	ck_assert_str_eq(cfg.snmp.lines[4], "createUser bob SHA-256 TopSecretA1 AES TopSecretX1");
	ikemond_config_free(&cfg);
}
END_TEST

/* The secrets the log filter is given: every community and passphrase, nothing else. */
struct secrets {
	char all[1024];
	int n;
};

static void add_secret(void *ctx, const char *s)
{
	struct secrets *sec = ctx;

	strcat(sec->all, s);
	strcat(sec->all, "|");
	sec->n++;
}

START_TEST(test_secrets_listed_and_wiped)
{
	struct ikemond_config cfg;
	struct secrets sec = {"", 0};
	const unsigned char *b;
	size_t i;

	tl_config_load_ok(HEAD
	                  "[snmp]\n"
	                  "rocommunity = TopSecretCom 127.0.0.1\n"
	                  "createUser = alice SHA-256 \"TopSecret auth\" AES TopSecretPriv\n"
	                  "rouser = alice\n"
	                  "trap2sink = 127.0.0.1:1162 TopSecretTrap\n"
	                  "trapsess = -v 2c -c TopSecretC 127.0.0.1:1165\n"
	                  "trapsess = -v 3 -u alice -l authPriv -a SHA-256 -ATopSecretA1 -x AES "
	                  "-X TopSecretX1 127.0.0.1:1164\n",
	                  &cfg);
	snmp_config_secrets(&cfg.snmp, add_secret, &sec);
	ck_assert_str_eq(sec.all, "TopSecretCom|TopSecret auth|TopSecretPriv|TopSecretTrap|"
	                          "TopSecretC|TopSecretA1|TopSecretX1|");
	ikemond_config_free(&cfg);
	b = (const unsigned char *)cfg.snmp.lines;
	for (i = 0; i < sizeof(cfg.snmp.lines); i++)
		ck_assert_msg(b[i] == 0, "byte %zu of the lines not wiped", i);
	ck_assert_uint_eq(cfg.snmp.n_lines, 0);
}
END_TEST

START_TEST(test_equal)
{
	struct ikemond_config a, b;

	tl_config_load_ok(HEAD "[snmp]\nrocommunity = TopSecretCom\n", &a);
	tl_config_load_ok(HEAD "[snmp]\nrocommunity = TopSecretCom\n", &b);
	ck_assert(snmp_config_equal(&a.snmp, &b.snmp));
	ikemond_config_free(&b);
	tl_config_load_ok(HEAD "[snmp]\nrocommunity = TopSecretCom2\n", &b);
	ck_assert(!snmp_config_equal(&a.snmp, &b.snmp));
	ikemond_config_free(&b);
	tl_config_load_ok(HEAD "[snmp]\nrocommunity = TopSecretCom\nnotify_limit = 1/1\n", &b);
	ck_assert(!snmp_config_equal(&a.snmp, &b.snmp));
	ikemond_config_free(&a);
	ikemond_config_free(&b);
}
END_TEST

START_TEST(test_errors)
{
	tl_config_expect_error(HEAD "[snmp]\nmode = slave\n", 5, "bad mode 'slave'");
	tl_config_expect_error(HEAD "[snmp]\nmode = off\nmode = master\n", 6,
	                       "duplicate key 'mode'");
	tl_config_expect_error(HEAD "[snmp]\nlisten = udp:localhost:1161\n", 5,
	                       "bad listen address");
	tl_config_expect_error(HEAD "[snmp]\nlisten = udp:127.0.0.1:70000\n", 5,
	                       "bad listen address");
	tl_config_expect_error(HEAD "[snmp]\nlisten = udp6:::1:161\n", 5, "bad listen address");
	tl_config_expect_error(HEAD "[snmp]\nagentx_socket = relative/path\n", 5,
	                       "bad agentx_socket");
	tl_config_expect_error(HEAD "[snmp]\npersistent_dir = var/lib\n", 5, "bad persistent_dir");
	tl_config_expect_error(HEAD "[snmp]\nengine_id = 0x8000\n", 5, "bad engine_id");
	tl_config_expect_error(HEAD "[snmp]\nengine_id = 80001f8804696b656d6f6e\n", 5,
	                       "bad engine_id");
	tl_config_expect_error(HEAD "[snmp]\nfail_history = 0\n", 5, "bad fail_history");
	tl_config_expect_error(HEAD "[snmp]\nfail_history = 100001\n", 5, "bad fail_history");
	tl_config_expect_error(HEAD "[snmp]\nnotify_limit = 5\n", 5, "bad notify_limit");
	tl_config_expect_error(HEAD "[snmp]\nnotify_limit = 5/0\n", 5, "bad notify_limit");
	tl_config_expect_error(HEAD "[snmp]\nrocommunity = TopSecretCom 127.0.0.1 .1.3.6\n", 5,
	                       "rocommunity takes COMMUNITY [SOURCE]");
	tl_config_expect_error(HEAD "[snmp]\nrocommunity = TopSecretCom 127.0.0.1/33\n", 5,
	                       "bad source");
	tl_config_expect_error(HEAD "[snmp]\nrocommunity6 = TopSecretCom 127.0.0.1\n", 5,
	                       "bad source");
	tl_config_expect_error(HEAD "[snmp]\nrocommunity = \"TopSecretCom\n", 5,
	                       "a quoted word lacks its closing quote");
	tl_config_expect_error(HEAD "[snmp]\nrocommunity = TopSecret\\Com\n", 5, "holds a quote");
	tl_config_expect_error(HEAD "[snmp]\nrouser = alice noauth\n", 5, "bad level 'noauth'");
	tl_config_expect_error(HEAD "[snmp]\ncreateUser = alice SHA-256 TopSecr\n", 5,
	                       "authentication passphrase must be 8");
	tl_config_expect_error(HEAD "[snmp]\ncreateUser = alice MD5 TopSecretAuth\n", 5,
	                       "bad authentication protocol 'MD5'");
	tl_config_expect_error(
	    HEAD "[snmp]\ncreateUser = alice SHA-256 TopSecretAuth DES TopSecretPriv\n", 5,
	    "bad privacy protocol 'DES'");
	tl_config_expect_error(HEAD
	                       "[snmp]\ncreateUser = alice SHA-256 TopSecretAuth AES TopSecr\n",
	                       5, "privacy passphrase must be 8");
	tl_config_expect_error(HEAD "[snmp]\ncreateUser = alice\n", 5, "createUser takes USER");
	tl_config_expect_error(HEAD "[snmp]\ntrap2sink = 127.0.0.1:162\n", 5,
	                       "trap2sink takes HOST[:PORT] COMMUNITY");
	tl_config_expect_error(HEAD "[snmp]\ninformsink = 127.0.0.1;162 TopSecretCom\n", 5,
	                       "bad host");
	tl_config_expect_error(HEAD "[snmp]\ntrapsess = -v 2c -c TopSecretC -Z 1 127.0.0.1\n", 5,
	                       "unknown option '-Z'");
	tl_config_expect_error(HEAD "[snmp]\ntrapsess = -v 2c 127.0.0.1\n", 5,
	                       "needs -c COMMUNITY");
	tl_config_expect_error(HEAD "[snmp]\ntrapsess = -v 1 -c TopSecretC 127.0.0.1\n", 5,
	                       "bad version '1'");
	tl_config_expect_error(HEAD "[snmp]\ntrapsess = -c TopSecretC 127.0.0.1\n", 5,
	                       "needs -v 2c or -v 3");
	tl_config_expect_error(
	    HEAD "[snmp]\ntrapsess = -v 3 -l authPriv -a SHA-256 -A TopSecretA 127.0.0.1\n", 5,
	    "needs -u USER");
	tl_config_expect_error(HEAD
	                       "[snmp]\ntrapsess = -v 3 -u a -l authPriv -a SHA-256 -A TopSecretA "
	                       "127.0.0.1\n",
	                       5, "needs -x AES");
	tl_config_expect_error(HEAD
	                       "[snmp]\ntrapsess = -v 3 -u a -l authNoPriv -a SHA-256 -A TopSecr "
	                       "127.0.0.1\n",
	                       5, "needs -A with a passphrase");
	tl_config_expect_error(HEAD "[snmp]\ntrapsess = -Ci -v 3 -u a -l authNoPriv -a SHA-256 -A "
	                            "TopSecretA 127.0.0.1\n",
	                       5, "needs -e 0xENGINEID");
	tl_config_expect_error(HEAD "[snmp]\ntrapsess = -v 2c -c TopSecretC 127.0.0.1 -Ci\n", 5,
	                       "the host must be the last word");
	tl_config_expect_error(HEAD "[snmp]\ntrapsess = -v 2c -c\n", 5,
	                       "option -c lacks its value");
	tl_config_expect_error(HEAD "rocommunity = TopSecretCom\n", 4, "belongs in [snmp]");
	tl_config_expect_error(HEAD "[snmp]\n[snmp]\n", 5, "duplicate section [snmp]");
	tl_config_expect_error(HEAD "[snmp]\nstall_after = 3\n", 5, "belongs in [ikemond]");
}
END_TEST

/* More lines than the table holds is an error, not a silent drop. */
START_TEST(test_too_many_lines)
{
	char text[SNMP_CFG_MAX_LINES * 40 + 200];
	int i;

	snprintf(text, sizeof(text), "%s[snmp]\n", HEAD);
	for (i = 0; i <= SNMP_CFG_MAX_LINES; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "rocommunity = TopSecret%d\n", i);
	tl_config_expect_error(text, 5 + SNMP_CFG_MAX_LINES,
	                       "more than 64 access and notification lines");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config_snmp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_off_without_section);
	tcase_add_test(tc, test_defaults_with_section);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_trap_user_created);
	tcase_add_test(tc, test_secrets_listed_and_wiped);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_too_many_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
