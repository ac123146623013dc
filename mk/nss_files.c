/* nss_files.c: /etc/passwd and /etc/group lookups for programs linked
 * -static-pie (STATIC=1; see mk/static-ok.sh and HACKING.md "Build").
 *
 * The daemons look up only postern's own service users, which `postern
 * init` creates as local system accounts.  glibc's NSS in a static program
 * loads the shared modules named in nsswitch.conf (libnss_systemd and a
 * second libc with it) and needs the very glibc it was linked with; on
 * Debian 12, getpwnam of a missing name with "systemd" in nsswitch.conf
 * crashes such a program.  The static link redirects getpwnam, getgrnam,
 * getgrouplist, endpwent and endgrent (ld --wrap) to the functions below,
 * which read the files directly with fgetpwent_r/fgetgrent_r (plain file
 * parsers, no NSS).  Dynamically linked programs keep glibc's NSS. */
#include "nss_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NSSF_BUF_START 1024
#define NSSF_BUF_MAX   (1024 * 1024)	/* longest passwd/group line read */
#define NSSF_FILE_MEM  (4 * 1024 * 1024)	/* files read whole up to this */

/* The file as a stream: read whole into *mem (freed by the caller after
 * fclose) and opened with fmemopen, so that the per-entry ftello of
 * fgetpwent_r/fgetgrent_r is no lseek system call (40 of them per
 * lookup in a 40-line passwd, at every service program's start); a file
 * empty, bigger than NSSF_FILE_MEM or changing while read is opened
 * plainly. */
static FILE *
open_file(const char *path, char **mem)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	*mem = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= NSSF_FILE_MEM && (*mem = malloc((size_t)st.st_size + 1)) != NULL) {
		for (;;) {
			ssize_t r = read(fd, *mem + got, (size_t)st.st_size + 1 - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
			if (got > (size_t)st.st_size)
				break;
		}
		close(fd);
		if (got == (size_t)st.st_size) {
			FILE *f = fmemopen(*mem, got, "r");
			if (f != NULL)
				return f;
		}
		free(*mem);
		*mem = NULL;
		return fopen(path, "re");
	}
	close(fd);
	return fopen(path, "re");
}

/* Grows *buf (doubling, up to NSSF_BUF_MAX); 0 on success. */
static int
grow(char **buf, size_t *len)
{
	char *n;
	size_t nl = *len == 0 ? NSSF_BUF_START : *len * 2;

	if (nl > NSSF_BUF_MAX) {
		errno = ERANGE;
		return -1;
	}
	n = realloc(*buf, nl);
	if (n == NULL)
		return -1;
	*buf = n;
	*len = nl;
	return 0;
}

/* Next passwd entry of f into *pw (strings in *buf): 1 entry, 0 end of
 * file, -1 error (errno).  fgetpwent_r puts the stream back at the start
 * of the line when the buffer is too small. */
static int
next_pw(FILE *f, struct passwd *pw, char **buf, size_t *len)
{
	struct passwd *r;
	int e;

	for (;;) {
		if (*len == 0 && grow(buf, len) < 0)
			return -1;
		e = fgetpwent_r(f, pw, *buf, *len, &r);
		if (e == 0)
			return 1;
		if (e == ENOENT)
			return 0;
		if (e != ERANGE || grow(buf, len) < 0) {
			errno = e;
			return -1;
		}
	}
}

static int
next_gr(FILE *f, struct group *gr, char **buf, size_t *len)
{
	struct group *r;
	int e;

	for (;;) {
		if (*len == 0 && grow(buf, len) < 0)
			return -1;
		e = fgetgrent_r(f, gr, *buf, *len, &r);
		if (e == 0)
			return 1;
		if (e == ENOENT)
			return 0;
		if (e != ERANGE || grow(buf, len) < 0) {
			errno = e;
			return -1;
		}
	}
}

struct passwd *
nssf_getpwnam(const char *path, const char *name)
{
	static struct passwd pw;
	static char *buf;
	static size_t len;
	char *mem;
	FILE *f;
	int r, e;

	if (name == NULL)
		return NULL;
	f = open_file(path, &mem);
	if (f == NULL)
		return NULL;
	while ((r = next_pw(f, &pw, &buf, &len)) == 1)
		if (strcmp(pw.pw_name, name) == 0)
			break;
	e = errno;
	fclose(f);
	free(mem);
	if (r < 0)
		errno = e;
	return r == 1 ? &pw : NULL;
}

struct group *
nssf_getgrnam(const char *path, const char *name)
{
	static struct group gr;
	static char *buf;
	static size_t len;
	char *mem;
	FILE *f;
	int r, e;

	if (name == NULL)
		return NULL;
	f = open_file(path, &mem);
	if (f == NULL)
		return NULL;
	while ((r = next_gr(f, &gr, &buf, &len)) == 1)
		if (strcmp(gr.gr_name, name) == 0)
			break;
	e = errno;
	fclose(f);
	free(mem);
	if (r < 0)
		errno = e;
	return r == 1 ? &gr : NULL;
}

/* glibc's contract: group first, then every other group listing user as a
 * member, each once; when more than *ngroups, -1 with *ngroups set to the
 * number needed.  An unreadable group file gives just group. */
int
nssf_getgrouplist(const char *path, const char *user, gid_t group,
    gid_t *groups, int *ngroups)
{
	struct group gr;
	char *buf = NULL, *mem = NULL;
	size_t len = 0;
	FILE *f;
	int n = 0, i, max = *ngroups;
	char **m;

	if (n < max)
		groups[n] = group;
	n++;
	f = user != NULL ? open_file(path, &mem) : NULL;
	while (f != NULL && next_gr(f, &gr, &buf, &len) == 1) {
		if (gr.gr_gid == group)
			continue;
		for (m = gr.gr_mem; m != NULL && *m != NULL; m++)
			if (strcmp(*m, user) == 0)
				break;
		if (m == NULL || *m == NULL)
			continue;
		for (i = 0; i < n && i < max; i++)
			if (groups[i] == gr.gr_gid)
				break;
		if (i < n && i < max)
			continue;
		if (n < max)
			groups[n] = gr.gr_gid;
		n++;
	}
	if (f != NULL)
		fclose(f);
	free(mem);
	free(buf);
	*ngroups = n;
	return n > max ? -1 : n;
}

struct passwd *__wrap_getpwnam(const char *name);
struct group *__wrap_getgrnam(const char *name);
int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups);
void __wrap_endpwent(void);
void __wrap_endgrent(void);

struct passwd *
__wrap_getpwnam(const char *name)
{
	return nssf_getpwnam(NSSF_PASSWD, name);
}

struct group *
__wrap_getgrnam(const char *name)
{
	return nssf_getgrnam(NSSF_GROUP, name);
}

int
__wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
	return nssf_getgrouplist(NSSF_GROUP, user, group, groups, ngroups);
}

/* Every lookup opens and closes its file: nothing to end. */
void
__wrap_endpwent(void)
{
}

void
__wrap_endgrent(void)
{
}
