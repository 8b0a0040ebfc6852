#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "syslogger.h"
#include "tz.h"

void
log_init(struct log *lg)
{
	unsigned char r[8];
	size_t i;

	lg->fp = stderr;
	lg->level = LOG_INFO;
	lg->format = LOG_TEXT;
	lg->syslog = 0;
	lg->pinned_zone = NULL;
	lg->no_progress = 0;
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		unsigned long long x = (unsigned long long)time(NULL) ^
		    ((unsigned long long)getpid() << 32);
		memcpy(r, &x, sizeof(r));
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(lg->run_id + 2 * i, 3, "%02x", r[i]);
}

const char *
log_level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_ERROR:	return "error";
	case LOG_WARN:	return "warning";
	case LOG_INFO:	return "info";
	case LOG_DEBUG:	return "debug";
	}
	return "info";
}

/* Text values go on one line: control characters would forge log lines. */
static void
text_clean(struct buf *b, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\x%02x", *p);
		else
			buf_putc(b, *p);
	}
}

/* s if it needs no escaping in a log line, else "?". */
static const char *
plain_or_q(const char *s)
{
	const char *p;

	if (s == NULL)
		return NULL;
	for (p = s; *p; p++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._-", *p) == NULL)
			return "?";
	return s;
}

/*
 * No memory for the line: a plainer one from the stack, every byte of the
 * message that could end the line (or the JSON string) replaced.
 */
static void
log_plain(const struct log *lg, enum log_level lvl, const char *ts,
    const char *job, const char *date, const char *event, char *msg)
{
	int json = lg->format == LOG_JSON;
	unsigned char *p;

	job = plain_or_q(job);
	event = plain_or_q(event);
	for (p = (unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (json && (*p > 0x7f ||
		    *p == '"' || *p == '\\')))
			*p = '?';
	if (json)
		fprintf(lg->fp, "{\"time\":\"%s\",\"level\":\"%s\",\"run\":"
		    "\"%s\"%s%s%s%s%s%s%s%s%s,\"%s\":\"%s\"}\n", ts,
		    log_level_name(lvl), lg->run_id,
		    job ? ",\"job\":\"" : "", job ? job : "", job ? "\"" : "",
		    date ? ",\"date\":\"" : "", date ? date : "",
		    date ? "\"" : "", event ? ",\"event\":\"" : "",
		    event ? event : "", event ? "\"" : "",
		    lvl <= LOG_WARN ? "error" : "msg", msg);
	else
		fprintf(lg->fp, "%s %s run=%s%s%s%s%s%s%s%s%s\n", ts,
		    log_level_name(lvl), lg->run_id, job ? " job=" : "",
		    job ? job : "", date ? " date=" : "", date ? date : "",
		    event ? " event=" : "", event ? event : "",
		    msg[0] ? ": " : "", msg);
	fflush(lg->fp);
}

static void
log_vevent(const struct log *lg, enum log_level lvl, const char *job,
    const char *date, const char *event, const struct log_kv *kv,
    const char *fmt, va_list ap)
{
	char ts[128], msg[2048];
	struct timeval tv;
	struct tm tm;
	struct buf b;
	long off;

	vsnprintf(msg, sizeof(msg), fmt, ap);

	gettimeofday(&tv, NULL);
	if (lg->pinned_zone != NULL)
		tz_pinned_time(lg->pinned_zone, tv.tv_sec, &tm);
	else
		tz_system_time(tv.tv_sec, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ld%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);

	buf_init(&b, 64 * 1024);
	/* Enough for any line (the message is cut at 2 KiB, escaping at
	 * most sextuples it): a line is whole, never cut short by a failed
	 * allocation half-way. */
	if (buf_reserve(&b, 16 * 1024) == -1) {
		log_plain(lg, lvl, ts, job, date, event, msg);
		return;
	}
	if (lg->format == LOG_JSON) {
		buf_puts(&b, "{\"time\":");
		buf_json_str(&b, ts);
		buf_puts(&b, ",\"level\":");
		buf_json_str(&b, log_level_name(lvl));
		buf_puts(&b, ",\"run\":");
		buf_json_str(&b, lg->run_id);
		if (job) {
			buf_puts(&b, ",\"job\":");
			buf_json_str(&b, job);
		}
		if (date) {
			buf_puts(&b, ",\"date\":");
			buf_json_str(&b, date);
		}
		if (event) {
			buf_puts(&b, ",\"event\":");
			buf_json_str(&b, event);
		}
		if (kv && kv->file) {
			buf_puts(&b, ",\"file\":");
			buf_json_str(&b, kv->file);
		}
		if (kv && kv->records >= 0)
			buf_printf(&b, ",\"records\":%lld", kv->records);
		if (kv && kv->bytes >= 0)
			buf_printf(&b, ",\"bytes\":%lld", kv->bytes);
		if (kv && kv->duration_ms >= 0)
			buf_printf(&b, ",\"duration_ms\":%lld", kv->duration_ms);
		if (msg[0]) {
			buf_puts(&b, lvl <= LOG_WARN ? ",\"error\":" : ",\"msg\":");
			buf_json_str(&b, msg);
		}
		buf_puts(&b, "}\n");
	} else {
		buf_printf(&b, "%s %s run=%s", ts, log_level_name(lvl),
		    lg->run_id);
		if (job) {
			buf_puts(&b, " job=");
			text_clean(&b, job);
		}
		if (date)
			buf_printf(&b, " date=%s", date);
		if (event)
			buf_printf(&b, " event=%s", event);
		if (kv && kv->file) {
			buf_puts(&b, " file=");
			text_clean(&b, kv->file);
		}
		if (kv && kv->records >= 0)
			buf_printf(&b, " records=%lld", kv->records);
		if (kv && kv->bytes >= 0)
			buf_printf(&b, " bytes=%lld", kv->bytes);
		if (kv && kv->duration_ms >= 0)
			buf_printf(&b, " duration_ms=%lld", kv->duration_ms);
		if (msg[0]) {
			buf_puts(&b, ": ");
			text_clean(&b, msg);
		}
		buf_putc(&b, '\n');
	}
	if (b.data != NULL) {
		fwrite(b.data, 1, b.len, lg->fp);
		fflush(lg->fp);
		if (lg->syslog) {
			b.data[b.len - 1] = '\0';	/* no newline */
			syslogger_line((int)lvl, b.data);
		}
	}
	buf_release(&b);
}

void
log_event(const struct log *lg, enum log_level lvl, const char *job,
    const char *date, const char *event, const struct log_kv *kv,
    const char *fmt, ...)
{
	va_list ap;

	if (lg == NULL || lvl > lg->level)
		return;
	va_start(ap, fmt);
	log_vevent(lg, lvl, job, date, event, kv, fmt, ap);
	va_end(ap);
}

void
log_event_always(const struct log *lg, enum log_level lvl, const char *job,
    const char *date, const char *event, const struct log_kv *kv,
    const char *fmt, ...)
{
	va_list ap;

	if (lg == NULL)
		return;
	va_start(ap, fmt);
	log_vevent(lg, lvl, job, date, event, kv, fmt, ap);
	va_end(ap);
}

long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
progress_begin(struct progress *p, const struct log *lg, const char *name,
    long long total)
{
	p->lg = lg;
	p->name = name;
	p->total = total;
	p->start_ms = p->last_ms = mono_ms();
	p->active = lg != NULL && !lg->no_progress && lg->level >= LOG_INFO &&
	    total > 1024 * 1024 && isatty(fileno(lg->fp));
}

static void
human(long long n, char *out, size_t size)
{
	if (n >= 1LL << 30)
		snprintf(out, size, "%.1f GiB", (double)n / (1LL << 30));
	else if (n >= 1LL << 20)
		snprintf(out, size, "%.1f MiB", (double)n / (1LL << 20));
	else
		snprintf(out, size, "%.0f KiB", (double)n / 1024);
}

void
progress_update(struct progress *p, long long done)
{
	char a[32], b[32];
	long long now, ms, eta;
	double rate;

	if (!p->active)
		return;
	now = mono_ms();
	if (now - p->last_ms < 250 && done < p->total)
		return;
	p->last_ms = now;
	ms = now - p->start_ms;
	rate = ms > 0 ? (double)done * 1000.0 / (double)ms : 0;
	eta = rate > 0 ? (long long)((double)(p->total - done) / rate) : 0;
	human(done, a, sizeof(a));
	human(p->total, b, sizeof(b));
	fprintf(p->lg->fp, "\r%.40s %s / %s  %.1f MB/s  ETA %lld:%02lld   ",
	    p->name, a, b, rate / 1e6, eta / 60, eta % 60);
	fflush(p->lg->fp);
}

void
progress_end(struct progress *p)
{
	if (!p->active)
		return;
	progress_update(p, p->total);
	fputc('\n', p->lg->fp);
	p->active = 0;
}
