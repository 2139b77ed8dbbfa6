/*
 * snmp_agent.c - Net-SNMP inside ikemond: see snmp_agent.h.
 *
 * Start: Net-SNMP's log into ours (mib/snmp_log.c), its files in persistent_dir (made
 * 0700 if missing: the persistent file holds the engine ID, engineBoots and the USM
 * users' localized keys) under the application name "ikemond-snmp", so neither
 * /etc/snmp/snmpd.conf nor snmpd's /var/lib/snmp is read or written.  The [snmp] lines
 * (mib/snmp_config.c) go through Net-SNMP's own config parser, the way snmpd reads
 * snmpd.conf, so rocommunity, createUser, trap2sink, informsink and trapsess mean what
 * snmpd.conf(5) says; a line Net-SNMP refuses fails the start.
 *
 * Master mode serves the ikemon subtree plus the system group and snmpEngine (a
 * manager's sysUpTime and the engine a v3 manager discovers), all inside SNMP_VIEW_NAME.
 * AgentX mode registers the ikemon subtree with the master's socket; Net-SNMP pings the
 * master and reopens the session (re-registering) when snmpd comes back.
 *
 * The loop: snmp_select_info2() gives the descriptors and the earliest of Net-SNMP's
 * timeouts (its alarms are run by us: NETSNMP_DS_LIB_ALARM_DONT_USE_SIG), snmp_read2()
 * reads what poll() found ready, run_alarms() and snmp_timeout() do what is due.
 * Net-SNMP is one per process, so is this agent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <openssl/crypto.h>

#include "agent/log.h"
#include "mib/notify.h"
#include "mib/snmp_agent.h"
#include "mib/snmp_log.h"

#define APP_NAME         "ikemond-snmp"
#define AGENTX_PING_S    5 /* a restarted snmpd sees ikemond again within this */
#define AGENTX_TIMEOUT_S 1 /* one AgentX request to the master waits at most this... */
#define AGENTX_RETRIES   1 /* ...this many times more */

/* The system and snmpEngine groups (libnetsnmpmibs); not in any Net-SNMP header. */
void init_system_mib(void);
void init_snmpEngine(void);

/* What a manager may read: the ikemon subtree, the system group, snmpEngine. */
static const char *const view_lines[] = {
    "view " SNMP_VIEW_NAME " included .1.3.6.1.4.1.8072.9999.9999.500",
    "view " SNMP_VIEW_NAME " included .1.3.6.1.2.1.1",
    "view " SNMP_VIEW_NAME " included .1.3.6.1.6.3.10.2.1",
};

struct snmp_agent {
	enum snmp_mode mode;
	struct snmp_notify *notify;
	bool registered; /* IKEMON-MIB */
};

static bool running; /* Net-SNMP is one per process */

/* ---- start ---- */

/* mkdir -p path with mode 0700 for what it makes. 0, or -1 with errno. */
static int make_dirs(const char *path)
{
	char buf[SNMP_CFG_LINE_MAX];
	struct stat st;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", path);
	for (i = 1; buf[i] != '\0'; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		buf[i] = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	if (stat(buf, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static void add_secret(void *ctx, const char *s)
{
	(void)ctx;
	if (snmp_log_glue_add_secret(s) != 0)
		log_msg(LOG_WARNING, "snmp: too many secrets to mask in Net-SNMP's log");
}

/* Whether a Net-SNMP line (from snmp_config.c) configures access, or notifications. */
static bool is_access_line(const char *line)
{
	return strncmp(line, "rocommunity", 11) == 0 || strncmp(line, "rouser ", 7) == 0 ||
	       strncmp(line, "createUser ", 11) == 0;
}

static bool is_target_line(const char *line)
{
	return strncmp(line, "trap2sink ", 10) == 0 || strncmp(line, "informsink ", 11) == 0 ||
	       strncmp(line, "trapsess ", 9) == 0;
}

/* Give Net-SNMP one config line, as if read from its config file (before init_snmp). */
static void feed(const char *line)
{
	char buf[SNMP_CFG_LINE_MAX + 32];

	snprintf(buf, sizeof(buf), "%s", line);
	netsnmp_config(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
}

/*
 * The lines of the mode: master gets the view, the engine ID and every line; an AgentX
 * subagent none of them (access and targets are the master's).  Returns whether a
 * notification target exists.
 */
static bool feed_lines(const struct snmp_config *cfg)
{
	char line[SNMP_CFG_LINE_MAX];
	bool targets = cfg->mode == SNMP_MODE_AGENTX;
	size_t i, ignored = 0;

	/* no MIB text is needed to serve or to notify (snmp.conf's "mibs :") */
	feed("mibs :");
	if (cfg->mode == SNMP_MODE_MASTER) {
		for (i = 0; i < sizeof(view_lines) / sizeof(view_lines[0]); i++)
			feed(view_lines[i]);
		if (cfg->engine_id[0] != '\0') {
			snprintf(line, sizeof(line), "exactEngineID %.66s", cfg->engine_id);
			feed(line);
		}
	}
	for (i = 0; i < cfg->n_lines; i++) {
		if (cfg->mode == SNMP_MODE_AGENTX &&
		    (is_access_line(cfg->lines[i]) || is_target_line(cfg->lines[i]))) {
			ignored++;
			continue;
		}
		targets = targets || is_target_line(cfg->lines[i]);
		feed(cfg->lines[i]);
	}
	if (ignored > 0)
		log_msg(LOG_WARNING,
		        "snmp: mode agentx: %zu access and notification line%s of [snmp] ignored; "
		        "snmpd's own configuration decides who reads and where notifications go",
		        ignored, ignored == 1 ? "" : "s");
	return targets;
}

/* Net-SNMP's settings before init_agent(). */
static void set_defaults(const struct snmp_config *cfg)
{
	char conf_dir[SNMP_CFG_LINE_MAX + 8];

	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	/* not a line per request ("Connection from UDP: ...") */
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
	                       NETSNMP_DS_AGENT_DONT_LOG_TCPWRAPPERS_CONNECTS, 1);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR,
	                      cfg->persistent_dir);
	/*
	 * Not the persistent directory itself: Net-SNMP would read the persistent file twice
	 * (as config, then as persistent data), and the second oldEngineID fails to load, so
	 * the engine ID would change at the next start.
	 */
	snprintf(conf_dir, sizeof(conf_dir), "%s/conf", cfg->persistent_dir);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR, conf_dir);
	if (cfg->mode == SNMP_MODE_AGENTX) {
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
		                      cfg->agentx_socket);
		/* set again after init_agent(): see agentx_settings() */
		netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
		                   AGENTX_PING_S);
		netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_TIMEOUT,
		                   AGENTX_TIMEOUT_S);
		netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_RETRIES,
		                   AGENTX_RETRIES);
	} else {
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 0);
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_MASTER,
		                       0);
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_PORTS,
		                      cfg->listen);
		/* v3_only: a v1 or v2c message is dropped before any community is looked at */
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_V1,
		                       cfg->v3_only);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_V2c,
		                       cfg->v3_only);
	}
}

/*
 * Agent modules init_agent() would start and ikemond does not want: SMUX (it listens on
 * TCP port 199 for smux peers).  Net-SNMP keeps the list for the process.
 */
static void skip_modules(void)
{
	static bool done;
	char list[] = "-smux";

	if (!done)
		add_to_init_list(list);
	done = true;
}

/*
 * init_agent() registers the agentX* config tokens, which resets their settings to
 * Net-SNMP's defaults (a 15 s reconnect): set them again as config lines.
 */
static void agentx_settings(const struct snmp_config *cfg)
{
	char line[SNMP_CFG_LINE_MAX + 32];

	if (cfg->mode != SNMP_MODE_AGENTX)
		return;
	snprintf(line, sizeof(line), "agentXPingInterval %d", AGENTX_PING_S);
	feed(line);
	snprintf(line, sizeof(line), "agentXTimeout %d", AGENTX_TIMEOUT_S);
	feed(line);
	snprintf(line, sizeof(line), "agentXRetries %d", AGENTX_RETRIES);
	feed(line);
}

/* Undo a (partial) start. */
static void shut_netsnmp(struct snmp_agent *a)
{
	if (a->registered)
		ikemon_mib_unregister();
	a->registered = false;
	snmp_shutdown(APP_NAME);
	if (a->mode == SNMP_MODE_MASTER)
		shutdown_master_agent();
	shutdown_agent();
}

/* init_snmp() and, for a master, the listening sockets; errors Net-SNMP logged fail it. */
static int bring_up(struct snmp_agent *a, const struct snmp_config *cfg, char *err, size_t errlen)
{
	char why[256];
	int r = 0;

	snmp_log_glue_capture(true);
	init_snmp(APP_NAME);
	if (snmp_log_glue_error(why, sizeof(why))) {
		snprintf(err, errlen, "snmp: Net-SNMP refused the [snmp] configuration: %s", why);
		r = -1;
	} else if (a->mode == SNMP_MODE_MASTER && init_master_agent() != 0) {
		snmp_log_glue_error(why, sizeof(why));
		snprintf(err, errlen, "snmp: cannot listen on %s%s%s", cfg->listen,
		         why[0] != '\0' ? ": " : "", why);
		r = -1;
	}
	snmp_log_glue_capture(false);
	return r;
}

struct snmp_agent *snmp_agent_start(const struct snmp_config *cfg,
                                    const struct snmp_agent_sources *src, char *err, size_t errlen)
{
	struct snmp_agent *a;
	bool targets;

	if (errlen > 0)
		err[0] = '\0';
	if (cfg->mode == SNMP_MODE_OFF)
		return NULL;
	if (running) {
		snprintf(err, errlen, "snmp: the agent is already running");
		return NULL;
	}
	if (make_dirs(cfg->persistent_dir) != 0) {
		snprintf(err, errlen, "snmp: persistent_dir %s: %s", cfg->persistent_dir,
		         strerror(errno));
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "snmp: out of memory");
		return NULL;
	}
	a->mode = cfg->mode;
	snmp_log_glue_start();
	snmp_config_secrets(cfg, add_secret, NULL);
	set_defaults(cfg);
	skip_modules();
	init_agent(APP_NAME);
	agentx_settings(cfg);
	if (a->mode == SNMP_MODE_MASTER) {
		init_system_mib();
		init_snmpEngine();
	}
	if (ikemon_mib_register(&src->mib, err, errlen) != 0)
		goto fail;
	a->registered = true;
	targets = feed_lines(cfg);
	if (bring_up(a, cfg, err, errlen) != 0)
		goto fail;
	a->notify = notify_new(src, cfg->notify_burst, cfg->notify_period_s, targets);
	if (a->notify == NULL) {
		snprintf(err, errlen, "snmp: out of memory, or no room for another subscriber");
		goto fail;
	}
	running = true;
	snmp_store(APP_NAME); /* engineBoots went up: keep it even if we crash */
	log_msg(LOG_NOTICE, "snmp: %s %s%s",
	        a->mode == SNMP_MODE_MASTER ? "master agent on" : "AgentX subagent of",
	        a->mode == SNMP_MODE_MASTER ? cfg->listen : cfg->agentx_socket,
	        targets ? "" : " (no notification target)");
	notify_started(a->notify);
	return a;
fail:
	shut_netsnmp(a);
	snmp_log_glue_stop();
	free(a);
	return NULL;
}

void snmp_agent_stop(struct snmp_agent *a)
{
	if (a == NULL)
		return;
	notify_free(a->notify);
	shut_netsnmp(a);
	snmp_log_glue_stop();
	running = false;
	free(a);
}

void snmp_agent_set_notify_limit(struct snmp_agent *a, uint32_t burst, uint32_t period_s)
{
	if (a != NULL)
		notify_set_limit(a->notify, burst, period_s);
}

/* ---- the loop ---- */

/* Net-SNMP's descriptors into fds (large set, initialised here); its timeout in *ms. */
static int select_info(netsnmp_large_fd_set *fds, int64_t *ms)
{
	struct timeval tv = {0, 0};
	int numfds = 0, block = 1;

	netsnmp_large_fd_set_init(fds, FD_SETSIZE);
	snmp_select_info2(&numfds, fds, &tv, &block);
	*ms = block ? -1 : (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	return numfds;
}

size_t snmp_agent_pollfds(struct snmp_agent *a, struct pollfd *pfd, size_t max)
{
	netsnmp_large_fd_set fds;
	int64_t ms;
	int numfds;
	size_t n = 0;

	if (a == NULL)
		return 0;
	numfds = select_info(&fds, &ms);
	for (int fd = 0; fd < numfds && n < max; fd++) {
		if (NETSNMP_LARGE_FD_ISSET(fd, &fds))
			pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	netsnmp_large_fd_set_cleanup(&fds);
	return n;
}

int64_t snmp_agent_next_timeout_ms(struct snmp_agent *a)
{
	netsnmp_large_fd_set fds;
	int64_t ms, held;

	if (a == NULL)
		return -1;
	select_info(&fds, &ms);
	netsnmp_large_fd_set_cleanup(&fds);
	held = notify_next_timeout_ms(a->notify);
	if (held >= 0 && (ms < 0 || held < ms))
		ms = held;
	return ms;
}

void snmp_agent_run(struct snmp_agent *a, const struct pollfd *pfd, size_t n)
{
	netsnmp_large_fd_set rd;
	bool ready = false;

	if (a == NULL)
		return;
	netsnmp_large_fd_set_init(&rd, FD_SETSIZE);
	for (size_t i = 0; i < n; i++) {
		if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
			NETSNMP_LARGE_FD_SET(pfd[i].fd, &rd);
			ready = true;
		}
	}
	if (ready)
		snmp_read2(&rd);
	netsnmp_large_fd_set_cleanup(&rd);
	/* both only act on what is due: cheap when nothing is */
	snmp_timeout();
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	notify_run(a->notify);
	snmp_store_if_needed();
}
