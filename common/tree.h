/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A scanned file tree, as the image writers consume it: every entry under a root in a
 * deterministic order (depth first, parents before children, siblings sorted bytewise by
 * name), with lstat data, symlink targets, hardlink groups and extended attributes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct xattr {
	char *name;
	void *value;
	size_t size;
};

struct tree_entry {
	char *path;		/* relative to the root, no leading "/"; "" for the root itself */
	const char *name;	/* last component (points into path) */
	struct stat st;
	char *link_target;	/* symlinks only */
	/* index of the first entry of the same inode (hardlink group leader), or -1.  Only
	 * set on later members of a group; directories are never hardlinked. */
	ssize_t hardlink_of;
	size_t parent;		/* index of the parent directory entry (root: 0) */
	struct xattr *xattrs;	/* sorted by name */
	size_t n_xattrs;
};

struct tree {
	char *root;
	struct tree_entry *entries;
	size_t n_entries;
	uint64_t total_bytes;	/* sum of regular file sizes, counted once per inode */
	uint64_t n_inodes;	/* distinct inodes */
};

/* Scan root (lstat, no crossing into other mounts is NOT enforced: callers pass image trees). */
int tree_scan(const char *root, struct tree **ret);
void tree_free(struct tree *t);

/* Read all extended attributes of path (not following symlinks), sorted by name. */
int xattrs_read(const char *path, struct xattr **ret, size_t *ret_n);
void xattrs_free(struct xattr *x, size_t n);

/* Open entry e for reading (O_RDONLY|O_NOFOLLOW|O_CLOEXEC), relative to the tree root. */
int tree_open_entry(const struct tree *t, const struct tree_entry *e);
