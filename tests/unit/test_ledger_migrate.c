/* ledger_migrate: the canonical text of a row, which the digests of the
 * comparison are made of. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ledger_migrate.h"

static void
test_canon(void **state)
{
	static const struct {
		const char *v[3];
		size_t n;
		const char *want;
	} t[] = {
		{ { "a", "b", "c" }, 3, "a\tb\tc" },
		{ { "a", NULL, "" }, 3, "a\t\\N\t" },	/* NULL is not "" */
		{ { "\\N", NULL, NULL }, 1, "\\\\N" },	/* nor the text \N */
		{ { "tab\there", "new\nline", "cr\r" }, 3,
		    "tab\\there\tnew\\nline\tcr\\r" },
		{ { "back\\slash", "caf\xc3\xa9", NULL }, 2,
		    "back\\\\slash\tcaf\xc3\xa9" },
		{ { "", NULL, NULL }, 1, "" },
		{ { "x", NULL, NULL }, 0, "" },
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 0);
		assert_int_equal(migrate_canon(&b, t[i].v, t[i].n), 0);
		assert_int_equal(buf_putc(&b, '\0'), 0);
		assert_string_equal(b.data, t[i].want);
		buf_release(&b);
	}
	/* Two rows differing only where a naive join would merge them. */
	{
		const char *x[2] = { "a\tb", "c" }, *y[2] = { "a", "b\tc" };
		struct buf bx, by;

		buf_init(&bx, 0);
		buf_init(&by, 0);
		assert_int_equal(migrate_canon(&bx, x, 2), 0);
		assert_int_equal(migrate_canon(&by, y, 2), 0);
		assert_false(bx.len == by.len &&
		    memcmp(bx.data, by.data, bx.len) == 0);
		buf_release(&bx);
		buf_release(&by);
	}
	/* A full buffer is an error, not a truncated row. */
	buf_init(&b, 4);
	assert_int_equal(migrate_canon(&b, t[0].v, 3), -1);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
