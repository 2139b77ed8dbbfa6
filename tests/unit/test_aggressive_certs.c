/*
 * test_aggressive_certs.c - Aggressive Mode with signatures (RFC 2409 5.1) between two real
 * engines in memory (engine_pair.h), certificates made with OpenSSL's API (pki_fixture.h):
 *
 *  - RSA and ECDSA (P-256, P-384) in both directions: the wire (AM1 with CERTREQ, AM2 with
 *    CERT and SIG in the clear, AM3 encrypted), the states one message at a time
 *    (AG_NO_STATE -> AG_INIT_EXCH -> AG_AUTH -> QM_IDLE), the peer's certificate subject;
 *  - each bad certificate of the initiator (refused in AM3) and of the responder (refused
 *    in AM2): expired, not yet valid, revoked, from another CA, identity not in it, none
 *    sent, and a SIG_R that does not verify -- each with its cause on both sides;
 *  - a DELETE right after AM3 (how charon refuses it) is a refusal on the initiator;
 *  - a responder without `aggressive = yes` still refuses.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/causes.h"
#include "ike/cert.h"
#include "ike/codec.h"
#include "ike/engine.h"
#include "ike/ike.h"
#include "tests/unit/engine_pair.h"
#include "tests/unit/pki_fixture.h"
#include "tests/unit/testlib.h"

#define PUMP_MAX 200

static struct pki_cert ca, other_ca;
static X509_CRL *crl; /* ca's, revoking serial 77 */

static void pki_setup(void)
{
	ca = make_cert("rsa", "Test CA", NULL, -DAY, 365 * DAY, NULL, 1);
	other_ca = make_cert("rsa", "Other CA", NULL, -DAY, 365 * DAY, NULL, 2);
	crl = make_crl(&ca, 77);
}

static void pki_teardown(void)
{
	free_cert(&ca);
	free_cert(&other_ca);
	X509_CRL_free(crl);
}

/* One side's certificate: its key type, name, address in the subjectAltName, validity,
 * serial, issuer (NULL: the test CA). */
struct side_spec {
	const char *type, *cn, *ip;
	long from, to, serial;
	const struct pki_cert *issuer;
};

static void add(struct ike_creds *c, int kind, char *pem)
{
	char err[256];
	int r = -1;

	if (kind == 0)
		r = ike_creds_add_own(c, pem, strlen(pem), "cert", err, sizeof(err));
	else if (kind == 1)
		r = ike_creds_set_key(c, pem, strlen(pem), "key", err, sizeof(err));
	else if (kind == 2)
		r = ike_creds_add_cas(c, pem, strlen(pem), "ca", err, sizeof(err));
	else
		r = ike_creds_add_crls(c, pem, strlen(pem), "crl", err, sizeof(err));
	ck_assert_msg(r == 0, "creds: %s", err);
	free(pem);
}

/* Credentials for a side: its certificate and key, trusting the test CA, with its CRL. */
static struct ike_creds *side_creds(const struct side_spec *s)
{
	struct ike_creds *c = ike_creds_new();
	char san[40], err[256];
	struct pki_cert leaf;

	ck_assert_ptr_nonnull(c);
	snprintf(san, sizeof(san), "IP:%s", s->ip);
	leaf = make_cert(s->type, s->cn, s->issuer != NULL ? s->issuer : &ca, s->from, s->to, san,
	                 s->serial);
	add(c, 0, pem_cert(leaf.x));
	add(c, 1, pem_key(leaf.key));
	add(c, 2, pem_cert(ca.x));
	add(c, 3, pem_crl(crl));
	free_cert(&leaf);
	ck_assert_msg(ike_creds_finish(c, err, sizeof(err)) == 0, "finish: %s", err);
	return c;
}

/* What the tap saw, and the SIG of the responder's AM2 to spoil (bad signature). */
struct wire {
	int n;
	int from[16];
	uint8_t exchange[16], flags[16];
	bool has_cr[16], has_cert[16], has_sig[16];
	bool spoil_sig;   /* corrupt the SIG of the first unencrypted datagram with one */
	uint8_t *spoiled; /* that datagram, spoilt, kept off the queue for the test */
	size_t spoiled_len;
	int spoiled_to;
};

static bool tap(void *ctx, int from, const uint8_t *buf, size_t len)
{
	struct wire *w = ctx;
	struct isakmp_msg m;
	const struct isakmp_payload *sig;
	bool plain = len >= ISAKMP_HDR_LEN && (buf[19] & ISAKMP_FLAG_ENC) == 0;
	bool parsed = plain && isakmp_msg_parse(buf, len, &m) == CODEC_OK;

	if (len >= ISAKMP_HDR_LEN && w->n < 16) {
		w->from[w->n] = from;
		w->exchange[w->n] = buf[18];
		w->flags[w->n] = buf[19];
		w->has_cr[w->n] = parsed && isakmp_msg_find(&m, ISAKMP_NP_CR, NULL) != NULL;
		w->has_cert[w->n] = parsed && isakmp_msg_find(&m, ISAKMP_NP_CERT, NULL) != NULL;
		w->has_sig[w->n] = parsed && isakmp_msg_find(&m, ISAKMP_NP_SIG, NULL) != NULL;
		w->n++;
	}
	if (!w->spoil_sig || w->spoiled != NULL || !parsed ||
	    (sig = isakmp_msg_find(&m, ISAKMP_NP_SIG, NULL)) == NULL || sig->len == 0)
		return false;
	w->spoiled = malloc(len);
	ck_assert_ptr_nonnull(w->spoiled);
	memcpy(w->spoiled, buf, len);
	w->spoiled[(size_t)(sig->body - buf) + sig->len / 2] ^= 0x5a;
	w->spoiled_len = len;
	w->spoiled_to = 1 - from;
	return true;
}

struct scene {
	struct side_spec spec[2];
	int ini;            /* the side that initiates (Aggressive Mode); the other answers */
	bool never_send[2]; /* send_cert = never on that side */
	bool responder_off; /* the responder keeps aggressive = no */
	const char *ike;
};

/* Configure both sides for the scene and initiate; the datagrams are not yet delivered. */
static void scene_start(struct engine_pair *pr, struct wire *w, const struct scene *sc)
{
	struct ep_config cfg = {
	    .psk = "unused", .ike = sc->ike, .name = {"side1", "side0"}, .tap = tap, .tap_ctx = w};

	ck_assert_int_eq(engine_pair_init(pr, &cfg), 0);
	for (int i = 0; i < 2; i++) {
		struct ike_creds *c = side_creds(&sc->spec[i]);
		struct ike_peer_cfg *p = &pr->side[i].cfg;

		memset(p->psk, 0, sizeof(p->psk));
		p->psk_len = 0;
		p->creds = c;
		p->send_cert = sc->never_send[i] ? IKE_SEND_CERT_NEVER : IKE_SEND_CERT_ALWAYS;
		if (i == sc->ini)
			p->exchange = ISAKMP_XCHG_AGGR;
		else
			p->aggressive = !sc->responder_off;
		ck_assert_int_eq(ike_engine_set_peers(pr->side[i].e, p, 1), 0);
		p->creds = NULL;
		ike_creds_unref(c); /* the engine holds its own reference */
	}
	ck_assert_int_gt(ike_engine_initiate(pr->side[sc->ini].e, sc->ini == 0 ? "side1" : "side0"),
	                 0);
}

static void scene_run(struct engine_pair *pr, struct wire *w)
{
	ck_assert_int_ge(engine_pair_run(pr, PUMP_MAX), 0);
	if (w->spoiled != NULL) {
		engine_pair_input(pr, w->spoiled_to, w->spoiled, w->spoiled_len);
		ck_assert_int_ge(engine_pair_run(pr, PUMP_MAX), 0);
	}
}

static const struct ike_sa *sa_of(struct engine_pair *pr, int side)
{
	return ike_sa_first(ike_engine_sas(pr->side[side].e));
}

static const char *cisco(const struct ike_sa *sa)
{
	return sa == NULL ? "(none)" : cisco_state_name(ike_state_cisco(sa->state));
}

/* Side ini brings up Aggressive Mode with certificates of key type `type`. */
static void good(const char *type, uint16_t auth, const char *ike, int ini)
{
	struct scene sc = {.spec = {{type, "side0", "127.0.0.1", -DAY, DAY, 100, NULL},
	                            {type, "side1", "127.0.0.2", -DAY, DAY, 101, NULL}},
	                   .ini = ini,
	                   .ike = ike};
	int resp = 1 - ini;
	struct engine_pair pr;
	struct wire w = {0};
	struct ep_dgram d;
	const struct ike_sa *a, *b;

	scene_start(&pr, &w, &sc);
	/* AM1 on its way: the initiator at AG_INIT_EXCH, no responder SA yet */
	ck_assert_str_eq(cisco(sa_of(&pr, ini)), "AG_INIT_EXCH");
	ck_assert_ptr_null(sa_of(&pr, resp));
	ck_assert(engine_pair_pop(&pr, &d));
	engine_pair_input(&pr, d.to, d.buf, d.len);
	free(d.buf);
	/* AM2 on its way: the responder answered, at AG_INIT_EXCH */
	ck_assert_str_eq(cisco(sa_of(&pr, resp)), "AG_INIT_EXCH");
	ck_assert(engine_pair_pop(&pr, &d));
	engine_pair_input(&pr, d.to, d.buf, d.len);
	free(d.buf);
	/* the initiator verified SIG_R and sent AM3: authenticated, then QM_IDLE */
	ck_assert_str_eq(cisco(sa_of(&pr, ini)), "QM_IDLE");
	ck_assert_str_eq(cisco(sa_of(&pr, resp)), "AG_INIT_EXCH");
	ck_assert_int_ge(engine_pair_run(&pr, PUMP_MAX), 1);
	a = sa_of(&pr, ini);
	b = sa_of(&pr, resp);
	for (int s = 0; s < 2; s++) {
		const struct ike_sa *sa = s == 0 ? a : b;

		ck_assert_msg(sa->state == IKE_ST_ESTABLISHED,
		              "%s, side %d initiating: side %d %s %s", type, ini,
		              s == 0 ? ini : resp, ike_cause_id(sa->last_cause), sa->cause_detail);
		ck_assert_int_eq(sa->exchange, ISAKMP_XCHG_AGGR);
		ck_assert_uint_eq(sa->xf.auth, auth);
	}
	ck_assert_str_eq(a->peer_cert, ini == 0 ? "C=CH, O=ikemon test, CN=side1"
	                                        : "C=CH, O=ikemon test, CN=side0");
	ck_assert_str_eq(b->peer_cert, ini == 0 ? "C=CH, O=ikemon test, CN=side0"
	                                        : "C=CH, O=ikemon test, CN=side1");
	/* the wire: AM1 (CERTREQ), AM2 (CERT, SIG, CERTREQ) in the clear, AM3 encrypted */
	ck_assert_int_ge(w.n, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(w.exchange[i], ISAKMP_XCHG_AGGR);
		ck_assert_int_eq(w.from[i], i == 1 ? resp : ini);
	}
	ck_assert(w.has_cr[0] && !w.has_sig[0]);
	ck_assert(w.has_cert[1] && w.has_sig[1] && w.has_cr[1]);
	ck_assert_int_eq(w.flags[1] & ISAKMP_FLAG_ENC, 0);
	ck_assert_int_ne(w.flags[2] & ISAKMP_FLAG_ENC, 0);
	printf("aggressive certs: %s, side %d -> side %d: AG_NO_STATE, AG_INIT_EXCH, QM_IDLE; "
	       "peer cert \"%s\"\n",
	       type, ini, resp, a->peer_cert);
	engine_pair_free(&pr);
}

START_TEST(test_good_both_ways)
{
	for (int ini = 0; ini < 2; ini++) {
		good("rsa", IKE_AUTH_RSA_SIG, "aes128-sha256-modp2048", ini);
		good("P-256", IKE_AUTH_ECDSA_256, "aes128-sha1-ecp256", ini);
		good("P-384", IKE_AUTH_ECDSA_384, "aes256-sha384-ecp384", ini);
	}
}
END_TEST

struct bad_case {
	const char *what;
	long from, to, serial;
	const char *ip;
	bool foreign, never_send, spoil;
	enum ike_cause cause; /* both sides': the checker's and what the other learns */
};

static const struct bad_case bad_cases[] = {
    {"expired", -10 * DAY, -DAY, 200, NULL, false, false, false, IKE_CAUSE_CERT_EXPIRED},
    {"not yet valid", DAY, 10 * DAY, 201, NULL, false, false, false, IKE_CAUSE_CERT_NOT_YET_VALID},
    {"revoked", -DAY, DAY, 77, NULL, false, false, false, IKE_CAUSE_CERT_REVOKED},
    {"from another CA", -DAY, DAY, 202, NULL, true, false, false, IKE_CAUSE_CERT_UNTRUSTED},
    {"another address", -DAY, DAY, 203, "127.0.0.9", false, false, false,
     IKE_CAUSE_CERT_ID_MISMATCH},
    {"none sent", -DAY, DAY, 204, NULL, false, true, false, IKE_CAUSE_NO_CERTIFICATE},
    {"SIG spoilt on the way", -DAY, DAY, 205, NULL, false, false, true, IKE_CAUSE_BAD_SIGNATURE},
};

/*
 * The certificate of side `bad` is bad (side 0 initiates): the other side refuses it --
 * in AM3 when bad is the initiator, in AM2 when it is the responder -- with the case's
 * cause, and side `bad` learns the same cause from the notify.
 */
static void bad_one(const struct bad_case *bc, int bad)
{
	static const char *ips[2] = {"127.0.0.1", "127.0.0.2"};
	struct scene sc = {.spec = {{"rsa", "side0", ips[0], -DAY, DAY, 300, NULL},
	                            {"rsa", "side1", ips[1], -DAY, DAY, 301, NULL}},
	                   .ini = 0,
	                   .ike = "aes128-sha256-modp2048"};
	struct engine_pair pr;
	struct wire w = {0};
	const struct ike_sa *checker, *refused;

	sc.spec[bad].from = bc->from;
	sc.spec[bad].to = bc->to;
	sc.spec[bad].serial = bc->serial;
	sc.spec[bad].ip = bc->ip != NULL ? bc->ip : ips[bad];
	sc.spec[bad].issuer = bc->foreign ? &other_ca : NULL;
	sc.never_send[bad] = bc->never_send;
	w.spoil_sig = bc->spoil;
	if (bc->spoil && bad == 0)
		return; /* AM3 is encrypted: only the responder's SIG_R can be spoilt on the way */
	scene_start(&pr, &w, &sc);
	scene_run(&pr, &w);
	checker = sa_of(&pr, 1 - bad);
	refused = sa_of(&pr, bad);
	ck_assert_ptr_nonnull(checker);
	ck_assert_ptr_nonnull(refused);
	ck_assert_msg(checker->state == IKE_ST_DELETED && checker->delete_reason == bc->cause,
	              "%s (%s's): the checker %s %s (%s)", bc->what, bad == 0 ? "AM3" : "AM2",
	              cisco(checker), ike_cause_id(checker->delete_reason), checker->cause_detail);
	ck_assert_msg(refused->state == IKE_ST_DELETED && refused->delete_reason == bc->cause,
	              "%s (%s's): the refused side %s %s (%s)", bc->what, bad == 0 ? "AM3" : "AM2",
	              cisco(refused), ike_cause_id(refused->delete_reason), refused->cause_detail);
	printf("aggressive certs: %s, %s refused: checker %s (%s); refused side %s (%s)\n",
	       bc->what, bad == 0 ? "initiator's AM3" : "responder's AM2",
	       ike_cause_id(checker->delete_reason), checker->cause_detail,
	       ike_cause_id(refused->delete_reason), refused->cause_detail);
	engine_pair_free(&pr);
	free(w.spoiled);
}

START_TEST(test_bad_initiator_cert)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		bad_one(&bad_cases[i], 0);
}
END_TEST

START_TEST(test_bad_responder_cert)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		bad_one(&bad_cases[i], 1);
}
END_TEST

/*
 * The responder deletes the SA as soon as it has AM3 (charon's way to refuse AM3's
 * certificate, without a notify): the initiator, up for an instant, takes it for a
 * refusal (cert-untrusted, as its own certificate shows nothing wrong).
 */
START_TEST(test_delete_after_am3)
{
	struct scene sc = {.spec = {{"rsa", "side0", "127.0.0.1", -DAY, DAY, 500, NULL},
	                            {"rsa", "side1", "127.0.0.2", -DAY, DAY, 501, NULL}},
	                   .ini = 0,
	                   .ike = "aes128-sha256-modp2048"};
	struct engine_pair pr;
	struct wire w = {0};
	struct ep_dgram d;
	const struct ike_sa *a;

	scene_start(&pr, &w, &sc);
	for (int i = 0; i < 3; i++) { /* AM1, AM2, AM3 */
		ck_assert(engine_pair_pop(&pr, &d));
		engine_pair_input(&pr, d.to, d.buf, d.len);
		free(d.buf);
	}
	ck_assert_str_eq(cisco(sa_of(&pr, 0)), "QM_IDLE");
	ck_assert_str_eq(cisco(sa_of(&pr, 1)), "QM_IDLE");
	ck_assert_int_eq(ike_engine_delete(pr.side[1].e, sa_of(&pr, 1)->conn_id, IKE_CAUSE_CLEARED),
	                 0);
	ck_assert_int_ge(engine_pair_run(&pr, PUMP_MAX), 1);
	a = sa_of(&pr, 0);
	ck_assert_int_eq(a->state, IKE_ST_DELETED);
	ck_assert_msg(a->delete_reason == IKE_CAUSE_CERT_UNTRUSTED, "%s (%s)",
	              ike_cause_id(a->delete_reason), a->cause_detail);
	ck_assert_str_eq(a->cause_detail, "DELETE after our AM3: probable certificate refused");
	printf("aggressive certs: DELETE right after AM3: initiator %s (%s)\n",
	       ike_cause_id(a->delete_reason), a->cause_detail);
	engine_pair_free(&pr);
}
END_TEST

/* Signatures do not open Aggressive Mode: aggressive = no still refuses it. */
START_TEST(test_responder_off)
{
	struct scene sc = {.spec = {{"P-256", "side0", "127.0.0.1", -DAY, DAY, 400, NULL},
	                            {"P-256", "side1", "127.0.0.2", -DAY, DAY, 401, NULL}},
	                   .ini = 0,
	                   .responder_off = true,
	                   .ike = "aes128-sha1-ecp256"};
	struct engine_pair pr;
	struct wire w = {0};

	scene_start(&pr, &w, &sc);
	scene_run(&pr, &w);
	ck_assert_int_eq(sa_of(&pr, 0)->delete_reason, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_ptr_nonnull(strstr(sa_of(&pr, 0)->cause_detail, "aggressive mode refused"));
	ck_assert_int_eq(sa_of(&pr, 1)->delete_reason, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	ck_assert_ptr_nonnull(strstr(sa_of(&pr, 1)->cause_detail, "aggressive = no"));
	engine_pair_free(&pr);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("aggressive_certs");
	TCase *tc = tcase_create("engines");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_good_both_ways);
	tcase_add_test(tc, test_bad_initiator_cert);
	tcase_add_test(tc, test_bad_responder_cert);
	tcase_add_test(tc, test_delete_after_am3);
	tcase_add_test(tc, test_responder_off);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
