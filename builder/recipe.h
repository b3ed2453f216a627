/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recipes: mkosi-compatible INI files describing an image.  Parsing is pure (buffer in,
 * struct out, error text into a caller buffer) so it is unit-tested and fuzzed; loading a file
 * and validating it against the host are separate steps.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"

enum distribution {
	DISTRO_UNSET,
	DISTRO_NONE,
	DISTRO_DEBIAN,
	DISTRO_UBUNTU,
	DISTRO_CENTOS,
	DISTRO_ROCKY,
	DISTRO_ALMA,
};

enum output_format {
	FORMAT_UNSET,
	FORMAT_GPT_EXT4,
	FORMAT_TAR,
	FORMAT_DIRECTORY,
};

/* Where a value came from, for error messages after parsing. */
struct recipe_origin {
	const char *file;	/* points into recipe->files */
	unsigned line;
};

struct recipe {
	char **files;		/* every file that contributed, in load order */

	/* [Distribution] */
	enum distribution distribution;
	char *release;
	char *mirror;
	char *metalink;			/* mkimg extension, rpm family: used without Mirror= */
	char *mirror_list;		/* ditto, a plain list of base URLs */
	char *architecture;
	char **repositories;
	char *repository_key;
	int repository_key_check;	/* -1 unset, 0 no, 1 yes */
	int updates;			/* mkimg extension, apt: -1 unset (validate: yes) */
	char *security_mirror;		/* mkimg extension, apt: base of RELEASE-security */

	/* [Output] */
	enum output_format format;
	char *output;
	int bootable;			/* -1 unset */
	uint64_t size;			/* 0 = automatic */
	int compress;			/* -1 unset/infer, else enum compression */
	bool have_seed;
	uint8_t seed[16];

	/* [Packages] */
	char **packages;
	char **remove_packages;
	int with_docs;			/* -1 unset */
	int with_recommends;		/* -1 unset */

	/* [Content] */
	char *password;			/* plain, or "hashed:$y$..." */
	int password_is_hashed;		/* -1 unset; legacy [Validation] PasswordIsHashed= */
	char *hostname;
	char *timezone;
	char *locale;
	char **base_trees;
	char **extra_trees;		/* "DIR[:TARGET]" */
	char *postinst_script;
	char **enable_units;

	/* file:line of the last assignment of each key, by key name ("Distribution", ...) */
	struct recipe_key_origin {
		const char *key;
		struct recipe_origin origin;
	} *origins;
	size_t n_origins;
};

struct recipe *recipe_new(void);
void recipe_free(struct recipe *r);

/*
 * Parse buf (contents of file) into r, on top of what r already holds (later assignments
 * win, lists accumulate).  On a malformed recipe returns -EINVAL and writes
 * "FILE:LINE: message" into err.
 */
int recipe_parse_buffer(struct recipe *r, const char *buf, size_t len, const char *file,
			char *err, size_t errlen);
/* Read and parse a file. -errno on I/O errors (err says which file). */
int recipe_load(struct recipe *r, const char *path, char *err, size_t errlen);

/* Check required keys and cross-key rules (Bootable=yes unsupported, none needs BaseTrees,
 * format/compression agreement, ...), filling defaults.  -EINVAL with a message in err. */
int recipe_validate(struct recipe *r, char *err, size_t errlen);

/* The effective recipe as INI text (what "mkimg summary" prints). malloc'd. */
char *recipe_format(const struct recipe *r);
/* Same, and with origins a "# FILE:LINE" comment (or "# default") above every key. */
char *recipe_format_full(const struct recipe *r, bool origins);

const char *distribution_to_string(enum distribution d);
const char *format_to_string(enum output_format f);
const char *compression_to_string(enum compression c);	/* "no", "gz", "xz", "zstd" */
/* The build host's architecture in Debian spelling (amd64, arm64, ...), NULL if unknown. */
const char *recipe_host_architecture(void);
/* Whether the build uses RELEASE-updates and RELEASE-security: Updates= is on and the release
 * has them (Debian's sid, unstable and experimental have not). */
bool recipe_updates_enabled(const struct recipe *r);
const struct recipe_origin *recipe_origin_of(const struct recipe *r, const char *key);
