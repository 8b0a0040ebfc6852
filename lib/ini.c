/*
 * ini: read an INI file and hand each entry to a callback.
 *
 * The whole file is read first (job files are small; 1 MiB is the limit)
 * and parsed line by line in place.  Syntax, as in SPEC.md section 4:
 *
 *   [section]             names [a-z_]+, may be followed by a comment
 *   key = value           keys [a-z0-9_]+; the value is trimmed
 *   # or ; at line start  a comment (after leading blanks)
 *   value  # comment      a comment must follow a blank, so "a#b" is a value
 *   key = "  a # b "      quotes keep blanks and '#'; inside them only \" and
 *                         \\ are escapes (any other backslash is kept as is,
 *                         so "C:\dir" needs no doubling)
 *
 * A UTF-8 byte order mark at the start is skipped and a CR before the LF is
 * part of the line end, so files saved by Windows editors read the same.
 * Other bytes are not checked: values are passed through as bytes.
 */
#include "ini.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INI_MAX_FILE	(1024 * 1024)
#define INI_MAX_LINE	8192
#define INI_MAX_SECTION	64

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Cut an inline comment (blank then #) and trailing blanks from the
 * string s..*endp.  Only '#' starts an inline comment: ';' is a common
 * value ("delimiter = ;", SQL) and starts only whole-line comments. */
static void
cut_comment(char *s, char **endp)
{
	char *p;

	for (p = s; p < *endp; p++) {
		if (*p == '#' && p > s && is_blank(p[-1])) {
			*endp = p;
			break;
		}
	}
	while (*endp > s && is_blank((*endp)[-1]))
		(*endp)--;
}

/*
 * Unquote a value that starts with '"' in place.  What follows the closing
 * quote may only be blanks and a comment.  Returns the new end or NULL.
 */
static char *
unquote(char *v, char *end, const char **why)
{
	char *r = v + 1, *w = v, *rest;

	for (;;) {
		if (r == end) {
			*why = "unterminated quoted value";
			return NULL;
		}
		if (*r == '"')
			break;
		if (*r == '\\' && r + 1 < end && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r++;
	}
	rest = r + 1;
	while (rest < end && is_blank(*rest))
		rest++;
	if (rest < end && *rest != '#') {
		*why = "unexpected text after the closing quote";
		return NULL;
	}
	if (rest < end && rest == r + 1) {
		*why = "a comment after a quoted value must follow a blank";
		return NULL;
	}
	return w;
}

/* A line that cannot be read: -2, so the caller can read on. */
#define LINE_BAD	(-2)

static int __attribute__((format(printf, 2, 3)))
bad_line(struct xerr *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xerr_set(err, XERR_CONFIG, 0, "%s", msg);
	return LINE_BAD;
}

/* Where the reader is between lines. */
struct ini_state {
	char section[INI_MAX_SECTION];	/* "" before the first */
	int skip;		/* after a malformed "[section": skip keys */
	const char *bad_key;	/* the malformed key of the last bad line */
};

/*
 * One line: 0, -1 when fn stopped, or LINE_BAD (err set, and st->bad_key
 * set for a malformed key).
 */
static int
parse_line(const char *label, unsigned line, char *s, char *end,
    struct ini_state *st, ini_fn fn, void *ctx, struct xerr *err)
{
	char *p, *key, *kend, *v, *vend, *section = st->section;
	const char *why;

	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		/* Until the next good header, keys belong to no section we
		 * know: skip them rather than file them under the last. */
		st->skip = 1;
		p = memchr(s, ']', (size_t)(end - s));
		if (p == NULL)
			return bad_line(err, "%s:%u: expected '[section]'",
			    label, line);
		vend = end;
		cut_comment(p + 1, &vend);
		key = s + 1;
		while (key < p && is_blank(*key))
			key++;
		kend = p;
		while (kend > key && is_blank(kend[-1]))
			kend--;
		if (vend != p + 1)
			return bad_line(err, "%s:%u: unexpected text after "
			    "'[section]'", label, line);
		if (kend == key || kend - key >= INI_MAX_SECTION ||
		    strspn(key, "abcdefghijklmnopqrstuvwxyz_") !=
		    (size_t)(kend - key))
			return bad_line(err, "%s:%u: bad section name "
			    "'[%.*s]' (lower case letters and '_')", label,
			    line, (int)(p - s - 1), s + 1);
		memcpy(section, key, (size_t)(kend - key));
		section[kend - key] = '\0';
		st->skip = 0;
		return fn(ctx, section, NULL, NULL, line, err);
	}
	if (st->skip)
		return 0;
	p = memchr(s, '=', (size_t)(end - s));
	if (p == NULL || p == s)
		return bad_line(err, "%s:%u: expected 'key = value'", label,
		    line);
	key = s;
	kend = p;
	while (kend > key && is_blank(kend[-1]))
		kend--;
	*kend = '\0';
	if (strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
	    (size_t)(kend - key)) {
		st->bad_key = key;
		return bad_line(err, "%s:%u: bad key '%s' (keys are lower "
		    "case letters, digits and '_')", label, line, key);
	}
	if (section[0] == '\0')
		return bad_line(err, "%s:%u: key outside of a section", label,
		    line);
	v = p + 1;
	while (v < end && is_blank(*v))
		v++;
	vend = end;
	if (v < end && *v == '"') {
		if ((vend = unquote(v, end, &why)) == NULL)
			return bad_line(err, "%s:%u: key '%s': %s", label,
			    line, key, why);
	} else {
		/* "key = # comment" leaves an empty value: the blank before
		 * '#' has been skipped, so look at v itself too. */
		if (v < end && *v == '#')
			vend = v;
		else
			cut_comment(v, &vend);
	}
	*vend = '\0';
	return fn(ctx, section, key, v, line, err);
}

int
ini_parse_buffer_all(const char *label, const char *data, size_t len,
    ini_fn fn, ini_bad_fn bad, void *ctx, struct xerr *err)
{
	struct ini_state st;
	char *copy, *s, *nl, *end;
	const char *q;
	unsigned line = 0;
	int rc = 0;

	if (memchr(data, '\0', len) != NULL) {
		line = 1;
		for (q = data; *q != '\0'; q++)
			line += *q == '\n';
		return xerr_set(err, XERR_CONFIG, 0, "%s:%u: NUL byte in the "
		    "file", label, line);
	}
	/* A writable copy with room for the terminating NUL of the last
	 * line. */
	if ((copy = malloc(len + 1)) == NULL)
		return xerr_nomem(err);
	memcpy(copy, data, len);
	copy[len] = '\0';
	memset(&st, 0, sizeof(st));
	s = copy;
	end = copy + len;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end) {
		line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		*nl = '\0';
		st.bad_key = NULL;
		if (nl - s > INI_MAX_LINE)
			rc = bad_line(err, "%s:%u: line longer than %d bytes",
			    label, line, INI_MAX_LINE);
		else
			rc = parse_line(label, line, s, nl, &st, fn, ctx, err);
		if (rc == LINE_BAD) {
			struct xerr why = *err;

			/* Without bad, the first bad line stops the parse. */
			rc = -1;
			if (bad == NULL || bad(ctx, st.section, st.bad_key,
			    line, &why, err) == -1)
				break;
			xerr_clear(err);
			rc = 0;
		}
		if (rc == -1)
			break;
		s = nl + 1;
	}
	free(copy);
	return rc;
}

int
ini_parse_buffer(const char *label, const char *data, size_t len,
    ini_fn fn, void *ctx, struct xerr *err)
{
	return ini_parse_buffer_all(label, data, len, fn, NULL, ctx, err);
}

/*
 * -1 (err set) if the directory holding path lets others put another file
 * in its place: writable by others without the sticky bit; else 0.
 * Symlinks are followed first when resolve is set.
 */
static int
dir_is_safe(const char *path, int resolve, struct xerr *err)
{
	char *real = NULL, *dir, *slash;
	struct stat st;
	int rc = -1;

	if (resolve) {
		if ((real = realpath(path, NULL)) == NULL)
			return xerr_set(err, XERR_CONFIG, errno,
			    "cannot resolve '%s'", path);
		dir = real;
	} else if ((dir = real = strdup(path)) == NULL)
		return xerr_nomem(err);
	if ((slash = strrchr(dir, '/')) == NULL)
		dir = ".";
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) == -1)
		xerr_set(err, XERR_CONFIG, errno, "cannot stat '%s'", dir);
	else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		xerr_set(err, XERR_CONFIG, 0, "refusing '%s': it is in '%s', "
		    "which anyone may write (mode %04o), so anyone could "
		    "replace it; run `chmod o-w %s`", path, dir,
		    (unsigned)(st.st_mode & 07777), dir);
	else
		rc = 0;
	free(real);
	return rc;
}

int
ini_parse_file_all(const char *path, ini_fn fn, ini_bad_fn bad, void *ctx,
    struct xerr *err)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	/*
	 * No O_NOFOLLOW: job files are often symlinks kept by configuration
	 * tools.  O_NONBLOCK so that a FIFO in their place cannot hang us
	 * before the regular-file check.
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return xerr_set(err, XERR_CONFIG, errno, "cannot open '%s'",
		    path);
	if (fstat(fd, &st) == -1) {
		xerr_set(err, XERR_CONFIG, errno, "cannot stat '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		xerr_set(err, XERR_CONFIG, 0, "cannot read '%s': not a "
		    "regular file", path);
		goto out;
	}
	/*
	 * Job files name commands to run: whoever may change one may run
	 * anything as us.  Symlinks are followed (see above), but the file
	 * they end at, and the directories of the link and of that file,
	 * must not be writable by others, as cron and logrotate insist for
	 * theirs.  A group may write (an admin group that edits the jobs).
	 */
	if (st.st_mode & S_IWOTH) {
		xerr_set(err, XERR_CONFIG, 0, "refusing '%s': anyone may "
		    "write it (mode %04o); run `chmod o-w %s`", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (dir_is_safe(path, 0, err) == -1 || dir_is_safe(path, 1, err) ==
	    -1)
		goto out;
	if (st.st_size > INI_MAX_FILE)
		goto toobig;
	/* One byte more than the limit shows a file that grew meanwhile. */
	if ((data = malloc(INI_MAX_FILE + 1)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	for (;;) {
		n = read(fd, data + len, INI_MAX_FILE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xerr_set(err, XERR_CONFIG, errno, "cannot read '%s'",
			    path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > INI_MAX_FILE)
			goto toobig;
	}
	rc = ini_parse_buffer_all(path, data, len, fn, bad, ctx, err);
	goto out;
toobig:
	xerr_set(err, XERR_CONFIG, 0, "cannot read '%s': larger than %d "
	    "bytes", path, INI_MAX_FILE);
out:
	free(data);
	close(fd);
	return rc;
}

int
ini_parse_file(const char *path, ini_fn fn, void *ctx, struct xerr *err)
{
	return ini_parse_file_all(path, fn, NULL, ctx, err);
}
