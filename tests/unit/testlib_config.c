/*
 * testlib_config.c - ikemond.conf text loaded through ikemond_config_load() for the
 * config tests (test_config*.c), with the expectations each error must meet (testlib.h).
 */
#include <stdio.h>
#include <unistd.h>

#include "agent/config.h"
#include "tests/unit/testlib.h"

int tl_config_load(const char *text, struct ikemond_config *cfg, char *path, size_t pathlen,
                   char *err, size_t errlen)
{
	int ret;

	tl_write_file(path, pathlen, text, 0600);
	err[0] = '\0';
	ret = ikemond_config_load(path, cfg, err, errlen);
	unlink(path);
	return ret;
}

void tl_config_load_ok(const char *text, struct ikemond_config *cfg)
{
	char path[64], err[512];

	ck_assert_msg(tl_config_load(text, cfg, path, sizeof(path), err, sizeof(err)) == 0,
	              "%s\nin:\n%s", err, text);
}

void tl_config_expect_error(const char *text, unsigned line, const char *what)
{
	struct ikemond_config cfg;
	char path[64], err[512], prefix[96];

	ck_assert_msg(tl_config_load(text, &cfg, path, sizeof(path), err, sizeof(err)) == -1,
	              "accepted:\n%s", text);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "want '%s...', got '%s'", prefix,
	              err);
	ck_assert_msg(strstr(err + strlen(prefix), what) != NULL, "want '%s' in '%s'", what, err);
	ck_assert_msg(strstr(err, "TopSecret") == NULL, "secret in '%s'", err);
	ck_assert_msg(strstr(err, "546f70") == NULL, "hex secret in '%s'", err);
	ck_assert_ptr_null(cfg.peers);
	ck_assert_uint_eq(cfg.n_peers, 0);
	ck_assert_msg(tl_all_zero(cfg.http.auth_password, sizeof(cfg.http.auth_password)),
	              "password left after a failed load");
}
