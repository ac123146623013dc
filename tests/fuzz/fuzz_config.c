/* fuzz_config.c: libFuzzer harness for the postern.conf parser
 * (config_parse) and the lookups on whatever it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct config *c = config_parse("fuzz", (const char *)data, size, err, sizeof(err));
	size_t i, n;

	if (c == NULL) {
		/* the error names the file and fits the buffer */
		if (strncmp(err, "fuzz", 4) != 0 || strlen(err) >= sizeof(err))
			abort();
		return 0;
	}
	for (i = 0; config_keys[i].name != NULL; i++) {
		const struct config_key *k = &config_keys[i];
		const char *v;
		switch (k->type) {
		case CFG_SECTION:
			break;
		case CFG_INT:
		case CFG_SIZE:
		case CFG_DURATION:
			if (config_int(c, k->name) < 0)
				abort();
			break;
		case CFG_BOOL:
			(void)config_bool(c, k->name);
			break;
		case CFG_LIST: {
			char **l = config_list_new(c, k->name, &n);
			if (l[n] != NULL)
				abort();
			config_list_free(l);
			break;
		}
		case CFG_PATH:
			v = config_str(c, k->name);
			if (v != NULL && v[0] != '/')
				abort();
			break;
		default:
			(void)config_str(c, k->name);
			(void)config_is_set(c, k->name);
			break;
		}
	}
	(void)config_hostname(c);
	config_free(c);
	return 0;
}
