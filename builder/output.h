/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image writers: one file per format, each behind struct output_ops. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tree.h"

enum compression {
	COMPRESSION_NONE,
	COMPRESSION_GZ,
	COMPRESSION_XZ,
	COMPRESSION_ZSTD,
};

/* What a writer that streams its output learns on the way: the manifest need not read it
 * back. */
struct output_digest {
	bool have;
	char sha256[65];
	uint64_t size;
};

struct output_params {
	const char *tree_root;	/* the finished root tree */
	const struct tree *tree;/* its scan (sorted, with xattrs and hardlinks) */
	const char *path;	/* where to write: a temporary name; the caller renames it */
	const char *arch;	/* Debian-style host/target arch name: amd64, arm64, ... */
	uint64_t size;		/* requested image size in bytes, 0 = automatic */
	enum compression compression;
	uint8_t seed[16];	/* all UUIDs/hash seeds are derived from this */
	bool have_epoch;	/* SOURCE_DATE_EPOCH set: timestamps are clamped to epoch */
	int64_t epoch;
	struct output_digest *digest; /* the writer may fill it in */
};

struct output_ops {
	const char *name;	/* the Format= value */
	bool needs_scan;	/* wants params->tree */
	int (*write)(const struct output_params *p);
};

extern const struct output_ops output_directory_ops;
extern const struct output_ops output_tar_ops;
extern const struct output_ops output_gpt_ext4_ops;

const struct output_ops *output_find(const char *format);

/* Clamp a timestamp to SOURCE_DATE_EPOCH if set. */
static inline int64_t output_clamp_time(const struct output_params *p, int64_t t)
{
	return (p->have_epoch && t > p->epoch) ? p->epoch : t;
}

/* Derive a UUID from the seed and a purpose string (sha256(seed || purpose), RFC 4122 v4/v8
 * bits set).  Different purposes give independent UUIDs; same inputs the same UUID. */
void output_derive_uuid(const uint8_t seed[16], const char *purpose, uint8_t ret[16]);
