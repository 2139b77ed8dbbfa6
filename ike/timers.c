/*
 * timers.c - every deadline the engine keeps: retransmissions and give-ups, lifetimes,
 * the linger of deleted SAs, auto=start restarts.  Deadlines are found by a walk of the
 * table (fine for thousands of SAs; the scale issue swaps in a heap behind the same two
 * calls).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "ike.h"

static void sa_timeout(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now)
{
	struct ike_exchange *x = sa->x;
	char detail[64];
	enum ike_cause c;

	c = main_timeout_cause(sa, detail, sizeof(detail));
	if (retx_next(&x->rt, e->settings.retransmit_tries, now)) {
		sa->ctr.retransmits++;
		engine_suspect(sa, c, detail);
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: retransmitting %s (try %u of %u)",
		           sa->conn_id, sa->peer, ike_state_row(sa->state)->last_sent, x->rt.tries,
		           e->settings.retransmit_tries);
		engine_send_once(e, sa, x->rt.last_out, x->rt.last_out_len);
		return;
	}
	engine_fail(e, sa, c, detail);
}

/*
 * An established SA's deadline: a NAT keepalive (RFC 3948 2.3: one 0xff byte to the
 * peer's port 4500, so that the NAT in front of us keeps the mapping), or its lifetime.
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
	if (x == NULL || !x->keepalive_armed || ts_diff_ms(&x->keepalive_at, now) > 0)
		return;
	if (e->ops.send(e->ctx, (const struct sockaddr *)&sa->local,
	                (const struct sockaddr *)&sa->remote, &keepalive, 1) == 0)
		ike_sa_table_counters_mut(e->sas)->natt_keepalives_out++;
	x->keepalive_at = *now;
	ts_add_ms(&x->keepalive_at, (uint64_t)e->settings.natt_keepalive_s * 1000);
}

/* The SA's next deadline, if it has one. */
static bool sa_deadline(struct ike_engine *e, const struct ike_sa *sa, struct timespec *at)
{
	if (sa->state == IKE_ST_DELETED) {
		*at = sa->deleted_mono;
		ts_add_ms(at, (uint64_t)e->settings.deleted_linger_s * 1000);
		return true;
	}
	if (sa->state == IKE_ST_ESTABLISHED) {
		*at = sa->state_entered;
		ts_add_ms(at, (uint64_t)sa->xf.lifetime_s * 1000);
		if (sa->x != NULL && sa->x->keepalive_armed &&
		    ts_diff_ms(&sa->x->keepalive_at, at) < 0)
			*at = sa->x->keepalive_at;
		return true;
	}
	if (sa->x != NULL && sa->x->rt.armed) {
		*at = sa->x->rt.at;
		return true;
	}
	return false;
}

/* Keep the earlier of best (ms from now, -1 = none) and at. */
static void earliest(int64_t *best, const struct timespec *at, const struct timespec *now)
{
	int64_t d = ts_diff_ms(at, now);

	if (d < 0)
		d = 0;
	if (*best < 0 || d < *best)
		*best = d;
}

/* auto=start peers with an established SA: when missing children are tried again. */
static bool peer_qm_deadline(struct ike_engine *e, const struct engine_peer *p, struct timespec *at)
{
	if (p->cfg.autostart != IKE_AUTO_START || quick_children_wanted(&p->cfg) == 0)
		return false;
	*at = p->qm_retry_at;
	(void)e;
	return true;
}

int64_t ike_engine_next_timeout_ms(struct ike_engine *e)
{
	struct timespec now, at;
	int64_t best = -1;

	engine_now(&now);
	for (const struct ike_sa *sa = ike_sa_first(e->sas); sa != NULL; sa = sa->next) {
		if (sa_deadline(e, sa, &at))
			earliest(&best, &at, &now);
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
			if (quick_deadline(e, c, &at))
				earliest(&best, &at, &now);
	}
	for (size_t i = 0; i < e->n_peers; i++) {
		if (e->peers[i].restart_pending)
			earliest(&best, &e->peers[i].restart_at, &now);
		else if (peer_qm_deadline(e, &e->peers[i], &at) &&
		         engine_peer_missing_children(e, &e->peers[i]))
			earliest(&best, &at, &now);
	}
	return best;
}

static void run_child_timers(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now)
{
	struct ike_child *c, *next;
	struct timespec at;

	for (c = sa->children; c != NULL; c = next) {
		next = c->next;
		if (quick_deadline(e, c, &at) && ts_diff_ms(&at, now) <= 0)
			quick_timeout(e, sa, c, now);
	}
}

/* auto=start keeps its children up too: missing ones are tried every restart_delay. */
static void maintain_children(struct ike_engine *e, struct engine_peer *p,
                              const struct timespec *now)
{
	struct timespec at;
	struct ike_sa *sa;

	if (!peer_qm_deadline(e, p, &at) || ts_diff_ms(&at, now) > 0)
		return;
	sa = engine_peer_established_sa(e, p->cfg.name);
	if (sa == NULL)
		return;
	p->qm_retry_at = *now;
	ts_add_ms(&p->qm_retry_at, (uint64_t)e->settings.restart_delay_s * 1000);
	quick_start_missing(e, sa);
}

void ike_engine_run_timers(struct ike_engine *e)
{
	struct timespec now, at;
	struct ike_sa *sa, *next;

	engine_now(&now);
	for (sa = ike_sa_first_mut(e->sas); sa != NULL; sa = next) {
		next = sa->next;
		run_child_timers(e, sa, &now);
		if (!sa_deadline(e, sa, &at) || ts_diff_ms(&at, &now) > 0)
			continue;
		if (sa->state == IKE_ST_DELETED)
			ike_sa_remove(e->sas, sa);
		else if (sa->state == IKE_ST_ESTABLISHED)
			established_timeout(e, sa, &now);
		else
			sa_timeout(e, sa, &now);
	}
	for (size_t i = 0; i < e->n_peers; i++) {
		if (e->peers[i].restart_pending && ts_diff_ms(&e->peers[i].restart_at, &now) <= 0)
			engine_initiate_peer(e, &e->peers[i]);
		else
			maintain_children(e, &e->peers[i], &now);
	}
}
