/*
 * job_enc: the keys that say how a partner's text is written, checked
 * into struct job: encoding (utf-8, cp949, euc-kr) of [source], [output]
 * and [inbox], unmappable (error, replace) of [output], and quotes
 * (strict, lenient) of a CSV [source] or [inbox].
 *
 * Each is refused where it would silently do nothing or do harm: an
 * encoding for a database source (its text is UTF-8 already) or for
 * format = json (JSON is UTF-8 by definition, RFC 8259), unmappable
 * with a UTF-8 output (UTF-8 holds every character), quotes for a
 * format that is not CSV.
 * Internal to the job file modules; job_internal.h is its interface.
 */
#include "job_internal.h"

#include "textenc.h"

#define ENCODINGS	"utf-8, cp949 or euc-kr"

static const char *const quote_modes[] = { "strict", "lenient", NULL };

/* Key k as an encoding into *out; -1 when not set or not one. */
static int
encoding(struct loader *ld, enum key k, enum text_encoding *out)
{
	const char *v = jf_val(ld, k);

	if (v == NULL)
		return -1;
	if (textenc_parse(v, out) == -1) {
		jf_bad(ld, k, "'%s' is not an encoding xfer knows: expected "
		    ENCODINGS, v);
		return -1;
	}
	return 0;
}

/* quotes = lenient into *lenient. */
static void
quotes(struct loader *ld, enum key k, int *lenient)
{
	int n;

	if (jf_choose(ld, k, quote_modes, &n) == 0)
		*lenient = n == 1;
}

void
jf_check_source_enc(struct loader *ld, int type, const char *const *names)
{
	struct job_source *src = &ld->job->source;
	enum text_encoding enc;

	if (type >= 0 && type != SRC_CSV && type != SRC_JSONL &&
	    type != SRC_COMMAND && jf_val(ld, K_SRC_ENCODING) != NULL)
		jf_bad(ld, K_SRC_ENCODING, "not used with type = %s (only with "
		    "type = csv, jsonl or command; a database's text is "
		    "UTF-8)", names[type]);
	if (encoding(ld, K_SRC_ENCODING, &enc) == 0)
		src->encoding = enc;
	if (jf_val(ld, K_SRC_QUOTES) != NULL && type >= 0 &&
	    type != SRC_CSV && !(type == SRC_COMMAND &&
	    src->format == FMT_CSV))
		jf_bad(ld, K_SRC_QUOTES, "only used with CSV input (type = csv, "
		    "or type = command with format = csv)");
	quotes(ld, K_SRC_QUOTES, &src->lenient_quotes);
}

void
jf_check_output_enc(struct loader *ld)
{
	struct job_output *out = &ld->job->output;
	enum text_encoding enc;
	int n;

	if (encoding(ld, K_OUT_ENCODING, &enc) == 0) {
		if (out->format == FMT_JSON && enc != TEXTENC_UTF8)
			jf_bad(ld, K_OUT_ENCODING, "format = json is always "
			    "UTF-8 (RFC 8259); %s is for csv, jsonl, xml or "
			    "fixed", textenc_name(enc));
		else
			out->encoding = enc;
	}
	if (jf_val(ld, K_OUT_UNMAPPABLE) != NULL &&
	    out->encoding == TEXTENC_UTF8) {
		jf_bad(ld, K_OUT_UNMAPPABLE, "only used with encoding = cp949 "
		    "or euc-kr (UTF-8 holds every character)");
		return;
	}
	if (jf_choose(ld, K_OUT_UNMAPPABLE, (const char *const[]){ "error",
	    "replace", NULL }, &n) == 0)
		out->unmappable_replace = n == 1;
}

void
jf_check_inbox_enc(struct loader *ld, int fmt)
{
	struct job_inbox *in = &ld->job->inbox;
	enum text_encoding enc;

	if (encoding(ld, K_IN_ENCODING, &enc) == 0) {
		if (fmt == FMT_JSON && enc != TEXTENC_UTF8)
			jf_bad(ld, K_IN_ENCODING, "format = json is always "
			    "UTF-8 (RFC 8259)%s; encoding is for csv, jsonl, "
			    "xml or fixed", in->format < 0 ? " (the format "
			    "comes from the pattern's extension)" : "");
		else
			in->encoding = enc;
	}
	if (jf_val(ld, K_IN_QUOTES) != NULL && fmt >= 0 && fmt != FMT_CSV)
		jf_bad(ld, K_IN_QUOTES, "only used with format = csv%s",
		    in->format < 0 ? " (the format comes from the pattern's "
		    "extension)" : "");
	quotes(ld, K_IN_QUOTES, &in->lenient_quotes);
}
