/*
 * ledger_pg_claim: the claims of the PostgreSQL ledger (see ledger_pg.c
 * for how the lease and the token guard work): taken, released and
 * renewed for many keys in one statement each, the keys handed over as
 * arrays and unnest()ed, so that a listing of thousands of remote files
 * is claimed in one round trip.
 */
#include "ledger_pg_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* A claim key for messages: a pull key's newlines as spaces. */
static void
key_for_message(char *out, size_t size, const char *key)
{
	char *p;

	snprintf(out, size, "%s", key);
	for (p = out; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
}

/*
 * An update guarded by this node's token of (kind, job, key) changed
 * nothing: say who has the claim now.  Returns -1 (XERR_STALE), or the
 * error of the look-up itself.
 */
int
pgl_stale(struct ledger *l, const char *kind, const char *job, const char *key,
    long long token, struct xerr *err)
{
	static const char sql[] = "SELECT node, token FROM claims"
	    " WHERE kind = $1 AND job = $2 AND key = $3";
	const char *v[3] = { kind, job, key };
	char holder[LEDGER_NODE_MAX + 32], shown[600];
	PGresult *res;

	if (pgl_query(l, sql, 3, v, "cannot read claims", &res, err) == -1)
		return -1;
	if (PQntuples(res) > 0)
		snprintf(holder, sizeof(holder), "by node '%s' (token %s)",
		    pgl_text(res, 0), pgl_text(res, 1));
	else
		snprintf(holder, sizeof(holder), "(no claim is stored)");
	PQclear(res);
	key_for_message(shown, sizeof(shown), key);
	return xerr_set(err, XERR_STALE, 0, "ledger %s: %s %s: the claim of "
	    "node '%s' (token %lld) was taken over %s; this node changes "
	    "nothing", l->name, job, shown, l->node, token, holder);
}

static const char *
kind_name(enum claim_kind k)
{
	return k == CLAIM_SEND ? "send" : "pull";
}

int
pgl_array_add(struct buf *b, const char *s)
{
	if (buf_putc(b, b->len == 0 ? '{' : ',') == -1 ||
	    buf_putc(b, '"') == -1)
		return -1;
	for (; *s != '\0'; s++)
		if (((*s == '"' || *s == '\\') && buf_putc(b, '\\') == -1) ||
		    buf_putc(b, *s) == -1)
			return -1;
	return buf_putc(b, '"');
}

/*
 * The claims c[0..n) as array literals for unnest(): kinds, jobs, keys
 * and (tokens non-NULL) tokens, in a[0..3].
 */
static int
claim_arrays(const struct ledger_claim *c, size_t n, struct buf a[4],
    int tokens)
{
	char t[24];
	size_t i;
	int k;

	for (k = 0; k < 4; k++)
		buf_init(&a[k], 0);
	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "%lld", c[i].token);
		if (pgl_array_add(&a[0], kind_name(c[i].kind)) == -1 ||
		    pgl_array_add(&a[1], c[i].job) == -1 ||
		    pgl_array_add(&a[2], c[i].key) == -1 ||
		    (tokens && pgl_array_add(&a[3], t) == -1))
			return -1;
	}
	for (k = 0; k < 4; k++)
		if ((k < 3 || tokens) && buf_putc(&a[k], '}') == -1)
			return -1;
	return 0;
}

static void
claim_arrays_release(struct buf a[4])
{
	int k;

	for (k = 0; k < 4; k++)
		buf_release(&a[k]);
}

/*
 * The claims as unnest()ed rows u(kind, job, key[, token], i), i from 1:
 * one round trip for a whole listing of keys.
 */
#define CLAIM_KEYS "u AS (SELECT * FROM unnest($1::text[], $2::text[]," \
	" $3::text[]) WITH ORDINALITY AS u(kind, job, key, i))"
#define CLAIM_TOKENS "u AS (SELECT * FROM unnest($1::text[], $2::text[]," \
	" $3::text[], $4::bigint[]) WITH ORDINALITY AS" \
	" u(kind, job, key, token, i))"
#define CLAIM_IS(c, u) c ".kind = " u ".kind AND " c ".job = " u ".job AND " \
	c ".key = " u ".key"

/*
 * Fill c[i] from a row (i, token, lease, holder, done) of the claim
 * statement; 0, or 1 when the row says nothing (a key another
 * transaction inserted after this statement's snapshot).
 */
static int
claim_result(struct ledger *l, const PGresult *res, int row,
    struct ledger_claim *c)
{
	c->lease_until = PQgetisnull(res, row, 2) ? 0 :
	    strtoll(PQgetvalue(res, row, 2), NULL, 10);
	if (!PQgetisnull(res, row, 1)) {
		c->state = CLAIM_OURS;
		c->token = strtoll(PQgetvalue(res, row, 1), NULL, 10);
		snprintf(c->holder, sizeof(c->holder), "%s", l->node);
		return 0;
	}
	if (PQgetisnull(res, row, 3))
		return 1;
	c->token = 0;
	snprintf(c->holder, sizeof(c->holder), "%s", PQgetvalue(res, row, 3));
	c->state = strcmp(PQgetvalue(res, row, 4), "t") == 0 ? CLAIM_DONE :
	    CLAIM_BUSY;
	return 0;
}

int
pgl_claim(struct ledger *l, struct ledger_claim *c, size_t n,
    struct xerr *err)
{
	/*
	 * The insert takes each key nobody holds, whose lease has ended, or
	 * that this node holds, raising its token (a new claim, also by the
	 * same node); in key order, so that two hosts claiming overlapping
	 * sets lock rows in the same order.  The outer select reads the
	 * other keys' holders as they were when the statement began.
	 */
	static const char sql[] = "WITH " CLAIM_KEYS ","
	    " ins AS (INSERT INTO claims AS c"
	    "  (kind, job, key, node, token, lease_until, done)"
	    "  SELECT DISTINCT kind, job, key, $4, 1,"
	    "   now() + make_interval(secs => $5), false FROM u"
	    "   ORDER BY kind, job, key"
	    "  ON CONFLICT (kind, job, key) DO UPDATE SET node = excluded.node,"
	    "   token = c.token + 1, lease_until = excluded.lease_until"
	    "  WHERE NOT c.done AND (c.lease_until <= now()"
	    "   OR c.node = excluded.node)"
	    "  RETURNING c.kind, c.job, c.key, c.token, c.lease_until)"
	    " SELECT u.i, ins.token,"
	    "  floor(extract(epoch FROM coalesce(ins.lease_until,"
	    "   o.lease_until)))::bigint, o.node, o.done"
	    " FROM u LEFT JOIN ins ON " CLAIM_IS("ins", "u")
	    " LEFT JOIN claims o ON " CLAIM_IS("o", "u");
	static const char again[] = "WITH " CLAIM_KEYS
	    " SELECT u.i, NULL, floor(extract(epoch FROM o.lease_until))"
	    "::bigint, o.node, o.done FROM u JOIN claims o ON "
	    CLAIM_IS("o", "u");
	struct buf a[4];
	char lease[16];
	const char *v[5];
	PGresult *res = NULL;
	char *filled;		/* c[i] set from a row */
	size_t j, missing = 0;
	int i, rows, pass;
	long long k;

	if (n == 0)
		return 0;
	if (claim_arrays(c, n, a, 0) == -1) {
		claim_arrays_release(a);
		return xerr_nomem(err);
	}
	snprintf(lease, sizeof(lease), "%d", l->lease_s);
	v[0] = a[0].data;
	v[1] = a[1].data;
	v[2] = a[2].data;
	v[3] = l->node;
	v[4] = lease;
	if ((filled = calloc(n, 1)) == NULL) {
		claim_arrays_release(a);
		return xerr_nomem(err);
	}
	for (pass = 0; pass < 2; pass++) {
		if (pgl_query(l, pass == 0 ? sql : again, pass == 0 ? 5 : 3, v,
		    "cannot claim", &res, err) == -1) {
			claim_arrays_release(a);
			free(filled);
			return -1;
		}
		rows = PQntuples(res);
		for (i = 0; i < rows; i++) {
			k = strtoll(PQgetvalue(res, i, 0), NULL, 10);
			if (k >= 1 && (size_t)k <= n && !filled[k - 1] &&
			    claim_result(l, res, i, &c[k - 1]) == 0)
				filled[k - 1] = 1;
		}
		PQclear(res);
		/* A holder that committed after the statement's snapshot
		 * (neither granted nor seen): read the holders again. */
		for (missing = 0, j = 0; j < n; j++)
			missing += !filled[j];
		if (missing == 0)
			break;
	}
	claim_arrays_release(a);
	free(filled);
	if (missing > 0)
		return xerr_set(err, XERR_TEMP, 0, "ledger %s: cannot claim: "
		    "%zu claims changed while being read", l->name, missing);
	return 0;
}

/*
 * Run a statement over the claims' (kind, job, key, token) that returns
 * the i of those it matched in matched[] (1) on conn.
 */
static int
claims_update(struct ledger *l, PGconn **connp, const char *sql,
    const struct ledger_claim *c, size_t n, const char *extra,
    int *matched, const char *what, struct xerr *err)
{
	struct buf a[4];
	const char *v[5];
	PGresult *res;
	long long k;
	int i, rc;

	memset(matched, 0, n * sizeof(*matched));
	if (claim_arrays(c, n, a, 1) == -1) {
		claim_arrays_release(a);
		return xerr_nomem(err);
	}
	for (i = 0; i < 4; i++)
		v[i] = a[i].data;
	v[4] = extra;
	rc = pgl_run(l, connp, sql, 5, v, pgl_call_timeout(l), what, NULL,
	    NULL, &res, err);
	claim_arrays_release(a);
	if (rc == -1)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		k = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		if (k >= 1 && (size_t)k <= n)
			matched[k - 1] = 1;
	}
	PQclear(res);
	return 0;
}

int
pgl_release(struct ledger *l, struct ledger_claim *c, size_t n, int done,
    struct xerr *err)
{
	static const char sql[] = "WITH " CLAIM_TOKENS ","
	    " upd AS (UPDATE claims c SET lease_until = now(),"
	    "  done = c.done OR $5::boolean FROM u"
	    "  WHERE " CLAIM_IS("c", "u") " AND c.token = u.token"
	    "  RETURNING c.kind, c.job, c.key, c.token)"
	    " SELECT u.i FROM u JOIN upd ON " CLAIM_IS("upd", "u")
	    " AND upd.token = u.token";
	int *matched;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	if ((matched = calloc(n, sizeof(*matched))) == NULL)
		return xerr_nomem(err);
	if (pgl_ready(l, err) == -1) {
		free(matched);
		return -1;
	}
	rc = claims_update(l, &PGL(l)->conn, sql, c, n, done ? "true" :
	    "false", matched, "cannot release claims", err);
	for (i = 0; rc == 0 && i < n; i++)
		if (!matched[i])
			rc = pgl_stale(l, kind_name(c[i].kind), c[i].job,
			    c[i].key, c[i].token, err);
	free(matched);
	return rc;
}

/*
 * From the renewing thread, on its own connection (opened on first use,
 * and again after it was lost), so the main connection's user is never
 * waited for.
 */
int
pgl_renew(struct ledger *l, const struct ledger_claim *c, size_t n,
    int *lost, struct xerr *err)
{
	static const char sql[] = "WITH " CLAIM_TOKENS ","
	    " upd AS (UPDATE claims c SET lease_until = now()"
	    "  + make_interval(secs => $5) FROM u"
	    "  WHERE " CLAIM_IS("c", "u") " AND c.token = u.token"
	    "  AND NOT c.done RETURNING c.kind, c.job, c.key, c.token)"
	    " SELECT u.i FROM u JOIN upd ON " CLAIM_IS("upd", "u")
	    " AND upd.token = u.token";
	struct pg_ledger *p = PGL(l);
	char lease[16];
	size_t i;

	if (n == 0)
		return 0;
	if (pgl_renew_conn(l, err) == -1)
		return -1;
	snprintf(lease, sizeof(lease), "%d", l->lease_s);
	if (claims_update(l, &p->renew_conn, sql, c, n, lease, lost,
	    "cannot renew claims", err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		lost[i] = !lost[i];
	return 0;
}

