#include "record.h"

#include <stdio.h>

unsigned long
record_line(const struct record *rec)
{
	if (rec->line != 0)
		return rec->line;
	if (rec->line_fn != NULL)
		return rec->line_fn(rec);
	return 0;
}

void
record_where(const struct record *rec, char *out, size_t size)
{
	unsigned long line = record_line(rec);
	const char *file = rec->file ? rec->file : "(input)";

	if (line != 0)
		snprintf(out, size, "%s:%lu", file, line);
	else
		snprintf(out, size, "%s, record %lu", file, rec->recno);
}
