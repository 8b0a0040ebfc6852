/*
 * recvjob: one run of a receive job (recvjob.h is its interface): the
 * order of its steps under the job's lock, processing picked-up files
 * (checked against its manifest, the duplicate rule, unpacked, ingested,
 * then finished), one at a time or, for an sqlite target, in groups
 * (group commit, below), and rerun --date.  The other steps are in
 * recv_pickup.c, recv_reconcile.c and recv_files.c (recv_internal.h).
 */
#include "recvjob.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "compress.h"
#include "fault.h"
#include "fsutil.h"
#include "ingest.h"
#include "manifest.h"
#include "missing.h"
#include "pgp.h"
#include "recv_internal.h"
#include "strlist.h"
#include "tz.h"
#include "unpack.h"

/* --- processing one picked-up file ------------------------------------ */

static int
format_of(const struct job *job, const char *name, enum out_format *fmt)
{
	char inner[300];
	size_t n;

	if (job->inbox.format >= 0) {
		*fmt = (enum out_format)job->inbox.format;
		return 0;
	}
	(void)unpack_kind(name, inner, sizeof(inner));
	n = strlen(inner);
	if (n > 4 && strcasecmp(inner + n - 4, ".csv") == 0)
		*fmt = FMT_CSV;
	else if (n > 5 && strcasecmp(inner + n - 5, ".json") == 0)
		*fmt = FMT_JSON;
	else if ((n > 6 && strcasecmp(inner + n - 6, ".jsonl") == 0) ||
	    (n > 7 && strcasecmp(inner + n - 7, ".ndjson") == 0))
		*fmt = FMT_JSONL;
	else
		return -1;
	return 0;
}

void
recv_finish_ok(struct rrun *r, struct recv_file *f, const char *state)
{
	struct log_kv kv = LOG_KV_NONE;
	char ds[BDATE_STRLEN];
	struct xerr e;

	bdate_format(f->date, ds);
	/* recv_reconcile() passes f->state itself: never copy it onto itself. */
	if (state != f->state)
		snprintf(f->state, sizeof(f->state), "%s", state);
	f->transient = 0;
	f->last_error[0] = '\0';
	/* The ledger first: from here on the file is never ingested again,
	 * whatever happens to the move. */
	recv_record(r, f);
	FAULT_POINT("recv_before_backup");
	if (recv_to_backup(r, f, NULL, &e) == -1) {
		/* Not a failed file, but a run that needs a look (a full or
		 * broken backup disk): it exits 1. */
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "backup", NULL,
		    "'%s' is %s but could not be moved to the backup: %s; the "
		    "next run moves it", f->name, state, e.msg);
		return;
	}
	FAULT_POINT("recv_after_backup");
	recv_record(r, f);
	kv.file = f->name;
	kv.records = f->records;
	kv.bytes = f->bytes;
	log_event(r->lg, LOG_INFO, r->job->name, ds, state, &kv, "%s",
	    strcmp(state, ST_DUPLICATE) != 0 ? "" :
	    r->job->ingest.mode == MODE_REPLACE_DATE ? "the same bytes as "
	    "the version applied for the date: backed up, not ingested "
	    "again" : "the same name and bytes were already ingested: "
	    "backed up, not ingested again");
	if (strcmp(state, ST_DUPLICATE) == 0)
		r->out->duplicates++;
	else
		r->out->ingested++;
}

/*
 * The duplicate rule (SPEC.md section 4) from the ledger, for targets
 * that keep no keys of their own (command, none; both append only): the
 * same (name, sha256) was ingested before.  1 with *prev that ingest, 0,
 * -1.
 */
static int
ledger_duplicate(struct rrun *r, const struct recv_file *f,
    struct recv_file *prev, struct xerr *err)
{
	int found;

	if (ledger_recv_find(r->l, r->job->name, f->name, f->sha256,
	    ST_INGESTED, prev, &found, err) == -1)
		return -1;
	return found && prev->id != f->id;
}

/* A picked-up file made ready for its ingest. */
struct prep {
	char *path, *dir, *plain;
	char *clear;		/* decrypted, before unpacking; NULL */
	struct ingest_req req;
};

static void
prep_release(struct prep *p)
{
	if (p->plain)
		unlink(p->plain);
	if (p->clear)
		unlink(p->clear);
	free(p->plain);
	free(p->clear);
	free(p->path);
	free(p->dir);
	memset(p, 0, sizeof(*p));
}

/*
 * decrypt = yes: f (its manifest already checked on the bytes as
 * transferred) decrypted and its signature checked into p->clear, a
 * hidden file beside it named after name (f's name without .pgp).
 * XERR_DATA for a file that does not decrypt or whose signature is not
 * acceptable: it goes to the failed area, nothing of it is ingested.
 */
static int
decrypt(struct rrun *r, const struct recv_file *f, struct prep *p,
    const char *name, struct xerr *err)
{
	struct pgp_decrypt_opts po;
	char signer[PGP_FPR_LEN];
	int fd, rc;

	if (asprintf(&p->clear, "%s/.clear.%s", p->dir, strlen(name) >
	    NAME_MAX - 16 ? name + strlen(name) - (NAME_MAX - 16) : name) ==
	    -1) {
		p->clear = NULL;
		return xerr_nomem(err);
	}
	unlink(p->clear);
	fd = open(p->clear, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return xerr_set(err, XERR_TEMP, errno, "cannot create '%s'",
		    p->clear);
	memset(&po, 0, sizeof(po));
	po.home = r->job->inbox.keyring;
	po.signers = (const char *const *)r->job->inbox.require_signature.v;
	po.nsigners = r->job->inbox.require_signature.n;
	po.max_size = r->job->inbox.max_size;
	rc = pgp_decrypt_file(&po, p->path, fd, f->name, signer, NULL, err);
	if (close(fd) == -1 && rc == 0)
		rc = xerr_set(err, XERR_TEMP, errno, "cannot close '%s'",
		    p->clear);
	if (rc == 0 && signer[0] != '\0') {
		char ds[BDATE_STRLEN];

		bdate_format(f->date, ds);
		log_event(r->lg, LOG_INFO, r->job->name, ds, "decrypted",
		    NULL, "'%s': good signature by %s", f->name, signer);
	}
	return rc;
}

/*
 * Checked against its manifest, the duplicate rule from the ledger (for
 * targets without keys), unpacked: 0 when p->req is ready to ingest, 1
 * when f is finished here (failed, or a duplicate).  p is released by
 * the caller either way.
 */
static int
prepare(struct rrun *r, struct recv_file *f, int force, struct prep *p)
{
	struct ingest_req *req = &p->req;
	struct recv_file prev;
	struct manifest m;
	enum compress_kind kind;
	char inner[300], name[300];
	long long pbytes;
	struct xerr e;
	int k;

	memset(p, 0, sizeof(*p));
	xerr_clear(&e);
	if ((p->path = recv_abs_spool(r, f)) == NULL ||
	    (p->dir = recv_dir_part(p->path)) == NULL) {
		xerr_nomem(&e);
		recv_fail_file(r, f, &e, 1);
		return 1;
	}
	/*
	 * A manifest that is there but unusable (another file's name, no
	 * SHA-256, a FIFO) vouches for nothing: the file must not go in
	 * unverified as if it had none.
	 */
	if ((k = recv_load_manifest(p->dir, f->name, &m, &e)) == -1) {
		recv_fail_file(r, f, &e, e.cls == XERR_TEMP || e.cls == XERR_NOMEM);
		return 1;
	}
	/* A row recorded without the manifest beside the file still gets
	 * the file checked against it. */
	if (k == 1 && !f->manifest_sha256[0]) {
		snprintf(f->manifest_sha256, sizeof(f->manifest_sha256), "%s",
		    m.sha256);
		f->manifest_records = m.records;
	}
	if (f->manifest_sha256[0] && strcmp(f->manifest_sha256, f->sha256)) {
		xerr_set(&e, XERR_DATA, 0, "checksum mismatch: the manifest "
		    "says %.16s..., the file is %.16s...", f->manifest_sha256,
		    f->sha256);
		recv_fail_file(r, f, &e, 0);
		return 1;
	}
	/* A database target decides in its transaction; the others by what
	 * the ledger says was applied. */
	if (!force && !ingest_keeps_keys(r->job)) {
		if ((k = ledger_duplicate(r, f, &prev, &e)) == -1) {
			recv_fail_file(r, f, &e, 1);
			return 1;
		}
		if (k == 1) {
			f->records = prev.records;
			recv_finish_ok(r, f, ST_DUPLICATE);
			return 1;
		}
	}
	/* decrypt = yes: the name without .pgp/.gpg/.asc says the rest. */
	snprintf(name, sizeof(name), "%.*s", r->job->inbox.decrypt ?
	    (int)pgp_strip_suffix(f->name) : (int)strlen(f->name), f->name);
	if (format_of(r->job, name, &req->format) == -1) {
		xerr_set(&e, XERR_DATA, 0, "cannot tell the format of '%s' "
		    "from its name; set format in [inbox]%s", f->name,
		    !r->job->inbox.decrypt && pgp_strip_suffix(f->name) <
		    strlen(f->name) ? " (or decrypt = yes for an OpenPGP "
		    "file)" : "");
		recv_fail_file(r, f, &e, 0);
		return 1;
	}
	req->path = p->path;
	if (r->job->inbox.decrypt) {
		if (decrypt(r, f, p, name, &e) == -1) {
			recv_fail_file(r, f, &e, e.cls == XERR_TEMP ||
			    e.cls == XERR_NOMEM);
			return 1;
		}
		req->path = p->clear;
	}
	kind = unpack_kind(name, inner, sizeof(inner));
	if (kind != COMPRESS_NONE) {
		/* Its name ends as the file's did, within a name's length. */
		if (asprintf(&p->plain, "%s/.plain.%s", p->dir, strlen(inner) >
		    NAME_MAX - 16 ? inner + strlen(inner) - (NAME_MAX - 16) :
		    inner) == -1) {
			p->plain = NULL;
			xerr_nomem(&e);
			recv_fail_file(r, f, &e, 1);
			return 1;
		}
		unlink(p->plain);
		if (unpack_file(kind, req->path, f->name, p->plain,
		    r->job->inbox.max_size, &pbytes, &e) == -1) {
			recv_fail_file(r, f, &e, e.cls == XERR_TEMP ||
			    e.cls == XERR_NOMEM);
			return 1;
		}
		req->path = p->plain;
	}
	req->job = r->job;
	req->orig_path = p->path;
	req->name = f->name;
	req->sha256 = f->sha256;
	req->date = f->date;
	req->expect_records = f->manifest_records;
	req->delivery = f->id;
	req->force = force;
	req->db = &r->db;
	return 0;
}

/*
 * What the ingest (rc, res, records, e) says of f: 1 when it is in, with
 * *state what it is now, 0 when it failed or is to be tried later (done
 * here).
 */
static int
take_result(struct rrun *r, struct recv_file *f, int rc,
    enum ingest_result res, long long records, struct xerr *e,
    const char **state)
{
	if (rc == -1) {
		recv_fail_file(r, f, e, e->cls == XERR_TEMP || e->cls == XERR_NOMEM);
		return 0;
	}
	f->records = records;
	if (res == INGEST_LATER) {
		xerr_set(e, XERR_TEMP, 0, "the ingest command asked to try "
		    "again later (exit status 75)");
		recv_fail_file(r, f, e, 1);
		return 0;
	}
	f->attempts++;
	*state = res == INGEST_DUPLICATE ? ST_DUPLICATE : ST_INGESTED;
	return 1;
}

static void
process(struct rrun *r, struct recv_file *f, int force)
{
	enum ingest_result res;
	long long records = -1;
	const char *state;
	struct prep p;
	struct xerr e;
	int rc;

	if (prepare(r, f, force, &p) == 0) {
		rc = ingest_file(&p.req, &res, &records, r->lg, &e);
		if (take_result(r, f, rc, res, records, &e, &state)) {
			prep_release(&p);
			recv_finish_ok(r, f, state);
		}
	}
	prep_release(&p);
}

/* --- group commit ------------------------------------------------------ */

/*
 * A receive run works on its files in groups: one target transaction
 * (a savepoint a file), one ledger transaction, the backup's renames
 * followed by one fsync a directory, one ledger transaction for where
 * they went.  Each step is what recv_finish_ok() does for one file, in
 * the same order, so a crash anywhere leaves each file of the group in a
 * state recv_reconcile() knows: in the target but not in the ledger
 * (recorded from the target's keys), ingested but still in in/ (moved),
 * in the backup but not recorded there (found by its bytes).
 */
#define RECV_GROUP_FILES	256
#define RECV_GROUP_BYTES	(16LL * 1024 * 1024)

/* What happened to a file of a group. */
enum gstate {
	G_DONE,		/* finished (failed) before its ingest */
	G_LOADED,	/* in the group's transaction */
	G_FAILED,	/* failed in it, rolled back to its savepoint */
	G_SINGLE,	/* to load on its own, after the group */
};

/* The files of a group that are in: to the ledger, the backup, counted. */
static void
finish_group(struct rrun *r, struct recv_file **fs, const char **states,
    int *in, size_t n)
{
	struct strlist dirs = { 0 };
	struct log_kv kv;
	char ds[BDATE_STRLEN], **olds;
	struct xerr e;
	size_t i, j;
	int tx;

	if ((olds = calloc(n, sizeof(*olds))) == NULL) {
		for (i = 0; i < n; i++)
			if (in[i])
				recv_finish_ok(r, fs[i], states[i]);
		return;
	}
	/* The ledger first, in one transaction: from its commit on, the
	 * files are never ingested again, whatever happens to the moves. */
	tx = ledger_begin(r->l, &e) == 0;
	for (i = 0; i < n; i++) {
		if (!in[i])
			continue;
		snprintf(fs[i]->state, sizeof(fs[i]->state), "%s", states[i]);
		fs[i]->transient = 0;
		fs[i]->last_error[0] = '\0';
		recv_record(r, fs[i]);
	}
	FAULT_POINT("recv_group_before_ledger");
	if (tx && ledger_commit(r->l, &e) == -1) {
		ledger_rollback(r->l);
		for (i = 0; i < n; i++) {
			if (!in[i])
				continue;
			r->out->failed++;
			bdate_format(fs[i]->date, ds);
			log_event(r->lg, LOG_ERROR, r->job->name, ds, "ledger",
			    NULL, "'%s' is in the target but the ledger could "
			    "not record it: %s; the next run records it",
			    fs[i]->name, e.msg);
			in[i] = 0;
		}
		goto out;
	}
	/* The points of recv_finish_ok(), once for the group. */
	FAULT_POINT("recv_before_backup");
	/* To the backup: the renames, then each directory fsync'd once. */
	for (i = 0; i < n; i++) {
		if (!in[i])
			continue;
		bdate_format(fs[i]->date, ds);
		if ((olds[i] = recv_abs_spool(r, fs[i])) == NULL)
			xerr_nomem(&e);
		if (olds[i] == NULL || recv_to_backup(r, fs[i], &dirs, &e) ==
		    -1) {
			/* Not a failed file, but a run that needs a look:
			 * it exits 1. */
			r->out->failed++;
			log_event(r->lg, LOG_ERROR, r->job->name, ds, "backup",
			    NULL, "'%s' is %s but could not be moved to the "
			    "backup: %s; the next run moves it", fs[i]->name,
			    states[i], e.msg);
			in[i] = 0;
		}
	}
	FAULT_POINT("recv_group_mid_backup");
	for (j = 0; j < dirs.n; j++) {
		if (fsync_dir(dirs.v[j], &e) == 0)
			continue;
		/* Not durable there: back into in/, for the next run. */
		for (i = 0; i < n; i++) {
			if (!in[i] || strncmp(fs[i]->spool, dirs.v[j],
			    strlen(dirs.v[j])) != 0 ||
			    fs[i]->spool[strlen(dirs.v[j])] != '/')
				continue;
			recv_backup_undo(fs[i], olds[i]);
			in[i] = 0;
			r->out->failed++;
			bdate_format(fs[i]->date, ds);
			log_event(r->lg, LOG_ERROR, r->job->name, ds, "backup",
			    NULL, "'%s' is %s but could not be moved to the "
			    "backup: %s; the next run moves it", fs[i]->name,
			    states[i], e.msg);
		}
	}
	FAULT_POINT("recv_group_after_backup");
	for (i = 0; i < n; i++) {
		if (!in[i] || recv_drop_token(r, olds[i], &e) == 0)
			continue;
		/* Recorded where it was: the next run finds it in the
		 * backup by its bytes and tidies up. */
		snprintf(fs[i]->spool, sizeof(fs[i]->spool), "%s", olds[i]);
		in[i] = 0;
		r->out->failed++;
		bdate_format(fs[i]->date, ds);
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "backup", NULL,
		    "'%s' is %s but could not be moved to the backup: %s; the "
		    "next run moves it", fs[i]->name, states[i], e.msg);
	}
	FAULT_POINT("recv_after_backup");
	/* Where they went, in one transaction. */
	tx = ledger_begin(r->l, &e) == 0;
	for (i = 0; i < n; i++)
		if (in[i])
			recv_record(r, fs[i]);
	if (tx && ledger_commit(r->l, &e) == -1) {
		ledger_rollback(r->l);
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, NULL, "ledger", NULL,
		    "%s; the next run finds the files in the backup", e.msg);
	}
	for (i = 0; i < n; i++) {
		if (!in[i])
			continue;
		bdate_format(fs[i]->date, ds);
		kv = (struct log_kv)LOG_KV_NONE;
		kv.file = fs[i]->name;
		kv.records = fs[i]->records;
		kv.bytes = fs[i]->bytes;
		log_event(r->lg, LOG_INFO, r->job->name, ds, states[i], &kv,
		    "%s", strcmp(states[i], ST_DUPLICATE) != 0 ? "" :
		    r->job->ingest.mode == MODE_REPLACE_DATE ? "the same bytes "
		    "as the version applied for the date: backed up, not "
		    "ingested again" : "the same name and bytes were already "
		    "ingested: backed up, not ingested again");
		if (strcmp(states[i], ST_DUPLICATE) == 0)
			r->out->duplicates++;
		else
			r->out->ingested++;
	}
out:
	for (i = 0; i < n; i++)
		free(olds[i]);
	free(olds);
	strlist_free(&dirs);
}

static void
process_group(struct rrun *r, struct recv_file **fs, size_t n)
{
	struct ingest_group *g = NULL;
	enum ingest_result *res = NULL;
	enum gstate *gs = NULL;
	const char **states = NULL;
	long long *recs = NULL;
	struct xerr *errs = NULL, e;
	struct prep *p = NULL;
	int k, nogroup = 0, *in = NULL;
	size_t i, j;

	if ((p = calloc(n, sizeof(*p))) == NULL ||
	    (res = calloc(n, sizeof(*res))) == NULL ||
	    (gs = calloc(n, sizeof(*gs))) == NULL ||
	    (states = calloc(n, sizeof(*states))) == NULL ||
	    (recs = calloc(n, sizeof(*recs))) == NULL ||
	    (errs = calloc(n, sizeof(*errs))) == NULL ||
	    (in = calloc(n, sizeof(*in))) == NULL) {
		for (i = 0; i < n; i++)
			process(r, fs[i], 0);
		goto out;
	}
	for (i = 0; i < n; i++) {
		xerr_clear(&errs[i]);
		if (prepare(r, fs[i], 0, &p[i]) != 0) {
			gs[i] = G_DONE;
			continue;
		}
		gs[i] = G_SINGLE;
		if (nogroup)
			continue;
		/* Trouble beginning (a busy database): each file meets it
		 * on its own and says so, as without groups. */
		if (g == NULL && ingest_group_begin(&p[i].req, r->lg, &g,
		    &errs[i]) != 1) {
			nogroup = 1;
			continue;
		}
		k = ingest_group_file(g, &p[i].req, &res[i], &recs[i],
		    &errs[i]);
		if (k == 0) {
			gs[i] = G_LOADED;
		} else if (k == -1 && !ingest_group_broken(g)) {
			gs[i] = G_FAILED;
		} else if (k == -1) {
			log_event(r->lg, LOG_WARN, r->job->name, NULL, "group",
			    NULL, "'%s': %s; the group's transaction was rolled "
			    "back: its files are loaded one by one",
			    fs[i]->name, errs[i].msg);
			for (j = 0; j < i; j++)
				if (gs[j] == G_LOADED)
					gs[j] = G_SINGLE;
			nogroup = 1;
		}
	}
	if (g != NULL && !ingest_group_broken(g) && ingest_group_commit(g,
	    &e) == -1) {
		log_event(r->lg, LOG_WARN, r->job->name, NULL, "group", NULL,
		    "%s; the group's files are loaded one by one", e.msg);
		for (i = 0; i < n; i++)
			if (gs[i] == G_LOADED)
				gs[i] = G_SINGLE;
	}
	ingest_group_end(g);
	for (i = 0; i < n; i++) {
		if (gs[i] == G_LOADED)
			in[i] = take_result(r, fs[i], 0, res[i], recs[i],
			    &errs[i], &states[i]);
		else if (gs[i] == G_FAILED)
			(void)take_result(r, fs[i], -1, res[i], recs[i],
			    &errs[i], &states[i]);
		prep_release(&p[i]);
	}
	finish_group(r, fs, states, in, n);
	/* Loaded on their own, after the group, in the order they came. */
	for (i = 0; i < n; i++)
		if (gs[i] == G_SINGLE)
			process(r, fs[i], 0);
out:
	if (p != NULL)
		for (i = 0; i < n; i++)
			prep_release(&p[i]);
	free(p);
	free(res);
	free(gs);
	free(states);
	free(recs);
	free(errs);
	free(in);
}

/* --- rerun ------------------------------------------------------------ */

/* Why a row of the date was left alone, for the summary. */
static void
not_redone(struct rrun *r, const struct recv_file *f, const char *why)
{
	char ds[BDATE_STRLEN];

	bdate_format(f->date, ds);
	log_event(r->lg, LOG_INFO, r->job->name, ds, "rerun", NULL,
	    "not redoing '%s': %s", f->name, why);
	if (strlist_addf(&r->out->notes, "'%s' (sha256 %.12s): %s", f->name,
	    f->sha256[0] ? f->sha256 : "unknown", why) == -1)
		log_event(r->lg, LOG_WARN, r->job->name, ds, "rerun", NULL,
		    "out of memory for the summary");
}

static void
reason_of(const struct recv_file *f, char *out, size_t size)
{
	const char *cut;

	if (strcmp(f->state, ST_INGESTED) == 0)
		snprintf(out, size, "already ingested");
	else if (strcmp(f->state, ST_DUPLICATE) == 0)
		snprintf(out, size, "duplicate: the same bytes as a version "
		    "already in the target");
	else if (strcmp(f->state, ST_SUPERSEDED) == 0) {
		/* "superseded by 'X' (sha256 ...), ...; it had failed: ..." */
		cut = strstr(f->last_error, "; it had failed");
		snprintf(out, size, "%.*s", cut ? (int)(cut - f->last_error) :
		    (int)strlen(f->last_error), f->last_error[0] ?
		    f->last_error : "superseded by a newer version");
	} else if (strcmp(f->state, ST_WAITING) == 0)
		snprintf(out, size, "waiting for its manifest");
	else if (strcmp(f->state, ST_LATE) == 0)
		snprintf(out, size, "late: its manifest has not come");
	else
		snprintf(out, size, "%s", f->state);
}

static int
id_in(const long long *ids, size_t n, long long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* Back from failed/ (or, forced, from the backup) into a new in/TOKEN. */
static int
rerun_fetch(struct rrun *r, struct recv_file *f, int force, struct xerr *err)
{
	char *token = NULL, *dst = NULL, *fdir, *e1, inner[300], en[2][300];
	long long n;
	int k, rc = -1;

	if (recv_new_token_dir(r, "in", &token, err) == -1)
		goto out;
	if ((dst = path_join(token, f->name)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (force) {
		/* Only what recv_to_backup() gzip'd is unpacked: a file that
		 * came as .gz is kept as it came. */
		if (unpack_kind(f->spool, inner, sizeof(inner)) ==
		    COMPRESS_GZIP && unpack_kind(f->name, NULL, 0) ==
		    COMPRESS_NONE) {
			if (unpack_file(COMPRESS_GZIP, f->spool, f->name, dst,
			    r->job->inbox.max_size, &n, err) == -1)
				goto out;
		} else if (copy_file_durable(f->spool, token, f->name,
		    ".xfer-tmp", err) == -1) {
			goto out;
		}
	} else {
		fdir = recv_dir_part(f->spool);
		if (recv_move_file(f->spool, token, f->name, err) == -1) {
			free(fdir);
			goto out;
		}
		/* Its manifest (either kind) goes with it. */
		manifest_names(f->name, en[0], sizeof(en[0]), en[1],
		    sizeof(en[1]));
		for (k = 0; k < 2 && fdir != NULL; k++) {
			if (!en[k][0] || (e1 = path_join(fdir, en[k])) == NULL)
				continue;
			if (access(e1, F_OK) == 0)
				(void)recv_move_file(e1, token, en[k], err);
			free(e1);
		}
		if (fdir)
			remove_tree(fdir, err);
		free(fdir);
	}
	snprintf(f->spool, sizeof(f->spool), "%s", dst);
	rc = 0;
out:
	free(token);
	free(dst);
	return rc;
}

/* Redo one failed or held file (or, forced, a finished one). */
static int
rerun_one(struct rrun *r, struct recv_file *f, int force, struct xerr *err)
{
	char ds[BDATE_STRLEN], *tdir;
	struct manifest m;

	bdate_format(f->date, ds);
	if (!recv_in_spool_in(r, f->spool) && rerun_fetch(r, f, force, err) == -1)
		return -1;
	/* The bytes and manifest as they are: the row vouches for them. */
	recv_fill_from_file(f, f->spool, err);
	f->manifest_sha256[0] = '\0';
	f->manifest_records = -1;
	if ((tdir = recv_dir_part(f->spool)) != NULL && recv_load_manifest(tdir,
	    f->name, &m, err) == 1) {
		snprintf(f->manifest_sha256, sizeof(f->manifest_sha256), "%s",
		    m.sha256);
		f->manifest_records = m.records;
	}
	free(tdir);
	snprintf(f->state, sizeof(f->state), "%s", ST_RECEIVED);
	f->attempts = 0;
	f->transient = 0;
	recv_record(r, f);
	log_event(r->lg, LOG_INFO, r->job->name, ds, "rerun", NULL,
	    "redoing '%s'%s", f->name, force ? " from the backup" : "");
	process(r, f, force);
	return 0;
}

/*
 * rerun --date D, after the date's files in the inbox were picked up and
 * processed (their ids in fresh): the failed and held files of D are done
 * again in the order they came, as if they had not failed (with --force
 * the finished ones too, so the newest ends up applied); what goes in
 * supersedes the older failed versions it replaces.  Everything else of
 * D is left alone, and the summary says why.
 */
static int
rerun_date(struct rrun *r, const long long *fresh, size_t nfresh,
    struct xerr *err)
{
	struct idlist rows = { 0 };
	char ds[BDATE_STRLEN], why[1100];
	struct recv_file f;
	size_t i;
	int redo, force, rc = -1;

	bdate_format(r->o->date, ds);
	if (ledger_recv_each(r->l, r->job->name, NULL, r->o->date, recv_collect,
	    &rows, err) == -1)
		return -1;
	for (i = 0; i < rows.n; i++) {
		f = rows.v[i];
		if (id_in(fresh, nfresh, f.id)) {
			/* Picked up by this run: counted as it went. */
			if (strcmp(f.state, ST_DUPLICATE) == 0) {
				reason_of(&f, why, sizeof(why));
				not_redone(r, &f, why);
			}
			continue;
		}
		redo = strcmp(f.state, ST_FAILED) == 0 ||
		    strcmp(f.state, ST_HELD) == 0;
		force = 0;
		if (!redo && r->o->force && (strcmp(f.state, ST_INGESTED) == 0
		    || strcmp(f.state, ST_DUPLICATE) == 0)) {
			if (ingest_keeps_keys(r->job) &&
			    r->job->ingest.mode == MODE_APPEND) {
				log_event(r->lg, LOG_ERROR, r->job->name, ds,
				    "rerun-refused", NULL, "not re-ingesting "
				    "'%s': mode = append would duplicate its "
				    "rows (use mode = replace-date)", f.name);
				r->out->skipped++;
				not_redone(r, &f, "not re-ingested: mode = "
				    "append would duplicate its rows");
				continue;
			}
			redo = force = 1;
		}
		if (!redo) {
			r->out->skipped++;
			reason_of(&f, why, sizeof(why));
			not_redone(r, &f, why);
			continue;
		}
		if (r->o->dry_run) {
			printf("%s %s: would redo '%s' (%s)\n", r->job->name,
			    ds, f.name, f.state);
			continue;
		}
		if (rerun_one(r, &f, force, err) == -1) {
			log_event(r->lg, LOG_ERROR, r->job->name, ds, "rerun",
			    NULL, "%s", err->msg);
			goto out;
		}
	}
	/* What went in may supersede older versions that failed again. */
	if (!r->o->dry_run && recv_supersede(r, err) == -1)
		goto out;
	rc = 0;
out:
	free(rows.v);
	return rc;
}

/* --- the run ---------------------------------------------------------- */

int
recv_collect(void *ctx, const struct recv_file *f, struct xerr *err)
{
	struct idlist *l = ctx;
	struct recv_file *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return xerr_nomem(err);
		l->v = v;
	}
	l->v[l->n++] = *f;
	return 0;
}

static int
want_retry(void *ctx, const struct recv_file *f, struct xerr *err)
{
	(void)err;
	if ((strcmp(f->state, ST_RECEIVED) == 0 ||
	    (strcmp(f->state, ST_FAILED) == 0 && f->transient)))
		return recv_collect(ctx, f, err);
	return 0;
}

/*
 * A transient failure is not retried when a newer version of its name
 * (with replace-date: its date) waits in the same run: that one is the
 * partner's last word, and supersedes it once it goes in.
 */
static int
newer_waiting(struct rrun *r, const struct idlist *todo, size_t i)
{
	const struct recv_file *f = &todo->v[i], *n;
	size_t j;

	if (strcmp(f->state, ST_FAILED) != 0)
		return 0;
	for (j = i + 1; j < todo->n; j++) {
		n = &todo->v[j];
		if (strcmp(n->state, ST_RECEIVED) == 0 && (r->job->ingest.mode
		    == MODE_REPLACE_DATE ? n->date == f->date :
		    strcmp(n->name, f->name) == 0))
			return 1;
	}
	return 0;
}

/*
 * The files to ingest, in the order they came: in groups when the target
 * can take many in one transaction (ingest_group_begin()), else one by
 * one.  Their ids go to fresh (rerun) when it is not NULL.
 */
static int
process_todo(struct rrun *r, struct idlist *todo, long long *fresh,
    size_t *nfresh, struct xerr *err)
{
	struct recv_file **group;
	long long bytes = 0;
	size_t i, n = 0;
	int grouped = r->job->ingest.type == INGEST_SQLITE;

	if ((group = calloc(RECV_GROUP_FILES, sizeof(*group))) == NULL)
		return xerr_nomem(err);
	for (i = 0; i < todo->n; i++) {
		if (!recv_in_spool_in(r, todo->v[i].spool) ||
		    newer_waiting(r, todo, i))
			continue;
		if (fresh != NULL)
			fresh[(*nfresh)++] = todo->v[i].id;
		if (!grouped) {
			process(r, &todo->v[i], 0);
			continue;
		}
		group[n++] = &todo->v[i];
		bytes += todo->v[i].bytes > 0 ? todo->v[i].bytes : 0;
		if (n == RECV_GROUP_FILES || bytes >= RECV_GROUP_BYTES) {
			process_group(r, group, n);
			n = 0;
			bytes = 0;
		}
	}
	if (n > 0)
		process_group(r, group, n);
	free(group);
	return 0;
}

int
recv_process(struct rrun *r, struct idlist *todo, struct xerr *err)
{
	return process_todo(r, todo, NULL, NULL, err);
}

/*
 * The files of the spool to ingest (received, or failed for a reason
 * that passes), in the order they came; with rerun, those of its date
 * (their ids into *fresh, which grows).
 */
static int
process_spool(struct rrun *r, long long **fresh, size_t *nfresh,
    struct xerr *err)
{
	const struct recv_opts *o = r->o;
	struct idlist todo = { 0 };
	long long *grown;
	int rc = -1;

	if (ledger_recv_each(r->l, r->job->name, o->rerun ? ST_RECEIVED : NULL,
	    o->rerun ? o->date : -1, want_retry, &todo, err) == -1)
		goto out;
	if (o->rerun && todo.n > 0) {
		if ((grown = reallocarray(*fresh, *nfresh + todo.n,
		    sizeof(*grown))) == NULL) {
			xerr_nomem(err);
			goto out;
		}
		*fresh = grown;
	}
	rc = process_todo(r, &todo, o->rerun ? *fresh : NULL, nfresh, err);
out:
	free(todo.v);
	return rc;
}

int
recv_job_run(const struct job *job, const struct spool *sp,
    struct ledger *l, const struct recv_opts *o, struct recv_outcome *out,
    const struct log *lg, struct xerr *err)
{
	struct rrun r = { job, sp, l, o, out, lg, NULL, 0, 0, { NULL, NULL },
	    { NULL, 0, 0 } };
	struct missing_dates expected = { NULL, 0 };
	long long *fresh = NULL, *grown;
	int lockfd = -1, k, rc = -1, judge = 0;
	size_t nfresh = 0, i;
	/* A fleet pulling from one remote inbox: see recv_pick_up_remote(). */
	int fleet = ledger_is_shared(l) && job->inbox.url != NULL;

	memset(out, 0, sizeof(*out));
	if (tz_use(job->timezone, err) == -1)
		return -1;
	if (!o->lock_held) {
		if ((k = spool_lock(sp, job->name, &lockfd, err)) == -1)
			return -1;
		if (k == 1) {
			out->locked = 1;
			return 0;
		}
	}
	if ((r.jobdir = spool_path(sp, job->name, NULL, -1)) == NULL) {
		xerr_nomem(err);
		goto done;
	}
	if (spool_job_prepare(sp, job->name, err) == -1)
		goto done;
	/* Superseded before anything is retried (see recv_supersede()). */
	if (!o->dry_run && (spool_clean_tmp(sp, job->name, err) == -1 ||
	    recv_reconcile(&r, err) == -1 || recv_supersede(&r, err) == -1))
		goto done;
	/* expect: what is missing before this run's files, judged again
	 * after them (even when the pick-up fails: the file is not in).
	 * Trouble here fails the run but does not keep files out. */
	if (!o->dry_run && !o->rerun) {
		struct xerr e;

		if (missing_recv_begin(l, job, o->now, &expected, &e) == -1) {
			out->failed++;
			log_event(lg, LOG_ERROR, job->name, NULL, "missing",
			    NULL, "cannot check the expected files: %s",
			    e.msg);
		}
		judge = 1;
	}
	/*
	 * rerun --date D picks up D's files first, as receive would.  In a
	 * fleet, the pick-up ingests each chunk it pulls (so the files this
	 * host's spool already holds go first, and are not tried twice).
	 */
	if (fleet && !o->dry_run && process_spool(&r, &fresh, &nfresh, err) ==
	    -1)
		goto done;
	if ((job->inbox.path ? recv_pick_up_local(&r, err) :
	    recv_pick_up_remote(&r, err)) == -1)
		goto done;
	recv_settle_report(&r);
	if (!fleet && !o->dry_run && process_spool(&r, &fresh, &nfresh, err) ==
	    -1)
		goto done;
	if (o->rerun && r.pulled.n > 0) {
		if ((grown = reallocarray(fresh, nfresh + r.pulled.n,
		    sizeof(*grown))) == NULL) {
			xerr_nomem(err);
			goto done;
		}
		fresh = grown;
		for (i = 0; i < r.pulled.n; i++)
			fresh[nfresh++] = r.pulled.v[i].id;
	}
	if (!o->dry_run && recv_supersede(&r, err) == -1)
		goto done;
	if (o->rerun && rerun_date(&r, fresh, nfresh, err) == -1)
		goto done;
	if (!o->dry_run) {
		recv_tidy_superseded(&r);
		recv_prune_backups(&r);
	}
	rc = 0;
done:
	if (judge)
		missing_recv_end(l, job, o->now, &expected, lg, &out->missing);
	missing_dates_free(&expected);
	free(fresh);
	free(r.pulled.v);
	free(r.jobdir);
	dbsession_close(&r.db);
	spool_unlock(lockfd);
	return rc;
}

void
recv_outcome_release(struct recv_outcome *out)
{
	strlist_free(&out->notes);
}
