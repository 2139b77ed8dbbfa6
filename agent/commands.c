/*
 * commands.c - the meaning of a control request: parse the words, call the engine or a
 * view, and say what happened in words an operator understands.
 *
 * The grammar is small enough to be walked by hand: one table of verbs, and each verb
 * checks its own keywords.  Keywords accept any unique prefix (IOS habit), so a table
 * entry is all it takes to make "sh cry isa sa" work.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/commands.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1"
#endif

#define MAX_WORDS 64
#define HINT      "try 'ikemonctl help'"

struct cmd {
	struct ike_engine *e;
	const struct commands_ops *ops;
	struct strbuf *out;
	char *w[MAX_WORDS]; /* the request's words, "--json" taken out */
	int n;
	bool json;
};

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
			return fail(c, "incomplete command: '%s' missing; " HINT, kw[i]);
		if (!is_abbrev(c->w[from + i], kw[i]))
			return fail(c, "unknown word '%.64s' where '%s' was expected; " HINT,
			            c->w[from + i], kw[i]);
	}
	return 0;
}

static int no_more_words(struct cmd *c, int from)
{
	if (from < c->n)
		return fail(c, "unexpected '%.64s'; " HINT, c->w[from]);
	return 0;
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
		return fail(c, "incomplete command: '%s' or '%s' missing; " HINT, choices[0],
		            choices[n - 1]);
	for (int i = 0; i < n; i++)
		if (strcmp(c->w[at], choices[i]) == 0)
			return i;
	for (int i = 0; i < n; i++) {
		if (!is_abbrev(c->w[at], choices[i]))
			continue;
		if (found >= 0)
			return fail(c, "ambiguous word '%.64s': %s or %s; " HINT, c->w[at],
			            choices[found], choices[i]);
		found = i;
	}
	if (found < 0)
		return fail(c, "unknown word '%.64s' where '%s' or '%s' was expected; " HINT,
		            c->w[at], choices[0], choices[n - 1]);
	return found;
}

/* ---------------------------------------------------------------- show */

/* show crypto isakmp sa [detail] [--json] */
static int show_isakmp(struct cmd *c)
{
	static const char *const kw[] = {"sa"};
	struct ike_sa_table *t;
	struct timespec now;
	bool detail = false;
	int next = 4;

	if (expect_keywords(c, 3, kw, 1) != 0)
		return -1;
	if (next < c->n && is_abbrev(c->w[next], "detail")) {
		detail = true;
		next++;
	}
	if (no_more_words(c, next) != 0)
		return -1;
	t = ike_engine_sas(c->e);
	if (c->json) {
		/* JSON always carries everything, so "detail" changes nothing there */
		clock_gettime(CLOCK_MONOTONIC, &now);
		show_isakmp_sa_json(c->out, ike_sa_first(t), ike_sa_table_counters(t), &now);
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

	if (expect_keywords(c, 3, kw, 1) != 0 || no_more_words(c, 4) != 0)
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
static int show_ikemon(struct cmd *c)
{
	static const char *const kw[] = {"peers"};
	struct show_peer_row *rows;
	size_t n, got = 0;

	if (expect_keywords(c, 2, kw, 1) != 0 || no_more_words(c, 3) != 0)
		return -1;
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
	if (no_more_words(c, next) != 0 || (d = alarms_of(c)) == NULL)
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

/* initiate PEER */
static int cmd_initiate(struct cmd *c)
{
	const struct ike_peer_cfg *p;
	const char *name;
	long id;

	if (c->n < 2)
		return fail(c, "incomplete command: the peer's name is missing; " HINT);
	if (no_more_words(c, 2) != 0)
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
		return fail(c, "no peer named %.64s", name);
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
	if (no_more_words(c, 4) != 0)
		return -1;
	if (parse_conn_id(c->w[3], &id) != 0)
		return fail(c, "invalid conn-id '%.64s': a number such as 1001 is expected",
		            c->w[3]);
	if (ike_engine_delete(c->e, id, IKE_CAUSE_CLEARED) != 0)
		return fail(c, "no ISAKMP SA with conn-id %lu", (unsigned long)id);
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

	if (c->n < 3)
		return fail(c, "incomplete command: the peer's name is missing; " HINT);
	if (no_more_words(c, 3) != 0 || (d = alarms_of(c)) == NULL)
		return -1;
	name = c->w[2];
	if (stall_clear(d, name) != 0)
		return fail(c, "peer %.64s has no active alarm", name);
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
	if (no_more_words(c, 1) != 0)
		return -1;
	if (c->ops == NULL || c->ops->reload == NULL)
		return fail(c, "reload is not available");
	return c->ops->reload(c->ops->ctx, c->out) == 0 ? 0 : -1;
}

static int cmd_version(struct cmd *c)
{
	if (no_more_words(c, 1) != 0)
		return -1;
	strbuf_printf(c->out, "ikemond %s\n", PACKAGE_VERSION);
	return 0;
}

static int cmd_help(struct cmd *c)
{
	strbuf_printf(c->out, "commands:\n"
	                      "  show crypto isakmp sa [detail] [--json]\n"
	                      "  show crypto ipsec sa [--json]\n"
	                      "  show ikemon peers [--json]\n"
	                      "  show alarms [history] [--json]\n"
	                      "  initiate PEER\n"
	                      "  clear crypto isakmp [CONN-ID]\n"
	                      "  clear alarm PEER\n"
	                      "  reload\n"
	                      "  version\n"
	                      "keywords may be abbreviated: sh cry isa sa, sh cry ips sa, "
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

/* The verb word names: exact match first, else the one verb it abbreviates. */
static const struct verb *find_verb(struct cmd *c)
{
	const struct verb *found = NULL;

	for (size_t i = 0; i < NVERBS; i++)
		if (strcmp(c->w[0], verbs[i].name) == 0)
			return &verbs[i];
	for (size_t i = 0; i < NVERBS; i++) {
		if (!is_abbrev(c->w[0], verbs[i].name))
			continue;
		if (found != NULL) {
			fail(c, "ambiguous command '%.64s'; " HINT, c->w[0]);
			return NULL;
		}
		found = &verbs[i];
	}
	if (found == NULL)
		fail(c, "unknown command '%.64s'; " HINT, c->w[0]);
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
