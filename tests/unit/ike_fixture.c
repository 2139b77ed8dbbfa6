/*
 * ike_fixture.c - builders for tests that run the real engine in memory (see
 * ike_fixture.h).  Errors are returned, never asserted: the fuzzing targets link this too.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/codec.h"
#include "tests/unit/ike_fixture.h"

int fx_discard_send(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                    const uint8_t *buf, size_t len)
{
	(void)ctx, (void)local, (void)remote, (void)buf, (void)len;
	return 0;
}

int fx_check_datagram(const uint8_t *buf, size_t len)
{
	struct isakmp_hdr h;
	struct isakmp_msg *m;
	int ret = 0;

	if (isakmp_hdr_parse(buf, len, &h) != CODEC_OK)
		return -1;
	if (h.flags & ISAKMP_FLAG_ENC)
		return 0;
	/* a message is large: not on the stack (a fuzzer's stack is small) */
	m = malloc(sizeof(*m));
	if (m != NULL && isakmp_msg_parse(buf, len, m) != CODEC_OK)
		ret = -1;
	free(m);
	return ret;
}

int fx_peer_cfg(struct ike_peer_cfg *p, const char *name, const char *remote, const char *psk)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (remote != NULL) {
		if (fx_set_addr(&p->remote, remote, IKE_PORT) != 0)
			return -1;
		p->remote_prefix = 32;
	} else {
		p->remote_any = true;
	}
	p->psk_len = strlen(psk) < sizeof(p->psk) ? strlen(psk) : sizeof(p->psk);
	memcpy(p->psk, psk, p->psk_len);
	p->autostart = IKE_AUTO_ADD;
	p->ike_lifetime = 28800;
	return 0;
}

int fx_peer_proposals(struct ike_peer_cfg *p, const char *ike, const char *esp,
                      const char *local_ts, const char *remote_ts)
{
	char err[256];

	if (ike_proposals_parse(ike, p->ike, IKE_MAX_PROPOSALS, &p->n_ike, err, sizeof(err)) != 0)
		return -1;
	if (esp == NULL)
		return 0;
	p->has_children = true;
	p->mode = IPSEC_MODE_TUNNEL;
	p->ipsec_lifetime_s = 3600;
	if (ike_esp_proposals_parse(esp, p->esp, IKE_MAX_PROPOSALS, &p->n_esp, err, sizeof(err)) !=
	        0 ||
	    ike_ts_parse(local_ts, p->local_ts, IKE_MAX_TS, &p->n_local_ts, err, sizeof(err)) !=
	        0 ||
	    ike_ts_parse(remote_ts, p->remote_ts, IKE_MAX_TS, &p->n_remote_ts, err, sizeof(err)) !=
	        0)
		return -1;
	return 0;
}

struct ike_sa *fx_new_sa(struct ike_sa_table *t, const char *peer, const char *remote,
                         enum ike_role role)
{
	struct ike_sa *sa = ike_sa_create(t, role, ISAKMP_XCHG_IDPROT);

	if (sa == NULL)
		return NULL;
	snprintf(sa->peer, sizeof(sa->peer), "%s", peer);
	if (fx_set_addr(&sa->remote, remote, IKE_PORT) != 0 ||
	    fx_set_addr(&sa->local, "127.0.0.1", IKE_PORT) != 0)
		return NULL;
	ike_sa_announce(t, sa);
	return sa;
}

int fx_walk(struct ike_sa_table *t, struct ike_sa *sa, const enum ike_state *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ike_sa_set_state(t, sa, steps[i]) != 0)
			return -1;
	return 0;
}
