/*
 * test_sqlparam: named parameters become placeholders only where they
 * are SQL, never inside literals, identifiers or comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "db/sqlparam.h"

static void
rewrite_ok(const char *sql, enum sqlparam_style style, const char *want,
    int n, const int *which)
{
	struct sqlparam p;
	struct xerr err;
	int i;

	xerr_clear(&err);
	if (sqlparam_rewrite(sql, style, &p, &err) == -1)
		fail_msg("%s: %s", sql, err.msg);
	if (strcmp(p.sql, want) != 0)
		fail_msg("%s:\n got  %s\n want %s", sql, p.sql, want);
	assert_int_equal(p.n, n);
	for (i = 0; i < n; i++)
		assert_int_equal(p.which[i], which[i]);
	sqlparam_free(&p);
}

static void
test_postgresql(void **state)
{
	(void)state;
	rewrite_ok("SELECT * FROM s WHERE t >= :start AND t < :end",
	    SQLPARAM_DOLLAR, "SELECT * FROM s WHERE t >= $1 AND t < $2", 2,
	    (const int[]){ SQLPARAM_START, SQLPARAM_END });
	/* One number per parameter, however often it is used. */
	rewrite_ok("SELECT :date, x FROM s WHERE d = :date OR e < :end",
	    SQLPARAM_DOLLAR, "SELECT $1, x FROM s WHERE d = $1 OR e < $2",
	    2, (const int[]){ SQLPARAM_DATE, SQLPARAM_END });
	/* Casts, literals, identifiers, comments and dollar quotes. */
	rewrite_ok("SELECT ':date', \":end\", :date::date, "
	    "$$ :start $$, $f$ :end $f$ -- :x\n/* :y */ FROM t",
	    SQLPARAM_DOLLAR, "SELECT ':date', \":end\", $1::date, "
	    "$$ :start $$, $f$ :end $f$ -- :x\n/* :y */ FROM t", 1,
	    (const int[]){ SQLPARAM_DATE });
	rewrite_ok("SELECT 'it''s :date', E'\\' :end', :start",
	    SQLPARAM_DOLLAR, "SELECT 'it''s :date', E'\\' :end', $1", 1,
	    (const int[]){ SQLPARAM_START });
	/* $1 written by hand is left alone (and not a dollar quote). */
	rewrite_ok("SELECT a[1:2], $1 FROM t", SQLPARAM_DOLLAR,
	    "SELECT a[1:2], $1 FROM t", 0, NULL);
	rewrite_ok("", SQLPARAM_DOLLAR, "", 0, NULL);
}

static void
test_mysql(void **state)
{
	(void)state;
	rewrite_ok("SELECT * FROM s WHERE d = :date AND t >= :start AND "
	    "t < :end AND e = :date", SQLPARAM_QMARK, "SELECT * FROM s WHERE "
	    "d = ? AND t >= ? AND t < ? AND e = ?", 4, (const int[]){
	    SQLPARAM_DATE, SQLPARAM_START, SQLPARAM_END, SQLPARAM_DATE });
	rewrite_ok("SELECT \"a\\\" :date\", `:end`, 'x\\' :start', @v := 1 "
	    "# :date\nFROM t WHERE d = :date", SQLPARAM_QMARK,
	    "SELECT \"a\\\" :date\", `:end`, 'x\\' :start', @v := 1 "
	    "# :date\nFROM t WHERE d = ?", 1, (const int[]){ SQLPARAM_DATE });
}

static void
test_refused(void **state)
{
	struct sqlparam p;
	struct xerr err;
	char big[SQLPARAM_MAX * 8 + 64];
	int i;

	(void)state;
	assert_int_equal(sqlparam_rewrite("SELECT * FROM t WHERE d = :dat",
	    SQLPARAM_DOLLAR, &p, &err), -1);
	assert_int_equal(err.cls, XERR_CONFIG);
	assert_non_null(strstr(err.msg, "unknown parameter ':dat'"));
	assert_null(p.sql);
	strcpy(big, "SELECT 1");
	for (i = 0; i <= SQLPARAM_MAX; i++)
		strcat(big, ",:end");
	assert_int_equal(sqlparam_rewrite(big, SQLPARAM_QMARK, &p, &err), -1);
	assert_non_null(strstr(err.msg, "more than"));
	/* DOLLAR numbers distinct parameters: any count of uses is fine. */
	assert_int_equal(sqlparam_rewrite(big, SQLPARAM_DOLLAR, &p, &err), 0);
	assert_int_equal(p.n, 1);
	sqlparam_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgresql),
		cmocka_unit_test(test_mysql),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
