/*
 * privdrop.h - ikemond gives up root once its sockets are open and its key files read:
 * it becomes the configured user (user =, group = in [ikemond]) and keeps one
 * capability, CAP_NET_BIND_SERVICE, so that a reload can still bind a port below 1024
 * (a new listen address on UDP 500).  Nothing leads back to root afterwards: the
 * bounding set holds that one capability, the saved IDs are the user's, and
 * privdrop_apply() checks that setuid(0) and setgid(0) fail before it returns.
 */
#ifndef AGENT_PRIVDROP_H
#define AGENT_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privdrop {
	bool enabled; /* a user was configured */
	uid_t uid;
	gid_t gid;
};

/*
 * Resolve user (empty: nothing to drop, p->enabled false) and group (empty: the user's
 * primary group).  Running as someone other than root, only the own user may be named
 * (nothing to do then).  0, or -1 with a message in err.
 */
int privdrop_lookup(struct privdrop *p, const char *user, const char *group, char *err,
                    size_t errlen);

/* A group's ID by name; 0, or -1 with a message in err. */
int privdrop_group_id(const char *group, gid_t *gid, char *err, size_t errlen);

/*
 * Make the directory path (if it exists) the user's, so that what ikemond writes there
 * after the drop (the SNMP agent's persistent state) can be written.  No-op when not
 * enabled or not root.  0, or -1 with a message in err.
 */
int privdrop_own_dir(const struct privdrop *p, const char *path, char *err, size_t errlen);

/*
 * Become p's user and group (supplementary groups: the group alone), keeping only
 * CAP_NET_BIND_SERVICE (effective and permitted), and check that root cannot be had
 * back.  No-op when not enabled or already that user.  0, or -1 with a message in err.
 */
int privdrop_apply(const struct privdrop *p, char *err, size_t errlen);

#endif /* AGENT_PRIVDROP_H */
