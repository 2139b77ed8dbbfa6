/*
 * peer.c - peer configuration helpers: settings defaults, comparison, address matching,
 * and the strongSwan-style phase-1 proposal syntax.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

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
	/* Lengths are not secret; the bytes are compared in constant time. */
	if (a->psk_len != b->psk_len || a->psk_len > IKE_PSK_MAX)
		return true;
	return CRYPTO_memcmp(a->psk, b->psk, a->psk_len) != 0;
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

char *ike_proposal_format(const struct ike_proposal *p, char *buf, size_t len)
{
	const char *encr, *hash, *group;
	char encr_buf[16], hash_buf[16], group_buf[16];

	if (len == 0)
		return buf;
	/* Values the table does not know still print, as "encr99", rather than vanish. */
	encr = alg_name_of(ALG_ENCR, p->encr, p->keylen);
	if (encr == NULL && p->encr == IKE_ENCR_AES_CBC) {
		snprintf(encr_buf, sizeof(encr_buf), "aes%u", (unsigned)p->keylen);
		encr = encr_buf;
	} else if (encr == NULL) {
		snprintf(encr_buf, sizeof(encr_buf), "encr%u", (unsigned)p->encr);
		encr = encr_buf;
	}
	hash = alg_name_of(ALG_HASH, p->hash, 0);
	if (hash == NULL) {
		snprintf(hash_buf, sizeof(hash_buf), "hash%u", (unsigned)p->hash);
		hash = hash_buf;
	}
	group = alg_name_of(ALG_GROUP, p->group, 0);
	if (group == NULL) {
		snprintf(group_buf, sizeof(group_buf), "group%u", (unsigned)p->group);
		group = group_buf;
	}
	snprintf(buf, len, "%s-%s-%s", encr, hash, group);
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

/* One '-'-separated proposal, expanded to the cross product of what it names. */
static int proposal_parse_one(const char *s, size_t len, struct ike_proposal *out, size_t max,
                              size_t *n, char *err, size_t errlen)
{
	struct alg_sets sets;
	const char *lacks = NULL;
	size_t e, h, g;
	int plen = (int)(len > ERR_TOKEN_MAX ? ERR_TOKEN_MAX : len);

	if (proposal_tokens(s, len, &sets, err, errlen) == -1)
		return -1;
	if (sets.n_encr == 0)
		lacks = "an encryption algorithm";
	else if (sets.n_hash == 0)
		lacks = "an integrity algorithm";
	else if (sets.n_group == 0)
		lacks = "a DH group";
	if (lacks != NULL)
		return proposal_error(err, errlen, "proposal '%.*s' lacks %s", plen, s, lacks);
	if (sets.n_encr * sets.n_hash * sets.n_group > max - *n)
		return proposal_error(err, errlen, "too many proposals (at most %zu)", max);
	for (e = 0; e < sets.n_encr; e++) {
		for (h = 0; h < sets.n_hash; h++) {
			for (g = 0; g < sets.n_group; g++) {
				out[*n].encr = sets.encr[e]->value;
				out[*n].keylen = sets.encr[e]->keylen;
				out[*n].hash = sets.hash[h]->value;
				out[*n].group = sets.group[g]->value;
				(*n)++;
			}
		}
	}
	return 0;
}

int ike_proposals_parse(const char *text, struct ike_proposal *out, size_t max, size_t *n,
                        char *err, size_t errlen)
{
	const char *p = text;
	size_t len, start, end;

	*n = 0;
	if (text == NULL)
		return proposal_error(err, errlen, "empty proposal list");
	for (;;) {
		len = strcspn(p, ",");
		start = 0;
		end = len;
		while (start < end && (p[start] == ' ' || p[start] == '\t'))
			start++;
		while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (end == start) {
			*n = 0;
			return proposal_error(err, errlen, "empty proposal in list");
		}
		if (proposal_parse_one(p + start, end - start, out, max, n, err, errlen) == -1) {
			*n = 0;
			return -1;
		}
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}
