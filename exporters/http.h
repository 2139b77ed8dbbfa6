/*
 * http.h - ikemond's HTTP endpoint over libmicrohttpd, driven by ikemond's own loop:
 * no thread of its own (MHD's epoll mode: one descriptor to poll, MHD_run() when it is
 * readable or a timeout passes).
 *
 *   GET  /metrics   the exposition (text 0.0.4, or OpenMetrics 1.0.0 when the Accept
 *                   header prefers it), gzip when Accept-Encoding allows it
 *   GET  /          a small landing page linking /metrics
 *   HEAD            as GET without the body
 *   other paths 404, other methods 405 (with Allow: GET, HEAD)
 *
 * A scrape's body comes from a producer that takes a snapshot when the request arrives
 * and then writes the text a slice at a time, as MHD pulls it (a response callback):
 * one large scrape holds up the loop for the snapshot and one slice at a time, never
 * for the whole body.
 */
#ifndef EXPORTERS_HTTP_H
#define EXPORTERS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "agent/show.h" /* struct strbuf */

#define HTTP_MAX_LISTEN 8

struct http_config {
	bool enabled;                                    /* [http] present, or defaults on */
	struct sockaddr_storage listen[HTTP_MAX_LISTEN]; /* default 127.0.0.1:9731 */
	size_t n_listen;
	char tls_cert[256];      /* PEM file; TLS when both cert and key are set */
	char tls_key[256];       /* PEM file (secret: its content never logged) */
	char auth_user[64];      /* basic auth when set */
	char auth_password[128]; /* secret: never logged, wiped on free */
	/* auth_password_file: a crypt(3) hash ("$6$...", "$y$..."), read at load; wiped */
	char auth_hash[256];
	uint32_t max_connections;        /* default 32 */
	uint32_t max_connections_per_ip; /* default 8 */
	uint32_t timeout_s;              /* idle connection timeout, default 10 */
	uint32_t max_request;            /* bytes of request headers accepted, default 8192 */
	bool per_sa_metrics;        /* per-SA series (cardinality grows with SAs), default off */
	uint32_t scrape_walk_slice; /* SAs a scrape walks per turn of the loop, default 8192 */
};

void http_config_default(struct http_config *c);

/*
 * The body of "/metrics", produced in slices.  begin() takes what the body will show
 * (openmetrics: whether the client asked for OpenMetrics), sets *content_type (a static
 * string) and returns the producer's state, or NULL (a 500).  next() appends whole
 * lines, about want bytes, to out and returns 1 while more follows, 0 after the last,
 * -1 on failure.  end() frees the state, whether the body was finished or not (the
 * client may go away); it is called once, and next() never after it.
 */
struct http_body_ops {
	void *(*begin)(void *ctx, bool openmetrics, const char **content_type);
	int (*next)(void *body, struct strbuf *out, size_t want);
	void (*end)(void *body);
};

struct http_server;

/* Start listening; ops (kept, not copied) and ctx make the /metrics bodies.  NULL with
 * a message in err on failure. */
struct http_server *http_start(const struct http_config *c, const struct http_body_ops *ops,
                               void *ctx, char *err, size_t errlen);
void http_stop(struct http_server *h);

/* The descriptors to poll for reading (one per listen address); returns how many. */
size_t http_pollfds(const struct http_server *h, int *fds, size_t max);
/* Milliseconds until MHD wants to run again, -1 for no timeout. */
int64_t http_next_timeout_ms(struct http_server *h);
/* Let MHD do its work (after poll said a descriptor is readable, or a timeout passed). */
void http_run(struct http_server *h);

/* Requests served, by outcome (for ikemond's own metrics). */
struct http_stats {
	uint64_t requests, not_found, not_allowed, unauthorized, errors, too_large;
};
const struct http_stats *http_stats(const struct http_server *h);

/*
 * Whether password matches hash, a crypt(3) hash (constant-time comparison of the
 * result; a malformed hash matches nothing).  For the config check: whether hash is
 * one crypt(3) accepts, http_hash_ok().
 */
bool http_hash_match(const char *password, const char *hash);
bool http_hash_ok(const char *hash);

/* Whether the Accept header value prefers OpenMetrics over the text format (q-values). */
bool http_accept_prefers_openmetrics(const char *accept);
/* Whether Accept-Encoding allows gzip (q > 0). */
bool http_accept_gzip(const char *accept_encoding);

#endif /* EXPORTERS_HTTP_H */
