/*
 * load_net.c - ikeload's one UDP socket, and the CPU readings.
 *
 * One socket bound to 0.0.0.0:PORT serves every source address: IP_PKTINFO on send
 * picks the source of each datagram (ipi_spec_dst), and on receive tells which of our
 * addresses a datagram was sent to (ipi_addr), with ikemond's own code for it
 * (agent/pktinfo.c).  So 100,000 sources cost one descriptor, and the addresses need not
 * be configured anywhere: all of 127.0.0.0/8 is local on lo, and a namespace can route a
 * whole block to its lo.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/pktinfo.h"
#include "ikeload.h"

#define SOCK_BUF (4 << 20) /* bursts of a whole window; the kernel caps it at rmem_max */

int load_net_open(struct load_net *n, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t sl = sizeof(sin);
	int one = 1, buf = SOCK_BUF;

	n->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		goto fail;
	/* best effort: a small buffer only means drops, which the engine retransmits */
	(void)setsockopt(n->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(n->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	/* no SO_REUSEADDR: a port someone else holds is an error, never a shared socket */
	if (setsockopt(n->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0 ||
	    bind(n->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(n->fd, (struct sockaddr *)&sin, &sl) != 0)
		goto fail;
	n->port = ntohs(sin.sin_port);
	return 0;
fail:
	snprintf(err, errlen, "UDP socket on 0.0.0.0:%u: %s", port, strerror(errno));
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	return -1;
}

void load_net_close(struct load_net *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

int load_net_send(struct load_net *n, const struct sockaddr_in *local,
                  const struct sockaddr_in *remote, const uint8_t *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return pktinfo_send(n->fd, (const struct sockaddr *)local, (const struct sockaddr *)remote,
	                    &iov, 1);
}

long load_net_recv(struct load_net *n, uint8_t *buf, size_t cap, struct sockaddr_in *local,
                   struct sockaddr_in *remote)
{
	struct sockaddr_storage from, to;
	bool have_dst;
	ssize_t r;

	memset(&to, 0, sizeof(to));
	to.ss_family = AF_INET;
	((struct sockaddr_in *)&to)->sin_port = htons(n->port);
	r = pktinfo_recv(n->fd, buf, cap, &from, &to, &have_dst);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -2 : -1;
	memcpy(local, &to, sizeof(*local));
	memcpy(remote, &from, sizeof(*remote));
	/* without its destination a datagram cannot be given to an SA: skip it */
	if (!have_dst || from.ss_family != AF_INET)
		return -3;
	return (long)r;
}

double load_self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/*
 * proc(5): the fields after "(comm)" start with the state (field 3); utime and stime are
 * fields 14 and 15, in clock ticks.  comm may hold spaces and parentheses: parse from the
 * last ')'.
 */
double load_proc_cpu(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	long tck = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || tck <= 0 ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
	           &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)tck;
}
