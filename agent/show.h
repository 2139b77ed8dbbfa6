/*
 * show.h - the CLI's views of the SA table: Cisco IOS text and JSON.
 *
 * Functions take the first SA of a list (sa->next chains them, as the SA table's
 * iteration does) and write into a growable output buffer, so they are testable
 * without a running daemon.
 */
#ifndef AGENT_SHOW_H
#define AGENT_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ike/engine.h"
#include "ike/sa.h"

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom; /* sticky */
};
void strbuf_init(struct strbuf *b);
void strbuf_free(struct strbuf *b);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_append(struct strbuf *b, const char *s, size_t len);
/* Append s as a JSON string literal with quotes and escapes. */
void strbuf_json_string(struct strbuf *b, const char *s);

/* `show crypto isakmp sa`, exactly as IOS prints it (see shared CISCO-CLI.md). */
void show_isakmp_sa(struct strbuf *out, const struct ike_sa *first);

/* `show crypto isakmp sa detail`; now_wall/now_mono give the lifetime left. */
void show_isakmp_sa_detail(struct strbuf *out, const struct ike_sa *first, time_t now_wall);

/* `show crypto isakmp sa --json`: every field the SA record holds, plus global counters
 * when g is not NULL.  now_mono gives seconds in state. */
void show_isakmp_sa_json(struct strbuf *out, const struct ike_sa *first,
                         const struct ike_global_counters *g, const struct timespec *now_mono);

/* ---- the JSON writer the views share (show.c) ---- */

/* Places the commas: every jw_* call after the first in an object or array adds one. */
struct jw {
	struct strbuf *b;
	bool comma;
};
/* key NULL inside arrays; the value follows. */
void jw_key(struct jw *w, const char *key);
/* Open ('{' or '[') a member or element; close with the matching bracket. */
void jw_open(struct jw *w, const char *key, char bracket);
void jw_close(struct jw *w, char bracket);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);
/* A wall-clock time as ISO 8601 UTC ("2023-11-14T22:13:20Z"); 0 is null. */
void jw_time(struct jw *w, const char *key, time_t t);
/* {"address": ..., "port": ...}, or null for an address not learnt (family 0). */
void jw_endpoint(struct jw *w, const char *key, const struct sockaddr_storage *ss);

/* ---- show crypto ipsec sa (show_ipsec.c) ---- */

/*
 * `show crypto ipsec sa` in IOS's layout: for each IKE SA with live phase-2 SAs, an
 * "interface:" / "Crypto map tag:" header (the peer's name as the map tag), then one
 * block per pair of selectors with its inbound and outbound ESP SAs.  Installed
 * children show their SAs; pending ones show the selectors without SAs (as IOS shows a
 * flow whose SA is not up); deleted ones are left out (IOS forgets a deleted IPsec SA at
 * once) and stay in the JSON view until they linger out.  No packet counters: ikemon
 * drives no data plane.  now_wall gives the lifetime left.
 */
void show_ipsec_sa(struct strbuf *out, const struct ike_sa *first, time_t now_wall);

/*
 * `show crypto ipsec sa --json`: {"children":[...]} with every field of every child
 * record (deleted and pending ones too), its IKE SA's peer and endpoints, selectors both
 * as text and as numbers, transform numbers and names.  now_mono gives seconds in state
 * (NULL: read the clock).
 */
void show_ipsec_sa_json(struct strbuf *out, const struct ike_sa *first,
                        const struct timespec *now_mono);

/*
 * A printable address without port ("192.0.2.1", "2001:db8::1"); "0.0.0.0" or "::"
 * (by v6) for an address not learnt yet.  Returns buf or a constant.
 */
const char *show_addr(const struct sockaddr_storage *ss, bool v6, char *buf, size_t len);
/* The port of an address, host order; 0 for family 0. */
unsigned int show_port(const struct sockaddr_storage *ss);

/* ---- show ikemon peers (show_peers.c) ---- */

/*
 * `show ikemon peers`: one row per configured peer, the NOC's "is my tunnel up":
 *   Peer             Remote               Auto  Status IKE-SA  State          Children
 * Status is up or down as st->up says; IKE-SA the conn-id of its newest live IKE SA or
 * "-"; State that SA's Cisco state or "-"; Children "installed/wanted", "-" for a peer
 * monitored in phase 1 only.  The caller collects st[0..n-1] with
 * ike_engine_peer_status(); st[i].cfg must not be NULL.
 */
void show_peers(struct strbuf *out, const struct ike_peer_status *st, size_t n);

/* `show ikemon peers --json`: {"peers":[...]} with everything in each status. */
void show_peers_json(struct strbuf *out, const struct ike_peer_status *st, size_t n);

/* How a peer's remote reads in the config: "192.0.2.7", "10.0.0.0/8", "%any", with
 * ":PORT" ("[ADDR]:PORT" for IPv6) when not 500.  Returns buf. */
char *show_peer_remote(const struct ike_peer_cfg *p, char *buf, size_t len);

#endif /* AGENT_SHOW_H */
