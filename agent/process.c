/*
 * process.c - core dumps off and the pid file (see process.h).
 *
 * Why flock and not "is the pid in the file alive": a pid is reused, a lock is not; a
 * daemon killed by SIGKILL leaves its file behind but not its lock, so the next start
 * needs no clean-up and no guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent/process.h"

int process_no_core_dumps(char *err, size_t len)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		snprintf(err, len, "setrlimit(RLIMIT_CORE, 0): %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(err, len, "prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
		return -1;
	}
	return 0;
}

bool process_core_dumps_possible(void)
{
	struct rlimit rl;

	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return true;
	return getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur > 0;
}

/* The pid written in an open pid file, or 0. */
static long read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid = 0;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%ld", &pid) != 1)
		return 0;
	return pid;
}

int pidfile_open(struct pidfile *pf, const char *path, char *err, size_t len)
{
	pf->fd = -1;
	pf->path[0] = '\0';
	if (path == NULL)
		return 0;
	if (strlen(path) >= sizeof(pf->path)) {
		snprintf(err, len, "pid file name too long: %.64s...", path);
		return -1;
	}
	pf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (pf->fd < 0) {
		snprintf(err, len, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(pf->fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		long pid = read_pid(pf->fd);

		if (e == EWOULDBLOCK)
			snprintf(err, len,
			         "pid file %s is locked: ikemond already running (pid %ld)", path,
			         pid);
		else
			snprintf(err, len, "pid file %s: flock: %s", path, strerror(e));
		close(pf->fd);
		pf->fd = -1;
		return -1;
	}
	snprintf(pf->path, sizeof(pf->path), "%s", path);
	return 0;
}

int pidfile_write(struct pidfile *pf)
{
	char buf[32];
	int n;

	if (pf->fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pf->fd, 0) != 0 || pwrite(pf->fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}

void pidfile_close(struct pidfile *pf)
{
	if (pf->fd < 0)
		return;
	/* unlink while still locked: a successor that locked a new file is not disturbed */
	unlink(pf->path);
	close(pf->fd);
	pf->fd = -1;
}
