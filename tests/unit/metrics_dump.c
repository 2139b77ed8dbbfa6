/*
 * metrics_dump.c - prints ikemond's exposition for a fixed scene, for
 * tests/integration/metrics_promtool.sh (`promtool check metrics` lints it).
 *
 *   metrics_dump [--openmetrics] [--per-sa]
 *
 * The scene is test_metrics.c's: a real engine whose sends are discarded, three
 * configured peers and SAs driven through the engine's own choke points:
 *   spoke1  127.0.0.2  Main Mode to QM_IDLE, its phase-2 SA installed: up
 *   spoke2  127.0.0.3  one SA failed with key-mismatch in MM_KEY_EXCH, deleted and
 *                      removed; a second one held in MM_KEY_EXCH: stalled, alarm raised
 *   idle1   127.0.0.4  nothing (auto=add, nobody asked)
 * plus an SA of a peer no longer configured ("ghost") that failed with
 * no-proposal-chosen, a few dropped datagrams and one notification.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "agent/log.h"
#include "exporters/metrics.h"
#include "ike/ike.h"

#define PSK "not-in-any-view-7Qx"

static int discard_send(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                        const uint8_t *buf, size_t len)
{
	(void)ctx, (void)local, (void)remote, (void)buf, (void)len;
	return 0;
}

static void set_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s4->sin_addr);
}

static void peer_cfg(struct ike_peer_cfg *p, const char *name, const char *remote)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	set_addr(&p->remote, remote, 500);
	p->remote_prefix = 32;
	set_addr(&p->local, "127.0.0.1", 500);
	memcpy(p->psk, PSK, strlen(PSK));
	p->psk_len = strlen(PSK);
	p->autostart = IKE_AUTO_ADD;
	p->ike_lifetime = 28800;
}

static struct ike_sa *new_sa(struct ike_sa_table *t, const char *peer, const char *remote,
                             enum ike_role role)
{
	struct ike_sa *sa = ike_sa_create(t, role, ISAKMP_XCHG_IDPROT);

	if (sa == NULL)
		return NULL;
	snprintf(sa->peer, sizeof(sa->peer), "%s", peer);
	set_addr(&sa->remote, remote, 500);
	set_addr(&sa->local, "127.0.0.1", 500);
	ike_sa_announce(t, sa);
	return sa;
}

static int walk(struct ike_sa_table *t, struct ike_sa *sa, const enum ike_state *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ike_sa_set_state(t, sa, steps[i]) != 0)
			return -1;
	return 0;
}

static void traffic(struct ike_sa *sa, uint64_t in, uint64_t out, uint64_t retx)
{
	sa->ctr.msgs_in = in;
	sa->ctr.msgs_out = out;
	sa->ctr.bytes_in = in * 100;
	sa->ctr.bytes_out = out * 110;
	sa->ctr.retransmits = retx;
}

static const enum ike_state to_qm_idle[] = {IKE_ST_MAIN_I2, IKE_ST_MAIN_I3, IKE_ST_MAIN_I4,
                                            IKE_ST_ESTABLISHED};
static const enum ike_state to_key_exch[] = {IKE_ST_MAIN_R1, IKE_ST_MAIN_R2};

/* spoke1 up with its phase-2 SA. */
static int scene_spoke1(struct ike_sa_table *t)
{
	struct ike_sa *sa = new_sa(t, "spoke1", "127.0.0.2", IKE_ROLE_INITIATOR);
	struct ike_child *c;

	if (sa == NULL || walk(t, sa, to_qm_idle, 4) != 0)
		return -1;
	traffic(sa, 3, 3, 1);
	c = ike_child_create(t, sa, IKE_ROLE_INITIATOR, 0x1234);
	if (c == NULL)
		return -1;
	return ike_child_set_state(t, sa, c, IKE_CHILD_INSTALLED);
}

/* spoke2: a key mismatch, deleted (returned, for the caller to remove), then a retry. */
static struct ike_sa *scene_spoke2(struct ike_sa_table *t)
{
	struct ike_sa *failed = new_sa(t, "spoke2", "127.0.0.3", IKE_ROLE_RESPONDER), *retry;

	if (failed == NULL || walk(t, failed, to_key_exch, 2) != 0)
		return NULL;
	traffic(failed, 4, 2, 0);
	ike_sa_fail(t, failed, IKE_CAUSE_KEY_MISMATCH, "MM5 from the peer does not decrypt");
	ike_sa_mark_deleted(t, failed, IKE_CAUSE_KEY_MISMATCH);
	retry = new_sa(t, "spoke2", "127.0.0.3", IKE_ROLE_RESPONDER);
	if (retry == NULL || walk(t, retry, to_key_exch, 2) != 0)
		return NULL;
	traffic(retry, 2, 2, 0);
	return failed;
}

static int scene_ghost(struct ike_sa_table *t)
{
	struct ike_sa *sa = new_sa(t, "ghost", "192.0.2.9", IKE_ROLE_INITIATOR);

	if (sa == NULL)
		return -1;
	traffic(sa, 1, 1, 0);
	ike_sa_fail(t, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN, "refused by peer");
	ike_sa_mark_deleted(t, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	return 0;
}

struct scene {
	struct ike_engine *e;
	struct stall_detector *d;
	struct metrics *m;
	struct ike_sa *removed; /* spoke2's failed SA: deleted, not yet removed */
};

static void sleep_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000L};

	nanosleep(&ts, NULL);
}

static int scene_build(struct scene *sc)
{
	static const struct ike_engine_ops ops = {.send = discard_send};
	struct ike_peer_cfg peers[3];
	struct ike_settings set;
	struct stall_settings ss;
	struct ike_sa_table *t;

	memset(sc, 0, sizeof(*sc));
	ike_settings_default(&set);
	stall_settings_default(&ss);
	ss.stall_after_ms = 1;
	peer_cfg(&peers[0], "spoke1", "127.0.0.2");
	peers[0].has_children = true;
	peer_cfg(&peers[1], "spoke2", "127.0.0.3");
	peer_cfg(&peers[2], "idle1", "127.0.0.4");
	sc->e = ike_engine_new(&ops, NULL, &set);
	if (sc->e == NULL || ike_engine_set_peers(sc->e, peers, 3) != 0)
		return -1;
	sc->d = stall_new(sc->e, &ss);
	sc->m = sc->d != NULL ? metrics_new(sc->e, sc->d) : NULL;
	if (sc->m == NULL)
		return -1;
	t = ike_engine_sas(sc->e);
	if (scene_spoke1(t) != 0 || (sc->removed = scene_spoke2(t)) == NULL || scene_ghost(t) != 0)
		return -1;
	ike_sa_table_counters_mut(t)->dropped_short = 2;
	ike_sa_table_counters_mut(t)->dropped_no_config = 1;
	metrics_count_notification(sc->m, "ikemonPeerStalled", "sent");
	sleep_ms(5);
	stall_run(sc->d);
	return 0;
}

static void scene_free(struct scene *sc)
{
	ike_engine_free(sc->e);
	stall_free(sc->d);
	metrics_free(sc->m);
}

int main(int argc, char **argv)
{
	struct scene sc;
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
	if (scene_build(&sc) != 0) {
		fprintf(stderr, "metrics_dump: cannot build the scene\n");
		scene_free(&sc);
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
	scene_free(&sc);
	return rc;
}
