/*
 * test_s3sign: AWS Signature V4 for S3 against AWS's published examples
 * (and botocore for an escaped query), S3's URI encoding, and the small
 * XML reader: entities decoded, nothing else expanded, bounds kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "transport/s3sign.h"

#define KEY_ID	"AKIAIOSFODNN7EXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DATE	"20130524T000000Z"

static void
check_sig(const char *path, struct s3_param *q, size_t nq,
    struct s3_header *h, size_t nh, const char *want)
{
	struct buf query, auth;

	buf_init(&query, 0);
	buf_init(&auth, 0);
	assert_int_equal(s3_query(&query, q, nq), 0);
	assert_int_equal(s3_authorization(&auth, "GET", path,
	    query.data ? query.data : "", h, nh, S3_EMPTY_SHA256, DATE,
	    "us-east-1", KEY_ID, SECRET), 0);
	assert_non_null(strstr(auth.data, want));
	assert_non_null(strstr(auth.data, "Credential=" KEY_ID
	    "/20130524/us-east-1/s3/aws4_request"));
	buf_release(&query);
	buf_release(&auth);
}

/* "Example: GET Object" and "Example: GET Bucket (List Objects)" of the
 * S3 SigV4 documentation. */
static void
test_aws_examples(void **state)
{
	struct s3_header h1[] = {
		{ "x-amz-date", DATE },
		{ "range", "bytes=0-9" },
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-content-sha256", S3_EMPTY_SHA256 },
	};
	struct s3_header h2[] = {
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-content-sha256", S3_EMPTY_SHA256 },
		{ "x-amz-date", DATE },
	};
	struct s3_param q2[] = { { "prefix", "J" }, { "max-keys", "2" } };
	struct s3_param q3[] = { { "prefix", "a b/c+" }, { "list-type", "2" },
		{ "delimiter", "/" } };

	(void)state;
	check_sig("/test.txt", NULL, 0, h1, 4, "SignedHeaders=host;range;"
	    "x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857"
	    "bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	check_sig("/", q2, 2, h2, 3, "Signature=34b48302e7b5fa45bde8084f4b78"
	    "68a86f0a534bc59db6670ed5711ef69dc6f7");
	h2[0].value = "h";
	/* botocore's signature of the same request */
	check_sig("/b", q3, 3, h2, 3, "Signature=1e3191b630ea10b5332ab80084f2"
	    "060df91958a67ec401d289e7c28deff6e40f");
}

static void
test_query_and_encoding(void **state)
{
	struct s3_param q[] = { { "uploadId", "x/y=" }, { "uploads", NULL },
		{ "partNumber", "10" } };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(s3_query(&b, q, 3), 0);
	assert_string_equal(b.data, "partNumber=10&uploadId=x%2Fy%3D&uploads=");
	buf_reset(&b);
	assert_int_equal(s3_uri_encode(&b, "d/a b~-_.+\xc3\xa9", 1), 0);
	assert_int_equal(buf_putc(&b, '\0'), 0);
	assert_string_equal(b.data, "d/a%20b~-_.%2B%C3%A9");
	buf_release(&b);
	buf_init(&b, 4);
	assert_int_equal(s3_uri_encode(&b, "   ", 0), -1);
	buf_release(&b);
}

static int
text(const char *xml, const char *tag, char *out, size_t size)
{
	return s3_xml_text(xml, xml + strlen(xml), tag, out, size);
}

static void
test_xml(void **state)
{
	const char *list = "<?xml version=\"1.0\"?><ListBucketResult xmlns="
	    "\"http://s3.amazonaws.com/doc/2006-03-01/\"><KeyCount>2</KeyCount>"
	    "<Contents><Key>p/a&amp;b&#x2F;&#233;</Key><Size>5</Size>"
	    "</Contents><Contents><Key>p/c</Key><Size>7</Size></Contents>"
	    "<IsTruncated>false</IsTruncated><Prefix/></ListBucketResult>";
	const char *p = list, *end = list + strlen(list), *in, *in_end;
	char out[64];
	int n = 0;

	(void)state;
	while (s3_xml_elem(p, end, "Contents", &in, &in_end, &p)) {
		assert_int_equal(s3_xml_text(in, in_end, "Key", out,
		    sizeof(out)), 1);
		assert_string_equal(out, n == 0 ? "p/a&b/\xc3\xa9" : "p/c");
		n++;
	}
	assert_int_equal(n, 2);
	/* <Key> must not match <KeyCount> */
	assert_int_equal(text("<KeyCount>3</KeyCount>", "Key", out,
	    sizeof(out)), 0);
	assert_int_equal(text(list, "Prefix", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	assert_int_equal(text(list, "IsTruncated", out, sizeof(out)), 1);
	assert_string_equal(out, "false");
	/* Never any other entity, no nested markup, no NUL, bounded. */
	assert_int_equal(text("<Code>&xxe;</Code>", "Code", out,
	    sizeof(out)), -1);
	assert_int_equal(text("<Code><![CDATA[x]]></Code>", "Code", out,
	    sizeof(out)), -1);
	assert_int_equal(text("<Code>&#0;</Code>", "Code", out, sizeof(out)),
	    -1);
	assert_int_equal(text("<Code>&#x110000;</Code>", "Code", out,
	    sizeof(out)), -1);
	assert_int_equal(text("<Code>&#12", "Code", out, sizeof(out)), 0);
	assert_int_equal(text("<Code>abcdef</Code>", "Code", out, 4), -1);
	assert_int_equal(text("<Code>abc", "Code", out, sizeof(out)), 0);
	assert_int_equal(text("<Error><Code>SlowDown</Code><Message>Please "
	    "reduce your request rate.</Message></Error>", "Code", out,
	    sizeof(out)), 1);
	assert_string_equal(out, "SlowDown");
}

static void
test_iso_time(void **state)
{
	(void)state;
	assert_true(s3_iso_time("2026-01-31T12:00:00.000Z") == 1769860800LL);
	assert_true(s3_iso_time("2026-01-31T12:00:00Z") == 1769860800LL);
	assert_true(s3_iso_time("yesterday") == -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_examples),
		cmocka_unit_test(test_query_and_encoding),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_iso_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
