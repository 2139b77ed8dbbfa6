/*
 * mib_tables_peer.c - ikemonPeerTable: one row per configured peer, also while it has no
 * SA, indexed by its name (length-prefixed: shorter names first, then bytewise).
 *
 * The engine keeps peers in configuration order and finds one by name in O(1); GETNEXT
 * needs them in index order, so the MIB keeps the names sorted, rebuilt when
 * ike_engine_peers_generation() says the configuration changed.  Beside each peer the
 * MIB remembers what no other part of ikemond keeps: the status it last showed and when
 * that changed (ikemonPeerLastChange), and the sequence number of its active alarm (from
 * the stall detector's events, so that a row does not search the alarm list).  A rebuild
 * carries both over, by name, for the peers that stay.
 *
 * The status is stalled while the peer has an active alarm, else the detector's health.
 * It is observed when a row is read, when an alarm is raised or cleared, and when the
 * detector says the peer's health changed (STALL_HEALTH, also by the clock alone).
 */
#include <stdlib.h>
#include <string.h>

#include "mib/mib_private.h"

/* ---------------------------------------------------------------- status */

static enum mib_peer_status status_now(struct mib_ctx *c, size_t i, enum ike_cause *cause)
{
	enum ike_cause k = IKE_CAUSE_NONE;
	enum peer_health h = stall_peer_health(c->src.stall, i, &k, NULL);

	if (cause != NULL)
		*cause = h == PEER_UP ? IKE_CAUSE_NONE : k;
	if (c->peers[i].alarm_seq != 0)
		return MIB_PEER_STALLED;
	switch (h) {
	case PEER_UP:
		return MIB_PEER_UP;
	case PEER_NEGOTIATING:
		return MIB_PEER_NEGOTIATING;
	case PEER_DOWN:
		return MIB_PEER_DOWN;
	case PEER_IDLE:
		break;
	}
	return MIB_PEER_IDLE;
}

static void observe(struct mib_ctx *c, size_t i, time_t now)
{
	enum mib_peer_status s = status_now(c, i, NULL);

	if (s != c->peers[i].status) {
		c->peers[i].status = s;
		c->peers[i].changed = now;
	}
}

/* ---------------------------------------------------------------- the index */

/* The sorted key of a name, or NULL. */
static const struct mib_name_key *find_name(const struct mib_name_key *keys, size_t n,
                                            const char *name)
{
	oid key[MIB_NAME_OID_MAX];
	size_t len = mib_name_oid(name, key), k;

	if (len == 0)
		return NULL;
	k = mib_name_keys_find(keys, n, key, len);
	return k < n ? &keys[k] : NULL;
}

/* Each peer's active alarm, from the detector's list: O(alarms x log peers). */
static void read_alarms(struct mib_ctx *c)
{
	const struct mib_name_key *k;

	for (size_t i = 0; i < c->n_peers; i++)
		c->peers[i].alarm_seq = 0;
	for (const struct stall_alarm *a = stall_active(c->src.stall); a != NULL; a = a->next)
		if ((k = find_name(c->names, c->n_names, a->peer)) != NULL)
			c->peers[k->pos].alarm_seq = a->raise_seq;
}

/* A new peer's first status dates from when its counters started (it was added). */
static void first_status(struct mib_ctx *c, size_t i, time_t now)
{
	struct ike_peer_status st;

	c->peers[i].status = status_now(c, i, NULL);
	c->peers[i].changed = now;
	if (ike_engine_peer_status(c->src.engine, i, &st) == 0 && st.stats.since_wall > 0)
		c->peers[i].changed = st.stats.since_wall;
}

int mib_peers_sync(struct mib_ctx *c)
{
	struct ike_engine *e = c->src.engine;
	size_t n = ike_engine_peer_count(e), n_names = 0;
	uint64_t gen = ike_engine_peers_generation(e);
	struct mib_name_key *names, *old_names = c->names;
	struct mib_peer *peers, *old_peers = c->peers;
	size_t old_n = c->n_names;
	bool *kept;
	time_t now = time(NULL);

	if (c->peers_valid && gen == c->peers_gen && n == c->n_peers)
		return 0;
	names = calloc(n + 1, sizeof(*names));
	peers = calloc(n + 1, sizeof(*peers));
	kept = calloc(n + 1, sizeof(*kept));
	if (names == NULL || peers == NULL || kept == NULL) {
		free(names);
		free(peers);
		free(kept);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mib_name_key *was;
		const char *name = ike_engine_peer(e, i)->name;

		names[n_names].len = mib_name_oid(name, names[n_names].key);
		names[n_names].pos = i;
		if (names[n_names].len > 0)
			n_names++;
		if (old_peers != NULL && (was = find_name(old_names, old_n, name)) != NULL) {
			peers[i] = old_peers[was->pos];
			peers[i].status_valid = false; /* its configuration may be another now */
			kept[i] = true;
		}
	}
	mib_name_keys_sort(names, n_names);
	free(old_names);
	free(old_peers);
	c->names = names;
	c->n_names = n_names;
	c->peers = peers;
	c->n_peers = n;
	c->peers_gen = gen;
	c->peers_valid = true;
	read_alarms(c);
	for (size_t i = 0; i < n; i++) {
		if (kept[i])
			observe(c, i, now);
		else
			first_status(c, i, now);
	}
	free(kept);
	return 0;
}

void mib_peers_free(struct mib_ctx *c)
{
	free(c->names);
	free(c->peers);
	c->names = NULL;
	c->peers = NULL;
	c->n_names = c->n_peers = 0;
	c->peers_valid = false;
}

/*
 * A raise, a clear or a health change: the peer's alarm and status change now.  While
 * the peers are being reconfigured (a reload clears the alarms of peers that left) the
 * next rebuild reads the alarms afresh instead.
 */
void mib_peers_on_stall(struct mib_ctx *c, const struct stall_event *ev)
{
	const struct mib_name_key *k;
	struct mib_peer *p;

	if (!c->peers_valid || c->peers_gen != ike_engine_peers_generation(c->src.engine) ||
	    c->n_peers != ike_engine_peer_count(c->src.engine))
		return;
	k = find_name(c->names, c->n_names, ev->peer);
	if (k == NULL)
		return;
	p = &c->peers[k->pos];
	if (ev->type == STALL_RAISED)
		p->alarm_seq = ev->alarm->raise_seq;
	else if (ev->type == STALL_CLEARED && p->alarm_seq == ev->alarm->raise_seq)
		p->alarm_seq = 0;
	observe(c, k->pos, time(NULL));
}

/* ---------------------------------------------------------------- rows */

static void peer_row(const struct mib_name_key *k, struct mib_row *r)
{
	r->p = NULL;
	r->n = k->pos;
	memcpy(r->idx, k->key, k->len * sizeof(oid));
	r->idx_len = k->len;
}

static bool peer_get(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r)
{
	size_t k = mib_name_keys_find(c->names, c->n_names, idx, len);

	if (k >= c->n_names)
		return false;
	peer_row(&c->names[k], r);
	return true;
}

static bool peer_next(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
                      struct mib_row *r)
{
	size_t k = mib_name_keys_after(c->names, c->n_names, idx, len, inclusive);

	if (k >= c->n_names)
		return false;
	peer_row(&c->names[k], r);
	return true;
}

/* Columns from the configuration alone. */
static bool peer_column_cfg(const struct ike_peer_cfg *p, unsigned int col, struct mib_val *v)
{
	static const struct sockaddr_storage none;

	switch (col) {
	case PEER_COL_REMOTE_ADDR_TYPE:
		mib_val_addr_type(v, p->remote_any ? &none : &p->remote);
		return true;
	case PEER_COL_REMOTE_ADDR:
		mib_val_addr(v, p->remote_any ? &none : &p->remote);
		return true;
	case PEER_COL_REMOTE_PREFIX:
		mib_val_u32(v, p->remote_any ? 0 : p->remote_prefix);
		return true;
	case PEER_COL_LOCAL_ADDR_TYPE:
		mib_val_addr_type(v, &p->local);
		return true;
	case PEER_COL_LOCAL_ADDR:
		mib_val_addr(v, &p->local);
		return true;
	case PEER_COL_AUTO:
		mib_val_int(v, p->autostart == IKE_AUTO_START ? 2 : 1);
		return true;
	}
	return false;
}

/* Columns the MIB keeps or the detector knows. */
static bool peer_column_status(struct mib_ctx *c, size_t i, unsigned int col, struct mib_val *v)
{
	enum ike_cause cause;

	switch (col) {
	case PEER_COL_STATUS:
		observe(c, i, time(NULL));
		mib_val_int(v, c->peers[i].status);
		return true;
	case PEER_COL_LAST_CHANGE:
		observe(c, i, time(NULL));
		mib_val_time(v, c->peers[i].changed);
		return true;
	case PEER_COL_LAST_CAUSE:
		status_now(c, i, &cause);
		mib_val_int(v, cause);
		return true;
	case PEER_COL_ALARM_SEQ:
		mib_val_u32(v, c->peers[i].alarm_seq & UINT32_MAX);
		return true;
	}
	return false;
}

/* Columns from the engine's status of the peer. */
static bool peer_column_engine(const struct ike_peer_status *st, unsigned int col,
                               struct mib_val *v)
{
	const struct ike_sa_counters *k = &st->stats.traffic;

	switch (col) {
	case PEER_COL_CONN_ID:
		mib_val_u32(v, st->ike != NULL ? st->ike->conn_id : 0);
		return true;
	case PEER_COL_SA_STATE:
		if (st->ike == NULL)
			return false; /* not instantiated while the conn-id is 0 */
		mib_val_int(v, mib_sa_cisco(st->ike));
		return true;
	case PEER_COL_ATTEMPTS:
		mib_val_c64(v, st->stats.attempts);
		return true;
	case PEER_COL_ESTABLISHED:
		mib_val_c64(v, st->stats.established);
		return true;
	case PEER_COL_FAILURES:
		mib_val_c64(v, st->stats.failed);
		return true;
	case PEER_COL_IPSEC_SAS_UP:
		mib_val_u32(v, st->children_up);
		return true;
	case PEER_COL_IPSEC_SAS_WANTED:
		mib_val_u32(v, st->children_wanted);
		return true;
	case PEER_COL_IN_MSGS:
		mib_val_c64(v, k->msgs_in);
		return true;
	case PEER_COL_OUT_MSGS:
		mib_val_c64(v, k->msgs_out);
		return true;
	case PEER_COL_IN_OCTETS:
		mib_val_c64(v, k->bytes_in);
		return true;
	case PEER_COL_OUT_OCTETS:
		mib_val_c64(v, k->bytes_out);
		return true;
	case PEER_COL_RETRANSMITS:
		mib_val_c64(v, k->retransmits);
		return true;
	case PEER_COL_DISCONTINUITY_TIME:
		mib_val_time(v, st->stats.since_wall);
		return true;
	case PEER_COL_IKE_REKEYS:
		mib_val_c64(v, st->stats.rekeys_ike);
		return true;
	case PEER_COL_IPSEC_REKEYS:
		mib_val_c64(v, st->stats.rekeys_ipsec);
		return true;
	case PEER_COL_REKEY_FAILURES:
		mib_val_c64(v, st->stats.rekeys_failed);
		return true;
	case PEER_COL_DPD_R_U_THERE_SENT:
		mib_val_c64(v, k->dpd_r_u_there_out);
		return true;
	case PEER_COL_DPD_ACKS_RECEIVED:
		mib_val_c64(v, k->dpd_ack_in);
		return true;
	case PEER_COL_DPD_R_U_THERE_ANSWERED:
		mib_val_c64(v, k->dpd_ack_out);
		return true;
	}
	return false;
}

/*
 * Whether the peer's engine status kept is still the one to show (see mib_peer): read
 * within this request (nothing runs between its varbinds), or a hub's, recently.
 */
static bool status_current(const struct mib_ctx *c, const struct mib_peer *mp)
{
	struct timespec now;
	int64_t ms;

	if (!mp->status_valid)
		return false;
	if (c->pdu_transid != 0 && mp->status_transid == c->pdu_transid)
		return true;
	if (mp->engine.n_sas < MIB_PEER_HUB_SAS)
		return false;
	/* the SA it shows may have gone since (its conn-id is never another's) */
	if (mp->engine.ike != NULL &&
	    ike_sa_by_conn_id(ike_engine_sas(c->src.engine), mp->ike_conn_id) != mp->engine.ike)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(now.tv_sec - mp->status_at.tv_sec) * 1000 +
	     (now.tv_nsec - mp->status_at.tv_nsec) / 1000000;
	return ms >= 0 && ms < MIB_PEER_HUB_MS;
}

static bool peer_column(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
                        struct mib_val *v)
{
	const struct ike_peer_cfg *p = ike_engine_peer(c->src.engine, r->n);
	struct mib_peer *mp;

	if (p == NULL || r->n >= c->n_peers)
		return false;
	if (peer_column_cfg(p, col, v) || peer_column_status(c, r->n, col, v))
		return true;
	mp = &c->peers[r->n];
	if (!status_current(c, mp)) {
		mp->status_valid = false;
		if (ike_engine_peer_status(c->src.engine, r->n, &mp->engine) != 0)
			return false;
		mp->status_valid = true;
		mp->status_transid = c->pdu_transid;
		mp->ike_conn_id = mp->engine.ike != NULL ? mp->engine.ike->conn_id : 0;
		clock_gettime(CLOCK_MONOTONIC, &mp->status_at);
	}
	return peer_column_engine(&mp->engine, col, v);
}

const struct mib_table mib_peer_table = {
    .name = "ikemonPeerTable",
    .sub = MIB_PEER_TABLE,
    .min_col = PEER_COL_REMOTE_ADDR_TYPE,
    .max_col = PEER_COL_DPD_R_U_THERE_ANSWERED,
    .get = peer_get,
    .next = peer_next,
    .column = peer_column,
};
