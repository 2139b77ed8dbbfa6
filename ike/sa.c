/*
 * sa.c - the SA table and the one choke point for state changes.
 *
 * SAs are kept in one doubly-linked list in conn-id order (conn-ids only grow, so a new
 * SA goes at the tail), and in two hash tables of chains: by conn-id (consecutive ids
 * fall in consecutive buckets) and by initiator cookie.  A peer picks the initiator
 * cookie of its MM1, so that hash is keyed with a random secret drawn when the table is
 * made: a peer cannot aim its cookies at one chain.  Both grow with the table (doubling
 * when there are more SAs than buckets), so look-ups cost O(1) on average; removal
 * costs O(1) plus the walk of two short chains.
 *
 * The live phase-2 SAs' inbound SPIs have a third index (open addressing, linear
 * probing, deletion by backward shift), so that a new SPI is checked for uniqueness in
 * O(1) rather than by a walk of every SA's children.  Our SPIs are random and chosen by
 * us, so that hash needs no secret.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ike.h"
#include "sa.h"
#include "strpool.h"

static uint64_t clock_advance_ms; /* tests only: ike_engine_clock_advance_ms() */

void ike_mono_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (clock_advance_ms == 0)
		return;
	ts->tv_sec += (time_t)(clock_advance_ms / 1000);
	ts->tv_nsec += (long)(clock_advance_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void ike_engine_clock_advance_ms(uint64_t ms)
{
	clock_advance_ms += ms;
}

#define MAX_SUBSCRIBERS  8
#define HASH_MIN_BUCKETS 64

struct subscriber {
	ike_event_fn fn;
	void *ctx;
};

/* Chains of SAs, through id_next or ck_next; nb a power of two. */
struct sa_hash {
	struct ike_sa **b;
	size_t nb;
};

/* Live children by inbound SPI: spi 0 marks an empty slot; ns a power of two (or 0). */
struct spi_slot {
	uint32_t spi;
	const struct ike_child *c;
};

struct spi_index {
	struct spi_slot *s;
	size_t ns, n;
};

struct ike_sa_table {
	struct ike_sa *head, *tail;
	size_t count;
	size_t by_state[IKE_ST_COUNT];
	struct sa_hash by_id, by_cookie, by_host;
	uint64_t cookie_key; /* secret of the cookie hash */
	struct spi_index spis;
	uint32_t next_conn_id;
	struct subscriber subs[MAX_SUBSCRIBERS];
	size_t n_subs;
	ike_sa_log_fn log;
	void *log_ctx;
	void (*free_exchange)(struct ike_exchange *x);
	void (*free_child_exchange)(struct ike_child_exchange *x);
	void (*wipe_exchange)(struct ike_exchange *x);
	void (*wipe_child_exchange)(struct ike_child_exchange *x);
	struct ike_global_counters ctr;
	struct ike_strpool *strings; /* the SAs' identities and certificate subjects */
};

/* ---------------------------------------------------------------- the indexes */

uint64_t ike_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static size_t id_bucket(const struct sa_hash *h, uint32_t conn_id)
{
	return conn_id & (h->nb - 1);
}

static size_t cookie_bucket(const struct ike_sa_table *t, const uint8_t icookie[8])
{
	uint64_t v;

	memcpy(&v, icookie, sizeof(v));
	return (size_t)(ike_mix64(v ^ t->cookie_key) & (t->by_cookie.nb - 1));
}

static void id_link(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_sa **pp = &t->by_id.b[id_bucket(&t->by_id, sa->conn_id)];

	sa->id_next = *pp;
	*pp = sa;
}

/* Chains by cookie stay in conn-id order, so the oldest SA is found first. */
static void cookie_link(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_sa **pp = &t->by_cookie.b[cookie_bucket(t, sa->icookie)];

	while (*pp != NULL && (*pp)->conn_id < sa->conn_id)
		pp = &(*pp)->ck_next;
	sa->ck_next = *pp;
	*pp = sa;
}

static void id_unlink(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_sa **pp = &t->by_id.b[id_bucket(&t->by_id, sa->conn_id)];

	for (; *pp != NULL; pp = &(*pp)->id_next)
		if (*pp == sa) {
			*pp = sa->id_next;
			return;
		}
}

static bool chain_unlink(struct ike_sa **pp, struct ike_sa *sa)
{
	for (; *pp != NULL; pp = &(*pp)->ck_next)
		if (*pp == sa) {
			*pp = sa->ck_next;
			return true;
		}
	return false;
}

/*
 * From its cookie's chain; should sa->icookie have been written behind the table's back,
 * from wherever it is (every chain is looked at) rather than leave a pointer to it.
 */
static void cookie_unlink(struct ike_sa_table *t, struct ike_sa *sa)
{
	if (chain_unlink(&t->by_cookie.b[cookie_bucket(t, sa->icookie)], sa))
		return;
	for (size_t i = 0; i < t->by_cookie.nb; i++)
		if (chain_unlink(&t->by_cookie.b[i], sa))
			return;
}

/* ---------------------------------------------------------------- by remote address */

/* The remote's address (not its port: a NAT-T float keeps the host). */
static size_t host_bucket(const struct ike_sa_table *t, const struct sockaddr_storage *a)
{
	uint64_t v = a->ss_family;
	const uint8_t *b = NULL;
	size_t len = 0;

	if (a->ss_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		len = 4;
	} else if (a->ss_family == AF_INET6) {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
		len = 16;
	}
	for (size_t i = 0; i < len; i++)
		v = ike_mix64(v ^ ((uint64_t)b[i] << (8 * (i % 8))));
	return (size_t)(ike_mix64(v ^ t->cookie_key) & (t->by_host.nb - 1));
}

/* Doubly linked (host_pprev): an SA leaves a long chain (one gateway's) in O(1). */
static void host_link(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_sa **pp = &t->by_host.b[host_bucket(t, &sa->remote)];

	sa->host_next = *pp;
	if (*pp != NULL)
		(*pp)->host_pprev = &sa->host_next;
	*pp = sa;
	sa->host_pprev = pp;
}

static void host_unlink(struct ike_sa *sa)
{
	if (sa->host_pprev == NULL)
		return;
	*sa->host_pprev = sa->host_next;
	if (sa->host_next != NULL)
		sa->host_next->host_pprev = sa->host_pprev;
	sa->host_pprev = NULL;
	sa->host_next = NULL;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
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

/*
 * Twice the buckets, every SA linked again (in list order, which keeps the cookie
 * chains in conn-id order cheaply).  Out of memory keeps the old buckets: longer
 * chains, still right.
 */
static void index_grow(struct ike_sa_table *t)
{
	size_t nb = t->by_id.nb * 2;
	struct ike_sa **id = calloc(nb, sizeof(*id)), **ck = calloc(nb, sizeof(*ck));
	struct ike_sa **host = calloc(nb, sizeof(*host));

	if (id == NULL || ck == NULL || host == NULL) {
		free(id);
		free(ck);
		free(host);
		return;
	}
	free(t->by_id.b);
	free(t->by_cookie.b);
	free(t->by_host.b);
	t->by_id.b = id;
	t->by_cookie.b = ck;
	t->by_host.b = host;
	t->by_id.nb = t->by_cookie.nb = t->by_host.nb = nb;
	/* pushed at the chains' heads from the newest back: conn-id order */
	for (struct ike_sa *sa = t->tail; sa != NULL; sa = sa->prev) {
		struct ike_sa **pp = &t->by_cookie.b[cookie_bucket(t, sa->icookie)];

		id_link(t, sa);
		host_link(t, sa);
		sa->ck_next = *pp;
		*pp = sa;
	}
}

/* ---------------------------------------------------------------- inbound SPIs */

static size_t spi_home(const struct spi_index *x, uint32_t spi)
{
	return (size_t)(ike_mix64(spi) & (x->ns - 1));
}

/* The slot holding spi, or the empty slot where it would go (ns > n always). */
static size_t spi_find(const struct spi_index *x, uint32_t spi)
{
	size_t i = spi_home(x, spi);

	while (x->s[i].spi != 0 && x->s[i].spi != spi)
		i = (i + 1) & (x->ns - 1);
	return i;
}

/* Kept at most half full, so probes stay short. */
static int spi_grow(struct spi_index *x)
{
	size_t ns = x->ns ? x->ns * 2 : HASH_MIN_BUCKETS;
	struct spi_index y = {calloc(ns, sizeof(*y.s)), ns, 0};

	if (y.s == NULL)
		return -1;
	for (size_t i = 0; i < x->ns; i++)
		if (x->s[i].spi != 0) {
			y.s[spi_find(&y, x->s[i].spi)] = x->s[i];
			y.n++;
		}
	free(x->s);
	*x = y;
	return 0;
}

int ike_child_claim_spi_in(struct ike_sa_table *t, struct ike_child *c, uint32_t spi)
{
	struct spi_index *x = &t->spis;
	size_t i;

	if (spi == 0)
		return -1;
	if (ike_sa_child_by_spi_in(t, spi) != NULL)
		return -1;
	if (2 * (x->n + 1) > x->ns && spi_grow(x) != 0)
		return -2;
	ike_sa_table_release_spi(t, c);
	i = spi_find(x, spi);
	x->s[i].spi = spi;
	x->s[i].c = c;
	x->n++;
	c->spi_in = spi;
	return 0;
}

const struct ike_child *ike_sa_child_by_spi_in(const struct ike_sa_table *t, uint32_t spi)
{
	const struct spi_index *x = &t->spis;
	size_t i;

	if (x->n == 0 || spi == 0)
		return NULL;
	i = spi_find(x, spi);
	return x->s[i].spi == spi ? x->s[i].c : NULL;
}

/* Whether slot j's entry, whose home is h, may move back into the hole at i. */
static bool spi_may_fill(size_t i, size_t j, size_t h)
{
	if (i <= j)
		return h <= i || h > j;
	return h <= i && h > j;
}

void ike_sa_table_release_spi(struct ike_sa_table *t, const struct ike_child *c)
{
	struct spi_index *x = &t->spis;
	size_t i, j, mask = x->ns - 1;

	if (x->n == 0 || c->spi_in == 0)
		return;
	i = spi_find(x, c->spi_in);
	if (x->s[i].spi != c->spi_in || x->s[i].c != c)
		return; /* not this child's: it was released, and the SPI claimed again */
	/* backward shift: later entries of the probe run move into the hole */
	for (j = (i + 1) & mask; x->s[j].spi != 0; j = (j + 1) & mask)
		if (spi_may_fill(i, j, spi_home(x, x->s[j].spi))) {
			x->s[i] = x->s[j];
			i = j;
		}
	x->s[i].spi = 0;
	x->s[i].c = NULL;
	x->n--;
}

/* ---------------------------------------------------------------- interned strings */

/* Replace *field by the pool's copy of s (at most max bytes); "" when memory runs out. */
static int set_string(struct ike_sa_table *t, const char **field, const char *s, size_t max)
{
	const char *v = ike_strpool_get(t->strings, s, strnlen(s, max));

	ike_strpool_put(t->strings, *field);
	*field = v != NULL ? v : "";
	return v != NULL ? 0 : -1;
}

int ike_sa_set_local_id(struct ike_sa_table *t, struct ike_sa *sa, const struct ike_id *id)
{
	sa->local_id.type = id->type;
	return set_string(t, &sa->local_id.value, id->value, IKE_ID_MAX);
}

int ike_sa_set_remote_id(struct ike_sa_table *t, struct ike_sa *sa, const struct ike_id *id)
{
	sa->remote_id.type = id->type;
	return set_string(t, &sa->remote_id.value, id->value, IKE_ID_MAX);
}

int ike_sa_set_peer_cert(struct ike_sa_table *t, struct ike_sa *sa, const char *subject)
{
	return set_string(t, &sa->peer_cert, subject, IKE_PEER_CERT_MAX);
}

void ike_sa_id_get(struct ike_id *out, const struct ike_sa_id *id)
{
	out->type = id->type;
	snprintf(out->value, sizeof(out->value), "%s", id->value);
}

const struct ike_strpool *ike_sa_table_strings(const struct ike_sa_table *t)
{
	return t->strings;
}

/* ---------------------------------------------------------------- the table */

struct ike_sa_table *ike_sa_table_new(void)
{
	struct ike_sa_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->next_conn_id = IKE_CONN_ID_FIRST;
	t->by_id.nb = t->by_cookie.nb = t->by_host.nb = HASH_MIN_BUCKETS;
	t->by_id.b = calloc(HASH_MIN_BUCKETS, sizeof(*t->by_id.b));
	t->by_cookie.b = calloc(HASH_MIN_BUCKETS, sizeof(*t->by_cookie.b));
	t->by_host.b = calloc(HASH_MIN_BUCKETS, sizeof(*t->by_host.b));
	t->strings = ike_strpool_new();
	if (t->by_id.b == NULL || t->by_cookie.b == NULL || t->by_host.b == NULL ||
	    t->strings == NULL ||
	    getrandom(&t->cookie_key, sizeof(t->cookie_key), 0) != sizeof(t->cookie_key)) {
		ike_sa_table_free(t);
		return NULL;
	}
	return t;
}

static void sa_free(struct ike_sa_table *t, struct ike_sa *sa)
{
	ike_child_free_all(t, sa);
	if (sa->x != NULL && t->free_exchange != NULL)
		t->free_exchange(sa->x);
	ike_strpool_put(t->strings, sa->local_id.value);
	ike_strpool_put(t->strings, sa->remote_id.value);
	ike_strpool_put(t->strings, sa->peer_cert);
	free(sa);
}

void ike_sa_table_free(struct ike_sa_table *t)
{
	struct ike_sa *sa, *next;

	if (t == NULL)
		return;
	for (sa = t->head; sa != NULL; sa = next) {
		next = sa->next;
		sa_free(t, sa);
	}
	free(t->by_id.b);
	free(t->by_cookie.b);
	free(t->by_host.b);
	free(t->spis.s);
	ike_strpool_free(t->strings);
	free(t);
}

int ike_sa_table_subscribe(struct ike_sa_table *t, ike_event_fn fn, void *ctx)
{
	if (t->n_subs >= MAX_SUBSCRIBERS)
		return -1;
	t->subs[t->n_subs].fn = fn;
	t->subs[t->n_subs].ctx = ctx;
	t->n_subs++;
	return 0;
}

void ike_sa_table_set_log(struct ike_sa_table *t, ike_sa_log_fn fn, void *ctx)
{
	t->log = fn;
	t->log_ctx = ctx;
}

void ike_sa_table_set_free_exchange(struct ike_sa_table *t, void (*fn)(struct ike_exchange *x),
                                    void (*child_fn)(struct ike_child_exchange *x))
{
	t->free_exchange = fn;
	t->free_child_exchange = child_fn;
}

void ike_sa_table_free_child_exchange(struct ike_sa_table *t, struct ike_child_exchange *x)
{
	if (x != NULL && t->free_child_exchange != NULL)
		t->free_child_exchange(x);
}

void ike_sa_table_set_wipe_exchange(struct ike_sa_table *t, void (*fn)(struct ike_exchange *x),
                                    void (*child_fn)(struct ike_child_exchange *x))
{
	t->wipe_exchange = fn;
	t->wipe_child_exchange = child_fn;
}

void ike_sa_table_wipe_child_exchange(struct ike_sa_table *t, struct ike_child_exchange *x)
{
	if (x != NULL && t->wipe_child_exchange != NULL)
		t->wipe_child_exchange(x);
}

void ike_sa_table_log(struct ike_sa_table *t, int level, const char *msg)
{
	if (t->log != NULL)
		t->log(t->log_ctx, level, msg);
}

void ike_sa_table_emit(struct ike_sa_table *t, const struct ike_event *ev)
{
	for (size_t i = 0; i < t->n_subs; i++)
		t->subs[i].fn(t->subs[i].ctx, ev);
}

static void tlog(struct ike_sa_table *t, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tlog(struct ike_sa_table *t, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (t->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->log(t->log_ctx, level, msg);
}

const struct ike_sa *ike_sa_first(const struct ike_sa_table *t)
{
	return t->head;
}

struct ike_sa *ike_sa_first_mut(struct ike_sa_table *t)
{
	return t->head;
}

struct ike_sa *ike_sa_find_mut(struct ike_sa_table *t, uint32_t conn_id)
{
	struct ike_sa *sa = t->by_id.b[id_bucket(&t->by_id, conn_id)];

	while (sa != NULL && sa->conn_id != conn_id)
		sa = sa->id_next;
	return sa;
}

const struct ike_sa *ike_sa_by_conn_id(const struct ike_sa_table *t, uint32_t conn_id)
{
	return ike_sa_find_mut((struct ike_sa_table *)t, conn_id);
}

size_t ike_sa_count(const struct ike_sa_table *t)
{
	return t->count;
}

size_t ike_sa_count_in_state(const struct ike_sa_table *t, enum ike_state s)
{
	return (unsigned)s < IKE_ST_COUNT ? t->by_state[s] : 0;
}

const struct ike_global_counters *ike_sa_table_counters(const struct ike_sa_table *t)
{
	return &t->ctr;
}

struct ike_global_counters *ike_sa_table_counters_mut(struct ike_sa_table *t)
{
	return &t->ctr;
}

struct ike_sa *ike_sa_create(struct ike_sa_table *t, enum ike_role role, uint8_t exchange)
{
	struct ike_sa *sa;

	/* conn-ids are never reused while we run: refuse rather than wrap. */
	if (t->next_conn_id == UINT32_MAX)
		return NULL;
	sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return NULL;
	sa->conn_id = t->next_conn_id++;
	sa->ike_version = 1;
	sa->exchange = exchange;
	sa->role = role;
	sa->local_id.value = sa->remote_id.value = sa->peer_cert = "";
	if (exchange == ISAKMP_XCHG_AGGR)
		sa->state = role == IKE_ROLE_INITIATOR ? IKE_ST_AGGR_I1 : IKE_ST_AGGR_R0;
	else
		sa->state = role == IKE_ROLE_INITIATOR ? IKE_ST_MAIN_I1 : IKE_ST_MAIN_R0;
	ike_mono_now(&sa->created_mono);
	sa->state_entered = sa->created_mono;
	sa->created_wall = time(NULL);
	if (t->count >= t->by_id.nb)
		index_grow(t);
	sa->prev = t->tail;
	if (t->tail != NULL)
		t->tail->next = sa;
	else
		t->head = sa;
	t->tail = sa;
	t->count++;
	t->by_state[sa->state]++;
	id_link(t, sa);
	cookie_link(t, sa); /* the zero cookie until ike_sa_set_icookie() */
	host_link(t, sa);   /* no address until ike_sa_set_remote() */
	t->ctr.sas_created++;
	return sa;
}

void ike_sa_announce(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_SA_CREATED;
	ev.sa = sa;
	ev.new_state = sa->state;
	ev.new_cisco = ike_state_cisco(sa->state);
	ike_sa_table_emit(t, &ev);
}

void ike_sa_set_icookie(struct ike_sa_table *t, struct ike_sa *sa, const uint8_t icookie[8])
{
	cookie_unlink(t, sa);
	memcpy(sa->icookie, icookie, 8);
	cookie_link(t, sa);
}

void ike_sa_set_remote(struct ike_sa_table *t, struct ike_sa *sa,
                       const struct sockaddr_storage *remote)
{
	host_unlink(sa);
	sa->remote = *remote;
	host_link(t, sa);
}

struct ike_sa *ike_sa_find_host(struct ike_sa_table *t, const struct sockaddr_storage *addr,
                                const struct ike_sa *after)
{
	struct ike_sa *sa = after != NULL ? after->host_next : t->by_host.b[host_bucket(t, addr)];

	while (sa != NULL && !same_host(&sa->remote, addr))
		sa = sa->host_next;
	return sa;
}

struct ike_sa *ike_sa_find_icookie(struct ike_sa_table *t, const uint8_t icookie[8],
                                   const struct ike_sa *after)
{
	struct ike_sa *sa =
	    after != NULL ? after->ck_next : t->by_cookie.b[cookie_bucket(t, icookie)];

	while (sa != NULL && memcmp(sa->icookie, icookie, 8) != 0)
		sa = sa->ck_next;
	return sa;
}

struct ike_sa *ike_sa_find_cookies(struct ike_sa_table *t, const uint8_t icookie[8],
                                   const uint8_t rcookie[8])
{
	struct ike_sa *sa = ike_sa_find_icookie(t, icookie, NULL);

	while (sa != NULL && memcmp(sa->rcookie, rcookie, 8) != 0)
		sa = ike_sa_find_icookie(t, icookie, sa);
	return sa;
}

int ike_sa_set_state(struct ike_sa_table *t, struct ike_sa *sa, enum ike_state to)
{
	struct ike_event ev;
	enum ike_state from = sa->state;

	if (!ike_state_transition_ok(from, to)) {
		tlog(t, LOG_ERR, "conn-id %u: refused state change %s -> %s", sa->conn_id,
		     ike_state_row(from) ? ike_state_row(from)->name : "?",
		     ike_state_row(to) ? ike_state_row(to)->name : "?");
		return -1;
	}
	t->by_state[from]--;
	t->by_state[to]++;
	sa->state = to;
	ike_mono_now(&sa->state_entered);
	if (to == IKE_ST_ESTABLISHED) {
		sa->established_wall = time(NULL);
		sa->expires_wall = sa->established_wall + (time_t)sa->xf.lifetime_s;
		t->ctr.sas_established++;
	}
	if (to == IKE_ST_DELETED) {
		sa->deleted_mono = sa->state_entered;
		t->ctr.sas_deleted++;
	}

	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_STATE_CHANGED;
	ev.sa = sa;
	ev.old_state = from;
	ev.new_state = to;
	ev.old_cisco = ike_state_cisco(from);
	ev.new_cisco = ike_state_cisco(to);
	ev.cause = sa->delete_reason;
	if (ev.old_cisco != ev.new_cisco || to == IKE_ST_DELETED)
		tlog(t, LOG_INFO, "conn-id %u peer %s: %s -> %s (%s -> %s)", sa->conn_id,
		     sa->peer[0] ? sa->peer : "-", cisco_state_name(ev.old_cisco),
		     to == IKE_ST_DELETED ? "deleted" : cisco_state_name(ev.new_cisco),
		     ike_state_row(from)->name, ike_state_row(to)->name);
	else
		tlog(t, LOG_DEBUG, "conn-id %u: %s -> %s", sa->conn_id, ike_state_row(from)->name,
		     ike_state_row(to)->name);
	ike_sa_table_emit(t, &ev);
	return 0;
}

void ike_sa_fail(struct ike_sa_table *t, struct ike_sa *sa, enum ike_cause cause,
                 const char *detail)
{
	struct ike_event ev;

	sa->last_cause = cause;
	snprintf(sa->cause_detail, sizeof(sa->cause_detail), "%s", detail ? detail : "");
	if ((unsigned)cause < IKE_CAUSE_COUNT)
		t->ctr.causes[cause]++;
	/* a half-open SA's at info: a flood of first messages makes thousands (counted) */
	tlog(t, sa->on_half_open ? LOG_INFO : LOG_NOTICE,
	     "conn-id %u peer %s: %s in %s%s%s; hint: %s", sa->conn_id,
	     sa->peer[0] ? sa->peer : "-", ike_cause_info(cause)->text,
	     cisco_state_name(ike_state_cisco(sa->state)), detail && *detail ? ": " : "",
	     detail ? detail : "", ike_cause_info(cause)->hint);

	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_NEGOTIATION_FAILED;
	ev.sa = sa;
	ev.old_state = ev.new_state = sa->state;
	ev.old_cisco = ev.new_cisco = ike_state_cisco(sa->state);
	ev.cause = cause;
	ike_sa_table_emit(t, &ev);
}

void ike_sa_note_cause(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c,
                       enum ike_cause cause, const char *detail)
{
	struct ike_event ev;

	if (c != NULL) {
		c->last_cause = cause;
		snprintf(c->cause_detail, sizeof(c->cause_detail), "%s", detail ? detail : "");
	} else {
		sa->last_cause = cause;
		snprintf(sa->cause_detail, sizeof(sa->cause_detail), "%s", detail ? detail : "");
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_CAUSE_NOTED;
	ev.sa = sa;
	ev.child = c;
	ev.old_state = ev.new_state = sa->state;
	ev.old_cisco = ev.new_cisco = ike_state_cisco(sa->state);
	ev.cause = cause;
	ike_sa_table_emit(t, &ev);
}

void ike_sa_mark_deleted(struct ike_sa_table *t, struct ike_sa *sa, enum ike_cause reason)
{
	struct ike_event ev;

	if (sa->state == IKE_ST_DELETED)
		return;
	sa->delete_reason = reason;
	if (sa->state != IKE_ST_ESTABLISHED && reason != IKE_CAUSE_CLEARED &&
	    reason != IKE_CAUSE_SHUTDOWN && reason != IKE_CAUSE_CONFIG_REMOVED)
		t->ctr.sas_failed++;
	/* its phase-2 SAs go with it: nothing is left to rekey or delete them */
	for (struct ike_child *c = sa->children; c != NULL; c = c->next)
		ike_child_mark_deleted(t, sa, c, reason);
	if (ike_sa_set_state(t, sa, IKE_ST_DELETED) != 0)
		return;
	/* the SA lingers for the views; its secrets go now (its DELETE, if any, is sent) */
	if (sa->x != NULL && t->wipe_exchange != NULL)
		t->wipe_exchange(sa->x);
	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_SA_DELETED;
	ev.sa = sa;
	ev.new_state = IKE_ST_DELETED;
	ev.new_cisco = ike_state_cisco(IKE_ST_DELETED);
	ev.cause = reason;
	ike_sa_table_emit(t, &ev);
}

void ike_sa_remove(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_SA_REMOVED;
	ev.sa = sa;
	ev.old_state = ev.new_state = sa->state;
	ike_sa_table_emit(t, &ev);

	if (sa->prev != NULL)
		sa->prev->next = sa->next;
	else
		t->head = sa->next;
	if (sa->next != NULL)
		sa->next->prev = sa->prev;
	else
		t->tail = sa->prev;
	id_unlink(t, sa);
	cookie_unlink(t, sa);
	host_unlink(sa);
	t->by_state[sa->state]--;
	t->count--;
	sa_free(t, sa);
}

double ike_sa_seconds_in_state(const struct ike_sa *sa, const struct timespec *now)
{
	double s = (double)(now->tv_sec - sa->state_entered.tv_sec) +
	           (double)(now->tv_nsec - sa->state_entered.tv_nsec) / 1e9;

	return s < 0 ? 0 : s;
}
