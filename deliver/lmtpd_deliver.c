/* lmtpd_deliver.c: postern-lmtpd's delivery: one spawnproto request per
 * recipient to postern-lspawn's socket (the message as an open
 * descriptor), one result per recipient back (RFC 2033 4.2: a reply per
 * recipient after DATA). */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "lmtpd.h"
#include "spawnproto.h"
#include "unixsock.h"

static void
set_result(struct lmtp_rcpt *r, unsigned cls, unsigned code,
    const char *status, const char *diag)
{
	r->cls = cls;
	r->code = code;
	snprintf(r->status, sizeof r->status, "%s", status);
	snprintf(r->diag, sizeof r->diag, "%s", diag);
}

void
lmtp_deliver(const char *path, int fd, uint64_t size, const char *session,
    struct lmtp_txn *t, int timeout_ms)
{
	struct spawn_reader rd;
	struct buf rec = BUF_INIT, payload = BUF_INIT;
	size_t i, pending = 0;
	unsigned char *answered = xcalloc(t->nrcpts ? t->nrcpts : 1, 1);
	int sock;

	for (i = 0; i < t->nrcpts; i++)
		set_result(&t->rcpts[i], 4, 451, "4.3.0",
		    "local delivery unavailable, try again later");
	sock = unixsock_connect(path);
	if (sock < 0) {
		log_error("lspawn-connect", "path=%s error=%s", path, strerror(errno));
		free(answered);
		return;
	}
	for (i = 0; i < t->nrcpts; i++) {
		struct spawn_request *req = spawn_request_new();
		struct lmtp_rcpt *r = &t->rcpts[i];

		req->id = (uint32_t)i + 1;
		spawn_set(&req->queue_id, session);
		spawn_set(&req->sender, t->sender);
		spawn_set(&req->envid, t->mp.has_envid ? t->mp.envid : NULL);
		req->ret = t->mp.ret;
		req->body = t->mp.body;
		req->smtputf8 = t->mp.smtputf8;
		req->size = size;
		spawn_request_add_rcpt(req, r->addr, r->notify, r->orcpt_type,
		    r->orcpt);
		buf_reset(&rec);
		if (spawn_request_encode(req, &rec) < 0 ||
		    spawn_send(sock, rec.p, rec.len, fd) < 0) {
			spawn_request_free(req);
			log_error("lspawn-send", "error=%s", strerror(errno));
			break;
		}
		spawn_request_free(req);
		pending++;
	}
	spawn_reader_init(&rd);
	while (pending > 0) {
		struct spawn_reply *rep;
		char err[128];
		int rc = spawn_read_record(&rd, sock, &payload, 0, NULL, timeout_ms);

		if (rc != 1) {
			log_error("lspawn-reply", "error=%s", rc == 0 ? "end of stream" :
			    "timeout or error");
			break;
		}
		if (spawn_reply_parse(payload.p, payload.len, &rep, err, sizeof err) < 0) {
			log_error("lspawn-reply", "error=%s", err);
			break;
		}
		if (rep->id >= 1 && rep->id <= t->nrcpts && rep->nresults == 1 &&
		    !answered[rep->id - 1]) {
			struct lmtp_rcpt *r = &t->rcpts[rep->id - 1];
			const struct spawn_result *x = &rep->results[0];
			unsigned cls = x->cls;
			unsigned code = x->smtp_code / 100 == cls ? x->smtp_code :
			    cls == 2 ? 250 : cls == 5 ? 550 : 451;
			const char *st = x->dsn_status && (unsigned)(x->dsn_status[0] - '0') == cls ?
			    x->dsn_status : cls == 2 ? "2.0.0" : cls == 5 ? "5.0.0" : "4.0.0";
			set_result(r, cls, code, st, x->diag ? x->diag :
			    cls == 2 ? "delivered" : "delivery failed");
			answered[rep->id - 1] = 1;
			pending--;
		}
		spawn_reply_free(rep);
	}
	spawn_reader_free(&rd);
	free(answered);
	buf_free(&rec);
	buf_free(&payload);
	close(sock);
}
