/*
 * recv_internal: internal to the receive modules, not an interface (cmd/
 * and the tests use recvjob.h): the state of one receive run, and what
 * the modules that make up a run call across one another.
 *
 *   recvjob.c         the run and the order of its steps; processing
 *                     picked-up files, one at a time or in groups (group
 *                     commit); rerun --date
 *   recv_pickup.c     new files into the spool: local pick-up, pulling
 *                     from sftp://, https:// or s3:// (in a fleet: each
 *                     remote file claimed first)
 *   recv_reconcile.c  reconciliation after a crash; versions superseded
 *   recv_files.c      moving files in the spool; finishing a file (the
 *                     backup, the failed area, its ledger row); pruning
 *                     backups
 */
#ifndef XFER_RECV_INTERNAL_H
#define XFER_RECV_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include "dbsession.h"
#include "manifest.h"
#include "recvjob.h"

/* Ledger rows, as recv_collect() gathers them; the caller frees v. */
struct idlist {
	struct recv_file *v;
	size_t n, cap;
};

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
	struct dbsession db;	/* a database target's connection, for
				 * every file of the run */
	struct idlist pulled;	/* a fleet's pick-up: the rows it pulled
				 * and processed (rerun counts them as
				 * fresh) */
};

/* recvjob.c */
int recv_collect(void *ctx, const struct recv_file *f, struct xerr *err);
/* Ingest (and finish) the rows of todo, in their order; each row is
 * left as it ended (state, transient). */
int recv_process(struct rrun *r, struct idlist *todo, struct xerr *err);
void recv_finish_ok(struct rrun *r, struct recv_file *f, const char *state);

/* recv_pickup.c */
int recv_is_manifest_name(const char *name);
int recv_pick_up_local(struct rrun *r, struct xerr *err);
int recv_pick_up_remote(struct rrun *r, struct xerr *err);
void recv_settle_report(struct rrun *r);

/* recv_reconcile.c */
int recv_in_spool_in(struct rrun *r, const char *path);
void recv_orphan_token(struct rrun *r, const char *tdir);
int recv_reconcile(struct rrun *r, struct xerr *err);
int recv_supersede(struct rrun *r, struct xerr *err);
void recv_tidy_superseded(struct rrun *r);

/* recv_files.c */
char *recv_abs_spool(struct rrun *r, const struct recv_file *f);
char *recv_dir_part(const char *path);
int recv_move_file(const char *from, const char *to_dir, const char *to_name,
    struct xerr *err);
int recv_move_file_deferred(const char *from, const char *to_dir,
    const char *to_name, int sync_file, struct xerr *err);
int recv_syncfs_ok(int fd);
int recv_dirs_add(struct strlist *dirs, const char *dir, struct xerr *err);
int recv_drop_token(struct rrun *r, const char *file_path, struct xerr *err);
int recv_new_token_dir(struct rrun *r, const char *area, char **out,
    struct xerr *err);
int recv_load_manifest(const char *dir, const char *name, struct manifest *m,
    struct xerr *err);
int recv_fill_from_file(struct recv_file *f, const char *path, struct xerr *err);
int recv_backup_target(struct rrun *r, const struct recv_file *f, int gz,
    const char *dir, char *name, size_t size, char **dst, int *same,
    struct xerr *err);
int recv_backup_rest(struct rrun *r, const struct recv_file *f, const char *src,
    const char *dir, const char *name, struct xerr *err);
int recv_backup_gz(const struct rrun *r, const struct recv_file *f);
int recv_to_backup(struct rrun *r, struct recv_file *f, struct strlist *deferred,
    struct xerr *err);
void recv_backup_undo(struct recv_file *f, const char *src);
void recv_error_name(const char *name, char *out, size_t size);
int recv_to_failed(struct rrun *r, struct recv_file *f, const char *why,
    struct xerr *err);
void recv_record(struct rrun *r, struct recv_file *f);
void recv_fail_file(struct rrun *r, struct recv_file *f, const struct xerr *e,
    int transient);
void recv_prune_backups(struct rrun *r);

#endif
