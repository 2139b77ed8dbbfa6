/*
 * config.c - the ikemond.conf parser.
 *
 * One pass over the file, one line at a time, into a fixed line buffer: memory stays
 * bounded whatever the file holds.  Keys are described once in key_rules (name, sections,
 * setter, and for a family such as stall_after.STATE the parser of its member names); the
 * dispatcher checks section, member and duplicates before any setter runs.  Checks that
 * need the whole file (the stall thresholds against the retransmission span) run at the
 * end.
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
#define CONFIG_MAX_KEYS      40                    /* bound of key_rules, checked below */
#define CONFIG_MEMBERS       (CISCO_STATE_MAX + 1) /* members of a key family, 0 unused */
#define CONFIG_MSG_MAX       256                   /* a value parser's message */
#define DEFAULT_IKE_LIFETIME 28800
#define CONFIG_MAX_CHILDREN  16 /* local_ts x remote_ts pairs of one peer */
#define DEFAULT_ESP          "aes128-sha256"
#define DEFAULT_IPSEC_LIFE   3600
/* Preference order; MODP-2048 and ECP-256 for interop, no MODP-1024. */
#define DEFAULT_IKE_PROPOSALS                                                                      \
	"aes128-sha256-modp2048,aes256-sha256-modp2048,aes128-sha256-ecp256,"                      \
	"aes256-sha384-ecp384,aes128-sha1-modp2048"

/* Bits: a key may belong to both sections. */
enum section { SEC_NONE = 0, SEC_IKEMOND = 1, SEC_PEER = 2, SEC_BOTH = 3 };

/* Where a stall threshold came from, for the span check's message. */
struct threshold_origin {
	uint32_t ms;
	unsigned line; /* 0: the default */
	char what[80]; /* "stall_after.MM_KEY_EXCH of [peer b1]" */
};

struct parser {
	const char *path;
	unsigned line;
	struct ikemond_config *cfg;
	enum section section;
	unsigned section_line;
	unsigned ikemond_line; /* line of [ikemond]; 0 before one */
	/* line each key (and family member) was set on in this section; [ikemond]'s kept */
	unsigned key_line[CONFIG_MAX_KEYS][CONFIG_MEMBERS];
	unsigned ikemond_key_line[CONFIG_MAX_KEYS][CONFIG_MEMBERS];
	const char *key;                   /* key being set, as written, for messages */
	size_t member;                     /* its family member; 0 for a plain key */
	struct threshold_origin peer_most; /* the largest threshold a peer set itself */
	struct ike_peer_cfg *peer;         /* peer being parsed (not yet counted) */
	size_t peers_cap;
	char *err;
	size_t errlen;
	size_t line_len;
	char line_buf[CONFIG_LINE_MAX + 1];
	char io_buf[4096]; /* stdio's buffer, ours so that it can be wiped */
};

typedef int (*key_setter)(struct parser *, char *);

/* A family of keys: a prefix and a member name ("stall_after." + "MM_KEY_EXCH"). */
struct key_family {
	/* the member's index (1 to CONFIG_MEMBERS - 1) from its name, or -1 (failed) */
	int (*member)(struct parser *, const char *key, const char *name);
	const char *shown; /* a member in lists of keys: "STATE" */
};

struct key_rule {
	const char *name;  /* the key, or a family's prefix */
	unsigned sections; /* enum section bits */
	key_setter set;
	const struct key_family *family; /* NULL for a plain key */
};

static int vfail_at(const struct parser *ps, unsigned line, const char *fmt, va_list ap)
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

static int fail_at(const struct parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const struct parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Report "FILE:LINE: message"; returns -1 so that callers can return it. */
static int fail_at(const struct parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ps, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* The same, for the line being parsed. */
static int fail(const struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ps, ps->line, fmt, ap);
	va_end(ap);
	return -1;
}

/* [ikemond] */

static int set_listen(struct parser *ps, char *val)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_listen(val, ps->cfg->listen, IKEMOND_MAX_LISTEN, &ps->cfg->n_listen, msg,
	                        sizeof(msg)) == -1)
		return fail(ps, "%s", msg);
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
	if (!config_value_log_level(val, &ps->cfg->log_level))
		return fail(ps,
		            "bad log_level '%.40s' (expected err, warning, notice, info or debug)",
		            val);
	return 0;
}

/* The integer keys: each names its range in its error. */
static int set_u32(struct parser *ps, const char *val, uint32_t min, uint32_t max, uint32_t *out)
{
	if (!config_value_u32(val, min, max, out))
		return fail(ps, "bad %s '%.40s' (expected %u to %u)", ps->key, val, min, max);
	return 0;
}

/* The duration keys: seconds with decimals, kept in milliseconds. */
static int set_seconds(struct parser *ps, const char *val, uint32_t min_ms, uint32_t max_ms,
                       uint32_t *out)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_seconds_in(val, ps->key, min_ms, max_ms, out, msg, sizeof(msg)) == -1)
		return fail(ps, "%s", msg);
	return 0;
}

static int set_retransmit_timeout(struct parser *ps, char *val)
{
	return set_seconds(ps, val, 50, 60000, &ps->cfg->settings.retransmit_timeout_ms);
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

static int set_peer_down_after(struct parser *ps, char *val)
{
	return set_seconds(ps, val, 100, 86400000, &ps->cfg->stall.peer_down_after_ms);
}

static int set_alarm_holddown(struct parser *ps, char *val)
{
	return set_seconds(ps, val, 0, 3600000, &ps->cfg->stall.holddown_ms);
}

static int set_alarm_history(struct parser *ps, char *val)
{
	return set_u32(ps, val, 0, 100000, &ps->cfg->stall.history_max);
}

/* [ikemond] or [peer NAME]: stall thresholds, global or the peer's own (0 = unset). */

/* own: the peer's field, NULL in [ikemond]. */
static int set_threshold(struct parser *ps, const char *val, uint32_t *global, uint32_t *own)
{
	return set_seconds(ps, val, 100, 86400000, own != NULL ? own : global);
}

static int set_stall_after(struct parser *ps, char *val)
{
	return set_threshold(ps, val, &ps->cfg->stall.stall_after_ms,
	                     ps->peer != NULL ? &ps->peer->stall.stall_after_ms : NULL);
}

static int set_qm_stall_after(struct parser *ps, char *val)
{
	return set_threshold(ps, val, &ps->cfg->stall.qm_stall_after_ms,
	                     ps->peer != NULL ? &ps->peer->stall.qm_stall_after_ms : NULL);
}

/* stall_after.STATE: ps->member is the state. */
static int set_stall_after_state(struct parser *ps, char *val)
{
	return set_threshold(ps, val, &ps->cfg->stall.state_ms[ps->member],
	                     ps->peer != NULL ? &ps->peer->stall.state_ms[ps->member] : NULL);
}

static int stall_state_member(struct parser *ps, const char *key, const char *name)
{
	enum cisco_state state;
	char msg[CONFIG_MSG_MAX];

	if (config_value_stall_state(name, key, &state, msg, sizeof(msg)) == -1)
		return fail(ps, "%s", msg);
	return (int)state;
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

static const struct key_family stall_states = {stall_state_member, "STATE"};

static const struct key_rule key_rules[] = {
    {"listen", SEC_IKEMOND, set_listen, NULL},
    {"control", SEC_IKEMOND, set_control, NULL},
    {"log", SEC_IKEMOND, set_log, NULL},
    {"log_level", SEC_IKEMOND, set_log_level, NULL},
    {"retransmit_timeout", SEC_IKEMOND, set_retransmit_timeout, NULL},
    {"retransmit_tries", SEC_IKEMOND, set_retransmit_tries, NULL},
    {"deleted_linger", SEC_IKEMOND, set_deleted_linger, NULL},
    {"restart_delay", SEC_IKEMOND, set_restart_delay, NULL},
    {"natt_keepalive", SEC_IKEMOND, set_natt_keepalive, NULL},
    {"peer_down_after", SEC_IKEMOND, set_peer_down_after, NULL},
    {"alarm_holddown", SEC_IKEMOND, set_alarm_holddown, NULL},
    {"alarm_history", SEC_IKEMOND, set_alarm_history, NULL},
    {"remote", SEC_PEER, set_remote, NULL},
    {"local", SEC_PEER, set_local, NULL},
    {"psk", SEC_PEER, set_psk, NULL},
    {"ike", SEC_PEER, set_ike, NULL},
    {"local_id", SEC_PEER, set_local_id, NULL},
    {"remote_id", SEC_PEER, set_remote_id, NULL},
    {"auto", SEC_PEER, set_auto, NULL},
    {"ike_lifetime", SEC_PEER, set_ike_lifetime, NULL},
    {"esp", SEC_PEER, set_esp, NULL},
    {"local_ts", SEC_PEER, set_local_ts, NULL},
    {"remote_ts", SEC_PEER, set_remote_ts, NULL},
    {"mode", SEC_PEER, set_mode, NULL},
    {"ipsec_lifetime", SEC_PEER, set_ipsec_lifetime, NULL},
    {"ipsec_lifetime_kb", SEC_PEER, set_ipsec_lifetime_kb, NULL},
    {"stall_after", SEC_BOTH, set_stall_after, NULL},
    {"stall_after.", SEC_BOTH, set_stall_after_state, &stall_states},
    {"qm_stall_after", SEC_BOTH, set_qm_stall_after, NULL},
};

#define N_KEY_RULES (sizeof(key_rules) / sizeof(key_rules[0]))
_Static_assert(N_KEY_RULES <= CONFIG_MAX_KEYS, "raise CONFIG_MAX_KEYS");

/* The rule of a key as written; for a family, *member_name is what follows the prefix. */
static const struct key_rule *rule_for(const char *key, const char **member_name)
{
	const struct key_rule *r;
	size_t i, len;

	for (i = 0; i < N_KEY_RULES; i++) {
		r = &key_rules[i];
		len = strlen(r->name);
		if (r->family == NULL && strcmp(r->name, key) == 0)
			return r;
		if (r->family != NULL && strncmp(r->name, key, len) == 0) {
			*member_name = key + len;
			return r;
		}
	}
	return NULL;
}

/* The rule named name (a family by its prefix), or NULL. */
static const struct key_rule *rule_named(const char *name)
{
	size_t i;

	for (i = 0; i < N_KEY_RULES; i++) {
		if (strcmp(key_rules[i].name, name) == 0)
			return &key_rules[i];
	}
	return NULL;
}

/* Line on which a key (family member) was set in lines, 0 if it was not. */
static unsigned line_of(const unsigned (*lines)[CONFIG_MEMBERS], const struct key_rule *r,
                        size_t member)
{
	return r == NULL ? 0 : lines[r - key_rules][member];
}

/* Line on which a plain key of the current section was set, 0 if it was not. */
static unsigned key_set_on(const struct parser *ps, const char *key)
{
	return line_of(ps->key_line, rule_named(key), 0);
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
	char label[48], known[384] = "";
	const struct key_rule *r;
	size_t i;

	if (ps->section == SEC_NONE)
		return fail(ps, "unknown key '%.40s' outside any section", key);
	for (i = 0; i < N_KEY_RULES; i++) {
		r = &key_rules[i];
		if ((r->sections & ps->section) == 0)
			continue;
		if (known[0] != '\0')
			strncat(known, ", ", sizeof(known) - strlen(known) - 1);
		strncat(known, r->name, sizeof(known) - strlen(known) - 1);
		if (r->family != NULL)
			strncat(known, r->family->shown, sizeof(known) - strlen(known) - 1);
	}
	return fail(ps, "unknown key '%.40s' in %s (known there: %s)", key,
	            section_label(ps, label, sizeof(label)), known);
}

static const char *section_home(unsigned sections)
{
	if (sections == SEC_IKEMOND)
		return "[ikemond]";
	if (sections == SEC_PEER)
		return "a [peer NAME] section";
	return "[ikemond] or a [peer NAME] section";
}

static int misplaced_key(struct parser *ps, const struct key_rule *r, const char *key)
{
	char label[48];
	const char *home = section_home(r->sections);

	if (ps->section == SEC_NONE)
		return fail(ps, "key '%.60s' outside any section; it belongs in %s", key, home);
	return fail(ps, "key '%.60s' belongs in %s, not in %s", key, home,
	            section_label(ps, label, sizeof(label)));
}

static int parse_key_value(struct parser *ps, char *line)
{
	const struct key_rule *r;
	const char *member_name = NULL;
	char *eq = strchr(line, '=');
	char *key, *val;
	size_t idx;
	int member = 0;

	if (eq == NULL)
		return fail(ps, "expected 'key = value' or a [section] header");
	*eq = '\0';
	key = config_value_trim(line);
	val = config_value_trim(eq + 1);
	if (*key == '\0')
		return fail(ps, "no key before '='");
	r = rule_for(key, &member_name);
	if (r == NULL)
		return unknown_key(ps, key);
	if ((r->sections & ps->section) == 0)
		return misplaced_key(ps, r, key);
	if (r->family != NULL && (member = r->family->member(ps, key, member_name)) == -1)
		return -1;
	idx = (size_t)(r - key_rules);
	if (ps->key_line[idx][member] != 0)
		return fail(ps, "duplicate key '%s' (first set on line %u)", key,
		            ps->key_line[idx][member]);
	if (*val == '\0')
		return fail(ps, "key '%s' has no value", key);
	ps->key_line[idx][member] = ps->line;
	ps->key = key;
	ps->member = (size_t)member;
	return r->set(ps, val);
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
	if (p->n_remote_ts == 0 && !config_value_remote_single(p))
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

/*
 * The largest threshold of one section into o when it beats o->ms: s and p as
 * stall_threshold_ms() takes them (all-zero s for a peer's own values alone), per_state
 * the section's stall_after.STATE values, lines where it set its keys.
 */
static void largest_threshold(const struct stall_settings *s, const struct ike_peer_cfg *p,
                              const uint32_t *per_state, const unsigned (*lines)[CONFIG_MEMBERS],
                              struct threshold_origin *o)
{
	const struct key_rule *r;
	uint32_t t;
	int st, member;

	for (st = CISCO_STATE_MIN; st <= CISCO_STATE_MAX; st++) {
		t = stall_threshold_ms(s, p, st);
		if (t <= o->ms)
			continue;
		member = per_state[st] != 0 ? st : 0;
		r = rule_named(member != 0           ? "stall_after."
		               : st == CISCO_QM_IDLE ? "qm_stall_after"
		                                     : "stall_after");
		o->ms = t;
		o->line = line_of(lines, r, (size_t)member);
		snprintf(o->what, sizeof(o->what), "%s%s%s%s%s", r->name,
		         member != 0 ? cisco_state_name(member) : "", p != NULL ? " of [peer " : "",
		         p != NULL ? p->name : (o->line == 0 ? ", the default" : ""),
		         p != NULL ? "]" : "");
	}
}

/* Keep the largest threshold a peer set itself (its lines are gone after its section). */
static void note_peer_thresholds(struct parser *ps)
{
	const struct parser *cps = ps; /* for the const view of key_line */
	struct stall_settings none;

	memset(&none, 0, sizeof(none));
	largest_threshold(&none, ps->peer, ps->peer->stall.state_ms, cps->key_line, &ps->peer_most);
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
	if (p->autostart == IKE_AUTO_START && !config_value_remote_single(p))
		return fail_at(ps, auto_line,
		               "peer '%s': auto = start needs a single remote address, "
		               "not %s (remote on line %u); use auto = add",
		               p->name, p->remote_any ? "%any" : "a subnet", remote_line);
	if (finish_children(ps) == -1)
		return -1;
	note_peer_thresholds(ps);
	ps->cfg->n_peers++;
	ps->peer = NULL;
	return 0;
}

static int end_section(struct parser *ps)
{
	int ret = 0;

	if (ps->section == SEC_PEER)
		ret = finish_peer(ps);
	if (ps->section == SEC_IKEMOND)
		memcpy(ps->ikemond_key_line, ps->key_line, sizeof(ps->key_line));
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

static int begin_peer(struct parser *ps, const char *name)
{
	struct ikemond_config *cfg = ps->cfg;
	struct ike_peer_cfg *p;
	size_t i;
	char msg[CONFIG_MSG_MAX];

	if (!config_value_peer_name(name))
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
	inner = config_value_trim(line + 1);
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
		return begin_peer(ps, config_value_trim(inner + 4));
	return fail(ps, "unknown section [%.40s] (expected [ikemond] or [peer NAME])", inner);
}

static int parse_line(struct parser *ps)
{
	char *s;

	config_value_strip_comment(ps->line_buf);
	s = config_value_trim(ps->line_buf);
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

/*
 * The line to blame when the largest threshold is a default: the retransmit_* key that
 * shortened the span below its default (retransmit_timeout first), else the one set,
 * else the [ikemond] header.
 */
static unsigned span_line(const struct parser *ps)
{
	const struct ike_settings *set = &ps->cfg->settings;
	unsigned t = line_of(ps->ikemond_key_line, rule_named("retransmit_timeout"), 0);
	unsigned n = line_of(ps->ikemond_key_line, rule_named("retransmit_tries"), 0);
	struct ike_settings def;

	ike_settings_default(&def);
	if (t != 0 && set->retransmit_timeout_ms < def.retransmit_timeout_ms)
		return t;
	if (n != 0 && set->retransmit_tries < def.retransmit_tries)
		return n;
	if (t != 0 || n != 0)
		return t != 0 ? t : n;
	return ps->ikemond_line;
}

/*
 * A stall must be seen before the retransmissions give up (the SA then fails and a new
 * one starts over): every threshold must be shorter than the retransmission span.
 */
static int check_span(const struct parser *ps)
{
	const struct ikemond_config *cfg = ps->cfg;
	uint64_t span = ike_settings_retransmit_span_ms(&cfg->settings);
	uint32_t max = stall_max_threshold_ms(&cfg->stall, cfg->peers, cfg->n_peers);
	struct threshold_origin o = {0};
	const struct threshold_origin *most = &o;
	char t[24], sp[24], rt[24];

	if (max < span)
		return 0;
	largest_threshold(&cfg->stall, NULL, cfg->stall.state_ms, ps->ikemond_key_line, &o);
	if (ps->peer_most.ms > o.ms)
		most = &ps->peer_most;
	return fail_at(ps, most->line != 0 ? most->line : span_line(ps),
	               "the largest stall threshold (%s s, %s) is not shorter than the "
	               "retransmission span (%s s = retransmit_timeout %s s x (2^(%u+1)-1)); "
	               "lower the threshold or raise retransmit_timeout/retransmit_tries",
	               config_value_ms_text(max, t, sizeof(t)), most->what,
	               config_value_ms_text(span, sp, sizeof(sp)),
	               config_value_ms_text(cfg->settings.retransmit_timeout_ms, rt, sizeof(rt)),
	               cfg->settings.retransmit_tries);
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
	if (r == -1 || end_section(ps) == -1)
		return -1;
	return check_span(ps);
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
