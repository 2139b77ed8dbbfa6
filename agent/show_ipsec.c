/*
 * show_ipsec.c - `show crypto ipsec sa`: the phase-2 SAs under each IKE SA, in IOS's
 * layout and as JSON.  Read-only, like every view: it walks sa->children and never
 * touches the engine-private exchange state (nonces, KEYMAT), so no secret can leak here.
 *
 * The layout follows IOS 15 / IOS-XE captures line for line (see the shared
 * CISCO-CLI.md), because NOCs run the same parsers on it as on routers.  Where ikemon
 * has nothing to say (packet counters, MTUs, IV and replay lines: there is no data plane)
 * the line is left out rather than filled with invented values.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "agent/show.h"
#include "ike/ike.h"

/* What IOS prints as the kilobyte lifetime when none is configured (its default). */
#define IOS_DEFAULT_LIFE_KB 4608000u

/*
 * sibling_flags is an IOS-internal bit set; in the captures bit 0x40 goes with tunnel
 * mode (plain or UDP-encapsulated) and is clear in transport mode.  The higher bits some
 * platforms add (FFFFFFFF..., 0x4000, 0x8) describe their hardware and are not copied.
 */
#define IOS_SIBLING_FLAGS       0x80000000u
#define IOS_SIBLING_FLAG_TUNNEL 0x40u

/* ---------------------------------------------------------------- addresses */

unsigned int show_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* ---------------------------------------------------------------- transform names */

/*
 * IOS's names in `show crypto ipsec sa`: the key length goes before "aes" ("esp-256-aes",
 * "esp-192-aes"; AES-128 is plain "esp-aes"), unlike the transform-set syntax
 * ("esp-aes 256").  JSON uses strongSwan's keywords, as the config does.
 */
static const char *esp_encr_ios(const struct ike_child_transform *xf, char *buf, size_t len)
{
	switch (xf->encr) {
	case ESP_AES:
		if (xf->keylen == 192)
			return "esp-192-aes";
		if (xf->keylen == 256)
			return "esp-256-aes";
		return "esp-aes";
	case ESP_3DES:
		return "esp-3des";
	case ESP_DES:
		return "esp-des";
	case ESP_NULL:
		return "esp-null";
	}
	snprintf(buf, len, "esp-encr-%u", (unsigned)xf->encr);
	return buf;
}

static const char *esp_encr_json(const struct ike_child_transform *xf)
{
	switch (xf->encr) {
	case ESP_AES:
		if (xf->keylen == 192)
			return "aes192";
		if (xf->keylen == 256)
			return "aes256";
		return xf->keylen == 128 ? "aes128" : "aes";
	case ESP_3DES:
		return "3des";
	case ESP_DES:
		return "des";
	case ESP_NULL:
		return "null";
	}
	return NULL;
}

struct auth_name {
	uint16_t auth;
	const char *ios;  /* transform token; NULL prints none */
	const char *json; /* strongSwan keyword */
};

static const struct auth_name auth_names[] = {
    {IPSEC_AUTH_NONE, NULL, "none"},
    {IPSEC_AUTH_HMAC_MD5, "esp-md5-hmac", "md5"},
    {IPSEC_AUTH_HMAC_SHA1, "esp-sha-hmac", "sha1"},
    {IPSEC_AUTH_HMAC_SHA2_256, "esp-sha256-hmac", "sha256"},
    {IPSEC_AUTH_HMAC_SHA2_384, "esp-sha384-hmac", "sha384"},
    {IPSEC_AUTH_HMAC_SHA2_512, "esp-sha512-hmac", "sha512"},
};

static const struct auth_name *auth_find(uint16_t auth)
{
	for (size_t i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (auth_names[i].auth == auth)
			return &auth_names[i];
	return NULL;
}

/* "esp-aes esp-sha-hmac ", "esp-aes " without integrity: the token list IOS prints. */
static void transform_ios(const struct ike_child_transform *xf, char *buf, size_t len)
{
	const struct auth_name *a = auth_find(xf->auth);
	char eb[24];

	if (a == NULL)
		snprintf(buf, len, "%s esp-auth-%u ", esp_encr_ios(xf, eb, sizeof(eb)),
		         (unsigned)xf->auth);
	else if (a->ios == NULL)
		snprintf(buf, len, "%s ", esp_encr_ios(xf, eb, sizeof(eb)));
	else
		snprintf(buf, len, "%s %s ", esp_encr_ios(xf, eb, sizeof(eb)), a->ios);
}

static bool mode_is_tunnel(uint16_t mode)
{
	return mode == IPSEC_MODE_TUNNEL || mode == IPSEC_MODE_UDP_TUNNEL ||
	       mode == IPSEC_MODE_UDP_TUNNEL_DRAFT;
}

/* IOS's "in use settings"; the UDP modes of RFC 3947 and of the drafts read the same. */
static const char *mode_ios(uint16_t mode)
{
	switch (mode) {
	case IPSEC_MODE_TUNNEL:
		return "Tunnel";
	case IPSEC_MODE_TRANSPORT:
		return "Transport";
	case IPSEC_MODE_UDP_TUNNEL:
	case IPSEC_MODE_UDP_TUNNEL_DRAFT:
		return "Tunnel UDP-Encaps";
	case IPSEC_MODE_UDP_TRANSPORT:
	case IPSEC_MODE_UDP_TRANSPORT_DRAFT:
		return "Transport UDP-Encaps";
	}
	return "Unknown";
}

static const char *mode_json(uint16_t mode)
{
	switch (mode) {
	case IPSEC_MODE_TUNNEL:
		return "tunnel";
	case IPSEC_MODE_TRANSPORT:
		return "transport";
	case IPSEC_MODE_UDP_TUNNEL:
	case IPSEC_MODE_UDP_TUNNEL_DRAFT:
		return "udp-tunnel";
	case IPSEC_MODE_UDP_TRANSPORT:
	case IPSEC_MODE_UDP_TRANSPORT_DRAFT:
		return "udp-transport";
	}
	return NULL;
}

/* ---------------------------------------------------------------- selectors */

static size_t ts_addr_len(const struct ike_ts *ts)
{
	return ts->family == AF_INET ? 4 : 16;
}

/* The prefix length whose block is exactly from..to, or -1 (a range IOS cannot show). */
static int range_as_prefix(const struct ike_ts *ts)
{
	size_t n = ts_addr_len(ts);

	for (int p = 0; p <= (int)(n * 8); p++) {
		bool ok = true;

		for (size_t i = 0; i < n && ok; i++) {
			int bits = p - (int)i * 8;
			uint8_t host = bits >= 8 ? 0 : bits <= 0 ? 0xff : (uint8_t)(0xff >> bits);

			ok = (ts->from[i] & host) == 0 && (ts->to[i] & host) == host &&
			     (ts->from[i] & ~host & 0xff) == (ts->to[i] & ~host & 0xff);
		}
		if (ok)
			return p;
	}
	return -1;
}

/* "255.255.255.0" for /24. */
static void dotted_mask(unsigned int prefix, char *buf, size_t len)
{
	uint32_t m = prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);

	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(m >> 24), (unsigned)(m >> 16 & 0xff),
	         (unsigned)(m >> 8 & 0xff), (unsigned)(m & 0xff));
}

/*
 * IOS's "(addr/mask/prot/port)": an IPv4 mask dotted, an IPv6 one as a prefix length
 * ("(2001:db8::/64/0/0)", as IOS prints IPv6 idents).  A range that is one subnet prints
 * as that subnet.  Any other range has no IOS form: it prints "(FROM-TO/prot/port)", with
 * no mask field, so that a parser expecting a mask skips the line instead of recording
 * an invented one.
 */
static void ident_ios(const struct ike_ts *ts, char *buf, size_t len)
{
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN], mask[16];
	int af = ts->family, prefix = ts->prefix;

	if ((af != AF_INET && af != AF_INET6) ||
	    inet_ntop(af, ts->from, from, sizeof(from)) == NULL ||
	    inet_ntop(af, ts->to, to, sizeof(to)) == NULL) {
		snprintf(buf, len, "(none)");
		return;
	}
	if (ts->kind == IKE_TS_RANGE && (prefix = range_as_prefix(ts)) < 0) {
		snprintf(buf, len, "(%s-%s/%u/%u)", from, to, (unsigned)ts->proto,
		         (unsigned)ts->port);
		return;
	}
	if (af == AF_INET6) {
		snprintf(buf, len, "(%s/%d/%u/%u)", from, prefix, (unsigned)ts->proto,
		         (unsigned)ts->port);
		return;
	}
	dotted_mask((unsigned)prefix, mask, sizeof(mask));
	snprintf(buf, len, "(%s/%s/%u/%u)", from, mask, (unsigned)ts->proto, (unsigned)ts->port);
}

/* ---------------------------------------------------------------- flows */

/*
 * IOS lists SAs under the flow (pair of selectors) they protect: during a rekey the old
 * and the new pair sit under one ident.  Children are grouped the same way; deleted ones
 * are not shown (see show.h).
 */
static bool child_shown(const struct ike_child *c)
{
	return c->state != IKE_CHILD_DELETED;
}

static bool same_flow(const struct ike_child *a, const struct ike_child *b)
{
	return ike_ts_equal(&a->local_ts, &b->local_ts) &&
	       ike_ts_equal(&a->remote_ts, &b->remote_ts);
}

/* Whether c is the first shown child of its flow (the one that prints the block). */
static bool flow_leader(const struct ike_sa *sa, const struct ike_child *c)
{
	for (const struct ike_child *p = sa->children; p != c; p = p->next)
		if (child_shown(p) && same_flow(p, c))
			return false;
	return true;
}

/* The newest installed child of the flow: its SPI is IOS's "current outbound spi". */
static const struct ike_child *flow_current(const struct ike_child *leader)
{
	const struct ike_child *cur = NULL;

	for (const struct ike_child *c = leader; c != NULL; c = c->next)
		if (c->state == IKE_CHILD_INSTALLED && same_flow(c, leader))
			cur = c;
	return cur;
}

static bool sa_has_shown_child(const struct ike_sa *sa)
{
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (child_shown(c))
			return true;
	return false;
}

static const char *peer_name(const struct ike_sa *sa)
{
	return sa->peer[0] != '\0' ? sa->peer : "(none)";
}

/* ---------------------------------------------------------------- the IOS text */

static unsigned long seconds_left(const struct ike_child *c, time_t now_wall)
{
	long long left;

	if (c->expires_wall == 0)
		return c->xf.life_s;
	left = (long long)c->expires_wall - (long long)now_wall;
	return left > 0 ? (unsigned long)left : 0;
}

/*
 * One SA of a pair.  "conn id" is the IKE SA's conn-id and "flow_id: SW:" the child's
 * index under it: the pair the MIB indexes phase-2 SAs by, so an operator can go from
 * this line to `clear crypto isakmp CONN-ID` or to a MIB row.  (IOS numbers its crypto
 * engine connections separately per direction; ikemon has no engine to number.)
 */
static void esp_sa(struct strbuf *out, const struct ike_sa *sa, const struct ike_child *c,
                   uint32_t spi, time_t now_wall)
{
	char xf[64];
	uint32_t flags = IOS_SIBLING_FLAGS;

	if (mode_is_tunnel(c->xf.mode))
		flags |= IOS_SIBLING_FLAG_TUNNEL;
	transform_ios(&c->xf, xf, sizeof(xf));
	strbuf_printf(out, "      spi: 0x%" PRIX32 "(%" PRIu32 ")\n", spi, spi);
	strbuf_printf(out, "        transform: %s,\n", xf);
	strbuf_printf(out, "        in use settings ={%s, }\n", mode_ios(c->xf.mode));
	strbuf_printf(out,
	              "        conn id: %" PRIu32 ", flow_id: SW:%" PRIu32
	              ", sibling_flags %08" PRIX32 ", crypto map: %s\n",
	              c->conn_id, c->index, flags, peer_name(sa));
	strbuf_printf(out, "        sa timing: remaining key lifetime (k/sec): (%lu/%lu)\n",
	              (unsigned long)(c->xf.life_kb != 0 ? c->xf.life_kb : IOS_DEFAULT_LIFE_KB),
	              seconds_left(c, now_wall));
	strbuf_printf(out, "        Status: ACTIVE(ACTIVE)\n");
}

/* "inbound esp sas:" and its SAs (every installed child of the flow), then AH and PCP. */
static void esp_section(struct strbuf *out, const struct ike_sa *sa, const struct ike_child *leader,
                        bool inbound, time_t now_wall)
{
	const char *dir = inbound ? "inbound" : "outbound";

	strbuf_printf(out, "     %s esp sas:\n", dir);
	for (const struct ike_child *c = leader; c != NULL; c = c->next)
		if (c->state == IKE_CHILD_INSTALLED && same_flow(c, leader))
			esp_sa(out, sa, c, inbound ? c->spi_in : c->spi_out, now_wall);
	strbuf_printf(out, "\n     %s ah sas:\n\n     %s pcp sas:\n\n", dir, dir);
}

static void flow_block(struct strbuf *out, const struct ike_sa *sa, const struct ike_child *leader,
                       time_t now_wall)
{
	const struct ike_child *cur = flow_current(leader);
	const struct ike_child *shown = cur != NULL ? cur : leader;
	char lid[128], rid[128], local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
	bool v6 = sa->remote.ss_family == AF_INET6;
	uint32_t spi_out = cur != NULL ? cur->spi_out : 0;

	ident_ios(&leader->local_ts, lid, sizeof(lid));
	ident_ios(&leader->remote_ts, rid, sizeof(rid));
	show_addr(&sa->local, v6, local, sizeof(local));
	show_addr(&sa->remote, v6, remote, sizeof(remote));
	strbuf_printf(out, "   protected vrf: (none)\n");
	strbuf_printf(out, "   local  ident (addr/mask/prot/port): %s\n", lid);
	strbuf_printf(out, "   remote ident (addr/mask/prot/port): %s\n", rid);
	strbuf_printf(out, "   current_peer %s port %u\n", remote, show_port(&sa->remote));
	strbuf_printf(out, "     PERMIT, flags={origin_is_acl,}\n\n");
	strbuf_printf(out, "     local crypto endpt.: %s, remote crypto endpt.: %s\n", local,
	              remote);
	strbuf_printf(out, "     current outbound spi: 0x%" PRIX32 "(%" PRIu32 ")\n", spi_out,
	              spi_out);
	if (shown->xf.group != 0)
		strbuf_printf(out, "     PFS (Y/N): Y, DH group: group%u\n\n",
		              (unsigned)shown->xf.group);
	else
		strbuf_printf(out, "     PFS (Y/N): N, DH group: none\n\n");
	esp_section(out, sa, leader, true, now_wall);
	esp_section(out, sa, leader, false, now_wall);
}

/*
 * IOS heads each block with the interface its crypto map is applied to.  ikemon has no
 * interface: it prints "(none)", IOS's own word for an absent value ("protected vrf:
 * (none)", "crypto map: (none)"), rather than leave the line out, because parsers (Genie,
 * TextFSM templates) start a block at "interface:" and would otherwise attach these SAs
 * to nothing or to the previous block.  One header per IKE SA: its peer plays the part
 * of the crypto map, and its local address is the one the SA uses.
 */
static void sa_block(struct strbuf *out, const struct ike_sa *sa, time_t now_wall)
{
	char local[INET6_ADDRSTRLEN];

	strbuf_printf(out, "interface: (none)\n");
	strbuf_printf(
	    out, "    Crypto map tag: %s, local addr %s\n\n", peer_name(sa),
	    show_addr(&sa->local, sa->remote.ss_family == AF_INET6, local, sizeof(local)));
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (child_shown(c) && flow_leader(sa, c))
			flow_block(out, sa, c, now_wall);
}

void show_ipsec_sa(struct strbuf *out, const struct ike_sa *first, time_t now_wall)
{
	for (const struct ike_sa *sa = first; sa != NULL; sa = sa->next)
		if (sa_has_shown_child(sa))
			sa_block(out, sa, now_wall);
}

/* ---------------------------------------------------------------- JSON */

static void jw_name_or_null(struct jw *w, const char *key, const char *name)
{
	if (name == NULL)
		jw_null(w, key);
	else
		jw_str(w, key, name);
}

static void jw_spi(struct jw *w, const char *key, const char *hex_key, uint32_t spi)
{
	char hex[16];

	jw_u64(w, key, spi);
	snprintf(hex, sizeof(hex), "0x%08" PRIx32, spi);
	jw_str(w, hex_key, hex);
}

static void jw_child_transform(struct jw *w, const struct ike_child_transform *xf)
{
	const struct auth_name *a = auth_find(xf->auth);
	struct ike_esp_proposal p = {xf->encr, xf->keylen, xf->auth, xf->group};
	char prop[64], ios[64];

	jw_open(w, "transform", '{');
	jw_u64(w, "protocol", xf->protocol);
	jw_str(w, "protocol_name", xf->protocol == IPSEC_PROTO_ESP ? "esp" : "unknown");
	jw_u64(w, "encr", xf->encr);
	jw_name_or_null(w, "encr_name", esp_encr_json(xf));
	jw_u64(w, "keylen", xf->keylen);
	jw_u64(w, "auth", xf->auth);
	jw_name_or_null(w, "auth_name", a != NULL ? a->json : NULL);
	jw_u64(w, "group", xf->group);
	jw_u64(w, "mode", xf->mode);
	jw_name_or_null(w, "mode_name", mode_json(xf->mode));
	jw_u64(w, "life_s", xf->life_s);
	jw_u64(w, "life_kb", xf->life_kb);
	if (xf->encr == 0) {
		/* Quick Mode not answered yet: nothing chosen to name */
		jw_null(w, "proposal");
		jw_null(w, "ios");
	} else {
		transform_ios(xf, ios, sizeof(ios));
		ios[strlen(ios) - 1] = '\0'; /* the trailing blank belongs to IOS's line */
		jw_str(w, "proposal", ike_esp_proposal_format(&p, prop, sizeof(prop)));
		jw_str(w, "ios", ios);
	}
	jw_close(w, '}');
}

/* A selector as text (the config's syntax) and as numbers. */
static void jw_ts(struct jw *w, const char *key, const struct ike_ts *ts)
{
	char text[128], from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
	bool known = ts->family == AF_INET || ts->family == AF_INET6;

	jw_open(w, key, '{');
	jw_str(w, "text", ike_ts_format(ts, text, sizeof(text)));
	jw_u64(w, "family", known ? (ts->family == AF_INET ? 4 : 6) : 0);
	jw_str(w, "kind", ts->kind == IKE_TS_RANGE ? "range" : "subnet");
	if (known && inet_ntop(ts->family, ts->from, from, sizeof(from)) != NULL)
		jw_str(w, "from", from);
	else
		jw_null(w, "from");
	if (known && ts->kind == IKE_TS_RANGE &&
	    inet_ntop(ts->family, ts->to, to, sizeof(to)) != NULL)
		jw_str(w, "to", to);
	else
		jw_null(w, "to");
	if (ts->kind == IKE_TS_RANGE)
		jw_null(w, "prefix");
	else
		jw_u64(w, "prefix", ts->prefix);
	jw_u64(w, "proto", ts->proto);
	jw_u64(w, "port", ts->port);
	jw_close(w, '}');
}

static double child_seconds_in_state(const struct ike_child *c, const struct timespec *now)
{
	double s = (double)(now->tv_sec - c->state_entered.tv_sec) +
	           (double)(now->tv_nsec - c->state_entered.tv_nsec) / 1e9;

	return s < 0 ? 0 : s;
}

static const char *child_role(int role)
{
	if (role == IKE_ROLE_INITIATOR)
		return "initiator";
	if (role == IKE_ROLE_RESPONDER)
		return "responder";
	return "unknown";
}

static void jw_child(struct jw *w, const struct ike_sa *sa, const struct ike_child *c,
                     const struct timespec *now)
{
	jw_open(w, NULL, '{');
	jw_u64(w, "conn_id", c->conn_id);
	jw_u64(w, "index", c->index);
	jw_u64(w, "cfg_index", c->cfg_index);
	jw_str(w, "peer", sa->peer);
	jw_endpoint(w, "local", &sa->local);
	jw_endpoint(w, "remote", &sa->remote);
	jw_str(w, "role", child_role(c->role));
	jw_str(w, "state", ike_child_state_name(c->state));
	jw_key(w, "seconds_in_state");
	strbuf_printf(w->b, "%.3f", child_seconds_in_state(c, now));
	jw_u64(w, "msgid", c->msgid);
	jw_spi(w, "spi_in", "spi_in_hex", c->spi_in);
	jw_spi(w, "spi_out", "spi_out_hex", c->spi_out);
	jw_child_transform(w, &c->xf);
	jw_ts(w, "local_ts", &c->local_ts);
	jw_ts(w, "remote_ts", &c->remote_ts);
	jw_time(w, "created", c->created_wall);
	jw_time(w, "established", c->established_wall);
	jw_time(w, "expires", c->expires_wall);
	jw_u64(w, "retransmits", c->retransmits);
	jw_str(w, "last_cause", ike_cause_id(c->last_cause));
	jw_str(w, "cause_detail", c->cause_detail);
	jw_str(w, "delete_reason", ike_cause_id(c->delete_reason));
	jw_close(w, '}');
}

void show_ipsec_sa_json(struct strbuf *out, const struct ike_sa *first,
                        const struct timespec *now_mono)
{
	struct jw w = {out, false};
	struct timespec now;

	if (now_mono == NULL) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		now_mono = &now;
	}
	jw_open(&w, NULL, '{');
	jw_open(&w, "children", '[');
	for (const struct ike_sa *sa = first; sa != NULL; sa = sa->next)
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
			jw_child(&w, sa, c, now_mono);
	jw_close(&w, ']');
	jw_close(&w, '}');
	strbuf_append(out, "\n", 1);
}
