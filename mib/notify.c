/*
 * notify.c - IKEMON-MIB's notifications: see notify.h.
 *
 * Each notification is built from the event itself, never by looking the row up again:
 * an SA's row may be gone (ikemonSaDeleted) and an alarm's entry cleared by the time a
 * manager reads it.  The varbinds follow MIB-LAYOUT.md exactly, after the snmpTrapOID.0
 * that send_v2trap() wants first (it puts sysUpTime.0 before it).  Instances are the
 * rows' indexes: conn-id, failure-history index, alarm raise sequence.
 *
 * The subscriptions live in a file-static hub because neither the SA table, nor the
 * stall detector, nor the failure history can unsubscribe, while the agent (and so this
 * notifier) may be restarted by a reload; Net-SNMP is one per process anyway.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agent/log.h"
#include "exporters/metrics.h"
#include "ike/ike.h"
#include "ike/sa.h"
#include "mib/mib_private.h"
#include "mib/notify.h"
#include "mib/snmp_log.h"

/* ikemonMIB's branches; the columns are mib_private.h's, shared with the tables. */
enum { BR_NOTIFICATIONS = 1, BR_OBJECTS = 2 };

enum notification {
	N_STARTED = 1,
	N_SA_ESTABLISHED = 2,
	N_SA_DELETED = 3,
	N_NEGOTIATION_FAILED = 4,
	N_SA_STALLED = 5,
	N_SA_STALL_CLEARED = 6,
	N_NOTIFICATIONS_HELD = 7,
};

/* The names the metrics count them under (the MIB's descriptors). */
static const char *const notification_name[] = {
    [N_STARTED] = "ikemonStarted",
    [N_SA_ESTABLISHED] = "ikemonSaEstablished",
    [N_SA_DELETED] = "ikemonSaDeleted",
    [N_NEGOTIATION_FAILED] = "ikemonNegotiationFailed",
    [N_SA_STALLED] = "ikemonSaStalled",
    [N_SA_STALL_CLEARED] = "ikemonSaStallCleared",
    [N_NOTIFICATIONS_HELD] = "ikemonNotificationsHeld",
};

static const oid mib_root[] = {IKEMON_MIB_OID};
static const oid snmp_trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */

struct snmp_notify {
	struct snmp_agent_sources src;
	bool targets;
	uint32_t burst;
	int64_t period_ms;
	int64_t window_start; /* CLOCK_MONOTONIC ms; 0 when no period runs */
	uint32_t sent_in_window;
	uint32_t held;
	int64_t held_since;
	/* the Cisco state an SA had before it was deleted (its state change comes first) */
	uint32_t deleting_conn_id;
	enum cisco_state deleting_from;
};

/* The subscriptions, shared by every notifier of the process. */
static struct {
	struct ike_engine *engine;
	struct stall_detector *stall;
	struct failhist *failhist;
	struct snmp_notify *current;
} hub;

/* One notification's varbinds, built in order. */
struct vars {
	netsnmp_variable_list *head;
	bool oom;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- varbinds ---- */

/* root.a.b.c[.d[.index]]: up to four arcs under ikemonMIB, then an optional index. */
static size_t make_oid(oid *out, const unsigned *arcs, size_t n_arcs)
{
	memcpy(out, mib_root, sizeof(mib_root));
	for (size_t i = 0; i < n_arcs; i++)
		out[IKEMON_MIB_OID_LEN + i] = arcs[i];
	return IKEMON_MIB_OID_LEN + n_arcs;
}

static void add(struct vars *v, const oid *name, size_t len, u_char type, const void *val,
                size_t vlen)
{
	if (!v->oom && snmp_varlist_add_variable(&v->head, name, len, type, val, vlen) == NULL)
		v->oom = true;
}

/* A column of table t (ikemonObjects.t.1.col) at index i. */
static void col(struct vars *v, unsigned t, unsigned c, uint32_t i, u_char type, const void *val,
                size_t vlen)
{
	oid name[MAX_OID_LEN];
	const unsigned arcs[] = {BR_OBJECTS, t, 1, c, i};

	add(v, name, make_oid(name, arcs, 5), type, val, vlen);
}

static void col_int(struct vars *v, unsigned t, unsigned c, uint32_t i, long x)
{
	col(v, t, c, i, ASN_INTEGER, &x, sizeof(x));
}

static void col_u32(struct vars *v, unsigned t, unsigned c, uint32_t i, uint32_t x)
{
	u_long u = x;

	col(v, t, c, i, ASN_UNSIGNED, &u, sizeof(u));
}

static void col_str(struct vars *v, unsigned t, unsigned c, uint32_t i, const char *s, size_t max)
{
	size_t len = strnlen(s, max);

	col(v, t, c, i, ASN_OCTET_STR, s, len);
}

/* InetAddressType and InetAddress columns (unknown(0) and "" for no address). */
static void col_addr(struct vars *v, unsigned t, unsigned c_type, unsigned c_addr, uint32_t i,
                     const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		col_int(v, t, c_type, i, 1);
		col(v, t, c_addr, i, ASN_OCTET_STR, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		col_int(v, t, c_type, i, 2);
		col(v, t, c_addr, i, ASN_OCTET_STR, &sin6->sin6_addr, 16);
	} else {
		col_int(v, t, c_type, i, 0);
		col(v, t, c_addr, i, ASN_OCTET_STR, "", 0);
	}
}

/* A scalar of a group under ikemonObjects (group.id.0). */
static void scalar(struct vars *v, unsigned group, unsigned id, u_char type, const void *val,
                   size_t vlen)
{
	oid name[MAX_OID_LEN];
	const unsigned arcs[] = {BR_OBJECTS, group, id, 0};

	add(v, name, make_oid(name, arcs, 4), type, val, vlen);
}

/* ---- sending ---- */

static void count(struct snmp_notify *n, enum notification which, const char *outcome)
{
	if (n->src.metrics != NULL)
		metrics_count_notification(n->src.metrics, notification_name[which], outcome);
}

/* Start the varbinds of a notification: snmpTrapOID.0 = ikemonNotificationPrefix.which */
static void begin(struct vars *v, enum notification which)
{
	oid trap[MAX_OID_LEN];
	const unsigned arcs[] = {BR_NOTIFICATIONS, 0, which};
	size_t len = make_oid(trap, arcs, 3);

	v->head = NULL;
	v->oom = false;
	add(v, snmp_trap_oid, OID_LENGTH(snmp_trap_oid), ASN_OBJECT_ID, trap, len * sizeof(oid));
}

/*
 * Hand the notification to Net-SNMP (every sink; the master in AgentX mode).  A send that
 * Net-SNMP logs as an error counts as "error"; an inform's later timeout is Net-SNMP's.
 */
static void send_vars(struct snmp_notify *n, enum notification which, struct vars *v)
{
	char err[256];

	if (v->oom) {
		log_msg(LOG_ERR, "snmp: %s not sent: out of memory", notification_name[which]);
		count(n, which, "error");
	} else {
		snmp_log_glue_capture(true);
		send_v2trap(v->head);
		snmp_log_glue_capture(false);
		count(n, which, snmp_log_glue_error(err, sizeof(err)) ? "error" : "sent");
	}
	snmp_free_varbind(v->head);
	v->head = NULL;
}

/* The period ended: say what was held, and start a new period with that summary. */
static void release_held(struct snmp_notify *n, int64_t now)
{
	struct vars v;
	u_long held = n->held, seconds = (u_long)((now - n->held_since + 999) / 1000);

	n->window_start = 0;
	n->sent_in_window = 0;
	if (n->held == 0)
		return;
	log_msg(LOG_WARNING, "snmp: %u notification%s held back by notify_limit over %lu s",
	        n->held, n->held == 1 ? "" : "s", seconds);
	n->held = 0;
	n->window_start = now;
	n->sent_in_window = 1;
	begin(&v, N_NOTIFICATIONS_HELD);
	scalar(&v, MIB_NOTIFY_OBJECTS, NOTIFY_HELD_COUNT, ASN_UNSIGNED, &held, sizeof(held));
	scalar(&v, MIB_NOTIFY_OBJECTS, NOTIFY_HELD_SECONDS, ASN_UNSIGNED, &seconds,
	       sizeof(seconds));
	send_vars(n, N_NOTIFICATIONS_HELD, &v);
}

/* Whether a notification may go now (the rate limit); counts it as held when not. */
static bool admit(struct snmp_notify *n, enum notification which)
{
	int64_t now = now_ms();

	if (!n->targets)
		return false;
	if (n->window_start != 0 && now - n->window_start >= n->period_ms)
		release_held(n, now);
	if (n->window_start == 0) {
		n->window_start = now;
		n->sent_in_window = 0;
	}
	if (n->sent_in_window < n->burst) {
		n->sent_in_window++;
		return true;
	}
	if (n->held++ == 0)
		n->held_since = now;
	count(n, which, "held");
	return false;
}

int64_t notify_next_timeout_ms(struct snmp_notify *n)
{
	int64_t left;

	if (n == NULL || n->held == 0 || n->window_start == 0)
		return -1;
	left = n->window_start + n->period_ms - now_ms();
	return left > 0 ? left : 0;
}

void notify_run(struct snmp_notify *n)
{
	int64_t now;

	if (n == NULL || n->window_start == 0)
		return;
	now = now_ms();
	if (now - n->window_start >= n->period_ms)
		release_held(n, now);
}

/* ---- the notifications ---- */

void notify_started(struct snmp_notify *n)
{
	struct vars v;
	uint8_t dt[11];
	size_t dt_len;
	const char *version = n->src.mib.version != NULL ? n->src.mib.version : "";

	if (!admit(n, N_STARTED))
		return;
	dt_len = ikemon_mib_date_and_time(n->src.mib.start_wall, dt);
	begin(&v, N_STARTED);
	scalar(&v, MIB_SCALARS, SC_AGENT_START_TIME, ASN_OCTET_STR, dt, dt_len);
	scalar(&v, MIB_SCALARS, SC_AGENT_VERSION, ASN_OCTET_STR, version, strlen(version));
	send_vars(n, N_STARTED, &v);
}

static void sa_established(struct snmp_notify *n, const struct ike_sa *sa)
{
	struct vars v;
	uint32_t id = sa->conn_id;

	if (!admit(n, N_SA_ESTABLISHED))
		return;
	begin(&v, N_SA_ESTABLISHED);
	col_str(&v, MIB_SA_TABLE, SA_COL_PEER, id, sa->peer, sizeof(sa->peer));
	col_addr(&v, MIB_SA_TABLE, SA_COL_LOCAL_ADDR_TYPE, SA_COL_LOCAL_ADDR, id, &sa->local);
	col_addr(&v, MIB_SA_TABLE, SA_COL_REMOTE_ADDR_TYPE, SA_COL_REMOTE_ADDR, id, &sa->remote);
	col_int(&v, MIB_SA_TABLE, SA_COL_MODE, id, sa->exchange);
	col_int(&v, MIB_SA_TABLE, SA_COL_ROLE, id, sa->role);
	send_vars(n, N_SA_ESTABLISHED, &v);
}

static void sa_deleted(struct snmp_notify *n, const struct ike_event *ev)
{
	const struct ike_sa *sa = ev->sa;
	struct vars v;
	uint32_t id = sa->conn_id;
	enum cisco_state before =
	    n->deleting_conn_id == id ? n->deleting_from : ike_state_cisco(IKE_ST_DELETED);

	n->deleting_conn_id = 0;
	/* an SA that never came up failed: ikemonNegotiationFailed says so, once (an auto =
	 * start peer retrying every few seconds would otherwise send both each time) */
	if (sa->established_wall == 0 || !admit(n, N_SA_DELETED))
		return;
	begin(&v, N_SA_DELETED);
	col_str(&v, MIB_SA_TABLE, SA_COL_PEER, id, sa->peer, sizeof(sa->peer));
	col_addr(&v, MIB_SA_TABLE, SA_COL_REMOTE_ADDR_TYPE, SA_COL_REMOTE_ADDR, id, &sa->remote);
	col_int(&v, MIB_SA_TABLE, SA_COL_STATE, id, before);
	col_int(&v, MIB_SA_TABLE, SA_COL_DELETE_REASON, id, ev->cause);
	send_vars(n, N_SA_DELETED, &v);
}

static void on_ike(void *ctx, const struct ike_event *ev)
{
	struct snmp_notify *n = hub.current;

	(void)ctx;
	if (n == NULL)
		return;
	if (ev->type == IKE_EV_STATE_CHANGED && ev->new_state == IKE_ST_ESTABLISHED &&
	    ev->old_state != IKE_ST_ESTABLISHED)
		sa_established(n, ev->sa);
	if (ev->type == IKE_EV_STATE_CHANGED && ev->new_state == IKE_ST_DELETED) {
		n->deleting_conn_id = ev->sa->conn_id;
		n->deleting_from = ev->old_cisco;
	}
	if (ev->type == IKE_EV_SA_DELETED)
		sa_deleted(n, ev);
}

static void on_failure(void *ctx, const struct failhist_entry *e)
{
	struct snmp_notify *n = hub.current;
	struct vars v;
	uint32_t i = e->index;

	(void)ctx;
	if (n == NULL || !admit(n, N_NEGOTIATION_FAILED))
		return;
	begin(&v, N_NEGOTIATION_FAILED);
	col_str(&v, MIB_FAILHIST_TABLE, FH_COL_PEER, i, e->peer, sizeof(e->peer));
	col_u32(&v, MIB_FAILHIST_TABLE, FH_COL_CONN_ID, i, e->conn_id);
	col_addr(&v, MIB_FAILHIST_TABLE, FH_COL_REMOTE_ADDR_TYPE, FH_COL_REMOTE_ADDR, i,
	         &e->remote);
	col_int(&v, MIB_FAILHIST_TABLE, FH_COL_STATE, i, e->state);
	col_int(&v, MIB_FAILHIST_TABLE, FH_COL_PHASE, i, e->phase);
	col_int(&v, MIB_FAILHIST_TABLE, FH_COL_CAUSE, i, e->cause);
	col_str(&v, MIB_FAILHIST_TABLE, FH_COL_CAUSE_DETAIL, i, e->detail, sizeof(e->detail));
	send_vars(n, N_NEGOTIATION_FAILED, &v);
}

/* The twelve alarm varbinds of ikemonSaStalled and ikemonSaStallCleared. */
static void alarm_vars(struct vars *v, const struct stall_alarm *a)
{
	uint32_t seq = (uint32_t)a->raise_seq;
	struct timespec now;
	double seconds;

	clock_gettime(CLOCK_MONOTONIC, &now);
	seconds = stall_alarm_seconds(a, &now);
	col_u32(v, MIB_ALARM_TABLE, ALARM_COL_SEQUENCE, seq, seq);
	col_str(v, MIB_ALARM_TABLE, ALARM_COL_PEER, seq, a->peer, sizeof(a->peer));
	col_addr(v, MIB_ALARM_TABLE, ALARM_COL_LOCAL_ADDR_TYPE, ALARM_COL_LOCAL_ADDR, seq,
	         &a->local);
	col_addr(v, MIB_ALARM_TABLE, ALARM_COL_REMOTE_ADDR_TYPE, ALARM_COL_REMOTE_ADDR, seq,
	         &a->remote);
	col_u32(v, MIB_ALARM_TABLE, ALARM_COL_CONN_ID, seq, a->conn_id);
	col_int(v, MIB_ALARM_TABLE, ALARM_COL_STATE, seq, a->state);
	col_int(v, MIB_ALARM_TABLE, ALARM_COL_PHASE, seq, a->phase2 ? 2 : 1);
	col_u32(v, MIB_ALARM_TABLE, ALARM_COL_SECONDS, seq, seconds > 0 ? (uint32_t)seconds : 0);
	col_int(v, MIB_ALARM_TABLE, ALARM_COL_CAUSE, seq, a->cause);
	col_str(v, MIB_ALARM_TABLE, ALARM_COL_CAUSE_DETAIL, seq, a->cause_detail,
	        sizeof(a->cause_detail));
}

static void on_stall(void *ctx, const struct stall_event *ev)
{
	struct snmp_notify *n = hub.current;
	enum notification which = ev->type == STALL_RAISED ? N_SA_STALLED : N_SA_STALL_CLEARED;
	long reason;
	struct vars v;

	if (ev->type == STALL_HEALTH)
		return;
	reason = ev->alarm->clear_reason;

	(void)ctx;
	if (n == NULL || !admit(n, which))
		return;
	begin(&v, which);
	alarm_vars(&v, ev->alarm);
	if (which == N_SA_STALL_CLEARED)
		scalar(&v, MIB_NOTIFY_OBJECTS, NOTIFY_CLEAR_REASON, ASN_INTEGER, &reason,
		       sizeof(reason));
	send_vars(n, which, &v);
}

/* ---- life ---- */

/* Subscribe the hub to sources it does not follow yet.  0 or -1. */
static int subscribe(const struct snmp_agent_sources *src)
{
	struct ike_engine *e = src->mib.engine;

	if (e != NULL && hub.engine != e) {
		if (ike_sa_table_subscribe(ike_engine_sas(e), on_ike, NULL) != 0)
			return -1;
		hub.engine = e;
	}
	if (src->mib.stall != NULL && hub.stall != src->mib.stall) {
		if (stall_subscribe(src->mib.stall, on_stall, NULL) != 0)
			return -1;
		hub.stall = src->mib.stall;
	}
	if (src->mib.failhist != NULL && hub.failhist != src->mib.failhist) {
		if (failhist_subscribe(src->mib.failhist, on_failure, NULL) != 0)
			return -1;
		hub.failhist = src->mib.failhist;
	}
	return 0;
}

struct snmp_notify *notify_new(const struct snmp_agent_sources *src, uint32_t burst,
                               uint32_t period_s, bool targets)
{
	struct snmp_notify *n;

	if (subscribe(src) != 0)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->src = *src;
	n->targets = targets;
	notify_set_limit(n, burst, period_s);
	hub.current = n;
	return n;
}

void notify_set_limit(struct snmp_notify *n, uint32_t burst, uint32_t period_s)
{
	if (n == NULL)
		return;
	n->burst = burst > 0 ? burst : 1;
	n->period_ms = (int64_t)(period_s > 0 ? period_s : 1) * 1000;
}

void notify_free(struct snmp_notify *n)
{
	if (n == NULL)
		return;
	/* what the rate limit still holds is summarised now, not lost without a word */
	if (n->held > 0)
		release_held(n, now_ms());
	if (hub.current == n)
		hub.current = NULL;
	free(n);
}
