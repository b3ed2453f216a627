/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An apt repository: signed Release metadata (InRelease, or Release + Release.gpg) verified
 * with gpgv against a keyring, Valid-Until honoured, then the Packages indexes the Release
 * lists, each checked against its SHA256 and decompressed (xz, gz, zst, bz2 or none).
 * Everything fails closed unless key_check is false (then a warning is logged every time).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

struct apt_source {
	const char *mirror;		/* http://.../debian, https://..., file:///... */
	const char *suite;		/* bookworm, jammy-updates, ... */
	char *const *components;	/* main, contrib, universe, ... */
	const char *arch;		/* amd64 ... ("all" packages are in the arch index too) */
	const char *keyring;		/* gpgv --keyring; NULL: distro default path */
	bool key_check;
	const char *distribution;	/* "debian"/"ubuntu": picks the default keyring */
};

/* One downloaded, verified, decompressed Packages index. */
struct apt_index {
	char *component;
	char *path;		/* decompressed Packages file (in the workspace) */
	char *base_url;		/* mirror URL that Filename: fields are relative to */
};

struct apt_release {
	char *suite, *codename, *version;
	char *sha256;		/* digest of the (In)Release file itself, for lockfiles */
	int64_t date, valid_until;	/* -1 if absent */
	struct apt_index *indexes;
	size_t n_indexes;
};

/*
 * Fetch and verify the Release and the Packages indexes of src into workdir.  Logs; returns
 * -EBADMSG for signature/digest/validity failures (exit 1), -ENOENT when a component or
 * architecture is not in the Release, or the suite is not on the mirror at all (exit 2),
 * -ENOKEY when the keyring file does not exist (the message names the package that ships a
 * standard keyring), -ENODATA offline with something not cached, other -errno for transfer
 * failures.  The keyring may be binary (.gpg, .kbx) or ASCII-armored (.asc): armor is removed
 * here.  mirror may also be a plain absolute path (taken as file://).  Files go to
 * workdir/<suite>-<hash>/ so several sources can share one workdir.
 */
int apt_repo_load(struct fetch *f, const struct apt_source *src, const char *workdir,
		  struct apt_release **ret);
void apt_release_free(struct apt_release *r);

/* The package that ships a distribution's default keyring, for "install X" hints. */
const char *apt_keyring_package(const char *keyring_path);
/* The standard keyring path of "debian" or "ubuntu"; NULL for others. */
const char *apt_default_keyring(const char *distribution);

/*
 * The Debian mirror configured in the host's apt sources (/etc/apt/sources.list and
 * sources.list.d/ *.list, *.sources): the first enabled "deb" source whose suites include a
 * Debian release name.  Logs and returns -ENOENT when there is none.  _at: another directory
 * in place of /etc/apt (tests).
 */
int apt_host_debian_mirror(char **ret);
int apt_host_debian_mirror_at(const char *apt_etc, char **ret);
/* The same for the Debian security archive: the first enabled "deb" source whose suites include
 * a Debian release's "-security" suite.  -ENOENT (not logged) when there is none. */
int apt_host_debian_security_mirror_at(const char *apt_etc, char **ret);
