/*
 * engine_pair.c - two real engines on an in-memory queue (see engine_pair.h).
 *
 * Each engine's send hook appends to one ring of datagrams, its source hook answers
 * with the side's own address; delivery is in order, so a run is the same every time
 * the engines' random numbers are (tests/fuzz/scene.c fixes them).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/ike_fixture.h"

static const char *const side_ip[2] = {"127.0.0.1", "127.0.0.2"};
static const char *const side_net[2] = {"10.0.0.0/24", "10.1.0.0/24"};

static int on_send(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                   const uint8_t *buf, size_t len)
{
	struct ep_side *sd = ctx;
	struct engine_pair *pr = sd->pair;
	struct ep_dgram *d;

	(void)local, (void)remote;
	if (pr->tap != NULL && pr->tap(pr->tap_ctx, sd->id, buf, len))
		return 0;
	if (pr->len == EP_QUEUE_MAX)
		return 0; /* lost, as on a network */
	d = &pr->q[(pr->head + pr->len) % EP_QUEUE_MAX];
	d->buf = malloc(len);
	if (d->buf == NULL)
		return -1;
	memcpy(d->buf, buf, len);
	d->len = len;
	d->to = !sd->id;
	pr->len++;
	return 0;
}

static int on_source(void *ctx, const struct sockaddr *remote, struct sockaddr_storage *local)
{
	const struct ep_side *sd = ctx;

	(void)remote;
	*local = sd->addr;
	return 0;
}

/* Side i's one peer: the other side, its subnet behind it. */
static int side_peer(struct ike_peer_cfg *p, const struct ep_config *c, int i)
{
	if (fx_peer_cfg(p, c->name[i], side_ip[!i], c->psk) != 0)
		return -1;
	return fx_peer_proposals(p, c->ike, c->esp, side_net[i], side_net[!i]);
}

int engine_pair_init(struct engine_pair *pr, const struct ep_config *c)
{
	static const struct ike_engine_ops ops = {.send = on_send, .source_for = on_source};
	struct ike_settings set;

	memset(pr, 0, sizeof(*pr));
	pr->tap = c->tap;
	pr->tap_ctx = c->tap_ctx;
	ike_settings_default(&set);
	set.dh_workers = c->dh_workers;
	set.dh_max_jobs = c->dh_max_jobs;
	if (set.dh_workers == 0 && getenv("EP_DH_WORKERS") != NULL)
		set.dh_workers = (uint32_t)strtoul(getenv("EP_DH_WORKERS"), NULL, 10);
	for (int i = 0; i < 2; i++) {
		struct ep_side *sd = &pr->side[i];

		sd->pair = pr;
		sd->id = i;
		if (fx_set_addr(&sd->addr, side_ip[i], IKE_PORT) != 0 ||
		    side_peer(&sd->cfg, c, i) != 0)
			return -1;
		sd->e = ike_engine_new(&ops, sd, &set);
		if (sd->e == NULL || ike_engine_set_peers(sd->e, &sd->cfg, 1) != 0)
			return -1;
	}
	return 0;
}

/* The next queued datagram, without waiting for DH jobs. */
static bool take(struct engine_pair *pr, struct ep_dgram *d)
{
	if (pr->len == 0)
		return false;
	*d = pr->q[pr->head];
	pr->head = (pr->head + 1) % EP_QUEUE_MAX;
	pr->len--;
	return true;
}

void engine_pair_free(struct engine_pair *pr)
{
	struct ep_dgram d;

	while (take(pr, &d))
		free(d.buf);
	pr->head = 0;
	for (int i = 0; i < 2; i++) {
		ike_engine_free(pr->side[i].e);
		pr->side[i].e = NULL;
	}
}

bool engine_pair_pop(struct engine_pair *pr, struct ep_dgram *d)
{
	/* with workers, what a DH job sends is on its way too: wait for it, as inline */
	if (pr->len == 0 &&
	    ike_engine_dh_pending(pr->side[0].e) + ike_engine_dh_pending(pr->side[1].e) > 0)
		engine_pair_dh_settle(pr);
	return take(pr, d);
}

void engine_pair_input(struct engine_pair *pr, int to, const uint8_t *buf, size_t len)
{
	ike_engine_input(pr->side[to].e, (const struct sockaddr *)&pr->side[to].addr,
	                 (const struct sockaddr *)&pr->side[!to].addr, buf, len);
}

int engine_pair_dh_settle(struct engine_pair *pr)
{
	struct pollfd pfd[2];

	while (ike_engine_dh_pending(pr->side[0].e) + ike_engine_dh_pending(pr->side[1].e) > 0) {
		for (int i = 0; i < 2; i++)
			pfd[i] = (struct pollfd){.fd = ike_engine_dh_fd(pr->side[i].e),
			                         .events = POLLIN};
		if (poll(pfd, 2, EP_DH_WAIT_MS) <= 0)
			return -1;
		for (int i = 0; i < 2; i++)
			if (pfd[i].revents & POLLIN)
				ike_engine_dh_run(pr->side[i].e);
	}
	return 0;
}

int engine_pair_run(struct engine_pair *pr, int max)
{
	struct ep_dgram d;
	int n = 0;

	for (;;) {
		for (; pr->len > 0; n++) {
			if (n >= max)
				return -1;
			engine_pair_pop(pr, &d);
			engine_pair_input(pr, d.to, d.buf, d.len);
			free(d.buf);
		}
		if (ike_engine_dh_pending(pr->side[0].e) + ike_engine_dh_pending(pr->side[1].e) ==
		    0)
			return n;
		if (engine_pair_dh_settle(pr) != 0)
			return -1;
	}
}
