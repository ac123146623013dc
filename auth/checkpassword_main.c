/* checkpassword_main.c: postern-checkpassword, the qmail checkpassword
 * interface over the passwd-file.  Reads user\0password\0timestamp\0 from
 * fd 3, verifies it against the passwd-file named by the config, and on
 * success becomes the user (when run as root) and execs argv.
 *
 * Exit: 1 bad credentials (or a user this checker refuses), 2 misuse (no
 * program, no or malformed fd 3), 111 temporary error (config or
 * passwd-file unreadable, chdir/exec failed). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "checkpw.h"
#include "config.h"
#include "fatal.h"
#include "log.h"
#include "passwd.h"
#include "privdrop.h"

#define EXIT_BAD  1
#define EXIT_MISUSE 2
#define EXIT_TEMP 111

/* Verified against when the user does not exist, so that the time taken
 * does not tell whether a name is known. */
static const char dummy_hash[] =
    "{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$dd4xuGcOP7eVhU7jMlH3tSYoJYi74fZd46omMcxmnWB";

static const char *
remote_ip(void)
{
	const char *ip = getenv("TCPREMOTEIP");
	if (ip == NULL)
		ip = getenv("REMOTE_ADDR");
	return ip ? ip : "-";
}

static void
usage(void)
{
	fatal_errx(EXIT_MISUSE, "usage: postern-checkpassword [-c CONFIG] PROGRAM [ARG...]");
}

/* Log a failed login: user name made safe, client IP for fail2ban. */
static void __attribute__((noreturn))
fail(int code, const char *reason, const char *user, size_t user_len)
{
	char u[128];
	log_value(u, sizeof(u), user ? user : "", user ? user_len : 0);
	if (code == EXIT_BAD)
		log_warn("auth_fail", "user=%s ip=%s reason=%s", u, remote_ip(),
		    reason);
	else
		log_error("auth_error", "user=%s ip=%s reason=%s", u, remote_ip(),
		    reason);
	exit(code);
}

static void
setenv_or_die(const char *k, const char *v)
{
	if (setenv(k, v, 1) < 0) {
		log_error("auth_error", "reason=setenv %s: %s", k, strerror(errno));
		exit(EXIT_TEMP);
	}
}

int
main(int argc, char **argv)
{
	const char *conf = NULL;
	char rec[CHECKPW_MAX + 1];
	struct checkpw_record r;
	char err[512];
	int c;

	log_init("postern-checkpassword", 0);
	while ((c = getopt(argc, argv, "+c:")) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		default:
			usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1)
		usage();

	long n = checkpw_read(3, rec, sizeof(rec), 60 * 1000);
	if (n == -3)
		fail(EXIT_MISUSE, "record_too_long", NULL, 0);
	if (n == -2)
		fail(EXIT_MISUSE, "fd3_timeout", NULL, 0);
	if (n < 0) {
		log_error("auth_error", "reason=fd3 error=\"%s\"", strerror(errno));
		exit(EXIT_MISUSE);
	}
	close(3);
	if (checkpw_parse(rec, (size_t)n, &r) < 0) {
		explicit_bzero(rec, sizeof(rec));
		fail(EXIT_MISUSE, "malformed_record", NULL, 0);
	}

	if (conf == NULL)
		conf = config_path();
	if (conf == NULL || conf[0] == '\0') {
		explicit_bzero(rec, sizeof(rec));
		log_error("auth_error", "reason=no_config (use -c or POSTERN_CONF)");
		exit(EXIT_TEMP);
	}
	struct config *cfg = config_load(conf, err, sizeof(err));
	if (cfg == NULL) {
		explicit_bzero(rec, sizeof(rec));
		log_error("auth_error", "reason=config error=\"%s\"", err);
		exit(EXIT_TEMP);
	}
	const char *pwpath = config_str(cfg, "passwd_file");
	if (pwpath == NULL || pwpath[0] == '\0') {
		explicit_bzero(rec, sizeof(rec));
		log_error("auth_error", "reason=config error=\"%s: passwd_file not set\"",
		    config_file(cfg));
		exit(EXIT_TEMP);
	}
	struct passwd_file *pf = passwd_load(pwpath, 0, err, sizeof(err));
	if (pf == NULL) {
		explicit_bzero(rec, sizeof(rec));
		log_error("auth_error", "reason=passwd_file error=\"%s\"", err);
		exit(EXIT_TEMP);
	}

	const struct passwd_entry *e = passwd_lookup(pf, r.user, r.user_len);
	enum passwd_result vr = passwd_verify(e ? e->password : dummy_hash,
	    r.password, r.password_len, 0);
	explicit_bzero(rec + (r.password - rec), r.password_len);
	if (e == NULL)
		fail(EXIT_BAD, "unknown_user", r.user, r.user_len);
	if (vr == PASSWD_BADSCHEME) {
		log_error("auth_error", "user=%s reason=unsupported_scheme line=%u",
		    e->name, e->line);
		fail(EXIT_BAD, "unsupported_scheme", r.user, r.user_len);
	}
	if (vr != PASSWD_OK)
		fail(EXIT_BAD, "bad_password", r.user, r.user_len);

	/* Become the user.  Only root changes ids; run by an ordinary user the
	 * whole chain stays that user (DESIGN.md). */
	if (priv_is_root()) {
		long long umin = config_int(cfg, "uid_min");
		long long umax = config_int(cfg, "uid_max");
		if (e->uid == 0 || e->gid == 0 ||
		    (long long)e->uid < umin || (long long)e->uid > umax) {
			log_error("auth_error", "user=%s reason=uid_out_of_range uid=%lu "
			    "gid=%lu range=%lld-%lld", e->name, (unsigned long)e->uid,
			    (unsigned long)e->gid, umin, umax);
			fail(EXIT_BAD, "uid_refused", r.user, r.user_len);
		}
		/* the only group is the user's gid: a virtual name that happens to
		 * equal a system user's must not inherit its groups */
		priv_drop_ids(e->uid, e->gid);
	}

	char num[32];
	setenv_or_die("USER", e->name);
	setenv_or_die("POSTERN_USER", e->name);
	setenv_or_die("HOME", e->home);
	setenv_or_die("AUTHENTICATED", "1");
	snprintf(num, sizeof(num), "%llu", e->quota_bytes);
	setenv_or_die("POSTERN_QUOTA_BYTES", num);
	snprintf(num, sizeof(num), "%llu", e->quota_messages);
	setenv_or_die("POSTERN_QUOTA_MESSAGES", num);
	if (chdir(e->home) < 0) {
		log_error("auth_error", "user=%s reason=chdir home=%s error=\"%s\"",
		    e->name, e->home, strerror(errno));
		exit(EXIT_TEMP);
	}
	log_info("auth_ok", "user=%s ip=%s uid=%lu", e->name, remote_ip(),
	    (unsigned long)geteuid());
	passwd_free(pf);
	config_free(cfg);
	explicit_bzero(rec, sizeof(rec));
	execvp(argv[0], argv);
	log_error("auth_error", "reason=exec program=%s error=\"%s\"", argv[0],
	    strerror(errno));
	return EXIT_TEMP;
}
