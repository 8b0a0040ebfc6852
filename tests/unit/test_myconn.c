/* myconn: mysql:// URLs and the classification of server errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "db/myconn.h"

static const struct {
	const char *url;
	const char *user, *host;
	unsigned port;
	const char *db, *socket;
	enum myssl_mode ssl;
	const char *name;
} good[] = {
	{ "mysql://xfer@127.0.0.1:3306/shop", "xfer", "127.0.0.1", 3306,
	  "shop", NULL, MYSSL_DEFAULT, "mysql://xfer@127.0.0.1:3306/shop" },
	{ "mariadb://db.example.com/shop?ssl-mode=VERIFY_IDENTITY", NULL,
	  "db.example.com", 0, "shop", NULL, MYSSL_VERIFY_IDENTITY,
	  "mariadb://db.example.com/shop" },
	{ "MYSQL://u@h", "u", "h", 0, NULL, NULL, MYSSL_DEFAULT,
	  "MYSQL://u@h" },
	{ "mysql://", NULL, "localhost", 0, NULL, NULL, MYSSL_DEFAULT,
	  "mysql://" },
	{ "mysql://a%40b@[::1]:3307/d%20b?ssl-mode=required&socket=%2Frun%2Fs",
	  "a@b", "::1", 3307, "d b", "/run/s", MYSSL_REQUIRED,
	  "mysql://a%40b@[::1]:3307/d%20b" },
	{ "mysql://x@localhost/db?socket=/tmp/my.sock&ssl-mode=DISABLED", "x",
	  "localhost", 0, "db", "/tmp/my.sock", MYSSL_DISABLED,
	  "mysql://x@localhost/db" },
	{ "mysql://x@h:1/?ssl-mode=Verify_Ca&", "x", "h", 1, NULL, NULL,
	  MYSSL_VERIFY_CA, "mysql://x@h:1/" },
	{ "mysql://x@h/db?ssl-mode=PREFERRED", "x", "h", 0, "db", NULL,
	  MYSSL_PREFERRED, "mysql://x@h/db" },
};

static void
test_good_urls(void **state)
{
	struct myurl u;
	struct xerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		xerr_clear(&err);
		assert_int_equal(myurl_parse(good[i].url, &u, &err), 0);
		if (good[i].user)
			assert_string_equal(u.user, good[i].user);
		else
			assert_null(u.user);
		assert_string_equal(u.host, good[i].host);
		assert_int_equal(u.port, good[i].port);
		if (good[i].db)
			assert_string_equal(u.database, good[i].db);
		else
			assert_null(u.database);
		if (good[i].socket)
			assert_string_equal(u.socket, good[i].socket);
		else
			assert_null(u.socket);
		assert_int_equal(u.ssl, good[i].ssl);
		assert_string_equal(u.name, good[i].name);
		myurl_free(&u);
	}
}

static const struct {
	const char *url, *msg;
} bad[] = {
	{ "postgresql://x@h/db", "expected mysql://" },
	{ "mysql://x:secret@h/db", "a password does not belong" },
	{ "mysql://x@h:0/db", "port" },
	{ "mysql://x@h:65536/db", "port" },
	{ "mysql://x@h:-1/db", "port" },
	{ "mysql://x@h:33a/db", "port" },
	{ "mysql://x@h:/db", "port" },
	{ "mysql://x@[::1/db", "without ']'" },
	{ "mysql://x@[::1]x/db", "junk after ']'" },
	{ "mysql://x@h/db/t", "one path segment" },
	{ "mysql://x@h/db?ssl-mode=ON", "ssl-mode must be" },
	{ "mysql://x@h/db?password=secret", "unknown option 'password'" },
	{ "mysql://x@h/db?sslmode=verify-full", "unknown option 'sslmode'" },
	{ "mysql://x@h/db?socket", "has no value" },
	{ "mysql://x@h/db?socket=rel/path", "absolute path" },
	{ "mysql://x%4@h/db", "%-escape" },
	{ "mysql://x%00@h/db", "%-escape" },
	{ "mysql://x@h/d%zz", "%-escape" },
	{ "mysql://x@h%41/db", "not allowed in the host" },
	{ "mysql://x@h/db#frag", "fragment" },
	{ "mysql://x@h#frag", "fragment" },
	{ "mysql://x@h/db?ssl-mode=REQUIRED#f", "fragment" },
};

static void
test_bad_urls(void **state)
{
	struct myurl u;
	struct xerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		xerr_clear(&err);
		assert_int_equal(myurl_parse(bad[i].url, &u, &err), -1);
		assert_int_equal(err.cls, XERR_CONFIG);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("%s: '%s' lacks '%s'", bad[i].url, err.msg,
			    bad[i].msg);
		/* Never echoed: the value may be a secret. */
		assert_null(strstr(err.msg, "secret"));
		assert_null(u.host);
		assert_null(u.name);
	}
}

static const struct {
	unsigned code;
	enum xerr_class cls;
	int conn, data;
} codes[] = {
	{ 2002, XERR_TEMP, 1, 0 },	/* socket refused */
	{ 2003, XERR_TEMP, 1, 0 },	/* TCP refused */
	{ 2006, XERR_TEMP, 1, 0 },	/* gone away */
	{ 2013, XERR_TEMP, 1, 0 },	/* lost */
	{ 1040, XERR_TEMP, 0, 0 },	/* too many connections */
	{ 1203, XERR_TEMP, 0, 0 },	/* too many of the user's */
	{ 1205, XERR_TEMP, 0, 0 },	/* lock wait timeout */
	{ 1213, XERR_TEMP, 0, 0 },	/* deadlock */
	{ 1290, XERR_TEMP, 0, 0 },	/* --read-only */
	{ 1836, XERR_TEMP, 0, 0 },	/* read-only mode */
	{ 1053, XERR_TEMP, 1, 0 },	/* shutdown */
	{ 1317, XERR_TEMP, 0, 0 },	/* query interrupted */
	{ 1927, XERR_TEMP, 1, 0 },	/* connection killed */
	{ 1045, XERR_PERM, 0, 0 },	/* access denied */
	{ 1044, XERR_PERM, 0, 0 },	/* no access to the database */
	{ 1049, XERR_PERM, 0, 0 },	/* unknown database */
	{ 1064, XERR_PERM, 0, 0 },	/* syntax */
	{ 1146, XERR_PERM, 0, 0 },	/* no such table */
	{ 2026, XERR_PERM, 0, 0 },	/* TLS refused while connecting */
	{ 1969, XERR_PERM, 0, 0 },	/* statement timeout */
	{ 1062, XERR_PERM, 0, 1 },	/* duplicate key: the row's fault */
	{ 1048, XERR_PERM, 0, 1 },	/* NULL into NOT NULL */
	{ 1366, XERR_PERM, 0, 1 },	/* incorrect value */
	{ 1264, XERR_PERM, 0, 1 },	/* out of range */
	{ 1406, XERR_PERM, 0, 1 },	/* too long */
	{ 4025, XERR_PERM, 0, 1 },	/* CHECK */
	{ 1452, XERR_PERM, 0, 1 },	/* foreign key */
	{ 0, XERR_PERM, 0, 0 },
};

static void
test_classes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(*codes); i++) {
		if (myconn_class(codes[i].code) != codes[i].cls)
			fail_msg("code %u: class %d", codes[i].code,
			    (int)myconn_class(codes[i].code));
		assert_int_equal(myconn_is_conn_error(codes[i].code),
		    codes[i].conn);
		assert_int_equal(myconn_is_data_error(codes[i].code),
		    codes[i].data);
	}
}

/* A TLS error once logged in is a lost connection, not a bad cert. */
static void
test_tls_error_after_login(void **state)
{
	struct myconn c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(myconn_err_class(&c, 2026), XERR_PERM);
	c.connected = 1;
	assert_int_equal(myconn_err_class(&c, 2026), XERR_TEMP);
	assert_int_equal(myconn_err_class(&c, 1045), XERR_PERM);
	assert_int_equal(myconn_err_class(&c, 1213), XERR_TEMP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_urls),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_tls_error_after_login),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
