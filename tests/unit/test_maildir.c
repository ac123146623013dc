/* test_maildir.c: unit tests for common/maildir.c (folders, names, flags,
 * delivery protocol, listings). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include "maildir.h"
#include "maildir_test_util.h"

static char *root;

static void
setup(void)
{
	root = mt_tempdir();
	ck_assert_int_eq(maildir_make(root), 0);
}

static void
teardown(void)
{
	mt_rmtree(root);
	free(root);
}

static size_t
count_files(const char *dir, const char *sub)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	DIR *d = opendir(p);
	size_t n = 0;
	struct dirent *de;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

START_TEST(folder_names)
{
	char p[4096];
	ck_assert(maildir_folder_name_valid("", 0));
	ck_assert(maildir_folder_name_valid("INBOX", 5));
	ck_assert(maildir_folder_name_valid("inbox", 5));
	ck_assert(maildir_folder_name_valid("Sent", 4));
	ck_assert(maildir_folder_name_valid("a.b.c", 5));
	ck_assert(!maildir_folder_name_valid("a..b", 4));
	ck_assert(!maildir_folder_name_valid(".a", 2));
	ck_assert(!maildir_folder_name_valid("a.", 2));
	ck_assert(!maildir_folder_name_valid("a/b", 3));
	ck_assert(!maildir_folder_name_valid("a\nb", 3));
	ck_assert_int_eq(maildir_folder_path("/m", "INBOX", p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/m");
	ck_assert_int_eq(maildir_folder_path("/m", "Lists.postern", p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/m/.Lists.postern");
	ck_assert_int_eq(maildir_folder_path("/m", "../x", p, sizeof(p)), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static void
collect(const char *name, void *arg)
{
	char *s = arg;
	strcat(s, name);
	strcat(s, ";");
}

START_TEST(folder_ops)
{
	char p[4096], list[1024] = "";
	ck_assert_int_eq(maildir_folder_create(root, "Sent"), 0);
	ck_assert_int_eq(maildir_folder_create(root, "Sent"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(maildir_folder_create(root, "A"), 0);
	ck_assert_int_eq(maildir_folder_create(root, "A.B"), 0);
	snprintf(p, sizeof(p), "%s/.A.B/maildirfolder", root);
	ck_assert(mt_exists(p));
	snprintf(p, sizeof(p), "%s/.A.B/tmp", root);
	ck_assert(mt_exists(p));
	/* Something that is not a folder. */
	snprintf(p, sizeof(p), "%s/.junk", root);
	mkdir(p, 0700);
	ck_assert_int_eq(maildir_folder_list(root, 100, collect, list), 3);
	ck_assert_ptr_nonnull(strstr(list, "Sent;"));
	ck_assert_ptr_nonnull(strstr(list, "A.B;"));
	ck_assert_ptr_null(strstr(list, "junk"));
	/* Rename carries the children along. */
	ck_assert_int_eq(maildir_folder_rename(root, "A", "Z"), 0);
	snprintf(p, sizeof(p), "%s/.Z.B/cur", root);
	ck_assert(mt_exists(p));
	snprintf(p, sizeof(p), "%s/.A", root);
	ck_assert(!mt_exists(p));
	ck_assert_int_eq(maildir_folder_rename(root, "Z", "Sent"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(maildir_folder_rename(root, "Z", "Z.sub"), -1);
	ck_assert_int_eq(maildir_folder_rename(root, "INBOX", "X"), -1);
	/* Delete removes one folder, not its children. */
	ck_assert_int_eq(maildir_deliver_buf(p, "x\n", 2, NULL, NULL), -1);
	snprintf(p, sizeof(p), "%s/.Z", root);
	ck_assert_int_eq(maildir_deliver_buf(p, "Subject: x\n\nhi\n", 15, NULL, NULL), 0);
	ck_assert_int_eq(maildir_folder_delete(root, "Z"), 0);
	ck_assert(!mt_exists(p));
	snprintf(p, sizeof(p), "%s/.Z.B/cur", root);
	ck_assert(mt_exists(p));
	ck_assert_int_eq(maildir_folder_delete(root, "INBOX"), -1);
	ck_assert_int_eq(maildir_folder_delete(root, "nope"), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(unique_names)
{
	char a[256], b[256];
	ck_assert_int_eq(maildir_unique_name(a, sizeof(a)), 0);
	ck_assert_int_eq(maildir_unique_name(b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	ck_assert_ptr_nonnull(strstr(a, ".M"));
	char pid[32];
	snprintf(pid, sizeof(pid), "P%ldQ", (long)getpid());
	ck_assert_ptr_nonnull(strstr(a, pid));
	ck_assert_ptr_null(strchr(a, '/'));
	ck_assert_ptr_null(strchr(a, ':'));
	ck_assert_ptr_null(strchr(maildir_hostname(), '/'));
	ck_assert_int_eq(maildir_unique_name(a, 10), -1);
}
END_TEST

START_TEST(flags_in_names)
{
	unsigned f;
	uint32_t k;
	char out[300];
	const char *n = "123.M1P2Q3.host,S=10:2,TSRFab";
	maildir_name_flags(n, strlen(n), &f, &k);
	ck_assert_uint_eq(f, MAILDIR_FLAG_TRASHED | MAILDIR_FLAG_SEEN |
	    MAILDIR_FLAG_REPLIED | MAILDIR_FLAG_FLAGGED);
	ck_assert_uint_eq(k, 3);
	ck_assert_uint_eq(maildir_name_base_len(n, strlen(n)), 20);
	maildir_name_flags("x", 1, &f, &k);
	ck_assert_uint_eq(f, 0);
	maildir_name_flags("x:1,S", 5, &f, &k);
	ck_assert_uint_eq(f, 0);
	ck_assert_int_eq(maildir_name_with_flags(n, strlen(n), MAILDIR_FLAG_SEEN |
	    MAILDIR_FLAG_DRAFT | MAILDIR_FLAG_PASSED, (1u << 25) | 4, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "123.M1P2Q3.host,S=10:2,DPScz");
	/* A flag letter we do not know is kept in sorted place. */
	ck_assert_int_eq(maildir_name_with_flags("b:2,XS", 6, MAILDIR_FLAG_SEEN |
	    MAILDIR_FLAG_TRASHED, 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "b:2,STX");
	ck_assert_int_eq(maildir_name_with_flags("b", 1, 0, 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "b:2,");
	uint64_t s;
	ck_assert_int_eq(maildir_name_size("1.a,S=1234,W=1300:2,S", 21, &s), 0);
	ck_assert_uint_eq(s, 1234);
	ck_assert_int_eq(maildir_name_vsize("1.a,S=1234,W=1300:2,S", 21, &s), 0);
	ck_assert_uint_eq(s, 1300);
	ck_assert_int_eq(maildir_name_size("1.a:2,S=5", 9, &s), -1);
	ck_assert_int_eq(maildir_name_size("1.a,S=", 6, &s), -1);
	ck_assert_int_eq(maildir_name_size("1.a,S=99999999999999999999999", 29, &s), -1);
}
END_TEST

START_TEST(deliver_buffer_crlf)
{
	struct maildir_delivery opt = { 0 };
	struct maildir_delivered d;
	char p[4096], data[100];
	opt.crlf_to_lf = 1;
	opt.prefix = "Return-Path: <a@b>\n";
	opt.prefix_len = strlen(opt.prefix);
	const char *msg = "Subject: hi\r\n\r\nline\r\nbare\rcr\r\n";
	ck_assert_int_eq(maildir_deliver_buf(root, msg, strlen(msg), &opt, &d), 0);
	const char *want = "Return-Path: <a@b>\nSubject: hi\n\nline\nbare\rcr\n";
	ck_assert_uint_eq(d.size, strlen(want));
	ck_assert_uint_eq(d.vsize, strlen(want) + 5);
	snprintf(p, sizeof(p), "%s/new/%s", root, d.name);
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t r = read(fd, data, sizeof(data));
	close(fd);
	ck_assert_int_eq(r, (ssize_t)strlen(want));
	ck_assert_mem_eq(data, want, (size_t)r);
	uint64_t s, w;
	ck_assert_int_eq(maildir_name_size(d.name, strlen(d.name), &s), 0);
	ck_assert_int_eq(maildir_name_vsize(d.name, strlen(d.name), &w), 0);
	ck_assert_uint_eq(s, d.size);
	ck_assert_uint_eq(w, d.vsize);
	ck_assert_uint_eq(count_files(root, "tmp"), 0);
	/* Sizes from the name, and from the file for foreign names. */
	ck_assert_int_eq(maildir_message_sizes(root, d.name, 1, &s, &w), 0);
	ck_assert_uint_eq(w, d.vsize);
	snprintf(p, sizeof(p), "%s/cur/foreign:2,S", root);
	mt_write(p, "a\r\nb\nc\n");
	ck_assert_int_eq(maildir_message_sizes(root, "foreign:2,S", 0, &s, &w), 0);
	ck_assert_uint_eq(s, 7);
	ck_assert_uint_eq(w, 9);
	ck_assert_int_eq(maildir_message_sizes(root, "gone", 0, &s, &w), -1);
}
END_TEST

START_TEST(deliver_fd_and_cur)
{
	int pfd[2];
	struct maildir_delivery opt = { 0 };
	struct maildir_delivered d;
	ck_assert_int_eq(pipe(pfd), 0);
	/* A CR at a chunk boundary must still pair with its LF. */
	ck_assert_int_eq(write(pfd[1], "a\r", 2), 2);
	ck_assert_int_eq(write(pfd[1], "\nb\r\n", 4), 4);
	close(pfd[1]);
	opt.crlf_to_lf = 1;
	opt.to_cur = 1;
	opt.flags = MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED;
	opt.keywords = 2;
	opt.io_timeout_ms = 5000;
	ck_assert_int_eq(maildir_deliver_fd(root, pfd[0], &opt, &d), 0);
	close(pfd[0]);
	ck_assert_uint_eq(d.size, 4);
	ck_assert_ptr_nonnull(strstr(d.name, ",S=4,W=6:2,FSb"));
	ck_assert_uint_eq(count_files(root, "cur"), 1);
	ck_assert_uint_eq(count_files(root, "new"), 0);
}
END_TEST

/* read_limited: exactly read_limit bytes of the descriptor (a queue file
 * goes on with its envelope); a shorter file is an error, nothing left. */
START_TEST(deliver_fd_read_limit)
{
	struct maildir_delivery opt = { 0 };
	struct maildir_delivered d;
	char tmpl[] = "/tmp/test_maildir_limit.XXXXXX", got[64];
	int fd = mkstemp(tmpl), in;
	char path[4096];

	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	ck_assert_int_eq(write(fd, "Subject: s\n\nbody\nENVELOPE-TAIL", 30), 30);
	opt.read_limited = 1;
	opt.read_limit = 17;
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(maildir_deliver_fd(root, fd, &opt, &d), 0);
	ck_assert_uint_eq(d.size, 17);
	snprintf(path, sizeof(path), "%s/new/%s", root, d.name);
	in = open(path, O_RDONLY);
	ck_assert_int_ge(in, 0);
	ck_assert_int_eq(read(in, got, sizeof(got)), 17);
	ck_assert_mem_eq(got, "Subject: s\n\nbody\n", 17);
	close(in);
	/* more than the file holds */
	opt.read_limit = 31;
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(maildir_deliver_fd(root, fd, &opt, &d), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_uint_eq(count_files(root, "tmp"), 0);
	ck_assert_uint_eq(count_files(root, "new"), 1);
	/* an empty message */
	opt.read_limit = 0;
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(maildir_deliver_fd(root, fd, &opt, &d), 0);
	ck_assert_uint_eq(d.size, 0);
	close(fd);
}
END_TEST

START_TEST(deliver_limits_and_errors)
{
	struct maildir_delivery opt = { 0 };
	struct maildir_delivered d;
	char big[5000];
	memset(big, 'x', sizeof(big));
	opt.max_size = 1000;
	ck_assert_int_eq(maildir_deliver_buf(root, big, sizeof(big), &opt, &d), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_uint_eq(count_files(root, "tmp"), 0);
	ck_assert_uint_eq(count_files(root, "new"), 0);
	/* Read deadline on a silent pipe. */
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	memset(&opt, 0, sizeof(opt));
	opt.io_timeout_ms = 100;
	ck_assert_int_eq(maildir_deliver_fd(root, pfd[0], &opt, &d), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	close(pfd[0]);
	close(pfd[1]);
	ck_assert_uint_eq(count_files(root, "tmp"), 0);
	ck_assert_int_eq(maildir_deliver_buf("/nonexistent/dir", "x", 1, NULL, &d), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(listing_and_rename)
{
	struct maildir_delivered d1, d2;
	struct maildir_listing l;
	char p[4096], found[300];
	ck_assert_int_eq(maildir_deliver_buf(root, "a\n", 2, NULL, &d1), 0);
	ck_assert_int_eq(maildir_deliver_buf(root, "b\n", 2, NULL, &d2), 0);
	snprintf(p, sizeof(p), "%s/cur/.hidden", root);
	mt_write(p, "x");
	snprintf(p, sizeof(p), "%s/cur/bad\tname", root);
	mt_write(p, "x");
	snprintf(p, sizeof(p), "%s/cur/foreign:2,S", root);
	mt_write(p, "x");
	ck_assert_int_eq(maildir_list(root, 0, &l), 0);
	ck_assert_uint_eq(l.count, 3);
	int nnew = 0, found_foreign = 0;
	for (size_t i = 0; i < l.count; i++) {
		nnew += l.entries[i].in_new;
		if (!strcmp(l.entries[i].name, "foreign:2,S")) {
			found_foreign = 1;
			ck_assert_uint_eq(l.entries[i].base_len, 7);
		}
	}
	ck_assert_int_eq(nnew, 2);
	ck_assert(found_foreign);
	ck_assert(l.cur_mtime.tv_sec > 0);
	maildir_listing_free(&l);
	ck_assert_int_eq(maildir_list(root, 1, &l), 0);
	ck_assert_uint_eq(l.count, 1);
	maildir_listing_free(&l);

	/* new -> cur with flags, then open by the stale name. */
	ck_assert_int_eq(maildir_set_flags(root, d1.name, 1, MAILDIR_FLAG_SEEN, 0,
	    found, sizeof(found)), 0);
	ck_assert_ptr_nonnull(strstr(found, ":2,S"));
	int in_new = -1;
	char cur[300];
	int fd = maildir_open_message(root, d1.name, 1, cur, &in_new);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_str_eq(cur, found);
	ck_assert_int_eq(in_new, 0);
	ck_assert_int_eq(maildir_set_flags(root, d1.name, 1, 0, 0, found, sizeof(found)), -1);
	ck_assert_int_eq(errno, ENOENT);
	snprintf(p, sizeof(p), "%s/new/%s", root, d2.name);
	unlink(p);
	ck_assert_int_eq(maildir_open_message(root, d2.name, 1, NULL, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(maildir_list("/nonexistent", 0, &l), -1);
}
END_TEST

START_TEST(clean_tmp)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/tmp/old", root);
	mt_write(p, "x");
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
	utimensat(AT_FDCWD, p, ts, 0);
	snprintf(p, sizeof(p), "%s/tmp/fresh", root);
	mt_write(p, "x");
	ck_assert_int_eq(maildir_clean_tmp(root, 36 * 3600), 1);
	ck_assert(mt_exists(p));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("maildir");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, folder_names);
	tcase_add_test(tc, folder_ops);
	tcase_add_test(tc, unique_names);
	tcase_add_test(tc, flags_in_names);
	tcase_add_test(tc, deliver_buffer_crlf);
	tcase_add_test(tc, deliver_fd_and_cur);
	tcase_add_test(tc, deliver_fd_read_limit);
	tcase_add_test(tc, deliver_limits_and_errors);
	tcase_add_test(tc, listing_and_rename);
	tcase_add_test(tc, clean_tmp);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
