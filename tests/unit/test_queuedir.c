/* test_queuedir.c: unit tests for common/queuedir.c: ids, paths and the
 * spare-file pool (take and give, full pool, missing spare/ of an older
 * queue tree, oversized files, concurrent claims never sharing a slot). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "queuedir.h"

static char top[64];

/* Every fsync of this program is seen here (it takes the place of libc's
 * for the objects linked in): the directory it syncs, then the real one. */
static char synced[16][256];
static int nsynced;

int
fsync(int fd)
{
	char p[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, synced[nsynced % 16], sizeof(synced[0]) - 1);
	synced[nsynced % 16][n > 0 ? n : 0] = '\0';
	nsynced++;
	return (int)syscall(SYS_fsync, fd);
}

/* Did the last settle fsync top/sub? */
static int
was_synced(const char *sub)
{
	char want[256];
	int i;

	snprintf(want, sizeof(want), "%s/%s", top, sub);
	for (i = 0; i < nsynced && i < 16; i++)
		if (strcmp(synced[i], want) == 0)
			return 1;
	return 0;
}


static void
mkq(int with_spare)
{
	char p[128];

	strcpy(top, "/tmp/test_queuedir.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(p, sizeof(p), "%s/tmp", top);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	if (with_spare) {
		snprintf(p, sizeof(p), "%s/spare", top);
		ck_assert_int_eq(mkdir(p, 0700), 0);
		snprintf(p, sizeof(p), "%s/spent", top);
		ck_assert_int_eq(mkdir(p, 0700), 0);
	}
}

static void
rmq(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	ck_assert_int_eq(system(cmd), 0);
}

static int
count(const char *sub)
{
	char p[128];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", top, sub);
	d = opendir(p);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
make_file(const char *path, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	char b[4096];

	ck_assert_int_ge(fd, 0);
	memset(b, 'x', sizeof(b));
	while (size > 0) {
		size_t k = size < sizeof(b) ? size : sizeof(b);
		ck_assert_int_eq(write(fd, b, k), (ssize_t)k);
		size -= k;
	}
	close(fd);
}

START_TEST(ids_and_paths)
{
	char id[QUEUEDIR_ID_MAX + 1], p[64];

	ck_assert_int_eq(queuedir_id_new(id, sizeof(id)), 0);
	ck_assert(queuedir_id_valid(id, strlen(id)));
	ck_assert(!queuedir_id_valid("../x", 4));
	ck_assert(!queuedir_id_valid(".x", 2));
	ck_assert(!queuedir_id_valid("a/b", 3));
	ck_assert(!queuedir_id_valid("", 0));
	ck_assert_int_eq(queuedir_path(p, sizeof(p), "/q", "mess", "1.ab"), 0);
	ck_assert_str_eq(p, "/q/mess/1.ab");
	ck_assert_int_eq(queuedir_path(p, sizeof(p), "/q", "mess", "a/b"), -1);
	ck_assert_int_eq(queuedir_path(p, 8, "/q", "mess", "1.ab"), -1);
	ck_assert_int_eq(queuedir_tmp_path(p, sizeof(p), "/q", "1.ab", ".e"), 0);
	ck_assert_str_eq(p, "/q/tmp/1.ab.e");
}
END_TEST

static void
path_of(char *out, size_t outlen, const char *sub, const char *name)
{
	snprintf(out, outlen, "%s/%s/%s", top, sub, name);
}

START_TEST(give_then_take)
{
	char a[128], b[128], buf[16];
	struct stat st;
	int fd;

	mkq(1);
	path_of(a, sizeof(a), "tmp", "1000.aa");
	path_of(b, sizeof(b), "tmp", "1000.bb.m");
	make_file(a, 5000);
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	/* spent first: not taken before the old name is durably gone */
	ck_assert_int_eq(count("spent"), 1);
	ck_assert_int_eq(count("spare"), 0);
	ck_assert_int_eq(queuedir_spare_take(top, b, "m"), -1);
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 1);
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 0);     /* nothing new */
	ck_assert_int_eq(count("spent"), 0);
	ck_assert_int_eq(count("spare"), 1);
	path_of(a, sizeof(a), "spare", "1000.aa.m");
	ck_assert_int_eq(access(a, F_OK), 0);
	fd = queuedir_spare_take(top, b, "m");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(count("spare"), 0);
	ck_assert_int_eq(write(fd, "new", 3), 3);
	ck_assert_int_eq(ftruncate(fd, 3), 0);
	close(fd);
	ck_assert_int_eq(stat(b, &st), 0);
	ck_assert_int_eq(st.st_size, 3);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	fd = open(b, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	ck_assert(memcmp(buf, "new", 3) == 0);
	/* empty pool: nothing taken, dest untouched */
	ck_assert_int_eq(queuedir_spare_take(top, b, "m"), -1);
	ck_assert_int_eq(stat(b, &st), 0);
	ck_assert_int_eq(st.st_size, 3);
	/* take never replaces an existing file */
	path_of(a, sizeof(a), "tmp", "1000.cc");
	make_file(a, 10);
	ck_assert_int_eq(queuedir_spare_give(top, a, "e"), 0);
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 1);
	ck_assert_int_eq(queuedir_spare_take(top, b, "m"), -1);
	ck_assert_int_eq(count("spare"), 1);
	ck_assert_int_eq(stat(b, &st), 0);
	ck_assert_int_eq(st.st_size, 3);
	rmq();
}
END_TEST

/* A settle fsyncs todo/ (every message file passed through it) and the
 * directories files left since the last one; forced, all four. */
START_TEST(settle_syncs_the_directories_left)
{
	static const char *const subs[] = { "todo", "env", "mess", "state" };
	char a[128];
	size_t i;

	mkq(1);
	for (i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "%s/%s", top, subs[i]);
		ck_assert_int_eq(mkdir(a, 0700), 0);
	}
	/* a message delivered from todo/: todo/ only */
	path_of(a, sizeof(a), "todo", "1000.aa");
	make_file(a, 10);
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	nsynced = 0;
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 1);
	ck_assert_int_eq(nsynced, 1);
	ck_assert(was_synced("todo"));
	/* a taken-in message: its mess/ and env/ files, and todo/ */
	path_of(a, sizeof(a), "mess", "1000.bb");
	make_file(a, 10);
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	path_of(a, sizeof(a), "env", "1000.bb");
	make_file(a, 10);
	ck_assert_int_eq(queuedir_spare_give(top, a, "e"), 0);
	nsynced = 0;
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 2);
	ck_assert_int_eq(nsynced, 3);
	ck_assert(was_synced("todo") && was_synced("mess") && was_synced("env"));
	ck_assert(!was_synced("state"));
	/* nothing given: nothing synced */
	nsynced = 0;
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 0);
	ck_assert_int_eq(nsynced, 0);
	/* forced (start: spent/ may hold anything a crash left) */
	nsynced = 0;
	queuedir_spare_settle(top, 1);
	ck_assert_int_eq(nsynced, 4);
	for (i = 0; i < 4; i++)
		ck_assert(was_synced(subs[i]));
	rmq();
}
END_TEST

/* spare/<base><i>.m: made (make), or checked and removed (!make). */
static void
spares(const char *base, int n, int make)
{
	char a[128];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "%s/spare/%s%03d.m", top, base, i);
		if (make)
			make_file(a, 10);
		else {
			ck_assert_int_eq(access(a, F_OK), 0);
			unlink(a);
		}
	}
}

/* Take a spare into tmp/name: it must come. */
static void
take_one(const char *name)
{
	char b[128];
	int fd;

	path_of(b, sizeof(b), "tmp", name);
	fd = queuedir_spare_take(top, b, "m");
	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* A taker keeps the names it read for its next takes; names another
 * process took meanwhile are dropped and the directory is read again, so
 * a spare that is there is found and one that is gone is never claimed. */
START_TEST(names_kept_between_takes)
{
	char a[128], b[128], c[128];
	int i, left = -1;

	mkq(1);
	spares("1000.aa", 3, 1);
	take_one("2000.b1.m");
	ck_assert_int_eq(count("spare"), 2);
	/* 60 spares come: the next take is still one of the two names read
	 * before (a taker that read the directory again would pick one of
	 * those two 2 times in 62) */
	spares("4000.dd", 60, 1);
	take_one("2000.b0.m");
	spares("4000.dd", 60, 0);
	ck_assert_int_eq(count("spare"), 1);
	/* another process takes the one this one still knows of, a new one
	 * comes */
	for (i = 0; i < 3; i++) {
		snprintf(c, sizeof(c), "%s/spare/1000.aa%03d.m", top, i);
		if (access(c, F_OK) == 0)
			left = i;
	}
	ck_assert_int_ge(left, 0);
	snprintf(c, sizeof(c), "%s/spare/1000.aa%03d.m", top, left);
	unlink(c);
	snprintf(a, sizeof(a), "%s/spare/3000.cc.m", top);
	make_file(a, 10);
	take_one("2000.b2.m");
	ck_assert_int_eq(count("spare"), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	/* none left: nothing taken, nothing made */
	path_of(b, sizeof(b), "tmp", "2000.b3.m");
	ck_assert_int_eq(queuedir_spare_take(top, b, "m"), -1);
	ck_assert_int_eq(access(b, F_OK), -1);
	rmq();
}
END_TEST

/* The same id from two directories (env/ID and mess/ID) never collides. */
START_TEST(tags_keep_names_apart)
{
	char a[128], m[128];

	mkq(1);
	path_of(a, sizeof(a), "tmp", "1000.dd");
	make_file(a, 10);
	ck_assert_int_eq(queuedir_spare_give(top, a, "e"), 0);
	make_file(a, 10);
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	ck_assert_int_eq(count("spent"), 2);
	/* same name and tag again: not moved over the first, unlinked */
	make_file(a, 10);
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(count("spent"), 2);
	/* a name that is not a queue id is unlinked, never moved */
	path_of(m, sizeof(m), "tmp", ".hidden");
	make_file(m, 10);
	ck_assert_int_eq(queuedir_spare_give(top, m, "m"), 0);
	ck_assert_int_eq(access(m, F_OK), -1);
	ck_assert_int_eq(count("spent"), 2);
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 2);
	ck_assert_int_eq(count("spare"), 2);
	rmq();
}
END_TEST

/* A take prefers a spare of its own tag, and takes another kind when
 * there is none. */
START_TEST(take_prefers_own_tag)
{
	char a[128], d[128];
	struct stat st;
	int fd;

	mkq(1);
	path_of(a, sizeof(a), "tmp", "1000.x1");
	make_file(a, 7);
	ck_assert_int_eq(queuedir_spare_give(top, a, "e"), 0);
	path_of(a, sizeof(a), "tmp", "1000.x2");
	make_file(a, 9000);
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 2);
	path_of(d, sizeof(d), "tmp", "1000.y.e");
	fd = queuedir_spare_take(top, d, "e");
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert_int_eq(st.st_size, 7);
	path_of(a, sizeof(a), "spare", "1000.x2.m");
	ck_assert_int_eq(access(a, F_OK), 0);
	/* no envelope spare left: the message one serves */
	path_of(d, sizeof(d), "tmp", "1000.z.e");
	fd = queuedir_spare_take(top, d, "e");
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert_int_eq(st.st_size, 9000);
	ck_assert_int_eq(count("spare"), 0);
	rmq();
}
END_TEST

/* A pool far bigger than one directory read: takes still find spares
 * (of their own kind, or any). */
START_TEST(big_pool)
{
	char a[128], name[32];
	int i, fd;

	mkq(1);
	for (i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "1000.b%d", i);
		path_of(a, sizeof(a), "tmp", name);
		make_file(a, 1);
		ck_assert_int_eq(queuedir_spare_give(top, a, i % 2 ? "e" : "m"), 0);
	}
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 1500);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "1000.t%d.m", i);
		path_of(a, sizeof(a), "tmp", name);
		fd = queuedir_spare_take(top, a, i % 2 ? "e" : "m");
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_int_eq(count("spare"), 1460);
	ck_assert_int_eq(count("tmp"), 40);
	rmq();
}
END_TEST

START_TEST(empty_pool_and_missing_dir)
{
	char a[128];

	mkq(1);
	path_of(a, sizeof(a), "tmp", "1000.ee");
	ck_assert_int_eq(queuedir_spare_take(top, a, "m"), -1);
	ck_assert_int_eq(access(a, F_OK), -1);
	/* a file that is not there */
	errno = 0;
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), -1);
	ck_assert_int_eq(errno, ENOENT);
	rmq();
	/* a queue tree from before spare/: give unlinks, take finds none */
	mkq(0);
	path_of(a, sizeof(a), "tmp", "1000.ee");
	make_file(a, 100);
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(count("tmp"), 0);
	ck_assert_int_eq(queuedir_spare_take(top, a, "m"), -1);
	ck_assert_int_eq(queuedir_spare_trim(top, 0), 0);
	ck_assert_int_eq(queuedir_spare_settle(top, 1), 0);
	rmq();
}
END_TEST

START_TEST(big_files_are_unlinked)
{
	char a[128];

	mkq(1);
	path_of(a, sizeof(a), "tmp", "1000.ff");
	make_file(a, QUEUEDIR_SPARE_MAX + 1);
	ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(count("spent"), 0);
	ck_assert_int_eq(count("spare"), 0);
	rmq();
}
END_TEST

/* A file given up before its commit (tmp/ only) goes straight back to
 * spare/, takeable at once without a settle; a big one is unlinked. */
START_TEST(return_to_the_pool)
{
	char a[128], b[128];
	int fd;

	mkq(1);
	path_of(a, sizeof(a), "tmp", "1000.aa.m");
	make_file(a, 100);
	ck_assert_int_eq(queuedir_spare_return(top, a, "m"), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(count("spare"), 1);
	ck_assert_int_eq(count("spent"), 0);
	path_of(b, sizeof(b), "tmp", "1001.bb.m");
	fd = queuedir_spare_take(top, b, "m");
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(count("spare"), 0);
	make_file(a, QUEUEDIR_SPARE_MAX + 1);
	ck_assert_int_eq(queuedir_spare_return(top, a, "m"), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(count("spare"), 0);
	ck_assert_int_eq(queuedir_spare_return(top, a, "m"), -1);
	ck_assert_int_eq(errno, ENOENT);
	rmq();
}
END_TEST

/* A spare or spent name that shares its inode with a live queue file (a
 * crash kept both names of a take's rename) is removed; spares of their
 * own, and the live names, stay. */
START_TEST(unshare)
{
	char a[128], b[128], live[128];
	int i;

	mkq(1);
	for (i = 0; i < 2; i++) {
		snprintf(a, sizeof(a), "%s/%s", top, i == 0 ? "mess" : "env");
		ck_assert_int_eq(mkdir(a, 0700), 0);
	}
	path_of(live, sizeof(live), "mess", "1000.aa");
	make_file(live, 10);
	path_of(a, sizeof(a), "spare", "999.aa.m");
	ck_assert_int_eq(link(live, a), 0);
	path_of(live, sizeof(live), "env", "1000.aa");
	make_file(live, 10);
	path_of(b, sizeof(b), "spent", "999.aa.e");
	ck_assert_int_eq(link(live, b), 0);
	path_of(live, sizeof(live), "spare", "998.bb.m");  /* a spare of its own */
	make_file(live, 10);
	ck_assert_int_eq(queuedir_spare_unshare(top), 2);
	/* both had a link count of 2: unlinked, nothing set aside */
	ck_assert_int_eq(count("shared"), -1);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(access(b, F_OK), -1);
	ck_assert_int_eq(access(live, F_OK), 0);
	ck_assert_int_eq(count("mess"), 1);
	ck_assert_int_eq(count("env"), 1);
	ck_assert_int_eq(queuedir_spare_unshare(top), 0);
	/* todo/, state/, hold/ missing: nothing to compare with, no error */
	if (geteuid() != 0) {
		/* a name that cannot be taken out is an error, not a silence
		 * (root passes any mode: covered in the user pass) */
		char sp[128];

		path_of(live, sizeof(live), "mess", "1000.aa");
		path_of(a, sizeof(a), "spare", "999.cc.m");
		ck_assert_int_eq(link(live, a), 0);
		snprintf(sp, sizeof(sp), "%s/spare", top);
		ck_assert_int_eq(chmod(sp, 0500), 0);
		errno = 0;
		ck_assert_int_eq(queuedir_spare_unshare(top), -1);
		ck_assert_int_eq(errno, EACCES);
		ck_assert_int_eq(access(a, F_OK), 0);
		/* a pool directory that cannot be read: an error too */
		ck_assert_int_eq(chmod(sp, 0), 0);
		errno = 0;
		ck_assert_int_eq(queuedir_spare_unshare(top), -1);
		ck_assert_int_eq(errno, EACCES);
		ck_assert_int_eq(chmod(sp, 0700), 0);
		ck_assert_int_eq(queuedir_spare_unshare(top), 1);
	}
	rmq();
}
END_TEST

START_TEST(trim)
{
	char a[128], name[32];
	int i;

	mkq(1);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "1000.%04d", i);
		path_of(a, sizeof(a), "tmp", name);
		make_file(a, 1);
		ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	}
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 300);
	ck_assert_int_eq(count("spare"), 300);
	ck_assert_int_eq(queuedir_spare_trim(top, 300), 0);
	ck_assert_int_eq(count("spare"), 300);
	/* surplus 280: an eighth is 35 */
	ck_assert_int_eq(queuedir_spare_trim(top, 20), 35);
	ck_assert_int_eq(count("spare"), 265);
	/* surplus 5: at least the minimum, never below keep */
	ck_assert_int_eq(queuedir_spare_trim(top, 260), 5);
	ck_assert_int_eq(count("spare"), 260);
	/* surplus 100: an eighth is 12, the minimum is 32 */
	ck_assert_int_eq(queuedir_spare_trim(top, 160), QUEUEDIR_SPARE_TRIM_MIN);
	ck_assert_int_eq(count("spare"), 260 - QUEUEDIR_SPARE_TRIM_MIN);
	rmq();
}
END_TEST

/* Two processes take from one pool at once: every spare goes to at most
 * one taker, and none is lost. */
START_TEST(concurrent_takes)
{
	char a[128], name[32];
	int given, i, status, taken = 0;
	pid_t pid[2];

	mkq(1);
	for (i = 0; i < 400; i++) {
		snprintf(name, sizeof(name), "1000.g%d", i);
		path_of(a, sizeof(a), "tmp", name);
		make_file(a, 1);
		ck_assert_int_eq(queuedir_spare_give(top, a, "m"), 0);
	}
	ck_assert_int_eq(queuedir_spare_settle(top, 0), 400);
	given = count("spare");
	ck_assert_int_eq(given, 400);
	for (int k = 0; k < 2; k++) {
		pid[k] = fork();
		ck_assert_int_ge(pid[k], 0);
		if (pid[k] == 0) {
			int got = 0;
			for (i = 0; i < 150; i++) {
				char d[128];
				int fd;
				snprintf(d, sizeof(d), "%s/tmp/t%d.%d", top, k, i);
				if ((fd = queuedir_spare_take(top, d, "m")) >= 0) {
					close(fd);
					got++;
				}
			}
			_exit(got);
		}
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(pid[k], &status, 0), pid[k]);
		ck_assert(WIFEXITED(status));
		taken += WEXITSTATUS(status);
	}
	ck_assert_int_eq(count("tmp"), taken);
	ck_assert_int_eq(count("spare") + taken, given);
	ck_assert_int_gt(taken, 250);   /* a pool of 400: nearly every take */
	rmq();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("queuedir");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, ids_and_paths);
	tcase_add_test(tc, give_then_take);
	tcase_add_test(tc, names_kept_between_takes);
	tcase_add_test(tc, tags_keep_names_apart);
	tcase_add_test(tc, take_prefers_own_tag);
	tcase_add_test(tc, big_pool);
	tcase_add_test(tc, return_to_the_pool);
	tcase_add_test(tc, trim);
	tcase_add_test(tc, unshare);
	tcase_add_test(tc, empty_pool_and_missing_dir);
	tcase_add_test(tc, big_files_are_unlinked);
	tcase_add_test(tc, concurrent_takes);
	tcase_add_test(tc, settle_syncs_the_directories_left);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
