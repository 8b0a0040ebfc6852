/*
 * metrics: spool/metrics.prom, the ledger summed up per job in the
 * Prometheus text exposition format (version 0.0.4) for node_exporter's
 * textfile collector.
 *
 * Everything is computed from the ledger, so the file is the same whoever
 * wrote it last and a lost or skipped write is repaired by the next one.
 * It is replaced atomically (temporary name, fsync, rename, fsync of the
 * directory): the collector never reads half a file.  Series carry no
 * timestamps, as the textfile collector requires.
 */
#ifndef XFER_METRICS_H
#define XFER_METRICS_H

#include <time.h>

#include "buf.h"
#include "ledger.h"
#include "xerr.h"

/* Compute the metrics and write spool_root/metrics.prom durably. */
int metrics_write(struct ledger *l, const char *spool_root, time_t now,
    struct xerr *err);

/* The text metrics_write writes, appended to out. */
int metrics_format(struct ledger *l, time_t now, struct buf *out,
    struct xerr *err);

/* Append s as a label value: backslash, double quote and newline escaped
 * (the quotes around it are the caller's).  -1 with errno as buf_append. */
int metrics_label_escape(struct buf *b, const char *s);

#endif
