/*
 * ikemon_mib.c - IKEMON-MIB's objects in Net-SNMP's agent: registration, the one handler
 * every table shares, and the subscriptions that keep the tables' sorted indexes current.
 *
 * Each table is registered as a plain handler on its table OID and answered by
 * table_handler() below from the table's description (mib_private.h): the column and the
 * index are read from the request's OID in place; GET looks the row up, GETNEXT asks for
 * the first row after the request's index through a sorted index (bisection, never a
 * walk from the first row) and moves on to the next column at the end of one.  GETBULK
 * is answered here too (HANDLER_CAN_GETBULK, answer_bulk()): all of a repeater's
 * repetitions in one call, instead of Net-SNMP's bulk_to_next helper turning it into
 * one GETNEXT pass of the agent per repetition.  Neither the table_iterator helper nor the
 container table_data
 * is used: both cost O(n) per request, so O(n^2) per walk.  Nor is the table helper:
 * it callocs a netsnmp_table_request_info (over 1 KB, an OID of MAX_OID_LEN) and a list
 * node for every varbind of every repetition of a GETBULK, and on a heap that holds
 * 100,000 SAs each of those allocations took glibc's large-request path (a fastbin
 * consolidation and a sort of the unsorted chunks): a third of the walk's time on the
 * agent's side, and the reason the walk's rate fell as the table grew.

 * Why one static context: Net-SNMP's registry is process-wide (one IKEMON-MIB per
 * process), and neither the engine nor the stall detector can withdraw a subscription,
 * so what their callbacks point to must outlive them.  After ikemon_mib_unregister()
 * the callbacks return at once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "mib/mib_private.h"

static struct mib_ctx mib;

struct mib_ctx *mib_context(void)
{
	return mib.active ? &mib : NULL;
}

/* ---------------------------------------------------------------- values */

void mib_val_int(struct mib_val *v, long n)
{
	v->type = ASN_INTEGER;
	v->num = n;
}

void mib_val_u32(struct mib_val *v, uint64_t n)
{
	v->type = ASN_UNSIGNED;
	v->num = (long)(n > UINT32_MAX ? UINT32_MAX : n);
}

void mib_val_c64(struct mib_val *v, uint64_t n)
{
	v->type = ASN_COUNTER64;
	v->c64 = n;
}

void mib_val_bytes(struct mib_val *v, const void *p, size_t n)
{
	v->type = ASN_OCTET_STR;
	v->len = n < sizeof(v->buf) ? n : sizeof(v->buf);
	memcpy(v->buf, p, v->len);
}

void mib_val_str(struct mib_val *v, const char *s, size_t max)
{
	mib_val_bytes(v, s, mib_utf8_prefix(s, max < MIB_TEXT_SIZE ? max : MIB_TEXT_SIZE));
}

void mib_val_time(struct mib_val *v, time_t t)
{
	v->type = ASN_OCTET_STR;
	v->len = ikemon_mib_date_and_time(t, v->buf);
}

void mib_val_truth(struct mib_val *v, bool b)
{
	mib_val_int(v, b ? 1 : 2);
}

void mib_val_addr_type(struct mib_val *v, const struct sockaddr_storage *ss)
{
	mib_val_int(v, ss->ss_family == AF_INET ? 1 : ss->ss_family == AF_INET6 ? 2 : 0);
}

void mib_val_addr(struct mib_val *v, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		mib_val_bytes(v, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		mib_val_bytes(v, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		mib_val_bytes(v, "", 0);
}

unsigned int mib_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

enum cisco_state mib_sa_cisco(const struct ike_sa *sa)
{
	if (sa->state == IKE_ST_DELETED)
		return CISCO_MM_NO_STATE;
	return ike_state_cisco(sa->state);
}

void mib_val_set(netsnmp_variable_list *var, const struct mib_val *v)
{
	struct counter64 c64;
	u_long u;
	long n;

	switch (v->type) {
	case ASN_COUNTER64:
		c64.high = (u_long)(v->c64 >> 32);
		c64.low = (u_long)(v->c64 & 0xffffffffu);
		snmp_set_var_typed_value(var, ASN_COUNTER64, &c64, sizeof(c64));
		break;
	case ASN_OCTET_STR:
		snmp_set_var_typed_value(var, ASN_OCTET_STR, v->buf, v->len);
		break;
	case ASN_UNSIGNED:
		u = (u_long)v->num;
		snmp_set_var_typed_value(var, ASN_UNSIGNED, &u, sizeof(u));
		break;
	default:
		n = v->num;
		snmp_set_var_typed_value(var, ASN_INTEGER, &n, sizeof(n));
		break;
	}
}

/* ---------------------------------------------------------------- the table handler */

/* table.1.col.index */
static int set_row_oid(netsnmp_variable_list *var, const netsnmp_handler_registration *reg,
                       unsigned int col, const struct mib_row *r)
{
	oid name[MAX_OID_LEN];
	size_t len = reg->rootoid_len;

	if (len + 2 + r->idx_len > MAX_OID_LEN)
		return -1;
	memcpy(name, reg->rootoid, len * sizeof(oid));
	name[len++] = 1;
	name[len++] = col;
	memcpy(&name[len], r->idx, r->idx_len * sizeof(oid));
	len += r->idx_len;
	return snmp_set_var_objid(var, name, len) == 0 ? 0 : -1;
}

/*
 * Where a request's OID points in a table: root.1.col.index.  pos: CELL (col and an index,
 * possibly empty), BEFORE (ahead of the table's first column: a GETNEXT starts at its
 * first cell), AFTER (past the table, or an unknown column for a GET).
 */
enum cell_pos { CELL_AT, CELL_BEFORE, CELL_AFTER };

struct cell {
	enum cell_pos pos;
	unsigned int col;
	const oid *idx;
	size_t idx_len;
};

static struct cell parse_cell(const struct mib_table *t, const netsnmp_handler_registration *reg,
                              const netsnmp_variable_list *var)
{
	const oid *name = var->name;
	size_t len = var->name_length, root = reg->rootoid_len;
	struct cell c = {CELL_BEFORE, t->min_col, NULL, 0};
	int cmp = mib_oid_cmp(name, len < root ? len : root, reg->rootoid, root);

	if (cmp != 0 || len < root)
		c.pos = cmp > 0 ? CELL_AFTER : CELL_BEFORE;
	else if (len == root || name[root] < 1 || (name[root] == 1 && len == root + 1))
		c.pos = CELL_BEFORE;
	else if (name[root] > 1 || name[root + 1] > t->max_col)
		c.pos = CELL_AFTER;
	else if (name[root + 1] < t->min_col)
		c.pos = CELL_BEFORE;
	else {
		c.pos = CELL_AT;
		c.col = (unsigned int)name[root + 1];
		c.idx = &name[root + 2];
		c.idx_len = len - root - 2;
	}
	return c;
}

static void answer_get(const struct mib_table *t, const netsnmp_handler_registration *reg,
                       netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req)
{
	struct cell cell = parse_cell(t, reg, req->requestvb);
	struct mib_row r;
	struct mib_val v;

	if (cell.pos != CELL_AT) {
		netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
		return;
	}
	if (!t->get(&mib, cell.idx, cell.idx_len, &r) || !t->column(&mib, &r, cell.col, &v)) {
		netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
		return;
	}
	mib_val_set(req->requestvb, &v);
}

/*
 * The first instance after var's OID (at it too, inclusive) in this column, else the
 * first of the next columns, written into var.  A sparse column (a row without an
 * instance) moves on to the following row.  1: answered; 0: nothing left in the table,
 * var untouched; -1: an OID too long to write.
 */
static int next_instance(const struct mib_table *t, const netsnmp_handler_registration *reg,
                         netsnmp_variable_list *var, bool inclusive)
{
	struct cell cell = parse_cell(t, reg, var);
	struct mib_row r, after;
	struct mib_val v;
	bool found;

	if (cell.pos == CELL_AFTER)
		return 0;
	inclusive = inclusive || cell.pos == CELL_BEFORE;
	for (unsigned int col = cell.col; col <= t->max_col; col++) {
		for (found = t->next(&mib, cell.idx, cell.idx_len, inclusive, &r); found;
		     found = t->next(&mib, after.idx, after.idx_len, false, &r)) {
			if (t->column(&mib, &r, col, &v)) {
				if (set_row_oid(var, reg, col, &r) != 0)
					return -1;
				mib_val_set(var, &v);
				return 1;
			}
			after = r;
		}
		cell.idx = NULL;
		cell.idx_len = 0;
		inclusive = false;
	}
	return 0;
}

/* GETNEXT: nothing left leaves the varbind unanswered; the agent tries the next subtree. */
static void answer_next(const struct mib_table *t, const netsnmp_handler_registration *reg,
                        netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req)
{
	if (next_instance(t, reg, req->requestvb, req->inclusive != 0) < 0)
		netsnmp_set_request_error(reqinfo, req, SNMP_ERR_GENERR);
}

/*
 * GETBULK: every repetition of a repeater that this table can answer, in one call, where
 * Net-SNMP's bulk_to_next helper would make the agent come back once per repetition (a
 * registry lookup, a VACM check of the whole chain and a call for one varbind each time).
 * The agent chains a repeater's repetitions through next_variable from req->requestvb,
 * req->repeat of them still to fill after it; it is left as bulk_to_next leaves it:
 * each answered repetition hands its OID to the next one, req->requestvb moves on and
 * req->repeat goes down.  When the table ends, the varbind in hand is left unanswered
 * (ASN_NULL) with the OID of the last answer, and the agent carries the remaining
 * repetitions into the next subtree.  The agent checks VACM only on the varbinds from
 * where this call started to req->repeat after it, so each instance is checked here
 * against check_view's view (in_a_view, as the agent's check_acm does) and one outside it
 * is skipped, as the agent's retry from its OID would skip it.  check_view is NULL when
 * the whole table is in the request's view (netsnmp_acm_check_subtree, once per call of
 * the handler): then nothing needs checking.
 */
static void answer_bulk(const struct mib_table *t, const netsnmp_handler_registration *reg,
                        netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req,
                        netsnmp_pdu *check_view)
{
	netsnmp_variable_list *var = req->requestvb;
	bool inclusive = req->inclusive != 0;
	size_t len;
	int rc;

	for (;;) {
		while ((rc = next_instance(t, reg, var, inclusive)) > 0 && check_view != NULL) {
			len = var->name_length;
			if (in_a_view(var->name, &len, check_view, var->type) == VACM_SUCCESS)
				break;
			inclusive = false;
		}
		if (rc < 0) {
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_GENERR);
			return;
		}
		if (rc == 0) {
			/* the agent takes an unanswered varbind to the next subtree */
			snmp_set_var_typed_value(var, ASN_NULL, NULL, 0);
			return;
		}
		if (req->repeat <= 0 || var->next_variable == NULL)
			return;
		if (snmp_set_var_objid(var->next_variable, var->name, var->name_length) != 0) {
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_GENERR);
			return;
		}
		req->repeat--;
		var = req->requestvb = var->next_variable;
		snmp_set_var_typed_value(var, ASN_NULL, NULL, 0);
		inclusive = false;
	}
}

static int table_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
                         netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	const struct mib_table *t = handler->myvoid;
	netsnmp_pdu *pdu = reqinfo->asp != NULL ? reqinfo->asp->pdu : NULL;
	netsnmp_pdu *check_view = NULL;

	if (!mib.active)
		return SNMP_ERR_NOERROR;
	/* the indexes are rebuilt here, never in the middle of the engine's own work */
	if (mib_sas_sync(&mib) != 0 || mib_alarms_sync(&mib) != 0 || mib_peers_sync(&mib) != 0) {
		netsnmp_request_set_error_all(requests, SNMP_ERR_GENERR);
		return SNMP_ERR_NOERROR;
	}
	mib.pdu_transid = pdu != NULL ? pdu->transid : 0;
	/* GETBULK: the varbinds' view is checked in answer_bulk() unless all of the table is in it
	 */
	if (reqinfo->mode == MODE_GETBULK && pdu != NULL &&
	    netsnmp_acm_check_subtree(pdu, reg->rootoid, reg->rootoid_len) != VACM_SUCCESS)
		check_view = pdu;
	for (netsnmp_request_info *req = requests; req != NULL; req = req->next) {
		if (req->processed)
			continue;
		switch (reqinfo->mode) {
		case MODE_GET:
			answer_get(t, reg, reqinfo, req);
			break;
		case MODE_GETNEXT:
			answer_next(t, reg, reqinfo, req);
			break;
		case MODE_GETBULK:
			answer_bulk(t, reg, reqinfo, req, check_view);
			break;
		default:
			/* read-only registrations: Net-SNMP refuses SETs before they get here */
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

/* ---------------------------------------------------------------- events */

static void on_engine_event(void *ctx, const struct ike_event *ev)
{
	struct mib_ctx *c = ctx;

	if (c->active)
		mib_sas_on_event(c, ev);
}

static void on_stall_event(void *ctx, const struct stall_event *ev)
{
	struct mib_ctx *c = ctx;

	if (!c->active)
		return;
	mib_alarms_on_stall(c, ev);
	mib_peers_on_stall(c, ev);
}

static int subscribe(const struct ikemon_mib_sources *src, char *err, size_t errlen)
{
	if (mib.engine_subscribed != src->engine) {
		if (ike_sa_table_subscribe(ike_engine_sas(src->engine), on_engine_event, &mib) !=
		    0) {
			snprintf(err, errlen, "IKEMON-MIB: the SA table takes no more subscribers");
			return -1;
		}
		mib.engine_subscribed = src->engine;
	}
	if (mib.stall_subscribed != src->stall) {
		if (stall_subscribe(src->stall, on_stall_event, &mib) != 0) {
			snprintf(err, errlen,
			         "IKEMON-MIB: the stall detector takes no more subscribers");
			return -1;
		}
		mib.stall_subscribed = src->stall;
	}
	return 0;
}

/* ---------------------------------------------------------------- registration */

static const struct mib_table *const tables[] = {
    &mib_state_table, &mib_cause_table,    &mib_peer_table,  &mib_sa_table,
    &mib_ipsec_table, &mib_failhist_table, &mib_alarm_table, &mib_cert_table,
};

static int register_scalars(char *err, size_t errlen)
{
	const oid base[] = {MIB_OBJECTS_OID, MIB_SCALARS};
	netsnmp_handler_registration *reg;

	reg = netsnmp_create_handler_registration("ikemonScalars", mib_scalars_handler, base,
	                                          OID_LENGTH(base), HANDLER_CAN_RONLY);
	if (reg == NULL || netsnmp_register_scalar_group(reg, SC_FIRST, SC_LAST) != 0) {
		snprintf(err, errlen, "IKEMON-MIB: cannot register ikemonScalars");
		return -1;
	}
	mib.regs[MIB_SCALARS] = reg;
	return 0;
}

static int register_table(const struct mib_table *t, char *err, size_t errlen)
{
	const oid base[] = {MIB_OBJECTS_OID, t->sub};
	netsnmp_handler_registration *reg;

	/* HANDLER_CAN_GETBULK: no bulk_to_next helper, answer_bulk() fills the repetitions */
	reg = netsnmp_create_handler_registration(t->name, table_handler, base, OID_LENGTH(base),
	                                          HANDLER_CAN_RONLY | HANDLER_CAN_GETBULK);
	if (reg == NULL) {
		snprintf(err, errlen, "IKEMON-MIB: out of memory registering %s", t->name);
		return -1;
	}
	reg->handler->myvoid = (void *)t;
	if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
		snprintf(err, errlen, "IKEMON-MIB: cannot register %s", t->name);
		return -1;
	}
	mib.regs[t->sub] = reg;
	return 0;
}

int ikemon_mib_register(const struct ikemon_mib_sources *src, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (src == NULL || src->engine == NULL || src->stall == NULL) {
		snprintf(err, errlen, "IKEMON-MIB: no engine or stall detector to serve");
		return -1;
	}
	ikemon_mib_unregister();
	if (subscribe(src, err, errlen) != 0)
		return -1;
	mib.src = *src;
	if (mib.src.version == NULL)
		mib.src.version = "";
	mib.sas_stale = mib.alarms_stale = true;
	mib.peers_valid = mib.counts_valid = false;
	mib.active = true;
	if (register_scalars(err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (register_table(tables[i], err, errlen) != 0)
			goto fail;
	return 0;
fail:
	ikemon_mib_unregister();
	return -1;
}

void ikemon_mib_unregister(void)
{
	for (size_t i = 0; i < sizeof(mib.regs) / sizeof(mib.regs[0]); i++) {
		if (mib.regs[i] != NULL)
			netsnmp_unregister_handler(mib.regs[i]);
		mib.regs[i] = NULL;
	}
	mib.active = false;
	mib_u32_index_free(&mib.sas);
	mib_u32_index_free(&mib.alarms);
	mib_peers_free(&mib);
	mib.counts_valid = false;
}
