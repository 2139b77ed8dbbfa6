/*
 * child.c - phase-2 SA records and their choke point.  They live under their IKE SA;
 * the IKE SA's table owns the counters and the subscribers, so child events reach the
 * same views as IKE SA events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "child.h"
#include "sa.h"

const char *ike_child_state_name(enum ike_child_state s)
{
	switch (s) {
	case IKE_CHILD_QM_I1:
		return "QM_I1";
	case IKE_CHILD_QM_R1:
		return "QM_R1";
	case IKE_CHILD_INSTALLED:
		return "INSTALLED";
	case IKE_CHILD_DELETED:
		return "DELETED";
	}
	return "UNKNOWN";
}

static void emit(struct ike_sa_table *t, enum ike_event_type type, const struct ike_sa *sa,
                 const struct ike_child *c, enum ike_cause cause)
{
	struct ike_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.sa = sa;
	ev.child = c;
	ev.cause = cause;
	ev.old_state = ev.new_state = sa->state;
	ev.old_cisco = ev.new_cisco = ike_state_cisco(sa->state);
	ike_sa_table_emit(t, &ev);
}

struct ike_child *ike_child_create(struct ike_sa_table *t, struct ike_sa *sa, int role,
                                   uint32_t msgid)
{
	struct ike_child *c = calloc(1, sizeof(*c)), **tail;

	if (c == NULL)
		return NULL;
	c->conn_id = sa->conn_id;
	c->index = ++sa->next_child_index;
	c->role = role;
	c->state = role == IKE_ROLE_INITIATOR ? IKE_CHILD_QM_I1 : IKE_CHILD_QM_R1;
	c->msgid = msgid;
	ike_mono_now(&c->created_mono);
	c->state_entered = c->created_mono;
	c->created_wall = time(NULL);
	for (tail = &sa->children; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = c;
	ike_sa_table_counters_mut(t)->children_created++;
	emit(t, IKE_EV_CHILD_CREATED, sa, c, IKE_CAUSE_NONE);
	return c;
}

struct ike_child *ike_child_by_msgid(struct ike_sa *sa, uint32_t msgid)
{
	for (struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (c->msgid == msgid && c->state != IKE_CHILD_DELETED)
			return c;
	return NULL;
}

struct ike_child *ike_child_by_spi(struct ike_sa *sa, uint32_t spi, bool outbound)
{
	for (struct ike_child *c = sa->children; c != NULL; c = c->next)
		if ((outbound ? c->spi_out : c->spi_in) == spi && c->state != IKE_CHILD_DELETED)
			return c;
	return NULL;
}

static bool child_transition_ok(enum ike_child_state from, enum ike_child_state to)
{
	if (from == IKE_CHILD_DELETED || from == to)
		return false;
	if (to == IKE_CHILD_DELETED)
		return true;
	return to == IKE_CHILD_INSTALLED && (from == IKE_CHILD_QM_I1 || from == IKE_CHILD_QM_R1);
}

int ike_child_set_state(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c,
                        enum ike_child_state to)
{
	struct ike_global_counters *g = ike_sa_table_counters_mut(t);
	char msg[160];

	if (!child_transition_ok(c->state, to))
		return -1;
	snprintf(msg, sizeof(msg), "conn-id %u peer %s: phase-2 SA %u: %s -> %s", sa->conn_id,
	         sa->peer[0] ? sa->peer : "-", c->index, ike_child_state_name(c->state),
	         ike_child_state_name(to));
	ike_sa_table_log(t, LOG_INFO, msg);
	c->state = to;
	ike_mono_now(&c->state_entered);
	if (to == IKE_CHILD_INSTALLED) {
		c->established_wall = time(NULL);
		c->expires_wall = c->established_wall + (time_t)c->xf.life_s;
		g->children_installed++;
	} else if (to == IKE_CHILD_DELETED) {
		c->deleted_mono = c->state_entered;
		g->children_deleted++;
		ike_sa_table_release_spi(t, c); /* its inbound SPI may be used again */
	}
	emit(t, IKE_EV_CHILD_STATE_CHANGED, sa, c, c->delete_reason);
	return 0;
}

void ike_child_fail(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c,
                    enum ike_cause cause, const char *detail)
{
	char msg[320];

	c->last_cause = cause;
	snprintf(c->cause_detail, sizeof(c->cause_detail), "%s", detail ? detail : "");
	ike_sa_table_counters_mut(t)->children_failed++;
	if ((unsigned)cause < IKE_CAUSE_COUNT)
		ike_sa_table_counters_mut(t)->causes[cause]++;
	snprintf(msg, sizeof(msg), "conn-id %u peer %s: phase-2 SA %u: %s%s%s; hint: %s",
	         sa->conn_id, sa->peer[0] ? sa->peer : "-", c->index, ike_cause_info(cause)->text,
	         detail && *detail ? ": " : "", detail ? detail : "", ike_cause_info(cause)->hint);
	ike_sa_table_log(t, LOG_NOTICE, msg);
	emit(t, IKE_EV_CHILD_FAILED, sa, c, cause);
}

void ike_child_mark_deleted(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c,
                            enum ike_cause reason)
{
	if (c->state == IKE_CHILD_DELETED)
		return;
	c->delete_reason = reason;
	if (ike_child_set_state(t, sa, c, IKE_CHILD_DELETED) != 0)
		return;
	ike_sa_table_wipe_child_exchange(t, c->x); /* KEYMAT, nonces, PFS secret */
	emit(t, IKE_EV_CHILD_DELETED, sa, c, reason);
}

static void child_free(struct ike_sa_table *t, struct ike_child *c)
{
	ike_sa_table_release_spi(t, c);
	ike_sa_table_free_child_exchange(t, c->x);
	free(c);
}

void ike_child_remove(struct ike_sa_table *t, struct ike_sa *sa, struct ike_child *c)
{
	struct ike_child **pp;

	for (pp = &sa->children; *pp != NULL; pp = &(*pp)->next) {
		if (*pp != c)
			continue;
		emit(t, IKE_EV_CHILD_REMOVED, sa, c, c->delete_reason);
		*pp = c->next;
		child_free(t, c);
		return;
	}
}

void ike_child_free_all(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_child *c, *next;

	for (c = sa->children; c != NULL; c = next) {
		next = c->next;
		child_free(t, c);
	}
	sa->children = NULL;
}
