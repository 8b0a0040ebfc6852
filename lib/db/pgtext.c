/*
 * pgtext: see pgtext.h.
 */
#include "pgtext.h"

#include <stdlib.h>
#include <string.h>

size_t
pgtext_copy_escape(char *out, const char *s, size_t len)
{
	char *o = out;
	size_t i;
	char c;

	for (i = 0; i < len; i++) {
		c = s[i];
		switch (c) {
		case '\\':
			*o++ = '\\';
			*o++ = '\\';
			break;
		case '\n':
			*o++ = '\\';
			*o++ = 'n';
			break;
		case '\r':
			*o++ = '\\';
			*o++ = 'r';
			break;
		case '\t':
			*o++ = '\\';
			*o++ = 't';
			break;
		default:
			*o++ = c;
		}
	}
	return (size_t)(o - out);
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

size_t
pgtext_timestamp(const char *s, size_t len, char *out)
{
	size_t i = 19, o;

	/* YYYY-MM-DD HH:MM:SS */
	if (len < 19 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2) || s[10] != ' ' ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
	    s[16] != ':' || !digits(s + 17, 2))
		return 0;
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 20 || i - 20 > 9)
			return 0;
	}
	memcpy(out, s, i);
	out[10] = 'T';
	o = i;
	if (i == len) {
		out[o] = '\0';
		return o;
	}
	/* +HH, +HH:MM or +HH:MM:SS */
	if ((s[i] != '+' && s[i] != '-') || len - i < 3 ||
	    !digits(s + i + 1, 2))
		return 0;
	memcpy(out + o, s + i, 3);
	o += 3;
	i += 3;
	if (i == len) {
		memcpy(out + o, ":00", 4);
		return o + 3;
	}
	if (len - i != 3 && len - i != 6)
		return 0;
	if (s[i] != ':' || !digits(s + i + 1, 2) || (len - i == 6 &&
	    (s[i + 3] != ':' || !digits(s + i + 4, 2))))
		return 0;
	memcpy(out + o, s + i, len - i);
	o += len - i;
	out[o] = '\0';
	return o;
}

size_t
pgtext_json_compact(char *s, size_t len)
{
	size_t i, o = 0;
	int in_str = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (in_str) {
			s[o++] = c;
			if (c == '\\' && i + 1 < len)
				s[o++] = s[++i];
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '"')
			in_str = 1;
		s[o++] = c;
	}
	if (o < len)
		s[o] = '\0';
	return o;
}

unsigned long
pgtext_copy_line(const char *context)
{
	const char *p;
	char *end;
	unsigned long n;

	if (context == NULL || strncmp(context, "COPY ", 5) != 0)
		return 0;
	if ((p = strstr(context, ", line ")) == NULL)
		return 0;
	p += 7;
	if (*p < '0' || *p > '9')
		return 0;
	n = strtoul(p, &end, 10);
	if (*end != '\0' && *end != ',' && *end != ':' && *end != '\n')
		return 0;
	return n;
}
