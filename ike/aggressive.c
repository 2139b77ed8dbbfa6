/*
 * aggressive.c - IKEv1 Aggressive Mode with a pre-shared key (RFC 2409 5.4) or with
 * signatures (5.1).
 *
 *   Initiator                            Responder
 *   HDR, SA, KE, Ni, IDii        -->                                     AM1
 *                                <--     HDR, SA, KE, Nr, IDir, HASH_R   AM2
 *   HDR*, HASH_I                 -->                                     AM3
 *
 *   HDR, SA, KE, Ni, IDii [, CR ...]  -->                                AM1
 *                  <--  HDR, SA, KE, Nr, IDir, [CERT ...,] SIG_R [, CR ...]  AM2
 *   HDR*, [CERT ...,] SIG_I      -->                                     AM3
 *
 * Three messages instead of six: the identities (and certificates) travel in the clear.
 * With a pre-shared key the responder also sends HASH_R -- a keyed hash of the key -- to
 * anyone who asks with a plausible IDii, and that hash can be attacked offline.  So a
 * responder answers only peers configured with `aggressive = yes`; the others get
 * NO-PROPOSAL-CHOSEN.  With signatures the certificates and signatures are checked as in
 * Main Mode (phase1_auth.c), each failure with its cause.  Because AM1
 * already carries the KE, the initiator offers only the proposals of one DH group (its
 * first proposal's).  AM3 goes encrypted, as strongSwan and Libreswan send it; either
 * form is accepted (RFC 2409 leaves it open).  NAT-D goes in AM2 and AM3 (RFC 3947 3.2).
 * Payload building, keys and the HASH checks are the ones Main Mode uses (main_mode.c,
 * phase1.c, phase1_auth.c).
 *
 * Dead Peer Detection and INITIAL-CONTACT (dpd.c) as in Main Mode: the DPD vendor ID
 * goes in AM1 and AM2; the initiator's AM3 carries INITIAL-CONTACT when it holds no
 * other SA with the peer.  The responder cannot say it: AM2 goes in the clear, and a
 * notify outside HASH_R could be added by anyone on the path, so an INITIAL-CONTACT is
 * believed only in an encrypted message (phase1_take_peer_auth).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "exchange.h"
#include "ike.h"

/* SA with 16 transforms, KE 512, ID, HASH or certificates and SIG, CERTREQs, VIDs, NAT-D */
#define MSG_BUF PHASE1_AUTH_BUF

static void aggr_hdr(const struct ike_sa *sa, struct isakmp_hdr *h, uint8_t flags)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, sa->icookie, 8);
	memcpy(h->rcookie, sa->rcookie, 8);
	h->version = ISAKMP_VERSION;
	h->exchange = ISAKMP_XCHG_AGGR;
	h->flags = flags;
}

/* A message of ours begun in a buffer of MSG_BUF bytes (the caller frees it); NULL when
 * out of memory. */
static uint8_t *aggr_begin(const struct ike_sa *sa, struct msg_builder *b, uint8_t flags)
{
	uint8_t *buf = malloc(MSG_BUF);
	struct isakmp_hdr h;

	if (buf != NULL) {
		aggr_hdr(sa, &h, flags);
		msg_init(b, buf, MSG_BUF, &h);
	}
	return buf;
}

/* p with only the proposals of its first proposal's DH group: what AM1 can offer. NULL
 * on out of memory; the caller wipes and frees it (it holds the key). */
static struct ike_peer_cfg *one_group(const struct ike_peer_cfg *p)
{
	struct ike_peer_cfg *c = malloc(sizeof(*c));
	size_t n = 0;

	if (c == NULL || p->n_ike == 0) {
		free(c);
		return NULL;
	}
	*c = *p;
	for (size_t i = 0; i < p->n_ike; i++)
		if (p->ike[i].group == p->ike[0].group)
			c->ike[n++] = p->ike[i];
	c->n_ike = n;
	return c;
}

static void drop_cfg(struct ike_peer_cfg *c)
{
	if (c == NULL)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* HDR, SA, KE, Ni, IDii --> once our key pair is made (aggr_I1_dh_done) */
int aggr_outI1(struct ike_engine *e, struct ike_sa *sa, const struct ike_peer_cfg *p)
{
	struct ike_exchange *x = engine_exchange(sa);
	uint8_t icookie[8];
	struct ike_dh_job *j;

	if (x == NULL || p->n_ike == 0 || phase1_cookie(icookie) != 0)
		return -1;
	ike_sa_set_icookie(e->sas, sa, icookie);
	sa->xf.group = p->ike[0].group; /* one_group's */
	/* AM2 must carry HASH_R or SIG_R (the row asks for the auth payload) */
	sa->xf.auth = ike_peer_auth(p);
	j = engine_dh_job(sa, DH_STEP_AGGR_I1, NULL, NULL, 0);
	if (j == NULL)
		return -1;
	j->inline_if_full = true;
	/* failed there: the SA carries its cause already */
	engine_dh_start(e, sa, j);
	return 0;
}

/* ... --> HDR, SA, KE, Ni, IDii with our key pair made */
enum ike_handler_result aggr_I1_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j)
{
	struct ike_exchange *x = sa->x;
	const struct ike_peer_cfg *p;
	struct ike_peer_cfg *offer = NULL;
	enum ike_handler_result r = phase1_take_job_ke(e, sa, j, x->gxi, x->ni, &x->ni_len, &p);
	uint8_t *buf = NULL;
	struct msg_builder b;
	size_t off, len;
	int ret = -1;

	if (r != IKE_R_OK)
		return r;
	/* the key pair stays for AM2's g^xy */
	ike_dh_free(x->dh);
	x->dh = j->dh;
	j->dh = NULL;
	offer = one_group(p);
	buf = aggr_begin(sa, &b, 0);
	if (offer == NULL || buf == NULL ||
	    phase1_put_sa(&b, offer, p->ike_lifetime, &off, &len) != 0 ||
	    phase1_keep_sai(x, buf + off, len) != 0)
		goto done;
	msg_payload(&b, ISAKMP_NP_KE, x->gxi, x->g_len);
	msg_payload(&b, ISAKMP_NP_NONCE, x->ni, x->ni_len);
	if (phase1_put_id(e->sas, sa, p, &b) != 0)
		goto done;
	if (sa->xf.auth != IKE_AUTH_PSK)
		phase1_put_certreq(&b, p);
	phase1_put_natt_vids(&b, NATT_NONE);
	dpd_put_vid(&b);
	ret = phase1_send(e, sa, buf, msg_finish(&b));
done:
	drop_cfg(offer);
	free(buf);
	if (ret == 0)
		return IKE_R_OK;
	engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending AM1");
	return IKE_R_FAIL;
}

static enum ike_handler_result refuse_am1(struct ike_engine *e, struct ike_sa *sa, uint16_t notify,
                                          enum ike_cause c, const char *detail)
{
	info_send_notify_plain(e, (const struct sockaddr *)&sa->local,
	                       (const struct sockaddr *)&sa->remote, sa->icookie, sa->rcookie,
	                       notify);
	engine_fail(e, sa, c, detail);
	return IKE_R_FAIL;
}

/* Take AM1's SA payload: the transform chosen, or the refusal. */
static enum ike_handler_result choose_am1(struct ike_engine *e, struct ike_sa *sa,
                                          const struct ike_peer_cfg *p, const struct isakmp_msg *m,
                                          uint8_t *num)
{
	const struct isakmp_payload *sap = isakmp_msg_find(m, ISAKMP_NP_SA, NULL);
	struct ike_sa_transform xf;
	char detail[sizeof(sa->cause_detail)];
	int r = phase1_choose(sap->body, sap->len, p, &xf, num);

	if (r == -2) {
		sa->ctr.malformed++;
		return refuse_am1(e, sa, ISAKMP_N_PAYLOAD_MALFORMED, IKE_CAUSE_MALFORMED,
		                  "in the peer's AM1 SA payload");
	}
	if (r != 0)
		return refuse_am1(e, sa, ISAKMP_N_NO_PROPOSAL_CHOSEN, IKE_CAUSE_NO_PROPOSAL_CHOSEN,
		                  r == -3 ? phase1_auth_refusal(xf.auth, p, detail, sizeof(detail))
		                          : "refused by us: no proposal of the peer's AM1 matches "
		                            "our ike =");
	if (phase1_keep_sai(sa->x, sap->body, sap->len) != 0 || phase1_cookie(sa->rcookie) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "answering AM1");
		return IKE_R_FAIL;
	}
	sa->xf = xf;
	return IKE_R_OK;
}

/* Take AM1's IDii: it must be the peer's identity; kept for HASH_I in AM3. */
static enum ike_handler_result take_idi(struct ike_engine *e, struct ike_sa *sa,
                                        const struct ike_peer_cfg *p, const struct isakmp_msg *m)
{
	const struct isakmp_payload *id = isakmp_msg_find(m, ISAKMP_NP_ID, NULL);
	struct ike_exchange *x = sa->x;
	struct ike_id got;
	char detail[sizeof(sa->cause_detail)];

	if (phase1_id_decode(id->body, id->len, &got) != 0) {
		sa->ctr.malformed++;
		return refuse_am1(e, sa, ISAKMP_N_PAYLOAD_MALFORMED, IKE_CAUSE_MALFORMED,
		                  "the peer's AM1 ID payload");
	}
	if (!phase1_id_acceptable(sa, p, &got)) {
		snprintf(detail, sizeof(detail), "refused by us: peer sent %.36s", got.value);
		return refuse_am1(e, sa, ISAKMP_N_INVALID_ID_INFORMATION, IKE_CAUSE_ID_MISMATCH,
		                  detail);
	}
	x->idi_b = malloc(id->len);
	if (x->idi_b == NULL) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "answering AM1");
		return IKE_R_FAIL;
	}
	memcpy(x->idi_b, id->body, id->len);
	x->idi_len = id->len;
	ike_sa_set_remote_id(e->sas, sa, &got);
	return IKE_R_OK;
}

/* The answer to AM1: HDR, SA, KE, Nr, IDir, HASH_R (or [CERT ...,] SIG_R [, CR ...]). */
static int send_am2(struct ike_engine *e, struct ike_sa *sa, const struct ike_peer_cfg *p,
                    uint8_t num)
{
	struct ike_exchange *x = sa->x;
	struct msg_builder b;
	uint8_t *buf = aggr_begin(sa, &b, 0);
	int ret = -1;

	if (buf == NULL)
		return -1;
	if (phase1_put_sa_reply(&b, &sa->xf, num) != 0)
		goto done;
	msg_payload(&b, ISAKMP_NP_KE, x->gxr, x->g_len);
	msg_payload(&b, ISAKMP_NP_NONCE, x->nr, x->nr_len);
	if (phase1_put_auth(e->sas, sa, p, &b) != 0) /* IDir, HASH_R or [CERT,] SIG_R */
		goto done;
	if (sa->xf.auth != IKE_AUTH_PSK)
		phase1_put_certreq(&b, p);
	if (sa->natt_version != NATT_NONE) {
		phase1_put_natt_vids(&b, sa->natt_version);
		phase1_put_nat_d(&b, sa);
	}
	dpd_put_vid(&b);
	ret = phase1_send(e, sa, buf, msg_finish(&b));
done:
	free(buf);
	return ret;
}

/* HDR, SA, KE, Ni, IDii --> HDR, SA, KE, Nr, IDir, HASH_R (or [CERT,] SIG_R) */
enum ike_handler_result aggr_inI1_outR1(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	struct ike_exchange *x = engine_exchange(sa);
	struct ike_dh_job *j;
	enum ike_handler_result r;
	uint8_t num = 0;
	enum ike_cause c;

	if (p == NULL || x == NULL) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "no peer or memory for AM1");
		return IKE_R_FAIL;
	}
	if (!p->aggressive) {
		engine_log(e, IKE_LOG_NOTICE,
		           "conn-id %u peer %s: Aggressive Mode refused (aggressive = no)",
		           sa->conn_id, sa->peer);
		return refuse_am1(e, sa, ISAKMP_N_NO_PROPOSAL_CHOSEN, IKE_CAUSE_NO_PROPOSAL_CHOSEN,
		                  "refused by us: Aggressive Mode is off (aggressive = no)");
	}
	r = choose_am1(e, sa, p, m, &num);
	if (r != IKE_R_OK)
		return r;
	r = take_idi(e, sa, p, m);
	if (r != IKE_R_OK)
		return r;
	sa->natt_version = phase1_natt_version(m);
	sa->dpd_peer = dpd_peer_announces(m);
	c = phase1_take_ke_nonce(sa, m, x->gxi, x->ni, &x->ni_len);
	if (c != IKE_CAUSE_NONE)
		return phase1_reject_ke(e, sa, c, "in the peer's AM1");
	if (isakmp_msg_find(m, ISAKMP_NP_CR, NULL) != NULL)
		x->certreq_seen = true;
	/* our key pair and g^xy, on a worker when there are some: aggr_R1_dh_done goes on */
	j = engine_dh_job(sa, DH_STEP_AGGR_R1, NULL, x->gxi, x->g_len);
	if (j != NULL)
		j->arg = num;
	return engine_dh_start(e, sa, j);
}

/* ... --> HDR, SA, KE, Nr, IDir, HASH_R (or [CERT,] SIG_R) with our key pair and g^xy */
enum ike_handler_result aggr_R1_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        const struct ike_dh_job *j)
{
	const struct ike_peer_cfg *p;
	enum ike_handler_result r = phase1_take_job_responder(e, sa, j, "AM1", &p);

	if (r != IKE_R_OK)
		return r;
	if (send_am2(e, sa, p, (uint8_t)j->arg) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending AM2");
		return IKE_R_FAIL;
	}
	ike_sa_set_state(e->sas, sa, IKE_ST_AGGR_R1);
	/* the initiator has shown it is alive (AM1): if AM3 does not come, it could not
	 * verify our HASH_R -- the cause a stall at AG_INIT_EXCH shows until then.  With
	 * signatures an initiator that refuses ours says so (a notify, at once): a guess
	 * here would only hide its cause, so the guess waits for the timeout */
	if (sa->xf.auth == IKE_AUTH_PSK)
		engine_suspect(e, sa, IKE_CAUSE_KEY_MISMATCH,
		               "no AM3 after our AM2: probable key mismatch at peer");
	return IKE_R_OK;
}

/* AM2's SA payload against what AM1 offered. IKE_R_OK, or what the handler returns. */
static enum ike_handler_result check_am2_sa(struct ike_engine *e, struct ike_sa *sa,
                                            const struct ike_peer_cfg *p,
                                            const struct isakmp_msg *m)
{
	const struct isakmp_payload *sap = isakmp_msg_find(m, ISAKMP_NP_SA, NULL);
	struct ike_peer_cfg *offer = one_group(p);
	int r = offer != NULL ? phase1_check_reply(sap->body, sap->len, offer, &sa->xf) : -3;

	drop_cfg(offer);
	if (r == -2) {
		sa->ctr.malformed++;
		engine_suspect(e, sa, IKE_CAUSE_MALFORMED, "in the peer's AM2");
		return IKE_R_IGNORE;
	}
	if (r == -1) {
		engine_fail(e, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN,
		            "the peer chose a transform we did not offer");
		return IKE_R_FAIL;
	}
	if (r != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "out of memory checking AM2");
		return IKE_R_FAIL;
	}
	return IKE_R_OK;
}

/*
 * An AM2 whose HASH_R did not verify is forgotten: its keys wiped, the responder's
 * cookie cleared, our DH key kept, so that the real AM2 (a forged one may come first:
 * AM1 went in the clear) still gets through.  The evidence stays (saw_undecryptable,
 * the suspected key mismatch) for the timeout to report.
 */
static void forget_am2(struct ike_sa *sa)
{
	struct ike_exchange *x = sa->x;

	ike_p1_keys_wipe(&x->keys);
	x->have_keys = false;
	memset(sa->rcookie, 0, sizeof(sa->rcookie));
}

/* Our AM3: HDR*, HASH_I (or [CERT ...,] SIG_I), over AM1's IDii. */
static int send_am3(struct ike_engine *e, struct ike_sa *sa, const struct ike_peer_cfg *p)
{
	struct msg_builder b;
	uint8_t *buf = aggr_begin(sa, &b, ISAKMP_FLAG_ENC);
	int ret = -1;

	if (buf == NULL)
		return -1;
	if (phase1_put_proof(sa, p, &b) == 0) {
		if (sa->natt_version != NATT_NONE)
			phase1_put_nat_d(&b, sa);
		/* INITIAL-CONTACT when we hold no other SA with the peer (RFC 2407 4.6.3.3) */
		if (ic_wanted(e, sa)) {
			ic_put(&b, sa);
			engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: AM3 with INITIAL-CONTACT",
			           sa->conn_id, sa->peer);
		}
		ret = phase1_send_encrypted(e, sa, &b);
	}
	free(buf);
	return ret;
}

/* ... then HDR*, HASH_I (or SIG_I) --> with g^xy; m is AM2 */
static enum ike_handler_result aggr_I2_go_on(struct ike_engine *e, struct ike_sa *sa,
                                             struct ike_dh_job *j, const struct isakmp_msg *m)
{
	struct ike_exchange *x = sa->x;
	const struct ike_peer_cfg *p;
	enum ike_handler_result r;

	ike_dh_free(x->dh);
	x->dh = j->dh;
	j->dh = NULL;
	if (j->status != 0 || phase1_keys_from_secret(e, sa, j->secret, j->secret_len) != 0) {
		ike_dh_free(x->dh);
		x->dh = NULL;
		return phase1_reject_ke(e, sa, IKE_CAUSE_INVALID_KE,
		                        "the peer's AM2 KE is not usable");
	}
	/* HASH_R: a wrong one leaves the SA waiting; its timeout says key-mismatch.  SIG_R
	 * and its certificate: a refusal is final, with its cause, told to the peer */
	r = phase1_take_peer_auth(e, sa, m, sa->xf.auth == IKE_AUTH_PSK ? "AM2 (HASH_R)" : "AM2",
	                          &p);
	if (r != IKE_R_OK) {
		if (r == IKE_R_IGNORE && engine_sa_alive(sa))
			forget_am2(sa);
		return r;
	}
	ike_dh_free(x->dh);
	x->dh = NULL;
	phase1_take_nat_d(e, sa, m);
	if (sa->nat_local || sa->nat_remote)
		engine_float(e, sa); /* RFC 3947 4: AM3 goes to port 4500 */
	if (send_am3(e, sa, p) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending AM3");
		return IKE_R_FAIL;
	}
	phase1_established(e, sa, IKE_ST_AGGR_I2);
	return IKE_R_OK;
}

/* HDR, SA, KE, Nr, IDir, HASH_R (or [CERT,] SIG_R) <-- ; then HDR*, HASH_I (or SIG_I) --> */
enum ike_handler_result aggr_inR1_outI2(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	struct ike_exchange *x = sa->x;
	struct ike_dh_job *j;
	enum ike_handler_result r;
	enum ike_cause c;

	if (p == NULL) {
		engine_fail(e, sa, IKE_CAUSE_CONFIG_REMOVED, "peer gone while negotiating");
		return IKE_R_FAIL;
	}
	r = check_am2_sa(e, sa, p, m);
	if (r != IKE_R_OK)
		return r;
	memcpy(sa->rcookie, m->hdr.rcookie, 8);
	sa->natt_version = phase1_natt_version(m);
	sa->dpd_peer = dpd_peer_announces(m);
	c = phase1_take_ke_nonce(sa, m, x->gxr, x->nr, &x->nr_len);
	if (c != IKE_CAUSE_NONE)
		return phase1_reject_ke(e, sa, c, "in the peer's AM2");
	/* g^xy with our key pair, on a worker when there are some: the job hands the key
	 * pair back (kept until HASH_R verifies: see forget_am2), and aggr_I2_dh_done takes
	 * AM2 again from the copy dispatch.c keeps of it */
	j = engine_dh_job(sa, DH_STEP_AGGR_I2, x->dh, x->gxr, x->g_len);
	x->dh = NULL;
	if (j != NULL)
		j->keep_dh = true;
	/* a full pool drops AM2: our AM1's retransmission brings it again */
	if (j == NULL || engine_dh_async(e))
		return engine_dh_start(e, sa, j);
	engine_dh_run_here(e, j);
	r = aggr_I2_go_on(e, sa, j, m);
	ike_dh_job_free(j);
	return r;
}

/* AM2's g^xy from a worker: AM2 again from the copy dispatch.c kept (it is in the clear) */
enum ike_handler_result aggr_I2_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j)
{
	struct isakmp_msg *m = malloc(sizeof(*m));
	struct ike_retx *rt = &sa->x->rt;
	enum ike_handler_result r;

	if (m == NULL || rt->last_in == NULL ||
	    isakmp_msg_parse(rt->last_in, rt->last_in_len, m) != CODEC_OK) {
		free(m);
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "taking AM2 again");
		return IKE_R_FAIL;
	}
	r = aggr_I2_go_on(e, sa, j, m);
	free(m);
	return r;
}

/* HDR*, HASH_I (or [CERT,] SIG_I) --> (they cover AM1's IDii, kept since) */
enum ike_handler_result aggr_inI2(struct ike_engine *e, struct ike_sa *sa,
                                  const struct isakmp_msg *m)
{
	struct isakmp_msg *with_id = malloc(sizeof(*with_id));
	const struct ike_peer_cfg *p = NULL;
	enum ike_handler_result r = IKE_R_IGNORE;
	size_t n = 0;

	if (with_id == NULL)
		return IKE_R_IGNORE;
	/* the checks of phase1_auth.c read the peer's ID from the message: give it AM1's */
	with_id->hdr = m->hdr;
	for (size_t i = 0; i < m->n && n + 1 < ISAKMP_MAX_PAYLOADS; i++)
		if (m->p[i].type != ISAKMP_NP_ID)
			with_id->p[n++] = m->p[i];
	with_id->p[n].type = ISAKMP_NP_ID;
	with_id->p[n].body = sa->x->idi_b;
	with_id->p[n].len = sa->x->idi_len;
	with_id->n = n + 1;
	if (sa->x->idi_b == NULL)
		goto done;
	r = phase1_take_peer_auth(e, sa, with_id,
	                          sa->xf.auth == IKE_AUTH_PSK ? "AM3 (HASH_I)" : "AM3", &p);
	if (r != IKE_R_OK)
		goto done;
	phase1_take_nat_d(e, sa, m);
	phase1_established(e, sa, IKE_ST_AGGR_R2);
done:
	free(with_id);
	return r;
}

enum ike_cause aggr_timeout_cause(const struct ike_sa *sa, char *detail, size_t len)
{
	bool undecryptable = sa->x != NULL && sa->x->saw_undecryptable;

	switch (sa->state) {
	case IKE_ST_AGGR_I1:
		if (undecryptable) {
			snprintf(detail, len,
			         "cannot verify the peer's HASH_R: pre-shared key mismatch");
			return IKE_CAUSE_KEY_MISMATCH;
		}
		snprintf(detail, len, "no reply to AM1");
		return IKE_CAUSE_PEER_SILENT;
	case IKE_ST_AGGR_R1:
		if (undecryptable) {
			snprintf(detail, len, "the peer's AM3 does not decrypt or authenticate");
			return IKE_CAUSE_KEY_MISMATCH;
		}
		if (sa->xf.auth != IKE_AUTH_PSK) {
			/* no key to differ: an initiator that refused our certificate and
			 * said nothing looks like this */
			snprintf(detail, len,
			         "no AM3 after our AM2: probable certificate or identity refused "
			         "by the peer");
			return IKE_CAUSE_CERT_UNTRUSTED;
		}
		/* an initiator that cannot verify our HASH_R goes quiet */
		snprintf(detail, len, "no AM3 after our AM2: probable key mismatch at peer");
		return IKE_CAUSE_KEY_MISMATCH;
	default:
		snprintf(detail, len, "in %s", ike_state_row(sa->state)->name);
		return IKE_CAUSE_RETRY_LIMIT;
	}
}
