/*
 * half_open.c - responder SAs that have had only the peer's first message.
 *
 * A Main Mode responder cannot be stateless: HASH_R covers the initiator's SA payload,
 * which only MM1 carries, so MM1 must leave something behind.  What it leaves is kept
 * small (no key exchange state: main_mode.c allocates only the head of the exchange,
 * and no Diffie-Hellman is done before MM3), and bounded:
 *
 *   max_half_open             half-open SAs in all; at the cap the oldest is dropped
 *                             for the new one (its peer, if real, has had the most time
 *                             to send MM3, and a flood cannot lock new peers out for
 *                             longer than it takes to refill the cap)
 *   max_half_open_per_source  from one address (port ignored); over it, the new first
 *                             message is refused: one address (a NAT at most) never
 *                             needs that many negotiations at once
 *   half_open_timeout         how long one waits for MM3 (AM3) at most
 *
 * A half-open SA is a responder SA at MAIN_R0/R1 or AGGR_R0/R1, or one that failed there
 * and lingers (DELETED: a refused MM1 stays visible with its cause, and within the cap).
 * It leaves the list when it moves on or is removed.  Established SAs and those we
 * initiate are never on it, so they are never dropped.  Dropped SAs are removed from the
 * table at once (no linger: lingering records would escape the cap), and counted by
 * reason; one that timed out has also failed (its cause is in the failure history).
 *
 * The per-source counts are a hash of addresses (chained, keyed with a random secret so
 * that a peer cannot aim its addresses at one chain, growing with the number of sources).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "exchange.h"

struct ho_src {
	struct ho_src *next;
	uint32_t n;  /* half-open SAs from this address */
	uint8_t len; /* 4 or 16 */
	uint8_t a[16];
};

#define HO_MIN_BUCKETS 64

/* The address bytes of remote (port ignored); 0 for another family. */
static size_t addr_key(const struct sockaddr *remote, uint8_t a[16])
{
	if (remote->sa_family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)remote)->sin_addr, 4);
		return 4;
	}
	if (remote->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)remote)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

static size_t src_bucket(const struct engine_half_open *h, const uint8_t *a, size_t len)
{
	uint64_t lo = 0, hi = 0;

	memcpy(&lo, a, len < 8 ? len : 8);
	if (len > 8)
		memcpy(&hi, a + 8, len - 8);
	return (size_t)(ike_mix64(ike_mix64(lo ^ h->key) ^ hi ^ len) & (h->nb - 1));
}

static struct ho_src **src_find(struct engine_half_open *h, const uint8_t *a, size_t len)
{
	struct ho_src **pp = &h->b[src_bucket(h, a, len)];

	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->len == len && memcmp((*pp)->a, a, len) == 0)
			break;
	return pp;
}

/* Twice the buckets; out of memory keeps the old ones (longer chains, still right). */
static void src_grow(struct engine_half_open *h)
{
	size_t nb = h->nb * 2, old = h->nb;
	struct ho_src **b = calloc(nb, sizeof(*b)), **ob = h->b;

	if (b == NULL)
		return;
	h->b = b;
	h->nb = nb;
	for (size_t i = 0; i < old; i++)
		for (struct ho_src *s = ob[i], *next; s != NULL; s = next) {
			struct ho_src **pp = &b[src_bucket(h, s->a, s->len)];

			next = s->next;
			s->next = *pp;
			*pp = s;
		}
	free(ob);
}

static int index_ready(struct engine_half_open *h)
{
	if (h->b != NULL)
		return 0;
	if (getrandom(&h->key, sizeof(h->key), 0) != sizeof(h->key))
		h->key = (uint64_t)(uintptr_t)h ^ 0x9e3779b97f4a7c15ULL;
	h->b = calloc(HO_MIN_BUCKETS, sizeof(*h->b));
	if (h->b == NULL)
		return -1;
	h->nb = HO_MIN_BUCKETS;
	return 0;
}

static uint32_t src_count(struct engine_half_open *h, const struct sockaddr *remote)
{
	uint8_t a[16];
	size_t len = addr_key(remote, a);
	struct ho_src *s;

	if (len == 0 || h->b == NULL)
		return 0;
	s = *src_find(h, a, len);
	return s != NULL ? s->n : 0;
}

/* One more SA from remote: its source's entry (made when new), or NULL (not counted:
 * another family, or out of memory). */
static struct ho_src *src_hold(struct engine_half_open *h, const struct sockaddr *remote)
{
	uint8_t a[16];
	size_t len = addr_key(remote, a);
	struct ho_src **pp, *s;

	if (len == 0 || index_ready(h) != 0)
		return NULL;
	pp = src_find(h, a, len);
	s = *pp;
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return NULL;
		s->len = (uint8_t)len;
		memcpy(s->a, a, len);
		s->next = *pp;
		*pp = s;
		if (++h->n_src > h->nb)
			src_grow(h);
	}
	s->n++;
	return s;
}

/* One fewer SA from the source s (the entry an SA held, whatever its address became
 * since: a peer that floats moves sa->remote); freed at zero. */
static void src_release(struct engine_half_open *h, struct ho_src *s)
{
	struct ho_src **pp;

	if (s == NULL || --s->n != 0)
		return;
	pp = src_find(h, s->a, s->len);
	if (*pp == s)
		*pp = s->next;
	free(s);
	h->n_src--;
}

static bool half_open_state(enum ike_state s)
{
	return s == IKE_ST_MAIN_R0 || s == IKE_ST_MAIN_R1 || s == IKE_ST_AGGR_R0 ||
	       s == IKE_ST_AGGR_R1;
}

static void unlink_sa(struct ike_engine *e, struct ike_sa *sa)
{
	struct engine_half_open *h = &e->half_open;

	if (!sa->on_half_open)
		return;
	if (sa->ho_prev != NULL)
		sa->ho_prev->ho_next = sa->ho_next;
	else
		h->head = sa->ho_next;
	if (sa->ho_next != NULL)
		sa->ho_next->ho_prev = sa->ho_prev;
	else
		h->tail = sa->ho_prev;
	sa->ho_prev = sa->ho_next = NULL;
	sa->on_half_open = false;
	h->n--;
	src_release(h, sa->ho_src);
	sa->ho_src = NULL;
	ike_sa_table_counters_mut(e->sas)->half_open = h->n;
}

bool engine_half_open_admit(struct ike_engine *e, const struct sockaddr *remote)
{
	struct engine_half_open *h = &e->half_open;
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	uint32_t max = e->settings.max_half_open, per = e->settings.max_half_open_per_source;

	if (per != 0 && src_count(h, remote) >= per) {
		g->half_open_dropped_per_source++;
		return false;
	}
	/* oldest first; a lowered cap (reload) is enforced here, one new SA at a time */
	while (max != 0 && h->n >= max && h->head != NULL) {
		struct ike_sa *old = h->head;

		g->half_open_dropped_limit++;
		engine_log(e, IKE_LOG_DEBUG,
		           "conn-id %u peer %s: half-open SA dropped for a new one "
		           "(max_half_open %u)",
		           old->conn_id, old->peer, max);
		ike_sa_remove(e->sas, old);
	}
	return true;
}

void engine_half_open_add(struct ike_engine *e, struct ike_sa *sa)
{
	struct engine_half_open *h = &e->half_open;

	if (sa->on_half_open || sa->role != IKE_ROLE_RESPONDER || !half_open_state(sa->state))
		return;
	sa->ho_next = NULL;
	sa->ho_prev = h->tail;
	if (h->tail != NULL)
		h->tail->ho_next = sa;
	else
		h->head = sa;
	h->tail = sa;
	sa->on_half_open = true;
	h->n++;
	sa->ho_src = src_hold(h, (const struct sockaddr *)&sa->remote);
	ike_sa_table_counters_mut(e->sas)->half_open = h->n;
}

void engine_half_open_event(struct ike_engine *e, const struct ike_event *ev)
{
	struct ike_sa *sa = (struct ike_sa *)ev->sa; /* the engine's own SA */

	if (sa == NULL || !sa->on_half_open)
		return;
	if (ev->type == IKE_EV_SA_REMOVED ||
	    (ev->type == IKE_EV_STATE_CHANGED && !half_open_state(ev->new_state) &&
	     ev->new_state != IKE_ST_DELETED))
		unlink_sa(e, sa);
}

void engine_half_open_expired(struct ike_engine *e, struct ike_sa *sa)
{
	if (!sa->on_half_open)
		return;
	ike_sa_table_counters_mut(e->sas)->half_open_dropped_timeout++;
	ike_sa_remove(e->sas, sa);
}

uint64_t engine_half_open_wait_ms(const struct ike_engine *e, const struct ike_sa *sa,
                                  uint64_t span_ms)
{
	uint64_t t = (uint64_t)e->settings.half_open_timeout_s * 1000;

	/* only the wait after our answer to the first message (sent while still at R0) */
	bool first = sa->state == IKE_ST_MAIN_R0 || sa->state == IKE_ST_AGGR_R0;

	return sa->on_half_open && first && t != 0 && t < span_ms ? t : span_ms;
}

void engine_half_open_free(struct ike_engine *e)
{
	struct engine_half_open *h = &e->half_open;

	for (size_t i = 0; i < h->nb; i++)
		for (struct ho_src *s = h->b[i], *next; s != NULL; s = next) {
			next = s->next;
			free(s);
		}
	free(h->b);
	memset(h, 0, sizeof(*h));
}
