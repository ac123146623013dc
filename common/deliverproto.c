/* deliverproto.c: the lspawn <-> postern-deliver worker records
 * (deliverproto.h).  A request is "D1" and eight fields, each ended by a
 * NUL: sender, recipient, user, home, extension, queue id ("" for none),
 * quota bytes, quota messages (decimal). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deliverproto.h"

#define NFIELDS 8

int
deliverproto_send(int sock, const struct deliver_facts *f, int fd)
{
	char rec[DELIVERPROTO_MAX], qb[24], qm[24];
	const char *v[NFIELDS];
	size_t len = 2, i, l;
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	ssize_t n;

	snprintf(qb, sizeof(qb), "%llu", (unsigned long long)f->quota_bytes);
	snprintf(qm, sizeof(qm), "%llu", (unsigned long long)f->quota_msgs);
	v[0] = f->sender;
	v[1] = f->recipient;
	v[2] = f->user;
	v[3] = f->home;
	v[4] = f->ext;
	v[5] = f->queue_id ? f->queue_id : "";
	v[6] = qb;
	v[7] = qm;
	memcpy(rec, "D1", 2);
	for (i = 0; i < NFIELDS; i++) {
		l = strlen(v[i]);
		if (len + l + 1 > sizeof(rec)) {
			errno = E2BIG;
			return -1;
		}
		memcpy(rec + len, v[i], l + 1);
		len += l + 1;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = rec;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof(cm.b);
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

static int
digits(const char *s)
{
	if (*s == '\0' || strlen(s) > 20)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
deliverproto_recv(int sock, char *buf, struct deliver_facts *f, int *fd)
{
	const char *v[NFIELDS];
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	ssize_t n;
	size_t off = 2, i;
	int got = -1;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = DELIVERPROTO_MAX;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof(cm.b);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return -1;
	/* every descriptor that came is ours to close, whatever the record */
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int x;

			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < 0)
				got = x;
			else
				close(x);
		}
	}
	if (got < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n < 2 ||
	    memcmp(buf, "D1", 2) != 0)
		goto bad;
	for (i = 0; i < NFIELDS; i++) {
		const char *nul = memchr(buf + off, '\0', (size_t)n - off);

		if (nul == NULL)
			goto bad;
		v[i] = buf + off;
		off = (size_t)(nul - buf) + 1;
	}
	if (off != (size_t)n || !digits(v[6]) || !digits(v[7]))
		goto bad;
	f->sender = v[0];
	f->recipient = v[1];
	f->user = v[2];
	f->home = v[3];
	f->ext = v[4];
	f->queue_id = v[5][0] ? v[5] : NULL;
	f->quota_bytes = strtoull(v[6], NULL, 10);
	f->quota_msgs = strtoull(v[7], NULL, 10);
	*fd = got;
	return 1;
bad:
	if (got >= 0)
		close(got);
	errno = EPROTO;
	return -1;
}

int
deliverproto_status(const char *rec, size_t len)
{
	int v = 0;
	size_t i;

	if (len < 2 || len > 4 || rec[0] != '=')
		return -1;
	for (i = 1; i < len; i++) {
		if (rec[i] < '0' || rec[i] > '9')
			return -1;
		v = v * 10 + (rec[i] - '0');
	}
	return v <= 255 ? v : -1;
}
