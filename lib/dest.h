/*
 * dest: deliver a batch's file and manifest to the job's destination.
 *
 * The delivery rules live here, once (transport/dest.c); the transports
 * (transport/dest_file.c, transport/dest_curl.c for SFTP and HTTPS,
 * transport/dest_s3.c for S3) fill a table of functions.  Rules (SPEC.md section 4): the
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

struct put_req {
	const char *local_path;
	const char *name;	/* final name at the destination */
	const char *sha256;	/* of the local file */
	long long size;
	const char *job;
	const char *date;
	int exists;		/* the destination holds other bytes under name */
};

struct dest_ops {
	const char *name;
	int (*open)(void **state, const struct job *job, const struct log *lg,
	    struct xerr *err);
	/* What the destination holds under name, compared with our file. */
	int (*probe)(void *state, const char *name, const char *local_path,
	    const char *sha256, long long size, enum dest_probe *res,
	    struct xerr *err);
	/* Put req->local_path under req->name, whole or not at all. */
	int (*put)(void *state, const struct put_req *req, struct xerr *err);
	/* Remove name; absent is success. */
	int (*remove)(void *state, const char *name, struct xerr *err);
	void (*close)(void *state);

	/*
	 * For `xfer check --connect`: log in and report what works (auth,
	 * host key, write permission, rename/MOVE) without uploading data.
	 * Each finding goes to fn; -1 when the destination is unusable.
	 */
	int (*check)(void *state, void (*fn)(void *ctx, int ok,
	    const char *what), void *ctx, struct xerr *err);
};

struct dest;

/* Pulling (receive jobs with an [inbox] url): what a directory holds. */
struct remote_entry {
	const char *name;
	long long size;		/* -1: unknown */
	long long mtime;	/* unix time, -1: unknown */
	const char *etag;	/* S3: the object's ETag, without its
				 * quotes; NULL: none */
	int gone;		/* listed, but not there any more when
				 * looked at for its size and time (taken
				 * meanwhile) */
};

struct pull_ops {
	/* Each plain file of the directory (names as the server gave
	 * them: the caller checks them before any use). */
	int (*list)(void *state, int (*fn)(void *ctx,
	    const struct remote_entry *e, struct xerr *err), void *ctx,
	    struct xerr *err);
	/* Download name into local_path (created, written, fsync'd). */
	int (*get)(void *state, const char *name, const char *local_path,
	    struct xerr *err);
	/* Move name into the directory dir (after_pull = move:DIR). */
	int (*move)(void *state, const char *name, const char *dir,
	    struct xerr *err);
};

extern const struct pull_ops pull_curl_ops;
extern const struct pull_ops pull_s3_ops;

/*
 * Parse a directory listing as the server sent it (NUL-terminated):
 * sftp 1, "ls -l" lines (regular files; size from the fifth field, mtime
 * -1); sftp 0, nginx's JSON autoindex (name, size, mtime) or an HTML
 * index (relative hrefs, percent-decoded; size and mtime -1).  Each entry
 * goes to fn (valid during the call; what is not known is -1).  No
 * request is made: pull_curl_ops.list fills in the unknowns.
 */
int remote_listing_parse(const char *text, int sftp, int (*fn)(void *ctx,
    const struct remote_entry *e, struct xerr *err), void *ctx,
    struct xerr *err);

/* The pull side of a transport (SFTP, HTTPS, S3), on an open dest. */
int dest_pull_list(struct dest *d, int (*fn)(void *ctx,
    const struct remote_entry *e, struct xerr *err), void *ctx,
    struct xerr *err);
int dest_pull_get(struct dest *d, const char *name, const char *local_path,
    struct xerr *err);
int dest_pull_remove(struct dest *d, const char *name, struct xerr *err);
int dest_pull_move(struct dest *d, const char *name, const char *dir,
    struct xerr *err);

extern const struct dest_ops dest_file_ops;
extern const struct dest_ops dest_sftp_ops;
extern const struct dest_ops dest_https_ops;
extern const struct dest_ops dest_s3_ops;

struct dest;

/* Pick the transport by the job's upload url and connect. */
int dest_open(const struct job *job, struct dest **out, const struct log *lg,
    struct xerr *err);
void dest_close(struct dest *d);

/* Log in and report what works (see dest_ops.check). */
int dest_check(struct dest *d, void (*fn)(void *ctx, int ok,
    const char *what), void *ctx, struct xerr *err);

/*
 * Deliver the batch in dir (described by m).  A conflict with
 * on_exists = fail is XERR_PERM.  *uploaded says whether the data file
 * was transferred (0: the same bytes were already there).
 */
int dest_deliver(struct dest *d, const char *dir, const struct batch_meta *m,
    const char *date, const struct log *lg, int *uploaded,
    struct xerr *err);

#endif
