/*
 * load_run.c - one load run: a plan (which SA gets which fault), one configured peer per
 * source address given to the engine, the loop that paces initiations and moves
 * datagrams, and the tally of what the engine's SA table reports.
 *
 * The engine is the initiator and does all the protocol: ikeload never builds or parses
 * an IKE message.  It only reads the ISAKMP header of what the engine sends, to swallow
 * the messages a "silent" fault must not send.  Outcomes come from the table's events
 * (the choke point every state change and failure goes through), so the causes counted
 * are the engine's own.
 */
#include <arpa/inet.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ike/engine.h"
#include "ike/ike.h"
#include "ikeload.h"

#define RECV_BURST     256 /* datagrams taken per wake-up before the timers run */
#define INITIATE_BURST 64  /* initiations per loop turn, so replies are read between */

struct load {
	const struct load_opts *o;
	struct load_result *r;
	struct load_net net;
	struct ike_engine *e;
	struct load_slot *slots;
	unsigned long next;       /* the next slot to initiate */
	unsigned long inflight;   /* initiated, not resolved, not released */
	unsigned long unresolved; /* initiated, not resolved */
	struct timespec t0;
	double first_start, last_ok, last_done;
};

static const char *const fault_names[FAULT_COUNT] = {
    [FAULT_NONE] = "none",
    [FAULT_WRONG_KEY] = "wrong-key",
    [FAULT_WRONG_IKE] = "wrong-ike",
    [FAULT_WRONG_ESP] = "wrong-esp",
    [FAULT_SILENT_MM1] = "silent-mm1",
    [FAULT_SILENT_MM3] = "silent-mm3",
    [FAULT_SILENT_MM5] = "silent-mm5",
};

const char *fault_name(enum load_fault f)
{
	return (unsigned)f < FAULT_COUNT ? fault_names[f] : "unknown";
}

int fault_from_name(const char *name)
{
	for (int f = 0; f < FAULT_COUNT; f++)
		if (strcmp(fault_names[f], name) == 0)
			return f;
	return -1;
}

static double elapsed(const struct load *l)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - l->t0.tv_sec) + (now.tv_nsec - l->t0.tv_nsec) / 1e9;
}

/* ---- the plan ---- */

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Each fault on round(share x N) SAs, spread over the run by a seeded shuffle. */
static void plan_faults(struct load *l)
{
	const struct load_opts *o = l->o;
	unsigned long k = 0;
	uint32_t s = o->seed ? o->seed : 1;

	for (int f = 1; f < FAULT_COUNT; f++) {
		unsigned long n = (unsigned long)llround(o->share[f] * (double)o->count);

		for (unsigned long i = 0; i < n && k < o->count; i++)
			l->slots[k++].fault = (uint8_t)f;
	}
	for (unsigned long i = o->count - 1; i > 0; i--) {
		unsigned long j = xorshift(&s) % (i + 1);
		uint8_t t = l->slots[i].fault;

		l->slots[i].fault = l->slots[j].fault;
		l->slots[j].fault = t;
	}
}

/* ---- addresses and names ---- */

static void slot_addr(const struct load *l, unsigned long i, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(l->o->src_net + 1 + (uint32_t)i);
	sin->sin_port = htons(l->net.port);
}

static long slot_of_addr(const struct load *l, const struct sockaddr *sa)
{
	uint32_t a;

	if (sa == NULL || sa->sa_family != AF_INET)
		return -1;
	a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
	if (a <= l->o->src_net || a - l->o->src_net - 1 >= l->o->count)
		return -1;
	return (long)(a - l->o->src_net - 1);
}

static void slot_name(unsigned long i, char *buf, size_t len)
{
	snprintf(buf, len, "l%lu", i);
}

static long slot_of_name(const struct load *l, const char *name)
{
	char *end;
	unsigned long i;

	if (name[0] != 'l')
		return -1;
	i = strtoul(name + 1, &end, 10);
	return *end == '\0' && end != name + 1 && i < l->o->count ? (long)i : -1;
}

/* ---- outcomes ---- */

static void release(struct load *l, struct load_slot *s)
{
	if (!s->released && s->state == SLOT_INFLIGHT) {
		s->released = true;
		l->inflight--;
	}
}

static void resolve(struct load *l, struct load_slot *s, enum slot_state st, enum ike_cause c)
{
	double now = elapsed(l);

	if (s->state != SLOT_INFLIGHT)
		return;
	release(l, s);
	s->state = (uint8_t)st;
	s->cause = (uint16_t)c;
	s->latency_ms = (float)((now - s->t_start) * 1e3);
	l->unresolved--;
	l->last_done = now;
	if (st == SLOT_OK)
		l->last_ok = now;
}

/* The engine's table speaks; the first word on a slot is its outcome. */
static void on_event(void *ctx, const struct ike_event *ev)
{
	struct load *l = ctx;
	long i = slot_of_name(l, ev->sa->peer);
	struct load_slot *s;

	if (i < 0)
		return;
	s = &l->slots[i];
	switch (ev->type) {
	case IKE_EV_STATE_CHANGED:
		if (ev->new_state != IKE_ST_ESTABLISHED)
			break;
		s->p1_up = true;
		if (l->o->phase1_only)
			resolve(l, s, SLOT_OK, IKE_CAUSE_NONE);
		break;
	case IKE_EV_CHILD_STATE_CHANGED:
		if (ev->child != NULL && ev->child->state == IKE_CHILD_INSTALLED)
			resolve(l, s, SLOT_OK, IKE_CAUSE_NONE);
		break;
	case IKE_EV_NEGOTIATION_FAILED:
		resolve(l, s, SLOT_FAILED, ev->sa->last_cause);
		break;
	case IKE_EV_CHILD_FAILED:
		resolve(l, s, SLOT_FAILED, ev->child != NULL ? ev->child->last_cause : ev->cause);
		break;
	case IKE_EV_SA_DELETED:
		resolve(l, s, SLOT_FAILED, ev->sa->delete_reason);
		break;
	default:
		break;
	}
}

/* ---- the engine's callbacks ---- */

/* Which of our messages this is: 1, 3, 5 for MM1, MM3, MM5; 7 for anything later. */
static int msg_stage(const uint8_t *buf, size_t len)
{
	static const uint8_t zero[8];

	if (len < ISAKMP_HDR_LEN)
		return 0; /* not an IKE message (a NAT-T keepalive) */
	if (buf[18] != ISAKMP_XCHG_IDPROT)
		return 7;
	if (buf[19] & ISAKMP_FLAG_ENC)
		return 5;
	return memcmp(buf + 8, zero, 8) == 0 ? 1 : 3;
}

/* Whether the slot's fault swallows this message; a delivered fault frees its window place. */
static bool fault_drops(struct load *l, struct load_slot *s, const uint8_t *buf, size_t len)
{
	int stage = msg_stage(buf, len), last;

	switch (s->fault) {
	case FAULT_SILENT_MM1:
		last = 1;
		break;
	case FAULT_SILENT_MM3:
		last = 3;
		break;
	case FAULT_SILENT_MM5:
		last = 5;
		break;
	case FAULT_WRONG_KEY:
		/* MM5 under the wrong key is the fault itself: from here it only waits */
		if (stage == 5)
			release(l, s);
		return false;
	default:
		return false;
	}
	if (stage <= last)
		return false;
	s->dropped++;
	l->r->dropped++;
	release(l, s);
	return true;
}

static int cb_send(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                   const uint8_t *buf, size_t len)
{
	struct load *l = ctx;
	long i = slot_of_addr(l, local);

	if (i < 0 || remote->sa_family != AF_INET)
		return -1;
	if (fault_drops(l, &l->slots[i], buf, len))
		return 0; /* "sent" into the void, as a dead peer's network would */
	if (load_net_send(&l->net, (const struct sockaddr_in *)local,
	                  (const struct sockaddr_in *)remote, buf, len) != 0) {
		l->r->send_errors++;
		return -1;
	}
	return 0;
}

/* Every peer has its local address configured; nothing else may be initiated. */
static int cb_source_for(void *ctx, const struct sockaddr *remote, struct sockaddr_storage *local)
{
	(void)ctx;
	(void)remote;
	(void)local;
	return -1;
}

static uint16_t cb_natt_port(void *ctx, const struct sockaddr *local)
{
	(void)ctx;
	(void)local;
	return 0;
}

static void cb_log(void *ctx, enum ike_log_level level, const char *msg)
{
	struct load *l = ctx;

	if (l->o->verbose || level <= IKE_LOG_WARNING)
		fprintf(stderr, "ikeload: engine: %s\n", msg);
}

/* ---- the peers ---- */

/* The common part of every peer, with the proposals and key of one variant. */
static int peer_template(const struct load_opts *o, struct ike_peer_cfg *p, const char *ike,
                         const char *esp, bool wrong_key, char *err, size_t errlen)
{
	char msg[160], block[64], addr[INET_ADDRSTRLEN];
	struct in_addr net = {.s_addr = htonl(o->src_net)};

	memset(p, 0, sizeof(*p));
	memcpy(&p->remote, &o->target, sizeof(o->target));
	p->remote_prefix = 32;
	p->autostart = IKE_AUTO_ADD;
	p->ike_lifetime = 28800;
	memcpy(p->psk, o->psk, o->psk_len);
	p->psk_len = o->psk_len;
	if (wrong_key) {
		/* same length, another last byte: the responder's MM5 check fails */
		p->psk[p->psk_len - 1] ^= 0x55;
	}
	if (ike_proposals_parse(ike, p->ike, IKE_MAX_PROPOSALS, &p->n_ike, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "ike proposals '%s': %s", ike, msg);
		return -1;
	}
	if (o->phase1_only)
		return 0;
	p->has_children = true;
	p->mode = IPSEC_MODE_TUNNEL;
	p->ipsec_lifetime_s = 3600;
	if (ike_esp_proposals_parse(esp, p->esp, IKE_MAX_PROPOSALS, &p->n_esp, msg, sizeof(msg)) !=
	    0) {
		snprintf(err, errlen, "esp proposals '%s': %s", esp, msg);
		return -1;
	}
	inet_ntop(AF_INET, &net, addr, sizeof(addr));
	snprintf(block, sizeof(block), "%s/%u", addr, o->src_prefix);
	if (ike_ts_parse(o->local_ts[0] != '\0' ? o->local_ts : block, p->local_ts, IKE_MAX_TS,
	                 &p->n_local_ts, msg, sizeof(msg)) != 0 ||
	    (o->remote_ts[0] != '\0' && ike_ts_parse(o->remote_ts, p->remote_ts, IKE_MAX_TS,
	                                             &p->n_remote_ts, msg, sizeof(msg)) != 0)) {
		snprintf(err, errlen, "selectors: %s", msg);
		return -1;
	}
	if (o->remote_ts[0] == '\0') {
		ike_ts_from_addr(&p->remote_ts[0], (const struct sockaddr *)&o->target);
		p->n_remote_ts = 1;
	}
	return 0;
}

/* One peer per slot, named l<index>, local = its source address. */
static int give_peers(struct load *l, char *err, size_t errlen)
{
	const struct load_opts *o = l->o;
	struct ike_peer_cfg tpl[4], *peers;
	int rc = -1;

	if (peer_template(o, &tpl[0], o->ike, o->esp, false, err, errlen) != 0 ||
	    peer_template(o, &tpl[1], o->ike, o->esp, true, err, errlen) != 0 ||
	    peer_template(o, &tpl[2], o->wrong_ike, o->esp, false, err, errlen) != 0 ||
	    peer_template(o, &tpl[3], o->ike, o->wrong_esp, false, err, errlen) != 0)
		goto wipe;
	peers = calloc(o->count, sizeof(*peers));
	if (peers == NULL) {
		snprintf(err, errlen, "out of memory for %lu peers", o->count);
		goto wipe;
	}
	for (unsigned long i = 0; i < o->count; i++) {
		struct ike_peer_cfg *p = &peers[i];
		uint8_t f = l->slots[i].fault;

		*p = tpl[f == FAULT_WRONG_KEY   ? 1
		         : f == FAULT_WRONG_IKE ? 2
		         : f == FAULT_WRONG_ESP ? 3
		                                : 0];
		slot_name(i, p->name, sizeof(p->name));
		slot_addr(l, i, (struct sockaddr_in *)&p->local);
		if (o->host_ts && p->has_children)
			ike_ts_from_addr(&p->local_ts[0], (const struct sockaddr *)&p->local);
	}
	rc = ike_engine_set_peers(l->e, peers, o->count);
	if (rc != 0)
		snprintf(err, errlen, "the engine refused %lu peers (out of memory?)", o->count);
	OPENSSL_cleanse(peers, o->count * sizeof(*peers));
	free(peers);
wipe:
	OPENSSL_cleanse(tpl, sizeof(tpl));
	return rc;
}

/* ---- the loop ---- */

static void initiate_due(struct load *l, double now)
{
	const struct load_opts *o = l->o;
	char name[IKE_PEER_NAME_MAX + 1];

	for (int k = 0; k < INITIATE_BURST && l->next < o->count; k++) {
		struct load_slot *s = &l->slots[l->next];

		if (o->window != 0 && l->inflight >= o->window)
			break;
		if (o->rate > 0 && (double)l->next > now * o->rate)
			break;
		if (l->next == 0)
			l->first_start = now;
		s->state = SLOT_INFLIGHT;
		s->t_start = now;
		l->inflight++;
		l->unresolved++;
		slot_name(l->next, name, sizeof(name));
		l->next++;
		l->r->initiated++;
		if (ike_engine_initiate(l->e, name) < 0) {
			l->r->initiate_errors++;
			resolve(l, s, SLOT_FAILED, IKE_CAUSE_INTERNAL);
		}
	}
}

/* Milliseconds to sleep: the engine's next timer, the next initiation, the deadline. */
static int wait_ms(struct load *l, double now, double until)
{
	const struct load_opts *o = l->o;
	int64_t t = ike_engine_next_timeout_ms(l->e);
	double w = until - now;

	if (t >= 0 && (double)t / 1e3 < w)
		w = (double)t / 1e3;
	if (l->next < o->count && (o->window == 0 || l->inflight < o->window)) {
		double at = o->rate > 0 ? (double)l->next / o->rate : now;

		if (at - now < w)
			w = at - now;
	}
	if (w <= 0)
		return 0;
	return w > 1.0 ? 1000 : (int)ceil(w * 1e3);
}

static void read_datagrams(struct load *l)
{
	static uint8_t buf[IKE_MAX_MSG + 1];
	struct sockaddr_in local, remote;

	for (int k = 0; k < RECV_BURST; k++) {
		long n = load_net_recv(&l->net, buf, sizeof(buf), &local, &remote);

		if (n == -3)
			continue; /* a datagram without its destination: look for the next one */
		if (n < 0)
			return;
		ike_engine_input(l->e, (const struct sockaddr *)&local,
		                 (const struct sockaddr *)&remote, buf, (size_t)n);
	}
}

/* Run until every SA is resolved (and, with more, the settle time is over) or until. */
static void loop(struct load *l, double until, bool initiate)
{
	struct pollfd pfd = {.fd = l->net.fd, .events = POLLIN};

	for (;;) {
		double now = elapsed(l);

		if (now >= until)
			return;
		if (initiate) {
			initiate_due(l, now);
			if (l->next == l->o->count && l->unresolved == 0)
				return;
		}
		if (ike_engine_next_timeout_ms(l->e) == 0) {
			ike_engine_run_timers(l->e);
			continue;
		}
		if (poll(&pfd, 1, wait_ms(l, now, until)) > 0 && (pfd.revents & POLLIN))
			read_datagrams(l);
	}
}

/* ---- the tally ---- */

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static void tally(struct load *l)
{
	struct load_result *r = l->r;
	const struct ike_global_counters *g = ike_sa_table_counters(ike_engine_sas(l->e));
	float *lat = malloc((l->o->count ? l->o->count : 1) * sizeof(*lat));
	unsigned long n = 0;

	for (unsigned long i = 0; i < l->o->count; i++) {
		const struct load_slot *s = &l->slots[i];

		r->by_fault[s->fault][s->state]++;
		if (s->state == SLOT_OK) {
			r->established++;
			if (lat != NULL)
				lat[n++] = s->latency_ms;
		} else if (s->state == SLOT_FAILED) {
			r->failed++;
			r->by_cause[s->cause < IKE_CAUSE_COUNT ? s->cause : 0]++;
			r->fault_cause[s->fault][s->cause < IKE_CAUSE_COUNT ? s->cause : 0]++;
		} else if (s->state == SLOT_INFLIGHT) {
			r->pending++;
		}
	}
	if (lat != NULL && n > 0) {
		qsort(lat, n, sizeof(*lat), cmp_float);
		r->lat_p50_ms = lat[(n - 1) / 2];
		r->lat_p99_ms = lat[(size_t)ceil((double)n * 0.99) - 1];
		r->lat_max_ms = lat[n - 1];
	}
	free(lat);
	r->wall_s = l->last_done - l->first_start;
	r->wall_ok_s = l->last_ok - l->first_start;
	r->sas_created = g->sas_created;
	r->sas_established = g->sas_established;
	r->sas_failed = g->sas_failed;
	r->children_installed = g->children_installed;
	r->children_failed = g->children_failed;
	memcpy(r->causes, g->causes, sizeof(r->causes));
}

static int setup(struct load *l, char *err, size_t errlen)
{
	struct ike_engine_ops ops = {
	    .send = cb_send, .source_for = cb_source_for, .natt_port = cb_natt_port, .log = cb_log};
	struct ike_settings st;

	l->slots = calloc(l->o->count, sizeof(*l->slots));
	if (l->slots == NULL) {
		snprintf(err, errlen, "out of memory for %lu SAs", l->o->count);
		return -1;
	}
	plan_faults(l);
	if (load_net_open(&l->net, l->o->port, err, errlen) != 0)
		return -1;
	l->r->port = l->net.port;
	ike_settings_default(&st);
	st.retransmit_timeout_ms = l->o->retransmit_ms;
	st.retransmit_tries = l->o->tries;
	/* ikemond says INITIAL-CONTACT to each of our hosts: it is not about the others */
	st.ignore_initial_contact = true;
	st.dh_known_key = l->o->cheap_dh;
	l->e = ike_engine_new(&ops, l, &st);
	if (l->e == NULL || ike_sa_table_subscribe(ike_engine_sas(l->e), on_event, l) != 0) {
		snprintf(err, errlen, "cannot start the engine");
		return -1;
	}
	return give_peers(l, err, errlen);
}

int load_run(const struct load_opts *o, struct load_result *r, char *err, size_t errlen)
{
	struct load l = {.o = o, .r = r, .net = {.fd = -1}};
	double cpu0, peer0 = -1, end;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->peer_cpu_s = -1;
	clock_gettime(CLOCK_MONOTONIC, &l.t0);
	if (setup(&l, err, errlen) != 0)
		goto done;
	/* the clock and the CPU readings start with the first initiation, after setup */
	clock_gettime(CLOCK_MONOTONIC, &l.t0);
	cpu0 = load_self_cpu();
	if (o->ikemond_pid > 0)
		peer0 = load_proc_cpu(o->ikemond_pid);
	loop(&l, o->timeout_s, true);
	r->timed_out = l.next < o->count || l.unresolved > 0;
	r->cpu_s = load_self_cpu() - cpu0;
	/* the responder may still be working on our last messages: let it finish */
	end = elapsed(&l) + o->settle_s;
	loop(&l, end, false);
	if (peer0 >= 0) {
		double peer1 = load_proc_cpu(o->ikemond_pid);

		r->peer_cpu_s = peer1 >= 0 ? peer1 - peer0 : -1;
	}
	tally(&l);
	if (o->delete_at_end)
		ike_engine_delete_all(l.e, IKE_CAUSE_CLEARED);
	rc = 0;
done:
	ike_engine_free(l.e);
	load_net_close(&l.net);
	free(l.slots);
	return rc;
}
