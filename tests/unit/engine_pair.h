/*
 * engine_pair.h - two real IKE engines talking in memory: side 0 (127.0.0.1:500) and
 * side 1 (127.0.0.2:500), each configured for the other (Main Mode with a pre-shared
 * key, one tunnel-mode phase-2 SA between 10.0.0.0/24 behind side 0 and 10.1.0.0/24
 * behind side 1), whose datagrams go through a queue instead of a network.  The caller
 * starts a negotiation (ike_engine_initiate) and delivers the queued datagrams, all at
 * once or one by one.
 *
 * Used by tests/unit/test_peer_stats.c and by the fuzzing harness tests/fuzz/scene.c
 * (built by clang with its own flags): no check library here, errors are returned.
 */
#ifndef TESTS_UNIT_ENGINE_PAIR_H
#define TESTS_UNIT_ENGINE_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike/engine.h"

#define EP_QUEUE_MAX 64 /* datagrams in flight; more are lost, as on a network */

/*
 * Told of each datagram side `from` sends, before it is queued; returning true keeps it
 * off the queue (the caller has dealt with it).
 */
typedef bool (*ep_tap_fn)(void *ctx, int from, const uint8_t *buf, size_t len);

/* How the two sides are configured. */
struct ep_config {
	const char *psk;
	const char *ike;     /* phase-1 proposals, ike_proposals_parse's syntax */
	const char *esp;     /* phase-2 proposals, ike_esp_proposals_parse's syntax */
	const char *name[2]; /* the name side i gives its peer, the other side */
	ep_tap_fn tap;       /* NULL: every datagram is queued */
	void *tap_ctx;
	/* Diffie-Hellman worker threads per side; 0: DH runs inline, as the fuzzers need
	 * (the environment's EP_DH_WORKERS, when set, overrides 0) */
	unsigned dh_workers;
	unsigned dh_max_jobs; /* with workers: DH jobs out at most per side (0: the default) */
};

struct ep_dgram {
	int to; /* the side it goes to */
	uint8_t *buf;
	size_t len;
};

struct ep_side {
	struct engine_pair *pair;
	int id;
	struct ike_engine *e;
	struct sockaddr_storage addr;
	struct ike_peer_cfg cfg; /* its one peer: the other side */
};

struct engine_pair {
	struct ep_side side[2];
	struct ep_dgram q[EP_QUEUE_MAX];
	size_t head, len;
	ep_tap_fn tap;
	void *tap_ctx;
};

/* Both engines, side 0's made first.  0, or -1 (engine_pair_free() what was made). */
int engine_pair_init(struct engine_pair *pr, const struct ep_config *c);

/* The engines and the datagrams still queued; pr may be initialised again. */
void engine_pair_free(struct engine_pair *pr);

/* Take the next queued datagram (the caller frees d->buf); false when none is queued.
 * With none queued and DH jobs out, their results are waited for first (what they send
 * is queued), so that a test stepping through an exchange sees what it would inline. */
bool engine_pair_pop(struct engine_pair *pr, struct ep_dgram *d);

/* Give side `to` a datagram as if the other side had sent it. */
void engine_pair_input(struct engine_pair *pr, int to, const uint8_t *buf, size_t len);

/*
 * Deliver queued datagrams, and those they cause, until the queue is empty and no DH job
 * is out (results are waited for, up to EP_DH_WAIT_MS each).  Returns how many were
 * delivered, or -1 when there were more than max (the sides never settle) or a DH result
 * did not come.
 */
#define EP_DH_WAIT_MS 10000
int engine_pair_run(struct engine_pair *pr, int max);

/*
 * With DH workers: wait for the DH jobs out on either side and resume their exchanges
 * (their messages are queued).  0, or -1 when a result did not come in EP_DH_WAIT_MS.
 */
int engine_pair_dh_settle(struct engine_pair *pr);

#endif /* TESTS_UNIT_ENGINE_PAIR_H */
