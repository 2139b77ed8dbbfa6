/*
 * stall.h - the stall detector: one alarm per peer whose negotiation stays short of
 * QM_IDLE (or, at QM_IDLE, short of its phase-2 SAs) longer than its threshold, with
 * the cause the engine saw.
 *
 * An alarm belongs to the peer, not to an SA: retries of an auto=start peer make new
 * SAs, and the alarm stays raised across them.  The detector follows each peer's
 * "episode" (from the first SA of a negotiation until the peer is up): the furthest
 * state reached in the episode and when it was first reached.  The alarm is raised
 * once, when that state has been held longer than its threshold; it clears once, when
 * the peer is up (IKE SA at QM_IDLE and every configured phase-2 SA installed) for the
 * hold-down, when the peer leaves the configuration, or by the operator.  Deleted or
 * abandoned SAs do not clear it.  Every raise and clear takes the next sequence number,
 * so a manager that missed notifications can resynchronise from the active list.
 *
 * Time: CLOCK_MONOTONIC for thresholds and durations; the wall clock only for the
 * timestamps the views export.  Single-threaded, like the engine.
 */
#ifndef AGENT_STALL_H
#define AGENT_STALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "ike/causes.h"
#include "ike/engine.h"
#include "ike/state.h"

/* Global thresholds ([ikemond] section); per-peer overrides are in ike_peer_cfg. */
struct stall_settings {
	uint32_t stall_after_ms;                /* stall_after (default 30 s) */
	uint32_t state_ms[CISCO_STATE_MAX + 1]; /* stall_after.STATE; 0 = stall_after */
	uint32_t qm_stall_after_ms;             /* qm_stall_after (default 30 s) */
	uint32_t peer_down_after_ms;            /* peer_down_after (default 120 s) */
	uint32_t holddown_ms;                   /* alarm_holddown: up this long to clear (10 s) */
	uint32_t history_max;                   /* alarm_history: cleared alarms kept (1000) */
};

void stall_settings_default(struct stall_settings *s);

/*
 * The threshold for a peer in a Cisco state (QM_IDLE means a pending phase 2): the
 * peer's stall_after.STATE, its stall_after (qm_stall_after), the global per-state
 * value, the global stall_after (qm_stall_after), in that order.  p may be NULL.
 */
uint32_t stall_threshold_ms(const struct stall_settings *s, const struct ike_peer_cfg *p,
                            enum cisco_state state);

/* The largest threshold any state of any peer can have (for the config's span check). */
uint32_t stall_max_threshold_ms(const struct stall_settings *s, const struct ike_peer_cfg *peers,
                                size_t n);

enum alarm_clear_reason {
	ALARM_ACTIVE = 0,
	ALARM_CLEAR_ESTABLISHED = 1, /* the peer is up */
	ALARM_CLEAR_REMOVED = 2,     /* the peer left the configuration */
	ALARM_CLEAR_OPERATOR = 3,    /* ikemonctl clear alarm PEER */
};

/* "established", "peer-removed", "operator"; "active" for ALARM_ACTIVE. */
const char *alarm_clear_reason_name(enum alarm_clear_reason r);

struct stall_alarm {
	uint64_t raise_seq; /* sequence number of the raise */
	uint64_t clear_seq; /* of the clear; 0 while active */
	char peer[IKE_PEER_NAME_MAX + 1];
	struct sockaddr_storage local, remote;
	enum cisco_state state;      /* the state held (QM_IDLE: phase 2 pending) */
	bool phase2;                 /* a Quick Mode stall on an IKE SA at QM_IDLE */
	struct timespec state_since; /* CLOCK_MONOTONIC: state first reached */
	time_t state_since_wall;
	uint32_t conn_id;     /* the SA it was seen on (newest) */
	uint32_t child_index; /* phase 2: the Quick Mode's index; else 0 */
	enum ike_cause cause; /* the likely cause the engine saw */
	char cause_detail[64];
	uint32_t threshold_ms; /* the threshold that was crossed */
	uint32_t raise_lag_ms; /* from the threshold crossing to the raise (detector latency) */
	time_t raised_wall;
	struct timespec raised_mono;
	time_t cleared_wall; /* 0 while active */
	struct timespec cleared_mono;
	enum alarm_clear_reason clear_reason;
	struct stall_alarm *next; /* active list: raise order; history: newest first */
	struct stall_alarm *prev; /* the detector's own (either list, backwards) */
};

/* Seconds the peer held the state: until now while active, until the clear after. */
double stall_alarm_seconds(const struct stall_alarm *a, const struct timespec *now_mono);

/* How a configured peer is doing, beyond up/down. */
enum peer_health {
	PEER_IDLE = 0,        /* auto=add and nothing negotiating: nobody asked */
	PEER_NEGOTIATING = 1, /* not up yet, for less than peer_down_after */
	PEER_UP = 2,          /* IKE SA at QM_IDLE and every phase-2 SA installed */
	PEER_DOWN = 3,        /* auto=start and not up for peer_down_after */
};

/*
 * STALL_HEALTH: stall_peer_health() of a peer changed (alarm NULL), also by the clock
 * alone (an auto=start peer turning down after peer_down_after): a view that shows the
 * health need not poll it.  Emitted by stall_run().
 */
enum stall_event_type { STALL_RAISED = 1, STALL_CLEARED = 2, STALL_HEALTH = 3 };

struct stall_event {
	enum stall_event_type type;
	const struct stall_alarm *alarm; /* raised or cleared; NULL for STALL_HEALTH */
	const char *peer;                /* the peer's name (every type) */
	enum peer_health health;         /* STALL_HEALTH: the new health */
};

typedef void (*stall_event_fn)(void *ctx, const struct stall_event *ev);

/* "idle", "negotiating", "up", "down" */
const char *peer_health_name(enum peer_health h);

struct stall_detector;

/* The detector watches e's SA table (it subscribes to its events). */
struct stall_detector *stall_new(struct ike_engine *e, const struct stall_settings *s);
void stall_free(struct stall_detector *d);

/* Subscribe to raises, clears and health changes (up to 8 subscribers). 0 or -1. */
int stall_subscribe(struct stall_detector *d, stall_event_fn fn, void *ctx);

/*
 * The configuration changed (reload): new settings; alarms and episodes of peers that
 * left clear with ALARM_CLEAR_REMOVED.
 */
void stall_reconfigure(struct stall_detector *d, const struct stall_settings *s);

/* Milliseconds until the detector must run again, -1 when nothing is pending.  O(1). */
int64_t stall_next_timeout_ms(struct stall_detector *d);
/* Raise and clear what is due: looks at the peers that had engine events since the last
 * run and those whose deadline passed, O(log n) each; call it on every loop turn. */
void stall_run(struct stall_detector *d);

/* Active alarms in raise order; cleared ones, newest first (at most history_max). */
const struct stall_alarm *stall_active(const struct stall_detector *d);
const struct stall_alarm *stall_history(const struct stall_detector *d);
size_t stall_active_count(const struct stall_detector *d);
/* The active alarm of a peer, or NULL.  O(1). */
const struct stall_alarm *stall_alarm_of(const struct stall_detector *d, const char *peer);
/* The last sequence number used (0 before the first raise). */
uint64_t stall_last_seq(const struct stall_detector *d);
/* Alarms raised since start, by cause (for the views' counters). */
uint64_t stall_raised_total(const struct stall_detector *d, enum ike_cause cause);

/* ikemonctl clear alarm PEER: 0, or -1 when the peer has no active alarm. */
int stall_clear(struct stall_detector *d, const char *peer);

/*
 * A configured peer's health, and the cause of its trouble when it is not up (cause
 * NONE otherwise); detail may be NULL.
 */
enum peer_health stall_peer_health(struct stall_detector *d, size_t peer_index,
                                   enum ike_cause *cause, const char **detail);

#endif /* AGENT_STALL_H */
