/* maildir.h: Maildir++ folders and the Maildir delivery protocol.
 *
 * Layout (Maildir++): INBOX is the Maildir root (ROOT/{tmp,new,cur}); a
 * folder "A.B" lives in ROOT/.A.B/ with its own tmp/new/cur and an empty
 * file "maildirfolder".  '.' is the hierarchy separator.  Folder names here
 * are in the on-disk form (the IMAP server converts from modified UTF-7 or
 * UTF-8 and maps its separator); INBOX is spelled "INBOX" (any case) or "".
 *
 * Message file names:  <time>.M<usec>P<pid>Q<counter>.<host>,S=<size>,W=<crlfsize>
 * in new/, and the same base plus ":2,<flags>" in cur/, where <flags> are
 * the letters DFPRST (sorted) followed by keyword letters a-z (sorted); the
 * keyword letter k names keyword number k-'a' of the folder (its names live
 * in the UID index, imported from dovecot-keywords on first open).  ,S= is
 * the size on disk (LF line ends), ,W= the size with CRLF line ends (what
 * POP3 and IMAP report), as Dovecot writes them.
 *
 * Delivery protocol: write to tmp/ under a unique name, fsync, move it into
 * new/ (or cur/ for IMAP APPEND with flags) under the final name without
 * ever replacing an existing one (renameat2 RENAME_NOREPLACE; link() and
 * unlink() where the file system lacks it), fsync the target directory.  Only then is the message
 * reported delivered.  Files whose names start with '.' and names longer
 * than MAILDIR_NAME_MAX are not messages and are ignored by listings. */
#ifndef POSTERN_MAILDIR_H
#define POSTERN_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "buf.h"

#define MAILDIR_NAME_MAX 255     /* longest file name we accept or make */
#define MAILDIR_PATH_MAX 4096

/* System flags, as bits. */
enum {
	MAILDIR_FLAG_DRAFT    = 1 << 0,   /* D */
	MAILDIR_FLAG_FLAGGED  = 1 << 1,   /* F */
	MAILDIR_FLAG_PASSED   = 1 << 2,   /* P (IMAP: $Forwarded) */
	MAILDIR_FLAG_REPLIED  = 1 << 3,   /* R (\Answered) */
	MAILDIR_FLAG_SEEN     = 1 << 4,   /* S */
	MAILDIR_FLAG_TRASHED  = 1 << 5    /* T (\Deleted) */
};
#define MAILDIR_FLAGS_ALL 0x3fu
#define MAILDIR_KEYWORDS_MAX 26   /* letters a-z */

/* --- folders ---------------------------------------------------------- */

/* Is name a valid folder name (on-disk form)?  Rejects "/", NUL, control
 * characters, empty components ("a..b", leading/trailing '.'), ".." and
 * names longer than 200 bytes.  "" and "INBOX" (any case) are valid. */
int maildir_folder_name_valid(const char *name, size_t len);
int maildir_folder_is_inbox(const char *name, size_t len);

/* Path of folder name under root into out: root for INBOX, root/.name
 * otherwise.  Returns 0, or -1 (errno EINVAL bad name, ENAMETOOLONG). */
int maildir_folder_path(const char *root, const char *name, char *out,
    size_t outlen);

/* Create tmp/, new/, cur/ under dir (and dir itself), mode 0700; existing
 * directories are fine.  Returns 0 or -1 with errno. */
int maildir_make(const char *dir);
/* Create folder name under root (maildir_make plus "maildirfolder").
 * Creating INBOX makes the root.  Returns 0, or -1: errno EEXIST when the
 * folder already exists, EINVAL for a bad name. */
int maildir_folder_create(const char *root, const char *name);
/* Rename folder oldname (and all its subfolders oldname.*) to newname.
 * INBOX cannot be renamed here (EINVAL); the IMAP server moves its
 * messages itself.  EEXIST if newname exists, ENOENT if oldname does not. */
int maildir_folder_rename(const char *root, const char *oldname,
    const char *newname);
/* Delete folder name (its directory tree, not its subfolders).  INBOX
 * cannot be deleted (EINVAL). */
int maildir_folder_delete(const char *root, const char *name);

/* List the folders under root (not INBOX): calls fn(name, arg) for each
 * ".name" directory that holds cur/.  Returns count, or -1 with errno when
 * root cannot be read.  At most max_folders (bounded work). */
int maildir_folder_list(const char *root, size_t max_folders,
    void (*fn)(const char *name, void *arg), void *arg);

/* --- names and flags -------------------------------------------------- */

/* A fresh unique base name (without ,S=/,W=) into out:
 * "<sec>.M<usec>P<pid>Q<counter>.<host>" with host sanitized ('/' ->
 * "\057", ':' -> "\072"; control characters dropped).  Returns 0 or -1
 * (ENAMETOOLONG). */
int maildir_unique_name(char *out, size_t outlen);
/* The host part as used in names (sanitized gethostname()). */
const char *maildir_hostname(void);

/* Length of the base of a file name: up to (not including) the first ':'
 * (the info separator).  The base identifies a message across flag
 * changes and the move from new/ to cur/. */
size_t maildir_name_base_len(const char *name, size_t len);

/* Parse the flags of a file name: ":2,<letters>" after the base.  Unknown
 * letters are ignored; no info means no flags.  Returns 0. */
int maildir_name_flags(const char *name, size_t len, unsigned *flags,
    uint32_t *keywords);
/* Sizes from ",S=" and ",W=" fields of the base; 0 if found (value in
 * *out), -1 if absent or malformed. */
int maildir_name_size(const char *name, size_t len, uint64_t *out);
int maildir_name_vsize(const char *name, size_t len, uint64_t *out);

/* Write "base:2,FLAGS" (sorted DFPRST then a-z) into out.  Other letters
 * that were in the old info of name (flags we do not know) are kept in
 * sorted position.  name may have any info or none.  Returns 0, or -1
 * (ENAMETOOLONG). */
int maildir_name_with_flags(const char *name, size_t len, unsigned flags,
    uint32_t keywords, char *out, size_t outlen);

/* Change the flags of a message in cur/ (or move it from new/ to cur/
 * with the flags): renames dir/{new,cur}/name to dir/cur/<new name>.
 * in_new says where it is.  The new file name goes to out.  Returns 0, or
 * -1 with errno (ENOENT: the file is gone or was renamed by someone else;
 * the caller rescans). */
int maildir_set_flags(const char *dir, const char *name, int in_new,
    unsigned flags, uint32_t keywords, char *out, size_t outlen);

/* The same relative to open descriptors of the folder's new/ and cur/
 * (renameat: no path walk per message when many are changed at once). */
int maildir_set_flags_at(int newfd, int curfd, const char *name, int in_new,
    unsigned flags, uint32_t keywords, char *out, size_t outlen);

/* --- delivery --------------------------------------------------------- */

struct maildir_delivery {
	int crlf_to_lf;          /* turn CR LF into LF while copying */
	const char *prefix;      /* bytes written before the message (e.g.
	                            Return-Path and Delivered-To); may be NULL */
	size_t prefix_len;
	int to_cur;              /* deliver into cur/ with flags below */
	unsigned flags;
	uint32_t keywords;
	uint64_t max_size;       /* 0 = unlimited; larger gives EFBIG */
	time_t mtime;            /* nonzero: set the file's mtime (APPEND date) */
	int io_timeout_ms;       /* reading from fd; <= 0 no deadline */
	int read_limited;        /* read exactly read_limit bytes from fd, not
	                            to its end (a queue file: the message is
	                            its first bytes; fewer gives EIO) */
	uint64_t read_limit;
};

struct maildir_delivered {
	char name[MAILDIR_NAME_MAX + 1];   /* final file name (no directory) */
	uint64_t size;                     /* bytes on disk */
	uint64_t vsize;                    /* bytes with CRLF line ends */
};

/* Deliver a message into the Maildir dir (root or folder path) following
 * the protocol above.  The message comes from fd (read to EOF, or
 * opt->read_limit bytes) when fd >=
 * 0, else from buf/len.  opt may be NULL (defaults: copy as is into new/).
 * Returns 0 with *out filled once the message is durable; -1 with errno
 * otherwise (ENOSPC/EDQUOT: full, EFBIG: over max_size, ETIMEDOUT: read
 * deadline); on failure nothing is left in tmp/, new/ or cur/. */
int maildir_deliver(const char *dir, int fd, const char *buf, size_t len,
    const struct maildir_delivery *opt, struct maildir_delivered *out);
#define maildir_deliver_fd(dir, fd, opt, out) \
	maildir_deliver((dir), (fd), NULL, 0, (opt), (out))
#define maildir_deliver_buf(dir, buf, len, opt, out) \
	maildir_deliver((dir), -1, (buf), (len), (opt), (out))

/* Remove files in dir/tmp older than max_age seconds (36 hours is the
 * Maildir convention).  Returns how many were removed. */
int maildir_clean_tmp(const char *dir, time_t max_age);

/* Size on disk and size with CRLF line ends of the message file at path
 * (reads it: for names without ",S="/",W=").  0 or -1 with errno. */
int maildir_file_sizes(const char *path, uint64_t *size, uint64_t *vsize);
/* The same from the name when it carries ,S= and ,W=, else from the file
 * dir/{new,cur}/name.  0 or -1. */
int maildir_message_sizes(const char *dir, const char *name, int in_new,
    uint64_t *size, uint64_t *vsize);

/* --- listing ---------------------------------------------------------- */

struct maildir_entry {
	char *name;         /* file name (points into the listing's storage) */
	size_t len;
	size_t base_len;    /* maildir_name_base_len(name) */
	int in_new;         /* 1: new/, 0: cur/ */
};

struct maildir_listing {
	struct maildir_entry *entries;
	size_t count;
	struct buf names;   /* private: storage of the names */
	struct timespec new_mtime, cur_mtime;   /* directory mtimes, read
	                                           before the scan */
};

/* Read the names in dir/new and dir/cur (one readdir each, no stat of the
 * files).  Skips dot files, names longer than MAILDIR_NAME_MAX, names with
 * control characters or '/', and more than max_entries (0: no limit)
 * entries.  Files that vanish between calls are simply absent.  Returns 0
 * or -1 with errno (ENOENT: not a Maildir).  Free with
 * maildir_listing_free. */
int maildir_list(const char *dir, size_t max_entries,
    struct maildir_listing *out);
/* The same for new/ alone (cur_mtime left zero): for a sync that knows
 * cur/ did not change. */
int maildir_list_new(const char *dir, size_t max_entries,
    struct maildir_listing *out);
void maildir_listing_free(struct maildir_listing *l);

/* Path of a message: dir/{new,cur}/name into out.  0 or -1. */
int maildir_message_path(const char *dir, const char *name, int in_new,
    char *out, size_t outlen);
/* Open a message read-only; if it is not where expected (renamed by
 * another process: flags changed, moved to cur/), looks for the same base
 * in cur/ and new/ (one readdir) and reports the current name in
 * found_name (size MAILDIR_NAME_MAX+1, may be NULL).  Returns fd or -1
 * (ENOENT: expunged). */
int maildir_open_message(const char *dir, const char *name, int in_new,
    char *found_name, int *found_in_new);

#endif
