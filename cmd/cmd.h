/*
 * The xfer command line: cmd/xfer.c parses the global options and calls
 * one cmd_NAME() per subcommand.  Only cmd/ decides exit codes and exits.
 */
#ifndef XFER_CMD_H
#define XFER_CMD_H

#include <time.h>

#include "jobset.h"
#include "log.h"

/* Exit codes (sysexits.h values, SPEC.md section 3). */
#define EXIT_OK		0
#define EXIT_FAILED	1
#define EXIT_USAGE	64
#define EXIT_LOCKED	75
#define EXIT_CONFIG	78

struct xfer_ctx {
	char *home;		/* absolute */
	/* xfer.conf [ledger]: url NULL for the home's SQLite ledger. */
	char *ledger_url;
	char *ledger_password_file;
	char *ledger_node;	/* default: the host name */
	long ledger_lease_s;
	struct log log;
	time_t now;
	const char *prog;	/* "xfer" */
};

int cmd_send(struct xfer_ctx *x, int argc, char **argv);
int cmd_status(struct xfer_ctx *x, int argc, char **argv);
int cmd_check(struct xfer_ctx *x, int argc, char **argv);
int cmd_rerun(struct xfer_ctx *x, int argc, char **argv);

int cmd_receive(struct xfer_ctx *x, int argc, char **argv);
int cmd_cron(struct xfer_ctx *x, int argc, char **argv);
int cmd_run(struct xfer_ctx *x, int argc, char **argv);
int cmd_ledger(struct xfer_ctx *x, int argc, char **argv);

struct send_opts;
struct recv_opts;
/*
 * Run the named jobs (or all enabled jobs of direction; -1: both) with so
 * (send jobs) and ro (receive jobs); returns the exit status.
 */
int cmd_run_jobs(struct xfer_ctx *x, int nnames, char **names, int direction,
    const struct send_opts *so, const struct recv_opts *ro);

struct spool;
struct ledger;
struct ledger_conf;
/* The ledger conf of xfer.conf [ledger] (the SQLite file HOME/spool/
 * ledger.db without a url); *path (to free) is NULL when out of memory. */
void cmd_ledger_conf(struct xfer_ctx *x, struct ledger_conf *conf,
    char **path);
/* 1 when a shared ledger is named while the home's SQLite ledger, with
 * this host's history, has not been migrated into it. */
int cmd_ledger_unmigrated(const struct ledger_conf *conf);
/* Open the home's spool and ledger (errors reported); 0 or -1. */
int cmd_open_spool(struct xfer_ctx *x, struct spool *sp, struct ledger **l);
/* Run one job (of so's or ro's direction); sets *failed / *locked. */
void cmd_run_one(struct xfer_ctx *x, const struct job *job,
    const struct spool *sp, struct ledger *l, const struct send_opts *so,
    const struct recv_opts *ro, int *failed, int *locked);

/*
 * 1 when job is pinned ([job] nodes) to nodes other than this one: a
 * named job (named 1) is refused with a message, else the skip is logged
 * at debug level.  0: this node runs it.
 */
int cmd_pinned_elsewhere(struct xfer_ctx *x, const struct job *job,
    int named);
/* "a, b": a job's nodes, for messages. */
void cmd_nodes_text(const struct job *job, char *out, size_t size);

/* Shared by the commands (cmd/common.c). */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Load the job set and pick the jobs a command works on: the named ones,
 * or every enabled job of direction (-1: any).  Invalid job files are
 * reported; *status becomes EXIT_CONFIG when one of them is among the
 * jobs asked for, EXIT_USAGE for a name that has no job file.  Returns
 * the number of picked jobs (in *picked, pointing into js), -1 on error
 * (js then holds nothing).
 */
int cmd_pick_jobs(struct xfer_ctx *x, struct jobset *js, char **names,
    int nnames, int direction, struct job ***picked, int *status);

struct ledger;
/*
 * Rewrite spool_root/metrics.prom from the ledger (cmd/common.c); a
 * failure is logged as a warning and returns -1: metrics never fail a run.
 */
int cmd_write_metrics(struct xfer_ctx *x, struct ledger *l,
    const char *spool_root);

/* Flush stdout and turn a write error into a failure (as git does). */
int cmd_finish_stdout(int status);

#endif
