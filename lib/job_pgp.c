/*
 * job_pgp: the OpenPGP keys of a job file, checked into struct job:
 * [output] encrypt_to, sign_with, keyring, armor and [inbox] decrypt,
 * require_signature, keyring.  Whether the keys named are in the keyring
 * and usable is for xfer check and the run (pgp.h): loading a job does
 * not start gpg.
 * Internal to the job file modules; job_internal.h is its interface.
 */
#include "job_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pgp.h"

/* A comma list of fingerprints into out (upper case, no spaces). */
static void
fingerprints(struct loader *ld, enum key k, struct strlist *out)
{
	struct strlist raw = { 0 };
	char fpr[PGP_FPR_LEN];
	size_t i;

	jf_list(ld, k, &raw);
	for (i = 0; i < raw.n && !ld->ent[k].done; i++) {
		if (pgp_fpr_parse(raw.v[i], fpr) == -1) {
			jf_bad(ld, k, "'%s' is not an OpenPGP fingerprint "
			    "(expected the 40 hex digits gpg --fingerprint "
			    "prints; spaces are allowed)", raw.v[i]);
			break;
		}
		if (strlist_contains(out, fpr)) {
			jf_bad(ld, k, "key %s is listed twice", fpr);
			break;
		}
		if (strlist_add(out, fpr) == -1) {
			ld->nomem = 1;
			break;
		}
	}
	if (ld->ent[k].done)
		strlist_free(out);
	strlist_free(&raw);
}

/*
 * The keyring: a directory that exists and only its owner may use (gpg
 * itself warns of "unsafe permissions" otherwise, and the secret keys
 * are in it).
 */
static void
keyring(struct loader *ld, enum key k, char **out)
{
	struct stat st;
	char *path = NULL;

	jf_path(ld, k, 0, &path);
	if (path == NULL)
		return;
	if (stat(path, &st) == -1)
		jf_bad(ld, k, "'%s': %s", path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		jf_bad(ld, k, "'%s' is not a directory (the GnuPG home "
		    "holding the job's keys)", path);
	else if ((st.st_mode & 077) != 0)
		jf_bad(ld, k, "'%s' may be used by others (mode %04o); run "
		    "chmod 700 '%s'", path, (unsigned)(st.st_mode & 07777),
		    path);
	else {
		*out = path;
		return;
	}
	free(path);
}

void
jf_check_output_pgp(struct loader *ld)
{
	struct job_output *out = &ld->job->output;
	char fpr[PGP_FPR_LEN];
	const char *v;
	int used = jf_is_set(ld, K_OUT_ENCRYPT_TO) ||
	    jf_is_set(ld, K_OUT_SIGN_WITH);

	fingerprints(ld, K_OUT_ENCRYPT_TO, &out->encrypt_to);
	if ((v = jf_val(ld, K_OUT_SIGN_WITH)) != NULL) {
		if (pgp_fpr_parse(v, fpr) == -1)
			jf_bad(ld, K_OUT_SIGN_WITH, "'%s' is not an OpenPGP "
			    "fingerprint (expected the 40 hex digits gpg "
			    "--fingerprint prints; spaces are allowed)", v);
		else
			out->sign_with = jf_dup(ld, fpr);
	}
	if (!used) {
		/* A name that promises an OpenPGP file the partner would
		 * try to decrypt. */
		if (out->name != NULL && jf_is_set(ld, K_OUT_NAME) &&
		    pgp_strip_suffix(out->name) < strlen(out->name))
			jf_bad(ld, K_OUT_NAME, "'%s' ends as an OpenPGP file, "
			    "but nothing encrypts or signs it (encrypt_to, "
			    "sign_with)", out->name);
		if (jf_val(ld, K_OUT_KEYRING) != NULL)
			jf_bad(ld, K_OUT_KEYRING, "only used with encrypt_to "
			    "or sign_with");
		if (jf_val(ld, K_OUT_ARMOR) != NULL)
			jf_bad(ld, K_OUT_ARMOR, "only used with encrypt_to or "
			    "sign_with");
		return;
	}
	if (!jf_is_set(ld, K_OUT_KEYRING))
		jf_problem(ld, ld->ent[jf_is_set(ld, K_OUT_ENCRYPT_TO) ?
		    K_OUT_ENCRYPT_TO : K_OUT_SIGN_WITH].line, "[output] needs "
		    "keyring (the GnuPG home holding the keys) with encrypt_to "
		    "or sign_with");
	keyring(ld, K_OUT_KEYRING, &out->keyring);
	jf_boolean(ld, K_OUT_ARMOR, &out->armor);
}

void
jf_check_inbox_pgp(struct loader *ld)
{
	struct job_inbox *in = &ld->job->inbox;

	jf_boolean(ld, K_IN_DECRYPT, &in->decrypt);
	fingerprints(ld, K_IN_REQUIRE_SIGNATURE, &in->require_signature);
	if (!in->decrypt) {
		if (jf_val(ld, K_IN_REQUIRE_SIGNATURE) != NULL)
			jf_bad(ld, K_IN_REQUIRE_SIGNATURE, "only used with "
			    "decrypt = yes");
		if (jf_val(ld, K_IN_KEYRING) != NULL)
			jf_bad(ld, K_IN_KEYRING, "only used with decrypt = "
			    "yes");
		return;
	}
	if (!jf_is_set(ld, K_IN_KEYRING))
		jf_problem(ld, ld->ent[K_IN_DECRYPT].line, "[inbox] needs "
		    "keyring (the GnuPG home holding the keys) with decrypt = "
		    "yes");
	keyring(ld, K_IN_KEYRING, &in->keyring);
}
