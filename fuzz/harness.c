/*
 * harness: the fuzz targets' bodies (see harness.h).
 *
 * lib/format/csvin.c is included, as tests/unit/test_csvin_fast.c does, to reach
 * read_fd() and its switch that leaves every byte to libcsv: the fast path
 * must give exactly what libcsv gives.  Linked with libxfer.a, this file's
 * csvin_read_fd() and csvin_read_file() stand in for the archive's.
 *
 * Inputs reach the readers through an fd two ways: a memfd, which one
 * read() returns whole, and a pipe in packet mode (O_DIRECT), where each
 * read() returns one write, so the input arrives in pieces cut where a
 * hash of it says.  Both must give the same records; the pieces reach the
 * code that carries a line, a quoted field or an array element from one
 * read to the next, which a 256 KiB read buffer otherwise hides from
 * small inputs.
 */
#include "format/csvin.c"

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bdate.h"
#include "buf.h"
#include "db/pgtext.h"
#include "db/myconn.h"
#include "db/sqlparam.h"
#include "decimal.h"
#include "dest.h"
#include "fixedin.h"
#include "format/fixedout.h"
#include "layout.h"
#include "fsutil.h"
#include "ini.h"
#include "job.h"
#include "jsonlin.h"
#include "manifest.h"
#include "pattern.h"
#include "record.h"
#include "strlist.h"
#include "writer.h"
#include "xerr.h"
#include "xmlin.h"

/* At most this many writes into the packet pipe, and at most this much
 * data: then no write can block (16 pipe buffers of 4 KiB). */
#define H_PIECES	8
#define H_PIPE_MAX	(8 * 4096)

static char h_dir[64];

/* Say which property broke; returns -1. */
static int __attribute__((format(printf, 2, 3)))
h_fail(const char *target, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_%s: ", target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

void
fuzz_cleanup(void)
{
	struct xerr err;

	if (h_dir[0] == '\0')
		return;
	if (remove_tree(h_dir, &err) == -1)
		fprintf(stderr, "fuzz: %s\n", err.msg);
	h_dir[0] = '\0';
}

/* The temporary directory, made on first use. */
static const char *
h_tmpdir(void)
{
	if (h_dir[0] != '\0')
		return h_dir;
	snprintf(h_dir, sizeof(h_dir), "/tmp/xfer-fuzz-XXXXXX");
	if (mkdtemp(h_dir) == NULL) {
		h_dir[0] = '\0';
		return NULL;
	}
	atexit(fuzz_cleanup);
	return h_dir;
}

/* Write data to name in the temporary directory; its path into path. */
static int
h_put_file(const char *name, const uint8_t *data, size_t size, char *path,
    size_t pathsize)
{
	const char *dir;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((dir = h_tmpdir()) == NULL ||
	    (size_t)snprintf(path, pathsize, "%s/%s", dir, name) >= pathsize)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	while (off < size) {
		if ((n = write(fd, data + off, size - off)) <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

static uint64_t
h_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 14695981039346656037u;
	size_t i;

	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211u;
	return h;
}

static int
h_cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * data as an fd to read: whole, or in pieces (see the top of the file).
 * The first piece is one byte, to split a byte-order mark.  -1 on error.
 */
static int
h_input_fd(const uint8_t *data, size_t size, int pieces)
{
	size_t cut[H_PIECES + 1], ncut = 0, i, off;
	uint64_t h;
	ssize_t n;
	int fd, p[2];

	if (!pieces || size > H_PIPE_MAX) {
		if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
			return -1;
		for (off = 0; off < size; off += (size_t)n)
			if ((n = write(fd, data + off, size - off)) <= 0)
				goto fail_fd;
		if (lseek(fd, 0, SEEK_SET) == -1)
			goto fail_fd;
		return fd;
fail_fd:
		close(fd);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC | O_DIRECT) == -1)
		return -1;
	/* A full pipe must fail the harness, not hang it. */
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) == -1)
		goto fail_pipe;
	h = h_hash(data, size) | 1;
	if (size > 1)
		cut[ncut++] = 1;
	while (ncut < H_PIECES - 1 && size > 2) {
		h ^= h << 13;
		h ^= h >> 7;
		h ^= h << 17;
		cut[ncut++] = 1 + (size_t)(h % (size - 1));
	}
	cut[ncut++] = size;
	qsort(cut, ncut, sizeof(cut[0]), h_cmp_size);
	for (i = 0, off = 0; i < ncut; i++) {
		/* Equal cuts: an empty write would read as the end. */
		if (cut[i] == off)
			continue;
		n = write(p[1], data + off, cut[i] - off);
		if (n != (ssize_t)(cut[i] - off))
			goto fail_pipe;
		off = cut[i];
	}
	close(p[1]);
	return p[0];
fail_pipe:
	close(p[0]);
	close(p[1]);
	return -1;
}

/* Lines in the input: no record may start past the last one. */
static unsigned long
h_lines(const uint8_t *data, size_t size)
{
	unsigned long n = 1;
	size_t i;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

/* --- records ------------------------------------------------------- */

/* What a reader handed out, as text, and the checks on each record. */
struct h_trace {
	const char *target;
	struct buf out;		/* records and the return code */
	struct buf msg;		/* the error message */
	struct strlist names;	/* CSV header, or the first record's names */
	unsigned long lines;	/* in the input */
	unsigned long last;	/* line of the last record */
	unsigned long recs;
	unsigned long stop_at;	/* the callback fails on this record */
	int json;
	const char *const *want;	/* projection asked for */
	size_t nwant;
	int bad;
};

static void
h_bytes(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == '\\')
			buf_printf(b, "\\x%02x", (unsigned char)s[i]);
		else
			buf_putc(b, s[i]);
	}
}

static int
h_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 8259 number, all of s[0..n). */
static int
h_is_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else {
		for (d = i; i < n && h_is_digit(s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && h_is_digit(s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && h_is_digit(s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* A nested value: compact JSON (no blank outside strings) that parses. */
static int
h_is_raw(const char *s, size_t n)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t i;
	int in = 0, esc = 0, ok;

	if (n == 0 || (s[0] != '{' && s[0] != '['))
		return 0;
	for (i = 0; i < n; i++) {
		if (in) {
			if (esc)
				esc = 0;
			else if (s[i] == '\\')
				esc = 1;
			else if (s[i] == '"')
				in = 0;
		} else if (s[i] == '"') {
			in = 1;
		} else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			return 0;
		}
	}
	/* The depth the readers allow (lib/format/jsonlin.c JSONLIN_DEPTH). */
	if ((tok = json_tokener_new_ex(64)) == NULL)
		return 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)n);
	ok = o != NULL && json_tokener_get_parse_end(tok) == n &&
	    (json_object_is_type(o, json_type_object) ||
	    json_object_is_type(o, json_type_array));
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

/* One value's properties; NULL when it has them all. */
static const char *
h_value_bad(const struct h_trace *t, const struct value *v)
{
	if (v->ptr == NULL)
		return "NULL value";
	if (v->ptr[v->len] != '\0')
		return "value not ended by a NUL";
	if (memchr(v->ptr, '\0', v->len) != NULL)
		return "NUL inside a value";
	if (!t->json)
		return v->kind == VAL_TEXT ? NULL : "CSV value not text";
	switch (v->kind) {
	case VAL_NULL:
		return v->len == 0 ? NULL : "null with a length";
	case VAL_TEXT:
		return NULL;
	case VAL_NUMBER:
		return h_is_number(v->ptr, v->len) ? NULL : "bad number";
	case VAL_BOOL:
		return strcmp(v->ptr, "true") == 0 ||
		    strcmp(v->ptr, "false") == 0 ? NULL : "bad boolean";
	case VAL_RAW:
		return h_is_raw(v->ptr, v->len) ? NULL : "bad nested value";
	}
	return "unknown kind";
}

static int
h_record(void *ctx, const struct record *rec, struct xerr *err)
{
	struct h_trace *t = ctx;
	unsigned long line = record_line(rec);
	const char *why = NULL;
	size_t i;

	t->recs++;
	buf_printf(&t->out, "R %lu %lu %lu %zu:", rec->recno, rec->line, line,
	    rec->n);
	if (rec->recno != t->recs)
		why = "record numbers not 1, 2, 3...";
	else if (line < 1 || line < t->last || line > t->lines)
		why = "line number out of order or past the input";
	else if (t->want != NULL && rec->n != t->nwant)
		why = "projection has the wrong width";
	for (i = 0; why == NULL && i < rec->n; i++) {
		if (rec->names[i] == NULL) {
			why = "NULL field name";
			break;
		}
		if (t->want != NULL && strcmp(rec->names[i], t->want[i]) != 0) {
			why = "projection names the wrong field";
			break;
		}
		if ((why = h_value_bad(t, &rec->vals[i])) != NULL)
			break;
		buf_printf(&t->out, " %s=%d/%zu/", rec->names[i],
		    (int)rec->vals[i].kind, rec->vals[i].len);
		h_bytes(&t->out, rec->vals[i].ptr, rec->vals[i].len);
	}
	buf_putc(&t->out, '\n');
	t->last = line;
	if (why != NULL) {
		t->bad = 1;
		h_fail(t->target, "record %lu (line %lu): %s", rec->recno,
		    line, why);
		return xerr_set(err, XERR_TEMP, 0, "harness: %s", why);
	}
	if (t->json && t->recs == 1 && t->names.n == 0)
		for (i = 0; i < rec->n; i++)
			if (strlist_add(&t->names, rec->names[i]) == -1)
				return xerr_nomem(err);
	if (t->stop_at != 0 && t->recs == t->stop_at)
		return xerr_set(err, XERR_TEMP, 0, "stopped at %lu",
		    rec->recno);
	return 0;
}

static int
h_header(void *ctx, const char *file, const char *const *names, size_t n,
    struct xerr *err)
{
	struct h_trace *t = ctx;
	size_t i;

	buf_printf(&t->out, "H %s %zu:", file, n);
	for (i = 0; i < n; i++) {
		buf_putc(&t->out, ' ');
		h_bytes(&t->out, names[i], strlen(names[i]));
	}
	buf_putc(&t->out, '\n');
	if (t->names.n == 0)
		for (i = 0; i < n; i++)
			if (strlist_add(&t->names, names[i]) == -1)
				return xerr_nomem(err);
	return 0;
}

static void
h_trace_init(struct h_trace *t, const char *target, const uint8_t *data,
    size_t size, int json)
{
	memset(t, 0, sizeof(*t));
	t->target = target;
	t->json = json;
	t->lines = h_lines(data, size);
	buf_init(&t->out, 0);
	buf_init(&t->msg, 0);
}

static void
h_trace_reset(struct h_trace *t)
{
	buf_reset(&t->out);
	buf_reset(&t->msg);
	t->last = 0;
	t->recs = 0;
	t->bad = 0;
}

static void
h_trace_release(struct h_trace *t)
{
	buf_release(&t->out);
	buf_release(&t->msg);
	strlist_free(&t->names);
}

static int
h_trace_end(struct h_trace *t, int rc, const struct xerr *err)
{
	buf_printf(&t->out, "= %d\n", rc);
	if (rc == -1) {
		buf_printf(&t->msg, "%d %d %s", (int)err->cls, err->sys_errno,
		    err->msg);
		if (err->msg[0] == '\0')
			return h_fail(t->target, "failed without a message");
	} else if (rc != 0) {
		return h_fail(t->target, "returned %d", rc);
	}
	return t->bad ? -1 : 0;
}

static int
h_same(const char *target, const char *what, const struct h_trace *a,
    const struct h_trace *b, int msg)
{
	if (a->out.len == b->out.len && (a->out.len == 0 ||
	    memcmp(a->out.data, b->out.data, a->out.len) == 0) &&
	    (!msg || (a->msg.len == b->msg.len && (a->msg.len == 0 ||
	    memcmp(a->msg.data, b->msg.data, a->msg.len) == 0))))
		return 0;
	return h_fail(target, "%s differ:\n--- one:\n%s%s\n--- other:\n%s%s",
	    what, a->out.data ? a->out.data : "", a->msg.data ? a->msg.data :
	    "", b->out.data ? b->out.data : "", b->msg.data ? b->msg.data :
	    "");
}

/* --- CSV ----------------------------------------------------------- */

static int
h_csv_run(const uint8_t *data, size_t size, const struct csvin_opts *o,
    int pieces, int fast, struct h_trace *t)
{
	struct xerr err;
	int fd, rc;

	h_trace_reset(t);
	if ((fd = h_input_fd(data, size, pieces)) == -1)
		return h_fail(t->target, "cannot make an fd: %s",
		    strerror(errno));
	xerr_clear(&err);
	t->want = o->want;
	t->nwant = o->nwant;
	rc = read_fd(fd, "t.csv", o, h_record, t, &err, fast);
	close(fd);
	return h_trace_end(t, rc, &err);
}

/*
 * One configuration: fast and libcsv alone must agree exactly; the input
 * in pieces must give the same records (and, with exact_msg, the same
 * message: a small max_field may be hit at a piece's end before another
 * error that one read would have met first).
 */
static int
h_csv_config(const uint8_t *data, size_t size, const struct csvin_opts *o,
    int exact_msg, struct h_trace *first)
{
	struct h_trace slow, split;
	int rc = -1;

	h_trace_init(&slow, "csv", data, size, 0);
	h_trace_init(&split, "csv", data, size, 0);
	if (h_csv_run(data, size, o, 0, 1, first) == -1 ||
	    h_csv_run(data, size, o, 0, 0, &slow) == -1 ||
	    h_same("csv", "fast path and libcsv", first, &slow, 1) == -1 ||
	    h_csv_run(data, size, o, 1, 1, &split) == -1 ||
	    h_same("csv", "one read and pieces", first, &split, exact_msg) ==
	    -1)
		goto out;
	rc = 0;
out:
	h_trace_release(&slow);
	h_trace_release(&split);
	return rc;
}

/* One row of the reference reader below: a header, or a record. */
static int
h_ref_row(struct strlist *hdr, const struct strlist *row,
    unsigned long line, unsigned long *recno, struct buf *out)
{
	size_t i, j;

	if (hdr->n == 0) {
		for (i = 0; i < row->n; i++) {
			if (row->v[i][0] == '\0')
				return -1;
			for (j = 0; j < i; j++)
				if (strcmp(row->v[i], row->v[j]) == 0)
					return -1;
			if (strlist_add(hdr, row->v[i]) == -1)
				return -1;
		}
		buf_printf(out, "H t.csv %zu:", row->n);
		for (i = 0; i < row->n; i++) {
			buf_putc(out, ' ');
			h_bytes(out, row->v[i], strlen(row->v[i]));
		}
		buf_putc(out, '\n');
		return 0;
	}
	if (row->n != hdr->n)
		return -1;
	buf_printf(out, "R %lu %lu %lu %zu:", ++*recno, line, line, row->n);
	for (i = 0; i < row->n; i++) {
		buf_printf(out, " %s=%d/%zu/", hdr->v[i], (int)VAL_TEXT,
		    strlen(row->v[i]));
		h_bytes(out, row->v[i], strlen(row->v[i]));
	}
	buf_putc(out, '\n');
	return 0;
}

/*
 * A plain RFC 4180 reader written from csvin.h alone, one byte at a time:
 * fields kept exactly as written, "" inside quotes, a quote elsewhere
 * or text after a closing quote refused, CR or LF ends a row, empty rows
 * skipped, a record starts on the line of its first byte.  The trace of
 * a valid input into out, as h_record() and h_header() write it; -1 for
 * an input csvin must refuse.  lenient (quotes = lenient): a quote in a
 * field that does not start with one is text.
 */
static int
h_csv_ref(const uint8_t *d, size_t n, char delim, int lenient,
    struct buf *out)
{
	struct strlist hdr, row;
	unsigned long line = 1, row_line, recno = 0;
	struct buf f;
	size_t i = 0;
	int rc = -1;

	memset(&hdr, 0, sizeof(hdr));
	memset(&row, 0, sizeof(row));
	buf_init(&f, 0);
	if (n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	if (memchr(d + i, '\0', n - i) != NULL)
		goto out;
	while (i < n) {
		if (d[i] == '\n' || d[i] == '\r') {
			line += d[i++] == '\n';
			continue;
		}
		row_line = line;
		strlist_free(&row);
		for (;;) {
			buf_reset(&f);
			if (i < n && d[i] == '"') {
				for (i++;; i++) {
					if (i == n)
						goto out;
					if (d[i] == '"' && (i + 1 == n ||
					    d[i + 1] != '"'))
						break;
					if (d[i] == '"')
						i++;
					line += d[i] == '\n';
					buf_putc(&f, d[i]);
				}
				i++;
				if (i < n && d[i] != (uint8_t)delim &&
				    d[i] != '\r' && d[i] != '\n')
					goto out;
			} else {
				for (; i < n && d[i] != (uint8_t)delim &&
				    d[i] != '\r' && d[i] != '\n'; i++) {
					if (d[i] == '"' && !lenient)
						goto out;
					buf_putc(&f, d[i]);
				}
			}
			if (strlist_add(&row, f.data != NULL ? f.data : "") ==
			    -1)
				goto out;
			if (i < n && d[i] == (uint8_t)delim) {
				i++;
				continue;
			}
			break;
		}
		if (h_ref_row(&hdr, &row, row_line, &recno, out) == -1)
			goto out;
	}
	buf_printf(out, "= 0\n");
	rc = 0;
out:
	strlist_free(&hdr);
	strlist_free(&row);
	buf_release(&f);
	return rc;
}

/* What csvin read (with on_header) against the reference reader. */
static int
h_csv_vs_ref(const uint8_t *data, size_t size, char delim, int lenient,
    const struct h_trace *t)
{
	struct buf ref;
	int rc = 0;

	buf_init(&ref, 0);
	if (h_csv_ref(data, size, delim, lenient, &ref) == -1) {
		if (t->msg.len == 0)
			rc = h_fail("csv", "delimiter '%c': csvin took what "
			    "RFC 4180 refuses:\n%s", delim, t->out.data);
	} else if (t->out.len != ref.len || memcmp(t->out.data, ref.data,
	    ref.len) != 0) {
		rc = h_fail("csv", "delimiter '%c': csvin and RFC 4180 "
		    "differ:\n--- csvin:\n%s%s\n--- RFC 4180:\n%s", delim,
		    t->out.data, t->msg.data ? t->msg.data : "", ref.data);
	}
	buf_release(&ref);
	return rc;
}

int
fuzz_csv(const uint8_t *data, size_t size)
{
	static const char delims[] = { ';', '\t', ' ' };
	static const char *const names[] = { "c1", "c2", "c3", "c4", "c5",
	    "c6", "c7" };
	const char *want[8];
	struct csvin_opts o;
	struct h_trace t, other;
	size_t i, n;
	int rc = -1;

	h_trace_init(&t, "csv", data, size, 0);
	h_trace_init(&other, "csv", data, size, 0);
	/* Its header names the fields of the projections below. */
	memset(&o, 0, sizeof(o));
	o.on_header = h_header;
	if (h_csv_config(data, size, &o, 1, &t) == -1 ||
	    h_csv_vs_ref(data, size, ',', 0, &t) == -1)
		goto out;
	for (i = 0; i < sizeof(delims); i++) {
		o.delim = delims[i];
		if (h_csv_config(data, size, &o, 1, &other) == -1 ||
		    h_csv_vs_ref(data, size, delims[i], 0, &other) == -1)
			goto out;
	}
	/* quotes = lenient, with a comma and with a blank as delimiter. */
	o.lenient_quotes = 1;
	o.delim = 0;
	if (h_csv_config(data, size, &o, 1, &other) == -1 ||
	    h_csv_vs_ref(data, size, ',', 1, &other) == -1)
		goto out;
	o.delim = ' ';
	if (h_csv_config(data, size, &o, 1, &other) == -1 ||
	    h_csv_vs_ref(data, size, ' ', 1, &other) == -1)
		goto out;
	o.lenient_quotes = 0;
	o.delim = 0;

	/* A projection: the header backwards, the first field twice. */
	n = t.names.n < 6 ? t.names.n : 6;
	for (i = 0; i < n; i++)
		want[i] = t.names.v[n - 1 - i];
	if (n > 0) {
		want[n] = t.names.v[0];
		o.want = want;
		o.nwant = n + 1;
		if (h_csv_config(data, size, &o, 1, &t) == -1)
			goto out;
	}
	/* A field the header lacks. */
	want[0] = "no such field";
	o.want = want;
	o.nwant = 1;
	if (h_csv_config(data, size, &o, 1, &t) == -1)
		goto out;

	/* No header line: names given, as many as the header had. */
	memset(&o, 0, sizeof(o));
	n = t.names.n > 0 && t.names.n < 8 ? t.names.n : 3;
	o.names = names;
	o.nnames = n;
	if (h_csv_config(data, size, &o, 1, &t) == -1)
		goto out;

	/* Fields longer than max_field. */
	memset(&o, 0, sizeof(o));
	o.max_field = 5;
	if (h_csv_config(data, size, &o, 0, &t) == -1)
		goto out;
	rc = 0;
out:
	h_trace_release(&t);
	h_trace_release(&other);
	return rc;
}

/* --- JSON Lines and JSON arrays ------------------------------------ */

typedef int (*h_json_reader)(int, const char *, const struct jsonlin_opts *,
    record_fn, void *, struct xerr *);

static int
h_json_run(const char *target, h_json_reader rd, const uint8_t *data,
    size_t size, const struct jsonlin_opts *o, int pieces, struct h_trace *t)
{
	struct xerr err;
	int fd, rc;

	h_trace_reset(t);
	if ((fd = h_input_fd(data, size, pieces)) == -1)
		return h_fail(target, "cannot make an fd: %s",
		    strerror(errno));
	xerr_clear(&err);
	t->want = o->want;
	t->nwant = o->nwant;
	rc = rd(fd, "t.json", o, h_record, t, &err);
	close(fd);
	return h_trace_end(t, rc, &err);
}

/* One read and pieces: the same records (and message, with exact_msg). */
static int
h_json_config(const char *target, h_json_reader rd, const uint8_t *data,
    size_t size, const struct jsonlin_opts *o, int exact_msg,
    struct h_trace *first)
{
	struct h_trace split;
	int rc;

	h_trace_init(&split, target, data, size, 1);
	rc = h_json_run(target, rd, data, size, o, 0, first) == -1 ||
	    h_json_run(target, rd, data, size, o, 1, &split) == -1 ||
	    h_same(target, "one read and pieces", first, &split, exact_msg) ==
	    -1 ? -1 : 0;
	h_trace_release(&split);
	return rc;
}

/*
 * JSON Lines that read without error, made into an array with each
 * element on its line ("[" before the first, "," before the others):
 * the array reader must give the same records, line numbers included.
 */
static int
h_lines_as_array(const uint8_t *data, size_t size, const struct h_trace *lt)
{
	struct jsonlin_opts o;
	struct h_trace at;
	struct buf arr;
	size_t i, start, end;
	int rc = -1, first = 1, blank;

	buf_init(&arr, 0);
	h_trace_init(&at, "jsonl", data, size, 1);
	i = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	if (buf_putc(&arr, '[') == -1)
		goto nomem;
	for (start = i; start <= size; start = end + 1) {
		for (end = start; end < size && data[end] != '\n'; end++)
			;
		blank = 1;
		for (i = start; i < end; i++)
			if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
				blank = 0;
		if (!blank && !first && buf_putc(&arr, ',') == -1)
			goto nomem;
		if (!blank)
			first = 0;
		if (buf_append(&arr, data + start, end - start) == -1 ||
		    (end < size && buf_putc(&arr, '\n') == -1))
			goto nomem;
	}
	if (buf_putc(&arr, ']') == -1)
		goto nomem;
	memset(&o, 0, sizeof(o));
	if (h_json_run("jsonl", jsonarr_read_fd, (const uint8_t *)arr.data,
	    arr.len, &o, 0, &at) == 0 && h_same("jsonl", "JSON Lines and "
	    "the same as an array", lt, &at, 1) == 0)
		rc = 0;
	goto out;
nomem:
	h_fail("jsonl", "out of memory");
out:
	h_trace_release(&at);
	buf_release(&arr);
	return rc;
}

static int
h_json(const char *target, h_json_reader rd, const uint8_t *data,
    size_t size)
{
	const char *want[8];
	struct jsonlin_opts o;
	struct h_trace t;
	size_t i, n;
	int rc = -1;

	h_trace_init(&t, target, data, size, 1);
	memset(&o, 0, sizeof(o));
	if (h_json_config(target, rd, data, size, &o, 1, &t) == -1 ||
	    (rd == jsonlin_read_fd && t.msg.len == 0 &&
	    h_lines_as_array(data, size, &t) == -1))
		goto out;
	/* The first object's keys backwards, the first twice, one absent. */
	n = t.names.n < 6 ? t.names.n : 6;
	for (i = 0; i < n; i++)
		want[i] = t.names.v[n - 1 - i];
	if (n > 0)
		want[n++] = t.names.v[0];
	want[n++] = "no such key";
	o.want = want;
	o.nwant = n;
	if (h_json_config(target, rd, data, size, &o, 1, &t) == -1)
		goto out;
	/* Lines and elements longer than max_line. */
	memset(&o, 0, sizeof(o));
	o.max_line = 24;
	if (h_json_config(target, rd, data, size, &o, 0, &t) == -1)
		goto out;
	rc = 0;
out:
	h_trace_release(&t);
	return rc;
}

int
fuzz_jsonl(const uint8_t *data, size_t size)
{
	return h_json("jsonl", jsonlin_read_fd, data, size);
}

int
fuzz_jsonarr(const uint8_t *data, size_t size)
{
	return h_json("jsonarr", jsonarr_read_fd, data, size);
}

/* --- XML ------------------------------------------------------------- */

/* The records of one read, serialized, and the checks on each. */
struct h_xml {
	struct buf out;
	struct strlist names;	/* of the first record */
	unsigned long line;
	int broken;		/* a property failed (said on stderr) */
};

static int
h_xml_record(void *ctx, const struct record *rec, struct xerr *err)
{
	struct h_xml *t = ctx;
	const struct value *v;
	size_t i, j;

	(void)err;
	if (rec->line < t->line)
		t->broken = h_fail("xml", "line %lu after %lu", rec->line,
		    t->line);
	t->line = rec->line;
	for (i = 0; i < rec->n; i++) {
		v = &rec->vals[i];
		if (v->ptr[v->len] != '\0' || (v->kind != VAL_TEXT &&
		    v->kind != VAL_NULL) || memchr(v->ptr, '\0', v->len))
			t->broken = h_fail("xml", "record %lu: bad value",
			    rec->recno);
		for (j = 0; j < i; j++)
			if (strcmp(rec->names[i], rec->names[j]) == 0)
				t->broken = h_fail("xml", "name '%s' twice",
				    rec->names[i]);
		if (rec->recno == 1 && strlist_add(&t->names,
		    rec->names[i]) == -1)
			t->broken = h_fail("xml", "out of memory");
		buf_printf(&t->out, "%s=%s", rec->names[i],
		    v->kind == VAL_NULL ? "\x01" : "");
		buf_append(&t->out, v->ptr, v->len);
		buf_putc(&t->out, '\0');
	}
	buf_putc(&t->out, '\n');
	return 0;
}

static int
h_xml_same(const struct h_xml *a, const struct h_xml *b)
{
	return a->out.len == b->out.len && (a->out.len == 0 ||
	    memcmp(a->out.data, b->out.data, a->out.len) == 0);
}

static int
h_xml_read(const char *data, size_t size, size_t chunk,
    const struct xmlin_opts *o, struct h_xml *t, struct xerr *err)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->out, 0);
	memset(err, 0, sizeof(*err));
	return xmlin_read_mem(data, size, chunk, "fuzz.xml", o, h_xml_record,
	    t, err);
}

static void
h_xml_release(struct h_xml *t)
{
	buf_release(&t->out);
	strlist_free(&t->names);
}

static int
h_xml_buf_write(void *ctx, const void *p, size_t n, struct xerr *err)
{
	(void)err;
	return buf_append(ctx, p, n) == -1 ? xerr_nomem(err) : 0;
}

/* Records that read well, written by xmlout and read again: the same. */
struct h_xml_rt {
	struct writer *w;
	int failed;
};

static int
h_xml_rewrite(void *ctx, const struct record *rec, struct xerr *err)
{
	struct h_xml_rt *rt = ctx;

	if (rt->failed)
		return 0;
	if (rec->recno == 1 && writer_columns(rt->w, rec->names, rec->n,
	    err) == -1) {
		rt->failed = 1;
		return 0;
	}
	if (writer_row(rt->w, rec, err) == -1)
		rt->failed = 1;
	return 0;
}

static int
h_xml_round_trip(const char *data, size_t size, const struct xmlin_opts *o,
    const struct h_xml *first)
{
	struct job_xml jx = { (char *)"records", (char *)"record", 0 };
	struct writer_opts wo;
	struct h_xml_rt rt;
	struct sink sink;
	struct h_xml back;
	struct buf doc;
	struct xerr err;
	int rc = 0;

	jx.attributes = o->attributes;
	buf_init(&doc, 0);
	memset(&wo, 0, sizeof(wo));
	wo.format = FMT_XML;
	wo.xml = &jx;
	sink.write = h_xml_buf_write;
	sink.ctx = &doc;
	memset(&rt, 0, sizeof(rt));
	if ((rt.w = writer_new(&wo, &sink)) == NULL)
		return h_fail("xml", "out of memory");
	memset(&err, 0, sizeof(err));
	if (xmlin_read_mem(data, size, 0, "fuzz.xml", o, h_xml_rewrite, &rt,
	    &err) == -1)
		rc = h_fail("xml", "read again: %s", err.msg);
	else if (!rt.failed && writer_finish(rt.w, &err) == 0) {
		/* Names expat takes that are not ours (a ':') stop here. */
		if (h_xml_read(doc.data, doc.len, 0, o, &back, &err) == -1)
			rc = h_fail("xml", "xfer's own XML does not read: "
			    "%s\n%s", err.msg, doc.data);
		else if (!h_xml_same(&back, first))
			rc = h_fail("xml", "written and read again: other "
			    "records\n%s", doc.data);
		h_xml_release(&back);
	}
	writer_free(rt.w);
	buf_release(&doc);
	return rc;
}

static int
h_xml_mode(const char *data, size_t size, int attributes)
{
	struct xmlin_opts o;
	struct h_xml whole, split;
	struct xerr e1, e2;
	size_t chunk;
	int r1, r2, rc = -1;

	memset(&o, 0, sizeof(o));
	o.attributes = attributes;
	chunk = 1 + (size > 0 ? (unsigned char)data[size - 1] % 13 : 0);
	r1 = h_xml_read(data, size, 0, &o, &whole, &e1);
	r2 = h_xml_read(data, size, chunk, &o, &split, &e2);
	if (whole.broken || split.broken)
		goto out;
	if (r1 != r2) {
		h_fail("xml", "whole %d (%s), in pieces of %zu %d (%s)", r1,
		    e1.msg, chunk, r2, e2.msg);
		goto out;
	}
	if (!h_xml_same(&whole, &split)) {
		h_fail("xml", "whole and in pieces of %zu: other records",
		    chunk);
		goto out;
	}
	if (r1 == -1 && e1.cls != XERR_DATA) {
		h_fail("xml", "error of class %d: %s", e1.cls, e1.msg);
		goto out;
	}
	if (r1 == 0 && h_xml_round_trip(data, size, &o, &whole) == -1)
		goto out;
	/* A small record limit and a want list: no crash, no leak. */
	o.max_record = 16;
	if (whole.names.n > 0) {
		o.want = (const char *const *)whole.names.v;
		o.nwant = whole.names.n;
	}
	h_xml_release(&split);
	(void)h_xml_read(data, size, chunk, &o, &split, &e2);
	rc = split.broken ? -1 : 0;
out:
	h_xml_release(&whole);
	h_xml_release(&split);
	return rc;
}

/* With [header] and [trailer]: whole and in pieces, the same result. */
static int
h_xml_parts(const char *data, size_t size)
{
	static const char *const spec[][3] = {
		{ "h", "rec", "const H" }, { "h", "day", "date %Y%m%d" },
		{ "t", "n", "count" }, { "t", "pad", "filler" },
		{ "t", "total", "sum amount decimals=2" },
	};
	struct job_layouts *ls;
	struct xmlin_opts o;
	struct h_xml whole, split;
	struct xerr e1, e2;
	enum layout_part p;
	char why[256];
	size_t i, chunk;
	int r1, r2, rc = -1;

	if ((ls = layouts_new()) == NULL)
		return h_fail("xml", "out of memory");
	layouts_section(ls, LAYOUT_HEADER, 1);
	layouts_section(ls, LAYOUT_TRAILER, 4);
	for (i = 0; i < sizeof(spec) / sizeof(*spec); i++) {
		p = spec[i][0][0] == 'h' ? LAYOUT_HEADER : LAYOUT_TRAILER;
		if (layouts_add(ls, p, spec[i][1], spec[i][2], 2 + (unsigned)i,
		    why, sizeof(why)) != 0) {
			layouts_free(ls);
			return h_fail("xml", "layout: %s", why);
		}
	}
	memset(&o, 0, sizeof(o));
	o.layouts = ls;
	o.has_date = 1;
	(void)bdate_parse("2026-11-24", &o.date);
	o.attributes = (int)(size & 1);
	chunk = 1 + (size > 0 ? (unsigned char)data[size - 1] % 13 : 0);
	r1 = h_xml_read(data, size, 0, &o, &whole, &e1);
	r2 = h_xml_read(data, size, chunk, &o, &split, &e2);
	if (whole.broken || split.broken)
		goto out;
	if (r1 != r2 || !h_xml_same(&whole, &split)) {
		h_fail("xml", "with layouts: whole %d (%s), in pieces of %zu "
		    "%d (%s)", r1, e1.msg, chunk, r2, e2.msg);
		goto out;
	}
	rc = 0;
out:
	h_xml_release(&whole);
	h_xml_release(&split);
	layouts_free(ls);
	return rc;
}

int
fuzz_xml(const uint8_t *data, size_t size)
{
	return h_xml_mode((const char *)data, size, 0) == -1 ||
	    h_xml_mode((const char *)data, size, 1) == -1 ||
	    h_xml_parts((const char *)data, size) == -1 ? -1 : 0;
}

/* --- job files and INI --------------------------------------------- */

int
fuzz_job(const uint8_t *data, size_t size)
{
	struct strlist errors;
	struct job *job = NULL;
	char path[256];
	size_t i, plen;
	int rc, ret = 0;

	if (h_put_file("fuzz.job", data, size, path, sizeof(path)) == -1)
		return h_fail("job", "cannot write the job file: %s",
		    strerror(errno));
	memset(&errors, 0, sizeof(errors));
	rc = job_load(h_dir, path, &job, &errors);
	plen = strlen(path);
	if (rc == 0 && (job == NULL || errors.n != 0))
		ret = h_fail("job", "success without a job or with errors");
	else if (rc == -1 && (job != NULL || errors.n == 0))
		ret = h_fail("job", "failure with a job or without errors");
	else if (rc != 0 && rc != -1)
		ret = h_fail("job", "returned %d", rc);
	for (i = 0; ret == 0 && i < errors.n; i++)
		/* Every message names the file: "FILE:LINE: ..." or
		 * "FILE: ...". */
		if (strncmp(errors.v[i], path, plen) != 0 ||
		    (errors.v[i][plen] != ':' && errors.v[i][plen] != ' '))
			ret = h_fail("job", "message without the file: %s",
			    errors.v[i]);
	if (ret == 0 && job != NULL && (job->name == NULL ||
	    strcmp(job->name, "fuzz") != 0 || job->file == NULL))
		ret = h_fail("job", "job without its name or file");
	job_free(job);
	strlist_free(&errors);
	return ret;
}

struct h_ini {
	unsigned lines;
	unsigned last;
	unsigned calls;
	unsigned stop_at;
	char section[64];
	const char *why;
};

static int
h_ini_entry(void *ctx, const char *section, const char *key,
    const char *value, unsigned line, struct xerr *err)
{
	struct h_ini *h = ctx;
	size_t n;

	h->calls++;
	if (line < 1 || line < h->last || line > h->lines)
		h->why = "line number out of order or past the input";
	else if (section == NULL || (n = strlen(section)) == 0 || n > 63 ||
	    strspn(section, "abcdefghijklmnopqrstuvwxyz_") != n)
		h->why = "bad section name";
	else if (key == NULL && value != NULL)
		h->why = "section entry with a value";
	else if (key != NULL && strcmp(section, h->section) != 0)
		h->why = "key in a section never announced";
	else if (key != NULL && ((n = strlen(key)) == 0 ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != n))
		h->why = "bad key";
	else if (key != NULL && (value == NULL || strchr(value, '\n') != NULL))
		h->why = "value missing or holding a newline";
	if (h->why != NULL)
		return xerr_set(err, XERR_TEMP, 0, "harness: %s", h->why);
	if (key == NULL)
		snprintf(h->section, sizeof(h->section), "%s", section);
	h->last = line;
	if (h->stop_at != 0 && h->calls == h->stop_at)
		return xerr_set(err, XERR_TEMP, 0, "stopped");
	return 0;
}

int
fuzz_ini(const uint8_t *data, size_t size)
{
	struct h_ini h;
	struct xerr err;
	unsigned calls;
	int rc;

	memset(&h, 0, sizeof(h));
	h.lines = (unsigned)h_lines(data, size);
	xerr_clear(&err);
	rc = ini_parse_buffer("t.ini", (const char *)data, size, h_ini_entry,
	    &h, &err);
	if (h.why != NULL)
		return h_fail("ini", "line %u: %s", h.last, h.why);
	if (rc != 0 && rc != -1)
		return h_fail("ini", "returned %d", rc);
	if (rc == -1 && strncmp(err.msg, "t.ini:", 6) != 0)
		return h_fail("ini", "message without the file: %s", err.msg);
	if (h.calls == 0)
		return 0;
	/* A callback that stops it: -1, with the callback's message. */
	calls = h.calls;
	memset(&h, 0, sizeof(h));
	h.lines = (unsigned)h_lines(data, size);
	h.stop_at = calls;
	xerr_clear(&err);
	rc = ini_parse_buffer("t.ini", (const char *)data, size, h_ini_entry,
	    &h, &err);
	if (rc != -1 || strcmp(err.msg, "stopped") != 0)
		return h_fail("ini", "a stop in call %u gave %d '%s'", calls,
		    rc, err.msg);
	return 0;
}

/* --- manifests ----------------------------------------------------- */

static int
h_manifest_one(const char *file, const uint8_t *data, size_t size)
{
	struct manifest m;
	struct xerr err;
	char path[256];
	size_t i;
	int rc;

	if (h_put_file(file, data, size, path, sizeof(path)) == -1)
		return h_fail("manifest", "cannot write '%s': %s", file,
		    strerror(errno));
	xerr_clear(&err);
	rc = manifest_read(path, "data.csv", &m, &err);
	if (rc == -1)
		return err.cls == XERR_DATA && err.msg[0] != '\0' ? 0 :
		    h_fail("manifest", "%s: not a data error: %s", file,
		    err.msg);
	if (rc != 0)
		return h_fail("manifest", "returned %d", rc);
	for (i = 0; i < 64; i++)
		if (!h_is_digit(m.sha256[i]) &&
		    (m.sha256[i] < 'a' || m.sha256[i] > 'f'))
			return h_fail("manifest", "%s: sha256 not lower-case "
			    "hex", file);
	if (m.sha256[64] != '\0' || m.records < -1)
		return h_fail("manifest", "%s: bad sha256 end or records",
		    file);
	if (strstr(file, ".json") == NULL && m.records != -1)
		return h_fail("manifest", "%s: records from a .sha256", file);
	return 0;
}

int
fuzz_manifest(const uint8_t *data, size_t size)
{
	if (h_manifest_one("data.csv.sha256", data, size) == -1 ||
	    h_manifest_one("data.csv.manifest.json", data, size) == -1)
		return -1;
	return 0;
}

/* --- names and patterns -------------------------------------------- */

/* name_is_plain() as its header says it. */
static int
h_plain(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 255 || s[0] == '-' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
h_names(const char *pat, const char *name, const char *job)
{
	bdate_t date = bdate_from_ymd(2026, 11, 24), got = 0;
	char why[512], ds[BDATE_STRLEN];
	struct xerr err;
	char *out = NULL;
	int chk, rc, has = 0, ret = -1;

	if (name_is_plain(name) != h_plain(name) ||
	    name_is_plain(pat) != h_plain(pat))
		return h_fail("names", "name_is_plain() disagrees with its "
		    "definition");
	why[0] = '\0';
	chk = pattern_check(pat, why, sizeof(why));
	if (chk != 0 && (chk != -1 || why[0] == '\0'))
		return h_fail("names", "pattern_check() gave %d '%s'", chk,
		    why);
	xerr_clear(&err);
	rc = pattern_expand(pat, job, date, &out, &err);
	if (rc == 0 && out == NULL)
		return h_fail("names", "expanded to NULL");
	if (chk == -1 && rc != -1) {
		h_fail("names", "pattern_check() refused, pattern_expand() "
		    "took it");
		goto out;
	}
	/* {date:FMT} may expand too long, and pattern_check() allows it. */
	if (chk == 0 && rc != 0 && strstr(pat, "{date:") == NULL) {
		h_fail("names", "pattern_check() took, pattern_expand() "
		    "refused: %s", err.msg);
		goto out;
	}
	xerr_clear(&err);
	rc = pattern_match(pat, job, name, &has, &got, &err);
	if (rc < -1 || rc > 1 || (rc == -1 && err.msg[0] == '\0') ||
	    (rc != 1 && has)) {
		h_fail("names", "pattern_match() gave %d, has_date %d", rc,
		    has);
		goto out;
	}
	if (has) {
		bdate_format(got, ds);
		if (bdate_parse(ds, &got) == -1) {
			h_fail("names", "matched a date out of range");
			goto out;
		}
	}
	/*
	 * Without glob characters and {date:FMT}, every placeholder is
	 * fixed text or a fixed-width {date}: the expansion must match, and
	 * give back the date.
	 */
	if (out != NULL && strpbrk(pat, "*?[") == NULL &&
	    strstr(pat, "{date:") == NULL) {
		xerr_clear(&err);
		rc = pattern_match(pat, job, out, &has, &got, &err);
		if (rc != 1 || has != pattern_has_date(pat) ||
		    (has && got != date)) {
			h_fail("names", "'%s' expanded to '%s', which it does "
			    "not match (%d, has_date %d, %s)", pat, out, rc,
			    has, err.msg);
			goto out;
		}
	}
	ret = 0;
out:
	free(out);
	return ret;
}

int
fuzz_names(const uint8_t *data, size_t size)
{
	char *s, *pat, *name, *job, *end;
	int rc;

	/* Three C strings, each at most the input. */
	if ((s = malloc(size + 3)) == NULL)
		return h_fail("names", "out of memory");
	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	end = s + size;
	pat = s;
	name = pat + strlen(pat) + 1;
	job = name <= end ? name + strlen(name) + 1 : end + 2;
	if (name > end)
		name = pat;
	if (job > end || *job == '\0')
		job = "sales";
	rc = h_names(pat, name, job);
	free(s);
	return rc;
}

/* --- fixed-width records and layouts ------------------------------ */

/* A small bank-like layout: header, data, trailer with count and sum. */
static const char *const h_bank[] = {
	"H", "t=1 const H", "H", "d=8 date %Y%m%d", "H", "s=3 seq",
	"R", "t=1 const D", "R", "name=6 text", "R", "code=2 text right",
	"R", "amount=7 number decimals=2 sign=trailing", "R", "f=1 filler",
	"T", "t=1 const T", "T", "n=3 count", "T", "total=9 sum amount "
	"sign=leading", "T", "f=4 filler 0", NULL };

static struct job_layouts *
h_layouts(const char *const *spec, int with_header, int with_trailer)
{
	struct job_layouts *ls = layouts_new();
	enum layout_part p;
	char name[64], why[256];
	const char *eq;
	size_t i;

	if (ls == NULL)
		return NULL;
	for (i = 0; spec[i] != NULL; i += 2) {
		p = spec[i][0] == 'H' ? LAYOUT_HEADER : spec[i][0] == 'T' ?
		    LAYOUT_TRAILER : LAYOUT_RECORD;
		if ((p == LAYOUT_HEADER && !with_header) ||
		    (p == LAYOUT_TRAILER && !with_trailer))
			continue;
		eq = strchr(spec[i + 1], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - spec[i + 1]),
		    spec[i + 1]);
		if (layouts_add(ls, p, name, eq + 1, 1, why, sizeof(why)) != 0) {
			layouts_free(ls);
			return NULL;
		}
	}
	return ls;
}

struct h_fixed {
	struct buf out;
	unsigned long recs;
	int bad;
};

static int
h_fixed_record(void *ctx, const struct record *rec, struct xerr *err)
{
	struct h_fixed *t = ctx;
	struct decimal d;
	size_t i;

	t->recs++;
	buf_printf(&t->out, "R %lu %lu:", rec->recno, rec->line);
	if (rec->recno != t->recs) {
		t->bad = 1;
		h_fail("fixed", "record numbers not 1, 2, 3...");
	}
	for (i = 0; i < rec->n; i++) {
		const struct value *v = &rec->vals[i];

		if (v->ptr[v->len] != '\0' || strlen(v->ptr) != v->len) {
			t->bad = 1;
			h_fail("fixed", "value not NUL-terminated");
		}
		if (v->kind == VAL_NUMBER && decimal_parse(v->ptr, v->len,
		    &d) == -1) {
			t->bad = 1;
			h_fail("fixed", "number '%s' does not parse", v->ptr);
		}
		buf_printf(&t->out, " %s=", rec->names[i]);
		h_bytes(&t->out, v->ptr, v->len);
	}
	buf_putc(&t->out, '\n');
	return t->bad ? xerr_set(err, XERR_TEMP, 0, "harness") : 0;
}

/* Read data with o, whole and in pieces: the same records and result. */
static int
h_fixed_one(const uint8_t *data, size_t size, struct fixedin_opts *o,
    int csv)
{
	struct h_fixed a, b;
	struct xerr ea, eb;
	int fd, ra, rb, rc = -1;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	buf_init(&a.out, 0);
	buf_init(&b.out, 0);
	if ((fd = h_input_fd(data, size, 0)) == -1)
		goto out;
	ra = csv ? fixedin_csv_read_fd(fd, "in", o, h_fixed_record, &a, &ea) :
	    fixedin_read_fd(fd, "in", o, h_fixed_record, &a, &ea);
	close(fd);
	if (ra == -1 && ea.msg[0] == '\0') {
		h_fail("fixed", "failed without a message");
		goto out;
	}
	if (csv || a.bad) {
		rc = a.bad ? -1 : 0;
		goto out;
	}
	if ((fd = h_input_fd(data, size, 1)) == -1)
		goto out;
	rb = fixedin_read_fd(fd, "in", o, h_fixed_record, &b, &eb);
	close(fd);
	if (ra != rb || a.out.len != b.out.len || (a.out.len > 0 &&
	    memcmp(a.out.data, b.out.data, a.out.len) != 0) ||
	    (ra == -1 && strcmp(ea.msg, eb.msg) != 0)) {
		h_fail("fixed", "whole and in pieces differ:\n%s%s\n---\n%s%s",
		    a.out.data ? a.out.data : "", ra == -1 ? ea.msg : "",
		    b.out.data ? b.out.data : "", rb == -1 ? eb.msg : "");
		goto out;
	}
	rc = b.bad ? -1 : 0;
out:
	buf_release(&a.out);
	buf_release(&b.out);
	return rc;
}

int
fuzz_fixed(const uint8_t *data, size_t size)
{
	static const enum record_end ends[] = { RECORD_END_CRLF,
		RECORD_END_LF };
	static const char *const csvish[] = { "H", "k=const H", "H",
		"d=date %Y%m%d", "T", "k=const T", "T", "n=count", "T",
		"total=sum amount", NULL };
	struct job_layouts *ls[3];
	struct fixedin_opts o;
	size_t i, j;
	int rc = -1;

	memset(ls, 0, sizeof(ls));
	if ((ls[0] = h_layouts(h_bank, 1, 1)) == NULL ||
	    (ls[1] = h_layouts(h_bank, 0, 0)) == NULL ||
	    (ls[2] = h_layouts(csvish, 1, 1)) == NULL)
		goto out;
	memset(&o, 0, sizeof(o));
	o.date = bdate_from_ymd(2026, 11, 24);
	for (i = 0; i < 2; i++) {
		o.layouts = ls[i];
		for (j = 0; j < sizeof(ends) / sizeof(ends[0]); j++) {
			o.record_end = ends[j];
			o.encoding = j == 0 ? TEXTENC_CP949 : TEXTENC_UTF8;
			o.has_date = (int)j;
			if (h_fixed_one(data, size, &o, 0) == -1)
				goto out;
		}
	}
	/* Without a header and trailer every layout is 16 bytes. */
	o.layouts = ls[1];
	o.record_end = RECORD_END_NONE;
	o.encoding = TEXTENC_EUCKR;
	if (h_fixed_one(data, size, &o, 0) == -1)
		goto out;
	o.layouts = ls[2];
	o.encoding = TEXTENC_UTF8;
	if (h_fixed_one(data, size, &o, 1) == -1)
		goto out;
	rc = 0;
out:
	for (i = 0; i < 3; i++)
		layouts_free(ls[i]);
	return rc;
}

static void
h_no_report(void *ctx, unsigned line, const char *msg)
{
	(void)ctx;
	(void)line;
	(void)msg;
}

/*
 * Lines "H|R|T name = spec"; a layout the checks accept for format =
 * fixed must write a header, one record of "0"s (a value every text and
 * number field can hold) and a trailer that its own reader reads back as
 * one record.
 */
int
fuzz_layout(const uint8_t *data, size_t size)
{
	struct layout_use u = { FMT_FIXED, RECORD_END_LF, TEXTENC_CP949, 1 };
	const struct layout *rl;
	struct job_layouts *ls;
	struct fixedout_opts fo;
	struct fixedin_opts fi;
	struct fixedout *w = NULL;
	struct layout_field f;
	struct value vals[64];
	const char *names[64];
	struct record rec;
	struct h_fixed t;
	struct buf line, out;
	struct xerr err;
	char why[512], *eq, *sp;
	size_t i, n = 0, start = 0;
	enum layout_part p;
	int fd, rc = -1, k;

	buf_init(&line, 0);
	buf_init(&out, 0);
	memset(&t, 0, sizeof(t));
	buf_init(&t.out, 0);
	if ((ls = layouts_new()) == NULL)
		goto out;
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		buf_reset(&line);
		if (buf_append(&line, data + start, i - start) == -1)
			goto out;
		start = i + 1;
		if (line.len < 3 || memchr(line.data, '\0', line.len) != NULL)
			continue;
		p = line.data[0] == 'H' ? LAYOUT_HEADER : line.data[0] == 'T' ?
		    LAYOUT_TRAILER : LAYOUT_RECORD;
		if ((eq = strchr(line.data + 2, '=')) == NULL)
			continue;
		*eq = '\0';
		/* The spec alone, then into the layouts. */
		k = layout_field_parse(line.data + 2, eq + 1, 1, &f, why,
		    sizeof(why));
		if (k == 0 && (f.width > LAYOUT_FIELD_MAX ||
		    (unsigned)f.type > LT_SEQ || (f.type == LT_TEXT &&
		    f.arg == NULL))) {
			h_fail("layout", "accepted a bad field");
			layout_field_release(&f);
			goto out;
		}
		layout_field_release(&f);
		k = layouts_add(ls, p, line.data + 2, eq + 1, 1, why,
		    sizeof(why));
		if (k == -2)
			goto out;
		if (k == -1 && why[0] == '\0') {
			h_fail("layout", "refused without a reason");
			goto out;
		}
	}
	u.format = FMT_CSV;
	(void)layouts_check(ls, &u, h_no_report, NULL);
	u.format = FMT_FIXED;
	if (layouts_check(ls, &u, h_no_report, NULL) != 0) {
		rc = 0;
		goto out;
	}
	/* Write it: a header, one record of "0"s, a trailer. */
	rl = &ls->part[LAYOUT_RECORD];
	memset(&fo, 0, sizeof(fo));
	fo.layouts = ls;
	fo.encoding = TEXTENC_CP949;
	fo.record_end = RECORD_END_LF;
	fo.date = bdate_from_ymd(2026, 11, 24);
	fo.seq = 1;
	for (i = 0; i < rl->n && n < 64; i++) {
		if (rl->f[i].type != LT_TEXT && rl->f[i].type != LT_NUMBER)
			continue;
		for (k = 0; (size_t)k < n; k++)
			if (strcmp(names[k], rl->f[i].arg) == 0)
				break;
		if ((size_t)k < n)
			continue;
		names[n] = rl->f[i].arg;
		vals[n] = (struct value){ "0", 1, VAL_TEXT };
		n++;
	}
	if ((w = fixedout_new(&fo, &err)) == NULL)
		goto out;
	memset(&rec, 0, sizeof(rec));
	rec.n = n;
	rec.vals = vals;
	rec.names = names;
	rec.file = "layout";
	rec.recno = 1;
	if (fixedout_columns(w, names, n, &err) == -1 ||
	    fixedout_header(w, &out, &err) == -1 ||
	    fixedout_row(w, &rec, 1, &out, &err) == -1 ||
	    fixedout_trailer(w, &out, &err) == -1) {
		/* Nothing may fail once the checks passed. */
		h_fail("layout", "a checked layout cannot be written: %s",
		    err.msg);
		goto out;
	}
	if ((sp = memchr(out.data, '\0', out.len)) != NULL) {
		h_fail("layout", "NUL byte written");
		goto out;
	}
	memset(&fi, 0, sizeof(fi));
	fi.layouts = ls;
	fi.encoding = TEXTENC_CP949;
	fi.record_end = RECORD_END_LF;
	fi.date = fo.date;
	fi.has_date = 1;
	if ((fd = h_input_fd((const uint8_t *)out.data, out.len, 0)) == -1)
		goto out;
	/* Duplicate column names make the record's columns ambiguous. */
	k = fixedin_read_fd(fd, "layout", &fi, h_fixed_record, &t, &err);
	close(fd);
	if (k == -1 || t.recs != 1) {
		h_fail("layout", "what it wrote does not read back: %s",
		    k == -1 ? err.msg : "record count");
		goto out;
	}
	rc = t.bad ? -1 : 0;
out:
	fixedout_free(w);
	layouts_free(ls);
	buf_release(&line);
	buf_release(&out);
	buf_release(&t.out);
	return rc;
}

/* --- remote listings ----------------------------------------------- */

struct h_listing {
	int sftp;
	unsigned calls;
	unsigned stop_at;
	const char *why;
};

static int
h_entry(void *ctx, const struct remote_entry *e, struct xerr *err)
{
	struct h_listing *h = ctx;

	h->calls++;
	if (e->name == NULL || e->name[0] == '\0')
		h->why = "entry without a name";
	else if (e->size < -1 || e->mtime < -1)
		h->why = "size or mtime below -1";
	else if (h->sftp && strpbrk(e->name, "\r\n") != NULL)
		h->why = "SFTP name holding a line end";
	else if (h->sftp && e->mtime != -1)
		h->why = "SFTP mtime from the listing";
	if (h->why != NULL)
		return xerr_set(err, XERR_TEMP, 0, "harness: %s", h->why);
	if (h->stop_at != 0 && h->calls == h->stop_at)
		return xerr_set(err, XERR_TEMP, 0, "stopped");
	return 0;
}

static int
h_listing(const char *text, int sftp)
{
	struct h_listing h;
	struct xerr err;
	unsigned calls;
	int rc;

	memset(&h, 0, sizeof(h));
	h.sftp = sftp;
	xerr_clear(&err);
	rc = remote_listing_parse(text, sftp, h_entry, &h, &err);
	if (h.why != NULL)
		return h_fail("listing", "%s: entry %u: %s", sftp ? "sftp" :
		    "https", h.calls, h.why);
	if ((rc != 0 && rc != -1) || (rc == -1 && err.msg[0] == '\0'))
		return h_fail("listing", "returned %d '%s'", rc, err.msg);
	if (h.calls == 0)
		return 0;
	/* The callback stops it at the last entry. */
	calls = h.calls;
	memset(&h, 0, sizeof(h));
	h.sftp = sftp;
	h.stop_at = calls;
	xerr_clear(&err);
	rc = remote_listing_parse(text, sftp, h_entry, &h, &err);
	if (rc != -1 || strcmp(err.msg, "stopped") != 0 || h.calls != calls)
		return h_fail("listing", "a stop at entry %u gave %d '%s'",
		    calls, rc, err.msg);
	return 0;
}

int
fuzz_listing(const uint8_t *data, size_t size)
{
	char *text;
	int rc;

	/* fetch_listing() ends the text with a NUL; a NUL inside ends it
	 * early, as it does there. */
	if ((text = malloc(size + 1)) == NULL)
		return h_fail("listing", "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	rc = h_listing(text, 1) == -1 || h_listing(text, 0) == -1 ? -1 : 0;
	free(text);
	return rc;
}

/* One style: the rewrite fails cleanly or its output, rewritten again,
 * is itself (placeholders are not parameters) and shorter or equal. */
static int
h_sqlparam(const char *sql, enum sqlparam_style style)
{
	struct sqlparam p, q;
	struct xerr err;
	int i, rc = 0;

	if (sqlparam_rewrite(sql, style, &p, &err) == -1)
		return err.cls == XERR_CONFIG || err.cls == XERR_NOMEM ? 0 :
		    h_fail("sqlparam", "unexpected error class: %s", err.msg);
	if (p.n < 0 || p.n > SQLPARAM_MAX || strlen(p.sql) > strlen(sql))
		rc = h_fail("sqlparam", "%d placeholders, %zu bytes from %zu",
		    p.n, strlen(p.sql), strlen(sql));
	for (i = 0; rc == 0 && i < p.n; i++)
		if (p.which[i] < SQLPARAM_DATE || p.which[i] > SQLPARAM_END)
			rc = h_fail("sqlparam", "placeholder %d is %d", i,
			    p.which[i]);
	if (rc == 0 && sqlparam_rewrite(p.sql, style, &q, &err) == 0) {
		if (q.n != 0 || strcmp(q.sql, p.sql) != 0)
			rc = h_fail("sqlparam", "not stable: '%s' -> '%s'",
			    p.sql, q.sql);
		sqlparam_free(&q);
	} else if (rc == 0) {
		rc = h_fail("sqlparam", "its own output refused: %s", err.msg);
	}
	sqlparam_free(&p);
	return rc;
}

int
fuzz_sqlparam(const uint8_t *data, size_t size)
{
	char *sql;
	int rc;

	if ((sql = malloc(size + 1)) == NULL)
		return h_fail("sqlparam", "out of memory");
	memcpy(sql, data, size);
	sql[size] = '\0';
	rc = h_sqlparam(sql, SQLPARAM_DOLLAR) == -1 ||
	    h_sqlparam(sql, SQLPARAM_QMARK) == -1 ? -1 : 0;
	free(sql);
	return rc;
}

/* COPY's escaping undone: what the server reads back. */
static size_t
copy_unescape(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\' || i + 1 == len) {
			s[o++] = s[i];
			continue;
		}
		i++;
		s[o++] = s[i] == 'n' ? '\n' : s[i] == 'r' ? '\r' :
		    s[i] == 't' ? '\t' : s[i];
	}
	return o;
}

int
fuzz_pgtext(const uint8_t *data, size_t size)
{
	char *s = NULL, *esc = NULL, *again = NULL, ts[PGTEXT_TS_MAX];
	size_t n, m, i;
	int rc = -1, in_str = 0;

	if ((s = malloc(size + 1)) == NULL || (esc = malloc(2 * size + 1)) ==
	    NULL || (again = malloc(size + 1)) == NULL) {
		h_fail("pgtext", "out of memory");
		goto out;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	/* Escaped for COPY: at most twice as long, no bare tab or newline,
	 * and unescaping gives the value back. */
	n = pgtext_copy_escape(esc, s, size);
	if (n > 2 * size || memchr(esc, '\n', n) || memchr(esc, '\t', n)) {
		h_fail("pgtext", "copy escape: bad output");
		goto out;
	}
	if (copy_unescape(esc, n) != size || memcmp(esc, s, size) != 0) {
		h_fail("pgtext", "copy escape does not round-trip");
		goto out;
	}
	/* A timestamp converted: 'T' in place, the rest kept, room left. */
	n = pgtext_timestamp(s, size, ts);
	if (n > 0 && (n >= PGTEXT_TS_MAX || ts[10] != 'T' || ts[n] != '\0' ||
	    memcmp(ts, s, 10) != 0 || n < size || n > size + 3)) {
		h_fail("pgtext", "timestamp: bad output '%s'", ts);
		goto out;
	}
	(void)pgtext_copy_line(s);
	/* Compact JSON: never longer, NUL-terminated, and compact again is
	 * the same (no whitespace left outside strings). */
	memcpy(again, s, size + 1);
	n = pgtext_json_compact(again, size);
	if (n > size || again[n] != '\0') {
		h_fail("pgtext", "json compact: bad length");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (in_str) {
			if (again[i] == '\\')
				i++;
			else if (again[i] == '"')
				in_str = 0;
		} else if (again[i] == '"') {
			in_str = 1;
		} else if (again[i] == ' ' || again[i] == '\n' ||
		    again[i] == '\t' || again[i] == '\r') {
			h_fail("pgtext", "json compact: whitespace left");
			goto out;
		}
	}
	m = pgtext_json_compact(again, n);
	if (m != n) {
		h_fail("pgtext", "json compact is not idempotent");
		goto out;
	}
	rc = 0;
out:
	free(s);
	free(esc);
	free(again);
	return rc;
}

/*
 * lib/db/myconn.c myurl_parse(): a failure is XERR_CONFIG (or NOMEM)
 * and leaves nothing allocated; a success has a host, a name that is
 * the start of the URL without its options, no ':' in the user part of
 * that name (no password), a socket that is an absolute path.
 */
int
fuzz_myurl(const uint8_t *data, size_t size)
{
	struct myurl u;
	struct xerr err;
	const char *at, *auth;
	char *url;
	int rc = 0;

	if ((url = malloc(size + 1)) == NULL)
		return h_fail("myurl", "out of memory");
	memcpy(url, data, size);
	url[size] = '\0';
	xerr_clear(&err);
	if (myurl_parse(url, &u, &err) == -1) {
		if (err.cls != XERR_CONFIG && err.cls != XERR_NOMEM)
			rc = h_fail("myurl", "unexpected error class: %s",
			    err.msg);
		else if (u.host != NULL || u.name != NULL || u.user != NULL)
			rc = h_fail("myurl", "a failure left fields set");
		free(url);
		return rc;
	}
	if (u.host == NULL || u.name == NULL)
		rc = h_fail("myurl", "no host or name");
	else if (strncmp(u.name, url, strlen(u.name)) != 0 ||
	    strchr(u.name, '?') != NULL)
		rc = h_fail("myurl", "name '%s' is not the URL's start",
		    u.name);
	else if ((auth = strstr(u.name, "://")) != NULL &&
	    (auth += 3, at = memrchr(auth, '@', strcspn(auth, "/"))) !=
	    NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL)
		rc = h_fail("myurl", "a password in '%s'", u.name);
	else if (u.socket != NULL && u.socket[0] != '/')
		rc = h_fail("myurl", "socket '%s' not absolute", u.socket);
	else if (u.port > 65535)
		rc = h_fail("myurl", "port %u", u.port);
	myurl_free(&u);
	free(url);
	return rc;
}

const struct fuzz_target fuzz_targets[] = {
	{ "job", fuzz_job },
	{ "ini", fuzz_ini },
	{ "csv", fuzz_csv },
	{ "jsonl", fuzz_jsonl },
	{ "jsonarr", fuzz_jsonarr },
	{ "manifest", fuzz_manifest },
	{ "names", fuzz_names },
	{ "listing", fuzz_listing },
	{ "sqlparam", fuzz_sqlparam },
	{ "pgtext", fuzz_pgtext },
	{ "myurl", fuzz_myurl },
	{ "fixed", fuzz_fixed },
	{ "layout", fuzz_layout },
	{ "xml", fuzz_xml },
	{ NULL, NULL },
};
