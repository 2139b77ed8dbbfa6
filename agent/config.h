/*
 * config.h - ikemond.conf, INI style.
 *
 *   [ikemond]  listen, control, log, log_level, retransmit_timeout, retransmit_tries,
 *              deleted_linger, restart_delay, natt_keepalive, max_half_open,
 *              max_half_open_per_source, half_open_timeout, stall_after,
 *              stall_after.STATE, qm_stall_after, peer_down_after, alarm_holddown,
 *              alarm_history, rekey, rekey_margin, rekey_fuzz, user, group,
 *              control_group
 *   [peer NAME] remote, local, psk, ike, local_id, remote_id, auto, ike_lifetime,
 *               esp, local_ts, remote_ts, mode, ipsec_lifetime, ipsec_lifetime_kb,
 *               auth, cert, key, ca, crl, send_cert (agent/config_cert.c),
 *               stall_after, stall_after.STATE, qm_stall_after, rekey, rekey_margin,
 *               rekey_fuzz
 *   [http]     listen, tls_cert, tls_key, auth_user, auth_password, auth_password_file,
 *              max_connections, max_connections_per_ip, timeout, max_request,
 *              per_sa_metrics, scrape_walk_slice
 *   [snmp]     mode, listen, rocommunity, rocommunity6, rouser, createUser, trap2sink,
 *              informsink, trapsess, agentx_socket, persistent_dir, engine_id,
 *              fail_history, notify_limit, v3_only (mib/snmp_config.c)
 *
 * Errors are reported as "FILE:LINE: what is wrong"; unknown sections and keys are
 * errors.  Secrets (psk, auth_password, SNMP communities and passphrases) are wiped by
 * ikemond_config_free().
 */
#ifndef AGENT_CONFIG_H
#define AGENT_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "agent/stall.h"
#include "exporters/http.h"
#include "ike/peer.h"
#include "mib/snmp_agent.h"

#define IKEMOND_MAX_LISTEN      16
#define IKEMOND_DEFAULT_CONFIG  "/etc/ikemond.conf"
#define IKEMOND_DEFAULT_CONTROL "/run/ikemond.sock"
#define IKEMOND_NAME_MAX        33 /* a user or group name, NUL included */

enum ikemond_log_target { IKEMOND_LOG_STDERR = 0, IKEMOND_LOG_SYSLOG = 1 };

struct ikemond_config {
	struct sockaddr_storage listen[IKEMOND_MAX_LISTEN]; /* default 0.0.0.0:500, [::]:500 */
	size_t n_listen;
	char control[sizeof(((struct sockaddr_un *)0)->sun_path)];
	/* user = NAME: the account ikemond runs as once its sockets are open ("" = stay) */
	char user[IKEMOND_NAME_MAX];
	char group[IKEMOND_NAME_MAX]; /* group = NAME, default the user's primary group */
	/* control_group = NAME: the control socket 0660 with this group ("" = 0600) */
	char control_group[IKEMOND_NAME_MAX];
	enum ikemond_log_target log_target; /* log = stderr | syslog */
	int log_level; /* log_level = err|warning|notice|info|debug (syslog numbers) */
	struct ike_settings settings;
	struct stall_settings stall; /* stall_after, stall_after.STATE, qm_stall_after ... */
	struct ike_peer_cfg *peers;
	size_t n_peers;
	/*
	 * The Prometheus endpoint: enabled only by an [http] section, with
	 * http_config_default()'s values for the keys it does not set.
	 */
	struct http_config http;
	/*
	 * The SNMP agent: off unless the file has an [snmp] section (as [http]), then
	 * snmp_config_default()'s values for the keys it does not set (mode master).
	 */
	struct snmp_config snmp;
};

/* Fill defaults (no peers, HTTP and SNMP off). */
void ikemond_config_defaults(struct ikemond_config *cfg);

/*
 * Load FILE into cfg (which is initialised here).  Returns 0, or -1 with
 * "FILE:LINE: message" in err (cfg then holds nothing that needs freeing).
 */
int ikemond_config_load(const char *path, struct ikemond_config *cfg, char *err, size_t errlen);
/* The same for len bytes of text at buf, named name in messages (fuzzers, tests). */
int ikemond_config_load_buffer(const char *name, const char *buf, size_t len,
                               struct ikemond_config *cfg, char *err, size_t errlen);

/* Free peers, wiping their pre-shared keys; wipe the HTTP password and the SNMP secrets.
 * Idempotent. */
void ikemond_config_free(struct ikemond_config *cfg);

#endif /* AGENT_CONFIG_H */
