/*
 * rekey.c - new SAs before the old ones run out, and the old ones retired once the new
 * ones stand.
 *
 * Policy (no RFC says when), as Libreswan's fuzz_margin() for EVENT_SA_REPLACE and
 * strongSwan's margintime and rekeyfuzz: the initiator of an SA (phase 1 or phase 2)
 * starts its replacement at lifetime - margin - a random part of margin * fuzz; the
 * responder only at lifetime - margin / 2, so the initiator normally wins and both ends
 * do not rekey at once, yet an initiator that is gone (or an ikemond that cannot
 * initiate: remote = %any) still gets replaced by the other end.  Unlike Libreswan,
 * which lets an SA expire when the margin exceeds its lifetime, margin and fuzz are
 * clamped to a third of the lifetime each: short lifetimes are rekeyed too.
 *
 * Phase 1 is rekeyed by a new Main (or Aggressive) Mode while the old ISAKMP SA stays at
 * QM_IDLE; it carries no INITIAL-CONTACT (dpd.c ic_wanted: another SA is alive), so the
 * peer keeps the old one too.  Whoever initiated it starts the Quick Modes on it
 * (phase1_established).  Phase 2 is rekeyed by a new Quick Mode in the ISAKMP SA that
 * replaced its own, else in its own.  Retiring is the same on both ends and for both
 * phases, and needs no message of its own: an installed phase-2 SA is deleted (ESP
 * DELETE, cause replaced) once the one made to replace it is installed; an ISAKMP SA once
 * the one made to replace it is at QM_IDLE with every configured phase-2 SA installed
 * (DELETE, cause replaced).  Until then the peer stays up through the old SAs.  Both ends
 * may send the DELETE; the second finds nothing to delete.  With rekey = no nothing is
 * replaced or retired here: the SAs expire.
 *
 * A rekey that fails leaves the old SA alone: it runs out as it would have (EXPIRED),
 * and auto = start negotiates again from scratch.  The failure is counted (rekeys_failed)
 * and carries replaces / child->replaces so the stall detector can raise it.
 *
 * Everything here runs from the timer queue (timers.c asks for the deadlines below) or
 * from the engine's own event subscription (rekey_event), which only arms timers and
 * touches SAs: nothing is deleted or sent from inside an event.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "exchange.h"
#include "ike.h"

uint64_t ike_rekey_after_ms(uint32_t lifetime_s, uint32_t margin_s, uint32_t fuzz_pct,
                            bool initiator, uint32_t rnd)
{
	uint64_t life = (uint64_t)lifetime_s * 1000, margin = (uint64_t)margin_s * 1000, fuzz;

	if (margin > life / 3)
		margin = life / 3;
	if (!initiator)
		return life - margin / 2;
	fuzz = margin * fuzz_pct / 100;
	if (fuzz > life / 3)
		fuzz = life / 3;
	return life - margin - (fuzz == 0 ? 0 : rnd % (fuzz + 1));
}

/*
 * An SA whose lifetime (the peer may propose any) is shorter than ours may be is not
 * rekeyed but left to expire: a rekey every few seconds would churn faster than the
 * restarts of auto = start.
 */
#define REKEY_MIN_LIFETIME_S 10

/* ---------------------------------------------------------------- the peer's settings */

static bool peer_rekeys(const struct ike_engine *e, const struct ike_peer_cfg *p)
{
	if (p->rekey == IKE_REKEY_DEFAULT)
		return e->settings.rekey;
	return p->rekey == IKE_REKEY_YES;
}

/* ms after entered when an SA or child of lifetime_s made in role should be replaced. */
static void rekey_time(const struct ike_engine *e, const struct ike_peer_cfg *p,
                       uint32_t lifetime_s, bool initiator, const struct timespec *entered,
                       struct timespec *at)
{
	uint32_t margin = p->rekey_margin_s != 0 ? p->rekey_margin_s : e->settings.rekey_margin_s;
	uint32_t fuzz = p->rekey_fuzz_set ? p->rekey_fuzz_pct : e->settings.rekey_fuzz_pct;
	uint32_t rnd = 0;

	if (ike_random((uint8_t *)&rnd, sizeof(rnd)) != 0)
		rnd = 0; /* no fuzz: still a rekey in time */
	*at = *entered;
	ts_add_ms(at, ike_rekey_after_ms(lifetime_s, margin, fuzz, initiator, rnd));
}

/* ---------------------------------------------------------------- who replaces whom */

/*
 * A new SA replaces the newest SA of its peer at QM_IDLE between the same two addresses
 * (a peer with a subnet or %any has SAs with many hosts; a load generator has many local
 * addresses towards one gateway).  Found through the table's index of remote addresses,
 * looking at HOST_LOOK SAs with that address at most, so that it stays O(1) even for one
 * gateway that holds 100,000 SAs from as many sources.  The link is kept both ways
 * (sa->replaces, and replaced_by once the new one is at QM_IDLE), and a new phase-2 SA is
 * linked the same way to the installed one of its pair in the same two ISAKMP SAs:
 * retiring then touches two SAs, never a walk of the peer's.
 */
#define HOST_LOOK 64

/* The newest other SA of sa's peer between sa's two addresses that is established (or,
 * with negotiating, still negotiating and newer than sa), or NULL. */
static struct ike_sa *same_pair(struct ike_engine *e, const struct ike_sa *sa, bool negotiating)
{
	struct ike_sa *s, *best = NULL;
	int n = 0;

	for (s = ike_sa_find_host(e->sas, &sa->remote, NULL); s != NULL && n < HOST_LOOK;
	     s = ike_sa_find_host(e->sas, &sa->remote, s), n++) {
		if (s == sa || strcmp(s->peer, sa->peer) != 0 ||
		    !engine_same_host(&s->local, &sa->local))
			continue;
		if (negotiating ? s->state == IKE_ST_ESTABLISHED || s->state == IKE_ST_DELETED ||
		                      s->conn_id < sa->conn_id
		                : s->state != IKE_ST_ESTABLISHED)
			continue;
		if (best == NULL || s->conn_id > best->conn_id)
			best = s;
	}
	return best;
}

static void link_ike(struct ike_engine *e, struct ike_sa *sa)
{
	struct ike_sa *s = same_pair(e, sa, false);

	if (s != NULL)
		sa->replaces = s->conn_id;
}

/* The SA at QM_IDLE that replaced sa, or NULL. */
static struct ike_sa *successor(struct ike_engine *e, const struct ike_sa *sa)
{
	struct ike_sa *n;

	if (sa->replaced_by == 0)
		return NULL;
	n = ike_sa_find_mut(e->sas, sa->replaced_by);
	return n != NULL && n->state == IKE_ST_ESTABLISHED ? n : NULL;
}

/* The successor has every configured phase-2 SA installed: sa may go. */
static bool successor_ready(struct ike_engine *e, const struct ike_sa *sa)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	const struct ike_sa *n = successor(e, sa);
	size_t wanted = p != NULL ? quick_children_wanted(p) : 0;

	return n != NULL && engine_children_up(n, wanted) == wanted;
}

/* The newest child of s for pair cfg_index (installed only, or any live), but c. */
static struct ike_child *pair_child(struct ike_sa *s, uint32_t cfg_index, const struct ike_child *c,
                                    bool installed)
{
	struct ike_child *best = NULL;

	for (struct ike_child *d = s != NULL ? s->children : NULL; d != NULL; d = d->next)
		if (d != c && d->cfg_index == cfg_index && d->state != IKE_CHILD_DELETED &&
		    (!installed || d->state == IKE_CHILD_INSTALLED))
			best = d;
	return best;
}

void rekey_link_child(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c)
{
	struct ike_child *old = pair_child(sa, c->cfg_index, c, true);

	if (old == NULL && sa->replaces != 0)
		old = pair_child(ike_sa_find_mut(e->sas, sa->replaces), c->cfg_index, c, true);
	if (old == NULL)
		return;
	c->replaces = true;
	c->replaces_conn = old->conn_id;
	c->replaces_index = old->index;
}

static struct ike_child *child_by_index(struct ike_engine *e, uint32_t conn_id, uint32_t index,
                                        struct ike_sa **sa)
{
	*sa = ike_sa_find_mut(e->sas, conn_id);
	for (struct ike_child *c = *sa != NULL ? (*sa)->children : NULL; c != NULL; c = c->next)
		if (c->index == index)
			return c;
	return NULL;
}

/* ---------------------------------------------------------------- phase 1 */

bool rekey_sa_deadline(struct ike_engine *e, const struct ike_sa *sa, struct timespec *at)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);

	if (sa->state != IKE_ST_ESTABLISHED || p == NULL || !peer_rekeys(e, p))
		return false;
	if (successor(e, sa) != NULL) {
		if (!successor_ready(e, sa))
			return false; /* it lives on until the new one has its phase 2, or expires
			               */
		*at = sa->state_entered;
		return true;
	}
	if (!sa->rekey_armed || sa->rekey_started)
		return false;
	*at = sa->rekey_at;
	return true;
}

/* Whether a newer SA of the peer between the same addresses negotiates already. */
static bool replacement_negotiating(struct ike_engine *e, const struct ike_sa *sa)
{
	return same_pair(e, sa, true) != NULL;
}

static void start_ike(struct ike_engine *e, struct ike_sa *sa)
{
	struct engine_peer *p = engine_find_peer(e, sa->peer);
	const struct ike_peer_cfg *c;
	long id;

	sa->rekey_started = true;
	if (p == NULL)
		return;
	c = &p->cfg;
	if (replacement_negotiating(e, sa)) {
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: rekey: its replacement negotiates",
		           sa->conn_id, sa->peer);
		return;
	}
	if (c->remote_any || c->remote.ss_family == 0 ||
	    c->remote_prefix != (c->remote.ss_family == AF_INET6 ? 128 : 32)) {
		engine_log(e, IKE_LOG_INFO,
		           "conn-id %u peer %s: rekey left to the peer (no address to initiate to)",
		           sa->conn_id, sa->peer);
		return;
	}
	id = engine_initiate_peer(e, p);
	engine_log(e, IKE_LOG_NOTICE, "conn-id %u peer %s: rekeying phase 1: conn-id %ld started",
	           sa->conn_id, sa->peer, id);
}

bool rekey_sa_timeout(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now)
{
	struct timespec at;

	if (!rekey_sa_deadline(e, sa, &at) || ts_diff_ms(&at, now) > 0)
		return false;
	if (successor(e, sa) == NULL) {
		start_ike(e, sa);
		return false;
	}
	engine_log(e, IKE_LOG_NOTICE, "conn-id %u peer %s: replaced by conn-id %u: deleting it",
	           sa->conn_id, sa->peer, sa->replaced_by);
	engine_delete_sa(e, sa, IKE_CAUSE_REPLACED);
	return true;
}

/* ---------------------------------------------------------------- phase 2 */

bool rekey_child_deadline(struct ike_engine *e, const struct ike_child *c, struct timespec *at)
{
	const struct ike_sa *sa;
	const struct ike_peer_cfg *p;

	if (c->state != IKE_CHILD_INSTALLED)
		return false;
	sa = ike_sa_by_conn_id(e->sas, c->conn_id);
	if (sa == NULL || sa->state != IKE_ST_ESTABLISHED)
		return false;
	p = engine_peer_cfg(e, sa->peer);
	if (p == NULL || !peer_rekeys(e, p))
		return false;
	if (c->replaced) {
		*at = c->state_entered;
		return true;
	}
	if (!c->rekey_armed || c->rekey_started)
		return false;
	*at = c->rekey_at;
	return true;
}

bool rekey_child_timeout(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                         const struct timespec *now)
{
	struct timespec at;
	struct ike_sa *n;
	struct ike_child *d;

	if (!rekey_child_deadline(e, c, &at) || ts_diff_ms(&at, now) > 0)
		return false;
	if (c->replaced) {
		engine_log(e, IKE_LOG_NOTICE,
		           "conn-id %u peer %s: phase-2 SA %u replaced by a newer one: deleting it",
		           sa->conn_id, sa->peer, c->index);
		quick_delete(e, sa, c, IKE_CAUSE_REPLACED);
		return true;
	}
	c->rekey_started = true;
	/* in the ISAKMP SA that replaced its own, if there is one already */
	n = successor(e, sa);
	if (n == NULL)
		n = sa;
	d = pair_child(n, c->cfg_index, c, false);
	if (d != NULL && d->state != IKE_CHILD_INSTALLED) {
		engine_log(e, IKE_LOG_INFO,
		           "conn-id %u peer %s: phase-2 SA %u: its replacement negotiates already",
		           sa->conn_id, sa->peer, c->index);
		return true;
	}
	d = quick_outI1(e, n, c->cfg_index);
	if (d != NULL)
		engine_log(
		    e, IKE_LOG_NOTICE,
		    "conn-id %u peer %s: rekeying phase-2 SA %u: Quick Mode %u on conn-id %u",
		    sa->conn_id, sa->peer, c->index, d->index, n->conn_id);
	return true;
}

/* ---------------------------------------------------------------- events */

static void touch_id(struct ike_engine *e, uint32_t conn_id)
{
	struct ike_sa *s = conn_id != 0 ? ike_sa_find_mut(e->sas, conn_id) : NULL;

	if (s != NULL)
		engine_timers_touch(e, s);
}

/* A child was installed: the one it replaces is retired, and the ISAKMP SA its own SA
 * replaces may be ready to go. */
static void child_installed(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c)
{
	struct ike_sa *os;
	struct ike_child *old;

	if (c->replaces) {
		old = child_by_index(e, c->replaces_conn, c->replaces_index, &os);
		if (old != NULL && old->state == IKE_CHILD_INSTALLED) {
			old->replaced = true;
			engine_timers_touch(e, os);
		}
	}
	touch_id(e, sa->replaces);
}

void rekey_event(struct ike_engine *e, const struct ike_event *ev)
{
	struct ike_sa *sa = ike_sa_find_mut(e->sas, ev->sa->conn_id);
	const struct ike_peer_cfg *p;
	struct ike_sa *old;

	if (sa == NULL || sa != ev->sa)
		return;
	p = engine_peer_cfg(e, sa->peer);
	switch (ev->type) {
	case IKE_EV_SA_CREATED:
		link_ike(e, sa);
		break;
	case IKE_EV_STATE_CHANGED:
		if (ev->new_state != IKE_ST_ESTABLISHED || p == NULL)
			break;
		rekey_time(e, p, sa->xf.lifetime_s, sa->role == IKE_ROLE_INITIATOR,
		           &sa->state_entered, &sa->rekey_at);
		sa->rekey_armed = sa->xf.lifetime_s >= REKEY_MIN_LIFETIME_S;
		sa->rekey_started = false;
		old = sa->replaces != 0 ? ike_sa_find_mut(e->sas, sa->replaces) : NULL;
		if (old != NULL && old->state == IKE_ST_ESTABLISHED) {
			old->replaced_by = sa->conn_id;
			engine_timers_touch(e, old);
		}
		break;
	case IKE_EV_CHILD_STATE_CHANGED: {
		struct ike_child *c = (struct ike_child *)ev->child; /* the engine's own */

		if (c == NULL || c->state != IKE_CHILD_INSTALLED || p == NULL)
			break;
		rekey_time(e, p, c->xf.life_s, c->role == IKE_ROLE_INITIATOR, &c->state_entered,
		           &c->rekey_at);
		c->rekey_armed = c->xf.life_s >= REKEY_MIN_LIFETIME_S;
		c->rekey_started = false;
		child_installed(e, sa, c);
		break;
	}
	default:
		break;
	}
}
