/* test_maildir_index.c: unit tests for common/maildir_index.c (UID
 * assignment, MODSEQ, flags, expunges, keywords, \Recent, cache, crash
 * and corruption handling, the unchanged-directory fast path). */
#include <check.h>
#include <errno.h>
#include <sys/stat.h>
#include "buf.h"
#include "maildir.h"
#include "maildir_index.h"
#include "maildir_test_util.h"

static char *root;
static char err[256];

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

static void
deliver(const char *text, char *name_out)
{
	struct maildir_delivered d;
	ck_assert_int_eq(maildir_deliver_buf(root, text, strlen(text), NULL, &d), 0);
	if (name_out)
		strcpy(name_out, d.name);
}

static struct maildir_index *
open_idx(void)
{
	struct maildir_index *idx = maildir_index_open(root, err, sizeof(err));
	ck_assert_msg(idx != NULL, "%s", err);
	return idx;
}

START_TEST(assigns_uids_and_persists)
{
	char n[3][300];
	struct maildir_index *idx = open_idx();
	ck_assert_uint_ne(idx->uidvalidity, 0);
	ck_assert_uint_eq(idx->count, 0);
	ck_assert_uint_eq(idx->next_uid, 1);
	uint32_t uidv = idx->uidvalidity;
	for (int i = 0; i < 3; i++)
		deliver("Subject: x\n\nbody\n", n[i]);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(idx->msgs[i].uid, (uint32_t)i + 1);
		ck_assert_str_eq(idx->msgs[i].name, n[i]);   /* delivery order */
		ck_assert_uint_eq(idx->msgs[i].in_new, 1);
	}
	ck_assert(idx->msgs[0].modseq < idx->msgs[2].modseq);
	ck_assert_uint_eq(idx->highest_modseq, idx->msgs[2].modseq);
	ck_assert_uint_eq(idx->next_uid, 4);
	maildir_index_free(idx);

	idx = open_idx();
	ck_assert_uint_eq(idx->uidvalidity, uidv);
	ck_assert_uint_eq(idx->count, 3);
	ck_assert_str_eq(maildir_index_find(idx, 2)->name, n[1]);
	ck_assert_ptr_null(maildir_index_find(idx, 4));
	ck_assert_uint_eq(maildir_index_seq_of(idx, 2), 1);
	ck_assert_uint_eq(maildir_index_seq_of(idx, 9), 3);
	int fd = maildir_index_open_msg(idx, 3);
	ck_assert_int_ge(fd, 0);
	close(fd);
	maildir_index_free(idx);
}
END_TEST

START_TEST(flags_modseq_and_others)
{
	char n[300], p[4096], q[4096];
	deliver("a\n", NULL);
	deliver("b\n", n);
	struct maildir_index *idx = open_idx();
	uint64_t hm = idx->highest_modseq;
	ck_assert_int_eq(maildir_index_set_flags(idx, 2, MAILDIR_FLAG_SEEN, 1, 0), 0);
	struct maildir_msg *m = maildir_index_find(idx, 2);
	ck_assert_uint_eq(m->flags, MAILDIR_FLAG_SEEN);
	ck_assert_uint_eq(m->in_new, 0);
	ck_assert_uint_eq(m->modseq, hm + 1);
	snprintf(p, sizeof(p), "%s/cur/%s:2,Sa", root, n);
	ck_assert(mt_exists(p));
	/* Same flags again: no change, no new MODSEQ. */
	ck_assert_int_eq(maildir_index_set_flags(idx, 2, MAILDIR_FLAG_SEEN, 1, 0), 0);
	ck_assert_uint_eq(idx->highest_modseq, hm + 1);
	/* CONDSTORE UNCHANGEDSINCE. */
	ck_assert_int_eq(maildir_index_set_flags(idx, 2, 0, 0, hm), 2);
	ck_assert_int_eq(maildir_index_set_flags(idx, 99, 0, 0, 0), 1);

	/* Another program (mutt) changes flags behind our back. */
	snprintf(q, sizeof(q), "%s/cur/%s:2,FS", root, n);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	m = maildir_index_find(idx, 2);
	ck_assert_uint_eq(m->flags, MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED);
	ck_assert_uint_eq(m->keywords, 0);
	ck_assert_uint_eq(m->modseq, hm + 2);
	/* And our next change follows the new name. */
	ck_assert_int_eq(maildir_index_set_flags(idx, 2, MAILDIR_FLAG_REPLIED, 0, 0), 0);
	snprintf(p, sizeof(p), "%s/cur/%s:2,R", root, n);
	ck_assert(mt_exists(p));

	/* ... or deletes a file: recorded as expunged with a MODSEQ. */
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 1);
	ck_assert_uint_eq(idx->nexpunged, 1);
	ck_assert_uint_eq(idx->expunged[0].uid, 2);
	ck_assert_uint_eq(idx->expunged[0].modseq, idx->highest_modseq);
	ck_assert_int_eq(maildir_index_set_flags(idx, 2, 0, 0, 0), 1);
	maildir_index_free(idx);

	/* A second object (another session) sees all of it. */
	idx = open_idx();
	ck_assert_uint_eq(idx->count, 1);
	ck_assert_uint_eq(idx->nexpunged, 1);
	maildir_index_free(idx);
}
END_TEST

START_TEST(two_sessions_follow_each_other)
{
	deliver("a\n", NULL);
	struct maildir_index *a = open_idx();
	struct maildir_index *b = open_idx();
	ck_assert_int_eq(maildir_index_set_flags(a, 1, MAILDIR_FLAG_SEEN, 0, 0), 0);
	/* b's copy is stale; its change must start from a's state. */
	ck_assert_int_eq(maildir_index_set_flags(b, 1, MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED, 0, 0), 0);
	ck_assert_int_eq(maildir_index_sync(a, 0, NULL), 0);
	ck_assert_uint_eq(maildir_index_find(a, 1)->flags, MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED);
	deliver("b\n", NULL);
	ck_assert_int_eq(maildir_index_sync(a, 0, NULL), 0);
	ck_assert_int_eq(maildir_index_sync(b, 0, NULL), 0);
	ck_assert_uint_eq(a->count, 2);
	ck_assert_uint_eq(b->count, 2);
	ck_assert_uint_eq(b->msgs[1].uid, 2);
	ck_assert_uint_eq(a->highest_modseq, b->highest_modseq);
	maildir_index_free(a);
	maildir_index_free(b);
}
END_TEST

START_TEST(expunge_add_keywords_recent)
{
	struct maildir_delivered d;
	uint32_t uid, first;
	deliver("a\n", NULL);
	deliver("b\n", NULL);
	struct maildir_index *idx = open_idx();
	ck_assert_int_eq(maildir_index_sync(idx, 1, &first), 0);
	ck_assert_uint_eq(first, 1);
	ck_assert_int_eq(maildir_index_sync(idx, 1, &first), 0);
	ck_assert_uint_eq(first, 3);   /* nothing recent for the next one */

	ck_assert_int_eq(maildir_index_expunge(idx, 1), 0);
	ck_assert_uint_eq(idx->count, 1);
	ck_assert_uint_eq(idx->nexpunged, 1);
	ck_assert_int_eq(maildir_index_expunge(idx, 1), 0);
	ck_assert_uint_eq(idx->nexpunged, 1);

	/* APPEND: deliver into cur/ with flags, register, get the UID. */
	struct maildir_delivery opt = { 0 };
	opt.to_cur = 1;
	opt.flags = MAILDIR_FLAG_SEEN;
	ck_assert_int_eq(maildir_deliver_buf(root, "c\n", 2, &opt, &d), 0);
	ck_assert_int_eq(maildir_index_add(idx, d.name, 0, &uid), 0);
	ck_assert_uint_eq(uid, 3);
	ck_assert_uint_eq(maildir_index_find(idx, 3)->flags, MAILDIR_FLAG_SEEN);
	ck_assert_int_eq(maildir_index_add(idx, d.name, 0, &uid), 0);
	ck_assert_uint_eq(uid, 3);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 2);
	ck_assert_uint_eq(idx->next_uid, 4);

	ck_assert_int_eq(maildir_index_keyword(idx, "$Junk", 5, 0), -1);
	ck_assert_int_eq(maildir_index_keyword(idx, "$Junk", 5, 1), 0);
	ck_assert_int_eq(maildir_index_keyword(idx, "$junk", 5, 0), 0);
	ck_assert_int_eq(maildir_index_keyword(idx, "bad kw", 6, 1), -1);
	ck_assert_int_eq(maildir_index_keyword(idx, "\\Seen", 5, 1), -1);
	char kw[16];
	for (int i = 1; i < 26; i++) {
		int n = snprintf(kw, sizeof(kw), "k%d", i);
		ck_assert_int_eq(maildir_index_keyword(idx, kw, (size_t)n, 1), i);
	}
	ck_assert_int_eq(maildir_index_keyword(idx, "full", 4, 1), -1);
	maildir_index_free(idx);
	idx = open_idx();
	ck_assert_str_eq(idx->keywords[0], "$Junk");
	ck_assert_str_eq(idx->keywords[25], "k25");
	maildir_index_free(idx);
}
END_TEST

START_TEST(cache_blobs)
{
	deliver("a\n", NULL);
	deliver("b\n", NULL);
	struct maildir_index *idx = open_idx();
	size_t len;
	ck_assert_ptr_null(maildir_index_cache_get(idx, 1, &len));
	ck_assert_int_eq(maildir_index_cache_set(idx, 1, "envelope-1", 10), 0);
	ck_assert_int_eq(maildir_index_cache_set(idx, 2, "e2", 2), 0);
	ck_assert_int_eq(maildir_index_cache_set(idx, 7, "x", 1), -1);
	maildir_index_free(idx);
	idx = open_idx();
	const char *b = maildir_index_cache_get(idx, 1, &len);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(len, 10);
	ck_assert_mem_eq(b, "envelope-1", 10);
	ck_assert_int_eq(maildir_index_expunge(idx, 1), 0);
	ck_assert_int_eq(maildir_index_cache_set(idx, 2, "e2b", 3), 0);
	maildir_index_free(idx);
	idx = open_idx();
	ck_assert_ptr_null(maildir_index_cache_get(idx, 1, &len));
	b = maildir_index_cache_get(idx, 2, &len);
	ck_assert_uint_eq(len, 3);
	maildir_index_free(idx);
	/* A damaged cache is ignored. */
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", root, MAILDIR_CACHE_FILE);
	mt_write(p, "PSTNCCH\001garbage-garbage");
	idx = open_idx();
	ck_assert_ptr_null(maildir_index_cache_get(idx, 2, &len));
	maildir_index_free(idx);
}
END_TEST

START_TEST(damaged_index_rebuilds)
{
	char p[4096];
	deliver("a\n", NULL);
	deliver("b\n", NULL);
	struct maildir_index *idx = open_idx();
	uint32_t uidv = idx->uidvalidity;
	maildir_index_free(idx);
	snprintf(p, sizeof(p), "%s/%s", root, MAILDIR_INDEX_FILE);
	int fd = open(p, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "\xff", 1, 40), 1);
	close(fd);
	idx = open_idx();
	ck_assert_uint_gt(idx->uidvalidity, uidv);
	ck_assert_uint_eq(idx->count, 2);
	ck_assert_uint_eq(idx->msgs[1].uid, 2);
	maildir_index_free(idx);
	/* Truncated (a writer that died before rename leaves .tmp only,
	 * but a truncated main file must be caught too). */
	ck_assert_int_eq(truncate(p, 30), 0);
	idx = open_idx();
	ck_assert_uint_eq(idx->count, 2);
	maildir_index_free(idx);
	/* A stale .tmp from a killed writer is harmless. */
	snprintf(p, sizeof(p), "%s/%s.tmp", root, MAILDIR_INDEX_FILE);
	mt_write(p, "half a file");
	idx = open_idx();
	uidv = idx->uidvalidity;
	ck_assert_int_eq(maildir_index_set_flags(idx, 1, MAILDIR_FLAG_SEEN, 0, 0), 0);
	maildir_index_free(idx);
	idx = open_idx();
	ck_assert_uint_eq(idx->uidvalidity, uidv);
	ck_assert_uint_eq(maildir_index_find(idx, 1)->flags, MAILDIR_FLAG_SEEN);
	maildir_index_free(idx);
}
END_TEST

START_TEST(flag_changes_go_to_the_log)
{
	char p[4096], n[300];
	struct stat st1, st2;
	deliver("a\n", NULL);
	deliver("b\n", n);
	struct maildir_index *idx = open_idx();
	struct maildir_index *other = open_idx();
	snprintf(p, sizeof(p), "%s/%s", root, MAILDIR_INDEX_FILE);
	ck_assert_int_eq(stat(p, &st1), 0);
	uint64_t gen = idx->generation;
	ck_assert_int_eq(maildir_index_store(idx, 2, MAILDIR_STORE_ADD, MAILDIR_FLAG_SEEN, 0, 0), 0);
	ck_assert_int_eq(maildir_index_store(idx, 1, MAILDIR_STORE_ADD, MAILDIR_FLAG_FLAGGED, 0, 0), 0);
	ck_assert_int_eq(stat(p, &st2), 0);
	ck_assert_uint_eq(st1.st_ino, st2.st_ino);      /* not rewritten */
	ck_assert_uint_eq(idx->generation, gen);
	snprintf(p, sizeof(p), "%s/%s", root, MAILDIR_INDEX_LOG);
	ck_assert(mt_exists(p));
	/* Another session picks the changes up from the log. */
	ck_assert_int_eq(maildir_index_sync(other, 0, NULL), 0);
	ck_assert_uint_eq(maildir_index_find(other, 2)->flags, MAILDIR_FLAG_SEEN);
	ck_assert_uint_eq(maildir_index_find(other, 1)->flags, MAILDIR_FLAG_FLAGGED);
	ck_assert_uint_eq(other->highest_modseq, idx->highest_modseq);
	/* A torn record at the end (a killed writer) is ignored... */
	int fd = open(p, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, "\x20\0\0\0garbage", 11), 11);
	close(fd);
	maildir_index_free(other);
	other = open_idx();
	ck_assert_uint_eq(maildir_index_find(other, 2)->flags, MAILDIR_FLAG_SEEN);
	/* ... and cut off by the next append. */
	ck_assert_int_eq(maildir_index_store(other, 2, MAILDIR_STORE_ADD, MAILDIR_FLAG_REPLIED, 0, 0), 0);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(maildir_index_find(idx, 2)->flags, MAILDIR_FLAG_SEEN | MAILDIR_FLAG_REPLIED);
	/* Any other change rewrites the index and voids the log. */
	ck_assert_int_eq(maildir_index_expunge(idx, 1), 0);
	ck_assert_uint_gt(idx->generation, gen);
	maildir_index_free(other);
	other = open_idx();
	ck_assert_uint_eq(other->count, 1);
	ck_assert_uint_eq(maildir_index_find(other, 2)->flags, MAILDIR_FLAG_SEEN | MAILDIR_FLAG_REPLIED);
	maildir_index_free(other);
	maildir_index_free(idx);
}
END_TEST

START_TEST(serialize_roundtrip_and_rejects)
{
	struct maildir_index *a = maildir_index_new_empty(), *b = maildir_index_new_empty();
	struct buf s = BUF_INIT, t = BUF_INIT;
	a->uidvalidity = 77;
	a->next_uid = 10;
	a->highest_modseq = 20;
	a->keywords[3] = strdup("$Label1");
	/* Build two messages through the parser of a hand-made index: use
	 * serialize of a, then add messages by parsing back. */
	maildir_index_serialize(a, &s);
	ck_assert_int_eq(maildir_index_parse(b, s.p, s.len), 0);
	ck_assert_uint_eq(b->uidvalidity, 77);
	ck_assert_uint_eq(b->next_uid, 10);
	ck_assert_str_eq(b->keywords[3], "$Label1");
	maildir_index_serialize(b, &t);
	ck_assert_uint_eq(s.len, t.len);
	ck_assert_mem_eq(s.p, t.p, s.len);
	/* Every single-byte change and every truncation is rejected. */
	for (size_t i = 0; i < s.len; i++) {
		s.p[i] ^= 0x01;
		ck_assert_int_eq(maildir_index_parse(b, s.p, s.len), -1);
		s.p[i] ^= 0x01;
		ck_assert_int_eq(maildir_index_parse(b, s.p, i), -1);
	}
	ck_assert_uint_eq(b->count, 0);
	buf_free(&s);
	buf_free(&t);
	maildir_index_free(a);
	maildir_index_free(b);
}
END_TEST

START_TEST(unchanged_folder_skips_scan)
{
	char p[4096], n[300];
	deliver("a\n", NULL);
	/* Age the directories so that their mtimes are trustworthy. */
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	snprintf(p, sizeof(p), "%s/new", root);
	utimensat(AT_FDCWD, p, old, 0);
	snprintf(p, sizeof(p), "%s/cur", root);
	utimensat(AT_FDCWD, p, old, 0);
	struct maildir_index *idx = open_idx();
	ck_assert_uint_eq(idx->count, 1);
	/* A new file, with new/'s mtime put back: the sync trusts the
	 * mtime and does not read the directory... */
	deliver("b\n", n);
	snprintf(p, sizeof(p), "%s/new", root);
	utimensat(AT_FDCWD, p, old, 0);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 1);
	/* ... and reads it once the mtime moves. */
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	utimensat(AT_FDCWD, p, now, 0);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 2);
	maildir_index_free(idx);
}
END_TEST

START_TEST(duplicate_base_and_foreign_names)
{
	char p[4096], q[4096];
	snprintf(p, sizeof(p), "%s/new/100.foreign", root);
	mt_write(p, "x");
	snprintf(q, sizeof(q), "%s/cur/100.foreign:2,S", root);
	mt_write(q, "x");   /* a mover between link and unlink */
	snprintf(p, sizeof(p), "%s/cur/.dotfile", root);
	mt_write(p, "x");
	snprintf(p, sizeof(p), "%s/cur/99.earlier:2,", root);
	mt_write(p, "x");
	struct maildir_index *idx = open_idx();
	ck_assert_uint_eq(idx->count, 2);
	ck_assert_str_eq(idx->msgs[0].name, "99.earlier:2,");
	ck_assert_str_eq(idx->msgs[1].name, "100.foreign:2,S");
	ck_assert_uint_eq(idx->msgs[1].in_new, 0);
	maildir_index_free(idx);
}
END_TEST

/* Two deliveries in one second: the microsecond and counter fields are
 * numbers of any width, so M8849 comes before M12843 and Q9 before Q10
 * (a plain string order gave the later message the lower UID). */
START_TEST(same_second_numeric_order)
{
	static const char *names[] = { "1700000000.M12843P7Q1.h",
	    "1700000000.M8849P7Q10.h", "1700000000.M8849P7Q9.h",
	    "1700000000.M012844P7Q1.h" };
	char p[4096];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/new/%s", root, names[i]);
		mt_write(p, "x");
	}
	struct maildir_index *idx = open_idx();
	ck_assert_uint_eq(idx->count, 4);
	ck_assert_str_eq(idx->msgs[0].name, names[2]);
	ck_assert_str_eq(idx->msgs[1].name, names[1]);
	ck_assert_str_eq(idx->msgs[2].name, names[0]);
	ck_assert_str_eq(idx->msgs[3].name, names[3]);
	maildir_index_free(idx);
}
END_TEST

/* Generation field of postern-index on disk. */
static uint64_t
disk_gen(void)
{
	char p[4096];
	unsigned char h[16];
	snprintf(p, sizeof(p), "%s/%s", root, MAILDIR_INDEX_FILE);
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, h, 16, 0), 16);
	close(fd);
	uint64_t g = 0;
	for (int i = 15; i >= 8; i--)
		g = g << 8 | h[i];
	return g;
}

static void
write_index_file(const struct buf *b)
{
	char p[4096], t[4096];
	snprintf(p, sizeof(p), "%s/%s", root, MAILDIR_INDEX_FILE);
	snprintf(t, sizeof(t), "%s/test.tmp", root);
	int fd = open(t, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b->p, b->len), (ssize_t)b->len);
	close(fd);
	ck_assert_int_eq(rename(t, p), 0);
}

START_TEST(old_format_is_read_and_upgraded_once)
{
	char n[2][300], p[4096];
	deliver("a\n", n[0]);
	deliver("b\n", n[1]);
	struct maildir_index *idx = open_idx();
	ck_assert_int_eq(maildir_index_set_flags(idx, 2, MAILDIR_FLAG_SEEN, 0, 0), 0);
	uint32_t uidv = idx->uidvalidity;
	uint64_t hms = idx->highest_modseq;
	const char *seen_name = maildir_index_find(idx, 2)->name;
	char keep[300];
	snprintf(keep, sizeof(keep), "%s", seen_name);
	maildir_index_free(idx);
	/* Fold the log in, then write the same state as version 1. */
	idx = open_idx();
	struct buf b = BUF_INIT;
	ck_assert_uint_eq(idx->format, 2);
	idx->format = 1;
	maildir_index_serialize(idx, &b);
	maildir_index_free(idx);
	ck_assert_mem_eq(b.p, "PSTNIDX\001", 8);
	/* Version 1 checksums still catch a flipped bit. */
	struct maildir_index *t = maildir_index_new_empty();
	ck_assert_int_eq(maildir_index_parse(t, b.p, b.len), 0);
	ck_assert_uint_eq(t->format, 1);
	ck_assert_str_eq(t->msgs[0].name, n[0]);
	for (size_t i = 0; i < b.len; i++) {
		b.p[i] ^= 0x10;
		ck_assert_int_eq(maildir_index_parse(t, b.p, b.len), -1);
		b.p[i] ^= 0x10;
	}
	maildir_index_free(t);
	snprintf(p, sizeof(p), "%s/%s.log", root, MAILDIR_INDEX_FILE);
	unlink(p);
	write_index_file(&b);
	buf_free(&b);
	uint64_t g = disk_gen();
	idx = open_idx();
	ck_assert_uint_eq(idx->uidvalidity, uidv);   /* not "damaged" */
	ck_assert_uint_eq(idx->count, 2);
	ck_assert_uint_eq(idx->highest_modseq, hms);
	ck_assert_str_eq(maildir_index_find(idx, 1)->name, n[0]);
	ck_assert_str_eq(maildir_index_find(idx, 2)->name, keep);
	ck_assert_uint_eq(maildir_index_find(idx, 2)->flags, MAILDIR_FLAG_SEEN);
	maildir_index_free(idx);
	/* Rewritten once as version 2; later opens do not write. */
	ck_assert_uint_eq(disk_gen(), g + 1);
	char h[8];
	snprintf(p, sizeof(p), "%s/%s", root, MAILDIR_INDEX_FILE);
	int fd = open(p, O_RDONLY);
	ck_assert_int_eq(read(fd, h, 8), 8);
	close(fd);
	ck_assert_mem_eq(h, "PSTNIDX\002", 8);
	idx = open_idx();
	ck_assert_uint_eq(idx->format, 2);
	maildir_index_free(idx);
	ck_assert_uint_eq(disk_gen(), g + 1);
}
END_TEST

START_TEST(open_claim_syncs_and_writes_once)
{
	struct maildir_index *idx = open_idx();
	maildir_index_free(idx);
	deliver("a\n", NULL);
	deliver("b\n", NULL);
	uint64_t g = disk_gen();
	uint32_t first = 0;
	idx = maildir_index_open_claim(root, &first, err, sizeof(err));
	ck_assert_msg(idx != NULL, "%s", err);
	ck_assert_uint_eq(idx->count, 2);
	ck_assert_uint_eq(first, 1);
	ck_assert_uint_eq(idx->recent_uid, idx->next_uid);
	maildir_index_free(idx);
	/* New UIDs and the \Recent claim went out in one write. */
	ck_assert_uint_eq(disk_gen(), g + 1);
	/* Nothing new: nothing recent, no write. */
	idx = maildir_index_open_claim(root, &first, err, sizeof(err));
	ck_assert_msg(idx != NULL, "%s", err);
	ck_assert_uint_eq(first, 3);
	ck_assert_ptr_nonnull(maildir_index_find(idx, 2));
	maildir_index_free(idx);
	ck_assert_uint_eq(disk_gen(), g + 1);
	/* NULL first_recent (POP3) still claims. */
	deliver("c\n", NULL);
	idx = maildir_index_open_claim(root, NULL, err, sizeof(err));
	ck_assert_msg(idx != NULL, "%s", err);
	maildir_index_free(idx);
	ck_assert_uint_eq(disk_gen(), g + 2);
	idx = open_idx();
	ck_assert_uint_eq(idx->recent_uid, 4);
	ck_assert_uint_eq(idx->count, 3);
	maildir_index_free(idx);
}
END_TEST

START_TEST(names_checked_in_words_and_checksum_lanes)
{
	char n[300];
	deliver("a\n", n);
	struct maildir_index *idx = open_idx();
	uint32_t uid;
	/* A bad byte anywhere in a long name: the 8-byte-word test must
	 * find it in the first word, a middle one and the tail. */
	static const char *bad[] = { "0123/56789abcdefghij", "0123456789ab/defghij",
	    "0123456789abcdefghi/", "01234567\001abcdefghij", "0123456789abcdef\177hij",
	    "0123456789abcdefghijklmnopqrstu\037" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_int_eq(maildir_index_add(idx, bad[i], 1, &uid), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	/* High bytes (UTF-8) and spaces are fine as names; absent: ENOENT. */
	errno = 0;
	ck_assert_int_eq(maildir_index_add(idx, "0123456789 \xc3\xa9\xff\x80 abcdefgh", 1, &uid), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Two flips of the same top bit in one checksum lane (bytes 15 and
	 * 47: the generation and new/'s mtime) must not cancel out. */
	struct buf b = BUF_INIT;
	maildir_index_serialize(idx, &b);
	ck_assert_uint_gt(b.len, 100);
	struct maildir_index *t = maildir_index_new_empty();
	ck_assert_int_eq(maildir_index_parse(t, b.p, b.len), 0);
	ck_assert_str_eq(t->msgs[0].name, n);
	b.p[15] ^= (char)0x80;
	b.p[47] ^= (char)0x80;
	ck_assert_int_eq(maildir_index_parse(t, b.p, b.len), -1);
	b.p[15] ^= (char)0x80;
	b.p[47] ^= (char)0x80;
	/* Two words of one lane swapped (bytes 8-15 and 40-47). */
	char w[8];
	memcpy(w, b.p + 8, 8);
	memcpy(b.p + 8, b.p + 40, 8);
	memcpy(b.p + 40, w, 8);
	ck_assert_int_eq(maildir_index_parse(t, b.p, b.len), -1);
	buf_free(&b);
	maildir_index_free(t);
	maildir_index_free(idx);
}
END_TEST

START_TEST(new_only_sync_when_cur_unchanged)
{
	char p[4096], q[4096], n[4][300];
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char newd[4096], curd[4096];
	snprintf(newd, sizeof(newd), "%s/new", root);
	snprintf(curd, sizeof(curd), "%s/cur", root);
	for (int i = 0; i < 3; i++)
		deliver("x\n", n[i]);
	struct maildir_index *idx = open_idx();
	ck_assert_int_eq(maildir_index_set_flags(idx, 1, MAILDIR_FLAG_SEEN, 0, 0), 0);
	utimensat(AT_FDCWD, newd, old, 0);
	utimensat(AT_FDCWD, curd, old, 0);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 3);
	/* A file slipped into cur/ with cur/'s mtime put back, then a
	 * delivery: the sync reads new/ only (it does not see the file). */
	snprintf(p, sizeof(p), "%s/cur/1000000001.sneaky.host:2,", root);
	mt_write(p, "y\n");
	utimensat(AT_FDCWD, curd, old, 0);
	deliver("z\n", n[3]);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 4);
	ck_assert_str_eq(maildir_index_find(idx, 4)->name, n[3]);
	ck_assert_uint_eq(maildir_index_find(idx, 1)->in_new, 0);
	/* A message deleted from new/: expunged; cur/'s stay. */
	snprintf(p, sizeof(p), "%s/new/%s", root, n[2]);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 3);
	ck_assert_ptr_null(maildir_index_find(idx, 3));
	ck_assert_ptr_nonnull(maildir_index_find(idx, 1));
	/* A message moved new/ -> cur/ moves cur/'s mtime: both are read,
	 * the message is kept (now in cur/), the slipped-in file found. */
	snprintf(p, sizeof(p), "%s/new/%s", root, n[1]);
	snprintf(q, sizeof(q), "%s/cur/%s:2,S", root, n[1]);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(maildir_index_sync(idx, 0, NULL), 0);
	ck_assert_uint_eq(idx->count, 4);
	ck_assert_uint_eq(maildir_index_find(idx, 2)->in_new, 0);
	ck_assert_uint_eq(maildir_index_find(idx, 2)->flags, MAILDIR_FLAG_SEEN);
	ck_assert_uint_eq(idx->msgs[3].uid, 5);
	maildir_index_free(idx);
}
END_TEST

/* A batch (outer transaction) renames through descriptors of new/ and
 * cur/ that live only as long as the batch. */
START_TEST(batch_flag_renames)
{
	char n[3][300], p[4096];
	for (int i = 0; i < 3; i++)
		deliver("Subject: x\n\nbody\n", n[i]);
	struct maildir_index *idx = open_idx();
	ck_assert_int_eq(maildir_index_begin(idx), 0);
	for (uint32_t uid = 1; uid <= 3; uid++)
		ck_assert_int_eq(maildir_index_set_flags(idx, uid,
		    uid == 2 ? MAILDIR_FLAG_FLAGGED | MAILDIR_FLAG_SEEN : MAILDIR_FLAG_FLAGGED, 0, 0), 0);
	ck_assert_int_ge(idx->curfd, 0);
	ck_assert_int_eq(maildir_index_end(idx), 0);
	ck_assert_int_eq(idx->newfd, -1);
	ck_assert_int_eq(idx->curfd, -1);
	snprintf(p, sizeof(p), "%s/cur/%s:2,F", root, n[0]);
	ck_assert(mt_exists(p));
	snprintf(p, sizeof(p), "%s/cur/%s:2,FS", root, n[1]);
	ck_assert(mt_exists(p));
	snprintf(p, sizeof(p), "%s/new/%s", root, n[2]);
	ck_assert(!mt_exists(p));
	maildir_index_free(idx);
	idx = open_idx();
	ck_assert_uint_eq(maildir_index_find(idx, 3)->flags, MAILDIR_FLAG_FLAGGED);
	maildir_index_free(idx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("maildir_index");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, assigns_uids_and_persists);
	tcase_add_test(tc, flags_modseq_and_others);
	tcase_add_test(tc, two_sessions_follow_each_other);
	tcase_add_test(tc, expunge_add_keywords_recent);
	tcase_add_test(tc, cache_blobs);
	tcase_add_test(tc, damaged_index_rebuilds);
	tcase_add_test(tc, flag_changes_go_to_the_log);
	tcase_add_test(tc, serialize_roundtrip_and_rejects);
	tcase_add_test(tc, unchanged_folder_skips_scan);
	tcase_add_test(tc, duplicate_base_and_foreign_names);
	tcase_add_test(tc, same_second_numeric_order);
	tcase_add_test(tc, batch_flag_renames);
	tcase_add_test(tc, old_format_is_read_and_upgraded_once);
	tcase_add_test(tc, open_claim_syncs_and_writes_once);
	tcase_add_test(tc, names_checked_in_words_and_checksum_lanes);
	tcase_add_test(tc, new_only_sync_when_cur_unchanged);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
