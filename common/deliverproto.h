/* deliverproto.h: postern-lspawn <-> a postern-deliver worker (-S), over a
 * SOCK_SEQPACKET socketpair.  A worker runs as one user's uid and serves
 * that user's deliveries one after another, so that a delivery is not a
 * process start.  Request: one record holding the facts of one delivery,
 * the message's descriptor attached (SCM_RIGHTS).  Answer: the result
 * line ("X.Y.Z text\n", as postern-deliver writes it), then a record
 * "=N" with its exit status (0, 100, 111). */
#ifndef POSTERN_DELIVERPROTO_H
#define POSTERN_DELIVERPROTO_H

#include <stddef.h>
#include <stdint.h>

#define DELIVERPROTO_MAX 8192    /* one record, either way */

struct deliver_facts {
	const char *sender, *recipient, *user, *home, *ext;
	const char *queue_id;        /* NULL: none */
	uint64_t quota_bytes, quota_msgs;
	uint64_t msgsize;            /* the message is the fd's first msgsize
	                                bytes */
};

/* Send f with fd attached.  0, or -1 (errno; E2BIG when over the limit). */
int deliverproto_send(int sock, const struct deliver_facts *f, int fd);
/* Receive one request into buf (DELIVERPROTO_MAX bytes; f points into
 * it) and its descriptor (close-on-exec).  1 with *fd set; 0 at the end;
 * -1 on an error or a malformed record (errno EPROTO; no fd kept). */
int deliverproto_recv(int sock, char *buf, struct deliver_facts *f, int *fd);
/* Parse a status record "=N": N, or -1. */
int deliverproto_status(const char *rec, size_t len);

#endif
