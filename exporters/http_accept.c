/*
 * http_accept.c - content negotiation for ikemond's HTTP endpoint: which format and
 * which encoding a client's Accept and Accept-Encoding headers ask for (RFC 9110
 * sections 12.5.1 and 12.5.3).  Pure functions on the header values; see http.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "exporters/http.h"

/* One element of a comma-separated header list: its leading token and its q-value. */
struct list_elem {
	const char *name;
	size_t len;
	int q; /* thousandths: 0..1000 */
};

static const char *skip_ows(const char *p)
{
	return p + strspn(p, " \t");
}

/* Past a quoted-string starting at p (at its closing quote, or the string's end). */
static const char *skip_quoted(const char *p)
{
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
	}
	return *p == '"' ? p + 1 : p;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); thousandths, or -1. */
static int parse_qvalue(const char *p, size_t len)
{
	int q, scale = 100;
	size_t i;

	if (len == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	q = (p[0] - '0') * 1000;
	if (len == 1)
		return q;
	if (p[1] != '.' || len > 5)
		return -1;
	for (i = 2; i < len; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/*
 * Parameters after an element's name: *( OWS ";" OWS name [ "=" value ] ), keeping "q".
 * Quoted values are skipped whole, so a comma inside one does not end the element;
 * anything else up to the next comma is ignored.
 */
static const char *parse_params(const char *p, int *q)
{
	const char *name, *val;
	size_t nlen;

	for (;;) {
		p = skip_ows(p);
		if (*p != ';')
			break;
		name = skip_ows(p + 1);
		p = name + strcspn(name, "=;, \t");
		nlen = (size_t)(p - name);
		p = skip_ows(p);
		if (*p != '=')
			continue;
		val = skip_ows(p + 1);
		p = *val == '"' ? skip_quoted(val) : val + strcspn(val, ";, \t");
		if (nlen == 1 && (name[0] == 'q' || name[0] == 'Q'))
			*q = parse_qvalue(val, (size_t)(p - val));
	}
	while (*p != '\0' && *p != ',')
		p = *p == '"' ? skip_quoted(p) : p + 1;
	return p;
}

/*
 * The next element of the list at *pp.  Empty elements are skipped (RFC 9110 section
 * 5.6.1), and so are those with a malformed q-value: read as no preference at all
 * rather than as q=1.
 */
static bool list_next(const char **pp, struct list_elem *e)
{
	const char *p = *pp;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0') {
			*pp = p;
			return false;
		}
		e->name = p;
		p += strcspn(p, ";, \t");
		e->len = (size_t)(p - e->name);
		e->q = 1000;
		p = parse_params(p, &e->q);
		if (e->len > 0 && e->q >= 0) {
			*pp = p;
			return true;
		}
	}
}

static bool elem_is(const struct list_elem *e, const char *s)
{
	return e->len == strlen(s) && strncasecmp(e->name, s, e->len) == 0;
}

/* 3 when the media range e names type exactly, 2 for "major/ *", 1 for "* / *", else 0. */
static int media_rank(const struct list_elem *e, const char *type)
{
	size_t major = (size_t)(strchr(type, '/') - type) + 1; /* with the '/' */

	if (elem_is(e, type))
		return 3;
	if (e->len == major + 1 && strncasecmp(e->name, type, major) == 0 && e->name[major] == '*')
		return 2;
	return elem_is(e, "*/*") ? 1 : 0;
}

/*
 * The q-value Accept gives type: that of the most specific range matching it (RFC 9110
 * section 12.5.1), 0 when none does.  Parameters such as version= are not matched: any
 * version of a format counts as the format.  With exact, wildcards do not count.
 */
static int accept_q(const char *accept, const char *type, bool exact)
{
	struct list_elem e;
	int rank, best_rank = 0, best = 0;

	while (list_next(&accept, &e)) {
		rank = media_rank(&e, type);
		if (rank == 0 || (exact && rank != 3))
			continue;
		if (rank > best_rank || (rank == best_rank && e.q > best)) {
			best_rank = rank;
			best = e.q;
		}
	}
	return best;
}

/*
 * OpenMetrics must be named: a client that takes anything (curl's "* / *", a browser)
 * gets the text format, which every Prometheus and every person can read.
 */
bool http_accept_prefers_openmetrics(const char *accept)
{
	int om;

	if (accept == NULL)
		return false;
	om = accept_q(accept, "application/openmetrics-text", true);
	return om > 0 && om >= accept_q(accept, "text/plain", false);
}

/* An explicit gzip (or its alias x-gzip) wins over "*" (RFC 9110 section 12.5.3). */
bool http_accept_gzip(const char *accept_encoding)
{
	struct list_elem e;
	int gzip = -1, any = -1;

	if (accept_encoding == NULL)
		return false;
	while (list_next(&accept_encoding, &e)) {
		if (elem_is(&e, "gzip") || elem_is(&e, "x-gzip"))
			gzip = e.q > gzip ? e.q : gzip;
		else if (elem_is(&e, "*"))
			any = e.q > any ? e.q : any;
	}
	return gzip >= 0 ? gzip > 0 : any > 0;
}
