/*
 * myconn: see myconn.h.
 */
#include "myconn.h"

#include <errmsg.h>
#include <limits.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fsutil.h"

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX-decode s[0..n) into a new string; NULL (err set) when malformed. */
static char *
url_decode(const char *s, size_t n, const char *what, struct xerr *err)
{
	char *out, *o;
	size_t i;
	int hi, lo;

	if ((out = malloc(n + 1)) == NULL) {
		xerr_nomem(err);
		return NULL;
	}
	for (i = 0, o = out; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		hi = lo = -1;
		if (i + 2 < n) {
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
		}
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			xerr_set(err, XERR_CONFIG, 0, "url: bad %%-escape in "
			    "the %s", what);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

static const struct {
	const char *name;
	enum myssl_mode mode;
} ssl_modes[] = {
	{ "DISABLED", MYSSL_DISABLED },
	{ "PREFERRED", MYSSL_PREFERRED },
	{ "REQUIRED", MYSSL_REQUIRED },
	{ "VERIFY_CA", MYSSL_VERIFY_CA },
	{ "VERIFY_IDENTITY", MYSSL_VERIFY_IDENTITY },
};

static int
url_option(struct myurl *u, const char *kv, size_t n, struct xerr *err)
{
	const char *eq = memchr(kv, '=', n);
	size_t klen = eq ? (size_t)(eq - kv) : n, i;
	char *val;

	if (eq == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "url: option '%.*s' has "
		    "no value", (int)(n > 64 ? 64 : n), kv);
	if ((val = url_decode(eq + 1, n - klen - 1, "options", err)) == NULL)
		return -1;
	if (klen == 8 && strncasecmp(kv, "ssl-mode", 8) == 0) {
		for (i = 0; i < sizeof(ssl_modes) / sizeof(*ssl_modes); i++)
			if (strcasecmp(val, ssl_modes[i].name) == 0)
				break;
		free(val);
		if (i == sizeof(ssl_modes) / sizeof(*ssl_modes))
			return xerr_set(err, XERR_CONFIG, 0, "url: ssl-mode "
			    "must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA "
			    "or VERIFY_IDENTITY");
		u->ssl = ssl_modes[i].mode;
		return 0;
	}
	if (klen == 6 && strncasecmp(kv, "socket", 6) == 0) {
		if (val[0] != '/') {
			free(val);
			return xerr_set(err, XERR_CONFIG, 0, "url: socket "
			    "must be an absolute path");
		}
		free(u->socket);
		u->socket = val;
		return 0;
	}
	free(val);
	/* Not echoed whole: a mistyped option may hold a secret. */
	return xerr_set(err, XERR_CONFIG, 0, "url: unknown option '%.*s' "
	    "(known: ssl-mode, socket)", (int)(klen > 32 ? 32 : klen), kv);
}

int
myurl_parse(const char *url, struct myurl *u, struct xerr *err)
{
	const char *p, *auth_end, *at, *host, *host_end, *q, *colon;
	char *end;
	long port;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "mysql://", 8) == 0)
		p = url + 8;
	else if (strncasecmp(url, "mariadb://", 10) == 0)
		p = url + 10;
	else
		return xerr_set(err, XERR_CONFIG, 0, "url: expected mysql:// "
		    "or mariadb://");
	auth_end = p + strcspn(p, "/?#");
	if (*auth_end == '#')
		return xerr_set(err, XERR_CONFIG, 0, "url: a '#' fragment "
		    "means nothing here");
	host = p;
	/* The last '@': a user name may hold an escaped one. */
	for (at = NULL, q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		if (memchr(p, ':', (size_t)(at - p)) != NULL)
			return xerr_set(err, XERR_CONFIG, 0, "url: a password "
			    "does not belong in the url; use password_file");
		if (at > p && (u->user = url_decode(p, (size_t)(at - p),
		    "user name", err)) == NULL)
			goto fail;
		host = at + 1;
	}
	if (*host == '[') {
		if ((host_end = memchr(host, ']', (size_t)(auth_end - host))) ==
		    NULL) {
			xerr_set(err, XERR_CONFIG, 0, "url: '[' without ']' "
			    "in the host");
			goto fail;
		}
		colon = host_end + 1;
		host++;
	} else {
		colon = memchr(host, ':', (size_t)(auth_end - host));
		host_end = colon ? colon : auth_end;
	}
	if (colon != NULL && colon < auth_end) {
		if (*colon != ':') {
			xerr_set(err, XERR_CONFIG, 0, "url: junk after ']' in "
			    "the host");
			goto fail;
		}
		port = strtol(colon + 1, &end, 10);
		if (end != auth_end || end == colon + 1 || colon[1] == '-' ||
		    colon[1] == '+' || port < 1 || port > 65535) {
			xerr_set(err, XERR_CONFIG, 0, "url: the port must be a "
			    "number from 1 to 65535");
			goto fail;
		}
		u->port = (unsigned)port;
	}
	n = (size_t)(host_end - host);
	if (memchr(host, '%', n) != NULL) {
		xerr_set(err, XERR_CONFIG, 0, "url: %%-escapes are not "
		    "allowed in the host");
		goto fail;
	}
	if ((u->host = n > 0 ? strndup(host, n) : strdup("localhost")) ==
	    NULL) {
		xerr_nomem(err);
		goto fail;
	}
	p = auth_end;
	if (*p == '/') {
		p++;
		n = strcspn(p, "?#");
		if (memchr(p, '/', n) != NULL) {
			xerr_set(err, XERR_CONFIG, 0, "url: the database name "
			    "is one path segment");
			goto fail;
		}
		if (n > 0 && (u->database = url_decode(p, n, "database name",
		    err)) == NULL)
			goto fail;
		p += n;
	}
	if (*p == '#') {
		xerr_set(err, XERR_CONFIG, 0, "url: a '#' fragment means "
		    "nothing here");
		goto fail;
	}
	if ((u->name = strndup(url, (size_t)(p - url))) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	if (*p == '?') {
		for (p++; *p != '\0'; ) {
			n = strcspn(p, "&#");
			if (p[n] == '#') {
				xerr_set(err, XERR_CONFIG, 0, "url: a '#' "
				    "fragment means nothing here");
				goto fail;
			}
			if (n > 0 && url_option(u, p, n, err) == -1)
				goto fail;
			p += n;
			if (*p == '&')
				p++;
		}
	}
	return 0;
fail:
	myurl_free(u);
	return -1;
}

void
myurl_free(struct myurl *u)
{
	if (u == NULL)
		return;
	free(u->user);
	free(u->host);
	free(u->database);
	free(u->socket);
	free(u->name);
	memset(u, 0, sizeof(*u));
}

enum xerr_class
myconn_class(unsigned code)
{
	switch (code) {
	case CR_CONNECTION_ERROR:	/* 2002: socket refused */
	case CR_CONN_HOST_ERROR:	/* 2003: TCP refused, timed out */
	case CR_UNKNOWN_HOST:		/* 2005: DNS may come back */
	case CR_SERVER_GONE_ERROR:	/* 2006 */
	case CR_SERVER_LOST:		/* 2013 */
	case CR_SERVER_LOST_EXTENDED:	/* 2055 */
	case ER_CON_COUNT_ERROR:	/* 1040: too many connections */
	case ER_OUT_OF_RESOURCES:	/* 1041 */
	case ER_SERVER_SHUTDOWN:	/* 1053 */
	case ER_NET_READ_ERROR:		/* 1158 */
	case ER_NET_READ_INTERRUPTED:	/* 1159 */
	case ER_NET_ERROR_ON_WRITE:	/* 1160 */
	case ER_NET_WRITE_INTERRUPTED:	/* 1161 */
	case ER_ABORTING_CONNECTION:	/* 1152 */
	case ER_TOO_MANY_USER_CONNECTIONS:	/* 1203 */
	case ER_LOCK_WAIT_TIMEOUT:	/* 1205 */
	case ER_LOCK_DEADLOCK:		/* 1213 */
	case ER_OPTION_PREVENTS_STATEMENT:	/* 1290: --read-only */
	case ER_QUERY_INTERRUPTED:	/* 1317: KILL QUERY, shutdown */
	case ER_XA_RBDEADLOCK:		/* 1614 */
	case ER_TOO_MANY_CONCURRENT_TRXS:	/* 1637 */
	case ER_READ_ONLY_MODE:		/* 1836 */
	case ER_CONNECTION_KILLED:	/* 1927 */
	case 1180:			/* ER_ERROR_DURING_COMMIT */
	case 1114:			/* ER_RECORD_FILE_FULL: disk full */
	case 1021:			/* ER_DISK_FULL */
	case 4031:			/* MySQL 8: idle client disconnected */
		return XERR_TEMP;
	case CR_OUT_OF_MEMORY:
		return XERR_NOMEM;
	default:
		return XERR_PERM;
	}
}

int
myconn_is_conn_error(unsigned code)
{
	switch (code) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_COMMANDS_OUT_OF_SYNC:
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
	case ER_NET_READ_ERROR:
	case ER_NET_READ_INTERRUPTED:
	case ER_NET_ERROR_ON_WRITE:
	case ER_NET_WRITE_INTERRUPTED:
	case ER_ABORTING_CONNECTION:
	case ER_NET_PACKET_TOO_LARGE:
	case 4031:
		return 1;
	default:
		return 0;
	}
}

int
myconn_is_data_error(unsigned code)
{
	switch (code) {
	case ER_DUP_ENTRY:			/* 1062 */
	case ER_BAD_NULL_ERROR:			/* 1048 */
	case ER_NO_DEFAULT_FOR_FIELD:		/* 1364 */
	case ER_TRUNCATED_WRONG_VALUE:		/* 1292 */
	case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:	/* 1366 */
	case ER_WARN_DATA_OUT_OF_RANGE:		/* 1264 */
	case ER_DATA_TOO_LONG:			/* 1406 */
	case WARN_DATA_TRUNCATED:		/* 1265 */
	case ER_ILLEGAL_VALUE_FOR_TYPE:		/* 1367 */
	case ER_WRONG_VALUE_FOR_TYPE:		/* 1411 */
	case ER_DATA_OUT_OF_RANGE:		/* 1690 */
	case ER_NO_REFERENCED_ROW_2:		/* 1452 */
	case ER_NO_REFERENCED_ROW:		/* 1216 */
	case ER_ROW_IS_REFERENCED_2:		/* 1451 */
	case ER_DIVISION_BY_ZERO:		/* 1365 */
	case ER_INVALID_CHARACTER_STRING:	/* 1300 */
	case ER_CONSTRAINT_FAILED:		/* 4025: CHECK (MariaDB) */
	case 3819:				/* CHECK (MySQL 8) */
		return 1;
	default:
		return 0;
	}
}

enum xerr_class
myconn_err_class(const struct myconn *conn, unsigned code)
{
	if (code == CR_SSL_CONNECTION_ERROR && conn->connected)
		return XERR_TEMP;
	return myconn_class(code);
}

int
myconn_broken(const struct myconn *conn)
{
	unsigned code = mysql_errno(conn->my);

	return myconn_is_conn_error(code) || (code ==
	    CR_SSL_CONNECTION_ERROR && conn->connected);
}

static int
set_fail(struct xerr *err, const struct myconn *conn, unsigned code,
    const char *msg, const char *what)
{
	return xerr_set(err, myconn_err_class(conn, code), 0, "database "
	    "'%s': %s: %s", conn->name, what, msg != NULL && *msg != '\0' ?
	    msg : "unknown error");
}

int
myconn_fail(struct myconn *conn, const char *what, struct xerr *err)
{
	return set_fail(err, conn, mysql_errno(conn->my),
	    mysql_error(conn->my), what);
}

int
myconn_stmt_fail(struct myconn *conn, MYSQL_STMT *st, const char *what,
    struct xerr *err)
{
	if (st == NULL)
		return myconn_fail(conn, what, err);
	return set_fail(err, conn, mysql_stmt_errno(st),
	    mysql_stmt_error(st), what);
}

int
myconn_exec(struct myconn *conn, const char *sql, const char *what,
    struct xerr *err)
{
	MYSQL_RES *res;

	if (mysql_real_query(conn->my, sql, strlen(sql)) != 0)
		return myconn_fail(conn, what, err);
	/* A statement with a result (none expected): read and drop it. */
	if ((res = mysql_store_result(conn->my)) != NULL)
		mysql_free_result(res);
	else if (mysql_field_count(conn->my) != 0)
		return myconn_fail(conn, what, err);
	return 0;
}

void
myconn_close(void *p)
{
	struct myconn *conn = p;

	if (conn == NULL)
		return;
	if (conn->my != NULL)
		mysql_close(conn->my);
	free(conn->name);
	free(conn->zone);
	free(conn);
}

/* Whole seconds for a duration in ms, rounded up; 0 stays 0. */
static unsigned
secs(long ms)
{
	if (ms <= 0)
		return 0;
	if (ms / 1000 >= UINT_MAX / 2)
		return UINT_MAX / 2;
	return (unsigned)((ms + 999) / 1000);
}

static int
set_session(struct myconn *c, const struct job_db *db, struct xerr *err)
{
	/* innodb_lock_wait_timeout: 1 .. 1073741824 s; 0 (none) = max. */
	unsigned lock = db->lock_timeout_ms > 0 ? secs(db->lock_timeout_ms) :
	    1073741824u;
	struct buf b;
	int rc;

	if (lock > 1073741824u)
		lock = 1073741824u;
	if (lock > 31536000u && !c->mariadb)
		lock = 31536000u;	/* MySQL's lock_wait_timeout max */
	buf_init(&b, 0);
	if (buf_printf(&b, "SET SESSION time_zone = '+00:00', "
	    "innodb_lock_wait_timeout = %u, lock_wait_timeout = %u", lock,
	    lock) == -1)
		goto nomem;
	if ((c->mariadb ? buf_printf(&b, ", max_statement_time = %.3f",
	    db->statement_timeout_ms / 1000.0) :
	    buf_printf(&b, ", max_execution_time = %ld",
	    db->statement_timeout_ms)) == -1)
		goto nomem;
	/*
	 * Ingest: a value that does not fit its column is an error, not a
	 * warning with a truncated or zeroed value stored (wrong data that
	 * looks loaded).  Also fixed: no ANSI_QUOTES surprises and
	 * backslash escapes on, which mysql_real_escape_string() relies
	 * on.
	 */
	if (c->use == MYCONN_INGEST && buf_puts(&b, ", sql_mode = "
	    "'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
	    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'") == -1)
		goto nomem;
	rc = myconn_exec(c, b.data, "cannot set up the session", err);
	buf_release(&b);
	return rc;
nomem:
	buf_release(&b);
	return xerr_nomem(err);
}

static enum myssl_mode
effective_ssl(const struct myurl *u, const struct job_db *db)
{
	if (u->ssl != MYSSL_DEFAULT)
		return u->ssl;
	return db->ca_file != NULL ? MYSSL_VERIFY_IDENTITY : MYSSL_PREFERRED;
}

static int
open_conn(const struct job_db *db, enum myconn_use use,
    struct myconn **out, struct xerr *err)
{
	struct myconn *c = NULL;
	struct myurl u;
	char *pw = NULL;
	enum myssl_mode ssl;
	unsigned t, proto;
	my_bool on = 1;
	const char *cipher;

	*out = NULL;
	if (db->url == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "[mysql] needs url");
	if (myurl_parse(db->url, &u, err) == -1)
		return -1;
	ssl = effective_ssl(&u, db);
	if ((ssl == MYSSL_VERIFY_CA) && db->ca_file == NULL) {
		xerr_set(err, XERR_CONFIG, 0, "database '%s': ssl-mode="
		    "VERIFY_CA needs ca_file", u.name);
		goto fail;
	}
	if (ssl == MYSSL_DISABLED && (db->ca_file || db->client_cert)) {
		xerr_set(err, XERR_CONFIG, 0, "database '%s': ssl-mode="
		    "DISABLED with ca_file or client_cert", u.name);
		goto fail;
	}
	if (db->password_file != NULL && secret_file_read(db->password_file,
	    "password_file", &pw, err) == -1)
		goto fail;
	if (db->client_key != NULL && secret_file_check(db->client_key,
	    "client_key", err) == -1)
		goto fail;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->name = strdup(u.name)) == NULL ||
	    (c->my = mysql_init(NULL)) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	c->use = use;
	mysql_options(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* The client's option files only when xfer has no password: with
	 * one, nothing there can change where or how we log in. */
	if (db->password_file == NULL)
		mysql_options(c->my, MYSQL_READ_DEFAULT_GROUP, "xfer");
	t = secs(db->connect_timeout_ms);
	if (t > 0)
		mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	/*
	 * Reads and writes wait for the server at most the statement
	 * timeout and a margin (the server ends a statement itself at the
	 * timeout); without one, as long as it takes.
	 */
	if ((t = secs(db->statement_timeout_ms)) > 0) {
		t += 60;
		mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &t);
		mysql_options(c->my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	}
	if (u.socket != NULL || strcmp(u.host, "localhost") != 0) {
		proto = u.socket != NULL ? MYSQL_PROTOCOL_SOCKET :
		    MYSQL_PROTOCOL_TCP;
		mysql_options(c->my, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (ssl != MYSSL_DISABLED) {
		mysql_ssl_set(c->my, db->client_key, db->client_cert,
		    db->ca_file, NULL, NULL);
		if (ssl >= MYSSL_REQUIRED)
			mysql_options(c->my, MYSQL_OPT_SSL_ENFORCE, &on);
		if (ssl == MYSSL_VERIFY_IDENTITY)
			mysql_options(c->my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
			    &on);
	}
	if (mysql_real_connect(c->my, u.socket != NULL ? "localhost" :
	    u.host, u.user, pw, u.database, u.port, u.socket, 0) == NULL) {
		myconn_fail(c, "cannot connect", err);
		goto fail;
	}
	c->connected = 1;
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
		pw = NULL;
	}
	cipher = mysql_get_ssl_cipher(c->my);
	if (ssl >= MYSSL_REQUIRED && cipher == NULL) {
		xerr_set(err, XERR_PERM, 0, "database '%s': the connection "
		    "has no TLS, which ssl-mode or ca_file asks for", c->name);
		goto fail;
	}
	c->mariadb = strstr(mysql_get_server_info(c->my), "MariaDB") != NULL;
	if (set_session(c, db, err) == -1)
		goto fail;
	myurl_free(&u);
	*out = c;
	return 0;
fail:
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	myconn_close(c);
	myurl_free(&u);
	return -1;
}

int
myconn_get(struct dbsession *s, const struct job_db *db, enum myconn_use use,
    struct myconn **conn, struct xerr *err)
{
	struct myconn *c;

	if (s != NULL && s->conn != NULL) {
		c = s->conn;
		/* A server that went away between two dates or files: a
		 * new connection now rather than a failed batch. */
		if (c->use == use && mysql_ping(c->my) == 0) {
			*conn = c;
			return 0;
		}
		dbsession_close(s);
	}
	if (open_conn(db, use, &c, err) == -1)
		return -1;
	if (s != NULL) {
		s->conn = c;
		s->close = myconn_close;
	}
	*conn = c;
	return 0;
}

void
myconn_release(struct dbsession *s, struct myconn *conn, int broken)
{
	if (conn == NULL)
		return;
	if (s == NULL || s->conn != conn) {
		myconn_close(conn);
		return;
	}
	if (broken || myconn_broken(conn))
		dbsession_close(s);
}

int
myconn_zone_known(struct myconn *conn, const char *zone, struct xerr *err)
{
	char esc[2 * 128 + 1];
	MYSQL_RES *res;
	MYSQL_ROW row;
	struct buf b;
	size_t n = strlen(zone);
	int known;

	if (conn->zone != NULL && strcmp(conn->zone, zone) == 0)
		return conn->zone_known;
	if (n >= 128)
		return 0;	/* no IANA name is that long */
	mysql_real_escape_string(conn->my, esc, zone, (unsigned long)n);
	buf_init(&b, 0);
	/* NULL without time zone tables or for a zone they lack. */
	if (buf_printf(&b, "SELECT CONVERT_TZ('2026-01-01 00:00:00', "
	    "'+00:00', '%s') IS NOT NULL", esc) == -1) {
		buf_release(&b);
		return xerr_nomem(err);
	}
	if (mysql_query(conn->my, b.data) != 0) {
		buf_release(&b);
		return myconn_fail(conn, "cannot ask for the time zone tables",
		    err);
	}
	buf_release(&b);
	if ((res = mysql_store_result(conn->my)) == NULL)
		return myconn_fail(conn, "cannot ask for the time zone tables",
		    err);
	row = mysql_fetch_row(res);
	known = row != NULL && row[0] != NULL && strcmp(row[0], "1") == 0;
	mysql_free_result(res);
	free(conn->zone);
	if ((conn->zone = strdup(zone)) == NULL)
		return xerr_nomem(err);
	conn->zone_known = known;
	return known;
}

void
myconn_report(struct myconn *conn, check_report_fn report, void *ctx)
{
	const char *cipher = mysql_get_ssl_cipher(conn->my), *ver = NULL;
	char what[512];

	snprintf(what, sizeof(what), "server %s %s", conn->mariadb ?
	    "MariaDB" : "MySQL", mysql_get_server_info(conn->my));
	report(ctx, 1, what);
	if (cipher == NULL) {
		report(ctx, 1, "no TLS");
		return;
	}
	if (mariadb_get_infov(conn->my, MARIADB_CONNECTION_TLS_VERSION,
	    &ver) != 0 || ver == NULL)
		ver = "TLS";
	snprintf(what, sizeof(what), "TLS %s (%s)", ver, cipher);
	report(ctx, 1, what);
}
