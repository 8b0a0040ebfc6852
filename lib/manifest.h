/*
 * manifest: read a partner's manifest, the sidecar that vouches for a
 * received file: NAME.sha256 (sha256sum format: "HEX  NAME", "HEX *NAME"
 * or just "HEX") or NAME.manifest.json ({"sha256": HEX, "records": N,
 * ...}, as xfer writes it).  Manifests are small: more than 64 KiB is
 * refused.
 */
#ifndef XFER_MANIFEST_H
#define XFER_MANIFEST_H

#include "digest.h"
#include "xerr.h"

struct manifest {
	char sha256[SHA256_HEXLEN];	/* lower case */
	long long records;		/* -1: not given */
};

/* Parse path; name is the data file's name (a .sha256 line naming
 * another file is refused).  XERR_DATA for anything malformed. */
int manifest_read(const char *path, const char *name, struct manifest *m,
    struct xerr *err);

/* The manifest names xfer looks for beside name ("" when none fits). */
void manifest_names(const char *name, char *sha, size_t shasize,
    char *json, size_t jsonsize);

#endif
