/*
 * spool: the job's durable local area and its layout.
 *
 *   spool/ledger.db         the ledger (ledger.c)
 *   spool/JOB/lock          flock'd while a run works on JOB
 *   spool/JOB/tmp/          batches being built; garbage after a crash
 *   spool/JOB/out/DATE/     produced, not yet delivered (file, manifest,
 *                           batch.meta)
 *   spool/JOB/sent/DATE/    delivered
 *
 * The directory a batch is in is its state on disk; a batch moves between
 * them only by rename(2), the commit point, followed by an fsync of the
 * directories involved.
 */
#ifndef XFER_SPOOL_H
#define XFER_SPOOL_H

#include "bdate.h"
#include "log.h"
#include "xerr.h"

struct spool {
	char *root;		/* HOME/spool */
};

/*
 * Open (creating it when missing) the spool of home.  Refuses a spool
 * not owned by the effective user or writable by others; warns about one
 * writable by its group.
 */
int spool_open(const char *home, struct spool *sp, const struct log *lg,
    struct xerr *err);
void spool_close(struct spool *sp);

/* Create JOB's directories. */
int spool_job_prepare(const struct spool *sp, const char *job,
    struct xerr *err);

/* malloc'd "ROOT/JOB/AREA[/DATE]" (date < 0: none). */
char *spool_path(const struct spool *sp, const char *job, const char *area,
    bdate_t date);

/*
 * Take JOB's lock without waiting: 0 with *fd held (release with
 * spool_unlock), 1 when another run holds it, -1 on error.  The kernel
 * releases it if we die, so a crash never leaves a stale lock.
 */
int spool_lock(const struct spool *sp, const char *job, int *fd,
    struct xerr *err);
void spool_unlock(int fd);

/* A fresh private directory under JOB/tmp (malloc'd path in *out). */
int spool_tmpdir(const struct spool *sp, const char *job, const char *tag,
    char **out, struct xerr *err);

/* Empty JOB/tmp: only called with the job's lock held. */
int spool_clean_tmp(const struct spool *sp, const char *job,
    struct xerr *err);

#endif
