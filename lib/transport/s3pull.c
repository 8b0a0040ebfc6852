/*
 * s3pull: the pull side of the S3 transport (receive jobs with an
 * [inbox] url = s3://BUCKET/PREFIX/): ListObjectsV2 of the objects
 * directly under the prefix, page by page; a download streamed to a
 * local file and fsync'd; after_pull = move:DIR as a copy, checked for an
 * <Error> inside its 200, then a delete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "transport/s3_internal.h"

/* One page of ListObjectsV2 of prefix (delimiter '/') into b. */
int
s3_list_page(struct s3_dest *c, const char *prefix, const char *token,
    const char *max_keys, struct buf *b, struct xerr *err)
{
	struct s3_call call;
	char what[600];
	int rc;

	s3_call_init(&call, "GET", NULL);
	s3_call_param(&call, "list-type", "2");
	s3_call_param(&call, "prefix", prefix);
	s3_call_param(&call, "delimiter", "/");
	if (token)
		s3_call_param(&call, "continuation-token", token);
	if (max_keys)
		s3_call_param(&call, "max-keys", max_keys);
	call.out = b;
	snprintf(what, sizeof(what), "cannot list '%s'", c->base);
	rc = s3_perform_ok(c, &call, what, err);
	s3_call_done(&call);
	return rc;
}

/* An ETag as S3 lists it, "\"hex\"" (or W/"..."), as the text inside
 * its quotes; NULL when empty. */
static const char *
unquote(char *s)
{
	size_t n;

	if (s[0] == 'W' && s[1] == '/')
		s += 2;
	if (s[0] == '"')
		s++;
	n = strlen(s);
	if (n > 0 && s[n - 1] == '"')
		s[--n] = '\0';
	return n > 0 ? s : NULL;
}

static int
s3_list(void *state, int (*fn)(void *ctx, const struct remote_entry *e,
    struct xerr *err), void *ctx, struct xerr *err)
{
	struct s3_dest *c = state;
	struct remote_entry e;
	const char *p, *end, *in, *in_end;
	char key[1100], val[64], etag[160], *token = NULL;
	char trunc[16];
	struct buf b;
	size_t plen = strlen(c->prefix);
	long pages;
	int rc = -1;

	buf_init(&b, S3_BODY_MAX);
	for (pages = 0; pages < S3_MAX_PAGES; pages++) {
		buf_reset(&b);
		if (s3_list_page(c, c->prefix, token, NULL, &b, err) == -1)
			goto out;
		free(token);
		token = NULL;
		p = b.data ? b.data : "";
		end = p + b.len;
		while (s3_xml_elem(p, end, "Contents", &in, &in_end, &p)) {
			if (s3_xml_text(in, in_end, "Key", key, sizeof(key)) !=
			    1) {
				xerr_set(err, XERR_TEMP, 0, "cannot read the "
				    "listing of '%s': an entry without a "
				    "readable Key", c->base);
				goto out;
			}
			/* The prefix's own "directory" marker, or a key
			 * S3 should not have given: not a file here. */
			if (strncmp(key, c->prefix, plen) != 0 ||
			    key[plen] == '\0')
				continue;
			e.name = key + plen;
			e.size = s3_xml_text(in, in_end, "Size", val,
			    sizeof(val)) == 1 ? strtoll(val, NULL, 10) : -1;
			e.mtime = s3_xml_text(in, in_end, "LastModified", val,
			    sizeof(val)) == 1 ? s3_iso_time(val) : -1;
			e.etag = s3_xml_text(in, in_end, "ETag", etag,
			    sizeof(etag)) == 1 ? unquote(etag) : NULL;
			e.gone = 0;
			if (fn(ctx, &e, err) == -1)
				goto out;
		}
		p = b.data ? b.data : "";
		if (s3_xml_text(p, end, "IsTruncated", trunc,
		    sizeof(trunc)) != 1 || strcmp(trunc, "true") != 0)
			break;
		if ((token = malloc(2048)) == NULL) {
			xerr_nomem(err);
			goto out;
		}
		if (s3_xml_text(p, end, "NextContinuationToken", token,
		    2048) != 1 || token[0] == '\0') {
			xerr_set(err, XERR_TEMP, 0, "cannot read the listing "
			    "of '%s': a truncated page without a "
			    "NextContinuationToken", c->base);
			goto out;
		}
	}
	rc = 0;
out:
	free(token);
	buf_release(&b);
	return rc;
}

static int
s3_get(void *state, const char *name, const char *local_path,
    struct xerr *err)
{
	struct s3_dest *c = state;
	struct s3_call call;
	char *key, what[600];
	int fd, rc;

	if ((key = s3_key_of(c, name)) == NULL)
		return xerr_nomem(err);
	fd = open(local_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		free(key);
		return xerr_set(err, XERR_TEMP, errno, "cannot create '%s'",
		    local_path);
	}
	s3_call_init(&call, "GET", key);
	call.out_fd = fd;
	snprintf(what, sizeof(what), "download of '%s%s' failed", c->base,
	    name);
	rc = s3_perform_ok(c, &call, what, err);
	s3_call_done(&call);
	free(key);
	if (rc == 0 && fsync_fd(fd, local_path, err) == 0) {
		if (close(fd) == 0)
			return 0;
		fd = -1;
		xerr_set(err, XERR_TEMP, errno, "cannot close '%s'",
		    local_path);
	}
	if (fd != -1)
		close(fd);
	unlink(local_path);
	return -1;
}

/* after_pull = move:DIR: a copy under DIR, then the delete. */
static int
s3_move(void *state, const char *name, const char *dir, struct xerr *err)
{
	struct s3_dest *c = state;
	struct s3_call call;
	struct buf src, b;
	char *key = NULL, *to = NULL, what[800];
	size_t dl = strlen(dir);
	int rc = -1;

	buf_init(&src, 0);
	buf_init(&b, S3_BODY_MAX);
	while (dl > 0 && dir[dl - 1] == '/')
		dl--;
	if ((key = s3_key_of(c, name)) == NULL ||
	    (dir[0] == '/' ? asprintf(&to, "%.*s/%s", (int)dl - 1, dir + 1,
	    name) : asprintf(&to, "%s%.*s/%s", c->prefix, (int)dl, dir,
	    name)) == -1) {
		to = NULL;
		xerr_nomem(err);
		goto out;
	}
	if (buf_putc(&src, '/') == -1 ||
	    s3_uri_encode(&src, c->bucket, 0) == -1 ||
	    buf_putc(&src, '/') == -1 || s3_uri_encode(&src, key, 1) == -1) {
		xerr_nomem(err);
		goto out;
	}
	s3_call_init(&call, "PUT", to);
	s3_call_header(&call, "x-amz-copy-source", src.data);
	call.out = &b;
	snprintf(what, sizeof(what), "cannot copy '%s%s' to 's3://%s/%s'",
	    c->base, name, c->bucket, to);
	rc = s3_perform_ok(c, &call, what, err);
	if (rc == 0)
		rc = s3_error_in_200(c, &call, &b, what, err);
	s3_call_done(&call);
	if (rc == 0) {
		snprintf(what, sizeof(what), "copied '%s%s' to 's3://%s/%s' "
		    "but cannot remove it", c->base, name, c->bucket, to);
		rc = s3_delete_key(c, key, NULL, what, err);
	}
out:
	free(key);
	free(to);
	buf_release(&src);
	buf_release(&b);
	return rc;
}

const struct pull_ops pull_s3_ops = {
	.list = s3_list,
	.get = s3_get,
	.move = s3_move,
};
