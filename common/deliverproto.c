/* deliverproto.c: the lspawn <-> postern-deliver worker records
 * (deliverproto.h).  A request is "D2" and nine fields, each ended by a
 * NUL: sender, recipient, user, home, extension, queue id ("" for none),
 * quota bytes, quota messages, message size (decimal). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deliverproto.h"
#include "fdpass.h"

#define NFIELDS 9

int
deliverproto_send(int sock, const struct deliver_facts *f, int fd)
{
	char rec[DELIVERPROTO_MAX], qb[24], qm[24], ms[24];
	const char *v[NFIELDS];
	size_t len = 2, i;

	snprintf(qb, sizeof(qb), "%llu", (unsigned long long)f->quota_bytes);
	snprintf(qm, sizeof(qm), "%llu", (unsigned long long)f->quota_msgs);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)f->msgsize);
	v[0] = f->sender;
	v[1] = f->recipient;
	v[2] = f->user;
	v[3] = f->home;
	v[4] = f->ext;
	v[5] = f->queue_id ? f->queue_id : "";
	v[6] = qb;
	v[7] = qm;
	v[8] = ms;
	memcpy(rec, "D2", 2);
	for (i = 0; i < NFIELDS; i++)
		if (fdpass_put_str(rec, sizeof(rec), &len, v[i]) < 0)
			return -1;
	return fdpass_send(sock, rec, len, &fd, 1, 0);
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
	ssize_t n;
	size_t off = 2, i;
	int got = -1, nfds, trunc;

	*fd = -1;
	n = fdpass_recv(sock, buf, DELIVERPROTO_MAX, &got, 1, &nfds, &trunc);
	if (n == 0 && nfds == 0)
		return 0;
	if (n < 0)
		return -1;
	if (nfds == 0)
		got = -1;
	if (got < 0 || trunc || n < 2 ||
	    memcmp(buf, "D2", 2) != 0)
		goto bad;
	for (i = 0; i < NFIELDS; i++) {
		const char *nul = memchr(buf + off, '\0', (size_t)n - off);

		if (nul == NULL)
			goto bad;
		v[i] = buf + off;
		off = (size_t)(nul - buf) + 1;
	}
	if (off != (size_t)n || !digits(v[6]) || !digits(v[7]) ||
	    !digits(v[8]))
		goto bad;
	f->sender = v[0];
	f->recipient = v[1];
	f->user = v[2];
	f->home = v[3];
	f->ext = v[4];
	f->queue_id = v[5][0] ? v[5] : NULL;
	f->quota_bytes = strtoull(v[6], NULL, 10);
	f->quota_msgs = strtoull(v[7], NULL, 10);
	f->msgsize = strtoull(v[8], NULL, 10);
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
