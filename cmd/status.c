/* xfer status: one line per batch from the ledger, as a table or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bdate.h"
#include "buf.h"
#include "cmd.h"
#include "ledger.h"
#include "tz.h"

struct status_out {
	int json;
	int rows;
};

static void
status_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer status [--date D] [--failed] [--json] "
	    "[JOB...]\n"
	    "  --failed lists only failed and held batches and exits 1 when "
	    "it lists any.\n");
}

static void
iso_time(long long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	tz_system_time(tt, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
}

static int
print_row(void *ctx, const struct status_row *r, struct xerr *err)
{
	struct status_out *so = ctx;
	char t[64], rec[32], bytes[32];
	struct buf b;
	int rc = 0;

	iso_time(r->updated, t, sizeof(t));
	if (!so->json) {
		if (so->rows == 0)
			printf("%-20s %-10s %-7s %-8s %8s %10s %3s  %-25s %s\n",
			    "JOB", "DATE", "DIR", "STATE", "RECORDS", "BYTES",
			    "TRY", "TIME", "ERROR");
		snprintf(rec, sizeof(rec), "%lld", r->records);
		snprintf(bytes, sizeof(bytes), "%lld", r->bytes);
		printf("%-20s %-10s %-7s %-8s %8s %10s %3d  %-25s %s\n",
		    r->job, r->date, r->direction, r->state,
		    r->records >= 0 ? rec : "-", r->bytes >= 0 ? bytes : "-",
		    r->attempts, t, r->last_error ? r->last_error : "");
		so->rows++;
		return 0;
	}
	buf_init(&b, 0);
	rc |= buf_puts(&b, so->rows ? ",\n  {" : "\n  {");
	rc |= buf_puts(&b, "\"job\":");
	rc |= buf_json_str(&b, r->job);
	rc |= buf_puts(&b, ",\"date\":");
	rc |= buf_json_str(&b, r->date);
	rc |= buf_puts(&b, ",\"direction\":");
	rc |= buf_json_str(&b, r->direction);
	rc |= buf_puts(&b, ",\"state\":");
	rc |= buf_json_str(&b, r->state);
	rc |= buf_puts(&b, ",\"file\":");
	rc |= r->file && r->file[0] ? buf_json_str(&b, r->file) :
	    buf_puts(&b, "null");
	if (r->records >= 0)
		rc |= buf_printf(&b, ",\"records\":%lld", r->records);
	else
		rc |= buf_puts(&b, ",\"records\":null");
	if (r->bytes >= 0)
		rc |= buf_printf(&b, ",\"bytes\":%lld", r->bytes);
	else
		rc |= buf_puts(&b, ",\"bytes\":null");
	rc |= buf_printf(&b, ",\"attempts\":%d,\"last_error\":", r->attempts);
	rc |= r->last_error ? buf_json_str(&b, r->last_error) :
	    buf_puts(&b, "null");
	rc |= buf_puts(&b, ",\"time\":");
	rc |= buf_json_str(&b, t);
	rc |= buf_puts(&b, "}");
	if (rc != 0) {
		buf_release(&b);
		return xerr_nomem(err);
	}
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	so->rows++;
	return 0;
}

int
cmd_status(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "failed", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status_filter f;
	struct status_out so = { 0, 0 };
	struct ledger *l = NULL;
	struct xerr err;
	struct stat st;
	bdate_t d;
	char *path = NULL;
	int c, status = EXIT_OK;

	memset(&f, 0, sizeof(f));
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (bdate_parse(optarg, &d) == -1) {
				cmd_error("status: '%s' is not a date "
				    "(YYYY-MM-DD)", optarg);
				return EXIT_USAGE;
			}
			f.date = optarg;
			break;
		case 'f': f.failed_only = 1; break;
		case 'j': so.json = 1; break;
		case 'h': status_usage(stdout); return EXIT_OK;
		default: status_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		f.jobs = (const char *const *)argv + optind;
		f.njobs = (size_t)(argc - optind);
	}
	if (asprintf(&path, "%s/spool/ledger.db", x->home) == -1) {
		cmd_error("out of memory");
		return EXIT_FAILED;
	}
	if (so.json)
		printf("[");
	/* No ledger yet: nothing ever ran, and looking creates nothing. */
	if (stat(path, &st) == 0) {
		if (ledger_open(path, &l, &err) == -1 ||
		    ledger_status(l, &f, print_row, &so, &err) == -1) {
			cmd_error("%s", err.msg);
			status = EXIT_FAILED;
		}
	}
	if (so.json)
		printf(so.rows ? "\n]\n" : "]\n");
	else if (so.rows == 0 && status == EXIT_OK)
		fprintf(stderr, "xfer: no batches%s\n", f.failed_only ?
		    " need attention" : " recorded yet");
	if (status == EXIT_OK && f.failed_only && so.rows > 0)
		status = EXIT_FAILED;
	ledger_close(l);
	free(path);
	return status;
}
