/* instance.h: the layout of an instance directory (HACKING.md "An
 * instance") and the generation of its postern.conf from the key table.
 * `postern init` creates what this names; `postern check`, `postern run`
 * and tests find the files through it. */
#ifndef POSTERN_INSTANCE_H
#define POSTERN_INSTANCE_H

#include <stdio.h>

struct instance {
	char *dir;        /* absolute, no trailing '/' */
	char *etc;        /* DIR/etc */
	char *conf;       /* DIR/etc/postern.conf */
	char *domains, *relaynets, *routes, *aliases;
	char *passwd;     /* DIR/etc/passwd */
	char *users;      /* DIR/etc/users */
	char *tls_dir;    /* DIR/etc/tls */
	char *cert, *key;
	char *secrets;
	char *queue, *run, *empty, *mail;
};

/* Settings of a new instance (postern init options). */
struct instance_opts {
	const char *domain;       /* first local domain; NULL: example.test */
	const char *hostname;     /* NULL: gethostname() at run time */
	long port_base;           /* < 0: the table's default */
	const char *user_prefix;  /* NULL: the table's default */
};

/* Fill ip with the paths under dir (made absolute against the current
 * directory).  0, or -1 when the current directory cannot be read.
 * Free with instance_free. */
int instance_init(struct instance *ip, const char *dir);
void instance_free(struct instance *ip);

/* Write postern.conf for ip to f: every key of the table, in table order,
 * with its doc as a comment; keys this instance sets are written as
 * "key = value", the others commented out at their default. */
void instance_write_config(FILE *f, const struct instance *ip,
    const struct instance_opts *o);

/* The value instance_write_config sets for key, or NULL if it leaves the
 * key at its default.  buf holds numbers. */
const char *instance_config_value(const struct instance *ip,
    const struct instance_opts *o, const char *key, char *buf, size_t len);

#endif
