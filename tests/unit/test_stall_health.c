/*
 * test_stall_health.c - the stall detector's STALL_HEALTH events: a peer's health is
 * told to the subscribers when it changes, also by the clock alone (an auto=start peer
 * not up turns down after peer_down_after), through a deadline the loop's poll timeout
 * sees, so that no view has to poll the peers.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "agent/log.h"
#include "agent/stall.h"
#include "tests/unit/ike_fixture.h"
#include "tests/unit/testlib.h"

#define DOWN_AFTER_MS 200

struct seen {
	size_t n;
	char peer[8][IKE_PEER_NAME_MAX + 1];
	enum peer_health health[8];
};

static void on_event(void *ctx, const struct stall_event *ev)
{
	struct seen *s = ctx;

	if (ev->type != STALL_HEALTH || s->n >= 8)
		return;
	ck_assert_ptr_null(ev->alarm);
	snprintf(s->peer[s->n], sizeof(s->peer[s->n]), "%s", ev->peer);
	s->health[s->n++] = ev->health;
}

static struct ike_engine *engine_with(struct ike_peer_cfg *peers, size_t n)
{
	static const struct ike_engine_ops ops = {.send = fx_discard_send};
	struct ike_settings set;
	struct ike_engine *e;

	ike_settings_default(&set);
	e = ike_engine_new(&ops, NULL, &set);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ike_engine_set_peers(e, peers, n), 0);
	return e;
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

START_TEST(test_down_by_the_clock)
{
	struct ike_peer_cfg peers[2];
	struct stall_settings ss;
	struct stall_detector *d;
	struct ike_engine *e;
	struct seen seen = {0};
	enum ike_cause cause;
	int64_t ms;

	log_set_level(LOG_ERR);
	ck_assert_int_eq(fx_peer_cfg(&peers[0], "starter", "127.0.0.2", "k"), 0);
	ck_assert_int_eq(fx_peer_cfg(&peers[1], "adder", "127.0.0.3", "k"), 0);
	peers[0].autostart = IKE_AUTO_START;
	e = engine_with(peers, 2);
	stall_settings_default(&ss);
	ss.peer_down_after_ms = DOWN_AFTER_MS;
	d = stall_new(e, &ss);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(stall_subscribe(d, on_event, &seen), 0);

	/* the first run tells the auto=start peer's health; the idle auto=add peer's is
	 * what a subscriber assumes of a peer it has not heard of */
	stall_run(d);
	ck_assert_uint_eq(seen.n, 1);
	ck_assert_str_eq(seen.peer[0], "starter");
	ck_assert_int_eq(seen.health[0], PEER_NEGOTIATING);
	ck_assert_int_eq(stall_peer_health(d, 1, &cause, NULL), PEER_IDLE);

	/* the loop's timeout is the down deadline, not a tick */
	ms = stall_next_timeout_ms(d);
	ck_assert_int_gt(ms, 0);
	ck_assert_int_le(ms, DOWN_AFTER_MS);
	stall_run(d);
	ck_assert_uint_eq(seen.n, 1); /* nothing changed, nothing told */

	sleep_ms(ms + 20);
	ck_assert_int_eq(stall_next_timeout_ms(d), 0);
	stall_run(d);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_str_eq(seen.peer[1], "starter");
	ck_assert_int_eq(seen.health[1], PEER_DOWN);
	ck_assert_int_eq(stall_peer_health(d, 0, &cause, NULL), PEER_DOWN);

	/* down is final until the peer comes up: no deadline is left, the loop sleeps */
	ck_assert_int_eq(stall_next_timeout_ms(d), -1);
	stall_run(d);
	ck_assert_uint_eq(seen.n, 2);

	stall_free(d);
	ike_engine_free(e);
}
END_TEST

START_TEST(test_reconfigure_moves_the_deadline)
{
	struct ike_peer_cfg peer;
	struct stall_settings ss;
	struct stall_detector *d;
	struct ike_engine *e;
	struct seen seen = {0};

	log_set_level(LOG_ERR);
	ck_assert_int_eq(fx_peer_cfg(&peer, "starter", "127.0.0.2", "k"), 0);
	peer.autostart = IKE_AUTO_START;
	e = engine_with(&peer, 1);
	stall_settings_default(&ss); /* 120 s */
	d = stall_new(e, &ss);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(stall_subscribe(d, on_event, &seen), 0);
	stall_run(d);
	ck_assert_int_gt(stall_next_timeout_ms(d), 100000);

	/* a shorter peer_down_after: the peer is down at the next run */
	ss.peer_down_after_ms = 100;
	sleep_ms(120);
	stall_reconfigure(d, &ss);
	stall_run(d);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_int_eq(seen.health[0], PEER_NEGOTIATING);
	ck_assert_int_eq(seen.health[1], PEER_DOWN);
	ck_assert_int_eq(stall_next_timeout_ms(d), -1);

	stall_free(d);
	ike_engine_free(e);
}
END_TEST

static Suite *stall_health_suite(void)
{
	Suite *s = suite_create("stall_health");
	TCase *tc = tcase_create("health");

	tcase_add_test(tc, test_down_by_the_clock);
	tcase_add_test(tc, test_reconfigure_moves_the_deadline);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(stall_health_suite());
}
