/*
 * pgconn: see pgconn.h.
 *
 * Why the connection parameters go in this order: PQconnectdbParams with
 * expand_dbname lets a later keyword override what the URL says, so the
 * defaults xfer only suggests (sslmode=verify-full with a ca_file,
 * application_name) come before the URL, and what xfer insists on (the
 * password it read, the TLS files and timeout of the job file, UTF-8)
 * after it.
 */
#include "pgconn.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"

#define PGCONN_MAXPARAMS	16

const char *
pgconn_name(const struct job_db *db)
{
	if (db->url != NULL)
		return db->url;
	return db->service != NULL ? db->service : "(none)";
}

enum xerr_class
pgconn_class(const char *state, int conn_ok)
{
	static const char *const transient[] = {
		"40001",	/* serialization_failure */
		"40P01",	/* deadlock_detected */
		"55P03",	/* lock_not_available: lock_timeout */
		"25006",	/* read_only_sql_transaction: a standby */
		"57P01",	/* admin_shutdown */
		"57P02",	/* crash_shutdown */
		"57P03",	/* cannot_connect_now: starting up */
	};
	size_t i;

	if (state == NULL || *state == '\0')
		return conn_ok ? XERR_PERM : XERR_TEMP;
	/* 08: connection exceptions; 53: insufficient resources (disk
	 * full, out of memory, too many connections). */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0)
		return XERR_TEMP;
	for (i = 0; i < sizeof(transient) / sizeof(*transient); i++)
		if (strcmp(state, transient[i]) == 0)
			return XERR_TEMP;
	return XERR_PERM;
}

int
pgconn_is_data_error(const char *state)
{
	return state != NULL && (strncmp(state, "22", 2) == 0 ||
	    strncmp(state, "23", 2) == 0);
}

/*
 * A failed login has no SQLSTATE in libpq: tell the operator's problems
 * (authentication, TLS verification, a database or user that does not
 * exist) from the network's and the server's by libpq's message.  What
 * is not recognised is transient: the next run tries again.
 */
enum xerr_class
pgconn_connect_class(const char *msg)
{
	static const char *const perm[] = {
		"authentication failed", "pg_hba.conf", "no password supplied",
		"password is required", "certificate", "does not exist",
		"permission denied", "invalid ", "SSL is not enabled",
		"server does not support SSL", "sslmode", "must be superuser",
		"could not read root certificate", "could not load",
		"could not open", "unrecognized", "not allowed",
		"definition of service",
	};
	size_t i;

	for (i = 0; i < sizeof(perm) / sizeof(*perm); i++)
		if (strstr(msg, perm[i]) != NULL)
			return XERR_PERM;
	return XERR_TEMP;
}

/* s on one line: newlines become "; ", "ERROR:  "/"FATAL:  " go. */
static void
one_line(const char *s, char *out, size_t size)
{
	static const char *const prefix[] = { "ERROR:  ", "FATAL:  ",
		"PANIC:  " };
	size_t len = 0, i;
	int space = 0;

	if (size == 0)
		return;
	for (; *s != '\0' && len + 1 < size; s++) {
		for (i = 0; i < sizeof(prefix) / sizeof(*prefix); i++)
			if (strncmp(s, prefix[i], strlen(prefix[i])) == 0) {
				s += strlen(prefix[i]);
				break;
			}
		if (*s == '\0')
			break;
		if (*s == '\n' || *s == '\r' || *s == '\t') {
			space = 1;
			continue;
		}
		if (space && len > 0 && len + 3 < size) {
			memcpy(out + len, "; ", 2);
			len += 2;
		}
		space = 0;
		out[len++] = *s;
	}
	out[len] = '\0';
}

void
pgconn_message(PGconn *conn, const PGresult *res, char *out, size_t size)
{
	const char *primary = NULL, *detail = NULL;
	char tmp[900];

	if (res != NULL) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	}
	if (primary != NULL) {
		snprintf(tmp, sizeof(tmp), "%s%s%s%s", primary,
		    detail ? " (" : "", detail ? detail : "",
		    detail ? ")" : "");
		one_line(tmp, out, size);
		return;
	}
	if (res != NULL && *PQresultErrorMessage(res) != '\0') {
		one_line(PQresultErrorMessage(res), out, size);
		return;
	}
	one_line(conn != NULL ? PQerrorMessage(conn) : "out of memory", out,
	    size);
	if (*out == '\0')
		snprintf(out, size, "unknown error");
}

int
pgconn_fail_as(struct xerr *err, const char *label, PGconn *conn,
    const PGresult *res, const char *what)
{
	const char *state = res != NULL ? PQresultErrorField(res,
	    PG_DIAG_SQLSTATE) : NULL;
	char msg[900];

	pgconn_message(conn, res, msg, sizeof(msg));
	return xerr_set(err, pgconn_class(state, conn != NULL &&
	    PQstatus(conn) == CONNECTION_OK), 0, "%s: %s: %s", label, what,
	    msg);
}

int
pgconn_fail(struct xerr *err, const struct job_db *db, PGconn *conn,
    const PGresult *res, const char *what)
{
	char label[600];

	snprintf(label, sizeof(label), "database '%s'", pgconn_name(db));
	return pgconn_fail_as(err, label, conn, res, what);
}

int
pgconn_exec(PGconn *conn, const struct job_db *db, const char *sql,
    const char *what, struct xerr *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pgconn_fail(err, db, conn, res, what);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/*
 * The job's zone for the session: the process's TZ (tz_use() set it to
 * the job's zone), else the system's (/etc/localtime's name).  0: none
 * known, the server's own stays.
 */
static int
zone_name(char *out, size_t size)
{
	const char *tz = getenv("TZ"), *p;
	char link[PATH_MAX];
	ssize_t n;

	if (tz != NULL && *tz == ':')
		tz++;
	if (tz != NULL && *tz != '\0' && *tz != '/') {
		snprintf(out, size, "%s", tz);
		return 1;
	}
	if (tz != NULL && *tz == '/' && (p = strstr(tz, "/zoneinfo/")) !=
	    NULL) {
		snprintf(out, size, "%s", p + 10);
		return 1;
	}
	if ((n = readlink("/etc/localtime", link, sizeof(link) - 1)) <= 0)
		return 0;
	link[n] = '\0';
	if ((p = strstr(link, "zoneinfo/")) == NULL)
		return 0;
	snprintf(out, size, "%s", p + 9);
	return 1;
}

/* idle_in_transaction_session_timeout (see setup_session()). */
#define PG_IDLE_IN_TX_MS	10000

/* Each new session: the job's timeouts, ISO dates in the job's zone. */
static int
setup_session(PGconn *conn, const struct job_db *db, struct xerr *err)
{
	char zone[256];
	char *lit = NULL;
	struct buf b;
	int rc;

	/*
	 * xfer is never idle inside a transaction but for the moment between
	 * two statements: a session that is for seconds is a stopped or
	 * cut-off host (SIGSTOP keeps its TCP connection alive).  The server
	 * then ends it, freeing its locks, the job's advisory lock above all,
	 * which would otherwise stall every other host's ingest of the job
	 * for as long as it sleeps.
	 */
	long idle_ms = PG_IDLE_IN_TX_MS;

	buf_init(&b, 0);
	if (buf_printf(&b, "SET statement_timeout = %ld; SET lock_timeout = "
	    "%ld; SET idle_in_transaction_session_timeout = %ld; "
	    "SET DateStyle = ISO; SET IntervalStyle = iso_8601; "
	    "SET bytea_output = hex; SET extra_float_digits = 1",
	    db->statement_timeout_ms, db->lock_timeout_ms, idle_ms) == -1)
		goto nomem;
	if (zone_name(zone, sizeof(zone))) {
		if ((lit = PQescapeLiteral(conn, zone, strlen(zone))) ==
		    NULL)
			goto nomem;
		if (buf_printf(&b, "; SET TimeZone = %s", lit) == -1)
			goto nomem;
	}
	rc = pgconn_exec(conn, db, b.data, "cannot set up the session", err);
	PQfreemem(lit);
	buf_release(&b);
	return rc;
nomem:
	PQfreemem(lit);
	buf_release(&b);
	return xerr_nomem(err);
}

/* 1 when the URL names an sslmode of its own. */
static int
url_has_sslmode(const char *url)
{
	return url != NULL && strstr(url, "sslmode=") != NULL;
}

static int
open_conn(const struct job_db *db, PGconn **out, struct xerr *err)
{
	const char *kw[PGCONN_MAXPARAMS + 1], *val[PGCONN_MAXPARAMS + 1];
	char timeout[32], msg[900];
	char *password = NULL;
	PGconn *conn;
	int n = 0;

	*out = NULL;
	if (db->password_file != NULL && secret_file_read(db->password_file,
	    "password_file", &password, err) == -1)
		return xerr_prefix(err, "database '%s'", pgconn_name(db));
	if (db->ca_file != NULL && db->url != NULL &&
	    !url_has_sslmode(db->url)) {
		kw[n] = "sslmode";
		val[n++] = "verify-full";
	}
	kw[n] = "application_name";
	val[n++] = "xfer";
	if (db->url != NULL) {
		kw[n] = "dbname";
		val[n++] = db->url;
	} else {
		kw[n] = "service";
		val[n++] = db->service;
	}
	if (password != NULL) {
		kw[n] = "password";
		val[n++] = password;
	}
	if (db->ca_file != NULL) {
		kw[n] = "sslrootcert";
		val[n++] = db->ca_file;
	}
	if (db->client_cert != NULL) {
		kw[n] = "sslcert";
		val[n++] = db->client_cert;
	}
	if (db->client_key != NULL) {
		kw[n] = "sslkey";
		val[n++] = db->client_key;
	}
	if (db->connect_timeout_ms > 0) {
		/* Whole seconds, rounded up (libpq's unit). */
		snprintf(timeout, sizeof(timeout), "%ld",
		    (db->connect_timeout_ms + 999) / 1000);
		kw[n] = "connect_timeout";
		val[n++] = timeout;
	}
	kw[n] = "client_encoding";
	val[n++] = "UTF8";
	kw[n] = NULL;
	val[n] = NULL;
	conn = PQconnectdbParams(kw, val, 1);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (conn == NULL)
		return xerr_nomem(err);
	if (PQstatus(conn) != CONNECTION_OK) {
		one_line(PQerrorMessage(conn), msg, sizeof(msg));
		xerr_set(err, pgconn_connect_class(msg), 0, "database '%s': "
		    "cannot connect: %s", pgconn_name(db), msg);
		PQfinish(conn);
		return -1;
	}
	if (setup_session(conn, db, err) == -1) {
		PQfinish(conn);
		return -1;
	}
	*out = conn;
	return 0;
}

static void
close_conn(void *conn)
{
	PQfinish(conn);
}

int
pgconn_get(struct dbsession *s, const struct job_db *db, PGconn **conn,
    struct xerr *err)
{
	if (s != NULL && s->conn != NULL) {
		if (s->close == close_conn &&
		    PQstatus(s->conn) == CONNECTION_OK &&
		    PQtransactionStatus(s->conn) == PQTRANS_IDLE) {
			*conn = s->conn;
			return 0;
		}
		/* Broken, or left inside a transaction: start afresh. */
		dbsession_close(s);
	}
	if (open_conn(db, conn, err) == -1)
		return -1;
	if (s != NULL) {
		s->conn = *conn;
		s->close = close_conn;
	}
	return 0;
}

void
pgconn_release(struct dbsession *s, PGconn *conn, int broken)
{
	PGTransactionStatusType ts;
	PGresult *res;

	if (conn == NULL)
		return;
	ts = PQtransactionStatus(conn);
	if (!broken && PQstatus(conn) == CONNECTION_OK &&
	    (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)) {
		res = PQexec(conn, "ROLLBACK");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			broken = 1;
		PQclear(res);
	} else if (ts == PQTRANS_ACTIVE) {
		broken = 1;
	}
	if (s == NULL) {
		PQfinish(conn);
		return;
	}
	if (s->conn == conn && (broken || PQstatus(conn) != CONNECTION_OK))
		dbsession_close(s);
}

void
pgconn_report(PGconn *conn, check_report_fn report, void *ctx)
{
	const char *ver = PQparameterStatus(conn, "server_version");
	const char *proto, *cipher;
	char what[300];

	snprintf(what, sizeof(what), "server PostgreSQL %s", ver ? ver :
	    "(unknown version)");
	report(ctx, 1, what);
	if (!PQsslInUse(conn)) {
		report(ctx, 1, "no TLS (use sslmode=verify-full with ca_file "
		    "over a network)");
		return;
	}
	proto = PQsslAttribute(conn, "protocol");
	cipher = PQsslAttribute(conn, "cipher");
	snprintf(what, sizeof(what), "TLS %s (%s)", proto ? proto : "?",
	    cipher ? cipher : "?");
	report(ctx, 1, what);
}
