/*
 * config_cert.c - the certificate keys of [peer NAME] (see config_cert.h): their values,
 * whether a section's keys go together, and the files read into credentials.
 *
 * The private key file is read as a psk file is (agent/config_value.c): opened without
 * following a FIFO's wait, its mode checked on the descriptor we read (neither group nor
 * others may read or write it), its bytes wiped once OpenSSL has parsed them.  No
 * message names more than the file.  Peers naming the same files share the credentials
 * read for the first of them, so a hub with thousands of spokes reads its files once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent/config_cert.h"
#include "agent/config_value.h"
#include "ike/cert.h"
#include "ike/ike.h"

#define CERT_FILE_MAX (4u << 20) /* a certificate, key, CA bundle or CRL file: 4 MiB */

struct config_cert_cached {
	uint64_t hash; /* of files, to skip most comparisons */
	char *files;   /* the file names, '\n' between them */
	struct ike_creds *creds;
};

static struct config_cert_peer *cert_of(const struct config_parser *ps)
{
	return &config_parsing_certs(ps)->peer;
}

/* ---- the setters ---- */

int set_peer_auth(struct config_parser *ps, char *val)
{
	uint16_t *auth = &cert_of(ps)->auth;

	if (strcmp(val, "psk") == 0)
		*auth = IKE_AUTH_PSK;
	else if (strcmp(val, "rsa") == 0)
		*auth = IKE_AUTH_RSA_SIG;
	else if (strcmp(val, "ecdsa") == 0)
		*auth = CONFIG_AUTH_ECDSA;
	else
		return config_fail(ps, "bad auth '%.40s' (expected psk, rsa or ecdsa)", val);
	return 0;
}

static int set_path(struct config_parser *ps, const char *val, char *path)
{
	char msg[CONFIG_MSG_MAX];

	if (config_value_file(val, ps->key, path, CONFIG_CERT_PATH_MAX, msg, sizeof(msg)) == -1)
		return config_fail(ps, "%s", msg);
	return 0;
}

int set_peer_cert(struct config_parser *ps, char *val)
{
	return set_path(ps, val, cert_of(ps)->cert);
}

int set_peer_key(struct config_parser *ps, char *val)
{
	return set_path(ps, val, cert_of(ps)->key);
}

/* A comma-separated list of files. */
static int set_paths(struct config_parser *ps, char *val, char (*paths)[CONFIG_CERT_PATH_MAX],
                     size_t *n)
{
	char *item;

	*n = 0;
	while ((item = config_value_split_next(&val)) != NULL) {
		if (*n == CONFIG_CERT_FILES)
			return config_fail(ps, "%s: more than %d files", ps->key,
			                   CONFIG_CERT_FILES);
		if (set_path(ps, item, paths[*n]) == -1)
			return -1;
		(*n)++;
	}
	if (*n == 0)
		return config_fail(ps, "%s names no file", ps->key);
	return 0;
}

int set_peer_ca(struct config_parser *ps, char *val)
{
	return set_paths(ps, val, cert_of(ps)->ca, &cert_of(ps)->n_ca);
}

int set_peer_crl(struct config_parser *ps, char *val)
{
	return set_paths(ps, val, cert_of(ps)->crl, &cert_of(ps)->n_crl);
}

int set_peer_send_cert(struct config_parser *ps, char *val)
{
	uint8_t *s = &config_parsing_peer(ps)->send_cert;

	if (strcmp(val, "always") == 0)
		*s = IKE_SEND_CERT_ALWAYS;
	else if (strcmp(val, "ifasked") == 0)
		*s = IKE_SEND_CERT_IFASKED;
	else if (strcmp(val, "never") == 0)
		*s = IKE_SEND_CERT_NEVER;
	else
		return config_fail(ps, "bad send_cert '%.40s' (expected always, ifasked or never)",
		                   val);
	return 0;
}

/* ---- the section's end ---- */

void config_cert_begin_peer(struct config_cert_load *ld)
{
	memset(&ld->peer, 0, sizeof(ld->peer));
}

static const char *auth_text(uint16_t auth)
{
	return auth == IKE_AUTH_RSA_SIG ? "rsa" : auth == CONFIG_AUTH_ECDSA ? "ecdsa" : "psk";
}

/* The first of the certificate keys set in the section, or NULL. */
static const char *first_cert_key(const struct config_parser *ps)
{
	static const char *const keys[] = {"cert", "key", "ca", "crl", "send_cert"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (config_key_set_on(ps, keys[i]) != 0)
			return keys[i];
	return NULL;
}

int config_cert_check_peer(struct config_parser *ps)
{
	const struct config_cert_peer *cp = cert_of(ps);
	const char *name = config_parsing_peer(ps)->name, *k = first_cert_key(ps);
	unsigned psk_line = config_key_set_on(ps, "psk");
	uint16_t auth = cp->auth;

	if (auth == 0)
		auth = cp->cert[0] != '\0' || cp->key[0] != '\0' ? IKE_AUTH_RSA_SIG : IKE_AUTH_PSK;
	if (auth == IKE_AUTH_PSK) {
		if (k != NULL)
			return config_fail_at(ps, config_key_set_on(ps, k),
			                      "peer '%s': %s is for auth = rsa or ecdsa, not psk",
			                      name, k);
		if (psk_line == 0)
			return config_fail_at(ps, ps->section_line, "peer '%s' has no psk", name);
		return 0;
	}
	if (psk_line != 0)
		return config_fail_at(ps, psk_line,
		                      "peer '%s': psk is not used with certificates (auth = %s); "
		                      "remove it",
		                      name, cp->auth != 0 ? auth_text(cp->auth) : "from the key");
	if (cp->cert[0] == '\0' || cp->key[0] == '\0' || cp->n_ca == 0)
		return config_fail_at(
		    ps, ps->section_line,
		    "peer '%s': certificate authentication needs cert, key and ca "
		    "(%s missing)",
		    name,
		    cp->cert[0] == '\0'  ? "cert"
		    : cp->key[0] == '\0' ? "key"
		                         : "ca");
	return 0;
}

/*
 * A whole file into a new buffer (and its length); NULL with msg.  secret: the file must
 * be neither readable nor writable by group or others, checked on the open descriptor.
 */
static uint8_t *read_file(const char *path, const char *key, bool secret, size_t *len, char *msg,
                          size_t msglen)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd == -1) {
		snprintf(msg, msglen, "cannot open %s file %s: %s", key, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "%s file %s is not a regular file", key, path);
		goto fail;
	}
	if (secret && (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH))) {
		snprintf(msg, msglen, "%s file %s is %s by group or others (chmod 600)", key, path,
		         st.st_mode & (S_IRGRP | S_IROTH) ? "readable" : "writable");
		goto fail;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > CERT_FILE_MAX) {
		snprintf(msg, msglen, "%s file %s is empty or larger than %u bytes", key, path,
		         CERT_FILE_MAX);
		goto fail;
	}
	buf = malloc((size_t)st.st_size);
	if (buf == NULL) {
		snprintf(msg, msglen, "out of memory reading %s file %s", key, path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == 0) {
		snprintf(msg, msglen, "cannot read %s file %s", key, path);
		goto fail;
	}
	close(fd);
	*len = got;
	return buf;
fail:
	if (buf != NULL)
		OPENSSL_clear_free(buf, (size_t)st.st_size);
	close(fd);
	return NULL;
}

typedef int (*creds_adder)(struct ike_creds *c, const void *text, size_t len, const char *what,
                           char *err, size_t errlen);

/* One file into the credentials through add (the key's bytes wiped after). */
static int add_file(struct ike_creds *c, creds_adder add, const char *key, const char *path,
                    bool secret, char *msg, size_t msglen)
{
	char what[CONFIG_CERT_PATH_MAX + 16];
	size_t len = 0;
	uint8_t *text = read_file(path, key, secret, &len, msg, msglen);
	int r;

	if (text == NULL)
		return -1;
	snprintf(what, sizeof(what), "%s %s", key, path);
	r = add(c, text, len, what, msg, msglen);
	OPENSSL_clear_free(text, len);
	return r;
}

/* New credentials from the section's files; NULL with msg and the key to blame. */
static struct ike_creds *read_creds(const struct config_cert_peer *cp, const char **blame,
                                    char *msg, size_t msglen)
{
	struct ike_creds *c = ike_creds_new();
	size_t i;

	*blame = "cert";
	if (c == NULL) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	if (add_file(c, ike_creds_add_own, "cert", cp->cert, false, msg, msglen) != 0)
		goto fail;
	*blame = "key";
	if (add_file(c, ike_creds_set_key, "key", cp->key, true, msg, msglen) != 0)
		goto fail;
	*blame = "ca";
	for (i = 0; i < cp->n_ca; i++)
		if (add_file(c, ike_creds_add_cas, "ca", cp->ca[i], false, msg, msglen) != 0)
			goto fail;
	*blame = "crl";
	for (i = 0; i < cp->n_crl; i++)
		if (add_file(c, ike_creds_add_crls, "crl", cp->crl[i], false, msg, msglen) != 0)
			goto fail;
	*blame = "key";
	if (ike_creds_finish(c, msg, msglen) != 0)
		goto fail;
	return c;
fail:
	ike_creds_unref(c);
	return NULL;
}

/* The section's file names as one string (the cache's key); NULL on out of memory. */
static char *files_key(const struct config_cert_peer *cp)
{
	size_t len = strlen(cp->cert) + strlen(cp->key) + 4, i;
	char *s;

	for (i = 0; i < cp->n_ca; i++)
		len += strlen(cp->ca[i]) + 1;
	for (i = 0; i < cp->n_crl; i++)
		len += strlen(cp->crl[i]) + 1;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	snprintf(s, len, "%s\n%s\n", cp->cert, cp->key);
	for (i = 0; i < cp->n_ca; i++) {
		strcat(s, cp->ca[i]);
		strcat(s, ",");
	}
	strcat(s, "\n");
	for (i = 0; i < cp->n_crl; i++) {
		strcat(s, cp->crl[i]);
		strcat(s, ",");
	}
	return s;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static struct ike_creds *cache_find(struct config_cert_load *ld, const char *files, uint64_t h)
{
	for (size_t i = 0; i < ld->n_cache; i++)
		if (ld->cache[i].hash == h && strcmp(ld->cache[i].files, files) == 0)
			return ld->cache[i].creds;
	return NULL;
}

/* Keep c for the next peers that name the same files (on out of memory, just don't). */
static void cache_add(struct config_cert_load *ld, char *files, uint64_t h, struct ike_creds *c)
{
	struct config_cert_cached *n;
	size_t cap;

	if (ld->n_cache == ld->cap_cache) {
		cap = ld->cap_cache != 0 ? 2 * ld->cap_cache : 8;
		n = realloc(ld->cache, cap * sizeof(*n));
		if (n == NULL) {
			free(files);
			return;
		}
		ld->cache = n;
		ld->cap_cache = cap;
	}
	ld->cache[ld->n_cache++] = (struct config_cert_cached){h, files, ike_creds_ref(c)};
}

/* auth = rsa with an ECDSA key, or the reverse. */
static bool auth_fits(uint16_t want, uint16_t key)
{
	if (want == 0)
		return true;
	if (want == CONFIG_AUTH_ECDSA)
		return key == IKE_AUTH_ECDSA_256 || key == IKE_AUTH_ECDSA_384 ||
		       key == IKE_AUTH_ECDSA_521;
	return want == key;
}

int config_cert_load_peer(struct config_parser *ps)
{
	struct config_cert_load *ld = config_parsing_certs(ps);
	struct ike_peer_cfg *p = config_parsing_peer(ps);
	const struct config_cert_peer *cp = &ld->peer;
	struct ike_creds *c;
	char msg[CONFIG_MSG_MAX + CONFIG_CERT_PATH_MAX], *files;
	const char *blame = "cert";
	uint64_t h;

	if (cp->auth == IKE_AUTH_PSK || cp->cert[0] == '\0')
		return 0;
	files = files_key(cp);
	if (files == NULL)
		return config_fail(ps, "out of memory");
	h = fnv1a(files);
	c = ike_creds_ref(cache_find(ld, files, h));
	if (c == NULL) {
		c = read_creds(cp, &blame, msg, sizeof(msg));
		if (c == NULL) {
			free(files);
			return config_fail_at(ps, config_key_set_on(ps, blame), "peer '%s': %s",
			                      p->name, msg);
		}
		cache_add(ld, files, h, c);
	} else {
		free(files);
	}
	if (!auth_fits(cp->auth, ike_creds_auth(c))) {
		ike_creds_unref(c);
		return config_fail_at(ps, config_key_set_on(ps, "auth"),
		                      "peer '%s': auth = %s, but the key in %s is %s", p->name,
		                      auth_text(cp->auth), cp->key,
		                      ike_creds_auth(c) == IKE_AUTH_RSA_SIG ? "RSA" : "ECDSA");
	}
	p->creds = c;
	return 0;
}

void config_cert_load_done(struct config_cert_load *ld)
{
	for (size_t i = 0; i < ld->n_cache; i++) {
		ike_creds_unref(ld->cache[i].creds);
		free(ld->cache[i].files);
	}
	free(ld->cache);
	ld->cache = NULL;
	ld->n_cache = ld->cap_cache = 0;
}

void config_cert_release(struct ike_peer_cfg *peers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ike_creds_unref(peers[i].creds);
		peers[i].creds = NULL;
	}
}
