/* job: loading send and receive jobs, their defaults, and every kind of
 * mistake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"

#define HOME "/srv/xfer"

/* A valid job in nine lines; rows below add to it. */
#define JOB	"[job]\ndirection = send\n"
#define SRC	"[source]\ntype = csv\npath = in/*.csv\n"
#define OUT	"[output]\nname = out_{date}.csv\n"
#define UP	"[upload]\nurl = outbox\n"
#define BASE	JOB SRC OUT UP

/* A valid receive job, also in nine lines. */
#define RJOB	"[job]\ndirection = receive\n"
#define RIN	"[inbox]\npath = inbox\npattern = *.csv\n"
#define RING	"[ingest]\ntype = sqlite\ndatabase = db/x.db\ntable = sales\n"
#define RBASE	RJOB RIN RING

static char dir[] = "/tmp/test_job.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

/* Write text to DIR/name and load it; the file is removed again. */
static int
load(const char *name, const char *text, struct job **job,
    struct strlist *errs)
{
	char path[512];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	rc = job_load(HOME, path, job, errs);
	unlink(path);
	return rc;
}

static struct job *
load_ok(const char *text)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job = NULL;
	size_t i;

	if (load("t.job", text, &job, &errs) != 0) {
		for (i = 0; i < errs.n; i++)
			print_error("%s\n", errs.v[i]);
		fail_msg("job refused:\n%s", text);
	}
	assert_int_equal(errs.n, 0);
	assert_non_null(job);
	return job;
}

static void
fixture(char *out, size_t size, const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int n = slash != NULL ? (int)(slash - __FILE__) : 1;

	snprintf(out, size, "%.*s/../data/jobs/%s", n,
	    slash != NULL ? __FILE__ : ".", name);
}

/* tests/data/jobs/sales.job sets every key; check each one. */
static void
test_full_job(void **state)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	char path[512];

	(void)state;
	fixture(path, sizeof(path), "sales.job");
	if (job_load(HOME, path, &job, &errs) != 0)
		fail_msg("%s: %s", path, errs.n ? errs.v[0] : "?");
	assert_string_equal(job->name, "sales");
	assert_string_equal(job->file, path);
	assert_int_equal(job->direction, DIR_SEND);
	assert_string_equal(job_direction_name(job->direction), "send");
	assert_string_equal(job->schedule, "30 2 * * 1-5");
	assert_int_equal(job->date_offset, 2);
	assert_string_equal(job->timezone, "Asia/Seoul");
	assert_int_equal(job->catch_up_days, 14);
	assert_int_equal(job->enabled, 0);

	assert_int_equal(job->source.type, SRC_CSV);
	assert_string_equal(job->source.path,
	    HOME "/data/sales/*_{date:%Y%m%d}.csv");
	assert_string_equal(job->source.date_field, "sold_at");
	assert_int_equal(job->source.required, 1);
	assert_string_equal(job->source.ready_file,
	    "/var/lib/shop/sales/{date}.done");
	assert_null(job->source.database);
	assert_null(job->source.query);
	assert_int_equal(job->source.command.n, 0);

	assert_int_equal(job->aggregate.enabled, 1);
	assert_int_equal(job->aggregate.group_by.n, 2);
	assert_string_equal(job->aggregate.group_by.v[0], "store_id");
	assert_string_equal(job->aggregate.group_by.v[1], "sku");
	assert_string_equal(job->aggregate.count, "orders");
	assert_int_equal(job->aggregate.sum.n, 2);
	assert_string_equal(job->aggregate.sum.v[0], "qty");
	assert_string_equal(job->aggregate.sum.v[1], "amount");
	assert_int_equal(job->aggregate.min.n, 1);
	assert_string_equal(job->aggregate.min.v[0], "price");
	assert_int_equal(job->aggregate.max.n, 2);
	assert_string_equal(job->aggregate.max.v[0], "price");
	assert_string_equal(job->aggregate.max.v[1], "qty");
	assert_int_equal(job->aggregate.fields.n, 0);
	assert_int_equal(job->aggregate.scale, 2);
	assert_int_equal(job->aggregate.rounding, DECIMAL_HALF_UP);

	assert_int_equal(job->output.format, FMT_CSV);
	assert_string_equal(job->output.name, "sales_{job}_{date:%Y%m%d}.csv");
	assert_string_equal(job->output.date_column, "date");
	assert_int_equal(job->output.header, 0);
	assert_int_equal(job->output.delimiter, '|');
	assert_int_equal(job->output.crlf, 1);
	assert_int_equal(job->output.empty, EMPTY_ZERO);
	assert_int_equal(job->output.compress, COMPRESS_GZIP);
	assert_int_equal(job->output.manifest, MANIFEST_JSON);
	assert_int_equal(job->output.formula_guard, 1);

	assert_string_equal(job->upload.url,
	    "sftp://partner.example.com/inbound/");
	assert_string_equal(job->upload.user, "shop");
	assert_string_equal(job->upload.identity, HOME "/keys/partner_ed25519");
	assert_string_equal(job->upload.passphrase_file,
	    HOME "/keys/partner.passphrase");
	assert_string_equal(job->upload.known_hosts, "/etc/xfer/known_hosts");
	assert_string_equal(job->upload.host_key_sha256,
	    "fz+kjKiFZ4E0hC+nRW8+zlOpf4Q7YQGF2QCsTkZ8dJA");
	assert_string_equal(job->upload.password_file,
	    HOME "/secrets/partner.pass");
	assert_string_equal(job->upload.ca_file, "/etc/xfer/partner-ca.pem");
	assert_string_equal(job->upload.client_cert, HOME "/certs/client.pem");
	assert_string_equal(job->upload.client_key, HOME "/certs/client.key");
	assert_string_equal(job->upload.temp_suffix, ".tmp");
	assert_int_equal(job->upload.on_exists, ON_EXISTS_FAIL);
	assert_int_equal(job->upload.retries, 5);
	assert_int_equal(job->upload.retry_delay_ms, 10000);
	assert_int_equal(job->upload.connect_timeout_ms, 60000);
	assert_int_equal(job->upload.stall_timeout_ms, 120000);
	assert_int_equal(job->upload.max_attempts, 20);
	assert_string_equal(job->upload.proxy,
	    "socks5h://proxy.example.com:1080");
	job_free(job);
	strlist_free(&errs);
}

/* tests/data/jobs/minimal.job: only the required keys. */
static void
test_defaults(void **state)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	char path[512];

	(void)state;
	fixture(path, sizeof(path), "minimal.job");
	/* A home with a trailing slash gives no double slash. */
	if (job_load(HOME "/", path, &job, &errs) != 0)
		fail_msg("%s: %s", path, errs.n ? errs.v[0] : "?");
	assert_string_equal(job->name, "minimal");
	assert_int_equal(job->direction, DIR_SEND);
	assert_int_equal(job->enabled, 1);
	assert_null(job->schedule);
	assert_int_equal(job->date_offset, 1);
	assert_null(job->timezone);
	assert_int_equal(job->catch_up_days, 7);

	assert_int_equal(job->source.type, SRC_CSV);
	assert_string_equal(job->source.path, HOME "/data/sales/*.csv");
	assert_null(job->source.date_field);
	/* Missing input is not an empty day: required by default. */
	assert_int_equal(job->source.required, 1);
	assert_null(job->source.ready_file);
	assert_int_equal(job->source.format, FMT_CSV);
	assert_int_equal(job->source.timeout_s, 600);

	assert_int_equal(job->aggregate.enabled, 0);
	assert_int_equal(job->aggregate.group_by.n, 0);
	assert_null(job->aggregate.count);
	assert_int_equal(job->aggregate.fields.n, 0);
	assert_int_equal(job->aggregate.scale, -1);
	assert_int_equal(job->aggregate.rounding, DECIMAL_HALF_EVEN);

	assert_int_equal(job->output.format, FMT_CSV);
	assert_string_equal(job->output.name, "sales_{date}.csv");
	assert_null(job->output.date_column);
	assert_int_equal(job->output.header, 1);
	assert_int_equal(job->output.delimiter, ',');
	assert_int_equal(job->output.crlf, 0);
	assert_int_equal(job->output.empty, EMPTY_HEADER);
	assert_int_equal(job->output.compress, COMPRESS_NONE);
	assert_int_equal(job->output.manifest, MANIFEST_SHA256);
	assert_int_equal(job->output.formula_guard, 0);

	assert_string_equal(job->upload.url, HOME "/outbox");
	assert_null(job->upload.user);
	assert_null(job->upload.identity);
	assert_null(job->upload.known_hosts);
	assert_null(job->upload.host_key_sha256);
	assert_string_equal(job->upload.temp_suffix, ".part");
	assert_int_equal(job->upload.on_exists, ON_EXISTS_REPLACE);
	assert_int_equal(job->upload.retries, 3);
	assert_int_equal(job->upload.retry_delay_ms, 2000);
	assert_int_equal(job->upload.connect_timeout_ms, 30000);
	assert_int_equal(job->upload.stall_timeout_ms, 60000);
	assert_int_equal(job->upload.max_attempts, 10);
	assert_null(job->upload.proxy);
	job_free(job);
	strlist_free(&errs);
}

static void
test_sqlite_and_command(void **state)
{
	struct job *job;

	(void)state;
	job = load_ok(JOB "[source]\ntype = sqlite\ndatabase = db/{job}.db\n"
	    "query = SELECT * FROM sales WHERE day = :date\n"
	    "date_field = day\n" OUT UP);
	assert_int_equal(job->source.type, SRC_SQLITE);
	assert_string_equal(job->source.database, HOME "/db/{job}.db");
	assert_string_equal(job->source.query,
	    "SELECT * FROM sales WHERE day = :date");
	assert_string_equal(job->source.date_field, "day");
	assert_null(job->source.path);
	assert_int_equal(job->source.required, 1);
	job_free(job);

	/* A database that may be absent on a day without data. */
	job = load_ok(JOB "[source]\ntype = sqlite\ndatabase = db/{date}.db\n"
	    "query = SELECT 1 AS one\nrequired = no\n" OUT UP);
	assert_int_equal(job->source.required, 0);
	job_free(job);

	job = load_ok(JOB "[source]\ntype = command\n"
	    "command = /usr/bin/export --date {date}\nformat = jsonl\n"
	    "timeout = 90s\nready_file = flags/{date}.ok\n" OUT UP);
	assert_int_equal(job->source.type, SRC_COMMAND);
	assert_int_equal(job->source.format, FMT_JSONL);
	assert_int_equal(job->source.timeout_s, 90);
	assert_string_equal(job->source.ready_file, HOME "/flags/{date}.ok");
	assert_int_equal(job->source.command.n, 3);
	assert_string_equal(job->source.command.v[0], "/usr/bin/export");
	assert_string_equal(job->source.command.v[1], "--date");
	assert_string_equal(job->source.command.v[2], "{date}");
	assert_null(job->source.command.v[3]);
	job_free(job);

	/* Pass-through with a projection; jsonl source; bare-second and
	 * hour durations; tab delimiter; an absolute upload directory. */
	job = load_ok(JOB "[source]\ntype = jsonl\npath = /in/*.jsonl\n"
	    "[aggregate]\nfields = b, a\n"
	    "[output]\nname = x.csv\ndelimiter = tab\n"
	    "[upload]\nurl = /srv/out\nretry_delay = 0\nstall_timeout = 1h\n"
	    "proxy = none\n[job]\ncatch_up = 0\ndate = today\n");
	assert_int_equal(job->source.type, SRC_JSONL);
	assert_int_equal(job->aggregate.enabled, 0);
	assert_int_equal(job->aggregate.fields.n, 2);
	assert_string_equal(job->aggregate.fields.v[0], "b");
	assert_int_equal(job->output.delimiter, '\t');
	assert_string_equal(job->upload.url, "/srv/out");
	assert_int_equal(job->upload.retry_delay_ms, 0);
	assert_int_equal(job->upload.stall_timeout_ms, 3600000);
	assert_null(job->upload.proxy);
	assert_int_equal(job->catch_up_days, 0);
	assert_int_equal(job->date_offset, 0);
	job_free(job);

	/* Quoting keeps a ';' delimiter from being a comment. */
	job = load_ok(JOB SRC UP "[output]\nname = x.csv\n"
	    "delimiter = \";\"\n");
	assert_int_equal(job->output.delimiter, ';');
	job_free(job);
}

static void
test_command_split(void **state)
{
	static const struct {
		const char *value;
		const char *argv[6];
	} rows[] = {
		{ "/usr/bin/export --date {date} --out \"/tmp/a b\"",
		    { "/usr/bin/export", "--date", "{date}", "--out",
		    "/tmp/a b", NULL } },
		{ "bin/export 'it''s' \"say \\\"hi\\\"\" a\\b",
		    { HOME "/bin/export", "its", "say \"hi\"", "a\\b", NULL } },
		{ "prog '' x", { "prog", "", "x", NULL } },
		{ "prog\t  a   ", { "prog", "a", NULL } },
		{ "'my prog' x", { "my prog", "x", NULL } },
		{ "./run.sh {date:%Y%m%d}", { HOME "/./run.sh", "{date:%Y%m%d}",
		    NULL } },
		{ "prog a\"b c\"d 'e f'g", { "prog", "ab cd", "e fg", NULL } },
		{ "\"prog \\\"a # b\\\"\"", { "prog", "a # b", NULL } },
	};
	char text[1024];
	struct job *job;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), JOB "[source]\ntype = command\n"
		    "command = %s\n" OUT UP, rows[i].value);
		job = load_ok(text);
		for (j = 0; rows[i].argv[j] != NULL; j++) {
			if (j >= job->source.command.n ||
			    strcmp(job->source.command.v[j],
			    rows[i].argv[j]) != 0)
				fail_msg("'%s': argv[%zu] is '%s', want '%s'",
				    rows[i].value, j,
				    j < job->source.command.n ?
				    job->source.command.v[j] : "(none)",
				    rows[i].argv[j]);
		}
		assert_int_equal(job->source.command.n, j);
		job_free(job);
	}
}

static void
test_output_format_from_name(void **state)
{
	static const struct {
		const char *name;
		enum out_format want;
	} rows[] = {
		{ "a.csv", FMT_CSV }, { "a.json", FMT_JSON },
		{ "a.jsonl", FMT_JSONL }, { "a.ndjson", FMT_JSONL },
		{ "a.JSON", FMT_JSON }, { "a.json.gz", FMT_JSON },
		{ "a.jsonl.zip", FMT_JSONL }, { "a.txt", FMT_CSV },
		{ "{date}", FMT_CSV },
	};
	char text[512];
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), JOB SRC UP "[output]\nname = %s\n",
		    rows[i].name);
		job = load_ok(text);
		if (job->output.format != rows[i].want)
			fail_msg("'%s': format %d", rows[i].name,
			    job->output.format);
		job_free(job);
	}
	/* An explicit format wins over the extension. */
	job = load_ok(JOB SRC UP "[output]\nname = a.json\nformat = jsonl\n");
	assert_int_equal(job->output.format, FMT_JSONL);
	job_free(job);
}

static void
test_urls(void **state)
{
	static const struct {
		const char *url;
		const char *want;	/* stored URL, or NULL */
		const char *why;	/* the error otherwise */
	} rows[] = {
		{ "sftp://partner.example.com/inbound/",
		    "sftp://partner.example.com/inbound/", NULL },
		{ "SFTP://Partner/in/", "sftp://Partner/in/", NULL },
		{ "sftp://user@host:2222/in/", "sftp://user@host:2222/in/",
		    NULL },
		{ "https://dav.example.com/in/", "https://dav.example.com/in/",
		    NULL },
		{ "file:///srv/out/", "file:///srv/out/", NULL },
		{ "outbox", HOME "/outbox", NULL },
		{ "out/{job}", HOME "/out/{job}", NULL },
		{ "/srv/out/", "/srv/out/", NULL },
		{ "http://dav.example.com/in/", NULL,
		    "key 'url': plain http is not allowed; use https://" },
		{ "HTTP://x/", NULL, "plain http is not allowed" },
		{ "ftp://host/in/", NULL, "key 'url': unsupported scheme "
		    "'ftp://' (expected sftp://, https://, s3://, file:/// or "
		    "a directory)" },
		{ "s3://bucket/", "s3://bucket/", NULL },
		{ "S3://my.bucket-1/a/b/", "s3://my.bucket-1/a/b/", NULL },
		{ "s3://Bucket/", NULL, "does not start with a bucket name" },
		{ "s3://ab/", NULL, "does not start with a bucket name" },
		{ "s3://bucket//x/", NULL, "plain names separated by single "
		    "'/'" },
		{ "s3://bucket/a/../b/", NULL, "plain names separated" },
		{ "file://host/dir/", NULL, "a file URL must name an absolute "
		    "directory" },
		{ "sftp://", NULL, "no host name in 'sftp://'" },
		{ "https:///x", NULL, "no host name" },
		{ "~/out", NULL, "'~' is not expanded" },
	};
	struct strlist errs = { 0, NULL, 0 };
	char text[512];
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), JOB SRC OUT "[upload]\nurl = %s\n",
		    rows[i].url);
		if (rows[i].want != NULL) {
			job = load_ok(text);
			assert_string_equal(job->upload.url, rows[i].want);
			job_free(job);
			continue;
		}
		job = (struct job *)&errs;	/* must be reset to NULL */
		assert_int_equal(load("t.job", text, &job, &errs), -1);
		assert_null(job);
		assert_int_equal(errs.n, 1);
		if (strstr(errs.v[0], rows[i].why) == NULL)
			fail_msg("'%s': got '%s'", rows[i].url, errs.v[0]);
		assert_non_null(strstr(errs.v[0], "/t.job:9: "));
		strlist_free(&errs);
	}
}

/* The S3 keys: parsed for an s3:// url, refused with any other. */
static void
test_s3_keys(void **state)
{
	static const struct {
		const char *lines;
		const char *why;	/* NULL: loads */
	} rows[] = {
		{ "url = s3://b-1/in/\nendpoint = http://127.0.0.1:9000\n"
		    "part_size = 5M\npath_style = no\nregion = eu-west-1\n",
		    NULL },
		{ "url = s3://b-1/in/\nendpoint = http://192.0.2.1:9000\n",
		    "key 'endpoint': plain http:// is only allowed to a "
		    "loopback address" },
		{ "url = s3://b-1/in/\nendpoint = https://h/path\n",
		    "key 'endpoint': expected https://HOST[:PORT], without a "
		    "path" },
		{ "url = s3://b-1/in/\npart_size = 4M\n",
		    "key 'part_size': must be at least 5M" },
		{ "url = s3://b-1/in/\nregion = EU WEST\n",
		    "key 'region': expected a region name" },
		{ "url = s3://b-1/in/\nprofile = x\n",
		    "key 'profile': only used with credentials_file" },
		{ "url = s3://b-1/in/\nuser = me\n",
		    "key 'user': not used with an s3:// url" },
		{ "url = https://h/in/\nendpoint = https://h\n",
		    "key 'endpoint': only used with an s3:// url" },
		{ "url = https://h/in/\npart_size = 8M\n",
		    "key 'part_size': only used with an s3:// url" },
	};
	struct strlist errs = { 0, NULL, 0 };
	char text[1024];
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), JOB SRC OUT "[upload]\n%s",
		    rows[i].lines);
		if (rows[i].why == NULL) {
			job = load_ok(text);
			assert_string_equal(job->upload.endpoint,
			    "http://127.0.0.1:9000");
			assert_string_equal(job->upload.region, "eu-west-1");
			assert_int_equal(job->upload.path_style, 0);
			assert_true(job->upload.part_size == 5LL << 20);
			job_free(job);
			continue;
		}
		job = NULL;
		assert_int_equal(load("t.job", text, &job, &errs), -1);
		if (errs.n != 1 || strstr(errs.v[0], rows[i].why) == NULL)
			fail_msg("row %zu: got '%s'", i, errs.n ? errs.v[0] :
			    "");
		strlist_free(&errs);
	}
	job = load_ok(JOB SRC OUT "[upload]\nurl = s3://b-1/in/\n");
	assert_string_equal(job->upload.region, "us-east-1");
	assert_int_equal(job->upload.path_style, -1);
	assert_true(job->upload.part_size == 64LL << 20);
	assert_null(job->upload.endpoint);
	job_free(job);
}

static void
test_host_key(void **state)
{
	static const struct {
		const char *value, *want;
	} rows[] = {
		{ "SHA256:EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gjw",
		    "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gjw" },
		{ "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gjw",
		    "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gjw" },
		{ "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gjw=",
		    "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gjw" },
		{ "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gj", NULL },
		{ "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gjww", NULL },
		/* Last character with the unused bits set: not 32 bytes. */
		{ "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc+dITtAO5Gjx", NULL },
		/* base64url alphabet */
		{ "EniAp23pXeOK91BMw15TsNxT2cSyM8Uc-dITtAO5Gjw", NULL },
		{ "MD5:aa:bb", NULL },
	};
	struct strlist errs = { 0, NULL, 0 };
	char text[512];
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), BASE "host_key_sha256 = %s\n",
		    rows[i].value);
		if (rows[i].want != NULL) {
			job = load_ok(text);
			assert_string_equal(job->upload.host_key_sha256,
			    rows[i].want);
			job_free(job);
			continue;
		}
		assert_int_equal(load("t.job", text, &job, &errs), -1);
		assert_int_equal(errs.n, 1);
		if (strstr(errs.v[0], ":10: key 'host_key_sha256': expected "
		    "the base64 SHA-256 fingerprint") == NULL)
			fail_msg("'%s': got '%s'", rows[i].value, errs.v[0]);
		strlist_free(&errs);
	}
}

/*
 * Broken job files and the messages they must give, in order.  Line
 * numbers count from the nine lines of BASE: a row's first added line is
 * line 10.
 */
struct broken_row {
	const char *label;
	const char *text;
	const char *want[8];	/* substrings of errors[0..n-1], in order */
};

static const struct broken_row broken[] = {
	{ "expect in a send job", BASE "[inbox]\nexpect = 06:00\n",
	    { "/t.job:10: unknown section '[inbox]' (it belongs in receive "
	    "jobs)" } },
	{ "typo with suggestion", BASE "[aggregate]\ngroup_bu = a\n",
	    { "/t.job:11: key 'group_bu': unknown key in [aggregate] (did "
	    "you mean 'group_by'?)" } },
	{ "typo two edits away", BASE "[upload]\nretrys = 3\n",
	    { ":11: key 'retrys': unknown key in [upload] (did you mean "
	    "'retries'?)" } },
	{ "unknown key, nothing close", BASE "[upload]\nfrobnicate = 1\n",
	    { ":11: key 'frobnicate': unknown key in [upload]" } },
	{ "key in the wrong section", BASE "[job]\nurl = x\n",
	    { ":11: key 'url': unknown key in [job] (it belongs in "
	    "[source] or [upload])" } },
	{ "bad duration", BASE "retry_delay = 5 minutes\n",
	    { ":10: key 'retry_delay': expected a number of seconds or a "
	    "number with one unit s, m, h or d (e.g. 30s, 10m, 2h, 7d)" } },
	{ "bad cron field", BASE "[job]\nschedule = 61 2 * * *\n",
	    { ":11: key 'schedule': minute: '61' is out of range 0-59" } },
	{ "cron field count", BASE "[job]\nschedule = 30 2 * *\n",
	    { ":11: key 'schedule': expected 5 fields" } },
	{ "unknown time zone", BASE "[job]\ntimezone = Mars/Olympus\n",
	    { ":11: key 'timezone': unknown time zone 'Mars/Olympus'" } },
	{ "bad pattern", BASE "[source]\nready_file = in/{dat}.done\n",
	    { ":11: key 'ready_file': unknown placeholder '{dat}' (expected "
	    "{date}, {date:FMT} or {job})" } },
	{ "time in a name", JOB SRC UP "[output]\nname = x_{date:%H}.csv\n",
	    { ":9: key 'name': {date:%H} has a time conversion '%H'; a batch "
	    "is a date" } },
	{ "missing required key", JOB SRC OUT,
	    { "/t.job: key 'url' is required in [upload]" } },
	{ "missing everything", "# empty\n",
	    { "/t.job: key 'direction' is required in [job]",
	    "/t.job: key 'type' is required in [source]",
	    "/t.job: key 'name' is required in [output]",
	    "/t.job: key 'url' is required in [upload]" } },
	{ "missing path for csv", JOB "[source]\ntype = jsonl\n" OUT UP,
	    { "/t.job: key 'path' is required in [source]" } },
	{ "missing sqlite keys", JOB "[source]\ntype = sqlite\n" OUT UP,
	    { "key 'database' is required in [source]",
	    "key 'query' is required in [source]" } },
	{ "missing command", JOB "[source]\ntype = command\n" OUT UP,
	    { "key 'command' is required in [source]" } },
	{ "unknown section", BASE "[uplaod]\nurl = x\nuser = y\n",
	    { ":10: unknown section '[uplaod]' (did you mean '[upload]'?)" } },
	{ "unknown section, nothing close", BASE "[extras]\nx = 1\n",
	    { ":10: unknown section '[extras]'" } },
	{ "receive section in a send job", BASE "[inbox]\npath = x\n",
	    { ":10: unknown section '[inbox]' (it belongs in receive "
	    "jobs)" } },
	{ "duplicate key", BASE "[job]\ndirection = send\n",
	    { ":11: key 'direction': duplicate key in [job] (first set on "
	    "line 2)" } },
	{ "bad direction", "[job]\ndirection = sideways\n" SRC OUT UP,
	    { ":2: key 'direction': expected send or receive" } },
	{ "bad source type", JOB "[source]\ntype = xml\n" OUT UP,
	    { ":4: key 'type': expected csv, jsonl, sqlite, command, "
	    "postgresql or mysql" } },
	{ "key for another type", BASE "[source]\nquery = SELECT 1\n",
	    { ":11: key 'query': not used with type = csv (only with type = "
	    "sqlite, postgresql or mysql)" } },
	{ "required with a command", JOB "[source]\ntype = command\n"
	    "command = /bin/true\nrequired = no\n" OUT UP,
	    { ":6: key 'required': not used with type = command (only with "
	    "type = csv, jsonl or sqlite)" } },
	{ "csv key with json", JOB SRC UP "[output]\nname = x.json\n"
	    "delimiter = |\nformula_guard = yes\n",
	    { ":10: key 'delimiter': only used with format = csv, not json",
	    ":11: key 'formula_guard': only used with format = csv" } },
	{ "name with a slash", JOB SRC UP "[output]\nname = a/b.csv\n",
	    { ":9: key 'name': must be a file name, without '/'" } },
	{ "name dot-dot", JOB SRC UP "[output]\nname = ..\n",
	    { ":9: key 'name': '..' is not a file name" } },
	{ "empty value", BASE "[source]\ndate_field =\n",
	    { ":11: key 'date_field': empty value" } },
	{ "date", BASE "[job]\ndate = tomorrow\n",
	    { ":11: key 'date': expected today, yesterday, today-N (N from "
	    "0 to 3650), previous-business-day or business-day-N" } },
	{ "business date without calendar", BASE "[job]\ndate = "
	    "previous-business-day\n",
	    { ":11: key 'date': a business-day date needs a calendar" } },
	{ "business-day-0", BASE "[job]\ndate = business-day-0\n",
	    { ":11: key 'date': business-day-N: N must be from 1" } },
	{ "calendar missing", BASE "[job]\ncalendar = no-such.txt\n",
	    { ":11: key 'calendar': cannot open calendar '" } },
	{ "run_on", BASE "[job]\nrun_on = weekdays\n",
	    { ":11: key 'run_on': expected every-day or business-days" } },
	{ "run_on without calendar", BASE "[job]\nrun_on = business-days\n",
	    { ":11: key 'run_on': run_on = business-days needs a calendar" } },
	{ "weekend", BASE "[job]\nweekend = saturday\n",
	    { ":11: key 'weekend': 'saturday' is not a day" } },
	{ "cutoff", BASE "[job]\ncutoff = 24:00\n",
	    { ":11: key 'cutoff': '24:00' is not a time of day" } },
	{ "date too far back", BASE "[job]\ndate = today-3651\n",
	    { ":11: key 'date': expected today" } },
	{ "catch_up in hours", BASE "[job]\ncatch_up = 36h\n",
	    { ":11: key 'catch_up': must be whole days" } },
	{ "enabled", BASE "[job]\nenabled = maybe\n",
	    { ":11: key 'enabled': expected yes or no" } },
	{ "delimiter", BASE "[output]\ndelimiter = ab\n",
	    { ":11: key 'delimiter': expected one character other than '\"', "
	    "CR or LF (or tab)" } },
	{ "quote delimiter", BASE "[output]\ndelimiter = \"\\\"\"\n",
	    { ":11: key 'delimiter': expected one character" } },
	{ "fields with aggregation", BASE "[aggregate]\ngroup_by = a\n"
	    "fields = a, b\n",
	    { ":12: key 'fields': cannot be combined with group_by, count, "
	    "sum, min or max" } },
	{ "scale out of range", BASE "[aggregate]\nsum = a\nscale = 19\n",
	    { ":12: key 'scale': expected a whole number from 0 to 18" } },
	{ "scale not a number", BASE "[aggregate]\nsum = a\nscale = two\n",
	    { ":12: key 'scale': expected a whole number from 0 to 18" } },
	{ "unknown rounding", BASE "[aggregate]\nsum = a\nscale = 2\n"
	    "rounding = half_up\n",
	    { ":13: key 'rounding': expected half-even, half-up or error" } },
	{ "rounding without scale", BASE "[aggregate]\nmax = a\n"
	    "rounding = error\n",
	    { ":12: key 'rounding': needs scale (without scale nothing is "
	    "rounded" } },
	{ "scale without a number column", BASE "[aggregate]\n"
	    "group_by = a\ncount = n\nscale = 2\n",
	    { ":13: key 'scale': applies to sum, min and max columns, and "
	    "this job has none" } },
	{ "scale on records passing through", BASE "[aggregate]\n"
	    "fields = a, b\nscale = 2\nrounding = half-up\n",
	    { ":12: key 'scale': applies to sum, min and max columns" } },
	{ "field twice in group_by", BASE "[aggregate]\ngroup_by = a, b, a\n",
	    { ":11: key 'group_by': field 'a' is listed twice" } },
	{ "empty list item", BASE "[aggregate]\nsum = a,,b\n",
	    { ":11: key 'sum': empty item in the list" } },
	{ "column twice", BASE "[aggregate]\ngroup_by = store\ncount = n\n"
	    "sum = store\n",
	    { ":13: key 'sum': column 'store' would appear twice in the "
	    "output" } },
	{ "count named like the date column", BASE "[aggregate]\n"
	    "count = date\n[output]\ndate_column = date\n",
	    { ":11: key 'count': column 'date' would appear twice" } },
	{ "unterminated quote in command", JOB "[source]\ntype = command\n"
	    "command = prog \"a b\n" OUT UP,
	    { ":5: key 'command': unterminated double quote" } },
	{ "unterminated single quote", JOB "[source]\ntype = command\n"
	    "command = prog 'a b\n" OUT UP,
	    { ":5: key 'command': unterminated single quote" } },
	{ "bad pattern in a command argument", JOB "[source]\n"
	    "type = command\ncommand = prog --day {day}\n" OUT UP,
	    { ":5: key 'command': argument '{day}': unknown placeholder" } },
	{ "empty program", JOB "[source]\ntype = command\ncommand = ''\n"
	    OUT UP, { ":5: key 'command': no program given" } },
	{ "command timeout 0", JOB "[source]\ntype = command\n"
	    "command = prog\ntimeout = 0\n" OUT UP,
	    { ":6: key 'timeout': must be longer than 0" } },
	{ "temp_suffix with a slash", BASE "temp_suffix = x/y\n",
	    { ":10: key 'temp_suffix': must not contain '/'" } },
	{ "retries", BASE "retries = 101\n",
	    { ":10: key 'retries': expected a whole number from 0 to 100" } },
	{ "max_attempts", BASE "max_attempts = 0\n",
	    { ":10: key 'max_attempts': expected a whole number from 1 to "
	    "1000" } },
	{ "connect_timeout", BASE "connect_timeout = 0s\n",
	    { ":10: key 'connect_timeout': must be longer than 0" } },
	{ "on_exists", BASE "on_exists = skip\n",
	    { ":10: key 'on_exists': expected replace or fail" } },
	{ "proxy", BASE "proxy = ftp://proxy\n",
	    { ":10: key 'proxy': expected none or a proxy URL" } },
	{ "compress", BASE "[output]\ncompress = bzip2\n",
	    { ":11: key 'compress': expected none, gzip or zip" } },
	{ "manifest", BASE "[output]\nmanifest = md5\n",
	    { ":11: key 'manifest': expected none, sha256 or json" } },
	{ "tilde path", JOB "[source]\ntype = csv\npath = ~/in/*.csv\n" OUT UP,
	    { ":5: key 'path': '~' is not expanded" } },
	{ "a broken line does not stop reading", JOB "[source]\ntype = csv\n"
	    "path = in/{x}.csv\nthis line is wrong\n" OUT "compress = rar\n"
	    UP,
	    { ":5: key 'path': unknown placeholder '{x}'",
	    ":6: expected 'key = value'",
	    ":9: key 'compress': expected none, gzip or zip" } },
	/* The issue's case: "group-by" named with its fix, and the
	 * file's other problems still reported. */
	{ "malformed key with a suggestion, other errors kept",
	    BASE "[aggregate]\ngroup-by = store\nsum = amount\nscale = 2\n"
	    "rounding = up\n[output]\ncompress = rar\n",
	    { ":11: key 'group-by': unknown key in [aggregate] (did you mean "
	    "'group_by'?)",
	    ":14: key 'rounding': expected half-even, half-up or error",
	    ":16: key 'compress': expected none, gzip or zip" } },
	{ "malformed keys spelt other ways", BASE "[aggregate]\n"
	    "Group.By = a\nSUM = b\n[upload]\nmax-attempts = 3\n"
	    "Retry Delay = 1s\n",
	    { ":11: key 'Group.By': unknown key in [aggregate] (did you "
	    "mean 'group_by'?)",
	    ":12: key 'SUM': unknown key in [aggregate] (did you mean "
	    "'sum'?)",
	    ":14: key 'max-attempts': unknown key in [upload] (did you "
	    "mean 'max_attempts'?)",
	    ":15: key 'Retry Delay': unknown key in [upload] (did you mean "
	    "'retry_delay'?)" } },
	{ "malformed key in the wrong section", BASE "[job]\nca-file = x\n",
	    { ":11: key 'ca-file': unknown key in [job] (it belongs in "
	    "[source] or [upload], spelt 'ca_file')" } },
	{ "malformed key, nothing close", BASE "[upload]\nfrob-nicate! = 1\n",
	    { ":11: key 'frob-nicate!': unknown key in [upload] (keys are "
	    "lower case letters, digits and '_')" } },
	{ "malformed key outside a section", "a-b = 1\n" BASE,
	    { ":1: bad key 'a-b' (keys are lower case letters, digits and "
	    "'_')" } },
	{ "malformed key in an unknown section", BASE "[agregate]\n"
	    "group-by = a\n",
	    { ":10: unknown section '[agregate]' (did you mean "
	    "'[aggregate]'?)" } },
	{ "keys after a broken section header are skipped", BASE
	    "[aggregate\ngroup_by = a\nbogus = 1\n[output]\n"
	    "compress = rar\n",
	    { ":10: expected '[section]'",
	    ":14: key 'compress': expected none, gzip or zip" } },
	{ "many problems at once, by line",
	    "[job]\n"				/* 1 */
	    "direction = send\n"		/* 2 */
	    "schedule = 30 2 * * 8\n"		/* 3 */
	    "timezone = Mars/Olympus\n"		/* 4 */
	    "[source]\n"			/* 5 */
	    "type = csv\n"			/* 6 */
	    "path = in/{dat}.csv\n"		/* 7 */
	    "[aggregate]\n"			/* 8 */
	    "grup_by = a\n"			/* 9 */
	    "[output]\n"			/* 10 */
	    "name = x.csv\n"			/* 11 */
	    "compress = rar\n"			/* 12 */
	    "[job]\n"				/* 13 */
	    "timezone = UTC\n",			/* 14 */
	    { ":3: key 'schedule': day of week: '8' is out of range",
	    ":4: key 'timezone': unknown time zone 'Mars/Olympus'",
	    ":7: key 'path': unknown placeholder '{dat}'",
	    ":9: key 'grup_by': unknown key in [aggregate] (did you mean "
	    "'group_by'?)",
	    ":12: key 'compress': expected none, gzip or zip",
	    ":14: key 'timezone': duplicate key in [job] (first set on line "
	    "4)",
	    "/t.job: key 'url' is required in [upload]" } },
};

/* tests/data/jobs/sales_in.job: a local inbox into SQLite, every key. */
static void
test_receive_full(void **state)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	char path[512];

	(void)state;
	fixture(path, sizeof(path), "sales_in.job");
	if (job_load(HOME, path, &job, &errs) != 0)
		fail_msg("%s: %s", path, errs.n ? errs.v[0] : "?");
	assert_string_equal(job->name, "sales_in");
	assert_int_equal(job->direction, DIR_RECEIVE);
	assert_string_equal(job_direction_name(job->direction), "receive");
	assert_string_equal(job->schedule, "*/10 * * * *");
	assert_string_equal(job->timezone, "Asia/Seoul");
	assert_int_equal(job->enabled, 0);

	assert_string_equal(job->inbox.path, HOME "/inbox/partner");
	assert_null(job->inbox.url);
	assert_string_equal(job->inbox.pattern,
	    "sales_{date:%Y%m%d}_[0-9]*.csv");
	assert_int_equal(job->inbox.format, FMT_CSV);
	assert_int_equal(job->inbox.delimiter, '|');
	assert_int_equal(job->inbox.header, 0);
	assert_int_equal(job->inbox.settle_s, 120);
	assert_int_equal(job->inbox.require_manifest, 1);
	assert_int_equal(job->inbox.manifest_timeout_s, 3 * 3600);
	assert_int_equal(job->inbox.after_pull, AFTER_PULL_DELETE);
	assert_null(job->inbox.after_pull_dir);
	assert_true(job->inbox.max_size == 512LL << 20);

	assert_int_equal(job->ingest.type, INGEST_SQLITE);
	assert_string_equal(job->ingest.database, HOME "/db/{job}.db");
	assert_string_equal(job->ingest.table, "sales");
	assert_int_equal(job->ingest.mode, MODE_REPLACE_DATE);
	assert_string_equal(job->ingest.date_column, "day");
	assert_int_equal(job->ingest.columns.n, 4);
	assert_string_equal(job->ingest.columns.v[0], "day");
	assert_string_equal(job->ingest.columns.v[1], "store_id");
	assert_string_equal(job->ingest.columns.v[2], "orders");
	assert_string_equal(job->ingest.columns.v[3], "amount");
	assert_int_equal(job->ingest.command.n, 0);

	assert_string_equal(job->backup.path,
	    "/var/backups/xfer/{job}/{date:%Y/%m}");
	assert_int_equal(job->backup.compress, COMPRESS_GZIP);
	assert_int_equal(job->backup.keep_days, 0);

	/* A local inbox needs no server. */
	assert_null(job->upload.url);
	assert_null(job->upload.user);
	job_free(job);
	strlist_free(&errs);
}

/* tests/data/jobs/sales_pull.job: pulled over SFTP; the connection keys
 * land in job->upload. */
static void
test_receive_pull(void **state)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	char path[512];

	(void)state;
	fixture(path, sizeof(path), "sales_pull.job");
	if (job_load(HOME, path, &job, &errs) != 0)
		fail_msg("%s: %s", path, errs.n ? errs.v[0] : "?");
	assert_int_equal(job->direction, DIR_RECEIVE);
	assert_null(job->inbox.path);
	assert_string_equal(job->inbox.url,
	    "sftp://partner.example.com/outbound/");
	assert_string_equal(job->inbox.pattern, "*.json.gz");
	assert_int_equal(job->inbox.format, -1);
	assert_int_equal(job->inbox.after_pull, AFTER_PULL_MOVE);
	assert_string_equal(job->inbox.after_pull_dir, "/outbound/done");
	assert_int_equal(job->ingest.type, INGEST_NONE);
	assert_null(job->ingest.database);
	assert_null(job->ingest.table);
	assert_null(job->ingest.date_column);

	assert_string_equal(job->upload.url,
	    "sftp://partner.example.com/outbound/");
	assert_true(job->upload.url != job->inbox.url);
	assert_string_equal(job->upload.user, "shop");
	assert_string_equal(job->upload.identity, HOME "/keys/partner_ed25519");
	assert_string_equal(job->upload.passphrase_file,
	    HOME "/keys/partner.passphrase");
	assert_string_equal(job->upload.known_hosts, "/etc/xfer/known_hosts");
	assert_string_equal(job->upload.host_key_sha256,
	    "fz+kjKiFZ4E0hC+nRW8+zlOpf4Q7YQGF2QCsTkZ8dJA");
	assert_string_equal(job->upload.password_file,
	    HOME "/secrets/partner.pass");
	assert_string_equal(job->upload.ca_file, "/etc/xfer/partner-ca.pem");
	assert_string_equal(job->upload.client_cert, HOME "/certs/client.pem");
	assert_string_equal(job->upload.client_key, HOME "/certs/client.key");
	assert_int_equal(job->upload.connect_timeout_ms, 60000);
	assert_int_equal(job->upload.stall_timeout_ms, 120000);
	assert_string_equal(job->upload.proxy,
	    "socks5h://proxy.example.com:1080");
	assert_int_equal(job->upload.retries, 5);
	assert_int_equal(job->upload.retry_delay_ms, 10000);
	/* Keys [inbox] does not have keep their defaults. */
	assert_string_equal(job->upload.temp_suffix, ".part");
	assert_int_equal(job->upload.on_exists, ON_EXISTS_REPLACE);
	assert_int_equal(job->upload.max_attempts, 10);

	/* No [backup]: the defaults. */
	assert_string_equal(job->backup.path,
	    HOME "/spool/{job}/backup/{date:%Y/%m/%d}");
	assert_int_equal(job->backup.compress, COMPRESS_NONE);
	assert_int_equal(job->backup.keep_days, 90);
	job_free(job);
	strlist_free(&errs);
}

/* tests/data/jobs/minimal_in.job: only the required keys. */
static void
test_receive_defaults(void **state)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	char path[512];

	(void)state;
	fixture(path, sizeof(path), "minimal_in.job");
	/* A home with a trailing slash gives no double slash. */
	if (job_load(HOME "/", path, &job, &errs) != 0)
		fail_msg("%s: %s", path, errs.n ? errs.v[0] : "?");
	assert_string_equal(job->name, "minimal_in");
	assert_int_equal(job->direction, DIR_RECEIVE);
	assert_int_equal(job->enabled, 1);
	assert_null(job->schedule);
	assert_null(job->timezone);

	assert_string_equal(job->inbox.path, HOME "/inbox");
	assert_null(job->inbox.url);
	assert_string_equal(job->inbox.pattern, "sales_*.csv");
	assert_int_equal(job->inbox.format, -1);
	assert_int_equal(job->inbox.delimiter, ',');
	assert_int_equal(job->inbox.header, 1);
	assert_int_equal(job->inbox.settle_s, 60);
	assert_int_equal(job->inbox.require_manifest, 0);
	assert_int_equal(job->inbox.manifest_timeout_s, 3600);
	assert_int_equal(job->inbox.after_pull, AFTER_PULL_DELETE);
	assert_null(job->inbox.after_pull_dir);
	assert_true(job->inbox.max_size == 10LL << 30);

	assert_int_equal(job->ingest.type, INGEST_SQLITE);
	assert_string_equal(job->ingest.database, HOME "/sales.db");
	assert_string_equal(job->ingest.table, "sales");
	assert_int_equal(job->ingest.mode, MODE_APPEND);
	assert_string_equal(job->ingest.date_column, "date");
	assert_int_equal(job->ingest.columns.n, 0);
	assert_int_equal(job->ingest.command.n, 0);
	assert_int_equal(job->ingest.timeout_s, 600);

	assert_string_equal(job->backup.path,
	    HOME "/spool/{job}/backup/{date:%Y/%m/%d}");
	assert_int_equal(job->backup.compress, COMPRESS_NONE);
	assert_int_equal(job->backup.keep_days, 90);

	assert_null(job->upload.url);
	assert_string_equal(job->upload.temp_suffix, ".part");
	job_free(job);
	strlist_free(&errs);
}

static void
test_receive_command(void **state)
{
	static const struct {
		const char *value;
		const char *argv[6];
	} rows[] = {
		{ "/usr/local/bin/load {file}",
		    { "/usr/local/bin/load", "{file}", NULL } },
		{ "bin/load --in={file} --day {date:%Y%m%d} --job {job}",
		    { HOME "/bin/load", "--in={file}", "--day", "{date:%Y%m%d}",
		    "--job", "{job}" } },
		/* {file} is optional: XFER_FILE is always set. */
		{ "load", { "load", NULL } },
		{ "load '{{file}}' \"{file}.{date}\"",
		    { "load", "{{file}}", "{file}.{date}", NULL } },
	};
	char text[1024];
	struct job *job;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), RJOB RIN "[ingest]\n"
		    "type = command\ncommand = %s\ntimeout = 90s\n"
		    "columns = date, n\n", rows[i].value);
		job = load_ok(text);
		assert_int_equal(job->ingest.type, INGEST_COMMAND);
		assert_int_equal(job->ingest.timeout_s, 90);
		assert_int_equal(job->ingest.columns.n, 2);
		assert_null(job->ingest.database);
		assert_null(job->ingest.table);
		assert_null(job->ingest.date_column);
		for (j = 0; j < 6 && rows[i].argv[j] != NULL; j++) {
			if (j >= job->ingest.command.n ||
			    strcmp(job->ingest.command.v[j],
			    rows[i].argv[j]) != 0)
				fail_msg("'%s': argv[%zu] is '%s', want '%s'",
				    rows[i].value, j,
				    j < job->ingest.command.n ?
				    job->ingest.command.v[j] : "(none)",
				    rows[i].argv[j]);
		}
		assert_int_equal(job->ingest.command.n, j);
		job_free(job);
	}

	/* A jsonl inbox by format, columns for header = no in csv, a
	 * replace-date column among the columns, keep after pulling. */
	job = load_ok(RJOB "[inbox]\nurl = https://h/out/\npattern = *.txt\n"
	    "format = jsonl\nafter_pull = keep\nsettle = 0\n" RING
	    "mode = replace-date\ncolumns = n, date\n");
	assert_int_equal(job->inbox.format, FMT_JSONL);
	assert_int_equal(job->inbox.after_pull, AFTER_PULL_KEEP);
	assert_int_equal(job->inbox.settle_s, 0);
	assert_string_equal(job->upload.url, "https://h/out/");
	assert_string_equal(job->ingest.date_column, "date");
	job_free(job);

	job = load_ok(RBASE "[inbox]\nheader = no\ndelimiter = tab\n"
	    "[ingest]\ncolumns = a, b\n[job]\nschedule = 0 * * * *\n");
	assert_int_equal(job->inbox.header, 0);
	assert_int_equal(job->inbox.delimiter, '\t');
	assert_string_equal(job->schedule, "0 * * * *");
	job_free(job);

	/* A backup path relative to the home, with patterns. */
	job = load_ok(RBASE "[backup]\npath = archive/{job}/{date}\n");
	assert_string_equal(job->backup.path, HOME "/archive/{job}/{date}");
	assert_int_equal(job->inbox.expect_min, -1);
	job_free(job);
}

/* [inbox] expect = HH:MM: minutes after midnight. */
static void
test_receive_expect(void **state)
{
	struct job *job;

	(void)state;
	job = load_ok(RJOB "[inbox]\npath = in\npattern = s_{date}.csv\n"
	    "expect = 06:00\n" RING);
	assert_int_equal(job->inbox.expect_min, 6 * 60);
	assert_int_equal(job->date_offset, 1);
	job_free(job);
	job = load_ok(RJOB "date = today-2\n[inbox]\npath = in\n"
	    "pattern = s_{date:%Y%m%d}.csv\nexpect = 23:59\n" RING);
	assert_int_equal(job->inbox.expect_min, 23 * 60 + 59);
	assert_int_equal(job->date_offset, 2);
	job_free(job);
	/* No date in the name: the pick-up day is the date, so today. */
	job = load_ok(RJOB "date = today\n[inbox]\npath = in\n"
	    "pattern = *.csv\nexpect = 00:00\n" RING);
	assert_int_equal(job->inbox.expect_min, 0);
	job_free(job);
}

/* [job] nodes: which nodes of a fleet run the job. */
static void
test_nodes(void **state)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;

	(void)state;
	job = load_ok(BASE);
	assert_int_equal(job->nodes.n, 0);
	assert_true(job_runs_on(job, "any"));
	job_free(job);
	job = load_ok(JOB "nodes = host-a, db2.example_1\n" SRC OUT UP);
	assert_int_equal(job->nodes.n, 2);
	assert_true(job_runs_on(job, "host-a"));
	assert_true(job_runs_on(job, "db2.example_1"));
	assert_false(job_runs_on(job, "host-b"));
	assert_false(job_runs_on(job, "Host-a"));
	assert_false(job_runs_on(job, NULL));
	job_free(job);
	job = load_ok(RJOB "nodes = r1\n" RIN RING);
	assert_true(job_runs_on(job, "r1"));
	assert_false(job_runs_on(job, "r2"));
	job_free(job);
	job = NULL;
	assert_int_equal(load("t.job", JOB "nodes = a, b c\n" SRC OUT UP,
	    &job, &errs), -1);
	assert_non_null(strstr(errs.v[0], "key 'nodes': 'b c' is not a node "
	    "name"));
	strlist_free(&errs);
	assert_int_equal(load("t.job", JOB "nodes = a,,b\n" SRC OUT UP,
	    &job, &errs), -1);
	assert_non_null(strstr(errs.v[0], "key 'nodes'"));
	strlist_free(&errs);
	assert_int_equal(load("t.job", JOB "nodes = a, a\n" SRC OUT UP,
	    &job, &errs), -1);
	assert_non_null(strstr(errs.v[0], "key 'nodes'"));
	strlist_free(&errs);
	/* Only [job] holds it. */
	assert_int_equal(load("t.job", BASE "[upload]\nnodes = a\n", &job,
	    &errs), -1);
	strlist_free(&errs);
	assert_true(job_node_name_ok("a"));
	assert_false(job_node_name_ok(""));
	assert_false(job_node_name_ok("a/b"));
	assert_false(job_node_name_ok("0123456789012345678901234567890123456"
	    "789012345678901234567890123"));
	assert_true(job_node_name_ok("012345678901234567890123456789012345678"
	    "901234567890123456789012"));
}

static void
test_receive_urls(void **state)
{
	static const struct {
		const char *url, *want;
	} rows[] = {
		{ "sftp://partner.example.com/outbound/",
		    "sftp://partner.example.com/outbound/" },
		{ "SFTP://Partner/out/", "sftp://Partner/out/" },
		{ "sftp://user@host:2222/out/", "sftp://user@host:2222/out/" },
		{ "HTTPS://dav.example.com/out/",
		    "https://dav.example.com/out/" },
	};
	char text[512];
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), RJOB "[inbox]\nurl = %s\n"
		    "pattern = x\n" RING, rows[i].url);
		job = load_ok(text);
		assert_string_equal(job->inbox.url, rows[i].want);
		assert_string_equal(job->upload.url, rows[i].want);
		assert_null(job->inbox.path);
		job_free(job);
	}
}

/* Broken receive jobs; added lines start at line 10 after RBASE too. */
static const struct broken_row broken_receive[] = {
	{ "missing pattern", RJOB "[inbox]\npath = inbox\n" RING,
	    { "/t.job: key 'pattern' is required in [inbox]" } },
	{ "missing inbox", RJOB RING,
	    { "/t.job: key 'path' or 'url' is required in [inbox]",
	    "/t.job: key 'pattern' is required in [inbox]" } },
	{ "missing everything", RJOB,
	    { "/t.job: key 'path' or 'url' is required in [inbox]",
	    "/t.job: key 'pattern' is required in [inbox]",
	    "/t.job: key 'type' is required in [ingest]" } },
	{ "both path and url", RBASE "[inbox]\nurl = sftp://h/out/\n",
	    { "/t.job:11: key 'url': cannot be combined with path (an inbox "
	    "is a local directory or a URL, not both)" } },
	{ "http url", RJOB "[inbox]\nurl = http://h/out/\npattern = *.csv\n"
	    RING,
	    { ":4: key 'url': plain http is not allowed; use https://" } },
	{ "file url", RJOB "[inbox]\nurl = file:///srv/in/\npattern = x\n"
	    RING, { ":4: key 'url': unsupported scheme 'file://' (expected "
	    "sftp://, https:// or s3://; a local directory is given with "
	    "path)" } },
	{ "ftp url", RJOB "[inbox]\nurl = ftp://h/\npattern = x\n" RING,
	    { ":4: key 'url': unsupported scheme 'ftp://'" } },
	{ "directory as url", RJOB "[inbox]\nurl = inbox\npattern = x\n"
	    RING, { ":4: key 'url': expected an sftp://, https:// or s3:// "
	    "URL (a local directory is given with path)" } },
	{ "url without host", RJOB "[inbox]\nurl = sftp:///x\npattern = x\n"
	    RING, { ":4: key 'url': no host name in 'sftp:///x'" } },
	{ "url as path", RJOB "[inbox]\npath = sftp://h/out/\npattern = x\n"
	    RING, { ":4: key 'path': expected a local directory (a server to "
	    "pull from is given with url)" } },
	{ "tilde path", RJOB "[inbox]\npath = ~/in\npattern = x\n" RING,
	    { ":4: key 'path': '~' is not expanded" } },
	{ "table name starts with a digit", RJOB RIN "[ingest]\n"
	    "type = sqlite\ndatabase = x.db\ntable = 9sales\n",
	    { ":9: key 'table': '9sales' is not a table name (a letter or "
	    "'_', then letters, digits or '_', at most 64)" } },
	{ "table name with a dash", RJOB RIN "[ingest]\ntype = sqlite\n"
	    "database = x.db\ntable = sales-2024\n",
	    { ":9: key 'table': 'sales-2024' is not a table name" } },
	{ "table name with a quote", RJOB RIN "[ingest]\ntype = sqlite\n"
	    "database = x.db\ntable = \"a\\\"b\"\n",
	    { ":9: key 'table': 'a\"b' is not a table name" } },
	{ "table name of 65", RJOB RIN "[ingest]\ntype = sqlite\n"
	    "database = x.db\ntable = a2345678901234567890123456789012345678"
	    "901234567890123456789012345\n",
	    { ":9: key 'table': 'a234" } },
	{ "xfer_ table", RJOB RIN "[ingest]\ntype = sqlite\n"
	    "database = x.db\ntable = xfer_ingested\n",
	    { ":9: key 'table': names starting with 'xfer_' are reserved for "
	    "xfer's own tables" } },
	{ "XFER_ table", RJOB RIN "[ingest]\ntype = sqlite\n"
	    "database = x.db\ntable = XFER_Sales\n",
	    { ":9: key 'table': names starting with 'xfer_' are reserved" } },
	{ "header = no without columns", RBASE "[inbox]\nheader = no\n",
	    { ":11: key 'header': header = no needs the field names in "
	    "[ingest] columns" } },
	{ "send-only keys", RBASE "[job]\ndate = today\ncatch_up = 3d\n",
	    { ":11: key 'date': only used with [inbox] expect in receive jobs "
	    "(it names the batch date expect waits for)",
	    ":12: key 'catch_up': not used in receive jobs (only in send "
	    "jobs)" } },
	{ "after_pull and connection keys with path", RBASE "[inbox]\n"
	    "after_pull = keep\nuser = shop\nknown_hosts = kh\nretries = 2\n",
	    { ":11: key 'after_pull': not used with path (only with url)",
	    ":12: key 'user': not used with path (only with url)",
	    ":13: key 'known_hosts': not used with path (only with url)",
	    ":14: key 'retries': not used with path (only with url)" } },
	{ "zip backup", RBASE "[backup]\ncompress = zip\n",
	    { ":11: key 'compress': zip is not used for backups (expected none "
	    "or gzip)" } },
	{ "other backup compression", RBASE "[backup]\ncompress = bzip2\n",
	    { ":11: key 'compress': expected none or gzip" } },
	{ "keep_days", RBASE "[backup]\nkeep_days = 36501\n",
	    { ":11: key 'keep_days': expected a whole number from 0 to "
	    "36500" } },
	{ "backup path", RBASE "[backup]\npath = b/{day}\n",
	    { ":11: key 'path': unknown placeholder '{day}'" } },
	{ "bad mode", RBASE "mode = upsert\n",
	    { ":10: key 'mode': expected append or replace-date" } },
	{ "bad ingest type", RJOB RIN "[ingest]\ntype = postgres\n",
	    { ":7: key 'type': expected sqlite, command, none, "
	    "postgresql or mysql" } },
	{ "missing ingest type", RJOB RIN,
	    { "/t.job: key 'type' is required in [ingest]" } },
	{ "missing sqlite keys", RJOB RIN "[ingest]\ntype = sqlite\n",
	    { "/t.job: key 'database' is required in [ingest]",
	    "/t.job: key 'table' is required in [ingest]" } },
	{ "missing command", RJOB RIN "[ingest]\ntype = command\n",
	    { "/t.job: key 'command' is required in [ingest]" } },
	{ "command key with sqlite", RBASE "command = load {file}\n"
	    "timeout = 1m\n",
	    { ":10: key 'command': not used with type = sqlite (only with "
	    "type = command)",
	    ":11: key 'timeout': not used with type = sqlite (only with type "
	    "= command)" } },
	{ "sqlite keys with none", RJOB RIN "[ingest]\ntype = none\n"
	    "table = t\ndate_column = d\n",
	    { ":8: key 'table': not used with type = none (only with type = "
	    "sqlite, postgresql or mysql)",
	    ":9: key 'date_column': not used with type = none" } },
	{ "unknown placeholder in an ingest command", RJOB RIN
	    "[ingest]\ntype = command\ncommand = load {fil}\n",
	    { ":8: key 'command': argument '{fil}': unknown placeholder "
	    "'{fil}' (expected {date}, {date:FMT} or {job}); {file} is the "
	    "received file" } },
	{ "{file} in a source command", JOB "[source]\ntype = command\n"
	    "command = prog {file}\n" OUT UP,
	    { ":5: key 'command': argument '{file}': unknown placeholder "
	    "'{file}' (expected {date}, {date:FMT} or {job})" } },
	{ "ingest timeout 0", RJOB RIN "[ingest]\ntype = command\n"
	    "command = load\ntimeout = 0\n",
	    { ":9: key 'timeout': must be longer than 0" } },
	{ "columns twice", RBASE "columns = a, b, a\n",
	    { ":10: key 'columns': field 'a' is listed twice" } },
	{ "replace-date by a column not in columns", RBASE
	    "mode = replace-date\ncolumns = day, n\n",
	    { ":10: key 'mode': replace-date deletes by column 'date', which "
	    "is not in columns (set date_column)" } },
	{ "date_column not in columns", RBASE "mode = replace-date\n"
	    "columns = day, n\ndate_column = dt\n",
	    { ":12: key 'date_column': column 'dt' is not in columns" } },
	{ "pattern with a slash", RJOB "[inbox]\npath = in\n"
	    "pattern = a/*.csv\n" RING,
	    { ":5: key 'pattern': must match file names, without '/' (the "
	    "directory is path or url)" } },
	{ "pattern dot-dot", RJOB "[inbox]\npath = in\npattern = ..\n" RING,
	    { ":5: key 'pattern': '..' is not a file name" } },
	{ "pattern placeholder", RJOB "[inbox]\npath = in\n"
	    "pattern = {file}.csv\n" RING,
	    { ":5: key 'pattern': unknown placeholder '{file}'" } },
	{ "pattern with an open bracket", RJOB "[inbox]\npath = in\n"
	    "pattern = s_[0-9.csv\n" RING,
	    { ":5: key 'pattern': a '[...]' set must be closed and not "
	    "empty" } },
	{ "pattern with an empty set", RJOB "[inbox]\npath = in\n"
	    "pattern = s_[!].csv\n" RING,
	    { ":5: key 'pattern': a '[...]' set must be closed" } },
	{ "pattern with a time", RJOB "[inbox]\npath = in\n"
	    "pattern = s_{date:%H}.csv\n" RING,
	    { ":5: key 'pattern': {date:%H} has a time conversion '%H'" } },
	{ "empty pattern", RJOB "[inbox]\npath = in\npattern =\n" RING,
	    { ":5: key 'pattern': empty value" } },
	{ "bad format", RBASE "[inbox]\nformat = yaml\n",
	    { ":11: key 'format': expected csv, json, jsonl, xml or fixed" } },
	{ "csv keys with a json pattern", RJOB "[inbox]\npath = in\n"
	    "pattern = *.json.gz\ndelimiter = |\n" RING,
	    { ":6: key 'delimiter': only used with format = csv, not json "
	    "(from the pattern's extension)" } },
	{ "csv keys with format = jsonl", RBASE "[inbox]\nformat = jsonl\n"
	    "header = no\n",
	    { ":12: key 'header': only used with format = csv, not jsonl" } },
	{ "delimiter", RBASE "[inbox]\ndelimiter = ab\n",
	    { ":11: key 'delimiter': expected one character other than '\"', "
	    "CR or LF (or tab)" } },
	{ "expect without minutes", RBASE "[inbox]\nexpect = 6\n",
	    { ":11: key 'expect': '6' is not a time of day: expected HH:MM "
	    "from 00:00 to 23:59 (e.g. 06:00)" } },
	{ "expect with one digit", RBASE "[inbox]\nexpect = 6:00\n",
	    { ":11: key 'expect': '6:00' is not a time of day" } },
	{ "expect 24:00", RBASE "[inbox]\nexpect = 24:00\n",
	    { ":11: key 'expect': '24:00' is not a time of day" } },
	{ "expect 12:60", RBASE "[inbox]\nexpect = 12:60\n",
	    { ":11: key 'expect': '12:60' is not a time of day" } },
	{ "expect with seconds", RBASE "[inbox]\nexpect = 06:00:00\n",
	    { ":11: key 'expect': '06:00:00' is not a time of day" } },
	{ "expect, no date in the pattern", RBASE "[inbox]\n"
	    "expect = 06:00\n",
	    { ":11: key 'expect': the pattern has no {date...}: a file's "
	    "batch date is then the day it is picked up, so only date = today "
	    "can be expected (set it in [job], or put {date...} in "
	    "pattern)" } },
	{ "settle", RBASE "[inbox]\nsettle = soon\n",
	    { ":11: key 'settle': expected a number of seconds" } },
	{ "require_manifest", RBASE "[inbox]\nrequire_manifest = sure\n",
	    { ":11: key 'require_manifest': expected yes or no" } },
	{ "manifest_timeout without require_manifest", RBASE "[inbox]\n"
	    "manifest_timeout = 2h\n",
	    { ":11: key 'manifest_timeout': only used with require_manifest = "
	    "yes" } },
	{ "manifest_timeout 0", RBASE "[inbox]\nrequire_manifest = yes\n"
	    "manifest_timeout = 0\n",
	    { ":12: key 'manifest_timeout': must be longer than 0" } },
	{ "max_size 0", RBASE "[inbox]\nmax_size = 0\n",
	    { ":11: key 'max_size': must be more than 0" } },
	{ "max_size", RBASE "[inbox]\nmax_size = 1T\n",
	    { ":11: key 'max_size': expected a number of bytes" } },
	{ "max_size too large", RBASE "[inbox]\nmax_size = 9000000000G\n",
	    { ":11: key 'max_size': is too large" } },
	{ "after_pull", RJOB "[inbox]\nurl = sftp://h/out/\npattern = x\n"
	    "after_pull = archive\n" RING,
	    { ":6: key 'after_pull': expected delete, keep or move:DIR" } },
	{ "after_pull move without a directory", RJOB "[inbox]\n"
	    "url = sftp://h/out/\npattern = x\nafter_pull = move:\n" RING,
	    { ":6: key 'after_pull': move: needs the directory to move pulled "
	    "files to (move:DIR)" } },
	{ "connection keys as in [upload]", RJOB "[inbox]\n"
	    "url = sftp://h/out/\npattern = x\nhost_key_sha256 = MD5:aa\n"
	    "proxy = ftp://p\nconnect_timeout = 0\nretries = 101\n" RING,
	    { ":6: key 'host_key_sha256': expected the base64 SHA-256 "
	    "fingerprint",
	    ":7: key 'proxy': expected none or a proxy URL",
	    ":8: key 'connect_timeout': must be longer than 0",
	    ":9: key 'retries': expected a whole number from 0 to 100" } },
	{ "upload-only keys in [inbox]", RJOB "[inbox]\nurl = sftp://h/o/\n"
	    "pattern = x\ntemp_suffix = .tmp\nmax_attempts = 3\n" RING,
	    { ":6: key 'temp_suffix': unknown key in [inbox]",
	    ":7: key 'max_attempts': unknown key in [inbox]" } },
	{ "typo in [inbox]", RBASE "[inbox]\npatern = *.txt\n",
	    { ":11: key 'patern': unknown key in [inbox] (did you mean "
	    "'pattern'?)" } },
	{ "key in the wrong section", RBASE "[job]\nurl = sftp://h/\n"
	    "query = x\n[backup]\ntable = t\n",
	    { ":11: key 'url': unknown key in [job] (it belongs in [inbox] "
	    "or [ingest])",
	    ":12: key 'query': unknown key in [job]",
	    ":14: key 'table': unknown key in [backup] (it belongs in "
	    "[ingest])" } },
	{ "duplicate key", RBASE "[inbox]\npattern = *.txt\n",
	    { ":11: key 'pattern': duplicate key in [inbox] (first set on "
	    "line 5)" } },
	{ "send sections in a receive job", RBASE "[upload]\nurl = x\n"
	    "frob = 1\nurl = y\n[source]\ntype = xml\n",
	    { ":10: unknown section '[upload]' (it belongs in send jobs)" } },
	{ "receive sections in a send job", BASE "[ingest]\ntype = xml\n"
	    "frob = 1\ntype = none\n[inbox]\npath = x\n",
	    { ":10: unknown section '[ingest]' (it belongs in receive "
	    "jobs)" } },
	{ "no direction, receive sections", RIN RING,
	    { "/t.job: key 'direction' is required in [job]" } },
	{ "misspelt direction, receive sections",
	    "[job]\ndirection = recieve\n" RIN RING,
	    { ":2: key 'direction': expected send or receive" } },
	{ "many problems at once, by line",
	    "[job]\n"				/* 1 */
	    "direction = receive\n"		/* 2 */
	    "catch_up = 3d\n"			/* 3 */
	    "[inbox]\n"			/* 4 */
	    "path = in\n"			/* 5 */
	    "url = https://h/x\n"		/* 6 */
	    "pattern = a/b\n"			/* 7 */
	    "[ingest]\n"			/* 8 */
	    "type = sqlite\n"			/* 9 */
	    "table = xfer_x\n"			/* 10 */
	    "[output]\n"			/* 11 */
	    "[backup]\n"			/* 12 */
	    "compress = zip\n",		/* 13 */
	    { ":3: key 'catch_up': not used in receive jobs",
	    ":6: key 'url': cannot be combined with path",
	    ":7: key 'pattern': must match file names",
	    ":10: key 'table': names starting with 'xfer_'",
	    ":11: unknown section '[output]' (it belongs in send jobs)",
	    ":13: key 'compress': zip is not used for backups",
	    "/t.job: key 'database' is required in [ingest]" } },
};

static void
run_broken(const struct broken_row *rows, size_t nrows)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	size_t i, j, n;

	for (i = 0; i < nrows; i++) {
		const struct broken_row *row = &rows[i];

		for (n = 0; n < 8 && row->want[n] != NULL; n++)
			;
		job = (struct job *)&errs;
		if (load("t.job", row->text, &job, &errs) != -1)
			fail_msg("%s: accepted", row->label);
		assert_null(job);
		if (errs.n != n) {
			for (j = 0; j < errs.n; j++)
				print_error("  %s\n", errs.v[j]);
			fail_msg("%s: %zu errors, want %zu", row->label,
			    errs.n, n);
		}
		for (j = 0; j < n; j++)
			if (strstr(errs.v[j], row->want[j]) == NULL)
				fail_msg("%s: error %zu is '%s', want '%s'",
				    row->label, j, errs.v[j], row->want[j]);
		strlist_free(&errs);
	}
}

static void
test_broken_receive(void **state)
{
	(void)state;
	run_broken(broken_receive, sizeof(broken_receive) /
	    sizeof(broken_receive[0]));
}

static void
test_broken(void **state)
{
	(void)state;
	run_broken(broken, sizeof(broken) / sizeof(broken[0]));
}

/* [source] and [ingest] type = postgresql | mysql (SPEC.md section 8). */
static const struct broken_row broken_db[] = {
	{ "password in a postgresql url", JOB "[source]\ntype = postgresql\n"
	    "url = postgresql://xfer:s3cret@db/shop\nquery = SELECT 1\n"
	    OUT UP,
	    { ":5: key 'url': a password does not belong in the job file; "
	    "put it in a file named by password_file (mode 0600), or in "
	    "the client's own .pgpass" } },
	{ "password option in a url", JOB "[source]\ntype = postgresql\n"
	    "url = postgres://db/shop?sslmode=require&password=s3cret\n"
	    "query = SELECT 1\n" OUT UP,
	    { ":5: key 'url': a password does not belong" } },
	{ "password in a mysql url", RJOB RIN "[ingest]\ntype = mysql\n"
	    "url = mysql://xfer:pw@db:3306/shop\ntable = sales\n",
	    { ":8: key 'url': a password does not belong in the job file; "
	    "put it in a file named by password_file (mode 0600), or in "
	    "the client's own option files" } },
	{ "url of the other database", RJOB RIN "[ingest]\n"
	    "type = postgresql\nurl = mysql://db/shop\ntable = sales\n",
	    { ":8: key 'url': 'mysql://db/shop' is not a PostgreSQL URL "
	    "(expected postgresql://...)" } },
	{ "service with mysql", JOB "[source]\ntype = mysql\n"
	    "service = shop\nquery = SELECT 1\n" OUT UP,
	    { ":5: key 'service': only for type = postgresql (a "
	    "pg_service.conf entry); give url" } },
	{ "url and service", JOB "[source]\ntype = postgresql\n"
	    "url = postgresql://db/shop\nservice = shop\n"
	    "query = SELECT 1\n" OUT UP,
	    { ":6: key 'service': give url or service, not both" } },
	{ "misspelt parameter (postgresql)", JOB "[source]\n"
	    "type = postgresql\nurl = postgresql://db/shop\n"
	    "query = SELECT a FROM t WHERE d >= :start AND d < :ned\n" OUT UP,
	    { ":6: key 'query': unknown parameter ':ned' (the parameters "
	    "are :date, :start and :end)" } },
	{ "misspelt parameter (mysql)", JOB "[source]\ntype = mysql\n"
	    "url = mysql://db/shop\nquery = SELECT a FROM t WHERE d = "
	    ":dat\n" OUT UP,
	    { ":6: key 'query': unknown parameter ':dat'" } },
	{ "misspelt parameter (sqlite binds it as NULL)", JOB "[source]\n"
	    "type = sqlite\ndatabase = x.db\n"
	    "query = SELECT a FROM t WHERE day = :day\n" OUT UP,
	    { ":6: key 'query': unknown parameter ':day'" } },
	{ "no url, no query", JOB "[source]\ntype = postgresql\n" OUT UP,
	    { "key 'url' (or 'service') is required in [source]",
	    "key 'query' is required in [source]" } },
	{ "no table", RJOB RIN "[ingest]\ntype = postgresql\n"
	    "url = postgresql://db/shop\n",
	    { "key 'table' is required in [ingest]" } },
	{ "schema-qualified table in sqlite", RJOB RIN "[ingest]\n"
	    "type = sqlite\ndatabase = x.db\ntable = public.sales\n",
	    { ":9: key 'table': 'public.sales' is not a table name" } },
	{ "reserved table in a schema", RJOB RIN "[ingest]\n"
	    "type = postgresql\nurl = postgresql://db/shop\n"
	    "table = public.xfer_ingested\n",
	    { ":9: key 'table': names starting with 'xfer_' are reserved" } },
	{ "client_cert without client_key", RJOB RIN "[ingest]\n"
	    "type = mysql\nurl = mysql://db/shop\ntable = t\n"
	    "client_cert = c.pem\n",
	    { ":10: key 'client_cert': client_cert and client_key go "
	    "together" } },
	{ "database keys with a file source", BASE "[source]\n"
	    "url = postgresql://db/shop\n",
	    { ":11: key 'url': not used with type = csv (only with type = "
	    "postgresql or mysql)" } },
};

static void
test_databases(void **state)
{
	struct job *job;

	(void)state;
	job = load_ok(JOB "[source]\ntype = postgresql\n"
	    "url = postgresql://xfer@db.example.com:5432/shop?sslmode="
	    "verify-full\npassword_file = secrets/shop.pass\n"
	    "ca_file = /etc/xfer/db-ca.pem\n"
	    "query = SELECT store_id, amount FROM sales WHERE sold_at >= "
	    ":start AND sold_at < :end\nstatement_timeout = 10m\n"
	    "lock_timeout = 0\n" OUT UP);
	assert_int_equal(job->source.type, SRC_POSTGRESQL);
	assert_string_equal(job->source.db.url, "postgresql://xfer@"
	    "db.example.com:5432/shop?sslmode=verify-full");
	assert_string_equal(job->source.db.password_file,
	    HOME "/secrets/shop.pass");
	assert_string_equal(job->source.db.ca_file, "/etc/xfer/db-ca.pem");
	assert_null(job->source.db.service);
	assert_int_equal(job->source.db.statement_timeout_ms, 600000);
	assert_int_equal(job->source.db.lock_timeout_ms, 0);
	assert_int_equal(job->source.db.connect_timeout_ms, 30000);
	job_free(job);

	job = load_ok(RJOB RIN "[ingest]\ntype = mysql\n"
	    "url = mariadb://xfer@127.0.0.1:3306/shop\ntable = shop.sales\n"
	    "mode = replace-date\nclient_cert = c.pem\nclient_key = c.key\n"
	    "connect_timeout = 5s\n");
	assert_int_equal(job->ingest.type, INGEST_MYSQL);
	assert_string_equal(job->ingest.table, "shop.sales");
	assert_string_equal(job->ingest.date_column, "date");
	assert_int_equal(job->ingest.mode, MODE_REPLACE_DATE);
	assert_string_equal(job->ingest.db.client_key, HOME "/c.key");
	assert_int_equal(job->ingest.db.connect_timeout_ms, 5000);
	assert_int_equal(job->ingest.db.statement_timeout_ms, 3600000);
	job_free(job);

	job = load_ok(RJOB RIN "[ingest]\ntype = postgresql\n"
	    "service = warehouse\ntable = sales\n");
	assert_string_equal(job->ingest.db.service, "warehouse");
	assert_null(job->ingest.db.url);
	job_free(job);

	run_broken(broken_db, sizeof(broken_db) / sizeof(broken_db[0]));
}

static void
test_job_names(void **state)
{
	static const struct {
		const char *file;
		const char *name;	/* NULL: refused */
	} rows[] = {
		{ "sales.job", "sales" },
		{ "Shop-2.sales_v1.job", "Shop-2.sales_v1" },
		{ "9.job", "9" },
		{ "noext", "noext" },
		{ ".hidden.job", NULL },
		{ "-dash.job", NULL },
		{ "with space.job", NULL },
		{ "caf\xc3\xa9.job", NULL },
		{ ".job", NULL },
		/* 64 characters are allowed, 65 are not. */
		{ "a23456789012345678901234567890"
		    "1234567890123456789012345678901234.job",
		    "a23456789012345678901234567890"
		    "1234567890123456789012345678901234" },
		{ "a23456789012345678901234567890"
		    "12345678901234567890123456789012345.job", NULL },
	};
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].name != NULL) {
			if (load(rows[i].file, BASE, &job, &errs) != 0)
				fail_msg("'%s': %s", rows[i].file, errs.v[0]);
			assert_string_equal(job->name, rows[i].name);
			job_free(job);
			continue;
		}
		assert_int_equal(load(rows[i].file, BASE, &job, &errs), -1);
		assert_int_equal(errs.n, 1);
		if (strstr(errs.v[0], ": job name '") == NULL ||
		    strstr(errs.v[0], "is not valid") == NULL)
			fail_msg("'%s': got '%s'", rows[i].file, errs.v[0]);
		strlist_free(&errs);
	}
}

static void
test_unreadable(void **state)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.job", dir);
	assert_int_equal(job_load(HOME, path, &job, &errs), -1);
	assert_null(job);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], "cannot open '"));
	assert_non_null(strstr(errs.v[0], "missing.job': No such file"));
	strlist_free(&errs);

	/* Errors are appended to what the list already holds. */
	assert_int_equal(strlist_add(&errs, "earlier"), 0);
	assert_int_equal(job_load(HOME, dir, &job, &errs), -1);
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.v[0], "earlier");
	assert_non_null(strstr(errs.v[1], "not a regular file"));
	strlist_free(&errs);
	job_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_job),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sqlite_and_command),
		cmocka_unit_test(test_databases),
		cmocka_unit_test(test_command_split),
		cmocka_unit_test(test_output_format_from_name),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_s3_keys),
		cmocka_unit_test(test_host_key),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_receive_full),
		cmocka_unit_test(test_receive_pull),
		cmocka_unit_test(test_receive_defaults),
		cmocka_unit_test(test_receive_command),
		cmocka_unit_test(test_receive_urls),
		cmocka_unit_test(test_receive_expect),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_broken_receive),
		cmocka_unit_test(test_job_names),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
