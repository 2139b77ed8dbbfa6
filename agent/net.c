/*
 * net.c - UDP sockets for IKE with per-datagram local addresses (agent/pktinfo.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/pktinfo.h"
#include "ike/ike.h"
#include "net.h"

static bool is_wildcard(const struct sockaddr_storage *ss);
static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b);

static in_port_t port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_port;
	if (sa->sa_family == AF_INET6)
		return ((const struct sockaddr_in6 *)sa)->sin6_port;
	return 0;
}

static socklen_t len_of(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

const char *net_ntop(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(port_of(sa)));
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(port_of(sa)));
	} else {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

/*
 * Whether another process holds addr: a bind without SO_REUSEADDR of a socket thrown away
 * after.  Our sockets set SO_REUSEADDR (a wildcard and a specific address of ours may
 * share a port), and so might another daemon's: two of them would then bind the same
 * address silently, the kernel handing each datagram to one of them.  Asked only when no
 * socket of ours has that port.  0: free; -1 with errno (EADDRINUSE: taken).
 */
static int probe_free(const struct sockaddr_storage *addr)
{
	int fam = addr->ss_family, one = 1, fd, ret = 0, saved;

	fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if ((fam == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(fd, (const struct sockaddr *)addr, len_of(fam)) != 0)
		ret = -1;
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

static int open_one(struct net_socket *s, const struct sockaddr_storage *addr, bool probe,
                    char *err, size_t errlen)
{
	int fam = addr->ss_family, one = 1, rcvbuf = 1 << 20, fd = -1;
	char name[80];

	if (probe && probe_free(addr) != 0) {
		if (errno == EADDRINUSE) {
			snprintf(
			    err, errlen,
			    "cannot listen on %s: another process has it (another IKE daemon?)",
			    net_ntop((const struct sockaddr *)addr, name, sizeof(name)));
			return -1;
		}
		goto fail;
	}
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	/* a hub sees bursts (every spoke after an outage): room for them (best effort) */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fam == AF_INET6) {
		/* v4 goes to its own socket; a v6 wildcard must not swallow it */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0)
			goto fail;
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0) {
		goto fail;
	}
	if (bind(fd, (const struct sockaddr *)addr, len_of(fam)) != 0)
		goto fail;
	s->fd = fd;
	s->bound = *addr;
	return 0;
fail:
	snprintf(err, errlen, "cannot listen on %s: %s",
	         net_ntop((const struct sockaddr *)addr, name, sizeof(name)), strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The sockets addrs asks for: each address, and for one on port 500 its NAT-T twin. */
static size_t wanted_sockets(const struct sockaddr_storage *addrs, size_t count,
                             struct net_socket *want)
{
	size_t k = 0;

	for (size_t i = 0; i < count; i++) {
		struct sockaddr_storage twin = addrs[i];

		want[k++] = (struct net_socket){.fd = -1, .bound = addrs[i], .natt = false};
		if (port_of((const struct sockaddr *)&twin) != htons(IKE_PORT))
			continue;
		if (twin.ss_family == AF_INET)
			((struct sockaddr_in *)&twin)->sin_port = htons(IKE_NATT_PORT);
		else
			((struct sockaddr_in6 *)&twin)->sin6_port = htons(IKE_NATT_PORT);
		want[k++] = (struct net_socket){.fd = -1, .bound = twin, .natt = true};
	}
	return k;
}

static bool same_bound(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family &&
	       port_of((const struct sockaddr *)a) == port_of((const struct sockaddr *)b) &&
	       same_addr(a, (const struct sockaddr *)b);
}

static bool same_port(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family &&
	       port_of((const struct sockaddr *)a) == port_of((const struct sockaddr *)b);
}

int net_reopen(struct net *n, const struct sockaddr_storage *addrs, size_t count, char *err,
               size_t errlen)
{
	struct net_socket want[NET_MAX_SOCKETS];
	bool reused[NET_MAX_SOCKETS] = {false}, kept[NET_MAX_SOCKETS] = {false};
	size_t k, i, j;

	if (2 * count > NET_MAX_SOCKETS) {
		snprintf(err, errlen, "too many listen addresses");
		return -1;
	}
	k = wanted_sockets(addrs, count, want);
	for (i = 0; i < k; i++) {
		for (j = 0; j < n->n && want[i].fd < 0; j++) {
			if (!kept[j] && same_bound(&n->s[j].bound, &want[i].bound)) {
				want[i].fd = n->s[j].fd;
				kept[j] = reused[i] = true;
			}
		}
		if (want[i].fd < 0) {
			struct sockaddr_storage addr = want[i].bound;
			bool ours = false;

			/* a port of ours already: the probe would find our own socket */
			for (j = 0; j < n->n && !ours; j++)
				ours = same_port(&n->s[j].bound, &addr);
			for (j = 0; j < i && !ours; j++)
				ours = same_port(&want[j].bound, &addr);
			if (open_one(&want[i], &addr, !ours, err, errlen) != 0)
				goto fail;
		}
	}
	for (j = 0; j < n->n; j++)
		if (!kept[j])
			close(n->s[j].fd);
	memcpy(n->s, want, k * sizeof(want[0]));
	n->n = k;
	return 0;
fail:
	for (j = 0; j < i; j++)
		if (!reused[j])
			close(want[j].fd);
	return -1;
}

int net_open(struct net *n, const struct sockaddr_storage *addrs, size_t count, char *err,
             size_t errlen)
{
	memset(n, 0, sizeof(*n));
	return net_reopen(n, addrs, count, err, errlen);
}

uint16_t net_natt_port(struct net *n, const struct sockaddr *local)
{
	for (size_t i = 0; i < n->n; i++) {
		const struct net_socket *s = &n->s[i];

		if (!s->natt || s->bound.ss_family != local->sa_family)
			continue;
		if (is_wildcard(&s->bound) || same_addr(&s->bound, local))
			return ntohs(port_of((const struct sockaddr *)&s->bound));
	}
	return 0;
}

void net_close(struct net *n)
{
	for (size_t i = 0; i < n->n; i++)
		close(n->s[i].fd);
	n->n = 0;
}

ssize_t net_recv(struct net *n, size_t i, uint8_t *buf, size_t cap, struct sockaddr_storage *local,
                 struct sockaddr_storage *remote)
{
	ssize_t r;

	/* the socket's address and port; pktinfo_recv puts in the datagram's destination */
	*local = n->s[i].bound;
	r = pktinfo_recv(n->s[i].fd, buf, cap, remote, local, NULL);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? NET_AGAIN : -1;
	/* a datagram larger than any IKE message is cut: the codec rejects its length */
	if (!n->s[i].natt)
		return r;
	/* RFC 3948 2.2: IKE behind a zero marker; 0xff alone is a keepalive; else ESP */
	if (r < NON_ESP_MARKER_LEN || memcmp(buf, "\0\0\0\0", NON_ESP_MARKER_LEN) != 0)
		return NET_IGNORED;
	memmove(buf, buf + NON_ESP_MARKER_LEN, (size_t)r - NON_ESP_MARKER_LEN);
	return r - NON_ESP_MARKER_LEN;
}

static bool is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return true;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* The socket to send from: same family and port, bound to local or to the wildcard. */
static struct net_socket *pick(struct net *n, const struct sockaddr *local, int family)
{
	struct net_socket *wild = NULL, *any = NULL;
	in_port_t port = local != NULL ? port_of(local) : 0;

	for (size_t i = 0; i < n->n; i++) {
		struct net_socket *s = &n->s[i];

		if (s->bound.ss_family != family)
			continue;
		if (any == NULL)
			any = s;
		if (port != 0 && port_of((const struct sockaddr *)&s->bound) != port)
			continue;
		if (local != NULL && local->sa_family == family && !is_wildcard(&s->bound) &&
		    same_addr(&s->bound, local))
			return s;
		if (is_wildcard(&s->bound) && wild == NULL)
			wild = s;
	}
	return wild != NULL ? wild : any;
}

int net_send(struct net *n, const struct sockaddr *local, const struct sockaddr *remote,
             const uint8_t *buf, size_t len)
{
	static const uint8_t marker[NON_ESP_MARKER_LEN];
	struct iovec iov[2];
	struct net_socket *s = pick(n, local, remote->sa_family);
	size_t niov = 0;

	if (s == NULL)
		return -1;
	/* on port 4500 an IKE message goes behind the marker; a keepalive (0xff) does not */
	if (s->natt && !(len == 1 && buf[0] == 0xff))
		iov[niov++] = (struct iovec){.iov_base = (void *)marker, .iov_len = sizeof(marker)};
	iov[niov++] = (struct iovec){.iov_base = (void *)buf, .iov_len = len};
	/* on a wildcard socket, choose the source address ourselves */
	if (!is_wildcard(&s->bound) || local == NULL || local->sa_family != remote->sa_family ||
	    is_wildcard((const struct sockaddr_storage *)local))
		local = NULL;
	return pktinfo_send(s->fd, local, remote, iov, niov);
}

/* The source address the routing table gives for remote (port 0), or -1. */
static int route_source(const struct sockaddr *remote, struct sockaddr_storage *local)
{
	socklen_t sl = sizeof(*local);
	int fd = socket(remote->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	if (fd < 0)
		return -1;
	/* a connected UDP socket gets the source address; nothing is sent */
	if (connect(fd, remote, len_of(remote->sa_family)) == 0 &&
	    getsockname(fd, (struct sockaddr *)local, &sl) == 0 &&
	    local->ss_family == remote->sa_family)
		ret = 0;
	close(fd);
	return ret;
}

static void set_port(struct sockaddr_storage *ss, in_port_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = port;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = port;
}

/*
 * The IKE (not NAT-T) socket to send to remote from: the one bound to the address the
 * routing table chooses, else a wildcard one (the route's address then), else the first
 * of the family.  With several listen addresses (one per link) the first one is not
 * the way to every peer: a peer on the second link must see that link's address.
 */
int net_source_for(struct net *n, const struct sockaddr *remote, struct sockaddr_storage *local)
{
	struct net_socket *bound = NULL, *wild = NULL, *any = NULL;
	struct sockaddr_storage route;
	bool routed = route_source(remote, &route) == 0;

	for (size_t i = 0; i < n->n; i++) {
		struct net_socket *s = &n->s[i];

		if (s->bound.ss_family != remote->sa_family || s->natt)
			continue;
		if (any == NULL)
			any = s;
		if (is_wildcard(&s->bound)) {
			if (wild == NULL)
				wild = s;
		} else if (routed && bound == NULL &&
		           same_addr(&s->bound, (const struct sockaddr *)&route)) {
			bound = s;
		}
	}
	if (bound != NULL || (wild == NULL && any != NULL)) {
		*local = (bound != NULL ? bound : any)->bound;
		return 0;
	}
	if (wild == NULL || !routed)
		return -1;
	*local = route;
	set_port(local, port_of((const struct sockaddr *)&wild->bound));
	return 0;
}
