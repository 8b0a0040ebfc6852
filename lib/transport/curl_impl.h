/*
 * curl_impl: what the two halves of the libcurl transport share:
 * dest_curl.c (delivering: probe, put, remove, check) and pull_curl.c
 * (pulling for receive jobs: list, get, move).  Internal to
 * lib/transport/; the rest of xfer sees only dest.h.
 */
#ifndef XFER_CURL_IMPL_H
#define XFER_CURL_IMPL_H

#include <curl/curl.h>
#include <stdio.h>

#include "dest.h"
#include "buf.h"
#include "digest.h"
#include "log.h"
#include "nameset.h"

#define SFTP_BUFFER	(2 * 1024 * 1024)	/* FACTS: ~250 MB/s here */

struct curl_dest {
	const struct job *job;
	const struct log *lg;
	int sftp;
	CURL *h;
	char *base;		/* URL of the directory, ending in '/' */
	char *dir;		/* SFTP: its absolute path, ending in '/' */
	char *password;
	char *passphrase;
	char pin[64];		/* host_key_sha256, unpadded base64 */
	char offered[200];	/* the host key the server offered */
	int key_rejected;
	enum curl_khmatch key_match;
	int no_move;		/* HTTPS: the server refused MOVE */
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers;
	/* the current transfer */
	FILE *in;
	int rename_after;	/* SFTP: the upload's POSTQUOTE renames it */
	long long unread;	/* bytes of the file not yet handed over */
	struct sha256 hash;
	struct progress progress;
	struct nameset names;	/* the directory's listing (nameset.h) */
};

/* The settings every request starts from (curl_easy_reset() first). */
void curl_dest_setup(struct curl_dest *c, const char *url);
/* malloc'd URL of name in the destination's directory; NULL: no memory. */
char *curl_dest_url(struct curl_dest *c, const char *name);
/* A failed request as an xerr, sorted into transient and permanent;
 * always -1. */
int curl_dest_error(struct curl_dest *c, CURLcode rc, const char *what,
    struct xerr *err);
int curl_dest_http_error(struct curl_dest *c, long code, const char *what,
    struct xerr *err);
/* Append fmt with a and b to *l; -1: no memory. */
int curl_dest_quote_add(struct curl_slist **l, const char *fmt,
    const char *a, const char *b);
/* The directory listing as the server sends it, NUL-terminated, at most
 * LISTING_MAX bytes (b is initialised here; the caller releases it);
 * propfind: HTTPS, ask with WebDAV PROPFIND (Depth: 1), not GET. */
#define LISTING_MAX (16 * 1024 * 1024)
int curl_dest_fetch_listing(struct curl_dest *c, int propfind, struct buf *b,
    struct xerr *err);
/* Percent-decode s[0..n) into out (size bytes); -1: %00 or too long. */
int curl_dest_pct_decode(const char *s, size_t n, char *out, size_t size);
/* SFTP: run the quote commands cmds, then stat name (*size; -1 absent). */
int curl_dest_sftp_quote(struct curl_dest *c, struct curl_slist *cmds,
    const char *name, long long *size, struct xerr *err);
/* HTTPS: WebDAV MOVE (overwrite 0: an existing target is a transient
 * failure, HTTP 412); *unsupported when the server has no MOVE. */
int curl_dest_https_move(struct curl_dest *c, const char *from,
    const char *to, int overwrite, int *unsupported, struct xerr *err);

#endif
