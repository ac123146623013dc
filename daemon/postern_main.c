/* postern_main.c: `postern`, the admin CLI and supervisor of an instance.
 * main only dispatches: the table below is the index of what it does. */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "postern.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *usage;
} commands[] = {
	{ "init", postern_init,
	  "init DIR [--domain D] [--hostname H] [--port-base N] [--user-prefix P]" },
	{ "user", postern_user, "user add|del|passwd|list DIR [NAME]" },
	{ "check", postern_check, "check DIR" },
	{ "run", postern_run, "run DIR" },
	{ "queue", postern_queue_cmd, "queue list|flush DIR, queue delete|hold|release DIR ID" },
	{ "config-man", postern_config_man, "config-man" },
};

static void
usage(FILE *f)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "%s postern %s\n", i == 0 ? "usage:" : "      ",
		    commands[i].usage);
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 100;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	warnx("unknown command \"%s\"", argv[1]);
	usage(stderr);
	return 100;
}

int
postern_config_man(int argc, char **argv)
{
	config_print_man(stdout);
	return fflush(stdout) == 0 ? 0 : 111;
}
