/*
 * metrics.h - the Prometheus exposition of ikemond: every metric family described once,
 * in one table (name, type, HELP, labels, how to read it), walked by the text 0.0.4 and
 * the OpenMetrics 1.0.0 writers.  Values are read from the engine (SA table, per-peer
 * status and counters) and the stall detector when a scrape starts, into a snapshot the
 * body is then written from, in slices; nothing is cached between scrapes except what
 * the exporter owns (the handshake histogram, reload status, notification counts).
 */
#ifndef EXPORTERS_METRICS_H
#define EXPORTERS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "agent/show.h"
#include "agent/stall.h"
#include "ike/engine.h"

#define METRICS_HIST_BUCKETS 12
#define METRICS_LOOP_BUCKETS 9

struct metrics;

/*
 * Sources of the values; the metrics object subscribes to engine events itself (so it
 * must exist before the SAs whose negotiations it is to count).  stall may be NULL: no
 * alarm and no health samples then.  The SA table has no unsubscribe: free the metrics
 * after ike_engine_free(), never before.  NULL on out of memory or when the table has no
 * room for another subscriber.
 */
struct metrics *metrics_new(struct ike_engine *e, struct stall_detector *stall);
void metrics_free(struct metrics *m);

/*
 * What ikemond itself reports (reloads, build, HTTP).  A reload's outcome: ok sets the
 * success timestamp to when; a failure only clears "successful".  Until the first call
 * the configuration read at start counts as a success at metrics_new() time.
 */
void metrics_set_reload(struct metrics *m, bool ok, time_t when);
/* Per-SA series (ikemon_ike_sa_state, ikemon_ike_sa_messages_total); off by default. */
void metrics_set_per_sa(struct metrics *m, bool on);

/*
 * One notification (an SNMP trap or inform) of a type ("ikemonPeerStalled") with an
 * outcome ("sent", "acked", "timeout", "error"), counted in ikemon_notifications_total.
 * Returns 0, or -1 when a string is longer than METRICS_NOTIFY_STR_MAX or when
 * METRICS_NOTIFY_KINDS (type, outcome) pairs are already counted.
 */
#define METRICS_NOTIFY_KINDS   32
#define METRICS_NOTIFY_STR_MAX 47
int metrics_count_notification(struct metrics *m, const char *type, const char *outcome);

/*
 * A scrape in slices.  metrics_stream_new() takes the snapshot (cost: proportional to
 * the peers, plus a first slice of the walk of the SA table); metrics_stream_next()
 * walks the next slice of the SA table while the walk goes on (appending nothing, and
 * returning 1), then appends the next whole lines to out, about want bytes (one row more
 * at most), and returns 1 while more follows, 0 after the last line, -1 on out of
 * memory.  With up to a slice of SAs (8192) the body shows the state at
 * metrics_stream_new(), whatever the engine does in between; with more, the SAs'
 * series and the peers' traffic are read as the walk passes (metrics.c says how
 * changes meanwhile count).  Free every stream before metrics_free(); its loop time
 * becomes the next scrapes' ikemon_scrape_duration_seconds.  NULL on out of memory.
 */
/*
 * A turn of ikemond's event loop took this long (from poll() returning to the next
 * poll()): ikemon_event_loop_turn_seconds, what an IKE message or an alarm may have
 * waited behind.
 */
void metrics_loop_turn(struct metrics *m, double seconds);

struct metrics_stream;
/* SAs a scrape's walk of the SA table visits per turn of the loop (0: 8192). */
void metrics_set_walk_slice(struct metrics *m, size_t sas);
struct metrics_stream *metrics_stream_new(struct metrics *m, bool openmetrics);
int metrics_stream_next(struct metrics_stream *st, struct strbuf *out, size_t want);
void metrics_stream_free(struct metrics_stream *st);

/* The same with the signatures of exporters/http.h's struct http_body_ops (m: struct
 * metrics; begin sets the content type). */
void *metrics_body_begin(void *m, bool openmetrics, const char **content_type);
int metrics_body_next(void *stream, struct strbuf *out, size_t want);
void metrics_body_end(void *stream);

/*
 * The whole exposition into out: text format 0.0.4, or OpenMetrics 1.0.0 (with its
 * types, _total on counters' samples, and "# EOF").  Returns 0, -1 on out of memory.
 */
int metrics_write(struct metrics *m, bool openmetrics, struct strbuf *out);

/* Content types of the two formats. */
#define METRICS_TEXT_TYPE        "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

#endif /* EXPORTERS_METRICS_H */
