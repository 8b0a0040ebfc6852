#include "jobset.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

int
jobset_load(const char *home, struct jobset *js, struct xerr *err)
{
	struct strlist names = { 0 };
	struct dirent *de;
	struct job *job, **v;
	char *dir, *path;
	size_t i, len;
	int rc;
	DIR *d;

	memset(js, 0, sizeof(*js));
	if ((dir = path_join(home, "jobs")) == NULL)
		return xerr_nomem(err);
	if ((d = opendir(dir)) == NULL) {
		int e = errno;

		free(dir);
		if (e == ENOENT)
			return 0;
		return xerr_set(err, e == ENOMEM ? XERR_NOMEM : XERR_CONFIG, e,
		    "cannot read '%s/jobs'", home);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".job") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (strlist_add(&names, de->d_name) == -1) {
			closedir(d);
			free(dir);
			strlist_free(&names);
			return xerr_nomem(err);
		}
	}
	closedir(d);
	strlist_sort(&names);
	for (i = 0; i < names.n; i++) {
		if ((path = path_join(dir, names.v[i])) == NULL)
			goto nomem;
		if ((rc = job_load(home, path, &job, &js->errors)) == -2) {
			free(dir);
			strlist_free(&names);
			jobset_free(js);
			xerr_set(err, XERR_NOMEM, ENOMEM, "cannot load '%s'",
			    path);
			free(path);
			return -1;
		}
		if (rc == -1) {
			names.v[i][strlen(names.v[i]) - 4] = '\0';
			if (strlist_add(&js->invalid, names.v[i]) == -1) {
				free(path);
				goto nomem;
			}
		} else {
			v = realloc(js->jobs, (js->n + 1) * sizeof(*v));
			if (v == NULL) {
				job_free(job);
				free(path);
				goto nomem;
			}
			js->jobs = v;
			js->jobs[js->n++] = job;
		}
		free(path);
	}
	free(dir);
	strlist_free(&names);
	return 0;
nomem:
	free(dir);
	strlist_free(&names);
	jobset_free(js);
	return xerr_nomem(err);
}

void
jobset_free(struct jobset *js)
{
	size_t i;

	for (i = 0; i < js->n; i++)
		job_free(js->jobs[i]);
	free(js->jobs);
	js->jobs = NULL;
	js->n = 0;
	strlist_free(&js->invalid);
	strlist_free(&js->errors);
}

struct job *
jobset_find(const struct jobset *js, const char *name)
{
	size_t i;

	for (i = 0; i < js->n; i++)
		if (strcmp(js->jobs[i]->name, name) == 0)
			return js->jobs[i];
	return NULL;
}
