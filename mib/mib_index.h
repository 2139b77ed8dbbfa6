/*
 * mib_index.h - the pure parts of IKEMON-MIB's tables: row indexes as OIDs, where the
 * row that follows an arbitrary OID starts, sorted arrays of row keys searched by
 * bisection, DateAndTime and UTF-8 truncation.
 *
 * Nothing here calls Net-SNMP (only its oid type is used), so the unit test links
 * without an agent.  The tables (mib/mib_tables_*.c) answer GETNEXT by turning the
 * request's index part into the smallest key a following row may have (the *_after
 * functions), then finding the first such row in a sorted array: O(log n) per request,
 * so a walk of n rows costs O(n log n) whatever the OID a manager starts from.
 *
 * Index encodings (RFC 2578 7.7): an Unsigned32 or INTEGER index is one sub-identifier;
 * a non-IMPLIED SnmpAdminString is its length followed by one sub-identifier per octet,
 * so shorter names sort first, then bytewise.
 */
#ifndef MIB_MIB_INDEX_H
#define MIB_MIB_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/types.h>

#include "ike/peer.h"

/* A peer name's index: its length, then its octets. */
#define MIB_NAME_OID_MAX (1 + IKE_PEER_NAME_MAX)

/* Lexicographic OID order, a prefix before what extends it: <0, 0, >0. */
int mib_oid_cmp(const oid *a, size_t alen, const oid *b, size_t blen);

/* ---- GET: the row an index names exactly ---- */

/* One sub-identifier that fits an Unsigned32: true and *v; false otherwise. */
bool mib_index_u32(const oid *idx, size_t len, uint32_t *v);
/* Two of them (conn-id, child index). */
bool mib_index_u32_pair(const oid *idx, size_t len, uint32_t *a, uint32_t *b);
/*
 * A length-prefixed name of 1..IKE_PEER_NAME_MAX octets, none of them NUL, into name
 * (NUL-terminated; size > IKE_PEER_NAME_MAX).  False for any other index.
 */
bool mib_index_name(const oid *idx, size_t len, char *name, size_t size);
/* The index of a name: its OID in out (MIB_NAME_OID_MAX long); 0 when too long or empty. */
size_t mib_name_oid(const char *name, oid *out);

/* ---- GETNEXT: the smallest key a row must have to follow idx ---- */

/*
 * For a table indexed by one Unsigned32: the rows that follow idx (or, inclusive, are
 * at idx) are those with key >= *min.  False when no key can (idx beyond 2^32-1).
 * idx may be empty (the whole table follows), partial or overlong, as GETNEXT allows.
 */
bool mib_u32_after(const oid *idx, size_t len, bool inclusive, uint32_t *min);
/* The same for (a, b) keys in lexicographic order: rows with (a, b) >= (*a_min, *b_min). */
bool mib_u32_pair_after(const oid *idx, size_t len, bool inclusive, uint32_t *a_min,
                        uint32_t *b_min);

/* ---- sorted name keys (the peer table) ---- */

struct mib_name_key {
	oid key[MIB_NAME_OID_MAX];
	size_t len;
	size_t pos; /* what the key stands for: the engine's peer index */
};

/* Sort keys in SNMP order (shorter names first, then bytewise). */
void mib_name_keys_sort(struct mib_name_key *keys, size_t n);
/* The first key after idx (at idx too when inclusive), or n. O(log n). */
size_t mib_name_keys_after(const struct mib_name_key *keys, size_t n, const oid *idx, size_t len,
                           bool inclusive);
/* The key equal to idx, or n. */
size_t mib_name_keys_find(const struct mib_name_key *keys, size_t n, const oid *idx, size_t len);

/* ---- sorted Unsigned32 keys with a pointer each (SAs by conn-id, alarms by sequence) ---- */

struct mib_u32_row {
	uint32_t key;
	const void *ptr; /* NULL: removed (a tombstone until the next compaction) */
};

struct mib_u32_index {
	struct mib_u32_row *rows; /* keys strictly increasing, tombstones included */
	size_t n, cap, live;
};

void mib_u32_index_init(struct mib_u32_index *ix);
void mib_u32_index_free(struct mib_u32_index *ix);
void mib_u32_index_clear(struct mib_u32_index *ix);
/*
 * Add key -> ptr at its place: O(1) at the tail (conn-ids and sequence numbers only
 * grow), a move of the rows after it otherwise.  A key present already gets the new
 * pointer.  0, or -1 when out of memory.
 */
int mib_u32_index_add(struct mib_u32_index *ix, uint32_t key, const void *ptr);
/* Remove key (no-op when absent); compacts once tombstones outnumber live rows. */
void mib_u32_index_remove(struct mib_u32_index *ix, uint32_t key);
/* The live row with key, or NULL. O(log n). */
const struct mib_u32_row *mib_u32_index_find(const struct mib_u32_index *ix, uint32_t key);
/* The first live row with a key >= min, or NULL. O(log n) (plus tombstones skipped). */
const struct mib_u32_row *mib_u32_index_from(const struct mib_u32_index *ix, uint32_t min);
/* The live row after r, or NULL. */
const struct mib_u32_row *mib_u32_index_next(const struct mib_u32_index *ix,
                                             const struct mib_u32_row *r);

/* ---- values ---- */

/* ikemon_mib_date_and_time() (mib/ikemon_mib.h) lives in mib_index.c too. */

/* The length of the longest prefix of s, at most max octets, that ends on a UTF-8
 * character boundary (SnmpAdminString columns are truncated there). */
size_t mib_utf8_prefix(const char *s, size_t max);

#endif /* MIB_MIB_INDEX_H */
