#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
sha256_init(struct sha256 *h, struct xerr *err)
{
	EVP_MD_CTX *c;

	h->ctx = NULL;
	if ((c = EVP_MD_CTX_new()) == NULL)
		return xerr_nomem(err);
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return xerr_set(err, XERR_PERM, 0, "cannot start SHA-256");
	}
	h->ctx = c;
	return 0;
}

void
sha256_update(struct sha256 *h, const void *p, size_t len)
{
	if (len > 0)
		EVP_DigestUpdate(h->ctx, p, len);
}

void
sha256_final(struct sha256 *h, char hex[SHA256_HEXLEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	for (i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	sha256_release(h);
}

void
sha256_release(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int
sha256_file(const char *path, char hex[SHA256_HEXLEN], long long *size,
    struct xerr *err)
{
	static const size_t bufsize = 256 * 1024;
	struct sha256 h;
	long long total = 0;
	unsigned char *b;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return xerr_set(err, XERR_TEMP, errno, "cannot open '%s'",
		    path);
	if ((b = malloc(bufsize)) == NULL) {
		close(fd);
		return xerr_nomem(err);
	}
	if (sha256_init(&h, err) == -1) {
		free(b);
		close(fd);
		return -1;
	}
	for (;;) {
		n = read(fd, b, bufsize);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xerr_set(err, XERR_TEMP, errno, "cannot read '%s'",
			    path);
			sha256_release(&h);
			free(b);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		sha256_update(&h, b, (size_t)n);
		total += n;
	}
	sha256_final(&h, hex);
	free(b);
	close(fd);
	if (size)
		*size = total;
	return 0;
}
