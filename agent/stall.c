/*
 * stall.c - the stall detector (see stall.h for what an alarm means).
 *
 * Each configured peer has a track: its current episode (a negotiation under way while
 * the peer is not up), the furthest state reached in it and since when, the last cause
 * seen, and its alarm.  It is event-driven: an engine event about an SA marks its peer's
 * track (and keeps a failure's cause), and stall_run() looks again at the marked tracks
 * only, each through its peer's newest live and newest established SA (O(1) from the
 * engine).  Each track's next deadline (its threshold crossing, or the end of its
 * hold-down) waits in a queue (ike/timerq.h), which stall_run() pops when due and which
 * feeds the loop's poll timeout: nothing polls, and nothing walks every peer or every SA
 * on a loop turn.  stall_next_timeout_ms() is O(1); stall_run() O((marked + due) log n).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agent/log.h"
#include "agent/stall.h"
#include "ike/ike.h"
#include "ike/sa.h"
#include "ike/timerq.h"

#define MAX_SUBSCRIBERS         8
#define LOST_DEADLINES_RETRY_MS 1000 /* the queue could not grow: look at every peer this often */

/* Ranks of progress, shared by Main and Aggressive Mode; phase 2 pending is last. */
enum { RANK_NONE = 0, RANK_NO_STATE, RANK_SA_SETUP, RANK_KEY_EXCH, RANK_KEY_AUTH, RANK_PHASE2 };

struct track {
	char name[IKE_PEER_NAME_MAX + 1];
	bool seen_up; /* has been up since the detector started */
	bool up;
	struct timespec up_since;   /* while up */
	struct timespec down_since; /* while not up: since when (start, or losing up) */
	bool open;                  /* an episode is under way */
	int rank;                   /* furthest rank in the episode */
	enum cisco_state state;
	struct timespec since; /* rank first reached */
	time_t since_wall;
	uint32_t conn_id, child_index;
	struct sockaddr_storage local, remote;
	enum ike_cause cause;
	char detail[64];
	bool dead; /* down since DPD found the peer dead: retries' silence keeps peer-dead */
	/* a rekey failed while the peer was up: its alarm is raised at once and cleared when
	 * an SA newer than the one that failed reaches QM_IDLE (for a phase-2 rekey, a newer
	 * phase-2 SA is installed); conn-id and child index of the failed one (index 0:
	 * phase 1) */
	bool rekey_failed;
	uint32_t rekey_failed_conn, rekey_failed_index;
	struct stall_alarm *alarm; /* active alarm, or NULL */
	/* the episode as it stood when the peer came up: an up that the peer refuses at once
	 * (our last phase-1 message's certificate) resumes it */
	bool pre_open;
	struct timespec pre_since;
	time_t pre_since_wall;

	bool marked;             /* to be looked at by the next run (in the detector's list) */
	struct ike_timer timer;  /* its next deadline, while it has one */
	struct ike_timer down;   /* auto=start, not up: when it turns down (peer_down_after) */
	enum peer_health health; /* as last told to the subscribers (STALL_HEALTH) */
};

struct subscriber {
	stall_event_fn fn;
	void *ctx;
};

struct stall_detector {
	struct ike_engine *e;
	struct stall_settings s;
	struct track *tracks;
	size_t n_tracks;
	uint32_t *index;    /* open addressing by name hash: track number + 1, 0 = empty */
	size_t index_len;   /* a power of two, at least twice n_tracks */
	uint64_t peers_gen; /* the engine's peers the tracks follow */
	uint32_t *marked;   /* track numbers to look at (room for every track) */
	size_t n_marked;
	struct ike_timerq deadlines; /* the tracks' next deadlines */
	bool deadlines_lost;         /* the queue could not grow: every track is looked at */
	struct ike_timerq downs;     /* the tracks' peer_down_after deadlines */
	struct stall_alarm *active, *active_tail;
	size_t n_active;
	struct stall_alarm *history, *history_tail;
	size_t n_history;
	uint64_t seq;
	uint64_t raised[IKE_CAUSE_COUNT];
	struct subscriber subs[MAX_SUBSCRIBERS];
	size_t n_subs;
};

void stall_settings_default(struct stall_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->stall_after_ms = 30000;
	s->qm_stall_after_ms = 30000;
	s->peer_down_after_ms = 120000;
	s->holddown_ms = 10000;
	s->history_max = 1000;
}

uint32_t stall_threshold_ms(const struct stall_settings *s, const struct ike_peer_cfg *p,
                            enum cisco_state state)
{
	bool qm = state == CISCO_QM_IDLE;

	if (state < CISCO_STATE_MIN || state > CISCO_STATE_MAX)
		state = CISCO_MM_NO_STATE;
	if (p != NULL && p->stall.state_ms[state] != 0)
		return p->stall.state_ms[state];
	if (p != NULL && qm && p->stall.qm_stall_after_ms != 0)
		return p->stall.qm_stall_after_ms;
	if (p != NULL && !qm && p->stall.stall_after_ms != 0)
		return p->stall.stall_after_ms;
	if (s->state_ms[state] != 0)
		return s->state_ms[state];
	return qm ? s->qm_stall_after_ms : s->stall_after_ms;
}

uint32_t stall_max_threshold_ms(const struct stall_settings *s, const struct ike_peer_cfg *peers,
                                size_t n)
{
	uint32_t max = 0, t;

	for (int st = CISCO_STATE_MIN; st <= CISCO_STATE_MAX; st++) {
		t = stall_threshold_ms(s, NULL, st);
		max = t > max ? t : max;
		for (size_t i = 0; i < n; i++) {
			t = stall_threshold_ms(s, &peers[i], st);
			max = t > max ? t : max;
		}
	}
	return max;
}

const char *alarm_clear_reason_name(enum alarm_clear_reason r)
{
	switch (r) {
	case ALARM_ACTIVE:
		return "active";
	case ALARM_CLEAR_ESTABLISHED:
		return "established";
	case ALARM_CLEAR_REMOVED:
		return "peer-removed";
	case ALARM_CLEAR_OPERATOR:
		return "operator";
	}
	return "unknown";
}

const char *peer_health_name(enum peer_health h)
{
	static const char *const names[] = {"idle", "negotiating", "up", "down"};

	return (unsigned)h < 4 ? names[h] : "unknown";
}

static double ts_seconds(const struct timespec *a, const struct timespec *b)
{
	double s = (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) / 1e9;

	return s < 0 ? 0 : s;
}

static int64_t ts_ms(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(a->tv_sec - b->tv_sec) * 1000 + (a->tv_nsec - b->tv_nsec) / 1000000L;
}

static void ts_plus(struct timespec *t, uint32_t ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

double stall_alarm_seconds(const struct stall_alarm *a, const struct timespec *now_mono)
{
	return ts_seconds(a->clear_seq != 0 ? &a->cleared_mono : now_mono, &a->state_since);
}

/* ---- tracks ---- */

/* FNV-1a: peer names are short and chosen by the operator, not by peers. */
static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

/* A run looks every SA's peer up: by hash, not by a walk of every peer. */
static struct track *track_of(const struct stall_detector *d, const char *name)
{
	size_t mask = d->index_len - 1, i;

	if (d->index == NULL)
		return NULL;
	for (i = name_hash(name) & mask; d->index[i] != 0; i = (i + 1) & mask)
		if (strcmp(d->tracks[d->index[i] - 1].name, name) == 0)
			return &d->tracks[d->index[i] - 1];
	return NULL;
}

static int build_index(struct stall_detector *d)
{
	size_t len = 16, mask, j;

	while (len < 2 * d->n_tracks)
		len *= 2;
	free(d->index);
	d->index = calloc(len, sizeof(*d->index));
	d->index_len = len;
	if (d->index == NULL)
		return -1;
	mask = len - 1;
	for (size_t i = 0; i < d->n_tracks; i++) {
		for (j = name_hash(d->tracks[i].name) & mask; d->index[j] != 0; j = (j + 1) & mask)
			;
		d->index[j] = (uint32_t)(i + 1);
	}
	return 0;
}

/* Look at track t in the next run.  O(1): the list has room for every track. */
static void mark(struct stall_detector *d, struct track *t)
{
	if (t->marked)
		return;
	t->marked = true;
	d->marked[d->n_marked++] = (uint32_t)(t - d->tracks);
}

static void mark_all(struct stall_detector *d)
{
	for (size_t i = 0; i < d->n_tracks; i++)
		mark(d, &d->tracks[i]);
}

/*
 * Tracks follow the engine's peers (same order); kept ones keep their state.  Every
 * track is looked at in the next run, which queues its deadline again.
 */
static int sync_tracks(struct stall_detector *d, const struct timespec *now)
{
	size_t n = ike_engine_peer_count(d->e);
	struct track *t = calloc(n ? n : 1, sizeof(*t)), *old;
	uint32_t *marked = calloc(n ? n : 1, sizeof(*marked));

	if (t == NULL || marked == NULL) {
		free(t);
		free(marked);
		return -1;
	}
	/* the queues point into the tracks about to go */
	ike_timerq_clear(&d->deadlines);
	ike_timerq_clear(&d->downs);
	for (size_t i = 0; i < n; i++) {
		const struct ike_peer_cfg *p = ike_engine_peer(d->e, i);

		old = track_of(d, p->name);
		if (old != NULL) {
			t[i] = *old;
			t[i].marked = false;
			old->alarm = NULL; /* moved */
			continue;
		}
		snprintf(t[i].name, sizeof(t[i].name), "%s", p->name);
		t[i].down_since = *now;
	}
	free(d->tracks);
	free(d->marked);
	d->tracks = t;
	d->n_tracks = n;
	d->marked = marked;
	d->n_marked = 0;
	mark_all(d);
	if (build_index(d) != 0)
		return -1;
	d->peers_gen = ike_engine_peers_generation(d->e);
	return 0;
}

/* ---- alarms ---- */

static void notify(struct stall_detector *d, enum stall_event_type type,
                   const struct stall_alarm *a)
{
	struct stall_event ev = {.type = type, .alarm = a, .peer = a->peer};

	for (size_t i = 0; i < d->n_subs; i++)
		d->subs[i].fn(d->subs[i].ctx, &ev);
}

static const char *addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "-";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
	snprintf(buf, len, "%s", a);
	return buf;
}

static void raise_alarm(struct stall_detector *d, struct track *t, const struct ike_peer_cfg *p,
                        const struct timespec *now)
{
	struct stall_alarm *a = calloc(1, sizeof(*a));
	char remote[INET6_ADDRSTRLEN];
	int64_t lag;

	if (a == NULL)
		return;
	a->raise_seq = ++d->seq;
	snprintf(a->peer, sizeof(a->peer), "%s", t->name);
	a->local = t->local;
	a->remote = t->remote;
	a->state = t->state;
	a->phase2 = t->rank == RANK_PHASE2;
	a->state_since = t->since;
	a->state_since_wall = t->since_wall;
	a->conn_id = t->conn_id;
	a->child_index = t->child_index;
	a->cause = t->cause != IKE_CAUSE_NONE ? t->cause : IKE_CAUSE_PEER_SILENT;
	snprintf(a->cause_detail, sizeof(a->cause_detail), "%s", t->detail);
	a->threshold_ms = stall_threshold_ms(&d->s, p, t->state);
	lag = ts_ms(now, &t->since) - (int64_t)a->threshold_ms;
	a->raise_lag_ms = lag > 0 ? (uint32_t)lag : 0;
	a->raised_wall = time(NULL);
	a->raised_mono = *now;
	a->prev = d->active_tail;
	if (d->active_tail != NULL)
		d->active_tail->next = a;
	else
		d->active = a;
	d->active_tail = a;
	d->n_active++;
	d->raised[a->cause]++;
	t->alarm = a;
	log_msg(LOG_WARNING,
	        "ALARM raised #%llu peer %s (%s): %s%s for %.0f s on conn-id %u: %s%s%s; hint: %s "
	        "[+%u ms]",
	        (unsigned long long)a->raise_seq, a->peer,
	        addr_text(&a->remote, remote, sizeof(remote)), cisco_state_name(a->state),
	        a->phase2 ? " (phase 2 pending)" : "", stall_alarm_seconds(a, now), a->conn_id,
	        ike_cause_info(a->cause)->text, a->cause_detail[0] ? ": " : "", a->cause_detail,
	        ike_cause_info(a->cause)->hint, a->raise_lag_ms);
	notify(d, STALL_RAISED, a);
}

/* Move an active alarm to the history (newest first, bounded): O(1) per alarm. */
static void retire(struct stall_detector *d, struct stall_alarm *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		d->active = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	else
		d->active_tail = a->prev;
	d->n_active--;
	a->prev = NULL;
	a->next = d->history;
	if (d->history != NULL)
		d->history->prev = a;
	else
		d->history_tail = a;
	d->history = a;
	d->n_history++;
	/* drop the oldest beyond the bound */
	while (d->n_history > d->s.history_max) {
		struct stall_alarm *gone = d->history_tail;

		d->history_tail = gone->prev;
		if (d->history_tail != NULL)
			d->history_tail->next = NULL;
		else
			d->history = NULL;
		free(gone);
		d->n_history--;
	}
}

static void clear_alarm(struct stall_detector *d, struct track *t, enum alarm_clear_reason why,
                        const struct timespec *now)
{
	struct stall_alarm *a = t->alarm;

	if (a == NULL)
		return;
	t->alarm = NULL;
	t->rekey_failed = false;
	a->clear_seq = ++d->seq;
	a->clear_reason = why;
	a->cleared_wall = time(NULL);
	a->cleared_mono = *now;
	log_msg(LOG_NOTICE, "ALARM cleared #%llu peer %s: %s (raised #%llu, %.0f s earlier)",
	        (unsigned long long)a->clear_seq, a->peer, alarm_clear_reason_name(why),
	        (unsigned long long)a->raise_seq, ts_seconds(now, &a->raised_mono));
	notify(d, STALL_CLEARED, a);
	retire(d, a);
}

/* ---- the run ---- */

static int rank_of(enum cisco_state s)
{
	switch (s) {
	case CISCO_MM_NO_STATE:
	case CISCO_AG_NO_STATE:
		return RANK_NO_STATE;
	case CISCO_MM_SA_SETUP:
	case CISCO_AG_INIT_EXCH:
		return RANK_SA_SETUP;
	case CISCO_MM_KEY_EXCH:
		return RANK_KEY_EXCH;
	case CISCO_MM_KEY_AUTH:
	case CISCO_AG_AUTH:
		return RANK_KEY_AUTH;
	case CISCO_QM_IDLE:
		return RANK_PHASE2;
	}
	return RANK_NONE;
}

/* Installed children of sa, one per configured pair. */
static size_t children_up(const struct ike_sa *sa, size_t wanted)
{
	size_t n = 0;

	for (size_t i = 0; i < wanted; i++)
		for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
			if (c->cfg_index == i && c->state == IKE_CHILD_INSTALLED) {
				n++;
				break;
			}
	return n;
}

/* The pending (or last failed) Quick Mode of sa, for a phase-2 stall. */
static const struct ike_child *worst_child(const struct ike_sa *sa)
{
	const struct ike_child *best = NULL;

	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (c->state != IKE_CHILD_INSTALLED &&
		    (best == NULL || c->last_cause != IKE_CAUSE_NONE))
			best = c;
	return best;
}

/*
 * After a dead peer, the silence of the retries (no reply to MM1) is the same story:
 * the alarm keeps saying peer-dead.  Any other cause (the peer answers, but differently)
 * is news and replaces it.
 */
static bool keeps_dead(const struct track *t, enum ike_cause c)
{
	return t->dead && (c == IKE_CAUSE_PEER_SILENT || c == IKE_CAUSE_RETRY_LIMIT);
}

/* Where the peer's negotiation is now: rank, state, the SA and the cause it shows. */
static void observe(struct track *t, const struct ike_sa *sa, size_t wanted,
                    const struct timespec *now)
{
	const struct ike_child *c = NULL;
	struct timespec entered = sa->state_entered;
	enum cisco_state state = ike_state_cisco(sa->state);
	int rank = rank_of(state);

	if (sa->state == IKE_ST_ESTABLISHED) {
		if (children_up(sa, wanted) == wanted)
			return;
		c = worst_child(sa);
	}
	if (!t->open) {
		t->open = true;
		t->rank = RANK_NONE;
	}
	if (rank > t->rank) {
		t->rank = rank;
		t->state = state;
		/* the SA's own clock, not ours: a state may have been entered before we ran */
		t->since = entered;
		t->since_wall = time(NULL) - (time_t)ts_seconds(now, &entered);
	}
	t->conn_id = sa->conn_id;
	t->child_index = c != NULL ? c->index : 0;
	t->local = sa->local;
	t->remote = sa->remote;
	if (c != NULL && c->last_cause != IKE_CAUSE_NONE && !keeps_dead(t, c->last_cause)) {
		t->cause = c->last_cause;
		snprintf(t->detail, sizeof(t->detail), "%s", c->cause_detail);
	} else if (sa->last_cause != IKE_CAUSE_NONE && !keeps_dead(t, sa->last_cause)) {
		t->dead = t->dead && sa->last_cause == IKE_CAUSE_PEER_DEAD;
		t->cause = sa->last_cause;
		snprintf(t->detail, sizeof(t->detail), "%s", sa->cause_detail);
	}
}

/* Whether sa, or (after a phase-2 failure) a phase-2 SA of it, is newer than the SA or
 * phase-2 SA whose rekey failed: conn-ids and child indexes only grow. */
static bool newer_than_failed(const struct track *t, const struct ike_sa *sa)
{
	if (sa->conn_id > t->rekey_failed_conn)
		return true;
	if (t->rekey_failed_index == 0 || sa->conn_id != t->rekey_failed_conn)
		return false;
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (c->state == IKE_CHILD_INSTALLED && c->index > t->rekey_failed_index)
			return true;
	return false;
}

/*
 * Look at a peer again: up or not through its newest SA at QM_IDLE (and its phase-2
 * SAs), else where its newest live SA stands; raise or clear what is due.
 */
static void run_track(struct stall_detector *d, size_t i, const struct timespec *now)
{
	struct track *t = &d->tracks[i];
	const struct ike_peer_cfg *p = ike_engine_peer(d->e, i);
	const struct ike_sa *live, *est;
	size_t wanted = ike_peer_children_wanted(p);
	bool up;

	ike_engine_peer_sas(d->e, i, &live, &est);
	/* during a rekey the older SAs carry the phase-2 SAs the newest has yet to make */
	up = est != NULL && ike_engine_peer_children_up(d->e, i) == wanted;
	if (up && t->rekey_failed) {
		/* the old SAs still carry the peer: the alarm stays until a rekey succeeds */
		t->up = t->seen_up = true;
		if (t->alarm != NULL && newer_than_failed(t, est))
			clear_alarm(d, t, ALARM_CLEAR_ESTABLISHED, now);
		return;
	}
	if (up) {
		if (!t->up) {
			t->up_since = *now;
			t->pre_open = t->open;
			t->pre_since = t->since;
			t->pre_since_wall = t->since_wall;
		}
		t->up = t->seen_up = true;
		t->open = false;
		t->dead = false;
		t->cause = IKE_CAUSE_NONE;
		t->detail[0] = '\0';
		if (t->alarm != NULL && ts_ms(now, &t->up_since) >= d->s.holddown_ms)
			clear_alarm(d, t, ALARM_CLEAR_ESTABLISHED, now);
		return;
	}
	if (t->up)
		t->down_since = *now;
	t->up = false;
	if (est != NULL)
		observe(t, est, wanted, now);
	else if (live != NULL)
		observe(t, live, wanted, now);
	if (t->open && t->alarm == NULL &&
	    ts_ms(now, &t->since) >= stall_threshold_ms(&d->s, p, t->state))
		raise_alarm(d, t, p, now);
}

/* A track's next deadline: the end of its hold-down, or its threshold crossing. */
static bool track_deadline(const struct stall_detector *d, size_t i, struct timespec *at)
{
	const struct track *t = &d->tracks[i];

	if (t->up && t->rekey_failed)
		return false; /* cleared by the events of a rekey that works */
	if (t->up && t->alarm != NULL) {
		*at = t->up_since;
		ts_plus(at, d->s.holddown_ms);
		return true;
	}
	if (!t->up && t->open && t->alarm == NULL) {
		*at = t->since;
		ts_plus(at, stall_threshold_ms(&d->s, ike_engine_peer(d->e, i), t->state));
		return true;
	}
	return false;
}

/* Queue tm at *at (NULL: out of the queue); out of memory, every track is looked at. */
static void queue_timer(struct stall_detector *d, struct ike_timerq *q, struct ike_timer *tm,
                        const struct timespec *at)
{
	if (at == NULL)
		ike_timerq_remove(q, tm);
	else if (ike_timerq_set(q, tm, at) != 0 && !d->deadlines_lost) {
		d->deadlines_lost = true;
		log_msg(LOG_WARNING,
		        "stall detector: out of memory for its deadlines: every "
		        "peer is looked at every %d ms",
		        LOST_DEADLINES_RETRY_MS);
	}
}

static void queue_deadline(struct stall_detector *d, size_t i)
{
	struct timespec at;

	queue_timer(d, &d->deadlines, &d->tracks[i].timer, track_deadline(d, i, &at) ? &at : NULL);
}

static struct track *track_of_timer(struct ike_timer *tm)
{
	return (struct track *)((char *)tm - offsetof(struct track, timer));
}

/*
 * An auto=start peer negotiating turns down by the clock alone: its moment waits in a
 * queue of its own, so that the health changes (STALL_HEALTH) without anyone polling it.
 * Once down it has no deadline left until it comes up (check_health runs first).
 */
static void queue_down(struct stall_detector *d, size_t i)
{
	struct track *t = &d->tracks[i];
	const struct ike_peer_cfg *p = ike_engine_peer(d->e, i);
	struct timespec at = t->down_since;

	ts_plus(&at, d->s.peer_down_after_ms);
	queue_timer(d, &d->downs, &t->down,
	            p != NULL && p->autostart == IKE_AUTO_START && t->health == PEER_NEGOTIATING
	                ? &at
	                : NULL);
}

static struct track *track_of_down(struct ike_timer *tm)
{
	return (struct track *)((char *)tm - offsetof(struct track, down));
}

static enum peer_health track_health(const struct stall_detector *d, const struct track *t,
                                     const struct ike_peer_cfg *p, const struct timespec *now)
{
	if (t->up)
		return PEER_UP;
	if (p->autostart == IKE_AUTO_START)
		return ts_ms(now, &t->down_since) >= d->s.peer_down_after_ms ? PEER_DOWN
		                                                             : PEER_NEGOTIATING;
	return t->open ? PEER_NEGOTIATING : PEER_IDLE;
}

/* Tell the subscribers when the peer's health changed since they were last told. */
static void check_health(struct stall_detector *d, size_t i, const struct timespec *now)
{
	struct track *t = &d->tracks[i];
	const struct ike_peer_cfg *p = ike_engine_peer(d->e, i);
	struct stall_event ev = {.type = STALL_HEALTH, .peer = t->name};

	if (p == NULL)
		return;
	ev.health = track_health(d, t, p, now);
	if (ev.health == t->health)
		return;
	t->health = ev.health;
	for (size_t k = 0; k < d->n_subs; k++)
		d->subs[k].fn(d->subs[k].ctx, &ev);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void stall_run(struct stall_detector *d)
{
	struct timespec now;
	struct ike_timer *tm;

	ike_mono_now(&now);
	if (d->peers_gen != ike_engine_peers_generation(d->e) && sync_tracks(d, &now) != 0)
		return; /* out of memory: the tracks do not follow the peers; next time */
	if (d->deadlines_lost) {
		d->deadlines_lost = false;
		mark_all(d);
	}
	while ((tm = ike_timerq_first(&d->deadlines)) != NULL && ts_ms(&tm->at, &now) <= 0) {
		ike_timerq_remove(&d->deadlines, tm);
		mark(d, track_of_timer(tm));
	}
	while ((tm = ike_timerq_first(&d->downs)) != NULL && ts_ms(&tm->at, &now) <= 0) {
		ike_timerq_remove(&d->downs, tm);
		mark(d, track_of_down(tm));
	}
	/* in the peers' order, as a walk of every peer would raise them */
	qsort(d->marked, d->n_marked, sizeof(*d->marked), cmp_u32);
	for (size_t k = 0; k < d->n_marked; k++) {
		size_t i = d->marked[k];

		d->tracks[i].marked = false;
		run_track(d, i, &now);
		queue_deadline(d, i);
		check_health(d, i, &now);
		queue_down(d, i);
	}
	d->n_marked = 0;
}

int64_t stall_next_timeout_ms(struct stall_detector *d)
{
	struct ike_timer *tm, *down;
	struct timespec now;
	int64_t ms;

	if (d->n_marked > 0 || d->peers_gen != ike_engine_peers_generation(d->e))
		return 0;
	tm = ike_timerq_first(&d->deadlines);
	down = ike_timerq_first(&d->downs);
	if (tm == NULL || (down != NULL && ts_ms(&down->at, &tm->at) < 0))
		tm = down;
	if (tm == NULL)
		return d->deadlines_lost ? LOST_DEADLINES_RETRY_MS : -1;
	ike_mono_now(&now);
	ms = ts_ms(&tm->at, &now);
	ms = ms < 0 ? 0 : ms;
	return d->deadlines_lost && ms > LOST_DEADLINES_RETRY_MS ? LOST_DEADLINES_RETRY_MS : ms;
}

/*
 * Engine events: the SA's peer is looked at in the next run; a failure's cause is kept
 * at once (the SA may be gone by then).
 */
/*
 * DPD declared the peer dead and deleted its SA.  The peer's alarm says peer-dead:
 * an auto=start peer opens an episode at the moment of death (at MM_NO_STATE), so it is
 * raised when the peer is not back (up again) within its threshold (stall_after, or
 * stall_after.MM_NO_STATE), whatever its retries show meanwhile unless it is news
 * (keeps_dead); back in time, nothing is raised.  An auto=add peer nobody renegotiates
 * raises nothing (it is idle, as after any deletion), but its health shows the cause.
 */
static void peer_dead(struct stall_detector *d, struct track *t, const struct ike_sa *sa)
{
	const struct ike_peer_cfg *p = ike_engine_peer(d->e, (size_t)(t - d->tracks));
	struct timespec now;

	ike_mono_now(&now);
	t->dead = true;
	t->cause = IKE_CAUSE_PEER_DEAD;
	snprintf(t->detail, sizeof(t->detail), "no answer to R-U-THERE (conn-id %u)", sa->conn_id);
	if (p == NULL || p->autostart != IKE_AUTO_START || t->open)
		return;
	t->open = true;
	t->rank = RANK_NO_STATE;
	t->state = CISCO_MM_NO_STATE;
	t->since = now;
	t->since_wall = time(NULL);
	t->conn_id = sa->conn_id;
	t->child_index = 0;
	t->local = sa->local;
	t->remote = sa->remote;
}

/*
 * A negotiation started to replace an SA of a peer that is up (ev->sa->replaces, or the
 * child's replaces) failed: the old SA still lives, but will run out.  The alarm is
 * raised at once with the failure's cause, as a stall would be.
 */
static bool rekey_failure(const struct ike_event *ev)
{
	if (ev->type == IKE_EV_NEGOTIATION_FAILED)
		return ev->sa->replaces != 0;
	return ev->type == IKE_EV_CHILD_FAILED && ev->child != NULL && ev->child->replaces;
}

static void rekey_failed(struct stall_detector *d, struct track *t, const struct ike_event *ev)
{
	const struct ike_peer_cfg *p = ike_engine_peer(d->e, (size_t)(t - d->tracks));
	const struct ike_sa *sa = ev->sa;
	struct timespec now;

	ike_mono_now(&now);
	/* the newest failure counts; a phase-1 one is cleared by a new ISAKMP SA only */
	if (!t->rekey_failed || t->rekey_failed_index != 0 || ev->child == NULL) {
		t->rekey_failed_conn = sa->conn_id;
		t->rekey_failed_index = ev->child != NULL ? ev->child->index : 0;
	}
	t->rekey_failed = true;
	if (t->alarm != NULL)
		return;
	t->state = ike_state_cisco(sa->state);
	t->rank = ev->child != NULL ? RANK_PHASE2 : rank_of(t->state);
	t->since = ev->child != NULL ? ev->child->created_mono : sa->created_mono;
	t->since_wall = time(NULL) - (time_t)ts_seconds(&now, &t->since);
	t->conn_id = sa->conn_id;
	t->child_index = ev->child != NULL ? ev->child->index : 0;
	t->local = sa->local;
	t->remote = sa->remote;
	t->cause = ev->cause;
	snprintf(t->detail, sizeof(t->detail), "rekey: %.56s",
	         ev->child != NULL ? ev->child->cause_detail : sa->cause_detail);
	raise_alarm(d, t, p, &now);
}

/*
 * An established SA failed: the peer refused the last phase-1 message we sent (MM6, or
 * AM3 of an Aggressive Mode initiator) after we had counted the SA up.  It never was: the
 * episode before it goes on (its start kept, so that retries refused the same way reach
 * the threshold), at the authentication state.
 */
static void refused_when_up(struct track *t, const struct ike_sa *sa)
{
	struct timespec now;

	ike_mono_now(&now);
	if (t->up) {
		t->up = false;
		t->down_since = now;
		t->open = t->pre_open;
		t->since = t->pre_since;
		t->since_wall = t->pre_since_wall;
	}
	if (!t->open) {
		t->open = true;
		t->rank = RANK_NONE;
		t->since = now;
		t->since_wall = time(NULL);
	}
	if (t->rank < RANK_KEY_AUTH) {
		t->rank = RANK_KEY_AUTH;
		t->state = sa->exchange == ISAKMP_XCHG_AGGR ? CISCO_AG_AUTH : CISCO_MM_KEY_AUTH;
	}
	t->conn_id = sa->conn_id;
	t->child_index = 0;
	t->local = sa->local;
	t->remote = sa->remote;
}

static void on_engine_event(void *ctx, const struct ike_event *ev)
{
	struct stall_detector *d = ctx;
	struct track *t = track_of(d, ev->sa->peer);

	if (t == NULL)
		return;
	mark(d, t);
	if (ev->type == IKE_EV_SA_DELETED && ev->cause == IKE_CAUSE_PEER_DEAD) {
		peer_dead(d, t, ev->sa);
		return;
	}
	if (ev->type != IKE_EV_NEGOTIATION_FAILED && ev->type != IKE_EV_CHILD_FAILED)
		return;
	if (t->up && rekey_failure(ev)) {
		rekey_failed(d, t, ev);
		return;
	}
	if (ev->type == IKE_EV_NEGOTIATION_FAILED && ev->sa->state == IKE_ST_ESTABLISHED)
		refused_when_up(t, ev->sa);
	if (t->up || keeps_dead(t, ev->cause))
		return;
	t->dead = false;
	t->cause = ev->cause;
	snprintf(t->detail, sizeof(t->detail), "%s",
	         ev->child != NULL ? ev->child->cause_detail : ev->sa->cause_detail);
	if (!t->open) {
		/* a negotiation that failed at once (NO-PROPOSAL-CHOSEN) still opens one */
		observe(t, ev->sa, 0, &ev->sa->state_entered);
	}
}

/* ---- API ---- */

struct stall_detector *stall_new(struct ike_engine *e, const struct stall_settings *s)
{
	struct stall_detector *d = calloc(1, sizeof(*d));
	struct timespec now;

	if (d == NULL)
		return NULL;
	d->e = e;
	d->s = *s;
	ike_mono_now(&now);
	ike_timerq_init(&d->deadlines);
	ike_timerq_init(&d->downs);
	if (sync_tracks(d, &now) != 0 ||
	    ike_sa_table_subscribe(ike_engine_sas(e), on_engine_event, d) != 0) {
		ike_timerq_free(&d->deadlines);
		ike_timerq_free(&d->downs);
		free(d->tracks);
		free(d->marked);
		free(d->index);
		free(d);
		return NULL;
	}
	return d;
}

static void free_list(struct stall_alarm *a)
{
	while (a != NULL) {
		struct stall_alarm *next = a->next;

		free(a);
		a = next;
	}
}

void stall_free(struct stall_detector *d)
{
	if (d == NULL)
		return;
	free_list(d->active);
	free_list(d->history);
	ike_timerq_free(&d->deadlines);
	ike_timerq_free(&d->downs);
	free(d->tracks);
	free(d->marked);
	free(d->index);
	free(d);
}

int stall_subscribe(struct stall_detector *d, stall_event_fn fn, void *ctx)
{
	if (d->n_subs >= MAX_SUBSCRIBERS)
		return -1;
	d->subs[d->n_subs++] = (struct subscriber){fn, ctx};
	return 0;
}

void stall_reconfigure(struct stall_detector *d, const struct stall_settings *s)
{
	struct timespec now;

	ike_mono_now(&now);
	d->s = *s;
	/* alarms of peers that left the configuration clear now */
	for (size_t i = 0; i < d->n_tracks; i++)
		if (ike_engine_peer_find(d->e, d->tracks[i].name) < 0)
			clear_alarm(d, &d->tracks[i], ALARM_CLEAR_REMOVED, &now);
	/* every peer is looked at again (thresholds may have changed): now, or by the
	 * next run when memory ran out here */
	sync_tracks(d, &now);
}

const struct stall_alarm *stall_active(const struct stall_detector *d)
{
	return d->active;
}

const struct stall_alarm *stall_history(const struct stall_detector *d)
{
	return d->history;
}

size_t stall_active_count(const struct stall_detector *d)
{
	return d->n_active;
}

const struct stall_alarm *stall_alarm_of(const struct stall_detector *d, const char *peer)
{
	const struct track *t = track_of(d, peer);

	return t != NULL ? t->alarm : NULL;
}

uint64_t stall_last_seq(const struct stall_detector *d)
{
	return d->seq;
}

uint64_t stall_raised_total(const struct stall_detector *d, enum ike_cause cause)
{
	return (unsigned)cause < IKE_CAUSE_COUNT ? d->raised[cause] : 0;
}

int stall_clear(struct stall_detector *d, const char *peer)
{
	struct track *t = track_of(d, peer);
	struct timespec now;

	if (t == NULL || t->alarm == NULL)
		return -1;
	ike_mono_now(&now);
	clear_alarm(d, t, ALARM_CLEAR_OPERATOR, &now);
	/* a still-stalled peer starts a new episode: it is raised again after a threshold */
	t->open = false;
	t->dead = false;
	t->cause = IKE_CAUSE_NONE;
	t->detail[0] = '\0';
	mark(d, t);
	return 0;
}

enum peer_health stall_peer_health(struct stall_detector *d, size_t i, enum ike_cause *cause,
                                   const char **detail)
{
	const struct ike_peer_cfg *p = ike_engine_peer(d->e, i);
	const struct track *t = i < d->n_tracks ? &d->tracks[i] : NULL;
	struct timespec now;

	/* the peers changed and the tracks do not follow yet: by name, not by place */
	if (p != NULL && d->peers_gen != ike_engine_peers_generation(d->e))
		t = track_of(d, p->name);
	*cause = IKE_CAUSE_NONE;
	if (detail != NULL)
		*detail = "";
	if (p == NULL || t == NULL)
		return PEER_IDLE;
	if (t->up)
		return PEER_UP;
	*cause = t->cause;
	if (detail != NULL)
		*detail = t->detail;
	ike_mono_now(&now);
	return track_health(d, t, p, &now);
}
