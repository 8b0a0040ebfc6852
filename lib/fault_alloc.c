/*
 * fault_alloc: the allocation failures of fault.h.  Everything is inside
 * XFER_FAULTS, so only the test build (make fault) has any of this code;
 * it is linked with -Wl,--wrap=F for every F below (the Makefile's
 * FAULT_WRAP_FNS), which the release build is not.
 */
#include "fault.h"

#ifdef XFER_FAULTS

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <glob.h>
#include <locale.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <sqlite3.h>

/*
 * With --wrap, a call to F from lib/ or cmd/ comes to __wrap_F here and
 * __real_F is the C library's or the library's own; libcurl, SQLite,
 * json-c, libarchive and OpenSSL keep calling their allocators directly
 * and never fail.
 *
 * XFER_FAULT_ALLOC is read on the first allocation.  A count N makes the
 * N-th call (1-based, over all the functions below) fail as that
 * function fails when memory is short; every other call goes through.
 * "count" fails nothing and writes the number of calls at exit.
 */
static struct {
	int parsed;
	int trace;		/* XFER_FAULT_ALLOC_TRACE: stack of the failure */
	long at;		/* fail this call, 0: none */
	long calls;
} alloc;

/* A sanitizer build has this; a plain one falls back on backtrace(). */
extern void __sanitizer_print_stack_trace(void) __attribute__((weak));

/* write(2), not stdio: the report may come from inside an allocation. */
static void __attribute__((format(printf, 1, 2)))
alloc_say(const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)len < sizeof(msg) ?
		    (size_t)len : sizeof(msg) - 1);
}

static void
alloc_report(void)
{
	alloc_say("xfer: fault: %ld allocations\n", alloc.calls);
}

static void
alloc_parse(void)
{
	const char *s = getenv("XFER_FAULT_ALLOC"), *t;
	char *end;

	alloc.parsed = 1;
	t = getenv("XFER_FAULT_ALLOC_TRACE");
	alloc.trace = t != NULL && *t != '\0' && strcmp(t, "0") != 0;
	if (s == NULL || *s == '\0')
		return;
	if (strcmp(s, "count") == 0) {
		if (atexit(alloc_report) != 0)
			alloc_say("xfer: fault: XFER_FAULT_ALLOC=count: "
			    "cannot register the report\n");
		return;
	}
	errno = 0;
	alloc.at = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || alloc.at < 1) {
		alloc.at = 0;
		alloc_say("xfer: fault: XFER_FAULT_ALLOC '%.60s': not a "
		    "count N >= 1 or 'count'; ignored\n", s);
	}
}

/* Whether this call must fail; says which one it was when it does. */
static int
alloc_fails(const char *fn)
{
	void *frames[64];
	int n;

	if (!alloc.parsed)
		alloc_parse();
	if (++alloc.calls != alloc.at)
		return 0;
	alloc_say("xfer: fault: allocation %ld (%s) fails\n", alloc.calls, fn);
	if (alloc.trace) {
		if (__sanitizer_print_stack_trace != NULL) {
			__sanitizer_print_stack_trace();
		} else if ((n = backtrace(frames, 64)) > 0) {
			backtrace_symbols_fd(frames, n, STDERR_FILENO);
		}
	}
	errno = ENOMEM;
	return 1;
}

#define WRAP_NULL(fn)	do {						\
	if (alloc_fails(fn))						\
		return NULL;						\
} while (0)

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_reallocarray(void *, size_t, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
int __real_vasprintf(char **, const char *, va_list);
int __real_glob(const char *, int, int (*)(const char *, int), glob_t *);
FILE *__real_fopen(const char *, const char *);
DIR *__real_opendir(const char *);
DIR *__real_fdopendir(int);
locale_t __real_newlocale(int, const char *, locale_t);
int __real_regcomp(regex_t *, const char *, int);
int __real_setenv(const char *, const char *, int);
CURL *__real_curl_easy_init(void);
struct curl_slist *__real_curl_slist_append(struct curl_slist *,
    const char *);
CURLU *__real_curl_url(void);
char *__real_curl_easy_escape(CURL *, const char *, int);
json_tokener *__real_json_tokener_new(void);
json_tokener *__real_json_tokener_new_ex(int);
struct archive *__real_archive_read_new(void);
struct archive *__real_archive_write_new(void);
struct archive_entry *__real_archive_entry_new(void);
EVP_MD_CTX *__real_EVP_MD_CTX_new(void);
int __real_sqlite3_open_v2(const char *, sqlite3 **, int, const char *);

void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
void *__wrap_reallocarray(void *, size_t, size_t);
char *__wrap_strdup(const char *);
char *__wrap_strndup(const char *, size_t);
int __wrap_asprintf(char **, const char *, ...)
    __attribute__((format(printf, 2, 3)));
int __wrap_vasprintf(char **, const char *, va_list)
    __attribute__((format(printf, 2, 0)));
int __wrap_glob(const char *, int, int (*)(const char *, int), glob_t *);
FILE *__wrap_fopen(const char *, const char *);
DIR *__wrap_opendir(const char *);
DIR *__wrap_fdopendir(int);
locale_t __wrap_newlocale(int, const char *, locale_t);
int __wrap_regcomp(regex_t *, const char *, int);
int __wrap_setenv(const char *, const char *, int);
CURL *__wrap_curl_easy_init(void);
struct curl_slist *__wrap_curl_slist_append(struct curl_slist *,
    const char *);
CURLU *__wrap_curl_url(void);
char *__wrap_curl_easy_escape(CURL *, const char *, int);
json_tokener *__wrap_json_tokener_new(void);
json_tokener *__wrap_json_tokener_new_ex(int);
struct archive *__wrap_archive_read_new(void);
struct archive *__wrap_archive_write_new(void);
struct archive_entry *__wrap_archive_entry_new(void);
EVP_MD_CTX *__wrap_EVP_MD_CTX_new(void);
int __wrap_sqlite3_open_v2(const char *, sqlite3 **, int, const char *);

void *
__wrap_malloc(size_t n)
{
	WRAP_NULL("malloc");
	return __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	WRAP_NULL("calloc");
	return __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	WRAP_NULL("realloc");
	return __real_realloc(p, n);
}

void *
__wrap_reallocarray(void *p, size_t n, size_t size)
{
	WRAP_NULL("reallocarray");
	return __real_reallocarray(p, n, size);
}

char *
__wrap_strdup(const char *s)
{
	WRAP_NULL("strdup");
	return __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	WRAP_NULL("strndup");
	return __real_strndup(s, n);
}

/* On failure *p is left as it was: glibc documents it as undefined. */
int
__wrap_vasprintf(char **p, const char *fmt, va_list ap)
{
	if (alloc_fails("vasprintf"))
		return -1;
	return __real_vasprintf(p, fmt, ap);
}

int
__wrap_asprintf(char **p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __wrap_vasprintf(p, fmt, ap);
	va_end(ap);
	return n;
}

int
__wrap_glob(const char *pat, int flags, int (*errfn)(const char *, int),
    glob_t *g)
{
	if (alloc_fails("glob")) {
		if (!(flags & GLOB_APPEND)) {
			g->gl_pathc = 0;
			g->gl_pathv = NULL;
		}
		return GLOB_NOSPACE;
	}
	return __real_glob(pat, flags, errfn, g);
}

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	WRAP_NULL("fopen");
	return __real_fopen(path, mode);
}

DIR *
__wrap_opendir(const char *path)
{
	WRAP_NULL("opendir");
	return __real_opendir(path);
}

/* Like fdopendir's own failure, the descriptor stays the caller's. */
DIR *
__wrap_fdopendir(int fd)
{
	WRAP_NULL("fdopendir");
	return __real_fdopendir(fd);
}

locale_t
__wrap_newlocale(int mask, const char *name, locale_t base)
{
	if (alloc_fails("newlocale"))
		return (locale_t)0;
	return __real_newlocale(mask, name, base);
}

int
__wrap_regcomp(regex_t *rx, const char *re, int flags)
{
	if (alloc_fails("regcomp"))
		return REG_ESPACE;
	return __real_regcomp(rx, re, flags);
}

int
__wrap_setenv(const char *name, const char *value, int overwrite)
{
	if (alloc_fails("setenv"))
		return -1;
	return __real_setenv(name, value, overwrite);
}

CURL *
__wrap_curl_easy_init(void)
{
	WRAP_NULL("curl_easy_init");
	return __real_curl_easy_init();
}

struct curl_slist *
__wrap_curl_slist_append(struct curl_slist *l, const char *s)
{
	WRAP_NULL("curl_slist_append");
	return __real_curl_slist_append(l, s);
}

CURLU *
__wrap_curl_url(void)
{
	WRAP_NULL("curl_url");
	return __real_curl_url();
}

char *
__wrap_curl_easy_escape(CURL *h, const char *s, int n)
{
	WRAP_NULL("curl_easy_escape");
	return __real_curl_easy_escape(h, s, n);
}

json_tokener *
__wrap_json_tokener_new(void)
{
	WRAP_NULL("json_tokener_new");
	return __real_json_tokener_new();
}

json_tokener *
__wrap_json_tokener_new_ex(int depth)
{
	WRAP_NULL("json_tokener_new_ex");
	return __real_json_tokener_new_ex(depth);
}

struct archive *
__wrap_archive_read_new(void)
{
	WRAP_NULL("archive_read_new");
	return __real_archive_read_new();
}

struct archive *
__wrap_archive_write_new(void)
{
	WRAP_NULL("archive_write_new");
	return __real_archive_write_new();
}

struct archive_entry *
__wrap_archive_entry_new(void)
{
	WRAP_NULL("archive_entry_new");
	return __real_archive_entry_new();
}

EVP_MD_CTX *
__wrap_EVP_MD_CTX_new(void)
{
	WRAP_NULL("EVP_MD_CTX_new");
	return __real_EVP_MD_CTX_new();
}

/* As SQLite does when it cannot allocate the handle itself. */
int
__wrap_sqlite3_open_v2(const char *path, sqlite3 **db, int flags,
    const char *vfs)
{
	if (alloc_fails("sqlite3_open_v2")) {
		*db = NULL;
		return SQLITE_NOMEM;
	}
	return __real_sqlite3_open_v2(path, db, flags, vfs);
}

#endif
