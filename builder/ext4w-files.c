/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Filling the filesystem: one inode per tree inode, numbered in tree order (root is 2, our
 * lost+found 11 unless the tree brings one), blocks allocated in tree order so that a
 * directory's blocks sit next to its files' data.
 *
 * File data bypasses libext2fs: blocks are claimed in the bitmap with ext2fs_new_range() and
 * the data is copied straight into the image at their offset, with copy_file_range() for
 * large runs and through a write-combining buffer for small files (consecutive files land in
 * consecutive blocks, so one pwrite() covers many of them).  Holes in sparse files
 * (SEEK_DATA/SEEK_HOLE) stay holes.  The extent tree is written into the inode directly when
 * it fits (up to 4 extents), with libext2fs' extent code otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "ext4w-internal.h"
#include "strutil.h"

#define MAX_EXTENT_LEN 32768	  /* initialized extent */
#define COPY_RANGE_MIN (1U << 20) /* runs this large go through copy_file_range() */
#define FAST_SYMLINK_MAX 59	  /* longer targets need a block */
#define EXTENT_MAGIC 0xf30a

/* The on-disk extent node header and leaf entry (ext3_extents.h wants kernel types). */
struct extent_header {
	uint16_t magic, entries, max, depth;
	uint32_t generation;
};

struct extent_leaf {
	uint32_t block;
	uint16_t len, start_hi;
	uint32_t start;
};

void ext4w_set_time(uint32_t *t, uint32_t *extra, const struct ext4w *w, const struct timespec *ts)
{
	int64_t sec = output_clamp_time(w->p, ts->tv_sec);
	uint32_t nsec = sec == ts->tv_sec ? (uint32_t)ts->tv_nsec : 0;

	/* Low 32 bits of the seconds, then 2 epoch bits and the nanoseconds, as the kernel. */
	*t = (uint32_t)sec;
	*extra =
	    (uint32_t)(((sec - (int32_t)sec) >> 32) & EXT4_EPOCH_MASK) | (nsec << EXT4_EPOCH_BITS);
}

/*
 * Inode times.  mtime: the tree's, clamped to SOURCE_DATE_EPOCH.  atime and ctime: with
 * SOURCE_DATE_EPOCH the epoch itself, since in the tree they only say when the workspace copy
 * was read or made (clamping would keep old atimes that vary with who read the BaseTrees
 * source), else the tree's.  Creation time: when the image was made (fs->now).
 */
void ext4w_inode_init(const struct ext4w *w, struct ext2_inode_large *inode, const struct stat *st)
{
	struct timespec now = {.tv_sec = w->now};
	const struct timespec *atime = w->p->have_epoch ? &now : &st->st_atim;
	const struct timespec *ctime = w->p->have_epoch ? &now : &st->st_ctim;

	memset(inode, 0, sizeof(*inode));
	inode->i_mode = (uint16_t)st->st_mode;
	inode->i_uid = (uint16_t)st->st_uid;
	ext2fs_set_i_uid_high(*inode, st->st_uid >> 16);
	inode->i_gid = (uint16_t)st->st_gid;
	ext2fs_set_i_gid_high(*inode, st->st_gid >> 16);
	inode->i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
	ext4w_set_time(&inode->i_atime, &inode->i_atime_extra, w, atime);
	ext4w_set_time(&inode->i_mtime, &inode->i_mtime_extra, w, &st->st_mtim);
	ext4w_set_time(&inode->i_ctime, &inode->i_ctime_extra, w, ctime);
	ext4w_set_time(&inode->i_crtime, &inode->i_crtime_extra, w, &now);
}

int ext4w_write_inode(struct ext4w *w, const char *path, ext2_ino_t ino,
		      struct ext2_inode_large *inode)
{
	errcode_t e =
	    ext2fs_write_inode_full(w->fs, ino, (struct ext2_inode *)inode, sizeof(*inode));
	if (e)
		return ext4w_fail(w, e, "cannot store '/%s' (inode %u)", path, ino);
	return 0;
}

/* --- blocks and extents ---------------------------------------------------------------- */

static int runs_push(struct ext4w *w, blk64_t lblk, blk64_t pblk, blk64_t len)
{
	struct ext4w_run *last = w->n_runs ? &w->runs[w->n_runs - 1] : NULL;

	if (last && last->lblk + last->len == lblk && last->pblk + last->len == pblk &&
	    last->len + len <= MAX_EXTENT_LEN) {
		last->len += len;
		return 0;
	}
	if (w->n_runs == w->runs_cap) {
		size_t cap = w->runs_cap ? 2 * w->runs_cap : 16;
		struct ext4w_run *n = realloc(w->runs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		w->runs = n;
		w->runs_cap = cap;
	}
	w->runs[w->n_runs++] = (struct ext4w_run){.lblk = lblk, .pblk = pblk, .len = len};
	return 0;
}

int ext4w_alloc(struct ext4w *w, struct ext2_inode_large *inode, blk64_t lblk, blk64_t len)
{
	while (len > 0) {
		blk64_t pblk, plen;
		errcode_t e;

		e = ext2fs_new_range(w->fs, 0, w->goal, len < MAX_EXTENT_LEN ? len : MAX_EXTENT_LEN,
				     NULL, &pblk, &plen);
		if (e)
			return ext4w_errno(e);
		ext2fs_block_alloc_stats_range(w->fs, pblk, plen, +1);
		e = ext2fs_iblk_add_blocks(w->fs, (struct ext2_inode *)inode, plen);
		if (e)
			return ext4w_errno(e);
		if (runs_push(w, lblk, pblk, plen) < 0)
			return -ENOMEM;
		w->goal = pblk + plen;
		lblk += plen;
		len -= plen;
	}
	return 0;
}

/* Up to 4 extents live in i_block itself: no library round trip needed. */
static void set_inline_extents(struct ext4w *w, struct ext2_inode_large *inode)
{
	struct extent_header *eh = (struct extent_header *)inode->i_block;
	struct extent_leaf *ex = (struct extent_leaf *)(eh + 1);

	memset(inode->i_block, 0, sizeof(inode->i_block));
	eh->magic = ext2fs_cpu_to_le16(EXTENT_MAGIC);
	eh->entries = ext2fs_cpu_to_le16(w->n_runs);
	eh->max = ext2fs_cpu_to_le16((sizeof(inode->i_block) - sizeof(*eh)) / sizeof(*ex));
	for (size_t i = 0; i < w->n_runs; i++) {
		ex[i].block = ext2fs_cpu_to_le32((uint32_t)w->runs[i].lblk);
		ex[i].len = ext2fs_cpu_to_le16((uint16_t)w->runs[i].len);
		ex[i].start_hi = ext2fs_cpu_to_le16((uint16_t)(w->runs[i].pblk >> 32));
		ex[i].start = ext2fs_cpu_to_le32((uint32_t)w->runs[i].pblk);
	}
}

static errcode_t insert_extents(struct ext4w *w, ext2_ino_t ino, struct ext2_inode_large *inode)
{
	ext2_extent_handle_t h;
	errcode_t e;

	memset(inode->i_block, 0, sizeof(inode->i_block));
	e = ext2fs_extent_open2(w->fs, ino, (struct ext2_inode *)inode, &h);
	if (e)
		return e;
	for (size_t i = 0; i < w->n_runs && !e; i++) {
		struct ext2fs_extent ex = {
		    .e_pblk = w->runs[i].pblk,
		    .e_lblk = w->runs[i].lblk,
		    .e_len = (uint32_t)w->runs[i].len,
		};
		e = ext2fs_extent_insert(h, i ? EXT2_EXTENT_INSERT_AFTER : 0, &ex);
		if (!e)
			e = ext2fs_extent_fix_parents(h);
	}
	ext2fs_extent_free(h);
	return e;
}

int ext4w_set_extents(struct ext4w *w, ext2_ino_t ino, struct ext2_inode_large *inode)
{
	errcode_t e = 0;

	inode->i_flags |= EXT4_EXTENTS_FL;
	if (w->n_runs <= 4)
		set_inline_extents(w, inode);
	else
		e = insert_extents(w, ino, inode);
	w->n_runs = 0;
	return ext4w_errno(e);
}

/* --- file data ------------------------------------------------------------------------- */

int ext4w_flush_data(struct ext4w *w)
{
	uint64_t off = w->offset + w->wbuf_pblk * EXT4W_BLOCK_SIZE;
	size_t done = 0;

	while (done < w->wbuf_len) {
		ssize_t n = pwrite(w->fd, w->wbuf + done, w->wbuf_len - done, (off_t)(off + done));
		if (n < 0)
			return log_error_errno(errno, "cannot write '%s'", w->p->path);
		done += (size_t)n;
	}
	w->wbuf_len = 0;
	return 0;
}

/* Read bytes (ending with zero padding up to whole blocks) of the source at src_off into the
 * write buffer, for the blocks starting at pblk. */
static int copy_buffered(struct ext4w *w, int fd, const char *name, uint64_t src_off, blk64_t pblk,
			 uint64_t bytes)
{
	while (bytes > 0) {
		uint64_t chunk = bytes < EXT4W_WBUF_SIZE ? bytes : EXT4W_WBUF_SIZE;
		size_t padded =
		    (size_t)((chunk + EXT4W_BLOCK_SIZE - 1) & ~(uint64_t)(EXT4W_BLOCK_SIZE - 1));
		size_t got = 0;
		int r;

		if (w->wbuf_len && (w->wbuf_pblk + w->wbuf_len / EXT4W_BLOCK_SIZE != pblk ||
				    w->wbuf_len + padded > EXT4W_WBUF_SIZE)) {
			r = ext4w_flush_data(w);
			if (r < 0)
				return r;
		}
		if (!w->wbuf_len)
			w->wbuf_pblk = pblk;
		while (got < chunk) {
			ssize_t n = pread(fd, w->wbuf + w->wbuf_len + got, chunk - got,
					  (off_t)(src_off + got));
			if (n < 0)
				return log_error_errno(errno, "cannot read '/%s'", name);
			if (n == 0)
				return log_error_errno(EIO, "cannot read '/%s': file shrank", name);
			got += (size_t)n;
		}
		memset(w->wbuf + w->wbuf_len + chunk, 0, padded - chunk);
		w->wbuf_len += padded;
		src_off += chunk;
		pblk += padded / EXT4W_BLOCK_SIZE;
		bytes -= chunk;
	}
	return 0;
}

/* In-kernel copy; returns 1 if copy_file_range() cannot do it (then nothing was written). */
static int copy_range(struct ext4w *w, int fd, const char *name, uint64_t src_off, blk64_t pblk,
		      uint64_t bytes)
{
	loff_t in = (loff_t)src_off, out = (loff_t)(w->offset + pblk * EXT4W_BLOCK_SIZE);
	uint64_t done = 0;

	while (done < bytes) {
		ssize_t n = copy_file_range(fd, &in, w->fd, &out, bytes - done, 0);
		if (n < 0 && done == 0 &&
		    (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS)) {
			w->no_copy_range = true;
			return 1;
		}
		if (n < 0)
			return log_error_errno(errno, "cannot copy '/%s' into '%s'", name,
					       w->p->path);
		if (n == 0)
			return log_error_errno(EIO, "cannot read '/%s': file shrank", name);
		done += (uint64_t)n;
	}
	return 0;
}

/* Allocate and fill blocks [lb, le) of a file from the same range of the source. */
static int copy_blocks(struct ext4w *w, int fd, const struct tree_entry *e,
		       struct ext2_inode_large *inode, blk64_t lb, blk64_t le)
{
	size_t first = w->n_runs;
	int r;

	r = ext4w_alloc(w, inode, lb, le - lb);
	if (r < 0)
		return r == -ENOSPC
			   ? ext4w_fail(w, EXT2_ET_BLOCK_ALLOC_FAIL, "cannot store '/%s'", e->path)
			   : log_error_errno(r, "cannot store '/%s'", e->path);
	/* A run merged into the previous one is copied with it; start at the first new byte. */
	for (size_t i = first ? first - 1 : 0; i < w->n_runs; i++) {
		const struct ext4w_run *run = &w->runs[i];
		blk64_t from = run->lblk > lb ? run->lblk : lb;
		blk64_t pblk = run->pblk + (from - run->lblk);
		uint64_t src = from * EXT4W_BLOCK_SIZE,
			 end = (run->lblk + run->len) * EXT4W_BLOCK_SIZE;

		if (from >= run->lblk + run->len)
			continue;
		if (end > (uint64_t)e->st.st_size)
			end = (uint64_t)e->st.st_size;
		r = 1;
		if (end - src >= COPY_RANGE_MIN && !w->no_copy_range)
			r = copy_range(w, fd, e->path, src, pblk, end - src);
		if (r > 0)
			r = copy_buffered(w, fd, e->path, src, pblk, end - src);
		if (r < 0)
			return r;
		w->bytes_done += end - src;
	}
	return 0;
}

static int copy_file(struct ext4w *w, int fd, const struct tree_entry *e,
		     struct ext2_inode_large *inode)
{
	uint64_t size = (uint64_t)e->st.st_size, off = 0;
	blk64_t next = 0;

	/* Dense files (the common case) need no hole probing. */
	if ((uint64_t)e->st.st_blocks * 512 >= size)
		return copy_blocks(w, fd, e, inode, 0,
				   (size + EXT4W_BLOCK_SIZE - 1) / EXT4W_BLOCK_SIZE);

	while (off < size) {
		off_t ds = lseek(fd, (off_t)off, SEEK_DATA), de;
		blk64_t lb, le;
		int r;

		if (ds < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (ds < 0)
			return log_error_errno(errno, "cannot read '/%s'", e->path);
		if ((uint64_t)ds >= size)
			break;
		de = lseek(fd, ds, SEEK_HOLE);
		if (de < 0)
			return log_error_errno(errno, "cannot read '/%s'", e->path);
		if ((uint64_t)de > size)
			de = (off_t)size;
		/* Whole blocks around the data; a block shared with the previous segment was
		 * copied in full already. */
		lb = (uint64_t)ds / EXT4W_BLOCK_SIZE;
		le = ((uint64_t)de + EXT4W_BLOCK_SIZE - 1) / EXT4W_BLOCK_SIZE;
		if (lb < next)
			lb = next;
		if (lb < le) {
			r = copy_blocks(w, fd, e, inode, lb, le);
			if (r < 0)
				return r;
		}
		next = le;
		off = (uint64_t)de;
	}
	return 0;
}

static int write_file(struct ext4w *w, const struct tree_entry *e, ext2_ino_t ino,
		      struct ext2_inode_large *inode)
{
	_cleanup_close_ int fd = -1;
	errcode_t err;
	int r;

	err = ext2fs_inode_size_set(w->fs, (struct ext2_inode *)inode, (uint64_t)e->st.st_size);
	if (err)
		return ext4w_fail(w, err, "cannot store '/%s'", e->path);
	if (e->st.st_size > 0) {
		fd = tree_open_entry(w->tree, e);
		if (fd < 0)
			return log_error_errno(fd, "cannot open '/%s'", e->path);
		r = copy_file(w, fd, e, inode);
		if (r < 0)
			return r;
	}
	r = ext4w_set_extents(w, ino, inode);
	if (r < 0)
		return log_error_errno(r, "cannot store '/%s'", e->path);
	return 0;
}

/* --- other inode types ----------------------------------------------------------------- */

static int write_symlink(struct ext4w *w, const struct tree_entry *e, ext2_ino_t ino,
			 struct ext2_inode_large *inode)
{
	size_t len = strlen(e->link_target);
	char block[EXT4W_BLOCK_SIZE] = {};
	errcode_t err;
	int r;

	if (len >= EXT4W_BLOCK_SIZE)
		return log_error_errno(ENAMETOOLONG, "cannot store symlink '/%s'", e->path);
	inode->i_size = (uint32_t)len;
	if (len <= FAST_SYMLINK_MAX) {
		/* A fast symlink: the target lives in i_block, no data block. */
		memcpy(inode->i_block, e->link_target, len);
		return 0;
	}
	r = ext4w_alloc(w, inode, 0, 1);
	if (r < 0)
		return r == -ENOSPC
			   ? ext4w_fail(w, EXT2_ET_BLOCK_ALLOC_FAIL, "cannot store '/%s'", e->path)
			   : log_error_errno(r, "cannot store '/%s'", e->path);
	memcpy(block, e->link_target, len);
	err = io_channel_write_blk64(w->fs->io, w->runs[0].pblk, 1, block);
	if (err)
		return ext4w_fail(w, err, "cannot store symlink '/%s'", e->path);
	r = ext4w_set_extents(w, ino, inode);
	if (r < 0)
		return log_error_errno(r, "cannot store '/%s'", e->path);
	return 0;
}

/* Device numbers as the kernel stores them: the old 8:8 encoding in i_block[0] when it fits,
 * else the new 12:20 one in i_block[1].  CPU order: ext2fs swaps i_block of device inodes. */
static void set_rdev(struct ext2_inode_large *inode, dev_t rdev)
{
	unsigned int ma = major(rdev), mi = minor(rdev);

	if (ma < 256 && mi < 256)
		inode->i_block[0] = ma << 8 | mi;
	else
		inode->i_block[1] = (mi & 0xff) | (ma << 8) | ((mi & ~0xffU) << 12);
}

static int write_xattrs(struct ext4w *w, const struct tree_entry *e, ext2_ino_t ino)
{
	struct ext2_xattr_handle *h;
	errcode_t err;

	err = ext2fs_xattrs_open(w->fs, ino, &h);
	if (err)
		return ext4w_fail(w, err, "cannot store the xattrs of '/%s'", e->path);
	err = ext2fs_xattrs_read(h);
	if (err) {
		ext2fs_xattrs_close(&h);
		return ext4w_fail(w, err, "cannot store the xattrs of '/%s'", e->path);
	}
	/* POSIX ACLs are converted from the VFS format to ext4's on-disk one by libext2fs. */
	for (size_t i = 0; i < e->n_xattrs; i++) {
		err = ext2fs_xattr_set(h, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].size);
		if (err) {
			ext2fs_xattrs_close(&h);
			return ext4w_fail(w, err, "cannot store xattr '%s' of '/%s'",
					  e->xattrs[i].name, e->path);
		}
	}
	ext2fs_xattrs_close(&h);
	return 0;
}

/* --- the tree -------------------------------------------------------------------------- */

static uint16_t links_count(const struct ext4w *w, size_t i)
{
	/* dir_nlink: a directory with too many subdirectories counts 1. */
	if (w->nlink[i] > EXT2_LINK_MAX)
		return S_ISDIR(w->tree->entries[i].st.st_mode) ? 1 : EXT2_LINK_MAX;
	return (uint16_t)w->nlink[i];
}

static int write_entry(struct ext4w *w, size_t i)
{
	const struct tree_entry *e = &w->tree->entries[i];
	ext2_ino_t ino = w->ino[i];
	struct ext2_inode_large inode;
	int r = 0;

	if (e->hardlink_of >= 0)
		return 0; /* only another name: its directory has it */
	if (!S_ISDIR(e->st.st_mode) && w->nlink[i] > EXT2_LINK_MAX)
		return log_error_errno(EMLINK, "cannot store '/%s': too many hardlinks", e->path);

	ext4w_inode_init(w, &inode, &e->st);
	inode.i_links_count = links_count(w, i);
	switch (e->st.st_mode & S_IFMT) {
	case S_IFDIR:
		r = ext4w_make_dir(w, i, ino, w->ino[e->parent], &inode);
		break;
	case S_IFREG:
		r = write_file(w, e, ino, &inode);
		break;
	case S_IFLNK:
		r = write_symlink(w, e, ino, &inode);
		break;
	case S_IFCHR:
	case S_IFBLK:
		set_rdev(&inode, e->st.st_rdev);
		break;
	case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		return log_error_errno(EINVAL, "cannot store '/%s': unknown file type", e->path);
	}
	if (r < 0)
		return r;
	r = ext4w_write_inode(w, e->path, ino, &inode);
	if (r < 0)
		return r;
	if (e->n_xattrs > 0)
		return write_xattrs(w, e, ino);
	return 0;
}

/* Children lists (tree order is sorted, so each list is too) and link counts. */
static int index_tree(struct ext4w *w)
{
	const struct tree *t = w->tree;
	size_t n = t->n_entries;

	w->ino = calloc(n, sizeof(*w->ino));
	w->nlink = calloc(n, sizeof(*w->nlink));
	w->child_start = calloc(n + 1, sizeof(*w->child_start));
	w->child = calloc(n ? n : 1, sizeof(*w->child));
	if (!w->ino || !w->nlink || !w->child_start || !w->child)
		return log_error_errno(ENOMEM, "cannot write '%s'", w->p->path);

	for (size_t i = 1; i < n; i++)
		w->child_start[t->entries[i].parent + 1]++;
	for (size_t i = 0; i < n; i++)
		w->child_start[i + 1] += w->child_start[i];
	for (size_t i = 1; i < n; i++) {
		size_t par = t->entries[i].parent;
		/* child_start[par] is advanced while filling, then restored below */
		w->child[w->child_start[par]++] = i;
	}
	for (size_t i = n; i > 0; i--)
		w->child_start[i] = w->child_start[i - 1];
	w->child_start[0] = 0;
	return 0;
}

/* mke2fs makes /lost+found (and e2fsck wants one); a tree may bring its own. */
static bool tree_has_lost_found(const struct ext4w *w)
{
	for (size_t k = w->child_start[0]; k < w->child_start[1]; k++) {
		const struct tree_entry *c = &w->tree->entries[w->child[k]];

		if (!streq(c->name, "lost+found"))
			continue;
		if (!S_ISDIR(c->st.st_mode))
			log_warning("'/lost+found' in the tree is not a directory, e2fsck will "
				    "complain about it");
		return true;
	}
	return false;
}

static int number_inodes(struct ext4w *w)
{
	const struct tree *t = w->tree;
	ext2_ino_t next = EXT2_FIRST_INODE(w->fs->super);

	if (!tree_has_lost_found(w))
		w->lpf_ino = next++;
	for (size_t i = 0; i < t->n_entries; i++) {
		const struct tree_entry *e = &t->entries[i];

		if (e->hardlink_of >= 0) {
			w->ino[i] = w->ino[e->hardlink_of];
			w->nlink[e->hardlink_of]++;
			continue;
		}
		if (next > w->fs->super->s_inodes_count)
			return ext4w_fail(w, EXT2_ET_INODE_ALLOC_FAIL, "cannot store '/%s'",
					  e->path);
		w->ino[i] = i == 0 ? EXT2_ROOT_INO : next++;
		w->nlink[i] = S_ISDIR(e->st.st_mode) ? 2 : 1;
		if (i > 0 && S_ISDIR(e->st.st_mode))
			w->nlink[e->parent]++;
		ext2fs_inode_alloc_stats2(w->fs, w->ino[i], +1, S_ISDIR(e->st.st_mode));
	}
	if (w->lpf_ino) {
		w->nlink[0]++;
		ext2fs_inode_alloc_stats2(w->fs, w->lpf_ino, +1, 1);
	}
	return 0;
}

int ext4w_populate(struct ext4w *w)
{
	uint64_t reported = 0;
	int r;

	if (w->tree->n_entries == 0 || !S_ISDIR(w->tree->entries[0].st.st_mode))
		return log_error_errno(EINVAL, "cannot write '%s': the tree has no root directory",
				       w->p->path);
	r = index_tree(w);
	if (r < 0)
		return r;
	r = number_inodes(w);
	if (r < 0)
		return r;

	for (size_t i = 0; i < w->tree->n_entries; i++) {
		r = write_entry(w, i);
		if (r < 0)
			return r;
		if (w->bytes_done >> 20 != reported) {
			reported = w->bytes_done >> 20;
			progress_update(w->progress, reported);
		}
		if (i == 0 && w->lpf_ino) {
			r = ext4w_make_lost_found(w);
			if (r < 0)
				return r;
		}
	}
	return ext4w_flush_data(w);
}
