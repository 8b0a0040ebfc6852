/*
 * job_db: the keys of a server database in [source] or [ingest] (SPEC.md
 * section 8), read into a struct job_db the same way for both sections.
 *
 * What is decided here, at load time, rather than when connecting: the
 * URL's scheme matches the type (a mysql:// URL under type = postgresql
 * is a typo, not something to try), and a password never sits in a job
 * file: one in the URL, as user:password@ or ?password=, is refused with
 * the way to do it right (password_file, or the client's own files).
 */
#include "job_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int
job_url_has_password(const char *url)
{
	const char *p = strstr(url, "://"), *end, *at, *q;

	if (p == NULL)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL &&
	    memchr(p, ':', (size_t)(at - p)) != NULL)
		return 1;
	if ((q = strchr(url, '?')) == NULL)
		return 0;
	for (q++; *q != '\0'; q += strcspn(q, "&"), q += *q == '&') {
		if (strncasecmp(q, "password=", 9) == 0)
			return 1;
	}
	return 0;
}

static void
check_url(struct loader *ld, enum key k, int is_pg, char **out)
{
	static const char *const pg[] = { "postgresql://", "postgres://",
		NULL };
	static const char *const my[] = { "mysql://", "mariadb://", NULL };
	const char *const *schemes = is_pg ? pg : my;
	const char *v = jf_val(ld, k);
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; schemes[i] != NULL; i++)
		if (strncasecmp(v, schemes[i], strlen(schemes[i])) == 0)
			break;
	if (schemes[i] == NULL) {
		jf_bad(ld, k, "'%s' is not a %s URL (expected %s...)", v,
		    is_pg ? "PostgreSQL" : "MySQL/MariaDB", schemes[0]);
		return;
	}
	/* Said without echoing the value: it holds the password. */
	if (job_url_has_password(v)) {
		jf_bad(ld, k, "a password does not belong in the job file; "
		    "put it in a file named by password_file (mode 0600), or "
		    "in the client's own %s", is_pg ? ".pgpass" :
		    "option files");
		return;
	}
	*out = jf_dup(ld, v);
}

void
jf_check_db(struct loader *ld, const enum key *dk, int is_pg,
    struct job_db *db)
{
	check_url(ld, dk[D_URL], is_pg, &db->url);
	if (!is_pg && jf_val(ld, dk[D_SERVICE]) != NULL)
		jf_bad(ld, dk[D_SERVICE], "only for type = postgresql (a "
		    "pg_service.conf entry); give url");
	else
		jf_string(ld, dk[D_SERVICE], &db->service);
	if (jf_is_set(ld, dk[D_URL]) && jf_is_set(ld, dk[D_SERVICE]) &&
	    !ld->ent[dk[D_SERVICE]].done)
		jf_bad(ld, dk[D_SERVICE], "give url or service, not both");
	jf_path(ld, dk[D_PASSWORD_FILE], 0, &db->password_file);
	jf_path(ld, dk[D_CA_FILE], 0, &db->ca_file);
	jf_path(ld, dk[D_CLIENT_CERT], 0, &db->client_cert);
	jf_path(ld, dk[D_CLIENT_KEY], 0, &db->client_key);
	if (jf_is_set(ld, dk[D_CLIENT_CERT]) != jf_is_set(ld,
	    dk[D_CLIENT_KEY]))
		jf_bad(ld, dk[jf_is_set(ld, dk[D_CLIENT_CERT]) ? D_CLIENT_CERT :
		    D_CLIENT_KEY], "client_cert and client_key go together");
	jf_duration_ms(ld, dk[D_CONNECT_TIMEOUT], 0, &db->connect_timeout_ms);
	jf_duration_ms(ld, dk[D_STATEMENT_TIMEOUT], 1,
	    &db->statement_timeout_ms);
	jf_duration_ms(ld, dk[D_LOCK_TIMEOUT], 1, &db->lock_timeout_ms);
}

void
jf_require_db(struct loader *ld, const enum key *dk)
{
	if (!jf_is_set(ld, dk[D_URL]) && !jf_is_set(ld, dk[D_SERVICE]))
		jf_problem(ld, 0, "key 'url' (or 'service') is required in "
		    "[%s]", jf_sec_names[jf_keydefs[dk[D_URL]].sec]);
}
