/*
 * net.h - ikemond's IKE sockets: one UDP socket per listen address, which learns the
 * local address each datagram arrived on (IP_PKTINFO / IPV6_RECVPKTINFO) and replies
 * from it, so a daemon bound to a wildcard answers from the address the peer used.
 */
#ifndef AGENT_NET_H
#define AGENT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <sys/socket.h>

#define NET_MAX_SOCKETS 32 /* 16 listen addresses, each with its NAT-T twin */
#define NET_AGAIN       (-2)
#define NET_IGNORED     (-3)

struct net_socket {
	int fd;
	struct sockaddr_storage bound; /* as bound (port included; address may be wildcard) */
	bool natt; /* the NAT-T twin (port 4500): IKE behind a four-byte zero marker */
};

struct net {
	struct net_socket s[NET_MAX_SOCKETS];
	size_t n;
};

/*
 * Open and bind a socket per address, and for each one on port 500 its NAT-T twin on
 * port 4500 (RFC 3947).  Returns 0, or -1 with a message in err.
 */
int net_open(struct net *n, const struct sockaddr_storage *addrs, size_t count, char *err,
             size_t errlen);
void net_close(struct net *n);

/*
 * A reload's listen: keep the sockets already bound to an address still asked for, open
 * the new ones, close the rest.  On failure nothing changes (-1, a message in err).
 */
int net_reopen(struct net *n, const struct sockaddr_storage *addrs, size_t count, char *err,
               size_t errlen);

/*
 * Receive one datagram from socket i: fills remote and local (the address it arrived
 * on, with the socket's port).  Returns its length (an empty datagram is 0), NET_AGAIN
 * when nothing is waiting, -1 on error.  On a NAT-T socket the non-ESP marker is taken
 * off; NAT keepalives and ESP packets (no data plane here) are counted in *ignored and
 * reported as NET_IGNORED.
 */
ssize_t net_recv(struct net *n, size_t i, uint8_t *buf, size_t cap, struct sockaddr_storage *local,
                 struct sockaddr_storage *remote);

/* Send from local (address and port; a wildcard or family 0 lets the kernel choose). */
int net_send(struct net *n, const struct sockaddr *local, const struct sockaddr *remote,
             const uint8_t *buf, size_t len);

/* The NAT-T port paired with local's IKE socket (4500), or 0 when it has none. */
uint16_t net_natt_port(struct net *n, const struct sockaddr *local);

/* The local address and port to reach remote from. Returns 0 or -1. */
int net_source_for(struct net *n, const struct sockaddr *remote, struct sockaddr_storage *local);

/* "192.0.2.1:500", "[2001:db8::1]:500" */
const char *net_ntop(const struct sockaddr *sa, char *buf, size_t len);

#endif /* AGENT_NET_H */
