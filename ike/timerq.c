/*
 * timerq.c - the deadline queue (see timerq.h): an array-backed binary min-heap of
 * pointers to timers, each timer remembering its slot so that it can be moved or taken
 * out from the middle in O(log n).
 *
 * Why a heap and not a timer wheel: the deadlines here span milliseconds (retransmissions)
 * to a day (lifetimes), the number of timers is that of the SAs (100,000 at most), and
 * the loop asks for the earliest deadline on every turn.  A heap answers that in O(1) and
 * costs about 17 comparisons per change at 100,000 timers, with no tick to run while
 * idle; a wheel would need levels (or cascading) to cover the span for no gain at this
 * size.
 */
#include <stdlib.h>

#include "timerq.h"

#define TIMERQ_MIN_CAP 64

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec;
	return a->tv_nsec < b->tv_nsec;
}

static bool earlier(const struct ike_timer *a, const struct ike_timer *b)
{
	return ts_before(&a->at, &b->at);
}

static void place(struct ike_timerq *q, size_t i, struct ike_timer *t)
{
	q->heap[i] = t;
	t->slot = i + 1;
}

/* Move the timer at i towards the root while it is earlier than its parent. */
static void sift_up(struct ike_timerq *q, size_t i)
{
	struct ike_timer *t = q->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!earlier(t, q->heap[parent]))
			break;
		place(q, i, q->heap[parent]);
		i = parent;
	}
	place(q, i, t);
}

/* Move the timer at i towards the leaves while a child is earlier. */
static void sift_down(struct ike_timerq *q, size_t i)
{
	struct ike_timer *t = q->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= q->n)
			break;
		if (child + 1 < q->n && earlier(q->heap[child + 1], q->heap[child]))
			child++;
		if (!earlier(q->heap[child], t))
			break;
		place(q, i, q->heap[child]);
		i = child;
	}
	place(q, i, t);
}

void ike_timerq_init(struct ike_timerq *q)
{
	q->heap = NULL;
	q->n = q->cap = 0;
}

void ike_timerq_free(struct ike_timerq *q)
{
	free(q->heap);
	ike_timerq_init(q);
}

static int grow(struct ike_timerq *q)
{
	size_t cap = q->cap ? q->cap * 2 : TIMERQ_MIN_CAP;
	struct ike_timer **h;

	if (cap < q->cap || cap > SIZE_MAX / sizeof(*h))
		return -1;
	h = realloc(q->heap, cap * sizeof(*h));
	if (h == NULL)
		return -1;
	q->heap = h;
	q->cap = cap;
	return 0;
}

int ike_timerq_set(struct ike_timerq *q, struct ike_timer *t, const struct timespec *at)
{
	size_t i;

	if (ike_timer_queued(t)) {
		bool up = ts_before(at, &t->at);

		t->at = *at;
		if (up)
			sift_up(q, t->slot - 1);
		else
			sift_down(q, t->slot - 1);
		return 0;
	}
	if (q->n == q->cap && grow(q) != 0)
		return -1;
	t->at = *at;
	i = q->n++;
	place(q, i, t);
	sift_up(q, i);
	return 0;
}

void ike_timerq_remove(struct ike_timerq *q, struct ike_timer *t)
{
	size_t i;
	struct ike_timer *last;

	if (!ike_timer_queued(t))
		return;
	i = t->slot - 1;
	t->slot = 0;
	last = q->heap[--q->n];
	if (i == q->n)
		return;
	/* the last timer fills the hole, then finds its place either way */
	place(q, i, last);
	if (i > 0 && earlier(last, q->heap[(i - 1) / 2]))
		sift_up(q, i);
	else
		sift_down(q, i);
}

struct ike_timer *ike_timerq_first(const struct ike_timerq *q)
{
	return q->n > 0 ? q->heap[0] : NULL;
}

struct ike_timer *ike_timerq_pop(struct ike_timerq *q)
{
	struct ike_timer *t = ike_timerq_first(q);

	if (t != NULL)
		ike_timerq_remove(q, t);
	return t;
}

size_t ike_timerq_count(const struct ike_timerq *q)
{
	return q->n;
}

void ike_timerq_clear(struct ike_timerq *q)
{
	for (size_t i = 0; i < q->n; i++)
		q->heap[i]->slot = 0;
	q->n = 0;
}
