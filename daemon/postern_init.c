/* postern_init.c: `postern init DIR`: a complete instance in DIR as
 * HACKING.md "An instance" lays it out: postern.conf written from the key
 * table, the table files, an empty passwd-file and user list, the queue
 * tree, run/, empty/, mail/, and a self-signed certificate.  As root it
 * first creates the service users (idempotently) and gives the queue to
 * the queue user and the secrets file to the remote user; as an ordinary
 * user everything belongs to that user.  It never overwrites an instance. */
#include <bsd/string.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "instance.h"
#include "postern.h"
#include "queuedir.h"
#include "svcusers.h"

struct owner {
	uid_t uid;
	gid_t gid;
};

static int
write_text(const char *path, const char *text, int mode, const struct owner *o)
{
	if (write_file_atomic(path, text, strlen(text), mode) < 0) {
		warn("%s", path);
		return -1;
	}
	if (o != NULL && chown(path, o->uid, o->gid) < 0) {
		warn("chown %s", path);
		return -1;
	}
	return 0;
}

/* mkdir with an exact mode and owner (o NULL: leave the owner). */
static int
make_dir(const char *path, int mode, const struct owner *o)
{
	if (mkdir(path, (mode_t)mode) < 0 && errno != EEXIST) {
		warn("mkdir %s", path);
		return -1;
	}
	if (chmod(path, (mode_t)mode) < 0) {
		warn("chmod %s", path);
		return -1;
	}
	if (o != NULL && chown(path, o->uid, o->gid) < 0) {
		warn("chown %s", path);
		return -1;
	}
	return 0;
}

/* mkdir -p for the parents of an instance directory. */
static int
make_parents(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int ret = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			warn("mkdir %s", p);
			ret = -1;
			break;
		}
		*s = '/';
	}
	free(p);
	return ret;
}

/* DIR/libexec/postern-queue: a per-instance copy of postern-queue, which
 * finds its instance from its own location (DESIGN.md rule 3).  As root it
 * belongs to the queue user, mode 4711 (setuid); otherwise a plain copy.
 * Source: POSTERN_LIBEXEC, else ../libexec/postern beside this binary,
 * else this binary's directory.  A missing source is only a warning. */
static int
install_queue_program(const char *dir, const struct owner *o)
{
	char exe[4096], src[4200], dst[4200], tmp[4300];
	const char *env = getenv("POSTERN_LIBEXEC");
	struct buf b = BUF_INIT;
	ssize_t n;
	char *slash;
	int fd, ret = -1;

	src[0] = '\0';
	if (env != NULL && env[0] == '/')
		snprintf(src, sizeof(src), "%s/postern-queue", env);
	else if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		snprintf(src, sizeof(src), "%s/../libexec/postern/postern-queue", exe);
		if (access(src, X_OK) != 0)
			snprintf(src, sizeof(src), "%s/postern-queue", exe);
	}
	if (src[0] == '\0' || (fd = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		warnx("postern-queue not found (%s): DIR/libexec/postern-queue not installed", src);
		return 0;
	}
	for (;;) {
		char chunk[65536];
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(&b, chunk, (size_t)n);
	}
	close(fd);
	snprintf(dst, sizeof(dst), "%s/libexec", dir);
	if (make_dir(dst, 0755, o != NULL ? &(struct owner){ 0, 0 } : NULL) < 0)
		goto out;
	snprintf(dst, sizeof(dst), "%s/libexec/postern-queue", dir);
	snprintf(tmp, sizeof(tmp), "%s.new", dst);
	if (n < 0 || write_file_atomic(tmp, b.p, b.len, 0755) < 0) {
		warn("%s", tmp);
		goto out;
	}
	/* chown clears the set-user-id bit: mode after owner. */
	if ((o != NULL && chown(tmp, o->uid, o->gid) < 0) ||
	    chmod(tmp, o != NULL ? 04711 : 0755) < 0 || rename(tmp, dst) < 0) {
		warn("%s", dst);
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

static int
valid_hostname(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

static void
init_usage(void)
{
	fprintf(stderr, "usage: postern init DIR [--domain D] [--hostname H] "
	    "[--port-base N] [--user-prefix P]\n");
}

int
postern_init(int argc, char **argv)
{
	struct instance_opts o = { NULL, NULL, -1, NULL };
	struct instance in;
	struct owner root = { 0, 0 }, queue = { 0, 0 }, remote = { 0, 0 };
	const struct owner *own_root = NULL, *own_queue = NULL, *own_remote = NULL;
	const char *dir = NULL, *prefix, *domain;
	char hostbuf[256], emsg[512], path[4096];
	struct buf conf = BUF_INIT;
	struct stat st;
	FILE *f;
	size_t i;
	int is_root = geteuid() == 0, ret = 111;

	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
		if (a[0] != '-') {
			if (dir != NULL) {
				init_usage();
				return 100;
			}
			dir = a;
			continue;
		}
		if (v == NULL) {
			warnx("%s needs a value", a);
			return 100;
		}
		i++;
		if (strcmp(a, "--domain") == 0)
			o.domain = v;
		else if (strcmp(a, "--hostname") == 0)
			o.hostname = v;
		else if (strcmp(a, "--user-prefix") == 0)
			o.user_prefix = v;
		else if (strcmp(a, "--port-base") == 0) {
			char *end;
			errno = 0;
			o.port_base = strtol(v, &end, 10);
			if (errno != 0 || *end != '\0' || end == v ||
			    o.port_base < 0 || o.port_base > 65535 - 995) {
				warnx("--port-base: a number from 0 to %d", 65535 - 995);
				return 100;
			}
		} else {
			warnx("unknown option %s", a);
			init_usage();
			return 100;
		}
	}
	if (dir == NULL || dir[0] == '\0') {
		init_usage();
		return 100;
	}
	domain = o.domain != NULL ? o.domain : "example.test";
	if (!valid_hostname(domain)) {
		warnx("--domain: not a domain name: %s", domain);
		return 100;
	}
	if (o.hostname != NULL && !valid_hostname(o.hostname)) {
		warnx("--hostname: not a host name: %s", o.hostname);
		return 100;
	}
	prefix = o.user_prefix != NULL ? o.user_prefix : "postern-";
	if (!svcusers_prefix_valid(prefix)) {
		warnx("--user-prefix: \"%s\" is not a valid user name prefix", prefix);
		return 100;
	}
	if (o.hostname == NULL) {
		if (gethostname(hostbuf, sizeof(hostbuf)) < 0 || hostbuf[0] == '\0')
			strlcpy(hostbuf, "localhost", sizeof(hostbuf));
		hostbuf[sizeof(hostbuf) - 1] = '\0';
	}
	if (instance_init(&in, dir) < 0)
		err(111, "getcwd");
	if (lstat(in.conf, &st) == 0 || lstat(in.etc, &st) == 0) {
		warnx("%s already holds an instance; not overwriting it", in.dir);
		ret = 100;
		goto out;
	}
	umask(022);

	if (is_root) {
		if (svcusers_create(prefix, emsg, sizeof(emsg)) < 0) {
			warnx("service users: %s", emsg);
			goto out;
		}
		if (svcusers_lookup(prefix, SVCUSER_QUEUE, &queue.uid, &queue.gid) < 0 ||
		    svcusers_lookup(prefix, SVCUSER_REMOTE, &remote.uid, &remote.gid) < 0) {
			warnx("service users of prefix %s not found after creating them", prefix);
			goto out;
		}
		own_root = &root;
		own_queue = &queue;
		own_remote = &remote;
	}

	if (make_parents(in.dir) < 0 || make_dir(in.dir, 0755, own_root) < 0 ||
	    make_dir(in.etc, 0755, own_root) < 0 ||
	    make_dir(in.tls_dir, 0755, own_root) < 0 ||
	    make_dir(in.run, 0755, own_root) < 0 ||
	    make_dir(in.empty, 0755, own_root) < 0 ||
	    make_dir(in.mail, 0755, own_root) < 0 ||
	    make_dir(in.queue, 0750, own_queue) < 0)
		goto out;
	for (i = 0; i < queuedir_nsubdirs; i++) {
		snprintf(path, sizeof(path), "%s/%s", in.queue, queuedir_subdirs[i]);
		if (make_dir(path, 0700, own_queue) < 0)
			goto out;
	}
	snprintf(path, sizeof(path), "%s/wake", in.queue);
	if (mkfifo(path, 0600) < 0 && errno != EEXIST) {
		warn("mkfifo %s", path);
		goto out;
	}
	if (own_queue != NULL && chown(path, queue.uid, queue.gid) < 0) {
		warn("chown %s", path);
		goto out;
	}

	if (install_queue_program(in.dir, own_queue) < 0)
		goto out;

	/* Tables. */
	buf_printf(&conf, "# Local domains, one per line.\n%s\n", domain);
	if (write_text(in.domains, buf_cstr(&conf), 0644, own_root) < 0)
		goto out;
	buf_free(&conf);
	if (write_text(in.relaynets,
	    "# Client networks allowed to relay without authentication:\n"
	    "# an address or CIDR per line, e.g. 192.0.2.0/24.\n", 0644, own_root) < 0 ||
	    write_text(in.routes,
	    "# Static routes: \"domain [host]:port\" per line, e.g.\n"
	    "# example.net [127.0.0.1]:2526\n", 0644, own_root) < 0 ||
	    write_text(in.aliases,
	    "# Aliases: \"name: target, target\" per line, e.g.\n"
	    "# postmaster: admin@example.test\n", 0644, own_root) < 0 ||
	    write_text(in.passwd, "", 0600, own_root) < 0 ||
	    write_text(in.users, "", 0644, own_root) < 0 ||
	    write_text(in.secrets, "", 0600, own_remote) < 0)
		goto out;

	/* postern.conf is written last, after the certificate: an instance
	 * with a config is complete.  (A failed init leaves etc/ behind, and
	 * init refuses that too: remove it and start again.) */
	f = open_memstream(&conf.p, &conf.len);
	if (f == NULL)
		err(111, "open_memstream");
	instance_write_config(f, &in, &o);
	if (fclose(f) != 0)
		err(111, "config");
	conf.cap = conf.len + 1;

	if (cert_create(o.hostname != NULL ? o.hostname : hostbuf, in.cert,
	    in.key, emsg, sizeof(emsg)) < 0) {
		warnx("certificate: %s", emsg);
		goto out;
	}
	if (own_root != NULL && (chown(in.cert, 0, 0) < 0 || chown(in.key, 0, 0) < 0)) {
		warn("chown %s", in.key);
		goto out;
	}
	if (write_text(in.conf, buf_cstr(&conf), 0644, own_root) < 0)
		goto out;
	buf_free(&conf);

	{
		/* Sanity: what we wrote must load. */
		struct config *c = config_load(in.conf, emsg, sizeof(emsg));
		if (c == NULL) {
			warnx("generated config does not load: %s", emsg);
			goto out;
		}
		config_free(c);
	}
	printf("instance created in %s\n", in.dir);
	printf("config: %s\n", in.conf);
	printf("add a user: postern user add %s NAME@%s (password on stdin)\n",
	    in.dir, domain);
	printf("run it:     postern run %s\n", in.dir);
	ret = 0;
out:
	buf_free(&conf);
	instance_free(&in);
	return ret;
}
