/*
 * config.c - the ikemond.conf parser.
 *
 * One pass over the file, one line at a time, into a fixed line buffer: memory stays
 * bounded whatever the file holds.  Keys are described once in key_rules (name, section,
 * setter); the dispatcher checks section and duplicates before any setter runs.
 *
 * Pre-shared keys pass through two buffers here besides their final home in the peer:
 * stdio's buffer and the line buffer.  Both are ours and are wiped (config_value.c wipes
 * its psk file buffer); no error message ever quotes a psk value.  Single values are
 * parsed in config_value.c, proposals and selectors in ike/peer.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/crypto.h>

#include "agent/config.h"
#include "agent/config_value.h"
#include "ike/ike.h"

#define CONFIG_LINE_MAX      4096 /* characters, without the newline */
#define CONFIG_MAX_PEERS     1024
#define CONFIG_MAX_KEYS      32  /* bound of key_rules, checked below */
#define CONFIG_MSG_MAX       256 /* a value parser's message */
#define DEFAULT_IKE_LIFETIME 28800
#define CONFIG_MAX_CHILDREN  16 /* local_ts x remote_ts pairs of one peer */
#define DEFAULT_ESP          "aes128-sha256"
#define DEFAULT_IPSEC_LIFE   3600
/* Preference order; MODP-2048 and ECP-256 for interop, no MODP-1024. */
#define DEFAULT_IKE_PROPOSALS                                                                      \
	"aes128-sha256-modp2048,aes256-sha256-modp2048,aes128-sha256-ecp256,"                      \
	"aes256-sha384-ecp384,aes128-sha1-modp2048"

enum section { SEC_NONE, SEC_IKEMOND, SEC_PEER };

struct parser {
	const char *path;
	unsigned line;
	struct ikemond_config *cfg;
	enum section section;
	unsigned section_line;
	unsigned ikemond_line;              /* line of [ikemond]; 0 before one */
	unsigned key_line[CONFIG_MAX_KEYS]; /* line each key was set on in this section */
	const char *key;                    /* key being set, for messages */
	struct ike_peer_cfg *peer;          /* peer being parsed (not yet counted) */
	size_t peers_cap;
	char *err;
	size_t errlen;
	size_t line_len;
	char line_buf[CONFIG_LINE_MAX + 1];
	char io_buf[4096]; /* stdio's buffer, ours so that it can be wiped */
};

typedef int (*key_setter)(struct parser *, char *);

struct key_rule {
	const char *name;
	enum section section;
	key_setter set;
};

static int vfail_at(struct parser *ps, unsigned line, const char *fmt, va_list ap)
{
	int n;

	if (ps->err == NULL || ps->errlen == 0)
		return -1;
	n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->path, line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -1;
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	return -1;
}

static int fail_at(struct parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report "FILE:LINE: message"; returns -1 so that callers can return it. */
static int fail_at(struct parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ps, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* The same, for the line being parsed. */
static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ps, ps->line, fmt, ap);
	va_end(ap);
	return -1;
}

static char *trim(char *s)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* Next comma-separated item, trimmed; NULL when the list is used up. */
static char *split_next(char **rest)
{
	char *item = *rest;
	char *comma;

	if (item == NULL)
		return NULL;
	comma = strchr(item, ',');
	if (comma != NULL) {
		*comma = '\0';
		*rest = comma + 1;
	} else {
		*rest = NULL;
	}
	return trim(item);
}

/* [ikemond] */

static int set_listen(struct parser *ps, char *val)
{
	struct ikemond_config *cfg = ps->cfg;
	char *rest = val, *item;
	size_t i, n = 0;

	while ((item = split_next(&rest)) != NULL) {
		if (n == IKEMOND_MAX_LISTEN)
			return fail(ps, "more than %d listen addresses", IKEMOND_MAX_LISTEN);
		if (!config_value_hostport(item, &cfg->listen[n]))
			return fail(ps,
			            "bad listen address '%.80s' (expected ADDR[:PORT] or "
			            "[V6ADDR][:PORT])",
			            item);
		/* Both sides were built from zeroed storage, so bytes compare exactly. */
		for (i = 0; i < n; i++) {
			if (memcmp(&cfg->listen[i], &cfg->listen[n], sizeof(cfg->listen[i])) == 0)
				return fail(ps, "listen address '%.80s' given twice", item);
		}
		n++;
	}
	cfg->n_listen = n;
	return 0;
}

static int set_control(struct parser *ps, char *val)
{
	if (strlen(val) >= sizeof(ps->cfg->control))
		return fail(ps, "control path longer than %zu bytes", sizeof(ps->cfg->control) - 1);
	strcpy(ps->cfg->control, val);
	return 0;
}

static int set_log(struct parser *ps, char *val)
{
	if (strcmp(val, "stderr") == 0)
		ps->cfg->log_target = IKEMOND_LOG_STDERR;
	else if (strcmp(val, "syslog") == 0)
		ps->cfg->log_target = IKEMOND_LOG_SYSLOG;
	else
		return fail(ps, "bad log '%.40s' (expected stderr or syslog)", val);
	return 0;
}

static int set_log_level(struct parser *ps, char *val)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
	    {"err", LOG_ERR},   {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
	    {"info", LOG_INFO}, {"debug", LOG_DEBUG},
	};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(val, levels[i].name) == 0) {
			ps->cfg->log_level = levels[i].level;
			return 0;
		}
	}
	return fail(ps, "bad log_level '%.40s' (expected err, warning, notice, info or debug)",
	            val);
}

static int set_retransmit_timeout(struct parser *ps, char *val)
{
	uint32_t ms;

	if (!config_value_seconds_ms(val, &ms) || ms < 50 || ms > 60000)
		return fail(ps, "bad retransmit_timeout '%.40s' (expected seconds, 0.05 to 60)",
		            val);
	ps->cfg->settings.retransmit_timeout_ms = ms;
	return 0;
}

/* The integer keys: each names its range in its error. */
static int set_u32(struct parser *ps, const char *val, uint32_t min, uint32_t max, uint32_t *out)
{
	if (!config_value_u32(val, min, max, out))
		return fail(ps, "bad %s '%.40s' (expected %u to %u)", ps->key, val, min, max);
	return 0;
}

static int set_retransmit_tries(struct parser *ps, char *val)
{
	return set_u32(ps, val, 0, 20, &ps->cfg->settings.retransmit_tries);
}

static int set_deleted_linger(struct parser *ps, char *val)
{
	return set_u32(ps, val, 0, 86400, &ps->cfg->settings.deleted_linger_s);
}

static int set_natt_keepalive(struct parser *ps, char *val)
{
	return set_u32(ps, val, 0, 3600, &ps->cfg->settings.natt_keepalive_s);
}

static int set_restart_delay(struct parser *ps, char *val)
{
	return set_u32(ps, val, 1, 3600, &ps->cfg->settings.restart_delay_s);
}

/* [peer NAME] */

static int set_remote(struct parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_remote(val, ps->peer, msg, sizeof(msg)) == -1)
		return fail(ps, "%s", msg);
	return 0;
}

static int set_local(struct parser *ps, char *val)
{
	if (strcmp(val, "%any") == 0)
		return 0;
	if (!config_value_hostport(val, &ps->peer->local))
		return fail(ps, "bad local '%.80s' (expected ADDR[:PORT] or [V6ADDR]:PORT)", val);
	return 0;
}

static int set_psk(struct parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_psk(val, ps->peer->psk, &ps->peer->psk_len, msg, sizeof(msg)) == -1)
		return fail(ps, "%s", msg);
	return 0;
}

static int set_ike(struct parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (ike_proposals_parse(val, ps->peer->ike, IKE_MAX_PROPOSALS, &ps->peer->n_ike, msg,
	                        sizeof(msg)) == -1)
		return fail(ps, "ike: %s", msg);
	return 0;
}

static int set_local_id(struct parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_id(val, ps->key, &ps->peer->local_id, msg, sizeof(msg)) == -1)
		return fail(ps, "%s", msg);
	return 0;
}

static int set_remote_id(struct parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_id(val, ps->key, &ps->peer->remote_id, msg, sizeof(msg)) == -1)
		return fail(ps, "%s", msg);
	return 0;
}

static int set_auto(struct parser *ps, char *val)
{
	if (strcmp(val, "start") == 0)
		ps->peer->autostart = IKE_AUTO_START;
	else if (strcmp(val, "add") == 0)
		ps->peer->autostart = IKE_AUTO_ADD;
	else
		return fail(ps, "bad auto '%.40s' (expected start or add)", val);
	return 0;
}

static int set_ike_lifetime(struct parser *ps, char *val)
{
	return set_u32(ps, val, 10, 86400, &ps->peer->ike_lifetime);
}

static int set_esp(struct parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (ike_esp_proposals_parse(val, ps->peer->esp, IKE_MAX_PROPOSALS, &ps->peer->n_esp, msg,
	                            sizeof(msg)) == -1)
		return fail(ps, "esp: %s", msg);
	ps->peer->has_children = true;
	return 0;
}

static int set_ts(struct parser *ps, char *val, struct ike_ts *ts, size_t *n)
{
	char msg[CONFIG_MSG_MAX];

	if (ike_ts_parse(val, ts, IKE_MAX_TS, n, msg, sizeof(msg)) == -1)
		return fail(ps, "%s: %s", ps->key, msg);
	ps->peer->has_children = true;
	return 0;
}

static int set_local_ts(struct parser *ps, char *val)
{
	return set_ts(ps, val, ps->peer->local_ts, &ps->peer->n_local_ts);
}

static int set_remote_ts(struct parser *ps, char *val)
{
	return set_ts(ps, val, ps->peer->remote_ts, &ps->peer->n_remote_ts);
}

/* mode alone gives a peer no children: it only shapes them. */
static int set_mode(struct parser *ps, char *val)
{
	if (strcmp(val, "tunnel") == 0)
		ps->peer->mode = IPSEC_MODE_TUNNEL;
	else if (strcmp(val, "transport") == 0)
		ps->peer->mode = IPSEC_MODE_TRANSPORT;
	else
		return fail(ps, "bad mode '%.40s' (expected tunnel or transport)", val);
	return 0;
}

static int set_ipsec_lifetime(struct parser *ps, char *val)
{
	return set_u32(ps, val, 10, 86400, &ps->peer->ipsec_lifetime_s);
}

/* 0 = no kilobyte limit; 4194304 KiB = 4 GiB. */
static int set_ipsec_lifetime_kb(struct parser *ps, char *val)
{
	return set_u32(ps, val, 0, 4194304, &ps->peer->ipsec_lifetime_kb);
}

static const struct key_rule key_rules[] = {
    {"listen", SEC_IKEMOND, set_listen},
    {"control", SEC_IKEMOND, set_control},
    {"log", SEC_IKEMOND, set_log},
    {"log_level", SEC_IKEMOND, set_log_level},
    {"retransmit_timeout", SEC_IKEMOND, set_retransmit_timeout},
    {"retransmit_tries", SEC_IKEMOND, set_retransmit_tries},
    {"deleted_linger", SEC_IKEMOND, set_deleted_linger},
    {"restart_delay", SEC_IKEMOND, set_restart_delay},
    {"natt_keepalive", SEC_IKEMOND, set_natt_keepalive},
    {"remote", SEC_PEER, set_remote},
    {"local", SEC_PEER, set_local},
    {"psk", SEC_PEER, set_psk},
    {"ike", SEC_PEER, set_ike},
    {"local_id", SEC_PEER, set_local_id},
    {"remote_id", SEC_PEER, set_remote_id},
    {"auto", SEC_PEER, set_auto},
    {"ike_lifetime", SEC_PEER, set_ike_lifetime},
    {"esp", SEC_PEER, set_esp},
    {"local_ts", SEC_PEER, set_local_ts},
    {"remote_ts", SEC_PEER, set_remote_ts},
    {"mode", SEC_PEER, set_mode},
    {"ipsec_lifetime", SEC_PEER, set_ipsec_lifetime},
    {"ipsec_lifetime_kb", SEC_PEER, set_ipsec_lifetime_kb},
};

#define N_KEY_RULES (sizeof(key_rules) / sizeof(key_rules[0]))
_Static_assert(N_KEY_RULES <= CONFIG_MAX_KEYS, "raise CONFIG_MAX_KEYS");

static const struct key_rule *rule_find(const char *key)
{
	size_t i;

	for (i = 0; i < N_KEY_RULES; i++) {
		if (strcmp(key_rules[i].name, key) == 0)
			return &key_rules[i];
	}
	return NULL;
}

/* Line on which a key of the current section was set, 0 if it was not. */
static unsigned key_set_on(const struct parser *ps, const char *key)
{
	const struct key_rule *r = rule_find(key);

	return r == NULL ? 0 : ps->key_line[r - key_rules];
}

static const char *section_label(const struct parser *ps, char *buf, size_t len)
{
	if (ps->section == SEC_IKEMOND)
		return "[ikemond]";
	if (ps->section == SEC_PEER) {
		snprintf(buf, len, "[peer %s]", ps->peer->name);
		return buf;
	}
	return "no section";
}

static int unknown_key(struct parser *ps, const char *key)
{
	char label[48], known[256] = "";
	size_t i;

	if (ps->section == SEC_NONE)
		return fail(ps, "unknown key '%.40s' outside any section", key);
	for (i = 0; i < N_KEY_RULES; i++) {
		if (key_rules[i].section != ps->section)
			continue;
		if (known[0] != '\0')
			strncat(known, ", ", sizeof(known) - strlen(known) - 1);
		strncat(known, key_rules[i].name, sizeof(known) - strlen(known) - 1);
	}
	return fail(ps, "unknown key '%.40s' in %s (known there: %s)", key,
	            section_label(ps, label, sizeof(label)), known);
}

static int misplaced_key(struct parser *ps, const struct key_rule *r)
{
	char label[48];
	const char *home = r->section == SEC_IKEMOND ? "[ikemond]" : "a [peer NAME] section";

	if (ps->section == SEC_NONE)
		return fail(ps, "key '%s' outside any section; it belongs in %s", r->name, home);
	return fail(ps, "key '%s' belongs in %s, not in %s", r->name, home,
	            section_label(ps, label, sizeof(label)));
}

static int parse_key_value(struct parser *ps, char *line)
{
	const struct key_rule *r;
	char *eq = strchr(line, '=');
	char *key, *val;
	size_t idx;

	if (eq == NULL)
		return fail(ps, "expected 'key = value' or a [section] header");
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (*key == '\0')
		return fail(ps, "no key before '='");
	r = rule_find(key);
	if (r == NULL)
		return unknown_key(ps, key);
	if (r->section != ps->section)
		return misplaced_key(ps, r);
	idx = (size_t)(r - key_rules);
	if (ps->key_line[idx] != 0)
		return fail(ps, "duplicate key '%s' (first set on line %u)", key,
		            ps->key_line[idx]);
	if (*val == '\0')
		return fail(ps, "key '%s' has no value", key);
	ps->key_line[idx] = ps->line;
	ps->key = r->name;
	return r->set(ps, val);
}

static bool remote_is_single(const struct ike_peer_cfg *p)
{
	return !p->remote_any && p->remote_prefix == config_value_addr_bits(p->remote.ss_family);
}

/* The line of the first of esp, local_ts and remote_ts: the one that made children. */
static unsigned children_line(const struct parser *ps)
{
	static const char *const keys[] = {"esp", "local_ts", "remote_ts"};
	unsigned line, first = 0;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		line = key_set_on(ps, keys[i]);
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
static int finish_children(struct parser *ps)
{
	struct ike_peer_cfg *p = ps->peer;
	unsigned local_line = key_set_on(ps, "local_ts");
	unsigned remote_line = key_set_on(ps, "remote_ts");
	char msg[CONFIG_MSG_MAX];

	if (!p->has_children)
		return 0;
	if (p->n_esp == 0 && ike_esp_proposals_parse(DEFAULT_ESP, p->esp, IKE_MAX_PROPOSALS,
	                                             &p->n_esp, msg, sizeof(msg)) == -1)
		return fail_at(ps, ps->section_line, "default esp proposals: %s", msg);
	if (p->n_remote_ts == 0 && !remote_is_single(p))
		return fail_at(ps, children_line(ps),
		               "peer '%s': no default remote_ts can be derived from remote = %s "
		               "(line %u); set remote_ts",
		               p->name, p->remote_any ? "%any" : "a subnet",
		               key_set_on(ps, "remote"));
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
		return fail_at(ps, local_line > remote_line ? local_line : remote_line,
		               "peer '%s': %zu local_ts x %zu remote_ts make %zu children "
		               "(at most %d)",
		               p->name, p->n_local_ts, p->n_remote_ts,
		               p->n_local_ts * p->n_remote_ts, CONFIG_MAX_CHILDREN);
	return 0;
}

/* Checks that need the whole [peer] section, then the peer counts. */
static int finish_peer(struct parser *ps)
{
	struct ike_peer_cfg *p = ps->peer;
	unsigned auto_line = key_set_on(ps, "auto");
	unsigned remote_line = key_set_on(ps, "remote");

	if (remote_line == 0)
		return fail_at(ps, ps->section_line, "peer '%s' has no remote", p->name);
	if (key_set_on(ps, "psk") == 0)
		return fail_at(ps, ps->section_line, "peer '%s' has no psk", p->name);
	if (p->autostart == IKE_AUTO_START && !remote_is_single(p))
		return fail_at(ps, auto_line,
		               "peer '%s': auto = start needs a single remote address, "
		               "not %s (remote on line %u); use auto = add",
		               p->name, p->remote_any ? "%any" : "a subnet", remote_line);
	if (finish_children(ps) == -1)
		return -1;
	ps->cfg->n_peers++;
	ps->peer = NULL;
	return 0;
}

static int end_section(struct parser *ps)
{
	int ret = 0;

	if (ps->section == SEC_PEER)
		ret = finish_peer(ps);
	if (ret == 0) {
		ps->section = SEC_NONE;
		memset(ps->key_line, 0, sizeof(ps->key_line));
	}
	return ret;
}

/*
 * Room for one more peer.  Not realloc: it would leave the old block, pre-shared keys
 * and all, in freed memory.
 */
static int peers_reserve(struct parser *ps)
{
	struct ikemond_config *cfg = ps->cfg;
	struct ike_peer_cfg *np;
	size_t cap;

	if (cfg->n_peers < ps->peers_cap)
		return 0;
	if (ps->peers_cap >= CONFIG_MAX_PEERS)
		return fail(ps, "more than %d peers", CONFIG_MAX_PEERS);
	cap = ps->peers_cap == 0 ? 8 : ps->peers_cap * 2;
	if (cap > CONFIG_MAX_PEERS)
		cap = CONFIG_MAX_PEERS;
	np = calloc(cap, sizeof(*np));
	if (np == NULL)
		return fail(ps, "out of memory");
	if (cfg->peers != NULL) {
		memcpy(np, cfg->peers, cfg->n_peers * sizeof(*np));
		OPENSSL_cleanse(cfg->peers, ps->peers_cap * sizeof(*np));
		free(cfg->peers);
	}
	cfg->peers = np;
	ps->peers_cap = cap;
	return 0;
}

static bool peer_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > IKE_PEER_NAME_MAX)
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                    "0123456789_.-") == len;
}

static int begin_peer(struct parser *ps, const char *name)
{
	struct ikemond_config *cfg = ps->cfg;
	struct ike_peer_cfg *p;
	size_t i;
	char msg[CONFIG_MSG_MAX];

	if (!peer_name_valid(name))
		return fail(ps, "bad peer name '%.40s' (1 to %d of A-Z a-z 0-9 _ . -)", name,
		            IKE_PEER_NAME_MAX);
	for (i = 0; i < cfg->n_peers; i++) {
		if (strcmp(cfg->peers[i].name, name) == 0)
			return fail(ps, "duplicate peer name '%s'", name);
	}
	if (peers_reserve(ps) == -1)
		return -1;
	p = &cfg->peers[cfg->n_peers];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->autostart = IKE_AUTO_ADD;
	p->ike_lifetime = DEFAULT_IKE_LIFETIME;
	p->mode = IPSEC_MODE_TUNNEL;
	p->ipsec_lifetime_s = DEFAULT_IPSEC_LIFE;
	if (ike_proposals_parse(DEFAULT_IKE_PROPOSALS, p->ike, IKE_MAX_PROPOSALS, &p->n_ike, msg,
	                        sizeof(msg)) == -1)
		return fail(ps, "default ike proposals: %s", msg);
	ps->peer = p;
	ps->section = SEC_PEER;
	ps->section_line = ps->line;
	return 0;
}

static int parse_section(struct parser *ps, char *line)
{
	size_t len = strlen(line);
	char *inner;

	if (line[len - 1] != ']')
		return fail(ps, "section header lacks its closing ']'");
	line[len - 1] = '\0';
	inner = trim(line + 1);
	if (end_section(ps) == -1)
		return -1;
	if (strcmp(inner, "ikemond") == 0) {
		if (ps->ikemond_line != 0)
			return fail(ps, "duplicate section [ikemond] (first on line %u)",
			            ps->ikemond_line);
		ps->ikemond_line = ps->line;
		ps->section = SEC_IKEMOND;
		ps->section_line = ps->line;
		return 0;
	}
	if (strcmp(inner, "peer") == 0)
		return fail(ps, "section [peer] needs a name: [peer NAME]");
	if (strncmp(inner, "peer", 4) == 0 && isspace((unsigned char)inner[4]))
		return begin_peer(ps, trim(inner + 4));
	return fail(ps, "unknown section [%.40s] (expected [ikemond] or [peer NAME])", inner);
}

/*
 * Cut a comment: ';' or '#' at the start of the line or after whitespace, outside a
 * double-quoted string (a psk may hold either character).
 */
static void strip_comment(char *s)
{
	bool quoted = false;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (quoted && s[i] == '\\' && s[i + 1] != '\0') {
			i++;
			continue;
		}
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && (s[i] == ';' || s[i] == '#') &&
		         (i == 0 || isspace((unsigned char)s[i - 1]))) {
			s[i] = '\0';
			return;
		}
	}
}

static int parse_line(struct parser *ps)
{
	char *s;

	strip_comment(ps->line_buf);
	s = trim(ps->line_buf);
	if (*s == '\0')
		return 0;
	if (*s == '[')
		return parse_section(ps, s);
	return parse_key_value(ps, s);
}

/* Next line into line_buf: 1, 0 at the end of the file, -1 on error. */
static int read_line(struct parser *ps, FILE *fp)
{
	int c;

	ps->line++;
	ps->line_len = 0;
	while ((c = getc(fp)) != EOF && c != '\n') {
		if (c == '\0')
			return fail(ps, "NUL byte in line");
		if (ps->line_len == CONFIG_LINE_MAX)
			return fail(ps, "line longer than %d characters", CONFIG_LINE_MAX);
		ps->line_buf[ps->line_len++] = (char)c;
	}
	if (c == EOF && ferror(fp))
		return fail(ps, "read error: %s", strerror(errno));
	if (c == EOF && ps->line_len == 0)
		return 0;
	if (ps->line_len > 0 && ps->line_buf[ps->line_len - 1] == '\r')
		ps->line_len--;
	ps->line_buf[ps->line_len] = '\0';
	return 1;
}

static int parse_stream(struct parser *ps, FILE *fp)
{
	int r;

	while ((r = read_line(ps, fp)) == 1) {
		r = parse_line(ps);
		OPENSSL_cleanse(ps->line_buf, ps->line_len + 1);
		if (r == -1)
			return -1;
	}
	if (r == -1)
		return -1;
	return end_section(ps);
}

void ikemond_config_defaults(struct ikemond_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	config_value_addr("0.0.0.0", CONFIG_IKE_PORT, &cfg->listen[0]);
	config_value_addr("::", CONFIG_IKE_PORT, &cfg->listen[1]);
	cfg->n_listen = 2;
	snprintf(cfg->control, sizeof(cfg->control), "%s", IKEMOND_DEFAULT_CONTROL);
	cfg->log_target = IKEMOND_LOG_STDERR;
	cfg->log_level = LOG_INFO;
	ike_settings_default(&cfg->settings);
	stall_settings_default(&cfg->stall);
}

int ikemond_config_load(const char *path, struct ikemond_config *cfg, char *err, size_t errlen)
{
	struct parser ps;
	FILE *fp;
	int ret = -1;

	ikemond_config_defaults(cfg);
	memset(&ps, 0, sizeof(ps));
	ps.path = path;
	ps.cfg = cfg;
	ps.err = err;
	ps.errlen = errlen;
	fp = fopen(path, "re");
	if (fp == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (setvbuf(fp, ps.io_buf, _IOFBF, sizeof(ps.io_buf)) != 0)
		fail_at(&ps, 0, "cannot set up reading");
	else
		ret = parse_stream(&ps, fp);
	fclose(fp);
	OPENSSL_cleanse(ps.io_buf, sizeof(ps.io_buf));
	OPENSSL_cleanse(ps.line_buf, sizeof(ps.line_buf));
	if (ret == -1) {
		/* The peer being parsed is not counted in n_peers: wipe all we allocated. */
		if (cfg->peers != NULL)
			OPENSSL_cleanse(cfg->peers, ps.peers_cap * sizeof(*cfg->peers));
		ikemond_config_free(cfg);
	}
	return ret;
}

void ikemond_config_free(struct ikemond_config *cfg)
{
	if (cfg->peers != NULL) {
		OPENSSL_cleanse(cfg->peers, cfg->n_peers * sizeof(*cfg->peers));
		free(cfg->peers);
	}
	cfg->peers = NULL;
	cfg->n_peers = 0;
}
