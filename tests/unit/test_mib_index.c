/*
 * test_mib_index.c - the pure parts of IKEMON-MIB's tables (mib/mib_index.c): index
 * decoding, where the row after an arbitrary OID starts, the sorted key arrays, and
 * DateAndTime.  No agent is involved.
 *
 * The search functions are checked against an oracle written here, independently: a
 * linear scan of every row comparing whole index OIDs with a comparator of the test's
 * own (RFC 2578 order: sub-identifier by sub-identifier, a prefix first).  Request OIDs
 * are edge cases (empty, partial, overlong, past 2^32) and random ones from a fixed seed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mib/ikemon_mib.h"
#include "mib/mib_index.h"

#define BIG ((oid)UINT32_MAX)

/* ---------------------------------------------------------------- the oracle */

static int ref_cmp(const oid *a, size_t alen, const oid *b, size_t blen)
{
	for (size_t i = 0;; i++) {
		if (i == alen && i == blen)
			return 0;
		if (i == alen)
			return -1;
		if (i == blen)
			return 1;
		if (a[i] < b[i])
			return -1;
		if (a[i] > b[i])
			return 1;
	}
}

/* A small deterministic generator (xorshift), so failures repeat. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A sub-identifier near the keys in use, or an extreme one. */
static oid rnd_sub(oid near)
{
	switch (rnd() % 8) {
	case 0:
		return 0;
	case 1:
		return BIG;
	case 2:
		return BIG + 1 + rnd() % 5;
	default: {
		oid d = rnd() % 7;

		return near >= 3 ? near + d - 3 : d;
	}
	}
}

/* ---------------------------------------------------------------- comparisons, GET */

START_TEST(test_oid_cmp)
{
	const oid a[] = {1, 3, 6}, b[] = {1, 3, 6, 1}, c[] = {1, 4}, d[] = {1, BIG + 7};

	ck_assert_int_eq(mib_oid_cmp(a, 3, a, 3), 0);
	ck_assert_int_lt(mib_oid_cmp(a, 3, b, 4), 0); /* a prefix sorts first */
	ck_assert_int_gt(mib_oid_cmp(b, 4, a, 3), 0);
	ck_assert_int_lt(mib_oid_cmp(b, 4, c, 2), 0); /* 3 < 4 decides, length does not */
	ck_assert_int_gt(mib_oid_cmp(d, 2, c, 2), 0); /* sub-identifiers past 32 bits */
	ck_assert_int_eq(mib_oid_cmp(a, 0, b, 0), 0);
	ck_assert_int_lt(mib_oid_cmp(a, 0, b, 1), 0);
}
END_TEST

START_TEST(test_index_u32)
{
	const oid one[] = {1001}, max[] = {BIG}, over[] = {BIG + 1}, two[] = {1001, 2};
	uint32_t v, w;

	ck_assert(mib_index_u32(one, 1, &v));
	ck_assert_uint_eq(v, 1001);
	ck_assert(mib_index_u32(max, 1, &v));
	ck_assert_uint_eq(v, UINT32_MAX);
	ck_assert(!mib_index_u32(over, 1, &v));
	ck_assert(!mib_index_u32(one, 0, &v));
	ck_assert(!mib_index_u32(two, 2, &v));
	ck_assert(mib_index_u32_pair(two, 2, &v, &w));
	ck_assert_uint_eq(v, 1001);
	ck_assert_uint_eq(w, 2);
	ck_assert(!mib_index_u32_pair(two, 1, &v, &w));
	ck_assert(!mib_index_u32_pair((const oid[]){1001, BIG + 1}, 2, &v, &w));
	ck_assert(!mib_index_u32_pair((const oid[]){BIG + 1, 1}, 2, &v, &w));
	ck_assert(!mib_index_u32_pair((const oid[]){1, 2, 3}, 3, &v, &w));
}
END_TEST

START_TEST(test_index_name)
{
	oid key[MIB_NAME_OID_MAX], bad[MIB_NAME_OID_MAX + 2];
	char name[IKE_PEER_NAME_MAX + 1], long_name[IKE_PEER_NAME_MAX + 2];
	size_t len = mib_name_oid("spoke1", key);

	ck_assert_uint_eq(len, 7);
	ck_assert_uint_eq(key[0], 6);
	ck_assert_uint_eq(key[1], 's');
	ck_assert_uint_eq(key[6], '1');
	ck_assert(mib_index_name(key, len, name, sizeof(name)));
	ck_assert_str_eq(name, "spoke1");
	/* a length prefix that disagrees, a partial index, an empty one */
	ck_assert(!mib_index_name(key, len - 1, name, sizeof(name)));
	ck_assert(!mib_index_name(key, 1, name, sizeof(name)));
	ck_assert(!mib_index_name(key, 0, name, sizeof(name)));
	/* octets must be 1..255 */
	memcpy(bad, key, len * sizeof(oid));
	bad[3] = 256;
	ck_assert(!mib_index_name(bad, len, name, sizeof(name)));
	bad[3] = 0;
	ck_assert(!mib_index_name(bad, len, name, sizeof(name)));
	/* 32 octets is the longest name; 33 is refused both ways */
	memset(long_name, 'x', IKE_PEER_NAME_MAX);
	long_name[IKE_PEER_NAME_MAX] = '\0';
	len = mib_name_oid(long_name, key);
	ck_assert_uint_eq(len, MIB_NAME_OID_MAX);
	ck_assert(mib_index_name(key, len, name, sizeof(name)));
	ck_assert_str_eq(name, long_name);
	long_name[IKE_PEER_NAME_MAX] = 'x';
	long_name[IKE_PEER_NAME_MAX + 1] = '\0';
	ck_assert_uint_eq(mib_name_oid(long_name, key), 0);
	bad[0] = IKE_PEER_NAME_MAX + 1;
	for (size_t i = 1; i < MIB_NAME_OID_MAX + 1; i++)
		bad[i] = 'x';
	ck_assert(!mib_index_name(bad, MIB_NAME_OID_MAX + 1, name, sizeof(name)));
	ck_assert_uint_eq(mib_name_oid("", key), 0);
	/* octets above 127 (UTF-8) survive */
	len = mib_name_oid("gw-\xc3\xa9", key);
	ck_assert_uint_eq(key[4], 0xc3);
	ck_assert(mib_index_name(key, len, name, sizeof(name)));
	ck_assert_str_eq(name, "gw-\xc3\xa9");
}
END_TEST

/* ---------------------------------------------------------------- GETNEXT bounds */

static const uint32_t keys1[] = {1, 2, 1001, 1002, 1005, 70000, UINT32_MAX - 1, UINT32_MAX};
#define N_KEYS1 (sizeof(keys1) / sizeof(keys1[0]))

/* Oracle: the first key whose index [k] is after idx (at idx too, inclusive), or -1. */
static long ref_next1(const oid *idx, size_t len, bool inclusive)
{
	for (size_t i = 0; i < N_KEYS1; i++) {
		oid k = keys1[i];
		int c = ref_cmp(&k, 1, idx, len);

		if (c > 0 || (inclusive && c == 0))
			return (long)i;
	}
	return -1;
}

/* What mib_u32_after says, applied to the same keys. */
static long got_next1(const oid *idx, size_t len, bool inclusive)
{
	uint32_t min;

	if (!mib_u32_after(idx, len, inclusive, &min))
		return -1;
	for (size_t i = 0; i < N_KEYS1; i++)
		if (keys1[i] >= min)
			return (long)i;
	return -1;
}

static void check_next1(const oid *idx, size_t len)
{
	for (int incl = 0; incl < 2; incl++)
		ck_assert_msg(got_next1(idx, len, incl) == ref_next1(idx, len, incl),
		              "len %zu first %lu incl %d: got %ld, want %ld", len,
		              len ? (unsigned long)idx[0] : 0ul, incl, got_next1(idx, len, incl),
		              ref_next1(idx, len, incl));
}

START_TEST(test_u32_after)
{
	oid idx[4] = {0};

	check_next1(idx, 0);
	for (size_t i = 0; i < N_KEYS1; i++) {
		for (oid d = 0; d < 3; d++) {
			idx[0] = keys1[i] + d - 1;
			check_next1(idx, 1);
			idx[1] = 0;
			check_next1(idx, 2);
			idx[1] = BIG + 3;
			check_next1(idx, 2);
		}
	}
	idx[0] = BIG + 1;
	check_next1(idx, 1);
	for (int n = 0; n < 20000; n++) {
		size_t len = rnd() % 4;

		for (size_t j = 0; j < len; j++)
			idx[j] = rnd_sub(keys1[rnd() % N_KEYS1]);
		check_next1(idx, len);
	}
}
END_TEST

struct pair {
	uint32_t a, b;
};

static const struct pair keys2[] = {{1001, 1},
                                    {1001, 2},
                                    {1001, 7},
                                    {1003, 1},
                                    {1004, UINT32_MAX},
                                    {UINT32_MAX, 1},
                                    {UINT32_MAX, UINT32_MAX}};
#define N_KEYS2 (sizeof(keys2) / sizeof(keys2[0]))

static long ref_next2(const oid *idx, size_t len, bool inclusive)
{
	for (size_t i = 0; i < N_KEYS2; i++) {
		oid k[2] = {keys2[i].a, keys2[i].b};
		int c = ref_cmp(k, 2, idx, len);

		if (c > 0 || (inclusive && c == 0))
			return (long)i;
	}
	return -1;
}

static long got_next2(const oid *idx, size_t len, bool inclusive)
{
	uint32_t a, b;

	if (!mib_u32_pair_after(idx, len, inclusive, &a, &b))
		return -1;
	for (size_t i = 0; i < N_KEYS2; i++)
		if (keys2[i].a > a || (keys2[i].a == a && keys2[i].b >= b))
			return (long)i;
	return -1;
}

START_TEST(test_u32_pair_after)
{
	oid idx[4] = {0};

	for (int n = 0; n < 50000; n++) {
		size_t len = rnd() % 5;
		const struct pair *p = &keys2[rnd() % N_KEYS2];

		for (size_t j = 0; j < len && j < 4; j++)
			idx[j] = rnd_sub(j == 0 ? p->a : p->b);
		if (len > 4)
			len = 4;
		for (int incl = 0; incl < 2; incl++)
			ck_assert_msg(got_next2(idx, len, incl) == ref_next2(idx, len, incl),
			              "len %zu [%lu %lu] incl %d: got %ld, want %ld", len,
			              len > 0 ? (unsigned long)idx[0] : 0ul,
			              len > 1 ? (unsigned long)idx[1] : 0ul, incl,
			              got_next2(idx, len, incl), ref_next2(idx, len, incl));
	}
}
END_TEST

/* ---------------------------------------------------------------- name keys */

static const char *const names[] = {
    "spoke1", "b",      "aa", "spoke10",           "hub",
    "a",      "spoke2", "zz", "\xc3\xa9t\xc3\xa9", "a-very-long-peer-name-of-32-oct"};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static void make_keys(struct mib_name_key *k)
{
	for (size_t i = 0; i < N_NAMES; i++) {
		k[i].len = mib_name_oid(names[i], k[i].key);
		k[i].pos = i;
		ck_assert_uint_gt(k[i].len, 0);
	}
	mib_name_keys_sort(k, N_NAMES);
}

START_TEST(test_name_order)
{
	struct mib_name_key k[N_NAMES];
	const char *want[] = {"a",       "b",
	                      "aa",      "zz",
	                      "hub",     "\xc3\xa9t\xc3\xa9",
	                      "spoke1",  "spoke2",
	                      "spoke10", "a-very-long-peer-name-of-32-oct"};

	make_keys(k);
	for (size_t i = 0; i < N_NAMES; i++)
		ck_assert_str_eq(names[k[i].pos], want[i]);
}
END_TEST

static size_t ref_name_after(const struct mib_name_key *k, const oid *idx, size_t len,
                             bool inclusive)
{
	for (size_t i = 0; i < N_NAMES; i++) {
		int c = ref_cmp(k[i].key, k[i].len, idx, len);

		if (c > 0 || (inclusive && c == 0))
			return i;
	}
	return N_NAMES;
}

START_TEST(test_name_search)
{
	struct mib_name_key k[N_NAMES];
	oid idx[MIB_NAME_OID_MAX + 2];

	make_keys(k);
	/* every key exactly, and every prefix of every key */
	for (size_t i = 0; i < N_NAMES; i++) {
		for (size_t len = 0; len <= k[i].len; len++)
			for (int incl = 0; incl < 2; incl++)
				ck_assert_uint_eq(
				    mib_name_keys_after(k, N_NAMES, k[i].key, len, incl),
				    ref_name_after(k, k[i].key, len, incl));
		ck_assert_uint_eq(mib_name_keys_find(k, N_NAMES, k[i].key, k[i].len), i);
	}
	/* random OIDs: lengths near the names', octets near theirs */
	for (int n = 0; n < 50000; n++) {
		const struct mib_name_key *p = &k[rnd() % N_NAMES];
		size_t len = rnd() % (MIB_NAME_OID_MAX + 2);

		for (size_t j = 0; j < len; j++)
			idx[j] = j < p->len && rnd() % 4 != 0
			             ? p->key[j]
			             : rnd_sub(j < p->len ? p->key[j] : 'm');
		for (int incl = 0; incl < 2; incl++)
			ck_assert_uint_eq(mib_name_keys_after(k, N_NAMES, idx, len, incl),
			                  ref_name_after(k, idx, len, incl));
		if (ref_name_after(k, idx, len, true) < N_NAMES &&
		    ref_cmp(k[ref_name_after(k, idx, len, true)].key,
		            k[ref_name_after(k, idx, len, true)].len, idx, len) == 0)
			ck_assert_uint_eq(mib_name_keys_find(k, N_NAMES, idx, len),
			                  ref_name_after(k, idx, len, true));
		else
			ck_assert_uint_eq(mib_name_keys_find(k, N_NAMES, idx, len), N_NAMES);
	}
	ck_assert_uint_eq(mib_name_keys_after(k, 0, idx, 0, false), 0);
}
END_TEST

/* ---------------------------------------------------------------- the u32 index */

#define UNIVERSE 600

/* The index against a plain array of what should be in it, after every operation. */
static void check_index(const struct mib_u32_index *ix, const void *const *want)
{
	size_t live = 0;

	for (uint32_t k = 0; k < UNIVERSE; k++) {
		const struct mib_u32_row *f = mib_u32_index_find(ix, k);
		const struct mib_u32_row *from = mib_u32_index_from(ix, k);
		uint32_t next = k;

		live += want[k] != NULL;
		ck_assert_ptr_eq(f != NULL ? f->ptr : NULL, want[k]);
		while (next < UNIVERSE && want[next] == NULL)
			next++;
		if (next == UNIVERSE) {
			ck_assert_ptr_null(from);
		} else {
			ck_assert_ptr_nonnull(from);
			ck_assert_uint_eq(from->key, next);
			ck_assert_ptr_eq(from->ptr, want[next]);
		}
	}
	ck_assert_uint_eq(ix->live, live);
}

START_TEST(test_u32_index)
{
	static const void *want[UNIVERSE];
	static int token[UNIVERSE];
	struct mib_u32_index ix;
	const struct mib_u32_row *r;
	size_t n;

	mib_u32_index_init(&ix);
	memset(want, 0, sizeof(want));
	/* growing keys, as conn-ids come */
	for (uint32_t k = 10; k < 400; k += 3) {
		ck_assert_int_eq(mib_u32_index_add(&ix, k, &token[k]), 0);
		want[k] = &token[k];
	}
	check_index(&ix, want);
	/* iteration sees them all, in order */
	n = 0;
	for (r = mib_u32_index_from(&ix, 0); r != NULL; r = mib_u32_index_next(&ix, r), n++)
		ck_assert_uint_eq(r->key, 10 + 3 * n);
	ck_assert_uint_eq(n, ix.live);
	/* random removals (compactions happen) and additions out of order */
	for (int step = 0; step < 4000; step++) {
		uint32_t k = (uint32_t)(rnd() % UNIVERSE);

		if (rnd() % 3 == 0) {
			ck_assert_int_eq(mib_u32_index_add(&ix, k, &token[k]), 0);
			want[k] = &token[k];
		} else {
			mib_u32_index_remove(&ix, k);
			want[k] = NULL;
		}
		if (step % 97 == 0)
			check_index(&ix, want);
	}
	check_index(&ix, want);
	ck_assert_uint_le(ix.n - ix.live, ix.live > 16 ? ix.live : 16); /* tombstones bounded */
	ck_assert_int_eq(mib_u32_index_add(&ix, 5, NULL), -1);
	mib_u32_index_clear(&ix);
	ck_assert_ptr_null(mib_u32_index_from(&ix, 0));
	ck_assert_int_eq(mib_u32_index_add(&ix, UINT32_MAX, &token[1]), 0);
	ck_assert_ptr_eq(mib_u32_index_find(&ix, UINT32_MAX)->ptr, &token[1]);
	mib_u32_index_free(&ix);
}
END_TEST

/* ---------------------------------------------------------------- values */

START_TEST(test_date_and_time)
{
	uint8_t b[11];
	const uint8_t noon[11] = {0x07, 0xea, 11, 27, 12, 0, 0, 0, '+', 0, 0};
	const uint8_t t17[11] = {0x07, 0xe7, 11, 14, 22, 13, 20, 0, '+', 0, 0};
	const uint8_t zero[8] = {0};

	/* 2026-11-27T12:00:00Z and 2023-11-14T22:13:20Z */
	ck_assert_uint_eq(ikemon_mib_date_and_time((time_t)1795780800, b), 11);
	ck_assert_mem_eq(b, noon, 11);
	ck_assert_uint_eq(ikemon_mib_date_and_time((time_t)1700000000, b), 11);
	ck_assert_mem_eq(b, t17, 11);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(ikemon_mib_date_and_time(0, b), 8);
	ck_assert_mem_eq(b, zero, 8);
	ck_assert_uint_eq(ikemon_mib_date_and_time((time_t)-5, b), 8);
	ck_assert_mem_eq(b, zero, 8);
}
END_TEST

START_TEST(test_utf8_prefix)
{
	ck_assert_uint_eq(mib_utf8_prefix("short", 63), 5);
	ck_assert_uint_eq(mib_utf8_prefix("exactly", 7), 7);
	ck_assert_uint_eq(mib_utf8_prefix("exactly8", 7), 7);
	/* "h\xc3\xa9llo": cutting at 2 would split the e-acute: back to 1 */
	ck_assert_uint_eq(mib_utf8_prefix("h\xc3\xa9llo", 2), 1);
	ck_assert_uint_eq(mib_utf8_prefix("h\xc3\xa9llo", 3), 3);
	/* a four-octet character cut anywhere inside goes whole */
	for (size_t m = 1; m < 4; m++)
		ck_assert_uint_eq(mib_utf8_prefix("\xf0\x9f\x94\x91x", m), 0);
	ck_assert_uint_eq(mib_utf8_prefix("\xf0\x9f\x94\x91x", 4), 4);
	ck_assert_uint_eq(mib_utf8_prefix("", 0), 0);
}
END_TEST

static Suite *mib_index_suite(void)
{
	Suite *s = suite_create("mib_index");
	TCase *tc = tcase_create("index");

	tcase_add_test(tc, test_oid_cmp);
	tcase_add_test(tc, test_index_u32);
	tcase_add_test(tc, test_index_name);
	tcase_add_test(tc, test_u32_after);
	tcase_add_test(tc, test_u32_pair_after);
	tcase_add_test(tc, test_name_order);
	tcase_add_test(tc, test_name_search);
	tcase_add_test(tc, test_u32_index);
	tcase_add_test(tc, test_date_and_time);
	tcase_add_test(tc, test_utf8_prefix);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mib_index_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
