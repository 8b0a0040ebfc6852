/*
 * job_internal: internal to the job file modules (job.c, job_keys.c,
 * job_send.c, job_recv.c), which together are the module of job.h;
 * nothing else includes this header.
 *
 * It holds what they share: the sections and keys of a job file, the
 * state of one load (struct loader: each key's value and line, and the
 * problems found), the parsers of job_keys.c and the section checks each
 * module gives the others.  Every name here with external linkage starts
 * with jf_ ("job file"), so as not to meet a name of the rest of the
 * program or of its libraries (dup(), say).
 */
#ifndef XFER_JOB_INTERNAL_H
#define XFER_JOB_INTERNAL_H

#include <stddef.h>

#include "job.h"

#define WHY_MAX		512

enum sec { SEC_JOB, SEC_SOURCE, SEC_AGGREGATE, SEC_OUTPUT, SEC_UPLOAD,
	SEC_INBOX, SEC_INGEST, SEC_BACKUP,
	SEC_HEADER, SEC_RECORD, SEC_TRAILER,	/* layouts: any field names */
	SEC_COUNT };

extern const char *const jf_sec_names[SEC_COUNT];
/* The direction a section belongs to; -1: both. */
extern const int jf_sec_dir[SEC_COUNT];

enum key {
	K_DIRECTION, K_SCHEDULE, K_DATE, K_TIMEZONE, K_CATCH_UP, K_ENABLED,
	K_NODES,
	K_CALENDAR, K_WEEKEND, K_RUN_ON, K_CUTOFF,

	K_SRC_TYPE, K_SRC_PATH, K_SRC_DATE_FIELD, K_SRC_REQUIRED,
	K_SRC_READY_FILE, K_SRC_DATABASE, K_SRC_QUERY, K_SRC_COMMAND,
	K_SRC_FORMAT, K_SRC_TIMEOUT,
	K_SRC_URL, K_SRC_SERVICE, K_SRC_PASSWORD_FILE, K_SRC_CA_FILE,
	K_SRC_CLIENT_CERT, K_SRC_CLIENT_KEY, K_SRC_CONNECT_TIMEOUT,
	K_SRC_STATEMENT_TIMEOUT, K_SRC_LOCK_TIMEOUT,
	K_SRC_ENCODING, K_SRC_QUOTES,

	K_AGG_GROUP_BY, K_AGG_COUNT, K_AGG_SUM, K_AGG_MIN, K_AGG_MAX,
	K_AGG_FIELDS, K_AGG_SCALE, K_AGG_ROUNDING,

	K_OUT_FORMAT, K_OUT_NAME, K_OUT_DATE_COLUMN, K_OUT_HEADER,
	K_OUT_DELIMITER, K_OUT_LINE_ENDING, K_OUT_EMPTY, K_OUT_COMPRESS,
	K_OUT_MANIFEST, K_OUT_FORMULA_GUARD,
	K_OUT_ENCRYPT_TO, K_OUT_SIGN_WITH, K_OUT_KEYRING, K_OUT_ARMOR,
	K_OUT_ENCODING, K_OUT_UNMAPPABLE,
	K_OUT_RECORD_END,
	K_OUT_XML_ROOT, K_OUT_XML_RECORD, K_OUT_XML_FIELDS,

	K_UP_URL, K_UP_USER, K_UP_IDENTITY, K_UP_PASSPHRASE_FILE,
	K_UP_KNOWN_HOSTS, K_UP_HOST_KEY_SHA256, K_UP_PASSWORD_FILE,
	K_UP_CA_FILE, K_UP_CLIENT_CERT, K_UP_CLIENT_KEY, K_UP_TEMP_SUFFIX,
	K_UP_ON_EXISTS, K_UP_RETRIES, K_UP_RETRY_DELAY, K_UP_CONNECT_TIMEOUT,
	K_UP_STALL_TIMEOUT, K_UP_MAX_ATTEMPTS, K_UP_PROXY,
	K_UP_ENDPOINT, K_UP_REGION, K_UP_CREDENTIALS_FILE, K_UP_PROFILE,
	K_UP_PATH_STYLE, K_UP_PART_SIZE, K_UP_CONNECTIONS,

	K_IN_PATH, K_IN_URL, K_IN_PATTERN, K_IN_FORMAT, K_IN_DELIMITER,
	K_IN_HEADER, K_IN_SETTLE, K_IN_REQUIRE_MANIFEST, K_IN_MANIFEST_TIMEOUT,
	K_IN_AFTER_PULL, K_IN_MAX_SIZE, K_IN_EXPECT,
	K_IN_USER, K_IN_IDENTITY, K_IN_PASSPHRASE_FILE, K_IN_KNOWN_HOSTS,
	K_IN_HOST_KEY_SHA256, K_IN_PASSWORD_FILE, K_IN_CA_FILE,
	K_IN_CLIENT_CERT, K_IN_CLIENT_KEY, K_IN_RETRIES, K_IN_RETRY_DELAY,
	K_IN_CONNECT_TIMEOUT, K_IN_STALL_TIMEOUT, K_IN_PROXY,
	K_IN_ENDPOINT, K_IN_REGION, K_IN_CREDENTIALS_FILE, K_IN_PROFILE,
	K_IN_PATH_STYLE,
	K_IN_DECRYPT, K_IN_REQUIRE_SIGNATURE, K_IN_KEYRING,
	K_IN_ENCODING, K_IN_QUOTES,
	K_IN_RECORD_END,
	K_IN_XML_ROOT, K_IN_XML_RECORD, K_IN_XML_FIELDS,

	K_ING_TYPE, K_ING_DATABASE, K_ING_TABLE, K_ING_MODE,
	K_ING_DATE_COLUMN, K_ING_COLUMNS, K_ING_COMMAND, K_ING_TIMEOUT,
	K_ING_URL, K_ING_SERVICE, K_ING_PASSWORD_FILE, K_ING_CA_FILE,
	K_ING_CLIENT_CERT, K_ING_CLIENT_KEY, K_ING_CONNECT_TIMEOUT,
	K_ING_STATEMENT_TIMEOUT, K_ING_LOCK_TIMEOUT,

	K_BK_PATH, K_BK_COMPRESS, K_BK_KEEP_DAYS,

	K_COUNT
};

struct keydef {
	enum sec sec;
	const char *name;
};

extern const struct keydef jf_keydefs[K_COUNT];

/*
 * The connection keys [upload] and [inbox] share; one function reads
 * either set into job->upload, so both directions parse them alike.
 */
enum conn { C_USER, C_IDENTITY, C_PASSPHRASE_FILE, C_KNOWN_HOSTS,
	C_HOST_KEY_SHA256, C_PASSWORD_FILE, C_CA_FILE, C_CLIENT_CERT,
	C_CLIENT_KEY, C_RETRIES, C_RETRY_DELAY, C_CONNECT_TIMEOUT,
	C_STALL_TIMEOUT, C_PROXY, C_ENDPOINT, C_REGION, C_CREDENTIALS_FILE,
	C_PROFILE, C_PATH_STYLE, C_COUNT };

extern const enum key jf_up_conn[C_COUNT];
extern const enum key jf_in_conn[C_COUNT];

/*
 * The database connection keys [source] and [ingest] share (SPEC.md
 * section 8); job_db.c reads either set into a struct job_db.
 */
enum dbkey { D_URL, D_SERVICE, D_PASSWORD_FILE, D_CA_FILE, D_CLIENT_CERT,
	D_CLIENT_KEY, D_CONNECT_TIMEOUT, D_STATEMENT_TIMEOUT, D_LOCK_TIMEOUT,
	D_COUNT };

extern const enum key jf_src_db[D_COUNT];
extern const enum key jf_ing_db[D_COUNT];

/* "csv", "json", "jsonl", "xml", "fixed" in enum out_format order;
 * NULL-terminated. */
extern const char *const jf_out_formats[];

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

/*
 * job_keys.c: problems.  jf_problem() is "FILE:LINE: message" ("FILE:
 * message" for line 0); jf_bad() is "FILE:LINE: key 'x': why" and marks
 * the key as dealt with; jf_require() reports a key the file lacks.
 */
void jf_add_problem(struct loader *ld, unsigned line, const char *msg);
void jf_problem(struct loader *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void jf_bad(struct loader *ld, enum key k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void jf_require(struct loader *ld, enum key k);

/*
 * job_keys.c: values.  jf_val() is k's value, NULL when the file does not
 * set k or k was dealt with; jf_is_set() says whether the file sets k.
 * jf_dup() and jf_home_path() note running out of memory in ld->nomem.
 */
const char *jf_val(struct loader *ld, enum key k);
int jf_is_set(struct loader *ld, enum key k);
char *jf_dup(struct loader *ld, const char *s);
char *jf_home_path(struct loader *ld, const char *rel);

/*
 * job_keys.c: parsers.  Each reads key k (if set and not dealt with),
 * reports a bad value against k, and sets *out only from a good one.
 */
int jf_choose(struct loader *ld, enum key k, const char *const *names,
    int *out);
void jf_boolean(struct loader *ld, enum key k, int *out);
void jf_duration_ms(struct loader *ld, enum key k, int zero_ok, long *out);
void jf_duration_s(struct loader *ld, enum key k, int zero_ok, long *out);
void jf_integer(struct loader *ld, enum key k, long min, long max, int *out);
void jf_string(struct loader *ld, enum key k, char **out);
void jf_path(struct loader *ld, enum key k, int is_pattern, char **out);
void jf_list(struct loader *ld, enum key k, struct strlist *out);
void jf_delimiter(struct loader *ld, enum key k, char *out);
void jf_check_command(struct loader *ld, enum key k, struct strlist *argv,
    int file_ok);

/* A key that only some types of its section use, and which. */
struct only {
	enum key k;
	unsigned types;		/* bit per type */
	const char *which;
};

void jf_only_for(struct loader *ld, const struct only *table, size_t n,
    int type, const char *const *names);

/* job_keys.c: file names (see the comments where they are defined). */
int jf_format_of_ext(const char *name);
long jf_shortest_name(struct loader *ld, const char *pat, int glob);

/* job_pgp.c: the OpenPGP keys of [output] and of [inbox]. */
void jf_check_output_pgp(struct loader *ld);
void jf_check_inbox_pgp(struct loader *ld);

/*
 * job_enc.c: encoding, unmappable and quotes of [source] (type is its
 * type, -1 if not known; names the type names), [output] (after its
 * format is known) and [inbox] (fmt: the format, -1 when each file's
 * name tells).
 */
void jf_check_source_enc(struct loader *ld, int type,
    const char *const *names);
void jf_check_output_enc(struct loader *ld);
void jf_check_inbox_enc(struct loader *ld, int fmt);

/* job.c: [job], for both directions. */
void jf_check_job(struct loader *ld);

/* job_cal.c: [job] calendar, weekend, run_on, cutoff and the business-day
 * forms of date (the others are jf_check_job()'s). */
void jf_check_calendar(struct loader *ld);

/*
 * job_send.c: the sections of a send job; *typep is the [source] type,
 * -1 if not known, for jf_check_required().  jf_check_url() and
 * jf_check_conn() read the connection keys of [inbox] too.
 */
void jf_check_source(struct loader *ld, int *typep);
void jf_check_aggregate(struct loader *ld);
void jf_check_output(struct loader *ld);
void jf_check_upload(struct loader *ld);
void jf_check_url(struct loader *ld, enum key k, int local_ok, char **out);
void jf_check_conn(struct loader *ld, const enum key *ck);
void jf_check_required(struct loader *ld, int type);

/*
 * job_recv.c: a receive job, [job] included; *typep is the [ingest] type,
 * -1 if not known, for jf_check_required_receive().
 */
void jf_check_receive(struct loader *ld, int *typep);

/* job_xml.c: xml_root, xml_record, xml_fields of [output] (send 1) or
 * [inbox] into x, refused with another format than xml. */
void jf_check_xml(struct loader *ld, int send, int format,
    struct job_xml *x);

/*
 * job_db.c: the database keys of [source] (dk = jf_src_db) or [ingest]
 * (jf_ing_db) into db, for a postgresql (is_pg) or mysql type; and the
 * keys a database type requires.
 */
void jf_check_db(struct loader *ld, const enum key *dk, int is_pg,
    struct job_db *db);
void jf_require_db(struct loader *ld, const enum key *dk);
void jf_check_required_receive(struct loader *ld, int type);

/*
 * job_layout.c: a key of [header], [record] or [trailer] (a field and its
 * spec) into job->layouts; after the sections are checked, the layouts
 * against the format, direction and encoding; and record_end of [output]
 * and [inbox].
 */
void jf_layout_entry(struct loader *ld, enum sec sec, const char *key,
    const char *value, unsigned line);
void jf_layout_section(struct loader *ld, enum sec sec, unsigned line);
void jf_check_layouts(struct loader *ld);
void jf_check_record_end(struct loader *ld);

#endif
