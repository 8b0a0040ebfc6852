/*
 * job: load and validate a job file (SPEC.md section 4).
 *
 * Loading has two passes.  The INI callback only files each value under
 * its key (reporting unknown sections as it goes, and noting unknown and
 * duplicate keys); validation then looks at the keys in a fixed order, when
 * every value is known, so a key can be checked against another one (a path
 * against the source type) whatever order the file uses.  Every problem is
 * collected with its line and they are reported sorted by line, so an
 * operator can fix a file in one go.
 *
 * The direction is only known in the second pass, so the first one files
 * the keys of send and receive sections alike.  The second then refuses
 * the first section of the other direction, ignores every key in such
 * sections, and only then reports the unknown and duplicate keys it noted:
 * their hints ("it belongs in [inbox]") depend on the direction.
 *
 * Decisions a reader may look for here:
 * - A key that cannot apply to the chosen [source] type or [output] format
 *   (query with type = csv, delimiter with format = json) is an error: it
 *   almost always means the file does not do what its author thinks.
 *   Transport keys in [upload] are not checked against the URL's scheme,
 *   so a destination can be switched (say to a local directory for a test)
 *   without removing the keys of the other one.
 * - A line that cannot be read is reported and skipped, and reading
 *   goes on, so one mistake does not hide the others.  A key with
 *   characters keys cannot have ("group-by") is an unknown key like any
 *   other, with a suggestion.  After any other broken line, missing keys
 *   are not reported: the broken line may have been meant as one.
 * - Empty values are errors for every key.
 * - A receive job's connection keys live in [inbox] and are read by the
 *   [upload] code into job->upload; with a local inbox (path) they, and
 *   after_pull, are errors.  Without a valid direction, a file with
 *   receive sections and no send sections is checked as a receive job.
 * - An [ingest] command may use {file}, the received file, besides the
 *   usual patterns; it is optional, as XFER_FILE is always set.
 * - A path starting with '~' is refused: nothing here expands it, and
 *   "home/~/x" is never what was meant.
 */
#include "job.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cron.h"
#include "ini.h"
#include "parse.h"
#include "pattern.h"
#include "tz.h"

#define JOB_NAME_MAX	64
#define WHY_MAX		512

enum sec { SEC_JOB, SEC_SOURCE, SEC_AGGREGATE, SEC_OUTPUT, SEC_UPLOAD,
	SEC_INBOX, SEC_INGEST, SEC_BACKUP, SEC_COUNT };

static const char *const sec_names[SEC_COUNT] = {
	[SEC_JOB] = "job",
	[SEC_SOURCE] = "source",
	[SEC_AGGREGATE] = "aggregate",
	[SEC_OUTPUT] = "output",
	[SEC_UPLOAD] = "upload",
	[SEC_INBOX] = "inbox",
	[SEC_INGEST] = "ingest",
	[SEC_BACKUP] = "backup",
};

/* The direction a section belongs to; -1: both. */
static const int sec_dir[SEC_COUNT] = {
	[SEC_JOB] = -1,
	[SEC_SOURCE] = DIR_SEND,
	[SEC_AGGREGATE] = DIR_SEND,
	[SEC_OUTPUT] = DIR_SEND,
	[SEC_UPLOAD] = DIR_SEND,
	[SEC_INBOX] = DIR_RECEIVE,
	[SEC_INGEST] = DIR_RECEIVE,
	[SEC_BACKUP] = DIR_RECEIVE,
};

enum key {
	K_DIRECTION, K_SCHEDULE, K_DATE, K_TIMEZONE, K_CATCH_UP, K_ENABLED,

	K_SRC_TYPE, K_SRC_PATH, K_SRC_DATE_FIELD, K_SRC_REQUIRED,
	K_SRC_READY_FILE, K_SRC_DATABASE, K_SRC_QUERY, K_SRC_COMMAND,
	K_SRC_FORMAT, K_SRC_TIMEOUT,

	K_AGG_GROUP_BY, K_AGG_COUNT, K_AGG_SUM, K_AGG_MIN, K_AGG_MAX,
	K_AGG_FIELDS, K_AGG_SCALE, K_AGG_ROUNDING,

	K_OUT_FORMAT, K_OUT_NAME, K_OUT_DATE_COLUMN, K_OUT_HEADER,
	K_OUT_DELIMITER, K_OUT_LINE_ENDING, K_OUT_EMPTY, K_OUT_COMPRESS,
	K_OUT_MANIFEST, K_OUT_FORMULA_GUARD,

	K_UP_URL, K_UP_USER, K_UP_IDENTITY, K_UP_PASSPHRASE_FILE,
	K_UP_KNOWN_HOSTS, K_UP_HOST_KEY_SHA256, K_UP_PASSWORD_FILE,
	K_UP_CA_FILE, K_UP_CLIENT_CERT, K_UP_CLIENT_KEY, K_UP_TEMP_SUFFIX,
	K_UP_ON_EXISTS, K_UP_RETRIES, K_UP_RETRY_DELAY, K_UP_CONNECT_TIMEOUT,
	K_UP_STALL_TIMEOUT, K_UP_MAX_ATTEMPTS, K_UP_PROXY,

	K_IN_PATH, K_IN_URL, K_IN_PATTERN, K_IN_FORMAT, K_IN_DELIMITER,
	K_IN_HEADER, K_IN_SETTLE, K_IN_REQUIRE_MANIFEST, K_IN_MANIFEST_TIMEOUT,
	K_IN_AFTER_PULL, K_IN_MAX_SIZE, K_IN_EXPECT,
	K_IN_USER, K_IN_IDENTITY, K_IN_PASSPHRASE_FILE, K_IN_KNOWN_HOSTS,
	K_IN_HOST_KEY_SHA256, K_IN_PASSWORD_FILE, K_IN_CA_FILE,
	K_IN_CLIENT_CERT, K_IN_CLIENT_KEY, K_IN_RETRIES, K_IN_RETRY_DELAY,
	K_IN_CONNECT_TIMEOUT, K_IN_STALL_TIMEOUT, K_IN_PROXY,

	K_ING_TYPE, K_ING_DATABASE, K_ING_TABLE, K_ING_MODE,
	K_ING_DATE_COLUMN, K_ING_COLUMNS, K_ING_COMMAND, K_ING_TIMEOUT,

	K_BK_PATH, K_BK_COMPRESS, K_BK_KEEP_DAYS,

	K_COUNT
};

static const struct keydef {
	enum sec sec;
	const char *name;
} keydefs[K_COUNT] = {
	[K_DIRECTION] = { SEC_JOB, "direction" },
	[K_SCHEDULE] = { SEC_JOB, "schedule" },
	[K_DATE] = { SEC_JOB, "date" },
	[K_TIMEZONE] = { SEC_JOB, "timezone" },
	[K_CATCH_UP] = { SEC_JOB, "catch_up" },
	[K_ENABLED] = { SEC_JOB, "enabled" },

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

	[K_ING_TYPE] = { SEC_INGEST, "type" },
	[K_ING_DATABASE] = { SEC_INGEST, "database" },
	[K_ING_TABLE] = { SEC_INGEST, "table" },
	[K_ING_MODE] = { SEC_INGEST, "mode" },
	[K_ING_DATE_COLUMN] = { SEC_INGEST, "date_column" },
	[K_ING_COLUMNS] = { SEC_INGEST, "columns" },
	[K_ING_COMMAND] = { SEC_INGEST, "command" },
	[K_ING_TIMEOUT] = { SEC_INGEST, "timeout" },

	[K_BK_PATH] = { SEC_BACKUP, "path" },
	[K_BK_COMPRESS] = { SEC_BACKUP, "compress" },
	[K_BK_KEEP_DAYS] = { SEC_BACKUP, "keep_days" },
};

/*
 * The connection keys [upload] and [inbox] share; one function reads
 * either set into job->upload, so both directions parse them alike.
 */
enum conn { C_USER, C_IDENTITY, C_PASSPHRASE_FILE, C_KNOWN_HOSTS,
	C_HOST_KEY_SHA256, C_PASSWORD_FILE, C_CA_FILE, C_CLIENT_CERT,
	C_CLIENT_KEY, C_RETRIES, C_RETRY_DELAY, C_CONNECT_TIMEOUT,
	C_STALL_TIMEOUT, C_PROXY, C_COUNT };

static const enum key up_conn[C_COUNT] = {
	K_UP_USER, K_UP_IDENTITY, K_UP_PASSPHRASE_FILE, K_UP_KNOWN_HOSTS,
	K_UP_HOST_KEY_SHA256, K_UP_PASSWORD_FILE, K_UP_CA_FILE,
	K_UP_CLIENT_CERT, K_UP_CLIENT_KEY, K_UP_RETRIES, K_UP_RETRY_DELAY,
	K_UP_CONNECT_TIMEOUT, K_UP_STALL_TIMEOUT, K_UP_PROXY,
};

static const enum key in_conn[C_COUNT] = {
	K_IN_USER, K_IN_IDENTITY, K_IN_PASSPHRASE_FILE, K_IN_KNOWN_HOSTS,
	K_IN_HOST_KEY_SHA256, K_IN_PASSWORD_FILE, K_IN_CA_FILE,
	K_IN_CLIENT_CERT, K_IN_CLIENT_KEY, K_IN_RETRIES, K_IN_RETRY_DELAY,
	K_IN_CONNECT_TIMEOUT, K_IN_STALL_TIMEOUT, K_IN_PROXY,
};

struct entry {
	char *value;		/* NULL: not in the file */
	unsigned line;
	int done;		/* a problem was reported, or the key is in a
				 * section of the other direction; check no
				 * further */
};

/* An unknown or duplicate key, reported once the direction is known. */
struct stray {
	enum sec sec;
	unsigned line;
	unsigned first;		/* duplicate: line of the first; 0: unknown */
	int malformed;		/* characters no key has ("group-by") */
	char *key;
};

struct problem {
	unsigned line;		/* 0: no line; sorts last */
	size_t seq;		/* keeps the order of problems on one line */
	char *msg;
};

/* Where the INI reader currently is. */
enum { CUR_NONE = -1, CUR_SKIP = -2 };

struct loader {
	const char *home;
	const char *file;
	struct job *job;
	struct entry ent[K_COUNT];
	int cur;		/* enum sec, CUR_NONE or CUR_SKIP */
	unsigned sec_line[SEC_COUNT];	/* first line of each section; 0 */
	struct stray *strays;
	size_t nstrays, capstrays;
	struct problem *probs;
	size_t nprobs, capprobs;
	int broken_line;	/* a line could not be read (not a bad key) */
	int nomem;
};

static const char *const src_types[] = { "csv", "jsonl", "sqlite",
	"command", NULL };
static const char *const out_formats[] = { "csv", "json", "jsonl", NULL };
static const char *const cmd_formats[] = { "csv", "jsonl", NULL };
/* In enum decimal_rounding order. */
static const char *const roundings[] = { "half-even", "half-up", "error",
	NULL };

/* Keep msg (copied) as a problem at line. */
static void
add_problem(struct loader *ld, unsigned line, const char *msg)
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
	add_problem(ld, line, msg);
}

static void __attribute__((format(printf, 3, 4)))
problem(struct loader *ld, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(ld, line, fmt, ap);
	va_end(ap);
}

/* "FILE:LINE: key 'x': why"; marks the key as dealt with. */
static void __attribute__((format(printf, 3, 4)))
bad(struct loader *ld, enum key k, const char *fmt, ...)
{
	char why[WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ld->ent[k].done = 1;
	problem(ld, ld->ent[k].line, "key '%s': %s", keydefs[k].name, why);
}

static const char *
val(struct loader *ld, enum key k)
{
	return ld->ent[k].done ? NULL : ld->ent[k].value;
}

static int
is_set(struct loader *ld, enum key k)
{
	return ld->ent[k].value != NULL;
}

static char *
dup(struct loader *ld, const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		ld->nomem = 1;
	return p;
}

/* Edit distance, for "did you mean"; keys are short. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, tmp, best;
	size_t row[64];

	if (la >= sizeof(row) / sizeof(row[0]) || lb >= 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/*
 * key as keys are spelt: lower case, with '_' for the '-', '.' and blanks
 * people write instead ("Group-By" -> "group_by").  "" when too long to
 * be any key.
 */
static void
key_spelling(const char *key, char out[64])
{
	size_t i;

	for (i = 0; key[i] != '\0' && i < 63; i++)
		out[i] = key[i] == '-' || key[i] == '.' || key[i] == ' ' ||
		    key[i] == '\t' ? '_' : (char)tolower((unsigned char)key[i]);
	out[key[i] == '\0' ? i : 0] = '\0';
}

/* An unknown key's message; the hint names a section of dir only. */
static void
unknown_key(struct loader *ld, const struct stray *st, enum job_direction dir)
{
	size_t k, d, bestd = 3 + 1;	/* up to two edits (+1: see below) */
	const char *best = NULL, *key = st->key;
	char spelt[64];
	int sd;

	key_spelling(key, spelt);
	for (k = 0; k < K_COUNT && spelt[0] != '\0'; k++) {
		if (keydefs[k].sec != st->sec)
			continue;
		/* A key spelt another way beats any typo. */
		d = strcmp(spelt, keydefs[k].name) == 0 ? 0 :
		    distance(spelt, keydefs[k].name) + 1;
		if (d < bestd) {
			bestd = d;
			best = keydefs[k].name;
		}
	}
	if (best != NULL) {
		problem(ld, st->line, "key '%s': unknown key in [%s] (did you "
		    "mean '%s'?)", key, sec_names[st->sec], best);
		return;
	}
	for (k = 0; k < K_COUNT && spelt[0] != '\0'; k++) {
		sd = sec_dir[keydefs[k].sec];
		if ((sd == -1 || sd == (int)dir) &&
		    strcmp(keydefs[k].name, spelt) == 0) {
			if (strcmp(key, spelt) == 0)
				problem(ld, st->line, "key '%s': unknown key "
				    "in [%s] (it belongs in [%s])", key,
				    sec_names[st->sec],
				    sec_names[keydefs[k].sec]);
			else
				problem(ld, st->line, "key '%s': unknown key "
				    "in [%s] (it belongs in [%s], spelt '%s')",
				    key, sec_names[st->sec],
				    sec_names[keydefs[k].sec], keydefs[k].name);
			return;
		}
	}
	if (st->malformed)
		problem(ld, st->line, "key '%s': unknown key in [%s] (keys "
		    "are lower case letters, digits and '_')", key,
		    sec_names[st->sec]);
	else
		problem(ld, st->line, "key '%s': unknown key in [%s]", key,
		    sec_names[st->sec]);
}

static void
add_stray(struct loader *ld, enum sec sec, const char *key, unsigned line,
    unsigned first, int malformed)
{
	struct stray *s;
	size_t cap;

	if (ld->nstrays == ld->capstrays) {
		cap = ld->capstrays ? ld->capstrays * 2 : 8;
		if ((s = realloc(ld->strays, cap * sizeof(*s))) == NULL) {
			ld->nomem = 1;
			return;
		}
		ld->strays = s;
		ld->capstrays = cap;
	}
	s = &ld->strays[ld->nstrays];
	if ((s->key = strdup(key)) == NULL) {
		ld->nomem = 1;
		return;
	}
	s->sec = sec;
	s->line = line;
	s->first = first;
	s->malformed = malformed;
	ld->nstrays++;
}

static int
on_entry(void *ctx, const char *section, const char *key, const char *value,
    unsigned line, struct xerr *err)
{
	struct loader *ld = ctx;
	size_t i;

	if (key == NULL) {
		for (i = 0; i < SEC_COUNT; i++) {
			if (strcmp(section, sec_names[i]) == 0) {
				ld->cur = (int)i;
				if (ld->sec_line[i] == 0)
					ld->sec_line[i] = line;
				return 0;
			}
		}
		ld->cur = CUR_SKIP;
		/* Keys of an unknown section are not reported one by one. */
		for (i = 0; i < SEC_COUNT; i++)
			if (distance(section, sec_names[i]) <= 2)
				break;
		if (i < SEC_COUNT)
			problem(ld, line, "unknown section '[%s]' (did you "
			    "mean '[%s]'?)", section, sec_names[i]);
		else
			problem(ld, line, "unknown section '[%s]'", section);
		return ld->nomem ? xerr_nomem(err) : 0;
	}
	if (ld->cur < 0)
		return 0;
	for (i = 0; i < K_COUNT; i++)
		if ((int)keydefs[i].sec == ld->cur &&
		    strcmp(keydefs[i].name, key) == 0)
			break;
	if (i == K_COUNT)
		add_stray(ld, (enum sec)ld->cur, key, line, 0, 0);
	else if (ld->ent[i].value != NULL)
		add_stray(ld, (enum sec)ld->cur, key, line, ld->ent[i].line,
		    0);
	else {
		ld->ent[i].value = dup(ld, value);
		ld->ent[i].line = line;
	}
	return ld->nomem ? xerr_nomem(err) : 0;
}

/*
 * A line the INI reader could not read.  A malformed key in a section we
 * know is an unknown key (so it gets a suggestion once the direction is
 * known); one in an unknown section is not reported, as no key there is;
 * anything else is reported as the reader says.  Reading goes on.
 */
static int
on_bad_line(void *ctx, const char *section, const char *bad_key,
    unsigned line, const struct xerr *why, struct xerr *err)
{
	struct loader *ld = ctx;

	(void)section;
	if (bad_key != NULL && ld->cur >= 0)
		add_stray(ld, (enum sec)ld->cur, bad_key, line, 0, 1);
	else if (bad_key == NULL || ld->cur == CUR_NONE) {
		add_problem(ld, line, why->msg);
		ld->broken_line = 1;
	}
	return ld->nomem ? xerr_nomem(err) : 0;
}

/* One of names (NULL-terminated); the index in *out.  -1: reported. */
static int
choose(struct loader *ld, enum key k, const char *const *names, int *out)
{
	char list[256];
	const char *v = val(ld, k);
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
	bad(ld, k, "expected %s", list);
	return -1;
}

static void
boolean(struct loader *ld, enum key k, int *out)
{
	char why[WHY_MAX];
	const char *v = val(ld, k);

	if (v != NULL && parse_bool(v, out, why, sizeof(why)) == -1)
		bad(ld, k, "%s", why);
}

/* A duration in milliseconds that must be > 0 unless zero_ok. */
static void
duration_ms(struct loader *ld, enum key k, int zero_ok, long *out)
{
	char why[WHY_MAX];
	const char *v = val(ld, k);
	long ms;

	if (v == NULL)
		return;
	if (parse_duration_ms(v, &ms, why, sizeof(why)) == -1)
		bad(ld, k, "%s", why);
	else if (ms == 0 && !zero_ok)
		bad(ld, k, "must be longer than 0");
	else
		*out = ms;
}

/* A duration in seconds that must be > 0 unless zero_ok. */
static void
duration_s(struct loader *ld, enum key k, int zero_ok, long *out)
{
	char why[WHY_MAX];
	const char *v = val(ld, k);
	long secs;

	if (v == NULL)
		return;
	if (parse_duration_s(v, &secs, why, sizeof(why)) == -1)
		bad(ld, k, "%s", why);
	else if (secs == 0 && !zero_ok)
		bad(ld, k, "must be longer than 0");
	else
		*out = secs;
}

static void
integer(struct loader *ld, enum key k, long min, long max, int *out)
{
	char why[WHY_MAX];
	const char *v = val(ld, k);
	long n;

	if (v == NULL)
		return;
	if (parse_long(v, min, max, &n, why, sizeof(why)) == -1)
		bad(ld, k, "%s", why);
	else
		*out = (int)n;
}

static void
string(struct loader *ld, enum key k, char **out)
{
	const char *v = val(ld, k);

	if (v != NULL)
		*out = dup(ld, v);
}

/* rel made absolute against the home (not resolved: symlinks stay). */
static char *
home_path(struct loader *ld, const char *rel)
{
	const char *sep = "/";
	size_t hl;
	char *p;

	if (rel[0] == '/' || ld->home == NULL || ld->home[0] == '\0')
		return dup(ld, rel);
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
static void
path(struct loader *ld, enum key k, int is_pattern, char **out)
{
	char why[WHY_MAX];
	const char *v = val(ld, k);

	if (v == NULL)
		return;
	if (v[0] == '~') {
		bad(ld, k, "'~' is not expanded; give an absolute path or one "
		    "relative to the home directory");
		return;
	}
	if (is_pattern && pattern_check(v, why, sizeof(why)) == -1) {
		bad(ld, k, "%s", why);
		return;
	}
	*out = home_path(ld, v);
}

static void
check_job(struct loader *ld)
{
	struct job *job = ld->job;
	char why[WHY_MAX];
	struct cron c;
	const char *v;
	long n;

	if ((v = val(ld, K_SCHEDULE)) != NULL) {
		if (cron_parse(v, &c, why, sizeof(why)) == -1)
			bad(ld, K_SCHEDULE, "%s", why);
		else
			job->schedule = dup(ld, v);
	}
	if ((v = val(ld, K_DATE)) != NULL) {
		if (strcmp(v, "today") == 0)
			job->date_offset = 0;
		else if (strcmp(v, "yesterday") == 0)
			job->date_offset = 1;
		else if (strncmp(v, "today-", 6) == 0 &&
		    parse_long(v + 6, 0, 3650, &n, why, sizeof(why)) == 0)
			job->date_offset = (int)n;
		else
			bad(ld, K_DATE, "expected today, yesterday or today-N "
			    "(N from 0 to 3650)");
	}
	if ((v = val(ld, K_TIMEZONE)) != NULL) {
		if (!tz_valid(v))
			bad(ld, K_TIMEZONE, "unknown time zone '%s' (expected "
			    "an IANA name such as Asia/Seoul or UTC)", v);
		else
			job->timezone = dup(ld, v);
	}
	if ((v = val(ld, K_CATCH_UP)) != NULL) {
		if (parse_duration_s(v, &n, why, sizeof(why)) == -1)
			bad(ld, K_CATCH_UP, "%s", why);
		else if (n % 86400 != 0)
			bad(ld, K_CATCH_UP, "must be whole days (e.g. 7d; 0 "
			    "turns catching up off)");
		else if (n / 86400 > 3650)
			bad(ld, K_CATCH_UP, "must be at most 3650d");
		else
			job->catch_up_days = (int)(n / 86400);
	}
	boolean(ld, K_ENABLED, &job->enabled);
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
static void
check_command(struct loader *ld, enum key k, struct strlist *argv,
    int file_ok)
{
	const char *v = val(ld, k), *why;
	char pwhy[WHY_MAX], *prog, *arg;
	size_t i;
	int rc;

	if (v == NULL)
		return;
	if (split_command(v, argv, &why) == -1) {
		if (why == NULL)
			ld->nomem = 1;
		else
			bad(ld, k, "%s", why);
		return;
	}
	if (argv->n == 0 || argv->v[0][0] == '\0') {
		bad(ld, k, "no program given");
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
			bad(ld, k, "argument '%s': %s%s", argv->v[i], pwhy,
			    file_ok && strncmp(pwhy, "unknown placeholder",
			    19) == 0 ? "; {file} is the received file" : "");
			return;
		}
	}
	/* A bare program name is looked up in PATH when it runs; one with a
	 * '/' is a file, relative to the home like every other path. */
	prog = argv->v[0];
	if (prog[0] == '~') {
		bad(ld, k, "'~' is not expanded; give an absolute "
		    "path or one relative to the home directory");
		return;
	}
	if (strchr(prog, '/') != NULL && prog[0] != '/') {
		if ((argv->v[0] = home_path(ld, prog)) == NULL) {
			argv->v[0] = prog;
			return;
		}
		free(prog);
	}
}

/* A key that only some types of its section use, and which. */
struct only {
	enum key k;
	unsigned types;		/* bit per type */
	const char *which;
};

/* Report the keys of table that type does not use. */
static void
only_for(struct loader *ld, const struct only *table, size_t n, int type,
    const char *const *names)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (val(ld, table[i].k) != NULL &&
		    !(table[i].types & 1u << type))
			bad(ld, table[i].k, "not used with type = %s (only "
			    "with type = %s)", names[type], table[i].which);
}

/* Keys of [source] that only some types use (bit per enum src_type). */
static const struct only src_only[] = {
	{ K_SRC_PATH, 1u << SRC_CSV | 1u << SRC_JSONL, "csv or jsonl" },
	/* A command says its input is missing by failing: not for it. */
	{ K_SRC_REQUIRED, 1u << SRC_CSV | 1u << SRC_JSONL | 1u << SRC_SQLITE,
	    "csv, jsonl or sqlite" },
	{ K_SRC_DATABASE, 1u << SRC_SQLITE, "sqlite" },
	{ K_SRC_QUERY, 1u << SRC_SQLITE, "sqlite" },
	{ K_SRC_COMMAND, 1u << SRC_COMMAND, "command" },
	{ K_SRC_FORMAT, 1u << SRC_COMMAND, "command" },
	{ K_SRC_TIMEOUT, 1u << SRC_COMMAND, "command" },
};

static void
check_source(struct loader *ld, int *typep)
{
	struct job_source *src = &ld->job->source;
	int type = -1, fmt;

	if (choose(ld, K_SRC_TYPE, src_types, &type) == 0)
		src->type = (enum src_type)type;
	*typep = type;
	if (type >= 0)
		only_for(ld, src_only, sizeof(src_only) / sizeof(*src_only),
		    type, src_types);
	path(ld, K_SRC_PATH, 1, &src->path);
	string(ld, K_SRC_DATE_FIELD, &src->date_field);
	boolean(ld, K_SRC_REQUIRED, &src->required);
	path(ld, K_SRC_READY_FILE, 1, &src->ready_file);
	path(ld, K_SRC_DATABASE, 1, &src->database);
	string(ld, K_SRC_QUERY, &src->query);
	check_command(ld, K_SRC_COMMAND, &src->command, 0);
	if (choose(ld, K_SRC_FORMAT, cmd_formats, &fmt) == 0)
		src->format = fmt == 0 ? FMT_CSV : FMT_JSONL;
	duration_s(ld, K_SRC_TIMEOUT, 0, &src->timeout_s);
}

/* A comma list with no item twice. */
static void
list(struct loader *ld, enum key k, struct strlist *out)
{
	const char *v = val(ld, k);
	size_t i, j;

	if (v == NULL)
		return;
	if (strlist_split_commas(out, v) == -1) {
		if (errno == ENOMEM)
			ld->nomem = 1;
		else
			bad(ld, k, "empty item in the list (expected names "
			    "separated by commas)");
		return;
	}
	for (i = 1; i < out->n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(out->v[i], out->v[j]) == 0) {
				bad(ld, k, "field '%s' is listed twice",
				    out->v[i]);
				return;
			}
		}
	}
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
		bad(ld, k, "column '%s' would appear twice in the output",
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

	integer(ld, K_AGG_SCALE, 0, 18, &scale);
	if (choose(ld, K_AGG_ROUNDING, roundings, &mode) == 0)
		agg->rounding = (enum decimal_rounding)mode;
	if (is_set(ld, K_AGG_SCALE) && !ld->ent[K_AGG_SCALE].done &&
	    !is_set(ld, K_AGG_SUM) && !is_set(ld, K_AGG_MIN) &&
	    !is_set(ld, K_AGG_MAX)) {
		bad(ld, K_AGG_SCALE, "applies to sum, min and max columns, "
		    "and this job has none (records that pass through keep "
		    "their text)");
		scale = -1;
	}
	if (is_set(ld, K_AGG_ROUNDING) && !is_set(ld, K_AGG_SCALE) &&
	    !ld->ent[K_AGG_ROUNDING].done)
		bad(ld, K_AGG_ROUNDING, "needs scale (without scale nothing "
		    "is rounded: each column gets the most decimals seen in "
		    "it)");
	agg->scale = scale;
}

static void
check_aggregate(struct loader *ld)
{
	struct job_aggregate *agg = &ld->job->aggregate;
	struct strlist cols = { 0, NULL, 0 };
	static const enum key aggkeys[] = { K_AGG_GROUP_BY, K_AGG_COUNT,
		K_AGG_SUM, K_AGG_MIN, K_AGG_MAX };
	size_t i;

	list(ld, K_AGG_GROUP_BY, &agg->group_by);
	string(ld, K_AGG_COUNT, &agg->count);
	list(ld, K_AGG_SUM, &agg->sum);
	list(ld, K_AGG_MIN, &agg->min);
	list(ld, K_AGG_MAX, &agg->max);
	list(ld, K_AGG_FIELDS, &agg->fields);
	for (i = 0; i < sizeof(aggkeys) / sizeof(*aggkeys); i++)
		if (is_set(ld, aggkeys[i]))
			agg->enabled = 1;
	check_scale(ld, agg);
	if (agg->enabled && val(ld, K_AGG_FIELDS) != NULL) {
		bad(ld, K_AGG_FIELDS, "cannot be combined with group_by, "
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

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

/* The format a name's extension gives (".gz"/".zip" looked through);
 * -1: an extension that names none. */
static int
format_of_ext(const char *name)
{
	size_t len = strlen(name);

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

/* The format of an output file named name: csv unless it says otherwise. */
static enum out_format
format_from_name(const char *name)
{
	int f = format_of_ext(name);

	return f < 0 ? FMT_CSV : (enum out_format)f;
}

/* One character other than '"', CR or LF; "tab" or "\t" for a tab. */
static void
delimiter(struct loader *ld, enum key k, char *out)
{
	const char *v = val(ld, k);

	if (v == NULL)
		return;
	if (strcmp(v, "\\t") == 0 || strcasecmp(v, "tab") == 0)
		*out = '\t';
	else if (strlen(v) != 1 || strchr("\"\r\n", v[0]) != NULL)
		bad(ld, k, "expected one character other than '\"', CR or LF "
		    "(or tab)");
	else
		*out = v[0];
}

/*
 * The fewest bytes a name made by pat (glob 0: used as it is) or matched
 * by it (glob 1: '*' may match nothing, '?' and a '[...]' set one byte)
 * can have, on a date whose names are the longest (a Wednesday in
 * September, for %A and %B), or -1 if pat cannot be expanded.  A name no
 * file system can hold is then a configuration error, not a batch that
 * fails every day or a pattern that never matches.
 */
static long
shortest_name(struct loader *ld, const char *pat, int glob)
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

static void
check_output(struct loader *ld)
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

	if ((v = val(ld, K_OUT_NAME)) != NULL) {
		if (pattern_check(v, why, sizeof(why)) == -1)
			bad(ld, K_OUT_NAME, "%s", why);
		else if (strchr(v, '/') != NULL)
			bad(ld, K_OUT_NAME, "must be a file name, without '/'");
		else if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
			bad(ld, K_OUT_NAME, "'%s' is not a file name", v);
		else if ((len = shortest_name(ld, v, 0)) > 240)
			bad(ld, K_OUT_NAME, "gives names of %ld bytes; at most "
			    "240 are possible (a name has at most %d, and "
			    "'.manifest.json' must fit after it)", len,
			    NAME_MAX);
		else {
			out->name = dup(ld, v);
			out->format = format_from_name(v);
		}
	}
	if (choose(ld, K_OUT_FORMAT, out_formats, &n) == 0)
		out->format = (enum out_format)n;
	if (out->format != FMT_CSV) {
		for (i = 0; i < sizeof(csv_only) / sizeof(*csv_only); i++)
			if (val(ld, csv_only[i]) != NULL)
				bad(ld, csv_only[i], "only used with format = "
				    "csv, not %s", out_formats[out->format]);
	}
	string(ld, K_OUT_DATE_COLUMN, &out->date_column);
	boolean(ld, K_OUT_HEADER, &out->header);
	delimiter(ld, K_OUT_DELIMITER, &out->delimiter);
	if (choose(ld, K_OUT_LINE_ENDING, line_endings, &n) == 0)
		out->crlf = n == 1;
	if (choose(ld, K_OUT_EMPTY, empties, &n) == 0)
		out->empty = n == 0 ? EMPTY_HEADER : EMPTY_ZERO;
	if (choose(ld, K_OUT_COMPRESS, compresses, &n) == 0)
		out->compress = n == 0 ? COMPRESS_NONE : n == 1 ?
		    COMPRESS_GZIP : COMPRESS_ZIP;
	if (choose(ld, K_OUT_MANIFEST, manifests, &n) == 0)
		out->manifest = n == 0 ? MANIFEST_NONE : n == 1 ?
		    MANIFEST_SHA256 : MANIFEST_JSON;
	boolean(ld, K_OUT_FORMULA_GUARD, &out->formula_guard);
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
	const char *v = val(ld, k);
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
		bad(ld, k, "expected the base64 SHA-256 "
		    "fingerprint of the host key (43 characters, as "
		    "'ssh-keygen -lf' prints after 'SHA256:')");
		return;
	}
	ld->job->upload.host_key_sha256 = strndup(v, 43);
	if (ld->job->upload.host_key_sha256 == NULL)
		ld->nomem = 1;
}

/*
 * Key k as a server URL into *out.  local_ok ([upload]): also file:///dir/
 * or a directory on this machine; otherwise ([inbox] url) sftp:// and
 * https:// only, as a local inbox is given with path.
 */
static void
check_url(struct loader *ld, enum key k, int local_ok, char **out)
{
	const char *v = val(ld, k), *sep, *rest;
	size_t slen, i;

	if (v == NULL)
		return;
	if ((sep = strstr(v, "://")) == NULL) {
		/* A plain directory on this machine. */
		if (local_ok)
			path(ld, k, 0, out);
		else
			bad(ld, k, "expected an sftp:// or https:// URL (a "
			    "local directory is given with path)");
		return;
	}
	slen = (size_t)(sep - v);
	rest = sep + 3;
	if (slen == 4 && strncasecmp(v, "http", 4) == 0) {
		bad(ld, k, "plain http is not allowed; use https://");
		return;
	}
	if ((slen == 4 && strncasecmp(v, "sftp", 4) == 0) ||
	    (slen == 5 && strncasecmp(v, "https", 5) == 0)) {
		if (*rest == '\0' || *rest == '/') {
			bad(ld, k, "no host name in '%s'", v);
			return;
		}
	} else if (local_ok && slen == 4 && strncasecmp(v, "file", 4) == 0) {
		if (*rest != '/') {
			bad(ld, k, "a file URL must name an absolute "
			    "directory on this machine (file:///dir/)");
			return;
		}
	} else if (local_ok) {
		bad(ld, k, "unsupported scheme '%.*s://' (expected "
		    "sftp://, https://, file:/// or a directory)",
		    (int)(slen < 32 ? slen : 32), v);
		return;
	} else {
		bad(ld, k, "unsupported scheme '%.*s://' (expected "
		    "sftp:// or https://; a local directory is given with "
		    "path)", (int)(slen < 32 ? slen : 32), v);
		return;
	}
	/* The scheme in lower case, so users of the URL need one spelling. */
	if ((*out = dup(ld, v)) == NULL)
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
	const char *v = val(ld, k);
	size_t i;

	if (v == NULL || strcmp(v, "none") == 0)
		return;
	for (i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
		if (strncasecmp(v, schemes[i], strlen(schemes[i])) == 0 &&
		    v[strlen(schemes[i])] != '\0') {
			ld->job->upload.proxy = dup(ld, v);
			return;
		}
	}
	bad(ld, k, "expected none or a proxy URL (http://, "
	    "https://, socks4://, socks4a://, socks5:// or socks5h://)");
}

/* The connection keys ck (up_conn or in_conn) into job->upload. */
static void
check_conn(struct loader *ld, const enum key *ck)
{
	struct job_upload *up = &ld->job->upload;

	string(ld, ck[C_USER], &up->user);
	path(ld, ck[C_IDENTITY], 0, &up->identity);
	path(ld, ck[C_PASSPHRASE_FILE], 0, &up->passphrase_file);
	path(ld, ck[C_KNOWN_HOSTS], 0, &up->known_hosts);
	check_host_key(ld, ck[C_HOST_KEY_SHA256]);
	path(ld, ck[C_PASSWORD_FILE], 0, &up->password_file);
	path(ld, ck[C_CA_FILE], 0, &up->ca_file);
	path(ld, ck[C_CLIENT_CERT], 0, &up->client_cert);
	path(ld, ck[C_CLIENT_KEY], 0, &up->client_key);
	integer(ld, ck[C_RETRIES], 0, 100, &up->retries);
	duration_ms(ld, ck[C_RETRY_DELAY], 1, &up->retry_delay_ms);
	duration_ms(ld, ck[C_CONNECT_TIMEOUT], 0, &up->connect_timeout_ms);
	duration_ms(ld, ck[C_STALL_TIMEOUT], 0, &up->stall_timeout_ms);
	check_proxy(ld, ck[C_PROXY]);
}

static void
check_upload(struct loader *ld)
{
	struct job_upload *up = &ld->job->upload;
	const char *v;
	int n;

	check_url(ld, K_UP_URL, 1, &up->url);
	check_conn(ld, up_conn);
	if ((v = val(ld, K_UP_TEMP_SUFFIX)) != NULL) {
		if (strchr(v, '/') != NULL)
			bad(ld, K_UP_TEMP_SUFFIX, "must not contain '/'");
		else {
			free(up->temp_suffix);
			up->temp_suffix = dup(ld, v);
		}
	}
	if (choose(ld, K_UP_ON_EXISTS, (const char *const[]){ "replace",
	    "fail", NULL }, &n) == 0)
		up->on_exists = n == 0 ? ON_EXISTS_REPLACE : ON_EXISTS_FAIL;
	integer(ld, K_UP_MAX_ATTEMPTS, 1, 1000, &up->max_attempts);
}

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
	const char *v = val(ld, K_IN_PATTERN);
	long len;

	if (v == NULL)
		return;
	if (pattern_check(v, why, sizeof(why)) == -1)
		bad(ld, K_IN_PATTERN, "%s", why);
	else if (strchr(v, '/') != NULL)
		bad(ld, K_IN_PATTERN, "must match file names, without '/' (the "
		    "directory is path or url)");
	else if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		bad(ld, K_IN_PATTERN, "'%s' is not a file name", v);
	else if (glob_sets(v) == -1)
		bad(ld, K_IN_PATTERN, "a '[...]' set must be closed and not "
		    "empty");
	else if ((len = shortest_name(ld, v, 1)) > NAME_MAX)
		bad(ld, K_IN_PATTERN, "matches only names of %ld bytes or "
		    "more; no file can have one (at most %d)", len, NAME_MAX);
	else
		ld->job->inbox.pattern = dup(ld, v);
}

static void
check_after_pull(struct loader *ld)
{
	struct job_inbox *in = &ld->job->inbox;
	const char *v = val(ld, K_IN_AFTER_PULL), *dir;

	if (v == NULL)
		return;
	if (strcmp(v, "delete") == 0)
		in->after_pull = AFTER_PULL_DELETE;
	else if (strcmp(v, "keep") == 0)
		in->after_pull = AFTER_PULL_KEEP;
	else if (strncmp(v, "move:", 5) == 0) {
		dir = v + 5 + strspn(v + 5, " \t");
		if (*dir == '\0') {
			bad(ld, K_IN_AFTER_PULL, "move: needs the directory to "
			    "move pulled files to (move:DIR)");
			return;
		}
		in->after_pull = AFTER_PULL_MOVE;
		in->after_pull_dir = dup(ld, dir);
	} else
		bad(ld, K_IN_AFTER_PULL, "expected delete, keep or move:DIR");
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
	const char *v = val(ld, K_IN_EXPECT);
	int h, m;

	if (v == NULL)
		return;
	if (strlen(v) != 5 || v[2] != ':' || v[0] < '0' || v[0] > '2' ||
	    v[1] < '0' || v[1] > '9' || v[3] < '0' || v[3] > '5' ||
	    v[4] < '0' || v[4] > '9' ||
	    (h = (v[0] - '0') * 10 + (v[1] - '0')) > 23) {
		bad(ld, K_IN_EXPECT, "'%s' is not a time of day: expected "
		    "HH:MM from 00:00 to 23:59 (e.g. 06:00)", v);
		return;
	}
	m = (v[3] - '0') * 10 + (v[4] - '0');
	if (job->inbox.pattern != NULL &&
	    !pattern_has_date(job->inbox.pattern) && job->date_offset != 0) {
		bad(ld, K_IN_EXPECT, "the pattern has no {date...}: a file's "
		    "batch date is then the day it is picked up, so only "
		    "date = today can be expected (set it in [job], or put "
		    "{date...} in pattern)");
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

	if (is_set(ld, K_IN_PATH) && is_set(ld, K_IN_URL))
		bad(ld, K_IN_URL, "cannot be combined with path (an inbox is "
		    "a local directory or a URL, not both)");
	else if (is_set(ld, K_IN_PATH)) {
		if (val(ld, K_IN_AFTER_PULL) != NULL)
			bad(ld, K_IN_AFTER_PULL, "not used with path (only "
			    "with url)");
		for (i = 0; i < C_COUNT; i++)
			if (val(ld, in_conn[i]) != NULL)
				bad(ld, in_conn[i], "not used with path (only "
				    "with url)");
	}
	if ((v = val(ld, K_IN_PATH)) != NULL && strstr(v, "://") != NULL)
		bad(ld, K_IN_PATH, "expected a local directory (a server to "
		    "pull from is given with url)");
	path(ld, K_IN_PATH, 0, &in->path);
	check_url(ld, K_IN_URL, 0, &in->url);
	/* The transports read the server from job->upload. */
	if (in->url != NULL)
		ld->job->upload.url = dup(ld, in->url);
	check_conn(ld, in_conn);
	check_after_pull(ld);

	check_pattern(ld);
	if (choose(ld, K_IN_FORMAT, out_formats, &n) == 0)
		in->format = n;
	fmt = in->format;
	if (fmt < 0 && in->pattern != NULL)
		fmt = format_of_ext(in->pattern);
	if (fmt == FMT_JSON || fmt == FMT_JSONL) {
		for (i = 0; i < sizeof(csv_only) / sizeof(*csv_only); i++)
			if (val(ld, csv_only[i]) != NULL)
				bad(ld, csv_only[i], "only used with format = "
				    "csv, not %s%s", out_formats[fmt],
				    in->format < 0 ? " (from the pattern's "
				    "extension)" : "");
	}
	delimiter(ld, K_IN_DELIMITER, &in->delimiter);
	boolean(ld, K_IN_HEADER, &in->header);
	duration_s(ld, K_IN_SETTLE, 1, &in->settle_s);
	boolean(ld, K_IN_REQUIRE_MANIFEST, &in->require_manifest);
	if (!in->require_manifest && !ld->ent[K_IN_REQUIRE_MANIFEST].done &&
	    val(ld, K_IN_MANIFEST_TIMEOUT) != NULL)
		bad(ld, K_IN_MANIFEST_TIMEOUT, "only used with "
		    "require_manifest = yes");
	duration_s(ld, K_IN_MANIFEST_TIMEOUT, 0, &in->manifest_timeout_s);
	check_expect(ld);
	if ((v = val(ld, K_IN_MAX_SIZE)) != NULL) {
		if (parse_size(v, &bytes, why, sizeof(why)) == -1)
			bad(ld, K_IN_MAX_SIZE, "%s", why);
		else if (bytes == 0)
			bad(ld, K_IN_MAX_SIZE, "must be more than 0");
		else if (bytes > (uint64_t)LLONG_MAX)
			bad(ld, K_IN_MAX_SIZE, "is too large");
		else
			in->max_size = (long long)bytes;
	}
}

static const char *const ingest_types[] = { "sqlite", "command", "none",
	NULL };

/* Keys of [ingest] that only some types use (bit per enum ingest_type). */
static const struct only ingest_only[] = {
	{ K_ING_DATABASE, 1u << INGEST_SQLITE, "sqlite" },
	{ K_ING_TABLE, 1u << INGEST_SQLITE, "sqlite" },
	{ K_ING_MODE, 1u << INGEST_SQLITE, "sqlite" },
	{ K_ING_DATE_COLUMN, 1u << INGEST_SQLITE, "sqlite" },
	{ K_ING_COMMAND, 1u << INGEST_COMMAND, "command" },
	{ K_ING_TIMEOUT, 1u << INGEST_COMMAND, "command" },
};

/* A table name goes into SQL unquoted by nobody's mistake only if it is a
 * plain identifier; xfer_ names are for xfer's own bookkeeping tables. */
static void
check_table(struct loader *ld)
{
	const char *v = val(ld, K_ING_TABLE);
	size_t len, i;

	if (v == NULL)
		return;
	len = strlen(v);
	for (i = 0; i < len; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= 'a' && v[i] <= 'z') || v[i] == '_' ||
		    (i > 0 && v[i] >= '0' && v[i] <= '9')))
			break;
	if (i != len || len > 64)
		bad(ld, K_ING_TABLE, "'%s' is not a table name (a letter or "
		    "'_', then letters, digits or '_', at most 64)", v);
	else if (strncasecmp(v, "xfer_", 5) == 0)
		bad(ld, K_ING_TABLE, "names starting with 'xfer_' are "
		    "reserved for xfer's own tables");
	else
		ld->job->ingest.table = dup(ld, v);
}

static void
check_ingest(struct loader *ld, int *typep)
{
	struct job_ingest *ing = &ld->job->ingest;
	int type = -1, n;

	if (choose(ld, K_ING_TYPE, ingest_types, &type) == 0)
		ing->type = (enum ingest_type)type;
	*typep = type;
	if (type >= 0)
		only_for(ld, ingest_only, sizeof(ingest_only) /
		    sizeof(*ingest_only), type, ingest_types);
	path(ld, K_ING_DATABASE, 1, &ing->database);
	check_table(ld);
	if (choose(ld, K_ING_MODE, (const char *const[]){ "append",
	    "replace-date", NULL }, &n) == 0)
		ing->mode = n == 0 ? MODE_APPEND : MODE_REPLACE_DATE;
	string(ld, K_ING_DATE_COLUMN, &ing->date_column);
	if (type == INGEST_SQLITE && ing->date_column == NULL)
		ing->date_column = dup(ld, "date");
	list(ld, K_ING_COLUMNS, &ing->columns);
	/* With the expected header known, replace-date can be checked now
	 * rather than on the first file. */
	if (ing->mode == MODE_REPLACE_DATE && ing->date_column != NULL &&
	    ing->columns.n > 0 && !ld->ent[K_ING_COLUMNS].done &&
	    !strlist_contains(&ing->columns, ing->date_column)) {
		if (is_set(ld, K_ING_DATE_COLUMN))
			bad(ld, K_ING_DATE_COLUMN, "column '%s' is not in "
			    "columns", ing->date_column);
		else
			bad(ld, K_ING_MODE, "replace-date deletes by column "
			    "'%s', which is not in columns (set date_column)",
			    ing->date_column);
	}
	check_command(ld, K_ING_COMMAND, &ing->command, 1);
	duration_s(ld, K_ING_TIMEOUT, 0, &ing->timeout_s);
}

static void
check_backup(struct loader *ld)
{
	struct job_backup *bk = &ld->job->backup;
	const char *v;
	int n;

	path(ld, K_BK_PATH, 1, &bk->path);
	if (!is_set(ld, K_BK_PATH))
		bk->path = home_path(ld, "spool/{job}/backup/{date:%Y/%m/%d}");
	if ((v = val(ld, K_BK_COMPRESS)) != NULL && strcmp(v, "zip") == 0)
		bad(ld, K_BK_COMPRESS, "zip is not used for backups (expected "
		    "none or gzip)");
	else if (choose(ld, K_BK_COMPRESS, (const char *const[]){ "none",
	    "gzip", NULL }, &n) == 0)
		bk->compress = n == 0 ? COMPRESS_NONE : COMPRESS_GZIP;
	integer(ld, K_BK_KEEP_DAYS, 0, 36500, &bk->keep_days);
}

static void
check_receive(struct loader *ld, int *typep)
{
	static const enum key send_only[] = { K_CATCH_UP };
	size_t i;

	for (i = 0; i < sizeof(send_only) / sizeof(*send_only); i++)
		if (val(ld, send_only[i]) != NULL)
			bad(ld, send_only[i], "not used in receive jobs (only "
			    "in send jobs)");
	/* A receive job's date only names the batch expect waits for. */
	if (val(ld, K_DATE) != NULL && !is_set(ld, K_IN_EXPECT))
		bad(ld, K_DATE, "only used with [inbox] expect in receive jobs "
		    "(it names the batch date expect waits for)");
	check_job(ld);
	check_inbox(ld);
	check_ingest(ld, typep);
	check_backup(ld);
	if (!ld->job->inbox.header && !is_set(ld, K_ING_COLUMNS))
		bad(ld, K_IN_HEADER, "header = no needs the field names in "
		    "[ingest] columns");
}

static void
require(struct loader *ld, enum key k)
{
	if (!is_set(ld, k))
		problem(ld, 0, "key '%s' is required in [%s]",
		    keydefs[k].name, sec_names[keydefs[k].sec]);
}

static void
check_required(struct loader *ld, int type)
{
	require(ld, K_DIRECTION);
	require(ld, K_SRC_TYPE);
	switch (type) {
	case SRC_CSV:
	case SRC_JSONL:
		require(ld, K_SRC_PATH);
		break;
	case SRC_SQLITE:
		require(ld, K_SRC_DATABASE);
		require(ld, K_SRC_QUERY);
		break;
	case SRC_COMMAND:
		require(ld, K_SRC_COMMAND);
		break;
	}
	require(ld, K_OUT_NAME);
	require(ld, K_UP_URL);
}

static void
check_required_receive(struct loader *ld, int type)
{
	require(ld, K_DIRECTION);
	if (!is_set(ld, K_IN_PATH) && !is_set(ld, K_IN_URL))
		problem(ld, 0, "key 'path' or 'url' is required in [inbox]");
	require(ld, K_IN_PATTERN);
	require(ld, K_ING_TYPE);
	switch (type) {
	case INGEST_SQLITE:
		require(ld, K_ING_DATABASE);
		require(ld, K_ING_TABLE);
		break;
	case INGEST_COMMAND:
		require(ld, K_ING_COMMAND);
		break;
	}
}

/* The job's name from its file name; NULL (reported) if unusable. */
static char *
job_name(struct loader *ld, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len, i;
	char *name;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".job") == 0)
		len -= 4;
	for (i = 0; i < len; i++)
		if (!((base[i] >= 'A' && base[i] <= 'Z') ||
		    (base[i] >= 'a' && base[i] <= 'z') ||
		    (base[i] >= '0' && base[i] <= '9') ||
		    (i > 0 && strchr("._-", base[i]) != NULL)))
			break;
	if (len == 0 || i != len || len > JOB_NAME_MAX) {
		problem(ld, 0, "job name '%.*s' is not valid (a letter or "
		    "digit, then letters, digits, '.', '_' or '-', at most "
		    "%d)", (int)(len < 100 ? len : 100), base, JOB_NAME_MAX);
		return NULL;
	}
	if ((name = strndup(base, len)) == NULL)
		ld->nomem = 1;
	return name;
}

static struct job *
job_new(void)
{
	struct job *job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return NULL;
	job->direction = DIR_SEND;
	job->enabled = 1;
	job->date_offset = 1;
	job->catch_up_days = 7;
	job->aggregate.scale = -1;
	job->aggregate.rounding = DECIMAL_HALF_EVEN;
	job->source.format = FMT_CSV;
	/* Missing input is not an empty day: a batch without its input
	 * fails unless the job says so (SPEC.md section 4). */
	job->source.required = 1;
	job->source.timeout_s = 600;
	job->output.format = FMT_CSV;
	job->output.header = 1;
	job->output.delimiter = ',';
	job->output.empty = EMPTY_HEADER;
	job->output.compress = COMPRESS_NONE;
	job->output.manifest = MANIFEST_SHA256;
	job->upload.on_exists = ON_EXISTS_REPLACE;
	job->upload.retries = 3;
	job->upload.retry_delay_ms = 2000;
	job->upload.connect_timeout_ms = 30000;
	job->upload.stall_timeout_ms = 60000;
	job->upload.max_attempts = 10;
	job->inbox.format = -1;
	job->inbox.delimiter = ',';
	job->inbox.header = 1;
	job->inbox.settle_s = 60;
	job->inbox.manifest_timeout_s = 3600;
	job->inbox.after_pull = AFTER_PULL_DELETE;
	job->inbox.max_size = 10LL << 30;
	job->inbox.expect_min = -1;
	job->ingest.type = INGEST_NONE;
	job->ingest.mode = MODE_APPEND;
	job->ingest.timeout_s = 600;
	job->backup.compress = COMPRESS_NONE;
	job->backup.keep_days = 90;
	if ((job->upload.temp_suffix = strdup(".part")) == NULL) {
		free(job);
		return NULL;
	}
	return job;
}

/* The line of an INI syntax error, from its "FILE:LINE: " prefix. */
static unsigned
ini_line(const char *file, const char *msg)
{
	size_t fl = strlen(file);
	unsigned long n;
	char *end;

	if (strncmp(msg, file, fl) != 0 || msg[fl] != ':')
		return 0;
	n = strtoul(msg + fl + 1, &end, 10);
	if (end == msg + fl + 1 || *end != ':' || n > 0xffffffUL)
		return 0;
	return (unsigned)n;
}

/* The direction to check the file as (see the header comment). */
static enum job_direction
direction_of(struct loader *ld)
{
	const char *v = ld->ent[K_DIRECTION].value;
	int send = 0, receive = 0;
	size_t i;

	if (v != NULL && strcmp(v, "send") == 0)
		return DIR_SEND;
	if (v != NULL && strcmp(v, "receive") == 0)
		return DIR_RECEIVE;
	for (i = 0; i < SEC_COUNT; i++) {
		if (ld->sec_line[i] == 0)
			continue;
		if (sec_dir[i] == DIR_SEND)
			send = 1;
		else if (sec_dir[i] == DIR_RECEIVE)
			receive = 1;
	}
	return receive && !send ? DIR_RECEIVE : DIR_SEND;
}

/*
 * Refuse the first section of the other direction, ignore the keys of all
 * of them, and report the unknown and duplicate keys of the others.
 */
static void
other_direction(struct loader *ld, enum job_direction dir)
{
	size_t i, k, first = SEC_COUNT;
	struct stray *s;

	for (i = 0; i < SEC_COUNT; i++)
		if (ld->sec_line[i] != 0 && sec_dir[i] != -1 &&
		    sec_dir[i] != (int)dir && (first == SEC_COUNT ||
		    ld->sec_line[i] < ld->sec_line[first]))
			first = i;
	if (first != SEC_COUNT)
		problem(ld, ld->sec_line[first], "unknown section '[%s]' (it "
		    "belongs in %s jobs)", sec_names[first],
		    dir == DIR_SEND ? "receive" : "send");
	for (k = 0; k < K_COUNT; k++)
		if (sec_dir[keydefs[k].sec] != -1 &&
		    sec_dir[keydefs[k].sec] != (int)dir)
			ld->ent[k].done = 1;
	for (i = 0; i < ld->nstrays; i++) {
		s = &ld->strays[i];
		if (sec_dir[s->sec] != -1 && sec_dir[s->sec] != (int)dir)
			continue;
		if (s->first == 0)
			unknown_key(ld, s, dir);
		else
			problem(ld, s->line, "key '%s': duplicate key in [%s] "
			    "(first set on line %u)", s->key,
			    sec_names[s->sec], s->first);
	}
}

static int
cmp_problem(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	unsigned lx = x->line ? x->line : ~0u, ly = y->line ? y->line : ~0u;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
job_load(const char *home, const char *path, struct job **out,
    struct strlist *errors)
{
	struct loader ld;
	struct xerr err;
	enum job_direction dir;
	const char *v;
	int syntax_ok, type = -1, rc = -1;
	unsigned line;
	size_t i, k;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.home = home;
	ld.file = path;
	ld.cur = CUR_NONE;
	xerr_clear(&err);
	if ((ld.job = job_new()) == NULL)
		goto nomem;
	if ((ld.job->file = strdup(path)) == NULL)
		goto nomem;
	ld.job->name = job_name(&ld, path);

	syntax_ok = ini_parse_file_all(path, on_entry, on_bad_line, &ld,
	    &err) == 0;
	if (ld.nomem || (!syntax_ok && err.cls == XERR_NOMEM))
		goto nomem;
	if (!syntax_ok) {
		/* The INI reader's message names the file (and line). */
		line = ini_line(path, err.msg);
		add_problem(&ld, line, err.msg);
		if (ld.nomem)
			goto nomem;
		if (line == 0)
			goto report;	/* unreadable: nothing more to say */
	}
	if (ld.broken_line)
		syntax_ok = 0;
	dir = direction_of(&ld);
	ld.job->direction = dir;
	other_direction(&ld, dir);
	for (k = 0; k < K_COUNT; k++)
		if (!ld.ent[k].done && ld.ent[k].value != NULL &&
		    ld.ent[k].value[0] == '\0')
			bad(&ld, (enum key)k, "empty value");

	if ((v = val(&ld, K_DIRECTION)) != NULL && strcmp(v, "send") != 0 &&
	    strcmp(v, "receive") != 0)
		bad(&ld, K_DIRECTION, "expected send or receive");
	if (dir == DIR_SEND) {
		check_job(&ld);
		check_source(&ld, &type);
		check_output(&ld);
		check_aggregate(&ld);
		check_upload(&ld);
		if (syntax_ok)
			check_required(&ld, type);
	} else {
		check_receive(&ld, &type);
		if (syntax_ok)
			check_required_receive(&ld, type);
	}
	if (ld.nomem)
		goto nomem;
	if (ld.nprobs == 0) {
		*out = ld.job;
		ld.job = NULL;
		rc = 0;
	}
	goto report;
nomem:
	/* Not a problem of the file: the caller says what ran out. */
	rc = -2;
	goto done;
report:
	if (ld.nprobs > 1)
		qsort(ld.probs, ld.nprobs, sizeof(*ld.probs), cmp_problem);
	for (i = 0; i < ld.nprobs; i++) {
		strlist_take(errors, ld.probs[i].msg);
		ld.probs[i].msg = NULL;
	}
done:
	for (i = 0; i < ld.nprobs; i++)
		free(ld.probs[i].msg);
	free(ld.probs);
	for (k = 0; k < K_COUNT; k++)
		free(ld.ent[k].value);
	for (i = 0; i < ld.nstrays; i++)
		free(ld.strays[i].key);
	free(ld.strays);
	job_free(ld.job);
	return rc;
}

void
job_free(struct job *job)
{
	struct job_upload *up;

	if (job == NULL)
		return;
	free(job->name);
	free(job->file);
	free(job->schedule);
	free(job->timezone);
	free(job->source.path);
	free(job->source.date_field);
	free(job->source.ready_file);
	free(job->source.database);
	free(job->source.query);
	strlist_free(&job->source.command);
	strlist_free(&job->aggregate.group_by);
	free(job->aggregate.count);
	strlist_free(&job->aggregate.sum);
	strlist_free(&job->aggregate.min);
	strlist_free(&job->aggregate.max);
	strlist_free(&job->aggregate.fields);
	free(job->output.name);
	free(job->output.date_column);
	up = &job->upload;
	free(up->url);
	free(up->user);
	free(up->identity);
	free(up->passphrase_file);
	free(up->known_hosts);
	free(up->host_key_sha256);
	free(up->password_file);
	free(up->ca_file);
	free(up->client_cert);
	free(up->client_key);
	free(up->temp_suffix);
	free(up->proxy);
	free(job->inbox.path);
	free(job->inbox.url);
	free(job->inbox.pattern);
	free(job->inbox.after_pull_dir);
	free(job->ingest.database);
	free(job->ingest.table);
	free(job->ingest.date_column);
	strlist_free(&job->ingest.columns);
	strlist_free(&job->ingest.command);
	free(job->backup.path);
	free(job);
}

const char *
job_direction_name(enum job_direction d)
{
	return d == DIR_RECEIVE ? "receive" : "send";
}
