#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

extern char **environ;


static char **
env_build(char *const *add)
{
	size_t n = 0, k = 0, i, j;
	char **env;

	while (environ && environ[n])
		n++;
	while (add && add[k])
		k++;
	if ((env = calloc(n + k + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0, j = 0; i < n; i++) {
		size_t a, len = strcspn(environ[i], "=");
		int replaced = 0;

		for (a = 0; a < k; a++)
			if (strncmp(add[a], environ[i], len) == 0 &&
			    add[a][len] == '=')
				replaced = 1;
		if (!replaced)
			env[j++] = environ[i];
	}
	for (i = 0; i < k; i++)
		env[j++] = add[i];
	env[j] = NULL;
	return env;
}

/* Only async-signal-safe calls between fork and exec. */
static void
child(const struct proc_spec *spec, char **env, int devnull, int errpipe)
{
	int fds[3], i, e;
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	fds[0] = spec->stdin_fd >= 0 ? spec->stdin_fd : devnull;
	fds[1] = spec->stdout_fd >= 0 ? spec->stdout_fd : devnull;
	fds[2] = spec->stderr_fd >= 0 ? spec->stderr_fd : devnull;
	for (i = 0; i < 3; i++) {
		if (fds[i] == i) {
			int fl = fcntl(i, F_GETFD);
			if (fl != -1)
				fcntl(i, F_SETFD, fl & ~FD_CLOEXEC);
		} else if (dup2(fds[i], i) == -1) {
			goto fail;
		}
	}
	environ = env;
	execvp(spec->argv[0], spec->argv);
fail:
	e = errno;
	if (write(errpipe, &e, sizeof(e)) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

int
proc_run(const struct proc_spec *spec, struct proc_result *res,
    struct xerr *err)
{
	int devnull = -1, pfd[2] = { -1, -1 }, status, e = 0, rc = -1;
	long long deadline = 0, waited;
	char **env = NULL;
	ssize_t n;
	pid_t pid, w;
	long sleep_ms = 1;

	memset(res, 0, sizeof(*res));
	if ((env = env_build(spec->env_add)) == NULL)
		return xerr_nomem(err);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull == -1 || pipe2(pfd, O_CLOEXEC) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot run '%s'",
		    spec->argv[0]);
		goto out;
	}
	if ((pid = fork()) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot run '%s'",
		    spec->argv[0]);
		goto out;
	}
	if (pid == 0)
		child(spec, env, devnull, pfd[1]);
	/* Also here, so a kill cannot race the child's own setpgid. */
	setpgid(pid, pid);
	close(pfd[1]);
	pfd[1] = -1;
	do {
		n = read(pfd[0], &e, sizeof(e));
	} while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		xerr_set(err, XERR_PERM, e, "cannot run '%s'", spec->argv[0]);
		goto out;
	}
	if (spec->timeout_ms > 0)
		deadline = mono_ms() + spec->timeout_ms;
	for (;;) {
		w = waitpid(pid, &status, deadline ? WNOHANG : 0);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			xerr_set(err, XERR_TEMP, errno, "cannot wait for '%s'",
			    spec->argv[0]);
			goto out;
		}
		if (w == pid)
			break;
		waited = mono_ms();
		if (waited >= deadline) {
			res->timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) == -1 &&
			    errno == EINTR)
				;
			break;
		}
		usleep((useconds_t)(sleep_ms * 1000));
		if (sleep_ms < 100)
			sleep_ms *= 2;
	}
	/* Whatever the program left running in its group goes with it. */
	kill(-pid, SIGKILL);
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signo = WTERMSIG(status);
	}
	rc = 0;
out:
	if (devnull != -1)
		close(devnull);
	if (pfd[0] != -1)
		close(pfd[0]);
	if (pfd[1] != -1)
		close(pfd[1]);
	free(env);
	return rc;
}

void
proc_describe(const struct proc_result *res, long timeout_ms, char *out,
    size_t size)
{
	if (res->timed_out)
		snprintf(out, size, "timed out after %lds, process group "
		    "killed", timeout_ms / 1000);
	else if (res->exited)
		snprintf(out, size, "exit status %d", res->exit_code);
	else
		snprintf(out, size, "killed by signal %d", res->signo);
}

/* Only the end is read: a chatty program cannot make the message large. */
void
proc_stderr_tail(int fd, char *out, size_t size)
{
	char b[512];
	off_t end;
	ssize_t n;
	size_t i, k = 0;

	out[0] = '\0';
	end = lseek(fd, 0, SEEK_END);
	if (end <= 0)
		return;
	if (lseek(fd, end > (off_t)sizeof(b) - 1 ? end - (off_t)sizeof(b) + 1 :
	    0, SEEK_SET) == -1)
		return;
	if ((n = read(fd, b, sizeof(b) - 1)) <= 0)
		return;
	for (i = 0; i < (size_t)n && k + 1 < size; i++) {
		unsigned char c = (unsigned char)b[i];
		out[k++] = c == '\n' || c == '\r' || c == '\t' ? ' ' :
		    c < 0x20 ? '?' : (char)c;
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}
