/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

int read_full_file(const char *path, char **ret, size_t *ret_len);
/* Writes data to a temp file next to path, fsyncs, renames over path. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
int write_file(const char *path, const char *data, mode_t mode); /* create/truncate */
int mkdir_p(const char *path, mode_t mode);
/* Remove a tree without crossing mount points or following symlinks. Missing is fine. */
int rm_rf(const char *path);
bool path_exists(const char *path);
bool is_dir(const char *path);
/* Resolve path inside root without escaping it (symlinks are followed relative to root).
 * Returns a newly allocated "root/..." host path. */
int chase_in_root(const char *root, const char *path, char **ret);
/*
 * Copy a tree (the contents of directory src) into the tree at root, at target (a path inside
 * root, "/" for the top), preserving type, mode, owner, timestamps, xattrs and hardlinks (within
 * the copy).  Like "cp -a src/. root/target/", except that symlinks already in the destination
 * are resolved inside root: where src has a directory and root has a symlink to a directory
 * (lib -> usr/lib in a merged-/usr tree), the copy merges into the symlink's target instead of
 * replacing the link.  Other existing files are replaced, existing directories merged.  root
 * is created if missing.
 */
int copy_tree(const char *src, const char *root, const char *target);
/* sha256 of a file, lowercase hex (65 bytes incl. NUL). */
int sha256_file(const char *path, char hex[65]);
void sha256_buffer(const void *data, size_t len, char hex[65]);
