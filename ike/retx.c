/*
 * retx.c - retransmission state, shared by phase-1 exchanges and Quick Modes: the last
 * message sent (resent on the timer or when the peer repeats itself), the last one
 * answered (to recognise that repetition), and the back-off.
 */
#include <stdlib.h>
#include <string.h>

#include "exchange.h"

void ts_add_ms(struct timespec *ts, uint64_t ms)
{
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int64_t ts_diff_ms(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(a->tv_sec - b->tv_sec) * 1000 + (a->tv_nsec - b->tv_nsec) / 1000000L;
}

static int keep_copy(uint8_t **dst, size_t *dst_len, const uint8_t *buf, size_t len)
{
	uint8_t *p = realloc(*dst, len ? len : 1);

	if (p == NULL)
		return -1;
	memcpy(p, buf, len);
	*dst = p;
	*dst_len = len;
	return 0;
}

void retx_free(struct ike_retx *r)
{
	free(r->last_out);
	free(r->last_in);
	memset(r, 0, sizeof(*r));
}

int retx_keep_out(struct ike_retx *r, const uint8_t *buf, size_t len)
{
	r->out_gen++;
	return keep_copy(&r->last_out, &r->last_out_len, buf, len);
}

int retx_keep_in(struct ike_retx *r, const uint8_t *buf, size_t len, bool answered)
{
	r->in_answered = answered;
	r->dup_answers = 0;
	return keep_copy(&r->last_in, &r->last_in_len, buf, len);
}

bool retx_answer_dup(struct ike_retx *r)
{
	if (!r->in_answered || r->last_out == NULL || r->dup_answers >= RETX_MAX_DUP_ANSWERS)
		return false;
	r->dup_answers++;
	return true;
}

bool retx_is_dup(const struct ike_retx *r, const uint8_t *buf, size_t len)
{
	return r->last_in != NULL && r->last_in_len == len && memcmp(r->last_in, buf, len) == 0;
}

void retx_arm(struct ike_retx *r, uint32_t first_ms)
{
	r->retransmits = true;
	r->tries = 0;
	r->wait_ms = first_ms;
	ike_mono_now(&r->at);
	ts_add_ms(&r->at, first_ms);
	r->armed = true;
}

void retx_wait(struct ike_retx *r, uint64_t span_ms)
{
	r->retransmits = false;
	ike_mono_now(&r->at);
	ts_add_ms(&r->at, span_ms);
	r->armed = true;
}

bool retx_next(struct ike_retx *r, uint32_t max_tries, const struct timespec *now)
{
	if (!r->retransmits || r->tries >= max_tries || r->last_out == NULL)
		return false;
	r->tries++;
	r->wait_ms *= 2;
	r->at = *now;
	ts_add_ms(&r->at, r->wait_ms);
	return true;
}
