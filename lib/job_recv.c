/*
 * job_recv: the sections of a receive job, [inbox], [ingest] and
 * [backup], checked into struct job, and the keys a receive job must
 * have.  The connection keys of [inbox] are read by the [upload] code of
 * job_send.c.
 * Internal to the job file modules; job_internal.h is its interface.
 */
#include "job_internal.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "pattern.h"

/*
 * A '[' set in a pattern must be closed and not empty: the matcher
 * (pattern_match) ends a set at its first ']' and would take an unclosed
 * '[' literally, which is rarely what was meant.  -1 for such a pattern.
 */
static int
glob_sets(const char *s)
{
	const char *p, *q;

	for (p = s; (p = strchr(p, '[')) != NULL; p = q + 1) {
		q = p + 1;
		if (*q == '!' || *q == '^')
			q++;
		if (*q == ']' || (q = strchr(q, ']')) == NULL)
			return -1;
	}
	return 0;
}

static void
check_pattern(struct loader *ld)
{
	char why[WHY_MAX];
	const char *v = jf_val(ld, K_IN_PATTERN);
	long len;

	if (v == NULL)
		return;
	if (pattern_check(v, why, sizeof(why)) == -1)
		jf_bad(ld, K_IN_PATTERN, "%s", why);
	else if (strchr(v, '/') != NULL)
		jf_bad(ld, K_IN_PATTERN, "must match file names, without '/' "
		    "(the directory is path or url)");
	else if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		jf_bad(ld, K_IN_PATTERN, "'%s' is not a file name", v);
	else if (glob_sets(v) == -1)
		jf_bad(ld, K_IN_PATTERN, "a '[...]' set must be closed and not "
		    "empty");
	else if ((len = jf_shortest_name(ld, v, 1)) > NAME_MAX)
		jf_bad(ld, K_IN_PATTERN, "matches only names of %ld bytes or "
		    "more; no file can have one (at most %d)", len, NAME_MAX);
	else
		ld->job->inbox.pattern = jf_dup(ld, v);
}

static void
check_after_pull(struct loader *ld)
{
	struct job_inbox *in = &ld->job->inbox;
	const char *v = jf_val(ld, K_IN_AFTER_PULL), *dir;

	if (v == NULL)
		return;
	if (strcmp(v, "delete") == 0)
		in->after_pull = AFTER_PULL_DELETE;
	else if (strcmp(v, "keep") == 0)
		in->after_pull = AFTER_PULL_KEEP;
	else if (strncmp(v, "move:", 5) == 0) {
		dir = v + 5 + strspn(v + 5, " \t");
		if (*dir == '\0') {
			jf_bad(ld, K_IN_AFTER_PULL, "move: needs the directory "
			    "to move pulled files to (move:DIR)");
			return;
		}
		in->after_pull = AFTER_PULL_MOVE;
		in->after_pull_dir = jf_dup(ld, dir);
	} else
		jf_bad(ld, K_IN_AFTER_PULL, "expected delete, keep or "
		    "move:DIR");
}

/*
 * expect = HH:MM, the time of day (in the job's zone) by which the file
 * of the job's current batch date must be in.  Without {date...} in the
 * pattern a file's date is the day it is picked up, so only date = today
 * can ever be met.
 */
static void
check_expect(struct loader *ld)
{
	struct job *job = ld->job;
	const char *v = jf_val(ld, K_IN_EXPECT);
	int h, m;

	if (v == NULL)
		return;
	if (strlen(v) != 5 || v[2] != ':' || v[0] < '0' || v[0] > '2' ||
	    v[1] < '0' || v[1] > '9' || v[3] < '0' || v[3] > '5' ||
	    v[4] < '0' || v[4] > '9' ||
	    (h = (v[0] - '0') * 10 + (v[1] - '0')) > 23) {
		jf_bad(ld, K_IN_EXPECT, "'%s' is not a time of day: expected "
		    "HH:MM from 00:00 to 23:59 (e.g. 06:00)", v);
		return;
	}
	m = (v[3] - '0') * 10 + (v[4] - '0');
	if (job->inbox.pattern != NULL &&
	    !pattern_has_date(job->inbox.pattern) && (job->date_offset != 0 ||
	    job->date_business > 0)) {
		jf_bad(ld, K_IN_EXPECT, "the pattern has no {date...}: a "
		    "file's batch date is then the day it is picked up, so "
		    "only date = today can be expected (set it in [job], or "
		    "put {date...} in pattern)");
		return;
	}
	job->inbox.expect_min = h * 60 + m;
}

static void
check_inbox(struct loader *ld)
{
	struct job_inbox *in = &ld->job->inbox;
	static const enum key csv_only[] = { K_IN_DELIMITER, K_IN_HEADER };
	char why[WHY_MAX];
	const char *v;
	uint64_t bytes;
	size_t i;
	int n, fmt;

	if (jf_is_set(ld, K_IN_PATH) && jf_is_set(ld, K_IN_URL))
		jf_bad(ld, K_IN_URL, "cannot be combined with path (an inbox "
		    "is a local directory or a URL, not both)");
	else if (jf_is_set(ld, K_IN_PATH)) {
		if (jf_val(ld, K_IN_AFTER_PULL) != NULL)
			jf_bad(ld, K_IN_AFTER_PULL, "not used with path (only "
			    "with url)");
		for (i = 0; i < C_COUNT; i++)
			if (jf_val(ld, jf_in_conn[i]) != NULL)
				jf_bad(ld, jf_in_conn[i], "not used with path "
				    "(only with url)");
	}
	if ((v = jf_val(ld, K_IN_PATH)) != NULL && strstr(v, "://") != NULL)
		jf_bad(ld, K_IN_PATH, "expected a local directory (a server to "
		    "pull from is given with url)");
	jf_path(ld, K_IN_PATH, 0, &in->path);
	jf_check_url(ld, K_IN_URL, 0, &in->url);
	/* The transports read the server from job->upload. */
	if (in->url != NULL)
		ld->job->upload.url = jf_dup(ld, in->url);
	jf_check_conn(ld, jf_in_conn);
	check_after_pull(ld);

	check_pattern(ld);
	if (jf_choose(ld, K_IN_FORMAT, jf_out_formats, &n) == 0)
		in->format = n;
	fmt = in->format;
	if (fmt < 0 && in->pattern != NULL)
		fmt = jf_format_of_ext(in->pattern);
	if (fmt >= 0 && fmt != FMT_CSV) {
		for (i = 0; i < sizeof(csv_only) / sizeof(*csv_only); i++)
			if (jf_val(ld, csv_only[i]) != NULL)
				jf_bad(ld, csv_only[i], "only used with "
				    "format = csv, not %s%s",
				    jf_out_formats[fmt],
				    in->format < 0 ? " (from the pattern's "
				    "extension)" : "");
	}
	jf_check_xml(ld, 0, in->format, &in->xml);
	jf_delimiter(ld, K_IN_DELIMITER, &in->delimiter);
	jf_boolean(ld, K_IN_HEADER, &in->header);
	jf_check_inbox_enc(ld, fmt);
	jf_duration_s(ld, K_IN_SETTLE, 1, &in->settle_s);
	jf_boolean(ld, K_IN_REQUIRE_MANIFEST, &in->require_manifest);
	if (!in->require_manifest && !ld->ent[K_IN_REQUIRE_MANIFEST].done &&
	    jf_val(ld, K_IN_MANIFEST_TIMEOUT) != NULL)
		jf_bad(ld, K_IN_MANIFEST_TIMEOUT, "only used with "
		    "require_manifest = yes");
	jf_duration_s(ld, K_IN_MANIFEST_TIMEOUT, 0, &in->manifest_timeout_s);
	check_expect(ld);
	if ((v = jf_val(ld, K_IN_MAX_SIZE)) != NULL) {
		if (parse_size(v, &bytes, why, sizeof(why)) == -1)
			jf_bad(ld, K_IN_MAX_SIZE, "%s", why);
		else if (bytes == 0)
			jf_bad(ld, K_IN_MAX_SIZE, "must be more than 0");
		else if (bytes > (uint64_t)LLONG_MAX)
			jf_bad(ld, K_IN_MAX_SIZE, "is too large");
		else
			in->max_size = (long long)bytes;
	}
	jf_check_inbox_pgp(ld);
}

static const char *const ingest_types[] = { "sqlite", "command", "none",
	"postgresql", "mysql", NULL };

#define ING_DB	(1u << INGEST_POSTGRESQL | 1u << INGEST_MYSQL)
#define ING_TABLE	(1u << INGEST_SQLITE | ING_DB)

/* Keys of [ingest] that only some types use (bit per enum ingest_type). */
static const struct only ingest_only[] = {
	{ K_ING_DATABASE, 1u << INGEST_SQLITE, "sqlite" },
	{ K_ING_TABLE, ING_TABLE, "sqlite, postgresql or mysql" },
	{ K_ING_MODE, ING_TABLE, "sqlite, postgresql or mysql" },
	{ K_ING_DATE_COLUMN, ING_TABLE, "sqlite, postgresql or mysql" },
	{ K_ING_URL, ING_DB, "postgresql or mysql" },
	{ K_ING_SERVICE, ING_DB, "postgresql or mysql" },
	{ K_ING_PASSWORD_FILE, ING_DB, "postgresql or mysql" },
	{ K_ING_CA_FILE, ING_DB, "postgresql or mysql" },
	{ K_ING_CLIENT_CERT, ING_DB, "postgresql or mysql" },
	{ K_ING_CLIENT_KEY, ING_DB, "postgresql or mysql" },
	{ K_ING_CONNECT_TIMEOUT, ING_DB, "postgresql or mysql" },
	{ K_ING_STATEMENT_TIMEOUT, ING_DB, "postgresql or mysql" },
	{ K_ING_LOCK_TIMEOUT, ING_DB, "postgresql or mysql" },
	{ K_ING_COMMAND, 1u << INGEST_COMMAND, "command" },
	{ K_ING_TIMEOUT, 1u << INGEST_COMMAND, "command" },
};

/* The length of the plain identifier at s: a letter or '_', then
 * letters, digits or '_'. */
static size_t
ident_len(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		    (i > 0 && s[i] >= '0' && s[i] <= '9')))
			break;
	return i;
}

/*
 * A table name goes into SQL unquoted by nobody's mistake only if it is a
 * plain identifier (for a server database, optionally SCHEMA.TABLE);
 * xfer_ names are for xfer's own bookkeeping tables.
 */
static void
check_table(struct loader *ld, int type)
{
	const char *v = jf_val(ld, K_ING_TABLE), *t;
	size_t len, n;
	int server = type == INGEST_POSTGRESQL || type == INGEST_MYSQL;

	if (v == NULL)
		return;
	len = strlen(v);
	t = v;
	n = ident_len(v);
	if (server && n > 0 && v[n] == '.') {
		t = v + n + 1;
		n += 1 + ident_len(t);
	}
	if (n != len || len > (server ? 129 : 64) || ident_len(t) == 0 ||
	    ident_len(t) > 64)
		jf_bad(ld, K_ING_TABLE, "'%s' is not a table name (a letter or "
		    "'_', then letters, digits or '_', at most 64%s)", v,
		    server ? "; or SCHEMA.TABLE" : "");
	else if (strncasecmp(t, "xfer_", 5) == 0)
		jf_bad(ld, K_ING_TABLE, "names starting with 'xfer_' are "
		    "reserved for xfer's own tables");
	else
		ld->job->ingest.table = jf_dup(ld, v);
}

static void
check_ingest(struct loader *ld, int *typep)
{
	struct job_ingest *ing = &ld->job->ingest;
	int type = -1, n;

	if (jf_choose(ld, K_ING_TYPE, ingest_types, &type) == 0)
		ing->type = (enum ingest_type)type;
	*typep = type;
	if (type >= 0)
		jf_only_for(ld, ingest_only, sizeof(ingest_only) /
		    sizeof(*ingest_only), type, ingest_types);
	jf_path(ld, K_ING_DATABASE, 1, &ing->database);
	check_table(ld, type);
	if (jf_choose(ld, K_ING_MODE, (const char *const[]){ "append",
	    "replace-date", NULL }, &n) == 0)
		ing->mode = n == 0 ? MODE_APPEND : MODE_REPLACE_DATE;
	jf_string(ld, K_ING_DATE_COLUMN, &ing->date_column);
	if ((type == INGEST_SQLITE || type == INGEST_POSTGRESQL ||
	    type == INGEST_MYSQL) && ing->date_column == NULL)
		ing->date_column = jf_dup(ld, "date");
	jf_list(ld, K_ING_COLUMNS, &ing->columns);
	/* With the expected header known, replace-date can be checked now
	 * rather than on the first file. */
	if (ing->mode == MODE_REPLACE_DATE && ing->date_column != NULL &&
	    ing->columns.n > 0 && !ld->ent[K_ING_COLUMNS].done &&
	    !strlist_contains(&ing->columns, ing->date_column)) {
		if (jf_is_set(ld, K_ING_DATE_COLUMN))
			jf_bad(ld, K_ING_DATE_COLUMN, "column '%s' is not in "
			    "columns", ing->date_column);
		else
			jf_bad(ld, K_ING_MODE, "replace-date deletes by column "
			    "'%s', which is not in columns (set date_column)",
			    ing->date_column);
	}
	jf_check_command(ld, K_ING_COMMAND, &ing->command, 1);
	jf_duration_s(ld, K_ING_TIMEOUT, 0, &ing->timeout_s);
	if (type == INGEST_POSTGRESQL || type == INGEST_MYSQL)
		jf_check_db(ld, jf_ing_db, type == INGEST_POSTGRESQL,
		    &ing->db);
}

static void
check_backup(struct loader *ld)
{
	struct job_backup *bk = &ld->job->backup;
	const char *v;
	int n;

	jf_path(ld, K_BK_PATH, 1, &bk->path);
	if (!jf_is_set(ld, K_BK_PATH))
		bk->path = jf_home_path(ld,
		    "spool/{job}/backup/{date:%Y/%m/%d}");
	if ((v = jf_val(ld, K_BK_COMPRESS)) != NULL && strcmp(v, "zip") == 0)
		jf_bad(ld, K_BK_COMPRESS, "zip is not used for backups "
		    "(expected none or gzip)");
	else if (jf_choose(ld, K_BK_COMPRESS, (const char *const[]){ "none",
	    "gzip", NULL }, &n) == 0)
		bk->compress = n == 0 ? COMPRESS_NONE : COMPRESS_GZIP;
	jf_integer(ld, K_BK_KEEP_DAYS, 0, 36500, &bk->keep_days);
}

void
jf_check_receive(struct loader *ld, int *typep)
{
	static const enum key send_only[] = { K_CATCH_UP };
	size_t i;

	for (i = 0; i < sizeof(send_only) / sizeof(*send_only); i++)
		if (jf_val(ld, send_only[i]) != NULL)
			jf_bad(ld, send_only[i], "not used in receive jobs "
			    "(only in send jobs)");
	/* A receive job's date only names the batch expect waits for. */
	if (jf_val(ld, K_DATE) != NULL && !jf_is_set(ld, K_IN_EXPECT))
		jf_bad(ld, K_DATE, "only used with [inbox] expect in receive "
		    "jobs (it names the batch date expect waits for)");
	jf_check_job(ld);
	check_inbox(ld);
	check_ingest(ld, typep);
	check_backup(ld);
	if (!ld->job->inbox.header && !jf_is_set(ld, K_ING_COLUMNS))
		jf_bad(ld, K_IN_HEADER, "header = no needs the field names in "
		    "[ingest] columns");
}

void
jf_check_required_receive(struct loader *ld, int type)
{
	jf_require(ld, K_DIRECTION);
	if (!jf_is_set(ld, K_IN_PATH) && !jf_is_set(ld, K_IN_URL))
		jf_problem(ld, 0, "key 'path' or 'url' is required in [inbox]");
	jf_require(ld, K_IN_PATTERN);
	jf_require(ld, K_ING_TYPE);
	switch (type) {
	case INGEST_SQLITE:
		jf_require(ld, K_ING_DATABASE);
		jf_require(ld, K_ING_TABLE);
		break;
	case INGEST_COMMAND:
		jf_require(ld, K_ING_COMMAND);
		break;
	case INGEST_POSTGRESQL:
	case INGEST_MYSQL:
		jf_require_db(ld, jf_ing_db);
		jf_require(ld, K_ING_TABLE);
		break;
	}
}
