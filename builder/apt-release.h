/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pure parsers for apt repository metadata: the Release file (deb822, one paragraph), RFC 2822
 * dates, the clearsigned InRelease envelope, ASCII-armored keys, gpgv's status lines and the
 * host's apt sources.  No I/O beyond the buffers handed in, so all of it is unit-tested.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line of the Release's SHA256 list: " <digest> <size> <path>". */
struct apt_release_file {
	char *path;
	uint64_t size;
	char sha256[65];
};

struct apt_release_info {
	char *origin, *label, *suite, *codename, *version;
	char **components;		/* Components: (NULL if absent) */
	char **architectures;		/* Architectures: (NULL if absent) */
	int64_t date, valid_until;	/* -1 if absent */
	bool by_hash;			/* Acquire-By-Hash: yes */
	struct apt_release_file *files;
	size_t n_files;
};

/* -EBADMSG on malformed input (bad date, bad SHA256 line, no SHA256 list). */
int apt_release_parse(const char *buf, size_t len, struct apt_release_info **ret);
void apt_release_info_free(struct apt_release_info *r);

const struct apt_release_file *apt_release_lookup(const struct apt_release_info *r,
						  const char *path);
bool apt_release_has_component(const struct apt_release_info *r, const char *component);
bool apt_release_has_arch(const struct apt_release_info *r, const char *arch);
/*
 * The best Packages index of component/arch the Release lists: Packages.xz, then .gz, .zst,
 * .bz2, then the uncompressed one.  -ENOENT if none is listed.
 */
int apt_release_pick_index(const struct apt_release_info *r, const char *component,
			   const char *arch, const struct apt_release_file **ret);

/* "Sat, 10 Jun 2023 08:52:35 UTC" (weekday optional; UTC, GMT, Z or +hhmm/-hhmm) -> epoch. */
int apt_parse_date(const char *s, int64_t *ret);

/*
 * Checks that buf is exactly one clearsigned message (nothing but whitespace around it) and
 * returns the signed text with dash-escaping undone.  -EBADMSG otherwise.  This is only the
 * envelope: the signature itself is gpgv's business.
 */
int apt_clearsign_content(const char *buf, size_t len, char **ret, size_t *ret_len);

/* true if buf looks like an ASCII-armored OpenPGP block. */
bool pgp_is_armored(const char *buf, size_t len);
/* Binary packets of every "PUBLIC KEY BLOCK" in buf (CRC-24 checked).  -EBADMSG if broken. */
int pgp_dearmor(const char *buf, size_t len, uint8_t **ret, size_t *ret_len);

/*
 * gpgv --status-fd output -> 0 if there is a good, valid signature with a strong digest and no
 * bad one; else -EBADMSG and *ret_reason (malloc'd) says why, e.g. "signed by unknown key X".
 */
int apt_gpgv_status_check(const char *status, char **ret_reason);

/* A Debian release name or alias (bookworm, trixie, sid, stable, ...). */
bool apt_is_debian_suite(const char *suite);
/*
 * The first http(s)/file URI of an enabled "deb" source whose suites include a Debian
 * release name (with security: a Debian release's "-security" suite, such as
 * "bookworm-security"), from a deb822 .sources text (deb822 = true) or a one-line
 * sources.list text.  -ENOENT if there is none.
 */
int apt_sources_debian_mirror(const char *text, bool deb822, bool security, char **ret);
