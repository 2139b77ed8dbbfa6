/*
 * ikemon_mib.h - IKEMON-MIB's objects (mib/IKEMON-MIB.txt), registered with the Net-SNMP
 * agent that mib/snmp_agent.c runs inside ikemond (master or AgentX subagent).
 *
 * Every value is read live at request time from the engine (SA table, peers), the stall
 * detector and the failure history; the tables answer GET and GETNEXT through sorted
 * indexes, so a walk of n rows costs O(n log n), never O(n^2).  All on ikemond's one thread.
 */
#ifndef MIB_IKEMON_MIB_H
#define MIB_IKEMON_MIB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "agent/failhist.h"
#include "agent/stall.h"
#include "ike/engine.h"

/* 1.3.6.1.4.1.8072.9999.9999.500: netSnmpPlaypen.500 */
#define IKEMON_MIB_OID     1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 500
#define IKEMON_MIB_OID_LEN 10

struct ikemon_mib_sources {
	struct ike_engine *engine;
	struct stall_detector *stall;
	struct failhist *failhist;
	time_t start_wall; /* ikemonAgentStartTime */
	const char *version;
};

/*
 * Register every object of ikemonObjects (scalars and tables) with the agent (after
 * init_agent(), before or after init_snmp()).  The sources must outlive the
 * registration.  Returns 0, or -1 with a message in err.
 */
int ikemon_mib_register(const struct ikemon_mib_sources *src, char *err, size_t errlen);
/* Unregister them (before shutting the agent down). */
void ikemon_mib_unregister(void);

/* Encode t as an 11-octet DateAndTime in UTC (t == 0: 8 zero octets). Returns the length. */
size_t ikemon_mib_date_and_time(time_t t, uint8_t out[11]);

#endif /* MIB_IKEMON_MIB_H */
