/* fsutil: plain names, durable writes and copies, tree removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static char *
slurp(const char *path)
{
	static char b[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd == -1)
		return NULL;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	b[n < 0 ? 0 : n] = '\0';
	return b;
}

static void
test_name_is_plain(void **state)
{
	static const struct { const char *name; int want; } t[] = {
		{ "sales_20261124.csv", 1 }, { "a b.csv", 1 },
		{ "caf\xc3\xa9.csv", 1 }, { "", 0 }, { ".", 0 }, { "..", 0 },
		{ "../x", 0 }, { "a/b", 0 }, { "/abs", 0 }, { "-rf", 0 },
		{ "new\nline", 0 }, { "tab\tx", 0 }, { "del\x7f", 0 },
		{ ".hidden", 1 },
	};
	char longname[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(name_is_plain(t[i].name), t[i].want);
	memset(longname, 'a', 255);
	longname[255] = '\0';
	assert_int_equal(name_is_plain(longname), 1);
	memset(longname, 'a', 256);
	longname[256] = '\0';
	assert_int_equal(name_is_plain(longname), 0);
}

static void
test_durable_write_and_copy(void **state)
{
	char dir[] = "/tmp/xfer-fsutil.XXXXXX", *p, *q;
	struct xerr err;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(write_file_durable(dir, "f.txt", "hello\n", 6, 0600,
	    &err), 0);
	p = path_join(dir, "f.txt");
	assert_string_equal(slurp(p), "hello\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A stale temporary from a crash is replaced, never appended to. */
	q = path_join(dir, "g.txt.part");
	assert_int_equal(write_file_durable(dir, "g.txt.part", "stale", 5,
	    0644, &err), 0);
	assert_int_equal(copy_file_durable(p, dir, "g.txt", ".part", &err), 0);
	free(q);
	q = path_join(dir, "g.txt");
	assert_string_equal(slurp(q), "hello\n");
	free(q);
	q = path_join(dir, "g.txt.part");
	assert_int_equal(access(q, F_OK), -1);
	free(q);

	/* Errors name the file. */
	assert_int_equal(copy_file_durable("/nonexistent/x", dir, "h", ".part",
	    &err), -1);
	assert_non_null(strstr(err.msg, "'/nonexistent/x'"));

	/* mkdir -p and rm -r. */
	q = path_join(dir, "a/b/c");
	assert_int_equal(mkdir_p(q, 0755, &err), 0);
	assert_int_equal(mkdir_p(q, 0755, &err), 0);
	free(q);
	q = path_join(dir, "a/b/c/f");
	assert_int_equal(write_file_durable(dir, "top", "x", 1, 0644, &err), 0);
	free(q);
	assert_int_equal(remove_tree(dir, &err), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(remove_tree(dir, &err), 0);
	free(p);
}

static void
test_mkdir_p_on_file(void **state)
{
	char dir[] = "/tmp/xfer-fsutil.XXXXXX", *p;
	struct xerr err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(write_file_durable(dir, "file", "x", 1, 0644, &err),
	    0);
	p = path_join(dir, "file/sub");
	assert_int_equal(mkdir_p(p, 0755, &err), -1);
	assert_non_null(strstr(err.msg, "file"));
	free(p);
	assert_int_equal(remove_tree(dir, &err), 0);
}

/* A FIFO where a file was expected is refused at once, never read. */
static void
test_copy_refuses_fifo(void **state)
{
	char dir[] = "/tmp/xfer-fsutil.XXXXXX", *p, *q;
	struct xerr err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p = path_join(dir, "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(copy_file_durable(p, dir, "copy", ".part", &err), -1);
	assert_int_equal(err.cls, XERR_PERM);
	assert_non_null(strstr(err.msg, "not a regular file"));
	q = path_join(dir, "copy");
	assert_int_equal(access(q, F_OK), -1);
	free(q);
	q = path_join(dir, "copy.part");
	assert_int_equal(access(q, F_OK), -1);
	free(q);
	free(p);
	assert_int_equal(remove_tree(dir, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_is_plain),
		cmocka_unit_test(test_durable_write_and_copy),
		cmocka_unit_test(test_mkdir_p_on_file),
		cmocka_unit_test(test_copy_refuses_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
