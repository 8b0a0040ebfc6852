/* pgtext and pgconn's classification: COPY escaping, timestamps into ISO
 * 8601, json made compact, COPY's line in an error context, SQLSTATEs
 * and login failures into transient or permanent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pgconn.h"
#include "db/pgtext.h"

static void
test_copy_escape(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "a\tb", "a\\tb" },
		{ "line\nnext", "line\\nnext" },
		{ "cr\r", "cr\\r" },
		{ "back\\slash", "back\\\\slash" },
		{ "\\N", "\\\\N" },		/* data, never NULL */
		{ "\\.", "\\\\." },		/* never the end marker */
		{ "h\xc3\xa9llo", "h\xc3\xa9llo" },
		{ "\\\t\n\r", "\\\\\\t\\n\\r" },
	};
	char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		n = pgtext_copy_escape(out, cases[i].in, strlen(cases[i].in));
		assert_true(n <= 2 * strlen(cases[i].in));
		out[n] = '\0';
		assert_string_equal(out, cases[i].want);
	}
}

static void
test_timestamp(void **state)
{
	static const struct {
		const char *in, *want;	/* want NULL: not converted */
	} cases[] = {
		{ "2026-11-20 09:30:00+09", "2026-11-20T09:30:00+09:00" },
		{ "2026-03-08 01:59:59.5-05", "2026-03-08T01:59:59.5-05:00" },
		{ "2026-11-20 09:30:00+05:30", "2026-11-20T09:30:00+05:30" },
		{ "1890-01-01 00:00:00+00:53:28", "1890-01-01T00:00:00+00:53:28" },
		{ "2026-11-20 09:30:00.123456+00", "2026-11-20T09:30:00.123456+00:00" },
		{ "2026-11-20 09:30:00", "2026-11-20T09:30:00" },
		{ "2026-11-20 09:30:00.25", "2026-11-20T09:30:00.25" },
		{ "infinity", NULL },
		{ "-infinity", NULL },
		{ "0044-03-15 12:00:00+00 BC", NULL },
		{ "10000-01-01 00:00:00+00", NULL },
		{ "2026-11-20 09:30:00.+09", NULL },
		{ "2026-11-20 09:30:00+9", NULL },
		{ "2026-11-20 09:30:00+09:3", NULL },
		{ "2026-11-20 09:30:00+09:30:", NULL },
		{ "2026-11-20T09:30:00+09", NULL },
		{ "2026-11-20", NULL },
		{ "", NULL },
	};
	char out[PGTEXT_TS_MAX];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		n = pgtext_timestamp(cases[i].in, strlen(cases[i].in), out);
		if (cases[i].want == NULL) {
			if (n != 0)
				fail_msg("'%s' converted to '%s'", cases[i].in,
				    out);
			continue;
		}
		if (n == 0)
			fail_msg("'%s' not converted", cases[i].in);
		assert_int_equal(n, strlen(cases[i].want));
		assert_string_equal(out, cases[i].want);
	}
}

static void
test_json_compact(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "{\"a\": [1, 2.50], \"b\": \"x y\"}",
		  "{\"a\":[1,2.50],\"b\":\"x y\"}" },
		{ "{ \"x\" :\n \"a\\\" b\" }", "{\"x\":\"a\\\" b\"}" },
		{ "\"\\\\\" ", "\"\\\\\"" },
		{ "  null\t", "null" },
		{ "[1e10, -0.0 ,\r\n true]", "[1e10,-0.0,true]" },
		{ "\"tab\\t and  spaces\"", "\"tab\\t and  spaces\"" },
	};
	char buf[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		n = pgtext_json_compact(buf, strlen(buf));
		assert_int_equal(n, strlen(cases[i].want));
		assert_memory_equal(buf, cases[i].want, n);
		assert_int_equal(buf[n], '\0');
	}
}

static void
test_copy_line(void **state)
{
	(void)state;
	assert_int_equal(pgtext_copy_line("COPY sales, line 17, column "
	    "amount: \"x\""), 17);
	assert_int_equal(pgtext_copy_line("COPY sales, line 3"), 3);
	assert_int_equal(pgtext_copy_line("COPY sales, line 3: \"a,b\""), 3);
	assert_int_equal(pgtext_copy_line("COPY sales, line 12\nPL/pgSQL "
	    "function f() line 3"), 12);
	assert_int_equal(pgtext_copy_line("PL/pgSQL function f() line 3"), 0);
	assert_int_equal(pgtext_copy_line("COPY sales"), 0);
	assert_int_equal(pgtext_copy_line("COPY sales, line x"), 0);
	assert_int_equal(pgtext_copy_line("COPY sales, line 4x"), 0);
	assert_int_equal(pgtext_copy_line(NULL), 0);
}

static void
test_class(void **state)
{
	static const struct {
		const char *state;
		int conn_ok;
		enum xerr_class want;
	} cases[] = {
		{ "08006", 1, XERR_TEMP },	/* connection_failure */
		{ "08000", 1, XERR_TEMP },
		{ "40001", 1, XERR_TEMP },	/* serialization */
		{ "40P01", 1, XERR_TEMP },	/* deadlock */
		{ "55P03", 1, XERR_TEMP },	/* lock timeout */
		{ "53300", 1, XERR_TEMP },	/* too many connections */
		{ "53100", 1, XERR_TEMP },	/* disk full */
		{ "25006", 1, XERR_TEMP },	/* read-only transaction */
		{ "57P01", 1, XERR_TEMP },
		{ "57P02", 1, XERR_TEMP },
		{ "57P03", 1, XERR_TEMP },
		{ NULL, 0, XERR_TEMP },		/* the connection is gone */
		{ "", 0, XERR_TEMP },
		{ NULL, 1, XERR_PERM },
		{ "28P01", 1, XERR_PERM },	/* invalid password */
		{ "28000", 1, XERR_PERM },
		{ "42601", 1, XERR_PERM },	/* syntax */
		{ "42501", 1, XERR_PERM },	/* permission */
		{ "23505", 1, XERR_PERM },
		{ "22P02", 1, XERR_PERM },
		{ "57014", 1, XERR_PERM },	/* statement timeout */
		{ "40002", 1, XERR_PERM },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (pgconn_class(cases[i].state, cases[i].conn_ok) !=
		    cases[i].want)
			fail_msg("'%s' (conn %d): not %s", cases[i].state ?
			    cases[i].state : "(null)", cases[i].conn_ok,
			    xerr_class_name(cases[i].want));
	assert_true(pgconn_is_data_error("23505"));
	assert_true(pgconn_is_data_error("22P02"));
	assert_true(pgconn_is_data_error("23514"));
	assert_false(pgconn_is_data_error("42703"));
	assert_false(pgconn_is_data_error("40P01"));
	assert_false(pgconn_is_data_error(NULL));
}

static void
test_connect_class(void **state)
{
	static const struct {
		const char *msg;
		enum xerr_class want;
	} cases[] = {
		{ "connection to server at \"127.0.0.1\", port 5432 failed: "
		  "FATAL:  password authentication failed for user \"xfer\"",
		  XERR_PERM },
		{ "connection to server at \"db\" failed: FATAL:  no pg_hba.conf "
		  "entry for host \"10.0.0.1\"", XERR_PERM },
		{ "connection to server at \"127.0.0.1\", port 5432 failed: SSL "
		  "error: certificate verify failed", XERR_PERM },
		{ "FATAL:  database \"shop\" does not exist", XERR_PERM },
		{ "fe_sendauth: no password supplied", XERR_PERM },
		{ "definition of service \"x\" not found", XERR_PERM },
		{ "connection to server at \"127.0.0.1\", port 5432 failed: "
		  "Connection refused; Is the server running on that host and "
		  "accepting TCP/IP connections?", XERR_TEMP },
		{ "connection to server at \"db\" failed: timeout expired",
		  XERR_TEMP },
		{ "FATAL:  the database system is starting up", XERR_TEMP },
		{ "FATAL:  the database system is shutting down", XERR_TEMP },
		{ "FATAL:  sorry, too many clients already", XERR_TEMP },
		{ "could not translate host name \"db\" to address: Temporary "
		  "failure in name resolution", XERR_TEMP },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (pgconn_connect_class(cases[i].msg) != cases[i].want)
			fail_msg("'%s': not %s", cases[i].msg,
			    xerr_class_name(cases[i].want));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_escape),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_json_compact),
		cmocka_unit_test(test_copy_line),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_connect_class),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
