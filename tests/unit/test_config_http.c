/*
 * test_config_http.c - the [http] section of ikemond.conf (agent/config.c): off without
 * the section, on with exporters/http.h's defaults with it, every key, the listen list,
 * every error with its FILE:LINE, and auth_password never shown in a message and wiped
 * by ikemond_config_free().
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"
#include "tests/unit/testlib.h"

#define SECRET "TopSecret-4711"

/* The values http_config_default() gives (exporters/http.h). */
static void expect_http_defaults(const struct http_config *h)
{
	ck_assert_uint_eq(h->n_listen, 1);
	tl_expect_addr(&h->listen[0], "127.0.0.1", 9731);
	ck_assert_str_eq(h->tls_cert, "");
	ck_assert_str_eq(h->tls_key, "");
	ck_assert_str_eq(h->auth_user, "");
	ck_assert_str_eq(h->auth_password, "");
	ck_assert_uint_eq(h->max_connections, 32);
	ck_assert_uint_eq(h->max_connections_per_ip, 8);
	ck_assert_str_eq(h->auth_hash, "");
	ck_assert_uint_eq(h->timeout_s, 10);
	ck_assert_uint_eq(h->max_request, 8192);
	ck_assert(!h->per_sa_metrics);
	ck_assert_uint_eq(h->scrape_walk_slice, 8192);
}

START_TEST(off_without_section)
{
	struct ikemond_config cfg;

	ikemond_config_defaults(&cfg);
	ck_assert(!cfg.http.enabled);
	tl_config_load_ok("", &cfg);
	ck_assert(!cfg.http.enabled);
	ikemond_config_free(&cfg);
	tl_config_load_ok(
	    "[ikemond]\nlisten = 127.0.0.1:9731\n[peer a]\nremote = 192.0.2.1\npsk = \"k\"\n",
	    &cfg);
	ck_assert(!cfg.http.enabled);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(section_alone)
{
	struct ikemond_config cfg;

	tl_config_load_ok("[http]\n", &cfg);
	ck_assert(cfg.http.enabled);
	expect_http_defaults(&cfg.http);
	ikemond_config_free(&cfg);

	/* Anywhere in the file, among the others; [ikemond]'s listen is its own. */
	tl_config_load_ok("[peer a]\nremote = 192.0.2.1\npsk = \"k\"\n\n[ http ]   ; metrics\n"
	                  "[ikemond]\nlisten = 127.0.0.1\n",
	                  &cfg);
	ck_assert(cfg.http.enabled);
	expect_http_defaults(&cfg.http);
	ck_assert_uint_eq(cfg.n_listen, 1);
	tl_expect_addr(&cfg.listen[0], "127.0.0.1", 500);
	ck_assert_uint_eq(cfg.n_peers, 1);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(every_key)
{
	struct ikemond_config cfg;
	char cert[64], key[64], text[1024];

	tl_write_file(cert, sizeof(cert), "-----BEGIN CERTIFICATE-----\n", 0644);
	tl_write_file(key, sizeof(key), "-----BEGIN PRIVATE KEY-----\n", 0600);
	snprintf(text, sizeof(text),
	         "[http]\n"
	         "listen = 192.0.2.1:8080, [2001:db8::1]:9100, [::1], ::, 10.0.0.1\n"
	         "tls_cert = %s\n"
	         "tls_key = %s   ; PEM\n"
	         "auth_user = prometheus@example.net\n"
	         "auth_password = \"" SECRET " \\\"q\\\" \\\\ ;#x\"  # a comment\n"
	         "max_connections = 1024\n"
	         "timeout = 3600\n"
	         "max_request = 65536\n"
	         "per_sa_metrics = on\n"
	         "scrape_walk_slice = 1000000\n",
	         cert, key);
	tl_config_load_ok(text, &cfg);
	ck_assert(cfg.http.enabled);
	ck_assert_uint_eq(cfg.http.n_listen, 5);
	tl_expect_addr(&cfg.http.listen[0], "192.0.2.1", 8080);
	tl_expect_addr(&cfg.http.listen[1], "2001:db8::1", 9100);
	tl_expect_addr(&cfg.http.listen[2], "::1", 9731);
	tl_expect_addr(&cfg.http.listen[3], "::", 9731);
	tl_expect_addr(&cfg.http.listen[4], "10.0.0.1", 9731);
	ck_assert_str_eq(cfg.http.tls_cert, cert);
	ck_assert_str_eq(cfg.http.tls_key, key);
	ck_assert_str_eq(cfg.http.auth_user, "prometheus@example.net");
	ck_assert_str_eq(cfg.http.auth_password, SECRET " \"q\" \\ ;#x");
	ck_assert_uint_eq(cfg.http.max_connections, 1024);
	ck_assert_uint_eq(cfg.http.timeout_s, 3600);
	ck_assert_uint_eq(cfg.http.max_request, 65536);
	ck_assert(cfg.http.per_sa_metrics);
	ck_assert_uint_eq(cfg.http.scrape_walk_slice, 1000000);
	ikemond_config_free(&cfg);

	/* The low ends of the ranges, and off. */
	tl_config_load_ok("[http]\nmax_connections = 1\ntimeout = 1\nmax_request = 1024\n"
	                  "per_sa_metrics = off\nscrape_walk_slice = 1\nlisten = 127.0.0.1:1\n",
	                  &cfg);
	ck_assert_uint_eq(cfg.http.max_connections, 1);
	ck_assert_uint_eq(cfg.http.timeout_s, 1);
	ck_assert_uint_eq(cfg.http.max_request, 1024);
	ck_assert(!cfg.http.per_sa_metrics);
	ck_assert_uint_eq(cfg.http.scrape_walk_slice, 1);
	ck_assert_uint_eq(cfg.http.n_listen, 1);
	tl_expect_addr(&cfg.http.listen[0], "127.0.0.1", 1);
	ikemond_config_free(&cfg);
	unlink(cert);
	unlink(key);
}
END_TEST

START_TEST(errors_structure)
{
	tl_config_expect_error("[http]\n\n[http]\n", 3,
	                       "duplicate section [http] (first on line 1)");
	tl_config_expect_error("[http]\n[ikemond]\n[http]\n", 3,
	                       "duplicate section [http] (first on line 1)");
	tl_config_expect_error("[http metrics]\n", 1, "unknown section [http metrics]");
	tl_config_expect_error(
	    "[ikemond]\n[https]\n", 2,
	    "unknown section [https] (expected [ikemond], [peer NAME], [http] or [snmp])");
	tl_config_expect_error(
	    "[http]\nport = 9731\n", 2,
	    "unknown key 'port' in [http] (known there: listen, tls_cert, tls_key, "
	    "auth_user, auth_password, auth_password_file, max_connections, "
	    "max_connections_per_ip, timeout, max_request, per_sa_metrics, scrape_walk_slice)");
	tl_config_expect_error("[http]\ntimeout = 5\ntimeout = 6\n", 3,
	                       "duplicate key 'timeout' (first set on line 2)");
	tl_config_expect_error("[http]\nlisten = 127.0.0.1\nlisten = 127.0.0.2\n", 3,
	                       "duplicate key 'listen' (first set on line 2)");
	tl_config_expect_error("[http]\nauth_user =\n", 2, "key 'auth_user' has no value");
	tl_config_expect_error("[http]\npsk = \"" SECRET "\"\n", 2,
	                       "key 'psk' belongs in a [peer NAME] section, not in [http]");
	tl_config_expect_error("[http]\nretransmit_tries = 3\n", 2,
	                       "key 'retransmit_tries' belongs in [ikemond], not in [http]");
	tl_config_expect_error("[ikemond]\ntls_cert = /etc/ssl/cert.pem\n", 2,
	                       "key 'tls_cert' belongs in [http], not in [ikemond]");
	tl_config_expect_error("per_sa_metrics = on\n", 1,
	                       "key 'per_sa_metrics' outside any section; it belongs in [http]");
	tl_config_expect_error(
	    "[peer a]\nremote = 192.0.2.1\npsk = \"k\"\nlisten = 127.0.0.1\n", 4,
	    "key 'listen' belongs in [ikemond], not in [peer a] (also a key of [http], [snmp])");
	tl_config_expect_error(
	    "listen = 127.0.0.1\n", 1,
	    "key 'listen' outside any section; it belongs in [ikemond] (also a key of "
	    "[http], [snmp])");
}
END_TEST

START_TEST(errors_values)
{
	char text[512];

	tl_config_expect_error("[http]\nlisten = 127.0.0.1:0\n", 2,
	                       "bad listen address '127.0.0.1:0'");
	tl_config_expect_error("[http]\nlisten = localhost:9731\n", 2,
	                       "bad listen address 'localhost:9731'");
	tl_config_expect_error("[http]\nlisten = 127.0.0.1, [::1]:65536\n", 2,
	                       "bad listen address '[::1]");
	tl_config_expect_error("[http]\nlisten = [127.0.0.1]:9731\n", 2, "bad listen address");
	tl_config_expect_error("[http]\nlisten = 127.0.0.1, 127.0.0.1:9731\n", 2,
	                       "listen address '127.0.0.1:9731' given twice");
	tl_config_expect_error(
	    "[http]\nlisten = 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,"
	    "10.0.0.7,10.0.0.8,10.0.0.9\n",
	    2, "more than 8 listen addresses");
	tl_config_expect_error("[http]\nmax_connections = 0\n", 2,
	                       "bad max_connections '0' (expected 1 to 1024)");
	tl_config_expect_error("[http]\nmax_connections = 1025\n", 2, "bad max_connections '1025'");
	tl_config_expect_error("[http]\ntimeout = 0\n", 2, "bad timeout '0' (expected 1 to 3600)");
	tl_config_expect_error("[http]\ntimeout = 3601\n", 2, "bad timeout '3601'");
	tl_config_expect_error("[http]\ntimeout = 1.5\n", 2, "bad timeout '1.5'");
	tl_config_expect_error("[http]\nmax_request = 1023\n", 2,
	                       "bad max_request '1023' (expected 1024 to 65536)");
	tl_config_expect_error("[http]\nmax_request = 65537\n", 2, "bad max_request '65537'");
	tl_config_expect_error("[http]\nper_sa_metrics = yes\n", 2,
	                       "bad per_sa_metrics 'yes' (expected on or off)");
	tl_config_expect_error("[http]\nper_sa_metrics = ON\n", 2, "bad per_sa_metrics 'ON'");
	tl_config_expect_error("[http]\nscrape_walk_slice = 0\n", 2,
	                       "bad scrape_walk_slice '0' (expected 1 to 1000000)");
	tl_config_expect_error("[http]\nscrape_walk_slice = 1000001\n", 2,
	                       "bad scrape_walk_slice '1000001'");
	tl_config_expect_error("[http]\ntls_cert = cert.pem\n", 2,
	                       "bad tls_cert 'cert.pem' (expected an absolute path)");
	tl_config_expect_error("[http]\ntls_key = /nonexistent/key.pem\n", 2,
	                       "tls_key /nonexistent/key.pem: No such file or directory");
	tl_config_expect_error("[http]\ntls_cert = /tmp\n", 2,
	                       "tls_cert /tmp is not a regular file");
	snprintf(text, sizeof(text), "[http]\ntls_cert = /%0300d\n", 0);
	tl_config_expect_error(text, 2, "tls_cert path longer than 255 bytes");
	tl_config_expect_error("[http]\nauth_user = prom:etheus\n", 2,
	                       "bad auth_user 'prom:etheus' (1 to 63 visible characters, no ':')");
	tl_config_expect_error("[http]\nauth_user = \"prometheus\"x y\n", 2, "bad auth_user");
	snprintf(text, sizeof(text), "[http]\nauth_user = %064d\n", 0);
	tl_config_expect_error(text, 2, "bad auth_user");
}
END_TEST

START_TEST(errors_pairs)
{
	char cert[64], text[512];

	tl_write_file(cert, sizeof(cert), "PEM\n", 0600);
	/* Checked at the end of the section, reported on the line of the key that is set. */
	snprintf(text, sizeof(text), "[http]\ntls_cert = %s\ntimeout = 5\n", cert);
	tl_config_expect_error(text, 2, "tls_cert without tls_key");
	snprintf(text, sizeof(text), "[http]\ntimeout = 5\ntls_key = %s\n\n[ikemond]\n", cert);
	tl_config_expect_error(text, 3, "tls_key without tls_cert");
	tl_config_expect_error(
	    "[http]\nauth_user = prometheus\n[peer a]\nremote = 192.0.2.1\npsk = \"k\"\n", 2,
	    "auth_user without auth_password");
	tl_config_expect_error("[http]\nmax_request = 2048\nauth_password = \"" SECRET "\"\n", 3,
	                       "auth_password without auth_user");
	unlink(cert);
}
END_TEST

START_TEST(errors_password)
{
	char text[512];

	tl_config_expect_error("[http]\nauth_user = u\nauth_password = " SECRET "\n", 3,
	                       "auth_password must be \"text\" or file:/path");
	tl_config_expect_error("[http]\nauth_user = u\nauth_password = 0x546f70\n", 3,
	                       "auth_password must be \"text\" or file:/path");
	tl_config_expect_error("[http]\nauth_user = u\nauth_password = \"" SECRET "\n", 3,
	                       "auth_password lacks its closing quote");
	tl_config_expect_error("[http]\nauth_user = u\nauth_password = \"Top\\qSecret\"\n", 3,
	                       "auth_password has a bad escape");
	tl_config_expect_error("[http]\nauth_user = u\nauth_password = \"" SECRET "\"x\n", 3,
	                       "text after the closing quote of auth_password");
	tl_config_expect_error("[http]\nauth_user = u\nauth_password = \"\"\n", 3,
	                       "auth_password is empty");
	snprintf(text, sizeof(text), "[http]\nauth_user = u\nauth_password = \"TopSecret%0119d\"\n",
	         0);
	tl_config_expect_error(text, 3, "auth_password longer than 127 bytes");
	/* A password set before a later error is wiped all the same (expect_error checks). */
	tl_config_expect_error("[http]\nauth_user = u\nauth_password = \"" SECRET
	                       "\"\ntimeout = 0\n",
	                       4, "bad timeout");
	tl_config_expect_error("[http]\nauth_user = u\nauth_password = \"" SECRET "\"\n[http]\n", 4,
	                       "duplicate section [http]");
	/* 127 bytes are accepted. */
	{
		struct ikemond_config cfg;

		snprintf(text, sizeof(text), "[http]\nauth_user = u\nauth_password = \"%0127d\"\n",
		         0);
		tl_config_load_ok(text, &cfg);
		ck_assert_uint_eq(strlen(cfg.http.auth_password), 127);
		ikemond_config_free(&cfg);
	}
}
END_TEST

/* Load an [http] section whose password is file:F, F holding content with mode. */
static int load_password_file(const char *content, mode_t mode, char *pwpath, size_t pwlen,
                              struct ikemond_config *cfg, char *err, size_t errlen)
{
	char text[256], path[64];

	tl_write_file(pwpath, pwlen, content, mode);
	snprintf(text, sizeof(text), "[http]\nauth_user = prometheus\nauth_password = file:%s\n",
	         pwpath);
	return tl_config_load(text, cfg, path, sizeof(path), err, errlen);
}

START_TEST(password_file)
{
	struct ikemond_config cfg;
	char pwpath[64], err[512], want[160];
	static const mode_t refused[] = {0644, 0640, 0604, 0620, 0602};
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_int_eq(load_password_file(SECRET "\n", refused[i], pwpath, sizeof(pwpath),
		                                    &cfg, err, sizeof(err)),
		                 -1);
		snprintf(want, sizeof(want), ":3: auth_password file %s is %s by group or others",
		         pwpath, refused[i] & 044 ? "readable" : "writable");
		ck_assert_msg(strstr(err, want) != NULL, "want '%s' in '%s'", want, err);
		ck_assert_msg(strstr(err, "TopSecret") == NULL, "secret in '%s'", err);
		ck_assert(tl_all_zero(cfg.http.auth_password, sizeof(cfg.http.auth_password)));
		unlink(pwpath);
	}

	ck_assert_int_eq(
	    load_password_file("\n", 0600, pwpath, sizeof(pwpath), &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":3: auth_password file"));
	ck_assert_ptr_nonnull(strstr(err, "is empty"));
	unlink(pwpath);
	/* One trailing newline is stripped, inner ones kept. */
	ck_assert_msg(load_password_file("Top\nSecret\n\n", 0600, pwpath, sizeof(pwpath), &cfg, err,
	                                 sizeof(err)) == 0,
	              "%s", err);
	ck_assert_str_eq(cfg.http.auth_password, "Top\nSecret\n");
	ikemond_config_free(&cfg);
	unlink(pwpath);

	/* 0600 and 0400 are accepted; a trailing CR LF goes too. */
	ck_assert_msg(load_password_file(SECRET "\n", 0600, pwpath, sizeof(pwpath), &cfg, err,
	                                 sizeof(err)) == 0,
	              "%s", err);
	ck_assert_str_eq(cfg.http.auth_password, SECRET);
	ikemond_config_free(&cfg);
	unlink(pwpath);
	ck_assert_msg(load_password_file(SECRET "\r\n", 0400, pwpath, sizeof(pwpath), &cfg, err,
	                                 sizeof(err)) == 0,
	              "%s", err);
	ck_assert_str_eq(cfg.http.auth_password, SECRET);
	ikemond_config_free(&cfg);

	/* Gone now. */
	unlink(pwpath);
	snprintf(want, sizeof(want), "[http]\nauth_user = u\nauth_password = file:%s\n", pwpath);
	snprintf(err, sizeof(err), "cannot open auth_password file %s", pwpath);
	tl_config_expect_error(want, 3, err);
	tl_config_expect_error("[http]\nauth_user = u\nauth_password = file:/tmp\n", 3,
	                       "auth_password file /tmp is not a regular file");
}
END_TEST

/* auth_password_file: a crypt(3) hash in a 0600 file; http_hash_match() checks it. */
START_TEST(password_hash_file)
{
	/* openssl passwd -6 -salt ikemonsalt TopSecret */
	static const char hash[] =
	    "$6$ikemonsalt$cD41fs/UaIj53VCHxH4bb4IM5yxY9Aq4rKO..9qvKGrgYmWaPG1P"
	    "M48mLHzSmyiOl7xtMvOA979vjjtpBM8VK/";
	struct ikemond_config cfg;
	char path[] = "/tmp/ikemon-hash-XXXXXX", text[256];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, hash, strlen(hash)), (ssize_t)strlen(hash));
	ck_assert_int_eq(write(fd, "\n", 1), 1);
	close(fd);
	snprintf(text, sizeof(text),
	         "[http]\nauth_user = u\nauth_password_file = %s\nmax_connections_per_ip = 2\n",
	         path);
	tl_config_load_ok(text, &cfg);
	ck_assert_str_eq(cfg.http.auth_hash, hash);
	ck_assert_uint_eq(cfg.http.max_connections_per_ip, 2);
	ck_assert(http_hash_match("TopSecret", cfg.http.auth_hash));
	ck_assert(!http_hash_match("TopSecreT", cfg.http.auth_hash));
	ck_assert(!http_hash_match("", cfg.http.auth_hash));
	ck_assert(!http_hash_match("TopSecret", "not-a-hash"));
	ikemond_config_free(&cfg);
	ck_assert(tl_all_zero(cfg.http.auth_hash, sizeof(cfg.http.auth_hash)));

	snprintf(text, sizeof(text),
	         "[http]\nauth_user = u\nauth_password = \"x\"\nauth_password_file = %s\n", path);
	tl_config_expect_error(text, 4, "auth_password_file and auth_password: name one");
	snprintf(text, sizeof(text), "[http]\nauth_password_file = %s\n", path);
	tl_config_expect_error(text, 2, "auth_password_file without auth_user");
	tl_config_expect_error("[http]\nauth_user = u\nauth_password_file = relative\n", 3,
	                       "expected an absolute path");
	tl_config_expect_error("[http]\nmax_connections_per_ip = 0\n", 2,
	                       "bad max_connections_per_ip '0'");
	chmod(path, 0640);
	snprintf(text, sizeof(text), "[http]\nauth_user = u\nauth_password_file = %s\n", path);
	tl_config_expect_error(text, 3, "is readable by group or others");
	unlink(path);
}
END_TEST

START_TEST(password_nul_byte)
{
	struct ikemond_config cfg;
	char pwpath[64], text[160], path[64], err[512];
	int fd;

	snprintf(pwpath, sizeof(pwpath), "/tmp/ikemon-test-config-http-XXXXXX");
	fd = mkstemp(pwpath);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "Top\0Secret", 10), 10);
	ck_assert_int_eq(close(fd), 0);
	snprintf(text, sizeof(text), "[http]\nauth_user = u\nauth_password = file:%s\n", pwpath);
	ck_assert_int_eq(tl_config_load(text, &cfg, path, sizeof(path), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":3: auth_password holds a NUL byte") != NULL, "%s", err);
	ck_assert(tl_all_zero(cfg.http.auth_password, sizeof(cfg.http.auth_password)));
	unlink(pwpath);
}
END_TEST

START_TEST(free_wipes_password)
{
	struct ikemond_config cfg;

	tl_config_load_ok("[http]\nauth_user = prometheus\nauth_password = \"" SECRET "\"\n", &cfg);
	ck_assert_str_eq(cfg.http.auth_password, SECRET);
	ikemond_config_free(&cfg);
	ck_assert(tl_all_zero(cfg.http.auth_password, sizeof(cfg.http.auth_password)));
	ck_assert_str_eq(cfg.http.auth_user, "prometheus"); /* not a secret: kept */
	ikemond_config_free(&cfg);                          /* twice is harmless */
	ck_assert(tl_all_zero(cfg.http.auth_password, sizeof(cfg.http.auth_password)));
}
END_TEST

static Suite *config_http_suite(void)
{
	Suite *s = suite_create("config_http");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, off_without_section);
	tcase_add_test(tc, section_alone);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, errors_structure);
	tcase_add_test(tc, errors_values);
	tcase_add_test(tc, errors_pairs);
	tcase_add_test(tc, errors_password);
	tcase_add_test(tc, password_file);
	tcase_add_test(tc, password_hash_file);
	tcase_add_test(tc, password_nul_byte);
	tcase_add_test(tc, free_wipes_password);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(config_http_suite());
}
