/*
 * s3_internal: shared by transport/dest_s3.c (the S3 destination: open,
 * requests, errors, probe, put, remove, check) and transport/s3pull.c
 * (its pull side: list, get, move); nothing else includes it.
 */
#ifndef XFER_S3_INTERNAL_H
#define XFER_S3_INTERNAL_H

#include <curl/curl.h>
#include <stdint.h>

#include "buf.h"
#include "dest.h"
#include "nameset.h"
#include "digest.h"
#include "transport/s3sign.h"

#define S3_BODY_MAX	(4 * 1024 * 1024)	/* a listing page, an error */
#define S3_ERR_MAX	(64 * 1024)
#define S3_MAX_PARTS	10000
#define S3_MAX_PAGES	1000000			/* bounds a listing loop */
/* Parts in flight when the job says no [upload] connections (an inbox). */
#define S3_CONNECTIONS	4

struct s3_dest {
	const struct job *job;
	const struct log *lg;
	CURL *h;
	char *origin;		/* scheme://host[:port] the URLs start with */
	char *host;		/* the Host header (signed) */
	char *bucket;
	char *prefix;		/* "" or "dir/sub/" */
	char *base;		/* s3://bucket/prefix, for messages */
	char *key_id;
	char *secret;
	char *token;		/* AWS_SESSION_TOKEN; NULL: none */
	int plain_http;		/* a loopback endpoint */
	int path_style;		/* https://host/bucket/key */
	int connections;
	/* The prefix's listing (nameset.h): a name not in it is absent
	 * without a HEAD, and its PUT says If-None-Match: *. */
	struct nameset names;
};

/* One request and what came back. */
struct s3_call {
	const char *method;
	const char *key;		/* object key; NULL: the bucket */
	struct s3_param q[6];
	size_t nq;
	const char *payload;		/* hex SHA-256 of the body */
	struct s3_header xh[4];		/* more headers to send and sign */
	size_t nxh;
	int in_fd;			/* body: in_fd [off, off + len) */
	long long off, len;
	const char *mem;		/* or len bytes of memory */
	struct buf *out;		/* a 2xx body goes here (bounded) */
	int out_fd;			/* or to this file */
	struct sha256 *out_hash;	/* or into this hash */

	long code;
	char etag[130];
	char meta_sha256[SHA256_HEXLEN];
	long long length;
	struct buf errbody;
	int write_errno;

	long long pos;
	char *url;
	struct curl_slist *hl;
	char errbuf[CURL_ERROR_SIZE];
	int part;			/* multipart: its number, 1.. */
	CURL *h;
};

void s3_call_init(struct s3_call *call, const char *method, const char *key);
void s3_call_done(struct s3_call *call);
void s3_call_param(struct s3_call *call, const char *name, const char *value);
void s3_call_header(struct s3_call *call, const char *name,
    const char *value);
/* Run call; anything but a 2xx is an error (S3's Code and Message). */
int s3_perform_ok(struct s3_dest *c, struct s3_call *call, const char *what,
    struct xerr *err);
/* An <Error> inside a 200 (CompleteMultipartUpload, CopyObject). */
int s3_error_in_200(struct s3_dest *c, struct s3_call *call,
    const struct buf *b, const char *what, struct xerr *err);
/* prefix + name, malloc'd; NULL on ENOMEM. */
char *s3_key_of(struct s3_dest *c, const char *name);
/* DELETE key, or with upload_id (not NULL) abort that multipart upload
 * of key; absent is success. */
int s3_delete_key(struct s3_dest *c, const char *key, const char *upload_id,
    const char *what, struct xerr *err);
/* One page of ListObjectsV2 of prefix (delimiter '/') into b. */
int s3_list_page(struct s3_dest *c, const char *prefix, const char *token,
    const char *max_keys, struct buf *b, struct xerr *err);

#endif
