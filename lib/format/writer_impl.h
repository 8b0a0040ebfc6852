/*
 * writer_impl: the formats writer.c hands rows to whole (a format
 * family: XML and fixed-width).  Internal to the writer; writer.h is the
 * interface.
 *
 * writer.c keeps the output buffer, the row count and the error state;
 * a family keeps its own state and writes through writer_put(), so its
 * bytes go the one way every format's bytes go (buffering, and whatever
 * the writer does to all output).
 */
#ifndef XFER_WRITER_IMPL_H
#define XFER_WRITER_IMPL_H

#include <stddef.h>

#include "record.h"
#include "writer.h"
#include "xerr.h"

struct writer_family {
	/* The family's state for o; NULL when out of memory. */
	void *(*open)(const struct writer_opts *o);
	/* The column names, once, before the first row. */
	int (*columns)(void *st, const char *const *names, size_t n,
	    struct xerr *err);
	/* One row, the rows'th of the file (1-based). */
	int (*row)(void *st, struct writer *w, const struct record *rec,
	    unsigned long rowno, struct xerr *err);
	/* The end of the file; rows were written. */
	int (*finish)(void *st, struct writer *w, unsigned long rows,
	    struct xerr *err);
	/* Characters unmappable = replace turned into '?'; NULL: the
	 * family's rows are encoded by writer.c, which counts them. */
	unsigned long (*replaced)(const void *st);
	void (*close)(void *st);
};

/* writer.c: append n bytes to the output (buffered). */
int writer_put(struct writer *w, const void *p, size_t n, struct xerr *err);

extern const struct writer_family xmlout_family;
extern const struct writer_family fixedout_family;

#endif
