/*
 * exchange.h - engine-private types shared by the engine and its exchange handlers.
 * Nothing outside ike/ includes this.
 */
#ifndef IKE_EXCHANGE_H
#define IKE_EXCHANGE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cert.h"
#include "codec.h"
#include "dh.h"
#include "dhpool.h"
#include "engine.h"
#include "keys.h"
#include "natt.h"
#include "sa.h"

#define IKE_NONCE_LEN   32 /* what we send */
#define IKE_NONCE_MIN   8  /* RFC 2409 5: 8..256 bytes */
#define IKE_NONCE_MAX   256
#define IKE_ID_WIRE_MAX 1024 /* an ID payload's data as we build it (a DER DN may be long) */

/* Informational message IDs an SA remembers, to drop replays (dispatch.c). */
#define IKE_INFO_SEEN 32

/* Retransmission state of one exchange (retx.c). */
struct ike_retx {
	uint8_t *last_out; /* the last message we sent */
	size_t last_out_len;
	uint8_t *last_in; /* the last message we took from the peer */
	size_t last_in_len;
	bool in_answered;     /* last_out is our answer to last_in (else last_in was final) */
	uint32_t dup_answers; /* how often last_out was resent for copies of last_in */
	uint32_t out_gen;     /* bumped by every retx_keep_out */
	uint32_t tries;       /* retransmissions so far */
	uint32_t wait_ms;     /* current back-off */
	bool armed;
	bool retransmits;   /* we retransmit on the timer (else we only wait) */
	struct timespec at; /* CLOCK_MONOTONIC deadline */
};

void ts_add_ms(struct timespec *ts, uint64_t ms);
int64_t ts_diff_ms(const struct timespec *a, const struct timespec *b);
void retx_free(struct ike_retx *r);
int retx_keep_out(struct ike_retx *r, const uint8_t *buf, size_t len);
/* Keep the message just taken from the peer: answered (last_out is, or is about to be, its
 * answer) or final (nothing answers it: a copy of it is dropped, never answered with an
 * older message of ours -- answering would start two peers bouncing copies forever). */
int retx_keep_in(struct ike_retx *r, const uint8_t *buf, size_t len, bool answered);
/* Whether buf is the message we took last (the peer retransmitted it). */
bool retx_is_dup(const struct ike_retx *r, const uint8_t *buf, size_t len);
/* A copy of last_in came: whether to resend last_out for it (answered, and not more than
 * RETX_MAX_DUP_ANSWERS times for one message). Counts the answer. */
#define RETX_MAX_DUP_ANSWERS 8
bool retx_answer_dup(struct ike_retx *r);
/* Retransmit on a timer: first after first_ms, doubling. */
void retx_arm(struct ike_retx *r, uint32_t first_ms);
/* Only wait span_ms for the peer. */
void retx_wait(struct ike_retx *r, uint64_t span_ms);
/* The deadline passed: true (and the next deadline set) when one more retransmission
 * is due, false when the exchange has timed out. */
bool retx_next(struct ike_retx *r, uint32_t max_tries, const struct timespec *now);

/*
 * Per-SA private state: key exchange, keys, retransmission.  A half-open responder SA
 * (only MM1 seen) has the head alone, up to `full` (engine_exchange_head): the key
 * exchange part after it is allocated when the SA moves on (engine_exchange), so that a
 * flood of MM1s costs little.  Code that reads the part after `full` gets x through
 * engine_exchange(), or knows that have_keys (which implies full) is set.
 */
struct ike_exchange {
	struct ike_dh *dh; /* freed once the shared secret is known */
	uint8_t *sai_b;    /* initiator's SA payload body, for HASH_I/HASH_R */
	size_t sai_len;
	uint8_t *idi_b; /* Aggressive Mode responder: AM1's IDii body, for HASH_I in AM3 */
	size_t idi_len;
	bool have_keys;
	bool saw_undecryptable; /* evidence of a key mismatch */
	bool certreq_seen;      /* the peer sent a CERTREQ (send_cert = ifasked) */
	struct ike_retx rt;
	bool keepalive_armed; /* behind a NAT: NAT-T keepalives while established */
	struct timespec keepalive_at;
	bool dh_pending;   /* a DH job is out: messages wait for its result */
	uint32_t dh_token; /* the job's number (a result with another is stale) */
	bool full;         /* the members below are allocated */

	/* The negotiation's own values live in one block (neg), freed with dh, sai_b and
	 * idi_b once the SA is established (engine_exchange_negotiated): nothing after
	 * QM_IDLE reads them, and an SA at rest keeps only its keys and the messages that
	 * duplicates are answered from.  NULL after. */
	uint8_t *gxi; /* initiator's public value (IKE_DH_MAX_LEN) */
	uint8_t *gxr; /* responder's public value (IKE_DH_MAX_LEN) */
	size_t g_len;
	uint8_t *ni, *nr; /* nonces (IKE_NONCE_MAX each) */
	size_t ni_len, nr_len;
	uint8_t *neg;                     /* the block gxi, gxr, ni and nr point into */
	struct ike_p1_keys keys;          /* secret; wiped on free */
	uint8_t rx_iv[IKE_MAX_BLOCK_LEN]; /* IV after the message being handled, if it holds */
	/* message IDs of the peer's last authenticated informational messages (0: none) */
	uint32_t info_seen[IKE_INFO_SEEN];
	unsigned info_seen_next;
};

/* Bytes of an exchange's head (up to and including `full`). */
#define IKE_EXCHANGE_HEAD_LEN (offsetof(struct ike_exchange, full) + sizeof(bool))

#define IKE_KEYMAT_MAX (IKE_MAX_KEY_LEN + IKE_MAX_HASH_LEN)

/* Per-Quick-Mode private state. */
struct ike_child_exchange {
	struct ike_dh *dh; /* PFS; freed once the secret is known */
	/* in one block (neg), freed once the phase-2 SA is installed; NULL after */
	uint8_t *gi, *gr; /* IKE_DH_MAX_LEN each */
	size_t g_len;
	uint8_t *ni, *nr; /* IKE_NONCE_MAX each */
	size_t ni_len, nr_len;
	uint8_t *neg;
	uint8_t iv[IKE_MAX_BLOCK_LEN]; /* this exchange's IV chain */
	uint8_t keymat_in[IKE_KEYMAT_MAX], keymat_out[IKE_KEYMAT_MAX]; /* secret */
	size_t keymat_len;
	struct ike_retx rt;
	bool dh_pending;   /* a PFS DH job is out: the exchange's messages wait for it */
	uint32_t dh_token; /* the job's number (a result with another is stale) */
};

/*
 * A configured peer's SAs and counters (engine.c).  It lives while the peer's
 * configuration stays the same, across reloads; a peer added or changed gets a new one.
 * The SAs of a peer that left or changed move to the engine's orphan track.
 */
struct engine_peer_track {
	struct ike_sa *head, *tail; /* its SAs in conn-id order, through sa->peer_next */
	size_t n_sas;
	struct ike_peer_stats stats; /* traffic: of the SAs removed from the table only */
	/* a configured peer's (not the orphans'): the same in conn-id order, those not
	 * DELETED (sa->live_next) and those at QM_IDLE (sa->est_next); the tails are the
	 * newest, found in O(1) */
	struct ike_sa *live_head, *live_tail, *est_head, *est_tail;
};

struct engine_peer {
	struct ike_peer_cfg cfg;
	struct engine_peer_track *track; /* NULL only when memory ran out */
	bool restart_pending;            /* auto=start: negotiate again at restart_at */
	struct timespec restart_at;
	struct timespec qm_retry_at; /* auto=start: missing children tried again then */
	bool named_again;            /* set_peers' scratch: the new configuration has it */
	struct ike_timer timer;      /* restart_at or qm_retry_at, when one is pending */
};

/* Peers by remote address (peer_match.c): host peers hashed, the others in a list. */
struct engine_addr_index {
	bool ready;     /* false: no index (out of memory), every peer is walked */
	size_t *slot;   /* open addressing: first peer of an address's chain + 1, 0 = empty */
	size_t n_slots; /* a power of two > 2 n_peers */
	size_t *next;   /* per peer: the next peer with the same address + 1, 0 = end */
	size_t *wide;   /* the peers with a subnet or %any, in configuration order */
	size_t n_wide;
};

/* Half-open responder SAs (half_open.c): oldest first, and counts by source address. */
struct ho_src;
struct engine_half_open {
	struct ike_sa *head, *tail; /* through sa->ho_next */
	size_t n;
	struct ho_src **b; /* chains of sources; nb a power of two (0 until the first) */
	size_t nb, n_src;
	uint64_t key; /* secret of the address hash */
};

/*
 * Log lines a peer can cause at will, by class: at most ENGINE_LOG_BURST of a class in a
 * window of ENGINE_LOG_WINDOW_MS, then one line counting those left out, when the window
 * is over (engine_log_limited).
 */
enum engine_log_class {
	ENGINE_LOG_MM_REQUEST,  /* "Main Mode request": a new responder SA */
	ENGINE_LOG_AM_REQUEST,  /* "Aggressive Mode request" */
	ENGINE_LOG_NO_PEER,     /* a first message no [peer] matches */
	ENGINE_LOG_BAD_MESSAGE, /* lacks a payload, does not decrypt */
	ENGINE_LOG_UNAUTH_INFO, /* unauthenticated notifies and DELETEs, notifies we answer */
	ENGINE_LOG_CLASSES
};
#define ENGINE_LOG_BURST     20
#define ENGINE_LOG_WINDOW_MS 1000

struct engine_log_limit {
	struct timespec start;    /* of the window (engine clock) */
	uint32_t logged;          /* lines of the window logged (0: no window open) */
	uint32_t suppressed;      /* and left out */
	enum ike_log_level level; /* the most severe of those left out */
};

struct ike_engine {
	struct ike_engine_ops ops;
	void *ctx;
	struct ike_settings settings;
	struct ike_sa_table *sas;
	struct engine_peer *peers;
	size_t n_peers;
	/* peers by name: open addressing, index + 1 (0 = empty); a power of two > 2 n_peers */
	size_t *peer_slot;
	size_t peer_slots;
	struct engine_addr_index addrs;
	uint64_t peers_gen;
	struct engine_peer_track orphans; /* SAs no configured peer owns */
	/* every deadline: SAs, phase-2 SAs, peers (timers.c); SAs whose deadlines may have
	 * changed wait in the touched list until the queue is next read */
	struct ike_timerq timers;
	struct ike_sa *touched;
	bool timers_lost; /* the queue could not grow: some deadlines are not in it */
	struct engine_half_open half_open;
	struct ike_dhpool *dhpool; /* NULL: Diffie-Hellman runs on the loop (dh_workers = 0) */
	uint32_t dh_tokens;        /* numbers the jobs */
	uint64_t dh_stale;         /* results dropped: their SA was gone or had moved on */
	uint64_t dh_done;          /* results that resumed their exchange */
	struct engine_log_limit log_limit[ENGINE_LOG_CLASSES];
	struct ike_timer log_timer; /* the end of the first window with lines left out */
};

/* ---- engine.c: services for handlers ---- */
void engine_log(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* engine_log for a line a peer can cause at will: limited by class (see above). */
void engine_log_limited(struct ike_engine *e, enum engine_log_class cls, enum ike_log_level lvl,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Log the count of each class whose window is over with lines left out (timers.c calls it
 * when log_timer fires); re-arms log_timer for the others. */
void engine_log_limits_run(struct ike_engine *e, const struct timespec *now);
/* timers.c: queue log_timer at `at` (unless queued earlier). */
void engine_timers_log(struct ike_engine *e, const struct timespec *at);
const struct ike_peer_cfg *engine_peer_cfg(struct ike_engine *e, const char *name);
/* Send buf as sa's message, store it for retransmission; arm the timer when retransmit. */
int engine_send(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len,
                bool retransmit);
/* The same for a Quick Mode: stored in the child's retransmission state. */
int engine_send_child(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                      const uint8_t *buf, size_t len, bool retransmit);
/* Send without storing (notifies, informational). */
int engine_send_once(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len);
/* Wait for the peer for the retransmission span without retransmitting (responder). */
void engine_wait_peer(struct ike_engine *e, struct ike_sa *sa);
void engine_disarm(struct ike_sa *sa);
/* The SA's whole exchange state: allocated on first use, or completed from the head
 * (with the block of engine_neg_new). */
struct ike_exchange *engine_exchange(struct ike_sa *sa);
/* Its head only, when it has none yet (a half-open responder SA). */
struct ike_exchange *engine_exchange_head(struct ike_sa *sa);
/*
 * The block a negotiation's two public values (IKE_DH_MAX_LEN each) and two nonces
 * (IKE_NONCE_MAX each) live in, phase 1 or 2: engine_neg_new fills v (the block, then
 * where each value starts); engine_neg_free wipes and frees it and sets all five to NULL.
 */
enum {
	ENGINE_NEG_BLOCK,
	ENGINE_NEG_GI,
	ENGINE_NEG_GR,
	ENGINE_NEG_NI,
	ENGINE_NEG_NR,
	ENGINE_NEG_PARTS
};
#define ENGINE_NEG_LEN (2 * IKE_DH_MAX_LEN + 2 * IKE_NONCE_MAX) /* the block's size */
int engine_neg_new(uint8_t *v[ENGINE_NEG_PARTS]);
void engine_neg_free(uint8_t **v[ENGINE_NEG_PARTS]);
/* Established: free what only the negotiation needed (DH, public values, nonces, SAi_b,
 * IDii_b); keys, IVs and the retransmission state stay. */
void engine_exchange_negotiated(struct ike_exchange *x);
void engine_free_exchange(struct ike_exchange *x);
/* Wipe its secrets (the SA was deleted); x stays allocated. */
void engine_wipe_exchange(struct ike_exchange *x);
/* Fail the SA with a cause and delete it. */
void engine_fail(struct ike_engine *e, struct ike_sa *sa, enum ike_cause cause, const char *detail);
void engine_now(struct timespec *ts);
bool engine_sa_alive(const struct ike_sa *sa);
/* The peer's newest SA at QM_IDLE, or NULL. */
struct ike_sa *engine_peer_established_sa(struct ike_engine *e, const char *name);
/* The peer's newest live SA, or NULL. */
struct ike_sa *engine_peer_live_sa(struct ike_engine *e, const char *name);
/* Whether an established peer lacks some of its configured children. */
bool engine_peer_missing_children(struct ike_engine *e, const struct engine_peer *p);
long engine_initiate_peer(struct ike_engine *e, struct engine_peer *p);
/* Delete an SA (DELETE sent when established). */
void engine_delete_sa(struct ike_engine *e, struct ike_sa *sa, enum ike_cause reason);
void engine_copy_addr(struct sockaddr_storage *dst, const struct sockaddr *src);
/* Whether two addresses are the same host (ports aside: the peer may have floated). */
bool engine_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* Set the SA's remote (through the table's index of remote addresses). */
void engine_set_remote(struct ike_engine *e, struct ike_sa *sa, const struct sockaddr *remote);
/* Move an SA to the NAT-T ports (RFC 3947: after MM4 when a NAT was found). 0 or -1. */
int engine_float(struct ike_engine *e, struct ike_sa *sa);
/* Record the likely cause of a stall on the SA while it still negotiates (no failure
 * counted; IKE_EV_CAUSE_NOTED tells the views that keep a copy). */
void engine_suspect(struct ike_engine *e, struct ike_sa *sa, enum ike_cause cause,
                    const char *detail);

/* ---- dh_offload.c: Diffie-Hellman jobs, on the pool's workers or inline ---- */
/* The exchange step a DH job resumes: one handler half per step. */
enum engine_dh_step {
	DH_STEP_MAIN_R2 = 1, /* responder, MM3: our key pair and g^xy, then MM4 */
	DH_STEP_MAIN_I2,     /* initiator, MM2: our key pair, then MM3 */
	DH_STEP_MAIN_I3,     /* initiator, MM4: g^xy, then MM5 */
	DH_STEP_AGGR_R1,     /* responder, AM1: our key pair and g^xy, then AM2 */
	DH_STEP_AGGR_I1,     /* initiator, starting: our key pair, then AM1 */
	DH_STEP_AGGR_I2,     /* initiator, AM2: g^xy (our key pair kept), then AM3 */
	DH_STEP_QM_I1,       /* Quick Mode initiator with PFS, starting: key pair, then QM1 */
	DH_STEP_QM_I2,       /* Quick Mode initiator, QM2: g^xy, then QM3 */
	DH_STEP_QM_R1,       /* Quick Mode responder, QM1: key pair and g^xy, then QM2 */
};
/* A job for sa's group: derive g^xy with peer (NULL: only a key pair) using dh (NULL: make
 * one; the job owns dh from here).  NULL on out of memory (dh freed). */
struct ike_dh_job *engine_dh_job(struct ike_sa *sa, enum engine_dh_step step, struct ike_dh *dh,
                                 const uint8_t *peer, size_t peer_len);
/* The same in another group (a Quick Mode's PFS group). */
struct ike_dh_job *engine_dh_job_group(const struct ike_sa *sa, enum engine_dh_step step,
                                       uint16_t group, struct ike_dh *dh, const uint8_t *peer,
                                       size_t peer_len);
/*
 * Run job j (may be NULL: out of memory) for sa.  Without a pool: at once, then its step's
 * second half, whose result is returned.  With one: posted, and IKE_R_OK (the SA waits,
 * dropping messages, until ike_engine_dh_run resumes it); IKE_R_IGNORE when the pool is
 * full (the peer's retransmission tries again).  j is consumed in every case.
 */
enum ike_handler_result engine_dh_start(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j);
/* Whether DH jobs go to workers (else engine_dh_start runs them at once). */
bool engine_dh_async(const struct ike_engine *e);
/* Run j here, on the loop (a step that needs its message for the second half). */
void engine_dh_run_here(const struct ike_engine *e, struct ike_dh_job *j);
/*
 * A Quick Mode's PFS job j (NULL: out of memory, which quick_dh_done is told) for child c
 * of sa: as engine_dh_start, but the child waits (c->x->dh_pending) and quick_dh_done
 * resumes it; a full pool makes the loop do it (past phase 1: no flood to shed here).
 */
void engine_dh_start_child(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                           struct ike_dh_job *j);

/* ---- peer_track.c: per-peer SA lists and counters, peers by name ---- */
/* (Re)build the name index of e->peers. 0, or -1 on out of memory (look-ups then walk). */
int engine_index_peers(struct ike_engine *e);
/* The configured peer of that name, or NULL.  O(1). */
struct engine_peer *engine_find_peer(struct ike_engine *e, const char *name);
/* A new, empty track whose counters start now; NULL on out of memory. */
struct engine_peer_track *engine_track_new(void);
/* Move a track's SAs to the orphans and free it. */
void engine_track_orphan(struct ike_engine *e, struct engine_peer_track *tr);
/* Follow an event of the table: link new SAs to their peer, count, retire removed ones. */
void engine_track_event(struct ike_engine *e, const struct ike_event *ev);
/* Configured children (0 .. wanted-1) with an INSTALLED phase-2 SA under sa. */
size_t engine_children_up(const struct ike_sa *sa, size_t wanted);

/* ---- peer_match.c: the peer a first message is from ---- */
/* (Re)build the index of e->peers by remote address.  0, or -1 (then matches walk). */
int engine_index_addrs(struct ike_engine *e);
void engine_free_addr_index(struct ike_engine *e);
/* The most specific peer whose remote covers remote and whose local (when set) is local;
 * NULL when none.  O(1) plus the peers with a subnet or %any. */
struct engine_peer *engine_match_peer(struct ike_engine *e, const struct sockaddr *local,
                                      const struct sockaddr *remote);
/* The peer an AM1 comes from: of the peers whose remote covers the address (and local,
 * when set, the datagram's), the one whose remote_id names AM1's IDii, else one that
 * expects the peer's address as its identity, else one with remote_id = %any; the most
 * specific remote first, then configuration order; when no identity fits, the peer
 * engine_match_peer finds (which then refuses the IDii).  NULL when none.  O(peers). */
struct engine_peer *aggr_match_peer(struct ike_engine *e, const struct sockaddr *local,
                                    const struct sockaddr *remote, const struct isakmp_msg *m);

/* ---- half_open.c: responder SAs that have had only the first message ---- */
/* Whether a first message from remote may make a responder SA: false (counted) when
 * its address has max_half_open_per_source already; at max_half_open the oldest
 * half-open SA is removed (counted) to make room. */
bool engine_half_open_admit(struct ike_engine *e, const struct sockaddr *remote);
/* A new responder SA (at MAIN_R0 / AGGR_R0) joins the list. */
void engine_half_open_add(struct ike_engine *e, struct ike_sa *sa);
/* Follow a table event: an SA that moves on or is removed leaves the list. */
void engine_half_open_event(struct ike_engine *e, const struct ike_event *ev);
/* A half-open SA timed out (already failed): counted and removed at once. */
void engine_half_open_expired(struct ike_engine *e, struct ike_sa *sa);
/* How long a responder waits for the peer: span_ms, or half_open_timeout when shorter
 * and the SA answers the first message. */
uint64_t engine_half_open_wait_ms(const struct ike_engine *e, const struct ike_sa *sa,
                                  uint64_t span_ms);
void engine_half_open_free(struct ike_engine *e);

/* ---- timers.c: the deadline queue ---- */
/* sa's deadlines (its own, its children's, its peer's) may have changed: they are read
 * again before the queue is next used.  O(1). */
void engine_timers_touch(struct ike_engine *e, struct ike_sa *sa);
/* Follow a table event: touch the SA; an SA or a child about to be freed leaves the queue. */
void engine_timers_event(struct ike_engine *e, const struct ike_event *ev);
/* A peer's deadline (restart_at, qm_retry_at) may have changed. */
void engine_timers_peer(struct ike_engine *e, struct engine_peer *p);
/* The configured peers are about to be replaced: theirs leave the queue. */
void engine_timers_forget_peers(struct ike_engine *e);
/* The settings changed: every deadline that depends on them is read again. */
void engine_timers_settings(struct ike_engine *e, const struct ike_settings *old);

/* ---- phase1.c: what Main and Aggressive Mode share ---- */
/* Write our SA payload offering the peer's proposals; returns its body offset/len. */
int phase1_put_sa(struct msg_builder *b, const struct ike_peer_cfg *p, uint32_t lifetime,
                  size_t *body_off, size_t *body_len);
/* Answer SA payload with one chosen transform (echoing its number and attributes). */
int phase1_put_sa_reply(struct msg_builder *b, const struct ike_sa_transform *xf,
                        uint8_t transform_num);
/* Choose the first of the initiator's transforms that one of ours matches. Returns 0 and
 * fills xf/num, or -1 (no proposal chosen), -2 (malformed), or -3 (no proposal chosen,
 * but one matched in all but the auth method: xf->auth is the peer's). */
int phase1_choose(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p,
                  struct ike_sa_transform *xf, uint8_t *num);
/* Check the responder's answer against what we offered. 0, -1 (not offered), -2 (malformed). */
int phase1_check_reply(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p,
                       struct ike_sa_transform *xf);
/* Our ID payload body (type, proto 0, port 0, data) for sa into out; returns length. */
size_t phase1_id_body(const struct ike_sa *sa, const struct ike_peer_cfg *p, bool local,
                      uint8_t *out, size_t cap);
/* Decode a received ID payload body into id (printable). Returns 0 or -1. */
int phase1_id_decode(const uint8_t *body, size_t len, struct ike_id *id);
/* Whether a received identity is what the peer config expects (default: its address). */
bool phase1_id_acceptable(const struct ike_sa *sa, const struct ike_peer_cfg *p,
                          const struct ike_id *got);
/* New random cookie. */
int phase1_cookie(uint8_t cookie[8]);
/* NAT-T vendor IDs: all we know (only = NATT_NONE, initiator) or the one answered. */
void phase1_put_natt_vids(struct msg_builder *b, enum natt_version only);
/* The best NAT-T version the peer's vendor IDs announce. */
enum natt_version phase1_natt_version(const struct isakmp_msg *m);
/* Our NAT-D payloads (MM3, MM4). */
int phase1_put_nat_d(struct msg_builder *b, const struct ike_sa *sa);
/* Set sa->nat_local / nat_remote from the peer's NAT-D payloads; 0, or -1 if unusable. */
int phase1_detect_nat(struct ike_sa *sa, const struct isakmp_msg *m);

/* ---- phase1_auth.c: MM5 / MM6 authentication (pre-shared key or signatures) ---- */
/* The hash of HASH_I / HASH_R's PRF for an auth method: SHA-2 for ECDSA (RFC 4754), 0
 * (the negotiated hash) for the others. */
uint16_t phase1_auth_hash(uint16_t auth);
/* "psk", "rsa-sig", "ecdsa-256" ...; "other" for a method we do not name. */
const char *phase1_auth_name(uint16_t auth);
/* "refused by us: the peer offers auth rsa-sig, we use psk" into buf; buf. */
const char *phase1_auth_refusal(uint16_t theirs, const struct ike_peer_cfg *p, char *buf,
                                size_t len);
/* A phase-1 message with our ID, [CERT ...] and SIG: room for the certificates. */
#define PHASE1_AUTH_BUF (IKE_CREDS_MAX_OWN * (IKE_CERT_DER_MAX + 8) + 4096)
/* Our CERTREQ payloads (MM3, MM4): one per CA of p, none without certificates. */
void phase1_put_certreq(struct msg_builder *b, const struct ike_peer_cfg *p);
/* Our ID and HASH, or ID, [CERT ...] and SIG (sets sa->local_id).  0 or -1. */
int phase1_put_auth(struct ike_sa_table *t, struct ike_sa *sa, const struct ike_peer_cfg *p,
                    struct msg_builder *b);
/* Only our HASH, or [CERT ...] and SIG (AM3), over the ID payload phase1_put_auth sends (AM1's).
 * 0 or -1. */
int phase1_put_proof(struct ike_sa *sa, const struct ike_peer_cfg *p, struct msg_builder *b);
/* Our ID payload alone (AM1's IDii; sets sa->local_id).  0 or -1. */
int phase1_put_id(struct ike_sa_table *t, struct ike_sa *sa, const struct ike_peer_cfg *p,
                  struct msg_builder *b);
struct phase1_auth_result {
	enum ike_cause cause; /* NONE when the peer is authenticated */
	uint16_t notify;      /* what to tell the peer (0: nothing) */
	char detail[64];
	struct ike_id got;                      /* the identity the peer sent */
	char subject[IKE_CERT_SUBJECT_MAX + 1]; /* its certificate's subject, "" without */
};
/* Check the peer's MM5 / MM6 payloads; the cause (NONE when all hold) and r. */
enum ike_cause phase1_check_auth(struct ike_sa *sa, const struct ike_peer_cfg *p,
                                 const struct isakmp_msg *m, struct phase1_auth_result *r);
/* The peer refused our MM5 / MM6 (or AM2 / AM3) with notify (0: a DELETE) under
 * signatures: what our own certificate tells (expired, not yet valid, revoked, our identity
 * not in it; detail set), else the notify's cause, else guess. */
enum ike_cause phase1_cert_refused(struct ike_engine *e, const struct ike_sa *sa, uint16_t notify,
                                   enum ike_cause guess, char *detail, size_t len);

/* ---- phase2.c: Quick Mode payloads ---- */
/* The PFS group our Quick Modes use: the first ESP proposal's (0 = none). */
uint16_t phase2_pfs_group(const struct ike_peer_cfg *p);
/* Our SA payload: the ESP proposals with the PFS group, our SPI, the mode to ask for. */
int phase2_put_sa(struct msg_builder *b, const struct ike_peer_cfg *p, uint16_t mode, uint32_t spi);
int phase2_put_sa_reply(struct msg_builder *b, const struct ike_child_transform *xf, uint8_t num,
                        uint32_t spi);
uint16_t phase2_base_mode(uint16_t mode);
/* Choose from an initiator's ESP offer. 0 (xf, transform number, its SPI), -1 refused
 * (*why: P2_NO_PROPOSAL or PFS_MISMATCH), -2 malformed. */
int phase2_choose(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p, bool has_ke,
                  struct ike_child_transform *xf, uint8_t *num, uint32_t *peer_spi,
                  enum ike_cause *why);
/* Check a responder's answer; same returns. */
int phase2_check_reply(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p,
                       bool has_ke, struct ike_child_transform *xf, uint32_t *peer_spi,
                       enum ike_cause *why);
/* Client identity payload body for a selector; returns its length (0: no room). */
size_t phase2_id_body(const struct ike_ts *ts, uint8_t *out, size_t cap);
/* Selector from a client identity payload body. 0 or -1. */
int phase2_id_decode(const uint8_t *body, size_t len, struct ike_ts *ts);
/* NAT-OAi and NAT-OAr payloads (transport mode behind a NAT). */
void phase2_put_nat_oa(struct msg_builder *b, uint8_t natt_version, const struct sockaddr *oai,
                       const struct sockaddr *oar);
/* Encryption and integrity key lengths (bytes) of an ESP transform. 0 or -1. */
int phase2_key_lengths(const struct ike_child_transform *xf, size_t *enc, size_t *integ);

/* ---- main_mode.c ---- */
/* Start Main Mode as initiator on a new SA (MM1). */
int main_outI1(struct ike_engine *e, struct ike_sa *sa, const struct ike_peer_cfg *p);
enum ike_handler_result main_inI1_outR1(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inR1_outI2(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inI2_outR2(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inR2_outI3(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inI3_outR3(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inR3(struct ike_engine *e, struct ike_sa *sa,
                                  const struct isakmp_msg *m);
/* What a timeout in the SA's state means (peer silent after MMn, key mismatch ...). */
enum ike_cause main_timeout_cause(const struct ike_sa *sa, char *detail, size_t len);

/* main_mode.c: the steps Main and Aggressive Mode share */
/* Send a phase-1 message: initiators retransmit on a timer, responders wait. */
int phase1_send(struct ike_engine *e, struct ike_sa *sa, uint8_t *buf, size_t len);
/* Encrypt everything after the header with the phase-1 IV chain, then send. */
int phase1_send_encrypted(struct ike_engine *e, struct ike_sa *sa, struct msg_builder *b);
/* Keep the initiator's SA payload body (SAi_b) for the HASHes. */
int phase1_keep_sai(struct ike_exchange *x, const uint8_t *body, size_t len);
/* Take the peer's KE and nonce; IKE_CAUSE_NONE or why they are refused. */
enum ike_cause phase1_take_ke_nonce(struct ike_sa *sa, const struct isakmp_msg *m, uint8_t *theirs,
                                    uint8_t *nonce, size_t *nonce_len);
/* A DH job's second half: the peer's config into *pp, our public value from j into mine
 * (x->g_len set), a fresh nonce.  IKE_R_OK, or IKE_R_FAIL with the SA failed. */
enum ike_handler_result phase1_take_job_ke(struct ike_engine *e, struct ike_sa *sa,
                                           const struct ike_dh_job *j, uint8_t *mine,
                                           uint8_t *nonce, size_t *nonce_len,
                                           const struct ike_peer_cfg **pp);
/* A responder's DH job (which: "MM3", "AM1"): phase1_take_job_ke into gxr and nr, then
 * the keys; IKE_R_OK, or the SA failed (INVALID-KEY-INFORMATION for an unusable KE). */
enum ike_handler_result phase1_take_job_responder(struct ike_engine *e, struct ike_sa *sa,
                                                  const struct ike_dh_job *j, const char *which,
                                                  const struct ike_peer_cfg **pp);
/* SKEYID and the rest from g^xy (a DH job's secret). 0 or -1. */
int phase1_keys_from_secret(struct ike_engine *e, struct ike_sa *sa, const uint8_t *gxy,
                            size_t gxy_len);
/* The second halves of the handlers that wait for a DH job (dh_offload.c calls them). */
enum ike_handler_result main_R2_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        const struct ike_dh_job *j);
enum ike_handler_result main_I2_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j);
enum ike_handler_result main_I3_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        const struct ike_dh_job *j);
enum ike_handler_result aggr_R1_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        const struct ike_dh_job *j);
enum ike_handler_result aggr_I1_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j);
enum ike_handler_result aggr_I2_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j);
/* Fail the SA for a KE / nonce problem (INVALID-KEY-INFORMATION where it applies). */
enum ike_handler_result phase1_reject_ke(struct ike_engine *e, struct ike_sa *sa, enum ike_cause c,
                                         const char *msg);
/* The peer's NAT-D payloads: what a NAT did to the addresses. */
void phase1_take_nat_d(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_msg *m);
/* Verify the peer's ID and HASH (or SIG) in m (which: "MM5", "AM2" ...); IKE_R_OK and the
 * IV chain moved on (when m was encrypted), or what the handler returns. */
enum ike_handler_result phase1_take_peer_auth(struct ike_engine *e, struct ike_sa *sa,
                                              const struct isakmp_msg *m, const char *which,
                                              const struct ike_peer_cfg **pp);
/* Authenticated: the Cisco *_AUTH state (auth), then QM_IDLE; the initiator starts phase 2. */
void phase1_established(struct ike_engine *e, struct ike_sa *sa, enum ike_state auth);

/* ---- aggressive.c ---- */
/* Start Aggressive Mode as initiator on a new SA (AM1). */
int aggr_outI1(struct ike_engine *e, struct ike_sa *sa, const struct ike_peer_cfg *p);
enum ike_handler_result aggr_inI1_outR1(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result aggr_inR1_outI2(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result aggr_inI2(struct ike_engine *e, struct ike_sa *sa,
                                  const struct isakmp_msg *m);
enum ike_cause aggr_timeout_cause(const struct ike_sa *sa, char *detail, size_t len);

/* ---- quick_mode.c ---- */
/* Children a peer wants: one per (local_ts, remote_ts) pair; 0 without phase 2. */
size_t quick_children_wanted(const struct ike_peer_cfg *p);
/* Start Quick Mode for configured child cfg_index on an established SA. */
struct ike_child *quick_outI1(struct ike_engine *e, struct ike_sa *sa, size_t cfg_index);
/* Start every configured child that has no live phase-2 SA; returns how many. */
size_t quick_start_missing(struct ike_engine *e, struct ike_sa *sa);
/* A Quick Mode message (exchange 32) for an established SA. */
void quick_input(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_hdr *h,
                 const uint8_t *buf, size_t len);
/* A child's timer ran out: retransmit, or fail it. */
void quick_timeout(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                   const struct timespec *now);
/* Delete a child (DELETE sent when installed). */
void quick_delete(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                  enum ike_cause reason);
/* An authenticated notify or DELETE about phase 2. */
void quick_notify(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_notify *n);
void quick_peer_delete(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_delete *d);
void quick_free_exchange(struct ike_child_exchange *x);
/* The second half of a Quick Mode step that waited for its PFS job (dh_offload.c). */
void quick_dh_done(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                   struct ike_dh_job *j);
void quick_wipe_exchange(struct ike_child_exchange *x); /* its secrets, when it is deleted */
/* The child's next deadline, if it has one. */
bool quick_deadline(struct ike_engine *e, const struct ike_child *c, struct timespec *at);

/* ---- dpd.c: Dead Peer Detection and INITIAL-CONTACT ---- */
/* Our DPD vendor ID (MM1, MM2, AM1, AM2); whether the peer's message carries one. */
void dpd_put_vid(struct msg_builder *b);
bool dpd_peer_announces(const struct isakmp_msg *m);
/* An SA just established: a random starting sequence number, idle from now. */
void dpd_established(struct ike_sa *sa);
/* The SA's next DPD deadline (an R-U-THERE due, or the peer dead), if DPD runs on it. */
bool dpd_deadline(struct ike_engine *e, const struct ike_sa *sa, struct timespec *at);
/* The SA's DPD deadline may have come: send R-U-THERE, or declare the peer dead. */
void dpd_timeout(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now);
/* An authenticated R-U-THERE or R-U-THERE-ACK. */
void dpd_input(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_notify *n);
/* Whether our MM5, MM6 or AM3 on sa carries INITIAL-CONTACT (no other live SA with the peer). */
bool ic_wanted(struct ike_engine *e, const struct ike_sa *sa);
void ic_put(struct msg_builder *b, const struct ike_sa *sa);
/* Whether a message (the peer's MM5, MM6, AM2 or AM3) carries INITIAL-CONTACT. */
bool ic_present(const struct isakmp_msg *m);
/* Delete the other established SAs with the peer's address and identity; how many. */
size_t ic_honour(struct ike_engine *e, struct ike_sa *sa);

/* ---- rekey.c: replacing SAs before they run out, retiring the replaced ---- */
/* Follow a table event: arm the rekey time of an SA at QM_IDLE or an installed child,
 * note what a new SA replaces, touch the SAs a newer one may retire. */
void rekey_event(struct ike_engine *e, const struct ike_event *ev);
/* An SA's rekey deadline: its rekey time, or now when a newer one is ready to take over. */
bool rekey_sa_deadline(struct ike_engine *e, const struct ike_sa *sa, struct timespec *at);
/* Due: start the replacement, or delete the replaced SA (true: it was deleted). */
bool rekey_sa_timeout(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now);
/* The same for an installed phase-2 SA. */
bool rekey_child_deadline(struct ike_engine *e, const struct ike_child *c, struct timespec *at);
/* Due: start a Quick Mode for its pair, or delete it (replaced); true when it was due. */
bool rekey_child_timeout(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                         const struct timespec *now);
/* A new phase-2 SA c of sa (its cfg_index set): link it to the installed one of its pair
 * it replaces, in sa or in the SA sa replaces (c->replaces ...), if any. */
void rekey_link_child(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c);

/* ---- informational.c ---- */
/* R-U-THERE or R-U-THERE-ACK with a sequence number, protected by HASH(1).  0 or -1. */
int info_send_dpd(struct ike_engine *e, struct ike_sa *sa, uint16_t type, uint32_t seq);
/* Handle an informational exchange for sa (decrypted when keys exist). */
void info_input(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_msg *m,
                bool authenticated);
/* Send a notify (encrypted and hashed once keys exist). */
int info_send_notify(struct ike_engine *e, struct ike_sa *sa, uint16_t type);
/* Send an unencrypted notify to a datagram's source with no SA (or before keys). */
int info_send_notify_plain(struct ike_engine *e, const struct sockaddr *local,
                           const struct sockaddr *remote, const uint8_t icookie[8],
                           const uint8_t rcookie[8], uint16_t type);
/* Send DELETE for an established ISAKMP SA. */
int info_send_delete(struct ike_engine *e, struct ike_sa *sa);
/* Send DELETE for an IPsec SA (protocol, our inbound SPI). */
int info_send_delete_ipsec(struct ike_engine *e, struct ike_sa *sa, uint8_t protocol, uint32_t spi);
/* Send a notify about a phase-2 SA (protocol, SPI) under the ISAKMP SA's protection. */
int info_send_notify_ipsec(struct ike_engine *e, struct ike_sa *sa, uint16_t type, uint8_t protocol,
                           uint32_t spi);
/* Decrypt an informational (IV from msgid) and check HASH(1). 0 ok, -1 undecryptable. */
int info_open(struct ike_engine *e, struct ike_sa *sa, const uint8_t *dgram, size_t len,
              struct isakmp_msg *m, uint8_t *plain, size_t cap);

#endif /* IKE_EXCHANGE_H */
