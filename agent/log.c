/*
 * log.c - the daemon's log sink.  Its settings are the only process-wide state outside
 * the daemon context: the engine and the views call through it from one thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static struct {
	bool use_syslog;
	int level;
	const char *ident;
} logcfg = {false, LOG_INFO, "ikemond"};

static const char *level_name(int level)
{
	static const char *const names[] = {"emerg",   "alert",  "crit", "error",
	                                    "warning", "notice", "info", "debug"};

	return level >= 0 && level <= LOG_DEBUG ? names[level] : "?";
}

void log_open(const char *ident, bool use_syslog, int level)
{
	logcfg.ident = ident;
	logcfg.use_syslog = use_syslog;
	logcfg.level = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	logcfg.level = level;
}

void log_msg(int level, const char *fmt, ...)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > logcfg.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (logcfg.use_syslog) {
		syslog(level, "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%ld]: %s: %s\n", stamp, ts.tv_nsec / 1000000L, logcfg.ident,
	        (long)getpid(), level_name(level), msg);
}

void log_close(void)
{
	if (logcfg.use_syslog)
		closelog();
}
