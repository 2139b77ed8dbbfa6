/*
 * mib_index.c - index arithmetic and sorted row keys for IKEMON-MIB's tables (see
 * mib_index.h), and DateAndTime.
 *
 * Why the *_after functions: a GETNEXT may name any OID (a partial index, an index past
 * 2^32, one longer than the table's), and the next row is the first whose index OID is
 * greater.  For numeric indexes that reduces to one smallest key, found by bisection;
 * nothing walks the rows from the first.
 */
#include <stdlib.h>
#include <string.h>

#include "mib/ikemon_mib.h"
#include "mib/mib_index.h"

#define U32_MAX_OID ((oid)UINT32_MAX)

int mib_oid_cmp(const oid *a, size_t alen, const oid *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

/* ---------------------------------------------------------------- GET */

bool mib_index_u32(const oid *idx, size_t len, uint32_t *v)
{
	if (len != 1 || idx[0] > U32_MAX_OID)
		return false;
	*v = (uint32_t)idx[0];
	return true;
}

bool mib_index_u32_pair(const oid *idx, size_t len, uint32_t *a, uint32_t *b)
{
	if (len != 2 || idx[0] > U32_MAX_OID || idx[1] > U32_MAX_OID)
		return false;
	*a = (uint32_t)idx[0];
	*b = (uint32_t)idx[1];
	return true;
}

bool mib_index_name(const oid *idx, size_t len, char *name, size_t size)
{
	size_t n;

	if (len < 2 || size <= IKE_PEER_NAME_MAX || idx[0] != len - 1 ||
	    len - 1 > IKE_PEER_NAME_MAX)
		return false;
	n = len - 1;
	for (size_t i = 0; i < n; i++) {
		if (idx[1 + i] == 0 || idx[1 + i] > 255)
			return false;
		name[i] = (char)(unsigned char)idx[1 + i];
	}
	name[n] = '\0';
	return true;
}

size_t mib_name_oid(const char *name, oid *out)
{
	size_t n = strlen(name);

	if (n == 0 || n > IKE_PEER_NAME_MAX)
		return 0;
	out[0] = n;
	for (size_t i = 0; i < n; i++)
		out[1 + i] = (unsigned char)name[i];
	return n + 1;
}

/* ---------------------------------------------------------------- GETNEXT */

/*
 * [k] follows [r0, ...] when k > r0; [r0] alone also when it is the request itself and
 * the search is inclusive.  ([r0] is a prefix of [r0, r1, ...], so it sorts before it.)
 */
bool mib_u32_after(const oid *idx, size_t len, bool inclusive, uint32_t *min)
{
	if (len == 0) {
		*min = 0;
		return true;
	}
	if (inclusive && len == 1 && idx[0] <= U32_MAX_OID) {
		*min = (uint32_t)idx[0];
		return true;
	}
	if (idx[0] >= U32_MAX_OID)
		return false;
	*min = (uint32_t)idx[0] + 1;
	return true;
}

/*
 * [a, b] follows [r0] when a >= r0 (longer, same prefix); follows [r0, r1, ...] when
 * a > r0, or a == r0 and [b] follows [r1, ...] as above.
 */
bool mib_u32_pair_after(const oid *idx, size_t len, bool inclusive, uint32_t *a_min,
                        uint32_t *b_min)
{
	uint32_t b;

	*a_min = *b_min = 0;
	if (len == 0)
		return true;
	if (idx[0] > U32_MAX_OID)
		return false;
	*a_min = (uint32_t)idx[0];
	if (len == 1)
		return true;
	if (mib_u32_after(idx + 1, len - 1, inclusive, &b)) {
		*b_min = b;
		return true;
	}
	/* no b follows under this a: the next a */
	if (*a_min == UINT32_MAX)
		return false;
	(*a_min)++;
	return true;
}

/* ---------------------------------------------------------------- name keys */

static int name_key_cmp(const void *a, const void *b)
{
	const struct mib_name_key *x = a, *y = b;

	return mib_oid_cmp(x->key, x->len, y->key, y->len);
}

void mib_name_keys_sort(struct mib_name_key *keys, size_t n)
{
	if (n > 1)
		qsort(keys, n, sizeof(*keys), name_key_cmp);
}

size_t mib_name_keys_after(const struct mib_name_key *keys, size_t n, const oid *idx, size_t len,
                           bool inclusive)
{
	size_t lo = 0, hi = n;

	/* the first key with cmp(key, idx) > 0 (>= 0 inclusive) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = mib_oid_cmp(keys[mid].key, keys[mid].len, idx, len);

		if (c > 0 || (inclusive && c == 0))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

size_t mib_name_keys_find(const struct mib_name_key *keys, size_t n, const oid *idx, size_t len)
{
	size_t i = mib_name_keys_after(keys, n, idx, len, true);

	if (i < n && mib_oid_cmp(keys[i].key, keys[i].len, idx, len) == 0)
		return i;
	return n;
}

/* ---------------------------------------------------------------- u32 index */

void mib_u32_index_init(struct mib_u32_index *ix)
{
	memset(ix, 0, sizeof(*ix));
}

void mib_u32_index_free(struct mib_u32_index *ix)
{
	free(ix->rows);
	mib_u32_index_init(ix);
}

void mib_u32_index_clear(struct mib_u32_index *ix)
{
	ix->n = ix->live = 0;
}

/* The first row (tombstones included) with key >= k. */
static size_t lower_bound(const struct mib_u32_index *ix, uint32_t k)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->rows[mid].key < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void compact(struct mib_u32_index *ix)
{
	size_t j = 0;

	for (size_t i = 0; i < ix->n; i++)
		if (ix->rows[i].ptr != NULL)
			ix->rows[j++] = ix->rows[i];
	ix->n = j;
}

int mib_u32_index_add(struct mib_u32_index *ix, uint32_t key, const void *ptr)
{
	size_t at;

	if (ptr == NULL)
		return -1;
	at = ix->n > 0 && ix->rows[ix->n - 1].key < key ? ix->n : lower_bound(ix, key);
	if (at < ix->n && ix->rows[at].key == key) {
		if (ix->rows[at].ptr == NULL)
			ix->live++;
		ix->rows[at].ptr = ptr;
		return 0;
	}
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 64;
		struct mib_u32_row *rows = realloc(ix->rows, cap * sizeof(*rows));

		if (rows == NULL)
			return -1;
		ix->rows = rows;
		ix->cap = cap;
	}
	memmove(&ix->rows[at + 1], &ix->rows[at], (ix->n - at) * sizeof(ix->rows[0]));
	ix->rows[at].key = key;
	ix->rows[at].ptr = ptr;
	ix->n++;
	ix->live++;
	return 0;
}

void mib_u32_index_remove(struct mib_u32_index *ix, uint32_t key)
{
	size_t at = lower_bound(ix, key);

	if (at >= ix->n || ix->rows[at].key != key || ix->rows[at].ptr == NULL)
		return;
	ix->rows[at].ptr = NULL;
	ix->live--;
	/* amortised O(1): a compaction costs n after at least n/2 removals */
	if (ix->n - ix->live > 16 && ix->n - ix->live > ix->live)
		compact(ix);
}

const struct mib_u32_row *mib_u32_index_find(const struct mib_u32_index *ix, uint32_t key)
{
	size_t at = lower_bound(ix, key);

	if (at < ix->n && ix->rows[at].key == key && ix->rows[at].ptr != NULL)
		return &ix->rows[at];
	return NULL;
}

const struct mib_u32_row *mib_u32_index_from(const struct mib_u32_index *ix, uint32_t min)
{
	for (size_t at = lower_bound(ix, min); at < ix->n; at++)
		if (ix->rows[at].ptr != NULL)
			return &ix->rows[at];
	return NULL;
}

const struct mib_u32_row *mib_u32_index_next(const struct mib_u32_index *ix,
                                             const struct mib_u32_row *r)
{
	for (size_t at = (size_t)(r - ix->rows) + 1; at < ix->n; at++)
		if (ix->rows[at].ptr != NULL)
			return &ix->rows[at];
	return NULL;
}

/* ---------------------------------------------------------------- values */

size_t ikemon_mib_date_and_time(time_t t, uint8_t out[11])
{
	struct tm tm;

	memset(out, 0, 11);
	if (t <= 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 65535)
		return 8;
	out[0] = (uint8_t)((tm.tm_year + 1900) >> 8);
	out[1] = (uint8_t)((tm.tm_year + 1900) & 0xff);
	out[2] = (uint8_t)(tm.tm_mon + 1);
	out[3] = (uint8_t)tm.tm_mday;
	out[4] = (uint8_t)tm.tm_hour;
	out[5] = (uint8_t)tm.tm_min;
	out[6] = (uint8_t)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* DateAndTime has no leap second */
	out[7] = 0;                                          /* deci-seconds */
	out[8] = '+';                                        /* UTC */
	out[9] = 0;
	out[10] = 0;
	return 11;
}

size_t mib_utf8_prefix(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return n;
	n = max;
	/* back off continuation octets (10xxxxxx) and the lead octet they belong to */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}
