/* remote_main.c: postern-remote, one remote delivery (run by
 * postern-rspawn as the remote user).
 *
 *   postern-remote [-c CONF]
 *   fd 0: the message (LF line ends), read with pread
 *   fd 3: one spawnproto request record (length prefix included)
 *   fd 1: one spawnproto reply record, one result per recipient
 *
 * Route: the routes table, else the MX records of the recipients' domain
 * (the request holds the recipients of one domain).  Hosts are tried in
 * MX order, at most remote_max_hosts addresses per attempt, on
 * connection failures and 4xx replies (greeting, MAIL, RCPT, DATA): the
 * next host gets the recipients still deferred (RFC 5321 5.1); 2xx and
 * 5xx answers are final.  A hop without 8BITMIME gets a 7-bit version
 * (common/mime7bit.h) or a 5.6.3 failure; a success at a hop without DSN
 * is marked relayed (RFC 3461 6.2).  Exit 0 once a reply is written, 111
 * otherwise (rspawn then answers class 4). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "buf.h"
#include "config.h"
#include "dnsmx.h"
#include "io.h"
#include "log.h"
#include "remote.h"
#include "routes.h"
#include "spawnproto.h"

#define MAX_HOSTS 32

static struct spawn_request *
read_request(int fd)
{
	struct buf b = BUF_INIT;
	struct spawn_request *req = NULL;
	char tmp[8192], err[128];
	size_t want;
	ssize_t n;

	while (b.len < SPAWN_MAX_RECORD + 4 &&
	    (n = read(fd, tmp, sizeof tmp)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		buf_append(&b, tmp, (size_t)n);
	}
	if (b.len < 4)
		goto out;
	want = (size_t)((unsigned char)b.p[0]) << 24 |
	    (size_t)((unsigned char)b.p[1]) << 16 |
	    (size_t)((unsigned char)b.p[2]) << 8 | (unsigned char)b.p[3];
	if (want == 0 || want > SPAWN_MAX_RECORD || b.len != want + 4)
		goto out;
	if (spawn_request_parse(b.p + 4, want, &req, err, sizeof err) < 0) {
		log_error("bad-request", "reason=%s", err);
		req = NULL;
	}
out:
	buf_free(&b);
	return req;
}

static int
write_reply(const struct spawn_reply *rep)
{
	struct buf b = BUF_INIT;
	int rc;

	if (spawn_reply_encode(rep, &b) < 0) {
		buf_free(&b);
		return -1;
	}
	rc = io_write_all(1, b.p, b.len, 30000);
	buf_free(&b);
	return rc == 0 ? 0 : -1;
}

static void
settle(struct remote_result *res, size_t n, unsigned cls, const char *status,
    const char *diag)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (res[i].cls == 0 && res[i].deferred && cls == 4)
			res[i].cls = 4;   /* the last host's 4xx reply stands */
		else if (res[i].cls == 0) {
			res[i].cls = cls;
			snprintf(res[i].status, sizeof res[i].status, "%s", status);
			snprintf(res[i].diag, sizeof res[i].diag, "%s", diag);
		}
}

static int
all_settled(const struct remote_result *res, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (res[i].cls == 0)
			return 0;
	return 1;
}

static void
addr_text(const struct dnsmx_addr *a, char *out, size_t len)
{
	if (a->ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr,
		    out, (socklen_t)len);
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		    out, (socklen_t)len);
}

static int
ms(const struct config *c, const char *key)
{
	long long v = config_int(c, key);

	if (v > 86400)
		v = 86400;
	return (int)(v * 1000 > 0 ? v * 1000 : 1000);
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct spawn_request *req;
	struct spawn_reply *rep;
	struct routes *routes = NULL;
	struct secrets *secrets = NULL;
	const struct route *route = NULL;
	struct remote_settings set;
	struct remote_result *res;
	struct remote_message msg;
	struct dnsmx_resolver *dns;
	struct dnsmx_host *hosts;
	struct dnsmx_addr addrs[8];
	char err[512], why[512] = "no host answered";
	const char *domain, *at, *lookup;
	size_t nhosts = 0, i, h, maxhosts;
	unsigned port;
	int opt, tempfail = 0, permfail_lookup = 1, tried = 0;
	size_t attempts = 0;
	enum dnsmx_status st;
	char domainbuf[300];

	log_init("postern-remote", 0);
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt == 'c')
			setenv("POSTERN_CONF", optarg, 1);
		else {
			fprintf(stderr, "usage: postern-remote [-c CONF]\n");
			return 100;
		}
	}
	cfg = config_load_or_die();
	req = read_request(3);
	if (!req) {
		log_error("bad-request", "reason=%s", "no valid request on fd 3");
		return 111;
	}
	res = xcalloc(req->nrcpts, sizeof *res);
	remote_message_init(&msg, 0, req->size);
	at = strrchr(req->rcpts[0].addr, '@');
	domain = at ? at + 1 : "";
	snprintf(domainbuf, sizeof domainbuf, "%s", domain);
	if (domainbuf[0] == '[') {   /* address literal: [1.2.3.4] or [IPv6:...] */
		char *close = strchr(domainbuf, ']');
		if (close)
			*close = '\0';
		memmove(domainbuf, domainbuf + 1, strlen(domainbuf));
		if (strncasecmp(domainbuf, "IPv6:", 5) == 0)
			memmove(domainbuf, domainbuf + 5, strlen(domainbuf + 5) + 1);
	}

	memset(&set, 0, sizeof set);
	set.helo = config_hostname(cfg);
	set.priority = config_str(cfg, "tls_priority");
	set.cafile = config_str(cfg, "remote_tls_ca_file");
	set.t_greeting = ms(cfg, "remote_greeting_timeout");
	set.t_command = ms(cfg, "remote_command_timeout");
	set.t_data = ms(cfg, "remote_data_timeout");
	set.t_block = ms(cfg, "remote_block_timeout");
	set.t_done = ms(cfg, "remote_done_timeout");
	port = (unsigned)config_int(cfg, "remote_port");
	maxhosts = (size_t)config_int(cfg, "remote_max_hosts");
	if (maxhosts == 0 || maxhosts > MAX_HOSTS)
		maxhosts = MAX_HOSTS;

	if (config_str(cfg, "routes_file")) {
		routes = routes_load(config_str(cfg, "routes_file"), err, sizeof err);
		if (!routes) {
			log_error("routes", "error=%s", err);
			settle(res, req->nrcpts, 4, "4.3.5", "routes table unreadable");
			goto reply;
		}
		route = routes_lookup(routes, domain, strlen(domain));
	}
	if (route) {
		set.tls = route->tls;
		if (route->ca_file)
			set.cafile = route->ca_file;
		if (route->port)
			port = route->port;
		if (route->auth) {
			const struct secret *sec;
			const char *path = config_str(cfg, "secrets_file");
			secrets = path ? secrets_load(path, err, sizeof err) : NULL;
			if (!secrets) {
				log_error("secrets", "error=%s", path ? err : "secrets_file unset");
				settle(res, req->nrcpts, 4, "4.3.5", "smarthost secrets unreadable");
				goto reply;
			}
			sec = secrets_lookup(secrets, route->auth);
			if (!sec) {
				log_error("secrets", "error=no secret %s", route->auth);
				settle(res, req->nrcpts, 4, "4.3.5", "smarthost secret missing");
				goto reply;
			}
			set.auth_user = sec->user;
			set.auth_pass = sec->password;
		}
	}

	dns = dnsmx_resolver_new(config_str(cfg, "resolver_address"),
	    (unsigned)config_int(cfg, "resolver_port"),
	    (int)config_int(cfg, "resolver_timeout"), err, sizeof err);
	if (!dns) {
		log_error("resolver", "error=%s", err);
		settle(res, req->nrcpts, 4, "4.4.3", "resolver unusable");
		goto reply;
	}
	hosts = xcalloc(maxhosts, sizeof *hosts);
	if (route && route->no_mx) {
		snprintf(hosts[0].name, sizeof hosts[0].name, "%s", route->host);
		nhosts = 1;
		st = DNSMX_OK;
	} else {
		struct in6_addr a6;
		struct in_addr a4;
		lookup = route ? route->host : domainbuf;
		if (inet_pton(AF_INET, lookup, &a4) == 1 ||
		    inet_pton(AF_INET6, lookup, &a6) == 1) {
			snprintf(hosts[0].name, sizeof hosts[0].name, "%s", lookup);
			nhosts = 1;
			st = DNSMX_OK;
		} else
			st = dnsmx_mx(dns, lookup, hosts, maxhosts, &nhosts);
	}
	switch (st) {
	case DNSMX_OK:
		break;
	case DNSMX_NULLMX:
		snprintf(why, sizeof why, "%s accepts no mail (null MX)", domain);
		settle(res, req->nrcpts, 5, "5.1.10", why);
		break;
	case DNSMX_NXDOMAIN:
	case DNSMX_NODATA:
		snprintf(why, sizeof why, "domain %s not found", domain);
		settle(res, req->nrcpts, 5, "5.1.2", why);
		break;
	default:
		snprintf(why, sizeof why, "DNS lookup for %s failed temporarily", domain);
		settle(res, req->nrcpts, 4, "4.4.3", why);
		break;
	}

	for (h = 0; h < nhosts && attempts < maxhosts &&
	    !all_settled(res, req->nrcpts); h++) {
		size_t naddrs = 0, a;
		st = dnsmx_addrs(dns, hosts[h].name, port, addrs, 8, &naddrs);
		if (st != DNSMX_OK) {
			if (st == DNSMX_TEMP) {
				tempfail = 1;
				permfail_lookup = 0;
			}
			snprintf(why, sizeof why, "no address for %s%s", hosts[h].name,
			    st == DNSMX_TEMP ? " (DNS failure)" : "");
			continue;
		}
		permfail_lookup = 0;
		/* remote_max_hosts bounds the addresses tried in one attempt
		 * (Postfix's smtp_mx_address_limit) */
		for (a = 0; a < naddrs && attempts < maxhosts &&
		    !all_settled(res, req->nrcpts); a++) {
			char ip[INET6_ADDRSTRLEN], cerr[256];
			struct remote_settings s2 = set;
			int attempt, done = 0;

			addr_text(&addrs[a], ip, sizeof ip);
			attempts++;
			for (attempt = 0; attempt < 2 && !done; attempt++) {
				struct conn *c;
				int tls_failed = 0;

				tried = 1;
				c = conn_connect((struct sockaddr *)&addrs[a].ss,
				    addrs[a].len, ms(cfg, "remote_connect_timeout"),
				    cerr, sizeof cerr);
				if (!c) {
					snprintf(why, sizeof why, "%s[%s]: %s",
					    hosts[h].name, ip, cerr);
					log_info("connect-failed", "host=%s ip=%s error=%s",
					    hosts[h].name, ip, cerr);
					break;
				}
				done = remote_session(c, hosts[h].name, &s2, req, &msg,
				    res, why, sizeof why, &tls_failed);
				conn_free(c);
				for (i = 0; i < req->nrcpts; i++)
					if (res[i].cls && !res[i].mta[0])
						snprintf(res[i].mta, sizeof res[i].mta, "%s",
						    hosts[h].name);
				log_info("session", "host=%s ip=%s done=%d why=%s",
				    hosts[h].name, ip, done, why);
				/* opportunistic TLS: a failed handshake is retried
				 * once in plain text */
				if (!done && tls_failed && s2.tls == ROUTE_TLS_MAY)
					s2.tls = ROUTE_TLS_NONE;
				else
					break;
			}
		}
	}
	if (!all_settled(res, req->nrcpts)) {
		if (!tried && permfail_lookup && !tempfail)
			settle(res, req->nrcpts, 5, "5.4.4", why);
		else
			settle(res, req->nrcpts, 4, tried ? "4.4.1" : "4.4.3", why);
	}
	dnsmx_resolver_free(dns);
	free(hosts);

reply:
	rep = spawn_reply_new(req->id);
	for (i = 0; i < req->nrcpts; i++) {
		struct spawn_result *x;
		log_info("result", "rcpt=%s class=%u code=%u status=%s relayed=%d diag=%s",
		    req->rcpts[i].addr, res[i].cls, res[i].code, res[i].status,
		    res[i].cls == 2 && res[i].relayed, res[i].diag);
		x = spawn_reply_add(rep, res[i].cls, res[i].code,
		    res[i].status[0] ? res[i].status : NULL,
		    res[i].diag[0] ? res[i].diag : NULL,
		    res[i].mta[0] ? res[i].mta : NULL);
		/* RFC 3461 6.2: the next hop did not announce DSN */
		if (x && res[i].cls == 2 && res[i].relayed)
			spawn_result_set_flags(x, SPAWN_RESULT_RELAYED);
	}
	opt = write_reply(rep);
	spawn_reply_free(rep);
	spawn_request_free(req);
	remote_message_free(&msg);
	free(res);
	routes_free(routes);
	secrets_free(secrets);
	config_free(cfg);
	return opt == 0 ? 0 : 111;
}
