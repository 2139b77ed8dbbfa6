/*
 * metrics_scene.h - the fixed scene of the exporter's tests: a real engine whose sends
 * are discarded, a stall detector and the metrics, with three configured peers and SAs
 * driven through the engine's choke points (ike_sa_set_state, ike_sa_fail,
 * ike_sa_mark_deleted), and a 1 ms stall threshold that raises spoke2's alarm:
 *
 *   spoke1  127.0.0.2  conn-id 1001, Main Mode to QM_IDLE, its phase-2 SA installed: up
 *   spoke2  127.0.0.3  conn-id 1002 failed with key-mismatch in MM_KEY_EXCH and deleted
 *                      (removed: the caller's choice); 1003 held in MM_KEY_EXCH: stalled,
 *                      alarm raised
 *   idle1   127.0.0.4  nothing (auto=add, nobody asked)
 *   ghost   192.0.2.9  conn-id 1004, a peer not configured, failed no-proposal-chosen
 *
 * plus two dropped datagrams too short, one of no configured peer, and one notification
 * counted.  test_metrics.c checks the exposition of it; metrics_dump.c prints it for
 * promtool (tests/integration/metrics_promtool.sh).  No check library here: the dump
 * links without it.
 */
#ifndef TESTS_UNIT_METRICS_SCENE_H
#define TESTS_UNIT_METRICS_SCENE_H

#include "exporters/metrics.h"
#include "ike/ike.h"

#define METRICS_SCENE_PSK "not-in-any-view-7Qx" /* the peers' key: in no view */

struct metrics_scene {
	struct ike_engine *e;
	struct stall_detector *d;
	struct metrics *m;
	struct ike_sa *removed; /* spoke2's failed SA: deleted, not yet removed */
	struct ike_sa *retry;   /* spoke2's second SA, in MM_KEY_EXCH */
};

/* A peer as the scene configures them: from 127.0.0.1, to remote, phase 1 only. */
int metrics_scene_peer(struct ike_peer_cfg *p, const char *name, const char *remote);

/*
 * Build the scene (the log level goes to LOG_ERR: the alarm's line is not wanted).
 * 0, or -1 with whatever was made left for metrics_scene_free().
 */
int metrics_scene_build(struct metrics_scene *sc);

/* The engine first: the metrics' subscription must not outlive it. */
void metrics_scene_free(struct metrics_scene *sc);

#endif /* TESTS_UNIT_METRICS_SCENE_H */
