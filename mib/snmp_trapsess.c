/*
 * snmp_trapsess.c - the notification targets of [snmp] (trap2sink, informsink, trapsess):
 * their syntax, the checks Net-SNMP would only make at start, and the USM user a v3 trap
 * needs.  The rest of the section is mib/snmp_config.c's; both share
 * mib/snmp_config_priv.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "mib/snmp_agent.h"
#include "mib/snmp_config_priv.h"

/* ---- notification targets ---- */

/* trap2sink = HOST[:PORT] COMMUNITY; informsink the same. */
int snmpcfg_set_sink(struct snmp_config *c, const char *key, struct tokens *t, char *msg,
                     size_t msglen)
{
	if (t->n != 2)
		return snmpcfg_fail(msg, msglen, "%s takes HOST[:PORT] COMMUNITY", key);
	if (!snmpcfg_host_ok(t->v[0]))
		return snmpcfg_fail(msg, msglen, "%s: bad host '%.60s' (expected HOST[:PORT])", key,
		                    t->v[0]);
	if (!snmpcfg_printable(t->v[1], COMMUNITY_MAX))
		return snmpcfg_fail(msg, msglen,
		                    "%s: the community must be 1 to %d printable characters", key,
		                    COMMUNITY_MAX);
	return snmpcfg_add_line(c, msg, msglen, (const char *const[]){key, t->v[0], t->v[1], NULL});
}

/* Options of trapsess (snmptrap's), and whether they take a value. */
struct trapsess_opt {
	char letter;
	bool secret;
};

static const struct trapsess_opt trapsess_opts[] = {
    {'v', false}, {'c', true},  {'u', false}, {'l', false}, {'a', false},
    {'A', true},  {'x', false}, {'X', true},  {'e', false}, {'E', false},
    {'n', false}, {'r', false}, {'t', false}, {'C', false},
};

static const struct trapsess_opt *trapsess_opt(char letter)
{
	for (size_t i = 0; i < sizeof(trapsess_opts) / sizeof(trapsess_opts[0]); i++) {
		if (trapsess_opts[i].letter == letter)
			return &trapsess_opts[i];
	}
	return NULL;
}

/* What a trapsess line says, for its checks. */
struct trapsess_info {
	const char *version, *user, *level, *auth, *authpass, *priv, *privpass, *community;
	const char *host, *engine;
	bool inform; /* -Ci */
};

static const char **trapsess_slot(struct trapsess_info *in, char letter)
{
	switch (letter) {
	case 'v':
		return &in->version;
	case 'u':
		return &in->user;
	case 'l':
		return &in->level;
	case 'a':
		return &in->auth;
	case 'A':
		return &in->authpass;
	case 'x':
		return &in->priv;
	case 'X':
		return &in->privpass;
	case 'c':
		return &in->community;
	case 'e':
		return &in->engine;
	default:
		return NULL;
	}
}

/* Walk a trapsess line's options; value of each into info. */
static int trapsess_parse(const struct tokens *t, struct trapsess_info *in, char *msg,
                          size_t msglen)
{
	const struct trapsess_opt *o;
	const char **slot, *value;
	size_t i;

	memset(in, 0, sizeof(*in));
	for (i = 0; i < t->n; i++) {
		const char *w = t->v[i];

		if (w[0] != '-') {
			if (i + 1 != t->n)
				return snmpcfg_fail(msg, msglen,
				                    "trapsess: the host must be the last word");
			in->host = w;
			break;
		}
		o = trapsess_opt(w[1]);
		if (o == NULL || w[1] == '\0')
			return snmpcfg_fail(
			    msg, msglen,
			    "trapsess: unknown option '%.10s' (known: -v -c -u -l -a -A -x "
			    "-X -e -E -n -r -t -Ci)",
			    w);
		value = w[2] != '\0' ? w + 2 : (i + 1 < t->n ? t->v[++i] : NULL);
		if (value == NULL)
			return snmpcfg_fail(msg, msglen, "trapsess: option -%c lacks its value",
			                    w[1]);
		if (o->letter == 'C' && strcmp(value, "i") != 0)
			return snmpcfg_fail(msg, msglen,
			                    "trapsess: only -Ci (inform) is known of -C");
		if (o->letter == 'C')
			in->inform = true;
		slot = trapsess_slot(in, o->letter);
		if (slot != NULL)
			*slot = value;
	}
	if (in->host == NULL || !snmpcfg_host_ok(in->host))
		return snmpcfg_fail(msg, msglen, "trapsess: the last word must be the HOST[:PORT]");
	return 0;
}

/* The checks of a v3 trapsess. */
static int trapsess_v3(const struct trapsess_info *in, char *msg, size_t msglen)
{
	bool priv = in->level != NULL && strcasecmp(in->level, "authPriv") == 0;

	if (in->user == NULL || !snmpcfg_printable(in->user, USER_MAX))
		return snmpcfg_fail(msg, msglen, "trapsess -v3 needs -u USER");
	if (in->level == NULL || (!priv && strcasecmp(in->level, "authNoPriv") != 0))
		return snmpcfg_fail(msg, msglen, "trapsess -v3 needs -l authPriv or -l authNoPriv");
	if (in->auth == NULL || !snmpcfg_auth_proto_ok(in->auth))
		return snmpcfg_fail(msg, msglen,
		                    "trapsess -v3 needs -a SHA-256 (or SHA-384, SHA-512, "
		                    "SHA-224, SHA)");
	if (in->authpass == NULL || !snmpcfg_passphrase_ok(in->authpass))
		return snmpcfg_fail(msg, msglen,
		                    "trapsess -v3 needs -A with a passphrase of %d to %d "
		                    "printable characters",
		                    PASSPHRASE_MIN, PASSPHRASE_MAX);
	if (priv && (in->priv == NULL ||
	             (strcmp(in->priv, "AES") != 0 && strcmp(in->priv, "AES-128") != 0)))
		return snmpcfg_fail(msg, msglen, "trapsess -l authPriv needs -x AES");
	/*
	 * An inform's user belongs to the receiver's engine: without its ID Net-SNMP
	 * discovers it with a request it waits for, which would hold up ikemond's loop
	 * for seconds whenever the receiver is away.
	 */
	if (in->inform && (in->engine == NULL || strncasecmp(in->engine, "0x", 2) != 0))
		return snmpcfg_fail(msg, msglen,
		                    "trapsess -Ci -v 3 needs -e 0xENGINEID, the receiver's "
		                    "engine ID (its discovery would block ikemond)");
	if (priv && (in->privpass == NULL || !snmpcfg_passphrase_ok(in->privpass)))
		return snmpcfg_fail(msg, msglen,
		                    "trapsess -l authPriv needs -X with a passphrase of %d "
		                    "to %d printable characters",
		                    PASSPHRASE_MIN, PASSPHRASE_MAX);
	return 0;
}

/* trapsess = [-Ci] -v 2c -c COMMUNITY HOST | [-Ci] -v 3 -u USER -l authPriv ... HOST */
int snmpcfg_set_trapsess(struct snmp_config *c, struct tokens *t, char *msg, size_t msglen)
{
	const char *words[MAX_TOKENS + 2] = {"trapsess"};
	struct trapsess_info in;

	if (trapsess_parse(t, &in, msg, msglen) == -1)
		return -1;
	if (in.version == NULL)
		return snmpcfg_fail(msg, msglen, "trapsess needs -v 2c or -v 3");
	if (strcmp(in.version, "2c") == 0) {
		if (in.community == NULL || !snmpcfg_printable(in.community, COMMUNITY_MAX))
			return snmpcfg_fail(msg, msglen, "trapsess -v 2c needs -c COMMUNITY");
	} else if (strcmp(in.version, "3") == 0) {
		if (trapsess_v3(&in, msg, msglen) == -1)
			return -1;
	} else {
		return snmpcfg_fail(msg, msglen,
		                    "trapsess: bad version '%.10s' (expected -v 2c or -v 3)",
		                    in.version);
	}
	for (size_t i = 0; i < t->n; i++)
		words[i + 1] = t->v[i];
	words[t->n + 1] = NULL;
	return snmpcfg_add_line(c, msg, msglen, words);
}

/* Whether a createUser line names user. */
static bool user_created(const struct snmp_config *c, const char *user)
{
	size_t len = strlen(user);

	for (size_t i = 0; i < c->n_lines; i++) {
		if (strncmp(c->lines[i], "createUser ", 11) == 0 &&
		    strncmp(c->lines[i] + 11, user, len) == 0 && c->lines[i][11 + len] == ' ')
			return true;
	}
	return false;
}

/*
 * A v3 trap is authenticated with a user of our own engine (the receiver knows our
 * engine ID): Net-SNMP looks the trapsess user up in its USM table, so a user no
 * createUser names is created from the trapsess line.  An inform's user belongs to
 * the receiver's engine, which Net-SNMP discovers: nothing to create.
 */
static int add_trap_user(struct snmp_config *c, size_t line, char *msg, size_t msglen)
{
	char buf[SNMP_CFG_LINE_MAX];
	const char *words[8] = {"createUser"};
	struct trapsess_info in;
	struct tokens t;
	size_t n = 1;
	int r = 0;

	memcpy(buf, c->lines[line], sizeof(buf));
	if (snmpcfg_tokenize(buf, &t, msg, msglen) == -1 || t.n < 2)
		goto done;
	t.n--; /* the options without "trapsess" */
	memmove(t.v, t.v + 1, t.n * sizeof(t.v[0]));
	if (trapsess_parse(&t, &in, msg, msglen) == -1 || strcmp(in.version, "3") != 0 ||
	    in.inform || user_created(c, in.user))
		goto done;
	words[n++] = in.user;
	words[n++] = in.auth;
	words[n++] = in.authpass;
	if (in.privpass != NULL) {
		words[n++] = "AES";
		words[n++] = in.privpass;
	}
	words[n] = NULL;
	r = snmpcfg_add_line(c, msg, msglen, words);
done:
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

/*
 * v3_only: a line that names a community (rocommunity, rocommunity6, trap2sink,
 * informsink, a trapsess of version 1 or 2c) or a user below authPriv is refused, and
 * one rouser ... priv is required.  The messages quote no secret.
 */
static int check_v3_only(const struct snmp_config *c, char *msg, size_t msglen)
{
	char buf[SNMP_CFG_LINE_MAX];
	struct tokens t;
	bool priv_user = false;
	int ret = 0;

	for (size_t i = 0; i < c->n_lines && ret == 0; i++) {
		const char *v = NULL, *l = NULL;

		memcpy(buf, c->lines[i], sizeof(buf));
		if (snmpcfg_tokenize(buf, &t, msg, msglen) == -1 || t.n == 0) {
			ret = -1;
			break;
		}
		for (size_t k = 1; k < t.n; k++) { /* "-v 3" or "-v3" */
			const char *val;

			if (strncmp(t.v[k], "-v", 2) != 0 && strncmp(t.v[k], "-l", 2) != 0)
				continue;
			val = t.v[k][2] != '\0' ? t.v[k] + 2 : k + 1 < t.n ? t.v[k + 1] : "";
			if (t.v[k][1] == 'v')
				v = val;
			else
				l = val;
		}
		if (strncmp(t.v[0], "rocommunity", 11) == 0 || strcmp(t.v[0], "trap2sink") == 0 ||
		    strcmp(t.v[0], "informsink") == 0)
			ret = snmpcfg_fail(
			    msg, msglen,
			    "v3_only = yes: %s is SNMPv1/v2c with a community; remove it", t.v[0]);
		else if (strcmp(t.v[0], "trapsess") == 0 &&
		         (v == NULL || strcmp(v, "3") != 0 || l == NULL ||
		          strcasecmp(l, "authPriv") != 0))
			ret = snmpcfg_fail(
			    msg, msglen, "v3_only = yes: every trapsess must be -v 3 -l authPriv");
		else if (strcmp(t.v[0], "rouser") == 0 && t.n > 2 && strcmp(t.v[2], "priv") != 0)
			ret = snmpcfg_fail(msg, msglen,
			                   "v3_only = yes: rouser %.32s must be authpriv", t.v[1]);
		else if (strcmp(t.v[0], "rouser") == 0)
			priv_user = true;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (ret == 0 && !priv_user && c->mode == SNMP_MODE_MASTER)
		ret = snmpcfg_fail(msg, msglen, "v3_only = yes needs a rouser USER authpriv");
	return ret;
}

int snmp_config_finish(struct snmp_config *c, char *msg, size_t msglen)
{
	size_t n = c->n_lines;

	if (c->v3_only && check_v3_only(c, msg, msglen) == -1)
		return -1;

	for (size_t i = 0; i < n; i++) {
		if (strncmp(c->lines[i], "trapsess ", 9) == 0 &&
		    add_trap_user(c, i, msg, msglen) == -1)
			return -1;
	}
	return 0;
}

/* The values of -c, -A and -X in a trapsess line's words (t->v[0] is "trapsess"). */
void snmpcfg_trapsess_secrets(const struct tokens *t, void (*fn)(void *ctx, const char *secret),
                              void *ctx)
{
	const struct trapsess_opt *o;

	for (size_t i = 1; i < t->n; i++) {
		if (t->v[i][0] != '-' || (o = trapsess_opt(t->v[i][1])) == NULL)
			continue;
		if (t->v[i][2] != '\0') {
			if (o->secret)
				fn(ctx, t->v[i] + 2);
		} else if (i + 1 < t->n) {
			i++;
			if (o->secret)
				fn(ctx, t->v[i]);
		}
	}
}
