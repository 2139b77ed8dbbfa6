/*
 * metrics.c - ikemond's Prometheus exposition: what the exporter keeps, and the scrape.
 *
 * A scrape takes a snapshot (metrics_snapshot.h) on the loop: the engine's per-peer
 * status and counters (in O(1) per peer), the SA counts by state (kept by the table),
 * the stall detector's alarms and health, and what this file counts; then one walk of
 * the SA table in slices of m->walk_slice SAs (scrape_walk_slice; the HTTP side asks for
 * one or two a turn of the loop) adds the live SAs' traffic and phase-2 SAs to their
 * peers' rows and copies the per-SA series.  The text is written
 * from the snapshot by metrics_families.c once the walk is over, in slices that the
 * HTTP side pulls one at a time, so that the loop goes back to the IKE sockets between
 * slices.  A table of up to a slice of SAs is walked when the scrape starts: the body
 * shows one instant.
 *
 * Why the walk in slices: in one turn, at 100,000 SAs, it held the loop 30 to 40 ms (an
 * SA record per cache miss; the peers' sums walked the SAs a second time).  What an
 * engine change during the walk does: an SA removed before the walk reached it is left
 * out of the per-SA series, its traffic counts through the peer's retired counters, read
 * when the walk ends; one removed after the walk passed it has its traffic taken back
 * from the walk's sums (it is in the retired counters too); new SAs come last in the
 * table's conn-id order and are walked.  So each SA shows at most once, and a peer's
 * counters are never below what an earlier scrape showed.  A reload during the walk
 * (peer indexes change) starts the snapshot over.
 *
 * What this file keeps is what no one else counts: the handshake histogram (fed by the
 * engine's events), the reload status, the notification counts and how long the last
 * scrape took.  Per-peer negotiation and traffic counters are the engine's.
 *
 * A peer's configuration holds its pre-shared key: only the name, remote, local and auto
 * fields are read from it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/metrics_snapshot.h"
#include "ike/cert.h"
#include "ike/sa.h"

/* Bytes a whole-body write asks per slice (metrics_write). */
#define WHOLE_SLICE ((size_t)1 << 20)
/* SAs a slice of the walk visits by default: 1 to 3 ms at 100,000 SAs (a miss or two each). */
#define WALK_SLICE ((size_t)8192)

struct metrics {
	struct ike_engine *e;
	struct stall_detector *stall;
	struct metrics_own own;
	size_t walk_slice;
	struct metrics_stream *walking; /* the streams whose walk of the SA table goes on */
};

/*
 * A scrape: its snapshot, where the walk of the SA table is (the next SA to visit), the
 * traffic of the live SAs walked per peer row, where the writer is, and the loop time
 * it has cost so far.
 */
struct metrics_stream {
	struct metrics *m;
	struct metrics_snapshot snap;
	bool om;
	bool walking;
	const struct ike_sa *cursor;
	uint64_t peers_gen;
	struct ike_sa_counters *walked; /* per row of snap.peers: walked, taken back */
	size_t cap_sa;
	struct metrics_stream *walk_next, **walk_pprev;
	struct metrics_writer w;
	double busy_s;
};

static void walk_on_removed(struct metrics *m, const struct ike_sa *sa);

/* ---------------------------------------------------------------- engine events */

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	double s = (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) / 1e9;

	return s < 0 ? 0 : s;
}

/* First message to QM_IDLE. */
static void on_event(void *ctx, const struct ike_event *ev)
{
	struct metrics *m = ctx;
	double s;
	size_t i;

	if (ev->type == IKE_EV_SA_REMOVED && m->walking != NULL)
		walk_on_removed(m, ev->sa);
	if (ev->type != IKE_EV_STATE_CHANGED || ev->new_state != IKE_ST_ESTABLISHED)
		return;
	s = ts_diff(&ev->sa->state_entered, &ev->sa->created_mono);
	for (i = 0; i < METRICS_HIST_BUCKETS && s > metrics_hist_bounds[i]; i++)
		;
	m->own.hist[i]++;
	m->own.hist_count++;
	m->own.hist_sum += s;
}

/* ---------------------------------------------------------------- the snapshot */

/* A string into the arena; its offset, or UINT32_MAX when memory ran out. */
static uint32_t snap_str(struct metrics_snapshot *s, const char *v)
{
	size_t len = strlen(v) + 1, cap;
	char *p;

	if (s->str_len + len > s->str_cap) {
		cap = s->str_cap != 0 ? s->str_cap : 4096;
		while (cap < s->str_len + len)
			cap *= 2;
		if (cap > UINT32_MAX || (p = realloc(s->str, cap)) == NULL)
			return UINT32_MAX;
		s->str = p;
		s->str_cap = cap;
	}
	memcpy(s->str + s->str_len, v, len);
	s->str_len += len;
	return (uint32_t)(s->str_len - len);
}

static int snap_fail(struct metrics_snapshot *s, uint32_t cause, uint64_t n)
{
	struct snap_fail *p;
	size_t cap;

	if (s->n_fails == s->cap_fails) {
		cap = s->cap_fails != 0 ? 2 * s->cap_fails : 64;
		if ((p = realloc(s->fails, cap * sizeof(*p))) == NULL)
			return -1;
		s->fails = p;
		s->cap_fails = cap;
	}
	s->fails[s->n_fails++] = (struct snap_fail){cause, n};
	return 0;
}

/* "192.0.2.1", "[2001:db8::1]:4500"; "%any" when not set. */
static const char *local_text(const struct ike_peer_cfg *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int port = show_port(&p->local);
	bool v6 = p->local.ss_family == AF_INET6;

	if (p->local.ss_family == 0)
		return "%any";
	show_addr(&p->local, v6, addr, sizeof(addr));
	if (port == 0 || port == 500)
		snprintf(buf, len, "%s", addr);
	else if (v6)
		snprintf(buf, len, "[%s]:%u", addr, port);
	else
		snprintf(buf, len, "%s:%u", addr, port);
	return buf;
}

/*
 * The traffic shown per peer: retired (the SAs removed from the table) plus walked (the
 * live SAs' as the walk saw them), less back (what the walk took back: SAs it saw that
 * were removed since, whose traffic retired now holds).
 */
static void snap_traffic(struct snap_peer *p, const struct ike_sa_counters *retired,
                         const struct ike_sa_counters *walked, const struct ike_sa_counters *back)
{
	p->msgs_in = retired->msgs_in + walked->msgs_in - back->msgs_in;
	p->msgs_out = retired->msgs_out + walked->msgs_out - back->msgs_out;
	p->bytes_in = retired->bytes_in + walked->bytes_in - back->bytes_in;
	p->bytes_out = retired->bytes_out + walked->bytes_out - back->bytes_out;
	p->retransmits = retired->retransmits + walked->retransmits - back->retransmits;
	p->dpd_r_u_there_out =
	    retired->dpd_r_u_there_out + walked->dpd_r_u_there_out - back->dpd_r_u_there_out;
	p->dpd_r_u_there_in =
	    retired->dpd_r_u_there_in + walked->dpd_r_u_there_in - back->dpd_r_u_there_in;
	p->dpd_ack_out = retired->dpd_ack_out + walked->dpd_ack_out - back->dpd_ack_out;
	p->dpd_ack_in = retired->dpd_ack_in + walked->dpd_ack_in - back->dpd_ack_in;
}

/* Counters shown per peer: phase 1 only (phase-2 failures are the engine's too). */
static int snap_counters(struct metrics_snapshot *s, struct snap_peer *p,
                         const struct ike_peer_stats *st)
{
	static const struct ike_sa_counters none;

	p->established = st->established;
	p->failed = st->failed - st->children_failed;
	snap_traffic(p, &st->traffic, &none, &none);
	p->rekeys_ike = st->rekeys_ike;
	p->rekeys_ipsec = st->rekeys_ipsec;
	p->rekeys_failed = st->rekeys_failed;
	p->fail_first = (uint32_t)s->n_fails;
	for (uint32_t k = 0; k < IKE_CAUSE_COUNT; k++) {
		uint64_t n = st->failures[k] - st->child_failures[k];

		if (n != 0 && snap_fail(s, k, n) != 0)
			return -1;
	}
	p->fail_n = (uint32_t)(s->n_fails - p->fail_first);
	return 0;
}

/*
 * The certificates a peer's configuration loaded (its own, intermediates, CAs), each
 * subject once: two with one subject (a CA listed twice) would make two series with the
 * same labels, which Prometheus refuses; the earlier expiry is kept.
 */
static int snap_certs(struct metrics_snapshot *s, struct snap_peer *p, const struct ike_creds *c)
{
	struct snap_cert *n;
	size_t k, j, cap;

	p->cert_first = (uint32_t)s->n_certs;
	for (k = 0; k < ike_creds_count(c); k++) {
		const struct ike_cert_info *ci = ike_creds_info(c, k);

		for (j = p->cert_first; j < s->n_certs; j++)
			if (strcmp(s->str + s->certs[j].subject, ci->subject) == 0)
				break;
		if (j < s->n_certs) {
			if (ci->not_after < s->certs[j].not_after)
				s->certs[j].not_after = ci->not_after;
			continue;
		}
		if (s->n_certs == s->cap_certs) {
			cap = s->cap_certs != 0 ? 2 * s->cap_certs : 16;
			if ((n = realloc(s->certs, cap * sizeof(*n))) == NULL)
				return -1;
			s->certs = n;
			s->cap_certs = cap;
		}
		n = &s->certs[s->n_certs];
		n->subject = snap_str(s, ci->subject);
		n->not_after = (int64_t)ci->not_after;
		if (n->subject == UINT32_MAX)
			return -1;
		s->n_certs++;
	}
	p->cert_n = (uint32_t)(s->n_certs - p->cert_first);
	return 0;
}

static int snap_peer(struct metrics_stream *st, size_t i, const struct timespec *now_mono,
                     double now_wall)
{
	struct metrics_snapshot *s = &st->snap;
	struct snap_peer *p = &s->peers[i];
	struct ike_peer_status ps;
	char remote[80], local[80];
	enum ike_cause cause;

	if (ike_engine_peer_status_retired(st->m->e, i, &ps) != 0)
		return -1;
	p->name = snap_str(s, ps.cfg->name);
	p->remote = snap_str(s, show_peer_remote(ps.cfg, remote, sizeof(remote)));
	p->local = snap_str(s, local_text(ps.cfg, local, sizeof(local)));
	if (p->name == UINT32_MAX || p->remote == UINT32_MAX || p->local == UINT32_MAX)
		return -1;
	p->autostart = ps.cfg->autostart == IKE_AUTO_START;
	p->up = ps.up;
	if (ps.ike != NULL) {
		p->state = (uint8_t)ike_state_cisco(ps.ike->state);
		p->entered = now_wall - ike_sa_seconds_in_state(ps.ike, now_mono);
	}
	if (st->m->stall != NULL)
		p->health = (uint8_t)stall_peer_health(st->m->stall, i, &cause, NULL);
	if (snap_certs(s, p, ps.cfg->creds) != 0)
		return -1;
	return snap_counters(s, p, &ps.stats);
}

static int snap_peers(struct metrics_stream *st)
{
	struct metrics_snapshot *s = &st->snap;
	size_t n = ike_engine_peer_count(st->m->e);
	struct ike_peer_stats orphans;
	struct timespec now_mono, wall;
	double now_wall;

	clock_gettime(CLOCK_MONOTONIC, &now_mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	now_wall = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9;
	s->peers = calloc(n + 1, sizeof(*s->peers));
	if (s->peers == NULL)
		return -1;
	for (size_t i = 0; i < n; i++, s->n_peers++)
		if (snap_peer(st, i, &now_mono, now_wall) != 0)
			return -1;
	/* the orphans' row: SAs of no configured peer, under peer="" */
	ike_engine_orphan_retired(st->m->e, &orphans);
	s->peers[n].name = snap_str(s, "");
	if (s->peers[n].name == UINT32_MAX)
		return -1;
	return snap_counters(s, &s->peers[n], &orphans);
}

static int snap_alarms(struct metrics_stream *st)
{
	struct metrics_snapshot *s = &st->snap;
	const struct stall_alarm *a, *first;
	size_t n = 0;

	s->stall = st->m->stall != NULL;
	if (!s->stall)
		return 0;
	first = stall_active(st->m->stall);
	for (a = first; a != NULL; a = a->next)
		n++;
	s->alarms = calloc(n != 0 ? n : 1, sizeof(*s->alarms));
	if (s->alarms == NULL)
		return -1;
	for (a = first; a != NULL; a = a->next) {
		struct snap_alarm *x = &s->alarms[s->n_alarms++];

		x->peer = snap_str(s, a->peer);
		x->state = (uint8_t)a->state;
		x->cause = (uint8_t)a->cause;
		if (x->peer == UINT32_MAX)
			return -1;
	}
	for (int c = IKE_CAUSE_NONE + 1; c < IKE_CAUSE_COUNT; c++)
		s->raised[c] = stall_raised_total(st->m->stall, c);
	return 0;
}

/* Live SAs by Cisco state, from the table's counts by internal state. */
static void snap_states(struct metrics_snapshot *s, const struct ike_sa_table *t)
{
	for (int st = 0; st < IKE_ST_COUNT; st++)
		if (st != IKE_ST_DELETED)
			s->sas[ike_state_cisco(st)] += ike_sa_count_in_state(t, st);
}

/* ---------------------------------------------------------------- the walk */

/* The record of a walked SA (walked in conn-id order: a bisection), or NULL. */
static struct snap_sa *walked_sa(struct metrics_snapshot *s, uint32_t conn_id)
{
	size_t lo = 0, hi = s->n_sa;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->sa[mid].conn_id < conn_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_sa && s->sa[lo].conn_id == conn_id ? &s->sa[lo] : NULL;
}

/* An SA leaves the table: the walks step over it, or take back what they added of it. */
static void walk_on_removed(struct metrics *m, const struct ike_sa *sa)
{
	for (struct metrics_stream *st = m->walking; st != NULL; st = st->walk_next) {
		struct snap_sa *x;

		if (sa == st->cursor) {
			st->cursor = sa->next;
			continue;
		}
		if (st->cursor != NULL && sa->conn_id > st->cursor->conn_id)
			continue; /* not walked yet: the retired counters will have it */
		x = walked_sa(&st->snap, sa->conn_id);
		if (x != NULL && x->row != UINT32_MAX)
			ike_sa_counters_add(&st->walked[2 * x->row + 1], &sa->ctr);
	}
}

static void walk_unlink(struct metrics_stream *st)
{
	if (st->walk_pprev == NULL)
		return;
	*st->walk_pprev = st->walk_next;
	if (st->walk_next != NULL)
		st->walk_next->walk_pprev = st->walk_pprev;
	st->walk_next = NULL;
	st->walk_pprev = NULL;
}

/* One SA's record: every SA walked has one (the removals look theirs up). */
static int walk_record(struct metrics_snapshot *s, size_t *cap, const struct ike_sa *sa,
                       uint32_t row)
{
	struct snap_sa *x, *p;
	size_t c;

	if (s->n_sa == *cap) {
		c = *cap != 0 ? 2 * *cap : 1024;
		if ((p = realloc(s->sa, c * sizeof(*p))) == NULL)
			return -1;
		s->sa = p;
		*cap = c;
	}
	x = &s->sa[s->n_sa];
	x->conn_id = sa->conn_id;
	x->row = row;
	x->live = sa->state != IKE_ST_DELETED;
	x->state = (uint8_t)ike_state_cisco(sa->state);
	x->msgs_in = sa->ctr.msgs_in;
	x->msgs_out = sa->ctr.msgs_out;
	/* the SAs of one peer come in runs: one copy of the name per run */
	if (s->n_sa > 0 && strcmp(s->str + x[-1].peer, sa->peer) == 0)
		x->peer = x[-1].peer;
	else if ((x->peer = snap_str(s, sa->peer)) == UINT32_MAX)
		return -1;
	s->n_sa++;
	return 0;
}

/* The walk is over: each peer's traffic is its retired counters now plus what was walked. */
static void walk_end(struct metrics_stream *st)
{
	struct metrics_snapshot *s = &st->snap;
	struct ike_peer_status ps;
	struct ike_peer_stats orphans;

	for (size_t i = 0; i < s->n_peers; i++)
		if (ike_engine_peer_status_retired(st->m->e, i, &ps) == 0)
			snap_traffic(&s->peers[i], &ps.stats.traffic, &st->walked[2 * i],
			             &st->walked[2 * i + 1]);
	ike_engine_orphan_retired(st->m->e, &orphans);
	snap_traffic(&s->peers[s->n_peers], &orphans.traffic, &st->walked[2 * s->n_peers],
	             &st->walked[2 * s->n_peers + 1]);
	st->walking = false;
	walk_unlink(st);
}

/* Up to m->walk_slice SAs from the cursor, in conn-id order; 0, or -1 out of memory. */
static int walk_slice(struct metrics_stream *st)
{
	struct metrics_snapshot *s = &st->snap;
	const struct ike_engine *e = st->m->e;
	size_t k;

	for (k = 0; k < st->m->walk_slice && st->cursor != NULL; k++) {
		const struct ike_sa *sa = st->cursor;
		long i = ike_engine_sa_peer(e, sa);
		uint32_t row = i >= 0 && (size_t)i <= s->n_peers ? (uint32_t)i : UINT32_MAX;

		if (row != UINT32_MAX) {
			ike_sa_counters_add(&st->walked[2 * row], &sa->ctr);
			if (row < s->n_peers && sa->state != IKE_ST_DELETED)
				s->peers[row].ipsec_sas += ike_sa_children_installed(sa);
		}
		if (walk_record(s, &st->cap_sa, sa, row) != 0)
			return -1;
		st->cursor = sa->next;
	}
	if (st->cursor == NULL)
		walk_end(st);
	return 0;
}

/* ---------------------------------------------------------------- the snapshot */

static int snapshot_take(struct metrics_stream *st)
{
	struct metrics *m = st->m;
	struct metrics_snapshot *s = &st->snap;
	const struct ike_sa_table *t = ike_engine_sas(m->e);

	s->om = st->om;
	s->g = *ike_sa_table_counters(t);
	ike_engine_dh_stats(m->e, &s->dh);
	s->own = m->own;
	st->peers_gen = ike_engine_peers_generation(m->e);
	snap_states(s, t);
	if (snap_peers(st) != 0 || snap_alarms(st) != 0)
		return -1;
	st->walked = calloc(2 * (s->n_peers + 1), sizeof(*st->walked));
	if (st->walked == NULL)
		return -1;
	st->cursor = ike_sa_first(t);
	st->walking = true;
	if (st->walk_pprev == NULL) {
		st->walk_next = m->walking;
		if (m->walking != NULL)
			m->walking->walk_pprev = &st->walk_next;
		m->walking = st;
		st->walk_pprev = &m->walking;
	}
	return walk_slice(st);
}

static void snapshot_free(struct metrics_stream *st)
{
	struct metrics_snapshot *s = &st->snap;

	free(s->peers);
	free(s->fails);
	free(s->certs);
	free(s->alarms);
	free(s->sa);
	free(s->str);
	memset(s, 0, sizeof(*s));
	free(st->walked);
	st->walked = NULL;
	st->cap_sa = 0;
}

/* A reload changed the peers during the walk: their rows no longer match; again. */
static int snapshot_retake(struct metrics_stream *st)
{
	snapshot_free(st);
	return snapshot_take(st);
}

/* ---------------------------------------------------------------- streams */

static double elapsed_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ts_diff(&t1, t0);
}

struct metrics_stream *metrics_stream_new(struct metrics *m, bool openmetrics)
{
	struct metrics_stream *st = calloc(1, sizeof(*st));
	struct timespec t0;

	if (st == NULL)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st->m = m;
	st->om = openmetrics;
	if (snapshot_take(st) != 0) {
		walk_unlink(st);
		snapshot_free(st);
		free(st);
		return NULL;
	}
	metrics_writer_init(&st->w, &st->snap);
	st->busy_s = elapsed_since(&t0);
	return st;
}

/* While the walk goes on, a slice of it and no text (1: more follows). */
int metrics_stream_next(struct metrics_stream *st, struct strbuf *out, size_t want)
{
	struct timespec t0;
	int r = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (st->walking) {
		if (ike_engine_peers_generation(st->m->e) != st->peers_gen)
			r = snapshot_retake(st) != 0 ? -1 : 1;
		else
			r = walk_slice(st) != 0 ? -1 : 1;
		if (r == 1 && !st->walking)
			metrics_writer_init(&st->w, &st->snap);
	}
	if (r == 1 && !st->walking)
		r = metrics_writer_next(&st->w, out, want);
	st->busy_s += elapsed_since(&t0);
	return r;
}

/* The scrape's cost is what the loop spent on it: the snapshot and every slice. */
void metrics_stream_free(struct metrics_stream *st)
{
	if (st == NULL)
		return;
	walk_unlink(st);
	if (!st->walking)
		st->m->own.last_scrape_s = st->busy_s;
	snapshot_free(st);
	free(st);
}

void *metrics_body_begin(void *m, bool openmetrics, const char **content_type)
{
	*content_type = openmetrics ? METRICS_OPENMETRICS_TYPE : METRICS_TEXT_TYPE;
	return metrics_stream_new(m, openmetrics);
}

int metrics_body_next(void *stream, struct strbuf *out, size_t want)
{
	return metrics_stream_next(stream, out, want);
}

void metrics_body_end(void *stream)
{
	metrics_stream_free(stream);
}

int metrics_write(struct metrics *m, bool openmetrics, struct strbuf *out)
{
	struct metrics_stream *st = metrics_stream_new(m, openmetrics);
	int r;

	if (st == NULL)
		return -1;
	while ((r = metrics_stream_next(st, out, WHOLE_SLICE)) == 1)
		;
	metrics_stream_free(st);
	return r;
}

/* ---------------------------------------------------------------- API */

struct metrics *metrics_new(struct ike_engine *e, struct stall_detector *stall)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->e = e;
	m->stall = stall;
	m->walk_slice = WALK_SLICE;
	m->own.reload_ok = true;
	m->own.reload_success = time(NULL);
	if (ike_sa_table_subscribe(ike_engine_sas(e), on_event, m) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

void metrics_set_reload(struct metrics *m, bool ok, time_t when)
{
	m->own.reload_ok = ok;
	if (ok)
		m->own.reload_success = when;
}

void metrics_set_per_sa(struct metrics *m, bool on)
{
	m->own.per_sa = on;
}

void metrics_loop_turn(struct metrics *m, double seconds)
{
	size_t i;

	for (i = 0; i < METRICS_LOOP_BUCKETS && seconds > metrics_loop_bounds[i]; i++)
		;
	m->own.loop[i]++;
	m->own.loop_count++;
	m->own.loop_sum += seconds;
}

void metrics_set_walk_slice(struct metrics *m, size_t sas)
{
	m->walk_slice = sas != 0 ? sas : WALK_SLICE;
}

int metrics_count_notification(struct metrics *m, const char *type, const char *outcome)
{
	struct notify_count *n;

	if (strlen(type) > METRICS_NOTIFY_STR_MAX || strlen(outcome) > METRICS_NOTIFY_STR_MAX)
		return -1;
	for (size_t i = 0; i < m->own.n_notify; i++) {
		n = &m->own.notify[i];
		if (strcmp(n->type, type) == 0 && strcmp(n->outcome, outcome) == 0) {
			n->n++;
			return 0;
		}
	}
	if (m->own.n_notify == METRICS_NOTIFY_KINDS)
		return -1;
	n = &m->own.notify[m->own.n_notify++];
	snprintf(n->type, sizeof(n->type), "%s", type);
	snprintf(n->outcome, sizeof(n->outcome), "%s", outcome);
	n->n = 1;
	return 0;
}
