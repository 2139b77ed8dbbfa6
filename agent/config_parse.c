/*
 * config_parse.c - the INI reader: lines, comments, headers, the key dispatcher.
 *
 * The reader owns the checks every key shares (known, in the right section, set once,
 * not empty), so that a setter only ever sees a value it must parse.  Comments are cut
 * by config_value_strip_comment(), which knows quoting: a quoted secret may hold ';' or
 * '#'.  Secrets pass through two buffers here, stdio's and the line buffer; both are
 * ours and are wiped, and no message here ever quotes a value.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "agent/config_parse.h"
#include "agent/config_value.h"

static int vfail_at(const struct config_parser *ps, unsigned line, const char *fmt, va_list ap)
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

int config_fail_at(const struct config_parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ps, line, fmt, ap);
	va_end(ap);
	return -1;
}

int config_fail(const struct config_parser *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ps, ps->line, fmt, ap);
	va_end(ap);
	return -1;
}

const struct config_key_rule *config_rule_named(const struct config_grammar *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n_keys; i++) {
		if (strcmp(g->keys[i].name, name) == 0)
			return &g->keys[i];
	}
	return NULL;
}

unsigned config_line_of(const struct config_grammar *g, const unsigned (*lines)[CONFIG_MEMBERS],
                        const struct config_key_rule *r, size_t member)
{
	return r == NULL ? 0 : lines[r - g->keys][member];
}

/* Whether rule r belongs in the current section. */
static bool rule_here(const struct config_parser *ps, const struct config_key_rule *r)
{
	return ps->section != NULL && (r->sections & ps->section->bit) != 0;
}

/*
 * The rule of a key as written: the one of the current section, else the first of that
 * name (for the message).  For a family, *member_name is what follows the prefix.
 */
static const struct config_key_rule *rule_for(const struct config_parser *ps, const char *key,
                                              const char **member_name)
{
	const struct config_grammar *g = ps->grammar;
	const struct config_key_rule *r, *first = NULL;
	size_t i, len;

	for (i = 0; i < g->n_keys; i++) {
		r = &g->keys[i];
		len = strlen(r->name);
		if (r->family == NULL && strcmp(r->name, key) != 0)
			continue;
		if (r->family != NULL && strncmp(r->name, key, len) != 0)
			continue;
		if (r->family != NULL)
			*member_name = key + len;
		if (rule_here(ps, r))
			return r;
		if (first == NULL)
			first = r;
	}
	return first;
}

unsigned config_key_set_on(const struct config_parser *ps, const char *key)
{
	const struct config_key_rule *r;
	const char *member_name = NULL;

	r = rule_for(ps, key, &member_name);
	if (r == NULL || r->family != NULL || !rule_here(ps, r))
		return 0;
	return config_line_of(ps->grammar, ps->key_line, r, 0);
}

unsigned config_section_seen(const struct config_parser *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->grammar->n_sections; i++) {
		if (strcmp(ps->grammar->sections[i].name, name) == 0)
			return ps->section_seen[i];
	}
	return 0;
}

/* "[ikemond]", "[peer b1]" */
static const char *section_label(const struct config_parser *ps, char *buf, size_t len)
{
	if (ps->section == NULL)
		return "no section";
	if (ps->section->named)
		snprintf(buf, len, "[%s %s]", ps->section->name, ps->section_name);
	else
		snprintf(buf, len, "[%s]", ps->section->name);
	return buf;
}

/* Append s to buf (of size len), cut to fit. */
static void append(char *buf, size_t len, const char *s)
{
	strncat(buf, s, len - strlen(buf) - 1);
}

static int unknown_key(struct config_parser *ps, const char *key)
{
	const struct config_grammar *g = ps->grammar;
	char label[CONFIG_NAME_MAX + 32], known[512] = "";
	const struct config_key_rule *r;
	size_t i;

	if (ps->section == NULL)
		return config_fail(ps, "unknown key '%.40s' outside any section", key);
	for (i = 0; i < g->n_keys; i++) {
		r = &g->keys[i];
		if (!rule_here(ps, r))
			continue;
		if (known[0] != '\0')
			append(known, sizeof(known), ", ");
		append(known, sizeof(known), r->name);
		if (r->family != NULL)
			append(known, sizeof(known), r->family->shown);
	}
	return config_fail(ps, "unknown key '%.40s' in %s (known there: %s)", key,
	                   section_label(ps, label, sizeof(label)), known);
}

/* The homes of the sections in bits, "[ikemond] or a [peer NAME] section", into buf. */
static const char *section_homes(const struct config_grammar *g, unsigned bits, char *buf,
                                 size_t len)
{
	size_t i, n = 0, count = 0;

	for (i = 0; i < g->n_sections; i++)
		count += (bits & g->sections[i].bit) != 0;
	buf[0] = '\0';
	for (i = 0; i < g->n_sections; i++) {
		if ((bits & g->sections[i].bit) == 0)
			continue;
		if (n > 0)
			append(buf, len, n + 1 == count ? " or " : ", ");
		append(buf, len, g->sections[i].home);
		n++;
	}
	return buf;
}

/*
 * The homes of the other rules of first's name, " (also a key of [http])", into buf;
 * "" when it has none.
 */
static const char *other_homes(const struct config_grammar *g, const struct config_key_rule *first,
                               char *buf, size_t len)
{
	char home[128];
	size_t i;

	buf[0] = '\0';
	for (i = (size_t)(first - g->keys) + 1; i < g->n_keys; i++) {
		if (strcmp(g->keys[i].name, first->name) != 0)
			continue;
		append(buf, len, buf[0] == '\0' ? " (also a key of " : ", ");
		append(buf, len, section_homes(g, g->keys[i].sections, home, sizeof(home)));
	}
	if (buf[0] != '\0')
		append(buf, len, ")");
	return buf;
}

/* r is the first rule of that name: its home comes first. */
static int misplaced_key(struct config_parser *ps, const struct config_key_rule *r, const char *key)
{
	char label[CONFIG_NAME_MAX + 32], home[128], more[128];

	section_homes(ps->grammar, r->sections, home, sizeof(home));
	other_homes(ps->grammar, r, more, sizeof(more));
	if (ps->section == NULL)
		return config_fail(ps, "key '%.60s' outside any section; it belongs in %s%s", key,
		                   home, more);
	return config_fail(ps, "key '%.60s' belongs in %s, not in %s%s", key, home,
	                   section_label(ps, label, sizeof(label)), more);
}

static int parse_key_value(struct config_parser *ps, char *line)
{
	const struct config_key_rule *r;
	const char *member_name = NULL;
	char *eq = strchr(line, '=');
	char *key, *val;
	size_t idx;
	int member = 0;

	if (eq == NULL)
		return config_fail(ps, "expected 'key = value' or a [section] header");
	*eq = '\0';
	key = config_value_trim(line);
	val = config_value_trim(eq + 1);
	if (*key == '\0')
		return config_fail(ps, "no key before '='");
	r = rule_for(ps, key, &member_name);
	if (r == NULL)
		return unknown_key(ps, key);
	if (!rule_here(ps, r))
		return misplaced_key(ps, r, key);
	if (r->family != NULL && (member = r->family->member(ps, key, member_name)) == -1)
		return -1;
	idx = (size_t)(r - ps->grammar->keys);
	if (ps->key_line[idx][member] != 0 && (r->sections & CONFIG_REPEATABLE) == 0)
		return config_fail(ps, "duplicate key '%s' (first set on line %u)", key,
		                   ps->key_line[idx][member]);
	if (*val == '\0')
		return config_fail(ps, "key '%s' has no value", key);
	ps->key_line[idx][member] = ps->line;
	ps->key = key;
	ps->member = (size_t)member;
	return r->set(ps, val);
}

int config_set_u32(struct config_parser *ps, const char *val, uint32_t min, uint32_t max,
                   uint32_t *out)
{
	if (!config_value_u32(val, min, max, out))
		return config_fail(ps, "bad %s '%.40s' (expected %u to %u)", ps->key, val, min,
		                   max);
	return 0;
}

int config_set_seconds(struct config_parser *ps, const char *val, uint32_t min_ms, uint32_t max_ms,
                       uint32_t *ms)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_seconds_in(val, ps->key, min_ms, max_ms, ms, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

/* The section's whole-section checks; then no section until the next header. */
static int end_section(struct config_parser *ps)
{
	if (ps->section == NULL)
		return 0;
	if (ps->section->end != NULL && ps->section->end(ps) == -1)
		return -1;
	ps->section = NULL;
	ps->section_name[0] = '\0';
	memset(ps->key_line, 0, sizeof(ps->key_line));
	return 0;
}

/* "[ikemond], [peer NAME] or [http]" into buf. */
static const char *section_list(const struct config_grammar *g, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < g->n_sections; i++) {
		if (i > 0)
			append(buf, len, i + 1 == g->n_sections ? " or " : ", ");
		append(buf, len, "[");
		append(buf, len, g->sections[i].name);
		append(buf, len, g->sections[i].named ? " NAME]" : "]");
	}
	return buf;
}

/* Enter section rule s at this line; name is "" for an unnamed one. */
static int begin_section(struct config_parser *ps, const struct config_section_rule *s,
                         const char *name)
{
	size_t idx = (size_t)(s - ps->grammar->sections);

	if (!s->named && ps->section_seen[idx] != 0)
		return config_fail(ps, "duplicate section [%s] (first on line %u)", s->name,
		                   ps->section_seen[idx]);
	if (s->begin != NULL && s->begin(ps, name) == -1)
		return -1;
	if (!s->named)
		ps->section_seen[idx] = ps->line;
	ps->section = s;
	ps->section_line = ps->line;
	snprintf(ps->section_name, sizeof(ps->section_name), "%s", name);
	return 0;
}

/* Cut "peer   b1" after its first word; returns the NAME, "b1" ("" when there is none). */
static char *cut_name(char *inner)
{
	char *s = inner;

	while (*s != '\0' && !isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return s;
	*s = '\0';
	return config_value_trim(s + 1);
}

static int parse_section(struct config_parser *ps, char *line)
{
	const struct config_grammar *g = ps->grammar;
	const struct config_section_rule *s;
	size_t i, len = strlen(line);
	char *inner, *name;
	char list[128], shown[41];

	if (line[len - 1] != ']')
		return config_fail(ps, "section header lacks its closing ']'");
	line[len - 1] = '\0';
	inner = config_value_trim(line + 1);
	if (end_section(ps) == -1)
		return -1;
	for (i = 0; i < g->n_sections; i++) {
		s = &g->sections[i];
		if (s->named && strcmp(inner, s->name) == 0)
			return config_fail(ps, "section [%s] needs a name: [%s NAME]", s->name,
			                   s->name);
		if (!s->named && strcmp(inner, s->name) == 0)
			return begin_section(ps, s, "");
	}
	snprintf(shown, sizeof(shown), "%s", inner); /* as written, for the message */
	name = cut_name(inner);
	for (i = 0; i < g->n_sections; i++) {
		s = &g->sections[i];
		if (s->named && *name != '\0' && strcmp(inner, s->name) == 0)
			return begin_section(ps, s, name);
	}
	return config_fail(ps, "unknown section [%s] (expected %s)", shown,
	                   section_list(g, list, sizeof(list)));
}

static int parse_line(struct config_parser *ps)
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
static int read_line(struct config_parser *ps, FILE *fp)
{
	int c;

	ps->line++;
	ps->line_len = 0;
	while ((c = getc(fp)) != EOF && c != '\n') {
		if (c == '\0')
			return config_fail(ps, "NUL byte in line");
		if (ps->line_len == CONFIG_LINE_MAX)
			return config_fail(ps, "line longer than %d characters", CONFIG_LINE_MAX);
		ps->line_buf[ps->line_len++] = (char)c;
	}
	if (c == EOF && ferror(fp))
		return config_fail(ps, "read error: %s", strerror(errno));
	if (c == EOF && ps->line_len == 0)
		return 0;
	if (ps->line_len > 0 && ps->line_buf[ps->line_len - 1] == '\r')
		ps->line_len--;
	ps->line_buf[ps->line_len] = '\0';
	return 1;
}

static int parse_stream(struct config_parser *ps, FILE *fp)
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
	return ps->grammar->finish != NULL ? ps->grammar->finish(ps) : 0;
}

/* Read fp (opened by the caller; NULL when that failed, errno set) and close it. */
static int parse_fp(FILE *fp, const char *path, const struct config_grammar *g, void *ctx,
                    char *err, size_t errlen)
{
	struct config_parser ps;
	int ret = -1;

	memset(&ps, 0, sizeof(ps));
	ps.grammar = g;
	ps.ctx = ctx;
	ps.path = path;
	ps.err = err;
	ps.errlen = errlen;
	if (fp == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (setvbuf(fp, ps.io_buf, _IOFBF, sizeof(ps.io_buf)) != 0)
		config_fail_at(&ps, 0, "cannot set up reading");
	else
		ret = parse_stream(&ps, fp);
	fclose(fp);
	OPENSSL_cleanse(ps.io_buf, sizeof(ps.io_buf));
	OPENSSL_cleanse(ps.line_buf, sizeof(ps.line_buf));
	return ret;
}

int config_parse(const char *path, const struct config_grammar *g, void *ctx, char *err,
                 size_t errlen)
{
	return parse_fp(fopen(path, "re"), path, g, ctx, err, errlen);
}

int config_parse_buffer(const char *name, const char *buf, size_t len,
                        const struct config_grammar *g, void *ctx, char *err, size_t errlen)
{
	/* read in place: no copy of the text (and of its secrets) is made */
	return parse_fp(fmemopen((void *)buf, len, "r"), name, g, ctx, err, errlen);
}
