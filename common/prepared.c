/* prepared.c: handing a connection to a session program started ahead
 * (prepared.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "envfd.h"
#include "prepared.h"
#include "tlsctl.h"

const char *const prepared_keys[] = {
	"PROTO", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
	"TCP6REMOTEIP", "TCP6REMOTEPORT", "TCP6LOCALIP", "TCP6LOCALPORT",
	"POSTERN_SERVICE", "POSTERN_SESSION", "POSTERN_AUTH_FAILS", NULL
};

static int
key_allowed(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t i, kl;

	if (eq == NULL)
		return 0;
	kl = (size_t)(eq - kv);
	for (i = 0; prepared_keys[i] != NULL; i++)
		if (strlen(prepared_keys[i]) == kl && memcmp(prepared_keys[i], kv, kl) == 0)
			return 1;
	return 0;
}

int
prepared_send(int sock, char *const *envs, size_t nenv, int conn, int ctl)
{
	char rec[PREPARED_MAX];
	size_t len = 2, i, l;
	int fds[2] = { conn, ctl }, nfd = ctl >= 0 ? 2 : 1;
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 2)];
	} cm;
	ssize_t n;

	memcpy(rec, "P1", 2);
	for (i = 0; i < nenv; i++) {
		if (!key_allowed(envs[i]))
			continue;
		l = strlen(envs[i]);
		if (len + l + 1 > sizeof(rec)) {
			errno = E2BIG;
			return -1;
		}
		memcpy(rec + len, envs[i], l + 1);
		len += l + 1;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = rec;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfd);
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfd);
	memcpy(CMSG_DATA(&cm.h), fds, sizeof(int) * (size_t)nfd);
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

int
prepared_wait(void)
{
	static char rec[PREPARED_MAX + 1];
	int sock = env_fd(PREPARED_ENV), fds[2] = { -1, -1 }, nfd = 0;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	ssize_t n;
	size_t off, i;
	char num[16];

	if (sock < 0)
		return 0;
	unsetenv(PREPARED_ENV);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = rec;
	iov.iov_len = PREPARED_MAX;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof(cm.b);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	close(sock);
	for (c = CMSG_FIRSTHDR(&mh); n > 0 && c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int x;

			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfd < 2)
				fds[nfd++] = x;
			else
				close(x);
		}
	}
	if (n == 0 && nfd == 0) {
		errno = 0;              /* the end: listen has stopped */
		return -1;
	}
	if (n < 2 || nfd < 1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    memcmp(rec, "P1", 2) != 0 || rec[n - 1] != '\0')
		goto bad;
	/* only what listen sets per connection; TCP6* only when given */
	unsetenv("TCP6REMOTEIP");
	unsetenv("TCP6REMOTEPORT");
	unsetenv("TCP6LOCALIP");
	unsetenv("TCP6LOCALPORT");
	for (off = 2; off < (size_t)n;) {
		char *kv = rec + off, *eq = strchr(kv, '=');

		off += strlen(kv) + 1;
		if (!key_allowed(kv))
			goto bad;
		*eq = '\0';
		if (setenv(kv, eq + 1, 1) < 0)
			goto bad;
	}
	if (dup2(fds[0], 0) < 0 || dup2(fds[0], 1) < 0)
		goto bad;
	close(fds[0]);
	fds[0] = -1;
	if (nfd == 2) {
		snprintf(num, sizeof(num), "%d", fds[1]);
		if (setenv(TLSCTL_ENV, num, 1) < 0)
			goto bad;
	} else
		unsetenv(TLSCTL_ENV);
	return 1;
bad:
	for (i = 0; i < (size_t)nfd; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	errno = EPROTO;
	return -1;
}
