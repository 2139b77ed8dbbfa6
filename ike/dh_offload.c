/*
 * dh_offload.c - the engine's side of the Diffie-Hellman worker pool (dhpool.c).
 *
 * A handler that reaches its DH step hands a job to engine_dh_start and returns; the
 * second half of the handler (its step's *_dh_done) runs with the result.  Without a pool
 * (dh_workers = 0, and the in-memory tests) both halves run in one call, so the engine
 * behaves as it did before the pool.  With one, the SA waits: copies of the message that
 * started the job are dropped (dispatch.c keeps it as not yet answered), other messages
 * for the exchange too, and the answer, once sent, is what later copies get.
 *
 * Results find their SA by conn-id, which is never reused: one whose SA was deleted (the
 * exchange timed out, the peer sent DELETE, a reload removed the peer) is dropped, its
 * key pair and g^xy wiped with the job.
 */
#include <string.h>

#include "exchange.h"
#include "ike.h"

struct ike_dh_job *engine_dh_job(struct ike_sa *sa, enum engine_dh_step step, struct ike_dh *dh,
                                 const uint8_t *peer, size_t peer_len)
{
	return engine_dh_job_group(sa, step, sa->xf.group, dh, peer, peer_len);
}

struct ike_dh_job *engine_dh_job_group(const struct ike_sa *sa, enum engine_dh_step step,
                                       uint16_t group, struct ike_dh *dh, const uint8_t *peer,
                                       size_t peer_len)
{
	struct ike_dh_job *j = ike_dh_job_new(sa->conn_id, step, group);

	if (j == NULL || peer_len > sizeof(j->peer)) {
		ike_dh_free(dh);
		ike_dh_job_free(j);
		return NULL;
	}
	j->dh = dh;
	if (peer != NULL) {
		memcpy(j->peer, peer, peer_len);
		j->peer_len = peer_len;
	}
	return j;
}

bool engine_dh_async(const struct ike_engine *e)
{
	return e->dhpool != NULL;
}

void engine_dh_run_here(const struct ike_engine *e, struct ike_dh_job *j)
{
	j->known_key = e->settings.dh_known_key;
	ike_dh_job_run(j);
}

static enum ike_handler_result resume(struct ike_engine *e, struct ike_sa *sa, struct ike_dh_job *j)
{
	switch (j->step) {
	case DH_STEP_MAIN_R2:
		return main_R2_dh_done(e, sa, j);
	case DH_STEP_MAIN_I2:
		return main_I2_dh_done(e, sa, j);
	case DH_STEP_MAIN_I3:
		return main_I3_dh_done(e, sa, j);
	case DH_STEP_AGGR_R1:
		return aggr_R1_dh_done(e, sa, j);
	case DH_STEP_AGGR_I1:
		return aggr_I1_dh_done(e, sa, j);
	case DH_STEP_AGGR_I2:
		return aggr_I2_dh_done(e, sa, j);
	default:
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "unknown key exchange step");
		return IKE_R_FAIL;
	}
}

/* Run j on the loop and resume its step at once: without a pool, or for a step no
 * retransmission would bring back when the pool is full. */
static enum ike_handler_result run_here(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j)
{
	enum ike_handler_result r;

	ike_dh_job_run(j);
	r = resume(e, sa, j);
	ike_dh_job_free(j);
	return r;
}

enum ike_handler_result engine_dh_start(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j)
{
	if (j == NULL || sa->x == NULL) {
		ike_dh_job_free(j);
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "no memory for the key exchange");
		return IKE_R_FAIL;
	}
	j->known_key = e->settings.dh_known_key;
	if (e->dhpool == NULL)
		return run_here(e, sa, j);
	j->token = ++e->dh_tokens;
	if (ike_dhpool_post(e->dhpool, j) != 0) {
		/* an initiator's step: no peer's retransmission would bring it back */
		if (j->inline_if_full)
			return run_here(e, sa, j);
		engine_log(e, IKE_LOG_DEBUG,
		           "conn-id %u: DH workers busy (%zu jobs out): message dropped",
		           sa->conn_id, ike_dhpool_outstanding(e->dhpool));
		/* a key pair handed over stays the SA's: the peer's retransmission needs it */
		if (j->dh != NULL && sa->x->dh == NULL) {
			sa->x->dh = j->dh;
			j->dh = NULL;
		}
		ike_dh_job_free(j);
		return IKE_R_IGNORE;
	}
	sa->x->dh_pending = true;
	sa->x->dh_token = j->token;
	return IKE_R_OK;
}

void engine_dh_start_child(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                           struct ike_dh_job *j)
{
	if (j == NULL) {
		quick_dh_done(e, sa, c, NULL);
		return;
	}
	j->known_key = e->settings.dh_known_key;
	j->msgid = c->msgid;
	if (e->dhpool != NULL) {
		j->token = ++e->dh_tokens;
		if (ike_dhpool_post(e->dhpool, j) == 0) {
			c->x->dh_pending = true;
			c->x->dh_token = j->token;
			return;
		}
	}
	ike_dh_job_run(j);
	quick_dh_done(e, sa, c, j);
	ike_dh_job_free(j);
}

/* A Quick Mode job's child, when it still waits for this job; NULL when stale. */
static struct ike_child *waiting_child(struct ike_sa *sa, const struct ike_dh_job *j)
{
	struct ike_child *c = ike_child_by_msgid(sa, j->msgid);

	if (c == NULL || c->x == NULL || c->state == IKE_CHILD_DELETED || !c->x->dh_pending ||
	    c->x->dh_token != j->token)
		return NULL;
	return c;
}

static void stale(struct ike_engine *e, const struct ike_dh_job *j)
{
	e->dh_stale++;
	engine_log(e, IKE_LOG_DEBUG, "conn-id %u: DH result dropped (the SA is gone)", j->serial);
}

/* A finished job: the second half of its handler, when its SA still waits for it. */
static void finish(struct ike_engine *e, struct ike_dh_job *j)
{
	struct ike_sa *sa = ike_sa_find_mut(e->sas, j->serial);
	struct ike_exchange *x = sa != NULL ? sa->x : NULL;
	struct ike_child *c;
	uint32_t out_gen;

	if (x == NULL || !engine_sa_alive(sa)) {
		stale(e, j);
		return;
	}
	if (j->msgid != 0) {
		if ((c = waiting_child(sa, j)) == NULL) {
			stale(e, j);
			return;
		}
		c->x->dh_pending = false;
		e->dh_done++;
		engine_timers_touch(e, sa);
		quick_dh_done(e, sa, c, j);
		return;
	}
	if (!x->dh_pending || x->dh_token != j->token) {
		stale(e, j);
		return;
	}
	x->dh_pending = false;
	e->dh_done++;
	engine_timers_touch(e, sa);
	out_gen = x->rt.out_gen;
	if (resume(e, sa, j) != IKE_R_OK || sa->x == NULL)
		return;
	/* the message that started the job is answered now: its copies get the answer */
	if (sa->x->rt.out_gen != out_gen) {
		sa->x->rt.in_answered = true;
		sa->x->rt.dup_answers = 0;
	}
}

void ike_engine_dh_run(struct ike_engine *e)
{
	struct ike_dh_job *j;

	if (e->dhpool == NULL)
		return;
	while ((j = ike_dhpool_take(e->dhpool)) != NULL) {
		finish(e, j);
		ike_dh_job_free(j);
	}
}

int ike_engine_dh_fd(const struct ike_engine *e)
{
	return e->dhpool != NULL ? ike_dhpool_fd(e->dhpool) : -1;
}

size_t ike_engine_dh_pending(struct ike_engine *e)
{
	return e->dhpool != NULL ? ike_dhpool_outstanding(e->dhpool) : 0;
}

uint64_t ike_engine_dh_stale(const struct ike_engine *e)
{
	return e->dh_stale;
}

void ike_engine_dh_stats(struct ike_engine *e, struct ike_dh_stats *out)
{
	*out = (struct ike_dh_stats){.done = e->dh_done, .stale = e->dh_stale};
	if (e->dhpool == NULL)
		return;
	out->workers = e->settings.dh_workers;
	out->refused = ike_dhpool_refused(e->dhpool);
	out->queued = ike_dhpool_outstanding(e->dhpool);
}
