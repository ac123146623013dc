/* maildir_index.c: per-folder UID state (UIDVALIDITY, UID map, MODSEQ,
 * keywords, expunges, cache blobs), kept in postern-index beside the
 * Maildir and replaced atomically under an fcntl lock (see
 * maildir_index.h for the design). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "log.h"
#include "maildir.h"
#include "maildir_import.h"
#include "maildir_index.h"

#define INDEX_MAGIC_V1 "PSTNIDX\001"   /* FNV-1a checksum */
#define INDEX_MAGIC "PSTNIDX\002"      /* lane checksum (index_sum) */
#define INDEX_FORMAT 2
#define CACHE_MAGIC "PSTNCCH\001"
#define LOG_MAGIC "PSTNLOG\001"
#define LOG_RECORD_MAX 300
#define INDEX_FILE_MAX ((size_t)1 << 30)
#define CACHE_FILE_MAX ((size_t)256 << 20)
#define LOCK_TIMEOUT_MS 30000
#define MARK_SEEN 1
#define MARK_GONE 2
#define HEAP_NAME 1
#define HEAP_UIDL 2

struct cache_ent {
	uint32_t uid;
	uint32_t len;
	char *data;
};

struct cache {
	uint32_t uidvalidity;
	struct cache_ent *ents;   /* sorted by uid */
	size_t n, cap;
	size_t total;
};

/* --- little-endian encoding ------------------------------------------ */

static void
put_u8(struct buf *b, unsigned v)
{
	buf_putc(b, (int)(v & 0xff));
}

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { v, v >> 8, v >> 16, v >> 24 };
	buf_append(b, x, 4);
}

static void
put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

struct rd {
	const unsigned char *p;
	size_t len, off;
	int bad;
};

static const unsigned char *
rd_take(struct rd *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *q = r->p + r->off;
	r->off += n;
	return q;
}

static unsigned
get_u8(struct rd *r)
{
	const unsigned char *q = rd_take(r, 1);
	return q ? q[0] : 0;
}

static uint32_t
get_u32(struct rd *r)
{
	const unsigned char *q = rd_take(r, 4);
	if (!q)
		return 0;
	return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
	    (uint32_t)q[3] << 24;
}

static uint64_t
get_u64(struct rd *r)
{
	uint64_t lo = get_u32(r);
	return lo | (uint64_t)get_u32(r) << 32;
}

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

/* 8 bytes little-endian; one load on the usual hosts. */
static uint64_t
load_le64(const unsigned char *q)
{
	uint64_t v;
	memcpy(&v, q, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint64_t
rotl64(uint64_t v, int n)
{
	return v << n | v >> (64 - n);
}

#define SUM_K1 0x9e3779b97f4a7c15ULL
#define SUM_K2 0xc2b2ae3d27d4eb4fULL

/* One lane step: bijective in acc and in w, so a change confined to one
 * lane always changes the result; the rotation carries high bits down so
 * that two flips of a top bit do not cancel. */
static uint64_t
sum_step(uint64_t acc, uint64_t w)
{
	acc += w * SUM_K2;
	acc = rotl64(acc, 31);
	return acc * SUM_K1;
}

/* The version 2 checksum: four independent lanes over 32-byte blocks
 * (the multiplications overlap, ~8x the speed of byte-wise FNV-1a), the
 * tail byte-wise, then the lanes and length folded together. */
static uint64_t
index_sum(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t lane[4] = { SUM_K1, SUM_K2, ~SUM_K1, ~SUM_K2 };
	size_t i = 0;
	for (; n - i >= 32; i += 32) {
		lane[0] = sum_step(lane[0], load_le64(s + i));
		lane[1] = sum_step(lane[1], load_le64(s + i + 8));
		lane[2] = sum_step(lane[2], load_le64(s + i + 16));
		lane[3] = sum_step(lane[3], load_le64(s + i + 24));
	}
	uint64_t h = fnv64(s + i, n - i) ^ (uint64_t)n;
	for (int k = 0; k < 4; k++)
		h = sum_step(h, lane[k]);
	h ^= h >> 33;
	h *= SUM_K2;
	h ^= h >> 29;
	return h;
}

/* Is a byte below 0x20, '/' or 0x7f in these 8 bytes?  (Exact: each test
 * is the classic "has a zero byte" form, which has no false answers.) */
static int
word_has_bad(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t lt20 = (w - ones * 0x20) & ~w & high;
	uint64_t sl = w ^ (ones * '/');
	uint64_t de = w ^ (ones * 0x7f);
	return (lt20 | ((sl - ones) & ~sl & high) | ((de - ones) & ~de & high)) != 0;
}

/* --- in-memory state --------------------------------------------------- */

static void
msg_clear(struct maildir_msg *m)
{
	if (m->heap & HEAP_NAME)
		free(m->name);
	if (m->heap & HEAP_UIDL)
		free(m->pop3_uidl);
	m->name = m->pop3_uidl = NULL;
	m->heap = 0;
}

static void
state_clear(struct maildir_index *idx)
{
	for (size_t i = 0; i < idx->count; i++)
		msg_clear(&idx->msgs[i]);
	idx->count = 0;
	idx->nexpunged = 0;
	for (int k = 0; k < MAILDIR_KEYWORDS_MAX; k++) {
		free(idx->keywords[k]);
		idx->keywords[k] = NULL;
	}
	free(idx->names);
	idx->names = NULL;
	idx->uidvalidity = 0;
	idx->next_uid = 1;
	idx->highest_modseq = 1;
	idx->recent_uid = 1;
	idx->expunge_floor = 0;
	memset(&idx->new_mtime, 0, sizeof(idx->new_mtime));
	memset(&idx->cur_mtime, 0, sizeof(idx->cur_mtime));
	idx->scan_time = 0;
}

static struct maildir_msg *
msg_append(struct maildir_index *idx)
{
	if (idx->count == idx->cap) {
		idx->cap = idx->cap ? idx->cap * 2 : 256;
		idx->msgs = xreallocarray(idx->msgs, idx->cap, sizeof(*idx->msgs));
	}
	struct maildir_msg *m = &idx->msgs[idx->count++];
	memset(m, 0, sizeof(*m));
	return m;
}

/* Point m at a NUL-terminated name that the index owns elsewhere (its
 * names block), and take its flags from it. */
static void
msg_point_name(struct maildir_msg *m, char *name, size_t len, int in_new)
{
	m->name = name;
	m->name_len = (uint16_t)len;
	m->base_len = (uint16_t)maildir_name_base_len(name, len);
	m->in_new = in_new ? 1 : 0;
	unsigned fl;
	uint32_t kw;
	maildir_name_flags(name, len, &fl, &kw);
	m->flags = fl;
	m->keywords = kw;
}

static void
msg_set_name(struct maildir_msg *m, const char *name, size_t len, int in_new)
{
	char *copy = xstrndup(name, len);
	if (m->heap & HEAP_NAME)
		free(m->name);
	m->heap |= HEAP_NAME;
	msg_point_name(m, copy, len, in_new);
}

static void
expunged_add(struct maildir_index *idx, uint32_t uid, uint64_t modseq)
{
	if (idx->nexpunged >= MAILDIR_EXPUNGED_KEEP) {
		size_t drop = idx->nexpunged - MAILDIR_EXPUNGED_KEEP + 1 + MAILDIR_EXPUNGED_KEEP / 10;
		if (drop > idx->nexpunged)
			drop = idx->nexpunged;
		idx->expunge_floor = idx->expunged[drop - 1].modseq;
		memmove(idx->expunged, idx->expunged + drop,
		    (idx->nexpunged - drop) * sizeof(*idx->expunged));
		idx->nexpunged -= drop;
	}
	if (idx->nexpunged == idx->expcap) {
		idx->expcap = idx->expcap ? idx->expcap * 2 : 64;
		idx->expunged = xreallocarray(idx->expunged, idx->expcap, sizeof(*idx->expunged));
	}
	idx->expunged[idx->nexpunged].uid = uid;
	idx->expunged[idx->nexpunged].modseq = modseq;
	idx->nexpunged++;
}

/* Drop messages marked gone, keeping UID order. */
static void
compact(struct maildir_index *idx)
{
	size_t o = 0;
	for (size_t i = 0; i < idx->count; i++) {
		if (idx->msgs[i].seen_mark == MARK_GONE) {
			msg_clear(&idx->msgs[i]);
			continue;
		}
		if (o != i)
			idx->msgs[o] = idx->msgs[i];
		o++;
	}
	idx->count = o;
}

struct maildir_index *
maildir_index_new_empty(void)
{
	struct maildir_index *idx = xcalloc(1, sizeof(*idx));
	idx->lock_fd = -1;
	idx->newfd = idx->curfd = -1;
	idx->format = INDEX_FORMAT;
	state_clear(idx);
	return idx;
}

/* --- serialization ----------------------------------------------------- */

void
maildir_index_serialize(const struct maildir_index *idx, struct buf *out)
{
	size_t start = out->len;
	buf_append(out, idx->format == 1 ? INDEX_MAGIC_V1 : INDEX_MAGIC, 8);
	put_u64(out, idx->generation);
	put_u32(out, idx->uidvalidity);
	put_u32(out, idx->next_uid);
	put_u64(out, idx->highest_modseq);
	put_u32(out, idx->recent_uid);
	put_u64(out, idx->expunge_floor);
	put_u64(out, (uint64_t)idx->new_mtime.tv_sec);
	put_u32(out, (uint32_t)idx->new_mtime.tv_nsec);
	put_u64(out, (uint64_t)idx->cur_mtime.tv_sec);
	put_u32(out, (uint32_t)idx->cur_mtime.tv_nsec);
	put_u64(out, (uint64_t)idx->scan_time);
	for (int k = 0; k < MAILDIR_KEYWORDS_MAX; k++) {
		size_t l = idx->keywords[k] ? strlen(idx->keywords[k]) : 0;
		put_u8(out, (unsigned)l);
		buf_append(out, idx->keywords[k], l);
	}
	size_t live = 0;
	for (size_t i = 0; i < idx->count; i++)
		live += idx->msgs[i].seen_mark != MARK_GONE;
	put_u32(out, (uint32_t)live);
	for (size_t i = 0; i < idx->count; i++) {
		const struct maildir_msg *m = &idx->msgs[i];
		if (m->seen_mark == MARK_GONE)
			continue;
		put_u32(out, m->uid);
		put_u64(out, m->modseq);
		put_u8(out, m->in_new);
		put_u8(out, m->name_len);
		buf_append(out, m->name, m->name_len);
		size_t ul = m->pop3_uidl ? strlen(m->pop3_uidl) : 0;
		put_u8(out, (unsigned)ul);
		buf_append(out, m->pop3_uidl, ul);
	}
	put_u32(out, (uint32_t)idx->nexpunged);
	for (size_t i = 0; i < idx->nexpunged; i++) {
		put_u32(out, idx->expunged[i].uid);
		put_u64(out, idx->expunged[i].modseq);
	}
	if (idx->format == 1)
		put_u64(out, fnv64(out->p + start, out->len - start));
	else
		put_u64(out, index_sum(out->p + start, out->len - start));
}

static int
name_ok(const unsigned char *p, size_t len)
{
	if (len == 0 || p[0] == '.')
		return 0;
	size_t i = 0;
	for (; len - i >= 8; i += 8)
		if (word_has_bad(load_le64(p + i)))
			return 0;
	for (; i < len; i++)
		if (p[i] < 0x20 || p[i] == '/' || p[i] == 0x7f)
			return 0;
	return 1;
}

static int
keyword_ok(const unsigned char *p, size_t len)
{
	if (len == 0 || len > MAILDIR_KEYWORD_NAME_MAX || p[0] == '\\')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || strchr("(){%*\"\\]", p[i]))
			return 0;
	return 1;
}

int
maildir_index_parse(struct maildir_index *idx, const char *p, size_t len)
{
	struct rd r = { (const unsigned char *)p, len, 0, 0 };
	state_clear(idx);
	unsigned format;
	if (len < 16)
		goto bad;
	if (memcmp(p, INDEX_MAGIC, 8) == 0)
		format = 2;
	else if (memcmp(p, INDEX_MAGIC_V1, 8) == 0)
		format = 1;
	else
		goto bad;
	r.len = len - 8;   /* the checksum */
	{
		uint64_t sum = load_le64((const unsigned char *)p + len - 8);
		if (sum != (format == 1 ? fnv64(p, len - 8) : index_sum(p, len - 8)))
			goto bad;
	}
	rd_take(&r, 8);
	idx->generation = get_u64(&r);
	idx->uidvalidity = get_u32(&r);
	idx->next_uid = get_u32(&r);
	idx->highest_modseq = get_u64(&r);
	idx->recent_uid = get_u32(&r);
	idx->expunge_floor = get_u64(&r);
	idx->new_mtime.tv_sec = (time_t)get_u64(&r);
	idx->new_mtime.tv_nsec = get_u32(&r);
	idx->cur_mtime.tv_sec = (time_t)get_u64(&r);
	idx->cur_mtime.tv_nsec = get_u32(&r);
	idx->scan_time = (int64_t)get_u64(&r);
	if (r.bad || idx->uidvalidity == 0 || idx->next_uid == 0)
		goto bad;
	for (int k = 0; k < MAILDIR_KEYWORDS_MAX; k++) {
		unsigned l = get_u8(&r);
		const unsigned char *q = rd_take(&r, l);
		if (r.bad)
			goto bad;
		if (l == 0)
			continue;
		if (!keyword_ok(q, l))
			goto bad;
		idx->keywords[k] = xstrndup((const char *)q, l);
	}
	uint32_t n = get_u32(&r);
	/* Each record takes at least 16 bytes: no allocation beyond what
	 * the file can hold. */
	if (r.bad || n > MAILDIR_INDEX_MAX_MESSAGES || n > (r.len - r.off) / 16)
		goto bad;
	if (n > idx->cap) {
		idx->msgs = xreallocarray(idx->msgs, n, sizeof(*idx->msgs));
		idx->cap = n;
	}
	/* Names and UIDLs with their NULs take less room than their records
	 * (>= 16 bytes each besides the two strings). */
	char *names = n ? xmalloc(r.len - r.off) : NULL;
	size_t used = 0;
	idx->names = names;
	uint32_t prev = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t uid = get_u32(&r);
		uint64_t modseq = get_u64(&r);
		unsigned in_new = get_u8(&r);
		unsigned nl = get_u8(&r);
		const unsigned char *name = rd_take(&r, nl);
		unsigned ul = get_u8(&r);
		const unsigned char *uidl = rd_take(&r, ul);
		if (r.bad || uid <= prev || uid >= idx->next_uid || in_new > 1 ||
		    modseq > idx->highest_modseq || !name_ok(name, nl) ||
		    ul > 70)
			goto bad;
		for (unsigned j = 0; j < ul; j++)
			if (uidl[j] < 0x21 || uidl[j] > 0x7e)
				goto bad;
		prev = uid;
		struct maildir_msg *m = msg_append(idx);
		m->uid = uid;
		m->modseq = modseq;
		memcpy(names + used, name, nl);
		names[used + nl] = '\0';
		msg_point_name(m, names + used, nl, (int)in_new);
		used += nl + 1;
		if (ul) {
			memcpy(names + used, uidl, ul);
			names[used + ul] = '\0';
			m->pop3_uidl = names + used;
			used += ul + 1;
		}
	}
	uint32_t ne = get_u32(&r);
	if (r.bad || ne > (r.len - r.off) / 12)
		goto bad;
	uint64_t pm = 0;
	for (uint32_t i = 0; i < ne; i++) {
		uint32_t uid = get_u32(&r);
		uint64_t ms = get_u64(&r);
		if (r.bad || ms < pm || ms > idx->highest_modseq || uid == 0 ||
		    uid >= idx->next_uid)
			goto bad;
		pm = ms;
		expunged_add(idx, uid, ms);
	}
	if (r.off != r.len)
		goto bad;
	idx->format = format;
	return 0;
bad:
	state_clear(idx);
	idx->generation = 0;
	return -1;
}

/* --- files ------------------------------------------------------------- */

static int
path_in(const struct maildir_index *idx, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", idx->dir, name);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Read a file whole, bounded.  1 read, 0 missing, -1 error. */
static int
slurp(const char *path, size_t max, struct buf *out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	buf_reserve(out, (size_t)st.st_size + 1);
	for (;;) {
		if (out->len >= max)
			break;
		buf_reserve(out, 65536);
		ssize_t r = read(fd, out->p + out->len, out->cap - out->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
	}
	close(fd);
	return 1;
}

/* A file's bytes, mapped or read. */
struct image {
	const char *p;
	size_t len;
	void *map;
	size_t maplen;
	struct buf b;
};

/* Map the index whole for parsing (no copy, no fresh pages to zero: it
 * is in the page cache).  Only while the lock is held: postern writers
 * never write postern-index in place (they rename a new file over it),
 * so the mapped inode does not change under us.  Falls back to reading.
 * 1 read, 0 missing, -1 error (EFBIG: above max). */
static int
image_read(const char *path, size_t max, struct image *img)
{
	struct stat st;
	memset(img, 0, sizeof(*img));
	img->b = (struct buf)BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	if (st.st_size > 0) {
#ifdef MAP_POPULATE
		int fl = MAP_PRIVATE | MAP_POPULATE;
#else
		int fl = MAP_PRIVATE;
#endif
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, fl, fd, 0);
		if (m != MAP_FAILED) {
			close(fd);
			img->map = m;
			img->maplen = (size_t)st.st_size;
			img->p = m;
			img->len = img->maplen;
			return 1;
		}
	}
	close(fd);
	int r = slurp(path, max, &img->b);
	img->p = img->b.p;
	img->len = img->b.len;
	return r;
}

static void
image_free(struct image *img)
{
	if (img->map)
		munmap(img->map, img->maplen);
	buf_free(&img->b);
	memset(img, 0, sizeof(*img));
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Atomic replace: tmp, fsync, rename, fsync directory. */
static int
replace_file(const struct maildir_index *idx, const char *name,
    const struct buf *data, int durable)
{
	char tmp[MAILDIR_PATH_MAX], dst[MAILDIR_PATH_MAX];
	char tn[64];
	snprintf(tn, sizeof(tn), "%s.tmp", name);
	if (path_in(idx, tn, tmp, sizeof(tmp)) < 0 || path_in(idx, name, dst, sizeof(dst)) < 0)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, data->p, data->len) < 0 ||
	    (durable && fsync(fd) < 0)) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (durable) {
		int dfd = open(idx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

/* --- the cache file ---------------------------------------------------- */

static struct cache *
cache_of(struct maildir_index *idx)
{
	if (!idx->cache)
		idx->cache = xcalloc(1, sizeof(struct cache));
	return idx->cache;
}

static void
cache_clear(struct cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ents[i].data);
	c->n = 0;
	c->total = 0;
}

static size_t
cache_pos(const struct cache *c, uint32_t uid)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->ents[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
cache_put(struct cache *c, uint32_t uid, const void *blob, size_t len)
{
	size_t pos = cache_pos(c, uid);
	if (pos < c->n && c->ents[pos].uid == uid) {
		c->total -= c->ents[pos].len;
		free(c->ents[pos].data);
	} else {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 64;
			c->ents = xreallocarray(c->ents, c->cap, sizeof(*c->ents));
		}
		memmove(c->ents + pos + 1, c->ents + pos, (c->n - pos) * sizeof(*c->ents));
		c->n++;
	}
	c->ents[pos].uid = uid;
	c->ents[pos].len = (uint32_t)len;
	c->ents[pos].data = xmalloc(len ? len : 1);
	memcpy(c->ents[pos].data, blob, len);
	c->total += len;
}

/* Load postern-cache; a damaged or foreign file is ignored (it is only a
 * cache). */
static void
cache_load(struct maildir_index *idx)
{
	struct cache *c = cache_of(idx);
	char path[MAILDIR_PATH_MAX];
	struct buf b = BUF_INIT;
	idx->cache_loaded = 1;
	cache_clear(c);
	if (!idx->dir || path_in(idx, MAILDIR_CACHE_FILE, path, sizeof(path)) < 0 ||
	    slurp(path, CACHE_FILE_MAX, &b) <= 0 || b.len < 20 ||
	    memcmp(b.p, CACHE_MAGIC, 8) != 0)
		goto out;
	const unsigned char *q = (const unsigned char *)b.p + b.len - 8;
	uint64_t sum = 0;
	for (int i = 7; i >= 0; i--)
		sum = sum << 8 | q[i];
	if (sum != fnv64(b.p, b.len - 8))
		goto out;
	struct rd r = { (const unsigned char *)b.p, b.len - 8, 8, 0 };
	if (get_u32(&r) != idx->uidvalidity)
		goto out;
	uint32_t prev = 0;
	while (!r.bad && r.off < r.len) {
		uint32_t uid = get_u32(&r);
		uint32_t len = get_u32(&r);
		const unsigned char *d = len <= MAILDIR_CACHE_BLOB_MAX ? rd_take(&r, len) : NULL;
		if (r.bad || !d || uid <= prev) {
			cache_clear(c);
			break;
		}
		prev = uid;
		if (maildir_index_find(idx, uid))
			cache_put(c, uid, d, len);
	}
out:
	buf_free(&b);
}

static int
cache_write(struct maildir_index *idx)
{
	struct cache *c = cache_of(idx);
	struct buf b = BUF_INIT;
	buf_append(&b, CACHE_MAGIC, 8);
	put_u32(&b, idx->uidvalidity);
	for (size_t i = 0; i < c->n; i++) {
		if (!maildir_index_find(idx, c->ents[i].uid))
			continue;
		put_u32(&b, c->ents[i].uid);
		put_u32(&b, c->ents[i].len);
		buf_append(&b, c->ents[i].data, c->ents[i].len);
	}
	put_u64(&b, fnv64(b.p, b.len));
	/* Not fsynced: the checksum catches a torn cache, and losing it
	 * costs time only. */
	int rc = replace_file(idx, MAILDIR_CACHE_FILE, &b, 0);
	buf_free(&b);
	return rc;
}

const void *
maildir_index_cache_get(struct maildir_index *idx, uint32_t uid, size_t *len)
{
	if (!idx->cache_loaded)
		cache_load(idx);
	struct cache *c = cache_of(idx);
	size_t pos = cache_pos(c, uid);
	if (pos >= c->n || c->ents[pos].uid != uid)
		return NULL;
	*len = c->ents[pos].len;
	return c->ents[pos].data;
}

int
maildir_index_cache_set(struct maildir_index *idx, uint32_t uid,
    const void *blob, size_t len)
{
	if (!idx->cache_loaded)
		cache_load(idx);
	struct cache *c = cache_of(idx);
	if (len > MAILDIR_CACHE_BLOB_MAX || c->total + len > CACHE_FILE_MAX / 2 ||
	    !maildir_index_find(idx, uid)) {
		errno = EFBIG;
		return -1;
	}
	cache_put(c, uid, blob, len);
	idx->cache_dirty = 1;
	if (!idx->locked) {
		/* Written at the next transaction end; do one now. */
		if (maildir_index_begin(idx) < 0)
			return -1;
		return maildir_index_end(idx);
	}
	return 0;
}

/* --- lock and load ----------------------------------------------------- */

static int
lock_file(struct maildir_index *idx, int type)
{
	struct flock fl = { 0 };
	fl.l_type = (short)type;
	fl.l_whence = SEEK_SET;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long delay_us = 1000;
	for (;;) {
		if (fcntl(idx->lock_fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long el = (now.tv_sec - start.tv_sec) * 1000LL +
		    (now.tv_nsec - start.tv_nsec) / 1000000;
		if (el > LOCK_TIMEOUT_MS) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* Short sleeps first: holders keep the lock for milliseconds,
		 * and long sleeps would let busy peers starve us. */
		struct timespec ts = { 0, delay_us * 1000 };
		nanosleep(&ts, NULL);
		if (el > 2000)
			delay_us = 10000;
	}
}

static void
unlock_file(struct maildir_index *idx)
{
	struct flock fl = { 0 };
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	fcntl(idx->lock_fd, F_SETLK, &fl);
}

/* Generation of the index on disk: 0 when missing or unreadable. */
static int
disk_generation(const struct maildir_index *idx, uint64_t *gen)
{
	char path[MAILDIR_PATH_MAX];
	unsigned char h[16];
	*gen = 0;
	if (path_in(idx, MAILDIR_INDEX_FILE, path, sizeof(path)) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	ssize_t r = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (r != (ssize_t)sizeof(h) || (memcmp(h, INDEX_MAGIC, 8) != 0 &&
	    memcmp(h, INDEX_MAGIC_V1, 8) != 0))
		return 0;
	for (int i = 7; i >= 0; i--)
		*gen = *gen << 8 | h[8 + i];
	return 1;
}

static uint32_t
fresh_uidvalidity(uint32_t old)
{
	uint32_t v = (uint32_t)time(NULL);
	if (v <= old)
		v = old + 1;
	return v ? v : 1;
}

/* Take over foreign UIDs on creation. */
static struct maildir_import *
import_foreign(struct maildir_index *idx)
{
	struct maildir_import *im = xcalloc(1, sizeof(*im));
	if (maildir_import_dir(idx->dir, im) <= 0) {
		/* Keywords alone are still worth having. */
		for (int k = 0; k < MAILDIR_KEYWORDS_MAX; k++) {
			idx->keywords[k] = im->keywords[k];
			im->keywords[k] = NULL;
		}
		maildir_import_free(im);
		free(im);
		return NULL;
	}
	idx->uidvalidity = im->uidvalidity;
	idx->next_uid = im->next_uid;
	idx->recent_uid = im->next_uid;
	for (int k = 0; k < MAILDIR_KEYWORDS_MAX; k++) {
		idx->keywords[k] = im->keywords[k];
		im->keywords[k] = NULL;
	}
	log_info("maildir_import", "dir=%s source=%s uids=%zu uidvalidity=%u",
	    idx->dir, im->source, im->count, (unsigned)im->uidvalidity);
	return im;
}

/* --- the flag-change log ----------------------------------------------- */

/* Record: u32 payload length, payload (u32 uid, u64 modseq, u8 in_new,
 * u8 name length, name), u64 FNV-1a of length and payload. */
size_t
maildir_index_apply_log(struct maildir_index *idx, const char *p, size_t len)
{
	struct rd r = { (const unsigned char *)p, len, 0, 0 };
	size_t good = 0;
	while (r.off < r.len) {
		size_t start = r.off;
		uint32_t plen = get_u32(&r);
		if (r.bad || plen < 14 || plen > LOG_RECORD_MAX)
			break;
		const unsigned char *pl = rd_take(&r, plen);
		uint64_t sum = get_u64(&r);
		if (r.bad || sum != fnv64(p + start, 4 + plen))
			break;
		struct rd q = { pl, plen, 0, 0 };
		uint32_t uid = get_u32(&q);
		uint64_t modseq = get_u64(&q);
		unsigned in_new = get_u8(&q);
		unsigned nl = get_u8(&q);
		const unsigned char *name = rd_take(&q, nl);
		if (q.bad || q.off != q.len || in_new > 1 || !name_ok(name, nl))
			break;
		good = r.off;
		struct maildir_msg *m = maildir_index_find(idx, uid);
		if (!m)
			continue;
		msg_set_name(m, (const char *)name, nl, (int)in_new);
		if (modseq > m->modseq)
			m->modseq = modseq;
		if (modseq > idx->highest_modseq)
			idx->highest_modseq = modseq;
	}
	return good;
}

static int
log_path(const struct maildir_index *idx, char *out, size_t outlen)
{
	return path_in(idx, MAILDIR_INDEX_LOG, out, outlen);
}

/* Apply what others appended to the log of our generation. */
static int
log_catch_up(struct maildir_index *idx)
{
	char path[MAILDIR_PATH_MAX];
	unsigned char h[16];
	struct stat st;
	if (log_path(idx, path, sizeof(path)) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		idx->log_offset = 0;
		return errno == ENOENT ? 0 : -1;
	}
	uint64_t base = 0;
	if (fstat(fd, &st) < 0 || pread(fd, h, 16, 0) != 16 ||
	    memcmp(h, LOG_MAGIC, 8) != 0) {
		close(fd);
		idx->log_offset = 0;
		return 0;
	}
	for (int i = 7; i >= 0; i--)
		base = base << 8 | h[8 + i];
	if (base != idx->generation) {
		close(fd);
		idx->log_offset = 0;   /* void: made for another generation */
		return 0;
	}
	if (idx->log_offset < 16)
		idx->log_offset = 16;
	uint64_t size = (uint64_t)st.st_size;
	if (size > 16 + (uint64_t)MAILDIR_INDEX_LOG_MAX + LOG_RECORD_MAX * 2)
		size = 16 + (uint64_t)MAILDIR_INDEX_LOG_MAX + LOG_RECORD_MAX * 2;
	if (size > idx->log_offset) {
		size_t n = (size_t)(size - idx->log_offset);
		char *b = xmalloc(n);
		ssize_t got = pread(fd, b, n, (off_t)idx->log_offset);
		if (got > 0)
			idx->log_offset += maildir_index_apply_log(idx, b, (size_t)got);
		free(b);
	}
	close(fd);
	return 0;
}

static void
log_note(struct maildir_index *idx, uint32_t uid)
{
	if (idx->nlog == idx->logcap) {
		idx->logcap = idx->logcap ? idx->logcap * 2 : 64;
		idx->log_uids = xreallocarray(idx->log_uids, idx->logcap, sizeof(*idx->log_uids));
	}
	idx->log_uids[idx->nlog++] = uid;
}

/* Append the noted flag changes; -1 means "rewrite the index instead". */
static int
log_append(struct maildir_index *idx)
{
	char path[MAILDIR_PATH_MAX];
	struct buf b = BUF_INIT;
	if (log_path(idx, path, sizeof(path)) < 0)
		return -1;
	int fresh = idx->log_offset < 16;
	if (fresh) {
		buf_append(&b, LOG_MAGIC, 8);
		put_u64(&b, idx->generation);
	}
	for (size_t i = 0; i < idx->nlog; i++) {
		const struct maildir_msg *m = maildir_index_find(idx, idx->log_uids[i]);
		if (!m)
			continue;
		size_t start = b.len;
		put_u32(&b, 4 + 8 + 1 + 1 + m->name_len);
		put_u32(&b, m->uid);
		put_u64(&b, m->modseq);
		put_u8(&b, m->in_new);
		put_u8(&b, m->name_len);
		buf_append(&b, m->name, m->name_len);
		put_u64(&b, fnv64(b.p + start, b.len - start));
	}
	uint64_t at = fresh ? 0 : idx->log_offset;
	if (at + b.len > 16 + (uint64_t)MAILDIR_INDEX_LOG_MAX) {
		buf_free(&b);
		return -1;   /* compact: full rewrite */
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		buf_free(&b);
		return -1;
	}
	/* Cut a torn record a killed writer may have left. */
	int ok = ftruncate(fd, (off_t)at) == 0;
	size_t off = 0;
	while (ok && off < b.len) {
		ssize_t w = pwrite(fd, b.p + off, b.len - off, (off_t)(at + off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ok = 0;
		else
			off += (size_t)w;
	}
	ok = ok && fdatasync(fd) == 0;
	close(fd);
	if (ok)
		idx->log_offset = at + b.len;
	buf_free(&b);
	return ok ? 0 : -1;
}

static int scan(struct maildir_index *idx, int force,
    struct maildir_import *im);

/* Bring the in-memory state up to the file on disk (under the lock). */
static int
refresh(struct maildir_index *idx)
{
	uint64_t gen;
	int r = disk_generation(idx, &gen);
	if (r < 0)
		return -1;
	idx->nlog = 0;
	if (r == 1 && gen == idx->generation && idx->uidvalidity)
		return log_catch_up(idx);
	idx->log_offset = 0;
	char path[MAILDIR_PATH_MAX];
	struct image b;
	path_in(idx, MAILDIR_INDEX_FILE, path, sizeof(path));
	r = image_read(path, INDEX_FILE_MAX, &b);
	if (r < 0 && errno != EFBIG) {
		image_free(&b);
		return -1;
	}
	uint32_t old_uidv = idx->uidvalidity;
	if (r > 0 && maildir_index_parse(idx, b.p, b.len) == 0) {
		image_free(&b);
		idx->cache_loaded = 0;
		/* An old format is rewritten once in the current one. */
		if (idx->format != INDEX_FORMAT)
			idx->dirty = 1;
		return log_catch_up(idx);
	}
	/* A damaged file may still name its UIDVALIDITY: the new one must
	 * differ from it (RFC 3501 2.3.1.1), so go above it. */
	if (r > 0 && b.len >= 20 && (memcmp(b.p, INDEX_MAGIC, 8) == 0 ||
	    memcmp(b.p, INDEX_MAGIC_V1, 8) == 0)) {
		const unsigned char *u = (const unsigned char *)b.p + 16;
		uint32_t v = (uint32_t)u[0] | (uint32_t)u[1] << 8 |
		    (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
		if (v > old_uidv && v < UINT32_MAX)
			old_uidv = v;
	}
	image_free(&b);
	if (r > 0 || (r < 0 && errno == EFBIG)) {
		/* Damaged: rebuild with a new UIDVALIDITY, keeping keyword
		 * letters' meaning is impossible to verify, so they go too. */
		log_warn("maildir_index_rebuild", "dir=%s reason=damaged", idx->dir);
		state_clear(idx);
		idx->uidvalidity = fresh_uidvalidity(old_uidv);
		idx->dirty = 1;
		idx->cache_loaded = 0;
		return scan(idx, 1, NULL);
	}
	if (old_uidv) {
		/* Removed while we had it: keep our state and write it back. */
		idx->dirty = 1;
		return 0;
	}
	/* New index: import, then a full scan. */
	state_clear(idx);
	struct maildir_import *im = import_foreign(idx);
	if (!idx->uidvalidity)
		idx->uidvalidity = fresh_uidvalidity(0);
	idx->dirty = 1;
	idx->cache_loaded = 0;
	int rc = scan(idx, 1, im);
	if (im) {
		maildir_import_free(im);
		free(im);
	}
	return rc;
}

/* Descriptors of new/ and cur/ for flag renames, opened at the first
 * rename inside an outer transaction (a batch such as STORE 1:*) and
 * closed at its end (a folder renamed
 * between transactions is never reached through a stale descriptor). */
static int
open_dirfds(struct maildir_index *idx)
{
	char p[MAILDIR_PATH_MAX];
	if (idx->newfd >= 0 && idx->curfd >= 0)
		return 0;
	if (idx->newfd < 0) {
		if (snprintf(p, sizeof(p), "%s/new", idx->dir) >= (int)sizeof(p))
			return -1;
		idx->newfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (idx->curfd < 0) {
		if (snprintf(p, sizeof(p), "%s/cur", idx->dir) >= (int)sizeof(p))
			return -1;
		idx->curfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return idx->newfd >= 0 && idx->curfd >= 0 ? 0 : -1;
}

static void
close_dirfds(struct maildir_index *idx)
{
	if (idx->newfd >= 0)
		close(idx->newfd);
	if (idx->curfd >= 0)
		close(idx->curfd);
	idx->newfd = idx->curfd = -1;
}

int
maildir_index_begin(struct maildir_index *idx)
{
	if (idx->locked++ > 0)
		return 0;
	if (lock_file(idx, F_WRLCK) < 0) {
		idx->locked = 0;
		return -1;
	}
	if (refresh(idx) < 0) {
		int e = errno;
		unlock_file(idx);
		idx->locked = 0;
		errno = e;
		return -1;
	}
	return 0;
}

int
maildir_index_end(struct maildir_index *idx)
{
	int rc = 0;
	if (idx->locked == 0)
		return 0;
	if (--idx->locked > 0)
		return 0;
	compact(idx);
	if (!idx->dirty && idx->nlog && log_append(idx) < 0)
		idx->dirty = 1;
	idx->nlog = 0;
	if (idx->dirty) {
		struct buf b = BUF_INIT;
		idx->generation++;
		idx->log_offset = 0;   /* the old log is void now */
		idx->format = INDEX_FORMAT;
		maildir_index_serialize(idx, &b);
		if (replace_file(idx, MAILDIR_INDEX_FILE, &b, 1) < 0) {
			log_warn("maildir_index_write", "dir=%s error=%s", idx->dir, strerror(errno));
			/* Re-read at the next begin: the files are the truth. */
			idx->generation = UINT64_MAX;
			rc = -1;
		}
		buf_free(&b);
		idx->dirty = 0;
	}
	if (idx->cache_dirty && rc == 0) {
		cache_write(idx);
		idx->cache_dirty = 0;
	}
	close_dirfds(idx);
	unlock_file(idx);
	return rc;
}

/* --- sync -------------------------------------------------------------- */

struct base_hash {
	size_t *slot;      /* message position + 1; 0 empty */
	size_t mask;
};

static uint64_t
hash_base(const char *p, size_t n)
{
	return fnv64(p, n);
}

static void
hash_build(struct base_hash *h, const struct maildir_index *idx)
{
	size_t sz = 64;
	while (sz < idx->count * 2 + 1)
		sz *= 2;
	h->slot = xcalloc(sz, sizeof(*h->slot));
	h->mask = sz - 1;
	for (size_t i = 0; i < idx->count; i++) {
		const struct maildir_msg *m = &idx->msgs[i];
		size_t s = hash_base(m->name, m->base_len) & h->mask;
		while (h->slot[s])
			s = (s + 1) & h->mask;
		h->slot[s] = i + 1;
	}
}

static struct maildir_msg *
hash_find(const struct base_hash *h, struct maildir_index *idx,
    const char *base, size_t len)
{
	size_t s = hash_base(base, len) & h->mask;
	while (h->slot[s]) {
		struct maildir_msg *m = &idx->msgs[h->slot[s] - 1];
		if (m->base_len == len && memcmp(m->name, base, len) == 0)
			return m;
		s = (s + 1) & h->mask;
	}
	return NULL;
}

/* Delivery order: by the leading number (seconds), then by name. */
static int
cmp_entry_order(const void *a, const void *b)
{
	const struct maildir_entry *x = *(const struct maildir_entry *const *)a;
	const struct maildir_entry *y = *(const struct maildir_entry *const *)b;
	size_t dx = 0, dy = 0;
	while (dx < x->len && isdigit((unsigned char)x->name[dx]))
		dx++;
	while (dy < y->len && isdigit((unsigned char)y->name[dy]))
		dy++;
	/* Compare the numbers by length then digits (no leading zeros). */
	if (dx != dy)
		return dx < dy ? -1 : 1;
	int c = memcmp(x->name, y->name, dx);
	if (c)
		return c;
	/* Same second: compare the rest with digit runs as numbers, so that
	 * "M8849" (microseconds) sorts before "M12843" and "Q9" before "Q10". */
	const char *p = x->name + dx, *q = y->name + dy;
	while (*p != '\0' && *q != '\0') {
		if (isdigit((unsigned char)*p) && isdigit((unsigned char)*q)) {
			while (*p == '0' && isdigit((unsigned char)p[1]))
				p++;
			while (*q == '0' && isdigit((unsigned char)q[1]))
				q++;
			size_t np = 0, nq = 0;
			while (isdigit((unsigned char)p[np]))
				np++;
			while (isdigit((unsigned char)q[nq]))
				nq++;
			if (np != nq)
				return np < nq ? -1 : 1;
			c = memcmp(p, q, np);
			if (c)
				return c;
			p += np;
			q += nq;
			continue;
		}
		if (*p != *q)
			return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
		p++;
		q++;
	}
	if (*p != *q)
		return *p == '\0' ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
cmp_msg_uid(const void *a, const void *b)
{
	const struct maildir_msg *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
cmp_entry_base(const void *a, const void *b)
{
	const struct maildir_entry *x = *(const struct maildir_entry *const *)a;
	const struct maildir_entry *y = *(const struct maildir_entry *const *)b;
	size_t n = x->base_len < y->base_len ? x->base_len : y->base_len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	if (x->base_len != y->base_len)
		return x->base_len < y->base_len ? -1 : 1;
	return x->in_new - y->in_new;   /* cur/ first */
}

static int
timespec_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static int
stat_sub(const struct maildir_index *idx, const char *sub, struct stat *st)
{
	char p[MAILDIR_PATH_MAX];
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", idx->dir, sub) >= sizeof(p))
		return -1;
	return stat(p, st);
}

/* Is a directory (mtime now at) unchanged since a scan that happened at
 * least 2 s after its last change?  (Coarse file system timestamps could
 * hide a change made in the same tick.)  Then any later change to it
 * moves its mtime. */
static int
dir_unchanged(const struct maildir_index *idx, const struct timespec *at,
    const struct timespec *recorded)
{
	return timespec_eq(at, recorded) &&
	    idx->scan_time >= (int64_t)at->tv_sec + 2;
}

static int
scan(struct maildir_index *idx, int force, struct maildir_import *im)
{
	struct stat sn, sc;
	int new_only = 0;
	struct timespec cur_at = { 0, 0 };
	if (!force && stat_sub(idx, "new", &sn) == 0 &&
	    stat_sub(idx, "cur", &sc) == 0 &&
	    dir_unchanged(idx, &sc.st_mtim, &idx->cur_mtime)) {
		if (dir_unchanged(idx, &sn.st_mtim, &idx->new_mtime))
			return 0;
		/* Only new/ changed (delivery): every message of cur/ is
		 * still there under its name, so read new/ alone. */
		new_only = 1;
		cur_at = sc.st_mtim;
	}
	struct maildir_listing l;
	if (new_only) {
		if (maildir_list_new(idx->dir, MAILDIR_INDEX_MAX_MESSAGES, &l) < 0)
			return -1;
		/* A message moved new/ -> cur/ before or while new/ was read
		 * is missing from the listing but moved cur/'s mtime: then
		 * read both. */
		if (stat_sub(idx, "cur", &sc) < 0 || !timespec_eq(&sc.st_mtim, &cur_at)) {
			maildir_listing_free(&l);
			new_only = 0;
		} else {
			l.cur_mtime = cur_at;
		}
	}
	if (!new_only && maildir_list(idx->dir, MAILDIR_INDEX_MAX_MESSAGES, &l) < 0)
		return -1;
	int64_t now = (int64_t)time(NULL);
	struct base_hash h;
	compact(idx);
	hash_build(&h, idx);
	/* With new/ alone, the messages of cur/ count as seen. */
	for (size_t i = 0; i < idx->count; i++)
		idx->msgs[i].seen_mark = new_only && !idx->msgs[i].in_new ? MARK_SEEN : 0;
	struct maildir_entry **fresh = xcalloc(l.count ? l.count : 1, sizeof(*fresh));
	size_t nfresh = 0;
	for (size_t i = 0; i < l.count; i++) {
		struct maildir_entry *e = &l.entries[i];
		struct maildir_msg *m = hash_find(&h, idx, e->name, e->base_len);
		if (!m) {
			fresh[nfresh++] = e;
			continue;
		}
		/* The same base twice (another process between link and
		 * unlink while moving new -> cur): cur/ wins. */
		if (m->seen_mark == MARK_SEEN && e->in_new)
			continue;
		m->seen_mark = MARK_SEEN;
		if (m->in_new == e->in_new && m->name_len == e->len &&
		    memcmp(m->name, e->name, e->len) == 0)
			continue;
		unsigned of = m->flags;
		uint32_t ok = m->keywords;
		msg_set_name(m, e->name, e->len, e->in_new);
		if (m->flags != of || m->keywords != ok)
			m->modseq = ++idx->highest_modseq;
		idx->dirty = 1;
	}
	free(h.slot);
	/* Vanished files: expunged by someone else. */
	for (size_t i = 0; i < idx->count; i++) {
		struct maildir_msg *m = &idx->msgs[i];
		if (m->seen_mark == MARK_SEEN)
			continue;
		m->seen_mark = MARK_GONE;
		expunged_add(idx, m->uid, ++idx->highest_modseq);
		idx->dirty = 1;
	}
	compact(idx);
	/* New files: drop duplicate bases (cur/ first), then give UIDs in
	 * delivery order (or the imported ones). */
	if (nfresh > 1) {
		qsort(fresh, nfresh, sizeof(*fresh), cmp_entry_base);
		size_t o = 1;
		for (size_t i = 1; i < nfresh; i++) {
			if (fresh[i]->base_len == fresh[o - 1]->base_len &&
			    memcmp(fresh[i]->name, fresh[o - 1]->name, fresh[i]->base_len) == 0)
				continue;
			fresh[o++] = fresh[i];
		}
		nfresh = o;
		qsort(fresh, nfresh, sizeof(*fresh), cmp_entry_order);
	}
	int resort = 0;
	uint32_t maxuid = idx->count ? idx->msgs[idx->count - 1].uid : 0;
	for (size_t i = 0; i < nfresh; i++) {
		struct maildir_entry *e = fresh[i];
		const struct maildir_import_entry *ie =
		    im ? maildir_import_find(im, e->name, e->base_len) : NULL;
		uint32_t uid;
		if (ie && ie->uid < idx->next_uid && !maildir_index_find(idx, ie->uid)) {
			uid = ie->uid;
			resort = 1;
		} else {
			if (idx->next_uid == UINT32_MAX)
				break;   /* UID space exhausted: RFC 3501 needs a new UIDVALIDITY */
			uid = idx->next_uid++;
		}
		struct maildir_msg *m = msg_append(idx);
		m->uid = uid;
		m->modseq = ++idx->highest_modseq;
		msg_set_name(m, e->name, e->len, e->in_new);
		if (ie && ie->pop3_uidl) {
			m->pop3_uidl = xstrdup(ie->pop3_uidl);
			m->heap |= HEAP_UIDL;
		}
		m->seen_mark = 0;
		idx->dirty = 1;
		if (resort && uid > maxuid)
			maxuid = uid;
	}
	if (resort)
		qsort(idx->msgs, idx->count, sizeof(*idx->msgs), cmp_msg_uid);
	free(fresh);
	/* Saving new mtimes only pays when a later sync may then skip the
	 * scan (a scan 2 s after the last change); otherwise a scan with no
	 * other change does not rewrite the index. */
	time_t latest = l.new_mtime.tv_sec > l.cur_mtime.tv_sec ?
	    l.new_mtime.tv_sec : l.cur_mtime.tv_sec;
	if (now >= (int64_t)latest + 2 &&
	    (!timespec_eq(&l.new_mtime, &idx->new_mtime) ||
	    !timespec_eq(&l.cur_mtime, &idx->cur_mtime) ||
	    idx->scan_time < (int64_t)latest + 2))
		idx->dirty = 1;
	idx->new_mtime = l.new_mtime;
	idx->cur_mtime = l.cur_mtime;
	idx->scan_time = now;
	maildir_listing_free(&l);
	return 0;
}

int
maildir_index_sync(struct maildir_index *idx, int claim_recent,
    uint32_t *first_recent)
{
	if (maildir_index_begin(idx) < 0)
		return -1;
	int rc = scan(idx, 0, NULL);
	if (rc == 0 && claim_recent) {
		if (first_recent)
			*first_recent = idx->recent_uid;
		if (idx->recent_uid != idx->next_uid) {
			idx->recent_uid = idx->next_uid;
			idx->dirty = 1;
		}
	} else if (first_recent) {
		*first_recent = idx->next_uid;
	}
	if (maildir_index_end(idx) < 0)
		rc = -1;
	return rc;
}

/* --- open, lookups, changes -------------------------------------------- */

static struct maildir_index *
open_sync(const char *dir, int claim_recent, uint32_t *first_recent,
    char *err, size_t errlen)
{
	char path[MAILDIR_PATH_MAX];
	struct stat st;
	char cur[MAILDIR_PATH_MAX];
	snprintf(cur, sizeof(cur), "%s/cur", dir);
	if (stat(cur, &st) < 0 || !S_ISDIR(st.st_mode)) {
		int e = errno ? errno : ENOTDIR;
		snprintf(err, errlen, "%s: not a Maildir", dir);
		errno = e;
		return NULL;
	}
	struct maildir_index *idx = maildir_index_new_empty();
	idx->dir = xstrdup(dir);
	idx->uidvalidity = 0;
	if (path_in(idx, MAILDIR_INDEX_LOCK, path, sizeof(path)) < 0 ||
	    (idx->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		maildir_index_free(idx);
		errno = e;
		return NULL;
	}
	if (maildir_index_sync(idx, claim_recent, first_recent) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: sync: %s", dir, strerror(e));
		maildir_index_free(idx);
		errno = e;
		return NULL;
	}
	return idx;
}

struct maildir_index *
maildir_index_open(const char *dir, char *err, size_t errlen)
{
	return open_sync(dir, 0, NULL, err, errlen);
}

struct maildir_index *
maildir_index_open_claim(const char *dir, uint32_t *first_recent, char *err,
    size_t errlen)
{
	return open_sync(dir, 1, first_recent, err, errlen);
}

void
maildir_index_free(struct maildir_index *idx)
{
	if (!idx)
		return;
	if (idx->locked) {
		idx->locked = 1;
		maildir_index_end(idx);
	}
	state_clear(idx);
	free(idx->msgs);
	free(idx->expunged);
	free(idx->log_uids);
	if (idx->cache) {
		cache_clear(idx->cache);
		free(((struct cache *)idx->cache)->ents);
		free(idx->cache);
	}
	close_dirfds(idx);
	if (idx->lock_fd >= 0)
		close(idx->lock_fd);
	free(idx->dir);
	free(idx);
}

size_t
maildir_index_seq_of(const struct maildir_index *idx, uint32_t uid)
{
	size_t lo = 0, hi = idx->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (idx->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct maildir_msg *
maildir_index_find(const struct maildir_index *idx, uint32_t uid)
{
	size_t pos = maildir_index_seq_of(idx, uid);
	if (pos < idx->count && idx->msgs[pos].uid == uid &&
	    idx->msgs[pos].seen_mark != MARK_GONE)
		return &idx->msgs[pos];
	return NULL;
}

int
maildir_index_path(const struct maildir_index *idx,
    const struct maildir_msg *m, char *out, size_t outlen)
{
	return maildir_message_path(idx->dir, m->name, m->in_new, out, outlen);
}

int
maildir_index_open_msg(struct maildir_index *idx, uint32_t uid)
{
	struct maildir_msg *m = maildir_index_find(idx, uid);
	if (!m) {
		errno = ENOENT;
		return -1;
	}
	/* A rename by someone else is followed here without touching the
	 * index: the next sync notices the new name (and its flags). */
	return maildir_open_message(idx->dir, m->name, m->in_new, NULL, NULL);
}

int
maildir_index_set_flags(struct maildir_index *idx, uint32_t uid,
    unsigned flags, uint32_t keywords, uint64_t unchangedsince)
{
	char nn[MAILDIR_NAME_MAX + 1];
	int rc = 0;
	flags &= MAILDIR_FLAGS_ALL;
	if (maildir_index_begin(idx) < 0)
		return -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct maildir_msg *m = maildir_index_find(idx, uid);
		if (!m) {
			rc = 1;
			break;
		}
		if (unchangedsince && m->modseq > unchangedsince) {
			rc = 2;
			break;
		}
		if (m->flags == flags && m->keywords == keywords && !m->in_new) {
			rc = 0;
			break;
		}
		int r = idx->locked > 1 && open_dirfds(idx) == 0 ?
		    maildir_set_flags_at(idx->newfd, idx->curfd, m->name, m->in_new,
		    flags, keywords, nn, sizeof(nn)) :
		    maildir_set_flags(idx->dir, m->name, m->in_new, flags, keywords,
		    nn, sizeof(nn));
		if (r < 0) {
			if (errno == ENOENT && attempt == 0) {
				/* Renamed or deleted by another process. */
				if (scan(idx, 1, NULL) < 0) {
					rc = -1;
					break;
				}
				continue;
			}
			rc = -1;
			break;
		}
		unsigned of = m->flags;
		uint32_t ok = m->keywords;
		msg_set_name(m, nn, strlen(nn), 0);
		if (m->flags != of || m->keywords != ok)
			m->modseq = ++idx->highest_modseq;
		log_note(idx, uid);
		rc = 0;
		break;
	}
	if (maildir_index_end(idx) < 0)
		rc = -1;
	return rc;
}

int
maildir_index_store(struct maildir_index *idx, uint32_t uid,
    enum maildir_store_mode mode, unsigned flags, uint32_t keywords,
    uint64_t unchangedsince)
{
	if (maildir_index_begin(idx) < 0)
		return -1;
	int rc = 1;
	struct maildir_msg *m = maildir_index_find(idx, uid);
	if (m) {
		unsigned nf = flags;
		uint32_t nk = keywords;
		if (mode == MAILDIR_STORE_ADD) {
			nf = m->flags | flags;
			nk = m->keywords | keywords;
		} else if (mode == MAILDIR_STORE_REMOVE) {
			nf = m->flags & ~flags;
			nk = m->keywords & ~keywords;
		}
		rc = maildir_index_set_flags(idx, uid, nf, nk, unchangedsince);
	}
	if (maildir_index_end(idx) < 0)
		rc = -1;
	return rc;
}

int
maildir_index_expunge(struct maildir_index *idx, uint32_t uid)
{
	char p[MAILDIR_PATH_MAX];
	int rc = 0;
	if (maildir_index_begin(idx) < 0)
		return -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct maildir_msg *m = maildir_index_find(idx, uid);
		if (!m)
			break;
		if (maildir_index_path(idx, m, p, sizeof(p)) < 0) {
			rc = -1;
			break;
		}
		if (unlink(p) < 0) {
			if (errno == ENOENT && attempt == 0) {
				if (scan(idx, 1, NULL) < 0) {
					rc = -1;
					break;
				}
				continue;
			}
			if (errno != ENOENT) {
				rc = -1;
				break;
			}
		}
		m->seen_mark = MARK_GONE;
		expunged_add(idx, uid, ++idx->highest_modseq);
		idx->dirty = 1;
		break;
	}
	if (maildir_index_end(idx) < 0)
		rc = -1;
	return rc;
}

int
maildir_index_add(struct maildir_index *idx, const char *name, int in_new,
    uint32_t *uid)
{
	size_t len = strlen(name);
	if (len == 0 || len > MAILDIR_NAME_MAX || !name_ok((const unsigned char *)name, len)) {
		errno = EINVAL;
		return -1;
	}
	if (maildir_index_begin(idx) < 0)
		return -1;
	size_t bl = maildir_name_base_len(name, len);
	/* Another process's sync may have numbered it already. */
	for (size_t i = idx->count; i-- > 0;) {
		struct maildir_msg *m = &idx->msgs[i];
		if (m->seen_mark != MARK_GONE && m->base_len == bl &&
		    memcmp(m->name, name, bl) == 0) {
			*uid = m->uid;
			return maildir_index_end(idx);
		}
	}
	/* Gone already (a session synced and expunged it between delivery
	 * and now): no UID for a message that does not exist. */
	char p[MAILDIR_PATH_MAX];
	struct stat st;
	if (maildir_message_path(idx->dir, name, in_new, p, sizeof(p)) < 0 ||
	    lstat(p, &st) < 0) {
		int e = errno;
		maildir_index_end(idx);
		errno = e;
		return -1;
	}
	if (idx->next_uid == UINT32_MAX) {
		maildir_index_end(idx);
		errno = EOVERFLOW;
		return -1;
	}
	struct maildir_msg *m = msg_append(idx);
	m->uid = idx->next_uid++;
	m->modseq = ++idx->highest_modseq;
	msg_set_name(m, name, len, in_new);
	idx->dirty = 1;
	*uid = m->uid;
	return maildir_index_end(idx);
}

int
maildir_index_keyword(struct maildir_index *idx, const char *name,
    size_t len, int create)
{
	for (int k = 0; k < MAILDIR_KEYWORDS_MAX; k++)
		if (idx->keywords[k] && strlen(idx->keywords[k]) == len &&
		    strncasecmp(idx->keywords[k], name, len) == 0)
			return k;
	if (!create || !keyword_ok((const unsigned char *)name, len))
		return -1;
	if (maildir_index_begin(idx) < 0)
		return -1;
	int found = -1;
	/* Another process may have added it meanwhile. */
	for (int k = 0; k < MAILDIR_KEYWORDS_MAX && found < 0; k++)
		if (idx->keywords[k] && strlen(idx->keywords[k]) == len &&
		    strncasecmp(idx->keywords[k], name, len) == 0)
			found = k;
	for (int k = 0; k < MAILDIR_KEYWORDS_MAX && found < 0; k++)
		if (!idx->keywords[k]) {
			idx->keywords[k] = xstrndup(name, len);
			idx->dirty = 1;
			found = k;
		}
	if (maildir_index_end(idx) < 0)
		return -1;
	return found;
}
