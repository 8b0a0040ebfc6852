/*
 * fault: XFER_FAULT parsing and the hit count, with the crash points
 * compiled in here (the library the tests link has none).  Each row runs
 * in a child that reports every hit through a pipe before it happens, so
 * the parent sees at which hit, if any, SIGKILL came.
 */
#define XFER_FAULTS
#include "fault.c"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#define HITS	5

struct row {
	const char *env;	/* NULL: unset */
	const char *point;	/* the point the child reaches HITS times */
	int kill_at;		/* 1-based hit that kills; 0: never */
};

static const struct row rows[] = {
	{ "upload_mid:kill", "upload_mid", 1 },
	{ "upload_mid:kill:1", "upload_mid", 1 },
	{ "upload_mid:kill:3", "upload_mid", 3 },
	{ "upload_mid:kill:5", "upload_mid", 5 },
	{ "upload_mid:kill:6", "upload_mid", 0 },
	{ "upload_mid:kill", "upload_start", 0 },
	{ "upload:kill", "upload_mid", 0 },
	{ "upload_mid_x:kill", "upload_mid", 0 },
	{ NULL, "upload_mid", 0 },
	{ "", "upload_mid", 0 },
	/* Malformed: a warning, and no kill. */
	{ "upload_mid", "upload_mid", 0 },
	{ "upload_mid:", "upload_mid", 0 },
	{ "upload_mid:killx", "upload_mid", 0 },
	{ "upload_mid:kill:", "upload_mid", 0 },
	{ "upload_mid:kill:0", "upload_mid", 0 },
	{ "upload_mid:kill:-2", "upload_mid", 0 },
	{ "upload_mid:kill:2x", "upload_mid", 0 },
	{ "upload_mid:stopx", "upload_mid", 0 },
	{ "upload_mid:halt", "upload_mid", 0 },
	{ ":kill", "upload_mid", 0 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ":kill", "upload_mid", 0 },
};

/* Run one row in a child: the hits it announced and how it ended. */
static void
run_row(const struct row *r, int *announced, int *status)
{
	int p[2], i, devnull;
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(p[0]);
		/* The malformed rows warn: keep the test output clean. */
		if ((devnull = open("/dev/null", O_WRONLY)) != -1)
			dup2(devnull, STDERR_FILENO);
		if (r->env)
			setenv("XFER_FAULT", r->env, 1);
		else
			unsetenv("XFER_FAULT");
		for (i = 0; i < HITS; i++) {
			if (write(p[1], "h", 1) != 1)
				_exit(2);
			fault_hit("other_point");
			fault_hit(r->point);
		}
		_exit(0);
	}
	close(p[1]);
	*announced = 0;
	while (read(p[0], &c, 1) == 1)
		(*announced)++;
	close(p[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
}

static void
test_rows(void **state)
{
	int announced, status;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		run_row(r, &announced, &status);
		if (r->kill_at == 0) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
			    announced != HITS)
				fail_msg("'%s' at %s: want no kill, got status "
				    "0x%x after %d hits", r->env ? r->env :
				    "(unset)", r->point, status, announced);
		} else {
			if (!WIFSIGNALED(status) || WTERMSIG(status) !=
			    SIGKILL || announced != r->kill_at)
				fail_msg("'%s' at %s: want SIGKILL at hit %d, "
				    "got status 0x%x after %d hits", r->env,
				    r->point, r->kill_at, status, announced);
		}
	}
}

/* NAME:stop:N: SIGSTOP at the N-th hit instead of SIGKILL (then woken,
 * the child goes on to the end). */
static void
test_stop(void **state)
{
	int p[2], i, status, announced = 0;
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(p[0]);
		setenv("XFER_FAULT", "upload_mid:stop:3", 1);
		for (i = 0; i < HITS; i++) {
			if (write(p[1], "h", 1) != 1)
				_exit(2);
			fault_hit("upload_mid");
		}
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(WSTOPSIG(status), SIGSTOP);
	assert_int_equal(kill(pid, SIGCONT), 0);
	while (read(p[0], &c, 1) == 1)
		announced++;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(announced, HITS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
