/*
 * config_value.c - parsers for single ikemond.conf values.
 *
 * Strict on purpose: a typo in a number or an address is an error at startup, not a
 * silently different daemon.  Nothing here resolves host names.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent/config_value.h"
#include "ike/cert.h"
#include "ike/ike.h"

static int value_error(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write the message; returns -1 so that callers can return it. */
static int value_error(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msglen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

char *config_value_trim(char *s)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

char *config_value_split_next(char **rest)
{
	char *item = *rest;
	char *comma;

	if (item == NULL)
		return NULL;
	comma = strchr(item, ',');
	if (comma != NULL) {
		*comma = '\0';
		*rest = comma + 1;
	} else {
		*rest = NULL;
	}
	return config_value_trim(item);
}

void config_value_strip_comment(char *s)
{
	bool quoted = false;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (quoted && s[i] == '\\' && s[i + 1] != '\0') {
			i++;
			continue;
		}
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && (s[i] == ';' || s[i] == '#') &&
		         (i == 0 || isspace((unsigned char)s[i - 1]))) {
			s[i] = '\0';
			return;
		}
	}
}

bool config_value_peer_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > IKE_PEER_NAME_MAX)
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                    "0123456789_.-") == len;
}

bool config_value_log_level(const char *s, int *level)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
	    {"err", LOG_ERR},   {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
	    {"info", LOG_INFO}, {"debug", LOG_DEBUG},
	};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(s, levels[i].name) == 0) {
			*level = levels[i].level;
			return true;
		}
	}
	return false;
}

bool config_value_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;

	if (*s == '\0')
		return false;
	/* By hand: strtoul would take a sign, blanks and "0x". */
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s) || v > (UINT32_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool config_value_seconds_ms(const char *s, uint32_t *ms)
{
	uint64_t whole = 0, total;
	uint32_t frac = 0, scale = 1000;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		if (whole > UINT32_MAX / 1000)
			return false;
		whole = whole * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		for (; isdigit((unsigned char)*s); s++) {
			if (scale == 1)
				return false;
			scale /= 10;
			frac += (uint32_t)(*s - '0') * scale;
		}
	}
	/* In 64 bits: 4294968 s would wrap to 0.704 s in 32. */
	total = whole * 1000 + frac;
	if (*s != '\0' || total > UINT32_MAX)
		return false;
	*ms = (uint32_t)total;
	return true;
}

int config_value_seconds_in(const char *s, const char *key, uint32_t min_ms, uint32_t max_ms,
                            uint32_t *ms, char *msg, size_t msglen)
{
	char lo[24], hi[24];
	uint32_t v;

	if (!config_value_seconds_ms(s, &v) || v < min_ms || v > max_ms)
		return value_error(msg, msglen, "bad %.60s '%.40s' (expected seconds, %s to %s)",
		                   key, s, config_value_ms_text(min_ms, lo, sizeof(lo)),
		                   config_value_ms_text(max_ms, hi, sizeof(hi)));
	*ms = v;
	return 0;
}

const char *config_value_ms_text(uint64_t ms, char *buf, size_t len)
{
	char frac[8];
	size_t n;

	if (ms % 1000 == 0) {
		snprintf(buf, len, "%llu", (unsigned long long)(ms / 1000));
		return buf;
	}
	snprintf(frac, sizeof(frac), "%03u", (unsigned)(ms % 1000));
	for (n = strlen(frac); frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	snprintf(buf, len, "%llu.%s", (unsigned long long)(ms / 1000), frac);
	return buf;
}

int config_value_stall_state(const char *name, const char *key, enum cisco_state *state, char *msg,
                             size_t msglen)
{
	char known[128] = "";
	int st;

	for (st = CISCO_STATE_MIN; st < CISCO_QM_IDLE; st++) {
		if (strcasecmp(name, cisco_state_name(st)) == 0) {
			*state = (enum cisco_state)st;
			return 0;
		}
	}
	if (strcasecmp(name, cisco_state_name(CISCO_QM_IDLE)) == 0)
		return value_error(msg, msglen,
		                   "%.60s: QM_IDLE has no stall_after.STATE; use qm_stall_after",
		                   key);
	for (st = CISCO_STATE_MIN; st < CISCO_QM_IDLE; st++) {
		if (known[0] != '\0')
			strncat(known, ", ", sizeof(known) - strlen(known) - 1);
		strncat(known, cisco_state_name(st), sizeof(known) - strlen(known) - 1);
	}
	return value_error(msg, msglen, "unknown state '%.40s' in %.60s (one of %s)", name, key,
	                   known);
}

unsigned config_value_addr_bits(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

bool config_value_addr(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return true;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return true;
	}
	return false;
}

bool config_value_hostport(const char *s, struct sockaddr_storage *ss)
{
	return config_value_hostport_or(s, CONFIG_IKE_PORT, ss);
}

bool config_value_hostport_or(const char *s, uint16_t default_port, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *close, *colon;
	const char *start = s;
	size_t hlen;
	uint32_t portnum = default_port;

	if (s[0] == '[') {
		close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return false;
		start = s + 1;
		hlen = (size_t)(close - start);
		if (close[1] == ':')
			port = close + 2;
	} else {
		colon = strchr(s, ':');
		/* One colon separates a port; more make an IPv6 address without one. */
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hlen = (size_t)(colon - s);
			port = colon + 1;
		} else {
			hlen = strlen(s);
		}
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return false;
	memcpy(host, start, hlen);
	host[hlen] = '\0';
	if (port != NULL && !config_value_u32(port, 1, 65535, &portnum))
		return false;
	if (!config_value_addr(host, (uint16_t)portnum, ss))
		return false;
	if (s[0] == '[')
		return ss->ss_family == AF_INET6;
	return port == NULL || ss->ss_family == AF_INET;
}

int config_value_listen(char *s, uint16_t port, struct sockaddr_storage *ss, size_t max, size_t *n,
                        char *msg, size_t msglen)
{
	char *rest = s, *item;
	size_t i, got = 0;

	while ((item = config_value_split_next(&rest)) != NULL) {
		if (got == max)
			return value_error(msg, msglen, "more than %zu listen addresses", max);
		if (!config_value_hostport_or(item, port, &ss[got]))
			return value_error(msg, msglen,
			                   "bad listen address '%.80s' (expected ADDR[:PORT] or "
			                   "[V6ADDR][:PORT])",
			                   item);
		/* Both sides were built from zeroed storage, so bytes compare exactly. */
		for (i = 0; i < got; i++) {
			if (memcmp(&ss[i], &ss[got], sizeof(ss[i])) == 0)
				return value_error(msg, msglen,
				                   "listen address '%.80s' given twice", item);
		}
		got++;
	}
	*n = got;
	return 0;
}

bool config_value_remote_single(const struct ike_peer_cfg *p)
{
	return !p->remote_any && p->remote_prefix == config_value_addr_bits(p->remote.ss_family);
}

/* Whether every address bit after the first prefix bits is zero. */
static bool host_bits_clear(const struct sockaddr_storage *ss, unsigned prefix)
{
	const uint8_t *a;
	unsigned bit, bits = config_value_addr_bits(ss->ss_family);

	if (ss->ss_family == AF_INET6)
		a = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	for (bit = prefix; bit < bits; bit++) {
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	}
	return true;
}

int config_value_remote(char *s, struct ike_peer_cfg *p, char *msg, size_t msglen)
{
	char *slash = strchr(s, '/');
	uint32_t prefix;

	if (strcmp(s, "%any") == 0) {
		memset(&p->remote, 0, sizeof(p->remote));
		p->remote_prefix = 0;
		p->remote_any = true;
		return 0;
	}
	if (slash != NULL) {
		*slash = '\0';
		if (!config_value_addr(s, CONFIG_IKE_PORT, &p->remote) ||
		    !config_value_u32(slash + 1, 0, config_value_addr_bits(p->remote.ss_family),
		                      &prefix))
			return value_error(msg, msglen, "bad remote subnet '%.60s/%.10s'", s,
			                   slash + 1);
		/* 10.0.0.1/24 is most likely a typo for a host or for 10.0.0.0/24. */
		if (!host_bits_clear(&p->remote, prefix))
			return value_error(msg, msglen,
			                   "remote subnet '%.60s/%u' has bits set after the prefix",
			                   s, prefix);
		p->remote_prefix = (uint8_t)prefix;
		return 0;
	}
	if (!config_value_hostport(s, &p->remote))
		return value_error(msg, msglen,
		                   "bad remote '%.80s' (expected ADDR[:PORT], [V6ADDR]:PORT, "
		                   "ADDR/PREFIX or %%any)",
		                   s);
	p->remote_prefix = (uint8_t)config_value_addr_bits(p->remote.ss_family);
	return 0;
}

/*
 * Where a secret goes: at most max bytes (max <= IKE_PSK_MAX) straight into out, its
 * length into *len; key names it in messages, which never quote the secret itself.
 */
struct secret_dest {
	const char *key;
	uint8_t *out;
	size_t max;
	size_t *len;
};

/* "text" with \" and \\ escapes. */
static int secret_quoted(const struct secret_dest *d, const char *s, char *msg, size_t msglen)
{
	size_t n = 0;

	for (s++; *s != '"'; s++) {
		if (*s == '\0')
			return value_error(msg, msglen, "%s lacks its closing quote", d->key);
		if (*s == '\\') {
			s++;
			if (*s != '"' && *s != '\\')
				return value_error(msg, msglen,
				                   "%s has a bad escape (only \\\" "
				                   "and \\\\ are known)",
				                   d->key);
		}
		if (n == d->max)
			return value_error(msg, msglen, "%s longer than %zu bytes", d->key, d->max);
		d->out[n++] = (uint8_t)*s;
	}
	if (s[1] != '\0')
		return value_error(msg, msglen, "text after the closing quote of %s", d->key);
	if (n == 0)
		return value_error(msg, msglen, "%s is empty", d->key);
	*d->len = n;
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int psk_hex(const char *s, uint8_t *psk, size_t *psk_len, char *msg, size_t msglen)
{
	size_t i, len = strlen(s);
	int hi, lo;

	if (len == 0 || len % 2 != 0)
		return value_error(msg, msglen,
		                   "psk 0x... needs an even, non-zero number of hex digits");
	if (len / 2 > IKE_PSK_MAX)
		return value_error(msg, msglen, "psk longer than %d bytes", IKE_PSK_MAX);
	for (i = 0; i < len / 2; i++) {
		hi = hex_nibble(s[2 * i]);
		lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return value_error(msg, msglen,
			                   "psk 0x... holds a character that is not a hex digit");
		psk[i] = (uint8_t)(hi << 4 | lo);
	}
	*psk_len = len / 2;
	return 0;
}

/* Read fd into buf until the end of the file or of buf; the length, or -1 (errno). */
static ssize_t read_all(int fd, uint8_t *buf, size_t size)
{
	size_t got = 0;
	ssize_t r;

	while (got < size) {
		r = read(fd, buf + got, size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * file:/path.  The mode is checked on the opened descriptor, not on the name, so that
 * the file we check is the file we read.
 */
static int secret_file(const struct secret_dest *d, const char *path, char *msg, size_t msglen)
{
	uint8_t buf[IKE_PSK_MAX + 3]; /* room to see that a file is too long */
	size_t want = d->max + 3 < sizeof(buf) ? d->max + 3 : sizeof(buf);
	struct stat st;
	ssize_t len;
	int fd, ret = -1;

	/* O_NONBLOCK: opening a FIFO would wait for a writer, and ikemond's loop with it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return value_error(msg, msglen, "cannot open %s file %s: %s", d->key, path,
		                   strerror(errno));
	if (fstat(fd, &st) == -1) {
		value_error(msg, msglen, "cannot stat %s file %s: %s", d->key, path,
		            strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		value_error(msg, msglen, "%s file %s is not a regular file", d->key, path);
		goto done;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH)) {
		value_error(msg, msglen, "%s file %s is %s by group or others (chmod 600)", d->key,
		            path, st.st_mode & (S_IRGRP | S_IROTH) ? "readable" : "writable");
		goto done;
	}
	len = read_all(fd, buf, want);
	if (len == -1) {
		value_error(msg, msglen, "cannot read %s file %s: %s", d->key, path,
		            strerror(errno));
		goto done;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0) {
		value_error(msg, msglen, "%s file %s is empty", d->key, path);
		goto done;
	}
	if ((size_t)len > d->max) {
		value_error(msg, msglen, "%s in file %s is longer than %zu bytes", d->key, path,
		            d->max);
		goto done;
	}
	memcpy(d->out, buf, (size_t)len);
	*d->len = (size_t)len;
	ret = 0;
done:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return ret;
}

int config_value_psk(const char *s, uint8_t *psk, size_t *psk_len, char *msg, size_t msglen)
{
	const struct secret_dest d = {"psk", psk, IKE_PSK_MAX, psk_len};

	if (s[0] == '"')
		return secret_quoted(&d, s, msg, msglen);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return psk_hex(s + 2, psk, psk_len, msg, msglen);
	if (strncmp(s, "file:", 5) == 0)
		return secret_file(&d, s + 5, msg, msglen);
	/* The value itself is not quoted back: it may well be the secret. */
	return value_error(msg, msglen, "psk must be \"text\", 0xHEX or file:/path");
}

/* A password is a C string: it may hold any byte but NUL. */
int config_value_password(const char *s, const char *key, char *pw, size_t size, char *msg,
                          size_t msglen)
{
	size_t len = 0;
	const struct secret_dest d = {key, (uint8_t *)pw, size - 1, &len};
	int ret;

	if (s[0] == '"')
		ret = secret_quoted(&d, s, msg, msglen);
	else if (strncmp(s, "file:", 5) == 0)
		ret = secret_file(&d, s + 5, msg, msglen);
	else
		ret = value_error(msg, msglen, "%s must be \"text\" or file:/path", key);
	if (ret == 0 && memchr(pw, '\0', len) != NULL)
		ret = value_error(msg, msglen, "%s holds a NUL byte", key);
	if (ret == -1) {
		OPENSSL_cleanse(pw, size); /* a part may have been decoded */
		return -1;
	}
	pw[len] = '\0';
	return 0;
}

bool config_value_on_off(const char *s, bool *on)
{
	if (strcmp(s, "on") == 0)
		*on = true;
	else if (strcmp(s, "off") == 0)
		*on = false;
	else
		return false;
	return true;
}

int config_value_file(const char *s, const char *key, char *path, size_t size, char *msg,
                      size_t msglen)
{
	struct stat st;

	if (s[0] != '/')
		return value_error(msg, msglen, "bad %s '%.80s' (expected an absolute path)", key,
		                   s);
	if (strlen(s) >= size)
		return value_error(msg, msglen, "%s path longer than %zu bytes", key, size - 1);
	if (stat(s, &st) == -1)
		return value_error(msg, msglen, "%s %s: %s", key, s, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return value_error(msg, msglen, "%s %s is not a regular file", key, s);
	memcpy(path, s, strlen(s) + 1);
	return 0;
}

bool config_value_user(const char *s, size_t size)
{
	size_t len = strlen(s);

	if (len == 0 || len >= size)
		return false;
	for (; *s != '\0'; s++) {
		if (!isgraph((unsigned char)*s) || *s == ':')
			return false;
	}
	return true;
}

/* The identity's type from its form, when no prefix names it. */
static uint8_t id_type_of(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET, s, &a) == 1)
		return IKE_ID_IPV4_ADDR;
	if (inet_pton(AF_INET6, s, &a) == 1)
		return IKE_ID_IPV6_ADDR;
	/* strongSwan's rule: an identity with '=' is a distinguished name */
	if (s[0] != '@' && strchr(s, '=') != NULL)
		return IKE_ID_DER_ASN1_DN;
	if (s[0] != '@' && strchr(s, '@') != NULL)
		return IKE_ID_USER_FQDN;
	return IKE_ID_FQDN;
}

/* Addresses are kept in canonical form: the form inet_ntop gives what peers send. */
static int id_address(const char *s, const char *key, struct ike_id *id, char *msg, size_t msglen)
{
	int af = id->type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6;
	struct in6_addr a;

	if (inet_pton(af, s, &a) != 1 || inet_ntop(af, &a, id->value, sizeof(id->value)) == NULL)
		return value_error(msg, msglen, "bad %s '%.80s' (not an %s address)", key, s,
		                   af == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

/* The type an explicit prefix names, with s moved past it; 0 when there is none. */
static uint8_t id_prefix(const char **s)
{
	static const struct {
		const char *prefix;
		uint8_t type;
	} prefixes[] = {
	    {"fqdn:", IKE_ID_FQDN},          {"email:", IKE_ID_USER_FQDN},
	    {"userfqdn:", IKE_ID_USER_FQDN}, {"ipv4:", IKE_ID_IPV4_ADDR},
	    {"ipv6:", IKE_ID_IPV6_ADDR},     {"dn:", IKE_ID_DER_ASN1_DN},
	    {"asn1dn:", IKE_ID_DER_ASN1_DN},
	};
	size_t i, len;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		len = strlen(prefixes[i].prefix);
		if (strncasecmp(*s, prefixes[i].prefix, len) == 0) {
			*s += len;
			return prefixes[i].type;
		}
	}
	return 0;
}

int config_value_id(const char *s, const char *key, struct ike_id *id, char *msg, size_t msglen)
{
	const char *c;

	memset(id, 0, sizeof(*id));
	/* %any (remote_id): whatever identity the peer sends (type 0, as the default) */
	if (strcmp(s, "%any") == 0) {
		memcpy(id->value, "%any", 5);
		return 0;
	}
	id->type = id_prefix(&s);
	if (id->type == 0) {
		id->type = id_type_of(s);
		/* strongSwan's "@name": an FQDN that is never taken for an address */
		if (s[0] == '@')
			s++;
	}
	if (*s == '\0')
		return value_error(msg, msglen, "%s is empty", key);
	if (strlen(s) > IKE_ID_MAX)
		return value_error(msg, msglen, "%s longer than %d characters", key, IKE_ID_MAX);
	for (c = s; *c != '\0'; c++) {
		if (iscntrl((unsigned char)*c))
			return value_error(msg, msglen, "%s holds a control character", key);
	}
	if (id->type == IKE_ID_IPV4_ADDR || id->type == IKE_ID_IPV6_ADDR)
		return id_address(s, key, id, msg, msglen);
	/* kept as ike/cert.c prints DNs, the form the views show of received ones */
	if (id->type == IKE_ID_DER_ASN1_DN &&
	    ike_dn_canonical(s, id->value, sizeof(id->value)) != 0)
		return value_error(msg, msglen,
		                   "bad %s '%.80s' (not a distinguished name such as "
		                   "\"C=CH, O=Example, CN=gw1\", or too long)",
		                   key, s);
	if (id->type == IKE_ID_DER_ASN1_DN)
		return 0;
	memcpy(id->value, s, strlen(s) + 1);
	return 0;
}
