#include "produce.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "buf.h"
#include "compress.h"
#include "fault.h"
#include "fsutil.h"
#include "pattern.h"
#include "pgp.h"
#include "source.h"
#include "strlist.h"
#include "tz.h"
#include "writer.h"

/* The output file: bytes go to fd and through SHA-256 as they are written. */
struct outfile {
	int fd;
	const char *path;
	struct sha256 hash;
	long long bytes;
};

static int
outfile_write(void *ctx, const void *p, size_t len, struct xerr *err)
{
	struct outfile *o = ctx;

	if (write_full(o->fd, p, len, o->path, err) == -1)
		return -1;
	sha256_update(&o->hash, p, len);
	o->bytes += (long long)len;
	return 0;
}

struct pipeline {
	const struct job *job;
	char date[BDATE_STRLEN];
	long seq;		/* the version's {seq} (a layout's seq field) */
	struct agg *agg;
	size_t nagg_in;		/* values agg_add() reads */
	struct writer *w;
	int columns_set;
	struct strlist columns;	/* input columns of pass-through (no fields) */
	const char *columns_from;	/* the file that set them */
	char first_file[512];
	size_t date_idx;	/* index of date_field in projected records */
	int date_by_name;	/* pass-through of all fields: look it up */
	const char *const *cached_names;
	size_t cached_idx;
	struct value *scratch;	/* date column + values */
	size_t scratch_n;
};

static int
set_columns(struct pipeline *p, const char *const *names, size_t n,
    struct xerr *err)
{
	struct strlist cols = { 0 };
	size_t i;
	int rc;

	if (p->job->output.date_column &&
	    strlist_add(&cols, p->job->output.date_column) == -1)
		return xerr_nomem(err);
	for (i = 0; i < n; i++)
		if (strlist_add(&cols, names[i]) == -1) {
			strlist_free(&cols);
			return xerr_nomem(err);
		}
	rc = writer_columns(p->w, (const char *const *)cols.v, cols.n, err);
	strlist_free(&cols);
	if (rc == 0)
		p->columns_set = 1;
	return rc;
}

/* Pass-through of every field: all inputs must agree on the columns. */
static int
check_columns(struct pipeline *p, const char *file, const char *const *names,
    size_t n, struct xerr *err)
{
	size_t i;

	if (p->columns.n == 0 && !p->columns_set) {
		for (i = 0; i < n; i++)
			if (strlist_add(&p->columns, names[i]) == -1)
				return xerr_nomem(err);
		snprintf(p->first_file, sizeof(p->first_file), "%s", file);
		return set_columns(p, names, n, err);
	}
	if (n == p->columns.n) {
		for (i = 0; i < n; i++)
			if (strcmp(names[i], p->columns.v[i]) != 0)
				break;
		if (i == n)
			return 0;
	}
	return xerr_set(err, XERR_DATA, 0, "'%s' has other columns than "
	    "'%s'; list the wanted ones with 'fields =' in [aggregate] of %s",
	    file, p->first_file, p->job->file);
}

static int
on_header(void *ctx, const char *file, const char *const *names, size_t n,
    struct xerr *err)
{
	struct pipeline *p = ctx;

	if (p->agg != NULL || p->job->aggregate.fields.n > 0)
		return 0;
	return check_columns(p, file, names, n, err);
}

static int
date_matches(struct pipeline *p, const struct record *rec, struct xerr *err)
{
	const struct value *v;
	char where[600], shown[80];
	bdate_t d, want;
	size_t i;

	if (p->date_by_name) {
		if (rec->names != p->cached_names) {
			for (i = 0; i < rec->n; i++)
				if (strcmp(rec->names[i],
				    p->job->source.date_field) == 0)
					break;
			if (i == rec->n) {
				record_where(rec, where, sizeof(where));
				return xerr_set(err, XERR_DATA, 0, "%s: no "
				    "field '%s' (date_field)", where,
				    p->job->source.date_field);
			}
			p->cached_names = rec->names;
			p->cached_idx = i;
		}
		v = &rec->vals[p->cached_idx];
	} else {
		v = &rec->vals[p->date_idx];
	}
	/* The common case, a plain date equal to the batch's, costs a
	 * compare; anything else is parsed (and so validated). */
	if (v->len == 10 && memcmp(v->ptr, p->date, 10) == 0)
		return 1;
	if (v->len > 0 && tz_value_date(v->ptr, v->len, &d) == 0) {
		bdate_parse(p->date, &want);
		return d == want;
	}
	record_where(rec, where, sizeof(where));
	snprintf(shown, sizeof(shown), "%.*s%s", v->len > 64 ? 64 : (int)v->len,
	    v->ptr, v->len > 64 ? "..." : "");
	for (i = 0; shown[i]; i++)
		if ((unsigned char)shown[i] < 0x20)
			shown[i] = '?';
	if (v->len == 0)
		return xerr_set(err, XERR_DATA, 0, "%s: no date in '%s' "
		    "(date_field)", where, p->job->source.date_field);
	return xerr_set(err, XERR_DATA, 0, "%s: value '%s' in '%s' is not a "
	    "date or timestamp", where, shown, p->job->source.date_field);
}

static int
scratch_fit(struct pipeline *p, size_t n, struct xerr *err)
{
	struct value *s;

	if (n <= p->scratch_n)
		return 0;
	if ((s = realloc(p->scratch, n * sizeof(*s))) == NULL)
		return xerr_nomem(err);
	p->scratch = s;
	p->scratch_n = n;
	return 0;
}

/* Write one output row, with the batch date in front when asked. */
static int
emit_row(void *ctx, const struct record *rec, struct xerr *err)
{
	struct pipeline *p = ctx;
	struct record r;

	if (p->job->output.date_column == NULL)
		return writer_row(p->w, rec, err);
	if (scratch_fit(p, rec->n + 1, err) == -1)
		return -1;
	p->scratch[0].ptr = p->date;
	p->scratch[0].len = 10;
	p->scratch[0].kind = VAL_TEXT;
	memcpy(p->scratch + 1, rec->vals, rec->n * sizeof(*rec->vals));
	r = *rec;
	r.n = rec->n + 1;
	r.vals = p->scratch;
	r.names = NULL;
	return writer_row(p->w, &r, err);
}

static int
on_record(void *ctx, const struct record *rec, struct xerr *err)
{
	struct pipeline *p = ctx;
	const struct job *job = p->job;
	struct record r;
	int m;

	if (job->source.date_field != NULL) {
		if ((m = date_matches(p, rec, err)) == -1)
			return -1;
		if (m == 0)
			return 0;
	}
	/* A copy only when the date field was read for the filter alone. */
	if (p->agg != NULL) {
		if (rec->n == p->nagg_in)
			return agg_add(p->agg, rec, err);
		r = *rec;
		r.n = p->nagg_in;
		return agg_add(p->agg, &r, err);
	}
	if (job->aggregate.fields.n > 0) {
		if (rec->n == job->aggregate.fields.n)
			return emit_row(p, rec, err);
		r = *rec;
		r.n = job->aggregate.fields.n;
		return emit_row(p, &r, err);
	}
	/* Every field: a JSONL source names its fields with its first
	 * record, not with a header. */
	if (rec->names != p->cached_names || !p->columns_set) {
		if (check_columns(p, rec->file, rec->names, rec->n, err) == -1)
			return -1;
		if (!p->date_by_name)
			p->cached_names = rec->names;
	}
	return emit_row(p, rec, err);
}

/* Is the batch an OpenPGP message (encrypted, signed or both)? */
static int
is_pgp(const struct job *job)
{
	return job->output.encrypt_to.n > 0 || job->output.sign_with != NULL;
}

int
batch_same_content(const struct batch_meta *a, const struct batch_meta *b)
{
	if (a->plain_sha256[0] != '\0' && b->plain_sha256[0] != '\0')
		return strcmp(a->plain_sha256, b->plain_sha256) == 0;
	return strcmp(a->sha256, b->sha256) == 0;
}

int
batch_file_name(const struct job *job, bdate_t date, char *out, size_t size,
    struct xerr *err)
{
	return batch_file_name_seq(job, date, 1, out, size, err);
}

long
batch_name_seq(const struct job *job, const char *file)
{
	const char *suffix = compress_suffix(job->output.compress);
	size_t ln = strlen(file), ls = strlen(suffix);
	char name[300];
	struct xerr err;
	bdate_t d;
	long seq;
	int has, k;

	if (!pattern_has_seq(job->output.name) || ln >= sizeof(name))
		return -1;
	memcpy(name, file, ln + 1);
	k = pattern_match_seq(job->output.name, job->name, name, &has, &d,
	    &seq, &err);
	if (k != 1 && is_pgp(job)) {
		/* The OpenPGP suffix batch_file_name() added. */
		name[pgp_strip_suffix(name)] = '\0';
		ln = strlen(name);
		k = pattern_match_seq(job->output.name, job->name, name, &has,
		    &d, &seq, &err);
	}
	if (k != 1 && ls > 0 && ln > ls && strcmp(name + ln - ls, suffix) ==
	    0) {
		/* The compression suffix batch_file_name() added. */
		name[ln - ls] = '\0';
		k = pattern_match_seq(job->output.name, job->name, name, &has,
		    &d, &seq, &err);
	}
	return k == 1 ? seq : -1;
}

int
batch_file_name_seq(const struct job *job, bdate_t date, long seq, char *out,
    size_t size, struct xerr *err)
{
	const char *suffix = compress_suffix(job->output.compress);
	const char *psuffix = "";
	size_t ln, ls = strlen(suffix);
	char *name;

	if (pattern_expand_seq(job->output.name, job->name, date, seq, &name,
	    err) == -1)
		return -1;
	ln = strlen(name);
	/* The OpenPGP suffix goes last: x.csv.gz.pgp. */
	if (is_pgp(job)) {
		size_t base = pgp_strip_suffix(name);

		psuffix = base < ln ? name + base : job->output.armor ?
		    ".asc" : ".pgp";
		ln = base;
	}
	if (ln >= ls && strncmp(name + ln - ls, suffix, ls) == 0)
		ls = 0;
	/* 240: room for ".manifest.json" within NAME_MAX. */
	if ((size_t)snprintf(out, size, "%.*s%s%s", (int)ln, name,
	    ls ? suffix : "", psuffix) >= size || strlen(out) > 240 ||
	    !name_is_plain(out)) {
		xerr_set(err, XERR_CONFIG, 0, "%s: key 'name': '%s' is not a "
		    "plain file name", job->file, name);
		free(name);
		return -1;
	}
	free(name);
	return 0;
}

/*
 * dir/name written whole: durably (write_file_durable), or for a
 * deferred sync plainly, in a directory nobody else sees until the
 * caller's sync and rename.
 */
static int
write_small(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, unsigned flags, struct xerr *err)
{
	char *path;
	int fd, rc = -1;

	if (!(flags & BATCH_DEFER_SYNC))
		return write_file_durable(dir, name, data, len, mode, err);
	if ((path = path_join(dir, name)) == NULL)
		return xerr_nomem(err);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot create '%s'", path);
	} else if (write_full(fd, data, len, path, err) == 0) {
		if (close(fd) == 0)
			rc = 0;
		else
			xerr_set(err, XERR_TEMP, errno, "cannot close '%s'",
			    path);
		fd = -1;
	}
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

static int
write_manifest(const struct job *job, const char *dir, const char *ds,
    struct batch_meta *m, unsigned flags, struct xerr *err)
{
	char created[64];
	struct buf b;
	int rc;

	if (job->output.manifest == MANIFEST_NONE) {
		m->manifest[0] = '\0';
		return 0;
	}
	buf_init(&b, 0);
	if (job->output.manifest == MANIFEST_SHA256) {
		snprintf(m->manifest, sizeof(m->manifest), "%.256s.sha256",
		    m->file);
		/* sha256sum -c format: hash, two spaces, name. */
		rc = buf_printf(&b, "%s  %s\n", m->sha256, m->file);
	} else {
		snprintf(m->manifest, sizeof(m->manifest),
		    "%.256s.manifest.json", m->file);
		tz_format_iso(time(NULL), created, sizeof(created));
		/* Names are plain (checked) but may hold quotes: escape. */
		rc = buf_puts(&b, "{\"file\":\"");
		for (const char *s = m->file; rc == 0 && *s; s++)
			rc = (*s == '"' || *s == '\\') ?
			    buf_printf(&b, "\\%c", *s) : buf_putc(&b, *s);
		if (rc == 0)
			rc = buf_printf(&b, "\",\"bytes\":%lld,\"records\":%lld,"
			    "\"sha256\":\"%s\",\"job\":\"%s\",\"date\":\"%s\","
			    "\"created\":\"%s\"}\n", m->bytes, m->records,
			    m->sha256, job->name, ds, created);
	}
	if (rc == -1) {
		buf_release(&b);
		return xerr_nomem(err);
	}
	rc = write_small(dir, m->manifest, b.data, b.len, 0644, flags, err);
	buf_release(&b);
	return rc;
}

static int
write_meta(const char *dir, const struct batch_meta *m, unsigned flags,
    struct xerr *err)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	if (buf_printf(&b, "file=%s\nmanifest=%s\nbytes=%lld\nrecords=%lld\n"
	    "sha256=%s\n", m->file, m->manifest, m->bytes, m->records,
	    m->sha256) == -1 || (m->plain_sha256[0] != '\0' &&
	    buf_printf(&b, "plain_sha256=%s\npgp_keys=%s\n", m->plain_sha256,
	    m->pgp_keys) == -1)) {
		buf_release(&b);
		return xerr_nomem(err);
	}
	rc = write_small(dir, BATCH_META, b.data, b.len, 0600, flags, err);
	buf_release(&b);
	return rc;
}

int
batch_meta_read(const char *dir, struct batch_meta *m, struct xerr *err)
{
	char *path, line[1024];
	int have = 0;
	FILE *fp;

	memset(m, 0, sizeof(*m));
	if ((path = path_join(dir, BATCH_META)) == NULL)
		return xerr_nomem(err);
	if ((fp = fopen(path, "re")) == NULL) {
		xerr_set(err, XERR_TEMP, errno, "cannot read '%s'", path);
		free(path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "file=", 5) == 0)
			have |= snprintf(m->file, sizeof(m->file), "%.255s",
			    line + 5) > 0 ? 1 : 0;
		else if (strncmp(line, "manifest=", 9) == 0)
			snprintf(m->manifest, sizeof(m->manifest), "%.299s",
			    line + 9);
		else if (strncmp(line, "bytes=", 6) == 0)
			have |= sscanf(line + 6, "%lld", &m->bytes) == 1 ? 2 : 0;
		else if (strncmp(line, "records=", 8) == 0)
			have |= sscanf(line + 8, "%lld", &m->records) == 1 ?
			    4 : 0;
		else if (strncmp(line, "sha256=", 7) == 0 &&
		    strlen(line + 7) == 64)
			have |= snprintf(m->sha256, sizeof(m->sha256), "%s",
			    line + 7) > 0 ? 8 : 0;
		/* Optional: only an encrypted batch has it. */
		else if (strncmp(line, "plain_sha256=", 13) == 0 &&
		    strlen(line + 13) == 64)
			memcpy(m->plain_sha256, line + 13, SHA256_HEXLEN);
		else if (strncmp(line, "pgp_keys=", 9) == 0 &&
		    strlen(line + 9) == 64)
			memcpy(m->pgp_keys, line + 9, SHA256_HEXLEN);
	}
	fclose(fp);
	if (have != 15 || !name_is_plain(m->file) ||
	    (m->manifest[0] && !name_is_plain(m->manifest))) {
		xerr_set(err, XERR_TEMP, 0, "'%s' is damaged", path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/* Run the source through the pipeline into the writer. */
static int
fill(const struct job *job, bdate_t date, const char *dir,
    struct dbsession *db, struct pipeline *p, const struct log *lg,
    struct xerr *err)
{
	struct strlist want = { 0 };
	const char *const *in;
	struct source_req req;
	struct agg_spec spec;
	size_t nin = 0, i;
	int rc = -1;

	memset(&req, 0, sizeof(req));
	req.on_header = on_header;
	req.db = db;
	if (job->aggregate.enabled) {
		memset(&spec, 0, sizeof(spec));
		spec.group_by = (const char *const *)job->aggregate.group_by.v;
		spec.ngroup_by = job->aggregate.group_by.n;
		spec.count = job->aggregate.count;
		spec.sum = (const char *const *)job->aggregate.sum.v;
		spec.nsum = job->aggregate.sum.n;
		spec.min = (const char *const *)job->aggregate.min.v;
		spec.nmin = job->aggregate.min.n;
		spec.max = (const char *const *)job->aggregate.max.v;
		spec.nmax = job->aggregate.max.n;
		spec.scale_set = job->aggregate.scale >= 0;
		spec.scale = spec.scale_set ? job->aggregate.scale : 0;
		spec.rounding = job->aggregate.rounding;
		if ((p->agg = agg_new(&spec)) == NULL)
			return xerr_nomem(err);
		in = agg_input_fields(p->agg, &nin);
		p->nagg_in = nin;
		for (i = 0; i < nin; i++)
			if (strlist_add(&want, in[i]) == -1)
				goto nomem;
		in = agg_output_names(p->agg, &nin);
		if (set_columns(p, in, nin, err) == -1)
			goto out;
	} else if (job->aggregate.fields.n > 0) {
		for (i = 0; i < job->aggregate.fields.n; i++)
			if (strlist_add(&want, job->aggregate.fields.v[i]) ==
			    -1)
				goto nomem;
		if (set_columns(p, (const char *const *)want.v, want.n,
		    err) == -1)
			goto out;
	}
	if (job->source.date_field != NULL) {
		if (want.n == 0) {
			p->date_by_name = 1;
		} else {
			for (i = 0; i < want.n; i++)
				if (strcmp(want.v[i], job->source.date_field)
				    == 0)
					break;
			if (i == want.n && strlist_add(&want,
			    job->source.date_field) == -1)
				goto nomem;
			p->date_idx = i;
		}
	}
	if (want.n > 0) {
		req.want = (const char *const *)want.v;
		req.nwant = want.n;
	}
	if (source_run(job, date, dir, &req, on_record, p, lg, err) == -1)
		goto out;
	if (p->agg != NULL && agg_emit(p->agg, emit_row, p, err) == -1)
		goto out;
	rc = 0;
	goto out;
nomem:
	xerr_nomem(err);
out:
	strlist_free(&want);
	return rc;
}

/* The name inside a zip: the file's name without ".zip". */
static const char *
entry_name(const char *file, enum compress_kind kind, char *out, size_t size)
{
	const char *suffix = compress_suffix(kind);
	size_t lf = strlen(file), ls = strlen(suffix);

	if (lf > ls && strcmp(file + lf - ls, suffix) == 0)
		lf -= ls;
	snprintf(out, size, "%.*s", (int)lf, file);
	return out;
}

/* The SHA-256 of the job's OpenPGP settings into hex. */
static int
pgp_settings_hash(const struct job *job, char hex[SHA256_HEXLEN],
    struct xerr *err)
{
	const struct job_output *o = &job->output;
	struct sha256 h;
	size_t i;

	if (sha256_init(&h, err) == -1)
		return -1;
	for (i = 0; i < o->encrypt_to.n; i++) {
		sha256_update(&h, "to=", 3);
		sha256_update(&h, o->encrypt_to.v[i],
		    strlen(o->encrypt_to.v[i]));
		sha256_update(&h, ";", 1);
	}
	if (o->sign_with != NULL) {
		sha256_update(&h, "sign=", 5);
		sha256_update(&h, o->sign_with, strlen(o->sign_with));
		sha256_update(&h, ";", 1);
	}
	sha256_update(&h, o->armor ? "armor" : "binary", o->armor ? 5 : 6);
	sha256_final(&h, hex);
	return 0;
}

int
batch_reuse_sent(const struct job *job, bdate_t date, const char *dir,
    struct batch_meta *m, const char *sent_dir, unsigned flags,
    struct xerr *err)
{
	char hex[SHA256_HEXLEN], ds[BDATE_STRLEN], *src = NULL, *p;
	struct batch_meta old;
	struct xerr e2;
	long long size;
	int rc = -1;

	if (m->plain_sha256[0] == '\0' || batch_meta_read(sent_dir, &old,
	    &e2) == -1)
		return 0;
	if (strcmp(old.file, m->file) != 0 || strcmp(old.plain_sha256,
	    m->plain_sha256) != 0 || strcmp(old.pgp_keys, m->pgp_keys) != 0 ||
	    strcmp(old.sha256, m->sha256) == 0)
		return 0;
	if ((src = path_join(sent_dir, old.file)) == NULL)
		return xerr_nomem(err);
	/* Only bytes that are still what was sent. */
	if (sha256_file(src, hex, &size, &e2) == -1 ||
	    strcmp(hex, old.sha256) != 0) {
		free(src);
		return 0;
	}
	/* dir is not visible to anyone yet: its files are replaced in
	 * place (the manifest and batch.meta are written anew). */
	if (copy_file_durable(src, dir, m->file, ".reuse", err) == -1)
		goto out;
	memcpy(m->sha256, old.sha256, sizeof(m->sha256));
	m->bytes = old.bytes;
	if (m->manifest[0] != '\0') {
		if ((p = path_join(dir, m->manifest)) == NULL) {
			xerr_nomem(err);
			goto out;
		}
		unlink(p);
		free(p);
	}
	if ((p = path_join(dir, BATCH_META)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	unlink(p);
	free(p);
	bdate_format(date, ds);
	if (write_manifest(job, dir, ds, m, flags, err) == -1 ||
	    write_meta(dir, m, flags, err) == -1)
		goto out;
	rc = 1;
out:
	free(src);
	return rc;
}

/*
 * Encrypt (and/or sign) clear into final for the job's keys; final is
 * created here, fsync'd unless the sync is deferred.
 */
static int
encrypt_into(const struct job *job, const char *clear, const char *final,
    const char *label, int sync, struct xerr *err)
{
	struct pgp_encrypt_opts po;
	int fd, rc;

	memset(&po, 0, sizeof(po));
	po.home = job->output.keyring;
	po.recipients = (const char *const *)job->output.encrypt_to.v;
	po.nrecipients = job->output.encrypt_to.n;
	po.signer = job->output.sign_with;
	po.armor = job->output.armor;
	fd = open(final, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1)
		return xerr_set(err, XERR_TEMP, errno, "cannot create '%s'",
		    final);
	rc = pgp_encrypt_file(&po, clear, fd, label, err);
	if (rc == 0 && sync)
		rc = fsync_fd(fd, final, err);
	if (close(fd) == -1 && rc == 0)
		rc = xerr_set(err, XERR_TEMP, errno, "cannot close '%s'", final);
	return rc;
}

int
batch_produce(const struct job *job, bdate_t date, const char *dir,
    struct dbsession *db, struct batch_meta *meta, const struct log *lg,
    unsigned flags, struct xerr *err)
{
	return batch_produce_seq(job, date, 1, dir, db, meta, lg, flags, err);
}

int
batch_produce_seq(const struct job *job, bdate_t date, long seq,
    const char *dir, struct dbsession *db, struct batch_meta *meta,
    const struct log *lg, unsigned flags, struct xerr *err)
{
	int sync = !(flags & BATCH_DEFER_SYNC), pgp = is_pgp(job);
	struct outfile of = { -1, NULL, { NULL }, 0 };
	char *plain = NULL, *final = NULL, *clear = NULL, ds[BDATE_STRLEN];
	char plain_name[300], clear_name[256];
	struct writer_opts wo;
	struct pipeline p;
	struct sink sink;
	int rc = -1, fd = -1;
	long long clear_bytes;
	time_t t0, t1;

	memset(meta, 0, sizeof(*meta));
	memset(&p, 0, sizeof(p));
	bdate_format(date, ds);
	memcpy(p.date, ds, sizeof(p.date));
	p.seq = seq;
	p.job = job;
	if (batch_file_name_seq(job, date, seq, meta->file, sizeof(meta->file),
	    err) == -1)
		return -1;
	/* The file before encryption: the name without .pgp (zip names its
	 * entry from it), written under a hidden name. */
	snprintf(clear_name, sizeof(clear_name), "%.*s", pgp ?
	    (int)pgp_strip_suffix(meta->file) : (int)strlen(meta->file),
	    meta->file);
	if (job->output.compress != COMPRESS_NONE)
		snprintf(plain_name, sizeof(plain_name), ".plain.%s",
		    clear_name);
	else if (pgp)
		snprintf(plain_name, sizeof(plain_name), ".clear.%s",
		    clear_name);
	else
		snprintf(plain_name, sizeof(plain_name), "%s", meta->file);
	if ((plain = path_join(dir, plain_name)) == NULL ||
	    (final = path_join(dir, meta->file)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	/* What compression writes: the final file, or the clear one that
	 * is encrypted into it. */
	if (pgp && job->output.compress != COMPRESS_NONE) {
		if (asprintf(&clear, "%s/.clear.%s", dir, clear_name) == -1) {
			clear = NULL;
			xerr_nomem(err);
			goto out;
		}
	} else if ((clear = strdup(pgp ? plain : final)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	of.path = plain;
	of.fd = open(plain, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (of.fd == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot create '%s'", plain);
		goto out;
	}
	if (sha256_init(&of.hash, err) == -1)
		goto out;
	sink.write = outfile_write;
	sink.ctx = &of;
	memset(&wo, 0, sizeof(wo));
	wo.format = job->output.format;
	wo.header = job->output.header;
	wo.delim = job->output.delimiter;
	wo.crlf = job->output.crlf;
	wo.formula_guard = job->output.formula_guard;
	wo.empty = job->output.empty;
	wo.encoding = job->output.encoding;
	wo.replace = job->output.unmappable_replace;
	wo.layouts = job->layouts;
	wo.date = date;
	wo.seq = seq < 1 ? 1 : (unsigned long)seq;
	wo.record_end = job->output.record_end;
	wo.xml = &job->output.xml;
	if ((p.w = writer_new(&wo, &sink)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (fill(job, date, dir, db, &p, lg, err) == -1)
		goto out;
	if (!p.columns_set && job->output.format == FMT_CSV &&
	    job->output.header && job->output.empty == EMPTY_HEADER)
		log_event(lg, LOG_WARN, job->name, ds, "no-header", NULL,
		    "no input named the columns, so the empty CSV has no "
		    "header; list them with 'fields =' in [aggregate]");
	if (writer_finish(p.w, err) == -1)
		goto out;
	meta->records = (long long)writer_rows(p.w);
	if (writer_replaced(p.w) > 0)
		log_event(lg, LOG_WARN, job->name, ds, "unmappable", NULL,
		    "%lu character%s that %s cannot hold written as '?' "
		    "(unmappable = replace)", writer_replaced(p.w),
		    writer_replaced(p.w) == 1 ? "" : "s",
		    textenc_name(job->output.encoding));
	FAULT_POINT("send_after_write");
	/* A file that is encrypted next and then removed needs no fsync. */
	if (sync && !pgp && fsync_fd(of.fd, plain, err) == -1)
		goto out;
	if (close(of.fd) == -1) {
		of.fd = -1;
		xerr_set(err, XERR_TEMP, errno, "cannot close '%s'", plain);
		goto out;
	}
	of.fd = -1;
	if (job->output.compress == COMPRESS_NONE) {
		sha256_final(&of.hash, pgp ? meta->plain_sha256 :
		    meta->sha256);
		meta->bytes = of.bytes;
	} else {
		sha256_release(&of.hash);
		fd = open(clear, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (fd == -1) {
			xerr_set(err, XERR_TEMP, errno, "cannot create '%s'",
			    clear);
			goto out;
		}
		/* Entry time from the batch date: same records, same bytes. */
		tz_day_bounds(date, &t0, &t1);
		if (compress_file(job->output.compress, plain, fd,
		    entry_name(clear_name, job->output.compress, plain_name,
		    sizeof(plain_name)), t0, err) == -1
		    || (sync && !pgp && fsync_fd(fd, clear, err) == -1))
			goto out;
		if (close(fd) == -1) {
			fd = -1;
			xerr_set(err, XERR_TEMP, errno, "cannot close '%s'",
			    clear);
			goto out;
		}
		fd = -1;
		unlink(plain);
		if (sha256_file(clear, pgp ? meta->plain_sha256 : meta->sha256,
		    pgp ? &clear_bytes : &meta->bytes, err) == -1)
			goto out;
	}
	/* After compression, before hashing: the manifest covers the bytes
	 * as transferred, the ciphertext. */
	if (pgp) {
		if (pgp_settings_hash(job, meta->pgp_keys, err) == -1 ||
		    encrypt_into(job, clear, final, meta->file, sync, err) ==
		    -1)
			goto out;
		unlink(clear);
		if (sha256_file(final, meta->sha256, &meta->bytes, err) == -1)
			goto out;
	}
	FAULT_POINT("send_after_fsync");
	if (write_manifest(job, dir, ds, meta, flags, err) == -1 ||
	    write_meta(dir, meta, flags, err) == -1)
		goto out;
	rc = 0;
out:
	if (of.hash.ctx != NULL)
		sha256_release(&of.hash);
	if (of.fd != -1)
		close(of.fd);
	if (fd != -1)
		close(fd);
	writer_free(p.w);
	agg_free(p.agg);
	strlist_free(&p.columns);
	free(p.scratch);
	free(plain);
	free(final);
	free(clear);
	return rc;
}
