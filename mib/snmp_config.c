/*
 * snmp_config.c - the [snmp] section of ikemond.conf: its defaults, the syntax of each
 * key, and the translation of the access and notification keys into the lines
 * Net-SNMP's own config parser reads (mib/snmp_agent.c hands them over at start).
 *
 * The keys are spelled as snmpd.conf spells them, so an operator can copy lines across;
 * what differs is that every community and user is restricted to the ikemon view
 * (SNMP_VIEW_NAME), and that values are checked here, so that a typo is reported as
 * "FILE:LINE: ..." by config.c instead of being found by Net-SNMP at start.
 *
 * The notification targets (trap2sink, informsink, trapsess) are mib/snmp_trapsess.c's.
 * Communities and passphrases live in the lines: messages never quote them,
 * snmp_config_secrets() lists them for the log filter, snmp_config_free() wipes them.
 * Tokens are blank-separated; a token with blanks is written in double quotes, and no
 * token may hold a quote or a backslash (Net-SNMP's own quoting would read them).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "agent/failhist.h"
#include "mib/snmp_agent.h"
#include "mib/snmp_config_priv.h"

#define DEFAULT_BURST  20
#define DEFAULT_PERIOD 10

int snmpcfg_fail(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

void snmp_config_default(struct snmp_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = SNMP_MODE_MASTER;
	snprintf(c->listen, sizeof(c->listen), "udp:127.0.0.1:1161");
	snprintf(c->agentx_socket, sizeof(c->agentx_socket), "/var/agentx/master");
	snprintf(c->persistent_dir, sizeof(c->persistent_dir), "/var/lib/ikemon/snmp");
	c->fail_history = FAILHIST_DEFAULT_MAX;
	c->notify_burst = DEFAULT_BURST;
	c->notify_period_s = DEFAULT_PERIOD;
}

void snmp_config_free(struct snmp_config *c)
{
	OPENSSL_cleanse(c->lines, sizeof(c->lines));
	c->n_lines = 0;
}

bool snmp_config_needs_restart(const struct snmp_config *a, const struct snmp_config *b)
{
	struct snmp_config x = *a;
	bool differ;

	/* what a reload applies live does not count */
	x.fail_history = b->fail_history;
	x.notify_burst = b->notify_burst;
	x.notify_period_s = b->notify_period_s;
	differ = !snmp_config_equal(&x, b);
	OPENSSL_cleanse(&x, sizeof(x));
	return differ;
}

bool snmp_config_equal(const struct snmp_config *a, const struct snmp_config *b)
{
	if (a->mode != b->mode || a->n_lines != b->n_lines || a->notify_burst != b->notify_burst ||
	    a->notify_period_s != b->notify_period_s || strcmp(a->listen, b->listen) != 0 ||
	    strcmp(a->agentx_socket, b->agentx_socket) != 0 ||
	    strcmp(a->persistent_dir, b->persistent_dir) != 0 ||
	    strcmp(a->engine_id, b->engine_id) != 0 || a->v3_only != b->v3_only)
		return false;
	for (size_t i = 0; i < a->n_lines; i++) {
		if (strcmp(a->lines[i], b->lines[i]) != 0)
			return false;
	}
	return true;
}

/* ---- tokens ---- */

/*
 * Split s in place into blank-separated tokens; "a b" is one token without its quotes.
 * No token may hold a quote or a backslash, nor a control character.
 */
int snmpcfg_tokenize(char *s, struct tokens *t, char *msg, size_t msglen)
{
	char *p = s;

	t->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		if (t->n == MAX_TOKENS)
			return snmpcfg_fail(msg, msglen, "more than %d words", MAX_TOKENS);
		if (*p == '"') {
			t->v[t->n++] = ++p;
			while (*p != '\0' && *p != '"')
				p++;
			if (*p == '\0')
				return snmpcfg_fail(msg, msglen,
				                    "a quoted word lacks its closing quote");
			*p++ = '\0';
			if (*p != '\0' && *p != ' ' && *p != '\t')
				return snmpcfg_fail(msg, msglen, "a closing quote must end a word");
		} else {
			t->v[t->n++] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
			if (*p != '\0')
				*p++ = '\0';
		}
	}
}

/* Quotes, backslashes and control characters are refused in every word. */
static bool word_ok(const char *w)
{
	for (; *w != '\0'; w++) {
		if (*w == '"' || *w == '\'' || *w == '\\' || iscntrl((unsigned char)*w))
			return false;
	}
	return true;
}

static int check_words(const struct tokens *t, const char *key, char *msg, size_t msglen)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!word_ok(t->v[i]))
			return snmpcfg_fail(
			    msg, msglen,
			    "%s: word %zu holds a quote, a backslash or a control character", key,
			    i + 1);
	}
	return 0;
}

/* Append a word to a line, quoted when it holds a blank. */
static int append_word(char *line, const char *w)
{
	size_t len = strlen(line);
	bool quote = strpbrk(w, " \t") != NULL || w[0] == '\0';
	int n = snprintf(line + len, SNMP_CFG_LINE_MAX - len, "%s%s%s%s", len > 0 ? " " : "",
	                 quote ? "\"" : "", w, quote ? "\"" : "");

	return n < 0 || (size_t)n >= SNMP_CFG_LINE_MAX - len ? -1 : 0;
}

/* Add a Net-SNMP line of words (NULL-terminated). */
int snmpcfg_add_line(struct snmp_config *c, char *msg, size_t msglen, const char *const *words)
{
	char *line;

	if (c->n_lines == SNMP_CFG_MAX_LINES)
		return snmpcfg_fail(msg, msglen, "more than %d access and notification lines",
		                    SNMP_CFG_MAX_LINES);
	line = c->lines[c->n_lines];
	line[0] = '\0';
	for (; *words != NULL; words++) {
		if (append_word(line, *words) == -1) {
			OPENSSL_cleanse(line, SNMP_CFG_LINE_MAX);
			return snmpcfg_fail(msg, msglen, "line longer than %d characters",
			                    SNMP_CFG_LINE_MAX - 1);
		}
	}
	c->n_lines++;
	return 0;
}

/* ---- single values ---- */

/* An IP address of the family, with an optional /PREFIX, or "default". */
static bool source_ok(const char *s, int family)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned char addr[16];
	char *slash, *end;
	unsigned long bits;
	unsigned max = family == AF_INET ? 32 : 128;

	if (strcmp(s, "default") == 0)
		return true;
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		if (!isdigit((unsigned char)*slash))
			return false;
		bits = strtoul(slash, &end, 10);
		if (*end != '\0' || bits > max)
			return false;
	}
	return inet_pton(family, buf, addr) == 1;
}

/* 1..max printable characters. */
bool snmpcfg_printable(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (; *s != '\0'; s++) {
		if (!isprint((unsigned char)*s))
			return false;
	}
	return true;
}

/* A transport address: [udp:|tcp:|udp6:|tcp6:]HOST[:PORT], no blanks. */
bool snmpcfg_host_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= HOST_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:-_[]") ==
	           len;
}

static bool port_ok(const char *s)
{
	char *end;
	unsigned long p;

	if (!isdigit((unsigned char)*s))
		return false;
	p = strtoul(s, &end, 10);
	return *end == '\0' && p >= 1 && p <= 65535;
}

/*
 * One agentAddress item: [udp:|tcp:]IPV4[:PORT] or udp6:|tcp6:[IPV6][:PORT] (numeric
 * addresses only: a listen address never waits on DNS).
 */
static bool listen_item_ok(const char *item)
{
	char buf[HOST_MAX + 1], addr[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	const char *rest = item, *close;
	char *colon;
	int family = AF_INET;

	if (strlen(item) > HOST_MAX)
		return false;
	if (strncmp(rest, "udp:", 4) == 0 || strncmp(rest, "tcp:", 4) == 0) {
		rest += 4;
	} else if (strncmp(rest, "udp6:", 5) == 0 || strncmp(rest, "tcp6:", 5) == 0) {
		rest += 5;
		family = AF_INET6;
	}
	if (family == AF_INET6) {
		if (*rest != '[' || (close = strchr(rest, ']')) == NULL ||
		    (size_t)(close - rest - 1) >= sizeof(addr))
			return false;
		memcpy(addr, rest + 1, (size_t)(close - rest - 1));
		addr[close - rest - 1] = '\0';
		if (close[1] != '\0' && (close[1] != ':' || !port_ok(close + 2)))
			return false;
		return inet_pton(AF_INET6, addr, bin) == 1;
	}
	strcpy(buf, rest);
	colon = strchr(buf, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (!port_ok(colon + 1))
			return false;
	}
	return inet_pton(AF_INET, buf, bin) == 1;
}

static int set_listen(struct snmp_config *c, char *val, char *msg, size_t msglen)
{
	char out[SNMP_CFG_LINE_MAX] = "";
	char *rest = val, *item, *comma;
	size_t n = 0, len;

	while (rest != NULL) {
		item = rest;
		comma = strchr(rest, ',');
		rest = comma != NULL ? comma + 1 : NULL;
		if (comma != NULL)
			*comma = '\0';
		while (*item == ' ' || *item == '\t')
			item++;
		len = strlen(item);
		while (len > 0 && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			item[--len] = '\0';
		if (!listen_item_ok(item))
			return snmpcfg_fail(msg, msglen,
			                    "bad listen address '%.60s' (expected udp:ADDR:PORT, "
			                    "tcp:ADDR:PORT or udp6:[ADDR]:PORT, numeric addresses)",
			                    item);
		if (strlen(out) + len + 2 > sizeof(out))
			return snmpcfg_fail(msg, msglen, "listen list too long");
		if (n++ > 0)
			strcat(out, ",");
		strcat(out, item);
	}
	strcpy(c->listen, out);
	return 0;
}

static int set_mode(struct snmp_config *c, const char *val, char *msg, size_t msglen)
{
	if (strcmp(val, "master") == 0)
		c->mode = SNMP_MODE_MASTER;
	else if (strcmp(val, "agentx") == 0)
		c->mode = SNMP_MODE_AGENTX;
	else if (strcmp(val, "off") == 0)
		c->mode = SNMP_MODE_OFF;
	else
		return snmpcfg_fail(msg, msglen,
		                    "bad mode '%.40s' (expected master, agentx or off)", val);
	return 0;
}

static int set_v3_only(struct snmp_config *c, const char *val, char *msg, size_t msglen)
{
	if (strcmp(val, "yes") == 0 || strcmp(val, "on") == 0)
		c->v3_only = true;
	else if (strcmp(val, "no") == 0 || strcmp(val, "off") == 0)
		c->v3_only = false;
	else
		return snmpcfg_fail(msg, msglen, "bad v3_only '%.40s' (expected yes or no)", val);
	return 0;
}

/* A Unix socket path or [tcp:]HOST:PORT, as snmpd's agentXSocket. */
static int set_agentx_socket(struct snmp_config *c, const char *val, char *msg, size_t msglen)
{
	bool unix_path = val[0] == '/' || strncmp(val, "unix:/", 6) == 0;

	if ((unix_path && (strlen(val) > 100 || strpbrk(val, " \t\"\\") != NULL)) ||
	    (!unix_path && !snmpcfg_host_ok(val)))
		return snmpcfg_fail(
		    msg, msglen,
		    "bad agentx_socket '%.60s' (expected an absolute socket path of at "
		    "most 100 characters, or tcp:HOST:PORT)",
		    val);
	snprintf(c->agentx_socket, sizeof(c->agentx_socket), "%s", val);
	return 0;
}

static int set_persistent_dir(struct snmp_config *c, const char *val, char *msg, size_t msglen)
{
	if (val[0] != '/' || strlen(val) > 200 || strpbrk(val, " \t\"\\") != NULL)
		return snmpcfg_fail(
		    msg, msglen,
		    "bad persistent_dir '%.60s' (expected an absolute path of at most 200 "
		    "characters, no blanks)",
		    val);
	snprintf(c->persistent_dir, sizeof(c->persistent_dir), "%s", val);
	return 0;
}

/* SnmpEngineID: 5 to 32 octets (RFC 3411), written 0xHEX. */
static int set_engine_id(struct snmp_config *c, const char *val, char *msg, size_t msglen)
{
	size_t len = strlen(val);

	if (len < 2 + 10 || len > 2 + 64 || len % 2 != 0 || val[0] != '0' ||
	    (val[1] != 'x' && val[1] != 'X') ||
	    strspn(val + 2, "0123456789abcdefABCDEF") != len - 2)
		return snmpcfg_fail(msg, msglen,
		                    "bad engine_id '%.70s' (expected 0x and 5 to 32 octets in hex)",
		                    val);
	snprintf(c->engine_id, sizeof(c->engine_id), "%s", val);
	return 0;
}

static bool u32_in(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s) || strlen(s) > 10)
		return false;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int set_fail_history(struct snmp_config *c, const char *val, char *msg, size_t msglen)
{
	if (!u32_in(val, 1, FAILHIST_MAX_MAX, &c->fail_history))
		return snmpcfg_fail(msg, msglen, "bad fail_history '%.40s' (expected 1 to %d)", val,
		                    FAILHIST_MAX_MAX);
	return 0;
}

static int set_notify_limit(struct snmp_config *c, const char *val, char *msg, size_t msglen)
{
	char buf[32];
	char *slash;

	if (strlen(val) >= sizeof(buf))
		goto bad;
	strcpy(buf, val);
	slash = strchr(buf, '/');
	if (slash == NULL)
		goto bad;
	*slash = '\0';
	if (!u32_in(buf, 1, 10000, &c->notify_burst) ||
	    !u32_in(slash + 1, 1, 3600, &c->notify_period_s))
		goto bad;
	return 0;
bad:
	return snmpcfg_fail(
	    msg, msglen,
	    "bad notify_limit '%.40s' (expected BURST/SECONDS: 1 to 10000 notifications "
	    "per 1 to 3600 seconds)",
	    val);
}

/* ---- access ---- */

/* rocommunity = COMMUNITY [SOURCE]; rocommunity6 the same with an IPv6 source. */
static int set_rocommunity(struct snmp_config *c, const char *key, struct tokens *t, char *msg,
                           size_t msglen)
{
	int family = strcmp(key, "rocommunity6") == 0 ? AF_INET6 : AF_INET;
	const char *source = t->n > 1 ? t->v[1] : "default";

	if (t->n < 1 || t->n > 2)
		return snmpcfg_fail(
		    msg, msglen,
		    "%s takes COMMUNITY [SOURCE] (the view is always the ikemon subtree)", key);
	if (!snmpcfg_printable(t->v[0], COMMUNITY_MAX))
		return snmpcfg_fail(msg, msglen,
		                    "%s: the community must be 1 to %d printable characters", key,
		                    COMMUNITY_MAX);
	if (!source_ok(source, family))
		return snmpcfg_fail(
		    msg, msglen, "%s: bad source '%.60s' (expected default or %s[/PREFIX])", key,
		    source, family == AF_INET ? "an IPv4 address" : "an IPv6 address");
	return snmpcfg_add_line(
	    c, msg, msglen,
	    (const char *const[]){key, t->v[0], source, "-V", SNMP_VIEW_NAME, NULL});
}

/* rouser = USER [authpriv|authnopriv] (priv and auth as snmpd.conf spells them too). */
static int set_rouser(struct snmp_config *c, struct tokens *t, char *msg, size_t msglen)
{
	const char *level = "priv";

	if (t->n < 1 || t->n > 2)
		return snmpcfg_fail(msg, msglen, "rouser takes USER [authpriv|authnopriv]");
	if (!snmpcfg_printable(t->v[0], USER_MAX) || strpbrk(t->v[0], " \t") != NULL)
		return snmpcfg_fail(
		    msg, msglen, "rouser: the user must be 1 to %d printable characters", USER_MAX);
	if (t->n == 2) {
		if (strcasecmp(t->v[1], "authpriv") == 0 || strcasecmp(t->v[1], "priv") == 0)
			level = "priv";
		else if (strcasecmp(t->v[1], "authnopriv") == 0 || strcasecmp(t->v[1], "auth") == 0)
			level = "auth";
		else
			return snmpcfg_fail(
			    msg, msglen,
			    "rouser: bad level '%.20s' (expected authpriv or authnopriv; "
			    "SNMPv3 without authentication is not offered)",
			    t->v[1]);
	}
	return snmpcfg_add_line(
	    c, msg, msglen,
	    (const char *const[]){"rouser", t->v[0], level, "-V", SNMP_VIEW_NAME, NULL});
}

bool snmpcfg_auth_proto_ok(const char *s)
{
	static const char *const ok[] = {"SHA-256", "SHA-384", "SHA-512", "SHA-224", "SHA"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcmp(s, ok[i]) == 0)
			return true;
	}
	return false;
}

bool snmpcfg_passphrase_ok(const char *s)
{
	return strlen(s) >= PASSPHRASE_MIN && snmpcfg_printable(s, PASSPHRASE_MAX);
}

/* createUser = USER AUTHPROTO AUTHPASS [AES [PRIVPASS]] */
static int set_create_user(struct snmp_config *c, struct tokens *t, char *msg, size_t msglen)
{
	const char *words[7] = {"createUser"};
	size_t n = 1;

	if (t->n < 3 || t->n > 5)
		return snmpcfg_fail(msg, msglen,
		                    "createUser takes USER SHA-256 AUTHPASS [AES [PRIVPASS]]");
	if (!snmpcfg_printable(t->v[0], USER_MAX) || strpbrk(t->v[0], " \t") != NULL ||
	    t->v[0][0] == '-')
		return snmpcfg_fail(
		    msg, msglen,
		    "createUser: the user must be 1 to %d printable characters, no blank",
		    USER_MAX);
	if (!snmpcfg_auth_proto_ok(t->v[1]))
		return snmpcfg_fail(
		    msg, msglen,
		    "createUser: bad authentication protocol '%.20s' (expected SHA-256, "
		    "SHA-384, SHA-512, SHA-224 or SHA; MD5 is not offered)",
		    t->v[1]);
	if (!snmpcfg_passphrase_ok(t->v[2]))
		return snmpcfg_fail(
		    msg, msglen,
		    "createUser: the authentication passphrase must be %d to %d printable "
		    "characters",
		    PASSPHRASE_MIN, PASSPHRASE_MAX);
	if (t->n >= 4 && strcmp(t->v[3], "AES") != 0 && strcmp(t->v[3], "AES-128") != 0)
		return snmpcfg_fail(
		    msg, msglen,
		    "createUser: bad privacy protocol '%.20s' (expected AES, i.e. AES-128; "
		    "DES is not offered)",
		    t->v[3]);
	if (t->n == 5 && !snmpcfg_passphrase_ok(t->v[4]))
		return snmpcfg_fail(
		    msg, msglen,
		    "createUser: the privacy passphrase must be %d to %d printable characters",
		    PASSPHRASE_MIN, PASSPHRASE_MAX);
	words[n++] = t->v[0];
	words[n++] = t->v[1];
	words[n++] = t->v[2];
	if (t->n >= 4)
		words[n++] = "AES";
	if (t->n == 5)
		words[n++] = t->v[4];
	words[n] = NULL;
	return snmpcfg_add_line(c, msg, msglen, words);
}

/* ---- dispatch ---- */

/* The keys whose value is a list of words (and a Net-SNMP line). */
static int set_words(struct snmp_config *c, const char *key, char *val, char *msg, size_t msglen)
{
	struct tokens t;
	int r;

	if (snmpcfg_tokenize(val, &t, msg, msglen) == -1 || check_words(&t, key, msg, msglen) == -1)
		return -1;
	if (strcmp(key, "rocommunity") == 0 || strcmp(key, "rocommunity6") == 0)
		r = set_rocommunity(c, key, &t, msg, msglen);
	else if (strcmp(key, "rouser") == 0)
		r = set_rouser(c, &t, msg, msglen);
	else if (strcmp(key, "createUser") == 0)
		r = set_create_user(c, &t, msg, msglen);
	else if (strcmp(key, "trap2sink") == 0 || strcmp(key, "informsink") == 0)
		r = snmpcfg_set_sink(c, key, &t, msg, msglen);
	else if (strcmp(key, "trapsess") == 0)
		r = snmpcfg_set_trapsess(c, &t, msg, msglen);
	else
		r = snmpcfg_fail(msg, msglen, "unknown key '%.40s' in [snmp]", key);
	return r;
}

int snmp_config_set(struct snmp_config *c, const char *key, char *val, char *msg, size_t msglen)
{
	if (strcmp(key, "mode") == 0)
		return set_mode(c, val, msg, msglen);
	if (strcmp(key, "listen") == 0)
		return set_listen(c, val, msg, msglen);
	if (strcmp(key, "agentx_socket") == 0)
		return set_agentx_socket(c, val, msg, msglen);
	if (strcmp(key, "persistent_dir") == 0)
		return set_persistent_dir(c, val, msg, msglen);
	if (strcmp(key, "engine_id") == 0)
		return set_engine_id(c, val, msg, msglen);
	if (strcmp(key, "fail_history") == 0)
		return set_fail_history(c, val, msg, msglen);
	if (strcmp(key, "notify_limit") == 0)
		return set_notify_limit(c, val, msg, msglen);
	if (strcmp(key, "v3_only") == 0)
		return set_v3_only(c, val, msg, msglen);
	return set_words(c, key, val, msg, msglen);
}

/* ---- secrets ---- */

static void line_secrets(const struct tokens *t, void (*fn)(void *ctx, const char *secret),
                         void *ctx)
{
	const char *key = t->v[0];

	if ((strcmp(key, "rocommunity") == 0 || strcmp(key, "rocommunity6") == 0) && t->n > 1)
		fn(ctx, t->v[1]);
	if ((strcmp(key, "trap2sink") == 0 || strcmp(key, "informsink") == 0) && t->n > 2)
		fn(ctx, t->v[2]);
	if (strcmp(key, "createUser") == 0) {
		if (t->n > 3)
			fn(ctx, t->v[3]);
		if (t->n > 5)
			fn(ctx, t->v[5]);
	}
	if (strcmp(key, "trapsess") == 0)
		snmpcfg_trapsess_secrets(t, fn, ctx);
}

void snmp_config_secrets(const struct snmp_config *c, void (*fn)(void *ctx, const char *secret),
                         void *ctx)
{
	char buf[SNMP_CFG_LINE_MAX];
	struct tokens t;
	char msg[8];

	for (size_t i = 0; i < c->n_lines; i++) {
		memcpy(buf, c->lines[i], sizeof(buf));
		if (snmpcfg_tokenize(buf, &t, msg, sizeof(msg)) == 0 && t.n > 0)
			line_secrets(&t, fn, ctx);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}
