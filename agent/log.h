/*
 * log.h - ikemond's log: stderr (with a timestamp) or syslog, filtered by level.
 * Callers never pass secrets; the engine's messages are already free of them.
 */
#ifndef AGENT_LOG_H
#define AGENT_LOG_H

#include <stdbool.h>

/* target: false = stderr, true = syslog; level: LOG_ERR .. LOG_DEBUG. */
void log_open(const char *ident, bool use_syslog, int level);
void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_close(void);

#endif /* AGENT_LOG_H */
