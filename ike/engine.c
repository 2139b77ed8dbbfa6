/*
 * engine.c - the engine's front door: datagram dispatch, timers, peers.
 *
 * Datagrams come in through dispatch.c, timers run in timers.c; this file holds the
 * services handlers share (sending, failing, logging) and the peers' life cycle.
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
	clock_gettime(CLOCK_MONOTONIC, ts);
}

void engine_log(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (e->ops.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->ops.log(e->ctx, lvl, msg);
}

static void table_log(void *ctx, int level, const char *msg)
{
	struct ike_engine *e = ctx;

	if (e->ops.log != NULL)
		e->ops.log(e->ctx, (enum ike_log_level)level, msg);
}

static struct engine_peer *find_peer(struct ike_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_peers; i++)
		if (strcmp(e->peers[i].cfg.name, name) == 0)
			return &e->peers[i];
	return NULL;
}

const struct ike_peer_cfg *engine_peer_cfg(struct ike_engine *e, const char *name)
{
	struct engine_peer *p = find_peer(e, name);

	return p != NULL ? &p->cfg : NULL;
}

struct ike_exchange *engine_exchange(struct ike_sa *sa)
{
	if (sa->x == NULL)
		sa->x = calloc(1, sizeof(*sa->x));
	return sa->x;
}

void engine_free_exchange(struct ike_exchange *x)
{
	if (x == NULL)
		return;
	ike_dh_free(x->dh);
	ike_p1_keys_wipe(&x->keys);
	OPENSSL_cleanse(x->ni, sizeof(x->ni));
	OPENSSL_cleanse(x->nr, sizeof(x->nr));
	free(x->sai_b);
	retx_free(&x->rt);
	OPENSSL_cleanse(x, sizeof(*x));
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

void engine_suspect(struct ike_sa *sa, enum ike_cause cause, const char *detail)
{
	sa->last_cause = cause;
	snprintf(sa->cause_detail, sizeof(sa->cause_detail), "%s", detail);
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
	return 0;
}

int engine_send_once(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	return raw_send(e, sa, buf, len);
}

int engine_send(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len,
                bool retransmit)
{
	struct ike_exchange *x = engine_exchange(sa);

	if (x == NULL || retx_keep_out(&x->rt, buf, len) != 0)
		return -1;
	/* a send error is retried by the timer like a lost datagram */
	(void)raw_send(e, sa, buf, len);
	if (retransmit)
		retx_arm(&x->rt, e->settings.retransmit_timeout_ms);
	return 0;
}

void engine_wait_peer(struct ike_engine *e, struct ike_sa *sa)
{
	struct ike_exchange *x = engine_exchange(sa);

	if (x == NULL)
		return;
	retx_wait(&x->rt, ike_settings_retransmit_span_ms(&e->settings));
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
	for (const struct ike_sa *sa = ike_sa_first(e->sas); sa != NULL; sa = sa->next)
		if (engine_sa_alive(sa) && strcmp(sa->peer, name) == 0)
			return true;
	return false;
}

/* auto=start keeps its peer up: after a loss, negotiate again after restart_delay. */
static void on_event(void *ctx, const struct ike_event *ev)
{
	struct ike_engine *e = ctx;
	struct engine_peer *p;

	if (ev->type != IKE_EV_SA_DELETED || ev->cause == IKE_CAUSE_SHUTDOWN ||
	    ev->cause == IKE_CAUSE_CONFIG_REMOVED)
		return;
	p = find_peer(e, ev->sa->peer);
	if (p == NULL || p->cfg.autostart != IKE_AUTO_START || p->restart_pending)
		return;
	if (peer_has_live_sa(e, p->cfg.name))
		return;
	p->restart_pending = true;
	engine_now(&p->restart_at);
	ts_add_ms(&p->restart_at, (uint64_t)e->settings.restart_delay_s * 1000);
}

void engine_copy_addr(struct sockaddr_storage *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->sa_family == AF_INET)
		memcpy(dst, src, sizeof(struct sockaddr_in));
	else if (src->sa_family == AF_INET6)
		memcpy(dst, src, sizeof(struct sockaddr_in6));
}

long engine_initiate_peer(struct ike_engine *e, struct engine_peer *p)
{
	struct ike_sa *sa;

	p->restart_pending = false;
	if (p->cfg.remote_any || p->cfg.remote.ss_family == 0)
		return -1;
	sa = ike_sa_create(e->sas, IKE_ROLE_INITIATOR, ISAKMP_XCHG_IDPROT);
	if (sa == NULL)
		return -1;
	snprintf(sa->peer, sizeof(sa->peer), "%s", p->cfg.name);
	sa->remote = p->cfg.remote;
	if (p->cfg.local.ss_family != 0)
		sa->local = p->cfg.local;
	else if (e->ops.source_for == NULL ||
	         e->ops.source_for(e->ctx, (const struct sockaddr *)&sa->remote, &sa->local) != 0)
		sa->local.ss_family = sa->remote.ss_family;
	ike_sa_announce(e->sas, sa);
	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: initiating Main Mode", sa->conn_id,
	           p->cfg.name);
	if (main_outI1(e, sa, &p->cfg) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending MM1");
		return -1;
	}
	return sa->conn_id;
}

long ike_engine_initiate(struct ike_engine *e, const char *peer)
{
	struct engine_peer *p = find_peer(e, peer);
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

struct ike_sa *engine_peer_established_sa(struct ike_engine *e, const char *name)
{
	struct ike_sa *best = NULL;

	for (struct ike_sa *sa = ike_sa_first_mut(e->sas); sa != NULL; sa = sa->next)
		if (sa->state == IKE_ST_ESTABLISHED && strcmp(sa->peer, name) == 0)
			best = sa;
	return best;
}

/* Installed children of sa for configured child idx. */
static bool child_up(const struct ike_sa *sa, size_t idx)
{
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (c->cfg_index == idx && c->state == IKE_CHILD_INSTALLED)
			return true;
	return false;
}

static size_t children_up(const struct ike_sa *sa, size_t wanted)
{
	size_t n = 0;

	for (size_t i = 0; sa != NULL && i < wanted; i++)
		n += child_up(sa, i);
	return n;
}

bool engine_peer_missing_children(struct ike_engine *e, const struct engine_peer *p)
{
	struct ike_sa *sa = engine_peer_established_sa(e, p->cfg.name);
	size_t wanted = quick_children_wanted(&p->cfg);

	return sa != NULL && children_up(sa, wanted) < wanted;
}

int ike_engine_peer_status(struct ike_engine *e, size_t i, struct ike_peer_status *st)
{
	const struct ike_sa *live = NULL;

	if (i >= e->n_peers)
		return -1;
	memset(st, 0, sizeof(*st));
	st->cfg = &e->peers[i].cfg;
	st->ike = engine_peer_established_sa(e, st->cfg->name);
	if (st->ike == NULL) {
		for (const struct ike_sa *sa = ike_sa_first(e->sas); sa != NULL; sa = sa->next)
			if (engine_sa_alive(sa) && strcmp(sa->peer, st->cfg->name) == 0)
				live = sa;
		st->ike = live;
	}
	st->children_wanted = quick_children_wanted(st->cfg);
	if (st->ike != NULL && st->ike->state == IKE_ST_ESTABLISHED)
		st->children_up = children_up(st->ike, st->children_wanted);
	st->up = st->ike != NULL && st->ike->state == IKE_ST_ESTABLISHED &&
	         st->children_up == st->children_wanted;
	return 0;
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

static void wipe_peers(struct engine_peer *peers, size_t n)
{
	if (peers == NULL)
		return;
	OPENSSL_cleanse(peers, n * sizeof(*peers));
	free(peers);
}

int ike_engine_set_peers(struct ike_engine *e, const struct ike_peer_cfg *peers, size_t n)
{
	struct engine_peer *np = calloc(n ? n : 1, sizeof(*np)), *old;
	size_t old_n = e->n_peers;

	if (np == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		np[i].cfg = peers[i];
	/* SAs of peers that left or changed go; the rest are kept untouched */
	for (struct ike_sa *sa = ike_sa_first_mut(e->sas); sa != NULL; sa = sa->next) {
		struct engine_peer *was = find_peer(e, sa->peer);
		size_t j;

		if (!engine_sa_alive(sa) || was == NULL)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(np[j].cfg.name, sa->peer) == 0)
				break;
		if (j == n || ike_peer_cfg_differs(&was->cfg, &np[j].cfg)) {
			engine_log(e, IKE_LOG_NOTICE, "conn-id %u: peer %s %s", sa->conn_id,
			           sa->peer, j == n ? "removed" : "changed");
			engine_delete_sa(e, sa, IKE_CAUSE_CONFIG_REMOVED);
		}
	}
	old = e->peers;
	e->peers = np;
	e->n_peers = n;
	wipe_peers(old, old_n);
	for (size_t i = 0; i < n; i++)
		if (np[i].cfg.autostart == IKE_AUTO_START && !peer_has_live_sa(e, np[i].cfg.name))
			engine_initiate_peer(e, &np[i]);
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
	e->settings = *s;
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
	e->sas = ike_sa_table_new();
	if (e->sas == NULL) {
		free(e);
		return NULL;
	}
	ike_sa_table_set_log(e->sas, table_log, e);
	ike_sa_table_set_free_exchange(e->sas, engine_free_exchange, quick_free_exchange);
	ike_sa_table_subscribe(e->sas, on_event, e);
	return e;
}

void ike_engine_free(struct ike_engine *e)
{
	if (e == NULL)
		return;
	ike_sa_table_free(e->sas);
	wipe_peers(e->peers, e->n_peers);
	free(e);
}
