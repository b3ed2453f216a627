/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by builder/content*.c only (the content steps, split by responsibility); the rest of
 * the builder uses content.h.
 *
 * "Image paths" are absolute paths as seen inside the image ("/etc/hostname"); "host paths" are
 * what chase_in_root() made of them ("ROOT/etc/hostname").  root is always canonical (realpath).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>

#include "log.h"
#include "recipe.h"

/* Room for "FILE:LINE: " */
#define ORIGIN_MAX 4200

/* Log an error whose errno would add nothing ("not found: No such file or directory") and
 * evaluate to -err. */
#define content_fail(err, ...) ({ log_error(__VA_ARGS__); -abs(err); })

/* "FILE:LINE: " of the recipe key's last assignment, or "" when unknown; returns buf. */
const char *content_origin(const struct recipe *r, const char *key, char *buf, size_t len);

/* Host path of the image directory dir; with create, it is made (and its parents, 0755). */
int content_chase_dir(const char *root, const char *dir, bool create, char **ret);
/* Host path of path's last component inside its resolved parent (the last component itself is
 * not followed, so replacing a symlink replaces the symlink).  -EINVAL for "/", "." or "..". */
int content_chase_parent(const char *root, const char *path, bool create, char **ret);
/* Atomically replace the host path with data; an existing regular file keeps mode and owner,
 * a new one gets mode. */
int content_replace_file(const char *host, const char *data, size_t len, mode_t mode);

/* content-archive.c: extract an archive (any libarchive format/filter) into the existing image
 * directory target.  Logs its errors.  Members escaping the tree: -EXDEV. */
int content_extract_archive(const char *path, const char *root, const char *target);

/* content-units.c: EnableUnits=.  Logs its errors. */
int content_enable_units(const struct recipe *r, const char *root);
