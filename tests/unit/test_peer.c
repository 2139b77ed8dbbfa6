/*
 * test_peer.c - ike/peer.c: settings, proposal syntax (phase 1 and ESP), traffic selectors,
 * address matching, comparison.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/peer.h"
#include "tests/unit/testlib.h"

static struct sockaddr_storage addr(const char *s, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return ss;
}

static void peer_remote(struct ike_peer_cfg *p, const char *a, uint8_t prefix)
{
	memset(p, 0, sizeof(*p));
	p->remote = addr(a, 500);
	p->remote_prefix = prefix;
}

static bool matches(const struct ike_peer_cfg *p, const char *a, uint16_t port)
{
	struct sockaddr_storage ss = addr(a, port);

	return ike_peer_matches_addr(p, (struct sockaddr *)&ss);
}

START_TEST(settings_defaults_and_span)
{
	struct ike_settings s;

	memset(&s, 0xa5, sizeof(s));
	ike_settings_default(&s);
	ck_assert_uint_eq(s.retransmit_timeout_ms, 1000);
	ck_assert_uint_eq(s.retransmit_tries, 5);
	ck_assert_uint_eq(s.deleted_linger_s, 60);
	ck_assert_uint_eq(s.restart_delay_s, 5);
	/* 1 + 2 + 4 + 8 + 16 + 32 seconds */
	ck_assert_uint_eq(ike_settings_retransmit_span_ms(&s), 63000);
	s.retransmit_tries = 0;
	ck_assert_uint_eq(ike_settings_retransmit_span_ms(&s), 1000);
	s.retransmit_timeout_ms = 250;
	s.retransmit_tries = 3;
	ck_assert_uint_eq(ike_settings_retransmit_span_ms(&s), 250 + 500 + 1000 + 2000);
	s.retransmit_timeout_ms = 0;
	ck_assert_uint_eq(ike_settings_retransmit_span_ms(&s), 0);
	s.retransmit_timeout_ms = 60000;
	s.retransmit_tries = 20;
	ck_assert_uint_eq(ike_settings_retransmit_span_ms(&s), 60000ULL * ((1ULL << 21) - 1));
	s.retransmit_tries = UINT32_MAX;
	ck_assert(ike_settings_retransmit_span_ms(&s) == UINT64_MAX);
}
END_TEST

START_TEST(proposal_parse_values)
{
	struct ike_proposal p[IKE_MAX_PROPOSALS];
	char err[128] = "";
	size_t n = 99;

	ck_assert_int_eq(ike_proposals_parse("aes128-sha256-modp2048", p, IKE_MAX_PROPOSALS, &n,
	                                     err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(p[0].encr, IKE_ENCR_AES_CBC);
	ck_assert_uint_eq(p[0].keylen, 128);
	ck_assert_uint_eq(p[0].hash, IKE_HASH_SHA2_256);
	ck_assert_uint_eq(p[0].group, IKE_GROUP_MODP2048);

	ck_assert_int_eq(ike_proposals_parse(" aes-sha-modp1024 ,3des-md5-modp3072,"
	                                     "aes192-sha2_384-ecp384,\taes256-sha512-modp4096",
	                                     p, IKE_MAX_PROPOSALS, &n, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(p[0].encr, IKE_ENCR_AES_CBC);
	ck_assert_uint_eq(p[0].keylen, 128);
	ck_assert_uint_eq(p[0].hash, IKE_HASH_SHA1);
	ck_assert_uint_eq(p[0].group, IKE_GROUP_MODP1024);
	ck_assert_uint_eq(p[1].encr, IKE_ENCR_3DES_CBC);
	ck_assert_uint_eq(p[1].keylen, 0);
	ck_assert_uint_eq(p[1].hash, IKE_HASH_MD5);
	ck_assert_uint_eq(p[1].group, IKE_GROUP_MODP3072);
	ck_assert_uint_eq(p[2].keylen, 192);
	ck_assert_uint_eq(p[2].hash, IKE_HASH_SHA2_384);
	ck_assert_uint_eq(p[2].group, IKE_GROUP_ECP384);
	ck_assert_uint_eq(p[3].keylen, 256);
	ck_assert_uint_eq(p[3].hash, IKE_HASH_SHA2_512);
	ck_assert_uint_eq(p[3].group, IKE_GROUP_MODP4096);

	/* Token order does not matter; repeats within a proposal count once. */
	ck_assert_int_eq(ike_proposals_parse("ecp256-sha2_256-aes256-aes256", p, IKE_MAX_PROPOSALS,
	                                     &n, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(p[0].keylen, 256);
	ck_assert_uint_eq(p[0].hash, IKE_HASH_SHA2_256);
	ck_assert_uint_eq(p[0].group, IKE_GROUP_ECP256);
}
END_TEST

START_TEST(proposal_cross_product)
{
	struct ike_proposal p[IKE_MAX_PROPOSALS];
	char err[128] = "", buf[64];
	size_t n = 0;
	static const char *const want[] = {
	    "aes128-sha256-modp2048", "aes128-sha256-ecp256", "aes256-sha256-modp2048",
	    "aes256-sha256-ecp256",   "3des-sha1-modp1024",
	};
	size_t i;

	ck_assert_int_eq(ike_proposals_parse("aes128-aes256-sha256-modp2048-ecp256,"
	                                     "3des-sha1-modp1024",
	                                     p, IKE_MAX_PROPOSALS, &n, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(n, 5);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(ike_proposal_format(&p[i], buf, sizeof(buf)), want[i]);

	/* 3 x 2 x 2 = 12 fits in 16 but not in 8 */
	ck_assert_int_eq(ike_proposals_parse("aes128-aes192-aes256-sha1-sha256-modp2048-ecp256", p,
	                                     IKE_MAX_PROPOSALS, &n, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(n, 12);
	ck_assert_int_eq(ike_proposals_parse("aes128-aes192-aes256-sha1-sha256-modp2048-ecp256", p,
	                                     8, &n, err, sizeof(err)),
	                 -1);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(err, "too many proposals (at most 8)");
	ck_assert_int_eq(ike_proposals_parse("aes128-sha1-modp2048,aes256-sha1-modp2048", p, 1, &n,
	                                     err, sizeof(err)),
	                 -1);
	ck_assert_str_eq(err, "too many proposals (at most 1)");
}
END_TEST

START_TEST(proposal_round_trip)
{
	static const uint16_t keylens[] = {128, 192, 256};
	static const uint16_t hashes[] = {IKE_HASH_MD5, IKE_HASH_SHA1, IKE_HASH_SHA2_256,
	                                  IKE_HASH_SHA2_384, IKE_HASH_SHA2_512};
	static const uint16_t groups[] = {IKE_GROUP_MODP1024, IKE_GROUP_MODP2048,
	                                  IKE_GROUP_MODP3072, IKE_GROUP_MODP4096,
	                                  IKE_GROUP_ECP256,   IKE_GROUP_ECP384};
	struct ike_proposal in, out[IKE_MAX_PROPOSALS];
	char buf[64], err[128];
	size_t e, h, g, n, count = 0;

	for (e = 0; e < 4; e++) {
		for (h = 0; h < 5; h++) {
			for (g = 0; g < 6; g++) {
				in.encr = e < 3 ? IKE_ENCR_AES_CBC : IKE_ENCR_3DES_CBC;
				in.keylen = e < 3 ? keylens[e] : 0;
				in.hash = hashes[h];
				in.group = groups[g];
				ike_proposal_format(&in, buf, sizeof(buf));
				ck_assert_int_eq(ike_proposals_parse(buf, out, IKE_MAX_PROPOSALS,
				                                     &n, err, sizeof(err)),
				                 0);
				ck_assert_uint_eq(n, 1);
				ck_assert_uint_eq(out[0].encr, in.encr);
				ck_assert_uint_eq(out[0].keylen, in.keylen);
				ck_assert_uint_eq(out[0].hash, in.hash);
				ck_assert_uint_eq(out[0].group, in.group);
				count++;
			}
		}
	}
	ck_assert_uint_eq(count, 120);
	in.encr = IKE_ENCR_3DES_CBC;
	in.keylen = 0;
	in.hash = IKE_HASH_SHA1;
	in.group = IKE_GROUP_MODP1024;
	ck_assert_str_eq(ike_proposal_format(&in, buf, sizeof(buf)), "3des-sha1-modp1024");
	/* Values without a name still print rather than vanish. */
	in.encr = 99;
	in.hash = 77;
	in.group = 55;
	ck_assert_str_eq(ike_proposal_format(&in, buf, sizeof(buf)), "encr99-hash77-group55");
	in.encr = IKE_ENCR_AES_CBC;
	in.keylen = 512;
	ck_assert_str_eq(ike_proposal_format(&in, buf, sizeof(buf)), "aes512-hash77-group55");
	/* Truncation is safe. */
	ck_assert_str_eq(ike_proposal_format(&in, buf, 4), "aes");
}
END_TEST

static void parse_fails(const char *text, const char *want)
{
	struct ike_proposal p[IKE_MAX_PROPOSALS];
	char err[128] = "";
	size_t n = 7;

	ck_assert_msg(ike_proposals_parse(text, p, IKE_MAX_PROPOSALS, &n, err, sizeof(err)) == -1,
	              "'%s' was accepted", text);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(err, want);
}

START_TEST(proposal_errors)
{
	parse_fails("aes99-sha256-modp2048", "unknown algorithm 'aes99'");
	parse_fails("aes128-sha256", "proposal 'aes128-sha256' lacks a DH group");
	parse_fails("sha256-modp2048", "proposal 'sha256-modp2048' lacks an encryption algorithm");
	parse_fails("aes128-modp2048", "proposal 'aes128-modp2048' lacks an integrity algorithm");
	parse_fails("aes128-sha256-modp2048,aes128-sha256",
	            "proposal 'aes128-sha256' lacks a DH group");
	parse_fails("aes128-sha256-modp2048,3des-sha1-modp768", "unknown algorithm 'modp768'");
	parse_fails("aes128--sha256-modp2048",
	            "empty algorithm in proposal 'aes128--sha256-modp2048'");
	parse_fails("aes128-sha256-modp2048-",
	            "empty algorithm in proposal 'aes128-sha256-modp2048-'");
	parse_fails("", "empty proposal in list");
	parse_fails("aes128-sha256-modp2048,", "empty proposal in list");
	parse_fails("aes128-sha256-modp2048, ,aes256-sha1-modp2048", "empty proposal in list");
	parse_fails("aes128gcm16-prfsha256-ecp256", "unknown algorithm 'aes128gcm16'");
}
END_TEST

static void expect_esp(const struct ike_esp_proposal *p, uint16_t encr, uint16_t keylen,
                       uint16_t auth, uint16_t group)
{
	ck_assert_uint_eq(p->encr, encr);
	ck_assert_uint_eq(p->keylen, keylen);
	ck_assert_uint_eq(p->auth, auth);
	ck_assert_uint_eq(p->group, group);
}

START_TEST(esp_parse_values)
{
	struct ike_esp_proposal p[IKE_MAX_PROPOSALS];
	char err[128] = "";
	size_t n = 99;

	ck_assert_int_eq(
	    ike_esp_proposals_parse("aes128-sha256", p, IKE_MAX_PROPOSALS, &n, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(n, 1);
	expect_esp(&p[0], ESP_AES, 128, IPSEC_AUTH_HMAC_SHA2_256, 0);

	ck_assert_int_eq(ike_esp_proposals_parse(" aes-sha-modp1024 ,3des-md5,\taes192-sha2_256,"
	                                         "AES256-sha384-ecp384, aes256-sha512-modp4096",
	                                         p, IKE_MAX_PROPOSALS, &n, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(n, 5);
	expect_esp(&p[0], ESP_AES, 128, IPSEC_AUTH_HMAC_SHA1, IKE_GROUP_MODP1024);
	expect_esp(&p[1], ESP_3DES, 0, IPSEC_AUTH_HMAC_MD5, 0);
	expect_esp(&p[2], ESP_AES, 192, IPSEC_AUTH_HMAC_SHA2_256, 0);
	expect_esp(&p[3], ESP_AES, 256, IPSEC_AUTH_HMAC_SHA2_384, IKE_GROUP_ECP384);
	expect_esp(&p[4], ESP_AES, 256, IPSEC_AUTH_HMAC_SHA2_512, IKE_GROUP_MODP4096);
}
END_TEST

START_TEST(esp_cross_product)
{
	struct ike_esp_proposal p[IKE_MAX_PROPOSALS];
	char err[128] = "", buf[64];
	size_t n = 0, i;
	static const char *const want[] = {
	    "aes128-sha1",   "aes128-sha256",     "aes256-sha1",
	    "aes256-sha256", "3des-md5-modp2048", "3des-md5-ecp256",
	};

	ck_assert_int_eq(ike_esp_proposals_parse("aes128-aes256-sha1-sha256, 3des-md5-modp2048-"
	                                         "ecp256-modp2048",
	                                         p, IKE_MAX_PROPOSALS, &n, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(n, 6);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(ike_esp_proposal_format(&p[i], buf, sizeof(buf)), want[i]);
	/* 2 x 2 fits in 4, not in 3; the failed list leaves nothing behind */
	ck_assert_int_eq(
	    ike_esp_proposals_parse("aes128-aes256-sha1-sha256", p, 4, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(
	    ike_esp_proposals_parse("aes128-aes256-sha1-sha256", p, 3, &n, err, sizeof(err)), -1);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(err, "too many proposals (at most 3)");
}
END_TEST

START_TEST(esp_round_trip)
{
	static const uint16_t auths[] = {IPSEC_AUTH_HMAC_MD5, IPSEC_AUTH_HMAC_SHA1,
	                                 IPSEC_AUTH_HMAC_SHA2_256, IPSEC_AUTH_HMAC_SHA2_384,
	                                 IPSEC_AUTH_HMAC_SHA2_512};
	static const uint16_t groups[] = {0,
	                                  IKE_GROUP_MODP1024,
	                                  IKE_GROUP_MODP2048,
	                                  IKE_GROUP_MODP3072,
	                                  IKE_GROUP_MODP4096,
	                                  IKE_GROUP_ECP256,
	                                  IKE_GROUP_ECP384};
	struct ike_esp_proposal in, out[IKE_MAX_PROPOSALS];
	char buf[64], err[128];
	size_t e, a, g, n, count = 0;

	for (e = 0; e < 4; e++) {
		for (a = 0; a < 5; a++) {
			for (g = 0; g < 7; g++) {
				in.encr = e < 3 ? ESP_AES : ESP_3DES;
				in.keylen = e < 3 ? (uint16_t)(128 + 64 * e) : 0;
				in.auth = auths[a];
				in.group = groups[g];
				ike_esp_proposal_format(&in, buf, sizeof(buf));
				ck_assert_msg(
				    ike_esp_proposals_parse(buf, out, 1, &n, err, sizeof(err)) == 0,
				    "%s: %s", buf, err);
				ck_assert_uint_eq(n, 1);
				ck_assert_mem_eq(&out[0], &in, sizeof(in));
				count++;
			}
		}
	}
	ck_assert_uint_eq(count, 140);
	in.encr = ESP_3DES;
	in.keylen = 0;
	in.auth = IPSEC_AUTH_HMAC_SHA1;
	in.group = 0;
	ck_assert_str_eq(ike_esp_proposal_format(&in, buf, sizeof(buf)), "3des-sha1");
	in.group = IKE_GROUP_MODP2048;
	ck_assert_str_eq(ike_esp_proposal_format(&in, buf, sizeof(buf)), "3des-sha1-modp2048");
	/* Values without a name print with the number on the wire. */
	in.encr = ESP_DES;
	in.auth = 77;
	in.group = 55;
	ck_assert_str_eq(ike_esp_proposal_format(&in, buf, sizeof(buf)), "encr2-auth77-group55");
	in.encr = ESP_AES;
	in.keylen = 512;
	in.auth = IPSEC_AUTH_HMAC_SHA2_256;
	in.group = 0;
	ck_assert_str_eq(ike_esp_proposal_format(&in, buf, sizeof(buf)), "aes512-sha256");
	ck_assert_str_eq(ike_esp_proposal_format(&in, buf, 4), "aes");
	buf[0] = 'x';
	ck_assert_ptr_eq(ike_esp_proposal_format(&in, buf, 0), buf);
	ck_assert_int_eq(buf[0], 'x');
}
END_TEST

static void esp_fails(const char *text, const char *want)
{
	struct ike_esp_proposal p[IKE_MAX_PROPOSALS];
	char err[128] = "";
	size_t n = 7;

	ck_assert_msg(ike_esp_proposals_parse(text, p, IKE_MAX_PROPOSALS, &n, err, sizeof(err)) ==
	                  -1,
	              "'%s' was accepted", text ? text : "(null)");
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(err, want);
}

START_TEST(esp_errors)
{
	esp_fails("aes99-sha256", "unknown algorithm 'aes99'");
	esp_fails("aes128gcm16", "unknown algorithm 'aes128gcm16'");
	esp_fails("aes128-sha256-modp768", "unknown algorithm 'modp768'");
	esp_fails("sha256", "proposal 'sha256' lacks an encryption algorithm");
	esp_fails("sha256-modp2048", "proposal 'sha256-modp2048' lacks an encryption algorithm");
	esp_fails("aes128", "proposal 'aes128' lacks an integrity algorithm");
	esp_fails("aes128-modp2048", "proposal 'aes128-modp2048' lacks an integrity algorithm");
	esp_fails("aes128-sha1,3des", "proposal '3des' lacks an integrity algorithm");
	esp_fails("aes128--sha256", "empty algorithm in proposal 'aes128--sha256'");
	esp_fails("-aes128-sha256", "empty algorithm in proposal '-aes128-sha256'");
	esp_fails("", "empty proposal in list");
	esp_fails(" \t", "empty proposal in list");
	esp_fails("aes128-sha1,", "empty proposal in list");
	esp_fails(NULL, "empty proposal list");
}
END_TEST

/* Parse one selector that must be accepted. */
static struct ike_ts ts_of(const char *text)
{
	struct ike_ts ts[IKE_MAX_TS];
	char err[160] = "";
	size_t n = 0;

	ck_assert_msg(ike_ts_parse(text, ts, IKE_MAX_TS, &n, err, sizeof(err)) == 0, "%s: %s", text,
	              err);
	ck_assert_uint_eq(n, 1);
	return ts[0];
}

/* A selector of from's family: a range when to is given, else a subnet. */
static void expect_ts(const struct ike_ts *t, const char *from, const char *to, unsigned prefix,
                      unsigned proto, unsigned port)
{
	int af = strchr(from, ':') != NULL ? AF_INET6 : AF_INET;
	size_t alen = af == AF_INET ? 4 : 16;
	uint8_t a[16];

	ck_assert_uint_eq(t->family, af);
	ck_assert_uint_eq(t->kind, to != NULL ? IKE_TS_RANGE : IKE_TS_SUBNET);
	ck_assert_uint_eq(t->prefix, prefix);
	ck_assert_uint_eq(t->proto, proto);
	ck_assert_uint_eq(t->port, port);
	ck_assert_int_eq(inet_pton(af, from, a), 1);
	ck_assert_mem_eq(t->from, a, alen);
	if (to == NULL)
		return;
	ck_assert_int_eq(inet_pton(af, to, a), 1);
	ck_assert_mem_eq(t->to, a, alen);
}

START_TEST(ts_parse_values)
{
	struct ike_ts ts[IKE_MAX_TS], t;
	char err[160] = "";
	size_t n = 0;

	t = ts_of("192.0.2.7");
	expect_ts(&t, "192.0.2.7", NULL, 32, 0, 0);
	t = ts_of("2001:DB8::7");
	expect_ts(&t, "2001:db8::7", NULL, 128, 0, 0);
	t = ts_of("10.1.0.0/16[udp/500]");
	expect_ts(&t, "10.1.0.0", NULL, 16, 17, 500);
	t = ts_of("0.0.0.0/0[tcp]");
	expect_ts(&t, "0.0.0.0", NULL, 0, 6, 0);
	t = ts_of("2001:db8:1::/48[/53]");
	expect_ts(&t, "2001:db8:1::", NULL, 48, 0, 53);
	t = ts_of("10.9.0.1-10.9.0.20[ICMP]");
	expect_ts(&t, "10.9.0.1", "10.9.0.20", 0, 1, 0);
	t = ts_of("2001:db8::1-2001:db8::1[132/65535]");
	expect_ts(&t, "2001:db8::1", "2001:db8::1", 0, 132, 65535);
	ck_assert_uint_eq(ts_of("::/0[gre]").proto, 47);
	ck_assert_uint_eq(ts_of("::/0[icmpv6]").proto, 58);
	ck_assert_uint_eq(ts_of("::/0[sctp]").proto, 132);
	ck_assert_uint_eq(ts_of("::/0[255]").proto, 255);

	ck_assert_int_eq(
	    ike_ts_parse(" 10.1.0.0/24 ,192.0.2.7\t, 10.9.0.1-10.9.0.20, 2001:db8::/64", ts,
	                 IKE_MAX_TS, &n, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(n, 4);
	expect_ts(&ts[0], "10.1.0.0", NULL, 24, 0, 0);
	expect_ts(&ts[1], "192.0.2.7", NULL, 32, 0, 0);
	expect_ts(&ts[2], "10.9.0.1", "10.9.0.20", 0, 0, 0);
	expect_ts(&ts[3], "2001:db8::", NULL, 64, 0, 0);
}
END_TEST

/* format(parse(in)) must be want, and parsing want again gives the same selector. */
static void ts_formats(const char *in, const char *want)
{
	struct ike_ts a = ts_of(in), b;
	char buf[128];

	ck_assert_str_eq(ike_ts_format(&a, buf, sizeof(buf)), want);
	b = ts_of(buf);
	ck_assert_msg(ike_ts_equal(&a, &b), "%s changed in a round trip", in);
}

START_TEST(ts_round_trip)
{
	struct ike_ts t;
	char buf[128];

	ts_formats("10.1.0.0/24", "10.1.0.0/24");
	ts_formats("192.0.2.7", "192.0.2.7/32");
	ts_formats("192.0.2.7/32[udp/500]", "192.0.2.7/32[udp/500]");
	ts_formats("10.9.0.1-10.9.0.20", "10.9.0.1-10.9.0.20");
	ts_formats("2001:DB8:0::1", "2001:db8::1/128");
	ts_formats("2001:db8::/64[tcp/443]", "2001:db8::/64[tcp/443]");
	ts_formats("2001:db8::1-2001:db8::ff[icmpv6]", "2001:db8::1-2001:db8::ff[icmpv6]");
	ts_formats("0.0.0.0/0[6/80]", "0.0.0.0/0[tcp/80]");
	ts_formats("0.0.0.0/0[any/53]", "0.0.0.0/0[/53]");
	ts_formats("0.0.0.0/0[/53]", "0.0.0.0/0[/53]");
	ts_formats("0.0.0.0/0[any]", "0.0.0.0/0");
	ts_formats("0.0.0.0/0[]", "0.0.0.0/0");
	ts_formats("0.0.0.0/0[/]", "0.0.0.0/0");
	ts_formats("0.0.0.0/0[udp/]", "0.0.0.0/0[udp]");
	ts_formats("0.0.0.0/0[udp/0]", "0.0.0.0/0[udp]");
	ts_formats("0.0.0.0/0[99/7]", "0.0.0.0/0[99/7]");
	ts_formats("0.0.0.0/0[gre]", "0.0.0.0/0[gre]");
	ts_formats("0.0.0.0/0[sctp/9]", "0.0.0.0/0[sctp/9]");
	ts_formats("10.0.0.0/8[icmp/2048]", "10.0.0.0/8[icmp/2048]");
	ts_formats("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.254-ffff:ffff:ffff:ffff:ffff:ffff:"
	           "255.255.255.255[icmpv6/65535]",
	           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
	           "[icmpv6/65535]");
	/* A selector the engine has not filled in yet, and truncation. */
	memset(&t, 0, sizeof(t));
	ck_assert_str_eq(ike_ts_format(&t, buf, sizeof(buf)), "none");
	t = ts_of("10.1.0.0/24[tcp/80]");
	ck_assert_str_eq(ike_ts_format(&t, buf, 9), "10.1.0.0");
	buf[0] = 'x';
	ck_assert_ptr_eq(ike_ts_format(&t, buf, 0), buf);
	ck_assert_int_eq(buf[0], 'x');
}
END_TEST

static void ts_fails(const char *text, size_t max, const char *want)
{
	struct ike_ts ts[IKE_MAX_TS];
	char err[160] = "";
	size_t n = 7;

	ck_assert_msg(ike_ts_parse(text, ts, max, &n, err, sizeof(err)) == -1, "'%s' was accepted",
	              text ? text : "(null)");
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(err, want);
}

#define BAD_PROTO "(expected tcp, udp, icmp, icmpv6, gre, sctp, any or 0 to 255)"

START_TEST(ts_errors)
{
	char text[256];

	ts_fails(NULL, 8, "empty selector list");
	ts_fails("", 8, "empty selector in list");
	ts_fails("10.0.0.0/8,", 8, "empty selector in list");
	ts_fails("10.0.0.0/8, ,10.0.0.1", 8, "empty selector in list");
	ts_fails("10.0.0.300", 8,
	         "bad selector '10.0.0.300' (expected ADDR, ADDR/PREFIX or ADDR-ADDR, then "
	         "optionally [PROTO/PORT])");
	ts_fails("10.0.0.0/8, gw.example.net", 8,
	         "bad selector 'gw.example.net' (expected ADDR, ADDR/PREFIX or ADDR-ADDR, then "
	         "optionally [PROTO/PORT])");
	ts_fails("10.0.0.1/24", 8, "selector '10.0.0.1/24' has bits set after the prefix");
	ts_fails("2001:db8::1/64", 8, "selector '2001:db8::1/64' has bits set after the prefix");
	ts_fails("10.0.0.0/33", 8, "bad selector subnet '10.0.0.0/33'");
	ts_fails("2001:db8::/129", 8, "bad selector subnet '2001:db8::/129'");
	ts_fails("10.0.0.0/", 8, "bad selector subnet '10.0.0.0/'");
	ts_fails("10.0.0.0/x", 8, "bad selector subnet '10.0.0.0/x'");
	ts_fails("10.0.0.0/+8", 8, "bad selector subnet '10.0.0.0/+8'");
	ts_fails("10.0.0.300/8", 8, "bad selector subnet '10.0.0.300/8'");
	ts_fails("10.0.0.9-10.0.0.1", 8,
	         "selector range '10.0.0.9-10.0.0.1' ends before it starts");
	ts_fails("2001:db8::2-2001:db8::1", 8,
	         "selector range '2001:db8::2-2001:db8::1' ends before it starts");
	ts_fails("10.0.0.1-2001:db8::1", 8,
	         "selector range '10.0.0.1-2001:db8::1' mixes IPv4 and IPv6");
	ts_fails("10.0.0.1-", 8, "bad selector range '10.0.0.1-'");
	ts_fails("10.0.0.0/24-10.0.1.0", 8, "bad selector range '10.0.0.0/24-10.0.1.0'");
	ts_fails("10.0.0.0/24[tcp", 8, "selector '10.0.0.0/24[tcp' lacks its closing ']'");
	ts_fails("10.0.0.0/24[tcp]x", 8, "text after ']' in selector '10.0.0.0/24[tcp]x'");
	ts_fails("10.0.0.0/24[tcp][udp]", 8, "text after ']' in selector '10.0.0.0/24[tcp][udp]'");
	ts_fails("[tcp/80]", 8, "selector '[tcp/80]' lacks an address");
	ts_fails("10.0.0.0/24[foo]", 8, "bad protocol 'foo' " BAD_PROTO);
	ts_fails("10.0.0.0/24[256/80]", 8, "bad protocol '256' " BAD_PROTO);
	ts_fails("10.0.0.0/24[-1]", 8, "bad protocol '-1' " BAD_PROTO);
	ts_fails("10.0.0.0/24[tcp/65536]", 8, "bad port '65536' (expected 0 to 65535)");
	ts_fails("10.0.0.0/24[tcp/http]", 8, "bad port 'http' (expected 0 to 65535)");
	ts_fails("10.0.0.0/24[/99999999999]", 8, "bad port '99999999999' (expected 0 to 65535)");
	ts_fails("10.0.0.0/24[tcp/80/81]", 8, "bad port '80/81' (expected 0 to 65535)");
	ts_fails("10.0.0.1,10.0.0.2,10.0.0.3", 2, "too many selectors (at most 2)");
	ts_fails("10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.8,10.0.0.9",
	         8, "too many selectors (at most 8)");
	memset(text, '1', 129);
	text[129] = '\0';
	ts_fails(text, 8,
	         "selector '1111111111111111111111111111111111111111111111111111111111111111...' "
	         "is too long");
}
END_TEST

START_TEST(ts_addr_and_equal)
{
	struct sockaddr_storage ss = addr("192.0.2.7", 4500);
	struct ike_ts a, b, c;

	ike_ts_from_addr(&a, (struct sockaddr *)&ss);
	b = ts_of("192.0.2.7");
	ck_assert(ike_ts_equal(&a, &b));
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ss = addr("2001:db8::7", 500);
	ike_ts_from_addr(&a, (struct sockaddr *)&ss);
	b = ts_of("2001:db8::7/128");
	ck_assert(ike_ts_equal(&a, &b));
	ss.ss_family = AF_UNIX;
	memset(&a, 0xa5, sizeof(a));
	ike_ts_from_addr(&a, (struct sockaddr *)&ss);
	ck_assert_uint_eq(a.family, 0);
	memset(&a, 0xa5, sizeof(a));
	ike_ts_from_addr(&a, NULL);
	ck_assert_uint_eq(a.family, 0);

	/* Unused bytes do not count: to[] of a subnet, from[4..] of IPv4. */
	a = ts_of("10.1.0.0/16[tcp/22]");
	b = a;
	memset(b.to, 0xee, sizeof(b.to));
	memset(b.from + 4, 0xee, 12);
	ck_assert(ike_ts_equal(&a, &b));
#define TS_DIFFERS(base, stmt)                                                                     \
	do {                                                                                       \
		b = c = ts_of(base);                                                               \
		stmt;                                                                              \
		ck_assert_msg(!ike_ts_equal(&b, &c) && !ike_ts_equal(&c, &b), "%s not seen",       \
		              #stmt);                                                              \
	} while (0)
	TS_DIFFERS("10.1.0.0/16[tcp/22]", c.prefix = 17);
	TS_DIFFERS("10.1.0.0/16[tcp/22]", c.proto = 17);
	TS_DIFFERS("10.1.0.0/16[tcp/22]", c.port = 23);
	TS_DIFFERS("10.1.0.0/16[tcp/22]", c.from[3] = 1);
	TS_DIFFERS("10.1.0.0/16[tcp/22]", c.kind = IKE_TS_RANGE);
	TS_DIFFERS("10.1.0.0/16[tcp/22]", c.family = AF_INET6);
	TS_DIFFERS("10.1.0.1-10.1.0.9", c.to[3] = 8);
	TS_DIFFERS("2001:db8::/64", c.from[15] = 1);
#undef TS_DIFFERS
	/* The prefix of a range is unused. */
	b = c = ts_of("10.1.0.1-10.1.0.9");
	c.prefix = 9;
	ck_assert(ike_ts_equal(&b, &c));
}
END_TEST

START_TEST(matches_prefixes)
{
	struct ike_peer_cfg p;

	peer_remote(&p, "192.0.2.0", 24);
	ck_assert(matches(&p, "192.0.2.0", 500));
	ck_assert(matches(&p, "192.0.2.77", 4500)); /* port ignored */
	ck_assert(matches(&p, "192.0.2.255", 500));
	ck_assert(!matches(&p, "192.0.3.1", 500));
	ck_assert(!matches(&p, "10.0.2.1", 500));
	ck_assert(!matches(&p, "::ffff:192.0.2.1", 500));
	ck_assert(!ike_peer_matches_addr(&p, NULL));

	peer_remote(&p, "192.0.2.128", 25);
	ck_assert(matches(&p, "192.0.2.200", 500));
	ck_assert(!matches(&p, "192.0.2.127", 500));

	peer_remote(&p, "192.0.2.7", 32);
	ck_assert(matches(&p, "192.0.2.7", 1));
	ck_assert(!matches(&p, "192.0.2.8", 500));

	peer_remote(&p, "0.0.0.0", 0);
	ck_assert(matches(&p, "203.0.113.9", 500));
	ck_assert(matches(&p, "10.1.2.3", 500));
	ck_assert(!matches(&p, "2001:db8::1", 500));

	peer_remote(&p, "2001:db8:1::", 48);
	ck_assert(matches(&p, "2001:db8:1:ffff::1", 500));
	ck_assert(!matches(&p, "2001:db8:2::1", 500));
	ck_assert(!matches(&p, "192.0.2.1", 500));

	peer_remote(&p, "::", 0);
	ck_assert(matches(&p, "2001:db8::1", 500));
	ck_assert(!matches(&p, "192.0.2.1", 500));

	memset(&p, 0, sizeof(p));
	p.remote_any = true;
	ck_assert(matches(&p, "192.0.2.1", 500));
	ck_assert(matches(&p, "2001:db8::1", 500));
}
END_TEST

static void full_peer(struct ike_peer_cfg *p)
{
	size_t n;
	char err[64];

	memset(p, 0, sizeof(*p));
	strcpy(p->name, "gw1");
	p->remote = addr("198.51.100.7", 500);
	p->remote_prefix = 32;
	p->local = addr("2001:db8::1", 4500);
	memcpy(p->psk, "TopSecret", 9);
	p->psk_len = 9;
	ck_assert_int_eq(ike_proposals_parse("aes128-sha256-modp2048,aes256-sha1-ecp256", p->ike,
	                                     IKE_MAX_PROPOSALS, &n, err, sizeof(err)),
	                 0);
	p->n_ike = n;
	p->local_id.type = IKE_ID_FQDN;
	strcpy(p->local_id.value, "gw.example.net");
	p->remote_id.type = IKE_ID_IPV4_ADDR;
	strcpy(p->remote_id.value, "198.51.100.7");
	p->autostart = IKE_AUTO_START;
	p->ike_lifetime = 3600;
	p->has_children = true;
	ck_assert_int_eq(ike_esp_proposals_parse("aes128-sha256,3des-sha1-modp2048", p->esp,
	                                         IKE_MAX_PROPOSALS, &p->n_esp, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(ike_ts_parse("10.1.0.0/24,10.2.0.0/24[tcp/80]", p->local_ts, IKE_MAX_TS,
	                              &p->n_local_ts, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(ike_ts_parse("10.9.0.1-10.9.0.20", p->remote_ts, IKE_MAX_TS,
	                              &p->n_remote_ts, err, sizeof(err)),
	                 0);
	p->mode = IPSEC_MODE_TUNNEL;
	p->ipsec_lifetime_s = 3600;
	p->ipsec_lifetime_kb = 0;
}

START_TEST(differs_fields)
{
	struct ike_peer_cfg a, b;

	full_peer(&a);
	full_peer(&b);
	ck_assert(!ike_peer_cfg_differs(&a, &b));
	/* Bytes outside the family's fields do not count. */
	memset(((struct sockaddr_in *)&b.remote)->sin_zero, 0xee, 8);
	memset((char *)&b.remote + sizeof(struct sockaddr_in), 0xee,
	       sizeof(b.remote) - sizeof(struct sockaddr_in));
	((struct sockaddr_in6 *)&b.local)->sin6_flowinfo = 7;
	ck_assert(!ike_peer_cfg_differs(&a, &b));
	/* Bytes after the used id lengths do not count either. */
	b.local_id.value[200] = 'x';
	ck_assert(!ike_peer_cfg_differs(&a, &b));
	/* Nor the pre-shared key and the rekey settings: they apply to the next negotiation. */
	b.psk[8] = 'T';
	b.psk_len = 8;
	b.rekey = IKE_REKEY_NO;
	b.rekey_margin_s = 30;
	b.rekey_fuzz_set = true;
	ck_assert(!ike_peer_cfg_differs(&a, &b));

#define CHANGED(stmt)                                                                              \
	do {                                                                                       \
		full_peer(&b);                                                                     \
		stmt;                                                                              \
		ck_assert_msg(ike_peer_cfg_differs(&a, &b), "%s not seen", #stmt);                 \
		ck_assert_msg(ike_peer_cfg_differs(&b, &a), "%s not seen", #stmt);                 \
	} while (0)
	CHANGED(b.name[2] = '2');
	CHANGED(b.remote = addr("198.51.100.8", 500));
	CHANGED(b.remote = addr("198.51.100.7", 4500));
	CHANGED(b.remote = addr("::ffff:198.51.100.7", 500));
	CHANGED(b.remote_prefix = 24);
	CHANGED(b.remote_any = true);
	CHANGED(b.local = addr("2001:db8::2", 4500));
	CHANGED(b.local = addr("2001:db8::1", 500));
	CHANGED(((struct sockaddr_in6 *)&b.local)->sin6_scope_id = 2);
	CHANGED(memset(&b.local, 0, sizeof(b.local)));
	CHANGED(b.ike[1].group = IKE_GROUP_ECP384);
	CHANGED(b.ike[0].keylen = 256);
	CHANGED(b.n_ike = 1);
	CHANGED(b.local_id.type = IKE_ID_USER_FQDN);
	CHANGED(strcpy(b.remote_id.value, "198.51.100.70"));
	CHANGED(b.autostart = IKE_AUTO_ADD);
	CHANGED(b.ike_lifetime = 3601);
	CHANGED(b.has_children = false);
	CHANGED(b.esp[1].group = 0);
	CHANGED(b.esp[0].keylen = 256);
	CHANGED(b.esp[0].auth = IPSEC_AUTH_HMAC_SHA1);
	CHANGED(b.esp[1].encr = ESP_AES);
	CHANGED(b.n_esp = 1);
	CHANGED(b.local_ts[1].port = 81);
	CHANGED(b.n_local_ts = 1);
	CHANGED(b.remote_ts[0].to[3] = 21);
	CHANGED(b.n_remote_ts = 0);
	CHANGED(b.mode = IPSEC_MODE_TRANSPORT);
	CHANGED(b.ipsec_lifetime_s = 3599);
	CHANGED(b.ipsec_lifetime_kb = 1);
#undef CHANGED

	/* A peer without children: its phase-2 settings do not matter to its SA. */
	full_peer(&b);
	a.has_children = b.has_children = false;
	b.mode = IPSEC_MODE_TRANSPORT;
	b.ipsec_lifetime_s = 60;
	b.ipsec_lifetime_kb = 100;
	ck_assert(!ike_peer_cfg_differs(&a, &b));
	/* Unused proposal and selector slots do not count. */
	full_peer(&a);
	full_peer(&b);
	b.esp[5].encr = ESP_3DES;
	memset(&b.remote_ts[3], 0xee, sizeof(b.remote_ts[3]));
	ck_assert(!ike_peer_cfg_differs(&a, &b));
}
END_TEST

static Suite *peer_suite(void)
{
	Suite *s = suite_create("peer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, settings_defaults_and_span);
	tcase_add_test(tc, proposal_parse_values);
	tcase_add_test(tc, proposal_cross_product);
	tcase_add_test(tc, proposal_round_trip);
	tcase_add_test(tc, proposal_errors);
	tcase_add_test(tc, esp_parse_values);
	tcase_add_test(tc, esp_cross_product);
	tcase_add_test(tc, esp_round_trip);
	tcase_add_test(tc, esp_errors);
	tcase_add_test(tc, ts_parse_values);
	tcase_add_test(tc, ts_round_trip);
	tcase_add_test(tc, ts_errors);
	tcase_add_test(tc, ts_addr_and_equal);
	tcase_add_test(tc, matches_prefixes);
	tcase_add_test(tc, differs_fields);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(peer_suite());
}
