/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The content steps of a build that need no package manager: base trees, extra trees,
 * hostname, timezone, locale, root password, enabled units and the post-installation script.
 *
 * Every path written inside the image tree is resolved with chase_in_root(), so symlinks in the
 * tree (absolute ones included) are followed relative to the tree's root and never lead to a
 * write on the host.  The steps log their own errors once, with context, and return -errno.
 *
 * Errors the caller maps to exit codes:
 *	-ENOENT   a BaseTrees=/ExtraTrees=/PostInstallationScript= source is missing (exit 2)
 *	-EINVAL   a recipe value cannot be applied (bad hostname, unknown timezone, ...; exit 2)
 *	-EPERM    PostInstallationScript= needs root and we are not root (exit 3)
 *	-EPROTO   PostInstallationScript= exited non-zero or was killed (exit 1)
 *	other     a step failed (I/O, archive errors, a tarball member escaping the tree; exit 1)
 */
#pragma once

#include "recipe.h"

/*
 * Lay BaseTrees= down on root (an existing, empty directory), in order: a directory is copied
 * (copy_tree), anything else is read as an archive (any format/compression libarchive knows)
 * and extracted with owners (numeric), modes, times, xattrs, ACLs, file flags, hardlinks and
 * device nodes.  Archive members with absolute paths or ".." are refused (the whole step
 * fails); existing symlinks in the tree (e.g. /lib -> usr/lib from an earlier layer) are
 * followed inside the tree, like GNU tar's --keep-directory-symlink, never out of it.
 * Before copying anything, fails with -ENOENT/-EPERM if PostInstallationScript= could not run
 * later (missing, or not root), so such a build stops at once.
 */
int content_base_trees(const struct recipe *r, const char *root);

/*
 * Apply the rest of [Content] to the tree at root, in this order:
 *
 *  ExtraTrees=DIR[:TARGET]  copied (or extracted, if a tarball) over the tree at TARGET
 *                           (absolute inside the image, default /).
 *  Hostname=                /etc/hostname; an existing "127.0.1.1" line of /etc/hosts is
 *                           rewritten to name the host.
 *  Timezone=                /etc/localtime -> ../usr/share/zoneinfo/ZONE (the zone must exist
 *                           in the tree); /etc/timezone too if the tree has one (Debian).
 *  Locale=                  /etc/locale.conf LANG=...; /etc/default/locale too if the tree has
 *                           /etc/default (Debian).
 *  Password=                the root entry of /etc/shadow (hash field only; the other fields,
 *                           the other lines, mode and owner are kept; written atomically).  A
 *                           tree without /etc/shadow gets a warning and no password.
 *  EnableUnits=             the symlinks "systemctl enable" would create from the unit's
 *                           [Install] section (WantedBy=, RequiredBy=, UpheldBy=, Alias=,
 *                           Also=), in /etc/systemd/system.
 *  PostInstallationScript=  copied into the tree under a temporary name and run there as root,
 *                           chrooted, in a private mount namespace with /proc, /sys and /dev,
 *                           with $1 = "final" (mkosi compatibility); removed afterwards.
 */
int content_apply(const struct recipe *r, const char *root);

/*
 * Hash a root password for /etc/shadow.  Plain text is hashed with yescrypt ("$y$"), or
 * SHA-512 ("$6$") where the libcrypt has no yescrypt, using a fresh random salt from
 * getrandom(): salts stay random even with SOURCE_DATE_EPOCH set, so /etc/shadow is the one file
 * that is not reproducible when a plain-text password is given (give "hashed:..." for
 * reproducible images).  "hashed:HASH" returns HASH verbatim after checking it is a complete
 * crypt(5) hash of a method this libcrypt supports; anything else is -EINVAL.
 */
int content_hash_password(const char *password, char **ret);
