/*
 * syslogger: hand log lines to syslog(3).  Kept apart from log.c because
 * <syslog.h> defines LOG_INFO and LOG_DEBUG as macros, which would clash
 * with log.h's level names.
 */
#include <syslog.h>

#include "syslogger.h"

void
syslogger_open(void)
{
	openlog("xfer", LOG_PID | LOG_NDELAY, LOG_USER);
}

void
syslogger_line(int level, const char *line)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };

	if (level < 0 || level > 3)
		level = 2;
	syslog(prio[level], "%s", line);
}
