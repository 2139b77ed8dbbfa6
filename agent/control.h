/*
 * control.h - the daemon side of the control socket that ikemonctl talks to.
 *
 * Protocol (one request per connection):
 *   client -> daemon   one line of at most CONTROL_LINE_MAX bytes, "\n" included:
 *                      words separated by spaces ("show crypto isakmp sa --json\n")
 *   daemon -> client   "OK\n" or "ERR\n", then the body (text; ends with "\n" when
 *                      not empty), then the daemon closes the connection.
 *
 * The socket is a UNIX stream socket created with mode 0600: whoever may connect may
 * clear SAs, so only the daemon's user may (or, after control_set_group(), mode 0660 and
 * that group's members).  Peers whose credentials are neither root, nor the daemon's
 * user, nor of that group are refused as well.
 *
 * Everything is non-blocking and driven by the caller's poll() loop:
 *
 *   n = control_pollfds(&c, pfd, max);          add the fds to the poll set
 *   poll(pfd, n, min(timeout, control_next_timeout_ms(&c, &now)));
 *   for each pfd with revents: control_handle(&c, pfd.fd, pfd.revents);
 *   control_expire(&c, &now);                   drop clients past their deadline
 *
 * The handler runs synchronously, on the loop's thread, once a request line is
 * complete; the reply is then written as the socket accepts it, so a client that reads
 * slowly (or not at all) costs memory for its reply until its deadline, never time.
 */
#ifndef AGENT_CONTROL_H
#define AGENT_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>

#include "agent/show.h"

#define CONTROL_MAX_CLIENTS  16
#define CONTROL_LINE_MAX     1024  /* request line, "\n" included */
#define CONTROL_MAX_ARGS     32    /* words in a request */
#define CONTROL_TIMEOUT_MS   5000  /* to send the request; and per stalled reply write */
#define CONTROL_REPLY_MAX_MS 60000 /* to take the whole reply, however it trickles */
#define CONTROL_MAX_POLLFDS  (CONTROL_MAX_CLIENTS + 1)

/*
 * Fill out with the reply to argv[0..argc-1] (argv[argc] is NULL).  Return 0 for OK;
 * anything else for ERR, with the message in out.
 */
typedef int (*control_handler_fn)(void *ctx, int argc, char **argv, struct strbuf *out);

enum control_client_state {
	CONTROL_CLIENT_FREE = 0,
	CONTROL_CLIENT_READING,
	CONTROL_CLIENT_WRITING,
};

struct control_client {
	int fd;
	enum control_client_state state;
	struct timespec deadline;    /* CLOCK_MONOTONIC: next progress due by then */
	struct timespec reply_limit; /* CLOCK_MONOTONIC: the whole reply due by then */
	char line[CONTROL_LINE_MAX]; /* request bytes received so far */
	size_t line_len;
	const char *status; /* "OK\n" or "ERR\n" */
	size_t status_sent;
	struct strbuf body;
	size_t body_sent;
};

struct control {
	bool open;     /* control_open succeeded and control_close has not run */
	int listen_fd; /* -1 when closed */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* identity of the socket file we created, so close unlinks only ours */
	ino_t ino;
	control_handler_fn fn;
	void *ctx;
	bool group_set; /* control_set_group(): the group's members may connect too */
	gid_t group;
	bool accept_paused;            /* out of descriptors: listening fd left out of poll */
	struct timespec accept_resume; /* CLOCK_MONOTONIC: when to try accepting again */
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

/*
 * Create the socket at path (mode 0600) and listen.  A socket file left by a dead
 * daemon is removed; if a daemon answers on it, or path is something other than a
 * socket, fail.  Returns 0, or -1 with a message in err.
 */
int control_open(struct control *c, const char *path, control_handler_fn fn, void *ctx, char *err,
                 size_t errlen);

/*
 * After control_open: the socket file gets group gid and mode 0660, and peers of that
 * group (primary or supplementary) are allowed.  0, or -1 with a message in err.
 */
int control_set_group(struct control *c, gid_t gid, char *err, size_t errlen);

/*
 * Close every client and the listening socket, and unlink the socket file.  Safe on a
 * zeroed struct, after a failed control_open and twice.
 */
void control_close(struct control *c);

/*
 * Write the pollfds to wait on (listening socket first, then clients, with POLLIN or
 * POLLOUT as each needs) into pfd; returns how many (at most max, CONTROL_MAX_POLLFDS
 * is always enough).
 */
size_t control_pollfds(const struct control *c, struct pollfd *pfd, size_t max);

/*
 * Handle readiness on fd (the listening socket or a client).  An fd that is not ours
 * any more (closed while the caller iterated) is ignored, and a spurious call is
 * harmless: every socket is non-blocking.
 */
void control_handle(struct control *c, int fd, short revents);

/*
 * Milliseconds until the earliest client deadline (or the end of an accept pause), or -1
 * when nothing is pending.
 */
int control_next_timeout_ms(const struct control *c, const struct timespec *now);

/* Close clients whose deadline has passed and end an accept pause that is over. */
void control_expire(struct control *c, const struct timespec *now);

/* Connected clients (for tests and status). */
size_t control_nclients(const struct control *c);

#endif /* AGENT_CONTROL_H */
