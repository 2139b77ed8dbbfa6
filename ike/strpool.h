/*
 * strpool.h - interned strings: one refcounted copy of each distinct string.
 *
 * The SA table keeps its SAs' identities and certificate subjects here: the SAs of a hub
 * share a few local identities, and a remote one is stored at its length, not at the 257
 * bytes an identity may take.  A string handed out is immutable and lives until its last
 * reference is put back.  The hash is keyed (a peer chooses its identity).
 */
#ifndef IKE_STRPOOL_H
#define IKE_STRPOOL_H

#include <stddef.h>

struct ike_strpool;

struct ike_strpool *ike_strpool_new(void);
/* Frees every string still held (their pointers become invalid). */
void ike_strpool_free(struct ike_strpool *p);

/*
 * A reference to the pool's copy of s (its first len bytes, cut at a NUL): interned on
 * first use.  "" is a constant that needs no reference.  NULL when memory runs out.
 */
const char *ike_strpool_get(struct ike_strpool *p, const char *s, size_t len);
/* Give back a reference from ike_strpool_get() (NULL and any "" are ignored). */
void ike_strpool_put(struct ike_strpool *p, const char *s);

/* Distinct strings held, and their references (tests, statistics). */
size_t ike_strpool_count(const struct ike_strpool *p);
size_t ike_strpool_refs(const struct ike_strpool *p);
/* References held to the pool's copy s (0 for "" or NULL). */
size_t ike_strpool_refs_of(const char *s);

#endif /* IKE_STRPOOL_H */
