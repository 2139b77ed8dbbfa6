/*
 * test_show_ipsec.c - golden tests of `show crypto ipsec sa` (agent/show_ipsec.c), of
 * `show ikemon peers` (agent/show_peers.c) and of the phase-2 fields in the ISAKMP JSON.
 *
 * SAs and children are built by hand (no engine); selectors come from ike_ts_parse(), so
 * they are what a config would give.  The IOS text is compared byte for byte with
 * tests/golden/ipsec_sa_*.txt, typed from the IOS captures quoted in CISCO-CLI.md and
 * Cisco's Genie parser tests, not produced by this code; the peers table (with and
 * without the stall detector's columns filled in) with tests/golden/peers_*.txt, typed
 * from the column layout documented in agent/show.h.
 *
 * Build with -DTEST_SHOW_IPSEC_FAKE_IKE to link without ike/child.c (a small stand-in at
 * the end of this file); otherwise link libike.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/show.h"
#include "ike/ike.h"
#include "tests/unit/testlib.h"

#define MAX_SAS      8
#define MAX_CHILDREN 16
#define NOW_WALL     ((time_t)1700000000) /* 2023-11-14T22:13:20Z */

struct world {
	struct ike_sa sa[MAX_SAS];
	struct ike_child child[MAX_CHILDREN];
	size_t n_sa, n_child;
};

/* ---------------------------------------------------------------- builders */

/* An internal state that shows as the given Cisco state (found through the table). */
static enum ike_state state_for(enum cisco_state cisco)
{
	for (int s = 0; s < IKE_ST_COUNT; s++)
		if (s != IKE_ST_DELETED && ike_state_cisco((enum ike_state)s) == cisco)
			return (enum ike_state)s;
	ck_abort_msg("no internal state shows as %s", cisco_state_name(cisco));
	return IKE_ST_COUNT;
}

static struct ike_sa *add_sa(struct world *w, uint32_t conn_id, const char *peer, const char *local,
                             const char *remote, uint16_t port)
{
	struct ike_sa *sa;

	ck_assert_uint_lt(w->n_sa, MAX_SAS);
	sa = &w->sa[w->n_sa];
	memset(sa, 0, sizeof(*sa));
	sa->local_id.value = sa->remote_id.value = sa->peer_cert = ""; /* as ike_sa_create() */
	sa->conn_id = conn_id;
	sa->ike_version = 1;
	sa->exchange = ISAKMP_XCHG_IDPROT;
	sa->role = IKE_ROLE_INITIATOR;
	snprintf(sa->peer, sizeof(sa->peer), "%s", peer);
	tl_set_addr(&sa->local, local, port);
	tl_set_addr(&sa->remote, remote, port);
	sa->state = state_for(CISCO_QM_IDLE);
	if (w->n_sa > 0)
		w->sa[w->n_sa - 1].next = sa;
	w->n_sa++;
	return sa;
}

static void parse_ts(const char *text, struct ike_ts *ts)
{
	char err[128];
	size_t n = 0;

	ck_assert_msg(ike_ts_parse(text, ts, 1, &n, err, sizeof(err)) == 0, "%s: %s", text, err);
	ck_assert_uint_eq(n, 1);
}

/* A child appended under sa, in the given state, with its selectors. */
static struct ike_child *add_child(struct world *w, struct ike_sa *sa, uint32_t index,
                                   enum ike_child_state state, const char *local_ts,
                                   const char *remote_ts)
{
	struct ike_child *c, **tail;

	ck_assert_uint_lt(w->n_child, MAX_CHILDREN);
	c = &w->child[w->n_child++];
	memset(c, 0, sizeof(*c));
	c->conn_id = sa->conn_id;
	c->index = index;
	c->role = sa->role;
	c->state = state;
	parse_ts(local_ts, &c->local_ts);
	parse_ts(remote_ts, &c->remote_ts);
	c->created_wall = NOW_WALL - 60;
	for (tail = &sa->children; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = c;
	return c;
}

/* The negotiated transform and SPIs of an installed child with left_s seconds to live. */
static void install(struct ike_child *c, uint32_t spi_in, uint32_t spi_out, uint16_t encr,
                    uint16_t keylen, uint16_t auth, uint16_t group, uint16_t mode, long left_s)
{
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	c->xf.protocol = IPSEC_PROTO_ESP;
	c->xf.encr = encr;
	c->xf.keylen = keylen;
	c->xf.auth = auth;
	c->xf.group = group;
	c->xf.mode = mode;
	c->xf.life_s = 3600;
	c->established_wall = NOW_WALL - 60;
	c->expires_wall = NOW_WALL + left_s;
}

static const struct ike_sa *first_of(const struct world *w)
{
	return w->n_sa > 0 ? &w->sa[0] : NULL;
}

/* ---------------------------------------------------------------- golden files */

static void check_ipsec_golden(const struct world *w, const char *name)
{
	struct strbuf out;

	strbuf_init(&out);
	show_ipsec_sa(&out, first_of(w), NOW_WALL);
	tl_assert_golden(&out, name);
	strbuf_free(&out);
}

/* ---------------------------------------------------------------- show crypto ipsec sa */

START_TEST(test_ipsec_empty)
{
	struct strbuf out;

	strbuf_init(&out);
	show_ipsec_sa(&out, NULL, NOW_WALL);
	ck_assert_uint_eq(out.len, 0);
	ck_assert(!out.oom);
	strbuf_free(&out);
}
END_TEST

/* The CISCO-CLI.md capture's SA pair, with AES-256, SHA-256 and PFS group 14. */
START_TEST(test_ipsec_tunnel_pfs)
{
	struct world w = {0};
	struct ike_sa *sa = add_sa(&w, 1001, "branch1", "25.0.0.1", "15.0.0.1", 500);
	struct ike_child *c;

	c = add_child(&w, sa, 1, IKE_CHILD_INSTALLED, "192.168.2.0/24", "192.168.1.0/24");
	install(c, 0x18906F9D, 0x48BAC7D3, ESP_AES, 256, IPSEC_AUTH_HMAC_SHA2_256,
	        IKE_GROUP_MODP2048, IPSEC_MODE_TUNNEL, 1454);
	check_ipsec_golden(&w, "ipsec_sa_tunnel_pfs.txt");
}
END_TEST

/* GRE between two hosts in transport mode, no PFS, a kilobyte limit. */
START_TEST(test_ipsec_transport)
{
	struct world w = {0};
	struct ike_sa *sa = add_sa(&w, 1002, "gre-hub", "172.16.12.3", "172.16.13.2", 500);
	struct ike_child *c;

	sa->role = IKE_ROLE_RESPONDER;
	c = add_child(&w, sa, 3, IKE_CHILD_INSTALLED, "172.16.12.3[gre]", "172.16.13.2[gre]");
	install(c, 0xC0A7CADD, 0xF29F0007, ESP_3DES, 0, IPSEC_AUTH_HMAC_MD5, 0,
	        IPSEC_MODE_TRANSPORT, 3375);
	c->xf.life_kb = 250000;
	check_ipsec_golden(&w, "ipsec_sa_transport.txt");
}
END_TEST

/* NAT-T: RFC 3947 UDP tunnel on 4500, and a draft-era UDP transport to a NAT-mapped port. */
START_TEST(test_ipsec_natt)
{
	struct world w = {0};
	struct ike_sa *sa;
	struct ike_child *c;

	sa = add_sa(&w, 1003, "spoke-nat", "192.168.0.1", "2.0.0.4", 4500);
	sa->natt_version = 1;
	sa->nat_local = true;
	sa->floated = true;
	c = add_child(&w, sa, 1, IKE_CHILD_INSTALLED, "10.1.0.0/16", "10.2.0.0/16");
	install(c, 0x4D2DA165, 0x2756FBFC, ESP_AES, 128, IPSEC_AUTH_HMAC_SHA1, 0,
	        IPSEC_MODE_UDP_TUNNEL, 355);

	sa = add_sa(&w, 1004, "l2tp-client", "203.0.113.2", "198.51.100.9", 4500);
	tl_set_addr(&sa->remote, "198.51.100.9", 1024);
	sa->role = IKE_ROLE_RESPONDER;
	sa->natt_version = 2;
	sa->nat_remote = true;
	sa->floated = true;
	c = add_child(&w, sa, 1, IKE_CHILD_INSTALLED, "203.0.113.2[udp/1701]",
	              "10.0.0.9[udp/1701]");
	install(c, 0x100, 0xABCDEF, ESP_AES, 192, IPSEC_AUTH_HMAC_SHA2_512, IKE_GROUP_ECP256,
	        IPSEC_MODE_UDP_TRANSPORT_DRAFT, 28000);
	c->xf.life_s = 28800;
	check_ipsec_golden(&w, "ipsec_sa_natt.txt");
}
END_TEST

/*
 * A Quick Mode not answered yet shows its flow without SAs; a rekey shows the old and the
 * new pair under one flow (the newest outbound SPI is "current"); a deleted child is gone.
 */
START_TEST(test_ipsec_pending)
{
	struct world w = {0};
	struct ike_sa *sa;
	struct ike_child *c;

	sa = add_sa(&w, 1005, "slow", "192.0.2.1", "198.51.100.20", 500);
	c = add_child(&w, sa, 1, IKE_CHILD_QM_I1, "10.10.0.0/24", "10.20.0.0/24");
	c->spi_in = 0x11111111;

	sa = add_sa(&w, 1006, "rekeying", "192.0.2.1", "198.51.100.30", 500);
	sa->role = IKE_ROLE_RESPONDER;
	c = add_child(&w, sa, 1, IKE_CHILD_INSTALLED, "10.30.0.0/24", "10.40.0.0/24");
	install(c, 0x1000, 0x2000, ESP_AES, 128, IPSEC_AUTH_HMAC_SHA2_256, 0, IPSEC_MODE_TUNNEL,
	        30);
	c = add_child(&w, sa, 2, IKE_CHILD_DELETED, "10.30.2.0/24", "10.40.2.0/24");
	install(c, 0x7000, 0x8000, ESP_AES, 128, IPSEC_AUTH_HMAC_SHA2_256, 0, IPSEC_MODE_TUNNEL,
	        100);
	c->delete_reason = IKE_CAUSE_DELETED_BY_PEER;
	c = add_child(&w, sa, 3, IKE_CHILD_INSTALLED, "10.30.0.0/24", "10.40.0.0/24");
	install(c, 0x3000, 0x4000, ESP_AES, 128, IPSEC_AUTH_HMAC_SHA2_256, 0, IPSEC_MODE_TUNNEL,
	        3590);
	c = add_child(&w, sa, 4, IKE_CHILD_QM_R1, "10.30.1.0/24", "10.40.1.0/24");
	c->spi_in = 0x5000;
	c->spi_out = 0x6000;
	check_ipsec_golden(&w, "ipsec_sa_pending.txt");
}
END_TEST

/* IKE SAs without children, or with deleted ones only, print nothing. */
START_TEST(test_ipsec_skip)
{
	struct world w = {0};
	struct ike_sa *sa;
	struct ike_child *c;

	add_sa(&w, 1007, "phase1-only", "192.0.2.1", "198.51.100.7", 500);
	sa = add_sa(&w, 1008, "gone", "192.0.2.1", "198.51.100.8", 500);
	add_child(&w, sa, 1, IKE_CHILD_DELETED, "10.8.0.0/24", "10.88.0.0/24");
	sa = add_sa(&w, 1009, "ike-deleted", "192.0.2.1", "198.51.100.9", 500);
	sa->state = IKE_ST_DELETED;
	add_child(&w, sa, 1, IKE_CHILD_DELETED, "10.9.0.0/24", "10.99.0.0/24");
	sa = add_sa(&w, 1010, "live", "192.0.2.1", "198.51.100.40", 500);
	add_child(&w, sa, 1, IKE_CHILD_DELETED, "0.0.0.0/0", "0.0.0.0/0");
	c = add_child(&w, sa, 2, IKE_CHILD_INSTALLED, "0.0.0.0/0", "0.0.0.0/0");
	install(c, 0xA54D38A4, 0x2E8482F8, ESP_AES, 256, IPSEC_AUTH_HMAC_SHA1, IKE_GROUP_MODP1024,
	        IPSEC_MODE_TUNNEL, 3237);
	check_ipsec_golden(&w, "ipsec_sa_skip.txt");
}
END_TEST

/* IPv6 idents with a prefix length, ranges, protocols and ports, an unnamed peer. */
START_TEST(test_ipsec_selectors)
{
	struct world w = {0};
	struct ike_sa *sa;
	struct ike_child *c;

	sa = add_sa(&w, 1011, "v6-branch", "2001:db8:1::1", "2001:db8:2::2", 500);
	c = add_child(&w, sa, 1, IKE_CHILD_INSTALLED, "2001:db8:10::/48",
	              "2001:db8:20::/64[tcp/443]");
	install(c, 0x10, 0x20, ESP_AES, 128, IPSEC_AUTH_HMAC_SHA2_384, 0, IPSEC_MODE_TUNNEL, -10);

	sa = add_sa(&w, 1012, "", "192.0.2.1", "198.51.100.50", 500);
	c = add_child(&w, sa, 1, IKE_CHILD_INSTALLED, "10.9.0.0-10.9.0.255",
	              "10.9.1.1-10.9.1.20[udp]");
	install(c, 0x30, 0x40, ESP_AES, 128, IPSEC_AUTH_HMAC_SHA1, 0, IPSEC_MODE_TUNNEL, 100);
	c->xf.life_kb = 1000;
	check_ipsec_golden(&w, "ipsec_sa_selectors.txt");
}
END_TEST

/* ---------------------------------------------------------------- JSON */

START_TEST(test_ipsec_json)
{
	struct world w = {0};
	struct timespec now = {200, 250000000};
	struct ike_sa *sa;
	struct ike_child *c;
	struct strbuf out;

	add_sa(&w, 1001, "phase1-only", "192.0.2.1", "198.51.100.7", 500);
	sa = add_sa(&w, 1002, "br\"1", "192.0.2.1", "198.51.100.8", 4500);
	c = add_child(&w, sa, 1, IKE_CHILD_INSTALLED, "10.1.0.0/24", "10.9.0.1-10.9.0.20[tcp/80]");
	install(c, 0x18906F9D, 0x48BAC7D3, ESP_AES, 256, IPSEC_AUTH_HMAC_SHA2_256,
	        IKE_GROUP_MODP2048, IPSEC_MODE_UDP_TUNNEL, 1454);
	c->msgid = 0xdeadbeef;
	c->state_entered.tv_sec = 100;
	c = add_child(&w, sa, 2, IKE_CHILD_DELETED, "10.2.0.0/24", "10.3.0.0/24");
	c->role = IKE_ROLE_RESPONDER;
	c->retransmits = 5;
	c->last_cause = IKE_CAUSE_PEER_SILENT;
	snprintf(c->cause_detail, sizeof(c->cause_detail), "no reply to QM1");
	c->delete_reason = IKE_CAUSE_RETRY_LIMIT;
	c->state_entered.tv_sec = 300; /* in the future: never negative */

	strbuf_init(&out);
	show_ipsec_sa_json(&out, first_of(&w), &now);
	ck_assert(!out.oom);
	ck_assert_msg(tl_json_valid(out.s, out.len), "invalid JSON: %s", out.s);
	ck_assert_int_eq(out.s[out.len - 1], '\n');
	ck_assert_int_eq(strncmp(out.s, "{\"children\":[{\"conn_id\":1002,\"index\":1,", 39), 0);
	TL_ASSERT_HAS(out, "\"peer\":\"br\\\"1\"");
	TL_ASSERT_HAS(out, "\"remote\":{\"address\":\"198.51.100.8\",\"port\":4500}");
	TL_ASSERT_HAS(
	    out, "\"role\":\"initiator\",\"state\":\"INSTALLED\",\"seconds_in_state\":100.250");
	TL_ASSERT_HAS(out, "\"msgid\":3735928559");
	TL_ASSERT_HAS(out, "\"spi_in\":412118941,\"spi_in_hex\":\"0x18906f9d\"");
	TL_ASSERT_HAS(out, "\"spi_out\":1220200403,\"spi_out_hex\":\"0x48bac7d3\"");
	TL_ASSERT_HAS(out, "\"encr\":12,\"encr_name\":\"aes256\",\"keylen\":256");
	TL_ASSERT_HAS(out, "\"auth\":5,\"auth_name\":\"sha256\",\"group\":14");
	TL_ASSERT_HAS(out, "\"mode\":3,\"mode_name\":\"udp-tunnel\",\"life_s\":3600,\"life_kb\":0");
	TL_ASSERT_HAS(out, "\"ios\":\"esp-256-aes esp-sha256-hmac\"");
	TL_ASSERT_HAS(out,
	              "\"local_ts\":{\"text\":\"10.1.0.0/24\",\"family\":4,\"kind\":\"subnet\","
	              "\"from\":\"10.1.0.0\",\"to\":null,\"prefix\":24,\"proto\":0,\"port\":0}");
	TL_ASSERT_HAS(out, "\"kind\":\"range\",\"from\":\"10.9.0.1\",\"to\":\"10.9.0.20\","
	                   "\"prefix\":null,\"proto\":6,\"port\":80}");
	TL_ASSERT_HAS(out, "\"created\":\"2023-11-14T22:12:20Z\"");
	TL_ASSERT_HAS(out, "\"expires\":\"2023-11-14T22:37:34Z\"");
	/* the deleted child: still listed, with why */
	TL_ASSERT_HAS(out, "\"index\":2,");
	TL_ASSERT_HAS(out,
	              "\"role\":\"responder\",\"state\":\"DELETED\",\"seconds_in_state\":0.000");
	TL_ASSERT_HAS(out, "\"encr_name\":null");
	TL_ASSERT_HAS(out, "\"proposal\":null,\"ios\":null");
	TL_ASSERT_HAS(out, "\"established\":null,\"expires\":null,\"retransmits\":5");
	TL_ASSERT_HAS(out, "\"last_cause\":\"peer-silent\",\"cause_detail\":\"no reply to QM1\","
	                   "\"delete_reason\":\"retry-limit\"}]}");
	/* the SA without children adds nothing */
	ck_assert_ptr_null(strstr(out.s, "phase1-only"));
	strbuf_free(&out);

	strbuf_init(&out);
	show_ipsec_sa_json(&out, NULL, &now);
	ck_assert_str_eq(out.s, "{\"children\":[]}\n");
	strbuf_free(&out);
}
END_TEST

/* The ISAKMP JSON view carries NAT-T, the children count and the phase-2 counters. */
START_TEST(test_isakmp_json_phase2)
{
	struct world w = {0};
	struct ike_global_counters g;
	struct timespec now = {10, 0};
	struct ike_sa *sa;
	struct strbuf out;

	sa = add_sa(&w, 1001, "nat", "192.168.0.1", "2.0.0.4", 4500);
	sa->natt_version = 1;
	sa->nat_local = true;
	sa->floated = true;
	add_child(&w, sa, 1, IKE_CHILD_INSTALLED, "10.1.0.0/16", "10.2.0.0/16");
	add_child(&w, sa, 2, IKE_CHILD_QM_I1, "10.1.0.0/16", "10.3.0.0/16");
	add_child(&w, sa, 3, IKE_CHILD_DELETED, "10.1.0.0/16", "10.4.0.0/16");
	add_sa(&w, 1002, "plain", "192.0.2.1", "198.51.100.2", 500);
	memset(&g, 0, sizeof(g));
	g.children_created = 7;
	g.children_installed = 5;
	g.children_failed = 2;
	g.children_deleted = 4;

	strbuf_init(&out);
	show_isakmp_sa_json(&out, first_of(&w), &g, NULL, &now);
	ck_assert_msg(tl_json_valid(out.s, out.len), "invalid JSON: %s", out.s);
	TL_ASSERT_HAS(out,
	              "\"natt\":{\"version\":1,\"version_name\":\"rfc3947\",\"nat_local\":true,"
	              "\"nat_remote\":false,\"floated\":true}");
	TL_ASSERT_HAS(out, "\"children\":{\"installed\":1,\"total\":3}");
	TL_ASSERT_HAS(out, "\"natt\":{\"version\":0,\"version_name\":\"none\",\"nat_local\":false,"
	                   "\"nat_remote\":false,\"floated\":false}");
	TL_ASSERT_HAS(out, "\"children\":{\"installed\":0,\"total\":0}");
	TL_ASSERT_HAS(
	    out,
	    "\"sas_deleted\":0,\"children_created\":7,\"children_installed\":5,"
	    "\"children_failed\":2,\"children_deleted\":4,\"natt_keepalives_out\":0,\"dpd\":{"
	    "\"r_u_there_out\":0,\"r_u_there_in\":0,\"ack_out\":0,\"ack_in\":0,\"ack_bad_seq\":0,"
	    "\"peers_dead\":0},\"initial_contact_deleted\":0,\"causes\":{");
	TL_ASSERT_HAS(out, "\"dpd\":{\"peer_supports\":false,\"waiting\":false,\"seq_out\":0,");
	strbuf_free(&out);
}
END_TEST

/* ---------------------------------------------------------------- show ikemon peers */

struct peers {
	struct ike_peer_cfg cfg[8];
	struct ike_peer_status st[8];
	struct ike_sa sa[8];
	size_t n;
};

static struct ike_peer_status *add_peer(struct peers *p, const char *name, const char *remote,
                                        uint16_t port, uint8_t prefix, enum ike_auto a)
{
	struct ike_peer_cfg *cfg;
	struct ike_peer_status *st;

	ck_assert_uint_lt(p->n, 8);
	cfg = &p->cfg[p->n];
	st = &p->st[p->n];
	memset(cfg, 0, sizeof(*cfg));
	memset(st, 0, sizeof(*st));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	if (strcmp(remote, "%any") == 0)
		cfg->remote_any = true;
	else
		tl_set_addr(&cfg->remote, remote, port);
	cfg->remote_prefix = prefix;
	cfg->autostart = a;
	/* a secret that must never show */
	memcpy(cfg->psk, "s3cret-psk", 10);
	cfg->psk_len = 10;
	st->cfg = cfg;
	p->n++;
	return st;
}

/* Give the peer an IKE SA in a Cisco state. */
static void peer_sa(struct peers *p, struct ike_peer_status *st, uint32_t conn_id,
                    enum cisco_state cisco)
{
	struct ike_sa *sa = &p->sa[st - p->st];

	memset(sa, 0, sizeof(*sa));
	sa->local_id.value = sa->remote_id.value = sa->peer_cert = ""; /* as ike_sa_create() */
	sa->conn_id = conn_id;
	sa->state = state_for(cisco);
	tl_set_addr(&sa->local, "192.0.2.1", 500);
	sa->remote = st->cfg->remote;
	st->ike = sa;
}

static void build_peers(struct peers *p)
{
	struct ike_peer_status *st;

	st = add_peer(p, "branch1", "15.0.0.1", 500, 32, IKE_AUTO_START);
	peer_sa(p, st, 1001, CISCO_QM_IDLE);
	st->children_wanted = 2;
	st->children_up = 2;
	st->up = true;
	st->stats.traffic.dpd_r_u_there_out = 7;
	st->stats.traffic.dpd_r_u_there_in = 3;
	st->stats.traffic.dpd_ack_out = 3;
	st->stats.traffic.dpd_ack_in = 6;
	st = add_peer(p, "spoke2", "127.0.0.3", 500, 32, IKE_AUTO_START);
	peer_sa(p, st, 1002, CISCO_MM_KEY_EXCH);
	st->children_wanted = 1;
	st = add_peer(p, "probe-p1", "198.51.100.7", 4500, 32, IKE_AUTO_START);
	peer_sa(p, st, 1003, CISCO_QM_IDLE);
	st->up = true;
	st = add_peer(p, "roadwarriors", "%any", 0, 0, IKE_AUTO_ADD);
	st->children_wanted = 1;
	add_peer(p, "branches", "10.0.0.0", 500, 8, IKE_AUTO_ADD);
	st = add_peer(p, "v6-gw", "2001:db8::1", 4500, 128, IKE_AUTO_START);
	peer_sa(p, st, 1009, CISCO_QM_IDLE);
	st->children_wanted = 4;
	st->children_up = 3;
	st = add_peer(p, "a-very-long-peer-name-of-32-char", "192.0.2.200", 500, 32, IKE_AUTO_ADD);
	peer_sa(p, st, 12345, CISCO_MM_NO_STATE);
	st->children_wanted = 1;
}

START_TEST(test_peers_table)
{
	struct peers p = {0};
	struct strbuf out;

	build_peers(&p);
	strbuf_init(&out);
	show_peers(&out, p.st, p.n);
	tl_assert_golden(&out, "peers_table.txt");
	ck_assert_ptr_null(strstr(out.s, "s3cret"));
	strbuf_free(&out);

	strbuf_init(&out);
	show_peers(&out, NULL, 0);
	tl_assert_golden(&out, "peers_empty.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_peers_json)
{
	static const char head[] =
	    "{\"peers\":[{\"name\":\"branch1\",\"remote\":\"15.0.0.1\",\"remote_any\":false,"
	    "\"remote_prefix\":32,\"local\":null,\"auto\":\"start\",\"up\":true,\"status\":\"up\","
	    "\"health\":\"up\",\"cause\":\"none\",\"cause_detail\":\"\",\"alarm_seq\":null,"
	    "\"ike\":{\"conn_id\":1001,";
	struct peers p = {0};
	struct strbuf out;

	build_peers(&p);
	strbuf_init(&out);
	show_peers_json(&out, p.st, p.n);
	ck_assert_msg(tl_json_valid(out.s, out.len), "invalid JSON: %s", out.s);
	ck_assert_ptr_null(strstr(out.s, "s3cret"));
	ck_assert_ptr_null(strstr(out.s, "psk"));
	ck_assert_int_eq(strncmp(out.s, head, strlen(head)), 0);
	TL_ASSERT_HAS(out, "\"cisco_state\":\"QM_IDLE\",\"local\":{\"address\":\"192.0.2.1\","
	                   "\"port\":500},\"remote\":{\"address\":\"15.0.0.1\",\"port\":500}");
	TL_ASSERT_HAS(out, "\"children\":{\"wanted\":2,\"up\":2},\"dpd\":{\"r_u_there_out\":7,"
	                   "\"r_u_there_in\":3,\"ack_out\":3,\"ack_in\":6},"
	                   "\"rekeys\":{\"ike\":0,\"ipsec\":0,\"failed\":0}}");
	TL_ASSERT_HAS(out, "\"cisco_state\":\"MM_KEY_EXCH\"");
	TL_ASSERT_HAS(out, "\"remote\":\"198.51.100.7:4500\"");
	TL_ASSERT_HAS(out, "{\"name\":\"roadwarriors\",\"remote\":\"%any\",\"remote_any\":true,"
	                   "\"remote_prefix\":null,\"local\":null,\"auto\":\"add\",\"up\":false,"
	                   "\"status\":\"down\",\"health\":\"down\",\"cause\":\"none\","
	                   "\"cause_detail\":\"\",\"alarm_seq\":null,\"ike\":null,"
	                   "\"children\":{\"wanted\":1,\"up\":0},\"dpd\":{\"r_u_there_out\":0,"
	                   "\"r_u_there_in\":0,\"ack_out\":0,\"ack_in\":0},"
	                   "\"rekeys\":{\"ike\":0,\"ipsec\":0,\"failed\":0}}");
	TL_ASSERT_HAS(out, "\"remote\":\"10.0.0.0/8\"");
	TL_ASSERT_HAS(out, "\"remote\":\"[2001:db8::1]:4500\",\"remote_any\":false,"
	                   "\"remote_prefix\":128");
	ck_assert_int_eq(out.s[out.len - 1], '\n');
	strbuf_free(&out);

	strbuf_init(&out);
	show_peers_json(&out, NULL, 0);
	ck_assert_str_eq(out.s, "{\"peers\":[]}\n");
	strbuf_free(&out);
}
END_TEST

/*
 * The detector's view of build_peers(): a stalled peer with an alarm and a cause, a
 * phase-2 stall, idle auto=add peers, and a cause that must not show on a peer that is up.
 */
static void build_rows(const struct peers *p, struct show_peer_row *rows)
{
	static const struct {
		enum peer_health health;
		enum ike_cause cause;
		const char *detail;
		uint64_t alarm;
	} view[] = {
	    {PEER_UP, IKE_CAUSE_KEY_MISMATCH, "stale: up since", 0},
	    {PEER_DOWN, IKE_CAUSE_KEY_MISMATCH, "MM5 from the peer does not decrypt", 3},
	    {PEER_UP, IKE_CAUSE_NONE, "", 0},
	    {PEER_IDLE, IKE_CAUSE_NONE, NULL, 0},
	    {PEER_IDLE, IKE_CAUSE_NONE, "", 0},
	    {PEER_NEGOTIATING, IKE_CAUSE_PROXY_ID_MISMATCH, "INVALID-ID-INFORMATION in QM2", 7},
	    {PEER_NEGOTIATING, IKE_CAUSE_NONE, "", 0},
	};

	ck_assert_uint_eq(p->n, sizeof(view) / sizeof(view[0]));
	for (size_t i = 0; i < p->n; i++) {
		rows[i].st = p->st[i];
		rows[i].health = view[i].health;
		rows[i].cause = view[i].cause;
		rows[i].cause_detail = view[i].detail;
		rows[i].alarm_seq = view[i].alarm;
	}
}

START_TEST(test_peers_health_table)
{
	struct peers p = {0};
	struct show_peer_row rows[8];
	struct strbuf out;

	build_peers(&p);
	build_rows(&p, rows);
	strbuf_init(&out);
	show_peer_rows(&out, rows, p.n);
	tl_assert_golden(&out, "peers_health.txt");
	ck_assert_ptr_null(strstr(out.s, "s3cret"));
	strbuf_free(&out);

	strbuf_init(&out);
	show_peer_rows(&out, NULL, 0);
	tl_assert_golden(&out, "peers_empty.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_peers_health_json)
{
	struct peers p = {0};
	struct show_peer_row rows[8];
	struct strbuf out;

	build_peers(&p);
	build_rows(&p, rows);
	strbuf_init(&out);
	show_peer_rows_json(&out, rows, p.n);
	ck_assert_msg(tl_json_valid(out.s, out.len), "invalid JSON: %s", out.s);
	ck_assert_ptr_null(strstr(out.s, "s3cret"));
	/* up: the stale cause is not news */
	TL_ASSERT_HAS(out, "\"name\":\"branch1\",");
	TL_ASSERT_HAS(out, "\"status\":\"up\",\"health\":\"up\",\"cause\":\"none\","
	                   "\"cause_detail\":\"\",\"alarm_seq\":null,\"ike\":{\"conn_id\":1001,");
	ck_assert_ptr_null(strstr(out.s, "stale"));
	TL_ASSERT_HAS(out,
	              "\"status\":\"down\",\"health\":\"down\",\"cause\":\"key-mismatch\","
	              "\"cause_detail\":\"MM5 from the peer does not decrypt\",\"alarm_seq\":3,"
	              "\"ike\":{\"conn_id\":1002,");
	TL_ASSERT_HAS(out, "\"name\":\"roadwarriors\",");
	TL_ASSERT_HAS(out, "\"health\":\"idle\",\"cause\":\"none\",\"cause_detail\":\"\","
	                   "\"alarm_seq\":null,\"ike\":null,");
	TL_ASSERT_HAS(out, "\"health\":\"negotiating\",\"cause\":\"proxy-id-mismatch\","
	                   "\"cause_detail\":\"INVALID-ID-INFORMATION in QM2\",\"alarm_seq\":7,"
	                   "\"ike\":{\"conn_id\":1009,");
	strbuf_free(&out);

	strbuf_init(&out);
	show_peer_rows_json(&out, NULL, 0);
	ck_assert_str_eq(out.s, "{\"peers\":[]}\n");
	strbuf_free(&out);
}
END_TEST

static Suite *show_ipsec_suite(void)
{
	Suite *s = suite_create("show_ipsec");
	TCase *ipsec = tcase_create("ipsec");
	TCase *json = tcase_create("json");
	TCase *peers = tcase_create("peers");

	tcase_add_test(ipsec, test_ipsec_empty);
	tcase_add_test(ipsec, test_ipsec_tunnel_pfs);
	tcase_add_test(ipsec, test_ipsec_transport);
	tcase_add_test(ipsec, test_ipsec_natt);
	tcase_add_test(ipsec, test_ipsec_pending);
	tcase_add_test(ipsec, test_ipsec_skip);
	tcase_add_test(ipsec, test_ipsec_selectors);
	tcase_add_test(json, test_ipsec_json);
	tcase_add_test(json, test_isakmp_json_phase2);
	tcase_add_test(peers, test_peers_table);
	tcase_add_test(peers, test_peers_json);
	tcase_add_test(peers, test_peers_health_table);
	tcase_add_test(peers, test_peers_health_json);
	suite_add_tcase(s, ipsec);
	suite_add_tcase(s, json);
	suite_add_tcase(s, peers);
	return s;
}

int main(void)
{
	return tl_run(show_ipsec_suite());
}

#ifdef TEST_SHOW_IPSEC_FAKE_IKE
/* Stand-in for ike/child.c while it is being written. */
const char *ike_child_state_name(enum ike_child_state s)
{
	static const char *const names[] = {"UNKNOWN", "QM_I1", "QM_R1", "INSTALLED", "DELETED"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : names[0];
}

#endif /* TEST_SHOW_IPSEC_FAKE_IKE */
