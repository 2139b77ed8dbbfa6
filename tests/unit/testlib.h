/*
 * testlib.h - what the check-based unit tests share: running a suite, files under /tmp,
 * hex, addresses, byte-for-byte comparison with tests/golden/, a strict JSON checker,
 * and loading ikemond.conf text with the error expectations every config test makes.
 *
 * Link tests/unit/testlib.c into a test that uses it (ike_fixture.h comes with it);
 * the tl_config_* helpers are in tests/unit/testlib_config.c, which needs agent/config.c
 * and what that links.  Each helper fails the running test (ck_assert) on its own.
 */
#ifndef TESTS_UNIT_TESTLIB_H
#define TESTS_UNIT_TESTLIB_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

struct ikemond_config;
struct strbuf;

/* The test fails unless text is in the strbuf out (shown whole when it is not). */
#define TL_ASSERT_HAS(out, text)                                                                   \
	ck_assert_msg(strstr((out).s, text) != NULL, "missing %s in %s", text, (out).s)

/* Run every test of s; EXIT_SUCCESS when none failed (main's return value). */
int tl_run(Suite *s);

/* A new file under /tmp holding text, with mode; its path (len bytes at most) in path. */
void tl_write_file(char *path, size_t len, const char *text, mode_t mode);

/* Whether len bytes at p are all zero (a wiped secret). */
bool tl_all_zero(const void *p, size_t len);

/* Decode hex (even length, max bytes at most) into buf; returns the byte count. */
size_t tl_unhex(const char *hex, uint8_t *buf, size_t max);

/* The len bytes at got are the hex string want (TL_HEX_MAX bytes at most). */
#define TL_HEX_MAX 512
void tl_assert_hex(const uint8_t *got, size_t len, const char *want);

/* ip ("192.0.2.1", or IPv6 when it holds a ':') and port into ss. */
void tl_set_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port);

/* The address in ss is want ("192.0.2.1", "2001:db8::1") with this port. */
void tl_expect_addr(const struct sockaddr_storage *ss, const char *want, uint16_t port);

/*
 * out is byte for byte the golden file name, read from $GOLDEN_DIR (make check sets it)
 * or tests/golden; otherwise the test fails naming the first line that differs.
 */
void tl_assert_golden(const struct strbuf *out, const char *name);

/* Whether s[0..len) is one JSON value (RFC 8259: strings, numbers, literals strictly). */
bool tl_json_valid(const char *s, size_t len);

/* ---- testlib_config.c: ikemond.conf text through ikemond_config_load() ---- */

/*
 * Load text as a config file (written under /tmp, removed after); path gets its name and
 * err the message.  Returns what ikemond_config_load() returned.
 */
int tl_config_load(const char *text, struct ikemond_config *cfg, char *path, size_t pathlen,
                   char *err, size_t errlen);

/* Load text that must be accepted (cfg then holds it: ikemond_config_free() it). */
void tl_config_load_ok(const char *text, struct ikemond_config *cfg);

/*
 * Loading text must fail with "FILE:LINE: " for this line and what in the message, no
 * secret in it (the tests' secrets hold "TopSecret", "546f70" in hex), and nothing left
 * behind: no peers, the HTTP password wiped.
 */
void tl_config_expect_error(const char *text, unsigned line, const char *what);

#endif /* TESTS_UNIT_TESTLIB_H */
