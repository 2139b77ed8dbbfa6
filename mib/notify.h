/*
 * notify.h - IKEMON-MIB's notifications (MIB-LAYOUT: { ikemonNotificationPrefix N }),
 * built from the engine's, the stall detector's and the failure history's events and
 * handed to Net-SNMP's trap sinks (send_v2trap: v2c traps and informs, v3 trapsess; in
 * AgentX mode to the master, which sends them to its own sinks).
 *
 * A rate limit lets at most burst notifications out per period; the rest are held
 * (dropped and counted) and, when the period ends, one ikemonNotificationsHeld says how
 * many and over how long.  Sent, held and failed notifications are counted in the
 * metrics (metrics_count_notification).  Nothing here waits on a target: traps are one
 * datagram, and informs are retried by Net-SNMP's timers on the loop.
 *
 * Net-SNMP must be initialised (init_agent, init_snmp) before notify_new().
 */
#ifndef MIB_NOTIFY_H
#define MIB_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "mib/snmp_agent.h"

struct snmp_notify;

/*
 * Start notifying: subscribe (once per process: the sources have no unsubscribe, so a
 * notifier made after a restart of the agent takes over the same subscriptions).
 * targets: whether any notification target exists (without one nothing is built or
 * counted).  NULL on out of memory or when a source has no room for a subscriber.
 */
struct snmp_notify *notify_new(const struct snmp_agent_sources *src, uint32_t burst,
                               uint32_t period_s, bool targets);
void notify_free(struct snmp_notify *n);
/* A new rate limit (a reload); the period running goes on. */
void notify_set_limit(struct snmp_notify *n, uint32_t burst, uint32_t period_s);

/* ikemonStarted (ikemonAgentStartTime.0, ikemonAgentVersion.0). */
void notify_started(struct snmp_notify *n);

/* Milliseconds until the rate limit's period ends with notifications held; -1 none. */
int64_t notify_next_timeout_ms(struct snmp_notify *n);
/* End the period when due: send ikemonNotificationsHeld for what was held. */
void notify_run(struct snmp_notify *n);

#endif /* MIB_NOTIFY_H */
