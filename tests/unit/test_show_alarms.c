/*
 * test_show_alarms.c - golden tests of `show alarms [history]` (agent/show_alarms.c) and
 * checks of its JSON.
 *
 * Alarms are built by hand (no detector) against a fixed clock: NOW_MONO for durations,
 * NOW_WALL (2026-11-27T12:00:00Z) for the wall-clock times, each alarm placed by how many
 * seconds before now its state began, it was raised and it was cleared.  The text is
 * compared byte for byte with tests/golden/alarms_*.txt, typed from the layout documented
 * in agent/show.h, not produced by this code.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/show.h"
#include "tests/unit/testlib.h"

#define NOW_MONO_S 100000
#define NOW_WALL   ((time_t)1795780800) /* 2026-11-27T12:00:00Z */
#define MAX_ALARMS 8

static const struct timespec now_mono = {NOW_MONO_S, 0};

/* ---------------------------------------------------------------- builders */

struct alarms {
	struct stall_alarm a[MAX_ALARMS];
	size_t n;
};

/* What a test says of an alarm; times are seconds before now. */
struct spec {
	uint64_t seq;
	const char *peer, *local, *remote;
	uint16_t port;
	enum cisco_state state;
	uint32_t child; /* phase 2 when not 0 */
	uint32_t conn_id;
	enum ike_cause cause;
	const char *detail;
	long since_ago, raised_ago;
	uint32_t threshold_ms;
};

/* And of its clear. */
struct clear_spec {
	uint64_t seq;
	long ago;
	enum alarm_clear_reason reason;
};

static struct timespec mono_ago(long s)
{
	struct timespec t = {NOW_MONO_S - s, 0};

	return t;
}

/* Append an active alarm, chained after the previous one. */
static struct stall_alarm *add_alarm(struct alarms *l, const struct spec *s)
{
	struct stall_alarm *a;

	ck_assert_uint_lt(l->n, MAX_ALARMS);
	a = &l->a[l->n];
	memset(a, 0, sizeof(*a));
	if (l->n > 0)
		l->a[l->n - 1].next = a;
	l->n++;
	a->raise_seq = s->seq;
	snprintf(a->peer, sizeof(a->peer), "%s", s->peer);
	tl_set_addr(&a->local, s->local, s->port);
	tl_set_addr(&a->remote, s->remote, s->port);
	a->state = s->state;
	a->phase2 = s->child != 0;
	a->child_index = s->child;
	a->state_since = mono_ago(s->since_ago);
	a->state_since_wall = NOW_WALL - s->since_ago;
	a->conn_id = s->conn_id;
	a->cause = s->cause;
	snprintf(a->cause_detail, sizeof(a->cause_detail), "%s", s->detail);
	a->threshold_ms = s->threshold_ms;
	a->raised_wall = NOW_WALL - s->raised_ago;
	a->raised_mono = mono_ago(s->raised_ago);
	return a;
}

static void clear(struct stall_alarm *a, const struct clear_spec *c)
{
	a->clear_seq = c->seq;
	a->cleared_wall = NOW_WALL - c->ago;
	a->cleared_mono = mono_ago(c->ago);
	a->clear_reason = c->reason;
}

/* Two active alarms: a phase-1 stall with a detail, a phase-2 stall without. */
static void build_active(struct alarms *l)
{
	static const struct spec spoke2 = {3,
	                                   "spoke2",
	                                   "127.0.0.1",
	                                   "127.0.0.3",
	                                   500,
	                                   CISCO_MM_KEY_EXCH,
	                                   0,
	                                   1002,
	                                   IKE_CAUSE_KEY_MISMATCH,
	                                   "MM5 from the peer does not decrypt",
	                                   3725,
	                                   3695,
	                                   30000};
	static const struct spec branch1 = {7,          "branch1", "192.0.2.1",
	                                    "15.0.0.1", 4500,      CISCO_QM_IDLE,
	                                    2,          1001,      IKE_CAUSE_PROXY_ID_MISMATCH,
	                                    "",         45,        15,
	                                    30000};

	add_alarm(l, &spoke2);
	add_alarm(l, &branch1);
}

/* The history, newest first: one clear of each reason; IPv6; a detail with a BEL. */
static void build_history(struct alarms *l)
{
	static const struct spec v6gw = {
	    9,    "v6-gw", "2001:db8::2",         "2001:db8::1",     500,  CISCO_MM_NO_STATE,
	    0,    1011,    IKE_CAUSE_PEER_SILENT, "no reply to MM1", 1054, 994,
	    60000};
	static const struct spec old = {8,
	                                "old-branch",
	                                "192.0.2.1",
	                                "198.51.100.7",
	                                500,
	                                CISCO_MM_KEY_AUTH,
	                                0,
	                                1005,
	                                IKE_CAUSE_ID_MISMATCH,
	                                "identity fqdn:gw\a.example",
	                                187440,
	                                187410,
	                                30000};
	static const struct spec spoke1 = {
	    1,   "spoke1", "127.0.0.1",         "127.0.0.2",       500,  CISCO_QM_IDLE,
	    1,   1001,     IKE_CAUSE_QM_SILENT, "no reply to QM1", 7259, 7257,
	    1500};
	static const struct clear_spec by_operator = {12, 300, ALARM_CLEAR_OPERATOR};
	static const struct clear_spec removed = {10, 3600, ALARM_CLEAR_REMOVED};
	static const struct clear_spec up = {4, 7200, ALARM_CLEAR_ESTABLISHED};

	clear(add_alarm(l, &v6gw), &by_operator);
	clear(add_alarm(l, &old), &removed);
	clear(add_alarm(l, &spoke1), &up);
}

static const struct stall_alarm *first_of(const struct alarms *l)
{
	return l->n > 0 ? &l->a[0] : NULL;
}

/* ---------------------------------------------------------------- text */

START_TEST(test_alarms_empty)
{
	struct strbuf out;

	strbuf_init(&out);
	show_alarms(&out, NULL, 0, &now_mono, false);
	tl_assert_golden(&out, "alarms_empty.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_alarms_active)
{
	struct alarms l = {0};
	struct strbuf out;

	build_active(&l);
	strbuf_init(&out);
	show_alarms(&out, first_of(&l), 8, &now_mono, false);
	tl_assert_golden(&out, "alarms_active.txt");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_alarms_history)
{
	struct alarms l = {0};
	struct strbuf out;

	build_history(&l);
	strbuf_init(&out);
	show_alarms(&out, first_of(&l), 12, &now_mono, true);
	tl_assert_golden(&out, "alarms_history.txt");
	strbuf_free(&out);
}
END_TEST

/* "For" in its four shapes, at the unit boundaries. */
START_TEST(test_alarms_durations)
{
	static const struct {
		long secs;
		const char *text;
	} cases[] = {{0, " 0s "},        {59, " 59s "},       {60, " 1m00s "},
	             {3599, " 59m59s "}, {3600, " 1h00m "},   {86399, " 23h59m "},
	             {86400, " 1d00h "}, {999999, " 11d13h "}};
	static const struct spec base = {
	    1,    "p",  "192.0.2.1",           "192.0.2.2", 500, CISCO_MM_SA_SETUP,
	    0,    1001, IKE_CAUSE_PEER_SILENT, "",          0,   0,
	    30000};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alarms l = {0};
		struct spec s = base;
		struct strbuf out;

		s.since_ago = cases[i].secs;
		add_alarm(&l, &s);
		strbuf_init(&out);
		show_alarms(&out, first_of(&l), 1, &now_mono, false);
		TL_ASSERT_HAS(out, cases[i].text);
		strbuf_free(&out);
	}
}
END_TEST

/* ---------------------------------------------------------------- JSON */

START_TEST(test_alarms_json_active)
{
	static const char spoke2[] =
	    "{\"last_seq\":8,\"alarms\":[{\"raise_seq\":3,\"peer\":\"spoke2\","
	    "\"local\":{\"address\":\"127.0.0.1\",\"port\":500},"
	    "\"remote\":{\"address\":\"127.0.0.3\",\"port\":500},"
	    "\"state\":\"MM_KEY_EXCH\",\"state_number\":3,\"phase2\":false,"
	    "\"seconds_in_state\":3725.000,\"since\":\"2026-11-27T10:57:55Z\","
	    "\"conn_id\":1002,\"child_index\":0,\"cause\":\"key-mismatch\",\"cause_number\":3,"
	    "\"cause_text\":\"pre-shared key mismatch\","
	    "\"hint\":\"the pre-shared keys differ; check both ends\","
	    "\"cause_detail\":\"MM5 from the peer does not decrypt\",\"threshold_s\":30,"
	    "\"raised\":\"2026-11-27T10:58:25Z\",\"clear_seq\":null,\"cleared\":null,"
	    "\"clear_reason\":\"active\"},";
	struct alarms l = {0};
	struct strbuf out;

	build_active(&l);
	strbuf_init(&out);
	show_alarms_json(&out, first_of(&l), 8, &now_mono);
	ck_assert_msg(tl_json_valid(out.s, out.len), "invalid JSON: %s", out.s);
	ck_assert_int_eq(strncmp(out.s, spoke2, strlen(spoke2)), 0);
	TL_ASSERT_HAS(out, "{\"raise_seq\":7,\"peer\":\"branch1\",\"local\":{\"address\":"
	                   "\"192.0.2.1\",\"port\":4500},\"remote\":{\"address\":\"15.0.0.1\","
	                   "\"port\":4500},\"state\":\"QM_IDLE\",\"state_number\":8,"
	                   "\"phase2\":true,\"seconds_in_state\":45.000,");
	TL_ASSERT_HAS(out, "\"conn_id\":1001,\"child_index\":2,\"cause\":\"proxy-id-mismatch\","
	                   "\"cause_number\":20,");
	TL_ASSERT_HAS(out, "\"cause_detail\":\"\",\"threshold_s\":30,");
	ck_assert_int_eq(out.s[out.len - 1], '\n');
	ck_assert_int_eq(out.s[out.len - 2], '}');
	strbuf_free(&out);
}
END_TEST

START_TEST(test_alarms_json_history)
{
	struct alarms l = {0};
	struct strbuf out;

	build_history(&l);
	strbuf_init(&out);
	show_alarms_json(&out, first_of(&l), 12, &now_mono);
	ck_assert_msg(tl_json_valid(out.s, out.len), "invalid JSON: %s", out.s);
	ck_assert_int_eq(strncmp(out.s, "{\"last_seq\":12,\"alarms\":[{\"raise_seq\":9,", 40), 0);
	TL_ASSERT_HAS(out, "\"remote\":{\"address\":\"2001:db8::1\",\"port\":500}");
	/* a cleared alarm's time in state stops at the clear */
	TL_ASSERT_HAS(out, "\"seconds_in_state\":754.000,");
	TL_ASSERT_HAS(out, "\"raised\":\"2026-11-27T11:43:26Z\",\"clear_seq\":12,"
	                   "\"cleared\":\"2026-11-27T11:55:00Z\",\"clear_reason\":\"operator\"}");
	TL_ASSERT_HAS(out, "\"cause_detail\":\"identity fqdn:gw\\u0007.example\"");
	TL_ASSERT_HAS(out, "\"since\":\"2026-11-25T07:56:00Z\"");
	TL_ASSERT_HAS(out, "\"clear_seq\":10,\"cleared\":\"2026-11-27T11:00:00Z\","
	                   "\"clear_reason\":\"peer-removed\"}");
	TL_ASSERT_HAS(out, "\"threshold_s\":1.500,\"raised\":\"2026-11-27T09:59:03Z\","
	                   "\"clear_seq\":4,\"cleared\":\"2026-11-27T10:00:00Z\","
	                   "\"clear_reason\":\"established\"}]}\n");
	TL_ASSERT_HAS(out, "\"seconds_in_state\":59.000,");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_alarms_json_empty)
{
	struct strbuf out;

	strbuf_init(&out);
	show_alarms_json(&out, NULL, 0, &now_mono);
	ck_assert_str_eq(out.s, "{\"last_seq\":0,\"alarms\":[]}\n");
	strbuf_free(&out);
}
END_TEST

static Suite *show_alarms_suite(void)
{
	Suite *s = suite_create("show_alarms");
	TCase *text = tcase_create("text");
	TCase *json = tcase_create("json");

	tcase_add_test(text, test_alarms_empty);
	tcase_add_test(text, test_alarms_active);
	tcase_add_test(text, test_alarms_history);
	tcase_add_test(text, test_alarms_durations);
	tcase_add_test(json, test_alarms_json_active);
	tcase_add_test(json, test_alarms_json_history);
	tcase_add_test(json, test_alarms_json_empty);
	suite_add_tcase(s, text);
	suite_add_tcase(s, json);
	return s;
}

int main(void)
{
	return tl_run(show_alarms_suite());
}
