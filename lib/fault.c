/*
 * fault: the crash points of fault.h (the allocation failures are in
 * fault_alloc.c).  Everything is inside XFER_FAULTS, so only the test
 * build (make fault) has any of this code.
 */
#include "fault.h"

#ifdef XFER_FAULTS

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The one piece of process-wide state in lib/: XFER_FAULT is read once,
 * on the first point reached, and the hits of the chosen point counted.
 * Test builds only.
 */
static struct {
	int parsed;
	char name[64];
	long at;
	long hits;
	int stop;	/* NAME:stop: SIGSTOP instead of SIGKILL */
} fault;

static void
fault_parse(void)
{
	const char *s = getenv("XFER_FAULT"), *c;
	char *end;
	size_t n;

	fault.parsed = 1;
	fault.at = 1;
	if (s == NULL || *s == '\0')
		return;
	if ((c = strchr(s, ':')) == NULL || (n = (size_t)(c - s)) == 0 ||
	    n >= sizeof(fault.name) || (strncmp(c, ":kill", 5) != 0 &&
	    strncmp(c, ":stop", 5) != 0))
		goto bad;
	fault.stop = c[1] == 's';
	if (c[5] == ':') {
		errno = 0;
		fault.at = strtol(c + 6, &end, 10);
		if (errno != 0 || end == c + 6 || *end != '\0' ||
		    fault.at < 1)
			goto bad;
	} else if (c[5] != '\0') {
		goto bad;
	}
	memcpy(fault.name, s, n);
	fault.name[n] = '\0';
	return;
bad:
	fprintf(stderr, "xfer: XFER_FAULT '%s': not NAME:kill, NAME:stop "
	    "or NAME:kill:N; ignored\n", s);
}

void
fault_init(void)
{
	if (!fault.parsed)
		fault_parse();
}

void
fault_hit(const char *name)
{
	char msg[160];
	long hit;
	int n;

	if (!fault.parsed)
		fault_parse();
	if (fault.name[0] == '\0' || strcmp(name, fault.name) != 0 ||
	    (hit = __atomic_add_fetch(&fault.hits, 1, __ATOMIC_SEQ_CST)) !=
	    fault.at)
		return;
	n = snprintf(msg, sizeof(msg), "xfer: fault point '%s' hit %ld: "
	    "%s\n", name, hit, fault.stop ? "stopping" : "killing");
	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ?
		    (size_t)n : sizeof(msg) - 1);
	raise(fault.stop ? SIGSTOP : SIGKILL);
}

#endif
