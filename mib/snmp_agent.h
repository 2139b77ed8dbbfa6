/*
 * snmp_agent.h - Net-SNMP inside ikemond: an embedded master agent (default,
 * udp:127.0.0.1:1161) or an AgentX subagent of the system's snmpd, serving IKEMON-MIB
 * (mib/ikemon_mib.c) and sending its notifications (traps and informs, v2c and v3).
 *
 * All of Net-SNMP runs on ikemond's one thread and loop: no signals for its alarms
 * (NETSNMP_DS_LIB_ALARM_DONT_USE_SIG), descriptors from snmp_select_info2(), reads with
 * snmp_read2(), timers with run_alarms() when due.  Net-SNMP's own config and persistent
 * files use the application name "ikemond-snmp" and the configured persistent directory,
 * so they never collide with ikemond.conf or with snmpd's.
 */
#ifndef MIB_SNMP_AGENT_H
#define MIB_SNMP_AGENT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mib/ikemon_mib.h"

#define SNMP_AGENT_MAX_POLLFDS 64
#define SNMP_CFG_MAX_LINES     64
#define SNMP_CFG_LINE_MAX      512

enum snmp_mode { SNMP_MODE_OFF = 0, SNMP_MODE_MASTER = 1, SNMP_MODE_AGENTX = 2 };

/* The [snmp] section of ikemond.conf; keys spelled as snmpd.conf spells them. */
struct snmp_config {
	enum snmp_mode mode;            /* mode = master | agentx | off (default master) */
	char listen[SNMP_CFG_LINE_MAX]; /* listen = udp:127.0.0.1:1161 (agentAddress syntax) */
	char agentx_socket[SNMP_CFG_LINE_MAX];  /* agentx_socket = /var/agentx/master (default) */
	char persistent_dir[SNMP_CFG_LINE_MAX]; /* default /var/lib/ikemon/snmp */
	char engine_id[SNMP_CFG_LINE_MAX];      /* engine_id = 0x80001f8804...; "" = persisted */
	/* rocommunity, rocommunity6, rouser, createUser, trap2sink, informsink, trapsess lines,
	 * each kept as "TOKEN REST" to be handed to Net-SNMP's config parser (secrets: wiped by
	 * snmp_config_free, never logged) */
	char lines[SNMP_CFG_MAX_LINES][SNMP_CFG_LINE_MAX];
	size_t n_lines;
	uint32_t fail_history;    /* fail_history = N: ikemonFailHistTable rows (default 100) */
	uint32_t notify_burst;    /* notify_limit = BURST/SECONDS: at most BURST notifications */
	uint32_t notify_period_s; /* per SECONDS (to all targets); the rest held and summarised */
	/* v3_only = yes: no community anywhere, every rouser authPriv, and the agent refuses
	 * SNMPv1 and v2c messages (snmp_config_finish() checks the lines) */
	bool v3_only;
};

/* The VACM view every rocommunity, rocommunity6 and rouser is restricted to. */
#define SNMP_VIEW_NAME "ikemonView"

/* Defaults of an [snmp] section (mode master on udp:127.0.0.1:1161, no access, no sinks). */
void snmp_config_default(struct snmp_config *c);
/* Wipe the lines (communities, passphrases). */
void snmp_config_free(struct snmp_config *c);

/*
 * Set one [snmp] key (as config.c's setters get it) from its value, checking its syntax;
 * the access and notification keys append a line in Net-SNMP's syntax (rocommunity and
 * rouser restricted to SNMP_VIEW_NAME).  0, or -1 with a message in msg that never
 * quotes a community or a passphrase.
 */
int snmp_config_set(struct snmp_config *c, const char *key, char *val, char *msg, size_t msglen);

/*
 * At the end of the section: a v3 trapsess (trap, not inform) whose user no createUser
 * names gets one from the trapsess line (Net-SNMP authenticates v3 traps with a user of
 * the local engine).  0, or -1 with msg (too many lines).
 */
int snmp_config_finish(struct snmp_config *c, char *msg, size_t msglen);

/* Call fn for every secret the lines hold (communities, passphrases, trapsess -A/-X/-c). */
void snmp_config_secrets(const struct snmp_config *c, void (*fn)(void *ctx, const char *secret),
                         void *ctx);

/* Whether two [snmp] configurations are the same (a reload compares them). */
bool snmp_config_equal(const struct snmp_config *a, const struct snmp_config *b);

struct snmp_agent;
struct metrics;

struct snmp_agent_sources {
	struct ikemon_mib_sources mib;
	struct metrics
	    *metrics; /* counts notifications (metrics_count_notification); may be NULL */
};

/*
 * Start the agent (mode master or agentx; NULL with err empty for mode off), register
 * IKEMON-MIB, subscribe to the engine's, the stall detector's and the failure history's
 * events for the notifications, and send ikemonStarted.  NULL with a message in err on
 * failure (a listen address in use, a bad config line...).
 */
struct snmp_agent *snmp_agent_start(const struct snmp_config *cfg,
                                    const struct snmp_agent_sources *src, char *err, size_t errlen);
/* Unregister, close Net-SNMP's sessions, write its persistent state. NULL is a no-op. */
void snmp_agent_stop(struct snmp_agent *a);

/*
 * What a reload may change while the agent runs: notify_limit (fail_history is the
 * failure history's, failhist_set_max()).  The rest of [snmp] takes effect at restart:
 * Net-SNMP does not start twice cleanly in one process (a second init loses the
 * persisted engine ID, so v3 managers and receivers would see a new engine).
 * NULL is a no-op.
 */
void snmp_agent_set_notify_limit(struct snmp_agent *a, uint32_t burst, uint32_t period_s);

/* Whether two [snmp] configurations differ in what only a restart applies. */
bool snmp_config_needs_restart(const struct snmp_config *a, const struct snmp_config *b);

/* The descriptors Net-SNMP wants watched (POLLIN); returns how many (at most max). */
size_t snmp_agent_pollfds(struct snmp_agent *a, struct pollfd *pfd, size_t max);
/* Milliseconds until Net-SNMP's next alarm (or held notifications' release), -1 none. */
int64_t snmp_agent_next_timeout_ms(struct snmp_agent *a);
/* Read what is ready on the descriptors given by snmp_agent_pollfds (with their revents),
 * run due alarms, release held notifications. */
void snmp_agent_run(struct snmp_agent *a, const struct pollfd *pfd, size_t n);

#endif /* MIB_SNMP_AGENT_H */
