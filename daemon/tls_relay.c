/* tls_relay.c: postern-tls's handshake and relay loop.  Plaintext (before
 * STARTTLS) or TLS records on fds 0/1, plaintext to the protocol program
 * on a socketpair; bounded buffers, poll, handshake and idle timeouts.
 * A STARTTLS request on the control socket: flush what the program wrote,
 * drop what the client sent that the program has not read, handshake, and
 * answer with a fresh socketpair (tlsctl.h).  Request mode (postern-tls
 * -R): there is no plaintext socket yet (app is -1), the program wrote to
 * the connection itself and flushed before asking; the relay starts with
 * the pending request, on the same path. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "tls.h"
#include "tlsctl.h"

#define RELAY_BUF 16384

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	for (;;) {
		long long left = deadline - now_ms();
		int r;
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

static void facts_of(gnutls_session_t s, struct tls_facts *f)
{
	char name[256];
	size_t len = sizeof(name) - 1;
	unsigned type = 0;
	const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(s));
	const char *c = gnutls_cipher_get_name(gnutls_cipher_get(s));

	tls_facts_clear(f);
	f->active = 1;
	tls_fact_copy(f->version, sizeof(f->version), v ? v : "unknown", strlen(v ? v : "unknown"));
	tls_fact_copy(f->cipher, sizeof(f->cipher), c ? c : "unknown", strlen(c ? c : "unknown"));
	if (gnutls_server_name_get(s, name, &len, &type, 0) == 0 && type == GNUTLS_NAME_DNS &&
	    len < sizeof(name))
		tls_fact_copy(f->sni, sizeof(f->sni), name, len);
}

gnutls_session_t tls_handshake(const struct tls_conf *conf, struct tls_facts *f)
{
	gnutls_session_t s;
	long long deadline = now_ms() + conf->handshake_ms;
	int r;

	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0)
		return NULL;
	gnutls_priority_set(s, conf->prio);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, conf->cred);
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int2(s, 0, 1);
	for (;;) {
		r = gnutls_handshake(s);
		if (r == GNUTLS_E_SUCCESS)
			break;
		if (gnutls_error_is_fatal(r)) {
			log_info("tls_fail", "error=\"%s\"", gnutls_strerror(r));
			gnutls_deinit(s);
			return NULL;
		}
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			int dir = gnutls_record_get_direction(s);
			if (wait_fd(dir ? 1 : 0, dir ? POLLOUT : POLLIN, deadline) <= 0) {
				log_info("tls_fail", "error=handshake_timeout");
				gnutls_deinit(s);
				return NULL;
			}
		}
	}
	facts_of(s, f);
	log_info("tls", "version=%s cipher=%s sni=%s", f->version, f->cipher,
		 f->sni[0] ? f->sni : "-");
	return s;
}

struct relay {
	struct tls_conf *conf;
	gnutls_session_t s;     /* NULL: plaintext */
	int app, ctl;
	char to_app[RELAY_BUF], to_net[RELAY_BUF];
	size_t to_app_len, to_net_len;
	int net_eof, app_eof;
};

__attribute__((noreturn)) static void finish(struct relay *r, int status, const char *why)
{
	if (status || getenv("POSTERN_TLS_DEBUG"))
		log_info("tls_end", "reason=%s status=%d", why, status);
	if (r->s) {
		gnutls_bye(r->s, GNUTLS_SHUT_WR);
		gnutls_deinit(r->s);
	}
	if (r->app >= 0)
		close(r->app);
	_exit(status);
}

/* Write all of to_net to the client (used before a handshake). */
static int flush_net_plain(struct relay *r, long long deadline)
{
	size_t off = 0;
	while (off < r->to_net_len) {
		ssize_t n = write(1, r->to_net + off, r->to_net_len - off);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(1, POLLOUT, deadline) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	r->to_net_len = 0;
	return 0;
}

static void starttls(struct relay *r, const char *reply, size_t replylen)
{
	char ans[TLSCTL_MAX];
	struct tls_facts f;
	int np[2];
	size_t n;
	long long deadline = now_ms() + r->conf->handshake_ms;

	if (r->s) {
		n = tlsctl_format_no(ans, sizeof(ans), "TLS already active");
		tlsctl_send(r->ctl, ans, n, -1);
		return;
	}
	/* Parsed only now: a session without STARTTLS never pays for it. */
	if (tls_conf_load(r->conf) < 0) {
		n = tlsctl_format_no(ans, sizeof(ans), "TLS not available");
		tlsctl_send(r->ctl, ans, n, -1);
		finish(r, 0, "tls_setup");
	}
	/* The program wrote its "ready" reply before asking: it is in the
	 * socket already.  Send it and everything before it, all within the
	 * handshake time (a program that keeps writing cannot hold us here,
	 * nor can a client that reads slowly). */
	for (;;) {
		if (now_ms() >= deadline) {
			log_info("tls_fail", "error=flush_timeout");
			finish(r, 0, "flush_timeout");
		}
		if (flush_net_plain(r, deadline) < 0)
			finish(r, 0, "client_write");
		ssize_t k = r->app >= 0 ? read(r->app, r->to_net, sizeof(r->to_net)) : 0;
		if (k <= 0)
			break;
		r->to_net_len = (size_t)k;
	}
	/* Client bytes the program has not read are dropped with the old
	 * socket (RFC 3207 4.2).  Then the program's "ready" reply: from here
	 * on everything from the client goes to the handshake. */
	r->to_app_len = 0;
	memcpy(r->to_net, reply, replylen);
	r->to_net_len = replylen;
	if (flush_net_plain(r, deadline) < 0)
		finish(r, 0, "client_write");
	r->s = tls_handshake(r->conf, &f);
	if (r->s == NULL) {
		n = tlsctl_format_no(ans, sizeof(ans), "handshake failed");
		tlsctl_send(r->ctl, ans, n, -1);
		if (r->app >= 0)
			close(r->app);
		_exit(0);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, np) < 0) {
		n = tlsctl_format_no(ans, sizeof(ans), "socketpair failed");
		tlsctl_send(r->ctl, ans, n, -1);
		finish(r, 111, "socketpair");
	}
	n = tlsctl_format_ok(ans, sizeof(ans), &f);
	if (n == 0 || tlsctl_send(r->ctl, ans, n, np[1]) < 0)
		finish(r, 111, "control_send");
	close(np[1]);
	if (r->app >= 0)
		close(r->app);
	r->app = np[0];
	close(r->ctl);
	r->ctl = -1;
	r->app_eof = 0;
}

static void on_ctl(struct relay *r)
{
	char req[TLSCTL_MAX];
	int fd;
	ssize_t n = tlsctl_recv(r->ctl, req, sizeof(req), &fd, 0);

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		close(r->ctl);
		r->ctl = -1;
		return;
	}
	const char *reply;
	size_t replylen;
	if (tlsctl_parse_request(req, (size_t)n, &reply, &replylen) == 0 &&
	    replylen <= sizeof(r->to_net))
		starttls(r, reply, replylen);
	else {
		size_t k = tlsctl_format_no(req, sizeof(req), "unknown request");
		tlsctl_send(r->ctl, req, k, -1);
	}
}

/* Client -> to_app.  Returns 0, or -1 at EOF/error. */
static int net_read(struct relay *r)
{
	ssize_t n;
	if (r->s) {
		n = gnutls_record_recv(r->s, r->to_app, sizeof(r->to_app));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return 0;
		if (n == GNUTLS_E_REHANDSHAKE)
			return 0;   /* ignored: no renegotiation */
		if (n < 0 && !gnutls_error_is_fatal((int)n))
			return 0;
	} else {
		n = read(0, r->to_app, sizeof(r->to_app));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
	}
	if (n <= 0)
		return -1;
	r->to_app_len = (size_t)n;
	return 0;
}

static int net_write(struct relay *r)
{
	ssize_t n;
	if (r->s) {
		n = gnutls_record_send(r->s, r->to_net, r->to_net_len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return 0;
	} else {
		n = write(1, r->to_net, r->to_net_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
	}
	if (n <= 0)
		return -1;
	memmove(r->to_net, r->to_net + n, r->to_net_len - (size_t)n);
	r->to_net_len -= (size_t)n;
	return 0;
}

static int app_write(struct relay *r)
{
	ssize_t n = write(r->app, r->to_app, r->to_app_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	memmove(r->to_app, r->to_app + n, r->to_app_len - (size_t)n);
	r->to_app_len -= (size_t)n;
	return 0;
}

void tls_relay(struct tls_conf *conf, int app, int ctl, gnutls_session_t s)
{
	static struct relay r;
	long long last = now_ms();

	r.conf = conf;
	r.app = app;
	r.ctl = ctl;
	r.s = s;
	/* Request mode: the request is what we were started for. */
	if (r.app < 0) {
		if (r.ctl >= 0)
			on_ctl(&r);
		if (r.app < 0)
			finish(&r, 0, "no_request");
	}
	for (;;) {
		struct pollfd p[4];
		int n = 0, inet = -1, onet = -1, iapp = -1, ictl = -1, pr;
		int pending = r.s && r.to_app_len == 0 && !r.net_eof &&
			      gnutls_record_check_pending(r.s) > 0;

		if (r.net_eof && r.to_app_len == 0)
			finish(&r, 0, "client_eof");
		if (r.app_eof && r.to_net_len == 0)
			finish(&r, 0, "program_eof");
		if (!pending) {
			short ev_in = 0;
			if (r.to_app_len == 0 && !r.net_eof)
				ev_in = POLLIN;
			/* A TLS send that returned EAGAIN waits for fd 1. */
			if (r.to_net_len)
				p[onet = n++] = (struct pollfd){ .fd = 1, .events = POLLOUT };
			if (ev_in)
				p[inet = n++] = (struct pollfd){ .fd = 0, .events = POLLIN };
			short ev_app = 0;
			if (r.to_app_len)
				ev_app |= POLLOUT;
			if (r.to_net_len == 0 && !r.app_eof)
				ev_app |= POLLIN;
			if (ev_app)
				p[iapp = n++] = (struct pollfd){ .fd = r.app, .events = ev_app };
			if (r.ctl >= 0)
				p[ictl = n++] = (struct pollfd){ .fd = r.ctl, .events = POLLIN };
			long long left = last + conf->idle_ms - now_ms();
			if (left <= 0) {
				log_info("tls_idle", "timeout_ms=%d", conf->idle_ms);
				finish(&r, 0, "idle");
			}
			pr = poll(p, (nfds_t)n, (int)left);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0)
				finish(&r, 111, "poll");
			if (pr == 0)
				continue;
			last = now_ms();
		}
		if (ictl >= 0 && p[ictl].revents) {
			on_ctl(&r);
			continue;   /* descriptors may have changed */
		}
		if (pending || (inet >= 0 && p[inet].revents)) {
			if (net_read(&r) < 0)
				r.net_eof = 1;
		}
		if (onet >= 0 && p[onet].revents) {
			if (net_write(&r) < 0)
				finish(&r, 0, "client_write");
		}
		if (iapp >= 0 && p[iapp].revents) {
			if (r.to_app_len && (p[iapp].revents & (POLLOUT | POLLERR | POLLHUP))) {
				if (app_write(&r) < 0)
					finish(&r, 0, "program_write");
			}
			if (r.to_net_len == 0 && !r.app_eof && (p[iapp].revents & (POLLIN | POLLHUP | POLLERR))) {
				ssize_t k = read(r.app, r.to_net, sizeof(r.to_net));
				if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
					r.app_eof = 1;
				else if (k > 0) {
					r.to_net_len = (size_t)k;
					if (net_write(&r) < 0)
						finish(&r, 0, "client_write");
				}
			}
		}
	}
}
