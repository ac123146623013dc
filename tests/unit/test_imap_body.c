/* test_imap_body.c: unit tests for the IMAP builders: imap_quote.c,
 * imap_envelope.c, imap_bodystructure.c and imap_section.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_quote.h"
#include "imap_section.h"
#include "message.h"

static struct buf out;

static const char *envelope(const char *s)
{
	struct message *m = message_parse(s, strlen(s), NULL);
	buf_reset(&out);
	imap_envelope_write(m, m->root, &out);
	message_free(m);
	return buf_cstr(&out);
}

static const char *structure(const char *s, int extended)
{
	struct message *m = message_parse(s, strlen(s), NULL);
	buf_reset(&out);
	imap_bodystructure_write(m, m->root, extended, &out);
	message_free(m);
	return buf_cstr(&out);
}

/* Section octets, or "(none)" when the part does not exist. */
static const char *section(const char *msg, const char *spec, int binary)
{
	struct message *m = message_parse(msg, strlen(msg), NULL);
	struct imap_section sec;
	int r;
	buf_reset(&out);
	ck_assert_int_eq(imap_section_parse(spec, strlen(spec), binary, &sec), 0);
	r = binary ? imap_binary_fetch(m, &sec, &out) : imap_section_fetch(m, &sec, &out);
	imap_section_free(&sec);
	message_free(m);
	if (r < 0) {
		buf_reset(&out);
		buf_printf(&out, "(none %d)", r);
	}
	return buf_cstr(&out);
}

START_TEST(quoting)
{
	struct buf b = BUF_INIT;
	imap_write_cstring(&b, "a \"q\" \\ b");
	ck_assert_str_eq(buf_cstr(&b), "\"a \\\"q\\\" \\\\ b\"");
	buf_reset(&b);
	imap_write_string(&b, "two\r\nlines", 10);
	ck_assert_str_eq(buf_cstr(&b), "{10}\r\ntwo\r\nlines");
	buf_reset(&b);
	imap_write_cstring(&b, "\xc3\xa4");               /* 8-bit: literal */
	ck_assert_str_eq(buf_cstr(&b), "{2}\r\n\xc3\xa4");
	buf_reset(&b);
	imap_write_ncstring(&b, NULL);
	ck_assert_str_eq(buf_cstr(&b), "NIL");
	buf_reset(&b);
	imap_write_nstring_collapse(&b, " a\r\n \t b  c\t", 12);
	ck_assert_str_eq(buf_cstr(&b), "\"a b c\"");
	buf_reset(&b);
	imap_write_nstring_nolf(&b, "a\r\n\tb ", 6);
	ck_assert_str_eq(buf_cstr(&b), "\"a\tb \"");
	buf_reset(&b);
	imap_write_literal(&b, "x\0y", 3);          /* NUL can not be sent */
	ck_assert_mem_eq(b.p, "{3}\r\nx\x80y", 8);
	buf_free(&b);
}
END_TEST

START_TEST(envelope_fields)
{
	ck_assert_str_eq(envelope(
		"Date: Tue, 9 Jan 2024 10:10:10 +1400  \n"
		"Subject: first\n"
		"From: A <a@x>\n"
		"To: b@y,\n c@z\n"
		"Subject: =?UTF-8?Q?last?=\n"
		"From: d@w\n"
		"Message-ID: <id@x>\n\nbody"),
		"(\"Tue, 9 Jan 2024 10:10:10 +1400  \" \"=?UTF-8?Q?last?=\" "
		"((\"A\" NIL \"a\" \"x\")(NIL NIL \"d\" \"w\")) "
		"((\"A\" NIL \"a\" \"x\")(NIL NIL \"d\" \"w\")) "
		"((\"A\" NIL \"a\" \"x\")(NIL NIL \"d\" \"w\")) "
		"((NIL NIL \"b\" \"y\")(NIL NIL \"c\" \"z\")) NIL NIL NIL \"<id@x>\")");
	/* empty string fields are "", empty address fields NIL; an empty
	 * Reply-To falls back to From */
	ck_assert_str_eq(envelope("Subject:\nTo:\nReply-To: \nFrom: f@x\n\n"),
		"(NIL \"\" ((NIL NIL \"f\" \"x\")) ((NIL NIL \"f\" \"x\")) "
		"((NIL NIL \"f\" \"x\")) NIL NIL NIL NIL NIL)");
	ck_assert_str_eq(envelope("no header\n"),
			 "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}
END_TEST

START_TEST(bodystructure_single)
{
	const char *m = "Content-Type: TEXT/plain; format=flowed\n"
		"Content-Transfer-Encoding: quoted-printable (comment)\n"
		"Content-ID: <c@x>\nContent-Description: desc\n"
		"Content-Disposition: attachment; filename=\"a b.txt\"\n"
		"Content-Language: en, fr\nContent-Location: http://x/a\n\tb\n"
		"Content-MD5: abc=\n\nline1\nline2\n";
	ck_assert_str_eq(structure(m, 1),
		"(\"TEXT\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\") "
		"\"<c@x>\" \"desc\" \"quoted-printable\" 14 2 \"abc=\" "
		"(\"attachment\" (\"filename\" \"a b.txt\")) (\"en\" \"fr\") \"http://x/a\tb\")");
	ck_assert_str_eq(structure(m, 0),
		"(\"TEXT\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\") "
		"\"<c@x>\" \"desc\" \"quoted-printable\" 14 2)");
	ck_assert_str_eq(structure("Content-Type: image/png\n\nxx", 0),
		"(\"image\" \"png\" NIL NIL NIL \"7bit\" 2)");
}
END_TEST

static const char nested[] =
	"Subject: top\n"
	"Content-Type: multipart/mixed; boundary=b\n\n"
	"--b\n"
	"Content-Type: text/plain\n\n"
	"hello\n"
	"--b\n"
	"Content-Type: message/rfc822\n\n"
	"Subject: inner\n"
	"From: i@x\n\n"
	"inner body\n"
	"--b\n"
	"Content-Type: application/octet-stream\n"
	"Content-Transfer-Encoding: base64\n\n"
	"aGk=\n"
	"--b--\n";

START_TEST(bodystructure_nested)
{
	ck_assert_str_eq(structure(nested, 0),
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)"
		"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 39 "
		"(NIL \"inner\" ((NIL NIL \"i\" \"x\")) ((NIL NIL \"i\" \"x\")) ((NIL NIL \"i\" \"x\")) "
		"NIL NIL NIL NIL NIL) "
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0) 3)"
		"(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 4) \"mixed\")");
	ck_assert_str_eq(structure("Content-Type: multipart/mixed\n\nx", 1),
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
		" \"mixed\" NIL NIL NIL NIL)");
}
END_TEST

START_TEST(sections)
{
	ck_assert_str_eq(section(nested, "1", 0), "hello");
	ck_assert_str_eq(section(nested, "1.MIME", 0), "Content-Type: text/plain\r\n\r\n");
	ck_assert_str_eq(section(nested, "2.HEADER", 0), "Subject: inner\r\nFrom: i@x\r\n\r\n");
	/* the LF before the delimiter is not part of the inner message */
	ck_assert_str_eq(section(nested, "2.TEXT", 0), "inner body");
	ck_assert_str_eq(section(nested, "2.1", 0), "inner body");
	ck_assert_str_eq(section(nested, "2.1.MIME", 0), "Subject: inner\r\nFrom: i@x\r\n\r\n");
	ck_assert_str_eq(section(nested, "2.HEADER.FIELDS (from)", 0), "From: i@x\r\n\r\n");
	ck_assert_str_eq(section(nested, "HEADER.FIELDS.NOT (Content-Type)", 0),
			 "Subject: top\r\n\r\n");
	ck_assert_str_eq(section(nested, "HEADER.FIELDS (\"SUBJECT\" X-NONE)", 0),
			 "Subject: top\r\n\r\n");
	ck_assert_str_eq(section(nested, "4", 0), "(none -1)");
	/* a leaf is its own part 1; HEADER/TEXT of a leaf are empty */
	ck_assert_str_eq(section(nested, "1.1", 0), "hello");
	ck_assert_str_eq(section(nested, "1.2", 0), "(none -1)");
	ck_assert_str_eq(section(nested, "1.TEXT", 0), "");
	ck_assert_str_eq(section(nested, "1.HEADER.FIELDS (X)", 0), "");
	/* HEADER.FIELDS of a header without an empty line */
	ck_assert_str_eq(section("A: 1\nB: 2", "HEADER.FIELDS (A)", 0), "A: 1\r\n");
	ck_assert_str_eq(section("A: 1\nB: 2", "HEADER.FIELDS (B)", 0), "B: 2\r\n");
	ck_assert_str_eq(section("A: 1\nB: 2\n", "HEADER.FIELDS (C)", 0), "\r\n");
	ck_assert_str_eq(section("A: 1\nB: 2\n", "HEADER.FIELDS (A)", 0), "A: 1\r\n\r\n");
	ck_assert_str_eq(section("A: 1\nB: 2\n", "HEADER.FIELDS.NOT (A)", 0), "B: 2\r\n");
	ck_assert_str_eq(section("A: 1\nB: 2", "HEADER.FIELDS.NOT (A)", 0), "B: 2");
	ck_assert_str_eq(section("A: 1\r\n\r\nb", "HEADER.FIELDS.NOT (B)", 0), "A: 1\r\n\r\n");
	ck_assert_str_eq(section("Subject: s\n\nbody\n", "1", 0), "body\r\n");
	ck_assert_str_eq(section("Subject: s\n\nbody\n", "1.1", 0), "(none -1)");
	ck_assert_str_eq(section("Subject: s\n\nbody\n", "1.MIME", 0), "Subject: s\r\n\r\n");
	ck_assert_str_eq(section("Subject: s\n\nbody\n", "TEXT", 0), "body\r\n");
	ck_assert_str_eq(section("Subject: s\n\nbody\n", "", 0), "Subject: s\r\n\r\nbody\r\n");
}
END_TEST

START_TEST(binary_sections)
{
	ck_assert_str_eq(section(nested, "3", 1), "hi");
	ck_assert_str_eq(section(nested, "1", 1), "hello");
	ck_assert_str_eq(section(nested, "2", 1), "Subject: inner\r\nFrom: i@x\r\n\r\ninner body");
	/* BINARY[]: encoded leaves decoded, their header says so */
	const char *all = section(nested, "", 1);
	ck_assert_ptr_nonnull(strstr(all, "Content-Type: application/octet-stream\r\n"
				    "Content-Transfer-Encoding: binary\r\n\r\nhi\r\n--b--\r\n"));
	ck_assert_ptr_null(strstr(all, "base64"));
	ck_assert_ptr_nonnull(strstr(all, "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"));
	ck_assert_str_eq(section(
		"Content-Transfer-Encoding: quoted-printable\n\na=3Db=\nc\n", "1", 1),
		"a=bc\r\n");
	ck_assert_str_eq(section("Content-Transfer-Encoding: x-uuencode\n\nbegin", "1", 1),
			 "(none -2)");
	ck_assert_str_eq(section(nested, "9", 1), "(none -1)");
	/* a whole message with an undecodable part: UNKNOWN-CTE */
	ck_assert_str_eq(section("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
				 "Content-Transfer-Encoding: x-uuencode\n\nbegin\n--b--\n", "", 1),
			 "(none -2)");
}
END_TEST

START_TEST(section_syntax)
{
	struct imap_section sec;
	const char *bad[] = { "0", "1.", ".1", "1.2.", "HEADER.FIELDS", "HEADER.FIELDS ()",
			      "HEADER.FIELDS (A", "MIME", "1.FOO", "TEXT ", "1..2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(imap_section_parse(bad[i], strlen(bad[i]), 0, &sec) < 0, "%s", bad[i]);
		imap_section_free(&sec);
	}
	ck_assert_int_eq(imap_section_parse("1.TEXT", 6, 1, &sec), -1);  /* BINARY: numbers only */
	imap_section_free(&sec);
	ck_assert_int_eq(imap_section_parse("1.2.3", 5, 1, &sec), 0);
	ck_assert_uint_eq(sec.nnums, 3);
	ck_assert_uint_eq(sec.nums[2], 3);
	imap_section_free(&sec);
}
END_TEST

START_TEST(partials)
{
	struct buf b = BUF_INIT;
	imap_partial_write("0123456789", 10, 2, 3, 0, &b);
	ck_assert_str_eq(buf_cstr(&b), "{3}\r\n234");
	buf_reset(&b);
	imap_partial_write("0123456789", 10, 20, 3, 0, &b);
	ck_assert_str_eq(buf_cstr(&b), "{0}\r\n");
	buf_reset(&b);
	imap_partial_write("a\0b", 3, 0, (size_t)-1, 1, &b);
	ck_assert_mem_eq(b.p, "~{3}\r\na\0b", 9);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("imap_body");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, quoting);
	tcase_add_test(tc, envelope_fields);
	tcase_add_test(tc, bodystructure_single);
	tcase_add_test(tc, bodystructure_nested);
	tcase_add_test(tc, sections);
	tcase_add_test(tc, binary_sections);
	tcase_add_test(tc, section_syntax);
	tcase_add_test(tc, partials);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
