#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

int
spool_open(const char *home, struct spool *sp, const struct log *lg,
    struct xerr *err)
{
	struct stat st;

	sp->root = path_join(home, "spool");
	if (sp->root == NULL)
		return xerr_nomem(err);
	if (mkdir(sp->root, 0755) == -1 && errno != EEXIST) {
		xerr_set(err, XERR_PERM, errno, "cannot create spool '%s'",
		    sp->root);
		goto fail;
	}
	if (stat(sp->root, &st) == -1) {
		xerr_set(err, XERR_PERM, errno, "cannot use spool '%s'",
		    sp->root);
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		xerr_set(err, XERR_PERM, 0, "spool '%s' is not a directory",
		    sp->root);
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		xerr_set(err, XERR_PERM, 0, "spool '%s' belongs to uid %ld, "
		    "not to the user running xfer (uid %ld); run xfer as its "
		    "owner", sp->root, (long)st.st_uid, (long)geteuid());
		goto fail;
	}
	if (st.st_mode & S_IWOTH) {
		xerr_set(err, XERR_PERM, 0, "spool '%s' is writable by anyone "
		    "(mode %04o); run `chmod o-w %s`", sp->root,
		    (unsigned)(st.st_mode & 07777), sp->root);
		goto fail;
	}
	if (st.st_mode & S_IWGRP)
		log_event(lg, LOG_WARN, NULL, NULL, "spool-mode", NULL,
		    "spool '%s' is writable by its group (mode %04o)",
		    sp->root, (unsigned)(st.st_mode & 07777));
	return 0;
fail:
	free(sp->root);
	sp->root = NULL;
	return -1;
}

void
spool_close(struct spool *sp)
{
	free(sp->root);
	sp->root = NULL;
}

char *
spool_path(const struct spool *sp, const char *job, const char *area,
    bdate_t date)
{
	char ds[BDATE_STRLEN], *s;
	int n;

	if (date >= 0) {
		bdate_format(date, ds);
		n = asprintf(&s, "%s/%s/%s/%s", sp->root, job, area, ds);
	} else if (area != NULL) {
		n = asprintf(&s, "%s/%s/%s", sp->root, job, area);
	} else {
		n = asprintf(&s, "%s/%s", sp->root, job);
	}
	return n == -1 ? NULL : s;
}

int
spool_job_prepare(const struct spool *sp, const char *job, struct xerr *err)
{
	static const char *const areas[] = { "tmp", "out", "sent" };
	char *p;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
		if ((p = spool_path(sp, job, areas[i], -1)) == NULL)
			return xerr_nomem(err);
		rc = mkdir_p(p, 0755, err);
		free(p);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
spool_lock(const struct spool *sp, const char *job, int *fd, struct xerr *err)
{
	char *dir, *path;
	int f;

	*fd = -1;
	if ((dir = spool_path(sp, job, NULL, -1)) == NULL)
		return xerr_nomem(err);
	if (mkdir_p(dir, 0755, err) == -1) {
		free(dir);
		return -1;
	}
	path = path_join(dir, "lock");
	free(dir);
	if (path == NULL)
		return xerr_nomem(err);
	f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot open lock '%s'", path);
		free(path);
		return -1;
	}
	if (flock(f, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;

		close(f);
		if (e == EWOULDBLOCK) {
			free(path);
			return 1;
		}
		xerr_set(err, XERR_TEMP, e, "cannot lock '%s'", path);
		free(path);
		return -1;
	}
	free(path);
	*fd = f;
	return 0;
}

void
spool_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int
spool_tmpdir(const struct spool *sp, const char *job, const char *tag,
    char **out, struct xerr *err)
{
	char *tmp, *path;

	*out = NULL;
	if ((tmp = spool_path(sp, job, "tmp", -1)) == NULL)
		return xerr_nomem(err);
	if (asprintf(&path, "%s/%s.XXXXXX", tmp, tag) == -1) {
		free(tmp);
		return xerr_nomem(err);
	}
	free(tmp);
	if (mkdtemp(path) == NULL) {
		xerr_set(err, XERR_TEMP, errno, "cannot create '%s'", path);
		free(path);
		return -1;
	}
	*out = path;
	return 0;
}

int
spool_clean_tmp(const struct spool *sp, const char *job, struct xerr *err)
{
	struct dirent *de;
	char *tmp, *p;
	DIR *d;
	int rc = 0;

	if ((tmp = spool_path(sp, job, "tmp", -1)) == NULL)
		return xerr_nomem(err);
	if ((d = opendir(tmp)) == NULL) {
		rc = errno == ENOENT ? 0 : xerr_set(err, XERR_TEMP, errno,
		    "cannot open '%s'", tmp);
		free(tmp);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((p = path_join(tmp, de->d_name)) == NULL) {
			rc = xerr_nomem(err);
			break;
		}
		rc = remove_tree(p, err);
		free(p);
	}
	closedir(d);
	free(tmp);
	return rc;
}
