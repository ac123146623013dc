/* test_maildir_concurrency.c: several processes on one Maildir folder.
 * Two processes assign UIDs and change flags (and one expunges) while a
 * third delivers; afterwards no UID was ever given to two messages, no
 * flag change was lost and expunged UIDs never come back.  Then a writer
 * is SIGKILLed at random moments in the middle of updates, and the index
 * must still be valid (same UIDVALIDITY, every file has its UID). */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "maildir.h"
#include "maildir_index.h"
#include "maildir_test_util.h"

#define INITIAL 60
#define DELIVERIES 120

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

static void
deliver_n(int n)
{
	char text[100];
	for (int i = 0; i < n; i++) {
		int l = snprintf(text, sizeof(text), "Subject: %d\n\nbody %d\n", i, i);
		if (maildir_deliver_buf(root, text, (size_t)l, NULL, NULL) < 0)
			_exit(2);
	}
}

/* Record every (uid, base) a process has seen, one line each. */
static void
log_pairs(FILE *f, const struct maildir_index *idx)
{
	for (size_t i = 0; i < idx->count; i++)
		fprintf(f, "%u %.*s\n", (unsigned)idx->msgs[i].uid,
		    (int)idx->msgs[i].base_len, idx->msgs[i].name);
}

static int
done_exists(void)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/done", root);
	return mt_exists(p);
}

/* A flagger: adds its flag and keyword to every message, pass after pass,
 * until the deliverer is done, then one last pass.  The expunger also
 * removes every message whose UID is a multiple of 7. */
static void
flagger(unsigned flag, uint32_t kw, int expunger, const char *logname)
{
	char err[256], p[4096];
	snprintf(p, sizeof(p), "%s/%s", root, logname);
	FILE *f = fopen(p, "w");
	struct maildir_index *idx = maildir_index_open(root, err, sizeof(err));
	if (!idx || !f)
		_exit(3);
	for (int last = 0; last < 2;) {
		if (done_exists())
			last++;
		if (maildir_index_sync(idx, 0, NULL) < 0)
			_exit(4);
		log_pairs(f, idx);
		/* Copy the UIDs: the array moves under set_flags. */
		size_t n = idx->count;
		uint32_t *uids = malloc((n ? n : 1) * sizeof(*uids));
		for (size_t i = 0; i < n; i++)
			uids[i] = idx->msgs[i].uid;
		for (size_t i = 0; i < n; i++) {
			if (expunger && uids[i] % 7 == 0) {
				if (maildir_index_expunge(idx, uids[i]) < 0)
					_exit(5);
				continue;
			}
			/* Half per message, half in one transaction per pass. */
			if (i % 2 == 0) {
				if (maildir_index_store(idx, uids[i], MAILDIR_STORE_ADD, flag, kw, 0) < 0)
					_exit(6);
			} else {
				if (maildir_index_begin(idx) < 0)
					_exit(7);
				struct maildir_msg *m = maildir_index_find(idx, uids[i]);
				if (m && maildir_index_set_flags(idx, uids[i], m->flags | flag,
				    m->keywords | kw, 0) < 0)
					_exit(8);
				if (maildir_index_end(idx) < 0)
					_exit(9);
			}
		}
		free(uids);
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	log_pairs(f, idx);
	fclose(f);
	maildir_index_free(idx);
	_exit(0);
}

/* Check that no UID names two bases and no base two UIDs across logs. */
static void
check_logs(const char *const *names, int n, struct maildir_index *final)
{
	size_t cap = 1 << 16, cnt = 0;
	struct pair { unsigned uid; char base[256]; } *pairs = calloc(cap, sizeof(*pairs));
	char p[4096], line[512];
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, names[i]);
		FILE *f = fopen(p, "r");
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f)) {
			unsigned uid;
			char base[256];
			if (sscanf(line, "%u %255s", &uid, base) != 2)
				continue;
			int found = 0;
			for (size_t k = 0; k < cnt; k++) {
				if (pairs[k].uid == uid) {
					ck_assert_msg(strcmp(pairs[k].base, base) == 0,
					    "UID %u given to %s and %s", uid, pairs[k].base, base);
					found = 1;
					break;
				}
				ck_assert_msg(strcmp(pairs[k].base, base) != 0,
				    "%s had UIDs %u and %u", base, pairs[k].uid, uid);
			}
			if (!found && cnt < cap) {
				pairs[cnt].uid = uid;
				strcpy(pairs[cnt].base, base);
				cnt++;
			}
		}
		fclose(f);
		unlink(p);
	}
	/* Expunged UIDs (multiples of 7) are gone for good. */
	for (size_t i = 0; i < final->count; i++)
		ck_assert_uint_ne(final->msgs[i].uid % 7, 0);
	free(pairs);
}

START_TEST(two_flaggers_and_a_deliverer)
{
	char err[256], p[4096];
	deliver_n(INITIAL);
	pid_t a = fork();
	if (a == 0)
		flagger(MAILDIR_FLAG_SEEN, 1u << 0, 0, "log-a");
	pid_t b = fork();
	if (b == 0)
		flagger(MAILDIR_FLAG_FLAGGED, 1u << 1, 1, "log-b");
	pid_t d = fork();
	if (d == 0) {
		/* Deliveries arrive over time; some are registered at once
		 * (LMTP/APPEND style), the rest are found by syncs. */
		struct maildir_index *idx = maildir_index_open(root, err, sizeof(err));
		if (!idx)
			_exit(3);
		FILE *f;
		snprintf(p, sizeof(p), "%s/log-d", root);
		f = fopen(p, "w");
		for (int i = 0; i < DELIVERIES; i++) {
			struct maildir_delivered dd;
			if (maildir_deliver_buf(root, "x\n", 2, NULL, &dd) < 0)
				_exit(4);
			if (i % 3 == 0) {
				uint32_t uid;
				if (maildir_index_add(idx, dd.name, 1, &uid) < 0) {
					if (errno == ENOENT)
						continue;   /* expunged meanwhile */
					_exit(5);
				}
				fprintf(f, "%u %.*s\n", (unsigned)uid,
				    (int)maildir_name_base_len(dd.name, strlen(dd.name)), dd.name);
			}
			struct timespec ts = { 0, 2 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		fclose(f);
		maildir_index_free(idx);
		snprintf(p, sizeof(p), "%s/done", root);
		mt_write(p, "");
		_exit(0);
	}
	int st;
	pid_t kids[3] = { a, b, d };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d status %d", i, st);
	}
	snprintf(p, sizeof(p), "%s/done", root);
	unlink(p);
	struct maildir_index *idx = maildir_index_open(root, err, sizeof(err));
	ck_assert_ptr_nonnull(idx);
	size_t total = INITIAL + DELIVERIES;
	/* UIDs 1..total were handed out once each: no gaps from lost work,
	 * none twice; the multiples of 7 were expunged. */
	ck_assert_uint_eq(idx->next_uid, total + 1);
	ck_assert_uint_eq(idx->count, total - total / 7);
	for (size_t i = 0; i < idx->count; i++) {
		struct maildir_msg *m = &idx->msgs[i];
		ck_assert_msg(m->flags == (MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED),
		    "uid %u flags %x (%s)", m->uid, m->flags, m->name);
		ck_assert_uint_eq(m->keywords, 3);
		ck_assert_uint_eq(m->in_new, 0);
	}
	ck_assert_uint_eq(idx->nexpunged, total / 7);
	static const char *const logs[] = { "log-a", "log-b", "log-d" };
	check_logs(logs, 3, idx);
	maildir_index_free(idx);
}
END_TEST

START_TEST(sigkill_mid_update_leaves_valid_state)
{
	char err[256];
	deliver_n(400);
	struct maildir_index *idx = maildir_index_open(root, err, sizeof(err));
	ck_assert_ptr_nonnull(idx);
	uint32_t uidv = idx->uidvalidity;
	/* UID of every base before the kills: none may change. */
	size_t nbefore = idx->count;
	char (*bases)[64] = calloc(nbefore, sizeof(*bases));
	uint32_t *uids = calloc(nbefore, sizeof(*uids));
	for (size_t i = 0; i < nbefore; i++) {
		snprintf(bases[i], sizeof(bases[i]), "%.*s", (int)idx->msgs[i].base_len,
		    idx->msgs[i].name);
		uids[i] = idx->msgs[i].uid;
	}
	maildir_index_free(idx);
	srand((unsigned)getpid());
	for (int round = 0; round < 12; round++) {
		pid_t c = fork();
		if (c == 0) {
			struct maildir_index *x = maildir_index_open(root, err, sizeof(err));
			if (!x)
				_exit(3);
			for (unsigned i = 0;; i++) {
				uint32_t uid = x->msgs[i % x->count].uid;
				maildir_index_store(x, uid, (i / x->count) % 2 ?
				    MAILDIR_STORE_REMOVE : MAILDIR_STORE_ADD,
				    MAILDIR_FLAG_SEEN, 1u << (round % 26), 0);
				if (i % 50 == 0) {
					char t[32];
					int l = snprintf(t, sizeof(t), "r%d-%u\n", round, i);
					maildir_deliver_buf(root, t, (size_t)l, NULL, NULL);
					maildir_index_sync(x, 1, NULL);
				}
			}
		}
		struct timespec ts = { 0, (long)(20 + rand() % 150) * 1000 * 1000 };
		nanosleep(&ts, NULL);
		kill(c, SIGKILL);
		int st;
		waitpid(c, &st, 0);
		ck_assert(WIFSIGNALED(st));
		idx = maildir_index_open(root, err, sizeof(err));
		ck_assert_msg(idx != NULL, "%s", err);
		ck_assert_uint_eq(idx->uidvalidity, uidv);    /* not rebuilt */
		struct maildir_listing l;
		ck_assert_int_eq(maildir_list(root, 0, &l), 0);
		ck_assert_uint_eq(idx->count, l.count);
		for (size_t i = 0; i < idx->count; i++) {
			unsigned f;
			uint32_t k;
			struct maildir_msg *m = &idx->msgs[i];
			maildir_name_flags(m->name, m->name_len, &f, &k);
			ck_assert_uint_eq(m->flags, f);
			ck_assert_uint_eq(m->keywords, k);
			if (i)
				ck_assert_uint_gt(m->uid, idx->msgs[i - 1].uid);
		}
		maildir_listing_free(&l);
		for (size_t i = 0; i < nbefore; i++) {
			struct maildir_msg *m = maildir_index_find(idx, uids[i]);
			ck_assert_ptr_nonnull(m);
			ck_assert_uint_eq(m->base_len, strlen(bases[i]));
			ck_assert(memcmp(m->name, bases[i], m->base_len) == 0);
		}
		maildir_index_free(idx);
	}
	free(bases);
	free(uids);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("maildir_concurrency");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, two_flaggers_and_a_deliverer);
	tcase_add_test(tc, sigkill_mid_update_leaves_valid_state);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
