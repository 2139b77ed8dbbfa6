/*
 * timerq.h - a queue of deadlines: a binary min-heap of timers embedded in the objects
 * they belong to (an SA, a phase-2 SA, a peer, a stall track).
 *
 * A timer is queued at most once; setting a queued timer moves it.  The earliest is
 * read in O(1); setting, moving and removing one cost O(log n); nothing is walked.  The
 * queue does not own the timers: an object leaves the queue (ike_timerq_remove) before
 * it is freed.  The queue only grows (doubling); ike_timerq_set fails only when memory
 * runs out, and leaves the timer out of the queue then.  Single-threaded.
 */
#ifndef IKE_TIMERQ_H
#define IKE_TIMERQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ike_timer {
	struct timespec at; /* CLOCK_MONOTONIC deadline, while queued */
	size_t slot;        /* position in the heap + 1; 0 = not queued */
	uint8_t kind;       /* what the timer belongs to: the queue's user decides */
};

struct ike_timerq {
	struct ike_timer **heap; /* heap[0] is the earliest */
	size_t n, cap;
};

void ike_timerq_init(struct ike_timerq *q);
/* Frees the heap; the timers themselves belong to their objects. */
void ike_timerq_free(struct ike_timerq *q);

static inline bool ike_timer_queued(const struct ike_timer *t)
{
	return t->slot != 0;
}

/* Queue t for at, or move it there.  0, or -1 (out of memory: t is not queued). */
int ike_timerq_set(struct ike_timerq *q, struct ike_timer *t, const struct timespec *at);
/* Take t out of the queue (nothing when it is not queued). */
void ike_timerq_remove(struct ike_timerq *q, struct ike_timer *t);
/* The earliest timer, or NULL when the queue is empty. */
struct ike_timer *ike_timerq_first(const struct ike_timerq *q);
/* Take the earliest timer out of the queue and return it; NULL when empty. */
struct ike_timer *ike_timerq_pop(struct ike_timerq *q);
size_t ike_timerq_count(const struct ike_timerq *q);
/* Take every timer out (they are told: slot 0), keeping the memory. */
void ike_timerq_clear(struct ike_timerq *q);

#endif /* IKE_TIMERQ_H */
