/*
 * engine.c - the engine's front door: datagram dispatch, timers, peers.
 *
 * Datagrams come in through dispatch.c, timers run in timers.c, the per-peer SA lists,
 * counters and name index live in peer_track.c; this file holds the services handlers
 * share (sending, failing, logging) and the peers' life cycle.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/crypto.h>

#include "exchange.h"
#include "ike.h"

void engine_now(struct timespec *ts)
{
	ike_mono_now(ts);
}

static void engine_vlog(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	e->ops.log(e->ctx, lvl, msg);
}

void engine_log(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (e->ops.log == NULL)
		return;
	va_start(ap, fmt);
	engine_vlog(e, lvl, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- limited log lines */

static const char *const log_class_what[ENGINE_LOG_CLASSES] = {
    [ENGINE_LOG_MM_REQUEST] = "Main Mode requests",
    [ENGINE_LOG_AM_REQUEST] = "Aggressive Mode requests",
    [ENGINE_LOG_NO_PEER] = "first messages no [peer] matches",
    [ENGINE_LOG_BAD_MESSAGE] = "malformed or undecryptable messages",
    [ENGINE_LOG_UNAUTH_INFO] = "unauthenticated informational messages",
};

/* Close the class's window: the count of what it left out, if any. */
static void log_window_close(struct ike_engine *e, enum engine_log_class cls,
                             const struct timespec *now)
{
	struct engine_log_limit *l = &e->log_limit[cls];

	if (l->suppressed > 0)
		engine_log(e, l->level, "%u further %s suppressed in the last %.1f s",
		           l->suppressed, log_class_what[cls],
		           (double)ts_diff_ms(now, &l->start) / 1000.0);
	l->logged = l->suppressed = 0;
}

void engine_log_limited(struct ike_engine *e, enum engine_log_class cls, enum ike_log_level lvl,
                        const char *fmt, ...)
{
	struct engine_log_limit *l = &e->log_limit[cls];
	struct timespec now, end;
	va_list ap;

	if (e->ops.log == NULL)
		return;
	engine_now(&now);
	if (l->logged > 0 && ts_diff_ms(&now, &l->start) >= ENGINE_LOG_WINDOW_MS)
		log_window_close(e, cls, &now);
	if (l->logged == 0)
		l->start = now;
	if (l->logged < ENGINE_LOG_BURST) {
		l->logged++;
		va_start(ap, fmt);
		engine_vlog(e, lvl, fmt, ap);
		va_end(ap);
		return;
	}
	if (l->suppressed == 0 || lvl < l->level)
		l->level = lvl; /* syslog order: lower is more severe */
	if (l->suppressed++ == 0) {
		end = l->start;
		ts_add_ms(&end, ENGINE_LOG_WINDOW_MS);
		engine_timers_log(e, &end);
	}
}

void engine_log_limits_run(struct ike_engine *e, const struct timespec *now)
{
	struct timespec end, next = {0, 0};
	bool have = false;

	for (int c = 0; c < ENGINE_LOG_CLASSES; c++) {
		struct engine_log_limit *l = &e->log_limit[c];

		if (l->suppressed == 0)
			continue;
		end = l->start;
		ts_add_ms(&end, ENGINE_LOG_WINDOW_MS);
		if (ts_diff_ms(now, &end) >= 0) {
			log_window_close(e, (enum engine_log_class)c, now);
		} else if (!have || ts_diff_ms(&end, &next) < 0) {
			next = end;
			have = true;
		}
	}
	if (have)
		engine_timers_log(e, &next);
}

static void table_log(void *ctx, int level, const char *msg)
{
	struct ike_engine *e = ctx;

	if (e->ops.log != NULL)
		e->ops.log(e->ctx, (enum ike_log_level)level, msg);
}

const struct ike_peer_cfg *engine_peer_cfg(struct ike_engine *e, const char *name)
{
	struct engine_peer *p = engine_find_peer(e, name);

	return p != NULL ? &p->cfg : NULL;
}

#define NEG_BLOCK ENGINE_NEG_LEN

int engine_neg_new(uint8_t *v[ENGINE_NEG_PARTS])
{
	uint8_t *b = calloc(1, NEG_BLOCK);

	if (b == NULL)
		return -1;
	v[ENGINE_NEG_BLOCK] = b;
	v[ENGINE_NEG_GI] = b;
	v[ENGINE_NEG_GR] = b + IKE_DH_MAX_LEN;
	v[ENGINE_NEG_NI] = b + 2 * IKE_DH_MAX_LEN;
	v[ENGINE_NEG_NR] = b + 2 * IKE_DH_MAX_LEN + IKE_NONCE_MAX;
	return 0;
}

void engine_neg_free(uint8_t **v[ENGINE_NEG_PARTS])
{
	if (*v[ENGINE_NEG_BLOCK] != NULL)
		OPENSSL_cleanse(*v[ENGINE_NEG_BLOCK], NEG_BLOCK);
	free(*v[ENGINE_NEG_BLOCK]);
	for (int i = 0; i < ENGINE_NEG_PARTS; i++)
		*v[i] = NULL;
}

struct ike_exchange *engine_exchange(struct ike_sa *sa)
{
	struct ike_exchange *x;
	uint8_t *v[ENGINE_NEG_PARTS];

	if (sa->x != NULL && sa->x->full)
		return sa->x;
	if (engine_neg_new(v) != 0)
		return NULL;
	if (sa->x == NULL) {
		x = calloc(1, sizeof(*x));
	} else {
		/* the head holds no secret yet: a move by realloc leaves none behind */
		x = realloc(sa->x, sizeof(*x));
		if (x != NULL)
			memset((uint8_t *)x + IKE_EXCHANGE_HEAD_LEN, 0,
			       sizeof(*x) - IKE_EXCHANGE_HEAD_LEN);
	}
	if (x == NULL) {
		uint8_t **pv[ENGINE_NEG_PARTS] = {&v[0], &v[1], &v[2], &v[3], &v[4]};

		engine_neg_free(pv);
		return NULL;
	}
	x->full = true;
	x->neg = v[ENGINE_NEG_BLOCK];
	x->gxi = v[ENGINE_NEG_GI];
	x->gxr = v[ENGINE_NEG_GR];
	x->ni = v[ENGINE_NEG_NI];
	x->nr = v[ENGINE_NEG_NR];
	sa->x = x;
	return x;
}

struct ike_exchange *engine_exchange_head(struct ike_sa *sa)
{
	if (sa->x == NULL)
		sa->x = calloc(1, IKE_EXCHANGE_HEAD_LEN);
	return sa->x;
}

void engine_exchange_negotiated(struct ike_exchange *x)
{
	if (x == NULL)
		return;
	ike_dh_free(x->dh);
	x->dh = NULL;
	if (x->full) { /* the tail: a half-open SA's head has none */
		uint8_t **v[ENGINE_NEG_PARTS] = {&x->neg, &x->gxi, &x->gxr, &x->ni, &x->nr};

		engine_neg_free(v);
		x->g_len = x->ni_len = x->nr_len = 0;
	}
	free(x->sai_b);
	free(x->idi_b);
	x->sai_b = x->idi_b = NULL;
	x->sai_len = x->idi_len = 0;
}

/*
 * The secrets of a phase-1 exchange: the DH private value, SKEYID and what derives from
 * it, the nonces (SKEYID's input with a pre-shared key) and the IV chain.  Without
 * have_keys nothing is encrypted or decrypted with it again.
 */
void engine_wipe_exchange(struct ike_exchange *x)
{
	ike_dh_free(x->dh);
	x->dh = NULL;
	x->have_keys = false;
	if (!x->full) /* a half-open SA's head: nothing after `full` is allocated */
		return;
	ike_p1_keys_wipe(&x->keys);
	if (x->neg != NULL) /* the nonces (and public values): kept allocated, wiped */
		OPENSSL_cleanse(x->neg, NEG_BLOCK);
	x->ni_len = x->nr_len = 0;
	OPENSSL_cleanse(x->rx_iv, sizeof(x->rx_iv));
}

void engine_free_exchange(struct ike_exchange *x)
{
	if (x == NULL)
		return;
	engine_wipe_exchange(x);
	engine_exchange_negotiated(x);
	retx_free(&x->rt);
	OPENSSL_cleanse(x, x->full ? sizeof(*x) : IKE_EXCHANGE_HEAD_LEN);
	free(x);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

int engine_float(struct ike_engine *e, struct ike_sa *sa)
{
	uint16_t port = e->ops.natt_port != NULL
	                    ? e->ops.natt_port(e->ctx, (const struct sockaddr *)&sa->local)
	                    : 0;

	if (sa->floated)
		return 0;
	if (port == 0) {
		engine_log(e, IKE_LOG_WARNING,
		           "conn-id %u peer %s: NAT detected, but no NAT-T socket (listen on port "
		           "500 to get one on 4500); staying on port 500",
		           sa->conn_id, sa->peer);
		return -1;
	}
	set_port(&sa->local, port);
	set_port(&sa->remote, IKE_NATT_PORT);
	sa->floated = true;
	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: floating to port %u", sa->conn_id,
	           sa->peer, IKE_NATT_PORT);
	return 0;
}

void engine_suspect(struct ike_engine *e, struct ike_sa *sa, enum ike_cause cause,
                    const char *detail)
{
	ike_sa_note_cause(e->sas, sa, NULL, cause, detail);
}

void engine_disarm(struct ike_sa *sa)
{
	if (sa->x != NULL)
		sa->x->rt.armed = false;
}

static int raw_send(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);

	if (e->ops.send(e->ctx, (const struct sockaddr *)&sa->local,
	                (const struct sockaddr *)&sa->remote, buf, len) != 0) {
		engine_log(e, IKE_LOG_WARNING, "conn-id %u: send failed", sa->conn_id);
		return -1;
	}
	sa->ctr.msgs_out++;
	sa->ctr.bytes_out += len;
	g->msgs_out++;
	g->bytes_out += len;
	return 0;
}

int engine_send_child(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                      const uint8_t *buf, size_t len, bool retransmit)
{
	if (c->x == NULL || (c->x->rt.last_out != buf && retx_keep_out(&c->x->rt, buf, len) != 0))
		return -1;
	(void)raw_send(e, sa, buf, len);
	if (retransmit)
		retx_arm(&c->x->rt, e->settings.retransmit_timeout_ms);
	engine_timers_touch(e, sa);
	return 0;
}

int engine_send_once(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	return raw_send(e, sa, buf, len);
}

int engine_send(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len,
                bool retransmit)
{
	struct ike_exchange *x = engine_exchange_head(sa);

	if (x == NULL || retx_keep_out(&x->rt, buf, len) != 0)
		return -1;
	/* a send error is retried by the timer like a lost datagram */
	(void)raw_send(e, sa, buf, len);
	if (retransmit)
		retx_arm(&x->rt, e->settings.retransmit_timeout_ms);
	engine_timers_touch(e, sa);
	return 0;
}

void engine_wait_peer(struct ike_engine *e, struct ike_sa *sa)
{
	struct ike_exchange *x = engine_exchange_head(sa);

	if (x == NULL)
		return;
	retx_wait(&x->rt,
	          engine_half_open_wait_ms(e, sa, ike_settings_retransmit_span_ms(&e->settings)));
	engine_timers_touch(e, sa);
}

void engine_fail(struct ike_engine *e, struct ike_sa *sa, enum ike_cause cause, const char *detail)
{
	engine_disarm(sa);
	ike_sa_fail(e->sas, sa, cause, detail);
	ike_sa_mark_deleted(e->sas, sa, cause);
}

/* ---- peers ---- */

bool engine_sa_alive(const struct ike_sa *sa)
{
	return sa->state != IKE_ST_DELETED;
}

static bool peer_has_live_sa(struct ike_engine *e, const char *name)
{
	return engine_peer_live_sa(e, name) != NULL;
}

/*
 * The per-peer lists and counters and the deadlines follow every event; and auto=start
 * keeps its peer up: after a loss, negotiate again after restart_delay.
 */
static void on_event(void *ctx, const struct ike_event *ev)
{
	struct ike_engine *e = ctx;
	struct engine_peer *p;

	engine_track_event(e, ev);
	engine_timers_event(e, ev);
	engine_half_open_event(e, ev);
	rekey_event(e, ev);
	if (ev->type != IKE_EV_SA_DELETED || ev->cause == IKE_CAUSE_SHUTDOWN ||
	    ev->cause == IKE_CAUSE_CONFIG_REMOVED)
		return;
	p = engine_find_peer(e, ev->sa->peer);
	if (p == NULL || p->cfg.autostart != IKE_AUTO_START || p->restart_pending)
		return;
	if (peer_has_live_sa(e, p->cfg.name))
		return;
	p->restart_pending = true;
	engine_now(&p->restart_at);
	ts_add_ms(&p->restart_at, (uint64_t)e->settings.restart_delay_s * 1000);
}

bool engine_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		              &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

void engine_copy_addr(struct sockaddr_storage *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->sa_family == AF_INET)
		memcpy(dst, src, sizeof(struct sockaddr_in));
	else if (src->sa_family == AF_INET6)
		memcpy(dst, src, sizeof(struct sockaddr_in6));
}

void engine_set_remote(struct ike_engine *e, struct ike_sa *sa, const struct sockaddr *remote)
{
	struct sockaddr_storage ss;

	engine_copy_addr(&ss, remote);
	ike_sa_set_remote(e->sas, sa, &ss);
}

long engine_initiate_peer(struct ike_engine *e, struct engine_peer *p)
{
	struct ike_sa *sa;
	bool aggr;

	p->restart_pending = false;
	if (p->cfg.remote_any || p->cfg.remote.ss_family == 0)
		return -1;
	aggr = p->cfg.exchange == ISAKMP_XCHG_AGGR;
	sa =
	    ike_sa_create(e->sas, IKE_ROLE_INITIATOR, aggr ? ISAKMP_XCHG_AGGR : ISAKMP_XCHG_IDPROT);
	if (sa == NULL)
		return -1;
	snprintf(sa->peer, sizeof(sa->peer), "%s", p->cfg.name);
	ike_sa_set_remote(e->sas, sa, &p->cfg.remote);
	if (p->cfg.local.ss_family != 0)
		sa->local = p->cfg.local;
	else if (e->ops.source_for == NULL ||
	         e->ops.source_for(e->ctx, (const struct sockaddr *)&sa->remote, &sa->local) != 0)
		sa->local.ss_family = sa->remote.ss_family;
	ike_sa_announce(e->sas, sa);
	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: initiating %s Mode", sa->conn_id,
	           p->cfg.name, aggr ? "Aggressive" : "Main");
	if ((aggr ? aggr_outI1(e, sa, &p->cfg) : main_outI1(e, sa, &p->cfg)) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, aggr ? "sending AM1" : "sending MM1");
		return -1;
	}
	return sa->conn_id;
}

long ike_engine_initiate(struct ike_engine *e, const char *peer)
{
	struct engine_peer *p = engine_find_peer(e, peer);
	struct ike_sa *sa;

	if (p == NULL)
		return -1;
	sa = engine_peer_established_sa(e, peer);
	if (sa != NULL) {
		quick_start_missing(e, sa);
		return sa->conn_id;
	}
	return engine_initiate_peer(e, p);
}

size_t ike_peer_children_wanted(const struct ike_peer_cfg *p)
{
	return quick_children_wanted(p);
}

bool engine_peer_missing_children(struct ike_engine *e, const struct engine_peer *p)
{
	struct ike_sa *sa = engine_peer_established_sa(e, p->cfg.name);
	size_t wanted = quick_children_wanted(&p->cfg);

	return sa != NULL && engine_children_up(sa, wanted) < wanted;
}

void engine_delete_sa(struct ike_engine *e, struct ike_sa *sa, enum ike_cause reason)
{
	if (sa->state == IKE_ST_DELETED)
		return;
	/* phase-2 SAs first, while the ISAKMP SA can still protect their DELETEs */
	for (struct ike_child *c = sa->children; c != NULL; c = c->next)
		quick_delete(e, sa, c, reason);
	if (sa->state == IKE_ST_ESTABLISHED)
		info_send_delete(e, sa);
	engine_disarm(sa);
	ike_sa_mark_deleted(e->sas, sa, reason);
}

int ike_engine_delete(struct ike_engine *e, uint32_t conn_id, enum ike_cause reason)
{
	struct ike_sa *sa = ike_sa_find_mut(e->sas, conn_id);

	if (sa == NULL || sa->state == IKE_ST_DELETED)
		return -1;
	engine_delete_sa(e, sa, reason);
	return 0;
}

void ike_engine_delete_all(struct ike_engine *e, enum ike_cause reason)
{
	for (struct ike_sa *sa = ike_sa_first_mut(e->sas); sa != NULL; sa = sa->next)
		engine_delete_sa(e, sa, reason);
}

/* Frees the peers' tracks still attached (not handed on to a new configuration). */
static void wipe_peers(struct engine_peer *peers, size_t n)
{
	if (peers == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(peers[i].track);
		ike_creds_unref(peers[i].cfg.creds);
	}
	OPENSSL_cleanse(peers, n * sizeof(*peers));
	free(peers);
}

/*
 * Give each new peer its track: the old one of a peer whose configuration is the same
 * (its SAs and counters go on), else a new one.  Nothing is handed on unless every new
 * one could be made (the caller frees those with np).
 */
static int hand_on_tracks(struct ike_engine *e, struct engine_peer *np, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct engine_peer *was = engine_find_peer(e, np[i].cfg.name);

		if (was != NULL)
			was->named_again = true;
		if (was != NULL && was->track != NULL &&
		    !ike_peer_cfg_differs(&was->cfg, &np[i].cfg))
			continue;
		np[i].track = engine_track_new();
		if (np[i].track == NULL)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		struct engine_peer *was = engine_find_peer(e, np[i].cfg.name);

		if (np[i].track != NULL)
			continue;
		if (was->track == NULL) { /* a name given twice: the first took it */
			np[i].track = engine_track_new();
			continue;
		}
		np[i].track = was->track;
		was->track = NULL;
	}
	return 0;
fail:
	for (i = 0; i < e->n_peers; i++)
		e->peers[i].named_again = false;
	return -1;
}

/* A peer left or changed: its SAs go (DELETE sent) and join the orphans. */
static void retire_peer(struct ike_engine *e, struct engine_peer *was, bool changed)
{
	struct engine_peer_track *tr = was->track;

	for (struct ike_sa *sa = tr->head; sa != NULL; sa = sa->peer_next) {
		if (!engine_sa_alive(sa))
			continue;
		engine_log(e, IKE_LOG_NOTICE, "conn-id %u: peer %s %s", sa->conn_id, sa->peer,
		           changed ? "changed" : "removed");
		engine_delete_sa(e, sa, IKE_CAUSE_CONFIG_REMOVED);
	}
	was->track = NULL;
	engine_track_orphan(e, tr);
}

int ike_engine_set_peers(struct ike_engine *e, const struct ike_peer_cfg *peers, size_t n)
{
	struct engine_peer *np = calloc(n ? n : 1, sizeof(*np)), *old;
	size_t old_n = e->n_peers;

	if (np == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		np[i].cfg = peers[i];
		ike_creds_ref(np[i].cfg.creds); /* the engine's copy holds its own reference */
	}
	if (hand_on_tracks(e, np, n) != 0) {
		wipe_peers(np, n);
		return -1;
	}
	/* SAs of peers that left or changed go; the rest are kept untouched */
	for (size_t i = 0; i < old_n; i++)
		if (e->peers[i].track != NULL)
			retire_peer(e, &e->peers[i], e->peers[i].named_again);
	engine_timers_forget_peers(e);
	old = e->peers;
	e->peers = np;
	e->n_peers = n;
	e->peers_gen++;
	wipe_peers(old, old_n);
	if (engine_index_peers(e) != 0) {
		/* look-ups walk the peers until the next reload */
		free(e->peer_slot);
		e->peer_slot = NULL;
		engine_log(e, IKE_LOG_WARNING, "out of memory indexing the peers");
	}
	if (engine_index_addrs(e) != 0)
		engine_log(e, IKE_LOG_WARNING, "out of memory indexing the peers' addresses");
	for (size_t i = 0; i < n; i++)
		if (np[i].cfg.aggressive && np[i].cfg.creds == NULL)
			engine_log(
			    e, IKE_LOG_WARNING,
			    "peer %s: aggressive = yes: Aggressive Mode answers expose a hash "
			    "of the pre-shared key to offline guessing",
			    np[i].cfg.name);
		else if (np[i].cfg.aggressive)
			/* signatures: no key to guess, but no identity protection either */
			engine_log(
			    e, IKE_LOG_WARNING,
			    "peer %s: aggressive = yes: Aggressive Mode sends both identities "
			    "and certificates in the clear",
			    np[i].cfg.name);
	for (size_t i = 0; i < n; i++)
		if (np[i].cfg.autostart == IKE_AUTO_START && !peer_has_live_sa(e, np[i].cfg.name))
			engine_initiate_peer(e, &np[i]);
	for (size_t i = 0; i < n; i++) {
		engine_timers_peer(e, &np[i]);
		/* dpd_delay / dpd_timeout may have changed: an unanswered R-U-THERE is
		 * forgotten (the wait starts again from the peer's last message) and the
		 * established SAs' deadlines are read again */
		if (np[i].track == NULL)
			continue;
		for (struct ike_sa *sa = np[i].track->est_head; sa != NULL; sa = sa->est_next) {
			sa->dpd_waiting = false;
			engine_timers_touch(e, sa);
		}
	}
	return 0;
}

size_t ike_engine_peer_count(const struct ike_engine *e)
{
	return e->n_peers;
}

const struct ike_peer_cfg *ike_engine_peer(const struct ike_engine *e, size_t i)
{
	return i < e->n_peers ? &e->peers[i].cfg : NULL;
}

void ike_engine_set_settings(struct ike_engine *e, const struct ike_settings *s)
{
	struct ike_settings old = e->settings;

	e->settings = *s;
	/* the pool made at start stays: its threads are not resized at a reload */
	e->settings.dh_workers = old.dh_workers;
	engine_timers_settings(e, &old);
}

struct ike_sa_table *ike_engine_sas(struct ike_engine *e)
{
	return e->sas;
}

struct ike_engine *ike_engine_new(const struct ike_engine_ops *ops, void *ctx,
                                  const struct ike_settings *settings)
{
	struct ike_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->ops = *ops;
	e->ctx = ctx;
	e->settings = *settings;
	e->orphans.stats.since_wall = time(NULL);
	ike_timerq_init(&e->timers);
	e->sas = ike_sa_table_new();
	if (e->sas == NULL) {
		free(e);
		return NULL;
	}
	ike_sa_table_set_log(e->sas, table_log, e);
	ike_sa_table_set_free_exchange(e->sas, engine_free_exchange, quick_free_exchange);
	ike_sa_table_set_wipe_exchange(e->sas, engine_wipe_exchange, quick_wipe_exchange);
	ike_sa_table_subscribe(e->sas, on_event, e);
	if (settings->dh_workers > 0) {
		e->dhpool = ike_dhpool_new(settings->dh_workers, settings->dh_max_jobs);
		/* no threads to be had (a limit, memory): the loop does the work, as with 0 */
		if (e->dhpool == NULL) {
			engine_log(e, IKE_LOG_WARNING,
			           "cannot start %u Diffie-Hellman workers: DH runs on the loop",
			           settings->dh_workers);
			e->settings.dh_workers = 0;
		}
	}
	return e;
}

void ike_engine_free(struct ike_engine *e)
{
	if (e == NULL)
		return;
	/* first: the workers finish, and the jobs still out are wiped */
	ike_dhpool_free(e->dhpool);
	ike_sa_table_free(e->sas);
	engine_half_open_free(e);
	ike_timerq_free(&e->timers);
	engine_free_addr_index(e);
	wipe_peers(e->peers, e->n_peers);
	free(e->peer_slot);
	free(e);
}
