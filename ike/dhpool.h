/*
 * dhpool.h - Diffie-Hellman off the event loop: worker threads that make key pairs and
 * shared secrets and hand the results back to the loop through an eventfd.
 *
 * A job carries everything its computation needs by value (the group, the peer's public
 * value, a key pair handed over) and names its SA by serial number (conn-id), never by
 * pointer: the SA may be gone when the result comes back, and the loop looks it up again.
 * Workers touch nothing but the job and OpenSSL's EVP (thread-safe in OpenSSL 3).
 *
 * The loop posts jobs (ike_dhpool_post), polls the descriptor (ike_dhpool_fd) and, when it
 * is readable, takes the finished jobs (ike_dhpool_take) until none is left.  Results come
 * in the order they finish: in the order posted with one worker, in any order with more.
 */
#ifndef IKE_DHPOOL_H
#define IKE_DHPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dh.h"

#define IKE_DHPOOL_MAX_WORKERS 64
#define IKE_DHPOOL_MAX_JOBS    1024 /* posted and not yet taken back, per pool */

struct ike_dh_job {
	/* what the loop fills in */
	uint32_t serial;     /* the SA's conn-id */
	uint32_t step;       /* which handler resumes with the result (the engine's enum) */
	uint32_t token;      /* the SA's job number: a result for an older job is stale */
	uint32_t arg;        /* a datum of the step's own (AM1: the transform number chosen) */
	uint32_t msgid;      /* a Quick Mode step's message ID (its phase-2 SA); 0 in phase 1 */
	bool inline_if_full; /* a full pool makes the loop do it (else the message is dropped) */
	/* bytes the step's second half needs from the message that started it (a Quick Mode
	 * responder: the IV and the IDs to echo); not secret */
	uint8_t ctx[128];
	size_t ctx_len;
	uint16_t group;
	struct ike_dh *dh;            /* a key pair to derive with, or NULL: the job makes one */
	uint8_t peer[IKE_DH_MAX_LEN]; /* the peer's public value (derive only) */
	size_t peer_len;              /* 0: make a key pair only */
	bool keep_dh;                 /* hand the key pair back (else freed once derived) */
	bool known_key;               /* make a known key pair (ike_dh_new_known): load tests */

	/* what the worker fills in */
	int status;                  /* 0; -1 no key pair made; -2 the peer's value is unusable */
	uint8_t pub[IKE_DH_MAX_LEN]; /* our public value, ike_dh_public_len(group) bytes */
	size_t pub_len;
	uint8_t secret[IKE_DH_MAX_LEN]; /* g^xy, ike_dh_secret_len(group) bytes; wiped on free */
	size_t secret_len;

	struct ike_dh_job *next; /* the pool's queues */
};

struct ike_dhpool;

/* A new job for serial's step in group; NULL on out of memory. */
struct ike_dh_job *ike_dh_job_new(uint32_t serial, uint32_t step, uint16_t group);

/* Compute the job in the calling thread (what a worker does): status and results set. */
void ike_dh_job_run(struct ike_dh_job *j);

/* Wipe the job's secrets, free its key pair and the job. NULL is allowed. */
void ike_dh_job_free(struct ike_dh_job *j);

/* workers threads (1 .. IKE_DHPOOL_MAX_WORKERS) and room for max_jobs (0: the default). */
struct ike_dhpool *ike_dhpool_new(unsigned workers, size_t max_jobs);

/*
 * Stop the workers (each finishes the job in its hands) and free the pool; the jobs still
 * queued or not taken back are wiped and freed.  NULL is allowed.
 */
void ike_dhpool_free(struct ike_dhpool *p);

/* The descriptor to poll for POLLIN: readable when finished jobs may be waiting. */
int ike_dhpool_fd(const struct ike_dhpool *p);

/*
 * Hand a job to the workers: 0, or -1 when max_jobs are already out (back-pressure: the
 * caller keeps the job and decides; a responder drops the message, the peer retransmits).
 */
int ike_dhpool_post(struct ike_dhpool *p, struct ike_dh_job *j);

/*
 * The next finished job (the caller owns it), or NULL.  The descriptor is cleared when
 * none is left (the NULL answer).  Take until NULL: the descriptor is signalled again
 * only once the queue was empty.
 */
struct ike_dh_job *ike_dhpool_take(struct ike_dhpool *p);

/* Jobs posted and not yet taken back. */
size_t ike_dhpool_outstanding(struct ike_dhpool *p);

/* Posts refused because the pool was full, since it was made. */
uint64_t ike_dhpool_refused(struct ike_dhpool *p);

/* Wait up to timeout_ms for the descriptor to become readable: 1, 0 on timeout, -1. */
int ike_dhpool_wait(const struct ike_dhpool *p, int timeout_ms);

#endif /* IKE_DHPOOL_H */
