/* tlsenv.c: TLS facts in the environment (implicit-TLS sessions). */
#include <stdlib.h>
#include <string.h>
#include "tlsenv.h"

void tls_facts_clear(struct tls_facts *f)
{
	memset(f, 0, sizeof(*f));
}

int tls_fact_copy(char *dst, size_t dstlen, const char *p, size_t n)
{
	dst[0] = 0;
	if (n >= dstlen)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return -1;
	memcpy(dst, p, n);
	dst[n] = 0;
	return 0;
}

static void from_env(char *dst, size_t dstlen, const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || tls_fact_copy(dst, dstlen, v, strlen(v)) < 0)
		dst[0] = 0;
}

int tlsenv_read(struct tls_facts *f)
{
	tls_facts_clear(f);
	from_env(f->version, sizeof(f->version), TLSENV_VERSION);
	if (f->version[0] == 0)
		return 0;
	from_env(f->cipher, sizeof(f->cipher), TLSENV_CIPHER);
	from_env(f->sni, sizeof(f->sni), TLSENV_SNI);
	f->active = 1;
	return 1;
}

int tlsenv_write(const struct tls_facts *f)
{
	if (!f->active) {
		unsetenv(TLSENV_VERSION);
		unsetenv(TLSENV_CIPHER);
		unsetenv(TLSENV_SNI);
		return 0;
	}
	if (setenv(TLSENV_VERSION, f->version, 1) < 0 ||
	    setenv(TLSENV_CIPHER, f->cipher, 1) < 0 ||
	    setenv(TLSENV_SNI, f->sni, 1) < 0)
		return -1;
	return 0;
}
