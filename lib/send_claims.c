/*
 * send_claims: the claims a send run takes on a shared ledger (SPEC.md
 * section 9): one per date, taken before the date is touched, released
 * when its group is done; a claim taken over stops its batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "send_internal.h"

/* Does the row b come from another node of the fleet? */
int
send_other_node(const struct run *r, const struct send_batch *b)
{
	return r->claims && strcmp(b->node, ledger_node(r->l)) != 0;
}

/*
 * The claim of date was taken over (XERR_STALE): this host stalled past
 * its lease.  The batch stops here with nothing more recorded (any update
 * would be refused too); the run fails, for a cron mail.  Who has it now
 * is the row's last writer as far as the ledger says.
 */
void
send_claim_lost(struct run *r, bdate_t date, const struct xerr *e)
{
	char ds[BDATE_STRLEN], holder[LEDGER_NODE_MAX + 8];
	struct send_batch b;
	struct xerr e2;
	int found = 0;

	bdate_format(date, ds);
	snprintf(holder, sizeof(holder), "%s", "another node");
	if (ledger_send_get(r->l, r->job->name, date, &b, &found, &e2) == 0 &&
	    found && b.node[0] != '\0' && send_other_node(r, &b))
		snprintf(holder, sizeof(holder), "node '%s'", b.node);
	r->out->lost++;
	log_event(r->lg, LOG_ERROR, r->job->name, ds, "claim-lost", NULL,
	    "claim lost: %s took over %s %s; this node changed nothing (%s)",
	    holder, r->job->name, ds, e->msg);
}

/* Is this node's claim of date still live, as far as it knows?  (1 on
 * a ledger without claims.)  Asked before each step that would move the
 * batch on. */
int
send_claim_held(struct run *r, bdate_t date)
{
	char ds[BDATE_STRLEN];

	if (!r->claims)
		return 1;
	bdate_format(date, ds);
	return ledger_claim_held(r->l, CLAIM_SEND, r->job->name, ds);
}

/* The error of a step refused because the claim was lost. */
int
send_stale_err(struct run *r, bdate_t date, struct xerr *err)
{
	char ds[BDATE_STRLEN];

	bdate_format(date, ds);
	return xerr_set(err, XERR_STALE, 0, "ledger %s: the claim of %s %s "
	    "by node '%s' was taken over", ledger_name(r->l), r->job->name,
	    ds, ledger_node(r->l));
}

void
send_claim_init(struct run *r, struct ledger_claim *c, bdate_t date)
{
	memset(c, 0, sizeof(*c));
	c->kind = CLAIM_SEND;
	snprintf(c->job, sizeof(c->job), "%s", r->job->name);
	bdate_format(date, c->key);
}

/* Another node works on c's date: skipped, not a failure (said at debug
 * level for the dates a run picks itself, at info for those asked for). */
void
send_claim_busy(struct run *r, const struct ledger_claim *c, int asked)
{
	char until[64];

	tz_format_iso((time_t)c->lease_until, until, sizeof(until));
	log_event(r->lg, asked ? LOG_INFO : LOG_DEBUG, r->job->name, c->key,
	    "claimed", NULL, "claimed by node '%s' until %s: skipped",
	    c->holder, until);
}

/*
 * Give up n claims: the live ones in one call (their leases end now, any
 * node may take the dates); the ones found lost in another, which only
 * forgets them (the ledger refuses their tokens).  A failure leaves the
 * leases to expire: logged, never a batch failure.
 */
void
send_claims_release(struct run *r, struct ledger_claim *c, size_t n)
{
	struct ledger_claim *lost;
	size_t i, k = 0, nlost = 0;
	struct xerr e;

	if (!r->claims || n == 0)
		return;
	if ((lost = calloc(n, sizeof(*lost))) == NULL) {
		(void)ledger_release(r->l, c, n, 0, &e);
		return;
	}
	for (i = 0; i < n; i++) {
		if (c[i].state != CLAIM_OURS)
			continue;
		if (ledger_claim_held(r->l, c[i].kind, c[i].job, c[i].key))
			c[k++] = c[i];
		else
			lost[nlost++] = c[i];
	}
	xerr_clear(&e);
	if (ledger_release(r->l, c, k, 0, &e) == -1 && e.cls != XERR_STALE)
		log_event(r->lg, LOG_WARN, r->job->name, NULL, "ledger", NULL,
		    "cannot release %zu claim%s (their leases expire): %s", k,
		    k == 1 ? "" : "s", e.msg);
	(void)ledger_release(r->l, lost, nlost, 0, &e);
	free(lost);
}
