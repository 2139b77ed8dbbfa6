/*
 * config.c - ikemond.conf's sections and keys, and the checks that need a whole section
 * or the whole file.
 *
 * The INI reader (config_parse.c) reads lines and dispatches: the sections and keys are
 * described once, in the tables below (name, sections, setter, and for a family such as
 * stall_after.STATE the parser of its member names), and the reader checks section,
 * member and duplicates before any setter runs.  Checks that need the whole file (the
 * stall thresholds against the retransmission span) run at the end.
 *
 * Secrets (psk, auth_password) are decoded straight into the configuration by
 * config_value.c, SNMP communities and passphrases by mib/snmp_config.c; no error
 * message ever quotes one.  Single values are parsed in
 * config_value.c, proposals and selectors in ike/peer.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent/config.h"
#include "agent/config_cert.h"
#include "agent/config_parse.h"
#include "agent/config_value.h"
#include "ike/dhpool.h"
#include "ike/ike.h"

#define CONFIG_MAX_PEERS     20000 /* a hub's spokes; each costs about 2.3 KiB twice */
#define DEFAULT_IKE_LIFETIME 28800
#define DEFAULT_DPD_DELAY    0 /* DPD off unless asked for, as IOS and charon */
#define DEFAULT_DPD_TIMEOUT  120
#define CONFIG_MAX_CHILDREN  16 /* local_ts x remote_ts pairs of one peer */
#define DEFAULT_ESP          "aes128-sha256"
#define DEFAULT_IPSEC_LIFE   3600
/* Preference order; MODP-2048 and ECP-256 for interop, no MODP-1024. */
#define DEFAULT_IKE_PROPOSALS                                                                      \
	"aes128-sha256-modp2048,aes256-sha256-modp2048,aes128-sha256-ecp256,"                      \
	"aes256-sha384-ecp384,aes128-sha1-modp2048"

_Static_assert(CISCO_STATE_MAX < CONFIG_MEMBERS, "stall_after.STATE needs more members");

/* Section bits: a key may belong to several sections. */
enum section {
	SEC_IKEMOND = 1,
	SEC_PEER = 2,
	SEC_HTTP = 4,
	SEC_SNMP = 8,
	SEC_BOTH = SEC_IKEMOND | SEC_PEER
};
#define SEC_SNMP_REPEAT (SEC_SNMP | CONFIG_REPEATABLE)

/* Where a stall threshold came from, for the span check's message. */
struct threshold_origin {
	uint32_t ms;
	unsigned line; /* 0: the default */
	char what[80]; /* "stall_after.MM_KEY_EXCH of [peer b1]" */
};

/* What a load keeps besides the reader's state (the reader's ctx). */
struct config_load {
	struct ikemond_config *cfg;
	struct ike_peer_cfg *peer; /* peer being parsed (not yet counted) */
	size_t peers_cap;
	/* the lines [ikemond] set its keys on, kept for the span check */
	unsigned ikemond_key_line[CONFIG_MAX_KEYS][CONFIG_MEMBERS];
	struct threshold_origin peer_most; /* the largest threshold a peer set itself */
	struct config_cert_load certs;     /* a [peer]'s certificate keys (config_cert.c) */
};

static struct config_load *load_of(const struct config_parser *ps)
{
	return ps->ctx;
}

static struct ikemond_config *config_of(const struct config_parser *ps)
{
	return load_of(ps)->cfg;
}

/* The peer being parsed; NULL outside a [peer NAME] section. */
static struct ike_peer_cfg *peer_of(const struct config_parser *ps)
{
	return load_of(ps)->peer;
}

/* For config_cert.c: the load's peer being parsed and its certificate settings. */
struct ike_peer_cfg *config_parsing_peer(const struct config_parser *ps)
{
	return peer_of(ps);
}

struct config_cert_load *config_parsing_certs(const struct config_parser *ps)
{
	return &load_of(ps)->certs;
}

/* [ikemond] */

static int set_listen(struct config_parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	struct ikemond_config *cfg = config_of(ps);

	if (config_value_listen(val, CONFIG_IKE_PORT, cfg->listen, IKEMOND_MAX_LISTEN,
	                        &cfg->n_listen, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

static int set_control(struct config_parser *ps, char *val)
{
	struct ikemond_config *cfg = config_of(ps);

	if (strlen(val) >= sizeof(cfg->control))
		return config_fail(ps, "control path longer than %zu bytes",
		                   sizeof(cfg->control) - 1);
	strcpy(cfg->control, val);
	return 0;
}

/* A user or group name as useradd(8) takes it: [A-Za-z0-9_.-], not starting with '-'. */
static int set_account(struct config_parser *ps, char *val, char *out)
{
	size_t len = strlen(val);

	if (len == 0 || len >= IKEMOND_NAME_MAX || val[0] == '-' ||
	    strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
		return config_fail(ps, "bad %s '%.40s' (1 to %d of A-Z a-z 0-9 _ . -)", ps->key,
		                   val, IKEMOND_NAME_MAX - 1);
	memcpy(out, val, len + 1);
	return 0;
}

static int set_user(struct config_parser *ps, char *val)
{
	return set_account(ps, val, config_of(ps)->user);
}

static int set_group(struct config_parser *ps, char *val)
{
	return set_account(ps, val, config_of(ps)->group);
}

static int set_control_group(struct config_parser *ps, char *val)
{
	return set_account(ps, val, config_of(ps)->control_group);
}

static int set_log(struct config_parser *ps, char *val)
{
	if (strcmp(val, "stderr") == 0)
		config_of(ps)->log_target = IKEMOND_LOG_STDERR;
	else if (strcmp(val, "syslog") == 0)
		config_of(ps)->log_target = IKEMOND_LOG_SYSLOG;
	else
		return config_fail(ps, "bad log '%.40s' (expected stderr or syslog)", val);
	return 0;
}

static int set_log_level(struct config_parser *ps, char *val)
{
	if (!config_value_log_level(val, &config_of(ps)->log_level))
		return config_fail(
		    ps, "bad log_level '%.40s' (expected err, warning, notice, info or debug)",
		    val);
	return 0;
}

static int set_retransmit_timeout(struct config_parser *ps, char *val)
{
	return config_set_seconds(ps, val, 50, 60000,
	                          &config_of(ps)->settings.retransmit_timeout_ms);
}

static int set_retransmit_tries(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 0, 20, &config_of(ps)->settings.retransmit_tries);
}

static int set_deleted_linger(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 0, 86400, &config_of(ps)->settings.deleted_linger_s);
}

static int set_natt_keepalive(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 0, 3600, &config_of(ps)->settings.natt_keepalive_s);
}

static int set_max_half_open(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 10000000, &config_of(ps)->settings.max_half_open);
}

static int set_max_half_open_per_source(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 10000000,
	                      &config_of(ps)->settings.max_half_open_per_source);
}

static int set_half_open_timeout(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 3600, &config_of(ps)->settings.half_open_timeout_s);
}

static int set_restart_delay(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 3600, &config_of(ps)->settings.restart_delay_s);
}

static int set_dh_workers(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 0, IKE_DHPOOL_MAX_WORKERS,
	                      &config_of(ps)->settings.dh_workers);
}

/* dh_workers' default: one Diffie-Hellman thread per online CPU (at least one). */
static uint32_t online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > IKE_DHPOOL_MAX_WORKERS ? IKE_DHPOOL_MAX_WORKERS : (uint32_t)n;
}

static int set_peer_down_after(struct config_parser *ps, char *val)
{
	return config_set_seconds(ps, val, 100, 86400000, &config_of(ps)->stall.peer_down_after_ms);
}

static int set_alarm_holddown(struct config_parser *ps, char *val)
{
	return config_set_seconds(ps, val, 0, 3600000, &config_of(ps)->stall.holddown_ms);
}

static int set_alarm_history(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 0, 100000, &config_of(ps)->stall.history_max);
}

/* [ikemond] or [peer NAME]: stall thresholds, global or the peer's own (0 = unset). */

/* own: the peer's field, NULL in [ikemond]. */
static int set_threshold(struct config_parser *ps, const char *val, uint32_t *global, uint32_t *own)
{
	return config_set_seconds(ps, val, 100, 86400000, own != NULL ? own : global);
}

static int set_stall_after(struct config_parser *ps, char *val)
{
	return set_threshold(ps, val, &config_of(ps)->stall.stall_after_ms,
	                     peer_of(ps) != NULL ? &peer_of(ps)->stall.stall_after_ms : NULL);
}

static int set_qm_stall_after(struct config_parser *ps, char *val)
{
	return set_threshold(ps, val, &config_of(ps)->stall.qm_stall_after_ms,
	                     peer_of(ps) != NULL ? &peer_of(ps)->stall.qm_stall_after_ms : NULL);
}

/* stall_after.STATE: ps->member is the state. */
static int set_stall_after_state(struct config_parser *ps, char *val)
{
	return set_threshold(ps, val, &config_of(ps)->stall.state_ms[ps->member],
	                     peer_of(ps) != NULL ? &peer_of(ps)->stall.state_ms[ps->member] : NULL);
}

static int stall_state_member(struct config_parser *ps, const char *key, const char *name)
{
	enum cisco_state state;
	char msg[CONFIG_MSG_MAX];

	if (config_value_stall_state(name, key, &state, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return (int)state;
}

/* [peer NAME] */

static int set_remote(struct config_parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_remote(val, peer_of(ps), msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

static int set_local(struct config_parser *ps, char *val)
{
	if (strcmp(val, "%any") == 0)
		return 0;
	if (!config_value_hostport(val, &peer_of(ps)->local))
		return config_fail(ps, "bad local '%.80s' (expected ADDR[:PORT] or [V6ADDR]:PORT)",
		                   val);
	return 0;
}

static int set_psk(struct config_parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_psk(val, peer_of(ps)->psk, &peer_of(ps)->psk_len, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

static int set_ike(struct config_parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (ike_proposals_parse(val, peer_of(ps)->ike, IKE_MAX_PROPOSALS, &peer_of(ps)->n_ike, msg,
	                        sizeof(msg)) == -1)
		return config_fail(ps, "ike: %s", msg);
	return 0;
}

static int set_local_id(struct config_parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_id(val, ps->key, &peer_of(ps)->local_id, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

static int set_remote_id(struct config_parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_id(val, ps->key, &peer_of(ps)->remote_id, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

static int set_auto(struct config_parser *ps, char *val)
{
	if (strcmp(val, "start") == 0)
		peer_of(ps)->autostart = IKE_AUTO_START;
	else if (strcmp(val, "add") == 0)
		peer_of(ps)->autostart = IKE_AUTO_ADD;
	else
		return config_fail(ps, "bad auto '%.40s' (expected start or add)", val);
	return 0;
}

/* exchange = main | aggressive: the phase-1 exchange we initiate with */
static int set_exchange(struct config_parser *ps, char *val)
{
	if (strcmp(val, "main") == 0)
		peer_of(ps)->exchange = ISAKMP_XCHG_IDPROT;
	else if (strcmp(val, "aggressive") == 0)
		peer_of(ps)->exchange = ISAKMP_XCHG_AGGR;
	else
		return config_fail(ps, "bad exchange '%.40s' (expected main or aggressive)", val);
	return 0;
}

/* aggressive = yes | no: answer Aggressive Mode from this peer (the engine warns) */
static int set_aggressive(struct config_parser *ps, char *val)
{
	if (strcmp(val, "yes") == 0)
		peer_of(ps)->aggressive = true;
	else if (strcmp(val, "no") == 0)
		peer_of(ps)->aggressive = false;
	else
		return config_fail(ps, "bad aggressive '%.40s' (expected yes or no)", val);
	return 0;
}

/*
 * Rekeying: rekey = yes | no, rekey_margin (seconds before expiry), rekey_fuzz (percent
 * of the margin added at random).  In [ikemond] the default of every peer (the engine's
 * settings), in a [peer] that peer's own.
 */
static int set_rekey(struct config_parser *ps, char *val)
{
	struct ike_peer_cfg *p = peer_of(ps);
	bool yes = strcmp(val, "yes") == 0;

	if (!yes && strcmp(val, "no") != 0)
		return config_fail(ps, "bad rekey '%.40s' (expected yes or no)", val);
	if (p != NULL)
		p->rekey = yes ? IKE_REKEY_YES : IKE_REKEY_NO;
	else
		config_of(ps)->settings.rekey = yes;
	return 0;
}

static int set_rekey_margin(struct config_parser *ps, char *val)
{
	struct ike_peer_cfg *p = peer_of(ps);

	return config_set_u32(ps, val, 1, 86400,
	                      p != NULL ? &p->rekey_margin_s
	                                : &config_of(ps)->settings.rekey_margin_s);
}

static int set_rekey_fuzz(struct config_parser *ps, char *val)
{
	struct ike_peer_cfg *p = peer_of(ps);

	if (p != NULL)
		p->rekey_fuzz_set = true;
	return config_set_u32(ps, val, 0, 1000,
	                      p != NULL ? &p->rekey_fuzz_pct
	                                : &config_of(ps)->settings.rekey_fuzz_pct);
}

static int set_ike_lifetime(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 10, 86400, &peer_of(ps)->ike_lifetime);
}

/* Dead Peer Detection: seconds; small values allowed (tests use 1 s / 3 s). */
static int set_dpd_delay(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 0, 86400, &peer_of(ps)->dpd_delay_s);
}

static int set_dpd_timeout(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 86400, &peer_of(ps)->dpd_timeout_s);
}

static int set_esp(struct config_parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (ike_esp_proposals_parse(val, peer_of(ps)->esp, IKE_MAX_PROPOSALS, &peer_of(ps)->n_esp,
	                            msg, sizeof(msg)) == -1)
		return config_fail(ps, "esp: %s", msg);
	peer_of(ps)->has_children = true;
	return 0;
}

static int set_ts(struct config_parser *ps, char *val, struct ike_ts *ts, size_t *n)
{
	char msg[CONFIG_MSG_MAX];

	if (ike_ts_parse(val, ts, IKE_MAX_TS, n, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s: %s", ps->key, msg);
	peer_of(ps)->has_children = true;
	return 0;
}

static int set_local_ts(struct config_parser *ps, char *val)
{
	return set_ts(ps, val, peer_of(ps)->local_ts, &peer_of(ps)->n_local_ts);
}

static int set_remote_ts(struct config_parser *ps, char *val)
{
	return set_ts(ps, val, peer_of(ps)->remote_ts, &peer_of(ps)->n_remote_ts);
}

/* mode alone gives a peer no children: it only shapes them. */
static int set_mode(struct config_parser *ps, char *val)
{
	if (strcmp(val, "tunnel") == 0)
		peer_of(ps)->mode = IPSEC_MODE_TUNNEL;
	else if (strcmp(val, "transport") == 0)
		peer_of(ps)->mode = IPSEC_MODE_TRANSPORT;
	else
		return config_fail(ps, "bad mode '%.40s' (expected tunnel or transport)", val);
	return 0;
}

static int set_ipsec_lifetime(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 10, 86400, &peer_of(ps)->ipsec_lifetime_s);
}

/* 0 = no kilobyte limit; 4194304 KiB = 4 GiB. */
static int set_ipsec_lifetime_kb(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 0, 4194304, &peer_of(ps)->ipsec_lifetime_kb);
}

/* [http] */

static int set_http_listen(struct config_parser *ps, char *val)
{
	struct http_config *h = &config_of(ps)->http;
	char msg[CONFIG_MSG_MAX];

	if (config_value_listen(val, CONFIG_HTTP_PORT, h->listen, HTTP_MAX_LISTEN, &h->n_listen,
	                        msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

static int set_file(struct config_parser *ps, const char *val, char *path, size_t size)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_file(val, ps->key, path, size, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

static int set_tls_cert(struct config_parser *ps, char *val)
{
	struct http_config *h = &config_of(ps)->http;

	return set_file(ps, val, h->tls_cert, sizeof(h->tls_cert));
}

static int set_tls_key(struct config_parser *ps, char *val)
{
	struct http_config *h = &config_of(ps)->http;

	return set_file(ps, val, h->tls_key, sizeof(h->tls_key));
}

static int set_auth_user(struct config_parser *ps, char *val)
{
	struct http_config *h = &config_of(ps)->http;

	if (!config_value_user(val, sizeof(h->auth_user)))
		return config_fail(ps,
		                   "bad auth_user '%.40s' (1 to %zu visible characters, no ':')",
		                   val, sizeof(h->auth_user) - 1);
	strcpy(h->auth_user, val);
	return 0;
}

static int set_auth_password(struct config_parser *ps, char *val)
{
	struct http_config *h = &config_of(ps)->http;
	char msg[CONFIG_MSG_MAX];

	if (config_value_password(val, ps->key, h->auth_password, sizeof(h->auth_password), msg,
	                          sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

/* A file holding a crypt(3) hash, mode-checked as a key file (0600, not a FIFO). */
static int set_auth_password_file(struct config_parser *ps, char *val)
{
	struct http_config *h = &config_of(ps)->http;
	char msg[CONFIG_MSG_MAX], spec[sizeof(h->tls_key) + 8];

	if (val[0] != '/')
		return config_fail(ps, "bad auth_password_file '%.80s' (expected an absolute path)",
		                   val);
	snprintf(spec, sizeof(spec), "file:%s", val);
	if (config_value_password(spec, ps->key, h->auth_hash, sizeof(h->auth_hash), msg,
	                          sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	if (!http_hash_ok(h->auth_hash)) {
		OPENSSL_cleanse(h->auth_hash, sizeof(h->auth_hash));
		return config_fail(ps,
		                   "auth_password_file %.80s holds no crypt(3) hash this system "
		                   "knows (make one with: openssl passwd -6, or mkpasswd)",
		                   val);
	}
	return 0;
}

static int set_max_connections_per_ip(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 1024, &config_of(ps)->http.max_connections_per_ip);
}

static int set_max_connections(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 1024, &config_of(ps)->http.max_connections);
}

static int set_timeout(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 3600, &config_of(ps)->http.timeout_s);
}

static int set_max_request(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1024, 65536, &config_of(ps)->http.max_request);
}

static int set_scrape_walk_slice(struct config_parser *ps, char *val)
{
	return config_set_u32(ps, val, 1, 1000000, &config_of(ps)->http.scrape_walk_slice);
}

static int set_per_sa_metrics(struct config_parser *ps, char *val)
{
	if (!config_value_on_off(val, &config_of(ps)->http.per_sa_metrics))
		return config_fail(ps, "bad per_sa_metrics '%.40s' (expected on or off)", val);
	return 0;
}

/* [snmp]: every key is parsed by mib/snmp_config.c. */

static int set_snmp(struct config_parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (snmp_config_set(&config_of(ps)->snmp, ps->key, val, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

/* Sections: what their headers start and their ends check. */

/* The line of the first of esp, local_ts and remote_ts: the one that made children. */
static unsigned children_line(const struct config_parser *ps)
{
	static const char *const keys[] = {"esp", "local_ts", "remote_ts"};
	unsigned line, first = 0;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		line = config_key_set_on(ps, keys[i]);
		if (line != 0 && (first == 0 || line < first))
			first = line;
	}
	return first;
}

/*
 * Phase-2 defaults, once the whole section is known: esp DEFAULT_ESP, remote_ts the
 * remote host, local_ts the local host.  Our address is known here only when `local`
 * names it; without it n_local_ts stays 0 and the engine takes the local address of the
 * IKE SA when it starts a Quick Mode (one local host selector, as if it had been set).
 */
static int finish_children(struct config_parser *ps)
{
	struct ike_peer_cfg *p = peer_of(ps);
	unsigned local_line = config_key_set_on(ps, "local_ts");
	unsigned remote_line = config_key_set_on(ps, "remote_ts");
	char msg[CONFIG_MSG_MAX];

	if (!p->has_children)
		return 0;
	if (p->n_esp == 0 && ike_esp_proposals_parse(DEFAULT_ESP, p->esp, IKE_MAX_PROPOSALS,
	                                             &p->n_esp, msg, sizeof(msg)) == -1)
		return config_fail_at(ps, ps->section_line, "default esp proposals: %s", msg);
	if (p->n_remote_ts == 0 && !config_value_remote_single(p))
		return config_fail_at(
		    ps, children_line(ps),
		    "peer '%s': no default remote_ts can be derived from remote = "
		    "%s (line %u); set remote_ts",
		    p->name, p->remote_any ? "%any" : "a subnet", config_key_set_on(ps, "remote"));
	if (p->n_remote_ts == 0) {
		ike_ts_from_addr(&p->remote_ts[0], (const struct sockaddr *)&p->remote);
		p->n_remote_ts = 1;
	}
	if (p->n_local_ts == 0 && p->local.ss_family != AF_UNSPEC) {
		ike_ts_from_addr(&p->local_ts[0], (const struct sockaddr *)&p->local);
		p->n_local_ts = 1;
	}
	/* Each pair is a Quick Mode of its own: the product bounds one peer's children. */
	if (p->n_local_ts * p->n_remote_ts > CONFIG_MAX_CHILDREN)
		return config_fail_at(ps, local_line > remote_line ? local_line : remote_line,
		                      "peer '%s': %zu local_ts x %zu remote_ts make %zu children "
		                      "(at most %d)",
		                      p->name, p->n_local_ts, p->n_remote_ts,
		                      p->n_local_ts * p->n_remote_ts, CONFIG_MAX_CHILDREN);
	return 0;
}

/*
 * The largest threshold of one section into o when it beats o->ms: s and p as
 * stall_threshold_ms() takes them (all-zero s for a peer's own values alone), per_state
 * the section's stall_after.STATE values, lines where it set its keys (by rules of g).
 */
static void largest_threshold(const struct config_grammar *g, const struct stall_settings *s,
                              const struct ike_peer_cfg *p, const uint32_t *per_state,
                              const unsigned (*lines)[CONFIG_MEMBERS], struct threshold_origin *o)
{
	const struct config_key_rule *r;
	uint32_t t;
	int st, member;

	for (st = CISCO_STATE_MIN; st <= CISCO_STATE_MAX; st++) {
		t = stall_threshold_ms(s, p, st);
		if (t <= o->ms)
			continue;
		member = per_state[st] != 0 ? st : 0;
		r = config_rule_named(g, member != 0           ? "stall_after."
		                         : st == CISCO_QM_IDLE ? "qm_stall_after"
		                                               : "stall_after");
		o->ms = t;
		o->line = config_line_of(g, lines, r, (size_t)member);
		snprintf(o->what, sizeof(o->what), "%s%s%s%s%s", r->name,
		         member != 0 ? cisco_state_name(member) : "", p != NULL ? " of [peer " : "",
		         p != NULL ? p->name : (o->line == 0 ? ", the default" : ""),
		         p != NULL ? "]" : "");
	}
}

/* Keep the largest threshold a peer set itself (its lines are gone after its section). */
static void note_peer_thresholds(struct config_parser *ps)
{
	const struct config_parser *cps = ps; /* for the const view of key_line */
	struct config_load *ld = load_of(ps);
	struct stall_settings none;

	memset(&none, 0, sizeof(none));
	largest_threshold(ps->grammar, &none, ld->peer, ld->peer->stall.state_ms, cps->key_line,
	                  &ld->peer_most);
}

/* Checks that need the whole [peer] section, then the peer counts. */
static int finish_peer(struct config_parser *ps)
{
	struct ike_peer_cfg *p = peer_of(ps);
	unsigned auto_line = config_key_set_on(ps, "auto");
	unsigned remote_line = config_key_set_on(ps, "remote");

	if (remote_line == 0)
		return config_fail_at(ps, ps->section_line, "peer '%s' has no remote", p->name);
	if (config_cert_check_peer(ps) == -1) /* a psk, or a certificate and its key */
		return -1;
	if (p->autostart == IKE_AUTO_START && !config_value_remote_single(p))
		return config_fail_at(ps, auto_line,
		                      "peer '%s': auto = start needs a single remote address, "
		                      "not %s (remote on line %u); use auto = add",
		                      p->name, p->remote_any ? "%any" : "a subnet", remote_line);
	if (finish_children(ps) == -1 || config_cert_load_peer(ps) == -1)
		return -1;
	note_peer_thresholds(ps);
	config_of(ps)->n_peers++;
	load_of(ps)->peer = NULL;
	return 0;
}

/*
 * Room for one more peer.  Not realloc: it would leave the old block, pre-shared keys
 * and all, in freed memory.
 */
static int peers_reserve(struct config_parser *ps)
{
	struct config_load *ld = load_of(ps);
	struct ikemond_config *cfg = ld->cfg;
	struct ike_peer_cfg *np;
	size_t cap;

	if (cfg->n_peers < ld->peers_cap)
		return 0;
	if (ld->peers_cap >= CONFIG_MAX_PEERS)
		return config_fail(ps, "more than %d peers", CONFIG_MAX_PEERS);
	cap = ld->peers_cap == 0 ? 8 : ld->peers_cap * 2;
	if (cap > CONFIG_MAX_PEERS)
		cap = CONFIG_MAX_PEERS;
	np = calloc(cap, sizeof(*np));
	if (np == NULL)
		return config_fail(ps, "out of memory");
	if (cfg->peers != NULL) {
		memcpy(np, cfg->peers, cfg->n_peers * sizeof(*np));
		OPENSSL_cleanse(cfg->peers, ld->peers_cap * sizeof(*np));
		free(cfg->peers);
	}
	cfg->peers = np;
	ld->peers_cap = cap;
	return 0;
}

static int begin_peer(struct config_parser *ps, const char *name)
{
	struct ikemond_config *cfg = config_of(ps);
	struct ike_peer_cfg *p;
	size_t i;
	char msg[CONFIG_MSG_MAX];

	if (!config_value_peer_name(name))
		return config_fail(ps, "bad peer name '%.40s' (1 to %d of A-Z a-z 0-9 _ . -)", name,
		                   IKE_PEER_NAME_MAX);
	for (i = 0; i < cfg->n_peers; i++) {
		if (strcmp(cfg->peers[i].name, name) == 0)
			return config_fail(ps, "duplicate peer name '%s'", name);
	}
	if (peers_reserve(ps) == -1)
		return -1;
	p = &cfg->peers[cfg->n_peers];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->autostart = IKE_AUTO_ADD;
	p->ike_lifetime = DEFAULT_IKE_LIFETIME;
	p->dpd_delay_s = DEFAULT_DPD_DELAY;
	p->dpd_timeout_s = DEFAULT_DPD_TIMEOUT;
	p->mode = IPSEC_MODE_TUNNEL;
	p->ipsec_lifetime_s = DEFAULT_IPSEC_LIFE;
	if (ike_proposals_parse(DEFAULT_IKE_PROPOSALS, p->ike, IKE_MAX_PROPOSALS, &p->n_ike, msg,
	                        sizeof(msg)) == -1)
		return config_fail(ps, "default ike proposals: %s", msg);
	load_of(ps)->peer = p;
	config_cert_begin_peer(&load_of(ps)->certs);
	return 0;
}

/* [ikemond]'s lines are kept: the span check at the end of the file blames them. */
static int finish_ikemond(struct config_parser *ps)
{
	unsigned line = config_key_set_on(ps, "group");

	if (line != 0 && config_key_set_on(ps, "user") == 0)
		return config_fail_at(ps, line, "group without user");
	memcpy(load_of(ps)->ikemond_key_line, ps->key_line, sizeof(ps->key_line));
	return 0;
}

/* HTTP is off until here: see ikemond_config_defaults(). */
static int begin_http(struct config_parser *ps, const char *name)
{
	(void)name;
	config_of(ps)->http.enabled = true;
	return 0;
}

/* Keys that go in pairs: one without the other is an error on its line. */
static int check_pair(struct config_parser *ps, const char *a, const char *b)
{
	unsigned line_a = config_key_set_on(ps, a);
	unsigned line_b = config_key_set_on(ps, b);

	if (line_a != 0 && line_b == 0)
		return config_fail_at(ps, line_a, "%s without %s", a, b);
	if (line_b != 0 && line_a == 0)
		return config_fail_at(ps, line_b, "%s without %s", b, a);
	return 0;
}

/* SNMP is off until here: see ikemond_config_defaults(). */
static int begin_snmp(struct config_parser *ps, const char *name)
{
	(void)name;
	config_of(ps)->snmp.mode = SNMP_MODE_MASTER;
	return 0;
}

static int finish_snmp(struct config_parser *ps)
{
	char msg[CONFIG_MSG_MAX];

	if (snmp_config_finish(&config_of(ps)->snmp, msg, sizeof(msg)) == -1)
		return config_fail_at(ps, ps->section_line, "%s", msg);
	return 0;
}

static int finish_http(struct config_parser *ps)
{
	unsigned pw = config_key_set_on(ps, "auth_password");
	unsigned file = config_key_set_on(ps, "auth_password_file");

	if (check_pair(ps, "tls_cert", "tls_key") == -1)
		return -1;
	if (pw != 0 && file != 0)
		return config_fail_at(ps, file, "auth_password_file and auth_password: name one");
	return check_pair(ps, "auth_user", file != 0 ? "auth_password_file" : "auth_password");
}

static const struct config_key_family stall_states = {stall_state_member, "STATE"};

static const struct config_key_rule key_rules[] = {
    {"listen", SEC_IKEMOND, set_listen, NULL},
    {"control", SEC_IKEMOND, set_control, NULL},
    {"log", SEC_IKEMOND, set_log, NULL},
    {"log_level", SEC_IKEMOND, set_log_level, NULL},
    {"retransmit_timeout", SEC_IKEMOND, set_retransmit_timeout, NULL},
    {"retransmit_tries", SEC_IKEMOND, set_retransmit_tries, NULL},
    {"deleted_linger", SEC_IKEMOND, set_deleted_linger, NULL},
    {"restart_delay", SEC_IKEMOND, set_restart_delay, NULL},
    {"natt_keepalive", SEC_IKEMOND, set_natt_keepalive, NULL},
    {"max_half_open", SEC_IKEMOND, set_max_half_open, NULL},
    {"max_half_open_per_source", SEC_IKEMOND, set_max_half_open_per_source, NULL},
    {"half_open_timeout", SEC_IKEMOND, set_half_open_timeout, NULL},
    {"dh_workers", SEC_IKEMOND, set_dh_workers, NULL},
    {"peer_down_after", SEC_IKEMOND, set_peer_down_after, NULL},
    {"alarm_holddown", SEC_IKEMOND, set_alarm_holddown, NULL},
    {"alarm_history", SEC_IKEMOND, set_alarm_history, NULL},
    {"user", SEC_IKEMOND, set_user, NULL},
    {"group", SEC_IKEMOND, set_group, NULL},
    {"control_group", SEC_IKEMOND, set_control_group, NULL},
    {"remote", SEC_PEER, set_remote, NULL},
    {"local", SEC_PEER, set_local, NULL},
    {"psk", SEC_PEER, set_psk, NULL},
    {"ike", SEC_PEER, set_ike, NULL},
    {"local_id", SEC_PEER, set_local_id, NULL},
    {"remote_id", SEC_PEER, set_remote_id, NULL},
    {"auto", SEC_PEER, set_auto, NULL},
    {"exchange", SEC_PEER, set_exchange, NULL},
    {"aggressive", SEC_PEER, set_aggressive, NULL},
    {"ike_lifetime", SEC_PEER, set_ike_lifetime, NULL},
    {"dpd_delay", SEC_PEER, set_dpd_delay, NULL},
    {"dpd_timeout", SEC_PEER, set_dpd_timeout, NULL},
    {"esp", SEC_PEER, set_esp, NULL},
    {"local_ts", SEC_PEER, set_local_ts, NULL},
    {"remote_ts", SEC_PEER, set_remote_ts, NULL},
    {"mode", SEC_PEER, set_mode, NULL},
    {"ipsec_lifetime", SEC_PEER, set_ipsec_lifetime, NULL},
    {"ipsec_lifetime_kb", SEC_PEER, set_ipsec_lifetime_kb, NULL},
    {"auth", SEC_PEER, set_peer_auth, NULL},
    {"cert", SEC_PEER, set_peer_cert, NULL},
    {"key", SEC_PEER, set_peer_key, NULL},
    {"ca", SEC_PEER, set_peer_ca, NULL},
    {"crl", SEC_PEER, set_peer_crl, NULL},
    {"send_cert", SEC_PEER, set_peer_send_cert, NULL},
    {"stall_after", SEC_BOTH, set_stall_after, NULL},
    {"stall_after.", SEC_BOTH, set_stall_after_state, &stall_states},
    {"qm_stall_after", SEC_BOTH, set_qm_stall_after, NULL},
    {"rekey", SEC_BOTH, set_rekey, NULL},
    {"rekey_margin", SEC_BOTH, set_rekey_margin, NULL},
    {"rekey_fuzz", SEC_BOTH, set_rekey_fuzz, NULL},
    {"listen", SEC_HTTP, set_http_listen, NULL},
    {"tls_cert", SEC_HTTP, set_tls_cert, NULL},
    {"tls_key", SEC_HTTP, set_tls_key, NULL},
    {"auth_user", SEC_HTTP, set_auth_user, NULL},
    {"auth_password", SEC_HTTP, set_auth_password, NULL},
    {"auth_password_file", SEC_HTTP, set_auth_password_file, NULL},
    {"max_connections", SEC_HTTP, set_max_connections, NULL},
    {"max_connections_per_ip", SEC_HTTP, set_max_connections_per_ip, NULL},
    {"timeout", SEC_HTTP, set_timeout, NULL},
    {"max_request", SEC_HTTP, set_max_request, NULL},
    {"per_sa_metrics", SEC_HTTP, set_per_sa_metrics, NULL},
    {"scrape_walk_slice", SEC_HTTP, set_scrape_walk_slice, NULL},
    {"mode", SEC_SNMP, set_snmp, NULL},
    {"listen", SEC_SNMP, set_snmp, NULL},
    {"rocommunity", SEC_SNMP_REPEAT, set_snmp, NULL},
    {"rocommunity6", SEC_SNMP_REPEAT, set_snmp, NULL},
    {"rouser", SEC_SNMP_REPEAT, set_snmp, NULL},
    {"createUser", SEC_SNMP_REPEAT, set_snmp, NULL},
    {"trap2sink", SEC_SNMP_REPEAT, set_snmp, NULL},
    {"informsink", SEC_SNMP_REPEAT, set_snmp, NULL},
    {"trapsess", SEC_SNMP_REPEAT, set_snmp, NULL},
    {"agentx_socket", SEC_SNMP, set_snmp, NULL},
    {"persistent_dir", SEC_SNMP, set_snmp, NULL},
    {"engine_id", SEC_SNMP, set_snmp, NULL},
    {"fail_history", SEC_SNMP, set_snmp, NULL},
    {"notify_limit", SEC_SNMP, set_snmp, NULL},
    {"v3_only", SEC_SNMP, set_snmp, NULL},
};

static const struct config_section_rule section_rules[] = {
    {"ikemond", SEC_IKEMOND, false, "[ikemond]", NULL, finish_ikemond},
    {"peer", SEC_PEER, true, "a [peer NAME] section", begin_peer, finish_peer},
    {"http", SEC_HTTP, false, "[http]", begin_http, finish_http},
    {"snmp", SEC_SNMP, false, "[snmp]", begin_snmp, finish_snmp},
};

#define N_KEY_RULES     (sizeof(key_rules) / sizeof(key_rules[0]))
#define N_SECTION_RULES (sizeof(section_rules) / sizeof(section_rules[0]))
_Static_assert(N_KEY_RULES <= CONFIG_MAX_KEYS, "raise CONFIG_MAX_KEYS");
_Static_assert(N_SECTION_RULES <= CONFIG_MAX_SECTIONS, "raise CONFIG_MAX_SECTIONS");

/* The whole file: the span check. */

/*
 * The line to blame when the largest threshold is a default: the retransmit_* key that
 * shortened the span below its default (retransmit_timeout first), else the one set,
 * else the [ikemond] header.
 */
static unsigned span_line(const struct config_parser *ps)
{
	const struct config_load *ld = load_of(ps);
	const struct ike_settings *set = &ld->cfg->settings;
	const struct config_grammar *g = ps->grammar;
	unsigned t =
	    config_line_of(g, ld->ikemond_key_line, config_rule_named(g, "retransmit_timeout"), 0);
	unsigned n =
	    config_line_of(g, ld->ikemond_key_line, config_rule_named(g, "retransmit_tries"), 0);
	struct ike_settings def;

	ike_settings_default(&def);
	if (t != 0 && set->retransmit_timeout_ms < def.retransmit_timeout_ms)
		return t;
	if (n != 0 && set->retransmit_tries < def.retransmit_tries)
		return n;
	if (t != 0 || n != 0)
		return t != 0 ? t : n;
	return config_section_seen(ps, "ikemond");
}

/*
 * A stall must be seen before the retransmissions give up (the SA then fails and a new
 * one starts over): every threshold must be shorter than the retransmission span.
 */
static int check_span(struct config_parser *ps)
{
	const struct config_load *ld = load_of(ps);
	const struct ikemond_config *cfg = ld->cfg;
	uint64_t span = ike_settings_retransmit_span_ms(&cfg->settings);
	uint32_t max = stall_max_threshold_ms(&cfg->stall, cfg->peers, cfg->n_peers);
	struct threshold_origin o = {0};
	const struct threshold_origin *most = &o;
	char t[24], sp[24], rt[24];

	if (max < span)
		return 0;
	largest_threshold(ps->grammar, &cfg->stall, NULL, cfg->stall.state_ms, ld->ikemond_key_line,
	                  &o);
	if (ld->peer_most.ms > o.ms)
		most = &ld->peer_most;
	return config_fail_at(
	    ps, most->line != 0 ? most->line : span_line(ps),
	    "the largest stall threshold (%s s, %s) is not shorter than the "
	    "retransmission span (%s s = retransmit_timeout %s s x "
	    "(2^(%u+1)-1)); lower the threshold or raise "
	    "retransmit_timeout/retransmit_tries",
	    config_value_ms_text(max, t, sizeof(t)), most->what,
	    config_value_ms_text(span, sp, sizeof(sp)),
	    config_value_ms_text(cfg->settings.retransmit_timeout_ms, rt, sizeof(rt)),
	    cfg->settings.retransmit_tries);
}

static const struct config_grammar grammar = {
    section_rules, N_SECTION_RULES, key_rules, N_KEY_RULES, check_span,
};

void ikemond_config_defaults(struct ikemond_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	config_value_addr("0.0.0.0", CONFIG_IKE_PORT, &cfg->listen[0]);
	config_value_addr("::", CONFIG_IKE_PORT, &cfg->listen[1]);
	cfg->n_listen = 2;
	snprintf(cfg->control, sizeof(cfg->control), "%s", IKEMOND_DEFAULT_CONTROL);
	cfg->log_target = IKEMOND_LOG_SYSLOG;
	cfg->log_level = LOG_INFO;
	ike_settings_default(&cfg->settings);
	cfg->settings.dh_workers = online_cpus();
	stall_settings_default(&cfg->stall);
	/*
	 * HTTP is off unless the file has an [http] section: several ikemonds on one host
	 * (the demo's hub and spokes, a probe beside a gateway's daemon) must not fight over
	 * one default port, and a daemon nobody scrapes opens no TCP port.
	 */
	http_config_default(&cfg->http);
	cfg->http.enabled = false;
	/* the same for SNMP: a daemon without [snmp] opens no SNMP port */
	snmp_config_default(&cfg->snmp);
	cfg->snmp.mode = SNMP_MODE_OFF;
}

/* From the file at path, or from buf when it is not NULL (path then names it). */
static int load_config(const char *path, const char *buf, size_t len, struct ikemond_config *cfg,
                       char *err, size_t errlen)
{
	struct config_load ld;
	int ret;

	ikemond_config_defaults(cfg);
	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	ret = buf != NULL ? config_parse_buffer(path, buf, len, &grammar, &ld, err, errlen)
	                  : config_parse(path, &grammar, &ld, err, errlen);
	if (ret == -1) {
		/* The peer being parsed is not counted in n_peers: wipe all we allocated. */
		if (cfg->peers != NULL) {
			config_cert_release(cfg->peers, cfg->n_peers);
			OPENSSL_cleanse(cfg->peers, ld.peers_cap * sizeof(*cfg->peers));
		}
		ikemond_config_free(cfg);
	}
	config_cert_load_done(&ld.certs);
	return ret;
}

int ikemond_config_load(const char *path, struct ikemond_config *cfg, char *err, size_t errlen)
{
	return load_config(path, NULL, 0, cfg, err, errlen);
}

int ikemond_config_load_buffer(const char *name, const char *buf, size_t len,
                               struct ikemond_config *cfg, char *err, size_t errlen)
{
	return load_config(name, buf != NULL ? buf : "", buf != NULL ? len : 0, cfg, err, errlen);
}

void ikemond_config_free(struct ikemond_config *cfg)
{
	if (cfg->peers != NULL) {
		config_cert_release(cfg->peers, cfg->n_peers);
		OPENSSL_cleanse(cfg->peers, cfg->n_peers * sizeof(*cfg->peers));
		free(cfg->peers);
	}
	cfg->peers = NULL;
	cfg->n_peers = 0;
	OPENSSL_cleanse(cfg->http.auth_password, sizeof(cfg->http.auth_password));
	OPENSSL_cleanse(cfg->http.auth_hash, sizeof(cfg->http.auth_hash));
	snmp_config_free(&cfg->snmp);
}
