/*
 * strpool.c - interned strings (see strpool.h): a chained hash table of refcounted
 * entries, the string stored after its header, doubled when it holds as many entries as
 * buckets and halved down to its minimum when a quarter full.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sa.h"
#include "strpool.h"

#define MIN_BUCKETS 64

struct entry {
	struct entry *next;
	uint64_t hash;
	uint32_t refs;
	uint32_t len;
	char s[]; /* len bytes and a NUL */
};

struct ike_strpool {
	struct entry **b;
	size_t nb; /* a power of two */
	size_t count, refs;
	uint64_t key; /* secret: a peer must not be able to pick colliding identities */
};

static const char empty[1] = "";

static struct entry *entry_of(const char *s)
{
	return (struct entry *)(void *)(s - offsetof(struct entry, s));
}

static uint64_t hash_of(const struct ike_strpool *p, const char *s, size_t len)
{
	uint64_t h = p->key ^ len;

	while (len >= 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		h = ike_mix64(h ^ w);
		s += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t w = 0;

		memcpy(&w, s, len);
		h = ike_mix64(h ^ w ^ ((uint64_t)len << 56));
	}
	return ike_mix64(h);
}

struct ike_strpool *ike_strpool_new(void)
{
	struct ike_strpool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->nb = MIN_BUCKETS;
	p->b = calloc(p->nb, sizeof(*p->b));
	if (p->b == NULL || getrandom(&p->key, sizeof(p->key), 0) != sizeof(p->key)) {
		free(p->b);
		free(p);
		return NULL;
	}
	return p;
}

void ike_strpool_free(struct ike_strpool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nb; i++) {
		struct entry *e = p->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(p->b);
	free(p);
}

/* Move every entry to a table of nb buckets; unchanged when memory runs out. */
static void rehash(struct ike_strpool *p, size_t nb)
{
	struct entry **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;
	for (size_t i = 0; i < p->nb; i++) {
		struct entry *e = p->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(p->b);
	p->b = b;
	p->nb = nb;
}

const char *ike_strpool_get(struct ike_strpool *p, const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);
	struct entry *e;
	uint64_t h;

	if (nul != NULL)
		len = (size_t)(nul - s);
	if (len == 0)
		return empty;
	if (len > UINT32_MAX)
		return NULL;
	h = hash_of(p, s, len);
	for (e = p->b[h & (p->nb - 1)]; e != NULL; e = e->next) {
		if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0) {
			if (e->refs == UINT32_MAX)
				return NULL;
			e->refs++;
			p->refs++;
			return e->s;
		}
	}
	e = malloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return NULL;
	e->hash = h;
	e->refs = 1;
	e->len = (uint32_t)len;
	memcpy(e->s, s, len);
	e->s[len] = '\0';
	e->next = p->b[h & (p->nb - 1)];
	p->b[h & (p->nb - 1)] = e;
	p->count++;
	p->refs++;
	if (p->count > p->nb)
		rehash(p, p->nb * 2);
	return e->s;
}

void ike_strpool_put(struct ike_strpool *p, const char *s)
{
	struct entry *e, **pp;

	if (s == NULL || s[0] == '\0') /* an entry is never empty: "" was not counted */
		return;
	e = entry_of(s);
	p->refs--;
	if (--e->refs > 0)
		return;
	for (pp = &p->b[e->hash & (p->nb - 1)]; *pp != e; pp = &(*pp)->next)
		;
	*pp = e->next;
	free(e);
	p->count--;
	if (p->nb > MIN_BUCKETS && p->count < p->nb / 4)
		rehash(p, p->nb / 2);
}

size_t ike_strpool_count(const struct ike_strpool *p)
{
	return p->count;
}

size_t ike_strpool_refs(const struct ike_strpool *p)
{
	return p->refs;
}

size_t ike_strpool_refs_of(const char *s)
{
	return s == NULL || s[0] == '\0' ? 0 : entry_of(s)->refs;
}
