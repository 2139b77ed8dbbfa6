/*
 * timers.c - every deadline the engine keeps, in one queue (timerq.h): each SA's own
 * (retransmission and give-up, lifetime, rekey, NAT-T keepalive, the linger of a deleted SA),
 * each phase-2 SA's (the same for its Quick Mode), and each configured peer's (auto=start:
 * negotiate again after restart_delay; retry missing phase-2 SAs every restart_delay).
 *
 * Deadlines are not pushed from every place that changes one.  What may change one (a
 * table event, a datagram, a send, a timer that fired) touches the SA, which joins the
 * touched list in O(1); before the queue is read, each touched SA's deadlines (its own,
 * its children's, its peer's) are worked out again from the records, as the walk of the
 * whole table used to, and moved in the queue.  A timer that fires is checked against
 * its record once more, and one that is not due after all waits for its next deadline.
 *
 * Cost: ike_engine_next_timeout_ms() O(1) plus O(log n) per touched SA (a handful per
 * loop turn), ike_engine_run_timers() O(k log n) for k timers due.  Nothing walks the
 * table, but a reload that changes deleted_linger (every SA is touched once) and running
 * out of memory for the queue (then every SA is looked at once a second until it fits).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "ike.h"

/* What a timer in the queue belongs to. */
enum { TIMER_SA = 1, TIMER_CHILD, TIMER_PEER, TIMER_LOG };

#define LOST_TIMERS_RETRY_MS 1000 /* the queue could not grow: look again this often */

static struct ike_sa *sa_of(struct ike_timer *t)
{
	return (struct ike_sa *)((char *)t - offsetof(struct ike_sa, timer));
}

static struct ike_child *child_of(struct ike_timer *t)
{
	return (struct ike_child *)((char *)t - offsetof(struct ike_child, timer));
}

static struct engine_peer *peer_of(struct ike_timer *t)
{
	return (struct engine_peer *)((char *)t - offsetof(struct engine_peer, timer));
}

/* ---------------------------------------------------------------- deadlines */

/* The SA's next deadline, if it has one. */
static bool sa_deadline(struct ike_engine *e, const struct ike_sa *sa, struct timespec *at)
{
	if (sa->state == IKE_ST_DELETED) {
		*at = sa->deleted_mono;
		ts_add_ms(at, (uint64_t)e->settings.deleted_linger_s * 1000);
		return true;
	}
	if (sa->state == IKE_ST_ESTABLISHED) {
		struct timespec dpd, rekey;

		*at = sa->state_entered;
		ts_add_ms(at, (uint64_t)sa->xf.lifetime_s * 1000);
		if (sa->x != NULL && sa->x->keepalive_armed &&
		    ts_diff_ms(&sa->x->keepalive_at, at) < 0)
			*at = sa->x->keepalive_at;
		if (dpd_deadline(e, sa, &dpd) && ts_diff_ms(&dpd, at) < 0)
			*at = dpd;
		if (rekey_sa_deadline(e, sa, &rekey) && ts_diff_ms(&rekey, at) < 0)
			*at = rekey;
		return true;
	}
	if (sa->x != NULL && sa->x->rt.armed) {
		*at = sa->x->rt.at;
		return true;
	}
	return false;
}

/* auto=start peers keep their children up: whether that applies to p at all. */
static bool peer_keeps_children(const struct engine_peer *p)
{
	return p->cfg.autostart == IKE_AUTO_START && quick_children_wanted(&p->cfg) > 0;
}

/* A peer's next deadline: its restart, or the next try of its missing children. */
static bool peer_deadline(struct ike_engine *e, const struct engine_peer *p, struct timespec *at)
{
	if (p->restart_pending) {
		*at = p->restart_at;
		return true;
	}
	if (!peer_keeps_children(p) || !engine_peer_missing_children(e, p))
		return false;
	*at = p->qm_retry_at;
	return true;
}

/* ---------------------------------------------------------------- the queue */

/* Queue t at at (have) or take it out. */
static void arm(struct ike_engine *e, struct ike_timer *t, uint8_t kind, bool have,
                const struct timespec *at)
{
	t->kind = kind;
	if (!have) {
		ike_timerq_remove(&e->timers, t);
		return;
	}
	if (ike_timerq_set(&e->timers, t, at) == 0 || e->timers_lost)
		return;
	e->timers_lost = true;
	engine_log(e, IKE_LOG_WARNING,
	           "out of memory for the timer queue: timers are looked for every %d ms",
	           LOST_TIMERS_RETRY_MS);
}

void engine_timers_log(struct ike_engine *e, const struct timespec *at)
{
	if (ike_timer_queued(&e->log_timer) && ts_diff_ms(&e->log_timer.at, at) <= 0)
		return;
	arm(e, &e->log_timer, TIMER_LOG, true, at);
}

void engine_timers_touch(struct ike_engine *e, struct ike_sa *sa)
{
	if (sa->touched)
		return;
	sa->touched = true;
	sa->touched_prev = NULL;
	sa->touched_next = e->touched;
	if (e->touched != NULL)
		e->touched->touched_prev = sa;
	e->touched = sa;
}

static void untouch(struct ike_engine *e, struct ike_sa *sa)
{
	if (!sa->touched)
		return;
	if (sa->touched_prev != NULL)
		sa->touched_prev->touched_next = sa->touched_next;
	else
		e->touched = sa->touched_next;
	if (sa->touched_next != NULL)
		sa->touched_next->touched_prev = sa->touched_prev;
	sa->touched = false;
	sa->touched_prev = sa->touched_next = NULL;
}

void engine_timers_peer(struct ike_engine *e, struct engine_peer *p)
{
	struct timespec at;
	bool have = peer_deadline(e, p, &at);

	arm(e, &p->timer, TIMER_PEER, have, &at);
}

void engine_timers_forget_peers(struct ike_engine *e)
{
	for (size_t i = 0; i < e->n_peers; i++)
		ike_timerq_remove(&e->timers, &e->peers[i].timer);
}

/* Read a touched SA's deadlines again: its own, its children's, its peer's. */
static void sync_sa(struct ike_engine *e, struct ike_sa *sa)
{
	struct engine_peer *p = engine_find_peer(e, sa->peer);
	struct timespec at;
	bool have;

	have = sa_deadline(e, sa, &at);
	arm(e, &sa->timer, TIMER_SA, have, &at);
	for (struct ike_child *c = sa->children; c != NULL; c = c->next) {
		have = quick_deadline(e, c, &at);
		arm(e, &c->timer, TIMER_CHILD, have, &at);
	}
	if (p != NULL)
		engine_timers_peer(e, p);
}

static void sync_touched(struct ike_engine *e)
{
	while (e->touched != NULL) {
		struct ike_sa *sa = e->touched;

		untouch(e, sa);
		sync_sa(e, sa);
	}
}

/* After the queue could not grow: every record is read again (and queued if it fits). */
static void requeue_all(struct ike_engine *e)
{
	e->timers_lost = false;
	for (struct ike_sa *sa = ike_sa_first_mut(e->sas); sa != NULL; sa = sa->next)
		engine_timers_touch(e, sa);
	for (size_t i = 0; i < e->n_peers; i++)
		engine_timers_peer(e, &e->peers[i]);
}

static void forget_sa(struct ike_engine *e, struct ike_sa *sa)
{
	ike_timerq_remove(&e->timers, &sa->timer);
	for (struct ike_child *c = sa->children; c != NULL; c = c->next)
		ike_timerq_remove(&e->timers, &c->timer);
	untouch(e, sa);
}

void engine_timers_event(struct ike_engine *e, const struct ike_event *ev)
{
	/* the engine's own SA: found mutable through the table, O(1) */
	struct ike_sa *sa = ike_sa_find_mut(e->sas, ev->sa->conn_id);

	if (sa == NULL || sa != ev->sa)
		return;
	switch (ev->type) {
	case IKE_EV_SA_REMOVED:
		forget_sa(e, sa);
		break;
	case IKE_EV_CHILD_REMOVED:
		for (struct ike_child *c = sa->children; c != NULL; c = c->next)
			if (c == ev->child)
				ike_timerq_remove(&e->timers, &c->timer);
		break;
	default:
		engine_timers_touch(e, sa);
		break;
	}
}

void engine_timers_settings(struct ike_engine *e, const struct ike_settings *old)
{
	/* the linger is read when it ends; the other settings when a timer is armed */
	if (old->deleted_linger_s == e->settings.deleted_linger_s)
		return;
	for (struct ike_sa *sa = ike_sa_first_mut(e->sas); sa != NULL; sa = sa->next)
		engine_timers_touch(e, sa);
}

/* ---------------------------------------------------------------- what fires */

static void sa_timeout(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now)
{
	struct ike_exchange *x = sa->x;
	char detail[64];
	enum ike_cause c;
	bool half_open;

	c = sa->exchange == ISAKMP_XCHG_AGGR ? aggr_timeout_cause(sa, detail, sizeof(detail))
	                                     : main_timeout_cause(sa, detail, sizeof(detail));
	if (retx_next(&x->rt, e->settings.retransmit_tries, now)) {
		sa->ctr.retransmits++;
		engine_suspect(e, sa, c, detail);
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: retransmitting %s (try %u of %u)",
		           sa->conn_id, sa->peer, ike_state_row(sa->state)->last_sent, x->rt.tries,
		           e->settings.retransmit_tries);
		engine_send_once(e, sa, x->rt.last_out, x->rt.last_out_len);
		return;
	}
	half_open = sa->on_half_open;
	engine_fail(e, sa, c, detail);
	/* no linger for a half-open SA that timed out: its failure is counted, and the
	 * room is for new ones */
	if (half_open)
		engine_half_open_expired(e, sa);
}

/*
 * An established SA's deadline: a NAT keepalive (RFC 3948 2.3: one 0xff byte to the
 * peer's port 4500, so that the NAT in front of us keeps the mapping), its rekey
 * (rekey.c), or its lifetime.
 */
static void established_timeout(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now)
{
	static const uint8_t keepalive = 0xff;
	struct ike_exchange *x = sa->x;
	struct timespec expiry = sa->state_entered;

	ts_add_ms(&expiry, (uint64_t)sa->xf.lifetime_s * 1000);
	if (ts_diff_ms(&expiry, now) <= 0) {
		engine_delete_sa(e, sa, IKE_CAUSE_EXPIRED);
		return;
	}
	if (rekey_sa_timeout(e, sa, now))
		return;
	dpd_timeout(e, sa, now);
	if (sa->state != IKE_ST_ESTABLISHED)
		return;
	if (x == NULL || !x->keepalive_armed || ts_diff_ms(&x->keepalive_at, now) > 0)
		return;
	if (e->ops.send(e->ctx, (const struct sockaddr *)&sa->local,
	                (const struct sockaddr *)&sa->remote, &keepalive, 1) == 0)
		ike_sa_table_counters_mut(e->sas)->natt_keepalives_out++;
	x->keepalive_at = *now;
	ts_add_ms(&x->keepalive_at, (uint64_t)e->settings.natt_keepalive_s * 1000);
}

static void fire_sa(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now)
{
	struct timespec at;

	/* first: whatever happens, its next deadline is read again (unless it is removed) */
	engine_timers_touch(e, sa);
	if (!sa_deadline(e, sa, &at) || ts_diff_ms(&at, now) > 0)
		return;
	if (sa->state == IKE_ST_DELETED)
		ike_sa_remove(e->sas, sa);
	else if (sa->state == IKE_ST_ESTABLISHED)
		established_timeout(e, sa, now);
	else
		sa_timeout(e, sa, now);
}

static void fire_child(struct ike_engine *e, struct ike_child *c, const struct timespec *now)
{
	struct ike_sa *sa = ike_sa_find_mut(e->sas, c->conn_id);
	struct timespec at;

	if (sa == NULL)
		return; /* cannot be: a child leaves the queue with its SA */
	engine_timers_touch(e, sa);
	if (quick_deadline(e, c, &at) && ts_diff_ms(&at, now) <= 0)
		quick_timeout(e, sa, c, now);
}

/* auto=start keeps its children up too: missing ones are tried every restart_delay. */
static void maintain_children(struct ike_engine *e, struct engine_peer *p,
                              const struct timespec *now)
{
	struct ike_sa *sa;

	if (!peer_keeps_children(p) || ts_diff_ms(&p->qm_retry_at, now) > 0)
		return;
	sa = engine_peer_established_sa(e, p->cfg.name);
	if (sa == NULL)
		return;
	p->qm_retry_at = *now;
	ts_add_ms(&p->qm_retry_at, (uint64_t)e->settings.restart_delay_s * 1000);
	quick_start_missing(e, sa);
}

static void fire_peer(struct ike_engine *e, struct engine_peer *p, const struct timespec *now)
{
	if (p->restart_pending) {
		if (ts_diff_ms(&p->restart_at, now) <= 0)
			engine_initiate_peer(e, p);
	} else {
		maintain_children(e, p, now);
	}
	engine_timers_peer(e, p);
}

/* ---------------------------------------------------------------- the API */

int64_t ike_engine_next_timeout_ms(struct ike_engine *e)
{
	struct ike_timer *t;
	struct timespec now;
	int64_t ms;

	sync_touched(e);
	t = ike_timerq_first(&e->timers);
	if (t == NULL)
		return e->timers_lost ? LOST_TIMERS_RETRY_MS : -1;
	engine_now(&now);
	ms = ts_diff_ms(&t->at, &now);
	if (ms < 0)
		ms = 0;
	if (e->timers_lost && ms > LOST_TIMERS_RETRY_MS)
		ms = LOST_TIMERS_RETRY_MS;
	return ms;
}

void ike_engine_run_timers(struct ike_engine *e)
{
	struct timespec now;
	struct ike_timer *t;
	size_t budget;

	if (e->timers_lost)
		requeue_all(e);
	sync_touched(e);
	engine_now(&now);
	/* each timer queued now fires at most once here (a peer's may be queued again at
	 * once when its next deadline has passed too: that one waits for the next run) */
	budget = ike_timerq_count(&e->timers);
	while (budget-- > 0 && (t = ike_timerq_first(&e->timers)) != NULL &&
	       ts_diff_ms(&t->at, &now) <= 0) {
		ike_timerq_remove(&e->timers, t);
		if (t->kind == TIMER_SA)
			fire_sa(e, sa_of(t), &now);
		else if (t->kind == TIMER_CHILD)
			fire_child(e, child_of(t), &now);
		else if (t->kind == TIMER_PEER)
			fire_peer(e, peer_of(t), &now);
		else if (t->kind == TIMER_LOG)
			engine_log_limits_run(e, &now);
	}
}
