/*
 * ingest_command: the command target.  The handler runs with fork/execve
 * (no shell) in its own process group under a timeout, with "{file}" in
 * its arguments replaced by the file's path and XFER_JOB, XFER_DATE,
 * XFER_FILE, XFER_SHA256 in its environment: exit 0 = ingested, 75 = try
 * again later, anything else = failed.  At-least-once: the handler makes
 * itself idempotent with XFER_SHA256.
 *
 * A command only sees a file that verified completely.  Its stderr goes
 * to an unlinked file in the file's spool directory: nothing to clean up
 * after a crash, and only its end is read for the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ingest_impl.h"
#include "pattern.h"
#include "proc.h"

#define INGEST_EXIT_LATER	75

/* arg with "{file}" replaced by path and the patterns expanded. */
static int
expand_arg(struct ingest *ig, const char *arg, const char *path, char **out)
{
	const char *p = arg, *start = arg;
	char *piece = NULL, *expanded = NULL;
	struct buf b;

	buf_init(&b, 0);
	for (;;) {
		if (*p != '\0' && strncmp(p, "{file}", 6) != 0) {
			/* "{{file}}" is the text "{file}", not the file. */
			p += (p[0] == '{' && p[1] == '{') ||
			    (p[0] == '}' && p[1] == '}') ? 2 : 1;
			continue;
		}
		if (p > start) {
			if ((piece = strndup(start, (size_t)(p - start))) ==
			    NULL)
				goto nomem;
			if (pattern_expand(piece, ig->job->name, ig->req->date,
			    &expanded, ig->err) == -1)
				goto fail;
			if (buf_puts(&b, expanded) == -1)
				goto nomem;
			free(piece);
			free(expanded);
			piece = expanded = NULL;
		}
		if (*p == '\0')
			break;
		if (buf_puts(&b, path) == -1)
			goto nomem;
		p += 6;
		start = p;
	}
	if ((*out = buf_detach(&b)) == NULL)
		goto nomem;
	return 0;
nomem:
	xerr_nomem(ig->err);
fail:
	free(piece);
	free(expanded);
	buf_release(&b);
	return -1;
}

/* A file for the handler's stderr, already unlinked: nothing is left. */
static int
stderr_file(struct ingest *ig)
{
	const char *path = ig->req->path, *slash = strrchr(path, '/');
	char tmpl[4096];
	int fd, n;

	if (slash == NULL)
		n = snprintf(tmpl, sizeof(tmpl), ".ingest-stderr.XXXXXX");
	else
		n = snprintf(tmpl, sizeof(tmpl), "%.*s/.ingest-stderr.XXXXXX",
		    (int)(slash - path), path);
	if (n < 0 || (size_t)n >= sizeof(tmpl))
		return xerr_set(ig->err, XERR_PERM, ENAMETOOLONG, "cannot "
		    "create a file beside '%s'", path);
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) == -1)
		return xerr_set(ig->err, XERR_TEMP, errno, "cannot create a "
		    "file beside '%s'", path);
	unlink(tmpl);
	return fd;
}

static int
load_command(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	const struct job_ingest *ing = &ig->job->ingest;
	struct strlist argv = { 0 }, env = { 0 };
	char how[128], tail[400], *s;
	struct proc_spec spec;
	struct proc_result res;
	int errfd = -1, rc = -1;
	size_t i;

	if (ingest_read_records(ig) == -1)
		return -1;
	if (ing->command.n == 0)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: [ingest] type = "
		    "command needs command", ig->job->file);
	for (i = 0; i < ing->command.n; i++) {
		if (expand_arg(ig, ing->command.v[i], req->orig_path, &s) ==
		    -1)
			goto out;
		if (strlist_take(&argv, s) == -1) {
			xerr_nomem(ig->err);
			goto out;
		}
	}
	if (strlist_addf(&env, "XFER_JOB=%s", ig->job->name) == -1 ||
	    strlist_addf(&env, "XFER_DATE=%s", ig->date) == -1 ||
	    strlist_addf(&env, "XFER_FILE=%s", req->orig_path) == -1 ||
	    strlist_addf(&env, "XFER_SHA256=%s", req->sha256) == -1) {
		xerr_nomem(ig->err);
		goto out;
	}
	if ((errfd = stderr_file(ig)) == -1)
		goto out;
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv.v;
	spec.env_add = env.v;
	spec.stdin_fd = -1;
	spec.stdout_fd = -1;
	spec.stderr_fd = errfd;
	spec.timeout_ms = ing->timeout_s * 1000;
	if (proc_run(&spec, &res, ig->err) == -1) {
		xerr_prefix(ig->err, "%s: [ingest] command", ig->job->file);
		goto out;
	}
	if (res.exited && res.exit_code == 0) {
		ig->res = INGEST_DONE;
		rc = 0;
		goto out;
	}
	proc_describe(&res, spec.timeout_ms, how, sizeof(how));
	proc_stderr_tail(errfd, tail, sizeof(tail));
	if (res.exited && res.exit_code == INGEST_EXIT_LATER) {
		/* Not an error, but the reason is worth keeping. */
		xerr_set(ig->err, XERR_TEMP, 0, "ingest command '%s' asks to "
		    "try again later: %s%s%s", argv.v[0], how,
		    tail[0] ? ": " : "", tail);
		ig->res = INGEST_LATER;
		rc = 0;
		goto out;
	}
	xerr_set(ig->err, XERR_PERM, 0, "ingest command '%s' failed: %s%s%s",
	    argv.v[0], how, tail[0] ? ": " : "", tail);
out:
	if (errfd != -1)
		close(errfd);
	strlist_free(&argv);
	strlist_free(&env);
	return rc;
}


const struct ingest_ops ingest_command_ops = {
	load_command, NULL, NULL, NULL, NULL, NULL, NULL,
};
