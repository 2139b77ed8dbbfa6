/*
 * config_value.h - parsers for single ikemond.conf values (private to agent/config.c).
 *
 * They know nothing of files, lines or sections: config.c prefixes "FILE:LINE: " to the
 * messages they write.  No message ever quotes a pre-shared key.  The text helpers of the
 * line parser (blanks, comments, lists) are here too.
 */
#ifndef AGENT_CONFIG_VALUE_H
#define AGENT_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike/peer.h"
#include "ike/state.h"

#define CONFIG_IKE_PORT  500
#define CONFIG_HTTP_PORT 9731 /* the port [http] listens on when listen names none */

/* s without leading and trailing blanks (cut in place). */
char *config_value_trim(char *s);

/* The next comma-separated item of *rest, trimmed; NULL when the list is used up. */
char *config_value_split_next(char **rest);

/*
 * Cut a comment: ';' or '#' at the start of the line or after whitespace, outside a
 * double-quoted string (a psk may hold either character).
 */
void config_value_strip_comment(char *s);

/* A peer name: 1 to IKE_PEER_NAME_MAX of A-Z a-z 0-9 _ . - */
bool config_value_peer_name(const char *name);

/* err, warning, notice, info, debug into syslog's numbers (LOG_ERR ...). */
bool config_value_log_level(const char *s, int *level);

/* Decimal digits only (no sign, blanks or hex) within min..max. */
bool config_value_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* Seconds with at most millisecond precision ("2", "0.25") into milliseconds. */
bool config_value_seconds_ms(const char *s, uint32_t *ms);

/*
 * Seconds as config_value_seconds_ms() reads them, within min_ms..max_ms.  key names the
 * setting in the message ("bad KEY 'VAL' (expected seconds, 0.1 to 86400)").  Returns 0,
 * or -1 with msg.
 */
int config_value_seconds_in(const char *s, const char *key, uint32_t min_ms, uint32_t max_ms,
                            uint32_t *ms, char *msg, size_t msglen);

/* Milliseconds as seconds without trailing zeros ("63", "0.25", "62.9") into buf. */
const char *config_value_ms_text(uint64_t ms, char *buf, size_t len);

/*
 * The state a stall_after.STATE key names: a Cisco name before QM_IDLE, in any case
 * (QM_IDLE's threshold is qm_stall_after).  key is the whole key, for the message.
 * Returns 0, or -1 with msg.
 */
int config_value_stall_state(const char *name, const char *key, enum cisco_state *state, char *msg,
                             size_t msglen);

/* Prefix length of a full address of the family: 32 or 128. */
unsigned config_value_addr_bits(int family);

/* A numeric IPv4 or IPv6 address (never a host name) with the given port. */
bool config_value_addr(const char *s, uint16_t port, struct sockaddr_storage *ss);

/*
 * "192.0.2.1", "192.0.2.1:4500", "[2001:db8::1]:500", "[::]" or a bare "2001:db8::1";
 * the port is CONFIG_IKE_PORT when not given.
 */
bool config_value_hostport(const char *s, struct sockaddr_storage *ss);

/* The same, with default_port when no port is given. */
bool config_value_hostport_or(const char *s, uint16_t default_port, struct sockaddr_storage *ss);

/*
 * listen = a comma-separated list of config_value_hostport_or() addresses, port when
 * one names none, none twice, into ss (at most max; *n of them).  s is modified.
 * Returns 0, or -1 with msg.
 */
int config_value_listen(char *s, uint16_t port, struct sockaddr_storage *ss, size_t max, size_t *n,
                        char *msg, size_t msglen);

/* Whether remote names one host (not a subnet, not %any). */
bool config_value_remote_single(const struct ike_peer_cfg *p);

/*
 * remote = ADDR[:PORT] | [V6ADDR]:PORT | ADDR/PREFIX | %any into p->remote,
 * p->remote_prefix and p->remote_any.  s is modified.  Returns 0, or -1 with msg.
 */
int config_value_remote(char *s, struct ike_peer_cfg *p, char *msg, size_t msglen);

/*
 * psk = "text" (with \" and \\ escapes) | 0xHEX | file:/path, decoded straight into
 * psk (IKE_PSK_MAX bytes).  A psk file must be a regular file that neither group nor
 * others may read or write; one trailing newline is stripped.  Returns 0, or -1 with a
 * message that never holds the secret.
 */
int config_value_psk(const char *s, uint8_t *psk, size_t *psk_len, char *msg, size_t msglen);

/*
 * A password: "text" (with \" and \\ escapes) | file:/path, the file under the same
 * rules as a psk file, into pw as a C string (at most size - 1 bytes, no NUL).  key
 * names the setting in messages.  Returns 0, or -1 with a message that never holds the
 * secret (pw is then wiped).
 */
int config_value_password(const char *s, const char *key, char *pw, size_t size, char *msg,
                          size_t msglen);

/* on | off */
bool config_value_on_off(const char *s, bool *on);

/*
 * An absolute path to an existing regular file, copied into path (size bytes with the
 * NUL).  The file is not opened.  Returns 0, or -1 with msg.
 */
int config_value_file(const char *s, const char *key, char *path, size_t size, char *msg,
                      size_t msglen);

/* A user name for basic auth: 1 to size - 1 visible ASCII characters, no ':'. */
bool config_value_user(const char *s, size_t size);

/*
 * An identity: "fqdn:", "email:", "userfqdn:", "ipv4:", "ipv6:" or "dn:" names the type;
 * otherwise an address literal is IPV4_ADDR / IPV6_ADDR, text with '=' DER_ASN1_DN
 * ("C=CH, O=Example, CN=gw1", kept in ike/cert.h's form), "user@host" USER_FQDN,
 * "@name" and anything else FQDN; "%any" (type 0, value "%any") accepts any identity.  Addresses
 * are stored in canonical form.  key names the setting in messages.  Returns 0, or -1 with msg.
 */
int config_value_id(const char *s, const char *key, struct ike_id *id, char *msg, size_t msglen);

#endif /* AGENT_CONFIG_VALUE_H */
