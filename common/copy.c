/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy_tree(): "cp -a SRC/. DST/" on top of tree_scan(), so it shares its ordering, hardlink
 * detection and xattr reading with the image writers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileio.h"
#include "strutil.h"
#include "tree.h"

static int copy_data(int in, int out, off_t size)
{
	off_t pos = 0;

	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			data = pos; /* no SEEK_DATA: copy everything */
		}
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		while (data < hole) {
			off_t in_off = data, out_off = data;
			ssize_t n = copy_file_range(in, &in_off, out, &out_off, (size_t)(hole - data), 0);
			if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
				      errno == EINVAL)) {
				char buf[65536];
				n = pread(in, buf, sizeof(buf), data);
				if (n > 0 && pwrite(out, buf, (size_t)n, data) != n)
					n = -1;
			}
			if (n < 0)
				return -errno;
			if (n == 0)
				break; /* file shrank under us */
			data += n;
		}
		pos = hole;
	}
	return ftruncate(out, size) < 0 ? -errno : 0;
}

static int copy_regular(const char *src, const char *dst, const struct stat *st)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = -1;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	return copy_data(in, out, st->st_size);
}

/* Remove what is in the way at dst, unless it is a directory and we want one: 1 then. */
static int clear_way(const char *dst, bool want_dir)
{
	struct stat st;

	if (lstat(dst, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return want_dir ? 1 : rm_rf(dst);
	return unlink(dst) < 0 ? -errno : 0;
}

static int create_entry(const struct tree_entry *e, const char *src, const char *dst,
			const char *leader)
{
	const struct stat *st = &e->st;
	int r;

	r = clear_way(dst, S_ISDIR(st->st_mode));
	if (r < 0)
		return r;
	if (leader)
		return link(leader, dst) < 0 ? -errno : 1; /* 1: attributes already set */
	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		return r == 1 || mkdir(dst, 0700) == 0 ? 0 : -errno;
	case S_IFREG:
		return copy_regular(src, dst, st);
	case S_IFLNK:
		return symlink(e->link_target, dst) < 0 ? -errno : 0;
	default:
		return mknod(dst, st->st_mode & S_IFMT, st->st_rdev) < 0 ? -errno : 0;
	}
}

/*
 * Where entry e goes: its parent's destination plus its name; for a directory, a symlink
 * already there is followed inside root when it leads to a directory.
 */
static int destination(const char *root, const char *parent_dst, const struct tree_entry *e,
		       char **ret)
{
	_cleanup_free_ char *dst = strjoin(parent_dst, "/", e->name, NULL), *resolved = NULL;
	struct stat st;
	int r;

	if (!dst)
		return -ENOMEM;
	if (S_ISDIR(e->st.st_mode) && lstat(dst, &st) == 0 && S_ISLNK(st.st_mode)) {
		r = chase_in_root(root, dst + strlen(root), &resolved);
		if (r < 0)
			return r;
		if (is_dir(resolved)) {
			*ret = steal_ptr(resolved);
			return 0;
		}
	}
	*ret = steal_ptr(dst);
	return 0;
}

static bool ignorable(int err)
{
	/* Unprivileged copies cannot keep owners or security.* xattrs; that is not an error. */
	return geteuid() != 0 && (err == EPERM || err == EINVAL);
}

static int apply_attrs(const struct tree_entry *e, const char *dst)
{
	const struct stat *st = &e->st;

	if (lchown(dst, st->st_uid, st->st_gid) < 0 && !ignorable(errno))
		return -errno;
	/* Directory modes come last (set_final), so a read-only directory can be filled. */
	if (!S_ISLNK(st->st_mode) && !S_ISDIR(st->st_mode) && chmod(dst, st->st_mode & 07777) < 0)
		return -errno;
	for (size_t i = 0; i < e->n_xattrs; i++)
		if (lsetxattr(dst, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].size, 0) <
			    0 &&
		    !ignorable(errno) && errno != ENOTSUP)
			return -errno;
	return 0;
}

static int set_times(const struct tree_entry *e, const char *dst)
{
	struct timespec ts[2] = { e->st.st_atim, e->st.st_mtim };

	if (S_ISDIR(e->st.st_mode) && chmod(dst, e->st.st_mode & 07777) < 0)
		return -errno;

	return utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int copy_entries(const struct tree *t, const char *src, const char *root, char **dsts)
{
	int r = 0;

	for (size_t i = 1; r >= 0 && i < t->n_entries; i++) {
		const struct tree_entry *e = &t->entries[i];
		_cleanup_free_ char *s = strjoin(src, "/", e->path, NULL);

		if (!s)
			return -ENOMEM;
		r = destination(root, dsts[e->parent], e, &dsts[i]);
		if (r >= 0)
			r = create_entry(e, s, dsts[i],
					 e->hardlink_of >= 0 ? dsts[e->hardlink_of] : NULL);
		if (r == 0)
			r = apply_attrs(e, dsts[i]);
		if (r >= 0 && !S_ISDIR(e->st.st_mode))
			r = set_times(e, dsts[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int copy_tree(const char *src, const char *root, const char *target)
{
	struct tree *t = NULL;
	char **dsts = NULL;
	int r;

	r = mkdir_p(root, 0755);
	if (r >= 0)
		r = tree_scan(src, &t);
	if (r < 0)
		return r;
	dsts = calloc(t->n_entries, sizeof(char *));
	r = dsts ? chase_in_root(root, target, &dsts[0]) : -ENOMEM;
	if (r >= 0)
		r = mkdir_p(dsts[0], 0755);
	if (r >= 0)
		r = apply_attrs(&t->entries[0], dsts[0]);
	if (r >= 0)
		r = copy_entries(t, src, root, dsts);
	/* Directory modes and times last, children first, so creating entries does not bump
	 * them and read-only directories can be filled. */
	for (size_t i = t->n_entries; r >= 0 && i-- > 0;)
		if (S_ISDIR(t->entries[i].st.st_mode))
			r = set_times(&t->entries[i], dsts[i]);
	for (size_t i = 0; dsts && i < t->n_entries; i++)
		free(dsts[i]);
	free(dsts);
	tree_free(t);
	return r;
}
