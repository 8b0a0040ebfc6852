/*
 * xmlname: XML 1.0 fifth edition Name productions (section 2.3), minus
 * ':', over UTF-8.
 */
#include "xmlname.h"

#include "buf.h"

/* The code point of the UTF-8 sequence of k bytes at p (k valid). */
static unsigned long
code_point(const unsigned char *p, size_t k)
{
	unsigned long c;
	size_t i;

	if (k == 1)
		return p[0];
	c = p[0] & (0x7fu >> k);
	for (i = 1; i < k; i++)
		c = c << 6 | (p[i] & 0x3fu);
	return c;
}

static int
name_start(unsigned long c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) ||
	    (c >= 0xf8 && c <= 0x2ff) || (c >= 0x370 && c <= 0x37d) ||
	    (c >= 0x37f && c <= 0x1fff) || (c >= 0x200c && c <= 0x200d) ||
	    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) ||
	    (c >= 0x3001 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) ||
	    (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff);
}

static int
name_char(unsigned long c)
{
	return name_start(c) || c == '-' || c == '.' ||
	    (c >= '0' && c <= '9') || c == 0xb7 ||
	    (c >= 0x300 && c <= 0x36f) || (c >= 0x203f && c <= 0x2040);
}

int
xml_name_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned long c;

	if (len == 0)
		return 0;
	while (i < len) {
		if ((k = utf8_seq(p + i, len - i)) == 0)
			return 0;
		c = code_point(p + i, k);
		if (!(i == 0 ? name_start(c) : name_char(c)))
			return 0;
		i += k;
	}
	return 1;
}
