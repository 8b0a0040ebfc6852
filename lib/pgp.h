/*
 * pgp: OpenPGP encryption, signing, decryption and signature checks of
 * whole files through GPGME (the job's [output] encrypt_to / sign_with and
 * [inbox] decrypt / require_signature).
 *
 * Every call makes its own GPGME context whose engine home is the job's
 * keyring directory (never the user's ~/.gnupg), works offline, and never
 * asks for a passphrase: the pinentry runs in loopback mode and the
 * passphrase callback refuses, so a key with a passphrase fails at once
 * with an error instead of hanging a cron run.  Files are streamed through
 * file descriptors: memory stays flat whatever their size.
 *
 * The keys the job names by fingerprint are its trust decision: they are
 * used with GPGME_ENCRYPT_ALWAYS_TRUST (no web of trust is consulted), but
 * an expired, revoked, disabled or otherwise unusable key is refused with
 * its fingerprint and the reason.  Errors: a key problem is XERR_CONFIG
 * (the job or its keyring must be fixed); a file that does not decrypt or
 * whose signature is not acceptable is XERR_DATA naming the signer and
 * why; everything else (the engine cannot start, a write fails) is
 * XERR_TEMP.
 */
#ifndef XFER_PGP_H
#define XFER_PGP_H

#include <stddef.h>

#include "xerr.h"

/* A fingerprint as 40 upper-case hex digits and its NUL. */
#define PGP_FPR_LEN	41

/*
 * s as a v4 fingerprint: 40 hex digits, case-insensitive, spaces allowed
 * anywhere (as gpg --fingerprint prints them) and removed.  0 with out
 * filled (upper case), -1 if s is not one.
 */
int pgp_fpr_parse(const char *s, char out[PGP_FPR_LEN]);

struct pgp_encrypt_opts {
	const char *home;		/* the keyring directory */
	const char *const *recipients;	/* fingerprints; none: sign only */
	size_t nrecipients;
	const char *signer;		/* fingerprint; NULL: not signed */
	int armor;			/* ASCII armor */
};

/*
 * Encrypt (and sign, with a signer; only sign without recipients) the
 * file in_path into out_fd (not closed, not fsync'd).  label names the
 * file in messages.
 */
int pgp_encrypt_file(const struct pgp_encrypt_opts *o, const char *in_path,
    int out_fd, const char *label, struct xerr *err);

struct pgp_decrypt_opts {
	const char *home;		/* the keyring directory */
	const char *const *signers;	/* acceptable signers; none: no
					 * signature required */
	size_t nsigners;
	long long max_size;		/* plain bytes at most (a compressed
					 * packet is a bomb like any); <= 0:
					 * no limit */
};

/*
 * Decrypt in_path into out_fd (not closed, not fsync'd), checking its
 * signatures; label names the file in messages.  A message that is
 * only signed (not encrypted) is accepted only when signers are
 * required.  With signers, the file must carry a good signature of one
 * of them, made by a key that is neither expired nor revoked.  A bad
 * signature fails the file even when none is required.  signer_out (may
 * be NULL) gets the fingerprint of the good signature's primary key ("" if
 * none); *out_bytes (may be NULL) the plain size.  On failure out_fd may
 * hold part of the plain text: the caller discards it.
 */
int pgp_decrypt_file(const struct pgp_decrypt_opts *o, const char *in_path,
    int out_fd, const char *label, char signer_out[PGP_FPR_LEN],
    long long *out_bytes, struct xerr *err);

/*
 * Is fpr in home a key usable for what = 'e' (encrypting to it), 's'
 * (signing with it: its secret key must be there too) or 'v'
 * (verifying: known, not revoked)?  0 if so; -1 with XERR_CONFIG
 * naming the fingerprint and why not (missing, expired on DATE, revoked,
 * disabled, no encryption subkey, no secret key...).  For xfer check.
 */
int pgp_key_check(const char *home, const char *fpr, int what,
    struct xerr *err);

/* The length of name without a ".pgp", ".gpg" or ".asc" suffix (any
 * case); strlen(name) when it has none. */
size_t pgp_strip_suffix(const char *name);

#endif
