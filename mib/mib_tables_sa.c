/*
 * mib_tables_sa.c - ikemonSaTable (one row per IKE SA, by conn-id) and
 * ikemonIpsecSaTable (one row per phase-2 SA, by conn-id and child index), read live
 * from the engine's SA table.
 *
 * Rows are found through a sorted array of conn-ids (mib_index.h) kept from the engine's
 * events: SA_CREATED adds at the tail (conn-ids only grow; one announced out of order is
 * moved into place), SA_REMOVED leaves a tombstone that a later compaction drops.  So a
 * GETNEXT from any OID costs a bisection, and a change of the table costs O(1) amortised,
 * even while a manager walks 10,000 rows and SAs come and go.  The index is checked
 * against the table's count before use and rebuilt when they disagree.
 */
#include <string.h>

#include "mib/mib_private.h"

/* ---------------------------------------------------------------- the index */

void mib_sas_on_event(struct mib_ctx *c, const struct ike_event *ev)
{
	switch (ev->type) {
	case IKE_EV_SA_CREATED:
		if (!c->sas_stale && mib_u32_index_add(&c->sas, ev->sa->conn_id, ev->sa) != 0)
			c->sas_stale = true;
		break;
	case IKE_EV_SA_REMOVED:
		if (!c->sas_stale)
			mib_u32_index_remove(&c->sas, ev->sa->conn_id);
		break;
	case IKE_EV_STATE_CHANGED:
	case IKE_EV_SA_DELETED:
		break;
	default:
		return; /* phase-2 and failure events change no SA's state */
	}
	c->sa_changes++;
}

int mib_sas_sync(struct mib_ctx *c)
{
	const struct ike_sa_table *t = ike_engine_sas(c->src.engine);

	if (!c->sas_stale && c->sas.live == ike_sa_count(t))
		return 0;
	mib_u32_index_clear(&c->sas);
	for (const struct ike_sa *sa = ike_sa_first(t); sa != NULL; sa = sa->next)
		if (mib_u32_index_add(&c->sas, sa->conn_id, sa) != 0) {
			c->sas_stale = true;
			return -1;
		}
	c->sas_stale = false;
	c->sa_changes++;
	return 0;
}

static uint32_t seconds_since(const struct timespec *then)
{
	struct timespec now;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &now);
	s = (double)(now.tv_sec - then->tv_sec) + (double)(now.tv_nsec - then->tv_nsec) / 1e9;
	return s <= 0 ? 0 : s >= UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* ---------------------------------------------------------------- ikemonSaTable */

static void sa_row(const struct mib_u32_row *x, struct mib_row *r)
{
	r->p = x->ptr;
	r->idx[0] = x->key;
	r->idx_len = 1;
}

static bool sa_get(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r)
{
	const struct mib_u32_row *x;
	uint32_t id;

	if (!mib_index_u32(idx, len, &id) || (x = mib_u32_index_find(&c->sas, id)) == NULL)
		return false;
	sa_row(x, r);
	return true;
}

static bool sa_next(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
                    struct mib_row *r)
{
	const struct mib_u32_row *x;
	uint32_t min;

	if (!mib_u32_after(idx, len, inclusive, &min) ||
	    (x = mib_u32_index_from(&c->sas, min)) == NULL)
		return false;
	sa_row(x, r);
	return true;
}

/* Identities, addresses and the negotiated transform. */
static bool sa_column_setup(const struct ike_sa *sa, unsigned int col, struct mib_val *v)
{
	switch (col) {
	case SA_COL_VERSION:
		mib_val_u32(v, sa->ike_version);
		return true;
	case SA_COL_MODE:
		mib_val_int(v, sa->exchange);
		return true;
	case SA_COL_ROLE:
		mib_val_int(v, sa->role);
		return true;
	case SA_COL_PEER:
		mib_val_str(v, sa->peer, MIB_NAME_SIZE);
		return true;
	case SA_COL_LOCAL_ADDR_TYPE:
		mib_val_addr_type(v, &sa->local);
		return true;
	case SA_COL_LOCAL_ADDR:
		mib_val_addr(v, &sa->local);
		return true;
	case SA_COL_LOCAL_PORT:
		mib_val_u32(v, mib_port(&sa->local));
		return true;
	case SA_COL_REMOTE_ADDR_TYPE:
		mib_val_addr_type(v, &sa->remote);
		return true;
	case SA_COL_REMOTE_ADDR:
		mib_val_addr(v, &sa->remote);
		return true;
	case SA_COL_REMOTE_PORT:
		mib_val_u32(v, mib_port(&sa->remote));
		return true;
	case SA_COL_LOCAL_ID_TYPE:
		mib_val_int(v, sa->local_id.type);
		return true;
	case SA_COL_LOCAL_ID:
		mib_val_str(v, sa->local_id.value, MIB_TEXT_SIZE);
		return true;
	case SA_COL_REMOTE_ID_TYPE:
		mib_val_int(v, sa->remote_id.type);
		return true;
	case SA_COL_REMOTE_ID:
		mib_val_str(v, sa->remote_id.value, MIB_TEXT_SIZE);
		return true;
	case SA_COL_INITIATOR_COOKIE:
		mib_val_bytes(v, sa->icookie, sizeof(sa->icookie));
		return true;
	case SA_COL_RESPONDER_COOKIE:
		mib_val_bytes(v, sa->rcookie, sizeof(sa->rcookie));
		return true;
	case SA_COL_AUTH_METHOD:
		mib_val_int(v, sa->xf.auth);
		return true;
	case SA_COL_ENCR_ALG:
		mib_val_int(v, sa->xf.encr);
		return true;
	case SA_COL_ENCR_KEY_LENGTH:
		mib_val_u32(v, sa->xf.keylen);
		return true;
	case SA_COL_HASH_ALG:
		mib_val_int(v, sa->xf.hash);
		return true;
	case SA_COL_DH_GROUP:
		mib_val_int(v, sa->xf.group);
		return true;
	case SA_COL_LIFETIME:
		mib_val_u32(v, sa->xf.lifetime_s);
		return true;
	case SA_COL_PEER_CERT_SUBJECT:
		/* empty for pre-shared keys and until the peer's certificate is verified */
		mib_val_str(v, sa->peer_cert, MIB_TEXT_SIZE);
		return true;
	}
	return false;
}

/* State, times, NAT, counters and causes. */
static bool sa_column_life(const struct ike_sa *sa, unsigned int col, struct mib_val *v)
{
	const struct ike_state_row *row;

	switch (col) {
	case SA_COL_STATE:
		mib_val_int(v, mib_sa_cisco(sa));
		return true;
	case SA_COL_INTERNAL_STATE:
		row = ike_state_row(sa->state);
		mib_val_str(v, row != NULL ? row->name : "UNKNOWN", MIB_TEXT_SIZE);
		return true;
	case SA_COL_TIME_IN_STATE:
		mib_val_u32(v, seconds_since(&sa->state_entered));
		return true;
	case SA_COL_CREATED:
		mib_val_time(v, sa->created_wall);
		return true;
	case SA_COL_ESTABLISHED_TIME:
		mib_val_time(v, sa->established_wall);
		return true;
	case SA_COL_EXPIRES:
		mib_val_time(v, sa->expires_wall);
		return true;
	case SA_COL_STATUS:
		mib_val_int(v, sa->state == IKE_ST_DELETED ? 2 : 1);
		return true;
	case SA_COL_NATT_VERSION:
		mib_val_int(v, sa->natt_version);
		return true;
	case SA_COL_NAT_LOCAL:
		mib_val_truth(v, sa->nat_local);
		return true;
	case SA_COL_NAT_REMOTE:
		mib_val_truth(v, sa->nat_remote);
		return true;
	case SA_COL_LAST_CAUSE:
		mib_val_int(v, sa->last_cause);
		return true;
	case SA_COL_LAST_CAUSE_DETAIL:
		mib_val_str(v, sa->cause_detail, MIB_DETAIL_SIZE);
		return true;
	case SA_COL_DELETE_REASON:
		mib_val_int(v, sa->delete_reason);
		return true;
	case SA_COL_IPSEC_SA_COUNT:
		mib_val_u32(v, ike_sa_children_installed(sa));
		return true;
	}
	return false;
}

static bool sa_column_counters(const struct ike_sa_counters *k, unsigned int col, struct mib_val *v)
{
	switch (col) {
	case SA_COL_IN_MSGS:
		mib_val_c64(v, k->msgs_in);
		return true;
	case SA_COL_OUT_MSGS:
		mib_val_c64(v, k->msgs_out);
		return true;
	case SA_COL_IN_OCTETS:
		mib_val_c64(v, k->bytes_in);
		return true;
	case SA_COL_OUT_OCTETS:
		mib_val_c64(v, k->bytes_out);
		return true;
	case SA_COL_RETRANSMITS:
		mib_val_c64(v, k->retransmits);
		return true;
	case SA_COL_IN_DUPLICATES:
		mib_val_c64(v, k->dup_in);
		return true;
	case SA_COL_IN_MALFORMED:
		mib_val_c64(v, k->malformed);
		return true;
	case SA_COL_IN_UNDECRYPTABLE:
		mib_val_c64(v, k->undecryptable);
		return true;
	}
	return false;
}

static bool sa_column(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
                      struct mib_val *v)
{
	const struct ike_sa *sa = r->p;

	(void)c;
	return sa_column_setup(sa, col, v) || sa_column_life(sa, col, v) ||
	       sa_column_counters(&sa->ctr, col, v);
}

const struct mib_table mib_sa_table = {
    .name = "ikemonSaTable",
    .sub = MIB_SA_TABLE,
    .min_col = SA_COL_VERSION,
    .max_col = SA_COL_PEER_CERT_SUBJECT,
    .get = sa_get,
    .next = sa_next,
    .column = sa_column,
};

/* ---------------------------------------------------------------- ikemonIpsecSaTable */

static void child_row(const struct ike_sa *sa, const struct ike_child *ch, struct mib_row *r)
{
	r->p = ch;
	r->idx[0] = sa->conn_id;
	r->idx[1] = ch->index;
	r->idx_len = 2;
}

static bool ipsec_get(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r)
{
	const struct mib_u32_row *x;
	const struct ike_sa *sa;
	uint32_t id, k;

	if (!mib_index_u32_pair(idx, len, &id, &k) || (x = mib_u32_index_find(&c->sas, id)) == NULL)
		return false;
	sa = x->ptr;
	for (const struct ike_child *ch = sa->children; ch != NULL; ch = ch->next)
		if (ch->index == k) {
			child_row(sa, ch, r);
			return true;
		}
	return false;
}

/*
 * The first child at or after (id, k): in the SA found by bisection, the first child
 * with index >= k (children are in index order), else the first child of a later SA.
 * SAs without children are stepped over; over a whole walk each is stepped over once
 * per column.
 */
static bool ipsec_next(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
                       struct mib_row *r)
{
	const struct mib_u32_row *x;
	uint32_t id, k;

	if (!mib_u32_pair_after(idx, len, inclusive, &id, &k))
		return false;
	for (x = mib_u32_index_from(&c->sas, id); x != NULL; x = mib_u32_index_next(&c->sas, x)) {
		const struct ike_sa *sa = x->ptr;

		for (const struct ike_child *ch = sa->children; ch != NULL; ch = ch->next)
			if (sa->conn_id != id || ch->index >= k) {
				child_row(sa, ch, r);
				return true;
			}
	}
	return false;
}

static bool ipsec_column_xf(const struct ike_child *ch, unsigned int col, struct mib_val *v)
{
	char ts[128];

	switch (col) {
	case IPSEC_COL_PROTOCOL:
		mib_val_int(v, ch->xf.protocol);
		return true;
	case IPSEC_COL_ENCR_ALG:
		mib_val_int(v, ch->xf.encr);
		return true;
	case IPSEC_COL_ENCR_KEY_LENGTH:
		mib_val_u32(v, ch->xf.keylen);
		return true;
	case IPSEC_COL_AUTH_ALG:
		mib_val_int(v, ch->xf.auth);
		return true;
	case IPSEC_COL_PFS_GROUP:
		mib_val_int(v, ch->xf.group);
		return true;
	case IPSEC_COL_ENCAP_MODE:
		mib_val_int(v, ch->xf.mode);
		return true;
	case IPSEC_COL_LOCAL_TS:
		mib_val_str(v, ike_ts_format(&ch->local_ts, ts, sizeof(ts)), MIB_TEXT_SIZE);
		return true;
	case IPSEC_COL_REMOTE_TS:
		mib_val_str(v, ike_ts_format(&ch->remote_ts, ts, sizeof(ts)), MIB_TEXT_SIZE);
		return true;
	case IPSEC_COL_LIFETIME:
		mib_val_u32(v, ch->xf.life_s);
		return true;
	case IPSEC_COL_LIFETIME_KB:
		mib_val_u32(v, ch->xf.life_kb);
		return true;
	}
	return false;
}

static bool ipsec_column(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
                         struct mib_val *v)
{
	const struct ike_child *ch = r->p;

	(void)c;
	switch (col) {
	case IPSEC_COL_STATE:
		mib_val_int(v, ch->state);
		return true;
	case IPSEC_COL_ROLE:
		mib_val_int(v, ch->role);
		return true;
	case IPSEC_COL_IN_SPI:
		mib_val_u32(v, ch->spi_in);
		return true;
	case IPSEC_COL_OUT_SPI:
		mib_val_u32(v, ch->spi_out);
		return true;
	case IPSEC_COL_CREATED:
		mib_val_time(v, ch->created_wall);
		return true;
	case IPSEC_COL_ESTABLISHED_TIME:
		mib_val_time(v, ch->established_wall);
		return true;
	case IPSEC_COL_EXPIRES:
		mib_val_time(v, ch->expires_wall);
		return true;
	case IPSEC_COL_TIME_IN_STATE:
		mib_val_u32(v, seconds_since(&ch->state_entered));
		return true;
	case IPSEC_COL_RETRANSMITS:
		mib_val_c64(v, ch->retransmits);
		return true;
	case IPSEC_COL_LAST_CAUSE:
		mib_val_int(v, ch->last_cause);
		return true;
	case IPSEC_COL_DELETE_REASON:
		mib_val_int(v, ch->delete_reason);
		return true;
	case IPSEC_COL_MSG_ID:
		mib_val_u32(v, ch->msgid);
		return true;
	}
	return ipsec_column_xf(ch, col, v);
}

const struct mib_table mib_ipsec_table = {
    .name = "ikemonIpsecSaTable",
    .sub = MIB_IPSEC_TABLE,
    .min_col = IPSEC_COL_STATE,
    .max_col = IPSEC_COL_MSG_ID,
    .get = ipsec_get,
    .next = ipsec_next,
    .column = ipsec_column,
};
