/*
 * causes.h - the one table of failure and stall causes the engine can name.
 *
 * Every view (log, CLI, MIB, metrics, alarms) speaks of a cause through this table: a
 * stable number (published by the MIB, never renumbered), a stable identifier (metric
 * label, JSON, log) and an operator's hint.
 */
#ifndef IKE_CAUSES_H
#define IKE_CAUSES_H

enum ike_cause {
	IKE_CAUSE_NONE = 0,
	IKE_CAUSE_PEER_SILENT = 1,         /* no reply to our message (detail: after which) */
	IKE_CAUSE_NO_PROPOSAL_CHOSEN = 2,  /* detail: which side refused */
	IKE_CAUSE_KEY_MISMATCH = 3,        /* decrypt/HASH failure, or silence after our MM5 */
	IKE_CAUSE_ID_MISMATCH = 4,         /* INVALID-ID-INFORMATION, or unexpected identity */
	IKE_CAUSE_INVALID_COOKIE = 5,      /* message for an SA we do not have */
	IKE_CAUSE_MALFORMED = 6,           /* peer sent messages we cannot parse */
	IKE_CAUSE_DELETED_BY_PEER = 7,     /* the peer sent a DELETE */
	IKE_CAUSE_RETRY_LIMIT = 8,         /* retransmissions exhausted without a better guess */
	IKE_CAUSE_PEER_NOTIFY = 9,         /* the peer sent another fatal error notify */
	IKE_CAUSE_INVALID_KE = 10,         /* the peer's key exchange data is unusable */
	IKE_CAUSE_NO_CONFIG = 11,          /* a peer we have no configuration for */
	IKE_CAUSE_CLEARED = 12,            /* cleared by the operator (ikemonctl clear) */
	IKE_CAUSE_SHUTDOWN = 13,           /* ikemond stopped */
	IKE_CAUSE_EXPIRED = 14,            /* lifetime ran out */
	IKE_CAUSE_CONFIG_REMOVED = 15,     /* the peer left the configuration on reload */
	IKE_CAUSE_INTERNAL = 16,           /* a local failure (crypto library, memory) */
	IKE_CAUSE_REPLACED = 17,           /* superseded by a newer SA to the same peer */
	IKE_CAUSE_P2_NO_PROPOSAL = 18,     /* Quick Mode: no ESP proposal in common */
	IKE_CAUSE_PFS_MISMATCH = 19,       /* Quick Mode: one side wants PFS (or another group) */
	IKE_CAUSE_PROXY_ID_MISMATCH = 20,  /* Quick Mode: selectors refused (INVALID-ID-INFO) */
	IKE_CAUSE_QM_SILENT = 21,          /* Quick Mode: no reply from the peer */
	IKE_CAUSE_CERT_UNTRUSTED = 22,     /* a certificate does not chain to the configured CA */
	IKE_CAUSE_CERT_EXPIRED = 23,       /* a certificate of the chain is past its notAfter */
	IKE_CAUSE_CERT_NOT_YET_VALID = 24, /* ... before its notBefore */
	IKE_CAUSE_CERT_REVOKED = 25,       /* listed in a configured CRL */
	IKE_CAUSE_CERT_ID_MISMATCH = 26,   /* the identity sent is not in the certificate */
	IKE_CAUSE_BAD_SIGNATURE = 27,      /* SIG_I / SIG_R does not verify */
	IKE_CAUSE_NO_CERTIFICATE = 28,     /* signature authentication without a certificate */
	IKE_CAUSE_PEER_DEAD = 29,          /* DPD: no answer to R-U-THERE for dpd_timeout */
	IKE_CAUSE_INITIAL_CONTACT = 30,    /* the peer restarted: INITIAL-CONTACT on a new SA */
	IKE_CAUSE_COUNT
};

struct ike_cause_info {
	enum ike_cause cause;
	const char *id;   /* stable identifier: "key-mismatch" */
	const char *text; /* short description: "pre-shared key mismatch" */
	const char *hint; /* what an operator should check */
};

/* Entry for a cause; an out-of-range value returns the IKE_CAUSE_NONE entry. */
const struct ike_cause_info *ike_cause_info(enum ike_cause cause);

/* Stable identifier of a cause ("peer-silent"). */
const char *ike_cause_id(enum ike_cause cause);

/* Cause for a stable identifier, or -1 when unknown. */
int ike_cause_from_id(const char *id);

#endif /* IKE_CAUSES_H */
