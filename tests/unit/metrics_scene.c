/*
 * metrics_scene.c - the exporter tests' fixed scene (see metrics_scene.h).
 */
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "agent/log.h"
#include "tests/unit/ike_fixture.h"
#include "tests/unit/metrics_scene.h"

static const enum ike_state to_qm_idle[] = {IKE_ST_MAIN_I2, IKE_ST_MAIN_I3, IKE_ST_MAIN_I4,
                                            IKE_ST_ESTABLISHED};
static const enum ike_state to_key_exch[] = {IKE_ST_MAIN_R1, IKE_ST_MAIN_R2};

int metrics_scene_peer(struct ike_peer_cfg *p, const char *name, const char *remote)
{
	if (fx_peer_cfg(p, name, remote, METRICS_SCENE_PSK) != 0)
		return -1;
	return fx_set_addr(&p->local, "127.0.0.1", IKE_PORT);
}

static void traffic(struct ike_sa *sa, uint64_t in, uint64_t out, uint64_t retx)
{
	sa->ctr.msgs_in = in;
	sa->ctr.msgs_out = out;
	sa->ctr.bytes_in = in * 100;
	sa->ctr.bytes_out = out * 110;
	sa->ctr.retransmits = retx;
}

/* spoke1 up with its phase-2 SA. */
static int scene_spoke1(struct ike_sa_table *t)
{
	struct ike_sa *sa = fx_new_sa(t, "spoke1", "127.0.0.2", IKE_ROLE_INITIATOR);
	struct ike_child *c;

	if (sa == NULL || fx_walk(t, sa, to_qm_idle, 4) != 0)
		return -1;
	traffic(sa, 3, 3, 1);
	c = ike_child_create(t, sa, IKE_ROLE_INITIATOR, 0x1234);
	if (c == NULL)
		return -1;
	return ike_child_set_state(t, sa, c, IKE_CHILD_INSTALLED);
}

/* spoke2: a key mismatch, deleted (kept for the caller to remove), then a retry. */
static int scene_spoke2(struct metrics_scene *sc, struct ike_sa_table *t)
{
	struct ike_sa *failed = fx_new_sa(t, "spoke2", "127.0.0.3", IKE_ROLE_RESPONDER);

	if (failed == NULL || fx_walk(t, failed, to_key_exch, 2) != 0)
		return -1;
	traffic(failed, 4, 2, 0);
	ike_sa_fail(t, failed, IKE_CAUSE_KEY_MISMATCH, "MM5 from the peer does not decrypt");
	ike_sa_mark_deleted(t, failed, IKE_CAUSE_KEY_MISMATCH);
	sc->removed = failed;
	sc->retry = fx_new_sa(t, "spoke2", "127.0.0.3", IKE_ROLE_RESPONDER);
	if (sc->retry == NULL || fx_walk(t, sc->retry, to_key_exch, 2) != 0)
		return -1;
	traffic(sc->retry, 2, 2, 0);
	return 0;
}

static int scene_ghost(struct ike_sa_table *t)
{
	struct ike_sa *sa = fx_new_sa(t, "ghost", "192.0.2.9", IKE_ROLE_INITIATOR);

	if (sa == NULL)
		return -1;
	traffic(sa, 1, 1, 0);
	ike_sa_fail(t, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN, "refused by peer");
	ike_sa_mark_deleted(t, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	return 0;
}

int metrics_scene_build(struct metrics_scene *sc)
{
	static const struct ike_engine_ops ops = {.send = fx_discard_send};
	const struct timespec five_ms = {0, 5000000L};
	struct ike_peer_cfg peers[3];
	struct ike_settings set;
	struct stall_settings ss;
	struct ike_sa_table *t;

	log_set_level(LOG_ERR);
	memset(sc, 0, sizeof(*sc));
	ike_settings_default(&set);
	set.dh_workers = 2; /* the pool's families show its threads */
	stall_settings_default(&ss);
	ss.stall_after_ms = 1;
	if (metrics_scene_peer(&peers[0], "spoke1", "127.0.0.2") != 0 ||
	    metrics_scene_peer(&peers[1], "spoke2", "127.0.0.3") != 0 ||
	    metrics_scene_peer(&peers[2], "idle1", "127.0.0.4") != 0)
		return -1;
	peers[0].has_children = true; /* one phase-2 SA wanted */
	sc->e = ike_engine_new(&ops, NULL, &set);
	if (sc->e == NULL || ike_engine_set_peers(sc->e, peers, 3) != 0)
		return -1;
	sc->d = stall_new(sc->e, &ss);
	sc->m = sc->d != NULL ? metrics_new(sc->e, sc->d) : NULL;
	if (sc->m == NULL)
		return -1;
	t = ike_engine_sas(sc->e);
	if (scene_spoke1(t) != 0 || scene_spoke2(sc, t) != 0 || scene_ghost(t) != 0)
		return -1;
	ike_sa_table_counters_mut(t)->dropped_short = 2;
	ike_sa_table_counters_mut(t)->dropped_no_config = 1;
	ike_sa_table_counters_mut(t)->dropped_replay = 3;
	ike_sa_table_counters_mut(t)->half_open = 7;
	ike_sa_table_counters_mut(t)->half_open_dropped_limit = 5;
	ike_sa_table_counters_mut(t)->half_open_dropped_per_source = 4;
	ike_sa_table_counters_mut(t)->half_open_dropped_timeout = 2;
	if (metrics_count_notification(sc->m, "ikemonPeerStalled", "sent") != 0)
		return -1;
	nanosleep(&five_ms, NULL);
	stall_run(sc->d);
	return 0;
}

void metrics_scene_free(struct metrics_scene *sc)
{
	ike_engine_free(sc->e);
	stall_free(sc->d);
	metrics_free(sc->m);
}
