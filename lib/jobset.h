/*
 * jobset: every job file of a home (HOME/jobs/NAME.job, bytewise order),
 * loaded and validated together before any work starts, so that a typo in
 * one job is reported at once and never found half-way through a run.
 */
#ifndef XFER_JOBSET_H
#define XFER_JOBSET_H

#include <stddef.h>

#include "job.h"
#include "strlist.h"
#include "xerr.h"

struct jobset {
	struct job **jobs;	/* the valid jobs */
	size_t n;
	struct strlist invalid;	/* names of the invalid jobs */
	struct strlist errors;	/* every problem, "FILE:LINE: ..." */
};

/* -1 only when the jobs directory cannot be read or memory runs out. */
int jobset_load(const char *home, struct jobset *js, struct xerr *err);
void jobset_free(struct jobset *js);

/* The valid job of that name, or NULL. */
struct job *jobset_find(const struct jobset *js, const char *name);

#endif
