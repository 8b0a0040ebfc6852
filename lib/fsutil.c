#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"

int
write_full(int fd, const void *p, size_t len, const char *label,
    struct xerr *err)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, c, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return xerr_set(err, XERR_TEMP, errno,
			    "cannot write '%s'", label);
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int
read_some(int fd, const char *label, char *buf, size_t size, size_t *got,
    struct xerr *err)
{
	ssize_t r;

	for (;;) {
		r = read(fd, buf, size);
		if (r >= 0)
			break;
		if (errno != EINTR)
			return xerr_set(err, errno == EISDIR ? XERR_PERM :
			    XERR_TEMP, errno, "cannot read '%s'", label);
	}
	*got = (size_t)r;
	return 0;
}

int
utf8_bom_pending(const char *buf, size_t n, size_t got, size_t *skip)
{
	*skip = 0;
	if (got > 0 && n < 3)
		return 1;
	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		*skip = 3;
	return 0;
}

int
fsync_fd(int fd, const char *label, struct xerr *err)
{
	if (fsync(fd) == -1)
		return xerr_set(err, XERR_TEMP, errno, "cannot fsync '%s'",
		    label);
	return 0;
}

int
fsync_dir(const char *dir, struct xerr *err)
{
	int fd, rc;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return xerr_set(err, XERR_TEMP, errno,
		    "cannot open directory '%s'", dir);
	rc = 0;
	if (fsync(fd) == -1)
		rc = xerr_set(err, XERR_TEMP, errno,
		    "cannot fsync directory '%s'", dir);
	close(fd);
	return rc;
}

int
mkdir_p(const char *path, mode_t mode, struct xerr *err)
{
	char *p, *s;
	struct stat st;

	if ((p = strdup(path)) == NULL)
		return xerr_nomem(err);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			xerr_set(err, XERR_TEMP, errno,
			    "cannot create directory '%s'", p);
			free(p);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
		return xerr_set(err, XERR_TEMP, errno ? errno : ENOTDIR,
		    "'%s' is not a directory", path);
	return 0;
}

static int
remove_at(int atfd, const char *name, const char *label, int depth,
    struct xerr *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	if (fstatat(atfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		return xerr_set(err, XERR_TEMP, errno, "cannot stat '%s'",
		    label);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(atfd, name, 0) == -1 && errno != ENOENT)
			return xerr_set(err, XERR_TEMP, errno,
			    "cannot remove '%s'", label);
		return 0;
	}
	if (depth > 32)
		return xerr_set(err, XERR_PERM, 0, "'%s' is nested too deep",
		    label);
	fd = openat(atfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return xerr_set(err, XERR_TEMP, errno, "cannot open '%s'",
		    label);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_at(dirfd(d), de->d_name, label, depth + 1,
		    err) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (unlinkat(atfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return xerr_set(err, XERR_TEMP, errno, "cannot remove '%s'",
		    label);
	return 0;
}

int
remove_tree(const char *path, struct xerr *err)
{
	return remove_at(AT_FDCWD, path, path, 0, err);
}

static int
dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(out, size, ".");
		return 0;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;
	if (n >= size)
		return -1;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int
rename_durable(const char *from, const char *to, struct xerr *err)
{
	char d1[4096], d2[4096];

	if (dir_of(from, d1, sizeof(d1)) == -1 ||
	    dir_of(to, d2, sizeof(d2)) == -1)
		return xerr_set(err, XERR_PERM, ENAMETOOLONG,
		    "cannot rename '%s'", from);
	if (rename(from, to) == -1)
		return xerr_set(err, XERR_TEMP, errno,
		    "cannot rename '%s' to '%s'", from, to);
	if (fsync_dir(d2, err) == -1)
		return -1;
	if (strcmp(d1, d2) != 0 && fsync_dir(d1, err) == -1)
		return -1;
	return 0;
}

int
rename_commit(const char *from, const char *to, struct xerr *err)
{
	char d2[4096];

	if (dir_of(to, d2, sizeof(d2)) == -1)
		return xerr_set(err, XERR_PERM, ENAMETOOLONG,
		    "cannot rename '%s'", from);
	if (rename(from, to) == -1)
		return xerr_set(err, XERR_TEMP, errno,
		    "cannot rename '%s' to '%s'", from, to);
	return fsync_dir(d2, err);
}

char *
path_join(const char *a, const char *b)
{
	char *s;
	size_t la = strlen(a);

	if (la > 0 && a[la - 1] == '/')
		la--;
	if (asprintf(&s, "%.*s/%s", (int)la, a, b) == -1)
		return NULL;
	return s;
}

/*
 * The last step of a durable write: the fsync'd temporary tmp becomes dst
 * in dir.  If the directory's fsync fails, the name may not survive a
 * power cut, and a later fsync of the directory may report success
 * without having written it: dst goes, to be written anew.
 */
static int
install_file(const char *tmp, const char *dst, const char *dir,
    struct xerr *err)
{
	if (rename(tmp, dst) == -1)
		return xerr_set(err, XERR_TEMP, errno,
		    "cannot rename '%s' to '%s'", tmp, dst);
	if (fsync_dir(dir, err) == -1) {
		unlink(dst);
		xerr_prefix(err, "cannot make '%s' durable", dst);
		return -1;
	}
	return 0;
}

int
write_file_durable(const char *dir, const char *name, const void *data,
    size_t len, mode_t mode, struct xerr *err)
{
	char *tmp = NULL, *dst = NULL;
	int fd = -1, rc = -1;

	if (asprintf(&tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid()) == -1) {
		tmp = NULL;
		xerr_nomem(err);
		goto fail;
	}
	if ((dst = path_join(dir, name)) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot create '%s'", tmp);
		goto fail;
	}
	if (write_full(fd, data, len, tmp, err) == -1 ||
	    fsync_fd(fd, tmp, err) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		xerr_set(err, XERR_TEMP, errno, "cannot close '%s'", tmp);
		goto fail;
	}
	fd = -1;
	if (install_file(tmp, dst, dir, err) == -1)
		goto fail;
	rc = 0;
fail:
	if (fd != -1)
		close(fd);
	if (rc == -1 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dst);
	return rc;
}

int
copy_file_durable(const char *src, const char *dst_dir, const char *dst_name,
    const char *temp_suffix, struct xerr *err)
{
	static const size_t bufsize = 256 * 1024;
	char *tmp = NULL, *dst = NULL, *b = NULL;
	int in = -1, out = -1, rc = -1;
	struct stat st;
	ssize_t n;

	if (asprintf(&tmp, "%s/%s%s", dst_dir, dst_name, temp_suffix) == -1) {
		tmp = NULL;
		xerr_nomem(err);
		goto fail;
	}
	if ((dst = path_join(dst_dir, dst_name)) == NULL ||
	    (b = malloc(bufsize)) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	/* O_NONBLOCK: a FIFO put where a file was expected must not hang
	 * us (it is refused below). */
	if ((in = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot open '%s'", src);
		goto fail;
	}
	if (fstat(in, &st) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot stat '%s'", src);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		xerr_set(err, XERR_PERM, 0, "cannot copy '%s': not a regular "
		    "file", src);
		goto fail;
	}
	/* A temporary left by a crash is ours to replace. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		xerr_set(err, XERR_TEMP, errno, "cannot remove '%s'", tmp);
		goto fail;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (out == -1) {
		xerr_set(err, errno == EACCES || errno == EROFS ? XERR_PERM :
		    XERR_TEMP, errno, "cannot create '%s'", tmp);
		goto fail;
	}
	for (;;) {
		n = read(in, b, bufsize);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xerr_set(err, XERR_TEMP, errno, "cannot read '%s'",
			    src);
			goto fail;
		}
		if (n == 0)
			break;
		if (write_full(out, b, (size_t)n, tmp, err) == -1)
			goto fail;
		FAULT_POINT("copy_mid");
	}
	if (fsync_fd(out, tmp, err) == -1)
		goto fail;
	if (close(out) == -1) {
		out = -1;
		xerr_set(err, XERR_TEMP, errno, "cannot close '%s'", tmp);
		goto fail;
	}
	out = -1;
	FAULT_POINT("copy_before_rename");
	if (install_file(tmp, dst, dst_dir, err) == -1)
		goto fail;
	rc = 0;
fail:
	if (out != -1)
		close(out);
	if (in != -1)
		close(in);
	if (rc == -1 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dst);
	free(b);
	return rc;
}

int
name_is_plain(const char *name)
{
	const unsigned char *p;
	size_t n = strlen(name);

	if (n == 0 || n > 255 || name[0] == '-' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return 0;
	for (p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int
secret_file_check(const char *path, const char *key, struct xerr *err)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return xerr_set(err, XERR_PERM, errno, "key '%s': cannot use "
		    "'%s'", key, path);
	if (!S_ISREG(st.st_mode))
		return xerr_set(err, XERR_PERM, 0, "key '%s': '%s' is not a "
		    "regular file", key, path);
	if (st.st_mode & 077)
		return xerr_set(err, XERR_PERM, 0, "key '%s': '%s' is "
		    "accessible by group or others (mode %04o); run `chmod "
		    "600 %s`", key, path, (unsigned)(st.st_mode & 07777),
		    path);
	return 0;
}

int
secret_file_read(const char *path, const char *key, char **out,
    struct xerr *err)
{
	char buf[4096];
	ssize_t n;
	int fd;

	*out = NULL;
	if (secret_file_check(path, key, err) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return xerr_set(err, XERR_PERM, errno, "key '%s': cannot "
		    "open '%s'", key, path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return xerr_set(err, XERR_PERM, errno, "key '%s': cannot "
		    "read '%s'", key, path);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if ((*out = strdup(buf)) == NULL)
		return xerr_nomem(err);
	return 0;
}
