/*
 * job_layout: the job file's layout sections ([header], [record],
 * [trailer]) and the key that goes with them in [output] and [inbox]
 * (record_end; encoding is job_enc.c's).  Part of the module of job.h (see
 * job.c); the fields themselves are parsed and checked by layout.h.
 *
 * The keys of a layout section are field names, not known keys, so the
 * INI callback hands them here as they come, in file order.  Their checks
 * against the format, the direction and the encoding wait for the second
 * pass, when those are known.
 */
#include <stdio.h>
#include <string.h>

#include "job_internal.h"
#include "layout.h"

static int
is_layout(enum sec sec)
{
	return sec == SEC_HEADER || sec == SEC_RECORD || sec == SEC_TRAILER;
}

static enum layout_part
part_of(enum sec sec)
{
	return sec == SEC_HEADER ? LAYOUT_HEADER : sec == SEC_RECORD ?
	    LAYOUT_RECORD : LAYOUT_TRAILER;
}

static struct job_layouts *
layouts_of(struct loader *ld)
{
	if (ld->job->layouts == NULL &&
	    (ld->job->layouts = layouts_new()) == NULL)
		ld->nomem = 1;
	return ld->job->layouts;
}

void
jf_layout_section(struct loader *ld, enum sec sec, unsigned line)
{
	struct job_layouts *ls;

	if (is_layout(sec) && (ls = layouts_of(ld)) != NULL)
		layouts_section(ls, part_of(sec), line);
}

void
jf_layout_entry(struct loader *ld, enum sec sec, const char *key,
    const char *value, unsigned line)
{
	struct job_layouts *ls;
	char why[WHY_MAX];
	int rc;

	if (!is_layout(sec) || (ls = layouts_of(ld)) == NULL)
		return;
	if (value == NULL) {
		jf_problem(ld, line, "[%s] '%s': a field name is lower case "
		    "letters, digits and '_'", jf_sec_names[sec], key);
		return;
	}
	rc = layouts_add(ls, part_of(sec), key, value, line, why, sizeof(why));
	if (rc == -2)
		ld->nomem = 1;
	else if (rc == -1)
		jf_problem(ld, line, "[%s] '%s': %s", jf_sec_names[sec], key,
		    why);
}

static void
report(void *ctx, unsigned line, const char *msg)
{
	jf_problem(ctx, line, "%s", msg);
}

void
jf_check_layouts(struct loader *ld)
{
	struct job *job = ld->job;
	struct layout_use u;
	int fmt;

	memset(&u, 0, sizeof(u));
	u.send = job->direction == DIR_SEND;
	if (u.send) {
		fmt = job->output.format;
		u.record_end = job->output.record_end;
		u.encoding = job->output.encoding;
	} else {
		fmt = job->inbox.format;
		if (fmt < 0 && job->inbox.pattern != NULL)
			fmt = jf_format_of_ext(job->inbox.pattern);
		u.record_end = job->inbox.record_end;
		u.encoding = job->inbox.encoding;
	}
	/* The reader finds the records of a CSV file by its column header
	 * line, between the header and trailer lines. */
	if (!u.send && !job->inbox.header && job->layouts != NULL &&
	    (layout_has(job->layouts, LAYOUT_HEADER) ||
	    layout_has(job->layouts, LAYOUT_TRAILER)))
		jf_bad(ld, K_IN_HEADER, "[header] and [trailer] lines need "
		    "header = yes (the column names between them)");
	if (job->layouts == NULL) {
		if (fmt == FMT_FIXED)
			jf_problem(ld, u.send ? ld->ent[K_OUT_FORMAT].line :
			    ld->ent[K_IN_FORMAT].line, "format = fixed needs "
			    "a [record] section (the data record's fields)");
		return;
	}
	if (fmt < 0) {
		/* The format is known per file, from its name. */
		if (layout_has(job->layouts, LAYOUT_RECORD))
			jf_problem(ld, job->layouts->part[LAYOUT_RECORD].line,
			    "[record]: only used with format = fixed (set "
			    "format in [inbox])");
		return;
	}
	u.format = (enum out_format)fmt;
	if (layouts_check(job->layouts, &u, report, ld) == -1)
		ld->nomem = 1;
}

void
jf_check_record_end(struct loader *ld)
{
	static const char *const ends[] = { "crlf", "lf", "none", NULL };
	struct job *job = ld->job;
	enum key kr;
	int n, fmt;

	if (job->direction == DIR_SEND) {
		kr = K_OUT_RECORD_END;
		fmt = job->output.format;
	} else {
		kr = K_IN_RECORD_END;
		fmt = job->inbox.format;
	}
	if (jf_val(ld, kr) != NULL && fmt != FMT_FIXED) {
		jf_bad(ld, kr, "only used with format = fixed");
		return;
	}
	if (jf_choose(ld, kr, ends, &n) == 0) {
		if (job->direction == DIR_SEND)
			job->output.record_end = (enum record_end)n;
		else
			job->inbox.record_end = (enum record_end)n;
	}
}
