/*
 * job: load and validate a job file (SPEC.md section 4): job_load(), which
 * reads the file and judges it, and job_free().
 *
 * The job file modules share lib/job_internal.h: this one reads the file,
 * settles its direction, checks [job] and reports; job_keys.c holds the
 * table of sections and keys, the problems found and the parsers of
 * values; job_send.c checks the sections of a send job ([source],
 * [aggregate], [output], [upload]) and job_recv.c those of a receive job
 * ([inbox], [ingest], [backup]).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cron.h"
#include "ini.h"
#include "job_internal.h"
#include "layout.h"
#include "parse.h"
#include "tz.h"

#define JOB_NAME_MAX	64

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
	char spelt[64], where[128];
	size_t len;
	int sd;

	key_spelling(key, spelt);
	for (k = 0; k < K_COUNT && spelt[0] != '\0'; k++) {
		if (jf_keydefs[k].sec != st->sec)
			continue;
		/* A key spelt another way beats any typo. */
		d = strcmp(spelt, jf_keydefs[k].name) == 0 ? 0 :
		    distance(spelt, jf_keydefs[k].name) + 1;
		if (d < bestd) {
			bestd = d;
			best = jf_keydefs[k].name;
		}
	}
	if (best != NULL) {
		jf_problem(ld, st->line, "key '%s': unknown key in [%s] (did "
		    "you mean '%s'?)", key, jf_sec_names[st->sec], best);
		return;
	}
	/* A key of another section; some (url, ca_file ...) are in two. */
	where[0] = '\0';
	for (k = 0; k < K_COUNT && spelt[0] != '\0'; k++) {
		sd = jf_sec_dir[jf_keydefs[k].sec];
		if ((sd == -1 || sd == (int)dir) &&
		    strcmp(jf_keydefs[k].name, spelt) == 0) {
			len = strlen(where);
			snprintf(where + len, sizeof(where) - len, "%s[%s]",
			    len > 0 ? " or " : "",
			    jf_sec_names[jf_keydefs[k].sec]);
		}
	}
	if (where[0] != '\0') {
		if (strcmp(key, spelt) == 0)
			jf_problem(ld, st->line, "key '%s': unknown key in "
			    "[%s] (it belongs in %s)", key,
			    jf_sec_names[st->sec], where);
		else
			jf_problem(ld, st->line, "key '%s': unknown key in "
			    "[%s] (it belongs in %s, spelt '%s')", key,
			    jf_sec_names[st->sec], where, spelt);
		return;
	}
	if (st->malformed)
		jf_problem(ld, st->line, "key '%s': unknown key in [%s] (keys "
		    "are lower case letters, digits and '_')", key,
		    jf_sec_names[st->sec]);
	else
		jf_problem(ld, st->line, "key '%s': unknown key in [%s]", key,
		    jf_sec_names[st->sec]);
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
			if (strcmp(section, jf_sec_names[i]) == 0) {
				ld->cur = (int)i;
				if (ld->sec_line[i] == 0)
					ld->sec_line[i] = line;
				jf_layout_section(ld, (enum sec)i, line);
				return ld->nomem ? xerr_nomem(err) : 0;
			}
		}
		ld->cur = CUR_SKIP;
		/* Keys of an unknown section are not reported one by one. */
		for (i = 0; i < SEC_COUNT; i++)
			if (distance(section, jf_sec_names[i]) <= 2)
				break;
		if (i < SEC_COUNT)
			jf_problem(ld, line, "unknown section '[%s]' (did you "
			    "mean '[%s]'?)", section, jf_sec_names[i]);
		else
			jf_problem(ld, line, "unknown section '[%s]'", section);
		return ld->nomem ? xerr_nomem(err) : 0;
	}
	if (ld->cur < 0)
		return 0;
	if (ld->cur >= SEC_HEADER && ld->cur <= SEC_TRAILER) {
		jf_layout_entry(ld, (enum sec)ld->cur, key, value, line);
		return ld->nomem ? xerr_nomem(err) : 0;
	}
	for (i = 0; i < K_COUNT; i++)
		if ((int)jf_keydefs[i].sec == ld->cur &&
		    strcmp(jf_keydefs[i].name, key) == 0)
			break;
	if (i == K_COUNT)
		add_stray(ld, (enum sec)ld->cur, key, line, 0, 0);
	else if (ld->ent[i].value != NULL)
		add_stray(ld, (enum sec)ld->cur, key, line, ld->ent[i].line,
		    0);
	else {
		ld->ent[i].value = jf_dup(ld, value);
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
	if (bad_key != NULL && ld->cur >= SEC_HEADER && ld->cur <= SEC_TRAILER)
		jf_layout_entry(ld, (enum sec)ld->cur, bad_key, NULL, line);
	else if (bad_key != NULL && ld->cur >= 0)
		add_stray(ld, (enum sec)ld->cur, bad_key, line, 0, 1);
	else if (bad_key == NULL || ld->cur == CUR_NONE) {
		jf_add_problem(ld, line, why->msg);
		ld->broken_line = 1;
	}
	return ld->nomem ? xerr_nomem(err) : 0;
}

/* nodes = a, b: the fleet's nodes that may run the job (SPEC.md
 * section 9); names as xfer.conf's [ledger] node takes them. */
static void
check_nodes(struct loader *ld)
{
	struct job *job = ld->job;
	size_t i;

	jf_list(ld, K_NODES, &job->nodes);
	for (i = 0; i < job->nodes.n; i++) {
		if (!job_node_name_ok(job->nodes.v[i])) {
			jf_bad(ld, K_NODES, "'%s' is not a node name (1-%d "
			    "letters, digits, '-', '.', '_')", job->nodes.v[i],
			    JOB_NODE_MAX - 1);
			strlist_free(&job->nodes);
			return;
		}
	}
}

int
job_node_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= JOB_NODE_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_'))
			return 0;
	return 1;
}

int
job_runs_on(const struct job *job, const char *node)
{
	return job->nodes.n == 0 || (node != NULL &&
	    strlist_contains(&job->nodes, node));
}

void
jf_check_job(struct loader *ld)
{
	struct job *job = ld->job;
	char why[WHY_MAX];
	struct cron c;
	const char *v;
	long n;

	jf_check_calendar(ld);
	if ((v = jf_val(ld, K_SCHEDULE)) != NULL) {
		if (cron_parse(v, &c, why, sizeof(why)) == -1)
			jf_bad(ld, K_SCHEDULE, "%s", why);
		else
			job->schedule = jf_dup(ld, v);
	}
	if ((v = jf_val(ld, K_DATE)) != NULL) {
		if (strcmp(v, "today") == 0)
			job->date_offset = 0;
		else if (strcmp(v, "yesterday") == 0)
			job->date_offset = 1;
		else if (strncmp(v, "today-", 6) == 0 &&
		    parse_long(v + 6, 0, 3650, &n, why, sizeof(why)) == 0)
			job->date_offset = (int)n;
		else
			jf_bad(ld, K_DATE, "expected today, yesterday, "
			    "today-N (N from 0 to 3650), previous-business-day "
			    "or business-day-N");
	}
	if ((v = jf_val(ld, K_TIMEZONE)) != NULL) {
		if (!tz_valid(v))
			jf_bad(ld, K_TIMEZONE, "unknown time zone '%s' "
			    "(expected an IANA name such as Asia/Seoul or UTC)",
			    v);
		else
			job->timezone = jf_dup(ld, v);
	}
	if ((v = jf_val(ld, K_CATCH_UP)) != NULL) {
		if (parse_duration_s(v, &n, why, sizeof(why)) == -1)
			jf_bad(ld, K_CATCH_UP, "%s", why);
		else if (n % 86400 != 0)
			jf_bad(ld, K_CATCH_UP, "must be whole days (e.g. 7d; 0 "
			    "turns catching up off)");
		else if (n / 86400 > 3650)
			jf_bad(ld, K_CATCH_UP, "must be at most 3650d");
		else
			job->catch_up_days = (int)(n / 86400);
	}
	jf_boolean(ld, K_ENABLED, &job->enabled);
	check_nodes(ld);
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
		jf_problem(ld, 0, "job name '%.*s' is not valid (a letter or "
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
	job->upload.path_style = -1;
	job->upload.part_size = 64LL << 20;
	job->upload.connections = 4;
	job->inbox.format = -1;
	job->inbox.delimiter = ',';
	job->inbox.header = 1;
	job->inbox.settle_s = 60;
	job->inbox.manifest_timeout_s = 3600;
	job->inbox.after_pull = AFTER_PULL_DELETE;
	job->inbox.max_size = 10LL << 30;
	job->inbox.expect_min = -1;
	job->cutoff_min = -1;
	job->source.db.connect_timeout_ms = 30000;
	job->source.db.statement_timeout_ms = 3600000;
	job->source.db.lock_timeout_ms = 30000;
	job->ingest.db = job->source.db;
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
		if (jf_sec_dir[i] == DIR_SEND)
			send = 1;
		else if (jf_sec_dir[i] == DIR_RECEIVE)
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
		if (ld->sec_line[i] != 0 && jf_sec_dir[i] != -1 &&
		    jf_sec_dir[i] != (int)dir && (first == SEC_COUNT ||
		    ld->sec_line[i] < ld->sec_line[first]))
			first = i;
	if (first != SEC_COUNT)
		jf_problem(ld, ld->sec_line[first], "unknown section '[%s]' "
		    "(it belongs in %s jobs)", jf_sec_names[first],
		    dir == DIR_SEND ? "receive" : "send");
	for (k = 0; k < K_COUNT; k++)
		if (jf_sec_dir[jf_keydefs[k].sec] != -1 &&
		    jf_sec_dir[jf_keydefs[k].sec] != (int)dir)
			ld->ent[k].done = 1;
	for (i = 0; i < ld->nstrays; i++) {
		s = &ld->strays[i];
		if (jf_sec_dir[s->sec] != -1 && jf_sec_dir[s->sec] != (int)dir)
			continue;
		if (s->first == 0)
			unknown_key(ld, s, dir);
		else
			jf_problem(ld, s->line, "key '%s': duplicate key in "
			    "[%s] (first set on line %u)", s->key,
			    jf_sec_names[s->sec], s->first);
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
		jf_add_problem(&ld, line, err.msg);
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
			jf_bad(&ld, (enum key)k, "empty value");

	if ((v = jf_val(&ld, K_DIRECTION)) != NULL && strcmp(v, "send") != 0 &&
	    strcmp(v, "receive") != 0)
		jf_bad(&ld, K_DIRECTION, "expected send or receive");
	if (dir == DIR_SEND) {
		jf_check_job(&ld);
		jf_check_source(&ld, &type);
		jf_check_output(&ld);
		jf_check_aggregate(&ld);
		jf_check_upload(&ld);
		if (syntax_ok)
			jf_check_required(&ld, type);
	} else {
		jf_check_receive(&ld, &type);
		if (syntax_ok)
			jf_check_required_receive(&ld, type);
	}
	jf_check_record_end(&ld);
	jf_check_layouts(&ld);
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

static void
db_free(struct job_db *db)
{
	free(db->url);
	free(db->service);
	free(db->password_file);
	free(db->ca_file);
	free(db->client_cert);
	free(db->client_key);
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
	strlist_free(&job->nodes);
	calendar_free(job->calendar);
	free(job->source.path);
	free(job->source.date_field);
	free(job->source.ready_file);
	free(job->source.database);
	free(job->source.query);
	db_free(&job->source.db);
	strlist_free(&job->source.command);
	strlist_free(&job->aggregate.group_by);
	free(job->aggregate.count);
	strlist_free(&job->aggregate.sum);
	strlist_free(&job->aggregate.min);
	strlist_free(&job->aggregate.max);
	strlist_free(&job->aggregate.fields);
	free(job->output.name);
	free(job->output.date_column);
	strlist_free(&job->output.encrypt_to);
	free(job->output.sign_with);
	free(job->output.keyring);
	free(job->output.xml.root);
	free(job->output.xml.record);
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
	free(up->endpoint);
	free(up->region);
	free(up->credentials_file);
	free(up->profile);
	free(job->inbox.path);
	free(job->inbox.url);
	free(job->inbox.pattern);
	free(job->inbox.after_pull_dir);
	strlist_free(&job->inbox.require_signature);
	free(job->inbox.keyring);
	free(job->inbox.xml.root);
	free(job->inbox.xml.record);
	free(job->ingest.database);
	free(job->ingest.table);
	free(job->ingest.date_column);
	strlist_free(&job->ingest.columns);
	strlist_free(&job->ingest.command);
	db_free(&job->ingest.db);
	free(job->backup.path);
	layouts_free(job->layouts);
	free(job);
}

const char *
job_direction_name(enum job_direction d)
{
	return d == DIR_RECEIVE ? "receive" : "send";
}
