/*
 * failhist.c - the last N negotiation failures, phase 1 and phase 2 (failhist.h).
 *
 * A ring that grows on demand up to its bound (a bound of 100,000 costs nothing until
 * that many failures happened), oldest entry first.  Indexes are consecutive, so the
 * entry with an index is found by arithmetic: the MIB's GET and GETNEXT cost O(1).
 * Entries are filled from the engine's events (the SA or child is read while the event
 * runs; nothing keeps a pointer to it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/failhist.h"

#define MAX_SUBSCRIBERS 4

struct failhist {
	struct failhist_entry *ring; /* cap slots; count of them used from head on */
	size_t cap, head, count;
	size_t max;          /* the bound in force */
	uint32_t next_index; /* of the next failure; 0 once 2^32-1 were made */
	struct {
		failhist_fn fn;
		void *ctx;
	} subs[MAX_SUBSCRIBERS];
	size_t n_subs;
};

static struct failhist_entry *slot(const struct failhist *h, size_t i)
{
	return &h->ring[(h->head + i) % h->cap];
}

/* A ring of cap slots holding the newest min(count, cap) entries from head 0. */
static int resize(struct failhist *h, size_t cap)
{
	struct failhist_entry *ring = NULL;
	size_t keep = h->count < cap ? h->count : cap;

	if (cap > 0 && (ring = calloc(cap, sizeof(*ring))) == NULL)
		return -1;
	for (size_t i = 0; i < keep; i++)
		ring[i] = *slot(h, h->count - keep + i);
	free(h->ring);
	h->ring = ring;
	h->cap = cap;
	h->head = 0;
	h->count = keep;
	return 0;
}

/* Room for one more entry: grow (doubling, up to max) or drop the oldest. */
static struct failhist_entry *make_room(struct failhist *h)
{
	if (h->max == 0)
		return NULL;
	while (h->count > 0 && h->count >= h->max) {
		h->head = (h->head + 1) % h->cap;
		h->count--;
	}
	if (h->count == h->cap) {
		size_t cap = h->cap < 16 ? 16 : h->cap * 2;

		if (cap > h->max)
			cap = h->max;
		if (resize(h, cap) != 0 && h->cap == 0)
			return NULL;
		if (h->count == h->cap) { /* out of memory: the oldest goes instead */
			h->head = (h->head + 1) % h->cap;
			h->count--;
		}
	}
	h->count++;
	return slot(h, h->count - 1);
}

static void notify(struct failhist *h, const struct failhist_entry *e)
{
	for (size_t i = 0; i < h->n_subs; i++)
		h->subs[i].fn(h->subs[i].ctx, e);
}

static void record(struct failhist *h, struct failhist_entry *e)
{
	struct failhist_entry *stored;

	if (h->next_index == 0)
		return; /* 2^32-1 failures: the index would repeat */
	e->index = h->next_index;
	h->next_index = h->next_index == UINT32_MAX ? 0 : h->next_index + 1;
	stored = make_room(h);
	if (stored == NULL) { /* nothing kept (max 0): subscribers still hear of it */
		notify(h, e);
		return;
	}
	*stored = *e;
	notify(h, stored);
}

static void on_event(void *ctx, const struct ike_event *ev)
{
	struct failhist *h = ctx;
	struct failhist_entry e;

	if (ev->type != IKE_EV_NEGOTIATION_FAILED && ev->type != IKE_EV_CHILD_FAILED)
		return;
	memset(&e, 0, sizeof(e));
	e.when = time(NULL);
	snprintf(e.peer, sizeof(e.peer), "%s", ev->sa->peer);
	e.conn_id = ev->sa->conn_id;
	e.remote = ev->sa->remote;
	e.cause = ev->cause;
	if (ev->type == IKE_EV_CHILD_FAILED && ev->child != NULL) {
		e.state = CISCO_QM_IDLE;
		e.phase = 2;
		e.child_index = ev->child->index;
		snprintf(e.detail, sizeof(e.detail), "%s", ev->child->cause_detail);
	} else {
		e.state = ike_state_cisco(ev->sa->state);
		e.phase = 1;
		snprintf(e.detail, sizeof(e.detail), "%s", ev->sa->cause_detail);
	}
	record(h, &e);
}

struct failhist *failhist_new(struct ike_engine *e, size_t max)
{
	struct failhist *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->max = max > FAILHIST_MAX_MAX ? FAILHIST_MAX_MAX : max;
	h->next_index = 1;
	if (e != NULL && ike_sa_table_subscribe(ike_engine_sas(e), on_event, h) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

void failhist_free(struct failhist *h)
{
	if (h == NULL)
		return;
	free(h->ring);
	free(h);
}

void failhist_set_max(struct failhist *h, size_t max)
{
	if (max > FAILHIST_MAX_MAX)
		max = FAILHIST_MAX_MAX;
	h->max = max;
	if (h->count > max) {
		/* shrink to what is kept; without memory, drop the oldest in place */
		if (resize(h, max) != 0) {
			h->head = (h->head + h->count - max) % h->cap;
			h->count = max;
		}
	}
}

size_t failhist_max(const struct failhist *h)
{
	return h->max;
}

int failhist_subscribe(struct failhist *h, failhist_fn fn, void *ctx)
{
	if (fn == NULL || h->n_subs >= MAX_SUBSCRIBERS)
		return -1;
	h->subs[h->n_subs].fn = fn;
	h->subs[h->n_subs].ctx = ctx;
	h->n_subs++;
	return 0;
}

size_t failhist_count(const struct failhist *h)
{
	return h->count;
}

const struct failhist_entry *failhist_at(const struct failhist *h, size_t i)
{
	return i < h->count ? slot(h, i) : NULL;
}

const struct failhist_entry *failhist_by_index(const struct failhist *h, uint32_t index)
{
	uint32_t first;

	if (h->count == 0)
		return NULL;
	first = slot(h, 0)->index;
	if (index < first || index - first >= h->count)
		return NULL;
	return slot(h, index - first);
}
