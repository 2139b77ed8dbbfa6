/*
 * test_peer.c - ike/peer.c: settings, proposal syntax, address matching, comparison.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/peer.h"

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
	/* Bytes after the used psk and id lengths do not count either. */
	b.psk[100] = 1;
	b.local_id.value[200] = 'x';
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
	CHANGED(b.psk[8] = 'T');
	CHANGED(b.psk_len = 8);
	CHANGED(b.ike[1].group = IKE_GROUP_ECP384);
	CHANGED(b.ike[0].keylen = 256);
	CHANGED(b.n_ike = 1);
	CHANGED(b.local_id.type = IKE_ID_USER_FQDN);
	CHANGED(strcpy(b.remote_id.value, "198.51.100.70"));
	CHANGED(b.autostart = IKE_AUTO_ADD);
	CHANGED(b.ike_lifetime = 3601);
#undef CHANGED
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
	tcase_add_test(tc, matches_prefixes);
	tcase_add_test(tc, differs_fields);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(peer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
