/*
 * s3sign: the pure parts of the S3 transport (transport/dest_s3.c), kept
 * apart so that unit tests reach them without a server: AWS Signature
 * Version 4 for S3, the URI encoding it needs, and a small bounded reader
 * of S3's XML answers (error bodies, listings, upload ids).
 *
 * Signing is done here, not by libcurl's CURLOPT_AWS_SIGV4: curl 7.88
 * signs a query string as it is written (no sorting, no "uploads=" for a
 * bare "?uploads", percent-escapes left as they are), which S3 refuses
 * for ListObjectsV2 and multipart requests (see tests/servers/README.md).
 */
#ifndef XFER_S3SIGN_H
#define XFER_S3SIGN_H

#include <stddef.h>

#include "buf.h"

#define S3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A query parameter; value NULL is a bare name ("?uploads"). */
struct s3_param {
	const char *name;
	const char *value;
};

/* A header to sign: name in lower case, value trimmed. */
struct s3_header {
	const char *name;
	const char *value;
};

/*
 * Append s in S3's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as
 * %XX (upper case), and '/' kept when keep_slash (an object key in a
 * path).  -1 when b is full.
 */
int s3_uri_encode(struct buf *b, const char *s, int keep_slash);

/*
 * The canonical query string of p (sorted by name, then value; names and
 * values encoded; a bare name as "name="), which is also what the URL
 * carries.  p is sorted in place.  -1 when b is full.
 */
int s3_query(struct buf *b, struct s3_param *p, size_t n);

/*
 * The Authorization header value for one request.  path is the encoded
 * canonical URI, query the canonical query (s3_query), h the headers to
 * sign (sorted here, in place; must include host, x-amz-date and
 * x-amz-content-sha256), payload the hex SHA-256 of the body or
 * "UNSIGNED-PAYLOAD", amz_date as YYYYMMDDTHHMMSSZ.  -1 when b is full
 * or OpenSSL fails.
 */
int s3_authorization(struct buf *b, const char *method, const char *path,
    const char *query, struct s3_header *h, size_t nh, const char *payload,
    const char *amz_date, const char *region, const char *key_id,
    const char *secret);

/*
 * The inner span of the first <tag>...</tag> (or an empty <tag/>) in
 * [p, end): *in and *in_end, *next just after it.  Only plain tags are
 * matched (no attributes but on an element that has them, no CDATA, no
 * DTD).  1 found, 0 not.
 */
int s3_xml_elem(const char *p, const char *end, const char *tag,
    const char **in, const char **in_end, const char **next);

/*
 * The text of the first <tag> in [p, end) into out (size bytes, NUL
 * terminated), with the five XML entities and numeric character
 * references decoded (never any other expansion).  1 found, 0 not, -1
 * malformed or longer than out.
 */
int s3_xml_text(const char *p, const char *end, const char *tag, char *out,
    size_t size);

/* "2026-01-31T12:00:00.000Z" (S3's LastModified) as unix time; -1. */
long long s3_iso_time(const char *s);

#endif
