/*
 * pull_curl: the pulling half of the SFTP and HTTPS transport (receive
 * jobs with an [inbox] url): list a remote directory, download a file,
 * move it into another remote directory.  Listings are parsed as the
 * server sends them (remote_listing_parse(), dest.h).
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "curl_impl.h"
#include "dest.h"
#include "fault.h"
#include "fsutil.h"

static size_t
to_buf(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	if (buf_append(b, p, size * n) == -1)
		return 0;	/* over LISTING_MAX: libcurl aborts */
	return size * n;
}

/*
 * Size and time of one remote file, by a stat/HEAD: 0, or 1 when it is
 * gone (taken since the listing, by another host of a fleet or by the
 * partner), -1.
 */
static int
remote_stat(struct curl_dest *c, const char *name, long long *size,
    long long *mtime, struct xerr *err)
{
	curl_off_t len = -1, t = -1;
	char *url, what[512];
	long code = 200;
	CURLcode rc;

	*size = *mtime = -1;
	if ((url = curl_dest_url(c, name)) == NULL)
		return xerr_nomem(err);
	curl_dest_setup(c, url);
	curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c->h, CURLOPT_FILETIME, 1L);
	rc = curl_easy_perform(c->h);
	snprintf(what, sizeof(what), "cannot look up '%s'", url);
	free(url);
	if (rc == CURLE_REMOTE_FILE_NOT_FOUND && c->sftp)
		return 1;
	if (rc != CURLE_OK)
		return curl_dest_error(c, rc, what, err);
	if (!c->sftp) {
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
		if (code == 404 || code == 410)
			return 1;
		if (code < 200 || code > 299)
			return curl_dest_http_error(c, code, what, err);
	}
	curl_easy_getinfo(c->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	curl_easy_getinfo(c->h, CURLINFO_FILETIME_T, &t);
	*size = len >= 0 ? (long long)len : 0;
	*mtime = t >= 0 ? (long long)t : -1;
	return 0;
}

int
curl_dest_fetch_listing(struct curl_dest *c, int propfind, struct buf *b,
    struct xerr *err)
{
	struct curl_slist *hdr = NULL;
	char what[512];
	long code = 200;
	CURLcode rc;

	buf_init(b, LISTING_MAX);
	curl_dest_setup(c, c->base);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, b);
	if (propfind) {
		if ((hdr = curl_slist_append(NULL, "Depth: 1")) == NULL)
			return xerr_nomem(err);
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, "PROPFIND");
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
	}
	rc = curl_easy_perform(c->h);
	curl_slist_free_all(hdr);
	snprintf(what, sizeof(what), "cannot list '%s'", c->base);
	if (rc == CURLE_WRITE_ERROR)
		return xerr_set(err, XERR_PERM, 0, "%s: the listing is larger "
		    "than %d bytes", what, LISTING_MAX);
	if (rc != CURLE_OK)
		return curl_dest_error(c, rc, what, err);
	if (!c->sftp) {
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code > 299)
			return curl_dest_http_error(c, code, what, err);
	}
	if (buf_putc(b, '\0') == -1)
		return xerr_nomem(err);
	b->len--;
	return 0;
}

/*
 * Listings.  The text is parsed here without any request, so that it can
 * be tested and fuzzed on its own (fuzz/fuzz_listing.c); pull_list()
 * below fills in what a listing does not say with a stat/HEAD per file.
 */

/* The size field of an "ls -l" line; -1 if it is not a plain number. */
static long long
ls_size(const char *s, size_t n)
{
	long long v = 0;
	size_t i;

	/* 18 digits cannot overflow a long long. */
	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * SFTP: libcurl gives the server's "ls -l" lines.  Only regular files
 * ('-' first) are wanted; the size is the fifth field and the name what
 * follows the eighth.  (A name holding a newline cannot be told apart
 * here: such a name is cut, fails the plain-name check and is refused.)
 * Each line is copied so that the name can end in a NUL.
 */
static int
parse_sftp(const char *text, int (*fn)(void *,
    const struct remote_entry *, struct xerr *), void *ctx, struct xerr *err)
{
	struct remote_entry e;
	const char *line, *next;
	struct buf b;
	size_t len, n;
	char *p;
	int field, rc = 0;

	buf_init(&b, 0);
	for (line = text; rc == 0 && *line != '\0'; line = next) {
		len = strcspn(line, "\n");
		next = line[len] == '\n' ? line + len + 1 : line + len;
		/* A CR ends the line too, as in "\r\n". */
		len = strcspn(line, "\r\n");
		if (len == 0 || line[0] != '-')
			continue;
		buf_reset(&b);
		if (buf_append(&b, line, len) == -1) {
			rc = xerr_nomem(err);
			break;
		}
		memset(&e, 0, sizeof(e));
		e.size = -1;
		e.mtime = -1;
		p = b.data;
		for (field = 0; field < 8 && *p; field++) {
			n = strcspn(p, " ");
			if (field == 4)
				e.size = ls_size(p, n);
			p += n;
			p += strspn(p, " ");
		}
		if (*p == '\0')
			continue;
		e.name = p;
		rc = fn(ctx, &e, err);
	}
	buf_release(&b);
	return rc;
}

int
curl_dest_pct_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < n && o + 1 < size; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1])
		    && isxdigit((unsigned char)s[i + 2]) &&
		    sscanf(s + i + 1, "%2x", &v) == 1) {
			if (v == 0)
				return -1;
			out[o++] = (char)v;
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return i == n ? 0 : -1;
}

/* An HTTP date as unix time; -1 if it is none (or before 1970). */
static long long
http_time(const char *s)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL)
		return -1;
	t = timegm(&tm);
	return t < 0 ? -1 : (long long)t;
}

/*
 * The string member key of o, or NULL: absent, not a string (null
 * included), or holding a \u0000 that would cut it short and name
 * another file.
 */
static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/* One entry of a JSON listing; nginx's take about 100 bytes. */
#define LISTING_ENTRY_MAX	(64 * 1024)

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

/* One element of a JSON listing: a file is handed to fn. */
static int
json_entry(struct json_object *o, int (*fn)(void *,
    const struct remote_entry *, struct xerr *), void *ctx, struct xerr *err)
{
	struct json_object *v;
	struct remote_entry e;
	const char *type, *t;

	if ((type = json_str(o, "type")) == NULL || strcmp(type, "file") != 0)
		return 0;
	memset(&e, 0, sizeof(e));
	if ((e.name = json_str(o, "name")) == NULL || e.name[0] == '\0')
		return 0;
	e.size = -1;
	if (json_object_object_get_ex(o, "size", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) >= 0)
		e.size = json_object_get_int64(v);
	e.mtime = (t = json_str(o, "mtime")) != NULL ? http_time(t) : -1;
	return fn(ctx, &e, err);
}

/*
 * nginx's JSON autoindex: [{"name":..., "type":"file", "mtime":...,
 * "size":...}, ...]; what is not a file is passed over.  The array is
 * parsed one element at a time, each at most LISTING_ENTRY_MAX bytes:
 * json-c spends some 250 bytes on each "{}", so a LISTING_MAX listing
 * parsed whole could cost 4 GB.  p is at the '['; what follows the ']'
 * is ignored, as json-c would.
 */
static int
parse_json(const char *text, const char *p, int (*fn)(void *,
    const struct remote_entry *, struct xerr *), void *ctx, struct xerr *err)
{
	const char *end = p + strlen(p);
	enum json_tokener_error e;
	struct json_tokener *tok;
	struct json_object *o;
	size_t room, off;
	int rc = -1;

	if ((tok = json_tokener_new()) == NULL)
		return xerr_nomem(err);
	p = skip_blanks(p + 1);
	if (*p == ']') {
		rc = 0;
		goto out;
	}
	for (;;) {
		room = (size_t)(end - p);
		if (room > LISTING_ENTRY_MAX)
			room = LISTING_ENTRY_MAX;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, p, (int)room);
		/* NULL and success: the element was null. */
		if ((e = json_tokener_get_error(tok)) != json_tokener_success) {
			off = (size_t)(p - text) + 1;
			if (e == json_tokener_continue &&
			    room == LISTING_ENTRY_MAX)
				rc = xerr_set(err, XERR_PERM, 0, "entry at "
				    "byte %zu longer than %d bytes", off,
				    LISTING_ENTRY_MAX);
			else
				rc = xerr_set(err, XERR_PERM, 0, "invalid "
				    "JSON at byte %zu: %s", off +
				    json_tokener_get_parse_end(tok),
				    e == json_tokener_continue ?
				    "unexpected end" :
				    json_tokener_error_desc(e));
			goto out;
		}
		p += json_tokener_get_parse_end(tok);
		rc = json_entry(o, fn, ctx, err);
		json_object_put(o);
		if (rc == -1)
			goto out;
		p = skip_blanks(p);
		if (*p == ']')
			break;
		if (*p != ',') {
			rc = xerr_set(err, XERR_PERM, 0, "invalid JSON at byte "
			    "%zu: ',' or ']' expected", (size_t)(p - text) + 1);
			goto out;
		}
		p = skip_blanks(p + 1);
	}
	rc = 0;
out:
	json_tokener_free(tok);
	return rc;
}

/* HTML: every relative href that is not a directory. */
static int
parse_html(const char *text, int (*fn)(void *,
    const struct remote_entry *, struct xerr *), void *ctx, struct xerr *err)
{
	struct remote_entry e;
	char name[1024];
	const char *p = text, *q;
	size_t n;

	while ((p = strstr(p, "href=\"")) != NULL) {
		p += 6;
		if ((q = strchr(p, '"')) == NULL)
			break;
		n = (size_t)(q - p);
		if (n == 0 || p[n - 1] == '/' || memchr(p, ':', n) ||
		    p[0] == '/' || p[0] == '?' || p[0] == '#' ||
		    curl_dest_pct_decode(p, n, name, sizeof(name)) == -1) {
			p = q;
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.name = name;
		e.size = -1;
		e.mtime = -1;
		if (fn(ctx, &e, err) == -1)
			return -1;
		p = q;
	}
	return 0;
}

int
remote_listing_parse(const char *text, int sftp, int (*fn)(void *ctx,
    const struct remote_entry *e, struct xerr *err), void *ctx,
    struct xerr *err)
{
	const char *p;

	if (sftp)
		return parse_sftp(text, fn, ctx, err);
	p = skip_blanks(text);
	if (*p == '[')
		return parse_json(text, p, fn, ctx, err);
	return parse_html(p, fn, ctx, err);
}

/* pull_list()'s callback around the caller's. */
struct listing {
	struct curl_dest *c;
	int (*fn)(void *, const struct remote_entry *, struct xerr *);
	void *ctx;
	int failed;		/* fn or a stat failed: err is theirs */
};

/*
 * Fill in the size and time the listing did not give, by a stat/HEAD.
 * Only for a plain name: any other is refused by the caller, and a
 * hostile name ("../x") is never sent to the server, even to look.
 */
static int
with_stat(void *ctx, const struct remote_entry *e, struct xerr *err)
{
	struct listing *l = ctx;
	struct remote_entry full = *e;
	long long size, mtime;
	int k;

	if ((e->size < 0 || e->mtime < 0) && name_is_plain(e->name)) {
		if ((k = remote_stat(l->c, e->name, &size, &mtime, err)) ==
		    -1) {
			l->failed = 1;
			return -1;
		}
		/* Not there any more: said so, for a manifest listed
		 * beside a file tells that both were taken. */
		full.gone = k == 1;
		if (full.size < 0)
			full.size = size;
		if (full.mtime < 0)
			full.mtime = mtime;
	}
	if (l->fn(l->ctx, &full, err) == -1) {
		l->failed = 1;
		return -1;
	}
	return 0;
}

static int
pull_list(void *state, int (*fn)(void *ctx, const struct remote_entry *e,
    struct xerr *err), void *ctx, struct xerr *err)
{
	struct curl_dest *c = state;
	struct listing l;
	struct buf b;
	int rc;

	if (curl_dest_fetch_listing(c, 0, &b, err) == -1) {
		buf_release(&b);
		return -1;
	}
	memset(&l, 0, sizeof(l));
	l.c = c;
	l.fn = fn;
	l.ctx = ctx;
	rc = remote_listing_parse(b.data ? b.data : "", c->sftp, with_stat,
	    &l, err);
	if (rc == -1 && !l.failed)
		xerr_prefix(err, "cannot read the listing of '%s'", c->base);
	buf_release(&b);
	return rc;
}

struct sink_fd {
	int fd;
	int failed;
};

static size_t
to_fd(char *p, size_t size, size_t n, void *ctx)
{
	struct sink_fd *s = ctx;
	struct xerr e;

	if (write_full(s->fd, p, size * n, "download", &e) == -1) {
		s->failed = errno ? errno : EIO;
		return 0;
	}
	FAULT_POINT("pull_mid_download");
	return size * n;
}

static int
pull_get(void *state, const char *name, const char *local_path,
    struct xerr *err)
{
	struct curl_dest *c = state;
	struct sink_fd s = { -1, 0 };
	char *url, what[512];
	long code = 200;
	CURLcode rc;

	if ((url = curl_dest_url(c, name)) == NULL)
		return xerr_nomem(err);
	s.fd = open(local_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (s.fd == -1) {
		free(url);
		return xerr_set(err, XERR_TEMP, errno, "cannot create '%s'",
		    local_path);
	}
	curl_dest_setup(c, url);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, to_fd);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(c->h);
	snprintf(what, sizeof(what), "download of '%s' failed", url);
	free(url);
	if (!c->sftp && rc == CURLE_OK)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	if (s.failed)
		xerr_set(err, XERR_TEMP, s.failed, "cannot write '%s'",
		    local_path);
	else if (rc != CURLE_OK)
		curl_dest_error(c, rc, what, err);
	else if (code < 200 || code > 299)
		curl_dest_http_error(c, code, what, err);
	else if (fsync_fd(s.fd, local_path, err) == 0) {
		if (close(s.fd) == 0)
			return 0;
		s.fd = -1;
		xerr_set(err, XERR_TEMP, errno, "cannot close '%s'",
		    local_path);
	}
	if (s.fd != -1)
		close(s.fd);
	unlink(local_path);
	return -1;
}

static int
pull_move(void *state, const char *name, const char *dir, struct xerr *err)
{
	struct curl_dest *c = state;
	struct curl_slist *cmds = NULL;
	char *from = NULL, *to = NULL, *furl = NULL;
	long long size;
	int rc = -1, unsupported;

	if (c->sftp) {
		if (asprintf(&from, "%s%s", c->dir, name) == -1 ||
		    asprintf(&to, "%s%s%s/%s", dir[0] == '/' ? "" : c->dir, dir,
		    "", name) == -1) {
			xerr_nomem(err);
			goto out;
		}
		if (curl_dest_quote_add(&cmds, "rename \"%s\" \"%s\"", from, to) == -1) {
			xerr_nomem(err);
			goto out;
		}
		rc = curl_dest_sftp_quote(c, cmds, name, &size, err);
		goto out;
	}
	if ((furl = curl_dest_url(c, name)) == NULL ||
	    asprintf(&to, "%s%s/%s", c->base, dir[0] == '/' ? dir + 1 : dir,
	    name) == -1) {
		to = NULL;
		xerr_nomem(err);
		goto out;
	}
	if (dir[0] == '/') {
		/* Absolute: on the same server, from its root. */
		CURLU *u = curl_url();
		char *abs = NULL;

		free(to);
		to = NULL;
		if (u && curl_url_set(u, CURLUPART_URL, c->base, 0) ==
		    CURLUE_OK && curl_url_set(u, CURLUPART_PATH, dir, 0) ==
		    CURLUE_OK && curl_url_get(u, CURLUPART_URL, &abs, 0) ==
		    CURLUE_OK && asprintf(&to, "%s/%s", abs, name) == -1)
			to = NULL;
		curl_free(abs);
		curl_url_cleanup(u);
		if (to == NULL) {
			xerr_nomem(err);
			goto out;
		}
	}
	rc = curl_dest_https_move(c, furl, to, 1, &unsupported, err);
	if (rc == 0 && unsupported)
		rc = xerr_set(err, XERR_PERM, 0, "'%s' refuses WebDAV MOVE: "
		    "after_pull = move cannot work there", c->base);
out:
	curl_slist_free_all(cmds);
	free(from);
	free(to);
	free(furl);
	return rc;
}

const struct pull_ops pull_curl_ops = {
	.list = pull_list,
	.get = pull_get,
	.move = pull_move,
};
