/*
 * http_config.c - the [http] defaults, apart from the server so that the config parser
 * (and its tests) need no libmicrohttpd.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "exporters/http.h"

void http_config_default(struct http_config *c)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->listen[0];

	*c = (struct http_config){.enabled = true,
	                          .n_listen = 1,
	                          .max_connections = 32,
	                          .max_connections_per_ip = 8,
	                          .timeout_s = 10,
	                          .max_request = 8192,
	                          .scrape_walk_slice = 8192};
	sin->sin_family = AF_INET;
	sin->sin_port = htons(9731);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/*
 * crypt(3) lives here, not in http.c, so that the config parser can check a hash
 * without libmicrohttpd.  crypt_rn: no static buffer, and NULL (not a "*0" string) for
 * a hash it cannot read.
 */
bool http_hash_match(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	size_t len = strlen(hash);
	bool ok;

	if (cd == NULL)
		return false;
	out = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	ok = out != NULL && out[0] != '*' && strlen(out) == len &&
	     CRYPTO_memcmp(out, hash, len) == 0;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return ok;
}

bool http_hash_ok(const char *hash)
{
	struct crypt_data *cd;
	const char *out;
	bool ok;

	if (hash[0] != '$' || (cd = calloc(1, sizeof(*cd))) == NULL)
		return false;
	out = crypt_rn("", hash, cd, (int)sizeof(*cd));
	ok = out != NULL && out[0] == '$';
	free(cd);
	return ok;
}
