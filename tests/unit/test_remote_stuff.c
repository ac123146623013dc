/* test_remote_stuff.c: unit tests for postern-remote's CRLF conversion
 * and dot-stuffing (queue/remote_smtp.c remote_stuff). */
#include <check.h>
#include <string.h>
#include "buf.h"
#include "remote.h"

static void
check_stuff(const char *in, const char *want, size_t split)
{
	struct buf out = BUF_INIT;
	int bol = 1, cr = 0;
	size_t len = strlen(in);

	if (split > len)
		split = len;
	remote_stuff(&out, in, split, &bol, &cr);
	remote_stuff(&out, in + split, len - split, &bol, &cr);
	ck_assert_msg(out.len == strlen(want) && (out.len == 0 || memcmp(out.p, want, out.len) == 0),
	    "in=[%s] split=%zu got=[%.*s]", in, split, (int)out.len, out.p);
	buf_free(&out);
}

START_TEST(conversions)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "a\nb\n", "a\r\nb\r\n" },
		{ ".\n", "..\r\n" },
		{ "x\n.\n", "x\r\n..\r\n" },
		{ "x\n..y\n", "x\r\n...y\r\n" },
		{ "a.b\n.c", "a.b\r\n..c" },
		{ "already\r\ncrlf\r\n", "already\r\ncrlf\r\n" },
		{ "\n\n", "\r\n\r\n" },
		{ "", "" },
		{ ".", ".." },
	};
	size_t i, split;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (split = 0; split <= strlen(cases[i].in); split++)
			check_stuff(cases[i].in, cases[i].want, split);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("remote_stuff");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, conversions);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
