/* job: loading send jobs, their defaults, and every kind of mistake. */
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
	assert_int_equal(job->source.required, 0);
	assert_null(job->source.ready_file);
	assert_int_equal(job->source.format, FMT_CSV);
	assert_int_equal(job->source.timeout_s, 600);

	assert_int_equal(job->aggregate.enabled, 0);
	assert_int_equal(job->aggregate.group_by.n, 0);
	assert_null(job->aggregate.count);
	assert_int_equal(job->aggregate.fields.n, 0);

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
		    "'ftp://' (expected sftp://, https://, file:/// or a "
		    "directory)" },
		{ "s3://bucket/", NULL, "unsupported scheme 's3://'" },
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
static const struct {
	const char *label;
	const char *text;
	const char *want[8];	/* substrings of errors[0..n-1], in order */
} broken[] = {
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
	    "[upload])" } },
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
	{ "receive jobs", "[job]\ndirection = receive\n[inbox]\npath = x\n",
	    { ":2: key 'direction': receive jobs are not supported by this "
	    "version yet" } },
	{ "bad direction", "[job]\ndirection = sideways\n" SRC OUT UP,
	    { ":2: key 'direction': expected send or receive" } },
	{ "bad source type", JOB "[source]\ntype = xml\n" OUT UP,
	    { ":4: key 'type': expected csv, jsonl, sqlite or command" } },
	{ "key for another type", BASE "[source]\nquery = SELECT 1\n",
	    { ":11: key 'query': not used with type = csv (only with type = "
	    "sqlite)" } },
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
	    { ":11: key 'date': expected today, yesterday or today-N (N from "
	    "0 to 3650)" } },
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
	{ "syntax error stops reading", JOB "[source]\ntype = csv\n"
	    "path = in/{x}.csv\nthis line is wrong\n" OUT UP,
	    { ":5: key 'path': unknown placeholder '{x}'",
	    ":6: expected 'key = value'" } },
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

static void
test_broken(void **state)
{
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		for (n = 0; n < 8 && broken[i].want[n] != NULL; n++)
			;
		job = (struct job *)&errs;
		if (load("t.job", broken[i].text, &job, &errs) != -1)
			fail_msg("%s: accepted", broken[i].label);
		assert_null(job);
		if (errs.n != n) {
			for (j = 0; j < errs.n; j++)
				print_error("  %s\n", errs.v[j]);
			fail_msg("%s: %zu errors, want %zu", broken[i].label,
			    errs.n, n);
		}
		for (j = 0; j < n; j++)
			if (strstr(errs.v[j], broken[i].want[j]) == NULL)
				fail_msg("%s: error %zu is '%s', want '%s'",
				    broken[i].label, j, errs.v[j],
				    broken[i].want[j]);
		strlist_free(&errs);
	}
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
		cmocka_unit_test(test_command_split),
		cmocka_unit_test(test_output_format_from_name),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_host_key),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_job_names),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
