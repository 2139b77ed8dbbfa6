/*
 * mib_private.h - what IKEMON-MIB's handler files (mib/ikemon_mib.c, mib/mib_scalars.c,
 * mib/mib_tables_*.c) share: the module's context, a value being answered, and the
 * description of a table that the one generic handler in ikemon_mib.c serves.
 *
 * A table is described by three functions: the row an index names (GET), the first
 * row after an index (GETNEXT; through a sorted index, never a walk from the first row)
 * and the value of a column in a row.  Column numbers are named once, in the enums
 * below, after the MIB's descriptors (mib/IKEMON-MIB.txt).
 */
#ifndef MIB_MIB_PRIVATE_H
#define MIB_MIB_PRIVATE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "mib/ikemon_mib.h"
#include "mib/mib_index.h"

/* ikemonObjects = ikemonMIB.2, and what hangs under it */
#define MIB_OBJECTS_OID IKEMON_MIB_OID, 2
#define MIB_OBJECTS_LEN (IKEMON_MIB_OID_LEN + 1)

enum mib_objects {
	MIB_SCALARS = 1,
	MIB_STATE_TABLE = 2,
	MIB_CAUSE_TABLE = 3,
	MIB_PEER_TABLE = 4,
	MIB_SA_TABLE = 5,
	MIB_IPSEC_TABLE = 6,
	MIB_FAILHIST_TABLE = 7,
	MIB_ALARM_TABLE = 8,
	MIB_NOTIFY_OBJECTS = 9, /* ikemonNotifyObjects: accessible-for-notify, not registered */
	MIB_CERT_TABLE = 10,
};

/* ikemonNotifyObjects.N */
enum mib_notify_obj { NOTIFY_CLEAR_REASON = 1, NOTIFY_HELD_COUNT = 2, NOTIFY_HELD_SECONDS = 3 };

/* ikemonScalars.N */
enum mib_scalar {
	SC_AGENT_START_TIME = 1,
	SC_AGENT_VERSION,
	SC_SA_COUNT,
	SC_ATTEMPTS,
	SC_ESTABLISHED,
	SC_FAILURES,
	SC_ALARMS_RAISED,
	SC_ALARMS_ACTIVE,
	SC_ALARM_LAST_SEQ,
	SC_FAIL_HIST_MAX,
	SC_MALFORMED,
	SC_PEER_COUNT,
	SC_HALF_OPEN = 13,
	SC_HALF_OPEN_DROPPED_LIMIT,
	SC_HALF_OPEN_DROPPED_PER_SOURCE,
	SC_HALF_OPEN_DROPPED_TIMEOUT,
	SC_FIRST = SC_AGENT_START_TIME,
	SC_LAST = SC_HALF_OPEN_DROPPED_TIMEOUT,
};

/* Columns: ikemonXxxEntry.N.  Column 1 of every table is its not-accessible index. */
enum mib_state_col { STATE_COL_SA_COUNT = 2 };

enum mib_cause_col {
	CAUSE_COL_NAME = 2,
	CAUSE_COL_FAILURES,
	CAUSE_COL_ALARMS_RAISED,
	CAUSE_COL_HINT,
};

enum mib_peer_col {
	PEER_COL_REMOTE_ADDR_TYPE = 2,
	PEER_COL_REMOTE_ADDR,
	PEER_COL_REMOTE_PREFIX,
	PEER_COL_LOCAL_ADDR_TYPE,
	PEER_COL_LOCAL_ADDR,
	PEER_COL_AUTO,
	PEER_COL_STATUS,
	PEER_COL_CONN_ID,
	PEER_COL_SA_STATE, /* sparse: only while CONN_ID is not 0 */
	PEER_COL_LAST_CHANGE,
	PEER_COL_ATTEMPTS,
	PEER_COL_ESTABLISHED,
	PEER_COL_FAILURES,
	PEER_COL_LAST_CAUSE,
	PEER_COL_IPSEC_SAS_UP,
	PEER_COL_IPSEC_SAS_WANTED,
	PEER_COL_IN_MSGS,
	PEER_COL_OUT_MSGS,
	PEER_COL_IN_OCTETS,
	PEER_COL_OUT_OCTETS,
	PEER_COL_RETRANSMITS,
	PEER_COL_ALARM_SEQ,
	PEER_COL_DISCONTINUITY_TIME,
	PEER_COL_IKE_REKEYS, /* 25 */
	PEER_COL_IPSEC_REKEYS,
	PEER_COL_REKEY_FAILURES,
	/* Dead Peer Detection (RFC 3706) */
	PEER_COL_DPD_R_U_THERE_SENT = 28,
	PEER_COL_DPD_ACKS_RECEIVED,
	PEER_COL_DPD_R_U_THERE_ANSWERED,
};

enum mib_sa_col {
	SA_COL_VERSION = 2,
	SA_COL_MODE,
	SA_COL_ROLE,
	SA_COL_PEER,
	SA_COL_LOCAL_ADDR_TYPE,
	SA_COL_LOCAL_ADDR,
	SA_COL_LOCAL_PORT,
	SA_COL_REMOTE_ADDR_TYPE,
	SA_COL_REMOTE_ADDR,
	SA_COL_REMOTE_PORT,
	SA_COL_LOCAL_ID_TYPE,
	SA_COL_LOCAL_ID,
	SA_COL_REMOTE_ID_TYPE,
	SA_COL_REMOTE_ID,
	SA_COL_INITIATOR_COOKIE,
	SA_COL_RESPONDER_COOKIE,
	SA_COL_AUTH_METHOD,
	SA_COL_ENCR_ALG,
	SA_COL_ENCR_KEY_LENGTH,
	SA_COL_HASH_ALG,
	SA_COL_DH_GROUP,
	SA_COL_LIFETIME,
	SA_COL_STATE,
	SA_COL_INTERNAL_STATE,
	SA_COL_TIME_IN_STATE,
	SA_COL_CREATED,
	SA_COL_ESTABLISHED_TIME,
	SA_COL_EXPIRES,
	SA_COL_STATUS,
	SA_COL_NATT_VERSION,
	SA_COL_NAT_LOCAL,
	SA_COL_NAT_REMOTE,
	SA_COL_IN_MSGS,
	SA_COL_OUT_MSGS,
	SA_COL_IN_OCTETS,
	SA_COL_OUT_OCTETS,
	SA_COL_RETRANSMITS,
	SA_COL_IN_DUPLICATES,
	SA_COL_IN_MALFORMED,
	SA_COL_IN_UNDECRYPTABLE,
	SA_COL_LAST_CAUSE,
	SA_COL_LAST_CAUSE_DETAIL,
	SA_COL_DELETE_REASON,
	SA_COL_IPSEC_SA_COUNT,
	SA_COL_PEER_CERT_SUBJECT,
};

enum mib_ipsec_col {
	IPSEC_COL_STATE = 2,
	IPSEC_COL_ROLE,
	IPSEC_COL_IN_SPI,
	IPSEC_COL_OUT_SPI,
	IPSEC_COL_PROTOCOL,
	IPSEC_COL_ENCR_ALG,
	IPSEC_COL_ENCR_KEY_LENGTH,
	IPSEC_COL_AUTH_ALG,
	IPSEC_COL_PFS_GROUP,
	IPSEC_COL_ENCAP_MODE,
	IPSEC_COL_LOCAL_TS,
	IPSEC_COL_REMOTE_TS,
	IPSEC_COL_LIFETIME,
	IPSEC_COL_LIFETIME_KB,
	IPSEC_COL_CREATED,
	IPSEC_COL_ESTABLISHED_TIME,
	IPSEC_COL_EXPIRES,
	IPSEC_COL_TIME_IN_STATE,
	IPSEC_COL_RETRANSMITS,
	IPSEC_COL_LAST_CAUSE,
	IPSEC_COL_DELETE_REASON,
	IPSEC_COL_MSG_ID,
};

enum mib_failhist_col {
	FH_COL_TIME = 2,
	FH_COL_PEER,
	FH_COL_CONN_ID,
	FH_COL_REMOTE_ADDR_TYPE,
	FH_COL_REMOTE_ADDR,
	FH_COL_STATE,
	FH_COL_PHASE,
	FH_COL_CAUSE,
	FH_COL_CAUSE_DETAIL,
};

enum mib_alarm_col {
	ALARM_COL_SEQUENCE = 2,
	ALARM_COL_PEER,
	ALARM_COL_LOCAL_ADDR_TYPE,
	ALARM_COL_LOCAL_ADDR,
	ALARM_COL_REMOTE_ADDR_TYPE,
	ALARM_COL_REMOTE_ADDR,
	ALARM_COL_CONN_ID,
	ALARM_COL_STATE,
	ALARM_COL_PHASE,
	ALARM_COL_SECONDS,
	ALARM_COL_THRESHOLD,
	ALARM_COL_CAUSE,
	ALARM_COL_CAUSE_DETAIL,
	ALARM_COL_RAISED_TIME,
	ALARM_COL_STATE_SINCE,
};

enum mib_cert_col {
	CERT_COL_ROLE = 2,
	CERT_COL_SUBJECT,
	CERT_COL_NOT_BEFORE,
	CERT_COL_NOT_AFTER,
	CERT_COL_SECONDS_LEFT,
};

/* ikemonCertRole */
enum mib_cert_role {
	MIB_CERT_LOCAL = 1,
	MIB_CERT_INTERMEDIATE = 2,
	MIB_CERT_CA = 3,
};

/* IkemonPeerStatus */
enum mib_peer_status {
	MIB_PEER_UP = 1,
	MIB_PEER_NEGOTIATING = 2,
	MIB_PEER_STALLED = 3,
	MIB_PEER_DOWN = 4,
	MIB_PEER_IDLE = 5,
};

/* SnmpAdminString sizes the layout gives */
#define MIB_NAME_SIZE   IKE_PEER_NAME_MAX /* ikemonSaPeer, ikemonPeerName ... */
#define MIB_DETAIL_SIZE 63                /* ...CauseDetail */
#define MIB_TEXT_SIZE   255               /* identities, hints */

/* ---- a value being answered ---- */

struct mib_val {
	u_char type; /* ASN_INTEGER, ASN_UNSIGNED (Unsigned32, Gauge32), ASN_COUNTER64,
	                ASN_OCTET_STR */
	long num;
	uint64_t c64;
	size_t len;
	uint8_t buf[MIB_TEXT_SIZE + 1];
};

void mib_val_int(struct mib_val *v, long n);
void mib_val_u32(struct mib_val *v, uint64_t n); /* values past 2^32-1 read 2^32-1 */
void mib_val_c64(struct mib_val *v, uint64_t n);
void mib_val_bytes(struct mib_val *v, const void *p, size_t n);
/* SnmpAdminString: s truncated to max octets on a character boundary */
void mib_val_str(struct mib_val *v, const char *s, size_t max);
void mib_val_time(struct mib_val *v, time_t t); /* DateAndTime; 0: 8 zero octets */
void mib_val_truth(struct mib_val *v, bool b);  /* TruthValue: true(1), false(2) */
/* InetAddressType (unknown(0), ipv4(1), ipv6(2)) and InetAddress of an address */
void mib_val_addr_type(struct mib_val *v, const struct sockaddr_storage *ss);
void mib_val_addr(struct mib_val *v, const struct sockaddr_storage *ss);
unsigned int mib_port(const struct sockaddr_storage *ss);
/* Put a value in a varbind. */
void mib_val_set(netsnmp_variable_list *var, const struct mib_val *v);

/* ---- the module's state ---- */

/* What the MIB remembers of a configured peer (ikemonPeerLastChange, ikemonPeerAlarmSeq). */
struct mib_peer {
	enum mib_peer_status status; /* as last observed */
	time_t changed;              /* when it last changed (wall clock) */
	uint64_t alarm_seq;          /* raise sequence of its active alarm, 0: none */
	/* Its engine status, kept for the rest of the SNMP request being answered
	 * (pdu_transid): it walks the peer's SAs, and a request reads the rows' columns one
	 * by one, column after column (a hub's peer of 100,000 SAs: a walk per column of a
	 * GETBULK otherwise, and one per varbind while several peers' rows alternate).  A
	 * peer of MIB_PEER_HUB_SAS SAs or more keeps it up to MIB_PEER_HUB_MS across
	 * requests: its walk (15 ms at 100,000 SAs) would hold the loop on every GETBULK
	 * of a walk of ikemonPeerTable. */
	bool status_valid;
	long status_transid;
	struct timespec status_at; /* CLOCK_MONOTONIC */
	uint32_t ike_conn_id;      /* of engine.ike, which is looked up again before use */
	struct ike_peer_status engine;
};

#define MIB_PEER_HUB_SAS 1000
#define MIB_PEER_HUB_MS  1000

struct mib_ctx {
	struct ikemon_mib_sources src;
	bool active; /* registered: the event callbacks keep the indexes up to date */

	/* subscriptions cannot be withdrawn: made once per engine and detector */
	struct ike_engine *engine_subscribed;
	struct stall_detector *stall_subscribed;

	struct mib_u32_index sas; /* conn-id -> const struct ike_sa * */
	bool sas_stale;           /* rebuild from the table before the next use */
	uint64_t sa_changes;      /* bumped by every SA event (state counts cache) */
	uint64_t counts_at;       /* sa_changes when counts were taken */
	bool counts_valid;
	uint32_t counts[CISCO_STATE_MAX + 1];

	struct mib_u32_index alarms; /* raise sequence -> const struct stall_alarm * */
	bool alarms_stale;

	struct mib_name_key *names; /* configured peers in SNMP index order */
	size_t n_names;
	struct mib_peer *peers; /* by the engine's peer index */
	size_t n_peers;
	uint64_t peers_gen;
	bool peers_valid;
	long pdu_transid; /* of the request being answered; 0 between requests */

	netsnmp_handler_registration *regs[MIB_CERT_TABLE + 1]; /* by enum mib_objects */
};

/* The module's context while IKEMON-MIB is registered, else NULL. */
struct mib_ctx *mib_context(void);

/* ---- tables ---- */

#define MIB_INDEX_MAX (MIB_NAME_OID_MAX + 1) /* a peer name, then a certificate's number */

/* A row found by a table: what it stands for, and its index. */
struct mib_row {
	const void *p; /* the SA, child, alarm, failure entry ... */
	size_t n;      /* or a number: state, cause, peer index */
	oid idx[MIB_INDEX_MAX];
	size_t idx_len;
};

struct mib_table {
	const char *name; /* "ikemonSaTable" */
	oid sub;          /* ikemonObjects.sub */
	unsigned int min_col, max_col;
	/* the row idx names: true and r filled */
	bool (*get)(struct mib_ctx *c, const oid *idx, size_t len, struct mib_row *r);
	/* the first row after idx (or at it, inclusive): true and r filled, index included */
	bool (*next)(struct mib_ctx *c, const oid *idx, size_t len, bool inclusive,
	             struct mib_row *r);
	/* the value of a column: false when the row has no instance of it */
	bool (*column)(struct mib_ctx *c, const struct mib_row *r, unsigned int col,
	               struct mib_val *v);
};

extern const struct mib_table mib_state_table, mib_cause_table, mib_peer_table, mib_sa_table,
    mib_ipsec_table, mib_failhist_table, mib_alarm_table, mib_cert_table;

/* mib_scalars.c: ikemonScalars (scalar group handler) */
int mib_scalars_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
                        netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests);

/* mib_tables_sa.c: the SA index, kept from the engine's events */
void mib_sas_on_event(struct mib_ctx *c, const struct ike_event *ev);
/* Rebuild the index when it is stale or disagrees with the table.  0 or -1. */
int mib_sas_sync(struct mib_ctx *c);

/* mib_tables_peer.c: the peer index and each peer's status history */
int mib_peers_sync(struct mib_ctx *c);
void mib_peers_on_stall(struct mib_ctx *c, const struct stall_event *ev);
void mib_peers_free(struct mib_ctx *c);

/* mib_tables_alarm.c: the active-alarm index, kept from the detector's events */
void mib_alarms_on_stall(struct mib_ctx *c, const struct stall_event *ev);
/* Rebuild the index when it is stale or disagrees with the detector.  0 or -1. */
int mib_alarms_sync(struct mib_ctx *c);

/* Cisco state an SA shows: deleted ones read mmNoState, as `show crypto isakmp sa` */
enum cisco_state mib_sa_cisco(const struct ike_sa *sa);

#endif /* MIB_MIB_PRIVATE_H */
