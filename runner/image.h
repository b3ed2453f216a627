/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the input is: a GPT disk image (the root partition is found with libblkid), a bare
 * file system image, a directory or a tarball.  Inspection only reads; nothing is attached.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"

enum input_kind {
	INPUT_KIND_DISK,      /* partition table; root partition at offset/size */
	INPUT_KIND_FS,	      /* bare file system at offset 0 */
	INPUT_KIND_DIRECTORY, /* a root tree */
	INPUT_KIND_TARBALL,   /* extracted into the cache, then like a directory */
};

struct image_part {
	int partno;
	char type[40]; /* GPT type UUID (lower case) or "0x83" for MBR */
	char name[80];
	uint64_t start, size; /* bytes */
};

struct image_info {
	enum input_kind kind;
	char *path; /* absolute */
	uint64_t file_size;
	/* DISK and FS: where the root file system is and what it is. */
	uint64_t offset, size;
	char fstype[32];
	int partno; /* DISK only */
};

/*
 * Look at path.  Errors are logged; *ret_exit says which exit status fits (EXIT_USAGE for a
 * bad or ambiguous input, EXIT_RUN_FAILED for I/O trouble).
 */
int image_inspect(const char *path, enum input_hint hint, struct image_info **ret, int *ret_exit);
void image_info_free(struct image_info *i);
const char *input_kind_name(enum input_kind k);

/* The GPT root partition type of the architecture runimg was built for, or NULL. */
const char *image_host_root_type(void);

/*
 * Pick the root among parts (pure): the only partition with root_type, else the only generic
 * Linux file system partition.  -ENOENT none, -ENOTUNIQ more than one candidate.
 */
int image_pick_root(const struct image_part *parts, size_t n, const char *root_type,
		    size_t *ret_index);

/* Size in bytes an ext2/3/4 superblock (the 1024 bytes at offset 1024) claims, or -EINVAL. */
int ext_sb_fs_size(const uint8_t sb[1024], uint64_t *ret);

/* "partition 1 (type 4f68bce3-..., 'root', 64M)", one per line prefix "  ". */
char *image_describe_parts(const struct image_part *parts, size_t n);
