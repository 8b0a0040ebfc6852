/*
 * job_xml: the element names of format = xml, [output] and [inbox]
 * xml_root, xml_record and xml_fields.  Internal to the job file modules;
 * job_internal.h is its interface.
 *
 * The names must be XML names (xmlname.h), checked when the job loads,
 * not when the first batch is written; the root and the record must be
 * different elements, so that a reader never has to guess which one it
 * is in.  With any other format the keys are refused, like the CSV keys
 * with format = json.
 */
#include "job_internal.h"

#include <string.h>
#include <strings.h>

#include "layout.h"
#include "xmlname.h"

static const char *const field_modes[] = { "elements", "attributes", NULL };

/* name ends in .xml, maybe inside .gz or .zip. */
static int
xml_ext(const char *name)
{
	size_t len = strlen(name);

	if (len > 3 && strcasecmp(name + len - 3, ".gz") == 0)
		len -= 3;
	else if (len > 4 && strcasecmp(name + len - 4, ".zip") == 0)
		len -= 4;
	return len > 4 && strncasecmp(name + len - 4, ".xml", 4) == 0;
}

/*
 * XML is never guessed from a name (its element names have to be said
 * anyway), but a name ending in .xml with no format at all is a mistake
 * caught here: a CSV file called .xml, or an inbox that fails every file.
 */
static void
check_unsaid(struct loader *ld, int send)
{
	const struct job *job = ld->job;
	enum key k = send ? K_OUT_NAME : K_IN_PATTERN;
	const char *name = send ? job->output.name : job->inbox.pattern;

	if (name == NULL || jf_is_set(ld, send ? K_OUT_FORMAT : K_IN_FORMAT) ||
	    !xml_ext(name))
		return;
	jf_problem(ld, ld->ent[k].line, "key '%s': '%s' ends in .xml, but "
	    "XML is never taken from a name: say format = xml (or another "
	    "format)", jf_keydefs[k].name, name);
}

static void
xml_name_key(struct loader *ld, enum key k, const char *dflt, char **out)
{
	const char *v = jf_val(ld, k);

	if (v != NULL && !xml_name_ok(v, strlen(v))) {
		jf_bad(ld, k, "'%s' is not an XML element name (a letter or "
		    "'_', then letters, digits, '_', '-' or '.'; no ':')", v);
		v = NULL;
	}
	*out = jf_dup(ld, v != NULL ? v : dflt);
}

/*
 * [header] and [trailer] are the elements <header> and <trailer>: their
 * field names become element or attribute names, and no record may be
 * called like them.
 */
static void
check_parts(struct loader *ld, enum key krec, const struct job_xml *x)
{
	const struct job_layouts *ls = ld->job->layouts;
	const struct layout_field *f;
	enum layout_part p;
	size_t i;

	if (ls == NULL)
		return;
	for (p = LAYOUT_HEADER; p <= LAYOUT_TRAILER; p++) {
		if (p == LAYOUT_RECORD || !layout_has(ls, p))
			continue;
		if (x->record != NULL && strcmp(x->record, layout_part_name(p))
		    == 0)
			jf_bad(ld, krec, "'%s' is the element of [%s]; the "
			    "records need another name", x->record,
			    layout_part_name(p));
		for (i = 0; i < ls->part[p].n; i++) {
			f = &ls->part[p].f[i];
			if (!xml_name_ok(f->name, strlen(f->name)))
				jf_problem(ld, f->line, "[%s] '%s': not an XML "
				    "name, which format = xml needs for a "
				    "field", layout_part_name(p), f->name);
		}
	}
}

void
jf_check_xml(struct loader *ld, int send, int format, struct job_xml *x)
{
	const enum key kroot = send ? K_OUT_XML_ROOT : K_IN_XML_ROOT;
	const enum key krec = send ? K_OUT_XML_RECORD : K_IN_XML_RECORD;
	const enum key kfields = send ? K_OUT_XML_FIELDS : K_IN_XML_FIELDS;
	const enum key keys[] = { kroot, krec, kfields };
	const char *dc;
	size_t i;
	int n;

	if (format != FMT_XML) {
		check_unsaid(ld, send);
		for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
			if (jf_val(ld, keys[i]) != NULL)
				jf_bad(ld, keys[i], "only used with "
				    "format = xml");
		return;
	}
	xml_name_key(ld, kroot, "records", &x->root);
	xml_name_key(ld, krec, "record", &x->record);
	if (x->root != NULL && x->record != NULL &&
	    strcmp(x->root, x->record) == 0)
		jf_bad(ld, krec, "must differ from xml_root ('%s')", x->root);
	if (jf_choose(ld, kfields, field_modes, &n) == 0)
		x->attributes = n == 1;
	check_parts(ld, krec, x);
	/* The other column names come with the data; this one is here. */
	dc = send ? ld->job->output.date_column : NULL;
	if (dc != NULL && !xml_name_ok(dc, strlen(dc)))
		jf_problem(ld, ld->ent[K_OUT_DATE_COLUMN].line, "key "
		    "'date_column': '%s' is not an XML name, which format = "
		    "xml needs for a column", dc);
}
