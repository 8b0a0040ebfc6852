/*
 * Every input a fuzzer found a bug with (tests/data/fuzz-regressions/
 * TARGET/) and every seed of the fuzz corpus (fuzz/corpus/TARGET/), run
 * through the same entry the fuzz target calls (fuzz/harness.c, built
 * here with gcc and no libFuzzer): each must pass the harness's checks,
 * under `make check` and again under ASan+UBSan in check-asan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fuzz/harness.c"

/* Larger saved inputs are a mistake: the fuzzers run with -max_len. */
#define REPLAY_MAX	(1024 * 1024)

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every file of dir through t; how many ran (-1: no such dir). */
static long
replay_dir(const struct fuzz_target *t, const char *dir)
{
	struct strlist files;
	struct dirent *de;
	char path[1024];
	uint8_t *data;
	size_t len;
	FILE *f;
	DIR *d;
	size_t i;

	if ((d = opendir(dir)) == NULL)
		return -1;
	memset(&files, 0, sizeof(files));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			assert_int_equal(strlist_add(&files, de->d_name), 0);
	closedir(d);
	if (files.n > 1)
		qsort(files.v, files.n, sizeof(files.v[0]), cmp_str);
	data = malloc(REPLAY_MAX + 1);
	assert_non_null(data);
	for (i = 0; i < files.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files.v[i]);
		if ((f = fopen(path, "rb")) == NULL)
			fail_msg("cannot open '%s'", path);
		len = fread(data, 1, REPLAY_MAX + 1, f);
		fclose(f);
		if (len > REPLAY_MAX)
			fail_msg("'%s' is larger than %d bytes", path,
			    REPLAY_MAX);
		if (t->fn(data, len) != 0)
			fail_msg("fuzz_%s fails on '%s' (see above)", t->name,
			    path);
	}
	free(data);
	strlist_free(&files);
	return (long)i;
}

static const struct fuzz_target *
target_named(const char *name)
{
	size_t i;

	for (i = 0; fuzz_targets[i].name != NULL; i++)
		if (strcmp(fuzz_targets[i].name, name) == 0)
			return &fuzz_targets[i];
	fail_msg("no fuzz target '%s'", name);
	return NULL;
}

static void
test_target(void **state)
{
	const struct fuzz_target *t = target_named(*state);
	const char *data = getenv("XFER_TESTDATA");
	const char *corpus = getenv("XFER_FUZZ_CORPUS");
	char dir[512];
	long n;

	if (data == NULL)
		data = "tests/data";
	if (corpus == NULL)
		corpus = "fuzz/corpus";
	/* No regression directory: that fuzzer has found nothing yet. */
	snprintf(dir, sizeof(dir), "%s/fuzz-regressions/%s", data, t->name);
	replay_dir(t, dir);
	/* The seeds must be there: they are the test when nothing was
	 * found. */
	snprintf(dir, sizeof(dir), "%s/%s", corpus, t->name);
	n = replay_dir(t, dir);
	if (n <= 0)
		fail_msg("no seeds in '%s'", dir);
}

/* cmocka_unit_test_prestate() with the target in the test's name. */
static int
count_entry(void *ctx, const struct remote_entry *e, struct xerr *err)
{
	(void)e;
	(void)err;
	(*(size_t *)ctx)++;
	return 0;
}

/*
 * Found by reading, and too big for a fixture: json-c spends about 250
 * bytes on each "{}", so a 16 MiB JSON listing parsed whole cost 4 GB.
 * It is parsed an element at a time now, and an element longer than
 * 64 KiB is refused.
 */
static void
test_listing_entry_max(void **state)
{
	char want[128];
	struct xerr err;
	struct buf b;
	size_t i, n = 0;
	const char *big;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "[{\"type\":\"file\",\"name\":\"a\"}, "
	    "{\"pad\":["), 0);
	for (i = 0; i < 70000 / 3; i++)
		assert_int_equal(buf_puts(&b, "{},"), 0);
	assert_int_equal(buf_puts(&b, "{}]},{\"type\":\"file\",\"name\":"
	    "\"b\"}]"), 0);
	big = strstr(b.data, "{\"pad\"");
	snprintf(want, sizeof(want), "entry at byte %zu longer than 65536 "
	    "bytes", (size_t)(big - b.data) + 1);
	xerr_clear(&err);
	assert_int_equal(remote_listing_parse(b.data, 0, count_entry, &n,
	    &err), -1);
	assert_int_equal(n, 1);
	assert_string_equal(err.msg, want);

	/* Many small entries are no problem. */
	buf_reset(&b);
	assert_int_equal(buf_putc(&b, '['), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(buf_puts(&b, "{\"type\":\"file\",\"name\":"
		    "\"f.csv\",\"size\":1},\n"), 0);
	assert_int_equal(buf_puts(&b, "{}]"), 0);
	n = 0;
	assert_int_equal(remote_listing_parse(b.data, 0, count_entry, &n,
	    &err), 0);
	assert_int_equal(n, 100000);
	buf_release(&b);
}

#define TARGET(name) { "replay_" name, test_target, NULL, NULL, \
	(void *)name }

static const char *const names[] = { "job", "ini", "csv", "jsonl",
    "jsonarr", "manifest", "names", "listing", "sqlparam", "pgtext",
    "myurl", "fixed", "layout", "xml" };

/* A target added to the harness is replayed here too. */
static void
test_every_target(void **state)
{
	size_t i, n;

	(void)state;
	for (n = 0; fuzz_targets[n].name != NULL; n++)
		;
	assert_int_equal(n, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < n; i++)
		assert_string_equal(fuzz_targets[i].name, names[i]);
}

static int
teardown(void **state)
{
	(void)state;
	fuzz_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_target),
		cmocka_unit_test(test_listing_entry_max),
		TARGET("job"),
		TARGET("ini"),
		TARGET("csv"),
		TARGET("jsonl"),
		TARGET("jsonarr"),
		TARGET("manifest"),
		TARGET("names"),
		TARGET("listing"),
		TARGET("sqlparam"),
		TARGET("pgtext"),
		TARGET("myurl"),
		TARGET("fixed"),
		TARGET("layout"),
		TARGET("xml"),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
