#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgp.h"

/*
 * Keys made once for the whole file, in throw-away GnuPG homes:
 *   main:  A (ours: sign + encrypt, secret), B (secret), E (expired in
 *          2020, secret), and the public key of X
 *   other: X (secret) and the public key of A: a signer main does not
 *          know until X is imported (it is not, except its public key
 *          for the expired-signer case)
 */
static char tmp[64], home[128], other[128];
static char fa[PGP_FPR_LEN], fb[PGP_FPR_LEN], fe[PGP_FPR_LEN],
    fx[PGP_FPR_LEN];

/* Run argv (gpg), stdout to out_path if not NULL; its exit status. */
static int
run(const char *out_path, char *const argv[])
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == 0) {
		fd = open(out_path ? out_path : "/dev/null",
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The fingerprint of the only key whose user id holds email, in h. */
static int
fpr_of(const char *h, const char *email, char out[PGP_FPR_LEN])
{
	char path[256], line[512];
	FILE *fp;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/colons", tmp);
	if (run(path, (char *[]){ "gpg", "--homedir", (char *)h, "--batch",
	    "--with-colons", "--list-keys", (char *)email, NULL }) != 0)
		return -1;
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	/* The first fpr line is the primary key's. */
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "fpr:", 4) == 0) {
			rc = pgp_fpr_parse(strtok(line + 4, ":\n"), out);
			break;
		}
	fclose(fp);
	return rc;
}

static int
genkey(const char *h, const char *uid, const char *email, const char *faked,
    const char *expire, char out[PGP_FPR_LEN])
{
	char *gen[16] = { "gpg", "--homedir", (char *)h, "--batch",
		"--passphrase", "", NULL };
	int n = 6;

	if (faked != NULL) {
		gen[n++] = "--faked-system-time";
		gen[n++] = (char *)faked;
	}
	gen[n++] = "--quick-gen-key";
	gen[n++] = (char *)uid;
	gen[n++] = "ed25519";
	gen[n++] = "sign,cert";
	gen[n++] = (char *)expire;
	gen[n] = NULL;
	if (run(NULL, gen) != 0 || fpr_of(h, email, out) != 0)
		return -1;
	n -= 5;
	gen[n++] = "--quick-add-key";
	gen[n++] = out;
	gen[n++] = "cv25519";
	gen[n++] = "encr";
	gen[n++] = (char *)expire;
	gen[n] = NULL;
	return run(NULL, gen);
}

/* gpg --export KEY from src, --import into dst. */
static int
copy_pub(const char *src, const char *fpr, const char *dst)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/pub.gpg", tmp);
	if (run(path, (char *[]){ "gpg", "--homedir", (char *)src, "--batch",
	    "--export", (char *)fpr, NULL }) != 0)
		return -1;
	return run(NULL, (char *[]){ "gpg", "--homedir", (char *)dst,
	    "--batch", "--import", path, NULL });
}

static int
group_setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_pgp.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	snprintf(home, sizeof(home), "%s/main", tmp);
	snprintf(other, sizeof(other), "%s/other", tmp);
	if (mkdir(home, 0700) == -1 || mkdir(other, 0700) == -1)
		return -1;
	if (genkey(home, "A <a@example.com>", "a@example.com", NULL, "never",
	    fa) != 0 ||
	    genkey(home, "B <b@example.com>", "b@example.com", NULL, "never",
	    fb) != 0 ||
	    genkey(home, "E <e@example.com>", "e@example.com",
	    "20200101T000000", "1d", fe) != 0 ||
	    genkey(other, "X <x@example.com>", "x@example.com", NULL, "never",
	    fx) != 0 ||
	    copy_pub(home, fa, other) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[512];

	(void)state;
	run(NULL, (char *[]){ "gpgconf", "--homedir", home, "--kill",
	    "gpg-agent", NULL });
	run(NULL, (char *[]){ "gpgconf", "--homedir", other, "--kill",
	    "gpg-agent", NULL });
	snprintf(cmd, sizeof(cmd), "%s", tmp);
	run(NULL, (char *[]){ "rm", "-rf", cmd, NULL });
	return 0;
}

static const char plain_text[] = "date,amount\n2026-12-07,12.50\n"
    "2026-12-07,-3.00\n";

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* The whole of a small file, NUL-terminated; *len its size. */
static char *
slurp(const char *path, size_t *len)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static char *
tpath(const char *name)
{
	static char p[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmp, name);
	return p[i];
}

/* Encrypt plain_text to the recipients (signed by signer) into name. */
static int
encrypt_to(const char *name, const char *const *rcpt, size_t n,
    const char *signer, int armor, struct xerr *err)
{
	struct pgp_encrypt_opts o = { home, rcpt, n, signer, armor };
	int fd, rc;

	write_file(tpath("plain"), plain_text, sizeof(plain_text) - 1);
	unlink(tpath(name));
	fd = open(tpath(name), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	rc = pgp_encrypt_file(&o, tpath("plain"), fd, name, err);
	close(fd);
	return rc;
}

static int
decrypt(const char *h, const char *name, const char *const *signers,
    size_t n, long long max, char signer[PGP_FPR_LEN], struct xerr *err)
{
	struct pgp_decrypt_opts o = { h, signers, n, max };
	long long bytes = -1;
	int fd, rc;

	unlink(tpath("dec"));
	fd = open(tpath("dec"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	rc = pgp_decrypt_file(&o, tpath(name), fd, name, signer, &bytes, err);
	close(fd);
	if (rc == -1)
		print_message("%s\n", err->msg);
	if (rc == 0)
		assert_int_equal(bytes, (long long)sizeof(plain_text) - 1);
	return rc;
}

static void
test_fpr_parse(void **state)
{
	char out[PGP_FPR_LEN];

	(void)state;
	assert_int_equal(pgp_fpr_parse("3a9f 0b1c 2d3e 4f50 6172  8394 a5b6 "
	    "c7d8 e9f0 1234", out), 0);
	assert_string_equal(out, "3A9F0B1C2D3E4F5061728394A5B6C7D8E9F01234");
	assert_int_equal(pgp_fpr_parse("3A9F0B1C2D3E4F5061728394A5B6C7D8E9F0"
	    "1234", out), 0);
	/* 39 and 41 digits, a non-hex digit, a key id, nothing */
	assert_int_equal(pgp_fpr_parse("3A9F0B1C2D3E4F5061728394A5B6C7D8E9F0"
	    "123", out), -1);
	assert_int_equal(pgp_fpr_parse("3A9F0B1C2D3E4F5061728394A5B6C7D8E9F0"
	    "12345", out), -1);
	assert_int_equal(pgp_fpr_parse("3A9F0B1C2D3E4F5061728394A5B6C7D8E9F0"
	    "123G", out), -1);
	assert_int_equal(pgp_fpr_parse("0x3A9F0B1C2D3E4F50", out), -1);
	assert_int_equal(pgp_fpr_parse("", out), -1);
}

static void
test_strip_suffix(void **state)
{
	(void)state;
	assert_int_equal(pgp_strip_suffix("a.csv.pgp"), 5);
	assert_int_equal(pgp_strip_suffix("a.csv.GPG"), 5);
	assert_int_equal(pgp_strip_suffix("a.csv.asc"), 5);
	assert_int_equal(pgp_strip_suffix("a.csv"), 5);
	assert_int_equal(pgp_strip_suffix(".pgp"), 4);
}

/* Encrypted and signed, binary and armored: the plain text back, the
 * signer named, and no plain text in the ciphertext. */
static void
test_round_trip(void **state)
{
	const char *rcpt[] = { fa, fb }, *signers[] = { fb, fa };
	char signer[PGP_FPR_LEN], *c;
	struct xerr err;
	size_t len;

	(void)state;
	assert_int_equal(encrypt_to("rt.pgp", rcpt, 2, fa, 0, &err), 0);
	c = slurp(tpath("rt.pgp"), &len);
	assert_null(memmem(c, len, "2026-12-07", 10));
	assert_int_equal(decrypt(home, "rt.pgp", signers, 2, 0, signer, &err),
	    0);
	assert_string_equal(slurp(tpath("dec"), NULL), plain_text);
	assert_string_equal(signer, fa);

	assert_int_equal(encrypt_to("rt.asc", rcpt, 1, fa, 1, &err), 0);
	c = slurp(tpath("rt.asc"), NULL);
	assert_int_equal(strncmp(c, "-----BEGIN PGP MESSAGE-----", 27), 0);
	assert_int_equal(decrypt(home, "rt.asc", signers, 2, 0, signer, &err),
	    0);
	assert_string_equal(slurp(tpath("dec"), NULL), plain_text);

	/* No signature required: a signed file still decrypts. */
	assert_int_equal(decrypt(home, "rt.asc", NULL, 0, 0, signer, &err), 0);
	assert_string_equal(signer, fa);
}

static void
test_wrong_signer(void **state)
{
	const char *rcpt[] = { fa }, *signers[] = { fb };
	char signer[PGP_FPR_LEN];
	struct xerr err;

	(void)state;
	assert_int_equal(encrypt_to("ws.pgp", rcpt, 1, fa, 0, &err), 0);
	assert_int_equal(decrypt(home, "ws.pgp", signers, 1, 0, signer, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, fa));
	assert_non_null(strstr(err.msg, "not one of require_signature"));
}

static void
test_unsigned(void **state)
{
	const char *rcpt[] = { fa }, *signers[] = { fa };
	char signer[PGP_FPR_LEN];
	struct xerr err;

	(void)state;
	assert_int_equal(encrypt_to("us.pgp", rcpt, 1, NULL, 0, &err), 0);
	assert_int_equal(decrypt(home, "us.pgp", signers, 1, 0, signer, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, "is not signed"));
	/* Without require_signature it is taken. */
	assert_int_equal(decrypt(home, "us.pgp", NULL, 0, 0, signer, &err), 0);
	assert_string_equal(signer, "");
	assert_string_equal(slurp(tpath("dec"), NULL), plain_text);
}

static void
test_tampered(void **state)
{
	const char *rcpt[] = { fa }, *signers[] = { fa };
	char signer[PGP_FPR_LEN], *c;
	struct xerr err;
	size_t len;

	(void)state;
	assert_int_equal(encrypt_to("tp.pgp", rcpt, 1, fa, 0, &err), 0);
	c = slurp(tpath("tp.pgp"), &len);
	c[len - 20] ^= 0x01;
	write_file(tpath("tp.pgp"), c, len);
	assert_int_equal(decrypt(home, "tp.pgp", signers, 1, 0, signer, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, "tp.pgp"));
	/* Not an OpenPGP message at all. */
	write_file(tpath("np.pgp"), plain_text, sizeof(plain_text) - 1);
	assert_int_equal(decrypt(home, "np.pgp", NULL, 0, 0, signer, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
}

static void
test_expired_recipient(void **state)
{
	const char *rcpt[] = { fa, fe };
	struct xerr err;

	(void)state;
	assert_int_equal(encrypt_to("ex.pgp", rcpt, 2, NULL, 0, &err), -1);
	assert_int_equal(err.cls, XERR_CONFIG);
	assert_non_null(strstr(err.msg, fe));
	assert_non_null(strstr(err.msg, "expired on 2020-01-02"));
	/* As a signer too. */
	assert_int_equal(encrypt_to("ex.pgp", rcpt, 1, fe, 0, &err), -1);
	assert_non_null(strstr(err.msg, fe));
	assert_non_null(strstr(err.msg, "expired"));
}

/* A file signed by E while E was valid, checked now. */
static void
test_expired_signer(void **state)
{
	const char *signers[] = { fe };
	char signer[PGP_FPR_LEN];
	struct xerr err;

	(void)state;
	write_file(tpath("plain"), plain_text, sizeof(plain_text) - 1);
	unlink(tpath("es.pgp"));
	assert_int_equal(run(NULL, (char *[]){ "gpg", "--homedir", home,
	    "--batch", "--faked-system-time", "20200101T120000",
	    "--trust-model", "always", "--ignore-time-conflict",
	    "--local-user", fe, "--recipient", fe,
	    "--sign", "--encrypt", "--output", tpath("es.pgp"),
	    tpath("plain"), NULL }), 0);
	assert_int_equal(decrypt(home, "es.pgp", signers, 1, 0, signer, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, fe));
	assert_non_null(strstr(err.msg, "expired"));
}

/* Signed by X, whom main does not know. */
static void
test_unknown_signer(void **state)
{
	const char *signers[] = { fa };
	char signer[PGP_FPR_LEN];
	struct xerr err;

	(void)state;
	write_file(tpath("plain"), plain_text, sizeof(plain_text) - 1);
	unlink(tpath("uk.pgp"));
	assert_int_equal(run(NULL, (char *[]){ "gpg", "--homedir", other,
	    "--batch", "--trust-model", "always", "--local-user", fx,
	    "--recipient", fa, "--sign", "--encrypt", "--output",
	    tpath("uk.pgp"), tpath("plain"), NULL }), 0);
	assert_int_equal(decrypt(home, "uk.pgp", signers, 1, 0, signer, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, fx));
	assert_non_null(strstr(err.msg, "not in the keyring"));
}

static void
test_max_size(void **state)
{
	const char *rcpt[] = { fa };
	char signer[PGP_FPR_LEN];
	struct xerr err;

	(void)state;
	assert_int_equal(encrypt_to("ms.pgp", rcpt, 1, NULL, 0, &err), 0);
	assert_int_equal(decrypt(home, "ms.pgp", NULL, 0, 10, signer, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, "max_size"));
}

static void
test_sign_only(void **state)
{
	const char *signers[] = { fa };
	char signer[PGP_FPR_LEN];
	struct xerr err;

	(void)state;
	assert_int_equal(encrypt_to("so.pgp", NULL, 0, fa, 0, &err), 0);
	assert_int_equal(decrypt(home, "so.pgp", signers, 1, 0, signer, &err),
	    0);
	assert_string_equal(slurp(tpath("dec"), NULL), plain_text);
	assert_string_equal(signer, fa);
	/* Without a required signer, a file in the clear is refused. */
	assert_int_equal(decrypt(home, "so.pgp", NULL, 0, 0, signer, &err),
	    -1);
	assert_non_null(strstr(err.msg, "is not encrypted"));
}

/* No secret key for the recipient: the file cannot be read here. */
static void
test_not_for_us(void **state)
{
	const char *rcpt[] = { fa };
	char signer[PGP_FPR_LEN];
	struct xerr err;

	(void)state;
	assert_int_equal(encrypt_to("nu.pgp", rcpt, 1, NULL, 0, &err), 0);
	/* other has A's public key only */
	assert_int_equal(decrypt(other, "nu.pgp", NULL, 0, 0, signer, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
}

static void
test_key_check(void **state)
{
	struct xerr err;

	(void)state;
	assert_int_equal(pgp_key_check(home, fa, 'e', &err), 0);
	assert_int_equal(pgp_key_check(home, fa, 's', &err), 0);
	assert_int_equal(pgp_key_check(home, fx, 'v', &err), -1);
	assert_non_null(strstr(err.msg, fx));
	assert_non_null(strstr(err.msg, "not in the keyring"));
	assert_int_equal(pgp_key_check(other, fa, 's', &err), -1);
	assert_non_null(strstr(err.msg, "no secret key"));
	assert_int_equal(pgp_key_check(other, fa, 'e', &err), 0);
	assert_int_equal(pgp_key_check(home, fe, 'v', &err), -1);
	assert_int_equal(err.cls, XERR_CONFIG);
	assert_non_null(strstr(err.msg, "expired on 2020-01-02"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fpr_parse),
		cmocka_unit_test(test_strip_suffix),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_signer),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_expired_recipient),
		cmocka_unit_test(test_expired_signer),
		cmocka_unit_test(test_unknown_signer),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_sign_only),
		cmocka_unit_test(test_not_for_us),
		cmocka_unit_test(test_key_check),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
