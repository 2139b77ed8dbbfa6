/*
 * dispatch.c - a datagram's way in: header -> SA look-up by cookies -> retransmission
 * check -> informational, Quick Mode, or a check of the message against its state's
 * row (exchange type, encryption, required payloads) -> decrypt -> the row's handler.
 * Handlers never see a message their state did not ask for.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "ike.h"

#define PLAIN_BUF IKE_MAX_MSG /* decrypted phase-1 messages (MM5 with a certificate chain) */

static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	if (b->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		       x->sin6_port == y->sin6_port;
	}
	return false;
}

static const uint8_t zero_cookie[8];

/*
 * The SA a message belongs to.  Exact cookies first; then the two cases where the peer
 * cannot know both cookies yet: the responder's MM2 (or notify) to our MM1, and a
 * retransmitted MM1 to an SA we already answered.
 */
static struct ike_sa *lookup(struct ike_engine *e, const struct isakmp_hdr *h,
                             const struct sockaddr *remote)
{
	struct ike_sa *sa = ike_sa_find_cookies(e->sas, h->icookie, h->rcookie);
	bool rzero = memcmp(h->rcookie, zero_cookie, 8) == 0;

	if (sa != NULL)
		return sa;
	for (sa = ike_sa_find_icookie(e->sas, h->icookie, NULL); sa != NULL;
	     sa = ike_sa_find_icookie(e->sas, h->icookie, sa)) {
		if (!engine_sa_alive(sa))
			continue;
		if (sa->role == IKE_ROLE_INITIATOR &&
		    (sa->state == IKE_ST_MAIN_I1 || sa->state == IKE_ST_AGGR_I1) &&
		    memcmp(sa->rcookie, zero_cookie, 8) == 0)
			return sa;
		if (sa->role == IKE_ROLE_RESPONDER && rzero && addr_equal(&sa->remote, remote))
			return sa;
	}
	return NULL;
}

static void count_codec_error(struct ike_global_counters *g, int err)
{
	switch (err) {
	case CODEC_SHORT:
		g->dropped_short++;
		break;
	case CODEC_BAD_VERSION:
		g->dropped_bad_version++;
		break;
	case CODEC_BAD_PAYLOAD:
	case CODEC_TOO_MANY:
	case CODEC_BAD_VALUE:
		g->dropped_bad_payload++;
		break;
	default:
		g->dropped_bad_length++;
		break;
	}
}

static void undecryptable(struct ike_engine *e, struct ike_sa *sa, const char *what)
{
	char detail[64];

	sa->ctr.undecryptable++;
	ike_sa_table_counters_mut(e->sas)->dropped_undecryptable++;
	if (sa->x != NULL)
		sa->x->saw_undecryptable = true;
	if (sa->state != IKE_ST_ESTABLISHED) {
		snprintf(detail, sizeof(detail), "%s from the peer does not decrypt", what);
		engine_suspect(e, sa, IKE_CAUSE_KEY_MISMATCH, detail);
	}
	engine_log_limited(e, ENGINE_LOG_BAD_MESSAGE, IKE_LOG_INFO,
	                   "conn-id %u peer %s: %s does not decrypt", sa->conn_id, sa->peer, what);
}

/*
 * Whether an authenticated informational message is a replay: every informational
 * exchange has a fresh random message ID (RFC 2408 3.1), so one the SA has seen among
 * the peer's last IKE_INFO_SEEN is a copy (an old DELETE, R-U-THERE, notify).  Else the
 * ID is remembered.
 */
static bool info_replayed(struct ike_exchange *x, uint32_t msgid)
{
	for (size_t i = 0; i < IKE_INFO_SEEN; i++)
		if (x->info_seen[i] == msgid)
			return true;
	x->info_seen[x->info_seen_next] = msgid;
	x->info_seen_next = (x->info_seen_next + 1) % IKE_INFO_SEEN;
	return false;
}

static void informational(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_hdr *h,
                          const uint8_t *buf, size_t len)
{
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = malloc(PLAIN_BUF);
	int r;

	if (m == NULL || plain == NULL)
		goto done;
	if (h->flags & ISAKMP_FLAG_ENC) {
		if (info_open(e, sa, buf, len, m, plain, PLAIN_BUF) != 0) {
			undecryptable(e, sa, "an informational message");
			goto done;
		}
		/* info_open authenticated it with the keys: sa->x is whole */
		if (info_replayed(sa->x, m->hdr.msgid)) {
			ike_sa_table_counters_mut(e->sas)->dropped_replay++;
			engine_log(e, IKE_LOG_INFO,
			           "conn-id %u peer %s: informational message ID %08x seen before: "
			           "a replay, dropped",
			           sa->conn_id, sa->peer, m->hdr.msgid);
			goto done;
		}
		info_input(e, sa, m, true);
		goto done;
	}
	r = isakmp_msg_parse(buf, len, m);
	if (r != CODEC_OK) {
		sa->ctr.malformed++;
		count_codec_error(ike_sa_table_counters_mut(e->sas), r);
		goto done;
	}
	info_input(e, sa, m, false);
done:
	free(plain);
	free(m);
}

/* Decrypt a phase-1 message with the IV chain; the following IV goes to x->rx_iv. */
static int open_phase1(struct ike_sa *sa, const struct isakmp_hdr *h, const uint8_t *buf,
                       size_t len, struct isakmp_msg *m, uint8_t *plain)
{
	struct ike_exchange *x = sa->x;
	size_t n = len - ISAKMP_HDR_LEN;

	if (x == NULL || !x->have_keys || n == 0 || n > PLAIN_BUF || n % x->keys.block_len)
		return -1;
	memcpy(plain, buf + ISAKMP_HDR_LEN, n);
	if (ike_decrypt(&x->keys, x->keys.iv, plain, n, x->rx_iv) != 0)
		return -1;
	if (isakmp_payloads_parse(h->np, plain, n, true, m) != CODEC_OK)
		return -1;
	m->hdr = *h;
	return 0;
}

static bool has_required(const struct ike_sa *sa, const struct isakmp_msg *m,
                         const struct ike_state_row *row)
{
	for (uint8_t t = 0; t < 32; t++)
		if ((row->required_in & (1u << t)) && isakmp_msg_find(m, t, NULL) == NULL)
			return false;
	/* HASH with a pre-shared key, SIG with signatures */
	if (row->auth_in &&
	    isakmp_msg_find(m, sa->xf.auth == IKE_AUTH_PSK ? ISAKMP_NP_HASH : ISAKMP_NP_SIG,
	                    NULL) == NULL)
		return false;
	return true;
}

/* Check the message against its state's row, open it, run the handler. */
static void dispatch(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_hdr *h,
                     const uint8_t *buf, size_t len)
{
	const struct ike_state_row *row = ike_state_row(sa->state);
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	bool enc = (h->flags & ISAKMP_FLAG_ENC) != 0;
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = malloc(PLAIN_BUF);
	uint32_t out_gen;
	int r;

	if (m == NULL || plain == NULL)
		goto done;
	if (row->handler == NULL || h->exchange != row->exchange ||
	    (enc != row->encrypted_in && !row->either_in)) {
		g->dropped_unexpected++;
		engine_log(e, IKE_LOG_DEBUG, "conn-id %u: unexpected message in %s", sa->conn_id,
		           row->name);
		goto done;
	}
	/* a DH job is out for the SA: nothing moves it on before its result is in */
	if (sa->x != NULL && sa->x->dh_pending) {
		g->dropped_unexpected++;
		engine_log(e, IKE_LOG_DEBUG, "conn-id %u: message dropped while DH runs",
		           sa->conn_id);
		goto done;
	}
	if (enc) {
		if (open_phase1(sa, h, buf, len, m, plain) != 0) {
			undecryptable(e, sa, row->expects);
			goto done;
		}
	} else {
		r = isakmp_msg_parse(buf, len, m);
		if (r != CODEC_OK) {
			sa->ctr.malformed++;
			count_codec_error(g, r);
			goto done;
		}
	}
	if (!has_required(sa, m, row)) {
		sa->ctr.malformed++;
		g->dropped_bad_payload++;
		engine_log_limited(e, ENGINE_LOG_BAD_MESSAGE, IKE_LOG_INFO,
		                   "conn-id %u: %s lacks a required payload", sa->conn_id,
		                   row->expects);
		goto done;
	}
	out_gen = sa->x != NULL ? sa->x->rt.out_gen : 0;
	/* answered when the handler sent its next message (MM6 at I3 is answered by nothing) */
	if (row->handler(e, sa, m) == IKE_R_OK && sa->x != NULL)
		retx_keep_in(&sa->x->rt, buf, len, sa->x->rt.out_gen != out_gen);
done:
	free(plain);
	free(m);
}

/* A first Main or Aggressive Mode message from a new peer: make a responder SA for it. */
static void new_responder(struct ike_engine *e, const struct sockaddr *local,
                          const struct sockaddr *remote, const struct isakmp_hdr *h,
                          const uint8_t *buf, size_t len)
{
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	struct engine_peer *p;
	struct isakmp_msg *m = malloc(sizeof(*m));
	struct ike_sa *sa;
	char addr[INET6_ADDRSTRLEN] = "?";
	bool aggr = h->exchange == ISAKMP_XCHG_AGGR;
	const char *mode = aggr ? "Aggressive" : "Main";
	int r;

	/* the whole message must parse before it may cost us an SA */
	if (m == NULL)
		return;
	r = isakmp_msg_parse(buf, len, m);
	if (r != CODEC_OK) {
		free(m);
		count_codec_error(g, r);
		return;
	}
	/* Aggressive Mode names the initiator in AM1: its identity picks the peer (and key) */
	p = aggr ? aggr_match_peer(e, local, remote, m) : engine_match_peer(e, local, remote);
	free(m);
	if (p == NULL) {
		g->dropped_no_config++;
		if (remote->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)remote)->sin_addr, addr,
			          sizeof(addr));
		else if (remote->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)remote)->sin6_addr, addr,
			          sizeof(addr));
		engine_log_limited(e, ENGINE_LOG_NO_PEER, IKE_LOG_INFO,
		                   "%s Mode from %s: no [peer] matches; dropped", mode, addr);
		return;
	}
	/* bounded: at most max_half_open_per_source from this address, max_half_open in all */
	if (!engine_half_open_admit(e, remote)) {
		engine_log(e, IKE_LOG_DEBUG,
		           "%s Mode from a source at max_half_open_per_source; "
		           "dropped",
		           mode);
		return;
	}
	sa = ike_sa_create(e->sas, IKE_ROLE_RESPONDER, h->exchange);
	if (sa == NULL)
		return;
	snprintf(sa->peer, sizeof(sa->peer), "%s", p->cfg.name);
	engine_copy_addr(&sa->local, local);
	engine_set_remote(e, sa, remote);
	ike_sa_set_icookie(e->sas, sa, h->icookie);
	engine_half_open_add(e, sa);
	sa->ctr.msgs_in++;
	sa->ctr.bytes_in += len;
	ike_sa_announce(e->sas, sa);
	engine_log_limited(e, aggr ? ENGINE_LOG_AM_REQUEST : ENGINE_LOG_MM_REQUEST, IKE_LOG_INFO,
	                   "conn-id %u peer %s: %s Mode request", sa->conn_id, sa->peer, mode);
	dispatch(e, sa, h, buf, len);
}

static uint16_t port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

/*
 * A peer that floated to the NAT-T port (or whose NAT mapping changed) is followed:
 * replies go where its messages come from (RFC 3947 4).
 */
static void follow_float(struct ike_engine *e, struct ike_sa *sa, const struct sockaddr *local,
                         const struct sockaddr *remote)
{
	uint16_t natt = e->ops.natt_port != NULL ? e->ops.natt_port(e->ctx, local) : 0;

	if (natt == 0 || port_of(local) != natt)
		return;
	if (!sa->floated) {
		sa->floated = true;
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: the peer floated to port %u",
		           sa->conn_id, sa->peer, port_of(remote));
	}
	engine_copy_addr(&sa->local, local);
	engine_set_remote(e, sa, remote);
}

void ike_engine_input(struct ike_engine *e, const struct sockaddr *local,
                      const struct sockaddr *remote, const uint8_t *buf, size_t len)
{
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	struct isakmp_hdr h;
	struct ike_sa *sa;
	int r;

	g->msgs_in++;
	g->bytes_in += len;
	r = isakmp_hdr_parse(buf, len, &h);
	if (r != CODEC_OK) {
		count_codec_error(g, r);
		return;
	}
	sa = lookup(e, &h, remote);
	if (sa == NULL) {
		if ((h.exchange == ISAKMP_XCHG_IDPROT || h.exchange == ISAKMP_XCHG_AGGR) &&
		    h.np == ISAKMP_NP_SA && memcmp(h.rcookie, zero_cookie, 8) == 0 &&
		    !(h.flags & ISAKMP_FLAG_ENC)) {
			new_responder(e, local, remote, &h, buf, len);
			return;
		}
		g->dropped_unknown_sa++;
		return;
	}
	sa->ctr.msgs_in++;
	sa->ctr.bytes_in += len;
	/* DPD: any datagram from the peer on the SA is a sign of life (no ESP here) */
	engine_now(&sa->last_rx);
	/* whatever the message does to the SA's deadlines, they are read again */
	engine_timers_touch(e, sa);
	if (!engine_sa_alive(sa)) {
		g->dropped_unexpected++;
		return;
	}
	/* a retransmission of what we answered gets the stored answer, not a second run */
	if (sa->x != NULL && retx_is_dup(&sa->x->rt, buf, len)) {
		sa->ctr.dup_in++;
		if (retx_answer_dup(&sa->x->rt))
			engine_send_once(e, sa, sa->x->rt.last_out, sa->x->rt.last_out_len);
		return;
	}
	/* the reply to MM1 tells which local address the peer uses */
	if (sa->local.ss_family == 0 || sa->state == IKE_ST_MAIN_I1 || sa->state == IKE_ST_AGGR_I1)
		engine_copy_addr(&sa->local, local);
	follow_float(e, sa, local, remote);
	if (h.exchange == ISAKMP_XCHG_INFO) {
		informational(e, sa, &h, buf, len);
		return;
	}
	if (h.exchange == ISAKMP_XCHG_QUICK) {
		quick_input(e, sa, &h, buf, len);
		return;
	}
	dispatch(e, sa, &h, buf, len);
}
