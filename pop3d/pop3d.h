/* pop3d.h: postern-pop3d's maildrop (pop3_maildrop.c) and session
 * (pop3d_session.c). */
#ifndef POSTERN_POP3D_H
#define POSTERN_POP3D_H

#include <stddef.h>
#include <stdint.h>
#include "io.h"
#include "maildir.h"
#include "maildir_index.h"
#include "pop3.h"

/* The lock file that makes a second POP3 session on the same Maildir get
 * [IN-USE] (RFC 2449 8.1.1).  IMAP does not take it. */
#define POP3_LOCK_FILE "postern-pop3.lock"

/* One message of the session's snapshot (RFC 1939 message numbers are
 * positions in this array plus one; mail delivered later is not in it). */
struct pop3_msg {
	uint32_t uid;
	uint64_t size;           /* octets with CRLF line ends */
	uint8_t deleted;         /* DELE (undone by RSET) */
	uint8_t retrieved;       /* RETR: \Seen at QUIT */
	uint8_t touched;         /* RETR or TOP: moved from new/ to cur/ */
};

struct pop3_maildrop {
	char root[MAILDIR_PATH_MAX];
	struct maildir_index *idx;
	struct pop3_msg *msgs;
	uint32_t count;
	uint32_t ndeleted;
	uint64_t total;          /* sum of sizes */
	uint64_t deleted_size;
	int lock_fd;
	unsigned sizes_read;     /* messages whose size needed the file */
};

enum pop3_open_status {
	POP3_OPEN_OK = 0,
	POP3_OPEN_IN_USE = 1,
	POP3_OPEN_ERROR = -1
};

/* Lock and open the Maildir at root, take the snapshot.  On error the
 * reason goes to err. */
enum pop3_open_status pop3_maildrop_open(struct pop3_maildrop *md,
    const char *root, char *err, size_t errlen);
/* The message numbered n (1-based), or NULL when out of range. */
struct pop3_msg *pop3_maildrop_msg(struct pop3_maildrop *md, uint32_t n);
/* Its UIDL (out: at least POP3_UIDL_MAX + 1 bytes). */
void pop3_maildrop_uidl(struct pop3_maildrop *md, const struct pop3_msg *m,
    char *out, size_t outlen);
/* Open its file for reading: fd, or -1 (ENOENT: removed by someone else). */
int pop3_maildrop_open_msg(struct pop3_maildrop *md, const struct pop3_msg *m);
/* UPDATE state (RFC 1939 6): remove the deleted messages, move the ones
 * read to cur/ (RETR: with \Seen).  *removed: how many went.  0 or -1. */
int pop3_maildrop_commit(struct pop3_maildrop *md, unsigned *removed);
/* Release everything (the lock included). */
void pop3_maildrop_close(struct pop3_maildrop *md);

/* The session (pop3d_session.c). */
struct pop3_session {
	struct io *io;
	struct pop3_maildrop md;
	char user[256];
	int idle_timeout_ms;
	unsigned bad_commands, max_bad_commands;
};

/* Serve commands until QUIT, EOF or timeout; returns the exit status. */
int pop3_session_run(struct pop3_session *s);

#endif
