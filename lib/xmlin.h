/*
 * xmlin: stream an XML batch file (format = xml) into records, through
 * expat.
 *
 * The shape xfer writes and reads (xmlout in writer.c):
 *
 *   <records>                                  xml_root (its attributes
 *     <record><id>1</id><note/></record>       are not read: xmlns ...)
 *     <record id="2" note=""/>                 xml_fields = attributes
 *   </records>
 *
 * Records are the children of the root named xml_record; any other child
 * is an error.  Fields are the record's child elements, text only (a
 * nested element, an attribute on a field, or text beside the fields is
 * an error, never dropped), or its attributes.  A field named twice in a
 * record is an error.  The first record's fields fix the columns, in its
 * order (or want does); a later record with a field they lack is an
 * error, one without a field has NULL there.  Every value is VAL_TEXT,
 * exactly the element's text (entities and CDATA resolved, nothing
 * trimmed); an absent field is VAL_NULL.  Comments and processing
 * instructions are skipped.
 *
 * Refused, so that no file can make us read another file, reach the
 * network or expand entities: any DOCTYPE ("DOCTYPE not allowed"), hence
 * every DTD, entity declaration, parameter entity and external entity.
 * The file is decoded from its encoding (text_reader) before expat sees
 * it; a declaration naming another encoding than the job's is an error.
 * Memory stays bounded: a record (its values, and the first record's
 * field names) or any single token over max_record bytes, or a record of
 * more than 4096 fields, is an error; fields are found by a hash of
 * their names, so no order of them costs more than one look-up each.
 * Errors name the file, line and column.
 */
#ifndef XFER_XMLIN_H
#define XFER_XMLIN_H

#include <stddef.h>

#include "bdate.h"
#include "job.h"
#include "record.h"
#include "textenc.h"
#include "xerr.h"

struct xmlin_opts {
	const char *root;		/* NULL: "records" */
	const char *record;		/* NULL: "record" */
	int attributes;			/* fields are the record's attributes */
	enum text_encoding encoding;	/* the file's */
	/* The columns, in this order (NULL: the first record's fields). */
	const char *const *want;
	size_t nwant;
	size_t max_record;		/* bytes; 0 means 64 MiB */
	/*
	 * [header] and [trailer] (layout.h; NULL: none): <header> must be
	 * the root's first element and <trailer> its last, their fields
	 * those of the layout (a filler may be left out); each is checked
	 * with layout_verify(), the trailer against the records before it.
	 */
	const struct job_layouts *layouts;
	bdate_t date;			/* the batch date */
	int has_date;			/* ... came from the file's name */
};

/* Read everything from fd (not closed); label names it in messages. */
int xmlin_read_fd(int fd, const char *label, const struct xmlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err);

/* The same over a UTF-8 document in memory, handed to expat in pieces of
 * chunk bytes (0: all at once): for tests and the fuzzer. */
int xmlin_read_mem(const char *data, size_t len, size_t chunk,
    const char *label, const struct xmlin_opts *o, record_fn fn, void *ctx,
    struct xerr *err);

#endif
