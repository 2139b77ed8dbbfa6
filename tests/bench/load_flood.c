/*
 * load_flood.c - ikeload --flood: first messages only (MM1, HDR + SA), each with a fresh
 * random initiator cookie, from random addresses of the source block, at a bounded
 * rate; nothing is ever sent after them.  What the responder answers is counted (MM2s,
 * notifies), so that a test can tell how many MM1s it took on.
 *
 * The MM1 offers one transform: the first proposal of --ike (default
 * aes128-sha256-modp2048) with a pre-shared key and a lifetime of 28800 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ike/ike.h"
#include "ikeload.h"

#define MM1_LEN 84 /* header 28, SA 12 + proposal 8 + transform 8 + 7 attributes x 4 */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* A TV attribute (RFC 2408 3.3, AF bit set). */
static uint8_t *attr(uint8_t *p, uint16_t type, uint16_t value)
{
	put16(p, (uint16_t)(0x8000 | type));
	put16(p + 2, value);
	return p + 4;
}

/* MM1 with a zero initiator cookie (filled per datagram). */
static void build_mm1(uint8_t m[MM1_LEN], const struct ike_proposal *pr)
{
	uint8_t *p;

	memset(m, 0, MM1_LEN);
	m[16] = ISAKMP_NP_SA;
	m[17] = ISAKMP_VERSION;
	m[18] = ISAKMP_XCHG_IDPROT;
	put32(m + 24, MM1_LEN);
	p = m + ISAKMP_HDR_LEN; /* SA */
	put16(p + 2, MM1_LEN - ISAKMP_HDR_LEN);
	put32(p + 4, ISAKMP_DOI_IPSEC);
	put32(p + 8, IPSEC_SIT_IDENTITY_ONLY);
	p += 12; /* proposal */
	put16(p + 2, 8 + 36);
	p[4] = 1;
	p[5] = ISAKMP_PROTO_ISAKMP;
	p[7] = 1;
	p += 8; /* transform */
	put16(p + 2, 36);
	p[4] = 1;
	p[5] = ISAKMP_TRANSFORM_KEY_IKE;
	p += 8;
	p = attr(p, IKE_ATTR_ENCRYPTION_ALGORITHM, pr->encr);
	p = attr(p, IKE_ATTR_HASH_ALGORITHM, pr->hash);
	p = attr(p, IKE_ATTR_AUTHENTICATION_METHOD, IKE_AUTH_PSK);
	p = attr(p, IKE_ATTR_GROUP_DESCRIPTION, pr->group);
	p = attr(p, IKE_ATTR_LIFE_TYPE, 1); /* seconds */
	p = attr(p, IKE_ATTR_LIFE_DURATION, 28800);
	(void)attr(p, IKE_ATTR_KEY_LENGTH, pr->keylen);
}

/* xorshift64*: cookies and addresses, seeded from getrandom (cheap per datagram). */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Count whatever came back: MM2s (exchange 2, our cookie, the responder's set), notifies. */
static void drain(struct load_net *n, struct flood_result *r)
{
	uint8_t buf[2048];
	struct sockaddr_in local, remote;
	long len;

	for (int k = 0; k < 256; k++) {
		len = load_net_recv(n, buf, sizeof(buf), &local, &remote);
		if (len == -2 || len == -1)
			return;
		if (len < ISAKMP_HDR_LEN)
			continue;
		if (buf[18] == ISAKMP_XCHG_IDPROT)
			r->mm2++;
		else if (buf[18] == ISAKMP_XCHG_INFO)
			r->notifies++;
		else
			r->other++;
	}
}

int load_flood(const struct load_opts *o, struct flood_result *r, char *err, size_t errlen)
{
	struct ike_proposal pr[4];
	size_t n_pr = 0;
	uint8_t mm1[MM1_LEN];
	uint64_t s = 0;
	uint32_t hosts = (1u << (32 - o->src_prefix)) - 2;
	struct load_net net;
	struct sockaddr_in src;
	double t0, t;
	char perr[128];

	memset(r, 0, sizeof(*r));
	if (ike_proposals_parse(o->ike, pr, 4, &n_pr, perr, sizeof(perr)) != 0 || n_pr == 0) {
		snprintf(err, errlen, "--ike: %s", perr);
		return -1;
	}
	build_mm1(mm1, &pr[0]);
	if (getrandom(&s, sizeof(s), 0) != sizeof(s) || s == 0)
		s = 0x9e3779b97f4a7c15ULL ^ (uint64_t)o->seed;
	if (load_net_open(&net, o->port, err, errlen) != 0)
		return -1;
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_port = htons(net.port);
	t0 = now_s();
	while (r->sent + r->send_errors < o->count) {
		t = now_s() - t0;
		if (t > o->timeout_s) {
			r->timed_out = true;
			break;
		}
		/* at most rate x elapsed sent so far; a burst of up to 64 per turn */
		for (int k = 0; k < 64 && r->sent + r->send_errors < o->count; k++) {
			uint64_t v = next_rand(&s);

			if (o->rate > 0 && (double)(r->sent + r->send_errors) >= o->rate * t)
				break;
			if (v == 0)
				v = 1;
			memcpy(mm1, &v, 8);
			src.sin_addr.s_addr =
			    htonl(o->src_net + 1 + (uint32_t)(next_rand(&s) % hosts));
			if (load_net_send(&net, &src, &o->target, mm1, sizeof(mm1)) == 0)
				r->sent++;
			else
				r->send_errors++;
		}
		drain(&net, r);
		if (o->rate > 0 && (double)(r->sent + r->send_errors) >= o->rate * (now_s() - t0)) {
			struct timespec ms = {0, 1000000};

			nanosleep(&ms, NULL);
		}
	}
	r->wall_s = now_s() - t0;
	/* answers still on their way */
	for (t = now_s(); now_s() - t < o->settle_s;) {
		struct timespec ms = {0, 5000000};

		drain(&net, r);
		nanosleep(&ms, NULL);
	}
	load_net_close(&net);
	return 0;
}
