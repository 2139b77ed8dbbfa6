/*
 * test_control.c - the control socket (agent/control.c) and, end to end, ikemonctl.
 *
 * The daemon side runs in the test process: the test connects real UNIX sockets to it
 * and drives control_handle() from a poll() loop, as ikemond's loop does.  The ikemonctl
 * tests run the built binary (path from $IKEMONCTL or the IKEMONCTL_BIN define) against
 * that loop; they are left out when neither names one.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/control.h"
#include "tests/unit/testlib.h"

#define BIG_REPLY ((size_t)8 << 20)

struct fixture {
	char dir[64];
	char path[96]; /* fits sun_path */
};

static struct fixture fx;

static void setup(void)
{
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_control.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	snprintf(fx.path, sizeof(fx.path), "%.60s/ikemond.sock", fx.dir);
}

static void teardown(void)
{
	unlink(fx.path);
	rmdir(fx.dir);
}

/* ---------------------------------------------------------------- handler */

/* Echo the words joined by '|'; "fail" is refused; "big" answers BIG_REPLY bytes. */
static int echo_handler(void *ctx, int argc, char **argv, struct strbuf *out)
{
	int *calls = ctx;

	(*calls)++;
	ck_assert_ptr_null(argv[argc]);
	if (strcmp(argv[0], "fail") == 0) {
		strbuf_printf(out, "bad thing\nsecond line");
		return -1;
	}
	if (strcmp(argv[0], "big") == 0) {
		for (size_t i = 0; i < BIG_REPLY / 64; i++)
			strbuf_printf(out, "%063zu\n", i);
		return 0;
	}
	for (int i = 0; i < argc; i++)
		strbuf_printf(out, "%s%s", i > 0 ? "|" : "", argv[i]);
	strbuf_append(out, "\n", 1);
	return 0;
}

static void open_control(struct control *c, int *calls)
{
	char err[256] = "";

	ck_assert_msg(control_open(c, fx.path, echo_handler, calls, err, sizeof(err)) == 0,
	              "control_open: %s", err);
}

/* ---------------------------------------------------------------- loop helpers */

static long long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - since->tv_sec) * 1000 +
	       (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* One turn of the daemon's loop, as ikemond runs it. */
static void pump(struct control *c, int timeout_ms)
{
	struct pollfd pfd[CONTROL_MAX_POLLFDS];
	struct timespec now;
	size_t n = control_pollfds(c, pfd, CONTROL_MAX_POLLFDS);

	ck_assert_int_ge(poll(pfd, n, timeout_ms), 0);
	for (size_t i = 0; i < n; i++) {
		struct timespec t0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		control_handle(c, pfd[i].fd, pfd[i].revents);
		/* whatever the client does, one event never holds the loop (a blocking
		 * write would hold it until the test's timeout; the bound leaves room
		 * for valgrind) */
		ck_assert_int_lt(elapsed_ms(&t0), 3000);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	control_expire(c, &now);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Read fd to EOF while the daemon's loop turns; returns the bytes (NUL-terminated). */
static char *read_reply(struct control *c, int fd, size_t *len)
{
	size_t cap = BIG_REPLY + 4096, n = 0;
	char *buf = malloc(cap);
	struct timespec t0;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ssize_t r;

		pump(c, 5);
		r = recv(fd, buf + n, cap - n - 1, 0);
		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
		else
			ck_assert_msg(errno == EAGAIN, "recv: %s", strerror(errno));
		ck_assert_msg(elapsed_ms(&t0) < 10000, "no end of reply after 10 s");
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Send a request and return the whole reply. */
static char *ask(struct control *c, const char *req, size_t reqlen, size_t *len)
{
	int fd = connect_to(fx.path);
	char *reply;

	ck_assert_int_eq(send(fd, req, reqlen, MSG_NOSIGNAL), (ssize_t)reqlen);
	reply = read_reply(c, fd, len);
	close(fd);
	return reply;
}

static void assert_reply(struct control *c, const char *req, const char *want)
{
	size_t len;
	char *got = ask(c, req, strlen(req), &len);

	ck_assert_str_eq(got, want);
	free(got);
}

/* ---------------------------------------------------------------- socket file */

START_TEST(test_mode_0600_and_unlink)
{
	struct control c;
	struct stat st;
	int calls = 0;

	open_control(&c, &calls);
	ck_assert_int_eq(lstat(fx.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	/* the process umask is restored after bind */
	mode_t now = umask(022);
	umask(now);
	ck_assert_int_ne(now, 0177);
	control_close(&c);
	ck_assert_int_ne(lstat(fx.path, &st), 0);
	ck_assert_int_eq(errno, ENOENT);
	control_close(&c); /* twice is harmless */
}
END_TEST

START_TEST(test_close_unopened)
{
	struct control zeroed, failed;
	char err[256];
	struct stat st;

	/* a daemon that fails before control_open still calls control_close: stdin (fd 0
	 * in a zeroed struct) must survive it */
	memset(&zeroed, 0, sizeof(zeroed));
	control_close(&zeroed);
	ck_assert_int_eq(fstat(0, &st), 0);
	ck_assert_int_eq(control_open(&failed, "", echo_handler, NULL, err, sizeof(err)), -1);
	control_close(&failed);
	ck_assert_int_eq(fstat(0, &st), 0);
}
END_TEST

START_TEST(test_second_instance_refused)
{
	struct control a, b;
	char err[256] = "";
	int calls = 0;

	open_control(&a, &calls);
	ck_assert_int_eq(control_open(&b, fx.path, echo_handler, &calls, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "already listening") != NULL, "err: %s", err);
	ck_assert_int_eq(b.listen_fd, -1);
	/* the first instance kept its socket and still answers */
	assert_reply(&a, "version\n", "OK\nversion\n");
	control_close(&a);
}
END_TEST

START_TEST(test_stale_socket_removed)
{
	struct sockaddr_un sun;
	struct control c;
	int calls = 0, fd;

	/* a socket file nobody listens on: what a crashed daemon leaves */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fx.path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	open_control(&c, &calls);
	assert_reply(&c, "show\n", "OK\nshow\n");
	control_close(&c);
}
END_TEST

START_TEST(test_not_a_socket)
{
	struct control c;
	char err[256] = "";
	struct stat st;
	FILE *f = fopen(fx.path, "w");

	ck_assert_ptr_nonnull(f);
	fputs("precious", f);
	fclose(f);
	ck_assert_int_eq(control_open(&c, fx.path, echo_handler, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a socket") != NULL, "err: %s", err);
	ck_assert_int_eq(lstat(fx.path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 8);
}
END_TEST

START_TEST(test_path_too_long)
{
	struct control c;
	char path[200], err[256] = "";

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(control_open(&c, path, echo_handler, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
}
END_TEST

START_TEST(test_close_spares_replacement)
{
	struct control c;
	struct stat st;
	int calls = 0;
	FILE *f;

	open_control(&c, &calls);
	/* someone else took the path meanwhile: closing must not delete their file */
	ck_assert_int_eq(unlink(fx.path), 0);
	f = fopen(fx.path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	control_close(&c);
	ck_assert_int_eq(lstat(fx.path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

/* ---------------------------------------------------------------- protocol */

START_TEST(test_framing)
{
	struct control c;
	int calls = 0;

	open_control(&c, &calls);
	assert_reply(&c, "show crypto isakmp sa --json\n", "OK\nshow|crypto|isakmp|sa|--json\n");
	/* an error message gets its final newline added */
	assert_reply(&c, "fail now\n", "ERR\nbad thing\nsecond line\n");
	/* runs of spaces and a CR (nc -C) are tolerated */
	assert_reply(&c, "  sh   cry  \r\n", "OK\nsh|cry\n");
	/* bytes after the line are ignored: one request per connection */
	assert_reply(&c, "one\ntwo\n", "OK\none\n");
	ck_assert_int_eq(calls, 4);
	ck_assert_uint_eq(control_nclients(&c), 0);
	control_close(&c);
}
END_TEST

START_TEST(test_bad_requests)
{
	struct control c;
	char line[64 * 3 + 2];
	int calls = 0;

	open_control(&c, &calls);
	assert_reply(&c, "\n", "ERR\nempty request; try 'ikemonctl help'\n");
	assert_reply(&c, "show\x1b[2J\n", "ERR\nrequest contains control characters\n");
	line[0] = '\0';
	for (int i = 0; i < CONTROL_MAX_ARGS + 1; i++)
		strcat(line, "w ");
	strcat(line, "\n");
	assert_reply(&c, line, "ERR\ntoo many words in request\n");
	ck_assert_int_eq(calls, 0); /* the handler never saw any of them */
	control_close(&c);
}
END_TEST

START_TEST(test_line_limit)
{
	struct control c;
	char req[2 * CONTROL_LINE_MAX], want[CONTROL_LINE_MAX + 8];
	size_t len;
	char *got;
	int calls = 0;

	open_control(&c, &calls);
	/* the longest request that fits: 1023 bytes and its newline */
	memset(req, 'a', CONTROL_LINE_MAX - 1);
	req[CONTROL_LINE_MAX - 1] = '\n';
	snprintf(want, sizeof(want), "OK\n%.*s\n", CONTROL_LINE_MAX - 1, req);
	got = ask(&c, req, CONTROL_LINE_MAX, &len);
	ck_assert_str_eq(got, want);
	free(got);
	/* one byte more is refused, and so is a longer line, before the handler runs */
	memset(req, 'a', sizeof(req));
	req[CONTROL_LINE_MAX] = '\n';
	got = ask(&c, req, CONTROL_LINE_MAX + 1, &len);
	ck_assert_str_eq(got, "ERR\nrequest too long (the limit is 1024 bytes)\n");
	free(got);
	got = ask(&c, req, sizeof(req), &len);
	ck_assert_str_eq(got, "ERR\nrequest too long (the limit is 1024 bytes)\n");
	free(got);
	ck_assert_int_eq(calls, 1);
	control_close(&c);
}
END_TEST

START_TEST(test_client_limit)
{
	int fds[CONTROL_MAX_CLIENTS], extra, calls = 0;
	struct control c;
	size_t len;
	char *got;

	open_control(&c, &calls);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		fds[i] = connect_to(fx.path);
		pump(&c, 50);
	}
	ck_assert_uint_eq(control_nclients(&c), CONTROL_MAX_CLIENTS);
	extra = connect_to(fx.path);
	got = read_reply(&c, extra, &len);
	ck_assert_str_eq(got, "ERR\nbusy: too many control connections; try again\n");
	free(got);
	close(extra);
	ck_assert_uint_eq(control_nclients(&c), CONTROL_MAX_CLIENTS);
	/* the waiting clients are still served */
	ck_assert_int_eq(send(fds[3], "hello\n", 6, MSG_NOSIGNAL), 6);
	got = read_reply(&c, fds[3], &len);
	ck_assert_str_eq(got, "OK\nhello\n");
	free(got);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	control_close(&c);
}
END_TEST

START_TEST(test_deadline)
{
	struct control c;
	struct timespec now, later;
	char buf[128];
	ssize_t n;
	int fd, calls = 0, ms;

	open_control(&c, &calls);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ck_assert_int_eq(control_next_timeout_ms(&c, &now), -1);
	fd = connect_to(fx.path);
	ck_assert_int_eq(send(fd, "sho", 3, MSG_NOSIGNAL), 3); /* and then nothing */
	pump(&c, 50);
	pump(&c, 50);
	ck_assert_uint_eq(control_nclients(&c), 1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = control_next_timeout_ms(&c, &now);
	ck_assert_int_gt(ms, CONTROL_TIMEOUT_MS - 1000);
	ck_assert_int_le(ms, CONTROL_TIMEOUT_MS);
	/* not yet due: nothing happens */
	control_expire(&c, &now);
	ck_assert_uint_eq(control_nclients(&c), 1);
	later = now;
	later.tv_sec += CONTROL_TIMEOUT_MS / 1000 + 1;
	ck_assert_int_eq(control_next_timeout_ms(&c, &later), 0);
	control_expire(&c, &later);
	ck_assert_uint_eq(control_nclients(&c), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "ERR\ntimed out waiting for the request\n");
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(calls, 0);
	close(fd);
	control_close(&c);
}
END_TEST

START_TEST(test_big_reply_slow_reader)
{
	struct control c;
	size_t len;
	char *got, expect[80];
	int fd, calls = 0;

	open_control(&c, &calls);
	fd = connect_to(fx.path);
	ck_assert_int_eq(send(fd, "big\n", 4, MSG_NOSIGNAL), 4);
	/* the client reads nothing for a while: the loop keeps turning, the reply waits */
	for (int i = 0; i < 20; i++)
		pump(&c, 5);
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(control_nclients(&c), 1);
	ck_assert_int_eq(c.clients[0].state, CONTROL_CLIENT_WRITING);
	ck_assert_uint_lt(c.clients[0].body_sent, BIG_REPLY);
	got = read_reply(&c, fd, &len);
	ck_assert_uint_eq(len, 3 + BIG_REPLY);
	ck_assert_int_eq(memcmp(got, "OK\n", 3), 0);
	for (size_t i = 0; i < BIG_REPLY / 64; i += 4099) {
		snprintf(expect, sizeof(expect), "%063zu\n", i);
		ck_assert_int_eq(memcmp(got + 3 + 64 * i, expect, 64), 0);
	}
	free(got);
	close(fd);
	ck_assert_uint_eq(control_nclients(&c), 0);
	control_close(&c);
}
END_TEST

START_TEST(test_client_vanishes)
{
	struct control c;
	int fd, calls = 0;

	open_control(&c, &calls);
	/* asks for a large reply and hangs up: no SIGPIPE, the slot is freed */
	fd = connect_to(fx.path);
	ck_assert_int_eq(send(fd, "big\n", 4, MSG_NOSIGNAL), 4);
	pump(&c, 50);
	close(fd);
	for (int i = 0; i < 20 && control_nclients(&c) > 0; i++)
		pump(&c, 20);
	ck_assert_uint_eq(control_nclients(&c), 0);
	/* and one that hangs up half way through its request */
	fd = connect_to(fx.path);
	ck_assert_int_eq(send(fd, "sh", 2, MSG_NOSIGNAL), 2);
	pump(&c, 50);
	close(fd);
	for (int i = 0; i < 20 && control_nclients(&c) > 0; i++)
		pump(&c, 20);
	ck_assert_uint_eq(control_nclients(&c), 0);
	ck_assert_int_eq(calls, 1);
	control_close(&c);
}
END_TEST

START_TEST(test_out_of_descriptors)
{
	struct pollfd pfd[CONTROL_MAX_POLLFDS];
	struct control c;
	struct rlimit saved, low;
	struct timespec now, later;
	size_t len;
	char *got;
	int fd, lowest, calls = 0;

	open_control(&c, &calls);
	fd = connect_to(fx.path);
	ck_assert_int_eq(send(fd, "after\n", 6, MSG_NOSIGNAL), 6);
	/* no descriptor left for accept: the loop must not spin on the readable socket */
	lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = (rlim_t)lowest;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	pump(&c, 50);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert(c.accept_paused);
	ck_assert_uint_eq(control_nclients(&c), 0);
	ck_assert_uint_eq(control_pollfds(&c, pfd, CONTROL_MAX_POLLFDS), 0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ck_assert_int_gt(control_next_timeout_ms(&c, &now), 0);
	ck_assert_int_le(control_next_timeout_ms(&c, &now), 1000);
	/* once the pause is over, clients are served again (a fresh one: valgrind, unlike
	 * the kernel, drops the connection it could not give a descriptor) */
	later = now;
	later.tv_sec += 2;
	control_expire(&c, &later);
	ck_assert(!c.accept_paused);
	close(fd);
	fd = connect_to(fx.path);
	ck_assert_int_eq(send(fd, "after\n", 6, MSG_NOSIGNAL), 6);
	got = read_reply(&c, fd, &len);
	ck_assert_str_eq(got, "OK\nafter\n");
	free(got);
	close(fd);
	control_close(&c);
}
END_TEST

START_TEST(test_pollfds)
{
	struct pollfd pfd[CONTROL_MAX_POLLFDS];
	struct control c;
	int fd, calls = 0;
	size_t n;

	open_control(&c, &calls);
	n = control_pollfds(&c, pfd, CONTROL_MAX_POLLFDS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pfd[0].fd, c.listen_fd);
	ck_assert_int_eq(pfd[0].events, POLLIN);
	fd = connect_to(fx.path);
	pump(&c, 50);
	n = control_pollfds(&c, pfd, CONTROL_MAX_POLLFDS);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(pfd[1].events, POLLIN);
	ck_assert_uint_eq(control_pollfds(&c, pfd, 1), 1);
	/* a stale event for an fd that is not ours is ignored */
	control_handle(&c, 12345, POLLIN);
	ck_assert_uint_eq(control_nclients(&c), 1);
	close(fd);
	control_close(&c);
}
END_TEST

/* ---------------------------------------------------------------- ikemonctl */

static const char *ikemonctl_path(void)
{
	const char *p = getenv("IKEMONCTL");

	if (p != NULL && *p != '\0')
		return p;
#ifdef IKEMONCTL_BIN
	return IKEMONCTL_BIN;
#else
	return NULL;
#endif
}

struct run {
	int status;
	char out[4096], err[4096];
};

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Run ikemonctl with args while this process serves the socket; NULL env = unset. */
static void run_ctl(struct control *c, const char *env_socket, char *const args[], struct run *r)
{
	char out[160], err[160];
	struct timespec t0;
	pid_t pid;
	int st;

	snprintf(out, sizeof(out), "%s/out", fx.dir);
	snprintf(err, sizeof(err), "%s/err", fx.dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (freopen(out, "w", stdout) == NULL || freopen(err, "w", stderr) == NULL)
			_exit(99);
		if (env_socket != NULL)
			setenv("IKEMOND_SOCKET", env_socket, 1);
		else
			unsetenv("IKEMOND_SOCKET");
		execv(ikemonctl_path(), args);
		_exit(98);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (c != NULL)
			pump(c, 10);
		else
			usleep(10000);
		ck_assert_msg(elapsed_ms(&t0) < 10000, "ikemonctl did not finish");
	}
	ck_assert(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	unlink(out);
	unlink(err);
}

START_TEST(test_ikemonctl_ok_and_err)
{
	struct control c;
	struct run r;
	int calls = 0;

	open_control(&c, &calls);
	run_ctl(
	    &c, NULL,
	    (char *const[]){"ikemonctl", "-s", fx.path, "--json", "sh", "cry", "isa", "sa", NULL},
	    &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "sh|cry|isa|sa|--json\n");
	ck_assert_str_eq(r.err, "");

	run_ctl(&c, NULL, (char *const[]){"ikemonctl", "-s", fx.path, "fail", NULL}, &r);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "ikemonctl: bad thing\nikemonctl: second line\n");

	/* $IKEMOND_SOCKET replaces the default; -s would replace it */
	run_ctl(&c, fx.path, (char *const[]){"ikemonctl", "version", NULL}, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "version\n");
	ck_assert_int_eq(calls, 3);
	control_close(&c);
}
END_TEST

START_TEST(test_ikemonctl_no_daemon)
{
	char want[512];
	struct run r;

	run_ctl(NULL, NULL, (char *const[]){"ikemonctl", "-s", fx.path, "version", NULL}, &r);
	ck_assert_int_eq(r.status, 2);
	snprintf(want, sizeof(want),
	         "ikemonctl: cannot connect to %s: No such file or directory\n"
	         "ikemonctl: is ikemond running? (systemctl status ikemond) Its socket is the "
	         "'control' key of ikemond.conf; name another with -s SOCKET or IKEMOND_SOCKET\n",
	         fx.path);
	ck_assert_str_eq(r.err, want);
	ck_assert_str_eq(r.out, "");
}
END_TEST

START_TEST(test_ikemonctl_usage)
{
	struct run r;

	run_ctl(NULL, NULL, (char *const[]){"ikemonctl", "help", NULL}, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "show crypto isakmp sa [detail] [--json]"));
	ck_assert_ptr_nonnull(strstr(r.out, "initiate PEER"));
	ck_assert_ptr_nonnull(strstr(r.out, "clear crypto isakmp [CONN-ID]"));
	ck_assert_ptr_nonnull(strstr(r.out, "reload"));
	ck_assert_ptr_nonnull(strstr(r.out, "version"));
	run_ctl(NULL, NULL, (char *const[]){"ikemonctl", "-h", NULL}, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: ikemonctl"));
	run_ctl(NULL, NULL, (char *const[]){"ikemonctl", NULL}, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "no command given"));
	run_ctl(NULL, NULL, (char *const[]){"ikemonctl", "--bogus", "x", NULL}, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "unknown option '--bogus'"));
	run_ctl(NULL, NULL, (char *const[]){"ikemonctl", "initiate", "a b", NULL}, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "invalid word 'a b'"));
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *file = tcase_create("socket-file");
	TCase *proto = tcase_create("protocol");
	TCase *ctl;

	tcase_add_checked_fixture(file, setup, teardown);
	tcase_add_test(file, test_mode_0600_and_unlink);
	tcase_add_test(file, test_close_unopened);
	tcase_add_test(file, test_second_instance_refused);
	tcase_add_test(file, test_stale_socket_removed);
	tcase_add_test(file, test_not_a_socket);
	tcase_add_test(file, test_path_too_long);
	tcase_add_test(file, test_close_spares_replacement);
	suite_add_tcase(s, file);

	tcase_add_checked_fixture(proto, setup, teardown);
	tcase_set_timeout(proto, 30);
	tcase_add_test(proto, test_framing);
	tcase_add_test(proto, test_bad_requests);
	tcase_add_test(proto, test_line_limit);
	tcase_add_test(proto, test_client_limit);
	tcase_add_test(proto, test_deadline);
	tcase_add_test(proto, test_big_reply_slow_reader);
	tcase_add_test(proto, test_client_vanishes);
	tcase_add_test(proto, test_out_of_descriptors);
	tcase_add_test(proto, test_pollfds);
	suite_add_tcase(s, proto);

	if (ikemonctl_path() != NULL) {
		ctl = tcase_create("ikemonctl");
		tcase_add_checked_fixture(ctl, setup, teardown);
		tcase_set_timeout(ctl, 30);
		tcase_add_test(ctl, test_ikemonctl_ok_and_err);
		tcase_add_test(ctl, test_ikemonctl_no_daemon);
		tcase_add_test(ctl, test_ikemonctl_usage);
		suite_add_tcase(s, ctl);
	} else {
		fprintf(stderr, "test_control: ikemonctl tests skipped (set IKEMONCTL)\n");
	}
	return s;
}

int main(void)
{
	return tl_run(control_suite());
}
