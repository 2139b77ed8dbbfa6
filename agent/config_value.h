/*
 * config_value.h - parsers for single ikemond.conf values (private to agent/config.c).
 *
 * They know nothing of files, lines or sections: config.c prefixes "FILE:LINE: " to the
 * messages they write.  No message ever quotes a pre-shared key.
 */
#ifndef AGENT_CONFIG_VALUE_H
#define AGENT_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike/peer.h"

#define CONFIG_IKE_PORT 500

/* Decimal digits only (no sign, blanks or hex) within min..max. */
bool config_value_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* Seconds with at most millisecond precision ("2", "0.25") into milliseconds. */
bool config_value_seconds_ms(const char *s, uint32_t *ms);

/* Prefix length of a full address of the family: 32 or 128. */
unsigned config_value_addr_bits(int family);

/* A numeric IPv4 or IPv6 address (never a host name) with the given port. */
bool config_value_addr(const char *s, uint16_t port, struct sockaddr_storage *ss);

/*
 * "192.0.2.1", "192.0.2.1:4500", "[2001:db8::1]:500", "[::]" or a bare "2001:db8::1";
 * the port is CONFIG_IKE_PORT when not given.
 */
bool config_value_hostport(const char *s, struct sockaddr_storage *ss);

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
 * An identity: "fqdn:", "email:", "userfqdn:", "ipv4:" or "ipv6:" names the type;
 * otherwise an address literal is IPV4_ADDR / IPV6_ADDR, "user@host" USER_FQDN,
 * "@name" and anything else FQDN.  Addresses are stored in canonical form.  key names
 * the setting in messages.  Returns 0, or -1 with msg.
 */
int config_value_id(const char *s, const char *key, struct ike_id *id, char *msg, size_t msglen);

#endif /* AGENT_CONFIG_VALUE_H */
