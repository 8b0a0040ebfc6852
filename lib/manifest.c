#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_MAX (64 * 1024)

void
manifest_names(const char *name, char *sha, size_t shasize, char *json,
    size_t jsonsize)
{
	if ((size_t)snprintf(sha, shasize, "%s.sha256", name) >= shasize)
		sha[0] = '\0';
	if ((size_t)snprintf(json, jsonsize, "%s.manifest.json", name) >=
	    jsonsize)
		json[0] = '\0';
}

static int
hex64(const char *s, char out[SHA256_HEXLEN])
{
	int i;

	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[64] = '\0';
	return 0;
}

static int
read_small(const char *path, char *buf, size_t size, size_t *len,
    struct xerr *err)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	/*
	 * The partner put it there: O_NONBLOCK so that a FIFO in its place
	 * cannot hang the run before the regular-file check, and a link or
	 * a FIFO is bad data, not a reason to try again.
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		if (errno == ELOOP)
			return xerr_set(err, XERR_DATA, 0, "manifest '%s' is a "
			    "symbolic link", path);
		return xerr_set(err, XERR_TEMP, errno, "cannot open '%s'",
		    path);
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return xerr_set(err, XERR_TEMP, errno, "cannot stat '%s'",
		    path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return xerr_set(err, XERR_DATA, 0, "manifest '%s' is not a "
		    "regular file", path);
	}
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got == size)
		return xerr_set(err, XERR_DATA, 0, "manifest '%s' is larger "
		    "than %d bytes", path, MANIFEST_MAX - 1);
	buf[got] = '\0';
	if (memchr(buf, '\0', got) != NULL)
		return xerr_set(err, XERR_DATA, 0, "manifest '%s' holds a NUL "
		    "byte", path);
	*len = got;
	return 0;
}

static int
read_sha256sum(const char *path, const char *buf, const char *name,
    struct manifest *m, struct xerr *err)
{
	const char *p = buf, *q;
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strlen(p) < 64 || hex64(p, m->sha256) == -1 ||
	    (p[64] != '\0' && !isspace((unsigned char)p[64])))
		return xerr_set(err, XERR_DATA, 0, "manifest '%s' does not "
		    "start with a SHA-256 in hex", path);
	p += 64;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*')
		p++;
	/* A name, if given, must be the file's. */
	q = p + strcspn(p, "\r\n");
	n = (size_t)(q - p);
	if (n > 0 && (n != strlen(name) || strncmp(p, name, n) != 0))
		return xerr_set(err, XERR_DATA, 0, "manifest '%s' is for "
		    "'%.*s', not for '%s'", path, (int)(n > 200 ? 200 : n), p,
		    name);
	return 0;
}

static int
read_json(const char *path, const char *buf, size_t len, const char *name,
    struct manifest *m, struct xerr *err)
{
	struct json_tokener *tok;
	struct json_object *o, *v;
	const char *s;
	int rc = -1;

	if ((tok = json_tokener_new_ex(16)) == NULL)
		return xerr_nomem(err);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		xerr_set(err, XERR_DATA, 0, "manifest '%s' is not a JSON "
		    "object", path);
		goto out;
	}
	if (!json_object_object_get_ex(o, "sha256", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(s = json_object_get_string(v)) != 64 ||
	    hex64(s, m->sha256) == -1) {
		xerr_set(err, XERR_DATA, 0, "manifest '%s' has no valid "
		    "\"sha256\"", path);
		goto out;
	}
	if (json_object_object_get_ex(o, "file", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), name) != 0)) {
		xerr_set(err, XERR_DATA, 0, "manifest '%s' is not for '%s'",
		    path, name);
		goto out;
	}
	if (json_object_object_get_ex(o, "records", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0) {
			xerr_set(err, XERR_DATA, 0, "manifest '%s': "
			    "\"records\" is not a count", path);
			goto out;
		}
		m->records = json_object_get_int64(v);
	}
	rc = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

int
manifest_read(const char *path, const char *name, struct manifest *m,
    struct xerr *err)
{
	size_t len = 0, lp = strlen(path);
	char *buf;
	int rc;

	memset(m, 0, sizeof(*m));
	m->records = -1;
	if ((buf = malloc(MANIFEST_MAX)) == NULL)
		return xerr_nomem(err);
	if (read_small(path, buf, MANIFEST_MAX, &len, err) == -1)
		rc = -1;
	else if (lp > 5 && strcmp(path + lp - 5, ".json") == 0)
		rc = read_json(path, buf, len, name, m, err);
	else
		rc = read_sha256sum(path, buf, name, m, err);
	free(buf);
	return rc;
}
