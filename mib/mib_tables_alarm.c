/*
 * mib_tables_alarm.c - ikemonFailHistTable (the last N negotiation failures, from
 * agent/failhist.c) and ikemonAlarmTable (the active alarms, by raise sequence number,
 * from the stall detector).
 *
 * Failure indexes are consecutive, so the history answers any index in O(1).  Active
 * alarms are a list in raise order; the MIB keeps their sequence numbers in a sorted
 * array from the detector's events (a raise adds at the tail, a clear leaves a
 * tombstone), checked against the detector's count before use.
 */
#include <string.h>

#include "mib/mib_private.h"

/* ---------------------------------------------------------------- ikemonFailHistTable */

static void fail_row(const struct failhist_entry *f, struct mib_row *r)
{
	r->p = f;
	r->idx[0] = f->index;
	r->idx_len = 1;
}

static bool fail_get(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r)
{
	const struct failhist_entry *f;
	uint32_t k;

	if (c->src.failhist == NULL || !mib_index_u32(idx, len, &k) ||
	    (f = failhist_by_index(c->src.failhist, k)) == NULL)
		return false;
	fail_row(f, r);
	return true;
}

static bool fail_next(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
                      struct mib_row *r)
{
	const struct failhist_entry *oldest, *f;
	uint32_t k;

	if (c->src.failhist == NULL || !mib_u32_after(idx, len, inclusive, &k) ||
	    (oldest = failhist_at(c->src.failhist, 0)) == NULL)
		return false;
	f = k <= oldest->index ? oldest : failhist_by_index(c->src.failhist, k);
	if (f == NULL)
		return false;
	fail_row(f, r);
	return true;
}

static bool fail_column(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
                        struct mib_val *v)
{
	const struct failhist_entry *f = r->p;

	(void)c;
	switch (col) {
	case FH_COL_TIME:
		mib_val_time(v, f->when);
		return true;
	case FH_COL_PEER:
		mib_val_str(v, f->peer, MIB_NAME_SIZE);
		return true;
	case FH_COL_CONN_ID:
		mib_val_u32(v, f->conn_id);
		return true;
	case FH_COL_REMOTE_ADDR_TYPE:
		mib_val_addr_type(v, &f->remote);
		return true;
	case FH_COL_REMOTE_ADDR:
		mib_val_addr(v, &f->remote);
		return true;
	case FH_COL_STATE:
		mib_val_int(v, f->state);
		return true;
	case FH_COL_PHASE:
		mib_val_int(v, f->phase);
		return true;
	case FH_COL_CAUSE:
		mib_val_int(v, f->cause);
		return true;
	case FH_COL_CAUSE_DETAIL:
		mib_val_str(v, f->detail, MIB_DETAIL_SIZE);
		return true;
	}
	return false;
}

const struct mib_table mib_failhist_table = {
    .name = "ikemonFailHistTable",
    .sub = MIB_FAILHIST_TABLE,
    .min_col = FH_COL_TIME,
    .max_col = FH_COL_CAUSE_DETAIL,
    .get = fail_get,
    .next = fail_next,
    .column = fail_column,
};

/* ---------------------------------------------------------------- the alarm index */

/* ikemonAlarmIndex is the raise sequence number, as an Unsigned32. */
static uint32_t alarm_key(const struct stall_alarm *a)
{
	return (uint32_t)(a->raise_seq & UINT32_MAX);
}

void mib_alarms_on_stall(struct mib_ctx *c, const struct stall_event *ev)
{
	if (c->alarms_stale || ev->type == STALL_HEALTH)
		return;
	if (ev->type == STALL_RAISED) {
		if (mib_u32_index_add(&c->alarms, alarm_key(ev->alarm), ev->alarm) != 0)
			c->alarms_stale = true;
	} else {
		/* the alarm moves to the history (and may be freed) after this event */
		mib_u32_index_remove(&c->alarms, alarm_key(ev->alarm));
	}
}

int mib_alarms_sync(struct mib_ctx *c)
{
	if (!c->alarms_stale && c->alarms.live == stall_active_count(c->src.stall))
		return 0;
	mib_u32_index_clear(&c->alarms);
	for (const struct stall_alarm *a = stall_active(c->src.stall); a != NULL; a = a->next)
		if (mib_u32_index_add(&c->alarms, alarm_key(a), a) != 0) {
			c->alarms_stale = true;
			return -1;
		}
	c->alarms_stale = false;
	return 0;
}

/* ---------------------------------------------------------------- ikemonAlarmTable */

static void alarm_row(const struct mib_u32_row *x, struct mib_row *r)
{
	r->p = x->ptr;
	r->idx[0] = x->key;
	r->idx_len = 1;
}

static bool alarm_get(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r)
{
	const struct mib_u32_row *x;
	uint32_t k;

	if (!mib_index_u32(idx, len, &k) || (x = mib_u32_index_find(&c->alarms, k)) == NULL)
		return false;
	alarm_row(x, r);
	return true;
}

static bool alarm_next(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
                       struct mib_row *r)
{
	const struct mib_u32_row *x;
	uint32_t min;

	if (!mib_u32_after(idx, len, inclusive, &min) ||
	    (x = mib_u32_index_from(&c->alarms, min)) == NULL)
		return false;
	alarm_row(x, r);
	return true;
}

static uint32_t alarm_seconds(const struct stall_alarm *a)
{
	struct timespec now;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &now);
	s = stall_alarm_seconds(a, &now);
	return s <= 0 ? 0 : s >= UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static bool alarm_column(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
                         struct mib_val *v)
{
	const struct stall_alarm *a = r->p;

	(void)c;
	switch (col) {
	case ALARM_COL_SEQUENCE:
		mib_val_u32(v, alarm_key(a));
		return true;
	case ALARM_COL_PEER:
		mib_val_str(v, a->peer, MIB_NAME_SIZE);
		return true;
	case ALARM_COL_LOCAL_ADDR_TYPE:
		mib_val_addr_type(v, &a->local);
		return true;
	case ALARM_COL_LOCAL_ADDR:
		mib_val_addr(v, &a->local);
		return true;
	case ALARM_COL_REMOTE_ADDR_TYPE:
		mib_val_addr_type(v, &a->remote);
		return true;
	case ALARM_COL_REMOTE_ADDR:
		mib_val_addr(v, &a->remote);
		return true;
	case ALARM_COL_CONN_ID:
		mib_val_u32(v, a->conn_id);
		return true;
	case ALARM_COL_STATE:
		mib_val_int(v, a->state);
		return true;
	case ALARM_COL_PHASE:
		mib_val_int(v, a->phase2 ? 2 : 1);
		return true;
	case ALARM_COL_SECONDS:
		mib_val_u32(v, alarm_seconds(a));
		return true;
	case ALARM_COL_THRESHOLD:
		/* whole seconds, rounded up: a 200 ms threshold does not read 0 */
		mib_val_u32(v, ((uint64_t)a->threshold_ms + 999) / 1000);
		return true;
	case ALARM_COL_CAUSE:
		mib_val_int(v, a->cause);
		return true;
	case ALARM_COL_CAUSE_DETAIL:
		mib_val_str(v, a->cause_detail, MIB_DETAIL_SIZE);
		return true;
	case ALARM_COL_RAISED_TIME:
		mib_val_time(v, a->raised_wall);
		return true;
	case ALARM_COL_STATE_SINCE:
		mib_val_time(v, a->state_since_wall);
		return true;
	}
	return false;
}

const struct mib_table mib_alarm_table = {
    .name = "ikemonAlarmTable",
    .sub = MIB_ALARM_TABLE,
    .min_col = ALARM_COL_SEQUENCE,
    .max_col = ALARM_COL_STATE_SINCE,
    .get = alarm_get,
    .next = alarm_next,
    .column = alarm_column,
};
