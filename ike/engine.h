/*
 * engine.h - the IKE engine as the agent sees it.
 *
 * The engine owns the SA table and the peers' configuration.  It does no I/O of its own:
 * the agent hands it datagrams (with the local address they arrived on), it hands back
 * datagrams to send through the send callback, and the agent runs its timers.  It knows
 * nothing of SNMP, HTTP or the CLI.  Single-threaded: call it from the event loop only
 * (its Diffie-Hellman workers, when it has some, hand their results to that loop through
 * ike_engine_dh_fd() and touch nothing else).
 */
#ifndef IKE_ENGINE_H
#define IKE_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "peer.h"
#include "sa.h"

struct ike_engine;

enum ike_log_level {
	IKE_LOG_ERR = 3,
	IKE_LOG_WARNING = 4,
	IKE_LOG_NOTICE = 5,
	IKE_LOG_INFO = 6,
	IKE_LOG_DEBUG = 7
};

struct ike_engine_ops {
	/* Send a datagram from local (address and port) to remote. Returns 0 or -1. */
	int (*send)(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
	            const uint8_t *buf, size_t len);
	/* The local address (port included) to initiate to remote from. Returns 0 or -1. */
	int (*source_for)(void *ctx, const struct sockaddr *remote, struct sockaddr_storage *local);
	/* The NAT-T port (4500) paired with a local address's IKE socket, 0 when none. */
	uint16_t (*natt_port)(void *ctx, const struct sockaddr *local);
	/* Log a line (no newline). Never passed a secret. May be NULL. */
	void (*log)(void *ctx, enum ike_log_level level, const char *msg);
};

struct ike_engine *ike_engine_new(const struct ike_engine_ops *ops, void *ctx,
                                  const struct ike_settings *settings);
void ike_engine_free(struct ike_engine *e);

/* Tests only: every engine's monotonic clock runs ms ahead from now on (cumulative). */
void ike_engine_clock_advance_ms(uint64_t ms);

/* The SA table, for views (read through the const API in sa.h) and event subscription. */
struct ike_sa_table *ike_engine_sas(struct ike_engine *e);

/*
 * Replace the configured peers (at start and on reload).  SAs of peers whose config did
 * not change are kept; SAs of removed or changed peers are deleted (DELETE sent), and
 * auto=start peers without a live SA are initiated.  The engine copies what it needs.
 */
int ike_engine_set_peers(struct ike_engine *e, const struct ike_peer_cfg *peers, size_t n);
void ike_engine_set_settings(struct ike_engine *e, const struct ike_settings *s);

/* Configured peers (the engine's copy): how many, and the i-th (NULL past the end). */
size_t ike_engine_peer_count(const struct ike_engine *e);
const struct ike_peer_cfg *ike_engine_peer(const struct ike_engine *e, size_t i);

/*
 * A configured peer's counters, kept by the engine across its SAs: they survive rekeys,
 * retries and the removal of SAs from the table, and restart (since_wall) only when the
 * peer is added, or changed by a reload.  traffic sums the SAs removed from the table
 * and those in it now.
 */
struct ike_peer_stats {
	uint64_t attempts;    /* IKE SAs made for the peer, either role */
	uint64_t established; /* times an SA of it reached QM_IDLE */
	uint64_t failed;      /* negotiation failures, phase 1 and 2 */
	uint64_t failures[IKE_CAUSE_COUNT];
	uint64_t children_failed;                 /* of failed, those of phase 2 */
	uint64_t child_failures[IKE_CAUSE_COUNT]; /* of failures, those of phase 2 */
	uint64_t children_established;            /* phase-2 SAs installed */
	uint64_t rekeys_ike;    /* IKE SAs that reached QM_IDLE while an older one was up */
	uint64_t rekeys_ipsec;  /* phase-2 SAs installed while one of the same pair was up */
	uint64_t rekeys_failed; /* negotiations started to rekey that failed (either phase) */
	struct ike_sa_counters traffic;
	time_t since_wall; /* when these counters started */
};

/* What a configured peer looks like now, for the views. */
struct ike_peer_status {
	const struct ike_peer_cfg *cfg;
	const struct ike_sa *ike; /* its newest live IKE SA, or NULL */
	size_t children_wanted;   /* configured (local_ts x remote_ts) */
	size_t children_up;       /* of those, with an INSTALLED phase-2 SA (during a rekey,
	                             under the old IKE SA or the new one) */
	bool up;                  /* ike at QM_IDLE and every wanted child up */
	size_t n_sas;             /* its SAs in the table (deleted ones lingering included) */
	size_t ipsec_sas;         /* INSTALLED phase-2 SAs of all its live IKE SAs */
	struct ike_peer_stats stats;
};

/* Index of the configured peer with this name, or -1.  O(1). */
long ike_engine_peer_find(const struct ike_engine *e, const char *name);

/* Bumped by every ike_engine_set_peers(): views that cache peer indexes rebuild on change. */
uint64_t ike_engine_peers_generation(const struct ike_engine *e);

/*
 * The same counters for the SAs no configured peer owns: those whose peer left the
 * configuration or changed since they were made (and any made for an unknown name).
 * since_wall is when the engine started.  In time proportional to those SAs.
 */
void ike_engine_orphan_stats(const struct ike_engine *e, struct ike_peer_stats *st);

/* Phase-2 SAs a peer's configuration asks for (local_ts x remote_ts; 0 without). */
size_t ike_peer_children_wanted(const struct ike_peer_cfg *p);

/*
 * The i-th configured peer's newest live SA and its newest SA at QM_IDLE (NULL when it
 * has none), in O(1) however many SAs it has; -1 past the end.
 */
int ike_engine_peer_sas(const struct ike_engine *e, size_t i, const struct ike_sa **live,
                        const struct ike_sa **established);

/*
 * The i-th configured peer's configured phase-2 SAs that are installed under its newest
 * SA at QM_IDLE or, during a rekey, under the one that SA replaces; 0 past the end.
 */
size_t ike_engine_peer_children_up(const struct ike_engine *e, size_t i);

/* Status of the i-th configured peer, in time proportional to its own SAs; -1 past the end. */
int ike_engine_peer_status(struct ike_engine *e, size_t i, struct ike_peer_status *st);

/*
 * The same in O(1), for a view that walks the SA table itself in slices (the exporter):
 * stats.traffic holds only what the peer's SAs removed from the table sent and received,
 * ipsec_sas is 0; a view adds the live SAs' traffic and phase-2 SAs it finds (see
 * ike_engine_sa_peer).  ike_engine_orphan_retired: the orphans' counters likewise.
 */
int ike_engine_peer_status_retired(struct ike_engine *e, size_t i, struct ike_peer_status *st);
void ike_engine_orphan_retired(const struct ike_engine *e, struct ike_peer_stats *st);

/*
 * Whose counters an SA in the table adds to: the index of its configured peer, the peer
 * count for the orphans, or -1 (an SA no longer in the table).  O(1).
 */
long ike_engine_sa_peer(const struct ike_engine *e, const struct ike_sa *sa);

/* to += from, counter by counter. */
void ike_sa_counters_add(struct ike_sa_counters *to, const struct ike_sa_counters *from);

/* An SA's phase-2 SAs in state INSTALLED. */
size_t ike_sa_children_installed(const struct ike_sa *sa);

/* A datagram arrived on local from remote. */
void ike_engine_input(struct ike_engine *e, const struct sockaddr *local,
                      const struct sockaddr *remote, const uint8_t *buf, size_t len);

/*
 * Milliseconds until the next timer is due (0 = now), or -1 when none is pending.  O(1)
 * (plus O(log n) for each SA changed since the last call): ask on every loop turn.
 */
int64_t ike_engine_next_timeout_ms(struct ike_engine *e);
/* Run the timers that are due: O(k log n) for k due. */
void ike_engine_run_timers(struct ike_engine *e);

/*
 * Diffie-Hellman on worker threads (settings.dh_workers > 0 when the engine was made):
 * the descriptor to poll for POLLIN, or -1 when DH runs on the loop.
 */
int ike_engine_dh_fd(const struct ike_engine *e);
/* Take the finished DH jobs and resume their exchanges: when the descriptor is readable. */
void ike_engine_dh_run(struct ike_engine *e);
/* DH jobs posted whose results were not taken yet (0 without workers). */
size_t ike_engine_dh_pending(struct ike_engine *e);
/* Results dropped because their SA was deleted, replaced or had moved on. */
uint64_t ike_engine_dh_stale(const struct ike_engine *e);

/* The worker pool's counters since the engine was made (all 0 with dh_workers = 0). */
struct ike_dh_stats {
	uint32_t workers; /* threads */
	uint64_t done;    /* results that resumed their exchange */
	uint64_t stale;   /* results dropped (ike_engine_dh_stale) */
	uint64_t refused; /* jobs the full pool refused (the message dropped, retransmitted) */
	size_t queued;    /* posted and not taken back yet */
};
void ike_engine_dh_stats(struct ike_engine *e, struct ike_dh_stats *out);

/*
 * Start Main Mode with a configured peer, or, when it has an IKE SA at QM_IDLE already,
 * the Quick Modes of its missing children.  Returns the conn-id, or -1 (no such peer /
 * no address).
 */
long ike_engine_initiate(struct ike_engine *e, const char *peer);

/*
 * When to rekey an SA of lifetime_s seconds, in ms after it was made (no RFC says when:
 * Libreswan's and strongSwan's margin and fuzz, ike/rekey.c): the initiator of
 * the SA at lifetime - margin - fuzz, fuzz drawn from rnd in [0, margin * fuzz_pct / 100];
 * the responder, as a fallback, at lifetime - margin / 2.  The margin is clamped to a
 * third of the lifetime and the fuzz to a third too, so that a short lifetime still
 * rekeys at a third of it at the earliest and before it runs out.
 */
uint64_t ike_rekey_after_ms(uint32_t lifetime_s, uint32_t margin_s, uint32_t fuzz_pct,
                            bool initiator, uint32_t rnd);

/* Delete an SA (sends DELETE when established). Returns 0, -1 when no such SA. */
int ike_engine_delete(struct ike_engine *e, uint32_t conn_id, enum ike_cause reason);
/* Delete every SA (clear crypto isakmp; shutdown). */
void ike_engine_delete_all(struct ike_engine *e, enum ike_cause reason);

#endif /* IKE_ENGINE_H */
