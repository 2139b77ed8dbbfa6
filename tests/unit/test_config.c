/*
 * test_config.c - agent/config.c: ikemond.conf parsed into the right values, and every
 * error reported as "FILE:LINE: what" without ever showing the pre-shared key.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "agent/config.h"
#include "ike/dhpool.h"
#include "ike/ike.h"
#include "tests/unit/testlib.h"

#define SECRET "TopSecret-4711"

static void expect_proposal(const struct ike_proposal *p, uint16_t encr, uint16_t keylen,
                            uint16_t hash, uint16_t group)
{
	ck_assert_uint_eq(p->encr, encr);
	ck_assert_uint_eq(p->keylen, keylen);
	ck_assert_uint_eq(p->hash, hash);
	ck_assert_uint_eq(p->group, group);
}

static const char full_config[] =
    "; ikemond test configuration\n"
    "# another comment\n"
    "\n"
    "[ikemond]\n"
    "listen = 192.0.2.1, 192.0.2.2:4500, [2001:db8::1]:4500, [::1]  # four\n"
    "control = /tmp/ikemond-test.sock\n"
    "log = syslog\n"
    "log_level = debug\n"
    "retransmit_timeout = 0.25\n"
    "retransmit_tries = 3\n"
    "stall_after = 2\n"
    "qm_stall_after = 3\n"
    "deleted_linger = 120\n"
    "restart_delay = 10\n"
    "max_half_open = 500\n"
    "max_half_open_per_source = 4\n"
    "half_open_timeout = 12\n"
    "dh_workers = 3\n"
    "\n"
    "[peer gw-1.site_A]\n"
    "remote = 198.51.100.7:4500\n"
    "local = 192.0.2.1\n"
    "psk = \"s3cr\\\"et ;#x\\\\y\"   ; a comment after the quoted secret\n"
    "ike = aes256-sha256-modp2048, aes128-sha1-ecp256\n"
    "local_id = gw1.example.net\n"
    "remote_id = 198.51.100.7\n"
    "auto = start\n"
    "ike_lifetime = 3600\n"
    "\n"
    "[ peer   roadwarriors ]\n"
    "\tremote = 203.0.113.0/24\n"
    "psk = 0x0102AbCdEF\n"
    "remote_id = user@example.net\n"
    "local_id = fqdn:192.0.2.1\n"
    "\n"
    "[peer v6net]\n"
    "remote=2001:db8:1::/48\n"
    "psk=\"x\"\n"
    "local_id = @gw.example.net\n"
    "remote_id = 2001:DB8::0:2\n"
    "ike = aes128-aes256-sha256-modp2048-ecp256\n"
    "\n"
    "[peer v6host]\n"
    "remote = [2001:db8::5]:4500\n"
    "local = [2001:db8::1]\n"
    "psk = \"y\"\n"
    "auto = start\n"
    "local_id = email:ops@example.net\n"
    "remote_id = ipv6:2001:DB8::5\n"
    "[peer anyone]\n"
    "remote = %any\n"
    "psk = 0x00ff\n"
    "local_id = userfqdn:a@b\n"
    "remote_id = ipv4:203.0.113.1\n";

START_TEST(full_config_values)
{
	struct ikemond_config cfg;
	char path[64], err[512];
	const struct ike_peer_cfg *p;

	ck_assert_msg(tl_config_load(full_config, &cfg, path, sizeof(path), err, sizeof(err)) == 0,
	              "%s", err);
	ck_assert_uint_eq(cfg.n_listen, 4);
	tl_expect_addr(&cfg.listen[0], "192.0.2.1", 500);
	tl_expect_addr(&cfg.listen[1], "192.0.2.2", 4500);
	tl_expect_addr(&cfg.listen[2], "2001:db8::1", 4500);
	tl_expect_addr(&cfg.listen[3], "::1", 500);
	ck_assert_str_eq(cfg.control, "/tmp/ikemond-test.sock");
	ck_assert_int_eq(cfg.log_target, IKEMOND_LOG_SYSLOG);
	ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
	ck_assert_uint_eq(cfg.settings.retransmit_timeout_ms, 250);
	ck_assert_uint_eq(cfg.settings.retransmit_tries, 3);
	ck_assert_uint_eq(cfg.settings.deleted_linger_s, 120);
	ck_assert_uint_eq(cfg.settings.restart_delay_s, 10);
	ck_assert_uint_eq(cfg.settings.max_half_open, 500);
	ck_assert_uint_eq(cfg.settings.max_half_open_per_source, 4);
	ck_assert_uint_eq(cfg.settings.half_open_timeout_s, 12);
	ck_assert_uint_eq(cfg.settings.dh_workers, 3);
	ck_assert_uint_eq(cfg.n_peers, 5);

	p = &cfg.peers[0];
	ck_assert_str_eq(p->name, "gw-1.site_A");
	tl_expect_addr(&p->remote, "198.51.100.7", 4500);
	ck_assert_uint_eq(p->remote_prefix, 32);
	ck_assert(!p->remote_any);
	tl_expect_addr(&p->local, "192.0.2.1", 500);
	ck_assert_uint_eq(p->psk_len, 13);
	ck_assert_mem_eq(p->psk, "s3cr\"et ;#x\\y", 13); /* escapes decoded */
	ck_assert_uint_eq(p->n_ike, 2);
	expect_proposal(&p->ike[0], IKE_ENCR_AES_CBC, 256, IKE_HASH_SHA2_256, IKE_GROUP_MODP2048);
	expect_proposal(&p->ike[1], IKE_ENCR_AES_CBC, 128, IKE_HASH_SHA1, IKE_GROUP_ECP256);
	ck_assert_uint_eq(p->local_id.type, IKE_ID_FQDN);
	ck_assert_str_eq(p->local_id.value, "gw1.example.net");
	ck_assert_uint_eq(p->remote_id.type, IKE_ID_IPV4_ADDR);
	ck_assert_str_eq(p->remote_id.value, "198.51.100.7");
	ck_assert_int_eq(p->autostart, IKE_AUTO_START);
	ck_assert_uint_eq(p->ike_lifetime, 3600);

	p = &cfg.peers[1];
	ck_assert_str_eq(p->name, "roadwarriors");
	tl_expect_addr(&p->remote, "203.0.113.0", 500);
	ck_assert_uint_eq(p->remote_prefix, 24);
	ck_assert_int_eq(p->local.ss_family, AF_UNSPEC);
	ck_assert_uint_eq(p->psk_len, 5);
	ck_assert_mem_eq(p->psk, "\x01\x02\xab\xcd\xef", 5);
	ck_assert_uint_eq(p->remote_id.type, IKE_ID_USER_FQDN);
	ck_assert_str_eq(p->remote_id.value, "user@example.net");
	ck_assert_uint_eq(p->local_id.type, IKE_ID_FQDN);
	ck_assert_str_eq(p->local_id.value, "192.0.2.1");
	ck_assert_int_eq(p->autostart, IKE_AUTO_ADD);
	ck_assert_uint_eq(p->ike_lifetime, 28800);

	p = &cfg.peers[2];
	tl_expect_addr(&p->remote, "2001:db8:1::", 500);
	ck_assert_uint_eq(p->remote_prefix, 48);
	ck_assert_uint_eq(p->psk_len, 1);
	ck_assert_uint_eq(p->local_id.type, IKE_ID_FQDN);
	ck_assert_str_eq(p->local_id.value, "gw.example.net");
	ck_assert_uint_eq(p->remote_id.type, IKE_ID_IPV6_ADDR);
	ck_assert_str_eq(p->remote_id.value, "2001:db8::2");
	ck_assert_uint_eq(p->n_ike, 4);
	expect_proposal(&p->ike[0], IKE_ENCR_AES_CBC, 128, IKE_HASH_SHA2_256, IKE_GROUP_MODP2048);
	expect_proposal(&p->ike[1], IKE_ENCR_AES_CBC, 128, IKE_HASH_SHA2_256, IKE_GROUP_ECP256);
	expect_proposal(&p->ike[2], IKE_ENCR_AES_CBC, 256, IKE_HASH_SHA2_256, IKE_GROUP_MODP2048);
	expect_proposal(&p->ike[3], IKE_ENCR_AES_CBC, 256, IKE_HASH_SHA2_256, IKE_GROUP_ECP256);

	p = &cfg.peers[3];
	tl_expect_addr(&p->remote, "2001:db8::5", 4500);
	ck_assert_uint_eq(p->remote_prefix, 128);
	tl_expect_addr(&p->local, "2001:db8::1", 500);
	ck_assert_int_eq(p->autostart, IKE_AUTO_START);
	ck_assert_uint_eq(p->local_id.type, IKE_ID_USER_FQDN);
	ck_assert_str_eq(p->local_id.value, "ops@example.net");
	ck_assert_uint_eq(p->remote_id.type, IKE_ID_IPV6_ADDR);
	ck_assert_str_eq(p->remote_id.value, "2001:db8::5");

	p = &cfg.peers[4];
	ck_assert_str_eq(p->name, "anyone");
	ck_assert(p->remote_any);
	ck_assert_uint_eq(p->psk_len, 2);
	ck_assert_mem_eq(p->psk, "\x00\xff", 2);
	ck_assert_uint_eq(p->local_id.type, IKE_ID_USER_FQDN);
	ck_assert_str_eq(p->local_id.value, "a@b");
	ck_assert_uint_eq(p->remote_id.type, IKE_ID_IPV4_ADDR);
	ck_assert_str_eq(p->remote_id.value, "203.0.113.1");

	ikemond_config_free(&cfg);
	ck_assert_ptr_null(cfg.peers);
	ck_assert_uint_eq(cfg.n_peers, 0);
	ikemond_config_free(&cfg); /* twice is harmless */
}
END_TEST

START_TEST(defaults)
{
	struct ikemond_config cfg;
	struct ike_settings s;
	char path[64], err[512];
	const struct ike_peer_cfg *p;
	size_t i;
	bool ecp256 = false, modp2048 = false;

	ikemond_config_defaults(&cfg);
	ck_assert_uint_eq(cfg.n_listen, 2);
	tl_expect_addr(&cfg.listen[0], "0.0.0.0", 500);
	tl_expect_addr(&cfg.listen[1], "::", 500);

	ck_assert_msg(tl_config_load("# nothing but a comment\r\n[ikemond]\r\n[peer a]\r\nremote = "
	                             "192.0.2.9\r\npsk = \"" SECRET "\"\r\n",
	                             &cfg, path, sizeof(path), err, sizeof(err)) == 0,
	              "%s", err);
	ck_assert_uint_eq(cfg.n_listen, 2);
	tl_expect_addr(&cfg.listen[0], "0.0.0.0", 500);
	tl_expect_addr(&cfg.listen[1], "::", 500);
	ck_assert_str_eq(cfg.control, IKEMOND_DEFAULT_CONTROL);
	ck_assert_int_eq(cfg.log_target, IKEMOND_LOG_SYSLOG);
	ck_assert_int_eq(cfg.log_level, LOG_INFO);
	ike_settings_default(&s);
	/* the daemon's default: one DH worker per online CPU (the engine's: none) */
	ck_assert_uint_ge(cfg.settings.dh_workers, 1);
	ck_assert_uint_le(cfg.settings.dh_workers, IKE_DHPOOL_MAX_WORKERS);
	ck_assert_int_eq(cfg.settings.dh_workers,
	                 sysconf(_SC_NPROCESSORS_ONLN) < 1 ? 1 : sysconf(_SC_NPROCESSORS_ONLN));
	s.dh_workers = cfg.settings.dh_workers;
	ck_assert_mem_eq(&cfg.settings, &s, sizeof(s));
	ck_assert_uint_eq(s.max_half_open, 10000);
	ck_assert_uint_eq(s.max_half_open_per_source, 32);
	ck_assert_uint_eq(s.half_open_timeout_s, 30);

	ck_assert_uint_eq(cfg.n_peers, 1);
	p = &cfg.peers[0];
	tl_expect_addr(&p->remote, "192.0.2.9", 500);
	ck_assert_uint_eq(p->psk_len, strlen(SECRET));
	ck_assert_mem_eq(p->psk, SECRET, strlen(SECRET));
	ck_assert_int_eq(p->local.ss_family, AF_UNSPEC);
	ck_assert_uint_eq(p->local_id.type, 0);
	ck_assert_uint_eq(p->remote_id.type, 0);
	ck_assert_int_eq(p->autostart, IKE_AUTO_ADD);
	ck_assert_uint_eq(p->ike_lifetime, 28800);
	ck_assert_uint_ge(p->n_ike, 2);
	expect_proposal(&p->ike[0], IKE_ENCR_AES_CBC, 128, IKE_HASH_SHA2_256, IKE_GROUP_MODP2048);
	for (i = 0; i < p->n_ike; i++) {
		ck_assert_uint_ne(p->ike[i].group, IKE_GROUP_MODP1024);
		ck_assert_uint_ne(p->ike[i].hash, IKE_HASH_MD5);
		ecp256 |= p->ike[i].group == IKE_GROUP_ECP256;
		modp2048 |= p->ike[i].group == IKE_GROUP_MODP2048;
	}
	ck_assert(ecp256 && modp2048);
	ikemond_config_free(&cfg);

	/* An empty file is a valid configuration without peers. */
	ck_assert_int_eq(tl_config_load("", &cfg, path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.n_peers, 0);
	ck_assert_uint_eq(cfg.n_listen, 2);
	ikemond_config_free(&cfg);
}
END_TEST

/* A valid peer section, lines 1-3 of the texts below. */
#define PEER_A "[peer a]\nremote = 192.0.2.1\npsk = \"" SECRET "\"\n"

START_TEST(errors_structure)
{
	tl_config_expect_error("[global]\n", 1, "unknown section [global]");
	tl_config_expect_error("\n[peer]\n", 2, "section [peer] needs a name");
	tl_config_expect_error("[peer bad/name]\n", 1, "bad peer name 'bad/name'");
	tl_config_expect_error("[peer abcdefghijabcdefghijabcdefghij123]\n", 1, "bad peer name");
	tl_config_expect_error("[ikemond\n", 1, "lacks its closing ']'");
	tl_config_expect_error("[ikemond]\n[ikemond]\n", 2,
	                       "duplicate section [ikemond] (first on line 1)");
	tl_config_expect_error(PEER_A "\n[peer a]\nremote = 192.0.2.2\n", 5,
	                       "duplicate peer name 'a'");
	tl_config_expect_error("[ikemond]\nlog = stderr\nfoo = 1\n", 3,
	                       "unknown key 'foo' in [ikemond]");
	tl_config_expect_error(PEER_A "pks = \"" SECRET "\"\n", 4,
	                       "unknown key 'pks' in [peer a] (known there: remote, local, psk");
	tl_config_expect_error("[ikemond]\nremote = 192.0.2.1\n", 2,
	                       "key 'remote' belongs in a [peer NAME] section, not in [ikemond]");
	tl_config_expect_error(PEER_A "listen = 0.0.0.0\n", 4,
	                       "key 'listen' belongs in [ikemond], not in [peer a]");
	tl_config_expect_error("; top\nlisten = 0.0.0.0\n", 2,
	                       "key 'listen' outside any section; it belongs in [ikemond]");
	tl_config_expect_error("bogus = 1\n", 1, "unknown key 'bogus' outside any section");
	tl_config_expect_error(PEER_A "remote = 192.0.2.2\n", 4,
	                       "duplicate key 'remote' (first set on line 2)");
	tl_config_expect_error(PEER_A "psk = \"" SECRET "2\"\n", 4,
	                       "duplicate key 'psk' (first set on line 3)");
	tl_config_expect_error("[ikemond]\nlog = stderr\nlog = syslog\n", 3, "duplicate key 'log'");
	tl_config_expect_error(PEER_A SECRET "\n", 4, "expected 'key = value'");
	tl_config_expect_error(PEER_A "= " SECRET "\n", 4, "no key before '='");
	tl_config_expect_error(PEER_A "local =   # nothing\n", 4, "key 'local' has no value");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\n\n[ikemond]\n", 1,
	                       "peer 'a' has no psk");
	tl_config_expect_error("[peer a]\npsk = \"" SECRET "\"\n", 1, "peer 'a' has no remote");
	/* Checked at the end of the section, reported on the auto line. */
	tl_config_expect_error(
	    "[peer a]\nremote = 10.0.0.0/8\nauto = start\npsk = \"" SECRET "\"\n", 3,
	    "auto = start needs a single remote address, not a subnet (remote on line 2)");
	tl_config_expect_error("[peer a]\nauto = start\nremote = %any\npsk = \"" SECRET
	                       "\"\n[ikemond]\n",
	                       2, "auto = start needs a single remote address, not %any");
}
END_TEST

START_TEST(errors_values)
{
	char text[256];

	tl_config_expect_error("[ikemond]\nlisten = 192.0.2.1:99999\n", 2,
	                       "bad listen address '192.0.2.1:99999'");
	tl_config_expect_error("[ikemond]\nlisten = 192.0.2.1,,192.0.2.2\n", 2,
	                       "bad listen address ''");
	tl_config_expect_error("[ikemond]\nlisten = gw.example.net\n", 2, "bad listen address");
	tl_config_expect_error("[ikemond]\nlisten = [192.0.2.1]:500\n", 2, "bad listen address");
	tl_config_expect_error("[ikemond]\nlisten = 192.0.2.1, 192.0.2.1:500\n", 2, "given twice");
	tl_config_expect_error(
	    "[ikemond]\nlisten = 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,"
	    "10.0.0.7,10.0.0.8,10.0.0.9,10.0.0.10,10.0.0.11,10.0.0.12,10.0.0.13,"
	    "10.0.0.14,10.0.0.15,10.0.0.16,10.0.0.17\n",
	    2, "more than 16 listen addresses");
	snprintf(text, sizeof(text), "[ikemond]\ncontrol = /%0120d\n", 0);
	tl_config_expect_error(text, 2, "control path longer than 107 bytes");
	tl_config_expect_error("[ikemond]\nlog = file\n", 2, "bad log 'file'");
	tl_config_expect_error("[ikemond]\nlog_level = verbose\n", 2, "bad log_level 'verbose'");
	tl_config_expect_error("[ikemond]\nretransmit_timeout = 0.01\n", 2,
	                       "bad retransmit_timeout '0.01'");
	tl_config_expect_error("[ikemond]\nretransmit_timeout = 61\n", 2, "bad retransmit_timeout");
	tl_config_expect_error("[ikemond]\nretransmit_timeout = 1.0005\n", 2,
	                       "bad retransmit_timeout");
	tl_config_expect_error("[ikemond]\nretransmit_timeout = 1s\n", 2, "bad retransmit_timeout");
	tl_config_expect_error("[ikemond]\nretransmit_tries = 21\n", 2,
	                       "bad retransmit_tries '21' (expected 0 to 20)");
	tl_config_expect_error("[ikemond]\nretransmit_tries = -1\n", 2, "bad retransmit_tries");
	tl_config_expect_error("[ikemond]\ndeleted_linger = 86401\n", 2, "bad deleted_linger");
	tl_config_expect_error("[ikemond]\nmax_half_open = 0\n", 2,
	                       "bad max_half_open '0' (expected 1 to 10000000)");
	tl_config_expect_error("[ikemond]\nmax_half_open_per_source = 10000001\n", 2,
	                       "bad max_half_open_per_source");
	tl_config_expect_error("[ikemond]\nhalf_open_timeout = 3601\n", 2,
	                       "bad half_open_timeout '3601' (expected 1 to 3600)");
	tl_config_expect_error("[ikemond]\nrestart_delay = 0\n", 2,
	                       "bad restart_delay '0' (expected 1 to 3600)");
	tl_config_expect_error("[ikemond]\nrestart_delay = 0x10\n", 2, "bad restart_delay");
	tl_config_expect_error("[ikemond]\ndh_workers = 65\n", 2,
	                       "bad dh_workers '65' (expected 0 to 64)");
	tl_config_expect_error("[ikemond]\ndh_workers = -1\n", 2, "bad dh_workers");
	tl_config_expect_error(PEER_A "ike_lifetime = 9\n", 4,
	                       "bad ike_lifetime '9' (expected 10 to 86400)");
	tl_config_expect_error(PEER_A "auto = route\n", 4, "bad auto 'route'");
	tl_config_expect_error("[peer a]\npsk = \"" SECRET "\"\nremote = 10.0.0.1/24\n", 3,
	                       "remote subnet '10.0.0.1/24' has bits set after the prefix");
	tl_config_expect_error("[peer a]\nremote = 10.0.0.0/33\n", 2,
	                       "bad remote subnet '10.0.0.0/33'");
	tl_config_expect_error("[peer a]\nremote = 2001:db8::/129\n", 2, "bad remote subnet");
	tl_config_expect_error("[peer a]\nremote = vpn.example.net\n", 2,
	                       "bad remote 'vpn.example.net'");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1:0\n", 2, "bad remote");
	tl_config_expect_error(PEER_A "local = 192.0.2.300\n", 4, "bad local '192.0.2.300'");
	tl_config_expect_error(PEER_A "ike = aes99-sha256-modp2048\n", 4,
	                       "ike: unknown algorithm 'aes99'");
	tl_config_expect_error(PEER_A "ike = aes128-sha256\n", 4,
	                       "ike: proposal 'aes128-sha256' lacks a DH group");
	tl_config_expect_error(PEER_A "local_id = ipv4:gw.example.net\n", 4,
	                       "bad local_id 'gw.example.net' (not an IPv4 address)");
	tl_config_expect_error(PEER_A "remote_id = ipv6:192.0.2.1\n", 4, "not an IPv6 address");
	tl_config_expect_error(PEER_A "remote_id = fqdn:\n", 4, "remote_id is empty");
}
END_TEST

START_TEST(errors_psk)
{
	char text[1200];

	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = " SECRET "\n", 3,
	                       "psk must be \"text\", 0xHEX or file:/path");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = \"" SECRET "\n", 3,
	                       "psk lacks its closing quote");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = \"" SECRET "\\\n", 3,
	                       "bad escape");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = \"Top\\qSecret\"\n", 3,
	                       "psk has a bad escape");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = \"" SECRET "\"x\n", 3,
	                       "text after the closing quote of psk");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = \"\"\n", 3, "psk is empty");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = 0x546f705\n", 3,
	                       "needs an even, non-zero number of hex digits");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = 0x546f70zz\n", 3,
	                       "not a hex digit");
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = 0x\n", 3, "hex digits");
	snprintf(text, sizeof(text), "[peer a]\nremote = 192.0.2.1\npsk = \"TopSecret%0504d\"\n",
	         0);
	tl_config_expect_error(text, 3, "psk longer than 512 bytes");
	snprintf(text, sizeof(text), "[peer a]\nremote = 192.0.2.1\npsk = 0x546f70%01020d\n", 0);
	tl_config_expect_error(text, 3, "psk longer than 512 bytes");
	/* A 512-byte psk is accepted. */
	{
		struct ikemond_config cfg;
		char path[64], err[512];

		snprintf(text, sizeof(text), "[peer a]\nremote = 192.0.2.1\npsk = \"%0512d\"\n", 0);
		ck_assert_msg(tl_config_load(text, &cfg, path, sizeof(path), err, sizeof(err)) == 0,
		              "%s", err);
		ck_assert_uint_eq(cfg.peers[0].psk_len, 512);
		ikemond_config_free(&cfg);
	}
}
END_TEST

/* A [peer a] whose psk is file:PATH of a file holding content with mode. */
static int load_psk_file(const char *content, mode_t mode, char *pskpath,
                         struct ikemond_config *cfg, char *err, size_t errlen)
{
	char text[256], path[64];

	tl_write_file(pskpath, 64, content, mode);
	snprintf(text, sizeof(text), "[peer a]\nremote = 192.0.2.1\npsk = file:%s\n", pskpath);
	return tl_config_load(text, cfg, path, sizeof(path), err, errlen);
}

START_TEST(psk_file_modes)
{
	struct ikemond_config cfg;
	char pskpath[64], err[512], want[160];

	ck_assert_int_eq(load_psk_file(SECRET "\n", 0644, pskpath, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), ":3: psk file %s is readable by group or others (chmod 600)",
	         pskpath);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "TopSecret"));
	ck_assert_ptr_null(cfg.peers);
	unlink(pskpath);

	ck_assert_int_eq(load_psk_file(SECRET "\n", 0620, pskpath, &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is writable by group or others (chmod 600)"));
	unlink(pskpath);

	ck_assert_int_eq(load_psk_file(SECRET "\n", 0604, pskpath, &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is readable by group or others"));
	unlink(pskpath);

	ck_assert_int_eq(load_psk_file("\n", 0600, pskpath, &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is empty"));
	unlink(pskpath);

	/* 0600 is accepted; one trailing newline is stripped, inner ones kept. */
	ck_assert_msg(load_psk_file(SECRET "\n", 0600, pskpath, &cfg, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_uint_eq(cfg.peers[0].psk_len, strlen(SECRET));
	ck_assert_mem_eq(cfg.peers[0].psk, SECRET, strlen(SECRET));
	ikemond_config_free(&cfg);
	unlink(pskpath);
	ck_assert_msg(load_psk_file("a b\n\n", 0400, pskpath, &cfg, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_uint_eq(cfg.peers[0].psk_len, 4);
	ck_assert_mem_eq(cfg.peers[0].psk, "a b\n", 4);
	ikemond_config_free(&cfg);
	unlink(pskpath);
	ck_assert_msg(load_psk_file("no-newline", 0600, pskpath, &cfg, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_uint_eq(cfg.peers[0].psk_len, 10);
	ikemond_config_free(&cfg);

	/* The file is gone now. */
	unlink(pskpath);
	snprintf(want, sizeof(want), "[peer a]\nremote = 192.0.2.1\npsk = file:%s\n", pskpath);
	snprintf(err, sizeof(err), "cannot open psk file %s", pskpath);
	tl_config_expect_error(want, 3, err);
	tl_config_expect_error("[peer a]\nremote = 192.0.2.1\npsk = file:/tmp\n", 3,
	                       "psk file /tmp is not a regular file");

	/* A FIFO is refused at once: opening it must not wait for a writer (it did). */
	snprintf(pskpath, sizeof(pskpath), "/tmp/ikemon-test-fifo-%ld", (long)getpid());
	unlink(pskpath);
	ck_assert_int_eq(mkfifo(pskpath, 0600), 0);
	snprintf(want, sizeof(want), "[peer a]\nremote = 192.0.2.1\npsk = file:%s\n", pskpath);
	snprintf(err, sizeof(err), "psk file %s is not a regular file", pskpath);
	alarm(10); /* a hang fails here (SIGALRM), not at the test case's 300 s */
	tl_config_expect_error(want, 3, err);
	alarm(0);
	unlink(pskpath);
}
END_TEST

START_TEST(lines_and_comments)
{
	struct ikemond_config cfg;
	char path[64], err[512];
	char *text;
	size_t off;

	/* A 4096-character line is fine; one more is an error naming its line. */
	text = malloc(8192);
	ck_assert_ptr_nonnull(text);
	off = (size_t)sprintf(text, "[ikemond]\n;");
	memset(text + off, 'x', 4095);
	off += 4095;
	strcpy(text + off, "\nlog = syslog\n");
	ck_assert_msg(tl_config_load(text, &cfg, path, sizeof(path), err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_int_eq(cfg.log_target, IKEMOND_LOG_SYSLOG);
	ikemond_config_free(&cfg);
	off = (size_t)sprintf(text, "[ikemond]\n\n;");
	memset(text + off, 'x', 4096);
	off += 4096;
	strcpy(text + off, "\n");
	tl_config_expect_error(text, 3, "line longer than 4096 characters");
	free(text);

	/* '#' and ';' inside a value without whitespace before them are not comments. */
	ck_assert_msg(tl_config_load("[peer a]\nremote = 192.0.2.1;x\npsk = \"x\"\n", &cfg, path,
	                             sizeof(path), err, sizeof(err)) == -1,
	              "comment cut without whitespace");
	ck_assert_ptr_nonnull(strstr(err, ":2: bad remote '192.0.2.1;x'"));
	ck_assert_msg(tl_config_load("[peer a]\nremote = 192.0.2.1\t;x\npsk = \"a#b\" #c\n", &cfg,
	                             path, sizeof(path), err, sizeof(err)) == 0,
	              "%s", err);
	ck_assert_uint_eq(cfg.peers[0].psk_len, 3);
	ck_assert_mem_eq(cfg.peers[0].psk, "a#b", 3);
	ikemond_config_free(&cfg);

	ck_assert_int_eq(ikemond_config_load("/nonexistent/ikemond.conf", &cfg, err, sizeof(err)),
	                 -1);
	ck_assert_str_eq(err, "/nonexistent/ikemond.conf: cannot open: No such file or directory");
	ck_assert_ptr_null(cfg.peers);
}
END_TEST

START_TEST(peer_limit)
{
	enum { MAX = 20000 };
	struct ikemond_config cfg;
	char path[64], err[512];
	char *text;
	size_t off = 0, i, size = (MAX + 100) * 64;

	text = malloc(size);
	ck_assert_ptr_nonnull(text);
	for (i = 0; i < MAX; i++)
		off += (size_t)snprintf(text + off, size - off,
		                        "[peer p%zu]\nremote = 10.%zu.%zu.%zu\npsk = \"k%zu\"\n", i,
		                        i / 65536, i / 256 % 256, i % 256, i);
	ck_assert_msg(tl_config_load(text, &cfg, path, sizeof(path), err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_uint_eq(cfg.n_peers, MAX);
	ck_assert_str_eq(cfg.peers[MAX - 1].name, "p19999");
	tl_expect_addr(&cfg.peers[1023].remote, "10.0.3.255", 500);
	ck_assert_mem_eq(cfg.peers[517].psk, "k517", 4);
	ikemond_config_free(&cfg);
	snprintf(text + off, size - off,
	         "[peer p20000]\nremote = 10.1.0.0\npsk = \"" SECRET "\"\n");
	tl_config_expect_error(text, MAX * 3 + 1, "more than 20000 peers");
	free(text);
}
END_TEST

/* rekey, rekey_margin, rekey_fuzz: [ikemond]'s are the engine's defaults, a peer's its own. */
START_TEST(rekey_keys)
{
	struct ikemond_config cfg;

	tl_config_load_ok("[ikemond]\n" PEER_A, &cfg);
	ck_assert(cfg.settings.rekey);
	ck_assert_uint_eq(cfg.settings.rekey_margin_s, 540);
	ck_assert_uint_eq(cfg.settings.rekey_fuzz_pct, 100);
	ck_assert_uint_eq(cfg.peers[0].rekey, IKE_REKEY_DEFAULT);
	ck_assert_uint_eq(cfg.peers[0].rekey_margin_s, 0);
	ck_assert(!cfg.peers[0].rekey_fuzz_set);
	ikemond_config_free(&cfg);

	tl_config_load_ok("[ikemond]\nrekey = no\nrekey_margin = 60\nrekey_fuzz = 0\n" PEER_A
	                  "rekey = yes\nrekey_margin = 3\nrekey_fuzz = 1000\n"
	                  "[peer b]\nremote = 192.0.2.2\npsk = \"k\"\nrekey = no\n",
	                  &cfg);
	ck_assert(!cfg.settings.rekey);
	ck_assert_uint_eq(cfg.settings.rekey_margin_s, 60);
	ck_assert_uint_eq(cfg.settings.rekey_fuzz_pct, 0);
	ck_assert_uint_eq(cfg.peers[0].rekey, IKE_REKEY_YES);
	ck_assert_uint_eq(cfg.peers[0].rekey_margin_s, 3);
	ck_assert(cfg.peers[0].rekey_fuzz_set);
	ck_assert_uint_eq(cfg.peers[0].rekey_fuzz_pct, 1000);
	ck_assert_uint_eq(cfg.peers[1].rekey, IKE_REKEY_NO);
	ck_assert_uint_eq(cfg.peers[1].rekey_margin_s, 0);
	ck_assert(!cfg.peers[1].rekey_fuzz_set);
	ikemond_config_free(&cfg);

	tl_config_expect_error(PEER_A "rekey = maybe\n", 4,
	                       "bad rekey 'maybe' (expected yes or no)");
	tl_config_expect_error(PEER_A "rekey_margin = 0\n", 4, "bad rekey_margin '0'");
	tl_config_expect_error("[ikemond]\nrekey_margin = 86401\n", 2, "bad rekey_margin '86401'");
	tl_config_expect_error(PEER_A "rekey_fuzz = 1001\n", 4, "bad rekey_fuzz '1001'");
	tl_config_expect_error("[ikemond]\nrekey_fuzz = -1\n", 2, "bad rekey_fuzz '-1'");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	/* peer_limit parses 20,000 peers twice: minutes under the sanitizers, not 4 s */
	tcase_set_timeout(tc, 300);

	tcase_add_test(tc, full_config_values);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, errors_structure);
	tcase_add_test(tc, errors_values);
	tcase_add_test(tc, errors_psk);
	tcase_add_test(tc, psk_file_modes);
	tcase_add_test(tc, lines_and_comments);
	tcase_add_test(tc, peer_limit);
	tcase_add_test(tc, rekey_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(config_suite());
}
