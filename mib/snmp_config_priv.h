/*
 * snmp_config_priv.h - what mib/snmp_config.c and mib/snmp_trapsess.c share (private to
 * the [snmp] parser): words, limits, the checks of single words and the line table.
 */
#ifndef MIB_SNMP_CONFIG_PRIV_H
#define MIB_SNMP_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "mib/snmp_agent.h"

#define MAX_TOKENS     48
#define COMMUNITY_MAX  64
#define USER_MAX       32 /* SnmpAdminString (SIZE(1..32)) for a securityName */
#define PASSPHRASE_MIN 8  /* Net-SNMP refuses shorter ones (USM_LENGTH_P_MIN) */
#define PASSPHRASE_MAX 128
#define HOST_MAX       128

/* A value split into words (pointers into the value, cut in place). */
struct tokens {
	char *v[MAX_TOKENS];
	size_t n;
};

/* msg = the formatted message; returns -1. */
int snmpcfg_fail(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Split s in place into blank-separated words; "a b" is one word without its quotes.
 * 0, or -1 with msg.
 */
int snmpcfg_tokenize(char *s, struct tokens *t, char *msg, size_t msglen);
/* Add a Net-SNMP line of words (NULL-terminated), a word with blanks quoted. */
int snmpcfg_add_line(struct snmp_config *c, char *msg, size_t msglen, const char *const *words);

/* 1..max printable characters. */
bool snmpcfg_printable(const char *s, size_t max);
/* A transport address: [udp:|tcp:|udp6:|tcp6:]HOST[:PORT], no blanks. */
bool snmpcfg_host_ok(const char *s);
/* SHA-256, SHA-384, SHA-512, SHA-224 or SHA. */
bool snmpcfg_auth_proto_ok(const char *s);
/* PASSPHRASE_MIN to PASSPHRASE_MAX printable characters. */
bool snmpcfg_passphrase_ok(const char *s);

/* trap2sink and informsink = HOST[:PORT] COMMUNITY (key says which). */
int snmpcfg_set_sink(struct snmp_config *c, const char *key, struct tokens *t, char *msg,
                     size_t msglen);
/* trapsess = snmptrap's options and a HOST (t without the key). */
int snmpcfg_set_trapsess(struct snmp_config *c, struct tokens *t, char *msg, size_t msglen);
/* The secrets of a trapsess line's words (t->v[0] is "trapsess"). */
void snmpcfg_trapsess_secrets(const struct tokens *t, void (*fn)(void *ctx, const char *secret),
                              void *ctx);

#endif /* MIB_SNMP_CONFIG_PRIV_H */
