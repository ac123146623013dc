/* test_imap_search.c: unit tests for SEARCH key parsing and evaluation
 * (imapd/imap_search_parse.c, imap_search_eval.c): every key of RFC 3501
 * / RFC 9051 against a few parsed messages, NOT/OR/nesting, sets and "$",
 * dates (date-text and Date: header forms), i;unicode-casemap substring
 * matching on RFC 2047 words and on base64 / quoted-printable bodies in
 * other charsets, and syntax errors. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "imap_search.h"
#include "maildir.h"

static const char *texts[] = {
	"From: Smith <smith@example.test>\r\nTo: jones@example.test\r\n"
	"Subject: =?ISO-8859-1?Q?Caf=E9?= meeting\r\n"
	"Date: Wed, 17 Jul 1996 02:23:25 -0700\r\n\r\nSee you at the cafe.\r\n",

	"From: jones@example.test\r\nSubject: Re: meeting\r\n"
	"Date: 1 Feb 94 10:00:00 +0000\r\nX-Tag: alpha\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"R3LDvMOfZSBhdXMgZGVyIFN0cmHDn2UK\r\n",

	"From: other@example.test\r\nSubject: report\r\n"
	"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	"Na=EFve r=E9sum=E9=\r\n here\r\n--x\r\n"
	"Content-Type: message/rfc822\r\n\r\n"
	"Subject: inner secret\r\n\r\ninner words\r\n--x\r\n"
	"Content-Type: application/octet-stream\r\n\r\nbinaryword\r\n--x--\r\n",
};
#define NMSG 3

static struct message *msgs[NMSG];
static int need_calls;

static int
need(void *ctx, struct imap_search_msg *m, int what)
{
	need_calls++;
	if (what & SNEED_DATE)
		m->day = imap_days_from_civil(1996, 7, 17) + (int64_t)m->seq;
	if (what & SNEED_SIZE)
		m->size = msgs[m->seq - 1]->size;
	if (what & SNEED_MSG)
		m->msg = msgs[m->seq - 1];
	if (what & SNEED_HDR)
		m->hdr = msgs[m->seq - 1];
	return 0;
}

static int
kw(void *ctx, const char *p, size_t len)
{
	if (len == 5 && strncasecmp(p, "$Work", 5) == 0)
		return 3;
	return -1;
}

static const uint32_t saved[] = { 20, 30 };

/* Parse "keys" (through the real command reader) and return the
 * matching sequence numbers as a string "1 3", or "BAD" for a parse
 * error. */
static char result[64];

static const char *
run(const char *keys)
{
	char line[2048], tag[80], reason[200];
	struct imap_limits lim;
	struct imap_cmd *cmd;
	struct io *io;
	struct imap_search_env env;
	struct imap_skey *k;
	const char *why;
	int devnull = open("/dev/null", O_WRONLY), um, r;
	uint32_t i;

	snprintf(line, sizeof(line), "a SEARCH %s\r\n", keys);
	io = io_new(-1, devnull, 1000);
	io_unread(io, line, strlen(line));
	io->in_eof = 1;
	imap_limits_default(&lim);
	r = imap_read_command(io, &lim, 1, &cmd, tag, sizeof(tag), reason,
	    sizeof(reason));
	io_free(io);
	close(devnull);
	if (r != IMAP_READ_OK)
		return "READ";
	memset(&env, 0, sizeof(env));
	env.max_seq = NMSG;
	env.max_uid = 30;
	env.keyword = kw;
	k = imap_search_parse(cmd->args, cmd->nargs, &env, &um, &why);
	if (k == NULL) {
		imap_cmd_free(cmd);
		return "BAD";
	}
	result[0] = '\0';
	for (i = 1; i <= NMSG; i++) {
		struct imap_search_msg m;
		memset(&m, 0, sizeof(m));
		m.seq = i;
		m.uid = i * 10;
		m.flags = i == 1 ? MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED :
		    i == 2 ? MAILDIR_FLAG_REPLIED : MAILDIR_FLAG_TRASHED;
		m.keywords = i == 2 ? 1u << 3 : 0;
		m.recent = i == 3;
		m.modseq = 100 + i;
		m.saved = saved;
		m.nsaved = 2;
		m.saved_ok = 1;
		m.need = need;
		if (imap_search_match(k, &m))
			snprintf(result + strlen(result),
			    sizeof(result) - strlen(result), "%s%u",
			    result[0] ? " " : "", i);
	}
	imap_skey_free(k);
	imap_cmd_free(cmd);
	return result;
}

static void
setup(void)
{
	size_t i;

	for (i = 0; i < NMSG; i++)
		msgs[i] = message_parse(texts[i], strlen(texts[i]), NULL);
}

static void
teardown(void)
{
	size_t i;

	for (i = 0; i < NMSG; i++)
		message_free(msgs[i]);
}

START_TEST(flags)
{
	ck_assert_str_eq(run("ALL"), "1 2 3");
	ck_assert_str_eq(run("SEEN"), "1");
	ck_assert_str_eq(run("UNSEEN"), "2 3");
	ck_assert_str_eq(run("FLAGGED"), "1");
	ck_assert_str_eq(run("unflagged"), "2 3");
	ck_assert_str_eq(run("ANSWERED"), "2");
	ck_assert_str_eq(run("UNANSWERED"), "1 3");
	ck_assert_str_eq(run("DELETED"), "3");
	ck_assert_str_eq(run("UNDELETED"), "1 2");
	ck_assert_str_eq(run("DRAFT"), "");
	ck_assert_str_eq(run("UNDRAFT"), "1 2 3");
	ck_assert_str_eq(run("KEYWORD $work"), "2");
	ck_assert_str_eq(run("UNKEYWORD $Work"), "1 3");
	ck_assert_str_eq(run("KEYWORD nosuch"), "");
	ck_assert_str_eq(run("UNKEYWORD nosuch"), "1 2 3");
	ck_assert_str_eq(run("KEYWORD \\Seen"), "1");
	ck_assert_str_eq(run("RECENT"), "3");
	ck_assert_str_eq(run("NEW"), "3");
	ck_assert_str_eq(run("OLD"), "1 2");
}
END_TEST

START_TEST(dates_sizes)
{
	/* INTERNALDATE days: msg n is 17-Jul-1996 + n */
	ck_assert_str_eq(run("BEFORE 19-Jul-1996"), "1");
	ck_assert_str_eq(run("ON 19-Jul-1996"), "2");
	ck_assert_str_eq(run("SINCE 19-Jul-1996"), "2 3");
	ck_assert_str_eq(run("SINCE \"19-jul-1996\""), "2 3");
	/* Date: header; msg 3 has none: the epoch, before everything */
	ck_assert_str_eq(run("SENTON 17-Jul-1996"), "1");
	ck_assert_str_eq(run("SENTON 1-Feb-1994"), "2");
	ck_assert_str_eq(run("SENTBEFORE 17-Jul-1996"), "2 3");
	ck_assert_str_eq(run("SENTSINCE 17-Jul-1996"), "1");
	ck_assert_str_eq(run("LARGER 300"), "3");
	ck_assert_str_eq(run("SMALLER 300"), "1 2");
	ck_assert_str_eq(run("BEFORE 1-Jan-96x"), "BAD");
	ck_assert_str_eq(run("BEFORE 0-Jan-1996"), "BAD");
	ck_assert_str_eq(run("BEFORE 1-Jam-1996"), "BAD");
	ck_assert_str_eq(run("LARGER -1"), "BAD");
}
END_TEST

START_TEST(text)
{
	ck_assert_str_eq(run("FROM SMITH"), "1");
	ck_assert_str_eq(run("TO jones"), "1");
	ck_assert_str_eq(run("SUBJECT meeting"), "1 2");
	ck_assert_str_eq(run("SUBJECT \"caf\xc3\xa9 M\""), "1");
	ck_assert_str_eq(run("SUBJECT \"CAF\xc3\x89\""), "1");
	ck_assert_str_eq(run("HEADER X-Tag ALPHA"), "2");
	ck_assert_str_eq(run("HEADER x-tag \"\""), "2");
	ck_assert_str_eq(run("HEADER Subject \"\""), "1 2 3");
	ck_assert_str_eq(run("BODY cafe"), "1");
	ck_assert_str_eq(run("BODY \"gr\xc3\xbc\xc3\x9f\x65\""), "2");
	ck_assert_str_eq(run("BODY \"STRA\xc3\x9f\x45\""), "2");
	ck_assert_str_eq(run("BODY \"r\xc3\xa9sum\xc3\xa9 here\""), "3");
	ck_assert_str_eq(run("BODY \"na\xc3\xafve\""), "3");
	ck_assert_str_eq(run("BODY binaryword"), "");
	ck_assert_str_eq(run("BODY smith"), "");
	ck_assert_str_eq(run("TEXT smith"), "1");
	ck_assert_str_eq(run("TEXT secret"), "3");
	ck_assert_str_eq(run("BODY \"inner words\""), "3");
	ck_assert_str_eq(run("BODY \"\""), "1 2 3");
	ck_assert_str_eq(run("SUBJECT"), "BAD");
	ck_assert_str_eq(run("HEADER"), "BAD");
	ck_assert_str_eq(run("HEADER \"a:b\" x"), "BAD");
}
END_TEST

START_TEST(logic_sets)
{
	ck_assert_str_eq(run("1,3"), "1 3");
	ck_assert_str_eq(run("2:*"), "2 3");
	ck_assert_str_eq(run("*"), "3");
	ck_assert_str_eq(run("UID 20:*"), "2 3");
	ck_assert_str_eq(run("UID 15"), "");
	ck_assert_str_eq(run("$"), "2 3");
	ck_assert_str_eq(run("UID $"), "2 3");
	ck_assert_str_eq(run("NOT SEEN"), "2 3");
	ck_assert_str_eq(run("OR SEEN DELETED"), "1 3");
	ck_assert_str_eq(run("OR (SEEN FLAGGED) (ANSWERED)"), "1 2");
	ck_assert_str_eq(run("NOT (OR SEEN ANSWERED)"), "3");
	ck_assert_str_eq(run("SEEN FLAGGED"), "1");
	ck_assert_str_eq(run("((((ALL))))"), "1 2 3");
	ck_assert_str_eq(run("OR OR SEEN ANSWERED DELETED"), "1 2 3");
	ck_assert_str_eq(run("MODSEQ 102"), "2 3");
	ck_assert_str_eq(run("MODSEQ \"/flags/\\\\seen\" all 103"), "3");
	ck_assert_str_eq(run("MODSEQ \"/flags/x\" bogus 1"), "BAD");
	ck_assert_str_eq(run("OR SEEN"), "BAD");
	ck_assert_str_eq(run("NOT"), "BAD");
	ck_assert_str_eq(run("()"), "BAD");
	ck_assert_str_eq(run("NOSUCHKEY"), "BAD");
	ck_assert_str_eq(run("UID"), "BAD");
	ck_assert_str_eq(run("UID 0"), "BAD");
	ck_assert_str_eq(run("0"), "BAD");
	ck_assert_str_eq(run("\"SEEN\""), "BAD");
}
END_TEST

START_TEST(depth)
{
	char buf[1024] = "";
	int i;

	for (i = 0; i < 70; i++)
		strcat(buf, "NOT ");
	strcat(buf, "SEEN");
	ck_assert_str_eq(run(buf), "BAD");
	buf[0] = '\0';
	for (i = 0; i < 30; i++)
		strcat(buf, "NOT ");
	strcat(buf, "SEEN");
	ck_assert_str_eq(run(buf), "1");
}
END_TEST

START_TEST(lazy)
{
	/* flag keys never load the message */
	need_calls = 0;
	ck_assert_str_eq(run("OR SEEN DELETED"), "1 3");
	ck_assert_int_eq(need_calls, 0);
}
END_TEST

START_TEST(sentdate_forms)
{
	int64_t d;

	ck_assert_int_eq(imap_search_sentdate("Mon, 7 Feb 1994 21:52:25 -0800", 30, &d), 0);
	ck_assert_int_eq(d, imap_days_from_civil(1994, 2, 7));
	ck_assert_int_eq(imap_search_sentdate(" 07 Feb 94 21:52 GMT", 20, &d), 0);
	ck_assert_int_eq(d, imap_days_from_civil(1994, 2, 7));
	ck_assert_int_eq(imap_search_sentdate("7 February 2004", 15, &d), 0);
	ck_assert_int_eq(d, imap_days_from_civil(2004, 2, 7));
	ck_assert_int_eq(imap_search_sentdate("garbage", 7, &d), -1);
	ck_assert_int_eq(imap_search_sentdate("", 0, &d), -1);
	ck_assert_int_eq(imap_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(imap_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(imap_search_date("1-Feb-1994", 10, &d), 0);
	ck_assert_int_eq(d, imap_days_from_civil(1994, 2, 1));
	ck_assert_int_eq(imap_search_date("01-Feb-1994", 11, &d), 0);
	ck_assert_int_eq(imap_search_date("1-Feb-199", 9, &d), -1);
	ck_assert_int_eq(imap_search_date("1-Feb-19944", 11, &d), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap_search");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, flags);
	tcase_add_test(tc, dates_sizes);
	tcase_add_test(tc, text);
	tcase_add_test(tc, logic_sets);
	tcase_add_test(tc, depth);
	tcase_add_test(tc, lazy);
	tcase_add_test(tc, sentdate_forms);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
