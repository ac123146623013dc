/* postern_check.c: `postern check DIR`: validates an instance without
 * changing it: the config (through the key table), every table file it
 * names (each line checked for its table's syntax; errors "file:line:
 * reason"), the passwd-file and user list (through their own parsers),
 * owners and modes of the files that guard secrets and of the directories,
 * the certificate and key, and (as root) the service users.  One line per
 * problem on stderr; exit 0 when there is none, 1 otherwise.
 * `postern run` uses check_config_and_tables() before a SIGHUP reload. */
#include <arpa/inet.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "queuedir.h"
#include "config.h"
#include "instance.h"
#include "netaddr.h"
#include "passwd.h"
#include "recipient.h"
#include "postern.h"
#include "svcusers.h"
#include "table.h"
#include "userlist.h"

#define TABLE_MAX_BYTES (16u * 1024 * 1024)

static int problems;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
problem(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	problems++;
}

/* Load and check every table the config names: each line against its
 * table's syntax (postern_tables.c), then, when those are clean, the
 * domains, users and aliases through recipient resolution's own loader,
 * so that check refuses what the servers would refuse.  Reports each
 * problem through report (or stops at the first when report is NULL, with
 * it in emsg).  Returns the number of problems. */
static int
check_tables(const struct config *c, void (*report)(const char *),
    char *emsg, size_t errlen)
{
	char e[600];
	size_t i, j;
	int n = 0;

	for (i = 0; table_checks[i].key != NULL; i++) {
		const char *path = config_str(c, table_checks[i].key);
		struct table *t;

		if (path == NULL)
			continue;
		t = table_load(path, TABLE_MAX_BYTES, table_checks[i].missing_ok,
		    e, sizeof(e));
		if (t == NULL) {
			n++;
			if (report == NULL) {
				snprintf(emsg, errlen, "%s", e);
				return n;
			}
			report(e);
			continue;
		}
		for (j = 0; j < t->count; j++) {
			const char *why = table_checks[i].line(t->entries[j].text,
			    t->entries[j].len);
			if (why == NULL)
				continue;
			n++;
			snprintf(e, sizeof(e), "%s:%u: %s", path, t->entries[j].line, why);
			if (report == NULL) {
				snprintf(emsg, errlen, "%s", e);
				table_free(t);
				return n;
			}
			report(e);
		}
		table_free(t);
	}
	if (n == 0) {
		struct recipient_tables *rt = recipient_tables_load(c, e, sizeof(e));
		if (rt == NULL) {
			n++;
			if (report == NULL)
				snprintf(emsg, errlen, "%s", e);
			else
				report(e);
		} else
			recipient_tables_free(rt);
	}
	return n;
}

int
check_config_and_tables(const char *conf, struct config **out, char *emsg,
    size_t errlen)
{
	struct config *c = config_load(conf, emsg, errlen);

	if (c == NULL)
		return -1;
	if (check_tables(c, NULL, emsg, errlen) > 0) {
		config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

static void
report_line(const char *s)
{
	problem("%s", s);
}

/* --- owners and modes --- */

/* The owner expected for root-held files: root, or ourselves when run by
 * an ordinary user (then everything belongs to that user). */
static uid_t
admin_uid(void)
{
	return geteuid();
}

static void
check_secret_file(const char *what, const char *path, uid_t owner)
{
	struct stat st;

	if (path == NULL)
		return;
	if (lstat(path, &st) < 0) {
		problem("%s: %s missing: %s", path, what, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		problem("%s: %s is not a regular file", path, what);
	if ((st.st_mode & 077) != 0)
		problem("%s: %s has mode %04o, want 0600", path, what,
		    (unsigned)(st.st_mode & 07777));
	if (st.st_uid != owner)
		problem("%s: %s is owned by uid %u, want %u", path, what,
		    (unsigned)st.st_uid, (unsigned)owner);
}

static void
check_public_file(const char *what, const char *path)
{
	struct stat st;

	if (path == NULL)
		return;
	if (lstat(path, &st) < 0) {
		problem("%s: %s missing: %s", path, what, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		problem("%s: %s is not a regular file", path, what);
	if ((st.st_mode & 022) != 0)
		problem("%s: %s is writable by group or others (mode %04o)", path,
		    what, (unsigned)(st.st_mode & 07777));
	if (st.st_uid != admin_uid())
		problem("%s: %s is owned by uid %u, want %u", path, what,
		    (unsigned)st.st_uid, (unsigned)admin_uid());
}

static void
check_dir(const char *what, const char *path, uid_t owner, int mode, int exact)
{
	struct stat st;

	if (path == NULL)
		return;
	if (lstat(path, &st) < 0) {
		problem("%s: %s missing: %s", path, what, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem("%s: %s is not a directory", path, what);
		return;
	}
	if (st.st_uid != owner)
		problem("%s: %s is owned by uid %u, want %u", path, what,
		    (unsigned)st.st_uid, (unsigned)owner);
	if (exact ? (int)(st.st_mode & 07777) != mode : (st.st_mode & 022) != 0)
		problem("%s: %s has mode %04o, want %04o", path, what,
		    (unsigned)(st.st_mode & 07777), (unsigned)mode);
}

static void
check_empty_dir(const char *path)
{
	DIR *d;
	struct dirent *de;

	check_dir("chroot directory", path, admin_uid(), 0755, 1);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			problem("%s: chroot directory is not empty (%s)", path, de->d_name);
			break;
		}
	closedir(d);
}

static void
check_certificate(const char *cert, const char *key)
{
	gnutls_certificate_credentials_t cred;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	int rc;

	if (cert == NULL || key == NULL) {
		problem("tls_cert and tls_key must be set");
		return;
	}
	if (gnutls_load_file(cert, &d) < 0) {
		problem("%s: certificate missing or unreadable", cert);
		return;
	}
	if (gnutls_x509_crt_init(&crt) == 0) {
		rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
		if (rc < 0)
			problem("%s: not a PEM certificate: %s", cert, gnutls_strerror(rc));
		else if (gnutls_x509_crt_get_expiration_time(crt) < time(NULL))
			problem("%s: certificate expired", cert);
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_free(d.data);
	/* The key must load and match the certificate. */
	if (gnutls_certificate_allocate_credentials(&cred) == 0) {
		rc = gnutls_certificate_set_x509_key_file(cred, cert, key,
		    GNUTLS_X509_FMT_PEM);
		if (rc < 0)
			problem("%s: key does not load or match %s: %s", key, cert,
			    gnutls_strerror(rc));
		gnutls_certificate_free_credentials(cred);
	}
}

/* Every user's home exists, belongs to its uid (as root) and is not
 * writable by others; the user list says what the passwd-file says. */
static void
check_users(const struct config *c, const struct passwd_file *pf,
    const struct userlist *ul)
{
	const char *users = config_str(c, "users_file");
	long long lo = config_int(c, "uid_min"), hi = config_int(c, "uid_max");
	size_t i;

	for (i = 0; i < passwd_count(pf); i++) {
		const struct passwd_entry *e = passwd_at(pf, i);
		const struct userlist_entry *u;
		struct stat st;

		if ((long long)e->uid < lo || (long long)e->uid > hi)
			problem("%s:%u: %s: uid %u outside [uid_min, uid_max]: delivery refuses it",
			    config_str(c, "passwd_file"), e->line, e->name, (unsigned)e->uid);
		if (lstat(e->home, &st) < 0)
			problem("%s: home of %s missing: %s", e->home, e->name, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			problem("%s: home of %s is not a directory", e->home, e->name);
		else {
			if (geteuid() == 0 && st.st_uid != e->uid)
				problem("%s: home of %s is owned by uid %u, want %u", e->home,
				    e->name, (unsigned)st.st_uid, (unsigned)e->uid);
			if ((st.st_mode & 022) != 0)
				problem("%s: home of %s is writable by group or others", e->home,
				    e->name);
		}
		if (ul == NULL)
			continue;
		u = userlist_lookup(ul, e->name, strlen(e->name));
		if (u == NULL || u->uid != e->uid || u->gid != e->gid ||
		    strcmp(u->home, e->home) != 0)
			problem("%s: out of date for %s (postern user passwd or add regenerates it)",
			    users, e->name);
	}
	if (ul != NULL && userlist_count(ul) != passwd_count(pf))
		problem("%s: lists %zu users, the passwd-file %zu", users,
		    userlist_count(ul), passwd_count(pf));
}

/* listen_address: IP literals (or "*"). */
static void
check_listen_addresses(const struct config *c)
{
	size_t n, i;
	char **list = config_list_new(c, "listen_address", &n);
	struct netaddr a;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], "*") != 0 &&
		    netaddr_parse(list[i], strlen(list[i]), &a) < 0)
			problem("%s: listen_address: \"%s\" is not an IP address",
			    config_file(c), list[i]);
	config_list_free(list);
}

/* As root, service users must reach the instance: every parent needs o+x. */
static void
check_parents(const char *dir)
{
	char *p = xstrdup(dir), *slash;
	struct stat st;

	if (geteuid() != 0) {
		free(p);
		return;
	}
	if (lstat(p, &st) == 0 && (st.st_mode & 01) == 0)
		problem("%s: not searchable by others (mode %04o): service users cannot reach it",
		    p, (unsigned)(st.st_mode & 07777));
	while ((slash = strrchr(p, '/')) != NULL) {
		*slash = '\0';
		if (lstat(p[0] ? p : "/", &st) == 0 && (st.st_mode & 01) == 0) {
			problem("%s: not searchable by others (mode %04o): service users cannot reach %s",
			    p[0] ? p : "/", (unsigned)(st.st_mode & 07777), dir);
			break;
		}
	}
	free(p);
}

int
check_instance(const char *dir)
{
	struct instance in;
	struct config *c;
	struct passwd_file *pf;
	struct userlist *ul;
	char emsg[600];
	const char *prefix;
	uid_t quid = admin_uid();
	gid_t qgid;
	int i;

	problems = 0;
	if (instance_init(&in, dir) < 0)
		err(111, "getcwd");
	c = config_load(in.conf, emsg, sizeof(emsg));
	if (c == NULL) {
		problem("%s", emsg);
		instance_free(&in);
		return problems;
	}
	check_tables(c, report_line, NULL, 0);

	pf = NULL;
	ul = NULL;
	if (config_str(c, "passwd_file") != NULL) {
		pf = passwd_load(config_str(c, "passwd_file"), 0, emsg, sizeof(emsg));
		if (pf == NULL)
			problem("%s", emsg);
	} else
		problem("%s: passwd_file is not set", in.conf);
	if (config_str(c, "users_file") != NULL) {
		ul = userlist_load(config_str(c, "users_file"), 0, emsg, sizeof(emsg));
		if (ul == NULL)
			problem("%s", emsg);
	}
	if (pf != NULL)
		check_users(c, pf, ul);
	if (pf != NULL)
		passwd_free(pf);
	if (ul != NULL)
		userlist_free(ul);
	check_listen_addresses(c);
	check_parents(in.dir);

	prefix = config_str(c, "user_prefix");
	if (geteuid() == 0) {
		for (i = 0; i < SVCUSER_COUNT; i++) {
			uid_t u;
			gid_t g;
			char name[SVCUSER_NAME_MAX + 1];
			if (svcusers_lookup(prefix, (enum svcuser_role)i, &u, &g) < 0) {
				if (svcusers_name(prefix, (enum svcuser_role)i, name, sizeof(name)) < 0)
					problem("%s: user_prefix \"%s\" is not a valid prefix",
					    in.conf, prefix);
				else
					problem("service user %s does not exist (postern init creates it)",
					    name);
				if (svcusers_name(prefix, (enum svcuser_role)i, name, sizeof(name)) < 0)
					break;
			}
		}
		if (svcusers_lookup(prefix, SVCUSER_QUEUE, &quid, &qgid) < 0)
			quid = (uid_t)-1;
	}

	check_public_file("config", in.conf);
	check_secret_file("passwd-file", config_str(c, "passwd_file"), admin_uid());
	check_public_file("user list", config_str(c, "users_file"));
	check_secret_file("TLS key", config_str(c, "tls_key"), admin_uid());
	check_public_file("TLS certificate", config_str(c, "tls_cert"));
	check_certificate(config_str(c, "tls_cert"), config_str(c, "tls_key"));
	if (quid != (uid_t)-1 && config_str(c, "queue_dir") != NULL) {
		/* HACKING.md "The queue": the tree belongs to the queue user. */
		char path[4096];
		size_t k;

		check_dir("queue directory", config_str(c, "queue_dir"), quid, 0750, 0);
		for (k = 0; k < queuedir_nsubdirs; k++) {
			snprintf(path, sizeof(path), "%s/%s", config_str(c, "queue_dir"), queuedir_subdirs[k]);
			check_dir("queue directory", path, quid, 0700, 0);
		}
	}
	check_dir("run directory", config_str(c, "run_dir"), admin_uid(), 0755, 0);
	check_dir("mail directory", config_str(c, "mail_dir"), admin_uid(), 0755, 0);
	if (config_str(c, "empty_dir") != NULL)
		check_empty_dir(config_str(c, "empty_dir"));
	else
		problem("%s: empty_dir is not set", in.conf);
	if (config_int(c, "uid_min") > config_int(c, "uid_max"))
		problem("%s: uid_min is above uid_max", in.conf);
	if (config_int(c, "uid_min") == 0)
		problem("%s: uid_min must not be 0", in.conf);
	if (config_int(c, "port_base") > 65535 - 995)
		problem("%s: port_base too large (at most %d)", in.conf, 65535 - 995);

	config_free(c);
	instance_free(&in);
	return problems;
}

int
postern_check(int argc, char **argv)
{
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: postern check DIR\n");
		return 100;
	}
	n = check_instance(argv[1]);
	if (n == 0) {
		printf("%s: ok\n", argv[1]);
		return 0;
	}
	return 1;
}
