/*
 * test_fixed: the fixed-width writer (fixedout) and the readers of laid
 * out files (fixedin: fixed, and CSV with header and trailer lines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixedin.h"
#include "format/fixedout.h"
#include "layout.h"

static struct job_layouts *
make(const char *const *lines, enum record_end re, enum text_encoding enc,
    int send)
{
	struct layout_use u = { FMT_FIXED, re, enc, send };
	struct job_layouts *ls = layouts_new();
	enum layout_part p = LAYOUT_RECORD;
	char name[64], why[256];
	const char *eq;
	size_t i;

	assert_non_null(ls);
	for (i = 0; lines[i] != NULL; i++) {
		if (strcmp(lines[i], "[csv]") == 0)
			continue;
		if (lines[i][0] == '[') {
			p = lines[i][1] == 'h' ? LAYOUT_HEADER :
			    lines[i][1] == 't' ? LAYOUT_TRAILER :
			    LAYOUT_RECORD;
			layouts_section(ls, p, (unsigned)i + 1);
			continue;
		}
		eq = strchr(lines[i], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - lines[i]),
		    lines[i]);
		if (layouts_add(ls, p, name, eq + 1, (unsigned)i + 1, why,
		    sizeof(why)) != 0)
			fail_msg("%s: %s", lines[i], why);
	}
	if (lines[0][1] != 'c')	/* "[csv]": checked by the caller */
		assert_int_equal(layouts_check(ls, &u, NULL, NULL), 0);
	return ls;
}

static const char *const names2[] = { "id", "name" };

/* One data record of (id, name) through fo; its bytes into out. */
static int
row(struct fixedout *fo, unsigned long n, const char *id, const char *name,
    struct buf *out, struct xerr *err)
{
	struct value v[2] = { { id, strlen(id), VAL_TEXT },
		{ name, strlen(name), VAL_TEXT } };
	struct record rec;

	memset(&rec, 0, sizeof(rec));
	rec.n = 2;
	rec.vals = v;
	rec.names = names2;
	rec.file = "in.csv";
	rec.recno = n;
	rec.line = n + 1;
	return fixedout_row(fo, &rec, n, out, err);
}

static void
test_cp949_byte_widths(void **state)
{
	static const char *const l[] = { "[record]", "id=2 number",
		"name=6 text truncate", NULL };
	static const char *const l2[] = { "[record]", "id=2 number",
		"name=6 text right", NULL };
	struct fixedout_opts o;
	struct job_layouts *ls;
	struct fixedout *fo;
	struct xerr err;
	struct buf b;

	(void)state;
	ls = make(l, RECORD_END_LF, TEXTENC_CP949, 1);
	memset(&o, 0, sizeof(o));
	o.layouts = ls;
	o.encoding = TEXTENC_CP949;
	o.record_end = RECORD_END_LF;
	fo = fixedout_new(&o, &err);
	assert_non_null(fo);
	assert_int_equal(fixedout_columns(fo, names2, 2, &err), 0);
	buf_init(&b, 0);
	assert_int_equal(row(fo, 1, "1", "abc", &b, &err), 0);
	assert_int_equal(row(fo, 2, "2", "가", &b, &err), 0);
	assert_int_equal(row(fo, 3, "3", "가나다", &b, &err), 0);
	/* 7 bytes: cut before 나 (never inside it), padded. */
	assert_int_equal(row(fo, 4, "4", "abc가나", &b, &err), 0);
	assert_int_equal(row(fo, 5, "5", "", &b, &err), 0);
	assert_int_equal(b.len, 5 * 9);
	assert_memory_equal(b.data, "01abc   \n02\xb0\xa1    \n"
	    "03\xb0\xa1\xb3\xaa\xb4\xd9\n04abc\xb0\xa1 \n05      \n", 45);
	/* A line break would end the record early. */
	assert_int_equal(row(fo, 6, "6", "a\nb", &b, &err), -1);
	assert_non_null(strstr(err.msg, "record 6, field 'name': the value "
	    "holds a line break"));
	/* An empty number. */
	assert_int_equal(row(fo, 7, "", "a", &b, &err), -1);
	assert_non_null(strstr(err.msg, "in.csv:8: record 7, field 'id': "
	    "empty"));
	fixedout_free(fo);
	layouts_free(ls);

	/* Without truncate: an error naming record and field; right. */
	ls = make(l2, RECORD_END_LF, TEXTENC_CP949, 1);
	o.layouts = ls;
	fo = fixedout_new(&o, &err);
	assert_non_null(fo);
	assert_int_equal(fixedout_columns(fo, names2, 2, &err), 0);
	buf_reset(&b);
	assert_int_equal(row(fo, 1, "1", "가", &b, &err), 0);
	assert_memory_equal(b.data, "01    \xb0\xa1\n", 9);
	assert_int_equal(row(fo, 2, "2", "abc가나", &b, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "in.csv:3: record 2, field 'name': "
	    "'abc가나' is 7 bytes in CP949, the field has 6");
	assert_int_equal(b.len, 9);	/* nothing of the bad record */
	fixedout_free(fo);
	layouts_free(ls);
	buf_release(&b);
}

static void
test_unmappable(void **state)
{
	static const char *const l[] = { "[record]", "id=2 number",
		"name=4 text", NULL };
	struct fixedout_opts o;
	struct job_layouts *ls;
	struct fixedout *fo;
	struct xerr err;
	struct buf b;

	(void)state;
	ls = make(l, RECORD_END_CRLF, TEXTENC_EUCKR, 1);
	memset(&o, 0, sizeof(o));
	o.layouts = ls;
	o.encoding = TEXTENC_EUCKR;
	o.record_end = RECORD_END_CRLF;
	fo = fixedout_new(&o, &err);
	assert_non_null(fo);
	assert_int_equal(fixedout_columns(fo, names2, 2, &err), 0);
	buf_init(&b, 0);
	assert_int_equal(row(fo, 1, "1", "뷁", &b, &err), -1);
	assert_non_null(strstr(err.msg, "record 1, field 'name': '뷁' "
	    "(U+BDC1) cannot be written in EUC-KR"));
	fixedout_free(fo);

	o.unmappable_replace = 1;
	fo = fixedout_new(&o, &err);
	assert_non_null(fo);
	assert_int_equal(fixedout_columns(fo, names2, 2, &err), 0);
	assert_int_equal(row(fo, 1, "1", "한뷁", &b, &err), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "01\xc7\xd1? \r\n", 8);
	assert_int_equal(fixedout_replaced(fo), 1);
	fixedout_free(fo);
	layouts_free(ls);

	/* CP949 has it. */
	ls = make(l, RECORD_END_NONE, TEXTENC_CP949, 1);
	o.layouts = ls;
	o.encoding = TEXTENC_CP949;
	o.unmappable_replace = 0;
	o.record_end = RECORD_END_NONE;
	fo = fixedout_new(&o, &err);
	assert_non_null(fo);
	assert_int_equal(fixedout_columns(fo, names2, 2, &err), 0);
	buf_reset(&b);
	assert_int_equal(row(fo, 1, "1", "뷁", &b, &err), 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "01\x94\xee  ", 6);
	fixedout_free(fo);
	layouts_free(ls);
	buf_release(&b);
}

static const char *const bank[] = { "[header]", "t=1 const H",
	"d=8 date %Y%m%d", "s=3 seq", "[record]", "t=1 const D",
	"name=6 text", "amount=7 number decimals=2 sign=trailing",
	"[trailer]", "t=1 const T", "n=3 count", "total=9 sum amount "
	"sign=leading", "f=2 filler 0", NULL };

static void
test_header_trailer(void **state)
{
	static const char *const cols[] = { "amount", "name" };
	struct value v[2];
	struct fixedout_opts o;
	struct job_layouts *ls;
	struct fixedout *fo;
	struct record rec;
	struct xerr err;
	struct buf b;

	(void)state;
	ls = make(bank, RECORD_END_CRLF, TEXTENC_CP949, 1);
	memset(&o, 0, sizeof(o));
	o.layouts = ls;
	o.encoding = TEXTENC_CP949;
	o.record_end = RECORD_END_CRLF;
	o.date = bdate_from_ymd(2026, 11, 24);
	o.seq = 1;
	/* An empty day: header and trailer, count 0, columns unknown. */
	fo = fixedout_new(&o, &err);
	assert_non_null(fo);
	buf_init(&b, 0);
	assert_int_equal(fixedout_header(fo, &b, &err), 0);
	assert_int_equal(fixedout_trailer(fo, &b, &err), 0);
	assert_string_equal(b.data, "H20261124001\r\nT000+0000000000\r\n");
	fixedout_free(fo);

	fo = fixedout_new(&o, &err);
	assert_non_null(fo);
	assert_int_equal(fixedout_columns(fo, cols, 2, &err), 0);
	buf_reset(&b);
	memset(&rec, 0, sizeof(rec));
	rec.n = 2;
	rec.vals = v;
	rec.names = cols;
	rec.file = "x";
	v[0] = (struct value){ "12.5", 4, VAL_NUMBER };
	v[1] = (struct value){ "김", 3, VAL_TEXT };
	assert_int_equal(fixedout_row(fo, &rec, 1, &b, &err), 0);
	v[0] = (struct value){ "-0.75", 5, VAL_NUMBER };
	assert_int_equal(fixedout_row(fo, &rec, 2, &b, &err), 0);
	v[0] = (struct value){ "1.005", 5, VAL_NUMBER };
	assert_int_equal(fixedout_row(fo, &rec, 3, &b, &err), -1);
	assert_non_null(strstr(err.msg, "record 3, field 'amount': '1.005' "
	    "has more than 2 decimals"));
	assert_int_equal(fixedout_trailer(fo, &b, &err), 0);
	assert_string_equal(b.data, "D\xb1\xe8    001250+\r\n"
	    "D\xb1\xe8    000075-\r\nT002+0000117500\r\n");
	fixedout_free(fo);
	layouts_free(ls);
	buf_release(&b);
}

/* --- reading -------------------------------------------------------------- */

struct got {
	char text[2048];
	int n;
	int stop_at;
};

static int
on_rec(void *ctx, const struct record *rec, struct xerr *err)
{
	struct got *g = ctx;
	size_t i, len = strlen(g->text);

	(void)err;
	for (i = 0; i < rec->n; i++)
		len += (size_t)snprintf(g->text + len, sizeof(g->text) - len,
		    "%s%s=%s", i ? "," : "", rec->names[i], rec->vals[i].ptr);
	snprintf(g->text + len, sizeof(g->text) - len, ";");
	g->n++;
	return 0;
}

static int
mkfile(const char *bytes, size_t len)
{
	char path[] = "/tmp/test_fixed.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int
read_fixed(const struct job_layouts *ls, enum record_end re, const char *s,
    size_t len, int has_date, struct got *g, struct xerr *err)
{
	struct fixedin_opts o;
	int fd = mkfile(s, len), rc;

	memset(&o, 0, sizeof(o));
	o.layouts = ls;
	o.encoding = TEXTENC_CP949;
	o.record_end = re;
	o.date = bdate_from_ymd(2026, 11, 24);
	o.has_date = has_date;
	memset(g, 0, sizeof(*g));
	rc = fixedin_read_fd(fd, "RES.dat", &o, on_rec, g, err);
	close(fd);
	return rc;
}

#define GOOD "H20261124001\r\nD\xb1\xe8    001250+\r\n" \
	"D\xb1\xe8    000075-\r\nT002+0000117500\r\n"

static void
test_read_fixed(void **state)
{
	struct job_layouts *ls;
	struct xerr err;
	struct got g;
	char s[256];

	(void)state;
	ls = make(bank, RECORD_END_CRLF, TEXTENC_CP949, 0);
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, GOOD, strlen(GOOD), 1,
	    &g, &err), 0);
	assert_string_equal(g.text, "name=김,amount=12.50;"
	    "name=김,amount=-0.75;");
	/* The last record without its CRLF. */
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, GOOD,
	    strlen(GOOD) - 2, 1, &g, &err), 0);
	assert_int_equal(g.n, 2);
	/* The trailer disagrees: count, then the sum. */
	snprintf(s, sizeof(s), "%s", GOOD);
	memcpy(strstr(s, "T002"), "T003", 4);
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, strlen(s), 1, &g,
	    &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "'RES.dat': trailer 'n' says 3 "
	    "records, the file has 2");
	snprintf(s, sizeof(s), "%s", GOOD);
	memcpy(strstr(s, "+0000117500"), "+0000117400", 11);
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, strlen(s), 1, &g,
	    &err), -1);
	assert_string_equal(err.msg, "'RES.dat': trailer 'total' is 11.74, "
	    "the records sum to 11.75");
	/* A record one byte short. */
	snprintf(s, sizeof(s), "H20261124001\r\nD\xb1\xe8   001250+\r\n"
	    "T001+0000125000\r\n");
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, strlen(s), 1, &g,
	    &err), -1);
	assert_string_equal(err.msg, "'RES.dat': record 2 (record) is 13 "
	    "bytes, the [record] layout has 14");
	/* LF alone with record_end = crlf. */
	snprintf(s, sizeof(s), "H20261124001\nT000+0000000000\n");
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, strlen(s), 1, &g,
	    &err), -1);
	assert_string_equal(err.msg, "'RES.dat': record 1 ends in LF alone "
	    "(record_end = crlf)");
	/* ... and with record_end = lf: an empty day. */
	assert_int_equal(read_fixed(ls, RECORD_END_LF, s, strlen(s), 1, &g,
	    &err), 0);
	assert_int_equal(g.n, 0);
	/* A data record whose const is wrong. */
	snprintf(s, sizeof(s), "H20261124001\r\nX\xb1\xe8    001250+\r\n"
	    "T001+0000012500\r\n");
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, strlen(s), 1, &g,
	    &err), -1);
	assert_string_equal(err.msg, "'RES.dat': record 2, field 't' is "
	    "'X', expected 'D'");
	/* The header's date, when the name gave one. */
	snprintf(s, sizeof(s), "H20261123001\r\nT000+0000000000\r\n");
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, strlen(s), 0, &g,
	    &err), 0);
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, strlen(s), 1, &g,
	    &err), -1);
	assert_non_null(strstr(err.msg, "header 'd' is '20261123'"));
	/* No trailer, no header, bytes that are not CP949. */
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, "H20261124001\r\n",
	    14, 1, &g, &err), -1);
	assert_string_equal(err.msg, "'RES.dat': no trailer record");
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, "", 0, 1, &g, &err),
	    -1);
	assert_string_equal(err.msg, "'RES.dat': no header record (the file "
	    "is empty)");
	snprintf(s, sizeof(s), "H20261124001\r\nD\xff\xff    001250+\r\n"
	    "T001+0000012500\r\n");
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, strlen(s), 1, &g,
	    &err), -1);
	assert_non_null(strstr(err.msg, "'RES.dat': record 2 (record), field "
	    "'name': "));
	/* Too long, no line end at all. */
	memset(s, 'D', 100);
	assert_int_equal(read_fixed(ls, RECORD_END_CRLF, s, 100, 1, &g, &err),
	    -1);
	assert_non_null(strstr(err.msg, "record 1 is longer than 15 bytes"));
	layouts_free(ls);
}

static void
test_read_none(void **state)
{
	static const char *const l[] = { "[record]", "a=3 text",
		"n=2 number", "[trailer]", "t=1 const T", "c=4 count", NULL };
	struct job_layouts *ls;
	struct xerr err;
	struct got g;

	(void)state;
	ls = make(l, RECORD_END_NONE, TEXTENC_CP949, 0);
	assert_int_equal(read_fixed(ls, RECORD_END_NONE, "ab 01x  02T0002", 15,
	    0, &g, &err), 0);
	assert_string_equal(g.text, "a=ab,n=1;a=x,n=2;");
	assert_int_equal(read_fixed(ls, RECORD_END_NONE, "ab 01x  02T00021",
	    16, 0, &g, &err), -1);
	assert_string_equal(err.msg, "'RES.dat': the file ends inside record "
	    "4 (1 bytes of 5)");
	layouts_free(ls);
}

static void
test_read_csv(void **state)
{
	static const char *const l[] = { "[csv]", "[header]", "k=const H",
		"org=const \"A, B\"", "[trailer]", "k=const T", "n=count",
		"total=sum amount decimals=2", NULL };
	static const char good[] = "H,\"A, B\"\nid,amount\n1,1.5\n2,\"2\"\n"
	    "T,2,3.50\n";
	struct layout_use u = { FMT_CSV, RECORD_END_LF, TEXTENC_UTF8, 0 };
	struct job_layouts *ls;
	struct fixedin_opts o;
	struct xerr err;
	struct got g;
	char s[256];
	int fd;

	(void)state;
	ls = make(l, RECORD_END_LF, TEXTENC_UTF8, 0);
	assert_int_equal(layouts_check(ls, &u, NULL, NULL), 0);
	memset(&o, 0, sizeof(o));
	o.layouts = ls;
	fd = mkfile(good, strlen(good));
	memset(&g, 0, sizeof(g));
	assert_int_equal(fixedin_csv_read_fd(fd, "p.csv", &o, on_rec, &g,
	    &err), 0);
	close(fd);
	assert_string_equal(g.text, "id=1,amount=1.5;id=2,amount=2;");

	snprintf(s, sizeof(s), "%s", good);
	memcpy(strstr(s, "T,2,3.50"), "T,2,3.49", 8);
	fd = mkfile(s, strlen(s));
	memset(&g, 0, sizeof(g));
	assert_int_equal(fixedin_csv_read_fd(fd, "p.csv", &o, on_rec, &g,
	    &err), -1);
	close(fd);
	assert_string_equal(err.msg, "'p.csv': trailer 'total' is 3.49, the "
	    "records sum to 3.50");
	/* A bad data line keeps its line number in the file. */
	fd = mkfile("H,\"A, B\"\nid,amount\n1,\"x\"y\nT,1,0\n", 32);
	memset(&g, 0, sizeof(g));
	assert_int_equal(fixedin_csv_read_fd(fd, "p.csv", &o, on_rec, &g,
	    &err), -1);
	close(fd);
	assert_string_equal(err.msg, "p.csv:3: malformed quoted field: text "
	    "after the closing quote");
	/* A header line of the wrong shape. */
	fd = mkfile("H\nid,amount\nT,0,0\n", 17);
	assert_int_equal(fixedin_csv_read_fd(fd, "p.csv", &o, on_rec, &g,
	    &err), -1);
	close(fd);
	assert_string_equal(err.msg, "p.csv:1: the header line has 1 field, "
	    "the [header] layout 2");
	layouts_free(ls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cp949_byte_widths),
		cmocka_unit_test(test_unmappable),
		cmocka_unit_test(test_header_trailer),
		cmocka_unit_test(test_read_fixed),
		cmocka_unit_test(test_read_none),
		cmocka_unit_test(test_read_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
