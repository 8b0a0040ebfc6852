/*
 * dest_s3: S3-compatible object storage (SPEC.md section 10), for
 * [upload] and [inbox] url = s3://BUCKET/PREFIX/.
 *
 * Every request is signed here with AWS Signature Version 4
 * (transport/s3sign.c; libcurl 7.88's own signing gets S3's query
 * strings wrong).  An object appears whole or not at all, so there is no
 * temporary name: a file below part_size is one PUT whose
 * x-amz-content-sha256 is the file's SHA-256 (S3 refuses a body that
 * does not match it); a larger one is a multipart upload whose parts
 * each carry their own SHA-256 and go up to `connections` at a time
 * through the curl multi interface, read straight from the file with
 * pread (no part is held in memory).  Every object carries its SHA-256
 * as x-amz-meta-sha256, so a probe needs only a HEAD.  A multipart
 * upload that fails is aborted, and one that a killed run left behind
 * for the same key is aborted before the next attempt, so no parts are
 * left costing money.
 *
 * Errors: connection failures, 5xx, SlowDown, RequestTimeout are
 * transient (with the server's Retry-After); everything else S3 says is
 * permanent and quoted with S3's Code and Message.  S3 can also fail
 * inside a 200 (CompleteMultipartUpload, CopyObject): those bodies are
 * read for <Error> too.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dest.h"
#include "digest.h"
#include "fault.h"
#include "fsutil.h"
#include "transport/s3_internal.h"

void
s3_call_init(struct s3_call *call, const char *method, const char *key)
{
	memset(call, 0, sizeof(*call));
	call->method = method;
	call->key = key;
	call->payload = S3_EMPTY_SHA256;
	call->in_fd = -1;
	call->out_fd = -1;
	call->length = -1;
	buf_init(&call->errbody, S3_ERR_MAX);
}

void
s3_call_done(struct s3_call *call)
{
	free(call->url);
	call->url = NULL;
	curl_slist_free_all(call->hl);
	call->hl = NULL;
	buf_release(&call->errbody);
}

void
s3_call_param(struct s3_call *call, const char *name, const char *value)
{
	call->q[call->nq].name = name;
	call->q[call->nq].value = value;
	call->nq++;
}

void
s3_call_header(struct s3_call *call, const char *name, const char *value)
{
	call->xh[call->nxh].name = name;
	call->xh[call->nxh].value = value;
	call->nxh++;
}

/* --- libcurl callbacks ------------------------------------------------ */

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct s3_call *call = ctx;
	size_t len = size * n, vl;
	const char *v;

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A status line (also of a 100 Continue): start over. */
		const char *sp = memchr(p, ' ', len);

		call->code = sp ? strtol(sp + 1, NULL, 10) : 0;
		call->etag[0] = call->meta_sha256[0] = '\0';
		return len;
	}
	if ((v = memchr(p, ':', len)) == NULL)
		return len;
	vl = len - (size_t)(v + 1 - p);
	for (v++; vl > 0 && (*v == ' ' || *v == '\t'); v++, vl--)
		;
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' '))
		vl--;
	if (strncasecmp(p, "etag:", 5) == 0 && vl < sizeof(call->etag))
		snprintf(call->etag, sizeof(call->etag), "%.*s", (int)vl, v);
	else if (strncasecmp(p, "x-amz-meta-sha256:", 18) == 0 &&
	    vl == SHA256_HEXLEN - 1)
		snprintf(call->meta_sha256, sizeof(call->meta_sha256), "%.*s",
		    (int)vl, v);
	else if (strncasecmp(p, "content-length:", 15) == 0)
		call->length = strtoll(v, NULL, 10);
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct s3_call *call = ctx;
	size_t len = size * n;
	struct xerr e;

	if (call->code < 200 || call->code > 299) {
		/* An error body: keep what fits, it is only read. */
		if (call->errbody.len < S3_ERR_MAX - 1)
			(void)buf_append(&call->errbody, p, len <
			    S3_ERR_MAX - 1 - call->errbody.len ? len :
			    S3_ERR_MAX - 1 - call->errbody.len);
		return len;
	}
	if (call->out_fd >= 0) {
		if (write_full(call->out_fd, p, len, "download", &e) == -1) {
			call->write_errno = e.sys_errno ? e.sys_errno : EIO;
			return 0;
		}
		FAULT_POINT("pull_mid_download");
	} else if (call->out_hash) {
		sha256_update(call->out_hash, p, len);
	} else if (call->out) {
		if (buf_append(call->out, p, len) == -1) {
			call->write_errno = EFBIG;
			return 0;
		}
	}
	return len;
}

static size_t
on_read(char *p, size_t size, size_t n, void *ctx)
{
	struct s3_call *call = ctx;
	long long left = call->len - call->pos;
	size_t want = size * n;
	ssize_t got;

	if (left <= 0)
		return 0;
	if ((long long)want > left)
		want = (size_t)left;
	if (call->mem) {
		memcpy(p, call->mem + call->pos, want);
		call->pos += (long long)want;
		return want;
	}
	FAULT_POINT("upload_mid");
	do
		got = pread(call->in_fd, p, want, call->off + call->pos);
	while (got == -1 && errno == EINTR);
	if (got <= 0)
		return CURL_READFUNC_ABORT;	/* shrank or failed */
	call->pos += got;
	return (size_t)got;
}

static int
on_seek(void *ctx, curl_off_t offset, int origin)
{
	struct s3_call *call = ctx;

	if (origin != SEEK_SET || offset < 0 || offset > call->len)
		return CURL_SEEKFUNC_CANTSEEK;
	call->pos = (long long)offset;
	return CURL_SEEKFUNC_OK;
}

/* --- requests --------------------------------------------------------- */

static int
add_header(struct s3_call *call, const char *line)
{
	struct curl_slist *l = curl_slist_append(call->hl, line);

	if (l == NULL)
		return -1;
	call->hl = l;
	return 0;
}

/* Set up handle h for call: URL, signature, body and sinks. */
static int
prepare(struct s3_dest *c, CURL *h, struct s3_call *call, struct xerr *err)
{
	const struct job_upload *up = &c->job->upload;
	struct s3_header hs[8];
	struct buf path, query, auth, line;
	char date[20];
	long stall_s = up->stall_timeout_ms / 1000;
	struct tm tm;
	time_t now = time(NULL);
	size_t nh = 0, i;
	int rc = -1;

	buf_init(&path, 0);
	buf_init(&query, 0);
	buf_init(&auth, 0);
	buf_init(&line, 0);
	call->h = h;
	call->pos = 0;
	call->code = 0;
	call->length = -1;
	call->write_errno = 0;
	call->errbuf[0] = '\0';
	buf_reset(&call->errbody);
	free(call->url);
	call->url = NULL;
	curl_slist_free_all(call->hl);
	call->hl = NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);

	if (buf_putc(&path, '/') == -1 || (c->path_style &&
	    (s3_uri_encode(&path, c->bucket, 0) == -1 || (call->key &&
	    buf_putc(&path, '/') == -1))) || (call->key &&
	    s3_uri_encode(&path, call->key, 1) == -1) ||
	    s3_query(&query, call->q, call->nq) == -1 ||
	    asprintf(&call->url, "%s%s%s%s", c->origin, path.data,
	    call->nq ? "?" : "", query.data) == -1) {
		call->url = NULL;
		goto nomem;
	}
	hs[nh].name = "host";
	hs[nh++].value = c->host;
	hs[nh].name = "x-amz-content-sha256";
	hs[nh++].value = call->payload;
	hs[nh].name = "x-amz-date";
	hs[nh++].value = date;
	if (c->token) {
		hs[nh].name = "x-amz-security-token";
		hs[nh++].value = c->token;
	}
	for (i = 0; i < call->nxh; i++)
		hs[nh++] = call->xh[i];
	if (s3_authorization(&auth, call->method, path.data, query.data, hs,
	    nh, call->payload, date, up->region, c->key_id, c->secret) == -1)
		goto nomem;
	for (i = 0; i < nh; i++) {
		buf_reset(&line);
		if (buf_printf(&line, "%s: %s", hs[i].name, hs[i].value) ==
		    -1 || add_header(call, line.data) == -1)
			goto nomem;
	}
	buf_reset(&line);
	/* No 100-continue round trip; no form content type on a POST. */
	if (buf_printf(&line, "Authorization: %s", auth.data) == -1 ||
	    add_header(call, line.data) == -1 ||
	    add_header(call, "Expect:") == -1 ||
	    add_header(call, "Content-Type:") == -1)
		goto nomem;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, call->url);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, call->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->plain_http ? "http" :
	    "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, up->proxy ? up->proxy : "");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, up->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s > 0 ? stall_s : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (up->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, up->ca_file);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, call->hl);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, call);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(h, CURLOPT_PRIVATE, call);
	if (strcmp(call->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(call->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, call);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, call);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)call->len);
		curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	} else if (strcmp(call->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->mem ? call->mem :
		    "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(call->mem ? call->len : 0));
	} else if (strcmp(call->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
	}
	rc = 0;
	goto out;
nomem:
	xerr_nomem(err);
out:
	if (auth.data)
		explicit_bzero(auth.data, auth.len);
	buf_release(&path);
	buf_release(&query);
	buf_release(&auth);
	buf_release(&line);
	return rc;
}

static int
transient_code(const char *code)
{
	return strcmp(code, "SlowDown") == 0 ||
	    strcmp(code, "RequestTimeout") == 0 ||
	    strcmp(code, "InternalError") == 0 ||
	    strcmp(code, "ServiceUnavailable") == 0 ||
	    strcmp(code, "OperationAborted") == 0;
}

/*
 * Sort what went wrong with call into transient and permanent: a
 * libcurl failure (rc), an HTTP status, or an <Error> in a 200 body
 * (body: that text; NULL: call->errbody).
 */
static int
s3_error(struct s3_dest *c, struct s3_call *call, CURLcode rc,
    const char *what, const char *body, size_t blen, struct xerr *err)
{
	enum xerr_class cls = XERR_TEMP;
	char code[128] = "", msg[400] = "", ra[64] = "";
	curl_off_t after = 0;

	if (rc != CURLE_OK) {
		switch (rc) {
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			cls = XERR_PERM;
			break;
		default:
			break;
		}
		return xerr_set(err, cls, 0, "%s: %s (curl error %d%s)", what,
		    call->errbuf[0] ? call->errbuf : curl_easy_strerror(rc),
		    (int)rc, cls == XERR_TEMP ? ", will retry" : "");
	}
	if (body == NULL) {
		body = call->errbody.data ? call->errbody.data : "";
		blen = call->errbody.len;
	}
	if (s3_xml_text(body, body + blen, "Code", code, sizeof(code)) != 1)
		code[0] = '\0';
	if (s3_xml_text(body, body + blen, "Message", msg, sizeof(msg)) != 1)
		msg[0] = '\0';
	if (!(call->code >= 500 || call->code == 408 || call->code == 429 ||
	    (call->code >= 200 && call->code <= 299) ||
	    transient_code(code)))
		cls = XERR_PERM;
	if (code[0] && !transient_code(code) && call->code >= 200 &&
	    call->code <= 299)
		cls = XERR_PERM;
	if (cls == XERR_TEMP && call->h && curl_easy_getinfo(call->h,
	    CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
		snprintf(ra, sizeof(ra), " (Retry-After: %lld s)",
		    (long long)after);
	else
		after = 0;
	if (strcmp(code, "RequestTimeTooSkewed") == 0)
		xerr_set(err, XERR_PERM, 0, "%s: S3 refused the request "
		    "because this machine's clock is off (RequestTimeTooSkewed: "
		    "%s); set the clock right (NTP) and the next run sends it",
		    what, msg);
	else if (strcmp(code, "NoSuchBucket") == 0)
		xerr_set(err, XERR_PERM, 0, "%s: the bucket '%s' does not exist "
		    "at '%s' (NoSuchBucket)", what, c->bucket, c->origin);
	else if (code[0])
		xerr_set(err, cls, 0, "%s: S3 answered HTTP %ld %s: %s%s%s",
		    what, call->code, code, msg[0] ? msg : "(no message)", ra,
		    cls == XERR_TEMP ? ", will retry" : "");
	else
		xerr_set(err, cls, 0, "%s: the server answered HTTP %ld%s%s%s",
		    what, call->code, call->code == 403 ? " (access denied: "
		    "wrong credentials, or no permission)" : "", ra,
		    cls == XERR_TEMP ? ", will retry" : "");
	err->retry_after_s = (long)after;
	return -1;
}

/* Run call on the destination's own handle; call->code says how it went. */
static int
perform(struct s3_dest *c, struct s3_call *call, const char *what,
    struct xerr *err)
{
	CURLcode rc;

	if (prepare(c, c->h, call, err) == -1)
		return -1;
	rc = curl_easy_perform(c->h);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &call->code);
	if (call->write_errno && call->out_fd >= 0)
		return xerr_set(err, XERR_TEMP, call->write_errno, "%s: "
		    "cannot write the download", what);
	if (call->write_errno)
		return xerr_set(err, XERR_PERM, 0, "%s: the answer is larger "
		    "than %d bytes", what, S3_BODY_MAX);
	if (rc != CURLE_OK)
		return s3_error(c, call, rc, what, NULL, 0, err);
	return 0;
}

/* perform(), and anything but a 2xx is an error. */
int
s3_perform_ok(struct s3_dest *c, struct s3_call *call, const char *what,
    struct xerr *err)
{
	if (perform(c, call, what, err) == -1)
		return -1;
	if (call->code < 200 || call->code > 299)
		return s3_error(c, call, CURLE_OK, what, NULL, 0, err);
	return 0;
}

/* An <Error> inside a 200 (CompleteMultipartUpload, CopyObject). */
int
s3_error_in_200(struct s3_dest *c, struct s3_call *call, const struct buf *b,
    const char *what, struct xerr *err)
{
	const char *in, *in_end, *next, *p = b->data ? b->data : "";

	if (!s3_xml_elem(p, p + b->len, "Error", &in, &in_end, &next))
		return 0;
	return s3_error(c, call, CURLE_OK, what, in, (size_t)(in_end - in),
	    err);
}

char *
s3_key_of(struct s3_dest *c, const char *name)
{
	char *k;

	if (asprintf(&k, "%s%s", c->prefix, name) == -1)
		return NULL;
	return k;
}

/* --- what the prefix holds ------------------------------------------- */

/*
 * A backfill probes hundreds of names that do not exist yet; one listing
 * answers for all of them (a name it holds is looked up with a HEAD as
 * before).  A name
 * wrongly taken for absent (put there by someone else since the listing)
 * is not overwritten: its PUT carries If-None-Match: *, S3 answers 412,
 * and the retried attempt probes it again without the listing.  Multipart
 * files are always looked up (CompleteMultipartUpload's conditional is
 * newer and less widely served).  The rules shared with SFTP and HTTPS
 * are nameset.h's.
 */
/* List the prefix once; on any trouble, simply do without. */
static void
take_listing(struct s3_dest *c)
{
	const char *p, *end, *in, *in_end;
	char key[1100], *token = NULL;
	char trunc[16];
	struct xerr e;
	struct buf b;
	size_t plen = strlen(c->prefix);
	long pages;
	int done = 0;

	buf_init(&b, S3_BODY_MAX);
	for (pages = 0; pages < NAMESET_MAX / 1000; pages++) {
		buf_reset(&b);
		if (s3_list_page(c, c->prefix, token, NULL, &b, &e) == -1)
			goto out;
		free(token);
		token = NULL;
		p = b.data ? b.data : "";
		end = p + b.len;
		while (s3_xml_elem(p, end, "Contents", &in, &in_end, &p)) {
			if (s3_xml_text(in, in_end, "Key", key, sizeof(key)) != 1)
				goto out;
			if (strncmp(key, c->prefix, plen) == 0 &&
			    nameset_add(&c->names, key + plen,
			    strlen(key + plen)) == -1)
				goto out;
		}
		p = b.data ? b.data : "";
		if (s3_xml_text(p, end, "IsTruncated", trunc,
		    sizeof(trunc)) != 1 || strcmp(trunc, "true") != 0) {
			(void)nameset_done(&c->names);
			done = 1;
			goto out;
		}
		if ((token = malloc(2048)) == NULL ||
		    s3_xml_text(p, end, "NextContinuationToken", token, 2048) !=
		    1)
			goto out;
	}
out:
	if (!done)
		nameset_drop(&c->names);
	free(token);
	buf_release(&b);
}

/* 1: the listing says name is absent (its PUT is then conditional). */
static int
listed_absent(struct s3_dest *c, const char *name)
{
	if (nameset_due(&c->names))
		take_listing(c);
	return nameset_absent(&c->names, name);
}

/* --- probe, put, remove ----------------------------------------------- */

static int
s3_probe(void *state, const char *name, const char *local_path,
    const char *sha256, long long size, enum dest_probe *res,
    struct xerr *err)
{
	struct s3_dest *c = state;
	struct s3_call call;
	struct sha256 h;
	char *key, what[600], hex[SHA256_HEXLEN];
	int rc = -1;

	(void)local_path;
	if (size < c->job->upload.part_size && listed_absent(c, name)) {
		*res = DEST_ABSENT;
		return 0;
	}
	if ((key = s3_key_of(c, name)) == NULL)
		return xerr_nomem(err);
	snprintf(what, sizeof(what), "cannot look up '%s%s'", c->base, name);
	s3_call_init(&call, "HEAD", key);
	if (perform(c, &call, what, err) == -1)
		goto out;
	if (call.code == 404) {
		*res = DEST_ABSENT;
		rc = 0;
		goto out;
	}
	if ((call.code == 400 || call.code == 403) && call.errbody.len == 0) {
		/* A HEAD answer has no body to say why: ask for the first
		 * byte, whose refusal carries S3's Code and Message. */
		s3_call_done(&call);
		s3_call_init(&call, "GET", key);
		s3_call_header(&call, "range", "bytes=0-0");
		if (perform(c, &call, what, err) == -1)
			goto out;
		if (call.code >= 200 && call.code <= 299)
			call.code = 403;
	}
	if (call.code < 200 || call.code > 299) {
		s3_error(c, &call, CURLE_OK, what, NULL, 0, err);
		goto out;
	}
	nameset_seen(&c->names, name);
	if (call.length != size) {
		*res = DEST_DIFFERENT;
		rc = 0;
		goto out;
	}
	if (call.meta_sha256[0]) {
		*res = strcasecmp(call.meta_sha256, sha256) == 0 ? DEST_SAME :
		    DEST_DIFFERENT;
		rc = 0;
		goto out;
	}
	/* Put there by something else: only the bytes can tell. */
	if (sha256_init(&h, err) == -1)
		goto out;
	s3_call_done(&call);
	s3_call_init(&call, "GET", key);
	call.out_hash = &h;
	snprintf(what, sizeof(what), "cannot read '%s%s'", c->base, name);
	if (s3_perform_ok(c, &call, what, err) == -1) {
		sha256_release(&h);
		goto out;
	}
	sha256_final(&h, hex);
	*res = strcmp(hex, sha256) == 0 ? DEST_SAME : DEST_DIFFERENT;
	rc = 0;
out:
	s3_call_done(&call);
	free(key);
	return rc;
}

static int
abort_upload(struct s3_dest *c, const char *key, const char *id,
    struct xerr *err)
{
	char what[600];

	snprintf(what, sizeof(what), "cannot abort the multipart upload of "
	    "'s3://%s/%s'", c->bucket, key);
	return s3_delete_key(c, key, id, what, err);
}

/*
 * Abort the multipart uploads of key a killed run left behind (their
 * parts cost money and would never be completed).  Only this exact key:
 * the listing's prefix also matches longer names.
 */
static int
abort_stale(struct s3_dest *c, const char *key, struct xerr *err)
{
	struct s3_call call;
	struct buf b;
	const char *p, *end, *in, *in_end;
	char k[1100], id[1100], what[600];
	int rc = -1, n = 0;

	buf_init(&b, S3_BODY_MAX);
	s3_call_init(&call, "GET", NULL);
	s3_call_param(&call, "uploads", NULL);
	s3_call_param(&call, "prefix", key);
	call.out = &b;
	snprintf(what, sizeof(what), "cannot list the multipart uploads of "
	    "'s3://%s/%s'", c->bucket, key);
	if (s3_perform_ok(c, &call, what, err) == -1)
		goto out;
	p = b.data ? b.data : "";
	end = p + b.len;
	while (s3_xml_elem(p, end, "Upload", &in, &in_end, &p)) {
		if (s3_xml_text(in, in_end, "Key", k, sizeof(k)) != 1 ||
		    s3_xml_text(in, in_end, "UploadId", id, sizeof(id)) != 1 ||
		    strcmp(k, key) != 0)
			continue;
		if (abort_upload(c, key, id, err) == -1)
			goto out;
		n++;
	}
	if (n > 0)
		log_event(c->lg, LOG_WARN, c->job->name, NULL, "s3-abort",
		    NULL, "aborted %d unfinished multipart upload%s of "
		    "'s3://%s/%s' left by an interrupted run", n, n == 1 ?
		    "" : "s", c->bucket, key);
	rc = 0;
out:
	s3_call_done(&call);
	buf_release(&b);
	return rc;
}

/* The SHA-256 of [off, off + len) of fd, in hex. */
static int
hash_range(int fd, long long off, long long len, char hex[SHA256_HEXLEN],
    const char *path, struct xerr *err)
{
	static const size_t chunk = 256 * 1024;
	struct sha256 h;
	char *b;
	ssize_t got;

	if ((b = malloc(chunk)) == NULL)
		return xerr_nomem(err);
	if (sha256_init(&h, err) == -1) {
		free(b);
		return -1;
	}
	while (len > 0) {
		got = pread(fd, b, len < (long long)chunk ? (size_t)len : chunk,
		    off);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			sha256_release(&h);
			free(b);
			return xerr_set(err, XERR_TEMP, got == 0 ? 0 : errno,
			    "cannot read '%s'%s", path, got == 0 ?
			    ": the file shrank" : "");
		}
		sha256_update(&h, b, (size_t)got);
		off += got;
		len -= got;
	}
	sha256_final(&h, hex);
	free(b);
	return 0;
}

struct part_slot {
	struct s3_call call;
	char sha[SHA256_HEXLEN];
	char num[16];
	int busy;
};

/* The parts through the multi interface, up to c->connections at once. */
static int
send_parts(struct s3_dest *c, const char *key, const char *id, int fd,
    const struct put_req *req, long long psize, int nparts,
    char (*etags)[130], struct xerr *err)
{
	struct part_slot *slots;
	CURLM *m;
	CURLMsg *msg;
	char what[700];
	int nslots = c->connections, next = 0, active = 0, failed = 0;
	int i, left, running;

	if (nslots > nparts)
		nslots = nparts;
	if ((m = curl_multi_init()) == NULL)
		return xerr_nomem(err);
	if ((slots = calloc((size_t)nslots, sizeof(*slots))) == NULL) {
		curl_multi_cleanup(m);
		return xerr_nomem(err);
	}
	for (i = 0; i < nslots; i++) {
		s3_call_init(&slots[i].call, "PUT", key);
		if ((slots[i].call.h = curl_easy_init()) == NULL) {
			xerr_nomem(err);
			failed = 1;
		}
	}
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nslots);
	while (!failed ? next < nparts || active > 0 : active > 0) {
		for (i = 0; i < nslots && !failed && next < nparts; i++) {
			struct part_slot *s = &slots[i];
			CURL *h = s->call.h;

			if (s->busy)
				continue;
			s->call.part = next + 1;
			s->call.off = (long long)next * psize;
			s->call.len = req->size - s->call.off < psize ?
			    req->size - s->call.off : psize;
			s->call.in_fd = fd;
			if (hash_range(fd, s->call.off, s->call.len, s->sha,
			    req->local_path, err) == -1) {
				failed = 1;
				break;
			}
			snprintf(s->num, sizeof(s->num), "%d", s->call.part);
			s->call.nq = 0;
			s3_call_param(&s->call, "partNumber", s->num);
			s3_call_param(&s->call, "uploadId", id);
			s->call.payload = s->sha;
			if (prepare(c, h, &s->call, err) == -1 ||
			    curl_multi_add_handle(m, h) != CURLM_OK) {
				failed = 1;
				break;
			}
			s->busy = 1;
			active++;
			next++;
		}
		if (active == 0)
			break;
		if (curl_multi_perform(m, &running) != CURLM_OK ||
		    curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK) {
			if (!failed)
				xerr_set(err, XERR_TEMP, 0, "upload of '%s' "
				    "failed: curl multi error", req->name);
			failed = 1;
			break;
		}
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct s3_call *call = NULL;
			CURLcode rc = msg->data.result;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&call);
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_RESPONSE_CODE, &call->code);
			curl_multi_remove_handle(m, msg->easy_handle);
			active--;
			for (i = 0; i < nslots; i++)
				if (&slots[i].call == call)
					slots[i].busy = 0;
			snprintf(what, sizeof(what), "upload of part %d of "
			    "'%s' to '%s' failed", call->part, req->name,
			    c->base);
			if (failed)
				continue;
			if (rc != CURLE_OK || call->code < 200 ||
			    call->code > 299) {
				s3_error(c, call, rc, what, NULL, 0, err);
				failed = 1;
			} else if (call->etag[0] == '\0') {
				xerr_set(err, XERR_TEMP, 0, "%s: no ETag in "
				    "the answer", what);
				failed = 1;
			} else {
				memcpy(etags[call->part - 1], call->etag,
				    sizeof(call->etag));
				FAULT_POINT("s3_part_done");
			}
		}
	}
	for (i = 0; i < nslots; i++) {
		if (slots[i].busy)
			curl_multi_remove_handle(m, slots[i].call.h);
		if (slots[i].call.h)
			curl_easy_cleanup(slots[i].call.h);
		s3_call_done(&slots[i].call);
	}
	free(slots);
	curl_multi_cleanup(m);
	return failed ? -1 : 0;
}

static int
put_multipart(struct s3_dest *c, const char *key, int fd,
    const struct put_req *req, struct xerr *err)
{
	long long psize = c->job->upload.part_size;
	struct s3_call call;
	struct buf b, done;
	char (*etags)[130] = NULL, id[1100], what[700], hex[SHA256_HEXLEN];
	int nparts, i, rc = -1, created = 0;
	struct sha256 h;
	struct xerr aerr;

	/* S3 allows 10,000 parts: a larger file gets larger parts. */
	if ((req->size + psize - 1) / psize > S3_MAX_PARTS)
		psize = ((req->size + S3_MAX_PARTS - 1) / S3_MAX_PARTS +
		    (1 << 20) - 1) & ~((1LL << 20) - 1);
	nparts = (int)((req->size + psize - 1) / psize);
	buf_init(&b, S3_BODY_MAX);
	buf_init(&done, 0);
	s3_call_init(&call, "POST", key);
	if (abort_stale(c, key, err) == -1)
		goto out;
	FAULT_POINT("s3_multipart_start");
	s3_call_param(&call, "uploads", NULL);
	s3_call_header(&call, "x-amz-meta-sha256", req->sha256);
	call.out = &b;
	snprintf(what, sizeof(what), "cannot start the multipart upload of "
	    "'%s' to '%s'", req->name, c->base);
	if (s3_perform_ok(c, &call, what, err) == -1)
		goto out;
	if (s3_xml_text(b.data ? b.data : "", (b.data ? b.data : "") + b.len,
	    "UploadId", id, sizeof(id)) != 1 || id[0] == '\0') {
		xerr_set(err, XERR_TEMP, 0, "%s: no UploadId in the answer",
		    what);
		goto out;
	}
	created = 1;
	if ((etags = calloc((size_t)nparts, sizeof(*etags))) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (send_parts(c, key, id, fd, req, psize, nparts, etags, err) == -1)
		goto out;
	FAULT_POINT("s3_before_complete");
	if (buf_puts(&done, "<CompleteMultipartUpload>") == -1)
		goto nomem;
	for (i = 0; i < nparts; i++) {
		const char *q;

		if (buf_printf(&done, "<Part><PartNumber>%d</PartNumber><ETag>",
		    i + 1) == -1)
			goto nomem;
		for (q = etags[i]; *q; q++)
			if ((*q == '"' ? buf_puts(&done, "&quot;") :
			    *q == '&' ? buf_puts(&done, "&amp;") :
			    *q == '<' ? buf_puts(&done, "&lt;") :
			    buf_putc(&done, *q)) == -1)
				goto nomem;
		if (buf_puts(&done, "</ETag></Part>") == -1)
			goto nomem;
	}
	if (buf_puts(&done, "</CompleteMultipartUpload>") == -1)
		goto nomem;
	s3_call_done(&call);
	buf_reset(&b);
	s3_call_init(&call, "POST", key);
	s3_call_param(&call, "uploadId", id);
	call.mem = done.data;
	call.len = (long long)done.len;
	if (sha256_init(&h, err) == -1)
		goto out;
	sha256_update(&h, done.data, done.len);
	sha256_final(&h, hex);
	call.payload = hex;
	call.out = &b;
	snprintf(what, sizeof(what), "cannot complete the multipart upload "
	    "of '%s' to '%s'", req->name, c->base);
	if (s3_perform_ok(c, &call, what, err) == -1 ||
	    s3_error_in_200(c, &call, &b, what, err) == -1)
		goto out;
	created = 0;
	rc = 0;
	goto out;
nomem:
	xerr_nomem(err);
out:
	if (created && abort_upload(c, key, id, &aerr) == -1)
		log_event(c->lg, LOG_WARN, c->job->name, req->date, "s3-abort",
		    NULL, "%s (the next attempt aborts it)", aerr.msg);
	s3_call_done(&call);
	buf_release(&b);
	buf_release(&done);
	free(etags);
	return rc;
}

static int
s3_put(void *state, const struct put_req *req, struct xerr *err)
{
	struct s3_dest *c = state;
	struct s3_call call;
	char *key, what[700], hex[SHA256_HEXLEN];
	const char *sha = req->sha256;
	long long size;
	int fd, rc = -1;

	FAULT_POINT("upload_start");
	if ((key = s3_key_of(c, req->name)) == NULL)
		return xerr_nomem(err);
	if ((fd = open(req->local_path, O_RDONLY | O_CLOEXEC)) == -1) {
		free(key);
		return xerr_set(err, XERR_TEMP, errno, "cannot open '%s'",
		    req->local_path);
	}
	if (strlen(sha) != SHA256_HEXLEN - 1) {
		if (sha256_file(req->local_path, hex, &size, err) == -1)
			goto out;
		sha = hex;
	}
	if (req->size >= c->job->upload.part_size) {
		struct put_req r = *req;

		r.sha256 = sha;
		rc = put_multipart(c, key, fd, &r, err);
		goto out;
	}
	s3_call_init(&call, "PUT", key);
	call.in_fd = fd;
	call.len = req->size;
	/* S3 checks the body against the signed hash: what lands is
	 * what was hashed here, or nothing. */
	call.payload = sha;
	s3_call_header(&call, "x-amz-meta-sha256", sha);
	if (nameset_absent(&c->names, req->name))
		s3_call_header(&call, "if-none-match", "*");
	snprintf(what, sizeof(what), "upload of '%s' to '%s' failed",
	    req->name, c->base);
	rc = perform(c, &call, what, err);
	if (rc == 0 && call.code == 412) {
		/* Put there since the listing: probe it again, properly. */
		nameset_drop(&c->names);
		rc = xerr_set(err, XERR_TEMP, 0, "%s: '%s' appeared at the "
		    "destination meanwhile (If-None-Match), will look again",
		    what, req->name);
	} else if (rc == 0 && (call.code < 200 || call.code > 299))
		rc = s3_error(c, &call, CURLE_OK, what, NULL, 0, err);
	s3_call_done(&call);
out:
	if (rc == 0)
		nameset_insert(&c->names, req->name);
	close(fd);
	free(key);
	return rc;
}

int
s3_delete_key(struct s3_dest *c, const char *key, const char *upload_id,
    const char *what, struct xerr *err)
{
	struct s3_call call;
	int rc;

	s3_call_init(&call, "DELETE", key);
	if (upload_id != NULL)
		s3_call_param(&call, "uploadId", upload_id);
	rc = perform(c, &call, what, err);
	if (rc == 0 && call.code != 404 && (call.code < 200 ||
	    call.code > 299))
		rc = s3_error(c, &call, CURLE_OK, what, NULL, 0, err);
	s3_call_done(&call);
	return rc;
}

static int
s3_remove(void *state, const char *name, struct xerr *err)
{
	struct s3_dest *c = state;
	char *key, what[600];
	int rc;

	if ((key = s3_key_of(c, name)) == NULL)
		return xerr_nomem(err);
	snprintf(what, sizeof(what), "cannot remove '%s%s'", c->base, name);
	rc = s3_delete_key(c, key, NULL, what, err);
	free(key);
	return rc;
}

/* --- check --connect -------------------------------------------------- */

static int
s3_check(void *state, void (*fn)(void *ctx, int ok, const char *what),
    void *ctx, struct xerr *err)
{
	struct s3_dest *c = state;
	struct put_req req;
	struct buf b;
	char probe[64], what[800];
	char empty[] = "/dev/null";
	int rc;

	buf_init(&b, S3_BODY_MAX);
	rc = s3_list_page(c, c->prefix, NULL, "1", &b, err);
	buf_release(&b);
	if (rc == -1) {
		fn(ctx, 0, err->msg);
		return -1;
	}
	snprintf(what, sizeof(what), "S3 '%s' at %s: %s, credentials "
	    "accepted, bucket '%s' reachable, can list '%s'", c->base,
	    c->origin, c->plain_http ? "plain http (loopback)" :
	    "certificate verified", c->bucket, c->prefix[0] ? c->prefix :
	    "/");
	fn(ctx, 1, what);
	snprintf(probe, sizeof(probe), ".xfer-check.%ld", (long)getpid());
	memset(&req, 0, sizeof(req));
	req.local_path = empty;
	req.name = probe;
	req.sha256 = S3_EMPTY_SHA256;
	req.size = 0;
	req.job = c->job->name;
	req.date = "check";
	rc = s3_put(c, &req, err);
	fn(ctx, rc == 0, rc == 0 ? "can write objects (a single PUT; "
	    "larger files go multipart)" : err->msg);
	if (rc == 0) {
		rc = s3_remove(c, probe, err);
		fn(ctx, rc == 0, rc == 0 ? "can delete objects" : err->msg);
	}
	return rc;
}

/* --- open/close ------------------------------------------------------- */

static void
free_secret(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static void
s3_close(void *state)
{
	struct s3_dest *c = state;

	if (c == NULL)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	free(c->origin);
	free(c->host);
	free(c->bucket);
	free(c->prefix);
	free(c->base);
	nameset_free(&c->names);
	free_secret(&c->key_id);
	free_secret(&c->secret);
	free_secret(&c->token);
	free(c);
}

/* "  key = value  " of a credentials file line, trimmed, into *out. */
static int
cred_value(const char *line, const char *key, char **out)
{
	size_t kl = strlen(key), n;
	const char *v;

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, key, kl) != 0)
		return 0;
	for (v = line + kl; *v == ' ' || *v == '\t'; v++)
		;
	if (*v != '=')
		return 0;
	for (v++; *v == ' ' || *v == '\t'; v++)
		;
	n = strcspn(v, "\r\n");
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	free_secret(out);
	if ((*out = strndup(v, n)) == NULL)
		return -1;
	return 1;
}

/*
 * The AWS shared-credentials file: [default] or [PROFILE] (also
 * [profile PROFILE], as in ~/.aws/config), with aws_access_key_id,
 * aws_secret_access_key and optionally aws_session_token.
 */
static int
read_credentials(struct s3_dest *c, const char *path, const char *profile,
    struct xerr *err)
{
	char line[4096], want[300], want2[310];
	int in = 0, found = 0, rc = -1;
	FILE *f;

	if (secret_file_check(path, "credentials_file", err) == -1)
		return -1;
	if ((f = fopen(path, "re")) == NULL)
		return xerr_set(err, XERR_PERM, errno, "cannot read "
		    "credentials_file '%s'", path);
	snprintf(want, sizeof(want), "[%s]", profile ? profile : "default");
	snprintf(want2, sizeof(want2), "[profile %s]", profile ? profile :
	    "default");
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line;
		size_t n;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '[') {
			n = strcspn(s, "\r\n");
			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
			in = (n == strlen(want) && strncmp(s, want, n) == 0) ||
			    (n == strlen(want2) && strncmp(s, want2, n) == 0);
			found |= in;
			continue;
		}
		if (!in)
			continue;
		if (cred_value(s, "aws_access_key_id", &c->key_id) == -1 ||
		    cred_value(s, "aws_secret_access_key", &c->secret) == -1 ||
		    cred_value(s, "aws_session_token", &c->token) == -1) {
			xerr_nomem(err);
			goto out;
		}
	}
	if (ferror(f)) {
		xerr_set(err, XERR_PERM, errno, "cannot read credentials_file "
		    "'%s'", path);
		goto out;
	}
	if (!found)
		xerr_set(err, XERR_PERM, 0, "credentials_file '%s' has no "
		    "section %s", path, want);
	else if (c->key_id == NULL || c->secret == NULL || !c->key_id[0] ||
	    !c->secret[0])
		xerr_set(err, XERR_PERM, 0, "credentials_file '%s': section %s "
		    "lacks aws_access_key_id or aws_secret_access_key", path,
		    want);
	else
		rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

static int
env_credentials(struct s3_dest *c, struct xerr *err)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	if (id == NULL || secret == NULL || !id[0] || !secret[0])
		return xerr_set(err, XERR_PERM, 0, "%s: no S3 credentials: set "
		    "credentials_file, or AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY in the environment", c->job->file);
	if ((c->key_id = strdup(id)) == NULL ||
	    (c->secret = strdup(secret)) == NULL ||
	    (token && token[0] && (c->token = strdup(token)) == NULL))
		return xerr_nomem(err);
	return 0;
}

static int
s3_open(void **state, const struct job *job, const struct log *lg,
    struct xerr *err)
{
	const struct job_upload *up = &job->upload;
	const char *rest = up->url + 5, *slash, *ep, *hp;
	struct s3_dest *c;
	size_t plen;
	char *def = NULL;
	int path_style;

	*state = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return xerr_nomem(err);
	c->job = job;
	c->lg = lg;
	c->connections = job->upload.connections > 0 ?
	    job->upload.connections : S3_CONNECTIONS;
	slash = strchr(rest, '/');
	if ((c->bucket = strndup(rest, slash ? (size_t)(slash - rest) :
	    strlen(rest))) == NULL)
		goto nomem;
	rest = slash ? slash + 1 : "";
	plen = strlen(rest);
	while (plen > 0 && rest[plen - 1] == '/')
		plen--;
	if (asprintf(&c->prefix, "%.*s%s", (int)plen, rest, plen ? "/" :
	    "") == -1) {
		c->prefix = NULL;
		goto nomem;
	}
	if (asprintf(&c->base, "s3://%s/%s", c->bucket, c->prefix) == -1) {
		c->base = NULL;
		goto nomem;
	}
	if ((ep = up->endpoint) == NULL) {
		if (asprintf(&def, "https://s3.%s.amazonaws.com", up->region ?
		    up->region : "us-east-1") == -1) {
			def = NULL;
			goto nomem;
		}
		ep = def;
	}
	path_style = up->path_style >= 0 ? up->path_style :
	    up->endpoint != NULL;
	c->path_style = path_style;
	c->plain_http = strncasecmp(ep, "http://", 7) == 0;
	hp = strstr(ep, "://") + 3;
	plen = strcspn(hp, "/");
	/* Virtual-hosted style: the bucket is part of the host name. */
	if (asprintf(&c->host, "%s%s%.*s", path_style ? "" : c->bucket,
	    path_style ? "" : ".", (int)plen, hp) == -1) {
		c->host = NULL;
		goto nomem;
	}
	if (asprintf(&c->origin, "%s://%s", c->plain_http ? "http" : "https",
	    c->host) == -1) {
		c->origin = NULL;
		goto nomem;
	}
	/* A default port is not part of the Host header curl sends. */
	plen = strlen(c->host);
	if ((c->plain_http && plen > 3 && strcmp(c->host + plen - 3, ":80") ==
	    0) || (!c->plain_http && plen > 4 &&
	    strcmp(c->host + plen - 4, ":443") == 0))
		*strrchr(c->host, ':') = '\0';
	if (up->credentials_file) {
		if (read_credentials(c, up->credentials_file, up->profile,
		    err) == -1)
			goto fail;
	} else if (env_credentials(c, err) == -1)
		goto fail;
	if ((c->h = curl_easy_init()) == NULL)
		goto nomem;
	free(def);
	*state = c;
	return 0;
nomem:
	xerr_nomem(err);
fail:
	free(def);
	s3_close(c);
	return -1;
}

const struct dest_ops dest_s3_ops = {
	.name = "s3",
	.open = s3_open,
	.probe = s3_probe,
	.put = s3_put,
	.remove = s3_remove,
	.close = s3_close,
	.check = s3_check,
};
