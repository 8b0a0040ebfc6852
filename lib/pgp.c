/*
 * pgp: the whole use of GPGME (see pgp.h for what it is for).
 *
 * Why a context per call: a context carries its engine home, signers and
 * armor; making one for each file keeps jobs with different keyrings
 * apart and leaves no state between calls.  gpgme_check_version() is
 * GPGME's own one-time initialisation and may be called any number of
 * times.
 */
#include "pgp.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

int
pgp_fpr_parse(const char *s, char out[PGP_FPR_LEN])
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		    (*s >= 'A' && *s <= 'F')) || n == PGP_FPR_LEN - 1)
			return -1;
		out[n++] = (char)(*s >= 'a' ? *s - 'a' + 'A' : *s);
	}
	if (n != PGP_FPR_LEN - 1)
		return -1;
	out[n] = '\0';
	return 0;
}

size_t
pgp_strip_suffix(const char *name)
{
	static const char *const sfx[] = { ".pgp", ".gpg", ".asc" };
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof(sfx) / sizeof(*sfx); i++)
		if (n > 4 && strcasecmp(name + n - 4, sfx[i]) == 0)
			return n - 4;
	return n;
}

/* Never give a passphrase: a key that needs one fails, nothing waits. */
static gpgme_error_t
no_passphrase(void *hook, const char *uid_hint, const char *info,
    int prev_bad, int fd)
{
	(void)hook;
	(void)uid_hint;
	(void)info;
	(void)prev_bad;
	(void)fd;
	return gpgme_error(GPG_ERR_NO_PASSPHRASE);
}

static int
gpg_fail(struct xerr *err, enum xerr_class cls, gpgme_error_t e,
    const char *what, const char *label)
{
	return xerr_set(err, cls, 0, "%s '%s': %s", what, label,
	    gpgme_strerror(e));
}

/* A context whose engine home is home, offline, never prompting. */
static int
ctx_open(const char *home, gpgme_ctx_t *ctx, struct xerr *err)
{
	gpgme_error_t e;

	*ctx = NULL;
	gpgme_check_version(NULL);
	if ((e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) != 0)
		return xerr_set(err, XERR_TEMP, 0, "cannot use the OpenPGP "
		    "engine (gpg): %s", gpgme_strerror(e));
	if ((e = gpgme_new(ctx)) != 0) {
		*ctx = NULL;
		if (gpgme_err_code(e) == GPG_ERR_ENOMEM)
			return xerr_nomem(err);
		return xerr_set(err, XERR_TEMP, 0, "cannot start GPGME: %s",
		    gpgme_strerror(e));
	}
	if ((e = gpgme_ctx_set_engine_info(*ctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    home)) != 0 ||
	    (e = gpgme_set_protocol(*ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (e = gpgme_set_pinentry_mode(*ctx,
	    GPGME_PINENTRY_MODE_LOOPBACK)) != 0) {
		gpgme_release(*ctx);
		*ctx = NULL;
		return xerr_set(err, XERR_TEMP, 0, "cannot set up GPGME with "
		    "the keyring '%s': %s", home, gpgme_strerror(e));
	}
	gpgme_set_passphrase_cb(*ctx, no_passphrase, NULL);
	gpgme_set_offline(*ctx, 1);
	return 0;
}

static void
day_of(unsigned long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, size, "an unknown date");
	else
		strftime(out, size, "%Y-%m-%d", &tm);
}

static const char *
what_name(int what)
{
	return what == 'e' ? "encryption key" : what == 's' ? "signing key" :
	    "signature key";
}

/*
 * The key fpr for what ('e', 's', 'v'), checked usable; *out is the caller's
 * (gpgme_key_unref).  XERR_CONFIG naming the key and why it cannot be used.
 */
static int
key_get(gpgme_ctx_t ctx, const char *home, const char *fpr, int what,
    gpgme_key_t *out, struct xerr *err)
{
	const char *kind = what_name(what);
	gpgme_subkey_t sk, expired = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t e;
	char day[32];
	int found = 0;

	*out = NULL;
	e = gpgme_get_key(ctx, fpr, &key, what == 's');
	if (gpgme_err_code(e) == GPG_ERR_EOF || (e == 0 && key == NULL))
		return xerr_set(err, XERR_CONFIG, 0, "%s %s: %s in the keyring "
		    "'%s'", kind, fpr, what == 's' ? "no secret key" :
		    "not", home);
	if (e != 0)
		return xerr_set(err, gpgme_err_code(e) == GPG_ERR_AMBIGUOUS_NAME
		    ? XERR_CONFIG : XERR_TEMP, 0, "%s %s in '%s': %s", kind,
		    fpr, home, gpgme_strerror(e));
	/* Exactly this key: its primary or one of its subkeys. */
	for (sk = key->subkeys; sk != NULL; sk = sk->next)
		if (sk->fpr != NULL && strcasecmp(sk->fpr, fpr) == 0)
			found = 1;
	if (!found) {
		xerr_set(err, XERR_CONFIG, 0, "%s %s: not in the keyring '%s'",
		    kind, fpr, home);
		goto fail;
	}
	if (key->revoked) {
		xerr_set(err, XERR_CONFIG, 0, "%s %s is revoked", kind, fpr);
		goto fail;
	}
	if (key->expired) {
		day_of(key->subkeys->expires, day, sizeof(day));
		xerr_set(err, XERR_CONFIG, 0, "%s %s expired on %s", kind, fpr,
		    day);
		goto fail;
	}
	if (key->disabled || key->invalid) {
		xerr_set(err, XERR_CONFIG, 0, "%s %s is %s", kind, fpr,
		    key->disabled ? "disabled" : "not valid");
		goto fail;
	}
	if (what == 'v') {
		*out = key;
		return 0;
	}
	for (sk = key->subkeys; sk != NULL; sk = sk->next) {
		int able = what == 'e' ? sk->can_encrypt : sk->can_sign &&
		    sk->secret;

		if (!able)
			continue;
		if (sk->expired)
			expired = sk;
		else if (!sk->revoked && !sk->disabled && !sk->invalid) {
			*out = key;
			return 0;
		}
	}
	if (expired != NULL) {
		day_of(expired->expires, day, sizeof(day));
		xerr_set(err, XERR_CONFIG, 0, "%s %s: its %s subkey expired on "
		    "%s", kind, fpr, what == 'e' ? "encryption" : "signing",
		    day);
	} else
		xerr_set(err, XERR_CONFIG, 0, "%s %s has no usable %s", kind,
		    fpr, what == 'e' ? "encryption subkey" : "secret signing "
		    "(sub)key");
fail:
	gpgme_key_unref(key);
	return -1;
}

int
pgp_key_check(const char *home, const char *fpr, int what, struct xerr *err)
{
	gpgme_key_t key;
	gpgme_ctx_t ctx;
	int rc;

	if (ctx_open(home, &ctx, err) == -1)
		return -1;
	rc = key_get(ctx, home, fpr, what, &key, err);
	if (rc == 0)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return rc;
}

int
pgp_encrypt_file(const struct pgp_encrypt_opts *o, const char *in_path,
    int out_fd, const char *label, struct xerr *err)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_key_t *keys = NULL, signer = NULL;
	gpgme_encrypt_result_t er;
	gpgme_sign_result_t sr;
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t e;
	size_t i;
	int fd = -1, rc = -1;

	if (o->nrecipients == 0 && o->signer == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "'%s': neither recipients "
		    "nor a signer to encrypt or sign with", label);
	if (ctx_open(o->home, &ctx, err) == -1)
		return -1;
	gpgme_set_armor(ctx, o->armor);
	if ((keys = calloc(o->nrecipients + 1, sizeof(*keys))) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	for (i = 0; i < o->nrecipients; i++)
		if (key_get(ctx, o->home, o->recipients[i], 'e', &keys[i],
		    err) == -1)
			goto out;
	if (o->signer != NULL) {
		if (key_get(ctx, o->home, o->signer, 's', &signer, err) == -1)
			goto out;
		if ((e = gpgme_signers_add(ctx, signer)) != 0) {
			gpg_fail(err, XERR_TEMP, e, "cannot sign", label);
			goto out;
		}
	}
	if ((fd = open(in_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot open '%s'", in_path);
		goto out;
	}
	if ((e = gpgme_data_new_from_fd(&in, fd)) != 0 ||
	    (e = gpgme_data_new_from_fd(&out, out_fd)) != 0) {
		gpg_fail(err, XERR_TEMP, e, "cannot encrypt", label);
		goto out;
	}
	if (o->nrecipients == 0)
		e = gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_NORMAL);
	else if (signer != NULL)
		e = gpgme_op_encrypt_sign(ctx, keys, GPGME_ENCRYPT_ALWAYS_TRUST,
		    in, out);
	else
		e = gpgme_op_encrypt(ctx, keys, GPGME_ENCRYPT_ALWAYS_TRUST, in,
		    out);
	/* The keys were checked above; whatever gpg still refused is named
	 * by its result. */
	if (o->nrecipients > 0 && (er = gpgme_op_encrypt_result(ctx)) != NULL &&
	    er->invalid_recipients != NULL) {
		xerr_set(err, XERR_CONFIG, 0, "cannot encrypt '%s' to %s: %s",
		    label, er->invalid_recipients->fpr ?
		    er->invalid_recipients->fpr : "a recipient",
		    gpgme_strerror(er->invalid_recipients->reason));
		goto out;
	}
	if (signer != NULL && (sr = gpgme_op_sign_result(ctx)) != NULL &&
	    (sr->invalid_signers != NULL || (e == 0 &&
	    sr->signatures == NULL))) {
		xerr_set(err, XERR_CONFIG, 0, "cannot sign '%s' with %s: %s",
		    label, o->signer, sr->invalid_signers ?
		    gpgme_strerror(sr->invalid_signers->reason) :
		    "no signature was made");
		goto out;
	}
	if (e != 0) {
		gpg_fail(err, gpgme_err_code(e) == GPG_ERR_NO_PASSPHRASE ||
		    gpgme_err_code(e) == GPG_ERR_BAD_PASSPHRASE ? XERR_CONFIG :
		    XERR_TEMP, e, o->nrecipients ? "cannot encrypt" :
		    "cannot sign", label);
		if (gpgme_err_code(e) == GPG_ERR_NO_PASSPHRASE ||
		    gpgme_err_code(e) == GPG_ERR_BAD_PASSPHRASE)
			xerr_prefix(err, "the signing key must have no "
			    "passphrase (nothing can type one under cron)");
		goto out;
	}
	rc = 0;
out:
	gpgme_data_release(in);
	gpgme_data_release(out);
	if (fd != -1)
		close(fd);
	for (i = 0; keys != NULL && i < o->nrecipients; i++)
		if (keys[i] != NULL)
			gpgme_key_unref(keys[i]);
	free(keys);
	if (signer != NULL)
		gpgme_key_unref(signer);
	gpgme_release(ctx);
	return rc;
}

/* The plain text of a decryption: to fd, counted, bounded. */
struct plain_out {
	int fd;
	long long bytes, max;
	int over;		/* more than max was offered */
	int werrno;		/* a write failed */
};

static ssize_t
plain_write(void *handle, const void *buf, size_t size)
{
	struct plain_out *p = handle;
	const char *c = buf;
	size_t left = size;
	ssize_t w;

	if (p->max > 0 && p->bytes + (long long)size > p->max) {
		p->over = 1;
		errno = EFBIG;
		return -1;
	}
	while (left > 0) {
		if ((w = write(p->fd, c, left)) == -1) {
			if (errno == EINTR)
				continue;
			p->werrno = errno;
			return -1;
		}
		c += w;
		left -= (size_t)w;
	}
	p->bytes += (long long)size;
	return (ssize_t)size;
}

static int
listed(const struct pgp_decrypt_opts *o, const char *fpr)
{
	size_t i;

	for (i = 0; fpr != NULL && i < o->nsigners; i++)
		if (strcasecmp(o->signers[i], fpr) == 0)
			return 1;
	return 0;
}

/* Why signature s is not good, "" if it is. */
static const char *
sig_problem(gpgme_signature_t s)
{
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		break;
	case GPG_ERR_BAD_SIGNATURE:
		return "bad signature (the file was changed after it was "
		    "signed)";
	case GPG_ERR_NO_PUBKEY:
		return "the signer's key is not in the keyring";
	case GPG_ERR_KEY_EXPIRED:
		return "the signer's key has expired";
	case GPG_ERR_SIG_EXPIRED:
		return "the signature has expired";
	case GPG_ERR_CERT_REVOKED:
		return "the signer's key is revoked";
	default:
		return gpgme_strerror(s->status);
	}
	if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
		return "the signer's key is revoked";
	if (s->summary & GPGME_SIGSUM_KEY_EXPIRED)
		return "the signer's key has expired";
	if (s->summary & GPGME_SIGSUM_SIG_EXPIRED)
		return "the signature has expired";
	if (s->summary & GPGME_SIGSUM_KEY_MISSING)
		return "the signer's key is not in the keyring";
	if (s->summary & GPGME_SIGSUM_RED)
		return "the signature is not valid";
	return "";
}

/*
 * Judge the signatures of a decrypted file.  A bad signature always fails
 * it (the data was changed); with signers, one good signature of a listed
 * key is needed; the others (unknown co-signers) are let be.
 */
static int
judge_signatures(gpgme_ctx_t ctx, const struct pgp_decrypt_opts *o,
    const char *label, char signer_out[PGP_FPR_LEN], struct xerr *err)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
	gpgme_signature_t s, first = NULL;
	const char *why = NULL, *firstwhy = NULL;
	gpgme_key_t key;
	char primary[PGP_FPR_LEN];

	for (s = vr ? vr->signatures : NULL; s != NULL; s = s->next) {
		why = sig_problem(s);
		if (gpgme_err_code(s->status) == GPG_ERR_BAD_SIGNATURE)
			return xerr_set(err, XERR_DATA, 0, "'%s': signature by "
			    "%s: %s", label, s->fpr ? s->fpr : "an unknown key",
			    why);
		/* The primary key of a signing subkey. */
		snprintf(primary, sizeof(primary), "%s", s->fpr ? s->fpr : "");
		if (s->fpr != NULL && gpgme_get_key(ctx, s->fpr, &key, 0) ==
		    0 && key != NULL) {
			if (key->subkeys != NULL && key->subkeys->fpr != NULL)
				snprintf(primary, sizeof(primary), "%s",
				    key->subkeys->fpr);
			gpgme_key_unref(key);
		}
		if (*why == '\0' && (o->nsigners == 0 || listed(o, primary) ||
		    listed(o, s->fpr))) {
			if (signer_out != NULL)
				snprintf(signer_out, PGP_FPR_LEN, "%s",
				    primary);
			return 0;
		}
		if (first == NULL) {
			first = s;
			firstwhy = *why != '\0' ? why : "not one of "
			    "require_signature";
		}
	}
	if (o->nsigners == 0)
		return 0;
	if (first == NULL)
		return xerr_set(err, XERR_DATA, 0, "'%s' is not signed "
		    "(require_signature names its signers)", label);
	return xerr_set(err, XERR_DATA, 0, "'%s': signed by %s: %s", label,
	    first->fpr ? first->fpr : "an unknown key", firstwhy);
}

int
pgp_decrypt_file(const struct pgp_decrypt_opts *o, const char *in_path,
    int out_fd, const char *label, char signer_out[PGP_FPR_LEN],
    long long *out_bytes, struct xerr *err)
{
	struct plain_out po = { out_fd, 0, o->max_size, 0, 0 };
	struct gpgme_data_cbs cbs = { NULL, plain_write, NULL, NULL };
	gpgme_data_t in = NULL, out = NULL;
	gpgme_decrypt_result_t dr;
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t e;
	int fd = -1, rc = -1, encrypted;

	if (signer_out != NULL)
		signer_out[0] = '\0';
	if (ctx_open(o->home, &ctx, err) == -1)
		return -1;
	if ((fd = open(in_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot open '%s'", in_path);
		goto out;
	}
	if ((e = gpgme_data_new_from_fd(&in, fd)) != 0 ||
	    (e = gpgme_data_new_from_cbs(&out, &cbs, &po)) != 0) {
		gpg_fail(err, XERR_TEMP, e, "cannot decrypt", label);
		goto out;
	}
	e = gpgme_op_decrypt_verify(ctx, in, out);
	dr = gpgme_op_decrypt_result(ctx);
	encrypted = dr != NULL && dr->recipients != NULL;
	/* A message only signed is no encrypted data to gpg's decrypt: its
	 * signature is checked, and its text taken, by a verify. */
	if (gpgme_err_code(e) == GPG_ERR_NO_DATA && !encrypted &&
	    o->nsigners > 0 && !po.over && po.werrno == 0) {
		/* What the decrypt wrote goes: the verify writes it anew. */
		po.bytes = 0;
		if (ftruncate(out_fd, 0) == -1 ||
		    lseek(out_fd, 0, SEEK_SET) == -1) {
			xerr_set(err, XERR_TEMP, errno, "cannot write the "
			    "plain text of '%s'", label);
			goto out;
		}
		if (gpgme_data_seek(in, 0, SEEK_SET) != 0) {
			xerr_set(err, XERR_TEMP, errno, "cannot read '%s' "
			    "again", in_path);
			goto out;
		}
		e = gpgme_op_verify(ctx, in, NULL, out);
		dr = NULL;
	}
	if (po.werrno != 0) {
		xerr_set(err, XERR_TEMP, po.werrno, "cannot write the "
		    "decrypted '%s'", label);
		goto out;
	}
	if (po.over) {
		xerr_set(err, XERR_DATA, 0, "'%s' decrypts to more than "
		    "max_size (%lld bytes)", label, o->max_size);
		goto out;
	}
	if (e != 0) {
		switch (gpgme_err_code(e)) {
		case GPG_ERR_NO_SECKEY:
			xerr_set(err, XERR_DATA, 0, "cannot decrypt '%s': it "
			    "is not encrypted to a key whose secret key is in "
			    "'%s'", label, o->home);
			break;
		case GPG_ERR_NO_DATA:
			/* Text came out: a message only signed. */
			if (po.bytes > 0)
				xerr_set(err, XERR_DATA, 0, "'%s' is not "
				    "encrypted (an OpenPGP message only signed "
				    "is taken only with require_signature)",
				    label);
			else
				xerr_set(err, XERR_DATA, 0, "cannot decrypt "
				    "'%s': it is not an OpenPGP message",
				    label);
			break;
		case GPG_ERR_NO_PASSPHRASE:
		case GPG_ERR_BAD_PASSPHRASE:
			xerr_set(err, XERR_CONFIG, 0, "cannot decrypt '%s': the "
			    "secret key in '%s' has a passphrase (nothing can "
			    "type one under cron)", label, o->home);
			break;
		default:
			/* A corrupt or tampered message (integrity check,
			 * bad packet, bad session key) is the file's fault:
			 * it would fail the same way every time. */
			xerr_set(err, XERR_DATA, 0, "cannot decrypt '%s': %s",
			    label, gpgme_strerror(e));
		}
		goto out;
	}
	if (dr != NULL && dr->wrong_key_usage) {
		xerr_set(err, XERR_DATA, 0, "cannot decrypt '%s': encrypted "
		    "with a key not meant for encryption", label);
		goto out;
	}
	if (!encrypted && o->nsigners == 0) {
		xerr_set(err, XERR_DATA, 0, "'%s' is not encrypted (an OpenPGP "
		    "message only signed is taken only with "
		    "require_signature)", label);
		goto out;
	}
	if (judge_signatures(ctx, o, label, signer_out, err) == -1)
		goto out;
	if (out_bytes != NULL)
		*out_bytes = po.bytes;
	rc = 0;
out:
	gpgme_data_release(in);
	gpgme_data_release(out);
	if (fd != -1)
		close(fd);
	gpgme_release(ctx);
	return rc;
}
