/*
 * myconn: a MySQL/MariaDB connection for a job's [source] or [ingest]
 * (SPEC.md section 8), shared by source_mysql.c and ingest_mysql.c, the
 * parsing of mysql:// URLs and the classification of server errors.
 *
 * The URL: mysql://[USER@]HOST[:PORT][/DATABASE][?OPTIONS] (or
 * mariadb://), USER and DATABASE percent-decoded, HOST a name, an IPv4
 * address or [IPv6].  OPTIONS, '&'-separated:
 *   ssl-mode=DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY
 *   socket=PATH   connect through that Unix socket (HOST is then only
 *                 a name in messages)
 * HOST localhost without socket= means the client library's default
 * Unix socket, as the mysql client does; any other HOST is TCP (the
 * protocol is pinned, so an option file cannot switch it).
 *
 * TLS: ssl-mode absent is PREFERRED (TLS when the server offers it),
 * or VERIFY_IDENTITY when ca_file is given.  REQUIRED and stronger
 * refuse a connection that did not get TLS; VERIFY_CA checks the chain
 * against ca_file, VERIFY_IDENTITY also the host name.
 *
 * Login: the password comes from password_file (0600 rule) when given,
 * else the client's option files are read (groups [client] and [xfer];
 * MYSQL_PWD too, as the client library does).  It is never in argv, a
 * log line or a message: messages name the database by its URL without
 * options, "database 'mysql://xfer@db:3306/shop'".
 *
 * Every session gets utf8mb4, time_zone '+00:00' (a source run then
 * sets the job zone's offset for each batch date; see source_mysql.c),
 * innodb_lock_wait_timeout and lock_wait_timeout = lock_timeout, the
 * statement timeout (MariaDB max_statement_time, MySQL
 * max_execution_time) and, for ingest, sql_mode with STRICT_ALL_TABLES
 * so that a bad value is rejected, never truncated.
 */
#ifndef XFER_MYCONN_H
#define XFER_MYCONN_H

#include <mysql.h>

#include "dbsession.h"
#include "job.h"
#include "xerr.h"

enum myssl_mode {
	MYSSL_DEFAULT,		/* not given: PREFERRED, or VERIFY_IDENTITY
				 * with a ca_file */
	MYSSL_DISABLED,
	MYSSL_PREFERRED,
	MYSSL_REQUIRED,
	MYSSL_VERIFY_CA,
	MYSSL_VERIFY_IDENTITY,
};

/* A parsed mysql:// URL; myurl_free() frees its strings. */
struct myurl {
	char *user;		/* NULL: the option files' (or the OS user) */
	char *host;		/* "localhost" when the URL has none */
	unsigned port;		/* 0: the default */
	char *database;		/* NULL: none */
	char *socket;		/* NULL: TCP (or the default socket) */
	enum myssl_mode ssl;
	char *name;		/* scheme://user@host:port/db for messages */
};

/* Parse url into u (XERR_CONFIG naming what is wrong, never echoing
 * the option values). */
int myurl_parse(const char *url, struct myurl *u, struct xerr *err);
void myurl_free(struct myurl *u);

/* What a connection is for: ingest sessions are strict (sql_mode). */
enum myconn_use { MYCONN_SOURCE, MYCONN_INGEST };

struct myconn {
	MYSQL *my;
	char *name;		/* the URL for messages */
	int mariadb;		/* the server is MariaDB (not MySQL) */
	int connected;		/* logged in: a TLS error now is a lost
				 * connection, not a refused certificate */
	enum myconn_use use;
	char *zone;		/* the zone myconn_zone_known() asked about */
	int zone_known;		/* and the answer */
};

/*
 * The session's connection, opened on first use (s may be NULL: a
 * connection for the caller alone).  Give it back with myconn_release().
 */
int myconn_get(struct dbsession *s, const struct job_db *db,
    enum myconn_use use, struct myconn **conn, struct xerr *err);

/*
 * Done with conn for now: without a session it is closed; with one it
 * stays for the next call unless broken is set (or the last error says
 * the connection is gone), when it is closed and the session forgets
 * it.
 */
void myconn_release(struct dbsession *s, struct myconn *conn, int broken);

/* Close a connection (the dbsession close function). */
void myconn_close(void *conn);

/*
 * How a caller should react to server or client error code: XERR_TEMP
 * for connection loss, failover (read-only), deadlock, lock wait
 * timeout, too many connections, shutdown, interrupted queries;
 * XERR_PERM for everything else (1045 access denied, syntax, ...).
 */
enum xerr_class myconn_class(unsigned code);

/* 1 when code means the connection is gone or unusable. */
int myconn_is_conn_error(unsigned code);

/*
 * myconn_class() for an error on conn: once logged in, a TLS error
 * (2026, "unexpected eof while reading" when the server goes away) is a
 * lost connection, transient; while connecting it is a certificate
 * refused, permanent.
 */
enum xerr_class myconn_err_class(const struct myconn *conn, unsigned code);

/* 1 when the last error left conn unusable. */
int myconn_broken(const struct myconn *conn);

/* 1 when code is a row's fault: a bad value, a constraint. */
int myconn_is_data_error(unsigned code);

/*
 * Set err from conn's last error: "database 'URL': what: MESSAGE",
 * classed by myconn_class().  Returns -1.
 */
int myconn_fail(struct myconn *conn, const char *what, struct xerr *err);

/* As myconn_fail, for a prepared statement's error. */
int myconn_stmt_fail(struct myconn *conn, MYSQL_STMT *st, const char *what,
    struct xerr *err);

/* Run sql (no result set expected).  0 / -1 with err set. */
int myconn_exec(struct myconn *conn, const char *sql, const char *what,
    struct xerr *err);

/*
 * 1 when the server's time zone tables know zone (an IANA name), so
 * that time_zone can be set to it; 0 when not (no tables loaded, or no
 * such zone); -1 with err set when the question fails.  Asked once per
 * connection.
 */
int myconn_zone_known(struct myconn *conn, const char *zone,
    struct xerr *err);

/* check --connect: "server MariaDB 10.11.6" and "TLS TLSv1.3
 * (cipher)" or "no TLS" through report. */
void myconn_report(struct myconn *conn, check_report_fn report, void *ctx);

#endif
