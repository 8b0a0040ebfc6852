/* job: encoding, unmappable and quotes of [source], [output] and [inbox]. */
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

/* A valid send job in nine lines, and a receive job in nine. */
#define JOB	"[job]\ndirection = send\n"
#define SRC	"[source]\ntype = csv\npath = in/*.csv\n"
#define OUT	"[output]\nname = out_{date}.csv\n"
#define UP	"[upload]\nurl = outbox\n"
#define BASE	JOB SRC OUT UP
#define RJOB	"[job]\ndirection = receive\n"
#define RIN	"[inbox]\npath = inbox\npattern = *.csv\n"
#define RING	"[ingest]\ntype = sqlite\ndatabase = db/x.db\ntable = sales\n"
#define RBASE	RJOB RIN RING

static char dir[] = "/tmp/test_job_enc.XXXXXX";

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

static int
load(const char *text, struct job **job, struct strlist *errs)
{
	char path[512];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/t.job", dir);
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

	if (load(text, &job, &errs) != 0) {
		for (i = 0; i < errs.n; i++)
			print_error("%s\n", errs.v[i]);
		fail_msg("job refused:\n%s", text);
	}
	return job;
}

static void
test_good(void **state)
{
	struct job *job;

	(void)state;
	job = load_ok(BASE);
	assert_int_equal(job->source.encoding, TEXTENC_UTF8);
	assert_int_equal(job->source.lenient_quotes, 0);
	assert_int_equal(job->output.encoding, TEXTENC_UTF8);
	assert_int_equal(job->output.unmappable_replace, 0);
	job_free(job);

	job = load_ok(BASE "[source]\nencoding = CP949\nquotes = lenient\n"
	    "[output]\nencoding = euc-kr\nunmappable = replace\n");
	assert_int_equal(job->source.encoding, TEXTENC_CP949);
	assert_int_equal(job->source.lenient_quotes, 1);
	assert_int_equal(job->output.encoding, TEXTENC_EUCKR);
	assert_int_equal(job->output.unmappable_replace, 1);
	job_free(job);

	job = load_ok(JOB "[source]\ntype = command\ncommand = /bin/true\n"
	    "encoding = euckr\nquotes = strict\n" OUT UP
	    "[output]\nformat = jsonl\nencoding = cp949\n"
	    "unmappable = error\n");
	assert_int_equal(job->source.encoding, TEXTENC_EUCKR);
	assert_int_equal(job->output.encoding, TEXTENC_CP949);
	assert_int_equal(job->output.unmappable_replace, 0);
	job_free(job);

	/* json with utf-8 said out loud is fine. */
	job = load_ok(JOB SRC UP "[output]\nname = x.json\nencoding = utf-8\n");
	assert_int_equal(job->output.encoding, TEXTENC_UTF8);
	job_free(job);

	job = load_ok(RBASE "[inbox]\nencoding = cp949\nquotes = lenient\n");
	assert_int_equal(job->inbox.encoding, TEXTENC_CP949);
	assert_int_equal(job->inbox.lenient_quotes, 1);
	job_free(job);
}

static void
test_bad(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} t[] = {
		{ BASE "[output]\nencoding = latin1\n", ":11: key 'encoding': "
		    "'latin1' is not an encoding xfer knows: expected utf-8, "
		    "cp949 or euc-kr" },
		{ JOB SRC UP "[output]\nname = x.json\nencoding = cp949\n",
		    ":10: key 'encoding': format = json is always UTF-8 "
		    "(RFC 8259); CP949 is for csv, jsonl, xml or fixed" },
		{ BASE "[output]\nunmappable = replace\n", ":11: key "
		    "'unmappable': only used with encoding = cp949 or euc-kr "
		    "(UTF-8 holds every character)" },
		{ BASE "[output]\nencoding = cp949\nunmappable = ignore\n",
		    ":12: key 'unmappable': expected error or replace" },
		{ BASE "[source]\nquotes = loose\n", ":11: key 'quotes': "
		    "expected strict or lenient" },
		{ BASE "[source]\nencoding = sjis\n", ":11: key 'encoding': "
		    "'sjis' is not an encoding xfer knows: expected utf-8, "
		    "cp949 or euc-kr" },
		{ JOB "[source]\ntype = sqlite\ndatabase = a.db\n"
		    "query = SELECT 1\nencoding = cp949\n" OUT UP,
		    ":7: key 'encoding': not used with type = sqlite (only "
		    "with type = csv, jsonl or command; a database's text is "
		    "UTF-8)" },
		{ JOB "[source]\ntype = jsonl\npath = a.jsonl\n"
		    "quotes = lenient\n" OUT UP, ":6: key 'quotes': only used "
		    "with CSV input (type = csv, or type = command with format "
		    "= csv)" },
		{ JOB "[source]\ntype = command\ncommand = /bin/true\n"
		    "format = jsonl\nquotes = lenient\n" OUT UP, ":7: key "
		    "'quotes': only used with CSV input" },
		{ RJOB "[inbox]\npath = inbox\npattern = *.json\n"
		    "encoding = cp949\n" RING, ":6: key 'encoding': format = "
		    "json is always UTF-8 (RFC 8259) (the format comes from "
		    "the pattern's extension); encoding is for csv, jsonl, "
		    "xml or fixed" },
		{ RBASE "[inbox]\nformat = jsonl\nquotes = lenient\n",
		    ":12: key 'quotes': only used with format = csv" },
		{ RBASE "[inbox]\nencoding = big5\n", ":11: key 'encoding': "
		    "'big5' is not an encoding xfer knows" },
	};
	struct strlist errs = { 0, NULL, 0 };
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		job = NULL;
		if (load(t[i].text, &job, &errs) != -1)
			fail_msg("row %zu: accepted", i);
		if (errs.n != 1 || strstr(errs.v[0], t[i].want) == NULL)
			fail_msg("row %zu: got '%s' (%zu problems), want '%s'",
			    i, errs.n ? errs.v[0] : "", errs.n, t[i].want);
		strlist_free(&errs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
