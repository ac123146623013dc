/* fuzz_imap_search.c: libFuzzer harness for SEARCH key parsing and
 * evaluation: the input is read as IMAP commands (literals included);
 * the arguments of each become a key tree, which is evaluated against a
 * small multipart message with flags, dates and sizes. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "imap_search.h"
#include "maildir.h"

static const char text[] =
	"From: =?utf-8?q?J=C3=B6rg?= <j@example.test>\r\nSubject: hello\r\n"
	"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n\r\nb=E4r\r\n--b\r\n"
	"Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nx\r\n--b--\r\n";

static uint32_t saved[] = { 2, 5 };

static int
need(void *ctx, struct imap_search_msg *m, int what)
{
	static struct message *msg;

	if (msg == NULL)
		msg = message_parse(text, sizeof(text) - 1, NULL);
	if (what & SNEED_DATE)
		m->day = 9000;
	if (what & SNEED_SIZE)
		m->size = msg->size;
	if (what & SNEED_MSG)
		m->msg = msg;
	if (what & SNEED_HDR)
		m->hdr = msg;
	return m->seq == 3 ? -1 : 0;
}

static int
kw(void *ctx, const char *p, size_t len)
{
	return len > 0 ? (int)(len % 27) - 1 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_limits lim;
	struct imap_cmd *c;
	char tag[80], reason[200];
	int devnull = open("/dev/null", O_WRONLY);
	struct io *io = io_new(-1, devnull, 1000);
	int r, n = 0;

	io_unread(io, data, size);
	io->in_eof = 1;
	imap_limits_default(&lim);
	lim.max_line = 4096;
	lim.max_literal = 4096;
	lim.max_command = 16384;
	lim.literal_hard_cap = 1 << 20;
	do {
		r = imap_read_command(io, &lim, 1, &c, tag, sizeof(tag),
		    reason, sizeof(reason));
		if (r == IMAP_READ_OK) {
			struct imap_search_env env;
			struct imap_skey *k;
			const char *why;
			int um;
			uint32_t i;

			memset(&env, 0, sizeof(env));
			env.max_seq = 4;
			env.max_uid = 7;
			env.keyword = kw;
			k = imap_search_parse(c->args, c->nargs, &env, &um, &why);
			for (i = 1; k != NULL && i <= 4; i++) {
				struct imap_search_msg m;
				memset(&m, 0, sizeof(m));
				m.seq = i;
				m.uid = i + 1;
				m.flags = i & MAILDIR_FLAGS_ALL;
				m.keywords = i * 0x01010101u;
				m.recent = i & 1;
				m.modseq = i * 10;
				m.saved = saved;
				m.nsaved = 2;
				m.saved_ok = i != 2;
				m.need = need;
				(void)imap_search_match(k, &m);
			}
			imap_skey_free(k);
			imap_cmd_free(c);
		}
	} while ((r == IMAP_READ_OK || r == IMAP_READ_BAD ||
	    r == IMAP_READ_TOOBIG) && ++n < 1000);
	io_free(io);
	close(devnull);
	return 0;
}
