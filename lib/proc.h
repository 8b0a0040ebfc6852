/*
 * proc: run a program with fork/execve and an argument vector, never a
 * shell, in its own process group, with a time limit after which the whole
 * group is killed.
 */
#ifndef XFER_PROC_H
#define XFER_PROC_H

#include "xerr.h"

struct proc_spec {
	char *const *argv;	/* argv[0] without '/' is looked up in PATH */
	char *const *env_add;	/* "NAME=value" added to the environment */
	int stdin_fd;		/* -1: /dev/null */
	int stdout_fd;		/* -1: /dev/null */
	int stderr_fd;		/* -1: /dev/null */
	long timeout_ms;	/* <= 0: none */
};

struct proc_result {
	int exited;		/* 1: exit_code is valid */
	int exit_code;
	int signo;		/* killed by this signal */
	int timed_out;
};

/*
 * Run and wait.  Returns -1 only when the program could not be started
 * (err says why, e.g. "cannot run 'x': No such file or directory");
 * otherwise 0 with the outcome in *res.
 */
int proc_run(const struct proc_spec *spec, struct proc_result *res,
    struct xerr *err);

/* "exit status 3", "killed by signal 9", "timed out after 600s". */
void proc_describe(const struct proc_result *res, long timeout_ms,
    char *out, size_t size);

/*
 * The end of what a program wrote to fd (a regular file it had as stderr),
 * on one line with control characters replaced, for an error message;
 * "" when it wrote nothing.
 */
void proc_stderr_tail(int fd, char *out, size_t size);

#endif
