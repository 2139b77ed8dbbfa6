/*
 * quick_mode.c - IKEv1 Quick Mode (RFC 2409 5.5): phase-2 SAs under an established
 * ISAKMP SA.
 *
 *   Initiator                              Responder
 *   HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ]   -->                        QM1
 *                        <--   HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ]   QM2
 *   HDR*, HASH(3)                                   -->                        QM3
 *
 *   HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])
 *   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])
 *   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 *
 * Each Quick Mode has its own message ID and IV chain (IV0 = hash(last phase-1 IV |
 * M-ID)), so several run at once on one ISAKMP SA; each is a child record with its own
 * retransmission state, found by message ID.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "exchange.h"
#include "ike.h"
#include "natt.h"

#define QM_BUF 4096

static struct ike_child_exchange *qm_exchange_new(void)
{
	struct ike_child_exchange *x = calloc(1, sizeof(*x));
	uint8_t *v[ENGINE_NEG_PARTS];

	if (x == NULL || engine_neg_new(v) != 0) {
		free(x);
		return NULL;
	}
	x->neg = v[ENGINE_NEG_BLOCK];
	x->gi = v[ENGINE_NEG_GI];
	x->gr = v[ENGINE_NEG_GR];
	x->ni = v[ENGINE_NEG_NI];
	x->nr = v[ENGINE_NEG_NR];
	return x;
}

/* Installed: the public values, nonces and DH go; the retransmission state stays (a copy
 * of QM2 is answered with QM3 again). */
static void qm_negotiated(struct ike_child_exchange *x)
{
	uint8_t **v[ENGINE_NEG_PARTS] = {&x->neg, &x->gi, &x->gr, &x->ni, &x->nr};

	ike_dh_free(x->dh);
	x->dh = NULL;
	engine_neg_free(v);
	x->g_len = x->ni_len = x->nr_len = 0;
}

/* KEYMAT both ways, the nonces (KEYMAT's input), the PFS private value, the IV chain. */
void quick_wipe_exchange(struct ike_child_exchange *x)
{
	ike_dh_free(x->dh);
	x->dh = NULL;
	OPENSSL_cleanse(x->keymat_in, sizeof(x->keymat_in));
	OPENSSL_cleanse(x->keymat_out, sizeof(x->keymat_out));
	x->keymat_len = 0;
	if (x->neg != NULL) /* kept allocated (the SA may linger), wiped */
		OPENSSL_cleanse(x->neg, ENGINE_NEG_LEN);
	x->ni_len = x->nr_len = 0;
	OPENSSL_cleanse(x->iv, sizeof(x->iv));
}

void quick_free_exchange(struct ike_child_exchange *x)
{
	if (x == NULL)
		return;
	quick_wipe_exchange(x);
	qm_negotiated(x);
	retx_free(&x->rt);
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

static size_t count_or_one(size_t n)
{
	return n > 0 ? n : 1;
}

size_t quick_children_wanted(const struct ike_peer_cfg *p)
{
	if (!p->has_children)
		return 0;
	return count_or_one(p->n_local_ts) * count_or_one(p->n_remote_ts);
}

/* The selectors of configured child idx: the lists, or the SA's two addresses. */
static void child_selectors(const struct ike_sa *sa, const struct ike_peer_cfg *p, size_t idx,
                            struct ike_ts *l, struct ike_ts *r)
{
	size_t nr = count_or_one(p->n_remote_ts), li = idx / nr, ri = idx % nr;

	if (p->n_local_ts > 0)
		*l = p->local_ts[li];
	else
		ike_ts_from_addr(l, (const struct sockaddr *)&sa->local);
	if (p->n_remote_ts > 0)
		*r = p->remote_ts[ri];
	else
		ike_ts_from_addr(r, (const struct sockaddr *)&sa->remote);
}

/*
 * A fresh inbound SPI for c (c->spi_in): above the reserved range, unused by any live
 * child (the table's SPI index answers in O(1)).  0 or -1.
 */
static int new_spi(struct ike_engine *e, struct ike_child *c)
{
	uint32_t spi = 0;
	int r = -1;

	while (r == -1) {
		if (ike_random((uint8_t *)&spi, sizeof(spi)) != 0)
			return -1;
		if (spi >= 0x100)
			r = ike_child_claim_spi_in(e->sas, c, spi);
	}
	return r;
}

/* A message ID no child of sa uses. */
static uint32_t new_msgid(struct ike_sa *sa)
{
	uint32_t id = 0;

	do {
		if (ike_random((uint8_t *)&id, sizeof(id)) != 0)
			return 0;
	} while (id == 0 || ike_child_by_msgid(sa, id) != NULL);
	return id;
}

/* The encapsulation mode to ask for: UDP-encapsulated once a NAT was seen. */
static uint16_t wire_mode(const struct ike_sa *sa, uint16_t mode)
{
	if (sa->natt_version != NATT_NONE && (sa->nat_local || sa->nat_remote))
		return natt_udp_mode(sa->natt_version, mode);
	return mode;
}

/* RFC 3947 5.1: transport mode behind a NAT carries the original addresses. */
static bool needs_nat_oa(const struct ike_sa *sa, uint16_t base_mode)
{
	return base_mode == IPSEC_MODE_TRANSPORT && sa->natt_version != NATT_NONE &&
	       (sa->nat_local || sa->nat_remote);
}

/* M-ID in network order, for the HASHes. */
static void msgid_be(uint32_t msgid, uint8_t out[4])
{
	out[0] = (uint8_t)(msgid >> 24);
	out[1] = (uint8_t)(msgid >> 16);
	out[2] = (uint8_t)(msgid >> 8);
	out[3] = (uint8_t)msgid;
}

/* Begin a Quick Mode message: header and an empty HASH; returns the HASH's offset. */
static size_t qm_begin(const struct ike_sa *sa, uint32_t msgid, struct msg_builder *b, uint8_t *buf,
                       size_t cap)
{
	struct isakmp_hdr h;
	uint8_t zero[IKE_MAX_HASH_LEN] = {0};
	size_t off;

	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, sa->icookie, 8);
	memcpy(h.rcookie, sa->rcookie, 8);
	h.version = ISAKMP_VERSION;
	h.exchange = ISAKMP_XCHG_QUICK;
	h.flags = ISAKMP_FLAG_ENC;
	h.msgid = msgid;
	msg_init(b, buf, cap, &h);
	off = msg_payload_begin(b, ISAKMP_NP_HASH);
	msg_put(b, zero, sa->x->keys.prf_len);
	msg_payload_end(b, off);
	return off + ISAKMP_GEN_HDR_LEN;
}

/* HASH(1) or HASH(2): prf(SKEYID_a, M-ID [| Ni_b] | payloads after the HASH). */
static int qm_hash12(const struct ike_sa *sa, uint32_t msgid, const uint8_t *ni, size_t ni_len,
                     const uint8_t *rest, size_t rest_len, uint8_t *out)
{
	const struct ike_p1_keys *k = &sa->x->keys;
	uint8_t mid[4];
	struct ike_chunk in[3];
	size_t n = 0;

	msgid_be(msgid, mid);
	in[n++] = (struct ike_chunk){mid, 4};
	if (ni != NULL)
		in[n++] = (struct ike_chunk){ni, ni_len};
	in[n++] = (struct ike_chunk){rest, rest_len};
	return ike_prf(k->hash, k->skeyid_a, k->prf_len, in, n, out);
}

/* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) */
static int qm_hash3(const struct ike_sa *sa, const struct ike_child *c, uint8_t *out)
{
	const struct ike_p1_keys *k = &sa->x->keys;
	static const uint8_t zero = 0;
	uint8_t mid[4];
	struct ike_chunk in[4];

	msgid_be(c->msgid, mid);
	in[0] = (struct ike_chunk){&zero, 1};
	in[1] = (struct ike_chunk){mid, 4};
	in[2] = (struct ike_chunk){c->x->ni, c->x->ni_len};
	in[3] = (struct ike_chunk){c->x->nr, c->x->nr_len};
	return ike_prf(k->hash, k->skeyid_a, k->prf_len, in, 4, out);
}

/* Encrypt with the child's IV chain (iv), send, keep for retransmission. */
static int qm_send(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                   struct msg_builder *b, const uint8_t *iv, bool retransmit)
{
	const struct ike_p1_keys *k = &sa->x->keys;
	size_t len = msg_finish(b), enc_len;

	if (len == 0 || len + k->block_len > b->cap)
		return -1;
	if (ike_encrypt(k, iv, b->buf + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, &enc_len, c->x->iv) !=
	    0)
		return -1;
	len = ISAKMP_HDR_LEN + enc_len;
	isakmp_hdr_set_length(b->buf, len);
	return engine_send_child(e, sa, c, b->buf, len, retransmit);
}

/*
 * Decrypt a Quick Mode message with iv, parse it, and check that it starts with a HASH
 * of the PRF's length.  next_iv gets the last ciphertext block.  0 or -1.
 */
static int qm_open(const struct ike_sa *sa, const struct isakmp_hdr *h, const uint8_t *buf,
                   size_t len, const uint8_t *iv, struct isakmp_msg *m, uint8_t *plain,
                   uint8_t *next_iv)
{
	const struct ike_p1_keys *k = &sa->x->keys;
	size_t n = len - ISAKMP_HDR_LEN;

	if (n == 0 || n > QM_BUF || n % k->block_len != 0)
		return -1;
	memcpy(plain, buf + ISAKMP_HDR_LEN, n);
	if (ike_decrypt(k, iv, plain, n, next_iv) != 0)
		return -1;
	if (isakmp_payloads_parse(h->np, plain, n, true, m) != CODEC_OK)
		return -1;
	m->hdr = *h;
	if (m->n < 1 || m->p[0].type != ISAKMP_NP_HASH || m->p[0].len != k->prf_len)
		return -1;
	return 0;
}

/* The bytes after the HASH payload up to the last payload's end (padding excluded). */
static void after_hash(const struct isakmp_msg *m, const uint8_t **rest, size_t *len)
{
	const struct isakmp_payload *hp = &m->p[0], *last = &m->p[m->n - 1];

	*rest = hp->body + hp->len;
	*len = m->n > 1 ? (size_t)((last->body + last->len) - *rest) : 0;
}

static bool hash_ok(const struct isakmp_msg *m, const uint8_t *want, size_t len)
{
	return ike_memeq_ct(m->p[0].body, want, len) == 0;
}

/*
 * Open QM1 (ni NULL: HASH(1)) or QM2 (ni = Ni_b: HASH(2)): decrypt with iv, check the
 * HASH, find the SA and nonce payloads.  0, or -1 once the message is counted as
 * undecryptable or malformed.
 */
static int qm_open_offer(struct ike_sa *sa, const struct isakmp_hdr *h, const uint8_t *buf,
                         size_t len, const uint8_t *iv, const uint8_t *ni, size_t ni_len,
                         struct isakmp_msg *m, uint8_t *plain, uint8_t *next_iv,
                         const struct isakmp_payload **sap, const struct isakmp_payload **no)
{
	uint8_t want[IKE_MAX_HASH_LEN];
	const uint8_t *rest;
	size_t rest_len;

	if (qm_open(sa, h, buf, len, iv, m, plain, next_iv) != 0) {
		sa->ctr.undecryptable++;
		return -1;
	}
	after_hash(m, &rest, &rest_len);
	if (qm_hash12(sa, h->msgid, ni, ni_len, rest, rest_len, want) != 0 ||
	    !hash_ok(m, want, sa->x->keys.prf_len)) {
		sa->ctr.undecryptable++;
		return -1;
	}
	*sap = isakmp_msg_find(m, ISAKMP_NP_SA, NULL);
	*no = isakmp_msg_find(m, ISAKMP_NP_NONCE, NULL);
	if (*sap == NULL || *no == NULL || (*no)->len < IKE_NONCE_MIN ||
	    (*no)->len > IKE_NONCE_MAX) {
		sa->ctr.malformed++;
		return -1;
	}
	return 0;
}

/*
 * KEYMAT for both directions from the PFS secret g^xy (gxy_len 0: no PFS); a DH job's
 * secret, wiped with the job.  Our key pair, if any, is freed here.
 */
static int derive_keymat(struct ike_sa *sa, struct ike_child *c, const uint8_t *gxy, size_t gxy_len)
{
	struct ike_child_exchange *x = c->x;
	size_t enc, integ;
	int ret = -1;

	if (phase2_key_lengths(&c->xf, &enc, &integ) != 0 || enc + integ > IKE_KEYMAT_MAX ||
	    (c->xf.group != 0) != (gxy_len != 0))
		goto done;
	x->keymat_len = enc + integ;
	if (ike_keymat(&sa->x->keys, gxy_len ? gxy : NULL, gxy_len, c->xf.protocol, c->spi_in,
	               x->ni, x->ni_len, x->nr, x->nr_len, x->keymat_in, x->keymat_len) != 0 ||
	    ike_keymat(&sa->x->keys, gxy_len ? gxy : NULL, gxy_len, c->xf.protocol, c->spi_out,
	               x->ni, x->ni_len, x->nr, x->nr_len, x->keymat_out, x->keymat_len) != 0)
		goto done;
	ret = 0;
done:
	ike_dh_free(x->dh);
	x->dh = NULL;
	return ret;
}

/*
 * What a Quick Mode step's second half needs of the message that started its PFS job
 * (carried in the job's ctx): the IV to go on with and, for a responder, the IDs to echo.
 */
#define QM_ID_MAX 52 /* an ID payload's body: 4 + a range of two IPv6 addresses, and room */
struct qm_resume {
	uint8_t iv[IKE_MAX_BLOCK_LEN];
	uint8_t n_ids;
	uint8_t id_len[2];
	uint8_t id[2][QM_ID_MAX];
};
_Static_assert(sizeof(struct qm_resume) <= sizeof(((struct ike_dh_job *)0)->ctx),
               "a DH job's ctx holds a struct qm_resume");

/* A PFS job of child c's: step, our key pair dh (NULL: make one), the peer's value (NULL:
 * none), what the second half needs (r).  NULL on out of memory (dh freed). */
static struct ike_dh_job *qm_job(struct ike_sa *sa, enum engine_dh_step step, uint16_t group,
                                 struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
                                 const struct qm_resume *r)
{
	struct ike_dh_job *j = engine_dh_job_group(sa, step, group, dh, peer, peer_len);

	if (j != NULL && r != NULL) {
		memcpy(j->ctx, r, sizeof(*r));
		j->ctx_len = sizeof(*r);
	}
	return j;
}

static void child_failed(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                         enum ike_cause cause, const char *detail)
{
	if (c->x != NULL)
		c->x->rt.armed = false;
	ike_child_fail(e->sas, sa, c, cause, detail);
	ike_child_mark_deleted(e->sas, sa, c, cause);
}

/* ---- initiator ---- */

/* HDR*, HASH(1), SA, Ni [, KE ], IDci, IDcr --> with our key pair in group (0: no PFS) */
static int send_qm1(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c, uint16_t group)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	struct ike_child_exchange *x = c->x;
	uint8_t buf[QM_BUF], hash[IKE_MAX_HASH_LEN], idb[4 + 32], iv[IKE_MAX_BLOCK_LEN];
	struct msg_builder b;
	size_t hash_off, rest, n;

	/* the peer's PFS setting may have changed while the key pair was made */
	if (p == NULL || phase2_pfs_group(p) != group)
		return -1;
	hash_off = qm_begin(sa, c->msgid, &b, buf, sizeof(buf));
	rest = b.len;
	if (phase2_put_sa(&b, p, wire_mode(sa, p->mode), c->spi_in) != 0)
		return -1;
	msg_payload(&b, ISAKMP_NP_NONCE, x->ni, x->ni_len);
	if (group != 0)
		msg_payload(&b, ISAKMP_NP_KE, x->gi, x->g_len);
	n = phase2_id_body(&c->local_ts, idb, sizeof(idb));
	msg_payload(&b, ISAKMP_NP_ID, idb, n);
	n = phase2_id_body(&c->remote_ts, idb, sizeof(idb));
	msg_payload(&b, ISAKMP_NP_ID, idb, n);
	if (needs_nat_oa(sa, p->mode))
		phase2_put_nat_oa(&b, sa->natt_version, (const struct sockaddr *)&sa->local,
		                  (const struct sockaddr *)&sa->remote);
	if (b.overflow || qm_hash12(sa, c->msgid, NULL, 0, buf + rest, b.len - rest, hash) != 0)
		return -1;
	memcpy(buf + hash_off, hash, sa->x->keys.prf_len);
	if (ike_msgid_iv(&sa->x->keys, sa->x->keys.iv, c->msgid, iv) != 0 ||
	    qm_send(e, sa, c, &b, iv, true) != 0)
		return -1;
	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: Quick Mode %u started (M-ID %08x)",
	           sa->conn_id, sa->peer, c->index, c->msgid);
	return 0;
}

/* Start a Quick Mode: QM1 at once, or once the PFS key pair is made (quick_I1_dh_done). */
struct ike_child *quick_outI1(struct ike_engine *e, struct ike_sa *sa, size_t cfg_index)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	struct ike_child_exchange *x;
	struct ike_child *c;
	uint16_t group;

	if (p == NULL || sa->x == NULL || !sa->x->have_keys ||
	    cfg_index >= quick_children_wanted(p))
		return NULL;
	x = qm_exchange_new();
	if (x == NULL)
		return NULL;
	c = ike_child_create(e->sas, sa, IKE_ROLE_INITIATOR, new_msgid(sa));
	if (c == NULL) {
		quick_free_exchange(x);
		return NULL;
	}
	c->x = x;
	c->cfg_index = (uint32_t)cfg_index;
	rekey_link_child(e, sa, c);
	child_selectors(sa, p, cfg_index, &c->local_ts, &c->remote_ts);
	group = phase2_pfs_group(p);
	x->ni_len = IKE_NONCE_LEN;
	if (new_spi(e, c) != 0 || ike_random(x->ni, x->ni_len) != 0)
		goto fail;
	if (group != 0) {
		x->g_len = ike_dh_public_len(group);
		engine_dh_start_child(e, sa, c,
		                      qm_job(sa, DH_STEP_QM_I1, group, NULL, NULL, 0, NULL));
		return c->state == IKE_CHILD_DELETED ? NULL : c;
	}
	if (send_qm1(e, sa, c, 0) == 0)
		return c;
fail:
	child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "starting Quick Mode");
	return NULL;
}

/* ... with the PFS key pair made: QM1 */
static void quick_I1_dh_done(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                             struct ike_dh_job *j)
{
	struct ike_child_exchange *x = c->x;

	if (j->status != 0 || j->pub_len != x->g_len) {
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "making our PFS key exchange");
		return;
	}
	memcpy(x->gi, j->pub, j->pub_len);
	ike_dh_free(x->dh);
	x->dh = j->dh; /* kept for QM2's g^xy */
	j->dh = NULL;
	if (send_qm1(e, sa, c, j->group) != 0)
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "starting Quick Mode");
}

size_t quick_start_missing(struct ike_engine *e, struct ike_sa *sa)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	size_t wanted, started = 0;

	if (p == NULL || sa->state != IKE_ST_ESTABLISHED)
		return 0;
	wanted = quick_children_wanted(p);
	for (size_t i = 0; i < wanted; i++) {
		bool have = false;

		for (const struct ike_child *c = sa->children; c != NULL && !have; c = c->next)
			have = c->cfg_index == i && c->state != IKE_CHILD_DELETED;
		if (!have && quick_outI1(e, sa, i) != NULL)
			started++;
	}
	return started;
}

/* Whether the responder's IDs (when it sent them) are ours, echoed. */
static bool ids_echoed(const struct isakmp_msg *m, const struct ike_child *c)
{
	const struct isakmp_payload *idci, *idcr;
	struct ike_ts ci, cr;
	size_t from = 0;

	idci = isakmp_msg_find(m, ISAKMP_NP_ID, &from);
	if (idci == NULL)
		return true;
	idcr = isakmp_msg_find(m, ISAKMP_NP_ID, &from);
	if (idcr == NULL || phase2_id_decode(idci->body, idci->len, &ci) != 0 ||
	    phase2_id_decode(idcr->body, idcr->len, &cr) != 0)
		return false;
	return ike_ts_equal(&ci, &c->local_ts) && ike_ts_equal(&cr, &c->remote_ts);
}

/* Take the peer's KE for the child's group into theirs; 0 or the cause. */
static enum ike_cause take_ke(const struct isakmp_msg *m, const struct ike_child *c,
                              uint8_t *theirs)
{
	const struct isakmp_payload *ke = isakmp_msg_find(m, ISAKMP_NP_KE, NULL);

	if (c->xf.group == 0)
		return ke == NULL ? IKE_CAUSE_NONE : IKE_CAUSE_PFS_MISMATCH;
	if (ke == NULL)
		return IKE_CAUSE_PFS_MISMATCH;
	if (ke->len != c->x->g_len || ke->len > IKE_DH_MAX_LEN)
		return IKE_CAUSE_INVALID_KE;
	memcpy(theirs, ke->body, ke->len);
	return IKE_CAUSE_NONE;
}

/* ... then HDR*, HASH(3) --> with g^xy (gxy_len 0: no PFS); iv from QM2 */
static void send_qm3(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                     const uint8_t *gxy, size_t gxy_len, const uint8_t *iv)
{
	struct ike_child_exchange *x = c->x;
	uint8_t out[QM_BUF], want[IKE_MAX_HASH_LEN];
	struct msg_builder b;
	size_t hash_off;

	if (derive_keymat(sa, c, gxy, gxy_len) != 0) {
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "deriving KEYMAT");
		return;
	}
	/* QM2 is answered from here on: a copy of it gets QM3 again */
	x->rt.in_answered = true;
	x->rt.dup_answers = 0;
	hash_off = qm_begin(sa, c->msgid, &b, out, sizeof(out));
	if (qm_hash3(sa, c, want) != 0)
		return;
	memcpy(out + hash_off, want, sa->x->keys.prf_len);
	/* QM3 is the last word: it is resent only when QM2 comes again */
	if (qm_send(e, sa, c, &b, iv, false) != 0)
		return;
	x->rt.armed = false;
	qm_negotiated(x);
	ike_child_set_state(e->sas, sa, c, IKE_CHILD_INSTALLED);
}

/* HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ] <--; then HDR*, HASH(3) --> */
static void quick_inR1_outI2(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                             const struct isakmp_hdr *h, const uint8_t *buf, size_t len)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	struct ike_child_exchange *x = c->x;
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = malloc(QM_BUF);
	struct qm_resume rs = {0};
	const struct isakmp_payload *sap, *no;
	enum ike_cause why = IKE_CAUSE_NONE;
	struct ike_dh *dh;
	int r;

	if (m == NULL || plain == NULL || p == NULL)
		goto done;
	if (qm_open_offer(sa, h, buf, len, x->iv, x->ni, x->ni_len, m, plain, rs.iv, &sap, &no) !=
	    0)
		goto done;
	r = phase2_check_reply(sap->body, sap->len, p,
	                       isakmp_msg_find(m, ISAKMP_NP_KE, NULL) != NULL, &c->xf, &c->spi_out,
	                       &why);
	if (r != 0) {
		child_failed(e, sa, c, r == -1 ? why : IKE_CAUSE_MALFORMED,
		             "the peer answered with a transform we did not offer");
		goto done;
	}
	why = take_ke(m, c, x->gr);
	if (why != IKE_CAUSE_NONE) {
		child_failed(e, sa, c, why, "in the peer's QM2 key exchange");
		goto done;
	}
	if (!ids_echoed(m, c)) {
		child_failed(e, sa, c, IKE_CAUSE_PROXY_ID_MISMATCH,
		             "the peer answered with other proxy identities");
		goto done;
	}
	memcpy(x->nr, no->body, no->len);
	x->nr_len = no->len;
	/* kept unanswered until QM3 is out: a copy that comes while g^xy is made is dropped */
	retx_keep_in(&x->rt, buf, len, false);
	if (c->xf.group == 0) {
		send_qm3(e, sa, c, NULL, 0, rs.iv);
		goto done;
	}
	/* g^xy, on a worker when there are some: quick_I2_dh_done goes on.  A full pool
	 * makes the loop do it */
	dh = x->dh;
	x->dh = NULL;
	engine_dh_start_child(e, sa, c,
	                      qm_job(sa, DH_STEP_QM_I2, c->xf.group, dh, x->gr, x->g_len, &rs));
done:
	free(plain);
	free(m);
}

/* ---- responder ---- */

/* Which configured child a proposal's selectors are, or -1. */
static int find_cfg_child(const struct ike_sa *sa, const struct ike_peer_cfg *p,
                          const struct ike_ts *l, const struct ike_ts *r)
{
	size_t wanted = quick_children_wanted(p);
	struct ike_ts cl, cr;

	for (size_t i = 0; i < wanted; i++) {
		child_selectors(sa, p, i, &cl, &cr);
		if (ike_ts_equal(&cl, l) && ike_ts_equal(&cr, r))
			return (int)i;
	}
	return -1;
}

/* The initiator's selectors: IDci is its side (our remote), IDcr ours. */
static int take_selectors(const struct ike_sa *sa, const struct isakmp_msg *m, struct ike_child *c)
{
	const struct isakmp_payload *idci, *idcr;
	size_t from = 0;

	idci = isakmp_msg_find(m, ISAKMP_NP_ID, &from);
	if (idci == NULL) {
		/* RFC 2409 5.5: without IDs the selectors are the ISAKMP peers */
		ike_ts_from_addr(&c->local_ts, (const struct sockaddr *)&sa->local);
		ike_ts_from_addr(&c->remote_ts, (const struct sockaddr *)&sa->remote);
		return 0;
	}
	idcr = isakmp_msg_find(m, ISAKMP_NP_ID, &from);
	if (idcr == NULL || isakmp_msg_find(m, ISAKMP_NP_ID, &from) != NULL)
		return -1;
	if (phase2_id_decode(idci->body, idci->len, &c->remote_ts) != 0 ||
	    phase2_id_decode(idcr->body, idcr->len, &c->local_ts) != 0)
		return -1;
	return 0;
}

/* Refuse a Quick Mode: tell the peer, record the cause on the child. */
static void refuse(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c, uint16_t notify,
                   enum ike_cause cause, const char *detail)
{
	info_send_notify_ipsec(e, sa, notify, IPSEC_PROTO_ESP, 0);
	child_failed(e, sa, c, cause, detail);
}

static void selectors_text(const struct ike_child *c, char *buf, size_t len)
{
	char l[64], r[64];

	snprintf(buf, len, "%s <-> %s", ike_ts_format(&c->remote_ts, r, sizeof(r)),
	         ike_ts_format(&c->local_ts, l, sizeof(l)));
}

/* Build and send QM2, echoing the initiator's ID payloads (in rs, with the IV). */
static int send_qm2(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                    const struct qm_resume *rs, uint8_t num)
{
	struct ike_child_exchange *x = c->x;
	uint8_t buf[QM_BUF], hash[IKE_MAX_HASH_LEN];
	struct msg_builder b;
	size_t hash_off, rest;

	hash_off = qm_begin(sa, c->msgid, &b, buf, sizeof(buf));
	rest = b.len;
	if (phase2_put_sa_reply(&b, &c->xf, num, c->spi_in) != 0)
		return -1;
	msg_payload(&b, ISAKMP_NP_NONCE, x->nr, x->nr_len);
	if (c->xf.group != 0)
		msg_payload(&b, ISAKMP_NP_KE, x->gr, x->g_len);
	for (size_t i = 0; i < rs->n_ids && i < 2; i++)
		msg_payload(&b, ISAKMP_NP_ID, rs->id[i], rs->id_len[i]);
	if (needs_nat_oa(sa, phase2_base_mode(c->xf.mode)))
		phase2_put_nat_oa(&b, sa->natt_version, (const struct sockaddr *)&sa->remote,
		                  (const struct sockaddr *)&sa->local);
	if (b.overflow ||
	    qm_hash12(sa, c->msgid, x->ni, x->ni_len, buf + rest, b.len - rest, hash) != 0)
		return -1;
	memcpy(buf + hash_off, hash, sa->x->keys.prf_len);
	if (qm_send(e, sa, c, &b, rs->iv, false) != 0)
		return -1;
	retx_wait(&x->rt, ike_settings_retransmit_span_ms(&e->settings));
	return 0;
}

/* The IDs of QM1 to echo in QM2 (take_selectors allowed two at most); 0 or -1 (too long) */
static int keep_ids(const struct isakmp_msg *m, struct qm_resume *rs)
{
	const struct isakmp_payload *id;
	size_t from = 0;

	while ((id = isakmp_msg_find(m, ISAKMP_NP_ID, &from)) != NULL) {
		if (rs->n_ids >= 2 || id->len > QM_ID_MAX)
			return -1;
		memcpy(rs->id[rs->n_ids], id->body, id->len);
		rs->id_len[rs->n_ids++] = (uint8_t)id->len;
	}
	return 0;
}

/* ... --> HDR*, HASH(2), SA, Nr [, KE ] ...: KEYMAT from g^xy (gxy_len 0: no PFS), QM2 */
static void answer_qm1(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                       const uint8_t *gxy, size_t gxy_len, const struct qm_resume *rs, uint8_t num)
{
	char sel[128];

	if (derive_keymat(sa, c, gxy, gxy_len) != 0 || send_qm2(e, sa, c, rs, num) != 0) {
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "answering QM1");
		return;
	}
	selectors_text(c, sel, sizeof(sel));
	engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: Quick Mode %u answered (M-ID %08x) %s",
	           sa->conn_id, sa->peer, c->index, c->msgid, sel);
}

/* Our nonce, and the length of the key exchange values for the chosen transform. */
static int responder_ke_nonce(struct ike_child *c, const struct isakmp_msg *m)
{
	struct ike_child_exchange *x = c->x;
	const struct isakmp_payload *no = isakmp_msg_find(m, ISAKMP_NP_NONCE, NULL);

	memcpy(x->ni, no->body, no->len);
	x->ni_len = no->len;
	x->nr_len = IKE_NONCE_LEN;
	if (ike_random(x->nr, x->nr_len) != 0)
		return -1;
	x->g_len = c->xf.group != 0 ? ike_dh_public_len(c->xf.group) : 0;
	return 0;
}

/* HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ] --> HDR*, HASH(2), SA, Nr [, KE ] ... */
static void quick_inI1_outR1(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_hdr *h,
                             const uint8_t *buf, size_t len)
{
	const struct ike_peer_cfg *p = engine_peer_cfg(e, sa->peer);
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = malloc(QM_BUF), iv[IKE_MAX_BLOCK_LEN], num = 0;
	const struct isakmp_payload *sap, *no;
	struct ike_child *c = NULL;
	struct qm_resume rs = {0};
	struct ike_dh_job *j;
	enum ike_cause why = IKE_CAUSE_NONE;
	char detail[64], sel[128];
	int idx, r;

	if (m == NULL || plain == NULL || p == NULL)
		goto done;
	if (ike_msgid_iv(&sa->x->keys, sa->x->keys.iv, h->msgid, iv) != 0) {
		sa->ctr.undecryptable++;
		goto done;
	}
	if (qm_open_offer(sa, h, buf, len, iv, NULL, 0, m, plain, rs.iv, &sap, &no) != 0)
		goto done;
	c = ike_child_create(e->sas, sa, IKE_ROLE_RESPONDER, h->msgid);
	if (c == NULL || (c->x = qm_exchange_new()) == NULL)
		goto done;
	retx_keep_in(&c->x->rt, buf, len, true);
	if (take_selectors(sa, m, c) != 0 || keep_ids(m, &rs) != 0) {
		refuse(e, sa, c, ISAKMP_N_INVALID_ID_INFORMATION, IKE_CAUSE_MALFORMED,
		       "unreadable proxy identities in QM1");
		goto done;
	}
	selectors_text(c, sel, sizeof(sel));
	idx = find_cfg_child(sa, p, &c->local_ts, &c->remote_ts);
	if (idx < 0) {
		snprintf(detail, sizeof(detail), "refused by us: %.46s", sel);
		refuse(e, sa, c, ISAKMP_N_INVALID_ID_INFORMATION, IKE_CAUSE_PROXY_ID_MISMATCH,
		       detail);
		goto done;
	}
	c->cfg_index = (uint32_t)idx;
	rekey_link_child(e, sa, c);
	r = phase2_choose(sap->body, sap->len, p, isakmp_msg_find(m, ISAKMP_NP_KE, NULL) != NULL,
	                  &c->xf, &num, &c->spi_out, &why);
	if (r != 0) {
		refuse(e, sa, c, ISAKMP_N_NO_PROPOSAL_CHOSEN, r == -1 ? why : IKE_CAUSE_MALFORMED,
		       "refused by us");
		goto done;
	}
	if (new_spi(e, c) != 0 || responder_ke_nonce(c, m) != 0) {
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "answering QM1");
		goto done;
	}
	why = take_ke(m, c, c->x->gi);
	if (why != IKE_CAUSE_NONE) {
		refuse(e, sa, c, ISAKMP_N_INVALID_KEY_INFORMATION, why, "in the peer's QM1");
		goto done;
	}
	if (c->xf.group == 0) {
		answer_qm1(e, sa, c, NULL, 0, &rs, num);
		goto done;
	}
	/* our key pair and g^xy, on a worker when there are some: quick_R1_dh_done goes on
	 * (copies of QM1 meanwhile find no answer yet and are dropped) */
	j = qm_job(sa, DH_STEP_QM_R1, c->xf.group, NULL, c->x->gi, c->x->g_len, &rs);
	if (j != NULL)
		j->arg = num;
	engine_dh_start_child(e, sa, c, j);
done:
	free(plain);
	free(m);
}

/* ... with our key pair and g^xy: QM2 */
static void quick_R1_dh_done(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                             const struct ike_dh_job *j)
{
	struct qm_resume rs;

	if (j->ctx_len != sizeof(rs) || j->pub_len != c->x->g_len) {
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "answering QM1");
		return;
	}
	if (j->status != 0) {
		refuse(e, sa, c, ISAKMP_N_INVALID_KEY_INFORMATION, IKE_CAUSE_INVALID_KE,
		       "the peer's QM1 KE is not usable");
		return;
	}
	memcpy(&rs, j->ctx, sizeof(rs));
	memcpy(c->x->gr, j->pub, j->pub_len);
	answer_qm1(e, sa, c, j->secret, j->secret_len, &rs, (uint8_t)j->arg);
}

/* QM2's g^xy made: QM3 */
static void quick_I2_dh_done(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                             const struct ike_dh_job *j)
{
	struct qm_resume rs;

	if (j->ctx_len != sizeof(rs)) {
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "deriving KEYMAT");
		return;
	}
	if (j->status != 0) {
		child_failed(e, sa, c, IKE_CAUSE_INVALID_KE, "the peer's QM2 KE is not usable");
		return;
	}
	memcpy(&rs, j->ctx, sizeof(rs));
	send_qm3(e, sa, c, j->secret, j->secret_len, rs.iv);
}

void quick_dh_done(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                   struct ike_dh_job *j)
{
	if (j == NULL) {
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "no memory for the PFS key exchange");
		return;
	}
	switch (j->step) {
	case DH_STEP_QM_I1:
		quick_I1_dh_done(e, sa, c, j);
		break;
	case DH_STEP_QM_I2:
		quick_I2_dh_done(e, sa, c, j);
		break;
	case DH_STEP_QM_R1:
		quick_R1_dh_done(e, sa, c, j);
		break;
	default:
		child_failed(e, sa, c, IKE_CAUSE_INTERNAL, "unknown key exchange step");
	}
}

/* HDR*, HASH(3) --> */
static void quick_inI2(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                       const struct isakmp_hdr *h, const uint8_t *buf, size_t len)
{
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = malloc(QM_BUF), want[IKE_MAX_HASH_LEN], rx_iv[IKE_MAX_BLOCK_LEN];

	if (m == NULL || plain == NULL)
		goto done;
	if (qm_open(sa, h, buf, len, c->x->iv, m, plain, rx_iv) != 0 ||
	    qm_hash3(sa, c, want) != 0 || !hash_ok(m, want, sa->x->keys.prf_len)) {
		sa->ctr.undecryptable++;
		goto done;
	}
	c->x->rt.armed = false;
	/* QM3 is final: a copy of it is dropped, never answered with QM2 again */
	retx_keep_in(&c->x->rt, buf, len, false);
	qm_negotiated(c->x);
	ike_child_set_state(e->sas, sa, c, IKE_CHILD_INSTALLED);
done:
	free(plain);
	free(m);
}

/* A child of sa with this message ID, deleted ones included. */
static struct ike_child *child_any(struct ike_sa *sa, uint32_t msgid)
{
	for (struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (c->msgid == msgid)
			return c;
	return NULL;
}

void quick_input(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_hdr *h,
                 const uint8_t *buf, size_t len)
{
	struct ike_global_counters *g = ike_sa_table_counters_mut(e->sas);
	struct ike_child *c;

	if (sa->state != IKE_ST_ESTABLISHED || !(h->flags & ISAKMP_FLAG_ENC) || h->msgid == 0 ||
	    sa->x == NULL || !sa->x->have_keys) {
		g->dropped_unexpected++;
		return;
	}
	c = child_any(sa, h->msgid);
	if (c != NULL && c->x != NULL && retx_is_dup(&c->x->rt, buf, len)) {
		sa->ctr.dup_in++;
		if (c->state != IKE_CHILD_DELETED && retx_answer_dup(&c->x->rt))
			engine_send_child(e, sa, c, c->x->rt.last_out, c->x->rt.last_out_len,
			                  false);
		return;
	}
	/* a PFS job is out for it: nothing moves it on before the result is in */
	if (c != NULL && c->x != NULL && c->x->dh_pending) {
		g->dropped_unexpected++;
		return;
	}
	if (c == NULL) {
		quick_inI1_outR1(e, sa, h, buf, len);
		return;
	}
	if (c->state == IKE_CHILD_QM_I1)
		quick_inR1_outI2(e, sa, c, h, buf, len);
	else if (c->state == IKE_CHILD_QM_R1)
		quick_inI2(e, sa, c, h, buf, len);
	else
		g->dropped_unexpected++;
}

/* ---- timers, deletes, notifies ---- */

bool quick_deadline(struct ike_engine *e, const struct ike_child *c, struct timespec *at)
{
	if (c->state == IKE_CHILD_DELETED) {
		*at = c->deleted_mono;
		ts_add_ms(at, (uint64_t)e->settings.deleted_linger_s * 1000);
		return true;
	}
	if (c->state == IKE_CHILD_INSTALLED) {
		struct timespec rekey;

		*at = c->state_entered;
		ts_add_ms(at, (uint64_t)c->xf.life_s * 1000);
		if (rekey_child_deadline(e, c, &rekey) && ts_diff_ms(&rekey, at) < 0)
			*at = rekey;
		return true;
	}
	if (c->x != NULL && c->x->rt.armed) {
		*at = c->x->rt.at;
		return true;
	}
	return false;
}

void quick_timeout(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                   const struct timespec *now)
{
	bool init = c->role == IKE_ROLE_INITIATOR;

	if (c->state == IKE_CHILD_DELETED) {
		ike_child_remove(e->sas, sa, c);
		return;
	}
	if (c->state == IKE_CHILD_INSTALLED) {
		struct timespec expiry = c->state_entered;

		ts_add_ms(&expiry, (uint64_t)c->xf.life_s * 1000);
		if (ts_diff_ms(&expiry, now) <= 0)
			quick_delete(e, sa, c, IKE_CAUSE_EXPIRED);
		else
			(void)rekey_child_timeout(e, sa, c, now);
		return;
	}
	if (retx_next(&c->x->rt, e->settings.retransmit_tries, now)) {
		c->retransmits++;
		sa->ctr.retransmits++;
		ike_sa_note_cause(e->sas, sa, c, IKE_CAUSE_QM_SILENT, "no reply to QM1");
		engine_log(e, IKE_LOG_INFO, "conn-id %u peer %s: retransmitting QM1 of %u",
		           sa->conn_id, sa->peer, c->index);
		engine_send_child(e, sa, c, c->x->rt.last_out, c->x->rt.last_out_len, false);
		return;
	}
	child_failed(e, sa, c, IKE_CAUSE_QM_SILENT,
	             init ? "no reply to QM1" : "no QM3 after our QM2");
}

void quick_delete(struct ike_engine *e, struct ike_sa *sa, struct ike_child *c,
                  enum ike_cause reason)
{
	if (c->state == IKE_CHILD_DELETED)
		return;
	if (c->state == IKE_CHILD_INSTALLED && sa->state == IKE_ST_ESTABLISHED)
		info_send_delete_ipsec(e, sa, c->xf.protocol, c->spi_in);
	if (c->x != NULL)
		c->x->rt.armed = false;
	ike_child_mark_deleted(e->sas, sa, c, reason);
}

/* The pending child a notify is about: by SPI, else the oldest Quick Mode we started. */
static struct ike_child *notify_child(struct ike_sa *sa, const struct isakmp_notify *n)
{
	uint32_t spi;

	if (n->spi_len == 4) {
		spi = (uint32_t)n->spi[0] << 24 | (uint32_t)n->spi[1] << 16 |
		      (uint32_t)n->spi[2] << 8 | n->spi[3];
		for (struct ike_child *c = sa->children; c != NULL; c = c->next)
			if ((c->spi_in == spi || c->spi_out == spi) &&
			    c->state != IKE_CHILD_DELETED)
				return c;
	}
	for (struct ike_child *c = sa->children; c != NULL; c = c->next)
		if (c->state == IKE_CHILD_QM_I1)
			return c;
	return NULL;
}

void quick_notify(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_notify *n)
{
	struct ike_child *c = notify_child(sa, n);
	enum ike_cause cause;
	char detail[64];

	if (c == NULL || c->state == IKE_CHILD_INSTALLED)
		return;
	switch (n->type) {
	case ISAKMP_N_NO_PROPOSAL_CHOSEN:
		cause = IKE_CAUSE_P2_NO_PROPOSAL;
		break;
	case ISAKMP_N_INVALID_ID_INFORMATION:
		cause = IKE_CAUSE_PROXY_ID_MISMATCH;
		break;
	case ISAKMP_N_INVALID_KEY_INFORMATION:
		cause = IKE_CAUSE_PFS_MISMATCH;
		break;
	default:
		cause = IKE_CAUSE_PEER_NOTIFY;
		break;
	}
	snprintf(detail, sizeof(detail), "refused by peer: %s", isakmp_notify_name(n->type));
	child_failed(e, sa, c, cause, detail);
}

void quick_peer_delete(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_delete *d)
{
	if (d->spi_len != 4)
		return;
	for (uint16_t i = 0; i < d->n_spis; i++) {
		const uint8_t *s = d->spis + (size_t)i * 4;
		uint32_t spi =
		    (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
		/* the peer names its inbound SPI, which is our outbound one */
		struct ike_child *c = ike_child_by_spi(sa, spi, true);

		if (c == NULL)
			continue;
		engine_log(e, IKE_LOG_NOTICE,
		           "conn-id %u peer %s: phase-2 SA %u deleted by the peer", sa->conn_id,
		           sa->peer, c->index);
		if (c->x != NULL)
			c->x->rt.armed = false;
		/* the peer retires a phase-2 SA it replaced (rekey.c): say so */
		ike_child_mark_deleted(
		    e->sas, sa, c, c->replaced ? IKE_CAUSE_REPLACED : IKE_CAUSE_DELETED_BY_PEER);
	}
}
