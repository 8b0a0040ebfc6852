/*
 * produce: build one batch's files from the source: records are read,
 * filtered to the batch date, aggregated or passed through, written in the
 * output format, compressed, hashed, and described by a manifest and a
 * batch.meta file, all inside a fresh directory of the caller's.  The
 * caller makes the directory durable and renames it into place (spool.c);
 * until then nothing of the batch is visible.
 */
#ifndef XFER_PRODUCE_H
#define XFER_PRODUCE_H

#include "bdate.h"
#include "dbsession.h"
#include "digest.h"
#include "job.h"
#include "log.h"
#include "xerr.h"

#define BATCH_META "batch.meta"

struct batch_meta {
	char file[256];		/* the data file's name */
	char manifest[300];	/* "" when manifest = none */
	long long bytes;
	long long records;
	char sha256[SHA256_HEXLEN];
	char plain_sha256[SHA256_HEXLEN];	/* OpenPGP: the file before
						 * encryption (after
						 * compression); "" if not
						 * encrypted */
	char pgp_keys[SHA256_HEXLEN];	/* OpenPGP: SHA-256 of the settings
					 * it was made with (recipients,
					 * signer, armor); "" if none */
};

/*
 * Do a and b hold the same batch?  An OpenPGP file is never the same
 * bytes twice (a fresh session key each time), so two encrypted batches
 * are compared by what was encrypted when both know it; otherwise by
 * their bytes.
 */
int batch_same_content(const struct batch_meta *a,
    const struct batch_meta *b);

/*
 * Build the batch of date into dir (an empty directory).  Every file is
 * fsync'd; the directory itself is not.  db is the run's database
 * session for a postgresql or mysql source (may be NULL).
 *
 * BATCH_DEFER_SYNC in flags: nothing is fsync'd (the manifest and
 * batch.meta are written straight under their names); the caller makes
 * a group of batches durable at once (syncfs on an fd it opened before
 * the group's first write) before anything renames dir into place, and
 * discards dir if that sync fails.
 */
#define BATCH_DEFER_SYNC	1u
int batch_produce(const struct job *job, bdate_t date, const char *dir,
    struct dbsession *db, struct batch_meta *meta, const struct log *lg,
    unsigned flags, struct xerr *err);

/* batch_produce() of the version seq of date (its {seq}; 1 there). */
int batch_produce_seq(const struct job *job, bdate_t date, long seq,
    const char *dir, struct dbsession *db, struct batch_meta *meta,
    const struct log *lg, unsigned flags, struct xerr *err);

/*
 * An encrypted batch m just built in dir whose plain text and OpenPGP
 * settings are those of the version in sent_dir (the one the partner
 * has) takes that version's ciphertext, so that the same records give
 * the same bytes at the destination again (a resend is then "already
 * there", never "replaced ... other bytes").  1 when taken (m updated,
 * its manifest and batch.meta rewritten), 0 when not (not encrypted,
 * nothing sent, other content or settings), -1 on error.
 */
int batch_reuse_sent(const struct job *job, bdate_t date, const char *dir,
    struct batch_meta *m, const char *sent_dir, unsigned flags,
    struct xerr *err);

/* Read dir/batch.meta; -1 if it is missing or damaged. */
int batch_meta_read(const char *dir, struct batch_meta *meta,
    struct xerr *err);

/* The final file name of the batch of date (pattern + compression +
 * ".pgp" or ".asc" when encrypted or signed, unless the pattern already
 * ends in .pgp, .gpg or .asc). */
int batch_file_name(const struct job *job, bdate_t date, char *out,
    size_t size, struct xerr *err);
int batch_file_name_seq(const struct job *job, bdate_t date, long seq,
    char *out, size_t size, struct xerr *err);

/* The {seq} a batch file name of the job was made with (read back with
 * the [output] name pattern); -1 when it has none or does not match. */
long batch_name_seq(const struct job *job, const char *file);

#endif
