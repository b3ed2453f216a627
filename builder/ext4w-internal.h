/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared between ext4w.c (the filesystem), ext4w-files.c (inodes, data) and ext4w-dir.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "log.h"
#include "output.h"
#include "tree.h"

#define EXT4W_BLOCK_SIZE 4096U
#define EXT4W_INODE_SIZE 256U
#define EXT4W_WBUF_SIZE (4U << 20) /* write-combining buffer for file data */

/* A run of physically contiguous blocks mapped at lblk. */
struct ext4w_run {
	blk64_t lblk;
	blk64_t pblk;
	blk64_t len;
};

struct ext4w {
	ext2_filsys fs;
	const struct output_params *p;
	const struct tree *tree;
	int fd;		 /* the image, for file data (metadata goes through fs->io) */
	uint64_t offset; /* byte offset of the filesystem in the image */
	time_t now;

	ext2_ino_t *ino;     /* per tree entry: inode number (hardlinks share) */
	uint32_t *nlink;     /* per tree entry: link count of its inode */
	size_t *child_start; /* per tree entry: children are child[child_start[i] ..[i+1]) */
	size_t *child;
	ext2_ino_t lpf_ino; /* lost+found we create, 0 if the tree has one */

	blk64_t goal;		/* next block to allocate from: data is laid out in tree order */
	struct ext4w_run *runs; /* scratch: the runs of the inode being written */
	size_t n_runs, runs_cap;

	/* Data blocks waiting to be written with one pwrite: wbuf_len bytes for blocks starting
	 * at wbuf_pblk. */
	char *wbuf;
	size_t wbuf_len;
	blk64_t wbuf_pblk;
	bool no_copy_range; /* copy_file_range() unsupported between tree and image */

	uint64_t bytes_done;
	struct progress *progress;
};

/* Map errcode_t (com_err codes or errno) to a negative errno, ENOSPC for "out of space". */
int ext4w_errno(errcode_t e);
/* Log "CONTEXT: library message" once (with a hint when out of space); returns ext4w_errno(). */
int ext4w_fail(const struct ext4w *w, errcode_t e, const char *fmt, ...) _printf_(3, 4);
/* Clamped timestamp into an inode time field and its _extra field. */
void ext4w_set_time(uint32_t *t, uint32_t *extra, const struct ext4w *w, const struct timespec *ts);
/* A fresh large inode with times, owner and mode from st. */
void ext4w_inode_init(const struct ext4w *w, struct ext2_inode_large *inode, const struct stat *st);

/* Allocate len blocks for lblk.. of the inode, appended to w->runs (not yet in the inode). */
int ext4w_alloc(struct ext4w *w, struct ext2_inode_large *inode, blk64_t lblk, blk64_t len);
/* Write w->runs as the inode's extent tree (i_block, index blocks) and reset w->runs. */
int ext4w_set_extents(struct ext4w *w, ext2_ino_t ino, struct ext2_inode_large *inode);
int ext4w_write_inode(struct ext4w *w, const char *path, ext2_ino_t ino,
		      struct ext2_inode_large *inode);

/* Directory blocks (linear or htree) for entry index dir; sets size, flags, extents. */
int ext4w_make_dir(struct ext4w *w, size_t dir, ext2_ino_t ino, ext2_ino_t parent,
		   struct ext2_inode_large *inode);
/* lost+found as mke2fs makes it: 4 empty blocks. */
int ext4w_make_lost_found(struct ext4w *w);

/* Inodes, data and xattrs for every tree entry. */
int ext4w_populate(struct ext4w *w);
int ext4w_flush_data(struct ext4w *w);
