/*
 * dest: deliver a batch's file and manifest to the job's destination.
 *
 * The delivery rules live here, once; the transports (dest_file.c; SFTP and
 * HTTPS later) fill a table of functions.  Rules (SPEC.md section 4): the
 * data file first, then the manifest, each under a temporary name renamed
 * into place; the same bytes already at the destination count as sent;
 * other bytes are replaced (old manifest removed first) or, with
 * on_exists = fail, the batch is held.
 */
#ifndef XFER_DEST_H
#define XFER_DEST_H

#include "job.h"
#include "log.h"
#include "produce.h"
#include "xerr.h"

enum dest_probe { DEST_ABSENT, DEST_SAME, DEST_DIFFERENT };

struct dest_ops {
	const char *name;
	int (*open)(void **state, const struct job *job, struct xerr *err);
	/* What the destination holds under name, compared with our file. */
	int (*probe)(void *state, const char *name, const char *local_path,
	    const char *sha256, long long size, enum dest_probe *res,
	    struct xerr *err);
	/* Put local_path under name, whole or not at all. */
	int (*put)(void *state, const char *local_path, const char *name,
	    struct xerr *err);
	/* Remove name; absent is success. */
	int (*remove)(void *state, const char *name, struct xerr *err);
	void (*close)(void *state);
};

extern const struct dest_ops dest_file_ops;

struct dest;

/* Pick the transport by the job's upload url and connect. */
int dest_open(const struct job *job, struct dest **out, struct xerr *err);
void dest_close(struct dest *d);

/*
 * Deliver the batch in dir (described by m).  A conflict with
 * on_exists = fail is XERR_PERM.
 */
int dest_deliver(struct dest *d, const char *dir, const struct batch_meta *m,
    const char *date, const struct log *lg, struct xerr *err);

#endif
