/*
 * http.c - ikemond's HTTP endpoint: libmicrohttpd daemons in external epoll mode, one
 * per listen address, driven by ikemond's loop (see http.h).  Content negotiation is in
 * http_accept.c.
 *
 * Costs, so nobody has to guess them: MHD never waits on a socket (they are
 * non-blocking and MHD_run() only does what epoll reports); a /metrics request costs
 * the producer's snapshot on the loop's thread, then one slice of about HTTP_SLICE
 * bytes of text each time MHD wants more to send (deflated on the way, level 1, when
 * the client takes gzip), so between two slices the loop goes back to its other
 * descriptors; a TLS handshake costs its key exchange.  A body that ends within its
 * first slice goes out with a Content-Length; a longer one is sent chunked (HTTP/1.1)
 * or until the connection closes (HTTP/1.0), since its length is known only at its
 * end.  Each connection holds an MHD memory pool sized from max_request plus a slice
 * (the chunk buffer), and while it sends a scrape, the snapshot and one slice of text
 * (deflated too, with gzip).
 *
 * Secrets: the basic-auth password and the TLS key are copied in at start, never
 * logged, and wiped at stop; the password a client sends is wiped once compared.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZLIB_CONST
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <zlib.h>

#include "exporters/http.h"

/*
 * Bytes of body text made per turn of the loop, all scrapes together (and the most per
 * reader call).  MHD may ask a connection for more several times in one MHD_run();
 * past this budget each ask gets one row of text, so a turn never costs much more.
 */
#define HTTP_SLICE ((size_t)64 * 1024)
/* Largest PEM file read for TLS (a certificate chain fits with room to spare). */
#define HTTP_PEM_MAX ((size_t)256 * 1024)
/* MHD's pool beyond twice max_request: parsed header records and the reply's headers. */
#define HTTP_POOL_SLACK ((size_t)4096)
#define HTTP_REALM      "ikemon"

#define LANDING_PAGE                                                                               \
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ikemon</title></head>\n"      \
	"<body><h1>ikemon</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n"

struct http_server {
	struct MHD_Daemon *daemon[HTTP_MAX_LISTEN];
	int epoll_fd[HTTP_MAX_LISTEN];
	struct sockaddr_storage addr[HTTP_MAX_LISTEN]; /* MHD binds from these */
	size_t n_daemons;
	const struct http_body_ops *ops;
	void *ctx;
	uint32_t max_request;
	uint32_t max_connections;
	bool at_limit[HTTP_MAX_LISTEN]; /* the daemon held max_connections after its last run */
	bool rerun;                     /* one more MHD_run() is due at once (see http_run) */
	bool auth;
	char auth_user[sizeof(((struct http_config *)0)->auth_user)];
	char auth_password[sizeof(((struct http_config *)0)->auth_password)];
	char auth_hash[sizeof(((struct http_config *)0)->auth_hash)]; /* "" = auth_password */
	char *tls_key; /* PEM, NUL-terminated; MHD keeps the pointer, wiped at stop */
	size_t tls_key_cap;
	char *tls_cert;
	char mhd_msg[160]; /* MHD's last complaint, for http_start's error */
	size_t turn_left;  /* of HTTP_SLICE, for this turn of the loop */
	struct http_stats stats;
};

/*
 * A scrape being sent, owned by its MHD response until MHD is done with it: the
 * producer's state, the bytes ready for MHD (pend[off..len)), gzip's stream.
 */
struct body_stream {
	struct http_server *h;
	void *body; /* the producer's; NULL once it has ended */
	bool gzip;
	bool z_open;
	z_stream z;
	struct strbuf text; /* the producer's last slice */
	char *zbuf;         /* its deflated bytes */
	size_t zcap;
	const char *pend;
	size_t off, len;
};

/* ---------------------------------------------------------------- TLS files */

/* Refuse what is not a regular file, and a secret readable or writable by others. */
static int pem_check(int fd, const char *path, bool secret, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "http: cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "http: %s is not a regular file", path);
		return -1;
	}
	if (secret && (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "http: tls_key %s is %s by group or others (chmod 600)", path,
		         st.st_mode & (S_IRGRP | S_IROTH) ? "readable" : "writable");
		return -1;
	}
	return 0;
}

/*
 * A PEM file as a NUL-terminated string (MHD hands strings to GnuTLS), its buffer's size
 * in *cap so that a key can be wiped whole.  The mode is checked on the opened
 * descriptor, so that the file checked is the file read.
 */
static char *pem_read(const char *path, bool secret, size_t *cap, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r = 1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, errlen, "http: cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	*cap = HTTP_PEM_MAX + 1;
	if (pem_check(fd, path, secret, err, errlen) == -1)
		goto fail;
	if ((buf = malloc(*cap)) == NULL) {
		snprintf(err, errlen, "http: out of memory reading %s", path);
		goto fail;
	}
	while (len < *cap && r != 0) {
		r = read(fd, buf + len, *cap - len);
		if (r == -1 && errno != EINTR)
			break;
		len += r > 0 ? (size_t)r : 0;
	}
	if (r == -1) {
		snprintf(err, errlen, "http: cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	if (len == 0 || len > HTTP_PEM_MAX) {
		snprintf(err, errlen, "http: %s is %s", path, len == 0 ? "empty" : "too large");
		goto fail;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	if (buf != NULL)
		OPENSSL_cleanse(buf, *cap);
	free(buf);
	close(fd);
	return NULL;
}

static int tls_load(struct http_server *h, const struct http_config *c, char *err, size_t errlen)
{
	size_t cert_cap;

	if (c->tls_cert[0] == '\0' && c->tls_key[0] == '\0')
		return 0;
	if (c->tls_cert[0] == '\0' || c->tls_key[0] == '\0') {
		snprintf(err, errlen, "http: tls_cert and tls_key go together");
		return -1;
	}
	h->tls_key = pem_read(c->tls_key, true, &h->tls_key_cap, err, errlen);
	if (h->tls_key == NULL)
		return -1;
	h->tls_cert = pem_read(c->tls_cert, false, &cert_cap, err, errlen);
	return h->tls_cert == NULL ? -1 : 0;
}

/* ---------------------------------------------------------------- body streams */

static void stream_free(void *cls)
{
	struct body_stream *s = cls;

	if (s->body != NULL)
		s->h->ops->end(s->body);
	if (s->z_open)
		deflateEnd(&s->z);
	strbuf_free(&s->text);
	free(s->zbuf);
	free(s);
}

/* The producer with its snapshot, and gzip's stream (level 1: the loop pays for it). */
static struct body_stream *stream_new(struct http_server *h, bool openmetrics, bool gzip,
                                      const char **type)
{
	struct body_stream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->h = h;
	s->gzip = gzip;
	strbuf_init(&s->text);
	*type = NULL;
	s->body = h->ops->begin(h->ctx, openmetrics, type);
	if (s->body == NULL || *type == NULL)
		goto fail;
	if (gzip) {
		if (deflateInit2(&s->z, Z_BEST_SPEED, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) !=
		    Z_OK)
			goto fail;
		s->z_open = true;
	}
	return s;
fail:
	stream_free(s);
	return NULL;
}

/*
 * Deflate the slice just made: a sync flush after each (a few bytes each) so that every
 * slice yields bytes to send, the gzip trailer after the last.
 */
static int stream_deflate(struct body_stream *s, bool last)
{
	uLong need;
	char *p;

	if (s->text.len > UINT_MAX / 2)
		return -1;
	need = deflateBound(&s->z, (uLong)s->text.len) + 64;
	if (need > s->zcap) {
		if ((p = realloc(s->zbuf, need)) == NULL)
			return -1;
		s->zbuf = p;
		s->zcap = need;
	}
	s->z.next_in = (const Bytef *)(s->text.s != NULL ? s->text.s : "");
	s->z.avail_in = (uInt)s->text.len;
	s->z.next_out = (Bytef *)s->zbuf;
	s->z.avail_out = (uInt)s->zcap;
	if (deflate(&s->z, last ? Z_FINISH : Z_SYNC_FLUSH) != (last ? Z_STREAM_END : Z_OK) ||
	    s->z.avail_in != 0)
		return -1;
	s->pend = s->zbuf;
	s->len = s->zcap - s->z.avail_out;
	return 0;
}

/*
 * One slice of about want bytes of text from the producer (less when this turn's budget
 * is spent: one row then), made ready to send.
 */
static int stream_fill(struct body_stream *s, size_t want)
{
	struct http_server *h = s->h;
	int r;

	if (want > h->turn_left)
		want = h->turn_left > 0 ? h->turn_left : 1;
	s->text.len = 0;
	r = h->ops->next(s->body, &s->text, want);
	h->turn_left -= s->text.len < h->turn_left ? s->text.len : h->turn_left;
	if (r < 0 || s->text.oom)
		return -1;
	if (r == 0) { /* the last: free the snapshot now, not when MHD is done */
		s->h->ops->end(s->body);
		s->body = NULL;
	}
	s->off = 0;
	if (r == 1 && s->text.len == 0) { /* the producer's walk goes on: nothing yet */
		s->len = 0;
		return 0;
	}
	if (s->gzip)
		return stream_deflate(s, r == 0);
	s->pend = s->text.s;
	s->len = s->text.len;
	return 0;
}

static size_t stream_take(struct body_stream *s, char *buf, size_t max)
{
	size_t n = s->len - s->off;

	if (n > max)
		n = max;
	if (n > 0)
		memcpy(buf, s->pend + s->off, n);
	s->off += n;
	return n;
}

/*
 * MHD asks for bytes to send: what is left of the last slice, topped up by at most one
 * new slice, itself within what is left of this turn's budget.  So however often MHD
 * asks within one MHD_run(), the turn costs about one slice, and the loop goes back to
 * the IKE sockets before the next.  A slice with no text (the producer walks the SA
 * table first) returns 0: in external polling MHD keeps the connection ready and asks
 * again, once more within the same run or at its next one, which MHD_get_timeout()
 * makes the loop's next turn (with 100 SAs a slice, about two slices a turn).
 */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body_stream *s = cls;
	size_t n;

	(void)pos;
	if (max > HTTP_SLICE)
		max = HTTP_SLICE;
	n = stream_take(s, buf, max);
	if (n < max && s->off == s->len && s->body != NULL) {
		if (stream_fill(s, s->gzip ? HTTP_SLICE : max - n) != 0) {
			s->h->stats.errors++;
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		n += stream_take(s, buf + n, max - n);
		if (n == 0 && s->body != NULL)
			return 0;
	}
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n;
}

/* ---------------------------------------------------------------- replies */

static enum MHD_Result queue(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A constant body with its type and, when name is set, one more header. */
static struct MHD_Response *static_response(const char *body, const char *type, const char *name,
                                            const char *value)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return NULL;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    (name != NULL && MHD_add_response_header(r, name, value) != MHD_YES)) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

static enum MHD_Result reply_static(struct MHD_Connection *c, unsigned int status, const char *body,
                                    const char *type, const char *name, const char *value)
{
	struct MHD_Response *r;

	r = static_response(body, type, name, value);
	if (r == NULL)
		return MHD_NO;
	return queue(c, status, r);
}

static enum MHD_Result reply_error(struct http_server *h, struct MHD_Connection *c)
{
	h->stats.errors++;
	return reply_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", TEXT_PLAIN, NULL,
	                    NULL);
}

static enum MHD_Result reply_unauthorized(struct http_server *h, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	h->stats.unauthorized++;
	r = static_response("unauthorized\n", TEXT_PLAIN, NULL, NULL);
	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_basic_auth_fail_response(c, HTTP_REALM, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * The snapshot and the first slice now; a body that ended within it has a known length.
 * Failures up to here are a 500; later ones cut the body short (the client sees it).
 */
static enum MHD_Result reply_metrics(struct http_server *h, struct MHD_Connection *c)
{
	const char *accept, *encoding, *type;
	struct MHD_Response *r;
	struct body_stream *s;
	uint64_t size;
	bool gzip;

	accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	gzip = http_accept_gzip(encoding);
	s = stream_new(h, http_accept_prefers_openmetrics(accept), gzip, &type);
	if (s == NULL)
		return reply_error(h, c);
	if (stream_fill(s, HTTP_SLICE) != 0) {
		stream_free(s);
		return reply_error(h, c);
	}
	size = s->body == NULL ? (uint64_t)s->len : MHD_SIZE_UNKNOWN;
	r = MHD_create_response_from_callback(size, HTTP_SLICE, stream_read, s, stream_free);
	if (r == NULL) {
		stream_free(s);
		return reply_error(h, c);
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding") !=
	        MHD_YES ||
	    (gzip &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES)) {
		MHD_destroy_response(r); /* frees the stream */
		return reply_error(h, c);
	}
	return queue(c, MHD_HTTP_OK, r);
}

/* ---------------------------------------------------------------- requests */

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	size_t *sum = cls;

	(void)kind;
	*sum += strlen(key) + (value != NULL ? strlen(value) : 0) + 4; /* ": " CRLF */
	return MHD_YES;
}

/* MHD's pool is the hard limit; this makes max_request the exact one. */
static bool headers_too_large(const struct http_server *h, struct MHD_Connection *c,
                              const char *url)
{
	size_t sum = strlen(url);

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &sum);
	return sum > h->max_request;
}

/* Equal strings, in a time that depends on the lengths but not on where they differ. */
static bool secret_equal(const char *given, const char *want)
{
	size_t glen = strlen(given), wlen = strlen(want), i;
	unsigned char diff = glen != wlen;

	for (i = 0; i < wlen; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)(i < glen ? given[i] : 0);
	return diff == 0;
}

static bool authorized(const struct http_server *h, struct MHD_Connection *c)
{
	char *user, *password = NULL;
	bool user_ok, password_ok;

	if (!h->auth)
		return true;
	user = MHD_basic_auth_get_username_password(c, &password);
	/* Both compared, always: no early exit says which one was wrong. */
	user_ok = secret_equal(user != NULL ? user : "", h->auth_user);
	if (h->auth_hash[0] != '\0')
		password_ok = http_hash_match(password != NULL ? password : "", h->auth_hash);
	else
		password_ok = secret_equal(password != NULL ? password : "", h->auth_password);
	if (password != NULL) {
		OPENSSL_cleanse(password, strlen(password));
		MHD_free(password);
	}
	if (user != NULL)
		MHD_free(user);
	return user != NULL && password != NULL && user_ok && password_ok;
}

static bool method_allowed(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	       strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* Whether the request announces a body (nothing served here takes one). */
static bool has_body(struct MHD_Connection *c)
{
	const char *len =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
	    NULL)
		return true;
	return len != NULL && strspn(len, "0") != strlen(len);
}

static enum MHD_Result reply_too_large(struct http_server *h, struct MHD_Connection *c)
{
	h->stats.too_large++;
	return reply_static(c, MHD_HTTP_CONTENT_TOO_LARGE, "no request body is accepted\n",
	                    TEXT_PLAIN, MHD_HTTP_HEADER_CONNECTION, "close");
}

/*
 * Size, then a body, then credentials, then method, then path: each refusal says no more
 * than it must.
 */
static enum MHD_Result route(struct http_server *h, struct MHD_Connection *c, const char *url,
                             const char *method)
{
	if (headers_too_large(h, c, url)) {
		h->stats.errors++;
		return reply_static(c, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
		                    "request header fields too large\n", TEXT_PLAIN, NULL, NULL);
	}
	if (has_body(c))
		return reply_too_large(h, c);
	if (!authorized(h, c))
		return reply_unauthorized(h, c);
	if (!method_allowed(method)) {
		h->stats.not_allowed++;
		return reply_static(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
		                    TEXT_PLAIN, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	}
	if (strcmp(url, "/metrics") == 0)
		return reply_metrics(h, c);
	if (strcmp(url, "/") == 0)
		return reply_static(c, MHD_HTTP_OK, LANDING_PAGE, "text/html; charset=utf-8", NULL,
		                    NULL);
	h->stats.not_found++;
	return reply_static(c, MHD_HTTP_NOT_FOUND, "not found\n", TEXT_PLAIN, NULL, NULL);
}

/*
 * MHD calls this once the headers are in, then once per piece of body, then once more.
 * GET and HEAD are answered on that last call: a reply queued before MHD has seen the
 * whole request costs the connection its keep-alive.  Other methods, and any request
 * announcing a body (413), are refused at once, so that nobody can make us read a body
 * nothing here wants (MHD then closes).
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct http_server *h = cls;

	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = h;
		h->stats.requests++;
		if (method_allowed(method) && !has_body(c))
			return MHD_YES;
		return route(h, c, url, method);
	}
	if (*upload_data_size != 0) /* a body no header announced: not read */
		return reply_too_large(h, c);
	return route(h, c, url, method);
}

/* ---------------------------------------------------------------- daemons */

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *h = cls;
	size_t len;

	vsnprintf(h->mhd_msg, sizeof(h->mhd_msg), fmt, ap);
	len = strlen(h->mhd_msg);
	while (len > 0 && (h->mhd_msg[len - 1] == '\n' || h->mhd_msg[len - 1] == '\r'))
		h->mhd_msg[--len] = '\0';
}

static void addr_string(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	socklen_t sl =
	    ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host), port, sizeof(port),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, len, "(address)");
		return;
	}
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* The options of one daemon; the TLS pair only when TLS is on.  ops has room for 8. */
static void daemon_options(struct http_server *h, const struct http_config *c, size_t i,
                           struct MHD_OptionItem *ops)
{
	size_t n = 0;

	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &h->addr[i]};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
	                                   (intptr_t)c->max_connections, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	                                   (intptr_t)c->max_connections_per_ip, NULL};
	ops[n++] =
	    (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)c->timeout_s, NULL};
	/*
	 * Room for the request headers, the records MHD parses them into and the reply's,
	 * and a slice: MHD builds a chunk of a chunked body in what is left of the pool, so
	 * a long scrape goes out a slice per turn of the loop, not a fraction of one.
	 */
	ops[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (intptr_t)(2 * (size_t)c->max_request + HTTP_POOL_SLACK + HTTP_SLICE), NULL};
	if (h->tls_key != NULL) {
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
	}
	ops[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

static int start_one(struct http_server *h, const struct http_config *c, size_t i, char *err,
                     size_t errlen)
{
	struct sockaddr_storage *ss = &h->addr[i];
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem ops[8];
	char where[NI_MAXHOST + NI_MAXSERV + 4];
	uint16_t port;

	addr_string(ss, where, sizeof(where));
	if (ss->ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)ss)->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		port = ntohs(((struct sockaddr_in *)ss)->sin_port);
	} else {
		snprintf(err, errlen, "http: listen address %zu is neither IPv4 nor IPv6", i + 1);
		return -1;
	}
	if (h->tls_key != NULL)
		flags |= MHD_USE_TLS;
	daemon_options(h, c, i, ops);
	h->mhd_msg[0] = '\0';
	h->daemon[i] =
	    MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
	                     mhd_log, h, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (h->daemon[i] == NULL) {
		snprintf(err, errlen, "http: cannot listen on %s: %s", where,
		         h->mhd_msg[0] != '\0' ? h->mhd_msg : "libmicrohttpd refused to start");
		return -1;
	}
	h->n_daemons = i + 1;
	info = MHD_get_daemon_info(h->daemon[i], MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || info->epoll_fd < 0) {
		snprintf(err, errlen, "http: no epoll descriptor for %s", where);
		return -1;
	}
	h->epoll_fd[i] = info->epoll_fd;
	return 0;
}

static int check_config(const struct http_config *c, char *err, size_t errlen)
{
	if (c->n_listen == 0 || c->n_listen > HTTP_MAX_LISTEN) {
		snprintf(err, errlen, "http: %zu listen addresses (1 to %d)", c->n_listen,
		         HTTP_MAX_LISTEN);
		return -1;
	}
	if (c->max_connections == 0 || c->max_connections_per_ip == 0 || c->max_request == 0 ||
	    c->max_request > (1u << 24)) {
		snprintf(err, errlen, "http: max_connections and max_request must be > 0%s",
		         c->max_request > (1u << 24) ? ", max_request at most 16 MiB" : "");
		return -1;
	}
	return 0;
}

struct http_server *http_start(const struct http_config *c, const struct http_body_ops *ops,
                               void *ctx, char *err, size_t errlen)
{
	struct http_server *h;
	size_t i;

	if (check_config(c, err, errlen) == -1)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "http: out of memory");
		return NULL;
	}
	h->ops = ops;
	h->ctx = ctx;
	h->max_request = c->max_request;
	h->max_connections = c->max_connections;
	h->auth = c->auth_user[0] != '\0';
	memcpy(h->auth_user, c->auth_user, sizeof(h->auth_user));
	memcpy(h->auth_password, c->auth_password, sizeof(h->auth_password));
	memcpy(h->auth_hash, c->auth_hash, sizeof(h->auth_hash));
	h->auth_hash[sizeof(h->auth_hash) - 1] = '\0';
	h->auth_user[sizeof(h->auth_user) - 1] = '\0';
	h->auth_password[sizeof(h->auth_password) - 1] = '\0';
	memcpy(h->addr, c->listen, sizeof(h->addr));
	if (tls_load(h, c, err, errlen) == -1)
		goto fail;
	for (i = 0; i < c->n_listen; i++) {
		if (start_one(h, c, i, err, errlen) == -1)
			goto fail;
	}
	return h;
fail:
	http_stop(h);
	return NULL;
}

void http_stop(struct http_server *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n_daemons; i++)
		MHD_stop_daemon(h->daemon[i]);
	if (h->tls_key != NULL)
		OPENSSL_cleanse(h->tls_key, h->tls_key_cap);
	free(h->tls_key);
	free(h->tls_cert);
	OPENSSL_cleanse(h->auth_password, sizeof(h->auth_password));
	OPENSSL_cleanse(h->auth_hash, sizeof(h->auth_hash));
	free(h);
}

size_t http_pollfds(const struct http_server *h, int *fds, size_t max)
{
	size_t i;

	for (i = 0; i < h->n_daemons && i < max; i++)
		fds[i] = h->epoll_fd[i];
	return i;
}

int64_t http_next_timeout_ms(struct http_server *h)
{
	MHD_UNSIGNED_LONG_LONG t;
	int64_t best = -1;
	size_t i;

	if (h->rerun)
		return 0;
	for (i = 0; i < h->n_daemons; i++) {
		if (MHD_get_timeout(h->daemon[i], &t) != MHD_YES)
			continue;
		if (t > (MHD_UNSIGNED_LONG_LONG)INT64_MAX)
			t = INT64_MAX;
		if (best == -1 || (int64_t)t < best)
			best = (int64_t)t;
	}
	return best;
}

/* Connections the daemon holds now. */
static unsigned int connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return info != NULL ? info->num_connections : 0;
}

/*
 * Every daemon: MHD_run() only does what its epoll set reports ready, so idle ones are
 * cheap and the loop need not say which descriptor woke it.
 *
 * At max_connections MHD takes its listening socket out of its epoll set, and puts it
 * back only at the start of a later MHD_run() once a connection has gone; with nothing
 * else to wake the loop, the connections waiting in the backlog would wait forever.  So
 * a daemon that was at the limit and is no longer gets one more run at once.
 */
void http_run(struct http_server *h)
{
	size_t i;
	bool full;

	h->turn_left = HTTP_SLICE;
	h->rerun = false;
	for (i = 0; i < h->n_daemons; i++) {
		MHD_run(h->daemon[i]);
		full = connections(h->daemon[i]) >= h->max_connections;
		if (h->at_limit[i] && !full)
			h->rerun = true;
		h->at_limit[i] = full;
	}
}

const struct http_stats *http_stats(const struct http_server *h)
{
	return &h->stats;
}
