#include "transport/s3sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
	    ch == '~';
}

int
s3_uri_encode(struct buf *b, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char esc[3];

	for (p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p) || (keep_slash && *p == '/')) {
			if (buf_putc(b, *p) == -1)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		if (buf_append(b, esc, 3) == -1)
			return -1;
	}
	return 0;
}

static int
param_cmp(const void *a, const void *b)
{
	const struct s3_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return strcmp(x->value ? x->value : "", y->value ? y->value : "");
}

int
s3_query(struct buf *b, struct s3_param *p, size_t n)
{
	size_t i;

	if (n > 1)
		qsort(p, n, sizeof(*p), param_cmp);
	for (i = 0; i < n; i++) {
		if ((i > 0 && buf_putc(b, '&') == -1) ||
		    s3_uri_encode(b, p[i].name, 0) == -1 ||
		    buf_putc(b, '=') == -1 ||
		    s3_uri_encode(b, p[i].value ? p[i].value : "", 0) == -1)
			return -1;
	}
	if (buf_putc(b, '\0') == -1)
		return -1;
	b->len--;
	return 0;
}

static int
header_cmp(const void *a, const void *b)
{
	return strcmp(((const struct s3_header *)a)->name,
	    ((const struct s3_header *)b)->name);
}

static void
to_hex(const unsigned char *md, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int len = 0;

	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &len) == NULL || len != 32 ? -1 : 0;
}

int
s3_authorization(struct buf *b, const char *method, const char *path,
    const char *query, struct s3_header *h, size_t nh, const char *payload,
    const char *amz_date, const char *region, const char *key_id,
    const char *secret)
{
	struct buf creq, sts, signed_h;
	unsigned char md[32], k[32];
	char hex[65], day[9], *ksecret = NULL;
	unsigned int mdlen = 0;
	size_t i;
	int rc = -1;

	buf_init(&creq, 0);
	buf_init(&sts, 0);
	buf_init(&signed_h, 0);
	if (nh > 1)
		qsort(h, nh, sizeof(*h), header_cmp);
	snprintf(day, sizeof(day), "%.8s", amz_date);
	if (buf_printf(&creq, "%s\n%s\n%s\n", method, path, query) == -1)
		goto out;
	for (i = 0; i < nh; i++)
		if (buf_printf(&creq, "%s:%s\n", h[i].name, h[i].value) ==
		    -1 || buf_printf(&signed_h, "%s%s", i ? ";" : "",
		    h[i].name) == -1)
			goto out;
	if (buf_printf(&creq, "\n%s\n%s", signed_h.data, payload) == -1)
		goto out;
	if (EVP_Digest(creq.data, creq.len, md, &mdlen, EVP_sha256(), NULL) !=
	    1)
		goto out;
	to_hex(md, 32, hex);
	if (buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s",
	    amz_date, day, region, hex) == -1)
		goto out;
	if (asprintf(&ksecret, "AWS4%s", secret) == -1) {
		ksecret = NULL;
		goto out;
	}
	if (hmac(ksecret, strlen(ksecret), day, k) == -1 ||
	    hmac(k, 32, region, k) == -1 || hmac(k, 32, "s3", k) == -1 ||
	    hmac(k, 32, "aws4_request", k) == -1 ||
	    hmac(k, 32, sts.data, md) == -1)
		goto out;
	to_hex(md, 32, hex);
	if (buf_printf(b, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/"
	    "aws4_request, SignedHeaders=%s, Signature=%s", key_id, day,
	    region, signed_h.data, hex) == -1)
		goto out;
	rc = 0;
out:
	explicit_bzero(k, sizeof(k));
	if (ksecret) {
		explicit_bzero(ksecret, strlen(ksecret));
		free(ksecret);
	}
	buf_release(&creq);
	buf_release(&sts);
	buf_release(&signed_h);
	return rc;
}

/* --- XML ---------------------------------------------------------------- */

int
s3_xml_elem(const char *p, const char *end, const char *tag,
    const char **in, const char **in_end, const char **next)
{
	size_t tl = strlen(tag);
	const char *q, *gt;

	for (q = p; q < end; q++) {
		if (*q != '<' || (size_t)(end - q) < tl + 2 ||
		    memcmp(q + 1, tag, tl) != 0)
			continue;
		q += 1 + tl;
		if (*q == '/' && q + 1 < end && q[1] == '>') {
			*in = *in_end = q;
			*next = q + 2;
			return 1;
		}
		if (*q != '>' && *q != ' ')
			continue;
		if ((gt = memchr(q, '>', (size_t)(end - q))) == NULL)
			return 0;
		if (gt > q && gt[-1] == '/') {
			*in = *in_end = gt;
			*next = gt + 1;
			return 1;
		}
		*in = gt + 1;
		/* The matching close: S3 does not nest an element in one
		 * of the same name. */
		for (q = gt + 1; q + tl + 3 <= end; q++) {
			if (q[0] == '<' && q[1] == '/' &&
			    memcmp(q + 2, tag, tl) == 0 && q[2 + tl] == '>') {
				*in_end = q;
				*next = q + tl + 3;
				return 1;
			}
		}
		return 0;
	}
	return 0;
}

/* UTF-8 of code point cp into out; its length, 0 if not allowed. */
static size_t
utf8_put(unsigned long cp, char *out)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int
s3_xml_text(const char *p, const char *end, const char *tag, char *out,
    size_t size)
{
	static const struct { const char *name; char ch; } ents[] = {
		{ "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	const char *in, *in_end, *next, *q;
	size_t o = 0, i, n;
	char u[4];

	if (size == 0)
		return -1;
	if (!s3_xml_elem(p, end, tag, &in, &in_end, &next))
		return 0;
	for (q = in; q < in_end; ) {
		if (*q == '<')
			return -1;	/* nested markup, CDATA: not text */
		if (*q != '&') {
			if (o + 1 >= size)
				return -1;
			out[o++] = *q++;
			continue;
		}
		q++;
		for (i = 0; i < sizeof(ents) / sizeof(*ents); i++) {
			n = strlen(ents[i].name);
			if ((size_t)(in_end - q) >= n &&
			    memcmp(q, ents[i].name, n) == 0)
				break;
		}
		if (i < sizeof(ents) / sizeof(*ents)) {
			if (o + 1 >= size)
				return -1;
			out[o++] = ents[i].ch;
			q += strlen(ents[i].name);
			continue;
		}
		if (q < in_end && *q == '#') {
			unsigned long cp = 0;
			int base = 10, digits = 0;

			q++;
			if (q < in_end && (*q == 'x' || *q == 'X')) {
				base = 16;
				q++;
			}
			for (; q < in_end && *q != ';' && digits < 8;
			    q++, digits++) {
				int d;

				if (*q >= '0' && *q <= '9')
					d = *q - '0';
				else if (base == 16 && *q >= 'a' && *q <= 'f')
					d = *q - 'a' + 10;
				else if (base == 16 && *q >= 'A' && *q <= 'F')
					d = *q - 'A' + 10;
				else
					return -1;
				cp = cp * (unsigned long)base +
				    (unsigned long)d;
			}
			if (q >= in_end || *q != ';' || digits == 0 ||
			    (n = utf8_put(cp, u)) == 0 || o + n >= size)
				return -1;
			memcpy(out + o, u, n);
			o += n;
			q++;
			continue;
		}
		return -1;	/* any other entity: never expanded */
	}
	out[o] = '\0';
	return 1;
}

long long
s3_iso_time(const char *s)
{
	struct tm tm;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	if (*rest != 'Z' && *rest != '\0' && strcmp(rest, "+00:00") != 0)
		return -1;
	return (long long)timegm(&tm);
}
