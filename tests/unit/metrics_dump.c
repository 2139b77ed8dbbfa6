/*
 * metrics_dump.c - prints ikemond's exposition for a fixed scene, for
 * tests/integration/metrics_promtool.sh (`promtool check metrics` lints it).
 *
 *   metrics_dump [--openmetrics] [--per-sa]
 *
 * The scene is test_metrics.c's (tests/unit/metrics_scene.h), spoke2's deleted SA
 * removed: a real engine whose sends are discarded, three configured peers, SAs driven
 * through the engine's own choke points, spoke2's alarm raised, an SA of a peer no longer
 * configured ("ghost"), a few dropped datagrams and one notification.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "agent/log.h"
#include "exporters/metrics.h"
#include "ike/ike.h"
#include "tests/unit/metrics_scene.h"

int main(int argc, char **argv)
{
	struct metrics_scene sc;
	struct strbuf out;
	bool om = false;
	int rc = 0;

	log_set_level(LOG_ERR); /* the alarm's log line is not the exposition */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--openmetrics") == 0) {
			om = true;
		} else if (strcmp(argv[i], "--per-sa") != 0) {
			fprintf(stderr, "usage: metrics_dump [--openmetrics] [--per-sa]\n");
			return 2;
		}
	}
	if (metrics_scene_build(&sc) != 0) {
		fprintf(stderr, "metrics_dump: cannot build the scene\n");
		metrics_scene_free(&sc);
		return 1;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--per-sa") == 0)
			metrics_set_per_sa(sc.m, true);
	ike_sa_remove(ike_engine_sas(sc.e), sc.removed);
	strbuf_init(&out);
	if (metrics_write(sc.m, om, &out) != 0 || fwrite(out.s, 1, out.len, stdout) != out.len) {
		fprintf(stderr, "metrics_dump: cannot write the exposition\n");
		rc = 1;
	}
	strbuf_free(&out);
	metrics_scene_free(&sc);
	return rc;
}
