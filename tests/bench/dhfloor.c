/*
 * dhfloor.c - the Diffie-Hellman floor of a Main Mode handshake, measured with the
 * engine's own DH code (ike/dh.c: the same EVP calls, the same peer-value checks).
 *
 * Each side of a Main Mode makes one key pair and derives one shared secret, so one
 * handshake between two of our ends costs at least 2 key generations and 2 derivations
 * (twice that again with PFS).  This program does exactly that N times and prints the
 * CPU time (getrusage, user + system) per handshake: the floor the handshake benchmark
 * (tests/bench/handshake.sh) compares ikemond + ikeload with.
 *
 *   dhfloor [-n COUNT] [-g modp2048|ecp256|GROUP-NUMBER] [-p] [--json]
 *
 * -p counts a Quick Mode with PFS too (4 key pairs and 4 derivations per handshake).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ike/dh.h"
#include "ike/ike.h"

struct group_name {
	const char *name;
	uint16_t id;
};

static const struct group_name groups[] = {
    {"modp1024", IKE_GROUP_MODP1024}, {"modp2048", IKE_GROUP_MODP2048},
    {"modp3072", IKE_GROUP_MODP3072}, {"modp4096", IKE_GROUP_MODP4096},
    {"ecp256", IKE_GROUP_ECP256},     {"ecp384", IKE_GROUP_ECP384},
};

static int group_parse(const char *s, uint16_t *id)
{
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcmp(groups[i].name, s) == 0) {
			*id = groups[i].id;
			return 0;
		}
	}
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 0xffff || !ike_dh_supported((uint16_t)v))
		return -1;
	*id = (uint16_t)v;
	return 0;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* One exchange of public values between two fresh key pairs, as two peers do. 0 or -1. */
static int one_exchange(uint16_t group)
{
	uint8_t pa[IKE_DH_MAX_LEN], pb[IKE_DH_MAX_LEN], sa[IKE_DH_MAX_LEN], sb[IKE_DH_MAX_LEN];
	size_t plen = ike_dh_public_len(group), slen = ike_dh_secret_len(group);
	struct ike_dh *a = ike_dh_new(group), *b = ike_dh_new(group);
	int ret = -1;

	if (a == NULL || b == NULL || ike_dh_public(a, pa, plen) != 0 ||
	    ike_dh_public(b, pb, plen) != 0)
		goto done;
	if (ike_dh_derive(a, pb, plen, sa, slen) != 0 || ike_dh_derive(b, pa, plen, sb, slen) != 0)
		goto done;
	/* the two ends must agree, or this measured something else than a key exchange */
	ret = memcmp(sa, sb, slen) == 0 ? 0 : -1;
done:
	ike_dh_free(a);
	ike_dh_free(b);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dhfloor [-n COUNT] [-g GROUP] [-p] [--json]\n"
	           "  -n COUNT  handshakes to time (default 2000)\n"
	           "  -g GROUP  modp1024 modp2048 modp3072 modp4096 ecp256 ecp384 or a number\n"
	           "            (default modp2048)\n"
	           "  -p        with PFS: a second exchange per handshake (Quick Mode KE)\n"
	           "  --json    one JSON object instead of the text line\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	unsigned long n = 2000;
	uint16_t group = IKE_GROUP_MODP2048;
	bool json = false, pfs = false;
	double t0, cpu, per;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:g:ph", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'g':
			if (group_parse(optarg, &group) != 0) {
				fprintf(stderr, "dhfloor: unknown group '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			pfs = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (n == 0 || n > 10000000 || optind != argc) {
		usage(stderr);
		return 2;
	}
	t0 = cpu_seconds();
	for (unsigned long i = 0; i < n; i++) {
		if (one_exchange(group) != 0 || (pfs && one_exchange(group) != 0)) {
			fprintf(stderr, "dhfloor: key exchange %lu failed\n", i);
			return 1;
		}
	}
	cpu = cpu_seconds() - t0;
	per = cpu / (double)n;
	if (json)
		printf("{\"group\": %u, \"pfs\": %s, \"handshakes\": %lu, \"cpu_s\": %.6f, "
		       "\"cpu_per_handshake_s\": %.9f}\n",
		       group, pfs ? "true" : "false", n, cpu, per);
	else
		printf(
		    "DH floor, group %u%s: %lu handshakes (%d key pairs + %d derivations each) in "
		    "%.3f s CPU: %.3f ms per handshake\n",
		    group, pfs ? " with PFS" : "", n, pfs ? 4 : 2, pfs ? 4 : 2, cpu, per * 1e3);
	return 0;
}
