/*
 * ikeload.c - the IKEv1 load generator: options, and the reports (text and --json).
 *
 *   ikeload -t 127.10.30.1 -n 2000 --src 127.31.0.0/16 --dh modp2048 --ikemond-pid PID
 *
 * opens 2,000 SAs (Main Mode with a pre-shared key, then one Quick Mode each) against
 * the IKE responder at 127.10.30.1:500, from 127.31.0.1, 127.31.0.2 ... (one SA per
 * source address, one UDP socket for all), as fast as a window of 64 negotiations in
 * flight allows, and reports SAs per second, failures by the engine's causes, and the
 * CPU time of both ends.  See usage() for the faults it can inject.  The run itself is
 * in load_run.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikeload.h"

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: ikeload -t ADDR[:PORT] [options]\n"
	       "  -t, --target ADDR[:PORT]  the IKE responder (port 500 by default)\n"
	       "  -n, --count N             SAs to open, one per source address (default 100)\n"
	       "  --src NET/LEN             source block; SA i comes from NET+1+i\n"
	       "                            (default 127.30.0.0/15: up to 131,070 SAs)\n"
	       "  --port N                  our UDP port on every source (default: ephemeral)\n"
	       "  --rate R                  initiations per second (default 0: as fast as the\n"
	       "                            window allows)\n"
	       "  --window W                negotiations in flight at most (default 64; 0: no "
	       "limit)\n"
	       "  --psk TEXT                the pre-shared key (default \"ikeload\")\n"
	       "  --dh GROUP                modp2048 (default), ecp256, modp1024, modp3072 ...\n"
	       "  --pfs                     Quick Mode with PFS (a second DH exchange)\n"
	       "  --cheap-dh                LOAD TESTS ONLY: our DH private value is 1, a KNOWN\n"
	       "                            key (public value = the generator, shared secret =\n"
	       "                            the responder's public value): our DH costs nothing,\n"
	       "                            as if ikeload ran on another host; the SAs' keys are\n"
	       "                            public to anyone who reads the exchange\n"
	       "  --ike PROPOSALS           phase 1, ikemond's syntax (default aes128-sha256-DH)\n"
	       "  --esp PROPOSALS           phase 2 (default aes128-sha256[-DH with --pfs])\n"
	       "  --phase1-only             no Quick Mode\n"
	       "  --local-ts TS             our selector (default: the whole source block)\n"
	       "  --host-ts                 each source's own address as its selector\n"
	       "  --remote-ts TS            the responder's selector (default: its address)\n"
	       "  --fail FAULT:SHARE        give SHARE (10%% or 0.1) of the SAs a fault; repeat\n"
	       "                            for several.  FAULT: wrong-key, wrong-ike, wrong-esp,\n"
	       "                            silent-mm1 (MM1 sent, then nothing), silent-mm3,\n"
	       "                            silent-mm5 (Main Mode done, no Quick Mode)\n"
	       "  --wrong-ike PROPOSALS     for wrong-ike (default 3des-md5-modp1024)\n"
	       "  --wrong-esp PROPOSALS     for wrong-esp (default 3des-md5)\n"
	       "  --seed N                  which SAs get the faults (default 1)\n"
	       "  --retransmit SECONDS      first retransmission (default 1, doubling)\n"
	       "  --tries N                 retransmissions before giving up (default 5)\n"
	       "  --timeout SECONDS         end the run after this (default 600)\n"
	       "  --settle SECONDS          wait after the last SA before reading the\n"
	       "                            responder's CPU (default 0.3)\n"
	       "  --ikemond-pid PID         report the responder's CPU time (/proc/PID/stat)\n"
	       "  --delete                  send DELETE for the established SAs at the end\n"
	       "  --flood                   send only MM1s (-n of them, at --rate), each with a\n"
	       "                            random cookie from a random address of --src, and\n"
	       "                            count the answers; exit 0 when all were sent\n"
	       "  --json                    the report as JSON on stdout (text on stderr)\n"
	       "  -v, --verbose             the engine's log on stderr\n"
	       "Exit: 0 when every SA without a fault was established, 1 otherwise, 2 on a\n"
	       "usage or setup error.\n");
}

enum {
	OPT_SRC = 256,
	OPT_PORT,
	OPT_RATE,
	OPT_WINDOW,
	OPT_PSK,
	OPT_DH,
	OPT_PFS,
	OPT_CHEAP_DH,
	OPT_IKE,
	OPT_ESP,
	OPT_P1,
	OPT_LOCAL_TS,
	OPT_REMOTE_TS,
	OPT_HOST_TS,
	OPT_FAIL,
	OPT_WRONG_IKE,
	OPT_WRONG_ESP,
	OPT_SEED,
	OPT_RETRANSMIT,
	OPT_TRIES,
	OPT_TIMEOUT,
	OPT_SETTLE,
	OPT_PID,
	OPT_DELETE,
	OPT_JSON,
	OPT_FLOOD,
};

static const struct option longopts[] = {
    {"target", required_argument, NULL, 't'},
    {"count", required_argument, NULL, 'n'},
    {"src", required_argument, NULL, OPT_SRC},
    {"port", required_argument, NULL, OPT_PORT},
    {"rate", required_argument, NULL, OPT_RATE},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"psk", required_argument, NULL, OPT_PSK},
    {"dh", required_argument, NULL, OPT_DH},
    {"pfs", no_argument, NULL, OPT_PFS},
    {"cheap-dh", no_argument, NULL, OPT_CHEAP_DH},
    {"ike", required_argument, NULL, OPT_IKE},
    {"esp", required_argument, NULL, OPT_ESP},
    {"phase1-only", no_argument, NULL, OPT_P1},
    {"local-ts", required_argument, NULL, OPT_LOCAL_TS},
    {"remote-ts", required_argument, NULL, OPT_REMOTE_TS},
    {"host-ts", no_argument, NULL, OPT_HOST_TS},
    {"fail", required_argument, NULL, OPT_FAIL},
    {"wrong-ike", required_argument, NULL, OPT_WRONG_IKE},
    {"wrong-esp", required_argument, NULL, OPT_WRONG_ESP},
    {"seed", required_argument, NULL, OPT_SEED},
    {"retransmit", required_argument, NULL, OPT_RETRANSMIT},
    {"tries", required_argument, NULL, OPT_TRIES},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"settle", required_argument, NULL, OPT_SETTLE},
    {"ikemond-pid", required_argument, NULL, OPT_PID},
    {"delete", no_argument, NULL, OPT_DELETE},
    {"json", no_argument, NULL, OPT_JSON},
    {"flood", no_argument, NULL, OPT_FLOOD},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad(const char *what, const char *val)
{
	fprintf(stderr, "ikeload: bad %s '%s' (see --help)\n", what, val);
	return -1;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* ADDR[:PORT], IPv4 */
static int parse_target(const char *s, struct sockaddr_in *sin)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);
	unsigned long port = 500;

	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	if (colon != NULL && parse_ulong(colon + 1, 1, 65535, &port) != 0)
		return -1;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

/* NET/LEN, IPv4; the host part of NET must be zero */
static int parse_block(const char *s, struct load_opts *o)
{
	char host[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned long len;
	struct in_addr a;
	uint32_t mask;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1 || parse_ulong(slash + 1, 8, 30, &len) != 0)
		return -1;
	mask = ~0u << (32 - len);
	if ((ntohl(a.s_addr) & ~mask) != 0)
		return -1;
	o->src_net = ntohl(a.s_addr);
	o->src_prefix = (uint8_t)len;
	return 0;
}

/* FAULT:SHARE, SHARE as 12.5% or 0.125 */
static int parse_fail(const char *s, struct load_opts *o)
{
	char name[32], num[32];
	const char *colon = strchr(s, ':');
	size_t n = colon != NULL ? (size_t)(colon - s) : 0;
	double share;
	int f;

	if (colon == NULL || n == 0 || n >= sizeof(name) || strlen(colon + 1) >= sizeof(num))
		return -1;
	memcpy(name, s, n);
	name[n] = '\0';
	snprintf(num, sizeof(num), "%s", colon + 1);
	f = fault_from_name(name);
	if (f <= FAULT_NONE)
		return -1;
	n = strlen(num);
	if (n > 0 && num[n - 1] == '%') {
		num[n - 1] = '\0';
		if (parse_double(num, 0, 100, &share) != 0)
			return -1;
		share /= 100;
	} else if (parse_double(num, 0, 1, &share) != 0) {
		return -1;
	}
	o->share[f] = share;
	return 0;
}

static void defaults(struct load_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 100;
	o->src_net = 0x7f1e0000; /* 127.30.0.0/15 */
	o->src_prefix = 15;
	o->window = 64;
	memcpy(o->psk, "ikeload", 7);
	o->psk_len = 7;
	snprintf(o->wrong_ike, sizeof(o->wrong_ike), "3des-md5-modp1024");
	snprintf(o->wrong_esp, sizeof(o->wrong_esp), "3des-md5");
	o->seed = 1;
	o->retransmit_ms = 1000;
	o->tries = 5;
	o->timeout_s = 600;
	o->settle_s = 0.3;
}

/* The rest of the checks, once every option is known. */
static int finish_opts(struct load_opts *o, const char *dh, bool pfs, bool have_target)
{
	double total = 0;

	if (!have_target) {
		fprintf(stderr, "ikeload: -t ADDR[:PORT] is required\n");
		return -1;
	}
	if (o->ike[0] == '\0')
		snprintf(o->ike, sizeof(o->ike), "aes128-sha256-%s", dh);
	if (o->esp[0] == '\0')
		snprintf(o->esp, sizeof(o->esp), pfs ? "aes128-sha256-%s" : "aes128-sha256", dh);
	/* a flood picks its sources at random: any number fits */
	if (!o->flood && o->count > (1ul << (32 - o->src_prefix)) - 2) {
		fprintf(stderr, "ikeload: %lu SAs do not fit in a /%u source block\n", o->count,
		        o->src_prefix);
		return -1;
	}
	for (int f = 1; f < FAULT_COUNT; f++)
		total += o->share[f];
	if (total > 1.0 + 1e-9) {
		fprintf(stderr, "ikeload: the --fail shares add up to more than 100%%\n");
		return -1;
	}
	if (o->phase1_only && (o->share[FAULT_WRONG_ESP] > 0 || o->share[FAULT_SILENT_MM5] > 0)) {
		fprintf(stderr, "ikeload: wrong-esp and silent-mm5 need Quick Mode\n");
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct load_opts *o)
{
	char dh[32] = "modp2048";
	bool pfs = false, have_target = false;
	unsigned long v;
	double d;
	int opt;

	defaults(o);
	while ((opt = getopt_long(argc, argv, "t:n:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_target(optarg, &o->target) != 0)
				return bad("target", optarg);
			have_target = true;
			break;
		case 'n':
			if (parse_ulong(optarg, 1, 10000000, &o->count) != 0)
				return bad("count", optarg);
			break;
		case OPT_SRC:
			if (parse_block(optarg, o) != 0)
				return bad("source block (NET/LEN, LEN 8..30)", optarg);
			break;
		case OPT_PORT:
			if (parse_ulong(optarg, 0, 65535, &v) != 0)
				return bad("port", optarg);
			o->port = (uint16_t)v;
			break;
		case OPT_RATE:
			if (parse_double(optarg, 0, 1e7, &o->rate) != 0)
				return bad("rate", optarg);
			break;
		case OPT_WINDOW:
			if (parse_ulong(optarg, 0, 10000000, &v) != 0)
				return bad("window", optarg);
			o->window = (unsigned)v;
			break;
		case OPT_PSK:
			if (optarg[0] == '\0' || strlen(optarg) > IKE_PSK_MAX)
				return bad("psk", "(not shown)");
			o->psk_len = strlen(optarg);
			memcpy(o->psk, optarg, o->psk_len);
			break;
		case OPT_DH:
			if (strlen(optarg) >= sizeof(dh) || strchr(optarg, ',') != NULL)
				return bad("dh group", optarg);
			snprintf(dh, sizeof(dh), "%s", optarg);
			break;
		case OPT_PFS:
			pfs = true;
			break;
		case OPT_CHEAP_DH:
			o->cheap_dh = true;
			break;
		case OPT_IKE:
		case OPT_ESP:
		case OPT_WRONG_IKE:
		case OPT_WRONG_ESP:
		case OPT_LOCAL_TS:
		case OPT_REMOTE_TS: {
			char *dst = opt == OPT_IKE         ? o->ike
			            : opt == OPT_ESP       ? o->esp
			            : opt == OPT_WRONG_IKE ? o->wrong_ike
			            : opt == OPT_WRONG_ESP ? o->wrong_esp
			            : opt == OPT_LOCAL_TS  ? o->local_ts
			                                   : o->remote_ts;
			size_t cap = opt == OPT_LOCAL_TS || opt == OPT_REMOTE_TS
			                 ? sizeof(o->remote_ts)
			                 : sizeof(o->ike);

			if (strlen(optarg) >= cap)
				return bad("value (too long)", optarg);
			snprintf(dst, cap, "%s", optarg);
			break;
		}
		case OPT_P1:
			o->phase1_only = true;
			break;
		case OPT_HOST_TS:
			o->host_ts = true;
			break;
		case OPT_FAIL:
			if (parse_fail(optarg, o) != 0)
				return bad("--fail FAULT:SHARE", optarg);
			break;
		case OPT_SEED:
			if (parse_ulong(optarg, 0, 0xffffffffu, &v) != 0)
				return bad("seed", optarg);
			o->seed = (unsigned)v;
			break;
		case OPT_RETRANSMIT:
			if (parse_double(optarg, 0.01, 60, &d) != 0)
				return bad("retransmit", optarg);
			o->retransmit_ms = (uint32_t)(d * 1000);
			break;
		case OPT_TRIES:
			if (parse_ulong(optarg, 0, 10, &v) != 0)
				return bad("tries (0..10)", optarg);
			o->tries = (uint32_t)v;
			break;
		case OPT_TIMEOUT:
			if (parse_double(optarg, 0.1, 86400, &o->timeout_s) != 0)
				return bad("timeout", optarg);
			break;
		case OPT_SETTLE:
			if (parse_double(optarg, 0, 60, &o->settle_s) != 0)
				return bad("settle", optarg);
			break;
		case OPT_PID:
			if (parse_ulong(optarg, 1, 0x7fffffff, &v) != 0)
				return bad("pid", optarg);
			o->ikemond_pid = (long)v;
			break;
		case OPT_DELETE:
			o->delete_at_end = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_FLOOD:
			o->flood = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return finish_opts(o, dh, pfs, have_target);
}

/* ---- reports ---- */

static unsigned long planned(const struct load_result *r, int f)
{
	unsigned long n = 0;

	for (int s = 0; s < 4; s++)
		n += r->by_fault[f][s];
	return n;
}

static double per_sa(double cpu, unsigned long n)
{
	return n > 0 ? cpu / (double)n : 0;
}

static void text_causes(FILE *f, const unsigned long *by_cause)
{
	const char *sep = " (";

	for (int c = 0; c < IKE_CAUSE_COUNT; c++) {
		if (by_cause[c] == 0)
			continue;
		fprintf(f, "%s%s %lu", sep, ike_cause_id((enum ike_cause)c), by_cause[c]);
		sep = ", ";
	}
	if (strcmp(sep, ", ") == 0)
		fprintf(f, ")");
}

static void report_text(FILE *f, const struct load_opts *o, const struct load_result *r)
{
	char target[INET_ADDRSTRLEN];
	struct in_addr first = {.s_addr = htonl(o->src_net + 1)};
	char src[INET_ADDRSTRLEN];
	double both;

	inet_ntop(AF_INET, &o->target.sin_addr, target, sizeof(target));
	inet_ntop(AF_INET, &first, src, sizeof(src));
	fprintf(f, "ikeload: %lu SAs (%s, esp %s) to %s:%u from %s/%u and up, port %u\n", o->count,
	        o->ike, o->phase1_only ? "none" : o->esp, target, ntohs(o->target.sin_port), src,
	        o->src_prefix, r->port);
	fprintf(f,
	        "  established %lu in %.3f s: %.1f SAs/s; latency p50 %.1f ms, p99 %.1f ms, "
	        "max %.1f ms\n",
	        r->established, r->wall_ok_s,
	        r->wall_ok_s > 0 ? (double)r->established / r->wall_ok_s : 0, r->lat_p50_ms,
	        r->lat_p99_ms, r->lat_max_ms);
	fprintf(f, "  failed      %lu", r->failed);
	text_causes(f, r->by_cause);
	fprintf(f, "\n  pending     %lu%s\n", r->pending, r->timed_out ? " (timed out)" : "");
	for (int k = 1; k < FAULT_COUNT; k++) {
		if (planned(r, k) == 0)
			continue;
		fprintf(f, "  fault %-10s %lu: established %lu, failed %lu", fault_name(k),
		        planned(r, k), r->by_fault[k][SLOT_OK], r->by_fault[k][SLOT_FAILED]);
		text_causes(f, r->fault_cause[k]);
		fprintf(f, ", pending %lu\n", r->by_fault[k][SLOT_INFLIGHT]);
	}
	fprintf(f, "  messages swallowed by faults %lu, send errors %lu\n", r->dropped,
	        r->send_errors);
	fprintf(f, "  CPU: ikeload %.3f s (%.3f ms per established SA)", r->cpu_s,
	        per_sa(r->cpu_s, r->established) * 1e3);
	if (r->peer_cpu_s >= 0) {
		both = r->cpu_s + r->peer_cpu_s;
		fprintf(f, ", responder %.3f s (%.3f ms), both %.3f ms per established SA",
		        r->peer_cpu_s, per_sa(r->peer_cpu_s, r->established) * 1e3,
		        per_sa(both, r->established) * 1e3);
	}
	fprintf(f, "\n");
}

static void json_causes(FILE *f, const char *key, const unsigned long *by_cause)
{
	const char *sep = "";

	fprintf(f, "\"%s\": {", key);
	for (int c = 1; c < IKE_CAUSE_COUNT; c++) {
		if (by_cause[c] == 0)
			continue;
		fprintf(f, "%s\"%s\": %lu", sep, ike_cause_id((enum ike_cause)c), by_cause[c]);
		sep = ", ";
	}
	fprintf(f, "}");
}

static void json_faults(FILE *f, const struct load_result *r)
{
	fprintf(f, "  \"faults\": {");
	for (int k = 0; k < FAULT_COUNT; k++) {
		fprintf(f,
		        "%s\n    \"%s\": {\"planned\": %lu, \"established\": %lu, \"failed\": %lu, "
		        "\"pending\": %lu, ",
		        k ? "," : "", fault_name(k), planned(r, k), r->by_fault[k][SLOT_OK],
		        r->by_fault[k][SLOT_FAILED], r->by_fault[k][SLOT_INFLIGHT]);
		json_causes(f, "causes", r->fault_cause[k]);
		fprintf(f, "}");
	}
	fprintf(f, "\n  },\n");
}

static void json_engine(FILE *f, const struct load_result *r)
{
	unsigned long causes[IKE_CAUSE_COUNT];

	for (int c = 0; c < IKE_CAUSE_COUNT; c++)
		causes[c] = (unsigned long)r->causes[c];
	fprintf(f,
	        "  \"engine\": {\"sas_created\": %llu, \"sas_established\": %llu, "
	        "\"sas_failed\": %llu, \"children_installed\": %llu, \"children_failed\": %llu, ",
	        (unsigned long long)r->sas_created, (unsigned long long)r->sas_established,
	        (unsigned long long)r->sas_failed, (unsigned long long)r->children_installed,
	        (unsigned long long)r->children_failed);
	json_causes(f, "causes", causes);
	fprintf(f, "}\n");
}

static void report_json(FILE *f, const struct load_opts *o, const struct load_result *r)
{
	char target[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];
	struct in_addr net = {.s_addr = htonl(o->src_net)};

	inet_ntop(AF_INET, &o->target.sin_addr, target, sizeof(target));
	inet_ntop(AF_INET, &net, src, sizeof(src));
	fprintf(f,
	        "{\n  \"target\": \"%s:%u\", \"src\": \"%s/%u\", \"port\": %u, \"ike\": \"%s\", "
	        "\"esp\": \"%s\", \"cheap_dh\": %s,\n",
	        target, ntohs(o->target.sin_port), src, o->src_prefix, r->port, o->ike,
	        o->phase1_only ? "" : o->esp, o->cheap_dh ? "true" : "false");
	fprintf(f,
	        "  \"count\": %lu, \"initiated\": %lu, \"established\": %lu, \"failed\": %lu, "
	        "\"pending\": %lu, \"timed_out\": %s,\n",
	        o->count, r->initiated, r->established, r->failed, r->pending,
	        r->timed_out ? "true" : "false");
	fprintf(f, "  \"wall_s\": %.6f, \"wall_established_s\": %.6f, \"sas_per_s\": %.3f,\n",
	        r->wall_s, r->wall_ok_s,
	        r->wall_ok_s > 0 ? (double)r->established / r->wall_ok_s : 0);
	fprintf(f, "  \"latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f},\n",
	        r->lat_p50_ms, r->lat_p99_ms, r->lat_max_ms);
	fprintf(f, "  \"cpu_s\": %.6f, \"cpu_per_sa_s\": %.9f, ", r->cpu_s,
	        per_sa(r->cpu_s, r->established));
	if (r->peer_cpu_s >= 0)
		fprintf(f,
		        "\"peer_cpu_s\": %.6f, \"peer_cpu_per_sa_s\": %.9f, "
		        "\"both_cpu_per_sa_s\": %.9f,\n",
		        r->peer_cpu_s, per_sa(r->peer_cpu_s, r->established),
		        per_sa(r->cpu_s + r->peer_cpu_s, r->established));
	else
		fprintf(f, "\"peer_cpu_s\": null, \"peer_cpu_per_sa_s\": null, "
		           "\"both_cpu_per_sa_s\": null,\n");
	fprintf(f, "  \"dropped\": %lu, \"send_errors\": %lu, \"initiate_errors\": %lu,\n  ",
	        r->dropped, r->send_errors, r->initiate_errors);
	json_causes(f, "failures", r->by_cause);
	fprintf(f, ",\n");
	json_faults(f, r);
	json_engine(f, r);
	fprintf(f, "}\n");
}

/* --flood */
static int flood_main(const struct load_opts *o)
{
	struct flood_result r;
	char err[256];

	if (load_flood(o, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "ikeload: %s\n", err);
		return 2;
	}
	fprintf(o->json ? stderr : stdout,
	        "flood: %lu MM1s sent in %.2f s (%.0f/s), %lu send errors; answers: %lu MM2, "
	        "%lu notify, %lu other%s\n",
	        r.sent, r.wall_s, r.wall_s > 0 ? (double)r.sent / r.wall_s : 0.0, r.send_errors,
	        r.mm2, r.notifies, r.other, r.timed_out ? " (timed out)" : "");
	if (o->json)
		printf("{\"mode\": \"flood\", \"sent\": %lu, \"send_errors\": %lu, \"mm2\": %lu, "
		       "\"notifies\": %lu, \"other\": %lu, \"wall_s\": %.3f, \"timed_out\": %s}\n",
		       r.sent, r.send_errors, r.mm2, r.notifies, r.other, r.wall_s,
		       r.timed_out ? "true" : "false");
	return r.sent == o->count ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct load_opts o;
	struct load_result r;
	char err[256];

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if (o.flood)
		return flood_main(&o);
	if (load_run(&o, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "ikeload: %s\n", err);
		return 2;
	}
	if (o.ikemond_pid > 0 && r.peer_cpu_s < 0)
		fprintf(stderr, "ikeload: cannot read the CPU time of pid %ld\n", o.ikemond_pid);
	report_text(o.json ? stderr : stdout, &o, &r);
	if (o.json)
		report_json(stdout, &o, &r);
	return r.by_fault[FAULT_NONE][SLOT_OK] == planned(&r, FAULT_NONE) && r.pending == 0 ? 0 : 1;
}
