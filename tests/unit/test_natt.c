/*
 * test_natt.c - ike/natt.c: the NAT-T vendor ID table against independently computed
 * MD5 values, NAT-D hashes against values computed by Python's hashlib, NAT detection
 * in every topology RFC 3947 distinguishes, and the payload and mode numbers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>

#include "ike/crypto.h"
#include "ike/ike.h"
#include "ike/natt.h"
#include "tests/unit/testlib.h"

/*
 * Computed with:
 * python3 -c 'import hashlib; [print(repr(n), hashlib.md5(n.encode()).hexdigest()) for n in
 *   ["RFC 3947", "draft-ietf-ipsec-nat-t-ike-03", "draft-ietf-ipsec-nat-t-ike-02\n",
 *    "draft-ietf-ipsec-nat-t-ike-02"]]'
 * and the same bytes are in strongSwan's isakmp_vendor.c (vendor_natt_ids).
 */
struct vid_vector {
	const char *name;
	const char *md5;
	enum natt_version version;
};

static const struct vid_vector vid_vectors[] = {
    {"RFC 3947", "4a131c81070358455c5728f20e95452f", NATT_RFC3947},
    {"draft-ietf-ipsec-nat-t-ike-03", "7d9419a65310ca6f2c179d9215529d56", NATT_DRAFT_02},
    {"draft-ietf-ipsec-nat-t-ike-02\n", "90cb80913ebb696e086381b5ec427b1f", NATT_DRAFT_02},
    {"draft-ietf-ipsec-nat-t-ike-02", "cd60464335df21f87cfdb2fc68b6a448", NATT_DRAFT_02},
};

#define NVECTORS (sizeof(vid_vectors) / sizeof(vid_vectors[0]))

static const uint8_t icky[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
static const uint8_t rcky[8] = {0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};

static struct sockaddr_storage sa4(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage sa6(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
	return ss;
}

/* The table holds exactly the four IDs, newest first, each the MD5 hashlib computed. */
START_TEST(test_vid_table)
{
	size_t n = 0;
	const struct natt_vid *v = natt_vids(&n);

	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(n, NVECTORS);
	ck_assert_str_eq(v[_i].name, vid_vectors[_i].name);
	ck_assert_int_eq(v[_i].version, vid_vectors[_i].version);
	tl_assert_hex(v[_i].hash, sizeof(v[_i].hash), vid_vectors[_i].md5);
	ck_assert_ptr_eq(natt_vids(NULL), v);
}
END_TEST

/* The name field says what was hashed: MD5 of it, through OpenSSL, is the body. */
START_TEST(test_vid_names_hash_to_bodies)
{
	size_t n = 0;
	const struct natt_vid *v = natt_vids(&n);
	struct ike_chunk in;
	uint8_t md5[16];

	ck_assert_uint_lt((size_t)_i, n);
	in.ptr = (const uint8_t *)v[_i].name;
	in.len = strlen(v[_i].name);
	ck_assert_int_eq(ike_hash(IKE_HASH_MD5, &in, 1, md5), 0);
	ck_assert_mem_eq(md5, v[_i].hash, sizeof(md5));
}
END_TEST

START_TEST(test_vid_version_exact)
{
	uint8_t body[17];

	tl_unhex(vid_vectors[_i].md5, body, 16);
	ck_assert_int_eq(natt_vid_version(body, 16), vid_vectors[_i].version);
	/* 15 bytes: a truncated ID is no ID. */
	ck_assert_int_eq(natt_vid_version(body, 15), NATT_NONE);
	/* 17 bytes: an ID with a suffix is another vendor's payload. */
	body[16] = 0x00;
	ck_assert_int_eq(natt_vid_version(body, 17), NATT_NONE);
	/* One flipped bit anywhere. */
	body[_i * 4] ^= 0x01;
	ck_assert_int_eq(natt_vid_version(body, 16), NATT_NONE);
}
END_TEST

START_TEST(test_vid_version_unknown)
{
	static const char dpd[] = "afcad71368a1f1c96b8696fc77570100"; /* RFC 3706 DPD */
	uint8_t body[16];
	size_t i;

	ck_assert_int_eq(ike_random(body, sizeof(body)), 0);
	for (i = 0; i < NVECTORS; i++) {
		uint8_t known[16];

		tl_unhex(vid_vectors[i].md5, known, sizeof(known));
		/* 2^-128 per entry; if it ever hits, the draw is not random. */
		ck_assert_int_ne(memcmp(body, known, sizeof(body)), 0);
	}
	ck_assert_int_eq(natt_vid_version(body, sizeof(body)), NATT_NONE);
	tl_unhex(dpd, body, sizeof(body));
	ck_assert_int_eq(natt_vid_version(body, sizeof(body)), NATT_NONE);
	ck_assert_int_eq(natt_vid_version(NULL, 16), NATT_NONE);
	ck_assert_int_eq(natt_vid_version(body, 0), NATT_NONE);
}
END_TEST

START_TEST(test_payload_and_mode_numbers)
{
	ck_assert_uint_eq(natt_nat_d_type(NATT_RFC3947), 20);
	ck_assert_uint_eq(natt_nat_d_type(NATT_DRAFT_02), 130);
	ck_assert_uint_eq(natt_nat_d_type(NATT_NONE), 0);

	ck_assert_uint_eq(natt_udp_mode(NATT_RFC3947, IPSEC_MODE_TUNNEL), 3);
	ck_assert_uint_eq(natt_udp_mode(NATT_RFC3947, IPSEC_MODE_TRANSPORT), 4);
	ck_assert_uint_eq(natt_udp_mode(NATT_DRAFT_02, IPSEC_MODE_TUNNEL), 61443);
	ck_assert_uint_eq(natt_udp_mode(NATT_DRAFT_02, IPSEC_MODE_TRANSPORT), 61444);
	ck_assert_uint_eq(natt_udp_mode(NATT_NONE, IPSEC_MODE_TUNNEL), 0);
	ck_assert_uint_eq(natt_udp_mode(NATT_RFC3947, 0), 0);
	ck_assert_uint_eq(natt_udp_mode(NATT_RFC3947, IPSEC_MODE_UDP_TUNNEL), 0);
	ck_assert_uint_eq(natt_udp_mode(NATT_DRAFT_02, 5), 0);
}
END_TEST

/*
 * CKY-I 0123456789abcdef, CKY-R fedcba9876543210; computed with:
 * python3 -c 'import hashlib,socket as s,struct; ck=bytes.fromhex("0123456789abcdef"
 *   "fedcba9876543210"); [print(a,p,h,hashlib.new(h,ck+s.inet_pton(f,a)+struct.pack(
 *   "!H",p)).hexdigest()) for f,a,p in [(s.AF_INET,"192.0.2.10",500),(s.AF_INET6,
 *   "2001:db8::1",4500)] for h in ("sha1","sha256")]'
 */
struct nat_d_vector {
	uint16_t hash;
	int family;
	const char *addr;
	uint16_t port;
	const char *want;
};

static const struct nat_d_vector nat_d_vectors[] = {
    {IKE_HASH_SHA1, AF_INET, "192.0.2.10", 500, "90e7f8e82e7743fde3f19ae8a3f94f6f461227d8"},
    {IKE_HASH_SHA2_256, AF_INET, "192.0.2.10", 500,
     "4424c3069b4a6908ce81ae7459f956d34d1d89ae09565c97d3b360dde084905f"},
    {IKE_HASH_SHA1, AF_INET6, "2001:db8::1", 4500, "9de8bfefaab479f0d5a5609a6de20595c6307502"},
    {IKE_HASH_SHA2_256, AF_INET6, "2001:db8::1", 4500,
     "b323e06152a2a38e2038088b703eb9fd2461ab40b725658b0b495cc0061c3047"},
};

START_TEST(test_nat_d_vectors)
{
	const struct nat_d_vector *v = &nat_d_vectors[_i];
	struct sockaddr_storage ss =
	    v->family == AF_INET ? sa4(v->addr, v->port) : sa6(v->addr, v->port);
	uint8_t out[IKE_MAX_HASH_LEN];

	ck_assert_int_eq(natt_nat_d(v->hash, icky, rcky, (struct sockaddr *)&ss, out), 0);
	tl_assert_hex(out, ike_hash_len(v->hash), v->want);
}
END_TEST

/* The port and the cookies' order are in the hash; a v4-mapped address hashes as IPv4. */
START_TEST(test_nat_d_inputs)
{
	struct sockaddr_storage a = sa4("192.0.2.10", 500), b = sa4("192.0.2.10", 4500);
	struct sockaddr_storage m = sa6("::ffff:192.0.2.10", 500);
	uint8_t ha[32], hb[32], hm[32], hs[32];

	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA2_256, icky, rcky, (struct sockaddr *)&a, ha), 0);
	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA2_256, icky, rcky, (struct sockaddr *)&b, hb), 0);
	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA2_256, icky, rcky, (struct sockaddr *)&m, hm), 0);
	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA2_256, rcky, icky, (struct sockaddr *)&a, hs), 0);
	ck_assert_int_ne(memcmp(ha, hb, sizeof(ha)), 0);
	ck_assert_int_ne(memcmp(ha, hs, sizeof(ha)), 0);
	ck_assert_mem_eq(ha, hm, sizeof(ha));
}
END_TEST

START_TEST(test_nat_d_errors)
{
	struct sockaddr_storage a = sa4("192.0.2.10", 500);
	struct sockaddr_un un;
	uint8_t out[IKE_MAX_HASH_LEN];

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA1, icky, rcky, (struct sockaddr *)&un, out), -1);
	ck_assert_int_eq(natt_nat_d(IKE_HASH_NONE, icky, rcky, (struct sockaddr *)&a, out), -1);
	ck_assert_int_eq(natt_nat_d(3, icky, rcky, (struct sockaddr *)&a, out), -1); /* Tiger */
	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA1, NULL, rcky, (struct sockaddr *)&a, out), -1);
	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA1, icky, NULL, (struct sockaddr *)&a, out), -1);
	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA1, icky, rcky, NULL, out), -1);
	ck_assert_int_eq(natt_nat_d(IKE_HASH_SHA1, icky, rcky, (struct sockaddr *)&a, NULL), -1);
}
END_TEST

/*
 * Detection.  We are the receiver: the message arrived on `local` from `remote`.  The
 * sender's NAT-D payloads are built the way a sender builds them: first the hash of the
 * address it sent to, then one per address it sends from.
 */
#define MAX_ND 4

struct natd_set {
	uint8_t body[MAX_ND][IKE_MAX_HASH_LEN];
	const uint8_t *ptr[MAX_ND];
	size_t len[MAX_ND];
	size_t n;
};

static void natd_add(struct natd_set *s, uint16_t hash, struct sockaddr_storage addr)
{
	ck_assert_uint_lt(s->n, MAX_ND);
	ck_assert_int_eq(natt_nat_d(hash, icky, rcky, (struct sockaddr *)&addr, s->body[s->n]), 0);
	s->ptr[s->n] = s->body[s->n];
	s->len[s->n] = ike_hash_len(hash);
	s->n++;
}

static const uint16_t detect_hashes[] = {IKE_HASH_SHA1, IKE_HASH_SHA2_256};

struct topology {
	struct sockaddr_storage local;  /* where the message arrived */
	struct sockaddr_storage remote; /* where it came from */
	struct sockaddr_storage pub;    /* our NAT's outside address, the sender's destination */
	struct sockaddr_storage priv;   /* the sender's own address behind its NAT */
};

static struct topology topology_v4(void)
{
	struct topology t;

	t.local = sa4("10.0.0.2", 500);
	t.remote = sa4("198.51.100.7", 40001);
	t.pub = sa4("203.0.113.1", 500);
	t.priv = sa4("192.168.1.5", 500);
	return t;
}

/* Runs detection; returns its result and leaves the verdicts in *l and *r. */
static int detect(uint16_t hash, const struct topology *t, const struct natd_set *s, bool *l,
                  bool *r)
{
	return natt_detect(hash, icky, rcky, (const struct sockaddr *)&t->local,
	                   (const struct sockaddr *)&t->remote, s->ptr, s->len, s->n, l, r);
}

START_TEST(test_detect_no_nat)
{
	uint16_t h = detect_hashes[_i];
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	bool l = true, r = true;

	natd_add(&s, h, t.local);
	natd_add(&s, h, t.remote);
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), 0);
	ck_assert(!l);
	ck_assert(!r);
}
END_TEST

/* Port forwarding on our side: same address, the NAT rewrote the destination port. */
START_TEST(test_detect_nat_local_port)
{
	uint16_t h = detect_hashes[_i];
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	bool l = false, r = true;

	natd_add(&s, h, sa4("10.0.0.2", 40500));
	natd_add(&s, h, t.remote);
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), 0);
	ck_assert(l);
	ck_assert(!r);
}
END_TEST

START_TEST(test_detect_nat_remote)
{
	uint16_t h = detect_hashes[_i];
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	bool l = true, r = false;

	natd_add(&s, h, t.local);
	natd_add(&s, h, t.priv);
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), 0);
	ck_assert(!l);
	ck_assert(r);
}
END_TEST

START_TEST(test_detect_nat_both)
{
	uint16_t h = detect_hashes[_i];
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	bool l = false, r = false;

	natd_add(&s, h, t.pub);
	natd_add(&s, h, t.priv);
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), 0);
	ck_assert(l);
	ck_assert(r);
}
END_TEST

/* A multihomed peer: its second source address is the one we saw. */
START_TEST(test_detect_second_address_matches)
{
	uint16_t h = detect_hashes[_i];
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	bool l = true, r = true;

	natd_add(&s, h, t.local);
	natd_add(&s, h, t.priv);
	natd_add(&s, h, t.remote);
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), 0);
	ck_assert(!l);
	ck_assert(!r);
}
END_TEST

/* Order matters: our hash in a source position and the peer's in d[0] match nothing. */
START_TEST(test_detect_order)
{
	uint16_t h = detect_hashes[_i];
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	bool l = false, r = false;

	natd_add(&s, h, t.remote);
	natd_add(&s, h, t.local);
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), 0);
	ck_assert(l);
	ck_assert(r);
}
END_TEST

START_TEST(test_detect_ipv6)
{
	uint16_t h = detect_hashes[_i];
	struct topology t;
	struct natd_set s = {.n = 0};
	bool l = true, r = false;

	t.local = sa6("2001:db8::1", 500);
	t.remote = sa6("2001:db8:1::7", 4500);
	natd_add(&s, h, t.local);
	natd_add(&s, h, sa6("2001:db8:1::7", 500)); /* a port-rewriting NPTv6 box */
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), 0);
	ck_assert(!l);
	ck_assert(r);
}
END_TEST

/* With n < 2 there is no source to compare: an error, and the verdicts stay untouched. */
START_TEST(test_detect_too_few)
{
	uint16_t h = detect_hashes[_i];
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	bool l = true, r = false;

	natd_add(&s, h, t.local);
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), -1);
	s.n = 0;
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), -1);
	ck_assert(l);
	ck_assert(!r);
}
END_TEST

START_TEST(test_detect_bad_length)
{
	uint16_t h = detect_hashes[_i];
	uint16_t other = h == IKE_HASH_SHA1 ? IKE_HASH_SHA2_256 : IKE_HASH_SHA1;
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	bool l = true, r = false;
	size_t hlen = ike_hash_len(h);

	natd_add(&s, h, t.local);
	natd_add(&s, h, t.remote);
	s.len[1] = hlen - 1;
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), -1);
	s.len[1] = hlen + 1;
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), -1);
	s.len[1] = hlen;
	s.len[0] = 0;
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), -1);
	/* Payloads hashed with another hash than the negotiated one: wrong length. */
	s.len[0] = hlen;
	ck_assert_int_eq(detect(other, &t, &s, &l, &r), -1);
	ck_assert(l);
	ck_assert(!r);
	/* Restored, the same set detects fine: the failures were the lengths. */
	ck_assert_int_eq(detect(h, &t, &s, &l, &r), 0);
	ck_assert(!l);
	ck_assert(!r);
}
END_TEST

START_TEST(test_detect_bad_arguments)
{
	struct topology t = topology_v4();
	struct natd_set s = {.n = 0};
	struct sockaddr_un un;
	bool l = false, r = false;

	natd_add(&s, IKE_HASH_SHA1, t.local);
	natd_add(&s, IKE_HASH_SHA1, t.remote);
	ck_assert_int_eq(detect(IKE_HASH_NONE, &t, &s, &l, &r), -1);
	s.ptr[1] = NULL;
	ck_assert_int_eq(detect(IKE_HASH_SHA1, &t, &s, &l, &r), -1);
	s.ptr[1] = s.body[1];
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	ck_assert_int_eq(natt_detect(IKE_HASH_SHA1, icky, rcky, (struct sockaddr *)&un,
	                             (struct sockaddr *)&t.remote, s.ptr, s.len, s.n, &l, &r),
	                 -1);
	ck_assert_int_eq(natt_detect(IKE_HASH_SHA1, icky, rcky, (struct sockaddr *)&t.local,
	                             (struct sockaddr *)&t.remote, s.ptr, s.len, s.n, NULL, &r),
	                 -1);
	ck_assert(!l);
	ck_assert(!r);
}
END_TEST

static Suite *natt_suite(void)
{
	Suite *s = suite_create("natt");
	TCase *tc = tcase_create("core");
	int nh = (int)(sizeof(detect_hashes) / sizeof(detect_hashes[0]));

	tcase_add_loop_test(tc, test_vid_table, 0, NVECTORS);
	tcase_add_loop_test(tc, test_vid_names_hash_to_bodies, 0, NVECTORS);
	tcase_add_loop_test(tc, test_vid_version_exact, 0, NVECTORS);
	tcase_add_test(tc, test_vid_version_unknown);
	tcase_add_test(tc, test_payload_and_mode_numbers);
	tcase_add_loop_test(tc, test_nat_d_vectors, 0,
	                    sizeof(nat_d_vectors) / sizeof(nat_d_vectors[0]));
	tcase_add_test(tc, test_nat_d_inputs);
	tcase_add_test(tc, test_nat_d_errors);
	tcase_add_loop_test(tc, test_detect_no_nat, 0, nh);
	tcase_add_loop_test(tc, test_detect_nat_local_port, 0, nh);
	tcase_add_loop_test(tc, test_detect_nat_remote, 0, nh);
	tcase_add_loop_test(tc, test_detect_nat_both, 0, nh);
	tcase_add_loop_test(tc, test_detect_second_address_matches, 0, nh);
	tcase_add_loop_test(tc, test_detect_order, 0, nh);
	tcase_add_loop_test(tc, test_detect_ipv6, 0, nh);
	tcase_add_loop_test(tc, test_detect_too_few, 0, nh);
	tcase_add_loop_test(tc, test_detect_bad_length, 0, nh);
	tcase_add_test(tc, test_detect_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(natt_suite());
}
