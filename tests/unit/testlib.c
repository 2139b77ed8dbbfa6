/*
 * testlib.c - helpers the check-based unit tests share (see testlib.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/show.h"
#include "tests/unit/ike_fixture.h"
#include "tests/unit/testlib.h"

#ifndef GOLDEN_DIR
#define GOLDEN_DIR "tests/golden"
#endif

int tl_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void tl_write_file(char *path, size_t len, const char *text, mode_t mode)
{
	FILE *fp;
	int fd;

	snprintf(path, len, "/tmp/ikemon-test-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

bool tl_all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

size_t tl_unhex(const char *hex, uint8_t *buf, size_t max)
{
	size_t len = strlen(hex) / 2, i;
	unsigned int byte;

	ck_assert_uint_eq(strlen(hex) % 2, 0);
	ck_assert_uint_le(len, max);
	for (i = 0; i < len; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &byte), 1);
		buf[i] = (uint8_t)byte;
	}
	return len;
}

void tl_assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t buf[TL_HEX_MAX];
	size_t wlen = tl_unhex(want, buf, sizeof(buf));

	ck_assert_uint_eq(len, wlen);
	ck_assert_mem_eq(got, buf, len);
}

void tl_set_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	ck_assert_msg(fx_set_addr(ss, ip, port) == 0, "bad address %s", ip);
}

void tl_expect_addr(const struct sockaddr_storage *ss, const char *want, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];
	const void *a;
	uint16_t p;

	if (ss->ss_family == AF_INET) {
		a = &((const struct sockaddr_in *)ss)->sin_addr;
		p = ((const struct sockaddr_in *)ss)->sin_port;
	} else {
		ck_assert_int_eq(ss->ss_family, AF_INET6);
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		p = ((const struct sockaddr_in6 *)ss)->sin6_port;
	}
	ck_assert_ptr_nonnull(inet_ntop(ss->ss_family, a, buf, sizeof(buf)));
	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(ntohs(p), port);
}

/* ---------------------------------------------------------------- golden files */

static char *read_golden(const char *name, size_t *len)
{
	const char *dir = getenv("GOLDEN_DIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : GOLDEN_DIR, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open golden file %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void tl_assert_golden(const struct strbuf *out, const char *name)
{
	size_t glen, i, line = 1, bol = 0;
	char *g = read_golden(name, &glen);

	ck_assert(!out->oom);
	ck_assert_ptr_nonnull(out->s);
	for (i = 0; i < glen && i < out->len && g[i] == out->s[i]; i++) {
		if (g[i] == '\n') {
			line++;
			bol = i + 1;
		}
	}
	if (i != glen || i != out->len) {
		fprintf(stderr, "---- %s: got ----\n%s---- end ----\n", name, out->s);
		ck_abort_msg("%s differs at line %zu column %zu: want \"%.*s\" got \"%.*s\"", name,
		             line, i - bol + 1, (int)strcspn(g + bol, "\n"), g + bol,
		             (int)strcspn(out->s + bol, "\n"), out->s + bol);
	}
	free(g);
}

/* ---------------------------------------------------------------- a small JSON checker */

struct jp {
	const char *p, *end;
	int depth;
};

static bool jp_value(struct jp *j);

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p) != NULL)
		j->p++;
}

static bool jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool jp_string(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	for (j->p++; j->p < j->end; j->p++) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		j->p++;
		if (j->p >= j->end || strchr("\"\\/bfnrtu", *j->p) == NULL)
			return false;
		if (*j->p == 'u') {
			for (int k = 1; k <= 4; k++)
				if (j->p + k >= j->end ||
				    strchr("0123456789abcdefABCDEF", j->p[k]) == NULL)
					return false;
			j->p += 4;
		}
	}
	return false;
}

static bool jp_number(struct jp *j)
{
	const char *start = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return false;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > start;
}

static bool jp_members(struct jp *j, char close, bool object)
{
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		jp_ws(j);
		if (object) {
			if (!jp_string(j))
				return false;
			jp_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return false;
		}
		if (!jp_value(j))
			return false;
		jp_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == close) {
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
	}
}

static bool jp_value(struct jp *j)
{
	bool ok;

	jp_ws(j);
	if (j->p >= j->end || ++j->depth > 32)
		return false;
	if (*j->p == '{')
		ok = jp_members(j, '}', true);
	else if (*j->p == '[')
		ok = jp_members(j, ']', false);
	else if (*j->p == '"')
		ok = jp_string(j);
	else if (*j->p == 't')
		ok = jp_lit(j, "true");
	else if (*j->p == 'f')
		ok = jp_lit(j, "false");
	else if (*j->p == 'n')
		ok = jp_lit(j, "null");
	else
		ok = jp_number(j);
	j->depth--;
	return ok;
}

bool tl_json_valid(const char *s, size_t len)
{
	struct jp j = {s, s + len, 0};

	if (s == NULL || !jp_value(&j))
		return false;
	jp_ws(&j);
	return j.p == j.end;
}
