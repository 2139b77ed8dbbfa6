/*
 * show_alarms.c - `show alarms [history]`: the stall detector's alarms, in the words an
 * operator woken at 3 am needs: which peer, stuck where, for how long, the likely cause
 * and what to check.  IOS has no such command, so the layout is ikemon's own (see
 * show.h); the JSON view carries every field of the alarm record.
 *
 * The view reads alarm records only (stall.h); they hold no secret.  The engine's cause
 * detail is its own text, but it may quote what a peer sent, so the text view prints it
 * with unprintable bytes replaced (JSON escapes them anyway).
 */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "agent/show.h"

/* The columns both tables share, then the last ones of each (no trailing blanks). */
#define ALARM_COLS    "%-5s %-16s %-20s %-17s %-6s %-7s %-5s %-21s "
#define ACTIVE_TAIL   "%s\n"
#define HISTORY_TAIL  "%-20s %-20s %-9s %s\n"
#define SECS_PER_MIN  60u
#define SECS_PER_HOUR 3600u
#define SECS_PER_DAY  86400u

/* ---------------------------------------------------------------- fields */

/*
 * A duration as an operator reads it at a glance: two units at most, the larger first
 * ("45s", "12m05s", "1h02m", "3d04h").
 */
static const char *duration_text(double secs, char *buf, size_t len)
{
	unsigned long s = secs > 0 ? (unsigned long)secs : 0;

	if (s < SECS_PER_MIN)
		snprintf(buf, len, "%lus", s);
	else if (s < SECS_PER_HOUR)
		snprintf(buf, len, "%lum%02lus", s / SECS_PER_MIN, s % SECS_PER_MIN);
	else if (s < SECS_PER_DAY)
		snprintf(buf, len, "%luh%02lum", s / SECS_PER_HOUR,
		         s % SECS_PER_HOUR / SECS_PER_MIN);
	else
		snprintf(buf, len, "%lud%02luh", s / SECS_PER_DAY,
		         s % SECS_PER_DAY / SECS_PER_HOUR);
	return buf;
}

/* ISO 8601 UTC, as the JSON has it; "-" for 0 (not yet). */
static const char *time_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

/* The address, with ":PORT" ("[ADDR]:PORT" for IPv6) when not 500; "-" when not known. */
static const char *endpoint_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned int port = show_port(ss);
	bool v6 = ss->ss_family == AF_INET6;

	if (ss->ss_family != AF_INET && !v6) {
		snprintf(buf, len, "-");
		return buf;
	}
	show_addr(ss, v6, addr, sizeof(addr));
	if (port == 500 || port == 0)
		snprintf(buf, len, "%s", addr);
	else if (v6)
		snprintf(buf, len, "[%s]:%u", addr, port);
	else
		snprintf(buf, len, "%s:%u", addr, port);
	return buf;
}

static const char *state_text(const struct stall_alarm *a, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", cisco_state_name(a->state), a->phase2 ? " (phase 2)" : "");
	return buf;
}

/* A number, or "-" for 0 (none). */
static const char *number_text(uint64_t v, char *buf, size_t len)
{
	if (v == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* Text that may quote a peer, made safe for a terminal: one line, printable ASCII. */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- the table */

static void alarms_header(struct strbuf *out, size_t n, uint64_t last_seq, bool history)
{
	strbuf_printf(out, "%s alarms: %zu (last sequence number %llu)\n",
	              history ? "Cleared" : "Active", n, (unsigned long long)last_seq);
	if (n == 0)
		return;
	strbuf_printf(out, ALARM_COLS, "Seq", "Peer", "Remote", "State", "For", "Conn-id", "Child",
	              "Cause");
	if (history)
		strbuf_printf(out, HISTORY_TAIL, "Raised", "Cleared", "Clear-seq", "Reason");
	else
		strbuf_printf(out, ACTIVE_TAIL, "Raised");
}

static void alarm_row(struct strbuf *out, const struct stall_alarm *a,
                      const struct timespec *now_mono, bool history)
{
	char seq[24], remote[64], state[32], held[48], conn[16], child[16], raised[32];
	char cleared[32], clear_seq[24];

	strbuf_printf(out, ALARM_COLS, number_text(a->raise_seq, seq, sizeof(seq)), a->peer,
	              endpoint_text(&a->remote, remote, sizeof(remote)),
	              state_text(a, state, sizeof(state)),
	              duration_text(stall_alarm_seconds(a, now_mono), held, sizeof(held)),
	              number_text(a->conn_id, conn, sizeof(conn)),
	              a->phase2 ? number_text(a->child_index, child, sizeof(child)) : "-",
	              ike_cause_id(a->cause));
	time_text(a->raised_wall, raised, sizeof(raised));
	if (!history) {
		strbuf_printf(out, ACTIVE_TAIL, raised);
		return;
	}
	strbuf_printf(out, HISTORY_TAIL, raised,
	              time_text(a->cleared_wall, cleared, sizeof(cleared)),
	              number_text(a->clear_seq, clear_seq, sizeof(clear_seq)),
	              alarm_clear_reason_name(a->clear_reason));
}

/* Under the row: what to check, then what the engine saw. */
static void alarm_notes(struct strbuf *out, const struct stall_alarm *a)
{
	const char *hint = ike_cause_info(a->cause)->hint;
	char detail[sizeof(a->cause_detail)];

	if (hint[0] != '\0')
		strbuf_printf(out, "  hint: %s\n", hint);
	if (a->cause_detail[0] != '\0')
		strbuf_printf(out, "  detail: %s\n",
		              printable(a->cause_detail, detail, sizeof(detail)));
}

void show_alarms(struct strbuf *out, const struct stall_alarm *first, uint64_t last_seq,
                 const struct timespec *now_mono, bool history)
{
	struct timespec now;
	size_t n = 0;

	if (now_mono == NULL) {
		ike_mono_now(&now);
		now_mono = &now;
	}
	for (const struct stall_alarm *a = first; a != NULL; a = a->next)
		n++;
	alarms_header(out, n, last_seq, history);
	for (const struct stall_alarm *a = first; a != NULL; a = a->next) {
		alarm_row(out, a, now_mono, history);
		alarm_notes(out, a);
	}
}

/* ---------------------------------------------------------------- JSON */

/* Seconds with the millisecond precision the record has: 30, 1.5. */
static void jw_ms_as_seconds(struct jw *w, const char *key, uint32_t ms)
{
	jw_key(w, key);
	if (ms % 1000 == 0)
		strbuf_printf(w->b, "%lu", (unsigned long)(ms / 1000));
	else
		strbuf_printf(w->b, "%lu.%03lu", (unsigned long)(ms / 1000),
		              (unsigned long)(ms % 1000));
}

static void jw_alarm_cause(struct jw *w, const struct stall_alarm *a)
{
	const struct ike_cause_info *ci = ike_cause_info(a->cause);

	jw_str(w, "cause", ci->id);
	jw_u64(w, "cause_number", (uint64_t)a->cause);
	jw_str(w, "cause_text", ci->text);
	jw_str(w, "hint", ci->hint);
	jw_str(w, "cause_detail", a->cause_detail);
}

static void jw_alarm_clear(struct jw *w, const struct stall_alarm *a)
{
	if (a->clear_seq != 0)
		jw_u64(w, "clear_seq", a->clear_seq);
	else
		jw_null(w, "clear_seq");
	jw_time(w, "cleared", a->clear_seq != 0 ? a->cleared_wall : 0);
	jw_str(w, "clear_reason", alarm_clear_reason_name(a->clear_reason));
}

static void jw_alarm(struct jw *w, const struct stall_alarm *a, const struct timespec *now_mono)
{
	jw_open(w, NULL, '{');
	jw_u64(w, "raise_seq", a->raise_seq);
	jw_str(w, "peer", a->peer);
	jw_endpoint(w, "local", &a->local);
	jw_endpoint(w, "remote", &a->remote);
	jw_str(w, "state", cisco_state_name(a->state));
	jw_u64(w, "state_number", (uint64_t)a->state);
	jw_bool(w, "phase2", a->phase2);
	jw_key(w, "seconds_in_state");
	strbuf_printf(w->b, "%.3f", stall_alarm_seconds(a, now_mono));
	jw_time(w, "since", a->state_since_wall);
	jw_u64(w, "conn_id", a->conn_id);
	jw_u64(w, "child_index", a->child_index);
	jw_alarm_cause(w, a);
	jw_ms_as_seconds(w, "threshold_s", a->threshold_ms);
	jw_time(w, "raised", a->raised_wall);
	jw_alarm_clear(w, a);
	jw_close(w, '}');
}

void show_alarms_json(struct strbuf *out, const struct stall_alarm *first, uint64_t last_seq,
                      const struct timespec *now_mono)
{
	struct jw w = {out, false};
	struct timespec now;

	if (now_mono == NULL) {
		ike_mono_now(&now);
		now_mono = &now;
	}
	jw_open(&w, NULL, '{');
	jw_u64(&w, "last_seq", last_seq);
	jw_open(&w, "alarms", '[');
	for (const struct stall_alarm *a = first; a != NULL; a = a->next)
		jw_alarm(&w, a, now_mono);
	jw_close(&w, ']');
	jw_close(&w, '}');
	strbuf_append(out, "\n", 1);
}
