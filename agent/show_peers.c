/*
 * show_peers.c - `show ikemon peers`: one line per configured peer saying whether its
 * tunnel is up, the first question a NOC asks.  IOS has no such command, so the layout
 * is ikemon's own: a fixed-width table whose fields never contain blanks, so that it
 * splits on whitespace.
 *
 * The view formats statuses the caller collected (ike_engine_peer_status()), which keeps
 * it testable without an engine.  A peer's configuration holds its pre-shared key: only
 * the fields named below are read from it, never psk.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "agent/show.h"

#define PEERS_ROW "%-16s %-20s %-5s %-6s %-7s %-14s %s\n"

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

/* ---------------------------------------------------------------- the table */

static void peer_row(struct strbuf *out, const struct ike_peer_status *st)
{
	char remote[64], conn[16] = "-", children[32] = "-";
	const char *state = "-";

	if (st->ike != NULL) {
		snprintf(conn, sizeof(conn), "%lu", (unsigned long)st->ike->conn_id);
		state = ike_cisco(st->ike);
	}
	if (st->children_wanted > 0)
		snprintf(children, sizeof(children), "%zu/%zu", st->children_up,
		         st->children_wanted);
	strbuf_printf(out, PEERS_ROW, st->cfg->name,
	              show_peer_remote(st->cfg, remote, sizeof(remote)),
	              auto_name(st->cfg->autostart), st->up ? "up" : "down", conn, state, children);
}

void show_peers(struct strbuf *out, const struct ike_peer_status *st, size_t n)
{
	strbuf_printf(out, PEERS_ROW, "Peer", "Remote", "Auto", "Status", "IKE-SA", "State",
	              "Children");
	for (size_t i = 0; i < n; i++)
		peer_row(out, &st[i]);
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

static void jw_peer(struct jw *w, const struct ike_peer_status *st)
{
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
	jw_peer_ike(w, st->ike);
	jw_open(w, "children", '{');
	jw_u64(w, "wanted", st->children_wanted);
	jw_u64(w, "up", st->children_up);
	jw_close(w, '}');
	jw_close(w, '}');
}

void show_peers_json(struct strbuf *out, const struct ike_peer_status *st, size_t n)
{
	struct jw w = {out, false};

	jw_open(&w, NULL, '{');
	jw_open(&w, "peers", '[');
	for (size_t i = 0; i < n; i++)
		jw_peer(&w, &st[i]);
	jw_close(&w, ']');
	jw_close(&w, '}');
	strbuf_append(out, "\n", 1);
}
