/*
 * engine.c - the engine's front door: datagram dispatch, timers, peers.
 *
 * Dispatch (ike_engine_input): header -> SA look-up by cookies -> retransmission check
 * -> informational, or a check of the message against its state's row (exchange type,
 * encryption, required payloads) -> decrypt -> the row's handler.  Handlers never see a
 * message their state did not ask for.
 *
 * Timers are one deadline per SA, found by a walk of the table; fine for thousands of
 * SAs, and the scale issue swaps in a heap behind the same two calls.
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

#define PLAIN_BUF 8192 /* decrypted phase-1 and informational messages */

void engine_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static void ts_add_ms(struct timespec *ts, uint64_t ms)
{
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int64_t ts_diff_ms(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(a->tv_sec - b->tv_sec) * 1000 + (a->tv_nsec - b->tv_nsec) / 1000000L;
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
	free(x->last_out);
	free(x->last_in);
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

void engine_suspect(struct ike_sa *sa, enum ike_cause cause, const char *detail)
{
	sa->last_cause = cause;
	snprintf(sa->cause_detail, sizeof(sa->cause_detail), "%s", detail);
}

void engine_disarm(struct ike_sa *sa)
{
	if (sa->x != NULL)
		sa->x->timer_armed = false;
}

static int keep_copy(uint8_t **dst, size_t *dst_len, const uint8_t *buf, size_t len)
{
	uint8_t *p = realloc(*dst, len);

	if (p == NULL)
		return -1;
	memcpy(p, buf, len);
	*dst = p;
	*dst_len = len;
	return 0;
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

int engine_send_once(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	return raw_send(e, sa, buf, len);
}

int engine_send(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len,
                bool retransmit)
{
	struct ike_exchange *x = engine_exchange(sa);

	if (x == NULL || keep_copy(&x->last_out, &x->last_out_len, buf, len) != 0)
		return -1;
	/* a send error is retried by the timer like a lost datagram */
	(void)raw_send(e, sa, buf, len);
	if (retransmit) {
		x->retransmits = true;
		x->tries = 0;
		x->wait_ms = e->settings.retransmit_timeout_ms;
		engine_now(&x->timer);
		ts_add_ms(&x->timer, x->wait_ms);
		x->timer_armed = true;
	}
	return 0;
}

void engine_wait_peer(struct ike_engine *e, struct ike_sa *sa)
{
	struct ike_exchange *x = engine_exchange(sa);

	if (x == NULL)
		return;
	x->retransmits = false;
	engine_now(&x->timer);
	ts_add_ms(&x->timer, ike_settings_retransmit_span_ms(&e->settings));
	x->timer_armed = true;
}

void engine_fail(struct ike_engine *e, struct ike_sa *sa, enum ike_cause cause, const char *detail)
{
	engine_disarm(sa);
	ike_sa_fail(e->sas, sa, cause, detail);
	ike_sa_mark_deleted(e->sas, sa, cause);
}

/* ---- peers ---- */

static bool sa_alive(const struct ike_sa *sa)
{
	return sa->state != IKE_ST_DELETED;
}

static bool peer_has_live_sa(struct ike_engine *e, const char *name)
{
	for (const struct ike_sa *sa = ike_sa_first(e->sas); sa != NULL; sa = sa->next)
		if (sa_alive(sa) && strcmp(sa->peer, name) == 0)
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

static void copy_addr(struct sockaddr_storage *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->sa_family == AF_INET)
		memcpy(dst, src, sizeof(struct sockaddr_in));
	else if (src->sa_family == AF_INET6)
		memcpy(dst, src, sizeof(struct sockaddr_in6));
}

static long initiate(struct ike_engine *e, struct engine_peer *p)
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

	return p != NULL ? initiate(e, p) : -1;
}

static void delete_sa(struct ike_engine *e, struct ike_sa *sa, enum ike_cause reason)
{
	if (sa->state == IKE_ST_DELETED)
		return;
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
	delete_sa(e, sa, reason);
	return 0;
}

void ike_engine_delete_all(struct ike_engine *e, enum ike_cause reason)
{
	for (struct ike_sa *sa = ike_sa_first_mut(e->sas); sa != NULL; sa = sa->next)
		delete_sa(e, sa, reason);
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

		if (!sa_alive(sa) || was == NULL)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(np[j].cfg.name, sa->peer) == 0)
				break;
		if (j == n || ike_peer_cfg_differs(&was->cfg, &np[j].cfg)) {
			engine_log(e, IKE_LOG_NOTICE, "conn-id %u: peer %s %s", sa->conn_id,
			           sa->peer, j == n ? "removed" : "changed");
			delete_sa(e, sa, IKE_CAUSE_CONFIG_REMOVED);
		}
	}
	old = e->peers;
	e->peers = np;
	e->n_peers = n;
	wipe_peers(old, old_n);
	for (size_t i = 0; i < n; i++)
		if (np[i].cfg.autostart == IKE_AUTO_START && !peer_has_live_sa(e, np[i].cfg.name))
			initiate(e, &np[i]);
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
	ike_sa_table_set_free_exchange(e->sas, engine_free_exchange);
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

/* ---- input ---- */

static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	if (b->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		       x->sin6_port == y->sin6_port;
	}
	return false;
}

static const uint8_t zero_cookie[8];

/*
 * The SA a message belongs to.  Exact cookies first; then the two cases where the peer
 * cannot know both cookies yet: the responder's MM2 (or notify) to our MM1, and a
 * retransmitted MM1 to an SA we already answered.
 */
static struct ike_sa *lookup(struct ike_engine *e, const struct isakmp_hdr *h,
                             const struct sockaddr *remote)
{
	struct ike_sa *sa = ike_sa_find_cookies(e->sas, h->icookie, h->rcookie);
	bool rzero = memcmp(h->rcookie, zero_cookie, 8) == 0;

	if (sa != NULL)
		return sa;
	for (sa = ike_sa_first_mut(e->sas); sa != NULL; sa = sa->next) {
		if (memcmp(sa->icookie, h->icookie, 8) != 0 || !sa_alive(sa))
			continue;
		if (sa->role == IKE_ROLE_INITIATOR && sa->state == IKE_ST_MAIN_I1 &&
		    memcmp(sa->rcookie, zero_cookie, 8) == 0)
			return sa;
		if (sa->role == IKE_ROLE_RESPONDER && rzero && addr_equal(&sa->remote, remote))
			return sa;
	}
	return NULL;
}

/* Whether two addresses are the same host (ports ignored). */
static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (b->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

/* The most specific peer whose remote covers addr (and whose local, if set, is ours). */
static struct engine_peer *match_peer(struct ike_engine *e, const struct sockaddr *local,
                                      const struct sockaddr *remote)
{
	struct engine_peer *best = NULL;
	int best_len = -1;

	for (size_t i = 0; i < e->n_peers; i++) {
		struct engine_peer *p = &e->peers[i];
		int len = p->cfg.remote_any ? -1 : p->cfg.remote_prefix;

		if (!ike_peer_matches_addr(&p->cfg, remote))
			continue;
		if (p->cfg.local.ss_family != 0 && !same_host(&p->cfg.local, local))
			continue;
		if (best == NULL || len > best_len) {
			best = p;
			best_len = len;
		}
	}
	return best;
}

static void count_codec_error(struct ike_global_counters *g, int err)
{
	switch (err) {
	case CODEC_SHORT:
		g->dropped_short++;
		break;
	case CODEC_BAD_VERSION:
		g->dropped_bad_version++;
		break;
	case CODEC_BAD_PAYLOAD:
	case CODEC_TOO_MANY:
	case CODEC_BAD_VALUE:
		g->dropped_bad_payload++;
		break;
	default:
		g->dropped_bad_length++;
		break;
	}
}

static void undecryptable(struct ike_engine *e, struct ike_sa *sa, const char *what)
{
	char detail[64];

	sa->ctr.undecryptable++;
	ike_sa_table_counters_mut(e->sas)->dropped_undecryptable++;
	if (sa->x != NULL)
		sa->x->saw_undecryptable = true;
	if (sa->state != IKE_ST_ESTABLISHED) {
		snprintf(detail, sizeof(detail), "%s from the peer does not decrypt", what);
		engine_suspect(sa, IKE_CAUSE_KEY_MISMATCH, detail);
	}
	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: %s does not decrypt", sa->conn_id,
	           sa->peer, what);
}

static void informational(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_hdr *h,
                          const uint8_t *buf, size_t len)
{
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = malloc(PLAIN_BUF);
	int r;

	if (m == NULL || plain == NULL)
		goto done;
	if (h->flags & ISAKMP_FLAG_ENC) {
		if (info_open(e, sa, buf, len, m, plain, PLAIN_BUF) != 0) {
			undecryptable(e, sa, "an informational message");
			goto done;
		}
		info_input(e, sa, m, true);
		goto done;
	}
	r = isakmp_msg_parse(buf, len, m);
	if (r != CODEC_OK) {
		sa->ctr.malformed++;
		count_codec_error(ike_sa_table_counters_mut(e->sas), r);
		goto done;
	}
	info_input(e, sa, m, false);
done:
	free(plain);
	free(m);
}

/* Decrypt a phase-1 message with the IV chain; the following IV goes to x->rx_iv. */
static int open_phase1(struct ike_sa *sa, const struct isakmp_hdr *h, const uint8_t *buf,
                       size_t len, struct isakmp_msg *m, uint8_t *plain)
{
	struct ike_exchange *x = sa->x;
	size_t n = len - ISAKMP_HDR_LEN;

	if (x == NULL || !x->have_keys || n == 0 || n > PLAIN_BUF || n % x->keys.block_len)
		return -1;
	memcpy(plain, buf + ISAKMP_HDR_LEN, n);
	if (ike_decrypt(&x->keys, x->keys.iv, plain, n, x->rx_iv) != 0)
		return -1;
	if (isakmp_payloads_parse(h->np, plain, n, true, m) != CODEC_OK)
		return -1;
	m->hdr = *h;
	return 0;
}

static bool has_required(const struct isakmp_msg *m, uint32_t required)
{
	for (uint8_t t = 0; t < 32; t++)
		if ((required & (1u << t)) && isakmp_msg_find(m, t, NULL) == NULL)
			return false;
	return true;
}

/* Check the message against its state's row, open it, run the handler. */
static void dispatch(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_hdr *h,
                     const uint8_t *buf, size_t len)
{
	const struct ike_state_row *row = ike_state_row(sa->state);
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	bool enc = (h->flags & ISAKMP_FLAG_ENC) != 0;
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = malloc(PLAIN_BUF);
	int r;

	if (m == NULL || plain == NULL)
		goto done;
	if (row->handler == NULL || h->exchange != row->exchange || enc != row->encrypted_in) {
		g->dropped_unexpected++;
		engine_log(e, IKE_LOG_DEBUG, "conn-id %u: unexpected message in %s", sa->conn_id,
		           row->name);
		goto done;
	}
	if (enc) {
		if (open_phase1(sa, h, buf, len, m, plain) != 0) {
			undecryptable(e, sa, row->expects);
			goto done;
		}
	} else {
		r = isakmp_msg_parse(buf, len, m);
		if (r != CODEC_OK) {
			sa->ctr.malformed++;
			count_codec_error(g, r);
			goto done;
		}
	}
	if (!has_required(m, row->required_in)) {
		sa->ctr.malformed++;
		g->dropped_bad_payload++;
		engine_log(e, IKE_LOG_INFO, "conn-id %u: %s lacks a required payload", sa->conn_id,
		           row->expects);
		goto done;
	}
	if (row->handler(e, sa, m) == IKE_R_OK && sa->x != NULL)
		keep_copy(&sa->x->last_in, &sa->x->last_in_len, buf, len);
done:
	free(plain);
	free(m);
}

/* A first Main Mode message from a new peer: make a responder SA for it. */
static void new_responder(struct ike_engine *e, const struct sockaddr *local,
                          const struct sockaddr *remote, const struct isakmp_hdr *h,
                          const uint8_t *buf, size_t len)
{
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	struct engine_peer *p;
	struct isakmp_msg *m = malloc(sizeof(*m));
	struct ike_sa *sa;
	char addr[INET6_ADDRSTRLEN] = "?";
	int r;

	/* the whole message must parse before it may cost us an SA */
	if (m == NULL)
		return;
	r = isakmp_msg_parse(buf, len, m);
	free(m);
	if (r != CODEC_OK) {
		count_codec_error(g, r);
		return;
	}
	p = match_peer(e, local, remote);
	if (p == NULL) {
		g->dropped_no_config++;
		if (remote->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)remote)->sin_addr, addr,
			          sizeof(addr));
		else if (remote->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)remote)->sin6_addr, addr,
			          sizeof(addr));
		engine_log(e, IKE_LOG_INFO, "Main Mode from %s: no [peer] matches; dropped", addr);
		return;
	}
	sa = ike_sa_create(e->sas, IKE_ROLE_RESPONDER, ISAKMP_XCHG_IDPROT);
	if (sa == NULL)
		return;
	snprintf(sa->peer, sizeof(sa->peer), "%s", p->cfg.name);
	copy_addr(&sa->local, local);
	copy_addr(&sa->remote, remote);
	memcpy(sa->icookie, h->icookie, 8);
	sa->ctr.msgs_in++;
	sa->ctr.bytes_in += len;
	ike_sa_announce(e->sas, sa);
	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: Main Mode request", sa->conn_id, sa->peer);
	dispatch(e, sa, h, buf, len);
}

void ike_engine_input(struct ike_engine *e, const struct sockaddr *local,
                      const struct sockaddr *remote, const uint8_t *buf, size_t len)
{
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	struct isakmp_hdr h;
	struct ike_sa *sa;
	int r;

	g->msgs_in++;
	g->bytes_in += len;
	r = isakmp_hdr_parse(buf, len, &h);
	if (r != CODEC_OK) {
		count_codec_error(g, r);
		return;
	}
	sa = lookup(e, &h, remote);
	if (sa == NULL) {
		if (h.exchange == ISAKMP_XCHG_IDPROT && h.np == ISAKMP_NP_SA &&
		    memcmp(h.rcookie, zero_cookie, 8) == 0 && !(h.flags & ISAKMP_FLAG_ENC)) {
			new_responder(e, local, remote, &h, buf, len);
			return;
		}
		g->dropped_unknown_sa++;
		return;
	}
	sa->ctr.msgs_in++;
	sa->ctr.bytes_in += len;
	if (!sa_alive(sa)) {
		g->dropped_unexpected++;
		return;
	}
	/* a retransmission of what we answered gets the stored answer, not a second run */
	if (sa->x != NULL && sa->x->last_in != NULL && sa->x->last_in_len == len &&
	    memcmp(sa->x->last_in, buf, len) == 0) {
		sa->ctr.dup_in++;
		if (sa->x->last_out != NULL)
			raw_send(e, sa, sa->x->last_out, sa->x->last_out_len);
		return;
	}
	/* the peer may have floated or the reply came to another local address */
	if (sa->local.ss_family == 0 || sa->state == IKE_ST_MAIN_I1)
		copy_addr(&sa->local, local);
	if (h.exchange == ISAKMP_XCHG_INFO) {
		informational(e, sa, &h, buf, len);
		return;
	}
	dispatch(e, sa, &h, buf, len);
}

/* ---- timers ---- */

static void sa_timeout(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now)
{
	struct ike_exchange *x = sa->x;
	char detail[64];
	enum ike_cause c;

	c = main_timeout_cause(sa, detail, sizeof(detail));
	if (x->retransmits && x->tries < e->settings.retransmit_tries) {
		x->tries++;
		sa->ctr.retransmits++;
		x->wait_ms *= 2;
		x->timer = *now;
		ts_add_ms(&x->timer, x->wait_ms);
		engine_suspect(sa, c, detail);
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: retransmitting %s (try %u of %u)",
		           sa->conn_id, sa->peer, ike_state_row(sa->state)->last_sent, x->tries,
		           e->settings.retransmit_tries);
		raw_send(e, sa, x->last_out, x->last_out_len);
		return;
	}
	engine_fail(e, sa, c, detail);
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
		return true;
	}
	if (sa->x != NULL && sa->x->timer_armed) {
		*at = sa->x->timer;
		return true;
	}
	return false;
}

int64_t ike_engine_next_timeout_ms(struct ike_engine *e)
{
	struct timespec now, at;
	int64_t best = -1, d;

	engine_now(&now);
	for (const struct ike_sa *sa = ike_sa_first(e->sas); sa != NULL; sa = sa->next) {
		if (!sa_deadline(e, sa, &at))
			continue;
		d = ts_diff_ms(&at, &now);
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	for (size_t i = 0; i < e->n_peers; i++) {
		if (!e->peers[i].restart_pending)
			continue;
		d = ts_diff_ms(&e->peers[i].restart_at, &now);
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	return best;
}

void ike_engine_run_timers(struct ike_engine *e)
{
	struct timespec now, at;
	struct ike_sa *sa, *next;

	engine_now(&now);
	for (sa = ike_sa_first_mut(e->sas); sa != NULL; sa = next) {
		next = sa->next;
		if (!sa_deadline(e, sa, &at) || ts_diff_ms(&at, &now) > 0)
			continue;
		if (sa->state == IKE_ST_DELETED)
			ike_sa_remove(e->sas, sa);
		else if (sa->state == IKE_ST_ESTABLISHED)
			delete_sa(e, sa, IKE_CAUSE_EXPIRED);
		else
			sa_timeout(e, sa, &now);
	}
	for (size_t i = 0; i < e->n_peers; i++)
		if (e->peers[i].restart_pending && ts_diff_ms(&e->peers[i].restart_at, &now) <= 0)
			initiate(e, &e->peers[i]);
}
