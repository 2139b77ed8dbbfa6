/*
 * failhist.h - the last N negotiation failures (phase 1 and phase 2), for the MIB's
 * ikemonFailHistTable and the ikemonNegotiationFailed notification.
 *
 * It subscribes to the engine's IKE_EV_NEGOTIATION_FAILED and IKE_EV_CHILD_FAILED events
 * and keeps a ring of at most max entries, each with an index that increases by one per
 * failure (1, 2, ...) and is never reused while ikemond runs.  Subscribers hear of each
 * new entry after it is stored, so a notification can name its index.  Single-threaded.
 * The engine cannot withdraw a subscription: free the history after the engine.
 */
#ifndef AGENT_FAILHIST_H
#define AGENT_FAILHIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "ike/causes.h"
#include "ike/engine.h"
#include "ike/state.h"

#define FAILHIST_DEFAULT_MAX 100
#define FAILHIST_MAX_MAX     100000

struct failhist_entry {
	uint32_t index; /* 1, 2, ... */
	time_t when;    /* wall clock */
	char peer[IKE_PEER_NAME_MAX + 1];
	uint32_t conn_id;
	struct sockaddr_storage remote;
	enum cisco_state state; /* reached; CISCO_QM_IDLE for a phase-2 failure */
	uint8_t phase;          /* 1 or 2 */
	uint32_t child_index;   /* phase 2: the Quick Mode's index; else 0 */
	enum ike_cause cause;
	char detail[64];
};

struct failhist;

typedef void (*failhist_fn)(void *ctx, const struct failhist_entry *e);

/* NULL on out of memory or when the engine's table has no room for another subscriber. */
struct failhist *failhist_new(struct ike_engine *e, size_t max);
void failhist_free(struct failhist *h);
/* Keep at most max entries from now on (the oldest go first). */
void failhist_set_max(struct failhist *h, size_t max);
size_t failhist_max(const struct failhist *h);
/* Subscribe to new entries (up to 4 subscribers). 0 or -1. */
int failhist_subscribe(struct failhist *h, failhist_fn fn, void *ctx);

/* Entries held, and the i-th oldest (0 = oldest; NULL past the end).  O(1). */
size_t failhist_count(const struct failhist *h);
const struct failhist_entry *failhist_at(const struct failhist *h, size_t i);
/* The entry with this index, or NULL (dropped or never made).  O(1). */
const struct failhist_entry *failhist_by_index(const struct failhist *h, uint32_t index);

#endif /* AGENT_FAILHIST_H */
