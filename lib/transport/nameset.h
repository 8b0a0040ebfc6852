/*
 * nameset: what a destination's directory (or S3 prefix) held when it
 * was listed, so that a backfill's probes of names that do not exist yet
 * need no request each.  Internal to lib/transport/.
 *
 * The rule the transports share, once: a connection takes its listing
 * only after its first NAMESET_PROBES probes (a cron run's one or two
 * batches never pay for one), and trusts it only to say "absent".  Names
 * are kept as 64-bit hashes, so the set errs one way only: a name it does
 * not hold is certainly not in the listing; one it holds (or one whose
 * hash collides) is looked up as before.  A listing that lacks a name a
 * lookup found before it, that is too large, or that could not be taken
 * or read is not used.  The transports make a name wrongly taken for
 * absent safe on their own: their upload refuses an existing target
 * (SFTP v3 rename, WebDAV Overwrite: F, S3 If-None-Match).
 */
#ifndef XFER_NAMESET_H
#define XFER_NAMESET_H

#include <stddef.h>
#include <stdint.h>

#define NAMESET_PROBES	4
#define NAMESET_MAX	1000000		/* more names: probe one by one */

struct nameset {
	uint64_t *v;		/* sorted once the listing is complete */
	size_t n, cap;
	int state;		/* 0 not listed yet, 1 usable, -1 not */
	int probes;
	uint64_t seen[NAMESET_PROBES];	/* found present before listing */
	int nseen;
};

/* Count a probe: 1 when the listing is to be taken now (state 0 and
 * past the first probes). */
int nameset_due(struct nameset *s);

/* A lookup before the listing found name present. */
void nameset_seen(struct nameset *s, const char *name);

/* Taking a listing: one name (len bytes); -1 when the set cannot hold
 * it (no memory, over NAMESET_MAX): then nameset_drop(). */
int nameset_add(struct nameset *s, const char *name, size_t len);

/* The listing is complete: 1 when it is usable, else it is dropped. */
int nameset_done(struct nameset *s);

/* Not to be used (the listing failed, or an upload met a surprise). */
void nameset_drop(struct nameset *s);

/* 1: name is certainly absent (a usable listing without it). */
int nameset_absent(const struct nameset *s, const char *name);

/* name was put since the listing: no longer absent. */
void nameset_insert(struct nameset *s, const char *name);

void nameset_free(struct nameset *s);

#endif
