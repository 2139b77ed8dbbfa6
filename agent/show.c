/*
 * show.c - `show crypto isakmp sa` in the three shapes the CLI offers: the IOS summary,
 * the IOS detail table and JSON.  Everything here reads SA records and writes text; it
 * never changes an SA and never touches a secret (the SA record holds none: keys live in
 * the engine-private exchange state, which is not read here).
 *
 * The IOS layouts are copied column for column from device captures (see the shared
 * CISCO-CLI.md): operators feed this text to the same parsers they run on routers, so a
 * moved space is a bug.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/show.h"
#include "ike/ike.h"
#include "ike/natt.h"

/* Largest output we build: far above any real table, low enough to bound a request. */
#define STRBUF_MAX ((size_t)64 << 20)
#define STRBUF_MIN 256

/* IOS 15 numbers ISAKMP SAs from 1001 and its crypto engine connections from 1. */
#define IOS_ENGINE_CONN_BASE (IKE_CONN_ID_FIRST - 1)

/* ---------------------------------------------------------------- strbuf */

void strbuf_init(struct strbuf *b)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

void strbuf_free(struct strbuf *b)
{
	free(b->s);
	strbuf_init(b);
}

/*
 * Make room for extra bytes plus the terminating NUL.  Doubling keeps appends amortised
 * O(1); the cap turns a runaway view into a clean error instead of an OOM kill.
 */
static bool strbuf_reserve(struct strbuf *b, size_t extra)
{
	size_t need, cap;
	char *s;

	if (b->oom)
		return false;
	if (extra >= STRBUF_MAX - b->len) {
		b->oom = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap > 0 ? b->cap : STRBUF_MIN;
	while (cap < need)
		cap *= 2;
	if (cap > STRBUF_MAX)
		cap = STRBUF_MAX;
	s = realloc(b->s, cap);
	if (s == NULL) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void strbuf_append(struct strbuf *b, const char *s, size_t len)
{
	if (!strbuf_reserve(b, len))
		return;
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* First pass measures; the second writes into a buffer known to be large enough. */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!strbuf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void strbuf_puts(struct strbuf *b, const char *s)
{
	strbuf_append(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most left bytes), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* reject overlong forms, surrogates and values past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Identities come off the wire, so a value may hold any byte: control characters are
 * escaped and bytes that are not valid UTF-8 become U+FFFD, which keeps the document
 * valid JSON whatever a peer sent.
 */
void strbuf_json_string(struct strbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;

	strbuf_append(b, "\"", 1);
	while (left > 0) {
		if (*p == '"' || *p == '\\') {
			strbuf_printf(b, "\\%c", *p);
			n = 1;
		} else if (*p == '\n') {
			strbuf_append(b, "\\n", 2);
			n = 1;
		} else if (*p == '\t') {
			strbuf_append(b, "\\t", 2);
			n = 1;
		} else if (*p < 0x20 || *p == 0x7f) {
			strbuf_printf(b, "\\u%04x", *p);
			n = 1;
		} else if ((n = utf8_seq_len(p, left)) == 0) {
			strbuf_append(b, "\\ufffd", 6);
			n = 1;
		} else {
			strbuf_append(b, (const char *)p, n);
		}
		p += n;
		left -= n;
	}
	strbuf_append(b, "\"", 1);
}

/* ---------------------------------------------------------------- SA fields */

static bool sa_is_v6(const struct ike_sa *sa)
{
	return sa->remote.ss_family == AF_INET6;
}

static bool sa_deleted(const struct ike_sa *sa)
{
	return sa->state == IKE_ST_DELETED;
}

/* IOS shows a deleted SA as MM_NO_STATE whatever it went through before. */
static const char *sa_cisco_state(const struct ike_sa *sa)
{
	if (sa_deleted(sa))
		return cisco_state_name(CISCO_MM_NO_STATE);
	return cisco_state_name(ike_state_cisco(sa->state));
}

static const char *sa_status(const struct ike_sa *sa)
{
	return sa_deleted(sa) ? "ACTIVE (deleted)" : "ACTIVE";
}

/*
 * Printable address.  An address the engine has not learnt yet (family 0: bound to the
 * wildcard) prints as the unspecified address of the SA's family, as a router would.
 */
const char *show_addr(const struct sockaddr_storage *ss, bool v6, char *buf, size_t len)
{
	const void *a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		return v6 ? "::" : "0.0.0.0";
	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		return v6 ? "::" : "0.0.0.0";
	return buf;
}

static unsigned int addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* dst is the responder and src the initiator, as IOS prints them. */
static const struct sockaddr_storage *sa_dst(const struct ike_sa *sa)
{
	return sa->role == IKE_ROLE_INITIATOR ? &sa->remote : &sa->local;
}

static const struct sockaddr_storage *sa_src(const struct ike_sa *sa)
{
	return sa->role == IKE_ROLE_INITIATOR ? &sa->local : &sa->remote;
}

/* ---------------------------------------------------------------- algorithm names */

struct name_row {
	unsigned int value;
	const char *ios;  /* as `show crypto isakmp sa detail` abbreviates it */
	const char *name; /* for JSON: strongSwan proposal keywords */
};

/*
 * IOS prints "aes" whatever the key length (captures with `encr aes 192` show "aes"):
 * the key length travels in JSON only.
 */
static const struct name_row encr_names[] = {
    {IKE_ENCR_DES_CBC, "des", "des"},
    {IKE_ENCR_3DES_CBC, "3des", "3des"},
    {IKE_ENCR_AES_CBC, "aes", "aes"},
};

static const struct name_row hash_names[] = {
    {IKE_HASH_MD5, "md5", "md5"},
    {IKE_HASH_SHA1, "sha", "sha1"},
    {IKE_HASH_SHA2_256, "sha256", "sha256"},
    {IKE_HASH_SHA2_384, "sha384", "sha384"},
    {IKE_HASH_SHA2_512, "sha512", "sha512"},
};

static const struct name_row auth_names[] = {
    {IKE_AUTH_PSK, "psk", "psk"},
    {IKE_AUTH_DSS, "dss", "dss"},
    {IKE_AUTH_RSA_SIG, "rsig", "rsa-sig"},
    {IKE_AUTH_ECDSA_256, "ecdsa", "ecdsa-256"},
    {IKE_AUTH_ECDSA_384, "ecdsa", "ecdsa-384"},
    {IKE_AUTH_ECDSA_521, "ecdsa", "ecdsa-521"},
};

static const struct name_row group_names[] = {
    {1, "1", "modp768"},
    {IKE_GROUP_MODP1024, "2", "modp1024"},
    {5, "5", "modp1536"},
    {IKE_GROUP_MODP2048, "14", "modp2048"},
    {IKE_GROUP_MODP3072, "15", "modp3072"},
    {IKE_GROUP_MODP4096, "16", "modp4096"},
    {IKE_GROUP_ECP256, "19", "ecp256"},
    {IKE_GROUP_ECP384, "20", "ecp384"},
};

static const char *const id_type_names[] = {
    [IKE_ID_IPV4_ADDR] = "ipv4-addr",
    [IKE_ID_FQDN] = "fqdn",
    [IKE_ID_USER_FQDN] = "user-fqdn",
    [IKE_ID_IPV4_ADDR_SUBNET] = "ipv4-addr-subnet",
    [IKE_ID_IPV6_ADDR] = "ipv6-addr",
    [IKE_ID_IPV6_ADDR_SUBNET] = "ipv6-addr-subnet",
    [IKE_ID_IPV4_ADDR_RANGE] = "ipv4-addr-range",
    [IKE_ID_IPV6_ADDR_RANGE] = "ipv6-addr-range",
    [IKE_ID_DER_ASN1_DN] = "der-asn1-dn",
    [IKE_ID_KEY_ID] = "key-id",
};

static const struct name_row *name_find(const struct name_row *rows, size_t n, unsigned int v)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].value == v)
			return &rows[i];
	return NULL;
}

#define NAME_FIND(rows, v) name_find(rows, sizeof(rows) / sizeof(rows[0]), v)

/* IOS column text: blank until negotiated, the number for a value we cannot name. */
static const char *ios_name(const struct name_row *r, unsigned int v, char *buf, size_t len)
{
	if (v == 0)
		return "";
	if (r != NULL)
		return r->ios;
	snprintf(buf, len, "%u", v);
	return buf;
}

static const char *id_type_name(uint8_t type)
{
	if (type < sizeof(id_type_names) / sizeof(id_type_names[0]) && id_type_names[type] != NULL)
		return id_type_names[type];
	return type == 0 ? "default" : "unknown";
}

/* ---------------------------------------------------------------- show crypto isakmp sa */

static void summary_v4_row(struct strbuf *out, const struct ike_sa *sa)
{
	char dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];

	strbuf_printf(out, "%-15s %-15s %-15s%7lu %s\n",
	              show_addr(sa_dst(sa), false, dst, sizeof(dst)),
	              show_addr(sa_src(sa), false, src, sizeof(src)), sa_cisco_state(sa),
	              (unsigned long)sa->conn_id, sa_status(sa));
}

static void summary_v6_block(struct strbuf *out, const struct ike_sa *sa)
{
	char dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];

	strbuf_printf(out, " dst: %s\n src: %s\n state: %-15s conn-id: %6lu status: %s\n\n",
	              show_addr(sa_dst(sa), true, dst, sizeof(dst)),
	              show_addr(sa_src(sa), true, src, sizeof(src)), sa_cisco_state(sa),
	              (unsigned long)sa->conn_id, sa_status(sa));
}

/*
 * Both section headers always appear, IPv4 rows first, then IPv6 blocks, each section in
 * conn-id order (the table's order).  The column header belongs to IPv4 only.
 */
void show_isakmp_sa(struct strbuf *out, const struct ike_sa *first)
{
	const struct ike_sa *sa;

	strbuf_puts(out, "IPv4 Crypto ISAKMP SA\n");
	strbuf_puts(out, "dst             src             state          conn-id status\n");
	for (sa = first; sa != NULL; sa = sa->next)
		if (!sa_is_v6(sa))
			summary_v4_row(out, sa);
	strbuf_puts(out, "\nIPv6 Crypto ISAKMP SA\n\n");
	for (sa = first; sa != NULL; sa = sa->next)
		if (sa_is_v6(sa))
			summary_v6_block(out, sa);
}

/* ---------------------------------------------------------------- ... sa detail */

static const char detail_codes[] =
    "Codes: C - IKE configuration mode, D - Dead Peer Detection\n"
    "       K - Keepalives, N - NAT-traversal\n"
    "       T - cTCP encapsulation, X - IKE Extended Authentication\n"
    "       psk - Preshared key, rsig - RSA signature\n"
    "       renc - RSA encryption\n";

static const char detail_header[] = "C-id  Local           Remote          I-VRF  Status Encr "
                                    "Hash   Auth DH Lifetime Cap.\n";

/* Time left as hh:mm:ss; blank while the SA is not up (IOS has no lifetime then). */
static const char *lifetime_left(const struct ike_sa *sa, time_t now_wall, char *buf, size_t len)
{
	long long left;

	if (sa->state != IKE_ST_ESTABLISHED || sa->expires_wall == 0)
		return "";
	left = (long long)sa->expires_wall - (long long)now_wall;
	if (left < 0)
		left = 0;
	snprintf(buf, len, "%02lld:%02lld:%02lld", left / 3600, left / 60 % 60, left % 60);
	return buf;
}

/*
 * The engine connection IOS prints under each row counts from 1 where the C-id counts
 * from 1001 (1001 -> SW:1, 1013 -> SW:13 in captures); ikemon has one software engine
 * and one connection per SA, so it derives the number the same way.
 */
static unsigned long engine_conn(const struct ike_sa *sa)
{
	if (sa->conn_id > IOS_ENGINE_CONN_BASE)
		return (unsigned long)(sa->conn_id - IOS_ENGINE_CONN_BASE);
	return (unsigned long)sa->conn_id;
}

/*
 * Trailing blanks of empty columns (lifetime, Cap.) are dropped, as in the reference
 * output of CISCO-CLI.md.  Some device captures keep the Cap. padding; the parsers in
 * use split on whitespace and accept both.
 */
static void append_rtrimmed_line(struct strbuf *out, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && line[n - 1] == ' ')
		n--;
	strbuf_append(out, line, n);
	strbuf_append(out, "\n", 1);
}

/*
 * One SA: the row, then its engine connection.  IPv6 SAs use the same row (the layout
 * Cisco's Genie parser expects under the IPv6 title).  The Status column has no room for
 * "ACTIVE (deleted)", so a deleted SA says DELETED: one word keeps the row parseable.
 */
static void detail_row(struct strbuf *out, const struct ike_sa *sa, time_t now_wall)
{
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN], line[256];
	char eb[8], hb[8], ab[8], gb[8], life[32];
	const struct ike_sa_transform *xf = &sa->xf;
	bool v6 = sa_is_v6(sa);
	/* D: both ends announced Dead Peer Detection (N for NAT-T is not printed yet) */
	const char *caps = sa->dpd_peer ? "D" : "";

	snprintf(line, sizeof(line), "%-5lu %-15s %-15s %-6s %-6s %-4s %-6s %-4s %-2s %-8s %s",
	         (unsigned long)sa->conn_id, show_addr(&sa->local, v6, local, sizeof(local)),
	         show_addr(&sa->remote, v6, remote, sizeof(remote)), "",
	         sa_deleted(sa) ? "DELETED" : "ACTIVE",
	         ios_name(NAME_FIND(encr_names, xf->encr), xf->encr, eb, sizeof(eb)),
	         ios_name(NAME_FIND(hash_names, xf->hash), xf->hash, hb, sizeof(hb)),
	         ios_name(NAME_FIND(auth_names, xf->auth), xf->auth, ab, sizeof(ab)),
	         ios_name(NAME_FIND(group_names, xf->group), xf->group, gb, sizeof(gb)),
	         lifetime_left(sa, now_wall, life, sizeof(life)), caps);
	append_rtrimmed_line(out, line);
	strbuf_printf(out, "       Engine-id:Conn-id =  SW:%lu\n\n", engine_conn(sa));
}

/* One section: title, and when it has SAs the column header and one block per SA. */
static void detail_section(struct strbuf *out, const struct ike_sa *first, bool v6, time_t now_wall)
{
	const struct ike_sa *sa;
	bool any = false;

	strbuf_puts(out, v6 ? "IPv6 Crypto ISAKMP SA\n\n" : "IPv4 Crypto ISAKMP SA\n\n");
	for (sa = first; sa != NULL; sa = sa->next) {
		if (sa_is_v6(sa) != v6)
			continue;
		if (!any)
			strbuf_printf(out, "%s\n", detail_header);
		any = true;
		detail_row(out, sa, now_wall);
	}
}

void show_isakmp_sa_detail(struct strbuf *out, const struct ike_sa *first, time_t now_wall)
{
	strbuf_puts(out, detail_codes);
	detail_section(out, first, false, now_wall);
	detail_section(out, first, true, now_wall);
}

/* ---------------------------------------------------------------- JSON */

/*
 * A small writer that places the commas, so the emitters below read like the schema.
 * Shared with the other views through show.h.
 */
void jw_key(struct jw *w, const char *key)
{
	if (w->comma)
		strbuf_append(w->b, ",", 1);
	w->comma = true;
	if (key == NULL)
		return;
	strbuf_json_string(w->b, key);
	strbuf_append(w->b, ":", 1);
}

void jw_open(struct jw *w, const char *key, char bracket)
{
	jw_key(w, key);
	strbuf_append(w->b, &bracket, 1);
	w->comma = false;
}

void jw_close(struct jw *w, char bracket)
{
	strbuf_append(w->b, &bracket, 1);
	w->comma = true;
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key);
	strbuf_json_string(w->b, val);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	jw_key(w, key);
	strbuf_printf(w->b, "%llu", (unsigned long long)val);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	jw_key(w, key);
	strbuf_puts(w->b, val ? "true" : "false");
}

void jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	strbuf_append(w->b, "null", 4);
}

/* Wall-clock times leave the process as ISO 8601 UTC; 0 (not yet) is null. */
void jw_time(struct jw *w, const char *key, time_t t)
{
	struct tm tm;
	char buf[32];

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		jw_null(w, key);
		return;
	}
	jw_str(w, key, buf);
}

static void jw_name(struct jw *w, const char *key, const struct name_row *r)
{
	if (r == NULL) {
		jw_null(w, key);
		return;
	}
	jw_str(w, key, r->name);
}

void jw_endpoint(struct jw *w, const char *key, const struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN];

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
		jw_null(w, key);
		return;
	}
	jw_open(w, key, '{');
	jw_str(w, "address", show_addr(ss, ss->ss_family == AF_INET6, buf, sizeof(buf)));
	jw_u64(w, "port", addr_port(ss));
	jw_close(w, '}');
}

static void jw_id(struct jw *w, const char *key, const struct ike_sa_id *id)
{
	jw_open(w, key, '{');
	jw_u64(w, "type", id->type);
	jw_str(w, "type_name", id_type_name(id->type));
	jw_str(w, "value", id->value);
	jw_close(w, '}');
}

static void jw_cookie(struct jw *w, const char *key, const uint8_t c[8])
{
	char hex[17];

	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", c[i]);
	jw_str(w, key, hex);
}

static void jw_transform(struct jw *w, const struct ike_sa_transform *xf)
{
	jw_open(w, "transform", '{');
	jw_u64(w, "encr", xf->encr);
	jw_name(w, "encr_name", NAME_FIND(encr_names, xf->encr));
	jw_u64(w, "keylen", xf->keylen);
	jw_u64(w, "hash", xf->hash);
	jw_name(w, "hash_name", NAME_FIND(hash_names, xf->hash));
	jw_u64(w, "auth", xf->auth);
	jw_name(w, "auth_name", NAME_FIND(auth_names, xf->auth));
	jw_u64(w, "group", xf->group);
	jw_name(w, "group_name", NAME_FIND(group_names, xf->group));
	jw_u64(w, "lifetime_s", xf->lifetime_s);
	jw_close(w, '}');
}

static void jw_sa_counters(struct jw *w, const struct ike_sa_counters *c)
{
	jw_open(w, "counters", '{');
	jw_u64(w, "msgs_in", c->msgs_in);
	jw_u64(w, "msgs_out", c->msgs_out);
	jw_u64(w, "bytes_in", c->bytes_in);
	jw_u64(w, "bytes_out", c->bytes_out);
	jw_u64(w, "retransmits", c->retransmits);
	jw_u64(w, "dup_in", c->dup_in);
	jw_u64(w, "malformed", c->malformed);
	jw_u64(w, "undecryptable", c->undecryptable);
	jw_close(w, '}');
}

static const char *exchange_name(uint8_t x)
{
	if (x == ISAKMP_XCHG_IDPROT)
		return "main";
	if (x == ISAKMP_XCHG_AGGR)
		return "aggressive";
	return "unknown";
}

static const char *natt_version_name(uint8_t v)
{
	if (v == NATT_NONE)
		return "none";
	if (v == NATT_RFC3947)
		return "rfc3947";
	if (v == NATT_DRAFT_02)
		return "draft-02";
	return "unknown";
}

/* NAT traversal as negotiated: which version, where the NATs are, whether on 4500. */
static void jw_natt(struct jw *w, const struct ike_sa *sa)
{
	jw_open(w, "natt", '{');
	jw_u64(w, "version", sa->natt_version);
	jw_str(w, "version_name", natt_version_name(sa->natt_version));
	jw_bool(w, "nat_local", sa->nat_local);
	jw_bool(w, "nat_remote", sa->nat_remote);
	jw_bool(w, "floated", sa->floated);
	jw_close(w, '}');
}

/* Dead Peer Detection on this SA, and whether the peer's MM5/MM6 said INITIAL-CONTACT. */
static void jw_dpd(struct jw *w, const struct ike_sa *sa)
{
	const struct ike_sa_counters *c = &sa->ctr;

	jw_open(w, "dpd", '{');
	jw_bool(w, "peer_supports", sa->dpd_peer);
	jw_bool(w, "waiting", sa->dpd_waiting);
	jw_u64(w, "seq_out", sa->dpd_seq_out);
	jw_u64(w, "seq_in", sa->dpd_seq_in);
	jw_u64(w, "r_u_there_out", c->dpd_r_u_there_out);
	jw_u64(w, "r_u_there_in", c->dpd_r_u_there_in);
	jw_u64(w, "ack_out", c->dpd_ack_out);
	jw_u64(w, "ack_in", c->dpd_ack_in);
	jw_u64(w, "ack_bad_seq", c->dpd_bad_seq);
	jw_close(w, '}');
	jw_bool(w, "initial_contact", sa->initial_contact);
}

/* Phase-2 SAs under this IKE SA: how many are installed of how many records (show
 * crypto ipsec sa --json has the records themselves). */
static void jw_children_count(struct jw *w, const struct ike_sa *sa)
{
	uint64_t installed = 0, total = 0;

	for (const struct ike_child *c = sa->children; c != NULL; c = c->next) {
		total++;
		if (c->state == IKE_CHILD_INSTALLED)
			installed++;
	}
	jw_open(w, "children", '{');
	jw_u64(w, "installed", installed);
	jw_u64(w, "total", total);
	jw_close(w, '}');
}

static const char *role_name(enum ike_role r)
{
	if (r == IKE_ROLE_INITIATOR)
		return "initiator";
	if (r == IKE_ROLE_RESPONDER)
		return "responder";
	return "unknown";
}

static void jw_conn_id_or_null(struct jw *w, const char *key, uint32_t conn_id)
{
	if (conn_id != 0)
		jw_u64(w, key, conn_id);
	else
		jw_null(w, key);
}

static void jw_sa(struct jw *w, const struct ike_sa *sa, const struct timespec *now)
{
	const struct ike_state_row *row = ike_state_row(sa->state);

	jw_open(w, NULL, '{');
	jw_u64(w, "conn_id", sa->conn_id);
	jw_u64(w, "ike_version", sa->ike_version);
	jw_str(w, "exchange", exchange_name(sa->exchange));
	jw_str(w, "role", role_name(sa->role));
	jw_str(w, "peer", sa->peer);
	jw_endpoint(w, "local", &sa->local);
	jw_endpoint(w, "remote", &sa->remote);
	jw_natt(w, sa);
	jw_dpd(w, sa);
	jw_id(w, "local_id", &sa->local_id);
	jw_id(w, "remote_id", &sa->remote_id);
	/* signature authentication: the subject of the peer's certificate ("" without) */
	jw_str(w, "peer_cert_subject", sa->peer_cert);
	jw_cookie(w, "icookie", sa->icookie);
	jw_cookie(w, "rcookie", sa->rcookie);
	jw_transform(w, &sa->xf);
	jw_str(w, "state", row != NULL ? row->name : "UNKNOWN");
	jw_str(w, "cisco_state", sa_cisco_state(sa));
	jw_key(w, "seconds_in_state");
	strbuf_printf(w->b, "%.3f", ike_sa_seconds_in_state(sa, now));
	jw_time(w, "created", sa->created_wall);
	jw_time(w, "established", sa->established_wall);
	jw_time(w, "expires", sa->expires_wall);
	jw_str(w, "status", sa_status(sa));
	jw_sa_counters(w, &sa->ctr);
	jw_children_count(w, sa);
	jw_str(w, "last_cause", ike_cause_id(sa->last_cause));
	jw_str(w, "cause_detail", sa->cause_detail);
	jw_str(w, "delete_reason", ike_cause_id(sa->delete_reason));
	/* rekeying: the SA it was made to replace, the one at QM_IDLE that replaced it */
	jw_conn_id_or_null(w, "replaces", sa->replaces);
	jw_conn_id_or_null(w, "replaced_by", sa->replaced_by);
	jw_close(w, '}');
}

static void jw_dh_stats(struct jw *w, const struct ike_dh_stats *dh)
{
	jw_open(w, "dh", '{');
	jw_u64(w, "workers", dh->workers);
	jw_u64(w, "queue_depth", dh->queued);
	jw_u64(w, "jobs_done", dh->done);
	jw_u64(w, "jobs_stale", dh->stale);
	jw_u64(w, "jobs_refused", dh->refused);
	jw_close(w, '}');
}

static void jw_global_counters(struct jw *w, const struct ike_global_counters *g,
                               const struct ike_dh_stats *dh)
{
	jw_open(w, "counters", '{');
	jw_u64(w, "msgs_in", g->msgs_in);
	jw_u64(w, "msgs_out", g->msgs_out);
	jw_u64(w, "bytes_in", g->bytes_in);
	jw_u64(w, "bytes_out", g->bytes_out);
	jw_u64(w, "dropped_short", g->dropped_short);
	jw_u64(w, "dropped_bad_length", g->dropped_bad_length);
	jw_u64(w, "dropped_bad_version", g->dropped_bad_version);
	jw_u64(w, "dropped_bad_payload", g->dropped_bad_payload);
	jw_u64(w, "dropped_unknown_sa", g->dropped_unknown_sa);
	jw_u64(w, "dropped_unexpected", g->dropped_unexpected);
	jw_u64(w, "dropped_undecryptable", g->dropped_undecryptable);
	jw_u64(w, "dropped_no_config", g->dropped_no_config);
	jw_u64(w, "sas_created", g->sas_created);
	jw_u64(w, "sas_established", g->sas_established);
	jw_u64(w, "sas_failed", g->sas_failed);
	jw_u64(w, "sas_deleted", g->sas_deleted);
	jw_u64(w, "children_created", g->children_created);
	jw_u64(w, "children_installed", g->children_installed);
	jw_u64(w, "children_failed", g->children_failed);
	jw_u64(w, "children_deleted", g->children_deleted);
	jw_u64(w, "natt_keepalives_out", g->natt_keepalives_out);
	jw_open(w, "dpd", '{');
	jw_u64(w, "r_u_there_out", g->dpd_r_u_there_out);
	jw_u64(w, "r_u_there_in", g->dpd_r_u_there_in);
	jw_u64(w, "ack_out", g->dpd_ack_out);
	jw_u64(w, "ack_in", g->dpd_ack_in);
	jw_u64(w, "ack_bad_seq", g->dpd_bad_seq);
	jw_u64(w, "peers_dead", g->dpd_dead);
	jw_close(w, '}');
	jw_u64(w, "initial_contact_deleted", g->initial_contact);
	jw_open(w, "causes", '{');
	for (int c = IKE_CAUSE_NONE + 1; c < IKE_CAUSE_COUNT; c++)
		jw_u64(w, ike_cause_id((enum ike_cause)c), g->causes[c]);
	jw_close(w, '}');
	jw_open(w, "half_open", '{');
	jw_u64(w, "now", g->half_open);
	jw_u64(w, "dropped_limit", g->half_open_dropped_limit);
	jw_u64(w, "dropped_per_source", g->half_open_dropped_per_source);
	jw_u64(w, "dropped_timeout", g->half_open_dropped_timeout);
	jw_close(w, '}');
	jw_u64(w, "dropped_replay", g->dropped_replay);
	if (dh != NULL)
		jw_dh_stats(w, dh);
	jw_close(w, '}');
}

void show_isakmp_sa_json(struct strbuf *out, const struct ike_sa *first,
                         const struct ike_global_counters *g, const struct ike_dh_stats *dh,
                         const struct timespec *now_mono)
{
	struct jw w = {out, false};
	struct timespec now;

	if (now_mono == NULL) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		now_mono = &now;
	}
	jw_open(&w, NULL, '{');
	jw_open(&w, "sas", '[');
	for (const struct ike_sa *sa = first; sa != NULL; sa = sa->next)
		jw_sa(&w, sa, now_mono);
	jw_close(&w, ']');
	if (g != NULL)
		jw_global_counters(&w, g, dh);
	jw_close(&w, '}');
	strbuf_append(out, "\n", 1);
}
