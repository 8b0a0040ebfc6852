/*
 * test_buf: identifiers quoted for SQL, whatever the name holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"

static void
ident(const char *name, char quote, const char *want)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_put_ident(&b, name, quote), 0);
	assert_string_equal(b.data, want);
	buf_release(&b);
}

static void
test_put_ident(void **state)
{
	(void)state;
	ident("amount", '"', "\"amount\"");
	ident("a\"b", '"', "\"a\"\"b\"");
	ident("\"\"", '"', "\"\"\"\"\"\"");
	ident("x`y\"z`", '`', "`x``y\"z```");
	ident("", '`', "``");
}

static void
test_put_ident_max(void **state)
{
	struct buf b;

	(void)state;
	/* Over the maximum is an error, not a cut name. */
	buf_init(&b, 4);
	assert_int_equal(buf_put_ident(&b, "abcd", '"'), -1);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_ident),
		cmocka_unit_test(test_put_ident_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
