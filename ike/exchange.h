/*
 * exchange.h - engine-private types shared by the engine and its exchange handlers.
 * Nothing outside ike/ includes this.
 */
#ifndef IKE_EXCHANGE_H
#define IKE_EXCHANGE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "codec.h"
#include "dh.h"
#include "engine.h"
#include "keys.h"
#include "sa.h"

#define IKE_NONCE_LEN 32 /* what we send */
#define IKE_NONCE_MIN 8  /* RFC 2409 5: 8..256 bytes */
#define IKE_NONCE_MAX 256

/* Per-SA private state: key exchange, keys, retransmission. */
struct ike_exchange {
	struct ike_dh *dh;           /* freed once the shared secret is known */
	uint8_t gxi[IKE_DH_MAX_LEN]; /* initiator's public value */
	uint8_t gxr[IKE_DH_MAX_LEN]; /* responder's public value */
	size_t g_len;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	uint8_t *sai_b; /* initiator's SA payload body, for HASH_I/HASH_R */
	size_t sai_len;
	struct ike_p1_keys keys; /* secret; wiped on free */
	bool have_keys;
	bool saw_undecryptable;           /* evidence of a key mismatch */
	uint8_t rx_iv[IKE_MAX_BLOCK_LEN]; /* IV after the message being handled, if it holds */

	/* retransmission: the last message we sent and the last one we answered */
	uint8_t *last_out;
	size_t last_out_len;
	uint8_t *last_in;
	size_t last_in_len;
	uint32_t tries;   /* retransmissions so far */
	uint32_t wait_ms; /* current back-off */
	bool timer_armed;
	struct timespec timer; /* CLOCK_MONOTONIC deadline */
	bool retransmits;      /* we retransmit on the timer (else we only wait) */
};

struct engine_peer {
	struct ike_peer_cfg cfg;
	bool restart_pending; /* auto=start: negotiate again at restart_at */
	struct timespec restart_at;
};

struct ike_engine {
	struct ike_engine_ops ops;
	void *ctx;
	struct ike_settings settings;
	struct ike_sa_table *sas;
	struct engine_peer *peers;
	size_t n_peers;
};

/* ---- engine.c: services for handlers ---- */
void engine_log(struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const struct ike_peer_cfg *engine_peer_cfg(struct ike_engine *e, const char *name);
/* Send buf as sa's message, store it for retransmission; arm the timer when retransmit. */
int engine_send(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len,
                bool retransmit);
/* Send without storing (notifies, informational). */
int engine_send_once(struct ike_engine *e, struct ike_sa *sa, const uint8_t *buf, size_t len);
/* Wait for the peer for the retransmission span without retransmitting (responder). */
void engine_wait_peer(struct ike_engine *e, struct ike_sa *sa);
void engine_disarm(struct ike_sa *sa);
struct ike_exchange *engine_exchange(struct ike_sa *sa); /* allocates on first use */
void engine_free_exchange(struct ike_exchange *x);
/* Fail the SA with a cause and delete it. */
void engine_fail(struct ike_engine *e, struct ike_sa *sa, enum ike_cause cause, const char *detail);
void engine_now(struct timespec *ts);
/* Record the likely cause of a stall on the SA while it still negotiates (no event). */
void engine_suspect(struct ike_sa *sa, enum ike_cause cause, const char *detail);

/* ---- phase1.c: what Main and Aggressive Mode share ---- */
/* Write our SA payload offering the peer's proposals; returns its body offset/len. */
int phase1_put_sa(struct msg_builder *b, const struct ike_peer_cfg *p, uint32_t lifetime,
                  size_t *body_off, size_t *body_len);
/* Answer SA payload with one chosen transform (echoing its number and attributes). */
int phase1_put_sa_reply(struct msg_builder *b, const struct ike_sa_transform *xf,
                        uint8_t transform_num);
/* Choose the first of the initiator's transforms that one of ours matches. Returns 0 and
 * fills xf/num, or -1 (no proposal chosen), or -2 (malformed). */
int phase1_choose(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p,
                  struct ike_sa_transform *xf, uint8_t *num);
/* Check the responder's answer against what we offered. 0, -1 (not offered), -2 (malformed). */
int phase1_check_reply(const uint8_t *sa_body, size_t len, const struct ike_peer_cfg *p,
                       struct ike_sa_transform *xf);
/* Our ID payload body (type, proto 0, port 0, data) for sa into out; returns length. */
size_t phase1_id_body(const struct ike_sa *sa, const struct ike_peer_cfg *p, bool local,
                      uint8_t *out, size_t cap);
/* Decode a received ID payload body into id (printable). Returns 0 or -1. */
int phase1_id_decode(const uint8_t *body, size_t len, struct ike_id *id);
/* Whether a received identity is what the peer config expects (default: its address). */
bool phase1_id_acceptable(const struct ike_sa *sa, const struct ike_peer_cfg *p,
                          const struct ike_id *got);
/* New random cookie. */
int phase1_cookie(uint8_t cookie[8]);

/* ---- main_mode.c ---- */
/* Start Main Mode as initiator on a new SA (MM1). */
int main_outI1(struct ike_engine *e, struct ike_sa *sa, const struct ike_peer_cfg *p);
enum ike_handler_result main_inI1_outR1(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inR1_outI2(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inI2_outR2(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inR2_outI3(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inI3_outR3(struct ike_engine *e, struct ike_sa *sa,
                                        const struct isakmp_msg *m);
enum ike_handler_result main_inR3(struct ike_engine *e, struct ike_sa *sa,
                                  const struct isakmp_msg *m);
/* What a timeout in the SA's state means (peer silent after MMn, key mismatch ...). */
enum ike_cause main_timeout_cause(const struct ike_sa *sa, char *detail, size_t len);

/* ---- informational.c ---- */
/* Handle an informational exchange for sa (decrypted when keys exist). */
void info_input(struct ike_engine *e, struct ike_sa *sa, const struct isakmp_msg *m,
                bool authenticated);
/* Send a notify (encrypted and hashed once keys exist). */
int info_send_notify(struct ike_engine *e, struct ike_sa *sa, uint16_t type);
/* Send an unencrypted notify to a datagram's source with no SA (or before keys). */
int info_send_notify_plain(struct ike_engine *e, const struct sockaddr *local,
                           const struct sockaddr *remote, const uint8_t icookie[8],
                           const uint8_t rcookie[8], uint16_t type);
/* Send DELETE for an established ISAKMP SA. */
int info_send_delete(struct ike_engine *e, struct ike_sa *sa);
/* Decrypt an informational (IV from msgid) and check HASH(1). 0 ok, -1 undecryptable. */
int info_open(struct ike_engine *e, struct ike_sa *sa, const uint8_t *dgram, size_t len,
              struct isakmp_msg *m, uint8_t *plain, size_t cap);

#endif /* IKE_EXCHANGE_H */
