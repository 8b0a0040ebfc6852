/*
 * xerr: the one error convention of the library.
 *
 * Every fallible function returns 0 on success and -1 on failure, and fills
 * a caller-owned struct xerr with a class (how the caller should react) and
 * a message in git's style: what failed first, the subject quoted, lower
 * case, no full stop, then the reason.
 */
#ifndef XFER_XERR_H
#define XFER_XERR_H

#include <stddef.h>

enum xerr_class {
	XERR_NONE = 0,
	XERR_TEMP,	/* transient: retrying later may succeed */
	XERR_PERM,	/* permanent: only an operator can fix it */
	XERR_DATA,	/* the input data is bad (file, line, value named) */
	XERR_CONFIG,	/* a job file or xfer.conf is invalid */
	XERR_NOMEM,	/* allocation failed */
	XERR_STALE,	/* this node's claim was taken over (a shared ledger):
			 * the work is another node's now; stop it, record
			 * nothing */
};

struct xerr {
	enum xerr_class cls;
	int sys_errno;		/* errno that caused it, or 0 */
	long retry_after_s;	/* XERR_TEMP: the server asked us to wait */
	char msg[1024];
};

/* Set err (may be NULL) and return -1.  errnum != 0 appends ": strerror". */
int xerr_set(struct xerr *err, enum xerr_class cls, int errnum,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Put "prefix: " in front of the current message; returns -1. */
int xerr_prefix(struct xerr *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Shorthand for the out-of-memory case; returns -1. */
int xerr_nomem(struct xerr *err);

void xerr_clear(struct xerr *err);

const char *xerr_class_name(enum xerr_class cls);

#endif
