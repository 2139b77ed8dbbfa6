/*
 * commands.h - what the control socket's requests mean: the daemon side of ikemonctl.
 *
 *   show crypto isakmp sa [detail] [--json]
 *   show crypto ipsec sa [--json]
 *   show ikemon peers [--json]
 *   show ikemon status [--json]
 *   show alarms [history] [--json]
 *   initiate PEER
 *   clear crypto isakmp [CONN-ID]
 *   clear alarm PEER
 *   reload
 *   version
 *   help
 *
 * Keywords may be abbreviated to any unique prefix, as on IOS ("sh cry isa sa").
 * "--json" may stand anywhere in the request; only the show command accepts it.
 * The daemon is the authority on commands: ikemonctl passes words through unchecked.
 */
#ifndef AGENT_COMMANDS_H
#define AGENT_COMMANDS_H

#include "agent/show.h"
#include "agent/stall.h"
#include "ike/engine.h"

/* Services only ikemond can provide. */
struct commands_ops {
	/*
	 * Re-read the configuration and apply it.  Returns 0, or -1; either way out holds a
	 * message for the operator ("reloaded: 3 peers" / "FILE:LINE: error").  May be NULL:
	 * reload then reports that it is not available.
	 */
	int (*reload)(void *ctx, struct strbuf *out);
	/*
	 * The daemon's own state: pid, uptime, configuration, the last reload's outcome and
	 * why it failed, whether core dumps are possible.  May be NULL.
	 */
	void (*status)(void *ctx, struct strbuf *out, bool json);
	void *ctx;
	/* The stall detector, for show alarms / clear alarm / peer health; may be NULL. */
	struct stall_detector *stall;
};

/*
 * Run one request (argv[0..argc-1]) against the engine and write the answer to out.
 * Returns 0 on success, -1 on error (out then holds the message, without "ERR").
 * Fits control_handler_fn through a small adapter in ikemond.
 */
int commands_dispatch(struct ike_engine *e, const struct commands_ops *ops, int argc, char **argv,
                      struct strbuf *out);

#endif /* AGENT_COMMANDS_H */
