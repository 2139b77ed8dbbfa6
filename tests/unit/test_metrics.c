/*
 * test_metrics.c - the Prometheus exposition (exporters/metrics.c) against a real engine
 * and stall detector.
 *
 * The scene is tests/unit/metrics_scene.h's (metrics_dump.c prints it for promtool): three
 * configured peers, SAs driven through the engine's choke points, a 1 ms stall threshold
 * that raises spoke2's alarm; the tests remove spoke2's deleted SA (ike_sa_remove) or not.
 * Expositions are read back with a small line parser: exact series, values, and the
 * structure each format demands.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "agent/log.h"
#include "exporters/metrics.h"
#include "ike/ike.h"
#include "tests/unit/ike_fixture.h"
#include "tests/unit/metrics_scene.h"
#include "tests/unit/testlib.h"

#define MAX_LINE  2048
#define MAX_NAME  128
#define N_CAUSES  (IKE_CAUSE_COUNT - 1) /* by-cause families leave out "none" */
#define MAX_SAMPL 512

/* ---------------------------------------------------------------- the scene */

static void scene_build(struct metrics_scene *sc)
{
	ck_assert_int_eq(metrics_scene_build(sc), 0);
}

/* ---------------------------------------------------------------- reading it back */

static char *expose(struct metrics *m, bool om)
{
	struct strbuf b;

	strbuf_init(&b);
	ck_assert_int_eq(metrics_write(m, om, &b), 0);
	ck_assert_ptr_nonnull(b.s);
	return b.s;
}

static bool next_line(const char **p, char *line)
{
	const char *nl;
	size_t n;

	if (**p == '\0')
		return false;
	nl = strchr(*p, '\n');
	ck_assert_msg(nl != NULL, "unterminated line: %s", *p);
	n = (size_t)(nl - *p);
	ck_assert_uint_lt(n, MAX_LINE);
	memcpy(line, *p, n);
	line[n] = '\0';
	*p = nl + 1;
	return true;
}

struct sample {
	char name[MAX_NAME];
	char series[MAX_LINE]; /* name and labels, as written */
	double value;
};

/* "name{labels} value": the value follows the last blank (no timestamps are written). */
static void parse_sample(const char *line, struct sample *s)
{
	const char *sp = strrchr(line, ' ');
	size_t n = strcspn(line, "{ ");
	char *end;

	ck_assert_msg(sp != NULL && n < MAX_NAME, "bad sample: %s", line);
	memcpy(s->name, line, n);
	s->name[n] = '\0';
	memcpy(s->series, line, (size_t)(sp - line));
	s->series[sp - line] = '\0';
	s->value = strtod(sp + 1, &end);
	ck_assert_msg(*end == '\0' && end != sp + 1, "bad value: %s", line);
}

/* Every sample of an exposition; returns how many. */
static size_t samples(const char *text, struct sample *out, size_t max)
{
	char line[MAX_LINE];
	size_t n = 0;

	while (next_line(&text, line)) {
		if (line[0] == '#')
			continue;
		ck_assert_uint_lt(n, max);
		parse_sample(line, &out[n++]);
	}
	return n;
}

static bool find(const char *text, const char *series, double *v)
{
	char line[MAX_LINE];
	struct sample s;

	while (next_line(&text, line)) {
		if (line[0] == '#')
			continue;
		parse_sample(line, &s);
		if (strcmp(s.series, series) == 0) {
			*v = s.value;
			return true;
		}
	}
	return false;
}

static double value(const char *text, const char *series)
{
	double v = 0;

	ck_assert_msg(find(text, series, &v), "no sample %s", series);
	return v;
}

static size_t count_named(const char *text, const char *name)
{
	static struct sample all[MAX_SAMPL];
	size_t n = samples(text, all, MAX_SAMPL), k = 0;

	for (size_t i = 0; i < n; i++)
		k += strcmp(all[i].name, name) == 0;
	return k;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---------------------------------------------------------------- values */

START_TEST(test_peers)
{
	double entered, now;
	struct metrics_scene sc;
	char *t;

	scene_build(&sc);
	ike_sa_remove(ike_engine_sas(sc.e), sc.removed);
	t = expose(sc.m, false);
	ck_assert_double_eq(value(t, "ikemon_peer_info{peer=\"spoke1\",remote=\"127.0.0.2\","
	                             "local=\"127.0.0.1\",auto=\"add\"}"),
	                    1);
	ck_assert_uint_eq(count_named(t, "ikemon_peer_info"), 3);
	ck_assert_double_eq(value(t, "ikemon_peer_up{peer=\"spoke1\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_peer_up{peer=\"spoke2\"}"), 0);
	ck_assert_double_eq(value(t, "ikemon_peer_up{peer=\"idle1\"}"), 0);
	ck_assert_uint_eq(count_named(t, "ikemon_peer_state"), 3 * 9);
	ck_assert_double_eq(value(t, "ikemon_peer_state{peer=\"spoke1\",state=\"QM_IDLE\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_peer_state{peer=\"spoke1\",state=\"NONE\"}"), 0);
	ck_assert_double_eq(value(t, "ikemon_peer_state{peer=\"spoke2\",state=\"MM_KEY_EXCH\"}"),
	                    1);
	ck_assert_double_eq(value(t, "ikemon_peer_state{peer=\"idle1\",state=\"NONE\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_peer_state{peer=\"idle1\",state=\"MM_NO_STATE\"}"), 0);
	entered = value(t, "ikemon_peer_state_entered_timestamp_seconds{peer=\"spoke2\"}");
	now = (double)time(NULL);
	ck_assert(entered > now - 60 && entered < now + 2);
	ck_assert_uint_eq(count_named(t, "ikemon_peer_state_entered_timestamp_seconds"), 2);
	ck_assert_double_eq(value(t, "ikemon_peer_health{peer=\"spoke1\",health=\"up\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_peer_health{peer=\"spoke2\",health=\"negotiating\"}"),
	                    1);
	ck_assert_double_eq(value(t, "ikemon_peer_health{peer=\"idle1\",health=\"idle\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_peer_health{peer=\"idle1\",health=\"up\"}"), 0);
	ck_assert_double_eq(value(t, "ikemon_ipsec_sas{peer=\"spoke1\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_ipsec_sas{peer=\"spoke2\"}"), 0);
	ck_assert_double_eq(value(t, "ikemon_ike_sas{state=\"QM_IDLE\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_ike_sas{state=\"MM_KEY_EXCH\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_ike_sas{state=\"MM_NO_STATE\"}"), 0); /* deleted */
	ck_assert_uint_eq(count_named(t, "ikemon_ike_sas"), 8);
	free(t);
	metrics_scene_free(&sc);
}
END_TEST

START_TEST(test_alarms)
{
	struct metrics_scene sc;
	char *t;

	scene_build(&sc);
	t = expose(sc.m, false);
	ck_assert_double_eq(value(t, "ikemon_peer_stalled{peer=\"spoke2\",state=\"MM_KEY_EXCH\","
	                             "cause=\"key-mismatch\"}"),
	                    1);
	ck_assert_uint_eq(count_named(t, "ikemon_peer_stalled"), 1);
	ck_assert_double_eq(value(t, "ikemon_alarms_active{cause=\"key-mismatch\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_alarms_active{cause=\"peer-silent\"}"), 0);
	ck_assert_uint_eq(count_named(t, "ikemon_alarms_active"), N_CAUSES);
	ck_assert_double_eq(value(t, "ikemon_alarms_raised_total{cause=\"key-mismatch\"}"), 1);
	ck_assert_uint_eq(count_named(t, "ikemon_alarms_raised_total"), N_CAUSES);
	free(t);
	/* cleared by the operator: the stalled series goes, the raise stays counted */
	ck_assert_int_eq(stall_clear(sc.d, "spoke2"), 0);
	t = expose(sc.m, false);
	ck_assert_uint_eq(count_named(t, "ikemon_peer_stalled"), 0);
	ck_assert_double_eq(value(t, "ikemon_alarms_active{cause=\"key-mismatch\"}"), 0);
	ck_assert_double_eq(value(t, "ikemon_alarms_raised_total{cause=\"key-mismatch\"}"), 1);
	free(t);
	metrics_scene_free(&sc);
}
END_TEST

START_TEST(test_negotiations)
{
	struct metrics_scene sc;
	char *t;

	scene_build(&sc);
	ike_sa_remove(ike_engine_sas(sc.e), sc.removed);
	t = expose(sc.m, false);
	ck_assert_double_eq(
	    value(t, "ikemon_ike_negotiations_total{peer=\"spoke1\",result=\"established\"}"), 1);
	ck_assert_double_eq(
	    value(t, "ikemon_ike_negotiations_total{peer=\"spoke1\",result=\"failed\"}"), 0);
	ck_assert_double_eq(
	    value(t, "ikemon_ike_negotiations_total{peer=\"spoke2\",result=\"failed\"}"), 1);
	/* the ghost is no configured peer: counted under peer="" */
	ck_assert_double_eq(value(t, "ikemon_ike_negotiations_total{peer=\"\",result=\"failed\"}"),
	                    1);
	ck_assert_double_eq(
	    value(t,
	          "ikemon_ike_negotiation_failures_total{peer=\"spoke2\",cause=\"key-mismatch\"}"),
	    1);
	ck_assert_double_eq(
	    value(t,
	          "ikemon_ike_negotiation_failures_total{peer=\"\",cause=\"no-proposal-chosen\"}"),
	    1);
	ck_assert_uint_eq(count_named(t, "ikemon_ike_negotiation_failures_total"), 2);
	/* the removed SA's 4 in and 2 out stay counted with the live one's 2 and 2 */
	ck_assert_double_eq(value(t, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}"),
	                    6);
	ck_assert_double_eq(
	    value(t, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"out\"}"), 4);
	ck_assert_double_eq(
	    value(t, "ikemon_ike_message_bytes_total{peer=\"spoke2\",direction=\"in\"}"), 600);
	ck_assert_double_eq(value(t, "ikemon_ike_retransmissions_total{peer=\"spoke1\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_ike_messages_total{peer=\"\",direction=\"in\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_ike_malformed_messages_total{cause=\"short\"}"), 2);
	ck_assert_double_eq(value(t, "ikemon_ike_malformed_messages_total{cause=\"no_config\"}"),
	                    1);
	ck_assert_double_eq(value(t, "ikemon_ike_malformed_messages_total{cause=\"unknown_sa\"}"),
	                    0);
	ck_assert_double_eq(value(t, "ikemon_ike_malformed_messages_total{cause=\"replay\"}"), 3);
	ck_assert_uint_eq(count_named(t, "ikemon_ike_malformed_messages_total"), 9);
	ck_assert_double_eq(value(t, "ikemon_half_open_sas"), 7);
	ck_assert_double_eq(value(t, "ikemon_half_open_dropped_total{reason=\"limit\"}"), 5);
	ck_assert_double_eq(value(t, "ikemon_half_open_dropped_total{reason=\"per_source\"}"), 4);
	ck_assert_double_eq(value(t, "ikemon_half_open_dropped_total{reason=\"timeout\"}"), 2);
	/* the scene's engine has two DH workers and has given them nothing */
	ck_assert_double_eq(value(t, "ikemon_dh_workers"), 2);
	ck_assert_double_eq(value(t, "ikemon_dh_queue_depth"), 0);
	ck_assert_double_eq(value(t, "ikemon_dh_jobs_total{result=\"done\"}"), 0);
	ck_assert_double_eq(value(t, "ikemon_dh_jobs_total{result=\"stale\"}"), 0);
	ck_assert_double_eq(value(t, "ikemon_dh_jobs_total{result=\"refused\"}"), 0);
	ck_assert_uint_eq(count_named(t, "ikemon_dh_jobs_total"), 3);
	ck_assert_double_eq(
	    value(t, "ikemon_notifications_total{type=\"ikemonPeerStalled\",outcome=\"sent\"}"), 1);
	free(t);
	metrics_scene_free(&sc);
}
END_TEST

START_TEST(test_histogram)
{
	struct metrics_scene sc;
	static struct sample all[MAX_SAMPL];
	double prev = 0;
	size_t n, buckets = 0;
	char *t;

	scene_build(&sc);
	t = expose(sc.m, false);
	n = samples(t, all, MAX_SAMPL);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].name, "ikemon_ike_handshake_duration_seconds_bucket") != 0)
			continue;
		ck_assert(all[i].value >= prev);
		prev = all[i].value;
		buckets++;
	}
	ck_assert_uint_eq(buckets, METRICS_HIST_BUCKETS + 1);
	ck_assert_double_eq(value(t, "ikemon_ike_handshake_duration_seconds_bucket{le=\"+Inf\"}"),
	                    1);
	ck_assert_double_eq(value(t, "ikemon_ike_handshake_duration_seconds_bucket{le=\"30\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_ike_handshake_duration_seconds_count"), 1);
	ck_assert(value(t, "ikemon_ike_handshake_duration_seconds_sum") < 30);
	free(t);
	metrics_scene_free(&sc);
}
END_TEST

/*
 * Every counter sample of the first exposition is in the second, not smaller (but an
 * SA's own series, which go with the SA).
 */
static void assert_not_decreasing(const char *before, const char *after)
{
	static struct sample a[MAX_SAMPL], b[MAX_SAMPL];
	size_t na = samples(before, a, MAX_SAMPL), nb = samples(after, b, MAX_SAMPL), j;

	for (size_t i = 0; i < na; i++) {
		if (!ends_with(a[i].name, "_total") && !ends_with(a[i].name, "_bucket") &&
		    !ends_with(a[i].name, "_count"))
			continue;
		if (strncmp(a[i].name, "ikemon_ike_sa_", strlen("ikemon_ike_sa_")) == 0)
			continue;
		for (j = 0; j < nb && strcmp(a[i].series, b[j].series) != 0; j++)
			;
		ck_assert_msg(j < nb, "%s disappeared", a[i].series);
		ck_assert_msg(b[j].value >= a[i].value, "%s went down", a[i].series);
	}
}

START_TEST(test_removal_keeps_counters)
{
	struct metrics_scene sc;
	char *before, *after;

	scene_build(&sc);
	before = expose(sc.m, false);
	ike_sa_remove(ike_engine_sas(sc.e), sc.removed);
	after = expose(sc.m, false);
	assert_not_decreasing(before, after);
	ck_assert_double_eq(
	    value(before, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}"), 6);
	ck_assert_double_eq(
	    value(after, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}"), 6);
	free(before);
	/* and a live SA's traffic counts at once */
	sc.retry->ctr.msgs_in += 5;
	before = after;
	after = expose(sc.m, false);
	assert_not_decreasing(before, after);
	ck_assert_double_eq(
	    value(after, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}"), 11);
	free(before);
	free(after);
	metrics_scene_free(&sc);
}
END_TEST

/* A peer that leaves the configuration takes its series; its SAs count under "". */
START_TEST(test_reconfigure)
{
	struct ike_peer_cfg peers[2];
	struct metrics_scene sc;
	double v;
	char *t;

	scene_build(&sc);
	ck_assert_int_eq(metrics_scene_peer(&peers[0], "spoke1", "127.0.0.2"), 0);
	peers[0].has_children = true;
	ck_assert_int_eq(metrics_scene_peer(&peers[1], "new1", "127.0.0.5"), 0);
	ck_assert_int_eq(ike_engine_set_peers(sc.e, peers, 2), 0);
	t = expose(sc.m, false);
	ck_assert_uint_eq(count_named(t, "ikemon_peer_up"), 2);
	ck_assert_double_eq(value(t, "ikemon_peer_up{peer=\"new1\"}"), 0);
	ck_assert(!find(t, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}", &v));
	ck_assert(!find(t, "ikemon_ike_messages_total{peer=\"idle1\",direction=\"in\"}", &v));
	ck_assert_double_eq(value(t, "ikemon_ike_messages_total{peer=\"new1\",direction=\"in\"}"),
	                    0);
	/* ghost 1 + spoke2's deleted 4 and 2, still in the table */
	ck_assert_double_eq(value(t, "ikemon_ike_messages_total{peer=\"\",direction=\"in\"}"), 7);
	ck_assert_double_eq(value(t, "ikemon_ike_sas{state=\"MM_KEY_EXCH\"}"), 0);
	free(t);
	metrics_scene_free(&sc);
}
END_TEST

START_TEST(test_per_sa)
{
	struct metrics_scene sc;
	char *t;

	scene_build(&sc);
	t = expose(sc.m, false);
	ck_assert_uint_eq(count_named(t, "ikemon_ike_sa_state"), 0);
	ck_assert_ptr_null(strstr(t, "ikemon_ike_sa_messages_total"));
	free(t);
	metrics_set_per_sa(sc.m, true);
	t = expose(sc.m, false);
	ck_assert_double_eq(
	    value(t, "ikemon_ike_sa_state{conn_id=\"1001\",peer=\"spoke1\",state=\"QM_IDLE\"}"), 1);
	ck_assert_double_eq(
	    value(t, "ikemon_ike_sa_state{conn_id=\"1003\",peer=\"spoke2\",state=\"MM_KEY_EXCH\"}"),
	    1);
	ck_assert_uint_eq(count_named(t, "ikemon_ike_sa_state"), 2); /* deleted ones left out */
	ck_assert_double_eq(value(t,
	                          "ikemon_ike_sa_messages_total{conn_id=\"1003\",peer=\"spoke2\","
	                          "direction=\"in\"}"),
	                    2);
	free(t);
	metrics_scene_free(&sc);
}
END_TEST

START_TEST(test_reload_and_build)
{
	struct metrics_scene sc;
	char *t;

	scene_build(&sc);
	metrics_set_reload(sc.m, true, 1234567);
	metrics_set_reload(sc.m, false, 2345678);
	t = expose(sc.m, false);
	ck_assert_double_eq(value(t, "ikemon_config_last_reload_successful"), 0);
	ck_assert_double_eq(value(t, "ikemon_config_last_reload_success_timestamp_seconds"),
	                    1234567);
	ck_assert_uint_eq(count_named(t, "ikemon_build_info"), 1);
	ck_assert_ptr_nonnull(strstr(t, "ikemon_build_info{version=\""));
	ck_assert(value(t, "ikemon_scrape_duration_seconds") >= 0);
	free(t);
	metrics_set_reload(sc.m, true, 3456789);
	t = expose(sc.m, false);
	ck_assert_double_eq(value(t, "ikemon_config_last_reload_successful"), 1);
	ck_assert_double_eq(value(t, "ikemon_config_last_reload_success_timestamp_seconds"),
	                    3456789);
	free(t);
	metrics_scene_free(&sc);
}
END_TEST

START_TEST(test_escaping_and_limits)
{
	char type[METRICS_NOTIFY_STR_MAX + 2], name[16];
	struct metrics_scene sc;
	char *t;

	scene_build(&sc);
	ck_assert_int_eq(metrics_count_notification(sc.m, "a\"b\\c\nd", "sent"), 0);
	ck_assert_int_eq(metrics_count_notification(sc.m, "a\"b\\c\nd", "sent"), 0);
	t = expose(sc.m, false);
	ck_assert_double_eq(
	    value(t, "ikemon_notifications_total{type=\"a\\\"b\\\\c\\nd\",outcome=\"sent\"}"), 2);
	free(t);
	memset(type, 'x', sizeof(type) - 1);
	type[sizeof(type) - 1] = '\0';
	ck_assert_int_eq(metrics_count_notification(sc.m, type, "sent"), -1);
	for (int i = 2; i < METRICS_NOTIFY_KINDS; i++) {
		snprintf(name, sizeof(name), "kind%d", i);
		ck_assert_int_eq(metrics_count_notification(sc.m, name, "sent"), 0);
	}
	ck_assert_int_eq(metrics_count_notification(sc.m, "one-too-many", "sent"), -1);
	metrics_scene_free(&sc);
}
END_TEST

START_TEST(test_without_stall)
{
	struct metrics_scene sc;
	struct metrics *m;
	char *t;

	scene_build(&sc);
	m = metrics_new(sc.e, NULL);
	ck_assert_ptr_nonnull(m);
	t = expose(m, true);
	ck_assert_uint_eq(count_named(t, "ikemon_peer_health"), 0);
	ck_assert_uint_eq(count_named(t, "ikemon_peer_stalled"), 0);
	ck_assert_double_eq(value(t, "ikemon_alarms_active{cause=\"key-mismatch\"}"), 0);
	free(t);
	metrics_scene_free(&sc);
	metrics_free(m);
}
END_TEST

/* ---------------------------------------------------------------- structure */

/* Text 0.0.4: each family once, HELP then TYPE, then only its samples. */
static void check_text(const char *text)
{
	char line[MAX_LINE], help[MAX_NAME] = "", cur[MAX_NAME] = "", type[16] = "";
	char seen[64][MAX_NAME];
	size_t n_seen = 0;
	struct sample s;

	while (next_line(&text, line)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s", help), 1);
			ck_assert_msg(strlen(line) > 8 + strlen(help), "empty HELP: %s", line);
			ck_assert_msg(strpbrk(line, "\\\"") == NULL, "HELP to escape: %s", line);
			for (size_t i = 0; i < n_seen; i++)
				ck_assert_str_ne(seen[i], help);
			ck_assert_uint_lt(n_seen, 64);
			snprintf(seen[n_seen++], MAX_NAME, "%s", help);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s %15s", cur, type), 2);
			ck_assert_str_eq(cur, help); /* HELP right before */
			continue;
		}
		ck_assert_msg(line[0] != '#', "unexpected line in text format: %s", line);
		parse_sample(line, &s);
		if (strcmp(type, "histogram") == 0)
			ck_assert(strncmp(s.name, cur, strlen(cur)) == 0);
		else
			ck_assert_str_eq(s.name, cur);
		ck_assert(!ends_with(s.name, "_total") || strcmp(type, "counter") == 0);
	}
}

/* OpenMetrics: TYPE [UNIT] HELP, samples named as their type wants, "# EOF" last. */
static bool om_name_ok(const char *family, const char *type, const char *name)
{
	const char *suffix = name + strlen(family);

	if (strncmp(name, family, strlen(family)) != 0)
		return false;
	if (strcmp(type, "counter") == 0)
		return strcmp(suffix, "_total") == 0;
	if (strcmp(type, "info") == 0)
		return strcmp(suffix, "_info") == 0;
	if (strcmp(type, "histogram") == 0)
		return strcmp(suffix, "_bucket") == 0 || strcmp(suffix, "_sum") == 0 ||
		       strcmp(suffix, "_count") == 0;
	return *suffix == '\0'; /* gauge, stateset */
}

static void check_om_sample(const char *line, const char *cur, const char *type)
{
	char label[MAX_NAME + 8];
	struct sample s;

	parse_sample(line, &s);
	ck_assert_msg(om_name_ok(cur, type, s.name), "%s in %s family %s", s.name, type, cur);
	ck_assert_msg(!ends_with(s.name, "_total") || strcmp(type, "counter") == 0, "%s", line);
	if (strcmp(type, "stateset") != 0)
		return;
	snprintf(label, sizeof(label), ",%s=\"", cur);
	ck_assert_msg(strstr(s.series, label) != NULL, "state set label missing: %s", line);
}

static void check_om(const char *text)
{
	char line[MAX_LINE], cur[MAX_NAME] = "", type[16] = "", name[MAX_NAME], unit[32];
	size_t len = strlen(text);
	bool help = false, want_unit = false;

	ck_assert(ends_with(text, "\n# EOF\n"));
	ck_assert_ptr_eq(strstr(text, "# EOF"), text + len - 6);
	while (next_line(&text, line) && strcmp(line, "# EOF") != 0) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s %15s", cur, type), 2);
			ck_assert(!ends_with(cur, "_total") && !ends_with(cur, "_info"));
			/* families in seconds or bytes say so */
			want_unit = ends_with(cur, "_seconds") || ends_with(cur, "_bytes");
			help = false;
		} else if (strncmp(line, "# UNIT ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s %31s", name, unit), 2);
			ck_assert_str_eq(name, cur);
			ck_assert(!help); /* TYPE, UNIT, HELP */
			ck_assert(strlen(cur) > strlen(unit) &&
			          cur[strlen(cur) - strlen(unit) - 1] == '_' &&
			          ends_with(cur, unit));
			want_unit = false;
		} else if (strncmp(line, "# HELP ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s", name), 1);
			ck_assert_str_eq(name, cur);
			ck_assert_msg(!want_unit, "no UNIT for %s", cur);
			help = true;
		} else {
			ck_assert_msg(help, "sample before HELP: %s", line);
			check_om_sample(line, cur, type);
		}
	}
}

START_TEST(test_formats)
{
	struct metrics_scene sc;
	char *t;

	scene_build(&sc);
	metrics_set_per_sa(sc.m, true);
	t = expose(sc.m, false);
	check_text(t);
	ck_assert_ptr_null(strstr(t, "# EOF"));
	ck_assert_ptr_null(strstr(t, METRICS_SCENE_PSK));
	free(t);

	t = expose(sc.m, true);
	check_om(t);
	ck_assert_ptr_null(strstr(t, METRICS_SCENE_PSK));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE ikemon_alarms_raised counter\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE ikemon_build info\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE ikemon_peer info\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE ikemon_peer_state stateset\n"));
	ck_assert_ptr_nonnull(strstr(t, "# UNIT ikemon_ike_handshake_duration_seconds seconds\n"));
	ck_assert_ptr_nonnull(strstr(t, "# UNIT ikemon_ike_message_bytes bytes\n"));
	ck_assert_double_eq(
	    value(t, "ikemon_peer_state{peer=\"spoke1\",ikemon_peer_state=\"QM_IDLE\"}"), 1);
	ck_assert_double_eq(
	    value(t, "ikemon_peer_health{peer=\"spoke2\",ikemon_peer_health=\"negotiating\"}"), 1);
	ck_assert_double_eq(value(t, "ikemon_ike_handshake_duration_seconds_bucket{le=\"1.0\"}"),
	                    1);
	ck_assert(value(t, "ikemon_ike_handshake_duration_seconds_bucket{le=\"0.005\"}") <= 1);
	ck_assert(value(t, "ikemon_ike_handshake_duration_seconds_bucket{le=\"30.0\"}") == 1);
	free(t);
	metrics_scene_free(&sc);
}
END_TEST

/* Whether a line belongs to a family whose value moves with the clock between scrapes. */
static bool timed_line(const char *line)
{
	static const char *const timed[] = {"ikemon_peer_state_entered_timestamp_seconds{",
	                                    "ikemon_scrape_duration_seconds "};

	for (size_t i = 0; i < sizeof(timed) / sizeof(timed[0]); i++)
		if (strncmp(line, timed[i], strlen(timed[i])) == 0)
			return true;
	return false;
}

/* a and b line by line, the clock-bound samples left out. */
static void assert_same_but_timed(const char *a, const char *b)
{
	char la[MAX_LINE], lb[MAX_LINE];
	bool more_a, more_b;
	size_t n = 0;

	for (;;) {
		while ((more_a = next_line(&a, la)) && timed_line(la))
			;
		while ((more_b = next_line(&b, lb)) && timed_line(lb))
			;
		ck_assert_int_eq(more_a, more_b);
		if (!more_a)
			break;
		ck_assert_str_eq(la, lb);
		n++;
	}
	ck_assert_uint_gt(n, 100);
}

/*
 * A scrape in slices: each slice whole lines, about the size asked (one row more at
 * most); together the same text as a write in one go; and the state of the moment the
 * scrape began, whatever the engine does while the slices are written.
 */
START_TEST(test_stream)
{
	struct metrics_stream *st;
	struct ike_sa_table *t;
	struct strbuf body, slice;
	struct metrics_scene sc;
	size_t slices = 0;
	char *whole;
	int r;

	for (int om = 0; om < 2; om++) {
		scene_build(&sc);
		metrics_set_per_sa(sc.m, true);
		whole = expose(sc.m, om);
		st = metrics_stream_new(sc.m, om);
		ck_assert_ptr_nonnull(st);
		/* the engine moves on: a new SA, traffic, a removal, a peer gone */
		t = ike_engine_sas(sc.e);
		ck_assert_ptr_nonnull(fx_new_sa(t, "spoke1", "127.0.0.2", IKE_ROLE_INITIATOR));
		sc.retry->ctr.msgs_in += 100;
		ike_sa_remove(t, sc.removed);
		ck_assert_int_eq(ike_engine_set_peers(sc.e, NULL, 0), 0);
		strbuf_init(&body);
		strbuf_init(&slice);
		do {
			slice.len = 0;
			r = metrics_stream_next(st, &slice, 300);
			ck_assert_int_ge(r, 0);
			if (slice.len == 0) { /* the last may find nothing left to write */
				ck_assert_int_eq(r, 0);
				break;
			}
			ck_assert_int_eq(slice.s[slice.len - 1], '\n');
			ck_assert_uint_lt(slice.len, 300 + MAX_LINE * 9); /* a state set's row */
			strbuf_append(&body, slice.s, slice.len);
			slices++;
		} while (r == 1);
		metrics_stream_free(st);
		ck_assert_uint_gt(slices, 20);
		assert_same_but_timed(whole, body.s);
		strbuf_free(&body);
		strbuf_free(&slice);
		free(whole);
		metrics_scene_free(&sc);
	}
}
END_TEST

/* The lines of text that begin with prefix. */
static size_t count_prefixed(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		n += strncmp(p, prefix, len) == 0;
	return n;
}

/* A stream drained to its end: the body. */
static char *drain(struct metrics_stream *st, size_t *empty)
{
	struct strbuf body;
	int r;

	strbuf_init(&body);
	*empty = 0;
	do {
		size_t was = body.len;

		r = metrics_stream_next(st, &body, 300);
		ck_assert_int_ge(r, 0);
		*empty += r == 1 && body.len == was;
	} while (r == 1);
	metrics_stream_free(st);
	ck_assert_ptr_nonnull(body.s);
	return body.s;
}

/*
 * The walk of the SA table in slices (one SA a slice here): SAs removed before and
 * after the walk passes them, traffic meanwhile and a new SA; each SA shows at most
 * once, and no counter is below the scrape before it or above the one after.  A reload
 * during the walk starts the snapshot over: the body is then the state after it.
 */
START_TEST(test_stream_walk)
{
	struct metrics_stream *st;
	struct metrics_scene sc;
	struct ike_sa_table *t;
	struct ike_sa *first;
	char *before, *body, *after;
	size_t empty;

	scene_build(&sc);
	metrics_set_per_sa(sc.m, true);
	metrics_set_walk_slice(sc.m, 1);
	t = ike_engine_sas(sc.e);
	before = expose(sc.m, false);
	st = metrics_stream_new(sc.m, false); /* walks 1001 */
	ck_assert_ptr_nonnull(st);
	first = ike_sa_find_mut(t, 1001);
	ck_assert_ptr_nonnull(first);
	first->ctr.msgs_in += 3; /* after the walk passed it, then removed */
	ike_sa_remove(t, first);
	ike_sa_remove(t, sc.removed); /* 1002: the next the walk was to visit */
	sc.retry->ctr.msgs_in += 5;   /* 1003: not walked yet */
	ck_assert_ptr_nonnull(fx_new_sa(t, "spoke1", "127.0.0.2", IKE_ROLE_INITIATOR));
	body = drain(st, &empty);
	after = expose(sc.m, false);
	ck_assert_uint_eq(empty, 2); /* 1003 and 1004 in turns of their own; 1005 with the text */
	ck_assert_uint_eq(count_prefixed(body, "ikemon_ike_sa_state{conn_id=\"1001\""), 1);
	ck_assert_uint_eq(count_prefixed(body, "ikemon_ike_sa_state{conn_id=\"1002\""), 0);
	ck_assert_uint_eq(count_prefixed(body, "ikemon_ike_sa_state{conn_id=\"1003\""), 1);
	ck_assert_uint_eq(count_prefixed(body, "ikemon_ike_sa_state{conn_id=\"1005\""), 1);
	ck_assert_uint_eq(count_prefixed(body, "ikemon_ike_sa_messages_total{conn_id=\"1003\""), 2);
	assert_not_decreasing(before, body);
	assert_not_decreasing(body, after);
	/* spoke1: 1001's traffic as the walk saw it (the 3 later come with the next scrape) */
	ck_assert_double_eq(
	    value(body, "ikemon_ike_messages_total{peer=\"spoke1\",direction=\"in\"}"),
	    value(before, "ikemon_ike_messages_total{peer=\"spoke1\",direction=\"in\"}"));
	ck_assert_double_eq(
	    value(after, "ikemon_ike_messages_total{peer=\"spoke1\",direction=\"in\"}"),
	    value(before, "ikemon_ike_messages_total{peer=\"spoke1\",direction=\"in\"}") + 3);
	/* spoke2: 1002's traffic through the retired counters, 1003's 5 more as walked */
	ck_assert_double_eq(
	    value(body, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}"),
	    value(before, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}") + 5);
	ck_assert_double_eq(
	    value(after, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}"),
	    value(body, "ikemon_ike_messages_total{peer=\"spoke2\",direction=\"in\"}"));
	free(before);
	free(body);
	/* a scrape given up during the walk (the client went): the walks left go on */
	st = metrics_stream_new(sc.m, false);
	ck_assert_ptr_nonnull(st);
	metrics_stream_free(st);
	st = metrics_stream_new(sc.m, false); /* walks 1003 */
	ck_assert_ptr_nonnull(st);
	first = ike_sa_find_mut(t, 1005);
	ck_assert_ptr_nonnull(first);
	ike_sa_remove(t, first);
	body = drain(st, &empty);
	ck_assert_uint_eq(count_prefixed(body, "ikemon_ike_sa_state{conn_id=\"1003\""), 1);
	ck_assert_uint_eq(count_prefixed(body, "ikemon_ike_sa_state{conn_id=\"1005\""), 0);
	free(body);
	/* a reload during the walk */
	st = metrics_stream_new(sc.m, true);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ike_engine_set_peers(sc.e, NULL, 0), 0);
	body = drain(st, &empty);
	free(after);
	after = expose(sc.m, true);
	assert_same_but_timed(after, body);
	free(body);
	free(after);
	metrics_scene_free(&sc);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *values = tcase_create("values");
	TCase *structure = tcase_create("structure");

	tcase_add_test(values, test_peers);
	tcase_add_test(values, test_alarms);
	tcase_add_test(values, test_negotiations);
	tcase_add_test(values, test_histogram);
	tcase_add_test(values, test_removal_keeps_counters);
	tcase_add_test(values, test_reconfigure);
	tcase_add_test(values, test_per_sa);
	tcase_add_test(values, test_reload_and_build);
	tcase_add_test(values, test_escaping_and_limits);
	tcase_add_test(values, test_without_stall);
	tcase_add_test(structure, test_formats);
	tcase_add_test(structure, test_stream);
	tcase_add_test(structure, test_stream_walk);
	suite_add_tcase(s, values);
	suite_add_tcase(s, structure);
	return s;
}

int main(void)
{
	return tl_run(metrics_suite());
}
