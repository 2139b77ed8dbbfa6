/*
 * dhpool_rate.c - how many Main Mode responder DH steps per second the worker pool
 * (ike/dhpool.c) delivers: each job makes a key pair and derives g^xy from a peer's
 * public value, what ikemond's pool does for every MM3.  Jobs are kept WINDOW at a time
 * in flight, as the daemon's loop would post them, and the wall time of N is measured.
 *
 *   dhpool_rate [-n COUNT] [-g modp2048|ecp256] [-w WORKERS] [--window W] [--json]
 *
 * -w 0 runs the jobs inline on this thread (dh_workers = 0).  Without a load generator
 * competing for the cores, this is the ceiling the workers can lift ikemond's DH to.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/dhpool.h"
#include "ike/ike.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct ike_dh_job *job(uint32_t i, uint16_t group, const uint8_t *peer, size_t len)
{
	struct ike_dh_job *j = ike_dh_job_new(i, 1, group);

	if (j == NULL)
		return NULL;
	memcpy(j->peer, peer, len);
	j->peer_len = len;
	return j;
}

/* Take one result (waiting for it); -1 when it failed or none came. */
static int reap(struct ike_dhpool *p)
{
	struct ike_dh_job *j;
	int ret;

	while ((j = ike_dhpool_take(p)) == NULL)
		if (ike_dhpool_wait(p, 10000) != 1)
			return -1;
	ret = j->status == 0 ? 0 : -1;
	ike_dh_job_free(j);
	return ret;
}

static int run_pool(unsigned workers, unsigned long n, unsigned window, uint16_t group,
                    const uint8_t *peer, size_t len)
{
	struct ike_dhpool *p = ike_dhpool_new(workers, window);
	unsigned long posted = 0, done = 0;
	int ret = -1;

	if (p == NULL)
		return -1;
	while (done < n) {
		while (posted < n && ike_dhpool_outstanding(p) < window) {
			struct ike_dh_job *j = job((uint32_t)posted, group, peer, len);

			if (j == NULL || ike_dhpool_post(p, j) != 0) {
				ike_dh_job_free(j);
				goto out;
			}
			posted++;
		}
		if (reap(p) != 0)
			goto out;
		done++;
	}
	ret = 0;
out:
	ike_dhpool_free(p);
	return ret;
}

static int run_inline(unsigned long n, uint16_t group, const uint8_t *peer, size_t len)
{
	for (unsigned long i = 0; i < n; i++) {
		struct ike_dh_job *j = job((uint32_t)i, group, peer, len);
		int st;

		if (j == NULL)
			return -1;
		ike_dh_job_run(j);
		st = j->status;
		ike_dh_job_free(j);
		if (st != 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
	                                         {"window", required_argument, NULL, 'W'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	unsigned long n = 2000, workers = 2, window = 64;
	uint16_t group = IKE_GROUP_MODP2048;
	uint8_t peer[IKE_DH_MAX_LEN];
	struct ike_dh *other;
	bool json = false;
	double t0, wall;
	size_t len;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "n:g:w:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'g':
			if (strcmp(optarg, "modp2048") == 0)
				group = IKE_GROUP_MODP2048;
			else if (strcmp(optarg, "ecp256") == 0)
				group = IKE_GROUP_ECP256;
			else
				return fprintf(stderr, "dhpool_rate: modp2048 or ecp256\n"), 2;
			break;
		case 'w':
			workers = strtoul(optarg, NULL, 10);
			break;
		case 'W':
			window = strtoul(optarg, NULL, 10);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
		default:
			fprintf(opt == 'h' ? stdout : stderr,
			        "usage: dhpool_rate [-n COUNT] [-g modp2048|ecp256] [-w WORKERS] "
			        "[--window W] [--json]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n == 0 || n > 10000000 || workers > IKE_DHPOOL_MAX_WORKERS || window == 0 ||
	    window > IKE_DHPOOL_MAX_JOBS || optind != argc)
		return fprintf(stderr, "dhpool_rate: bad arguments\n"), 2;
	/* the peer's public value: one key pair's, as every MM3 of a run might carry */
	len = ike_dh_public_len(group);
	other = ike_dh_new(group);
	if (other == NULL || ike_dh_public(other, peer, len) != 0)
		return fprintf(stderr, "dhpool_rate: no key pair\n"), 1;
	ike_dh_free(other);
	t0 = now_s();
	r = workers == 0 ? run_inline(n, group, peer, len)
	                 : run_pool((unsigned)workers, n, (unsigned)window, group, peer, len);
	wall = now_s() - t0;
	if (r != 0)
		return fprintf(stderr, "dhpool_rate: a job failed\n"), 1;
	if (json)
		printf("{\"jobs\": %lu, \"workers\": %lu, \"window\": %lu, \"wall_s\": %.6f, "
		       "\"jobs_per_s\": %.3f}\n",
		       n, workers, window, wall, n / wall);
	else
		printf("%lu responder DH jobs, %lu workers: %.3f s, %.1f jobs/s\n", n, workers,
		       wall, n / wall);
	return 0;
}
