/*
 * snmp_log.c - Net-SNMP's log into ikemond's: see snmp_log.h.
 *
 * Net-SNMP hands its callback handler pieces of lines (a config error is one call, a
 * hex dump many); they are gathered up to the newline, so that a line is logged once
 * and a secret split across two pieces is still masked.  The secrets are copies of the
 * configured communities and passphrases, wiped at stop.  State is file-static because
 * Net-SNMP's log is: one process, one log.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <openssl/crypto.h>

#include "agent/log.h"
#include "mib/snmp_log.h"

#define LINE_MAX_LEN 1024
#define SECRETS_MAX  (2 * 64 + 8) /* two per config line, with room */
#define SECRET_MAX   160
#define MASK         "*****"

static struct {
	bool started;
	char line[LINE_MAX_LEN + 1];
	size_t len;
	int level; /* the most severe level of the pieces gathered */
	char secrets[SECRETS_MAX][SECRET_MAX + 1];
	size_t n_secrets;
	bool capture;
	bool have_error;
	char error[256];
} g;

/* Replace every secret in line (of LINE_MAX_LEN + 1 bytes) by MASK. */
static void mask_secrets(char *line)
{
	char out[LINE_MAX_LEN + 1];
	size_t i, o, k, slen;
	bool hit;

	for (k = 0; k < g.n_secrets; k++) {
		slen = strlen(g.secrets[k]);
		if (slen == 0 || strstr(line, g.secrets[k]) == NULL)
			continue;
		for (i = 0, o = 0; line[i] != '\0' && o < LINE_MAX_LEN;) {
			hit = strncmp(line + i, g.secrets[k], slen) == 0;
			if (hit && o + sizeof(MASK) - 1 <= LINE_MAX_LEN) {
				memcpy(out + o, MASK, sizeof(MASK) - 1);
				o += sizeof(MASK) - 1;
				i += slen;
			} else if (hit) {
				break; /* no room for the mask: cut the line here */
			} else {
				out[o++] = line[i++];
			}
		}
		out[o] = '\0';
		memcpy(line, out, o + 1);
	}
	OPENSSL_cleanse(out, sizeof(out));
}

static void flush_line(void)
{
	while (g.len > 0 && (g.line[g.len - 1] == '\n' || g.line[g.len - 1] == '\r'))
		g.len--;
	g.line[g.len] = '\0';
	/*
	 * Net-SNMP 5.9's AgentX subagent closes its session from inside the shutdown
	 * callbacks and then unregisters one of them: a 100 ms wait and an assertion about
	 * the callback lock, harmless, at every stop.  Not an error of ours to report.
	 */
	if (strstr(g.line, "_callback_lock") != NULL)
		g.level = LOG_DEBUG;
	if (g.len > 0) {
		mask_secrets(g.line);
		log_msg(g.level, "snmp: %s", g.line);
		if (g.capture && g.level <= LOG_ERR && !g.have_error) {
			snprintf(g.error, sizeof(g.error), "%s", g.line);
			g.have_error = true;
		}
	}
	OPENSSL_cleanse(g.line, sizeof(g.line));
	g.len = 0;
	g.level = LOG_DEBUG;
}

/* Net-SNMP's SNMP_CALLBACK_LOGGING: one piece of a line. */
static int on_log(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;
	const char *p;
	size_t n;

	(void)major;
	(void)minor;
	(void)clientarg;
	if (m == NULL || m->msg == NULL)
		return 0;
	for (p = m->msg; *p != '\0'; p += n) {
		n = strcspn(p, "\n");
		if (m->priority < g.level)
			g.level = m->priority < LOG_ERR ? LOG_ERR : m->priority;
		if (n > LINE_MAX_LEN - g.len)
			n = LINE_MAX_LEN - g.len;
		memcpy(g.line + g.len, p, n);
		g.len += n;
		if (p[n] == '\n') {
			n++;
			flush_line();
		} else if (g.len == LINE_MAX_LEN) {
			flush_line();
			n += strcspn(p + n, "\n"); /* the rest of an overlong line is dropped */
		}
	}
	return 0;
}

void snmp_log_glue_start(void)
{
	g.level = LOG_DEBUG;
	g.len = 0;
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, on_log, NULL);
	snmp_enable_calllog();
	g.started = true;
}

int snmp_log_glue_add_secret(const char *s)
{
	if (g.n_secrets == SECRETS_MAX || strlen(s) > SECRET_MAX)
		return -1;
	for (size_t k = 0; k < g.n_secrets; k++) {
		if (strcmp(g.secrets[k], s) == 0)
			return 0;
	}
	snprintf(g.secrets[g.n_secrets++], SECRET_MAX + 1, "%s", s);
	return 0;
}

void snmp_log_glue_stop(void)
{
	if (g.len > 0)
		flush_line();
	OPENSSL_cleanse(g.secrets, sizeof(g.secrets));
	g.n_secrets = 0;
	g.capture = false;
	g.started = false;
}

void snmp_log_glue_capture(bool on)
{
	g.capture = on;
	if (on) {
		g.have_error = false;
		g.error[0] = '\0';
	}
}

bool snmp_log_glue_error(char *err, size_t errlen)
{
	if (g.len > 0)
		flush_line();
	if (g.have_error && errlen > 0)
		snprintf(err, errlen, "%s", g.error);
	return g.have_error;
}
