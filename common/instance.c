/* instance.c: paths of an instance directory and its generated
 * postern.conf (see instance.h).  The config is written from the one key
 * table (config_keys.c), so a key added there appears in new instances
 * with its doc and default. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "instance.h"

static char *
join(const char *a, const char *b)
{
	struct buf s = BUF_INIT;

	buf_printf(&s, "%s/%s", a, b);
	return buf_steal(&s, NULL);
}

int
instance_init(struct instance *ip, const char *dir)
{
	struct buf d = BUF_INIT;
	size_t n;

	memset(ip, 0, sizeof(*ip));
	if (dir[0] != '/') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -1;
		buf_puts(&d, cwd);
		if (strcmp(cwd, "/") != 0)
			buf_putc(&d, '/');
	}
	buf_puts(&d, dir);
	/* Drop trailing slashes and "/." so that paths in the config read well. */
	for (;;) {
		n = d.len;
		if (n > 1 && d.p[n - 1] == '/')
			d.len--;
		else if (n > 2 && d.p[n - 1] == '.' && d.p[n - 2] == '/')
			d.len -= 2;
		else
			break;
	}
	buf_cstr(&d);
	ip->dir = buf_steal(&d, NULL);
	ip->etc = join(ip->dir, "etc");
	ip->conf = join(ip->etc, "postern.conf");
	ip->domains = join(ip->etc, "domains");
	ip->relaynets = join(ip->etc, "relaynets");
	ip->routes = join(ip->etc, "routes");
	ip->aliases = join(ip->etc, "aliases");
	ip->passwd = join(ip->etc, "passwd");
	ip->users = join(ip->etc, "users");
	ip->secrets = join(ip->etc, "secrets");
	ip->tls_dir = join(ip->etc, "tls");
	ip->cert = join(ip->tls_dir, "cert.pem");
	ip->key = join(ip->tls_dir, "key.pem");
	ip->queue = join(ip->dir, "queue");
	ip->run = join(ip->dir, "run");
	ip->empty = join(ip->dir, "empty");
	ip->mail = join(ip->dir, "mail");
	return 0;
}

void
instance_free(struct instance *ip)
{
	char **f[] = { &ip->dir, &ip->etc, &ip->conf, &ip->domains,
	    &ip->relaynets, &ip->routes, &ip->aliases, &ip->passwd, &ip->users,
	    &ip->tls_dir, &ip->cert, &ip->key, &ip->secrets, &ip->queue,
	    &ip->run, &ip->empty, &ip->mail };
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		free(*f[i]);
		*f[i] = NULL;
	}
}

const char *
instance_config_value(const struct instance *ip, const struct instance_opts *o,
    const char *key, char *buf, size_t len)
{
	static const struct { const char *key; size_t off; } paths[] = {
		{ "queue_dir", offsetof(struct instance, queue) },
		{ "run_dir", offsetof(struct instance, run) },
		{ "empty_dir", offsetof(struct instance, empty) },
		{ "mail_dir", offsetof(struct instance, mail) },
		{ "domains_file", offsetof(struct instance, domains) },
		{ "relaynets_file", offsetof(struct instance, relaynets) },
		{ "routes_file", offsetof(struct instance, routes) },
		{ "aliases_file", offsetof(struct instance, aliases) },
		{ "passwd_file", offsetof(struct instance, passwd) },
		{ "users_file", offsetof(struct instance, users) },
		{ "secrets_file", offsetof(struct instance, secrets) },
		{ "tls_cert", offsetof(struct instance, cert) },
		{ "tls_key", offsetof(struct instance, key) },
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(key, paths[i].key) == 0)
			return *(char *const *)((const char *)ip + paths[i].off);
	if (strcmp(key, "hostname") == 0 && o->hostname != NULL)
		return o->hostname;
	if (strcmp(key, "user_prefix") == 0 && o->user_prefix != NULL)
		return o->user_prefix;
	if (strcmp(key, "port_base") == 0 && o->port_base >= 0) {
		snprintf(buf, len, "%ld", o->port_base);
		return buf;
	}
	return NULL;
}

void
instance_write_config(FILE *f, const struct instance *ip,
    const struct instance_opts *o)
{
	const struct config_key *k;
	char num[32];
	const char *v;

	fprintf(f, "# postern.conf: written by `postern init %s`.\n"
	    "# One \"key = value\" per line; the commented lines show defaults.\n"
	    "# postern.conf(5) describes every key.\n", ip->dir);
	for (k = config_keys; k->name != NULL; k++) {
		if (k->type == CFG_SECTION) {
			fprintf(f, "\n# === %s: %s\n", k->name, k->doc ? k->doc : "");
			continue;
		}
		fprintf(f, "\n# %s\n", k->doc ? k->doc : "");
		v = instance_config_value(ip, o, k->name, num, sizeof(num));
		if (v != NULL)
			fprintf(f, "%s = %s\n", k->name, v);
		else if (k->def != NULL)
			fprintf(f, "#%s = %s\n", k->name, k->def);
		else
			fprintf(f, "#%s =\n", k->name);
	}
}
