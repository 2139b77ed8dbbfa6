/*
 * show_peers.c - `show ikemon peers`: one line per configured peer saying whether its
 * tunnel is up, the first question a NOC asks.  IOS has no such command, so the layout
 * is ikemon's own: a fixed-width table whose fields never contain blanks, so that it
 * splits on whitespace.
 *
 * The view formats statuses the caller collected (ike_engine_peer_status(), and the stall
 * detector's health, cause and alarm of each peer), which keeps it testable without an
 * engine.  The detector's columns come last, so scripts that read the first seven keep
 * working.  A peer's configuration holds its pre-shared key: only
 * the fields named below are read from it, never psk.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "agent/show.h"

#define PEERS_ROW "%-16s %-20s %-5s %-6s %-7s %-14s %-8s %-11s %-5s %s\n"

/* ---------------------------------------------------------------- fields */

static bool remote_is_v6(const struct ike_peer_cfg *p)
{
	return p->remote.ss_family == AF_INET6;
}

/* Whether the remote is one address rather than a subnet. */
static bool remote_is_host(const struct ike_peer_cfg *p)
{
	return p->remote_prefix == (remote_is_v6(p) ? 128 : 32);
}

char *show_peer_remote(const struct ike_peer_cfg *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN], prefix[8] = "";
	unsigned int port = show_port(&p->remote);
	bool v6 = remote_is_v6(p);

	if (p->remote_any) {
		snprintf(buf, len, "%%any");
		return buf;
	}
	show_addr(&p->remote, v6, addr, sizeof(addr));
	if (!remote_is_host(p))
		snprintf(prefix, sizeof(prefix), "/%u", (unsigned)p->remote_prefix);
	if (port == 0 || port == 500)
		snprintf(buf, len, "%s%s", addr, prefix);
	else if (v6)
		snprintf(buf, len, "[%s%s]:%u", addr, prefix, port);
	else
		snprintf(buf, len, "%s%s:%u", addr, prefix, port);
	return buf;
}

static const char *auto_name(enum ike_auto a)
{
	return a == IKE_AUTO_START ? "start" : "add";
}

/* The Cisco state of the peer's IKE SA; a deleted one reads MM_NO_STATE, as on IOS. */
static const char *ike_cisco(const struct ike_sa *sa)
{
	if (sa->state == IKE_ST_DELETED)
		return cisco_state_name(CISCO_MM_NO_STATE);
	return cisco_state_name(ike_state_cisco(sa->state));
}

static const char *ike_internal(const struct ike_sa *sa)
{
	const struct ike_state_row *row = ike_state_row(sa->state);

	return row != NULL ? row->name : "UNKNOWN";
}

/* Without the stall detector: the health is what st->up says, nothing more. */
static struct show_peer_row row_of_status(const struct ike_peer_status *st)
{
	struct show_peer_row r = {.st = *st};

	r.health = st->up ? PEER_UP : PEER_DOWN;
	r.cause = IKE_CAUSE_NONE;
	return r;
}

/* The cause is news only while the peer is not up. */
static enum ike_cause row_cause(const struct show_peer_row *r)
{
	return r->health == PEER_UP ? IKE_CAUSE_NONE : r->cause;
}

/* ---------------------------------------------------------------- the table */

static void peers_header(struct strbuf *out)
{
	strbuf_printf(out, PEERS_ROW, "Peer", "Remote", "Auto", "Status", "IKE-SA", "State",
	              "Children", "Health", "Alarm", "Cause");
}

static void peer_row(struct strbuf *out, const struct show_peer_row *r)
{
	const struct ike_peer_status *st = &r->st;
	char remote[64], conn[16] = "-", children[32] = "-", alarm[24] = "-";
	const char *state = "-", *cause = "-";

	if (st->ike != NULL) {
		snprintf(conn, sizeof(conn), "%lu", (unsigned long)st->ike->conn_id);
		state = ike_cisco(st->ike);
	}
	if (st->children_wanted > 0)
		snprintf(children, sizeof(children), "%zu/%zu", st->children_up,
		         st->children_wanted);
	if (r->alarm_seq != 0)
		snprintf(alarm, sizeof(alarm), "%llu", (unsigned long long)r->alarm_seq);
	if (row_cause(r) != IKE_CAUSE_NONE)
		cause = ike_cause_id(row_cause(r));
	strbuf_printf(out, PEERS_ROW, st->cfg->name,
	              show_peer_remote(st->cfg, remote, sizeof(remote)),
	              auto_name(st->cfg->autostart), st->up ? "up" : "down", conn, state, children,
	              peer_health_name(r->health), alarm, cause);
}

void show_peers(struct strbuf *out, const struct ike_peer_status *st, size_t n)
{
	struct show_peer_row r;

	peers_header(out);
	for (size_t i = 0; i < n; i++) {
		r = row_of_status(&st[i]);
		peer_row(out, &r);
	}
}

void show_peer_rows(struct strbuf *out, const struct show_peer_row *rows, size_t n)
{
	peers_header(out);
	for (size_t i = 0; i < n; i++)
		peer_row(out, &rows[i]);
}

/* ---------------------------------------------------------------- JSON */

static void jw_peer_ike(struct jw *w, const struct ike_sa *sa)
{
	if (sa == NULL) {
		jw_null(w, "ike");
		return;
	}
	jw_open(w, "ike", '{');
	jw_u64(w, "conn_id", sa->conn_id);
	jw_str(w, "state", ike_internal(sa));
	jw_str(w, "cisco_state", ike_cisco(sa));
	jw_endpoint(w, "local", &sa->local);
	jw_endpoint(w, "remote", &sa->remote);
	jw_time(w, "established", sa->established_wall);
	jw_time(w, "expires", sa->expires_wall);
	jw_close(w, '}');
}

/* What the stall detector says of the peer. */
static void jw_peer_health(struct jw *w, const struct show_peer_row *r)
{
	jw_str(w, "health", peer_health_name(r->health));
	jw_str(w, "cause", ike_cause_id(row_cause(r)));
	jw_str(w, "cause_detail",
	       row_cause(r) != IKE_CAUSE_NONE && r->cause_detail != NULL ? r->cause_detail : "");
	if (r->alarm_seq != 0)
		jw_u64(w, "alarm_seq", r->alarm_seq);
	else
		jw_null(w, "alarm_seq");
}

static void jw_peer(struct jw *w, const struct show_peer_row *r)
{
	const struct ike_peer_status *st = &r->st;
	const struct ike_peer_cfg *p = st->cfg;
	char remote[64];

	jw_open(w, NULL, '{');
	jw_str(w, "name", p->name);
	jw_str(w, "remote", show_peer_remote(p, remote, sizeof(remote)));
	jw_bool(w, "remote_any", p->remote_any);
	if (p->remote_any)
		jw_null(w, "remote_prefix");
	else
		jw_u64(w, "remote_prefix", p->remote_prefix);
	jw_endpoint(w, "local", &p->local);
	jw_str(w, "auto", auto_name(p->autostart));
	jw_bool(w, "up", st->up);
	jw_str(w, "status", st->up ? "up" : "down");
	jw_peer_health(w, r);
	jw_peer_ike(w, st->ike);
	jw_open(w, "children", '{');
	jw_u64(w, "wanted", st->children_wanted);
	jw_u64(w, "up", st->children_up);
	jw_close(w, '}');
	/* the peer's Dead Peer Detection counters, over all its SAs (ikemonPeerDpd*) */
	jw_open(w, "dpd", '{');
	jw_u64(w, "r_u_there_out", st->stats.traffic.dpd_r_u_there_out);
	jw_u64(w, "r_u_there_in", st->stats.traffic.dpd_r_u_there_in);
	jw_u64(w, "ack_out", st->stats.traffic.dpd_ack_out);
	jw_u64(w, "ack_in", st->stats.traffic.dpd_ack_in);
	jw_close(w, '}');
	jw_open(w, "rekeys", '{');
	jw_u64(w, "ike", st->stats.rekeys_ike);
	jw_u64(w, "ipsec", st->stats.rekeys_ipsec);
	jw_u64(w, "failed", st->stats.rekeys_failed);
	jw_close(w, '}');
	jw_close(w, '}');
}

static void peers_json_open(struct jw *w)
{
	jw_open(w, NULL, '{');
	jw_open(w, "peers", '[');
}

static void peers_json_close(struct jw *w)
{
	jw_close(w, ']');
	jw_close(w, '}');
	strbuf_append(w->b, "\n", 1);
}

void show_peers_json(struct strbuf *out, const struct ike_peer_status *st, size_t n)
{
	struct jw w = {out, false};
	struct show_peer_row r;

	peers_json_open(&w);
	for (size_t i = 0; i < n; i++) {
		r = row_of_status(&st[i]);
		jw_peer(&w, &r);
	}
	peers_json_close(&w);
}

void show_peer_rows_json(struct strbuf *out, const struct show_peer_row *rows, size_t n)
{
	struct jw w = {out, false};

	peers_json_open(&w);
	for (size_t i = 0; i < n; i++)
		jw_peer(&w, &rows[i]);
	peers_json_close(&w);
}
