/*
 * informational.c - the informational exchange (RFC 2408 4.8, RFC 2409 5.7): NOTIFY and
 * DELETE, both directions.
 *
 * Once phase-1 keys exist an informational is encrypted with its own IV
 * (hash(last phase-1 IV | M-ID)) and authenticated:
 *   HDR*, HASH(1), N/D      HASH(1) = prf(SKEYID_a, M-ID | N/D)
 * Before that, notifies travel in the clear and prove nothing: they are taken as
 * evidence of a cause, and end a negotiation only where they are the peer's only way to
 * refuse (NO-PROPOSAL-CHOSEN in answer to MM1).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "exchange.h"
#include "ike.h"

#define INFO_BUF 1024

static void info_hdr(struct isakmp_hdr *h, const uint8_t icookie[8], const uint8_t rcookie[8],
                     uint32_t msgid, uint8_t flags)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, icookie, 8);
	memcpy(h->rcookie, rcookie, 8);
	h->version = ISAKMP_VERSION;
	h->exchange = ISAKMP_XCHG_INFO;
	h->flags = flags;
	h->msgid = msgid;
}

/* Notify payload body for the ISAKMP SA (RFC 2408 3.14): no SPI. */
static void put_notify(struct msg_builder *b, uint16_t type)
{
	size_t off = msg_payload_begin(b, ISAKMP_NP_N);

	msg_put_u32(b, ISAKMP_DOI_IPSEC);
	msg_put_u8(b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(b, 0);
	msg_put_u16(b, type);
	msg_payload_end(b, off);
}

int info_send_notify_plain(struct ike_engine *e, const struct sockaddr *local,
                           const struct sockaddr *remote, const uint8_t icookie[8],
                           const uint8_t rcookie[8], uint16_t type)
{
	uint8_t buf[INFO_BUF];
	struct msg_builder b;
	struct isakmp_hdr h;
	size_t len;
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);

	info_hdr(&h, icookie, rcookie, 0, 0);
	msg_init(&b, buf, sizeof(buf), &h);
	put_notify(&b, type);
	len = msg_finish(&b);
	if (len == 0 || e->ops.send(e->ctx, local, remote, buf, len) != 0)
		return -1;
	g->msgs_out++;
	g->bytes_out += len;
	engine_log_limited(e, ENGINE_LOG_UNAUTH_INFO, IKE_LOG_INFO, "sent notify %s",
	                   isakmp_notify_name(type));
	return 0;
}

/*
 * HDR*, HASH(1), <payload>: write a placeholder HASH, the payload, then fill in
 * HASH(1) = prf(SKEYID_a, M-ID | payload) and encrypt with the M-ID's IV.
 */
static int send_protected(struct ike_engine *e, struct ike_sa *sa, struct msg_builder *b,
                          size_t hash_off, size_t payload_off)
{
	struct ike_exchange *x = sa->x;
	struct ike_p1_keys *k = &x->keys;
	uint8_t mid[4], iv[IKE_MAX_BLOCK_LEN];
	size_t len = msg_finish(b), enc_len;
	uint32_t msgid;
	struct ike_chunk in[2];

	if (len == 0 || len + k->block_len > b->cap)
		return -1;
	memcpy(&msgid, b->buf + 20, 4);
	memcpy(mid, b->buf + 20, 4);
	in[0].ptr = mid;
	in[0].len = 4;
	in[1].ptr = b->buf + payload_off;
	in[1].len = len - payload_off;
	if (ike_prf(k->hash, k->skeyid_a, k->prf_len, in, 2, b->buf + hash_off) != 0)
		return -1;
	if (ike_msgid_iv(k, k->iv, ntohl(msgid), iv) != 0)
		return -1;
	if (ike_encrypt(k, iv, b->buf + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, &enc_len, iv) != 0)
		return -1;
	len = ISAKMP_HDR_LEN + enc_len;
	isakmp_hdr_set_length(b->buf, len);
	return engine_send_once(e, sa, b->buf, len);
}

/* Start a protected informational: header with a fresh M-ID and an empty HASH(1). */
static int begin_protected(struct ike_sa *sa, struct msg_builder *b, uint8_t *buf, size_t cap,
                           size_t *hash_off)
{
	struct isakmp_hdr h;
	uint32_t msgid = 0;
	uint8_t zero[IKE_MAX_HASH_LEN] = {0};
	size_t off;

	while (msgid == 0)
		if (ike_random((uint8_t *)&msgid, sizeof(msgid)) != 0)
			return -1;
	info_hdr(&h, sa->icookie, sa->rcookie, msgid, ISAKMP_FLAG_ENC);
	msg_init(b, buf, cap, &h);
	off = msg_payload_begin(b, ISAKMP_NP_HASH);
	msg_put(b, zero, sa->x->keys.prf_len);
	msg_payload_end(b, off);
	*hash_off = off + ISAKMP_GEN_HDR_LEN;
	return b->overflow ? -1 : 0;
}

int info_send_notify(struct ike_engine *e, struct ike_sa *sa, uint16_t type)
{
	uint8_t buf[INFO_BUF];
	struct msg_builder b;
	size_t hash_off, payload_off;

	if (sa->x == NULL || !sa->x->have_keys)
		return info_send_notify_plain(e, (const struct sockaddr *)&sa->local,
		                              (const struct sockaddr *)&sa->remote, sa->icookie,
		                              sa->rcookie, type);
	if (begin_protected(sa, &b, buf, sizeof(buf), &hash_off) != 0)
		return -1;
	payload_off = b.len;
	put_notify(&b, type);
	engine_log(e, IKE_LOG_INFO, "conn-id %u: sending notify %s", sa->conn_id,
	           isakmp_notify_name(type));
	return send_protected(e, sa, &b, hash_off, payload_off);
}

int info_send_dpd(struct ike_engine *e, struct ike_sa *sa, uint16_t type, uint32_t seq)
{
	uint8_t buf[INFO_BUF];
	struct msg_builder b;
	size_t hash_off, payload_off, off;

	if (sa->x == NULL || !sa->x->have_keys ||
	    begin_protected(sa, &b, buf, sizeof(buf), &hash_off) != 0)
		return -1;
	payload_off = b.len;
	/* RFC 3706 7: protocol ISAKMP, the cookie pair as SPI, the sequence number as data */
	off = msg_payload_begin(&b, ISAKMP_NP_N);
	msg_put_u32(&b, ISAKMP_DOI_IPSEC);
	msg_put_u8(&b, ISAKMP_PROTO_ISAKMP);
	msg_put_u8(&b, 16);
	msg_put_u16(&b, type);
	msg_put(&b, sa->icookie, 8);
	msg_put(&b, sa->rcookie, 8);
	msg_put_u32(&b, seq);
	msg_payload_end(&b, off);
	engine_log(e, IKE_LOG_DEBUG, "conn-id %u: sending %s seq %u", sa->conn_id,
	           isakmp_notify_name(type), seq);
	return send_protected(e, sa, &b, hash_off, payload_off);
}

/* DELETE (RFC 2408 3.15) for n SPIs of spi_len bytes each, protected by HASH(1). */
static int send_delete(struct ike_engine *e, struct ike_sa *sa, uint8_t protocol,
                       const uint8_t *spis, uint8_t spi_len)
{
	uint8_t buf[INFO_BUF];
	struct msg_builder b;
	size_t hash_off, payload_off, off;

	if (sa->x == NULL || !sa->x->have_keys)
		return -1;
	if (begin_protected(sa, &b, buf, sizeof(buf), &hash_off) != 0)
		return -1;
	payload_off = b.len;
	off = msg_payload_begin(&b, ISAKMP_NP_D);
	msg_put_u32(&b, ISAKMP_DOI_IPSEC);
	msg_put_u8(&b, protocol);
	msg_put_u8(&b, spi_len);
	msg_put_u16(&b, 1);
	msg_put(&b, spis, spi_len);
	msg_payload_end(&b, off);
	return send_protected(e, sa, &b, hash_off, payload_off);
}

int info_send_delete(struct ike_engine *e, struct ike_sa *sa)
{
	uint8_t spi[16];

	/* the ISAKMP SA's SPI is its cookie pair */
	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: sending DELETE", sa->conn_id, sa->peer);
	return send_delete(e, sa, ISAKMP_PROTO_ISAKMP, spi, 16);
}

int info_send_delete_ipsec(struct ike_engine *e, struct ike_sa *sa, uint8_t protocol, uint32_t spi)
{
	uint8_t be[4] = {(uint8_t)(spi >> 24), (uint8_t)(spi >> 16), (uint8_t)(spi >> 8),
	                 (uint8_t)spi};

	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: sending DELETE for SPI %08x", sa->conn_id,
	           sa->peer, spi);
	return send_delete(e, sa, protocol, be, 4);
}

int info_send_notify_ipsec(struct ike_engine *e, struct ike_sa *sa, uint16_t type, uint8_t protocol,
                           uint32_t spi)
{
	uint8_t buf[INFO_BUF];
	struct msg_builder b;
	size_t hash_off, payload_off, off;

	if (sa->x == NULL || !sa->x->have_keys ||
	    begin_protected(sa, &b, buf, sizeof(buf), &hash_off) != 0)
		return -1;
	payload_off = b.len;
	off = msg_payload_begin(&b, ISAKMP_NP_N);
	msg_put_u32(&b, ISAKMP_DOI_IPSEC);
	msg_put_u8(&b, protocol);
	msg_put_u8(&b, spi != 0 ? 4 : 0);
	msg_put_u16(&b, type);
	if (spi != 0)
		msg_put_u32(&b, spi);
	msg_payload_end(&b, off);
	engine_log(e, IKE_LOG_INFO, "conn-id %u: sending notify %s (phase 2)", sa->conn_id,
	           isakmp_notify_name(type));
	return send_protected(e, sa, &b, hash_off, payload_off);
}

int info_open(struct ike_engine *e, struct ike_sa *sa, const uint8_t *dgram, size_t len,
              struct isakmp_msg *m, uint8_t *plain, size_t cap)
{
	struct ike_exchange *x = sa->x;
	struct ike_p1_keys *k;
	struct isakmp_hdr h;
	uint8_t iv[IKE_MAX_BLOCK_LEN], want[IKE_MAX_HASH_LEN], mid[4];
	const struct isakmp_payload *hp, *last;
	struct ike_chunk in[2];
	size_t n;

	(void)e;
	if (x == NULL || !x->have_keys || isakmp_hdr_parse(dgram, len, &h) != CODEC_OK)
		return -1;
	k = &x->keys;
	n = len - ISAKMP_HDR_LEN;
	if (n == 0 || n > cap || n % k->block_len != 0 || h.msgid == 0)
		return -1;
	memcpy(plain, dgram + ISAKMP_HDR_LEN, n);
	if (ike_msgid_iv(k, k->iv, h.msgid, iv) != 0 || ike_decrypt(k, iv, plain, n, iv) != 0)
		return -1;
	if (isakmp_payloads_parse(h.np, plain, n, true, m) != CODEC_OK)
		return -1;
	m->hdr = h;
	/* HASH(1) comes first and covers every payload after it, padding excluded */
	if (m->n < 2 || m->p[0].type != ISAKMP_NP_HASH || m->p[0].len != k->prf_len)
		return -1;
	hp = &m->p[0];
	last = &m->p[m->n - 1];
	memcpy(mid, dgram + 20, 4);
	in[0].ptr = mid;
	in[0].len = 4;
	in[1].ptr = hp->body + hp->len;
	in[1].len = (size_t)((last->body + last->len) - (hp->body + hp->len));
	if (ike_prf(k->hash, k->skeyid_a, k->prf_len, in, 2, want) != 0)
		return -1;
	return ike_memeq_ct(want, hp->body, hp->len) == 0 ? 0 : -1;
}

/* What a peer's error notify says about a negotiation. */
static enum ike_cause notify_cause(const struct ike_sa *sa, uint16_t type)
{
	bool keyed = sa->x != NULL && sa->x->have_keys;

	switch (type) {
	case ISAKMP_N_NO_PROPOSAL_CHOSEN:
		return IKE_CAUSE_NO_PROPOSAL_CHOSEN;
	case ISAKMP_N_INVALID_ID_INFORMATION:
		return IKE_CAUSE_ID_MISMATCH;
	case ISAKMP_N_INVALID_COOKIE:
		return IKE_CAUSE_INVALID_COOKIE;
	case ISAKMP_N_INVALID_KEY_INFORMATION:
		return IKE_CAUSE_INVALID_KE;
	case ISAKMP_N_PAYLOAD_MALFORMED:
	case ISAKMP_N_INVALID_HASH_INFORMATION:
	case ISAKMP_N_AUTHENTICATION_FAILED:
	case ISAKMP_N_INVALID_PAYLOAD_TYPE:
		/* after the key exchange these are how peers say "your MM5 is garbage" */
		return keyed ? IKE_CAUSE_KEY_MISMATCH : IKE_CAUSE_PEER_NOTIFY;
	default:
		return IKE_CAUSE_PEER_NOTIFY;
	}
}

/*
 * A responder's SA is established once it sent MM6 (an Aggressive Mode initiator's once it
 * sent AM3); a peer that refuses that last message (our certificate, our identity) can
 * only say so afterwards: an authentication error about the ISAKMP SA itself, not about a
 * Quick Mode.
 */
static bool sent_last_unanswered(const struct ike_sa *sa)
{
	if (sa->xf.auth == IKE_AUTH_PSK)
		return false;
	if (sa->exchange != ISAKMP_XCHG_AGGR)
		/* an MM6 is answered by the initiator's first Quick Mode */
		return sa->role == IKE_ROLE_RESPONDER && sa->children == NULL;
	/* our AM3 is followed by our own Quick Modes: answered once one has its reply */
	if (sa->role != IKE_ROLE_INITIATOR)
		return false;
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (c->state != IKE_CHILD_QM_I1)
			return false;
	return true;
}

static bool refuses_our_last(const struct ike_sa *sa, const struct isakmp_notify *n)
{
	if (!sent_last_unanswered(sa) || n->protocol != ISAKMP_PROTO_ISAKMP)
		return false;
	switch (n->type) {
	case ISAKMP_N_INVALID_ID_INFORMATION:
	case ISAKMP_N_INVALID_CERT_ENCODING:
	case ISAKMP_N_INVALID_CERTIFICATE:
	case ISAKMP_N_CERT_TYPE_UNSUPPORTED:
	case ISAKMP_N_INVALID_CERT_AUTHORITY:
	case ISAKMP_N_AUTHENTICATION_FAILED:
	case ISAKMP_N_INVALID_SIGNATURE:
	case ISAKMP_N_CERTIFICATE_UNAVAILABLE:
		return true;
	default:
		return false;
	}
}

static void take_notify(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_notify *n,
                        bool authenticated)
{
	enum ike_cause c;
	char detail[64];

	if (authenticated)
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: received authenticated notify %s",
		           sa->conn_id, sa->peer, isakmp_notify_name(n->type));
	else /* anyone who saw the cookies may send these */
		engine_log_limited(e, ENGINE_LOG_UNAUTH_INFO, IKE_LOG_INFO,
		                   "conn-id %u peer %s: received unauthenticated notify %s",
		                   sa->conn_id, sa->peer, isakmp_notify_name(n->type));
	if (n->type == DPD_N_R_U_THERE || n->type == DPD_N_R_U_THERE_ACK) {
		/* only under HASH(1), and only on an established SA */
		if (authenticated && sa->state == IKE_ST_ESTABLISHED)
			dpd_input(e, sa, n);
		return;
	}
	if (n->type > ISAKMP_N_ERROR_MAX)
		return; /* status notifies */
	if (sa->state == IKE_ST_ESTABLISHED && authenticated && refuses_our_last(sa, n)) {
		detail[0] = '\0';
		c = phase1_cert_refused(e, sa, n->type, IKE_CAUSE_PEER_NOTIFY, detail,
		                        sizeof(detail));
		if (detail[0] == '\0')
			snprintf(detail, sizeof(detail), "%s refused by peer: %s",
			         sa->exchange == ISAKMP_XCHG_AGGR ? "AM3" : "MM6",
			         isakmp_notify_name(n->type));
		engine_fail(e, sa, c, detail);
		return;
	}
	if (sa->state == IKE_ST_ESTABLISHED) {
		/* errors on an established ISAKMP SA are about phase 2 */
		if (authenticated)
			quick_notify(e, sa, n);
		return;
	}
	c = notify_cause(sa, n->type);
	detail[0] = '\0';
	if (sa->xf.auth != IKE_AUTH_PSK && sa->x != NULL && sa->x->have_keys)
		c = phase1_cert_refused(e, sa, n->type, c, detail, sizeof(detail));
	/* an error notify to our AM1: a responder that refuses Aggressive Mode (or our
	 * proposals) says so here -- Libreswan and strongSwan answer this way */
	if (sa->state == IKE_ST_AGGR_I1 && !(sa->x != NULL && sa->x->have_keys)) {
		snprintf(detail, sizeof(detail), "aggressive mode refused by the peer: %s",
		         isakmp_notify_name(n->type));
		engine_fail(e, sa, c, detail);
		return;
	}
	if (detail[0] == '\0')
		snprintf(detail, sizeof(detail), "refused by peer: %s",
		         isakmp_notify_name(n->type));
	if (authenticated ||
	    (n->type == ISAKMP_N_NO_PROPOSAL_CHOSEN && sa->state == IKE_ST_MAIN_I1)) {
		engine_fail(e, sa, c, detail);
		return;
	}
	engine_suspect(e, sa, c, detail);
}

/*
 * A DELETE of the ISAKMP SA right after our AM3 (within a retransmission span, before the
 * peer answered anything under it): charon refuses an AM3 whose certificate it cannot
 * verify this way, without a notify.  Fail the SA with what our own certificate tells,
 * else as refused (cert-untrusted).  Whether it was.
 */
static bool deletes_our_last(struct ike_engine *e, struct ike_sa *sa)
{
	struct timespec now;
	enum ike_cause c;
	char detail[64];

	if (sa->exchange != ISAKMP_XCHG_AGGR || !sent_last_unanswered(sa))
		return false;
	engine_now(&now);
	if (ts_diff_ms(&now, &sa->state_entered) >
	    (int64_t)ike_settings_retransmit_span_ms(&e->settings))
		return false;
	detail[0] = '\0';
	c = phase1_cert_refused(e, sa, 0, IKE_CAUSE_CERT_UNTRUSTED, detail, sizeof(detail));
	if (detail[0] == '\0')
		snprintf(detail, sizeof(detail),
		         "DELETE after our AM3: probable certificate refused");
	engine_fail(e, sa, c, detail);
	return true;
}

static void take_delete(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_delete *d,
                        bool authenticated)
{
	if (!authenticated) {
		engine_log_limited(e, ENGINE_LOG_UNAUTH_INFO, IKE_LOG_INFO,
		                   "conn-id %u: ignoring unauthenticated DELETE", sa->conn_id);
		return;
	}
	if (d->protocol != ISAKMP_PROTO_ISAKMP) {
		quick_peer_delete(e, sa, d);
		return;
	}
	for (uint16_t i = 0; i < d->n_spis; i++) {
		const uint8_t *spi = d->spis + (size_t)i * d->spi_len;

		if (d->spi_len != 16 || memcmp(spi, sa->icookie, 8) != 0 ||
		    memcmp(spi + 8, sa->rcookie, 8) != 0)
			continue;
		engine_log(e, IKE_LOG_NOTICE, "conn-id %u peer %s: deleted by the peer",
		           sa->conn_id, sa->peer);
		if (deletes_our_last(e, sa))
			return;
		engine_disarm(sa);
		/* the peer retires an SA a newer one of the peer replaced (rekey.c) */
		ike_sa_mark_deleted(e->sas, sa,
		                    sa->replaced_by != 0 ? IKE_CAUSE_REPLACED
		                                         : IKE_CAUSE_DELETED_BY_PEER);
		return;
	}
}

void info_input(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_msg *m,
                bool authenticated)
{
	for (size_t i = 0; i < m->n && sa->state != IKE_ST_DELETED; i++) {
		const struct isakmp_payload *p = &m->p[i];
		struct isakmp_notify n;
		struct isakmp_delete d;

		if (p->type == ISAKMP_NP_N) {
			if (isakmp_notify_parse(p->body, p->len, &n) != CODEC_OK) {
				sa->ctr.malformed++;
				continue;
			}
			take_notify(e, sa, &n, authenticated);
		} else if (p->type == ISAKMP_NP_D) {
			if (isakmp_delete_parse(p->body, p->len, &d) != CODEC_OK) {
				sa->ctr.malformed++;
				continue;
			}
			take_delete(e, sa, &d, authenticated);
		}
	}
}
