/*
 * peer.c - peer configuration helpers: settings defaults, comparison, address matching,
 * and strongSwan's syntax for phase-1 and ESP proposals and for traffic selectors.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ike/cert.h"
#include "ike/ike.h"
#include "ike/peer.h"

enum alg_kind { ALG_ENCR, ALG_HASH, ALG_GROUP };

/*
 * One table for parsing and formatting.  The canonical name of a value comes first, so
 * formatting (which takes the first match) prints "aes128" and "sha256", never an alias.
 */
struct alg_name {
	const char *name;
	enum alg_kind kind;
	uint16_t value;
	uint16_t keylen;
};

static const struct alg_name alg_names[] = {
    {"aes128", ALG_ENCR, IKE_ENCR_AES_CBC, 128},
    {"aes192", ALG_ENCR, IKE_ENCR_AES_CBC, 192},
    {"aes256", ALG_ENCR, IKE_ENCR_AES_CBC, 256},
    {"aes", ALG_ENCR, IKE_ENCR_AES_CBC, 128},
    {"3des", ALG_ENCR, IKE_ENCR_3DES_CBC, 0},
    {"sha1", ALG_HASH, IKE_HASH_SHA1, 0},
    {"sha", ALG_HASH, IKE_HASH_SHA1, 0},
    {"sha256", ALG_HASH, IKE_HASH_SHA2_256, 0},
    {"sha2_256", ALG_HASH, IKE_HASH_SHA2_256, 0},
    {"sha384", ALG_HASH, IKE_HASH_SHA2_384, 0},
    {"sha2_384", ALG_HASH, IKE_HASH_SHA2_384, 0},
    {"sha512", ALG_HASH, IKE_HASH_SHA2_512, 0},
    {"sha2_512", ALG_HASH, IKE_HASH_SHA2_512, 0},
    {"md5", ALG_HASH, IKE_HASH_MD5, 0},
    {"modp1024", ALG_GROUP, IKE_GROUP_MODP1024, 0},
    {"modp2048", ALG_GROUP, IKE_GROUP_MODP2048, 0},
    {"modp3072", ALG_GROUP, IKE_GROUP_MODP3072, 0},
    {"modp4096", ALG_GROUP, IKE_GROUP_MODP4096, 0},
    {"ecp256", ALG_GROUP, IKE_GROUP_ECP256, 0},
    {"ecp384", ALG_GROUP, IKE_GROUP_ECP384, 0},
};

#define N_ALG_NAMES (sizeof(alg_names) / sizeof(alg_names[0]))

/* Longest token quoted back in an error message, so a typo cannot flood the log. */
#define ERR_TOKEN_MAX 64

void ike_settings_default(struct ike_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->retransmit_timeout_ms = 1000;
	s->retransmit_tries = 5;
	s->deleted_linger_s = 60;
	s->restart_delay_s = 5;
	s->natt_keepalive_s = 20;
	s->max_half_open = 10000;
	s->max_half_open_per_source = 32;
	s->half_open_timeout_s = 30;
	s->rekey = true;
	s->rekey_margin_s = 540;
	s->rekey_fuzz_pct = 100;
}

uint64_t ike_settings_retransmit_span_ms(const struct ike_settings *s)
{
	uint64_t span = 0;
	uint64_t wait = s->retransmit_timeout_ms;
	uint32_t i;

	if (wait == 0)
		return 0;
	/* The wait doubles each time: saturate rather than wrap for absurd try counts. */
	for (i = 0; i <= s->retransmit_tries; i++) {
		if (span > UINT64_MAX - wait)
			return UINT64_MAX;
		span += wait;
		if (wait > UINT64_MAX / 2)
			return UINT64_MAX;
		wait *= 2;
		if (i == UINT32_MAX)
			break;
	}
	return span;
}

/* The address bytes of a sockaddr and their length, or NULL for other families. */
static const uint8_t *sa_addr_bytes(const struct sockaddr *sa, size_t *len)
{
	if (sa->sa_family == AF_INET) {
		*len = sizeof(struct in_addr);
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	}
	if (sa->sa_family == AF_INET6) {
		*len = sizeof(struct in6_addr);
		return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	*len = 0;
	return NULL;
}

/*
 * Family-aware equality (address, port, IPv6 scope).  Raw struct bytes would make two
 * equal addresses differ through padding or sin6_flowinfo.
 */
static bool sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return false;
	switch (a->ss_family) {
	case AF_UNSPEC:
		return true;
	case AF_INET:
		return a4->sin_port == b4->sin_port &&
		       memcmp(&a4->sin_addr, &b4->sin_addr, sizeof(a4->sin_addr)) == 0;
	case AF_INET6:
		return a6->sin6_port == b6->sin6_port && a6->sin6_scope_id == b6->sin6_scope_id &&
		       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
	default:
		return memcmp(a, b, sizeof(*a)) == 0;
	}
}

static bool id_equal(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && strncmp(a->value, b->value, sizeof(a->value)) == 0;
}

static bool proposals_equal(const struct ike_peer_cfg *a, const struct ike_peer_cfg *b)
{
	size_t i, n = a->n_ike;

	if (a->n_ike != b->n_ike)
		return false;
	if (n > IKE_MAX_PROPOSALS)
		n = IKE_MAX_PROPOSALS;
	for (i = 0; i < n; i++) {
		if (a->ike[i].encr != b->ike[i].encr || a->ike[i].keylen != b->ike[i].keylen ||
		    a->ike[i].hash != b->ike[i].hash || a->ike[i].group != b->ike[i].group)
			return false;
	}
	return true;
}

static bool esp_equal(const struct ike_peer_cfg *a, const struct ike_peer_cfg *b)
{
	size_t i, n = a->n_esp;

	if (a->n_esp != b->n_esp)
		return false;
	if (n > IKE_MAX_PROPOSALS)
		n = IKE_MAX_PROPOSALS;
	for (i = 0; i < n; i++) {
		if (a->esp[i].encr != b->esp[i].encr || a->esp[i].keylen != b->esp[i].keylen ||
		    a->esp[i].auth != b->esp[i].auth || a->esp[i].group != b->esp[i].group)
			return false;
	}
	return true;
}

static bool ts_list_equal(const struct ike_ts *a, size_t na, const struct ike_ts *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na && i < IKE_MAX_TS; i++) {
		if (!ike_ts_equal(&a[i], &b[i]))
			return false;
	}
	return true;
}

/*
 * Phase-2 settings matter only to a peer with children: changing the lifetime of a peer
 * monitored in phase 1 only must not tear its IKE SA down on reload.
 */
static bool children_equal(const struct ike_peer_cfg *a, const struct ike_peer_cfg *b)
{
	if (a->has_children != b->has_children)
		return false;
	if (!a->has_children)
		return true;
	if (a->mode != b->mode || a->ipsec_lifetime_s != b->ipsec_lifetime_s ||
	    a->ipsec_lifetime_kb != b->ipsec_lifetime_kb || !esp_equal(a, b))
		return false;
	return ts_list_equal(a->local_ts, a->n_local_ts, b->local_ts, b->n_local_ts) &&
	       ts_list_equal(a->remote_ts, a->n_remote_ts, b->remote_ts, b->n_remote_ts);
}

bool ike_peer_cfg_differs(const struct ike_peer_cfg *a, const struct ike_peer_cfg *b)
{
	if (strncmp(a->name, b->name, sizeof(a->name)) != 0)
		return true;
	if (a->remote_any != b->remote_any || a->remote_prefix != b->remote_prefix)
		return true;
	if (!sockaddr_equal(&a->remote, &b->remote) || !sockaddr_equal(&a->local, &b->local))
		return true;
	if (!proposals_equal(a, b) || !id_equal(&a->local_id, &b->local_id) ||
	    !id_equal(&a->remote_id, &b->remote_id))
		return true;
	if (a->autostart != b->autostart || a->ike_lifetime != b->ike_lifetime)
		return true;
	if (a->exchange != b->exchange || a->aggressive != b->aggressive)
		return true;
	if (!children_equal(a, b))
		return true;
	/* new certificates or keys renegotiate; a new CRL applies to the next negotiation */
	return !ike_creds_same(a->creds, b->creds);
}

uint16_t ike_peer_auth(const struct ike_peer_cfg *p)
{
	return p->creds != NULL ? ike_creds_auth(p->creds) : IKE_AUTH_PSK;
}

/* Whether the first bits of a and b are equal. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8;
	unsigned rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return ((a[bytes] ^ b[bytes]) & mask) == 0;
}

bool ike_peer_matches_addr(const struct ike_peer_cfg *p, const struct sockaddr *addr)
{
	const uint8_t *mine, *theirs;
	size_t mine_len, theirs_len;
	unsigned bits;

	if (p->remote_any)
		return true;
	if (addr == NULL || addr->sa_family != p->remote.ss_family)
		return false;
	mine = sa_addr_bytes((const struct sockaddr *)&p->remote, &mine_len);
	theirs = sa_addr_bytes(addr, &theirs_len);
	if (mine == NULL || theirs == NULL || mine_len != theirs_len)
		return false;
	bits = p->remote_prefix;
	if (bits > mine_len * 8)
		bits = (unsigned)(mine_len * 8);
	return prefix_equal(mine, theirs, bits);
}

/* The canonical name of a value, or NULL when the table has none. */
static const char *alg_name_of(enum alg_kind kind, uint16_t value, uint16_t keylen)
{
	size_t i;

	for (i = 0; i < N_ALG_NAMES; i++) {
		if (alg_names[i].kind == kind && alg_names[i].value == value &&
		    alg_names[i].keylen == keylen)
			return alg_names[i].name;
	}
	return NULL;
}

/*
 * The name of an algorithm, by its phase-1 value.  Values the table does not know still
 * print, as "encr99" (with the number on the wire), rather than vanish.
 */
static const char *alg_label(enum alg_kind kind, uint16_t value, uint16_t keylen,
                             const char *unknown, uint16_t wire, char *buf, size_t len)
{
	const char *name = alg_name_of(kind, value, keylen);

	if (name != NULL)
		return name;
	if (kind == ALG_ENCR && value == IKE_ENCR_AES_CBC)
		snprintf(buf, len, "aes%u", (unsigned)keylen);
	else
		snprintf(buf, len, "%s%u", unknown, (unsigned)wire);
	return buf;
}

char *ike_proposal_format(const struct ike_proposal *p, char *buf, size_t len)
{
	char encr[16], hash[16], group[16];

	if (len == 0)
		return buf;
	snprintf(buf, len, "%s-%s-%s",
	         alg_label(ALG_ENCR, p->encr, p->keylen, "encr", p->encr, encr, sizeof(encr)),
	         alg_label(ALG_HASH, p->hash, 0, "hash", p->hash, hash, sizeof(hash)),
	         alg_label(ALG_GROUP, p->group, 0, "group", p->group, group, sizeof(group)));
	return buf;
}

static int proposal_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write the message (err may be NULL); returns -1 so that callers can return it. */
static int proposal_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const struct alg_name *alg_lookup(const char *tok, size_t len)
{
	size_t i;

	for (i = 0; i < N_ALG_NAMES; i++) {
		if (strlen(alg_names[i].name) == len &&
		    strncasecmp(alg_names[i].name, tok, len) == 0)
			return &alg_names[i];
	}
	return NULL;
}

/*
 * The algorithms named in one proposal, by kind, without repeats.  Each list is bounded
 * by the number of distinct values in alg_names, so it cannot overflow.
 */
struct alg_sets {
	const struct alg_name *encr[N_ALG_NAMES];
	const struct alg_name *hash[N_ALG_NAMES];
	const struct alg_name *group[N_ALG_NAMES];
	size_t n_encr, n_hash, n_group;
};

static void alg_set_add(const struct alg_name **set, size_t *n, const struct alg_name *a)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (set[i]->value == a->value && set[i]->keylen == a->keylen)
			return;
	}
	if (*n < N_ALG_NAMES)
		set[(*n)++] = a;
}

static int proposal_tokens(const char *s, size_t len, struct alg_sets *sets, char *err,
                           size_t errlen)
{
	const char *proposal = s;
	const char *end = s + len;
	const struct alg_name *a;
	size_t tlen;

	memset(sets, 0, sizeof(*sets));
	for (;;) {
		tlen = 0;
		while (s + tlen < end && s[tlen] != '-')
			tlen++;
		if (tlen == 0)
			return proposal_error(err, errlen, "empty algorithm in proposal '%.*s'",
			                      (int)(len > ERR_TOKEN_MAX ? ERR_TOKEN_MAX : len),
			                      proposal);
		a = alg_lookup(s, tlen);
		if (a == NULL)
			return proposal_error(err, errlen, "unknown algorithm '%.*s'",
			                      (int)(tlen > ERR_TOKEN_MAX ? ERR_TOKEN_MAX : tlen),
			                      s);
		if (a->kind == ALG_ENCR)
			alg_set_add(sets->encr, &sets->n_encr, a);
		else if (a->kind == ALG_HASH)
			alg_set_add(sets->hash, &sets->n_hash, a);
		else
			alg_set_add(sets->group, &sets->n_group, a);
		if (s + tlen == end)
			return 0;
		s += tlen + 1;
	}
}

/* The length of a message quote: at most ERR_TOKEN_MAX, so a typo cannot flood the log. */
static int quote_len(size_t len)
{
	return (int)(len > ERR_TOKEN_MAX ? ERR_TOKEN_MAX : len);
}

/* Where the items of a comma-separated list go. */
struct list_out {
	void *out;
	size_t max;
	size_t *n;
};

/* Parses one trimmed, non-empty item of s[0..len) into o; 0 or -1 with err. */
typedef int (*item_parser)(const char *s, size_t len, struct list_out *o, char *err, size_t errlen);

/*
 * A comma-separated list, items trimmed of blanks; what names an item in messages.  On
 * error *n is 0: the caller never sees half a list.
 */
static int list_parse(const char *text, const char *what, item_parser one, struct list_out *o,
                      char *err, size_t errlen)
{
	const char *p = text;
	size_t len, start, end;

	*o->n = 0;
	if (text == NULL)
		return proposal_error(err, errlen, "empty %s list", what);
	for (;;) {
		len = strcspn(p, ",");
		start = 0;
		end = len;
		while (start < end && (p[start] == ' ' || p[start] == '\t'))
			start++;
		while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (end == start) {
			*o->n = 0;
			return proposal_error(err, errlen, "empty %s in list", what);
		}
		if (one(p + start, end - start, o, err, errlen) == -1) {
			*o->n = 0;
			return -1;
		}
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

/*
 * The algorithm sets of one proposal, checked complete and within the room left.  An
 * ESP proposal may lack a group: it then gets one "no PFS" group of value 0.
 */
static int proposal_sets(const char *s, size_t len, bool need_group, const struct list_out *o,
                         struct alg_sets *sets, char *err, size_t errlen)
{
	static const struct alg_name no_pfs = {"", ALG_GROUP, 0, 0};
	const char *lacks = NULL;

	if (proposal_tokens(s, len, sets, err, errlen) == -1)
		return -1;
	if (sets->n_encr == 0)
		lacks = "an encryption algorithm";
	else if (sets->n_hash == 0)
		lacks = "an integrity algorithm";
	else if (sets->n_group == 0 && need_group)
		lacks = "a DH group";
	if (lacks != NULL)
		return proposal_error(err, errlen, "proposal '%.*s' lacks %s", quote_len(len), s,
		                      lacks);
	if (sets->n_group == 0)
		sets->group[sets->n_group++] = &no_pfs;
	if (sets->n_encr * sets->n_hash * sets->n_group > o->max - *o->n)
		return proposal_error(err, errlen, "too many proposals (at most %zu)", o->max);
	return 0;
}

/* One '-'-separated phase-1 proposal, expanded to the cross product of what it names. */
static int ike_proposal_one(const char *s, size_t len, struct list_out *o, char *err, size_t errlen)
{
	struct ike_proposal *p, *out = o->out;
	struct alg_sets sets;
	size_t e, h, g;

	if (proposal_sets(s, len, true, o, &sets, err, errlen) == -1)
		return -1;
	for (e = 0; e < sets.n_encr; e++) {
		for (h = 0; h < sets.n_hash; h++) {
			for (g = 0; g < sets.n_group; g++) {
				p = &out[(*o->n)++];
				p->encr = sets.encr[e]->value;
				p->keylen = sets.encr[e]->keylen;
				p->hash = sets.hash[h]->value;
				p->group = sets.group[g]->value;
			}
		}
	}
	return 0;
}

int ike_proposals_parse(const char *text, struct ike_proposal *out, size_t max, size_t *n,
                        char *err, size_t errlen)
{
	struct list_out o = {out, max, n};

	return list_parse(text, "proposal", ike_proposal_one, &o, err, errlen);
}

/*
 * ESP numbers the same algorithms differently from phase 1 (RFC 2407 4.4.4 and 4.5).
 * ESP proposals are read with alg_names and then mapped, so that each name is spelled
 * once; every ALG_ENCR and ALG_HASH value of alg_names has its row here.
 */
static const struct {
	enum alg_kind kind;
	uint16_t ike;
	uint16_t esp;
} esp_values[] = {
    {ALG_ENCR, IKE_ENCR_AES_CBC, ESP_AES},
    {ALG_ENCR, IKE_ENCR_3DES_CBC, ESP_3DES},
    {ALG_HASH, IKE_HASH_MD5, IPSEC_AUTH_HMAC_MD5},
    {ALG_HASH, IKE_HASH_SHA1, IPSEC_AUTH_HMAC_SHA1},
    {ALG_HASH, IKE_HASH_SHA2_256, IPSEC_AUTH_HMAC_SHA2_256},
    {ALG_HASH, IKE_HASH_SHA2_384, IPSEC_AUTH_HMAC_SHA2_384},
    {ALG_HASH, IKE_HASH_SHA2_512, IPSEC_AUTH_HMAC_SHA2_512},
};

/* The ESP value of a phase-1 value (to_esp) or the reverse; 0 when there is none. */
static uint16_t esp_value(enum alg_kind kind, uint16_t v, bool to_esp)
{
	size_t i;

	for (i = 0; i < sizeof(esp_values) / sizeof(esp_values[0]); i++) {
		if (esp_values[i].kind == kind &&
		    (to_esp ? esp_values[i].ike : esp_values[i].esp) == v)
			return to_esp ? esp_values[i].esp : esp_values[i].ike;
	}
	return 0;
}

/* One ESP proposal, expanded as a phase-1 one; a group, if any, asks for PFS. */
static int esp_proposal_one(const char *s, size_t len, struct list_out *o, char *err, size_t errlen)
{
	struct ike_esp_proposal *p, *out = o->out;
	struct alg_sets sets;
	size_t e, h, g;

	if (proposal_sets(s, len, false, o, &sets, err, errlen) == -1)
		return -1;
	for (e = 0; e < sets.n_encr; e++) {
		for (h = 0; h < sets.n_hash; h++) {
			for (g = 0; g < sets.n_group; g++) {
				p = &out[(*o->n)++];
				p->encr = esp_value(ALG_ENCR, sets.encr[e]->value, true);
				p->keylen = sets.encr[e]->keylen;
				p->auth = esp_value(ALG_HASH, sets.hash[h]->value, true);
				p->group = sets.group[g]->value;
			}
		}
	}
	return 0;
}

int ike_esp_proposals_parse(const char *text, struct ike_esp_proposal *out, size_t max, size_t *n,
                            char *err, size_t errlen)
{
	struct list_out o = {out, max, n};

	return list_parse(text, "proposal", esp_proposal_one, &o, err, errlen);
}

char *ike_esp_proposal_format(const struct ike_esp_proposal *p, char *buf, size_t len)
{
	char encr_buf[16], auth_buf[16], group_buf[16];
	const char *encr, *auth;

	if (len == 0)
		return buf;
	encr = alg_label(ALG_ENCR, esp_value(ALG_ENCR, p->encr, false), p->keylen, "encr", p->encr,
	                 encr_buf, sizeof(encr_buf));
	auth = alg_label(ALG_HASH, esp_value(ALG_HASH, p->auth, false), 0, "auth", p->auth,
	                 auth_buf, sizeof(auth_buf));
	if (p->group == 0)
		snprintf(buf, len, "%s-%s", encr, auth);
	else
		snprintf(buf, len, "%s-%s-%s", encr, auth,
		         alg_label(ALG_GROUP, p->group, 0, "group", p->group, group_buf,
		                   sizeof(group_buf)));
	return buf;
}

/* IP protocols by name in selectors, as strongSwan names them. */
static const struct {
	const char *name;
	uint8_t proto;
} ts_protos[] = {
    {"any", 0}, {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"gre", 47}, {"icmpv6", 58}, {"sctp", 132},
};

#define N_TS_PROTOS (sizeof(ts_protos) / sizeof(ts_protos[0]))

/* Longest selector text: two IPv6 addresses (with a dotted quad), '-', "[icmpv6/65535]". */
#define TS_TEXT_MAX 128

/* Decimal digits only, no sign or blanks, at most max. */
static bool parse_decimal(const char *s, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || (uint32_t)(*s - '0') > max ||
		    v > (max - (uint32_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	*out = v;
	return true;
}

static bool ts_proto_lookup(const char *s, uint8_t *proto)
{
	uint32_t v;
	size_t i;

	for (i = 0; i < N_TS_PROTOS; i++) {
		if (strcasecmp(s, ts_protos[i].name) == 0) {
			*proto = ts_protos[i].proto;
			return true;
		}
	}
	if (!parse_decimal(s, 255, &v))
		return false;
	*proto = (uint8_t)v;
	return true;
}

/* "PROTO/PORT", "PROTO", "/PORT" or "" (the inside of the brackets). */
static int ts_suffix(char *s, struct ike_ts *ts, char *err, size_t errlen)
{
	char *slash = strchr(s, '/');
	uint32_t port = 0;

	if (slash != NULL)
		*slash = '\0';
	if (*s != '\0' && !ts_proto_lookup(s, &ts->proto))
		return proposal_error(err, errlen,
		                      "bad protocol '%.*s' (expected tcp, udp, icmp, icmpv6, gre, "
		                      "sctp, any or 0 to 255)",
		                      quote_len(strlen(s)), s);
	if (slash != NULL && slash[1] != '\0' && !parse_decimal(slash + 1, 65535, &port))
		return proposal_error(err, errlen, "bad port '%.*s' (expected 0 to 65535)",
		                      quote_len(strlen(slash + 1)), slash + 1);
	ts->port = (uint16_t)port;
	return 0;
}

/* A numeric address of either family into bytes (16 bytes of room); its family or 0. */
static int ts_addr(const char *s, uint8_t *bytes)
{
	if (inet_pton(AF_INET, s, bytes) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, bytes) == 1)
		return AF_INET6;
	return 0;
}

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Whether every bit of a after the first prefix bits (of bits) is zero. */
static bool bits_clear_after(const uint8_t *a, unsigned prefix, unsigned bits)
{
	unsigned bit;

	for (bit = prefix; bit < bits; bit++) {
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	}
	return true;
}

/* "FROM-TO", dash pointing at the '-': same family, FROM not after TO. */
static int ts_range(char *s, char *dash, struct ike_ts *ts, char *err, size_t errlen)
{
	int from_af, to_af;

	*dash = '\0';
	from_af = ts_addr(s, ts->from);
	to_af = ts_addr(dash + 1, ts->to);
	if (from_af == 0 || to_af == 0)
		return proposal_error(err, errlen, "bad selector range '%.*s-%.*s'",
		                      quote_len(strlen(s)), s, quote_len(strlen(dash + 1)),
		                      dash + 1);
	if (from_af != to_af)
		return proposal_error(err, errlen, "selector range '%s-%s' mixes IPv4 and IPv6", s,
		                      dash + 1);
	if (memcmp(ts->from, ts->to, family_bits(from_af) / 8) > 0)
		return proposal_error(err, errlen, "selector range '%s-%s' ends before it starts",
		                      s, dash + 1);
	ts->family = (uint8_t)from_af;
	ts->kind = IKE_TS_RANGE;
	return 0;
}

/* "ADDR/PREFIX", slash pointing at the '/'; host bits must be clear. */
static int ts_subnet(char *s, char *slash, struct ike_ts *ts, char *err, size_t errlen)
{
	uint32_t prefix;
	int af;

	*slash = '\0';
	af = ts_addr(s, ts->from);
	if (af == 0 || !parse_decimal(slash + 1, family_bits(af), &prefix))
		return proposal_error(err, errlen, "bad selector subnet '%.*s/%.*s'",
		                      quote_len(strlen(s)), s, quote_len(strlen(slash + 1)),
		                      slash + 1);
	/* 10.0.0.1/24 is most likely a typo for a host or for 10.0.0.0/24. */
	if (!bits_clear_after(ts->from, prefix, family_bits(af)))
		return proposal_error(err, errlen, "selector '%s/%u' has bits set after the prefix",
		                      s, (unsigned)prefix);
	ts->family = (uint8_t)af;
	ts->kind = IKE_TS_SUBNET;
	ts->prefix = (uint8_t)prefix;
	return 0;
}

/* A host, a subnet or a range (without the bracketed suffix). */
static int ts_address(char *s, struct ike_ts *ts, char *err, size_t errlen)
{
	char *dash = strchr(s, '-');
	char *slash = strchr(s, '/');
	int af;

	if (dash != NULL)
		return ts_range(s, dash, ts, err, errlen);
	if (slash != NULL)
		return ts_subnet(s, slash, ts, err, errlen);
	af = ts_addr(s, ts->from);
	if (af == 0)
		return proposal_error(err, errlen,
		                      "bad selector '%.*s' (expected ADDR, ADDR/PREFIX or "
		                      "ADDR-ADDR, then optionally [PROTO/PORT])",
		                      quote_len(strlen(s)), s);
	ts->family = (uint8_t)af;
	ts->kind = IKE_TS_SUBNET;
	ts->prefix = (uint8_t)family_bits(af);
	return 0;
}

/* One selector with its optional "[PROTO/PORT]", parsed from a copy it may cut up. */
static int ts_one(const char *s, size_t len, struct list_out *o, char *err, size_t errlen)
{
	struct ike_ts *ts = (struct ike_ts *)o->out + *o->n;
	char buf[TS_TEXT_MAX + 1];
	char *open, *close;

	if (*o->n >= o->max)
		return proposal_error(err, errlen, "too many selectors (at most %zu)", o->max);
	if (len > TS_TEXT_MAX)
		return proposal_error(err, errlen, "selector '%.*s...' is too long", ERR_TOKEN_MAX,
		                      s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(ts, 0, sizeof(*ts));
	open = strchr(buf, '[');
	if (open != NULL) {
		close = strchr(open, ']');
		if (close == NULL)
			return proposal_error(err, errlen, "selector '%s' lacks its closing ']'",
			                      buf);
		if (close[1] != '\0')
			return proposal_error(err, errlen, "text after ']' in selector '%s'", buf);
		*open = '\0';
		*close = '\0';
		if (ts_suffix(open + 1, ts, err, errlen) == -1)
			return -1;
	}
	if (buf[0] == '\0')
		return proposal_error(err, errlen, "selector '%.*s' lacks an address",
		                      quote_len(len), s);
	if (ts_address(buf, ts, err, errlen) == -1)
		return -1;
	(*o->n)++;
	return 0;
}

int ike_ts_parse(const char *text, struct ike_ts *out, size_t max, size_t *n, char *err,
                 size_t errlen)
{
	struct list_out o = {out, max, n};

	return list_parse(text, "selector", ts_one, &o, err, errlen);
}

/* "[tcp/80]", "[udp]", "[/53]", "[99]", or "" for any protocol and port. */
static void ts_suffix_format(const struct ike_ts *ts, char *buf, size_t len)
{
	char proto[8] = "", port[8] = "";
	size_t i;

	if (ts->proto != 0)
		snprintf(proto, sizeof(proto), "%u", (unsigned)ts->proto);
	for (i = 1; i < N_TS_PROTOS; i++) {
		if (ts_protos[i].proto == ts->proto)
			snprintf(proto, sizeof(proto), "%s", ts_protos[i].name);
	}
	if (ts->port != 0)
		snprintf(port, sizeof(port), "/%u", (unsigned)ts->port);
	if (ts->proto == 0 && ts->port == 0)
		buf[0] = '\0';
	else
		snprintf(buf, len, "[%s%s]", proto, port);
}

char *ike_ts_format(const struct ike_ts *ts, char *buf, size_t len)
{
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN], suffix[24];
	int af = ts->family;

	if (len == 0)
		return buf;
	/* A selector the engine has not filled yet prints, rather than garbage. */
	if ((af != AF_INET && af != AF_INET6) ||
	    inet_ntop(af, ts->from, from, sizeof(from)) == NULL ||
	    inet_ntop(af, ts->to, to, sizeof(to)) == NULL) {
		snprintf(buf, len, "none");
		return buf;
	}
	ts_suffix_format(ts, suffix, sizeof(suffix));
	if (ts->kind == IKE_TS_RANGE)
		snprintf(buf, len, "%s-%s%s", from, to, suffix);
	else
		snprintf(buf, len, "%s/%u%s", from, (unsigned)ts->prefix, suffix);
	return buf;
}

void ike_ts_from_addr(struct ike_ts *ts, const struct sockaddr *addr)
{
	const uint8_t *bytes;
	size_t len;

	memset(ts, 0, sizeof(*ts));
	bytes = addr == NULL ? NULL : sa_addr_bytes(addr, &len);
	if (bytes == NULL)
		return;
	ts->family = (uint8_t)addr->sa_family;
	ts->kind = IKE_TS_SUBNET;
	ts->prefix = (uint8_t)(len * 8);
	memcpy(ts->from, bytes, len);
}

bool ike_ts_equal(const struct ike_ts *a, const struct ike_ts *b)
{
	size_t alen = a->family == AF_INET ? 4 : sizeof(a->from);

	if (a->family != b->family || a->kind != b->kind || a->proto != b->proto ||
	    a->port != b->port)
		return false;
	if (memcmp(a->from, b->from, alen) != 0)
		return false;
	/* A subnet's to[] is unused: only a range compares it, only a subnet its prefix. */
	if (a->kind == IKE_TS_RANGE)
		return memcmp(a->to, b->to, alen) == 0;
	return a->prefix == b->prefix;
}
