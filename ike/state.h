/*
 * state.h - the engine's exchange states and the Cisco state each one shows.
 *
 * The rows live in state.c: one declarative table (from-state, role, what the next
 * message must carry, whether it is encrypted, Cisco name).  The mapping from internal
 * steps to Cisco names exists there and nowhere else.
 */
#ifndef IKE_STATE_H
#define IKE_STATE_H

#include <stdbool.h>
#include <stdint.h>

/* Cisco IOS `show crypto isakmp sa` states; numbers are the MIB's IkemonCiscoState. */
enum cisco_state {
	CISCO_MM_NO_STATE = 1,
	CISCO_MM_SA_SETUP = 2,
	CISCO_MM_KEY_EXCH = 3,
	CISCO_MM_KEY_AUTH = 4,
	CISCO_AG_NO_STATE = 5,
	CISCO_AG_INIT_EXCH = 6,
	CISCO_AG_AUTH = 7,
	CISCO_QM_IDLE = 8,
};
#define CISCO_STATE_MIN CISCO_MM_NO_STATE
#define CISCO_STATE_MAX CISCO_QM_IDLE

/* "MM_NO_STATE"; "UNKNOWN" for an out-of-range value. */
const char *cisco_state_name(enum cisco_state s);

/*
 * Internal states, named after the message the SA last handled (Libreswan's habit):
 * MAIN_I1 = initiator that sent MM1 and waits for MM2.
 */
enum ike_state {
	IKE_ST_MAIN_R0 = 0, /* responder, MM1 not yet answered */
	IKE_ST_MAIN_I1,     /* sent MM1 (HDR, SA), waits MM2 */
	IKE_ST_MAIN_R1,     /* sent MM2 (HDR, SA), waits MM3 */
	IKE_ST_MAIN_I2,     /* sent MM3 (HDR, KE, Ni), waits MM4 */
	IKE_ST_MAIN_R2,     /* sent MM4 (HDR, KE, Nr), waits MM5 */
	IKE_ST_MAIN_I3,     /* sent MM5 (HDR*, IDii, HASH_I), waits MM6 */
	IKE_ST_MAIN_R3,     /* MM5 verified, sent MM6: authenticated */
	IKE_ST_MAIN_I4,     /* MM6 verified: authenticated */
	IKE_ST_AGGR_R0,     /* responder, AM1 not yet answered */
	IKE_ST_AGGR_I1,     /* sent AM1 (HDR, SA, KE, Ni, IDii), waits AM2 */
	IKE_ST_AGGR_R1,     /* sent AM2 (HDR, SA, KE, Nr, IDir, HASH_R), waits AM3 */
	IKE_ST_AGGR_I2,     /* AM2 verified, sent AM3 (HDR*, HASH_I): authenticated */
	IKE_ST_AGGR_R2,     /* AM3 verified: authenticated */
	IKE_ST_ESTABLISHED, /* phase 1 up, idle for Quick Mode */
	IKE_ST_DELETED,     /* gone; shown as deleted until it lingers out */
	IKE_ST_COUNT
};

enum ike_role { IKE_ROLE_INITIATOR = 1, IKE_ROLE_RESPONDER = 2 };

struct ike_engine;
struct ike_sa;
struct isakmp_msg;

/* What a handler tells the dispatcher. */
enum ike_handler_result {
	IKE_R_OK = 0,     /* handled: reply sent, state moved on */
	IKE_R_IGNORE = 1, /* dropped; the SA is unchanged (counted by the dispatcher) */
	IKE_R_FAIL = 2,   /* the negotiation failed; cause recorded; the SA is deleted */
};

/* Handles the message a state waits for; m's payloads are already decrypted. */
typedef enum ike_handler_result (*ike_state_handler)(struct ike_engine *e, struct ike_sa *sa,
                                                     const struct isakmp_msg *m);

struct ike_state_row {
	enum ike_state state;
	const char *name;       /* "MAIN_I1" */
	enum cisco_state cisco; /* what `show crypto isakmp sa` prints */
	enum ike_role role;     /* 0 for both */
	uint8_t exchange;       /* ISAKMP exchange type this state belongs to */
	bool waits;             /* a reply or request from the peer is outstanding */
	bool encrypted_in;      /* the next message from the peer must be encrypted */
	uint32_t required_in;  /* bit (1 << payload type) per payload the next message must carry */
	const char *expects;   /* the message it waits for, for causes: "MM2" */
	const char *last_sent; /* the message it sent last: "MM1" */
	ike_state_handler handler; /* runs on the message it waits for; NULL when none */
	/* the next message must also carry the negotiated method's authentication payload:
	 * HASH with a pre-shared key, SIG with signatures (MM5, MM6) */
	bool auth_in;
	/* the next message may come encrypted or not (AM3: RFC 2409 leaves it open) */
	bool either_in;
};

/* Row for a state; NULL for an out-of-range value. */
const struct ike_state_row *ike_state_row(enum ike_state s);

/* Cisco state shown for an internal state. */
enum cisco_state ike_state_cisco(enum ike_state s);

/* Whether moving from -> to is a transition the engine may make. */
bool ike_state_transition_ok(enum ike_state from, enum ike_state to);

#endif /* IKE_STATE_H */
