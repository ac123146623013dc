/* fuzz_maildir_index.c: libFuzzer harness for the postern-index reader.
 * The index is our own file, but it sits in the user's Maildir where the
 * user (or a broken disk) can change it: it is parsed as untrusted input.
 * Inputs with a valid checksum are rare, so the harness also fixes the
 * checksum of the input and parses that, and checks that anything
 * accepted serializes back to the same bytes.  The same input is also
 * read as flag-change log records. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "maildir_index.h"

static uint64_t
fnv64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
try_parse(const char *p, size_t len)
{
	struct maildir_index *idx = maildir_index_new_empty();
	if (maildir_index_parse(idx, p, len) == 0) {
		struct buf out = BUF_INIT;
		maildir_index_serialize(idx, &out);
		if (out.len != len || memcmp(out.p, p, len) != 0)
			abort();
		for (size_t i = 0; i < idx->count; i++)
			if (maildir_index_find(idx, idx->msgs[i].uid) != &idx->msgs[i])
				abort();
		buf_free(&out);
	}
	maildir_index_free(idx);
}

static void
le(struct buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		buf_putc(b, (int)((v >> (8 * i)) & 0xff));
}

/* An index holding UIDs 2 and 3, for the log records to act on. */
static struct maildir_index *
one_message_index(void)
{
	struct buf b = BUF_INIT;
	buf_append(&b, "PSTNIDX\001", 8);
	le(&b, 1, 8);                 /* generation */
	le(&b, 1, 4);                 /* uidvalidity */
	le(&b, 5, 4);                 /* next uid */
	le(&b, 10, 8);                /* highest modseq */
	le(&b, 1, 4);                 /* recent uid */
	le(&b, 0, 8);                 /* expunge floor */
	le(&b, 0, 8); le(&b, 0, 4); le(&b, 0, 8); le(&b, 0, 4); le(&b, 0, 8);
	for (int k = 0; k < 26; k++)
		le(&b, 0, 1);
	le(&b, 2, 4);
	for (uint32_t uid = 2; uid <= 3; uid++) {
		le(&b, uid, 4); le(&b, 3, 8); le(&b, 0, 1); le(&b, 3, 1);
		buf_append(&b, uid == 2 ? "abc" : "abd", 3);
		le(&b, 0, 1);
	}
	le(&b, 0, 4);
	le(&b, fnv64(b.p, b.len), 8);
	struct maildir_index *idx = maildir_index_new_empty();
	if (maildir_index_parse(idx, b.p, b.len) != 0 || idx->count != 2)
		abort();
	buf_free(&b);
	return idx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 16);
	memcpy(p, data, size);
	try_parse(p, size);
	/* Same bytes behind the magic, with a correct checksum. */
	size_t len = size + 8 + 8;
	memmove(p + 8, p, size);
	memcpy(p, "PSTNIDX\001", 8);
	uint64_t h = fnv64(p, size + 8);
	for (int i = 0; i < 8; i++)
		p[size + 8 + i] = (char)(h >> (8 * i));
	try_parse(p, len);
	/* The flag-change log, applied to a small valid index. */
	struct maildir_index *idx = one_message_index();
	size_t good = maildir_index_apply_log(idx, (const char *)data, size);
	if (good > size)
		abort();
	maildir_index_free(idx);
	free(p);
	return 0;
}
