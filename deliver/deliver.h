/* deliver.h: the parts of postern-deliver (one local delivery as the
 * recipient's uid).  See doc/postern-deliver.8. */
#ifndef POSTERN_DELIVER_H
#define POSTERN_DELIVER_H

#include <stddef.h>
#include <stdint.h>

struct config;

/* Exit codes, as in qmail. */
#define DELIVER_OK   0
#define DELIVER_PERM 100
#define DELIVER_TEMP 111

/* What one delivery knows (from the environment lspawn sets). */
struct deliver_ctx {
	const struct config *conf;
	int msgfd;                 /* the message, seekable, LF line ends */
	uint64_t msgsize;          /* its first msgsize bytes are the message
	                              (a queue file has the envelope after) */
	const char *sender;        /* "" for <> */
	const char *recipient;     /* envelope recipient (Delivered-To) */
	const char *user;          /* name in the user list */
	const char *home;
	const char *ext;           /* "" without an extension */
	uint64_t quota_bytes, quota_msgs;
	const char *queue_id;      /* may be NULL */
	char *prefix;              /* Return-Path and Delivered-To lines */
	size_t prefix_len;
	int pipe_timeout;          /* seconds */
};

/* pread of the message: never past msgsize.  As pread. */
ssize_t deliver_pread(const struct deliver_ctx *c, void *buf, size_t n, off_t off);

/* The result line written to fd 1 and the exit status. */
struct deliver_result {
	int status;                /* DELIVER_* */
	char code[16];             /* enhanced status, e.g. "4.2.2" */
	char text[512];
};

void deliver_set(struct deliver_result *r, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* deliver_header.c: scan the header for our Delivered-To and count
 * Received fields.  0 ok, or sets r and returns -1. */
int deliver_check_header(struct deliver_ctx *c, long max_received,
    struct deliver_result *r);

/* deliver_maildir.c: into the Maildir dir (quota applies when quota_root
 * is not NULL). */
int deliver_maildir(struct deliver_ctx *c, const char *dir,
    const char *quota_root, struct deliver_result *r);
/* deliver_rules.c: run the user's rule file (or the default Maildir). */
int deliver_rules(struct deliver_ctx *c, struct deliver_result *r);
/* Forward a copy to address through postern-queue. */
int deliver_forward(struct deliver_ctx *c, const char *address,
    struct deliver_result *r);

#endif
