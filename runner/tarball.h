/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tarball inputs are extracted once into CACHE/tar/SHA256 (the tarball's digest) and then run
 * like a directory.  Members that would land outside the tree are refused.
 */
#pragma once

/* Extract (or find) the tree for the tarball at path.  Errors are logged; *ret_exit is
 * EXIT_USAGE for a hostile or broken tarball, EXIT_RUN_FAILED otherwise. */
int tarball_cache(const char *path, const char *cache_dir, char **ret_tree, int *ret_exit);

/* Remove extraction directories left by runimg processes that no longer exist. */
void tarball_sweep(const char *cache_dir);

/*
 * Pure check of a member's name and hardlink target (NULL if none): 0, or -EXDEV when it is
 * absolute or has a ".." component.
 */
int tar_member_check(const char *name, const char *hardlink);
