/*
 * dpd.c - Dead Peer Detection (RFC 3706) and INITIAL-CONTACT (RFC 2407 4.6.3.3).
 *
 * DPD: both ends announce it with a vendor ID in MM1/MM2 (AM1/AM2 in Aggressive Mode).
 * We always answer a peer's R-U-THERE (whether or not we probe ourselves).  We probe an
 * established ISAKMP SA when its peer has dpd_delay > 0 and announced DPD: after
 * dpd_delay seconds without a datagram from the peer on that SA (ikemond has no ESP data
 * plane, so only IKE traffic counts as a sign of life), an R-U-THERE with the next
 * sequence number, again every dpd_delay while unanswered; an R-U-THERE-ACK carrying the
 * sequence number of one of the unanswered ones ends the wait, one with any other number
 * is ignored and counted.  No answer for dpd_timeout seconds after the first: the peer is
 * dead, and the SA and its phase-2 SAs are deleted with cause peer-dead.  Both notifies
 * travel in a protected informational (HASH(1)); unprotected ones are ignored.
 *
 * INITIAL-CONTACT: sent in our MM5 (initiator), MM6 (responder) or AM3 (initiator) when
 * we hold no other SA with the peer; when the peer's authenticated and encrypted MM5,
 * MM6 or AM3 carries it, in either role, every other SA we hold with that peer (same
 * address, same identity) is deleted with cause initial-contact: the peer restarted and
 * lost them.
 */
#include <netinet/in.h>
#include <string.h>

#include "crypto.h"
#include "exchange.h"
#include "ike.h"

/* RFC 3706 7: the last two bytes are the version (1.0); any version is recognised. */
static const uint8_t dpd_vid[16] = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                    0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};

void dpd_put_vid(struct msg_builder *b)
{
	msg_payload(b, ISAKMP_NP_VID, dpd_vid, sizeof(dpd_vid));
}

bool dpd_peer_announces(const struct isakmp_msg *m)
{
	const struct isakmp_payload *vid;
	size_t from = 0;

	while ((vid = isakmp_msg_find(m, ISAKMP_NP_VID, &from)) != NULL)
		if (vid->len == sizeof(dpd_vid) && memcmp(vid->body, dpd_vid, 14) == 0)
			return true;
	return false;
}

/* Whether we probe sa: established, keyed, the peer announced DPD and its dpd_delay > 0. */
static const struct ike_peer_cfg *dpd_cfg(struct ike_engine *e, const struct ike_sa *sa)
{
	const struct ike_peer_cfg *p;

	if (sa->state != IKE_ST_ESTABLISHED || !sa->dpd_peer || sa->x == NULL || !sa->x->have_keys)
		return NULL;
	p = engine_peer_cfg(e, sa->peer);
	if (p == NULL || p->dpd_delay_s == 0)
		return NULL;
	return p;
}

bool dpd_deadline(struct ike_engine *e, const struct ike_sa *sa, struct timespec *at)
{
	const struct ike_peer_cfg *p = dpd_cfg(e, sa);
	struct timespec dead;

	if (p == NULL)
		return false;
	if (!sa->dpd_waiting) {
		*at = sa->last_rx;
		ts_add_ms(at, (uint64_t)p->dpd_delay_s * 1000);
		return true;
	}
	dead = sa->dpd_sent_at;
	ts_add_ms(&dead, (uint64_t)p->dpd_timeout_s * 1000);
	*at = ts_diff_ms(&sa->dpd_next_at, &dead) < 0 ? sa->dpd_next_at : dead;
	return true;
}

static void send_r_u_there(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now,
                           uint32_t delay_s)
{
	sa->dpd_seq_out++;
	if (sa->dpd_seq_out == 0)
		sa->dpd_seq_out = 1;
	sa->dpd_next_at = *now;
	ts_add_ms(&sa->dpd_next_at, (uint64_t)delay_s * 1000);
	if (info_send_dpd(e, sa, DPD_N_R_U_THERE, sa->dpd_seq_out) != 0)
		return;
	sa->ctr.dpd_r_u_there_out++;
	ike_sa_table_counters_mut(e->sas)->dpd_r_u_there_out++;
}

void dpd_timeout(struct ike_engine *e, struct ike_sa *sa, const struct timespec *now)
{
	const struct ike_peer_cfg *p = dpd_cfg(e, sa);
	struct timespec at;

	if (p == NULL)
		return;
	if (!sa->dpd_waiting) {
		at = sa->last_rx;
		ts_add_ms(&at, (uint64_t)p->dpd_delay_s * 1000);
		if (ts_diff_ms(&at, now) > 0)
			return;
		sa->dpd_waiting = true;
		sa->dpd_sent_at = *now;
		sa->dpd_seq_first = sa->dpd_seq_out + 1 == 0 ? 1 : sa->dpd_seq_out + 1;
		engine_log(e, IKE_LOG_INFO,
		           "conn-id %u peer %s: idle for %u s, sending R-U-THERE (DPD)",
		           sa->conn_id, sa->peer, p->dpd_delay_s);
		send_r_u_there(e, sa, now, p->dpd_delay_s);
		return;
	}
	at = sa->dpd_sent_at;
	ts_add_ms(&at, (uint64_t)p->dpd_timeout_s * 1000);
	if (ts_diff_ms(&at, now) <= 0) {
		engine_log(e, IKE_LOG_NOTICE,
		           "conn-id %u peer %s: no answer to R-U-THERE for %u s: peer dead, "
		           "deleting its SAs",
		           sa->conn_id, sa->peer, p->dpd_timeout_s);
		ike_sa_table_counters_mut(e->sas)->dpd_dead++;
		engine_delete_sa(e, sa, IKE_CAUSE_PEER_DEAD);
		return;
	}
	if (ts_diff_ms(&sa->dpd_next_at, now) <= 0)
		send_r_u_there(e, sa, now, p->dpd_delay_s);
}

void dpd_input(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_notify *n)
{
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	uint32_t seq;

	if (n->spi_len != 16 || n->spi == NULL || memcmp(n->spi, sa->icookie, 8) != 0 ||
	    memcmp(n->spi + 8, sa->rcookie, 8) != 0 || n->data_len != 4) {
		sa->ctr.malformed++;
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: malformed %s ignored", sa->conn_id,
		           sa->peer, isakmp_notify_name(n->type));
		return;
	}
	seq = (uint32_t)n->data[0] << 24 | (uint32_t)n->data[1] << 16 | (uint32_t)n->data[2] << 8 |
	      n->data[3];
	if (n->type == DPD_N_R_U_THERE) {
		sa->ctr.dpd_r_u_there_in++;
		g->dpd_r_u_there_in++;
		sa->dpd_seq_in = seq;
		/* the peer asks: it is alive too */
		sa->dpd_waiting = false;
		if (info_send_dpd(e, sa, DPD_N_R_U_THERE_ACK, seq) == 0) {
			sa->ctr.dpd_ack_out++;
			g->dpd_ack_out++;
		}
		return;
	}
	/* an ACK: for one of the R-U-THEREs we are waiting on, or ignored */
	if (!sa->dpd_waiting ||
	    (uint32_t)(seq - sa->dpd_seq_first) > (uint32_t)(sa->dpd_seq_out - sa->dpd_seq_first)) {
		sa->ctr.dpd_bad_seq++;
		g->dpd_bad_seq++;
		engine_log(e, IKE_LOG_INFO,
		           "conn-id %u peer %s: R-U-THERE-ACK with sequence %u ignored (expected "
		           "%u..%u%s)",
		           sa->conn_id, sa->peer, seq, sa->dpd_seq_first, sa->dpd_seq_out,
		           sa->dpd_waiting ? "" : ", none outstanding");
		return;
	}
	sa->ctr.dpd_ack_in++;
	g->dpd_ack_in++;
	sa->dpd_waiting = false;
	engine_log(e, IKE_LOG_DEBUG, "conn-id %u peer %s: R-U-THERE-ACK %u", sa->conn_id, sa->peer,
	           seq);
}

void dpd_established(struct ike_sa *sa)
{
	uint32_t seq = 0;

	/* RFC 3706 7: a random starting sequence number, kept small enough not to wrap soon */
	if (ike_random((uint8_t *)&seq, sizeof(seq)) != 0)
		seq = 0;
	sa->dpd_seq_out = seq & 0x7fffffff;
	sa->dpd_waiting = false;
	engine_now(&sa->last_rx);
}

/* ---------------------------------------------------------------- INITIAL-CONTACT */

/*
 * INITIAL-CONTACT tells the peer that we hold nothing with it, so it is only said when
 * no other SA of ours (of any configured peer: several may share one gateway) between
 * the same two addresses (the peer keeps its state per pair) is alive, negotiating ones included
 * (several tunnels to one gateway starting at once must not delete each other's SAs there).  A look
 * at the SAs with that address (the table's index), once per MM5, MM6 or AM3 we send.
 */
bool ic_wanted(struct ike_engine *e, const struct ike_sa *sa)
{
	/* an engine that speaks for many hosts (the load generator) neither says nor hears it */
	if (e->settings.ignore_initial_contact)
		return false;
	for (const struct ike_sa *s = ike_sa_find_host(e->sas, &sa->remote, NULL); s != NULL;
	     s = ike_sa_find_host(e->sas, &sa->remote, s))
		if (s != sa && s->state != IKE_ST_DELETED &&
		    engine_same_host(&s->local, &sa->local))
			return false;
	return true;
}

void ic_put(struct msg_builder *b, const struct ike_sa *sa)
{
	size_t off = msg_payload_begin(b, ISAKMP_NP_N);

	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u8(b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(b, 16);
	msg_put_u16(b, IPSEC_N_INITIAL_CONTACT);
	msg_put(b, sa->icookie, 8);
	msg_put(b, sa->rcookie, 8);
	msg_payload_end(b, off);
}

bool ic_present(const struct isakmp_msg *m)
{
	const struct isakmp_payload *p;
	struct isakmp_notify n;
	size_t from = 0;

	while ((p = isakmp_msg_find(m, ISAKMP_NP_N, &from)) != NULL)
		if (isakmp_notify_parse(p->body, p->len, &n) == CODEC_OK &&
		    n.type == IPSEC_N_INITIAL_CONTACT)
			return true;
	return false;
}

static bool same_id(const struct ike_sa_id *a, const struct ike_sa_id *b)
{
	return a->type == b->type && strcmp(a->value, b->value) == 0;
}

/*
 * The peer restarted: every other established SA we hold with it (same pair of
 * addresses, same identity; of any configured peer) is gone at its end: the peer said
 * INITIAL-CONTACT because it held nothing with that address of ours.  A look at the SAs
 * with that remote address (the table's index), once per INITIAL-CONTACT received.  An
 * engine that speaks for many hosts at once (the load generator) ignores it.
 */
size_t ic_honour(struct ike_engine *e, struct ike_sa *sa)
{
	struct ike_sa *s, *next;
	size_t n = 0;

	if (e->settings.ignore_initial_contact)
		return 0;
	for (s = ike_sa_find_host(e->sas, &sa->remote, NULL); s != NULL; s = next) {
		next = ike_sa_find_host(e->sas, &sa->remote, s);
		/* the old SAs are established; one still negotiating times out on its own */
		if (s == sa || s->state != IKE_ST_ESTABLISHED ||
		    !engine_same_host(&s->local, &sa->local) ||
		    !same_id(&s->remote_id, &sa->remote_id))
			continue;
		engine_log(e, IKE_LOG_NOTICE,
		           "conn-id %u peer %s: INITIAL-CONTACT on conn-id %u: deleting the old SA",
		           s->conn_id, s->peer, sa->conn_id);
		engine_delete_sa(e, s, IKE_CAUSE_INITIAL_CONTACT);
		ike_sa_table_counters_mut(e->sas)->initial_contact++;
		n++;
	}
	return n;
}
