/*
 * metrics.c - ikemond's Prometheus exposition.
 *
 * families[] below names every metric family once: its name as its samples carry it,
 * its type, HELP, unit and the function that writes its samples.  Two writers walk it:
 * text format 0.0.4 (HELP, TYPE, samples) and OpenMetrics 1.0.0 (TYPE, UNIT, HELP under
 * the family name OpenMetrics wants, without _total for a counter and _info for an info;
 * "# EOF" at the end).  The sample functions do not know which format they write, except
 * for the label of a state set, which OpenMetrics names after the family.
 *
 * Values are read at scrape time from the engine and the stall detector.  What this file
 * keeps is what no one else counts: per-peer negotiation results and the traffic of SAs
 * that left the table (so per-peer counters never go down when an SA is removed), the
 * handshake histogram, the reload status and the notification counts.
 *
 * A peer's configuration holds its pre-shared key: only the name, remote, local and auto
 * fields are read from it.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/metrics.h"
#include "ike/sa.h"

#ifdef PACKAGE_VERSION
#define METRICS_VERSION PACKAGE_VERSION
#else
#define METRICS_VERSION "0.1"
#endif

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- state */

/* What the metrics count for one configured peer (or, under "", for unknown ones). */
struct peer_ctr {
	char name[IKE_PEER_NAME_MAX + 1];
	uint64_t established, failed;
	uint64_t failures[IKE_CAUSE_COUNT];
	struct ike_sa_counters retired; /* SAs removed from the table */
	/* scratch of one scrape */
	struct ike_sa_counters live; /* SAs in the table now */
	uint64_t ipsec_sas;          /* installed phase-2 SAs of its live SAs */
	uint64_t seen;               /* scrape generation that found it configured */
};

/* Open addressing by name hash; entries are allocated one by one, so pointers stay. */
struct peer_map {
	struct peer_ctr **slot;
	size_t cap, n; /* cap: a power of two, more than twice n */
};

struct notify_count {
	char type[METRICS_NOTIFY_STR_MAX + 1];
	char outcome[METRICS_NOTIFY_STR_MAX + 1];
	uint64_t n;
};

struct metrics {
	struct ike_engine *e;
	struct stall_detector *stall;
	struct peer_map peers;
	struct peer_ctr unknown; /* peer="": events of SAs no configured peer owns */
	uint64_t generation;
	uint64_t hist[METRICS_HIST_BUCKETS + 1]; /* per bucket (not cumulative); last +Inf */
	uint64_t hist_count;
	double hist_sum;
	struct notify_count notify[METRICS_NOTIFY_KINDS];
	size_t n_notify;
	bool reload_ok;
	time_t reload_success;
	bool per_sa;
	double last_scrape_s;
};

static const double hist_bounds[METRICS_HIST_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                         0.5,   1,    2.5,   5,    10,  30};

/* ---------------------------------------------------------------- peer map */

/* FNV-1a: peer names are short and chosen by the operator, not by peers. */
static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

static struct peer_ctr *map_find(const struct peer_map *map, const char *name)
{
	size_t mask, i;

	if (map->cap == 0)
		return NULL;
	mask = map->cap - 1;
	for (i = name_hash(name) & mask; map->slot[i] != NULL; i = (i + 1) & mask)
		if (strcmp(map->slot[i]->name, name) == 0)
			return map->slot[i];
	return NULL;
}

static void map_place(struct peer_ctr **slot, size_t cap, struct peer_ctr *c)
{
	size_t i;

	for (i = name_hash(c->name) & (cap - 1); slot[i] != NULL; i = (i + 1) & (cap - 1))
		;
	slot[i] = c;
}

/* Rehash into cap slots, keeping the entries seen in generation gen (all when gen 0). */
static int map_rebuild(struct peer_map *map, size_t cap, uint64_t gen)
{
	struct peer_ctr **slot = calloc(cap, sizeof(*slot));
	size_t n = 0;

	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < map->cap; i++) {
		struct peer_ctr *c = map->slot[i];

		if (c == NULL)
			continue;
		if (gen != 0 && c->seen != gen) {
			free(c);
			continue;
		}
		map_place(slot, cap, c);
		n++;
	}
	free(map->slot);
	map->slot = slot;
	map->cap = cap;
	map->n = n;
	return 0;
}

static int map_insert(struct peer_map *map, struct peer_ctr *c)
{
	if (2 * (map->n + 1) >= map->cap &&
	    map_rebuild(map, map->cap != 0 ? 2 * map->cap : 16, 0) != 0)
		return -1;
	map_place(map->slot, map->cap, c);
	map->n++;
	return 0;
}

static void map_free(struct peer_map *map)
{
	for (size_t i = 0; i < map->cap; i++)
		free(map->slot[i]);
	free(map->slot);
	memset(map, 0, sizeof(*map));
}

static struct peer_ctr *map_add(struct peer_map *map, const char *name)
{
	struct peer_ctr *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (map_insert(map, c) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

static bool peer_configured(const struct ike_engine *e, const char *name)
{
	for (size_t i = 0; i < ike_engine_peer_count(e); i++)
		if (strcmp(ike_engine_peer(e, i)->name, name) == 0)
			return true;
	return false;
}

/*
 * The counters an event of an SA goes to: its peer's while the peer is configured, else
 * (and when memory runs out) the unknown peers'.  The configuration is scanned only for
 * a name not in the map yet: a peer added since the last scrape.
 */
static struct peer_ctr *peer_ctr_of(struct metrics *m, const char *name)
{
	struct peer_ctr *c = map_find(&m->peers, name);

	if (c != NULL)
		return c;
	if (name[0] == '\0' || !peer_configured(m->e, name))
		return &m->unknown;
	c = map_add(&m->peers, name);
	return c != NULL ? c : &m->unknown;
}

/* ---------------------------------------------------------------- engine events */

static void ctr_add(struct ike_sa_counters *to, const struct ike_sa_counters *from)
{
	to->msgs_in += from->msgs_in;
	to->msgs_out += from->msgs_out;
	to->bytes_in += from->bytes_in;
	to->bytes_out += from->bytes_out;
	to->retransmits += from->retransmits;
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	double s = (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) / 1e9;

	return s < 0 ? 0 : s;
}

/* First message to QM_IDLE. */
static void observe_handshake(struct metrics *m, const struct ike_sa *sa)
{
	double s = ts_diff(&sa->state_entered, &sa->created_mono);
	size_t i;

	for (i = 0; i < METRICS_HIST_BUCKETS && s > hist_bounds[i]; i++)
		;
	m->hist[i]++;
	m->hist_count++;
	m->hist_sum += s;
}

static void on_event(void *ctx, const struct ike_event *ev)
{
	struct metrics *m = ctx;
	struct peer_ctr *c;

	switch (ev->type) {
	case IKE_EV_STATE_CHANGED:
		if (ev->new_state != IKE_ST_ESTABLISHED)
			return;
		peer_ctr_of(m, ev->sa->peer)->established++;
		observe_handshake(m, ev->sa);
		return;
	case IKE_EV_NEGOTIATION_FAILED:
		c = peer_ctr_of(m, ev->sa->peer);
		c->failed++;
		if ((unsigned)ev->cause < IKE_CAUSE_COUNT)
			c->failures[ev->cause]++;
		return;
	case IKE_EV_SA_REMOVED:
		/* what it sent and received stays counted once it is gone */
		ctr_add(&peer_ctr_of(m, ev->sa->peer)->retired, &ev->sa->ctr);
		return;
	default:
		return;
	}
}

/* ---------------------------------------------------------------- the scrape */

struct scrape;

enum family_type { FT_COUNTER, FT_GAUGE, FT_HISTOGRAM, FT_STATESET, FT_INFO };

struct metric_family {
	const char *name; /* as its samples carry it (counters with _total, info with _info) */
	enum family_type type;
	const char *help; /* no backslash, double quote or line feed */
	const char *unit; /* OpenMetrics UNIT; the name ends with _unit; NULL for none */
	/* its labels' names, "peer,result", in the order write() gives their values; a
	 * state set's last label holds the state (OpenMetrics names it after the family) */
	const char *labels;
	bool per_sa; /* written only with metrics_set_per_sa(m, true) */
	void (*write)(struct scrape *s);
};

/* A configured peer as one scrape sees it. */
struct peer_view {
	struct ike_peer_status st;
	struct peer_ctr *ctr;
};

struct scrape {
	struct metrics *m;
	struct strbuf *out;
	bool om; /* OpenMetrics */
	const struct metric_family *f;
	struct timespec now_mono;
	double now_wall;
	struct peer_view *peers; /* configured peers, in configuration order */
	size_t n_peers;
	uint64_t sas[CISCO_STATE_MAX + 1]; /* live IKE SAs by Cisco state */
};

/*
 * Views of the configured peers, with their counters; entries of peers that left the
 * configuration are dropped (a peer that comes back starts from 0, which Prometheus
 * reads as a counter reset).  ike_engine_peer_status() walks the SA table for each peer.
 */
static int collect_peers(struct scrape *s)
{
	struct metrics *m = s->m;
	size_t n = ike_engine_peer_count(m->e);

	s->peers = calloc(n != 0 ? n : 1, sizeof(*s->peers));
	if (s->peers == NULL)
		return -1;
	m->generation++;
	for (size_t i = 0; i < n; i++) {
		struct peer_view *v = &s->peers[i];

		if (ike_engine_peer_status(m->e, i, &v->st) != 0)
			return -1;
		v->ctr = map_find(&m->peers, v->st.cfg->name);
		if (v->ctr == NULL)
			v->ctr = map_add(&m->peers, v->st.cfg->name);
		if (v->ctr == NULL)
			return -1;
		v->ctr->seen = m->generation;
		memset(&v->ctr->live, 0, sizeof(v->ctr->live));
		v->ctr->ipsec_sas = 0;
		s->n_peers++;
	}
	if (m->peers.n > n && map_rebuild(&m->peers, m->peers.cap, m->generation) != 0)
		return -1;
	memset(&m->unknown.live, 0, sizeof(m->unknown.live));
	m->unknown.ipsec_sas = 0;
	return 0;
}

static uint64_t installed_children(const struct ike_sa *sa)
{
	uint64_t n = 0;

	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		n += c->state == IKE_CHILD_INSTALLED;
	return n;
}

/* One pass over the SA table: live counters and phase-2 SAs by peer, SAs by state. */
static void collect_sas(struct scrape *s)
{
	const struct ike_sa *sa;

	for (sa = ike_sa_first(ike_engine_sas(s->m->e)); sa != NULL; sa = sa->next) {
		struct peer_ctr *c = map_find(&s->m->peers, sa->peer);

		if (c == NULL)
			c = &s->m->unknown;
		ctr_add(&c->live, &sa->ctr);
		if (sa->state == IKE_ST_DELETED)
			continue;
		c->ipsec_sas += installed_children(sa);
		s->sas[ike_state_cisco(sa->state)]++;
	}
}

static int scrape_begin(struct scrape *s, struct metrics *m, bool om, struct strbuf *out)
{
	struct timespec wall;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->out = out;
	s->om = om;
	clock_gettime(CLOCK_MONOTONIC, &s->now_mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	s->now_wall = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9;
	if (collect_peers(s) != 0)
		return -1;
	collect_sas(s);
	return 0;
}

/* ---------------------------------------------------------------- samples */

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
static void put_sample(struct scrape *s, const char *suffix, const char *const *v, size_t n,
                       const char *value)
{
	const struct metric_family *f = s->f;
	const char *name = f->labels;
	size_t len;

	strbuf_printf(s->out, "%s%s", f->name, suffix);
	for (size_t i = 0; i < n && *name != '\0'; i++, name += len + (name[len] == ',')) {
		len = strcspn(name, ",");
		strbuf_append(s->out, i == 0 ? "{" : ",", 1);
		if (s->om && f->type == FT_STATESET && i + 1 == n)
			strbuf_append(s->out, f->name, strlen(f->name));
		else
			strbuf_append(s->out, name, len);
		strbuf_append(s->out, "=\"", 2);
		put_escaped(s->out, v[i]);
		strbuf_append(s->out, "\"", 1);
	}
	strbuf_printf(s->out, "%s %s\n", n > 0 ? "}" : "", value);
}

static void put_u64(struct scrape *s, const char *suffix, const char *const *v, size_t n,
                    uint64_t x)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, x);
	put_sample(s, suffix, v, n, buf);
}

static void put_f64(struct scrape *s, const char *suffix, const char *const *v, size_t n, double x)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%.6f", x);
	put_sample(s, suffix, v, n, buf);
}

/* The samples of one peer's state set: 1 for current, 0 for the others. */
static void put_stateset(struct scrape *s, const char *peer, const char *const *states, size_t n,
                         const char *current)
{
	const char *v[] = {peer, NULL};

	for (size_t i = 0; i < n; i++) {
		v[1] = states[i];
		put_u64(s, "", v, NELEMS(v), strcmp(states[i], current) == 0);
	}
}

/* ---------------------------------------------------------------- the families */

static void w_build_info(struct scrape *s)
{
	const char *v[] = {METRICS_VERSION};

	put_u64(s, "", v, NELEMS(v), 1);
}

static void w_ike_sas(struct scrape *s)
{
	for (int st = CISCO_STATE_MIN; st <= CISCO_STATE_MAX; st++) {
		const char *v[] = {cisco_state_name(st)};

		put_u64(s, "", v, NELEMS(v), s->sas[st]);
	}
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

static void w_peer_info(struct scrape *s)
{
	char remote[80], local[80];

	for (size_t i = 0; i < s->n_peers; i++) {
		const struct ike_peer_cfg *p = s->peers[i].st.cfg;
		const char *v[] = {p->name, show_peer_remote(p, remote, sizeof(remote)),
		                   local_text(p, local, sizeof(local)),
		                   p->autostart == IKE_AUTO_START ? "start" : "add"};

		put_u64(s, "", v, NELEMS(v), 1);
	}
}

static void w_peer_up(struct scrape *s)
{
	for (size_t i = 0; i < s->n_peers; i++) {
		const char *v[] = {s->peers[i].st.cfg->name};

		put_u64(s, "", v, NELEMS(v), s->peers[i].st.up);
	}
}

static void w_peer_state(struct scrape *s)
{
	static const char *const states[] = {"NONE",         "MM_NO_STATE", "MM_SA_SETUP",
	                                     "MM_KEY_EXCH",  "MM_KEY_AUTH", "AG_NO_STATE",
	                                     "AG_INIT_EXCH", "AG_AUTH",     "QM_IDLE"};

	for (size_t i = 0; i < s->n_peers; i++) {
		const struct ike_sa *sa = s->peers[i].st.ike;

		put_stateset(s, s->peers[i].st.cfg->name, states, NELEMS(states),
		             sa != NULL ? cisco_state_name(ike_state_cisco(sa->state)) : "NONE");
	}
}

static void w_peer_state_entered(struct scrape *s)
{
	for (size_t i = 0; i < s->n_peers; i++) {
		const struct ike_sa *sa = s->peers[i].st.ike;
		const char *v[] = {s->peers[i].st.cfg->name};

		if (sa == NULL)
			continue;
		put_f64(s, "", v, NELEMS(v),
		        s->now_wall - ike_sa_seconds_in_state(sa, &s->now_mono));
	}
}

static void w_peer_health(struct scrape *s)
{
	static const char *const states[] = {"idle", "negotiating", "up", "down"};
	enum ike_cause cause;

	if (s->m->stall == NULL)
		return;
	for (size_t i = 0; i < s->n_peers; i++) {
		enum peer_health h = stall_peer_health(s->m->stall, i, &cause, NULL);

		put_stateset(s, s->peers[i].st.cfg->name, states, NELEMS(states),
		             peer_health_name(h));
	}
}

static const struct stall_alarm *active_alarms(const struct scrape *s)
{
	return s->m->stall != NULL ? stall_active(s->m->stall) : NULL;
}

static void w_peer_stalled(struct scrape *s)
{
	for (const struct stall_alarm *a = active_alarms(s); a != NULL; a = a->next) {
		const char *v[] = {a->peer, cisco_state_name(a->state), ike_cause_id(a->cause)};

		put_u64(s, "", v, NELEMS(v), 1);
	}
}

/* Alarms carry a cause, never IKE_CAUSE_NONE: the by-cause families start at 1. */
static void w_alarms_active(struct scrape *s)
{
	uint64_t n[IKE_CAUSE_COUNT] = {0};

	for (const struct stall_alarm *a = active_alarms(s); a != NULL; a = a->next)
		if ((unsigned)a->cause < IKE_CAUSE_COUNT)
			n[a->cause]++;
	for (int c = IKE_CAUSE_NONE + 1; c < IKE_CAUSE_COUNT; c++) {
		const char *v[] = {ike_cause_id(c)};

		put_u64(s, "", v, NELEMS(v), n[c]);
	}
}

static void w_alarms_raised(struct scrape *s)
{
	for (int c = IKE_CAUSE_NONE + 1; c < IKE_CAUSE_COUNT; c++) {
		const char *v[] = {ike_cause_id(c)};

		put_u64(s, "", v, NELEMS(v),
		        s->m->stall != NULL ? stall_raised_total(s->m->stall, c) : 0);
	}
}

/* Per-peer counters: each configured peer's, then the unknown peers' (peer=""). */
static const struct peer_ctr *ctr_at(const struct scrape *s, size_t i)
{
	return i < s->n_peers ? s->peers[i].ctr : &s->m->unknown;
}

/* A pair of a per-peer counter: {peer, a} and {peer, b}. */
static void put_pair(struct scrape *s, const char *peer, const char *a, uint64_t x, const char *b,
                     uint64_t y)
{
	const char *v[] = {peer, a};

	put_u64(s, "", v, NELEMS(v), x);
	v[1] = b;
	put_u64(s, "", v, NELEMS(v), y);
}

static void w_negotiations(struct scrape *s)
{
	for (size_t i = 0; i <= s->n_peers; i++) {
		const struct peer_ctr *c = ctr_at(s, i);

		put_pair(s, c->name, "established", c->established, "failed", c->failed);
	}
}

/* Only the causes a peer has seen: 21 series per peer would mostly say 0. */
static void w_failures(struct scrape *s)
{
	for (size_t i = 0; i <= s->n_peers; i++) {
		const struct peer_ctr *c = ctr_at(s, i);

		for (int k = 0; k < IKE_CAUSE_COUNT; k++) {
			const char *v[] = {c->name, ike_cause_id(k)};

			if (c->failures[k] != 0)
				put_u64(s, "", v, NELEMS(v), c->failures[k]);
		}
	}
}

/* Retired plus live: an SA's share moves from live to retired when it is removed. */
static void w_messages(struct scrape *s)
{
	for (size_t i = 0; i <= s->n_peers; i++) {
		const struct peer_ctr *c = ctr_at(s, i);

		put_pair(s, c->name, "in", c->retired.msgs_in + c->live.msgs_in, "out",
		         c->retired.msgs_out + c->live.msgs_out);
	}
}

static void w_message_bytes(struct scrape *s)
{
	for (size_t i = 0; i <= s->n_peers; i++) {
		const struct peer_ctr *c = ctr_at(s, i);

		put_pair(s, c->name, "in", c->retired.bytes_in + c->live.bytes_in, "out",
		         c->retired.bytes_out + c->live.bytes_out);
	}
}

static void w_retransmissions(struct scrape *s)
{
	for (size_t i = 0; i <= s->n_peers; i++) {
		const struct peer_ctr *c = ctr_at(s, i);
		const char *v[] = {c->name};

		put_u64(s, "", v, NELEMS(v), c->retired.retransmits + c->live.retransmits);
	}
}

static void w_malformed(struct scrape *s)
{
	const struct ike_global_counters *g = ike_sa_table_counters(ike_engine_sas(s->m->e));
	const struct {
		const char *cause;
		uint64_t n;
	} drops[] = {
	    {"short", g->dropped_short},
	    {"bad_length", g->dropped_bad_length},
	    {"bad_version", g->dropped_bad_version},
	    {"bad_payload", g->dropped_bad_payload},
	    {"unknown_sa", g->dropped_unknown_sa},
	    {"unexpected", g->dropped_unexpected},
	    {"undecryptable", g->dropped_undecryptable},
	    {"no_config", g->dropped_no_config},
	};

	for (size_t i = 0; i < NELEMS(drops); i++)
		put_u64(s, "", &drops[i].cause, 1, drops[i].n);
}

static void w_ipsec_sas(struct scrape *s)
{
	for (size_t i = 0; i < s->n_peers; i++) {
		const char *v[] = {s->peers[i].st.cfg->name};

		put_u64(s, "", v, NELEMS(v), s->peers[i].ctr->ipsec_sas);
	}
}

/* le: "%g" ("1", "2.5"); OpenMetrics wants canonical floats ("1.0", "2.5", "0.005"). */
static void w_handshake(struct scrape *s)
{
	const char *v[] = {NULL};
	uint64_t cum = 0;
	char le[32];

	for (size_t i = 0; i < METRICS_HIST_BUCKETS; i++) {
		snprintf(le, sizeof(le), "%g", hist_bounds[i]);
		if (s->om && strpbrk(le, ".e") == NULL)
			strcat(le, ".0");
		cum += s->m->hist[i];
		v[0] = le;
		put_u64(s, "_bucket", v, NELEMS(v), cum);
	}
	v[0] = "+Inf";
	put_u64(s, "_bucket", v, NELEMS(v), s->m->hist_count);
	put_f64(s, "_sum", NULL, 0, s->m->hist_sum);
	put_u64(s, "_count", NULL, 0, s->m->hist_count);
}

static void w_notifications(struct scrape *s)
{
	for (size_t i = 0; i < s->m->n_notify; i++) {
		const struct notify_count *n = &s->m->notify[i];
		const char *v[] = {n->type, n->outcome};

		put_u64(s, "", v, NELEMS(v), n->n);
	}
}

static void w_reload_ok(struct scrape *s)
{
	put_u64(s, "", NULL, 0, s->m->reload_ok);
}

static void w_reload_time(struct scrape *s)
{
	put_u64(s, "", NULL, 0, (uint64_t)s->m->reload_success);
}

static void w_scrape_duration(struct scrape *s)
{
	put_f64(s, "", NULL, 0, s->m->last_scrape_s);
}

static void w_sa_state(struct scrape *s)
{
	char id[16];

	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(s->m->e)); sa; sa = sa->next) {
		const char *v[] = {id, sa->peer, cisco_state_name(ike_state_cisco(sa->state))};

		if (sa->state == IKE_ST_DELETED)
			continue;
		snprintf(id, sizeof(id), "%" PRIu32, sa->conn_id);
		put_u64(s, "", v, NELEMS(v), 1);
	}
}

static void w_sa_messages(struct scrape *s)
{
	char id[16];

	for (const struct ike_sa *sa = ike_sa_first(ike_engine_sas(s->m->e)); sa; sa = sa->next) {
		const char *v[] = {id, sa->peer, "in"};

		if (sa->state == IKE_ST_DELETED)
			continue;
		snprintf(id, sizeof(id), "%" PRIu32, sa->conn_id);
		put_u64(s, "", v, NELEMS(v), sa->ctr.msgs_in);
		v[2] = "out";
		put_u64(s, "", v, NELEMS(v), sa->ctr.msgs_out);
	}
}

/* ---------------------------------------------------------------- the table */

static const struct metric_family families[] = {
    {"ikemon_build_info", FT_INFO, "ikemond build information.", NULL, "version", false,
     w_build_info},
    {"ikemon_ike_sas", FT_GAUGE, "IKE SAs by Cisco IOS state, deleted SAs not counted.", NULL,
     "state", false, w_ike_sas},
    {"ikemon_peer_info", FT_INFO, "Configured peers: remote and local address, auto mode.", NULL,
     "peer,remote,local,auto", false, w_peer_info},
    {"ikemon_peer_up", FT_GAUGE,
     "1 when the peer's IKE SA is at QM_IDLE and every configured phase-2 SA is installed.", NULL,
     "peer", false, w_peer_up},
    {"ikemon_peer_state", FT_STATESET,
     "Cisco IOS state of the peer's IKE SA (its newest at QM_IDLE, else its newest live one); "
     "NONE without one.",
     NULL, "peer,state", false, w_peer_state},
    {"ikemon_peer_state_entered_timestamp_seconds", FT_GAUGE,
     "Wall-clock time the peer's IKE SA (as in ikemon_peer_state) entered its state; absent "
     "without one.",
     "seconds", "peer", false, w_peer_state_entered},
    {"ikemon_peer_health", FT_STATESET,
     "Peer health: idle (auto=add, nothing negotiating), negotiating, up, or down (auto=start "
     "and not up for peer_down_after).",
     NULL, "peer,health", false, w_peer_health},
    {"ikemon_peer_stalled", FT_GAUGE,
     "1 while the peer has an active stall alarm, with the state held and the likely cause.", NULL,
     "peer,state,cause", false, w_peer_stalled},
    {"ikemon_alarms_active", FT_GAUGE, "Active stall alarms by cause.", NULL, "cause", false,
     w_alarms_active},
    {"ikemon_alarms_raised_total", FT_COUNTER, "Stall alarms raised since start, by cause.", NULL,
     "cause", false, w_alarms_raised},
    {"ikemon_ike_negotiations_total", FT_COUNTER,
     "Phase-1 negotiations by peer and result (established or failed); peer is empty for "
     "SAs of no configured peer.",
     NULL, "peer,result", false, w_negotiations},
    {"ikemon_ike_negotiation_failures_total", FT_COUNTER,
     "Failed phase-1 negotiations by peer and cause; a cause appears once seen.", NULL,
     "peer,cause", false, w_failures},
    {"ikemon_ike_messages_total", FT_COUNTER,
     "IKE control messages (not data traffic) by peer and direction, SAs gone included.", NULL,
     "peer,direction", false, w_messages},
    {"ikemon_ike_message_bytes_total", FT_COUNTER,
     "Bytes of IKE control messages (not data traffic) by peer and direction, SAs gone "
     "included.",
     "bytes", "peer,direction", false, w_message_bytes},
    {"ikemon_ike_retransmissions_total", FT_COUNTER,
     "IKE control messages this end retransmitted, by peer, SAs gone included.", NULL, "peer",
     false, w_retransmissions},
    {"ikemon_ike_malformed_messages_total", FT_COUNTER,
     "IKE datagrams dropped before any exchange handled them, by reason.", NULL, "cause", false,
     w_malformed},
    {"ikemon_ipsec_sas", FT_GAUGE, "Installed phase-2 (IPsec) SAs by peer.", NULL, "peer", false,
     w_ipsec_sas},
    {"ikemon_ike_handshake_duration_seconds", FT_HISTOGRAM,
     "Time from an IKE SA's first message to QM_IDLE.", "seconds", "le", false, w_handshake},
    {"ikemon_notifications_total", FT_COUNTER, "SNMP notifications by type and outcome.", NULL,
     "type,outcome", false, w_notifications},
    {"ikemon_config_last_reload_successful", FT_GAUGE,
     "1 when the last configuration load or reload succeeded.", NULL, "", false, w_reload_ok},
    {"ikemon_config_last_reload_success_timestamp_seconds", FT_GAUGE,
     "Wall-clock time of the last successful configuration load or reload.", "seconds", "", false,
     w_reload_time},
    {"ikemon_scrape_duration_seconds", FT_GAUGE,
     "Time the previous scrape took to build its exposition (CLOCK_MONOTONIC).", "seconds", "",
     false, w_scrape_duration},
    {"ikemon_ike_sa_state", FT_GAUGE, "1 per live IKE SA, with its Cisco IOS state.", NULL,
     "conn_id,peer,state", true, w_sa_state},
    {"ikemon_ike_sa_messages_total", FT_COUNTER,
     "IKE control messages (not data traffic) of each live IKE SA by direction.", NULL,
     "conn_id,peer,direction", true, w_sa_messages},
};

/* ---------------------------------------------------------------- the writers */

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

int metrics_write(struct metrics *m, bool openmetrics, struct strbuf *out)
{
	struct timespec t0, t1;
	struct scrape s;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (scrape_begin(&s, m, openmetrics, out) != 0) {
		rc = -1;
		goto done;
	}
	for (size_t i = 0; i < NELEMS(families); i++) {
		s.f = &families[i];
		if (s.f->per_sa && !m->per_sa)
			continue;
		if (openmetrics)
			write_om_meta(out, s.f);
		else
			write_text_meta(out, s.f);
		s.f->write(&s);
	}
	if (openmetrics)
		strbuf_append(out, "# EOF\n", 6);
	rc = out->oom ? -1 : 0;
done:
	free(s.peers);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m->last_scrape_s = ts_diff(&t1, &t0);
	return rc;
}

/* ---------------------------------------------------------------- API */

struct metrics *metrics_new(struct ike_engine *e, struct stall_detector *stall)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->e = e;
	m->stall = stall;
	m->reload_ok = true;
	m->reload_success = time(NULL);
	if (ike_sa_table_subscribe(ike_engine_sas(e), on_event, m) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	map_free(&m->peers);
	free(m);
}

void metrics_set_reload(struct metrics *m, bool ok, time_t when)
{
	m->reload_ok = ok;
	if (ok)
		m->reload_success = when;
}

void metrics_set_per_sa(struct metrics *m, bool on)
{
	m->per_sa = on;
}

int metrics_count_notification(struct metrics *m, const char *type, const char *outcome)
{
	struct notify_count *n;

	if (strlen(type) > METRICS_NOTIFY_STR_MAX || strlen(outcome) > METRICS_NOTIFY_STR_MAX)
		return -1;
	for (size_t i = 0; i < m->n_notify; i++) {
		n = &m->notify[i];
		if (strcmp(n->type, type) == 0 && strcmp(n->outcome, outcome) == 0) {
			n->n++;
			return 0;
		}
	}
	if (m->n_notify == METRICS_NOTIFY_KINDS)
		return -1;
	n = &m->notify[m->n_notify++];
	snprintf(n->type, sizeof(n->type), "%s", type);
	snprintf(n->outcome, sizeof(n->outcome), "%s", outcome);
	n->n = 1;
	return 0;
}
