/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ext4 written natively with libext2fs: a filesystem created inside a region of an image file
 * and filled from a scanned tree, without mounting, loop devices or mke2fs.
 */
#pragma once

#include <stdint.h>

#include "output.h"
#include "tree.h"

/* What a tree needs in an ext4 filesystem, independent of the filesystem's size. */
struct ext4w_usage {
	uint64_t data_blocks; /* 4 KiB blocks: file data, directories, symlinks, xattr blocks */
	uint64_t inodes;      /* inodes, the reserved ones included */
};

void ext4w_measure(const struct tree *t, struct ext4w_usage *ret);
/* The smallest filesystem, in bytes (whole MiB), that holds u. */
uint64_t ext4w_min_size(const struct ext4w_usage *u);
/* The automatic size, in bytes (whole MiB): the minimum plus headroom. */
uint64_t ext4w_auto_size(const struct ext4w_usage *u);

/*
 * Create an ext4 filesystem of size bytes at byte offset of the image file p->path (which must
 * be zero there, e.g. freshly truncated) and fill it from p->tree.  Returns -ENOSPC if the tree
 * does not fit.
 */
int ext4w_write(const struct output_params *p, uint64_t offset, uint64_t size);
