/* The listing that answers a backfill's probes (lib/transport/nameset.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "transport/nameset.h"

static void
add(struct nameset *s, const char *name)
{
	assert_int_equal(nameset_add(s, name, strlen(name)), 0);
}

/* The listing is due only after the first probes, and only once. */
static void
test_due_after_first_probes(void **state)
{
	struct nameset s = { 0 };
	int i;

	(void)state;
	for (i = 0; i < NAMESET_PROBES; i++)
		assert_int_equal(nameset_due(&s), 0);
	assert_int_equal(nameset_due(&s), 1);
	add(&s, "a.csv");
	assert_int_equal(nameset_done(&s), 1);
	assert_int_equal(nameset_due(&s), 0);
	nameset_free(&s);
}

/* Only "absent" is trusted: a listed name, a put name and any name before
 * a usable listing are looked up. */
static void
test_absent_only_when_listed_and_usable(void **state)
{
	struct nameset s = { 0 };
	char name[32];
	int i;

	(void)state;
	assert_int_equal(nameset_absent(&s, "x.csv"), 0);
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "day_%04d.csv", i * 2);
		add(&s, name);
	}
	assert_int_equal(nameset_done(&s), 1);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "day_%04d.csv", i);
		assert_int_equal(nameset_absent(&s, name), i % 2);
	}
	nameset_insert(&s, "day_0001.csv");
	nameset_insert(&s, "day_0001.csv");
	assert_int_equal(nameset_absent(&s, "day_0001.csv"), 0);
	assert_int_equal(nameset_absent(&s, "day_0003.csv"), 1);
	assert_int_equal(s.n, 501);
	for (i = 1; i < (int)s.n; i++)
		assert_true(s.v[i - 1] < s.v[i]);
	nameset_drop(&s);
	assert_int_equal(nameset_absent(&s, "day_0003.csv"), 0);
	nameset_free(&s);
}

/* A listing without a name a lookup found before it is not used. */
static void
test_listing_missing_a_seen_name_is_dropped(void **state)
{
	struct nameset s = { 0 };

	(void)state;
	nameset_seen(&s, "there.csv");
	add(&s, "other.csv");
	assert_int_equal(nameset_done(&s), 0);
	assert_int_equal(s.state, -1);
	assert_int_equal(nameset_absent(&s, "new.csv"), 0);
	nameset_free(&s);

	nameset_seen(&s, "there.csv");
	add(&s, "other.csv");
	add(&s, "there.csv");
	assert_int_equal(nameset_done(&s), 1);
	assert_int_equal(nameset_absent(&s, "new.csv"), 1);
	nameset_free(&s);
}

/* Before the listing is taken nothing is absent; names are compared
 * whole, not as prefixes. */
static void
test_whole_names(void **state)
{
	struct nameset s = { 0 };

	(void)state;
	assert_int_equal(nameset_add(&s, "a.csv.sha256", 5), 0);	/* "a.csv" */
	assert_int_equal(nameset_absent(&s, "a.csv"), 0);	/* not done */
	assert_int_equal(nameset_done(&s), 1);
	assert_int_equal(nameset_absent(&s, "a.csv"), 0);
	assert_int_equal(nameset_absent(&s, "a.csv.sha256"), 1);
	assert_int_equal(nameset_absent(&s, "a.cs"), 1);
	nameset_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_after_first_probes),
		cmocka_unit_test(test_absent_only_when_listed_and_usable),
		cmocka_unit_test(test_listing_missing_a_seen_name_is_dropped),
		cmocka_unit_test(test_whole_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
