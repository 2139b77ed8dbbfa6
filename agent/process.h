/*
 * process.h - what ikemond does to its own process: no core dumps (a core would hold
 * pre-shared keys and keying material), and a pid file that a killed daemon cannot leave
 * locked.
 */
#ifndef AGENT_PROCESS_H
#define AGENT_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Core dumps off: RLIMIT_CORE 0 (soft and hard) and PR_SET_DUMPABLE 0, which also keeps
 * other users' debuggers out.  Called before the configuration (and its secrets) is read.
 * 0, or -1 with err set.
 */
int process_no_core_dumps(char *err, size_t len);

/* Whether a crash of this process could write a core: dumpable, or RLIMIT_CORE above 0. */
bool process_core_dumps_possible(void);

/*
 * The pid file, held under an exclusive flock(2) for the daemon's life.  The kernel
 * drops the lock when the process dies however it dies, so a file left by a killed
 * daemon is stale by definition: it is taken over, never a reason to refuse to start.
 */
struct pidfile {
	int fd; /* -1: none */
	char path[256];
};

/*
 * Open and lock path (refuses when another live process holds it: "ikemond already
 * running, pid N").  0, or -1 with err set.  pf->fd is -1 when path is NULL.
 */
int pidfile_open(struct pidfile *pf, const char *path, char *err, size_t len);

/* Write our pid (after daemon(): the child's).  0, or -1. */
int pidfile_write(struct pidfile *pf);

/* Remove and unlock it (a clean exit). */
void pidfile_close(struct pidfile *pf);

#endif /* AGENT_PROCESS_H */
