/*
 * Hostile names in remote listings (pulling over SFTP or HTTPS): the
 * listing parser hands every file name on as the server gave it (HTML
 * hrefs percent-decoded), and name_is_plain(), which the receive job
 * applies before any use, refuses each one that could leave the spool or
 * pass for an option.  This is the remote half of the hostile-name rows
 * of tests/e2e/t_hostile.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "dest.h"
#include "fsutil.h"

/* Each name as "NAME<TAB>PLAIN\n", PLAIN 1 when the name may be used. */
static int
note(void *ctx, const struct remote_entry *e, struct xerr *err)
{
	struct buf *b = ctx;

	(void)err;
	return buf_printf(b, "%s\t%d\n", e->name, name_is_plain(e->name));
}

static void
check(const char *listing, int sftp, const char *want)
{
	struct xerr err;
	struct buf b;

	buf_init(&b, 0);
	xerr_clear(&err);
	assert_int_equal(remote_listing_parse(listing, sftp, note, &b, &err),
	    0);
	assert_string_equal(b.data != NULL ? b.data : "", want);
	buf_release(&b);
}

static void
test_sftp(void **state)
{
	(void)state;
	check("-rw-r--r--    1 u g    5 Nov 24 10:00 good.csv\n"
	    "-rw-r--r--    1 u g    5 Nov 24 10:00 -rf.csv\n"
	    "-rw-r--r--    1 u g    5 Nov 24 10:00 ../../x.csv\n"
	    "-rw-r--r--    1 u g    5 Nov 24 10:00 /etc/passwd\n"
	    "-rw-r--r--    1 u g    5 Nov 24 10:00 %2e%2e%2fx.csv\n"
	    "-rw-r--r--    1 u g    5 Nov 24 10:00 a b.csv\r\n"
	    "-rw-r--r--    1 u g    5 Nov 24 10:00 ..\n"
	    "drwxr-xr-x    2 u g 4096 Nov 24 10:00 dir\n"
	    "lrwxrwxrwx    1 u g   11 Nov 24 10:00 l.csv -> /etc/passwd\n",
	    1,
	    "good.csv\t1\n"
	    "-rf.csv\t0\n"
	    "../../x.csv\t0\n"
	    "/etc/passwd\t0\n"
	    "%2e%2e%2fx.csv\t1\n"	/* a literal name: harmless */
	    "a b.csv\t1\n"
	    "..\t0\n");
}

static void
test_json(void **state)
{
	(void)state;
	check("[{\"name\":\"good.csv\",\"type\":\"file\"},\n"
	    "{\"name\":\"../x.csv\",\"type\":\"file\"},\n"
	    "{\"name\":\"/abs.csv\",\"type\":\"file\"},\n"
	    "{\"name\":\"a\\nb.csv\",\"type\":\"file\"},\n"
	    "{\"name\":\"%2e%2e%2fx.csv\",\"type\":\"file\"},\n"
	    "{\"name\":\"cut\\u0000.csv\",\"type\":\"file\"},\n"
	    "{\"name\":\"-rf.csv\",\"type\":\"file\"},\n"
	    "{\"name\":\"..\",\"type\":\"file\"},\n"
	    "{\"name\":\"sub\",\"type\":\"directory\"}]",
	    0,
	    "good.csv\t1\n"
	    "../x.csv\t0\n"
	    "/abs.csv\t0\n"
	    "a\nb.csv\t0\n"
	    "%2e%2e%2fx.csv\t1\n"	/* JSON names are not decoded */
	    "-rf.csv\t0\n"
	    "..\t0\n");
}

static void
test_html(void **state)
{
	(void)state;
	check("<html><body>\n"
	    "<a href=\"good.csv\">good.csv</a>\n"
	    "<a href=\"%2e%2e%2fx.csv\">x</a>\n"
	    "<a href=\"..%2fy.csv\">y</a>\n"
	    "<a href=\"%2e%2e\">up</a>\n"
	    "<a href=\"x%2Fy.csv\">x/y</a>\n"
	    "<a href=\"a%0ab.csv\">nl</a>\n"
	    "<a href=\"-rf.csv\">dash</a>\n"
	    "<a href=\"caf%C3%A9.csv\">cafe</a>\n"
	    "<a href=\"%00x.csv\">nul</a>\n"
	    "<a href=\"/etc/passwd\">abs</a>\n"
	    "<a href=\"http://evil.example/x.csv\">far</a>\n"
	    "<a href=\"?C=M;O=A\">sort</a>\n"
	    "<a href=\"sub/\">sub/</a>\n"
	    "</body></html>\n",
	    0,
	    "good.csv\t1\n"
	    "../x.csv\t0\n"
	    "../y.csv\t0\n"
	    "..\t0\n"
	    "x/y.csv\t0\n"
	    "a\nb.csv\t0\n"
	    "-rf.csv\t0\n"
	    "caf\xc3\xa9.csv\t1\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sftp),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_html),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
