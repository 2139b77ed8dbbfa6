/*
 * peer_track.c - what the engine keeps per configured peer beyond its configuration:
 * the peer's own list of SAs and its counters, and the index of peers by name.
 *
 * Why: the views ask for every peer's status at each scrape or walk, and handlers look
 * their peer up by name for every message.  With the index and the per-peer lists a
 * status costs time proportional to the peer's own SAs, and a look-up O(1), instead of
 * a walk of the whole SA table or of the peer list.
 *
 * The counters are the engine's own subscription to the table's events (the engine
 * subscribes first, so its counts are current when the views hear the same event).  A
 * track lives while its peer's configuration stays the same; when the peer leaves or
 * changes, its SAs move to the orphan track and its counters are dropped (a new track
 * starts with since_wall = now).  An SA's traffic counts in its track while it is in
 * the table, and is added to the track's retired traffic when it is removed.
 *
 * A configured peer's track also keeps its live SAs and its SAs at QM_IDLE in two
 * sub-lists (same order), so that its newest live SA and newest established SA, which
 * the timers, the auto=start logic and the stall detector ask for after every event,
 * cost O(1) however many SAs the peer has (a responder peer for a whole subnet may have
 * 100,000).  The orphans need no sub-lists: nothing asks for their newest SA.
 */
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "ike.h"

/* ---------------------------------------------------------------- peers by name */

/* FNV-1a: peer names are short and chosen by the operator, not by peers. */
static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

int engine_index_peers(struct ike_engine *e)
{
	size_t slots = 16, *slot;

	while (slots <= 2 * e->n_peers)
		slots *= 2;
	slot = calloc(slots, sizeof(*slot));
	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < e->n_peers; i++) {
		size_t k = name_hash(e->peers[i].cfg.name) & (slots - 1);

		while (slot[k] != 0)
			k = (k + 1) & (slots - 1);
		slot[k] = i + 1;
	}
	free(e->peer_slot);
	e->peer_slot = slot;
	e->peer_slots = slots;
	return 0;
}

/* Without an index (out of memory at the last reload), a walk: slower, still right. */
static long peer_index(const struct ike_engine *e, const char *name)
{
	size_t k;

	if (e->peer_slot == NULL) {
		for (size_t i = 0; i < e->n_peers; i++)
			if (strcmp(e->peers[i].cfg.name, name) == 0)
				return (long)i;
		return -1;
	}
	for (k = name_hash(name) & (e->peer_slots - 1); e->peer_slot[k] != 0;
	     k = (k + 1) & (e->peer_slots - 1))
		if (strcmp(e->peers[e->peer_slot[k] - 1].cfg.name, name) == 0)
			return (long)(e->peer_slot[k] - 1);
	return -1;
}

struct engine_peer *engine_find_peer(struct ike_engine *e, const char *name)
{
	long i = peer_index(e, name);

	return i >= 0 ? &e->peers[i] : NULL;
}

long ike_engine_peer_find(const struct ike_engine *e, const char *name)
{
	return peer_index(e, name);
}

uint64_t ike_engine_peers_generation(const struct ike_engine *e)
{
	return e->peers_gen;
}

/* ---------------------------------------------------------------- tracks */

struct engine_peer_track *engine_track_new(void)
{
	struct engine_peer_track *tr = calloc(1, sizeof(*tr));

	if (tr != NULL)
		tr->stats.since_wall = time(NULL);
	return tr;
}

/* At its place in conn-id order: the tail, unless SAs were announced out of order. */
static void track_link(struct engine_peer_track *tr, struct ike_sa *sa)
{
	struct ike_sa *after = tr->tail;

	while (after != NULL && after->conn_id > sa->conn_id)
		after = after->peer_prev;
	sa->track = tr;
	sa->peer_prev = after;
	sa->peer_next = after != NULL ? after->peer_next : tr->head;
	if (sa->peer_next != NULL)
		sa->peer_next->peer_prev = sa;
	else
		tr->tail = sa;
	if (after != NULL)
		after->peer_next = sa;
	else
		tr->head = sa;
	tr->n_sas++;
}

static void track_unlink(struct ike_sa *sa)
{
	struct engine_peer_track *tr = sa->track;

	if (tr == NULL)
		return;
	if (sa->peer_prev != NULL)
		sa->peer_prev->peer_next = sa->peer_next;
	else
		tr->head = sa->peer_next;
	if (sa->peer_next != NULL)
		sa->peer_next->peer_prev = sa->peer_prev;
	else
		tr->tail = sa->peer_prev;
	tr->n_sas--;
	sa->track = NULL;
	sa->peer_prev = sa->peer_next = NULL;
}

/* ---------------------------------------------------------------- the sub-lists */

/* One sub-list's links in an SA: the live one, or the established one. */
struct sub_links {
	struct ike_sa **prev, **next;
	bool *on;
};

static struct sub_links links_of(struct ike_sa *sa, bool est)
{
	if (est)
		return (struct sub_links){&sa->est_prev, &sa->est_next, &sa->on_est};
	return (struct sub_links){&sa->live_prev, &sa->live_next, &sa->on_live};
}

/* At its place in conn-id order: the tail, but for an SA older than the newest ones. */
static void sub_link(struct ike_sa **head, struct ike_sa **tail, struct ike_sa *sa, bool est)
{
	struct sub_links l = links_of(sa, est);
	struct ike_sa *after = *tail;

	while (after != NULL && after->conn_id > sa->conn_id)
		after = *links_of(after, est).prev;
	*l.prev = after;
	*l.next = after != NULL ? *links_of(after, est).next : *head;
	if (*l.next != NULL)
		*links_of(*l.next, est).prev = sa;
	else
		*tail = sa;
	if (after != NULL)
		*links_of(after, est).next = sa;
	else
		*head = sa;
	*l.on = true;
}

static void sub_unlink(struct ike_sa **head, struct ike_sa **tail, struct ike_sa *sa, bool est)
{
	struct sub_links l = links_of(sa, est);

	if (!*l.on)
		return;
	if (*l.prev != NULL)
		*links_of(*l.prev, est).next = *l.next;
	else
		*head = *l.next;
	if (*l.next != NULL)
		*links_of(*l.next, est).prev = *l.prev;
	else
		*tail = *l.prev;
	*l.prev = *l.next = NULL;
	*l.on = false;
}

/* The SA in the sub-lists its state calls for (none on the orphans' track). */
static void sub_sync(struct ike_engine *e, struct ike_sa *sa)
{
	struct engine_peer_track *tr = sa->track;
	bool live = tr != NULL && tr != &e->orphans && sa->state != IKE_ST_DELETED;
	bool est = live && sa->state == IKE_ST_ESTABLISHED;

	if (live && !sa->on_live)
		sub_link(&tr->live_head, &tr->live_tail, sa, false);
	if (est && !sa->on_est)
		sub_link(&tr->est_head, &tr->est_tail, sa, true);
	if (!est && sa->on_est)
		sub_unlink(&tr->est_head, &tr->est_tail, sa, true);
	if (!live && sa->on_live)
		sub_unlink(&tr->live_head, &tr->live_tail, sa, false);
}

/* Out of both sub-lists (before it leaves its track). */
static void sub_leave(struct ike_sa *sa)
{
	struct engine_peer_track *tr = sa->track;

	if (tr == NULL)
		return;
	sub_unlink(&tr->est_head, &tr->est_tail, sa, true);
	sub_unlink(&tr->live_head, &tr->live_tail, sa, false);
}

void engine_track_orphan(struct ike_engine *e, struct engine_peer_track *tr)
{
	struct ike_sa *sa, *next;

	if (tr == NULL)
		return;
	for (sa = tr->head; sa != NULL; sa = next) {
		next = sa->peer_next;
		sub_leave(sa);
		track_unlink(sa);
		track_link(&e->orphans, sa);
	}
	free(tr);
}

/* ---------------------------------------------------------------- counting */

void ike_sa_counters_add(struct ike_sa_counters *to, const struct ike_sa_counters *from)
{
	to->msgs_in += from->msgs_in;
	to->msgs_out += from->msgs_out;
	to->bytes_in += from->bytes_in;
	to->bytes_out += from->bytes_out;
	to->retransmits += from->retransmits;
	to->dup_in += from->dup_in;
	to->malformed += from->malformed;
	to->undecryptable += from->undecryptable;
	to->dpd_r_u_there_out += from->dpd_r_u_there_out;
	to->dpd_r_u_there_in += from->dpd_r_u_there_in;
	to->dpd_ack_out += from->dpd_ack_out;
	to->dpd_ack_in += from->dpd_ack_in;
	to->dpd_bad_seq += from->dpd_bad_seq;
}

static void count_failure(struct ike_peer_stats *st, enum ike_cause cause, bool child)
{
	bool known = (unsigned)cause < IKE_CAUSE_COUNT;

	st->failed++;
	if (known)
		st->failures[cause]++;
	if (!child)
		return;
	st->children_failed++;
	if (known)
		st->child_failures[cause]++;
}

void engine_track_event(struct ike_engine *e, const struct ike_event *ev)
{
	/* the engine's own SA: found mutable through the table, O(1) */
	struct ike_sa *sa = ike_sa_find_mut(e->sas, ev->sa->conn_id);
	struct engine_peer *p;
	struct engine_peer_track *tr;

	if (sa == NULL || sa != ev->sa)
		return;
	if (ev->type == IKE_EV_SA_CREATED && sa->track == NULL) {
		p = engine_find_peer(e, sa->peer);
		track_link(p != NULL && p->track != NULL ? p->track : &e->orphans, sa);
	}
	tr = sa->track;
	if (tr == NULL)
		return;
	if (ev->type == IKE_EV_SA_CREATED || ev->type == IKE_EV_STATE_CHANGED)
		sub_sync(e, sa);
	switch (ev->type) {
	case IKE_EV_SA_CREATED:
		tr->stats.attempts++;
		break;
	case IKE_EV_STATE_CHANGED:
		if (ev->new_state != IKE_ST_ESTABLISHED)
			break;
		tr->stats.established++;
		/* it replaces one still at QM_IDLE (rekey.c): a rekey */
		if (sa->replaces != 0) {
			const struct ike_sa *old = ike_sa_by_conn_id(e->sas, sa->replaces);

			tr->stats.rekeys_ike += old != NULL && old->state == IKE_ST_ESTABLISHED;
		}
		break;
	case IKE_EV_NEGOTIATION_FAILED:
		count_failure(&tr->stats, ev->cause, false);
		tr->stats.rekeys_failed += sa->replaces != 0;
		break;
	case IKE_EV_CHILD_FAILED:
		count_failure(&tr->stats, ev->cause, true);
		tr->stats.rekeys_failed += ev->child != NULL && ev->child->replaces;
		break;
	case IKE_EV_CHILD_STATE_CHANGED:
		if (ev->child == NULL || ev->child->state != IKE_CHILD_INSTALLED)
			break;
		tr->stats.children_established++;
		tr->stats.rekeys_ipsec += ev->child->replaces;
		break;
	case IKE_EV_SA_REMOVED:
		/* what it sent and received stays counted once it is gone */
		ike_sa_counters_add(&tr->stats.traffic, &sa->ctr);
		sub_leave(sa);
		track_unlink(sa);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- the views' side */

struct ike_sa *engine_peer_live_sa(struct ike_engine *e, const char *name)
{
	struct engine_peer *p = engine_find_peer(e, name);

	return p != NULL && p->track != NULL ? p->track->live_tail : NULL;
}

struct ike_sa *engine_peer_established_sa(struct ike_engine *e, const char *name)
{
	struct engine_peer *p = engine_find_peer(e, name);

	return p != NULL && p->track != NULL ? p->track->est_tail : NULL;
}

int ike_engine_peer_sas(const struct ike_engine *e, size_t i, const struct ike_sa **live,
                        const struct ike_sa **established)
{
	const struct engine_peer_track *tr = i < e->n_peers ? e->peers[i].track : NULL;

	*live = tr != NULL ? tr->live_tail : NULL;
	*established = tr != NULL ? tr->est_tail : NULL;
	return i < e->n_peers ? 0 : -1;
}

/* Installed children of sa for configured child idx. */
static bool child_up(const struct ike_sa *sa, size_t idx)
{
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (c->cfg_index == idx && c->state == IKE_CHILD_INSTALLED)
			return true;
	return false;
}

size_t engine_children_up(const struct ike_sa *sa, size_t wanted)
{
	size_t n = 0;

	for (size_t i = 0; sa != NULL && i < wanted; i++)
		n += child_up(sa, i);
	return n;
}

size_t ike_sa_children_installed(const struct ike_sa *sa)
{
	size_t n = 0;

	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		n += c->state == IKE_CHILD_INSTALLED;
	return n;
}

/*
 * One walk of the track, newest first: the SA the views show (the newest at QM_IDLE,
 * else the newest live one), the phase-2 SAs, and the live SAs' traffic.  Without sum,
 * the SA from the sub-lists' tails (the same one, in O(1)) and the retired traffic only.
 */
static const struct ike_sa *track_walk(const struct engine_peer_track *tr,
                                       struct ike_peer_status *st, bool sum)
{
	const struct ike_sa *est = NULL, *live = NULL;

	st->stats = tr->stats;
	st->n_sas = tr->n_sas;
	if (!sum)
		return tr->est_tail != NULL ? tr->est_tail : tr->live_tail;
	for (const struct ike_sa *sa = tr->tail; sa != NULL; sa = sa->peer_prev) {
		ike_sa_counters_add(&st->stats.traffic, &sa->ctr);
		if (!engine_sa_alive(sa))
			continue;
		st->ipsec_sas += ike_sa_children_installed(sa);
		if (live == NULL)
			live = sa;
		if (est == NULL && sa->state == IKE_ST_ESTABLISHED)
			est = sa;
	}
	return est != NULL ? est : live;
}

/*
 * Configured children with an installed phase-2 SA under the peer's newest SA at
 * QM_IDLE or under the one it replaces (rekey.c), if that one is still at QM_IDLE:
 * during a rekey the old SA carries the traffic until the new one has its phase-2 SAs,
 * so the peer stays up throughout.  O(their children), however many SAs the peer has.
 */
size_t ike_engine_peer_children_up(const struct ike_engine *e, size_t i)
{
	const struct engine_peer_track *tr = i < e->n_peers ? e->peers[i].track : NULL;
	const struct ike_sa *n = tr != NULL ? tr->est_tail : NULL, *old = NULL;
	size_t wanted, up = 0;

	if (n == NULL)
		return 0;
	wanted = quick_children_wanted(&e->peers[i].cfg);
	if (n->replaces != 0)
		old = ike_sa_by_conn_id(e->sas, n->replaces);
	if (old != NULL && old->state != IKE_ST_ESTABLISHED)
		old = NULL;
	for (size_t k = 0; k < wanted; k++)
		up += child_up(n, k) || (old != NULL && child_up(old, k));
	return up;
}

static int peer_status(struct ike_engine *e, size_t i, struct ike_peer_status *st, bool sum)
{
	if (i >= e->n_peers)
		return -1;
	memset(st, 0, sizeof(*st));
	st->cfg = &e->peers[i].cfg;
	if (e->peers[i].track != NULL)
		st->ike = track_walk(e->peers[i].track, st, sum);
	st->children_wanted = quick_children_wanted(st->cfg);
	if (st->ike != NULL && st->ike->state == IKE_ST_ESTABLISHED)
		st->children_up = ike_engine_peer_children_up(e, i);
	st->up = st->ike != NULL && st->ike->state == IKE_ST_ESTABLISHED &&
	         st->children_up == st->children_wanted;
	return 0;
}

int ike_engine_peer_status(struct ike_engine *e, size_t i, struct ike_peer_status *st)
{
	return peer_status(e, i, st, true);
}

int ike_engine_peer_status_retired(struct ike_engine *e, size_t i, struct ike_peer_status *st)
{
	return peer_status(e, i, st, false);
}

static void orphan_stats(const struct ike_engine *e, struct ike_peer_stats *st, bool sum)
{
	struct ike_peer_status tmp;

	memset(&tmp, 0, sizeof(tmp));
	(void)track_walk(&e->orphans, &tmp, sum);
	*st = tmp.stats;
}

void ike_engine_orphan_stats(const struct ike_engine *e, struct ike_peer_stats *st)
{
	orphan_stats(e, st, true);
}

void ike_engine_orphan_retired(const struct ike_engine *e, struct ike_peer_stats *st)
{
	orphan_stats(e, st, false);
}

long ike_engine_sa_peer(const struct ike_engine *e, const struct ike_sa *sa)
{
	long i;

	if (sa->track == NULL)
		return -1;
	if (sa->track == &e->orphans)
		return (long)e->n_peers;
	i = peer_index(e, sa->peer);
	return i >= 0 && e->peers[i].track == sa->track ? i : -1;
}
