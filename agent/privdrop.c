/*
 * privdrop.c - becoming the configured user with CAP_NET_BIND_SERVICE alone (privdrop.h).
 * Capabilities through the raw capset(2) system call: no libcap needed for two masks.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/privdrop.h"

#define BIND_CAP_MASK (1u << CAP_NET_BIND_SERVICE) /* in the first 32-bit word */

int privdrop_group_id(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group *gr;

	errno = 0;
	gr = getgrnam(group);
	if (gr == NULL) {
		snprintf(err, errlen, "group '%s': %s", group,
		         errno != 0 ? strerror(errno) : "no such group");
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

int privdrop_lookup(struct privdrop *p, const char *user, const char *group, char *err,
                    size_t errlen)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	if (user[0] == '\0')
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "user '%s': %s", user,
		         errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (group[0] != '\0' && privdrop_group_id(group, &p->gid, err, errlen) != 0)
		return -1;
	if (p->uid == 0) {
		snprintf(err, errlen, "user '%s' is root: name an unprivileged user", user);
		return -1;
	}
	if (geteuid() != 0 && geteuid() != p->uid) {
		snprintf(err, errlen, "user = %s: only root can become another user", user);
		return -1;
	}
	p->enabled = geteuid() == 0;
	return 0;
}

int privdrop_own_dir(const struct privdrop *p, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (!p->enabled || path[0] == '\0' || lstat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return -1;
	}
	if ((st.st_uid != p->uid || st.st_gid != p->gid) && lchown(path, p->uid, p->gid) != 0) {
		snprintf(err, errlen, "cannot give %s to the user: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Keep only CAP_NET_BIND_SERVICE in the bounding set (needs CAP_SETPCAP: before setuid). */
static int limit_bounding_set(char *err, size_t errlen)
{
	for (int cap = 0; cap < 64; cap++) {
		if (cap == CAP_NET_BIND_SERVICE)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			snprintf(err, errlen, "cannot drop capability %d: %s", cap,
			         strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int set_caps(uint32_t effective, uint32_t permitted)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].effective = effective;
	data[0].permitted = permitted;
	return (int)syscall(SYS_capset, &hdr, data);
}

int privdrop_apply(const struct privdrop *p, char *err, size_t errlen)
{
	if (!p->enabled || getuid() == p->uid)
		return 0;
	if (limit_bounding_set(err, errlen) != 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(1, &p->gid) != 0 ||
	    setresgid(p->gid, p->gid, p->gid) != 0 || setresuid(p->uid, p->uid, p->uid) != 0) {
		snprintf(err, errlen, "cannot become uid %u gid %u: %s", (unsigned)p->uid,
		         (unsigned)p->gid, strerror(errno));
		return -1;
	}
	/* the permitted set kept across setuid; the effective one was cleared by it */
	if (set_caps(BIND_CAP_MASK, BIND_CAP_MASK) != 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot keep CAP_NET_BIND_SERVICE: %s", strerror(errno));
		return -1;
	}
	/* no way back: both must fail now */
	if (setuid(0) == 0 || setgid(0) == 0 || geteuid() == 0) {
		snprintf(err, errlen, "root could be had back after the drop");
		return -1;
	}
	return 0;
}
