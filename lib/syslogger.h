/* syslogger: log lines to syslog (xfer.conf: syslog = yes). */
#ifndef XFER_SYSLOGGER_H
#define XFER_SYSLOGGER_H

void syslogger_open(void);
/* level: 0 error, 1 warning, 2 info, 3 debug (enum log_level). */
void syslogger_line(int level, const char *line);

#endif
