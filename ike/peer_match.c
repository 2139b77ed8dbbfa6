/*
 * peer_match.c - which configured peer a first Main Mode message is from: the most
 * specific peer whose remote covers the datagram's source address (a host address beats
 * a subnet, a subnet beats %any; among equals the first configured), and whose local,
 * when set, is the address the datagram arrived on.
 *
 * Why an index: a responder for 100,000 peers would otherwise compare every peer with
 * every first message.  Peers with one host address (the usual case for a gateway's
 * peers) are hashed by it; those with a subnet or %any (few: a subnet already stands for
 * many peers) are walked, in configuration order, only when no host peer matches.  So a
 * first message costs O(1) plus the subnet peers.  Without the index (memory ran out at
 * the last reload) every peer is walked, as it used to be.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "ike.h"

/* The address bytes of a sockaddr (port ignored), or NULL for other families. */
static const uint8_t *addr_bytes(const struct sockaddr *sa, size_t *len)
{
	if (sa->sa_family == AF_INET) {
		*len = sizeof(struct in_addr);
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	}
	if (sa->sa_family == AF_INET6) {
		*len = sizeof(struct in6_addr);
		return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	*len = 0;
	return NULL;
}

/* A peer whose remote is one host address (not a subnet, not %any). */
static bool is_host_peer(const struct ike_peer_cfg *p)
{
	size_t len;

	if (p->remote_any || addr_bytes((const struct sockaddr *)&p->remote, &len) == NULL)
		return false;
	return p->remote_prefix >= len * 8;
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	size_t la, lb;
	const uint8_t *x = addr_bytes(a, &la), *y = addr_bytes(b, &lb);

	return x != NULL && y != NULL && a->sa_family == b->sa_family && la == lb &&
	       memcmp(x, y, la) == 0;
}

/* FNV-1a over the family and the address: peers' addresses are the operator's. */
static size_t addr_hash(const struct sockaddr *sa)
{
	uint32_t h = 2166136261u ^ sa->sa_family;
	size_t len;
	const uint8_t *b = addr_bytes(sa, &len);

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* The slot of addr's chain, or the empty slot where it would start. */
static size_t find_slot(const struct ike_engine *e, const struct engine_addr_index *x,
                        const struct sockaddr *addr)
{
	size_t mask = x->n_slots - 1, k = addr_hash(addr) & mask;

	while (x->slot[k] != 0 &&
	       !same_addr((const struct sockaddr *)&e->peers[x->slot[k] - 1].cfg.remote, addr))
		k = (k + 1) & mask;
	return k;
}

static void index_free(struct engine_addr_index *x)
{
	free(x->slot);
	free(x->next);
	free(x->wide);
	memset(x, 0, sizeof(*x));
}

void engine_free_addr_index(struct ike_engine *e)
{
	index_free(&e->addrs);
}

int engine_index_addrs(struct ike_engine *e)
{
	struct engine_addr_index x = {0};
	size_t n = e->n_peers;

	x.n_slots = 16;
	while (x.n_slots <= 2 * n)
		x.n_slots *= 2;
	x.slot = calloc(x.n_slots, sizeof(*x.slot));
	x.next = calloc(n ? n : 1, sizeof(*x.next));
	x.wide = calloc(n ? n : 1, sizeof(*x.wide));
	index_free(&e->addrs);
	if (x.slot == NULL || x.next == NULL || x.wide == NULL) {
		index_free(&x);
		return -1;
	}
	/* pushed at the chains' heads from the last peer back: configuration order */
	for (size_t i = n; i-- > 0;) {
		const struct ike_peer_cfg *p = &e->peers[i].cfg;
		size_t k;

		if (!is_host_peer(p))
			continue;
		k = find_slot(e, &x, (const struct sockaddr *)&p->remote);
		x.next[i] = x.slot[k];
		x.slot[k] = i + 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_host_peer(&e->peers[i].cfg))
			x.wide[x.n_wide++] = i;
	x.ready = true;
	e->addrs = x;
	return 0;
}

/* Whether the peer's local address, when set, is the one the datagram came to (ports
 * ignored). */
static bool local_ok(const struct ike_peer_cfg *p, const struct sockaddr *local)
{
	return p->local.ss_family == 0 || same_addr((const struct sockaddr *)&p->local, local);
}

/* The most specific of the peers at idx[0..n) (all peers when idx is NULL). */
static struct engine_peer *walk(struct ike_engine *e, const size_t *idx, size_t n,
                                const struct sockaddr *local, const struct sockaddr *remote)
{
	struct engine_peer *best = NULL;
	int best_len = -1;

	for (size_t j = 0; j < n; j++) {
		struct engine_peer *p = &e->peers[idx != NULL ? idx[j] : j];
		int len = p->cfg.remote_any ? -1 : p->cfg.remote_prefix;

		if (!ike_peer_matches_addr(&p->cfg, remote) || !local_ok(&p->cfg, local))
			continue;
		if (best == NULL || len > best_len) {
			best = p;
			best_len = len;
		}
	}
	return best;
}

struct engine_peer *engine_match_peer(struct ike_engine *e, const struct sockaddr *local,
                                      const struct sockaddr *remote)
{
	const struct engine_addr_index *x = &e->addrs;
	size_t len;

	if (!x->ready)
		return walk(e, NULL, e->n_peers, local, remote);
	if (addr_bytes(remote, &len) != NULL)
		for (size_t i = x->slot[find_slot(e, x, remote)]; i != 0; i = x->next[i - 1])
			if (local_ok(&e->peers[i - 1].cfg, local))
				return &e->peers[i - 1];
	return walk(e, x->wide, x->n_wide, local, remote);
}

/*
 * How well a peer's remote_id names an AM1's IDii: 3 by its configured identity, 2 by
 * the default (the peer's address, the IDii being that address), 1 for remote_id =
 * %any, 0 not at all.
 */
static int id_rank(const struct ike_peer_cfg *p, const struct ike_id *got,
                   const struct sockaddr *remote)
{
	char addr[INET6_ADDRSTRLEN];

	if (p->remote_id.type == 0 && strcmp(p->remote_id.value, "%any") == 0)
		return 1;
	if (p->remote_id.type == IKE_ID_DER_ASN1_DN)
		return got->type == IKE_ID_DER_ASN1_DN &&
		               ike_dn_text_equal(got->value, p->remote_id.value)
		           ? 3
		           : 0;
	if (p->remote_id.type != 0)
		return got->type == p->remote_id.type && strcmp(got->value, p->remote_id.value) == 0
		           ? 3
		           : 0;
	if (remote->sa_family == AF_INET && got->type == IKE_ID_IPV4_ADDR &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)remote)->sin_addr, addr,
	              sizeof(addr)) != NULL)
		return strcmp(got->value, addr) == 0 ? 2 : 0;
	if (remote->sa_family == AF_INET6 && got->type == IKE_ID_IPV6_ADDR &&
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)remote)->sin6_addr, addr,
	              sizeof(addr)) != NULL)
		return strcmp(got->value, addr) == 0 ? 2 : 0;
	return 0;
}

struct engine_peer *aggr_match_peer(struct ike_engine *e, const struct sockaddr *local,
                                    const struct sockaddr *remote, const struct isakmp_msg *m)
{
	const struct isakmp_payload *id = isakmp_msg_find(m, ISAKMP_NP_ID, NULL);
	struct engine_peer *best = NULL;
	int best_rank = 0, best_len = -2;
	struct ike_id got;

	if (id == NULL || phase1_id_decode(id->body, id->len, &got) != 0)
		return NULL;
	for (size_t i = 0; i < e->n_peers; i++) {
		struct engine_peer *p = &e->peers[i];
		int len = p->cfg.remote_any ? -1 : p->cfg.remote_prefix, rank;

		if (!ike_peer_matches_addr(&p->cfg, remote) || !local_ok(&p->cfg, local))
			continue;
		rank = id_rank(&p->cfg, &got, remote);
		if (rank == 0)
			continue;
		if (rank > best_rank || (rank == best_rank && len > best_len)) {
			best = p;
			best_rank = rank;
			best_len = len;
		}
	}
	/* no identity fits: the peer by address, whose answer (INVALID-ID-INFORMATION, or
	 * NO-PROPOSAL-CHOSEN when it does not allow Aggressive Mode) the initiator sees */
	return best != NULL ? best : engine_match_peer(e, local, remote);
}
