/*
 * digest: SHA-256 (OpenSSL's libcrypto) as lower-case hex, for batch files
 * and manifests.
 */
#ifndef XFER_DIGEST_H
#define XFER_DIGEST_H

#include <stddef.h>

#include "xerr.h"

#define SHA256_HEXLEN 65	/* 64 hex digits + NUL */

struct sha256 {
	void *ctx;		/* EVP_MD_CTX */
};

int sha256_init(struct sha256 *h, struct xerr *err);
void sha256_update(struct sha256 *h, const void *p, size_t len);
/* Writes the hex digest and releases the context. */
void sha256_final(struct sha256 *h, char hex[SHA256_HEXLEN]);
/* Releases without a result (on error paths); safe on a released h. */
void sha256_release(struct sha256 *h);

/* Hash a whole file, streaming; *size gets its length when not NULL. */
int sha256_file(const char *path, char hex[SHA256_HEXLEN], long long *size,
    struct xerr *err);

#endif
