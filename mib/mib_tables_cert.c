/*
 * mib_tables_cert.c - ikemonCertTable: one row per certificate a configured peer's
 * credentials loaded (its own, the intermediates sent with it, the CAs), indexed by the
 * peer's name (length-prefixed, as ikemonPeerTable) and the certificate's number in
 * ike_creds_info() order, from 1.  Peers with a pre-shared key have no rows.
 *
 * The rows come from the peers' sorted names (mib_tables_peer.c keeps them, rebuilt when
 * the configuration changes) and each peer's immutable credentials: a GET or GETNEXT
 * costs a bisection among the names and, for GETNEXT, a step over the peers without
 * certificates that follow.
 */
#include <string.h>

#include "ike/cert.h"
#include "mib/mib_private.h"

static const struct ike_creds *peer_creds(struct mib_ctx *c, size_t pos)
{
	const struct ike_peer_cfg *p = ike_engine_peer(c->src.engine, pos);

	return p != NULL ? p->creds : NULL;
}

static void cert_row(const struct mib_name_key *k, const struct ike_cert_info *ci, uint32_t n,
                     struct mib_row *r)
{
	r->p = ci;
	r->n = k->pos;
	memcpy(r->idx, k->key, k->len * sizeof(oid));
	r->idx[k->len] = n;
	r->idx_len = k->len + 1;
}

/* The name key idx starts with (a whole length-prefixed name), or n_names. */
static size_t name_prefix(struct mib_ctx *c, const oid *idx, size_t len)
{
	if (len == 0 || idx[0] == 0 || idx[0] > IKE_PEER_NAME_MAX || len < idx[0] + 1)
		return c->n_names;
	return mib_name_keys_find(c->names, c->n_names, idx, idx[0] + 1);
}

static bool cert_get(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r)
{
	size_t k = name_prefix(c, idx, len), nlen;
	const struct ike_creds *cr;
	const struct ike_cert_info *ci;

	if (k >= c->n_names)
		return false;
	nlen = c->names[k].len;
	if (len != nlen + 1 || idx[nlen] == 0 || idx[nlen] > UINT32_MAX)
		return false;
	cr = peer_creds(c, c->names[k].pos);
	if ((ci = ike_creds_info(cr, idx[nlen] - 1)) == NULL)
		return false;
	cert_row(&c->names[k], ci, (uint32_t)idx[nlen], r);
	return true;
}

/* The first certificate, numbered from first (1-based), of the peers from key k on. */
static bool first_from(struct mib_ctx *c, size_t k, uint64_t first, struct mib_row *r)
{
	for (; k < c->n_names; k++, first = 1) {
		const struct ike_creds *cr = peer_creds(c, c->names[k].pos);
		const struct ike_cert_info *ci;

		if (first <= ike_creds_count(cr) && (ci = ike_creds_info(cr, first - 1)) != NULL) {
			cert_row(&c->names[k], ci, (uint32_t)first, r);
			return true;
		}
	}
	return false;
}

/*
 * A row's index is a name key followed by one number.  When idx starts with a whole
 * name key, the rows of that name after the rest of idx come first; else the rows of
 * every name after idx (no name key is then a prefix of idx, so a name's rows follow idx
 * exactly when the name's key does).
 */
static bool cert_next(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
                      struct mib_row *r)
{
	size_t k = name_prefix(c, idx, len), nlen;
	uint64_t first = 1;

	if (k >= c->n_names)
		return first_from(c, mib_name_keys_after(c->names, c->n_names, idx, len, false), 1,
		                  r);
	nlen = c->names[k].len;
	if (len > nlen) {
		/* the number: row n follows when n > idx[nlen], or n == idx[nlen] and
		   (inclusive) idx ends there; a longer idx comes after row idx[nlen] */
		if (idx[nlen] > UINT32_MAX)
			return first_from(c, k + 1, 1, r);
		first = idx[nlen] + (inclusive && len == nlen + 1 ? 0 : 1);
		if (first == 0)
			first = 1;
	}
	return first_from(c, k, first, r);
}

static long seconds_left(time_t not_after)
{
	double d = difftime(not_after, time(NULL));

	return d >= INT32_MAX ? INT32_MAX : d <= INT32_MIN ? INT32_MIN : (long)d;
}

static bool cert_column(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
                        struct mib_val *v)
{
	const struct ike_cert_info *ci = r->p;

	(void)c;
	switch (col) {
	case CERT_COL_ROLE:
		mib_val_int(v, strcmp(ci->role, "local") == 0          ? MIB_CERT_LOCAL
		               : strcmp(ci->role, "intermediate") == 0 ? MIB_CERT_INTERMEDIATE
		                                                       : MIB_CERT_CA);
		return true;
	case CERT_COL_SUBJECT:
		mib_val_str(v, ci->subject, MIB_TEXT_SIZE);
		return true;
	case CERT_COL_NOT_BEFORE:
		mib_val_time(v, ci->not_before);
		return true;
	case CERT_COL_NOT_AFTER:
		mib_val_time(v, ci->not_after);
		return true;
	case CERT_COL_SECONDS_LEFT:
		mib_val_int(v, seconds_left(ci->not_after));
		return true;
	}
	return false;
}

const struct mib_table mib_cert_table = {
    .name = "ikemonCertTable",
    .sub = MIB_CERT_TABLE,
    .min_col = CERT_COL_ROLE,
    .max_col = CERT_COL_SECONDS_LEFT,
    .get = cert_get,
    .next = cert_next,
    .column = cert_column,
};
