/*
 * job_keys: what the checks of every section of a job file share.
 *
 * The table of sections and keys of SPEC.md section 4, each key with its
 * section; the problems found in a file and their wording ("FILE:LINE:
 * key 'x': why"); and the parsers that turn the value of one key into a
 * field of struct job (one of a list of names, a boolean, a duration, a
 * number, a path or pattern made absolute against the home, a comma list,
 * a delimiter, a command line), each of them reporting against its key.
 * Internal to the job file modules; job_internal.h is its interface.
 */
#include "job_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "parse.h"
#include "pattern.h"

const char *const jf_sec_names[SEC_COUNT] = {
	[SEC_JOB] = "job",
	[SEC_SOURCE] = "source",
	[SEC_AGGREGATE] = "aggregate",
	[SEC_OUTPUT] = "output",
	[SEC_UPLOAD] = "upload",
	[SEC_INBOX] = "inbox",
	[SEC_INGEST] = "ingest",
	[SEC_BACKUP] = "backup",
	[SEC_HEADER] = "header",
	[SEC_RECORD] = "record",
	[SEC_TRAILER] = "trailer",
};

/* The direction a section belongs to; -1: both. */
const int jf_sec_dir[SEC_COUNT] = {
	[SEC_JOB] = -1,
	[SEC_SOURCE] = DIR_SEND,
	[SEC_AGGREGATE] = DIR_SEND,
	[SEC_OUTPUT] = DIR_SEND,
	[SEC_UPLOAD] = DIR_SEND,
	[SEC_INBOX] = DIR_RECEIVE,
	[SEC_INGEST] = DIR_RECEIVE,
	[SEC_BACKUP] = DIR_RECEIVE,
	[SEC_HEADER] = -1,
	[SEC_RECORD] = -1,
	[SEC_TRAILER] = -1,
};

const struct keydef jf_keydefs[K_COUNT] = {
	[K_DIRECTION] = { SEC_JOB, "direction" },
	[K_SCHEDULE] = { SEC_JOB, "schedule" },
	[K_DATE] = { SEC_JOB, "date" },
	[K_TIMEZONE] = { SEC_JOB, "timezone" },
	[K_CATCH_UP] = { SEC_JOB, "catch_up" },
	[K_ENABLED] = { SEC_JOB, "enabled" },
	[K_NODES] = { SEC_JOB, "nodes" },
	[K_CALENDAR] = { SEC_JOB, "calendar" },
	[K_WEEKEND] = { SEC_JOB, "weekend" },
	[K_RUN_ON] = { SEC_JOB, "run_on" },
	[K_CUTOFF] = { SEC_JOB, "cutoff" },

	[K_SRC_TYPE] = { SEC_SOURCE, "type" },
	[K_SRC_PATH] = { SEC_SOURCE, "path" },
	[K_SRC_DATE_FIELD] = { SEC_SOURCE, "date_field" },
	[K_SRC_REQUIRED] = { SEC_SOURCE, "required" },
	[K_SRC_READY_FILE] = { SEC_SOURCE, "ready_file" },
	[K_SRC_DATABASE] = { SEC_SOURCE, "database" },
	[K_SRC_QUERY] = { SEC_SOURCE, "query" },
	[K_SRC_COMMAND] = { SEC_SOURCE, "command" },
	[K_SRC_FORMAT] = { SEC_SOURCE, "format" },
	[K_SRC_TIMEOUT] = { SEC_SOURCE, "timeout" },
	[K_SRC_URL] = { SEC_SOURCE, "url" },
	[K_SRC_SERVICE] = { SEC_SOURCE, "service" },
	[K_SRC_PASSWORD_FILE] = { SEC_SOURCE, "password_file" },
	[K_SRC_CA_FILE] = { SEC_SOURCE, "ca_file" },
	[K_SRC_CLIENT_CERT] = { SEC_SOURCE, "client_cert" },
	[K_SRC_CLIENT_KEY] = { SEC_SOURCE, "client_key" },
	[K_SRC_CONNECT_TIMEOUT] = { SEC_SOURCE, "connect_timeout" },
	[K_SRC_STATEMENT_TIMEOUT] = { SEC_SOURCE, "statement_timeout" },
	[K_SRC_LOCK_TIMEOUT] = { SEC_SOURCE, "lock_timeout" },
	[K_SRC_ENCODING] = { SEC_SOURCE, "encoding" },
	[K_SRC_QUOTES] = { SEC_SOURCE, "quotes" },

	[K_AGG_GROUP_BY] = { SEC_AGGREGATE, "group_by" },
	[K_AGG_COUNT] = { SEC_AGGREGATE, "count" },
	[K_AGG_SUM] = { SEC_AGGREGATE, "sum" },
	[K_AGG_MIN] = { SEC_AGGREGATE, "min" },
	[K_AGG_MAX] = { SEC_AGGREGATE, "max" },
	[K_AGG_FIELDS] = { SEC_AGGREGATE, "fields" },
	[K_AGG_SCALE] = { SEC_AGGREGATE, "scale" },
	[K_AGG_ROUNDING] = { SEC_AGGREGATE, "rounding" },

	[K_OUT_FORMAT] = { SEC_OUTPUT, "format" },
	[K_OUT_NAME] = { SEC_OUTPUT, "name" },
	[K_OUT_DATE_COLUMN] = { SEC_OUTPUT, "date_column" },
	[K_OUT_HEADER] = { SEC_OUTPUT, "header" },
	[K_OUT_DELIMITER] = { SEC_OUTPUT, "delimiter" },
	[K_OUT_LINE_ENDING] = { SEC_OUTPUT, "line_ending" },
	[K_OUT_EMPTY] = { SEC_OUTPUT, "empty" },
	[K_OUT_COMPRESS] = { SEC_OUTPUT, "compress" },
	[K_OUT_MANIFEST] = { SEC_OUTPUT, "manifest" },
	[K_OUT_FORMULA_GUARD] = { SEC_OUTPUT, "formula_guard" },
	[K_OUT_ENCRYPT_TO] = { SEC_OUTPUT, "encrypt_to" },
	[K_OUT_SIGN_WITH] = { SEC_OUTPUT, "sign_with" },
	[K_OUT_KEYRING] = { SEC_OUTPUT, "keyring" },
	[K_OUT_ARMOR] = { SEC_OUTPUT, "armor" },
	[K_OUT_ENCODING] = { SEC_OUTPUT, "encoding" },
	[K_OUT_UNMAPPABLE] = { SEC_OUTPUT, "unmappable" },
	[K_OUT_RECORD_END] = { SEC_OUTPUT, "record_end" },
	[K_OUT_XML_ROOT] = { SEC_OUTPUT, "xml_root" },
	[K_OUT_XML_RECORD] = { SEC_OUTPUT, "xml_record" },
	[K_OUT_XML_FIELDS] = { SEC_OUTPUT, "xml_fields" },

	[K_UP_URL] = { SEC_UPLOAD, "url" },
	[K_UP_USER] = { SEC_UPLOAD, "user" },
	[K_UP_IDENTITY] = { SEC_UPLOAD, "identity" },
	[K_UP_PASSPHRASE_FILE] = { SEC_UPLOAD, "passphrase_file" },
	[K_UP_KNOWN_HOSTS] = { SEC_UPLOAD, "known_hosts" },
	[K_UP_HOST_KEY_SHA256] = { SEC_UPLOAD, "host_key_sha256" },
	[K_UP_PASSWORD_FILE] = { SEC_UPLOAD, "password_file" },
	[K_UP_CA_FILE] = { SEC_UPLOAD, "ca_file" },
	[K_UP_CLIENT_CERT] = { SEC_UPLOAD, "client_cert" },
	[K_UP_CLIENT_KEY] = { SEC_UPLOAD, "client_key" },
	[K_UP_TEMP_SUFFIX] = { SEC_UPLOAD, "temp_suffix" },
	[K_UP_ON_EXISTS] = { SEC_UPLOAD, "on_exists" },
	[K_UP_RETRIES] = { SEC_UPLOAD, "retries" },
	[K_UP_RETRY_DELAY] = { SEC_UPLOAD, "retry_delay" },
	[K_UP_CONNECT_TIMEOUT] = { SEC_UPLOAD, "connect_timeout" },
	[K_UP_STALL_TIMEOUT] = { SEC_UPLOAD, "stall_timeout" },
	[K_UP_MAX_ATTEMPTS] = { SEC_UPLOAD, "max_attempts" },
	[K_UP_PROXY] = { SEC_UPLOAD, "proxy" },
	[K_UP_ENDPOINT] = { SEC_UPLOAD, "endpoint" },
	[K_UP_REGION] = { SEC_UPLOAD, "region" },
	[K_UP_CREDENTIALS_FILE] = { SEC_UPLOAD, "credentials_file" },
	[K_UP_PROFILE] = { SEC_UPLOAD, "profile" },
	[K_UP_PATH_STYLE] = { SEC_UPLOAD, "path_style" },
	[K_UP_PART_SIZE] = { SEC_UPLOAD, "part_size" },
	[K_UP_CONNECTIONS] = { SEC_UPLOAD, "connections" },

	[K_IN_PATH] = { SEC_INBOX, "path" },
	[K_IN_URL] = { SEC_INBOX, "url" },
	[K_IN_PATTERN] = { SEC_INBOX, "pattern" },
	[K_IN_FORMAT] = { SEC_INBOX, "format" },
	[K_IN_DELIMITER] = { SEC_INBOX, "delimiter" },
	[K_IN_HEADER] = { SEC_INBOX, "header" },
	[K_IN_SETTLE] = { SEC_INBOX, "settle" },
	[K_IN_REQUIRE_MANIFEST] = { SEC_INBOX, "require_manifest" },
	[K_IN_MANIFEST_TIMEOUT] = { SEC_INBOX, "manifest_timeout" },
	[K_IN_AFTER_PULL] = { SEC_INBOX, "after_pull" },
	[K_IN_MAX_SIZE] = { SEC_INBOX, "max_size" },
	[K_IN_EXPECT] = { SEC_INBOX, "expect" },
	[K_IN_USER] = { SEC_INBOX, "user" },
	[K_IN_IDENTITY] = { SEC_INBOX, "identity" },
	[K_IN_PASSPHRASE_FILE] = { SEC_INBOX, "passphrase_file" },
	[K_IN_KNOWN_HOSTS] = { SEC_INBOX, "known_hosts" },
	[K_IN_HOST_KEY_SHA256] = { SEC_INBOX, "host_key_sha256" },
	[K_IN_PASSWORD_FILE] = { SEC_INBOX, "password_file" },
	[K_IN_CA_FILE] = { SEC_INBOX, "ca_file" },
	[K_IN_CLIENT_CERT] = { SEC_INBOX, "client_cert" },
	[K_IN_CLIENT_KEY] = { SEC_INBOX, "client_key" },
	[K_IN_RETRIES] = { SEC_INBOX, "retries" },
	[K_IN_RETRY_DELAY] = { SEC_INBOX, "retry_delay" },
	[K_IN_CONNECT_TIMEOUT] = { SEC_INBOX, "connect_timeout" },
	[K_IN_STALL_TIMEOUT] = { SEC_INBOX, "stall_timeout" },
	[K_IN_PROXY] = { SEC_INBOX, "proxy" },
	[K_IN_ENDPOINT] = { SEC_INBOX, "endpoint" },
	[K_IN_REGION] = { SEC_INBOX, "region" },
	[K_IN_CREDENTIALS_FILE] = { SEC_INBOX, "credentials_file" },
	[K_IN_PROFILE] = { SEC_INBOX, "profile" },
	[K_IN_PATH_STYLE] = { SEC_INBOX, "path_style" },
	[K_IN_DECRYPT] = { SEC_INBOX, "decrypt" },
	[K_IN_REQUIRE_SIGNATURE] = { SEC_INBOX, "require_signature" },
	[K_IN_KEYRING] = { SEC_INBOX, "keyring" },
	[K_IN_ENCODING] = { SEC_INBOX, "encoding" },
	[K_IN_QUOTES] = { SEC_INBOX, "quotes" },
	[K_IN_RECORD_END] = { SEC_INBOX, "record_end" },
	[K_IN_XML_ROOT] = { SEC_INBOX, "xml_root" },
	[K_IN_XML_RECORD] = { SEC_INBOX, "xml_record" },
	[K_IN_XML_FIELDS] = { SEC_INBOX, "xml_fields" },

	[K_ING_TYPE] = { SEC_INGEST, "type" },
	[K_ING_DATABASE] = { SEC_INGEST, "database" },
	[K_ING_TABLE] = { SEC_INGEST, "table" },
	[K_ING_MODE] = { SEC_INGEST, "mode" },
	[K_ING_DATE_COLUMN] = { SEC_INGEST, "date_column" },
	[K_ING_COLUMNS] = { SEC_INGEST, "columns" },
	[K_ING_COMMAND] = { SEC_INGEST, "command" },
	[K_ING_TIMEOUT] = { SEC_INGEST, "timeout" },
	[K_ING_URL] = { SEC_INGEST, "url" },
	[K_ING_SERVICE] = { SEC_INGEST, "service" },
	[K_ING_PASSWORD_FILE] = { SEC_INGEST, "password_file" },
	[K_ING_CA_FILE] = { SEC_INGEST, "ca_file" },
	[K_ING_CLIENT_CERT] = { SEC_INGEST, "client_cert" },
	[K_ING_CLIENT_KEY] = { SEC_INGEST, "client_key" },
	[K_ING_CONNECT_TIMEOUT] = { SEC_INGEST, "connect_timeout" },
	[K_ING_STATEMENT_TIMEOUT] = { SEC_INGEST, "statement_timeout" },
	[K_ING_LOCK_TIMEOUT] = { SEC_INGEST, "lock_timeout" },

	[K_BK_PATH] = { SEC_BACKUP, "path" },
	[K_BK_COMPRESS] = { SEC_BACKUP, "compress" },
	[K_BK_KEEP_DAYS] = { SEC_BACKUP, "keep_days" },
};

const enum key jf_up_conn[C_COUNT] = {
	K_UP_USER, K_UP_IDENTITY, K_UP_PASSPHRASE_FILE, K_UP_KNOWN_HOSTS,
	K_UP_HOST_KEY_SHA256, K_UP_PASSWORD_FILE, K_UP_CA_FILE,
	K_UP_CLIENT_CERT, K_UP_CLIENT_KEY, K_UP_RETRIES, K_UP_RETRY_DELAY,
	K_UP_CONNECT_TIMEOUT, K_UP_STALL_TIMEOUT, K_UP_PROXY,
	K_UP_ENDPOINT, K_UP_REGION, K_UP_CREDENTIALS_FILE, K_UP_PROFILE,
	K_UP_PATH_STYLE,
};

const enum key jf_in_conn[C_COUNT] = {
	K_IN_USER, K_IN_IDENTITY, K_IN_PASSPHRASE_FILE, K_IN_KNOWN_HOSTS,
	K_IN_HOST_KEY_SHA256, K_IN_PASSWORD_FILE, K_IN_CA_FILE,
	K_IN_CLIENT_CERT, K_IN_CLIENT_KEY, K_IN_RETRIES, K_IN_RETRY_DELAY,
	K_IN_CONNECT_TIMEOUT, K_IN_STALL_TIMEOUT, K_IN_PROXY,
	K_IN_ENDPOINT, K_IN_REGION, K_IN_CREDENTIALS_FILE, K_IN_PROFILE,
	K_IN_PATH_STYLE,
};

const enum key jf_src_db[D_COUNT] = {
	K_SRC_URL, K_SRC_SERVICE, K_SRC_PASSWORD_FILE, K_SRC_CA_FILE,
	K_SRC_CLIENT_CERT, K_SRC_CLIENT_KEY, K_SRC_CONNECT_TIMEOUT,
	K_SRC_STATEMENT_TIMEOUT, K_SRC_LOCK_TIMEOUT,
};

const enum key jf_ing_db[D_COUNT] = {
	K_ING_URL, K_ING_SERVICE, K_ING_PASSWORD_FILE, K_ING_CA_FILE,
	K_ING_CLIENT_CERT, K_ING_CLIENT_KEY, K_ING_CONNECT_TIMEOUT,
	K_ING_STATEMENT_TIMEOUT, K_ING_LOCK_TIMEOUT,
};

const char *const jf_out_formats[] = { "csv", "json", "jsonl", "xml",
	"fixed", NULL };

/* Keep msg (copied) as a problem at line. */
void
jf_add_problem(struct loader *ld, unsigned line, const char *msg)
{
	struct problem *p;
	size_t cap;

	if (ld->nprobs == ld->capprobs) {
		cap = ld->capprobs ? ld->capprobs * 2 : 16;
		if ((p = realloc(ld->probs, cap * sizeof(*p))) == NULL) {
			ld->nomem = 1;
			return;
		}
		ld->probs = p;
		ld->capprobs = cap;
	}
	p = &ld->probs[ld->nprobs];
	if ((p->msg = strdup(msg)) == NULL) {
		ld->nomem = 1;
		return;
	}
	p->line = line;
	p->seq = ld->nprobs++;
}

static void
vproblem(struct loader *ld, unsigned line, const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	if (line != 0)
		n = snprintf(msg, sizeof(msg), "%s:%u: ", ld->file, line);
	else
		n = snprintf(msg, sizeof(msg), "%s: ", ld->file);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	jf_add_problem(ld, line, msg);
}

void __attribute__((format(printf, 3, 4)))
jf_problem(struct loader *ld, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(ld, line, fmt, ap);
	va_end(ap);
}

/* "FILE:LINE: key 'x': why"; marks the key as dealt with. */
void __attribute__((format(printf, 3, 4)))
jf_bad(struct loader *ld, enum key k, const char *fmt, ...)
{
	char why[WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ld->ent[k].done = 1;
	jf_problem(ld, ld->ent[k].line, "key '%s': %s", jf_keydefs[k].name,
	    why);
}

const char *
jf_val(struct loader *ld, enum key k)
{
	return ld->ent[k].done ? NULL : ld->ent[k].value;
}

int
jf_is_set(struct loader *ld, enum key k)
{
	return ld->ent[k].value != NULL;
}

char *
jf_dup(struct loader *ld, const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		ld->nomem = 1;
	return p;
}

void
jf_require(struct loader *ld, enum key k)
{
	if (!jf_is_set(ld, k))
		jf_problem(ld, 0, "key '%s' is required in [%s]",
		    jf_keydefs[k].name, jf_sec_names[jf_keydefs[k].sec]);
}

/* One of names (NULL-terminated); the index in *out.  -1: reported. */
int
jf_choose(struct loader *ld, enum key k, const char *const *names, int *out)
{
	char list[256];
	const char *v = jf_val(ld, k);
	size_t i, n, len = 0;

	if (v == NULL)
		return -1;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	n = i;
	list[0] = '\0';
	for (i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	jf_bad(ld, k, "expected %s", list);
	return -1;
}

void
jf_boolean(struct loader *ld, enum key k, int *out)
{
	char why[WHY_MAX];
	const char *v = jf_val(ld, k);

	if (v != NULL && parse_bool(v, out, why, sizeof(why)) == -1)
		jf_bad(ld, k, "%s", why);
}

/* A duration in milliseconds that must be > 0 unless zero_ok. */
void
jf_duration_ms(struct loader *ld, enum key k, int zero_ok, long *out)
{
	char why[WHY_MAX];
	const char *v = jf_val(ld, k);
	long ms;

	if (v == NULL)
		return;
	if (parse_duration_ms(v, &ms, why, sizeof(why)) == -1)
		jf_bad(ld, k, "%s", why);
	else if (ms == 0 && !zero_ok)
		jf_bad(ld, k, "must be longer than 0");
	else
		*out = ms;
}

/* A duration in seconds that must be > 0 unless zero_ok. */
void
jf_duration_s(struct loader *ld, enum key k, int zero_ok, long *out)
{
	char why[WHY_MAX];
	const char *v = jf_val(ld, k);
	long secs;

	if (v == NULL)
		return;
	if (parse_duration_s(v, &secs, why, sizeof(why)) == -1)
		jf_bad(ld, k, "%s", why);
	else if (secs == 0 && !zero_ok)
		jf_bad(ld, k, "must be longer than 0");
	else
		*out = secs;
}

void
jf_integer(struct loader *ld, enum key k, long min, long max, int *out)
{
	char why[WHY_MAX];
	const char *v = jf_val(ld, k);
	long n;

	if (v == NULL)
		return;
	if (parse_long(v, min, max, &n, why, sizeof(why)) == -1)
		jf_bad(ld, k, "%s", why);
	else
		*out = (int)n;
}

void
jf_string(struct loader *ld, enum key k, char **out)
{
	const char *v = jf_val(ld, k);

	if (v != NULL)
		*out = jf_dup(ld, v);
}

/* rel made absolute against the home (not resolved: symlinks stay). */
char *
jf_home_path(struct loader *ld, const char *rel)
{
	const char *sep = "/";
	size_t hl;
	char *p;

	if (rel[0] == '/' || ld->home == NULL || ld->home[0] == '\0')
		return jf_dup(ld, rel);
	hl = strlen(ld->home);
	if (ld->home[hl - 1] == '/')
		sep = "";
	if (asprintf(&p, "%s%s%s", ld->home, sep, rel) == -1) {
		ld->nomem = 1;
		return NULL;
	}
	return p;
}

/* A file name or pattern, relative to the home unless absolute. */
void
jf_path(struct loader *ld, enum key k, int is_pattern, char **out)
{
	char why[WHY_MAX];
	const char *v = jf_val(ld, k);

	if (v == NULL)
		return;
	if (v[0] == '~') {
		jf_bad(ld, k, "'~' is not expanded; give an absolute path or "
		    "one relative to the home directory");
		return;
	}
	if (is_pattern && pattern_check(v, why, sizeof(why)) == -1) {
		jf_bad(ld, k, "%s", why);
		return;
	}
	if (is_pattern && pattern_has_seq(v)) {
		jf_bad(ld, k, "{seq} numbers the files of a date: only in "
		    "[output] name and [inbox] pattern");
		return;
	}
	*out = jf_home_path(ld, v);
}

/* A comma list with no item twice. */
void
jf_list(struct loader *ld, enum key k, struct strlist *out)
{
	const char *v = jf_val(ld, k);
	size_t i, j;

	if (v == NULL)
		return;
	if (strlist_split_commas(out, v) == -1) {
		if (errno == ENOMEM)
			ld->nomem = 1;
		else
			jf_bad(ld, k, "empty item in the list (expected names "
			    "separated by commas)");
		return;
	}
	for (i = 1; i < out->n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(out->v[i], out->v[j]) == 0) {
				jf_bad(ld, k, "field '%s' is listed twice",
				    out->v[i]);
				return;
			}
		}
	}
}

/* One character other than '"', CR or LF; "tab" or "\t" for a tab. */
void
jf_delimiter(struct loader *ld, enum key k, char *out)
{
	const char *v = jf_val(ld, k);

	if (v == NULL)
		return;
	if (strcmp(v, "\\t") == 0 || strcasecmp(v, "tab") == 0)
		*out = '\t';
	else if (strlen(v) != 1 || strchr("\"\r\n", v[0]) != NULL)
		jf_bad(ld, k, "expected one character other than '\"', CR or "
		    "LF (or tab)");
	else
		*out = v[0];
}

/*
 * Split a command line into argv the way a shell splits words, without a
 * shell: blanks separate, '...' and "..." group (and join with adjacent
 * text), only \" and \\ are escapes and only inside "...".  No expansion.
 */
static int
split_command(const char *s, struct strlist *argv, const char **why)
{
	struct buf w;
	const char *p;
	int inword = 0;

	buf_init(&w, 0);
	for (p = s;; p++) {
		if (*p == '\0' || *p == ' ' || *p == '\t') {
			if (inword) {
				if (strlist_add(argv, w.data) == -1)
					goto nomem;
				buf_reset(&w);
				inword = 0;
			}
			if (*p == '\0')
				break;
			continue;
		}
		/* Make w.data a string even for an empty quoted word. */
		if (!inword && buf_append(&w, "", 0) == -1)
			goto nomem;
		inword = 1;
		if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (q == NULL) {
				*why = "unterminated single quote";
				goto fail;
			}
			if (buf_append(&w, p + 1, (size_t)(q - p - 1)) == -1)
				goto nomem;
			p = q;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					*why = "unterminated double quote";
					goto fail;
				}
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				if (buf_putc(&w, *p) == -1)
					goto nomem;
			}
		} else if (buf_putc(&w, *p) == -1)
			goto nomem;
	}
	buf_release(&w);
	return 0;
nomem:
	*why = NULL;
fail:
	buf_release(&w);
	return -1;
}

/* arg without its {file} placeholders ("{{file}}" stays), for
 * pattern_check; NULL: no memory. */
static char *
without_file(const char *arg)
{
	const char *p;
	char *s, *o;

	if ((s = malloc(strlen(arg) + 1)) == NULL)
		return NULL;
	for (p = arg, o = s; *p != '\0';) {
		if ((p[0] == '{' && p[1] == '{') ||
		    (p[0] == '}' && p[1] == '}')) {
			*o++ = *p++;
			*o++ = *p++;
		} else if (strncmp(p, "{file}", 6) == 0)
			p += 6;
		else
			*o++ = *p++;
	}
	*o = '\0';
	return s;
}

/* Key k as argv; file_ok: arguments may also hold {file}. */
void
jf_check_command(struct loader *ld, enum key k, struct strlist *argv,
    int file_ok)
{
	const char *v = jf_val(ld, k), *why;
	char pwhy[WHY_MAX], *prog, *arg;
	size_t i;
	int rc;

	if (v == NULL)
		return;
	if (split_command(v, argv, &why) == -1) {
		if (why == NULL)
			ld->nomem = 1;
		else
			jf_bad(ld, k, "%s", why);
		return;
	}
	if (argv->n == 0 || argv->v[0][0] == '\0') {
		jf_bad(ld, k, "no program given");
		return;
	}
	for (i = 0; i < argv->n; i++) {
		arg = argv->v[i];
		if (file_ok && (arg = without_file(arg)) == NULL) {
			ld->nomem = 1;
			return;
		}
		rc = pattern_check(arg, pwhy, sizeof(pwhy));
		if (arg != argv->v[i])
			free(arg);
		if (rc == -1) {
			/* pattern_check lists the placeholders it knows;
			 * {file} is ours. */
			jf_bad(ld, k, "argument '%s': %s%s", argv->v[i], pwhy,
			    file_ok && strncmp(pwhy, "unknown placeholder",
			    19) == 0 ? "; {file} is the received file" : "");
			return;
		}
	}
	/* A bare program name is looked up in PATH when it runs; one with a
	 * '/' is a file, relative to the home like every other path. */
	prog = argv->v[0];
	if (prog[0] == '~') {
		jf_bad(ld, k, "'~' is not expanded; give an absolute "
		    "path or one relative to the home directory");
		return;
	}
	if (strchr(prog, '/') != NULL && prog[0] != '/') {
		if ((argv->v[0] = jf_home_path(ld, prog)) == NULL) {
			argv->v[0] = prog;
			return;
		}
		free(prog);
	}
}

/* Report the keys of table that type does not use. */
void
jf_only_for(struct loader *ld, const struct only *table, size_t n, int type,
    const char *const *names)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (jf_val(ld, table[i].k) != NULL &&
		    !(table[i].types & 1u << type))
			jf_bad(ld, table[i].k, "not used with type = %s (only "
			    "with type = %s)", names[type], table[i].which);
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

/* The format a name's extension gives (".pgp"/".gpg"/".asc", then
 * ".gz"/".zip" looked through);
 * -1: an extension that names none. */
int
jf_format_of_ext(const char *name)
{
	size_t len = strlen(name);

	/* OpenPGP: the format is the plain file's. */
	if (ends_with(name, len, ".pgp") || ends_with(name, len, ".gpg") ||
	    ends_with(name, len, ".asc"))
		len -= 4;
	if (ends_with(name, len, ".gz"))
		len -= 3;
	else if (ends_with(name, len, ".zip"))
		len -= 4;
	if (ends_with(name, len, ".json"))
		return FMT_JSON;
	if (ends_with(name, len, ".jsonl") || ends_with(name, len, ".ndjson"))
		return FMT_JSONL;
	if (ends_with(name, len, ".csv"))
		return FMT_CSV;
	return -1;
}

/*
 * The fewest bytes a name made by pat (glob 0: used as it is) or matched
 * by it (glob 1: '*' may match nothing, '?' and a '[...]' set one byte)
 * can have, on a date whose names are the longest (a Wednesday in
 * September, for %A and %B), or -1 if pat cannot be expanded.  A name no
 * file system can hold is then a configuration error, not a batch that
 * fails every day or a pattern that never matches.
 */
long
jf_shortest_name(struct loader *ld, const char *pat, int glob)
{
	const char *p, *q;
	struct xerr e;
	long n = 0;
	char *s;

	if (ld->job->name == NULL)
		return -1;	/* out of memory, already noted */
	if (pattern_expand(pat, ld->job->name, bdate_from_ymd(2000, 9, 27),
	    &s, &e) == -1) {
		if (e.cls == XERR_NOMEM)
			ld->nomem = 1;
		return -1;
	}
	for (p = s; *p != '\0'; p++, n++) {
		if (glob && *p == '*')
			n--;
		else if (glob && *p == '[' && (q = strchr(p + 1, ']')) != NULL)
			p = q;
	}
	free(s);
	return n;
}
