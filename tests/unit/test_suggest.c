/*
 * test_suggest.c - "did you mean": the edit distance (agent/suggest.c) against an
 * oracle written here, the full (n+1) x (m+1) table of optimal string alignment, on
 * hand-picked pairs and on random words from a fixed seed; and the choice of the
 * closest word as ikemonctl's messages use it: typos of commands, keywords and peer
 * names are found, abbreviations count, short words and ties suggest nothing.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/suggest.h"

/* ---------------------------------------------------------------- the oracle */

static int ref_osa(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	int d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + (a[i - 1] != b[j - 1]) < best)
				best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static unsigned next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

/* A random word of 0..max letters from a small alphabet, so that words share letters. */
static void random_word(char *buf, size_t max)
{
	size_t len = next_rand() % (max + 1);

	for (size_t i = 0; i < len; i++)
		buf[i] = "abcs"[next_rand() % 4];
	buf[len] = '\0';
}

/* ---------------------------------------------------------------- distance */

START_TEST(distance_known_pairs)
{
	ck_assert_int_eq(suggest_distance("", ""), 0);
	ck_assert_int_eq(suggest_distance("show", "show"), 0);
	ck_assert_int_eq(suggest_distance("shwo", "show"), 1); /* a swap is one edit */
	ck_assert_int_eq(suggest_distance("crpto", "crypto"), 1);
	ck_assert_int_eq(suggest_distance("sow", "show"), 1);
	ck_assert_int_eq(suggest_distance("showw", "show"), 1);
	ck_assert_int_eq(suggest_distance("kitten", "sitting"), 3);
	ck_assert_int_eq(suggest_distance("", "abc"), 3);
	ck_assert_int_eq(suggest_distance("ca", "abc"), 3); /* OSA: no edit of a swapped pair */
}
END_TEST

START_TEST(distance_matches_oracle)
{
	char a[16], b[16];

	for (int i = 0; i < 20000; i++) {
		random_word(a, 12);
		random_word(b, 12);
		ck_assert_msg(suggest_distance(a, b) == ref_osa(a, b), "'%s' '%s': %d, oracle %d",
		              a, b, suggest_distance(a, b), ref_osa(a, b));
		ck_assert_int_eq(suggest_distance(a, b), suggest_distance(b, a));
	}
}
END_TEST

START_TEST(distance_too_long)
{
	char big[SUGGEST_MAX_LEN + 2];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(suggest_distance(big, "a"), -1);
	ck_assert_int_eq(suggest_distance("a", big), -1);
	big[SUGGEST_MAX_LEN] = '\0'; /* exactly the limit: compared */
	ck_assert_int_eq(suggest_distance(big, ""), SUGGEST_MAX_LEN);
}
END_TEST

/* ---------------------------------------------------------------- closest */

static const char *const verbs[] = {"show", "initiate", "clear", "reload", "version", "help"};
#define NV (sizeof(verbs) / sizeof(verbs[0]))

static void assert_closest(const char *word, const char *const *c, size_t n, const char *want)
{
	const char *got = suggest_closest(word, c, n);

	if (want == NULL)
		ck_assert_msg(got == NULL, "'%s': suggested '%s', expected nothing", word, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0,
		              "'%s': suggested '%s', not '%s'", word, got ? got : "(nothing)",
		              want);
}

START_TEST(closest_typos)
{
	static const char *const show_kw[] = {"crypto", "ikemon", "alarms"};
	static const char *const crypto_kw[] = {"isakmp", "ipsec"};

	assert_closest("shwo", verbs, NV, "show");
	assert_closest("sohw", verbs, NV, "show");
	assert_closest("intiate", verbs, NV, "initiate");
	assert_closest("relaod", verbs, NV, "reload");
	assert_closest("verison", verbs, NV, "version");
	assert_closest("clera", verbs, NV, "clear");
	assert_closest("crpto", show_kw, 3, "crypto");
	assert_closest("cyr", show_kw, 3, "crypto"); /* a typo of the abbreviation "cry" */
	assert_closest("alrams", show_kw, 3, "alarms");
	assert_closest("ikmon", show_kw, 3, "ikemon");
	assert_closest("isakpm", crypto_kw, 2, "isakmp");
	assert_closest("ipesc", crypto_kw, 2, "ipsec");
}
END_TEST

START_TEST(closest_nothing)
{
	static const char *const crypto_kw[] = {"isakmp", "ipsec"};
	static const char *const peers[] = {"spoke1", "spoke2", "hub"};

	assert_closest("x", verbs, NV, NULL);  /* too short to be a typo of anything */
	assert_closest("sx", verbs, NV, NULL); /* two letters: only exact */
	assert_closest("frobnicate", verbs, NV, NULL);
	assert_closest("", verbs, NV, NULL);
	assert_closest("ixsec", crypto_kw, 2, "ipsec");
	assert_closest("spoke3", peers, 3, NULL); /* spoke1 and spoke2: a tie says nothing */
	assert_closest("spokee1", peers, 3, "spoke1");
	assert_closest("hbu", peers, 3, "hub");
}
END_TEST

START_TEST(closest_skips_null_and_long)
{
	const char *const c[] = {NULL, "reload", NULL};
	char big[SUGGEST_MAX_LEN + 8];

	assert_closest("relod", c, 3, "reload");
	assert_closest("relod", c, 0, NULL);
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_closest(big, c, 3, NULL);
}
END_TEST

static Suite *suggest_suite(void)
{
	Suite *s = suite_create("suggest");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, distance_known_pairs);
	tcase_add_test(tc, distance_matches_oracle);
	tcase_add_test(tc, distance_too_long);
	tcase_add_test(tc, closest_typos);
	tcase_add_test(tc, closest_nothing);
	tcase_add_test(tc, closest_skips_null_and_long);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suggest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
