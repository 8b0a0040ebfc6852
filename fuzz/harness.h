/*
 * harness: what each fuzz target does with one input, without libFuzzer,
 * so that tests/unit/test_fuzz_regressions.c replays every saved input
 * through exactly the code the fuzzer ran (built with gcc by `make`).
 *
 * Besides "no crash, no leak, no sanitizer report", each entry checks
 * properties that must hold for any input: a record's values end in a
 * NUL, line numbers never go back, a reader gives the same records
 * whether the input comes in one read or in pieces, csvin's fast path
 * and libcsv agree, a pattern matches its own expansion, and so on.
 * Returns 0, or -1 after printing to stderr which property broke.
 */
#ifndef XFER_FUZZ_HARNESS_H
#define XFER_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* lib/job.c job_load() of the input as jobs/fuzz.job. */
int fuzz_job(const uint8_t *data, size_t size);
/* lib/ini.c ini_parse_buffer(). */
int fuzz_ini(const uint8_t *data, size_t size);
/* lib/format/csvin.c, four delimiters, a projection, given names, a small
 * max_field; the fast path against libcsv alone. */
int fuzz_csv(const uint8_t *data, size_t size);
/* lib/format/jsonlin.c JSON Lines and JSON arrays, with and without a
 * projection and with a small max_line. */
int fuzz_jsonl(const uint8_t *data, size_t size);
int fuzz_jsonarr(const uint8_t *data, size_t size);
/* lib/manifest.c manifest_read() of the input as data.csv.sha256 and as
 * data.csv.manifest.json. */
int fuzz_manifest(const uint8_t *data, size_t size);
/* lib/fsutil.c name_is_plain() and lib/pattern.c; the input is
 * "PATTERN\0NAME\0JOB" (NAME defaults to PATTERN, JOB to "sales"). */
int fuzz_names(const uint8_t *data, size_t size);
/* lib/transport/dest_curl.c remote_listing_parse(), as SFTP and as HTTPS. */
int fuzz_listing(const uint8_t *data, size_t size);
/* lib/db/sqlparam.c, both placeholder styles. */
int fuzz_sqlparam(const uint8_t *data, size_t size);
/* lib/db/pgtext.c: COPY escaping (round trip), timestamps, json made
 * compact (idempotent), COPY's line in an error context. */
int fuzz_pgtext(const uint8_t *data, size_t size);
/* lib/db/myconn.c myurl_parse(). */
int fuzz_myurl(const uint8_t *data, size_t size);
/* lib/format/fixedin.c: a small bank layout with and without header and
 * trailer, every record_end, CP949/UTF-8/EUC-KR, whole and in pieces;
 * and CSV with header and trailer lines. */
int fuzz_fixed(const uint8_t *data, size_t size);
/* lib/format/layout.c: lines "H|R|T name=spec"; a layout that passes the
 * checks writes a header, a record and a trailer it reads back. */
int fuzz_layout(const uint8_t *data, size_t size);
/* lib/format/xmlin.c, elements and attributes, whole and in pieces, a
 * small max_record and a want list, and with a [header] and [trailer];
 * what reads well is written by the XML writer and must read back the
 * same. */
int fuzz_xml(const uint8_t *data, size_t size);

struct fuzz_target {
	const char *name;	/* fuzz/fuzz_NAME.c, fuzz/corpus/NAME/ */
	int (*fn)(const uint8_t *data, size_t size);
};

/* Every target, ended by { NULL, NULL }. */
extern const struct fuzz_target fuzz_targets[];

/* Remove the temporary directory of the file-based targets (also run at
 * exit; calling it again is harmless). */
void fuzz_cleanup(void);

#endif
