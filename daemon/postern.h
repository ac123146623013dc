/* postern.h: shared declarations of the `postern` admin CLI and
 * supervisor (daemon/postern_*.c); private to this program. */
#ifndef POSTERN_POSTERN_H
#define POSTERN_POSTERN_H

#include <stddef.h>
#include <sys/types.h>

struct instance;

/* Subcommands: argc/argv start at the subcommand's name. */
int postern_init(int argc, char **argv);
int postern_user(int argc, char **argv);
int postern_check(int argc, char **argv);
int postern_run(int argc, char **argv);
int postern_config_man(int argc, char **argv);
int postern_queue_cmd(int argc, char **argv);   /* postern_queue.c */

/* postern_cert.c: a self-signed certificate for hostname, localhost and
 * 127.0.0.1, written to cert_path (0644) and key_path (0600).  0, or -1
 * with a reason in err. */
int cert_create(const char *hostname, const char *cert_path,
    const char *key_path, char *err, size_t errlen);

/* postern_check.c: validate an instance; prints one line per problem to
 * stderr and returns the number of problems. */
int check_instance(const char *dir);
/* Load the config and every table it names: 0, or -1 with the first error
 * in err (used by `postern run` on SIGHUP). */
struct config;
int check_config_and_tables(const char *conf, struct config **out,
    char *err, size_t errlen);

/* postern_tables.c: line syntax of the table files, each (p, len) of one
 * trimmed line -> NULL or a reason. */
struct table_check {
	const char *key;     /* config key naming the file */
	int missing_ok;      /* a missing file is an empty table */
	const char *(*line)(const char *p, size_t len);
};
extern const struct table_check table_checks[];   /* ends with a NULL key */
int table_domain_ok(const char *p, size_t len);
const char *table_domains_line(const char *p, size_t len);
const char *table_relaynets_line(const char *p, size_t len);
const char *table_routes_line(const char *p, size_t len);
const char *table_aliases_line(const char *p, size_t len);

/* Write a whole file atomically with mode; 0 or -1 (errno set). */
int write_file_atomic(const char *path, const void *p, size_t len, int mode);

#endif
