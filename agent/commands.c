/*
 * commands.c - the meaning of a control request: parse the words, call the engine or a
 * view, and say what happened in words an operator understands.
 *
 * The grammar is small enough to be walked by hand: one table of verbs, and each verb
 * checks its own keywords.  Keywords accept any unique prefix (IOS habit), so a table
 * entry is all it takes to make "sh cry isa sa" work.
 *
 * Errors say what was typed, what was expected there, the closest keyword when the word
 * looks like a typo of one ("did you mean 'crypto'?"), and the usage lines of the
 * commands that start with the words understood so far (one table, help_lines[], serves
 * both `help` and these messages).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/commands.h"
#include "agent/suggest.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1"
#endif

#define MAX_WORDS 64
#define HINT      "try 'ikemonctl help'"

struct cmd {
	struct ike_engine *e;
	const struct commands_ops *ops;
	struct strbuf *out;
	char *w[MAX_WORDS];          /* the request's words, "--json" taken out */
	const char *full[MAX_WORDS]; /* w[i] spelled out, once understood as a keyword */
	int n;
	int understood; /* w[0..understood) are keywords, spelled out in full */
	bool json;
};

/* Every command, as `help` prints it; the error messages quote the ones that apply. */
static const char *const help_lines[] = {
    "show crypto isakmp sa [detail] [--json]",
    "show crypto ipsec sa [--json]",
    "show ikemon peers [--json]",
    "show ikemon status [--json]",
    "show alarms [history] [--json]",
    "initiate PEER",
    "clear crypto isakmp [CONN-ID]",
    "clear alarm PEER",
    "reload",
    "version",
};

#define NHELP (sizeof(help_lines) / sizeof(help_lines[0]))

typedef int (*verb_fn)(struct cmd *c);

static int fail(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write an error message and return -1, so handlers can `return fail(...)`. */
static int fail(struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	strbuf_printf(c->out, "%s\n", msg);
	return -1;
}

/* Whether help line starts with the words understood so far. */
static bool help_line_applies(const struct cmd *c, const char *line)
{
	const char *p = line;

	for (int i = 0; i < c->understood; i++) {
		size_t len = strlen(c->full[i]);

		if (strncmp(p, c->full[i], len) != 0 || (p[len] != ' ' && p[len] != '\0'))
			return false;
		p += len;
		while (*p == ' ')
			p++;
	}
	return true;
}

/*
 * Add the usage lines of the commands that start with the words understood so far
 * ("usage: show crypto isakmp sa [detail] [--json]"), or the hint when that is all of
 * them.  Returns -1, as fail() does.
 */
static int usage_after(struct cmd *c)
{
	const char *lead = "usage: ";
	size_t shown = 0;

	if (c->understood == 0) {
		strbuf_printf(c->out, HINT "\n");
		return -1;
	}
	for (size_t i = 0; i < NHELP; i++) {
		if (!help_line_applies(c, help_lines[i]))
			continue;
		strbuf_printf(c->out, "%s%s\n", lead, help_lines[i]);
		lead = "       ";
		shown++;
	}
	if (shown == 0)
		strbuf_printf(c->out, HINT "\n");
	return -1;
}

/* The words understood so far, as typed ("sh cry"), for "after '...'" in messages. */
static const char *typed_so_far(const struct cmd *c, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < c->understood && used < len; i++) {
		int k = snprintf(buf + used, len - used, "%s%.64s", i > 0 ? " " : "", c->w[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
	return buf;
}

/* "'a'", "'a' or 'b'", "'a', 'b' or 'c'" */
static void list_choices(char *buf, size_t len, const char *const *choices, int n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++) {
		const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
		int k = snprintf(buf + used, len - used, "%s'%s'", sep, choices[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/*
 * Word w[at] is not one of choices: say so, with the closest choice when the word looks
 * like a typo of it, and the usage lines that apply.
 */
static int unknown_word(struct cmd *c, int at, const char *const *choices, int n)
{
	const char *near = suggest_closest(c->w[at], choices, (size_t)n);
	char typed[256], list[256];

	typed_so_far(c, typed, sizeof(typed));
	list_choices(list, sizeof(list), choices, n);
	if (near != NULL)
		fail(c, "unknown word '%.64s' after '%s': did you mean '%s'? (expected %s)",
		     c->w[at], typed, near, list);
	else
		fail(c, "unknown word '%.64s' after '%s': expected %s", c->w[at], typed, list);
	return usage_after(c);
}

/* The command stops before w[at], where one of choices must come. */
static int missing_word(struct cmd *c, const char *const *choices, int n)
{
	char typed[256], list[256];

	typed_so_far(c, typed, sizeof(typed));
	list_choices(list, sizeof(list), choices, n);
	fail(c, "incomplete command '%s': %s must follow", typed, list);
	return usage_after(c);
}

/* w[at] is understood as keyword: remember its full spelling for the messages. */
static void understood(struct cmd *c, int at, const char *keyword)
{
	c->full[at] = keyword;
	if (c->understood < at + 1)
		c->understood = at + 1;
}

/* Whether word is a (non-empty) abbreviation of keyword. */
static bool is_abbrev(const char *word, const char *keyword)
{
	size_t len = strlen(word);

	return len > 0 && len <= strlen(keyword) && strncmp(word, keyword, len) == 0;
}

/* Words w[from..] must start with the keywords kw[0..nkw-1]. */
static int expect_keywords(struct cmd *c, int from, const char *const *kw, int nkw)
{
	for (int i = 0; i < nkw; i++) {
		if (from + i >= c->n)
			return missing_word(c, &kw[i], 1);
		if (!is_abbrev(c->w[from + i], kw[i]))
			return unknown_word(c, from + i, &kw[i], 1);
		understood(c, from + i, kw[i]);
	}
	return 0;
}

/*
 * Nothing may follow w[from-1].  optional names the keyword that could have stood at
 * w[from] (NULL when none), for a "did you mean" when the word looks like a typo of it.
 */
static int no_more_words(struct cmd *c, int from, const char *optional)
{
	char typed[256];

	if (from >= c->n)
		return 0;
	typed_so_far(c, typed, sizeof(typed));
	if (optional != NULL && suggest_closest(c->w[from], &optional, 1) != NULL)
		fail(c, "unexpected '%.64s' after '%s': did you mean '%s'?", c->w[from], typed,
		     optional);
	else
		fail(c, "unexpected '%.64s' after '%s'", c->w[from], typed);
	return usage_after(c);
}

/*
 * Word w[at] must name one of choices[0..n-1]: an exact match, else the one choice it
 * abbreviates.  Returns its index, or -1 (message written) when missing, unknown or
 * ambiguous ("i" after "crypto" could be isakmp or ipsec).
 */
static int choose_keyword(struct cmd *c, int at, const char *const *choices, int n)
{
	int found = -1;

	if (at >= c->n)
		return missing_word(c, choices, n);
	for (int i = 0; i < n; i++)
		if (strcmp(c->w[at], choices[i]) == 0) {
			understood(c, at, choices[i]);
			return i;
		}
	for (int i = 0; i < n; i++) {
		if (!is_abbrev(c->w[at], choices[i]))
			continue;
		if (found >= 0) {
			fail(c, "ambiguous word '%.64s': %s or %s?", c->w[at], choices[found],
			     choices[i]);
			return usage_after(c);
		}
		found = i;
	}
	if (found < 0)
		return unknown_word(c, at, choices, n);
	understood(c, at, choices[found]);
	return found;
}

/* ---------------------------------------------------------------- show */

/* show crypto isakmp sa [detail] [--json] */
static int show_isakmp(struct cmd *c)
{
	static const char *const kw[] = {"sa"};
	struct ike_sa_table *t;
	struct ike_dh_stats dh;
	struct timespec now;
	bool detail = false;
	int next = 4;

	if (expect_keywords(c, 3, kw, 1) != 0)
		return -1;
	if (next < c->n && is_abbrev(c->w[next], "detail")) {
		detail = true;
		next++;
	}
	if (no_more_words(c, next, next == 4 ? "detail" : NULL) != 0)
		return -1;
	t = ike_engine_sas(c->e);
	if (c->json) {
		/* JSON always carries everything, so "detail" changes nothing there */
		clock_gettime(CLOCK_MONOTONIC, &now);
		ike_engine_dh_stats(c->e, &dh);
		show_isakmp_sa_json(c->out, ike_sa_first(t), ike_sa_table_counters(t), &dh, &now);
	} else if (detail) {
		show_isakmp_sa_detail(c->out, ike_sa_first(t), time(NULL));
	} else {
		show_isakmp_sa(c->out, ike_sa_first(t));
	}
	return 0;
}

/* show crypto ipsec sa [--json] */
static int show_ipsec(struct cmd *c)
{
	static const char *const kw[] = {"sa"};
	struct ike_sa_table *t;
	struct timespec now;

	if (expect_keywords(c, 3, kw, 1) != 0 || no_more_words(c, 4, NULL) != 0)
		return -1;
	t = ike_engine_sas(c->e);
	if (c->json) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		show_ipsec_sa_json(c->out, ike_sa_first(t), &now);
	} else {
		show_ipsec_sa(c->out, ike_sa_first(t), time(NULL));
	}
	return 0;
}

/* show crypto {isakmp|ipsec} ... */
static int show_crypto(struct cmd *c)
{
	static const char *const kw[] = {"isakmp", "ipsec"};

	switch (choose_keyword(c, 2, kw, 2)) {
	case 0:
		return show_isakmp(c);
	case 1:
		return show_ipsec(c);
	}
	return -1;
}

/* The stall detector's view of peer i: its health, cause and active alarm. */
static void peer_health(struct cmd *c, size_t i, struct show_peer_row *r)
{
	struct stall_detector *d = c->ops != NULL ? c->ops->stall : NULL;
	const struct stall_alarm *a;

	r->health = r->st.up ? PEER_UP : PEER_DOWN;
	r->cause = IKE_CAUSE_NONE;
	r->cause_detail = NULL;
	r->alarm_seq = 0;
	if (d == NULL)
		return;
	r->health = stall_peer_health(d, i, &r->cause, &r->cause_detail);
	a = stall_alarm_of(d, r->st.cfg->name);
	if (a != NULL)
		r->alarm_seq = a->raise_seq;
}

/*
 * show ikemon peers [--json].  The rows are collected here, so that the view is a pure
 * formatter of an array (and testable without an engine).
 */
static int show_ikemon_peers(struct cmd *c)
{
	struct show_peer_row *rows;
	size_t n, got = 0;

	n = ike_engine_peer_count(c->e);
	rows = calloc(n > 0 ? n : 1, sizeof(*rows));
	if (rows == NULL)
		return fail(c, "out of memory");
	for (; got < n && ike_engine_peer_status(c->e, got, &rows[got].st) == 0; got++)
		peer_health(c, got, &rows[got]);
	if (c->json)
		show_peer_rows_json(c->out, rows, got);
	else
		show_peer_rows(c->out, rows, got);
	free(rows);
	return 0;
}

/* show ikemon {peers|status} [--json] */
static int show_ikemon(struct cmd *c)
{
	static const char *const kw[] = {"peers", "status"};
	int which = choose_keyword(c, 2, kw, 2);

	if (which < 0 || no_more_words(c, 3, NULL) != 0)
		return -1;
	if (which == 0)
		return show_ikemon_peers(c);
	if (c->ops == NULL || c->ops->status == NULL)
		return fail(c, "status is not available");
	c->ops->status(c->ops->ctx, c->out, c->json);
	return 0;
}

/* The stall detector, or NULL with the message written. */
static struct stall_detector *alarms_of(struct cmd *c)
{
	if (c->ops == NULL || c->ops->stall == NULL) {
		fail(c, "alarms are not available");
		return NULL;
	}
	return c->ops->stall;
}

/* show alarms [history] [--json] */
static int show_alarms_cmd(struct cmd *c)
{
	struct stall_detector *d;
	const struct stall_alarm *list;
	struct timespec now;
	bool history = false;
	int next = 2;

	if (next < c->n && is_abbrev(c->w[next], "history")) {
		history = true;
		next++;
	}
	if (no_more_words(c, next, next == 2 ? "history" : NULL) != 0 || (d = alarms_of(c)) == NULL)
		return -1;
	list = history ? stall_history(d) : stall_active(d);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (c->json)
		show_alarms_json(c->out, list, stall_last_seq(d), &now);
	else
		show_alarms(c->out, list, stall_last_seq(d), &now, history);
	return 0;
}

/* show {crypto|ikemon|alarms} ... */
static int cmd_show(struct cmd *c)
{
	static const char *const kw[] = {"crypto", "ikemon", "alarms"};

	switch (choose_keyword(c, 1, kw, 3)) {
	case 0:
		return show_crypto(c);
	case 1:
		return show_ikemon(c);
	case 2:
		return show_alarms_cmd(c);
	}
	return -1;
}

/* ---------------------------------------------------------------- initiate */

static const struct ike_peer_cfg *find_peer(struct cmd *c, const char *name)
{
	const struct ike_peer_cfg *p;

	for (size_t i = 0; (p = ike_engine_peer(c->e, i)) != NULL; i++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* "no peer named X", with the configured peer whose name is closest, if one is. */
static int no_such_peer(struct cmd *c, const char *name)
{
	size_t n = ike_engine_peer_count(c->e);
	const char **names = calloc(n > 0 ? n : 1, sizeof(*names));
	const char *near = NULL;
	const struct ike_peer_cfg *p;

	if (names != NULL) {
		for (size_t i = 0; i < n && (p = ike_engine_peer(c->e, i)) != NULL; i++)
			names[i] = p->name;
		near = suggest_closest(name, names, n);
	}
	if (n == 0)
		fail(c, "no peer named '%.64s': ikemond.conf has no [peer] section", name);
	else if (near != NULL)
		fail(c,
		     "no peer named '%.64s': did you mean '%s'? ('show ikemon peers' lists them)",
		     name, near);
	else
		fail(c, "no peer named '%.64s' ('show ikemon peers' lists the %zu configured)",
		     name, n);
	free(names);
	return -1;
}

/* initiate PEER */
static int cmd_initiate(struct cmd *c)
{
	const struct ike_peer_cfg *p;
	const char *name;
	long id;

	if (c->n < 2) {
		fail(c, "incomplete command 'initiate': the peer's name must follow");
		return usage_after(c);
	}
	if (no_more_words(c, 2, NULL) != 0)
		return -1;
	name = c->w[1];
	id = ike_engine_initiate(c->e, name);
	if (id >= 0) {
		strbuf_printf(c->out, "initiating %s, conn-id %ld\n", name, id);
		return 0;
	}
	/* the engine refuses without a reason: find one rather than say "failed" */
	p = find_peer(c, name);
	if (p == NULL)
		return no_such_peer(c, name);
	if (p->remote_any)
		return fail(c, "cannot initiate to %s: its remote is %%any (it can only answer)",
		            name);
	return fail(c,
	            "cannot initiate to %s: no single remote address or no local address "
	            "for it (see ikemond's log)",
	            name);
}

/* ---------------------------------------------------------------- clear */

/* A conn-id is plain decimal: no sign, no spaces, no hex, no overflow. */
static int parse_conn_id(const char *s, uint32_t *id)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

/* clear crypto isakmp [CONN-ID]: silent on success, as IOS is */
static int clear_isakmp(struct cmd *c)
{
	static const char *const kw[] = {"isakmp"};
	uint32_t id;

	if (expect_keywords(c, 2, kw, 1) != 0)
		return -1;
	if (c->n == 3) {
		ike_engine_delete_all(c->e, IKE_CAUSE_CLEARED);
		return 0;
	}
	if (no_more_words(c, 4, NULL) != 0)
		return -1;
	if (parse_conn_id(c->w[3], &id) != 0) {
		fail(c, "invalid conn-id '%.64s': a number such as 1001 is expected", c->w[3]);
		return usage_after(c);
	}
	if (ike_engine_delete(c->e, id, IKE_CAUSE_CLEARED) != 0)
		return fail(c,
		            "no ISAKMP SA with conn-id %lu ('show crypto isakmp sa' lists "
		            "them)",
		            (unsigned long)id);
	return 0;
}

/*
 * clear alarm PEER: the operator has seen it.  A peer still stalled starts a new episode
 * and is raised again after its threshold (see stall_clear()).
 */
static int clear_alarm(struct cmd *c)
{
	struct stall_detector *d;
	const char *name;

	if (c->n < 3) {
		fail(c, "incomplete command 'clear alarm': the peer's name must follow");
		return usage_after(c);
	}
	if (no_more_words(c, 3, NULL) != 0 || (d = alarms_of(c)) == NULL)
		return -1;
	name = c->w[2];
	if (find_peer(c, name) == NULL)
		return no_such_peer(c, name);
	if (stall_clear(d, name) != 0)
		return fail(c,
		            "peer %.64s has no active alarm ('show alarms' lists the active ones)",
		            name);
	strbuf_printf(c->out, "cleared alarm of %s\n", name);
	return 0;
}

/* clear {crypto isakmp|alarm} ... */
static int cmd_clear(struct cmd *c)
{
	static const char *const kw[] = {"crypto", "alarm"};

	switch (choose_keyword(c, 1, kw, 2)) {
	case 0:
		return clear_isakmp(c);
	case 1:
		return clear_alarm(c);
	}
	return -1;
}

/* ---------------------------------------------------------------- reload, version, help */

static int cmd_reload(struct cmd *c)
{
	if (no_more_words(c, 1, NULL) != 0)
		return -1;
	if (c->ops == NULL || c->ops->reload == NULL)
		return fail(c, "reload is not available");
	return c->ops->reload(c->ops->ctx, c->out) == 0 ? 0 : -1;
}

static int cmd_version(struct cmd *c)
{
	if (no_more_words(c, 1, NULL) != 0)
		return -1;
	strbuf_printf(c->out, "ikemond %s\n", PACKAGE_VERSION);
	return 0;
}

static int cmd_help(struct cmd *c)
{
	strbuf_printf(c->out, "commands:\n");
	for (size_t i = 0; i < NHELP; i++)
		strbuf_printf(c->out, "  %s\n", help_lines[i]);
	strbuf_printf(c->out, "keywords may be abbreviated: sh cry isa sa, sh cry ips sa, "
	                      "sh ike pe, sh al hi\n");
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

static const struct verb {
	const char *name;
	verb_fn fn;
	bool json; /* accepts --json */
} verbs[] = {
    {"show", cmd_show, true},      {"initiate", cmd_initiate, false}, {"clear", cmd_clear, false},
    {"reload", cmd_reload, false}, {"version", cmd_version, false},   {"help", cmd_help, false},
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

/* An unknown verb: the closest one when it looks like a typo, else the list. */
static void unknown_verb(struct cmd *c)
{
	const char *names[NVERBS];
	const char *near;
	char list[256];

	for (size_t i = 0; i < NVERBS; i++)
		names[i] = verbs[i].name;
	near = suggest_closest(c->w[0], names, NVERBS);
	list_choices(list, sizeof(list), names, (int)NVERBS);
	if (near != NULL)
		fail(c, "unknown command '%.64s': did you mean '%s'? " HINT, c->w[0], near);
	else
		fail(c, "unknown command '%.64s': expected %s; " HINT, c->w[0], list);
}

/* The verb word names: exact match first, else the one verb it abbreviates. */
static const struct verb *find_verb(struct cmd *c)
{
	const struct verb *found = NULL;

	for (size_t i = 0; i < NVERBS; i++)
		if (strcmp(c->w[0], verbs[i].name) == 0)
			found = &verbs[i];
	for (size_t i = 0; i < NVERBS && found == NULL; i++) {
		if (!is_abbrev(c->w[0], verbs[i].name))
			continue;
		for (size_t j = i + 1; j < NVERBS; j++)
			if (is_abbrev(c->w[0], verbs[j].name)) {
				fail(c, "ambiguous command '%.64s': %s or %s? " HINT, c->w[0],
				     verbs[i].name, verbs[j].name);
				return NULL;
			}
		found = &verbs[i];
	}
	if (found == NULL)
		unknown_verb(c);
	else
		understood(c, 0, found->name);
	return found;
}

int commands_dispatch(struct ike_engine *e, const struct commands_ops *ops, int argc, char **argv,
                      struct strbuf *out)
{
	struct cmd c = {.e = e, .ops = ops, .out = out};
	const struct verb *v;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
			continue;
		}
		if (c.n == MAX_WORDS)
			return fail(&c, "too many words in the command");
		c.w[c.n++] = argv[i];
	}
	if (c.n == 0)
		return fail(&c, "no command given; " HINT);
	v = find_verb(&c);
	if (v == NULL)
		return -1;
	if (c.json && !v->json)
		return fail(&c, "--json applies to show commands only");
	return v->fn(&c);
}
