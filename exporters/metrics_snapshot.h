/*
 * metrics_snapshot.h - private to the exporter: the snapshot one scrape is written from,
 * and the writer that turns it into exposition text a slice at a time.
 *
 * metrics.c takes the snapshot on the loop when a scrape starts, and completes it with a
 * walk of the SA table in slices (the SAs' traffic in their peers' rows, the per-SA
 * series): a compact copy of every value the exposition shows (numbers, and the few
 * strings in one arena), so that the text can be produced later, in slices, while the
 * engine goes on changing.  Nothing in it points into the engine, the stall detector or
 * the configuration.
 * metrics_families.c holds the families table and writes the text from the snapshot.
 */
#ifndef EXPORTERS_METRICS_SNAPSHOT_H
#define EXPORTERS_METRICS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "exporters/metrics.h"

/* Upper bounds of the handshake and event-loop histograms' buckets (seconds). */
extern const double metrics_hist_bounds[METRICS_HIST_BUCKETS];
extern const double metrics_loop_bounds[METRICS_LOOP_BUCKETS];

struct notify_count {
	char type[METRICS_NOTIFY_STR_MAX + 1];
	char outcome[METRICS_NOTIFY_STR_MAX + 1];
	uint64_t n;
};

/* A configured peer as the scrape saw it; the last row holds the orphans (peer ""). */
struct snap_peer {
	uint32_t name, remote, local; /* offsets into the snapshot's strings */
	bool autostart, up;
	uint8_t state;                /* enum cisco_state of its IKE SA, 0 without one */
	uint8_t health;               /* enum peer_health */
	double entered;               /* wall-clock time its IKE SA entered that state */
	uint64_t established, failed; /* phase 1 */
	uint64_t msgs_in, msgs_out, bytes_in, bytes_out, retransmits;
	uint64_t dpd_r_u_there_out, dpd_r_u_there_in, dpd_ack_out, dpd_ack_in; /* RFC 3706 */
	uint64_t ipsec_sas;
	uint64_t rekeys_ike, rekeys_ipsec, rekeys_failed; /* ike_peer_stats */
	uint32_t fail_first, fail_n; /* its phase-1 failures by cause, in fails[] */
	uint32_t cert_first, cert_n; /* the certificates its configuration loaded, in certs[] */
};

/* A certificate a peer's configuration loaded (ike/cert.h's ike_cert_info). */
struct snap_cert {
	uint32_t subject;  /* string offset; unique within its peer */
	int64_t not_after; /* seconds since the epoch */
};

struct snap_fail {
	uint32_t cause;
	uint64_t n;
};

struct snap_alarm {
	uint32_t peer; /* string offset */
	uint8_t state; /* enum cisco_state */
	uint8_t cause;
};

/* An SA the walk visited (deleted ones too: their traffic counts in their peer's row). */
struct snap_sa {
	uint32_t conn_id, peer; /* peer: string offset */
	uint32_t row;           /* its peer's row in peers[], UINT32_MAX for none */
	uint8_t state;          /* enum cisco_state */
	bool live;              /* not deleted: in the per-SA series */
	uint64_t msgs_in, msgs_out;
};

/*
 * What the exporter counts itself: metrics.c keeps it in struct metrics, fed by the
 * engine's events and the daemon's calls; a snapshot holds a copy of it.
 */
struct metrics_own {
	uint64_t hist[METRICS_HIST_BUCKETS + 1]; /* per bucket (not cumulative); last +Inf */
	uint64_t hist_count;
	double hist_sum;
	uint64_t loop[METRICS_LOOP_BUCKETS + 1]; /* the event loop's turns, likewise */
	uint64_t loop_count;
	double loop_sum;
	struct notify_count notify[METRICS_NOTIFY_KINDS];
	size_t n_notify;
	bool reload_ok;
	time_t reload_success;
	bool per_sa;          /* the per-SA families */
	double last_scrape_s; /* the loop time the previous scrape cost */
};

struct metrics_snapshot {
	bool om;                           /* OpenMetrics */
	bool stall;                        /* a stall detector: the health family */
	uint64_t sas[CISCO_STATE_MAX + 1]; /* live IKE SAs by Cisco state */
	struct snap_peer *peers;           /* n_peers configured, then the orphans */
	size_t n_peers;
	struct snap_fail *fails;
	size_t n_fails, cap_fails;
	struct snap_cert *certs;
	size_t n_certs, cap_certs;
	struct snap_alarm *alarms;
	size_t n_alarms;
	uint64_t raised[IKE_CAUSE_COUNT];
	struct ike_global_counters g;
	struct ike_dh_stats dh; /* the DH worker pool */
	struct metrics_own own; /* as the scrape began */
	struct snap_sa *sa;
	size_t n_sa;
	char *str; /* NUL-terminated strings, back to back */
	size_t str_len, str_cap;
};

/* Where a writer is in the families table. */
struct metrics_writer {
	const struct metrics_snapshot *snap;
	struct strbuf *out;
	size_t family;
	size_t row;
	bool meta_done; /* the family's HELP/TYPE lines are out */
	bool done;
};

void metrics_writer_init(struct metrics_writer *w, const struct metrics_snapshot *s);

/*
 * Append whole lines to out until it grew by at least want bytes (one family row more
 * at most: a peer's state set, a peer's failures) or the exposition ended.  Returns 1
 * while more follows, 0 once the last line is out, -1 when out ran out of memory.
 */
int metrics_writer_next(struct metrics_writer *w, struct strbuf *out, size_t want);

#endif /* EXPORTERS_METRICS_SNAPSHOT_H */
