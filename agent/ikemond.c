/*
 * ikemond.c - the daemon: one context, one thread, one poll() loop over the IKE sockets,
 * the control socket, the DH workers' eventfd (their threads touch only their jobs) and a
 * self-pipe for signals; the engine's timers set the timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/control.h"
#include "agent/failhist.h"
#include "agent/log.h"
#include "agent/net.h"
#include "agent/process.h"
#include "agent/privdrop.h"
#include "agent/stall.h"
#include "exporters/http.h"
#include "exporters/metrics.h"
#include "ike/engine.h"
#include "ike/ike.h"
#include "mib/snmp_agent.h"

#include <openssl/crypto.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1"
#endif

#define MAX_POLLFDS                                                                                \
	(NET_MAX_SOCKETS + CONTROL_MAX_POLLFDS + HTTP_MAX_LISTEN + SNMP_AGENT_MAX_POLLFDS + 2)
#define RECV_BURST 64 /* datagrams taken from one socket per wake-up, so none starves */

/* Everything the daemon owns: the only mutable state of the process (but the log sink). */
struct ikemond {
	const char *config_path;
	struct ikemond_config cfg;
	struct net net;
	struct control control;
	struct ike_engine *engine;
	struct stall_detector *stall;
	struct metrics *metrics;
	struct http_server *http;  /* NULL without an [http] section */
	struct failhist *failhist; /* the last negotiation failures (MIB, notifications) */
	struct snmp_agent *snmp;   /* NULL without an [snmp] section, or with mode = off */
	struct privdrop priv;      /* user =, group =: who ikemond becomes once started */
	time_t start_wall;
	struct pidfile pidfile; /* -p FILE */
	const char *pid_path;
	bool allow_core; /* -C: leave core dumps as the environment has them */
	/* the last load or reload, for show ikemon status (the metrics have the same) */
	bool reload_ok;
	time_t reload_at, loaded_at; /* the last attempt; the running configuration's load */
	char reload_msg[600];
	struct commands_ops cmd_ops;
	int sig_pipe[2];
	bool debug;
	bool stop;
};

/* Signal handlers only write the signal number to the self-pipe. */
static int sig_write_fd = -1;

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (write(sig_write_fd, &c, 1) < 0) {
		/* the pipe is full: a signal of each kind is already pending */
	}
	errno = saved;
}

static int setup_signals(struct ikemond *d)
{
	struct sigaction sa;

	if (pipe2(d->sig_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	sig_write_fd = d->sig_pipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGHUP, &sa, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- engine callbacks ---- */

static int engine_send_cb(void *ctx, const struct sockaddr *local, const struct sockaddr *remote,
                          const uint8_t *buf, size_t len)
{
	struct ikemond *d = ctx;

	return net_send(&d->net, local, remote, buf, len);
}

static int engine_source_cb(void *ctx, const struct sockaddr *remote,
                            struct sockaddr_storage *local)
{
	struct ikemond *d = ctx;

	return net_source_for(&d->net, remote, local);
}

static uint16_t engine_natt_port_cb(void *ctx, const struct sockaddr *local)
{
	struct ikemond *d = ctx;

	return net_natt_port(&d->net, local);
}

static void engine_log_cb(void *ctx, enum ike_log_level level, const char *msg)
{
	(void)ctx;
	log_msg((int)level, "%s", msg);
}

/* ---- reload ---- */

static bool same_listen(const struct ikemond_config *a, const struct ikemond_config *b)
{
	return a->n_listen == b->n_listen &&
	       memcmp(a->listen, b->listen, a->n_listen * sizeof(a->listen[0])) == 0;
}

/* What only a restart applies: the control socket and the account ikemond runs as. */
static bool same_restart_keys(const struct ikemond_config *a, const struct ikemond_config *b)
{
	return strcmp(a->control, b->control) == 0 && strcmp(a->user, b->user) == 0 &&
	       strcmp(a->group, b->group) == 0 && strcmp(a->control_group, b->control_group) == 0;
}

/*
 * A reload's listen: new addresses are bound now (ikemond keeps CAP_NET_BIND_SERVICE
 * after dropping root for this), those no longer named are closed.
 */
static int reload_listen(struct ikemond *d, const struct ikemond_config *next, char *msg,
                         size_t len)
{
	char err[256];

	if (same_listen(&d->cfg, next))
		return 0;
	if (net_reopen(&d->net, next->listen, next->n_listen, err, sizeof(err)) != 0) {
		snprintf(msg, len, "reload failed, keeping the running configuration: %s", err);
		return -1;
	}
	log_msg(LOG_NOTICE, "reload: listening on %zu IKE socket%s", d->net.n,
	        d->net.n == 1 ? "" : "s");
	return 0;
}

/* ---- the SNMP agent ---- */

static void snmp_sources(struct ikemond *d, struct snmp_agent_sources *src)
{
	memset(src, 0, sizeof(*src));
	src->mib.engine = d->engine;
	src->mib.stall = d->stall;
	src->mib.failhist = d->failhist;
	src->mib.start_wall = d->start_wall;
	src->mib.version = PACKAGE_VERSION;
	src->metrics = d->metrics;
}

/*
 * A reload applies notify_limit and fail_history to the running agent; the rest of
 * [snmp] takes effect at restart (see snmp_agent_set_notify_limit()), so the settings
 * in force stay those the agent started with, as listen's do.
 */
static void reload_snmp(struct ikemond *d, struct snmp_config *next)
{
	uint32_t fail_history = next->fail_history;
	uint32_t burst = next->notify_burst, period = next->notify_period_s;

	failhist_set_max(d->failhist, fail_history);
	snmp_agent_set_notify_limit(d->snmp, burst, period);
	if (snmp_config_needs_restart(&d->cfg.snmp, next)) {
		log_msg(LOG_WARNING, "reload: [snmp] changes other than notify_limit and "
		                     "fail_history take effect at restart");
		snmp_config_free(next);
		*next = d->cfg.snmp;
		OPENSSL_cleanse(d->cfg.snmp.lines, sizeof(d->cfg.snmp.lines)); /* moved */
		d->cfg.snmp.n_lines = 0;
	}
	next->fail_history = fail_history;
	next->notify_burst = burst;
	next->notify_period_s = period;
}

/* The outcome of a load or reload, for the metrics and show ikemon status. */
static void note_reload(struct ikemond *d, bool ok, const char *msg)
{
	d->reload_ok = ok;
	d->reload_at = time(NULL);
	if (ok)
		d->loaded_at = d->reload_at;
	snprintf(d->reload_msg, sizeof(d->reload_msg), "%s", msg);
	metrics_set_reload(d->metrics, ok, d->reload_at);
}

/* Re-read the config; on any error keep the old one and say why. */
static int reload(struct ikemond *d, char *msg, size_t len)
{
	struct ikemond_config next;
	char err[512];

	if (ikemond_config_load(d->config_path, &next, err, sizeof(err)) != 0) {
		snprintf(msg, len, "reload failed, keeping the running configuration: %s", err);
		log_msg(LOG_ERR, "%s", msg);
		note_reload(d, false, msg);
		return -1;
	}
	if (reload_listen(d, &next, msg, len) != 0) {
		log_msg(LOG_ERR, "%s", msg);
		ikemond_config_free(&next);
		metrics_set_reload(d->metrics, false, time(NULL));
		return -1;
	}
	if (!same_restart_keys(&d->cfg, &next))
		log_msg(LOG_WARNING, "reload: control, user, group and control_group changes take "
		                     "effect at restart");
	if (!d->debug)
		log_set_level(next.log_level);
	if (next.settings.dh_workers != d->cfg.settings.dh_workers) {
		log_msg(LOG_WARNING, "reload: dh_workers takes effect at restart");
		next.settings.dh_workers = d->cfg.settings.dh_workers;
	}
	ike_engine_set_settings(d->engine, &next.settings);
	if (ike_engine_set_peers(d->engine, next.peers, next.n_peers) != 0) {
		ikemond_config_free(&next);
		snprintf(msg, len, "reload failed: out of memory");
		log_msg(LOG_ERR, "%s", msg);
		note_reload(d, false, msg);
		return -1;
	}
	stall_reconfigure(d->stall, &next.stall);
	reload_snmp(d, &next.snmp);
	/* the control socket and the account in force stay those we started with */
	memcpy(next.control, d->cfg.control, sizeof(next.control));
	memcpy(next.user, d->cfg.user, sizeof(next.user));
	memcpy(next.group, d->cfg.group, sizeof(next.group));
	memcpy(next.control_group, d->cfg.control_group, sizeof(next.control_group));
	/* the HTTP endpoint keeps the settings it started with, as listen does */
	ikemond_config_free(&d->cfg);
	d->cfg = next;
	OPENSSL_cleanse(&next, sizeof(next));
	snprintf(msg, len, "reloaded %s: %zu peer%s", d->config_path, d->cfg.n_peers,
	         d->cfg.n_peers == 1 ? "" : "s");
	log_msg(LOG_NOTICE, "%s", msg);
	note_reload(d, true, msg);
	return 0;
}

static void put_time(struct strbuf *out, const char *what, time_t t, time_t now)
{
	char buf[32];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
	strbuf_printf(out, "%s %s (%lld s ago)", what, buf, (long long)(now - t));
}

/* show ikemon status [--json] */
static void status_cmd(void *ctx, struct strbuf *out, bool json)
{
	struct ikemond *d = ctx;
	time_t now = time(NULL);
	bool core = process_core_dumps_possible();

	if (json) {
		strbuf_printf(out, "{\"version\":");
		strbuf_json_string(out, PACKAGE_VERSION);
		strbuf_printf(out, ",\"pid\":%ld,\"started\":%lld,\"config\":", (long)getpid(),
		              (long long)d->start_wall);
		strbuf_json_string(out, d->config_path);
		strbuf_printf(out,
		              ",\"peers\":%zu,\"loaded\":%lld,\"reload\":{\"ok\":%s,\"at\":%lld,"
		              "\"message\":",
		              d->cfg.n_peers, (long long)d->loaded_at,
		              d->reload_ok ? "true" : "false", (long long)d->reload_at);
		strbuf_json_string(out, d->reload_msg);
		strbuf_printf(out, "},\"core_dumps\":%s}\n", core ? "true" : "false");
		return;
	}
	strbuf_printf(out, "ikemond %s, pid %ld, up %lld s\n", PACKAGE_VERSION, (long)getpid(),
	              (long long)(now - d->start_wall));
	strbuf_printf(out, "configuration %s: %zu peer%s, ", d->config_path, d->cfg.n_peers,
	              d->cfg.n_peers == 1 ? "" : "s");
	put_time(out, "loaded", d->loaded_at, now);
	strbuf_printf(out, "\nlast reload: %s, ", d->reload_ok ? "ok" : "FAILED");
	put_time(out, "at", d->reload_at, now);
	strbuf_printf(out, "\n  %s\n", d->reload_msg);
	strbuf_printf(out, "core dumps: %s\n",
	              core ? "possible (ikemond -C, or dumpable)"
	                   : "off (not dumpable, RLIMIT_CORE 0)");
}

static int reload_cmd(void *ctx, struct strbuf *out)
{
	char msg[600];
	int r = reload(ctx, msg, sizeof(msg));

	strbuf_printf(out, "%s\n", msg);
	return r;
}

/* /metrics: a snapshot when the request comes, then the text in slices as MHD sends it. */
static const struct http_body_ops metrics_body = {metrics_body_begin, metrics_body_next,
                                                  metrics_body_end};

static int control_cb(void *ctx, int argc, char **argv, struct strbuf *out)
{
	struct ikemond *d = ctx;

	return commands_dispatch(d->engine, &d->cmd_ops, argc, argv, out);
}

/* ---- the loop ---- */

static void read_ike(struct ikemond *d, size_t i)
{
	static uint8_t buf[IKE_MAX_MSG + 1];
	struct sockaddr_storage local, remote;

	for (int k = 0; k < RECV_BURST; k++) {
		ssize_t n = net_recv(&d->net, i, buf, sizeof(buf), &local, &remote);

		if (n == NET_IGNORED)
			continue;
		if (n < 0)
			return;
		ike_engine_input(d->engine, (const struct sockaddr *)&local,
		                 (const struct sockaddr *)&remote, buf, (size_t)n);
	}
}

static void read_signals(struct ikemond *d)
{
	unsigned char c;
	char msg[600];

	while (read(d->sig_pipe[0], &c, 1) == 1) {
		if (c == SIGHUP) {
			log_msg(LOG_NOTICE, "SIGHUP: reloading %s", d->config_path);
			reload(d, msg, sizeof(msg));
		} else {
			log_msg(LOG_NOTICE, "signal %d: shutting down", c);
			d->stop = true;
		}
	}
}

static int loop_timeout(struct ikemond *d)
{
	struct timespec now;
	int64_t t = ike_engine_next_timeout_ms(d->engine), s;
	int c;

	clock_gettime(CLOCK_MONOTONIC, &now);
	c = control_next_timeout_ms(&d->control, &now);
	if (c >= 0 && (t < 0 || c < t))
		t = c;
	s = stall_next_timeout_ms(d->stall);
	if (s >= 0 && (t < 0 || s < t))
		t = s;
	s = d->http != NULL ? http_next_timeout_ms(d->http) : -1;
	if (s >= 0 && (t < 0 || s < t))
		t = s;
	s = snmp_agent_next_timeout_ms(d->snmp);
	if (s >= 0 && (t < 0 || s < t))
		t = s;
	/* no busy polling: with nothing pending we sleep until a descriptor wakes us */
	return t > INT32_MAX ? INT32_MAX : (int)t;
}

static int run(struct ikemond *d)
{
	struct pollfd pfd[MAX_POLLFDS];
	int hfd[HTTP_MAX_LISTEN];
	struct timespec now, woke;
	size_t n, nctl, nhttp, nsnmp, snmp_at;

	while (!d->stop) {
		n = 0;
		for (size_t i = 0; i < d->net.n; i++)
			pfd[n++] = (struct pollfd){.fd = d->net.s[i].fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = d->sig_pipe[0], .events = POLLIN};
		/* the DH workers' results (-1, ignored by poll, when DH runs here) */
		pfd[n++] = (struct pollfd){.fd = ike_engine_dh_fd(d->engine), .events = POLLIN};
		/* MHD's epoll descriptors: readable when any of its sockets wants work */
		nhttp = d->http != NULL ? http_pollfds(d->http, hfd, HTTP_MAX_LISTEN) : 0;
		for (size_t i = 0; i < nhttp; i++)
			pfd[n++] = (struct pollfd){.fd = hfd[i], .events = POLLIN};
		/* Net-SNMP's sockets (agent ports, AgentX, inform sessions) */
		snmp_at = n;
		nsnmp = snmp_agent_pollfds(d->snmp, &pfd[n], SNMP_AGENT_MAX_POLLFDS);
		n += nsnmp;
		nctl = control_pollfds(&d->control, &pfd[n], MAX_POLLFDS - n);
		if (poll(pfd, n + nctl, loop_timeout(d)) < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &woke);
		for (size_t i = 0; i < d->net.n; i++)
			if (pfd[i].revents & POLLIN)
				read_ike(d, i);
		if (pfd[d->net.n].revents & POLLIN)
			read_signals(d);
		if (pfd[d->net.n + 1].revents & POLLIN)
			ike_engine_dh_run(d->engine);
		for (size_t i = n; i < n + nctl; i++)
			if (pfd[i].revents)
				control_handle(&d->control, pfd[i].fd, pfd[i].revents);
		clock_gettime(CLOCK_MONOTONIC, &now);
		control_expire(&d->control, &now);
		ike_engine_run_timers(d->engine);
		stall_run(d->stall);
		if (d->http != NULL)
			http_run(d->http);
		snmp_agent_run(d->snmp, &pfd[snmp_at], nsnmp);
		/* the turn's work, poll() excluded: ikemon_event_loop_turn_seconds */
		clock_gettime(CLOCK_MONOTONIC, &now);
		metrics_loop_turn(d->metrics, (double)(now.tv_sec - woke.tv_sec) +
		                                  (double)(now.tv_nsec - woke.tv_nsec) / 1e9);
	}
	return 0;
}

/* SIGTERM: tell peers (DELETE for established SAs), then go. */
static void shutdown_daemon(struct ikemond *d)
{
	http_stop(d->http);
	if (d->engine != NULL)
		ike_engine_delete_all(d->engine, IKE_CAUSE_SHUTDOWN);
	/*
	 * After the DELETEs (their ikemonSaDeleted are sent: a trap is one datagram, nothing
	 * waits), before the engine goes: the agent's tables read it.
	 */
	snmp_agent_stop(d->snmp);
	if (d->engine != NULL)
		ike_engine_free(d->engine);
	/* after the engine: its last events (the DELETEs above) still reach them */
	metrics_free(d->metrics);
	stall_free(d->stall);
	if (d->failhist != NULL)
		failhist_free(d->failhist);
	control_close(&d->control);
	net_close(&d->net);
	ikemond_config_free(&d->cfg);
	pidfile_close(&d->pidfile);
	log_msg(LOG_NOTICE, "stopped");
	log_close();
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ikemond [-c FILE] [-p FILE] [-f] [-d] [-C] [-V]\n"
	        "  -c FILE  configuration file (default %s)\n"
	        "  -p FILE  pid file, locked while ikemond runs\n"
	        "  -f       stay in the foreground and log to stderr\n"
	        "  -d       debug logging (implies -f)\n"
	        "  -C       allow core dumps (debugging only: a core holds keys)\n"
	        "  -V       print the version and exit\n",
	        IKEMOND_DEFAULT_CONFIG);
}

/* The SNMP agent (none with mode = off): it sends ikemonStarted. */
static int start_snmp(struct ikemond *d, char *err, size_t len)
{
	struct snmp_agent_sources src;

	snmp_sources(d, &src);
	d->snmp = snmp_agent_start(&d->cfg.snmp, &src, err, len);
	return d->snmp == NULL && err[0] != '\0' ? -1 : 0;
}

/* control_group: the control socket 0660 with that group. */
static int control_group(struct ikemond *d, char *err, size_t len)
{
	gid_t gid;

	if (d->cfg.control_group[0] == '\0')
		return 0;
	if (privdrop_group_id(d->cfg.control_group, &gid, err, len) != 0)
		return -1;
	return control_set_group(&d->control, gid, err, len);
}

/*
 * Every socket is open and every key file read: become the configured user, keeping
 * CAP_NET_BIND_SERVICE alone.  The SNMP agent's persistent_dir, written at stop, is
 * given to the user first.
 */
static int drop_privileges(struct ikemond *d, char *err, size_t len)
{
	const char *state = d->snmp != NULL ? d->cfg.snmp.persistent_dir : "";

	if (!d->priv.enabled)
		return 0;
	if (privdrop_own_dir(&d->priv, state, err, len) != 0 ||
	    privdrop_apply(&d->priv, err, len) != 0)
		return -1;
	log_msg(LOG_NOTICE, "running as user %s (uid %u, gid %u), CAP_NET_BIND_SERVICE kept",
	        d->cfg.user, (unsigned)d->priv.uid, (unsigned)d->priv.gid);
	if (state[0] != '\0' && access(state, W_OK | X_OK) != 0)
		log_msg(LOG_WARNING, "persistent_dir %s is not writable by user %s: %s", state,
		        d->cfg.user, strerror(errno));
	return 0;
}

static int start(struct ikemond *d, bool foreground)
{
	struct ike_engine_ops ops = {.send = engine_send_cb,
	                             .source_for = engine_source_cb,
	                             .natt_port = engine_natt_port_cb,
	                             .log = engine_log_cb};
	char err[512];

	if (ikemond_config_load(d->config_path, &d->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "ikemond: %s\n", err);
		return -1;
	}
	log_open("ikemond", !foreground && d->cfg.log_target == IKEMOND_LOG_SYSLOG,
	         d->debug ? LOG_DEBUG : d->cfg.log_level);
	if (pidfile_open(&d->pidfile, d->pid_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "ikemond: %s\n", err);
		return -1;
	}
	err[0] = '\0';
	if (privdrop_lookup(&d->priv, d->cfg.user, d->cfg.group, err, sizeof(err)) != 0 ||
	    setup_signals(d) != 0 ||
	    net_open(&d->net, d->cfg.listen, d->cfg.n_listen, err, sizeof(err)) != 0 ||
	    control_open(&d->control, d->cfg.control, control_cb, d, err, sizeof(err)) != 0 ||
	    control_group(d, err, sizeof(err)) != 0) {
		fprintf(stderr, "ikemond: %s\n", err[0] ? err : strerror(errno));
		return -1;
	}
	if (!foreground && daemon(0, 0) != 0) {
		fprintf(stderr, "ikemond: daemon: %s\n", strerror(errno));
		return -1;
	}
	if (pidfile_write(&d->pidfile) != 0) {
		log_msg(LOG_ERR, "pid file %s: %s", d->pid_path, strerror(errno));
		return -1;
	}
	d->start_wall = time(NULL);
	d->engine = ike_engine_new(&ops, d, &d->cfg.settings);
	if (d->engine == NULL) {
		log_msg(LOG_ERR, "out of memory");
		return -1;
	}
	d->stall = stall_new(d->engine, &d->cfg.stall);
	if (d->stall == NULL) {
		log_msg(LOG_ERR, "out of memory");
		return -1;
	}
	d->failhist = failhist_new(d->engine, d->cfg.snmp.fail_history);
	if (d->failhist == NULL) {
		log_msg(LOG_ERR, "out of memory");
		return -1;
	}
	d->metrics = metrics_new(d->engine, d->stall);
	if (d->metrics == NULL) {
		log_msg(LOG_ERR, "out of memory");
		return -1;
	}
	metrics_set_per_sa(d->metrics, d->cfg.http.per_sa_metrics);
	metrics_set_walk_slice(d->metrics, d->cfg.http.scrape_walk_slice);
	snprintf(err, sizeof(err), "loaded %s: %zu peer%s", d->config_path, d->cfg.n_peers,
	         d->cfg.n_peers == 1 ? "" : "s");
	note_reload(d, true, err);
	if (d->cfg.http.enabled) {
		d->http = http_start(&d->cfg.http, &metrics_body, d->metrics, err, sizeof(err));
		if (d->http == NULL) {
			log_msg(LOG_ERR, "%s", err);
			return -1;
		}
	}
	if (start_snmp(d, err, sizeof(err)) != 0 || drop_privileges(d, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		return -1;
	}
	d->cmd_ops.reload = reload_cmd;
	d->cmd_ops.status = status_cmd;
	d->cmd_ops.ctx = d;
	d->cmd_ops.stall = d->stall;
	log_msg(LOG_NOTICE, "ikemond %s started: %zu peer%s, control %s", PACKAGE_VERSION,
	        d->cfg.n_peers, d->cfg.n_peers == 1 ? "" : "s", d->cfg.control);
	if (ike_engine_set_peers(d->engine, d->cfg.peers, d->cfg.n_peers) != 0)
		return -1;
	stall_reconfigure(d->stall, &d->cfg.stall);
	return 0;
}

int main(int argc, char **argv)
{
	struct ikemond d;
	bool foreground = false;
	char err[256];
	int opt, ret;

	memset(&d, 0, sizeof(d));
	d.config_path = IKEMOND_DEFAULT_CONFIG;
	d.control.listen_fd = -1;
	d.pidfile.fd = -1;
	while ((opt = getopt(argc, argv, "c:p:fdCVh")) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'p':
			d.pid_path = optarg;
			break;
		case 'C':
			d.allow_core = true;
			break;
		case 'd':
			d.debug = true;
			foreground = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 'V':
			printf("ikemond %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* before the configuration, and the keys in it, are read */
	if (!d.allow_core && process_no_core_dumps(err, sizeof(err)) != 0) {
		fprintf(stderr, "ikemond: %s\n", err);
		return 1;
	}
	ret = start(&d, foreground) == 0 ? run(&d) : -1;
	shutdown_daemon(&d);
	return ret == 0 ? 0 : 1;
}
