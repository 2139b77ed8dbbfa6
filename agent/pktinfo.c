/*
 * pktinfo.c - recvmsg and sendmsg with IP_PKTINFO / IPV6_PKTINFO control messages (see
 * pktinfo.h).
 */
#include <netinet/in.h>
#include <string.h>

#include "agent/pktinfo.h"

/* Room for either family's control message, or both. */
union pktinfo_ctl {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

static socklen_t len_of(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* The destination address from the control messages into local; whether one was there. */
static bool local_from_cmsg(struct msghdr *mh, struct sockaddr_storage *local)
{
	bool found = false;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in *)local)->sin_addr = pi.ipi_addr;
			found = true;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in6 *)local)->sin6_addr = pi.ipi6_addr;
			found = true;
		}
	}
	return found;
}

ssize_t pktinfo_recv(int fd, void *buf, size_t cap, struct sockaddr_storage *remote,
                     struct sockaddr_storage *local, bool *have_local)
{
	union pktinfo_ctl ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh;
	ssize_t r;
	bool found;

	memset(&mh, 0, sizeof(mh));
	memset(remote, 0, sizeof(*remote));
	mh.msg_name = remote;
	mh.msg_namelen = sizeof(*remote);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	r = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (r < 0)
		return -1;
	found = local_from_cmsg(&mh, local);
	if (have_local != NULL)
		*have_local = found;
	return r;
}

int pktinfo_send(int fd, const struct sockaddr *local, const struct sockaddr *remote,
                 const struct iovec *iov, size_t niov)
{
	union pktinfo_ctl ctl;
	struct msghdr mh;
	struct cmsghdr *c;
	size_t total = 0;

	for (size_t i = 0; i < niov; i++)
		total += iov[i].iov_len;
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_name = (void *)remote;
	mh.msg_namelen = len_of(remote->sa_family);
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = niov;
	if (local != NULL) {
		mh.msg_control = ctl.buf;
		c = (struct cmsghdr *)ctl.buf;
		if (remote->sa_family == AF_INET) {
			struct in_pktinfo pi = {0};

			pi.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi = {0};

			pi.ipi6_addr = ((const struct sockaddr_in6 *)local)->sin6_addr;
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	}
	return sendmsg(fd, &mh, MSG_DONTWAIT) == (ssize_t)total ? 0 : -1;
}
