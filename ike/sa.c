/*
 * sa.c - the SA table and the one choke point for state changes.
 *
 * SAs are kept in one list in conn-id order (conn-ids only grow, so a new SA goes at the
 * tail).  Look-ups walk the list: fine for the thousands of SAs of a gateway; the scale
 * issue replaces them with indexes without changing this API.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ike.h"
#include "sa.h"

#define MAX_SUBSCRIBERS 8

struct subscriber {
	ike_event_fn fn;
	void *ctx;
};

struct ike_sa_table {
	struct ike_sa *head, *tail;
	size_t count;
	uint32_t next_conn_id;
	struct subscriber subs[MAX_SUBSCRIBERS];
	size_t n_subs;
	ike_sa_log_fn log;
	void *log_ctx;
	void (*free_exchange)(struct ike_exchange *x);
	void (*free_child_exchange)(struct ike_child_exchange *x);
	struct ike_global_counters ctr;
};

struct ike_sa_table *ike_sa_table_new(void)
{
	struct ike_sa_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->next_conn_id = IKE_CONN_ID_FIRST;
	return t;
}

static void sa_free(struct ike_sa_table *t, struct ike_sa *sa)
{
	ike_child_free_all(t, sa);
	if (sa->x != NULL && t->free_exchange != NULL)
		t->free_exchange(sa->x);
	free(sa);
}

void ike_sa_table_free(struct ike_sa_table *t)
{
	struct ike_sa *sa, *next;

	if (t == NULL)
		return;
	for (sa = t->head; sa != NULL; sa = next) {
		next = sa->next;
		sa_free(t, sa);
	}
	free(t);
}

int ike_sa_table_subscribe(struct ike_sa_table *t, ike_event_fn fn, void *ctx)
{
	if (t->n_subs >= MAX_SUBSCRIBERS)
		return -1;
	t->subs[t->n_subs].fn = fn;
	t->subs[t->n_subs].ctx = ctx;
	t->n_subs++;
	return 0;
}

void ike_sa_table_set_log(struct ike_sa_table *t, ike_sa_log_fn fn, void *ctx)
{
	t->log = fn;
	t->log_ctx = ctx;
}

void ike_sa_table_set_free_exchange(struct ike_sa_table *t, void (*fn)(struct ike_exchange *x),
                                    void (*child_fn)(struct ike_child_exchange *x))
{
	t->free_exchange = fn;
	t->free_child_exchange = child_fn;
}

void ike_sa_table_free_child_exchange(struct ike_sa_table *t, struct ike_child_exchange *x)
{
	if (x != NULL && t->free_child_exchange != NULL)
		t->free_child_exchange(x);
}

void ike_sa_table_log(struct ike_sa_table *t, int level, const char *msg)
{
	if (t->log != NULL)
		t->log(t->log_ctx, level, msg);
}

void ike_sa_table_emit(struct ike_sa_table *t, const struct ike_event *ev)
{
	for (size_t i = 0; i < t->n_subs; i++)
		t->subs[i].fn(t->subs[i].ctx, ev);
}

static void tlog(struct ike_sa_table *t, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tlog(struct ike_sa_table *t, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (t->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->log(t->log_ctx, level, msg);
}

const struct ike_sa *ike_sa_first(const struct ike_sa_table *t)
{
	return t->head;
}

struct ike_sa *ike_sa_first_mut(struct ike_sa_table *t)
{
	return t->head;
}

struct ike_sa *ike_sa_find_mut(struct ike_sa_table *t, uint32_t conn_id)
{
	for (struct ike_sa *sa = t->head; sa != NULL; sa = sa->next) {
		if (sa->conn_id == conn_id)
			return sa;
		if (sa->conn_id > conn_id)
			break;
	}
	return NULL;
}

const struct ike_sa *ike_sa_by_conn_id(const struct ike_sa_table *t, uint32_t conn_id)
{
	return ike_sa_find_mut((struct ike_sa_table *)t, conn_id);
}

size_t ike_sa_count(const struct ike_sa_table *t)
{
	return t->count;
}

const struct ike_global_counters *ike_sa_table_counters(const struct ike_sa_table *t)
{
	return &t->ctr;
}

struct ike_global_counters *ike_sa_table_counters_mut(struct ike_sa_table *t)
{
	return &t->ctr;
}

struct ike_sa *ike_sa_create(struct ike_sa_table *t, enum ike_role role, uint8_t exchange)
{
	struct ike_sa *sa;

	/* conn-ids are never reused while we run: refuse rather than wrap. */
	if (t->next_conn_id == UINT32_MAX)
		return NULL;
	sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return NULL;
	sa->conn_id = t->next_conn_id++;
	sa->ike_version = 1;
	sa->exchange = exchange;
	sa->role = role;
	sa->state = role == IKE_ROLE_INITIATOR ? IKE_ST_MAIN_I1 : IKE_ST_MAIN_R0;
	clock_gettime(CLOCK_MONOTONIC, &sa->created_mono);
	sa->state_entered = sa->created_mono;
	sa->created_wall = time(NULL);
	if (t->tail != NULL)
		t->tail->next = sa;
	else
		t->head = sa;
	t->tail = sa;
	t->count++;
	t->ctr.sas_created++;
	return sa;
}

void ike_sa_announce(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_SA_CREATED;
	ev.sa = sa;
	ev.new_state = sa->state;
	ev.new_cisco = ike_state_cisco(sa->state);
	ike_sa_table_emit(t, &ev);
}

struct ike_sa *ike_sa_find_cookies(struct ike_sa_table *t, const uint8_t icookie[8],
                                   const uint8_t rcookie[8])
{
	for (struct ike_sa *sa = t->head; sa != NULL; sa = sa->next)
		if (memcmp(sa->icookie, icookie, 8) == 0 && memcmp(sa->rcookie, rcookie, 8) == 0)
			return sa;
	return NULL;
}

int ike_sa_set_state(struct ike_sa_table *t, struct ike_sa *sa, enum ike_state to)
{
	struct ike_event ev;
	enum ike_state from = sa->state;

	if (!ike_state_transition_ok(from, to)) {
		tlog(t, LOG_ERR, "conn-id %u: refused state change %s -> %s", sa->conn_id,
		     ike_state_row(from) ? ike_state_row(from)->name : "?",
		     ike_state_row(to) ? ike_state_row(to)->name : "?");
		return -1;
	}
	sa->state = to;
	clock_gettime(CLOCK_MONOTONIC, &sa->state_entered);
	if (to == IKE_ST_ESTABLISHED) {
		sa->established_wall = time(NULL);
		sa->expires_wall = sa->established_wall + (time_t)sa->xf.lifetime_s;
		t->ctr.sas_established++;
	}
	if (to == IKE_ST_DELETED) {
		sa->deleted_mono = sa->state_entered;
		t->ctr.sas_deleted++;
	}

	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_STATE_CHANGED;
	ev.sa = sa;
	ev.old_state = from;
	ev.new_state = to;
	ev.old_cisco = ike_state_cisco(from);
	ev.new_cisco = ike_state_cisco(to);
	ev.cause = sa->delete_reason;
	if (ev.old_cisco != ev.new_cisco || to == IKE_ST_DELETED)
		tlog(t, LOG_INFO, "conn-id %u peer %s: %s -> %s (%s -> %s)", sa->conn_id,
		     sa->peer[0] ? sa->peer : "-", cisco_state_name(ev.old_cisco),
		     to == IKE_ST_DELETED ? "deleted" : cisco_state_name(ev.new_cisco),
		     ike_state_row(from)->name, ike_state_row(to)->name);
	else
		tlog(t, LOG_DEBUG, "conn-id %u: %s -> %s", sa->conn_id, ike_state_row(from)->name,
		     ike_state_row(to)->name);
	ike_sa_table_emit(t, &ev);
	return 0;
}

void ike_sa_fail(struct ike_sa_table *t, struct ike_sa *sa, enum ike_cause cause,
                 const char *detail)
{
	struct ike_event ev;

	sa->last_cause = cause;
	snprintf(sa->cause_detail, sizeof(sa->cause_detail), "%s", detail ? detail : "");
	if ((unsigned)cause < IKE_CAUSE_COUNT)
		t->ctr.causes[cause]++;
	tlog(t, LOG_NOTICE, "conn-id %u peer %s: %s in %s%s%s; hint: %s", sa->conn_id,
	     sa->peer[0] ? sa->peer : "-", ike_cause_info(cause)->text,
	     cisco_state_name(ike_state_cisco(sa->state)), detail && *detail ? ": " : "",
	     detail ? detail : "", ike_cause_info(cause)->hint);

	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_NEGOTIATION_FAILED;
	ev.sa = sa;
	ev.old_state = ev.new_state = sa->state;
	ev.old_cisco = ev.new_cisco = ike_state_cisco(sa->state);
	ev.cause = cause;
	ike_sa_table_emit(t, &ev);
}

void ike_sa_mark_deleted(struct ike_sa_table *t, struct ike_sa *sa, enum ike_cause reason)
{
	struct ike_event ev;

	if (sa->state == IKE_ST_DELETED)
		return;
	sa->delete_reason = reason;
	if (sa->state != IKE_ST_ESTABLISHED && reason != IKE_CAUSE_CLEARED &&
	    reason != IKE_CAUSE_SHUTDOWN && reason != IKE_CAUSE_CONFIG_REMOVED)
		t->ctr.sas_failed++;
	/* its phase-2 SAs go with it: nothing is left to rekey or delete them */
	for (struct ike_child *c = sa->children; c != NULL; c = c->next)
		ike_child_mark_deleted(t, sa, c, reason);
	if (ike_sa_set_state(t, sa, IKE_ST_DELETED) != 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_SA_DELETED;
	ev.sa = sa;
	ev.new_state = IKE_ST_DELETED;
	ev.new_cisco = ike_state_cisco(IKE_ST_DELETED);
	ev.cause = reason;
	ike_sa_table_emit(t, &ev);
}

void ike_sa_remove(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_event ev;
	struct ike_sa *prev = NULL;

	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_SA_REMOVED;
	ev.sa = sa;
	ev.old_state = ev.new_state = sa->state;
	ike_sa_table_emit(t, &ev);

	for (struct ike_sa *p = t->head; p != NULL; prev = p, p = p->next) {
		if (p != sa)
			continue;
		if (prev != NULL)
			prev->next = p->next;
		else
			t->head = p->next;
		if (t->tail == p)
			t->tail = prev;
		t->count--;
		sa_free(t, p);
		return;
	}
}

double ike_sa_seconds_in_state(const struct ike_sa *sa, const struct timespec *now)
{
	double s = (double)(now->tv_sec - sa->state_entered.tv_sec) +
	           (double)(now->tv_nsec - sa->state_entered.tv_nsec) / 1e9;

	return s < 0 ? 0 : s;
}
