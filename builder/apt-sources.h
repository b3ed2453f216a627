/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-release facts of the apt family: merged /usr, default mirrors, and the image's own apt
 * sources.
 */
#pragma once

#include <stdbool.h>

#include "recipe.h"

/*
 * Releases installed with a merged /usr (/bin, /sbin, /lib... are symlinks into /usr), as
 * debootstrap lays them out for new installs: Debian from 11 "bullseye" on, Ubuntu from 19.04
 * "disco" on (so 20.04, 22.04 and 24.04; not 18.04).  Unknown code names count as new.
 */
bool apt_release_merged_usr(enum distribution d, const char *release);
/* The top-level directories that become symlinks into /usr on arch, NULL-terminated. */
const char *const *apt_merged_usr_dirs(const char *arch);

/*
 * The mirror when the recipe has no Mirror=: Ubuntu's archive (ports.ubuntu.com for
 * architectures other than amd64 and i386); for Debian the Debian mirror of the host's apt
 * sources (apt_host_debian_mirror(), which logs when there is none: -ENOENT).
 */
int apt_default_mirror(enum distribution d, const char *arch, char **ret);

/*
 * The base of RELEASE-security when Updates= is on: SecurityMirror=; for Ubuntu the release's
 * mirror (the archive and ports carry the security pocket); for Debian without Mirror= the
 * host's apt source of a Debian "-security" suite, else the Debian security archive.  -ENOENT
 * (not logged) for Ubuntu when mirror is NULL.
 */
int apt_security_mirror(const struct recipe *rc, const char *mirror, char **ret);
/* The same with another directory in place of /etc/apt (tests). */
int apt_security_mirror_at(const struct recipe *rc, const char *mirror, const char *apt_etc,
			   char **ret);

/*
 * The image's sources: deb822 /etc/apt/sources.list.d/{debian,ubuntu}.sources where the
 * release's installer writes that (Debian 13, Ubuntu 24.04 and later), else a one-line
 * /etc/apt/sources.list, like debootstrap and mmdebstrap.  One suite per entry of suites (the
 * release first) with the mirror of the same index in mirrors; in deb822 consecutive suites of
 * one mirror share a stanza.
 */
int apt_write_sources(const char *root, enum distribution d, char *const *mirrors,
		      char *const *suites, char *const *components);
