/*
 * fuzz_control.c - libFuzzer target for the control-socket protocol: the request
 * framing of agent/control.c (over a real UNIX socket) and the commands of
 * agent/commands.c with the views behind them.
 *
 * Each run builds a small daemon of its own: an engine with three configured peers
 * (spoke1 with two phase-2 SAs wanted, spoke2, and a %any peer), SAs in several states
 * made through the SA table's own calls (one at QM_IDLE with an installed and a pending
 * phase-2 SA, one in MM_KEY_EXCH for an hour with a key-mismatch cause, one deleted),
 * and a stall detector that has raised spoke2's alarm.  The control socket (opened once)
 * takes one client, which sends the input and reads the reply.
 *
 *   byte 0    how the request is cut into writes: 0 all at once, else that many bytes
 *             per write, with the daemon's loop run between writes
 *   byte 1..  the bytes the client sends; then it shuts down its sending side
 *
 * Oracles besides the sanitizers: a reply, when there is one, starts with "OK\n" or
 * "ERR\n" and ends with a newline; a line within the limit is always answered, one
 * beyond it always refused; no reply holds a peer's pre-shared key (unless the request
 * did, as a word the error quotes); every datagram the engine sends (initiate, clear)
 * parses.
 *
 *   ./fuzz_control tests/fuzz/corpus/control
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "agent/commands.h"
#include "agent/control.h"
#include "agent/log.h"
#include "ike/ike.h"
#include "tests/unit/ike_fixture.h"

#define PSK        "fuzz-canary-psk-never-shown"
#define REPLY_MAX  (1 << 20)
#define N_PEERS    3
#define STALL_BACK 3600 /* seconds spoke2's SA has been in MM_KEY_EXCH */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct daemon {
	struct ike_engine *e;
	struct stall_detector *d;
	struct commands_ops ops;
	struct ike_peer_cfg peers[N_PEERS];
	struct stall_settings stall;
};

static struct control ctl;
static struct daemon cur;
static char dir[64];
static char sock_path[128];

/* ---------------------------------------------------------------- the daemon */

/* Every datagram the engine sends must parse. */
static int engine_send(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                       const uint8_t *buf, size_t len)
{
	(void)ctx, (void)local, (void)remote;
	if (fx_check_datagram(buf, len) != 0)
		abort();
	return 0;
}

/* A peer at remote (NULL: %any); with ts, children to those selectors. */
static int peer(struct ike_peer_cfg *p, const char *name, const char *remote, const char *ts)
{
	if (fx_peer_cfg(p, name, remote, PSK) != 0)
		return -1;
	return fx_peer_proposals(p, "aes128-sha256-modp2048", ts != NULL ? "aes128-sha256" : NULL,
	                         "10.0.0.0/24", ts);
}

static struct ike_sa *new_sa(struct ike_sa_table *t, const char *name, const char *remote,
                             enum ike_role role, const enum ike_state *walk, size_t n)
{
	struct ike_sa *sa = ike_sa_create(t, role, ISAKMP_XCHG_IDPROT);

	if (sa == NULL)
		return NULL;
	snprintf(sa->peer, sizeof(sa->peer), "%s", name);
	fx_set_addr(&sa->remote, remote, IKE_PORT);
	fx_set_addr(&sa->local, "127.0.0.1", IKE_PORT);
	memset(sa->icookie, 0x11 * (int)sa->conn_id % 251, 8);
	memset(sa->rcookie, 0x22, 8);
	ike_sa_announce(t, sa);
	for (size_t i = 0; i < n; i++)
		ike_sa_set_state(t, sa, walk[i]);
	sa->ctr.msgs_in = 7;
	sa->ctr.msgs_out = 9;
	return sa;
}

static void child(struct ike_sa_table *t, struct ike_sa *sa, uint32_t msgid, size_t idx,
                  bool installed)
{
	struct ike_child *c = ike_child_create(t, sa, IKE_ROLE_INITIATOR, msgid);
	char err[128];
	size_t n;

	if (c == NULL)
		return;
	c->cfg_index = (uint32_t)idx;
	c->spi_in = 0xc0ffee00u + msgid % 256;
	c->spi_out = 0xfeed0000u + msgid % 256;
	c->xf = (struct ike_child_transform){
	    IPSEC_PROTO_ESP, ESP_AES, 128, IPSEC_AUTH_HMAC_SHA2_256, 0, IPSEC_MODE_TUNNEL, 3600, 0};
	ike_ts_parse("10.0.0.0/24", &c->local_ts, 1, &n, err, sizeof(err));
	ike_ts_parse(idx == 0 ? "10.1.0.0/24" : "10.2.0.0/24", &c->remote_ts, 1, &n, err,
	             sizeof(err));
	if (installed)
		ike_child_set_state(t, sa, c, IKE_CHILD_INSTALLED);
}

static void make_sas(struct ike_sa_table *t)
{
	static const enum ike_state up[] = {IKE_ST_MAIN_I2, IKE_ST_MAIN_I3, IKE_ST_MAIN_I4,
	                                    IKE_ST_ESTABLISHED};
	static const enum ike_state key_exch[] = {IKE_ST_MAIN_R1, IKE_ST_MAIN_R2};
	struct ike_sa *sa;

	sa = new_sa(t, "spoke1", "127.0.0.2", IKE_ROLE_INITIATOR, up, 4);
	if (sa != NULL) {
		child(t, sa, 0x1001, 0, true);
		child(t, sa, 0x1002, 1, false);
	}
	sa = new_sa(t, "spoke2", "127.0.0.3", IKE_ROLE_RESPONDER, key_exch, 2);
	if (sa != NULL) {
		sa->last_cause = IKE_CAUSE_KEY_MISMATCH;
		snprintf(sa->cause_detail, sizeof(sa->cause_detail), "MM5 does not decrypt");
		/* an SA that has waited for an hour: the detector takes the SA's own clock */
		sa->state_entered.tv_sec -= STALL_BACK;
	}
	sa = new_sa(t, "ghost", "192.0.2.9", IKE_ROLE_INITIATOR, NULL, 0);
	if (sa != NULL) {
		ike_sa_fail(t, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN, "refused by peer");
		ike_sa_mark_deleted(t, sa, IKE_CAUSE_NO_PROPOSAL_CHOSEN);
	}
}

/* reload: the same peers again, as a daemon whose file did not change. */
static int reload(void *ctx, struct strbuf *out)
{
	struct daemon *dm = ctx;

	if (ike_engine_set_peers(dm->e, dm->peers, N_PEERS) != 0) {
		strbuf_printf(out, "reload failed");
		return -1;
	}
	stall_reconfigure(dm->d, &dm->stall);
	strbuf_printf(out, "reloaded: %d peers", N_PEERS);
	return 0;
}

static int daemon_start(struct daemon *dm)
{
	static const struct ike_engine_ops ops = {.send = engine_send};
	struct ike_settings set;

	memset(dm, 0, sizeof(*dm));
	ike_settings_default(&set);
	stall_settings_default(&dm->stall);
	if (peer(&dm->peers[0], "spoke1", "127.0.0.2", "10.1.0.0/24, 10.2.0.0/24") != 0 ||
	    peer(&dm->peers[1], "spoke2", "127.0.0.3", NULL) != 0 ||
	    peer(&dm->peers[2], "roaming", NULL, NULL) != 0)
		return -1;
	dm->e = ike_engine_new(&ops, dm, &set);
	if (dm->e == NULL || ike_engine_set_peers(dm->e, dm->peers, N_PEERS) != 0)
		return -1;
	make_sas(ike_engine_sas(dm->e));
	dm->d = stall_new(dm->e, &dm->stall);
	if (dm->d == NULL)
		return -1;
	stall_run(dm->d);
	dm->ops.reload = reload;
	dm->ops.ctx = dm;
	dm->ops.stall = dm->d;
	return 0;
}

/* The engine first: the detector's subscription must not outlive it. */
static void daemon_stop(struct daemon *dm)
{
	ike_engine_free(dm->e);
	stall_free(dm->d);
	memset(dm, 0, sizeof(*dm));
}

static int handle(void *ctx, int argc, char **argv, struct strbuf *out)
{
	struct daemon *dm = ctx;

	return commands_dispatch(dm->e, &dm->ops, argc, argv, out);
}

/* ---------------------------------------------------------------- the socket */

static void cleanup(void)
{
	control_close(&ctl);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc, (void)argv;
	log_set_level(LOG_EMERG);
	snprintf(dir, sizeof(dir), "/tmp/ikemon-fuzz-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	if (control_open(&ctl, sock_path, handle, &cur, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_control: %s\n", err);
		abort();
	}
	atexit(cleanup);
	return 0;
}

/* Run the daemon's side once: every ready descriptor of the control socket. */
static void daemon_poll(void)
{
	struct pollfd pfd[CONTROL_MAX_POLLFDS];
	size_t n = control_pollfds(&ctl, pfd, CONTROL_MAX_POLLFDS);

	if (poll(pfd, n, 0) <= 0)
		return;
	for (size_t i = 0; i < n; i++)
		control_handle(&ctl, pfd[i].fd, pfd[i].revents);
}

/* Read what the daemon wrote so far; false once the daemon closed. */
static bool client_read(int fd, char *reply, size_t *len)
{
	ssize_t r = recv(fd, reply + *len, REPLY_MAX - 1 - *len, MSG_DONTWAIT);

	if (r > 0) {
		*len += (size_t)r;
		return true;
	}
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && *len < REPLY_MAX - 1;
}

static int client_connect(void)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send the request (cut as byte 0 says), then collect the reply until the daemon closes. */
static size_t converse(int fd, const uint8_t *data, size_t size, char *reply)
{
	size_t chunk = data[0] != 0 ? data[0] : size, sent = 0, len = 0, req = size - 1;
	bool open = true, shut = false;

	daemon_poll(); /* accept */
	for (size_t round = 0; round < req + 256 && open; round++) {
		if (sent < req) {
			size_t n = req - sent < chunk ? req - sent : chunk;
			ssize_t w = send(fd, data + 1 + sent, n, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0)
				sent += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				sent = req; /* the daemon closed: stop sending */
		}
		if (sent == req && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		daemon_poll();
		open = client_read(fd, reply, &len);
	}
	if (open || control_nclients(&ctl) != 0)
		abort(); /* neither side finished: a hang */
	reply[len] = '\0';
	return len;
}

/* ---------------------------------------------------------------- the oracles */

/*
 * A line that ends within CONTROL_LINE_MAX bytes ("\n" included) is answered; one that
 * does not end there is refused; a shorter request that never ends is not answered.
 */
static void check_reply(const uint8_t *data, size_t size, const char *reply, size_t len)
{
	size_t req = size - 1;
	const uint8_t *nl = memchr(data + 1, '\n', req);
	bool complete = nl != NULL && (size_t)(nl - (data + 1)) < CONTROL_LINE_MAX;
	bool too_long = !complete && req >= CONTROL_LINE_MAX;

	if (!complete && !too_long) {
		if (len != 0)
			abort();
		return;
	}
	if (len == 0)
		abort();
	if (strncmp(reply, "ERR\n", 4) != 0 && (too_long || strncmp(reply, "OK\n", 3) != 0))
		abort();
	if (reply[len - 1] != '\n' || strlen(reply) != len)
		abort();
	/* the key may come back only as the client's own words, quoted in an error */
	if (strstr(reply, PSK) != NULL && memmem(data + 1, req, PSK, strlen(PSK)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char reply[REPLY_MAX];
	size_t len;
	int fd;

	if (size < 1)
		return 0;
	if (daemon_start(&cur) != 0)
		abort();
	fd = client_connect();
	if (fd < 0)
		abort();
	len = converse(fd, data, size, reply);
	close(fd);
	check_reply(data, size, reply, len);
	daemon_stop(&cur);
	return 0;
}
