/*
 * snmp_log.h - Net-SNMP's own log routed into ikemond's (agent/log.h): whole lines,
 * prefixed "snmp: ", with every configured secret masked, and the first error kept so
 * that a start (or a notification) can tell it failed.
 *
 * Net-SNMP's log is process-wide, so this glue is too: one set of secrets, one capture.
 * All on ikemond's one thread.
 */
#ifndef MIB_SNMP_LOG_H
#define MIB_SNMP_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Take over Net-SNMP's log (stderr and the rest off, a callback into log_msg on). */
void snmp_log_glue_start(void);
/* Mask s (a community, a passphrase) wherever it appears in a line.  0, or -1 when full. */
int snmp_log_glue_add_secret(const char *s);
/* Flush a partial line, forget and wipe the secrets. */
void snmp_log_glue_stop(void);

/*
 * Keep the first line logged at LOG_ERR or worse from now on (capture on), or stop
 * keeping (off).  snmp_log_glue_error() copies it into err and returns true when one was.
 */
void snmp_log_glue_capture(bool on);
bool snmp_log_glue_error(char *err, size_t errlen);

#endif /* MIB_SNMP_LOG_H */
