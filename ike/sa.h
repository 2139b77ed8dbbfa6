/*
 * sa.h - the SA table: the single source of truth every view reads.
 *
 * Views (CLI, MIB, metrics, stall detector) get const pointers through the iteration and
 * lookup calls below and subscribe to events; only the engine changes a record, and every
 * state change goes through ike_sa_set_state().
 */
#ifndef IKE_SA_H
#define IKE_SA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "causes.h"
#include "child.h"
#include "peer.h"
#include "state.h"
#include "timerq.h"

#define IKE_CONN_ID_FIRST 1001 /* as IOS 15 and later */

struct ike_sa_counters {
	uint64_t msgs_in, msgs_out;
	uint64_t bytes_in, bytes_out;
	uint64_t retransmits;   /* our retransmissions */
	uint64_t dup_in;        /* retransmissions from the peer answered from the stored reply */
	uint64_t malformed;     /* messages we could not parse */
	uint64_t undecryptable; /* messages that failed to decrypt or authenticate */
	/* Dead Peer Detection (RFC 3706) */
	uint64_t dpd_r_u_there_out, dpd_r_u_there_in;
	uint64_t dpd_ack_out, dpd_ack_in;
	uint64_t dpd_bad_seq; /* acks with a sequence number we did not send: ignored */
};

/* The negotiated phase-1 transform. */
struct ike_sa_transform {
	uint16_t encr, keylen, hash, auth, group;
	uint32_t lifetime_s;
};

/* An identity as an SA holds it: the value interned in its table (ike/strpool.h), set
 * through ike_sa_set_local_id() / ike_sa_set_remote_id(); "" until set, never NULL. */
struct ike_sa_id {
	uint8_t type;      /* enum ike_id_type; 0 = default (the address) or not received */
	const char *value; /* "192.0.2.1", "gw.example.net", "user@example.net" */
};

#define IKE_PEER_CERT_MAX 255 /* longest certificate subject kept on an SA */

struct ike_exchange;      /* exchange-private state (keys, nonces, DH); engine only */
struct engine_peer_track; /* a configured peer's SAs and counters; engine only */
struct ho_src;            /* a source address of half-open SAs; engine only */

struct ike_sa {
	uint32_t conn_id;    /* allocated in increasing order, never reused while running */
	uint8_t ike_version; /* 1 */
	uint8_t exchange;    /* ISAKMP_XCHG_IDPROT (Main) or ISAKMP_XCHG_AGGR */
	enum ike_role role;
	char peer[IKE_PEER_NAME_MAX + 1]; /* configured peer name; "" when unknown */
	struct sockaddr_storage local, remote;
	struct ike_sa_id local_id, remote_id; /* remote_id.type 0 until received */
	uint8_t icookie[8], rcookie[8];
	struct ike_sa_transform xf; /* zero until chosen */

	enum ike_state state;
	struct timespec state_entered; /* CLOCK_MONOTONIC */
	struct timespec created_mono;  /* CLOCK_MONOTONIC */
	time_t created_wall;           /* wall clock, for views that export timestamps */
	time_t established_wall;       /* 0 until QM_IDLE */
	time_t expires_wall;           /* 0 until established */
	struct timespec deleted_mono;  /* when it went to DELETED */

	struct ike_sa_counters ctr;
	enum ike_cause last_cause;    /* last failure seen on this SA */
	char cause_detail[64];        /* "after MM5", "refused by peer", notify name */
	enum ike_cause delete_reason; /* why it was deleted; NONE while alive */
	/* signature authentication: the subject of the certificate the peer sent (also when
	 * it failed a check), printable, cut to IKE_PEER_CERT_MAX bytes; "" without, never
	 * NULL (interned: set through ike_sa_set_peer_cert()) */
	const char *peer_cert;

	/* NAT traversal (RFC 3947) */
	uint8_t natt_version; /* 0 none; 1 RFC 3947; 2 draft-02/03 */
	bool nat_local;       /* a NAT in front of us (our NAT-D did not match) */
	bool nat_remote;      /* a NAT in front of the peer */
	bool floated;         /* moved to port 4500 */

	/* Dead Peer Detection (RFC 3706) */
	bool dpd_peer;               /* the peer sent the DPD vendor ID */
	bool dpd_waiting;            /* an R-U-THERE is unanswered */
	uint32_t dpd_seq_out;        /* sequence number of our last R-U-THERE */
	uint32_t dpd_seq_first;      /* of the first unanswered one */
	uint32_t dpd_seq_in;         /* of the peer's last R-U-THERE (0: none yet) */
	struct timespec last_rx;     /* CLOCK_MONOTONIC: last datagram from the peer on it */
	struct timespec dpd_sent_at; /* first unanswered R-U-THERE */
	struct timespec dpd_next_at; /* next R-U-THERE while waiting */
	bool initial_contact;        /* the peer sent INITIAL-CONTACT on it */

	/* Rekeying (rekey.c) */
	uint32_t replaces;        /* made to replace this conn-id (0: a first SA) */
	uint32_t replaced_by;     /* the SA at QM_IDLE that replaces it (0: none) */
	bool rekey_armed;         /* rekey_at holds (set when it reached QM_IDLE) */
	bool rekey_started;       /* its replacement was started (or left to the peer) */
	struct timespec rekey_at; /* CLOCK_MONOTONIC: when to start a replacement */

	struct ike_child *children; /* phase-2 SAs, in index order */
	uint32_t next_child_index;

	struct ike_exchange *x; /* engine-private (keys, retransmission); freed with the SA */
	struct ike_sa *next;    /* table chain, conn-id order */
	struct ike_sa *prev;

	/* table-private: hash chains by conn-id, by initiator cookie, by remote address */
	struct ike_sa *id_next, *ck_next, *host_next;
	struct ike_sa **host_pprev;
	/* engine-private: its configured peer's list of SAs, conn-id order */
	struct engine_peer_track *track;
	struct ike_sa *peer_prev, *peer_next;
	/* engine-private: in the same order, its peer's live SAs and those at QM_IDLE */
	struct ike_sa *live_prev, *live_next, *est_prev, *est_next;
	bool on_live, on_est;
	/* engine-private: its deadline in the engine's queue (timers.c), and the list of
	 * SAs whose deadlines may have changed since the queue last looked */
	struct ike_timer timer;
	struct ike_sa *touched_prev, *touched_next;
	bool touched;
	/* engine-private: the half-open responder SAs, oldest first, and the source
	 * address entry the SA counts in (half_open.c) */
	struct ike_sa *ho_prev, *ho_next;
	struct ho_src *ho_src;
	bool on_half_open;
};

/* ---- events: every view learns about changes through these ---- */
enum ike_event_type {
	IKE_EV_SA_CREATED = 1,
	IKE_EV_STATE_CHANGED,      /* old -> new Cisco and internal state */
	IKE_EV_SA_DELETED,         /* sa->delete_reason says why */
	IKE_EV_NEGOTIATION_FAILED, /* sa->last_cause, sa->cause_detail */
	IKE_EV_SA_REMOVED,         /* about to be freed (linger over): drop references */
	IKE_EV_CHILD_CREATED,      /* ev->child set for the CHILD events */
	IKE_EV_CHILD_STATE_CHANGED,
	IKE_EV_CHILD_FAILED,
	IKE_EV_CHILD_DELETED,
	IKE_EV_CHILD_REMOVED,
	IKE_EV_CAUSE_NOTED, /* a likely cause recorded on a negotiating SA (child if set); no
	                       failure is counted: views that keep a copy of the cause follow */
};

struct ike_event {
	enum ike_event_type type;
	const struct ike_sa *sa;
	const struct ike_child *child; /* for the CHILD events */
	enum ike_state old_state, new_state;
	enum cisco_state old_cisco, new_cisco;
	enum ike_cause cause;
};

typedef void (*ike_event_fn)(void *ctx, const struct ike_event *ev);

/* ---- the table ---- */
struct ike_sa_table;

struct ike_sa_table *ike_sa_table_new(void);
void ike_sa_table_free(struct ike_sa_table *t);

/* Subscribe to events (up to 8 subscribers). Returns 0 or -1. */
int ike_sa_table_subscribe(struct ike_sa_table *t, ike_event_fn fn, void *ctx);

/* Where the choke point logs state changes (level as syslog; msg without newline). */
typedef void (*ike_sa_log_fn)(void *ctx, int level, const char *msg);
void ike_sa_table_set_log(struct ike_sa_table *t, ike_sa_log_fn fn, void *ctx);

/* Hooks the engine uses to free its private exchange state with an SA or a child. */
void ike_sa_table_set_free_exchange(struct ike_sa_table *t, void (*fn)(struct ike_exchange *x),
                                    void (*child_fn)(struct ike_child_exchange *x));
/*
 * Hooks that wipe the secrets of that state (keys, nonces, DH private values) when an SA
 * or a child is marked DELETED: a deleted SA lingers in the table for the views, its
 * keying material does not.  The state stays allocated, so the engine may still look at it.
 */
void ike_sa_table_set_wipe_exchange(struct ike_sa_table *t, void (*fn)(struct ike_exchange *x),
                                    void (*child_fn)(struct ike_child_exchange *x));

/* For child.c: log through the table's sink, emit to its subscribers, free a child's
 * private state. */
void ike_sa_table_log(struct ike_sa_table *t, int level, const char *msg);
void ike_sa_table_emit(struct ike_sa_table *t, const struct ike_event *ev);
void ike_sa_table_free_child_exchange(struct ike_sa_table *t, struct ike_child_exchange *x);
void ike_sa_table_wipe_child_exchange(struct ike_sa_table *t, struct ike_child_exchange *x);

/* Read-only iteration in conn-id order: for (sa = first(t); sa; sa = sa->next) */
const struct ike_sa *ike_sa_first(const struct ike_sa_table *t);
/* O(1) on average (a hash of the conn-ids). */
const struct ike_sa *ike_sa_by_conn_id(const struct ike_sa_table *t, uint32_t conn_id);
size_t ike_sa_count(const struct ike_sa_table *t);
/* SAs in an internal state now (kept by the choke point: O(1)). */
size_t ike_sa_count_in_state(const struct ike_sa_table *t, enum ike_state s);

/* Global counters, owned by the engine. */
struct ike_global_counters {
	uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
	uint64_t dropped_short;      /* shorter than an ISAKMP header */
	uint64_t dropped_bad_length; /* header or payload length inconsistent */
	uint64_t dropped_bad_version;
	uint64_t dropped_bad_payload; /* unknown critical / disallowed payload */
	uint64_t dropped_unknown_sa;  /* cookies match no SA */
	uint64_t dropped_unexpected;  /* valid but not what the state waits for */
	uint64_t dropped_undecryptable;
	uint64_t dropped_no_config; /* first message from an address no peer matches */
	uint64_t sas_created, sas_established, sas_failed, sas_deleted;
	uint64_t children_created, children_installed, children_failed, children_deleted;
	uint64_t natt_keepalives_out;
	/* Dead Peer Detection */
	uint64_t dpd_r_u_there_out, dpd_r_u_there_in, dpd_ack_out, dpd_ack_in, dpd_bad_seq;
	uint64_t dpd_dead;                /* peers declared dead (one per ISAKMP SA) */
	uint64_t initial_contact;         /* SAs deleted for a peer's INITIAL-CONTACT */
	uint64_t causes[IKE_CAUSE_COUNT]; /* failures by cause */
	/* half-open responder SAs (only the first message seen): how many now (a gauge),
	 * and those dropped, by reason */
	uint64_t half_open;
	uint64_t half_open_dropped_limit;      /* the oldest, for a new one at max_half_open */
	uint64_t half_open_dropped_per_source; /* refused: max_half_open_per_source reached */
	uint64_t half_open_dropped_timeout;    /* no third message within half_open_timeout */
	/* authenticated informational messages whose message ID the SA had seen: replays */
	uint64_t dropped_replay;
};
const struct ike_global_counters *ike_sa_table_counters(const struct ike_sa_table *t);

/* ---- engine-only mutation ---- */
struct ike_global_counters *ike_sa_table_counters_mut(struct ike_sa_table *t);
/* Allocate and link an SA with the next conn-id; the engine fills it in, then announces
 * it (IKE_EV_SA_CREATED) with ike_sa_announce(). */
struct ike_sa *ike_sa_create(struct ike_sa_table *t, enum ike_role role, uint8_t exchange);
void ike_sa_announce(struct ike_sa_table *t, struct ike_sa *sa);
/*
 * Cookies are indexed by the initiator's (random, and fixed for the SA's life): set it
 * through ike_sa_set_icookie(), never by writing sa->icookie, or the look-ups miss it.
 * The responder's cookie may be written directly.
 */
void ike_sa_set_icookie(struct ike_sa_table *t, struct ike_sa *sa, const uint8_t icookie[8]);
/* The oldest SA with both cookies, or NULL.  O(1) on average. */
struct ike_sa *ike_sa_find_cookies(struct ike_sa_table *t, const uint8_t icookie[8],
                                   const uint8_t rcookie[8]);
/*
 * SAs are indexed by their remote's address (the port aside): set it through
 * ike_sa_set_remote(), never by writing sa->remote's address (its port may be written).
 */
void ike_sa_set_remote(struct ike_sa_table *t, struct ike_sa *sa,
                       const struct sockaddr_storage *remote);
/*
 * Identities and the peer's certificate subject are interned in the table (one copy of
 * each distinct string): set them through these, never by writing the fields.  0, or -1
 * when memory runs out (the field is then "").
 */
int ike_sa_set_local_id(struct ike_sa_table *t, struct ike_sa *sa, const struct ike_id *id);
int ike_sa_set_remote_id(struct ike_sa_table *t, struct ike_sa *sa, const struct ike_id *id);
int ike_sa_set_peer_cert(struct ike_sa_table *t, struct ike_sa *sa, const char *subject);
/* An SA's identity as the configuration's type (for code that takes one). */
void ike_sa_id_get(struct ike_id *out, const struct ike_sa_id *id);
/* The table's interned strings (ike/strpool.h): statistics and tests. */
const struct ike_strpool *ike_sa_table_strings(const struct ike_sa_table *t);

/* SAs whose remote has addr's address (any port, any state), in no particular order: the
 * first after `after` (NULL: the first of all), or NULL.  O(1) on average per SA found. */
struct ike_sa *ike_sa_find_host(struct ike_sa_table *t, const struct sockaddr_storage *addr,
                                const struct ike_sa *after);
/* SAs with this initiator cookie in conn-id order: the first after `after` (NULL: the
 * first of all), or NULL. */
struct ike_sa *ike_sa_find_icookie(struct ike_sa_table *t, const uint8_t icookie[8],
                                   const struct ike_sa *after);
struct ike_sa *ike_sa_find_mut(struct ike_sa_table *t, uint32_t conn_id);
struct ike_sa *ike_sa_first_mut(struct ike_sa_table *t);

/*
 * The one choke point for state changes: checks the transition against the state table,
 * stamps the monotonic time, logs old -> new, bumps counters and emits events.
 * Returns 0, or -1 (and changes nothing) for a transition the table does not allow.
 */
int ike_sa_set_state(struct ike_sa_table *t, struct ike_sa *sa, enum ike_state to);

/* Record a failure cause on an SA and emit IKE_EV_NEGOTIATION_FAILED. */
void ike_sa_fail(struct ike_sa_table *t, struct ike_sa *sa, enum ike_cause cause,
                 const char *detail);

/*
 * Record the likely cause of a stall while the SA (or its child c, when not NULL) still
 * negotiates: sets last_cause and cause_detail, counts nothing, emits IKE_EV_CAUSE_NOTED.
 */
void ike_sa_note_cause(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c,
                       enum ike_cause cause, const char *detail);

/* Move to DELETED with a reason (emits IKE_EV_SA_DELETED). Idempotent. */
void ike_sa_mark_deleted(struct ike_sa_table *t, struct ike_sa *sa, enum ike_cause reason);

/* Unlink and free (emits IKE_EV_SA_REMOVED first). */
void ike_sa_remove(struct ike_sa_table *t, struct ike_sa *sa);

/*
 * Inbound SPIs of the phase-2 SAs that are not DELETED, indexed (a hash: O(1) on
 * average).  An SPI is claimed for a child by ike_child_claim_spi_in(), which sets
 * c->spi_in (never write it directly); it is released when the child is deleted or
 * freed, and may then be claimed again.
 * Returns 0, -1 when another live child holds that SPI, -2 when memory runs out.
 */
int ike_child_claim_spi_in(struct ike_sa_table *t, struct ike_child *c, uint32_t spi);
/* The live child whose inbound SPI this is, or NULL. */
const struct ike_child *ike_sa_child_by_spi_in(const struct ike_sa_table *t, uint32_t spi);
/* For child.c: the child leaves the index (deleted or freed). */
void ike_sa_table_release_spi(struct ike_sa_table *t, const struct ike_child *c);

/* splitmix64's finalizer (every input bit moves every output bit): the engine's keyed
 * hashes mix with it (cookies, SPIs, half-open sources). */
uint64_t ike_mix64(uint64_t x);

/*
 * CLOCK_MONOTONIC as the engine and the table stamp it (state_entered, created_mono ...):
 * moved on by ike_engine_clock_advance_ms() in tests, so that every deadline and stamp
 * of the engine runs on one clock.
 */
void ike_mono_now(struct timespec *ts);

/* Seconds an SA has spent in its current state. */
double ike_sa_seconds_in_state(const struct ike_sa *sa, const struct timespec *now);

#endif /* IKE_SA_H */
