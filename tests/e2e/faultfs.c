/*
 * faultfs: an LD_PRELOAD shim for the I/O-fault tests.
 *
 *   FAULT_ENOSPC_PREFIX=DIR  write(2) on a file under DIR fails with ENOSPC
 *   FAULT_ENOSPC_AFTER=N     with FAULT_ENOSPC_PREFIX: a file under DIR
 *                            takes N bytes, then write/pwrite fail with
 *                            ENOSPC (the write that crosses N is short):
 *                            a disk that fills in the middle of a file
 *   FAULT_EROFS_PREFIX=DIR   creating, renaming or removing under DIR fails
 *                            with EROFS (a read-only spool)
 *   FAULT_EACCES_PREFIX=DIR  opening anything under DIR fails with EACCES
 *                            (an unreadable input, even for root)
 *   FAULT_EIO_FSYNC_PREFIX=DIR  fsync/fdatasync of a file or directory
 *                            under DIR, or syncfs of an fd under DIR,
 *                            fails with EIO (the data may be lost:
 *                            PostgreSQL's "fsyncgate")
 *   FAULT_EIO_FSYNC_NTH=N    with the above: only the N-th such call of
 *                            the process fails (1 = the first)
 *   FAULT_EIO_SYNCFS_ANY=1   with FAULT_EIO_FSYNC_PREFIX: syncfs of any fd
 *                            fails too (it syncs the whole file system,
 *                            and DIR's write-back is what failed)
 *   FAULT_EXDEV_PREFIX=DIR   DIR is another file system: rename,
 *                            renameat, renameat2, link and linkat between
 *                            a path under DIR and one outside it fail
 *                            with EXDEV (within DIR they work)
 *   FAULT_EIO_CLOSE_PREFIX=DIR  close of a regular file under DIR open for
 *                            writing closes it, then returns EIO (NFS
 *                            reports write errors at close)
 *   FAULT_LOG=FILE           each injected fault appends "CALL ERRNO PATH"
 *                            to FILE, so a test can tell that it fired
 *
 * Real failures cannot be had without root or a spare file system on a CI
 * machine; this gives the same errno at the same call.  The real functions
 * come from dlsym(RTLD_NEXT); glibc's and SQLite's variants (open64,
 * openat, fdatasync, pwrite64, renameat) are covered too.  Calls glibc
 * makes internally (fopen, fclose, stdio writes) are not interposable.
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

/* real_NAME: the next definition of NAME (libc's, or a sanitizer's). */
#define REAL(name) \
	static __typeof__(&name) real_##name; \
	if (real_##name == NULL) \
		real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

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

/* The path an fd is open on ("" when unknown). */
static void
fd_path(int fd, char *path, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, size - 1);
	path[n > 0 ? n : 0] = '\0';
}

static int
fd_under(const char *env, int fd)
{
	char path[PATH_MAX];

	if (getenv(env) == NULL || fd < 3)
		return 0;
	fd_path(fd, path, sizeof(path));
	return path[0] != '\0' && under(env, path);
}

/* path as seen from dirfd, made absolute when dirfd is a directory fd. */
static const char *
at_path(int dirfd, const char *path, char *out, size_t size)
{
	size_t n;

	if (path == NULL || path[0] == '/' || dirfd == AT_FDCWD)
		return path;
	fd_path(dirfd, out, size);
	n = strlen(out);
	if (n == 0 || n + 1 + strlen(path) >= size)
		return path;
	snprintf(out + n, size - n, "/%s", path);
	return out;
}

static void
note(const char *call, int e, const char *path)
{
	const char *log = getenv("FAULT_LOG");
	char line[PATH_MAX + 64];
	int fd, n;

	REAL(open);
	REAL(write);
	REAL(close);
	if (log == NULL || *log == '\0')
		return;
	n = snprintf(line, sizeof(line), "%s %s %s\n", call, strerrorname_np(e),
	    path);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1)
		return;
	(void)real_write(fd, line, (size_t)n);
	real_close(fd);
}

static void
note_fd(const char *call, int e, int fd)
{
	char path[PATH_MAX];

	fd_path(fd, path, sizeof(path));
	note(call, e, path);
}

/*
 * How many of n bytes at pos a write to fd may store: n when no fault
 * applies, less when the disk fills at FAULT_ENOSPC_AFTER, -1 for ENOSPC
 * now.  pos < 0: the file's current position (write(2)).
 */
static ssize_t
enospc_room(int fd, off_t pos, size_t n, int positional)
{
	const char *after = getenv("FAULT_ENOSPC_AFTER");
	unsigned long long limit;
	struct stat st;
	int fl;

	if (n == 0 || !fd_under("FAULT_ENOSPC_PREFIX", fd))
		return (ssize_t)n;
	if (after == NULL || *after == '\0')
		return positional ? (ssize_t)n : -1;
	limit = strtoull(after, NULL, 10);
	if (pos < 0) {
		fl = fcntl(fd, F_GETFL);
		if (fl != -1 && (fl & O_APPEND) && fstat(fd, &st) == 0)
			pos = st.st_size;
		else
			pos = lseek(fd, 0, SEEK_CUR);
		if (pos < 0)
			pos = 0;
	}
	if ((unsigned long long)pos >= limit)
		return -1;
	if ((unsigned long long)pos + n > limit)
		return (ssize_t)(limit - (unsigned long long)pos);
	return (ssize_t)n;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	ssize_t room;

	REAL(write);
	if ((room = enospc_room(fd, -1, n, 0)) == -1) {
		note_fd("write", ENOSPC, fd);
		errno = ENOSPC;
		return -1;
	}
	return real_write(fd, buf, (size_t)room);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t room;

	REAL(pwrite);
	if ((room = enospc_room(fd, off, n, 1)) == -1) {
		note_fd("pwrite", ENOSPC, fd);
		errno = ENOSPC;
		return -1;
	}
	return real_pwrite(fd, buf, (size_t)room, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	ssize_t room;

	REAL(pwrite64);
	if ((room = enospc_room(fd, (off_t)off, n, 1)) == -1) {
		note_fd("pwrite64", ENOSPC, fd);
		errno = ENOSPC;
		return -1;
	}
	return real_pwrite64(fd, buf, (size_t)room, off);
}

#define WRITING(flags) (((flags) & (O_CREAT | O_WRONLY | O_RDWR | O_TRUNC)) != 0)

/* EROFS or EACCES for opening path, else 0. */
static int
open_fault(const char *path, int flags)
{
	if (WRITING(flags) && under("FAULT_EROFS_PREFIX", path))
		return EROFS;
	if (under("FAULT_EACCES_PREFIX", path))
		return EACCES;
	return 0;
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int e;

	REAL(open);
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if ((e = open_fault(path, flags)) != 0) {
		errno = e;
		return -1;
	}
	return real_open(path, flags, mode);
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
openat(int dirfd, const char *path, int flags, ...)
{
	char abs[PATH_MAX];
	mode_t mode = 0;
	va_list ap;
	int e;

	REAL(openat);
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if ((e = open_fault(at_path(dirfd, path, abs, sizeof(abs)),
	    flags)) != 0) {
		errno = e;
		return -1;
	}
	return real_openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return openat(dirfd, path, flags, mode);
}

int
mkdir(const char *path, mode_t mode)
{
	REAL(mkdir);
	if (under("FAULT_EROFS_PREFIX", path)) {
		errno = EROFS;
		return -1;
	}
	return real_mkdir(path, mode);
}

char *
mkdtemp(char *tmpl)
{
	REAL(mkdtemp);
	if (under("FAULT_EROFS_PREFIX", tmpl)) {
		errno = EROFS;
		return NULL;
	}
	return real_mkdtemp(tmpl);
}

/* Do from and to lie on either side of FAULT_EXDEV_PREFIX? */
static int
crosses(const char *from, const char *to)
{
	const char *e = "FAULT_EXDEV_PREFIX";

	return getenv(e) != NULL && under(e, from) != under(e, to);
}

/* Which errno a rename from -> to gets, or 0. */
static int
rename_fault(const char *from, const char *to)
{
	if (under("FAULT_EROFS_PREFIX", to))
		return EROFS;
	if (crosses(from, to))
		return EXDEV;
	return 0;
}

int
rename(const char *from, const char *to)
{
	int e;

	REAL(rename);
	if ((e = rename_fault(from, to)) != 0) {
		if (e == EXDEV)
			note("rename", e, to);
		errno = e;
		return -1;
	}
	return real_rename(from, to);
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];
	int e;

	REAL(renameat);
	if ((e = rename_fault(at_path(fromfd, from, a, sizeof(a)),
	    at_path(tofd, to, b, sizeof(b)))) != 0) {
		if (e == EXDEV)
			note("renameat", e, to);
		errno = e;
		return -1;
	}
	return real_renameat(fromfd, from, tofd, to);
}

int
renameat2(int fromfd, const char *from, int tofd, const char *to,
    unsigned int flags)
{
	char a[PATH_MAX], b[PATH_MAX];
	int e;

	REAL(renameat2);
	if ((e = rename_fault(at_path(fromfd, from, a, sizeof(a)),
	    at_path(tofd, to, b, sizeof(b)))) != 0) {
		if (e == EXDEV)
			note("renameat2", e, to);
		errno = e;
		return -1;
	}
	return real_renameat2(fromfd, from, tofd, to, flags);
}

/* OpenSSH's sftp-server renames by link + unlink, renaming on EXDEV. */
int
link(const char *from, const char *to)
{
	REAL(link);
	if (crosses(from, to)) {
		note("link", EXDEV, to);
		errno = EXDEV;
		return -1;
	}
	return real_link(from, to);
}

int
linkat(int fromfd, const char *from, int tofd, const char *to, int flags)
{
	char a[PATH_MAX], b[PATH_MAX];

	REAL(linkat);
	if (crosses(at_path(fromfd, from, a, sizeof(a)),
	    at_path(tofd, to, b, sizeof(b)))) {
		note("linkat", EXDEV, to);
		errno = EXDEV;
		return -1;
	}
	return real_linkat(fromfd, from, tofd, to, flags);
}

/* Does this fsync/fdatasync fail?  Counts the calls under the prefix. */
static int
fsync_fault(const char *call, int fd)
{
	static unsigned long calls;
	const char *nth = getenv("FAULT_EIO_FSYNC_NTH");
	const char *any = getenv("FAULT_EIO_SYNCFS_ANY");
	const char *pre = getenv("FAULT_EIO_FSYNC_PREFIX");
	unsigned long nth_call;

	if (!fd_under("FAULT_EIO_FSYNC_PREFIX", fd) &&
	    !(strcmp(call, "syncfs") == 0 && any != NULL &&
	    strcmp(any, "1") == 0 && pre != NULL && *pre != '\0'))
		return 0;
	/* Delivery threads may fsync at once (a local destination). */
	nth_call = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
	if (nth != NULL && *nth != '\0' && strtoul(nth, NULL, 10) != nth_call)
		return 0;
	note_fd(call, EIO, fd);
	return 1;
}

int
fsync(int fd)
{
	REAL(fsync);
	if (fsync_fault("fsync", fd)) {
		errno = EIO;
		return -1;
	}
	return real_fsync(fd);
}

int
syncfs(int fd)
{
	REAL(syncfs);
	if (fsync_fault("syncfs", fd)) {
		errno = EIO;
		return -1;
	}
	return real_syncfs(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);
	if (fsync_fault("fdatasync", fd)) {
		errno = EIO;
		return -1;
	}
	return real_fdatasync(fd);
}

int
close(int fd)
{
	char path[PATH_MAX];
	struct stat st;
	int fl, fail = 0, rc;

	REAL(close);
	if (fd >= 3 && getenv("FAULT_EIO_CLOSE_PREFIX") != NULL &&
	    (fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_ACCMODE) != O_RDONLY &&
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    fd_under("FAULT_EIO_CLOSE_PREFIX", fd)) {
		fd_path(fd, path, sizeof(path));
		fail = 1;
	}
	rc = real_close(fd);
	if (rc == 0 && fail) {
		note("close", EIO, path);
		errno = EIO;
		return -1;
	}
	return rc;
}
