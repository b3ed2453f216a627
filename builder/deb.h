/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * .deb files read with libarchive: an ar archive of debian-binary, control.tar[.gz|.xz|.zst]
 * and data.tar[.gz|.xz|.zst|.bz2].  No dpkg-deb, no temporary files.
 */
#pragma once

/*
 * dpkg's --path-exclude/--path-include: "-GLOB" leaves matching paths out, "+GLOB" takes them
 * back; the last pattern that matches an entry's absolute path ("/usr/share/doc/x") decides,
 * as fnmatch(3) without FNM_PATHNAME.  A NULL-terminated list; NULL extracts everything.
 */
/*
 * Extract the data of deb into root, preserving modes, owners (numeric), times, xattrs,
 * hardlinks and symlinks.  Paths are resolved inside root, following the tree's own symlinks
 * (so with a merged /usr "bin/ls" lands in "usr/bin/ls"); nothing is written outside root.
 * root must not contain symlinks itself (pass a realpath()).  Thread-safe: distinct calls may
 * extract into the same root at once.  The control file's text goes to *ret_control if that is
 * not NULL.  -EBADMSG for a malformed package.  Does not log.
 */
int deb_extract(const char *deb, const char *root, const char *const *filter, char **ret_control);

/* Only the control file. */
int deb_read_control(const char *deb, char **ret_control);

/* The value of field name in a control paragraph (malloc'd), or NULL. */
char *deb_control_field(const char *control, const char *name);
