/*
 * fuzz_exchange.c - libFuzzer target for the exchange handlers: each of them gets the
 * fuzzer's bytes as the peer's next message, in the state that waits for it.
 *
 * tests/fuzz/scene.c runs two real engines to the scenario's state (Main Mode responder
 * R0/R1/R2, initiator I1/I2/I3, Quick Mode responder and initiator, an established SA
 * for informationals) with fixed randomness, so every run starts from the same keys.
 * The input (format in scene.h) replaces the payloads of the message the peer would
 * have sent; the harness encrypts them with the SA's keys and, on request, computes the
 * HASH the state checks, so the fuzzer reaches the handlers' parsing rather than
 * stopping at the decryption or the HASH.
 *
 * Oracles besides the sanitizers: every datagram either engine sends must parse; a
 * message T drops without a word and without a change of state must leave it as ready
 * as before: the peer's genuine message, delivered next, must still move it on (a
 * rejected message that moved the IV chain, or left half a child behind, fails here);
 * and at start-up every scenario's genuine message, fed back through the harness, must
 * move T on (else the harness no longer reaches the handler and the run fails at once).
 *
 *   ./fuzz_exchange tests/fuzz/corpus/exchange
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/scene.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each scenario's genuine message must take T where the handler takes it. */
static void self_check(void)
{
	static uint8_t seed[SCENE_MSG_MAX + SCENE_INPUT_HDR];
	struct scene *s = scene_new();
	size_t n;

	if (s == NULL)
		abort();
	for (unsigned id = 0; id < SCENE_COUNT; id++) {
		if (scene_run(s, id) != 0 ||
		    (n = scene_seed(s, SCENE_F_FIX_HASH, seed, sizeof(seed))) == 0) {
			fprintf(stderr, "fuzz_exchange: scenario %s is not reached\n",
			        scene_name(id));
			abort();
		}
		if (scene_run(s, id) != 0)
			abort();
		scene_feed(s, seed, n);
		if (!scene_progressed(s)) {
			fprintf(stderr,
			        "fuzz_exchange: scenario %s: the peer's own message does "
			        "not get past the handler\n",
			        scene_name(id));
			abort();
		}
	}
	scene_free(s);
	fprintf(stderr, "fuzz_exchange: %d scenarios reached and checked\n", SCENE_COUNT);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (scene_rand_install() != 0)
		abort();
	self_check();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scene *s;
	uint64_t mark;

	if (size < SCENE_INPUT_HDR)
		return 0;
	s = scene_new();
	if (s == NULL)
		return 0;
	/* the same state every time: failing to get there is the harness's bug */
	if (scene_run(s, data[0]) != 0)
		abort();
	mark = scene_mark(s);
	scene_feed(s, data, size);
	/* a message T dropped without a word must leave it ready for the real one */
	if (scene_answers(s) == 0 && scene_mark(s) == mark) {
		scene_deliver_kept(s);
		if (!scene_progressed(s)) {
			fprintf(stderr,
			        "fuzz_exchange: %s: after an ignored message the peer's own "
			        "one no longer gets through\n",
			        scene_name(data[0] % SCENE_COUNT));
			abort();
		}
	}
	scene_free(s);
	return 0;
}
