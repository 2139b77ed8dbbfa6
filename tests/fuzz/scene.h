/*
 * scene.h - two real IKE engines talking in memory, stopped where one of them (T, the
 * target) waits for a given message from the other (P, its peer).
 *
 * fuzz_exchange uses it to put each exchange handler in front of the fuzzer's bytes;
 * make_seeds uses it to write the fuzzer's seeds (each the message P really sent there).
 *
 * Everything is deterministic: scene_rand_install() replaces OpenSSL's random source
 * (RAND_bytes, and the DH key generation under ike_dh_new) by a counter-based generator
 * that scene_run() restarts, so the same scenario gives the same cookies, nonces, SPIs,
 * DH keys and so the same SKEYIDs on every run.  The engines are the real ones (libike);
 * only the network is a queue.
 *
 * A fuzz input for a scenario is the peer's next message with its payload chain replaced:
 *
 *   byte 0   scenario (taken modulo SCENE_COUNT)
 *   byte 1   SCENE_F_* flags
 *   byte 2   the first payload's type (the header's next-payload field)
 *   byte 3.. the payloads in plaintext; they are encrypted with the SA's keys and IV (as
 *            the peer would) when the intercepted message was encrypted
 *
 * The header (cookies, exchange type, message ID, flags) is the intercepted message's,
 * so the datagram reaches the handler the state's row names; an informational's message
 * ID is another one (T keeps the IDs of informationals it took, to drop replays).
 */
#ifndef TESTS_FUZZ_SCENE_H
#define TESTS_FUZZ_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Scenarios: the state T is in when the fuzzer's message arrives. */
enum scene_id {
	SCENE_MM_R0 = 0, /* T responder, no SA yet: the peer's MM1 */
	SCENE_MM_I1,     /* T sent MM1: MM2 */
	SCENE_MM_R1,     /* T sent MM2: MM3 (KE, Ni) */
	SCENE_MM_I2,     /* T sent MM3: MM4 (KE, Nr) */
	SCENE_MM_R2,     /* T sent MM4: MM5 (encrypted IDii, HASH_I) */
	SCENE_MM_I3,     /* T sent MM5: MM6 (encrypted IDir, HASH_R) */
	SCENE_QM_R0,     /* T at QM_IDLE as responder: a new Quick Mode's QM1 */
	SCENE_QM_I1,     /* T sent QM1: QM2 */
	SCENE_QM_R1,     /* T sent QM2: QM3 */
	SCENE_INFO,      /* T at QM_IDLE with a phase-2 SA: an informational (DELETE) */
	SCENE_AM_R0,     /* Aggressive Mode, T responder, no SA yet: AM1 (SA, KE, Ni, IDii) */
	SCENE_AM_I1,     /* T sent AM1: AM2 (SA, KE, Nr, IDir, HASH_R) */
	SCENE_AM_R1,     /* T sent AM2: AM3 (encrypted HASH_I) */
	SCENE_COUNT
};

/* Byte 1 of an input. */
#define SCENE_F_FIX_HASH 0x01 /* compute the HASH payload the state checks */
#define SCENE_F_INFO     0x02 /* send an informational instead of the expected exchange */
#define SCENE_F_TWICE    0x04 /* deliver the datagram twice (the retransmission path) */
#define SCENE_F_RAW      0x08 /* bytes 2.. are a whole datagram: only its cookies are set */

#define SCENE_INPUT_HDR 3     /* scenario, flags, next payload */
#define SCENE_MSG_MAX   16384 /* largest datagram a scenario builds */

struct scene;

/* Make OpenSSL's random source the scene's deterministic one (once per process). */
int scene_rand_install(void);

/* A scene with no engines yet; NULL when out of memory. */
struct scene *scene_new(void);
/* Free the engines, the queue and the scene. */
void scene_free(struct scene *s);

/*
 * Build T and P, start the negotiation and run it until the message T waits for in
 * scenario id is about to be delivered; that message is kept, not delivered.  0, or -1
 * when the engines did not get there (the harness no longer matches the engine).
 */
int scene_run(struct scene *s, unsigned id);

/*
 * The kept message as an input for fuzz_exchange (format above) with flags: its payloads
 * decrypted with T's keys when it was encrypted; with SCENE_F_RAW the datagram as it
 * was.  Returns the length, 0 on failure.
 */
size_t scene_seed(struct scene *s, uint8_t flags, uint8_t *out, size_t cap);

/* The cookies of T's SA (the ISAKMP SA's SPI in a DELETE), as the kept message has them. */
void scene_cookies(const struct scene *s, uint8_t out[16]);

/* Deliver an input's message to T (data and len without the scenario byte's meaning). */
void scene_feed(struct scene *s, const uint8_t *in, size_t len);

/* Deliver the kept message to T as the peer sent it (after an input T ignored). */
void scene_deliver_kept(struct scene *s);

/* Whether T is where the kept message, fed back, should take it (the handler accepted). */
bool scene_progressed(struct scene *s);

/* A digest of T's SAs and phase-2 SAs and their states: equal digests, T unchanged. */
uint64_t scene_mark(struct scene *s);

/* Datagrams T sent in answer to the fed input (for the oracle's counts). */
size_t scene_answers(const struct scene *s);

/* Short name of a scenario ("mm-r2"), for file names and messages. */
const char *scene_name(unsigned id);

#endif /* TESTS_FUZZ_SCENE_H */
