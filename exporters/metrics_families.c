/*
 * metrics_families.c - every metric family of ikemond's exposition, once, and the writer
 * that turns a scrape's snapshot into text, a few rows at a time.
 *
 * families[] names each family: its name as its samples carry it, its type, HELP, unit,
 * labels, which rows it has (one, one per peer, per alarm, per SA ...) and the function
 * that writes one row.  Two formats walk it: text 0.0.4 (HELP, TYPE, samples) and
 * OpenMetrics 1.0.0 (TYPE, UNIT, HELP under the family name OpenMetrics wants, without
 * _total for a counter and _info for an info; "# EOF" at the end).  The row functions
 * do not know which format they write, except for the label of a state set, which
 * OpenMetrics names after the family.
 *
 * Rows are the unit of work: a writer asked for a slice stops after the row that takes
 * it past the slice's size, so one slice costs a bounded time whatever the SA count.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/metrics_snapshot.h"

#ifdef PACKAGE_VERSION
#define METRICS_VERSION PACKAGE_VERSION
#else
#define METRICS_VERSION "0.1"
#endif

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

const double metrics_hist_bounds[METRICS_HIST_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,    2.5,   5,    10,  30};
const double metrics_loop_bounds[METRICS_LOOP_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,  0.1,    0.25,  1};

enum family_type { FT_COUNTER, FT_GAUGE, FT_HISTOGRAM, FT_STATESET, FT_INFO };

/* What a family has one row of. */
enum family_rows {
	ROWS_ONE,       /* the whole family in one row */
	ROWS_PEERS,     /* each configured peer */
	ROWS_PEERS_ALL, /* each configured peer, then the orphans (peer "") */
	ROWS_ALARMS,    /* each active alarm */
	ROWS_SAS,       /* each live SA */
};

struct metric_family {
	const char *name; /* as its samples carry it (counters with _total, info with _info) */
	enum family_type type;
	const char *help; /* no backslash, double quote or line feed */
	const char *unit; /* OpenMetrics UNIT; the name ends with _unit; NULL for none */
	/* its labels' names, "peer,result", in the order the row gives their values; a
	 * state set's last label holds the state (OpenMetrics names it after the family) */
	const char *labels;
	bool per_sa; /* written only with metrics_set_per_sa(m, true) */
	enum family_rows rows;
	void (*row)(struct metrics_writer *w, const struct metric_family *f, size_t i);
};

/* ---------------------------------------------------------------- samples */

static const char *str(const struct metrics_writer *w, uint32_t off)
{
	return w->snap->str + off;
}

/* Label values: backslash, double quote and line feed escaped (both formats). */
static void put_escaped(struct strbuf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			strbuf_append(b, "\\\\", 2);
		else if (*v == '"')
			strbuf_append(b, "\\\"", 2);
		else if (*v == '\n')
			strbuf_append(b, "\\n", 2);
		else
			strbuf_append(b, v, 1);
	}
}

/*
 * name{label="value",...} value: the first n of the family's labels, with values v.
 * The names are read off the family's list as the values come.
 */
static void put_sample(struct metrics_writer *w, const struct metric_family *f, const char *suffix,
                       const char *const *v, size_t n, const char *value)
{
	const char *name = f->labels;
	size_t len;

	strbuf_printf(w->out, "%s%s", f->name, suffix);
	for (size_t i = 0; i < n && *name != '\0'; i++, name += len + (name[len] == ',')) {
		len = strcspn(name, ",");
		strbuf_append(w->out, i == 0 ? "{" : ",", 1);
		if (w->snap->om && f->type == FT_STATESET && i + 1 == n)
			strbuf_append(w->out, f->name, strlen(f->name));
		else
			strbuf_append(w->out, name, len);
		strbuf_append(w->out, "=\"", 2);
		put_escaped(w->out, v[i]);
		strbuf_append(w->out, "\"", 1);
	}
	strbuf_printf(w->out, "%s %s\n", n > 0 ? "}" : "", value);
}

static void put_u64(struct metrics_writer *w, const struct metric_family *f, const char *suffix,
                    const char *const *v, size_t n, uint64_t x)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, x);
	put_sample(w, f, suffix, v, n, buf);
}

static void put_f64(struct metrics_writer *w, const struct metric_family *f, const char *suffix,
                    const char *const *v, size_t n, double x)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%.6f", x);
	put_sample(w, f, suffix, v, n, buf);
}

/* The samples of one peer's state set: 1 for current, 0 for the others. */
static void put_stateset(struct metrics_writer *w, const struct metric_family *f, const char *peer,
                         const char *const *states, size_t n, size_t current)
{
	const char *v[] = {peer, NULL};

	for (size_t i = 0; i < n; i++) {
		v[1] = states[i];
		put_u64(w, f, "", v, NELEMS(v), i == current);
	}
}

/* A pair of a per-peer counter: {peer, a} and {peer, b}. */
static void put_pair(struct metrics_writer *w, const struct metric_family *f, const char *peer,
                     const char *a, uint64_t x, const char *b, uint64_t y)
{
	const char *v[] = {peer, a};

	put_u64(w, f, "", v, NELEMS(v), x);
	v[1] = b;
	put_u64(w, f, "", v, NELEMS(v), y);
}

/* ---------------------------------------------------------------- the rows */

static void w_build_info(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const char *v[] = {METRICS_VERSION};

	(void)i;
	put_u64(w, f, "", v, NELEMS(v), 1);
}

static void w_ike_sas(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	for (int st = CISCO_STATE_MIN; st <= CISCO_STATE_MAX; st++) {
		const char *v[] = {cisco_state_name(st)};

		put_u64(w, f, "", v, NELEMS(v), w->snap->sas[st]);
	}
}

static void w_peer_info(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];
	const char *v[] = {str(w, p->name), str(w, p->remote), str(w, p->local),
	                   p->autostart ? "start" : "add"};

	put_u64(w, f, "", v, NELEMS(v), 1);
}

static void w_peer_up(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const char *v[] = {str(w, w->snap->peers[i].name)};

	put_u64(w, f, "", v, NELEMS(v), w->snap->peers[i].up);
}

/* "NONE" then the Cisco states in enum order: a peer's state is its index here. */
static void w_peer_state(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	static const char *const states[] = {"NONE",         "MM_NO_STATE", "MM_SA_SETUP",
	                                     "MM_KEY_EXCH",  "MM_KEY_AUTH", "AG_NO_STATE",
	                                     "AG_INIT_EXCH", "AG_AUTH",     "QM_IDLE"};
	const struct snap_peer *p = &w->snap->peers[i];

	put_stateset(w, f, str(w, p->name), states, NELEMS(states), p->state);
}

static void w_peer_state_entered(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];
	const char *v[] = {str(w, p->name)};

	if (p->state != 0)
		put_f64(w, f, "", v, NELEMS(v), p->entered);
}

/* In enum peer_health's order. */
static void w_peer_health(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	static const char *const states[] = {"idle", "negotiating", "up", "down"};
	const struct snap_peer *p = &w->snap->peers[i];

	if (w->snap->stall)
		put_stateset(w, f, str(w, p->name), states, NELEMS(states), p->health);
}

static void w_peer_stalled(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_alarm *a = &w->snap->alarms[i];
	const char *v[] = {str(w, a->peer), cisco_state_name(a->state), ike_cause_id(a->cause)};

	put_u64(w, f, "", v, NELEMS(v), 1);
}

/* Alarms carry a cause, never IKE_CAUSE_NONE: the by-cause families start at 1. */
static void w_alarms_active(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	uint64_t n[IKE_CAUSE_COUNT] = {0};

	(void)i;
	for (size_t k = 0; k < w->snap->n_alarms; k++)
		if (w->snap->alarms[k].cause < IKE_CAUSE_COUNT)
			n[w->snap->alarms[k].cause]++;
	for (int c = IKE_CAUSE_NONE + 1; c < IKE_CAUSE_COUNT; c++) {
		const char *v[] = {ike_cause_id(c)};

		put_u64(w, f, "", v, NELEMS(v), n[c]);
	}
}

static void w_alarms_raised(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	for (int c = IKE_CAUSE_NONE + 1; c < IKE_CAUSE_COUNT; c++) {
		const char *v[] = {ike_cause_id(c)};

		put_u64(w, f, "", v, NELEMS(v), w->snap->raised[c]);
	}
}

static void w_negotiations(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];

	put_pair(w, f, str(w, p->name), "established", p->established, "failed", p->failed);
}

/* Only the causes a peer has seen: 21 series per peer would mostly say 0. */
static void w_failures(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];

	for (uint32_t k = 0; k < p->fail_n; k++) {
		const struct snap_fail *x = &w->snap->fails[p->fail_first + k];
		const char *v[] = {str(w, p->name), ike_cause_id(x->cause)};

		put_u64(w, f, "", v, NELEMS(v), x->n);
	}
}

static void w_messages(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];

	put_pair(w, f, str(w, p->name), "in", p->msgs_in, "out", p->msgs_out);
}

static void w_message_bytes(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];

	put_pair(w, f, str(w, p->name), "in", p->bytes_in, "out", p->bytes_out);
}

static void w_retransmissions(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];
	const char *v[] = {str(w, p->name)};

	put_u64(w, f, "", v, NELEMS(v), p->retransmits);
}

static void w_dpd(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];
	const struct {
		const char *direction, *type;
		uint64_t n;
	} rows[] = {
	    {"in", "r_u_there", p->dpd_r_u_there_in},
	    {"out", "r_u_there", p->dpd_r_u_there_out},
	    {"in", "r_u_there_ack", p->dpd_ack_in},
	    {"out", "r_u_there_ack", p->dpd_ack_out},
	};

	for (size_t k = 0; k < NELEMS(rows); k++) {
		const char *v[] = {str(w, p->name), rows[k].direction, rows[k].type};

		put_u64(w, f, "", v, NELEMS(v), rows[k].n);
	}
}

static void w_rekeys(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];

	put_pair(w, f, str(w, p->name), "ike", p->rekeys_ike, "ipsec", p->rekeys_ipsec);
}

static void w_rekey_failures(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];
	const char *v[] = {str(w, p->name)};

	put_u64(w, f, "", v, NELEMS(v), p->rekeys_failed);
}

/* A family of one label: a sample per (value, count), in order. */
struct label_count {
	const char *value;
	uint64_t n;
};

static void put_counts(struct metrics_writer *w, const struct metric_family *f,
                       const struct label_count *c, size_t n)
{
	for (size_t k = 0; k < n; k++)
		put_u64(w, f, "", &c[k].value, 1, c[k].n);
}

static void w_malformed(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct ike_global_counters *g = &w->snap->g;
	const struct label_count drops[] = {
	    {"short", g->dropped_short},
	    {"bad_length", g->dropped_bad_length},
	    {"bad_version", g->dropped_bad_version},
	    {"bad_payload", g->dropped_bad_payload},
	    {"unknown_sa", g->dropped_unknown_sa},
	    {"unexpected", g->dropped_unexpected},
	    {"undecryptable", g->dropped_undecryptable},
	    {"no_config", g->dropped_no_config},
	    {"replay", g->dropped_replay},
	};

	(void)i;
	put_counts(w, f, drops, NELEMS(drops));
}

static void w_half_open(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	put_u64(w, f, "", NULL, 0, w->snap->g.half_open);
}

static void w_half_open_dropped(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct ike_global_counters *g = &w->snap->g;
	const struct label_count drops[] = {
	    {"limit", g->half_open_dropped_limit},
	    {"per_source", g->half_open_dropped_per_source},
	    {"timeout", g->half_open_dropped_timeout},
	};

	(void)i;
	put_counts(w, f, drops, NELEMS(drops));
}

static void w_dh_workers(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	put_u64(w, f, "", NULL, 0, w->snap->dh.workers);
}

static void w_dh_queue(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	put_u64(w, f, "", NULL, 0, w->snap->dh.queued);
}

static void w_dh_jobs(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct ike_dh_stats *d = &w->snap->dh;
	const struct label_count jobs[] = {
	    {"done", d->done}, {"stale", d->stale}, {"refused", d->refused}};

	(void)i;
	put_counts(w, f, jobs, NELEMS(jobs));
}

static void w_ipsec_sas(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const char *v[] = {str(w, w->snap->peers[i].name)};

	put_u64(w, f, "", v, NELEMS(v), w->snap->peers[i].ipsec_sas);
}

/* le: "%g" ("1", "2.5"); OpenMetrics wants canonical floats ("1.0", "2.5", "0.005"). */
static void put_hist(struct metrics_writer *w, const struct metric_family *f, const double *bounds,
                     const uint64_t *per_bucket, size_t n, uint64_t count, double sum)
{
	const char *v[] = {NULL};
	uint64_t cum = 0;
	char le[32];

	for (size_t k = 0; k < n; k++) {
		snprintf(le, sizeof(le), "%g", bounds[k]);
		if (w->snap->om && strpbrk(le, ".e") == NULL)
			strcat(le, ".0");
		cum += per_bucket[k];
		v[0] = le;
		put_u64(w, f, "_bucket", v, NELEMS(v), cum);
	}
	v[0] = "+Inf";
	put_u64(w, f, "_bucket", v, NELEMS(v), count);
	put_f64(w, f, "_sum", NULL, 0, sum);
	put_u64(w, f, "_count", NULL, 0, count);
}

static void w_handshake(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct metrics_own *o = &w->snap->own;

	(void)i;
	put_hist(w, f, metrics_hist_bounds, o->hist, METRICS_HIST_BUCKETS, o->hist_count,
	         o->hist_sum);
}

static void w_loop_turn(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct metrics_own *o = &w->snap->own;

	(void)i;
	put_hist(w, f, metrics_loop_bounds, o->loop, METRICS_LOOP_BUCKETS, o->loop_count,
	         o->loop_sum);
}

static void w_notifications(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	for (size_t k = 0; k < w->snap->own.n_notify; k++) {
		const struct notify_count *n = &w->snap->own.notify[k];
		const char *v[] = {n->type, n->outcome};

		put_u64(w, f, "", v, NELEMS(v), n->n);
	}
}

static void w_reload_ok(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	put_u64(w, f, "", NULL, 0, w->snap->own.reload_ok);
}

static void w_reload_time(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	put_u64(w, f, "", NULL, 0, (uint64_t)w->snap->own.reload_success);
}

static void w_scrape_duration(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	(void)i;
	put_f64(w, f, "", NULL, 0, w->snap->own.last_scrape_s);
}

static void w_sa_state(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_sa *sa = &w->snap->sa[i];
	char id[16];
	const char *v[] = {id, str(w, sa->peer), cisco_state_name(sa->state)};

	if (!sa->live)
		return;
	snprintf(id, sizeof(id), "%" PRIu32, sa->conn_id);
	put_u64(w, f, "", v, NELEMS(v), 1);
}

static void w_sa_messages(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_sa *sa = &w->snap->sa[i];
	char id[16];
	const char *v[] = {id, str(w, sa->peer), "in"};

	if (!sa->live)
		return;
	snprintf(id, sizeof(id), "%" PRIu32, sa->conn_id);
	put_u64(w, f, "", v, NELEMS(v), sa->msgs_in);
	v[2] = "out";
	put_u64(w, f, "", v, NELEMS(v), sa->msgs_out);
}

/* One sample per certificate the peer's configuration loaded: its notAfter. */
static void w_cert_expiry(struct metrics_writer *w, const struct metric_family *f, size_t i)
{
	const struct snap_peer *p = &w->snap->peers[i];

	for (uint32_t k = 0; k < p->cert_n; k++) {
		const struct snap_cert *c = &w->snap->certs[p->cert_first + k];
		const char *v[] = {str(w, p->name), str(w, c->subject)};
		char buf[24];

		snprintf(buf, sizeof(buf), "%" PRId64, c->not_after);
		put_sample(w, f, "", v, NELEMS(v), buf);
	}
}

/* ---------------------------------------------------------------- the table */

static const struct metric_family families[] = {
    {"ikemon_build_info", FT_INFO, "ikemond build information.", NULL, "version", false, ROWS_ONE,
     w_build_info},
    {"ikemon_ike_sas", FT_GAUGE, "IKE SAs by Cisco IOS state, deleted SAs not counted.", NULL,
     "state", false, ROWS_ONE, w_ike_sas},
    {"ikemon_peer_info", FT_INFO, "Configured peers: remote and local address, auto mode.", NULL,
     "peer,remote,local,auto", false, ROWS_PEERS, w_peer_info},
    {"ikemon_peer_up", FT_GAUGE,
     "1 when the peer's IKE SA is at QM_IDLE and every configured phase-2 SA is installed.", NULL,
     "peer", false, ROWS_PEERS, w_peer_up},
    {"ikemon_peer_state", FT_STATESET,
     "Cisco IOS state of the peer's IKE SA (its newest at QM_IDLE, else its newest live one); "
     "NONE without one.",
     NULL, "peer,state", false, ROWS_PEERS, w_peer_state},
    {"ikemon_peer_state_entered_timestamp_seconds", FT_GAUGE,
     "Wall-clock time the peer's IKE SA (as in ikemon_peer_state) entered its state; absent "
     "without one.",
     "seconds", "peer", false, ROWS_PEERS, w_peer_state_entered},
    {"ikemon_peer_health", FT_STATESET,
     "Peer health: idle (auto=add, nothing negotiating), negotiating, up, or down (auto=start "
     "and not up for peer_down_after).",
     NULL, "peer,health", false, ROWS_PEERS, w_peer_health},
    {"ikemon_peer_stalled", FT_GAUGE,
     "1 while the peer has an active stall alarm, with the state held and the likely cause.", NULL,
     "peer,state,cause", false, ROWS_ALARMS, w_peer_stalled},
    {"ikemon_alarms_active", FT_GAUGE, "Active stall alarms by cause.", NULL, "cause", false,
     ROWS_ONE, w_alarms_active},
    {"ikemon_alarms_raised_total", FT_COUNTER, "Stall alarms raised since start, by cause.", NULL,
     "cause", false, ROWS_ONE, w_alarms_raised},
    {"ikemon_ike_negotiations_total", FT_COUNTER,
     "Phase-1 negotiations by peer and result (established or failed); peer is empty for "
     "SAs of no configured peer.",
     NULL, "peer,result", false, ROWS_PEERS_ALL, w_negotiations},
    {"ikemon_ike_negotiation_failures_total", FT_COUNTER,
     "Failed phase-1 negotiations by peer and cause; a cause appears once seen.", NULL,
     "peer,cause", false, ROWS_PEERS_ALL, w_failures},
    {"ikemon_ike_messages_total", FT_COUNTER,
     "IKE control messages (not data traffic) by peer and direction, SAs gone included.", NULL,
     "peer,direction", false, ROWS_PEERS_ALL, w_messages},
    {"ikemon_ike_message_bytes_total", FT_COUNTER,
     "Bytes of IKE control messages (not data traffic) by peer and direction, SAs gone "
     "included.",
     "bytes", "peer,direction", false, ROWS_PEERS_ALL, w_message_bytes},
    {"ikemon_ike_retransmissions_total", FT_COUNTER,
     "IKE control messages this end retransmitted, by peer, SAs gone included.", NULL, "peer",
     false, ROWS_PEERS_ALL, w_retransmissions},
    {"ikemon_dpd_messages_total", FT_COUNTER,
     "Dead Peer Detection (RFC 3706) notifies by peer, direction and type (r_u_there, "
     "r_u_there_ack), SAs gone included.",
     NULL, "peer,direction,type", false, ROWS_PEERS_ALL, w_dpd},
    {"ikemon_rekeys_total", FT_COUNTER,
     "Rekeys by peer and phase (ike, ipsec): SAs made while an older one of the same peer (or "
     "phase-2 pair) was up, which they then replaced.",
     NULL, "peer,phase", false, ROWS_PEERS_ALL, w_rekeys},
    {"ikemon_rekey_failures_total", FT_COUNTER,
     "Negotiations started to rekey (either phase) that failed, by peer; the old SA runs out.",
     NULL, "peer", false, ROWS_PEERS_ALL, w_rekey_failures},
    {"ikemon_ike_malformed_messages_total", FT_COUNTER,
     "IKE datagrams dropped before any exchange handled them, by reason.", NULL, "cause", false,
     ROWS_ONE, w_malformed},
    {"ikemon_half_open_sas", FT_GAUGE,
     "Responder IKE SAs that have had only the peer's first message (bounded by "
     "max_half_open).",
     NULL, "", false, ROWS_ONE, w_half_open},
    {"ikemon_half_open_dropped_total", FT_COUNTER,
     "Half-open responder IKE SAs dropped, by reason: limit (the oldest, at max_half_open), "
     "per_source (refused at max_half_open_per_source), timeout.",
     NULL, "reason", false, ROWS_ONE, w_half_open_dropped},
    {"ikemon_dh_workers", FT_GAUGE,
     "Diffie-Hellman worker threads (dh_workers; 0: DH runs on the event loop).", NULL, "", false,
     ROWS_ONE, w_dh_workers},
    {"ikemon_dh_queue_depth", FT_GAUGE,
     "Diffie-Hellman jobs handed to the workers whose results the loop has not taken yet.", NULL,
     "", false, ROWS_ONE, w_dh_queue},
    {"ikemon_dh_jobs_total", FT_COUNTER,
     "Diffie-Hellman worker jobs by result: done (resumed its exchange), stale (its SA was "
     "gone or had moved on: dropped, keys wiped), refused (the pool was full: the message "
     "was dropped for the peer to retransmit).",
     NULL, "result", false, ROWS_ONE, w_dh_jobs},
    {"ikemon_ipsec_sas", FT_GAUGE, "Installed phase-2 (IPsec) SAs by peer.", NULL, "peer", false,
     ROWS_PEERS, w_ipsec_sas},
    {"ikemon_certificate_expiry_timestamp_seconds", FT_GAUGE,
     "Expiry time (notAfter) of each certificate a peer's configuration loaded: its own, "
     "intermediates and CAs.",
     "seconds", "peer,subject", false, ROWS_PEERS, w_cert_expiry},
    {"ikemon_ike_handshake_duration_seconds", FT_HISTOGRAM,
     "Time from an IKE SA's first message to QM_IDLE.", "seconds", "le", false, ROWS_ONE,
     w_handshake},
    {"ikemon_event_loop_turn_seconds", FT_HISTOGRAM,
     "Time each turn of ikemond's event loop spent working, from poll() returning to the "
     "next poll(): what an IKE message or an alarm may have waited behind.",
     "seconds", "le", false, ROWS_ONE, w_loop_turn},
    {"ikemon_notifications_total", FT_COUNTER, "SNMP notifications by type and outcome.", NULL,
     "type,outcome", false, ROWS_ONE, w_notifications},
    {"ikemon_config_last_reload_successful", FT_GAUGE,
     "1 when the last configuration load or reload succeeded.", NULL, "", false, ROWS_ONE,
     w_reload_ok},
    {"ikemon_config_last_reload_success_timestamp_seconds", FT_GAUGE,
     "Wall-clock time of the last successful configuration load or reload.", "seconds", "", false,
     ROWS_ONE, w_reload_time},
    {"ikemon_scrape_duration_seconds", FT_GAUGE,
     "Time the previous scrape took to build its exposition (CLOCK_MONOTONIC).", "seconds", "",
     false, ROWS_ONE, w_scrape_duration},
    {"ikemon_ike_sa_state", FT_GAUGE, "1 per live IKE SA, with its Cisco IOS state.", NULL,
     "conn_id,peer,state", true, ROWS_SAS, w_sa_state},
    {"ikemon_ike_sa_messages_total", FT_COUNTER,
     "IKE control messages (not data traffic) of each live IKE SA by direction.", NULL,
     "conn_id,peer,direction", true, ROWS_SAS, w_sa_messages},
};

/* ---------------------------------------------------------------- the writer */

/* Text format 0.0.4: state sets and info are gauges. */
static void write_text_meta(struct strbuf *out, const struct metric_family *f)
{
	static const char *const types[] = {"counter", "gauge", "histogram", "gauge", "gauge"};

	strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
	              types[f->type]);
}

/* OpenMetrics: the family's name drops the sample suffix of counters and info. */
static void write_om_meta(struct strbuf *out, const struct metric_family *f)
{
	static const char *const types[] = {"counter", "gauge", "histogram", "stateset", "info"};
	size_t len = strlen(f->name);

	if (f->type == FT_COUNTER && len > 6 && strcmp(f->name + len - 6, "_total") == 0)
		len -= 6;
	if (f->type == FT_INFO && len > 5 && strcmp(f->name + len - 5, "_info") == 0)
		len -= 5;
	strbuf_printf(out, "# TYPE %.*s %s\n", (int)len, f->name, types[f->type]);
	if (f->unit != NULL)
		strbuf_printf(out, "# UNIT %.*s %s\n", (int)len, f->name, f->unit);
	strbuf_printf(out, "# HELP %.*s %s\n", (int)len, f->name, f->help);
}

static size_t family_rows(const struct metrics_snapshot *s, const struct metric_family *f)
{
	switch (f->rows) {
	case ROWS_ONE:
		return 1;
	case ROWS_PEERS:
		return s->n_peers;
	case ROWS_PEERS_ALL:
		return s->n_peers + 1;
	case ROWS_ALARMS:
		return s->n_alarms;
	case ROWS_SAS:
		return s->own.per_sa ? s->n_sa : 0;
	}
	return 0;
}

void metrics_writer_init(struct metrics_writer *w, const struct metrics_snapshot *s)
{
	memset(w, 0, sizeof(*w));
	w->snap = s;
}

/* One step: a family's meta lines, one of its rows, or the move to the next family. */
static void writer_step(struct metrics_writer *w)
{
	const struct metric_family *f;

	if (w->family == NELEMS(families)) {
		if (w->snap->om)
			strbuf_append(w->out, "# EOF\n", 6);
		w->done = true;
		return;
	}
	f = &families[w->family];
	if (f->per_sa && !w->snap->own.per_sa) {
		w->family++;
		return;
	}
	if (!w->meta_done) {
		if (w->snap->om)
			write_om_meta(w->out, f);
		else
			write_text_meta(w->out, f);
		w->meta_done = true;
		return;
	}
	if (w->row < family_rows(w->snap, f)) {
		f->row(w, f, w->row++);
		return;
	}
	w->family++;
	w->row = 0;
	w->meta_done = false;
}

int metrics_writer_next(struct metrics_writer *w, struct strbuf *out, size_t want)
{
	size_t start = out->len;

	w->out = out;
	while (!w->done && !out->oom && out->len - start < want)
		writer_step(w);
	w->out = NULL;
	if (out->oom)
		return -1;
	return w->done ? 0 : 1;
}
