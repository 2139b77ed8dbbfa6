/*
 * peer.h - what the engine is told about each configured peer and about itself.
 *
 * The agent's config parser fills these; the engine keeps its own copy (so a reload can
 * compare old and new) and never reads the config file.
 */
#ifndef IKE_PEER_H
#define IKE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define IKE_PEER_NAME_MAX 32 /* SnmpAdminString (SIZE(1..32)) in the MIB */
#define IKE_ID_MAX        255
#define IKE_PSK_MAX       512
#define IKE_MAX_PROPOSALS 16

/* One phase-1 proposal: "aes128-sha256-modp2048". */
struct ike_creds; /* ike/cert.h */

struct ike_proposal {
	uint16_t encr;   /* enum ike_encr */
	uint16_t keylen; /* bits; 0 for fixed-length ciphers (3DES) */
	uint16_t hash;   /* enum ike_hash (also the PRF: HMAC of it) */
	uint16_t group;  /* enum ike_group */
};

enum ike_auto { IKE_AUTO_ADD = 0, IKE_AUTO_START = 1 };

#define IKE_MAX_TS 8 /* selectors per side; children = local_ts x remote_ts */

/* One ESP proposal: "aes128-sha256" or, with PFS, "aes128-sha256-modp2048". */
struct ike_esp_proposal {
	uint16_t encr;   /* enum ipsec_esp_id */
	uint16_t keylen; /* bits; 0 for 3DES */
	uint16_t auth;   /* enum ipsec_auth_alg */
	uint16_t group;  /* enum ike_group for PFS; 0 = no PFS */
};

/*
 * A traffic selector (a Quick Mode client identity): a host, a subnet or a range of
 * addresses, with an optional IP protocol and port.  Addresses in network order.
 */
enum ike_ts_kind { IKE_TS_SUBNET = 0, IKE_TS_RANGE = 1 };
struct ike_ts {
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint8_t kind;     /* enum ike_ts_kind; a host is a subnet of full length */
	uint8_t prefix;   /* subnet prefix length */
	uint8_t proto;    /* IP protocol, 0 = any */
	uint16_t port;    /* 0 = any */
	uint8_t from[16]; /* subnet address, or first of a range */
	uint8_t to[16];   /* last of a range (unused for a subnet) */
};

/* An identity as configured or received: type plus printable value. */
struct ike_id {
	uint8_t type;               /* enum ike_id_type; 0 = default (our/their address) */
	char value[IKE_ID_MAX + 1]; /* "192.0.2.1", "gw.example.net", "user@example.net" */
};

/*
 * A peer's own stall thresholds (ms; 0 = the global value): stall_after, per Cisco
 * state (stall_after.MM_KEY_EXCH, indexed by enum cisco_state), qm_stall_after.  The
 * engine ignores them; the agent's stall detector reads them.
 */
struct ike_stall_override {
	uint32_t stall_after_ms;
	uint32_t state_ms[9]; /* [CISCO_MM_NO_STATE .. CISCO_QM_IDLE] */
	uint32_t qm_stall_after_ms;
};

struct ike_peer_cfg {
	char name[IKE_PEER_NAME_MAX + 1];
	/* remote: an address (port optional), a subnet, or any (%any) */
	struct sockaddr_storage remote; /* address and port (port 500 when not given) */
	uint8_t remote_prefix;          /* prefix length; full length for one address */
	bool remote_any;                /* %any */
	struct sockaddr_storage local;  /* local address and port; family 0 = any */
	uint8_t psk[IKE_PSK_MAX];       /* secret: never logged, wiped when dropped */
	size_t psk_len;
	struct ike_proposal ike[IKE_MAX_PROPOSALS];
	size_t n_ike;
	struct ike_id local_id;
	struct ike_id remote_id;
	enum ike_auto autostart;
	uint32_t ike_lifetime; /* seconds */

	/*
	 * Phase 2.  A peer has children when any of esp, local_ts, remote_ts is set; then
	 * one child per (local_ts, remote_ts) pair, each a Quick Mode of its own.  Absent
	 * values default to: esp "aes128-sha256", selectors the two addresses, tunnel,
	 * 3600 s, no kilobyte limit.  A peer without children is monitored in phase 1 only.
	 */
	bool has_children;
	struct ike_esp_proposal esp[IKE_MAX_PROPOSALS];
	size_t n_esp;
	struct ike_ts local_ts[IKE_MAX_TS];
	size_t n_local_ts;
	struct ike_ts remote_ts[IKE_MAX_TS];
	size_t n_remote_ts;
	uint8_t mode;               /* IPSEC_MODE_TUNNEL or IPSEC_MODE_TRANSPORT */
	uint32_t ipsec_lifetime_s;  /* seconds */
	uint32_t ipsec_lifetime_kb; /* kilobytes; 0 = none */

	struct ike_stall_override stall;

	/*
	 * Dead Peer Detection (RFC 3706), used when the peer announces it too: after
	 * dpd_delay_s without a message from the peer on an established ISAKMP SA, an
	 * R-U-THERE; without an answer for dpd_timeout_s the peer is dead.  0 = off.
	 */
	uint32_t dpd_delay_s;
	uint32_t dpd_timeout_s;

	/*
	 * Signature authentication: the peer's certificate, key, CAs and CRLs (ike/cert.h),
	 * shared by reference: whoever copies a configuration holding them takes a
	 * reference (ike_creds_ref) and drops it when done.  NULL: pre-shared key.
	 */
	struct ike_creds *creds;
	uint8_t send_cert; /* enum ike_send_cert */

	/*
	 * Aggressive Mode (RFC 2409 5.4).  exchange: what we initiate with,
	 * ISAKMP_XCHG_IDPROT (Main, the default; 0 means the same) or ISAKMP_XCHG_AGGR.
	 * aggressive: whether we answer an Aggressive Mode from this peer (off by
	 * default: AM2 carries a hash of the key an eavesdropper can attack offline).
	 */
	uint8_t exchange;
	bool aggressive;

	/*
	 * Rekeying (ike/rekey.c): a new SA before the old one's lifetime runs out.  rekey:
	 * enum ike_rekey (0: the [ikemond] setting); rekey_margin_s: seconds before expiry
	 * (0: the [ikemond] setting); rekey_fuzz_pct: percent of the margin added at random,
	 * when rekey_fuzz_set (else the [ikemond] setting).  None of them touches an SA.
	 */
	uint8_t rekey;
	uint32_t rekey_margin_s;
	bool rekey_fuzz_set;
	uint32_t rekey_fuzz_pct;
};

enum ike_rekey { IKE_REKEY_DEFAULT = 0, IKE_REKEY_YES = 1, IKE_REKEY_NO = 2 };

/* When our certificate goes in MM5 / MM6. */
enum ike_send_cert {
	IKE_SEND_CERT_ALWAYS = 0,  /* always (the default) */
	IKE_SEND_CERT_IFASKED = 1, /* when the peer sent a certificate request */
	IKE_SEND_CERT_NEVER = 2,   /* never: the peer must have it already */
};

/* The auth method a peer's configuration uses: IKE_AUTH_PSK, or its key's signature. */
uint16_t ike_peer_auth(const struct ike_peer_cfg *p);

/* Engine-wide settings from the [ikemond] section. */
struct ike_settings {
	uint32_t retransmit_timeout_ms; /* first wait; doubles on each try */
	uint32_t retransmit_tries;      /* retransmissions before giving up */
	uint32_t deleted_linger_s;      /* how long deleted SAs stay visible */
	uint32_t restart_delay_s;       /* auto=start: wait before negotiating again */
	uint32_t natt_keepalive_s;      /* behind a NAT: keepalive interval; 0 = none */

	/* half-open responder SAs (only the first message seen; ike/half_open.c) */
	uint32_t max_half_open;            /* in all; 0 = no cap */
	uint32_t max_half_open_per_source; /* from one address; 0 = no limit */
	uint32_t half_open_timeout_s;      /* wait for the third message at most; 0 = span */

	/* rekeying defaults for peers that do not set their own (peer.h ike_peer_cfg) */
	bool rekey;
	uint32_t rekey_margin_s;
	uint32_t rekey_fuzz_pct;

	uint32_t dh_workers;  /* DH worker threads; 0 = on the loop (read at start) */
	uint32_t dh_max_jobs; /* DH jobs out at most; 0 = IKE_DHPOOL_MAX_JOBS (tests) */
	bool dh_known_key;    /* load generators only: private value 1 (dh.h ike_dh_new_known) */

	bool ignore_initial_contact; /* one engine for many hosts (ikeload): false */
};

/* Default settings: 1 s, 5 tries (63 s span), 60 s linger, 5 s restart delay, 20 s NAT-T
 * keepalives; 10000 half-open SAs, 32 from one address, 30 s for the third message;
 * rekeying on, 540 s margin, 100 % fuzz (strongSwan's margintime, rekeyfuzz); DH on the
 * loop thread (the daemon's configuration defaults to a pool). */
void ike_settings_default(struct ike_settings *s);

/* Total time from the first transmission until the last retransmission times out, ms. */
uint64_t ike_settings_retransmit_span_ms(const struct ike_settings *s);

/*
 * Whether the two peer configs differ in anything that matters to an SA.  The pre-shared
 * key and the rekey settings do not: they apply to the next negotiation (a new key makes
 * the next rekey fail, as on IOS and strongSwan, while the SAs up now stay up).
 */
bool ike_peer_cfg_differs(const struct ike_peer_cfg *a, const struct ike_peer_cfg *b);

/* Whether addr (with port ignored) falls within the peer's remote. */
bool ike_peer_matches_addr(const struct ike_peer_cfg *p, const struct sockaddr *addr);

/* "aes128-sha256-modp2048" for a proposal, into buf; returns buf. */
char *ike_proposal_format(const struct ike_proposal *p, char *buf, size_t len);

/*
 * Parse strongSwan proposal syntax, a comma-separated list: "aes128-sha256-modp2048,
 * 3des-sha1-modp1024".  Fills out (at most max) and *n.  Returns 0, or -1 with a
 * message in err ("unknown algorithm 'aes99'").
 */
int ike_proposals_parse(const char *text, struct ike_proposal *out, size_t max, size_t *n,
                        char *err, size_t errlen);

/*
 * Parse ESP proposals: "aes128-sha256, aes256-sha1-modp2048, 3des-sha1".  Encryption
 * aes128|aes192|aes256|aes|3des; integrity sha1|sha256|sha384|sha512|md5; optional DH
 * group for PFS as in ike_proposals_parse.  Returns 0, or -1 with a message in err.
 */
int ike_esp_proposals_parse(const char *text, struct ike_esp_proposal *out, size_t max, size_t *n,
                            char *err, size_t errlen);
char *ike_esp_proposal_format(const struct ike_esp_proposal *p, char *buf, size_t len);

/*
 * Parse a selector list: "10.1.0.0/24, 192.0.2.7, 10.9.0.1-10.9.0.20, 2001:db8::/64",
 * each optionally followed by "[PROTO/PORT]" (strongSwan's syntax: "10.1.0.0/24[tcp/80]",
 * proto by name or number, port by number; either may be empty).  Returns 0, or -1
 * with a message in err.
 */
int ike_ts_parse(const char *text, struct ike_ts *out, size_t max, size_t *n, char *err,
                 size_t errlen);
/* "10.1.0.0/24", "10.9.0.1-10.9.0.20", "192.0.2.7/32[udp/500]" */
char *ike_ts_format(const struct ike_ts *ts, char *buf, size_t len);
/* A host selector for an address (port ignored). */
void ike_ts_from_addr(struct ike_ts *ts, const struct sockaddr *addr);
/* Whether two selectors are identical. */
bool ike_ts_equal(const struct ike_ts *a, const struct ike_ts *b);

#endif /* IKE_PEER_H */
