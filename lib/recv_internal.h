/*
 * recv_internal: internal to the receive modules, not an interface (cmd/
 * and the tests use recvjob.h): the state of one receive run, and what
 * the modules that make up a run call across one another.
 *
 *   recvjob.c         the run and the order of its steps; processing one
 *                     picked-up file; rerun --date
 *   recv_pickup.c     new files into the spool: local pick-up, pulling
 *                     from sftp:// or https://
 *   recv_reconcile.c  reconciliation after a crash; versions superseded
 *   recv_files.c      moving files in the spool; finishing a file (the
 *                     backup, the failed area, its ledger row); pruning
 *                     backups
 */
#ifndef XFER_RECV_INTERNAL_H
#define XFER_RECV_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include "manifest.h"
#include "recvjob.h"

struct rrun {
	const struct job *job;
	const struct spool *sp;
	struct ledger *l;
	const struct recv_opts *o;
	struct recv_outcome *out;
	const struct log *lg;
	char *jobdir;		/* spool/JOB */
	int settling;		/* files left to settle by this pick-up */
	time_t settle_next;	/* when the first of them is eligible */
};

/* Ledger rows, as collect() gathers them; the caller frees v. */
struct idlist {
	struct recv_file *v;
	size_t n, cap;
};

/* recvjob.c */
int collect(void *ctx, const struct recv_file *f, struct xerr *err);
void finish_ok(struct rrun *r, struct recv_file *f, const char *state);

/* recv_pickup.c */
int is_manifest_name(const char *name);
int pick_up_local(struct rrun *r, struct xerr *err);
int pick_up_remote(struct rrun *r, struct xerr *err);
void settle_report(struct rrun *r);

/* recv_reconcile.c */
int in_spool_in(struct rrun *r, const char *path);
void orphan_token(struct rrun *r, const char *tdir);
int reconcile(struct rrun *r, struct xerr *err);
int supersede(struct rrun *r, struct xerr *err);
void tidy_superseded(struct rrun *r);

/* recv_files.c */
char *abs_spool(struct rrun *r, const struct recv_file *f);
char *dir_part(const char *path);
int move_file(const char *from, const char *to_dir, const char *to_name,
    struct xerr *err);
int new_token_dir(struct rrun *r, const char *area, char **out,
    struct xerr *err);
int load_manifest(const char *dir, const char *name, struct manifest *m,
    struct xerr *err);
int fill_from_file(struct recv_file *f, const char *path, struct xerr *err);
int backup_target(struct rrun *r, const struct recv_file *f, int gz,
    const char *dir, char *name, size_t size, char **dst, int *same,
    struct xerr *err);
int backup_rest(struct rrun *r, const struct recv_file *f, const char *src,
    const char *dir, const char *name, struct xerr *err);
int backup_gz(const struct rrun *r, const struct recv_file *f);
int to_backup(struct rrun *r, struct recv_file *f, struct xerr *err);
void error_name(const char *name, char *out, size_t size);
int to_failed(struct rrun *r, struct recv_file *f, const char *why,
    struct xerr *err);
void record(struct rrun *r, struct recv_file *f);
void fail_file(struct rrun *r, struct recv_file *f, const struct xerr *e,
    int transient);
void prune_backups(struct rrun *r);

#endif
