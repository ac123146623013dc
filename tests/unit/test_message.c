/* test_message.c: unit tests for common/message.c (MIME structure). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "message.h"

static struct message *parse(const char *s)
{
	return message_parse(s, strlen(s), NULL);
}

static const char *body_of(const struct message *m, const struct message_part *p)
{
	static struct buf b;
	buf_reset(&b);
	buf_append(&b, m->p + p->body_start, p->body_end - p->body_start);
	return buf_cstr(&b);
}

START_TEST(single_part_crlf_sizes)
{
	const char *s = "From: a@b\nSubject: x\r\n\nline1\nline2\r\nlast";
	struct message *m = parse(s);
	const struct message_part *r = m->root;
	ck_assert_ptr_null(r->children);
	ck_assert_uint_eq(r->flags & MESSAGE_PART_TEXT, MESSAGE_PART_TEXT);
	ck_assert_uint_eq(r->nfields, 2);
	ck_assert_uint_eq(r->header_start, 0);
	ck_assert_uint_eq(r->body_start, 23);
	/* header: 3 bare LFs of which one after CR */
	ck_assert_uint_eq(r->header_size, 23 + 2);
	ck_assert_uint_eq(r->body_size, strlen(s) - 23 + 1);
	ck_assert_uint_eq(r->body_lines, 2);
	ck_assert_uint_eq(m->size, strlen(s) + 3);
	ck_assert_str_eq(body_of(m, r), "line1\nline2\r\nlast");
	const struct message_header_field *f = message_part_field(m, r, "SUBJECT");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->value_end - f->value_start, 1);
	ck_assert_int_eq(m->p[f->value_start], 'x');
	message_free(m);
}
END_TEST

START_TEST(bare_cr_counts_once)
{
	ck_assert_uint_eq(message_crlf_size("a\rb\nc\r\n", 7), 8);
	struct buf b = BUF_INIT;
	message_write_crlf("a\rb\nc\r\n\n", 8, &b);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(b.p, "a\rb\r\nc\r\n\r\n", 10);
	buf_free(&b);
}
END_TEST

START_TEST(multipart_structure)
{
	const char *s =
		"Content-Type: multipart/mixed; boundary=\"b\"\n\n"
		"preamble\n"
		"--b\n"
		"Content-Type: text/plain; charset=utf-8\n\n"
		"one\n"
		"--b  \n"
		"\n"
		"two\n\n"
		"--b--\n"
		"epilogue\n";
	struct message *m = parse(s);
	const struct message_part *r = m->root, *c1, *c2;
	ck_assert_uint_eq(r->flags & MESSAGE_PART_MULTIPART, MESSAGE_PART_MULTIPART);
	ck_assert_str_eq(r->content_subtype, "mixed");
	c1 = r->children;
	ck_assert_ptr_nonnull(c1);
	c2 = c1->next;
	ck_assert_ptr_nonnull(c2);
	ck_assert_ptr_null(c2->next);
	/* the LF before a delimiter belongs to the delimiter */
	ck_assert_str_eq(body_of(m, c1), "one");
	ck_assert_str_eq(body_of(m, c2), "two\n");
	ck_assert_str_eq(mime_params_get(&c1->params, "charset"), "utf-8");
	ck_assert_ptr_null(c2->content_type);
	ck_assert_uint_eq(c2->flags & MESSAGE_PART_TEXT, MESSAGE_PART_TEXT);
	/* the multipart's body runs to the end, epilogue included */
	ck_assert_uint_eq(r->body_end, strlen(s));
	ck_assert_uint_eq(m->nparts, 3);

	unsigned int n2[] = { 2 }, n3[] = { 3 }, n11[] = { 1, 1 };
	ck_assert_ptr_eq(message_part_by_number(m, n2, 1), c2);
	ck_assert_ptr_null(message_part_by_number(m, n3, 1));
	ck_assert_ptr_eq(message_part_by_number(m, n11, 2), c1);  /* leaf: its own 1 */
	message_free(m);
}
END_TEST

START_TEST(longest_boundary_and_nesting)
{
	const char *s =
		"Content-Type: multipart/mixed; boundary=A\n\n"
		"--A\n"
		"Content-Type: multipart/alternative; boundary=A.1\n\n"
		"--A.1\n\ninner\n"
		"--A.1--\n"
		"--A\n\nsecond\n"
		"--A--\n";
	struct message *m = parse(s);
	const struct message_part *r = m->root;
	const struct message_part *inner = r->children;
	ck_assert_uint_eq(inner->flags & MESSAGE_PART_MULTIPART, MESSAGE_PART_MULTIPART);
	ck_assert_ptr_nonnull(inner->children);
	ck_assert_ptr_null(inner->children->next);
	ck_assert_str_eq(body_of(m, inner->children), "inner");
	/* the inner multipart keeps its close delimiter line and its LF */
	ck_assert_str_eq(body_of(m, inner), "--A.1\n\ninner\n--A.1--\n");
	ck_assert_str_eq(body_of(m, inner->next), "second");
	message_free(m);
}
END_TEST

START_TEST(digest_and_rfc822)
{
	const char *s =
		"Content-Type: multipart/digest; boundary=d\n\n"
		"--d\n\n"
		"Subject: inner\n\nbody\n"
		"--d\n"
		"Content-Type: message/rfc822\n\n"
		"Subject: two\n"
		"Content-Type: multipart/mixed; boundary=x\n\n"
		"--x\n\nx1\n--x--\n"
		"--d--\n";
	struct message *m = parse(s);
	const struct message_part *d1 = m->root->children, *d2 = d1->next;
	ck_assert_uint_eq(d1->flags & MESSAGE_PART_RFC822, MESSAGE_PART_RFC822);
	ck_assert_ptr_nonnull(d1->children);
	ck_assert_str_eq(body_of(m, d1->children), "body");
	ck_assert_ptr_nonnull(message_part_field(m, d1->children, "subject"));
	ck_assert_uint_eq(d2->flags & MESSAGE_PART_RFC822, MESSAGE_PART_RFC822);
	const struct message_part *inner = d2->children;
	ck_assert_uint_eq(inner->flags & MESSAGE_PART_MULTIPART, MESSAGE_PART_MULTIPART);
	unsigned int n21[] = { 2, 1 }, n2[] = { 2 };
	ck_assert_ptr_eq(message_part_by_number(m, n21, 2), inner->children);
	ck_assert_ptr_eq(message_part_by_number(m, n2, 1), d2);
	ck_assert_str_eq(body_of(m, inner->children), "x1");
	message_free(m);
}
END_TEST

START_TEST(odd_messages)
{
	struct message *m = parse("");
	ck_assert_uint_eq(m->size, 0);
	ck_assert_uint_eq(m->root->body_end, 0);
	message_free(m);
	m = parse("no header line\nsecond\n");
	ck_assert_uint_eq(m->root->body_start, m->len);     /* all header */
	ck_assert_uint_eq(m->root->nfields, 2);
	ck_assert_int_eq(m->root->fields[0].has_colon, 0);
	message_free(m);
	m = parse("\r\nbody only\r\n");
	ck_assert_uint_eq(m->root->body_start, 2);
	ck_assert_uint_eq(m->root->nfields, 0);
	message_free(m);
	/* multipart without boundary: a leaf with no parts */
	m = parse("Content-Type: multipart/mixed\n\n--x\n\nhi\n");
	ck_assert_ptr_null(m->root->children);
	message_free(m);
	/* first Content-Type wins */
	m = parse("Content-Type: text/html\nContent-Type: image/png\n\n");
	ck_assert_str_eq(m->root->content_subtype, "html");
	message_free(m);
}
END_TEST

START_TEST(caps_degrade)
{
	struct message_limits lim;
	struct buf b = BUF_INIT;
	struct message *m;

	message_limits_default(&lim);
	lim.max_parts = 10;
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "--b\n\npart\n");
	m = message_parse(b.p, b.len, &lim);
	ck_assert_uint_eq(m->nparts, 10);
	message_free(m);

	/* deep nesting stops at max_depth */
	buf_reset(&b);
	for (int i = 0; i < 200; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=n%d\n\n--n%d\n", i, i);
	lim.max_parts = 1000;
	lim.max_depth = 20;
	m = message_parse(b.p, b.len, &lim);
	ck_assert_int_eq(m->degraded, 1);
	unsigned int depth = 0;
	for (const struct message_part *p = m->root; p; p = p->children)
		depth = p->depth;
	ck_assert_uint_le(depth, 21);
	message_free(m);

	/* header fields past the cap are not recorded, but stay header */
	buf_reset(&b);
	for (int i = 0; i < 50; i++)
		buf_printf(&b, "X-%d: v\n", i);
	buf_puts(&b, "\nbody");
	lim.max_header_fields = 10;
	m = message_parse(b.p, b.len, &lim);
	ck_assert_uint_eq(m->root->nfields, 10);
	ck_assert_str_eq(body_of(m, m->root), "body");
	ck_assert_int_eq(m->degraded, 1);
	message_free(m);
	buf_free(&b);
}
END_TEST

START_TEST(big_inputs_linear)
{
	/* a 4 MB single line, 100k delimiter lines and a 1 MB folded header */
	size_t n = 4 * 1024 * 1024;
	char *s = malloc(n);
	memset(s, 'x', n);
	struct message *m = message_parse(s, n, NULL);
	ck_assert_uint_eq(m->size, n);
	message_free(m);
	struct buf b = BUF_INIT;
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, "--b\n");
	m = message_parse(b.p, b.len, NULL);
	ck_assert_uint_eq(m->nparts, 10000);
	message_free(m);
	buf_reset(&b);
	buf_puts(&b, "References:");
	for (int i = 0; i < 50000; i++)
		buf_puts(&b, "\n <a@b>");
	buf_puts(&b, "\n\n");
	m = message_parse(b.p, b.len, NULL);
	ck_assert_uint_eq(m->root->nfields, 1);
	message_free(m);
	buf_free(&b);
	free(s);
}
END_TEST

START_TEST(body_text_decoding)
{
	struct buf b = BUF_INIT;
	message_decode_body_text("base64", "iso-8859-1", "6XTp", 4, &b);
	ck_assert_str_eq(buf_cstr(&b), "\xc3\xa9t\xc3\xa9");
	buf_reset(&b);
	message_decode_body_text("Quoted-Printable", "utf-8", "a=C3=A4=\nb", 10, &b);
	ck_assert_str_eq(buf_cstr(&b), "a\xc3\xa4" "b");
	buf_reset(&b);
	message_decode_body_text(NULL, NULL, "plain\xff", 6, &b);
	ck_assert_str_eq(buf_cstr(&b), "plain\xef\xbf\xbd");
	buf_free(&b);
}
END_TEST

START_TEST(parse_from_fd)
{
	char path[] = "/tmp/test_message.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	const char *s = "Subject: file\n\nbody\n";
	ck_assert_int_eq(write(fd, s, strlen(s)), (int)strlen(s));
	struct message *m = message_parse_fd(fd, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->size, strlen(s) + 3);
	ck_assert_str_eq(body_of(m, m->root), "body\n");
	message_free(m);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	m = message_parse_fd(fd, NULL);               /* empty file */
	ck_assert_uint_eq(m->size, 0);
	message_free(m);
	close(fd);
	ck_assert_ptr_null(message_parse_fd(-1, NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("message");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, single_part_crlf_sizes);
	tcase_add_test(tc, bare_cr_counts_once);
	tcase_add_test(tc, multipart_structure);
	tcase_add_test(tc, longest_boundary_and_nesting);
	tcase_add_test(tc, digest_and_rfc822);
	tcase_add_test(tc, odd_messages);
	tcase_add_test(tc, caps_degrade);
	tcase_add_test(tc, big_inputs_linear);
	tcase_add_test(tc, body_text_decoding);
	tcase_add_test(tc, parse_from_fd);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
