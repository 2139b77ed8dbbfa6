/*
 * mib_scalars.c - ikemonScalars and the two fixed tables: ikemonStateTable (SAs by
 * Cisco state) and ikemonCauseTable (failures and alarms by cause).
 *
 * All read live: the engine's global counters (ike_sa_table_counters), the stall
 * detector's totals, the failure history's bound.  The SAs-by-state counts walk the SA
 * table once and are kept until the next SA event, so a walk of the state table does
 * not walk the SAs once per row.
 */
#include <string.h>

#include "mib/mib_private.h"

/* ---------------------------------------------------------------- scalars */

static uint64_t alarms_raised(const struct mib_ctx *c)
{
	uint64_t n = 0;

	for (int k = 0; k < IKE_CAUSE_COUNT; k++)
		n += stall_raised_total(c->src.stall, (enum ike_cause)k);
	return n;
}

static bool scalar_value(struct mib_ctx *c, unsigned int which, struct mib_val *v)
{
	const struct ike_sa_table *t = ike_engine_sas(c->src.engine);
	const struct ike_global_counters *g = ike_sa_table_counters(t);

	switch (which) {
	case SC_AGENT_START_TIME:
		mib_val_time(v, c->src.start_wall);
		return true;
	case SC_AGENT_VERSION:
		mib_val_str(v, c->src.version, MIB_TEXT_SIZE);
		return true;
	case SC_SA_COUNT:
		mib_val_u32(v, ike_sa_count(t));
		return true;
	case SC_ATTEMPTS:
		mib_val_c64(v, g->sas_created);
		return true;
	case SC_ESTABLISHED:
		mib_val_c64(v, g->sas_established);
		return true;
	case SC_FAILURES:
		mib_val_c64(v, g->sas_failed);
		return true;
	case SC_ALARMS_RAISED:
		mib_val_c64(v, alarms_raised(c));
		return true;
	case SC_ALARMS_ACTIVE:
		mib_val_u32(v, stall_active_count(c->src.stall));
		return true;
	case SC_ALARM_LAST_SEQ:
		mib_val_u32(v, stall_last_seq(c->src.stall) & UINT32_MAX);
		return true;
	case SC_FAIL_HIST_MAX:
		mib_val_u32(v, c->src.failhist != NULL ? failhist_max(c->src.failhist) : 0);
		return true;
	case SC_MALFORMED:
		mib_val_c64(v, g->dropped_short + g->dropped_bad_length + g->dropped_bad_version +
		                   g->dropped_bad_payload);
		return true;
	case SC_PEER_COUNT:
		mib_val_u32(v, ike_engine_peer_count(c->src.engine));
		return true;
	case SC_HALF_OPEN:
		mib_val_u32(v, g->half_open > UINT32_MAX ? UINT32_MAX : (uint32_t)g->half_open);
		return true;
	case SC_HALF_OPEN_DROPPED_LIMIT:
		mib_val_c64(v, g->half_open_dropped_limit);
		return true;
	case SC_HALF_OPEN_DROPPED_PER_SOURCE:
		mib_val_c64(v, g->half_open_dropped_per_source);
		return true;
	case SC_HALF_OPEN_DROPPED_TIMEOUT:
		mib_val_c64(v, g->half_open_dropped_timeout);
		return true;
	}
	return false;
}

/*
 * Under the scalar-group helper every request comes one at a time as a GET of
 * ikemonScalars.N.0, with the registration's root OID set to that instance.
 */
int mib_scalars_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
                        netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	struct mib_ctx *c = mib_context();
	struct mib_val v;
	unsigned int which;

	(void)handler;
	if (c == NULL || reqinfo->mode != MODE_GET || reg->rootoid_len < 2) {
		netsnmp_request_set_error_all(requests, SNMP_NOSUCHOBJECT);
		return SNMP_ERR_NOERROR;
	}
	which = (unsigned int)reg->rootoid[reg->rootoid_len - 2];
	for (netsnmp_request_info *req = requests; req != NULL; req = req->next) {
		memset(&v, 0, sizeof(v));
		if (!scalar_value(c, which, &v)) {
			netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
			continue;
		}
		mib_val_set(req->requestvb, &v);
	}
	return SNMP_ERR_NOERROR;
}

/* ---------------------------------------------------------------- ikemonStateTable */

/* SAs not deleted, by Cisco state: one walk of the table per SA event at most. */
static const uint32_t *state_counts(struct mib_ctx *c)
{
	if (c->counts_valid && c->counts_at == c->sa_changes)
		return c->counts;
	memset(c->counts, 0, sizeof(c->counts));
	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(c->src.engine)); sa != NULL;
	     sa = sa->next) {
		enum cisco_state s = ike_state_cisco(sa->state);

		if (sa->state != IKE_ST_DELETED && s >= CISCO_STATE_MIN && s <= CISCO_STATE_MAX)
			c->counts[s]++;
	}
	c->counts_at = c->sa_changes;
	c->counts_valid = true;
	return c->counts;
}

/* Rows numbered first..last: the state and cause tables. */
static bool small_get(const oid *idx, size_t len, uint32_t first, uint32_t last, struct mib_row *r)
{
	uint32_t k;

	if (!mib_index_u32(idx, len, &k) || k < first || k > last)
		return false;
	r->n = k;
	r->idx[0] = k;
	r->idx_len = 1;
	return true;
}

static bool small_next(const oid *idx, size_t len, bool inclusive, uint32_t first, uint32_t last,
                       struct mib_row *r)
{
	uint32_t k;

	if (!mib_u32_after(idx, len, inclusive, &k))
		return false;
	if (k < first)
		k = first;
	if (k > last)
		return false;
	r->n = k;
	r->idx[0] = k;
	r->idx_len = 1;
	return true;
}

static bool state_get(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r)
{
	(void)c;
	return small_get(idx, len, CISCO_STATE_MIN, CISCO_STATE_MAX, r);
}

static bool state_next(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
                       struct mib_row *r)
{
	(void)c;
	return small_next(idx, len, inclusive, CISCO_STATE_MIN, CISCO_STATE_MAX, r);
}

static bool state_column(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
                         struct mib_val *v)
{
	if (col != STATE_COL_SA_COUNT)
		return false;
	mib_val_u32(v, state_counts(c)[r->n]);
	return true;
}

const struct mib_table mib_state_table = {
    .name = "ikemonStateTable",
    .sub = MIB_STATE_TABLE,
    .min_col = STATE_COL_SA_COUNT,
    .max_col = STATE_COL_SA_COUNT,
    .get = state_get,
    .next = state_next,
    .column = state_column,
};

/* ---------------------------------------------------------------- ikemonCauseTable */

static bool cause_get(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r)
{
	(void)c;
	return small_get(idx, len, 1, IKE_CAUSE_COUNT - 1, r);
}

static bool cause_next(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
                       struct mib_row *r)
{
	(void)c;
	return small_next(idx, len, inclusive, 1, IKE_CAUSE_COUNT - 1, r);
}

static bool cause_column(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
                         struct mib_val *v)
{
	enum ike_cause cause = (enum ike_cause)r->n;

	switch (col) {
	case CAUSE_COL_NAME:
		mib_val_str(v, ike_cause_id(cause), MIB_TEXT_SIZE);
		return true;
	case CAUSE_COL_FAILURES:
		mib_val_c64(v, ike_sa_table_counters(ike_engine_sas(c->src.engine))->causes[cause]);
		return true;
	case CAUSE_COL_ALARMS_RAISED:
		mib_val_c64(v, stall_raised_total(c->src.stall, cause));
		return true;
	case CAUSE_COL_HINT:
		mib_val_str(v, ike_cause_info(cause)->hint, MIB_TEXT_SIZE);
		return true;
	}
	return false;
}

const struct mib_table mib_cause_table = {
    .name = "ikemonCauseTable",
    .sub = MIB_CAUSE_TABLE,
    .min_col = CAUSE_COL_NAME,
    .max_col = CAUSE_COL_HINT,
    .get = cause_get,
    .next = cause_next,
    .column = cause_column,
};
