#include "dest.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fault.h"
#include "fsutil.h"

struct dest {
	const struct dest_ops *ops;
	const struct pull_ops *pull;	/* NULL: cannot pull */
	void *state;
	const struct job *job;
};

/* Each transport by its URL scheme, and its pull side. */
static const struct {
	const char *scheme;
	const struct dest_ops *ops;
	const struct pull_ops *pull;
} transports[] = {
	{ "sftp://", &dest_sftp_ops, &pull_curl_ops },
	{ "https://", &dest_https_ops, &pull_curl_ops },
	{ "s3://", &dest_s3_ops, &pull_s3_ops },
};


int
dest_open(const struct job *job, struct dest **out, const struct log *lg,
    struct xerr *err)
{
	const struct dest_ops *ops = &dest_file_ops;
	const struct pull_ops *pull = NULL;
	struct dest *d;
	size_t i;

	*out = NULL;
	for (i = 0; i < sizeof(transports) / sizeof(*transports); i++)
		if (strncmp(job->upload.url, transports[i].scheme,
		    strlen(transports[i].scheme)) == 0) {
			ops = transports[i].ops;
			pull = transports[i].pull;
		}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return xerr_nomem(err);
	d->ops = ops;
	d->pull = pull;
	d->job = job;
	if (ops->open(&d->state, job, lg, err) == -1) {
		free(d);
		return -1;
	}
	*out = d;
	return 0;
}

void
dest_close(struct dest *d)
{
	if (d == NULL)
		return;
	d->ops->close(d->state);
	free(d);
}

static int
put_file(struct dest *d, const char *path, const char *name,
    const char *sha256, long long size, int exists, const char *date,
    const struct log *lg, struct xerr *err)
{
	struct log_kv kv = LOG_KV_NONE;
	long long t0 = mono_ms();
	struct put_req req;

	req.local_path = path;
	req.name = name;
	req.sha256 = sha256;
	req.size = size;
	req.job = d->job->name;
	req.date = date;
	req.exists = exists;
	if (d->ops->put(d->state, &req, err) == -1)
		return -1;
	kv.file = name;
	kv.duration_ms = mono_ms() - t0;
	log_event(lg, LOG_DEBUG, d->job->name, date, "put", &kv,
	    "delivered by %s", d->ops->name);
	return 0;
}

int
dest_check(struct dest *d, void (*fn)(void *ctx, int ok, const char *what),
    void *ctx, struct xerr *err)
{
	return d->ops->check(d->state, fn, ctx, err);
}

int
dest_deliver(struct dest *d, const char *dir, const struct batch_meta *m,
    const char *date, const struct log *lg, int *uploaded, struct xerr *err)
{
	char *data = NULL, *man = NULL, mhex[SHA256_HEXLEN];
	enum dest_probe pr;
	long long msize;
	int rc = -1;

	if ((data = path_join(dir, m->file)) == NULL ||
	    (m->manifest[0] && (man = path_join(dir, m->manifest)) == NULL)) {
		xerr_nomem(err);
		goto out;
	}
	*uploaded = 0;
	if (d->ops->probe(d->state, m->file, data, m->sha256, m->bytes, &pr,
	    err) == -1)
		goto out;
	*uploaded = pr != DEST_SAME;
	if (pr == DEST_DIFFERENT && d->job->upload.on_exists ==
	    ON_EXISTS_FAIL) {
		xerr_set(err, XERR_PERM, 0, "'%s' already exists at the "
		    "destination with other bytes and on_exists = fail: "
		    "remove it there or set on_exists = replace", m->file);
		goto out;
	}
	if (pr == DEST_DIFFERENT) {
		/* A manifest must never vouch for bytes it does not name. */
		if (m->manifest[0] && d->ops->remove(d->state, m->manifest,
		    err) == -1)
			goto out;
		if (put_file(d, data, m->file, m->sha256, m->bytes, 1, date,
		    lg, err) == -1)
			goto out;
		log_event(lg, LOG_WARN, d->job->name, date, "replaced", NULL,
		    "replaced '%s' at the destination, which held other "
		    "bytes", m->file);
	} else if (pr == DEST_ABSENT) {
		if (put_file(d, data, m->file, m->sha256, m->bytes, 0, date,
		    lg, err) == -1)
			goto out;
	} else {
		log_event(lg, LOG_INFO, d->job->name, date, "already-there",
		    NULL, "'%s' is already at the destination with the same "
		    "bytes", m->file);
	}
	if (man != NULL) {
		FAULT_POINT("manifest_before_upload");
		if (sha256_file(man, mhex, &msize, err) == -1 ||
		    d->ops->probe(d->state, m->manifest, man, mhex, msize, &pr,
		    err) == -1)
			goto out;
		if (pr != DEST_SAME && put_file(d, man, m->manifest, mhex,
		    msize, pr == DEST_DIFFERENT, date, lg, err) == -1)
			goto out;
	}
	rc = 0;
out:
	free(data);
	free(man);
	return rc;
}

static int
no_pull(struct dest *d, struct xerr *err)
{
	return xerr_set(err, XERR_PERM, 0, "%s: cannot pull from '%s'",
	    d->job->file, d->job->upload.url);
}

int
dest_pull_list(struct dest *d, int (*fn)(void *ctx,
    const struct remote_entry *e, struct xerr *err), void *ctx,
    struct xerr *err)
{
	if (d->pull == NULL)
		return no_pull(d, err);
	return d->pull->list(d->state, fn, ctx, err);
}

int
dest_pull_get(struct dest *d, const char *name, const char *local_path,
    struct xerr *err)
{
	if (d->pull == NULL)
		return no_pull(d, err);
	return d->pull->get(d->state, name, local_path, err);
}

int
dest_pull_remove(struct dest *d, const char *name, struct xerr *err)
{
	return d->ops->remove(d->state, name, err);
}

int
dest_pull_move(struct dest *d, const char *name, const char *dir,
    struct xerr *err)
{
	if (d->pull == NULL)
		return no_pull(d, err);
	return d->pull->move(d->state, name, dir, err);
}
