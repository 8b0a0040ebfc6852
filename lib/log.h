/*
 * log: one line per event on stderr, as text or JSON.
 *
 * The caller owns a struct log (cmd/ sets it up from -q/-v/--log-format)
 * and passes it down; library code never decides where logs go.  Every
 * line carries the run id so one run's lines can be followed.
 */
#ifndef XFER_LOG_H
#define XFER_LOG_H

#include <stdio.h>

#include "tz.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT = 0, LOG_JSON };

struct log {
	FILE *fp;
	enum log_level level;	/* lines above this level are dropped */
	enum log_format format;
	int syslog;		/* also send each line to syslog */
	char run_id[17];
	/*
	 * For a run with threads (sendpool.c): times from these offsets
	 * (tz.h), not tz_system_time(); no progress bar (lines from several
	 * transfers would interleave with it).  log_init: NULL and 0.
	 */
	const struct tz_pin *pinned_zone;
	int no_progress;
};

/* Optional facts about an event; -1 (or NULL) leaves a fact out. */
struct log_kv {
	const char *file;
	long long records;
	long long bytes;
	long long duration_ms;
};

#define LOG_KV_NONE { NULL, -1, -1, -1 }

/* fp = stderr, level INFO, text, a fresh random run id. */
void log_init(struct log *lg);

/*
 * Log one event.  job, date and event may be NULL.  The message is the
 * human sentence (for errors: what failed and what to do next); in JSON it
 * goes to "error" for LOG_ERROR/LOG_WARN and to "msg" otherwise.
 */
void log_event(const struct log *lg, enum log_level lvl, const char *job,
    const char *date, const char *event, const struct log_kv *kv,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/*
 * As log_event(), but shown whatever the level asked for (even under -q):
 * for the few warnings an operator must read even from cron, such as a
 * resend that replaces what the partner already has.
 */
void log_event_always(const struct log *lg, enum log_level lvl,
    const char *job, const char *date, const char *event,
    const struct log_kv *kv, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

const char *log_level_name(enum log_level lvl);

/* Milliseconds on the monotonic clock, for durations and deadlines. */
long long mono_ms(void);

/*
 * A progress bar (bytes, rate, ETA) for one transfer, drawn on the log's
 * stream only when it is a terminal, the transfer is over 1 MiB and
 * informational lines are wanted: never under cron.
 */
struct progress {
	const struct log *lg;
	const char *name;
	long long total;
	long long start_ms, last_ms;
	int active;
};

void progress_begin(struct progress *p, const struct log *lg,
    const char *name, long long total);
void progress_update(struct progress *p, long long done);
void progress_end(struct progress *p);

#endif
