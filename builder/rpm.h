/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * .rpm files without librpm: the lead, the signature header and the main header are parsed
 * here (for the signature check), the payload (cpio, compressed with gzip, xz, zstd or bzip2)
 * is read with libarchive.
 */
#pragma once

#include "rpm-md.h"

/*
 * Check the package's OpenPGP signature against the keys:
 *  - a header signature (RSAHEADER/DSAHEADER, what rpm >= 4.14 signs) is checked with gpgv
 *    over the main header, and the payload against the header's PAYLOADDIGEST (sha256);
 *  - without a payload digest (rpm < 4.14 packages, CentOS 7), the header+payload signature
 *    (PGP/GPG tags) is checked with gpgv over header and payload.
 * An unsigned package fails.  tag names scratch files in k->dir (unique per concurrent call).
 * 0, or -EBADMSG with *ret_reason (malloc'd); other -errno on I/O errors.  Does not log.
 */
int rpm_verify_signature(const char *path, const struct rpmmd_keys *k, const char *tag,
			 char **ret_reason);

/*
 * Extract the payload into root (a realpath without symlinks): modes, numeric owners, times,
 * hardlinks, symlinks and directories kept; nothing is written outside root and no symlink
 * inside root is followed for a file's last component.  Thread-safe.  -EBADMSG for a
 * malformed package.  Entries whose absolute path starts with one of skip (NULL-terminated,
 * may be NULL) are left out.  Does not log.
 */
int rpm_extract(const char *path, const char *root, const char *const *skip);
