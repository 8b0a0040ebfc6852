/*
 * dbsession: a run's connection to a server database (PostgreSQL or
 * MySQL/MariaDB), shared by the source and ingest backends.
 *
 * SPEC.md section 8 asks for one connection per job and run, reused for
 * every date of a backfill and every file of a receive run.  The run owns
 * a struct dbsession (zeroed) and calls dbsession_close() at its end; the
 * first backend call that needs the database opens the connection and
 * leaves it in conn with its close function.  A backend that meets an
 * error that may have broken the connection (connection loss, a failed
 * COPY) closes it and sets conn to NULL, so the next call opens a new one.
 */
#ifndef XFER_DBSESSION_H
#define XFER_DBSESSION_H

struct dbsession {
	void *conn;		/* the backend's connection; NULL: none */
	void (*close)(void *conn);	/* set with conn */
};

/* For `xfer check --connect`: one finding, ok or not. */
typedef void (*check_report_fn)(void *ctx, int ok, const char *what);

/* Close the connection, if any; the session can be used again. */
void dbsession_close(struct dbsession *s);

#endif
