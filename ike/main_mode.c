/*
 * main_mode.c - IKEv1 Main Mode with pre-shared keys (RFC 2409 5.4) or signatures (5.1).
 *
 *   Initiator                          Responder
 *   HDR, SA                   -->                      MM1
 *                             <--      HDR, SA         MM2
 *   HDR, KE, Ni [, CR ...]    -->                      MM3
 *                             <--      HDR, KE, Nr [, CR ...]   MM4
 *   HDR*, IDii, HASH_I        -->                      MM5 (pre-shared key)
 *   HDR*, IDii, [CERT,] SIG_I -->                      MM5 (signatures)
 *                             <--      HDR*, IDir, HASH_R       MM6
 *                             <--      HDR*, IDir, [CERT,] SIG_R
 *
 * The payloads of MM5 and MM6 and their checks are phase1_auth.c's.
 * Each handler is named after the message it takes and the one it sends (Libreswan's
 * habit) and runs only after the dispatcher has checked the message against its state's
 * row: exchange type, encryption, required payloads.  Encrypted messages arrive
 * decrypted; the IV that follows them is in x->rx_iv until the message is accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "exchange.h"
#include "ike.h"

#define MSG_BUF 4096 /* largest phase-1 message we build: SA with 16 transforms, KE 512 */

static void main_hdr(const struct ike_sa *sa, struct isakmp_hdr *h, uint8_t flags)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, sa->icookie, 8);
	memcpy(h->rcookie, sa->rcookie, 8);
	h->version = ISAKMP_VERSION;
	h->exchange = ISAKMP_XCHG_IDPROT;
	h->flags = flags;
}

/* Initiators retransmit on a timer; responders answer retransmissions and wait. */
int phase1_send(struct ike_engine *e, struct ike_sa *sa, uint8_t *buf, size_t len)
{
	if (len == 0)
		return -1;
	if (sa->role == IKE_ROLE_INITIATOR)
		return engine_send(e, sa, buf, len, true);
	if (engine_send(e, sa, buf, len, false) != 0)
		return -1;
	engine_wait_peer(e, sa);
	return 0;
}

/* Encrypt everything after the header with the phase-1 IV chain, then send. */
int phase1_send_encrypted(struct ike_engine *e, struct ike_sa *sa, struct msg_builder *b)
{
	struct ike_exchange *x = sa->x;
	size_t len = msg_finish(b), enc_len;

	if (len == 0 || len + x->keys.block_len > b->cap)
		return -1;
	if (ike_encrypt(&x->keys, x->keys.iv, b->buf + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN,
	                &enc_len, x->keys.iv) != 0)
		return -1;
	len = ISAKMP_HDR_LEN + enc_len;
	isakmp_hdr_set_length(b->buf, len);
	return phase1_send(e, sa, b->buf, len);
}

int phase1_keep_sai(struct ike_exchange *x, const uint8_t *body, size_t len)
{
	free(x->sai_b);
	x->sai_b = malloc(len);
	if (x->sai_b == NULL)
		return -1;
	memcpy(x->sai_b, body, len);
	x->sai_len = len;
	return 0;
}

int main_outI1(struct ike_engine *e, struct ike_sa *sa, const struct ike_peer_cfg *p)
{
	struct ike_exchange *x = engine_exchange(sa);
	uint8_t buf[MSG_BUF], icookie[8];
	struct msg_builder b;
	struct isakmp_hdr h;
	size_t off, len;

	if (x == NULL || phase1_cookie(icookie) != 0)
		return -1;
	ike_sa_set_icookie(e->sas, sa, icookie);
	main_hdr(sa, &h, 0);
	msg_init(&b, buf, sizeof(buf), &h);
	if (phase1_put_sa(&b, p, p->ike_lifetime, &off, &len) != 0)
		return -1;
	if (phase1_keep_sai(x, buf + off, len) != 0)
		return -1;
	phase1_put_natt_vids(&b, NATT_NONE);
	dpd_put_vid(&b);
	return phase1_send(e, sa, buf, msg_finish(&b));
}

/* HDR, SA --> HDR, SA */
enum ike_handler_result main_inI1_outR1(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	const struct isakmp_payload *sap = isakmp_msg_find(m, ISAKMP_NP_SA, NULL);
	/* half-open: the head only (the key exchange part comes with MM3), no DH */
	struct ike_exchange *x = engine_exchange_head(sa);
	struct ike_sa_transform xf;
	uint8_t buf[MSG_BUF], num = 0;
	char detail[sizeof(sa->cause_detail)];
	struct msg_builder b;
	struct isakmp_hdr h;
	int r;

	if (p == NULL || x == NULL) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "no peer or memory for MM1");
		return IKE_R_FAIL;
	}
	r = phase1_choose(sap->body, sap->len, p, &xf, &num);
	if (r == -2) {
		sa->ctr.malformed++;
		info_send_notify_plain(e, (const struct sockaddr *)&sa->local,
		                       (const struct sockaddr *)&sa->remote, sa->icookie,
		                       sa->rcookie, ISAKMP_N_PAYLOAD_MALFORMED);
		engine_fail(e, sa, IKE_CAUSE_MALFORMED, "in the peer's MM1 SA payload");
		return IKE_R_FAIL;
	}
	if (r == -1 || r == -3) {
		info_send_notify_plain(e, (const struct sockaddr *)&sa->local,
		                       (const struct sockaddr *)&sa->remote, sa->icookie,
		                       sa->rcookie, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		engine_fail(e, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN,
		            r == -3 ? phase1_auth_refusal(xf.auth, p, detail, sizeof(detail))
		                    : "refused by us: no proposal of the peer matches our ike =");
		return IKE_R_FAIL;
	}
	if (phase1_keep_sai(x, sap->body, sap->len) != 0 || phase1_cookie(sa->rcookie) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "answering MM1");
		return IKE_R_FAIL;
	}
	sa->xf = xf;
	sa->natt_version = phase1_natt_version(m);
	sa->dpd_peer = dpd_peer_announces(m);
	main_hdr(sa, &h, 0);
	msg_init(&b, buf, sizeof(buf), &h);
	if (sa->natt_version != NATT_NONE)
		phase1_put_natt_vids(&b, sa->natt_version);
	dpd_put_vid(&b);
	if (phase1_put_sa_reply(&b, &xf, num) != 0 ||
	    phase1_send(e, sa, buf, msg_finish(&b)) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending MM2");
		return IKE_R_FAIL;
	}
	ike_sa_set_state(e->sas, sa, IKE_ST_MAIN_R1);
	return IKE_R_OK;
}

/* Take the peer's KE and nonce; 0, or the cause that rejects them. */
enum ike_cause phase1_take_ke_nonce(struct ike_sa *sa, const struct isakmp_msg *m, uint8_t *theirs,
                                    uint8_t *nonce, size_t *nonce_len)
{
	const struct isakmp_payload *ke = isakmp_msg_find(m, ISAKMP_NP_KE, NULL);
	const struct isakmp_payload *no = isakmp_msg_find(m, ISAKMP_NP_NONCE, NULL);
	size_t want = ike_dh_public_len(sa->xf.group);

	/* a KE of the wrong length is the other group's, or a missed zero pad */
	if (want == 0 || ke->len != want)
		return IKE_CAUSE_INVALID_KE;
	if (no->len < IKE_NONCE_MIN || no->len > IKE_NONCE_MAX)
		return IKE_CAUSE_MALFORMED;
	memcpy(theirs, ke->body, want);
	sa->x->g_len = want; /* ours is as long */
	memcpy(nonce, no->body, no->len);
	*nonce_len = no->len;
	return IKE_CAUSE_NONE;
}

/*
 * SKEYID and the rest of the keys from g^xy:
 *   pre-shared key  SKEYID = prf(pre-shared-key, Ni_b | Nr_b)
 *   signatures      SKEYID = prf(Ni_b | Nr_b, g^xy)
 */
int phase1_keys_from_secret(struct ike_engine *e, struct ike_sa *sa, const uint8_t *gxy,
                            size_t gxy_len)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	struct ike_exchange *x = sa->x;

	if (p == NULL || gxy_len == 0)
		return -1;
	x->keys.hash = sa->xf.hash;
	x->keys.encr = sa->xf.encr;
	x->keys.auth_hash = phase1_auth_hash(sa->xf.auth);
	if (sa->xf.auth == IKE_AUTH_PSK
	        ? ike_skeyid_psk(sa->xf.hash, p->psk, p->psk_len, x->ni, x->ni_len, x->nr,
	                         x->nr_len, x->keys.skeyid) != 0
	        : ike_skeyid_sig(sa->xf.hash, x->ni, x->ni_len, x->nr, x->nr_len, gxy, gxy_len,
	                         x->keys.skeyid) != 0)
		return -1;
	if (ike_p1_keys_derive(&x->keys, sa->xf.keylen, gxy, gxy_len, sa->icookie, sa->rcookie,
	                       x->gxi, x->g_len, x->gxr, x->g_len) != 0)
		return -1;
	x->have_keys = true;
	return 0;
}

/*
 * A DH job's second half begins here: the peer's configuration (still there?), our public
 * value from the job into mine, a fresh nonce.  IKE_R_OK and *pp, or the SA failed.
 */
enum ike_handler_result phase1_take_job_ke(struct ike_engine *e, struct ike_sa *sa,
                                           const struct ike_dh_job *j, uint8_t *mine,
                                           uint8_t *nonce, size_t *nonce_len,
                                           const struct ike_peer_cfg **pp)
{
	struct ike_exchange *x = sa->x;

	*pp = engine_peer_cfg(e, sa->peer);
	if (*pp == NULL) {
		engine_fail(e, sa, IKE_CAUSE_CONFIG_REMOVED, "peer gone while negotiating");
		return IKE_R_FAIL;
	}
	if (j->status == -1 || j->pub_len == 0 || j->pub_len > IKE_DH_MAX_LEN)
		goto fail;
	x->g_len = j->pub_len;
	memcpy(mine, j->pub, j->pub_len);
	*nonce_len = IKE_NONCE_LEN;
	if (ike_random(nonce, IKE_NONCE_LEN) == 0)
		return IKE_R_OK;
fail:
	engine_fail(e, sa, IKE_CAUSE_INTERNAL, "making our key exchange");
	return IKE_R_FAIL;
}

/* A responder's DH job (which: "MM3", "AM1"): our KE and nonce, then SKEYID and the rest. */
enum ike_handler_result phase1_take_job_responder(struct ike_engine *e, struct ike_sa *sa,
                                                  const struct ike_dh_job *j, const char *which,
                                                  const struct ike_peer_cfg **pp)
{
	struct ike_exchange *x = sa->x;
	enum ike_handler_result r = phase1_take_job_ke(e, sa, j, x->gxr, x->nr, &x->nr_len, pp);
	char detail[64];

	if (r != IKE_R_OK)
		return r;
	if (j->status == 0 && phase1_keys_from_secret(e, sa, j->secret, j->secret_len) == 0)
		return IKE_R_OK;
	snprintf(detail, sizeof(detail), "the peer's %s KE is not usable", which);
	return phase1_reject_ke(e, sa, IKE_CAUSE_INVALID_KE, detail);
}

/* Fail the SA for a KE/nonce problem, telling the peer where the RFC has a notify. */
enum ike_handler_result phase1_reject_ke(struct ike_engine *e, struct ike_sa *sa, enum ike_cause c,
                                         const char *msg)
{
	if (c == IKE_CAUSE_INVALID_KE)
		info_send_notify_plain(e, (const struct sockaddr *)&sa->local,
		                       (const struct sockaddr *)&sa->remote, sa->icookie,
		                       sa->rcookie, ISAKMP_N_INVALID_KEY_INFORMATION);
	else
		sa->ctr.malformed++;
	engine_fail(e, sa, c, msg);
	return IKE_R_FAIL;
}

/* HDR, SA <-- HDR, SA; then HDR, KE, Ni --> */
enum ike_handler_result main_inR1_outI2(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	const struct isakmp_payload *sap = isakmp_msg_find(m, ISAKMP_NP_SA, NULL);
	int r;

	if (p == NULL) {
		engine_fail(e, sa, IKE_CAUSE_CONFIG_REMOVED, "peer gone while negotiating");
		return IKE_R_FAIL;
	}
	r = phase1_check_reply(sap->body, sap->len, p, &sa->xf);
	if (r == -2) {
		sa->ctr.malformed++;
		engine_suspect(e, sa, IKE_CAUSE_MALFORMED, "in the peer's MM2");
		return IKE_R_IGNORE;
	}
	if (r == -1) {
		engine_fail(e, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN,
		            "the peer chose a transform we did not offer");
		return IKE_R_FAIL;
	}
	memcpy(sa->rcookie, m->hdr.rcookie, 8);
	sa->natt_version = phase1_natt_version(m);
	sa->dpd_peer = dpd_peer_announces(m);
	/* our key pair, on a worker when there are some: main_I2_dh_done goes on */
	return engine_dh_start(e, sa, engine_dh_job(sa, DH_STEP_MAIN_I2, NULL, NULL, 0));
}

/* ... HDR, KE, Ni --> with the key pair made */
enum ike_handler_result main_I2_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        struct ike_dh_job *j)
{
	struct ike_exchange *x = sa->x;
	const struct ike_peer_cfg *p;
	enum ike_handler_result r = phase1_take_job_ke(e, sa, j, x->gxi, x->ni, &x->ni_len, &p);
	uint8_t buf[MSG_BUF];
	struct msg_builder b;
	struct isakmp_hdr h;

	if (r != IKE_R_OK)
		return r;
	ike_dh_free(x->dh);
	x->dh = j->dh; /* kept for MM4 */
	j->dh = NULL;
	main_hdr(sa, &h, 0);
	msg_init(&b, buf, sizeof(buf), &h);
	msg_payload(&b, ISAKMP_NP_KE, x->gxi, x->g_len);
	msg_payload(&b, ISAKMP_NP_NONCE, x->ni, x->ni_len);
	if (sa->xf.auth != IKE_AUTH_PSK)
		phase1_put_certreq(&b, p);
	if (sa->natt_version != NATT_NONE)
		phase1_put_nat_d(&b, sa);
	if (phase1_send(e, sa, buf, msg_finish(&b)) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending MM3");
		return IKE_R_FAIL;
	}
	ike_sa_set_state(e->sas, sa, IKE_ST_MAIN_I2);
	return IKE_R_OK;
}

/* NAT-D of MM3 or MM4: what a NAT did to the addresses (RFC 3947 3.2). */
void phase1_take_nat_d(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_msg *m)
{
	if (sa->natt_version == NATT_NONE)
		return;
	if (phase1_detect_nat(sa, m) != 0) {
		/* a peer that announced NAT-T and sent no NAT-D: assume none */
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: no usable NAT-D payloads",
		           sa->conn_id, sa->peer);
		return;
	}
	if (sa->nat_local || sa->nat_remote)
		engine_log(e, IKE_LOG_NOTICE, "conn-id %u peer %s: NAT detected (%s%s%s)",
		           sa->conn_id, sa->peer, sa->nat_local ? "in front of us" : "",
		           sa->nat_local && sa->nat_remote ? ", " : "",
		           sa->nat_remote ? "in front of the peer" : "");
}

/* HDR, KE, Ni --> HDR, KE, Nr */
enum ike_handler_result main_inI2_outR2(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m)
{
	/* no longer half-open: the key exchange part of the state, now */
	struct ike_exchange *x = engine_exchange(sa);
	enum ike_cause c;

	if (x == NULL) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "no memory for MM3");
		return IKE_R_FAIL;
	}
	c = phase1_take_ke_nonce(sa, m, x->gxi, x->ni, &x->ni_len);
	if (c != IKE_CAUSE_NONE)
		return phase1_reject_ke(e, sa, c, "in the peer's MM3");
	phase1_take_nat_d(e, sa, m);
	if (isakmp_msg_find(m, ISAKMP_NP_CR, NULL) != NULL)
		x->certreq_seen = true;
	/* our key pair and g^xy, on a worker when there are some: main_R2_dh_done goes on */
	return engine_dh_start(e, sa, engine_dh_job(sa, DH_STEP_MAIN_R2, NULL, x->gxi, x->g_len));
}

/* ... --> HDR, KE, Nr with our key pair and g^xy */
enum ike_handler_result main_R2_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        const struct ike_dh_job *j)
{
	struct ike_exchange *x = sa->x;
	const struct ike_peer_cfg *p;
	enum ike_handler_result r = phase1_take_job_responder(e, sa, j, "MM3", &p);
	uint8_t buf[MSG_BUF];
	struct msg_builder b;
	struct isakmp_hdr h;

	if (r != IKE_R_OK)
		return r;
	main_hdr(sa, &h, 0);
	msg_init(&b, buf, sizeof(buf), &h);
	msg_payload(&b, ISAKMP_NP_KE, x->gxr, x->g_len);
	msg_payload(&b, ISAKMP_NP_NONCE, x->nr, x->nr_len);
	if (sa->xf.auth != IKE_AUTH_PSK)
		phase1_put_certreq(&b, p);
	if (sa->natt_version != NATT_NONE)
		phase1_put_nat_d(&b, sa);
	if (phase1_send(e, sa, buf, msg_finish(&b)) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending MM4");
		return IKE_R_FAIL;
	}
	ike_sa_set_state(e->sas, sa, IKE_ST_MAIN_R2);
	return IKE_R_OK;
}

/* Our MM5 or MM6: ID and HASH, or ID, [CERT ...] and SIG (phase1_auth.c), encrypted. */
static int send_id_auth(struct ike_engine *e, struct ike_sa *sa, const struct ike_peer_cfg *p)
{
	uint8_t *buf = malloc(PHASE1_AUTH_BUF);
	struct msg_builder b;
	struct isakmp_hdr h;
	int ret = -1;

	if (buf == NULL)
		return -1;
	main_hdr(sa, &h, ISAKMP_FLAG_ENC);
	msg_init(&b, buf, PHASE1_AUTH_BUF, &h);
	if (phase1_put_auth(e->sas, sa, p, &b) == 0) {
		/*
		 * MM5 or MM6: INITIAL-CONTACT when we hold no other SA with the peer (RFC 2407
		 * 4.6.3.3).  The responder says it too: a peer that kept SAs across our restart
		 * and initiates again before they expire would otherwise keep them.
		 */
		if (ic_wanted(e, sa)) {
			ic_put(&b, sa);
			engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: %s with INITIAL-CONTACT",
			           sa->conn_id, sa->peer,
			           sa->role == IKE_ROLE_INITIATOR ? "MM5" : "MM6");
		}
		ret = phase1_send_encrypted(e, sa, &b);
	}
	free(buf);
	return ret;
}

/* HDR, KE, Nr <-- HDR, KE, Nr; then HDR*, IDii, HASH_I (or [CERT,] SIG_I) --> */
enum ike_handler_result main_inR2_outI3(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m)
{
	struct ike_exchange *x = sa->x;
	struct ike_dh *dh = x->dh;
	enum ike_cause c;

	if (dh == NULL) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "no key pair of ours for MM4");
		return IKE_R_FAIL;
	}
	c = phase1_take_ke_nonce(sa, m, x->gxr, x->nr, &x->nr_len);
	if (c != IKE_CAUSE_NONE)
		return phase1_reject_ke(e, sa, c, "in the peer's MM4");
	phase1_take_nat_d(e, sa, m);
	if (isakmp_msg_find(m, ISAKMP_NP_CR, NULL) != NULL)
		x->certreq_seen = true;
	/* g^xy, on a worker when there are some (the key pair goes with the job):
	 * main_I3_dh_done goes on */
	x->dh = NULL;
	return engine_dh_start(e, sa, engine_dh_job(sa, DH_STEP_MAIN_I3, dh, x->gxr, x->g_len));
}

/* ... HDR*, IDii, HASH_I (or [CERT,] SIG_I) --> with g^xy */
enum ike_handler_result main_I3_dh_done(struct ike_engine *e, struct ike_sa *sa,
                                        const struct ike_dh_job *j)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);

	if (p == NULL || j->status != 0 ||
	    phase1_keys_from_secret(e, sa, j->secret, j->secret_len) != 0)
		return phase1_reject_ke(e, sa, IKE_CAUSE_INVALID_KE,
		                        "the peer's MM4 KE is not usable");
	/* RFC 3947 4: behind a NAT the initiator moves to port 4500 for MM5 */
	if (sa->nat_local || sa->nat_remote)
		engine_float(e, sa);
	if (send_id_auth(e, sa, p) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending MM5");
		return IKE_R_FAIL;
	}
	ike_sa_set_state(e->sas, sa, IKE_ST_MAIN_I3);
	return IKE_R_OK;
}

/*
 * A verified MM5 or MM6 that fails: a wrong HASH leaves the SA waiting (the peer may
 * still send the right message; the timeout ends it with key-mismatch); anything else
 * is final, and the peer is told where a notify says it (INVALID-ID-INFORMATION,
 * INVALID-CERTIFICATE ...).
 */
static enum ike_handler_result auth_failed(struct ike_engine *e, struct ike_sa *sa,
                                           const struct phase1_auth_result *r, const char *which,
                                           bool enc)
{
	char detail[sizeof(sa->cause_detail)];

	if (r->cause == IKE_CAUSE_KEY_MISMATCH) {
		sa->ctr.undecryptable++;
		ike_sa_table_counters_mut(e->sas)->dropped_undecryptable++;
		sa->x->saw_undecryptable = true;
		snprintf(detail, sizeof(detail), "the peer's %s fails to authenticate", which);
		engine_suspect(e, sa, IKE_CAUSE_KEY_MISMATCH, detail);
		engine_log(e, IKE_LOG_NOTICE,
		           "conn-id %u peer %s: %s does not authenticate: probable pre-shared "
		           "key mismatch",
		           sa->conn_id, sa->peer, which);
		return IKE_R_IGNORE;
	}
	if (r->notify != 0) {
		if (enc)
			memcpy(sa->x->keys.iv, sa->x->rx_iv, sa->x->keys.block_len);
		info_send_notify(e, sa, r->notify);
	}
	if (r->cause == IKE_CAUSE_ID_MISMATCH)
		snprintf(detail, sizeof(detail), "refused by us: peer sent %.36s", r->got.value);
	else
		snprintf(detail, sizeof(detail), "%s", r->detail[0] != '\0' ? r->detail : which);
	if (r->subject[0] != '\0')
		engine_log(e, IKE_LOG_NOTICE, "conn-id %u peer %s: %s certificate \"%s\" refused",
		           sa->conn_id, sa->peer, which, r->subject);
	engine_fail(e, sa, r->cause, detail);
	return IKE_R_FAIL;
}

/* Authenticated: MM_KEY_AUTH, then QM_IDLE. */
void phase1_established(struct ike_engine *e, struct ike_sa *sa, enum ike_state auth)
{
	engine_disarm(sa);
	ike_sa_set_state(e->sas, sa, auth);
	ike_sa_set_state(e->sas, sa, IKE_ST_ESTABLISHED);
	engine_exchange_negotiated(sa->x);
	dpd_established(sa);
	sa->last_cause = IKE_CAUSE_NONE;
	sa->cause_detail[0] = '\0';
	engine_log(e, IKE_LOG_NOTICE, "conn-id %u peer %s: ISAKMP SA established (%s)", sa->conn_id,
	           sa->peer, sa->role == IKE_ROLE_INITIATOR ? "initiator" : "responder");
	if (sa->nat_local && sa->floated && e->settings.natt_keepalive_s != 0) {
		engine_now(&sa->x->keepalive_at);
		ts_add_ms(&sa->x->keepalive_at, (uint64_t)e->settings.natt_keepalive_s * 1000);
		sa->x->keepalive_armed = true;
	}
	/* the peer restarted: its old SAs are gone at its end, so here too */
	if (sa->initial_contact)
		ic_honour(e, sa);
	/* the phase-1 initiator starts phase 2 (both ends starting would make pairs) */
	if (sa->role == IKE_ROLE_INITIATOR)
		quick_start_missing(e, sa);
}

/*
 * Whether the peer's authenticated message says INITIAL-CONTACT.  Only an encrypted one
 * is believed: HASH_I and HASH_R do not cover a notify, and AM2 (an AM3 too, if the
 * peer sends it so) travels in the clear, where anyone on the path could add one and
 * have us delete the peer's live SAs.
 */
static bool take_initial_contact(struct ike_engine *e, const struct ike_sa *sa,
                                 const struct isakmp_msg *m, const char *which)
{
	if (!ic_present(m))
		return false;
	if (m->hdr.flags & ISAKMP_FLAG_ENC)
		return true;
	engine_log(e, IKE_LOG_NOTICE,
	           "conn-id %u peer %s: INITIAL-CONTACT in the unencrypted %s ignored", sa->conn_id,
	           sa->peer, which);
	return false;
}

/*
 * The peer's MM5 or MM6 (which): verify its HASH, or its certificate and SIG, and its
 * identity.  IKE_R_OK when they hold (the identity is taken and the IV chain moves on);
 * otherwise what to return.
 */
enum ike_handler_result phase1_take_peer_auth(struct ike_engine *e, struct ike_sa *sa,
                                              const struct isakmp_msg *m, const char *which,
                                              const struct ike_peer_cfg **pp)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	struct phase1_auth_result *r;
	enum ike_handler_result ret = IKE_R_OK;

	if (p == NULL) {
		engine_fail(e, sa, IKE_CAUSE_CONFIG_REMOVED, "peer gone while negotiating");
		return IKE_R_FAIL;
	}
	r = malloc(sizeof(*r));
	if (r == NULL) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "out of memory checking the peer");
		return IKE_R_FAIL;
	}
	if (phase1_check_auth(sa, p, m, r) != IKE_CAUSE_NONE) {
		if (r->subject[0] != '\0')
			ike_sa_set_peer_cert(e->sas, sa, r->subject);
		ret = auth_failed(e, sa, r, which, (m->hdr.flags & ISAKMP_FLAG_ENC) != 0);
		goto done;
	}
	ike_sa_set_remote_id(e->sas, sa, &r->got);
	sa->initial_contact = take_initial_contact(e, sa, m, which);
	ike_sa_set_peer_cert(e->sas, sa, r->subject);
	/* an unencrypted AM2 (or AM3) leaves the IV chain where it is */
	if (m->hdr.flags & ISAKMP_FLAG_ENC)
		memcpy(sa->x->keys.iv, sa->x->rx_iv, sa->x->keys.block_len);
	*pp = p;
done:
	free(r);
	return ret;
}

/* HDR*, IDii, HASH_I --> HDR*, IDir, HASH_R (signatures: [CERT,] SIG_I, SIG_R) */
enum ike_handler_result main_inI3_outR3(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m)
{
	const struct ike_peer_cfg *p = NULL;
	enum ike_handler_result r = phase1_take_peer_auth(e, sa, m, "MM5", &p);

	if (r != IKE_R_OK)
		return r;
	if (send_id_auth(e, sa, p) != 0) {
		engine_fail(e, sa, IKE_CAUSE_INTERNAL, "sending MM6");
		return IKE_R_FAIL;
	}
	phase1_established(e, sa, IKE_ST_MAIN_R3);
	return IKE_R_OK;
}

/* HDR*, IDir, HASH_R <-- */
enum ike_handler_result main_inR3(struct ike_engine *e, struct ike_sa *sa,
                                  const struct isakmp_msg *m)
{
	const struct ike_peer_cfg *p = NULL;
	enum ike_handler_result r = phase1_take_peer_auth(e, sa, m, "MM6", &p);

	if (r != IKE_R_OK)
		return r;
	phase1_established(e, sa, IKE_ST_MAIN_I4);
	return IKE_R_OK;
}

enum ike_cause main_timeout_cause(const struct ike_sa *sa, char *detail, size_t len)
{
	bool undecryptable = sa->x != NULL && sa->x->saw_undecryptable;

	switch (sa->state) {
	case IKE_ST_MAIN_I1:
		snprintf(detail, len, "no reply to MM1");
		return IKE_CAUSE_PEER_SILENT;
	case IKE_ST_MAIN_I2:
		snprintf(detail, len, "no reply to MM3");
		return IKE_CAUSE_PEER_SILENT;
	case IKE_ST_MAIN_I3:
		if (sa->xf.auth != IKE_AUTH_PSK && !undecryptable) {
			/* no key to differ: a responder that refuses our certificate and says
			 * nothing looks like this */
			snprintf(detail, len,
			         "no reply to MM5: probable certificate or identity "
			         "refused by the peer");
			return IKE_CAUSE_CERT_UNTRUSTED;
		}
		/* after the key exchange, silence is what a responder with another key shows */
		snprintf(detail, len,
		         undecryptable
		             ? "the peer's answers to MM5 do not decrypt"
		             : "no reply to MM5: probable key or identity mismatch at peer");
		return IKE_CAUSE_KEY_MISMATCH;
	case IKE_ST_MAIN_R1:
		snprintf(detail, len, "no MM3 after our MM2");
		return IKE_CAUSE_PEER_SILENT;
	case IKE_ST_MAIN_R2:
		if (undecryptable) {
			snprintf(detail, len, "the peer's MM5 does not decrypt or authenticate");
			return IKE_CAUSE_KEY_MISMATCH;
		}
		snprintf(detail, len, "no MM5 after our MM4");
		return IKE_CAUSE_PEER_SILENT;
	default:
		snprintf(detail, len, "in %s", ike_state_row(sa->state)->name);
		return IKE_CAUSE_RETRY_LIMIT;
	}
}
