/*
 * aggregate: group records and compute count, exact sums, min and max.
 *
 * Memory grows with the number of groups, never with the number of
 * records.  Groups come out sorted bytewise by their key (field by field),
 * so the same records always give the same output.
 *
 * Output columns, in order: the group_by fields (their names and kinds as
 * read), then count (VAL_NUMBER), then each sum field under its own name,
 * then min_F and max_F (all VAL_NUMBER).  An empty value adds nothing to a
 * sum and is ignored by min/max; a group with no values gets an empty
 * VAL_NULL for min/max and "0" for a sum.  Any other non-number fails with
 * "FILE:LINE: value 'x' in 'F' is not a number".
 *
 * Every sum, min and max is printed in plain notation ("1e1" becomes "10")
 * and a column never mixes numbers of decimals: with the spec's scale set,
 * each value has exactly that many (rounded by the spec's rounding; with
 * DECIMAL_EXACT a value that would lose a digit fails agg_emit() before
 * the first group is handed on); without it, each value has the most
 * decimals of any value of the column's input field in the whole batch
 * ("17.70" beside "12.20", never "17.7").  Nothing is rounded then.
 */
#ifndef XFER_AGGREGATE_H
#define XFER_AGGREGATE_H

#include <stddef.h>

#include "decimal.h"
#include "record.h"
#include "xerr.h"

struct agg_spec {
	const char *const *group_by;	size_t ngroup_by;
	const char *count;		/* NULL: no count column */
	const char *const *sum;		size_t nsum;
	const char *const *min;		size_t nmin;
	const char *const *max;		size_t nmax;
	int scale_set;			/* 0: no fixed scale (see above) */
	int scale;			/* decimals of every sum/min/max, 0..DECIMAL_MAX_SCALE */
	enum decimal_rounding rounding;	/* how a value loses decimals */
};

struct agg;

/* NULL on allocation failure.  The spec's strings must outlive the agg. */
struct agg *agg_new(const struct agg_spec *spec);
void agg_free(struct agg *a);

/*
 * The distinct input fields the aggregation reads, in the order agg_add()
 * expects them in a record (a field named in several roles appears once).
 * Valid until agg_free().
 */
const char *const *agg_input_fields(const struct agg *a, size_t *n);

/* Add one record whose values are in agg_input_fields() order. */
int agg_add(struct agg *a, const struct record *rec, struct xerr *err);

size_t agg_ngroups(const struct agg *a);

/* The output column names (valid until agg_free()). */
const char *const *agg_output_names(const struct agg *a, size_t *n);

/* Hand every group to fn as one record, sorted by key.  Fails (XERR_DATA)
 * before handing on anything when a value needs rounding under
 * DECIMAL_EXACT. */
int agg_emit(struct agg *a, record_fn fn, void *ctx, struct xerr *err);

#endif
