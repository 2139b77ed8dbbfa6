/*
 * ikemonctl.c - the operator's command line: sends one request to ikemond's control
 * socket and prints the answer.
 *
 *   ikemonctl [-s SOCKET] [--json] COMMAND...
 *
 * The words go to the daemon as they are (joined by spaces, "--json" appended when given
 * anywhere): the daemon is the authority on what they mean, so a new daemon command
 * needs no new client.  Exit status: 0 the daemon said OK (body on stdout), 1 it said ERR
 * (message on stderr), 2 usage, connection or protocol trouble.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/control.h"
#include "agent/suggest.h"

#define EXIT_ERR      1
#define EXIT_TROUBLE  2
#define MAX_WORDS     CONTROL_MAX_ARGS
#define REPLY_WAIT_MS 30000 /* the daemon answers at once; this only catches a hung one */
#define PROG          "ikemonctl"

struct opts {
	const char *socket;
	bool json;
	bool help;
	char *words[MAX_WORDS];
	int n;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " [-s SOCKET] [--json] COMMAND...\n"
	        "\n"
	        "commands:\n"
	        "  show crypto isakmp sa [detail] [--json]  ISAKMP (IKEv1 phase 1) SAs, as IOS "
	        "shows them\n"
	        "  show crypto ipsec sa [--json]            IPsec (phase 2) SAs, as IOS shows "
	        "them\n"
	        "  show ikemon peers [--json]               each configured peer: up or down, "
	        "health, alarm, cause\n"
	        "  show ikemon status [--json]              ikemond itself: uptime, the last "
	        "reload and why it failed\n"
	        "  show alarms [history] [--json]           stall alarms: active ones, or the "
	        "cleared ones\n"
	        "  initiate PEER                            bring a configured peer up (Main "
	        "Mode, then its Quick Modes)\n"
	        "  clear crypto isakmp [CONN-ID]            delete one ISAKMP SA, or all of "
	        "them\n"
	        "  clear alarm PEER                         acknowledge a peer's alarm (raised "
	        "again if it stays stalled)\n"
	        "  reload                                   re-read ikemond's configuration\n"
	        "  version                                  ikemond's version\n"
	        "  help                                     this text\n"
	        "\n"
	        "Keywords may be abbreviated as on IOS: " PROG " sh cry isa sa, " PROG
	        " sh ike pe, " PROG " sh al\n"
	        "\n"
	        "options:\n"
	        "  -s SOCKET   control socket (default $IKEMOND_SOCKET, else %s)\n"
	        "  --json      machine-readable output (show commands)\n"
	        "  -h, --help  this text\n"
	        "\n"
	        "exit status: 0 done, 1 ikemond refused the command, 2 usage or connection "
	        "error\n",
	        IKEMOND_DEFAULT_CONTROL);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, PROG ": %s\n\n", msg);
	usage(stderr);
	return EXIT_TROUBLE;
}

/* An option we do not know: the closest one when it looks like a typo ("--jsno"). */
static int unknown_option(const char *a)
{
	static const char *const known[] = {"--json", "--socket", "--help", "-s", "-h"};
	const char *near = suggest_closest(a, known, sizeof(known) / sizeof(known[0]));

	if (near != NULL)
		fprintf(stderr, PROG ": unknown option '%s': did you mean '%s'?\n\n", a, near);
	else
		fprintf(stderr, PROG ": unknown option '%s'\n\n", a);
	usage(stderr);
	return EXIT_TROUBLE;
}

/* Options may appear anywhere (--json often comes last); "--" ends them. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	bool opts_done = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && a[0] == '-' && a[1] != '\0') {
			if (strcmp(a, "--") == 0)
				opts_done = true;
			else if (strcmp(a, "--json") == 0)
				o->json = true;
			else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
				o->help = true;
			else if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
				if (++i == argc)
					return usage_error("option -s needs a socket path");
				o->socket = argv[i];
			} else if (strncmp(a, "--socket=", 9) == 0)
				o->socket = a + 9;
			else if (strncmp(a, "-s", 2) == 0)
				o->socket = a + 2;
			else
				return unknown_option(a);
			continue;
		}
		if (o->n == MAX_WORDS)
			return usage_error("too many words");
		o->words[o->n++] = argv[i];
	}
	return 0;
}

/* A word must arrive as one word: no spaces, no control characters, not empty. */
static bool word_ok(const char *w)
{
	if (*w == '\0')
		return false;
	for (; *w != '\0'; w++)
		if ((unsigned char)*w <= ' ' || *w == 0x7f)
			return false;
	return true;
}

/* Join the words into the request line; returns its length, or 0 when it cannot be sent. */
static size_t build_request(const struct opts *o, char *line, size_t cap)
{
	size_t len = 0;

	for (int i = 0; i <= o->n; i++) {
		const char *w = i < o->n ? o->words[i] : (o->json ? "--json" : NULL);
		size_t wl;

		if (w == NULL)
			break;
		if (!word_ok(w)) {
			fprintf(stderr,
			        PROG ": invalid word '%s': no spaces or control characters\n", w);
			return 0;
		}
		wl = strlen(w);
		if (len + wl + 2 > cap) {
			fprintf(stderr, PROG ": command too long (the limit is %zu bytes)\n", cap);
			return 0;
		}
		if (len > 0)
			line[len++] = ' ';
		memcpy(line + len, w, wl);
		len += wl;
	}
	line[len++] = '\n';
	return len;
}

/* What an operator checks next, for the usual reasons a connection fails. */
static const char *connect_hint(int err)
{
	if (err == ENOENT)
		return "\n" PROG ": is ikemond running? (systemctl status ikemond) Its socket is "
		       "the 'control' key of ikemond.conf; name another with -s SOCKET or "
		       "IKEMOND_SOCKET";
	if (err == ECONNREFUSED)
		return "\n" PROG ": the socket is there but nobody answers: ikemond has stopped "
		       "(systemctl status ikemond, or its log)";
	if (err == EACCES || err == EPERM)
		return "\n" PROG ": the control socket is its owner's only (mode 0600), or its "
		       "group's too (control_group): run ikemonctl as root or as a member";
	return "";
}

static int connect_daemon(const char *path)
{
	struct sockaddr_un sun;
	int fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, PROG ": socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		saved = errno;
		fprintf(stderr, PROG ": cannot connect to %s: %s%s\n", path, strerror(saved),
		        connect_hint(saved));
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read what is there, waiting at most REPLY_WAIT_MS.  Returns bytes, 0 at EOF, -1. */
static ssize_t recv_wait(int fd, char *buf, size_t cap)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int rc;

	do
		rc = poll(&pfd, 1, REPLY_WAIT_MS);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	if (rc <= 0)
		return -1;
	do
		rc = (int)recv(fd, buf, cap, 0);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* The reply's body after ERR: each line on stderr, prefixed so scripts' logs say who. */
struct err_printer {
	bool at_line_start;
	bool any;
};

static void print_err(struct err_printer *p, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p->at_line_start)
			fputs(PROG ": ", stderr);
		fputc(buf[i], stderr);
		p->at_line_start = buf[i] == '\n';
		p->any = true;
	}
}

static int print_out(const char *buf, size_t len)
{
	if (len > 0 && fwrite(buf, 1, len, stdout) != len)
		return -1;
	return 0;
}

/* stdout failed; a closed pipe (| head) is the reader's choice, not worth a message */
static int output_failed(void)
{
	if (errno != EPIPE)
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
	return EXIT_TROUBLE;
}

/*
 * Read "OK\n" or "ERR\n" and stream the body to stdout or stderr until the daemon closes
 * the connection.  The body is never held whole: a large table prints as it comes.
 */
static int read_reply(int fd)
{
	struct err_printer ep = {true, false};
	char buf[65536], head[8];
	size_t hlen = 0;
	int status = -1; /* EXIT_SUCCESS or EXIT_ERR once the header is known */
	ssize_t n;

	while ((n = recv_wait(fd, buf, sizeof(buf))) > 0) {
		const char *p = buf;
		size_t len = (size_t)n;

		while (status < 0 && len > 0) {
			head[hlen++] = *p++;
			len--;
			if (head[hlen - 1] != '\n' && hlen < sizeof(head))
				continue;
			if (hlen == 3 && memcmp(head, "OK\n", 3) == 0)
				status = EXIT_SUCCESS;
			else if (hlen == 4 && memcmp(head, "ERR\n", 4) == 0)
				status = EXIT_ERR;
			else {
				fprintf(stderr, PROG ": malformed reply from ikemond\n");
				return EXIT_TROUBLE;
			}
		}
		if (status == EXIT_ERR)
			print_err(&ep, p, len);
		else if (status == EXIT_SUCCESS && print_out(p, len) != 0)
			return output_failed();
	}
	if (n < 0) {
		fprintf(stderr, PROG ": reading ikemond's reply: %s\n", strerror(errno));
		return EXIT_TROUBLE;
	}
	if (status < 0) {
		fprintf(stderr, PROG ": ikemond closed the connection without replying\n");
		return EXIT_TROUBLE;
	}
	if (status == EXIT_ERR && !ep.any)
		fputs(PROG ": ikemond refused the command\n", stderr);
	else if (status == EXIT_ERR && !ep.at_line_start)
		fputc('\n', stderr);
	if (fflush(stdout) != 0)
		return output_failed();
	return status;
}

static const char *socket_path(const struct opts *o)
{
	const char *env = getenv("IKEMOND_SOCKET");

	if (o->socket != NULL)
		return o->socket;
	if (env != NULL && *env != '\0')
		return env;
	return IKEMOND_DEFAULT_CONTROL;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	char line[CONTROL_LINE_MAX];
	size_t len;
	int fd, rc;

	/* a daemon that goes away mid-request is reported, not fatal */
	signal(SIGPIPE, SIG_IGN);
	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc;
	if (o.help || (o.n == 1 && strcmp(o.words[0], "help") == 0)) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (o.n == 0)
		return usage_error("no command given");
	len = build_request(&o, line, sizeof(line));
	if (len == 0)
		return EXIT_TROUBLE;
	fd = connect_daemon(socket_path(&o));
	if (fd < 0)
		return EXIT_TROUBLE;
	if (send_all(fd, line, len) != 0) {
		fprintf(stderr, PROG ": sending the command: %s\n", strerror(errno));
		close(fd);
		return EXIT_TROUBLE;
	}
	shutdown(fd, SHUT_WR);
	rc = read_reply(fd);
	close(fd);
	return rc;
}
