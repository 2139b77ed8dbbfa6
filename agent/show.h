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

#include "agent/stall.h"
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
 * when g is not NULL (with the DH worker pool's when dh is not NULL).  now_mono gives
 * seconds in state. */
void show_isakmp_sa_json(struct strbuf *out, const struct ike_sa *first,
                         const struct ike_global_counters *g, const struct ike_dh_stats *dh,
                         const struct timespec *now_mono);

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
 *   Peer             Remote               Auto  Status IKE-SA  State          Children ...
 * Status is up or down as st->up says; IKE-SA the conn-id of its newest live IKE SA or
 * "-"; State that SA's Cisco state or "-"; Children "installed/wanted", "-" for a peer
 * monitored in phase 1 only.  The caller collects st[0..n-1] with
 * ike_engine_peer_status(); st[i].cfg must not be NULL.  The Health, Alarm and Cause
 * columns (see struct show_peer_row) read "up" or "down", "-" and "-": without the stall
 * detector nothing more is known; ikemond uses show_peer_rows().
 */
void show_peers(struct strbuf *out, const struct ike_peer_status *st, size_t n);

/* `show ikemon peers --json`: {"peers":[...]} with everything in each status. */
void show_peers_json(struct strbuf *out, const struct ike_peer_status *st, size_t n);

/*
 * A row of `show ikemon peers` as the daemon sees it: the engine's status plus the
 * stall detector's view of the peer.  The table is the one above with three columns
 * added at the end (so that parsers of the first seven keep working):
 *   ... Children Health      Alarm Cause
 * Health is peer_health_name(health); Alarm the raise sequence number of the peer's
 * active alarm or "-"; Cause the cause's identifier when the peer is not up and a cause
 * is known, else "-".
 */
struct show_peer_row {
	struct ike_peer_status st; /* st.cfg must not be NULL */
	enum peer_health health;   /* stall_peer_health() */
	enum ike_cause cause;      /* its cause; IKE_CAUSE_NONE when up or unknown */
	const char *cause_detail;  /* may be NULL */
	uint64_t alarm_seq;        /* raise_seq of the active alarm (stall_alarm_of), 0: none */
};

/*
 * `show ikemon peers` from rows.  show_peers() above prints the same table, with the
 * health read from st->up alone (up or down), no alarm and no cause.
 */
void show_peer_rows(struct strbuf *out, const struct show_peer_row *rows, size_t n);

/* `show ikemon peers --json` from rows: show_peers_json()'s fields plus "health",
 * "cause" (identifier, "none" when up), "cause_detail" and "alarm_seq" (null: none). */
void show_peer_rows_json(struct strbuf *out, const struct show_peer_row *rows, size_t n);

/* How a peer's remote reads in the config: "192.0.2.7", "10.0.0.0/8", "%any", with
 * ":PORT" ("[ADDR]:PORT" for IPv6) when not 500.  Returns buf. */
char *show_peer_remote(const struct ike_peer_cfg *p, char *buf, size_t len);

/* ---- show alarms (show_alarms.c) ---- */

/*
 * `show alarms` (history false) or `show alarms history` (history true) from a list of
 * alarms chained by ->next (stall_active() or stall_history()).  A header line
 *   Active alarms: N (last sequence number S)      ("Cleared alarms: ..." for history)
 * where S is last_seq (stall_last_seq()); when N > 0 a column header and, per alarm, a
 * row, then "  hint: ..." (the cause's hint) and, when the engine gave one,
 * "  detail: ...":
 *   Seq   Peer             Remote               State             For    Conn-id Child
 *   Cause                 Raised               [Cleared              Clear-seq Reason]
 * Remote is the address (":PORT" when not 500, "[ADDR]:PORT" for IPv6); State the
 * Cisco state held, "QM_IDLE (phase 2)" for a Quick Mode stall, whose Quick Mode index
 * is in Child ("-" otherwise); For the time the state was held (stall_alarm_seconds()
 * at now_mono: "45s", "12m05s", "1h02m", "3d04h"); Raised and Cleared ISO 8601 UTC;
 * Clear-seq the clear's sequence number and Reason alarm_clear_reason_name().  Rows are
 * in list order.
 */
void show_alarms(struct strbuf *out, const struct stall_alarm *first, uint64_t last_seq,
                 const struct timespec *now_mono, bool history);

/*
 * `show alarms [history] --json`: {"last_seq":S,"alarms":[...]} with every field of each
 * alarm: raise_seq, peer, local and remote ({"address","port"} or null), state (Cisco
 * name) and state_number (enum cisco_state, the MIB's IkemonCiscoState), phase2,
 * seconds_in_state, since, conn_id, child_index, cause (identifier), cause_number,
 * cause_text, hint, cause_detail, threshold_s, raised, clear_seq (null while active),
 * cleared (null while active) and clear_reason ("active" while active).  Times are ISO
 * 8601 UTC.  now_mono NULL reads the clock.
 */
void show_alarms_json(struct strbuf *out, const struct stall_alarm *first, uint64_t last_seq,
                      const struct timespec *now_mono);

#endif /* AGENT_SHOW_H */
