/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Directories, built whole: all children of a directory are known before it is written (the
 * tree is scanned and inodes numbered up front), so each directory is laid out once instead
 * of growing entry by entry through ext2fs_link().
 *
 *  - Up to one block: a linear directory, ".", "..", the children in name order.
 *  - Larger: an htree (dir_index), like the kernel makes when a directory outgrows its first
 *    block.  Children are hashed with the filesystem's hash (half_md4, signed, the seed from
 *    the superblock), sorted by hash, packed into leaf blocks 1..L; block 0 is the dx root
 *    pointing at the leaves, or, past 507 leaves, at index nodes (blocks L+1..) pointing at
 *    510 leaves each.  A leaf that starts inside a run of equal hashes gets the collision bit
 *    in its index entry, as the kernel's lookup expects.  Two levels hold ~250,000 leaves,
 *    tens of millions of names; beyond that the directory is refused (no largedir).
 *
 * Every block ends with the metadata_csum tail (dirent tail or dx tail); the checksums are
 * computed by ext2fs_write_dir_block4().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ext4w-internal.h"
#include "strutil.h"

#define BS EXT4W_BLOCK_SIZE
#define DIRENT_TAIL sizeof(struct ext2_dir_entry_tail)
#define LEAF_SPACE (BS - DIRENT_TAIL)
#define DX_ROOT_LIMIT ((BS - 32 - sizeof(struct ext2_dx_tail)) / sizeof(struct ext2_dx_entry))
#define DX_NODE_LIMIT ((BS - 8 - sizeof(struct ext2_dx_tail)) / sizeof(struct ext2_dx_entry))
#define LOST_FOUND_BLOCKS 4

struct dent {
	const char *name;
	uint32_t len;
	uint8_t type;
	ext2_ino_t ino;
	ext2_dirhash_t hash, minor;
};

static unsigned rec_len(unsigned name_len)
{
	return (8 + name_len + 3) & ~3U;
}

static uint8_t file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return EXT2_FT_REG_FILE;
	case S_IFDIR:
		return EXT2_FT_DIR;
	case S_IFCHR:
		return EXT2_FT_CHRDEV;
	case S_IFBLK:
		return EXT2_FT_BLKDEV;
	case S_IFIFO:
		return EXT2_FT_FIFO;
	case S_IFSOCK:
		return EXT2_FT_SOCK;
	case S_IFLNK:
		return EXT2_FT_SYMLINK;
	default:
		return EXT2_FT_UNKNOWN;
	}
}

/* --- leaf blocks ----------------------------------------------------------------------- */

struct leaf {
	ext2_filsys fs;
	char *buf;
	unsigned off;  /* where the next entry goes */
	unsigned last; /* offset of the last entry, for stretching it */
	bool any;
};

static void leaf_start(struct leaf *l, ext2_filsys fs, char *buf)
{
	*l = (struct leaf){.fs = fs, .buf = buf};
}

static bool leaf_add(struct leaf *l, ext2_ino_t ino, const char *name, unsigned len, uint8_t type)
{
	struct ext2_dir_entry *d = (struct ext2_dir_entry *)(l->buf + l->off);
	unsigned rl = rec_len(len);

	if (l->off + rl > LEAF_SPACE)
		return false;
	d->inode = ino;
	ext2fs_set_rec_len(l->fs, rl, d);
	ext2fs_dirent_set_name_len(d, (int)len);
	ext2fs_dirent_set_file_type(d, type);
	memcpy(d->name, name, len);
	l->last = l->off;
	l->off += rl;
	l->any = true;
	return true;
}

/* The last entry spans to the tail; an empty block is one unused entry. */
static void leaf_finish(struct leaf *l)
{
	if (!l->any)
		leaf_add(l, 0, "", 0, 0);
	ext2fs_set_rec_len(l->fs, LEAF_SPACE - l->last,
			   (struct ext2_dir_entry *)(l->buf + l->last));
	ext2fs_initialize_dirent_tail(l->fs, EXT2_DIRENT_TAIL(l->buf, BS));
}

/* --- writing --------------------------------------------------------------------------- */

/* Allocate nblocks for the directory and write buf (nblocks * BS) to them. */
static int store_blocks(struct ext4w *w, const char *path, ext2_ino_t ino,
			struct ext2_inode_large *inode, char *buf, blk64_t nblocks)
{
	errcode_t e;
	int r;

	r = ext4w_alloc(w, inode, 0, nblocks);
	if (r < 0)
		return r == -ENOSPC
			   ? ext4w_fail(w, EXT2_ET_BLOCK_ALLOC_FAIL, "cannot store '/%s'", path)
			   : log_error_errno(r, "cannot store '/%s'", path);
	for (size_t i = 0; i < w->n_runs; i++)
		for (blk64_t b = 0; b < w->runs[i].len; b++) {
			blk64_t lblk = w->runs[i].lblk + b;
			e = ext2fs_write_dir_block4(w->fs, w->runs[i].pblk + b, buf + lblk * BS, 0,
						    ino);
			if (e)
				return ext4w_fail(w, e, "cannot write directory '/%s'", path);
		}
	inode->i_size = (uint32_t)(nblocks * BS);
	inode->i_size_high = (uint32_t)((nblocks * BS) >> 32);
	r = ext4w_set_extents(w, ino, inode);
	if (r < 0)
		return log_error_errno(r, "cannot store '/%s'", path);
	return 0;
}

static void add_dots(struct leaf *l, ext2_ino_t ino, ext2_ino_t parent)
{
	leaf_add(l, ino, ".", 1, EXT2_FT_DIR);
	leaf_add(l, parent, "..", 2, EXT2_FT_DIR);
}

/* --- htree ----------------------------------------------------------------------------- */

static int dent_cmp(const void *a, const void *b)
{
	const struct dent *x = a, *y = b;
	int c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	return c ? c : (int)x->len - (int)y->len;
}

static errcode_t hash_all(ext2_filsys fs, struct dent *d, size_t n)
{
	int alg = fs->super->s_def_hash_version;

	if (fs->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH)
		alg += 3; /* the _UNSIGNED variant of the same hash */
	for (size_t i = 0; i < n; i++) {
		errcode_t e = ext2fs_dirhash2(alg, d[i].name, (int)d[i].len, NULL, 0,
					      fs->super->s_hash_seed, &d[i].hash, &d[i].minor);
		if (e)
			return e;
	}
	qsort(d, n, sizeof(*d), dent_cmp);
	return 0;
}

/* Leaves from block 1 on; hashes[k] is the index hash of leaf k (block k + 1). */
static size_t pack_leaves(ext2_filsys fs, const struct dent *d, size_t n, char *buf,
			  uint32_t *hashes)
{
	struct leaf l;
	size_t leaves = 0;

	for (size_t i = 0; i < n; i++) {
		if (i == 0 || !leaf_add(&l, d[i].ino, d[i].name, d[i].len, d[i].type)) {
			if (i > 0)
				leaf_finish(&l);
			leaf_start(&l, fs, buf + (leaves + 1) * BS);
			hashes[leaves] = d[i].hash;
			if (i > 0 && d[i].hash == d[i - 1].hash)
				hashes[leaves] |= 1; /* continues a collision run */
			leaves++;
			leaf_add(&l, d[i].ino, d[i].name, d[i].len, d[i].type);
		}
	}
	leaf_finish(&l);
	return leaves;
}

/* Fill a dx entry array (countlimit in the first slot's hash) with blocks first.. */
static void dx_fill(char *at, unsigned limit, const uint32_t *hashes, uint32_t first_block,
		    uint32_t stride, size_t count)
{
	struct ext2_dx_countlimit *cl = (struct ext2_dx_countlimit *)at;
	struct ext2_dx_entry *ent = (struct ext2_dx_entry *)at;

	cl->limit = ext2fs_cpu_to_le16(limit);
	cl->count = ext2fs_cpu_to_le16(count);
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			ent[i].hash = ext2fs_cpu_to_le32(hashes[i * stride]);
		ent[i].block = ext2fs_cpu_to_le32(first_block + (uint32_t)i);
	}
}

static void dx_root(ext2_filsys fs, char *blk, ext2_ino_t ino, ext2_ino_t parent, int levels)
{
	struct ext2_dir_entry *dot = (struct ext2_dir_entry *)blk;
	struct ext2_dir_entry *dotdot = (struct ext2_dir_entry *)(blk + 12);
	struct ext2_dx_root_info *info = (struct ext2_dx_root_info *)(blk + 24);

	dot->inode = ino;
	ext2fs_set_rec_len(fs, 12, dot);
	ext2fs_dirent_set_name_len(dot, 1);
	ext2fs_dirent_set_file_type(dot, EXT2_FT_DIR);
	dot->name[0] = '.';
	dotdot->inode = parent;
	ext2fs_set_rec_len(fs, BS - 12, dotdot);
	ext2fs_dirent_set_name_len(dotdot, 2);
	ext2fs_dirent_set_file_type(dotdot, EXT2_FT_DIR);
	memcpy(dotdot->name, "..", 2);
	info->hash_version = fs->super->s_def_hash_version;
	info->info_length = sizeof(*info);
	info->indirect_levels = (uint8_t)levels;
}

/* Lays out an htree in buf (sized for the worst case by the caller); returns the blocks used. */
static int build_htree(ext2_filsys fs, struct dent *d, size_t n, ext2_ino_t ino, ext2_ino_t parent,
		       char *buf, size_t *ret_blocks)
{
	_cleanup_free_ uint32_t *hashes = calloc(n, sizeof(uint32_t));
	size_t leaves, nodes;
	errcode_t e;

	if (!hashes)
		return -ENOMEM;
	e = hash_all(fs, d, n);
	if (e)
		return ext4w_errno(e);
	leaves = pack_leaves(fs, d, n, buf, hashes);
	if (leaves <= DX_ROOT_LIMIT) {
		dx_root(fs, buf, ino, parent, 0);
		dx_fill(buf + 32, DX_ROOT_LIMIT, hashes, 1, 1, leaves);
		*ret_blocks = 1 + leaves;
		return 0;
	}
	nodes = (leaves + DX_NODE_LIMIT - 1) / DX_NODE_LIMIT;
	if (nodes > DX_ROOT_LIMIT)
		return -EFBIG;
	dx_root(fs, buf, ino, parent, 1);
	dx_fill(buf + 32, DX_ROOT_LIMIT, hashes, (uint32_t)(1 + leaves), DX_NODE_LIMIT, nodes);
	for (size_t k = 0; k < nodes; k++) {
		char *blk = buf + (1 + leaves + k) * BS;
		size_t first = k * DX_NODE_LIMIT;
		size_t count = leaves - first < DX_NODE_LIMIT ? leaves - first : DX_NODE_LIMIT;

		/* A node is an empty dirent spanning the block, then the index. */
		ext2fs_set_rec_len(fs, BS, (struct ext2_dir_entry *)blk);
		dx_fill(blk + 8, DX_NODE_LIMIT, hashes + first, (uint32_t)(1 + first), 1, count);
	}
	*ret_blocks = 1 + leaves + nodes;
	return 0;
}

/* --- directories ----------------------------------------------------------------------- */

static int collect(struct ext4w *w, size_t dir, struct dent **ret, size_t *ret_n, size_t *ret_bytes)
{
	const struct tree *t = w->tree;
	size_t n = w->child_start[dir + 1] - w->child_start[dir], k = 0, bytes = 0;
	struct dent *d = calloc(n + 1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	for (size_t j = w->child_start[dir]; j < w->child_start[dir + 1]; j++) {
		const struct tree_entry *c = &t->entries[w->child[j]];
		size_t len = strlen(c->name);

		if (len > EXT2_NAME_LEN) {
			free(d);
			return log_error_errno(ENAMETOOLONG, "cannot store '/%s'", c->path);
		}
		d[k++] = (struct dent){.name = c->name,
				       .len = (uint32_t)len,
				       .type = file_type(c->st.st_mode),
				       .ino = w->ino[w->child[j]]};
	}
	if (dir == 0 && w->lpf_ino) {
		/* our lost+found, in name order among the root's children */
		size_t at = 0;
		while (at < k && strcmp(d[at].name, "lost+found") < 0)
			at++;
		memmove(d + at + 1, d + at, (k - at) * sizeof(*d));
		d[at] = (struct dent){
		    .name = "lost+found", .len = 10, .type = EXT2_FT_DIR, .ino = w->lpf_ino};
		k++;
	}
	for (size_t i = 0; i < k; i++)
		bytes += rec_len(d[i].len);
	*ret = d;
	*ret_n = k;
	*ret_bytes = bytes;
	return 0;
}

int ext4w_make_dir(struct ext4w *w, size_t dir, ext2_ino_t ino, ext2_ino_t parent,
		   struct ext2_inode_large *inode)
{
	const char *path = w->tree->entries[dir].path;
	_cleanup_free_ struct dent *d = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, bytes = 0, nblocks = 0, max_blocks;
	struct leaf l;
	int r;

	r = collect(w, dir, &d, &n, &bytes);
	if (r < 0)
		return r == -ENOMEM ? log_error_errno(r, "cannot store '/%s'", path) : r;

	/* Worst case: every leaf a quarter empty, plus root and nodes. */
	max_blocks = 2 + bytes / (LEAF_SPACE / 2) + (bytes / (LEAF_SPACE / 2)) / DX_NODE_LIMIT + 1;
	buf = calloc(max_blocks, BS);
	if (!buf)
		return log_error_errno(ENOMEM, "cannot store '/%s'", path);

	if (24 + bytes <= LEAF_SPACE) {
		leaf_start(&l, w->fs, buf);
		add_dots(&l, ino, parent);
		for (size_t i = 0; i < n; i++)
			leaf_add(&l, d[i].ino, d[i].name, d[i].len, d[i].type);
		leaf_finish(&l);
		nblocks = 1;
	} else {
		r = build_htree(w->fs, d, n, ino, parent, buf, &nblocks);
		if (r < 0)
			return log_error_errno(r, "cannot index directory '/%s'", path);
		inode->i_flags |= EXT2_INDEX_FL;
	}
	return store_blocks(w, path, ino, inode, buf, nblocks);
}

int ext4w_make_lost_found(struct ext4w *w)
{
	struct stat st = {
	    .st_mode = S_IFDIR | 0700,
	    .st_atim.tv_sec = w->now,
	    .st_mtim.tv_sec = w->now,
	    .st_ctim.tv_sec = w->now,
	};
	_cleanup_free_ char *buf = calloc(LOST_FOUND_BLOCKS, BS);
	struct ext2_inode_large inode;
	struct leaf l;
	int r;

	if (!buf)
		return log_error_errno(ENOMEM, "cannot create '/lost+found'");
	ext4w_inode_init(w, &inode, &st);
	inode.i_links_count = 2;
	for (unsigned b = 0; b < LOST_FOUND_BLOCKS; b++) {
		leaf_start(&l, w->fs, buf + b * BS);
		if (b == 0)
			add_dots(&l, w->lpf_ino, EXT2_ROOT_INO);
		leaf_finish(&l);
	}
	r = store_blocks(w, "lost+found", w->lpf_ino, &inode, buf, LOST_FOUND_BLOCKS);
	if (r < 0)
		return r;
	return ext4w_write_inode(w, "lost+found", w->lpf_ino, &inode);
}
