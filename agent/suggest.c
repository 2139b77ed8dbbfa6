/*
 * suggest.c - the closest known word to a mistyped one (see suggest.h).
 *
 * Optimal string alignment over two rows of a small table: the words compared are
 * commands, keywords, options and peer names, a few dozen characters at most, so the
 * cost is nothing next to the request they answer.
 */
#include <string.h>

#include "agent/suggest.h"

static int min3(int a, int b, int c)
{
	int m = a < b ? a : b;

	return m < c ? m : c;
}

/* The distance between a[0..la) and b[0..lb), both at most SUGGEST_MAX_LEN long. */
static int osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
	int rows[3][SUGGEST_MAX_LEN + 1];
	int *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;

	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			/* two neighbours swapped ("shwo" for "show") cost one edit */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

int suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return -1;
	return osa_distance(a, la, b, lb);
}

/* How many edits a word of len characters may be from a candidate to be called a typo. */
static int allowed_edits(size_t len)
{
	if (len <= 2)
		return 0;
	return len <= 4 ? 1 : 2;
}

/* The smaller of the distances to the whole candidate and to its prefix of word's length. */
static int distance_to(const char *word, size_t lw, const char *cand)
{
	size_t lc = strlen(cand);
	int whole, prefix;

	if (lc > SUGGEST_MAX_LEN)
		return -1;
	whole = osa_distance(word, lw, cand, lc);
	if (lc <= lw)
		return whole;
	prefix = osa_distance(word, lw, cand, lw);
	return prefix < whole ? prefix : whole;
}

const char *suggest_closest(const char *word, const char *const *candidates, size_t n)
{
	size_t lw = strlen(word);
	const char *best = NULL;
	int best_d = -1;
	int tie = 0;

	if (lw == 0 || lw > SUGGEST_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int d;

		if (candidates[i] == NULL)
			continue;
		d = distance_to(word, lw, candidates[i]);
		if (d < 0 || d > allowed_edits(lw))
			continue;
		if (best == NULL || d < best_d) {
			best = candidates[i];
			best_d = d;
			tie = 0;
		} else if (d == best_d && strcmp(candidates[i], best) != 0) {
			tie = 1;
		}
	}
	return tie ? NULL : best;
}
