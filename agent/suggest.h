/*
 * suggest.h - "did you mean ...?": the closest of a few known words to one a person
 * mistyped, for ikemonctl's and the control socket's error messages.
 *
 * A word is compared with each candidate and with the candidate's prefix of the same
 * length (keywords may be abbreviated, so "cyr" is a typo of "cry", hence of "crypto"),
 * counting insertions, deletions, substitutions and swaps of two neighbours.  Short
 * words allow fewer edits, so that "x" suggests nothing.
 */
#ifndef AGENT_SUGGEST_H
#define AGENT_SUGGEST_H

#include <stddef.h>

/* Words longer than this are not compared (no suggestion for them). */
#define SUGGEST_MAX_LEN 64

/*
 * The edit distance between a and b (insertions, deletions, substitutions, adjacent
 * swaps: optimal string alignment), or -1 when either is longer than SUGGEST_MAX_LEN.
 */
int suggest_distance(const char *a, const char *b);

/*
 * The candidate closest to word, when it is close enough to be a typo of it (no edit for
 * words of 1 or 2 characters, 1 for 3 or 4, 2 beyond); NULL when none is, or when two
 * candidates are equally close.  NULL entries of candidates are skipped.
 */
const char *suggest_closest(const char *word, const char *const *candidates, size_t n);

#endif /* AGENT_SUGGEST_H */
