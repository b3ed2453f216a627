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
 * Copy a tree (src directory contents) onto dst, preserving type, mode, owner, timestamps,
 * xattrs and hardlinks (within the copy); existing files in dst are replaced, existing
 * directories merged.  Like "cp -a src/. dst/".
 */
int copy_tree(const char *src, const char *dst);
/* sha256 of a file, lowercase hex (65 bytes incl. NUL). */
int sha256_file(const char *path, char hex[65]);
void sha256_buffer(const void *data, size_t len, char hex[65]);
