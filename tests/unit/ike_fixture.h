/*
 * ike_fixture.h - small builders for tests that run the real engine without a network:
 * addresses, configured peers, SAs made the way the handlers make them, and an engine
 * send hook that checks or discards what the engine sends.
 *
 * Nothing here uses the check library or aborts: each builder returns -1 (or NULL) and
 * the caller decides, so that the unit tests, tests/unit/metrics_dump.c and the fuzzing
 * targets (tests/fuzz/, built by clang with their own flags) share it.  The unit tests'
 * check-based helpers are in testlib.h.
 */
#ifndef TESTS_UNIT_IKE_FIXTURE_H
#define TESTS_UNIT_IKE_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ike/engine.h"
#include "ike/ike.h"

/* An engine send hook that drops every datagram (engine ops .send). */
int fx_discard_send(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                    const uint8_t *buf, size_t len);

/* 0 when buf is a well-formed ISAKMP datagram (its payloads too, when not encrypted). */
int fx_check_datagram(const uint8_t *buf, size_t len);

/*
 * ip ("192.0.2.1", or IPv6 when it holds a ':') and port into ss.  0, or -1 if bad.
 * Inline: the golden tests (testlib.c) use it without linking the engine.
 */
static inline int fx_set_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	return inet_pton(AF_INET, ip, &s4->sin_addr) == 1 ? 0 : -1;
}

/*
 * A phase-1-only peer: name, remote ip on port 500 as a /32 (remote NULL: %any), psk,
 * auto=add, a lifetime of 28800 s; everything else zero.  0, or -1 on a bad address.
 */
int fx_peer_cfg(struct ike_peer_cfg *p, const char *name, const char *remote, const char *psk);

/*
 * The peer's phase-1 proposals (ike, ike_proposals_parse's syntax); with esp not NULL,
 * also one tunnel-mode child per selector pair with those ESP proposals, a lifetime of
 * 3600 s, and the selectors local_ts and remote_ts (ike_ts_parse's lists).  0, or -1.
 */
int fx_peer_proposals(struct ike_peer_cfg *p, const char *ike, const char *esp,
                      const char *local_ts, const char *remote_ts);

/*
 * A Main Mode SA in t for peer, from 127.0.0.1:500 to remote:500, announced (its
 * creation event sent) as the handlers do.  NULL when it cannot be made.
 */
struct ike_sa *fx_new_sa(struct ike_sa_table *t, const char *peer, const char *remote,
                         enum ike_role role);

/* Take sa through steps with ike_sa_set_state(), the engine's choke point.  0, or -1. */
int fx_walk(struct ike_sa_table *t, struct ike_sa *sa, const enum ike_state *steps, size_t n);

#endif /* TESTS_UNIT_IKE_FIXTURE_H */
