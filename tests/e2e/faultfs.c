/*
 * faultfs: an LD_PRELOAD shim for the I/O-fault tests.
 *
 *   FAULT_ENOSPC_PREFIX=DIR  write(2) on a file under DIR fails with ENOSPC
 *   FAULT_EROFS_PREFIX=DIR   creating, renaming or removing under DIR fails
 *                            with EROFS (a read-only spool)
 *   FAULT_EACCES_PREFIX=DIR  opening anything under DIR fails with EACCES
 *                            (an unreadable input, even for root)
 *
 * Real failures cannot be had without root or a spare file system on a CI
 * machine; this gives the same errno at the same call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
under(const char *env, const char *path)
{
	const char *p = getenv(env);
	char abs[PATH_MAX];

	if (p == NULL || *p == '\0' || path == NULL)
		return 0;
	if (path[0] != '/') {
		if (getcwd(abs, sizeof(abs)) == NULL)
			return 0;
		strncat(abs, "/", sizeof(abs) - strlen(abs) - 1);
		strncat(abs, path, sizeof(abs) - strlen(abs) - 1);
		path = abs;
	}
	return strncmp(path, p, strlen(p)) == 0;
}

static int
fd_under(const char *env, int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (getenv(env) == NULL || fd < 3)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return under(env, path);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))
		    dlsym(RTLD_NEXT, "write");
	if (n > 0 && fd_under("FAULT_ENOSPC_PREFIX", fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, n);
}

#define WRITING(flags) (((flags) & (O_CREAT | O_WRONLY | O_RDWR | O_TRUNC)) != 0)

int
open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (real == NULL)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (WRITING(flags) && under("FAULT_EROFS_PREFIX", path)) {
		errno = EROFS;
		return -1;
	}
	if (under("FAULT_EACCES_PREFIX", path)) {
		errno = EACCES;
		return -1;
	}
	return real(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return open(path, flags, mode);
}

int
mkdir(const char *path, mode_t mode)
{
	static int (*real)(const char *, mode_t);

	if (real == NULL)
		real = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
	if (under("FAULT_EROFS_PREFIX", path)) {
		errno = EROFS;
		return -1;
	}
	return real(path, mode);
}

char *
mkdtemp(char *tmpl)
{
	static char *(*real)(char *);

	if (real == NULL)
		real = (char *(*)(char *))dlsym(RTLD_NEXT, "mkdtemp");
	if (under("FAULT_EROFS_PREFIX", tmpl)) {
		errno = EROFS;
		return NULL;
	}
	return real(tmpl);
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (real == NULL)
		real = (int (*)(const char *, const char *))
		    dlsym(RTLD_NEXT, "rename");
	if (under("FAULT_EROFS_PREFIX", to)) {
		errno = EROFS;
		return -1;
	}
	return real(from, to);
}
