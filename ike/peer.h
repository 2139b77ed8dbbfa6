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
struct ike_proposal {
	uint16_t encr;   /* enum ike_encr */
	uint16_t keylen; /* bits; 0 for fixed-length ciphers (3DES) */
	uint16_t hash;   /* enum ike_hash (also the PRF: HMAC of it) */
	uint16_t group;  /* enum ike_group */
};

enum ike_auto { IKE_AUTO_ADD = 0, IKE_AUTO_START = 1 };

/* An identity as configured or received: type plus printable value. */
struct ike_id {
	uint8_t type;               /* enum ike_id_type; 0 = default (our/their address) */
	char value[IKE_ID_MAX + 1]; /* "192.0.2.1", "gw.example.net", "user@example.net" */
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
};

/* Engine-wide settings from the [ikemond] section. */
struct ike_settings {
	uint32_t retransmit_timeout_ms; /* first wait; doubles on each try */
	uint32_t retransmit_tries;      /* retransmissions before giving up */
	uint32_t deleted_linger_s;      /* how long deleted SAs stay visible */
	uint32_t restart_delay_s;       /* auto=start: wait before negotiating again */
};

/* Default settings: 1 s, 5 tries (63 s span), 60 s linger, 5 s restart delay. */
void ike_settings_default(struct ike_settings *s);

/* Total time from the first transmission until the last retransmission times out, ms. */
uint64_t ike_settings_retransmit_span_ms(const struct ike_settings *s);

/* Whether the two peer configs differ in anything that matters to an SA. */
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

#endif /* IKE_PEER_H */
