/*
 * job_send: the sections of a send job, [source], [aggregate], [output]
 * and [upload], checked into struct job, and the keys a send job must
 * have.  The connection keys of a receive job, in [inbox], are read by the
 * [upload] code here too (jf_check_url(), jf_check_conn()), into
 * job->upload, so that the transports serve both directions.
 * Internal to the job file modules; job_internal.h is its interface.
 */
#include "job_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/sqlparam.h"
#include "parse.h"
#include "pattern.h"

static const char *const src_types[] = { "csv", "jsonl", "sqlite",
	"command", "postgresql", "mysql", NULL };

#define SRC_DB	(1u << SRC_POSTGRESQL | 1u << SRC_MYSQL)

static const char *const cmd_formats[] = { "csv", "jsonl", NULL };

/* In enum decimal_rounding order. */
static const char *const roundings[] = { "half-even", "half-up", "error",
	NULL };

/* Keys of [source] that only some types use (bit per enum src_type). */
static const struct only src_only[] = {
	{ K_SRC_PATH, 1u << SRC_CSV | 1u << SRC_JSONL, "csv or jsonl" },
	/* A command says its input is missing by failing: not for it. */
	{ K_SRC_REQUIRED, 1u << SRC_CSV | 1u << SRC_JSONL | 1u << SRC_SQLITE,
	    "csv, jsonl or sqlite" },
	{ K_SRC_DATABASE, 1u << SRC_SQLITE, "sqlite" },
	{ K_SRC_QUERY, 1u << SRC_SQLITE | SRC_DB, "sqlite, postgresql or "
	    "mysql" },
	{ K_SRC_URL, SRC_DB, "postgresql or mysql" },
	{ K_SRC_SERVICE, SRC_DB, "postgresql or mysql" },
	{ K_SRC_PASSWORD_FILE, SRC_DB, "postgresql or mysql" },
	{ K_SRC_CA_FILE, SRC_DB, "postgresql or mysql" },
	{ K_SRC_CLIENT_CERT, SRC_DB, "postgresql or mysql" },
	{ K_SRC_CLIENT_KEY, SRC_DB, "postgresql or mysql" },
	{ K_SRC_CONNECT_TIMEOUT, SRC_DB, "postgresql or mysql" },
	{ K_SRC_STATEMENT_TIMEOUT, SRC_DB, "postgresql or mysql" },
	{ K_SRC_LOCK_TIMEOUT, SRC_DB, "postgresql or mysql" },
	{ K_SRC_COMMAND, 1u << SRC_COMMAND, "command" },
	{ K_SRC_FORMAT, 1u << SRC_COMMAND, "command" },
	{ K_SRC_TIMEOUT, 1u << SRC_COMMAND, "command" },
};

/*
 * A query's named parameters, checked now: SQLite binds a misspelt
 * :dat as NULL (no rows, an empty batch, exit 0), the servers fail only
 * when the batch runs.  Only :date, :start and :end are filled.
 */
static void
check_query(struct loader *ld, int type)
{
	const char *v = jf_val(ld, K_SRC_QUERY);
	struct sqlparam sp;
	struct xerr err;

	if (v == NULL || (type != SRC_SQLITE && type != SRC_POSTGRESQL &&
	    type != SRC_MYSQL))
		return;
	if (sqlparam_rewrite(v, type == SRC_MYSQL ? SQLPARAM_QMARK :
	    SQLPARAM_DOLLAR, &sp, &err) == -1) {
		if (err.cls == XERR_NOMEM)
			ld->nomem = 1;
		else
			jf_bad(ld, K_SRC_QUERY, "%s", err.msg);
		return;
	}
	sqlparam_free(&sp);
}

void
jf_check_source(struct loader *ld, int *typep)
{
	struct job_source *src = &ld->job->source;
	int type = -1, fmt;

	if (jf_choose(ld, K_SRC_TYPE, src_types, &type) == 0)
		src->type = (enum src_type)type;
	*typep = type;
	if (type >= 0)
		jf_only_for(ld, src_only, sizeof(src_only) / sizeof(*src_only),
		    type, src_types);
	jf_path(ld, K_SRC_PATH, 1, &src->path);
	jf_string(ld, K_SRC_DATE_FIELD, &src->date_field);
	jf_boolean(ld, K_SRC_REQUIRED, &src->required);
	jf_path(ld, K_SRC_READY_FILE, 1, &src->ready_file);
	jf_path(ld, K_SRC_DATABASE, 1, &src->database);
	check_query(ld, type);
	jf_string(ld, K_SRC_QUERY, &src->query);
	jf_check_command(ld, K_SRC_COMMAND, &src->command, 0);
	if (jf_choose(ld, K_SRC_FORMAT, cmd_formats, &fmt) == 0)
		src->format = fmt == 0 ? FMT_CSV : FMT_JSONL;
	jf_duration_s(ld, K_SRC_TIMEOUT, 0, &src->timeout_s);
	if (type == SRC_POSTGRESQL || type == SRC_MYSQL)
		jf_check_db(ld, jf_src_db, type == SRC_POSTGRESQL, &src->db);
	jf_check_source_enc(ld, type, src_types);
}

/* Add an output column; a name already there is reported against k. */
static void
column(struct loader *ld, struct strlist *cols, enum key k, const char *fmt,
    const char *name)
{
	char col[1024];

	if (ld->ent[k].done)
		return;
	snprintf(col, sizeof(col), fmt, name);
	if (strlist_contains(cols, col)) {
		jf_bad(ld, k, "column '%s' would appear twice in the output",
		    col);
		return;
	}
	if (strlist_add(cols, col) == -1)
		ld->nomem = 1;
}

/*
 * scale and rounding.  Both only shape sum/min/max columns: records that
 * pass through keep their text, so scale without such a column would
 * silently do nothing, and rounding without scale too (without scale
 * nothing is rounded); both are errors rather than surprises.
 */
static void
check_scale(struct loader *ld, struct job_aggregate *agg)
{
	int scale = -1, mode;

	jf_integer(ld, K_AGG_SCALE, 0, 18, &scale);
	if (jf_choose(ld, K_AGG_ROUNDING, roundings, &mode) == 0)
		agg->rounding = (enum decimal_rounding)mode;
	if (jf_is_set(ld, K_AGG_SCALE) && !ld->ent[K_AGG_SCALE].done &&
	    !jf_is_set(ld, K_AGG_SUM) && !jf_is_set(ld, K_AGG_MIN) &&
	    !jf_is_set(ld, K_AGG_MAX)) {
		jf_bad(ld, K_AGG_SCALE, "applies to sum, min and max columns, "
		    "and this job has none (records that pass through keep "
		    "their text)");
		scale = -1;
	}
	if (jf_is_set(ld, K_AGG_ROUNDING) && !jf_is_set(ld, K_AGG_SCALE) &&
	    !ld->ent[K_AGG_ROUNDING].done)
		jf_bad(ld, K_AGG_ROUNDING, "needs scale (without scale nothing "
		    "is rounded: each column gets the most decimals seen in "
		    "it)");
	agg->scale = scale;
}

void
jf_check_aggregate(struct loader *ld)
{
	struct job_aggregate *agg = &ld->job->aggregate;
	struct strlist cols = { 0, NULL, 0 };
	static const enum key aggkeys[] = { K_AGG_GROUP_BY, K_AGG_COUNT,
		K_AGG_SUM, K_AGG_MIN, K_AGG_MAX };
	size_t i;

	jf_list(ld, K_AGG_GROUP_BY, &agg->group_by);
	jf_string(ld, K_AGG_COUNT, &agg->count);
	jf_list(ld, K_AGG_SUM, &agg->sum);
	jf_list(ld, K_AGG_MIN, &agg->min);
	jf_list(ld, K_AGG_MAX, &agg->max);
	jf_list(ld, K_AGG_FIELDS, &agg->fields);
	for (i = 0; i < sizeof(aggkeys) / sizeof(*aggkeys); i++)
		if (jf_is_set(ld, aggkeys[i]))
			agg->enabled = 1;
	check_scale(ld, agg);
	if (agg->enabled && jf_val(ld, K_AGG_FIELDS) != NULL) {
		jf_bad(ld, K_AGG_FIELDS, "cannot be combined with group_by, "
		    "count, sum, min or max (fields is for records that pass "
		    "through)");
		return;
	}
	/* Output columns in the order SPEC.md gives, each name once. */
	if (ld->job->output.date_column != NULL)
		column(ld, &cols, K_OUT_DATE_COLUMN, "%s",
		    ld->job->output.date_column);
	for (i = 0; i < agg->group_by.n; i++)
		column(ld, &cols, K_AGG_GROUP_BY, "%s", agg->group_by.v[i]);
	if (agg->count != NULL)
		column(ld, &cols, K_AGG_COUNT, "%s", agg->count);
	for (i = 0; i < agg->sum.n; i++)
		column(ld, &cols, K_AGG_SUM, "%s", agg->sum.v[i]);
	for (i = 0; i < agg->min.n; i++)
		column(ld, &cols, K_AGG_MIN, "min_%s", agg->min.v[i]);
	for (i = 0; i < agg->max.n; i++)
		column(ld, &cols, K_AGG_MAX, "max_%s", agg->max.v[i]);
	for (i = 0; i < agg->fields.n; i++)
		column(ld, &cols, K_AGG_FIELDS, "%s", agg->fields.v[i]);
	strlist_free(&cols);
}

/* The format of an output file named name: csv unless it says otherwise. */
static enum out_format
format_from_name(const char *name)
{
	int f = jf_format_of_ext(name);

	return f < 0 ? FMT_CSV : (enum out_format)f;
}

void
jf_check_output(struct loader *ld)
{
	struct job_output *out = &ld->job->output;
	static const char *const line_endings[] = { "lf", "crlf", NULL };
	static const char *const empties[] = { "header", "zero-bytes", NULL };
	static const char *const compresses[] = { "none", "gzip", "zip",
		NULL };
	static const char *const manifests[] = { "none", "sha256", "json",
		NULL };
	static const enum key csv_only[] = { K_OUT_HEADER, K_OUT_DELIMITER,
		K_OUT_FORMULA_GUARD };
	char why[WHY_MAX];
	const char *v;
	size_t i;
	long len;
	int n;

	if ((v = jf_val(ld, K_OUT_NAME)) != NULL) {
		if (pattern_check(v, why, sizeof(why)) == -1)
			jf_bad(ld, K_OUT_NAME, "%s", why);
		else if (strchr(v, '/') != NULL)
			jf_bad(ld, K_OUT_NAME, "must be a file name, without "
			    "'/'");
		else if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
			jf_bad(ld, K_OUT_NAME, "'%s' is not a file name", v);
		else if ((len = jf_shortest_name(ld, v, 0)) > 240)
			jf_bad(ld, K_OUT_NAME, "gives names of %ld bytes; at "
			    "most 240 are possible (a name has at most %d, and "
			    "'.manifest.json' must fit after it)", len,
			    NAME_MAX);
		else {
			out->name = jf_dup(ld, v);
			out->format = format_from_name(v);
		}
	}
	if (jf_choose(ld, K_OUT_FORMAT, jf_out_formats, &n) == 0)
		out->format = (enum out_format)n;
	if (out->format != FMT_CSV) {
		for (i = 0; i < sizeof(csv_only) / sizeof(*csv_only); i++)
			if (jf_val(ld, csv_only[i]) != NULL)
				jf_bad(ld, csv_only[i], "only used with "
				    "format = csv, not %s",
				    jf_out_formats[out->format]);
	}
	jf_string(ld, K_OUT_DATE_COLUMN, &out->date_column);
	jf_boolean(ld, K_OUT_HEADER, &out->header);
	jf_delimiter(ld, K_OUT_DELIMITER, &out->delimiter);
	if (jf_choose(ld, K_OUT_LINE_ENDING, line_endings, &n) == 0)
		out->crlf = n == 1;
	if (jf_choose(ld, K_OUT_EMPTY, empties, &n) == 0)
		out->empty = n == 0 ? EMPTY_HEADER : EMPTY_ZERO;
	if (jf_choose(ld, K_OUT_COMPRESS, compresses, &n) == 0)
		out->compress = n == 0 ? COMPRESS_NONE : n == 1 ?
		    COMPRESS_GZIP : COMPRESS_ZIP;
	if (jf_choose(ld, K_OUT_MANIFEST, manifests, &n) == 0)
		out->manifest = n == 0 ? MANIFEST_NONE : n == 1 ?
		    MANIFEST_SHA256 : MANIFEST_JSON;
	jf_boolean(ld, K_OUT_FORMULA_GUARD, &out->formula_guard);
	jf_check_output_pgp(ld);
	jf_check_output_enc(ld);
	jf_check_xml(ld, 1, out->format, &out->xml);
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* What ssh-keygen -lf prints after "SHA256:": unpadded base64 of the 32
 * bytes, so 43 characters whose last one carries 2 unused zero bits. */
static void
check_host_key(struct loader *ld, enum key k)
{
	const char *v = jf_val(ld, k);
	size_t len, i;

	if (v == NULL)
		return;
	if (strncasecmp(v, "SHA256:", 7) == 0)
		v += 7;
	len = strlen(v);
	if (len == 44 && v[43] == '=')
		len = 43;
	for (i = 0; i < len; i++)
		if (b64val(v[i]) < 0)
			break;
	if (len != 43 || i != len || (b64val(v[42]) & 3) != 0) {
		jf_bad(ld, k, "expected the base64 SHA-256 "
		    "fingerprint of the host key (43 characters, as "
		    "'ssh-keygen -lf' prints after 'SHA256:')");
		return;
	}
	ld->job->upload.host_key_sha256 = strndup(v, 43);
	if (ld->job->upload.host_key_sha256 == NULL)
		ld->nomem = 1;
}

/*
 * s3://BUCKET/PREFIX/: a bucket name as S3 allows it (3 to 63 of a-z 0-9
 * . -), then an optional prefix of plain path segments.
 */
static int
check_s3_url(struct loader *ld, enum key k, const char *rest)
{
	const char *slash = strchr(rest, '/'), *seg;
	size_t blen = slash ? (size_t)(slash - rest) : strlen(rest), i;

	for (i = 0; i < blen; i++)
		if (!((rest[i] >= 'a' && rest[i] <= 'z') ||
		    (rest[i] >= '0' && rest[i] <= '9') || rest[i] == '.' ||
		    rest[i] == '-'))
			break;
	if (blen < 3 || blen > 63 || i != blen || rest[0] == '.' ||
	    rest[0] == '-') {
		jf_bad(ld, k, "'s3://%.*s' does not start with a bucket name "
		    "(3 to 63 characters of a-z, 0-9, '.' and '-')",
		    (int)(blen < 80 ? blen : 80), rest);
		return -1;
	}
	for (seg = slash; seg != NULL && seg[0] == '/' && seg[1] != '\0';
	    seg = strchr(seg + 1, '/')) {
		size_t n = strcspn(seg + 1, "/");

		if (n == 0 || (n == 1 && seg[1] == '.') ||
		    (n == 2 && seg[1] == '.' && seg[2] == '.')) {
			jf_bad(ld, k, "the prefix after the bucket must be "
			    "plain names separated by single '/'");
			return -1;
		}
	}
	return 0;
}

/* 1 if the host of url (after "scheme://") is this machine's loopback. */
static int
loopback_host(const char *host)
{
	size_t n = strcspn(host, ":/");

	if (host[0] == '[')
		return strncmp(host, "[::1]", 5) == 0 &&
		    (host[5] == '\0' || host[5] == ':' || host[5] == '/');
	if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	if (strncmp(host, "127.", 4) != 0)
		return 0;
	for (host += 4, n -= 4; n > 0; host++, n--)
		if (!((*host >= '0' && *host <= '9') || *host == '.'))
			return 0;
	return 1;
}

/* The S3 keys of ck (SPEC.md section 10), for an s3:// url only. */
static void
check_s3_keys(struct loader *ld, const enum key *ck, enum key part_size)
{
	static const enum conn not_s3[] = { C_USER, C_IDENTITY,
		C_PASSPHRASE_FILE, C_KNOWN_HOSTS, C_HOST_KEY_SHA256,
		C_PASSWORD_FILE, C_CLIENT_CERT, C_CLIENT_KEY };
	static const enum conn s3_only[] = { C_ENDPOINT, C_REGION,
		C_CREDENTIALS_FILE, C_PROFILE, C_PATH_STYLE };
	struct job_upload *up = &ld->job->upload;
	char why[WHY_MAX];
	const char *v, *host;
	uint64_t bytes;
	size_t i;
	int s3;

	if (up->url == NULL)
		return;		/* the url's own problem is reported */
	s3 = strncmp(up->url, "s3://", 5) == 0;
	if (!s3) {
		for (i = 0; i < sizeof(s3_only) / sizeof(*s3_only); i++)
			if (jf_val(ld, ck[s3_only[i]]) != NULL)
				jf_bad(ld, ck[s3_only[i]], "only used with an "
				    "s3:// url");
		if (part_size != K_COUNT && jf_val(ld, part_size) != NULL)
			jf_bad(ld, part_size, "only used with an s3:// url");
		return;
	}
	for (i = 0; i < sizeof(not_s3) / sizeof(*not_s3); i++)
		if (jf_val(ld, ck[not_s3[i]]) != NULL)
			jf_bad(ld, ck[not_s3[i]], "not used with an s3:// url "
			    "(credentials come from credentials_file or the "
			    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
			    "environment variables)");
	if ((v = jf_val(ld, ck[C_ENDPOINT])) != NULL) {
		host = strstr(v, "://");
		if (strncasecmp(v, "https://", 8) != 0 &&
		    strncasecmp(v, "http://", 7) != 0)
			jf_bad(ld, ck[C_ENDPOINT], "expected https://HOST[:PORT]");
		else if (host[3] == '\0' || host[3] == '/' ||
		    strchr(host + 3, '/') != NULL)
			jf_bad(ld, ck[C_ENDPOINT], "expected "
			    "https://HOST[:PORT], without a path");
		else if (strncasecmp(v, "http://", 7) == 0 &&
		    !loopback_host(host + 3))
			jf_bad(ld, ck[C_ENDPOINT], "plain http:// is only "
			    "allowed to a loopback address (127.0.0.1, ::1, "
			    "localhost); use https://");
		else
			up->endpoint = jf_dup(ld, v);
	}
	if ((v = jf_val(ld, ck[C_REGION])) != NULL) {
		for (i = 0; v[i]; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') ||
			    (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
				break;
		if (i == 0 || v[i] != '\0' || i > 40)
			jf_bad(ld, ck[C_REGION], "expected a region name such "
			    "as us-east-1");
		else
			up->region = jf_dup(ld, v);
	}
	jf_path(ld, ck[C_CREDENTIALS_FILE], 0, &up->credentials_file);
	if (jf_val(ld, ck[C_PROFILE]) != NULL &&
	    !jf_is_set(ld, ck[C_CREDENTIALS_FILE]))
		jf_bad(ld, ck[C_PROFILE], "only used with credentials_file");
	jf_string(ld, ck[C_PROFILE], &up->profile);
	jf_boolean(ld, ck[C_PATH_STYLE], &up->path_style);
	if (part_size != K_COUNT && (v = jf_val(ld, part_size)) != NULL) {
		if (parse_size(v, &bytes, why, sizeof(why)) == -1)
			jf_bad(ld, part_size, "%s", why);
		else if (bytes < (5u << 20))
			jf_bad(ld, part_size, "must be at least 5M (S3's "
			    "smallest part)");
		else if (bytes > (5ULL << 30))
			jf_bad(ld, part_size, "must be at most 5G (S3's "
			    "largest part)");
		else
			up->part_size = (long long)bytes;
	}
	if (up->region == NULL)
		up->region = jf_dup(ld, "us-east-1");
}

/*
 * Key k as a server URL into *out.  local_ok ([upload]): also file:///dir/
 * or a directory on this machine; otherwise ([inbox] url) sftp:// and
 * https:// only, as a local inbox is given with path.
 */
void
jf_check_url(struct loader *ld, enum key k, int local_ok, char **out)
{
	const char *v = jf_val(ld, k), *sep, *rest;
	size_t slen, i;

	if (v == NULL)
		return;
	if ((sep = strstr(v, "://")) == NULL) {
		/* A plain directory on this machine. */
		if (local_ok)
			jf_path(ld, k, 0, out);
		else
			jf_bad(ld, k, "expected an sftp://, https:// or s3:// "
			    "URL (a local directory is given with path)");
		return;
	}
	slen = (size_t)(sep - v);
	rest = sep + 3;
	if (slen == 4 && strncasecmp(v, "http", 4) == 0) {
		jf_bad(ld, k, "plain http is not allowed; use https://");
		return;
	}
	if (slen == 2 && strncasecmp(v, "s3", 2) == 0) {
		if (check_s3_url(ld, k, rest) == -1)
			return;
	} else if ((slen == 4 && strncasecmp(v, "sftp", 4) == 0) ||
	    (slen == 5 && strncasecmp(v, "https", 5) == 0)) {
		if (*rest == '\0' || *rest == '/') {
			jf_bad(ld, k, "no host name in '%s'", v);
			return;
		}
	} else if (local_ok && slen == 4 && strncasecmp(v, "file", 4) == 0) {
		if (*rest != '/') {
			jf_bad(ld, k, "a file URL must name an absolute "
			    "directory on this machine (file:///dir/)");
			return;
		}
	} else if (local_ok) {
		jf_bad(ld, k, "unsupported scheme '%.*s://' (expected "
		    "sftp://, https://, s3://, file:/// or a directory)",
		    (int)(slen < 32 ? slen : 32), v);
		return;
	} else {
		jf_bad(ld, k, "unsupported scheme '%.*s://' (expected "
		    "sftp://, https:// or s3://; a local directory is given "
		    "with path)", (int)(slen < 32 ? slen : 32), v);
		return;
	}
	/* The scheme in lower case, so users of the URL need one spelling. */
	if ((*out = jf_dup(ld, v)) == NULL)
		return;
	for (i = 0; i < slen; i++)
		if ((*out)[i] >= 'A' && (*out)[i] <= 'Z')
			(*out)[i] = (char)((*out)[i] - 'A' + 'a');
}

static void
check_proxy(struct loader *ld, enum key k)
{
	static const char *const schemes[] = { "http://", "https://",
		"socks4://", "socks4a://", "socks5://", "socks5h://" };
	const char *v = jf_val(ld, k);
	size_t i;

	if (v == NULL || strcmp(v, "none") == 0)
		return;
	for (i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
		if (strncasecmp(v, schemes[i], strlen(schemes[i])) == 0 &&
		    v[strlen(schemes[i])] != '\0') {
			ld->job->upload.proxy = jf_dup(ld, v);
			return;
		}
	}
	jf_bad(ld, k, "expected none or a proxy URL (http://, "
	    "https://, socks4://, socks4a://, socks5:// or socks5h://)");
}

/* The connection keys ck (jf_up_conn or jf_in_conn) into job->upload. */
void
jf_check_conn(struct loader *ld, const enum key *ck)
{
	struct job_upload *up = &ld->job->upload;

	jf_string(ld, ck[C_USER], &up->user);
	jf_path(ld, ck[C_IDENTITY], 0, &up->identity);
	jf_path(ld, ck[C_PASSPHRASE_FILE], 0, &up->passphrase_file);
	jf_path(ld, ck[C_KNOWN_HOSTS], 0, &up->known_hosts);
	check_host_key(ld, ck[C_HOST_KEY_SHA256]);
	jf_path(ld, ck[C_PASSWORD_FILE], 0, &up->password_file);
	jf_path(ld, ck[C_CA_FILE], 0, &up->ca_file);
	jf_path(ld, ck[C_CLIENT_CERT], 0, &up->client_cert);
	jf_path(ld, ck[C_CLIENT_KEY], 0, &up->client_key);
	jf_integer(ld, ck[C_RETRIES], 0, 100, &up->retries);
	jf_duration_ms(ld, ck[C_RETRY_DELAY], 1, &up->retry_delay_ms);
	jf_duration_ms(ld, ck[C_CONNECT_TIMEOUT], 0, &up->connect_timeout_ms);
	jf_duration_ms(ld, ck[C_STALL_TIMEOUT], 0, &up->stall_timeout_ms);
	check_proxy(ld, ck[C_PROXY]);
	check_s3_keys(ld, ck, ck == jf_up_conn ? K_UP_PART_SIZE : K_COUNT);
}

void
jf_check_upload(struct loader *ld)
{
	struct job_upload *up = &ld->job->upload;
	const char *v;
	int n;

	jf_check_url(ld, K_UP_URL, 1, &up->url);
	jf_check_conn(ld, jf_up_conn);
	if ((v = jf_val(ld, K_UP_TEMP_SUFFIX)) != NULL) {
		if (strchr(v, '/') != NULL)
			jf_bad(ld, K_UP_TEMP_SUFFIX, "must not contain '/'");
		else {
			free(up->temp_suffix);
			up->temp_suffix = jf_dup(ld, v);
		}
	}
	if (jf_choose(ld, K_UP_ON_EXISTS, (const char *const[]){ "replace",
	    "fail", NULL }, &n) == 0)
		up->on_exists = n == 0 ? ON_EXISTS_REPLACE : ON_EXISTS_FAIL;
	jf_integer(ld, K_UP_MAX_ATTEMPTS, 1, 1000, &up->max_attempts);
	jf_integer(ld, K_UP_CONNECTIONS, 1, 32, &up->connections);
}

void
jf_check_required(struct loader *ld, int type)
{
	jf_require(ld, K_DIRECTION);
	jf_require(ld, K_SRC_TYPE);
	switch (type) {
	case SRC_CSV:
	case SRC_JSONL:
		jf_require(ld, K_SRC_PATH);
		break;
	case SRC_SQLITE:
		jf_require(ld, K_SRC_DATABASE);
		jf_require(ld, K_SRC_QUERY);
		break;
	case SRC_COMMAND:
		jf_require(ld, K_SRC_COMMAND);
		break;
	case SRC_POSTGRESQL:
	case SRC_MYSQL:
		jf_require_db(ld, jf_src_db);
		jf_require(ld, K_SRC_QUERY);
		break;
	}
	jf_require(ld, K_OUT_NAME);
	jf_require(ld, K_UP_URL);
}
