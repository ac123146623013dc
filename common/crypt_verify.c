/* crypt_verify.c: password verification and hashing for the passwd-file
 * (passwd_verify, passwd_hash in passwd.h): libxcrypt's crypt_rn for the
 * hash, a constant-time comparison of the result, yescrypt for new ones. */
#include "passwd.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

/* Compare a (alen) with b (blen) in time that depends only on the lengths. */
static int
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = alen != blen;
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int
has_prefix(const char *s, const char *pre)
{
	return strncmp(s, pre, strlen(pre)) == 0;
}

/* Hash prefixes each scheme accepts (weak ones, DES and MD5-crypt, are
 * not in any list). */
static const char *const sha512_prefixes[] = { "$6$", NULL };
static const char *const blf_prefixes[] = { "$2b$", "$2y$", "$2a$", NULL };
static const char *const crypt_prefixes[] = { "$y$", "$6$", "$5$", "$2b$",
    "$2y$", "$2a$", NULL };

static const struct {
	const char *name;
	const char *const *prefixes;   /* NULL: PLAIN */
} schemes[] = {
	{ "SHA512-CRYPT", sha512_prefixes },
	{ "BLF-CRYPT", blf_prefixes },
	{ "CRYPT", crypt_prefixes },
	{ "PLAIN", NULL },
};

enum passwd_result
passwd_verify(const char *stored, const char *password, size_t pwlen,
    int flags)
{
	const char *hash = stored;
	const char *scheme = "CRYPT";
	size_t schemelen = 5;
	size_t k;

	if (stored == NULL)
		return PASSWD_MISMATCH;
	if (stored[0] == '{') {
		const char *close = strchr(stored, '}');
		if (close == NULL)
			return PASSWD_BADSCHEME;
		scheme = stored + 1;
		schemelen = (size_t)(close - scheme);
		hash = close + 1;
	}
	for (k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
		if (strlen(schemes[k].name) == schemelen &&
		    strncasecmp(schemes[k].name, scheme, schemelen) == 0)
			break;
	if (k == sizeof(schemes) / sizeof(schemes[0]))
		return PASSWD_BADSCHEME;

	if (schemes[k].prefixes == NULL) {
		if (!(flags & PASSWD_ALLOW_PLAIN))
			return PASSWD_BADSCHEME;
		if (hash[0] == '\0')
			return PASSWD_MISMATCH;
		return ct_equal(hash, strlen(hash), password, pwlen) ?
		    PASSWD_OK : PASSWD_MISMATCH;
	}

	/* An empty or locked ("!", "*") hash never verifies. */
	if (hash[0] == '\0' || hash[0] == '!' || hash[0] == '*')
		return PASSWD_MISMATCH;
	const char *const *pre;
	for (pre = schemes[k].prefixes; *pre; pre++)
		if (has_prefix(hash, *pre))
			break;
	if (*pre == NULL)
		return PASSWD_BADSCHEME;
	if (pwlen > PASSWD_MAX_PASSWORD || memchr(password, '\0', pwlen))
		return PASSWD_MISMATCH;

	char *phrase = xmalloc(pwlen + 1);
	memcpy(phrase, password, pwlen);
	phrase[pwlen] = '\0';
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	enum passwd_result r = PASSWD_MISMATCH;
	const char *out = crypt_rn(phrase, hash, cd, (int)sizeof(*cd));
	/* crypt_rn returns NULL (or "*..." in some builds) on a bad setting */
	if (out != NULL && out[0] != '*' &&
	    ct_equal(out, strlen(out), hash, strlen(hash)))
		r = PASSWD_OK;
	explicit_bzero(phrase, pwlen + 1);
	free(phrase);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

int
passwd_hash(const char *password, size_t pwlen, struct buf *out)
{
	unsigned char rnd[32];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	int rc = -1;

	if (pwlen > PASSWD_MAX_PASSWORD || memchr(password, '\0', pwlen))
		return -1;
	if (getentropy(rnd, sizeof(rnd)) < 0)
		return -1;
	if (crypt_gensalt_rn("$y$", 0, (const char *)rnd, (int)sizeof(rnd),
	    setting, (int)sizeof(setting)) == NULL)
		goto out;
	char *phrase = xmalloc(pwlen + 1);
	memcpy(phrase, password, pwlen);
	phrase[pwlen] = '\0';
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *h = crypt_rn(phrase, setting, cd, (int)sizeof(*cd));
	if (h != NULL && h[0] == '$') {
		buf_puts(out, "{CRYPT}");
		buf_puts(out, h);
		rc = 0;
	}
	explicit_bzero(phrase, pwlen + 1);
	free(phrase);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
out:
	explicit_bzero(rnd, sizeof(rnd));
	return rc;
}
