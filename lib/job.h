/*
 * job: a job file (jobs/NAME.job) parsed and validated into a struct job.
 *
 * job_load() checks every key of SPEC.md section 4 for the job's direction
 * and reports each problem as "FILE:LINE: key 'x': why" (or "FILE: ..." when
 * no line applies, e.g. a missing required key).  Relative paths are made
 * relative to the home directory here, so nothing downstream needs to know
 * the home.  The struct owns all its strings; job_free() frees them.
 */
#ifndef XFER_JOB_H
#define XFER_JOB_H

#include "decimal.h"
#include "strlist.h"
#include "textenc.h"
#include "xerr.h"

struct calendar;

enum job_direction { DIR_SEND, DIR_RECEIVE };
enum src_type { SRC_CSV, SRC_JSONL, SRC_SQLITE, SRC_COMMAND, SRC_POSTGRESQL,
	SRC_MYSQL };
enum out_format { FMT_CSV, FMT_JSON, FMT_JSONL, FMT_XML, FMT_FIXED };
enum record_end { RECORD_END_CRLF, RECORD_END_LF, RECORD_END_NONE };
enum compress_kind { COMPRESS_NONE, COMPRESS_GZIP, COMPRESS_ZIP };
enum manifest_kind { MANIFEST_NONE, MANIFEST_SHA256, MANIFEST_JSON };
enum empty_mode { EMPTY_HEADER, EMPTY_ZERO };
enum on_exists { ON_EXISTS_REPLACE, ON_EXISTS_FAIL };
enum ingest_type { INGEST_SQLITE, INGEST_COMMAND, INGEST_NONE,
	INGEST_POSTGRESQL, INGEST_MYSQL };
enum ingest_mode { MODE_APPEND, MODE_REPLACE_DATE };
enum after_pull { AFTER_PULL_DELETE, AFTER_PULL_KEEP, AFTER_PULL_MOVE };

/* A server database: [source] or [ingest] type = postgresql | mysql. */
struct job_db {
	char *url;		/* postgresql://, postgres://, mysql:// or
				 * mariadb:// (matching the type), without a
				 * password (refused); NULL with service */
	char *service;		/* postgresql: a pg_service.conf entry */
	char *password_file;	/* home-resolved; NULL: the client's own
				 * (.pgpass, PGPASSFILE, option files) */
	char *ca_file;		/* home-resolved; NULL: none */
	char *client_cert;
	char *client_key;
	long connect_timeout_ms;	/* default 30000 */
	long statement_timeout_ms;	/* default 3600000; 0: none */
	long lock_timeout_ms;	/* default 30000; 0: none */
};

/* 1 when a database URL carries a password in its user part
 * (user:password@) or its options (?password=): refused, as a password
 * belongs in a password_file. */
int job_url_has_password(const char *url);

struct job_source {
	enum src_type type;
	char *path;		/* csv/jsonl: glob pattern, may hold {date} */
	char *date_field;	/* NULL: keep every record */
	int required;		/* default 1: input not there (no file matches
				 * the glob, no sqlite database) fails the
				 * batch; 0: an empty batch */
	char *ready_file;	/* pattern; NULL: none */
	char *database;		/* sqlite */
	char *query;		/* sqlite, postgresql, mysql */
	struct job_db db;	/* postgresql, mysql */
	struct strlist command;	/* command: argv (patterns allowed in args) */
	enum out_format format;	/* command: FMT_CSV or FMT_JSONL */
	long timeout_s;		/* command; default 600 */
	enum text_encoding encoding;	/* csv, jsonl, command: default utf-8 */
	int lenient_quotes;	/* csv: quotes = lenient */
};

struct job_aggregate {
	int enabled;		/* [aggregate] present with group_by/count/sum/min/max */
	struct strlist group_by;
	char *count;		/* output column for the count; NULL: none */
	struct strlist sum, min, max;
	struct strlist fields;	/* pass-through projection; empty: all */
	int scale;		/* decimals of every sum/min/max (0..18);
				 * -1: none, each column has the most
				 * decimals seen in it */
	enum decimal_rounding rounding;	/* with scale; default half-even */
};

/* format = xml: element names ([output] and [inbox] xml_*). */
struct job_xml {
	char *root;		/* default "records" */
	char *record;		/* default "record" */
	int attributes;		/* xml_fields = attributes */
};

struct job_output {
	enum out_format format;
	char *name;		/* pattern for the file name (no '/') */
	char *date_column;	/* NULL: none */
	int header;		/* default yes */
	char delimiter;		/* default ',' */
	int crlf;		/* line_ending = crlf */
	enum empty_mode empty;
	enum compress_kind compress;
	enum manifest_kind manifest;	/* default sha256 */
	int formula_guard;
	enum text_encoding encoding;	/* default utf-8 (json: only) */
	int unmappable_replace;	/* unmappable = replace: '?' */
	enum record_end record_end;	/* fixed; default crlf */
	struct job_xml xml;
	/* OpenPGP (pgp.h), after compression; fingerprints are 40 upper-case
	 * hex digits. */
	struct strlist encrypt_to;	/* empty: not encrypted */
	char *sign_with;	/* NULL: not signed */
	char *keyring;		/* the GnuPG home (home-resolved); set when
				 * encrypt_to or sign_with is */
	int armor;		/* default no */
};

struct job_upload {
	char *url;		/* sftp://, https://, file:///dir/ or a directory
				 * (made absolute against the home) */
	char *user;
	char *identity;
	char *passphrase_file;
	char *known_hosts;
	char *host_key_sha256;
	char *password_file;
	char *ca_file;
	char *client_cert;
	char *client_key;
	char *temp_suffix;	/* default ".part" */
	enum on_exists on_exists;
	int retries;		/* default 3 */
	long retry_delay_ms;	/* default 2000 */
	long connect_timeout_ms;	/* default 30000 */
	long stall_timeout_ms;	/* default 60000 */
	int max_attempts;	/* default 10 */
	int connections;	/* send: parallel deliveries, 1..32, default 4 */
	char *proxy;		/* NULL: none */
	/* s3:// (SPEC.md section 10); NULL/-1/0 with other URLs */
	char *endpoint;		/* scheme://host[:port]; NULL: AWS for region */
	char *region;		/* default us-east-1 */
	char *credentials_file;	/* home-resolved; NULL: the environment */
	char *profile;		/* section of credentials_file; NULL: default */
	int path_style;		/* -1: yes with endpoint, else no */
	long long part_size;	/* default 64 MiB, at least 5 MiB */
};

/* Receive jobs (SPEC.md section 4, "Receive job"). */
struct job_inbox {
	char *path;		/* local directory (home-resolved); or NULL */
	char *url;		/* sftp:// or https:// to pull from; or NULL.
				 * Exactly one of path and url is set.  The
				 * connection keys (user, identity, known_hosts,
				 * host_key_sha256, password_file, passphrase_file,
				 * ca_file, client_cert, client_key,
				 * connect_timeout, stall_timeout, proxy) are
				 * read from [inbox] into job->upload, whose url
				 * is then this url, so the transports serve
				 * both directions. */
	char *pattern;		/* file-name glob, may hold {date...}; required;
				 * no '/' */
	int format;		/* FMT_CSV/FMT_JSON/FMT_JSONL, or -1: from the
				 * file's extension (.csv .json .jsonl .ndjson,
				 * also inside .gz/.zip) */
	char delimiter;		/* default ',' */
	int header;		/* default yes; no: columns come from
				 * [ingest] columns (then required) */
	long settle_s;		/* default 60 */
	int require_manifest;	/* default no */
	long manifest_timeout_s;	/* default 3600 */
	enum after_pull after_pull;	/* default delete */
	char *after_pull_dir;	/* move:DIR (remote directory path) */
	long long max_size;	/* max_size: bytes after decompression;
				 * default 10G (archive bombs) */
	int expect_min;		/* expect = HH:MM as minutes after midnight
				 * in the job's zone; -1: nothing expected */
	enum text_encoding encoding;	/* default utf-8 */
	int lenient_quotes;	/* csv: quotes = lenient */
	enum record_end record_end;	/* fixed; default crlf */
	struct job_xml xml;
	int decrypt;		/* OpenPGP-decrypt before unpacking */
	struct strlist require_signature;	/* fingerprints; empty: no
						 * signature required */
	char *keyring;		/* the GnuPG home (home-resolved), with
				 * decrypt */
};

struct job_ingest {
	enum ingest_type type;	/* required */
	char *database;		/* sqlite: path (home-resolved, pattern) */
	char *table;		/* [A-Za-z_][A-Za-z0-9_]*; postgresql and
				 * mysql also SCHEMA.TABLE */
	struct job_db db;	/* postgresql, mysql */
	enum ingest_mode mode;	/* default append */
	char *date_column;	/* replace-date: default "date" */
	struct strlist columns;	/* expected header; empty: not checked */
	struct strlist command;	/* command: argv with {file} (and patterns) */
	long timeout_s;		/* command; default 600 */
};

struct job_backup {
	char *path;		/* pattern; default
				 * HOME/spool/{job}/backup/{date:%Y/%m/%d} */
	enum compress_kind compress;	/* none (default) or gzip */
	int keep_days;		/* 0: keep forever (default 90) */
};

struct job {
	char *name;		/* file name without .job */
	char *file;		/* path of the job file, for messages */
	enum job_direction direction;
	int enabled;
	char *schedule;		/* 5-field cron expression (validated) */
	int date_offset;	/* days before today: today 0, yesterday 1 */
	char *timezone;		/* IANA name; NULL: the system's zone */
	int catch_up_days;	/* default 7 */
	struct strlist nodes;	/* [job] nodes: the only nodes of a fleet
				 * that run it; empty: any node */
	/* Business days: what they change is asked through jobdate.h. */
	struct calendar *calendar;	/* [job] calendar (with its weekend);
					 * NULL: none */
	int date_business;	/* date = business-day-N: N (>= 1);
				 * 0: date_offset calendar days */
	int run_business_days;	/* run_on = business-days */
	int cutoff_min;		/* send: cutoff = HH:MM as minutes after
				 * midnight in the job's zone; -1: none */

	struct job_source source;
	struct job_aggregate aggregate;
	struct job_output output;
	struct job_upload upload;

	struct job_inbox inbox;		/* receive jobs */
	struct job_ingest ingest;
	struct job_backup backup;

	/* [header], [record], [trailer] (layout.h); NULL: none of them */
	struct job_layouts *layouts;
};

/*
 * Load and validate one job file.  home is the xfer home (relative paths in
 * the file are taken relative to it).  On success *out is a new job the
 * caller frees with job_free().  On failure returns -1 and appends one
 * message per problem found to errors (every problem, not just the first).
 * Returns -2, with nothing appended, when memory ran out before the file
 * could be judged.
 */
int job_load(const char *home, const char *path, struct job **out,
    struct strlist *errors);

void job_free(struct job *job);

/* A node name (xfer.conf [ledger] node, [job] nodes): 1-63 letters,
 * digits, '-', '.', '_'; shown in status and compared byte for byte. */
#define JOB_NODE_MAX	64
int job_node_name_ok(const char *s);

/* 1 when node may run job: the job names no nodes, or node among them. */
int job_runs_on(const struct job *job, const char *node);

/* "send" / "receive" */
const char *job_direction_name(enum job_direction d);

#endif
