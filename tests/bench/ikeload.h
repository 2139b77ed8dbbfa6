/*
 * ikeload.h - the load generator's shared types: options, per-SA slots, the run.
 *
 * ikeload opens N IKEv1 SAs (Main Mode with a pre-shared key, then Quick Mode) against
 * a running IKE responder, one SA per source address, with the engine library (libike.a)
 * as initiator: the engine negotiates, ikeload only moves datagrams (load_net.c), paces
 * the initiations, injects the chosen faults and counts what the engine's SA table says
 * (load_run.c), and reports (ikeload.c).
 */
#ifndef IKELOAD_H
#define IKELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <time.h>

#include "ike/causes.h"
#include "ike/peer.h"

/* The ways a chosen share of the SAs is made to fail. */
enum load_fault {
	FAULT_NONE = 0,   /* negotiates normally */
	FAULT_WRONG_KEY,  /* another pre-shared key: MM5 does not decrypt at the responder */
	FAULT_WRONG_IKE,  /* a phase-1 proposal the responder does not have */
	FAULT_WRONG_ESP,  /* a phase-2 proposal the responder does not have */
	FAULT_SILENT_MM1, /* sends MM1, then nothing (MM3 and later are dropped) */
	FAULT_SILENT_MM3, /* sends MM1 and MM3, then nothing */
	FAULT_SILENT_MM5, /* completes Main Mode, never sends Quick Mode */
	FAULT_COUNT
};

/* "wrong-key", "silent-mm1" ...; fault_from_name returns -1 for an unknown name. */
const char *fault_name(enum load_fault f);
int fault_from_name(const char *name);

struct load_opts {
	struct sockaddr_in target; /* the responder (address and port) */
	uint32_t src_net;          /* source block, host order; sources are net+1, net+2 ... */
	uint8_t src_prefix;
	uint16_t port; /* our UDP port on every source; 0 = an ephemeral one */
	unsigned long count;
	double rate;     /* initiations per second; 0 = as fast as the window allows */
	unsigned window; /* negotiations in flight at most; 0 = no limit */
	uint8_t psk[IKE_PSK_MAX];
	size_t psk_len;
	char ike[256], esp[256];             /* proposals, in ikemond's syntax */
	char wrong_ike[256], wrong_esp[256]; /* for FAULT_WRONG_IKE / FAULT_WRONG_ESP */
	bool phase1_only;                    /* no Quick Mode */
	bool host_ts;       /* each source's own address as its selector (default: the block) */
	char local_ts[64];  /* our side's selector (default: the source block) */
	char remote_ts[64]; /* the responder's side selector (default: its address) */
	double share[FAULT_COUNT];     /* fraction of the SAs given each fault */
	uint32_t retransmit_ms, tries; /* the engine's retransmission settings */
	double timeout_s;              /* the whole run */
	double settle_s;               /* wait after the last SA before the CPU readings */
	long ikemond_pid;              /* 0: none; else its CPU is read from /proc */
	unsigned seed;                 /* which SAs get which fault */
	bool json, delete_at_end, verbose;
	bool flood;    /* --flood: first messages only (load_flood.c) */
	bool cheap_dh; /* --cheap-dh: our DH private value is 1, a known key (dh.h) */
};

/* What became of one SA (one source address). */
enum slot_state { SLOT_IDLE = 0, SLOT_INFLIGHT, SLOT_OK, SLOT_FAILED };

struct load_slot {
	uint8_t fault;    /* enum load_fault */
	uint8_t state;    /* enum slot_state */
	bool released;    /* no longer counted in the window (its fault was delivered) */
	bool p1_up;       /* phase 1 reached QM_IDLE */
	uint16_t cause;   /* enum ike_cause of the failure */
	uint32_t dropped; /* messages of ours the fault swallowed */
	double t_start;   /* seconds since the run started */
	float latency_ms; /* initiation to established (phase 2 when it has one) */
};

/* Results of a run, filled by load_run(). */
struct load_result {
	unsigned long initiated, established, failed, pending;
	unsigned long by_fault[FAULT_COUNT][4]; /* [fault][enum slot_state] */
	unsigned long by_cause[IKE_CAUSE_COUNT];
	unsigned long fault_cause[FAULT_COUNT][IKE_CAUSE_COUNT];
	unsigned long dropped, send_errors, initiate_errors;
	double wall_s;     /* first initiation to the last SA resolved */
	double wall_ok_s;  /* first initiation to the last SA established */
	double cpu_s;      /* our CPU (getrusage, user + system) over the run */
	double peer_cpu_s; /* the responder's CPU (/proc/PID/stat), -1 when not read */
	double lat_p50_ms, lat_p99_ms, lat_max_ms;
	bool timed_out;
	uint16_t port;
	/* the engine's own counters at the end */
	uint64_t sas_created, sas_established, sas_failed, children_installed, children_failed;
	uint64_t causes[IKE_CAUSE_COUNT];
};

/* Run the load; 0, or -1 with a message in err (setup failed: nothing was sent). */
int load_run(const struct load_opts *o, struct load_result *r, char *err, size_t errlen);

/* ---- load_flood.c: MM1s with random cookies from random sources, nothing after ---- */
struct flood_result {
	unsigned long sent, send_errors;
	unsigned long mm2, notifies, other; /* what came back */
	double wall_s;                      /* first to last MM1 */
	bool timed_out;
};

/* Send o->count MM1s at o->rate; 0, or -1 with a message in err (nothing was sent). */
int load_flood(const struct load_opts *o, struct flood_result *r, char *err, size_t errlen);

/* ---- load_net.c: one UDP socket for every source address ---- */
struct load_net {
	int fd;
	uint16_t port; /* host order */
};

/* Bind 0.0.0.0:port (0: ephemeral) with IP_PKTINFO. 0, or -1 with err. */
int load_net_open(struct load_net *n, uint16_t port, char *err, size_t errlen);
void load_net_close(struct load_net *n);
/* Send from local (its address chosen per datagram) to remote. 0 or -1. */
int load_net_send(struct load_net *n, const struct sockaddr_in *local,
                  const struct sockaddr_in *remote, const uint8_t *buf, size_t len);
/* Receive one datagram: its source, and the local address it was sent to (with our
 * port). Returns the length, -2 when nothing waits, -3 for a datagram to skip (no
 * destination address), -1 on error. */
long load_net_recv(struct load_net *n, uint8_t *buf, size_t cap, struct sockaddr_in *local,
                   struct sockaddr_in *remote);

/* CPU seconds (user + system) of a process from /proc/PID/stat; -1 when unreadable. */
double load_proc_cpu(long pid);
/* Our own CPU seconds (getrusage). */
double load_self_cpu(void);

#endif /* IKELOAD_H */
