/*
 * show.h - the CLI's views of the SA table: Cisco IOS text and JSON.
 *
 * Functions take the first SA of a list (sa->next chains them, as the SA table's
 * iteration does) and write into a growable output buffer, so they are testable
 * without a running daemon.
 */
#ifndef AGENT_SHOW_H
#define AGENT_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ike/sa.h"

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom; /* sticky */
};
void strbuf_init(struct strbuf *b);
void strbuf_free(struct strbuf *b);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_append(struct strbuf *b, const char *s, size_t len);
/* Append s as a JSON string literal with quotes and escapes. */
void strbuf_json_string(struct strbuf *b, const char *s);

/* `show crypto isakmp sa`, exactly as IOS prints it (see shared CISCO-CLI.md). */
void show_isakmp_sa(struct strbuf *out, const struct ike_sa *first);

/* `show crypto isakmp sa detail`; now_wall/now_mono give the lifetime left. */
void show_isakmp_sa_detail(struct strbuf *out, const struct ike_sa *first, time_t now_wall);

/* `show crypto isakmp sa --json`: every field the SA record holds, plus global counters
 * when g is not NULL.  now_mono gives seconds in state. */
void show_isakmp_sa_json(struct strbuf *out, const struct ike_sa *first,
                         const struct ike_global_counters *g, const struct timespec *now_mono);

#endif /* AGENT_SHOW_H */
