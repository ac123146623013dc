/* tls_main.c: postern-tls, the TLS terminator (DESIGN.md rule 2).  Starts
 * as root, loads certificate and key, forks the rest of the chain with a
 * socketpair in place of the connection, then chroots to an empty
 * directory, drops to its user and relays (tls_relay.c).  Implicit mode
 * (-i): handshake first, then the child execs with the TLS facts in its
 * environment.  On-request mode: the child gets a control descriptor
 * (POSTERN_TLS_CTL, see common/tlsctl.h); the certificate and key are
 * read as root before the drop but parsed only when STARTTLS comes, and
 * the child is started without a copy of this process (procspawn.h).  GnuTLS is not initialised implicitly: in
 * on-request mode its global init also waits for STARTTLS unless a system
 * priority file exists (that file must be read before the chroot).
 * Request mode (-R, started by postern-listen -R when the protocol
 * program, already running on the connection, asks for STARTTLS): no
 * child to start; the request is waiting on the control descriptor
 * (POSTERN_TLS_CTL), and after the same drop the on-request path takes it
 * up at the point where it arrives (tls_relay with no plaintext socket). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "authreport.h"
#include "fatal.h"
#include "log.h"
#include "privdrop.h"
#include "procspawn.h"
#include "tls.h"
#include "tlsctl.h"

/* No global init in GnuTLS's constructor: main (or tls_conf_load) calls
 * gnutls_global_init when TLS is about to be used. */
GNUTLS_SKIP_GLOBAL_INIT

#define DEFAULT_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PEM_MAX (1024 * 1024)   /* bound on a certificate chain or key file */

static void usage(void)
{
	fatal_errx(100, "usage: postern-tls [-i] -C CERT -K KEY [-u USER] [-r EMPTYDIR] "
		"[-p PRIORITY] [-T HANDSHAKE-TIMEOUT] [-I IDLE-TIMEOUT] PROG [ARG...]\n"
		"       postern-tls -R -C CERT -K KEY [OPTIONS]   (from postern-listen -R)");
}

static int secs_arg(const char *s, int c)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 86400)
		fatal_errx(100, "bad value for -%c: %s", c, s);
	return (int)v * 1000;
}

/* Read a whole PEM file (bounded) into d; exits 111 on failure. */
static void read_pem(const char *path, gnutls_datum_t *d)
{
	struct stat st;
	size_t got = 0;
	int fd;

	errno = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PEM_MAX) {
		log_error("tls_setup", "file=%s error=\"%s\"", path,
			  fd < 0 || errno ? strerror(errno) : "not a regular file or too big");
		fatal_errx(111, "cannot read %s", path);
	}
	d->data = gnutls_malloc((size_t)st.st_size + 1);
	if (d->data == NULL)
		fatal_errx(111, "out of memory");
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, d->data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal_err(111, "read %s", path);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	d->data[got] = '\0';
	d->size = (unsigned int)got;
}

int tls_conf_load(struct tls_conf *conf)
{
	const char *errpos = NULL;
	int r;

	if (conf->loaded)
		return 0;
	if (!conf->inited) {
		if (gnutls_global_init() < 0) {
			log_error("tls_setup", "error=\"gnutls_global_init failed\"");
			return -1;
		}
		conf->inited = 1;
	}
	if (gnutls_certificate_allocate_credentials(&conf->cred) < 0) {
		log_error("tls_setup", "error=\"out of memory\"");
		return -1;
	}
	r = gnutls_certificate_set_x509_key_mem(conf->cred, &conf->cert_pem, &conf->key_pem,
						GNUTLS_X509_FMT_PEM);
	/* The key's only copy now is the parsed one in cred. */
	explicit_bzero(conf->key_pem.data, conf->key_pem.size);
	gnutls_free(conf->key_pem.data);
	conf->key_pem.data = NULL;
	conf->key_pem.size = 0;
	if (r < 0) {
		log_error("tls_setup", "error=\"%s\"", gnutls_strerror(r));
		return -1;
	}
	r = gnutls_priority_init(&conf->prio, conf->prio_str, &errpos);
	if (r < 0) {
		log_error("tls_setup", "priority_error_at=\"%s\" error=\"%s\"",
			  errpos ? errpos : "", gnutls_strerror(r));
		return -1;
	}
	conf->loaded = 1;
	return 0;
}

/* priv_drop, but with the user's own group as the only group: the
 * service user has no others, and getgrouplist would load every NSS group
 * module (systemd's userdb probing) once per connection. */
static void drop(const char *user, const char *dir, int flags)
{
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (!priv_is_root()) {
		priv_drop(user, dir, flags);
		return;
	}
	if (priv_lookup(user, &uid, &gid) < 0)
		fatal_errx(111, "privilege drop: no user %s", user);
	endpwent();
	/* As priv_drop: the root must be root's and not writable by others. */
	if (chdir(dir) != 0 || stat(".", &st) != 0)
		fatal_err(111, "chdir %s", dir);
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		fatal_errx(111, "chroot %s: not owned by root or writable by others", dir);
	if (chroot(".") != 0 || chdir("/") != 0)
		fatal_err(111, "chroot %s", dir);
	priv_drop_ids_flags(uid, gid, flags);
}

/* Implicit mode: the rest of the chain, plaintext socket on fds 0 and 1,
 * exec'd only after a successful handshake (a forked child: it waits). */
static void child(char **argv, int app, int facts_fd)
{
	char ans[TLSCTL_MAX], reason[64];
	struct tls_facts f;
	size_t got = 0;

	if (dup2(app, 0) < 0 || dup2(app, 1) < 0)
		_exit(111);
	close(app);
	unsetenv(TLSCTL_ENV);
	for (;;) {
		ssize_t n = read(facts_fd, ans + got, sizeof(ans) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(ans))
			break;
	}
	close(facts_fd);
	if (got == 0 || tlsctl_parse_answer(ans, got, &f, reason, sizeof(reason)) != 1)
		_exit(0);
	if (tlsenv_write(&f) < 0)
		_exit(111);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	log_error("exec", "prog=%s error=%s", argv[0], strerror(errno));
	_exit(111);
}

/* On-request mode: the rest of the chain, started without a copy of this
 * process (procspawn.h), app on its fds 0 and 1 and ctl kept open (its
 * number in POSTERN_TLS_CTL, no TLS facts yet).  The environment is
 * prepared here first: this process reads none of these variables.
 * Returns 0, or -1 (logged). */
static int spawn_child(char **argv, int app, int ctl)
{
	struct procspawn ps = { 0 };
	char num[16];

	if (tlsenv_write(&(struct tls_facts){ 0 }) < 0)
		return -1;
	snprintf(num, sizeof(num), "%d", ctl);
	if (setenv(TLSCTL_ENV, num, 1) < 0)
		return -1;
	ps.path = argv[0];
	ps.argv = argv;
	ps.pgid = -1;
	ps.fd_from[0] = app;
	ps.fd_to[0] = 0;
	ps.fd_from[1] = app;
	ps.fd_to[1] = 1;
	ps.fd_from[2] = ctl;
	ps.fd_to[2] = ctl;
	ps.nfds = 3;
	if (procspawn(&ps) < 0) {
		log_error("exec", "prog=%s error=%s", argv[0], strerror(errno));
		return -1;
	}
	return 0;
}

/* The system-wide priority file GnuTLS reads in gnutls_global_init (the
 * default path of Debian's build, or the one its variable names).  When
 * it exists, init must happen before the chroot. */
static int system_priority_file(void)
{
	const char *p = getenv("GNUTLS_SYSTEM_PRIORITY_FILE");
	struct stat st;

	if (p == NULL || *p == '\0')
		p = "/etc/gnutls/config";
	return stat(p, &st) == 0 || errno != ENOENT;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *user = NULL, *root = NULL;
	const char *prio = DEFAULT_PRIORITY, *errpos = NULL;
	struct tls_conf conf = { .handshake_ms = 30000, .idle_ms = 1800000 };
	int implicit = 0, request = 0, c, sp[2] = { -1, -1 }, ctl[2] = { -1, -1 };
	int fp[2] = { -1, -1 }, r;
	pid_t pid;

	log_init("postern-tls", 0);
	while ((c = getopt(argc, argv, "+iRC:K:u:r:p:T:I:")) != -1) {
		switch (c) {
		case 'i': implicit = 1; break;
		case 'R': request = 1; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'u': user = optarg; break;
		case 'r': root = optarg; break;
		case 'p': prio = optarg; break;
		case 'T': conf.handshake_ms = secs_arg(optarg, c); break;
		case 'I': conf.idle_ms = secs_arg(optarg, c); break;
		default: usage();
		}
	}
	if (cert == NULL || key == NULL || (request ? implicit || optind < argc : optind >= argc))
		usage();
	if (request) {
		/* The control descriptor with the pending request: the only
		 * descriptor besides the connection that we keep. */
		ctl[0] = tlsctl_fd();
		if (ctl[0] < 0)
			fatal_errx(100, "-R: no control descriptor in %s", TLSCTL_ENV);
		unsetenv(TLSCTL_ENV);   /* tlsctl_fd made it close-on-exec */
	}
	if (priv_is_root() && (user == NULL || root == NULL))
		fatal_errx(100, "as root, -u USER and -r EMPTYDIR are required");

	/* As root, before the drop: only this process holds the key. */
	read_pem(cert, &conf.cert_pem);
	read_pem(key, &conf.key_pem);
	conf.prio_str = prio;
	if (implicit || system_priority_file()) {
		if (gnutls_global_init() < 0)
			fatal_errx(111, "gnutls_global_init failed");
		conf.inited = 1;
		/* A bad priority string is a usage error, found at once (the
		 * check parses the string only: no session is set up with it).
		 * With init deferred it shows at the first STARTTLS (logged,
		 * "TLS not available"), as an unparsable certificate does. */
		r = gnutls_priority_init(&conf.prio, prio, &errpos);
		if (r < 0)
			fatal_errx(100, "bad priority string at \"%s\": %s",
				   errpos ? errpos : "", gnutls_strerror(r));
		gnutls_priority_deinit(conf.prio);
	}
	if (implicit) {
		r = tls_conf_load(&conf);
		if (r < 0)
			fatal_errx(111, "cannot load %s / %s", cert, key);
	}

	if (!request && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		fatal_err(111, "socketpair");
	if (request) {
		/* The chain runs already (our former child, postern-listen -R). */
	} else if (implicit) {
		if (pipe2(fp, O_CLOEXEC) < 0)
			fatal_err(111, "pipe");
		pid = fork();
		if (pid < 0)
			fatal_err(111, "fork");
		if (pid == 0) {
			close(sp[0]);
			close(fp[1]);
			child(argv + optind, sp[1], fp[0]);
		}
		close(fp[0]);
	} else {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
			fatal_err(111, "socketpair");
		if (spawn_child(argv + optind, sp[1], ctl[1]) < 0)
			fatal_errx(111, "cannot start %s", argv[optind]);
		close(ctl[1]);
	}
	if (sp[1] >= 0)
		close(sp[1]);
	/* The report socket is for the monitor further down the chain. */
	if (authreport_fd() >= 0)
		close(authreport_fd());
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);   /* the child is not ours to wait for */

	/* Rule 1: drop before the first byte from the network. */
	drop(user, root, PRIV_NO_NEW_PRIVS | PRIV_NO_FORK | PRIV_FEW_FILES);

	if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK) < 0)
		fatal_err(111, "fcntl");
	if (sp[0] >= 0)
		fcntl(sp[0], F_SETFL, O_NONBLOCK);
	if (implicit) {
		struct tls_facts f;
		char ans[TLSCTL_MAX];
		size_t n;
		gnutls_session_t s = tls_handshake(&conf, &f);
		if (s == NULL)
			return 0;   /* fp closes: the child exits without exec */
		n = tlsctl_format_ok(ans, sizeof(ans), &f);
		if (n == 0 || write(fp[1], ans, n) != (ssize_t)n)
			return 111;
		close(fp[1]);
		tls_relay(&conf, sp[0], -1, s);
	}
	tls_relay(&conf, sp[0], ctl[0], NULL);
}
