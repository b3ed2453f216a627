/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ext4 without mke2fs: the filesystem is created with libext2fs inside a region of the image
 * file (the unix io manager with "offset=N"), with the features, geometry and defaults that
 * `mke2fs -t ext4` uses on Debian 12, and then filled from the scanned tree (ext4w-files.c,
 * ext4w-dir.c).  Nothing written depends on the time, the host or chance:
 *
 *  - UUID and directory hash seed are derived from the seed; the journal superblock copies
 *    the filesystem UUID; fs->now (which libext2fs uses for every timestamp it writes: mkfs
 *    time, last check, write time, journal/resize/bad-block inode times) is SOURCE_DATE_EPOCH
 *    if set, else the time of the build, read once;
 *  - the hash flag is always "signed" and the hashes are computed that way, so images built
 *    on x86 (signed char) and arm64 (unsigned char) hosts are identical;
 *  - inode generations are 0, no MMP, no random journal or lazy-init state; inodes are
 *    numbered and blocks allocated in tree order.
 *
 * The region must read as zeros (a freshly truncated file): the inode tables and the journal
 * are then marked initialized without writing them, as mke2fs does on a device that zeroes
 * on discard.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ext4w-internal.h"
#include "ext4w.h"
#include "strutil.h"

#define BLOCKS_PER_GROUP (8 * EXT4W_BLOCK_SIZE)
#define INODES_PER_BLOCK (EXT4W_BLOCK_SIZE / EXT4W_INODE_SIZE)
#define DESC_PER_BLOCK (EXT4W_BLOCK_SIZE / EXT2_MIN_DESC_SIZE_64BIT)
#define INODE_RATIO 16384 /* bytes per inode, as mke2fs.conf */
#define MIB_BLOCKS ((1U << 20) / EXT4W_BLOCK_SIZE)
#define MIN_FS_BLOCKS (8 * MIB_BLOCKS)
#define FAST_SYMLINK_MAX 59
/* Room for xattrs inside a 256-byte inode: 256 - 128 - 32 (extra isize) - 4 (magic) - 4 (end). */
#define INODE_XATTR_SPACE 88
#define DIV_ROUND_UP(a, b) (((a) + (b)-1) / (b))

int ext4w_errno(errcode_t e)
{
	switch (e) {
	case 0:
		return 0;
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
	case EXT2_ET_EA_NO_SPACE:
	case EXT2_ET_TOOSMALL:
	case EXT2_ET_RES_GDT_BLOCKS:
	case EXT2_ET_JOURNAL_TOO_SMALL:
	case EXT2_ET_TOO_MANY_INODES:
		return -ENOSPC;
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	default:
		return (e > 0 && e < 4096) ? -(int)e : -EIO;
	}
}

int ext4w_fail(const struct ext4w *w, errcode_t e, const char *fmt, ...)
{
	const char *hint;
	char ctx[512];
	va_list ap;
	int r = ext4w_errno(e);

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (r != -ENOSPC)
		hint = "";
	else if (w->p->size)
		hint = " (the image is too small for the tree: raise Size= or leave it unset)";
	else
		hint = " (the automatic size was too small for the tree: set a larger Size=)";
	log_error("%s: %s%s", ctx, e < 4096 ? strerror((int)e) : error_message(e), hint);
	return r;
}

/* --- sizing ---------------------------------------------------------------------------- */

static uint64_t rec_len(size_t name_len)
{
	return (8 + name_len + 3) & ~(uint64_t)3;
}

/* Directory blocks for entries taking bytes of dirents (see ext4w-dir.c for the layout). */
static uint64_t dir_blocks(uint64_t bytes)
{
	const uint64_t usable = EXT4W_BLOCK_SIZE - sizeof(struct ext2_dir_entry_tail);
	uint64_t leaves;

	if (24 + bytes <= usable)
		return 1;
	/* A leaf wastes less than one maximal entry (8 + 255, rounded). */
	leaves = DIV_ROUND_UP(bytes, usable - rec_len(255));
	return 1 + leaves + (leaves > 507 ? DIV_ROUND_UP(leaves, 510) : 0);
}

/* Blocks of the data segments of a file that looks sparse (fewer blocks than its size): what
 * the writer will store.  On error, or without SEEK_DATA, the whole size. */
static uint64_t data_blocks(const struct tree *t, const struct tree_entry *e)
{
	uint64_t size = (uint64_t)e->st.st_size, blocks = 0, off = 0, next = 0;
	_cleanup_close_ int fd = tree_open_entry(t, e);

	if (fd < 0)
		return DIV_ROUND_UP(size, EXT4W_BLOCK_SIZE);
	while (off < size) {
		off_t ds = lseek(fd, (off_t)off, SEEK_DATA), de;
		uint64_t lb, le;

		if (ds < 0 && errno == ENXIO)
			break;
		if (ds < 0 || (de = lseek(fd, ds, SEEK_HOLE)) < 0)
			return DIV_ROUND_UP(size, EXT4W_BLOCK_SIZE);
		if ((uint64_t)de > size)
			de = (off_t)size;
		lb = (uint64_t)ds / EXT4W_BLOCK_SIZE;
		le = DIV_ROUND_UP((uint64_t)de, EXT4W_BLOCK_SIZE);
		lb = lb < next ? next : lb;
		blocks += le > lb ? le - lb : 0;
		next = le;
		off = (uint64_t)de;
	}
	/* Many extents need a tree block. */
	return blocks + 1;
}

static uint64_t file_blocks(const struct tree *t, const struct tree_entry *e)
{
	uint64_t blocks = DIV_ROUND_UP((uint64_t)e->st.st_size, EXT4W_BLOCK_SIZE);

	/* Sparse (or compressed on the source filesystem): count what will be stored. */
	if ((uint64_t)e->st.st_blocks * 512 < (uint64_t)e->st.st_size)
		return data_blocks(t, e);
	/* More than 4 extents (128 MiB each at most) need an index block. */
	return blocks + (blocks > 4 * 32768 ? 1 + blocks / (340 * 32768) : 0);
}

static uint64_t xattr_blocks(const struct tree_entry *e)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < e->n_xattrs; i++)
		bytes +=
		    16 + ((strlen(e->xattrs[i].name) + 3) & ~3) + ((e->xattrs[i].size + 3) & ~3);
	return bytes > INODE_XATTR_SPACE ? 1 : 0;
}

void ext4w_measure(const struct tree *t, struct ext4w_usage *ret)
{
	_cleanup_free_ uint64_t *dir_bytes =
	    calloc(t->n_entries ? t->n_entries : 1, sizeof(uint64_t));
	struct ext4w_usage u = {.inodes = EXT2_GOOD_OLD_FIRST_INO + 1 /* lost+found */};

	for (size_t i = 1; i < t->n_entries; i++)
		if (dir_bytes)
			dir_bytes[t->entries[i].parent] += rec_len(strlen(t->entries[i].name));

	for (size_t i = 0; i < t->n_entries; i++) {
		const struct tree_entry *e = &t->entries[i];

		if (e->hardlink_of >= 0)
			continue;
		u.inodes++;
		u.data_blocks += xattr_blocks(e);
		if (S_ISREG(e->st.st_mode))
			u.data_blocks += file_blocks(t, e);
		else if (S_ISDIR(e->st.st_mode))
			u.data_blocks += dir_blocks(dir_bytes ? dir_bytes[i] : 1 << 20);
		else if (S_ISLNK(e->st.st_mode) && strlen(e->link_target) > FAST_SYMLINK_MAX)
			u.data_blocks++;
	}
	u.data_blocks += 4; /* lost+found */
	*ret = u;
}

static uint64_t inode_count(uint64_t blocks, uint64_t need)
{
	uint64_t by_ratio = blocks * EXT4W_BLOCK_SIZE / INODE_RATIO;
	uint64_t want = need + need / 4 + 64;

	return by_ratio > want ? by_ratio : want;
}

static bool group_has_super(uint64_t g)
{
	static const unsigned bases[] = {3, 5, 7};

	if (g <= 1)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
		uint64_t p = bases[i];
		while (p < g)
			p *= bases[i];
		if (p == g)
			return true;
	}
	return false;
}

/* Blocks the filesystem itself takes at a given size (as ext2fs_initialize lays it out), plus
 * a little for root, lost+found, the resize inode and extent index blocks. */
static uint64_t overhead_blocks(uint64_t blocks, uint64_t inodes)
{
	uint64_t groups = DIV_ROUND_UP(blocks, BLOCKS_PER_GROUP);
	uint64_t ipg =
	    DIV_ROUND_UP(DIV_ROUND_UP(inodes, groups), INODES_PER_BLOCK) * INODES_PER_BLOCK;
	uint64_t desc = DIV_ROUND_UP(groups, DESC_PER_BLOCK);
	uint64_t max = blocks < UINT32_MAX / 1024 ? blocks * 1024 : UINT32_MAX;
	uint64_t rsv = DIV_ROUND_UP(DIV_ROUND_UP(max, BLOCKS_PER_GROUP), DESC_PER_BLOCK);
	int journal = ext2fs_default_journal_size(blocks);
	uint64_t backups = 0;

	rsv = rsv > desc ? rsv - desc : 0;
	if (rsv > EXT4W_BLOCK_SIZE / 4)
		rsv = EXT4W_BLOCK_SIZE / 4;
	for (uint64_t g = 0; g < groups; g++)
		backups += group_has_super(g);
	return groups * (2 + ipg / INODES_PER_BLOCK) + backups * (1 + desc + rsv) +
	       (journal > 0 ? (uint64_t)journal : 0) + 256;
}

uint64_t ext4w_min_size(const struct ext4w_usage *u)
{
	uint64_t data = u->data_blocks + u->data_blocks / 512;
	uint64_t blocks = data;

	/* Overhead grows with the size (journal, inode tables): iterate to the fixed point. */
	for (int i = 0; i < 64; i++) {
		uint64_t need = data + overhead_blocks(blocks, inode_count(blocks, u->inodes));
		/* The inode bitmap of a group has one block: no more inodes than blocks. */
		if (need < inode_count(need, u->inodes))
			need = inode_count(need, u->inodes);
		if (need <= blocks)
			break;
		blocks = need;
	}
	if (blocks < MIN_FS_BLOCKS)
		blocks = MIN_FS_BLOCKS;
	return DIV_ROUND_UP(blocks, MIB_BLOCKS) * MIB_BLOCKS * EXT4W_BLOCK_SIZE;
}

/*
 * Automatic size = minimum * 1.25 + 64 MiB, rounded up to whole MiB.  The minimum is the tree
 * (data rounded to 4 KiB blocks, directory, symlink and xattr blocks) plus the filesystem's own
 * metadata at that size (inode tables for max(size / 16 KiB, 1.25 * inodes + 64) inodes,
 * bitmaps, group descriptors and their reserve, the journal as mke2fs sizes it).  The headroom
 * leaves the image usable (packages, logs) and covers the 5% reserved for root.
 */
uint64_t ext4w_auto_size(const struct ext4w_usage *u)
{
	uint64_t min = ext4w_min_size(u);

	return DIV_ROUND_UP(min + min / 4 + (64U << 20), 1U << 20) << 20;
}

/* --- mkfs ------------------------------------------------------------------------------ */

static void ext4w_param(struct ext2_super_block *sb, uint64_t blocks, uint64_t inodes)
{
	memset(sb, 0, sizeof(*sb));
	ext2fs_blocks_count_set(sb, blocks);
	ext2fs_r_blocks_count_set(sb, blocks * 5 / 100);
	sb->s_log_block_size = 2; /* 1024 << 2 */
	sb->s_rev_level = EXT2_DYNAMIC_REV;
	sb->s_inode_size = EXT4W_INODE_SIZE;
	sb->s_inodes_count = inodes > UINT32_MAX ? UINT32_MAX : inodes;
	sb->s_desc_size = EXT2_MIN_DESC_SIZE_64BIT;
	sb->s_log_groups_per_flex = 4;
	sb->s_max_mnt_count = -1;
	sb->s_feature_compat = EXT3_FEATURE_COMPAT_HAS_JOURNAL | EXT2_FEATURE_COMPAT_EXT_ATTR |
			       EXT2_FEATURE_COMPAT_RESIZE_INODE | EXT2_FEATURE_COMPAT_DIR_INDEX;
	sb->s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_EXTENTS |
				 EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG;
	sb->s_feature_ro_compat =
	    EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
	    EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
	    EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
}

/* Superblock fields mke2fs sets after ext2fs_initialize(), made deterministic. */
static void ext4w_super(struct ext4w *w)
{
	struct ext2_super_block *sb = w->fs->super;

	w->fs->now = w->now;
	sb->s_mkfs_time = sb->s_lastcheck = (uint32_t)w->now;
	sb->s_checkinterval = 0;
	sb->s_max_mnt_count = -1;
	sb->s_errors = EXT2_ERRORS_CONTINUE;
	sb->s_default_mount_opts = EXT2_DEFM_XATTR_USER | EXT2_DEFM_ACL;
	sb->s_def_hash_version = EXT2_HASH_HALF_MD4;
	sb->s_flags &= ~(EXT2_FLAGS_UNSIGNED_HASH | EXT2_FLAGS_SIGNED_HASH);
	sb->s_flags |= EXT2_FLAGS_SIGNED_HASH;
	sb->s_checksum_type = EXT2_CRC32C_CHKSUM;
	output_derive_uuid(w->p->seed, "ext4-fs-uuid", sb->s_uuid);
	output_derive_uuid(w->p->seed, "ext4-hash-seed", (uint8_t *)sb->s_hash_seed);
	memset(sb->s_volume_name, 0, sizeof(sb->s_volume_name));
	memcpy(sb->s_volume_name, "root", 4);
	ext2fs_init_csum_seed(w->fs);
	ext2fs_mark_super_dirty(w->fs);
}

/* Inodes 1..10 as mke2fs leaves them: reserved, the bad-block inode written, the resize inode
 * holding the reserved GDT blocks, the journal. */
static int ext4w_reserved(struct ext4w *w)
{
	ext2_filsys fs = w->fs;
	struct ext2fs_journal_params jp;
	errcode_t e;

	for (ext2_ino_t i = EXT2_ROOT_INO + 1; i < EXT2_FIRST_INODE(fs->super); i++)
		ext2fs_inode_alloc_stats2(fs, i, +1, 0);
	ext2fs_inode_alloc_stats2(fs, EXT2_BAD_INO, +1, 0);
	e = ext2fs_update_bb_inode(fs, NULL);
	if (e)
		return ext4w_fail(w, e, "cannot create the bad block inode in '%s'", w->p->path);
	e = ext2fs_create_resize_inode(fs);
	if (e)
		return ext4w_fail(w, e, "cannot create the resize inode in '%s'", w->p->path);

	e = ext2fs_get_journal_params(&jp, fs);
	if (e) {
		/* Below 2048 blocks mke2fs makes no journal either. */
		ext2fs_clear_feature_journal(fs->super);
		return 0;
	}
	/* LAZYINIT: the region is zero already; NO_MNT_CHECK: it is a file, not a device. */
	e = ext2fs_add_journal_inode3(fs, &jp, ~0ULL,
				      EXT2_MKJOURNAL_LAZYINIT | EXT2_MKJOURNAL_NO_MNT_CHECK);
	if (e)
		return ext4w_fail(w, e, "cannot create the journal in '%s'", w->p->path);
	fs->super->s_overhead_clusters += jp.num_journal_blocks + jp.num_fc_blocks;
	return 0;
}

static int ext4w_mkfs(struct ext4w *w, uint64_t size, uint64_t need_inodes)
{
	struct ext2_super_block param;
	uint64_t blocks = size / EXT4W_BLOCK_SIZE;
	blk64_t overhead = 0;
	char opt[64];
	errcode_t e;

	ext4w_param(&param, blocks, inode_count(blocks, need_inodes));
	e = ext2fs_initialize(w->p->path, EXT2_FLAG_64BITS, &param, unix_io_manager, &w->fs);
	if (e)
		return ext4w_fail(w, e, "cannot create an ext4 filesystem in '%s'", w->p->path);
	snprintf(opt, sizeof(opt), "offset=%llu", (unsigned long long)w->offset);
	e = io_channel_set_options(w->fs->io, opt);
	if (e)
		return ext4w_fail(w, e, "cannot create an ext4 filesystem in '%s'", w->p->path);
	ext4w_super(w);

	e = ext2fs_allocate_tables(w->fs);
	if (!e)
		e = ext2fs_count_used_clusters(w->fs, 0, ext2fs_blocks_count(w->fs->super) - 1,
					       &overhead);
	if (e)
		return ext4w_fail(w, e, "cannot allocate the ext4 metadata in '%s'", w->p->path);
	/* As mke2fs: the kernel need not count the metadata on mount (the journal follows). */
	w->fs->super->s_overhead_clusters = (uint32_t)overhead;
	/* The inode tables read as zeros: say so, the kernel need not zero them on first mount. */
	for (dgrp_t g = 0; g < w->fs->group_desc_count; g++) {
		ext2fs_bg_flags_set(w->fs, g, EXT2_BG_INODE_ZEROED);
		ext2fs_group_desc_csum_set(w->fs, g);
	}
	return ext4w_reserved(w);
}

/* --- the whole thing ------------------------------------------------------------------- */

static void ext4w_done(struct ext4w *w)
{
	if (w->fs)
		ext2fs_free(w->fs);
	if (w->fd >= 0)
		close(w->fd);
	free(w->ino);
	free(w->nlink);
	free(w->child_start);
	free(w->child);
	free(w->runs);
	free(w->wbuf);
	if (w->progress)
		progress_end(w->progress);
}

int ext4w_write(const struct output_params *p, uint64_t offset, uint64_t size)
{
	_cleanup_(ext4w_done) struct ext4w w = {
	    .p = p,
	    .tree = p->tree,
	    .fd = -1,
	    .offset = offset,
	};
	struct ext4w_usage u;
	errcode_t e;
	int r;

	/* fs->now == 0 means "the current time" to libext2fs: an epoch of 0 becomes 1 s there. */
	initialize_ext2_error_table(); /* for error_message() */
	w.now = p->have_epoch ? (time_t)p->epoch : time(NULL);
	if (w.now <= 0)
		w.now = 1;

	w.fd = open(p->path, O_WRONLY | O_CLOEXEC);
	if (w.fd < 0)
		return log_error_errno(errno, "cannot open '%s'", p->path);
	w.wbuf = malloc(EXT4W_WBUF_SIZE);
	if (!w.wbuf)
		return log_error_errno(ENOMEM, "cannot write '%s'", p->path);

	ext4w_measure(p->tree, &u);
	r = ext4w_mkfs(&w, size, u.inodes);
	if (r < 0)
		return r;

	w.progress = progress_begin("ext4", "MiB", p->tree->total_bytes >> 20);
	r = ext4w_populate(&w);
	if (r < 0)
		return r;
	progress_end(w.progress);
	w.progress = NULL;

	/* No fsync: the image is an ordinary output file (the caller renames it into place). */
	e = ext2fs_close2(w.fs, EXT2_FLAG_FLUSH_NO_SYNC);
	if (e)
		return ext4w_fail(&w, e, "cannot write the ext4 metadata of '%s'", p->path);
	w.fs = NULL; /* freed by ext2fs_close2() on success only */
	if (close(steal_fd(w.fd)) < 0)
		return log_error_errno(errno, "cannot write '%s'", p->path);
	return 0;
}
