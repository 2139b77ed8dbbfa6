/*
 * config_parse.h - the INI reader under ikemond.conf (private to agent/config.c).
 *
 * It knows lines, comments, "key = value", [section] and [section NAME] headers, and
 * nothing of what the keys mean: the caller describes its sections and keys in a
 * grammar, with a callback for each, and the reader dispatches.  Before a setter runs the
 * reader has checked that the key is known, in its section, set once in that section and
 * not empty; every message it writes, and every message written with config_fail(), reads
 * "FILE:LINE: what is wrong".
 *
 * One pass, one line at a time into a fixed buffer: memory stays bounded whatever the
 * file holds.  The line buffer and stdio's buffer are the parser's own and are wiped
 * after each line and at the end, since a line may hold a secret.
 */
#ifndef AGENT_CONFIG_PARSE_H
#define AGENT_CONFIG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_LINE_MAX     4096 /* characters, without the newline */
#define CONFIG_MAX_KEYS     80   /* key rules of a grammar */
#define CONFIG_MEMBERS      16   /* members of a key family, index 0 for a plain key */
#define CONFIG_MAX_SECTIONS 8    /* section rules of a grammar */
#define CONFIG_NAME_MAX     63   /* the NAME of [section NAME] kept for messages */
#define CONFIG_MSG_MAX      256  /* a value parser's message, before "FILE:LINE: " */

struct config_parser;

/* Set the key the parser is at (ps->key, ps->member) from val; 0, or -1 after config_fail. */
typedef int (*config_setter)(struct config_parser *ps, char *val);

/* A family of keys: a prefix and a member name ("stall_after." + "MM_KEY_EXCH"). */
struct config_key_family {
	/*
	 * The member's index (1 to CONFIG_MEMBERS - 1) from its name, or -1 after
	 * config_fail().  key is the whole key as written.
	 */
	int (*member)(struct config_parser *ps, const char *key, const char *name);
	const char *shown; /* a member in lists of keys: "STATE" */
};

/*
 * One key.  Two rules may share a name when their sections do not overlap ([ikemond]
 * and [http] both have a listen); the first of them names the key's home in messages.
 */
struct config_key_rule {
	const char *name;  /* the key, or a family's prefix */
	unsigned sections; /* config_section_rule bits, and CONFIG_REPEATABLE */
	config_setter set;
	const struct config_key_family *family; /* NULL for a plain key */
};

/* In config_key_rule.sections: the key may be set several times in a section (each line
 * calls its setter; snmpd.conf's rocommunity, createUser, trap2sink ...). */
#define CONFIG_REPEATABLE (1u << 31)

/* One kind of section: [name], at most once, or [name NAME], any number of them. */
struct config_section_rule {
	const char *name; /* "ikemond", "peer" */
	unsigned bit;     /* its bit in config_key_rule.sections */
	bool named;       /* [name NAME] */
	const char *home; /* where its keys belong, in messages: "a [peer NAME] section" */
	/* At the header, NAME ("" for an unnamed section); NULL when there is nothing to do. */
	int (*begin)(struct config_parser *ps, const char *name);
	/* Checks that need the whole section, at the next header or the end of the file. */
	int (*end)(struct config_parser *ps);
};

struct config_grammar {
	const struct config_section_rule *sections;
	size_t n_sections; /* at most CONFIG_MAX_SECTIONS */
	const struct config_key_rule *keys;
	size_t n_keys; /* at most CONFIG_MAX_KEYS */
	/* Checks that need the whole file, after the last section ended; may be NULL. */
	int (*finish)(struct config_parser *ps);
};

/*
 * The reader's state.  Callbacks may read every field and use ctx as their own; they
 * change none of the others.
 */
struct config_parser {
	const struct config_grammar *grammar;
	void *ctx; /* the caller's, as given to config_parse() */
	const char *path;
	unsigned line; /* the line being parsed, from 1 */
	char *err;
	size_t errlen;
	const struct config_section_rule *section;  /* NULL before the first header */
	char section_name[CONFIG_NAME_MAX + 1];     /* NAME of [section NAME], else "" */
	unsigned section_line;                      /* line of the section's header */
	unsigned section_seen[CONFIG_MAX_SECTIONS]; /* first header of each unnamed one */
	/* line each key (family member) was set on in this section, by rule index */
	unsigned key_line[CONFIG_MAX_KEYS][CONFIG_MEMBERS];
	const char *key; /* the key being set, as written */
	size_t member;   /* its family member; 0 for a plain key */
	size_t line_len;
	char line_buf[CONFIG_LINE_MAX + 1];
	char io_buf[4096]; /* stdio's buffer, ours so that it can be wiped */
};

/*
 * Read the file at path with grammar g.  Returns 0, or -1 with "FILE:LINE: message"
 * (or "FILE: cannot open: why") in err.
 */
int config_parse(const char *path, const struct config_grammar *g, void *ctx, char *err,
                 size_t errlen);
/* The same for text in memory (len bytes, NULs included), named name in messages. */
int config_parse_buffer(const char *name, const char *buf, size_t len,
                        const struct config_grammar *g, void *ctx, char *err, size_t errlen);

/* Report "FILE:LINE: message" for the line being parsed; returns -1. */
int config_fail(const struct config_parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same for another line (a key set earlier, a section's header); returns -1. */
int config_fail_at(const struct config_parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * For setters: the key being set as a decimal integer within min..max, or as seconds
 * with decimals ("0.25") within min_ms..max_ms kept in milliseconds; the error names the
 * key and the range.  Return 0, or -1 after config_fail().
 */
int config_set_u32(struct config_parser *ps, const char *val, uint32_t min, uint32_t max,
                   uint32_t *out);
int config_set_seconds(struct config_parser *ps, const char *val, uint32_t min_ms, uint32_t max_ms,
                       uint32_t *ms);

/* The first rule named name (a family by its prefix), or NULL. */
const struct config_key_rule *config_rule_named(const struct config_grammar *g, const char *name);

/*
 * The line on which rule r (member member) was set, in lines: ps->key_line or a copy
 * the caller kept of it.  0 when it was not set, or r is NULL.
 */
unsigned config_line_of(const struct config_grammar *g, const unsigned (*lines)[CONFIG_MEMBERS],
                        const struct config_key_rule *r, size_t member);

/* The line on which plain key key was set in the current section, 0 if it was not. */
unsigned config_key_set_on(const struct config_parser *ps, const char *key);

/* The line of the first [name] header of an unnamed section, 0 before one. */
unsigned config_section_seen(const struct config_parser *ps, const char *name);

#endif /* AGENT_CONFIG_PARSE_H */
