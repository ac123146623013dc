/* postern_user.c: `postern user add|del|passwd|list DIR [NAME]`: edits the
 * instance's passwd-file through common/passwd.h (the one parser of that
 * file), regenerates the hash-free user list, and creates or removes the
 * user's home DIR/mail/NAME with its Maildir.  New users get the lowest
 * uid in [uid_min, uid_max] that neither the passwd-file nor the system
 * uses.  Passwords come on stdin (one line), never on the command line. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "instance.h"
#include "passwd.h"
#include "postern.h"
#include "userlist.h"

struct user_ctx {
	struct instance in;
	struct config *cfg;
	const char *passwd_path, *users_path, *mail_dir;
	struct passwd_file *pf;
	int lock_fd;
};

/* Read one password line from stdin (no echo on a terminal).  0, or -1. */
static int
read_password(struct buf *out)
{
	struct termios old, quiet;
	int tty = isatty(0), c, ret = 0;

	if (tty) {
		fprintf(stderr, "password: ");
		tcgetattr(0, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	while ((c = getchar()) != EOF && c != '\n') {
		if (out->len >= PASSWD_MAX_PASSWORD) {
			ret = -1;
			continue;
		}
		buf_putc(out, c);
	}
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (out->len > 0 && out->p[out->len - 1] == '\r')
		out->len--;
	if (ret < 0) {
		warnx("password longer than %u bytes", PASSWD_MAX_PASSWORD);
		return -1;
	}
	if (out->len == 0) {
		warnx("empty password (give it on stdin)");
		return -1;
	}
	if (memchr(out->p, '\0', out->len) != NULL) {
		warnx("NUL byte in password");
		return -1;
	}
	return 0;
}

static int
ctx_open(struct user_ctx *u, const char *dir, int need_passwd)
{
	char emsg[512];

	memset(u, 0, sizeof(*u));
	u->lock_fd = -1;
	if (instance_init(&u->in, dir) < 0)
		err(111, "getcwd");
	u->cfg = config_load(u->in.conf, emsg, sizeof(emsg));
	if (u->cfg == NULL) {
		warnx("%s", emsg);
		return -1;
	}
	u->passwd_path = config_str(u->cfg, "passwd_file");
	u->users_path = config_str(u->cfg, "users_file");
	u->mail_dir = config_str(u->cfg, "mail_dir");
	if (u->passwd_path == NULL || u->users_path == NULL || u->mail_dir == NULL) {
		warnx("%s: passwd_file, users_file and mail_dir must be set", u->in.conf);
		return -1;
	}
	/* One editor at a time: a lock on the directory of the passwd-file. */
	{
		char *d = xstrdup(u->passwd_path), *slash = strrchr(d, '/');
		if (slash != NULL && slash != d)
			*slash = '\0';
		u->lock_fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(d);
		if (u->lock_fd < 0 || flock(u->lock_fd, LOCK_EX) < 0) {
			warn("lock %s", u->passwd_path);
			return -1;
		}
	}
	if (need_passwd) {
		u->pf = passwd_load(u->passwd_path, 0, emsg, sizeof(emsg));
		if (u->pf == NULL) {
			warnx("%s", emsg);
			return -1;
		}
	}
	return 0;
}

static void
ctx_close(struct user_ctx *u)
{
	if (u->pf != NULL)
		passwd_free(u->pf);
	if (u->cfg != NULL)
		config_free(u->cfg);
	if (u->lock_fd >= 0)
		close(u->lock_fd);
	instance_free(&u->in);
}

static int
save(struct user_ctx *u)
{
	char emsg[512];

	if (passwd_save(u->pf, u->passwd_path, emsg, sizeof(emsg)) < 0) {
		warnx("%s", emsg);
		return -1;
	}
	if (userlist_write(u->pf, u->users_path, emsg, sizeof(emsg)) < 0) {
		warnx("%s", emsg);
		return -1;
	}
	return 0;
}

static int
system_uid_taken(uid_t uid)
{
	return getpwuid(uid) != NULL;
}

/* The lowest uid in [min, max] used by no passwd-file entry and no system
 * account (so a virtual user never shares a uid with a real one). */
static int
allocate_uid(const struct passwd_file *pf, long long min, long long max, uid_t *out)
{
	if (min < 1 || max < min || max >= (long long)(uid_t)-1)
		return -1;
	return passwd_free_uid_unless(pf, (uid_t)min, (uid_t)max,
	    system_uid_taken, out);
}

static int
make_home(const char *home, uid_t uid, gid_t gid)
{
	static const char *const sub[] = { "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp" };
	char path[4096];
	size_t i;
	int root = geteuid() == 0;

	if (mkdir(home, 0700) < 0) {
		warn("mkdir %s", home);
		return -1;
	}
	for (i = 0; i <= sizeof(sub) / sizeof(sub[0]); i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s", home);
		else {
			snprintf(path, sizeof(path), "%s/%s", home, sub[i - 1]);
			if (mkdir(path, 0700) < 0) {
				warn("mkdir %s", path);
				return -1;
			}
		}
		if (chmod(path, 0700) < 0 || (root && chown(path, uid, gid) < 0)) {
			warn("%s", path);
			return -1;
		}
	}
	return 0;
}

static int
user_add(const char *dir, const char *name)
{
	struct user_ctx u;
	struct passwd_entry e;
	struct buf pw = BUF_INIT, hash = BUF_INIT, home = BUF_INIT;
	char emsg[512];
	uid_t uid;
	struct stat st;
	int ret = 111;

	if (!passwd_name_valid(name, strlen(name))) {
		warnx("invalid user name \"%s\"", name);
		return 100;
	}
	if (ctx_open(&u, dir, 1) < 0)
		goto out;
	if (passwd_lookup(u.pf, name, strlen(name)) != NULL) {
		warnx("user %s exists", name);
		ret = 100;
		goto out;
	}
	if (allocate_uid(u.pf, config_int(u.cfg, "uid_min"),
	    config_int(u.cfg, "uid_max"), &uid) < 0) {
		warnx("no free uid in [uid_min, uid_max]");
		goto out;
	}
	buf_printf(&home, "%s/%s", u.mail_dir, name);
	if (lstat(buf_cstr(&home), &st) == 0) {
		warnx("%s exists (mail of an earlier user?): remove it or pick another name",
		    buf_cstr(&home));
		ret = 100;
		goto out;
	}
	if (read_password(&pw) < 0) {
		ret = 100;
		goto out;
	}
	if (passwd_hash(pw.p, pw.len, &hash) < 0) {
		warnx("cannot hash the password");
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.name = (char *)name;
	e.password = (char *)buf_cstr(&hash);
	e.uid = uid;
	e.gid = (gid_t)uid;
	e.gecos = "";
	e.home = (char *)buf_cstr(&home);
	e.shell = "";
	e.extra = "";
	if (passwd_set(u.pf, &e, emsg, sizeof(emsg)) < 0) {
		warnx("%s", emsg);
		ret = 100;
		goto out;
	}
	if (make_home(e.home, uid, (gid_t)uid) < 0)
		goto out;
	if (save(&u) < 0)
		goto out;
	printf("added %s uid=%u home=%s\n", name, (unsigned)uid, e.home);
	ret = 0;
out:
	if (pw.p != NULL)
		memset(pw.p, 0, pw.cap);
	buf_free(&pw);
	buf_free(&hash);
	buf_free(&home);
	ctx_close(&u);
	return ret;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level == 0)
		return 0;   /* the home itself: removed by the caller */
	if (remove(path) < 0)
		warn("remove %s", path);
	return 0;
}

/* Remove everything under home as the user who owns it (a user can swap
 * its own directories for symbolic links while a root walker runs), then
 * the empty home itself, whose parent only root can write. */
static void
purge_home(const char *home, uid_t uid, gid_t gid)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0) {
		warn("fork");
		return;
	}
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(gid) < 0 ||
		    setuid(uid) < 0))
			_exit(111);
		if (geteuid() == 0)
			_exit(111);   /* never walk a user's tree as root */
		nftw(home, remove_one, 16, FTW_DEPTH | FTW_PHYS);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		warnx("could not remove the mail in %s as uid %u", home, (unsigned)uid);
	else if (rmdir(home) < 0)
		warn("rmdir %s", home);
}

static int
user_del(const char *dir, const char *name, int purge)
{
	struct user_ctx u;
	const struct passwd_entry *e;
	char *home = NULL;
	uid_t uid = 0;
	gid_t gid = 0;
	int ret = 111;

	if (ctx_open(&u, dir, 1) < 0)
		goto out;
	e = passwd_lookup(u.pf, name, strlen(name));
	if (e == NULL) {
		warnx("no user %s", name);
		ret = 100;
		goto out;
	}
	home = xstrdup(e->home);
	uid = e->uid;
	gid = e->gid;
	if (passwd_delete(u.pf, name, strlen(name)) < 0 || save(&u) < 0)
		goto out;
	if (purge) {
		/* Only a home under mail_dir is ours to remove. */
		size_t n = strlen(u.mail_dir);
		if (strncmp(home, u.mail_dir, n) == 0 && home[n] == '/' &&
		    strstr(home + n, "/..") == NULL)
			purge_home(home, uid, gid);
		else
			warnx("home %s is not under %s: left in place", home, u.mail_dir);
		printf("deleted %s and its mail\n", name);
	} else
		printf("deleted %s; its mail is kept in %s\n", name, home);
	ret = 0;
out:
	free(home);
	ctx_close(&u);
	return ret;
}

static int
user_passwd(const char *dir, const char *name)
{
	struct user_ctx u;
	const struct passwd_entry *old;
	struct passwd_entry e;
	struct buf pw = BUF_INIT, hash = BUF_INIT;
	char emsg[512];
	int ret = 111;

	if (ctx_open(&u, dir, 1) < 0)
		goto out;
	old = passwd_lookup(u.pf, name, strlen(name));
	if (old == NULL) {
		warnx("no user %s", name);
		ret = 100;
		goto out;
	}
	if (read_password(&pw) < 0) {
		ret = 100;
		goto out;
	}
	if (passwd_hash(pw.p, pw.len, &hash) < 0) {
		warnx("cannot hash the password");
		goto out;
	}
	e = *old;
	e.password = (char *)buf_cstr(&hash);
	if (passwd_set(u.pf, &e, emsg, sizeof(emsg)) < 0) {
		warnx("%s", emsg);
		goto out;
	}
	if (save(&u) < 0)
		goto out;
	printf("password of %s changed\n", name);
	ret = 0;
out:
	if (pw.p != NULL)
		memset(pw.p, 0, pw.cap);
	buf_free(&pw);
	buf_free(&hash);
	ctx_close(&u);
	return ret;
}

static int
user_list(const char *dir)
{
	struct user_ctx u;
	struct userlist *ul;
	char emsg[512];
	size_t i;
	int ret = 111;

	if (ctx_open(&u, dir, 0) < 0)
		goto out;
	ul = userlist_load(u.users_path, 1, emsg, sizeof(emsg));
	if (ul == NULL) {
		warnx("%s", emsg);
		goto out;
	}
	for (i = 0; i < userlist_count(ul); i++) {
		const struct userlist_entry *e = userlist_at(ul, i);
		printf("%s uid=%u gid=%u home=%s\n", e->name, (unsigned)e->uid,
		    (unsigned)e->gid, e->home);
	}
	userlist_free(ul);
	ret = fflush(stdout) == 0 ? 0 : 111;
out:
	ctx_close(&u);
	return ret;
}

int
postern_user(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (strcmp(op, "add") == 0 && argc == 4)
		return user_add(argv[2], argv[3]);
	if (strcmp(op, "del") == 0 && argc == 4)
		return user_del(argv[2], argv[3], 0);
	if (strcmp(op, "del") == 0 && argc == 5 && strcmp(argv[4], "--purge") == 0)
		return user_del(argv[2], argv[3], 1);
	if (strcmp(op, "passwd") == 0 && argc == 4)
		return user_passwd(argv[2], argv[3]);
	if (strcmp(op, "list") == 0 && argc == 3)
		return user_list(argv[2]);
	fprintf(stderr, "usage: postern user add DIR NAME      (password on stdin)\n"
	    "       postern user del DIR NAME [--purge]  (--purge removes the mail)\n"
	    "       postern user passwd DIR NAME   (password on stdin)\n"
	    "       postern user list DIR\n");
	return 100;
}
