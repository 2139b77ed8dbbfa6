/*
 * test_config_cert.c - the certificate keys of [peer NAME] (agent/config_cert.c): auth,
 * cert, key, ca, crl, send_cert; files written under /tmp from certificates made here;
 * each way a section can be wrong, on its line, without key material in the message;
 * the key file's mode; peers naming the same files sharing one set of credentials; DN
 * identities.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "ike/cert.h"
#include "ike/ike.h"
#include "tests/unit/pki_fixture.h"
#include "tests/unit/testlib.h"

/* The files: RSA and ECDSA certificates with their keys, the CA, a CRL, an odd key. */
static char f_rsa[64], f_rsa_key[64], f_ec[64], f_ec_key[64], f_ca[64], f_crl[64];
static char f_open_key[64], f_other_key[64];

static void write_pem(char *path, char *text, mode_t mode)
{
	tl_write_file(path, 64, text, mode);
	free(text);
}

static void files_setup(void)
{
	struct pki_cert ca = make_cert("rsa", "Test CA", NULL, -DAY, 365 * DAY, NULL, 1);
	struct pki_cert rsa = make_cert("rsa", "gw-rsa", &ca, -DAY, 30 * DAY, "IP:192.0.2.1", 2);
	struct pki_cert ec = make_cert("P-256", "gw-ec", &ca, -DAY, 30 * DAY, "IP:192.0.2.2", 3);
	X509_CRL *crl = make_crl(&ca, 2);

	write_pem(f_rsa, pem_cert(rsa.x), 0644);
	write_pem(f_rsa_key, pem_key(rsa.key), 0600);
	write_pem(f_open_key, pem_key(rsa.key), 0644);
	write_pem(f_ec, pem_cert(ec.x), 0644);
	write_pem(f_ec_key, pem_key(ec.key), 0400);
	write_pem(f_other_key, pem_key(ca.key), 0600);
	write_pem(f_ca, pem_cert(ca.x), 0644);
	write_pem(f_crl, pem_crl(crl), 0644);
	X509_CRL_free(crl);
	free_cert(&ca), free_cert(&rsa), free_cert(&ec);
}

static void files_teardown(void)
{
	const char *all[] = {f_rsa,    f_rsa_key,   f_open_key, f_ec,
	                     f_ec_key, f_other_key, f_ca,       f_crl};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		unlink(all[i]);
}

/* A [peer p] section with the lines given (after remote), as config text. */
static char *conf(const char *lines)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
	         "[ikemond]\ncontrol = /tmp/x.sock\n[peer p]\nremote = 192.0.2.9\n%s[snmp]\nmode = "
	         "off\n",
	         lines);
	return buf;
}

static char *lines(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *lines(const char *fmt, ...)
{
	static char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

START_TEST(test_rsa_and_ecdsa_peers)
{
	struct ikemond_config cfg;
	char text[4096];

	snprintf(text, sizeof(text),
	         "[ikemond]\ncontrol = /tmp/x.sock\n"
	         "[peer a]\nremote = 192.0.2.9\ncert = %s\nkey = %s\nca = %s\ncrl = %s\n"
	         "[peer b]\nremote = 192.0.2.10\ncert = %s\nkey = %s\nca = %s\ncrl = %s\n"
	         "[peer c]\nremote = 192.0.2.11\nauth = ecdsa\ncert = %s\nkey = %s\nca = %s\n"
	         "send_cert = ifasked\nlocal_id = C=CH, O=ikemon test, CN=gw-ec\n"
	         "remote_id = dn:/C=CH/O=ikemon test/CN=peer\n"
	         "[peer d]\nremote = 192.0.2.12\npsk = \"TopSecret\"\nremote_id = %%any\n"
	         "[snmp]\nmode = off\n",
	         f_rsa, f_rsa_key, f_ca, f_crl, f_rsa, f_rsa_key, f_ca, f_crl, f_ec, f_ec_key,
	         f_ca);
	tl_config_load_ok(text, &cfg);
	ck_assert_uint_eq(cfg.n_peers, 4);
	ck_assert_ptr_nonnull(cfg.peers[0].creds);
	ck_assert_uint_eq(ike_peer_auth(&cfg.peers[0]), IKE_AUTH_RSA_SIG);
	ck_assert_uint_eq(cfg.peers[0].psk_len, 0);
	/* the same files: read once, shared */
	ck_assert_ptr_eq(cfg.peers[0].creds, cfg.peers[1].creds);
	ck_assert_str_eq(ike_creds_subject(cfg.peers[0].creds), "C=CH, O=ikemon test, CN=gw-rsa");
	ck_assert_uint_eq(ike_peer_auth(&cfg.peers[2]), IKE_AUTH_ECDSA_256);
	ck_assert_uint_eq(cfg.peers[2].send_cert, IKE_SEND_CERT_IFASKED);
	ck_assert_uint_eq(cfg.peers[0].send_cert, IKE_SEND_CERT_ALWAYS);
	ck_assert_uint_eq(cfg.peers[2].local_id.type, IKE_ID_DER_ASN1_DN);
	ck_assert_str_eq(cfg.peers[2].local_id.value, "C=CH, O=ikemon test, CN=gw-ec");
	ck_assert_uint_eq(cfg.peers[2].remote_id.type, IKE_ID_DER_ASN1_DN);
	ck_assert_str_eq(cfg.peers[2].remote_id.value, "C=CH, O=ikemon test, CN=peer");
	ck_assert_ptr_null(cfg.peers[3].creds);
	ck_assert_uint_eq(cfg.peers[3].remote_id.type, 0);
	ck_assert_str_eq(cfg.peers[3].remote_id.value, "%any");
	ck_assert_uint_eq(ike_peer_auth(&cfg.peers[3]), IKE_AUTH_PSK);
	/* the credentials change a peer as a psk does */
	ck_assert(ike_peer_cfg_differs(&cfg.peers[0], &cfg.peers[2]));
	ikemond_config_free(&cfg);
	ck_assert_ptr_null(cfg.peers);
}
END_TEST

/* Aggressive Mode with certificates: both keys load (they needed a psk before) */
START_TEST(test_aggressive_with_certificates)
{
	struct ikemond_config cfg;

	tl_config_load_ok(conf(lines("auth = ecdsa\ncert = %s\nkey = %s\nca = %s\n"
	                             "exchange = aggressive\naggressive = yes\n",
	                             f_ec, f_ec_key, f_ca)),
	                  &cfg);
	ck_assert_uint_eq(cfg.n_peers, 1);
	ck_assert_int_eq(cfg.peers[0].exchange, ISAKMP_XCHG_AGGR);
	ck_assert(cfg.peers[0].aggressive);
	ck_assert_uint_eq(ike_peer_auth(&cfg.peers[0]), IKE_AUTH_ECDSA_256);
	ikemond_config_free(&cfg);
}
END_TEST

START_TEST(test_errors_on_their_line)
{
	/* the key file readable or writable by others: refused as a psk file is */
	tl_config_expect_error(
	    conf(lines("cert = %s\nkey = %s\nca = %s\n", f_rsa, f_open_key, f_ca)), 6,
	    "is readable by group or others (chmod 600)");
	/* a key of another certificate */
	tl_config_expect_error(
	    conf(lines("cert = %s\nkey = %s\nca = %s\n", f_rsa, f_other_key, f_ca)), 6,
	    "the private key does not belong to the certificate");
	/* a psk beside certificates, certificates with auth = psk */
	tl_config_expect_error(conf(lines("cert = %s\nkey = %s\nca = %s\npsk = \"TopSecret\"\n",
	                                  f_rsa, f_rsa_key, f_ca)),
	                       8, "psk is not used with certificates");
	tl_config_expect_error(conf(lines("auth = psk\npsk = \"TopSecret\"\nca = %s\n", f_ca)), 7,
	                       "ca is for auth = rsa or ecdsa, not psk");
	/* auth against the key */
	tl_config_expect_error(
	    conf(lines("auth = ecdsa\ncert = %s\nkey = %s\nca = %s\n", f_rsa, f_rsa_key, f_ca)), 5,
	    "auth = ecdsa, but the key in");
	tl_config_expect_error(
	    conf(lines("auth = rsa\ncert = %s\nkey = %s\nca = %s\n", f_ec, f_ec_key, f_ca)), 5,
	    "is ECDSA");
	/* what is missing, on the section's line */
	tl_config_expect_error(conf(lines("cert = %s\nkey = %s\n", f_rsa, f_rsa_key)), 3,
	                       "needs cert, key and ca (ca missing)");
	tl_config_expect_error(conf(lines("auth = rsa\n")), 3, "(cert missing)");
	tl_config_expect_error(conf(""), 3, "peer 'p' has no psk");
	/* values */
	tl_config_expect_error(conf(lines("auth = dss\n")), 5, "bad auth 'dss'");
	tl_config_expect_error(conf(lines("cert = relative.pem\n")), 5,
	                       "expected an absolute path");
	tl_config_expect_error(conf(lines("ca = /nonexistent/ca.pem\n")), 5, "No such file");
	tl_config_expect_error(conf(lines("send_cert = sometimes\n")), 5, "bad send_cert");
	tl_config_expect_error(conf(lines("remote_id = dn:gw.example.net\n")), 5,
	                       "not a distinguished name");
	/* a CRL file that holds a certificate */
	tl_config_expect_error(
	    conf(lines("cert = %s\nkey = %s\nca = %s\ncrl = %s\n", f_rsa, f_rsa_key, f_ca, f_rsa)),
	    8, "no CRL (PEM or DER)");
}
END_TEST

/* No message says more than a file's name: never what the key file holds. */
START_TEST(test_no_key_material_in_messages)
{
	struct ikemond_config cfg;
	char path[64], err[512];

	ck_assert_int_eq(tl_config_load(conf(lines("cert = %s\nkey = %s\nca = %s\n", f_rsa_key,
	                                           f_rsa_key, f_ca)),
	                                &cfg, path, sizeof(path), err, sizeof(err)),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "no certificate"));
	ck_assert_ptr_null(strstr(err, "PRIVATE"));
	ck_assert_ptr_null(strstr(err, "MII"));
}
END_TEST

static Suite *config_cert_suite(void)
{
	Suite *s = suite_create("config_cert");
	TCase *tc = tcase_create("keys");

	tcase_add_unchecked_fixture(tc, files_setup, files_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_rsa_and_ecdsa_peers);
	tcase_add_test(tc, test_aggressive_with_certificates);
	tcase_add_test(tc, test_errors_on_their_line);
	tcase_add_test(tc, test_no_key_material_in_messages);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(config_cert_suite());
}
