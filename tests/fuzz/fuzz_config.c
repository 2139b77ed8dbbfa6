/*
 * fuzz_config.c - libFuzzer target for the ikemond.conf reader (agent/config.c,
 * config_parse.c, config_value.c and the proposal and selector parsers of ike/peer.c).
 *
 * The input is the file's text, read from memory through ikemond_config_load_buffer().
 * Oracles besides the sanitizers:
 *  - a load that fails says "fuzz.conf: ..." and leaves nothing allocated; one that
 *    succeeds holds only values within the limits the engine relies on, and its
 *    proposals and selectors, printed as the views print them, parse back the same;
 *  - an error message never quotes the value of a psk or auth_password line: when it
 *    holds one, the file is loaded again with that value changed (character classes
 *    kept), and the new message must not hold the new value.
 *
 * psk = file:/path makes the reader open a file; the target runs as whoever runs it.
 *
 *   ./fuzz_config tests/fuzz/corpus/config
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"

#define NAME       "fuzz.conf"
#define SECRET_MIN 4 /* shorter values change too little to tell */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ts_ok(const struct ike_ts *ts, size_t n)
{
	if (n > IKE_MAX_TS)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((ts[i].family != AF_INET && ts[i].family != AF_INET6) ||
		    ts[i].prefix > (ts[i].family == AF_INET ? 32 : 128))
			return false;
	return true;
}

static bool peer_ok(const struct ike_peer_cfg *p)
{
	size_t len = strnlen(p->name, sizeof(p->name));

	if (len == 0 || len > IKE_PEER_NAME_MAX || p->psk_len == 0 || p->psk_len > IKE_PSK_MAX)
		return false;
	if (p->n_ike == 0 || p->n_ike > IKE_MAX_PROPOSALS || p->n_esp > IKE_MAX_PROPOSALS)
		return false;
	if (!ts_ok(p->local_ts, p->n_local_ts) || !ts_ok(p->remote_ts, p->n_remote_ts))
		return false;
	if (p->has_children && (p->n_esp == 0 || p->n_remote_ts == 0))
		return false;
	if (strnlen(p->local_id.value, sizeof(p->local_id.value)) == sizeof(p->local_id.value) ||
	    strnlen(p->remote_id.value, sizeof(p->remote_id.value)) == sizeof(p->remote_id.value))
		return false;
	return true;
}

/* What the views print of a proposal or selector must read back as the same value. */
static void check_round_trip(const struct ike_peer_cfg *p)
{
	struct ike_proposal ike;
	struct ike_esp_proposal esp;
	struct ike_ts ts;
	char buf[256], err[256];
	size_t n;

	for (size_t i = 0; i < p->n_ike; i++) {
		ike_proposal_format(&p->ike[i], buf, sizeof(buf));
		if (ike_proposals_parse(buf, &ike, 1, &n, err, sizeof(err)) != 0 || n != 1 ||
		    memcmp(&ike, &p->ike[i], sizeof(ike)) != 0)
			abort();
	}
	for (size_t i = 0; i < p->n_esp; i++) {
		ike_esp_proposal_format(&p->esp[i], buf, sizeof(buf));
		if (ike_esp_proposals_parse(buf, &esp, 1, &n, err, sizeof(err)) != 0 || n != 1 ||
		    memcmp(&esp, &p->esp[i], sizeof(esp)) != 0)
			abort();
	}
	for (size_t i = 0; i < p->n_local_ts + p->n_remote_ts; i++) {
		const struct ike_ts *t =
		    i < p->n_local_ts ? &p->local_ts[i] : &p->remote_ts[i - p->n_local_ts];

		ike_ts_format(t, buf, sizeof(buf));
		if (ike_ts_parse(buf, &ts, 1, &n, err, sizeof(err)) != 0 || n != 1 ||
		    !ike_ts_equal(&ts, t))
			abort();
	}
}

static void check_loaded(const struct ikemond_config *cfg)
{
	if (cfg->n_listen > IKEMOND_MAX_LISTEN ||
	    strnlen(cfg->control, sizeof(cfg->control)) == sizeof(cfg->control))
		abort();
	if (cfg->n_peers > 0 && cfg->peers == NULL)
		abort();
	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (!peer_ok(&cfg->peers[i]))
			abort();
		check_round_trip(&cfg->peers[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->peers[i].name, cfg->peers[j].name) == 0)
				abort();
	}
}

/*
 * A character of a secret changed into another of the same class (decimal digit, hex
 * letter, other letter; anything else kept), so that a value that was a valid psk stays
 * one and an invalid one fails the same way.
 */
static char remap(char c)
{
	if (c >= '0' && c <= '9')
		return (char)('0' + (c - '0' + 5) % 10);
	if (c >= 'a' && c <= 'f')
		return (char)('a' + (c - 'a' + 3) % 6);
	if (c >= 'g' && c <= 'z')
		return (char)('g' + (c - 'g' + 10) % 20);
	if (c >= 'A' && c <= 'F')
		return (char)('A' + (c - 'A' + 3) % 6);
	if (c >= 'G' && c <= 'Z')
		return (char)('G' + (c - 'G' + 10) % 20);
	return c;
}

/*
 * Where the value of "psk = VALUE" or "auth_password = VALUE" lies on the line
 * [s, s + len): its offset and length (a 0x prefix left out), or false.
 */
static bool secret_span(const char *s, size_t len, size_t *off, size_t *n)
{
	static const char *const keys[] = {"psk", "auth_password"};
	size_t i = 0, k = 0, end;

	while (i < len && isspace((unsigned char)s[i]))
		i++;
	for (size_t j = 0; j < 2 && k == 0; j++)
		if (len - i > strlen(keys[j]) && memcmp(s + i, keys[j], strlen(keys[j])) == 0)
			k = i + strlen(keys[j]);
	while (k > 0 && k < len && isspace((unsigned char)s[k]))
		k++;
	if (k == 0 || k == len || s[k] != '=')
		return false;
	for (k++; k < len && isspace((unsigned char)s[k]); k++)
		continue;
	if (len - k >= 5 && memcmp(s + k, "file:", 5) == 0)
		return false; /* a path, which messages may name; the secret is in the file */
	if (len - k > 2 && memcmp(s + k, "0x", 2) == 0)
		k += 2;
	for (end = len; end > k && isspace((unsigned char)s[end - 1]); end--)
		continue;
	*off = k;
	*n = end - k;
	return *n >= SECRET_MIN;
}

/*
 * Does the message quote the secret at text[off..off+n)?  Containing it proves nothing
 * (a short value may be a word of the message, or of another line it quotes), so load
 * again with the secret changed: a message that follows the change quotes it.
 */
static bool quotes_secret(const char *text, size_t size, size_t off, size_t n, const char *msg)
{
	struct ikemond_config cfg;
	char *copy, *val, *moved, err2[1024] = "";
	bool leak = false;

	val = strndup(text + off, n);
	copy = malloc(size);
	if (val == NULL || copy == NULL || strlen(val) != n || strstr(msg, val) == NULL)
		goto done;
	memcpy(copy, text, size);
	for (size_t i = 0; i < n; i++)
		copy[off + i] = remap(text[off + i]);
	if (ikemond_config_load_buffer(NAME, copy, size, &cfg, err2, sizeof(err2)) == 0) {
		ikemond_config_free(&cfg);
		goto done;
	}
	moved = strndup(copy + off, n);
	/* the message changed with the secret, and holds its new value */
	leak = moved != NULL && strcmp(err2, msg) != 0 && strstr(err2, moved) != NULL;
	free(moved);
done:
	free(copy);
	free(val);
	return leak;
}

/* "fuzz.conf:LINE: message", and no secret of the file quoted in it. */
static void check_error(const char *text, size_t size, const char *err)
{
	const char *p = text, *end = text + size, *nl;
	size_t off, n;

	if (strncmp(err, NAME ":", strlen(NAME ":")) != 0)
		abort();
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (secret_span(p, (size_t)(nl - p), &off, &n) &&
		    quotes_secret(text, size, (size_t)(p - text) + off, n, err))
			abort();
	}
}

static bool all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ikemond_config cfg;
	char err[1024] = "";

	if (ikemond_config_load_buffer(NAME, (const char *)data, size, &cfg, err, sizeof(err)) ==
	    0) {
		check_loaded(&cfg);
		ikemond_config_free(&cfg);
		return 0;
	}
	/* a failed load keeps nothing: no peers, no password */
	if (cfg.peers != NULL || cfg.n_peers != 0 ||
	    !all_zero(cfg.http.auth_password, sizeof(cfg.http.auth_password)))
		abort();
	check_error((const char *)data, size, err);
	return 0;
}
