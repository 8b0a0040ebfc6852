#include "xerr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
xerr_set(struct xerr *err, enum xerr_class cls, int errnum, const char *fmt,
    ...)
{
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	err->cls = cls;
	err->sys_errno = errnum;
	err->retry_after_s = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (errnum != 0) {
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
		    strerror(errnum));
	}
	return -1;
}

int
xerr_prefix(struct xerr *err, const char *fmt, ...)
{
	char prefix[sizeof(err->msg)];
	size_t plen, mlen;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	memcpy(prefix + plen, ": ", 3);
	plen += 2;
	mlen = strlen(err->msg);
	/* The prefix wins when both do not fit: it says where. */
	if (plen + mlen >= sizeof(err->msg))
		mlen = sizeof(err->msg) - 1 - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
	return -1;
}

int
xerr_nomem(struct xerr *err)
{
	return xerr_set(err, XERR_NOMEM, ENOMEM, "out of memory");
}

void
xerr_clear(struct xerr *err)
{
	if (err == NULL)
		return;
	err->cls = XERR_NONE;
	err->sys_errno = 0;
	err->retry_after_s = 0;
	err->msg[0] = '\0';
}

const char *
xerr_class_name(enum xerr_class cls)
{
	switch (cls) {
	case XERR_NONE:		return "none";
	case XERR_TEMP:		return "transient";
	case XERR_PERM:		return "permanent";
	case XERR_DATA:		return "data";
	case XERR_CONFIG:	return "config";
	case XERR_STALE:	return "stale";
	case XERR_NOMEM:	return "memory";
	}
	return "unknown";
}
