/*
 * control.c - the control socket: accept, read one request line, run the handler,
 * write the reply, close.  See control.h for the protocol and how the loop drives it.
 *
 * Costs, so nobody has to guess them: a request costs one handler call on the loop's
 * thread (the views are linear in the number of SAs); each client holds its reply in
 * memory (at most 64 MiB, the strbuf cap) until it is written; at most
 * CONTROL_MAX_CLIENTS clients exist at once, and each is dropped when it stops making
 * progress for CONTROL_TIMEOUT_MS or has not taken its reply within CONTROL_REPLY_MAX_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agent/control.h"

/* Connections accepted per readiness event: bounds the work a connect flood causes. */
#define ACCEPT_BURST 64
/* How long to stop accepting when out of descriptors, instead of spinning on poll. */
#define ACCEPT_PAUSE_MS 1000

/* ---------------------------------------------------------------- time */

static void now_mono(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static struct timespec ts_add_ms(const struct timespec *t, long ms)
{
	struct timespec r = *t;

	r.tv_sec += ms / 1000;
	r.tv_nsec += (ms % 1000) * 1000000L;
	if (r.tv_nsec >= 1000000000L) {
		r.tv_sec++;
		r.tv_nsec -= 1000000000L;
	}
	return r;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* ---------------------------------------------------------------- open and close */

static void client_reset(struct control_client *cl)
{
	cl->fd = -1;
	cl->state = CONTROL_CLIENT_FREE;
	cl->line_len = 0;
	cl->status = NULL;
	cl->status_sent = 0;
	strbuf_free(&cl->body);
	cl->body_sent = 0;
}

/*
 * Linux reports ECONNRESET instead of end-of-file to the peer of a UNIX socket closed
 * with unread input, and a client reading our reply would then lose its ending (or,
 * after an oversized request, its "ERR").  Reading what is queued before closing avoids
 * that; the amount is bounded so a flooding client cannot keep us here.
 */
static void drain_input(int fd)
{
	char scratch[4096];

	for (int i = 0; i < 16; i++)
		if (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) <= 0)
			return;
}

static void client_close(struct control_client *cl)
{
	if (cl->fd >= 0) {
		drain_input(cl->fd);
		close(cl->fd);
	}
	client_reset(cl);
}

static void control_init(struct control *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_fd = -1;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		strbuf_init(&c->clients[i].body);
		client_reset(&c->clients[i]);
	}
}

static int fill_sun(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sun->sun_path))
		return -1;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * A socket file may be left by a daemon that died.  Removing it blindly would steal the
 * path from a daemon that is running, so connect first: only a refused connection
 * proves nobody listens.  A listener whose backlog is full answers EAGAIN: still alive.
 */
static int remove_stale(const char *path, const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc, saved;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot check %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
		         "%s exists and is not a socket; remove it or set another "
		         "control path",
		         path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	if (rc == 0 || saved == EAGAIN || saved == EINPROGRESS) {
		snprintf(err, errlen, "another ikemond is already listening on %s", path);
		return -1;
	}
	if (saved != ECONNREFUSED) {
		snprintf(err, errlen, "cannot check %s: %s", path, strerror(saved));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* bind with a umask that leaves no window in which the socket is open to others. */
static int bind_private(int fd, const struct sockaddr_un *sun, char *err, size_t errlen)
{
	mode_t old = umask(0177);
	int rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int saved = errno;

	umask(old);
	if (rc != 0) {
		snprintf(err, errlen, "cannot bind %s: %s", sun->sun_path, strerror(saved));
		return -1;
	}
	/* chmod too: the mode bits of a socket created under umask are not portable */
	if (chmod(sun->sun_path, 0600) != 0) {
		snprintf(err, errlen, "cannot chmod %s: %s", sun->sun_path, strerror(errno));
		unlink(sun->sun_path);
		return -1;
	}
	return 0;
}

int control_open(struct control *c, const char *path, control_handler_fn fn, void *ctx, char *err,
                 size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd = -1;

	control_init(c);
	if (fill_sun(&sun, path) != 0) {
		snprintf(err, errlen, "control socket path '%s' is empty or longer than %zu bytes",
		         path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (remove_stale(path, &sun, err, errlen) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind_private(fd, &sun, err, errlen) != 0)
		goto fail;
	if (lstat(path, &st) != 0 || listen(fd, CONTROL_MAX_CLIENTS) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	c->open = true;
	c->listen_fd = fd;
	memcpy(c->path, sun.sun_path, sizeof(c->path));
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->fn = fn;
	c->ctx = ctx;
	return 0;
fail:
	close(fd);
	return -1;
}

int control_set_group(struct control *c, gid_t gid, char *err, size_t errlen)
{
	if (chown(c->path, (uid_t)-1, gid) != 0 || chmod(c->path, 0660) != 0) {
		snprintf(err, errlen, "cannot give %s to group %u: %s", c->path, (unsigned)gid,
		         strerror(errno));
		return -1;
	}
	c->group = gid;
	c->group_set = true;
	return 0;
}

void control_close(struct control *c)
{
	struct stat st;

	/* a zeroed struct holds fd 0 everywhere: never "close" what was not opened */
	if (!c->open)
		return;
	c->open = false;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].state != CONTROL_CLIENT_FREE)
			client_close(&c->clients[i]);
	close(c->listen_fd);
	c->listen_fd = -1;
	/* unlink only the socket we made: a successor may already have replaced it */
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
}

/* ---------------------------------------------------------------- poll glue */

size_t control_pollfds(const struct control *c, struct pollfd *pfd, size_t max)
{
	size_t n = 0;

	if (c->listen_fd >= 0 && !c->accept_paused && n < max) {
		pfd[n].fd = c->listen_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS && n < max; i++) {
		const struct control_client *cl = &c->clients[i];

		if (cl->state == CONTROL_CLIENT_FREE)
			continue;
		pfd[n].fd = cl->fd;
		pfd[n].events = cl->state == CONTROL_CLIENT_READING ? POLLIN : POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

size_t control_nclients(const struct control *c)
{
	size_t n = 0;

	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].state != CONTROL_CLIENT_FREE)
			n++;
	return n;
}

/* Milliseconds from now to t, rounded up (so the loop does not wake just too early). */
static long long ms_until(const struct timespec *t, const struct timespec *now)
{
	long long ms = (long long)(t->tv_sec - now->tv_sec) * 1000 +
	               (t->tv_nsec - now->tv_nsec + 999999) / 1000000;

	return ms < 0 ? 0 : ms;
}

int control_next_timeout_ms(const struct control *c, const struct timespec *now)
{
	long long best = c->accept_paused ? ms_until(&c->accept_resume, now) : -1, ms;

	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		const struct control_client *cl = &c->clients[i];

		if (cl->state == CONTROL_CLIENT_FREE)
			continue;
		ms = ms_until(&cl->deadline, now);
		if (best < 0 || ms < best)
			best = ms;
	}
	return (int)best;
}

/* ---------------------------------------------------------------- replies */

/* A one-shot answer on a socket we will not keep: never blocks, failure is harmless. */
static void send_oneshot(int fd, const char *msg)
{
	ssize_t rc = send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)rc;
}

static void client_write(struct control_client *cl)
{
	size_t status_len = strlen(cl->status);
	struct timespec now;

	for (;;) {
		struct iovec iov[2];
		struct msghdr msg;
		size_t n = 0, w;
		ssize_t rc;

		if (cl->status_sent < status_len) {
			iov[n].iov_base = (void *)(cl->status + cl->status_sent);
			iov[n++].iov_len = status_len - cl->status_sent;
		}
		if (cl->body_sent < cl->body.len) {
			iov[n].iov_base = cl->body.s + cl->body_sent;
			iov[n++].iov_len = cl->body.len - cl->body_sent;
		}
		if (n == 0) {
			client_close(cl); /* all sent: closing is the end-of-reply marker */
			return;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = n;
		rc = sendmsg(cl->fd, &msg, MSG_NOSIGNAL);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* wait for POLLOUT */
		if (rc < 0) {
			client_close(cl); /* the client went away: nothing to tell it */
			return;
		}
		w = (size_t)rc;
		if (cl->status_sent < status_len) {
			size_t k =
			    w < status_len - cl->status_sent ? w : status_len - cl->status_sent;

			cl->status_sent += k;
			w -= k;
		}
		cl->body_sent += w;
		/* progress: the client earns another idle period, within the overall limit */
		now_mono(&now);
		cl->deadline = ts_add_ms(&now, CONTROL_TIMEOUT_MS);
		if (ts_before(&cl->reply_limit, &cl->deadline))
			cl->deadline = cl->reply_limit;
	}
}

/* Switch a client to writing its reply (body already in cl->body) and start. */
static void client_reply(struct control_client *cl, bool ok)
{
	struct timespec now;

	/* a text reply ends with a newline, so clients can print it as it is */
	if (cl->body.len > 0 && cl->body.s[cl->body.len - 1] != '\n')
		strbuf_append(&cl->body, "\n", 1);
	if (cl->body.oom) {
		strbuf_free(&cl->body);
		strbuf_printf(&cl->body, "reply too large (or out of memory)\n");
		ok = false;
	}
	cl->status = ok ? "OK\n" : "ERR\n";
	cl->status_sent = 0;
	cl->body_sent = 0;
	cl->state = CONTROL_CLIENT_WRITING;
	now_mono(&now);
	cl->reply_limit = ts_add_ms(&now, CONTROL_REPLY_MAX_MS);
	cl->deadline = ts_add_ms(&now, CONTROL_TIMEOUT_MS);
	client_write(cl);
}

static void client_error(struct control_client *cl, const char *msg)
{
	strbuf_free(&cl->body);
	strbuf_printf(&cl->body, "%s\n", msg);
	client_reply(cl, false);
}

/* ---------------------------------------------------------------- requests */

/*
 * Split the line in place into words.  Runs of spaces count as one separator (a person
 * typing into nc should not get an error for a double space); control characters are
 * refused, so no word can carry a newline or an escape sequence into a log.
 */
static int split_words(char *line, char **argv, int max, const char **why)
{
	int argc = 0;
	char *p = line;

	for (char *q = line; *q != '\0'; q++) {
		if ((unsigned char)*q < 0x20 || *q == 0x7f) {
			*why = "request contains control characters";
			return -1;
		}
	}
	while (*p != '\0') {
		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (argc == max) {
			*why = "too many words in request";
			return -1;
		}
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
	}
	argv[argc] = NULL;
	return argc;
}

static void client_run(struct control *c, struct control_client *cl, size_t len)
{
	char *argv[CONTROL_MAX_ARGS + 1];
	const char *why = NULL;
	int argc, rc;

	cl->line[len] = '\0';
	if (len > 0 && cl->line[len - 1] == '\r')
		cl->line[--len] = '\0';
	argc = split_words(cl->line, argv, CONTROL_MAX_ARGS, &why);
	if (argc < 0) {
		client_error(cl, why);
		return;
	}
	if (argc == 0) {
		client_error(cl, "empty request; try 'ikemonctl help'");
		return;
	}
	strbuf_free(&cl->body);
	rc = c->fn(c->ctx, argc, argv, &cl->body);
	client_reply(cl, rc == 0);
}

static void client_read(struct control *c, struct control_client *cl)
{
	for (;;) {
		size_t space = sizeof(cl->line) - cl->line_len;
		char *nl;
		ssize_t n;

		if (space == 0) {
			client_error(cl, "request too long (the limit is 1024 bytes)");
			return;
		}
		n = recv(cl->fd, cl->line + cl->line_len, space, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_close(cl); /* gone before finishing its request */
			return;
		}
		nl = memchr(cl->line + cl->line_len, '\n', (size_t)n);
		cl->line_len += (size_t)n;
		if (nl != NULL) {
			client_run(c, cl, (size_t)(nl - cl->line));
			return;
		}
	}
}

/* ---------------------------------------------------------------- accept */

/* Whether the peer on fd has gid among its supplementary groups (SO_PEERGROUPS). */
static bool peer_in_group(int fd, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0)
		return false; /* ERANGE (more groups than this) counts as no */
	for (size_t i = 0; i < len / sizeof(groups[0]); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * Only root, the daemon's own user and (with control_group) the group's members may
 * drive it, whatever the file mode says.
 */
static bool peer_allowed(const struct control *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	return c->group_set && (cred.gid == c->group || peer_in_group(fd, c->group));
}

static struct control_client *free_client(struct control *c)
{
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].state == CONTROL_CLIENT_FREE)
			return &c->clients[i];
	return NULL;
}

static void control_accept(struct control *c)
{
	struct control_client *cl;
	struct timespec now;

	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0 &&
		    (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
			/* the connection stays queued and the fd readable: poll would spin */
			c->accept_paused = true;
			now_mono(&now);
			c->accept_resume = ts_add_ms(&now, ACCEPT_PAUSE_MS);
			return;
		}
		if (fd < 0)
			return; /* EAGAIN: drained; anything else: try again on the next event */
		if (!peer_allowed(c, fd)) {
			send_oneshot(fd, "ERR\npermission denied\n");
			close(fd);
			continue;
		}
		cl = free_client(c);
		if (cl == NULL) {
			send_oneshot(fd, "ERR\nbusy: too many control connections; try again\n");
			close(fd);
			continue;
		}
		client_reset(cl);
		cl->fd = fd;
		cl->state = CONTROL_CLIENT_READING;
		now_mono(&now);
		cl->deadline = ts_add_ms(&now, CONTROL_TIMEOUT_MS);
	}
}

void control_handle(struct control *c, int fd, short revents)
{
	if (fd < 0 || revents == 0)
		return;
	if (fd == c->listen_fd) {
		control_accept(c);
		return;
	}
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->state == CONTROL_CLIENT_FREE || cl->fd != fd)
			continue;
		if (cl->state == CONTROL_CLIENT_READING)
			client_read(c, cl);
		else
			client_write(cl);
		return;
	}
}

void control_expire(struct control *c, const struct timespec *now)
{
	if (c->accept_paused && !ts_before(now, &c->accept_resume))
		c->accept_paused = false;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->state == CONTROL_CLIENT_FREE || ts_before(now, &cl->deadline))
			continue;
		if (cl->state == CONTROL_CLIENT_READING)
			send_oneshot(cl->fd, "ERR\ntimed out waiting for the request\n");
		client_close(cl);
	}
}
