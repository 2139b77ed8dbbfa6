/*
 * pktinfo.h - UDP send and receive with the local address of each datagram: the kernel
 * says which of our addresses a datagram was sent to (IP_PKTINFO, IPV6_RECVPKTINFO on
 * the socket), and we say which one a reply leaves from (the same control messages on
 * send), so that one socket bound to a wildcard serves every local address.
 *
 * Used by ikemond's IKE sockets (agent/net.c) and by the load generator
 * (tests/bench/load_net.c).
 */
#ifndef AGENT_PKTINFO_H
#define AGENT_PKTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * Receive one datagram on fd (MSG_DONTWAIT) into buf: remote gets the sender; local's
 * address becomes the one the datagram was sent to, its other fields (family, port) as
 * the caller set them; *have_local (when not NULL) whether the kernel told it.  Returns
 * the length (a datagram longer than cap is cut), or -1 with errno.
 */
ssize_t pktinfo_recv(int fd, void *buf, size_t cap, struct sockaddr_storage *remote,
                     struct sockaddr_storage *local, bool *have_local);

/*
 * Send the iov's bytes to remote (MSG_DONTWAIT), from local's address when local is not
 * NULL (it must be of remote's family).  Returns 0 when all was sent, else -1.
 */
int pktinfo_send(int fd, const struct sockaddr *local, const struct sockaddr *remote,
                 const struct iovec *iov, size_t niov);

#endif /* AGENT_PKTINFO_H */
