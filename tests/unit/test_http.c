/*
 * test_http.c - the HTTP endpoint (exporters/http.c): the Accept and Accept-Encoding
 * parsers as tables, then a real server on a loopback address driven by curl.
 *
 * The server runs in the test process, polled as ikemond's loop polls it; the client is
 * the curl binary (fork and exec, bounded by --max-time and a kill after CLIENT_MS), or a
 * raw socket where curl would hide what is on the wire (HEAD, oversized headers).  The
 * port is one the kernel just handed out on 127.10.30.1.  Without curl only the parser
 * tests run (and say so); the TLS test needs the openssl binary too.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "exporters/http.h"

#define TEST_ADDR  "127.10.30.1"
#define CLIENT_MS  10000
#define TEXT_TYPE  "text/plain; version=0.0.4; charset=utf-8"
#define OM_TYPE    "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define BIG_SIZE   (300 * 1024)
#define REPLY_SIZE (1024 * 1024)

/* ---------------------------------------------------------------- parsers */

struct accept_case {
	const char *header;
	bool want;
};

static const struct accept_case om_cases[] = {
    /* Prometheus 2.42's scrape header */
    {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
     true},
    /* Prometheus 2.5's */
    {"application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", true},
    {"text/plain;version=0.0.4;q=0.5,*/*;q=0.1", false},
    {"text/plain", false},
    {"*/*", false},
    {"", false},
    {NULL, false},
    {"application/openmetrics-text", true},
    {"APPLICATION/OpenMetrics-Text", true},
    {"application/openmetrics-text;q=0", false},
    {"application/openmetrics-text;q=0, */*", false},
    {"application/openmetrics-text;q=0.5, text/plain", false},
    {"application/openmetrics-text;q=0.5, text/plain;q=0.5", true},
    {"application/openmetrics-text;q=0.5, text/*;q=0.4", true},
    {"text/plain;q=0.1, application/openmetrics-text;q=0.2", true},
    {"text/plain;q=0, application/openmetrics-text;q=0.001", true},
    /* the most specific range decides: text/plain's own q=0.1 beats text/ *'s 1 */
    {"text/*, text/plain;q=0.1, application/openmetrics-text;q=0.5", true},
    {"application/openmetrics-text ; Q=0.9 , text/plain ; q=1", false},
    /* a comma inside a quoted parameter does not split the element */
    {"text/plain;x=\"a,application/openmetrics-text\";q=0.2, application/openmetrics-text;q=0.1",
     false},
    /* malformed q-values: the element is ignored */
    {"application/openmetrics-text;q=2", false},
    {"application/openmetrics-text;q=0.5x", false},
    {"application/openmetrics-text;q=1.5, text/plain;q=0.1", false},
    {"application/openmetrics-text;q=1.000, text/plain", true},
    {",, ,application/openmetrics-text,,", true},
    {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
};

static const struct accept_case gzip_cases[] = {
    {"gzip", true},
    {"gzip;q=0", false},
    {"gzip; q=0.000", false},
    {"*", true},
    {"*;q=0", false},
    {NULL, false},
    {"", false},
    {"identity", false},
    {"deflate, gzip;q=1.0, *;q=0.5", true},
    {"gzip;q=0, *", false},
    {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
    {"GZIP", true},
    {"x-gzip", true},
    {"deflate, br", false},
    {"gzipx", false},
    {"identity;q=1, *;q=0", false},
};

START_TEST(test_accept_openmetrics)
{
	const struct accept_case *t = &om_cases[_i];

	ck_assert_msg(http_accept_prefers_openmetrics(t->header) == t->want, "Accept: %s",
	              t->header != NULL ? t->header : "(absent)");
}
END_TEST

START_TEST(test_accept_gzip)
{
	const struct accept_case *t = &gzip_cases[_i];

	ck_assert_msg(http_accept_gzip(t->header) == t->want, "Accept-Encoding: %s",
	              t->header != NULL ? t->header : "(absent)");
}
END_TEST

START_TEST(test_config_default)
{
	struct http_config c;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&c.listen[0];

	memset(&c, 0xa5, sizeof(c));
	http_config_default(&c);
	ck_assert(c.enabled);
	ck_assert_uint_eq(c.n_listen, 1);
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin->sin_port), 9731);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_uint_eq(c.max_connections, 32);
	ck_assert_uint_eq(c.timeout_s, 10);
	ck_assert_uint_eq(c.max_request, 8192);
	ck_assert(!c.per_sa_metrics);
	ck_assert_str_eq(c.tls_cert, "");
	ck_assert_str_eq(c.auth_user, "");
}
END_TEST

/* ---------------------------------------------------------------- the server */

/*
 * The fake exposition: size bytes of numbered sample lines, "# EOF" for OpenMetrics,
 * produced in slices as the server pulls them.  fail makes begin() fail, fail_at makes
 * next() fail once that many bytes are out.
 */
struct fake {
	size_t size;
	bool fail;
	size_t fail_at; /* 0: never */
	int calls;      /* begin() */
	int slices;     /* next() */
	size_t made;    /* bytes next() appended, all streams */
	int open;       /* begun and not yet ended */
	bool last_om;
};

struct fake_stream {
	struct fake *f;
	bool om;
	unsigned long i; /* next sample */
	size_t len;      /* bytes produced */
	bool eof;
};

/* Append lines until out grew by want or the body is whole; 1 while more follows. */
static int fake_next_lines(struct fake_stream *s, struct strbuf *b, size_t want)
{
	size_t start = b->len;

	while (s->len < s->f->size && b->len - start < want) {
		size_t before = b->len;

		strbuf_printf(b, "ikemon_test_sample{n=\"%lu\"} %lu\n", s->i, s->i * 7);
		s->i++;
		s->len += b->len - before;
	}
	if (s->len >= s->f->size && !s->eof) {
		if (s->om)
			strbuf_printf(b, "# EOF\n");
		s->eof = true;
	}
	return s->eof ? 0 : 1;
}

static void fake_body(struct strbuf *b, size_t size, bool om)
{
	struct fake f = {.size = size};
	struct fake_stream s = {.f = &f, .om = om};

	while (fake_next_lines(&s, b, SIZE_MAX) == 1)
		;
}

static void *fake_begin(void *ctx, bool om, const char **type)
{
	struct fake *f = ctx;
	struct fake_stream *s;

	f->calls++;
	f->last_om = om;
	if (f->fail || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->f = f;
	s->om = om;
	f->open++;
	*type = om ? OM_TYPE : TEXT_TYPE;
	return s;
}

static int fake_next(void *body, struct strbuf *out, size_t want)
{
	struct fake_stream *s = body;

	size_t before = out->len;
	int r;

	s->f->slices++;
	if (s->f->fail_at != 0 && s->len >= s->f->fail_at)
		return -1;
	r = fake_next_lines(s, out, want);
	s->f->made += out->len - before;
	return r;
}

static void fake_end(void *body)
{
	struct fake_stream *s = body;

	s->f->open--;
	free(s);
}

static const struct http_body_ops fake_metrics = {fake_begin, fake_next, fake_end};

struct fixture {
	char dir[64];
	struct http_config cfg;
	struct fake fake;
	size_t most_per_run; /* bytes the producer made in one http_run() */
	struct http_server *h;
	char base[96]; /* http://127.10.30.1:PORT */
};

static struct fixture fx;

/* A port the kernel has just handed out on addr (free unless someone races us). */
static uint16_t free_port(int family, const char *addr, struct sockaddr_storage *ss)
{
	socklen_t sl = sizeof(*ss);
	int fd;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		ck_assert_int_eq(inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr),
		                 1);
	else
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)ss)->sin6_addr),
		                 1);
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	if (bind(fd, (struct sockaddr *)ss, sizeof(*ss)) == -1) {
		close(fd);
		return 0;
	}
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)ss, &sl), 0);
	close(fd);
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)ss)->sin_port
	                               : ((struct sockaddr_in6 *)ss)->sin6_port);
}

static void setup(void)
{
	uint16_t port;

	memset(&fx, 0, sizeof(fx));
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_http.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	http_config_default(&fx.cfg);
	port = free_port(AF_INET, TEST_ADDR, &fx.cfg.listen[0]);
	ck_assert_uint_ne(port, 0);
	snprintf(fx.base, sizeof(fx.base), "http://%s:%u", TEST_ADDR, port);
	fx.fake.size = 1000;
}

static void teardown(void)
{
	char cmd[128];

	http_stop(fx.h);
	fx.h = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_http: could not remove %s\n", fx.dir);
}

static void start(void)
{
	char err[256] = "";

	fx.h = http_start(&fx.cfg, &fake_metrics, &fx.fake, err, sizeof(err));
	ck_assert_msg(fx.h != NULL, "http_start: %s", err);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One turn of ikemond's loop: poll the server's descriptors (and extra), then run it. */
static void serve_once(struct pollfd *extra, int max_ms)
{
	struct pollfd p[HTTP_MAX_LISTEN + 1];
	int fds[HTTP_MAX_LISTEN];
	size_t n, i, made;
	int64_t t;

	n = http_pollfds(fx.h, fds, HTTP_MAX_LISTEN);
	ck_assert_uint_ge(n, 1);
	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	if (extra != NULL)
		p[n++] = *extra;
	t = http_next_timeout_ms(fx.h);
	if (t < 0 || t > max_ms)
		t = max_ms;
	ck_assert_int_ge(poll(p, n, (int)t), 0);
	if (extra != NULL)
		*extra = p[n - 1];
	made = fx.fake.made;
	http_run(fx.h);
	if (fx.fake.made - made > fx.most_per_run)
		fx.most_per_run = fx.fake.made - made;
}

/* ---------------------------------------------------------------- curl */

struct reply {
	int status;
	char head[8192];
	char *body;
	size_t body_len;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, REPLY_SIZE + 1);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, REPLY_SIZE, f);
	fclose(f);
	return buf;
}

static void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* Run argv with its standard output into path; serve until it exits. */
static void run_serving(const char *const *argv, const char *path)
{
	struct timespec t0;
	int status, fd;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, STDOUT_FILENO) == -1)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (ms_since(&t0) > CLIENT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("%s did not finish", argv[0]);
		}
		serve_once(NULL, 10);
	}
}

/* Run curl with args then the URL base+path, serving the while; fill r from its files. */
static void curl(const char *path, const char *const *args, struct reply *r)
{
	char url[256], body[128], head[128], code[128], *text;
	const char *fixed[] = {"curl", "-sS", "--noproxy", "*",  "--max-time", "8",
	                       "-o",   body,  "-D",        head, "-w",         "%{http_code}"};
	const char *argv[32];
	size_t n, len;

	snprintf(url, sizeof(url), "%s%s", fx.base, path);
	snprintf(body, sizeof(body), "%s/body", fx.dir);
	snprintf(head, sizeof(head), "%s/head", fx.dir);
	snprintf(code, sizeof(code), "%s/code", fx.dir);
	memcpy(argv, fixed, sizeof(fixed));
	n = sizeof(fixed) / sizeof(fixed[0]);
	for (; args != NULL && *args != NULL && n < 30; args++)
		argv[n++] = *args;
	argv[n++] = url;
	argv[n] = NULL;
	run_serving(argv, code);
	text = slurp(code, &len);
	r->status = atoi(text);
	free(text);
	text = slurp(head, &len);
	snprintf(r->head, sizeof(r->head), "%s", text);
	free(text);
	r->body = slurp(body, &r->body_len);
}

/* The value of header name in r (the last one, as curl -D dumps every reply). */
static const char *header(const struct reply *r, const char *name, char *buf, size_t len)
{
	const char *p, *line, *found = NULL;
	size_t nlen = strlen(name);

	for (line = r->head; *line != '\0'; line = p + 1) {
		if ((p = strchr(line, '\n')) == NULL)
			break;
		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':')
			found = line + nlen + 1;
	}
	if (found == NULL)
		return NULL;
	while (*found == ' ')
		found++;
	snprintf(buf, len, "%.*s", (int)strcspn(found, "\r\n"), found);
	return buf;
}

static void expect_header(const struct reply *r, const char *name, const char *want)
{
	char buf[256];
	const char *v = header(r, name, buf, sizeof(buf));

	ck_assert_msg(v != NULL, "no %s header in\n%s", name, r->head);
	ck_assert_str_eq(v, want);
}

/* curl path and check the status only. */
static void expect_status(const char *path, const char *const *args, int status)
{
	struct reply r;

	curl(path, args, &r);
	ck_assert_msg(r.status == status, "%s: %d, not %d", path, r.status, status);
	reply_free(&r);
}

/* The exposition the fake writes, to compare bodies with. */
static void expected_body(struct strbuf *b, size_t size, bool om)
{
	strbuf_init(b);
	fake_body(b, size, om);
}

static void expect_body(const struct reply *r, size_t size, bool om)
{
	struct strbuf want;

	expected_body(&want, size, om);
	ck_assert_uint_eq(r->body_len, want.len);
	ck_assert(memcmp(r->body, want.s, want.len) == 0);
	strbuf_free(&want);
}

/* ---------------------------------------------------------------- raw sockets */

/*
 * Send req on a fresh connection and read until the server closes it, serving the
 * while; returns the bytes read into out (NUL-terminated).  Shows what curl would hide:
 * a HEAD reply's end, a refusal without a status line.
 */
static size_t raw(const char *req, size_t reqlen, char *out, size_t outcap)
{
	struct pollfd p;
	struct timespec t0;
	size_t sent = 0, got = 0;
	ssize_t r;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(
	    connect(fd, (struct sockaddr *)&fx.cfg.listen[0], sizeof(struct sockaddr_in)), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ck_assert_msg(ms_since(&t0) < CLIENT_MS, "raw request did not finish");
		p = (struct pollfd){.fd = fd, .events = POLLIN | (sent < reqlen ? POLLOUT : 0)};
		serve_once(&p, 10);
		if (sent < reqlen && (p.revents & POLLOUT)) {
			r = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
			if (r > 0)
				sent += (size_t)r;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = recv(fd, out + got, outcap - 1 - got, 0);
		if (r == -1 && errno == EAGAIN)
			continue;
		if (r <= 0 || got + (size_t)r >= outcap - 1) {
			got += r > 0 ? (size_t)r : 0;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	out[got] = '\0';
	return got;
}

/* ---------------------------------------------------------------- server tests */

START_TEST(test_metrics_text)
{
	struct reply r;

	start();
	ck_assert_int_eq(http_next_timeout_ms(fx.h), -1); /* idle: nothing to time out */
	curl("/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Type", TEXT_TYPE);
	expect_header(&r, "Vary", "Accept, Accept-Encoding");
	ck_assert_ptr_null(header(&r, "Content-Encoding", (char[8]){0}, 8));
	expect_body(&r, fx.fake.size, false);
	ck_assert(!fx.fake.last_om);
	reply_free(&r);
	ck_assert_uint_eq(http_stats(fx.h)->requests, 1);
}
END_TEST

START_TEST(test_metrics_openmetrics)
{
	const char *prom[] = {"-H",
	                      "Accept: application/openmetrics-text;version=1.0.0,"
	                      "application/openmetrics-text;version=0.0.1;q=0.75,"
	                      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
	                      NULL};
	const char *text[] = {"-H", "Accept: text/plain", NULL};
	struct reply r;

	start();
	curl("/metrics", prom, &r);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Type", OM_TYPE);
	expect_body(&r, fx.fake.size, true);
	ck_assert(fx.fake.last_om);
	reply_free(&r);
	curl("/metrics", text, &r);
	expect_header(&r, "Content-Type", TEXT_TYPE);
	ck_assert(!fx.fake.last_om);
	reply_free(&r);
}
END_TEST

/* Raw gzip inflated here, and curl --compressed: both give the snapshot's bytes. */
START_TEST(test_metrics_gzip)
{
	const char *gz[] = {"-H", "Accept-Encoding: gzip", NULL};
	const char *compressed[] = {"--compressed", NULL};
	const char *refused[] = {"-H", "Accept-Encoding: gzip;q=0", NULL};
	struct strbuf want;
	uLongf outlen = 2 * BIG_SIZE;
	z_stream z = {0};
	char *out = malloc(outlen);
	struct reply r;

	fx.fake.size = BIG_SIZE;
	expected_body(&want, BIG_SIZE, false);
	start();
	curl("/metrics", gz, &r);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Encoding", "gzip");
	expect_header(&r, "Vary", "Accept, Accept-Encoding");
	ck_assert_uint_lt(r.body_len, want.len / 2);
	ck_assert(r.body_len >= 2 && (unsigned char)r.body[0] == 0x1f &&
	          (unsigned char)r.body[1] == 0x8b);
	ck_assert_int_eq(inflateInit2(&z, 31), Z_OK);
	z.next_in = (Bytef *)r.body;
	z.avail_in = (uInt)r.body_len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)outlen;
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(z.total_out, want.len);
	ck_assert(memcmp(out, want.s, want.len) == 0);
	inflateEnd(&z);
	reply_free(&r);
	curl("/metrics", compressed, &r);
	expect_header(&r, "Content-Encoding", "gzip");
	expect_body(&r, BIG_SIZE, false);
	reply_free(&r);
	curl("/metrics", refused, &r);
	ck_assert_ptr_null(header(&r, "Content-Encoding", (char[8]){0}, 8));
	expect_body(&r, BIG_SIZE, false);
	reply_free(&r);
	strbuf_free(&want);
	free(out);
}
END_TEST

/*
 * A body several slices long arrives whole, chunked (its length is known only at its
 * end), and is made a slice at a time: no turn of the loop made more than a slice (64
 * KiB) and a line or two, so IKE messages wait that long at most.  The producer is
 * ended once it is done.
 */
#define TURN_MAX (64 * 1024 + 2 * 64)
START_TEST(test_metrics_big)
{
	const char *gz[] = {"--compressed", NULL};
	struct reply r;

	fx.fake.size = BIG_SIZE;
	start();
	curl("/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_gt(r.body_len, 4 * 64 * 1024);
	ck_assert_ptr_null(header(&r, "Content-Length", (char[8]){0}, 8));
	expect_header(&r, "Transfer-Encoding", "chunked");
	expect_body(&r, BIG_SIZE, false);
	reply_free(&r);
	printf("test_http: %d KiB in %d slices, at most %zu bytes made per turn of the loop\n",
	       BIG_SIZE / 1024, fx.fake.slices, fx.most_per_run);
	ck_assert_int_ge(fx.fake.slices, BIG_SIZE / (64 * 1024));
	ck_assert_uint_le(fx.most_per_run, TURN_MAX);
	ck_assert_int_eq(fx.fake.open, 0);
	/* gzip: deflated slice by slice, the same bytes once inflated */
	fx.fake.slices = 0;
	fx.most_per_run = 0;
	curl("/metrics", gz, &r);
	expect_header(&r, "Content-Encoding", "gzip");
	expect_body(&r, BIG_SIZE, false);
	reply_free(&r);
	printf("test_http: gzip: %d slices, at most %zu bytes made per turn\n", fx.fake.slices,
	       fx.most_per_run);
	ck_assert_int_ge(fx.fake.slices, BIG_SIZE / (64 * 1024));
	ck_assert_uint_le(fx.most_per_run, TURN_MAX);
	ck_assert_int_eq(fx.fake.open, 0);
}
END_TEST

/* A producer failing mid-body: the body is cut short (curl says so), counted, freed. */
START_TEST(test_metrics_fails_midway)
{
	struct reply r;

	fx.fake.size = BIG_SIZE;
	fx.fake.fail_at = 100 * 1024;
	start();
	curl("/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200); /* the status line went out with the first slice */
	ck_assert_uint_lt(r.body_len, BIG_SIZE);
	ck_assert_uint_eq(http_stats(fx.h)->errors, 1);
	ck_assert_int_eq(fx.fake.open, 0);
	reply_free(&r);
}
END_TEST

START_TEST(test_head)
{
	static const char req[] = "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char out[4096], want[64];
	struct strbuf body;
	size_t n;

	start();
	n = raw(req, sizeof(req) - 1, out, sizeof(out));
	ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "%s", out);
	expected_body(&body, fx.fake.size, false);
	snprintf(want, sizeof(want), "Content-Length: %zu\r\n", body.len);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	/* the stream ends with the headers: no body */
	ck_assert_uint_ge(n, 4);
	ck_assert_str_eq(out + n - 4, "\r\n\r\n");
	ck_assert_int_eq(fx.fake.calls, 1);
	strbuf_free(&body);
}
END_TEST

/* Two requests on one connection: a scrape keeps its connection for the next one. */
START_TEST(test_keep_alive)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
	                          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char out[8192];
	const char *second;

	start();
	raw(req, sizeof(req) - 1, out, sizeof(out));
	ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "%s", out);
	second = strstr(out + 12, "HTTP/1.1 200");
	ck_assert_msg(second != NULL, "%s", out);
	ck_assert(strstr(out, "Connection: close") > second); /* only the second closes */
	ck_assert_ptr_nonnull(strstr(second, "<title>ikemon</title>"));
	ck_assert_uint_eq(http_stats(fx.h)->requests, 2);
}
END_TEST

START_TEST(test_landing_and_404)
{
	struct reply r;

	start();
	curl("/", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Type", "text/html; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body, "<title>ikemon</title>"));
	ck_assert_ptr_nonnull(strstr(r.body, "href=\"/metrics\""));
	reply_free(&r);
	expect_status("/nope", NULL, 404);
	expect_status("/metrics/", NULL, 404);
	expect_status("/metrics?x=1", NULL, 200); /* the query does not change the path */
	ck_assert_int_eq(fx.fake.calls, 1);
	ck_assert_uint_eq(http_stats(fx.h)->not_found, 2);
	ck_assert_uint_eq(http_stats(fx.h)->requests, 4);
}
END_TEST

START_TEST(test_405)
{
	const char *post[] = {"-X", "POST", NULL};
	const char *post_body[] = {"-X", "POST", "--data-binary", "some body", NULL};
	const char *get_body[] = {"-X", "GET", "--data-binary", "x", NULL};
	const char *put[] = {"-X", "PUT", NULL};
	struct reply r;

	start();
	curl("/metrics", post, &r);
	ck_assert_int_eq(r.status, 405);
	expect_header(&r, "Allow", "GET, HEAD");
	reply_free(&r);
	expect_status("/", put, 405);
	/* a body, whatever the method: 413, before the method is looked at */
	expect_status("/metrics", post_body, 413);
	expect_status("/metrics", get_body, 413);
	ck_assert_int_eq(fx.fake.calls, 0);
	ck_assert_uint_eq(http_stats(fx.h)->not_allowed, 2);
	ck_assert_uint_eq(http_stats(fx.h)->too_large, 2);
}
END_TEST

START_TEST(test_500)
{
	fx.fake.fail = true;
	start();
	expect_status("/metrics", NULL, 500);
	ck_assert_uint_eq(http_stats(fx.h)->errors, 1);
}
END_TEST

START_TEST(test_empty_body)
{
	const char *gz[] = {"--compressed", NULL};
	struct reply r;

	fx.fake.size = 0;
	start();
	curl("/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Length", "0");
	ck_assert_uint_eq(r.body_len, 0);
	reply_free(&r);
	curl("/metrics", gz, &r);
	ck_assert_int_eq(r.status, 200);
	expect_header(&r, "Content-Encoding", "gzip");
	ck_assert_uint_eq(r.body_len, 0);
	reply_free(&r);
}
END_TEST

START_TEST(test_basic_auth)
{
	const char *good[] = {"-u", "prom:s3cret pass", NULL};
	const char *bad_pw[] = {"-u", "prom:s3cret pasS", NULL};
	const char *bad_user[] = {"-u", "Prom:s3cret pass", NULL};
	const char *prefix[] = {"-u", "prom:s3cret", NULL};
	struct reply r;

	snprintf(fx.cfg.auth_user, sizeof(fx.cfg.auth_user), "prom");
	snprintf(fx.cfg.auth_password, sizeof(fx.cfg.auth_password), "s3cret pass");
	start();
	curl("/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 401);
	expect_header(&r, "WWW-Authenticate", "Basic realm=\"ikemon\"");
	reply_free(&r);
	expect_status("/metrics", bad_pw, 401);
	expect_status("/metrics", bad_user, 401);
	expect_status("/metrics", prefix, 401);
	ck_assert_int_eq(fx.fake.calls, 0);
	curl("/metrics", good, &r);
	ck_assert_int_eq(r.status, 200);
	expect_body(&r, fx.fake.size, false);
	reply_free(&r);
	expect_status("/nope", NULL, 401); /* every path is behind the password */
	ck_assert_uint_eq(http_stats(fx.h)->unauthorized, 5);
}
END_TEST

/* A request of about size bytes of headers, one X-Fill header making up the bulk. */
static size_t fill_request(char *req, size_t fill)
{
	static const char head[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Fill: ";
	static const char tail[] = "\r\nConnection: close\r\n\r\n";

	memcpy(req, head, sizeof(head) - 1);
	memset(req + sizeof(head) - 1, 'a', fill);
	memcpy(req + sizeof(head) - 1 + fill, tail, sizeof(tail) - 1);
	return sizeof(head) - 1 + fill + sizeof(tail) - 1;
}

/* max_request is exact (431 from us); far beyond it MHD refuses on its own. */
START_TEST(test_header_limit)
{
	char *req = malloc(100000), out[4096];

	fx.cfg.max_request = 2048;
	start();
	raw(req, fill_request(req, 1900), out, sizeof(out));
	ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "%s", out);
	raw(req, fill_request(req, 2100), out, sizeof(out));
	ck_assert_msg(strncmp(out, "HTTP/1.1 431", 12) == 0, "%s", out);
	/* beyond MHD's own pool (2 x 2048 + 4096 + a 64 KiB slice): refused by MHD itself */
	raw(req, fill_request(req, 90000), out, sizeof(out));
	ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) != 0, "%s", out);
	fprintf(stderr, "test_http: 90000-byte header: %.40s\n", out[0] != '\0' ? out : "(closed)");
	ck_assert_uint_eq(http_stats(fx.h)->errors, 1);
	expect_status("/metrics", NULL, 200); /* and the server still serves */
	free(req);
}
END_TEST

static void run(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

START_TEST(test_tls)
{
	const char *insecure[] = {"-k", NULL};
	char cmd[512], err[256] = "";
	struct reply r;
	uint16_t port;

	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test_http: no openssl binary, TLS test skipped\n");
		return;
	}
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	         "-nodes -days 1 -subj /CN=localhost -keyout key.pem -out cert.pem 2>/dev/null",
	         fx.dir);
	run(cmd);
	snprintf(fx.cfg.tls_cert, sizeof(fx.cfg.tls_cert), "%s/cert.pem", fx.dir);
	snprintf(fx.cfg.tls_key, sizeof(fx.cfg.tls_key), "%s/key.pem", fx.dir);

	/* a key others may read is refused */
	ck_assert_int_eq(chmod(fx.cfg.tls_key, 0644), 0);
	ck_assert_ptr_null(http_start(&fx.cfg, &fake_metrics, &fx.fake, err, sizeof(err)));
	ck_assert_msg(strstr(err, "chmod 600") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "PRIVATE")); /* nothing of the key in the message */
	ck_assert_int_eq(chmod(fx.cfg.tls_key, 0600), 0);

	start();
	port = ntohs(((struct sockaddr_in *)&fx.cfg.listen[0])->sin_port);
	snprintf(fx.base, sizeof(fx.base), "https://%s:%u", TEST_ADDR, port);
	fx.fake.size = BIG_SIZE;
	curl("/metrics", insecure, &r);
	ck_assert_int_eq(r.status, 200);
	expect_body(&r, BIG_SIZE, false);
	reply_free(&r);
	snprintf(fx.base, sizeof(fx.base), "http://%s:%u", TEST_ADDR, port);
	curl("/metrics", NULL, &r); /* plain HTTP on the TLS port gets nothing */
	ck_assert_int_ne(r.status, 200);
	reply_free(&r);
}
END_TEST

START_TEST(test_tls_half_configured)
{
	char err[256] = "";

	snprintf(fx.cfg.tls_cert, sizeof(fx.cfg.tls_cert), "%s/cert.pem", fx.dir);
	ck_assert_ptr_null(http_start(&fx.cfg, &fake_metrics, &fx.fake, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "go together"));
	snprintf(fx.cfg.tls_key, sizeof(fx.cfg.tls_key), "%s/missing.pem", fx.dir);
	ck_assert_ptr_null(http_start(&fx.cfg, &fake_metrics, &fx.fake, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "missing.pem"));
}
END_TEST

/* Two addresses, one of them IPv6 (when ::1 exists): one descriptor each, both serve. */
START_TEST(test_two_listeners)
{
	char err[256] = "";
	struct reply r;
	uint16_t port6;
	int fds[HTTP_MAX_LISTEN];
	struct http_server *dup;

	port6 = free_port(AF_INET6, "::1", &fx.cfg.listen[1]);
	if (port6 == 0) {
		fprintf(stderr, "test_http: no ::1, IPv6 listener not tested\n");
		return;
	}
	fx.cfg.n_listen = 2;
	start();
	ck_assert_uint_eq(http_pollfds(fx.h, fds, HTTP_MAX_LISTEN), 2);
	ck_assert_int_ne(fds[0], fds[1]);
	ck_assert_uint_eq(http_pollfds(fx.h, fds, 1), 1);
	expect_status("/metrics", NULL, 200);
	snprintf(fx.base, sizeof(fx.base), "http://[::1]:%u", port6);
	curl("/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	expect_body(&r, fx.fake.size, false);
	reply_free(&r);
	/* a second server on the same addresses cannot start, and says where */
	dup = http_start(&fx.cfg, &fake_metrics, &fx.fake, err, sizeof(err));
	ck_assert_ptr_null(dup);
	ck_assert_msg(strstr(err, TEST_ADDR) != NULL, "%s", err);
}
END_TEST

START_TEST(test_bad_config)
{
	char err[256] = "";

	fx.cfg.n_listen = 0;
	ck_assert_ptr_null(http_start(&fx.cfg, &fake_metrics, &fx.fake, err, sizeof(err)));
	fx.cfg.n_listen = 1;
	fx.cfg.listen[0].ss_family = AF_UNIX;
	ck_assert_ptr_null(http_start(&fx.cfg, &fake_metrics, &fx.fake, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "neither IPv4 nor IPv6"));
	http_stop(NULL);
}
END_TEST

static Suite *http_suite(bool with_server)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parsers");

	tcase_add_loop_test(tc, test_accept_openmetrics, 0,
	                    (int)(sizeof(om_cases) / sizeof(om_cases[0])));
	tcase_add_loop_test(tc, test_accept_gzip, 0,
	                    (int)(sizeof(gzip_cases) / sizeof(gzip_cases[0])));
	tcase_add_test(tc, test_config_default);
	suite_add_tcase(s, tc);
	if (!with_server)
		return s;

	tc = tcase_create("server");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_metrics_text);
	tcase_add_test(tc, test_metrics_openmetrics);
	tcase_add_test(tc, test_metrics_gzip);
	tcase_add_test(tc, test_metrics_big);
	tcase_add_test(tc, test_metrics_fails_midway);
	tcase_add_test(tc, test_head);
	tcase_add_test(tc, test_keep_alive);
	tcase_add_test(tc, test_landing_and_404);
	tcase_add_test(tc, test_405);
	tcase_add_test(tc, test_500);
	tcase_add_test(tc, test_empty_body);
	tcase_add_test(tc, test_basic_auth);
	tcase_add_test(tc, test_header_limit);
	tcase_add_test(tc, test_tls);
	tcase_add_test(tc, test_tls_half_configured);
	tcase_add_test(tc, test_two_listeners);
	tcase_add_test(tc, test_bad_config);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	bool with_server = system("command -v curl >/dev/null 2>&1") == 0;
	SRunner *sr;
	int failed;

	if (!with_server)
		fprintf(stderr, "test_http: no curl binary: the server tests are LEFT OUT\n");
	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(http_suite(with_server));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
