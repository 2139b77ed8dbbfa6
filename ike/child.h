/*
 * child.h - phase-2 (IPsec) SA records, kept under their IKE SA and indexed by
 * (conn-id, child index).  Like IKE SAs, they are changed only by the engine, every
 * state change goes through ike_child_set_state(), and views read them through
 * sa->children.
 *
 * One record is one Quick Mode and, once it completes, the pair of IPsec SAs it made
 * (inbound SPI ours, outbound SPI the peer's).  ikemon does not install them in a
 * kernel: it negotiates, derives the keys, and keeps the record.
 */
#ifndef IKE_CHILD_H
#define IKE_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "causes.h"
#include "peer.h"
#include "timerq.h"

struct ike_sa;
struct ike_sa_table;
struct ike_child_exchange; /* engine-private: nonces, KE, KEYMAT, retransmission */

enum ike_child_state {
	IKE_CHILD_QM_I1 = 1, /* sent QM1 (HASH(1), SA, Ni [, KE] [, IDci, IDcr]), waits QM2 */
	IKE_CHILD_QM_R1,     /* sent QM2, waits QM3 (HASH(3)) */
	IKE_CHILD_INSTALLED, /* both IPsec SAs exist (keys derived; no kernel yet) */
	IKE_CHILD_DELETED,   /* gone; shown as deleted until it lingers out */
};

/* "QM_I1", "QM_R1", "INSTALLED", "DELETED"; "UNKNOWN" otherwise. */
const char *ike_child_state_name(enum ike_child_state s);

/* The negotiated phase-2 transform. */
struct ike_child_transform {
	uint8_t protocol; /* IPSEC_PROTO_ESP */
	uint16_t encr;    /* enum ipsec_esp_id */
	uint16_t keylen;  /* bits */
	uint16_t auth;    /* enum ipsec_auth_alg */
	uint16_t group;   /* PFS group; 0 = none */
	uint16_t mode;    /* enum ipsec_encap_mode as negotiated (UDP modes under NAT-T) */
	uint32_t life_s;  /* seconds */
	uint32_t life_kb; /* kilobytes; 0 = none */
};

struct ike_child {
	uint32_t conn_id;   /* the IKE SA's */
	uint32_t index;     /* 1, 2, ... within the IKE SA; never reused */
	uint32_t cfg_index; /* which configured (local_ts, remote_ts) pair, 0-based */
	int role;           /* enum ike_role: who started the Quick Mode */
	enum ike_child_state state;
	uint32_t msgid;   /* the Quick Mode's message ID (host order) */
	uint32_t spi_in;  /* ours: the peer sends to it (host order) */
	uint32_t spi_out; /* the peer's */
	struct ike_child_transform xf;
	struct ike_ts local_ts, remote_ts;

	struct timespec state_entered; /* CLOCK_MONOTONIC */
	struct timespec created_mono;
	time_t created_wall;
	time_t established_wall; /* 0 until INSTALLED */
	time_t expires_wall;     /* 0 until INSTALLED */
	struct timespec deleted_mono;

	uint64_t retransmits;
	enum ike_cause last_cause;
	char cause_detail[64];
	enum ike_cause delete_reason;

	/* Rekeying (rekey.c) */
	bool replaces;          /* made to replace an installed one of the same pair: */
	uint32_t replaces_conn; /* that one's conn-id and index */
	uint32_t replaces_index;
	bool replaced;            /* a newer one of its pair is installed: it is retired */
	bool rekey_armed;         /* rekey_at holds (set when it was installed) */
	bool rekey_started;       /* its replacement was started (or left to the peer) */
	struct timespec rekey_at; /* CLOCK_MONOTONIC */

	struct ike_child_exchange *x;
	struct ike_child *next; /* the IKE SA's children, in index order */
	struct ike_timer timer; /* engine-private: its deadline in the engine's queue */
};

/* Allocate and link a child under sa (state QM_I1 or QM_R1 by role). */
struct ike_child *ike_child_create(struct ike_sa_table *t, struct ike_sa *sa, int role,
                                   uint32_t msgid);
/* The child of sa with a Quick Mode message ID, or NULL. */
struct ike_child *ike_child_by_msgid(struct ike_sa *sa, uint32_t msgid);
/* The child of sa with our inbound SPI (or, with outbound, the peer's). */
struct ike_child *ike_child_by_spi(struct ike_sa *sa, uint32_t spi, bool outbound);
/* The one choke point for child state changes (stamps, logs, counts, emits). */
int ike_child_set_state(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c,
                        enum ike_child_state to);
/* Record a failure cause (emits IKE_EV_CHILD_FAILED). */
void ike_child_fail(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c,
                    enum ike_cause cause, const char *detail);
/* DELETED with a reason; idempotent. */
void ike_child_mark_deleted(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c,
                            enum ike_cause reason);
/* Unlink and free one child / all of an SA's children. */
void ike_child_remove(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c);
void ike_child_free_all(struct ike_sa_table *t, struct ike_sa *sa);

#endif /* IKE_CHILD_H */
